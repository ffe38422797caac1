/* Timer objects. Armed timers wait in the timer queue (core/timer_queue.c) at the
 * priority of the thread that armed them; the clock programs the hardware for the earlier
 * of the queue's next event and the running thread's timeslice. */
#include <kernel/arch.h>
#include <kernel/delete.h>
#include <kernel/invocation.h>
#include <kernel/notification.h>
#include <kernel/timer.h>

static struct timer_queue queue;

void timers_init(void)
{
	/* A run longer than 1 ms was stretched from outside (a host that descheduled this
	 * virtual CPU): charging it in full would only hold timers back for nothing. Taking
	 * and leaving the interrupt is charged as 1 us: more than its few hundred
	 * instructions on any CPU this kernel runs on. */
	uint64_t freq = arch_timer_frequency();
	tq_init(&queue, freq / 1000, freq / 1000000 ? freq / 1000000 : 1);
}

uint64_t timers_next_deadline(void)
{
	return tq_next_event(&queue);
}

static uint64_t fire(struct tq_node *node, uint64_t now)
{
	struct timer *t = (struct timer *)node;
	struct cap *n = &t->notification.cap;
	if (n->type == M6_OBJ_NOTIFICATION)
		notification_signal((struct notification *)n->object, n->word);
	if (!t->period)
		return TQ_ONE_SHOT;
	/* Missed periods are dropped rather than delivered in a burst. Both values are
	 * bounded at TIMER_SET, so the sums cannot wrap. */
	uint64_t next = node->deadline + t->period;
	return next > now ? next : now + t->period;
}

void timers_expire(uint64_t now)
{
	tq_expire(&queue, now, fire, clock_now);
}

void timer_finalise(struct timer *t)
{
	if (t->node.queued)
		tq_remove(&queue, &t->node);
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
		if (t->node.queued)
			tq_remove(&queue, &t->node);
		t->period = period;
		/* The timer expires at the arming thread's priority, which its maximum
		 * controlled priority (the spec) bounds: a thread cannot make its timers
		 * outrank threads above it. */
		tq_insert(&queue, &t->node, caller->priority, deadline);
		clock_update();
		return invocation_ok(caller, 0);
	}
	case M6_TIMER_CANCEL:
		if (t->node.queued)
			tq_remove(&queue, &t->node);
		return invocation_ok(caller, 0);
	default:
		return M6_ERR_ILLEGAL_OPERATION;
	}
}
