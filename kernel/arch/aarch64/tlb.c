/* TLB and data cache maintenance. */
#include <arch/sysreg.h>
#include <kernel/arch.h>
#include <kernel/string.h>

void arch_barrier_tables(void)
{
	/* Descriptor writes must be visible to the table walker before any use. */
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

#define TCR_AS BIT(36) /* 16-bit ASIDs in TTBR0/TLB tags */

unsigned arch_asid_init(void)
{
	/* head.S turns on 16-bit ASIDs; a CPU that has only 8 ignores TCR_EL1.AS (RES0) but
	 * the kernel must not rely on that: it runs with AS clear there and hands out ASIDs
	 * below 256 only. No user address space has run yet, and the kernel's own mappings
	 * are global; the flush drops whatever was cached under the old setting. */
	unsigned bits = arch_asid_bits(SYSREG_READ(id_aa64mmfr0_el1));
	uint64_t tcr = SYSREG_READ(tcr_el1);
	uint64_t want = bits == 16 ? (tcr | TCR_AS) : (tcr & ~TCR_AS);
	if (want != tcr) {
		SYSREG_WRITE(tcr_el1, want);
		ISB();
		__asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" ::: "memory");
	}
	return bits;
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

void arch_icache_invalidate_all(void)
{
	/* CTR_EL0.DIC: instruction fetches are coherent with data, nothing to invalidate.
	 * Otherwise the whole instruction cache, inner shareable: right for every kind of
	 * instruction cache (aliasing ones included), and one instruction where invalidating
	 * a 2 MiB frame by address would be 32,768. The data side must already be clean. */
	if (SYSREG_READ(ctr_el0) & (1ull << 29))
		return;
	__asm__ volatile("dsb ish\n\tic ialluis\n\tdsb ish\n\tisb" ::: "memory");
}

void arch_zero_memory(void *p, size_t n)
{
	/* DC ZVA zeroes a whole block (64 bytes on most cores) per instruction: objects are
	 * aligned to their size, so pages and larger go this way. */
	uint64_t dczid = SYSREG_READ(dczid_el0);
	size_t block = 4u << (dczid & 0xf);
	uintptr_t a = (uintptr_t)p;
	if ((dczid & (1u << 4)) || (a & (block - 1)) || (n & (block - 1))) {
		memset(p, 0, n);
		return;
	}
	for (uintptr_t end = a + n; a < end; a += block)
		__asm__ volatile("dc zva, %0" ::"r"(a) : "memory");
	DSB(ish);
}

void arch_zero_and_clean(uintptr_t start, uintptr_t end)
{
	/* New objects' memory (retype): each block is zeroed and its line cleaned right away,
	 * five instructions a block where a zeroing pass and a cleaning pass take eight, and
	 * the line is still near when it is cleaned. A cache maintenance instruction by
	 * address is ordered after an earlier store to the same line, DC ZVA included, so the
	 * zeros are what reaches memory. Only when a zeroing block is one cache line; other
	 * cores, or ranges that are not whole blocks, take the two passes. */
	uint64_t dczid = SYSREG_READ(dczid_el0);
	uintptr_t block = 4u << (dczid & 0xf);
	if ((dczid & (1u << 4)) || block != cache_line() || ((start | end) & (block - 1))) {
		arch_zero_memory((void *)start, end - start);
		arch_cache_clean(start, end);
		return;
	}
	for (uintptr_t a = start; a < end; a += block)
		__asm__ volatile("dc zva, %0\n\tdc cvac, %0" ::"r"(a) : "memory");
	DSB(sy);
}
