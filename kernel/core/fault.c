/* Faults as messages. The faulting thread is made a caller of its fault endpoint: the
 * handler receives a message describing the fault (built in the TCB, since the thread's
 * registers must stay as they were), and its reply resumes or stops the thread. */
#include <kernel/endpoint.h>
#include <kernel/fault.h>
#include <kernel/printk.h>
#include <kernel/scheduler.h>
#include <m6/abi/errors.h>

static const char *fault_name(unsigned kind)
{
	switch (kind) {
	case M6_FAULT_VM:
		return "page fault";
	case M6_FAULT_EXCEPTION:
		return "exception";
	case M6_FAULT_UNKNOWN_SYSCALL:
		return "unknown syscall";
	case M6_FAULT_LINUX_SYSCALL:
		return "Linux syscall";
	default:
		return "fault";
	}
}

/* Reports of faults without a handler: anyone can cause them, as often as a sibling
 * resumes the faulting thread. A line is bounded (a 24-byte name, numbers); their rate by
 * this bucket: 10 at once, 5 a second. */
static struct ratelimit fault_reports = RATELIMIT_INIT("lines", 10, 5);

void fault_raise(struct tcb *t, unsigned kind, const uint64_t *mrs, unsigned count)
{
	const struct cap *ep = &t->fault_endpoint.cap;
	if (ep->type != M6_OBJ_ENDPOINT || !cap_has_rights(ep, M6_RIGHT_WRITE)) {
		if (ratelimit_allow(&fault_reports))
			printk(
			    "m6: fault: thread %s: %s at pc %lx (address %lx); no fault handler, "
			    "thread stopped\n",
			    t->name, fault_name(kind), t->context.pc, count > 1 ? mrs[1] : 0);
		tcb_suspend(t);
		return;
	}
	t->fault = kind;
	t->fault_length = count;
	for (unsigned i = 0; i < count && i < FAULT_MRS; i++)
		t->fault_mrs[i] = mrs[i];
	struct send_options opt = {.badge = ep->word,
	                           .blocking = true,
	                           .is_call = true,
	                           .can_grant = false,
	                           .can_grant_reply = true};
	endpoint_send((struct endpoint *)ep->object, t, &opt);
}

void fault_handle_reply(struct tcb *t, struct tcb *replier)
{
	word_t info = replier->context.x[1];
	word_t label = m6_msginfo_label(info), length = m6_msginfo_length(info);
	unsigned kind = t->fault;
	if (label == M6_FAULT_REPLY_STOP) {
		/* Stopped as by a suspend (its registers stay those of the fault), which also
		 * releases a thread that was waiting for its reply. */
		tcb_suspend(t);
		return;
	}
	t->fault = 0;
	if (kind == M6_FAULT_UNKNOWN_SYSCALL || kind == M6_FAULT_LINUX_SYSCALL) {
		/* The pc is already past the svc. */
		if (length >= 1)
			t->context.x[0] = tcb_get_mr(replier, 0);
	} else {
		if (length >= 1)
			t->context.pc = tcb_get_mr(replier, 0);
		if (length >= 2)
			t->context.sp = tcb_get_mr(replier, 1);
	}
	scheduler_make_runnable(t);
}
