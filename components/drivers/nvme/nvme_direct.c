/* Test-only acquisition of the NVMe controller (nvme_hw.h): the driver enables the
 * function itself, because no bus component hands devices to drivers yet. It must never
 * be what a default system runs: a driver that can write config space could point its
 * BAR anywhere in the window.
 *
 * What the spec gives it (test/nvme/nvme.m6):
 * - `untyped cfg 4 KiB at ECAM + (bus << 20 | dev << 15 | fn << 12)`: the function's
 *   config space page, and nothing else of the ECAM;
 * - `untyped bar 16 KiB at ADDR`: the BAR's memory in the host bridge's 32-bit window
 *   (QEMU's NVMe BAR0 is 16 KiB: registers, doorbells, MSI-X table);
 * - `irq N as INTX level`: the function's INTA line after the host bridge's swizzle;
 * - `untyped dma` (shared with the driver's DMA memory) for the page tables.
 * The driver writes the BAR address it was given, checks the function is an NVMe
 * controller (class 01:08:02) and the BAR is as large as the untyped, then enables memory
 * decoding and bus mastering. */
#include <stdint.h>

#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6_caps.h>

#include "nvme_hw.h"

#define CFG_VADDR  0x4100000000ull /* 1 GiB slot of its own, away from DMA and regions */
#define BAR_VADDR  (CFG_VADDR + 0x200000ull)
#define BAR_BYTES  (1ull << M6_UNTYPED_BAR_BITS)
#define CLASS_NVME 0x010802u

_Static_assert(M6_UNTYPED_CFG_BITS == 12, "one function's config space page");
_Static_assert(BAR_BYTES <= 0x200000ull, "the BAR fits its 2 MiB of address space");

static volatile uint32_t *cfg(unsigned offset)
{
	return (volatile uint32_t *)(uintptr_t)(CFG_VADDR + offset);
}

static void cfg_write(unsigned offset, uint32_t v)
{
	*cfg(offset) = v;
	__asm__ volatile("dsb sy" ::: "memory");
}

static const char *map_table(uint64_t vaddr, unsigned level)
{
	uint64_t span = 1ull << (12 + 9 * (4 - level));
	m6_cptr_t slot = m6_cap_alloc();
	if (slot == 0 ||
	    m6_untyped_retype(CAP_DMA, M6_OBJ_PAGE_TABLE, 0, M6_CAP_SELF_CNODE, slot, 1))
		return "cannot make a page table for the device";
	uint64_t err = m6_page_table_map(slot, M6_CAP_SELF_VSPACE, vaddr & ~(span - 1), level);
	if (err && err != M6_ERR_DELETE_FIRST)
		return "cannot map a page table for the device";
	return NULL;
}

/* Retypes a device untyped into 4 KiB frames mapped from vaddr on. */
static const char *map_device(m6_cptr_t untyped, uint64_t bytes, uint64_t vaddr)
{
	for (uint64_t off = 0; off < bytes; off += 0x1000) {
		m6_cptr_t frame = m6_cap_alloc();
		if (frame == 0 ||
		    m6_untyped_retype(untyped, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, frame, 1) ||
		    m6_frame_map(frame, M6_CAP_SELF_VSPACE, vaddr + off,
		                 M6_RIGHT_READ | M6_RIGHT_WRITE))
			return "cannot map the device's memory";
	}
	return NULL;
}

const char *nvme_hw_acquire(struct nvme_hw *hw)
{
	const char *why;
	if ((why = map_table(CFG_VADDR, 1)) || (why = map_table(CFG_VADDR, 2)) ||
	    (why = map_table(CFG_VADDR, 3)) || (why = map_table(BAR_VADDR, 3)) ||
	    (why = map_device(CAP_CFG, 0x1000, CFG_VADDR)))
		return why;
	uint32_t id = *cfg(0x00);
	if ((id & 0xffffu) == 0xffffu)
		return "no PCIe function at the config page the spec gives";
	if (*cfg(0x08) >> 8 != CLASS_NVME)
		return "the function is not an NVMe controller (class 01:08:02)";
	/* Size BAR0 with decoding off (all ones, read back, restore), as the PCI spec says. */
	cfg_write(0x04, 0);
	uint32_t lo = *cfg(0x10);
	if ((lo & 0x7u) != 0x4u)
		return "BAR0 is not a 64-bit memory BAR";
	cfg_write(0x10, 0xffffffffu);
	cfg_write(0x14, 0xffffffffu);
	uint64_t mask = (*cfg(0x10) & ~0xfull) | (uint64_t)*cfg(0x14) << 32;
	uint64_t size = ~mask + 1;
	if (mask == 0 || size > BAR_BYTES)
		return "BAR0 is larger than the memory the spec gives for it";
	cfg_write(0x10, (uint32_t)M6_UNTYPED_BAR_PADDR);
	cfg_write(0x14, (uint32_t)((uint64_t)M6_UNTYPED_BAR_PADDR >> 32));
	/* Memory decoding, bus mastering; INTx stays enabled (bit 10 clear). */
	cfg_write(0x04, 0x0006u);
	if ((why = map_device(CAP_BAR, BAR_BYTES, BAR_VADDR)))
		return why;
	hw->regs = (volatile uint8_t *)(uintptr_t)BAR_VADDR;
	hw->regs_size = (size_t)size;
	hw->irq = CAP_INTX;
	return NULL;
}
