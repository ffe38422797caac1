/* PCIe enumeration (pcie_enum.h; the rules are in docs/devices.md).
 *
 * One depth-first pass: each function's BARs are sized and assigned as it is found, from
 * three bump allocators (32-bit memory, 64-bit prefetchable memory, I/O). A bridge opens
 * its windows at the allocators' current positions (aligned to the bridge granularity),
 * its children allocate behind them, and when the walk comes back the windows close at
 * the allocators' new positions: so a bridge's windows cover exactly what is behind it,
 * and what comes after it lands outside. Natural alignment of each BAR may leave gaps; a
 * second pass that sorts BARs by size would pack tighter, but the windows QEMU gives are
 * large and the simple rule is easy to check. */
#include "pcie_enum.h"

#include <string.h>

/* Config space offsets (PCI Local Bus 3.0, 6.1; PCI-to-PCI Bridge 1.2, 3.2). */
#define CFG_ID               0x00
#define CFG_COMMAND          0x04 /* command (low 16), status (high 16) */
#define CFG_CLASS            0x08 /* revision (low 8), class code (high 24) */
#define CFG_HEADER           0x0c /* header type is byte 2 */
#define CFG_BAR0             0x10
#define CFG_BUSES            0x18 /* type 1: primary, secondary, subordinate, latency */
#define CFG_IO_BASE_LIMIT    0x1c /* type 1: I/O base, limit (low 16), secondary status */
#define CFG_MEM_BASE_LIMIT   0x20 /* type 1 */
#define CFG_PREF_BASE_LIMIT  0x24
#define CFG_PREF_BASE_UPPER  0x28
#define CFG_PREF_LIMIT_UPPER 0x2c
#define CFG_IO_UPPER         0x30 /* type 1: I/O base and limit, upper 16 bits each */
#define CFG_CAP_PTR          0x34

#define CMD_IO               0x1u
#define CMD_MEMORY           0x2u
#define CMD_MASTER           0x4u
#define STATUS_CAP_LIST      0x10u

#define CAP_ID_PM            0x01
#define CAP_ID_MSI           0x05
#define CAP_ID_PCIE          0x10
#define CAP_ID_MSIX          0x11

#define BRIDGE_MEM_ALIGN     0x100000ull /* memory windows: 1 MiB granularity */
#define BRIDGE_IO_ALIGN      0x1000ull   /* I/O window: 4 KiB */
/* I/O ports below 0x1000 are where legacy ISA devices decode; leave them alone. */
#define IO_FIRST 0x1000ull
/* The smallest unit of memory space a BAR takes (see size_bar). */
#define MEM_PAGE 0x1000ull

struct allocator {
	uint64_t next, end; /* end exclusive; end == next: empty */
	uint64_t size;      /* the whole window's size, for "too large" */
};

struct walk {
	const struct pcie_ops *ops;
	const struct pcie_config *config;
	struct pcie_result *out;
	struct allocator mem, pref, io;
	unsigned depth; /* bridges above the bus being walked */
};

static uint32_t rd(struct walk *w, unsigned b, unsigned d, unsigned f, unsigned off)
{
	return w->ops->read32(w->ops->ctx, b, d, f, off & ~3u);
}

static void wr(struct walk *w, unsigned b, unsigned d, unsigned f, unsigned off, uint32_t v)
{
	w->ops->write32(w->ops->ctx, b, d, f, off & ~3u, v);
}

static void problem(struct walk *w, enum pcie_problem_kind kind, unsigned b, unsigned d, unsigned f,
                    unsigned index, uint64_t value)
{
	struct pcie_result *out = w->out;
	if (out->problem_count == PCIE_MAX_PROBLEMS) {
		out->problems_dropped++;
		return;
	}
	out->problems[out->problem_count++] = (struct pcie_problem){.kind = kind,
	                                                            .bus = (uint8_t)b,
	                                                            .dev = (uint8_t)d,
	                                                            .fn = (uint8_t)f,
	                                                            .index = (uint8_t)index,
	                                                            .value = value};
}

static void allocator_init(struct allocator *a, const struct pcie_window *win, uint64_t first)
{
	a->size = win->size;
	a->next = win->base;
	a->end = win->base + win->size;
	if (a->end < a->next) /* a window that wraps: keep only what fits */
		a->end = UINT64_MAX;
	if (first > a->next)
		a->next = first < a->end ? first : a->end;
}

/* `size` bytes aligned to `align` (powers of two), or false if the window has no room. */
static bool allocate(struct allocator *a, uint64_t size, uint64_t align, uint64_t *addr)
{
	uint64_t at = (a->next + align - 1) & ~(align - 1);
	if (at < a->next || at > a->end || a->end - at < size)
		return false;
	*addr = at;
	a->next = at + size;
	return true;
}

static uint64_t align_up(uint64_t v, uint64_t align, uint64_t limit)
{
	uint64_t r = (v + align - 1) & ~(align - 1);
	return r < v || r > limit ? limit : r;
}

/* The size a BAR's mask means, or 0 if the mask is impossible. A valid mask is one run of
 * ones from bit 63 down to the size's bit: `mask` already has every bit the BAR cannot
 * decode above its width set. */
static uint64_t mask_size(uint64_t mask)
{
	uint64_t low = mask & (~mask + 1); /* lowest set bit */
	if (low == 0 || mask != ~(low - 1))
		return 0;
	return low;
}

/* Sizes BAR `i` of a function (decoding already off) and assigns it. Returns how many
 * BAR slots it used (2 for a 64-bit BAR, else 1). */
static unsigned size_bar(struct walk *w, unsigned b, unsigned d, unsigned f, unsigned i,
                         unsigned bar_count, struct pcie_bar *bar)
{
	unsigned off = CFG_BAR0 + 4 * i;
	uint32_t old = rd(w, b, d, f, off);
	wr(w, b, d, f, off, 0xffffffffu);
	uint32_t lo = rd(w, b, d, f, off);
	wr(w, b, d, f, off, old);
	memset(bar, 0, sizeof *bar);
	if (lo == 0)
		return 1; /* not implemented */

	uint64_t mask;
	bool is64 = false;
	struct allocator *from;
	if (lo & 1u) {
		uint32_t m = lo & ~3u;
		if ((m & 0xffff0000u) == 0) /* a 16-bit I/O decoder */
			m |= 0xffff0000u;
		mask = 0xffffffff00000000ull | m;
		bar->kind = PCIE_BAR_IO;
		from = &w->io;
	} else {
		unsigned type = (lo >> 1) & 3u;
		if (type == 1 || type == 3) {
			problem(w, PCIE_BAR_RESERVED_TYPE, b, d, f, i, lo);
			return 1;
		}
		bar->prefetchable = (lo & 8u) != 0;
		if (type == 2) {
			if (i + 1 >= bar_count) {
				problem(w, PCIE_BAR_64_AT_LAST, b, d, f, i, lo);
				return 1;
			}
			is64 = true;
			uint32_t old_hi = rd(w, b, d, f, off + 4);
			wr(w, b, d, f, off + 4, 0xffffffffu);
			uint32_t hi = rd(w, b, d, f, off + 4);
			wr(w, b, d, f, off + 4, old_hi);
			mask = ((uint64_t)hi << 32) | (lo & ~0xfu);
			bar->kind = PCIE_BAR_MEM64;
		} else {
			mask = 0xffffffff00000000ull | (lo & ~0xfu);
			bar->kind = PCIE_BAR_MEM32;
		}
		/* Only a 64-bit prefetchable BAR may live above 4 GiB behind a bridge (a
		 * bridge's non-prefetchable window is 32-bit); everything else goes in the
		 * 32-bit window, where a prefetchable BAR is allowed too. */
		from = is64 && bar->prefetchable && w->pref.size ? &w->pref : &w->mem;
	}
	unsigned used = is64 ? 2u : 1u;
	uint64_t addr_bits = bar->kind == PCIE_BAR_IO ? (lo & ~3u) : is64 ? mask : (lo & ~0xfu);
	if (addr_bits == 0) {
		problem(w, PCIE_BAR_NO_ADDRESS_BITS, b, d, f, i, lo);
		bar->kind = PCIE_BAR_NONE;
		return used;
	}
	uint64_t size = mask_size(mask);
	if (size == 0) {
		problem(w, PCIE_BAR_NOT_POWER_OF_TWO, b, d, f, i, mask);
		bar->kind = PCIE_BAR_NONE;
		return used;
	}
	if (size > from->size) {
		problem(w, PCIE_BAR_TOO_LARGE, b, d, f, i, size);
		bar->kind = PCIE_BAR_NONE;
		return used;
	}
	uint64_t addr;
	/* Memory BARs get whole pages: a driver is handed its BARs as frames, and two
	 * devices must never share one. */
	uint64_t span = bar->kind != PCIE_BAR_IO && size < MEM_PAGE ? MEM_PAGE : size;
	if (!allocate(from, span, span, &addr)) {
		problem(w, PCIE_BAR_NO_SPACE, b, d, f, i, size);
		bar->kind = PCIE_BAR_NONE;
		return used;
	}
	bar->addr = addr;
	bar->size = size;
	wr(w, b, d, f, off, (uint32_t)addr | (lo & (bar->kind == PCIE_BAR_IO ? 3u : 0xfu)));
	if (is64)
		wr(w, b, d, f, off + 4, (uint32_t)(addr >> 32));
	return used;
}

/* Walks the capability list, refusing one that leaves the capability area or loops. */
static void walk_caps(struct walk *w, unsigned b, unsigned d, unsigned f, struct pcie_function *fn)
{
	if (!((rd(w, b, d, f, CFG_COMMAND) >> 16) & STATUS_CAP_LIST))
		return;
	uint64_t seen = 0; /* one bit per dword of the 256-byte area */
	unsigned ptr = rd(w, b, d, f, CFG_CAP_PTR) & 0xfcu;
	while (ptr) {
		if (ptr < 0x40) {
			problem(w, PCIE_CAP_OUTSIDE, b, d, f, ptr, ptr);
			return;
		}
		uint64_t bit = 1ull << (ptr / 4);
		if (seen & bit) {
			problem(w, PCIE_CAP_LOOP, b, d, f, ptr, ptr);
			return;
		}
		seen |= bit;
		uint32_t head = rd(w, b, d, f, ptr);
		switch (head & 0xffu) {
		case CAP_ID_PCIE:
			fn->cap_pcie = fn->cap_pcie ? fn->cap_pcie : (uint8_t)ptr;
			break;
		case CAP_ID_PM:
			fn->cap_pm = fn->cap_pm ? fn->cap_pm : (uint8_t)ptr;
			break;
		case CAP_ID_MSI:
			fn->cap_msi = fn->cap_msi ? fn->cap_msi : (uint8_t)ptr;
			break;
		case CAP_ID_MSIX:
			fn->cap_msix = fn->cap_msix ? fn->cap_msix : (uint8_t)ptr;
			break;
		default:
			break;
		}
		ptr = (head >> 8) & 0xfcu;
	}
}

static void scan_bus(struct walk *w, unsigned bus);

static uint32_t mem_base_limit(const struct pcie_window *win)
{
	if (win->size == 0)
		return 0x0000fff0u; /* base above limit: closed */
	uint64_t limit = win->base + win->size - 1;
	return (uint32_t)((win->base >> 16) & 0xfff0u) | (uint32_t)(limit & 0xfff00000u);
}

/* Numbers a bridge, walks behind it and programs its windows; false when it is refused
 * (given no bus behind it). */
static bool bridge(struct walk *w, unsigned b, unsigned d, unsigned f, size_t index)
{
	struct pcie_result *out = w->out;
	uint32_t buses = rd(w, b, d, f, CFG_BUSES);
	unsigned secondary = out->last_bus + 1;
	if (w->depth >= PCIE_MAX_BRIDGE_DEPTH) {
		problem(w, PCIE_BRIDGE_TOO_DEEP, b, d, f, 0, w->depth + 1);
		wr(w, b, d, f, CFG_BUSES, (buses & 0xff000000u) | b);
		return false;
	}
	if (secondary >= w->config->bus_count) {
		problem(w, PCIE_BUS_BEYOND_ECAM, b, d, f, 0, secondary);
		/* Leave it with no bus behind it: nothing is forwarded through it. */
		wr(w, b, d, f, CFG_BUSES, (buses & 0xff000000u) | b);
		return false;
	}
	out->last_bus = secondary;
	/* Subordinate 0xff while the buses behind are walked, so configuration requests for
	 * any of them pass; the real number is known when the walk comes back. */
	wr(w, b, d, f, CFG_BUSES, (buses & 0xff000000u) | 0x00ff0000u | (secondary << 8) | b);

	uint64_t mem0 = w->mem.next, pref0 = w->pref.next, io0 = w->io.next;
	w->mem.next = align_up(w->mem.next, BRIDGE_MEM_ALIGN, w->mem.end);
	w->pref.next = align_up(w->pref.next, BRIDGE_MEM_ALIGN, w->pref.end);
	w->io.next = align_up(w->io.next, BRIDGE_IO_ALIGN, w->io.end);
	uint64_t mem_start = w->mem.next, pref_start = w->pref.next, io_start = w->io.next;

	w->depth++;
	scan_bus(w, secondary);
	w->depth--;

	struct pcie_window win_mem = {0, 0}, win_pref = {0, 0}, win_io = {0, 0};
	if (w->mem.next > mem_start) {
		w->mem.next = align_up(w->mem.next, BRIDGE_MEM_ALIGN, w->mem.end);
		win_mem = (struct pcie_window){mem_start, w->mem.next - mem_start};
	} else {
		w->mem.next = mem0;
	}
	if (w->pref.next > pref_start) {
		w->pref.next = align_up(w->pref.next, BRIDGE_MEM_ALIGN, w->pref.end);
		win_pref = (struct pcie_window){pref_start, w->pref.next - pref_start};
	} else {
		w->pref.next = pref0;
	}
	if (w->io.next > io_start) {
		w->io.next = align_up(w->io.next, BRIDGE_IO_ALIGN, w->io.end);
		win_io = (struct pcie_window){io_start, w->io.next - io_start};
	} else {
		w->io.next = io0;
	}

	wr(w, b, d, f, CFG_BUSES,
	   (buses & 0xff000000u) | (out->last_bus << 16) | (secondary << 8) | b);
	wr(w, b, d, f, CFG_MEM_BASE_LIMIT, mem_base_limit(&win_mem));
	wr(w, b, d, f, CFG_PREF_BASE_LIMIT, mem_base_limit(&win_pref));
	if (win_pref.size) {
		wr(w, b, d, f, CFG_PREF_BASE_UPPER, (uint32_t)(win_pref.base >> 32));
		wr(w, b, d, f, CFG_PREF_LIMIT_UPPER,
		   (uint32_t)((win_pref.base + win_pref.size - 1) >> 32));
	} else {
		wr(w, b, d, f, CFG_PREF_BASE_UPPER, 0);
		wr(w, b, d, f, CFG_PREF_LIMIT_UPPER, 0);
	}
	if (win_io.size) {
		uint64_t limit = win_io.base + win_io.size - 1;
		/* Secondary status is write-1-to-clear: write zeros there. */
		wr(w, b, d, f, CFG_IO_BASE_LIMIT,
		   (uint32_t)((win_io.base >> 8) & 0xf0u) |
		       (uint32_t)(((limit >> 8) & 0xf0u) << 8));
		wr(w, b, d, f, CFG_IO_UPPER,
		   (uint32_t)((win_io.base >> 16) & 0xffffu) | (uint32_t)((limit >> 16) << 16));
	} else {
		wr(w, b, d, f, CFG_IO_BASE_LIMIT, 0x00f0u);
		wr(w, b, d, f, CFG_IO_UPPER, 0);
	}
	if (index < PCIE_MAX_FUNCTIONS) {
		struct pcie_function *fn = &out->functions[index];
		fn->secondary = (uint8_t)secondary;
		fn->subordinate = (uint8_t)out->last_bus;
		fn->win_mem = win_mem;
		fn->win_pref = win_pref;
		fn->win_io = win_io;
	}
	return true;
}

static void probe_function(struct walk *w, unsigned b, unsigned d, unsigned f, uint32_t id)
{
	struct pcie_result *out = w->out;
	struct pcie_function scratch, *fn;
	size_t index = out->count;
	if (index < PCIE_MAX_FUNCTIONS) {
		fn = &out->functions[index];
		out->count++;
	} else {
		/* Still configured (the buses behind a bridge must be numbered), not recorded. */
		problem(w, PCIE_TOO_MANY_FUNCTIONS, b, d, f, 0, index);
		fn = &scratch;
		index = PCIE_MAX_FUNCTIONS;
	}
	memset(fn, 0, sizeof *fn);
	fn->bus = (uint8_t)b;
	fn->dev = (uint8_t)d;
	fn->fn = (uint8_t)f;
	fn->vendor = (uint16_t)id;
	fn->device = (uint16_t)(id >> 16);
	fn->class_code = rd(w, b, d, f, CFG_CLASS) >> 8;
	unsigned header = (rd(w, b, d, f, CFG_HEADER) >> 16) & 0x7fu;
	fn->header_type = (uint8_t)header;

	walk_caps(w, b, d, f, fn);
	unsigned bar_count;
	if (header == 0)
		bar_count = 6;
	else if (header == 1)
		bar_count = 2;
	else {
		problem(w, PCIE_HEADER_UNKNOWN, b, d, f, 0, header);
		return; /* left as it is: disabled, unless firmware enabled it */
	}

	/* Decoding off while BARs are sized: a BAR holding all ones would otherwise claim
	 * addresses that belong to something else for a moment. */
	uint32_t cmd = rd(w, b, d, f, CFG_COMMAND) & 0xffffu;
	wr(w, b, d, f, CFG_COMMAND, cmd & ~(CMD_IO | CMD_MEMORY | CMD_MASTER));
	bool any_mem = false, any_io = false;
	for (unsigned i = 0; i < bar_count;) {
		struct pcie_bar *bar = &fn->bars[i];
		unsigned used = size_bar(w, b, d, f, i, bar_count, bar);
		any_mem |= bar->kind == PCIE_BAR_MEM32 || bar->kind == PCIE_BAR_MEM64;
		any_io |= bar->kind == PCIE_BAR_IO;
		i += used;
	}
	if (header == 1) {
		if (!bridge(w, b, d, f, index)) {
			/* Refused: its windows were never programmed (whatever firmware or reset
			 * left there), so it stays off, decoding and forwarding nothing. */
			return;
		}
		/* A bridge forwards both kinds and masters on behalf of what is behind it. */
		any_mem = any_io = true;
	}
	cmd &= ~(CMD_IO | CMD_MEMORY);
	cmd |= CMD_MASTER | (any_mem ? CMD_MEMORY : 0) | (any_io ? CMD_IO : 0);
	wr(w, b, d, f, CFG_COMMAND, cmd);
}

static void scan_bus(struct walk *w, unsigned bus)
{
	for (unsigned d = 0; d < 32; d++) {
		for (unsigned f = 0; f < 8; f++) {
			uint32_t id = rd(w, bus, d, f, CFG_ID);
			if ((id & 0xffffu) == 0xffffu || (id & 0xffffu) == 0) {
				if (f == 0)
					break; /* no function 0: no device */
				continue;
			}
			bool multi = (rd(w, bus, d, f, CFG_HEADER) >> 16) & 0x80u;
			probe_function(w, bus, d, f, id);
			if (f == 0 && !multi)
				break;
		}
	}
}

size_t pcie_enumerate(const struct pcie_ops *ops, const struct pcie_config *config,
                      struct pcie_result *out)
{
	memset(out, 0, sizeof *out);
	struct pcie_config checked = *config;
	if (checked.bus_count > 256)
		checked.bus_count = 256;
	if (checked.bus_count == 0)
		return 0;
	struct walk w = {.ops = ops, .config = &checked, .out = out};
	allocator_init(&w.mem, &checked.mem32, 0);
	allocator_init(&w.pref, &checked.pref64, 0);
	allocator_init(&w.io, &checked.io, IO_FIRST);
	scan_bus(&w, 0);
	return out->count;
}

const char *pcie_problem_text(enum pcie_problem_kind kind)
{
	switch (kind) {
	case PCIE_BAR_NO_ADDRESS_BITS:
		return "BAR has no writable address bits";
	case PCIE_BAR_NOT_POWER_OF_TWO:
		return "BAR size is not a power of two";
	case PCIE_BAR_TOO_LARGE:
		return "BAR is larger than its window";
	case PCIE_BAR_NO_SPACE:
		return "no room left in the window for the BAR";
	case PCIE_BAR_64_AT_LAST:
		return "64-bit BAR in the last BAR slot";
	case PCIE_BAR_RESERVED_TYPE:
		return "BAR has a reserved memory type";
	case PCIE_CAP_OUTSIDE:
		return "capability pointer outside the capability area";
	case PCIE_CAP_LOOP:
		return "capability list loops";
	case PCIE_BUS_BEYOND_ECAM:
		return "bus number beyond the ECAM";
	case PCIE_HEADER_UNKNOWN:
		return "unknown header type";
	case PCIE_TOO_MANY_FUNCTIONS:
		return "too many functions to record";
	case PCIE_BRIDGE_TOO_DEEP:
		return "bridge nested too deep";
	}
	return "unknown problem";
}

/* ---- formatting: no printf in the component, so a small appender ------------------- */

struct sink {
	char *buf;
	size_t size, len;
};

static void put(struct sink *s, const char *str)
{
	for (; *str; str++) {
		if (s->len + 1 < s->size)
			s->buf[s->len++] = *str;
	}
	if (s->size)
		s->buf[s->len < s->size ? s->len : s->size - 1] = 0;
}

static void put_hex(struct sink *s, uint64_t v, unsigned digits, bool prefix)
{
	char tmp[19];
	unsigned n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v || n < digits);
	char str[22];
	size_t k = 0;
	if (prefix) {
		str[k++] = '0';
		str[k++] = 'x';
	}
	while (n)
		str[k++] = tmp[--n];
	str[k] = 0;
	put(s, str);
}

static void put_bdf(struct sink *s, unsigned b, unsigned d, unsigned f)
{
	put_hex(s, b, 2, false);
	put(s, ":");
	put_hex(s, d, 2, false);
	put(s, ".");
	put_hex(s, f, 1, false);
}

static void put_window(struct sink *s, const char *name, const struct pcie_window *win)
{
	if (!win->size)
		return;
	put(s, " ");
	put(s, name);
	put(s, " ");
	put_hex(s, win->base, 1, true);
	put(s, "+");
	put_hex(s, win->size, 1, true);
}

size_t pcie_format_function(const struct pcie_function *f, char *buf, size_t size)
{
	struct sink s = {buf, size, 0};
	if (size)
		buf[0] = 0;
	put_bdf(&s, f->bus, f->dev, f->fn);
	put(&s, " ");
	put_hex(&s, f->vendor, 4, false);
	put(&s, ":");
	put_hex(&s, f->device, 4, false);
	put(&s, " class ");
	put_hex(&s, f->class_code, 6, false);
	for (unsigned i = 0; i < PCIE_MAX_BARS; i++) {
		const struct pcie_bar *bar = &f->bars[i];
		if (bar->kind == PCIE_BAR_NONE)
			continue;
		put(&s, " bar");
		put_hex(&s, i, 1, false);
		put(&s, bar->kind == PCIE_BAR_IO      ? " io "
		        : bar->kind == PCIE_BAR_MEM32 ? " mem32 "
		                                      : " mem64 ");
		if (bar->prefetchable)
			put(&s, "pref ");
		put_hex(&s, bar->addr, 1, true);
		put(&s, "+");
		put_hex(&s, bar->size, 1, true);
	}
	if (f->header_type == 1) {
		put(&s, " bus ");
		put_hex(&s, f->secondary, 2, false);
		put(&s, "-");
		put_hex(&s, f->subordinate, 2, false);
		put_window(&s, "mem", &f->win_mem);
		put_window(&s, "pref", &f->win_pref);
		put_window(&s, "io", &f->win_io);
	}
	return s.len;
}

size_t pcie_format_problem(const struct pcie_problem *p, char *buf, size_t size)
{
	struct sink s = {buf, size, 0};
	if (size)
		buf[0] = 0;
	put_bdf(&s, p->bus, p->dev, p->fn);
	switch (p->kind) {
	case PCIE_BAR_NO_ADDRESS_BITS:
	case PCIE_BAR_NOT_POWER_OF_TWO:
	case PCIE_BAR_TOO_LARGE:
	case PCIE_BAR_NO_SPACE:
	case PCIE_BAR_64_AT_LAST:
	case PCIE_BAR_RESERVED_TYPE:
		put(&s, " bar");
		put_hex(&s, p->index, 1, false);
		break;
	default:
		break;
	}
	put(&s, ": ");
	put(&s, pcie_problem_text(p->kind));
	put(&s, " (");
	put_hex(&s, p->value, 1, true);
	put(&s, "), refused");
	return s.len;
}
