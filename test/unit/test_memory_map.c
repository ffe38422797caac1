/* Host tests for the free-memory computation the kernel runs at boot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <kernel/memory_map.h>

#define MiB (1024ull * 1024)

static void test_single_ram_no_used(void **state)
{
	(void)state;
	struct mem_range ram[] = {{0x40000000, 0x80000000}};
	struct mem_range out[4];
	int n = memory_map_free(ram, 1, NULL, 0, out, 4);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].base, 0x40000000);
	assert_int_equal(out[0].end, 0x80000000);
}

static void test_kernel_and_dtb_carved_out(void **state)
{
	(void)state;
	struct mem_range ram[] = {{0x40000000, 0x80000000}};
	/* Unsorted on purpose, and the DTB not page aligned. */
	struct mem_range used[] = {{0x48000000, 0x48000000 + 0x100123}, {0x40080000, 0x40200000}};
	struct mem_range out[4];
	int n = memory_map_free(ram, 1, used, 2, out, 4);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].base, 0x40000000);
	assert_int_equal(out[0].end, 0x40080000);
	assert_int_equal(out[1].base, 0x40200000);
	assert_int_equal(out[1].end, 0x48000000);
	/* The partly used page after the DTB is not handed out. */
	assert_int_equal(out[2].base, 0x48101000);
	assert_int_equal(out[2].end, 0x80000000);
}

static void test_overlapping_and_outside_used(void **state)
{
	(void)state;
	struct mem_range ram[] = {{0x1000, 0x10000}, {0x100000, 0x200000}};
	struct mem_range used[] = {{0x0, 0x2000},         /* straddles the start */
	                           {0x3000, 0x5000},      /* inside */
	                           {0x4000, 0x6000},      /* overlaps the previous */
	                           {0xf000, 0x180000},    /* spans the gap between regions */
	                           {0x300000, 0x400000}}; /* outside all RAM */
	struct mem_range out[8];
	int n = memory_map_free(ram, 2, used, 5, out, 8);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].base, 0x2000);
	assert_int_equal(out[0].end, 0x3000);
	assert_int_equal(out[1].base, 0x6000);
	assert_int_equal(out[1].end, 0xf000);
	assert_int_equal(out[2].base, 0x180000);
	assert_int_equal(out[2].end, 0x200000);
}

static void test_everything_used(void **state)
{
	(void)state;
	struct mem_range ram[] = {{0x40000000, 0x40100000}};
	struct mem_range used[] = {{0x3f000000, 0x41000000}};
	struct mem_range out[2];
	assert_int_equal(memory_map_free(ram, 1, used, 1, out, 2), 0);
}

static void test_output_too_small(void **state)
{
	(void)state;
	struct mem_range ram[] = {{0, 16 * MiB}};
	struct mem_range used[] = {{1 * MiB, 2 * MiB}, {3 * MiB, 4 * MiB}};
	struct mem_range out[2];
	assert_int_equal(memory_map_free(ram, 1, used, 2, out, 2), -1);
}

static void test_sub_page_ram_dropped(void **state)
{
	(void)state;
	struct mem_range ram[] = {{0x1800, 0x2800}};
	struct mem_range out[2];
	assert_int_equal(memory_map_free(ram, 1, NULL, 0, out, 2), 0);
}

static const struct mem_range window = {1ull << 30, 4ull << 30};

static void test_usable_ram_merges_overlaps(void **state)
{
	(void)state;
	/* The same 1 GiB twice, plus a range inside it and one touching its end: one range,
	 * so no byte becomes untyped twice. */
	struct mem_range ram[] = {{0x40000000, 0x80000000},
	                          {0x48000000, 0x49000000},
	                          {0x40000000, 0x80000000},
	                          {0x80000000, 0x90000000}};
	assert_int_equal(memory_map_usable_ram(ram, 4, window), 1);
	assert_int_equal(ram[0].base, 0x40000000);
	assert_int_equal(ram[0].end, 0x90000000);
}

static void test_usable_ram_clips_to_window(void **state)
{
	(void)state;
	/* Any window: below it, straddling its end, wholly above. */
	struct mem_range ram[] = {{0x0e000000, 0x0f000000},
	                          {0xf0000000, 0x110000000},
	                          {0x200000000, 0x300000000},
	                          {0x3f000000, 0x41000000}};
	assert_int_equal(memory_map_usable_ram(ram, 4, window), 2);
	assert_int_equal(ram[0].base, 0x40000000);
	assert_int_equal(ram[0].end, 0x41000000);
	assert_int_equal(ram[1].base, 0xf0000000);
	assert_int_equal(ram[1].end, 0x100000000);
}

static void test_usable_ram_drops_empty_and_wrapping(void **state)
{
	(void)state;
	/* base + size wrapped past 2^64 (end below base), and an empty range */
	struct mem_range ram[] = {
	    {0x50000000, 0x1000}, {0x60000000, 0x60000000}, {0x70000000, 0x70001000}};
	assert_int_equal(memory_map_usable_ram(ram, 3, window), 1);
	assert_int_equal(ram[0].base, 0x70000000);
	assert_int_equal(ram[0].end, 0x70001000);
}

static void test_used_range_ending_at_top_of_memory(void **state)
{
	(void)state;
	/* A reservation up to 2^64 has end 0 once base + size wraps: it covers the top. */
	struct mem_range ram[] = {{0x40000000, 0x80000000}};
	struct mem_range used[] = {{0x60000000, 0}};
	struct mem_range out[2];
	assert_int_equal(memory_map_free(ram, 1, used, 1, out, 2), 1);
	assert_int_equal(out[0].base, 0x40000000);
	assert_int_equal(out[0].end, 0x60000000);
}

/* What the kernel passes: everything below the CPU's (here 44-bit) physical range. */
static const struct mem_range whole = {0, 1ull << 44};

static void test_ram_at_base_zero(void **state)
{
	(void)state;
	/* RK3588-like: RAM from 0, a bank above 4 GiB; the kernel image at 0x80000 (text
	 * offset above 0) and the DTB in the first bank. */
	struct mem_range ram[] = {{0x0, 0xf0000000}, {0x100000000, 0x400000000}};
	assert_int_equal(memory_map_usable_ram(ram, 2, whole), 2);
	assert_int_equal(ram[0].base, 0);
	assert_int_equal(ram[0].end, 0xf0000000);
	struct mem_range used[] = {{0x80000, 0x200000}, {0x8000000, 0x8100000}};
	struct mem_range out[4];
	int n = memory_map_free(ram, 2, used, 2, out, 4);
	assert_int_equal(n, 4);
	assert_int_equal(out[0].base, 0);
	assert_int_equal(out[0].end, 0x80000);
	assert_int_equal(out[1].base, 0x200000);
	assert_int_equal(out[2].base, 0x8100000);
	assert_int_equal(out[3].base, 0x100000000);
	assert_int_equal(out[3].end, 0x400000000);
	assert_int_equal(memory_map_total(out, 4), 0xf0000000 - 0x180000 - 0x100000 + 0x300000000);
}

static void test_several_banks_unsorted_with_reservations(void **state)
{
	(void)state;
	/* Versal-like banks listed high first, a /memreserve/ entry in one, a
	 * /reserved-memory region straddling the end of the other, one in no bank. */
	struct mem_range ram[] = {{0x800000000, 0x880000000}, {0x0, 0x80000000}};
	assert_int_equal(memory_map_usable_ram(ram, 2, whole), 2);
	assert_int_equal(ram[0].base, 0);
	assert_int_equal(ram[1].base, 0x800000000);
	struct mem_range used[] = {
	    {0x800100000, 0x800300000}, {0x7ff00000, 0x80100000}, {0x90000000, 0xa0000000}};
	struct mem_range out[6];
	int n = memory_map_free(ram, 2, used, 3, out, 6);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].base, 0);
	assert_int_equal(out[0].end, 0x7ff00000);
	assert_int_equal(out[1].base, 0x800000000);
	assert_int_equal(out[1].end, 0x800100000);
	assert_int_equal(out[2].base, 0x800300000);
	assert_int_equal(out[2].end, 0x880000000);
	/* No free byte is reserved. */
	for (int i = 0; i < n; i++)
		assert_false(memory_map_overlaps(used, 3, out[i].base, out[i].end));
}

static void test_usable_ram_whole_pages_and_limit(void **state)
{
	(void)state;
	/* Partial pages at both ends go; RAM reaching past the physical limit is cut there,
	 * RAM wholly above it dropped. */
	struct mem_range ram[] = {{0x40000800, 0x40010800},
	                          {0xfffff000000, 0x100001000000},
	                          {0x200000000000, 0x200040000000}};
	assert_int_equal(memory_map_usable_ram(ram, 3, whole), 2);
	assert_int_equal(ram[0].base, 0x40001000);
	assert_int_equal(ram[0].end, 0x40010000);
	assert_int_equal(ram[1].base, 0xfffff000000);
	assert_int_equal(ram[1].end, 1ull << 44);
}

static void test_overlaps_and_covers(void **state)
{
	(void)state;
	struct mem_range ram[] = {{0x0, 0x80000000}, {0x800000000, 0x880000000}};
	/* Devices: below, between and above the banks are fine; touching a bank is not. */
	assert_false(memory_map_overlaps(ram, 2, 0xff000000, 0xff001000));
	assert_false(memory_map_overlaps(ram, 2, 0x880000000, 0x880001000));
	assert_true(memory_map_overlaps(ram, 2, 0x7ffff000, 0x80001000));
	assert_true(memory_map_overlaps(ram, 2, 0x1000, 0x2000));
	/* A range that wraps past 2^64 reaches everything above its base. */
	assert_true(memory_map_overlaps(ram, 2, 0x870000000, 0x10));
	/* The DTB and the kernel image must be wholly inside one bank. */
	assert_true(memory_map_covers(ram, 2, 0x8000000, 0x8008000));
	assert_false(memory_map_covers(ram, 2, 0x7fff0000, 0x80010000));
	assert_false(memory_map_covers(ram, 2, 0x90000000, 0x90001000));
	assert_false(memory_map_covers(ram, 2, 0x1000, 0x1000));
	assert_false(memory_map_covers(ram, 2, 0x2000, 0x1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_ram_no_used),
	    cmocka_unit_test(test_kernel_and_dtb_carved_out),
	    cmocka_unit_test(test_overlapping_and_outside_used),
	    cmocka_unit_test(test_everything_used),
	    cmocka_unit_test(test_output_too_small),
	    cmocka_unit_test(test_sub_page_ram_dropped),
	    cmocka_unit_test(test_usable_ram_merges_overlaps),
	    cmocka_unit_test(test_usable_ram_clips_to_window),
	    cmocka_unit_test(test_usable_ram_drops_empty_and_wrapping),
	    cmocka_unit_test(test_used_range_ending_at_top_of_memory),
	    cmocka_unit_test(test_ram_at_base_zero),
	    cmocka_unit_test(test_several_banks_unsorted_with_reservations),
	    cmocka_unit_test(test_usable_ram_whole_pages_and_limit),
	    cmocka_unit_test(test_overlaps_and_covers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
