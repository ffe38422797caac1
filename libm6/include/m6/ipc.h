/* Server loops: receive, dispatch by label, reply, with notifications bound to the
 * server thread delivered to a second handler. */
#ifndef M6_IPC_H
#define M6_IPC_H

#include <stdint.h>

#include <m6/syscall.h>

/* Handles one request: `m` holds it (label, words, badge: the client's identity) and
 * must hold the answer on return; return 0 to reply, non-zero to send no reply (the
 * caller is released with M6_ERR_NO_REPLY at the next receive). m6idl's generated
 * NAME_serve() loops (badge check, decode, one function per method) run on this. */
typedef int (*m6_request_handler)(void *ctx, struct m6_msg *m);
/* Handles the word of the notification bound to the server thread. */
typedef void (*m6_notification_handler)(void *ctx, uint64_t word);

/* Serve `ep` forever. With a notification bound to the thread (m6_tcb_bind_notification),
 * its signals arrive between requests and go to `on_notification` (may be NULL). */
__attribute__((noreturn)) void m6_serve(m6_cptr_t ep, m6_request_handler on_request,
                                        m6_notification_handler on_notification, void *ctx);

#endif
