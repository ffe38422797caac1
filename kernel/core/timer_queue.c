/* The queue of armed timers: see kernel/timer_queue.h for the design. Everything here is
 * worst-case bounded: a heap operation walks one root-to-leaf path (at most 64 steps, in
 * practice log2 of the level's size), a tournament update or query 8 steps. */
#include <kernel/timer_queue.h>

/* Loop iterations, counted only in the host tests (which check the O(log n) bounds). */
#ifdef TQ_COUNT_STEPS
#define STEP(q) ((q)->steps++)
#else
#define STEP(q) ((void)(q))
#endif

static bool before(const struct tq_node *a, const struct tq_node *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

/* The node at BFS position k (1 = root) of a level: the bits of k below its top bit
 * spell the path, 0 = left. */
static struct tq_node *node_at(struct timer_queue *q, const struct tq_level *lv, uint64_t k)
{
	struct tq_node *x = lv->root;
	for (int b = 62 - __builtin_clzll(k); b >= 0; b--) {
		x = (k >> b) & 1 ? x->right : x->left;
		STEP(q);
	}
	return x;
}

static void replace_child(struct tq_level *lv, struct tq_node *parent, struct tq_node *old,
                          struct tq_node *new)
{
	if (!parent)
		lv->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

/* Exchange x with its parent: nodes move, never their contents (caps point at timers). */
static void swap_with_parent(struct tq_level *lv, struct tq_node *x)
{
	struct tq_node *p = x->parent, *xl = x->left, *xr = x->right;
	replace_child(lv, p->parent, p, x);
	x->parent = p->parent;
	if (p->left == x) {
		x->left = p;
		x->right = p->right;
		if (x->right)
			x->right->parent = x;
	} else {
		x->right = p;
		x->left = p->left;
		if (x->left)
			x->left->parent = x;
	}
	p->parent = x;
	p->left = xl;
	p->right = xr;
	if (xl)
		xl->parent = p;
	if (xr)
		xr->parent = p;
}

static void sift_up(struct timer_queue *q, struct tq_level *lv, struct tq_node *x)
{
	while (x->parent && before(x, x->parent)) {
		swap_with_parent(lv, x);
		STEP(q);
	}
}

static void sift_down(struct timer_queue *q, struct tq_level *lv, struct tq_node *x)
{
	for (;;) {
		struct tq_node *c = x->left;
		if (x->right && before(x->right, c))
			c = x->right;
		if (!c || !before(c, x))
			return;
		swap_with_parent(lv, c);
		STEP(q);
	}
}

/* Level l's root changed: refresh its leaf and the path above it. */
static void update_level(struct timer_queue *q, unsigned level)
{
	const struct tq_node *root = q->levels[level].root;
	unsigned i = TQ_LEVELS + level;
	q->earliest[i] = root ? root->deadline : UINT64_MAX;
	for (i >>= 1; i; i >>= 1) {
		uint64_t l = q->earliest[2 * i], r = q->earliest[2 * i + 1], m = l < r ? l : r;
		STEP(q);
		if (q->earliest[i] == m)
			break; /* nothing above changes either */
		q->earliest[i] = m;
	}
}

void tq_init(struct timer_queue *q, uint64_t charge_max, uint64_t run_overhead)
{
	for (unsigned l = 0; l < TQ_LEVELS; l++)
		q->levels[l] = (struct tq_level){NULL, 0};
	for (unsigned i = 0; i < 2 * TQ_LEVELS; i++)
		q->earliest[i] = UINT64_MAX;
	q->next_seq = 0;
	q->armed = 0;
	q->lone = NULL;
	q->lone_stale = false;
	q->tiers = 0;
	q->charge_max = charge_max ? charge_max : 1;
	q->run_overhead = run_overhead;
	q->steps = 0;
}

void tq_insert(struct timer_queue *q, struct tq_node *n, unsigned level, uint64_t deadline)
{
	tq_refresh_lone(q);
	struct tq_level *lv = &q->levels[level];
	n->deadline = deadline;
	n->seq = q->next_seq++;
	n->level = (uint8_t)level;
	n->queued = true;
	n->left = n->right = NULL;
	if (++q->armed == 1)
		q->lone = n;
	lv->count++;
	if (lv->count == 1) {
		n->parent = NULL;
		lv->root = n;
	} else {
		/* The new last position's parent is position count / 2. */
		struct tq_node *p = node_at(q, lv, lv->count >> 1);
		n->parent = p;
		if (lv->count & 1)
			p->right = n;
		else
			p->left = n;
		sift_up(q, lv, n);
	}
	if (lv->root == n)
		update_level(q, level);
}

/* The one node left armed: in the level just removed from, or at the end of the
 * tournament's path to the earliest deadline (a level with a node has a leaf below
 * UINT64_MAX unless the node's own deadline is that; then a scan finds it). */
static struct tq_node *find_lone(struct timer_queue *q, const struct tq_level *removed_from)
{
	if (removed_from->count)
		return removed_from->root;
	unsigned i = 1;
	while (i < TQ_LEVELS) {
		i = q->earliest[2 * i] == q->earliest[i] ? 2 * i : 2 * i + 1;
		STEP(q);
	}
	if (q->levels[i - TQ_LEVELS].root)
		return q->levels[i - TQ_LEVELS].root;
	for (unsigned l = 0; l < TQ_LEVELS; l++)
		if (q->levels[l].root)
			return q->levels[l].root;
	return NULL;
}

void tq_remove(struct timer_queue *q, struct tq_node *n)
{
	tq_refresh_lone(q);
	struct tq_level *lv = &q->levels[n->level];
	bool was_root = lv->root == n;
	struct tq_node *last = node_at(q, lv, lv->count);
	lv->count--;
	replace_child(lv, last->parent, last, NULL);
	if (last != n) {
		/* The last node takes n's place (n's links as they are now: last may have
		 * been its child), then moves up or down to where it belongs. */
		last->parent = n->parent;
		last->left = n->left;
		last->right = n->right;
		replace_child(lv, n->parent, n, last);
		if (last->left)
			last->left->parent = last;
		if (last->right)
			last->right->parent = last;
		if (last->parent && before(last, last->parent))
			sift_up(q, lv, last);
		else
			sift_down(q, lv, last);
	}
	n->parent = n->left = n->right = NULL;
	n->queued = false;
	/* Only the root's deadline is in the tournament; another removal may still have
	 * moved a different node to the root. */
	if (was_root || lv->root == last)
		update_level(q, n->level);
	if (--q->armed == 1)
		q->lone = find_lone(q, lv);
}

uint64_t tq_earliest(const struct timer_queue *q, unsigned lo, unsigned hi)
{
	if (q->lone_stale) {
		/* The only node, its deadline not yet on the path (tq_refresh_lone). */
		unsigned l = q->lone->level;
		return l >= lo && l <= hi ? q->lone->deadline : UINT64_MAX;
	}
	uint64_t m = UINT64_MAX;
	/* Minimum over leaves [lo, hi]: the usual bottom-up range walk. */
	for (unsigned l = TQ_LEVELS + lo, r = TQ_LEVELS + hi; l <= r; l >>= 1, r >>= 1) {
		if (l & 1) {
			m = q->earliest[l] < m ? q->earliest[l] : m;
			l++;
		}
		if (!(r & 1)) {
			m = q->earliest[r] < m ? q->earliest[r] : m;
			r--;
		}
	}
	return m;
}

/* The earliest time a level >= min_level has a due timer and may run. */
static uint64_t next_event_from(const struct timer_queue *q, unsigned min_level)
{
	uint64_t best = UINT64_MAX;
	unsigned lo = min_level;
	for (unsigned i = 0; i < q->tiers; i++) {
		unsigned hi = q->tier_level[i];
		if (hi >= lo) {
			uint64_t e = tq_earliest(q, lo, hi);
			if (e != UINT64_MAX) {
				e = e > q->tier_until[i] ? e : q->tier_until[i];
				best = e < best ? e : best;
			}
			lo = hi + 1;
		}
	}
	if (lo < TQ_LEVELS) {
		uint64_t e = tq_earliest(q, lo, TQ_LEVELS - 1);
		best = e < best ? e : best;
	}
	return best;
}

uint64_t tq_next_event_from_tiers(const struct timer_queue *q)
{
	return next_event_from(q, 0);
}

/* The highest level with a due timer, if it is at least `floor`; -1 if none. */
static int due_level(struct timer_queue *q, uint64_t now, unsigned floor)
{
	if (q->earliest[1] > now)
		return -1;
	/* Descend towards the rightmost (highest) leaf whose deadline has passed. */
	unsigned i = 1;
	while (i < TQ_LEVELS) {
		i = 2 * i + 1;
		if (q->earliest[i] > now)
			i--;
		STEP(q);
	}
	unsigned level = i - TQ_LEVELS;
	return level >= floor ? (int)level : -1;
}

/* A level's root fired and goes on (periodic): give it its next deadline where it is
 * and let it sink. Cheaper than removing and arming it again, same order. */
static void reschedule_root(struct timer_queue *q, struct tq_level *lv, struct tq_node *n,
                            uint64_t deadline)
{
	n->deadline = deadline;
	n->seq = q->next_seq++;
	sift_down(q, lv, n);
	update_level(q, n->level);
}

static void push_tier(uint8_t *level, uint64_t *until, unsigned *n, unsigned l, uint64_t u)
{
	if (*n && until[*n - 1] == u) {
		level[*n - 1] = (uint8_t)l; /* the same wait: one tier */
		return;
	}
	level[*n] = (uint8_t)l;
	until[*n] = u;
	(*n)++;
}

/* A run of level `top` from start to end: it and every level below wait 4d more. */
void tq_charge(struct timer_queue *q, uint64_t start, uint64_t end, unsigned top)
{
	uint64_t d = (end > start ? end - start : 0) + q->run_overhead;
	if (d == 0)
		d = 1; /* every run costs something, even below the counter's resolution */
	if (d > q->charge_max)
		d = q->charge_max;
	uint64_t add = TQ_GAP_FACTOR * d;
	if (q->tiers == 0 ||
	    (q->tiers == 1 &&
	     (q->tier_level[0] == top || (q->tier_level[0] < top && q->tier_until[0] <= end)))) {
		/* The usual case: one step, from level 0 up to this run's level. */
		uint64_t u = q->tiers && q->tier_until[0] > end ? q->tier_until[0] : end;
		q->tiers = 1;
		q->tier_level[0] = (uint8_t)top;
		q->tier_until[0] = u + add;
		return;
	}
	/* Rebuild the staircase: tiers up to top get max(wait, end) + add (a tier across
	 * top is split there), tiers above keep their wait, and waits already over by the
	 * run's end are dropped (they are the highest tiers: waits fall with the level). */
	uint8_t level[TQ_TIERS + 2];
	uint64_t until[TQ_TIERS + 2];
	unsigned n = 0, lo = 0;
	for (unsigned i = 0; i < q->tiers; i++) {
		unsigned hi = q->tier_level[i];
		uint64_t u = q->tier_until[i];
		if (lo <= top)
			push_tier(level, until, &n, hi < top ? hi : top, (u > end ? u : end) + add);
		if (hi > top && u > end)
			push_tier(level, until, &n, hi, u);
		lo = hi + 1;
	}
	if (lo <= top)
		push_tier(level, until, &n, top, end + add);
	/* Too many steps: the lowest two become one, with the longer wait. */
	unsigned first = 0;
	while (n - first > TQ_TIERS) {
		until[first + 1] = until[first];
		first++;
	}
	q->tiers = n - first;
	for (unsigned i = 0; i < q->tiers; i++) {
		q->tier_level[i] = level[first + i];
		q->tier_until[i] = until[first + i];
	}
}

unsigned tq_expire(struct timer_queue *q, uint64_t now, tq_fire_fn *fire, tq_clock_fn *clock)
{
	int lone = tq_expire_lone(q, now, fire, clock);
	if (lone >= 0)
		return (unsigned)lone;
	tq_refresh_lone(q); /* not reached while one node is armed; kept for safety */
	int level = due_level(q, now, tq_floor_at(q, now));
	if (level < 0)
		return 0;
	/* One run serves one level, the highest due one that may run: the threads its
	 * timers wake run before any lower level's timers are looked at. Firing only moves
	 * timers of this level into the future, so when a level above may next run stays
	 * what it is now (later than now: else that level would have been chosen). */
	unsigned top = (unsigned)level, count = 0;
	struct tq_level *lv = &q->levels[top];
	uint64_t above = 0, t;
	bool above_known = false;
	for (;;) {
		struct tq_node *n = lv->root;
		uint64_t next = fire(n, now);
		if (next == TQ_ONE_SHOT)
			tq_remove(q, n);
		else
			reschedule_root(q, lv, n, next);
		count++;
		t = clock();
		if (count == TQ_BATCH || !lv->root || lv->root->deadline > now)
			break;
		/* A higher level fell due meanwhile: end the run here, it goes next. (Looked
		 * up only when the run would go on: a lone timer needs none of this.) */
		if (!above_known) {
			above = top + 1 < TQ_LEVELS ? next_event_from(q, top + 1) : UINT64_MAX;
			above_known = true;
		}
		if (above <= t)
			break;
	}
	tq_charge(q, now, t, top);
	return count;
}
