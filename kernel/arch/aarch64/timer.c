/* Generic timer (EL1 physical timer): the scheduler's tick. */
#include <arch/sysreg.h>
#include <kernel/arch.h>
#include <kernel/platform.h>
#include <kernel/scheduler.h>

static uint64_t tick_interval;

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
	SYSREG_WRITE(cntp_ctl_el0, 1); /* enabled, not masked */
	ISB();
}

void timer_init(uint64_t interval)
{
	tick_interval = interval;
	arch_irq_enable_line(platform.timer_irq);
	arch_timer_set_deadline(arch_timer_now() + tick_interval);
}

void timer_handle_irq(void)
{
	arch_timer_set_deadline(arch_timer_now() + tick_interval);
	scheduler_timeslice_end();
}
