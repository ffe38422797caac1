/* Saved user register state of a thread. The layout is shared with vectors.S. */
#ifndef ARCH_CONTEXT_H
#define ARCH_CONTEXT_H

#define CONTEXT_X0   0
#define CONTEXT_SP   (31 * 8)
#define CONTEXT_PC   (32 * 8)
#define CONTEXT_SPSR (33 * 8)
#define CONTEXT_SIZE (34 * 8)

#ifndef __ASSEMBLER__
#include <kernel/types.h>

struct arch_context {
	word_t x[31]; /* x0..x30 */
	word_t sp;    /* SP_EL0 */
	word_t pc;    /* ELR_EL1 */
	word_t spsr;  /* SPSR_EL1 */
};

/* User state the kernel itself never uses, switched only when the thread on the CPU
 * changes (arch/aarch64/thread.c): FP/SIMD registers (lazily) and the EL0 thread pointer.
 * The FP part's layout is shared with vectors.S. */
struct arch_fpu_state {
	__uint128_t v[32];
	uint32_t fpsr;
	uint32_t fpcr;
	uint64_t tpidr_el0;
};

_Static_assert(sizeof(struct arch_context) == CONTEXT_SIZE, "context layout");
_Static_assert(offsetof(struct arch_context, sp) == CONTEXT_SP, "context layout");
_Static_assert(offsetof(struct arch_context, pc) == CONTEXT_PC, "context layout");

/* Argument and result registers as seen by the syscall layer. */
#define CTX_ARG(ctx, n)         ((ctx)->x[(n)])
#define CTX_SYSCALL_NUMBER(ctx) ((ctx)->x[8])

void arch_fpu_save(struct arch_fpu_state *s);
void arch_fpu_restore(const struct arch_fpu_state *s);
#endif

#endif
