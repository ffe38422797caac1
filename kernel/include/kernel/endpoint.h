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
void endpoint_reply(struct tcb *replier);
/* Take a blocked sender or receiver out of its endpoint queue. */
void endpoint_cancel(struct tcb *t);
/* Last cap gone: every waiting thread is released with M6_ERR_INVALID_CAP. */
void endpoint_finalise(struct endpoint *ep);

#endif
