/* test/pcie: a driver that claims QEMU's ivshmem-plain (1af4:1110, `pci bus claims class
 * 0x050000 as SHM`: RAM), whose BAR2 is the 64 MiB of host memory behind it: a BAR the
 * bus hands out as 2 MiB frames (32 bar_frame calls, not 16384), mapped by m6_pci_open as
 * 2 MiB blocks at a 64 MiB boundary. It writes a pattern at the BAR's start, its end and
 * the start of every 2 MiB frame and reads it back (the frames are the BAR's pieces, in
 * order), checks each frame's physical address, and has the bus reset the function (no
 * PCI Express capability: no FLR, the stop) and hand the frames again: the memory behind
 * them kept the pattern. */
#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6/pci_client.h>
#include <m6/runtime.h>

#include "pcitest_check.h"

#define BARS_VADDR 0x6000000000ull
#define SHM_SIZE   (64ull << 20) /* -object memory-backend-ram,size=64M (test/qemu) */
#define BLOCK      (2ull << 20)
#define ROUNDS     1100u /* of IOSpace and reset: more than the bus's 2^10 slots */

/* The word at the start of frame `i` holds this (distinct per frame and per run). */
static uint64_t mark(unsigned i)
{
	return 0x6d36000000000000ull | (uint64_t)i << 32 | 0xb16bu;
}

static bool pattern_holds(volatile uint64_t *bar)
{
	bool ok = bar[0] == 0x0123456789abcdefull && bar[SHM_SIZE / 8 - 1] == 0xfedcba9876543210ull;
	for (unsigned i = 1; i < SHM_SIZE / BLOCK; i++)
		ok = ok && bar[i * BLOCK / 8] == mark(i);
	return ok;
}

int main(void)
{
	who = "pcibig";
	uint32_t n = 0;
	check_status(pci_count(CAP_SHM, &n), M6_OK, "count");
	check(n == 1, "one function matches class 0x050000");

	struct m6_pci_device dev;
	check_status(m6_pci_open(CAP_SHM, 0, CAP_TABLES, BARS_VADDR, &dev), M6_OK, "open");
	check(dev.id.vendor == 0x1af4 && dev.id.device == 0x1110, "it is the ivshmem, 1af4:1110");
	check(dev.id.bars == (1u << 0 | 1u << 2), "BAR0 (registers) and BAR2 (the memory)");
	struct m6_pci_bar *bar0 = &dev.bars[0], *bar2 = &dev.bars[2];
	check(bar0->frames == 1 && bar0->frame_bits == 12 && bar0->vaddr == BARS_VADDR,
	      "BAR0: one 4 KiB page");
	check(bar2->kind == PCI_BAR_KIND_MEM64 && bar2->size == SHM_SIZE,
	      "BAR2: 64 MiB of 64-bit memory");
	check(bar2->frames == SHM_SIZE / BLOCK && bar2->frame_bits == 21,
	      "BAR2 handed out as 32 frames of 2 MiB");
	check(bar2->vaddr == BARS_VADDR + SHM_SIZE, "BAR2 mapped at its natural alignment");
	for (unsigned i = 0; i < bar2->frames; i++) {
		uint64_t pa = 0;
		m6_frame_get_address(bar2->first_frame + i, &pa);
		if (pa != bar2->address + i * BLOCK) {
			check(false, "frame i of BAR2 is at the BAR's address + i * 2 MiB");
			break;
		}
	}

	/* The memory behind the BAR, through the block mappings: start, end, every frame. */
	volatile uint64_t *shm = (volatile uint64_t *)(uintptr_t)bar2->vaddr;
	shm[0] = 0x0123456789abcdefull;
	shm[SHM_SIZE / 8 - 1] = 0xfedcba9876543210ull;
	for (unsigned i = 1; i < SHM_SIZE / BLOCK; i++)
		shm[i * BLOCK / 8] = mark(i);
	check(pattern_holds(shm), "the pattern reads back at BAR2's start, end and every frame");

	/* What the bus refuses of a big BAR. */
	m6_cptr_t slot = m6_cap_alloc();
	struct pci_bar_info info;
	check_status(pci_bar(CAP_SHM, 0, 2, &info), M6_OK, "bar 2");
	check(info.frames == 32 && info.frame_bits == 21, "bar(): 32 frames of 2^21 bytes");
	check_status(pci_bar_frame(CAP_SHM, 0, 2, 32, slot), M6_ERR_RANGE,
	             "frame 32 of a 32-frame BAR");
	check_status(pci_bar_frame(CAP_SHM, 0, 2, 0xffffffffu, slot), M6_ERR_RANGE,
	             "frame 2^32 - 1");
	check_status(pci_bar_frame(CAP_SHM, 0, 1, 0, slot), PCI_ERR_NO_BAR, "BAR1 (none)");
	check_status(pci_bar_frame(CAP_SHM, 0, 2, 31, bar2->first_frame), M6_ERR_DELETE_FIRST,
	             "a frame into an occupied slot");
	check_status(pci_bar_frame(CAP_SHM, 0, 2, 31, slot), M6_OK, "frame 31 again, a copy");
	uint64_t pa = 0;
	check_status(m6_frame_get_address(slot, &pa), M6_OK, "the copy is a frame");
	check(pa == bar2->address + 31 * BLOCK, "the copy is the BAR's last 2 MiB");
	check_status(pci_bar_frame(CAP_SHM, 1, 2, 0, slot), PCI_ERR_NO_DEVICE,
	             "index beyond the matches");

	/* Reset: ivshmem-plain has no PCI Express capability, so the bus only stops it and
	 * takes the 2 MiB frames back (both copies); open again and the memory is still there. */
	check_status(pci_reset(CAP_SHM, 0), M6_OK, "reset");
	check_status(m6_frame_get_address(bar2->first_frame + 5, &pa), M6_ERR_INVALID_CAP,
	             "BAR2's frames are revoked");
	check_status(m6_frame_get_address(slot, &pa), M6_ERR_INVALID_CAP, "the second copy too");
	m6_cnode_delete(M6_CAP_SELF_CNODE, slot, M6_DEPTH_ROOT);
	check_status(m6_pci_open(CAP_SHM, 0, CAP_TABLES, BARS_VADDR, &dev), M6_OK, "open again");
	check(dev.bars[2].vaddr == BARS_VADDR + SHM_SIZE, "BAR2 mapped again, same place");
	check(pattern_holds(shm), "the pattern is still there after the reset");

	/* A driver that restarts over and over: each round an IOSpace, then a reset that
	 * deletes it. More rounds than the bus's CNode has slots (2^10, pcie_boot.m6), and
	 * m6_cap_alloc never hands one out twice: the bus must make each IOSpace in the slot
	 * the last one left. The mappings above go with the first reset. */
	m6_cptr_t io = m6_cap_alloc();
	unsigned rounds_ok = 0;
	for (unsigned round = 0; io && round < ROUNDS; round++) {
		if (pci_iospace(CAP_SHM, 0, io) != M6_OK || pci_reset(CAP_SHM, 0) != M6_OK)
			break;
		rounds_ok++;
	}
	check(rounds_ok == ROUNDS, "1100 rounds of IOSpace and reset");

	say("pcibig: bar2 ");
	say_hex(dev.bars[2].address);
	say(" size ");
	say_hex(dev.bars[2].size);
	say(" frames ");
	say_hex(dev.bars[2].frames);
	say(" of ");
	say_hex(1ull << dev.bars[2].frame_bits);
	say("\n");
	say("pcibig: ");
	say(failures ? "FAILED " : "all ");
	say_hex(checks - failures);
	say(" of ");
	say_hex(checks);
	say(" checks passed\n");
	m6_signal(CAP_DONE);
	return 0; /* the thread stops; pcitest powers off */
}
