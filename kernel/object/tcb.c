/* Thread control blocks: queues, message transfer, and TCB invocations. */
#include <kernel/endpoint.h>
#include <kernel/scheduler.h>
#include <kernel/string.h>
#include <kernel/tcb.h>
#include <m6/abi/errors.h>

void thread_queue_append(struct thread_queue *q, struct tcb *t)
{
	t->queue_next = NULL;
	t->queue_prev = q->tail;
	if (q->tail)
		q->tail->queue_next = t;
	else
		q->head = t;
	q->tail = t;
}

void thread_queue_remove(struct thread_queue *q, struct tcb *t)
{
	if (t->queue_prev)
		t->queue_prev->queue_next = t->queue_next;
	else
		q->head = t->queue_next;
	if (t->queue_next)
		t->queue_next->queue_prev = t->queue_prev;
	else
		q->tail = t->queue_prev;
	t->queue_next = t->queue_prev = NULL;
}

struct tcb *thread_queue_pop(struct thread_queue *q)
{
	struct tcb *t = q->head;
	if (t)
		thread_queue_remove(q, t);
	return t;
}

void tcb_set_name(struct tcb *t, const char *name)
{
	size_t i = 0;
	for (; name[i] && i + 1 < TCB_NAME_LEN; i++)
		t->name[i] = name[i];
	t->name[i] = '\0';
}

void tcb_transfer_message(struct tcb *sender, struct tcb *receiver, uint64_t badge)
{
	word_t info = sender->context.x[1];
	unsigned length = (unsigned)m6_msginfo_length(info);
	/* Truncate to what both sides can carry; the receiver sees the true length it got. */
	if (length > tcb_max_mrs(sender))
		length = tcb_max_mrs(sender);
	if (length > tcb_max_mrs(receiver))
		length = tcb_max_mrs(receiver);
	for (unsigned i = 0; i < length; i++)
		tcb_set_mr(receiver, i, tcb_get_mr(sender, i));
	receiver->context.x[0] = badge;
	receiver->context.x[1] = m6_msginfo(m6_msginfo_label(info), length);
}

void tcb_suspend(struct tcb *t)
{
	switch (t->state) {
	case THREAD_BLOCKED_SEND:
	case THREAD_BLOCKED_RECV:
		endpoint_cancel(t);
		break;
	case THREAD_BLOCKED_REPLY:
		if (t->callee && t->callee->caller == t)
			t->callee->caller = NULL;
		t->callee = NULL;
		break;
	case THREAD_RUNNING:
		scheduler_dequeue(t);
		break;
	case THREAD_INACTIVE:
		break;
	}
	/* A thread we owed a reply to would otherwise wait forever. */
	if (t->caller) {
		struct tcb *caller = t->caller;
		t->caller = NULL;
		caller->callee = NULL;
		caller->context.x[0] = M6_ERR_NO_REPLY;
		caller->context.x[1] = 0;
		scheduler_make_runnable(caller);
	}
	t->state = THREAD_INACTIVE;
}

int tcb_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	struct tcb *target = (struct tcb *)slot->cap.object;
	(void)length;
	/* decode */
	if (label != M6_TCB_SUSPEND)
		return M6_ERR_ILLEGAL_OPERATION;
	if (!cap_has_rights(&slot->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	/* perform */
	caller->context.x[0] = M6_OK;
	caller->context.x[1] = 0;
	tcb_suspend(target);
	return M6_OK;
}
