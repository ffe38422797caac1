/* Thread control blocks. */
#ifndef KERNEL_TCB_H
#define KERNEL_TCB_H

#include <arch/context.h>
#include <kernel/cap.h>

enum thread_state {
	THREAD_INACTIVE = 0,  /* never started, suspended, or stopped by a fault */
	THREAD_RUNNING,       /* running or ready to run */
	THREAD_BLOCKED_SEND,  /* in an endpoint's sender queue */
	THREAD_BLOCKED_RECV,  /* in an endpoint's receiver queue */
	THREAD_BLOCKED_REPLY, /* made a call, waits for the answer */
};

#define TCB_NAME_LEN   24
#define PRIORITY_COUNT 256

struct endpoint;
struct tcb;

/* A FIFO of threads, linked through tcb->queue_next/queue_prev. */
struct thread_queue {
	struct tcb *head;
	struct tcb *tail;
};

struct tcb {
	struct arch_context context; /* must stay first: vectors.S stores into it */
	struct arch_fpu_state fpu;
	enum thread_state state;
	uint8_t priority;
	uint8_t max_priority;
	bool in_ready_queue;
	/* Scheduler ready queue or endpoint queue, never both at once. */
	struct tcb *queue_next;
	struct tcb *queue_prev;
	struct endpoint *blocked_on; /* endpoint while BLOCKED_SEND/RECV */
	uint64_t blocked_badge;      /* badge of the cap a blocked sender used */
	bool blocked_is_call;
	bool blocked_can_grant_reply;
	struct tcb *caller;               /* thread waiting for this thread's reply */
	struct tcb *callee;               /* while BLOCKED_REPLY: the thread that owes the reply */
	struct m6_ipc_buffer *ipc_buffer; /* kernel address of the IPC buffer frame */
	vaddr_t ipc_buffer_va;
	/* Capability slots owned by the TCB, like seL4's: the thread's roots. */
	struct cte cspace_root;
	struct cte vspace_root;
	char name[TCB_NAME_LEN];
};

#define TCB_SIZE_BITS 11
_Static_assert(sizeof(struct tcb) <= (1u << TCB_SIZE_BITS), "tcb size");

/* Message registers: 0..5 in x2..x7, the rest in the IPC buffer. */
static inline word_t tcb_get_mr(const struct tcb *t, unsigned i)
{
	if (i < M6_MSG_REGISTERS)
		return t->context.x[2 + i];
	return t->ipc_buffer ? t->ipc_buffer->mr[i] : 0;
}

static inline void tcb_set_mr(struct tcb *t, unsigned i, word_t v)
{
	if (i < M6_MSG_REGISTERS)
		t->context.x[2 + i] = v;
	else if (t->ipc_buffer)
		t->ipc_buffer->mr[i] = v;
}

/* Number of message registers the thread can actually carry. */
static inline unsigned tcb_max_mrs(const struct tcb *t)
{
	return t->ipc_buffer ? M6_MSG_MAX_WORDS : M6_MSG_REGISTERS;
}

void thread_queue_append(struct thread_queue *q, struct tcb *t);
void thread_queue_remove(struct thread_queue *q, struct tcb *t);
struct tcb *thread_queue_pop(struct thread_queue *q);

void tcb_set_name(struct tcb *t, const char *name);
/* Copy a message (info, badge, MRs) from sender to receiver, truncated to what fits. */
void tcb_transfer_message(struct tcb *sender, struct tcb *receiver, uint64_t badge);
/* Stop a thread where it stands: leave any queue, become INACTIVE. */
void tcb_suspend(struct tcb *t);
int tcb_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);

#endif
