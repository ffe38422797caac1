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
/* In BAR0's 2 MiB span, so the page tables m6_pci_open made serve these pages too; the
 * second round (after the function level reset) uses the next 64 KiB. */
#define DMA_VADDR (BARS_VADDR + 0x100000)
#define DMA_ROUND 0x10000ull

/* NVMe registers (32-bit word indices into BAR0) and the admin queue doorbells. */
enum { CC = 0x14 / 4, CSTS = 0x1c / 4, AQA = 0x24 / 4, ASQ = 0x28 / 4, ACQ = 0x30 / 4 };
#define SQ0_TAIL (0x1000 / 4)
#define CQ0_HEAD (0x1004 / 4)

/* The controller's DMA goes through the IOSpace the bus hands (the system runs with the
 * SMMU): the pages below are mapped there from IOVA on, 4 GiB up (above RAM). */
#define IOVA 0x100000000ull

/* The offset in config space of the capability with ID `id` (0: none), found by walking
 * the capability list as the bus does. */
static unsigned capability(unsigned id)
{
	uint32_t v = 0;
	pci_config_read(CAP_NVME, 0, 0x34, &v);
	unsigned at = v & 0xfcu;
	for (unsigned hops = 0; at >= 0x40 && hops < 48; hops++) {
		if (pci_config_read(CAP_NVME, 0, at, &v) != M6_OK)
			return 0;
		if ((v & 0xffu) == id)
			return at;
		at = (v >> 8) & 0xfcu;
	}
	return 0;
}

/* A 4 KiB page of RAM from `dma`, mapped at `va` and, through a copy of its cap, at I/O
 * address *iova in `iospace`. */
static volatile uint32_t *dma_page(uint64_t va, m6_cptr_t iospace, uint64_t iova)
{
	m6_cptr_t f = m6_cap_alloc(), io = m6_cap_alloc();
	if (!f || !io ||
	    m6_untyped_retype(CAP_DMA, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, f, 1) != M6_OK ||
	    m6_frame_map(f, M6_CAP_SELF_VSPACE, va, M6_RIGHT_READ | M6_RIGHT_WRITE) != M6_OK ||
	    m6_cnode_copy(M6_CAP_SELF_CNODE, io, M6_DEPTH_ROOT, M6_CAP_SELF_CNODE, f, M6_DEPTH_ROOT,
	                  M6_RIGHTS_ALL) != M6_OK ||
	    m6_frame_map_io(io, iospace, iova, M6_RIGHT_READ | M6_RIGHT_WRITE) != M6_OK)
		return 0;
	return (volatile uint32_t *)(uintptr_t)va;
}

/* An IOPageTable of `level` from `dma`, mapped in `iospace` above `iova`. */
static uint64_t io_table(m6_cptr_t iospace, uint64_t iova, unsigned level)
{
	m6_cptr_t t = m6_cap_alloc();
	if (!t)
		return M6_ERR_NOT_ENOUGH_MEMORY;
	uint64_t err = m6_untyped_retype(CAP_DMA, M6_OBJ_IO_PAGE_TABLE, 0, M6_CAP_SELF_CNODE, t, 1);
	return err != M6_OK ? err : m6_io_page_table_map(t, iospace, iova, level);
}

/* The controller's admin queue pair (2 entries each), an Identify Controller command, and
 * its completion signalled through MSI-X vector 0 (the admin completion queue's): the
 * vector the bus programmed reaches the ITS, and its LPI our notification. */
static void identify_through_msix(const struct m6_pci_device *dev, volatile uint32_t *regs,
                                  m6_cptr_t iospace, unsigned round)
{
	m6_cptr_t handler = 0;
	uint32_t lpi = 0;
	check_status(m6_pci_msix(dev, 0, &handler, &lpi), M6_OK, "MSI-X vector 0");
	m6_cptr_t again = 0;
	uint32_t lpi_again = 0;
	check_status(m6_pci_msix(dev, 0, &again, &lpi_again), M6_OK, "MSI-X vector 0 again");
	check(lpi_again == lpi, "asking again answers the same vector");
	check(lpi >= 8192, "an LPI (interrupt ID 8192 and up)");
	uint32_t cmd = 0;
	pci_config_read(CAP_NVME, 0, 4, &cmd);
	check(cmd & (1u << 10), "the bus disabled INTx when it enabled MSI-X");
	m6_cptr_t irq = m6_cap_mint(CAP_IRQ, M6_RIGHT_WRITE, 1);
	check_status(m6_irq_handler_set_notification(handler, irq), M6_OK,
	             "handler -> notification");
	check_status(m6_irq_handler_ack(handler), M6_OK, "unmask the vector");

	/* The admin queues and the Identify page: RAM the controller reads and writes by DMA
	 * at the I/O addresses the IOSpace maps them at (the kernel's level-1 table, which
	 * leads to the MSI doorbell, covers 4 GiB: a level-2 and a level-3 table of ours). */
	check_status(io_table(iospace, IOVA, 2), M6_OK, "IOPageTable level 2");
	check_status(io_table(iospace, IOVA, 3), M6_OK, "IOPageTable level 3");
	uint64_t sq_pa = IOVA, cq_pa = IOVA + 0x1000, id_pa = IOVA + 0x2000;
	uint64_t va = DMA_VADDR + round * DMA_ROUND;
	volatile uint32_t *sq = dma_page(va, iospace, sq_pa);
	volatile uint32_t *cq = dma_page(va + 0x1000, iospace, cq_pa);
	volatile uint32_t *idp = dma_page(va + 0x2000, iospace, id_pa);
	if (!sq || !cq || !idp) {
		check(false, "DMA pages");
		return;
	}
	regs[AQA] = 1u << 16 | 1u; /* 2-entry admin queues (zero-based sizes) */
	regs[ASQ] = (uint32_t)sq_pa;
	regs[ASQ + 1] = (uint32_t)(sq_pa >> 32);
	regs[ACQ] = (uint32_t)cq_pa;
	regs[ACQ + 1] = (uint32_t)(cq_pa >> 32);
	regs[CC] = 1u | 6u << 16 | 4u << 20; /* enable; 64-byte SQ and 16-byte CQ entries */
	unsigned spins = 0;
	while (!(regs[CSTS] & 1u) && spins++ < 100000)
		m6_yield();
	check(regs[CSTS] & 1u, "CSTS.RDY after enabling the controller");
	/* Identify Controller: opcode 0x06, command ID 7, PRP1 the page, CNS 1 */
	for (unsigned i = 0; i < 16; i++)
		sq[i] = 0;
	sq[0] = 0x06u | 7u << 16;
	sq[6] = (uint32_t)id_pa;
	sq[7] = (uint32_t)(id_pa >> 32);
	sq[10] = 1u;
	__asm__ volatile("dsb sy" ::: "memory");
	regs[SQ0_TAIL] = 1;
	uint64_t word = m6_wait(CAP_IRQ);
	check(word == 1, "the MSI-X vector's LPI signalled the notification");
	uint32_t dw3 = cq[3];
	check((dw3 & 0xffffu) == 7 && (dw3 >> 16 & 1u) == 1 && (dw3 >> 17) == 0,
	      "a successful completion of command 7 in phase 1");
	check((idp[0] & 0xffffu) == 0x1b36, "Identify: PCI vendor 0x1b36");
	check((idp[1] & 0xffffu) == ('m' | '6' << 8), "Identify: the serial number starts \"m6\"");
	regs[CQ0_HEAD] = 1;
	check_status(m6_irq_handler_ack(handler), M6_OK, "ack the vector");
	if (round > 0)
		return;
	say("pcitest: msix lpi ");
	say_hex(lpi);
	say(" identify ");
	say_hex(idp[0] & 0xffffu);
	say("\n");
}

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
	check_status(pci_interrupt(CAP_NVME, 0, PCI_IRQ_KIND_MSIX, 65, slot, &intid),
	             PCI_ERR_NO_INTERRUPT, "MSI-X vector 65 of 65");
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

	/* The function's IOSpace: bound to its requester ID by the bus; asking again answers
	 * the same one (a second copy of it). */
	m6_cptr_t iospace = 0, iospace_again = 0;
	check_status(m6_pci_iospace(&dev, &iospace), M6_OK, "IOSpace");
	check_status(m6_pci_iospace(&dev, &iospace_again), M6_OK, "IOSpace again");
	check_status(pci_iospace(CAP_NVME, 0, iospace), M6_ERR_DELETE_FIRST,
	             "an IOSpace into an occupied slot");
	check_status(pci_iospace(CAP_NVME, 1, slot), PCI_ERR_NO_DEVICE,
	             "the IOSpace of an index beyond the matches");
	identify_through_msix(&dev, regs, iospace, 0);
	struct m6_io_fault_info fault;
	check_status(m6_iospace_read_fault(iospace_again, &fault), M6_OK,
	             "read the IOSpace's faults");
	check(fault.count == 0, "the controller's DMA and MSI all passed the IOSpace");

	/* QEMU's NVMe offers Function Level Reset: the bus's reset issues one. */
	unsigned pcie_cap = capability(0x10);
	check(pcie_cap != 0, "the NVMe controller has a PCI Express capability");
	check_status(pci_config_read(CAP_NVME, 0, pcie_cap + 4, &v), M6_OK, "Device Capabilities");
	check(v & 1u << 28, "Device Capabilities: Function Level Reset");
	check(regs[CC] & 1u, "CC.EN: the controller is enabled before the reset");

	/* Nor may the driver reset the function, or put it in D3hot, behind the bus's back:
	 * its BARs would stop decoding under the bus's own reads of the MSI-X table. Nor write
	 * extended config space (SR-IOV, Resizable BAR: decoding the bus did not assign). */
	check_status(pci_config_read(CAP_NVME, 0, pcie_cap + 8, &v), M6_OK, "Device Control");
	check_status(pci_config_write(CAP_NVME, 0, pcie_cap + 8, (v & 0xffffu) | 1u << 15),
	             PCI_ERR_REFUSED, "Initiate FLR through config_write");
	check_status(pci_config_write(CAP_NVME, 0, pcie_cap + 8, v & 0xffffu), M6_OK,
	             "Device Control unchanged");
	unsigned pm_cap = capability(0x01);
	if (pm_cap) {
		check_status(pci_config_read(CAP_NVME, 0, pm_cap + 4, &v), M6_OK, "PMCSR");
		check_status(pci_config_write(CAP_NVME, 0, pm_cap + 4, (v & ~0x8003u) | 3u),
		             PCI_ERR_REFUSED, "PowerState D3hot through config_write");
	}
	check_status(pci_config_write(CAP_NVME, 0, 0x100, 0), PCI_ERR_REFUSED,
	             "a write to extended config space");
	check(regs[2] == 0x00010400, "BAR0 still decodes after the refused writes");
	check(regs[CC] & 1u, "CC.EN: the refused FLR reset nothing");

	/* A restarted driver's first call: the bus takes back what it handed out, stops the
	 * function and resets it; the claim stays, and the BARs can be had again. */
	check_status(pci_reset(CAP_NVME, 0), M6_OK, "reset");
	uint64_t pa;
	check_status(m6_frame_get_address(dev.bars[0].first_frame, &pa), M6_ERR_INVALID_CAP,
	             "the BAR frame's copy is revoked");
	check_status(m6_irq_handler_ack(irq), M6_ERR_INVALID_CAP,
	             "the INTx handler's copy is revoked");
	check_status(m6_iospace_read_fault(iospace, &fault), M6_ERR_INVALID_CAP,
	             "the IOSpace is gone (the device reaches nothing)");
	check_status(pci_config_read(CAP_NVME, 0, 4, &v), M6_OK, "command register after reset");
	check((v & 4u) == 0 && (v & (1u << 10)), "reset: bus mastering off, INTx masked");
	check(v & 2u, "reset: memory decoding restored after the FLR");
	uint32_t bar0 = 0, bar0_hi = 0;
	pci_config_read(CAP_NVME, 0, 0x10, &bar0);
	pci_config_read(CAP_NVME, 0, 0x14, &bar0_hi);
	check(((uint64_t)bar0_hi << 32 | (bar0 & ~0xfu)) == dev.bars[0].address,
	      "reset: BAR0 restored after the FLR");
	check_status(pci_config_read(CAP_NVME, 0, pcie_cap + 8, &v), M6_OK, "Device Control");
	check((v & 1u << 15) == 0, "Device Control: Initiate FLR reads 0");
	check_status(m6_pci_open(CAP_NVME, 0, CAP_TABLES, BARS_VADDR, &dev), M6_OK, "open again");
	check(regs[2] == 0x00010400, "BAR0 mapped again after the reset");
	/* The FLR put the controller's registers back to their reset values. */
	check(regs[CC] == 0, "FLR: CC reads 0 (CC.EN was 1)");
	check((regs[CSTS] & 1u) == 0, "FLR: CSTS.RDY reads 0");
	check_status(pci_config_read(CAP_NVME, 0, 4, &v), M6_OK, "command register after open");
	check(v & 4u, "m6_pci_open turned bus mastering back on");
	m6_cptr_t fresh = 0;
	check_status(m6_pci_iospace(&dev, &fresh), M6_OK, "a fresh IOSpace after the reset");
	check_status(m6_iospace_read_fault(fresh, &fault), M6_OK, "the fresh IOSpace works");
	/* The restarted driver's controller works: enabled again, an Identify completed
	 * through MSI-X vector 0 (the bus wrote the table entry the FLR cleared again). */
	identify_through_msix(&dev, regs, fresh, 1);
	check_status(m6_iospace_read_fault(fresh, &fault), M6_OK,
	             "read the fresh IOSpace's faults");
	check(fault.count == 0, "after the FLR, the controller's DMA and MSI passed the IOSpace");

	/* pciother (badge 1), bystander (2) and pcibig (4) finish their checks (their
	 * priorities are higher: they ran while we waited on the bus), then we report and
	 * power off. */
	uint64_t done = 0;
	while (done != 7)
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
