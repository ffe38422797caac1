/* Kernel start: learn the machine from the DTB, hand free RAM to untyped memory, install
 * the system the boot tables describe, and run it. */
#include <kernel/arch.h>
#include <kernel/boot.h>
#include <kernel/dtb.h>
#include <kernel/memory_map.h>
#include <kernel/platform.h>
#include <kernel/printk.h>
#include <kernel/scheduler.h>
#include <kernel/timer.h>
#include <kernel/untyped.h>

#define M6_VERSION   "0.1.0"
#define DTB_MAX_SIZE (2u << 20)
#define TIMESLICE_HZ 100
#define MAX_REGIONS  16

extern char _kernel_start[], _kernel_end[];
void gic_init(void);
void timer_init(void);

static paddr_t reg_base(const struct dtb *dtb, const char *compatible, unsigned index)
{
	int node = dtb_find_compatible(dtb, -1, compatible);
	struct dtb_region r;
	if (node < 0 || dtb_get_reg(dtb, node, index, &r) != DTB_OK)
		return 0;
	return r.base;
}

static void read_platform(const struct dtb *dtb)
{
	paddr_t uart = reg_base(dtb, "arm,pl011", 0);
	if (uart)
		platform.uart_base = uart;
	platform.gicd_base = reg_base(dtb, "arm,gic-v3", 0);
	platform.gicr_base = reg_base(dtb, "arm,gic-v3", 1);
	if (!platform.gicd_base || !platform.gicr_base)
		panic("DTB: no GICv3 (compatible \"arm,gic-v3\") found");

	/* Timer interrupts: secure, non-secure physical, virtual, hypervisor; each three
	 * cells (type, number, flags). We use the EL1 virtual timer (arch/aarch64/timer.c
	 * says why), a PPI: the number in cell 7. */
	int timer = dtb_find_compatible(dtb, -1, "arm,armv8-timer");
	uint32_t ppi;
	if (timer < 0 || dtb_get_cell(dtb, timer, "interrupts", 7, &ppi) != DTB_OK)
		panic("DTB: no usable arm,armv8-timer node");
	if (ppi >= 16) /* a PPI number: interrupt IDs 16..31 */
		panic("DTB: arm,armv8-timer: interrupt %u is not a PPI", ppi);
	platform.timer_irq = 16 + ppi;

	int psci = dtb_find_compatible(dtb, -1, "arm,psci-1.0");
	if (psci < 0)
		psci = dtb_find_compatible(dtb, -1, "arm,psci-0.2");
	const char *method = NULL;
	if (psci < 0 || dtb_get_string(dtb, psci, "method", &method) != DTB_OK)
		panic("DTB: no PSCI node with a method");
	platform.psci_smc = method[0] == 's';
}

static void read_memory(const struct dtb *dtb, paddr_t dtb_pa)
{
	struct dtb_region regions[MAX_REGIONS];
	struct mem_range ram[MAX_REGIONS], used[MAX_REGIONS + 2], free[MAX_REGIONS * 2];
	unsigned ram_count, reserved_count;

	int err = dtb_memory_regions(dtb, regions, MAX_REGIONS, &ram_count);
	if (err != DTB_OK || ram_count == 0)
		panic("DTB: no memory regions (%s)", dtb_strerror(err));
	for (unsigned i = 0; i < ram_count; i++)
		ram[i] = (struct mem_range){regions[i].base, regions[i].base + regions[i].size};
	/* The DTB is the loader's word, not ours: ranges may overlap (the same memory must
	 * not become untyped twice) or lie where the kernel's linear map does not reach. */
	uint64_t given = 0, usable = 0;
	for (unsigned i = 0; i < ram_count; i++)
		given += regions[i].size;
	ram_count = memory_map_usable_ram(ram, ram_count, arch_ram_window());
	if (ram_count == 0)
		panic("DTB: no memory where the kernel can use it (%lx-%lx)",
		      arch_ram_window().base, arch_ram_window().end - 1);
	if (ram_count > PLATFORM_MAX_RAM_REGIONS)
		panic("DTB: %u separate RAM regions, at most %u supported", ram_count,
		      PLATFORM_MAX_RAM_REGIONS);
	for (unsigned i = 0; i < ram_count; i++) {
		printk("m6: RAM %lx-%lx\n", ram[i].base, ram[i].end - 1);
		platform.ram[i].base = ram[i].base;
		platform.ram[i].end = ram[i].end;
		usable += ram[i].end - ram[i].base;
	}
	platform.ram_count = ram_count;
	if (given != usable)
		printk("m6: DTB: %lu KiB of the RAM it lists overlap or lie outside %lx-%lx: not "
		       "used\n",
		       (given - usable) >> 10, arch_ram_window().base, arch_ram_window().end - 1);
	err = dtb_reserved_regions(dtb, regions, MAX_REGIONS, &reserved_count);
	if (err != DTB_OK)
		panic("DTB: reserved memory: %s", dtb_strerror(err));
	for (unsigned i = 0; i < reserved_count; i++)
		used[i] = (struct mem_range){regions[i].base, regions[i].base + regions[i].size};
	used[reserved_count] =
	    (struct mem_range){kernel_to_paddr(_kernel_start), kernel_to_paddr(_kernel_end)};
	used[reserved_count + 1] = (struct mem_range){dtb_pa, dtb_pa + dtb_total_size(dtb)};

	int n = memory_map_free(ram, ram_count, used, reserved_count + 2, free, ARRAY_SIZE(free));
	if (n < 0)
		panic("memory map too fragmented");
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

NORETURN void kernel_main(paddr_t dtb_pa)
{
	printk("\nm6 microkernel " M6_VERSION " (aarch64)\n");
	/* The boot map covers the first 4 GiB of physical space. */
	if (dtb_pa == 0 || dtb_pa >= BIT(32))
		panic("no device tree from the boot loader (x0 = %lx); boot an Image, not an ELF",
		      dtb_pa);
	struct dtb dtb;
	int err = dtb_open(&dtb, paddr_to_kernel(dtb_pa), DTB_MAX_SIZE);
	if (err != DTB_OK)
		panic("device tree at %lx rejected: %s", dtb_pa, dtb_strerror(err));
	read_platform(&dtb);
	read_memory(&dtb, dtb_pa);
	gic_init();
	scheduler_init(arch_timer_frequency() / TIMESLICE_HZ);
	timers_init();
	timer_init();
#ifdef M6_CONFIG_BENCHMARK
	arch_pmu_enable_user();
	printk("m6: benchmark kernel: PMU counters readable at EL0\n");
#endif
	boot_install_tables(&m6_boot_tables);
	scheduler_exit_to_user();
}
