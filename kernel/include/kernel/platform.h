/* Platform facts the kernel learns from the DTB at boot. */
#ifndef KERNEL_PLATFORM_H
#define KERNEL_PLATFORM_H

/* The build's platform UART (QEMU virt's PL011). Only a fallback: the kernel's console is
 * the PL011 the DTB names, and this one is used solely to report a panic that comes before
 * the DTB could be trusted to name it (arch/aarch64/head.S maps it for that). */
#define PLATFORM_EARLY_UART 0x09000000

#ifndef __ASSEMBLER__
#include <kernel/types.h>

#define PLATFORM_MAX_RAM_REGIONS 8

struct platform_info {
	paddr_t uart_base; /* 0: no console (the DTB names no enabled PL011) */
	paddr_t gicd_base;
	paddr_t gicr_base;
	uint64_t gicd_size, gicr_size;
	paddr_t its_base; /* 0: no GICv3 ITS (no MSIs) */
	uint64_t its_size;
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

#endif
