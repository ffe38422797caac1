/* Timer objects. Armed timers form one list sorted by deadline; the clock programs the
 * hardware for the earliest of that and the running thread's timeslice. */
#include <kernel/arch.h>
#include <kernel/delete.h>
#include <kernel/invocation.h>
#include <kernel/notification.h>
#include <kernel/timer.h>

static struct timer *armed; /* sorted by deadline */

uint64_t timers_next_deadline(void)
{
	return armed ? armed->deadline : UINT64_MAX;
}

static void disarm(struct timer *t)
{
	for (struct timer **p = &armed; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->next = NULL;
	t->armed = false;
}

static void arm(struct timer *t, uint64_t deadline)
{
	struct timer **p = &armed;
	while (*p && (*p)->deadline <= deadline)
		p = &(*p)->next;
	t->deadline = deadline;
	t->next = *p;
	*p = t;
	t->armed = true;
}

void timers_expire(uint64_t now)
{
	while (armed && armed->deadline <= now) {
		struct timer *t = armed;
		armed = t->next;
		t->armed = false;
		struct cap *n = &t->notification.cap;
		if (n->type == M6_OBJ_NOTIFICATION)
			notification_signal((struct notification *)n->object, n->word);
		if (t->period) {
			/* Missed periods are dropped rather than delivered in a burst. Both
			 * values are bounded at TIMER_SET, so the sums cannot wrap. */
			uint64_t next = t->deadline + t->period;
			if (next <= now)
				next = now + t->period;
			arm(t, next);
		}
	}
}

void timer_finalise(struct timer *t)
{
	if (t->armed)
		disarm(t);
	cap_delete_nested(&t->notification);
}

int timer_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	struct timer *t = (struct timer *)slot->cap.object;
	if (!cap_has_rights(&slot->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	switch (label) {
	case M6_TIMER_SET_NOTIFICATION:
		return notification_set_signal_slot(&t->notification, caller, length);
	case M6_TIMER_SET: {
		if (length < 2)
			return M6_ERR_INVALID_ARGUMENT;
		word_t deadline = tcb_get_mr(caller, 0), period = tcb_get_mr(caller, 1);
		/* A period shorter than 10 us would let one thread keep the CPU in the
		 * kernel; refuse it. Deadlines and periods stay below 2^62 ticks (tens of
		 * thousands of years) so that deadline arithmetic never wraps. */
		if (period && period < arch_timer_frequency() / 100000)
			return M6_ERR_RANGE;
		if (period >= TIMER_TICKS_MAX || deadline >= TIMER_TICKS_MAX)
			return M6_ERR_RANGE;
		if (t->armed)
			disarm(t);
		t->period = period;
		arm(t, deadline);
		clock_update();
		return invocation_ok(caller, 0);
	}
	case M6_TIMER_CANCEL:
		if (t->armed)
			disarm(t);
		return invocation_ok(caller, 0);
	default:
		return M6_ERR_ILLEGAL_OPERATION;
	}
}
