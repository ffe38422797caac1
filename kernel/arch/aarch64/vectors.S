/* Exception vectors and the user-context save/restore path.
 *
 * While a thread runs at EL0, SP_EL1 points at the end of its saved-context area inside
 * its TCB, so an exception from EL0 stores the user registers straight into the TCB and
 * only then moves to the kernel stack. The kernel is not preemptible and keeps no state on
 * its stack between entries: every entry starts afresh at kernel_stack_top. */
#include <arch/context.h>
#include <kernel/cpu_offsets.h>
#include <kernel/tcb_offsets.h>

/* The big kernel lock (core/smp.c), taken on every entry from EL0 before anything else:
 * a ticket lock whose uncontended path is these eight instructions (the lock word is
 * owner | next << 16, free when both halves are equal, i.e. when it equals itself rotated
 * by 16). A CPU that must wait does so in kernel_lock_wait(), which also answers stall
 * requests, and only then can its thread have been taken off it meanwhile (a stall needs
 * the lock held elsewhere): `from_sync` entries then check that (el0_taken_off). x0 (the
 * saved context) and x8 (the syscall number) survive; x9-x12, x22, x23 are scratch (the
 * user's values are saved already). On the way out x20 holds the lock's address and w21
 * the value that releases it (our ticket + 1), both callee-saved: the syscall fastpaths,
 * which return here, release the lock with one store (fastpath_restore_context). */
.macro	kernel_lock_entry from_sync
	ldr	x20, =big_kernel_lock
1:	ldaxr	w10, [x20]
	add	w11, w10, #0x10000
	stxr	w12, w11, [x20]
	cbnz	w12, 1b
	add	w21, w10, #1            /* owner + 1: ours is the owner's ticket */
	eor	w11, w10, w10, ror #16
	cbz	w11, 2f
	mov	x22, x0
	mov	x23, x8
	lsr	w0, w10, #16            /* our ticket: the lock's `next` when we came */
	add	w21, w0, #1
	mov	w1, #\from_sync
	bl	kernel_lock_wait
	mov	x0, x22
	mov	x8, x23
.if \from_sync
	/* While we waited, another CPU may have taken this thread off this CPU (suspended,
	 * deleted, moved it): then the exception is not ours to handle. */
	mrs	x9, tpidr_el1
	ldr	x9, [x9, #CPU_CURRENT]
	cmp	x9, x0
	b.ne	el0_taken_off
.endif
2:
.endm

.macro	save_user_context
	sub	sp, sp, #CONTEXT_SIZE
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	mrs	x21, sp_el0
	stp	x30, x21, [sp, #16 * 15]
	mrs	x22, elr_el1
	mrs	x23, spsr_el1
	stp	x22, x23, [sp, #16 * 16]
	mov	x0, sp
	mrs	x1, tpidr_el1            /* this CPU's struct cpu: its kernel stack */
	ldr	x1, [x1, #CPU_STACK_TOP]
	mov	sp, x1
.endm

/* Kernel-mode frame: all general registers plus ELR/SPSR, on the current stack. */
.macro	save_kernel_frame
	sub	sp, sp, #CONTEXT_SIZE
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	add	x21, sp, #CONTEXT_SIZE
	stp	x30, x21, [sp, #16 * 15]
	mrs	x22, elr_el1
	mrs	x23, spsr_el1
	stp	x22, x23, [sp, #16 * 16]
	mov	x0, sp
.endm

.macro	restore_kernel_frame
	ldp	x22, x23, [sp, #16 * 16]
	msr	elr_el1, x22
	msr	spsr_el1, x23
	ldp	x0, x1, [sp, #16 * 0]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #16 * 9]
	ldp	x20, x21, [sp, #16 * 10]
	ldp	x22, x23, [sp, #16 * 11]
	ldp	x24, x25, [sp, #16 * 12]
	ldp	x26, x27, [sp, #16 * 13]
	ldp	x28, x29, [sp, #16 * 14]
	ldr	x30, [sp, #16 * 15]
	add	sp, sp, #CONTEXT_SIZE
.endm

.macro	vector_entry label
	.balign	128
	b	\label
.endm

	.section .text.vectors, "ax"
	.balign	2048
	.global	exception_vectors
exception_vectors:
	/* Current EL with SP_EL0: never used by the kernel. */
	vector_entry	el1_unexpected
	vector_entry	el1_unexpected
	vector_entry	el1_unexpected
	vector_entry	el1_unexpected
	/* Current EL with SP_EL1: kernel faults, and interrupts while idle. */
	vector_entry	el1_sync
	vector_entry	el1_irq
	vector_entry	el1_unexpected
	vector_entry	el1_unexpected
	/* Lower EL, AArch64: user threads. */
	vector_entry	el0_sync
	vector_entry	el0_irq
	vector_entry	el0_unexpected
	vector_entry	el0_unexpected
	/* Lower EL, AArch32: not supported (SPSR never selects it). */
	vector_entry	el0_unexpected
	vector_entry	el0_unexpected
	vector_entry	el0_unexpected
	vector_entry	el0_unexpected

el0_sync:
	save_user_context
	kernel_lock_entry 1
	/* Call and reply-receive try the IPC fastpath first, and so does a Linux-ABI thread's
	 * svc (its fault message to a waiting handler); x0 is the saved context = the TCB,
	 * x8 still holds the user's syscall number. The ABI is told apart first, once: every
	 * svc of a Linux-ABI thread, whatever its x8, goes to fastpath_linux_syscall and
	 * nowhere else, so neither the other fastpaths nor handle_syscall test the flag. */
	mrs	x1, esr_el1
	lsr	x1, x1, #26
	cmp	x1, #0x15               /* EC: SVC from AArch64 */
	b.ne	1f
	ldr	w2, [x0, #TCB_FLAGS]
	tbnz	w2, #TCB_FLAG_LINUX_ABI_BIT, 5f
	cmp	x8, #1                  /* M6_SYS_CALL */
	b.eq	2f
	cmp	x8, #7                  /* M6_SYS_REPLY_RECV */
	b.eq	3f
	sub	x2, x8, #2              /* SEND 2, NBSEND 3, RECV 4: notifications */
	cmp	x2, #2
	b.hi	1f
	bl	fastpath_event
	b	4f
5:	bl	fastpath_linux_syscall  /* a Linux-ABI thread's svc: its fault message */
	b	4f
3:	bl	fastpath_reply_recv
	cbnz	x0, fastpath_restore_context
	b	6f
	/* Each returns the thread to enter (its context is its start), or NULL: nothing
	 * changed, the general path takes the syscall. Then the context is found again as
	 * this CPU's current thread (it is: checked at the lock), so the fast case keeps
	 * nothing in a register for the slow one. */
2:	bl	fastpath_call
4:	cbnz	x0, fastpath_restore_context
6:	mrs	x0, tpidr_el1
	ldr	x0, [x0, #CPU_CURRENT]
1:	bl	handle_user_sync
	b	.

el0_taken_off:
	bl	handle_user_taken_off
	b	.

el0_irq:
	save_user_context
	kernel_lock_entry 0
	bl	handle_user_irq
	b	.

el0_unexpected:
	save_user_context
	kernel_lock_entry 0
	bl	handle_user_unexpected
	b	.

/* A kernel fault is a bug, reported and then fatal. It is handled on a stack of its own,
 * one per CPU: the fault may be a kernel stack overflow into the guard page, where nothing
 * can be pushed, and two CPUs may fault at once. TPIDRRO_EL0 (0 for every thread, and a
 * kernel fault is fatal) and SP_EL0 (the user's sp, already saved in the TCB) serve as
 * scratch to get there. The CPU's fault_depth (struct cpu, reached through TPIDR_EL1,
 * which names the CPU from before the vectors were installed and is never written again)
 * counts the faults nested on this CPU: a fault inside the handler (say, the console
 * itself faults) goes to a minimal report, a third straight to power-off, and anything
 * beyond stops the CPU: never a recursion. Per CPU, because a shared counter,
 * read-modify-written by two CPUs faulting at once, loses a count, and another CPU's
 * fault is not a fault inside this one's handler. */
el1_sync:
el1_unexpected:
	msr	tpidrro_el0, x0
	msr	sp_el0, x1
	mrs	x0, tpidr_el1
	ldr	w1, [x0, #CPU_FAULT_DEPTH]
	add	w1, w1, #1
	str	w1, [x0, #CPU_FAULT_DEPTH]
	/* x0 = this CPU's exception stack top, exception_stacks + (index + 1) * stride, with
	 * only x0 and x1 free (the depth is read back from memory after). An index out of
	 * range (struct cpu overwritten) gets no stack: the CPU stops. */
	ldr	w1, [x0, #CPU_INDEX]
	cmp	w1, #MAX_CPUS_ASM
	b.hs	kernel_fault_stop
	add	x1, x1, #1
	mov	x0, #EXCEPTION_STACK_STRIDE
	mul	x1, x1, x0
	ldr	x0, =exception_stacks
	add	x0, x0, x1
	mrs	x1, tpidr_el1
	ldr	w1, [x1, #CPU_FAULT_DEPTH]
	cmp	w1, #1
	b.ne	kernel_fault_nested
	mov	x1, sp
	mov	sp, x0
	sub	sp, sp, #CONTEXT_SIZE
	stp	x2, x3, [sp, #16 * 1]
	mrs	x2, tpidrro_el0
	mrs	x3, sp_el0
	stp	x2, x3, [sp, #16 * 0]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	stp	x30, x1, [sp, #16 * 15]
	mrs	x22, elr_el1
	mrs	x23, spsr_el1
	stp	x22, x23, [sp, #16 * 16]
	mov	x0, sp
	bl	handle_kernel_fault
	b	.

kernel_fault_nested:
	mov	sp, x0
	cmp	w1, #2
	b.ne	1f
	bl	handle_kernel_fault_nested
1:	cmp	w1, #3
	b.ne	kernel_fault_stop
	bl	arch_power_off
kernel_fault_stop:
	wfi
	b	kernel_fault_stop

el1_irq:
	save_kernel_frame
	bl	handle_kernel_irq
	restore_kernel_frame
	eret

/* void arch_restore_context(struct arch_context *ctx): load ctx and enter EL0. */
	.text
	.global	arch_restore_context
arch_restore_context:
	/* Release the big kernel lock first: nothing below needs it. The context read here
	 * is this CPU's current thread's, which no other CPU touches without first stalling
	 * this one (smp_stall), and that waits until we are back in the kernel. */
	ldr	x20, =big_kernel_lock
	ldrh	w21, [x20]
	add	w21, w21, #1
	/* The syscall fastpaths come in here, x20 and w21 still as the entry left them. */
fastpath_restore_context:
	stlrh	w21, [x20]
	ldp	x22, x23, [x0, #CONTEXT_PC]
	msr	elr_el1, x22
	msr	spsr_el1, x23
	ldr	x21, [x0, #CONTEXT_SP]
	msr	sp_el0, x21
	add	sp, x0, #CONTEXT_SIZE
	ldp	x2, x3, [x0, #16 * 1]
	ldp	x4, x5, [x0, #16 * 2]
	ldp	x6, x7, [x0, #16 * 3]
	ldp	x8, x9, [x0, #16 * 4]
	ldp	x10, x11, [x0, #16 * 5]
	ldp	x12, x13, [x0, #16 * 6]
	ldp	x14, x15, [x0, #16 * 7]
	ldp	x16, x17, [x0, #16 * 8]
	ldp	x18, x19, [x0, #16 * 9]
	ldp	x20, x21, [x0, #16 * 10]
	ldp	x22, x23, [x0, #16 * 11]
	ldp	x24, x25, [x0, #16 * 12]
	ldp	x26, x27, [x0, #16 * 13]
	ldp	x28, x29, [x0, #16 * 14]
	ldr	x30, [x0, #16 * 15]
	ldp	x0, x1, [x0, #16 * 0]
	eret

	.global	arch_fpu_save
arch_fpu_save:
	stp	q0, q1, [x0, #32 * 0]
	stp	q2, q3, [x0, #32 * 1]
	stp	q4, q5, [x0, #32 * 2]
	stp	q6, q7, [x0, #32 * 3]
	stp	q8, q9, [x0, #32 * 4]
	stp	q10, q11, [x0, #32 * 5]
	stp	q12, q13, [x0, #32 * 6]
	stp	q14, q15, [x0, #32 * 7]
	stp	q16, q17, [x0, #32 * 8]
	stp	q18, q19, [x0, #32 * 9]
	stp	q20, q21, [x0, #32 * 10]
	stp	q22, q23, [x0, #32 * 11]
	stp	q24, q25, [x0, #32 * 12]
	stp	q26, q27, [x0, #32 * 13]
	stp	q28, q29, [x0, #32 * 14]
	stp	q30, q31, [x0, #32 * 15]
	mrs	x1, fpsr
	mrs	x2, fpcr
	add	x3, x0, #512
	stp	w1, w2, [x3]
	ret

	.global	arch_fpu_restore
arch_fpu_restore:
	ldp	q0, q1, [x0, #32 * 0]
	ldp	q2, q3, [x0, #32 * 1]
	ldp	q4, q5, [x0, #32 * 2]
	ldp	q6, q7, [x0, #32 * 3]
	ldp	q8, q9, [x0, #32 * 4]
	ldp	q10, q11, [x0, #32 * 5]
	ldp	q12, q13, [x0, #32 * 6]
	ldp	q14, q15, [x0, #32 * 7]
	ldp	q16, q17, [x0, #32 * 8]
	ldp	q18, q19, [x0, #32 * 9]
	ldp	q20, q21, [x0, #32 * 10]
	ldp	q22, q23, [x0, #32 * 11]
	ldp	q24, q25, [x0, #32 * 12]
	ldp	q26, q27, [x0, #32 * 13]
	ldp	q28, q29, [x0, #32 * 14]
	ldp	q30, q31, [x0, #32 * 15]
	add	x3, x0, #512
	ldp	w1, w2, [x3]
	msr	fpsr, x1
	msr	fpcr, x2
	ret

	.ltorg

/* One kernel stack per CPU, and one stack per CPU kernel faults are handled on, each
 * above an unmapped guard page (arch/aarch64/kmap.c leaves the guards out of the kernel
 * map). CPU i's guard is at kernel_stacks + i * KERNEL_STACK_STRIDE, its stack top at
 * (i + 1) * KERNEL_STACK_STRIDE; likewise exception_stacks with EXCEPTION_STACK_STRIDE.
 * Part of the image: sized by the compile-time maximum of CPUs. Exception stacks per CPU,
 * not one: two CPUs faulting at once each report on their own (a shared one would have
 * both writing their frames over each other). */
	.section .bss.kernel_stacks, "aw", %nobits
	.balign	4096
	.global	kernel_stacks
kernel_stacks:
	.skip	KERNEL_STACK_STRIDE * MAX_CPUS_ASM
	.global	kernel_stacks_end
kernel_stacks_end:

	/* After the bss, not zeroed at boot (kernel.ld). */
	.section .noinit.exception_stacks, "aw", %nobits
	.balign	4096
	.global	exception_stacks
exception_stacks:
	.skip	EXCEPTION_STACK_STRIDE * MAX_CPUS_ASM
	.global	exception_stacks_end
exception_stacks_end:
