/* SMMUv3 event records and queue pointers (kernel/arch/aarch64/smmu_event.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <kernel/smmu_event.h>
#include <m6/abi/objects.h>

static void test_decode_translation_write(void **state)
{
	(void)state;
	/* F_TRANSLATION on stream 0x0008, a write (RnW 0) at 0x4010d004. */
	const uint64_t rec[4] = {0x0000000800000010ull, 0, 0x4010d004ull, 0};
	struct smmu_event ev;
	smmu_event_decode(rec, &ev);
	assert_int_equal(ev.type, M6_IO_FAULT_TRANSLATION);
	assert_int_equal(ev.sid, 8);
	assert_true(ev.has_addr);
	assert_int_equal(ev.iova, 0x4010d004ull);
	assert_int_equal(ev.flags, M6_IO_FAULT_WRITE);
}

static void test_decode_read_and_no_address(void **state)
{
	(void)state;
	const uint64_t read[4] = {0xffff000000000013ull, 1ull << 35, 0x1000, 0};
	struct smmu_event ev;
	smmu_event_decode(read, &ev);
	assert_int_equal(ev.type, M6_IO_FAULT_PERMISSION);
	assert_int_equal(ev.sid, 0xffff0000u);
	assert_int_equal(ev.flags, 0);
	assert_int_equal(ev.iova, 0x1000);
	/* C_BAD_STE carries no address: dword 2 is not believed, nor RnW. */
	const uint64_t bad_ste[4] = {0x0000010800000004ull, 0, 0xdeadbeef000ull, 0};
	smmu_event_decode(bad_ste, &ev);
	assert_int_equal(ev.type, M6_IO_FAULT_NOT_BOUND);
	assert_int_equal(ev.sid, 0x108);
	assert_false(ev.has_addr);
	assert_int_equal(ev.iova, 0);
	assert_int_equal(ev.flags, 0);
	/* Types on either side of the address-carrying range. */
	const uint64_t t0f[4] = {0x0f, 0, 0x5000, 0}, t14[4] = {0x14, 0, 0x5000, 0};
	smmu_event_decode(t0f, &ev);
	assert_false(ev.has_addr);
	smmu_event_decode(t14, &ev);
	assert_false(ev.has_addr);
}

static struct smmu_event fault(uint32_t sid, uint64_t iova)
{
	return (struct smmu_event){.type = M6_IO_FAULT_TRANSLATION,
	                           .sid = sid,
	                           .flags = M6_IO_FAULT_WRITE,
	                           .iova = iova,
	                           .has_addr = true};
}

static void test_runs(void **state)
{
	(void)state;
	struct smmu_event_run run = {0}, ended;
	struct smmu_event a = fault(8, 0x4010d000);
	assert_true(smmu_event_run_add(&run, &a, &ended));
	assert_false(ended.valid); /* nothing before */
	for (uint64_t off = 4; off < 4096; off += 4) {
		struct smmu_event e = fault(8, 0x4010d000 + off);
		assert_false(smmu_event_run_add(&run, &e, &ended));
	}
	assert_int_equal(smmu_event_run_flush(&run), 1023);
	assert_int_equal(smmu_event_run_flush(&run), 0);
	/* Still the same run after a flush (the next interrupt's events of that page). */
	struct smmu_event again = fault(8, 0x4010d800);
	assert_false(smmu_event_run_add(&run, &again, &ended));
	/* The next page, another stream, a read: each a new run, ending the last. */
	struct smmu_event next = fault(8, 0x4010e000);
	assert_true(smmu_event_run_add(&run, &next, &ended));
	assert_true(ended.valid);
	assert_int_equal(ended.more, 1);
	assert_int_equal(ended.page, 0x4010d000);
	struct smmu_event other = fault(0x10, 0x4010e000);
	assert_true(smmu_event_run_add(&run, &other, &ended));
	assert_int_equal(ended.more, 0);
	struct smmu_event rd = fault(0x10, 0x4010e000);
	rd.flags = 0;
	assert_true(smmu_event_run_add(&run, &rd, &ended));
}

static void test_queue_pointers(void **state)
{
	(void)state;
	/* 7 bits: 128 entries, wrap bit 7. */
	assert_int_equal(smmu_queue_count(0, 0, 7), 0);
	assert_int_equal(smmu_queue_count(5, 2, 7), 3);
	assert_int_equal(smmu_queue_count(0x80 | 2, 0x7e, 7), 4); /* across the wrap */
	assert_int_equal(smmu_queue_count(0x80, 0, 7), 128);      /* full */
	assert_int_equal(smmu_queue_count(2, 0x80 | 0x7e, 7), 4); /* wrap bit back to 0 */
	assert_int_equal(smmu_queue_count(0x7f, 0x80, 7), 128);   /* PROD behind CONS: bounded */
	assert_int_equal(smmu_queue_count(0x80000000u | 5, 2, 7), 3); /* OVFLG is not an index */
	assert_int_equal(smmu_queue_count(0xffffffffu, 0, 7), 128);
	assert_int_equal(smmu_queue_advance(0x7e, 4, 7), 0x82);
	assert_int_equal(smmu_queue_advance(0x80 | 0x7e, 4, 7), 2);
	assert_int_equal(smmu_queue_advance(0x80000000u | 3, 2, 7), 0x80000000u | 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_translation_write),
	    cmocka_unit_test(test_decode_read_and_no_address),
	    cmocka_unit_test(test_runs),
	    cmocka_unit_test(test_queue_pointers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
