/* The kernel's shortcuts must be invisible: the IPC fastpath gives exactly what the general
 * path gives, and lazily switched FP/SIMD registers keep every thread's values. */
#include "ktest.h"

/* arg[0] endpoint, arg[1] rounds: receive and record every message, answer each with a
 * transformed copy. out[0..5]: the last message's badge, info, MR0, MR5, a checksum of
 * everything received, and the count. */
static uint64_t fn_echo(struct kt_thread *self)
{
	struct m6_msg m = {0};
	uint64_t sum = 0;
	m6_recv(self->arg[0], &m);
	for (uint64_t n = 1;; n++) {
		self->out[0] = m.badge;
		self->out[1] = m.info;
		self->out[2] = m.mr[0];
		self->out[3] = m.mr[5];
		sum = sum * 31 + m.badge + m.info + m.mr[0] + m.mr[1] + m.mr[2] + m.mr[3] +
		      m.mr[4] + m.mr[5];
		self->out[4] = sum;
		self->out[5] = n;
		for (unsigned i = 0; i < M6_MSG_REGISTERS; i++)
			m.mr[i] = ~m.mr[i];
		m.info = m6_msginfo(m6_msginfo_label(m.info) + 3, m6_msginfo_length(m.info));
		if (n >= self->arg[1]) {
			m6_reply(&m);
			return 0;
		}
		m6_reply_recv(self->arg[0], &m);
	}
}

/* One call with a message of `len` words; `slow` forces the general path by asking for a
 * cap transfer the receiver does not accept (the message then arrives without the cap, so
 * the two paths must deliver the very same thing). */
static void one_call(m6_cptr_t ep, unsigned len, bool slow, uint64_t seed, struct m6_msg *m)
{
	*m = (struct m6_msg){.info = slow ? m6_msginfo_caps_set(5, len, 1) : m6_msginfo(5, len)};
	for (unsigned i = 0; i < M6_MSG_REGISTERS; i++)
		m->mr[i] = i < len ? seed * (i + 1) : 0;
	if (slow)
		m6_set_send_cap(KT_IPC, M6_CAP_SELF_TCB);
	m6_call(ep, m);
	if (slow)
		m6_set_send_cap(KT_IPC, 0);
}

TEST(ipc_fastpath_matches_general_path)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t badged = kt_mint(ep, M6_RIGHTS_ALL, 0x77);
	REQUIRE(badged);
	uint64_t seen[2][6], answers[2][4];
	for (unsigned path = 0; path < 2; path++) {
		struct kt_thread t;
		t.arg[0] = ep;
		t.arg[1] = 7;
		REQUIRE(kt_thread_start(&t, fn_echo, KT_HELPER_PRIO));
		uint64_t acc[4] = {0, 0, 0, 0};
		for (unsigned len = 0; len <= M6_MSG_REGISTERS; len++) {
			struct m6_msg m;
			one_call(badged, len, path == 1, 0x1000 + len, &m);
			CHECK_OK(m.word0);
			acc[0] = acc[0] * 7 + m.info;
			acc[1] = acc[1] * 7 + m.mr[0];
			acc[2] = acc[2] * 7 + m.mr[5];
			acc[3] = acc[3] * 7 + m.badge;
		}
		REQUIRE(kt_join(&t, 100));
		for (unsigned i = 0; i < 6; i++)
			seen[path][i] = t.out[i];
		for (unsigned i = 0; i < 4; i++)
			answers[path][i] = acc[i];
	}
	/* The server saw the same messages and the client the same answers either way. */
	for (unsigned i = 0; i < 6; i++)
		CHECK_EQ(seen[1][i], seen[0][i]);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(answers[1][i], answers[0][i]);
	CHECK_EQ(seen[0][0], 0x77);
	CHECK_EQ(seen[0][5], 7);
}

/* Fill v0..v31 with values derived from `base`, yield `rounds` times (letting another
 * thread use the registers), then count the registers that changed. */
static uint64_t fp_keep(uint64_t base, unsigned rounds)
{
	uint64_t bad = 0;
	__asm__ volatile(
	    "dup v0.2d, %[b]\n\t"
	    "add x9, %[b], #1\n\tdup v1.2d, x9\n\tadd x9, %[b], #2\n\tdup v2.2d, x9\n\t"
	    "add x9, %[b], #3\n\tdup v3.2d, x9\n\tadd x9, %[b], #8\n\tdup v8.2d, x9\n\t"
	    "add x9, %[b], #15\n\tdup v15.2d, x9\n\tadd x9, %[b], #16\n\t"
	    "dup v16.2d, x9\n\tadd x9, %[b], #31\n\tdup v31.2d, x9\n\t"
	    :
	    : [b] "r"(base)
	    : "x9", "v0", "v1", "v2", "v3", "v8", "v15", "v16", "v31");
	for (unsigned i = 0; i < rounds; i++) {
		struct m6_msg m = {0};
		m6_syscall(M6_SYS_YIELD, &m);
	}
	uint64_t got[8];
	__asm__ volatile("fmov %0, d0\n\tfmov %1, d1\n\tfmov %2, d2\n\tfmov %3, d3\n\t"
	                 "fmov %4, d8\n\tfmov %5, d15\n\tfmov %6, d16\n\tfmov %7, d31"
	                 : "=r"(got[0]), "=r"(got[1]), "=r"(got[2]), "=r"(got[3]), "=r"(got[4]),
	                   "=r"(got[5]), "=r"(got[6]), "=r"(got[7]));
	const unsigned reg[8] = {0, 1, 2, 3, 8, 15, 16, 31};
	for (unsigned i = 0; i < 8; i++)
		bad += got[i] != base + reg[i];
	return bad;
}

static uint64_t fn_fp(struct kt_thread *self)
{
	uint64_t bad = 0;
	for (unsigned i = 0; i < self->arg[1]; i++)
		bad += fp_keep(self->arg[0] + i * 0x100, 3);
	self->out[0] = bad;
	return 0;
}

TEST(fpu_two_threads_keep_their_registers)
{
	/* Two helpers and the main thread, same priority, all using FP and yielding in
	 * between: each first use after a switch traps and moves the state. */
	struct kt_thread a, b;
	a.arg[0] = 0x1111000000;
	a.arg[1] = 20;
	b.arg[0] = 0x2222000000;
	b.arg[1] = 20;
	REQUIRE(kt_thread_create(&a, fn_fp, KT_MAIN_PRIO));
	REQUIRE(kt_thread_create(&b, fn_fp, KT_MAIN_PRIO));
	REQUIRE_OK(m6_tcb_resume(a.tcb));
	REQUIRE_OK(m6_tcb_resume(b.tcb));
	uint64_t bad = 0;
	for (unsigned i = 0; i < 20; i++)
		bad += fp_keep(0x3333000000 + i * 0x100, 3);
	CHECK(kt_join(&a, 200));
	CHECK(kt_join(&b, 200));
	CHECK_EQ(bad, 0);
	CHECK_EQ(a.out[0], 0);
	CHECK_EQ(b.out[0], 0);
}

TEST(fpu_state_survives_ipc_with_non_fp_thread)
{
	/* The main thread holds FP values across calls to a server that never touches FP:
	 * the lazy scheme must not lose them (and need not save them). */
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	t.arg[1] = 5;
	REQUIRE(kt_thread_start(&t, fn_echo, KT_HELPER_PRIO));
	uint64_t v = 0x5555000000, got;
	__asm__ volatile("dup v7.2d, %0" ::"r"(v) : "v7");
	for (unsigned i = 0; i < 5; i++) {
		struct m6_msg m = {.info = m6_msginfo(1, 1), .mr = {i}};
		CHECK_OK(m6_call(ep, &m));
	}
	__asm__ volatile("fmov %0, d7" : "=r"(got));
	CHECK_EQ(got, v);
	CHECK(kt_join(&t, 100));
}

static uint64_t fn_recv_info_then_reply(struct kt_thread *self)
{
	struct m6_msg m = {0};
	self->out[1] = 1;
	m6_recv(self->arg[0], &m);
	self->out[0] = m.info;
	struct m6_msg r = {.info = m6_msginfo(3, 0)};
	m6_reply(&r);
	return 0;
}

TEST(ipc_fastpath_drops_reserved_info_bits)
{
	/* Bits between the caps field and the label mean nothing: neither path passes them
	 * on (the general path rebuilds the word; the fastpath must not see them). */
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, fn_recv_info_then_reply, KT_HELPER_PRIO));
	REQUIRE(t.out[1]);
	struct m6_msg m = {.info = m6_msginfo(5, 0) | (1u << 9) | (1u << 11)};
	CHECK_OK(m6_call(ep, &m));
	REQUIRE(kt_join(&t, 10));
	CHECK_EQ(t.out[0], m6_msginfo(5, 0));
}

const struct kt_test kt_suite_paths[] = {
    KT_ENTRY(ipc_fastpath_matches_general_path),
    KT_ENTRY(fpu_two_threads_keep_their_registers),
    KT_ENTRY(fpu_state_survives_ipc_with_non_fp_thread),
    KT_ENTRY(ipc_fastpath_drops_reserved_info_bits),
    KT_END,
};
