/* Timer storms: thousands of Timer objects, periodic at the minimum period or all due at
 * once, must neither stop higher-priority threads (or their timers) nor starve lower ones,
 * and cancelling, re-arming and deleting timers deep inside the kernel's queue must leave
 * it consistent. Nothing here measures wall-clock windows: threads count what they did,
 * and every wait has a generous limit, so a storm that stops the machine fails the test
 * (or hangs it until the harness's timeout) instead of passing by luck.
 *
 * The timers live in a CNode of their own (the root has 64 slots); one is invoked by
 * moving its cap into a root slot and back. */
#include "ktest.h"

#define STORM_RADIX   12
#define STORM_MAX     (1u << STORM_RADIX)
#define BATCH_RETYPE  256 /* the most one UNTYPED_RETYPE creates */
#define GENEROUS_MS   20000
#define BADGE_STORM   0x1
#define BADGE_VICTIM  0x2
#define BADGE_WITNESS 0x4

struct storm {
	m6_cptr_t cnode;   /* the timers' CNode: timer i in slot i */
	m6_cptr_t scratch; /* root slot a timer visits to be invoked */
	unsigned count;
};

static uint64_t ms_ticks(uint64_t ms)
{
	return kt_tick_freq() / 1000 * ms;
}

static uint64_t min_period(void)
{
	return kt_tick_freq() / 100000; /* 10 us, the least TIMER_SET accepts */
}

static bool storm_create(struct storm *s, unsigned count)
{
	s->count = count;
	s->cnode = kt_new(M6_OBJ_CNODE, STORM_RADIX);
	s->scratch = kt_slot();
	if (!s->cnode || !s->scratch)
		return false;
	for (unsigned first = 0; first < count; first += BATCH_RETYPE) {
		unsigned n = count - first < BATCH_RETYPE ? count - first : BATCH_RETYPE;
		uint64_t err =
		    m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_TIMER, 0, s->cnode, first, n);
		if (!CHECK_OK(err))
			return false;
	}
	return true;
}

/* Bring timer i into the root, returning its cptr there (0 on failure, reported). */
static m6_cptr_t storm_take(const struct storm *s, unsigned i)
{
	uint64_t err = m6_cnode_move(M6_CAP_SELF_CNODE, s->scratch, 64, s->cnode, i, 64);
	return CHECK_OK(err) ? s->scratch : 0;
}

static bool storm_put_back(const struct storm *s, unsigned i)
{
	return CHECK_OK(m6_cnode_move(s->cnode, i, 64, M6_CAP_SELF_CNODE, s->scratch, 64));
}

/* Set timer i's notification (0: leave it) and arm it. */
static bool storm_arm(const struct storm *s, unsigned i, m6_cptr_t ntfn, uint64_t deadline,
                      uint64_t period)
{
	m6_cptr_t t = storm_take(s, i);
	if (!t)
		return false;
	bool ok = (!ntfn || CHECK_OK(m6_timer_set_notification(t, ntfn))) &&
	          CHECK_OK(m6_timer_set(t, deadline, period));
	return storm_put_back(s, i) && ok;
}

static bool storm_cancel(const struct storm *s, unsigned i)
{
	m6_cptr_t t = storm_take(s, i);
	if (!t)
		return false;
	bool ok = CHECK_OK(m6_timer_cancel(t));
	return storm_put_back(s, i) && ok;
}

/* Arm `count` periodic timers at the minimum period, all due now, at the caller's
 * priority, signalling `ntfn`. */
static bool storm_start_periodic(struct storm *s, unsigned count, m6_cptr_t ntfn)
{
	if (!storm_create(s, count))
		return false;
	for (unsigned i = 0; i < count; i++)
		if (!storm_arm(s, i, ntfn, kt_ticks(), min_period()))
			return false;
	return true;
}

/* Block on a fresh one-shot timer `us` microseconds ahead; false if it did not wake us. */
static bool sleep_us(m6_cptr_t timer, m6_cptr_t ntfn, uint64_t badge, uint64_t us)
{
	if (m6_timer_set(timer, kt_ticks() + kt_tick_freq() / 1000000 * us, 0) != M6_OK)
		return false;
	return m6_wait(ntfn) == badge;
}

/* Main yields until the thread is done or `ms` have passed on the counter. */
static bool join_within(struct kt_thread *t, uint64_t ms)
{
	uint64_t end = kt_ticks() + ms_ticks(ms);
	while (!t->done && kt_ticks() < end)
		m6_yield();
	return t->done;
}

/* ---- (a) a higher-priority thread keeps running ---------------------------------------- */

/* 20 rounds of some work and a short sleep on its own timer; out[0] counts rounds. */
static uint64_t fn_work_and_sleep(struct kt_thread *self)
{
	m6_cptr_t timer = self->arg[0], ntfn = self->arg[1];
	for (unsigned round = 0; round < 20; round++) {
		for (volatile unsigned i = 0; i < 20000; i++)
			;
		if (!sleep_us(timer, ntfn, BADGE_VICTIM, 100))
			return 1;
		self->out[0]++;
	}
	return 0;
}

/* What tests (a) and (c) start from: the storm's timers will signal `sb` (BADGE_STORM on
 * `storm_n`), the test's own timer `t` signals `n` with BADGE_VICTIM. */
struct storm_caps {
	m6_cptr_t storm_n, n, t, sb;
};

static bool storm_caps_make(struct storm_caps *c)
{
	c->storm_n = kt_new(M6_OBJ_NOTIFICATION, 0);
	c->n = kt_new(M6_OBJ_NOTIFICATION, 0);
	c->t = kt_new(M6_OBJ_TIMER, 0);
	if (!c->storm_n || !c->n || !c->t)
		return false;
	c->sb = kt_mint(c->storm_n, M6_RIGHT_WRITE, BADGE_STORM);
	m6_cptr_t vb = kt_mint(c->n, M6_RIGHT_WRITE, BADGE_VICTIM);
	return c->sb && vb && m6_timer_set_notification(c->t, vb) == M6_OK;
}

TEST(timer_storm_min_period_higher_priority_runs)
{
	struct storm_caps c;
	REQUIRE(storm_caps_make(&c));
	m6_cptr_t storm_n = c.storm_n, n = c.n, t = c.t, sb = c.sb;
	/* 256 timers every 10 us, at main's priority: the old kernel never left the timer
	 * interrupt again (each expiry re-sorted the list) and nothing ran. */
	struct storm s;
	REQUIRE(storm_start_periodic(&s, 256, sb));
	struct kt_thread h;
	h.arg[0] = t;
	h.arg[1] = n;
	REQUIRE(kt_thread_start(&h, fn_work_and_sleep, KT_MAIN_PRIO + 50));
	CHECK(join_within(&h, GENEROUS_MS));
	CHECK_EQ(h.out[0], 20);
	CHECK_EQ(h.result, 0);
	/* The storm was real: its timers fired (and still do) meanwhile. */
	CHECK_EQ(m6_poll(storm_n), BADGE_STORM);
	uint64_t end = kt_ticks() + ms_ticks(GENEROUS_MS);
	while (m6_poll(storm_n) != BADGE_STORM && kt_ticks() < end)
		m6_yield();
	CHECK(kt_ticks() < end);
}

/* ---- (b) a high-priority timer among thousands of due low-priority ones ---------------- */

/* Arms its timer at arg[2] (at its own, high, priority), blocks; when woken, looks at once
 * whether the witness (the last low-priority timer in line) has fired. */
static uint64_t fn_victim(struct kt_thread *self)
{
	m6_cptr_t timer = self->arg[0], ntfn = self->arg[1], witness = self->arg[3];
	if (m6_timer_set(timer, self->arg[2], 0) != M6_OK)
		return 1;
	self->out[0] = m6_wait(ntfn);
	self->out[1] = m6_poll(witness);
	self->out[2] = kt_ticks();
	return 0;
}

TEST(timer_storm_high_priority_timer_first)
{
	m6_cptr_t back_n = kt_new(M6_OBJ_NOTIFICATION, 0), wit_n = kt_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t vic_n = kt_new(M6_OBJ_NOTIFICATION, 0), vic_t = kt_new(M6_OBJ_TIMER, 0);
	REQUIRE(back_n && wit_n && vic_n && vic_t);
	m6_cptr_t bb = kt_mint(back_n, M6_RIGHT_WRITE, BADGE_STORM);
	m6_cptr_t wb = kt_mint(wit_n, M6_RIGHT_WRITE, BADGE_WITNESS);
	m6_cptr_t vb = kt_mint(vic_n, M6_RIGHT_WRITE, BADGE_VICTIM);
	REQUIRE(bb && wb && vb);
	REQUIRE_OK(m6_timer_set_notification(vic_t, vb));
	struct storm s;
	REQUIRE(storm_create(&s, STORM_MAX));
	/* First pass: notifications only (the last timer, the witness, has its own), which
	 * also tells how long a pass over all the timers takes here. */
	uint64_t start = kt_ticks();
	for (unsigned i = 0; i < s.count; i++) {
		m6_cptr_t t = storm_take(&s, i);
		REQUIRE(t);
		REQUIRE_OK(m6_timer_set_notification(t, i == s.count - 1 ? wb : bb));
		REQUIRE(storm_put_back(&s, i));
	}
	uint64_t pass = kt_ticks() - start;
	/* Arm every low-priority timer (main's priority) one-shot at the same deadline D,
	 * then the victim's at D + 1 at a higher priority. With one deadline-ordered queue
	 * the victim would come after all of them; here it comes first. D must lie beyond
	 * the arming: if the machine was too slow for that, try again with more room. */
	bool armed_in_time = false;
	struct kt_thread v;
	v.arg[0] = vic_t;
	v.arg[1] = vic_n;
	v.arg[3] = wit_n;
	REQUIRE(kt_thread_create(&v, fn_victim, KT_MCP));
	for (unsigned attempt = 0; attempt < 4 && !armed_in_time; attempt++) {
		uint64_t d = kt_ticks() + (2ull << (2 * attempt)) * pass + ms_ticks(2);
		for (unsigned i = 0; i < s.count; i++)
			REQUIRE(storm_arm(&s, i, 0, d, 0));
		m6_poll(back_n);
		m6_poll(wit_n);
		m6_poll(vic_n);
		/* The victim runs at once (it outranks main), arms and blocks. */
		v.arg[2] = d + 1;
		v.done = false;
		uint64_t x0 = (uint64_t)(uintptr_t)&v;
		REQUIRE_OK(m6_tcb_write_registers(v.tcb, true, kt_thread_entry_pc(),
		                                  kt_thread_stack_top(&v), &x0, 1));
		armed_in_time = kt_ticks() < d;
		if (!armed_in_time) {
			kt_puts("timer_storm_high_priority_timer_first: arming too slow, again\n");
			REQUIRE(join_within(&v, GENEROUS_MS));
		}
	}
	REQUIRE(armed_in_time);
	CHECK(join_within(&v, GENEROUS_MS));
	CHECK_EQ(v.result, 0);
	CHECK_EQ(v.out[0], BADGE_VICTIM);
	/* The last of the 4,096 low-priority timers due before it had not fired yet. */
	CHECK_EQ(v.out[1], 0);
	/* And the backlog does drain, in order: the witness fires last, but fires. */
	uint64_t end = kt_ticks() + ms_ticks(GENEROUS_MS);
	uint64_t w = 0;
	while ((w = m6_poll(wit_n)) == 0 && kt_ticks() < end)
		m6_yield();
	CHECK_EQ(w, BADGE_WITNESS);
	CHECK_EQ(m6_poll(back_n), BADGE_STORM);
}

/* ---- (c) lower-priority threads still get the CPU -------------------------------------- */

static uint64_t fn_count_to(struct kt_thread *self)
{
	while (self->out[0] < self->arg[0])
		self->out[0]++;
	return 0;
}

TEST(timer_storm_lower_priority_progresses)
{
	struct storm_caps c;
	REQUIRE(storm_caps_make(&c));
	m6_cptr_t storm_n = c.storm_n, n = c.n, t = c.t, sb = c.sb;
	/* 4,096 timers every 10 us at main's priority: far more than the kernel can expire,
	 * so the storm lasts as long as the test. */
	struct storm s;
	REQUIRE(storm_start_periodic(&s, STORM_MAX, sb));
	/* A thread below the storm's priority counts to 10 million; main, above it, sleeps
	 * in short steps meanwhile (its own timer is above the storm's level). */
	struct kt_thread low;
	low.arg[0] = 10000000;
	REQUIRE(kt_thread_start(&low, fn_count_to, KT_MAIN_PRIO - 50));
	REQUIRE_OK(m6_tcb_set_priority(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, KT_MAIN_PRIO + 50));
	uint64_t end = kt_ticks() + ms_ticks(GENEROUS_MS);
	unsigned sleeps = 0, storm_seen = 0;
	while (!low.done && kt_ticks() < end) {
		if (!CHECK(sleep_us(t, n, BADGE_VICTIM, 1000)))
			break;
		sleeps++;
		storm_seen += m6_poll(storm_n) == BADGE_STORM;
	}
	CHECK(low.done);
	CHECK_EQ(low.out[0], 10000000);
	CHECK(sleeps > 0);
	/* The storm went on while the low thread counted. */
	CHECK(storm_seen > 0);
}

/* ---- (d) cancel, re-arm and delete timers inside the queue ----------------------------- */

#define MIXED       512
#define MIXED_NTFNS (MIXED / 64)
#define FAR_FUTURE  (1ull << 61)

enum fate { CANCELLED, DELETED, REARMED, UNTOUCHED };

static enum fate fate_of(unsigned i)
{
	return (enum fate)((i * 7 + i / 64) % 4);
}

/* Poll the notifications, OR-ing into seen[]; true once seen[] covers want[]. */
static bool collect(const m6_cptr_t *ntfn, uint64_t *seen, const uint64_t *want)
{
	bool all = true;
	for (unsigned j = 0; j < MIXED_NTFNS; j++) {
		uint64_t w = m6_poll(ntfn[j]);
		if (w != M6_ERR_WOULD_BLOCK)
			seen[j] |= w;
		all = all && (seen[j] & want[j]) == want[j];
	}
	return all;
}

static void wait_for_bits(const m6_cptr_t *ntfn, uint64_t *seen, const uint64_t *want)
{
	uint64_t end = kt_ticks() + ms_ticks(GENEROUS_MS);
	while (!collect(ntfn, seen, want) && kt_ticks() < end)
		m6_yield();
	/* Anything that would wrongly fire alongside has had the time to. */
	for (unsigned k = 0; k < 50; k++) {
		collect(ntfn, seen, want);
		m6_yield();
	}
}

TEST(timer_storm_cancel_rearm_delete_in_queue)
{
	m6_cptr_t ntfn[MIXED_NTFNS];
	for (unsigned j = 0; j < MIXED_NTFNS; j++)
		REQUIRE(ntfn[j] = kt_new(M6_OBJ_NOTIFICATION, 0));
	m6_cptr_t badged = kt_slot();
	REQUIRE(badged);
	struct storm s;
	REQUIRE(storm_create(&s, MIXED));
	/* Every timer has its own bit: notification i / 64, badge bit i % 64. They go in at
	 * five priorities (main changes its own between), far in the future, so the queue
	 * holds five deep heaps. */
	static const uint64_t prios[] = {60, 80, KT_MAIN_PRIO, 120, 140};
	uint64_t seed = 0x5eed;
	for (unsigned i = 0; i < MIXED; i++) {
		REQUIRE_OK(m6_cnode_mint(M6_CAP_SELF_CNODE, badged, 64, M6_CAP_SELF_CNODE,
		                         ntfn[i / 64], 64, M6_RIGHT_WRITE, 1ull << (i % 64)));
		REQUIRE_OK(m6_tcb_set_priority(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB,
		                               prios[kt_rand(&seed) % 5]));
		/* The timer keeps its own copy of the badged cap. */
		bool ok = storm_arm(&s, i, badged, FAR_FUTURE + kt_rand(&seed) % ms_ticks(1000), 0);
		REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, badged, 64));
		REQUIRE(ok);
	}
	/* Now, in a shuffled order: cancel a quarter, delete a quarter (finalised while
	 * armed), re-arm a quarter into the past at a random priority (they fire while the
	 * rest of this goes on), leave a quarter. */
	unsigned order[MIXED];
	for (unsigned i = 0; i < MIXED; i++)
		order[i] = i;
	for (unsigned i = MIXED - 1; i > 0; i--) {
		unsigned j = (unsigned)(kt_rand(&seed) % (i + 1)), x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	uint64_t want[MIXED_NTFNS] = {0}, seen[MIXED_NTFNS] = {0};
	for (unsigned k = 0; k < MIXED; k++) {
		unsigned i = order[k];
		switch (fate_of(i)) {
		case CANCELLED:
			REQUIRE(storm_cancel(&s, i));
			break;
		case DELETED:
			REQUIRE_OK(m6_cnode_delete(s.cnode, i, 64));
			break;
		case REARMED:
			REQUIRE_OK(m6_tcb_set_priority(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB,
			                               prios[kt_rand(&seed) % 5]));
			REQUIRE(storm_arm(&s, i, 0, kt_ticks() - kt_rand(&seed) % 1000, 0));
			want[i / 64] |= 1ull << (i % 64);
			break;
		case UNTOUCHED:
			break;
		}
	}
	REQUIRE_OK(m6_tcb_set_priority(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, KT_MAIN_PRIO));
	wait_for_bits(ntfn, seen, want);
	for (unsigned j = 0; j < MIXED_NTFNS; j++)
		CHECK_EQ(seen[j], want[j]);
	/* The untouched ones are still in the queue, intact: bring them forward. */
	uint64_t want2[MIXED_NTFNS] = {0}, seen2[MIXED_NTFNS] = {0};
	for (unsigned i = 0; i < MIXED; i++) {
		if (fate_of(i) != UNTOUCHED)
			continue;
		REQUIRE(storm_arm(&s, i, 0, kt_ticks(), 0));
		want2[i / 64] |= 1ull << (i % 64);
	}
	wait_for_bits(ntfn, seen2, want2);
	for (unsigned j = 0; j < MIXED_NTFNS; j++)
		CHECK_EQ(seen2[j], want2[j]);
	/* Cancelling a timer that is not armed (cancelled, or fired one-shot) is fine. */
	for (unsigned i = 0; i < 8; i++)
		if (fate_of(i) == CANCELLED || fate_of(i) == REARMED)
			CHECK(storm_cancel(&s, i));
}

const struct kt_test kt_suite_timer_storm[] = {
    KT_ENTRY(timer_storm_min_period_higher_priority_runs),
    KT_ENTRY(timer_storm_high_priority_timer_first),
    KT_ENTRY(timer_storm_lower_priority_progresses),
    KT_ENTRY(timer_storm_cancel_rearm_delete_in_queue),
    KT_END,
};
