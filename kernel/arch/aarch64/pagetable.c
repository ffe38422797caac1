/* AArch64 stage-1 translation tables for user address spaces: 4 KiB granule, 4 levels,
 * 48-bit VA, 8- or 16-bit ASIDs. Tables are reached through the kernel's linear map. Pure
 * descriptor bookkeeping, unit-tested on the host; TLB and cache maintenance live in
 * tlb.c. */
#include <kernel/arch.h>
#include <m6/abi/message.h>

#define DESC_VALID       BIT(0)
#define DESC_TABLE       (BIT(0) | BIT(1))
#define DESC_PAGE        (BIT(0) | BIT(1)) /* level 3 */
#define DESC_BLOCK       BIT(0)            /* levels 1, 2 */
#define DESC_ATTR_DEVICE (1ull << 2)       /* MAIR index 1: device nGnRE */
#define DESC_ATTR_NORMAL (2ull << 2)       /* MAIR index 2: normal write-back */
#define DESC_AP_EL0      (1ull << 6)       /* EL0 may access */
#define DESC_AP_RO       (1ull << 7)       /* read-only at every EL */
#define DESC_SH_INNER    (3ull << 8)
#define DESC_AF          BIT(10)
#define DESC_NG          BIT(11) /* tagged with the ASID */
#define DESC_PXN         BIT(53)
#define DESC_UXN         BIT(54)
#define DESC_ADDR_MASK   0x0000fffffffff000ull

static uint64_t *table_entry(paddr_t table, unsigned level, vaddr_t va)
{
	unsigned shift = PAGE_BITS + 9 * (3 - level);
	uint64_t *t = paddr_to_kernel(table);
	return &t[(va >> shift) & 0x1ff];
}

bool arch_vspace_entry_present(paddr_t table, unsigned level, vaddr_t va)
{
	return *table_entry(table, level, va) & DESC_VALID;
}

paddr_t arch_vspace_entry_target(paddr_t table, unsigned level, vaddr_t va)
{
	uint64_t e = *table_entry(table, level, va);
	return (e & DESC_VALID) ? (e & DESC_ADDR_MASK) : 0;
}

paddr_t arch_vspace_lookup_table(paddr_t root, vaddr_t va, unsigned level)
{
	paddr_t table = root;
	for (unsigned l = 0; l < level; l++) {
		uint64_t e = *table_entry(table, l, va);
		if ((e & DESC_TABLE) != DESC_TABLE)
			return 0;
		table = e & DESC_ADDR_MASK;
	}
	return table;
}

void arch_vspace_install_table(paddr_t parent, unsigned parent_level, vaddr_t va, paddr_t table)
{
	*table_entry(parent, parent_level, va) = table | DESC_TABLE;
	arch_barrier_tables();
}

void arch_vspace_map_leaf(paddr_t table, unsigned level, vaddr_t va, paddr_t frame, unsigned rights,
                          bool device)
{
	uint64_t e = frame | (level == 3 ? DESC_PAGE : DESC_BLOCK) | DESC_AF | DESC_NG |
	             DESC_AP_EL0 | DESC_PXN;
	e |= device ? DESC_ATTR_DEVICE : (DESC_ATTR_NORMAL | DESC_SH_INNER);
	if (!(rights & M6_RIGHT_WRITE))
		e |= DESC_AP_RO;
	if (!(rights & M6_RIGHT_EXECUTE) || device)
		e |= DESC_UXN;
	*table_entry(table, level, va) = e;
	arch_barrier_tables();
}

void arch_vspace_clear_entry(paddr_t table, unsigned level, vaddr_t va)
{
	*table_entry(table, level, va) = 0;
	arch_barrier_tables();
}

unsigned arch_asid_bits(uint64_t id_aa64mmfr0)
{
	/* ASIDBits, bits 7:4: 0b0010 is 16 bits, 0b0000 is 8. Anything else is reserved:
	 * 8 bits is what every CPU supports. */
	return ((id_aa64mmfr0 >> 4) & 0xf) == 2 ? 16 : 8;
}
