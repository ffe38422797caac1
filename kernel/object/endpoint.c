/* Endpoints: synchronous IPC. A message moves only when a sender and a receiver meet;
 * whichever arrives first waits in the endpoint's FIFO queue. */
#include <kernel/endpoint.h>
#include <kernel/scheduler.h>
#include <m6/abi/errors.h>

static void block_on(struct tcb *t, struct endpoint *ep, enum thread_state state)
{
	t->state = state;
	t->blocked_on = ep;
	thread_queue_append(state == THREAD_BLOCKED_SEND ? &ep->senders : &ep->receivers, t);
}

static void unblock_from(struct endpoint *ep, struct tcb *t)
{
	thread_queue_remove(t->state == THREAD_BLOCKED_SEND ? &ep->senders : &ep->receivers, t);
	t->blocked_on = NULL;
}

/* Both parties are known and the message has been copied: settle their states. */
static void complete_rendezvous(struct tcb *sender, struct tcb *receiver, bool is_call,
                                bool can_grant_reply)
{
	if (is_call && can_grant_reply) {
		sender->state = THREAD_BLOCKED_REPLY;
		sender->callee = receiver;
		receiver->caller = sender;
	} else if (is_call) {
		/* A call through a cap without grant-reply cannot be answered: the caller
		 * gets an error instead of waiting forever. */
		sender->context.x[0] = M6_ERR_INSUFFICIENT_RIGHTS;
		scheduler_make_runnable(sender);
	} else {
		scheduler_make_runnable(sender);
	}
	scheduler_make_runnable(receiver);
}

void endpoint_send(struct endpoint *ep, struct tcb *sender, uint64_t badge, bool blocking,
                   bool is_call, bool can_grant_reply)
{
	struct tcb *receiver = thread_queue_pop(&ep->receivers);
	if (receiver) {
		receiver->blocked_on = NULL;
		sender->context.x[0] = M6_OK;
		tcb_transfer_message(sender, receiver, badge);
		complete_rendezvous(sender, receiver, is_call, can_grant_reply);
		return;
	}
	if (!blocking) {
		sender->context.x[0] = M6_ERR_WOULD_BLOCK;
		return;
	}
	sender->blocked_badge = badge;
	sender->blocked_is_call = is_call;
	sender->blocked_can_grant_reply = can_grant_reply;
	block_on(sender, ep, THREAD_BLOCKED_SEND);
}

void endpoint_receive(struct endpoint *ep, struct tcb *receiver, bool blocking)
{
	struct tcb *sender = ep->senders.head;
	if (sender) {
		unblock_from(ep, sender);
		sender->context.x[0] = M6_OK;
		tcb_transfer_message(sender, receiver, sender->blocked_badge);
		complete_rendezvous(sender, receiver, sender->blocked_is_call,
		                    sender->blocked_can_grant_reply);
		return;
	}
	if (!blocking) {
		receiver->context.x[0] = M6_ERR_WOULD_BLOCK;
		receiver->context.x[1] = 0;
		return;
	}
	block_on(receiver, ep, THREAD_BLOCKED_RECV);
}

void endpoint_reply(struct tcb *replier)
{
	struct tcb *caller = replier->caller;
	replier->caller = NULL;
	caller->callee = NULL;
	/* The reply carries no badge: x0 = M6_OK tells the caller its call completed. */
	tcb_transfer_message(replier, caller, M6_OK);
	scheduler_make_runnable(caller);
}

void endpoint_cancel(struct tcb *t)
{
	if (t->blocked_on)
		unblock_from(t->blocked_on, t);
}
