/* Offsets into struct cpu that assembly reads (vectors.S, head.S), checked against the
 * structure by _Static_assert in core/smp.c: change the structure and the build says so. */
#ifndef KERNEL_CPU_OFFSETS_H
#define KERNEL_CPU_OFFSETS_H

#define CPU_STACK_TOP   0  /* uintptr_t stack_top */
#define CPU_CURRENT     8  /* struct tcb *current */
#define CPU_INDEX       20 /* unsigned index */
#define CPU_FAULT_DEPTH 28 /* uint32_t fault_depth */
#define CPU_SIZE_LOG2   0  /* unused: cpus[] is indexed in C only */

/* Per-CPU kernel stacks: an unmapped guard page, then the stack (vectors.S, kmap.c). */
#define KERNEL_STACK_SIZE   16384
#define KERNEL_STACK_STRIDE (4096 + KERNEL_STACK_SIZE)
#define MAX_CPUS_ASM        8
/* Per-CPU exception stacks (kernel faults): the same shape, an unmapped guard page, then
 * the stack. CPU i's guard at exception_stacks + i * EXCEPTION_STACK_STRIDE. */
#define EXCEPTION_STACK_SIZE   8192
#define EXCEPTION_STACK_STRIDE (4096 + EXCEPTION_STACK_SIZE)

#endif
