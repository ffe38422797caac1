/* Helpers shared by the invocation decoders. */
#ifndef KERNEL_INVOCATION_H
#define KERNEL_INVOCATION_H

#include <kernel/tcb.h>
#include <m6/abi/errors.h>

/* Resolve a cap argument (a cptr in the caller's CSpace, depth 64). NULL and *error set
 * when it does not resolve or the slot is empty. */
struct cte *lookup_cap_arg(struct tcb *caller, word_t cptr, int *error);
/* Same, but the cap must be of `type` (else M6_ERR_INVALID_CAP). */
struct cte *lookup_typed_arg(struct tcb *caller, word_t cptr, unsigned type, int *error);
/* `count` empty slots from `first` in the CNode named by `cnode_cptr` (a cap argument),
 * for new caps: the CNode cap needs WRITE; the range must lie in the CNode (RANGE) and be
 * empty (DELETE_FIRST). NULL and *error set otherwise. */
struct cte *lookup_empty_slots(struct tcb *caller, word_t cnode_cptr, word_t first, word_t count,
                               int *error);
/* Resolve (index, depth) relative to a CNode cap; the slot may be empty. */
struct cte *lookup_slot_in(const struct cap *cnode, word_t index, word_t depth, int *error);

/* Complete an invocation successfully with `length` result MRs already set. */
static inline int invocation_ok(struct tcb *caller, unsigned length)
{
	tcb_set_result(caller, M6_OK, m6_msginfo(0, length), 0);
	return M6_OK;
}

int untyped_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);
int cnode_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);

#endif
