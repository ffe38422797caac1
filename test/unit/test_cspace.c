/* Host tests for capability addressing (guarded CNode lookup) and the derivation tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <kernel/cnode.h>
#include <m6/abi/errors.h>

static struct cte *new_cnode(unsigned radix)
{
	struct cte *slots = aligned_alloc(64, sizeof(struct cte) << radix);
	assert_non_null(slots);
	memset(slots, 0, sizeof(struct cte) << radix);
	return slots;
}

static struct cap cnode_cap(struct cte *slots, unsigned radix, unsigned guard_size, uint64_t guard)
{
	return (struct cap){.type = M6_OBJ_CNODE,
	                    .rights = M6_RIGHTS_ALL,
	                    .size_bits = (uint8_t)radix,
	                    .guard_size = (uint8_t)guard_size,
	                    .object = (uintptr_t)slots,
	                    .word = guard};
}

static void test_single_level(void **state)
{
	(void)state;
	struct cte *slots = new_cnode(6);
	struct cap root = cnode_cap(slots, 6, 58, 0);
	int err = 0;
	for (uint64_t i = 0; i < 64; i++)
		assert_ptr_equal(cspace_lookup_slot(&root, i, 64, &err), &slots[i]);
	/* Any bit set in the guard fails the lookup. */
	assert_null(cspace_lookup_slot(&root, 64, 64, &err));
	assert_int_equal(err, M6_ERR_FAILED_LOOKUP);
	assert_null(cspace_lookup_slot(&root, 1ull << 63, 64, &err));
	assert_int_equal(err, M6_ERR_FAILED_LOOKUP);
	free(slots);
}

static void test_bad_depth(void **state)
{
	(void)state;
	struct cte *slots = new_cnode(4);
	struct cap root = cnode_cap(slots, 4, 60, 0);
	int err = 0;
	assert_null(cspace_lookup_slot(&root, 1, 0, &err));
	assert_int_equal(err, M6_ERR_RANGE);
	assert_null(cspace_lookup_slot(&root, 1, 65, &err));
	assert_int_equal(err, M6_ERR_RANGE);
	/* Depth shorter than guard + radix cannot be resolved. */
	assert_null(cspace_lookup_slot(&root, 1, 32, &err));
	assert_int_equal(err, M6_ERR_FAILED_LOOKUP);
	free(slots);
}

static void test_not_a_cnode(void **state)
{
	(void)state;
	struct cap endpoint = {.type = M6_OBJ_ENDPOINT};
	int err = 0;
	assert_null(cspace_lookup_slot(&endpoint, 0, 64, &err));
	assert_int_equal(err, M6_ERR_FAILED_LOOKUP);
}

static void test_two_levels_with_guards(void **state)
{
	(void)state;
	/* Root: guard 0b101 (3 bits), radix 5. Slot 9 holds a CNode with guard 0 (48 bits)
	 * and radix 8. A cptr is then 3 + 5 + 48 + 8 = 64 bits. */
	struct cte *root_slots = new_cnode(5);
	struct cte *leaf_slots = new_cnode(8);
	struct cap root = cnode_cap(root_slots, 5, 3, 0x5);
	root_slots[9].cap = cnode_cap(leaf_slots, 8, 48, 0);
	int err = 0;
	uint64_t cptr = (0x5ull << 61) | (9ull << 56) | 0xab;
	assert_ptr_equal(cspace_lookup_slot(&root, cptr, 64, &err), &leaf_slots[0xab]);
	/* Wrong root guard. */
	assert_null(cspace_lookup_slot(&root, (0x4ull << 61) | (9ull << 56) | 0xab, 64, &err));
	/* Non-zero second-level guard. */
	assert_null(cspace_lookup_slot(&root, cptr | (1ull << 20), 64, &err));
	/* Bits left over after an empty slot: no such CNode. */
	assert_null(cspace_lookup_slot(&root, (0x5ull << 61) | (10ull << 56), 64, &err));
	assert_int_equal(err, M6_ERR_FAILED_LOOKUP);
	/* Depth 8 stops at the root's slot itself. */
	assert_ptr_equal(cspace_lookup_slot(&root, (0x5ull << 5) | 9, 8, &err), &root_slots[9]);
	free(root_slots);
	free(leaf_slots);
}

static void test_cdt_children_and_remove(void **state)
{
	(void)state;
	struct cte s[5];
	memset(s, 0, sizeof(s));
	struct cap ut = {.type = M6_OBJ_UNTYPED, .size_bits = 20};
	struct cap ep = {.type = M6_OBJ_ENDPOINT};
	cdt_insert_root(&s[0], &ut);
	assert_false(cdt_has_children(&s[0]));
	cdt_insert_child(&s[0], &s[1], &ep); /* untyped -> ep */
	cdt_insert_child(&s[1], &s[2], &ep); /* ep -> copy */
	cdt_insert_child(&s[0], &s[3], &ep); /* untyped -> second object */
	assert_true(cdt_has_children(&s[0]));
	assert_true(cdt_has_children(&s[1]));
	assert_false(cdt_has_children(&s[2]));
	assert_false(cdt_has_children(&s[3]));
	/* Pre-order: 0, 3, 1, 2 */
	assert_ptr_equal(s[0].cdt_next, &s[3]);
	assert_ptr_equal(s[3].cdt_next, &s[1]);
	assert_ptr_equal(s[1].cdt_next, &s[2]);
	assert_int_equal(s[2].cdt_depth, 2);
	/* Removing the middle node hands its child to the parent: the child keeps its
	 * depth, its key takes the removed node's, so the earlier sibling 3 does not
	 * adopt it. */
	cdt_remove(&s[1]);
	assert_true(cap_is_null(&s[1].cap));
	assert_ptr_equal(s[3].cdt_next, &s[2]);
	assert_int_equal(s[2].cdt_depth, 2);
	assert_int_equal(s[2].cdt_key, 1);
	assert_false(cdt_has_children(&s[3]));
	assert_true(cdt_has_children(&s[0]));
}

static void test_cdt_sibling_goes_past_subtree(void **state)
{
	(void)state;
	struct cte s[4];
	memset(s, 0, sizeof(s));
	struct cap ut = {.type = M6_OBJ_UNTYPED, .size_bits = 20};
	struct cap ep = {.type = M6_OBJ_ENDPOINT};
	cdt_insert_root(&s[0], &ut);
	cdt_insert_child(&s[0], &s[1], &ep); /* original */
	cdt_insert_child(&s[1], &s[2], &ep); /* derived from it */
	cdt_insert_sibling(&s[1], &s[3], &ep);
	/* 0, 1, 2 (child of 1), 3 (sibling of 1) */
	assert_ptr_equal(s[2].cdt_next, &s[3]);
	assert_int_equal(s[3].cdt_depth, s[1].cdt_depth);
	assert_ptr_equal(s[3].cdt_prev, &s[2]);
	assert_null(s[3].cdt_next);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_level),
	    cmocka_unit_test(test_bad_depth),
	    cmocka_unit_test(test_not_a_cnode),
	    cmocka_unit_test(test_two_levels_with_guards),
	    cmocka_unit_test(test_cdt_children_and_remove),
	    cmocka_unit_test(test_cdt_sibling_goes_past_subtree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
