/*
 * <m6/pci_client.h>: a driver's side of the PCI bus protocol (libm6/interfaces/pci.idl,
 * docs/devices.md "Handing a driver its device"), target m6::pci_client.
 *
 * m6_pci_open() claims function `index` of those the spec lets the driver claim (its
 * `pci BUS claims ... as NAME`: pass CAP_NAME), then fetches every memory BAR's frames
 * from the bus, one call per frame (one cap per message): 4 KiB pages for a BAR below
 * 2 MiB, 2 MiB frames for a larger one (mapped as 2 MiB blocks). It maps them read-write
 * (device memory) from `vaddr` on, each BAR at the next multiple of its size so that a
 * BAR keeps its natural alignment (a 64 MiB BAR at a 64 MiB boundary: leave room).
 * Page tables for the mappings are retyped from `tables` (4 KiB each, created as
 * needed: a few for a small BAR, a level-2 table per GiB of a large one). m6_pci_intx()
 * gets the INTx handler, m6_pci_msix() an MSI-X vector's, m6_pci_iospace() the IOSpace
 * its DMA goes through (with the SMMU). Return values are M6_OK, an m6 error, or a
 * pci.idl error (pci_error_name()).
 *
 * The driver stays short:
 *
 *	struct m6_pci_device dev;
 *	if (m6_pci_open(CAP_PCI, 0, CAP_TABLES, 0x6000000000, &dev) != M6_OK) ...
 *	volatile uint32_t *regs = (volatile uint32_t *)dev.bars[0].vaddr;
 */
#ifndef M6_PCI_CLIENT_H
#define M6_PCI_CLIENT_H

#include <stdint.h>

#include <m6/syscall.h>

#include "pci_idl.h"

struct m6_pci_bar {
	uint64_t vaddr;   /* where it is mapped (0: not mapped: I/O, absent, or not asked) */
	uint64_t size;    /* the BAR's size in bytes */
	uint64_t address; /* its bus address */
	uint32_t kind;    /* enum pci_bar_kind */
	uint32_t frames;
	uint32_t frame_bits;   /* their size: 12 (4 KiB) or 21 (2 MiB) */
	m6_cptr_t first_frame; /* the caps, consecutive slots of the driver's CNode */
};

struct m6_pci_device {
	m6_cptr_t bus;  /* the call cap to the bus */
	uint32_t index; /* of the function among those the claim matches */
	struct pci_identity id;
	struct m6_pci_bar bars[6];
	uint64_t end; /* the first address after the mappings */
};

/* Claim and map. `vaddr` must be 4 KiB aligned and the range after it unused. */
uint64_t m6_pci_open(m6_cptr_t bus, uint32_t index, m6_cptr_t tables, uint64_t vaddr,
                     struct m6_pci_device *dev);

/* The INTx handler of a device m6_pci_open() claimed, in a fresh slot (*handler), and
 * its interrupt ID. Level-triggered: ack it (m6_irq_handler_ack) once the device is
 * quiet. */
uint64_t m6_pci_intx(const struct m6_pci_device *dev, m6_cptr_t *handler, uint32_t *intid);

/* MSI-X vector `vector` (< dev->id.msix_vectors) of a device m6_pci_open() claimed: an LPI
 * handler in a fresh slot and its interrupt ID. The bus programs the table entry and
 * enables MSI-X (INTx off); the handler starts masked: bind a notification, then ack. */
uint64_t m6_pci_msix(const struct m6_pci_device *dev, uint32_t vector, m6_cptr_t *handler,
                     uint32_t *intid);

/* The function's IOSpace (pci.idl's iospace()), in a fresh slot (*iospace): its DMA
 * reaches what the driver maps into it (m6_io_page_table_map, m6_frame_map_io) and the ITS
 * doorbell. PCI_ERR_UNSUPPORTED: the bus cannot give one (no SMMU, or no
 * `syscap iospace_control` in the bus's spec): the device DMAs to physical addresses. */
uint64_t m6_pci_iospace(const struct m6_pci_device *dev, m6_cptr_t *iospace);

#endif
