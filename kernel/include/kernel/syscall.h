/* System call entry points called from the architecture's trap handlers. */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <kernel/tcb.h>

void handle_syscall(struct tcb *t);
/* Kernel-object invocations (CALL on a cap that is not an endpoint). */
int debug_console_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);
int power_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);
int system_info_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);

#endif
