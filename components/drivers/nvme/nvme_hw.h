/* How the NVMe driver gets its controller (docs/devices.md, "NVMe driver"): the
 * registers (BAR0, mapped), and an interrupt (an IRQ handler cap whose notification the
 * driver binds). The driver's main file uses only this; where the device comes from is
 * the acquisition file linked with it:
 *
 * - nvme_direct.c (test systems only): the driver programs BAR0 of one PCIe function
 *   itself through a 4 KiB device untyped over that function's ECAM page, maps a device
 *   untyped over the address it gave the BAR, and takes the function's INTx line as an
 *   `irq` statement. A bus component that hands drivers their devices replaces it.
 */
#ifndef M6_NVME_HW_H
#define M6_NVME_HW_H

#include <stddef.h>
#include <stdint.h>

#include <m6/caps.h>

struct nvme_hw {
	volatile uint8_t *regs; /* BAR0: controller registers and doorbells */
	size_t regs_size;
	m6_cptr_t irq; /* IRQHandler: the driver binds it and acks it */
};

/* Fills *hw, or returns a reason (a string for the log) and leaves the device alone.
 */
const char *nvme_hw_acquire(struct nvme_hw *hw);

#endif
