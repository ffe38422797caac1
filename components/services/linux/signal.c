/* POSIX/Linux signals (signal.h; docs/linux.md, "Signals"): pending sets, default actions,
 * arm64 rt_sigframes, rt_sigreturn, stop and continue, and the system calls. */
#include <string.h>

#include <m6/invocations.h>
#include <m6/time.h>

#include "block.h"
#include "elf.h"
#include "shim.h"
#include "sigframe.h"
#include "signal.h"

#define LINUX_EPERM   1
#define LINUX_ESRCH   3
#define LINUX_EINTR   4
#define LINUX_ENOMEM  12

#define SIG_DFL       0
#define SIG_IGN       1

#define SA_NOCLDSTOP  0x00000001u
#define SA_NOCLDWAIT  0x00000002u
#define SA_SIGINFO    0x00000004u
#define SA_RESTORER   0x04000000u
#define SA_ONSTACK    0x08000000u
#define SA_RESTART    0x10000000u
#define SA_NODEFER    0x40000000u
#define SA_RESETHAND  0x80000000u

#define SS_ONSTACK    1
#define SS_DISABLE    2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ   5120 /* arm64 */

/* si_code values */
#define SI_USER       0
#define SI_KERNEL     0x80
#define SI_TKILL      (-6)
#define CLD_EXITED    1
#define CLD_KILLED    2
#define CLD_DUMPED    3
#define CLD_STOPPED   5
#define CLD_CONTINUED 6

#define BIT(sig)      ((uint64_t)1 << ((sig)-1))
#define UNBLOCKABLE   (BIT(LINUX_SIGKILL) | BIT(LINUX_SIGSTOP))
#define STOP_SIGNALS  (BIT(LINUX_SIGSTOP) | BIT(20) | BIT(21) | BIT(22))
/* Signals a fault raises: delivered before others, as Linux dequeues them first. */
#define SYNC_SIGNALS                                                                       \
	(BIT(LINUX_SIGSEGV) | BIT(LINUX_SIGBUS) | BIT(LINUX_SIGILL) | BIT(LINUX_SIGTRAP) | \
	 BIT(LINUX_SIGFPE) | BIT(LINUX_SIGSYS))

enum action { ACT_TERM, ACT_CORE, ACT_IGNORE, ACT_STOP, ACT_CONT };

static enum action default_action(int sig)
{
	switch (sig) {
	case LINUX_SIGQUIT:
	case LINUX_SIGILL:
	case LINUX_SIGTRAP:
	case LINUX_SIGABRT:
	case LINUX_SIGBUS:
	case LINUX_SIGFPE:
	case LINUX_SIGSEGV:
	case LINUX_SIGXCPU:
	case LINUX_SIGXFSZ:
	case LINUX_SIGSYS:
		return ACT_CORE;
	case LINUX_SIGCHLD:
	case LINUX_SIGURG:
	case LINUX_SIGWINCH:
		return ACT_IGNORE;
	case LINUX_SIGSTOP:
	case LINUX_SIGTSTP:
	case LINUX_SIGTTIN:
	case LINUX_SIGTTOU:
		return ACT_STOP;
	case LINUX_SIGCONT:
		return ACT_CONT;
	default:
		return ACT_TERM;
	}
}

static const char *const sig_names[] = {
    "0",         "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
    "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
    "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
    "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS",
};

static const char *sig_name(int sig)
{
	return sig > 0 && sig < 32 ? sig_names[sig] : "a real-time signal";
}

/* ---- threads ---- */

static struct sig_thread *st_of(struct proc *p, struct lthread *t)
{
	return t ? &t->sigt : &p->sigt;
}

static m6_cptr_t tcb_of(struct proc *p, struct lthread *t)
{
	return t ? t->tcb : p->tcb;
}

static bool proc_alive(const struct proc *p)
{
	return p && p->used && !p->zombie;
}

static bool thread_alive(struct proc *p, struct lthread *t)
{
	if (!proc_alive(p))
		return false;
	return t ? t->used && t->p == p : !p->main_exited;
}

/* Whether (p, t) is the thread whose call the shim is serving right now. */
static bool is_current(struct proc *p, struct lthread *t)
{
	return shim_call.busy && shim_call.p == p && shim_call.thr == t;
}

static struct blocked *parked_call(struct proc *p, struct lthread *t)
{
	m6_cptr_t tcb = tcb_of(p, t);
	for (struct blocked *b = block_next(NULL); b; b = block_next(b))
		if (b->p == p && b->tcb == tcb)
			return b;
	return NULL;
}

/* The lthread of a parked call (NULL: the main thread). */
static struct lthread *thread_of_tcb(struct proc *p, m6_cptr_t tcb)
{
	for (unsigned i = 0; i < LINUX_MAX_THREADS; i++)
		if (threads[i].used && threads[i].p == p && threads[i].tcb == tcb)
			return &threads[i];
	return NULL;
}

/* ---- pending sets ---- */

/* The signal to deliver next to this thread (0: none): synchronous ones first, then the
 * lowest number, from its own set and its process's. */
static int next_signal(struct proc *p, struct sig_thread *st)
{
	uint64_t ready = (st->pending | p->sig.pending) & ~st->mask;
	if (!ready)
		return 0;
	uint64_t sync = ready & SYNC_SIGNALS;
	if (sync)
		ready = sync;
	return __builtin_ctzll(ready) + 1;
}

static void take_signal(struct proc *p, struct sig_thread *st, int sig, struct linux_siginfo *info)
{
	if (st->pending & BIT(sig)) {
		st->pending &= ~BIT(sig);
		*info = st->info[sig - 1];
	} else {
		p->sig.pending &= ~BIT(sig);
		*info = p->sig.info[sig - 1];
	}
}

static bool is_ignored(const struct proc *p, int sig)
{
	const struct linux_sigaction *a = &p->sig.act[sig - 1];
	return a->handler == SIG_IGN ||
	       (a->handler == SIG_DFL && default_action(sig) == ACT_IGNORE);
}

/* Drop sig from p's and all its threads' pending sets (it became ignored, or SIGCONT
 * cancels stops and a stop cancels SIGCONT). */
static void flush_signals(struct proc *p, uint64_t set)
{
	p->sig.pending &= ~set;
	p->sigt.pending &= ~set;
	for (unsigned i = 0; i < LINUX_MAX_THREADS; i++)
		if (threads[i].used && threads[i].p == p)
			threads[i].sigt.pending &= ~set;
}

/* ---- the end, stop and continue of a process ---- */

static void kill_process(struct proc *p, struct sig_thread *st, int sig)
{
	if (!proc_alive(p))
		return;
	if (st && st->fault)
		shim_log("linux: %s: killed: %s at 0x%llx (pc 0x%llx): %s", p->name,
		         sig == LINUX_SIGSEGV ? "bad access" : "fault",
		         (unsigned long long)st->fault_addr, (unsigned long long)st->fault_pc,
		         sig_name(sig));
	else if (!shim_interactive) /* on a terminal the shell reports its jobs' ends */
		shim_log("linux: %s: killed by %s", p->name, sig_name(sig));
	proc_end_signal(p, sig);
}

static void notify_parent(struct proc *p, int code, int status)
{
	struct proc *parent = proc_by_pid(p->ppid);
	if (!proc_alive(parent))
		return;
	if ((code == CLD_STOPPED || code == CLD_CONTINUED) &&
	    (parent->sig.act[LINUX_SIGCHLD - 1].flags & SA_NOCLDSTOP))
		return;
	struct linux_siginfo info = {
	    .signo = LINUX_SIGCHLD, .code = code, .pid = p->pid, .status = status};
	signal_post(parent, NULL, LINUX_SIGCHLD, &info, false);
}

/* Stop every thread of p: those in user space are suspended now; a parked call stays
 * parked (block_run leaves it alone while p is stopped); the current one stops on its way
 * out (resume_with). */
static void stop_process(struct proc *p, int sig)
{
	if (p->sig.stopped)
		return;
	p->sig.stopped = true;
	p->sig.stop_report = sig;
	p->sig.cont_report = false;
	for (int i = -1; i < (int)LINUX_MAX_THREADS; i++) {
		struct lthread *t = i < 0 ? NULL : &threads[i];
		if (!thread_alive(p, t) || is_current(p, t) || parked_call(p, t))
			continue;
		struct sig_thread *st = st_of(p, t);
		if (!st->stopped) {
			m6_tcb_suspend(tcb_of(p, t));
			st->stopped = true;
		}
	}
	notify_parent(p, CLD_STOPPED, sig);
}

/* Whether group pgid is orphaned: no member has a parent in another group of the same
 * session, init not counting (Linux's will_become_orphaned_pgrp). The terminal stop
 * signals are discarded in an orphaned group: nobody would ever continue it. */
static bool pgrp_orphaned(int pgid)
{
	for (unsigned i = 0; i < LINUX_MAX_PROCS; i++) {
		const struct proc *q = &procs[i];
		if (!proc_alive(q) || q->pgid != pgid)
			continue;
		const struct proc *parent = proc_by_pid(q->ppid);
		if (proc_alive(parent) && parent->pid != 1 && parent->pgid != pgid &&
		    parent->sid == q->sid)
			return false;
	}
	return true;
}

/* A default stop by sig: SIGSTOP always, the others not in an orphaned group. */
static void default_stop(struct proc *p, int sig)
{
	if (sig == LINUX_SIGSTOP || !pgrp_orphaned(p->pgid))
		stop_process(p, sig);
}

static void kick(struct proc *p, struct lthread *t);

static void continue_process(struct proc *p)
{
	if (!p->sig.stopped)
		return;
	p->sig.stopped = false;
	p->sig.stop_report = 0;
	p->sig.cont_report = true;
	for (int i = -1; i < (int)LINUX_MAX_THREADS; i++) {
		struct lthread *t = i < 0 ? NULL : &threads[i];
		if (!thread_alive(p, t) || !st_of(p, t)->stopped)
			continue;
		st_of(p, t)->stopped = false;
		if (next_signal(p, st_of(p, t)))
			kick(p, t); /* it is suspended: delivered on its way out */
		else
			m6_tcb_resume(tcb_of(p, t));
	}
	notify_parent(p, CLD_CONTINUED, LINUX_SIGCONT);
}

/* ---- the signal frame (arm64 Linux's struct rt_sigframe, sigframe.c) ---- */

#define RECORD_SIZE 16 /* the frame record {x29, x30} above the frame */

static uint8_t frame_buf[SIGFRAME_SIZE + RECORD_SIZE];
static struct sigframe_content frame_content;

static void put32(uint8_t *at, uint32_t v)
{
	memcpy(at, &v, 4);
}

static void put64(uint8_t *at, uint64_t v)
{
	memcpy(at, &v, 8);
}

static bool on_alt_stack(const struct sig_thread *st, uint64_t sp)
{
	return st->ss_size && !(st->ss_flags & SS_DISABLE) && sp > st->ss_sp &&
	       sp - st->ss_sp <= st->ss_size;
}

/* siginfo_t: signo, errno, code, then the union at 16. */
static void put_siginfo(uint8_t *si, const struct linux_siginfo *info)
{
	memset(si, 0, SIGFRAME_SIGINFO_SIZE);
	put32(si, (uint32_t)info->signo);
	put32(si + 8, (uint32_t)info->code);
	switch (info->signo) {
	case LINUX_SIGSEGV:
	case LINUX_SIGBUS:
	case LINUX_SIGILL:
	case LINUX_SIGFPE:
	case LINUX_SIGTRAP:
		if (info->code > 0 && info->code != SI_KERNEL) {
			put64(si + 16, info->addr);
			break;
		}
		/* fall through: sent by kill, it carries the sender */
	default:
		put32(si + 16, (uint32_t)info->pid);
		put32(si + 20, (uint32_t)info->uid);
		if (info->signo == LINUX_SIGCHLD && info->code > 0)
			put32(si + 24, (uint32_t)info->status);
	}
}

/* Build the frame for a handler of sig on the thread's stack (or alternate stack) and
 * point the registers at the handler. False when the frame cannot be written. */
static bool push_frame(struct proc *p, struct sig_thread *st, int sig,
                       const struct linux_siginfo *info, const struct linux_sigaction *a,
                       struct m6_tcb_registers *r, const struct m6_tcb_fpu *fpu)
{
	uint64_t sp = r->sp;
	bool was_on_alt = on_alt_stack(st, sp);
	if ((a->flags & SA_ONSTACK) && st->ss_size && !(st->ss_flags & SS_DISABLE) && !was_on_alt)
		sp = st->ss_sp + st->ss_size;
	uint64_t frame = (sp - SIGFRAME_SIZE - RECORD_SIZE) & ~(uint64_t)15;
	if (frame >= sp)
		return false;
	uint8_t si[SIGFRAME_SIGINFO_SIZE];
	put_siginfo(si, info);
	struct sigframe_content *c = &frame_content;
	memset(c, 0, sizeof(*c));
	/* uc_stack: the alternate stack as it was, SS_ONSTACK if the thread ran on it */
	c->ss_sp = st->ss_sp;
	c->ss_size = st->ss_size;
	c->ss_flags = was_on_alt ? SS_ONSTACK : (st->ss_size == 0 ? SS_DISABLE : st->ss_flags);
	c->mask = st->restore_mask ? st->saved_mask : st->mask;
	c->fault_address = st->fault ? st->fault_addr : 0;
	memcpy(c->x, r->x, sizeof(c->x));
	c->sp = r->sp;
	c->pc = r->pc;
	c->pstate = r->spsr;
	c->fpsr = fpu->fpsr;
	c->fpcr = fpu->fpcr;
	memcpy(c->v, fpu->v, sizeof(c->v));
	c->has_esr = st->fault;
	c->esr = st->fault_esr;
	sigframe_encode(frame_buf, si, c);
	/* the frame record above it, as a function's: x29 and x30 of the interrupted code */
	put64(frame_buf + SIGFRAME_SIZE, r->x[29]);
	put64(frame_buf + SIGFRAME_SIZE + 8, r->x[30]);
	if (mem_copy_out(p, frame, frame_buf, SIGFRAME_SIZE + RECORD_SIZE) != 0)
		return false;
	r->x[0] = (uint64_t)sig;
	if (a->flags & SA_SIGINFO) {
		r->x[1] = frame;
		r->x[2] = frame + SIGFRAME_UC;
	}
	r->x[29] = frame + SIGFRAME_SIZE;
	r->x[30] = (a->flags & SA_RESTORER) && a->restorer ? a->restorer : proc_sigreturn_addr(p);
	r->sp = frame;
	r->pc = a->handler;
	if ((a->flags & SA_ONSTACK) && (st->ss_flags & SS_AUTODISARM) && !was_on_alt) {
		st->ss_sp = 0;
		st->ss_size = 0;
		st->ss_flags = SS_DISABLE;
	}
	/* the handler's mask; the frame keeps the one to go back to */
	uint64_t base = st->mask;
	st->restore_mask = false;
	st->mask = (base | a->mask | (a->flags & SA_NODEFER ? 0 : BIT(sig))) & ~UNBLOCKABLE;
	return true;
}

/* The one place a Linux thread goes back to user space with a full register set: deliver
 * what is pending and deliverable (default actions; a frame for each handler, nesting as
 * Linux does), then write the registers and resume it. The thread is not running. */
static void resume_with(struct proc *p, struct lthread *t, struct m6_tcb_registers *r)
{
	struct sig_thread *st = st_of(p, t);
	m6_cptr_t tcb = tcb_of(p, t);
	/* on the stack: a stop or a death here signals the parent, whose delivery (nested)
	 * reads its own FP state */
	struct m6_tcb_fpu fpu;
	bool have_fpu = false;
	for (;;) {
		if (!proc_alive(p))
			return;
		if (p->sig.stopped) {
			/* stays suspended with these registers until SIGCONT */
			m6_tcb_write_all_registers(tcb, false, r);
			st->stopped = true;
			return;
		}
		int sig = next_signal(p, st);
		if (!sig)
			break;
		struct linux_siginfo info;
		take_signal(p, st, sig, &info);
		struct linux_sigaction *a = &p->sig.act[sig - 1];
		if (a->handler == SIG_IGN)
			continue;
		if (a->handler == SIG_DFL) {
			switch (default_action(sig)) {
			case ACT_IGNORE:
			case ACT_CONT:
				continue;
			case ACT_STOP:
				default_stop(p, sig);
				continue;
			case ACT_TERM:
			case ACT_CORE:
				kill_process(p, st, sig);
				return;
			}
		}
		if (!have_fpu) {
			if (m6_tcb_read_fpu(tcb, &fpu) != M6_OK) {
				kill_process(p, st, LINUX_SIGSEGV);
				return;
			}
			have_fpu = true;
		}
		struct linux_sigaction act = *a;
		if (a->flags & SA_RESETHAND)
			a->handler = SIG_DFL; /* the flags stay, as Linux leaves them */
		if (!push_frame(p, st, sig, &info, &act, r, &fpu)) {
			/* no room for the frame: as Linux, SIGSEGV by its default action */
			st->fault = false;
			kill_process(p, st, LINUX_SIGSEGV);
			return;
		}
		st->fault = false;
	}
	st->fault = false;
	/* a temporary mask (sigsuspend, ppoll) no frame took over ends here */
	if (st->restore_mask) {
		st->mask = st->saved_mask;
		st->restore_mask = false;
	}
	m6_tcb_write_all_registers(tcb, true, r);
}

/* The thread is not running and owes no answer: read its registers, adjusted by the
 * caller, then go out through resume_with. */
static void deliver_stopped_thread(struct proc *p, struct lthread *t, bool parked,
                                   struct blocked *b, int64_t result, bool restart)
{
	struct m6_tcb_registers r;
	if (m6_tcb_read_registers(tcb_of(p, t), &r) != M6_OK) {
		kill_process(p, st_of(p, t), LINUX_SIGKILL);
		return;
	}
	if (parked) {
		/* as the svc left them: x0 the first argument, x8 the number */
		r.pc = b->pc;
		r.sp = b->sp;
		if (restart)
			r.pc -= 4; /* back onto the svc: the call is made again */
		else
			r.x[0] = (uint64_t)result;
	}
	resume_with(p, t, &r);
}

/* Parked calls SA_RESTART makes again; the others end with -EINTR (as Linux's
 * -ERESTARTSYS and -ERESTARTNOHAND / restart_block calls). */
static bool restartable(const struct blocked *b)
{
	switch (b->nr) {
	case 63:  /* read */
	case 64:  /* write */
	case 65:  /* readv */
	case 66:  /* writev */
	case 95:  /* waitid */
	case 260: /* wait4 */
		return true;
	case 98: /* futex: without a timeout */
		return b->deadline == 0;
	default:
		return false;
	}
}

static int64_t timedwait_marker(struct blocked *b);

/* A signal became pending for thread t: bring the thread to it if it needs the thread
 * (a handler); default actions that do not are carried out at once. */
static void kick(struct proc *p, struct lthread *t)
{
	if (!thread_alive(p, t) || is_current(p, t))
		return; /* the current call delivers on its way out */
	struct sig_thread *st = st_of(p, t);
	for (;;) {
		if (!proc_alive(p) || p->sig.stopped)
			return;
		int sig = next_signal(p, st);
		if (!sig)
			return;
		const struct linux_sigaction *a = &p->sig.act[sig - 1];
		if (a->handler == SIG_IGN ||
		    (a->handler == SIG_DFL &&
		     (default_action(sig) == ACT_IGNORE || default_action(sig) == ACT_CONT))) {
			struct linux_siginfo info;
			take_signal(p, st, sig, &info);
			continue;
		}
		if (a->handler == SIG_DFL) {
			struct linux_siginfo info;
			take_signal(p, st, sig, &info);
			if (default_action(sig) == ACT_STOP) {
				default_stop(p, sig);
				continue;
			}
			kill_process(p, st, sig);
			return;
		}
		break; /* a handler: the thread must run it */
	}
	if (st->stopped)
		return; /* resumed (and delivered to) by SIGCONT */
	struct blocked *b = parked_call(p, t);
	if (b) {
		if (b->obj == (void *)timedwait_marker)
			return; /* rt_sigtimedwait takes its signals itself (its check) */
		int sig = next_signal(p, st);
		bool restart =
		    (p->sig.act[sig - 1].flags & SA_RESTART) && restartable(b) && sig != 0;
		struct blocked copy = *b;
		block_forget(b);
		deliver_stopped_thread(p, t, true, &copy, -LINUX_EINTR, restart);
		return;
	}
	/* running in user space (or its svc still queued: the kernel puts it back onto the
	 * svc when suspended, so it is made again after the handler) */
	m6_tcb_suspend(tcb_of(p, t));
	deliver_stopped_thread(p, t, false, NULL, 0, false);
}

/* ---- sending ---- */

/* Make sig pending on p (t NULL and !directed: process-directed, a thread that does not
 * block it is chosen) or on thread t, and act on it. */
void signal_post(struct proc *p, struct lthread *t, int sig, const struct linux_siginfo *info,
                 bool directed)
{
	if (!proc_alive(p))
		return;
	if (sig == LINUX_SIGKILL) {
		kill_process(p, NULL, sig);
		return;
	}
	if (sig == LINUX_SIGCONT) {
		flush_signals(p, STOP_SIGNALS);
		continue_process(p);
	} else if (BIT(sig) & STOP_SIGNALS) {
		flush_signals(p, BIT(LINUX_SIGCONT));
	}
	/* An ignored signal is discarded at once, unless blocked: the handler may change by
	 * the time it is unblocked (Linux keeps it too). */
	struct sig_thread *target = directed ? st_of(p, t) : NULL;
	if (is_ignored(p, sig)) {
		bool blocked_somewhere =
		    directed ? (target->mask & BIT(sig)) != 0 : (p->sigt.mask & BIT(sig)) != 0;
		if (!blocked_somewhere)
			return;
	}
	if (directed) {
		if (!(target->pending & BIT(sig))) /* standard signals do not queue */
			target->info[sig - 1] = *info;
		target->pending |= BIT(sig);
		kick(p, t);
		return;
	}
	if (!(p->sig.pending & BIT(sig)))
		p->sig.info[sig - 1] = *info;
	p->sig.pending |= BIT(sig);
	/* a thread that does not block it: the current one if it is p's, else the first */
	if (shim_call.busy && shim_call.p == p && !(st_of(p, shim_call.thr)->mask & BIT(sig)))
		return; /* delivered when its call returns */
	for (int i = -1; i < (int)LINUX_MAX_THREADS; i++) {
		struct lthread *th = i < 0 ? NULL : &threads[i];
		if (thread_alive(p, th) && !(st_of(p, th)->mask & BIT(sig))) {
			kick(p, th);
			return;
		}
	}
}

int signal_send_proc(struct proc *p, int sig)
{
	if (sig < 0 || sig > LINUX_NSIG)
		return -LINUX_EINVAL;
	if (!proc_alive(p))
		return -LINUX_ESRCH;
	if (sig == 0)
		return 0;
	struct linux_siginfo info = {.signo = sig, .code = SI_KERNEL};
	signal_post(p, NULL, sig, &info, false);
	return 0;
}

int signal_send_group(int pgid, int sig)
{
	if (sig < 0 || sig > LINUX_NSIG)
		return -LINUX_EINVAL;
	bool found = false;
	for (unsigned i = 0; i < LINUX_MAX_PROCS; i++)
		if (proc_alive(&procs[i]) && procs[i].pgid == pgid) {
			found = true;
			signal_send_proc(&procs[i], sig);
		}
	return found ? 0 : -LINUX_ESRCH;
}

void signal_pipe(struct proc *p)
{
	/* as Linux's send_sig(SIGPIPE, current): process-directed, the calling thread first */
	struct linux_siginfo info = {.signo = LINUX_SIGPIPE, .code = SI_USER, .pid = p->pid};
	signal_post(p, NULL, LINUX_SIGPIPE, &info, false);
}

void signal_child_exit(struct proc *parent, struct proc *child, int wstatus)
{
	if (!proc_alive(parent))
		return;
	int sig = wstatus & 0x7f;
	struct linux_siginfo info = {.signo = LINUX_SIGCHLD,
	                             .code = sig ? ((wstatus & 0x80) ? CLD_DUMPED : CLD_KILLED)
	                                         : CLD_EXITED,
	                             .pid = child->pid,
	                             .status = sig ? sig : (wstatus >> 8) & 0xff};
	signal_post(parent, NULL, LINUX_SIGCHLD, &info, false);
}

bool signal_autoreap(struct proc *p)
{
	const struct linux_sigaction *a = &p->sig.act[LINUX_SIGCHLD - 1];
	return a->handler == SIG_IGN || (a->flags & SA_NOCLDWAIT);
}

/* ---- the paths back to user space ---- */

bool signal_proc_stopped(const struct proc *p)
{
	return p->sig.stopped;
}

/* rt_sigsuspend's and ppoll's temporary mask ends with the call, unless a handler runs
 * for it (the frame then keeps the old mask for sigreturn). */
static void end_temp_mask(struct sig_thread *st, int64_t result)
{
	if (st->restore_mask && result != -LINUX_EINTR) {
		st->mask = st->saved_mask;
		st->restore_mask = false;
	}
}

bool signal_syscall_return(uint64_t ret)
{
	struct proc *p = shim_call.p;
	struct lthread *t = shim_call.thr;
	if (!thread_alive(p, t))
		return true; /* it ended (exit, kill, exec failure): nothing to answer */
	struct sig_thread *st = st_of(p, t);
	end_temp_mask(st, (int64_t)ret);
	if (!p->sig.stopped && !next_signal(p, st))
		return false;
	/* Suspended, the thread no longer waits for the answer; its pc is past the svc. */
	m6_tcb_suspend(shim_call.tcb);
	shim_call.busy = false;
	struct m6_tcb_registers r;
	if (m6_tcb_read_registers(shim_call.tcb, &r) != M6_OK) {
		kill_process(p, st, LINUX_SIGKILL);
		return true;
	}
	r.x[0] = ret;
	resume_with(p, t, &r);
	return true;
}

void signal_fault(int sig, int code, uint64_t addr, uint64_t esr, uint64_t pc, const char *why)
{
	struct proc *p = shim_call.p;
	struct lthread *t = shim_call.thr;
	struct sig_thread *st = st_of(p, t);
	(void)why;
	/* As Linux forces a fault's signal: blocked or ignored, it gets its default action. */
	struct linux_sigaction *a = &p->sig.act[sig - 1];
	if ((st->mask & BIT(sig)) || a->handler == SIG_IGN) {
		st->mask &= ~BIT(sig);
		a->handler = SIG_DFL;
	}
	st->info[sig - 1] = (struct linux_siginfo){.signo = sig, .code = code, .addr = addr};
	st->pending |= BIT(sig);
	st->fault = true;
	st->fault_addr = addr;
	st->fault_esr = esr;
	st->fault_pc = pc;
	m6_tcb_suspend(shim_call.tcb);
	shim_call.busy = false;
	deliver_stopped_thread(p, t, false, NULL, 0, false);
}

bool signal_resume_parked(struct blocked *b, int64_t result)
{
	struct proc *p = b->p;
	struct lthread *t = b->tcb == p->tcb ? NULL : thread_of_tcb(p, b->tcb);
	struct sig_thread *st = st_of(p, t);
	end_temp_mask(st, result);
	if (!p->sig.stopped && !next_signal(p, st))
		return false;
	struct blocked copy = *b;
	block_forget(b);
	deliver_stopped_thread(p, t, true, &copy, result, false);
	return true;
}

/* ---- lifecycle ---- */

uint64_t proc_sigreturn_addr(struct proc *p)
{
	return p->sig.sigpage;
}

/* Below the stack's top guard: a page the process cannot write. */
#define LINUX_SIGPAGE (LINUX_STACK_TOP + 0x10000u)

int signal_map_sigpage(struct proc *p)
{
	/* With a vDSO, handlers return to its __kernel_rt_sigreturn as on arm64 Linux (its
	 * unwind notes describe this frame); the page below is for a shim without one. */
	uint64_t vdso_tramp = vdso_symbol(p, "__kernel_rt_sigreturn");
	if (vdso_tramp) {
		p->sig.sigpage = vdso_tramp;
		return 0;
	}
	/* mov x8, #139 (rt_sigreturn); svc #0 */
	static const uint32_t code[2] = {0xd2801168u, 0xd4000001u};
	int e = mem_vma_add(p, LINUX_SIGPAGE, LINUX_SIGPAGE + PAGE_SIZE,
	                    ELF_PROT_READ | ELF_PROT_EXEC, VMA_IMAGE);
	if (e == 0)
		e = mem_copy_out(p, LINUX_SIGPAGE, code, sizeof(code));
	if (e)
		return e;
	mem_sync_code(p, LINUX_SIGPAGE, LINUX_SIGPAGE + sizeof(code));
	p->sig.sigpage = LINUX_SIGPAGE;
	return 0;
}

static void thread_reset(struct sig_thread *st, uint64_t mask)
{
	memset(st, 0, sizeof(*st));
	st->mask = mask;
	st->ss_flags = SS_DISABLE;
}

void signal_proc_init(struct proc *p)
{
	memset(&p->sig, 0, sizeof(p->sig));
	thread_reset(&p->sigt, 0);
}

void signal_fork(struct proc *parent, struct proc *child)
{
	struct sig_thread *from = st_of(parent, shim_call.thr);
	signal_proc_init(child);
	memcpy(child->sig.act, parent->sig.act, sizeof(child->sig.act));
	child->sig.sigpage = parent->sig.sigpage;
	child->sigt.mask = from->mask;
	child->sigt.ss_sp = from->ss_sp;
	child->sigt.ss_size = from->ss_size;
	child->sigt.ss_flags = from->ss_flags;
}

void signal_thread_init(struct proc *p, struct lthread *t)
{
	/* a thread made while the caller runs on its alternate stack must not share it */
	thread_reset(&t->sigt, st_of(p, shim_call.thr)->mask);
}

void signal_exec(struct proc *p)
{
	for (int i = 0; i < LINUX_NSIG; i++) {
		struct linux_sigaction *a = &p->sig.act[i];
		uint64_t h = a->handler == SIG_IGN ? SIG_IGN : SIG_DFL;
		*a = (struct linux_sigaction){.handler = h};
	}
	p->sigt.ss_sp = p->sigt.ss_size = 0;
	p->sigt.ss_flags = SS_DISABLE;
	p->sigt.restore_mask = false;
}

/* ---- system calls ---- */

static int64_t check_set_size(uint64_t size)
{
	return size == 8 ? 0 : -LINUX_EINVAL;
}

int64_t signal_sys_rt_sigaction(struct proc *p, const uint64_t a[6])
{
	int sig = (int)a[0];
	if (a[0] < 1 || a[0] > LINUX_NSIG || check_set_size(a[3]))
		return -LINUX_EINVAL;
	struct linux_sigaction na;
	if (a[1]) {
		int e = mem_copy_in(p, &na, a[1], sizeof(na));
		if (e)
			return e;
		if (sig == LINUX_SIGKILL || sig == LINUX_SIGSTOP)
			return -LINUX_EINVAL;
	}
	if (a[2]) {
		int e = mem_copy_out(p, a[2], &p->sig.act[sig - 1], sizeof(na));
		if (e)
			return e;
	}
	if (a[1]) {
		na.mask &= ~UNBLOCKABLE;
		p->sig.act[sig - 1] = na;
		/* setting a pending signal to be ignored discards it */
		if (is_ignored(p, sig))
			flush_signals(p, BIT(sig));
	}
	return 0;
}

#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

int64_t signal_sys_rt_sigprocmask(struct proc *p, const uint64_t a[6])
{
	struct sig_thread *st = st_of(p, shim_call.thr);
	if (check_set_size(a[3]))
		return -LINUX_EINVAL;
	uint64_t set = 0;
	if (a[1]) {
		if (a[0] > SIG_SETMASK)
			return -LINUX_EINVAL;
		int e = mem_copy_in(p, &set, a[1], sizeof(set));
		if (e)
			return e;
	}
	if (a[2]) {
		int e = mem_copy_out(p, a[2], &st->mask, sizeof(st->mask));
		if (e)
			return e;
	}
	if (a[1]) {
		if (a[0] == SIG_BLOCK)
			st->mask |= set;
		else if (a[0] == SIG_UNBLOCK)
			st->mask &= ~set;
		else
			st->mask = set;
		st->mask &= ~UNBLOCKABLE;
	}
	return 0; /* what it unblocked is delivered on the way out (signal_syscall_return) */
}

int64_t signal_sys_rt_sigpending(struct proc *p, const uint64_t a[6])
{
	struct sig_thread *st = st_of(p, shim_call.thr);
	if (check_set_size(a[1]))
		return -LINUX_EINVAL;
	uint64_t set = (st->pending | p->sig.pending) & st->mask;
	return mem_copy_out(p, a[0], &set, sizeof(set));
}

int64_t signal_sys_rt_sigsuspend(struct proc *p, const uint64_t a[6])
{
	struct sig_thread *st = st_of(p, shim_call.thr);
	if (check_set_size(a[1]))
		return -LINUX_EINVAL;
	uint64_t set;
	int e = mem_copy_in(p, &set, a[0], sizeof(set));
	if (e)
		return e;
	st->saved_mask = st->mask;
	st->restore_mask = true;
	st->mask = set & ~UNBLOCKABLE;
	if (next_signal(p, st))
		return -LINUX_EINTR; /* delivered at once, on the way out */
	/* Parked until a signal it does not block interrupts it with -EINTR (kick). */
	if (!block_park(NULL, 0, 0)) {
		st->mask = st->saved_mask;
		st->restore_mask = false;
		return -LINUX_EAGAIN;
	}
	return LINUX_PARKED;
}

int64_t signal_temp_mask(struct proc *p, uint64_t mask_addr, uint64_t size)
{
	if (!mask_addr)
		return 0;
	struct sig_thread *st = st_of(p, shim_call.thr);
	if (check_set_size(size))
		return -LINUX_EINVAL;
	uint64_t set;
	int e = mem_copy_in(p, &set, mask_addr, sizeof(set));
	if (e)
		return e;
	st->saved_mask = st->mask;
	st->restore_mask = true;
	st->mask = set & ~UNBLOCKABLE;
	return next_signal(p, st) ? -LINUX_EINTR : 0;
}

/* rt_sigtimedwait's parked call: b->arg[0] the set, arg[1] the siginfo address. */
static int64_t timedwait_take(struct proc *p, struct sig_thread *st, uint64_t set,
                              uint64_t info_addr)
{
	uint64_t ready = (st->pending | p->sig.pending) & set;
	if (!ready)
		return LINUX_PARKED;
	int sig = __builtin_ctzll(ready) + 1;
	struct linux_siginfo info;
	take_signal(p, st, sig, &info);
	if (info_addr) {
		uint8_t si[SIGFRAME_SIGINFO_SIZE];
		put_siginfo(si, &info);
		int e = mem_copy_out(p, info_addr, si, sizeof(si));
		if (e)
			return e;
	}
	return sig;
}

static int64_t timedwait_marker(struct blocked *b)
{
	struct lthread *t = b->tcb == b->p->tcb ? NULL : thread_of_tcb(b->p, b->tcb);
	return timedwait_take(b->p, st_of(b->p, t), b->arg[0], b->arg[1]);
}

int64_t signal_sys_rt_sigtimedwait(struct proc *p, const uint64_t a[6])
{
	struct sig_thread *st = st_of(p, shim_call.thr);
	if (check_set_size(a[3]))
		return -LINUX_EINVAL;
	uint64_t set;
	int e = mem_copy_in(p, &set, a[0], sizeof(set));
	if (e)
		return e;
	set &= ~UNBLOCKABLE;
	int64_t r = timedwait_take(p, st, set, a[1]);
	if (r != LINUX_PARKED)
		return r;
	uint64_t deadline = 0;
	if (a[2]) {
		uint64_t ns;
		int64_t te = block_read_timespec(p, a[2], &ns);
		if (te)
			return te;
		if (ns == 0)
			return -LINUX_EAGAIN;
		deadline = block_deadline_in(ns);
	}
	struct blocked *b = block_park(timedwait_marker, deadline, -LINUX_EAGAIN);
	if (!b)
		return -LINUX_EAGAIN;
	b->obj = (void *)timedwait_marker;
	b->arg[0] = set;
	b->arg[1] = a[1];
	return LINUX_PARKED;
}

int64_t signal_sys_rt_sigreturn(struct proc *p, const uint64_t a[6])
{
	(void)a;
	struct lthread *t = shim_call.thr;
	struct sig_thread *st = st_of(p, t);
	uint64_t frame = shim_call.sp;
	/* The thread owes no answer: its registers come from the frame. */
	m6_tcb_suspend(shim_call.tcb);
	shim_call.busy = false;
	struct m6_tcb_registers r;
	static struct m6_tcb_fpu fpu;
	struct sigframe_content *c = &frame_content;
	const char *why = "not readable";
	bool ok = mem_copy_in(p, frame_buf, frame, SIGFRAME_SIZE) == 0 &&
	          sigframe_decode(frame_buf, c, &why);
	if (ok) {
		memcpy(r.x, c->x, sizeof(r.x));
		r.sp = c->sp;
		r.pc = c->pc;
		/* only the condition flags come back: the rest of PSTATE is the kernel's */
		r.spsr = c->pstate & M6_TCB_NZCV_MASK;
		fpu.fpsr = c->fpsr & (uint32_t)M6_TCB_FPSR_MASK;
		fpu.fpcr = c->fpcr & (uint32_t)M6_TCB_FPCR_MASK;
		memcpy(fpu.v, c->v, sizeof(fpu.v));
	}
	if (!ok || m6_tcb_write_fpu(shim_call.tcb, &fpu) != M6_OK) {
		shim_log("linux: %s: bad signal frame at 0x%llx: %s", p->name,
		         (unsigned long long)frame, ok ? "FP state refused" : why);
		kill_process(p, st, LINUX_SIGSEGV);
		return LINUX_PARKED;
	}
	st->mask = c->mask & ~UNBLOCKABLE;
	st->restore_mask = false;
	/* uc_stack: the alternate stack comes back as it was (not while running on it) */
	if (!on_alt_stack(st, r.sp)) {
		if (c->ss_flags & SS_DISABLE) {
			st->ss_sp = st->ss_size = 0;
			st->ss_flags = SS_DISABLE;
		} else if (c->ss_size >= MINSIGSTKSZ) {
			st->ss_sp = c->ss_sp;
			st->ss_size = c->ss_size;
			st->ss_flags = c->ss_flags & SS_AUTODISARM;
		}
	}
	resume_with(p, t, &r);
	return LINUX_PARKED; /* answered by resume_with's registers */
}

int64_t signal_sys_sigaltstack(struct proc *p, const uint64_t a[6])
{
	struct sig_thread *st = st_of(p, shim_call.thr);
	bool on = on_alt_stack(st, shim_call.sp);
	/* stack_t: ss_sp, ss_flags (int, padded), ss_size */
	uint64_t ns[3];
	if (a[0]) {
		int e = mem_copy_in(p, ns, a[0], sizeof(ns));
		if (e)
			return e;
	}
	if (a[1]) {
		uint64_t os[3] = {st->ss_sp,
		                  on ? SS_ONSTACK : (st->ss_size ? st->ss_flags : SS_DISABLE),
		                  st->ss_size};
		int e = mem_copy_out(p, a[1], os, sizeof(os));
		if (e)
			return e;
	}
	if (!a[0])
		return 0;
	uint32_t flags = (uint32_t)ns[1];
	if (on)
		return -LINUX_EPERM;
	uint32_t mode = flags & ~SS_AUTODISARM;
	if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
		return -LINUX_EINVAL;
	if (mode == SS_DISABLE) {
		st->ss_sp = st->ss_size = 0;
		st->ss_flags = SS_DISABLE;
		return 0;
	}
	if (ns[2] < MINSIGSTKSZ)
		return -LINUX_ENOMEM;
	st->ss_sp = ns[0];
	st->ss_size = ns[2];
	st->ss_flags = flags & SS_AUTODISARM;
	return 0;
}

static int64_t check_sig(uint64_t sig)
{
	return sig > LINUX_NSIG ? -LINUX_EINVAL : 0;
}

int64_t signal_sys_kill(struct proc *p, const uint64_t a[6])
{
	int32_t pid = (int32_t)a[0];
	int sig = (int)a[1];
	if (check_sig(a[1]))
		return -LINUX_EINVAL;
	struct linux_siginfo info = {.signo = sig, .code = SI_USER, .pid = p->pid};
	if (pid > 0) {
		struct proc *t = proc_by_pid(pid);
		if (!t || !t->used)
			return -LINUX_ESRCH;
		if (sig && !t->zombie)
			signal_post(t, NULL, sig, &info, false);
		return 0;
	}
	if (pid == INT32_MIN)
		return -LINUX_ESRCH;
	/* 0: the caller's group; -1: everyone but init and the caller; < -1: group -pid */
	int pgid = pid == 0 ? p->pgid : -pid;
	bool found = false;
	for (unsigned i = 0; i < LINUX_MAX_PROCS; i++) {
		struct proc *t = &procs[i];
		if (!t->used)
			continue;
		if (pid == -1 ? (t->pid == 1 || t == p) : t->pgid != pgid)
			continue;
		found = true;
		if (sig && !t->zombie)
			signal_post(t, NULL, sig, &info, false);
	}
	/* the caller's own signal is delivered when this call returns (signal_post) */
	return found ? 0 : -LINUX_ESRCH;
}

/* The thread tid of thread group tgid (tgid 0: any), or NULL. */
static bool find_thread(int tgid, int tid, struct proc **pp, struct lthread **tt)
{
	struct proc *p = proc_by_pid(tid);
	if (p && proc_alive(p) && !p->main_exited && (tgid <= 0 || p->pid == tgid)) {
		*pp = p;
		*tt = NULL;
		return true;
	}
	for (unsigned i = 0; i < LINUX_MAX_THREADS; i++) {
		struct lthread *t = &threads[i];
		if (t->used && t->tid == tid && proc_alive(t->p) &&
		    (tgid <= 0 || t->p->pid == tgid)) {
			*pp = t->p;
			*tt = t;
			return true;
		}
	}
	return false;
}

static int64_t thread_kill(struct proc *p, int tgid, int tid, uint64_t sig)
{
	if (check_sig(sig) || tid <= 0)
		return -LINUX_EINVAL;
	struct proc *tp;
	struct lthread *tt;
	if (!find_thread(tgid, tid, &tp, &tt))
		return -LINUX_ESRCH;
	if (sig == 0)
		return 0;
	struct linux_siginfo info = {.signo = (int)sig, .code = SI_TKILL, .pid = p->pid};
	signal_post(tp, tt, (int)sig, &info, true);
	return 0;
}

int64_t signal_sys_tkill(struct proc *p, const uint64_t a[6])
{
	return thread_kill(p, 0, (int32_t)a[0], a[1]);
}

int64_t signal_sys_tgkill(struct proc *p, const uint64_t a[6])
{
	if ((int32_t)a[0] <= 0)
		return -LINUX_EINVAL;
	return thread_kill(p, (int32_t)a[0], (int32_t)a[1], a[2]);
}
