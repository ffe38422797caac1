/* ASIDControl: the kernel singleton that divides the ASID space into pools. A pool's
 * memory comes from an untyped its caller holds (the new cap is the untyped's child, so
 * revoking the untyped deletes the pool), its ASIDs from the free part of the space. Who
 * holds ASIDControl decides every component's ASID quota; the spec gives it to none by
 * default. */
#include <kernel/asid_pool.h>
#include <kernel/cnode.h>
#include <kernel/invocation.h>
#include <kernel/untyped.h>

int asid_control_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	int error;
	if (label != M6_ASID_CONTROL_MAKE_POOL)
		return M6_ERR_ILLEGAL_OPERATION;
	if (!cap_has_rights(&slot->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	if (length < 4)
		return M6_ERR_INVALID_ARGUMENT;
	struct cte *ut = lookup_typed_arg(caller, tcb_get_mr(caller, 0), M6_OBJ_UNTYPED, &error);
	if (!ut)
		return error;
	if (!cap_has_rights(&ut->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	word_t count = tcb_get_mr(caller, 1), index = tcb_get_mr(caller, 3);
	if (count < 1 || count > asid_usable())
		return M6_ERR_RANGE;
	struct cte *target = lookup_empty_slots(caller, tcb_get_mr(caller, 2), index, 1, &error);
	if (!target)
		return error;
	uint64_t offset;
	error = untyped_decode_retype(ut, M6_OBJ_ASID_POOL, (unsigned)count, 1, &offset);
	if (error != M6_OK)
		return error;
	uint32_t base;
	if (!asid_block_find(count, &base))
		return M6_ERR_NOT_ENOUGH_MEMORY; /* the ASID space has no free block that large */
	/* perform */
	struct cap cap;
	untyped_perform_retype(ut, M6_OBJ_ASID_POOL, (unsigned)count, offset, &cap);
	asid_pool_init((struct asid_pool *)cap.object, base, (uint32_t)count);
	cdt_insert_child(ut, target, &cap);
	tcb_set_mr(caller, 0, base);
	tcb_set_mr(caller, 1, count);
	return invocation_ok(caller, 2);
}
