/* IPC fastpath: call and reply-receive with register-only messages between threads that
 * need nothing unusual. */
#ifndef KERNEL_FASTPATH_H
#define KERNEL_FASTPATH_H

#include <kernel/tcb.h>

/* Try the system call of `t` on the fastpath (called from the exception vector by
 * syscall number). Done: the thread to enter (already made current and switched to).
 * NULL: nothing was changed; take the general path. */
struct tcb *fastpath_call(struct tcb *t);
struct tcb *fastpath_reply_recv(struct tcb *t);
/* A Linux-ABI thread's svc, whatever its number (the vector sends it here and to no
 * other fastpath): its fault message straight to a waiting handler. */
struct tcb *fastpath_linux_syscall(struct tcb *t);
/* SEND/NBSEND (signal) and RECV (wait) on a notification. */
struct tcb *fastpath_event(struct tcb *t);

#endif
