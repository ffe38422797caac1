/* ASIDs: the ASID space, the pools that divide it, and the lookup ASID -> VSpace root.
 *
 * The CPU tags TLB entries with an ASID (8 or 16 bits, ID_AA64MMFR0_EL1.ASIDBits), so two
 * address spaces that ran under one ASID could use each other's cached translations: an
 * ASID names at most one VSpace at a time, and every change of that is a TLB flush.
 *
 * ASIDs are handed out by ASIDPool objects (object/asid_pool.c), each covering a block of
 * the space, so that whoever runs out runs out of its own quota and no one else's. The
 * pools are made by ASIDControl (object/asid_control.c) from untyped memory, like every
 * kernel object; the boot tables list the system's own pools. A directory maps blocks of
 * 2^ASID_CHUNK_BITS ASIDs to the pool that owns them: its size is fixed by the widest
 * ASID the architecture has, and it holds pointers only, the pools hold the roots. */
#ifndef KERNEL_ASID_POOL_H
#define KERNEL_ASID_POOL_H

#include <kernel/cap.h>

struct tcb;

#define ASID_BITS_MAX   16
#define ASID_CHUNK_BITS 4 /* a pool's block is a whole number of 16-ASID chunks */
#define ASID_CHUNKS_MAX BIT(ASID_BITS_MAX - ASID_CHUNK_BITS)

struct asid_pool {
	uint32_t base;   /* first ASID of the pool */
	uint32_t count;  /* it hands out base .. base + count - 1 */
	uint32_t free;   /* 1 + index of the first free entry below `fresh`, 0 if none; in
	                    a pool being destroyed, where its walk ends (the old `fresh`) */
	uint32_t fresh;  /* entries at and above it were never handed out; in a pool being
	                    destroyed (ASID_POOL_DYING in `base`), the walk's cursor */
	paddr_t roots[]; /* the root of the VSpace holding base + i; a free entry below
	                    `fresh` holds the free list's next link: (1 + index) << 1 | 1 */
};

/* Set in `base` while the pool is being destroyed (asid_pool_begin_release). */
#define ASID_POOL_DYING       (1u << 31)

#define ASID_POOL_HEADER_SIZE 16
_Static_assert(sizeof(struct asid_pool) == ASID_POOL_HEADER_SIZE, "pool header");

extern struct asid_pool *asid_directory[ASID_CHUNKS_MAX];

/* The root of the VSpace that holds `asid` now, 0 if none (ASID 0, one of no pool, one
 * free in its pool). A VSpace cap is usable only while this names its own root: its
 * ASID can go with its pool while the cap remains. On every address space switch. */
static inline paddr_t asid_root(uint32_t asid)
{
	/* The mask keeps the directory index in range; an ASID beyond 16 bits then falls
	 * outside the pool's count, like one below its base (the subtraction wraps). */
	const struct asid_pool *pool =
	    asid_directory[(asid >> ASID_CHUNK_BITS) & (ASID_CHUNKS_MAX - 1)];
	if (!pool)
		return 0;
	uint32_t index = asid - (pool->base & ~ASID_POOL_DYING);
	if (index >= pool->count)
		return 0;
	paddr_t root = pool->roots[index];
	return root & 1 ? 0 : root; /* a free entry's link is odd: a root is page aligned */
}

/* log2 of the size of a pool of `count` ASIDs (its header and one root per ASID); 0 if
 * no CPU has that many. Pure, for the retype arithmetic. */
static inline unsigned asid_pool_size_bits(uint64_t count)
{
	if (count < 1 || count >= BIT(ASID_BITS_MAX))
		return 0;
	uint64_t size = ASID_POOL_HEADER_SIZE + count * sizeof(paddr_t);
	unsigned bits = 5;
	while (BIT(bits) < size)
		bits++;
	return bits;
}

/* Boot: size the ASID space from the CPU's width (8 or 16 bits) and report it. */
void asid_init(unsigned bits);
/* ASIDs a pool may cover at most on this CPU: all but ASID 0 (the empty address space). */
uint32_t asid_usable(void);

/* Find a free block for a pool of `count` ASIDs: its first ASID, or false. No effect. */
bool asid_block_find(uint64_t count, uint32_t *base);
/* Make `pool` (fresh, zeroed memory) the owner of the block asid_block_find() gave. */
void asid_pool_init(struct asid_pool *pool, uint32_t base, uint32_t count);
/* Give the VSpace rooted at `root` a free ASID of the pool (TLB flushed for it); 0 if
 * the pool has none left. */
uint32_t asid_pool_take(struct asid_pool *pool, paddr_t root);
/* A VSpace goes: give its ASID back, if the ASID is still its own (its pool may have gone
 * and the ASID moved on to another VSpace since). */
void asid_release(uint32_t asid, paddr_t root);
/* The pool's last cap goes: every VSpace that holds one of its ASIDs loses it (none of
 * them can be mapped into or run again), their TLB entries are flushed and the block is
 * free for a new pool. */
/* The pool's last cap is going: it hands out nothing more, and its VSpaces lose their
 * ASIDs in bounded steps (the deletion job, core/delete.c) until release_some says done;
 * then its block is free. */
void asid_pool_begin_release(struct asid_pool *pool);
bool asid_pool_release_some(struct asid_pool *pool, unsigned max);
/* No ASID left to hand out. */
bool asid_pool_full(const struct asid_pool *pool);

int asid_pool_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);
int asid_control_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);

#endif
