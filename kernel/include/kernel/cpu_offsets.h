/* Offsets into struct cpu that assembly reads (vectors.S, head.S), checked against the
 * structure by _Static_assert in core/smp.c: change the structure and the build says so. */
#ifndef KERNEL_CPU_OFFSETS_H
#define KERNEL_CPU_OFFSETS_H

#define CPU_STACK_TOP 0 /* uintptr_t stack_top */
#define CPU_CURRENT   8 /* struct tcb *current */
#define CPU_SIZE_LOG2 0 /* unused: cpus[] is indexed in C only */

/* Per-CPU kernel stacks: an unmapped guard page, then the stack (vectors.S, kmap.c). */
#define KERNEL_STACK_SIZE   16384
#define KERNEL_STACK_STRIDE (4096 + KERNEL_STACK_SIZE)
#define MAX_CPUS_ASM        8

#endif
