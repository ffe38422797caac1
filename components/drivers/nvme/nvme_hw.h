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

/* The most I/O queue pairs the driver runs: one per CPU of the largest machine (qemu-virt's
 * 8), each with its own interrupt. */
#define NVME_HW_MAX_IO 8u

struct nvme_hw {
	volatile uint8_t *regs; /* BAR0: controller registers and doorbells */
	size_t regs_size;
	m6_cptr_t irq; /* the admin queue's interrupt: INTx, or MSI-X vector 0 */
	/* The I/O queue pairs' interrupts: with INTx one, the same handler as `irq` (vector 0);
	 * with MSI-X one each, vectors 1, 2, ... (at most what the driver asked for and the
	 * function's table holds). */
	unsigned io_count;
	m6_cptr_t io_irq[NVME_HW_MAX_IO];
	uint16_t io_vector[NVME_HW_MAX_IO];
	const char *kind; /* "INTx" or "MSI-X", for the log */
	/* The function's IOSpace from the bus (its DMA reaches what the driver maps there);
	 * 0: none (no SMMU, or a bus without iospace_control): it DMAs to physical addresses. */
	m6_cptr_t iospace;
};

/* Fills *hw with up to `want_io` (1 .. NVME_HW_MAX_IO) I/O interrupts, or returns a reason
 * (a string for the log) and leaves the device alone. */
const char *nvme_hw_acquire(struct nvme_hw *hw, unsigned want_io);

/* Stops a controller an earlier run of the driver held (a restart: docs/supervision.md)
 * before this run makes DMA memory from the same pool, so nothing the crashed run gave
 * it can write there any more; on a first start there is nothing to stop. Returns NULL or
 * a reason. */
const char *nvme_hw_stop(void);

#endif
