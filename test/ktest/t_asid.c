/* ASIDControl and ASIDPool: a VSpace gets its ASID from a pool its maker holds, so that
 * running out is a pool's business and nobody else's; a VSpace without an ASID (none yet,
 * or lost with its pool) can be neither mapped into nor run; a deleted VSpace or pool
 * gives its ASIDs back, with nothing of the old address space left in the TLB. The pools
 * made here come from U_TEST and go with it after every test. */
#include "ktest.h"

#define ROOT    M6_CAP_SELF_CNODE
#define RW      (M6_RIGHT_READ | M6_RIGHT_WRITE)
#define RX      (M6_RIGHT_READ | M6_RIGHT_EXECUTE)
#define CODE_VA 0x7000000000ull

/* A pool of `count` ASIDs from U_TEST in a fresh slot; *first its first ASID. 0 on error. */
static m6_cptr_t new_pool(uint64_t count, uint64_t *first)
{
	m6_cptr_t s = kt_slot();
	if (!s)
		return 0;
	uint64_t err =
	    m6_asid_control_make_pool(CAP_ASID_CONTROL, KT_SLOT_UTEST, count, ROOT, s, first);
	if (err != M6_OK) {
		kt_fail_eq(__FILE__, __LINE__, "new_pool", err, M6_OK, true);
		return 0;
	}
	return s;
}

TEST(asid_pool_assign)
{
	m6_cptr_t vs = kt_new(M6_OBJ_VSPACE, 0), pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	m6_cptr_t tcb = kt_new(M6_OBJ_TCB, 0);
	REQUIRE(vs && pt && tcb);
	/* without an ASID: nothing maps into it, no thread runs in it, and its one cap
	 * stays the only one (a copy would miss the ASID given later) */
	CHECK_ERR(m6_page_table_map(pt, vs, 0, 1), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_tcb_configure(tcb, 0, ROOT, vs, 0, 0), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_cnode_copy(ROOT, kt_slot(), 64, ROOT, vs, 64, M6_RIGHTS_ALL),
	          M6_ERR_ILLEGAL_OPERATION);
	uint64_t asid = 0;
	CHECK_OK(m6_asid_pool_assign(CAP_ASID_POOL, vs, &asid));
	CHECK(asid != 0);
	CHECK_OK(m6_page_table_map(pt, vs, 0, 1));
	CHECK_OK(m6_tcb_configure(tcb, 0, ROOT, vs, 0, 0));
	/* the root table's last entry records the ASID: no user address goes through it */
	m6_cptr_t top = kt_new(M6_OBJ_PAGE_TABLE, 0);
	REQUIRE(top);
	CHECK_ERR(m6_page_table_map(top, vs, 511ull << 39, 1), M6_ERR_RANGE);
	CHECK_OK(m6_page_table_map(top, vs, 510ull << 39, 1));
	CHECK(kt_copy(vs, M6_RIGHTS_ALL) != 0);
}

TEST(asid_pool_assign_twice)
{
	uint64_t first;
	m6_cptr_t other = new_pool(4, &first);
	m6_cptr_t vs = kt_new(M6_OBJ_VSPACE, 0);
	REQUIRE(other && vs);
	uint64_t asid = 0, again = 0;
	REQUIRE_OK(m6_asid_pool_assign(CAP_ASID_POOL, vs, &asid));
	/* one ASID in a VSpace's life, from whichever pool */
	CHECK_ERR(m6_asid_pool_assign(CAP_ASID_POOL, vs, &again), M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(m6_asid_pool_assign(other, vs, &again), M6_ERR_ILLEGAL_OPERATION);
	m6_cptr_t copy = kt_copy(vs, M6_RIGHTS_ALL);
	REQUIRE(copy);
	CHECK_ERR(m6_asid_pool_assign(other, copy, &again), M6_ERR_ILLEGAL_OPERATION);
	CHECK_EQ(again, 0);
	/* the refusals took nothing from the other pool: all four are still there */
	for (unsigned i = 0; i < 4; i++) {
		m6_cptr_t v = kt_new(M6_OBJ_VSPACE, 0);
		REQUIRE(v);
		CHECK_OK(m6_asid_pool_assign(other, v, NULL));
	}
}

TEST(asid_pool_assign_non_vspace)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	REQUIRE(ep && pt);
	CHECK_ERR(m6_asid_pool_assign(CAP_ASID_POOL, ep, NULL), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_asid_pool_assign(CAP_ASID_POOL, pt, NULL), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_asid_pool_assign(CAP_ASID_POOL, kt_slot(), NULL), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_asid_pool_assign(CAP_ASID_POOL, KT_ROOT_SLOTS + 5, NULL),
	          M6_ERR_FAILED_LOOKUP);
	/* a VSpace is not a pool, nor is a pool an ASIDControl */
	m6_cptr_t vs = kt_new_vspace(), v2 = kt_new(M6_OBJ_VSPACE, 0);
	REQUIRE(vs && v2);
	CHECK_ERR(m6_asid_pool_assign(vs, v2, NULL), M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(m6_asid_control_make_pool(CAP_ASID_POOL, KT_SLOT_UTEST, 1, ROOT, kt_slot(), NULL),
	          M6_ERR_ILLEGAL_OPERATION);
}

TEST(asid_pool_assign_needs_write)
{
	m6_cptr_t ro = kt_copy(CAP_ASID_POOL, M6_RIGHT_READ), vs = kt_new(M6_OBJ_VSPACE, 0);
	REQUIRE(ro && vs);
	CHECK_ERR(m6_asid_pool_assign(ro, vs, NULL), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_OK(m6_asid_pool_assign(CAP_ASID_POOL, vs, NULL));
}

TEST(asid_pool_exhausted)
{
	uint64_t first;
	m6_cptr_t pool = new_pool(2, &first);
	m6_cptr_t a = kt_new(M6_OBJ_VSPACE, 0), b = kt_new(M6_OBJ_VSPACE, 0),
	          c = kt_new(M6_OBJ_VSPACE, 0);
	REQUIRE(pool && a && b && c);
	uint64_t asid_a = 0, asid_b = 0;
	CHECK_OK(m6_asid_pool_assign(pool, a, &asid_a));
	CHECK_OK(m6_asid_pool_assign(pool, b, &asid_b));
	/* the pool's ASIDs are its block, nothing else */
	CHECK(asid_a != asid_b);
	CHECK(asid_a >= first && asid_a < first + 2);
	CHECK(asid_b >= first && asid_b < first + 2);
	CHECK_ERR(m6_asid_pool_assign(pool, c, NULL), M6_ERR_NOT_ENOUGH_MEMORY);
	m6_cptr_t pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	REQUIRE(pt);
	CHECK_ERR(m6_page_table_map(pt, c, 0, 1), M6_ERR_INVALID_CAP);
}

TEST(asid_pool_exhaustion_is_per_pool)
{
	/* What the pools are for: whoever empties its own pool (here by retyping VSpaces
	 * until it is out) leaves every other pool's ASIDs alone. */
	uint64_t first_a, first_b;
	m6_cptr_t greedy = new_pool(3, &first_a), other = new_pool(1, &first_b);
	REQUIRE(greedy && other);
	CHECK(first_a != first_b);
	unsigned given = 0;
	for (unsigned i = 0; i < 8; i++) {
		m6_cptr_t v = kt_new(M6_OBJ_VSPACE, 0);
		REQUIRE(v);
		if (m6_asid_pool_assign(greedy, v, NULL) != M6_OK)
			break;
		given++;
	}
	CHECK_EQ(given, 3);
	m6_cptr_t v = kt_new(M6_OBJ_VSPACE, 0);
	REQUIRE(v);
	uint64_t asid = 0;
	CHECK_OK(m6_asid_pool_assign(other, v, &asid));
	CHECK_EQ(asid, first_b);
	CHECK(kt_new_vspace() != 0); /* and the spec's pool too */
}

TEST(asid_vspace_delete_returns_asid)
{
	uint64_t first;
	m6_cptr_t pool = new_pool(1, &first);
	m6_cptr_t a = kt_new(M6_OBJ_VSPACE, 0), b = kt_new(M6_OBJ_VSPACE, 0);
	REQUIRE(pool && a && b);
	REQUIRE_OK(m6_asid_pool_assign(pool, a, NULL));
	m6_cptr_t copy = kt_copy(a, M6_RIGHTS_ALL);
	REQUIRE(copy);
	CHECK_ERR(m6_asid_pool_assign(pool, b, NULL), M6_ERR_NOT_ENOUGH_MEMORY);
	/* a copy going leaves the VSpace and its ASID; the last cap going frees it */
	REQUIRE_OK(m6_cnode_delete(ROOT, copy, 64));
	CHECK_ERR(m6_asid_pool_assign(pool, b, NULL), M6_ERR_NOT_ENOUGH_MEMORY);
	REQUIRE_OK(m6_cnode_delete(ROOT, a, 64));
	uint64_t asid = 0;
	CHECK_OK(m6_asid_pool_assign(pool, b, &asid));
	CHECK_EQ(asid, first);
}

TEST(asid_pool_copy_deleted_keeps_pool)
{
	uint64_t first;
	m6_cptr_t pool = new_pool(2, &first);
	REQUIRE(pool);
	m6_cptr_t copy = kt_copy(pool, M6_RIGHTS_ALL), vs = kt_new(M6_OBJ_VSPACE, 0);
	REQUIRE(copy && vs);
	REQUIRE_OK(m6_asid_pool_assign(copy, vs, NULL));
	REQUIRE_OK(m6_cnode_delete(ROOT, copy, 64));
	/* the pool and the ASID it gave live on with the other cap */
	m6_cptr_t pt = kt_new(M6_OBJ_PAGE_TABLE, 0), v2 = kt_new(M6_OBJ_VSPACE, 0);
	REQUIRE(pt && v2);
	CHECK_OK(m6_page_table_map(pt, vs, 0, 1));
	CHECK_OK(m6_asid_pool_assign(pool, v2, NULL));
}

/* Code for a thread of its own VSpace: x0 = `tag`, then an unknown system call, which
 * reports x0 to the fault endpoint. */
#define CODE_TAGGED(tag)                                       \
	{                                                      \
		0xd2800000u | ((tag) << 5), /* mov x0, #tag */ \
		    0xd2800c68u,            /* mov x8, #99 */  \
		    0xd4000001u,            /* svc #0 */       \
		    0x14000000u,            /* b . */          \
	}

/* Map `code` at CODE_VA in `vs` (which has an ASID), through tables and a frame from
 * U_TEST, and make a thread there whose faults go to `ep`. Returns the TCB or 0. */
static m6_cptr_t thread_in(m6_cptr_t vs, const uint32_t code[4], m6_cptr_t ep)
{
	m6_cptr_t l1 = kt_new(M6_OBJ_PAGE_TABLE, 0), l2 = kt_new(M6_OBJ_PAGE_TABLE, 0),
	          l3 = kt_new(M6_OBJ_PAGE_TABLE, 0);
	uint64_t va = kt_region();
	if (!l1 || !l2 || !l3 || !va || m6_page_table_map(l1, vs, 0, 1) != M6_OK ||
	    m6_page_table_map(l2, vs, CODE_VA, 2) != M6_OK ||
	    m6_page_table_map(l3, vs, CODE_VA, 3) != M6_OK)
		return 0;
	m6_cptr_t f = kt_map_new_frame(va, RW);
	if (!f)
		return 0;
	for (unsigned i = 0; i < 4; i++)
		((volatile uint32_t *)(uintptr_t)va)[i] = code[i];
	m6_cptr_t f2 = kt_copy(f, M6_RIGHTS_ALL), t = kt_new(M6_OBJ_TCB, 0);
	if (!f2 || !t || m6_frame_clean_invalidate(f, 0, 4096) != M6_OK ||
	    m6_frame_map(f2, vs, CODE_VA, RX) != M6_OK ||
	    m6_tcb_configure(t, ep, ROOT, vs, 0, 0) != M6_OK ||
	    m6_tcb_set_priority(t, M6_CAP_SELF_TCB, KT_HELPER_PRIO) != M6_OK)
		return 0;
	return t;
}

/* Start `t` at CODE_VA and take its fault: returns the label (MRs in *m), and leaves the
 * thread stopped. ~0 if it does not fault. */
static uint64_t run_once(m6_cptr_t t, m6_cptr_t ep, struct m6_msg *m)
{
	if (m6_tcb_write_registers(t, true, CODE_VA, 0, NULL, 0) != M6_OK)
		return ~0ull;
	bool ok;
	kt_recv_poll(ep, m, 100, &ok);
	if (!ok)
		return ~0ull;
	struct m6_msg stop = {.info = m6_msginfo(M6_FAULT_REPLY_STOP, 0)};
	m6_reply(&stop);
	return m6_msginfo_label(m->info);
}

TEST(asid_pool_deleted_under_live_vspaces)
{
	static const uint32_t code_a[4] = CODE_TAGGED(1), code_b[4] = CODE_TAGGED(2);
	uint64_t first, first2;
	m6_cptr_t pool = new_pool(1, &first), ep = kt_new(M6_OBJ_ENDPOINT, 0);
	m6_cptr_t vs = kt_new(M6_OBJ_VSPACE, 0);
	REQUIRE(pool && ep && vs);
	REQUIRE_OK(m6_asid_pool_assign(pool, vs, NULL));
	m6_cptr_t t = thread_in(vs, code_a, ep);
	REQUIRE(t);
	struct m6_msg m;
	/* it runs: its translations are now cached under the pool's one ASID */
	REQUIRE_EQ(run_once(t, ep, &m), M6_FAULT_UNKNOWN_SYSCALL);
	CHECK_EQ(m.mr[0], 1);

	REQUIRE_OK(m6_cnode_delete(ROOT, pool, 64));
	/* The VSpace is still there, its ASID is not: nothing maps into it, no thread is
	 * configured into it, no pool gives it another, and its thread faults at once. */
	m6_cptr_t pt = kt_new(M6_OBJ_PAGE_TABLE, 0), f = kt_new(M6_OBJ_FRAME, 12);
	m6_cptr_t t2 = kt_new(M6_OBJ_TCB, 0);
	REQUIRE(pt && f && t2);
	CHECK_ERR(m6_page_table_map(pt, vs, 0x8000000000ull, 1), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_frame_map(f, vs, CODE_VA + 0x1000, RW), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_tcb_configure(t2, ep, ROOT, vs, 0, 0), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_asid_pool_assign(CAP_ASID_POOL, vs, NULL), M6_ERR_ILLEGAL_OPERATION);
	CHECK_EQ(run_once(t, ep, &m), M6_FAULT_VM);
	CHECK_EQ(m.mr[0], CODE_VA);
	CHECK_EQ(m.mr[3], 1); /* an instruction fetch */

	/* The block is free again: a new pool gets it, and its ASID goes to another VSpace
	 * with other code at the same address. It must run its own code, not what the TLB
	 * may still hold of the old address space under the same ASID. */
	m6_cptr_t pool2 = new_pool(1, &first2), vs2 = kt_new(M6_OBJ_VSPACE, 0);
	REQUIRE(pool2 && vs2);
	CHECK_EQ(first2, first);
	uint64_t asid = 0;
	REQUIRE_OK(m6_asid_pool_assign(pool2, vs2, &asid));
	CHECK_EQ(asid, first);
	m6_cptr_t tb = thread_in(vs2, code_b, ep);
	REQUIRE(tb);
	CHECK_EQ(run_once(tb, ep, &m), M6_FAULT_UNKNOWN_SYSCALL);
	CHECK_EQ(m.mr[0], 2);
	/* the old thread still has nothing: the ASID is someone else's now */
	CHECK_EQ(run_once(t, ep, &m), M6_FAULT_VM);
	CHECK_EQ(m.mr[0], CODE_VA);

	/* Deleting the old VSpace must not take the ASID from its new holder. */
	REQUIRE_OK(m6_tcb_configure(t, ep, ROOT, M6_CAP_SELF_VSPACE, 0, 0));
	REQUIRE_OK(m6_cnode_delete(ROOT, vs, 64));
	m6_cptr_t v3 = kt_new(M6_OBJ_VSPACE, 0);
	REQUIRE(v3);
	CHECK_ERR(m6_asid_pool_assign(pool2, v3, NULL), M6_ERR_NOT_ENOUGH_MEMORY);
	CHECK_EQ(run_once(tb, ep, &m), M6_FAULT_UNKNOWN_SYSCALL);
	CHECK_EQ(m.mr[0], 2);
}

TEST(asid_control_make_pool)
{
	uint64_t first = 0;
	m6_cptr_t s = kt_slot();
	REQUIRE(s);
	CHECK_OK(m6_asid_control_make_pool(CAP_ASID_CONTROL, KT_SLOT_UTEST, 16, ROOT, s, &first));
	/* ASID 0 belongs to no VSpace; the boot pools come first */
	CHECK(first >= 16);
	CHECK_EQ(first % 16, 0);
	/* a pool of 16 is exactly a block: the next pool starts right after it */
	uint64_t next = 0;
	REQUIRE(new_pool(1, &next));
	CHECK_EQ(next, first + 16);
}

TEST(asid_control_make_pool_refused)
{
	m6_cptr_t ro = kt_copy(CAP_ASID_CONTROL, M6_RIGHT_READ),
	          ro_root = kt_copy(ROOT, M6_RIGHT_READ);
	m6_cptr_t small = kt_new(M6_OBJ_UNTYPED, 6), ep = kt_new(M6_OBJ_ENDPOINT, 0);
	m6_cptr_t ro_ut = kt_slot(), s = kt_slot();
	REQUIRE(ro && ro_root && small && ep && ro_ut && s);
	const m6_cptr_t ctl = CAP_ASID_CONTROL, ut = KT_SLOT_UTEST;
	/* without the right: ASIDControl is who decides every quota */
	CHECK_ERR(m6_asid_control_make_pool(ro, ut, 1, ROOT, s, NULL), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_asid_control_make_pool(ctl, ut, 1, ro_root, s, NULL),
	          M6_ERR_INSUFFICIENT_RIGHTS);
	/* an untyped cap cannot be copied; a read-only one comes from a mint... of which
	 * there is none either: its rights are all or nothing. A non-untyped is refused. */
	CHECK_ERR(m6_asid_control_make_pool(ctl, ep, 1, ROOT, s, NULL), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_asid_control_make_pool(ctl, ut, 1, ep, s, NULL), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_asid_control_make_pool(ctl, ut, 0, ROOT, s, NULL), M6_ERR_RANGE);
	CHECK_ERR(m6_asid_control_make_pool(ctl, ut, 1ull << 16, ROOT, s, NULL), M6_ERR_RANGE);
	CHECK_ERR(m6_asid_control_make_pool(ctl, ut, ~0ull, ROOT, s, NULL), M6_ERR_RANGE);
	CHECK_ERR(m6_asid_control_make_pool(ctl, ut, 1, ROOT, KT_ROOT_SLOTS, NULL), M6_ERR_RANGE);
	CHECK_ERR(m6_asid_control_make_pool(ctl, ut, 1, ROOT, ep, NULL), M6_ERR_DELETE_FIRST);
	/* 64 bytes of untyped hold no pool of 16 (a header and 16 roots) */
	CHECK_ERR(m6_asid_control_make_pool(ctl, small, 16, ROOT, s, NULL),
	          M6_ERR_NOT_ENOUGH_MEMORY);
	/* every ASID but 0 in one pool: the boot pools already hold the first block */
	CHECK_ERR(m6_asid_control_make_pool(ctl, ut, 0xffff, ROOT, s, NULL),
	          M6_ERR_NOT_ENOUGH_MEMORY);
	CHECK(!kt_occupied(s));
	/* pools hold ASIDs: untyped alone does not make one */
	CHECK_ERR(m6_untyped_retype(ut, M6_OBJ_ASID_POOL, 1, ROOT, s, 1), M6_ERR_INVALID_ARGUMENT);
	CHECK(!kt_occupied(s));
	CHECK_OK(m6_asid_control_make_pool(ctl, small, 1, ROOT, s, NULL));
}

TEST(asid_pool_revoked_with_its_untyped)
{
	/* The pool's cap is a child of the untyped it came from: revoking that deletes the
	 * pool and frees its block, whoever holds copies of the pool. */
	m6_cptr_t u = kt_new(M6_OBJ_UNTYPED, 12), s = kt_slot();
	REQUIRE(u && s);
	uint64_t first = 0, again = 0;
	REQUIRE_OK(m6_asid_control_make_pool(CAP_ASID_CONTROL, u, 8, ROOT, s, &first));
	m6_cptr_t vs = kt_new(M6_OBJ_VSPACE, 0), copy = kt_copy(s, M6_RIGHTS_ALL);
	REQUIRE(vs && copy);
	REQUIRE_OK(m6_asid_pool_assign(copy, vs, NULL));
	REQUIRE_OK(m6_cnode_revoke(ROOT, u, 64));
	CHECK(!kt_occupied(s) && !kt_occupied(copy));
	m6_cptr_t pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	REQUIRE(pt);
	CHECK_ERR(m6_page_table_map(pt, vs, 0, 1), M6_ERR_INVALID_CAP);
	CHECK_OK(m6_asid_control_make_pool(CAP_ASID_CONTROL, u, 8, ROOT, s, &again));
	CHECK_EQ(again, first);
}

TEST(asid_pool_reuses_released_then_fresh)
{
	/* Taking an ASID is O(1): a released one first (its TLB entries went with it), then
	 * one never used; a full pool says so; deleting the pool takes every ASID back and
	 * frees its block for the next pool. */
	uint64_t first = 0, again = 0, asid = 0;
	m6_cptr_t pool = new_pool(4, &first);
	m6_cptr_t v[6];
	for (unsigned i = 0; i < 6; i++)
		v[i] = kt_new(M6_OBJ_VSPACE, 0);
	REQUIRE(pool && v[0] && v[1] && v[2] && v[3] && v[4] && v[5]);
	for (unsigned i = 0; i < 3; i++) {
		REQUIRE_OK(m6_asid_pool_assign(pool, v[i], &asid));
		CHECK_EQ(asid, first + i);
	}
	REQUIRE_OK(m6_cnode_delete(ROOT, v[1], 64));
	CHECK_OK(m6_asid_pool_assign(pool, v[3], &asid));
	CHECK_EQ(asid, first + 1);
	CHECK_OK(m6_asid_pool_assign(pool, v[4], &asid));
	CHECK_EQ(asid, first + 3);
	CHECK_ERR(m6_asid_pool_assign(pool, v[5], NULL), M6_ERR_NOT_ENOUGH_MEMORY);
	REQUIRE_OK(m6_cnode_delete(ROOT, pool, 64));
	m6_cptr_t pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	REQUIRE(pt);
	const unsigned kept[] = {0, 2, 3, 4};
	for (unsigned i = 0; i < 4; i++)
		CHECK_ERR(m6_page_table_map(pt, v[kept[i]], 0, 1), M6_ERR_INVALID_CAP);
	m6_cptr_t next = new_pool(4, &again);
	REQUIRE(next);
	CHECK_EQ(again, first);
	CHECK_OK(m6_asid_pool_assign(next, v[5], &asid));
	CHECK_EQ(asid, first);
}

const struct kt_test kt_suite_asid[] = {
    KT_ENTRY(asid_pool_assign),
    KT_ENTRY(asid_pool_assign_twice),
    KT_ENTRY(asid_pool_assign_non_vspace),
    KT_ENTRY(asid_pool_assign_needs_write),
    KT_ENTRY(asid_pool_exhausted),
    KT_ENTRY(asid_pool_exhaustion_is_per_pool),
    KT_ENTRY(asid_vspace_delete_returns_asid),
    KT_ENTRY(asid_pool_copy_deleted_keeps_pool),
    KT_ENTRY(asid_pool_deleted_under_live_vspaces),
    KT_ENTRY(asid_control_make_pool),
    KT_ENTRY(asid_control_make_pool_refused),
    KT_ENTRY(asid_pool_revoked_with_its_untyped),
    KT_ENTRY(asid_pool_reuses_released_then_fresh),
    KT_END,
};
