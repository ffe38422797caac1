/* Per-thread CPU state that is not in the saved registers: the address space (TTBR0 with
 * its ASID), the EL0 thread pointer and the FP/SIMD registers. All three are switched only
 * when the thread on the CPU changes, and FP/SIMD only when the new thread actually uses
 * it: a thread gets FP access only while its own state is in the registers; its first FP
 * instruction otherwise traps, and only then is the previous owner's state saved. IPC
 * between threads that never touch FP therefore pays nothing for it. */
#include <arch/sysreg.h>
#include <kernel/arch.h>
#include <kernel/scheduler.h>

#define CPACR_FPEN_ALL      (3u << 20) /* no FP traps */
#define CPACR_FPEN_TRAP_EL0 (1u << 20) /* trap EL0 FP/SIMD, EL1 may use it */

extern char boot_empty_l0[];

static struct tcb *fpu_owner;   /* whose FP/SIMD state is in the registers */
static bool fpu_enabled = true; /* CPACR state, to avoid rewriting it */

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

static void set_fpu_access(bool enabled)
{
	if (enabled == fpu_enabled)
		return;
	SYSREG_WRITE(cpacr_el1, enabled ? CPACR_FPEN_ALL : CPACR_FPEN_TRAP_EL0);
	ISB();
	fpu_enabled = enabled;
}

void arch_fpu_trap(struct tcb *t)
{
	/* EL1 may touch the registers (FPEN traps EL0 only): move the state over. */
	if (fpu_owner)
		arch_fpu_save(&fpu_owner->fpu);
	arch_fpu_restore(&t->fpu);
	fpu_owner = t;
	set_fpu_access(true);
}

void arch_fpu_sync(struct tcb *t)
{
	/* EL1 reaches the registers whatever CPACR says to EL0 (FPEN traps EL0 only). */
	if (fpu_owner == t)
		arch_fpu_save(&t->fpu);
}

void arch_thread_forget(struct tcb *t)
{
	if (fpu_owner == t)
		fpu_owner = NULL;
}

void arch_switch_to(struct tcb *prev, struct tcb *next)
{
	if (prev)
		prev->fpu.tpidr_el0 = SYSREG_READ(tpidr_el0);
	if (!next)
		return; /* going idle: only the outgoing state needed saving */
	SYSREG_WRITE(tpidr_el0, next->fpu.tpidr_el0);
	/* TPIDRRO_EL0 needs nothing: it is 0 from boot on (el0_state.c) and nothing writes
	 * it, so no thread can leave a value in it for the next one. */
	set_fpu_access(fpu_owner == next);
	arch_load_vspace(next);
}

static void set_ttbr0(uint64_t ttbr)
{
	SYSREG_WRITE(ttbr0_el1, ttbr);
	ISB();
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
