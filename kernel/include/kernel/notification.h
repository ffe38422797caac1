/* Notifications: a word of pending bits that senders OR their badge into, and threads
 * wait on. Interrupts and timers arrive this way. */
#ifndef KERNEL_NOTIFICATION_H
#define KERNEL_NOTIFICATION_H

#include <kernel/tcb.h>

struct notification {
	uint64_t word;
	struct thread_queue waiters;
	struct tcb *bound_tcb;
};

#define NOTIFICATION_SIZE_BITS 5
_Static_assert(sizeof(struct notification) <= (1u << NOTIFICATION_SIZE_BITS), "size");

void notification_signal(struct notification *n, uint64_t badge);
void notification_wait(struct notification *n, struct tcb *t, bool blocking);
void notification_bind(struct notification *n, struct tcb *t);
void notification_unbind_tcb(struct tcb *t);
/* Last cap gone: unbind its TCB and release up to `max` waiters (M6_ERR_INVALID_CAP);
 * true when none is left. */
bool notification_release_waiters(struct notification *n, unsigned max);
/* An object that signals a notification (IRQ handler, timer) keeps a copy of the cap in
 * `slot`. Decode MR0 (a notification cptr with the write right, or 0 for none) and
 * replace the copy. Returns an M6 error; on success the result registers are set. */
int notification_set_signal_slot(struct cte *slot, struct tcb *caller, unsigned length);

#endif
