/* Generic timer (EL1 physical timer): the scheduler's tick. */
#include <arch/sysreg.h>
#include <kernel/arch.h>
#include <kernel/platform.h>
#include <kernel/scheduler.h>

uint64_t arch_timer_now(void)
{
	ISB();
	return SYSREG_READ(cntpct_el0);
}

uint64_t arch_timer_frequency(void)
{
	return SYSREG_READ(cntfrq_el0);
}

void arch_timer_set_deadline(uint64_t ticks)
{
	SYSREG_WRITE(cntp_cval_el0, ticks);
	/* Enabled, not masked; "never" keeps it enabled with an unreachable compare. */
	SYSREG_WRITE(cntp_ctl_el0, 1);
	ISB();
}

void timer_init(void)
{
	/* EL0 may read the virtual counter (monotonic time, no authority) but not touch
	 * the timers, which are the kernel's. */
	SYSREG_WRITE(cntkctl_el1, 1u << 1);
	arch_irq_enable_line(platform.timer_irq);
}
