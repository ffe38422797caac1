/* Mutex and condition variable on notifications (see <m6/sync.h> for the argument). */
#include <m6/caps.h>
#include <m6/sync.h>

#define SYNC_BADGE 1u /* what a badged signal sets in the notification word */

/* The cap to signal `notification` through: a badged copy (m6_cap_mint), because the
 * kernel only signals through badged caps and the spec's own cap has badge 0. */
static uint64_t badged_copy(m6_cptr_t notification, m6_cptr_t *signal)
{
	*signal = m6_cap_mint(notification, M6_RIGHT_WRITE, SYNC_BADGE);
	return *signal ? M6_OK : M6_ERR_NOT_ENOUGH_MEMORY;
}

uint64_t m6_mutex_init(struct m6_mutex *m, m6_cptr_t notification)
{
	atomic_init(&m->count, 0);
	m->notification = notification;
	return badged_copy(notification, &m->signal);
}

void m6_mutex_lock(struct m6_mutex *m)
{
	if (atomic_fetch_add(&m->count, 1) > 0)
		m6_wait(m->notification); /* the unlocker hands it over */
}

int m6_mutex_trylock(struct m6_mutex *m)
{
	unsigned expected = 0;
	return atomic_compare_exchange_strong(&m->count, &expected, 1);
}

void m6_mutex_unlock(struct m6_mutex *m)
{
	if (atomic_fetch_sub(&m->count, 1) > 1)
		m6_signal(m->signal);
}

uint64_t m6_cond_init(struct m6_cond *c, m6_cptr_t notification)
{
	atomic_init(&c->generation, 0);
	atomic_init(&c->waiters, 0);
	c->notification = notification;
	return badged_copy(notification, &c->signal);
}

void m6_cond_wait(struct m6_cond *c, struct m6_mutex *m)
{
	unsigned generation = atomic_load(&c->generation);
	atomic_fetch_add(&c->waiters, 1);
	m6_mutex_unlock(m);
	/* A signal between the unlock and the wait leaves the word set: no lost wake-up. */
	while (atomic_load(&c->generation) == generation)
		m6_wait(c->notification);
	/* Signals coalesce: pass the wake-up on to whoever still waits. */
	if (atomic_fetch_sub(&c->waiters, 1) > 1)
		m6_signal(c->signal);
	m6_mutex_lock(m);
}

void m6_cond_broadcast(struct m6_cond *c)
{
	atomic_fetch_add(&c->generation, 1);
	if (atomic_load(&c->waiters) > 0)
		m6_signal(c->signal);
}

void m6_cond_signal(struct m6_cond *c)
{
	m6_cond_broadcast(c);
}
