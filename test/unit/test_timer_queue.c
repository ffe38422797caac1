/* Host tests for the timer queue (kernel/core/timer_queue.c): random arm / cancel / expire
 * against a plain reference model (linear scans, the same policy written the obvious
 * way), the heap's shape and links after every step, O(log n) work per operation, the
 * batch bound, and a simulated CPU under timer storms for the CPU share and the delay of
 * a higher-level timer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <kernel/timer_queue.h>

/* ---- a deterministic generator ---------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

static unsigned log2_ceil(uint64_t n)
{
	unsigned l = 0;
	while ((1ull << l) < n)
		l++;
	return l;
}

/* ---- structural checks -------------------------------------------------------------- */

/* Walks the subtree at BFS position k; returns its node count. */
static uint64_t check_subtree(const struct tq_node *x, const struct tq_node *parent, uint64_t k,
                              uint64_t count, unsigned level)
{
	if (!x) {
		/* Complete tree: exactly positions 1..count exist. */
		assert_true(k > count);
		return 0;
	}
	assert_true(k <= count);
	assert_ptr_equal(x->parent, parent);
	assert_true(x->queued);
	assert_int_equal(x->level, level);
	if (parent) {
		bool ordered = parent->deadline < x->deadline ||
		               (parent->deadline == x->deadline && parent->seq < x->seq);
		assert_true(ordered);
	}
	return 1 + check_subtree(x->left, x, 2 * k, count, level) +
	       check_subtree(x->right, x, 2 * k + 1, count, level);
}

static void check_queue(const struct timer_queue *queue_as_is)
{
	/* A re-armed lone node may not be on its tournament path yet: check the queue as it
	 * is once the path is written, which is what every reader sees (tq_earliest and
	 * tq_next_event read the node meanwhile; both are compared with the model). */
	static struct timer_queue copy;
	copy = *queue_as_is;
	if (copy.lone_stale)
		assert_int_equal(copy.armed, 1);
	tq_refresh_lone(&copy);
	const struct timer_queue *q = &copy;
	for (unsigned l = 0; l < TQ_LEVELS; l++) {
		const struct tq_level *lv = &q->levels[l];
		assert_int_equal(check_subtree(lv->root, NULL, 1, lv->count, l), lv->count);
		uint64_t leaf = lv->root ? lv->root->deadline : UINT64_MAX;
		assert_int_equal(q->earliest[TQ_LEVELS + l], leaf);
	}
	for (unsigned i = TQ_LEVELS - 1; i >= 1; i--) {
		uint64_t a = q->earliest[2 * i], b = q->earliest[2 * i + 1];
		assert_int_equal(q->earliest[i], a < b ? a : b);
	}
}

/* ---- the reference model ------------------------------------------------------------ */

#define N_NODES        1500
#define MODEL_OVERHEAD 3 /* ticks charged per run for taking the interrupt */

struct model {
	bool armed[N_NODES];
	unsigned level[N_NODES];
	uint64_t deadline[N_NODES], seq[N_NODES], period[N_NODES];
	uint64_t next_seq;
	uint64_t until[TQ_LEVELS]; /* each level's wait: it may run from then on */
};

static struct timer_queue queue;
static struct tq_node nodes[N_NODES];
static struct model model;

static unsigned index_of(const struct tq_node *n)
{
	return (unsigned)(n - nodes);
}

static void arm_both(unsigned i, unsigned level, uint64_t deadline)
{
	if (nodes[i].queued)
		tq_remove(&queue, &nodes[i]);
	tq_insert(&queue, &nodes[i], level, deadline);
	model.armed[i] = true;
	model.level[i] = level;
	model.deadline[i] = deadline;
	model.seq[i] = model.next_seq++;
}

static void cancel_both(unsigned i)
{
	if (nodes[i].queued)
		tq_remove(&queue, &nodes[i]);
	model.armed[i] = false;
}

/* How much of the policy a random run exercised: expiries, full batches, expiry calls
 * that found due nodes all held back, runs above a held level, runs cut short by a
 * higher level, merges of the staircase's lowest tiers. */
static uint64_t total_fired, full_batches, held_back, bypassed, cut_short, merged;

/* Each level's earliest deadline (UINT64_MAX: none). */
static void model_level_earliest(uint64_t *e)
{
	for (unsigned l = 0; l < TQ_LEVELS; l++)
		e[l] = UINT64_MAX;
	for (unsigned i = 0; i < N_NODES; i++)
		if (model.armed[i] && model.deadline[i] < e[model.level[i]])
			e[model.level[i]] = model.deadline[i];
}

/* The due node the model expires next at level `only` (or at the highest level that may
 * run, when only < 0), or -1. */
static int model_next_due(uint64_t now, int only)
{
	int best = -1;
	for (unsigned i = 0; i < N_NODES; i++) {
		unsigned l = model.level[i];
		if (!model.armed[i] || model.deadline[i] > now || model.until[l] > now)
			continue;
		if (only >= 0 && l != (unsigned)only)
			continue;
		if (best < 0 || l > model.level[best] ||
		    (l == model.level[best] && (model.deadline[i] < model.deadline[best] ||
		                                (model.deadline[i] == model.deadline[best] &&
		                                 model.seq[i] < model.seq[best]))))
			best = (int)i;
	}
	return best;
}

static uint64_t model_earliest(unsigned lo, unsigned hi)
{
	uint64_t m = UINT64_MAX;
	for (unsigned i = 0; i < N_NODES; i++)
		if (model.armed[i] && model.level[i] >= lo && model.level[i] <= hi &&
		    model.deadline[i] < m)
			m = model.deadline[i];
	return m;
}

/* The earliest time a level >= lo has a due node and may run. */
static uint64_t model_next_event(unsigned lo)
{
	uint64_t e[TQ_LEVELS], m = UINT64_MAX;
	model_level_earliest(e);
	for (unsigned l = lo; l < TQ_LEVELS; l++) {
		if (e[l] == UINT64_MAX)
			continue;
		uint64_t t = e[l] > model.until[l] ? e[l] : model.until[l];
		m = t < m ? t : m;
	}
	return m;
}

/* The policy, one level at a time: the run's level and all below wait 4d more; waits over
 * by the run's end are forgotten; more than TQ_TIERS different waits: the two longest
 * (the lowest levels') become the longest. */
static void model_charge(uint64_t start, uint64_t end, unsigned top)
{
	uint64_t d = end - start + MODEL_OVERHEAD; /* below charge_max in this test */
	for (unsigned l = 0; l <= top; l++)
		model.until[l] = (model.until[l] > end ? model.until[l] : end) + TQ_GAP_FACTOR * d;
	for (unsigned l = 0; l < TQ_LEVELS; l++)
		if (model.until[l] <= end)
			model.until[l] = 0;
	for (;;) {
		uint64_t v[TQ_LEVELS];
		unsigned distinct = 0;
		for (unsigned l = 0; l < TQ_LEVELS; l++) {
			bool seen = model.until[l] == 0;
			for (unsigned k = 0; k < distinct && !seen; k++)
				seen = v[k] == model.until[l];
			if (!seen)
				v[distinct++] = model.until[l];
		}
		if (distinct <= TQ_TIERS)
			break;
		uint64_t first = 0, second = 0;
		for (unsigned k = 0; k < distinct; k++)
			first = v[k] > first ? v[k] : first;
		for (unsigned k = 0; k < distinct; k++)
			second = v[k] > second && v[k] < first ? v[k] : second;
		for (unsigned l = 0; l < TQ_LEVELS; l++)
			if (model.until[l] == second)
				model.until[l] = first;
		merged++;
	}
	/* The waits fall with the level (what lets the kernel keep a staircase). */
	for (unsigned l = 1; l < TQ_LEVELS; l++)
		assert_true(model.until[l] <= model.until[l - 1] || model.until[l - 1] == 0);
}

/* Each fired node is recorded; periodic ones are re-armed as the kernel does it. */
static unsigned fired[TQ_BATCH + 1], fired_count;
static uint64_t fired_clock[TQ_BATCH + 1]; /* the clock after each expiry */
static uint64_t clock_value;

static uint64_t fire_record(struct tq_node *n, uint64_t now)
{
	unsigned i = index_of(n);
	assert_true(n->queued); /* still in the queue while it fires */
	assert_true(fired_count < TQ_BATCH);
	clock_value += 1 + rnd_below(40); /* each expiry costs some simulated time */
	fired_clock[fired_count] = clock_value;
	fired[fired_count++] = i;
	if (!model.period[i])
		return TQ_ONE_SHOT;
	uint64_t next = n->deadline + model.period[i];
	return next <= now ? now + model.period[i] : next;
}

static uint64_t read_clock(void)
{
	return clock_value;
}

static void expire_both(uint64_t now)
{
	fired_count = 0;
	clock_value = now;
	unsigned n = tq_expire(&queue, now, fire_record, read_clock);
	assert_int_equal(n, fired_count);

	/* The model, written plainly. */
	unsigned expect = 0, top = 0;
	uint64_t above = UINT64_MAX;
	bool due_held = false;
	for (unsigned i = 0; i < N_NODES; i++)
		due_held = due_held || (model.armed[i] && model.deadline[i] <= now &&
		                        model.until[model.level[i]] > now);
	unsigned armed_before = 0;
	for (unsigned k = 0; k < N_NODES; k++)
		armed_before += model.armed[k];
	int i = model_next_due(now, -1);
	if (due_held)
		i < 0 ? held_back++ : bypassed++;
	while (i >= 0) {
		assert_true(expect < n);
		assert_int_equal(fired[expect], (unsigned)i);
		if (expect == 0) {
			top = model.level[i];
			above = model_next_event(top + 1);
		}
		model.armed[i] = false;
		if (model.period[i]) {
			uint64_t next = model.deadline[i] + model.period[i];
			model.armed[i] = true;
			model.deadline[i] = next <= now ? now + model.period[i] : next;
			model.seq[i] = model.next_seq++;
		}
		expect++;
		/* A run serves one level, up to a batch of it. */
		int next = model_next_due(now, (int)top);
		if (expect == TQ_BATCH || next < 0)
			break;
		/* A higher level fell due during the run: the run ends. */
		if (above <= fired_clock[expect - 1]) {
			cut_short++;
			break;
		}
		i = next;
	}
	assert_int_equal(n, expect);
	total_fired += n;
	full_batches += n == TQ_BATCH;
	/* A lone timer's run is not charged: its share is bounded by its minimum period. */
	if (expect && armed_before > 1)
		model_charge(now, fired_clock[expect - 1], top);
}

static void check_against_model(void)
{
	for (unsigned k = 0; k < 4; k++) {
		unsigned lo = (unsigned)rnd_below(TQ_LEVELS), hi = (unsigned)rnd_below(TQ_LEVELS);
		if (lo > hi) {
			unsigned x = lo;
			lo = hi;
			hi = x;
		}
		assert_int_equal(tq_earliest(&queue, lo, hi), model_earliest(lo, hi));
	}
	assert_int_equal(tq_next_event(&queue), model_next_event(0));
	for (unsigned i = 0; i < N_NODES; i++) {
		assert_int_equal(nodes[i].queued, model.armed[i]);
		if (model.armed[i])
			assert_int_equal(nodes[i].deadline, model.deadline[i]);
	}
}

static void reset(uint64_t seed)
{
	rng_state = seed;
	memset(nodes, 0, sizeof(nodes));
	memset(&model, 0, sizeof(model));
	tq_init(&queue, 1000000, MODEL_OVERHEAD);
}

/* Random arm / re-arm / cancel / expire, mostly on few levels with close deadlines (ties,
 * FIFO, throttle), sometimes on any level. */
static void random_run(uint64_t seed, unsigned level_spread, unsigned ops)
{
	reset(seed);
	total_fired = full_batches = held_back = bypassed = cut_short = merged = 0;
	for (unsigned i = 0; i < N_NODES; i++)
		model.period[i] = i % 3 == 0 ? 1 + rnd_below(i % 2 ? 50 : 5000) : 0;
	uint64_t now = 1000;
	for (unsigned op = 0; op < ops; op++) {
		unsigned i = (unsigned)rnd_below(N_NODES);
		uint64_t r = rnd_below(100);
		/* Every other stretch of 3,000 steps arms little, so the backlog drains and
		 * levels above the throttled one fall due in its gaps. */
		bool light = op / 3000 % 2 == 1;
		if (op % 6000 == 3000)
			for (unsigned k = 0; k < N_NODES; k++)
				cancel_both(k);
		if (light && r < 45 && rnd_below(10) != 0)
			r = 45 + rnd_below(55);
		if (light && r == 1) {
			/* A staircase: levels rising a step each few ticks, so that each falls
			 * due in the gap of the one below (the waits' tiers pile up). */
			unsigned level = (unsigned)rnd_below(40);
			for (unsigned k = 0; k < 2 * TQ_TIERS && level < TQ_LEVELS; k++) {
				arm_both((unsigned)rnd_below(N_NODES), level, now + 1 + 4 * k);
				level += 1 + (unsigned)rnd_below(30);
			}
		} else if (r == 0 && rnd_below(4) == 0) {
			/* A burst: many timers of one level due at once (full batches, unless a
			 * level above falls due during the run). */
			unsigned level =
			    rnd_below(2) ? TQ_LEVELS - 1 : (unsigned)rnd_below(level_spread);
			for (unsigned k = 0; k < 3 * TQ_BATCH; k++)
				arm_both((unsigned)rnd_below(N_NODES), level, now - rnd_below(100));
		} else if (r < 45) {
			unsigned level = (unsigned)rnd_below(level_spread);
			if (rnd_below(8) == 0)
				level = (unsigned)rnd_below(TQ_LEVELS);
			uint64_t deadline = now - 50 + rnd_below(rnd_below(2) ? 200 : 1500);
			arm_both(i, level, deadline);
		} else if (r < 60) {
			cancel_both(i);
		} else {
			now += rnd_below(light ? 8 : 600);
			expire_both(now);
		}
		if (op % 97 == 0)
			check_queue(&queue);
		check_against_model();
	}
	check_queue(&queue);
	assert_true(total_fired > ops / 10);
	assert_true(full_batches > 0);
	assert_true(held_back > 0);
	if (level_spread > 1) {
		assert_true(bypassed > 0);
		assert_true(cut_short > 0);
		assert_true(merged > 0);
	}
	print_message("%lu expired, %lu full batches, %lu times held back, %lu runs above a held "
	              "level, %lu cut short, %lu tiers merged\n",
	              (unsigned long)total_fired, (unsigned long)full_batches,
	              (unsigned long)held_back, (unsigned long)bypassed, (unsigned long)cut_short,
	              (unsigned long)merged);
	/* Drain: cancel everything, the queue ends empty. */
	for (unsigned i = 0; i < N_NODES; i++)
		cancel_both(i);
	check_queue(&queue);
	assert_int_equal(tq_earliest(&queue, 0, TQ_LEVELS - 1), UINT64_MAX);
}

static void test_random_few_levels(void **state)
{
	(void)state;
	random_run(0x9e3779b97f4a7c15ull, 3, 60000);
}

static void test_random_many_levels(void **state)
{
	(void)state;
	random_run(0x0123456789abcdefull, TQ_LEVELS, 60000);
}

static void test_random_one_level(void **state)
{
	(void)state;
	random_run(0xfeedfacecafebeefull, 1, 60000);
}

/* ---- operation counts ------------------------------------------------------------- */

#define BIG (1u << 16)

static uint64_t never_fire(struct tq_node *n, uint64_t now)
{
	(void)n;
	(void)now;
	return TQ_ONE_SHOT;
}

/* Periodic: next deadline far behind everything else, so it sinks the whole height. */
static uint64_t fire_to_bottom(struct tq_node *n, uint64_t now)
{
	(void)now;
	return n->deadline + 100 * (uint64_t)BIG;
}

static uint64_t clock_zero(void)
{
	return 0;
}

static void test_operations_are_logarithmic(void **state)
{
	(void)state;
	struct tq_node *big = calloc(BIG, sizeof(*big));
	assert_non_null(big);
	tq_init(&queue, 1000, 0);
	/* Worst case for arming: each deadline earlier than all before, so each new node
	 * climbs from the bottom to the root; then the tournament path. */
	for (unsigned i = 0; i < BIG; i++) {
		uint64_t before = queue.steps;
		tq_insert(&queue, &big[i], 5, 10 * (uint64_t)(BIG - i));
		uint64_t bound = 2 * log2_ceil(i + 2) + 8;
		assert_true(queue.steps - before <= bound);
	}
	check_queue(&queue);
	/* Cancelling anywhere: the last node's path, then one sift. */
	rng_state = 42;
	for (unsigned k = 0; k < BIG / 2; k++) {
		unsigned i = (unsigned)rnd_below(BIG);
		uint64_t before = queue.steps;
		if (big[i].queued)
			tq_remove(&queue, &big[i]);
		assert_true(queue.steps - before <= 2 * log2_ceil(BIG) + 8);
	}
	check_queue(&queue);
	/* Expiring: a full batch, each with its removal and the search for the level. */
	uint64_t before = queue.steps;
	assert_int_equal(tq_expire(&queue, UINT64_MAX - 1, never_fire, clock_zero), TQ_BATCH);
	assert_true(queue.steps - before <= TQ_BATCH * (2 * log2_ceil(BIG) + 8 + 8));
	check_queue(&queue);
	/* Periodic ones sink from the root to the bottom, each in one path. */
	before = queue.steps;
	assert_int_equal(tq_expire(&queue, UINT64_MAX - 1, fire_to_bottom, clock_zero), TQ_BATCH);
	assert_true(queue.steps - before <= TQ_BATCH * (log2_ceil(BIG) + 8 + 8));
	check_queue(&queue);
	free(big);
}

/* ---- batch bound and throttle ----------------------------------------------------- */

static unsigned fires;
static uint64_t sim_now;

static uint64_t fire_count(struct tq_node *n, uint64_t now)
{
	(void)n;
	(void)now;
	fires++;
	sim_now += 10;
	return TQ_ONE_SHOT;
}

static uint64_t sim_clock(void)
{
	return sim_now;
}

static void test_batch_bound_and_gap(void **state)
{
	(void)state;
	reset(7);
	tq_init(&queue, 1000, 0);
	for (unsigned i = 0; i < 1000; i++)
		tq_insert(&queue, &nodes[i], 10, 100 + i);
	/* Everything is due: one run expires exactly a batch, then the level waits 4x the
	 * run's cost after the run's end. */
	sim_now = 5000;
	fires = 0;
	assert_int_equal(tq_expire(&queue, 5000, fire_count, sim_clock), TQ_BATCH);
	assert_int_equal(fires, TQ_BATCH);
	uint64_t end = 5000 + 10 * TQ_BATCH, gap_end = end + TQ_GAP_FACTOR * 10 * TQ_BATCH;
	assert_int_equal(tq_next_event(&queue), gap_end);
	/* In the gap, the level is held back. */
	sim_now = gap_end - 1;
	assert_int_equal(tq_expire(&queue, gap_end - 1, fire_count, sim_clock), 0);
	/* A higher level is not: it runs in the gap, and extends it for the levels below. */
	tq_insert(&queue, &nodes[1000], 200, 4000);
	assert_int_equal(tq_next_event(&queue), 4000);
	sim_now = end + 1;
	assert_int_equal(tq_expire(&queue, end + 1, fire_count, sim_clock), 1);
	uint64_t gap2_end = gap_end + TQ_GAP_FACTOR * 10;
	assert_int_equal(tq_next_event(&queue), gap2_end);
	/* Level 200 itself waits only for its own run's gap, not for the longer one below:
	 * a second timer there comes first. */
	uint64_t own_end = end + 1 + 10 + TQ_GAP_FACTOR * 10;
	tq_insert(&queue, &nodes[1001], 200, 4000);
	assert_int_equal(tq_next_event(&queue), own_end);
	assert_int_equal(queue.tiers, 2);
	sim_now = own_end;
	assert_int_equal(tq_expire(&queue, own_end - 1, fire_count, sim_clock), 0);
	assert_int_equal(tq_expire(&queue, own_end, fire_count, sim_clock), 1);
	assert_false(nodes[1001].queued);
	gap2_end += TQ_GAP_FACTOR * 10;
	assert_int_equal(tq_next_event(&queue), gap2_end);
	/* After the gap, a batch's worth of level 10. */
	sim_now = gap2_end;
	assert_int_equal(tq_expire(&queue, gap2_end, fire_count, sim_clock), TQ_BATCH);
	check_queue(&queue);
	/* Runs at many levels: the staircase keeps TQ_TIERS steps, the lowest merged. (A
	 * bystander that never falls due keeps each run from being a lone timer's, which is
	 * not charged.) */
	tq_init(&queue, 1000, 0);
	tq_insert(&queue, &nodes[2 * TQ_TIERS], 0, UINT64_MAX - 1);
	for (unsigned l = 0; l < 2 * TQ_TIERS; l++) {
		tq_insert(&queue, &nodes[l], 10 * l, sim_now);
		assert_int_equal(tq_expire(&queue, sim_now, fire_count, sim_clock), 1);
		assert_true(queue.tiers <= TQ_TIERS);
		assert_int_equal(queue.tier_level[queue.tiers - 1], 10 * l);
		for (unsigned i = 1; i < queue.tiers; i++) {
			assert_true(queue.tier_until[i] < queue.tier_until[i - 1]);
			assert_true(queue.tier_level[i] > queue.tier_level[i - 1]);
		}
	}
	assert_int_equal(queue.tiers, TQ_TIERS);
	/* A run ends early when a higher level falls due while it goes on. */
	tq_init(&queue, 1000, 0);
	for (unsigned i = 0; i < 100; i++)
		tq_insert(&queue, &nodes[i], 10, 100 + i);
	tq_insert(&queue, &nodes[100], 50, 5035);
	sim_now = 5000;
	fires = 0;
	assert_int_equal(tq_expire(&queue, 5000, fire_count, sim_clock), 4);
	assert_int_equal(tq_next_event(&queue), 5035);
	assert_int_equal(tq_expire(&queue, sim_now, fire_count, sim_clock), 1);
	assert_false(nodes[100].queued);
	check_queue(&queue);
	/* A run stretched from outside is charged at most charge_max. */
	tq_init(&queue, 1000, 0);
	tq_insert(&queue, &nodes[0], 0, 1);
	tq_insert(&queue, &nodes[1], 0, 1u << 30);
	sim_now = 1000000;
	assert_int_equal(tq_expire(&queue, 10, fire_count, sim_clock), 1);
	assert_int_equal(queue.tiers, 1);
	assert_int_equal(queue.tier_until[0], 1000010 + TQ_GAP_FACTOR * 1000);
	/* A lone timer's run is not charged: no wait is set. */
	tq_init(&queue, 1000, 0);
	tq_insert(&queue, &nodes[0], 0, 1);
	sim_now = 1000000;
	assert_int_equal(tq_expire(&queue, 10, fire_count, sim_clock), 1);
	assert_int_equal(queue.tiers, 0);
}

/* ---- a simulated CPU under storms --------------------------------------------------- */

#define STORM      4096
#define EXPIRY     300 /* simulated ticks per expiry */
#define OVERHEAD   200 /* per run: taking the interrupt, outside what the run measures */
#define MIN_PERIOD 100

static struct tq_node storm[STORM + 1];
static uint64_t storm_period[STORM + 1];
static uint64_t victim_fired_at;

static uint64_t storm_fire(struct tq_node *n, uint64_t now)
{
	sim_now += EXPIRY;
	unsigned i = (unsigned)(n - storm);
	if (i == STORM) {
		victim_fired_at = sim_now;
		return TQ_ONE_SHOT;
	}
	uint64_t next = n->deadline + storm_period[i];
	return next <= now ? now + storm_period[i] : next;
}

/* Runs the simulated CPU from 0 to `end`; returns the ticks spent in runs (with their
 * overhead). A victim one-shot at `victim_level` is armed every 50,000 ticks; the worst
 * delay from its deadline to the end of the run that expired it goes to *worst_delay. */
static uint64_t simulate(uint64_t end, unsigned victim_level, uint64_t *worst_delay)
{
	uint64_t busy = 0, next_victim = 25000, victim_deadline = 0;
	bool victim_armed = false;
	*worst_delay = 0;
	sim_now = 0;
	while (sim_now < end) {
		if (!victim_armed && victim_level && sim_now >= next_victim) {
			victim_deadline = sim_now + 977;
			tq_insert(&queue, &storm[STORM], victim_level, victim_deadline);
			victim_armed = true;
			victim_fired_at = 0;
		}
		uint64_t next = tq_next_event(&queue);
		if (next > sim_now) {
			/* Threads run until the next interrupt (or the victim's next arming). */
			uint64_t until = next < end ? next : end;
			if (victim_level && !victim_armed && next_victim < until)
				until = next_victim;
			sim_now = until;
			continue;
		}
		uint64_t start = sim_now;
		sim_now += OVERHEAD / 2;
		tq_expire(&queue, sim_now, storm_fire, sim_clock);
		sim_now += OVERHEAD / 2;
		busy += sim_now - start;
		if (victim_armed && victim_fired_at) {
			uint64_t delay = sim_now - victim_deadline;
			*worst_delay = delay > *worst_delay ? delay : *worst_delay;
			victim_armed = false;
			next_victim += 50000;
		}
	}
	return busy;
}

static void test_storm_one_level(void **state)
{
	(void)state;
	tq_init(&queue, 1000000, OVERHEAD);
	rng_state = 99;
	for (unsigned i = 0; i < STORM; i++) {
		storm_period[i] = MIN_PERIOD;
		tq_insert(&queue, &storm[i], 50, rnd_below(1000));
	}
	uint64_t worst, end = 20000000;
	uint64_t busy = simulate(end, 255, &worst);
	print_message("one level: timers took %lu.%lu%% of the CPU, victim delay <= %lu ticks\n",
	              (unsigned long)(busy * 100 / end), (unsigned long)(busy * 1000 / end % 10),
	              (unsigned long)worst);
	/* Steady state: each run of d (with the interrupt's overhead) is followed by 4d for
	 * threads: a fifth of the CPU. */
	assert_true(busy * 1000 <= end * 205);
	assert_true(busy * 100 >= end * 15); /* and the storm did keep it busy */
	/* The victim waits at most for the run in progress, then its own. */
	/* The victim waits for at most the expiry in progress, then its own run. */
	assert_true(worst > 0);
	assert_true(worst <= 2 * (EXPIRY + OVERHEAD));
}

static void test_storm_mixed_levels(void **state)
{
	(void)state;
	/* An adversary spreads its timers over levels 0..199 with periods from the minimum
	 * up, so that runs at rising levels keep bypassing each other's gaps. */
	tq_init(&queue, 1000000, OVERHEAD);
	rng_state = 1234;
	for (unsigned i = 0; i < STORM; i++) {
		storm_period[i] = MIN_PERIOD + rnd_below(i % 2 ? 100 : 100000);
		tq_insert(&queue, &storm[i], (unsigned)rnd_below(200), rnd_below(100000));
	}
	uint64_t worst, end = 20000000;
	uint64_t busy = simulate(end, 220, &worst);
	print_message("mixed levels: timers took %lu.%lu%% of the CPU, victim delay <= %lu ticks\n",
	              (unsigned long)(busy * 100 / end), (unsigned long)(busy * 1000 / end % 10),
	              (unsigned long)worst);
	assert_true(busy * 100 <= end * 25);
	/* The victim waits for at most the expiry in progress, then its own run. */
	assert_true(worst > 0);
	assert_true(worst <= 2 * (EXPIRY + OVERHEAD));
	check_queue(&queue);
}

static void test_storm_staggered(void **state)
{
	(void)state;
	/* 64 timers whose deadlines are spread evenly, so that runs are short: then the cost
	 * of taking the interrupt, which a run cannot measure, matters, and is charged. */
	tq_init(&queue, 1000000, OVERHEAD);
	for (unsigned i = 0; i < 64; i++) {
		storm_period[i] = 64 * 50;
		tq_insert(&queue, &storm[i], 7, i * 50);
	}
	uint64_t worst, end = 20000000;
	uint64_t busy = simulate(end, 0, &worst);
	print_message("staggered: timers took %lu.%lu%% of the CPU\n",
	              (unsigned long)(busy * 100 / end), (unsigned long)(busy * 1000 / end % 10));
	assert_true(busy * 1000 <= end * 205);
	assert_true(busy * 100 >= end * 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_few_levels),
	    cmocka_unit_test(test_random_many_levels),
	    cmocka_unit_test(test_random_one_level),
	    cmocka_unit_test(test_operations_are_logarithmic),
	    cmocka_unit_test(test_batch_bound_and_gap),
	    cmocka_unit_test(test_storm_one_level),
	    cmocka_unit_test(test_storm_mixed_levels),
	    cmocka_unit_test(test_storm_staggered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
