/* Faults become messages to the thread's fault endpoint. */
#ifndef KERNEL_FAULT_H
#define KERNEL_FAULT_H

#include <kernel/tcb.h>

/* Deliver fault `kind` with message registers `mrs[0..count)`; a thread without a usable
 * fault endpoint is reported on the console and stopped. */
void fault_raise(struct tcb *t, unsigned kind, const uint64_t *mrs, unsigned count);
/* A fault handler answered the faulted thread `t` with `replier`'s message. */
void fault_handle_reply(struct tcb *t, struct tcb *replier);

#endif
