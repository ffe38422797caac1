/* AArch64 stage-1 translation tables for user address spaces: 4 KiB granule, 4 levels,
 * 48-bit VA, 16-bit ASIDs. Tables are reached through the kernel's linear map. */
#include <arch/sysreg.h>
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
	DSB(ishst);
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
	DSB(ishst);
}

void arch_vspace_clear_entry(paddr_t table, unsigned level, vaddr_t va)
{
	*table_entry(table, level, va) = 0;
	DSB(ishst);
}

void arch_tlb_flush_page(uint32_t asid, vaddr_t va)
{
	uint64_t arg = ((uint64_t)asid << 48) | ((va >> PAGE_BITS) & MASK(44));
	__asm__ volatile("tlbi vae1is, %0\n\tdsb ish\n\tisb" ::"r"(arg) : "memory");
}

void arch_tlb_flush_asid(uint32_t asid)
{
	uint64_t arg = (uint64_t)asid << 48;
	__asm__ volatile("tlbi aside1is, %0\n\tdsb ish\n\tisb" ::"r"(arg) : "memory");
}

static unsigned cache_line(void)
{
	/* CTR_EL0.DminLine: log2 of the smallest data cache line in words. */
	return 4u << ((SYSREG_READ(ctr_el0) >> 16) & 0xf);
}

#define CACHE_OP(name, insn)                                                           \
	void name(uintptr_t start, uintptr_t end)                                      \
	{                                                                              \
		unsigned line = cache_line();                                          \
		for (uintptr_t p = start & ~(uintptr_t)(line - 1); p < end; p += line) \
			__asm__ volatile(insn ", %0" ::"r"(p) : "memory");             \
		DSB(sy);                                                               \
	}

CACHE_OP(arch_cache_clean, "dc cvac")
CACHE_OP(arch_cache_invalidate, "dc ivac")
CACHE_OP(arch_cache_clean_invalidate, "dc civac")
