/* GICv3: distributor, this CPU's redistributor, and the system-register CPU interface.
 * All interrupts are non-secure group 1; the kernel masks them except when idle. */
#include <arch/sysreg.h>
#include <kernel/arch.h>
#include <kernel/irq.h>
#include <kernel/its.h>
#include <kernel/platform.h>
#include <kernel/printk.h>
#include <kernel/scheduler.h>

#define GICD_CTLR             0x0000
#define GICD_TYPER            0x0004
#define GICD_IGROUPR          0x0080
#define GICD_ISENABLER        0x0100
#define GICD_ICENABLER        0x0180
#define GICD_ICFGR            0x0c00
#define GICD_IPRIORITYR       0x0400
#define GICD_IROUTER          0x6000
#define GICD_CTLR_RWP         (1u << 31)
#define GICD_CTLR_ARE_NS      (1u << 4)
#define GICD_CTLR_GRP1NS      (1u << 1)

#define GICR_TYPER            0x0008
#define GICR_TYPER_VLPIS      (1ull << 1)
#define GICR_TYPER_LAST       (1ull << 4)
#define GICR_FRAME            0x20000 /* RD_base + SGI_base */
#define GICR_WAKER            0x0014
#define GICR_SGI_BASE         0x10000
#define GICR_IGROUPR0         (GICR_SGI_BASE + 0x0080)
#define GICR_ISENABLER0       (GICR_SGI_BASE + 0x0100)
#define GICR_ICENABLER0       (GICR_SGI_BASE + 0x0180)
#define GICR_ICFGR1           (GICR_SGI_BASE + 0x0c04)
#define GICR_IPRIORITYR       (GICR_SGI_BASE + 0x0400)
#define WAKER_PROCESSOR_SLEEP (1u << 1)
#define WAKER_CHILDREN_ASLEEP (1u << 2)

#define SPURIOUS_INTID        1020
#define SGI_RESCHEDULE        0

static unsigned line_count;

void gic_cpu_init(struct cpu *cpu);

static volatile uint32_t *reg32(paddr_t base, unsigned off)
{
	return (volatile uint32_t *)((uintptr_t)paddr_to_kernel(base) + off);
}

static void gicd_wait_rwp(void)
{
	while (*reg32(platform.gicd_base, GICD_CTLR) & GICD_CTLR_RWP)
		;
}

void gic_init(void)
{
	paddr_t d = platform.gicd_base, r = platform.gicr_base;
	unsigned lines = ((*reg32(d, GICD_TYPER) & 0x1f) + 1) * 32;
	if (lines > 1020)
		lines = 1020;
	line_count = lines;

	*reg32(d, GICD_CTLR) = 0;
	gicd_wait_rwp();
	for (unsigned i = 32; i < lines; i += 32) {
		*reg32(d, GICD_ICENABLER + i / 8) = 0xffffffff;
		*reg32(d, GICD_IGROUPR + i / 8) = 0xffffffff;
	}
	for (unsigned i = 32; i < lines; i += 4)
		*reg32(d, GICD_IPRIORITYR + i) = 0xa0a0a0a0;
	*reg32(d, GICD_CTLR) = GICD_CTLR_ARE_NS | GICD_CTLR_GRP1NS;
	gicd_wait_rwp();
	its_init(); /* MSIs: the ITS and its tables (gicv3_its.c); each CPU's LPIs below */

	(void)r;
	gic_cpu_init(this_cpu());
	printk("m6: GICv3: %u interrupt lines\n", lines);
}

/* ---- per CPU (SMP): redistributor and CPU interface, SGIs -------------------------- */

/* The redistributor whose GICR_TYPER affinity is this CPU's MPIDR: frames follow each
 * other from gicr_base (two 64 KiB frames each, four with virtual LPIs) until the one
 * marked Last. */
static paddr_t find_redistributor(uint64_t mpidr)
{
	uint64_t aff = ((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff);
	paddr_t r = platform.gicr_base, end = platform.gicr_base + platform.gicr_size;
	while (r + GICR_FRAME <= end) {
		volatile uint64_t *typer = (volatile uint64_t *)reg32(r, GICR_TYPER);
		uint64_t t = *typer;
		if ((t >> 32) == aff)
			return r;
		if (t & GICR_TYPER_LAST)
			break;
		r += (t & GICR_TYPER_VLPIS) ? 2 * GICR_FRAME : GICR_FRAME;
	}
	panic("GICv3: no redistributor for the CPU with MPIDR %lx", mpidr);
}

void gic_cpu_init(struct cpu *cpu)
{
	paddr_t r = find_redistributor(cpu->mpidr);
	cpu->gicr = (uintptr_t)reg32(r, 0);
	*reg32(r, GICR_WAKER) &= ~WAKER_PROCESSOR_SLEEP;
	while (*reg32(r, GICR_WAKER) & WAKER_CHILDREN_ASLEEP)
		;
	*reg32(r, GICR_ICENABLER0) = 0xffffffff;
	*reg32(r, GICR_IGROUPR0) = 0xffffffff;
	for (unsigned i = 0; i < 32; i += 4)
		*reg32(r, GICR_IPRIORITYR + i) = 0xa0a0a0a0;
	/* The reschedule SGI: always enabled, never claimable (irq.c refuses SGIs). */
	*reg32(r, GICR_ISENABLER0) = 1u << SGI_RESCHEDULE;

	SYSREG_WRITE(ICC_SRE_EL1, SYSREG_READ(ICC_SRE_EL1) | 1);
	ISB();
	SYSREG_WRITE(ICC_PMR_EL1, 0xff);
	SYSREG_WRITE(ICC_CTLR_EL1, 0); /* EOI both drops priority and deactivates */
	SYSREG_WRITE(ICC_IGRPEN1_EL1, 1);
	ISB();
	/* LPIs: the boot CPU's now, before any other CPU runs; a secondary's later, under
	 * the kernel lock (gic_cpu_init_lpis), because the ITS command queue is shared. */
	if (cpu->index == 0)
		its_cpu_init(0, r);
}

/* A secondary CPU's LPIs and its ITS collection; called with the kernel lock held. */
void gic_cpu_init_lpis(struct cpu *cpu)
{
	its_cpu_init(cpu->index, kernel_to_paddr((void *)cpu->gicr));
}

void arch_send_reschedule(uint64_t mpidr)
{
	/* ICC_SGI1R_EL1: target list (one bit per Aff0 below 16), Aff1, INTID, Aff2, Aff3. */
	uint64_t aff0 = mpidr & 0xff;
	uint64_t v = (1ull << (aff0 & 15)) | ((mpidr >> 8) & 0xff) << 16 |
	             (uint64_t)SGI_RESCHEDULE << 24 | ((mpidr >> 16) & 0xff) << 32 |
	             (aff0 >> 4) << 44 | ((mpidr >> 32) & 0xff) << 48;
	DSB(ish);                        /* what the target is to see, before the interrupt */
	SYSREG_WRITE(S3_0_C12_C11_5, v); /* ICC_SGI1R_EL1 */
	ISB();
}

void arch_irq_enable_line(unsigned irq)
{
	if (irq < 32) {
		*(volatile uint32_t *)(this_cpu()->gicr + GICR_ISENABLER0) = 1u << irq;
	} else {
		volatile uint64_t *route =
		    (volatile uint64_t *)reg32(platform.gicd_base, GICD_IROUTER + irq * 8);
		/* To the CPU enabling it: IRQ_HANDLER_ACK is the driver thread's, so its next
		 * interrupt is taken where that thread runs and wakes it without an SGI. The
		 * affinity fields of MPIDR and GICD_IROUTER have the same layout. */
		*route = this_cpu()->mpidr;
		*reg32(platform.gicd_base, GICD_ISENABLER + (irq / 32) * 4) = 1u << (irq % 32);
	}
}

unsigned arch_irq_line_count(void)
{
	return line_count;
}

void arch_irq_disable_line(unsigned irq)
{
	if (irq < 32)
		*(volatile uint32_t *)(this_cpu()->gicr + GICR_ICENABLER0) = 1u << irq;
	else if (irq < line_count)
		*reg32(platform.gicd_base, GICD_ICENABLER + (irq / 32) * 4) = 1u << (irq % 32);
}

void arch_irq_set_trigger(unsigned irq, bool edge)
{
	/* Two bits per line; bit 1 set = edge. SGIs are fixed, PPIs live per CPU. */
	volatile uint32_t *cfg;
	if (irq < 16 || irq >= line_count)
		return;
	if (irq < 32)
		cfg = (volatile uint32_t *)(this_cpu()->gicr + GICR_ICFGR1);
	else
		cfg = reg32(platform.gicd_base, GICD_ICFGR + (irq / 16) * 4);
	uint32_t bit = 2u << ((irq % 16) * 2);
	*cfg = edge ? (*cfg | bit) : (*cfg & ~bit);
}

void clock_tick(void);

void arch_irq_dispatch(void)
{
	for (;;) {
		uint64_t intid = SYSREG_READ(ICC_IAR1_EL1) & 0xffffff;
		if (intid >= SPURIOUS_INTID && intid < 1024)
			return;
		if (intid == platform.timer_irq)
			clock_tick();
		else if (intid != SGI_RESCHEDULE) /* that one only makes the exit path decide */
			irq_deliver((unsigned)intid);
		SYSREG_WRITE(ICC_EOIR1_EL1, intid);
		ISB();
	}
}
