/* Endpoints: synchronous IPC. A message moves only when a sender and a receiver meet;
 * whichever arrives first waits in the endpoint's FIFO queue. */
#include <kernel/endpoint.h>
#include <kernel/fault.h>
#include <kernel/scheduler.h>
#include <m6/abi/errors.h>

static void block_on(struct tcb *t, struct endpoint *ep, enum thread_state state)
{
	t->state = state;
	t->blocked_on = ep;
	thread_queue_append(state == THREAD_BLOCKED_SEND ? &ep->senders : &ep->receivers, t);
}

/* The cancellation of badged sends in progress (at most one): the next queued sender to
 * examine. Whoever takes a sender out of the queue moves the cursor past it. */
static struct endpoint *cancel_ep;
static uint64_t cancel_badge;
static struct tcb *cancel_next;

void endpoint_cancel(struct tcb *t)
{
	struct endpoint *ep = t->blocked_on;
	if (!ep)
		return;
	if (t == cancel_next)
		cancel_next = t->queue_next;
	thread_queue_remove(t->state == THREAD_BLOCKED_SEND ? &ep->senders : &ep->receivers, t);
	t->blocked_on = NULL;
}

/* Both parties are known: move the message and settle their states. */
static void rendezvous(struct tcb *sender, struct tcb *receiver, uint64_t badge, bool is_call,
                       bool can_grant, bool can_grant_reply)
{
	sender->blocked_can_grant = can_grant;
	tcb_transfer_message(sender, receiver, badge);
	if (is_call && can_grant_reply) {
		sender->state = THREAD_BLOCKED_REPLY;
		sender->callee = receiver;
		receiver->caller = sender;
	} else if (is_call) {
		/* A call through a cap without grant-reply cannot be answered: the message is
		 * delivered, and the caller learns at once that no answer will come. */
		tcb_set_result(sender, M6_ERR_INSUFFICIENT_RIGHTS, 0, 0);
		scheduler_make_runnable(sender);
	} else {
		scheduler_make_runnable(sender);
	}
	scheduler_make_runnable(receiver);
}

void endpoint_send(struct endpoint *ep, struct tcb *sender, const struct send_options *opt)
{
	struct tcb *receiver = thread_queue_pop(&ep->receivers);
	if (receiver) {
		receiver->blocked_on = NULL;
		rendezvous(sender, receiver, opt->badge, opt->is_call, opt->can_grant,
		           opt->can_grant_reply);
		return;
	}
	if (!opt->blocking) {
		tcb_set_result(sender, M6_ERR_WOULD_BLOCK, 0, 0);
		return;
	}
	sender->blocked_badge = opt->badge;
	sender->blocked_is_call = opt->is_call;
	sender->blocked_can_grant = opt->can_grant;
	sender->blocked_can_grant_reply = opt->can_grant_reply;
	block_on(sender, ep, THREAD_BLOCKED_SEND);
}

void endpoint_receive(struct endpoint *ep, struct tcb *receiver, bool blocking)
{
	struct tcb *sender = ep->senders.head;
	if (sender) {
		endpoint_cancel(sender);
		rendezvous(sender, receiver, sender->blocked_badge, sender->blocked_is_call,
		           sender->blocked_can_grant, sender->blocked_can_grant_reply);
		return;
	}
	if (!blocking) {
		tcb_set_result(receiver, M6_ERR_WOULD_BLOCK, 0, 0);
		return;
	}
	block_on(receiver, ep, THREAD_BLOCKED_RECV);
}

void endpoint_reply(struct tcb *replier, bool grant)
{
	struct tcb *caller = replier->caller;
	replier->caller = NULL;
	caller->callee = NULL;
	if (caller->fault) {
		fault_handle_reply(caller, replier);
		return;
	}
	/* A reply carries a cap only when sys_reply found the replier may give one (GRANT on
	 * the endpoint cap it received the call through): grant-reply lets the callee
	 * answer, not give. */
	replier->blocked_can_grant = grant;
	tcb_transfer_message(replier, caller, 0);
	scheduler_make_runnable(caller);
}

/* Take a waiting thread out of its queue and let it go with `error`. */
static void release(struct tcb *t, word_t error)
{
	endpoint_cancel(t);
	if (t->fault) {
		/* A faulted thread cannot retry a send: it stays stopped (already out of the
		 * queue), and whoever waited for its reply is released. */
		t->state = THREAD_INACTIVE;
		tcb_suspend(t);
		return;
	}
	tcb_set_result(t, error, 0, 0);
	scheduler_make_runnable(t);
}

bool endpoint_release_waiters(struct endpoint *ep, unsigned max)
{
	for (unsigned i = 0; i < max; i++) {
		struct tcb *t = ep->senders.head ? ep->senders.head : ep->receivers.head;
		if (!t)
			return true;
		release(t, M6_ERR_INVALID_CAP);
	}
	return !ep->senders.head && !ep->receivers.head;
}

void endpoint_cancel_badged_start(struct endpoint *ep, uint64_t badge)
{
	if (!ep->senders.head)
		return; /* the common case: nothing queued */
	if (cancel_ep) {
		/* Not reached: delete.c finishes one cancellation before it deletes another
		 * cap. Correct anyway: the earlier one is finished here. */
		while (cancel_ep)
			endpoint_cancel_badged_step(~0u);
	}
	cancel_ep = ep;
	cancel_badge = badge;
	cancel_next = ep->senders.head;
}

bool endpoint_cancel_badged_pending(void)
{
	return cancel_ep != NULL;
}

void endpoint_cancel_badged_step(unsigned max)
{
	for (unsigned i = 0; i < max && cancel_next; i++) {
		struct tcb *t = cancel_next;
		cancel_next = t->queue_next;
		if (t->blocked_badge == cancel_badge)
			release(t, M6_ERR_CANCELLED);
	}
	if (!cancel_next)
		cancel_ep = NULL;
}
