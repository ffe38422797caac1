/* Host tests for the AArch64 page-table bookkeeping (descriptor encoding, walks). The
 * host build maps "physical" addresses 1:1 (M6_HOST_TEST), so tables are host memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <kernel/arch.h>
#include <m6/abi/message.h>

void arch_barrier_tables(void)
{
}

static paddr_t new_table(void)
{
	void *t = aligned_alloc(4096, 4096);
	assert_non_null(t);
	memset(t, 0, 4096);
	return (paddr_t)(uintptr_t)t;
}

static uint64_t entry(paddr_t table, unsigned level, uint64_t va)
{
	unsigned shift = 12 + 9 * (3 - level);
	return ((uint64_t *)(uintptr_t)table)[(va >> shift) & 0x1ff];
}

static void test_walk_and_map(void **state)
{
	(void)state;
	paddr_t root = new_table(), l1 = new_table(), l2 = new_table(), l3 = new_table();
	uint64_t va = 0x400000;
	assert_int_equal(arch_vspace_lookup_table(root, va, 1), 0);
	arch_vspace_install_table(root, 0, va, l1);
	arch_vspace_install_table(l1, 1, va, l2);
	arch_vspace_install_table(l2, 2, va, l3);
	assert_int_equal(arch_vspace_lookup_table(root, va, 3), l3);
	assert_int_equal(arch_vspace_lookup_table(root, va, 0), root);
	/* A different 2 MiB region has no level-3 table. */
	assert_int_equal(arch_vspace_lookup_table(root, va + 0x200000, 3), 0);

	paddr_t frame = 0x12345000;
	assert_false(arch_vspace_entry_present(l3, 3, va));
	arch_vspace_map_leaf(l3, 3, va, frame, M6_RIGHT_READ | M6_RIGHT_EXECUTE, false);
	assert_true(arch_vspace_entry_present(l3, 3, va));
	assert_int_equal(arch_vspace_entry_target(l3, 3, va), frame);
	uint64_t e = entry(l3, 3, va);
	assert_int_equal(e & 3, 3);        /* page descriptor */
	assert_true(e & (1ull << 6));      /* EL0 accessible */
	assert_true(e & (1ull << 7));      /* read-only */
	assert_false(e & (1ull << 54));    /* executable at EL0 */
	assert_true(e & (1ull << 53));     /* never executable by the kernel */
	assert_true(e & (1ull << 11));     /* non-global: ASID tagged */
	assert_int_equal((e >> 2) & 7, 2); /* normal memory */

	arch_vspace_clear_entry(l3, 3, va);
	assert_false(arch_vspace_entry_present(l3, 3, va));
	assert_int_equal(arch_vspace_entry_target(l3, 3, va), 0);
	free((void *)(uintptr_t)root);
	free((void *)(uintptr_t)l1);
	free((void *)(uintptr_t)l2);
	free((void *)(uintptr_t)l3);
}

static void test_rights_and_device(void **state)
{
	(void)state;
	paddr_t l3 = new_table(), l2 = new_table();
	arch_vspace_map_leaf(l3, 3, 0x1000, 0x40000000, M6_RIGHT_READ | M6_RIGHT_WRITE, false);
	uint64_t rw = entry(l3, 3, 0x1000);
	assert_false(rw & (1ull << 7)); /* writable */
	assert_true(rw & (1ull << 54)); /* not executable */
	arch_vspace_map_leaf(l3, 3, 0x2000, 0x09000000, M6_RIGHT_READ | M6_RIGHT_EXECUTE, true);
	uint64_t dev = entry(l3, 3, 0x2000);
	assert_int_equal((dev >> 2) & 7, 1); /* device nGnRE */
	assert_true(dev & (1ull << 54));     /* device memory is never executable */
	/* A 2 MiB block at level 2 is a block descriptor, not a table. */
	arch_vspace_map_leaf(l2, 2, 0x200000, 0x40200000, M6_RIGHT_READ, false);
	assert_int_equal(entry(l2, 2, 0x200000) & 3, 1);
	assert_int_equal(arch_vspace_entry_target(l2, 2, 0x200000), 0x40200000);
	/* A walk must not treat a block as a table. */
	paddr_t root = new_table(), l1 = new_table();
	arch_vspace_install_table(root, 0, 0, l1);
	arch_vspace_install_table(l1, 1, 0, l2);
	assert_int_equal(arch_vspace_lookup_table(root, 0x200000, 3), 0);
	free((void *)(uintptr_t)l3);
	free((void *)(uintptr_t)l2);
	free((void *)(uintptr_t)l1);
	free((void *)(uintptr_t)root);
}

static void test_asid_bits(void **state)
{
	(void)state;
	/* ID_AA64MMFR0_EL1.ASIDBits (bits 7:4): 2 is 16 bits, 0 is 8; reserved values get the
	 * 8 bits every CPU has. The other fields must not matter. */
	assert_int_equal(arch_asid_bits(0x0000000000000020ull), 16);
	assert_int_equal(arch_asid_bits(0x0000000000001125ull), 16); /* Cortex-A72 style */
	assert_int_equal(arch_asid_bits(0x0000000000001105ull), 8);
	assert_int_equal(arch_asid_bits(0xffffffffffffff0full), 8);
	assert_int_equal(arch_asid_bits(0x0000000000000010ull), 8);
	assert_int_equal(arch_asid_bits(0x00000000000000f0ull), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walk_and_map),
	    cmocka_unit_test(test_rights_and_device),
	    cmocka_unit_test(test_asid_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
