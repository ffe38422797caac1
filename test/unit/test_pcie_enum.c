/* PCIe enumeration (components/drivers/pcie/pcie_enum.c) over a simulated config space:
 * functions with BARs that decode only their size's bits, bridges whose secondary bus is
 * what the enumerator programs (so a device behind one appears only once it is numbered),
 * capability lists, and devices that report impossible things. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pcie_enum.h"

#define MAX_FAKE 16

struct fake_fn {
	int parent; /* index of the bridge it sits behind, -1: bus 0 */
	unsigned dev, fn;
	uint8_t cfg[4096];
	uint32_t bar_mask[6]; /* writable bits of each BAR dword */
	bool everywhere;      /* answers on every bus (a broken bridge) */
};

struct fake {
	struct fake_fn fns[MAX_FAKE];
	int count;
	unsigned reads_beyond; /* accesses to buses at or past bus_count */
	unsigned bus_count;
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The bus a fake function is on: 0, or its bridge's secondary bus once that is set. */
static int bus_of(struct fake *fk, int i)
{
	int p = fk->fns[i].parent;
	if (p < 0)
		return 0;
	if (bus_of(fk, p) < 0)
		return -1;
	unsigned secondary = fk->fns[p].cfg[0x19];
	return secondary ? (int)secondary : -1;
}

static struct fake_fn *find(struct fake *fk, unsigned b, unsigned d, unsigned f)
{
	if (b >= fk->bus_count)
		fk->reads_beyond++;
	for (int i = 0; i < fk->count; i++)
		if (fk->fns[i].dev == d && fk->fns[i].fn == f &&
		    (fk->fns[i].everywhere || bus_of(fk, i) == (int)b))
			return &fk->fns[i];
	return NULL;
}

static uint32_t fake_read(void *ctx, unsigned b, unsigned d, unsigned f, unsigned off)
{
	struct fake_fn *fn = find(ctx, b, d, f);
	assert_true(off % 4 == 0 && off < 4096);
	return fn ? get32(fn->cfg + off) : 0xffffffffu;
}

static void fake_write(void *ctx, unsigned b, unsigned d, unsigned f, unsigned off, uint32_t v)
{
	struct fake_fn *fn = find(ctx, b, d, f);
	assert_true(off % 4 == 0 && off < 4096);
	assert_non_null(fn); /* nobody writes to a function that is not there */
	unsigned header = fn->cfg[0x0e] & 0x7f;
	unsigned bars = header == 0 ? 6 : 2;
	if (off >= 0x10 && off < 0x10 + 4 * bars) {
		unsigned i = (off - 0x10) / 4;
		uint32_t old = get32(fn->cfg + off);
		put32(fn->cfg + off, (v & fn->bar_mask[i]) | (old & ~fn->bar_mask[i]));
	} else if (off == 0x04) {
		put32(fn->cfg + off, (get32(fn->cfg + off) & 0xffff0000u) | (v & 0xffffu));
	} else if (off >= 0x18 && header == 1) {
		put32(fn->cfg + off, v);
	} else {
		fail_msg("write to read-only offset 0x%x", off);
	}
}

static int add(struct fake *fk, int parent, unsigned dev, unsigned fn, uint16_t vendor,
               uint16_t device, uint32_t class_code, uint8_t header)
{
	assert_true(fk->count < MAX_FAKE);
	int i = fk->count++;
	struct fake_fn *f = &fk->fns[i];
	memset(f, 0, sizeof *f);
	f->parent = parent;
	f->dev = dev;
	f->fn = fn;
	put32(f->cfg, (uint32_t)device << 16 | vendor);
	put32(f->cfg + 0x08, class_code << 8 | 0x01);
	f->cfg[0x0e] = header;
	return i;
}

/* A memory BAR of `size` bytes (a power of two, or not, for the bad cases). */
static void bar_mem(struct fake *fk, int i, unsigned slot, uint64_t size, bool is64, bool pref)
{
	struct fake_fn *f = &fk->fns[i];
	uint64_t mask = ~(size - 1);
	uint32_t type = (is64 ? 4u : 0u) | (pref ? 8u : 0u);
	f->bar_mask[slot] = (uint32_t)mask & ~0xfu;
	put32(f->cfg + 0x10 + 4 * slot, type);
	if (is64)
		f->bar_mask[slot + 1] = (uint32_t)(mask >> 32);
}

static void bar_io(struct fake *fk, int i, unsigned slot, uint32_t size)
{
	fk->fns[i].bar_mask[slot] = 0xffffu & ~(size - 1) & ~3u; /* a 16-bit decoder */
	put32(fk->fns[i].cfg + 0x10 + 4 * slot, 1);
}

/* Capabilities: (offset, id, next) triples. */
static void caps(struct fake *fk, int i, unsigned first, const uint8_t *list, size_t n)
{
	struct fake_fn *f = &fk->fns[i];
	f->cfg[0x06] |= 0x10;
	f->cfg[0x34] = (uint8_t)first;
	for (size_t k = 0; k < n; k += 3) {
		f->cfg[list[k]] = list[k + 1];
		f->cfg[list[k] + 1] = list[k + 2];
	}
}

static const struct pcie_config qemu_windows = {
    .bus_count = 256,
    .mem32 = {0x10000000, 0x2eff0000},
    .pref64 = {0x8000000000ull, 0x8000000000ull},
    .io = {0, 0x10000},
};

static struct fake fk;
static struct pcie_result res;
static const struct pcie_ops ops = {&fk, fake_read, fake_write};

static uint16_t command(int i)
{
	return (uint16_t)get32(fk.fns[i].cfg + 4);
}

static uint64_t bar_value(int i, unsigned slot, bool is64)
{
	uint64_t lo = get32(fk.fns[i].cfg + 0x10 + 4 * slot) & ~0xfu;
	return is64 ? lo | (uint64_t)get32(fk.fns[i].cfg + 0x14 + 4 * slot) << 32 : lo;
}

static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof fk);
	fk.bus_count = 256;
	return 0;
}

/* Root bus: a host bridge function, an NVMe-like device with a 64-bit BAR and a
 * capability list, a root port with a device behind it, and a two-function device. */
static void test_topology(void **state)
{
	(void)state;
	int host = add(&fk, -1, 0, 0, 0x1b36, 0x0008, 0x060000, 0);
	int nvme = add(&fk, -1, 1, 0, 0x1b36, 0x0010, 0x010802, 0);
	bar_mem(&fk, nvme, 0, 0x4000, true, false);
	static const uint8_t nvme_caps[] = {0x40, 0x11, 0x80, 0x80, 0x05, 0x60, 0x60, 0x10, 0x00};
	caps(&fk, nvme, 0x40, nvme_caps, sizeof nvme_caps);
	int port = add(&fk, -1, 2, 0, 0x1b36, 0x000c, 0x060400, 1);
	bar_mem(&fk, port, 0, 0x1000, false, false);
	int rng = add(&fk, port, 0, 0, 0x1af4, 0x1044, 0x00ff00, 0);
	bar_io(&fk, rng, 0, 0x20);
	bar_mem(&fk, rng, 1, 0x1000, false, false);
	bar_mem(&fk, rng, 4, 0x4000, true, true);
	int mf0 = add(&fk, -1, 3, 0, 0x8086, 0x1111, 0x020000, 0x80);
	bar_mem(&fk, mf0, 0, 0x20000, false, false);
	int mf1 = add(&fk, -1, 3, 1, 0x8086, 0x2222, 0x020000, 0x80);
	bar_mem(&fk, mf1, 2, 0x2000, false, true);

	assert_int_equal(pcie_enumerate(&ops, &qemu_windows, &res), 6);
	assert_int_equal(res.problem_count, 0);
	assert_int_equal(res.last_bus, 1);

	/* Depth first: the port, then what is behind it, then the rest of bus 0. */
	const struct pcie_function *f = res.functions;
	assert_int_equal(f[0].dev, 0);
	assert_int_equal(f[1].dev, 1);
	assert_int_equal(f[2].dev, 2);
	assert_int_equal(f[3].bus, 1);
	assert_int_equal(f[4].dev, 3);
	assert_int_equal(f[5].fn, 1);

	/* The NVMe-like BAR: 64-bit non-prefetchable, so from the 32-bit window. */
	assert_int_equal(f[1].bars[0].kind, PCIE_BAR_MEM64);
	assert_int_equal(f[1].bars[0].addr, 0x10000000);
	assert_int_equal(f[1].bars[0].size, 0x4000);
	assert_int_equal(bar_value(nvme, 0, true), 0x10000000);
	assert_int_equal(f[1].cap_msix, 0x40);
	assert_int_equal(f[1].cap_msi, 0x80);
	assert_int_equal(f[1].cap_pcie, 0x60);

	/* The port's own BAR comes before its window; the window is 1 MiB aligned. */
	assert_int_equal(f[2].bars[0].addr, 0x10004000);
	assert_int_equal(f[2].secondary, 1);
	assert_int_equal(f[2].subordinate, 1);
	assert_int_equal(fk.fns[port].cfg[0x18], 0);
	assert_int_equal(fk.fns[port].cfg[0x19], 1);
	assert_int_equal(fk.fns[port].cfg[0x1a], 1);
	assert_int_equal(f[3].bars[1].addr, 0x10100000);
	assert_int_equal(f[3].bars[4].addr, 0x8000000000ull);
	assert_true(f[3].bars[4].prefetchable);
	assert_int_equal(f[3].bars[0].kind, PCIE_BAR_IO);
	assert_int_equal(f[3].bars[0].addr, 0x1000);
	assert_int_equal(f[2].win_mem.base, 0x10100000);
	assert_int_equal(f[2].win_mem.size, 0x100000);
	assert_int_equal(f[2].win_pref.base, 0x8000000000ull);
	assert_int_equal(f[2].win_pref.size, 0x100000);
	assert_int_equal(f[2].win_io.base, 0x1000);
	assert_int_equal(f[2].win_io.size, 0x1000);
	/* What the bridge was told: memory 0x1010..0x1010 (MiB units), prefetchable above
	 * 4 GiB through the upper dwords, I/O 0x1000..0x1fff. */
	assert_int_equal(get32(fk.fns[port].cfg + 0x20), 0x10101010u);
	assert_int_equal(get32(fk.fns[port].cfg + 0x24), 0x00000000u);
	assert_int_equal(get32(fk.fns[port].cfg + 0x28), 0x80);
	assert_int_equal(get32(fk.fns[port].cfg + 0x2c), 0x80);
	assert_int_equal(get32(fk.fns[port].cfg + 0x1c) & 0xffff, 0x1010);

	/* After the bridge: beyond its window, naturally aligned. */
	assert_int_equal(f[4].bars[0].addr, 0x10200000);
	assert_int_equal(f[5].bars[2].kind, PCIE_BAR_MEM32);
	assert_true(f[5].bars[2].prefetchable);
	assert_int_equal(f[5].bars[2].addr, 0x10220000);

	/* Decoding and mastering on; I/O only where an I/O BAR (or a bridge) is. */
	assert_int_equal(command(nvme), 0x6);
	assert_int_equal(command(port), 0x7);
	assert_int_equal(command(rng), 0x7);
	assert_int_equal(command(host), 0x4);
	assert_int_equal(command(mf1), 0x6);
	(void)mf0;

	char line[160];
	pcie_format_function(&f[1], line, sizeof line);
	assert_string_equal(line, "00:01.0 1b36:0010 class 010802 bar0 mem64 0x10000000+0x4000");
	pcie_format_function(&f[2], line, sizeof line);
	assert_string_equal(line, "00:02.0 1b36:000c class 060400 bar0 mem32 0x10004000+0x1000 "
	                          "bus 01-01 mem 0x10100000+0x100000 pref "
	                          "0x8000000000+0x100000 io 0x1000+0x1000");
	pcie_format_function(&f[3], line, sizeof line);
	assert_string_equal(line, "01:00.0 1af4:1044 class 00ff00 bar0 io 0x1000+0x20 bar1 mem32 "
	                          "0x10100000+0x1000 bar4 mem64 pref 0x8000000000+0x4000");
	/* A short buffer truncates and stays terminated. */
	assert_int_equal(pcie_format_function(&f[1], line, 8), 7);
	assert_string_equal(line, "00:01.0");
}

/* A bridge behind a bridge: buses numbered depth first, subordinates cover the subtree. */
static void test_nested_bridges(void **state)
{
	(void)state;
	int a = add(&fk, -1, 1, 0, 0x1b36, 0x000c, 0x060400, 1);
	int b = add(&fk, a, 0, 0, 0x1b36, 0x000e, 0x060400, 1);
	int d = add(&fk, b, 0, 0, 0x1af4, 0x1041, 0x020000, 0);
	bar_mem(&fk, d, 0, 0x1000, false, false);
	int c = add(&fk, -1, 2, 0, 0x1b36, 0x000c, 0x060400, 1);
	int e = add(&fk, c, 0, 0, 0x1af4, 0x1042, 0x010000, 0);
	bar_mem(&fk, e, 0, 0x200000, false, false);

	assert_int_equal(pcie_enumerate(&ops, &qemu_windows, &res), 5);
	assert_int_equal(res.problem_count, 0);
	const struct pcie_function *f = res.functions;
	assert_int_equal(f[0].secondary, 1);
	assert_int_equal(f[0].subordinate, 2);
	assert_int_equal(f[1].secondary, 2);
	assert_int_equal(f[1].subordinate, 2);
	assert_int_equal(f[2].bus, 2);
	assert_int_equal(f[3].secondary, 3);
	assert_int_equal(f[3].subordinate, 3);
	assert_int_equal(f[4].bus, 3);
	assert_int_equal(f[2].bars[0].addr, 0x10000000);
	assert_int_equal(f[0].win_mem.base, 0x10000000);
	assert_int_equal(f[0].win_mem.size, 0x100000);
	assert_int_equal(f[4].bars[0].addr, 0x10200000); /* 2 MiB aligned */
	assert_int_equal(f[3].win_mem.base, 0x10100000);
	assert_int_equal(f[3].win_mem.size, 0x300000);
	/* Empty windows are closed: base above limit. */
	assert_int_equal(f[0].win_pref.size, 0);
	assert_int_equal(get32(fk.fns[a].cfg + 0x24), 0x0000fff0u);
	assert_int_equal(fk.fns[a].cfg[0x1a], 2);
	(void)e;
}

/* Impossible BARs are refused one by one; the device's other BARs are still assigned and
 * it is still enabled; a device after it is unaffected. */
static void test_impossible_bars(void **state)
{
	(void)state;
	int bad = add(&fk, -1, 1, 0, 0x1234, 0x5678, 0x118000, 0);
	fk.fns[bad].bar_mask[0] = 0xffff0ff0u; /* a hole in the mask */
	put32(fk.fns[bad].cfg + 0x10, 0);
	fk.fns[bad].bar_mask[1] = 0; /* type bits only: no address bits */
	put32(fk.fns[bad].cfg + 0x14, 0x8);
	bar_mem(&fk, bad, 2, 1ull << 40, true, false); /* 1 TiB, from the 32-bit window */
	bar_mem(&fk, bad, 4, 0x1000, false, false);    /* fine */
	fk.fns[bad].bar_mask[5] = 0xfffff000u;         /* 64-bit in the last slot */
	put32(fk.fns[bad].cfg + 0x24, 0x4);
	int odd = add(&fk, -1, 2, 0, 0x1234, 0x5679, 0x118000, 0);
	fk.fns[odd].bar_mask[0] = 0xfffff000u;
	put32(fk.fns[odd].cfg + 0x10, 0x2);    /* type 01: below 1 MiB, reserved */
	fk.fns[odd].bar_mask[1] = 0x0000fff0u; /* 32-bit with upper bits read-only zero */
	int good = add(&fk, -1, 3, 0, 0x1234, 0x567a, 0x010802, 0);
	bar_mem(&fk, good, 0, 0x4000, true, false);

	assert_int_equal(pcie_enumerate(&ops, &qemu_windows, &res), 3);
	assert_int_equal(res.problem_count, 6);
	const struct pcie_problem *p = res.problems;
	assert_int_equal(p[0].kind, PCIE_BAR_NOT_POWER_OF_TWO);
	assert_int_equal(p[0].index, 0);
	assert_int_equal(p[1].kind, PCIE_BAR_NO_ADDRESS_BITS);
	assert_int_equal(p[1].index, 1);
	assert_int_equal(p[2].kind, PCIE_BAR_TOO_LARGE);
	assert_int_equal(p[2].index, 2);
	assert_int_equal(p[2].value, 1ull << 40);
	assert_int_equal(p[3].kind, PCIE_BAR_64_AT_LAST);
	assert_int_equal(p[3].index, 5);
	assert_int_equal(p[4].kind, PCIE_BAR_RESERVED_TYPE);
	assert_int_equal(p[4].dev, 2);
	assert_int_equal(p[5].kind, PCIE_BAR_NOT_POWER_OF_TWO);
	assert_int_equal(p[5].index, 1);

	const struct pcie_function *f = res.functions;
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(f[0].bars[i].kind, i == 4 ? PCIE_BAR_MEM32 : PCIE_BAR_NONE);
	assert_int_equal(f[0].bars[4].addr, 0x10000000);
	assert_int_equal(command(bad), 0x6);
	assert_int_equal(f[2].bars[0].addr, 0x10004000);
	assert_int_equal(command(good), 0x6);
	/* A refused BAR is left as it was, not pointed into the window. */
	assert_int_equal(bar_value(bad, 2, true), 0);

	char line[160];
	pcie_format_problem(&p[0], line, sizeof line);
	assert_string_equal(line, "00:01.0 bar0: BAR size is not a power of two "
	                          "(0xffffffffffff0ff0), refused");
}

/* A window that fills up: the BAR that does not fit is refused, the next that fits is
 * still assigned. */
static void test_window_full(void **state)
{
	(void)state;
	struct pcie_config small = {.bus_count = 1, .mem32 = {0x10000000, 0x10000}};
	int a = add(&fk, -1, 0, 0, 0x1, 0x1, 0, 0);
	bar_mem(&fk, a, 0, 0x8000, false, false);
	bar_mem(&fk, a, 1, 0x10000, false, false);
	bar_mem(&fk, a, 2, 0x8000, false, false);
	bar_io(&fk, a, 3, 0x100); /* no I/O window at all */
	pcie_enumerate(&ops, &small, &res);
	assert_int_equal(res.problem_count, 2);
	assert_int_equal(res.problems[0].kind, PCIE_BAR_NO_SPACE);
	assert_int_equal(res.problems[0].index, 1);
	assert_int_equal(res.problems[1].kind, PCIE_BAR_TOO_LARGE);
	assert_int_equal(res.problems[1].index, 3);
	assert_int_equal(res.functions[0].bars[2].addr, 0x10008000);
}

/* Memory BARs smaller than a page still take a whole page each (a driver gets its BARs
 * as frames); I/O BARs stay packed by their own size. */
static void test_small_bars_take_pages(void **state)
{
	(void)state;
	int a = add(&fk, -1, 0, 0, 0x1, 0x1, 0, 0);
	bar_mem(&fk, a, 0, 0x100, false, false);
	bar_mem(&fk, a, 1, 0x10, false, false);
	bar_io(&fk, a, 2, 0x20);
	bar_io(&fk, a, 3, 0x20);
	int b = add(&fk, -1, 1, 0, 0x1, 0x2, 0, 0);
	bar_mem(&fk, b, 0, 0x80, false, false);
	pcie_enumerate(&ops, &qemu_windows, &res);
	assert_int_equal(res.problem_count, 0);
	assert_int_equal(res.functions[0].bars[0].addr, 0x10000000);
	assert_int_equal(res.functions[0].bars[0].size, 0x100);
	assert_int_equal(res.functions[0].bars[1].addr, 0x10001000);
	assert_int_equal(res.functions[0].bars[1].size, 0x10);
	assert_int_equal(res.functions[0].bars[2].addr, 0x1000);
	assert_int_equal(res.functions[0].bars[3].addr, 0x1020);
	assert_int_equal(res.functions[1].bars[0].addr, 0x10002000);
}

/* Capability lists that loop or point into the header end the walk with a problem; the
 * capabilities found before stay found and the device is still enumerated. */
static void test_bad_capabilities(void **state)
{
	(void)state;
	int loop = add(&fk, -1, 1, 0, 0x1, 0x2, 0x010802, 0);
	static const uint8_t looping[] = {0x40, 0x11, 0x50, 0x50, 0x10, 0x48, 0x48, 0x05, 0x40};
	caps(&fk, loop, 0x40, looping, sizeof looping);
	bar_mem(&fk, loop, 0, 0x4000, false, false);
	int self = add(&fk, -1, 2, 0, 0x1, 0x3, 0x010802, 0);
	static const uint8_t self_loop[] = {0xfc, 0x09, 0xff}; /* 0xff & 0xfc: itself */
	caps(&fk, self, 0xfc, self_loop, sizeof self_loop);
	int outside = add(&fk, -1, 3, 0, 0x1, 0x4, 0x010802, 0);
	static const uint8_t into_header[] = {0x40, 0x10, 0x10};
	caps(&fk, outside, 0x40, into_header, sizeof into_header);

	assert_int_equal(pcie_enumerate(&ops, &qemu_windows, &res), 3);
	assert_int_equal(res.problem_count, 3);
	assert_int_equal(res.problems[0].kind, PCIE_CAP_LOOP);
	assert_int_equal(res.problems[0].index, 0x40);
	assert_int_equal(res.problems[1].kind, PCIE_CAP_LOOP);
	assert_int_equal(res.problems[1].index, 0xfc);
	assert_int_equal(res.problems[2].kind, PCIE_CAP_OUTSIDE);
	assert_int_equal(res.problems[2].index, 0x10);
	assert_int_equal(res.functions[0].cap_msix, 0x40);
	assert_int_equal(res.functions[0].cap_pcie, 0x50);
	assert_int_equal(res.functions[0].cap_msi, 0x48);
	assert_int_equal(res.functions[2].cap_pcie, 0x40);
	assert_int_equal(res.functions[0].bars[0].addr, 0x10000000);
	assert_int_equal(command(loop), 0x6);
}

/* An ECAM of 2 buses and three bridges: the third finds no bus number, is refused and
 * left with decoding off; no config access goes past the ECAM. */
static void test_buses_beyond_ecam(void **state)
{
	(void)state;
	struct pcie_config two = qemu_windows;
	two.bus_count = 2;
	fk.bus_count = 2;
	int a = add(&fk, -1, 1, 0, 0x1b36, 0x000c, 0x060400, 1);
	int d = add(&fk, a, 0, 0, 0x1af4, 0x1041, 0x020000, 0);
	bar_mem(&fk, d, 0, 0x1000, false, false);
	int b = add(&fk, a, 1, 0, 0x1b36, 0x000c, 0x060400, 1);
	add(&fk, b, 0, 0, 0x1af4, 0x1042, 0x020000, 0);
	assert_int_equal(pcie_enumerate(&ops, &two, &res), 3);
	assert_int_equal(res.problem_count, 1);
	assert_int_equal(res.problems[0].kind, PCIE_BUS_BEYOND_ECAM);
	assert_int_equal(res.problems[0].bus, 1);
	assert_int_equal(res.problems[0].dev, 1);
	assert_int_equal(res.problems[0].value, 2);
	assert_int_equal(fk.fns[b].cfg[0x19], 0);
	/* the refused bridge decodes, forwards and masters nothing; the other one does */
	assert_int_equal(command(b) & 7, 0);
	assert_int_equal(command(a) & 7, 7);
	assert_int_equal(res.functions[0].subordinate, 1);
	assert_int_equal(fk.reads_beyond, 0);
}

/* A broken bridge that answers on every bus, so also on the secondary bus it was just
 * given: each level finds it again. The walk stops at PCIE_MAX_BRIDGE_DEPTH bridges (it
 * recurses once per level) and refuses the next, which forwards nothing; without the cap
 * it would nest until the bus numbers ran out, 255 levels deep. */
static void test_bridge_too_deep(void **state)
{
	(void)state;
	int a = add(&fk, -1, 1, 0, 0x1b36, 0x000c, 0x060400, 1);
	fk.fns[a].everywhere = true;
	assert_int_equal(pcie_enumerate(&ops, &qemu_windows, &res), PCIE_MAX_BRIDGE_DEPTH + 1);
	assert_int_equal(res.last_bus, PCIE_MAX_BRIDGE_DEPTH);
	assert_int_equal(res.problem_count, 1);
	assert_int_equal(res.problems[0].kind, PCIE_BRIDGE_TOO_DEEP);
	assert_int_equal(res.problems[0].bus, PCIE_MAX_BRIDGE_DEPTH);
	assert_int_equal(res.problems[0].dev, 1);
	assert_int_equal(res.problems[0].value, PCIE_MAX_BRIDGE_DEPTH + 1);
	for (unsigned i = 0; i < PCIE_MAX_BRIDGE_DEPTH; i++) {
		assert_int_equal(res.functions[i].bus, i);
		assert_int_equal(res.functions[i].secondary, i + 1);
	}
	assert_int_equal(res.functions[PCIE_MAX_BRIDGE_DEPTH].secondary, 0);
	char line[96];
	pcie_format_problem(&res.problems[0], line, sizeof line);
	assert_string_equal(line, "10:01.0: bridge nested too deep (0x11), refused");
}

/* A single-function device answers for every function number (some do): only function 0
 * is enumerated. An unknown header type is refused and left disabled. */
static void test_single_function_and_unknown_header(void **state)
{
	(void)state;
	add(&fk, -1, 1, 0, 0x1, 0x1, 0, 0);
	add(&fk, -1, 1, 1, 0x1, 0x1, 0, 0); /* the ghost */
	int cardbus = add(&fk, -1, 2, 0, 0x104c, 0xac56, 0x060700, 2);
	assert_int_equal(pcie_enumerate(&ops, &qemu_windows, &res), 2);
	assert_int_equal(res.problem_count, 1);
	assert_int_equal(res.problems[0].kind, PCIE_HEADER_UNKNOWN);
	assert_int_equal(command(cardbus), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_topology, setup),
	    cmocka_unit_test_setup(test_nested_bridges, setup),
	    cmocka_unit_test_setup(test_impossible_bars, setup),
	    cmocka_unit_test_setup(test_window_full, setup),
	    cmocka_unit_test_setup(test_small_bars_take_pages, setup),
	    cmocka_unit_test_setup(test_bad_capabilities, setup),
	    cmocka_unit_test_setup(test_buses_beyond_ecam, setup),
	    cmocka_unit_test_setup(test_bridge_too_deep, setup),
	    cmocka_unit_test_setup(test_single_function_and_unknown_header, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
