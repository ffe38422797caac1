/* Platform facts the kernel learns from the DTB at boot. */
#ifndef KERNEL_PLATFORM_H
#define KERNEL_PLATFORM_H

#include <kernel/types.h>

#define PLATFORM_MAX_RAM_REGIONS 8

struct platform_info {
	paddr_t uart_base;
	paddr_t gicd_base;
	paddr_t gicr_base;
	unsigned timer_irq; /* INTID of the EL1 virtual timer */
	bool psci_smc;      /* conduit: smc (true) or hvc */
	unsigned ram_count;
	struct {
		paddr_t base, end;
	} ram[PLATFORM_MAX_RAM_REGIONS];
};

extern struct platform_info platform;

/* Whether [base, base + size) overlaps RAM (device frames must not). */
bool platform_overlaps_ram(paddr_t base, uint64_t size);

#endif
