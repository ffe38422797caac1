/* The arm64 Linux signal frame (struct rt_sigframe: siginfo, then the ucontext with its
 * sigcontext and the records of its reserved area), written by signal delivery and read
 * back by rt_sigreturn (docs/linux.md, "Signals"). Plain C11: the decoder reads bytes a
 * program may have changed, and is fuzzed on the host (test/linux_shim/fuzz_sigframe.c). */
#ifndef LINUX_SIGFRAME_H
#define LINUX_SIGFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGFRAME_SIGINFO_SIZE 128
/* Offsets in the frame: the ucontext after the siginfo, its fields, the sigcontext. */
#define SIGFRAME_UC      SIGFRAME_SIGINFO_SIZE
#define UC_STACK         16 /* uc_flags, uc_link, then stack_t (24 bytes) */
#define UC_SIGMASK       40
#define UC_MCONTEXT      176 /* 16-aligned, after 128 bytes of sigset space */
#define SC_FAULT_ADDR    0
#define SC_REGS          8
#define SC_SP            256
#define SC_PC            264
#define SC_PSTATE        272
#define SC_RESERVED      288
#define SC_RESERVED_SIZE 4096
#define SIGFRAME_SIZE    (SIGFRAME_UC + UC_MCONTEXT + SC_RESERVED + SC_RESERVED_SIZE) /* 4688 */
#define FPSIMD_MAGIC     0x46508001u
#define FPSIMD_SIZE      528 /* head 8, fpsr 4, fpcr 4, v0-v31 512 */
#define ESR_MAGIC        0x45535201u
#define ESR_SIZE         16

/* What a frame holds besides the siginfo. */
struct sigframe_content {
	uint64_t x[31], sp, pc, pstate;
	uint64_t fault_address;
	uint64_t mask; /* uc_sigmask: the mask sigreturn restores */
	uint64_t ss_sp, ss_size;
	uint32_t ss_flags;
	uint32_t fpsr, fpcr;
	uint64_t v[32][2]; /* low, high */
	bool has_esr;      /* an esr_context record (faults) */
	uint64_t esr;
};

/* Lay out a frame (SIGFRAME_SIZE bytes, zeroed first): the siginfo, the ucontext, the
 * fpsimd_context record, the esr_context record when has_esr, and the null record. */
void sigframe_encode(uint8_t *frame, const uint8_t siginfo[SIGFRAME_SIGINFO_SIZE],
                     const struct sigframe_content *c);
/* Read a frame back (SIGFRAME_SIZE bytes): false, with *why, when its records are not
 * well formed: each 16-byte aligned in size and inside the area, fpsimd_context present
 * exactly once with its size, up to the null record. Unknown records are skipped (as
 * Linux skips extra_context's payload only when it knows it: here none are written). */
bool sigframe_decode(const uint8_t *frame, struct sigframe_content *c, const char **why);

#endif
