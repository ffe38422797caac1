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
	/* A slot for the copy m6_sleep_ns signals other bits back through (keep_signals). */
	t->resignal_slot = m6_cap_alloc();
	m6_cptr_t badged = m6_cap_mint(notification, M6_RIGHT_WRITE, badge);
	if (!badged || !t->resignal_slot)
		return M6_ERR_NOT_ENOUGH_MEMORY;
	return m6_timer_set_notification(timer, badged);
}

/* Put bits taken from the notification word back: signal through a copy of the cap
 * whose badge is exactly those bits. The copy lives only for the signal, so one slot per
 * timer serves every sleep. */
static void keep_signals(struct m6_timer *t, uint64_t bits)
{
	if (!bits || !t->resignal_slot)
		return;
	if (m6_cnode_mint(M6_CAP_SELF_CNODE, t->resignal_slot, M6_DEPTH_ROOT, M6_CAP_SELF_CNODE,
	                  t->notification, M6_DEPTH_ROOT, M6_RIGHT_WRITE, bits) != M6_OK)
		return;
	m6_signal(t->resignal_slot);
	m6_cnode_delete(M6_CAP_SELF_CNODE, t->resignal_slot, M6_DEPTH_ROOT);
}

/* Wait until the deadline passes or a non-timer signal arrives; returns the latter. */
static uint64_t wait_until(struct m6_timer *t, uint64_t deadline, int stop_on_signal)
{
	uint64_t others = 0;
	m6_timer_set(t->timer, deadline, 0);
	while (m6_counter() < deadline) {
		uint64_t word = m6_wait(t->notification);
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
	/* Signals for others that the sleep took are theirs: back into the word, once the
	 * waiting is over (before, the next wait of the sleep would take them again). */
	keep_signals(t, wait_until(t, m6_counter() + m6_ns_to_ticks(ns), 0));
}

uint64_t m6_wait_timeout(struct m6_timer *t, uint64_t timeout_ns)
{
	return wait_until(t, m6_counter() + m6_ns_to_ticks(timeout_ns), 1);
}
