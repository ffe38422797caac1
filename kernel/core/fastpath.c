/* IPC fastpath. A call to a waiting server and a server's reply-then-receive are the two
 * halves of every RPC; when the message fits in registers, no cap moves, nobody faulted,
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

/* Message info with caps = 0 and length <= 6 is, numerically, at most 6 in its low bits. */
#define SIMPLE_MESSAGE_MASK MASK(M6_MSGINFO_LENGTH_BITS + M6_MSGINFO_CAPS_BITS)

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

static inline void switch_to(struct tcb *prev, struct tcb *next)
{
	this_cpu()->current = next;
	arch_switch_to(prev, next);
}

static struct tcb *fast_call(struct tcb *t)
{
	const struct cap *cap = fast_endpoint(t, M6_RIGHT_WRITE | M6_RIGHT_GRANT_REPLY);
	if (!cap)
		return NULL;
	word_t info = t->context.x[1];
	struct endpoint *ep = (struct endpoint *)cap->object;
	struct tcb *server = ep->receivers.head;
	if (!server || scheduler_highest_ready() >= server->priority)
		return NULL;
	/* perform */
	thread_queue_remove(&ep->receivers, server);
	server->blocked_on = NULL;
	copy_registers(t, server, (unsigned)(info & MASK(M6_MSGINFO_LENGTH_BITS)));
	tcb_set_result(server, M6_OK, info, cap->word);
	server->state = THREAD_RUNNING;
	server->caller = t;
	t->callee = server;
	t->state = THREAD_BLOCKED_REPLY;
	switch_to(t, server);
	return server;
}

static struct tcb *fast_reply_recv(struct tcb *t)
{
	struct tcb *client = t->caller;
	if (!client || client->fault)
		return NULL;
	const struct cap *cap = fast_endpoint(t, M6_RIGHT_READ);
	if (!cap)
		return NULL;
	word_t info = t->context.x[1];
	struct endpoint *ep = (struct endpoint *)cap->object;
	if (ep->senders.head || (t->bound_notification && t->bound_notification->word))
		return NULL;
	if (scheduler_highest_ready() >= client->priority)
		return NULL;
	/* perform: the reply */
	copy_registers(t, client, (unsigned)(info & MASK(M6_MSGINFO_LENGTH_BITS)));
	tcb_set_result(client, M6_OK, info, 0);
	client->state = THREAD_RUNNING;
	client->callee = NULL;
	t->caller = NULL;
	/* and the receive, which must block: no sender is queued */
	t->state = THREAD_BLOCKED_RECV;
	t->blocked_on = ep;
	thread_queue_append(&ep->receivers, t);
	switch_to(t, client);
	return client;
}

struct tcb *fastpath_ipc(struct tcb *t)
{
	if (t->flags & M6_TCB_FLAG_LINUX_ABI)
		return NULL;
	switch (t->context.x[8]) {
	case M6_SYS_CALL:
		return fast_call(t);
	case M6_SYS_REPLY_RECV:
		return fast_reply_recv(t);
	default:
		return NULL;
	}
}
