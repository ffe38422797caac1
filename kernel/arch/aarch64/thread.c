/* Per-thread CPU state that is not in the saved registers: the address space (TTBR0 with
 * its ASID), the EL0 thread pointer and the FP/SIMD registers. All three are switched only
 * when the thread on the CPU changes, and FP/SIMD only when the new thread actually uses
 * it: a thread gets FP access only while its own state is in the registers; its first FP
 * instruction otherwise traps, and only then is the previous owner's state saved. IPC
 * between threads that never touch FP therefore pays nothing for it. */
#include <arch/sysreg.h>
#include <kernel/arch.h>
#include <kernel/scheduler.h>
#include <kernel/smp.h>

#define CPACR_FPEN_ALL      (3u << 20) /* no FP traps */
#define CPACR_FPEN_TRAP_EL0 (1u << 20) /* trap EL0 FP/SIMD, EL1 may use it */

extern char boot_empty_l0[];

/* Per CPU (struct cpu): fpu_owner, whose FP/SIMD state is in this CPU's registers, and
 * fpu_enabled, the CPACR state. A thread's state is live in at most one CPU's registers;
 * another CPU that needs it (TCB_READ_FPU, moving the thread) stalls that CPU, which
 * saves it (arch_stall_ack). */

void arch_context_init(struct arch_context *ctx, vaddr_t pc, vaddr_t sp, word_t arg0, word_t arg1)
{
	for (unsigned i = 0; i < 31; i++)
		ctx->x[i] = 0;
	ctx->x[0] = arg0;
	ctx->x[1] = arg1;
	ctx->pc = pc;
	ctx->sp = sp;
	ctx->spsr = 0; /* EL0t, interrupts unmasked */
}

static void set_fpu_access(struct cpu *cpu, bool enabled)
{
	if (enabled == cpu->fpu_enabled)
		return;
	SYSREG_WRITE(cpacr_el1, enabled ? CPACR_FPEN_ALL : CPACR_FPEN_TRAP_EL0);
	ISB();
	cpu->fpu_enabled = enabled;
}

void arch_fpu_trap(struct tcb *t)
{
	/* EL1 may touch the registers (FPEN traps EL0 only): move the state over. */
	struct cpu *cpu = this_cpu();
	if (cpu->fpu_owner)
		arch_fpu_save(&cpu->fpu_owner->fpu);
	arch_fpu_restore(&t->fpu);
	cpu->fpu_owner = t;
	set_fpu_access(cpu, true);
}

void arch_fpu_sync(struct tcb *t)
{
	/* EL1 reaches the registers whatever CPACR says to EL0 (FPEN traps EL0 only). Live
	 * on another CPU: that CPU saves it when stalled. */
	if (this_cpu()->fpu_owner == t) {
		arch_fpu_save(&t->fpu);
		return;
	}
	for (unsigned i = 0; i < cpu_count; i++) {
		if (cpus[i].fpu_owner == t)
			smp_stall(&cpus[i]);
	}
}

void arch_fpu_release(struct tcb *t)
{
	struct cpu *cpu = this_cpu();
	if (cpu->fpu_owner != t)
		return;
	arch_fpu_save(&t->fpu);
	cpu->fpu_owner = NULL;
	set_fpu_access(cpu, false);
}

void arch_thread_forget(struct tcb *t)
{
	/* Another CPU's registers may hold a copy: harmless once nobody owns it (its
	 * current thread, if any, has no FP access unless it is the owner). */
	for (unsigned i = 0; i < cpu_count; i++) {
		if (cpus[i].fpu_owner == t)
			cpus[i].fpu_owner = NULL;
	}
}

void arch_stall_ack(struct cpu *cpu, bool from_sync)
{
	/* Runs without the lock, on this CPU, while the holder waits: only this CPU's
	 * registers and what they hold of its threads. ESR_EL1 is still the entry's: no
	 * exception was taken since. */
	cpu->stalled_in_svc =
	    from_sync && ((SYSREG_READ(esr_el1) >> ESR_EC_SHIFT) & 0x3f) == ESR_EC_SVC64;
	if (cpu->current)
		cpu->current->fpu.tpidr_el0 = SYSREG_READ(tpidr_el0);
	if (cpu->fpu_owner) {
		arch_fpu_save(&cpu->fpu_owner->fpu);
		cpu->fpu_owner = NULL;
		set_fpu_access(cpu, false);
	}
	if (cpu->forget_root && cpu->vspace_root == cpu->forget_root)
		arch_vspace_forget(cpu->forget_root);
}

struct tcb *arch_switch_threads(struct tcb *prev, struct tcb *next)
{
	prev->fpu.tpidr_el0 = SYSREG_READ(tpidr_el0);
	SYSREG_WRITE(tpidr_el0, next->fpu.tpidr_el0);
	/* TPIDRRO_EL0 needs nothing: it is 0 from boot on (el0_state.c) and nothing writes
	 * it, so no thread can leave a value in it for the next one. */
	struct cpu *cpu = this_cpu();
	set_fpu_access(cpu, cpu->fpu_owner == next);
	arch_load_vspace(next);
	return next;
}

void arch_switch_to(struct tcb *prev, struct tcb *next)
{
	if (prev && next) {
		arch_switch_threads(prev, next);
		return;
	}
	if (prev)
		prev->fpu.tpidr_el0 = SYSREG_READ(tpidr_el0);
	if (!next)
		return; /* going idle: only the outgoing state needed saving */
	SYSREG_WRITE(tpidr_el0, next->fpu.tpidr_el0);
	set_fpu_access(this_cpu(), this_cpu()->fpu_owner == next);
	arch_load_vspace(next);
}

static void set_ttbr0(uint64_t ttbr)
{
	SYSREG_WRITE(ttbr0_el1, ttbr);
	ISB();
	/* Other CPUs look here to know whom a disappearing VSpace concerns. */
	this_cpu()->vspace_root = ttbr & MASK(48);
}

void arch_load_vspace(const struct tcb *t)
{
	/* TTBR0 holds the ASID in bits 63:48 and the table address below. A thread whose
	 * VSpace is gone, or has lost its ASID with its pool, runs on an empty table: it
	 * faults at once. The ASID check matters: another VSpace may hold that ASID now, and
	 * the TLB would give this one its translations. It is needed only when TTBR0
	 * changes: whatever TTBR0 holds was checked when it was loaded, and a VSpace that
	 * loses its ASID (or goes) moves the CPU off itself first (arch_vspace_forget). */
	const struct cap *vs = &t->vspace_root.cap;
	bool is_vspace = vs->type == M6_OBJ_VSPACE;
	uint32_t asid = vs->asid;
	paddr_t root = kernel_to_paddr((void *)vs->object);
	uint64_t ttbr = is_vspace ? root | ((uint64_t)asid << 48) : kimage_to_paddr(boot_empty_l0);
	if (SYSREG_READ(ttbr0_el1) == ttbr)
		return;
	if (is_vspace && !arch_vspace_holds_asid(root, asid))
		ttbr = kimage_to_paddr(boot_empty_l0);
	set_ttbr0(ttbr);
}

void arch_vspace_forget(paddr_t root)
{
	if ((SYSREG_READ(ttbr0_el1) & MASK(48)) == root)
		set_ttbr0(kimage_to_paddr(boot_empty_l0));
}

void arch_restore_context(struct arch_context *ctx) __attribute__((noreturn));

void arch_return_to_user(struct tcb *t)
{
	arch_restore_context(&t->context);
}
