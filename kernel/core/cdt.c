/* Capability derivation tree: a pre-order list with a depth and a key per entry (see
 * kernel/cap.h for the rules and the invariant every verb keeps). */
#include <kernel/cap.h>

#ifdef M6_HOST_TEST
/* Entries touched by the verbs, for the host tests that prove them O(1). */
uint64_t cdt_steps;
#define COUNT_STEP() (cdt_steps++)
#else
#define COUNT_STEP() ((void)0)
#endif

static void link_after(struct cte *after, struct cte *slot)
{
	slot->cdt_prev = after;
	slot->cdt_next = after->cdt_next;
	if (after->cdt_next)
		after->cdt_next->cdt_prev = slot;
	after->cdt_next = slot;
}

void cdt_insert_child(struct cte *parent, struct cte *child, const struct cap *cap)
{
	/* Right after the parent, with a key one above its depth: the parent sees the new
	 * entry as a descendant, and the invariant (next.k <= parent.d + 1) keeps the
	 * parent's older descendants out of the new child's subtree. */
	COUNT_STEP();
	child->cap = *cap;
	child->cdt_depth = parent->cdt_depth + 1;
	child->cdt_key = child->cdt_depth;
	link_after(parent, child);
}

void cdt_insert_sibling(struct cte *sibling, struct cte *slot, const struct cap *cap)
{
	/* Right after the sibling would put the new entry inside the sibling's subtree (its
	 * children would become the new entry's); go past that subtree. Same depth, and the
	 * sibling's key: every earlier entry sees the two alike. */
	struct cte *after = sibling;
	while (after->cdt_next && after->cdt_next->cdt_key > sibling->cdt_depth) {
		COUNT_STEP();
		after = after->cdt_next;
	}
	COUNT_STEP();
	slot->cap = *cap;
	slot->cdt_depth = sibling->cdt_depth;
	slot->cdt_key = sibling->cdt_key;
	link_after(after, slot);
}

void cdt_insert_root(struct cte *slot, const struct cap *cap)
{
	slot->cap = *cap;
	slot->cdt_depth = 0;
	slot->cdt_key = 0;
	slot->cdt_prev = NULL;
	slot->cdt_next = NULL;
}

void cdt_remove(struct cte *slot)
{
	/* The successor inherits the removed entry's boundary: whoever did not count the
	 * removed entry as a descendant does not count the successor either, and whoever
	 * did still does. The removed entry's children thereby belong to its parent. */
	COUNT_STEP();
	struct cte *next = slot->cdt_next;
	if (next && slot->cdt_key < next->cdt_key)
		next->cdt_key = slot->cdt_key;
	if (slot->cdt_prev)
		slot->cdt_prev->cdt_next = next;
	if (next)
		next->cdt_prev = slot->cdt_prev;
	/* A whole-slot store, not memset(): the compiler writes 64 bytes with four stp
	 * instead of calling out (every delete and revoke comes here). */
	*slot = (struct cte){0};
}

bool cdt_is_final(const struct cte *slot)
{
	if (slot->cdt_prev && cap_same_object(&slot->cdt_prev->cap, &slot->cap))
		return false;
	if (slot->cdt_next && cap_same_object(&slot->cdt_next->cap, &slot->cap))
		return false;
	return true;
}

void cdt_move(struct cte *from, struct cte *to, const struct cap *new_cap)
{
	COUNT_STEP();
	to->cap = *new_cap;
	to->cdt_prev = from->cdt_prev;
	to->cdt_next = from->cdt_next;
	to->cdt_depth = from->cdt_depth;
	to->cdt_key = from->cdt_key;
	if (to->cdt_prev)
		to->cdt_prev->cdt_next = to;
	if (to->cdt_next)
		to->cdt_next->cdt_prev = to;
	*from = (struct cte){0};
}
