/* System call dispatch: decode the trap registers, look up the cap, hand over to the
 * object's code. Every path either completes, blocks the thread, or writes an error code
 * to x0; the caller's registers are the only output. */
#include <kernel/cnode.h>
#include <kernel/endpoint.h>
#include <kernel/printk.h>
#include <kernel/scheduler.h>
#include <kernel/syscall.h>
#include <m6/abi/errors.h>
#include <m6/abi/syscalls.h>

static void set_result(struct tcb *t, word_t error)
{
	t->context.x[0] = error;
	t->context.x[1] = 0;
}

static struct cte *lookup_cap(struct tcb *t, word_t cptr, int *error)
{
	return cspace_lookup_slot(&t->cspace_root.cap, cptr, 64, error);
}

static int invoke_object(struct cte *slot, struct tcb *t, word_t info)
{
	uint64_t label = m6_msginfo_label(info);
	unsigned length = (unsigned)m6_msginfo_length(info);
	if (length > tcb_max_mrs(t))
		return M6_ERR_INVALID_ARGUMENT;
	switch (slot->cap.type) {
	case M6_OBJ_DEBUG_CONSOLE:
		return debug_console_invoke(slot, t, label, length);
	case M6_OBJ_POWER:
		return power_invoke(slot, t, label, length);
	case M6_OBJ_TCB:
		return tcb_invoke(slot, t, label, length);
	default:
		return M6_ERR_INVALID_CAP;
	}
}

static void sys_send(struct tcb *t, bool blocking, bool is_call)
{
	int error;
	struct cte *slot = lookup_cap(t, t->context.x[0], &error);
	if (!slot) {
		set_result(t, error);
		return;
	}
	const struct cap *cap = &slot->cap;
	if (cap->type != M6_OBJ_ENDPOINT) {
		if (!is_call) {
			set_result(t, M6_ERR_INVALID_CAP);
			return;
		}
		error = invoke_object(slot, t, t->context.x[1]);
		if (error != M6_OK)
			set_result(t, error);
		return;
	}
	if (!cap_has_rights(cap, M6_RIGHT_WRITE)) {
		set_result(t, M6_ERR_INSUFFICIENT_RIGHTS);
		return;
	}
	if (m6_msginfo_caps(t->context.x[1]) != 0 ||
	    m6_msginfo_length(t->context.x[1]) > M6_MSG_MAX_WORDS) {
		set_result(t, M6_ERR_INVALID_ARGUMENT);
		return;
	}
	endpoint_send((struct endpoint *)cap->object, t, cap->word, blocking, is_call,
	              cap_has_rights(cap, M6_RIGHT_GRANT_REPLY));
}

static void sys_receive(struct tcb *t, bool blocking)
{
	int error;
	struct cte *slot = lookup_cap(t, t->context.x[0], &error);
	if (!slot) {
		set_result(t, error);
		return;
	}
	if (slot->cap.type != M6_OBJ_ENDPOINT) {
		set_result(t, M6_ERR_INVALID_CAP);
		return;
	}
	if (!cap_has_rights(&slot->cap, M6_RIGHT_READ)) {
		set_result(t, M6_ERR_INSUFFICIENT_RIGHTS);
		return;
	}
	/* A thread that still owes a reply would lose its caller when it receives again. */
	if (t->caller) {
		struct tcb *stale = t->caller;
		t->caller = NULL;
		stale->callee = NULL;
		set_result(stale, M6_ERR_NO_REPLY);
		scheduler_make_runnable(stale);
	}
	endpoint_receive((struct endpoint *)slot->cap.object, t, blocking);
}

static bool sys_reply(struct tcb *t)
{
	if (!t->caller) {
		set_result(t, M6_ERR_NO_REPLY);
		return false;
	}
	if (m6_msginfo_caps(t->context.x[1]) != 0 ||
	    m6_msginfo_length(t->context.x[1]) > M6_MSG_MAX_WORDS) {
		set_result(t, M6_ERR_INVALID_ARGUMENT);
		return false;
	}
	endpoint_reply(t);
	return true;
}

void handle_syscall(struct tcb *t)
{
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
			set_result(t, M6_OK);
		break;
	case M6_SYS_REPLY_RECV:
		/* With no caller waiting this is a plain receive: servers start their loop
		 * with it. */
		if (t->caller && !sys_reply(t))
			break;
		sys_receive(t, true);
		break;
	case M6_SYS_YIELD:
		set_result(t, M6_OK);
		scheduler_yield();
		break;
	default:
		set_result(t, M6_ERR_INVALID_SYSCALL);
		break;
	}
}

void handle_user_fault(struct tcb *t, const char *kind, word_t esr, word_t far)
{
	printk("m6: fault: thread %s: %s at pc %lx, address %lx (esr %lx); thread stopped\n",
	       t->name, kind, t->context.pc, far, esr);
	tcb_suspend(t);
}
