/* Interrupts delivered to user space: IRQControl issues one IRQHandler per line; an
 * interrupt masks its line and signals the handler's notification until acknowledged. */
#ifndef KERNEL_IRQ_H
#define KERNEL_IRQ_H

#include <kernel/tcb.h>

#define IRQ_LINES 1020 /* GICv3 INTIDs 0..1019 */

/* Called by the arch layer for an interrupt that is not the kernel's own. */
void irq_deliver(unsigned irq);
/* Boot: issue a handler for `irq` (as a cap the boot installer places). */
int irq_issue(unsigned irq, bool edge);
void irq_handler_finalise(unsigned irq);
int irq_control_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);
int irq_handler_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);

#endif
