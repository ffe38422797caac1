/* Capability deletion and revocation, and object finalisation when the last cap to an
 * object goes. Long work (emptying CNodes, releasing many waiters, cancelling many badged
 * sends) is done in bounded steps between preemption checks: see core/delete.c. */
#ifndef KERNEL_DELETE_H
#define KERNEL_DELETE_H

#include <kernel/cap.h>
#include <m6/abi/errors.h>

/* Delete the cap in `slot` (which may be empty). M6_OK when it and everything its
 * deletion entailed is done; KERNEL_RESTART when an interrupt is pending first (the slot
 * may then hold a zombie, and the invocation is issued again to go on). */
int cap_delete(struct cte *slot);
/* Delete every cap derived from the one in `slot`; an Untyped's memory becomes reusable
 * once nothing derived from it is left. M6_OK or KERNEL_RESTART, as cap_delete(). */
int cap_revoke(struct cte *slot);
/* For an object's finalisation: delete a cap the object holds itself. The slot is empty
 * on return; work that takes long joins the pending job, which the delete or revoke in
 * progress finishes. */
void cap_delete_nested(struct cte *slot);
/* Whether a job is pending, and finish it: M6_OK, or KERNEL_RESTART when an interrupt is
 * pending first. Every operation that deletes caps or reuses memory calls it first. */
bool delete_job_pending(void);
int delete_job_finish_slow(void);
/* Set while a job may be pending (core/delete.c); false means none is. */
extern bool delete_job_active;
/* Inline because every delete, revoke and retype asks and almost never finds a job: the
 * usual answer is one load and a branch. */
static inline int delete_job_finish(void)
{
	return delete_job_active ? delete_job_finish_slow() : M6_OK;
}

#endif
