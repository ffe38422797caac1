/* Fault messages, decoded for handlers, and the replies to them.
 *
 * A thread's fault arrives at its fault endpoint as a message whose label is an
 * M6_FAULT_* kind and whose words are laid out per kind (<m6/abi/objects.h>); the
 * badge of the fault endpoint cap says whose thread it is. m6_fault_decode() turns one
 * into a struct m6_fault_info; the m6_fault_reply_* helpers turn the received message into
 * the answer (send it with m6_reply or m6_reply_recv, or return it from a serve loop's
 * on_refused hook with M6_IDL_ANSWERED). */
#ifndef M6_FAULT_H
#define M6_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include <m6/invocations.h>
#include <m6/syscall.h>

/* Words of each kind of fault message (the kernel sends exactly these). */
#define M6_FAULT_VM_WORDS        4u
#define M6_FAULT_EXCEPTION_WORDS 2u
#define M6_FAULT_SYSCALL_WORDS   11u

struct m6_fault_info {
	uint64_t kind;  /* M6_FAULT_VM, _EXCEPTION, _UNKNOWN_SYSCALL or _LINUX_SYSCALL */
	uint64_t badge; /* of the fault endpoint cap: who faulted */
	uint64_t pc;    /* of the faulting instruction (syscalls: the one after the svc) */
	union {
		struct {
			uint64_t address; /* the address accessed */
			uint64_t esr;     /* the syndrome (ESR_EL1) */
			bool instruction; /* an instruction fetch, not a data access */
		} vm;
		struct {
			uint64_t esr; /* undefined instruction, alignment, breakpoint, ... */
		} exception;
		struct {
			uint64_t number; /* x8 */
			uint64_t x[8];   /* the arguments x0..x7 */
			uint64_t sp;
		} syscall; /* M6_FAULT_UNKNOWN_SYSCALL and M6_FAULT_LINUX_SYSCALL */
	};
};

/* Whether kind is a syscall fault (the thread resumes after its svc). */
static inline bool m6_fault_is_syscall(uint64_t kind)
{
	return kind == M6_FAULT_UNKNOWN_SYSCALL || kind == M6_FAULT_LINUX_SYSCALL;
}

/* Decode received message `m` (words beyond the registers read from `buf`, the
 * receiving thread's IPC buffer). False when it is no fault message: an unknown label,
 * or fewer words than its kind has (a client's request on a shared endpoint, say). */
static inline bool m6_fault_decode_buf(const struct m6_ipc_buffer *buf, const struct m6_msg *m,
                                       struct m6_fault_info *f)
{
	uint64_t kind = m6_msginfo_label(m->info);
	uint64_t words = m6_msginfo_length(m->info);
	*f = (struct m6_fault_info){.kind = kind, .badge = m->badge};
	switch (kind) {
	case M6_FAULT_VM:
		if (words < M6_FAULT_VM_WORDS)
			return false;
		f->pc = m->mr[0];
		f->vm.address = m->mr[1];
		f->vm.esr = m->mr[2];
		f->vm.instruction = m->mr[3] != 0;
		return true;
	case M6_FAULT_EXCEPTION:
		if (words < M6_FAULT_EXCEPTION_WORDS)
			return false;
		f->pc = m->mr[0];
		f->exception.esr = m->mr[1];
		return true;
	case M6_FAULT_UNKNOWN_SYSCALL:
	case M6_FAULT_LINUX_SYSCALL:
		if (words < M6_FAULT_SYSCALL_WORDS)
			return false;
		for (unsigned i = 0; i < 8; i++)
			f->syscall.x[i] = m6_mr_get_buf(buf, m, i);
		f->syscall.number = m6_mr_get_buf(buf, m, 8);
		f->pc = m6_mr_get_buf(buf, m, 9);
		f->syscall.sp = m6_mr_get_buf(buf, m, 10);
		return true;
	default:
		return false;
	}
}

/* m6_fault_decode_buf with the calling thread's IPC buffer. */
static inline bool m6_fault_decode(const struct m6_msg *m, struct m6_fault_info *f)
{
	return m6_fault_decode_buf(m6_ipc_buffer(), m, f);
}

/* Resume the thread as it was: retry the faulting instruction (the handler has mapped
 * the page, say), or for a syscall fault continue after the svc with x0 unchanged. */
static inline void m6_fault_reply_resume(struct m6_msg *m)
{
	m->info = m6_msginfo(M6_FAULT_REPLY_RESUME, 0);
}

/* Syscall faults: continue after the svc with x0 = `x0` (the emulated call's result). */
static inline void m6_fault_reply_set_x0(struct m6_msg *m, uint64_t x0)
{
	m->mr[0] = x0;
	m->info = m6_msginfo(M6_FAULT_REPLY_RESUME, 1);
}

/* Other faults: resume at `pc` with stack pointer `sp`. */
static inline void m6_fault_reply_resume_at(struct m6_msg *m, uint64_t pc, uint64_t sp)
{
	m->mr[0] = pc;
	m->mr[1] = sp;
	m->info = m6_msginfo(M6_FAULT_REPLY_RESUME, 2);
}

/* Leave the thread stopped (inactive). */
static inline void m6_fault_reply_stop(struct m6_msg *m)
{
	m->info = m6_msginfo(M6_FAULT_REPLY_STOP, 0);
}

#endif
