/* Priority scheduler: 256 levels, round robin within a level. */
#ifndef KERNEL_SCHEDULER_H
#define KERNEL_SCHEDULER_H

#include <kernel/tcb.h>

/* Per-CPU state. One CPU today; everything that is per-core lives here so that SMP adds
 * instances rather than rewriting users. */
struct cpu {
	struct tcb *current; /* thread whose context is live, or NULL when idle */
	struct thread_queue ready[PRIORITY_COUNT];
	uint64_t ready_bitmap[PRIORITY_COUNT / 64];
	uint64_t ready_words;     /* bit w: ready_bitmap[w] is not zero (two-level lookup) */
	uint64_t timeslice_ticks; /* default for threads that set none */
	uint64_t slice_end;       /* counter value at which current's timeslice ends */
	bool reschedule;          /* current should go to the back of its queue */
};

#define MAX_CPUS 1
extern struct cpu cpus[MAX_CPUS];

/* The state of the CPU we run on (one today: SMP turns this into an MPIDR lookup). */
static inline struct cpu *this_cpu(void)
{
	return &cpus[0];
}

/* Highest priority with a ready thread (the running one is not counted), or -1. Two
 * count-leading-zeros, no loop: this is on the IPC fastpath. */
static inline int scheduler_highest_ready(void)
{
	const struct cpu *cpu = this_cpu();
	if (!cpu->ready_words)
		return -1;
	int w = 63 - __builtin_clzll(cpu->ready_words);
	return w * 64 + 63 - __builtin_clzll(cpu->ready_bitmap[w]);
}

void scheduler_init(uint64_t timeslice_ticks);
/* Make a thread runnable (state RUNNING, in a ready queue). */
void scheduler_make_runnable(struct tcb *t);
void scheduler_dequeue(struct tcb *t);
void scheduler_set_priority(struct tcb *t, uint8_t priority);
/* The TCB is being destroyed: drop every reference the scheduler keeps to it. */
void scheduler_forget(struct tcb *t);
/* Timer tick: current's slice is over. */
void scheduler_timeslice_end(void);
void scheduler_yield(void);
/* Fastpath helpers. `t`, the current thread, has just blocked: switch to the highest
 * ready thread and return it, or return NULL (nothing changed) if none is ready. */
struct tcb *scheduler_switch_from_blocked(struct tcb *t);
/* `t`, still running, has just woken `woken`: make it ready, or switch to it at once if
 * it outranks everything; returns the thread to enter. */
struct tcb *scheduler_switch_to_woken(struct tcb *t, struct tcb *woken);
/* Pick who runs next and enter it; idles when nobody is runnable. */
NORETURN void scheduler_exit_to_user(void);

#endif
