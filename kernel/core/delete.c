/* Deletion, revocation and object finalisation, in bounded steps.
 *
 * When the last cap to an object is deleted the object is finalised: it lets go of
 * everything it is part of (queues, mappings, bindings) and of the caps it holds itself.
 * Most of that is a few operations. Three things are not: emptying a CNode (2^24 slots at
 * most, whose caps may be the last ones to further CNodes, to any depth), releasing the
 * threads queued on an endpoint or notification, and cancelling the sends queued with a
 * badge whose last cap went (endpoint.c). Those form the *pending job*, at most one in the
 * whole system, which is done in steps with a look at preemption_pending() after each:
 *
 *  - a step is one slot deletion (with its object's short finalisation), or a scan of up
 *    to STEP_SLOTS empty slots, or the release or examination of up to STEP_WAITERS
 *    queued threads; none of them costs more than a few thousand instructions;
 *  - the job's progress lives in the objects: a CNode being emptied is a *frame*, kept in
 *    the cap bytes of the slot that held its last cap (next index to delete, the frame
 *    below it on the stack); endpoint.c keeps its cancel cursor and the dying queue is the
 *    object's own; the only globals are the top of the frame stack and the zombie slot;
 *  - an invocation that starts a job runs it to its end, returning KERNEL_RESTART when an
 *    interrupt is pending (the svc is issued again and the job goes on); every delete,
 *    revoke or retype first finishes a job left pending by anyone.
 *
 * The slot whose deletion started the job (a CNode's, or an endpoint's or notification's
 * with many waiters) keeps a *zombie* until the job is over: a cap of type CAP_ZOMBIE that
 * no lookup, copy, move or invocation accepts, keeping the object's place in the
 * derivation tree (so a revoke of its untyped finds it, and finishes the job). Objects
 * reached from inside the job (a CNode whose last cap sat in a CNode being emptied, or in
 * a TCB being finalised) are taken out of the tree at once. Their memory is nevertheless
 * safe: memory is reused only by a retype from an untyped with nothing derived left, and
 * every retype first finishes the pending job.
 *
 * Deep and cyclic CSpaces need no kernel stack: the frames form the stack. A slot found
 * holding a frame (a CNode's own last cap sat inside it) or the zombie is skipped; both go
 * when their job ends.
 *
 * Memory is not returned by deletion: an Untyped's watermark goes back to zero only when
 * nothing derived from it is left (after REVOKE), so a finalised object stays harmless,
 * inert memory until then. */
#include <kernel/asid_pool.h>
#include <kernel/delete.h>
#include <kernel/endpoint.h>
#include <kernel/irq.h>
#include <kernel/msi_device.h>
#include <kernel/notification.h>
#include <kernel/preempt.h>
#include <kernel/scheduler.h>
#include <kernel/timer.h>
#include <kernel/vspace.h>
#include <m6/abi/errors.h>

#define STEP_SLOTS   64u
#define STEP_WAITERS 16u
/* An ASID pool's entries go STEP_WAITERS * 16 a step (asid_pool_release_some). */
#define ASID_ENTRIES_PER_WAITER 16u

/* The pending job. A CNode frame is a slot whose cap bytes hold: object = the slot array,
 * size_bits = radix, word = next index to delete, mapped_va = the frame below. */
static struct cte *frame_top; /* CNode being emptied, NULL if none */
static struct cte *zombie;    /* the slot that started the job, if it holds a zombie */
static void *dying_object;    /* endpoint or notification releasing its waiters, or an
                               * ASID pool taking its VSpaces' ASIDs back */
static uint8_t dying_type;

/* Set whenever one of the four above (or endpoint.c's cancel) starts a job, cleared by
 * delete_job_finish_slow() once none is left: every delete, revoke and retype asks, so
 * "no job" must be one load, not four (delete.h). False implies no job. */
bool delete_job_active;

bool delete_job_pending(void)
{
	return frame_top || zombie || dying_object || endpoint_cancel_badged_pending();
}

/* Release up to `max` waiters of a dying endpoint or notification; true when none is
 * left. */
static bool release_waiters(void *object, unsigned type, unsigned max)
{
	if (type == M6_OBJ_ENDPOINT)
		return endpoint_release_waiters(object, max);
	if (type == M6_OBJ_ASID_POOL)
		/* An entry is cheaper than a waiter: a few loads, or one TLB flush. */
		return asid_pool_release_some(object, max * ASID_ENTRIES_PER_WAITER);
	return notification_release_waiters(object, max);
}

static void push_frame(struct cte *slot, const struct cap *cnode, uint8_t type)
{
	slot->cap = (struct cap){.type = type,
	                         .guard_size = M6_OBJ_CNODE,
	                         .size_bits = cnode->size_bits,
	                         .object = cnode->object,
	                         .word = 0,
	                         .mapped_va = (uintptr_t)frame_top};
	frame_top = slot;
	delete_job_active = true;
}

/* The object's last cap, in `slot`, goes: finalise what is short, and make the rest the
 * pending job. `root`: the slot may keep a zombie (an invocation's own slot); otherwise
 * it is emptied at once (a slot inside an object being finalised). */
static void delete_final(struct cte *slot, bool root)
{
	struct cap cap = slot->cap;
	switch (cap.type) {
	case M6_OBJ_CNODE:
		if (root) {
			push_frame(slot, &cap, CAP_ZOMBIE); /* keeps its place in the tree */
			zombie = slot;
		} else {
			cdt_remove(slot);
			push_frame(slot, &cap, M6_OBJ_NULL); /* an empty slot to everyone else */
		}
		return;
	case M6_OBJ_ASID_POOL:
		asid_pool_begin_release((struct asid_pool *)cap.object);
		/* fall through: its VSpaces lose their ASIDs in steps, like waiters */
	case M6_OBJ_ENDPOINT:
	case M6_OBJ_NOTIFICATION:
		if (release_waiters((void *)cap.object, cap.type, STEP_WAITERS)) {
			cdt_remove(slot);
			return;
		}
		if (dying_object) {
			/* Not reached: one step releases one object's waiters at most, and the
			 * next step drains it before anything else is deleted. Correct anyway. */
			while (!release_waiters((void *)cap.object, cap.type, STEP_WAITERS))
				;
			cdt_remove(slot);
			return;
		}
		dying_object = (void *)cap.object;
		dying_type = cap.type;
		delete_job_active = true;
		if (root) {
			slot->cap = (struct cap){
			    .type = CAP_ZOMBIE, .guard_size = cap.type, .object = cap.object};
			zombie = slot;
		} else {
			cdt_remove(slot);
		}
		return;
	default:
		break;
	}
	cdt_remove(slot);
	switch (cap.type) {
	case M6_OBJ_FRAME:
		frame_unmap(&cap); /* as every cap to a frame: see delete_slot() */
		break;
	case M6_OBJ_TCB:
		tcb_finalise((struct tcb *)cap.object);
		break;
	case M6_OBJ_VSPACE:
		vspace_finalise(&cap);
		break;
	case M6_OBJ_PAGE_TABLE:
		page_table_unmap(&cap);
		break;
	case M6_OBJ_IRQ_HANDLER:
		irq_handler_finalise((unsigned)cap.object);
		break;
	case M6_OBJ_TIMER:
		timer_finalise((struct timer *)cap.object);
		break;
	case M6_OBJ_MSI_DEVICE:
		msi_device_finalise(&cap);
		break;
	default:
		/* Untyped: its memory is reclaimed by revoke; singletons: nothing to do. */
		break;
	}
}

/* Whether `slot` holds the last cap with its badge to its endpoint. All caps to one
 * object are neighbours in the tree, and a badged cap's copies are its descendants, so
 * the caps with one badge minted once are contiguous: a look at both neighbours. */
static bool last_of_badge(const struct cte *slot)
{
	const struct cte *n[2] = {slot->cdt_prev, slot->cdt_next};
	for (unsigned i = 0; i < 2; i++)
		if (n[i] && cap_same_object(&n[i]->cap, &slot->cap) &&
		    n[i]->cap.word == slot->cap.word)
			return false;
	return true;
}

static void delete_slot(struct cte *slot, bool root)
{
	/* A zombie goes only when its job ends. */
	if (cap_is_null(&slot->cap) || cap_is_zombie(&slot->cap))
		return;
	if (cdt_is_final(slot)) {
		delete_final(slot, root);
		return;
	}
	struct cap cap = slot->cap;
	bool cancel = cap.type == M6_OBJ_ENDPOINT && cap.word != 0 && last_of_badge(slot);
	cdt_remove(slot);
	/* Every cap to a frame is its own mapping, so each one is unmapped as it goes, final
	 * or not. Copies of a page table share one mapping: it goes with the last of them. */
	if (cap.type == M6_OBJ_FRAME)
		frame_unmap(&cap);
	if (cancel) {
		endpoint_cancel_badged_start((struct endpoint *)cap.object, cap.word);
		delete_job_active = true;
	}
}

/* One step of the CNode on top of the frame stack. */
static void frame_step(void)
{
	struct cte *f = frame_top;
	struct cte *slots = (struct cte *)f->cap.object;
	uint64_t count = BIT(f->cap.size_bits);
	for (unsigned scanned = 0; scanned < STEP_SLOTS; scanned++) {
		uint64_t i = f->cap.word;
		if (i >= count) {
			/* Emptied: the frame below goes on. The zombie stays until the end, so
			 * a slot that started the job is never free before the job is over. */
			frame_top = (struct cte *)f->cap.mapped_va;
			if (f != zombie)
				f->cap = (struct cap){0};
			return;
		}
		struct cte *s = &slots[i];
		if (cap_is_null(&s->cap) || cap_is_zombie(&s->cap)) {
			f->cap.word = i + 1;
			continue;
		}
		delete_slot(s, false); /* the index stays: the slot may hold a frame now */
		return;
	}
}

static void job_step(void)
{
	if (endpoint_cancel_badged_pending()) {
		endpoint_cancel_badged_step(STEP_WAITERS);
	} else if (dying_object) {
		if (release_waiters(dying_object, dying_type, STEP_WAITERS))
			dying_object = NULL;
	} else if (frame_top) {
		frame_step();
	} else if (zombie) {
		struct cte *z = zombie;
		zombie = NULL;
		cdt_remove(z);
	}
}

int delete_job_finish_slow(void)
{
	while (delete_job_pending()) {
		job_step();
		if (delete_job_pending() && preemption_pending())
			return KERNEL_RESTART;
	}
	delete_job_active = false;
	return M6_OK;
}

void cap_delete_nested(struct cte *slot)
{
	delete_slot(slot, false);
}

int cap_delete(struct cte *slot)
{
	int error = delete_job_finish();
	if (error != M6_OK)
		return error;
	delete_slot(slot, true);
	return delete_job_finish();
}

int cap_revoke(struct cte *slot)
{
	int error = delete_job_finish();
	if (error != M6_OK)
		return error;
	/* The descendants are exactly the entries that follow with a greater key; each
	 * deletion may remove more of them (a CNode's contents), so re-read every time. One
	 * look per deletion: the preemption check only when more is left. */
	if (cdt_has_children(slot)) {
		do {
			delete_slot(slot->cdt_next, true);
			error = delete_job_finish();
			if (error != M6_OK)
				return error;
			if (!cdt_has_children(slot))
				break;
			if (preemption_pending())
				return KERNEL_RESTART;
		} while (true);
	}
	if (slot->cap.type == M6_OBJ_UNTYPED)
		slot->cap.word = 0; /* nothing derived is left: all of it is free again */
	return M6_OK;
}
