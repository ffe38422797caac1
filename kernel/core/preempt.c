/* Preemption points: see kernel/preempt.h. */
#include <kernel/smp.h>
#include <kernel/arch.h>
#include <kernel/preempt.h>

bool preemption_pending(void)
{
	/* Another CPU waiting for the big lock is as good a reason to stop as an interrupt:
	 * otherwise a long operation here would keep every other CPU out of the kernel. */
	return arch_irq_pending() || kernel_lock_contended();
}
