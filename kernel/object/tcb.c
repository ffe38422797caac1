/* Thread control blocks: queues, message transfer, lifecycle and TCB invocations. */
#include <kernel/arch.h>
#include <kernel/cnode.h>
#include <kernel/delete.h>
#include <kernel/endpoint.h>
#include <kernel/invocation.h>
#include <kernel/notification.h>
#include <kernel/scheduler.h>
#include <kernel/smp.h>
#include <kernel/string.h>
#include <kernel/tcb.h>
#include <kernel/timer.h>
#include <kernel/vspace.h>

static struct tcb *all_head, *all_tail;

void tcb_register(struct tcb *t)
{
	t->debug_output = (struct ratelimit)DEBUG_OUTPUT_RATELIMIT;
	t->all_next = NULL;
	t->all_prev = all_tail;
	if (all_tail)
		all_tail->all_next = t;
	else
		all_head = t;
	all_tail = t;
}

void tcb_unregister(struct tcb *t)
{
	if (t->all_prev)
		t->all_prev->all_next = t->all_next;
	else if (all_head == t)
		all_head = t->all_next;
	else
		return; /* not registered */
	if (t->all_next)
		t->all_next->all_prev = t->all_prev;
	else
		all_tail = t->all_prev;
	t->all_next = t->all_prev = NULL;
}

struct tcb *tcb_nth(unsigned n)
{
	struct tcb *t = all_head;
	while (t && n--)
		t = t->all_next;
	return t;
}

void tcb_set_name(struct tcb *t, const char *name)
{
	size_t i = 0;
	for (; name[i] && i + 1 < TCB_NAME_LEN; i++)
		t->name[i] = name[i];
	t->name[i] = '\0';
}

/* Move the cap the sender names in its IPC buffer into the receiver's receive slot.
 * Anything missing on either side just means no cap arrives: the message still does. */
static bool transfer_cap(struct tcb *sender, struct tcb *receiver)
{
	int error;
	if (!tcb_ipc_buffer(sender) || !tcb_ipc_buffer(receiver))
		return false;
	struct cte *src = lookup_cap_arg(sender, tcb_ipc_buffer(sender)->send_cap, &error);
	if (!src || src->cap.type == M6_OBJ_UNTYPED)
		return false;
	struct m6_ipc_buffer *rb = tcb_ipc_buffer(receiver);
	if (rb->receive_cnode == 0)
		return false;
	struct cte *root = lookup_typed_arg(receiver, rb->receive_cnode, M6_OBJ_CNODE, &error);
	if (!root || !cap_has_rights(&root->cap, M6_RIGHT_WRITE))
		return false;
	struct cte *dest = lookup_slot_in(&root->cap, rb->receive_index, rb->receive_depth, &error);
	if (!dest || !cap_is_null(&dest->cap))
		return false;
	struct cap copy = src->cap;
	if (vspace_derive_cap(&copy) != M6_OK)
		return false;
	cdt_insert_child(src, dest, &copy);
	return true;
}

void tcb_transfer_message(struct tcb *sender, struct tcb *receiver, uint64_t badge)
{
	word_t label, length;
	if (sender->fault) {
		label = sender->fault;
		length = sender->fault_length;
		if (length > tcb_max_mrs(receiver))
			length = tcb_max_mrs(receiver);
		for (unsigned i = 0; i < length; i++)
			tcb_set_mr(receiver, i, sender->fault_mrs[i]);
		tcb_set_result(receiver, M6_OK, m6_msginfo(label, length), badge);
		return;
	}
	word_t info = sender->context.x[1];
	label = m6_msginfo_label(info);
	length = m6_msginfo_length(info);
	/* Truncate to what both sides can carry; the receiver sees the length it got. */
	if (length > tcb_max_mrs(sender))
		length = tcb_max_mrs(sender);
	if (length > tcb_max_mrs(receiver))
		length = tcb_max_mrs(receiver);
	/* Registers, then the IPC buffer words as one block copy (both buffers exist
	 * whenever length goes past the registers: length was cut to what both carry). */
	for (unsigned i = 0; i < length && i < M6_MSG_REGISTERS; i++)
		receiver->context.x[2 + i] = sender->context.x[2 + i];
	if (length > M6_MSG_REGISTERS)
		memcpy(&tcb_ipc_buffer(receiver)->mr[M6_MSG_REGISTERS],
		       &tcb_ipc_buffer(sender)->mr[M6_MSG_REGISTERS],
		       (length - M6_MSG_REGISTERS) * sizeof(word_t));
	word_t caps = 0;
	if (m6_msginfo_caps(info) && sender->blocked_can_grant && transfer_cap(sender, receiver))
		caps = 1;
	tcb_set_result(receiver, M6_OK, m6_msginfo(label, length) | (caps << M6_MSGINFO_CAPS_SHIFT),
	               badge);
}

void tcb_cancel_wait(struct tcb *t)
{
	switch (t->state) {
	case THREAD_BLOCKED_SEND:
	case THREAD_BLOCKED_RECV:
		endpoint_cancel(t);
		break;
	case THREAD_BLOCKED_NOTIFICATION: {
		struct notification *n = t->blocked_on;
		thread_queue_remove(&n->waiters, t);
		t->blocked_on = NULL;
		break;
	}
	case THREAD_BLOCKED_REPLY:
		if (t->callee && t->callee->caller == t)
			t->callee->caller = NULL;
		t->callee = NULL;
		break;
	case THREAD_RUNNING:
		scheduler_dequeue(t);
		break;
	case THREAD_INACTIVE:
		break;
	}
}

/* Detach t's caller, which will get no reply from t: a plain caller learns so at once; a
 * faulted one (t was its handler) is returned, to be stopped. */
static struct tcb *drop_caller(struct tcb *t)
{
	struct tcb *caller = t->caller;
	if (!caller)
		return NULL;
	t->caller = NULL;
	caller->callee = NULL;
	if (caller->fault)
		return caller;
	tcb_set_result(caller, M6_ERR_NO_REPLY, 0, 0);
	scheduler_make_runnable(caller);
	return NULL;
}

void tcb_suspend(struct tcb *t)
{
	/* Running on another CPU: taken off it before anything changes (smp.c). */
	smp_unload(t, false);
	/* A loop, not recursion: a faulted thread whose handler stops stops too, and it may
	 * itself have been another faulted thread's handler, as far as the user likes. */
	while (t) {
		enum thread_state was = t->state;
		tcb_cancel_wait(t);
		/* Cut short in a blocking call, it learns so when resumed: its request was
		 * delivered and the answer will not come (a call waiting for its reply), or it
		 * did not happen. A faulted thread keeps its registers for the retry. */
		if (!t->fault && was != THREAD_RUNNING && was != THREAD_INACTIVE)
			tcb_set_result(
			    t, was == THREAD_BLOCKED_REPLY ? M6_ERR_NO_REPLY : M6_ERR_CANCELLED, 0,
			    0);
		/* A syscall fault still queued on its endpoint never reached the handler: its
		 * pc is past the svc already, so it goes back onto it and, resumed, the thread
		 * issues the call again instead of going on with its arguments as the result
		 * (a Linux emulator stopping a thread to deliver a signal relies on this). */
		if (was == THREAD_BLOCKED_SEND &&
		    (t->fault == M6_FAULT_UNKNOWN_SYSCALL || t->fault == M6_FAULT_LINUX_SYSCALL))
			t->context.pc -= 4;
		t->fault = 0;
		t->state = THREAD_INACTIVE;
		t = drop_caller(t);
	}
}

void tcb_release_caller(struct tcb *t)
{
	tcb_suspend(drop_caller(t));
}

void tcb_resume(struct tcb *t)
{
	if (t->state == THREAD_INACTIVE)
		scheduler_make_runnable(t);
}

void tcb_finalise(struct tcb *t)
{
	tcb_suspend(t);
	notification_unbind_tcb(t);
	scheduler_forget(t);
	/* fault_endpoint last: its deletion may start a cancellation of badged sends (see
	 * core/delete.c), which must be the last deletion of a step. */
	cap_delete_nested(&t->cspace_root);
	cap_delete_nested(&t->vspace_root);
	cap_delete_nested(&t->ipc_buffer_frame);
	cap_delete_nested(&t->fault_endpoint);
	tcb_unregister(t);
}

/* ---- invocations ---------------------------------------------------------------- */

/* A TCB is live from its retype until it is finalised (unregistered). */
static bool tcb_is_live(const struct tcb *t)
{
	return t->all_prev != NULL || all_head == t;
}

/* Fill an emptied slot of the TCB's with a copy of `src`, if `src` still holds a cap. */
static void set_tcb_slot(struct cte *tcb_slot, struct cte *src)
{
	if (!src || cap_is_null(&src->cap))
		return;
	struct cap copy = src->cap;
	/* The TCB holds the frame, not its mapping: deleting the TCB must not unmap the
	 * buffer the thread's owner mapped. (A VSpace cap's ASID is its identity and stays.) */
	vspace_derive_cap(&copy);
	cdt_insert_child(src, tcb_slot, &copy);
}

/* What reads or writes the thread's saved state needs it saved: running on another CPU,
 * it is taken off that CPU first (synchronously; it is queued again there). Called by each
 * operation between its decode and its perform, never before: an invocation that fails
 * its checks must leave the thread running where it was. */
static void unload_target(struct tcb *t, struct tcb *caller)
{
	if (t != caller)
		smp_unload(t, false);
}

static int decode_configure(struct tcb *t, struct tcb *caller, unsigned length)
{
	int error;
	struct cte *fault = NULL, *cspace, *vspace, *ipc = NULL;
	if (length < 5)
		return M6_ERR_INVALID_ARGUMENT;
	word_t fault_cptr = tcb_get_mr(caller, 0), ipc_va = tcb_get_mr(caller, 3);
	word_t ipc_cptr = tcb_get_mr(caller, 4);
	if (fault_cptr) {
		fault = lookup_typed_arg(caller, fault_cptr, M6_OBJ_ENDPOINT, &error);
		if (!fault)
			return error;
		/* A fault handler's reply rewrites the faulter's registers: naming one hands it
		 * the thread, as much as sending it the thread's own caps would. So it takes the
		 * right that lets a sender pass caps (GRANT), not just a call cap: otherwise any
		 * client could put itself, unasked, under the control of any server it calls,
		 * and the spec compiler's reach analysis would have to assume every server
		 * controls its clients. */
		if (!cap_has_rights(&fault->cap, M6_RIGHT_WRITE | M6_RIGHT_GRANT))
			return M6_ERR_INSUFFICIENT_RIGHTS;
	}
	/* The roots lend the thread everything they reach: a read-only cap to a CNode or a
	 * VSpace must not become a thread that uses (and changes) what is in it. */
	cspace = lookup_typed_arg(caller, tcb_get_mr(caller, 1), M6_OBJ_CNODE, &error);
	if (!cspace)
		return error;
	if (!cap_has_rights(&cspace->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	vspace = lookup_typed_arg(caller, tcb_get_mr(caller, 2), M6_OBJ_VSPACE, &error);
	if (!vspace)
		return error;
	if (!cap_has_rights(&vspace->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	if (!vspace_has_asid(&vspace->cap))
		return M6_ERR_INVALID_CAP; /* a thread cannot run in it (kernel/asid_pool.h) */
	if (ipc_cptr) {
		ipc = lookup_typed_arg(caller, ipc_cptr, M6_OBJ_FRAME, &error);
		if (!ipc)
			return error;
		if (ipc->cap.size_bits != PAGE_BITS || (ipc->cap.word & FRAME_WORD_DEVICE))
			return M6_ERR_INVALID_ARGUMENT;
		if (!cap_has_rights(&ipc->cap, M6_RIGHT_READ | M6_RIGHT_WRITE))
			return M6_ERR_INSUFFICIENT_RIGHTS;
		if (!IS_ALIGNED(ipc_va, PAGE_BITS) || ipc_va >= USER_VA_LIMIT)
			return M6_ERR_ALIGNMENT;
	}
	/* perform. Emptying the old slots can finalise objects whose last cap they held, and
	 * through them anything else, this TCB (its last cap may sit in a CNode only its old
	 * CSpace root kept alive) and the caller included. So: all four deletions before any
	 * insertion; nothing inserted into a TCB that is gone (it would leave caps in memory
	 * that can be retyped); a source the deletions emptied stays empty in the TCB too.
	 * The deletions may be preempted: the invocation is then issued again and decoded
	 * again, with the slots already emptied (a source that no longer resolves then fails
	 * the decode). The result goes last: a finalised caller's registers are inert memory. */
	unload_target(t, caller);
	struct cte *old[] = {&t->fault_endpoint, &t->cspace_root, &t->vspace_root,
	                     &t->ipc_buffer_frame};
	for (unsigned i = 0; i < ARRAY_SIZE(old); i++) {
		error = cap_delete(old[i]);
		if (error != M6_OK)
			return error;
	}
	invocation_ok(caller, 0);
	if (!tcb_is_live(t))
		return M6_OK;
	set_tcb_slot(&t->fault_endpoint, fault);
	set_tcb_slot(&t->cspace_root, cspace);
	set_tcb_slot(&t->vspace_root, vspace);
	set_tcb_slot(&t->ipc_buffer_frame, ipc);
	t->ipc_buffer_va = ipc ? ipc_va : 0;
	/* A thread configuring itself runs on its new VSpace from its next instruction. */
	if (t == this_cpu()->current)
		arch_load_vspace(t);
	return M6_OK;
}

/* The authority TCB argument of the priority and timeslice invocations: its maximum is
 * what it lends, so using it is a use of the object and takes WRITE (a read-only cap,
 * e.g. one handed out for inspection, must not raise anybody's priority). */
static int authority_arg(struct tcb *caller, struct tcb **out)
{
	int error;
	struct cte *auth = lookup_typed_arg(caller, tcb_get_mr(caller, 0), M6_OBJ_TCB, &error);
	if (!auth)
		return error;
	if (!cap_has_rights(&auth->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	*out = (struct tcb *)auth->cap.object;
	return M6_OK;
}

static int decode_priority(struct tcb *t, struct tcb *caller, unsigned length, bool max)
{
	struct tcb *auth;
	if (length < 2)
		return M6_ERR_INVALID_ARGUMENT;
	int error = authority_arg(caller, &auth);
	if (error != M6_OK)
		return error;
	word_t prio = tcb_get_mr(caller, 1);
	if (prio >= PRIORITY_COUNT)
		return M6_ERR_RANGE;
	/* A thread can hand out no more than the authority's own maximum. */
	if (prio > auth->max_priority)
		return M6_ERR_RANGE;
	/* perform */
	unload_target(t, caller);
	if (max)
		t->max_priority = (uint8_t)prio;
	else
		scheduler_set_priority(t, (uint8_t)prio);
	return invocation_ok(caller, 0);
}

/* Timeslices are bounded like priorities: a long slice at a shared priority is CPU time
 * taken from every equal, so the length comes from an authority's maximum, not from the
 * thread's say-so. */
static int decode_timeslice(struct tcb *t, struct tcb *caller, unsigned length, bool max)
{
	struct tcb *auth;
	if (length < 2)
		return M6_ERR_INVALID_ARGUMENT;
	int error = authority_arg(caller, &auth);
	if (error != M6_OK)
		return error;
	word_t us = tcb_get_mr(caller, 1);
	if (us < TIMESLICE_MIN_US || us > TIMESLICE_MAX_US || us > auth->max_timeslice_us)
		return M6_ERR_RANGE;
	/* perform */
	unload_target(t, caller);
	if (max)
		t->max_timeslice_us = (uint32_t)us;
	else
		t->timeslice_ticks = us * arch_timer_frequency() / 1000000;
	return invocation_ok(caller, 0);
}

static int read_registers(struct tcb *t, struct tcb *caller)
{
	/* pc, sp, NZCV, x0..x30: 34 words, as many as the caller can receive. */
	word_t regs[34];
	unload_target(t, caller);
	regs[0] = t->context.pc;
	regs[1] = t->context.sp;
	regs[2] = t->context.spsr & M6_TCB_NZCV_MASK;
	for (unsigned i = 0; i < 31; i++)
		regs[3 + i] = t->context.x[i];
	unsigned n = tcb_max_mrs(caller) < 34 ? tcb_max_mrs(caller) : 34;
	for (unsigned i = 0; i < n; i++)
		tcb_set_mr(caller, i, regs[i]);
	return invocation_ok(caller, n);
}

static int write_registers(struct tcb *t, struct tcb *caller, unsigned length)
{
	if (length < 3)
		return M6_ERR_INVALID_ARGUMENT;
	if (t == caller)
		return M6_ERR_ILLEGAL_OPERATION; /* the syscall's own result would overwrite it */
	word_t flags = tcb_get_mr(caller, 0);
	if (flags & ~(word_t)(M6_TCB_WRITE_RESUME | M6_TCB_WRITE_NZCV))
		return M6_ERR_INVALID_ARGUMENT;
	/* NZCV is the only part of SPSR a thread's owner may set: the mode, the exception
	 * masks and the rest stay the kernel's (EL0t, interrupts unmasked). */
	unsigned first_x = 3;
	word_t nzcv = 0;
	if (flags & M6_TCB_WRITE_NZCV) {
		if (length < 4)
			return M6_ERR_INVALID_ARGUMENT;
		nzcv = tcb_get_mr(caller, 3);
		if (nzcv & ~(word_t)M6_TCB_NZCV_MASK)
			return M6_ERR_INVALID_ARGUMENT;
		first_x = 4;
	}
	/* perform */
	unload_target(t, caller);
	t->context.pc = tcb_get_mr(caller, 1);
	t->context.sp = tcb_get_mr(caller, 2);
	if (flags & M6_TCB_WRITE_NZCV)
		t->context.spsr = (t->context.spsr & ~(word_t)M6_TCB_NZCV_MASK) | nzcv;
	for (unsigned i = first_x; i < length && i - first_x < 31; i++)
		t->context.x[i - first_x] = tcb_get_mr(caller, i);
	if (flags & M6_TCB_WRITE_RESUME)
		tcb_resume(t);
	return invocation_ok(caller, 0);
}

/* Another thread's FP/SIMD registers (a Linux emulator saves them in a signal frame and
 * restores them at sigreturn), in ranges of vector registers: all 32 with FPSR and FPCR
 * take 66 words, more than one message carries. The caller's own are its registers. */
static int fpu_access(struct tcb *t, struct tcb *caller, unsigned length, bool write)
{
	if (t == caller)
		return M6_ERR_ILLEGAL_OPERATION;
	if (length < (write ? 4u : 2u))
		return M6_ERR_INVALID_ARGUMENT;
	word_t first = tcb_get_mr(caller, 0), count = tcb_get_mr(caller, 1);
	if (first > 32 || count > 32 - first)
		return M6_ERR_RANGE;
	if (write) {
		if (length < 4 + 2 * count)
			return M6_ERR_INVALID_ARGUMENT;
		if ((tcb_get_mr(caller, 2) & ~(word_t)M6_TCB_FPSR_MASK) ||
		    (tcb_get_mr(caller, 3) & ~(word_t)M6_TCB_FPCR_MASK))
			return M6_ERR_INVALID_ARGUMENT;
	} else if (2 + 2 * count > tcb_max_mrs(caller)) {
		return M6_ERR_RANGE; /* the answer would not fit: no IPC buffer, or too many */
	}
	/* perform. The thread's state may be live in the registers (lazy switching): saved
	 * first, and after a write the registers are no longer its own, so its next FP
	 * instruction traps and loads what was written. */
	unload_target(t, caller);
	arch_fpu_sync(t);
	if (!write) {
		tcb_set_mr(caller, 0, t->fpu.fpsr);
		tcb_set_mr(caller, 1, t->fpu.fpcr);
		for (unsigned i = 0; i < count; i++) {
			__uint128_t v = t->fpu.v[first + i];
			tcb_set_mr(caller, 2 + 2 * i, (word_t)v);
			tcb_set_mr(caller, 3 + 2 * i, (word_t)(v >> 64));
		}
		return invocation_ok(caller, 2 + 2 * (unsigned)count);
	}
	t->fpu.fpsr = (uint32_t)tcb_get_mr(caller, 2);
	t->fpu.fpcr = (uint32_t)tcb_get_mr(caller, 3);
	for (unsigned i = 0; i < count; i++)
		t->fpu.v[first + i] = (__uint128_t)tcb_get_mr(caller, 4 + 2 * i) |
		                      (__uint128_t)tcb_get_mr(caller, 5 + 2 * i) << 64;
	arch_thread_forget(t);
	return invocation_ok(caller, 0);
}

static int bind_notification(struct tcb *t, struct tcb *caller, unsigned length)
{
	int error;
	if (length < 1)
		return M6_ERR_INVALID_ARGUMENT;
	struct cte *n =
	    lookup_typed_arg(caller, tcb_get_mr(caller, 0), M6_OBJ_NOTIFICATION, &error);
	if (!n)
		return error;
	if (!cap_has_rights(&n->cap, M6_RIGHT_READ))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	struct notification *ntfn = (struct notification *)n->cap.object;
	if (t->bound_notification || ntfn->bound_tcb)
		return M6_ERR_ILLEGAL_OPERATION;
	unload_target(t, caller);
	notification_bind(ntfn, t);
	return invocation_ok(caller, 0);
}

/* The TLS register (TPIDR_EL0) of another thread, e.g. for a Linux emulator's fork and
 * clone(CLONE_SETTLS). The value saved in the TCB is current only for a thread that is
 * not on the CPU, and the caller is the only thread that is: a thread reads and writes
 * its own with mrs/msr. */
static int tls_access(struct tcb *t, struct tcb *caller, unsigned length, bool write)
{
	if (t == caller)
		return M6_ERR_ILLEGAL_OPERATION;
	if (write && length < 1)
		return M6_ERR_INVALID_ARGUMENT;
	/* perform */
	unload_target(t, caller);
	if (!write) {
		tcb_set_mr(caller, 0, t->fpu.tpidr_el0);
		return invocation_ok(caller, 1);
	}
	t->fpu.tpidr_el0 = tcb_get_mr(caller, 0);
	return invocation_ok(caller, 0);
}

static int set_affinity(struct tcb *t, struct tcb *caller, unsigned length)
{
	if (length < 1)
		return M6_ERR_INVALID_ARGUMENT;
	word_t index = tcb_get_mr(caller, 0);
	if (index >= cpu_count || !cpus[index].online)
		return M6_ERR_RANGE;
	/* perform: the result first, since a thread moving itself leaves this CPU here */
	invocation_ok(caller, 0);
	scheduler_set_cpu(t, (unsigned)index);
	return M6_OK;
}

int tcb_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	struct tcb *t = (struct tcb *)slot->cap.object;
	unsigned need =
	    label == M6_TCB_READ_REGISTERS || label == M6_TCB_READ_TLS || label == M6_TCB_READ_FPU
	        ? M6_RIGHT_READ
	        : M6_RIGHT_WRITE;
	if ((label < M6_TCB_CONFIGURE || label > M6_TCB_WRITE_FPU) && label != M6_TCB_SET_AFFINITY)
		return M6_ERR_ILLEGAL_OPERATION;
	if (!cap_has_rights(&slot->cap, need))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	/* Each operation decodes its arguments in full, then takes a thread running on another
	 * CPU off it (unload_target) and performs; SET_AFFINITY moves the thread itself. */
	switch (label) {
	case M6_TCB_SET_AFFINITY:
		return set_affinity(t, caller, length);
	case M6_TCB_CONFIGURE:
		return decode_configure(t, caller, length);
	case M6_TCB_SUSPEND:
		unload_target(t, caller);
		invocation_ok(caller, 0);
		tcb_suspend(t);
		return M6_OK;
	case M6_TCB_RESUME:
		unload_target(t, caller);
		tcb_resume(t);
		return invocation_ok(caller, 0);
	case M6_TCB_SET_PRIORITY:
		return decode_priority(t, caller, length, false);
	case M6_TCB_SET_MAX_PRIORITY:
		return decode_priority(t, caller, length, true);
	case M6_TCB_READ_REGISTERS:
		return read_registers(t, caller);
	case M6_TCB_WRITE_REGISTERS:
		return write_registers(t, caller, length);
	case M6_TCB_BIND_NOTIFICATION:
		return bind_notification(t, caller, length);
	case M6_TCB_UNBIND_NOTIFICATION:
		if (!t->bound_notification)
			return M6_ERR_ILLEGAL_OPERATION;
		unload_target(t, caller);
		notification_unbind_tcb(t);
		return invocation_ok(caller, 0);
	case M6_TCB_SET_FLAGS: {
		if (length < 1)
			return M6_ERR_INVALID_ARGUMENT;
		word_t flags = tcb_get_mr(caller, 0);
		if (flags & ~(word_t)M6_TCB_FLAG_LINUX_ABI)
			return M6_ERR_INVALID_ARGUMENT;
		unload_target(t, caller);
		t->flags = (uint32_t)flags;
		return invocation_ok(caller, 0);
	}
	case M6_TCB_SET_TIMESLICE:
		return decode_timeslice(t, caller, length, false);
	case M6_TCB_SET_MAX_TIMESLICE:
		return decode_timeslice(t, caller, length, true);
	case M6_TCB_READ_TLS:
		return tls_access(t, caller, length, false);
	case M6_TCB_WRITE_TLS:
		return tls_access(t, caller, length, true);
	case M6_TCB_READ_FPU:
		return fpu_access(t, caller, length, false);
	case M6_TCB_WRITE_FPU:
		return fpu_access(t, caller, length, true);
	default:
		return M6_ERR_ILLEGAL_OPERATION;
	}
}
