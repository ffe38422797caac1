/* ktest: the in-guest kernel test suite. Sets up the suite's infrastructure from the
 * untyped pool, runs every suite's tests with fresh objects, prints one line per test and
 * finally `N passed, M failed`, then powers the machine off. */
#include "ktest.h"

/* One suite a line, so that adding one touches one line. */
/* clang-format off */
static const struct kt_test *const suites[] = {
    kt_suite_untyped,
    kt_suite_cnode,
    kt_suite_tcb,
    kt_suite_vspace,
    kt_suite_ipc,
    kt_suite_notification,
    kt_suite_irq_timer,
    kt_suite_its,
    kt_suite_fault,
    kt_suite_sched,
    kt_suite_paths,
    kt_suite_misc,
    kt_suite_rights,
    kt_suite_asid,
    kt_suite_iospace,
    kt_suite_stress,
    kt_suite_fuzz,
    kt_suite_arch,
    kt_suite_revoke,
    kt_suite_timer_storm,
    kt_suite_reply_cap,
    kt_suite_smp,
};
/* clang-format on */

static const char *current_test;
static unsigned current_failures;
static m6_cptr_t next_slot;
static unsigned thread_count;
static struct kt_thread *threads[KT_MAX_THREADS];
static unsigned region_next;
static unsigned region_2m_next;

/* Helper stacks live in ktest's own .bss: thread tests then do not depend on frame
 * mapping working, which has its own tests. */
static uint8_t stacks[KT_MAX_THREADS][KT_STACK_SIZE] __attribute__((aligned(16)));
static bool ipc_buffers_ready;

/* ---- output ----------------------------------------------------------------------- */

void kt_puts(const char *s)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, s);
}

void kt_put_u64(uint64_t v, bool hex)
{
	char buf[24];
	if (hex)
		kt_puts("0x");
	kt_puts(m6_format_u64(buf, v, hex));
}

static const char *const error_names[M6_ERR_COUNT] = {
    "OK",
    "INVALID_CAP",
    "INSUFFICIENT_RIGHTS",
    "ILLEGAL_OPERATION",
    "INVALID_ARGUMENT",
    "RANGE",
    "ALIGNMENT",
    "FAILED_LOOKUP",
    "DELETE_FIRST",
    "REVOKE_FIRST",
    "NOT_ENOUGH_MEMORY",
    "NO_REPLY",
    "WOULD_BLOCK",
    "INVALID_SYSCALL",
    "IN_USE",
    "CANCELLED",
};

static void put_value(uint64_t v, bool error)
{
	/* Small numbers read best in decimal, addresses and patterns in hex. */
	kt_put_u64(v, v >= 0x10000);
	if (error && v < M6_ERR_COUNT) {
		kt_puts(" (");
		kt_puts(error_names[v]);
		kt_puts(")");
	}
}

static void fail_prefix(const char *file, int line)
{
	const char *base = file;
	for (const char *p = file; *p; p++)
		if (*p == '/')
			base = p + 1;
	current_failures++;
	kt_puts("FAIL ");
	kt_puts(current_test ? current_test : "setup");
	kt_puts(": ");
	kt_puts(base);
	kt_puts(":");
	kt_put_u64((uint64_t)line, false);
	kt_puts(": ");
}

bool kt_fail_eq(const char *file, int line, const char *expr, uint64_t got, uint64_t expected,
                bool errors)
{
	fail_prefix(file, line);
	kt_puts(expr);
	kt_puts(": got ");
	put_value(got, errors);
	kt_puts(" expected ");
	put_value(expected, errors);
	kt_puts("\n");
	return false;
}

bool kt_fail_msg(const char *file, int line, const char *what, uint64_t value)
{
	fail_prefix(file, line);
	kt_puts(what);
	if (value) {
		kt_puts(" ");
		kt_put_u64(value, true);
	}
	kt_puts("\n");
	return false;
}

/* ---- slots and objects ------------------------------------------------------------ */

m6_cptr_t kt_slot(void)
{
	if (next_slot >= KT_ROOT_SLOTS - 1) {
		kt_fail_msg(__FILE__, __LINE__, "out of per-test slots", 0);
		return 0;
	}
	return next_slot++;
}

m6_cptr_t kt_new(uint64_t type, uint64_t size_bits)
{
	m6_cptr_t s = kt_slot();
	if (!s)
		return 0;
	uint64_t err = m6_untyped_retype(KT_SLOT_UTEST, type, size_bits, M6_CAP_SELF_CNODE, s, 1);
	if (err != M6_OK) {
		kt_fail_eq(__FILE__, __LINE__, "kt_new: retype", err, M6_OK, true);
		return 0;
	}
	return s;
}

m6_cptr_t kt_new_vspace(void)
{
	m6_cptr_t vs = kt_new(M6_OBJ_VSPACE, 0);
	if (!vs)
		return 0;
	uint64_t err = m6_asid_pool_assign(CAP_ASID_POOL, vs, NULL);
	if (err != M6_OK) {
		kt_fail_eq(__FILE__, __LINE__, "kt_new_vspace: assign", err, M6_OK, true);
		return 0;
	}
	return vs;
}

m6_cptr_t kt_copy(m6_cptr_t src, uint64_t rights)
{
	m6_cptr_t s = kt_slot();
	if (!s)
		return 0;
	uint64_t err = m6_cnode_copy(M6_CAP_SELF_CNODE, s, 64, M6_CAP_SELF_CNODE, src, 64, rights);
	if (err != M6_OK) {
		kt_fail_eq(__FILE__, __LINE__, "kt_copy: cnode_copy", err, M6_OK, true);
		return 0;
	}
	return s;
}

m6_cptr_t kt_mint(m6_cptr_t src, uint64_t rights, uint64_t badge)
{
	m6_cptr_t s = kt_slot();
	if (!s)
		return 0;
	uint64_t err =
	    m6_cnode_mint(M6_CAP_SELF_CNODE, s, 64, M6_CAP_SELF_CNODE, src, 64, rights, badge);
	if (err != M6_OK) {
		kt_fail_eq(__FILE__, __LINE__, "kt_mint: cnode_mint", err, M6_OK, true);
		return 0;
	}
	return s;
}

bool kt_occupied(m6_cptr_t cptr)
{
	/* The last root slot is the probe's scratch: tests never get it. */
	const m6_cptr_t probe = KT_ROOT_SLOTS - 1;
	m6_cnode_delete(M6_CAP_SELF_CNODE, probe, 64);
	bool ok = m6_cnode_copy(M6_CAP_SELF_CNODE, probe, 64, M6_CAP_SELF_CNODE, cptr, 64,
	                        M6_RIGHTS_ALL) == M6_OK;
	m6_cnode_delete(M6_CAP_SELF_CNODE, probe, 64);
	return ok;
}

/* Per-test regions: 2 MiB slots of the first GiB that the component image, its stack
 * and the IPC buffers leave free (the level-2 table there exists already). */
#define REGION_FIRST   0x10000000ull
#define REGION_COUNT   128u
#define REGION2M_FIRST 0x22000000ull
#define REGION2M_COUNT 128u

uint64_t kt_region(void)
{
	uint64_t va = REGION_FIRST + (uint64_t)(region_next++ % REGION_COUNT) * 0x200000;
	m6_cptr_t pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	if (!pt)
		return 0;
	uint64_t err = m6_page_table_map(pt, M6_CAP_SELF_VSPACE, va, 3);
	if (err != M6_OK) {
		kt_fail_eq(__FILE__, __LINE__, "kt_region: page_table_map", err, M6_OK, true);
		return 0;
	}
	return va;
}

uint64_t kt_region_2m(void)
{
	return REGION2M_FIRST + (uint64_t)(region_2m_next++ % REGION2M_COUNT) * 0x200000;
}

m6_cptr_t kt_map_new_frame(uint64_t vaddr, uint64_t rights)
{
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	if (!f)
		return 0;
	uint64_t err = m6_frame_map(f, M6_CAP_SELF_VSPACE, vaddr, rights);
	if (err != M6_OK) {
		kt_fail_eq(__FILE__, __LINE__, "kt_map_new_frame: frame_map", err, M6_OK, true);
		return 0;
	}
	return f;
}

/* ---- helper threads --------------------------------------------------------------- */

__attribute__((noreturn)) static void thread_entry(struct kt_thread *t)
{
	t->started = true;
	t->result = t->fn(t);
	t->done = true;
	for (;;)
		m6_tcb_suspend(t->tcb);
}

void kt_reset_objects(void)
{
	for (m6_cptr_t s = KT_FIRST_TEST_SLOT; s < KT_ROOT_SLOTS; s++)
		m6_cnode_delete(M6_CAP_SELF_CNODE, s, 64);
	thread_count = 0;
	next_slot = KT_FIRST_TEST_SLOT;
}

uint64_t kt_thread_entry_pc(void)
{
	return (uint64_t)(uintptr_t)thread_entry;
}

uint64_t kt_thread_stack_top(const struct kt_thread *t)
{
	return (uint64_t)(uintptr_t)&stacks[t->index][KT_STACK_SIZE];
}

bool kt_thread_create(struct kt_thread *t, kt_thread_fn fn, uint64_t priority)
{
	uint64_t arg[6];
	for (unsigned i = 0; i < 6; i++)
		arg[i] = t->arg[i];
	__builtin_memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < 6; i++)
		t->arg[i] = arg[i];
	if (thread_count >= KT_MAX_THREADS) {
		kt_fail_msg(__FILE__, __LINE__, "too many helper threads", 0);
		return false;
	}
	t->index = thread_count;
	t->fn = fn;
	t->tcb = kt_new(M6_OBJ_TCB, 0);
	if (!t->tcb)
		return false;
	threads[thread_count++] = t;
	uint64_t ipc_va = 0, ipc_frame = 0;
	if (ipc_buffers_ready) {
		ipc_va = KT_IPC_REGION + (uint64_t)t->index * 4096;
		ipc_frame = KT_SLOT_IPC_FRAME0 + t->index;
		t->ipc = (struct m6_ipc_buffer *)(uintptr_t)ipc_va;
		__builtin_memset(t->ipc, 0, 4096);
	}
	uint64_t err = m6_tcb_configure(t->tcb, KT_SLOT_FAULT_EP, M6_CAP_SELF_CNODE,
	                                M6_CAP_SELF_VSPACE, ipc_va, ipc_frame);
	if (err != M6_OK)
		return kt_fail_eq(__FILE__, __LINE__, "thread: tcb_configure", err, M6_OK, true);
	err = m6_tcb_set_priority(t->tcb, M6_CAP_SELF_TCB, priority);
	if (err != M6_OK)
		return kt_fail_eq(__FILE__, __LINE__, "thread: set_priority", err, M6_OK, true);
	uint64_t x0 = (uint64_t)(uintptr_t)t;
	err = m6_tcb_write_registers(t->tcb, false, kt_thread_entry_pc(), kt_thread_stack_top(t),
	                             &x0, 1);
	if (err != M6_OK)
		return kt_fail_eq(__FILE__, __LINE__, "thread: write_registers", err, M6_OK, true);
	return true;
}

bool kt_thread_start(struct kt_thread *t, kt_thread_fn fn, uint64_t priority)
{
	if (!kt_thread_create(t, fn, priority))
		return false;
	uint64_t err = m6_tcb_resume(t->tcb);
	if (err != M6_OK)
		return kt_fail_eq(__FILE__, __LINE__, "thread: resume", err, M6_OK, true);
	return true;
}

bool kt_join(struct kt_thread *t, unsigned rounds)
{
	for (unsigned i = 0; i < rounds && !t->done; i++)
		m6_yield();
	return t->done;
}

uint64_t kt_thread_set_fault_ep(struct kt_thread *t, m6_cptr_t fault_ep)
{
	return m6_tcb_configure(t->tcb, fault_ep, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE,
	                        (uint64_t)(uintptr_t)t->ipc,
	                        t->ipc ? KT_SLOT_IPC_FRAME0 + t->index : 0);
}

uint64_t kt_fn_call(struct kt_thread *self)
{
	struct m6_msg m = {.info = m6_msginfo(0x42, 1), .mr = {0x1234}};
	self->out[1] = 1;
	self->out[0] = m6_call(self->arg[0], &m);
	self->out[2] = m.badge;
	return 0;
}

bool kt_wait_flag(volatile uint64_t *flag, unsigned rounds)
{
	for (unsigned i = 0; i < rounds && !*flag; i++)
		m6_yield();
	return *flag != 0;
}

bool kt_sleep_ms(uint64_t ms)
{
	m6_cptr_t t = kt_new(M6_OBJ_TIMER, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	if (!t || !n)
		return false;
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x100);
	if (!b || m6_timer_set_notification(t, b) != M6_OK ||
	    m6_timer_set(t, kt_ticks() + kt_tick_freq() / 1000 * ms, 0) != M6_OK)
		return false;
	return m6_wait(n) == 0x100;
}

bool kt_sleep_until(bool (*cond)(void *arg), void *arg)
{
	m6_cptr_t t = kt_new(M6_OBJ_TIMER, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	if (!t || !n)
		return false;
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x100);
	if (!b || m6_timer_set_notification(t, b) != M6_OK)
		return false;
	const uint64_t ms = kt_tick_freq() / 1000, end = kt_ticks() + ms * KT_PATIENCE_MS;
	while (!cond(arg)) {
		if (kt_ticks() >= end || m6_timer_set(t, kt_ticks() + ms, 0) != M6_OK ||
		    m6_wait(n) != 0x100)
			return false;
	}
	return m6_timer_cancel(t) == M6_OK;
}

uint64_t kt_recv_poll(m6_cptr_t ep, struct m6_msg *m, unsigned rounds, bool *ok)
{
	for (unsigned i = 0; i < rounds; i++) {
		m->word0 = ep;
		m->info = 0;
		m6_syscall(M6_SYS_NBRECV, m);
		if (m->word0 != M6_ERR_WOULD_BLOCK) {
			*ok = m->word0 == M6_OK;
			return m->badge;
		}
		m6_yield();
	}
	*ok = false;
	return 0;
}

/* ---- the runner ------------------------------------------------------------------- */

static void setup(void)
{
	current_test = "setup";
	uint64_t err = m6_tcb_set_priority(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, KT_MAIN_PRIO);
	if (err != M6_OK)
		kt_fail_eq(__FILE__, __LINE__, "lower main priority", err, M6_OK, true);
	err =
	    m6_untyped_retype(CAP_POOL, M6_OBJ_UNTYPED, 22, M6_CAP_SELF_CNODE, KT_SLOT_UGLOBAL, 1);
	if (err != M6_OK)
		kt_fail_eq(__FILE__, __LINE__, "retype U_GLOBAL", err, M6_OK, true);
	err = m6_untyped_retype(CAP_POOL, M6_OBJ_UNTYPED, KT_UTEST_BITS, M6_CAP_SELF_CNODE,
	                        KT_SLOT_UTEST, 1);
	if (err != M6_OK)
		kt_fail_eq(__FILE__, __LINE__, "retype U_TEST", err, M6_OK, true);
	err = m6_untyped_retype(KT_SLOT_UGLOBAL, M6_OBJ_ENDPOINT, 0, M6_CAP_SELF_CNODE,
	                        KT_SLOT_FAULT_EP, 1);
	if (err != M6_OK)
		kt_fail_eq(__FILE__, __LINE__, "retype fault endpoint", err, M6_OK, true);
	/* Helpers are configured with unmapped caps to their IPC buffer frames; copies of
	 * those map the frames, kept in a CNode of their own so they use no root slots. */
	err = m6_untyped_retype(KT_SLOT_UGLOBAL, M6_OBJ_PAGE_TABLE, 0, M6_CAP_SELF_CNODE,
	                        KT_SLOT_IPC_PT, 1);
	if (err == M6_OK)
		err = m6_page_table_map(KT_SLOT_IPC_PT, M6_CAP_SELF_VSPACE, KT_IPC_REGION, 3);
	if (err == M6_OK)
		err = m6_untyped_retype(KT_SLOT_UGLOBAL, M6_OBJ_CNODE, 3, M6_CAP_SELF_CNODE,
		                        KT_SLOT_IPC_MAPPED, 1);
	if (err == M6_OK)
		err = m6_untyped_retype(KT_SLOT_UGLOBAL, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE,
		                        KT_SLOT_IPC_FRAME0, KT_MAX_THREADS);
	const m6_cptr_t tmp = KT_FIRST_TEST_SLOT;
	for (unsigned i = 0; err == M6_OK && i < KT_MAX_THREADS; i++) {
		err = m6_cnode_copy(M6_CAP_SELF_CNODE, tmp, 64, M6_CAP_SELF_CNODE,
		                    KT_SLOT_IPC_FRAME0 + i, 64, M6_RIGHTS_ALL);
		if (err == M6_OK)
			err = m6_frame_map(tmp, M6_CAP_SELF_VSPACE,
			                   KT_IPC_REGION + (uint64_t)i * 4096,
			                   M6_RIGHT_READ | M6_RIGHT_WRITE);
		if (err == M6_OK)
			err = m6_cnode_move(KT_SLOT_IPC_MAPPED, i, 64, M6_CAP_SELF_CNODE, tmp, 64);
	}
	if (err != M6_OK)
		kt_fail_eq(__FILE__, __LINE__, "helper IPC buffers (threads run without)", err,
		           M6_OK, true);
	ipc_buffers_ready = err == M6_OK;
	if (current_failures)
		kt_puts("ktest: setup incomplete: tests that need the failed parts will fail\n");
}

static void cleanup(void)
{
	/* Stop the helpers first: nothing may run while their objects go away. */
	for (unsigned i = 0; i < thread_count; i++)
		m6_tcb_suspend(threads[i]->tcb);
	/* A fault no test asked for sits in the default fault endpoint. */
	for (;;) {
		struct m6_msg m = {.word0 = KT_SLOT_FAULT_EP};
		m6_syscall(M6_SYS_NBRECV, &m);
		if (m.word0 == M6_ERR_WOULD_BLOCK)
			break;
		fail_prefix(__FILE__, __LINE__);
		kt_puts("unexpected fault message: label ");
		kt_put_u64(m6_msginfo_label(m.info), false);
		kt_puts(" pc ");
		kt_put_u64(m.mr[0], true);
		kt_puts(" mr1 ");
		kt_put_u64(m.mr[1], true);
		kt_puts("\n");
		/* Leave the thread stopped: its TCB goes away with U_TEST. */
		m.info = m6_msginfo(M6_FAULT_REPLY_STOP, 0);
		m6_reply(&m);
	}
	m6_tcb_unbind_notification(M6_CAP_SELF_TCB);
	m6_tcb_set_priority(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, KT_MAIN_PRIO);
	m6_tcb_set_flags(M6_CAP_SELF_TCB, 0);
	KT_IPC->receive_cnode = 0;
	KT_IPC->send_cap = 0;
	uint64_t err = m6_cnode_revoke(M6_CAP_SELF_CNODE, KT_SLOT_UTEST, 64);
	if (err != M6_OK)
		kt_fail_eq(__FILE__, __LINE__, "cleanup: revoke U_TEST", err, M6_OK, true);
	kt_reset_objects();
}

int main(int argc, char **argv)
{
	unsigned passed = 0, failed = 0;
	next_slot = KT_FIRST_TEST_SLOT;
	kt_puts("ktest: m6 kernel test suite\n");
	setup();
	current_failures = 0;
	/* The flood suite runs alone: the main run forbids fault reports on the console. */
	static const struct kt_test *const flood[] = {kt_suite_flood};
	bool only_flood = argc > 1 && argv[1][0] == 'f';
	const struct kt_test *const *run = only_flood ? flood : suites;
	unsigned suite_count = only_flood ? 1 : sizeof(suites) / sizeof(suites[0]);
	for (unsigned s = 0; s < suite_count; s++) {
		for (const struct kt_test *t = run[s]; t->name; t++) {
			current_test = t->name;
			current_failures = 0;
			t->fn();
			cleanup();
			if (current_failures) {
				failed++;
				kt_puts("FAIL ");
			} else {
				passed++;
				kt_puts("ok ");
			}
			kt_puts(t->name);
			kt_puts("\n");
		}
	}
	current_test = NULL;
	kt_put_u64(passed, false);
	kt_puts(" passed, ");
	kt_put_u64(failed, false);
	kt_puts(" failed\n");
	m6_power_off(CAP_POWER);
	return 1;
}
