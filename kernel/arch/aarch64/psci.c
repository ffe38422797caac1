/* PSCI calls for power off and reset, through the conduit the DTB names. */
#include <kernel/arch.h>
#include <kernel/platform.h>

#define PSCI_SYSTEM_OFF   0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u

static void psci_call(uint32_t fn)
{
	register uint64_t x0 __asm__("x0") = fn;
	if (platform.psci_smc)
		__asm__ volatile("smc #0" : "+r"(x0)::"memory");
	else
		__asm__ volatile("hvc #0" : "+r"(x0)::"memory");
}

void arch_power_off(void)
{
	psci_call(PSCI_SYSTEM_OFF);
	for (;;)
		__asm__ volatile("wfi");
}

void arch_reset(void)
{
	psci_call(PSCI_SYSTEM_RESET);
	for (;;)
		__asm__ volatile("wfi");
}

void arch_halt_system(void)
{
	/* Tests read the serial log and need QEMU to exit; on hardware this powers off. */
	arch_power_off();
}
