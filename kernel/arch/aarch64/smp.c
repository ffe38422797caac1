/* Starting secondary CPUs (PSCI CPU_ON) and setting each up; core/smp.c decides which. */
#include <arch/sysreg.h>
#include <kernel/arch.h>
#include <kernel/platform.h>
#include <kernel/smp.h>

#define PSCI_CPU_ON 0xc4000003u /* SMC64/HVC64 function ID */

extern char secondary_entry[], boot_id_l0[], boot_empty_l0[];
extern uint64_t kernel_sctlr;
paddr_t kmap_root(void);
void gic_cpu_init(struct cpu *cpu);
void timer_cpu_init(void);

/* What a secondary CPU reads with its MMU off (head.S: secondary_entry), so it lives in
 * its own cache lines and is cleaned to memory before CPU_ON. The layout is head.S's.
 * One record per CPU, never reused: a CPU the boot CPU gave up on (core/smp.c, no
 * check-in within the bound) may still start later, and must then read its own struct
 * cpu and stack, not those of the CPU started after it (it would check in as that CPU
 * and run on the same stack). */
struct secondary_start {
	uint64_t ttbr0_identity, ttbr1;
	uint64_t tcr, mair;
	uint64_t cpu, stack_top;
	uint64_t sctlr, ttbr0_empty;
} __attribute__((aligned(64)));
static struct secondary_start start_records[MAX_CPUS];

uint64_t arch_cpu_mpidr(void)
{
	return SYSREG_READ(mpidr_el1) & 0xff00ffffffull;
}

static int64_t psci_cpu_on(uint64_t mpidr, paddr_t entry, uint64_t context)
{
	register uint64_t x0 __asm__("x0") = PSCI_CPU_ON;
	register uint64_t x1 __asm__("x1") = mpidr;
	register uint64_t x2 __asm__("x2") = entry;
	register uint64_t x3 __asm__("x3") = context;
	if (platform.psci_smc)
		__asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
	else
		__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"memory");
	return (int64_t)x0;
}

int arch_cpu_start(struct cpu *cpu)
{
	struct secondary_start *record = &start_records[cpu->index];
	*record = (struct secondary_start){
	    .ttbr0_identity = kimage_to_paddr(boot_id_l0),
	    .ttbr1 = kmap_root(),
	    .tcr = SYSREG_READ(tcr_el1),
	    .mair = SYSREG_READ(mair_el1),
	    .cpu = (uint64_t)cpu,
	    .stack_top = cpu->stack_top,
	    .sctlr = kernel_sctlr,
	    .ttbr0_empty = kimage_to_paddr(boot_empty_l0),
	};
	uintptr_t r = (uintptr_t)record;
	arch_cache_clean_invalidate(r, r + sizeof(*record));
	int64_t err =
	    psci_cpu_on(cpu->mpidr, kimage_to_paddr(secondary_entry), kimage_to_paddr(record));
	return (int)err;
}

void arch_cpu_init_secondary(struct cpu *cpu)
{
	if (((SYSREG_READ(id_aa64mmfr1_el1) >> 20) & 0xf) != 0)
		__asm__ volatile(".inst 0xd500419f" ::: "memory"); /* msr pan, #1 */
	cpu->vspace_root = kimage_to_paddr(boot_empty_l0);
	arch_el0_state_init();
	gic_cpu_init(cpu);
	timer_cpu_init();
#ifdef M6_CONFIG_BENCHMARK
	arch_pmu_enable_user();
#endif
}
