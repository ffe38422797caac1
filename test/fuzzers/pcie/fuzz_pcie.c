/* libFuzzer harness for PCIe enumeration (components/drivers/pcie/pcie_enum.c): config
 * space is what devices report, so every byte of it is the fuzzer's.
 *
 * Input: byte 0 is the ECAM's bus count (1..8), then records of RECORD bytes: bus (taken
 * modulo the bus count), device/function (devfn), 24 bytes of BAR write masks (6
 * little-endian dwords), and the function's first 256 bytes of config space. A record's
 * config space answers at (bus, devfn); writes land as a device would take them (BARs
 * through their masks, the command register, a bridge's registers).
 *
 * Checked after each run, beyond "no crash, no UB": every BAR assigned is naturally
 * aligned, inside its window, and overlaps no other BAR of the same address space;
 * every bridge's secondary bus is within the ECAM; no config access is outside the ECAM;
 * and every function and problem formats. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pcie_enum.h"
#include "pcie_policy.h"

#define MAX_RECORDS 24
#define RECORD      (2 + 24 + 256)

struct rec {
	unsigned bus, devfn;
	uint32_t mask[6];
	uint8_t cfg[256];
};

static struct rec recs[MAX_RECORDS];
static size_t nrecs;
static unsigned bus_count;

static struct rec *find(unsigned b, unsigned d, unsigned f)
{
	if (b >= bus_count || d >= 32 || f >= 8)
		abort(); /* the enumerator went outside the ECAM */
	for (size_t i = 0; i < nrecs; i++)
		if (recs[i].bus == b && recs[i].devfn == (d << 3 | f))
			return &recs[i];
	return NULL;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t fz_read(void *ctx, unsigned b, unsigned d, unsigned f, unsigned off)
{
	(void)ctx;
	if (off % 4 || off >= 4096)
		abort();
	struct rec *r = find(b, d, f);
	if (!r)
		return 0xffffffffu;
	return off < 256 ? get32(r->cfg + off) : 0;
}

static void fz_write(void *ctx, unsigned b, unsigned d, unsigned f, unsigned off, uint32_t v)
{
	(void)ctx;
	if (off % 4 || off >= 4096)
		abort();
	struct rec *r = find(b, d, f);
	if (!r)
		return;
	if (off >= 0x10 && off < 0x28) {
		uint32_t m = r->mask[(off - 0x10) / 4];
		put32(r->cfg + off, (v & m) | (get32(r->cfg + off) & ~m));
	} else if (off == 0x04 || (off >= 0x18 && off < 0x40)) {
		put32(r->cfg + off, v);
	}
}

static const struct pcie_config windows_template = {
    .mem32 = {0x10000000, 0x2eff0000},
    .pref64 = {0x8000000000ull, 0x8000000000ull},
    .io = {0, 0x10000},
};

static const struct pcie_window *window_of(const struct pcie_config *c, const struct pcie_bar *b)
{
	if (b->kind == PCIE_BAR_IO)
		return &c->io;
	return b->kind == PCIE_BAR_MEM64 && b->prefetchable ? &c->pref64 : &c->mem32;
}

static struct pcie_result res;

/* The bus's rules for drivers (pcie_policy.c) over what the fuzzer's devices reported:
 * a rule hands out only endpoints of its class, in order; INTx routing ends with a pin
 * of 1..4; a decoded MSI-X table and PBA lie inside memory BARs; no driver write reaches
 * a BAR, and the command register changes only in the bits a driver may touch. */
static void check_policy(const struct pcie_result *res)
{
	for (size_t i = 0; i < res->count; i++) {
		const struct pcie_function *f = &res->functions[i];
		struct pcie_rule rule = {PCIE_RULE_CLASS, 0, 0, f->class_code};
		unsigned n = pcie_rule_count(&rule, res);
		for (unsigned k = 0; k <= n; k++) {
			int at = pcie_rule_nth(&rule, res, k);
			if ((k == n) != (at < 0))
				abort();
			if (at >= 0 && (res->functions[at].header_type != 0 ||
			                res->functions[at].class_code != f->class_code))
				abort();
		}
		for (unsigned pin = 0; pin <= 5; pin++) {
			unsigned dev, root_pin;
			if (pcie_intx_route(res, f, pin, &dev, &root_pin) &&
			    (pin < 1 || pin > 4 || root_pin < 1 || root_pin > 4 || dev > 31))
				abort();
		}
		struct pcie_msix m;
		if (f->cap_msix &&
		    pcie_msix_decode(f, fz_read(NULL, f->bus, f->dev, f->fn, f->cap_msix),
		                     fz_read(NULL, f->bus, f->dev, f->fn, f->cap_msix + 4u),
		                     fz_read(NULL, f->bus, f->dev, f->fn, f->cap_msix + 8u), &m)) {
			const struct pcie_bar *t = &f->bars[m.table_bar], *p = &f->bars[m.pba_bar];
			if (m.vectors < 1 || m.vectors > 2048 ||
			    m.table_offset + m.vectors * 16ull > t->size || m.pba_offset >= p->size)
				abort();
		}
		uint32_t out, old = fz_read(NULL, f->bus, f->dev, f->fn, 4);
		for (unsigned off = 0x10; off < 0x28; off += 4)
			if (pcie_config_write_check(f, off, 0, ~0u, &out) != PCIE_CFG_REFUSED)
				abort();
		if (pcie_config_write_check(f, 4, old, ~old, &out) == PCIE_CFG_OK &&
		    ((out ^ old) & 0xffffu & ~0x404u))
			abort();
		/* whatever the capability list said: no FLR, no power state change, nothing in
		 * extended config space */
		if (f->cap_pcie && pcie_config_write_check(f, f->cap_pcie + 8u, 0, 0x8000u, &out) !=
		                       PCIE_CFG_REFUSED)
			abort();
		if (f->cap_pm &&
		    pcie_config_write_check(f, f->cap_pm + 4u, 0, 3u, &out) != PCIE_CFG_REFUSED)
			abort();
		if (pcie_config_write_check(f, 0x100, 0, ~0u, &out) != PCIE_CFG_REFUSED)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bus_count = 1 + data[0] % 8;
	data++;
	size--;
	nrecs = 0;
	while (size >= RECORD && nrecs < MAX_RECORDS) {
		struct rec *r = &recs[nrecs++];
		r->bus = data[0] % bus_count;
		r->devfn = data[1];
		for (int i = 0; i < 6; i++)
			r->mask[i] = get32(data + 2 + 4 * i);
		memcpy(r->cfg, data + 26, 256);
		data += RECORD;
		size -= RECORD;
	}
	struct pcie_config config = windows_template;
	config.bus_count = bus_count;
	const struct pcie_ops ops = {NULL, fz_read, fz_write};
	pcie_enumerate(&ops, &config, &res);

	char line[256];
	for (size_t i = 0; i < res.count; i++) {
		const struct pcie_function *f = &res.functions[i];
		if (pcie_format_function(f, line, sizeof line) >= sizeof line)
			abort();
		if (f->header_type == 1 && f->secondary &&
		    (f->secondary >= bus_count || f->subordinate < f->secondary))
			abort();
		for (unsigned k = 0; k < PCIE_MAX_BARS; k++) {
			const struct pcie_bar *a = &f->bars[k];
			if (a->kind == PCIE_BAR_NONE)
				continue;
			const struct pcie_window *w = window_of(&config, a);
			if (a->size == 0 || (a->size & (a->size - 1)) ||
			    (a->addr & (a->size - 1)) || a->addr < w->base ||
			    a->addr + a->size > w->base + w->size)
				abort();
			for (size_t j = 0; j <= i; j++)
				for (unsigned l = 0; l < PCIE_MAX_BARS; l++) {
					const struct pcie_bar *o = &res.functions[j].bars[l];
					if ((j == i && l == k) || o->kind == PCIE_BAR_NONE ||
					    window_of(&config, o) != w)
						continue;
					if (a->addr < o->addr + o->size &&
					    o->addr < a->addr + a->size)
						abort();
				}
		}
	}
	for (size_t i = 0; i < res.problem_count; i++)
		pcie_format_problem(&res.problems[i], line, sizeof line);
	check_policy(&res);
	return 0;
}
