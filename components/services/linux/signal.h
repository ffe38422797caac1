/* POSIX/Linux signals in the Linux shim (docs/linux.md, "Signals").
 *
 * A signal is made pending on a process (kill, SIGCHLD) or on one thread (tgkill, a fault,
 * SIGPIPE) and delivered when that thread is about to go back to user space: every path
 * that resumes a Linux thread with a full register set goes through one function in
 * signal.c (resume_with), which runs default actions, builds arm64 rt_sigframes for
 * handlers, then writes the registers and resumes the thread. A thread that is not in the
 * shim when a signal arrives is brought there: a parked call is completed (-EINTR or
 * restarted per SA_RESTART), a thread running in user space is suspended. */
#ifndef LINUX_SIGNAL_H
#define LINUX_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

struct proc;
struct lthread;
struct blocked;

#define LINUX_NSIG     64

#define LINUX_SIGHUP   1
#define LINUX_SIGINT   2
#define LINUX_SIGQUIT  3
#define LINUX_SIGILL   4
#define LINUX_SIGTRAP  5
#define LINUX_SIGABRT  6
#define LINUX_SIGBUS   7
#define LINUX_SIGFPE   8
#define LINUX_SIGKILL  9
#define LINUX_SIGUSR1  10
#define LINUX_SIGSEGV  11
#define LINUX_SIGUSR2  12
#define LINUX_SIGPIPE  13
#define LINUX_SIGALRM  14
#define LINUX_SIGTERM  15
#define LINUX_SIGCHLD  17
#define LINUX_SIGCONT  18
#define LINUX_SIGSTOP  19
#define LINUX_SIGTSTP  20
#define LINUX_SIGTTIN  21
#define LINUX_SIGTTOU  22
#define LINUX_SIGURG   23
#define LINUX_SIGXCPU  24
#define LINUX_SIGXFSZ  25
#define LINUX_SIGWINCH 28
#define LINUX_SIGSYS   31

/* struct sigaction as the arm64 kernel takes it (rt_sigaction). */
struct linux_sigaction {
	uint64_t handler; /* SIG_DFL 0, SIG_IGN 1, or the address */
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

/* What a pending signal carries into its siginfo_t. */
struct linux_siginfo {
	int32_t signo, code;
	int32_t pid, uid;
	int32_t status; /* SIGCHLD */
	uint64_t addr;  /* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP */
};

/* Per thread: its mask, its own pending set, its alternate stack. */
struct sig_thread {
	uint64_t mask, pending;
	struct linux_siginfo info[LINUX_NSIG];
	uint64_t ss_sp, ss_size;
	uint32_t ss_flags;
	/* rt_sigsuspend and ppoll's mask: the mask to go back to, the frame's uc_sigmask */
	bool restore_mask;
	uint64_t saved_mask;
	bool stopped; /* suspended by a stop signal (SIGCONT resumes it) */
	/* the fault being delivered (fault_address, ESR, the log line if it kills) */
	uint64_t fault_addr, fault_esr, fault_pc;
	bool fault;
};

/* Per process: the handlers (shared by its threads), process-directed pending signals,
 * the sigreturn trampoline page, stop state and what wait4 has yet to report. */
struct sig_proc {
	struct linux_sigaction act[LINUX_NSIG];
	uint64_t pending;
	struct linux_siginfo info[LINUX_NSIG];
	uint64_t sigpage;
	bool stopped;
	int stop_report;  /* signal of a stop wait4(WUNTRACED) has not reported; 0: none */
	bool cont_report; /* a continue wait4(WCONTINUED) has not reported */
};

/* ---- for others (the terminal, pipes, processes) ---- */
/* A process-directed signal from the shim (SI_KERNEL... as kill from pid 0): 0 or -errno. */
int signal_send_proc(struct proc *p, int sig);
/* Every process of group pgid (^C, ^Z): 0, or -ESRCH when the group is empty. */
int signal_send_group(int pgid, int sig);
/* SIGPIPE to the calling thread (a write to a pipe without readers). */
void signal_pipe(struct proc *p);

/* Make sig pending on process p (directed false: a thread that does not block it takes
 * it) or on its thread t (directed: t NULL is the main thread), and act on it. */
void signal_post(struct proc *p, struct lthread *t, int sig, const struct linux_siginfo *info,
                 bool directed);

/* The address handlers return to: the sigreturn trampoline (mov x8, #139; svc #0). */
uint64_t proc_sigreturn_addr(struct proc *p);

/* ---- lifecycle (proc.c, thread.c, main.c) ---- */
void signal_proc_init(struct proc *p);
/* Map the trampoline page into a new image (start, exec); 0 or -errno. */
int signal_map_sigpage(struct proc *p);
/* fork: handlers and the calling thread's mask and alternate stack. */
void signal_fork(struct proc *parent, struct proc *child);
/* a new thread of p: the caller's mask, nothing pending, no alternate stack */
void signal_thread_init(struct proc *p, struct lthread *t);
/* execve: handled signals back to SIG_DFL, ignored ones and the mask kept. */
void signal_exec(struct proc *p);
/* p ended with wait status `wstatus`: SIGCHLD to its parent. */
void signal_child_exit(struct proc *parent, struct proc *child, int wstatus);
/* Whether p's children are reaped at once (SIGCHLD ignored, or SA_NOCLDWAIT). */
bool signal_autoreap(struct proc *p);

/* ---- the paths back to user space (main.c, block.c) ---- */
/* The current call is answered with `ret`: false to answer it as usual, true when signal
 * delivery (or the process's end or stop) took the thread over: no reply then. */
bool signal_syscall_return(uint64_t ret);
/* A fault of the current thread that Linux turns into a signal (SIGSEGV, SIGBUS, ...). */
void signal_fault(int sig, int code, uint64_t addr, uint64_t esr, uint64_t pc, const char *why);
/* block_complete's hook: true when it resumed the thread itself (signals to deliver). */
bool signal_resume_parked(struct blocked *b, int64_t result);
/* A parked call of a stopped process waits (block_run skips it). */
bool signal_proc_stopped(const struct proc *p);
/* ppoll's sigmask: set the temporary mask for the call; 0, -EINTR (a signal is now
 * deliverable: the call ends at once) or -errno. */
int64_t signal_temp_mask(struct proc *p, uint64_t mask_addr, uint64_t size);

/* ---- the system calls ---- */
int64_t signal_sys_rt_sigaction(struct proc *p, const uint64_t a[6]);
int64_t signal_sys_rt_sigprocmask(struct proc *p, const uint64_t a[6]);
int64_t signal_sys_rt_sigpending(struct proc *p, const uint64_t a[6]);
int64_t signal_sys_rt_sigsuspend(struct proc *p, const uint64_t a[6]);
int64_t signal_sys_rt_sigtimedwait(struct proc *p, const uint64_t a[6]);
int64_t signal_sys_rt_sigreturn(struct proc *p, const uint64_t a[6]);
int64_t signal_sys_sigaltstack(struct proc *p, const uint64_t a[6]);
int64_t signal_sys_kill(struct proc *p, const uint64_t a[6]);
int64_t signal_sys_tkill(struct proc *p, const uint64_t a[6]);
int64_t signal_sys_tgkill(struct proc *p, const uint64_t a[6]);

#endif
