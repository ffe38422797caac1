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
	/* Below 1 GiB (device space in the kernel's map), straddling 4 GiB, wholly above. */
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
