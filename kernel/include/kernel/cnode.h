/* CNodes: guarded radix tables of capability slots, and CSpace address resolution. */
#ifndef KERNEL_CNODE_H
#define KERNEL_CNODE_H

#include <kernel/cap.h>

static inline struct cte *cnode_slots(const struct cap *cnode)
{
	return (struct cte *)cnode->object;
}

/* Resolve `depth` bits of `cptr` (most significant of those first) starting at the
 * CNode cap `root`. Returns the slot, or NULL and sets *error (M6_ERR_FAILED_LOOKUP or
 * M6_ERR_RANGE) when a guard mismatches, a non-CNode is crossed, or the depth is bad. */
struct cte *cspace_lookup_slot(const struct cap *root, uint64_t cptr, unsigned depth, int *error);

/* The common case of a depth-64 lookup: a one-level CSpace whose guard covers the bits
 * above the radix. NULL when that shape does not apply or the guard does not match (then
 * cspace_lookup_slot() decides). */
static inline struct cte *cspace_lookup_one_level(const struct cap *root, uint64_t cptr)
{
	if (root->type != M6_OBJ_CNODE || root->guard_size + root->size_bits != 64)
		return NULL;
	if ((cptr >> root->size_bits) != root->word)
		return NULL;
	return &cnode_slots(root)[cptr & MASK(root->size_bits)];
}

#endif
