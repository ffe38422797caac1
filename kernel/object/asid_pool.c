/* ASIDPool objects and the ASID directory (see kernel/asid_pool.h).
 *
 * A pool owns a block of ASIDs for as long as one of its caps exists; each of them names
 * at most one VSpace. A VSpace is born without an ASID: until a pool's holder assigns it
 * one, it cannot be mapped into or run. Its (single) cap then carries the ASID, and so do
 * its copies. A VSpace keeps its ASID until it is destroyed, or until the pool goes: then
 * the ASID is free for the next pool, and the VSpace's caps carry a number that names
 * nothing of theirs any more (asid_root() no longer gives their root), so they can
 * neither map nor run, and an ASID is never given to a VSpace twice. Whether a VSpace
 * holds its ASID is also written in its root table (arch_vspace_set_asid): the check on
 * every address space switch is then one load, not a walk of the directory. */
#include <kernel/arch.h>
#include <kernel/asid_pool.h>
#include <kernel/invocation.h>
#include <kernel/printk.h>
#include <m6/abi/errors.h>

struct asid_pool *asid_directory[ASID_CHUNKS_MAX];
static uint32_t asid_limit = BIT(ASID_BITS_MAX); /* ASIDs of this CPU: 2^8 or 2^16 */

void asid_init(unsigned bits)
{
	if (bits > ASID_BITS_MAX)
		bits = ASID_BITS_MAX;
	asid_limit = (uint32_t)BIT(bits);
	printk("m6: ASIDs: %u bits, %u usable\n", bits, asid_usable());
}

uint32_t asid_usable(void)
{
	return asid_limit - 1;
}

bool asid_block_find(uint64_t count, uint32_t *base)
{
	/* First fit over runs of free chunks. Chunk 0 starts at ASID 1: ASID 0 is what TTBR0
	 * carries with the empty address space, never a VSpace's. */
	if (count < 1 || count > asid_usable())
		return false;
	uint32_t chunks = asid_limit >> ASID_CHUNK_BITS, run_start = 0;
	for (uint32_t c = 0; c < chunks; c++) {
		if (asid_directory[c]) {
			run_start = c + 1;
			continue;
		}
		uint32_t first = run_start == 0 ? 1 : run_start << ASID_CHUNK_BITS;
		if (((c + 1) << ASID_CHUNK_BITS) - first >= count) {
			*base = first;
			return true;
		}
	}
	return false;
}

void asid_pool_init(struct asid_pool *pool, uint32_t base, uint32_t count)
{
	pool->base = base;
	pool->count = count;
	pool->used = 0;
	pool->next = 0;
	uint32_t last = base + count - 1;
	for (uint32_t c = base >> ASID_CHUNK_BITS; c <= last >> ASID_CHUNK_BITS; c++)
		asid_directory[c] = pool;
}

uint32_t asid_pool_take(struct asid_pool *pool, paddr_t root)
{
	if (pool->used >= pool->count)
		return 0;
	/* Round robin, so that a released ASID is reused as late as possible. */
	for (uint32_t n = 0; n < pool->count; n++) {
		uint32_t i = pool->next;
		pool->next = i + 1 < pool->count ? i + 1 : 0;
		if (!pool->roots[i]) {
			pool->roots[i] = root;
			pool->used++;
			arch_vspace_set_asid(root, pool->base + i);
			/* A VSpace that held it before was flushed when it let go; this covers
			 * anything cached under it since boot as well. */
			arch_tlb_flush_asid(pool->base + i);
			return pool->base + i;
		}
	}
	return 0;
}

void asid_release(uint32_t asid, paddr_t root)
{
	if (!root || asid_root(asid) != root)
		return; /* not its ASID (any more) */
	struct asid_pool *pool = asid_directory[asid >> ASID_CHUNK_BITS];
	pool->roots[asid - pool->base] = 0;
	arch_vspace_set_asid(root, 0);
	pool->used--;
	arch_tlb_flush_asid(asid);
}

void asid_pool_finalise(struct asid_pool *pool)
{
	for (uint32_t i = 0; i < pool->count && pool->used; i++) {
		paddr_t root = pool->roots[i];
		if (!root)
			continue;
		/* A thread of this VSpace on the CPU leaves it now; the others find its ASID
		 * gone when they are switched to (arch_load_vspace) and fault at once. */
		arch_vspace_forget(root);
		arch_vspace_set_asid(root, 0);
		pool->roots[i] = 0;
		pool->used--;
		arch_tlb_flush_asid(pool->base + i);
	}
	uint32_t last = pool->base + pool->count - 1;
	for (uint32_t c = pool->base >> ASID_CHUNK_BITS; c <= last >> ASID_CHUNK_BITS; c++)
		asid_directory[c] = NULL;
}

int asid_pool_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	int error;
	if (label != M6_ASID_POOL_ASSIGN)
		return M6_ERR_ILLEGAL_OPERATION;
	if (!cap_has_rights(&slot->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	if (length < 1)
		return M6_ERR_INVALID_ARGUMENT;
	struct cte *vs = lookup_typed_arg(caller, tcb_get_mr(caller, 0), M6_OBJ_VSPACE, &error);
	if (!vs)
		return error;
	/* (No rights check on the VSpace cap: one without an ASID is always the one cap its
	 * retype made, with every right.) One ASID in a VSpace's life: its caps carry it, and a
	 * second one would leave translations cached under the first that no unmap flushes. A
	 * VSpace without one has exactly this cap (vspace_derive_cap), so no other cap is left
	 * without it. */
	if (vs->cap.asid)
		return M6_ERR_ILLEGAL_OPERATION;
	struct asid_pool *pool = (struct asid_pool *)slot->cap.object;
	if (pool->used >= pool->count)
		return M6_ERR_NOT_ENOUGH_MEMORY;
	/* perform */
	uint32_t asid = asid_pool_take(pool, kernel_to_paddr((void *)vs->cap.object));
	vs->cap.asid = asid;
	tcb_set_mr(caller, 0, asid);
	return invocation_ok(caller, 1);
}
