/* Scheduler: yield, round robin within a priority, strict priority order, preemption by
 * the timer tick and the timeslice. */
#include "ktest.h"

static volatile uint64_t log_buf[32];
static volatile uint64_t log_len;
static volatile uint64_t stop_spinning;

static uint64_t fn_yield_log(struct kt_thread *self)
{
	for (unsigned i = 0; i < 4; i++) {
		if (log_len < 32)
			log_buf[log_len++] = self->arg[0];
		m6_yield();
	}
	return 0;
}

static uint64_t fn_spin(struct kt_thread *self)
{
	while (!stop_spinning)
		self->out[0]++;
	return 0;
}

static uint64_t fn_flag(struct kt_thread *self)
{
	self->out[0] = 1;
	return 0;
}

TEST(sched_yield_alone)
{
	for (unsigned i = 0; i < 100; i++)
		m6_yield();
	CHECK(true);
}

TEST(sched_round_robin_yield)
{
	log_len = 0;
	struct kt_thread a, b;
	a.arg[0] = 1;
	b.arg[0] = 2;
	REQUIRE(kt_thread_create(&a, fn_yield_log, KT_MAIN_PRIO));
	REQUIRE(kt_thread_create(&b, fn_yield_log, KT_MAIN_PRIO));
	REQUIRE_OK(m6_tcb_resume(a.tcb));
	REQUIRE_OK(m6_tcb_resume(b.tcb));
	kt_join(&a, 100);
	kt_join(&b, 100);
	REQUIRE_EQ(log_len, 8);
	unsigned alternations = 0;
	for (unsigned i = 1; i < 8; i++)
		alternations += log_buf[i] != log_buf[i - 1];
	CHECK_EQ(alternations, 7);
	CHECK_EQ(log_buf[0], 1);
}

TEST(sched_higher_priority_runs_at_once)
{
	struct kt_thread t;
	REQUIRE(kt_thread_create(&t, fn_flag, KT_HELPER_PRIO));
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	CHECK_EQ(t.out[0], 1);
}

TEST(sched_lower_priority_waits)
{
	struct kt_thread t;
	REQUIRE(kt_thread_create(&t, fn_flag, KT_MAIN_PRIO - 1));
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	for (unsigned i = 0; i < 50; i++)
		m6_yield();
	CHECK_EQ(t.out[0], 0);
	/* raising it above main lets it run at once */
	REQUIRE_OK(m6_tcb_set_priority(t.tcb, M6_CAP_SELF_TCB, KT_HELPER_PRIO));
	CHECK_EQ(t.out[0], 1);
}

static bool flag_set(void *arg)
{
	return ((struct kt_thread *)arg)->out[0] != 0;
}

static bool both_ran(void *arg)
{
	struct kt_thread *t = arg;
	return t[0].out[0] != 0 && t[1].out[0] != 0;
}

TEST(sched_lower_priority_runs_when_main_blocks)
{
	struct kt_thread t;
	REQUIRE(kt_thread_create(&t, fn_flag, KT_MAIN_PRIO - 1));
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	CHECK_EQ(t.out[0], 0); /* main has not blocked yet */
	CHECK(kt_sleep_until(flag_set, &t));
	CHECK_EQ(t.out[0], 1);
}

TEST(sched_lowering_self_yields_cpu)
{
	struct kt_thread t;
	REQUIRE(kt_thread_create(&t, fn_flag, KT_MAIN_PRIO - 5));
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	REQUIRE_OK(m6_tcb_set_priority(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, KT_MAIN_PRIO - 10));
	CHECK_EQ(t.out[0], 1);
}

TEST(sched_preemption_by_tick)
{
	/* two spinners never yield; main sleeps above them: round robin must come from the
	 * timer tick. Main sleeps until both have run (bounded by KT_PATIENCE_MS), rather
	 * than for a fixed window that a host stalling QEMU could make too short. */
	stop_spinning = 0;
	struct kt_thread ab[2];
	REQUIRE(kt_thread_create(&ab[0], fn_spin, KT_MAIN_PRIO - 10));
	REQUIRE(kt_thread_create(&ab[1], fn_spin, KT_MAIN_PRIO - 10));
	REQUIRE_OK(m6_tcb_set_timeslice(ab[0].tcb, M6_CAP_SELF_TCB, 1000));
	REQUIRE_OK(m6_tcb_set_timeslice(ab[1].tcb, M6_CAP_SELF_TCB, 1000));
	REQUIRE_OK(m6_tcb_resume(ab[0].tcb));
	REQUIRE_OK(m6_tcb_resume(ab[1].tcb));
	bool both = kt_sleep_until(both_ran, ab);
	stop_spinning = 1;
	CHECK(both);
	CHECK(ab[0].out[0] > 0);
	CHECK(ab[1].out[0] > 0);
}

TEST(sched_main_preempts_spinner)
{
	/* A spinner at main's priority must not keep main from running. Main spins itself
	 * until it sees the spinner's count move: the tick must have taken the CPU from main
	 * (or the spinner never runs), and main being back to see it means the tick took it
	 * from the spinner too. It waits for that event, not for a fixed window: a window
	 * shorter than a timeslice plus whatever the host steals fails some boots.
	 * KT_PATIENCE_MS only bounds a broken scheduler. */
	stop_spinning = 0;
	struct kt_thread a;
	REQUIRE(kt_thread_create(&a, fn_spin, KT_MAIN_PRIO));
	REQUIRE_OK(m6_tcb_resume(a.tcb));
	uint64_t end = kt_ticks() + kt_tick_freq() / 1000 * KT_PATIENCE_MS;
	while (a.out[0] == 0 && kt_ticks() < end)
		;
	uint64_t seen = a.out[0];
	stop_spinning = 1;
	CHECK(seen > 0);
	CHECK(kt_join(&a, 100));
}

TEST(sched_suspend_spinner)
{
	stop_spinning = 0;
	struct kt_thread a;
	REQUIRE(kt_thread_create(&a, fn_spin, KT_MAIN_PRIO - 10));
	REQUIRE_OK(m6_tcb_resume(a.tcb));
	REQUIRE(kt_sleep_ms(3));
	REQUIRE_OK(m6_tcb_suspend(a.tcb));
	uint64_t c = a.out[0];
	REQUIRE(kt_sleep_ms(3));
	CHECK_EQ(a.out[0], c);
	stop_spinning = 1;
}

TEST(sched_idle_loses_no_wakeup)
{
	/* Main alone, sleeping on short one-shot timers: the interrupt often arrives while
	 * the kernel is on its way to idle. A lost wake-up hangs the suite (the QEMU test's
	 * timeout then fails it). */
	m6_cptr_t tm = kt_new(M6_OBJ_TIMER, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(tm && n);
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 1);
	REQUIRE(b);
	REQUIRE_OK(m6_timer_set_notification(tm, b));
	unsigned wrong = 0;
	for (unsigned i = 0; i < 5000; i++) {
		if (m6_timer_set(tm, kt_ticks() + (i % 400), 0) != M6_OK || m6_wait(n) != 1)
			wrong++;
	}
	CHECK_EQ(wrong, 0);
}

const struct kt_test kt_suite_sched[] = {
    KT_ENTRY(sched_yield_alone),
    KT_ENTRY(sched_round_robin_yield),
    KT_ENTRY(sched_higher_priority_runs_at_once),
    KT_ENTRY(sched_lower_priority_waits),
    KT_ENTRY(sched_lower_priority_runs_when_main_blocks),
    KT_ENTRY(sched_lowering_self_yields_cpu),
    KT_ENTRY(sched_preemption_by_tick),
    KT_ENTRY(sched_main_preempts_spinner),
    KT_ENTRY(sched_suspend_spinner),
    KT_ENTRY(sched_idle_loses_no_wakeup),
    KT_END,
};
