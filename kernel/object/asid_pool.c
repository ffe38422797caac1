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
#include <kernel/smp.h>
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
	/* Every entry starts as never used (at or above `fresh`), so making a pool of 65,535
	 * ASIDs costs no more than one of 16: no free list to build. */
	pool->base = base;
	pool->count = count;
	pool->free = 0;
	pool->fresh = 0;
	uint32_t last = base + count - 1;
	for (uint32_t c = base >> ASID_CHUNK_BITS; c <= last >> ASID_CHUNK_BITS; c++)
		asid_directory[c] = pool;
}

bool asid_pool_full(const struct asid_pool *pool)
{
	return pool->free == 0 && pool->fresh >= pool->count;
}

uint32_t asid_pool_take(struct asid_pool *pool, paddr_t root)
{
	/* O(1): a released entry first (its TLB entries went when it was released), else
	 * the next never-used one. Never a search, whatever the pool's size. */
	uint32_t i;
	if (pool->free) {
		i = pool->free - 1;
		pool->free = (uint32_t)(pool->roots[i] >> 1);
	} else if (pool->fresh < pool->count) {
		i = pool->fresh++;
	} else {
		return 0;
	}
	pool->roots[i] = root;
	arch_vspace_set_asid(root, pool->base + i);
	/* A VSpace that held it before was flushed when it let go; this covers anything
	 * cached under it since boot as well. */
	arch_tlb_flush_asid(pool->base + i);
	return pool->base + i;
}

void asid_release(uint32_t asid, paddr_t root)
{
	if (!root || asid_root(asid) != root)
		return; /* not its ASID (any more) */
	struct asid_pool *pool = asid_directory[asid >> ASID_CHUNK_BITS];
	uint32_t i = asid - (pool->base & ~ASID_POOL_DYING);
	if (pool->base & ASID_POOL_DYING) {
		pool->roots[i] = 1; /* free, on no list: the pool hands out nothing more */
	} else {
		pool->roots[i] = ((paddr_t)pool->free << 1) | 1;
		pool->free = i + 1;
	}
	arch_vspace_set_asid(root, 0);
	arch_tlb_flush_asid(asid);
}

void asid_pool_begin_release(struct asid_pool *pool)
{
	/* Entries at and above `fresh` were never used: the walk ends there. */
	pool->free = pool->fresh;
	pool->fresh = 0;
	pool->base |= ASID_POOL_DYING;
}

bool asid_pool_release_some(struct asid_pool *pool, unsigned max)
{
	/* Bounded steps for the deletion job (core/delete.c): at most `max` entries a call,
	 * each a few loads, or a TLB flush and a switch check when a VSpace holds it. A
	 * VSpace deleted meanwhile has let go of its entry already (asid_release). */
	uint32_t base = pool->base & ~ASID_POOL_DYING;
	for (; max && pool->fresh < pool->free; max--, pool->fresh++) {
		uint32_t i = pool->fresh;
		paddr_t root = pool->roots[i];
		if (!root || (root & 1))
			continue;
		/* A thread of this VSpace on the CPU leaves it now; the others find its ASID
		 * gone when they are switched to (arch_load_vspace) and fault at once. */
		smp_vspace_forget(root);
		arch_vspace_set_asid(root, 0);
		pool->roots[i] = 1;
		arch_tlb_flush_asid(base + i);
	}
	if (pool->fresh < pool->free)
		return false;
	/* The block is free for the next pool only now: until here its ASIDs could still be
	 * cached in the TLB under a VSpace not yet visited. */
	uint32_t last = base + pool->count - 1;
	for (uint32_t c = base >> ASID_CHUNK_BITS; c <= last >> ASID_CHUNK_BITS; c++)
		asid_directory[c] = NULL;
	return true;
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
	if (asid_pool_full(pool))
		return M6_ERR_NOT_ENOUGH_MEMORY;
	/* perform */
	uint32_t asid = asid_pool_take(pool, kernel_to_paddr((void *)vs->cap.object));
	vs->cap.asid = asid;
	tcb_set_mr(caller, 0, asid);
	return invocation_ok(caller, 1);
}
