/* The kernel's own address space (TTBR1), built once at boot to replace head.S's boot map.
 *
 * Three parts, none of them both writable and executable:
 *   - the linear map, KERNEL_VA_BASE + PA for every byte of RAM the DTB lists (and only
 *     RAM: device memory is never mapped as normal memory), read-write and never
 *     executable, except that the kernel image's own text and rodata are read-only there
 *     too, so no alias makes them writable;
 *   - the devices the kernel drives itself (UART, GIC), as device memory at the same
 *     offset, never executable;
 *   - the kernel image at its link address: text read-only and executable, rodata
 *     read-only, data and bss read-write, and an unmapped guard page under each kernel
 *     stack so that an overflow faults instead of running into the data below.
 * Ranges are mapped with the largest blocks their alignment allows (1 GiB, 2 MiB, 4 KiB).
 * The tables come from a fixed pool in .bss: the kernel allocates nothing at run time. */
#include <kernel/cpu_offsets.h>
#include <arch/sysreg.h>
#include <kernel/arch.h>
#include <kernel/platform.h>
#include <kernel/printk.h>
#include <kernel/smmu.h>

#define DESC_VALID       BIT(0)
#define DESC_TABLE       (BIT(0) | BIT(1))
#define DESC_PAGE        (BIT(0) | BIT(1)) /* level 3 */
#define DESC_BLOCK       BIT(0)            /* levels 1, 2 */
#define DESC_ATTR_DEVICE (1ull << 2)       /* MAIR index 1: device nGnRE */
#define DESC_ATTR_NORMAL (2ull << 2)       /* MAIR index 2: normal write-back */
#define DESC_AP_EL0      (1ull << 6)
#define DESC_AP_RO       (1ull << 7)
#define DESC_SH_INNER    (3ull << 8)
#define DESC_AF          BIT(10)
#define DESC_PXN         BIT(53)
#define DESC_UXN         BIT(54)
#define DESC_ADDR_MASK   0x0000fffffffff000ull

#define K_NORMAL         (DESC_ATTR_NORMAL | DESC_SH_INNER | DESC_AF | DESC_UXN)
#define K_RW             (K_NORMAL | DESC_PXN)
#define K_RO             (K_NORMAL | DESC_PXN | DESC_AP_RO)
#define K_RX             (K_NORMAL | DESC_AP_RO)
#define K_DEVICE         (DESC_ATTR_DEVICE | DESC_AF | DESC_PXN | DESC_UXN)

#define SCTLR_WXN        BIT(19)
#define SCTLR_SPAN       BIT(23)

/* head.S's fixmap: 1 GiB above the image; the DTB's two 2 MiB blocks, then the early UART. */
#define FIXMAP_VA (KIMAGE_VA_BASE + BIT(30))

/* Enough for the image (a handful), every RAM bank's unaligned ends and the devices; the
 * boot log says how many were used. */
#define KMAP_POOL_PAGES 48

uint64_t kimage_voffset;

extern char _text[], _etext[], _rodata[], _erodata[], _data[], _kernel_end[];
extern char kernel_stacks[], kernel_stacks_end[], exception_stacks[], exception_stacks_end[];
extern char boot_empty_l0[];
void arch_replace_ttbr1(paddr_t root, uint64_t voffset);

static uint64_t pool[KMAP_POOL_PAGES][512]
    __attribute__((aligned(4096), section(".bss.page_tables")));
static unsigned pool_used;
static uint64_t *root;
/* What secondary CPUs load (arch/aarch64/smp.c): the final SCTLR_EL1 and the map's root. */
uint64_t kernel_sctlr;

paddr_t kmap_root(void)
{
	return kimage_to_paddr(root);
}

paddr_t arch_phys_limit(void)
{
	static const unsigned bits[] = {32, 36, 40, 42, 44, 48, 52};
	unsigned pa_range = (unsigned)(SYSREG_READ(id_aa64mmfr0_el1) & 0xf);
	unsigned pa_bits = pa_range < ARRAY_SIZE(bits) ? bits[pa_range] : 48;
	return BIT(pa_bits < 47 ? pa_bits : 47);
}

const void *kmap_boot_dtb(paddr_t dtb_pa)
{
	return (const void *)(uintptr_t)(FIXMAP_VA + (dtb_pa & MASK(21)));
}

void *kmap_boot_early_uart(void)
{
	return (void *)(uintptr_t)(FIXMAP_VA + 2 * BIT(21) + (PLATFORM_EARLY_UART & MASK(21)));
}

bool kmap_is_stack_guard(vaddr_t va)
{
	for (unsigned i = 0; i < MAX_CPUS_ASM; i++) {
		vaddr_t guard = (vaddr_t)kernel_stacks + i * KERNEL_STACK_STRIDE;
		vaddr_t exception_guard = (vaddr_t)exception_stacks + i * EXCEPTION_STACK_STRIDE;
		if ((va >= guard && va < guard + PAGE_SIZE) ||
		    (va >= exception_guard && va < exception_guard + PAGE_SIZE))
			return true;
	}
	return false;
}

static unsigned level_shift(unsigned level)
{
	return PAGE_BITS + 9 * (3 - level);
}

/* Every table is in the pool, inside the image: its address is found from the entry. */
static uint64_t *next_table(uint64_t desc)
{
	return (uint64_t *)(uintptr_t)((desc & DESC_ADDR_MASK) + kimage_voffset);
}

static uint64_t *alloc_table(void)
{
	if (pool_used == KMAP_POOL_PAGES)
		panic("kernel map: more than %u page tables needed", KMAP_POOL_PAGES);
	return pool[pool_used++];
}

static void map_one(vaddr_t va, paddr_t pa, unsigned level, uint64_t attrs)
{
	uint64_t *t = root;
	for (unsigned l = 0; l < level; l++) {
		uint64_t *e = &t[(va >> level_shift(l)) & 0x1ff];
		if (!(*e & DESC_VALID))
			*e = kimage_to_paddr(alloc_table()) | DESC_TABLE;
		else if ((*e & DESC_TABLE) != DESC_TABLE)
			panic("kernel map: %lx mapped twice", va);
		t = next_table(*e);
	}
	uint64_t *e = &t[(va >> level_shift(level)) & 0x1ff];
	if (*e & DESC_VALID)
		panic("kernel map: %lx mapped twice", va);
	*e = pa | attrs | (level == 3 ? DESC_PAGE : DESC_BLOCK);
}

static void map_range(vaddr_t va, paddr_t pa, uint64_t size, uint64_t attrs)
{
	while (size) {
		unsigned level = 3;
		for (unsigned l = 1; l < 3; l++) {
			if (IS_ALIGNED(va | pa, level_shift(l)) && size >= BIT(level_shift(l))) {
				level = l;
				break;
			}
		}
		map_one(va, pa, level, attrs);
		va += BIT(level_shift(level));
		pa += BIT(level_shift(level));
		size -= BIT(level_shift(level));
	}
}

static void map_image_range(const char *start, const char *end, uint64_t attrs)
{
	if (end > start)
		map_range((vaddr_t)start, kimage_to_paddr(start), (uint64_t)(end - start), attrs);
}

/* RAM [base, end) in the linear map; the image's text and rodata stay read-only. */
static void map_ram(paddr_t base, paddr_t end)
{
	paddr_t ro_base = kimage_to_paddr(_text), ro_end = kimage_to_paddr(_erodata);
	paddr_t cut1 = base > ro_base ? base : ro_base, cut2 = end < ro_end ? end : ro_end;
	if (cut1 >= cut2) {
		map_range(KERNEL_VA_BASE + base, base, end - base, K_RW);
		return;
	}
	if (base < cut1)
		map_range(KERNEL_VA_BASE + base, base, cut1 - base, K_RW);
	map_range(KERNEL_VA_BASE + cut1, cut1, cut2 - cut1, K_RO);
	if (cut2 < end)
		map_range(KERNEL_VA_BASE + cut2, cut2, end - cut2, K_RW);
}

static void map_device(paddr_t base, uint64_t size)
{
	paddr_t start = base & ~MASK(PAGE_BITS);
	map_range(KERNEL_VA_BASE + start, start, ALIGN_UP(base + size, PAGE_SIZE) - start,
	          K_DEVICE);
}

/* The leaf descriptor that maps `va` in the new tables, 0 if none. */
static uint64_t lookup(vaddr_t va)
{
	uint64_t *t = root;
	for (unsigned l = 0; l <= 3; l++) {
		uint64_t e = t[(va >> level_shift(l)) & 0x1ff];
		if (!(e & DESC_VALID))
			return 0;
		if (l == 3 || (e & DESC_TABLE) != DESC_TABLE)
			return e;
		t = next_table(e);
	}
	return 0;
}

/* Every leaf below `t` (a table of `level`) obeys W^X and keeps EL0 out. */
static bool leaves_ok(const uint64_t *t, unsigned level)
{
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = t[i];
		if (!(e & DESC_VALID))
			continue;
		if (level < 3 && (e & DESC_TABLE) == DESC_TABLE) {
			if (!leaves_ok(next_table(e), level + 1))
				return false;
			continue;
		}
		bool writable = !(e & DESC_AP_RO), exec = !(e & DESC_PXN);
		if ((writable && exec) || !(e & DESC_UXN) || (e & DESC_AP_EL0))
			return false;
	}
	return true;
}

/* Whether the MMU lets EL1 write (or read) `va`, asked of the hardware itself. */
static bool at_ok(const void *va, bool write)
{
	if (write)
		__asm__ volatile("at s1e1w, %0" ::"r"(va));
	else
		__asm__ volatile("at s1e1r, %0" ::"r"(va));
	ISB();
	return !(SYSREG_READ(par_el1) & 1);
}

static void expect(bool ok, const char *what)
{
	if (!ok)
		panic("kernel map self-check: %s", what);
}

/* Read the live map back: the permissions are what this file meant them to be. */
static void self_check(void)
{
	uint64_t text = lookup((vaddr_t)_text), rodata = lookup((vaddr_t)_rodata);
	uint64_t data = lookup((vaddr_t)&kimage_voffset);
	uint64_t stack = lookup((vaddr_t)kernel_stacks + KERNEL_STACK_STRIDE - 16);
	uint64_t text_alias = lookup((vaddr_t)paddr_to_kernel(kimage_to_paddr(_text)));
	expect(text && (text & DESC_AP_RO) && !(text & DESC_PXN), "text is not read-only code");
	expect(rodata && (rodata & DESC_AP_RO) && (rodata & DESC_PXN), "rodata is not read-only");
	expect(data && !(data & DESC_AP_RO) && (data & DESC_PXN), "data is executable");
	expect(stack && (stack & DESC_PXN), "the kernel stack is executable");
	expect(text_alias && (text_alias & DESC_AP_RO) && (text_alias & DESC_PXN),
	       "the linear map's alias of the text is writable or executable");
	expect(!lookup((vaddr_t)kernel_stacks) && !lookup((vaddr_t)exception_stacks),
	       "a stack guard page is mapped");
	for (unsigned i = 0; i < platform.ram_count; i++) {
		uint64_t e = lookup(KERNEL_VA_BASE + platform.ram[i].base);
		expect(e && (e & DESC_PXN) && (e & (7ull << 2)) == DESC_ATTR_NORMAL,
		       "RAM is executable, not normal memory or not mapped");
	}
	expect(leaves_ok(root, 0), "a mapping is writable and executable, or reachable from EL0");
	expect(!at_ok(_text, true), "the MMU lets the kernel write its text");
	expect(!at_ok(_rodata, true), "the MMU lets the kernel write its rodata");
	expect(at_ok(&kimage_voffset, true), "the MMU refuses the kernel its data");
	expect(!at_ok(kernel_stacks, false), "the MMU maps a stack guard page");
	expect(SYSREG_READ(sctlr_el1) & SCTLR_WXN, "SCTLR_EL1.WXN did not stick");
}

void kmap_init(void)
{
	root = alloc_table();
	map_image_range(_text, _etext, K_RX);
	map_image_range(_rodata, _erodata, K_RO);
	/* Data, bss and the exception stacks after it (kernel.ld), less the guard pages
	 * (vectors.S puts each stack's first). */
	map_image_range(_data, kernel_stacks, K_RW);
	for (unsigned i = 0; i < MAX_CPUS_ASM; i++) {
		char *guard = kernel_stacks + i * KERNEL_STACK_STRIDE;
		map_image_range(guard + PAGE_SIZE, guard + KERNEL_STACK_STRIDE, K_RW);
	}
	map_image_range(kernel_stacks_end, exception_stacks, K_RW);
	for (unsigned i = 0; i < MAX_CPUS_ASM; i++) {
		char *guard = exception_stacks + i * EXCEPTION_STACK_STRIDE;
		map_image_range(guard + PAGE_SIZE, guard + EXCEPTION_STACK_STRIDE, K_RW);
	}
	map_image_range(exception_stacks_end, _kernel_end, K_RW);
	for (unsigned i = 0; i < platform.ram_count; i++)
		map_ram(platform.ram[i].base, platform.ram[i].end);
	if (platform.uart_base)
		map_device(platform.uart_base, PAGE_SIZE);
	map_device(platform.gicd_base, platform.gicd_size);
	map_device(platform.gicr_base, platform.gicr_size);
	paddr_t smmu_base;
	uint64_t smmu_size;
	smmu_mmio(&smmu_base, &smmu_size);
	if (smmu_size)
		map_device(smmu_base, smmu_size);
	if (platform.its_base)
		map_device(platform.its_base, platform.its_size);
	DSB(ishst);

	arch_replace_ttbr1(kimage_to_paddr(root), kimage_voffset);
	/* The identity map goes: from now on TTBR0 is user space's. */
	SYSREG_WRITE(ttbr0_el1, kimage_to_paddr(boot_empty_l0));
	ISB();
	/* WXN: a writable mapping is never executable, whatever its descriptor says. */
	uint64_t sctlr = SYSREG_READ(sctlr_el1) | SCTLR_WXN;
	/* PAN: the kernel never touches user memory through user addresses (IPC buffers are
	 * reached through the linear map), so an access by mistake faults. SPAN = 0 sets
	 * PSTATE.PAN on every exception into the kernel. */
	bool pan = ((SYSREG_READ(id_aa64mmfr1_el1) >> 20) & 0xf) != 0;
	if (pan)
		sctlr &= ~SCTLR_SPAN;
	SYSREG_WRITE(sctlr_el1, sctlr);
	ISB();
	if (pan)
		__asm__ volatile(".inst 0xd500419f" ::: "memory"); /* msr pan, #1 */
	__asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" ::: "memory");
	/* The boot map's fixmap (and its early UART) is gone: the console is now the UART
	 * this map holds, or none. */
	arch_console_start();
	kernel_sctlr = sctlr;

	self_check();
	printk("m6: kernel map: %u page tables, text r-x, rodata r--, data rw-, RAM rw- "
	       "(checked), WXN on, PAN %s\n",
	       pool_used, pan ? "on" : "not implemented by this CPU");
}
