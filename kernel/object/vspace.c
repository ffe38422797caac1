/* VSpace, PageTable and Frame objects. A VSpace is a level-0 table with an ASID; page
 * tables of levels 1..3 hang below it; frames (4 KiB, or 2 MiB as level-2 blocks) are
 * the leaves. Each Frame cap is one mapping: it records the ASID and address it is mapped
 * at, and unmapping checks that the entry still points at it, so a stale cap (its VSpace
 * or a table above it gone) can never clear someone else's mapping.
 *
 * A page table, in contrast, is mapped at most once, wherever its caps are: an unmapped
 * table has exactly one cap (copying one is refused), copies of a mapped table share its
 * mapping record, and unmapping needs the last cap. Unmapping also empties the table, so
 * a table never carries entries from one place (or level) to another. Both rules together
 * mean a table's entries are reachable only where its caps say they are. */
#include <kernel/arch.h>
#include <kernel/smp.h>
#include <kernel/asid_pool.h>
#include <kernel/preempt.h>
#include <kernel/invocation.h>
#include <kernel/iospace.h>
#include <kernel/vspace.h>
#include <m6/abi/errors.h>

static unsigned level_shift(unsigned level)
{
	return PAGE_BITS + 9 * (3 - level);
}

int vspace_install_table(paddr_t root, unsigned level, vaddr_t va, paddr_t table, bool perform)
{
	/* A level-N table covers what one entry of level N-1 covers. */
	if (level < 1 || level > 3)
		return M6_ERR_RANGE;
	if (va >= USER_VA_LIMIT)
		return M6_ERR_RANGE;
	if (!IS_ALIGNED(va, level_shift(level - 1)))
		return M6_ERR_ALIGNMENT;
	paddr_t parent = arch_vspace_lookup_table(root, va, level - 1);
	if (!parent)
		return M6_ERR_FAILED_LOOKUP;
	if (arch_vspace_entry_present(parent, level - 1, va))
		return M6_ERR_DELETE_FIRST;
	if (perform)
		arch_vspace_install_table(parent, level - 1, va, table);
	return M6_OK;
}

int vspace_map_frame(paddr_t root, vaddr_t va, paddr_t frame, unsigned size_bits, unsigned rights,
                     bool device, bool perform)
{
	unsigned level = size_bits == LARGE_PAGE_BITS ? 2 : 3;
	if (size_bits != PAGE_BITS && size_bits != LARGE_PAGE_BITS)
		return M6_ERR_INVALID_ARGUMENT;
	if (va >= USER_VA_LIMIT || va + BIT(size_bits) > USER_VA_LIMIT)
		return M6_ERR_RANGE;
	/* Both ends aligned to the mapping size: a block descriptor drops the address bits
	 * below it, so a misaligned frame would map the memory around it instead. */
	if (!IS_ALIGNED(va, size_bits) || !IS_ALIGNED(frame, size_bits))
		return M6_ERR_ALIGNMENT;
	if ((rights & M6_RIGHT_WRITE) && (rights & M6_RIGHT_EXECUTE))
		return M6_ERR_INVALID_ARGUMENT; /* W^X */
	if (!(rights & M6_RIGHT_READ) ||
	    (rights & ~(unsigned)(M6_RIGHT_READ | M6_RIGHT_WRITE | M6_RIGHT_EXECUTE)))
		return M6_ERR_INVALID_ARGUMENT;
	paddr_t table = arch_vspace_lookup_table(root, va, level);
	if (!table)
		return M6_ERR_FAILED_LOOKUP;
	if (arch_vspace_entry_present(table, level, va))
		return M6_ERR_DELETE_FIRST;
	if (perform)
		arch_vspace_map_leaf(table, level, va, frame, rights, device);
	return M6_OK;
}

void frame_unmap(struct cap *frame)
{
	if (!frame->asid)
		return;
	if (frame->word & FRAME_WORD_IO) {
		iospace_frame_unmap(frame);
		return;
	}
	paddr_t root = asid_root(frame->asid);
	unsigned level = frame->size_bits == LARGE_PAGE_BITS ? 2 : 3;
	paddr_t table = root ? arch_vspace_lookup_table(root, frame->mapped_va, level) : 0;
	if (table && arch_vspace_entry_target(table, level, frame->mapped_va) ==
	                 kernel_to_paddr((void *)frame->object)) {
		arch_vspace_clear_entry(table, level, frame->mapped_va);
		arch_tlb_flush_page(frame->asid, frame->mapped_va);
	}
	frame->asid = 0;
	frame->mapped_va = 0;
}

void page_table_unmap(struct cap *pt)
{
	if (!pt->asid)
		return; /* never mapped, or emptied when it was unmapped */
	paddr_t root = asid_root(pt->asid);
	unsigned level = (unsigned)pt->word;
	paddr_t parent = root ? arch_vspace_lookup_table(root, pt->mapped_va, level - 1) : 0;
	if (parent && arch_vspace_entry_target(parent, level - 1, pt->mapped_va) ==
	                  kernel_to_paddr((void *)pt->object)) {
		arch_vspace_clear_entry(parent, level - 1, pt->mapped_va);
		arch_tlb_flush_asid(pt->asid);
	}
	/* Even where the entry above is already gone (its VSpace or a table above it went
	 * first), the entries must not survive into the table's next mapping. */
	arch_zero_memory((void *)pt->object, BIT(PAGE_BITS));
	pt->asid = 0;
	pt->mapped_va = 0;
	pt->word = 0;
}

int vspace_derive_cap(struct cap *copy)
{
	if (copy->type == M6_OBJ_FRAME) {
		copy->asid = 0; /* each frame cap is one mapping: a new cap starts unmapped */
		copy->mapped_va = 0;
		copy->word &= ~(uint64_t)FRAME_WORD_IO;
	} else if ((copy->type == M6_OBJ_PAGE_TABLE || copy->type == M6_OBJ_IO_PAGE_TABLE) &&
	           !copy->asid) {
		return M6_ERR_ILLEGAL_OPERATION; /* two caps could map one table twice */
	} else if (copy->type == M6_OBJ_VSPACE && !copy->asid) {
		/* An ASID is assigned to one cap: a copy made before would stay without it,
		 * and could get the VSpace a second one (asid_pool.c). */
		return M6_ERR_ILLEGAL_OPERATION;
	}
	return M6_OK;
}

void vspace_finalise(struct cap *vspace)
{
	/* Its page tables and frames keep caps that name this ASID; with the ASID gone
	 * their unmaps find no root and only forget the mapping. A thread still running on
	 * it (its TCB's VSpace cap was this last one) is moved off it first. */
	paddr_t root = kernel_to_paddr((void *)vspace->object);
	smp_vspace_forget(root);
	asid_release(vspace->asid, root);
}

bool vspace_has_asid(const struct cap *vspace)
{
	return arch_vspace_holds_asid(kernel_to_paddr((void *)vspace->object), vspace->asid);
}

/* Resolve the VSpace argument: a VSpace cap whose ASID is live. */
static int vspace_arg(struct tcb *caller, word_t cptr, struct cte **out)
{
	int error;
	struct cte *vs = lookup_typed_arg(caller, cptr, M6_OBJ_VSPACE, &error);
	if (!vs)
		return error;
	if (!cap_has_rights(&vs->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	/* None yet, or lost with its pool: mappings are tagged and flushed by ASID. */
	if (!vspace_has_asid(&vs->cap))
		return M6_ERR_INVALID_CAP;
	*out = vs;
	return M6_OK;
}

int page_table_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	struct cap *pt = &slot->cap;
	if (label == M6_PAGE_TABLE_UNMAP) {
		if (!cap_has_rights(pt, M6_RIGHT_WRITE))
			return M6_ERR_INSUFFICIENT_RIGHTS;
		/* Copies share the mapping: one of them must not pull it from under the rest. */
		if (pt->asid && !cdt_is_final(slot))
			return M6_ERR_REVOKE_FIRST;
		page_table_unmap(pt);
		return invocation_ok(caller, 0);
	}
	if (label != M6_PAGE_TABLE_MAP)
		return M6_ERR_ILLEGAL_OPERATION;
	if (!cap_has_rights(pt, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	if (length < 3)
		return M6_ERR_INVALID_ARGUMENT;
	if (pt->asid)
		return M6_ERR_DELETE_FIRST; /* already mapped: unmap first */
	struct cte *vs;
	int error = vspace_arg(caller, tcb_get_mr(caller, 0), &vs);
	if (error != M6_OK)
		return error;
	paddr_t root = kernel_to_paddr((void *)vs->cap.object);
	vaddr_t va = tcb_get_mr(caller, 1);
	word_t level = tcb_get_mr(caller, 2);
	paddr_t table = kernel_to_paddr((void *)pt->object);
	if (level < 1 || level > 3)
		return M6_ERR_RANGE;
	error = vspace_install_table(root, (unsigned)level, va, table, false);
	if (error != M6_OK)
		return error;
	/* perform */
	vspace_install_table(root, (unsigned)level, va, table, true);
	pt->asid = vs->cap.asid;
	pt->mapped_va = va;
	pt->word = level;
	return invocation_ok(caller, 0);
}

#define CACHE_OP_CHUNK (64u * 1024)

static int frame_cache_op(struct cap *frame, struct tcb *caller, uint64_t label, unsigned length)
{
	/* Invalidating discards data not yet written back: to every holder of the frame that
	 * is a write, so it takes the write right. Cleaning changes no contents. */
	if (label != M6_FRAME_CLEAN && !cap_has_rights(frame, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	if (length < 2)
		return M6_ERR_INVALID_ARGUMENT;
	word_t start = tcb_get_mr(caller, 0), end = tcb_get_mr(caller, 1);
	if (start >= end || end > BIT(frame->size_bits))
		return M6_ERR_RANGE;
	if (frame->word & FRAME_WORD_DEVICE) /* device memory is not cached */
		return M6_ERR_ILLEGAL_OPERATION;
	/* perform, in chunks: a whole 2 MiB frame is 32,768 cache lines. Between chunks a
	 * pending interrupt stops the operation, which answers how far it got (MR0, at least
	 * one chunk on); the caller goes on from there (libm6 does). Each chunk is 64 KiB,
	 * 1,024 lines: a few thousand instructions. */
	uintptr_t base = frame->object;
	word_t at = start;
	do {
		word_t stop = (at + CACHE_OP_CHUNK) & ~(word_t)(CACHE_OP_CHUNK - 1);
		if (stop > end)
			stop = end;
		if (label == M6_FRAME_CLEAN)
			arch_cache_clean(base + at, base + stop);
		else if (label == M6_FRAME_INVALIDATE)
			arch_cache_invalidate(base + at, base + stop);
		else
			arch_cache_clean_invalidate(base + at, base + stop);
		at = stop;
	} while (at < end && !preemption_pending());
	tcb_set_mr(caller, 0, at);
	return invocation_ok(caller, 1);
}

int frame_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	struct cap *frame = &slot->cap;
	switch (label) {
	case M6_FRAME_MAP: {
		if (length < 3)
			return M6_ERR_INVALID_ARGUMENT;
		struct cte *vs;
		int error = vspace_arg(caller, tcb_get_mr(caller, 0), &vs);
		if (error != M6_OK)
			return error;
		vaddr_t va = tcb_get_mr(caller, 1);
		word_t rights = tcb_get_mr(caller, 2);
		/* A mapping never grants more than the cap holds. */
		if (rights > M6_RIGHTS_ALL || (rights & ~(word_t)frame->rights))
			return M6_ERR_INSUFFICIENT_RIGHTS;
		paddr_t root = kernel_to_paddr((void *)vs->cap.object);
		paddr_t pa = kernel_to_paddr((void *)frame->object);
		bool device = frame->word & FRAME_WORD_DEVICE;
		if (frame->word & FRAME_WORD_IO)
			return M6_ERR_DELETE_FIRST; /* mapped in an IOSpace: one mapping per cap */
		if (frame->asid) {
			/* Remap: same place, new rights. Anywhere else needs another cap. */
			if (frame->asid != vs->cap.asid || frame->mapped_va != va)
				return M6_ERR_DELETE_FIRST;
			unsigned level = frame->size_bits == LARGE_PAGE_BITS ? 2 : 3;
			paddr_t table = arch_vspace_lookup_table(root, va, level);
			if (!table || arch_vspace_entry_target(table, level, va) != pa)
				return M6_ERR_FAILED_LOOKUP;
			if ((rights & M6_RIGHT_WRITE) && (rights & M6_RIGHT_EXECUTE))
				return M6_ERR_INVALID_ARGUMENT;
			if (!(rights & M6_RIGHT_READ))
				return M6_ERR_INVALID_ARGUMENT;
			arch_vspace_map_leaf(table, level, va, pa, (unsigned)rights, device);
			arch_tlb_flush_page(frame->asid, va);
			return invocation_ok(caller, 0);
		}
		error = vspace_map_frame(root, va, pa, frame->size_bits, (unsigned)rights, device,
		                         false);
		if (error != M6_OK)
			return error;
		/* perform */
		vspace_map_frame(root, va, pa, frame->size_bits, (unsigned)rights, device, true);
		frame->asid = vs->cap.asid;
		frame->mapped_va = va;
		return invocation_ok(caller, 0);
	}
	case M6_FRAME_UNMAP:
		frame_unmap(frame);
		return invocation_ok(caller, 0);
	case M6_FRAME_MAP_IO:
		return iospace_frame_map(frame, caller, length);
	case M6_FRAME_CLEAN:
	case M6_FRAME_INVALIDATE:
	case M6_FRAME_CLEAN_INVALIDATE:
		return frame_cache_op(frame, caller, label, length);
	case M6_FRAME_GET_ADDRESS:
		tcb_set_mr(caller, 0, kernel_to_paddr((void *)frame->object));
		return invocation_ok(caller, 1);
	default:
		return M6_ERR_ILLEGAL_OPERATION;
	}
}
