/* IPC fastpath. A call to a waiting server and a server's reply-then-receive are the two
 * halves of every RPC; signal and wait are the two halves of every event. The latter
 * take this path when the cap is a notification in a one-level CSpace. For RPC:
 * when the message fits in registers, no cap moves, nobody faulted,
 * the CSpace is one level and the thread being woken is the one the scheduler would pick
 * anyway, both reduce to: copy a few registers, relink two threads, switch to the other
 * one. Everything else (and any doubt) goes to the general path, which gives the same
 * results; the fastpath only skips the work that cannot matter in this case. */
#include <kernel/arch.h>
#include <kernel/cnode.h>
#include <kernel/endpoint.h>
#include <kernel/fastpath.h>
#include <kernel/notification.h>
#include <kernel/scheduler.h>
#include <m6/abi/errors.h>
#include <m6/abi/syscalls.h>

/* Message info with caps = 0, length <= 6 and none of the reserved bits between caps and
 * label set is, numerically, at most 6 below the label. (The general path drops reserved
 * bits; the fastpath passes the word on as it is, so it must not see any.) */
#define SIMPLE_MESSAGE_MASK MASK(M6_MSGINFO_LABEL_SHIFT)

/* The endpoint cap named by x0, if the message in x1 is register-only with no cap and
 * the cap is an endpoint with `rights`. */
static inline const struct cap *fast_endpoint(const struct tcb *t, unsigned rights)
{
	if ((t->context.x[1] & SIMPLE_MESSAGE_MASK) > M6_MSG_REGISTERS)
		return NULL;
	struct cte *slot = cspace_lookup_one_level(&t->cspace_root.cap, t->context.x[0]);
	if (!slot || slot->cap.type != M6_OBJ_ENDPOINT || (slot->cap.rights & rights) != rights)
		return NULL;
	return &slot->cap;
}

static inline void copy_registers(struct tcb *from, struct tcb *to, unsigned length)
{
	for (unsigned i = 0; i < length; i++)
		to->context.x[2 + i] = from->context.x[2 + i];
}

/* The last step of every switching fastpath, a tail call: the fastpath functions are
 * leaves up to here and need no stack frame. */
static inline struct tcb *switch_to(struct tcb *prev, struct tcb *next)
{
	this_cpu()->current = next;
	return arch_switch_threads(prev, next);
}

/* The end of both call paths, once the message is in place: the server runs, the caller
 * waits for its reply. */
static inline struct tcb *call_switch(struct tcb *t, struct tcb *server)
{
	server->state = THREAD_RUNNING;
	server->caller = t;
	t->callee = server;
	t->state = THREAD_BLOCKED_REPLY;
	return switch_to(t, server);
}

static struct tcb *fast_call(struct tcb *t)
{
	const struct cap *cap = fast_endpoint(t, M6_RIGHT_WRITE | M6_RIGHT_GRANT_REPLY);
	if (!cap)
		return NULL;
	word_t info = t->context.x[1];
	struct endpoint *ep = (struct endpoint *)cap->object;
	struct tcb *server = ep->receivers.head;
	if (!server || server->cpu != t->cpu || scheduler_highest_ready() >= server->priority)
		return NULL;
	/* perform */
	thread_queue_remove(&ep->receivers, server);
	server->blocked_on = NULL;
	copy_registers(t, server, (unsigned)(info & MASK(M6_MSGINFO_LENGTH_BITS)));
	tcb_set_result(server, M6_OK, info, cap->word);
	return call_switch(t, server);
}

/* A Linux-ABI thread's svc (every one is a fault message, fault.c) to a handler waiting on
 * the fault endpoint, at a priority the scheduler would pick anyway, with an IPC buffer
 * for the words past the registers: the message fault_raise() would send (x0..x8, pc,
 * sp; label M6_FAULT_LINUX_SYSCALL, the badge of the fault endpoint cap), delivered as a
 * call. The words are the thread's registers themselves, so nothing is kept in fault_mrs:
 * it is read only for a fault that waits in the endpoint's queue, which this one never
 * does. */
static struct tcb *fast_linux_syscall(struct tcb *t)
{
	const struct cap *cap = &t->fault_endpoint.cap;
	if (cap->type != M6_OBJ_ENDPOINT ||
	    (cap->rights & (M6_RIGHT_WRITE | M6_RIGHT_GRANT_REPLY)) !=
	        (M6_RIGHT_WRITE | M6_RIGHT_GRANT_REPLY))
		return NULL;
	struct endpoint *ep = (struct endpoint *)cap->object;
	struct tcb *server = ep->receivers.head;
	if (!server || server->cpu != t->cpu || scheduler_highest_ready() >= server->priority)
		return NULL;
	struct m6_ipc_buffer *buf = tcb_ipc_buffer(server);
	if (!buf)
		return NULL;
	/* perform */
	thread_queue_remove(&ep->receivers, server);
	server->blocked_on = NULL;
	for (unsigned i = 0; i < M6_MSG_REGISTERS; i++)
		server->context.x[2 + i] = t->context.x[i];
	buf->mr[6] = t->context.x[6];
	buf->mr[7] = t->context.x[7];
	buf->mr[8] = t->context.x[8];
	buf->mr[9] = t->context.pc;
	buf->mr[10] = t->context.sp;
	tcb_set_result(server, M6_OK, m6_msginfo(M6_FAULT_LINUX_SYSCALL, FAULT_MRS), cap->word);
	t->fault = M6_FAULT_LINUX_SYSCALL;
	t->fault_length = FAULT_MRS;
	t->blocked_can_grant = false;
	return call_switch(t, server);
}

/* The receive half of REPLY_RECV after the answer went to `client`: the receive must
 * block (no sender is queued), and the client runs. */
static inline struct tcb *reply_recv_block(struct tcb *t, struct tcb *client, struct endpoint *ep)
{
	client->state = THREAD_RUNNING;
	client->callee = NULL;
	t->caller = NULL;
	t->state = THREAD_BLOCKED_RECV;
	t->blocked_on = ep;
	thread_queue_append(&ep->receivers, t);
	return switch_to(t, client);
}

/* The endpoint REPLY_RECV receives on, if the fastpath may block there and then run a
 * client of `priority`. */
static inline struct endpoint *reply_recv_endpoint(struct tcb *t, unsigned priority)
{
	const struct cap *cap = fast_endpoint(t, M6_RIGHT_READ);
	if (!cap)
		return NULL;
	struct endpoint *ep = (struct endpoint *)cap->object;
	if (ep->senders.head || (t->bound_notification && t->bound_notification->word))
		return NULL;
	if (scheduler_highest_ready() >= (int)priority)
		return NULL;
	/* Nothing below can fail: the receive happens, through this cap. */
	t->reply_can_grant = (cap->rights & M6_RIGHT_GRANT) != 0;
	return ep;
}

/* The answer to a syscall fault (a Linux-ABI thread's svc, or an unknown syscall with a
 * handler): a resume writes MR0, if given, into x0, and the thread goes on after the svc,
 * as fault_handle_reply does. A stop, or the answer to any other fault, takes the general
 * path. */
static __attribute__((noinline)) struct tcb *fast_reply_recv_syscall_fault(struct tcb *t,
                                                                           struct tcb *client)
{
	word_t info = t->context.x[1];
	if (m6_msginfo_label(info) == M6_FAULT_REPLY_STOP)
		return NULL;
	struct endpoint *ep = reply_recv_endpoint(t, client->priority);
	if (!ep)
		return NULL;
	/* perform */
	if (m6_msginfo_length(info) >= 1)
		client->context.x[0] = t->context.x[2];
	client->fault = 0;
	return reply_recv_block(t, client, ep);
}

static inline struct tcb *fast_reply_recv(struct tcb *t, struct tcb *client)
{
	struct endpoint *ep = reply_recv_endpoint(t, client->priority);
	if (!ep)
		return NULL;
	/* perform: the reply */
	word_t info = t->context.x[1];
	copy_registers(t, client, (unsigned)(info & MASK(M6_MSGINFO_LENGTH_BITS)));
	tcb_set_result(client, M6_OK, info, 0);
	return reply_recv_block(t, client, ep);
}

/* The notification cap named by x0, if it has `right`. */
static inline struct notification *fast_notification(const struct tcb *t, unsigned right,
                                                     uint64_t *badge)
{
	struct cte *slot = cspace_lookup_one_level(&t->cspace_root.cap, t->context.x[0]);
	if (!slot || slot->cap.type != M6_OBJ_NOTIFICATION || !(slot->cap.rights & right))
		return NULL;
	*badge = slot->cap.word;
	return (struct notification *)slot->cap.object;
}

static struct tcb *fast_signal(struct tcb *t)
{
	uint64_t badge;
	struct notification *n = fast_notification(t, M6_RIGHT_WRITE, &badge);
	if (!n || !badge) /* an unbadged cap cannot signal: the general path says so */
		return NULL;
	struct tcb *waiter = n->waiters.head;
	if (!waiter) {
		/* A bound thread blocked on an endpoint is woken by the general path. */
		if (n->bound_tcb && n->bound_tcb->state == THREAD_BLOCKED_RECV)
			return NULL;
		n->word |= badge;
		tcb_set_result(t, M6_OK, 0, 0);
		return t;
	}
	if (waiter->cpu != t->cpu)
		return NULL;
	thread_queue_remove(&n->waiters, waiter);
	waiter->blocked_on = NULL;
	tcb_set_result(waiter, M6_OK, 0, n->word | badge);
	n->word = 0;
	tcb_set_result(t, M6_OK, 0, 0);
	return scheduler_switch_to_woken(t, waiter);
}

static struct tcb *fast_wait(struct tcb *t)
{
	uint64_t badge;
	struct notification *n = fast_notification(t, M6_RIGHT_READ, &badge);
	if (!n)
		return NULL;
	if (n->word) {
		tcb_set_result(t, M6_OK, 0, n->word);
		n->word = 0;
		return t;
	}
	/* Blocking needs someone else to run; with nobody ready the general path idles. */
	if (scheduler_highest_ready() < 0)
		return NULL;
	t->state = THREAD_BLOCKED_NOTIFICATION;
	t->blocked_on = n;
	thread_queue_append(&n->waiters, t);
	return scheduler_switch_from_blocked(t);
}

/* Entry points from the exception vector, one per system call it routes here. The vector
 * sends every svc of a thread with the Linux ABI (all of them faults) to
 * fastpath_linux_syscall and those of any other thread to the rest. */
struct tcb *fastpath_call(struct tcb *t)
{
	return fast_call(t);
}

struct tcb *fastpath_linux_syscall(struct tcb *t)
{
	return fast_linux_syscall(t);
}

struct tcb *fastpath_reply_recv(struct tcb *t)
{
	struct tcb *client = t->caller;
	/* A client on another CPU: the general path queues it there. */
	if (!client || client->cpu != t->cpu)
		return NULL;
	if (__builtin_expect(client->fault != 0, 0)) {
		/* the answer to a syscall fault may take a fastpath of its own; to any other
		 * fault, fault_handle_reply */
		if (client->fault == M6_FAULT_LINUX_SYSCALL ||
		    client->fault == M6_FAULT_UNKNOWN_SYSCALL)
			return fast_reply_recv_syscall_fault(t, client);
		return NULL;
	}
	return fast_reply_recv(t, client);
}

struct tcb *fastpath_event(struct tcb *t)
{
	return t->context.x[8] == M6_SYS_RECV ? fast_wait(t) : fast_signal(t);
}
