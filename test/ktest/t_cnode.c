/* CNode: copy, mint, move, mutate, rotate, delete, revoke over the derivation tree, and
 * guarded radix addressing with depth. Notifications serve as probes: a badged cap's
 * signal shows up in a poll of the unbadged original, which names both object and badge. */
#include "ktest.h"

#define ROOT M6_CAP_SELF_CNODE

static m6_cptr_t new_ntfn(void)
{
	return kt_new(M6_OBJ_NOTIFICATION, 0);
}

/* Signal through `cap` and return what a poll of `original` sees. */
static uint64_t probe_badge(m6_cptr_t cap, m6_cptr_t original)
{
	m6_poll(original);
	if (m6_signal(cap) != M6_OK)
		return ~0ull;
	return m6_poll(original);
}

TEST(cnode_copy)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t d = kt_slot();
	CHECK_OK(m6_cnode_copy(ROOT, d, 64, ROOT, ep, 64, M6_RIGHTS_ALL));
	CHECK_ERR(kt_nbsend(d), M6_ERR_WOULD_BLOCK);
	CHECK_ERR(kt_nbsend(ep), M6_ERR_WOULD_BLOCK);
}

TEST(cnode_copy_keeps_badge)
{
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHTS_ALL, 0x300);
	REQUIRE(b);
	m6_cptr_t c = kt_copy(b, M6_RIGHTS_ALL);
	REQUIRE(c);
	CHECK_EQ(probe_badge(c, n), 0x300);
}

TEST(cnode_copy_dest_occupied)
{
	m6_cptr_t a = kt_new(M6_OBJ_ENDPOINT, 0), b = new_ntfn();
	REQUIRE(a && b);
	CHECK_ERR(m6_cnode_copy(ROOT, b, 64, ROOT, a, 64, M6_RIGHTS_ALL), M6_ERR_DELETE_FIRST);
	/* b is still the notification */
	struct m6_msg m;
	CHECK_OK(kt_nbrecv(b, &m));
}

TEST(cnode_copy_src_empty)
{
	m6_cptr_t e = kt_slot(), d = kt_slot();
	CHECK_ERR(m6_cnode_copy(ROOT, d, 64, ROOT, e, 64, M6_RIGHTS_ALL), M6_ERR_INVALID_CAP);
	CHECK(!kt_occupied(d));
}

TEST(cnode_copy_fewer_rights)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t r = kt_copy(ep, M6_RIGHT_READ);
	REQUIRE(r);
	CHECK_ERR(kt_nbsend(r), M6_ERR_INSUFFICIENT_RIGHTS);
	struct m6_msg m;
	CHECK_ERR(kt_nbrecv(r, &m), M6_ERR_WOULD_BLOCK);
	m6_cptr_t w = kt_copy(ep, M6_RIGHT_WRITE);
	REQUIRE(w);
	CHECK_ERR(kt_nbrecv(w, &m), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(kt_nbsend(w), M6_ERR_WOULD_BLOCK);
}

TEST(cnode_rights_never_grow)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t r = kt_copy(ep, M6_RIGHT_READ);
	REQUIRE(r);
	/* asking for every right from a read-only cap: refused, or the copy stays read-only */
	m6_cptr_t d = kt_slot();
	uint64_t err = m6_cnode_copy(ROOT, d, 64, ROOT, r, 64, M6_RIGHTS_ALL);
	if (err == M6_OK)
		CHECK_ERR(kt_nbsend(d), M6_ERR_INSUFFICIENT_RIGHTS);
	m6_cptr_t d2 = kt_slot();
	err = m6_cnode_mint(ROOT, d2, 64, ROOT, r, 64, M6_RIGHTS_ALL, 0);
	if (err == M6_OK)
		CHECK_ERR(kt_nbsend(d2), M6_ERR_INSUFFICIENT_RIGHTS);
	m6_cptr_t d3 = kt_slot();
	err = m6_cnode_mutate(ROOT, d3, 64, ROOT, r, 64, 0);
	if (err == M6_OK)
		CHECK_ERR(kt_nbsend(d3), M6_ERR_INSUFFICIENT_RIGHTS);
}

TEST(cnode_copy_depth_range)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t d = kt_slot();
	CHECK_ERR(m6_cnode_copy(ROOT, d, 0, ROOT, ep, 64, M6_RIGHTS_ALL), M6_ERR_RANGE);
	CHECK_ERR(m6_cnode_copy(ROOT, d, 65, ROOT, ep, 64, M6_RIGHTS_ALL), M6_ERR_RANGE);
	CHECK_ERR(m6_cnode_copy(ROOT, d, 64, ROOT, ep, 0, M6_RIGHTS_ALL), M6_ERR_RANGE);
	CHECK_ERR(m6_cnode_copy(ROOT, d, 64, ROOT, ep, 200, M6_RIGHTS_ALL), M6_ERR_RANGE);
	CHECK(!kt_occupied(d));
}

TEST(cnode_copy_depth_mismatch)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t d = kt_slot();
	/* the root needs 64 bits (58 guard + 6 radix): fewer leave the guard unmatched */
	CHECK_ERR(m6_cnode_copy(ROOT, d, 6, ROOT, ep, 64, M6_RIGHTS_ALL), M6_ERR_FAILED_LOOKUP);
	CHECK_ERR(m6_cnode_copy(ROOT, d, 64, ROOT, ep, 32, M6_RIGHTS_ALL), M6_ERR_FAILED_LOOKUP);
}

TEST(cnode_guard_mismatch)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t d = kt_slot();
	CHECK_ERR(m6_cnode_copy(ROOT, d | (1ull << 63), 64, ROOT, ep, 64, M6_RIGHTS_ALL),
	          M6_ERR_FAILED_LOOKUP);
	CHECK_ERR(m6_cnode_copy(ROOT, d, 64, ROOT, ep | 0x40, 64, M6_RIGHTS_ALL),
	          M6_ERR_FAILED_LOOKUP);
	CHECK_ERR(kt_nbsend(ep | (1ull << 40)), M6_ERR_FAILED_LOOKUP);
}

TEST(cnode_src_root_not_cnode)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t d = kt_slot();
	CHECK_FAILS(m6_cnode_copy(ROOT, d, 64, ep, 0, 64, M6_RIGHTS_ALL));
	CHECK(!kt_occupied(d));
}

TEST(cnode_invoke_needs_write)
{
	m6_cptr_t ro = kt_copy(ROOT, M6_RIGHT_READ);
	REQUIRE(ro);
	m6_cptr_t d = kt_slot();
	CHECK_ERR(m6_cnode_copy(ro, d, 64, ROOT, CAP_DEBUG_CONSOLE, 64, M6_RIGHTS_ALL),
	          M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_cnode_delete(ro, d, 64), M6_ERR_INSUFFICIENT_RIGHTS);
}

TEST(cnode_unknown_label)
{
	struct m6_msg m = {.info = m6_msginfo(KT_BAD_LABEL, 0)};
	CHECK_ERR(m6_call(ROOT, &m), M6_ERR_ILLEGAL_OPERATION);
	/* a CNode label on a TCB */
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0);
	REQUIRE(t);
	CHECK_ERR(m6_cnode_delete(t, 0, 64), M6_ERR_ILLEGAL_OPERATION);
}

TEST(cnode_mint_badge_notification)
{
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHTS_ALL, 0x1234500);
	REQUIRE(b);
	CHECK_EQ(probe_badge(b, n), 0x1234500);
}

TEST(cnode_mint_badge_endpoint_and_rights)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t b = kt_mint(ep, M6_RIGHT_WRITE, 0xbad6e);
	REQUIRE(b);
	struct m6_msg m;
	CHECK_ERR(kt_nbrecv(b, &m), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(kt_nbsend(b), M6_ERR_WOULD_BLOCK);
}

TEST(cnode_mint_badged_refused)
{
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHTS_ALL, 0x100);
	REQUIRE(b);
	m6_cptr_t d = kt_slot();
	CHECK_FAILS(m6_cnode_mint(ROOT, d, 64, ROOT, b, 64, M6_RIGHTS_ALL, 0x200));
	if (kt_occupied(d))
		CHECK_EQ(probe_badge(d, n), 0x100);
}

TEST(cnode_mint_dest_occupied)
{
	m6_cptr_t n = new_ntfn(), x = new_ntfn();
	REQUIRE(n && x);
	CHECK_ERR(m6_cnode_mint(ROOT, x, 64, ROOT, n, 64, M6_RIGHTS_ALL, 5), M6_ERR_DELETE_FIRST);
}

TEST(cnode_move)
{
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHTS_ALL, 0x400);
	REQUIRE(b);
	m6_cptr_t d = kt_slot();
	REQUIRE_OK(m6_cnode_move(ROOT, d, 64, ROOT, b, 64));
	CHECK(!kt_occupied(b));
	CHECK_EQ(probe_badge(d, n), 0x400);
}

TEST(cnode_move_dest_occupied)
{
	m6_cptr_t a = new_ntfn(), b = new_ntfn();
	REQUIRE(a && b);
	CHECK_ERR(m6_cnode_move(ROOT, b, 64, ROOT, a, 64), M6_ERR_DELETE_FIRST);
	CHECK(kt_occupied(a));
}

TEST(cnode_move_src_empty)
{
	m6_cptr_t e = kt_slot(), d = kt_slot();
	CHECK_ERR(m6_cnode_move(ROOT, d, 64, ROOT, e, 64), M6_ERR_INVALID_CAP);
}

TEST(cnode_move_onto_itself)
{
	m6_cptr_t a = new_ntfn();
	REQUIRE(a);
	CHECK_ERR(m6_cnode_move(ROOT, a, 64, ROOT, a, 64), M6_ERR_DELETE_FIRST);
	CHECK(kt_occupied(a));
}

TEST(cnode_move_keeps_children)
{
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	m6_cptr_t child = kt_mint(n, M6_RIGHTS_ALL, 0x800);
	REQUIRE(child);
	m6_cptr_t d = kt_slot();
	REQUIRE_OK(m6_cnode_move(ROOT, d, 64, ROOT, n, 64));
	/* the moved cap is still the child's parent: revoking it removes the child */
	REQUIRE_OK(m6_cnode_revoke(ROOT, d, 64));
	CHECK(!kt_occupied(child));
	CHECK(kt_occupied(d));
}

TEST(cnode_mutate_badge)
{
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	m6_cptr_t c = kt_copy(n, M6_RIGHTS_ALL);
	REQUIRE(c);
	m6_cptr_t d = kt_slot();
	REQUIRE_OK(m6_cnode_mutate(ROOT, d, 64, ROOT, c, 64, 0x1000));
	CHECK(!kt_occupied(c));
	CHECK_EQ(probe_badge(d, n), 0x1000);
}

TEST(cnode_mutate_badged_refused)
{
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHTS_ALL, 0x100);
	REQUIRE(b);
	m6_cptr_t d = kt_slot();
	CHECK_FAILS(m6_cnode_mutate(ROOT, d, 64, ROOT, b, 64, 0x200));
	/* refused means untouched */
	CHECK_EQ(probe_badge(b, n), 0x100);
}

TEST(cnode_mutate_dest_occupied)
{
	m6_cptr_t a = new_ntfn(), b = new_ntfn();
	REQUIRE(a && b);
	CHECK_ERR(m6_cnode_mutate(ROOT, b, 64, ROOT, a, 64, 7), M6_ERR_DELETE_FIRST);
}

TEST(cnode_rotate)
{
	m6_cptr_t n1 = new_ntfn(), n2 = new_ntfn();
	REQUIRE(n1 && n2);
	m6_cptr_t p = kt_copy(n1, M6_RIGHTS_ALL), s = kt_copy(n2, M6_RIGHTS_ALL);
	REQUIRE(p && s);
	m6_cptr_t d = kt_slot();
	REQUIRE_OK(m6_cnode_rotate(ROOT, d, 64, ROOT, p, 64, ROOT, s, 64, 0x100, 0x200));
	/* pivot (n1) went to dest with badge 0x100, src (n2) to pivot with 0x200 */
	CHECK(!kt_occupied(s));
	CHECK_EQ(probe_badge(d, n1), 0x100);
	CHECK_EQ(probe_badge(p, n2), 0x200);
}

TEST(cnode_rotate_swap)
{
	m6_cptr_t n1 = new_ntfn(), n2 = new_ntfn();
	REQUIRE(n1 && n2);
	m6_cptr_t a = kt_copy(n1, M6_RIGHTS_ALL), b = kt_copy(n2, M6_RIGHTS_ALL);
	REQUIRE(a && b);
	/* dest == src: a and b trade places */
	REQUIRE_OK(m6_cnode_rotate(ROOT, a, 64, ROOT, b, 64, ROOT, a, 64, 0x100, 0x200));
	CHECK_EQ(probe_badge(a, n2), 0x100);
	CHECK_EQ(probe_badge(b, n1), 0x200);
}

TEST(cnode_rotate_dest_occupied)
{
	m6_cptr_t a = new_ntfn(), b = new_ntfn(), c = new_ntfn();
	REQUIRE(a && b && c);
	CHECK_ERR(m6_cnode_rotate(ROOT, c, 64, ROOT, b, 64, ROOT, a, 64, 0, 0),
	          M6_ERR_DELETE_FIRST);
	CHECK(kt_occupied(a) && kt_occupied(b));
}

TEST(cnode_rotate_empty_pivot)
{
	m6_cptr_t a = new_ntfn();
	REQUIRE(a);
	m6_cptr_t p = kt_slot(), d = kt_slot();
	CHECK_FAILS(m6_cnode_rotate(ROOT, d, 64, ROOT, p, 64, ROOT, a, 64, 0, 0));
	CHECK(kt_occupied(a));
}

TEST(cnode_delete)
{
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	REQUIRE_OK(m6_cnode_delete(ROOT, n, 64));
	struct m6_msg m;
	CHECK_ERR(kt_nbrecv(n, &m), M6_ERR_INVALID_CAP);
	CHECK(!kt_occupied(n));
}

TEST(cnode_delete_empty_slot)
{
	m6_cptr_t e = kt_slot();
	CHECK_OK(m6_cnode_delete(ROOT, e, 64));
}

TEST(cnode_delete_bad_depth)
{
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	CHECK_ERR(m6_cnode_delete(ROOT, n, 0), M6_ERR_RANGE);
	CHECK_ERR(m6_cnode_delete(ROOT, n, 65), M6_ERR_RANGE);
	CHECK_ERR(m6_cnode_delete(ROOT, KT_ROOT_SLOTS + 1, 64), M6_ERR_FAILED_LOOKUP);
	CHECK(kt_occupied(n));
}

TEST(cnode_delete_original_keeps_copy)
{
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	m6_cptr_t c = kt_copy(n, M6_RIGHTS_ALL);
	m6_cptr_t b = kt_mint(n, M6_RIGHTS_ALL, 0x40);
	REQUIRE(c && b);
	REQUIRE_OK(m6_cnode_delete(ROOT, n, 64));
	/* the object lives on while caps to it remain */
	CHECK_EQ(probe_badge(b, c), 0x40);
}

TEST(cnode_revoke_removes_derived)
{
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	m6_cptr_t a = kt_copy(n, M6_RIGHTS_ALL);
	m6_cptr_t b = kt_mint(n, M6_RIGHTS_ALL, 0x10);
	REQUIRE(a && b);
	m6_cptr_t aa = kt_copy(a, M6_RIGHT_WRITE);
	REQUIRE(aa);
	REQUIRE_OK(m6_cnode_revoke(ROOT, n, 64));
	CHECK(!kt_occupied(a) && !kt_occupied(b) && !kt_occupied(aa));
	CHECK_ERR(m6_signal(b), M6_ERR_INVALID_CAP);
	struct m6_msg m;
	CHECK_OK(kt_nbrecv(n, &m));
}

TEST(cnode_revoke_subtree_only)
{
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	m6_cptr_t b1 = kt_mint(n, M6_RIGHTS_ALL, 0x10);
	m6_cptr_t b2 = kt_mint(n, M6_RIGHTS_ALL, 0x20);
	REQUIRE(b1 && b2);
	m6_cptr_t b1c = kt_copy(b1, M6_RIGHTS_ALL);
	REQUIRE(b1c);
	REQUIRE_OK(m6_cnode_revoke(ROOT, b1, 64));
	CHECK(!kt_occupied(b1c));
	CHECK(kt_occupied(b1));
	CHECK_EQ(probe_badge(b2, n), 0x20);
}

TEST(cnode_revoke_leaf)
{
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	CHECK_OK(m6_cnode_revoke(ROOT, n, 64));
	CHECK(kt_occupied(n));
}

TEST(cnode_revoke_empty)
{
	/* like delete, revoking an empty slot has nothing to do */
	m6_cptr_t e = kt_slot();
	CHECK_OK(m6_cnode_revoke(ROOT, e, 64));
}

TEST(cnode_revoke_reaches_other_cnodes)
{
	m6_cptr_t n = new_ntfn();
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 4);
	REQUIRE(n && c);
	REQUIRE_OK(m6_cnode_mint(c, 9, 64, ROOT, n, 64, M6_RIGHTS_ALL, 0x77));
	REQUIRE_OK(m6_cnode_revoke(ROOT, n, 64));
	m6_cptr_t d = kt_slot();
	CHECK_ERR(m6_cnode_copy(ROOT, d, 64, c, 9, 64, M6_RIGHTS_ALL), M6_ERR_INVALID_CAP);
}

/* A CNode cap whose guard leaves `bits` of a 64-bit cptr below it: mint data is
 * guard size | guard << 6. */
static m6_cptr_t with_guard(m6_cptr_t cnode, unsigned radix, unsigned bits)
{
	return kt_mint(cnode, M6_RIGHTS_ALL, 64 - radix - bits);
}

TEST(cnode_two_level_addressing)
{
	m6_cptr_t x = kt_new(M6_OBJ_CNODE, 4);
	REQUIRE(x);
	/* X with guard 52 leaves 8 bits after its index: a CNode Y (radix 4, guard 4) in X's
	 * slot 4 then resolves (4 << 8 | 5) to Y's slot 5 */
	m6_cptr_t xg = with_guard(x, 4, 8);
	REQUIRE(xg);
	REQUIRE_OK(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_CNODE, 4, x, 3, 1));
	REQUIRE_OK(m6_cnode_mutate(x, 4, 64, x, 3, 64, 4));
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	REQUIRE_OK(m6_cnode_mint(xg, (4 << 8) | 5, 64, ROOT, n, 64, M6_RIGHTS_ALL, 0x90));
	m6_cptr_t d = kt_slot();
	REQUIRE_OK(m6_cnode_copy(ROOT, d, 64, xg, (4 << 8) | 5, 64, M6_RIGHTS_ALL));
	CHECK_EQ(probe_badge(d, n), 0x90);
	/* depth 56 stops at X's slot 4 (the CNode Y itself) */
	m6_cptr_t d2 = kt_slot();
	CHECK_OK(m6_cnode_copy(ROOT, d2, 64, xg, 4, 56, M6_RIGHTS_ALL));
	/* a wrong guard bit for Y fails */
	m6_cptr_t d3 = kt_slot();
	CHECK_ERR(m6_cnode_copy(ROOT, d3, 64, xg, (4 << 8) | (1 << 4) | 5, 64, M6_RIGHTS_ALL),
	          M6_ERR_FAILED_LOOKUP);
}

TEST(cnode_guard_too_big)
{
	m6_cptr_t x = kt_new(M6_OBJ_CNODE, 4);
	REQUIRE(x);
	m6_cptr_t d = kt_slot();
	CHECK_ERR(m6_cnode_mint(ROOT, d, 64, ROOT, x, 64, M6_RIGHTS_ALL, 61), M6_ERR_RANGE);
}

TEST(cnode_lookup_through_non_cnode)
{
	m6_cptr_t x = kt_new(M6_OBJ_CNODE, 4);
	REQUIRE(x);
	m6_cptr_t xg = with_guard(x, 4, 8);
	REQUIRE(xg);
	REQUIRE_OK(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_ENDPOINT, 0, x, 3, 1));
	m6_cptr_t d = kt_slot();
	CHECK_ERR(m6_cnode_copy(ROOT, d, 64, xg, (3 << 8) | 1, 64, M6_RIGHTS_ALL),
	          M6_ERR_FAILED_LOOKUP);
}

TEST(cnode_delete_cnode_deletes_contents)
{
	m6_cptr_t n = new_ntfn();
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 3);
	REQUIRE(n && c);
	m6_cptr_t c2 = kt_copy(c, M6_RIGHTS_ALL);
	REQUIRE(c2);
	REQUIRE_OK(m6_cnode_mint(c, 2, 64, ROOT, n, 64, M6_RIGHTS_ALL, 0x55));
	/* deleting the CNode's last caps deletes the badged child inside: revoking the
	 * notification afterwards has nothing left to find, and signals go nowhere */
	REQUIRE_OK(m6_cnode_delete(ROOT, c, 64));
	REQUIRE_OK(m6_cnode_delete(ROOT, c2, 64));
	CHECK_OK(m6_cnode_revoke(ROOT, n, 64));
	CHECK_EQ(m6_poll(n), 0);
}

TEST(cnode_revoke_then_reuse_slot)
{
	m6_cptr_t n = new_ntfn();
	REQUIRE(n);
	m6_cptr_t a = kt_copy(n, M6_RIGHTS_ALL);
	REQUIRE(a);
	REQUIRE_OK(m6_cnode_revoke(ROOT, n, 64));
	CHECK_OK(m6_cnode_mint(ROOT, a, 64, ROOT, n, 64, M6_RIGHTS_ALL, 0x30));
	CHECK_EQ(probe_badge(a, n), 0x30);
}

const struct kt_test kt_suite_cnode[] = {
    KT_ENTRY(cnode_copy),
    KT_ENTRY(cnode_copy_keeps_badge),
    KT_ENTRY(cnode_copy_dest_occupied),
    KT_ENTRY(cnode_copy_src_empty),
    KT_ENTRY(cnode_copy_fewer_rights),
    KT_ENTRY(cnode_rights_never_grow),
    KT_ENTRY(cnode_copy_depth_range),
    KT_ENTRY(cnode_copy_depth_mismatch),
    KT_ENTRY(cnode_guard_mismatch),
    KT_ENTRY(cnode_src_root_not_cnode),
    KT_ENTRY(cnode_invoke_needs_write),
    KT_ENTRY(cnode_unknown_label),
    KT_ENTRY(cnode_mint_badge_notification),
    KT_ENTRY(cnode_mint_badge_endpoint_and_rights),
    KT_ENTRY(cnode_mint_badged_refused),
    KT_ENTRY(cnode_mint_dest_occupied),
    KT_ENTRY(cnode_move),
    KT_ENTRY(cnode_move_dest_occupied),
    KT_ENTRY(cnode_move_src_empty),
    KT_ENTRY(cnode_move_onto_itself),
    KT_ENTRY(cnode_move_keeps_children),
    KT_ENTRY(cnode_mutate_badge),
    KT_ENTRY(cnode_mutate_badged_refused),
    KT_ENTRY(cnode_mutate_dest_occupied),
    KT_ENTRY(cnode_rotate),
    KT_ENTRY(cnode_rotate_swap),
    KT_ENTRY(cnode_rotate_dest_occupied),
    KT_ENTRY(cnode_rotate_empty_pivot),
    KT_ENTRY(cnode_delete),
    KT_ENTRY(cnode_delete_empty_slot),
    KT_ENTRY(cnode_delete_bad_depth),
    KT_ENTRY(cnode_delete_original_keeps_copy),
    KT_ENTRY(cnode_revoke_removes_derived),
    KT_ENTRY(cnode_revoke_subtree_only),
    KT_ENTRY(cnode_revoke_leaf),
    KT_ENTRY(cnode_revoke_empty),
    KT_ENTRY(cnode_revoke_reaches_other_cnodes),
    KT_ENTRY(cnode_two_level_addressing),
    KT_ENTRY(cnode_guard_too_big),
    KT_ENTRY(cnode_lookup_through_non_cnode),
    KT_ENTRY(cnode_delete_cnode_deletes_contents),
    KT_ENTRY(cnode_revoke_then_reuse_slot),
    KT_END,
};
