/* Exception handlers called from vectors.S. User exceptions end in the scheduler; kernel
 * exceptions are bugs and stop the system with a register dump. */
#include <arch/sysreg.h>
#include <kernel/arch.h>
#include <kernel/fault.h>
#include <kernel/printk.h>
#include <kernel/scheduler.h>
#include <kernel/smp.h>
#include <kernel/syscall.h>

void arch_irq_dispatch(void);

static void user_fault(struct tcb *t, uint64_t esr)
{
	unsigned ec = (unsigned)(esr >> ESR_EC_SHIFT) & 0x3f;
	if (ec == ESR_EC_IABT_LOWER || ec == ESR_EC_DABT_LOWER) {
		uint64_t mrs[4] = {t->context.pc, SYSREG_READ(far_el1), esr,
		                   ec == ESR_EC_IABT_LOWER};
		fault_raise(t, M6_FAULT_VM, mrs, 4);
	} else {
		uint64_t mrs[2] = {t->context.pc, esr};
		fault_raise(t, M6_FAULT_EXCEPTION, mrs, 2);
	}
}

NORETURN void handle_user_sync(struct arch_context *ctx)
{
	/* The context is the first member of the current thread's TCB (vectors.S saved it
	 * there), so the TCB needs no lookup. */
	struct tcb *t = (struct tcb *)ctx;
	uint64_t esr = SYSREG_READ(esr_el1);
	unsigned ec = (unsigned)(esr >> ESR_EC_SHIFT) & 0x3f;
	if (ec == ESR_EC_SVC64) {
		/* vectors.S already tried fastpath_ipc() */
		handle_syscall(t);
	} else if (ec == ESR_EC_FP) {
		arch_fpu_trap(t);
		arch_return_to_user(t);
	} else {
		user_fault(t, esr);
	}
	scheduler_exit_to_user();
}

/* vectors.S: the thread that took this exception was taken off this CPU by another while
 * this CPU waited for the lock (suspended, deleted, moved; core/smp.c smp_unload). Its
 * registers are saved, and it may already run elsewhere: the exception is left for when
 * it runs again (the taker put an svc's pc back on the svc; a fault is taken again by
 * the instruction that caused it). */
NORETURN void handle_user_taken_off(struct arch_context *ctx)
{
	(void)ctx;
	scheduler_exit_to_user();
}

NORETURN void handle_user_irq(struct arch_context *ctx)
{
	(void)ctx;
	arch_irq_dispatch();
	scheduler_exit_to_user();
}

NORETURN void handle_user_unexpected(struct arch_context *ctx)
{
	struct tcb *t = this_cpu()->current;
	/* Taken off this CPU while we waited for the lock: the error is left pending. */
	if (t == (struct tcb *)ctx)
		user_fault(t, SYSREG_READ(esr_el1));
	scheduler_exit_to_user();
}

void handle_kernel_irq(struct arch_context *frame)
{
	(void)frame;
	arch_irq_dispatch();
}

/* Entered on the exception stack (vectors.S), so it works even after a kernel stack
 * overflow. */
NORETURN void handle_kernel_fault(struct arch_context *frame)
{
	uint64_t esr = SYSREG_READ(esr_el1), far = SYSREG_READ(far_el1);
	unsigned ec = (unsigned)(esr >> ESR_EC_SHIFT) & 0x3f;
	arch_console_emergency();
	if ((ec == ESR_EC_DABT_SAME || ec == ESR_EC_SP_ALIGN) && kmap_is_stack_guard(far))
		printk("\nm6: kernel stack overflow (guard page %lx hit)", far);
	printk("\nm6: kernel exception: esr %lx (class %x) far %lx\n", esr, ec, far);
	printk("  pc %lx  sp %lx  spsr %lx\n", frame->pc, frame->sp, frame->spsr);
	for (int i = 0; i < 31; i += 2) {
		if (i == 30)
			printk("  x30 %016lx\n", frame->x[30]);
		else
			printk("  x%02d %016lx  x%02d %016lx\n", i, frame->x[i], i + 1,
			       frame->x[i + 1]);
	}
	struct tcb *t = this_cpu()->current;
	if (t)
		printk("  current thread: %s\n", t->name);
	panic("unexpected kernel exception");
}

/* A fault while reporting a kernel fault: the report itself is what broke (its stack, the
 * console, ...), so say as little as possible and stop. A fault in here too powers off
 * without a word (vectors.S). */
NORETURN void handle_kernel_fault_nested(void)
{
	static const char msg[] = "\nm6: PANIC: fault while handling a kernel fault\n";
	for (const char *p = msg; *p; p++)
		arch_console_putc(*p);
	arch_halt_system();
}

void arch_idle(void)
{
	/* The big kernel lock is given up while sleeping, so that other CPUs can work and
	 * reach this one's queues (a wake-up then sends the SGI that ends the WFI). */
	/* WFI with interrupts still masked: it wakes for a pending interrupt even so, and
	 * one that arrived while the kernel decided to idle is not lost (unmasking first
	 * would take it, and the WFI after it would then sleep with its wake-up already
	 * handled). Then a moment unmasked lets it be taken. */
	kernel_unlock();
	__asm__ volatile("wfi" ::: "memory");
	kernel_lock();
	/* The lock is held again: the interrupt is handled (el1_irq) inside it. */
	__asm__ volatile("msr daifclr, #2\n\tisb\n\tmsr daifset, #2" ::: "memory");
}

bool arch_irq_pending(void)
{
	/* ISR_EL1.I shows an IRQ the GIC is signalling even while PSTATE.I masks it. */
	return (SYSREG_READ(isr_el1) & (1u << 7)) != 0;
}
