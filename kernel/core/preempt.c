/* Preemption points: see kernel/preempt.h. */
#include <kernel/arch.h>
#include <kernel/preempt.h>

bool preemption_pending(void)
{
	return arch_irq_pending();
}
