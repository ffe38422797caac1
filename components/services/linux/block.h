/* Blocking system calls (docs/linux.md, "Blocking").
 *
 * The kernel keeps one pending caller per server thread, so the shim cannot hold a
 * reply while it serves others. A call that must wait is therefore not answered: the
 * handler parks the calling thread (block_park: the thread is suspended, which releases
 * it from the pending reply) and returns LINUX_PARKED. After every message the loop runs
 * block_run, which asks each parked call whether it can finish now, and completes it
 * (TCB_WRITE_REGISTERS: x0 = the result, pc = after the svc (the pc of the syscall fault
 * message already is: the kernel moved it past the svc), sp as it was; every other
 * register is untouched, the suspend kept them) or times it out. Exit and kill cancel a
 * process's parked calls; a signal completes one with -EINTR or restarts it (signal.c). */
#ifndef LINUX_BLOCK_H
#define LINUX_BLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include <m6/syscall.h>

struct proc;
struct lthread;

/* A handler's result meaning "parked: no answer now, block.c completes the call". It is
 * outside the -4095..-1 errno range and never a valid result. */
#define LINUX_PARKED INT64_MIN
/* At most this many threads wait at once (a full table answers -EAGAIN). */
#define BLOCK_MAX 64u

/* The system call being served, filled in by the loop before each handler runs. */
struct linux_call {
	struct proc *p;
	m6_cptr_t tcb;       /* the calling thread */
	struct lthread *thr; /* NULL: the process's main thread */
	uint64_t pc; /* after the svc, as the fault message has it: where the thread goes on */
	uint64_t sp;
	uint64_t nr; /* the system call number (a signal restarts some parked calls) */
	bool busy;   /* the thread waits for this call's answer (signal.c delivers then) */
};
extern struct linux_call shim_call;

struct blocked;
/* Whether the wait is over: the call's result, or LINUX_PARKED to wait on. It may write
 * to the process's memory (wait4's status, say): the thread is stopped. */
typedef int64_t (*block_check_fn)(struct blocked *b);

struct blocked {
	bool used;
	struct proc *p;
	m6_cptr_t tcb;
	uint64_t pc, sp;
	uint64_t nr;          /* the system call (SA_RESTART restarts some, signal.c) */
	block_check_fn check; /* NULL: only block_complete or the deadline end the wait */
	uint64_t deadline;    /* system counter ticks; 0: none */
	int64_t on_timeout;   /* the result when the deadline passes */
	void *obj;            /* what it waits on, for the check and for wakers */
	uint64_t arg[6];
};

/* Bind the timer to the loop's notification; false if the shim has none (no sleeps). */
bool block_init(void);
/* Park the thread of shim_call. NULL when the table is full (answer -EAGAIN). */
struct blocked *block_park(block_check_fn check, uint64_t deadline, int64_t on_timeout);
/* End a parked call with `result` and resume its thread. */
void block_complete(struct blocked *b, int64_t result);
/* Take the call off the table without resuming its thread (a signal interrupts it). */
void block_forget(struct blocked *b);
/* Forget p's parked calls without resuming them (p exits or is killed); tcb 0: all of
 * p's threads, else that one thread. */
void block_cancel(struct proc *p, m6_cptr_t tcb);
/* Complete what became ready and what timed out; re-arm the timer for the earliest
 * deadline left. Called by the loop after every message. */
void block_run(void);
/* From a check: what it did may end other waits (it sent a signal), so block_run looks
 * at every parked call once more (a few passes at most). */
void block_run_again(void);
/* Each parked call, for wakers that look for theirs (futex, pipes): NULL at the end. */
struct blocked *block_next(struct blocked *after);
/* A deadline `ns` nanoseconds from now, in ticks. */
uint64_t block_deadline_in(uint64_t ns);
/* A struct timespec {sec, nsec} at user address `addr`, in nanoseconds (*ns), saturated at
 * UINT64_MAX past about 584 years. A fault's errno, or -EINVAL for a negative field or
 * nsec >= 10^9, as Linux checks a timeout. */
int64_t block_read_timespec(struct proc *p, uint64_t addr, uint64_t *ns);
/* A wait's timeout, a timespec at `addr` (0: none, wait for ever): *deadline (0: none),
 * *now_only for a zero timeout (poll once, never park). ppoll, pselect6, epoll_pwait2. */
int64_t block_read_timeout(struct proc *p, uint64_t addr, uint64_t *deadline, bool *now_only);

#endif
