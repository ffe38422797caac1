/* Generic timer: the scheduler's tick and every Timer object's deadline.
 *
 * The kernel uses the EL1 *virtual* timer (CNTV_*), which compares against CNTVCT, the
 * counter user space reads (CNTVCT_EL0) and the ABI gives every time value in. The
 * physical timer would compare against CNTPCT, which differs from CNTVCT by CNTVOFF_EL2:
 * zero when we enter at EL2 (head.S clears it) and on a CPU without EL2, but whatever a
 * hypervisor or firmware chose when we are entered at EL1 below one. One counter for
 * deadlines and for reading the time makes that offset irrelevant. */
#include <arch/sysreg.h>
#include <kernel/arch.h>
#include <kernel/platform.h>
#include <kernel/scheduler.h>

uint64_t arch_timer_now(void)
{
	ISB();
	return SYSREG_READ(cntvct_el0);
}

uint64_t arch_timer_frequency(void)
{
	return SYSREG_READ(cntfrq_el0);
}

void arch_timer_set_deadline(uint64_t ticks)
{
	SYSREG_WRITE(cntv_cval_el0, ticks);
	/* Enabled, not masked; "never" keeps it enabled with an unreachable compare. */
	SYSREG_WRITE(cntv_ctl_el0, 1);
	ISB();
}

/* Each CPU's own timer registers and PPI (its redistributor): the boot CPU from
 * timer_init(), the others from arch_cpu_init_secondary(). */
void timer_cpu_init(void)
{
	/* EL0 may read the virtual counter (monotonic time, no authority) but not touch
	 * the timers, which are the kernel's (EL0VCTEN only). The event stream is on: a WFE
	 * at EL0 wakes within 100-200 us (an event each time counter bit EVNTI goes from 0 to
	 * 1: the lowest bit whose period is at least 100 us), so a spin-wait on WFE cannot sleep
	 * for good when the store it waits for sends no event; Linux promises this (HWCAP_EVTSTRM).
	 */
	uint64_t freq = arch_timer_frequency(), bit = 0;
	while (bit < 15 && (2ull << bit) < freq / 10000)
		bit++;
	SYSREG_WRITE(cntkctl_el1, (1u << 1) | (1u << 2) | (bit << 4));
	/* The physical timer is nobody's: whatever a loader left in it stays silent. */
	SYSREG_WRITE(cntp_ctl_el0, 0);
	arch_irq_enable_line(platform.timer_irq);
}

void timer_init(void)
{
	timer_cpu_init();
}

void arch_pmu_enable_user(void)
{
	SYSREG_WRITE(pmevtyper0_el0, 0x08); /* INST_RETIRED, counted at EL0 and EL1 */
	SYSREG_WRITE(pmcntenset_el0, (1ull << 31) | 1);
	SYSREG_WRITE(pmcr_el0, (1u << 6) | (1u << 2) | (1u << 1) | 1); /* LC, C, P, E */
	SYSREG_WRITE(pmuserenr_el0, (1u << 3) | (1u << 2) | 1);        /* ER, CR, EN */
	ISB();
}
