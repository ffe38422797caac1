/* Time over the system counter and kernel Timer objects. */
#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6/sync.h>
#include <m6/time.h>

uint64_t m6_time_ns(void)
{
	return (uint64_t)((unsigned __int128)m6_counter() * 1000000000u / m6_counter_frequency());
}

uint64_t m6_ns_to_ticks(uint64_t ns)
{
	unsigned __int128 t = (unsigned __int128)ns * m6_counter_frequency() + 999999999u;
	return (uint64_t)(t / 1000000000u);
}

uint64_t m6_timer_init(struct m6_timer *t, m6_cptr_t timer, m6_cptr_t notification, uint64_t badge)
{
	t->timer = timer;
	t->notification = notification;
	t->badge = badge;
	m6_cptr_t badged = m6_cap_mint(notification, M6_RIGHT_WRITE, badge);
	if (!badged)
		return M6_ERR_NOT_ENOUGH_MEMORY;
	return m6_timer_set_notification(timer, badged);
}

/* Wait until the deadline passes or a non-timer signal arrives; returns the latter. */
static uint64_t wait_until(struct m6_timer *t, uint64_t deadline, int stop_on_signal)
{
	uint64_t others = 0;
	m6_timer_set(t->timer, deadline, 0);
	while (m6_counter() < deadline) {
		uint64_t word = m6_notification_wait(t->notification);
		others |= word & ~t->badge;
		if (others && stop_on_signal) {
			m6_timer_cancel(t->timer);
			break;
		}
		/* A timer bit before the deadline is a stale one from an earlier cancel. */
	}
	return others;
}

void m6_sleep_ns(struct m6_timer *t, uint64_t ns)
{
	wait_until(t, m6_counter() + m6_ns_to_ticks(ns), 0);
}

uint64_t m6_wait_timeout(struct m6_timer *t, uint64_t timeout_ns)
{
	return wait_until(t, m6_counter() + m6_ns_to_ticks(timeout_ns), 1);
}
