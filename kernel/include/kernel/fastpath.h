/* IPC fastpath: call and reply-receive with register-only messages between threads that
 * need nothing unusual. */
#ifndef KERNEL_FASTPATH_H
#define KERNEL_FASTPATH_H

#include <kernel/tcb.h>

/* Try the system call of `t` on the fastpath. True: done, and this_cpu()->current is the
 * thread to enter (already switched to). False: nothing was changed; take the general
 * path. */
bool fastpath_ipc(struct tcb *t);

#endif
