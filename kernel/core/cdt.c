/* Capability derivation tree: a pre-order list with depths (see kernel/cap.h). */
#include <kernel/cap.h>
#include <kernel/string.h>

void cdt_insert_child(struct cte *parent, struct cte *child, const struct cap *cap)
{
	/* Insert directly after the parent: the new child precedes older siblings, which
	 * keeps every subtree contiguous. */
	child->cap = *cap;
	child->cdt_depth = parent->cdt_depth + 1;
	child->cdt_prev = parent;
	child->cdt_next = parent->cdt_next;
	if (parent->cdt_next)
		parent->cdt_next->cdt_prev = child;
	parent->cdt_next = child;
}

void cdt_insert_sibling(struct cte *sibling, struct cte *slot, const struct cap *cap)
{
	/* Right after the sibling would split the sibling's own subtree; go past it. */
	struct cte *after = sibling;
	while (after->cdt_next && after->cdt_next->cdt_depth > sibling->cdt_depth)
		after = after->cdt_next;
	slot->cap = *cap;
	slot->cdt_depth = sibling->cdt_depth;
	slot->cdt_prev = after;
	slot->cdt_next = after->cdt_next;
	if (after->cdt_next)
		after->cdt_next->cdt_prev = slot;
	after->cdt_next = slot;
}

void cdt_insert_root(struct cte *slot, const struct cap *cap)
{
	slot->cap = *cap;
	slot->cdt_depth = 0;
	slot->cdt_prev = NULL;
	slot->cdt_next = NULL;
}

bool cdt_has_children(const struct cte *slot)
{
	return slot->cdt_next && slot->cdt_next->cdt_depth > slot->cdt_depth;
}

void cdt_remove(struct cte *slot)
{
	/* Children of a removed slot move up one level so that they stay descendants of
	 * the removed slot's parent (a delete never orphans authority silently). */
	for (struct cte *c = slot->cdt_next; c && c->cdt_depth > slot->cdt_depth; c = c->cdt_next)
		c->cdt_depth--;
	if (slot->cdt_prev)
		slot->cdt_prev->cdt_next = slot->cdt_next;
	if (slot->cdt_next)
		slot->cdt_next->cdt_prev = slot->cdt_prev;
	memset(&slot->cap, 0, sizeof(slot->cap));
	slot->cdt_prev = slot->cdt_next = NULL;
	slot->cdt_depth = 0;
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
	to->cap = *new_cap;
	to->cdt_prev = from->cdt_prev;
	to->cdt_next = from->cdt_next;
	to->cdt_depth = from->cdt_depth;
	if (to->cdt_prev)
		to->cdt_prev->cdt_next = to;
	if (to->cdt_next)
		to->cdt_next->cdt_prev = to;
	memset(&from->cap, 0, sizeof(from->cap));
	from->cdt_prev = from->cdt_next = NULL;
	from->cdt_depth = 0;
}
