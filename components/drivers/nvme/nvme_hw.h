/* How the NVMe driver gets its controller (docs/devices.md, "NVMe driver"): the
 * registers (BAR0, mapped), and an interrupt (an IRQHandler cap the driver binds to its
 * notification and acks). The driver's main file uses only this; nvme_pci.c fills it from
 * the PCIe bus component (libm6/interfaces/pci.idl). Another source (a platform device,
 * MSI-X vectors) is another file behind the same struct. */
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
