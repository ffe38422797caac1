/* CSpace addressing: resolve a capability pointer through guarded radix tables. Pure
 * logic on caps and slots (host unit-tested). */
#include <kernel/cnode.h>
#include <m6/abi/errors.h>

struct cte *cspace_lookup_slot(const struct cap *root, uint64_t cptr, unsigned depth, int *error)
{
	const struct cap *node = root;
	unsigned remaining = depth;

	if (depth < 1 || depth > 64) {
		*error = M6_ERR_RANGE;
		return NULL;
	}
	for (;;) {
		if (node->type != M6_OBJ_CNODE) {
			*error = M6_ERR_FAILED_LOOKUP;
			return NULL;
		}
		unsigned guard_bits = node->guard_size;
		unsigned radix = node->size_bits;
		if (guard_bits + radix > remaining) {
			*error = M6_ERR_FAILED_LOOKUP;
			return NULL;
		}
		/* Bits are consumed from the most significant end of the remaining depth. */
		uint64_t shifted = remaining == 64 ? cptr : (cptr & MASK(remaining));
		if (guard_bits) {
			uint64_t guard = (shifted >> (remaining - guard_bits)) & MASK(guard_bits);
			if (guard != (node->word & MASK(guard_bits))) {
				*error = M6_ERR_FAILED_LOOKUP;
				return NULL;
			}
		}
		remaining -= guard_bits;
		uint64_t index = (shifted >> (remaining - radix)) & MASK(radix);
		remaining -= radix;
		struct cte *slot = &cnode_slots(node)[index];
		if (remaining == 0)
			return slot;
		/* Bits are left over: they must be resolved by a further CNode. Being
		 * strict here means every cptr names exactly one slot. */
		node = &slot->cap;
	}
}
