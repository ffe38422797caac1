/* Thread control blocks. */
#ifndef KERNEL_TCB_H
#define KERNEL_TCB_H

#include <arch/context.h>
#include <kernel/tcb_offsets.h>
#include <kernel/cap.h>
#include <kernel/printk.h>

enum thread_state {
	THREAD_INACTIVE = 0,         /* never started, suspended, or stopped by a fault */
	THREAD_RUNNING,              /* running or ready to run */
	THREAD_BLOCKED_SEND,         /* in an endpoint's sender queue */
	THREAD_BLOCKED_RECV,         /* in an endpoint's receiver queue */
	THREAD_BLOCKED_REPLY,        /* made a call (or faulted), waits for the answer */
	THREAD_BLOCKED_NOTIFICATION, /* waits on a notification */
};

#define TCB_NAME_LEN   24
#define PRIORITY_COUNT 256
#define FAULT_MRS      11
/* Timeslices a thread may be given, in microseconds (M6_TCB_SET_TIMESLICE). */
#define TIMESLICE_MIN_US 100
#define TIMESLICE_MAX_US 1000000
/* The scheduler's slice for threads that set none, and what a spec thread may give when
 * its spec says nothing (core/main.c, core/boot.c). */
#define TIMESLICE_DEFAULT_US 10000

struct tcb;
struct notification;

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
	uint8_t max_priority; /* highest priority this thread may give any thread */
	bool in_ready_queue;
	bool blocked_is_call;
	bool blocked_can_grant;
	bool blocked_can_grant_reply;
	/* The endpoint cap this thread last received through had GRANT: the reply it owes
	 * may carry a cap (as seL4's reply cap inherits the receiver's grant right). */
	bool reply_can_grant;
	/* The CPU the thread runs on (index into cpus[]): its ready queue is that CPU's. It
	 * changes only through scheduler_set_cpu(). */
	uint8_t cpu;
	uint32_t flags; /* enum m6_tcb_flags */
	/* Scheduler ready queue or one wait queue, never both at once. */
	struct tcb *queue_next;
	struct tcb *queue_prev;
	void *blocked_on;       /* endpoint or notification while blocked on one */
	uint64_t blocked_badge; /* badge of the cap a blocked sender used */
	struct tcb *caller;     /* thread waiting for this thread's reply */
	struct tcb *callee;     /* while BLOCKED_REPLY: the thread that owes the reply */
	struct notification *bound_notification;
	vaddr_t ipc_buffer_va;
	uint64_t timeslice_ticks;  /* 0: the scheduler's default */
	uint32_t max_timeslice_us; /* longest timeslice this thread may give any thread */
	/* A fault waiting to be delivered or answered: its message is built here because
	 * the thread's own registers must survive untouched for the resume. */
	uint32_t fault; /* enum m6_fault, 0 if none */
	uint32_t fault_length;
	uint64_t fault_mrs[FAULT_MRS];
	/* Capability slots owned by the TCB: the thread's roots and fault handler. */
	struct cte cspace_root;
	struct cte vspace_root;
	struct cte ipc_buffer_frame;
	struct cte fault_endpoint;
	char name[TCB_NAME_LEN];
	/* This thread's share of the debug console (object/debug_console.c): one bucket per
	 * thread, so a noisy writer silences itself, not everyone else. */
	struct ratelimit debug_output;
	/* Every TCB in existence, for SystemInfo (introspection by a privileged shell). */
	struct tcb *all_next;
	struct tcb *all_prev;
};

_Static_assert(offsetof(struct tcb, context) == 0, "vectors.S saves into the TCB's start");
_Static_assert(offsetof(struct tcb, flags) == TCB_FLAGS, "vectors.S reads the flags");
_Static_assert(M6_TCB_FLAG_LINUX_ABI == 1u << TCB_FLAG_LINUX_ABI_BIT, "vectors.S tests the bit");

#define TCB_SIZE_BITS 11
_Static_assert(sizeof(struct tcb) <= (1u << TCB_SIZE_BITS), "tcb size");

/* The IPC buffer, reached through the frame cap the TCB holds, never through a cached
 * pointer: if that cap is deleted (a revoke somewhere above it), the memory may be reused
 * and the thread simply has no buffer any more. */
static inline struct m6_ipc_buffer *tcb_ipc_buffer(const struct tcb *t)
{
	return t->ipc_buffer_frame.cap.type == M6_OBJ_FRAME
	           ? (struct m6_ipc_buffer *)t->ipc_buffer_frame.cap.object
	           : NULL;
}

/* Message registers: 0..5 in x2..x7, the rest in the IPC buffer. */
static inline word_t tcb_get_mr(const struct tcb *t, unsigned i)
{
	if (i < M6_MSG_REGISTERS)
		return t->context.x[2 + i];
	struct m6_ipc_buffer *b = tcb_ipc_buffer(t);
	return b ? b->mr[i] : 0;
}

static inline void tcb_set_mr(struct tcb *t, unsigned i, word_t v)
{
	if (i < M6_MSG_REGISTERS)
		t->context.x[2 + i] = v;
	else if (tcb_ipc_buffer(t))
		tcb_ipc_buffer(t)->mr[i] = v;
}

/* Number of message registers the thread can actually carry. */
static inline unsigned tcb_max_mrs(const struct tcb *t)
{
	return tcb_ipc_buffer(t) ? M6_MSG_MAX_WORDS : M6_MSG_REGISTERS;
}

/* Result of a syscall: error code, message info, badge. MRs are set separately. */
static inline void tcb_set_result(struct tcb *t, word_t error, word_t info, word_t badge)
{
	t->context.x[0] = error;
	t->context.x[1] = info;
	t->context.x[8] = badge;
}

/* Thread queues: inline, as they sit on every IPC path. */
static inline void thread_queue_append(struct thread_queue *q, struct tcb *t)
{
	t->queue_next = NULL;
	t->queue_prev = q->tail;
	if (q->tail)
		q->tail->queue_next = t;
	else
		q->head = t;
	q->tail = t;
}

static inline void thread_queue_remove(struct thread_queue *q, struct tcb *t)
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

static inline struct tcb *thread_queue_pop(struct thread_queue *q)
{
	struct tcb *t = q->head;
	if (t)
		thread_queue_remove(q, t);
	return t;
}

void tcb_set_name(struct tcb *t, const char *name);
/* A new TCB joins the list of all threads; a finalised one leaves it. */
void tcb_register(struct tcb *t);
void tcb_unregister(struct tcb *t);
/* The n-th TCB in creation order, or NULL. */
struct tcb *tcb_nth(unsigned n);
/* Copy a message (info, badge, MRs, a granted cap) from sender to receiver. */
void tcb_transfer_message(struct tcb *sender, struct tcb *receiver, uint64_t badge);
/* Take the thread out of whatever it waits in; it keeps its state field. */
void tcb_cancel_wait(struct tcb *t);
/* Stop a thread where it stands: leave any queue, become INACTIVE, drop any fault it was
 * waiting to have answered, and release the thread it owed a reply (see below). A thread
 * cut short in a blocking call finds M6_ERR_CANCELLED (or M6_ERR_NO_REPLY, if its call
 * was delivered) as the call's result when resumed. NULL: nothing. */
void tcb_suspend(struct tcb *t);
/* The thread will not reply to its caller: a plain caller gets M6_ERR_NO_REPLY, a faulted
 * one (the thread was its handler) stops, and so on along the chain. */
void tcb_release_caller(struct tcb *t);
/* Make a stopped thread runnable again. */
void tcb_resume(struct tcb *t);
/* The object is going away (last cap deleted): stop it and release what it holds. */
void tcb_finalise(struct tcb *t);
int tcb_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);

#endif
