/* The NVMe driver's controller from the PCIe bus component (nvme_hw.h): the spec's
 * `pci BUS claims class 0x010802 as NVME` gives the driver a call cap to the bus with a
 * badge that lets it claim NVMe controllers and nothing else (docs/spec-language.md,
 * "PCI"); m6_pci_open claims the first one and maps its BARs; m6_pci_msix hands MSI-X
 * vectors as LPIs through the ITS (the bus programs the table and enables MSI-X), or
 * m6_pci_intx the INTx line (the bus resolves the host bridge's interrupt-map). The driver
 * never touches config space: the bus enabled the function when it enumerated. With an
 * SMMU, m6_pci_iospace gets the IOSpace the bus bound to the controller (nvme_main.c maps
 * the DMA memory there). Page
 * tables for the BAR mappings come from the driver's `untyped dma` pool, after its DMA
 * frames. */
#include <stdint.h>

#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6/pci_client.h>
#include <m6_caps.h>

#include "nvme_hw.h"

#define PCI_VADDR  0x4100000000ull /* a 1 GiB slot of its own, away from DMA and regions */
#define CLASS_NVME 0x010802u

const char *nvme_hw_acquire(struct nvme_hw *hw, unsigned want_io)
{
	static struct m6_pci_device dev;
	/* nvme_hw_stop ran first: m6_pci_open turns bus mastering on again, and bring-up
	 * resets the controller itself. */
	if (m6_pci_open(CAP_NVME, 0, CAP_DMA, PCI_VADDR, &dev) != M6_OK)
		return "the PCIe bus handed no NVMe controller (none present, or claimed)";
	if (dev.id.class_code != CLASS_NVME)
		return "the bus handed a function that is not an NVMe controller";
	const struct m6_pci_bar *bar0 = &dev.bars[0];
	if (bar0->vaddr == 0 || bar0->kind == PCI_BAR_KIND_IO || bar0->size < 0x2000)
		return "BAR0 is not a mapped memory BAR of at least 8 KiB";
	hw->regs = (volatile uint8_t *)(uintptr_t)bar0->vaddr;
	hw->regs_size = (size_t)bar0->size;
	/* The IOSpace the bus binds to the controller's requester ID: its DMA then reaches the
	 * pages the driver maps there and nothing else. `unsupported` (no SMMU, or a bus
	 * without iospace_control) leaves the controller DMAing to physical addresses. */
	hw->iospace = 0;
	uint64_t err = m6_pci_iospace(&dev, &hw->iospace);
	if (err != M6_OK && err != PCI_ERR_UNSUPPORTED)
		return "the PCIe bus could not give the controller an IOSpace";
	/* MSI-X when the controller has two vectors and the bus can hand them (its spec gives
	 * it the ITS: `untyped msi`): vector 0 for the admin queue, 1, 2, ... for the I/O pairs,
	 * as many as asked for and the table holds (at least one). Else the INTx line for
	 * everything, and one I/O pair. */
	m6_cptr_t admin = 0;
	uint32_t intid = 0;
	if (dev.id.msix_vectors >= 2 && m6_pci_msix(&dev, 0, &admin, &intid) == M6_OK) {
		unsigned n = 0;
		while (n < want_io && n < NVME_HW_MAX_IO && n + 1 < dev.id.msix_vectors &&
		       m6_pci_msix(&dev, n + 1, &hw->io_irq[n], &intid) == M6_OK) {
			hw->io_vector[n] = (uint16_t)(n + 1);
			n++;
		}
		if (n) {
			hw->irq = admin;
			hw->io_count = n;
			hw->kind = "MSI-X";
			return NULL;
		}
	}
	if (m6_pci_intx(&dev, &admin, &intid) != M6_OK)
		return "the bus handed no interrupt for the controller (neither MSI-X nor INTx)";
	hw->irq = hw->io_irq[0] = admin;
	hw->io_vector[0] = 0;
	hw->io_count = 1;
	hw->kind = "INTx";
	return NULL;
}

const char *nvme_hw_stop(void)
{
	/* A restarted driver (docs/devices.md, supervision) finds its claim still held: the
	 * bus then stops the function (bus mastering off, so the crashed instance's commands
	 * can no longer read or write memory) and takes back the BAR mappings and interrupts
	 * it had. On a first start nothing is claimed yet and the bus answers not_claimed
	 * (no_device: there is none, which m6_pci_open reports): nothing to stop. */
	uint64_t stopped = pci_reset(CAP_NVME, 0);
	if (stopped != M6_OK && stopped != PCI_ERR_NOT_CLAIMED && stopped != PCI_ERR_NO_DEVICE)
		return "the PCIe bus refused to stop the controller a previous instance held";
	return NULL;
}
