/* Capabilities, capability table entries (slots) and the capability derivation tree.
 *
 * A cap names an object and carries rights plus a type-specific word (badge, guard, ...).
 * Every slot also sits in the derivation tree (CDT), kept as one doubly linked list in
 * pre-order. Each entry carries two numbers: its depth `d`, which says what its own
 * subtree is (the entries that follow it contiguously with a key greater than d), and its
 * key `k` <= d, which is how the entries before it see it. A child goes right after its
 * parent with d = k = parent.d + 1. Removing an entry is O(1): it is unlinked and its
 * successor's key drops to min(successor.k, removed.k), so the successor keeps the
 * removed entry's boundary (an earlier sibling never adopts the removed entry's children;
 * its parent does) and no descendant has to be renumbered. Invariant: for adjacent (u, v),
 * v.k <= u.d + 1, so a new child inserted after its parent never adopts the parent's
 * existing descendants. Revoke is a forward walk that deletes the successor while its key
 * is greater than the slot's depth: O(1) per cap removed, no recursion, no extra memory.
 * Depths are 64-bit: d only grows along a line of derivations (a copy whose source was
 * deleted keeps its d), and 2^64 derivations cannot happen. */
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
	uint64_t cdt_depth; /* d: the following entries with a key > d are this one's subtree */
	uint64_t cdt_key;   /* k <= d: how the entries before this one see it */
};

#define CTE_SIZE_BITS 6
_Static_assert(sizeof(struct cte) == (1u << CTE_SIZE_BITS), "slot size");

/* A slot whose object is still being destroyed (core/delete.c) holds a zombie: a cap of
 * this kernel-internal type, which no lookup, copy, move or invocation accepts. It keeps
 * the slot's place in the derivation tree until the destruction is over. Never seen by
 * user space: it is not an enum m6_object_type. */
#define CAP_ZOMBIE 0xffu

static inline bool cap_is_null(const struct cap *cap)
{
	return cap->type == M6_OBJ_NULL;
}

static inline bool cap_is_zombie(const struct cap *cap)
{
	return cap->type == CAP_ZOMBIE;
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

/* Derivation tree verbs, each O(1) except cdt_insert_sibling (boot only). `child` must
 * be empty; it becomes the first child of `parent`, holding the given cap. */
void cdt_insert_child(struct cte *parent, struct cte *child, const struct cap *cap);
/* Insert `slot` as a sibling of `sibling` (a copy of equal standing), after the latter's
 * subtree: linear in that subtree, which at boot is empty. */
void cdt_insert_sibling(struct cte *sibling, struct cte *slot, const struct cap *cap);
/* Place an original cap (no parent) at the end of the tree after `after` (may be NULL). */
void cdt_insert_root(struct cte *slot, const struct cap *cap);
/* Whether anything is derived from the cap in `slot`. Inline: retype and revoke ask it on
 * every call, revoke once per deletion. */
static inline bool cdt_has_children(const struct cte *slot)
{
	return slot->cdt_next && slot->cdt_next->cdt_key > slot->cdt_depth;
}
/* Whether this is the only cap to its object. All caps to one object sit next to each
 * other in the tree (copies are inserted beside their source), so a look at the two
 * neighbours decides it. */
bool cdt_is_final(const struct cte *slot);
/* Unlink the slot from the tree and empty its cap; its children go to its parent. */
void cdt_remove(struct cte *slot);
/* Move a cap to an empty slot, keeping its place in the tree. */
void cdt_move(struct cte *from, struct cte *to, const struct cap *new_cap);

#endif
