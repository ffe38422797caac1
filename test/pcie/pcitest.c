/* test/pcie: a driver that claims the NVMe controller by class (`pci bus claims class
 * 0x010802 as NVME`), maps BAR0 through the bus and reads the controller's registers, gets
 * its INTx handler, and tries what the bus must refuse. It prints what it read for
 * check_pcie.py to compare with what QEMU's NVMe reports, waits for pciother, and powers
 * off (the bus keeps serving: it never powers off). */
#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6/pci_client.h>
#include <m6/runtime.h>

#include "pcitest_check.h"

#define BARS_VADDR 0x6000000000ull

int main(void)
{
	who = "pcitest";
	uint32_t n = 0;
	check_status(pci_count(CAP_NVME, &n), M6_OK, "count");
	check(n == 1, "one function matches class 0x010802");

	struct m6_pci_device dev;
	check_status(m6_pci_open(CAP_NVME, 0, CAP_TABLES, BARS_VADDR, &dev), M6_OK, "open");
	check(dev.id.vendor == 0x1b36 && dev.id.device == 0x0010 && dev.id.class_code == 0x010802,
	      "identity 1b36:0010 class 010802");
	check(dev.id.requester_id == (0 << 8 | 1 << 3 | 0), "requester ID of 00:01.0");
	check(dev.id.bars == 1, "one BAR (0, 64-bit)");
	check(dev.bars[0].kind == PCI_BAR_KIND_MEM64 && dev.bars[0].size == 0x4000 &&
	          dev.bars[0].frames == 4 && dev.bars[0].vaddr == BARS_VADDR,
	      "BAR0: 16 KiB of 64-bit memory in 4 frames, mapped");
	check(dev.id.msix_vectors > 0 && dev.id.msix_table_bar == 0 &&
	          dev.id.msix_table_offset + dev.id.msix_vectors * 16ull <= 0x4000,
	      "an MSI-X table inside BAR0");

	/* The controller's registers through the frames the bus handed out. */
	volatile uint32_t *regs = (volatile uint32_t *)(uintptr_t)dev.bars[0].vaddr;
	uint64_t cap = regs[0] | (uint64_t)regs[1] << 32;
	uint32_t vs = regs[2];
	uint32_t cc = regs[5];
	check(vs == 0x00010400, "VS: NVMe 1.4");
	check((cap & 0xffff) >= 63 && (cap >> 16 & 1) == 1 && (cap >> 37 & 1) == 1,
	      "CAP: MQES >= 63, CQR, the NVM command set");
	check(cc == 0, "CC: not enabled yet");

	m6_cptr_t irq = 0;
	uint32_t intid = 0;
	check_status(m6_pci_intx(&dev, &irq, &intid), M6_OK, "INTx");
	check(intid == 36, "INTx of 00:01.0 pin A is SPI 4 (interrupt-map)");
	check_status(m6_irq_handler_ack(irq), M6_OK, "the handler is a working IRQHandler");

	say("pcitest: nvme rid ");
	say_hex(dev.id.requester_id);
	say(" cap ");
	say_hex(cap);
	say(" vs ");
	say_hex(vs);
	say(" msix ");
	say_hex(dev.id.msix_vectors);
	say(" table ");
	say_hex(dev.id.msix_table_offset);
	say(" pba ");
	say_hex(dev.id.msix_pba_offset);
	say(" intid ");
	say_hex(intid);
	say("\n");

	/* What the bus refuses, each with its error. */
	struct pci_identity id;
	struct pci_bar_info info;
	m6_cptr_t slot = m6_cap_alloc();
	check_status(pci_claim(CAP_NVME, 0, &id), M6_OK, "claiming a function held already");
	check_status(pci_claim(CAP_NVME, 1, &id), PCI_ERR_NO_DEVICE, "index beyond the matches");
	check_status(pci_bar(CAP_NVME, 0, 1, &info), PCI_ERR_NO_BAR, "BAR1 (upper half of BAR0)");
	check_status(pci_bar(CAP_NVME, 0, 6, &info), PCI_ERR_NO_BAR, "BAR6");
	check_status(pci_bar_frame(CAP_NVME, 0, 0, 4, slot), M6_ERR_RANGE,
	             "page 4 of a 4-page BAR");
	check_status(pci_bar_frame(CAP_NVME, 0, 0, 0, dev.bars[0].first_frame), M6_ERR_DELETE_FIRST,
	             "a frame into an occupied slot");
	check_status(pci_interrupt(CAP_NVME, 0, PCI_IRQ_KIND_MSIX, 0, slot, &intid),
	             PCI_ERR_UNSUPPORTED, "MSI-X (no ITS yet)");
	check_status(pci_interrupt(CAP_NVME, 0, PCI_IRQ_KIND_INTX, 1, slot, &intid),
	             PCI_ERR_NO_INTERRUPT, "INTx vector 1");

	/* Config space: reads anywhere in 4 KiB, writes by the rules. */
	uint32_t v = 0, cmd = 0;
	check_status(pci_config_read(CAP_NVME, 0, 0, &v), M6_OK, "config read");
	check(v == 0x00101b36, "config dword 0 is the IDs");
	check_status(pci_config_read(CAP_NVME, 0, 2, &v), M6_ERR_RANGE, "misaligned config read");
	check_status(pci_config_read(CAP_NVME, 0, 4096, &v), M6_ERR_RANGE,
	             "config read past 4 KiB");
	check_status(pci_config_write(CAP_NVME, 0, 0x10, 0xffffffff), PCI_ERR_REFUSED,
	             "writing BAR0");
	check_status(pci_config_write(CAP_NVME, 0, 0x18, 0), PCI_ERR_REFUSED, "writing BAR2");
	check_status(pci_config_read(CAP_NVME, 0, 4, &cmd), M6_OK, "command register");
	check((cmd & 6) == 6, "the bus enabled memory decoding and bus mastering");
	check_status(pci_config_write(CAP_NVME, 0, 4, cmd & ~2u), PCI_ERR_REFUSED,
	             "turning memory decoding off");
	check_status(pci_config_write(CAP_NVME, 0, 4, cmd & ~4u), M6_OK, "bus mastering off");
	check_status(pci_config_read(CAP_NVME, 0, 4, &v), M6_OK, "command register again");
	check((v & 4) == 0, "bus mastering is off");
	check_status(pci_config_write(CAP_NVME, 0, 4, cmd), M6_OK, "bus mastering back on");
	check(regs[2] == 0x00010400, "the BAR still decodes after the command writes");

	/* pciother (badge 1) and bystander (2) finish their checks (their priorities are
	 * higher: they ran while we waited on the bus), then we report and power off. */
	uint64_t done = 0;
	while (done != 3)
		done |= m6_wait(CAP_DONE);
	say("pcitest: ");
	say(failures ? "FAILED " : "all ");
	say_hex(checks - failures);
	say(" of ");
	say_hex(checks);
	say(" checks passed\n");
	m6_power_off(CAP_POWER);
	return 0;
}
