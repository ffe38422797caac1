/* Capability deletion and revocation, and object finalisation when the last cap to an
 * object goes. */
#ifndef KERNEL_DELETE_H
#define KERNEL_DELETE_H

#include <kernel/cap.h>

/* Delete the cap in `slot` (which may be empty). */
void cap_delete(struct cte *slot);
/* Delete every cap derived from the one in `slot`; an Untyped's memory becomes reusable
 * once nothing derived from it is left. */
void cap_revoke(struct cte *slot);

#endif
