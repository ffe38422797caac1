/* CNodes: capability addressing through guarded radix tables, and the invocations that
 * copy, mint, move, mutate, rotate, delete and revoke caps. */
#include <kernel/cnode.h>
#include <kernel/delete.h>
#include <kernel/invocation.h>
#include <kernel/tcb.h>
#include <kernel/vspace.h>
#include <m6/abi/errors.h>

struct cte *lookup_slot_in(const struct cap *cnode, word_t index, word_t depth, int *error)
{
	if (depth < 1 || depth > 64) {
		*error = M6_ERR_RANGE;
		return NULL;
	}
	return cspace_lookup_slot(cnode, index, (unsigned)depth, error);
}

struct cte *lookup_cap_arg(struct tcb *caller, word_t cptr, int *error)
{
	struct cte *slot = cspace_lookup_one_level(&caller->cspace_root.cap, cptr);
	if (!slot)
		slot = cspace_lookup_slot(&caller->cspace_root.cap, cptr, 64, error);
	/* A zombie (an object being destroyed) is no cap to use. */
	if (slot && (cap_is_null(&slot->cap) || cap_is_zombie(&slot->cap))) {
		*error = M6_ERR_INVALID_CAP;
		return NULL;
	}
	return slot;
}

struct cte *lookup_typed_arg(struct tcb *caller, word_t cptr, unsigned type, int *error)
{
	struct cte *slot = lookup_cap_arg(caller, cptr, error);
	if (slot && slot->cap.type != type) {
		*error = M6_ERR_INVALID_CAP;
		return NULL;
	}
	return slot;
}

struct cte *lookup_empty_slots(struct tcb *caller, word_t cnode_cptr, word_t first, word_t count,
                               int *error)
{
	struct cte *dest = lookup_typed_arg(caller, cnode_cptr, M6_OBJ_CNODE, error);
	if (!dest)
		return NULL;
	/* Filling a slot changes the CNode: it takes the write right. */
	if (!cap_has_rights(&dest->cap, M6_RIGHT_WRITE)) {
		*error = M6_ERR_INSUFFICIENT_RIGHTS;
		return NULL;
	}
	word_t slots = BIT(dest->cap.size_bits);
	if (first >= slots || count > slots - first) {
		*error = M6_ERR_RANGE;
		return NULL;
	}
	struct cte *s = &cnode_slots(&dest->cap)[first];
	for (word_t i = 0; i < count; i++) {
		if (!cap_is_null(&s[i].cap)) {
			*error = M6_ERR_DELETE_FIRST;
			return NULL;
		}
	}
	return s;
}

static bool has_badge(unsigned type)
{
	return type == M6_OBJ_ENDPOINT || type == M6_OBJ_NOTIFICATION || type == M6_OBJ_TIMER;
}

/* The cap a copy or mint of `src` gives: rights only ever shrink; a badge or a guard can
 * be set once, on an unbadged cap. Returns an error if `data` cannot be applied. */
static int derive(const struct cap *src, word_t rights, bool set_data, word_t data, struct cap *out)
{
	*out = *src;
	out->rights = (uint8_t)(src->rights & rights);
	if (!set_data || data == 0)
		return M6_OK;
	if (has_badge(src->type)) {
		if (src->word != 0)
			return M6_ERR_ILLEGAL_OPERATION;
		out->word = data;
		return M6_OK;
	}
	if (src->type == M6_OBJ_CNODE) {
		/* data = guard size (6 bits) | guard << 6 */
		unsigned guard_size = data & 0x3f;
		if (guard_size + src->size_bits > 64)
			return M6_ERR_RANGE;
		out->guard_size = (uint8_t)guard_size;
		out->word = guard_size ? (data >> 6) & MASK(guard_size) : 0;
		return M6_OK;
	}
	return M6_ERR_INVALID_ARGUMENT;
}

/* Resolve a source slot argument: (root cptr, index, depth), which must hold a cap. A
 * source that the operation empties (move, mutate, rotate) needs the write right on its
 * root, as the destination does: `rights` is what the root must carry. */
static struct cte *lookup_source(struct tcb *caller, word_t root, word_t index, word_t depth,
                                 unsigned rights, int *error)
{
	struct cte *r = lookup_typed_arg(caller, root, M6_OBJ_CNODE, error);
	if (!r)
		return NULL;
	if (!cap_has_rights(&r->cap, rights)) {
		*error = M6_ERR_INSUFFICIENT_RIGHTS;
		return NULL;
	}
	struct cte *slot = lookup_slot_in(&r->cap, index, depth, error);
	if (slot && (cap_is_null(&slot->cap) || cap_is_zombie(&slot->cap))) {
		*error = M6_ERR_INVALID_CAP; /* the slot exists but holds nothing usable */
		return NULL;
	}
	return slot;
}

/* The (dest, src) pair every copy/mint/move/mutate starts with: MR0,1 an empty slot in
 * the invoked CNode, MR2..4 a full slot anywhere in the caller's CSpace, whose root
 * carries `src_rights`. */
static int lookup_dest_and_source(struct cte *node, struct tcb *caller, unsigned src_rights,
                                  struct cte **dest, struct cte **src)
{
	int error;
	*dest = lookup_slot_in(&node->cap, tcb_get_mr(caller, 0), tcb_get_mr(caller, 1), &error);
	if (!*dest)
		return error;
	*src = lookup_source(caller, tcb_get_mr(caller, 2), tcb_get_mr(caller, 3),
	                     tcb_get_mr(caller, 4), src_rights, &error);
	if (!*src)
		return error;
	return cap_is_null(&(*dest)->cap) ? M6_OK : M6_ERR_DELETE_FIRST;
}

static int copy_or_mint(struct cte *node, struct tcb *caller, unsigned length, bool mint)
{
	struct cte *dest, *src;
	if (length < (mint ? 7u : 6u))
		return M6_ERR_INVALID_ARGUMENT;
	int error = lookup_dest_and_source(node, caller, 0, &dest, &src);
	if (error != M6_OK)
		return error;
	/* An untyped's watermark lives in its cap: two caps would hand out one memory twice. */
	if (src->cap.type == M6_OBJ_UNTYPED)
		return M6_ERR_ILLEGAL_OPERATION;
	struct cap cap;
	error =
	    derive(&src->cap, tcb_get_mr(caller, 5), mint, mint ? tcb_get_mr(caller, 6) : 0, &cap);
	if (error == M6_OK)
		error = vspace_derive_cap(&cap); /* what a copy of a mapping is */
	if (error != M6_OK)
		return error;
	/* perform */
	cdt_insert_child(src, dest, &cap);
	return invocation_ok(caller, 0);
}

static int move_or_mutate(struct cte *node, struct tcb *caller, unsigned length, bool mutate)
{
	struct cte *dest, *src;
	if (length < (mutate ? 6u : 5u))
		return M6_ERR_INVALID_ARGUMENT;
	int error = lookup_dest_and_source(node, caller, M6_RIGHT_WRITE, &dest, &src);
	if (error != M6_OK)
		return error;
	struct cap cap = src->cap;
	if (mutate) {
		struct cap derived;
		error = derive(&src->cap, M6_RIGHTS_ALL, true, tcb_get_mr(caller, 5), &derived);
		if (error != M6_OK)
			return error;
		/* A mutate keeps the mapping a frame cap has: it is the same cap, moved. */
		cap.word = derived.word;
		cap.guard_size = derived.guard_size;
	}
	/* perform */
	cdt_move(src, dest, &cap);
	return invocation_ok(caller, 0);
}

static int set_badge(struct cap *cap, word_t badge)
{
	if (badge == 0)
		return M6_OK;
	struct cap out;
	int error = derive(cap, M6_RIGHTS_ALL, true, badge, &out);
	if (error == M6_OK)
		*cap = out;
	return error;
}

static int rotate(struct cte *node, struct tcb *caller, unsigned length)
{
	int error;
	if (length < 10)
		return M6_ERR_INVALID_ARGUMENT;
	struct cte *dest =
	    lookup_slot_in(&node->cap, tcb_get_mr(caller, 0), tcb_get_mr(caller, 1), &error);
	if (!dest)
		return error;
	struct cte *pivot = lookup_source(caller, tcb_get_mr(caller, 2), tcb_get_mr(caller, 3),
	                                  tcb_get_mr(caller, 4), M6_RIGHT_WRITE, &error);
	if (!pivot)
		return error;
	struct cte *src = lookup_source(caller, tcb_get_mr(caller, 5), tcb_get_mr(caller, 6),
	                                tcb_get_mr(caller, 7), M6_RIGHT_WRITE, &error);
	if (!src)
		return error;
	if (pivot == src || pivot == dest)
		return M6_ERR_INVALID_ARGUMENT;
	if (dest != src && !cap_is_null(&dest->cap))
		return M6_ERR_DELETE_FIRST;
	/* Moved caps keep everything else, a frame's or page table's mapping included. */
	struct cap pivot_cap = pivot->cap, src_cap = src->cap;
	if ((error = set_badge(&pivot_cap, tcb_get_mr(caller, 8))) != M6_OK)
		return error;
	if ((error = set_badge(&src_cap, tcb_get_mr(caller, 9))) != M6_OK)
		return error;
	/* perform */
	if (dest == src) {
		/* A swap, through a spare slot so that each step is a plain move (which also
		 * copes with the two being neighbours in the derivation tree). */
		static struct cte spare;
		cdt_move(pivot, &spare, &pivot_cap);
		cdt_move(src, pivot, &src_cap);
		cdt_move(&spare, dest, &spare.cap);
	} else {
		cdt_move(pivot, dest, &pivot_cap);
		cdt_move(src, pivot, &src_cap);
	}
	return invocation_ok(caller, 0);
}

int cnode_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	int error;
	if (label < M6_CNODE_COPY || label > M6_CNODE_REVOKE)
		return M6_ERR_ILLEGAL_OPERATION;
	if (!cap_has_rights(&slot->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	switch (label) {
	case M6_CNODE_COPY:
		return copy_or_mint(slot, caller, length, false);
	case M6_CNODE_MINT:
		return copy_or_mint(slot, caller, length, true);
	case M6_CNODE_MOVE:
		return move_or_mutate(slot, caller, length, false);
	case M6_CNODE_MUTATE:
		return move_or_mutate(slot, caller, length, true);
	case M6_CNODE_ROTATE:
		return rotate(slot, caller, length);
	case M6_CNODE_DELETE:
	case M6_CNODE_REVOKE: {
		if (length < 2)
			return M6_ERR_INVALID_ARGUMENT;
		struct cte *target = lookup_slot_in(&slot->cap, tcb_get_mr(caller, 0),
		                                    tcb_get_mr(caller, 1), &error);
		if (!target)
			return error;
		/* perform, in steps: KERNEL_RESTART issues the invocation again, which goes
		 * on where this one stopped. The result last: if the caller's own TCB was
		 * finalised on the way, its registers are inert memory. */
		error = label == M6_CNODE_DELETE ? cap_delete(target) : cap_revoke(target);
		if (error != M6_OK)
			return error;
		return invocation_ok(caller, 0);
	}
	default:
		return M6_ERR_ILLEGAL_OPERATION;
	}
}
