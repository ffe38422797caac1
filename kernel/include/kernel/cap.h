/* Capabilities, capability table entries (slots) and the capability derivation tree.
 *
 * A cap names an object and carries rights plus a type-specific word (badge, guard, ...).
 * Every slot also sits in the derivation tree, kept seL4-style as one doubly linked list in
 * pre-order with explicit depths: the descendants of a slot are exactly the entries that
 * follow it with a greater depth. Revoke is then a forward walk, with no recursion and no
 * extra memory. */
#ifndef KERNEL_CAP_H
#define KERNEL_CAP_H

#include <kernel/types.h>
#include <m6/abi/message.h>
#include <m6/abi/objects.h>
#include <m6/abi/syscalls.h>

struct cap {
	uint8_t type;       /* enum m6_object_type; M6_OBJ_NULL for an empty slot */
	uint8_t rights;     /* enum m6_right mask */
	uint8_t size_bits;  /* Untyped: log2 size; CNode: radix; Frame: page size bits */
	uint8_t guard_size; /* CNode: number of guard bits consumed before indexing */
	uint32_t asid;      /* VSpace: its ASID; Frame/PageTable: ASID it is mapped in */
	uintptr_t object;   /* kernel address of the object (Frame: of the page); IRQHandler:
	                       the interrupt ID; kernel singletons: 0 */
	uint64_t word;      /* Endpoint/Notification/Timer: badge; CNode: guard;
	                       Untyped: bytes used (watermark); IRQHandler: trigger */
	uint64_t mapped_va; /* Frame/PageTable: where it is mapped, valid if asid != 0;
	                       Untyped: 1 for device memory */
};

struct cte {
	struct cap cap;
	struct cte *cdt_prev;
	struct cte *cdt_next;
	uint32_t cdt_depth;
	/* Scratch for the owner of the slot array, never touched by the CDT verbs: a CNode
	 * being destroyed keeps its place on the deletion stack here (core/delete.c). */
	uint32_t scratch;
	uint64_t scratch2;
};

#define CTE_SIZE_BITS 6
_Static_assert(sizeof(struct cte) == (1u << CTE_SIZE_BITS), "slot size");

static inline bool cap_is_null(const struct cap *cap)
{
	return cap->type == M6_OBJ_NULL;
}

static inline bool cap_has_rights(const struct cap *cap, unsigned rights)
{
	return (cap->rights & rights) == rights;
}

/* Two caps name the same object (badges and rights may differ). */
static inline bool cap_same_object(const struct cap *a, const struct cap *b)
{
	return a->type == b->type && a->object == b->object && a->size_bits == b->size_bits;
}

/* Derivation tree verbs. `child` must be empty; it becomes a derived copy of `parent`'s
 * position with the given cap. */
void cdt_insert_child(struct cte *parent, struct cte *child, const struct cap *cap);
/* Insert `slot` right after `sibling`, at the same depth (a copy of equal standing). */
void cdt_insert_sibling(struct cte *sibling, struct cte *slot, const struct cap *cap);
/* Place an original cap (no parent) at the end of the tree after `after` (may be NULL). */
void cdt_insert_root(struct cte *slot, const struct cap *cap);
bool cdt_has_children(const struct cte *slot);
/* Whether this is the only cap to its object. All caps to one object sit next to each
 * other in the tree (copies are inserted beside their source), so a look at the two
 * neighbours decides it. */
bool cdt_is_final(const struct cte *slot);
/* Unlink the slot from the tree and empty its cap. */
void cdt_remove(struct cte *slot);
/* Move a cap to an empty slot, keeping its place in the tree. */
void cdt_move(struct cte *from, struct cte *to, const struct cap *new_cap);

#endif
