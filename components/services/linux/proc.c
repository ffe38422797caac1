/* Linux processes (docs/linux.md, "Processes"): the process table, exit and wait, fork
 * with copy-on-write memory, process groups and sessions. */
#include <stdlib.h>
#include <string.h>

#include <m6/invocations.h>
#include <m6/time.h>

#include "block.h"
#include "shim.h"

struct proc procs[LINUX_MAX_PROCS];
int live;
static int next_pid = 1;

#define LINUX_ECHILD 10
#define LINUX_ESRCH  3
#define LINUX_EPERM  1

struct proc *proc_alloc(void)
{
	for (unsigned i = 0; i < LINUX_MAX_PROCS; i++)
		if (!procs[i].used) {
			struct proc *p = &procs[i];
			/* a slot's kernel objects (made, tcb, vspace, ...) stay for the next one */
			p->badge = i + 1;
			p->pid = next_pid++;
			p->ppid = 0;
			p->pgid = p->sid = p->pid;
			p->zombie = false;
			p->wstatus = 0;
			p->nthreads = 1;
			p->main_exited = false;
			p->clear_tid = 0;
			p->l2s = NULL;
			p->l3s = p->l3_hint = NULL;
			p->nvma = 0;
			signal_proc_init(p);
			p->cmdline = NULL;
			p->cmdline_len = 0;
			p->umask = 022;
			p->start_ns = m6_time_ns();
			return p;
		}
	return NULL;
}

int proc_new_pid(void)
{
	return next_pid++;
}

struct proc *proc_of(uint64_t badge)
{
	if (badge == 0 || badge > LINUX_MAX_PROCS || !procs[badge - 1].used ||
	    procs[badge - 1].zombie)
		return NULL;
	return &procs[badge - 1];
}

struct proc *proc_by_pid(int pid)
{
	for (unsigned i = 0; i < LINUX_MAX_PROCS; i++)
		if (procs[i].used && procs[i].pid == pid && pid > 0)
			return &procs[i];
	return NULL;
}

/* p ends with wait status `wstatus`: its threads stop, its memory goes back, its
 * children go to init (pid 1, or the shim when init is gone: reaped at once), and it
 * stays a zombie until its parent waits for it (at once gone when the shim started it). */
static void proc_end(struct proc *p, int wstatus)
{
	m6_tcb_suspend(p->tcb);
	thread_end_all(p, 0);
	block_cancel(p, 0);
	mem_proc_clear(p); /* before the descriptors: shared file mappings write back */
	fd_proc_exit(p);
	free(p->cmdline); /* a zombie's cmdline reads empty, as on Linux */
	p->cmdline = NULL;
	p->cmdline_len = 0;
	struct proc *init = proc_by_pid(1);
	if (init && (init == p || init->zombie))
		init = NULL;
	for (unsigned i = 0; i < LINUX_MAX_PROCS; i++) {
		struct proc *c = &procs[i];
		if (!c->used || c == p || c->ppid != p->pid)
			continue;
		c->ppid = init ? init->pid : 0;
		if (!init && c->zombie)
			c->used = false;
	}
	struct proc *parent = proc_by_pid(p->ppid);
	p->sig.stopped = false;
	if (parent && !parent->zombie && !signal_autoreap(parent)) {
		p->zombie = true;
		p->wstatus = wstatus;
	} else {
		p->used = false; /* nobody waits, or SIGCHLD is ignored: reaped at once */
	}
	live--;
	if (parent && !parent->zombie)
		signal_child_exit(parent, p, wstatus);
	shim_proc_ended(p, wstatus); /* the terminal and the shim's jobs (main.c) */
}

void proc_end_signal(struct proc *p, int sig)
{
	proc_end(p, sig & 0x7f);
}

void proc_exit(struct proc *p, int status)
{
	if (!shim_interactive) /* on a terminal the shell reports what it waits for */
		shim_log("linux: %s exited %d", p->name, status & 0xff);
	proc_end(p, (status & 0xff) << 8);
}

#define LINUX_SIGKILL 9
#define LINUX_SIGSEGV 11

void proc_kill(struct proc *p, const char *why, uint64_t addr, uint64_t pc)
{
	shim_log("linux: %s: killed: %s at 0x%llx (pc 0x%llx)", p->name, why,
	         (unsigned long long)addr, (unsigned long long)pc);
	/* out of memory: as Linux's OOM killer, SIGKILL; anything else (a thread that cannot
	 * start, an exec that ran out of memory midway): SIGSEGV. Faults are signals
	 * (signal_fault), never this. */
	proc_end(p, strcmp(why, "out of memory") == 0 ? LINUX_SIGKILL : LINUX_SIGSEGV);
}

/* ---- wait4, waitid ---- */

#define WNOHANG       1
#define WUNTRACED     2 /* WSTOPPED for waitid */
#define WEXITED       4
#define WCONTINUED    8
#define WNOWAIT       0x01000000
#define P_ALL         0
#define P_PID         1
#define P_PGID        2
#define SIGCHLD       17
#define CLD_EXITED    1
#define CLD_KILLED    2
#define CLD_STOPPED   5
#define CLD_CONTINUED 6

/* Whether child c matches wait4's pid argument for parent p. */
static bool wait_match(const struct proc *p, const struct proc *c, int64_t pid)
{
	if (!c->used || c->ppid != p->pid || c == p)
		return false;
	if (pid == -1)
		return true;
	if (pid > 0)
		return c->pid == pid;
	if (pid == 0)
		return c->pgid == p->pgid;
	return c->pgid == -pid;
}

/* A stopped or continued child c that wait4 (WUNTRACED, WCONTINUED) or waitid (WSTOPPED,
 * WCONTINUED) reports: status 0x7f | sig << 8 or 0xffff, siginfo CLD_STOPPED or
 * CLD_CONTINUED. The report is used up unless WNOWAIT. */
static int64_t wait_report_change(struct proc *p, struct proc *c, const uint64_t arg[6])
{
	bool stop = (arg[1] & WUNTRACED) && c->sig.stop_report;
	int sig = stop ? c->sig.stop_report : LINUX_SIGCONT;
	int e = 0;
	if (arg[3]) {
		uint8_t ru[144] = {0};
		e = mem_copy_out(p, arg[3], ru, sizeof(ru));
	}
	if (!e && arg[4] && arg[2]) {
		int32_t si[32] = {0};
		si[0] = SIGCHLD;
		si[2] = stop ? CLD_STOPPED : CLD_CONTINUED;
		si[4] = c->pid;
		si[6] = sig;
		e = mem_copy_out(p, arg[2], si, sizeof(si));
	} else if (!e && arg[2]) {
		int32_t st = stop ? 0x7f | sig << 8 : 0xffff;
		e = mem_copy_out(p, arg[2], &st, sizeof(st));
	}
	if (e)
		return e;
	if (!(arg[4] && (arg[1] & WNOWAIT))) {
		if (stop)
			c->sig.stop_report = 0;
		else
			c->sig.cont_report = false;
	}
	return arg[4] ? 0 : c->pid;
}

/* arg: 0 pid (wait4 form), 1 options, 2 status address (wait4) or siginfo (waitid),
 * 3 rusage address, 4 1 for waitid. The result, or LINUX_PARKED to wait on. */
static int64_t wait_try(struct proc *p, const uint64_t arg[6])
{
	int64_t pid = (int64_t)arg[0];
	bool any = false;
	struct proc *z = NULL;
	/* waitid: WEXITED may be left out; wait4 always waits for exits */
	bool exits = !arg[4] || (arg[1] & WEXITED);
	for (unsigned i = 0; i < LINUX_MAX_PROCS && !z; i++) {
		if (!wait_match(p, &procs[i], pid))
			continue;
		any = true;
		if (procs[i].zombie && exits)
			z = &procs[i];
		else if (!procs[i].zombie && (((arg[1] & WUNTRACED) && procs[i].sig.stop_report) ||
		                              ((arg[1] & WCONTINUED) && procs[i].sig.cont_report)))
			return wait_report_change(p, &procs[i], arg);
	}
	if (!any)
		return -LINUX_ECHILD;
	if (!z && (arg[1] & WNOHANG)) {
		if (arg[4] && arg[2]) {
			uint8_t zero[128] = {0};
			int e = mem_copy_out(p, arg[2], zero, sizeof(zero));
			if (e)
				return e;
		}
		return 0;
	}
	if (!z)
		return LINUX_PARKED;
	int e = 0;
	if (arg[3]) {
		uint8_t ru[144] = {0}; /* struct rusage: no accounting yet */
		e = mem_copy_out(p, arg[3], ru, sizeof(ru));
	}
	if (!e && arg[4] && arg[2]) {
		/* siginfo_t: signo, errno, code, then pid, uid, status */
		int32_t si[32] = {0};
		bool killed = (z->wstatus & 0x7f) != 0;
		si[0] = SIGCHLD;
		si[2] = killed ? CLD_KILLED : CLD_EXITED;
		si[4] = z->pid;
		si[5] = 0;
		si[6] = killed ? (z->wstatus & 0x7f) : (z->wstatus >> 8) & 0xff;
		e = mem_copy_out(p, arg[2], si, sizeof(si));
	} else if (!e && arg[2]) {
		int32_t st = z->wstatus;
		e = mem_copy_out(p, arg[2], &st, sizeof(st));
	}
	if (e)
		return e;
	int r = arg[4] ? 0 : z->pid;
	if (!(arg[4] && (arg[1] & WNOWAIT)))
		z->used = false; /* reaped */
	return r;
}

static int64_t wait_check(struct blocked *b)
{
	return wait_try(b->p, b->arg);
}

static int64_t wait_common(struct proc *p, const uint64_t arg[6])
{
	int64_t r = wait_try(p, arg);
	if (r != LINUX_PARKED)
		return r;
	struct blocked *b = block_park(wait_check, 0, 0);
	if (!b)
		return -LINUX_EAGAIN;
	memcpy(b->arg, arg, sizeof(b->arg));
	return LINUX_PARKED;
}

int64_t proc_sys_wait4(struct proc *p, const uint64_t a[6])
{
	if (a[2] & ~(uint64_t)(WNOHANG | 2 /* WUNTRACED */ | 8 /* WCONTINUED */ | 0x40000000 |
	                       0x80000000 /* __WALL, __WCLONE */))
		return -LINUX_EINVAL;
	if ((int64_t)a[0] == INT32_MIN)
		return -LINUX_ESRCH;
	const uint64_t arg[6] = {(uint64_t)(int64_t)(int32_t)a[0], a[2], a[1], a[3], 0, 0};
	return wait_common(p, arg);
}

int64_t proc_sys_waitid(struct proc *p, const uint64_t a[6])
{
	uint64_t options = a[3];
	if (!(options & (WEXITED | WUNTRACED | WCONTINUED)) ||
	    (options & ~(uint64_t)(WNOHANG | WEXITED | WNOWAIT | WUNTRACED | WCONTINUED)))
		return -LINUX_EINVAL;
	int64_t pid;
	int32_t id = (int32_t)a[1];
	switch (a[0]) {
	case P_ALL:
		pid = -1;
		break;
	case P_PID:
		if (id <= 0)
			return -LINUX_EINVAL;
		pid = id;
		break;
	case P_PGID:
		if (id < 0)
			return -LINUX_EINVAL;
		pid = id == 0 ? 0 : -(int64_t)id;
		break;
	default:
		return -LINUX_EINVAL;
	}
	const uint64_t arg[6] = {(uint64_t)pid, options, a[2], a[4], 1, 0};
	return wait_common(p, arg);
}

int64_t proc_sys_getppid(struct proc *p, const uint64_t a[6])
{
	(void)a;
	return p->ppid;
}

/* ---- fork (clone without CLONE_VM, and vfork as fork) ---- */

#define CLONE_VM             0x00000100
#define CLONE_FS             0x00000200
#define CLONE_FILES          0x00000400
#define CLONE_SIGHAND        0x00000800
#define CLONE_VFORK          0x00004000
#define CLONE_PARENT         0x00008000
#define CLONE_THREAD         0x00010000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID   0x01000000

/* The new process's thread starts after the parent's svc with the parent's registers,
 * x0 = 0, its TLS register (TPIDR_EL0, through the kernel's TCB_READ_TLS/WRITE_TLS) and
 * a copy-on-write image of the parent's memory. */
static int64_t do_fork(struct proc *p, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t tls,
                       uint64_t ctid)
{
	struct proc *c = proc_alloc();
	if (!c)
		return -LINUX_EAGAIN;
	memcpy(c->name, p->name, sizeof(c->name));
	memcpy(c->exe, p->exe, sizeof(c->exe));
	c->exe_real = p->exe_real;
	memcpy(c->comm, p->comm, sizeof(c->comm));
	c->umask = p->umask;
	if (p->cmdline && (c->cmdline = malloc(p->cmdline_len)) != NULL) {
		memcpy(c->cmdline, p->cmdline, p->cmdline_len);
		c->cmdline_len = p->cmdline_len;
	}
	c->ppid = (flags & CLONE_PARENT) ? p->ppid : p->pid;
	c->pgid = p->pgid;
	c->sid = p->sid;
	c->brk_start = p->brk_start;
	c->brk = p->brk;
	signal_fork(p, c);
	struct m6_tcb_registers r;
	uint64_t tp = 0;
	int e = mem_proc_make(c);
	bool files = false;
	if (e == 0)
		e = mem_fork(p, c);
	if (e == 0 && (e = fd_fork(p, c)) == 0)
		files = true;
	if (e == 0 && (m6_tcb_read_registers(shim_call.tcb, &r) != M6_OK ||
	               m6_tcb_read_tls(shim_call.tcb, &tp) != M6_OK))
		e = -LINUX_EINVAL;
	if (e) {
		/* the pool, the ASIDs or the CNode ran out: the parent goes on */
		if (files)
			fd_proc_exit(c);
		mem_proc_clear(c);
		return e == -LINUX_EINVAL ? e : -LINUX_EAGAIN;
	}
	c->used = true;
	live++;
	if (flags & CLONE_SETTLS)
		tp = tls;
	if (flags & CLONE_CHILD_CLEARTID)
		c->clear_tid = ctid;
	int32_t pid = c->pid;
	if (flags & CLONE_CHILD_SETTID)
		mem_copy_out(c, ctid, &pid, sizeof(pid));
	if (flags & CLONE_PARENT_SETTID)
		mem_copy_out(p, ptid, &pid, sizeof(pid));
	/* the child goes on after the svc with the parent's registers and flags, x0 = 0 */
	r.x[0] = 0;
	r.pc = shim_call.pc;
	r.sp = stack ? stack : r.sp;
	if (m6_tcb_set_priority(c->tcb, M6_CAP_SELF_TCB, LINUX_PROCESS_PRIORITY) != M6_OK ||
	    m6_tcb_write_tls(c->tcb, tp) != M6_OK ||
	    m6_tcb_write_all_registers(c->tcb, true, &r) != M6_OK) {
		shim_log("linux: %s: cannot start a forked thread", p->name);
		proc_end(c, LINUX_SIGKILL);
		return -LINUX_EAGAIN;
	}
	return pid;
}

int64_t proc_sys_clone(struct proc *p, const uint64_t a[6])
{
	/* AArch64 order: flags, stack, parent_tid, tls, child_tid */
	uint64_t flags = a[0];
	if (flags & CLONE_VFORK)
		flags &= ~(uint64_t)CLONE_VM; /* vfork runs as fork (docs/linux.md) */
	if (flags & (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND))
		return thread_clone(p, flags, a[1], a[2], a[3], a[4]);
	return do_fork(p, flags, a[1], a[2], a[3], a[4]);
}

/* clone3(args, size): struct clone_args { flags, pidfd, child_tid, parent_tid,
 * exit_signal, stack, stack_size, tls, ... } (glibc's pthread_create tries it first). */
int64_t proc_sys_clone3(struct proc *p, const uint64_t a[6])
{
	uint64_t ca[8];
	if (a[1] < sizeof(ca) || a[1] > 4096)
		return -LINUX_EINVAL;
	int e = mem_copy_in(p, ca, a[0], sizeof(ca));
	if (e)
		return e;
	uint64_t flags = ca[0], stack = ca[5], size = ca[6];
	if ((flags >> 32) || ca[4] > 64 || (stack == 0) != (size == 0))
		return -LINUX_EINVAL;
	uint64_t top = stack ? stack + size : 0;
	const uint64_t c[6] = {flags | ca[4], top, ca[3], ca[7], ca[2], 0};
	return proc_sys_clone(p, c);
}

void proc_on_exec(struct proc *p)
{
	p->clear_tid = 0;
	fd_exec(p);     /* close-on-exec descriptors */
	signal_exec(p); /* handled signals back to SIG_DFL */
}

/* ---- process groups and sessions ---- */

int64_t proc_sys_setpgid(struct proc *p, const uint64_t a[6])
{
	int32_t pid = (int32_t)a[0], pgid = (int32_t)a[1];
	if (pgid < 0)
		return -LINUX_EINVAL;
	struct proc *t = pid == 0 ? p : proc_by_pid(pid);
	if (!t || t->zombie || (t != p && t->ppid != p->pid))
		return -LINUX_ESRCH;
	if (t->sid != p->sid || t->pid == t->sid)
		return -LINUX_EPERM; /* another session, or a session leader */
	if (pgid == 0)
		pgid = t->pid;
	if (pgid != t->pid) {
		/* the group must exist in the same session */
		bool found = false;
		for (unsigned i = 0; i < LINUX_MAX_PROCS && !found; i++)
			found = procs[i].used && !procs[i].zombie && procs[i].pgid == pgid &&
			        procs[i].sid == t->sid;
		if (!found)
			return -LINUX_EPERM;
	}
	t->pgid = pgid;
	return 0;
}

static struct proc *pid_arg(struct proc *p, uint64_t a)
{
	int32_t pid = (int32_t)a;
	return pid == 0 ? p : proc_by_pid(pid);
}

int64_t proc_sys_getpgid(struct proc *p, const uint64_t a[6])
{
	struct proc *t = pid_arg(p, a[0]);
	return t ? t->pgid : -LINUX_ESRCH;
}

int64_t proc_sys_getsid(struct proc *p, const uint64_t a[6])
{
	struct proc *t = pid_arg(p, a[0]);
	return t ? t->sid : -LINUX_ESRCH;
}

int64_t proc_sys_setsid(struct proc *p, const uint64_t a[6])
{
	(void)a;
	/* a group leader cannot start a session: its group would span two */
	for (unsigned i = 0; i < LINUX_MAX_PROCS; i++)
		if (procs[i].used && procs[i].pgid == p->pid)
			return -LINUX_EPERM;
	p->sid = p->pgid = p->pid;
	return p->sid;
}
