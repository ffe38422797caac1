/* m6 system call ABI: numbers and register convention, shared by the kernel and libm6.
 *
 * A syscall is `svc #0` with the number in x8. x0 holds the capability pointer (or is
 * unused), x1 a message info word (see message.h), x2..x7 message registers MR0..MR5.
 * On return x0 always holds an error code (M6_OK on success); x1 the received message
 * info; x2..x7 the received MR0..MR5; x8 the badge of the cap the message came through
 * (a receive) or the notification word (a wait or poll), else 0. Message registers beyond
 * MR5 live in the calling thread's IPC buffer. */
#ifndef M6_ABI_SYSCALLS_H
#define M6_ABI_SYSCALLS_H

enum m6_syscall {
	M6_SYS_CALL = 1,       /* send to a cap and wait for the answer (or invoke an object) */
	M6_SYS_SEND = 2,       /* blocking send to an endpoint */
	M6_SYS_NBSEND = 3,     /* send only if a receiver is waiting */
	M6_SYS_RECV = 4,       /* blocking receive on an endpoint */
	M6_SYS_NBRECV = 5,     /* receive only if a sender is waiting */
	M6_SYS_REPLY = 6,      /* answer the last caller */
	M6_SYS_REPLY_RECV = 7, /* answer the last caller, then receive */
	M6_SYS_YIELD = 8,      /* give up the rest of the timeslice */
	M6_SYS_COUNT
};

/* Number of message registers passed in CPU registers (x2..x7). */
#define M6_MSG_REGISTERS 6

#endif
