/* Several CPUs (docs/kernel.md, "Concurrency"): placement (TCB_SET_AFFINITY), threads on
 * every core, call/reply and notifications between cores, moving, suspending and deleting
 * threads that run or wait on another core, and a stress run.
 *
 * What a test sees about where a thread runs: main runs at KT_MAIN_PRIO on CPU 0 and
 * spins without blocking, so a thread of lower priority on CPU 0 cannot run, and one on
 * another CPU runs alongside. "It stopped" is checked against a witness: a spinner on the
 * same CPU whose counter must advance meanwhile, so the check waits for the event (that
 * CPU ran) and never for a wall-clock window. On a machine with fewer CPUs than a test
 * needs, it says so and checks only what it can (ctest runs the suite on -smp 1 and 4). */
#include "ktest.h"

#include <m6/sysinfo.h>

#define LOW_PRIO (KT_MAIN_PRIO - 10)

static unsigned online_cpus(void)
{
	struct m6_cpu_info info;
	if (m6_sysinfo_cpu(CAP_SYSTEM_INFO, 0, &info) != M6_OK)
		return 1;
	unsigned online = 0;
	for (uint64_t i = 0; i < info.cpu_count; i++) {
		struct m6_cpu_info c;
		if (m6_sysinfo_cpu(CAP_SYSTEM_INFO, i, &c) == M6_OK && c.online)
			online++;
	}
	return online;
}

static bool need_cpus(unsigned n)
{
	if (online_cpus() >= n)
		return true;
	kt_puts("  (skipped: needs ");
	kt_put_u64(n, false);
	kt_puts(" CPUs)\n");
	return false;
}

static uint64_t deadline(void)
{
	return kt_ticks() + KT_PATIENCE_MS * kt_tick_freq() / 1000;
}

/* Spin (main keeps its CPU) until *c has moved `by` past `from`; false on timeout. */
static bool wait_advance(volatile uint64_t *c, uint64_t from, uint64_t by)
{
	uint64_t end = deadline();
	while (*c - from < by) {
		if (kt_ticks() > end)
			return false;
	}
	return true;
}

static uint64_t fn_spin(struct kt_thread *self)
{
	for (;;)
		self->out[0]++;
	return 0;
}

static bool start_on(struct kt_thread *t, kt_thread_fn fn, uint64_t prio, unsigned cpu)
{
	if (!kt_thread_create(t, fn, prio))
		return false;
	if (!CHECK_OK(m6_tcb_set_affinity(t->tcb, cpu)))
		return false;
	return CHECK_OK(m6_tcb_resume(t->tcb));
}

TEST(smp_set_affinity_errors)
{
	struct m6_cpu_info info;
	REQUIRE_OK(m6_sysinfo_cpu(CAP_SYSTEM_INFO, 0, &info));
	CHECK_EQ(info.online, 1);
	CHECK(info.cpu_count >= 1 && info.cpu_count <= 8);
	struct m6_cpu_info none;
	CHECK_ERR(m6_sysinfo_cpu(CAP_SYSTEM_INFO, info.cpu_count, &none), M6_ERR_RANGE);
	struct kt_thread t;
	REQUIRE(kt_thread_create(&t, fn_spin, LOW_PRIO));
	CHECK_ERR(m6_tcb_set_affinity(t.tcb, info.cpu_count), M6_ERR_RANGE);
	CHECK_ERR(m6_tcb_set_affinity(t.tcb, 8), M6_ERR_RANGE);
	CHECK_ERR(m6_tcb_set_affinity(t.tcb, UINT64_MAX), M6_ERR_RANGE);
	struct m6_msg m = {.info = m6_msginfo(M6_TCB_SET_AFFINITY, 0)};
	CHECK_ERR(m6_call(t.tcb, &m), M6_ERR_INVALID_ARGUMENT);
	m6_cptr_t ro = kt_copy(t.tcb, M6_RIGHT_READ);
	REQUIRE(ro);
	CHECK_ERR(m6_tcb_set_affinity(ro, 0), M6_ERR_INSUFFICIENT_RIGHTS);
	/* not a TCB (an endpoint would take the call as a message and block) */
	m6_cptr_t nt = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(nt);
	CHECK_ERR(m6_tcb_set_affinity(nt, 0), M6_ERR_ILLEGAL_OPERATION);
	CHECK_OK(m6_tcb_set_affinity(t.tcb, 0));
	CHECK_OK(m6_tcb_set_affinity(t.tcb, info.cpu_count - 1));
	/* The placement is what SystemInfo reports for the thread. */
	bool found = false;
	for (uint64_t i = 0; !found; i++) {
		struct m6_thread_info ti;
		if (m6_sysinfo_thread(CAP_SYSTEM_INFO, i, &ti) != M6_OK)
			break;
		if (ti.state == M6_THREAD_INACTIVE && ti.priority == LOW_PRIO) {
			CHECK_EQ(ti.cpu, info.cpu_count - 1);
			found = true;
		}
	}
	CHECK(found);
}

static uint64_t fn_signal_spin(struct kt_thread *self)
{
	self->out[0] = 1;
	m6_signal(self->arg[0]);
	for (;;)
		self->out[0]++;
	return 0;
}

/* A thread pinned to every CPU makes progress while main (CPU 0) never blocks; the one
 * on CPU 0 only once main lets it. */
TEST(smp_threads_on_every_core_progress)
{
	unsigned n = online_cpus();
	if (n > KT_MAX_THREADS)
		n = KT_MAX_THREADS;
	struct kt_thread t[KT_MAX_THREADS];
	m6_cptr_t nt = kt_new(M6_OBJ_NOTIFICATION, 0), tm = kt_new(M6_OBJ_TIMER, 0);
	REQUIRE(nt && tm);
	t[0].arg[0] = kt_mint(nt, M6_RIGHT_WRITE, 1);
	m6_cptr_t timeout = kt_mint(nt, M6_RIGHT_WRITE, 2);
	REQUIRE(t[0].arg[0] && timeout);
	REQUIRE(start_on(&t[0], fn_signal_spin, LOW_PRIO, 0));
	for (unsigned i = 1; i < n; i++)
		REQUIRE(start_on(&t[i], fn_spin, LOW_PRIO, i));
	for (unsigned i = 1; i < n; i++)
		CHECK(wait_advance(&t[i].out[0], t[i].out[0], 10000));
	CHECK_EQ(t[0].out[0], 0);
	/* main blocks until CPU 0's spinner has run (signals): a wait for the event, with a
	 * timer only as the bound (a fixed sleep may not block at all: under -icount the
	 * other CPUs' instructions move the clock too) */
	REQUIRE_OK(m6_timer_set_notification(tm, timeout));
	REQUIRE_OK(m6_timer_set(tm, deadline(), 0));
	CHECK_EQ(m6_wait(nt) & 1, 1);
	CHECK(t[0].out[0] > 0);
}

/* ---- call/reply and notifications between cores ------------------------------------ */

static uint64_t fn_server(struct kt_thread *self)
{
	/* Answers every call with each word transformed, so a payload that crossed wrong or
	 * stale shows. arg[0]: the endpoint. */
	struct m6_msg m = {0};
	uint64_t err = m6_recv(self->arg[0], &m);
	for (;;) {
		if (err != M6_OK)
			return err;
		unsigned len = (unsigned)m6_msginfo_length(m.info);
		for (unsigned i = 0; i < len && i < M6_MSG_REGISTERS; i++)
			m.mr[i] = ~m.mr[i] + i;
		m.info = m6_msginfo(m6_msginfo_label(m.info) + 1, len);
		self->out[0]++;
		err = m6_reply_recv(self->arg[0], &m);
	}
}

TEST(smp_call_reply_between_cores)
{
	if (!need_cpus(2))
		return;
	unsigned n = online_cpus();
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread s;
	s.arg[0] = ep;
	REQUIRE(start_on(&s, fn_server, KT_HELPER_PRIO, 1));
	unsigned wrong = 0, calls = 0;
	for (unsigned round = 0; round < 2000; round++) {
		/* move the server around the other cores now and then (blocked: it waits in
		 * recv or has just replied) */
		if (round % 500 == 499)
			CHECK_OK(m6_tcb_set_affinity(s.tcb, 1 + (round / 500) % (n - 1)));
		struct m6_msg m = {.info = m6_msginfo(round & 0xff, M6_MSG_REGISTERS)};
		for (unsigned i = 0; i < M6_MSG_REGISTERS; i++)
			m.mr[i] = round * 16 + i;
		if (!CHECK_OK(m6_call(ep, &m)))
			break;
		calls++;
		wrong += m6_msginfo_label(m.info) != (round & 0xff) + 1;
		for (unsigned i = 0; i < M6_MSG_REGISTERS; i++)
			wrong += m.mr[i] != ~(uint64_t)(round * 16 + i) + i;
	}
	CHECK_EQ(calls, 2000);
	CHECK_EQ(wrong, 0);
	CHECK_EQ(s.out[0], calls);
}

static uint64_t fn_ping_notification(struct kt_thread *self)
{
	/* arg[0]: wait here, arg[1]: signal there; out[0]: rounds, out[1]: wrong words */
	for (;;) {
		uint64_t w = m6_wait(self->arg[0]);
		if (w != 0x2)
			self->out[1]++;
		self->out[0]++;
		m6_signal(self->arg[1]);
	}
	return 0;
}

TEST(smp_notifications_between_cores)
{
	if (!need_cpus(2))
		return;
	unsigned n = online_cpus();
	m6_cptr_t to_helper = kt_new(M6_OBJ_NOTIFICATION, 0),
	          to_main = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(to_helper && to_main);
	m6_cptr_t sig_helper = kt_mint(to_helper, M6_RIGHT_WRITE, 0x2);
	m6_cptr_t sig_main = kt_mint(to_main, M6_RIGHT_WRITE, 0x1);
	REQUIRE(sig_helper && sig_main);
	struct kt_thread h;
	h.arg[0] = to_helper;
	h.arg[1] = sig_main;
	REQUIRE(start_on(&h, fn_ping_notification, KT_HELPER_PRIO, n - 1));
	unsigned wrong = 0;
	for (unsigned i = 0; i < 2000; i++) {
		m6_signal(sig_helper);
		wrong += m6_wait(to_main) != 0x1;
	}
	CHECK_EQ(wrong, 0);
	CHECK_EQ(h.out[0], 2000);
	CHECK_EQ(h.out[1], 0);
}

/* ---- moving, suspending, deleting what runs elsewhere ------------------------------ */

/* Moved while running on CPU 1: to CPU 0 at a priority below main's, it has stopped by
 * the time the call returns (the witness on CPU 1 goes on), and runs again on CPU 2 or
 * back on 1. */
TEST(smp_move_running_thread)
{
	if (!need_cpus(2))
		return;
	unsigned n = online_cpus();
	struct kt_thread s, w;
	REQUIRE(start_on(&s, fn_spin, LOW_PRIO, 1));
	REQUIRE(start_on(&w, fn_spin, LOW_PRIO, 1));
	REQUIRE(wait_advance(&s.out[0], s.out[0], 1000));
	REQUIRE_OK(m6_tcb_set_affinity(s.tcb, 0));
	uint64_t at = s.out[0];
	CHECK(wait_advance(&w.out[0], w.out[0], 100000));
	CHECK_EQ(s.out[0], at);
	REQUIRE_OK(m6_tcb_set_affinity(s.tcb, n > 2 ? 2 : 1));
	CHECK(wait_advance(&s.out[0], at, 1000));
}

/* Moved while ready (on CPU 0, below main, never ran): it runs on CPU 1 at once. */
TEST(smp_move_ready_thread)
{
	if (!need_cpus(2))
		return;
	struct kt_thread s;
	REQUIRE(start_on(&s, fn_spin, LOW_PRIO, 0));
	for (unsigned i = 0; i < 1000; i++)
		__asm__ volatile("" ::: "memory");
	CHECK_EQ(s.out[0], 0);
	REQUIRE_OK(m6_tcb_set_affinity(s.tcb, 1));
	CHECK(wait_advance(&s.out[0], 0, 1000));
}

static uint64_t fn_wait_then_spin(struct kt_thread *self)
{
	m6_wait(self->arg[0]);
	self->out[1] = 1;
	for (;;)
		self->out[0]++;
	return 0;
}

/* Moved while blocked (waiting on a notification on CPU 1): the wake-up finds it on its
 * new CPU (0, below main: it must not run; then 1 again: it runs). */
TEST(smp_move_blocked_thread)
{
	if (!need_cpus(2))
		return;
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t sig = kt_mint(n, M6_RIGHT_WRITE, 1);
	REQUIRE(sig);
	struct kt_thread s, w;
	s.arg[0] = n;
	REQUIRE(start_on(&s, fn_wait_then_spin, LOW_PRIO, 1));
	REQUIRE(start_on(&w, fn_spin, LOW_PRIO, 1));
	REQUIRE(wait_advance(&w.out[0], 0, 1000)); /* CPU 1 ran: s is blocked by now */
	REQUIRE_OK(m6_tcb_set_affinity(s.tcb, 0));
	REQUIRE_OK(m6_signal(sig));
	CHECK(wait_advance(&w.out[0], w.out[0], 100000));
	CHECK_EQ(s.out[1], 0);
	REQUIRE_OK(m6_tcb_set_affinity(s.tcb, 1));
	CHECK(wait_advance(&s.out[0], 0, 1000));
	CHECK_EQ(s.out[1], 1);
}

/* Suspended while running on another CPU: stopped when the call returns, its registers
 * readable and stable; resumed, it goes on. */
TEST(smp_suspend_running_remote)
{
	if (!need_cpus(2))
		return;
	struct kt_thread s, w;
	REQUIRE(start_on(&s, fn_spin, LOW_PRIO, 1));
	REQUIRE(start_on(&w, fn_spin, LOW_PRIO, 1));
	REQUIRE(wait_advance(&s.out[0], 0, 1000));
	REQUIRE_OK(m6_tcb_suspend(s.tcb));
	uint64_t at = s.out[0];
	struct m6_msg m = {.info = m6_msginfo(M6_TCB_READ_REGISTERS, 0)};
	REQUIRE_OK(m6_call(s.tcb, &m));
	uint64_t pc = m.mr[0];
	CHECK(wait_advance(&w.out[0], w.out[0], 100000));
	CHECK_EQ(s.out[0], at);
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_READ_REGISTERS, 0)};
	REQUIRE_OK(m6_call(s.tcb, &m));
	CHECK_EQ(m.mr[0], pc);
	REQUIRE_OK(m6_tcb_resume(s.tcb));
	CHECK(wait_advance(&s.out[0], at, 1000));
}

/* Counts its turns on the CPU: one increment, then it gives the CPU back. */
static uint64_t fn_turns(struct kt_thread *self)
{
	for (;;) {
		self->out[0]++;
		m6_yield();
	}
	return 0;
}

#define BAD_TCB_ROUNDS 16

/* As wait_advance, but main sleeps 1 ms at a time meanwhile: with nothing else to wake
 * another CPU (no interrupt sent to it), under -icount the CPUs take turns only when one
 * idles, so a spinning main would keep the other CPU from running at all. */
static bool wait_advance_sleeping(volatile uint64_t *c, uint64_t from, uint64_t by)
{
	m6_cptr_t tm = kt_new(M6_OBJ_TIMER, 0), tn = kt_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t tb = tn ? kt_mint(tn, M6_RIGHT_WRITE, 1) : 0;
	if (!tm || !tb || !CHECK_OK(m6_timer_set_notification(tm, tb)))
		return false;
	const uint64_t ms = kt_tick_freq() / 1000, end = deadline();
	while (*c - from < by) {
		if (kt_ticks() > end)
			return false;
		if (!CHECK_OK(m6_timer_set(tm, kt_ticks() + ms, 0)) || !CHECK_EQ(m6_wait(tn), 1))
			return false;
	}
	return true;
}

/* TCB invocations with bad arguments on a thread running on another CPU fail in their
 * decode and leave the thread where it is: the kernel takes a thread off its CPU only to
 * perform an invocation (docs/kernel.md, "Concurrency"). Witness: a thread of the same
 * priority on that CPU that takes one turn whenever the target leaves the CPU (it would
 * be queued behind the witness), so without the rule it would take about one turn per
 * call; with it, a turn only when the target's 10 ms slice ends (a bound from the
 * counter, not a window). */
TEST(smp_bad_tcb_invocations_leave_remote_running)
{
	if (!need_cpus(2))
		return;
	struct kt_thread s, w;
	REQUIRE(kt_thread_create(&s, fn_spin, LOW_PRIO));
	REQUIRE(kt_thread_create(&w, fn_turns, LOW_PRIO));
	REQUIRE_OK(m6_tcb_set_timeslice(s.tcb, M6_CAP_SELF_TCB, 10000));
	REQUIRE_OK(m6_tcb_set_affinity(s.tcb, 1));
	REQUIRE_OK(m6_tcb_set_affinity(w.tcb, 1));
	REQUIRE_OK(m6_tcb_resume(s.tcb));
	REQUIRE_OK(m6_tcb_resume(w.tcb));
	REQUIRE(wait_advance(&s.out[0], 0, 1000));
	/* (a valid call: it takes s off CPU 1 once, so w's first turn comes sooner) */
	uint64_t tls = 0, tls_before = 0;
	REQUIRE_OK(m6_tcb_read_tls(s.tcb, &tls_before));
	REQUIRE(wait_advance(&w.out[0], 0, 1)); /* from now on s runs, w waits behind it */
	m6_cptr_t ro = kt_copy(s.tcb, M6_RIGHT_READ), ep = kt_new(M6_OBJ_ENDPOINT, 0);
	m6_cptr_t nt = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ro && ep && nt);
	m6_cptr_t nt_w = kt_mint(nt, M6_RIGHT_WRITE, 1);
	REQUIRE(nt_w);
	struct m6_tcb_fpu fpu = {.fpsr = 0xffffffffu};
	const uint64_t slice = kt_tick_freq() / 100;
	uint64_t turns = w.out[0], spun = s.out[0], start = kt_ticks();
	for (unsigned round = 0; round < BAD_TCB_ROUNDS; round++) {
		struct m6_msg m = {.info = m6_msginfo(M6_TCB_CONFIGURE, 4)};
		CHECK_ERR(m6_call(s.tcb, &m), M6_ERR_INVALID_ARGUMENT);
		CHECK_ERR(m6_tcb_configure(s.tcb, 0, ep, M6_CAP_SELF_VSPACE, 0, 0),
		          M6_ERR_INVALID_CAP);
		CHECK_ERR(m6_tcb_set_priority(s.tcb, M6_CAP_SELF_TCB, KT_MCP + 1), M6_ERR_RANGE);
		CHECK_ERR(m6_tcb_set_max_priority(s.tcb, ro, LOW_PRIO), M6_ERR_INSUFFICIENT_RIGHTS);
		m = (struct m6_msg){.info = m6_msginfo(M6_TCB_WRITE_REGISTERS, 2)};
		CHECK_ERR(m6_call(s.tcb, &m), M6_ERR_INVALID_ARGUMENT);
		m = (struct m6_msg){.info = m6_msginfo(M6_TCB_WRITE_REGISTERS, 4),
		                    .mr = {M6_TCB_WRITE_NZCV, 0, 0, 1}};
		CHECK_ERR(m6_call(s.tcb, &m), M6_ERR_INVALID_ARGUMENT);
		CHECK_ERR(m6_tcb_bind_notification(s.tcb, ep), M6_ERR_INVALID_CAP);
		CHECK_ERR(m6_tcb_bind_notification(s.tcb, nt_w), M6_ERR_INSUFFICIENT_RIGHTS);
		CHECK_ERR(m6_tcb_unbind_notification(s.tcb), M6_ERR_ILLEGAL_OPERATION);
		CHECK_ERR(m6_tcb_set_flags(s.tcb, 0x100), M6_ERR_INVALID_ARGUMENT);
		CHECK_ERR(m6_tcb_set_timeslice(s.tcb, M6_CAP_SELF_TCB, 99), M6_ERR_RANGE);
		CHECK_ERR(m6_tcb_set_max_timeslice(s.tcb, M6_CAP_SELF_TCB, 10001), M6_ERR_RANGE);
		m = (struct m6_msg){.info = m6_msginfo(M6_TCB_WRITE_TLS, 0)};
		CHECK_ERR(m6_call(s.tcb, &m), M6_ERR_INVALID_ARGUMENT);
		m = (struct m6_msg){.info = m6_msginfo(M6_TCB_READ_FPU, 2), .mr = {33, 0}};
		CHECK_ERR(m6_call(s.tcb, &m), M6_ERR_RANGE);
		CHECK_ERR(m6_tcb_write_fpu(s.tcb, &fpu), M6_ERR_INVALID_ARGUMENT);
		CHECK_ERR(m6_tcb_write_tls(ro, 1), M6_ERR_INSUFFICIENT_RIGHTS);
	}
	uint64_t elapsed = kt_ticks() - start;
	turns = w.out[0] - turns;
	/* One turn per slice that ended meanwhile, and one for a slice that was ending. */
	if (!CHECK(turns <= 2 + elapsed / slice)) {
		kt_fail_msg(__FILE__, __LINE__, "witness turns", turns);
		kt_fail_msg(__FILE__, __LINE__, "slices elapsed", elapsed / slice);
	}
	CHECK(wait_advance_sleeping(&s.out[0], spun, 1000));
	/* Nothing the calls carried reached it. */
	CHECK_OK(m6_tcb_read_tls(s.tcb, &tls));
	CHECK_EQ(tls, tls_before);
	CHECK_ERR(m6_tcb_unbind_notification(s.tcb), M6_ERR_ILLEGAL_OPERATION);
}

/* Deleted while running on another CPU: gone when the delete returns (its counter
 * stops, the witness goes on), and the memory can be revoked and reused at once. */
TEST(smp_delete_running_remote)
{
	if (!need_cpus(2))
		return;
	unsigned n = online_cpus();
	struct kt_thread s[KT_MAX_THREADS], w;
	unsigned count = n - 1 < KT_MAX_THREADS - 1 ? n - 1 : KT_MAX_THREADS - 1;
	for (unsigned i = 0; i < count; i++)
		REQUIRE(start_on(&s[i], fn_spin, LOW_PRIO, 1 + i));
	REQUIRE(start_on(&w, fn_spin, LOW_PRIO, 1));
	for (unsigned i = 0; i < count; i++)
		REQUIRE(wait_advance(&s[i].out[0], 0, 1000));
	uint64_t at[KT_MAX_THREADS];
	for (unsigned i = 0; i < count; i++) {
		REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, s[i].tcb, 64));
		at[i] = s[i].out[0];
	}
	CHECK(wait_advance(&w.out[0], w.out[0], 100000));
	for (unsigned i = 0; i < count; i++)
		CHECK_EQ(s[i].out[0], at[i]);
}

/* The test's untyped revoked while its threads run on every other CPU, holding caps to
 * an endpoint and a notification they use: the revoke takes each off its CPU before its
 * TCB goes (their counters stop), and the memory is whole again at once. */
static uint64_t fn_spin_ipc(struct kt_thread *self)
{
	for (;;) {
		kt_nbsend(self->arg[0]);
		m6_signal(self->arg[1]);
		self->out[0]++;
	}
	return 0;
}

TEST(smp_revoke_under_running_threads)
{
	if (!need_cpus(2))
		return;
	unsigned n = online_cpus();
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), nt = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ep && nt);
	m6_cptr_t sig = kt_mint(nt, M6_RIGHT_WRITE, 1);
	REQUIRE(sig);
	unsigned count = n - 1 < KT_MAX_THREADS ? n - 1 : KT_MAX_THREADS;
	struct kt_thread t[KT_MAX_THREADS];
	for (unsigned i = 0; i < count; i++) {
		t[i].arg[0] = ep;
		t[i].arg[1] = sig;
		REQUIRE(start_on(&t[i], fn_spin_ipc, LOW_PRIO, 1 + i));
	}
	for (unsigned i = 0; i < count; i++)
		REQUIRE(wait_advance(&t[i].out[0], 0, 100));
	REQUIRE_OK(m6_cnode_revoke(M6_CAP_SELF_CNODE, KT_SLOT_UTEST, 64));
	kt_reset_objects();
	uint64_t at[KT_MAX_THREADS];
	for (unsigned i = 0; i < count; i++)
		at[i] = t[i].out[0];
	/* No witness is left (everything came from the revoked untyped): a bounded look. A
	 * thread still running would move its counter thousands of times meanwhile. */
	uint64_t end = kt_ticks() + kt_tick_freq() / 100;
	while (kt_ticks() < end)
		;
	for (unsigned i = 0; i < count; i++)
		CHECK_EQ(t[i].out[0], at[i]);
	m6_cptr_t whole = kt_slot();
	REQUIRE(whole);
	CHECK_OK(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_UNTYPED, KT_UTEST_BITS, M6_CAP_SELF_CNODE,
	                           whole, 1));
}

static uint64_t fn_recv_once(struct kt_thread *self)
{
	struct m6_msg m = {0};
	self->out[1] = 1;
	self->result = m6_recv(self->arg[0], &m);
	self->out[0] = 1;
	for (;;)
		m6_yield();
	return 0;
}

/* An endpoint deleted while a thread on another CPU waits on it: the waiter is released
 * with INVALID_CAP on its own CPU. */
TEST(smp_delete_endpoint_with_remote_waiter)
{
	if (!need_cpus(2))
		return;
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread r;
	r.arg[0] = ep;
	REQUIRE(start_on(&r, fn_recv_once, KT_HELPER_PRIO, 1));
	REQUIRE(wait_advance(&r.out[1], 0, 1));
	/* it may not have blocked yet: a send would find it or queue; deleting is the test */
	for (unsigned i = 0; i < 100000 && r.out[0] == 0; i++)
		__asm__ volatile("" ::: "memory");
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, ep, 64));
	CHECK(wait_advance(&r.out[0], 0, 1));
	CHECK_ERR(r.result, M6_ERR_INVALID_CAP);
}

/* ---- stress ---------------------------------------------------------------------- */

#define STRESS_OPS 100000 /* per thread (8 threads); docs/testing.md */

static uint64_t fn_stress(struct kt_thread *self)
{
	/* arg[0]: endpoint (shared), arg[1]: notification (shared, badge 1<<index), arg[2]:
	 * seed, arg[3]: a TCB cap of another stress thread. Random IPC (non-blocking), signals,
	 * yields, priority and affinity changes of itself and of the neighbour. */
	uint64_t seed = self->arg[2], cpus = self->arg[4];
	for (unsigned i = 0; i < STRESS_OPS; i++) {
		uint64_t r = kt_rand(&seed);
		struct m6_msg m = {.info = m6_msginfo(1, 2), .mr = {r, ~r}};
		uint64_t e;
		switch (r % 8) {
		case 0:
			m.word0 = self->arg[0];
			m6_syscall(M6_SYS_NBSEND, &m);
			break;
		case 1:
			kt_nbrecv(self->arg[0], &m);
			if (m.word0 == M6_OK && m6_msginfo_length(m.info) == 2 &&
			    m.mr[1] != ~m.mr[0])
				self->out[1]++;
			break;
		case 2:
			m6_signal(self->arg[1]);
			break;
		case 3:
			m6_poll(self->arg[1]);
			break;
		case 4:
			m6_yield();
			break;
		case 5:
			/* its own TCB (M6_CAP_SELF_TCB would be main's: the CSpace is main's) */
			if ((e = m6_tcb_set_affinity(self->tcb, (r >> 8) % cpus)) != M6_OK)
				self->out[1]++, self->out[2] = e * 100 + 5;
			break;
		case 6:
			if ((e = m6_tcb_set_affinity(self->arg[3], (r >> 8) % cpus)) != M6_OK)
				self->out[1]++, self->out[2] = e * 100 + 6;
			break;
		default:
			if ((e = m6_tcb_set_priority(self->arg[3], M6_CAP_SELF_TCB,
			                             LOW_PRIO + (r >> 16) % 3)) != M6_OK)
				self->out[1]++, self->out[2] = e * 100 + 7;
			break;
		}
		self->out[0]++;
	}
	return 0;
}

static struct kt_thread *stress_threads;
static unsigned stress_count;

static bool all_done(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < stress_count; i++) {
		if (!stress_threads[i].done)
			return false;
	}
	return true;
}

TEST(smp_stress_all_cores)
{
	unsigned n = online_cpus();
	unsigned threads = KT_MAX_THREADS;
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), nt = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ep && nt);
	struct m6_memory_info before, after;
	REQUIRE_OK(m6_sysinfo_memory(CAP_SYSTEM_INFO, &before));
	struct kt_thread t[KT_MAX_THREADS];
	for (unsigned i = 0; i < threads; i++) {
		t[i].arg[0] = ep;
		t[i].arg[1] = kt_mint(nt, M6_RIGHT_WRITE | M6_RIGHT_READ, 1ull << i);
		t[i].arg[2] = 0x9e3779b97f4a7c15ull * (i + 1);
		t[i].arg[4] = n;
		REQUIRE(kt_thread_create(&t[i], fn_stress, LOW_PRIO));
	}
	for (unsigned i = 0; i < threads; i++) {
		t[i].arg[3] = t[(i + 1) % threads].tcb;
		REQUIRE_OK(m6_tcb_set_affinity(t[i].tcb, i % n));
	}
	for (unsigned i = 0; i < threads; i++)
		REQUIRE_OK(m6_tcb_resume(t[i].tcb));
	/* main blocks in sleeps so the threads on CPU 0 run too */
	stress_threads = t;
	stress_count = threads;
	/* 8 x 10^5 operations: main blocks in 1 ms sleeps on one timer (so the threads on
	 * CPU 0 run too) until all have ended; the bound, 12 x KT_PATIENCE_MS of guest time,
	 * is for a loaded host (a bound, not a window: the test goes on as soon as all end) */
	m6_cptr_t tm = kt_new(M6_OBJ_TIMER, 0), tn = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(tm && tn);
	m6_cptr_t tb = kt_mint(tn, M6_RIGHT_WRITE, 1);
	REQUIRE(tb);
	REQUIRE_OK(m6_timer_set_notification(tm, tb));
	const uint64_t ms = kt_tick_freq() / 1000, end = kt_ticks() + 12 * KT_PATIENCE_MS * ms;
	while (!all_done(NULL) && kt_ticks() < end) {
		REQUIRE_OK(m6_timer_set(tm, kt_ticks() + ms, 0));
		REQUIRE_EQ(m6_wait(tn), 1);
	}
	uint64_t ops = 0, errors = 0;
	for (unsigned i = 0; i < threads; i++) {
		CHECK(t[i].done);
		ops += t[i].out[0];
		errors += t[i].out[1];
		CHECK_EQ(t[i].out[2], 0);
	}
	CHECK_EQ(ops, (uint64_t)threads * STRESS_OPS);
	CHECK_EQ(errors, 0);
	/* Nothing was retyped from the kernel's untyped meanwhile, and everything the test
	 * made (its threads still on every CPU) goes with one revoke: the whole test untyped
	 * can be retyped again at once. All memory accounted for. */
	REQUIRE_OK(m6_sysinfo_memory(CAP_SYSTEM_INFO, &after));
	CHECK_EQ(after.free_bytes, before.free_bytes);
	CHECK_EQ(after.ram_bytes, before.ram_bytes);
	REQUIRE_OK(m6_cnode_revoke(M6_CAP_SELF_CNODE, KT_SLOT_UTEST, 64));
	kt_reset_objects();
	m6_cptr_t whole = kt_slot();
	REQUIRE(whole);
	CHECK_OK(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_UNTYPED, KT_UTEST_BITS, M6_CAP_SELF_CNODE,
	                           whole, 1));
}

/* ---- interrupt routing: an LPI follows the CPU of the thread that acknowledges it ---- */

#define LPI_DEV 0x0210u /* a requester ID no other test binds */

static uint64_t cpu_irqs(unsigned cpu)
{
	struct m6_cpu_info c;
	if (!CHECK_OK(m6_sysinfo_cpu(CAP_SYSTEM_INFO, cpu, &c)))
		return 0;
	return c.device_irqs;
}

/* Spin until the notification has a word (main never blocks: CPU 0 keeps running it). */
static uint64_t poll_word(m6_cptr_t n)
{
	uint64_t end = deadline();
	do {
		uint64_t w = m6_poll(n);
		if (w)
			return w;
	} while (kt_ticks() < end);
	return 0;
}

static bool wait_set(volatile uint64_t *flag)
{
	uint64_t end = deadline();
	while (!*flag)
		if (kt_ticks() > end)
			return false;
	return true;
}

/* arg[0] the handler: ACK it from this thread's CPU, then wait for the next signal. */
static uint64_t fn_ack_wait(struct kt_thread *self)
{
	self->out[2] = m6_irq_handler_ack(self->arg[0]);
	self->out[1] = 1;
	self->out[0] = m6_wait(self->arg[1]);
	self->out[3] = 1;
	for (;;)
		m6_yield();
	return 0;
}

/* IRQ_HANDLER_ACK routes the LPI to the acknowledging thread's CPU (MOVI): the next one
 * is taken there, and wakes the thread there; acknowledged from CPU 0 again, it comes
 * back, and one pending while it moves is carried over, not lost. SYSTEM_INFO_CPU's
 * device_irqs counts the user-space interrupts each CPU has taken. */
TEST(smp_lpi_follows_acking_cpu)
{
	if (!need_cpus(3))
		return;
	m6_cptr_t d = kt_new(M6_OBJ_MSI_DEVICE, 1);
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t h = kt_slot();
	REQUIRE(d && n && h);
	REQUIRE_OK(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, d, LPI_DEV, NULL));
	REQUIRE_OK(
	    m6_irq_control_get_msi(CAP_IRQ_CONTROL, d, 1, M6_CAP_SELF_CNODE, h, NULL, NULL, NULL));
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x8);
	REQUIRE(b);
	REQUIRE_OK(m6_irq_handler_set_notification(h, b));

	/* Acknowledged on CPU 0: taken on CPU 0. */
	REQUIRE_OK(m6_irq_handler_ack(h));
	uint64_t c0 = cpu_irqs(0), c2 = cpu_irqs(2);
	REQUIRE_OK(m6_irq_handler_trigger(h));
	CHECK_EQ(poll_word(n), 0x8);
	CHECK(cpu_irqs(0) > c0);
	CHECK_EQ(cpu_irqs(2), c2);

	/* Acknowledged by a thread on CPU 2: the next one is taken on CPU 2 and wakes it. */
	struct kt_thread t = {.arg = {h, n}};
	REQUIRE(start_on(&t, fn_ack_wait, LOW_PRIO, 2));
	REQUIRE(wait_set(&t.out[1]));
	CHECK_EQ(t.out[2], M6_OK);
	c0 = cpu_irqs(0);
	c2 = cpu_irqs(2);
	REQUIRE_OK(m6_irq_handler_trigger(h));
	REQUIRE(wait_set(&t.out[3]));
	CHECK_EQ(t.out[0], 0x8);
	CHECK_EQ(cpu_irqs(2), c2 + 1);
	CHECK_EQ(cpu_irqs(0), c0);

	/* Masked (not acknowledged since), the next waits pending on CPU 2's redistributor;
	 * main's ACK on CPU 0 moves it, pending state and all, and it is taken on CPU 0. */
	REQUIRE_OK(m6_irq_handler_trigger(h));
	CHECK_EQ(m6_poll(n), 0);
	c0 = cpu_irqs(0);
	c2 = cpu_irqs(2);
	REQUIRE_OK(m6_irq_handler_ack(h));
	CHECK_EQ(poll_word(n), 0x8);
	CHECK(cpu_irqs(0) > c0);
	CHECK_EQ(cpu_irqs(2), c2);
}

const struct kt_test kt_suite_smp[] = {
    KT_ENTRY(smp_set_affinity_errors),
    KT_ENTRY(smp_threads_on_every_core_progress),
    KT_ENTRY(smp_call_reply_between_cores),
    KT_ENTRY(smp_notifications_between_cores),
    KT_ENTRY(smp_move_running_thread),
    KT_ENTRY(smp_move_ready_thread),
    KT_ENTRY(smp_move_blocked_thread),
    KT_ENTRY(smp_suspend_running_remote),
    KT_ENTRY(smp_bad_tcb_invocations_leave_remote_running),
    KT_ENTRY(smp_delete_running_remote),
    KT_ENTRY(smp_delete_endpoint_with_remote_waiter),
    KT_ENTRY(smp_revoke_under_running_threads),
    KT_ENTRY(smp_lpi_follows_acking_cpu),
    KT_ENTRY(smp_stress_all_cores),
    KT_END,
};
