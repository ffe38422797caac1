/* Endpoints: synchronous rendezvous IPC with badges. */
#ifndef KERNEL_ENDPOINT_H
#define KERNEL_ENDPOINT_H

#include <kernel/tcb.h>

struct endpoint {
	struct thread_queue senders;   /* blocked in send or call */
	struct thread_queue receivers; /* blocked in recv */
};

#define ENDPOINT_SIZE_BITS 5
_Static_assert(sizeof(struct endpoint) <= (1u << ENDPOINT_SIZE_BITS), "endpoint size");

/* `blocking` false means NBSEND/NBRECV. `is_call` marks a call (sender waits for reply). */
void endpoint_send(struct endpoint *ep, struct tcb *sender, uint64_t badge, bool blocking,
                   bool is_call, bool can_grant_reply);
void endpoint_receive(struct endpoint *ep, struct tcb *receiver, bool blocking);
/* Answer `caller`, which must be blocked on reply to `replier`. */
void endpoint_reply(struct tcb *replier);
/* Take a blocked sender or receiver out of its endpoint queue. */
void endpoint_cancel(struct tcb *t);

#endif
