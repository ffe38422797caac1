/* Revoke and delete at scale: long revokes and CNode deletions are preempted and go on
 * when the invocation is issued again; a slot whose CNode is being emptied holds a zombie
 * that nothing can use and that a delete finishes; deep and cyclic CSpaces are destroyed;
 * deleting the last cap with a badge cancels the sends queued with that badge.
 *
 * Preemption is observed, not timed: a watcher thread above main's priority wakes on a
 * periodic kernel timer (every 50 us) and looks at the state of the operation main has in
 * progress. The operations take milliseconds (tens of thousands of caps), so the watcher
 * runs during them many times over; on a kernel that does them in one go it only ever sees
 * them not started or finished. */
#include "ktest.h"

#define ROOT M6_CAP_SELF_CNODE

/* ---- the watcher ---------------------------------------------------------------- */

struct watch;
typedef bool (*watch_probe)(struct watch *w);

struct watch {
	m6_cptr_t timer, ntfn, badged;
	watch_probe probe;
	uint64_t arg[4];
	volatile uint64_t done;
	volatile uint64_t wakes;
	volatile uint64_t seen; /* wakes at which the probe saw the operation half done */
	volatile uint64_t out[4];
};

static uint64_t fn_watcher(struct kt_thread *self)
{
	struct watch *w = (struct watch *)(uintptr_t)self->arg[0];
	while (!w->done) {
		if (m6_wait(w->ntfn) == 0)
			return 1;
		if (w->done)
			break;
		w->wakes++;
		if (w->probe(w))
			w->seen++;
	}
	return 0;
}

static bool watch_start(struct watch *w, struct kt_thread *t, watch_probe probe)
{
	w->probe = probe;
	w->done = 0;
	w->timer = kt_new(M6_OBJ_TIMER, 0);
	w->ntfn = kt_new(M6_OBJ_NOTIFICATION, 0);
	if (!w->timer || !w->ntfn)
		return false;
	w->badged = kt_mint(w->ntfn, M6_RIGHT_WRITE, 1);
	if (!w->badged || !CHECK_OK(m6_timer_set_notification(w->timer, w->badged)))
		return false;
	t->arg[0] = (uint64_t)(uintptr_t)w;
	if (!kt_thread_start(t, fn_watcher, KT_HELPER_PRIO))
		return false;
	uint64_t period = kt_tick_freq() / 20000; /* 50 us */
	return CHECK_OK(m6_timer_set(w->timer, kt_ticks() + period, period));
}

static void watch_stop(struct watch *w, struct kt_thread *t)
{
	w->done = 1;
	m6_timer_cancel(w->timer);
	m6_signal(w->badged);
	CHECK(kt_join(t, 100));
	CHECK_EQ(t->result, 0);
}

/* Whether slot `index` of CNode `cn` holds a cap: a copy of it into `probe` works. */
static bool present(m6_cptr_t cn, uint64_t index, m6_cptr_t probe)
{
	if (m6_cnode_copy(ROOT, probe, 64, cn, index, 64, M6_RIGHTS_ALL) != M6_OK)
		return false;
	m6_cnode_delete(ROOT, probe, 64);
	return true;
}

/* ---- a long chain revoked under a pending interrupt ------------------------------- */

#define CHAIN_RADIX 14
/* The watcher's timer interrupt is raised by QEMU's host-side timer thread, which a loaded
 * host may hold back past a whole operation: the tests below try again until the watcher
 * has seen one half done, for up to this much counter time (under icount, qemu.ktest.icount,
 * the first try always sees it). */
#define WATCH_PATIENCE_MS (2 * KT_PATIENCE_MS)

static bool keep_trying(unsigned attempt, uint64_t start)
{
	return attempt == 0 || kt_ticks() - start < WATCH_PATIENCE_MS * kt_tick_freq() / 1000;
}
#define CHAIN_LEN (1u << CHAIN_RADIX)

/* arg: the chain's CNode, a probe slot. Half done: the first copy is gone (the revoke
 * removes them in chain order), the last one is not. */
static bool probe_chain(struct watch *w)
{
	return !present(w->arg[0], 0, w->arg[1]) && present(w->arg[0], CHAIN_LEN - 1, w->arg[1]);
}

TEST(revoke_long_chain_is_preempted_and_completes)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t cn = kt_new(M6_OBJ_CNODE, CHAIN_RADIX);
	m6_cptr_t probe = kt_slot();
	REQUIRE(n && cn && probe);
	m6_cptr_t badged = kt_mint(n, M6_RIGHTS_ALL, 0x5);
	REQUIRE(badged);
	static struct watch w;
	static struct kt_thread t;
	w.arg[0] = cn;
	w.arg[1] = probe;
	REQUIRE(watch_start(&w, &t, probe_chain));
	const uint64_t start = kt_ticks();
	for (unsigned attempt = 0; keep_trying(attempt, start) && w.seen == 0; attempt++) {
		/* cn[0] is a copy of the badged cap, cn[i] a copy of cn[i - 1]: a chain
		 * 16384 deep */
		REQUIRE_OK(m6_cnode_copy(cn, 0, 64, ROOT, badged, 64, M6_RIGHTS_ALL));
		for (uint64_t i = 1; i < CHAIN_LEN; i++)
			REQUIRE_OK(m6_cnode_copy(cn, i, 64, cn, i - 1, 64, M6_RIGHTS_ALL));
		CHECK_OK(m6_cnode_revoke(ROOT, badged, 64));
		for (uint64_t i = 0; i < CHAIN_LEN; i += 1023)
			CHECK(!present(cn, i, probe));
		CHECK(!present(cn, CHAIN_LEN - 1, probe));
	}
	watch_stop(&w, &t);
	/* the watcher ran while the revoke was half done: it was preempted, and the svc
	 * issued again went on from where it stopped */
	CHECK(w.seen >= 1);
	/* the revoked cap itself stays, and works */
	m6_poll(n);
	CHECK_OK(m6_signal(badged));
	CHECK_EQ(m6_poll(n), 0x5);
}

/* ---- a large CNode deleted: the zombie -------------------------------------------- */

#define BIG_RADIX 13
#define BIG_SLOTS (1u << BIG_RADIX)

static uint64_t fn_receiver(struct kt_thread *self)
{
	struct m6_msg m = {0};
	self->out[1] = 1;
	self->out[0] = m6_recv(self->arg[0], &m);
	return 0;
}

/* arg: the slot being deleted, a probe slot, an endpoint. While the CNode is emptied its
 * slot holds a zombie: no invocation, copy or lookup accepts it, the slot is not free; a
 * delete of it finishes the job. */
static bool probe_zombie(struct watch *w)
{
	m6_cptr_t c = w->arg[0], probe = w->arg[1];
	if (w->out[0])
		return false; /* finished: the slot is main's again */
	struct m6_msg m = {.info = m6_msginfo(KT_BAD_LABEL, 0)};
	uint64_t invoke = m6_call(c, &m);
	/* a live CNode refuses the label; an empty slot is an invalid cap but a free slot
	 * (then the copy into it is undone at once: main is not running meanwhile) */
	if (invoke != M6_ERR_INVALID_CAP)
		return false;
	uint64_t into = m6_cnode_copy(ROOT, c, 64, ROOT, w->arg[2], 64, M6_RIGHTS_ALL);
	if (into == M6_OK)
		m6_cnode_delete(ROOT, c, 64);
	if (into != M6_ERR_DELETE_FIRST)
		return false;
	w->out[0] = 1;
	w->out[1] = m6_cnode_copy(ROOT, probe, 64, ROOT, c, 64, M6_RIGHTS_ALL);
	w->out[2] = m6_cnode_copy(ROOT, probe, 64, c, 0, 64, M6_RIGHTS_ALL);
	w->out[3] = m6_cnode_delete(ROOT, c, 64);
	return true;
}

/* A fresh CNode in root slot `c` full of last caps to notifications, and in its last
 * slot the cap in root slot `last` (moved), if any. */
static bool fill_big_cnode(m6_cptr_t c, m6_cptr_t last)
{
	if (!CHECK_OK(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_CNODE, BIG_RADIX, ROOT, c, 1)))
		return false;
	for (uint64_t first = 0; first < BIG_SLOTS - 1; first += 256) {
		uint64_t count = BIG_SLOTS - 1 - first < 256 ? BIG_SLOTS - 1 - first : 256;
		if (!CHECK_OK(
		        m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_NOTIFICATION, 0, c, first, count)))
			return false;
	}
	return !last || CHECK_OK(m6_cnode_move(c, BIG_SLOTS - 1, 64, ROOT, last, 64));
}

TEST(cnode_delete_zombie_refused_then_finished_by_delete)
{
	m6_cptr_t c = kt_slot(), ep = kt_new(M6_OBJ_ENDPOINT, 0), probe = kt_slot();
	REQUIRE(c && ep && probe);
	static struct kt_thread rx;
	rx.arg[0] = ep;
	REQUIRE(kt_thread_start(&rx, fn_receiver, KT_HELPER_PRIO));
	REQUIRE(rx.out[1] && !rx.done);
	static struct watch w;
	static struct kt_thread t;
	w.arg[0] = c;
	w.arg[1] = probe;
	w.arg[2] = CAP_DEBUG_CONSOLE;
	w.out[0] = 0;
	REQUIRE(watch_start(&w, &t, probe_zombie));
	/* 8191 notifications (last caps to them) and, the first time, in the last slot the
	 * only cap to an endpoint a thread waits on. The watcher finishes the deletion itself
	 * the first time it sees the zombie; main's delete, issued again, then finds the slot
	 * empty. As above, tries until the timer has come in time. */
	const uint64_t start = kt_ticks();
	for (unsigned attempt = 0; keep_trying(attempt, start) && !w.out[0]; attempt++) {
		REQUIRE(fill_big_cnode(c, attempt == 0 ? ep : 0));
		CHECK_OK(m6_cnode_delete(ROOT, c, 64));
		CHECK(!kt_occupied(c));
		if (attempt == 0) {
			/* the contents went: the receiver was released */
			CHECK(kt_join(&rx, 10));
			CHECK_ERR(rx.out[0], M6_ERR_INVALID_CAP);
		}
	}
	watch_stop(&w, &t);
	CHECK(w.seen >= 1);
	CHECK_EQ(w.out[0], 1);
	CHECK_ERR(w.out[1], M6_ERR_INVALID_CAP); /* copy of the zombie */
	CHECK_ERR(w.out[2], M6_ERR_INVALID_CAP); /* the zombie as a source CNode */
	CHECK_OK(w.out[3]);                      /* delete finishes it */
	CHECK(!kt_occupied(c));
}

/* ---- deep and cyclic CSpaces ------------------------------------------------------- */

#define DEEP 600

TEST(cnode_delete_deep_cspace)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	m6_cptr_t a = kt_new(M6_OBJ_CNODE, 1), b = kt_slot();
	REQUIRE(ep && a && b);
	static struct kt_thread rx;
	rx.arg[0] = ep;
	REQUIRE(kt_thread_start(&rx, fn_receiver, KT_HELPER_PRIO));
	/* the endpoint's only cap at the bottom of DEEP nested two-slot CNodes */
	REQUIRE_OK(m6_cnode_move(a, 1, 64, ROOT, ep, 64));
	for (unsigned i = 0; i < DEEP; i++) {
		REQUIRE_OK(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_CNODE, 1, ROOT, b, 1));
		REQUIRE_OK(m6_cnode_move(b, 0, 64, ROOT, a, 64));
		m6_cptr_t top = b;
		b = a;
		a = top;
	}
	REQUIRE(!rx.done);
	CHECK_OK(m6_cnode_delete(ROOT, a, 64));
	CHECK(kt_join(&rx, 10));
	CHECK_ERR(rx.out[0], M6_ERR_INVALID_CAP);
	CHECK(!kt_occupied(a));
}

TEST(cnode_revoke_untyped_of_cyclic_cspace)
{
	m6_cptr_t u = kt_slot(), c = kt_slot(), d = kt_slot(), ep = kt_slot();
	REQUIRE(u && c && d && ep);
	REQUIRE_OK(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_UNTYPED, 16, ROOT, u, 1));
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_CNODE, 2, ROOT, c, 1));
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_CNODE, 2, ROOT, d, 1));
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_ENDPOINT, 0, ROOT, ep, 1));
	m6_cptr_t rx_ep = kt_copy(ep, M6_RIGHTS_ALL);
	REQUIRE(rx_ep);
	static struct kt_thread rx;
	rx.arg[0] = rx_ep;
	REQUIRE(kt_thread_start(&rx, fn_receiver, KT_HELPER_PRIO));
	/* C holds D and itself, D holds C and the endpoint's last cap */
	REQUIRE_OK(m6_cnode_copy(c, 0, 64, ROOT, d, 64, M6_RIGHTS_ALL));
	REQUIRE_OK(m6_cnode_copy(c, 1, 64, ROOT, c, 64, M6_RIGHTS_ALL));
	REQUIRE_OK(m6_cnode_copy(d, 0, 64, ROOT, c, 64, M6_RIGHTS_ALL));
	REQUIRE_OK(m6_cnode_move(d, 1, 64, ROOT, ep, 64));
	REQUIRE_OK(m6_cnode_delete(ROOT, rx_ep, 64));
	/* deleting the outside caps leaves the cycle alive (each keeps the other) */
	REQUIRE_OK(m6_cnode_delete(ROOT, c, 64));
	REQUIRE_OK(m6_cnode_delete(ROOT, d, 64));
	CHECK(!rx.done);
	/* revoking their untyped destroys the cycle, and all of its memory is free again */
	CHECK_OK(m6_cnode_revoke(ROOT, u, 64));
	CHECK(kt_join(&rx, 10));
	CHECK_ERR(rx.out[0], M6_ERR_INVALID_CAP);
	CHECK_OK(m6_untyped_retype(u, M6_OBJ_UNTYPED, 16, ROOT, c, 1));
}

/* ---- cancel badged sends ----------------------------------------------------------- */

static uint64_t fn_sender(struct kt_thread *self)
{
	struct m6_msg m = {.info = m6_msginfo(0x10, 1), .mr = {self->arg[1]}};
	self->out[1] = 1;
	self->out[0] = m6_send(self->arg[0], &m);
	return 0;
}

static bool start_sender(struct kt_thread *t, m6_cptr_t cap, uint64_t mr0)
{
	t->arg[0] = cap;
	t->arg[1] = mr0;
	/* above main: it runs at once and blocks in its send before this returns */
	return kt_thread_start(t, fn_sender, KT_HELPER_PRIO) && CHECK(t->out[1] && !t->done);
}

TEST(cancel_badged_sends_on_delete_of_last_cap)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t b = kt_mint(ep, M6_RIGHTS_ALL, 0xb), c = kt_mint(ep, M6_RIGHTS_ALL, 0xc);
	REQUIRE(b && c);
	m6_cptr_t b2 = kt_copy(b, M6_RIGHTS_ALL);
	REQUIRE(b2);
	static struct kt_thread sb, sc;
	REQUIRE(start_sender(&sb, b2, 0xb0));
	REQUIRE(start_sender(&sc, c, 0xc0));
	/* another cap with badge B is left: the send stays queued */
	REQUIRE_OK(m6_cnode_delete(ROOT, b2, 64));
	CHECK(!sb.done);
	/* the last one goes: the send with badge B is cancelled, the one with C is not */
	REQUIRE_OK(m6_cnode_delete(ROOT, b, 64));
	CHECK(kt_join(&sb, 10));
	CHECK_ERR(sb.out[0], M6_ERR_CANCELLED);
	CHECK(!sc.done);
	struct m6_msg m;
	bool ok;
	CHECK_EQ(kt_recv_poll(ep, &m, 10, &ok), 0xc);
	CHECK(ok);
	CHECK_EQ(m.mr[0], 0xc0);
	CHECK(kt_join(&sc, 10));
	CHECK_OK(sc.out[0]);
}

TEST(cancel_badged_sends_on_revoke)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	/* the server keeps an unbadged copy to hand out badge B from; revoking that copy
	 * takes every B cap, not badge C minted from the original */
	m6_cptr_t issuer = kt_copy(ep, M6_RIGHTS_ALL);
	REQUIRE(issuer);
	m6_cptr_t b = kt_mint(issuer, M6_RIGHTS_ALL, 0xb), c = kt_mint(ep, M6_RIGHTS_ALL, 0xc);
	REQUIRE(b && c);
	m6_cptr_t b2 = kt_copy(b, M6_RIGHT_WRITE);
	REQUIRE(b2);
	static struct kt_thread sb, sb2, sc;
	REQUIRE(start_sender(&sb, b2, 0xb0));
	REQUIRE(start_sender(&sc, c, 0xc0));
	REQUIRE(start_sender(&sb2, b, 0xb1));
	REQUIRE_OK(m6_cnode_revoke(ROOT, issuer, 64));
	CHECK(kt_join(&sb, 10));
	CHECK_ERR(sb.out[0], M6_ERR_CANCELLED);
	CHECK(kt_join(&sb2, 10));
	CHECK_ERR(sb2.out[0], M6_ERR_CANCELLED);
	CHECK(!sc.done);
	struct m6_msg m;
	bool ok;
	CHECK_EQ(kt_recv_poll(ep, &m, 10, &ok), 0xc);
	CHECK(ok);
	CHECK(kt_join(&sc, 10));
	/* nothing else was queued */
	CHECK_ERR(kt_nbrecv(ep, &m), M6_ERR_WOULD_BLOCK);
}

TEST(cancel_badged_sends_unbadged_cap_cancels_nothing)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t plain = kt_copy(ep, M6_RIGHTS_ALL), b = kt_mint(ep, M6_RIGHTS_ALL, 0xb);
	REQUIRE(plain && b);
	static struct kt_thread s0, sb;
	REQUIRE(start_sender(&s0, plain, 0x00));
	REQUIRE(start_sender(&sb, b, 0xb0));
	/* the unbadged copy was the last of its kind, but badge 0 is no badge */
	REQUIRE_OK(m6_cnode_delete(ROOT, plain, 64));
	CHECK(!s0.done && !sb.done);
	struct m6_msg m;
	bool ok;
	CHECK_EQ(kt_recv_poll(ep, &m, 10, &ok), 0);
	CHECK(ok);
	CHECK_EQ(kt_recv_poll(ep, &m, 10, &ok), 0xb);
	CHECK(ok);
}

const struct kt_test kt_suite_revoke[] = {
    KT_ENTRY(revoke_long_chain_is_preempted_and_completes),
    KT_ENTRY(cnode_delete_zombie_refused_then_finished_by_delete),
    KT_ENTRY(cnode_delete_deep_cspace),
    KT_ENTRY(cnode_revoke_untyped_of_cyclic_cspace),
    KT_ENTRY(cancel_badged_sends_on_delete_of_last_cap),
    KT_ENTRY(cancel_badged_sends_on_revoke),
    KT_ENTRY(cancel_badged_sends_unbadged_cap_cancels_nothing),
    KT_END,
};
