/* test/pcie: a driver that claims class 0x00ff00 (the two virtio-rngs: 01:00.0 behind a
 * root port, 04:01.0 behind a PCIe-to-PCI bridge) and checks it gets exactly those: by
 * index, with their BARs, an I/O BAR that has no frames, INTx lines swizzled through the
 * bridges (both arrive on one line: the second is refused as shared). The NVMe controller
 * is out of its reach through the bus: its rule does not match it. */
#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6/pci_client.h>
#include <m6/runtime.h>

#include "pcitest_check.h"

int main(void)
{
	who = "pciother";
	uint32_t n = 0;
	check_status(pci_count(CAP_RNG, &n), M6_OK, "count");
	check(n == 2, "two functions match class 0x00ff00");
	struct pci_identity id;
	m6_cptr_t io_slot = m6_cap_alloc();
	check_status(pci_iospace(CAP_RNG, 0, io_slot), PCI_ERR_NOT_CLAIMED,
	             "an IOSpace before the claim");
	check_status(pci_claim(CAP_RNG, 0, &id), M6_OK, "claim 0");
	check(id.vendor == 0x1af4 && id.device == 0x1044 && id.requester_id == 0x0100,
	      "function 0 is the modern virtio-rng at 01:00.0");
	check_status(pci_claim(CAP_RNG, 1, &id), M6_OK, "claim 1");
	check(id.vendor == 0x1af4 && id.device == 0x1005 && id.requester_id == (4 << 8 | 1 << 3),
	      "function 1 is the transitional virtio-rng at 04:01.0");
	check_status(pci_claim(CAP_RNG, 2, &id), PCI_ERR_NO_DEVICE, "claim 2");

	struct pci_bar_info info;
	check_status(pci_bar(CAP_RNG, 1, 0, &info), M6_OK, "BAR0 of 04:01.0");
	check(info.kind == PCI_BAR_KIND_IO && info.size == 0x20 && info.frames == 0,
	      "BAR0 of 04:01.0 is 32 bytes of I/O, no frames");
	m6_cptr_t slot = m6_cap_alloc();
	check_status(pci_bar_frame(CAP_RNG, 1, 0, 0, slot), PCI_ERR_NO_BAR,
	             "a frame of an I/O BAR");

	struct m6_pci_device dev;
	check_status(m6_pci_open(CAP_RNG, 0, CAP_TABLES, 0x6000000000ull, &dev), M6_OK, "open 0");
	check(dev.bars[1].frames == 1 && dev.bars[4].frames == 4 && dev.bars[4].vaddr != 0,
	      "BAR1 (4 KiB) and BAR4 (16 KiB) of 01:00.0 mapped");
	/* The virtio structures (BAR4, QEMU's layout: common config first) answer: the
	 * device feature select register reads back what was written. */
	volatile uint32_t *common = (volatile uint32_t *)(uintptr_t)dev.bars[4].vaddr;
	common[0] = 1;
	check(common[0] == 1, "virtio common config through BAR4's frames");

	m6_cptr_t irq;
	uint32_t intid = 0;
	check_status(m6_pci_intx(&dev, &irq, &intid), M6_OK, "INTx of 01:00.0");
	check(intid == 37, "01:00.0 pin A, behind root port 00:02.0: SPI 5");
	struct m6_pci_device dev1 = {.bus = CAP_RNG, .index = 1};
	check_status(m6_pci_intx(&dev1, &irq, &intid), PCI_ERR_SHARED,
	             "04:01.0's line (swizzled to 00:05.0 pin B: SPI 5) is taken");

	say("pciother: ");
	say(failures ? "FAILED " : "all ");
	say_hex(checks - failures);
	say(" of ");
	say_hex(checks);
	say(" checks passed\n");
	m6_signal(CAP_DONE);
	return 0; /* the thread stops; pcitest powers off */
}
