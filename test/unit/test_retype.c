/* Host tests for retype arithmetic: object sizes and placement in an untyped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <kernel/retype.h>
#include <kernel/untyped.h>
#include <m6/abi/objects.h>

static void test_object_sizes(void **state)
{
	(void)state;
	assert_int_equal(object_size_bits(M6_OBJ_TCB, 0), 11);
	assert_int_equal(object_size_bits(M6_OBJ_ENDPOINT, 0), 5);
	assert_int_equal(object_size_bits(M6_OBJ_NOTIFICATION, 0), 5);
	assert_int_equal(object_size_bits(M6_OBJ_TIMER, 0), 7);
	assert_int_equal(object_size_bits(M6_OBJ_CNODE, 8), 14); /* 256 slots of 64 B */
	assert_int_equal(object_size_bits(M6_OBJ_VSPACE, 0), 12);
	assert_int_equal(object_size_bits(M6_OBJ_PAGE_TABLE, 0), 12);
	assert_int_equal(object_size_bits(M6_OBJ_FRAME, 12), 12);
	assert_int_equal(object_size_bits(M6_OBJ_FRAME, 21), 21);
	assert_int_equal(object_size_bits(M6_OBJ_UNTYPED, 20), 20);
	/* ASIDPool: size_bits is its number of ASIDs; a header of 16 B and 8 B per ASID */
	assert_int_equal(object_size_bits(M6_OBJ_ASID_POOL, 1), 5);
	assert_int_equal(object_size_bits(M6_OBJ_ASID_POOL, 2), 5);
	assert_int_equal(object_size_bits(M6_OBJ_ASID_POOL, 3), 6);
	assert_int_equal(object_size_bits(M6_OBJ_ASID_POOL, 16), 8);
	assert_int_equal(object_size_bits(M6_OBJ_ASID_POOL, 255), 12);
	assert_int_equal(object_size_bits(M6_OBJ_ASID_POOL, 65535), 20);
	/* IOSpace: its root page (table, CD, state) and the three tables to the doorbell. */
	assert_int_equal(object_size_bits(M6_OBJ_IOSPACE, 0), 14);
	assert_int_equal(object_size_bits(M6_OBJ_IO_PAGE_TABLE, 0), 12);
	/* MSI device: size_bits is its event ID bits; 32 B per event (ITT half, record half),
	 * at least 512 B */
	assert_int_equal(object_size_bits(M6_OBJ_MSI_DEVICE, 1), 9);
	assert_int_equal(object_size_bits(M6_OBJ_MSI_DEVICE, 4), 9);
	assert_int_equal(object_size_bits(M6_OBJ_MSI_DEVICE, 5), 10);
	assert_int_equal(object_size_bits(M6_OBJ_MSI_DEVICE, 11), 16);
}

static void test_bad_object_parameters(void **state)
{
	(void)state;
	assert_int_equal(object_size_bits(M6_OBJ_FRAME, 13), 0);
	assert_int_equal(object_size_bits(M6_OBJ_CNODE, 0), 0);
	assert_int_equal(object_size_bits(M6_OBJ_CNODE, 25), 0);
	assert_int_equal(object_size_bits(M6_OBJ_UNTYPED, 3), 0);
	assert_int_equal(object_size_bits(M6_OBJ_UNTYPED, 48), 0);
	assert_int_equal(object_size_bits(M6_OBJ_NULL, 0), 0);
	assert_int_equal(object_size_bits(M6_OBJ_DEBUG_CONSOLE, 0), 0);
	assert_int_equal(object_size_bits(M6_OBJ_IRQ_HANDLER, 0), 0);
	assert_int_equal(object_size_bits(M6_OBJ_ASID_CONTROL, 0), 0);
	assert_int_equal(object_size_bits(M6_OBJ_IOSPACE_CONTROL, 0), 0); /* a singleton */
	assert_int_equal(object_size_bits(M6_OBJ_ASID_POOL, 0), 0);
	assert_int_equal(object_size_bits(M6_OBJ_ASID_POOL, 65536), 0);
	assert_int_equal(object_size_bits(M6_OBJ_MSI_DEVICE, 0), 0);
	assert_int_equal(object_size_bits(M6_OBJ_MSI_DEVICE, 12), 0);
	assert_int_equal(object_size_bits(999, 0), 0);
}

static void test_fit_aligns_to_object_size(void **state)
{
	(void)state;
	uint64_t offset = 0;
	/* 32-byte endpoint used, then a 2 KiB TCB goes to the next 2 KiB boundary. */
	assert_true(retype_fit(32, 16, 11, 1, &offset));
	assert_int_equal(offset, 2048);
	assert_true(retype_fit(0, 16, 12, 16, &offset)); /* exactly full */
	assert_int_equal(offset, 0);
	assert_false(retype_fit(0, 16, 12, 17, &offset)); /* one too many */
	assert_false(retype_fit(1, 16, 12, 16, &offset)); /* alignment costs a page */
	assert_true(retype_fit(1, 16, 12, 15, &offset));
	assert_int_equal(offset, 4096);
}

static void test_fit_limits(void **state)
{
	(void)state;
	uint64_t offset = 0;
	assert_false(retype_fit(0, 12, 13, 1, &offset));               /* bigger than the untyped */
	assert_false(retype_fit(4096, 12, 12, 1, &offset));            /* full */
	assert_false(retype_fit(0, 47, 21, UINT32_MAX, &offset));      /* huge count */
	assert_false(retype_fit(UINT64_MAX - 10, 47, 12, 1, &offset)); /* wraps */
	assert_true(retype_fit(0, 47, 47, 1, &offset));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_object_sizes),
	    cmocka_unit_test(test_bad_object_parameters),
	    cmocka_unit_test(test_fit_aligns_to_object_size),
	    cmocka_unit_test(test_fit_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
