/* Endpoints: synchronous rendezvous IPC with badges. */
#ifndef KERNEL_ENDPOINT_H
#define KERNEL_ENDPOINT_H

#include <kernel/tcb.h>

struct endpoint {
	struct thread_queue senders;   /* blocked in send or call (or a fault) */
	struct thread_queue receivers; /* blocked in recv */
};

#define ENDPOINT_SIZE_BITS 5
_Static_assert(sizeof(struct endpoint) <= (1u << ENDPOINT_SIZE_BITS), "endpoint size");

/* How a sender reached the endpoint: the rights and badge of the cap it used. */
struct send_options {
	uint64_t badge;
	bool blocking;
	bool is_call;
	bool can_grant;
	bool can_grant_reply;
};

/* The sender's result registers are the caller's business (a faulted thread's must not
 * change); these only move the message and the threads. */
void endpoint_send(struct endpoint *ep, struct tcb *sender, const struct send_options *opt);
void endpoint_receive(struct endpoint *ep, struct tcb *receiver, bool blocking);
/* Answer the thread blocked on a reply from `replier`. */
void endpoint_reply(struct tcb *replier, bool grant);
/* Take a blocked sender or receiver out of its endpoint queue. */
void endpoint_cancel(struct tcb *t);
/* Last cap gone: release up to `max` waiting threads (M6_ERR_INVALID_CAP; a faulted
 * sender stays stopped); true when none is left. No cap to the endpoint is left, so none
 * can join meanwhile. */
bool endpoint_release_waiters(struct endpoint *ep, unsigned max);
/* The last cap with `badge` went: the sends queued with it are cancelled (the senders get
 * M6_ERR_CANCELLED), in steps of `max` queued senders examined. One cancellation at a
 * time; its cursor follows the queue as threads leave it. */
void endpoint_cancel_badged_start(struct endpoint *ep, uint64_t badge);
bool endpoint_cancel_badged_pending(void);
void endpoint_cancel_badged_step(unsigned max);

#endif
