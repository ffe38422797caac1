/* Kernel start: learn the machine from the DTB, map it, hand free RAM to untyped memory,
 * install the system the boot tables describe, and run it.
 *
 * The DTB is the loader's word, checked like user input (docs/boot.md): every address in
 * it is checked against RAM and against what the kernel can map before the kernel maps or
 * touches it, disabled nodes are ignored, and anything unusable ends in a panic that names
 * the node and the problem. */
#include <kernel/arch.h>
#include <kernel/asid_pool.h>
#include <kernel/boot.h>
#include <kernel/dtb.h>
#include <kernel/memory_map.h>
#include <kernel/platform.h>
#include <kernel/printk.h>
#include <kernel/scheduler.h>
#include <kernel/smmu.h>
#include <kernel/smp.h>
#include <kernel/string.h>
#include <kernel/timer.h>
#include <kernel/untyped.h>

#define M6_VERSION   "0.1.0"
#define DTB_MAX_SIZE (2u << 20)
#define TIMESLICE_HZ (1000000 / TIMESLICE_DEFAULT_US)
#define MAX_REGIONS  16

/* Smallest register windows the kernel's drivers use: PL011 up to FR (0x18), a GICv3
 * distributor (one 64 KiB frame) and one redistributor (RD and SGI frames). */
#define UART_MIN_SIZE 0x1c
#define GICD_MIN_SIZE 0x10000
#define GICR_MIN_SIZE 0x20000
#define GITS_MIN_SIZE 0x20000 /* control frame and the translation (doorbell) frame */

extern char _kernel_start[], _kernel_end[];
void gic_init(void);
void timer_init(void);

static struct mem_range ram[MAX_REGIONS];
static unsigned ram_count;

static const char *node_name(const struct dtb *dtb, int node)
{
	const char *name = dtb_node_name(dtb, node);
	return name && name[0] ? name : "/";
}

/* The first enabled node compatible with `compatible`: a disabled one is the firmware's
 * (or absent hardware) and is never touched. DTB_ERR_NOT_FOUND if there is none;
 * *disabled is set to the first disabled match (or -1). */
static int find_enabled(const struct dtb *dtb, const char *compatible, int *disabled)
{
	*disabled = -1;
	for (int node = dtb_find_compatible(dtb, -1, compatible); node >= 0;
	     node = dtb_find_compatible(dtb, node, compatible)) {
		if (dtb_node_enabled(dtb, node))
			return node;
		if (*disabled < 0)
			*disabled = node;
	}
	return DTB_ERR_NOT_FOUND;
}

/* Register window `index` of a device node, checked before anything maps it: present,
 * large enough for the driver, aligned, within what the kernel can map, and not RAM (a
 * "device" in RAM would let the kernel scribble over memory that becomes untyped). */
static struct dtb_region mmio_region(const struct dtb *dtb, int node, unsigned index,
                                     const char *what, uint64_t min_size, unsigned align_bits)
{
	struct dtb_region r;
	int err = dtb_get_reg(dtb, node, index, &r);
	if (err != DTB_OK)
		panic("DTB: %s %s: reg entry %u: %s", what, node_name(dtb, node), index,
		      dtb_strerror(err));
	if (r.size < min_size)
		panic("DTB: %s %s: register window %lx-%lx smaller than %lx bytes", what,
		      node_name(dtb, node), r.base, r.base + r.size - 1, min_size);
	if (!IS_ALIGNED(r.base, align_bits))
		panic("DTB: %s %s: registers at %lx not aligned to %lx", what, node_name(dtb, node),
		      r.base, (uint64_t)BIT(align_bits));
	paddr_t limit = arch_phys_limit();
	if (r.base >= limit || r.size > limit - r.base)
		panic("DTB: %s %s: registers at %lx-%lx beyond what the kernel can map (below %lx)",
		      what, node_name(dtb, node), r.base, r.base + r.size - 1, limit);
	paddr_t page = r.base & ~MASK(PAGE_BITS), end = ALIGN_UP(r.base + r.size, PAGE_SIZE);
	if (memory_map_overlaps(ram, ram_count, page, end))
		panic("DTB: %s %s: registers at %lx-%lx are in RAM", what, node_name(dtb, node),
		      r.base, r.base + r.size - 1);
	return r;
}

static void read_platform(const struct dtb *dtb)
{
	int disabled;
	int uart = find_enabled(dtb, "arm,pl011", &disabled);
	if (uart >= 0) {
		platform.uart_base = mmio_region(dtb, uart, 0, "UART", UART_MIN_SIZE, 2).base;
	} else {
		/* No console: the kernel runs, silently. Nothing is lost that a user-space
		 * driver could not say, and a device the firmware disabled is not ours. */
		platform.uart_base = 0;
	}

	int gic = find_enabled(dtb, "arm,gic-v3", &disabled);
	if (gic < 0 && disabled >= 0)
		panic("DTB: the GICv3 %s is disabled, and the kernel needs an interrupt controller",
		      node_name(dtb, disabled));
	if (gic < 0)
		panic("DTB: no GICv3 (compatible \"arm,gic-v3\") found");
	struct dtb_region d = mmio_region(dtb, gic, 0, "GICv3 distributor", GICD_MIN_SIZE, 16);
	struct dtb_region r = mmio_region(dtb, gic, 1, "GICv3 redistributors", GICR_MIN_SIZE, 16);
	platform.gicd_base = d.base;
	platform.gicd_size = d.size;
	platform.gicr_base = r.base;
	platform.gicr_size = r.size;
	/* The ITS (MSIs as LPIs) is optional: without one, MSI invocations are refused. Its
	 * node is the GIC's child, so the search starts there (a search of the whole tree
	 * costs boot ~90,000 instructions); a disabled one is not ours. */
	int its = dtb_find_compatible(dtb, gic, "arm,gic-v3-its");
	while (its >= 0 && !dtb_node_enabled(dtb, its))
		its = dtb_find_compatible(dtb, its, "arm,gic-v3-its");
	if (its >= 0) {
		struct dtb_region i = mmio_region(dtb, its, 0, "GICv3 ITS", GITS_MIN_SIZE, 16);
		platform.its_base = i.base;
		platform.its_size = i.size;
	}

	/* Timer interrupts: secure, non-secure physical, virtual, hypervisor; each three
	 * cells (type, number, flags). We use the EL1 virtual timer (arch/aarch64/timer.c
	 * says why), a PPI: type 1 in cell 6, the number (0..15, interrupt IDs 16..31) in
	 * cell 7. */
	int timer = find_enabled(dtb, "arm,armv8-timer", &disabled);
	uint32_t type, ppi;
	if (timer < 0 || dtb_get_cell(dtb, timer, "interrupts", 6, &type) != DTB_OK ||
	    dtb_get_cell(dtb, timer, "interrupts", 7, &ppi) != DTB_OK)
		panic("DTB: no usable arm,armv8-timer node");
	if (type != 1)
		panic("DTB: arm,armv8-timer: interrupt type %u is not 1 (PPI)", type);
	if (ppi >= 16)
		panic("DTB: arm,armv8-timer: interrupt %u is not a PPI", ppi);
	platform.timer_irq = 16 + ppi;

	int psci = find_enabled(dtb, "arm,psci-1.0", &disabled);
	if (psci < 0)
		psci = find_enabled(dtb, "arm,psci-0.2", &disabled);
	const char *method = NULL;
	if (psci < 0 || dtb_get_string(dtb, psci, "method", &method) != DTB_OK)
		panic("DTB: no PSCI node with a method");
	if (!strcmp(method, "smc"))
		platform.psci_smc = true;
	else if (!strcmp(method, "hvc"))
		platform.psci_smc = false;
	else
		panic("DTB: PSCI method \"%s\" is neither smc nor hvc", method);
}

/* RAM: every enabled memory node's ranges, clipped to what the kernel can map, in whole
 * pages, merged so that no byte is counted twice. */
static void read_ram(const struct dtb *dtb)
{
	struct dtb_region regions[MAX_REGIONS];
	unsigned count;
	int err = dtb_memory_regions(dtb, regions, MAX_REGIONS, &count);
	if (err != DTB_OK || count == 0)
		panic("DTB: no memory regions (%s)", dtb_strerror(err));
	uint64_t given = 0;
	for (unsigned i = 0; i < count; i++) {
		ram[i] = (struct mem_range){regions[i].base, regions[i].base + regions[i].size};
		given += regions[i].size;
	}
	paddr_t limit = arch_phys_limit();
	ram_count = memory_map_usable_ram(ram, count, (struct mem_range){0, limit});
	if (ram_count == 0)
		panic("DTB: no memory where the kernel can use it (below %lx)", limit);
	if (ram_count > PLATFORM_MAX_RAM_REGIONS)
		panic("DTB: %u separate RAM regions, at most %u supported", ram_count,
		      PLATFORM_MAX_RAM_REGIONS);
	uint64_t usable = memory_map_total(ram, ram_count);
	for (unsigned i = 0; i < ram_count; i++) {
		printk("m6: RAM %lx-%lx\n", ram[i].base, ram[i].end - 1);
		platform.ram[i].base = ram[i].base;
		platform.ram[i].end = ram[i].end;
	}
	platform.ram_count = ram_count;
	if (given != usable)
		printk(
		    "m6: DTB: %lu KiB of the RAM it lists overlap, are partial pages or lie above "
		    "%lx: not used\n",
		    (given - usable) >> 10, limit);
}

/* Free RAM: RAM less the kernel image, the DTB, and every reservation the DTB makes (its
 * /memreserve/ block and /reserved-memory children). */
static void add_free_memory(const struct dtb *dtb, paddr_t dtb_pa)
{
	struct dtb_region regions[MAX_REGIONS];
	struct mem_range used[MAX_REGIONS + 2], free[MAX_REGIONS * 2 + 4];
	unsigned reserved_count;
	int err = dtb_reserved_regions(dtb, regions, MAX_REGIONS, &reserved_count);
	if (err != DTB_OK)
		panic("DTB: reserved memory: %s", dtb_strerror(err));
	uint64_t reserved = 0;
	for (unsigned i = 0; i < reserved_count; i++) {
		used[i] = (struct mem_range){regions[i].base, regions[i].base + regions[i].size};
		printk("m6: reserved %lx-%lx\n", regions[i].base,
		       regions[i].base + regions[i].size - 1);
		reserved += regions[i].size;
	}
	used[reserved_count] =
	    (struct mem_range){kimage_to_paddr(_kernel_start), kimage_to_paddr(_kernel_end)};
	used[reserved_count + 1] = (struct mem_range){dtb_pa, dtb_pa + dtb_total_size(dtb)};

	int n = memory_map_free(ram, ram_count, used, reserved_count + 2, free, ARRAY_SIZE(free));
	if (n < 0)
		panic("memory map too fragmented");
	uint64_t total = memory_map_total(free, (unsigned)n);
	printk("m6: free RAM %lu KiB in %d range%s (%lu KiB reserved by the DTB)\n", total >> 10, n,
	       n == 1 ? "" : "s", reserved >> 10);
	for (int i = 0; i < n; i++)
		untyped_add_boot_region(free[i].base, free[i].end);
}

bool platform_overlaps_ram(paddr_t base, uint64_t size)
{
	for (unsigned i = 0; i < platform.ram_count; i++) {
		if (base < platform.ram[i].end && base + size > platform.ram[i].base)
			return true;
	}
	return false;
}

/* Everything the kernel learns from the DTB. A function of its own so that struct dtb (2 KiB
 * with its node index) is off the boot stack before the rest of the boot runs on it. */
static __attribute__((noinline)) void read_device_tree(paddr_t dtb_pa)
{
	/* head.S maps at least DTB_MAX_SIZE from the DTB's start. */
	struct dtb dtb;
	int err = dtb_open(&dtb, kmap_boot_dtb(dtb_pa), DTB_MAX_SIZE);
	if (err != DTB_OK)
		panic("device tree at %lx rejected: %s", dtb_pa, dtb_strerror(err));
	read_ram(&dtb);
	/* The DTB and the kernel were read and run from memory the DTB must call RAM: the
	 * kernel maps only RAM as normal memory, and hands the rest of it out. */
	if (!memory_map_covers(ram, ram_count, dtb_pa, dtb_pa + dtb_total_size(&dtb)))
		panic("DTB: the device tree itself (%lx, %u bytes) is not in the RAM it lists",
		      dtb_pa, dtb_total_size(&dtb));
	if (!memory_map_covers(ram, ram_count, kimage_to_paddr(_kernel_start),
	                       kimage_to_paddr(_kernel_end)))
		panic("DTB: the kernel image (%lx-%lx) is not in the RAM it lists",
		      kimage_to_paddr(_kernel_start), kimage_to_paddr(_kernel_end) - 1);
	printk("m6: device tree at %lx, %u bytes\n", dtb_pa, dtb_total_size(&dtb));
	read_platform(&dtb);
	smmu_probe(&dtb, platform_overlaps_ram);
	add_free_memory(&dtb, dtb_pa);
	smp_read_cpus(&dtb);
}

NORETURN void kernel_main(paddr_t dtb_pa)
{
	/* Buffered until the console is up (drivers/pl011.c). */
	printk("\nm6 microkernel " M6_VERSION " (aarch64)\n");
	if (dtb_pa == 0 || (dtb_pa & 7) || dtb_pa >= arch_phys_limit())
		panic("no device tree from the boot loader (x0 = %lx); boot an Image, not an ELF",
		      dtb_pa);
	read_device_tree(dtb_pa);
	/* After this the DTB is reached through the linear map, if at all: the boot map that
	 * held it is gone. */
	kmap_init();
	arch_el0_state_init();
	cpus[0].mpidr = arch_cpu_mpidr();
	gic_init();
	scheduler_init(arch_timer_frequency() / TIMESLICE_HZ);
	timers_init();
	timer_init();
	asid_init(arch_asid_init());
	smmu_init(); /* its tables from the kernel-held untyped, before the boot tables' */
#ifdef M6_CONFIG_BENCHMARK
	arch_pmu_enable_user();
	printk("m6: benchmark kernel: PMU counters readable at EL0\n");
#endif
	smp_boot_secondaries();
	boot_install_tables(&m6_boot_tables);
	smp_release_secondaries();
	scheduler_exit_to_user();
}
