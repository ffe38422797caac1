/* The PCIe bus component's rules for drivers (pcie_policy.h). */
#include "pcie_policy.h"

#define CMD_BUS_MASTER   (1u << 2)
#define CMD_INTX_DISABLE (1u << 10)
#define MSIX_ENABLE      (1u << 31) /* message control bit 15, in the capability's dword 0 */
#define MSIX_MASK_ALL    (1u << 30) /* bit 14 */
#define DEVCAP_FLR       (1u << 28)
#define DEVCTL_START_FLR (1u << 15)
#define PMCSR_POWER      3u /* PowerState, bits 1:0 of the PM capability's dword 1 */

bool pcie_rule_matches(const struct pcie_rule *r, const struct pcie_function *f)
{
	if (f->header_type != 0 || (f->class_code >> 8) == 0x0600)
		return false;
	switch (r->kind) {
	case PCIE_RULE_CLASS:
		return f->class_code == r->class_code;
	case PCIE_RULE_VENDOR:
		return f->vendor == r->vendor;
	case PCIE_RULE_DEVICE:
		return f->vendor == r->vendor && f->device == r->device;
	default:
		return false;
	}
}

unsigned pcie_rule_count(const struct pcie_rule *r, const struct pcie_result *res)
{
	unsigned n = 0;
	for (size_t i = 0; i < res->count; i++)
		n += pcie_rule_matches(r, &res->functions[i]);
	return n;
}

int pcie_rule_nth(const struct pcie_rule *r, const struct pcie_result *res, unsigned nth)
{
	for (size_t i = 0; i < res->count; i++) {
		if (pcie_rule_matches(r, &res->functions[i]) && nth-- == 0)
			return (int)i;
	}
	return -1;
}

enum pcie_claim_verdict pcie_claim(uint64_t *holder, uint64_t badge)
{
	if (badge == 0)
		return PCIE_CLAIM_OTHER;
	if (*holder == badge)
		return PCIE_CLAIM_AGAIN;
	if (*holder != 0)
		return PCIE_CLAIM_OTHER;
	*holder = badge;
	return PCIE_CLAIM_NEW;
}

/* The bridge whose secondary bus is `bus`. */
static const struct pcie_function *bridge_to(const struct pcie_result *res, unsigned bus)
{
	for (size_t i = 0; i < res->count; i++) {
		const struct pcie_function *b = &res->functions[i];
		if (b->header_type == 1 && b->secondary == bus && b->secondary != 0)
			return b;
	}
	return NULL;
}

bool pcie_intx_route(const struct pcie_result *res, const struct pcie_function *f, unsigned pin,
                     unsigned *root_dev, unsigned *root_pin)
{
	if (pin < 1 || pin > 4)
		return false;
	unsigned bus = f->bus, dev = f->dev;
	/* Each level moves one bus up; a bus number repeats only in a broken result, and
	 * 256 levels bound the walk anyway. */
	for (unsigned depth = 0; bus != 0; depth++) {
		const struct pcie_function *b = bridge_to(res, bus);
		if (!b || depth >= 256)
			return false;
		pin = (pin - 1 + dev) % 4 + 1;
		bus = b->bus;
		dev = b->dev;
	}
	*root_dev = dev;
	*root_pin = pin;
	return true;
}

/* Whether [offset, offset + size) lies in memory BAR `bar` of f. */
static bool in_bar(const struct pcie_function *f, unsigned bar, uint64_t offset, uint64_t size)
{
	if (bar >= PCIE_MAX_BARS)
		return false;
	const struct pcie_bar *b = &f->bars[bar];
	if (b->kind != PCIE_BAR_MEM32 && b->kind != PCIE_BAR_MEM64)
		return false;
	return offset <= b->size && size <= b->size - offset;
}

bool pcie_msix_decode(const struct pcie_function *f, uint32_t cap0, uint32_t table, uint32_t pba,
                      struct pcie_msix *out)
{
	if (!f->cap_msix)
		return false;
	unsigned vectors = ((cap0 >> 16) & 0x7ffu) + 1;
	struct pcie_msix m = {
	    .vectors = vectors,
	    .table_bar = table & 7u,
	    .table_offset = table & ~7u,
	    .pba_bar = pba & 7u,
	    .pba_offset = pba & ~7u,
	};
	/* 16 bytes per table entry, one pending bit per vector (in 8-byte words). */
	if (!in_bar(f, m.table_bar, m.table_offset, (uint64_t)vectors * 16) ||
	    !in_bar(f, m.pba_bar, m.pba_offset, ((uint64_t)vectors + 63) / 64 * 8))
		return false;
	*out = m;
	return true;
}

enum pcie_cfg_verdict pcie_config_read_check(unsigned offset)
{
	return (offset & 3u) || offset >= 4096 ? PCIE_CFG_RANGE : PCIE_CFG_OK;
}

enum pcie_cfg_verdict pcie_config_write_check(const struct pcie_function *f, unsigned offset,
                                              uint32_t old, uint32_t value, uint32_t *out)
{
	if (pcie_config_read_check(offset) != PCIE_CFG_OK)
		return PCIE_CFG_RANGE;
	if (offset == 0x04) {
		/* Command (low half): only the bits a driver needs; status (high half): its
		 * error bits are write-one-to-clear, the rest read-only, so any value is safe. */
		const uint32_t mask = CMD_BUS_MASTER | CMD_INTX_DISABLE;
		if ((value ^ old) & 0xffffu & ~mask)
			return PCIE_CFG_REFUSED;
		*out = value;
		return PCIE_CFG_OK;
	}
	if (offset < 0x40)
		return PCIE_CFG_REFUSED;
	if (f->cap_msi && offset >= f->cap_msi && offset < f->cap_msi + 24u)
		return PCIE_CFG_REFUSED;
	if (f->cap_msix && offset >= f->cap_msix && offset < f->cap_msix + 12u) {
		if (offset != f->cap_msix || ((value ^ old) & ~(MSIX_ENABLE | MSIX_MASK_ALL)))
			return PCIE_CFG_REFUSED;
		*out = value;
		return PCIE_CFG_OK;
	}
	/* An FLR or D3hot stops the function decoding its BARs, and the bus itself reads the
	 * MSI-X table there (an external abort would take the bus, and every driver's device,
	 * down): a driver resets through the bus's reset, which restores the BARs. Initiate
	 * FLR always reads 0, so any write with it set starts one. */
	if (f->cap_pcie && offset == f->cap_pcie + 8u && (value & DEVCTL_START_FLR))
		return PCIE_CFG_REFUSED;
	if (f->cap_pm && offset == f->cap_pm + 4u && ((value ^ old) & PMCSR_POWER))
		return PCIE_CFG_REFUSED;
	/* Extended config space holds SR-IOV (VF Enable, VF BARs), Resizable BAR, ATS...:
	 * decoding or translation the bus did not assign, and nothing a driver here needs. */
	if (offset >= 0x100)
		return PCIE_CFG_REFUSED;
	*out = value;
	return PCIE_CFG_OK;
}

uint64_t pcie_bar_frames(const struct pcie_bar *b, unsigned *bits)
{
	*bits = 0;
	if (b->kind != PCIE_BAR_MEM32 && b->kind != PCIE_BAR_MEM64)
		return 0;
	if (b->size >= 1ull << PCIE_BLOCK_BITS) {
		*bits = PCIE_BLOCK_BITS;
		return b->size >> PCIE_BLOCK_BITS;
	}
	*bits = PCIE_PAGE_BITS;
	return b->size <= 1ull << PCIE_PAGE_BITS ? 1 : b->size >> PCIE_PAGE_BITS;
}

bool pcie_flr_capable(uint32_t devcap)
{
	return (devcap & DEVCAP_FLR) != 0;
}

uint32_t pcie_flr_start(uint32_t devctl_devsta)
{
	return (devctl_devsta & 0xffffu) | DEVCTL_START_FLR;
}

#define CMD_IO     (1u << 0)
#define CMD_MEMORY (1u << 1)

size_t pcie_flr_restore(const struct pcie_function *f,
                        struct pcie_cfg_write out[PCIE_FLR_MAX_WRITES])
{
	if (f->header_type != 0)
		return 0;
	size_t n = 0;
	uint32_t cmd = CMD_INTX_DISABLE;
	for (unsigned i = 0; i < PCIE_MAX_BARS; i++) {
		const struct pcie_bar *b = &f->bars[i];
		unsigned offset = 0x10 + 4 * i;
		/* The type bits are read-only: written as the BAR reports them, they change
		 * nothing, and a device that got them wrong is not trusted with them either. */
		switch (b->kind) {
		case PCIE_BAR_IO:
			out[n++] = (struct pcie_cfg_write){offset, (uint32_t)b->addr | 1u};
			cmd |= CMD_IO;
			break;
		case PCIE_BAR_MEM32:
			out[n++] = (struct pcie_cfg_write){offset, (uint32_t)b->addr |
			                                               (b->prefetchable ? 8u : 0u)};
			cmd |= CMD_MEMORY;
			break;
		case PCIE_BAR_MEM64:
			if (i + 1 >= PCIE_MAX_BARS)
				break; /* cannot be: the enumerator refuses one in the last slot */
			out[n++] = (struct pcie_cfg_write){offset, (uint32_t)b->addr | 4u |
			                                               (b->prefetchable ? 8u : 0u)};
			out[n++] = (struct pcie_cfg_write){offset + 4, (uint32_t)(b->addr >> 32)};
			cmd |= CMD_MEMORY;
			break;
		default:
			break;
		}
	}
	out[n++] = (struct pcie_cfg_write){0x04, cmd};
	return n;
}
