/* Linux threads and futexes (docs/linux.md, "Processes"): clone with CLONE_VM|
 * CLONE_THREAD makes a second TCB in the caller's VSpace; futex WAIT parks through
 * block.c and WAKE completes the parked calls. */
#include <string.h>

#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6/time.h>
#include <m6_caps.h>

#include "block.h"
#include "shim.h"

struct lthread threads[LINUX_MAX_THREADS];

#define CLONE_VM             0x00000100
#define CLONE_SIGHAND        0x00000800
#define CLONE_THREAD         0x00010000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID   0x01000000
#define LINUX_ETIMEDOUT      110

struct lthread *thread_of(uint64_t badge)
{
	if (badge <= LINUX_MAX_PROCS || badge > LINUX_MAX_PROCS + LINUX_MAX_THREADS)
		return NULL;
	struct lthread *t = &threads[badge - LINUX_MAX_PROCS - 1];
	return t->used && t->p->used && !t->p->zombie ? t : NULL;
}

/* The thread's kernel objects: made once per slot, configured for each new process. */
static int thread_make(struct lthread *t, struct proc *p)
{
	unsigned i = (unsigned)(t - threads);
	if (!t->tcb) {
		m6_cptr_t tcb = m6_cap_alloc(), cnode = m6_cap_alloc();
		if (!tcb || !cnode ||
		    m6_untyped_retype(CAP_POOL, M6_OBJ_TCB, 0, M6_CAP_SELF_CNODE, tcb, 1) !=
		        M6_OK ||
		    m6_untyped_retype(CAP_POOL, M6_OBJ_CNODE, 1, M6_CAP_SELF_CNODE, cnode, 1) !=
		        M6_OK)
			return -LINUX_EAGAIN;
		t->tcb = tcb;
		t->cnode = cnode;
	}
	if (!t->fault_ep) {
		t->fault_ep = m6_cap_mint(shim_fault_source,
		                          M6_RIGHT_WRITE | M6_RIGHT_GRANT | M6_RIGHT_GRANT_REPLY,
		                          LINUX_MAX_PROCS + i + 1);
		if (!t->fault_ep)
			return -LINUX_EAGAIN;
	}
	if (m6_tcb_configure(t->tcb, t->fault_ep, t->cnode, p->vspace, 0, 0) != M6_OK ||
	    m6_tcb_set_flags(t->tcb, M6_TCB_FLAG_LINUX_ABI) != M6_OK ||
	    m6_tcb_set_priority(t->tcb, M6_CAP_SELF_TCB, LINUX_PROCESS_PRIORITY) != M6_OK)
		return -LINUX_EAGAIN;
	return 0;
}

int64_t thread_clone(struct proc *p, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t tls,
                     uint64_t ctid)
{
	/* what glibc's pthread_create asks for; other sharing combinations are not emulated */
	const uint64_t need = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND;
	if ((flags & need) != need || stack == 0)
		return -LINUX_EINVAL;
	struct lthread *t = NULL;
	for (unsigned i = 0; i < LINUX_MAX_THREADS && !t; i++)
		if (!threads[i].used)
			t = &threads[i];
	if (!t)
		return -LINUX_EAGAIN;
	struct m6_tcb_registers r;
	uint64_t tp = 0;
	int e = thread_make(t, p);
	if (e)
		return e;
	if (m6_tcb_read_registers(shim_call.tcb, &r) != M6_OK ||
	    m6_tcb_read_tls(shim_call.tcb, &tp) != M6_OK)
		return -LINUX_EINVAL;
	t->used = true;
	t->p = p;
	t->tid = proc_new_pid();
	t->clear_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
	signal_thread_init(p, t);
	p->nthreads++;
	int32_t tid = t->tid;
	if (flags & CLONE_PARENT_SETTID)
		mem_copy_out(p, ptid, &tid, sizeof(tid));
	if (flags & CLONE_CHILD_SETTID)
		mem_copy_out(p, ctid, &tid, sizeof(tid));
	r.x[0] = 0;
	/* The new thread goes on after the caller's svc with its registers and flags, x0 = 0,
	 * the new stack and (CLONE_SETTLS) its own TLS register. */
	r.pc = shim_call.pc;
	r.sp = stack;
	if (m6_tcb_write_tls(t->tcb, (flags & CLONE_SETTLS) ? tls : tp) != M6_OK ||
	    m6_tcb_write_all_registers(t->tcb, true, &r) != M6_OK) {
		t->used = false;
		p->nthreads--;
		return -LINUX_EAGAIN;
	}
	return tid;
}

/* ---- futex ---- */

#define FUTEX_WAIT         0
#define FUTEX_WAKE         1
#define FUTEX_WAIT_BITSET  9
#define FUTEX_WAKE_BITSET  10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_RT     256

/* A futex's key: (process, address) for private memory or a FUTEX_PRIVATE_FLAG call,
 * and (frame, offset) for a shared call on MAP_SHARED memory, which is the same in every
 * process that maps the page (fork shares the frames: mem.c), so a futex between
 * processes meets. arg[0] of a parked wait holds the address or the frame key, arg[2]
 * says which (1: shared). */
static bool futex_key(struct proc *p, uint64_t uaddr, bool private_op, uint64_t *key)
{
	if (!private_op && mem_shared_key(p, uaddr, key))
		return true;
	*key = uaddr;
	return false;
}

static int wake_key(struct proc *p, bool shared, uint64_t key, uint64_t n, uint32_t bits)
{
	int woken = 0;
	for (struct blocked *b = block_next(NULL); b && (uint64_t)woken < n; b = block_next(b))
		if (b->obj == (void *)futex_wake && (b->arg[2] != 0) == shared &&
		    (shared || b->p == p) && b->arg[0] == key && (b->arg[1] & bits)) {
			block_complete(b, 0);
			woken++;
		}
	return woken;
}

/* Wake up to n threads parked on the futex at uaddr of p (whose bitset meets `bits`). */
int futex_wake(struct proc *p, uint64_t uaddr, uint64_t n, uint32_t bits)
{
	uint64_t key;
	bool shared = futex_key(p, uaddr, false, &key);
	return wake_key(p, shared, key, n, bits);
}

int64_t thread_sys_futex(struct proc *p, const uint64_t a[6])
{
	uint64_t uaddr = a[0], op = a[1] & ~(uint64_t)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_RT);
	uint32_t val = (uint32_t)a[2];
	bool private_op = (a[1] & FUTEX_PRIVATE_FLAG) != 0;
	if (uaddr & 3)
		return -LINUX_EINVAL;
	switch (op) {
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET: {
		uint32_t bits = op == FUTEX_WAKE ? 0xffffffffu : (uint32_t)a[5];
		if (bits == 0)
			return -LINUX_EINVAL;
		uint64_t key;
		bool shared = futex_key(p, uaddr, private_op, &key);
		return wake_key(p, shared, key, val, bits);
	}
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET: {
		uint32_t bits = op == FUTEX_WAIT ? 0xffffffffu : (uint32_t)a[5];
		if (bits == 0)
			return -LINUX_EINVAL;
		uint64_t deadline = 0;
		if (a[3]) {
			uint64_t ns;
			int64_t te = block_read_timespec(p, a[3], &ns);
			if (te)
				return te;
			/* WAIT: a relative timeout; WAIT_BITSET: an absolute time of
			 * CLOCK_MONOTONIC, or of CLOCK_REALTIME with FUTEX_CLOCK_REALTIME */
			deadline = op == FUTEX_WAIT
			               ? block_deadline_in(ns)
			               : vdso_abs_to_ticks(ns, (a[1] & FUTEX_CLOCK_RT) != 0);
			if (deadline == 0)
				deadline = 1;
		}
		uint32_t cur;
		int e = mem_copy_in(p, &cur, uaddr, sizeof(cur));
		if (e)
			return e;
		if (cur != val)
			return -LINUX_EAGAIN;
		if (deadline && deadline <= m6_counter())
			return -LINUX_ETIMEDOUT;
		struct blocked *b = block_park(NULL, deadline, -LINUX_ETIMEDOUT);
		if (!b)
			return -LINUX_EAGAIN;
		uint64_t key;
		bool shared = futex_key(p, uaddr, private_op, &key);
		b->obj = (void *)futex_wake;
		b->arg[0] = key;
		b->arg[1] = bits;
		b->arg[2] = shared;
		return LINUX_PARKED;
	}
	default:
		return -LINUX_ENOSYS;
	}
}

/* ---- exit of one thread ---- */

/* The thread calling exit(2) ends: CLONE_CHILD_CLEARTID's word is zeroed and its futex
 * woken (pthread_join waits on it); the process ends with its last thread. */
void thread_exit(struct proc *p, int status)
{
	struct lthread *t = shim_call.thr;
	if (p->nthreads <= 1) {
		proc_exit(p, status);
		return;
	}
	uint64_t clear = t ? t->clear_tid : p->clear_tid;
	m6_cptr_t tcb = shim_call.tcb;
	m6_tcb_suspend(tcb);
	block_cancel(p, tcb);
	p->nthreads--;
	if (t)
		t->used = false;
	else
		p->main_exited = true;
	if (clear) {
		uint32_t zero = 0;
		if (mem_copy_out(p, clear, &zero, sizeof(zero)) == 0)
			futex_wake(p, clear, 1, 0xffffffffu);
	}
}

void thread_end_all(struct proc *p, m6_cptr_t except)
{
	for (unsigned i = 0; i < LINUX_MAX_THREADS; i++) {
		struct lthread *t = &threads[i];
		if (!t->used || t->p != p || t->tcb == except)
			continue;
		m6_tcb_suspend(t->tcb);
		block_cancel(p, t->tcb);
		t->used = false;
		p->nthreads--;
	}
}
