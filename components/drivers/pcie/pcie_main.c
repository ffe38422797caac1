/* The PCIe bus component: holds the host bridge's ECAM, enumerates every bus behind the
 * root complex at boot (pcie_enum.c) and prints one line per function, then one per
 * thing it refused (docs/devices.md).
 *
 * What the spec gives it (test/pcie/pcie_boot.m6): `untyped ecam SIZE at PADDR`, the ECAM as a
 * device untyped (QEMU virt's is 256 MiB at 0x4010000000, too large for a `device`
 * statement, which maps at most 16 MiB); `untyped tables 16 KiB`, normal memory for the
 * two page tables that map it; `syscap debug_console`; and, in a test system, `syscap
 * power` to power off when done. The host bridge's windows come from the platform's
 * device tree at build time (pcie_dt.py writes pcie_dt.h), as the spec language cannot
 * yet hand a component a node's `ranges`.
 *
 * The component only needs config space to enumerate: the windows are address ranges it
 * hands out, not memory it touches. Handing a driver its BAR frames (device untyped over
 * the windows), its interrupts and its IOSpace is the next step (docs/devices.md). */
#include <stdint.h>

#include <m6/caps.h>
#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6_caps.h>

#include "pcie_dt.h"
#include "pcie_enum.h"

/* Where the ECAM is mapped: a 1 GiB slot of its own, above the spec's regions. */
#define ECAM_VADDR      0x5000000000ull
#define ECAM_FRAME_BITS 21           /* 2 MiB frames: 128 caps for the whole 256 MiB */
#define ECAM_BUS_BYTES  (1ull << 20) /* 32 devices x 8 functions x 4 KiB */

_Static_assert(PCIE_DT_BUS_FIRST == 0, "enumeration starts at bus 0");
_Static_assert((1ull << M6_UNTYPED_ECAM_BITS) <= PCIE_DT_ECAM_SIZE,
               "the spec's ECAM untyped lies within the device tree's ECAM");
_Static_assert((1ull << M6_UNTYPED_ECAM_BITS) <= (1ull << 30), "the ECAM fits one 1 GiB slot");
_Static_assert(M6_UNTYPED_ECAM_BITS >= ECAM_FRAME_BITS, "at least one 2 MiB frame of ECAM");

static void say(const char *s)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, s);
}

static _Noreturn void fail(const char *why)
{
	say("pcie: ");
	say(why);
	say("\n");
	for (;;)
		m6_yield();
}

static void map_table(uint64_t vaddr, unsigned level)
{
	m6_cptr_t slot = m6_cap_alloc();
	if (slot == 0 ||
	    m6_untyped_retype(CAP_TABLES, M6_OBJ_PAGE_TABLE, 0, M6_CAP_SELF_CNODE, slot, 1))
		fail("cannot make a page table for the ECAM");
	uint64_t span = 1ull << (12 + 9 * (4 - level));
	uint64_t err = m6_page_table_map(slot, M6_CAP_SELF_VSPACE, vaddr & ~(span - 1), level);
	if (err && err != M6_ERR_DELETE_FIRST)
		fail("cannot map a page table for the ECAM");
}

/* Maps the ECAM untyped as 2 MiB device frames; returns how many buses it covers. */
static unsigned map_ecam(void)
{
	uint64_t bytes = 1ull << M6_UNTYPED_ECAM_BITS;
	map_table(ECAM_VADDR, 1);
	map_table(ECAM_VADDR, 2);
	for (uint64_t off = 0; off < bytes; off += 1ull << ECAM_FRAME_BITS) {
		m6_cptr_t frame = m6_cap_alloc();
		if (frame == 0 || m6_untyped_retype(CAP_ECAM, M6_OBJ_FRAME, ECAM_FRAME_BITS,
		                                    M6_CAP_SELF_CNODE, frame, 1))
			fail("cannot make frames of the ECAM untyped");
		if (m6_frame_map(frame, M6_CAP_SELF_VSPACE, ECAM_VADDR + off,
		                 M6_RIGHT_READ | M6_RIGHT_WRITE))
			fail("cannot map the ECAM");
	}
	uint64_t buses = bytes / ECAM_BUS_BYTES;
	return buses > 256 ? 256 : (unsigned)buses;
}

static volatile uint32_t *cfg(unsigned bus, unsigned dev, unsigned fn, unsigned offset)
{
	return (volatile uint32_t *)(uintptr_t)(ECAM_VADDR + ((uint64_t)bus << 20) +
	                                        ((uint64_t)dev << 15) + ((uint64_t)fn << 12) +
	                                        offset);
}

static uint32_t ecam_read(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned offset)
{
	(void)ctx;
	return *cfg(bus, dev, fn, offset);
}

static void ecam_write(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned offset,
                       uint32_t value)
{
	(void)ctx;
	*cfg(bus, dev, fn, offset) = value;
	/* A config write must reach the device before the next access that depends on it
	 * (a BAR read back while sizing, a bus number before a scan of that bus). */
	__asm__ volatile("dsb sy" ::: "memory");
}

static void put_dec(unsigned long v)
{
	char buf[24];
	unsigned n = sizeof buf;
	buf[--n] = 0;
	do {
		buf[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	say(buf + n);
}

static struct pcie_result result;

int main(void)
{
	struct pcie_config config = {
	    .bus_count = map_ecam(),
	    .mem32 = {PCIE_DT_MEM32_BUS, PCIE_DT_MEM32_SIZE},
	    .pref64 = {PCIE_DT_MEM64_BUS, PCIE_DT_MEM64_SIZE},
	    .io = {PCIE_DT_IO_BUS, PCIE_DT_IO_SIZE},
	};
	const struct pcie_ops ops = {NULL, ecam_read, ecam_write};
	pcie_enumerate(&ops, &config, &result);

	char line[200];
	for (size_t i = 0; i < result.count; i++) {
		pcie_format_function(&result.functions[i], line, sizeof line);
		say("pcie: ");
		say(line);
		say("\n");
	}
	for (size_t i = 0; i < result.problem_count; i++) {
		pcie_format_problem(&result.problems[i], line, sizeof line);
		say("pcie: refused ");
		say(line);
		say("\n");
	}
	say("pcie: ");
	put_dec(result.count);
	say(" functions on buses 0-");
	put_dec(result.last_bus);
	say(" of ");
	put_dec(config.bus_count);
	say(", ");
	put_dec(result.problem_count + result.problems_dropped);
	say(" refused\n");
#ifdef CAP_POWER
	m6_power_off(CAP_POWER);
#endif
	return 0;
}
