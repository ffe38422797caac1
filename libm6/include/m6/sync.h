/* Mutex and condition variable for the threads of one component, built on a
 * notification (the spec's `notification NAME`, one per mutex or condition variable).
 *
 * The mutex is a counter changed with atomics; only contention makes system calls: a
 * thread that finds the mutex held waits on the notification, and an unlock that sees
 * waiters signals it. Signals go through a copy of the notification cap with a non-zero
 * badge, minted at init (the spec's cap has badge 0, and a badge-0 signal that comes
 * before the wait would leave nothing in the word). The word is then one bit wide: two
 * signals before a wait coalesce into one. But an unlock can only follow a completed
 * lock, so there is never more than one signal outstanding, and no wake-up is lost, even
 * when the unlock comes between a locker's increment and its wait. */
#ifndef M6_SYNC_H
#define M6_SYNC_H

#include <stdatomic.h>
#include <stdint.h>

#include <m6/invocations.h>
#include <m6/syscall.h>

struct m6_mutex {
	atomic_uint count;      /* 0 free, 1 held, > 1 held with waiters */
	m6_cptr_t notification; /* waited on */
	m6_cptr_t signal;       /* signalled: a badged copy of `notification` */
};

/* `notification`: an unbadged notification cap with READ and WRITE used by this mutex
 * only (the spec's `notification NAME`). Takes one free CNode slot for the badged copy
 * (<m6/caps.h>). Returns M6_OK, else the error of minting the copy: the mutex then
 * signals through `notification` itself, which loses wake-ups unless that cap is
 * badged already. */
uint64_t m6_mutex_init(struct m6_mutex *m, m6_cptr_t notification);
void m6_mutex_lock(struct m6_mutex *m);
/* Returns 1 when it took the mutex, 0 when the mutex was held. */
int m6_mutex_trylock(struct m6_mutex *m);
void m6_mutex_unlock(struct m6_mutex *m);

/* Condition variable: a generation counter plus a notification. m6_cond_signal wakes
 * every waiter (POSIX allows waking more than one); a woken waiter passes the wake-up on
 * while others still wait, since signals to one notification coalesce. Waiters must
 * re-check their condition, as always.
 *
 * Known bug: with two or more threads waiting on one condition variable a wake-up can be
 * lost. A waiter preempted between its generation check and its wait, and a newer waiter
 * that then takes the coalesced signal, leave the first one asleep after the change it
 * waited for. One waiter per condition variable (e.g. "not full" and "not empty" of a
 * queue shared by two threads) is safe; examples/threads tests that. */
struct m6_cond {
	atomic_uint generation;
	atomic_uint waiters;
	m6_cptr_t notification; /* waited on */
	m6_cptr_t signal;       /* signalled: a badged copy of `notification` */
};

/* As m6_mutex_init: takes a slot for a badged copy; returns M6_OK or the mint's error. */
uint64_t m6_cond_init(struct m6_cond *c, m6_cptr_t notification);
/* Unlock `m`, wait for a signal, lock `m` again. */
void m6_cond_wait(struct m6_cond *c, struct m6_mutex *m);
void m6_cond_signal(struct m6_cond *c);
void m6_cond_broadcast(struct m6_cond *c);

#endif
