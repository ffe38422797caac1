/* IPC fastpath: call and reply-receive with register-only messages between threads that
 * need nothing unusual. */
#ifndef KERNEL_FASTPATH_H
#define KERNEL_FASTPATH_H

#include <kernel/tcb.h>

/* Try the system call of `t` on the fastpath. Done: the thread to enter (already made
 * current and switched to). NULL: nothing was changed; take the general path. */
struct tcb *fastpath_ipc(struct tcb *t);

#endif
