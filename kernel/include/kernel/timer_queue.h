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
 * Work per interrupt is bounded: one run expires at most TQ_BATCH timers, highest level
 * first. A run that took d ticks holds back every level up to the highest one it served
 * until TQ_GAP_FACTOR * d after it ended; levels above may still run in that gap (their
 * timers owe nothing to the flood below), which raises the held-back level and extends
 * the gap again. So timer work takes at most 1 / (1 + TQ_GAP_FACTOR) of the CPU while one
 * level floods it, and at most 1 / TQ_GAP_FACTOR however the levels are mixed; and a timer
 * at a level above every flooding level waits for at most the run in progress. */
#ifndef KERNEL_TIMER_QUEUE_H
#define KERNEL_TIMER_QUEUE_H

#include <kernel/types.h>

#define TQ_LEVELS     256
#define TQ_BATCH      16 /* timers one run expires at most */
#define TQ_GAP_FACTOR 4  /* a run of d ticks holds back the levels it served for 4d */

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
	/* Levels up to throttle_level wait until throttle_until (see above). */
	uint64_t throttle_until;
	unsigned throttle_level;
	uint64_t charge_max; /* a run is charged at most this many ticks (see tq_init) */
	uint64_t steps;      /* loop iterations so far: for the tests' O(log n) checks */
};

/* An empty queue. A run is charged at most `charge_max` ticks: a longer one was stretched
 * by something outside the kernel (a host descheduling a virtual CPU), not by timers. */
void tq_init(struct timer_queue *q, uint64_t charge_max);
/* Arm a node that is not queued. level < TQ_LEVELS. */
void tq_insert(struct timer_queue *q, struct tq_node *n, unsigned level, uint64_t deadline);
/* Disarm a queued node. */
void tq_remove(struct timer_queue *q, struct tq_node *n);

/* Called for each expired node, already removed; may tq_insert it again (periodic). */
typedef void tq_fire_fn(struct timer_queue *q, struct tq_node *n, uint64_t now);
typedef uint64_t tq_clock_fn(void);
/* One run at time `now`: expire up to TQ_BATCH due nodes the throttle lets through,
 * highest level first, each level in (deadline, arming) order; then read `clock` and
 * charge the run. Returns the number expired (0: nothing charged). */
unsigned tq_expire(struct timer_queue *q, uint64_t now, tq_fire_fn *fire, tq_clock_fn *clock);
/* When the next run should happen: the earliest deadline the throttle lets through
 * (UINT64_MAX: never; a time already past: at once). */
uint64_t tq_next_event(const struct timer_queue *q);
/* Earliest deadline of the levels >= min_level (UINT64_MAX if none). */
uint64_t tq_earliest(const struct timer_queue *q, unsigned min_level);

#endif
