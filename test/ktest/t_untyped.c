/* Untyped: retype into every object type, argument checks, watermark and alignment,
 * exhaustion, and reuse of memory only after revoke. */
#include "ktest.h"

unsigned kt_count_frames(m6_cptr_t ut, m6_cptr_t cnode, unsigned max)
{
	unsigned n = 0;
	while (n < max && m6_untyped_retype(ut, M6_OBJ_FRAME, 12, cnode, n, 1) == M6_OK)
		n++;
	m6_cnode_revoke(M6_CAP_SELF_CNODE, ut, 64);
	return n;
}

/* A child untyped of 2^bits bytes from U_TEST. */
static m6_cptr_t child_untyped(unsigned bits)
{
	return kt_new(M6_OBJ_UNTYPED, bits);
}

TEST(retype_endpoint)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	/* An endpoint without a waiting receiver refuses a non-blocking send. */
	CHECK_ERR(kt_nbsend(ep), M6_ERR_WOULD_BLOCK);
}

TEST(retype_notification)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHTS_ALL, 0x100);
	REQUIRE(b);
	CHECK_OK(m6_signal(b));
	CHECK_EQ(m6_poll(n), 0x100);
}

TEST(retype_tcb)
{
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0);
	REQUIRE(t);
	CHECK_OK(m6_tcb_suspend(t));
}

TEST(retype_cnode)
{
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 4);
	REQUIRE(c);
	CHECK_OK(m6_cnode_copy(c, 15, 64, M6_CAP_SELF_CNODE, CAP_DEBUG_CONSOLE, 64, M6_RIGHTS_ALL));
	CHECK_OK(m6_cnode_delete(c, 15, 64));
}

TEST(retype_untyped)
{
	m6_cptr_t u = child_untyped(16);
	REQUIRE(u);
	m6_cptr_t s = kt_slot();
	CHECK_OK(m6_untyped_retype(u, M6_OBJ_ENDPOINT, 0, M6_CAP_SELF_CNODE, s, 1));
	CHECK_ERR(kt_nbsend(s), M6_ERR_WOULD_BLOCK);
}

TEST(retype_vspace)
{
	m6_cptr_t vs = kt_new_vspace();
	m6_cptr_t pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	REQUIRE(vs && pt);
	CHECK_OK(m6_page_table_map(pt, vs, 0, 1));
}

TEST(retype_page_table)
{
	m6_cptr_t vs = kt_new_vspace();
	m6_cptr_t pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	REQUIRE(vs && pt);
	CHECK_OK(m6_page_table_map(pt, vs, 0x8000000000ull, 1));
	CHECK_OK(m6_page_table_unmap(pt));
}

TEST(retype_frame_4k)
{
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(f);
	uint64_t pa = 1;
	CHECK_OK(m6_frame_get_address(f, &pa));
	CHECK_EQ(pa & 0xfff, 0);
	CHECK(pa != 0);
}

TEST(retype_frame_2m)
{
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 21);
	REQUIRE(f);
	uint64_t pa = 1;
	CHECK_OK(m6_frame_get_address(f, &pa));
	CHECK_EQ(pa & 0x1fffff, 0);
}

TEST(retype_timer)
{
	m6_cptr_t t = kt_new(M6_OBJ_TIMER, 0);
	REQUIRE(t);
	CHECK_OK(m6_timer_cancel(t));
}

TEST(retype_many_per_call)
{
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 6);
	REQUIRE(c);
	REQUIRE_OK(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_ENDPOINT, 0, c, 0, 64));
	/* Every slot got an endpoint: each can be copied out and used. */
	unsigned good = 0;
	for (unsigned i = 0; i < 64; i++) {
		m6_cptr_t s = KT_ROOT_SLOTS - 2;
		m6_cnode_delete(M6_CAP_SELF_CNODE, s, 64);
		if (m6_cnode_copy(M6_CAP_SELF_CNODE, s, 64, c, i, 64, M6_RIGHTS_ALL) == M6_OK &&
		    kt_nbsend(s) == M6_ERR_WOULD_BLOCK)
			good++;
		m6_cnode_delete(M6_CAP_SELF_CNODE, s, 64);
	}
	CHECK_EQ(good, 64);
}

TEST(retype_count_256)
{
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 8);
	REQUIRE(c);
	CHECK_OK(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_NOTIFICATION, 0, c, 0, 256));
}

TEST(retype_count_257_range)
{
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 9);
	REQUIRE(c);
	CHECK_ERR(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_NOTIFICATION, 0, c, 0, 257),
	          M6_ERR_RANGE);
}

TEST(retype_count_zero_range)
{
	m6_cptr_t s = kt_slot();
	CHECK_ERR(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_ENDPOINT, 0, M6_CAP_SELF_CNODE, s, 0),
	          M6_ERR_RANGE);
}

TEST(retype_bad_type)
{
	static const uint64_t bad[] = {
	    M6_OBJ_NULL,        M6_OBJ_DEBUG_CONSOLE, M6_OBJ_POWER, M6_OBJ_IRQ_CONTROL,
	    M6_OBJ_IRQ_HANDLER, M6_OBJ_COUNT,         99,           ~0ull};
	m6_cptr_t s = kt_slot();
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_ERR(m6_untyped_retype(KT_SLOT_UTEST, bad[i], 12, M6_CAP_SELF_CNODE, s, 1),
		          M6_ERR_INVALID_ARGUMENT);
	CHECK(!kt_occupied(s));
}

TEST(retype_bad_frame_size)
{
	m6_cptr_t s = kt_slot();
	CHECK_ERR(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_FRAME, 13, M6_CAP_SELF_CNODE, s, 1),
	          M6_ERR_INVALID_ARGUMENT);
	CHECK_ERR(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_FRAME, 0, M6_CAP_SELF_CNODE, s, 1),
	          M6_ERR_INVALID_ARGUMENT);
	CHECK(!kt_occupied(s));
}

TEST(retype_bad_cnode_radix)
{
	m6_cptr_t s = kt_slot();
	CHECK_FAILS(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_CNODE, 0, M6_CAP_SELF_CNODE, s, 1));
	CHECK_FAILS(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_CNODE, 64, M6_CAP_SELF_CNODE, s, 1));
	CHECK(!kt_occupied(s));
}

TEST(retype_untyped_too_big)
{
	m6_cptr_t u = child_untyped(16);
	REQUIRE(u);
	m6_cptr_t s = kt_slot();
	CHECK_ERR(m6_untyped_retype(u, M6_OBJ_UNTYPED, 17, M6_CAP_SELF_CNODE, s, 1),
	          M6_ERR_NOT_ENOUGH_MEMORY);
	CHECK_ERR(m6_untyped_retype(u, M6_OBJ_FRAME, 21, M6_CAP_SELF_CNODE, s, 1),
	          M6_ERR_NOT_ENOUGH_MEMORY);
}

TEST(retype_dest_occupied)
{
	m6_cptr_t u = child_untyped(14);
	REQUIRE(u);
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	CHECK_ERR(m6_untyped_retype(u, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, ep, 1),
	          M6_ERR_DELETE_FIRST);
	/* decode before perform: the failed call used no memory */
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 4);
	REQUIRE(c);
	CHECK_EQ(kt_count_frames(u, c, 16), 4);
}

TEST(retype_dest_partly_occupied)
{
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 4);
	REQUIRE(c);
	REQUIRE_OK(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_ENDPOINT, 0, c, 5, 1));
	/* slots 3..6: slot 5 is taken, so nothing may be created at all */
	CHECK_ERR(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_ENDPOINT, 0, c, 3, 4),
	          M6_ERR_DELETE_FIRST);
	m6_cptr_t s = kt_slot();
	CHECK_ERR(m6_cnode_copy(M6_CAP_SELF_CNODE, s, 64, c, 3, 64, M6_RIGHTS_ALL),
	          M6_ERR_INVALID_CAP);
}

TEST(retype_dest_range)
{
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 4);
	REQUIRE(c);
	CHECK_ERR(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_ENDPOINT, 0, c, 14, 3), M6_ERR_RANGE);
	CHECK_ERR(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_ENDPOINT, 0, c, 16, 1), M6_ERR_RANGE);
	CHECK_OK(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_ENDPOINT, 0, c, 14, 2));
}

TEST(retype_dest_not_cnode)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	CHECK_ERR(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_ENDPOINT, 0, ep, 0, 1),
	          M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_ENDPOINT, 0, 0, 0, 1),
	          M6_ERR_INVALID_CAP);
}

TEST(retype_on_wrong_cap_type)
{
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0);
	REQUIRE(t);
	m6_cptr_t s = kt_slot();
	CHECK_ERR(m6_untyped_retype(t, M6_OBJ_ENDPOINT, 0, M6_CAP_SELF_CNODE, s, 1),
	          M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(m6_untyped_retype(M6_CAP_SELF_CNODE, M6_OBJ_ENDPOINT, 0, M6_CAP_SELF_CNODE, s, 1),
	          M6_ERR_ILLEGAL_OPERATION);
}

TEST(retype_empty_slot)
{
	m6_cptr_t e = kt_slot();
	m6_cptr_t s = kt_slot();
	CHECK_ERR(m6_untyped_retype(e, M6_OBJ_ENDPOINT, 0, M6_CAP_SELF_CNODE, s, 1),
	          M6_ERR_INVALID_CAP);
	/* beyond the root CNode: the guard does not match */
	CHECK_ERR(m6_untyped_retype(KT_ROOT_SLOTS, M6_OBJ_ENDPOINT, 0, M6_CAP_SELF_CNODE, s, 1),
	          M6_ERR_FAILED_LOOKUP);
}

TEST(retype_needs_write_right)
{
	m6_cptr_t u = child_untyped(14);
	REQUIRE(u);
	/* a kernel may refuse copies of untyped caps; then there is no read-only one */
	m6_cptr_t ro = kt_slot();
	uint64_t err =
	    m6_cnode_copy(M6_CAP_SELF_CNODE, ro, 64, M6_CAP_SELF_CNODE, u, 64, M6_RIGHT_READ);
	if (err == M6_ERR_ILLEGAL_OPERATION)
		return;
	REQUIRE_OK(err);
	m6_cptr_t s = kt_slot();
	CHECK_ERR(m6_untyped_retype(ro, M6_OBJ_ENDPOINT, 0, M6_CAP_SELF_CNODE, s, 1),
	          M6_ERR_INSUFFICIENT_RIGHTS);
}

TEST(retype_watermark_alignment)
{
	m6_cptr_t u = child_untyped(22);
	REQUIRE(u);
	m6_cptr_t s1 = kt_slot(), s2 = kt_slot(), s3 = kt_slot(), s4 = kt_slot();
	uint64_t base = 0, a2 = 0, a3 = 0, a4 = 0;
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, s1, 1));
	REQUIRE_OK(m6_frame_get_address(s1, &base));
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_ENDPOINT, 0, M6_CAP_SELF_CNODE, s2, 1));
	/* a 4 KiB frame after a small object starts at the next page */
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, s3, 1));
	REQUIRE_OK(m6_frame_get_address(s3, &a3));
	CHECK_EQ(a3, base + 0x2000);
	/* a 2 MiB frame skips to the next 2 MiB boundary */
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_FRAME, 21, M6_CAP_SELF_CNODE, s4, 1));
	REQUIRE_OK(m6_frame_get_address(s4, &a4));
	CHECK_EQ(a4, (base & ~0x1fffffull) + 0x200000);
	(void)a2;
}

TEST(retype_consecutive_frames)
{
	m6_cptr_t u = child_untyped(16);
	REQUIRE(u);
	m6_cptr_t s = kt_slot();
	kt_slot();
	kt_slot();
	kt_slot();
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, s, 4));
	uint64_t first = 0;
	REQUIRE_OK(m6_frame_get_address(s, &first));
	for (unsigned i = 1; i < 4; i++) {
		uint64_t pa = 0;
		CHECK_OK(m6_frame_get_address(s + i, &pa));
		CHECK_EQ(pa, first + i * 0x1000ull);
	}
}

TEST(retype_exhaustion)
{
	m6_cptr_t u = child_untyped(14);
	REQUIRE(u);
	m6_cptr_t s = kt_slot();
	kt_slot();
	kt_slot();
	kt_slot();
	m6_cptr_t extra = kt_slot();
	CHECK_OK(m6_untyped_retype(u, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, s, 4));
	CHECK_ERR(m6_untyped_retype(u, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, extra, 1),
	          M6_ERR_NOT_ENOUGH_MEMORY);
	CHECK_ERR(m6_untyped_retype(u, M6_OBJ_ENDPOINT, 0, M6_CAP_SELF_CNODE, extra, 1),
	          M6_ERR_NOT_ENOUGH_MEMORY);
}

TEST(retype_too_many_for_untyped)
{
	m6_cptr_t u = child_untyped(14);
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 3);
	REQUIRE(u && c);
	/* 5 pages from 4: refused as a whole, nothing created */
	CHECK_ERR(m6_untyped_retype(u, M6_OBJ_FRAME, 12, c, 0, 5), M6_ERR_NOT_ENOUGH_MEMORY);
	CHECK_EQ(kt_count_frames(u, c, 8), 4);
}

TEST(retype_reuse_after_revoke)
{
	m6_cptr_t u = child_untyped(14);
	REQUIRE(u);
	m6_cptr_t s = kt_slot();
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, s, 1));
	uint64_t pa1 = 0, pa2 = 0;
	REQUIRE_OK(m6_frame_get_address(s, &pa1));
	REQUIRE_OK(m6_cnode_revoke(M6_CAP_SELF_CNODE, u, 64));
	CHECK(!kt_occupied(s));
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, s, 1));
	REQUIRE_OK(m6_frame_get_address(s, &pa2));
	CHECK_EQ(pa2, pa1);
}

TEST(retype_no_reuse_while_children_live)
{
	m6_cptr_t u = child_untyped(13);
	REQUIRE(u);
	m6_cptr_t a = kt_slot(), b = kt_slot(), c = kt_slot();
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, a, 1));
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, b, 1));
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, a, 64));
	/* one child is left: its neighbour's memory must not be handed out again */
	CHECK_ERR(m6_untyped_retype(u, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, c, 1),
	          M6_ERR_NOT_ENOUGH_MEMORY);
}

TEST(retype_memory_is_zeroed)
{
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t u = child_untyped(12);
	REQUIRE(u);
	m6_cptr_t f = kt_slot();
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, f, 1));
	REQUIRE_OK(m6_frame_map(f, M6_CAP_SELF_VSPACE, va, M6_RIGHT_READ | M6_RIGHT_WRITE));
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)va;
	for (unsigned i = 0; i < 512; i++)
		p[i] = 0xdeadbeef00000000ull | i;
	REQUIRE_OK(m6_cnode_revoke(M6_CAP_SELF_CNODE, u, 64));
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, f, 1));
	REQUIRE_OK(m6_frame_map(f, M6_CAP_SELF_VSPACE, va, M6_RIGHT_READ | M6_RIGHT_WRITE));
	unsigned nonzero = 0;
	for (unsigned i = 0; i < 512; i++)
		nonzero += p[i] != 0;
	CHECK_EQ(nonzero, 0);
}

TEST(retype_free_memory_probe)
{
	m6_cptr_t u = child_untyped(20);
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 8);
	REQUIRE(u && c);
	CHECK_EQ(kt_count_frames(u, c, 256), 256);
	CHECK_EQ(kt_count_frames(u, c, 256), 256);
}

TEST(retype_untyped_of_untyped)
{
	m6_cptr_t u = child_untyped(16);
	REQUIRE(u);
	m6_cptr_t g = kt_slot();
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_UNTYPED, 14, M6_CAP_SELF_CNODE, g, 1));
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 3);
	REQUIRE(c);
	CHECK_EQ(kt_count_frames(g, c, 8), 4);
	/* the parent lost those 16 KiB to the grandchild */
	m6_cptr_t c2 = kt_new(M6_OBJ_CNODE, 4);
	REQUIRE(c2);
	unsigned n = 0;
	while (n < 16 && m6_untyped_retype(u, M6_OBJ_FRAME, 12, c2, n, 1) == M6_OK)
		n++;
	CHECK_EQ(n, 12);
}

TEST(revoke_untyped_deletes_objects)
{
	m6_cptr_t u = child_untyped(16);
	REQUIRE(u);
	m6_cptr_t a = kt_slot(), b = kt_slot(), c = kt_slot();
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_ENDPOINT, 0, M6_CAP_SELF_CNODE, a, 1));
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_NOTIFICATION, 0, M6_CAP_SELF_CNODE, b, 1));
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_TCB, 0, M6_CAP_SELF_CNODE, c, 1));
	REQUIRE_OK(m6_cnode_revoke(M6_CAP_SELF_CNODE, u, 64));
	CHECK_ERR(kt_nbsend(a), M6_ERR_INVALID_CAP);
	CHECK(!kt_occupied(b));
	CHECK_ERR(m6_tcb_suspend(c), M6_ERR_INVALID_CAP);
}

const struct kt_test kt_suite_untyped[] = {
    KT_ENTRY(retype_endpoint),
    KT_ENTRY(retype_notification),
    KT_ENTRY(retype_tcb),
    KT_ENTRY(retype_cnode),
    KT_ENTRY(retype_untyped),
    KT_ENTRY(retype_vspace),
    KT_ENTRY(retype_page_table),
    KT_ENTRY(retype_frame_4k),
    KT_ENTRY(retype_frame_2m),
    KT_ENTRY(retype_timer),
    KT_ENTRY(retype_many_per_call),
    KT_ENTRY(retype_count_256),
    KT_ENTRY(retype_count_257_range),
    KT_ENTRY(retype_count_zero_range),
    KT_ENTRY(retype_bad_type),
    KT_ENTRY(retype_bad_frame_size),
    KT_ENTRY(retype_bad_cnode_radix),
    KT_ENTRY(retype_untyped_too_big),
    KT_ENTRY(retype_dest_occupied),
    KT_ENTRY(retype_dest_partly_occupied),
    KT_ENTRY(retype_dest_range),
    KT_ENTRY(retype_dest_not_cnode),
    KT_ENTRY(retype_on_wrong_cap_type),
    KT_ENTRY(retype_empty_slot),
    KT_ENTRY(retype_needs_write_right),
    KT_ENTRY(retype_watermark_alignment),
    KT_ENTRY(retype_consecutive_frames),
    KT_ENTRY(retype_exhaustion),
    KT_ENTRY(retype_too_many_for_untyped),
    KT_ENTRY(retype_reuse_after_revoke),
    KT_ENTRY(retype_no_reuse_while_children_live),
    KT_ENTRY(retype_memory_is_zeroed),
    KT_ENTRY(retype_free_memory_probe),
    KT_ENTRY(retype_untyped_of_untyped),
    KT_ENTRY(revoke_untyped_deletes_objects),
    KT_END,
};
