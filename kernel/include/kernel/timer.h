/* Timer objects: deadlines on the system counter that signal a notification. The kernel
 * owns the generic timer for preemption, so user space gets time through these objects
 * instead of a timer device of its own (see docs/kernel.md). */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include <kernel/tcb.h>
#include <kernel/timer_queue.h>

struct timer {
	struct tq_node node;     /* first: the queue hands back nodes; deadline, level, armed */
	uint64_t period;         /* 0: one shot */
	struct cte notification; /* copy of the notification cap it signals */
};

#define TIMER_SIZE_BITS 7
#define TIMER_TICKS_MAX (1ull << 62)
_Static_assert(sizeof(struct timer) <= (1u << TIMER_SIZE_BITS), "timer size");

/* An empty timer queue (at boot). */
void timers_init(void);
/* When the timers next need the CPU (the throttle taken into account), or UINT64_MAX. */
uint64_t timers_next_deadline(void);
/* One bounded run: fire due timers, highest priority first (see kernel/timer_queue.h). */
void timers_expire(uint64_t now);
void timer_finalise(struct timer *t);
int timer_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);

/* The scheduler's clock (kernel/core/clock.c): program the hardware for the earliest of
 * the current timeslice's end and the next timer object. */
void clock_update(void);
/* The thread on the CPU starts a timeslice of `ticks`. */
void clock_start_slice(uint64_t ticks);
uint64_t clock_now(void);

#endif
