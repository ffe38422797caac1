/* System call dispatch: decode the trap registers, look up the cap, hand over to the
 * object's code. Every path either completes, blocks the thread, or writes an error code
 * to x0; the caller's registers are the only output. */
#include <kernel/asid_pool.h>
#include <kernel/cnode.h>
#include <kernel/endpoint.h>
#include <kernel/fault.h>
#include <kernel/invocation.h>
#include <kernel/irq.h>
#include <kernel/notification.h>
#include <kernel/preempt.h>
#include <kernel/printk.h>
#include <kernel/scheduler.h>
#include <kernel/syscall.h>
#include <kernel/timer.h>
#include <kernel/vspace.h>
#include <m6/abi/syscalls.h>

static void set_error(struct tcb *t, word_t error)
{
	tcb_set_result(t, error, 0, 0);
}

static int invoke_object(struct cte *slot, struct tcb *t, word_t info)
{
	uint64_t label = m6_msginfo_label(info);
	unsigned length = (unsigned)m6_msginfo_length(info);
	if (length > tcb_max_mrs(t) || m6_msginfo_caps(info) != 0)
		return M6_ERR_INVALID_ARGUMENT;
	switch (slot->cap.type) {
	case M6_OBJ_DEBUG_CONSOLE:
		return debug_console_invoke(slot, t, label, length);
	case M6_OBJ_POWER:
		return power_invoke(slot, t, label, length);
	case M6_OBJ_SYSTEM_INFO:
		return system_info_invoke(slot, t, label, length);
	case M6_OBJ_TCB:
		return tcb_invoke(slot, t, label, length);
	case M6_OBJ_UNTYPED:
		return untyped_invoke(slot, t, label, length);
	case M6_OBJ_CNODE:
		return cnode_invoke(slot, t, label, length);
	case M6_OBJ_PAGE_TABLE:
		return page_table_invoke(slot, t, label, length);
	case M6_OBJ_FRAME:
		return frame_invoke(slot, t, label, length);
	case M6_OBJ_IRQ_CONTROL:
		return irq_control_invoke(slot, t, label, length);
	case M6_OBJ_IRQ_HANDLER:
		return irq_handler_invoke(slot, t, label, length);
	case M6_OBJ_TIMER:
		return timer_invoke(slot, t, label, length);
	case M6_OBJ_ASID_CONTROL:
		return asid_control_invoke(slot, t, label, length);
	case M6_OBJ_ASID_POOL:
		return asid_pool_invoke(slot, t, label, length);
	default:
		/* VSpace, Endpoint, Notification: nothing to invoke. */
		return M6_ERR_ILLEGAL_OPERATION;
	}
}

/* Check the sender side of a message before anything moves. */
static int decode_message(struct tcb *t, const struct cap *ep)
{
	word_t info = t->context.x[1];
	if (m6_msginfo_length(info) > M6_MSG_MAX_WORDS || m6_msginfo_caps(info) > 1)
		return M6_ERR_INVALID_ARGUMENT;
	if (m6_msginfo_caps(info) == 1) {
		int error;
		if (!ep || !cap_has_rights(ep, M6_RIGHT_GRANT))
			return M6_ERR_INSUFFICIENT_RIGHTS;
		if (!tcb_ipc_buffer(t))
			return M6_ERR_INVALID_ARGUMENT;
		if (!lookup_cap_arg(t, tcb_ipc_buffer(t)->send_cap, &error))
			return error;
	}
	return M6_OK;
}

static void sys_send(struct tcb *t, bool blocking, bool is_call)
{
	int error;
	struct cte *slot = lookup_cap_arg(t, t->context.x[0], &error);
	if (!slot) {
		set_error(t, error);
		return;
	}
	const struct cap *cap = &slot->cap;
	if (cap->type == M6_OBJ_NOTIFICATION && !is_call) {
		if (!cap_has_rights(cap, M6_RIGHT_WRITE)) {
			set_error(t, M6_ERR_INSUFFICIENT_RIGHTS);
			return;
		}
		/* The badge is what a signal ORs into the word: with none it would set no bit,
		 * and a waiter would wake to nothing. */
		if (cap->word == 0) {
			set_error(t, M6_ERR_INVALID_CAP);
			return;
		}
		set_error(t, M6_OK);
		notification_signal((struct notification *)cap->object, cap->word);
		return;
	}
	if (cap->type != M6_OBJ_ENDPOINT) {
		if (!is_call) {
			set_error(t, M6_ERR_INVALID_CAP);
			return;
		}
		error = invoke_object(slot, t, t->context.x[1]);
		if (error == KERNEL_RESTART)
			t->context.pc -= 4; /* issue the same svc again: see kernel/preempt.h */
		else if (error != M6_OK)
			set_error(t, error);
		return;
	}
	if (!cap_has_rights(cap, M6_RIGHT_WRITE)) {
		set_error(t, M6_ERR_INSUFFICIENT_RIGHTS);
		return;
	}
	error = decode_message(t, cap);
	if (error != M6_OK) {
		set_error(t, error);
		return;
	}
	/* perform; for a call the reply overwrites this result. Only x0: x1 and the MRs
	 * are the message, still to be read. */
	t->context.x[0] = M6_OK;
	struct send_options opt = {.badge = cap->word,
	                           .blocking = blocking,
	                           .is_call = is_call,
	                           .can_grant = cap_has_rights(cap, M6_RIGHT_GRANT),
	                           .can_grant_reply = cap_has_rights(cap, M6_RIGHT_GRANT_REPLY)};
	endpoint_send((struct endpoint *)cap->object, t, &opt);
}

static void sys_receive(struct tcb *t, bool blocking)
{
	int error;
	struct cte *slot = lookup_cap_arg(t, t->context.x[0], &error);
	if (!slot) {
		set_error(t, error);
		return;
	}
	const struct cap *cap = &slot->cap;
	if (cap->type != M6_OBJ_ENDPOINT && cap->type != M6_OBJ_NOTIFICATION) {
		set_error(t, M6_ERR_INVALID_CAP);
		return;
	}
	if (!cap_has_rights(cap, M6_RIGHT_READ)) {
		set_error(t, M6_ERR_INSUFFICIENT_RIGHTS);
		return;
	}
	if (cap->type == M6_OBJ_NOTIFICATION) {
		notification_wait((struct notification *)cap->object, t, blocking);
		return;
	}
	/* A thread that still owes a reply would lose its caller when it receives again. */
	tcb_release_caller(t);
	t->reply_can_grant = cap_has_rights(cap, M6_RIGHT_GRANT);
	/* A signal already pending on the bound notification is delivered first. */
	struct notification *bound = t->bound_notification;
	if (bound && bound->word) {
		tcb_set_result(t, M6_OK, m6_msginfo(M6_LABEL_NOTIFICATION, 0), bound->word);
		bound->word = 0;
		return;
	}
	endpoint_receive((struct endpoint *)cap->object, t, blocking);
}

static bool sys_reply(struct tcb *t)
{
	if (!t->caller) {
		set_error(t, M6_ERR_NO_REPLY);
		return false;
	}
	word_t info = t->context.x[1];
	if (m6_msginfo_caps(info) > 1 || m6_msginfo_length(info) > M6_MSG_MAX_WORDS) {
		set_error(t, M6_ERR_INVALID_ARGUMENT);
		return false;
	}
	bool grant = m6_msginfo_caps(info) == 1;
	if (grant) {
		/* A cap in a reply is given by the server: it needs GRANT on the endpoint cap
		 * it received the call through, exactly as a sender needs it on its own. */
		int error;
		if (!t->reply_can_grant) {
			set_error(t, M6_ERR_INSUFFICIENT_RIGHTS);
			return false;
		}
		if (!tcb_ipc_buffer(t)) {
			set_error(t, M6_ERR_INVALID_ARGUMENT);
			return false;
		}
		if (!lookup_cap_arg(t, tcb_ipc_buffer(t)->send_cap, &error)) {
			set_error(t, error);
			return false;
		}
	}
	endpoint_reply(t, grant);
	return true;
}

static void linux_or_unknown_syscall(struct tcb *t, unsigned kind)
{
	uint64_t mrs[FAULT_MRS];
	for (unsigned i = 0; i < 9; i++)
		mrs[i] = t->context.x[i];
	mrs[9] = t->context.pc;
	mrs[10] = t->context.sp;
	fault_raise(t, kind, mrs, FAULT_MRS);
}

void handle_syscall(struct tcb *t)
{
	if (t->flags & M6_TCB_FLAG_LINUX_ABI) {
		/* the vector tried fastpath_linux_syscall already */
		linux_or_unknown_syscall(t, M6_FAULT_LINUX_SYSCALL);
		return;
	}
	switch (t->context.x[8]) {
	case M6_SYS_CALL:
		sys_send(t, true, true);
		break;
	case M6_SYS_SEND:
		sys_send(t, true, false);
		break;
	case M6_SYS_NBSEND:
		sys_send(t, false, false);
		break;
	case M6_SYS_RECV:
		sys_receive(t, true);
		break;
	case M6_SYS_NBRECV:
		sys_receive(t, false);
		break;
	case M6_SYS_REPLY:
		if (sys_reply(t))
			set_error(t, M6_OK);
		break;
	case M6_SYS_REPLY_RECV:
		/* With no caller waiting this is a plain receive: servers start their loop
		 * with it. */
		if (t->caller && !sys_reply(t))
			break;
		sys_receive(t, true);
		break;
	case M6_SYS_YIELD:
		set_error(t, M6_OK);
		scheduler_yield();
		break;
	default:
		/* With a fault handler, an unknown syscall is its business (emulation);
		 * without one, the thread just gets an error back. */
		if (t->fault_endpoint.cap.type == M6_OBJ_ENDPOINT)
			linux_or_unknown_syscall(t, M6_FAULT_UNKNOWN_SYSCALL);
		else
			set_error(t, M6_ERR_INVALID_SYSCALL);
		break;
	}
}
