/* The driver's side of the PCI bus protocol (<m6/pci_client.h>). */
#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6/pci_client.h>

#define PAGE 4096ull

/* The page tables above `va` (levels 1..`last`: 3 for a 4 KiB page, 2 for a 2 MiB
 * block), made from `tables` where missing; done[l] is the span of level l last seen to
 * (so each table is asked for once per span). */
static uint64_t ensure_tables(m6_cptr_t tables, uint64_t va, unsigned last, uint64_t done[4])
{
	for (unsigned level = 1; level <= last; level++) {
		unsigned shift = 12 + 9 * (4 - level);
		if (done[level] == va >> shift)
			continue;
		uint64_t err = m6_vspace_ensure_table(tables, va, level);
		if (err != M6_OK)
			return err;
		done[level] = va >> shift;
	}
	return M6_OK;
}

uint64_t m6_pci_open(m6_cptr_t bus, uint32_t index, m6_cptr_t tables, uint64_t vaddr,
                     struct m6_pci_device *dev)
{
	*dev = (struct m6_pci_device){.bus = bus, .index = index};
	if (vaddr % PAGE)
		return M6_ERR_ALIGNMENT;
	uint64_t err = pci_claim(bus, index, &dev->id);
	if (err != M6_OK)
		return err;
	/* Bus mastering on (the bus enables it at boot; a reset turns it off). */
	uint32_t cmd = 0;
	err = pci_config_read(bus, index, 4, &cmd);
	if (err == M6_OK && !(cmd & 4u))
		err = pci_config_write(bus, index, 4, (cmd & 0xffffu) | 4u); /* status untouched */
	if (err != M6_OK)
		return err;
	uint64_t va = vaddr;
	uint64_t done[4] = {~0ull, ~0ull, ~0ull, ~0ull};
	for (uint32_t b = 0; b < 6; b++) {
		if (!(dev->id.bars & (1u << b)))
			continue;
		struct pci_bar_info info;
		err = pci_bar(bus, index, b, &info);
		if (err != M6_OK)
			return err;
		struct m6_pci_bar *bar = &dev->bars[b];
		*bar = (struct m6_pci_bar){.size = info.size,
		                           .address = info.address,
		                           .kind = info.kind,
		                           .frames = info.frames,
		                           .frame_bits = info.frame_bits};
		if (info.frames == 0)
			continue;
		/* 4 KiB pages, or 2 MiB frames mapped as level-2 blocks (a large BAR). */
		unsigned last_level;
		if (info.frame_bits == 12)
			last_level = 3;
		else if (info.frame_bits == 21)
			last_level = 2;
		else
			return M6_ERR_INVALID_ARGUMENT; /* not a size this client maps */
		uint64_t frame = 1ull << info.frame_bits;
		uint64_t span = (uint64_t)info.frames * frame;
		va = (va + span - 1) / span * span; /* the BAR's natural alignment */
		bar->vaddr = va;
		for (uint32_t p = 0; p < info.frames; p++, va += frame) {
			m6_cptr_t slot = m6_cap_alloc();
			if (!slot)
				return M6_ERR_NOT_ENOUGH_MEMORY;
			if (p == 0)
				bar->first_frame = slot;
			err = pci_bar_frame(bus, index, b, p, slot);
			if (err != M6_OK)
				return err;
			err = ensure_tables(tables, va, last_level, done);
			if (err != M6_OK)
				return err;
			err = m6_frame_map(slot, M6_CAP_SELF_VSPACE, va,
			                   M6_RIGHT_READ | M6_RIGHT_WRITE);
			if (err != M6_OK)
				return err;
		}
	}
	dev->end = va;
	return M6_OK;
}

uint64_t m6_pci_intx(const struct m6_pci_device *dev, m6_cptr_t *handler, uint32_t *intid)
{
	m6_cptr_t slot = m6_cap_alloc();
	if (!slot)
		return M6_ERR_NOT_ENOUGH_MEMORY;
	uint64_t err = pci_interrupt(dev->bus, dev->index, PCI_IRQ_KIND_INTX, 0, slot, intid);
	if (err == M6_OK)
		*handler = slot;
	return err;
}

uint64_t m6_pci_msix(const struct m6_pci_device *dev, uint32_t vector, m6_cptr_t *handler,
                     uint32_t *intid)
{
	m6_cptr_t slot = m6_cap_alloc();
	if (!slot)
		return M6_ERR_NOT_ENOUGH_MEMORY;
	uint64_t err = pci_interrupt(dev->bus, dev->index, PCI_IRQ_KIND_MSIX, vector, slot, intid);
	if (err == M6_OK)
		*handler = slot;
	return err;
}

uint64_t m6_pci_iospace(const struct m6_pci_device *dev, m6_cptr_t *iospace)
{
	m6_cptr_t slot = m6_cap_alloc();
	if (!slot)
		return M6_ERR_NOT_ENOUGH_MEMORY;
	uint64_t err = pci_iospace(dev->bus, dev->index, slot);
	if (err == M6_OK)
		*iospace = slot;
	return err;
}
