/* The queue of armed timers (kernel/core/timer_queue.c), apart from the Timer object so
 * that the host unit tests can drive it.
 *
 * A timer expires at a priority level: the priority of the thread that armed it. Each
 * level that has armed timers is a binary heap by pointers, ordered by deadline and then
 * by arming order (same-level timers are served FIFO by deadline); a tournament tree over
 * the 256 levels keeps each level's earliest deadline, so "the highest level with a due
 * timer" and "the next deadline" are 8 steps. Arming, cancelling and expiring one timer
 * are O(log n) in the worst case (not amortised: the kernel runs them with interrupts
 * masked), and need no memory beyond the node inside the timer.
 *
 * Work per interrupt is bounded: one run expires at most TQ_BATCH timers, all of one level,
 * the highest with a due timer that may run. A run of level L that took d ticks (plus the
 * cost of taking the interrupt, which it cannot see: run_overhead) makes every level up to
 * L wait TQ_GAP_FACTOR * d more: until max(its wait, the run's end) + 4d. Levels above L
 * owe nothing to it and may run in that gap, which in turn makes L and everything below
 * wait longer. So the lowest level's wait grows by 4d for every run of any level: timer
 * work takes at most 1 / TQ_GAP_FACTOR of the CPU however the levels are mixed, and
 * 1 / (1 + TQ_GAP_FACTOR) while one level floods it. A level's wait only ever exceeds the
 * wait of the levels above it, so the waits form a staircase: at most TQ_TIERS steps, the
 * lowest two merged (the stricter wait for both) when a run would make one more.
 *
 * A run also ends early when a timer of a higher level that may run falls due while it
 * goes on, so such a timer waits for at most one lower-priority expiry, whatever the
 * flood below it; and as a run serves one level, the threads it wakes run before any
 * lower level's timers are looked at. */
#ifndef KERNEL_TIMER_QUEUE_H
#define KERNEL_TIMER_QUEUE_H

#include <kernel/types.h>

#define TQ_LEVELS     256
#define TQ_BATCH      16 /* timers one run expires at most */
#define TQ_GAP_FACTOR 4  /* a run of d ticks holds back its level and those below for 4d */
#define TQ_TIERS      4  /* steps of the staircase of waits */

/* Embedded in the timer (first member of struct timer). */
struct tq_node {
	uint64_t deadline; /* counter ticks; kept after expiry (the periodic re-arm uses it) */
	uint64_t seq;      /* arming order: breaks deadline ties, FIFO */
	struct tq_node *parent, *left, *right;
	uint8_t level;
	bool queued;
};

struct tq_level {
	struct tq_node *root;
	uint64_t count; /* nodes in the heap: the last one is at position count (BFS order) */
};

struct timer_queue {
	struct tq_level levels[TQ_LEVELS];
	/* Tournament tree: [TQ_LEVELS + l] is level l's earliest deadline (UINT64_MAX when it
	 * has none), [i] the minimum of [2i] and [2i + 1]; [1] is the earliest of all. */
	uint64_t earliest[2 * TQ_LEVELS];
	uint64_t next_seq;
	/* The staircase of waits: tier i holds levels (tier_level[i - 1], tier_level[i]]
	 * (tier 0 from level 0) until tier_until[i], which falls strictly with i; levels
	 * above the last tier may run. */
	unsigned tiers;
	uint8_t tier_level[TQ_TIERS];
	uint64_t tier_until[TQ_TIERS];
	uint64_t charge_max;   /* a run is charged at most this many ticks (see tq_init) */
	uint64_t run_overhead; /* ticks added to each run: taking and leaving the interrupt */
	uint64_t steps;        /* loop iterations, counted in host tests (TQ_COUNT_STEPS) */
};

/* An empty queue. A run is charged at most `charge_max` ticks: a longer one was stretched
 * by something outside the kernel (a host descheduling a virtual CPU), not by timers.
 * `run_overhead` is added to each run's measured length: what taking and leaving the
 * interrupt costs, which the run cannot measure itself. */
void tq_init(struct timer_queue *q, uint64_t charge_max, uint64_t run_overhead);
/* Arm a node that is not queued. level < TQ_LEVELS. */
void tq_insert(struct timer_queue *q, struct tq_node *n, unsigned level, uint64_t deadline);
/* Disarm a queued node. */
void tq_remove(struct timer_queue *q, struct tq_node *n);

/* Called for each expired node while it is still queued (it must not touch the queue);
 * returns its next deadline (later than now: periodic) or TQ_ONE_SHOT (disarm it). */
#define TQ_ONE_SHOT UINT64_MAX
typedef uint64_t tq_fire_fn(struct tq_node *n, uint64_t now);
typedef uint64_t tq_clock_fn(void);
/* One run at time `now`: expire up to TQ_BATCH due nodes of the highest level with due
 * nodes that the throttle lets through, in (deadline, arming) order, reading `clock` after
 * each (the run stops when a higher level has fallen due); then charge the run. Returns
 * the number expired (0: nothing charged). */
unsigned tq_expire(struct timer_queue *q, uint64_t now, tq_fire_fn *fire, tq_clock_fn *clock);
/* When the next run should happen: the earliest time at which a level has a due timer
 * and may run (UINT64_MAX: never; a time already past: at once). */
uint64_t tq_next_event(const struct timer_queue *q);
/* Earliest deadline of the levels lo..hi (UINT64_MAX if none). */
uint64_t tq_earliest(const struct timer_queue *q, unsigned lo, unsigned hi);

#endif
