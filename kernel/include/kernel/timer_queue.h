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
	/* Armed nodes in all levels, and the only one when there is exactly one: the common
	 * case (one periodic tick) expires without looking at the tournament. */
	uint64_t armed;
	struct tq_node *lone;
	/* The lone node was re-armed (tq_expire_lone) and its new deadline is not yet on its
	 * tournament path: readers take it from the node, and anything that changes the
	 * queue writes the path first (tq_refresh_lone). Saves the path's 9 stores on every
	 * tick of a lone periodic timer. */
	bool lone_stale;
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
/* The parts of a run that tq_expire_lone() below inlines into its caller. */
void tq_charge(struct timer_queue *q, uint64_t start, uint64_t end, unsigned top);

/* tq_charge() with its usual case inline: one tier that this run's level tops (or none
 * yet). The same arithmetic; anything else goes to the general staircase update. */
static inline void tq_charge_one(struct timer_queue *q, uint64_t start, uint64_t end, unsigned top)
{
	if (q->tiers != 1 || q->tier_level[0] != top) {
		tq_charge(q, start, end, top);
		return;
	}
	uint64_t d = (end > start ? end - start : 0) + q->run_overhead;
	if (d == 0)
		d = 1;
	if (d > q->charge_max)
		d = q->charge_max;
	uint64_t u = q->tier_until[0] > end ? q->tier_until[0] : end;
	q->tier_until[0] = u + TQ_GAP_FACTOR * d;
}

/* The lowest level that may run at `now`: above the highest tier still waiting. */
static inline unsigned tq_floor_at(const struct timer_queue *q, uint64_t now)
{
	for (unsigned i = q->tiers; i-- > 0;)
		if (q->tier_until[i] > now)
			return q->tier_level[i] + 1u;
	return 0;
}

/* Write the lone node's deadline on its tournament path if tq_expire_lone left it
 * stale. Every other leaf is UINT64_MAX then (it is the only node), so each of the 9
 * entries of the path is simply its deadline. */
static inline void tq_refresh_lone(struct timer_queue *q)
{
	if (!q->lone_stale)
		return;
	q->lone_stale = false;
	uint64_t d = q->lone->deadline;
	unsigned i = TQ_LEVELS + q->lone->level;
	_Static_assert(TQ_LEVELS == 256, "a path has 9 entries");
	for (; i; i >>= 1)
		q->earliest[i] = d;
}

/* tq_expire() when exactly one node is armed (-1 otherwise, then call tq_expire): the
 * same run, without the searches a crowd needs. It is the only node of its level and every
 * other leaf of the tournament is UINT64_MAX, so the highest due level is its level if it
 * is due, its heap needs no sifting, and a periodic re-arm sets its whole tournament path
 * to the new deadline. Inline, so that the kernel's fire and clock functions are too. */
static inline int tq_expire_lone(struct timer_queue *q, uint64_t now, tq_fire_fn *fire,
                                 tq_clock_fn *clock)
{
	if (q->armed != 1)
		return -1;
	struct tq_node *n = q->lone;
	unsigned level = n->level;
	if (n->deadline > now || level < tq_floor_at(q, now))
		return 0;
	uint64_t next = fire(n, now);
	if (next == TQ_ONE_SHOT) {
		tq_remove(q, n);
	} else {
		n->deadline = next;
		n->seq = q->next_seq++;
		q->lone_stale = true; /* its path is written when something else needs it */
	}
	/* No charge: one timer's share of the CPU is bounded by itself (at most one run of
	 * one expiry per minimum period, 10 us, against a run of well under 1 us), and the
	 * throttle is for crowds. The waits already set by earlier crowded runs still hold
	 * (the floor check above). */
	(void)clock;
	return 1;
}

/* When the next run should happen: the earliest time at which a level has a due timer
 * and may run (UINT64_MAX: never; a time already past: at once). */
uint64_t tq_next_event_from_tiers(const struct timer_queue *q);
static inline uint64_t tq_next_event(const struct timer_queue *q)
{
	/* The usual case, asked at every arming and interrupt: the earliest deadline of all
	 * comes after every wait (tier 0's is the longest), so no wait matters. */
	uint64_t e = q->lone_stale ? q->lone->deadline : q->earliest[1];
	if (!q->tiers || e >= q->tier_until[0])
		return e;
	return tq_next_event_from_tiers(q);
}
/* Earliest deadline of the levels lo..hi (UINT64_MAX if none). */
uint64_t tq_earliest(const struct timer_queue *q, unsigned lo, unsigned hi);

#endif
