/* Notifications: signal ORs a badge into the word and wakes one waiter; wait takes the
 * word (blocking while it is zero); poll takes it without blocking. Only badged caps
 * signal (a badge of 0 would set no bit), so a wait never wakes to a zero word. A TCB bound to a
 * notification also receives its signals while blocked on an endpoint. */
#include <kernel/delete.h>
#include <kernel/endpoint.h>
#include <kernel/invocation.h>
#include <kernel/notification.h>
#include <kernel/scheduler.h>
#include <m6/abi/errors.h>

static void deliver(struct tcb *t, uint64_t word, bool via_endpoint)
{
	tcb_set_result(t, M6_OK, via_endpoint ? m6_msginfo(M6_LABEL_NOTIFICATION, 0) : 0, word);
	scheduler_make_runnable(t);
}

void notification_signal(struct notification *n, uint64_t badge)
{
	struct tcb *t = thread_queue_pop(&n->waiters);
	if (t) {
		t->blocked_on = NULL;
		deliver(t, n->word | badge, false);
		n->word = 0;
		return;
	}
	struct tcb *bound = n->bound_tcb;
	if (bound && bound->state == THREAD_BLOCKED_RECV) {
		endpoint_cancel(bound);
		deliver(bound, n->word | badge, true);
		n->word = 0;
		return;
	}
	n->word |= badge;
}

void notification_wait(struct notification *n, struct tcb *t, bool blocking)
{
	if (n->word || !blocking) {
		tcb_set_result(t, M6_OK, 0, n->word);
		n->word = 0;
		return;
	}
	t->state = THREAD_BLOCKED_NOTIFICATION;
	t->blocked_on = n;
	thread_queue_append(&n->waiters, t);
}

void notification_bind(struct notification *n, struct tcb *t)
{
	n->bound_tcb = t;
	t->bound_notification = n;
}

void notification_unbind_tcb(struct tcb *t)
{
	if (t->bound_notification) {
		t->bound_notification->bound_tcb = NULL;
		t->bound_notification = NULL;
	}
}

bool notification_release_waiters(struct notification *n, unsigned max)
{
	if (n->bound_tcb)
		notification_unbind_tcb(n->bound_tcb);
	struct tcb *t;
	for (unsigned i = 0; i < max && (t = thread_queue_pop(&n->waiters)) != NULL; i++) {
		t->blocked_on = NULL;
		tcb_set_result(t, M6_ERR_INVALID_CAP, 0, 0);
		scheduler_make_runnable(t);
	}
	return n->waiters.head == NULL;
}

int notification_set_signal_slot(struct cte *slot, struct tcb *caller, unsigned length)
{
	int error;
	struct cte *n = NULL;
	if (length < 1)
		return M6_ERR_INVALID_ARGUMENT;
	word_t cptr = tcb_get_mr(caller, 0);
	if (cptr) {
		n = lookup_typed_arg(caller, cptr, M6_OBJ_NOTIFICATION, &error);
		if (!n)
			return error;
		if (!cap_has_rights(&n->cap, M6_RIGHT_WRITE))
			return M6_ERR_INSUFFICIENT_RIGHTS;
		if (n->cap.word == 0) /* its signals would set no bit */
			return M6_ERR_INVALID_CAP;
	}
	/* perform: the old cap goes first (restarted while its notification's waiters are
	 * released, the invocation decodes again). */
	error = cap_delete(slot);
	if (error != M6_OK)
		return error;
	if (n && !cap_is_null(&n->cap))
		cdt_insert_child(n, slot, &n->cap);
	return invocation_ok(caller, 0);
}
