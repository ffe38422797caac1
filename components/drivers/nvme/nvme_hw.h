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
	m6_cptr_t irq;      /* the admin queue's interrupt: INTx, or MSI-X vector 0 */
	m6_cptr_t io_irq;   /* the I/O queue pair's: the same INTx handler, or MSI-X vector 1 */
	uint16_t io_vector; /* the I/O completion queue's interrupt vector: 0 (INTx) or 1 */
	const char *kind;   /* "INTx" or "MSI-X", for the log */
};

/* Fills *hw, or returns a reason (a string for the log) and leaves the device alone.
 */
const char *nvme_hw_acquire(struct nvme_hw *hw);

/* Stops a controller an earlier run of the driver held (a restart: docs/supervision.md)
 * before this run makes DMA memory from the same pool, so nothing the crashed run gave
 * it can write there any more; on a first start there is nothing to stop. Returns NULL or
 * a reason. */
const char *nvme_hw_stop(void);

#endif
