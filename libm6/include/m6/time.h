/* Time. Reading it needs no authority (the system counter is readable at EL0); waiting
 * needs a Timer object (the spec's `timer NAME`) and a notification to be woken through.
 * See docs/kernel.md for why timers are kernel objects. */
#ifndef M6_TIME_H
#define M6_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include <m6/syscall.h>

/* The system counter (CNTVCT_EL0) and its frequency in Hz. */
static inline uint64_t m6_counter(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static inline uint64_t m6_counter_frequency(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

/* Monotonic time since the counter started (power-on), in nanoseconds. */
uint64_t m6_time_ns(void);
/* Counter ticks for a duration, rounded up. */
uint64_t m6_ns_to_ticks(uint64_t ns);

/* A timer a thread sleeps on. `badge` bits of the notification word mean "the deadline
 * passed"; the runtime mints a badged copy of the notification cap for the Timer into a
 * free slot, so other signallers of the same notification stay distinguishable. */
struct m6_timer {
	m6_cptr_t timer;
	m6_cptr_t notification;
	uint64_t badge;
	m6_cptr_t resignal_slot; /* free slot: other signals taken by a sleep go back through it */
};

/* Bind Timer `timer` to `notification` (READ | WRITE, unbadged) with badge `badge`
 * (one bit no other signaller of that notification uses). Takes two free CNode slots
 * (the timer's badged copy, and one for m6_sleep_ns to give other signals back through).
 * Returns an m6 error code. */
uint64_t m6_timer_init(struct m6_timer *t, m6_cptr_t timer, m6_cptr_t notification, uint64_t badge);
/* Sleep at least `ns` nanoseconds. Other signals arriving meanwhile are kept in the
 * notification word (re-signalled, with the badges they came with) for the next wait. */
void m6_sleep_ns(struct m6_timer *t, uint64_t ns);
static inline void m6_sleep_ms(struct m6_timer *t, uint64_t ms)
{
	m6_sleep_ns(t, ms * 1000000ull);
}
/* Wait on the timer's notification until a signal other than the timer's arrives or
 * `timeout_ns` passes. Returns the word without the timer's bits; 0 means timed out. */
uint64_t m6_wait_timeout(struct m6_timer *t, uint64_t timeout_ns);

#endif
