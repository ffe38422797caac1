/* Raw m6 system calls. Each wrapper passes and returns the full register message:
 * x0 (cap pointer in; error code out), x1 (message info), x2..x7 (MR0..MR5), and x8
 * (syscall number in; badge or notification word out). See docs/abi.md. */
#ifndef M6_SYSCALL_H
#define M6_SYSCALL_H

#include <stdint.h>

#include <m6/abi/errors.h>
#include <m6/abi/message.h>
#include <m6/abi/objects.h>
#include <m6/abi/syscalls.h>

typedef uint64_t m6_cptr_t;

/* The null cap pointer. The slots every component has (M6_CAP_SELF_CNODE, _VSPACE, _TCB)
 * are where the spec compiler puts them: <m6/layout.h>, generated from its constants at
 * build time, which <m6/invocations.h> includes. syscall.h needs no generated header
 * (m6idl's stubs include it alone). */
#define M6_CAP_NULL 0

/* A message as it travels in registers. */
struct m6_msg {
	uint64_t word0; /* in: cap pointer; out: error code */
	uint64_t info;  /* message info (label, length) */
	uint64_t mr[M6_MSG_REGISTERS];
	uint64_t badge; /* out: badge of a received message, or a notification's word */
};

/* Issue syscall `number` with all message registers in and out of `m`. */
static inline void m6_syscall(uint64_t number, struct m6_msg *m)
{
	register uint64_t x0 __asm__("x0") = m->word0;
	register uint64_t x1 __asm__("x1") = m->info;
	register uint64_t x2 __asm__("x2") = m->mr[0];
	register uint64_t x3 __asm__("x3") = m->mr[1];
	register uint64_t x4 __asm__("x4") = m->mr[2];
	register uint64_t x5 __asm__("x5") = m->mr[3];
	register uint64_t x6 __asm__("x6") = m->mr[4];
	register uint64_t x7 __asm__("x7") = m->mr[5];
	register uint64_t x8 __asm__("x8") = number;
	__asm__ volatile("svc #0"
	                 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6),
	                   "+r"(x7), "+r"(x8)
	                 :
	                 : "memory");
	m->word0 = x0;
	m->info = x1;
	m->mr[0] = x2;
	m->mr[1] = x3;
	m->mr[2] = x4;
	m->mr[3] = x5;
	m->mr[4] = x6;
	m->mr[5] = x7;
	m->badge = x8;
}

/* Send `m` through `cap` and wait for the answer, which replaces `m`. Returns the error
 * code (M6_OK when the call was answered). Also invokes kernel objects. */
static inline uint64_t m6_call(m6_cptr_t cap, struct m6_msg *m)
{
	m->word0 = cap;
	m6_syscall(M6_SYS_CALL, m);
	return m->word0;
}

/* Blocking send on an endpoint cap. */
static inline uint64_t m6_send(m6_cptr_t cap, struct m6_msg *m)
{
	m->word0 = cap;
	m6_syscall(M6_SYS_SEND, m);
	return m->word0;
}

/* Wait for a message on `cap`; returns the error code; the message is in `m` and the
 * sender's badge in m->badge. */
static inline uint64_t m6_recv(m6_cptr_t cap, struct m6_msg *m)
{
	m->word0 = cap;
	m6_syscall(M6_SYS_RECV, m);
	return m->word0;
}

/* Answer the last caller with `m`. */
static inline uint64_t m6_reply(struct m6_msg *m)
{
	m6_syscall(M6_SYS_REPLY, m);
	return m->word0;
}

/* Answer the last caller (if any) with `m`, then wait on `cap` (badge in m->badge). */
static inline uint64_t m6_reply_recv(m6_cptr_t cap, struct m6_msg *m)
{
	m->word0 = cap;
	m6_syscall(M6_SYS_REPLY_RECV, m);
	return m->word0;
}

static inline void m6_yield(void)
{
	struct m6_msg m = {0};
	m6_syscall(M6_SYS_YIELD, &m);
}

/* The calling thread's IPC buffer (message registers beyond MR5). */
struct m6_ipc_buffer *m6_ipc_buffer(void);

#endif
