/* Stress: many IPCs with checked payloads, many retype/revoke cycles that must give back
 * exactly the memory they took, thread churn. */
#include "ktest.h"

static uint64_t fn_echo(struct kt_thread *self)
{
	static struct m6_ipc_buffer none;
	struct m6_ipc_buffer *b = self->ipc ? self->ipc : &none;
	struct m6_msg m = {0};
	m6_recv(self->arg[0], &m);
	uint64_t badge = m.badge;
	for (;;) {
		uint64_t len = m6_msginfo_length(m.info);
		for (unsigned i = 0; i < len; i++)
			m6_mr_set_buf(b, &m, i, ~m6_mr_get_buf(b, &m, i) + badge);
		m.info = m6_msginfo(m6_msginfo_label(m.info), len);
		m6_reply_recv(self->arg[0], &m);
		badge = m.badge;
	}
}

TEST(stress_10000_ipcs)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t b = kt_mint(ep, M6_RIGHT_WRITE | M6_RIGHT_GRANT_REPLY, 3);
	REQUIRE(b);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, fn_echo, KT_HELPER_PRIO));
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned bad = 0, first_bad = ~0u;
	for (unsigned n = 0; n < 10000; n++) {
		unsigned len = n % 100 == 0 ? 64 : 1 + n % 6;
		uint64_t sent[64];
		struct m6_msg m = {.info = m6_msginfo(n, len)};
		for (unsigned i = 0; i < len; i++)
			m6_mr_set(&m, i, sent[i] = kt_rand(&seed));
		bool good = m6_call(b, &m) == M6_OK && m6_msginfo_label(m.info) == n &&
		            m6_msginfo_length(m.info) == len;
		for (unsigned i = 0; good && i < len; i++)
			good = m6_mr_get(&m, i) == ~sent[i] + 3;
		if (!good) {
			bad++;
			if (first_bad == ~0u)
				first_bad = n;
			if (bad > 10)
				break;
		}
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(first_bad, ~0u);
}

TEST(stress_1000_retype_revoke)
{
	m6_cptr_t u = kt_new(M6_OBJ_UNTYPED, 20);
	m6_cptr_t probe = kt_new(M6_OBJ_CNODE, 8);
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 5);
	REQUIRE(u && probe && c);
	unsigned before = kt_count_frames(u, probe, 256);
	CHECK_EQ(before, 256);
	static const uint64_t types[][2] = {
	    {M6_OBJ_ENDPOINT, 0}, {M6_OBJ_NOTIFICATION, 0}, {M6_OBJ_TCB, 0},
	    {M6_OBJ_CNODE, 3},    {M6_OBJ_FRAME, 12},       {M6_OBJ_PAGE_TABLE, 0},
	    {M6_OBJ_VSPACE, 0},   {M6_OBJ_UNTYPED, 14},     {M6_OBJ_TIMER, 0},
	};
	unsigned failures = 0;
	for (unsigned n = 0; n < 1000; n++) {
		unsigned count = 1 + n % 8;
		const uint64_t *ty = types[n % 9];
		if (m6_untyped_retype(u, ty[0], ty[1], c, 0, count) != M6_OK)
			failures++;
		if (m6_untyped_retype(u, M6_OBJ_FRAME, 12, c, 16, 4) != M6_OK)
			failures++;
		if (m6_cnode_revoke(M6_CAP_SELF_CNODE, u, 64) != M6_OK)
			failures++;
	}
	CHECK_EQ(failures, 0);
	CHECK_EQ(kt_count_frames(u, probe, 256), before);
}

static uint64_t fn_nothing(struct kt_thread *self)
{
	self->out[0] = 1;
	return 0;
}

TEST(stress_thread_churn)
{
	unsigned ran = 0;
	for (unsigned n = 0; n < 100; n++) {
		struct kt_thread t;
		if (!kt_thread_start(&t, fn_nothing, KT_HELPER_PRIO))
			break;
		ran += t.out[0] == 1;
		m6_tcb_suspend(t.tcb);
		/* the helper table holds 8: recycle by revoking everything each round */
		m6_cnode_revoke(M6_CAP_SELF_CNODE, KT_SLOT_UTEST, 64);
		kt_reset_objects();
	}
	CHECK_EQ(ran, 100);
}

TEST(stress_10000_signals)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x100);
	REQUIRE(b);
	unsigned bad = 0;
	for (unsigned i = 0; i < 10000; i++) {
		m6_signal(b);
		bad += m6_poll(n) != 0x100;
	}
	CHECK_EQ(bad, 0);
}

const struct kt_test kt_suite_stress[] = {
    KT_ENTRY(stress_10000_ipcs),
    KT_ENTRY(stress_1000_retype_revoke),
    KT_ENTRY(stress_thread_churn),
    KT_ENTRY(stress_10000_signals),
    KT_END,
};
