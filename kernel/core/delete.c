/* Deletion, revocation and object finalisation.
 *
 * When the last cap to an object is deleted the object is finalised: it lets go of
 * everything it is part of (queues, mappings, bindings) and of the caps it holds itself.
 * A CNode can hold caps whose deletion finalises further CNodes, to any depth; rather than
 * recurse, CNodes awaiting clearance form a stack threaded through the scratch words of
 * their own slot 0, so deletion needs neither a kernel stack proportional to the depth nor
 * any memory of its own. Other objects hold at most a few caps (a TCB's roots, a timer's
 * notification) whose finalisation never reaches back, which bounds the nesting at two.
 *
 * Memory is not returned by deletion: an Untyped's watermark goes back only once nothing
 * derived from it is left (see untyped.c), so a finalised object stays harmless, inert
 * memory until then. */
#include <kernel/asid_pool.h>
#include <kernel/delete.h>
#include <kernel/endpoint.h>
#include <kernel/irq.h>
#include <kernel/notification.h>
#include <kernel/scheduler.h>
#include <kernel/timer.h>
#include <kernel/vspace.h>

#define SCAN_INDEX_BITS 25

static struct cte *cnode_stack; /* CNode slot arrays whose caps still have to go */
static bool draining;           /* an outer call is already emptying cnode_stack */

static void push_cnode(struct cte *slots, unsigned radix)
{
	slots[0].scratch = (uint32_t)((radix << SCAN_INDEX_BITS) | 0);
	slots[0].scratch2 = (uint64_t)(uintptr_t)cnode_stack;
	cnode_stack = slots;
}

static void finalise(struct cap *cap)
{
	switch (cap->type) {
	case M6_OBJ_TCB:
		tcb_finalise((struct tcb *)cap->object);
		break;
	case M6_OBJ_ENDPOINT:
		endpoint_finalise((struct endpoint *)cap->object);
		break;
	case M6_OBJ_NOTIFICATION:
		notification_finalise((struct notification *)cap->object);
		break;
	case M6_OBJ_CNODE:
		push_cnode((struct cte *)cap->object, cap->size_bits);
		break;
	case M6_OBJ_VSPACE:
		vspace_finalise(cap);
		break;
	case M6_OBJ_PAGE_TABLE:
		page_table_unmap(cap);
		break;
	case M6_OBJ_IRQ_HANDLER:
		irq_handler_finalise((unsigned)cap->object);
		break;
	case M6_OBJ_TIMER:
		timer_finalise((struct timer *)cap->object);
		break;
	case M6_OBJ_ASID_POOL:
		asid_pool_finalise((struct asid_pool *)cap->object);
		break;
	default:
		/* Untyped: its memory is reclaimed by revoke; singletons: nothing to do. */
		break;
	}
}

/* Delete one cap; may push CNodes but never clears them itself. */
static void delete_one(struct cte *slot)
{
	if (cap_is_null(&slot->cap))
		return;
	struct cap cap = slot->cap;
	bool final = cdt_is_final(slot);
	cdt_remove(slot);
	/* Every cap to a frame is its own mapping, so each one is unmapped as it goes, final
	 * or not. Copies of a page table share one mapping: it goes with the last of them. */
	if (cap.type == M6_OBJ_FRAME)
		frame_unmap(&cap);
	else if (final)
		finalise(&cap);
}

static void drain_cnodes(void)
{
	/* Finalising a TCB deletes its own slots through cap_delete(); those must only
	 * push, or nested drains would nest as deep as the caps do. */
	if (draining)
		return;
	draining = true;
	while (cnode_stack) {
		struct cte *slots = cnode_stack;
		unsigned radix = slots[0].scratch >> SCAN_INDEX_BITS;
		uint32_t index = slots[0].scratch & (uint32_t)MASK(SCAN_INDEX_BITS);
		if (index >= BIT(radix)) {
			cnode_stack = (struct cte *)(uintptr_t)slots[0].scratch2;
			slots[0].scratch = 0;
			slots[0].scratch2 = 0;
			continue;
		}
		slots[0].scratch = (radix << SCAN_INDEX_BITS) | (index + 1);
		delete_one(&slots[index]);
	}
	draining = false;
}

void cap_delete(struct cte *slot)
{
	delete_one(slot);
	drain_cnodes();
}

void cap_revoke(struct cte *slot)
{
	/* The descendants are exactly the entries that follow with a greater depth; each
	 * deletion may remove more of them (a CNode's contents), so re-read every time. */
	while (cdt_has_children(slot)) {
		delete_one(slot->cdt_next);
		drain_cnodes();
	}
	if (slot->cap.type == M6_OBJ_UNTYPED)
		slot->cap.word = 0; /* nothing derived is left: all of it is free again */
}
