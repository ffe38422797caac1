/* Randomized invocations: a fixed-seed PRNG picks labels, cptrs among valid and invalid
 * ones, and argument words, against a scratch set of objects. The kernel must neither
 * panic nor hang; the test only checks that every call returns.
 *
 * Left out on purpose, because they are legitimate effects and not kernel bugs: the
 * suite's own caps (CNode, VSpace, TCB, pools, console, power) as targets or arguments,
 * calls on endpoints with write right (a CALL would wait for a receiver forever), and
 * resuming scratch threads (a thread started at a random pc just faults). */
#include "ktest.h"

#include "../common/fuzz_labels.h"

#define FUZZ_CALLS 20000

static const uint64_t labels[] = {
    M6_FUZZ_OBJECT_LABELS,
    0,
    KT_BAD_LABEL,
};

static m6_cptr_t fuzz_slots[40];
static unsigned fuzz_count;

static uint64_t random_word(uint64_t *seed)
{
	uint64_t r = kt_rand(seed);
	switch (r % 8) {
	case 0:
		return fuzz_slots[(r >> 8) % fuzz_count];
	case 1: {
		/* small: slot numbers, depths, levels, types; never the suite's own slots */
		uint64_t v = (r >> 8) % 70;
		return v >= 1 && v < KT_FIRST_TEST_SLOT ? v + KT_FIRST_TEST_SLOT : v;
	}
	case 2:
		return (r >> 8) % 2 ? 64 : 0;
	case 3:
		return ~0ull;
	case 4:
		return (r >> 8) & 0xfffff000ull; /* page-aligned addresses */
	case 5:
		return 1ull << (6 + (r >> 8) % 58);
	default:
		return kt_rand(seed);
	}
}

TEST(fuzz_invocations)
{
	fuzz_count = 0;
	static const uint64_t kinds[][2] = {
	    {M6_OBJ_NOTIFICATION, 0}, {M6_OBJ_TCB, 0},           {M6_OBJ_CNODE, 4},
	    {M6_OBJ_UNTYPED, 16},     {M6_OBJ_FRAME, 12},        {M6_OBJ_PAGE_TABLE, 0},
	    {M6_OBJ_VSPACE, 0},       {M6_OBJ_TIMER, 0},         {M6_OBJ_FRAME, 21},
	    {M6_OBJ_IOSPACE, 0},      {M6_OBJ_IO_PAGE_TABLE, 0},
	};
	/* 19: the one 2 MiB frame and its alignment must leave U_TEST room for the rest */
	for (unsigned i = 0; i < 19; i++) {
		m6_cptr_t s = kt_new(kinds[i % 11][0], kinds[i % 11][1]);
		REQUIRE(s);
		fuzz_slots[fuzz_count++] = s;
		/* A bound IOSpace, so that I/O mappings can succeed (unbound with the test). */
		if (kinds[i % 11][0] == M6_OBJ_IOSPACE && i < 11)
			REQUIRE_OK(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, s, 0x200));
	}
	/* an endpoint only as a read-only cap: a CALL on it fails instead of waiting */
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	fuzz_slots[fuzz_count++] = kt_copy(ep, M6_RIGHT_READ);
	fuzz_slots[fuzz_count++] = kt_copy(CAP_IRQ_CONTROL, M6_RIGHTS_ALL);
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, ep, 64));
	/* invalid cptrs: empty slots, beyond the CNode, null */
	fuzz_slots[fuzz_count++] = kt_slot();
	fuzz_slots[fuzz_count++] = kt_slot();
	fuzz_slots[fuzz_count++] = KT_ROOT_SLOTS + 3;
	fuzz_slots[fuzz_count++] = 0;

	/* scratch threads must never run: pin them at priority 0 under main */
	uint64_t seed = 0x6d36206b74657374ull;
	unsigned returned = 0;
	for (unsigned n = 0; n < FUZZ_CALLS; n++) {
		m6_cptr_t target = fuzz_slots[kt_rand(&seed) % fuzz_count];
		uint64_t label = labels[kt_rand(&seed) % (sizeof(labels) / sizeof(labels[0]))];
		unsigned len = kt_rand(&seed) % 12;
		struct m6_msg m = {.info = m6_msginfo(label, len)};
		for (unsigned i = 0; i < len; i++) {
			uint64_t w = random_word(&seed);
			/* write_registers: never resume (MR0) */
			if (label == M6_TCB_WRITE_REGISTERS && i == 0)
				w = 0;
			/* priorities: keep scratch threads below main so none runs */
			if ((label == M6_TCB_SET_PRIORITY || label == M6_TCB_SET_MAX_PRIORITY) &&
			    i == 1)
				w %= KT_MAIN_PRIO;
			m6_mr_set(&m, i, w);
		}
		m6_call(target, &m);
		returned++;
	}
	CHECK_EQ(returned, FUZZ_CALLS);
	/* the kernel still works */
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x100);
	REQUIRE(b);
	CHECK_OK(m6_signal(b));
	CHECK_EQ(m6_poll(n), 0x100);
}

TEST(fuzz_found_timer_period_overflow)
{
	/* found by fuzz_invocations: a deadline in the past with a period that overflows
	 * the catch-up arithmetic must neither hang nor panic */
	m6_cptr_t t = kt_new(M6_OBJ_TIMER, 0);
	REQUIRE(t);
	uint64_t err = m6_timer_set(t, 0x1e, ~0ull);
	CHECK(err == M6_OK || err == M6_ERR_RANGE || err == M6_ERR_INVALID_ARGUMENT);
	CHECK_OK(m6_timer_cancel(t));
	err = m6_timer_set(t, kt_ticks(), 1);
	CHECK(err == M6_OK || err == M6_ERR_RANGE || err == M6_ERR_INVALID_ARGUMENT);
	CHECK_OK(m6_timer_cancel(t));
}

static uint64_t fn_random_syscalls(struct kt_thread *self)
{
	uint64_t seed = self->arg[0];
	for (unsigned n = 0; n < 2000; n++) {
		struct m6_msg m = {.info = kt_rand(&seed)};
		for (unsigned i = 0; i < 6; i++)
			m.mr[i] = kt_rand(&seed);
		m.word0 = kt_rand(&seed) % 2 ? kt_rand(&seed) : KT_ROOT_SLOTS + n;
		/* any number but the blocking ones with a valid cap: these cptrs never are */
		uint64_t number = kt_rand(&seed) % 16;
		m6_syscall(number, &m);
	}
	self->out[0] = 1;
	return 0;
}

TEST(fuzz_syscall_numbers)
{
	struct kt_thread t;
	t.arg[0] = 0x1234567;
	REQUIRE(kt_thread_create(&t, fn_random_syscalls, KT_HELPER_PRIO));
	/* no fault handler: unknown numbers then come back as M6_ERR_INVALID_SYSCALL */
	REQUIRE_OK(m6_tcb_configure(t.tcb, 0, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0));
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	CHECK(kt_join(&t, 1000));
}

const struct kt_test kt_suite_fuzz[] = {
    KT_ENTRY(fuzz_found_timer_period_overflow),
    KT_ENTRY(fuzz_invocations),
    KT_ENTRY(fuzz_syscall_numbers),
    KT_END,
};
