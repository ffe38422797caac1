/* Address spaces: page tables and frames of 4 KiB and 2 MiB, rights and W^X, aliasing,
 * unmap/remap, cache maintenance and physical addresses. Accesses that must fault are made
 * by helper threads whose fault endpoint the test reads. */
#include "ktest.h"

#include <m6/sysinfo.h>

#define RW (M6_RIGHT_READ | M6_RIGHT_WRITE)
#define RX (M6_RIGHT_READ | M6_RIGHT_EXECUTE)

/* arg[0] = address, arg[1] = 0 read, 1 write, 2 execute */
static uint64_t fn_touch(struct kt_thread *self)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)self->arg[0];
	if (self->arg[1] == 0)
		self->out[0] = *p;
	else if (self->arg[1] == 1)
		*p = 0x5555;
	else
		self->out[0] = ((uint64_t(*)(void))(uintptr_t)self->arg[0])();
	self->out[1] = 1;
	return 0;
}

/* Run fn_touch in a helper whose faults go to a fresh endpoint; returns the fault label
 * (0: no fault, the access worked) and the message in *m. Faulted threads stay stopped. */
static struct kt_thread touch_thread;

static uint64_t touch(uint64_t addr, uint64_t how, struct m6_msg *m)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	if (!ep)
		return ~0ull;
	struct kt_thread t;
	t.arg[0] = addr;
	t.arg[1] = how;
	if (!kt_thread_create(&t, fn_touch, KT_HELPER_PRIO))
		return ~0ull;
	if (kt_thread_set_fault_ep(&t, ep) != M6_OK)
		return ~0ull;
	if (m6_tcb_resume(t.tcb) != M6_OK)
		return ~0ull;
	bool ok;
	kt_recv_poll(ep, m, 50, &ok);
	if (!ok) {
		bool done = kt_join(&t, 10);
		touch_thread = t;
		return done ? 0 : ~0ull - 1;
	}
	uint64_t label = m6_msginfo_label(m->info);
	struct m6_msg r = {.info = m6_msginfo(M6_FAULT_REPLY_STOP, 0)};
	m6_reply(&r);
	return label;
}

TEST(frame_map_rw)
{
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t f = kt_map_new_frame(va, RW);
	REQUIRE(f);
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)va;
	p[0] = 0x1234;
	p[511] = 0x5678;
	CHECK_EQ(p[0], 0x1234);
	CHECK_EQ(p[511], 0x5678);
	CHECK_EQ(p[1], 0);
}

TEST(frame_map_read_only)
{
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t f = kt_map_new_frame(va, M6_RIGHT_READ);
	REQUIRE(f);
	CHECK_EQ(*(volatile uint64_t *)(uintptr_t)va, 0);
	struct m6_msg m;
	CHECK_EQ(touch(va + 8, 1, &m), M6_FAULT_VM);
	CHECK_EQ(m.mr[1], va + 8);
	CHECK_EQ(m.mr[3], 0);
}

TEST(frame_map_wx_refused)
{
	uint64_t va = kt_region();
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(va && f);
	CHECK_ERR(m6_frame_map(f, M6_CAP_SELF_VSPACE, va, RW | M6_RIGHT_EXECUTE),
	          M6_ERR_INVALID_ARGUMENT);
	CHECK_ERR(m6_frame_map(f, M6_CAP_SELF_VSPACE, va, M6_RIGHT_WRITE | M6_RIGHT_EXECUTE),
	          M6_ERR_INVALID_ARGUMENT);
	/* nothing got mapped */
	struct m6_msg m;
	CHECK_EQ(touch(va, 0, &m), M6_FAULT_VM);
}

TEST(frame_map_execute)
{
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t f = kt_map_new_frame(va, RW);
	REQUIRE(f);
	volatile uint32_t *code = (volatile uint32_t *)(uintptr_t)va;
	code[0] = 0xd2800540; /* mov x0, #42 */
	code[1] = 0xd65f03c0; /* ret */
	/* map the same frame through a copy, executable, at the next page */
	m6_cptr_t f2 = kt_copy(f, M6_RIGHTS_ALL);
	REQUIRE(f2);
	REQUIRE_OK(m6_frame_map(f2, M6_CAP_SELF_VSPACE, va + 0x1000, RX));
	/* EL0 may not maintain caches itself: the frame invocation does it */
	REQUIRE_OK(m6_frame_clean_invalidate(f, 0, 4096));
	/* run it in a helper: if execution faults, the helper stops, not the suite */
	struct m6_msg m;
	CHECK_EQ(touch(va + 0x1000, 2, &m), 0);
	uint64_t r = touch_thread.out[0];
	CHECK_EQ(r, 42);
}

TEST(frame_execute_never_faults)
{
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t f = kt_map_new_frame(va, RW);
	REQUIRE(f);
	*(volatile uint32_t *)(uintptr_t)va = 0xd65f03c0; /* ret */
	struct m6_msg m;
	CHECK_EQ(touch(va, 2, &m), M6_FAULT_VM);
	CHECK_EQ(m.mr[0], va);
	CHECK_EQ(m.mr[1], va);
	CHECK_EQ(m.mr[3], 1);
}

TEST(frame_alias_two_mappings)
{
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t f = kt_map_new_frame(va, RW);
	REQUIRE(f);
	m6_cptr_t f2 = kt_copy(f, M6_RIGHTS_ALL);
	REQUIRE(f2);
	REQUIRE_OK(m6_frame_map(f2, M6_CAP_SELF_VSPACE, va + 0x5000, M6_RIGHT_READ));
	*(volatile uint64_t *)(uintptr_t)(va + 0x80) = 0xfeedface;
	CHECK_EQ(*(volatile uint64_t *)(uintptr_t)(va + 0x5080), 0xfeedface);
}

TEST(frame_map_same_cap_twice_refused)
{
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t f = kt_map_new_frame(va, RW);
	REQUIRE(f);
	CHECK_FAILS(m6_frame_map(f, M6_CAP_SELF_VSPACE, va + 0x1000, RW));
}

TEST(frame_remap_changes_rights)
{
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t f = kt_map_new_frame(va, M6_RIGHT_READ);
	REQUIRE(f);
	REQUIRE_OK(m6_frame_map(f, M6_CAP_SELF_VSPACE, va, RW));
	*(volatile uint64_t *)(uintptr_t)va = 7;
	CHECK_EQ(*(volatile uint64_t *)(uintptr_t)va, 7);
	REQUIRE_OK(m6_frame_map(f, M6_CAP_SELF_VSPACE, va, M6_RIGHT_READ));
	struct m6_msg m;
	CHECK_EQ(touch(va, 1, &m), M6_FAULT_VM);
	CHECK_EQ(*(volatile uint64_t *)(uintptr_t)va, 7);
}

TEST(frame_unmap)
{
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t f = kt_map_new_frame(va, RW);
	REQUIRE(f);
	*(volatile uint64_t *)(uintptr_t)va = 9;
	REQUIRE_OK(m6_frame_unmap(f));
	struct m6_msg m;
	CHECK_EQ(touch(va, 0, &m), M6_FAULT_VM);
	CHECK_EQ(m.mr[1], va);
	/* map again elsewhere: the data stayed in the frame */
	REQUIRE_OK(m6_frame_map(f, M6_CAP_SELF_VSPACE, va + 0x3000, RW));
	CHECK_EQ(*(volatile uint64_t *)(uintptr_t)(va + 0x3000), 9);
}

TEST(frame_delete_unmaps)
{
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t f = kt_map_new_frame(va, RW);
	REQUIRE(f);
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, f, 64));
	struct m6_msg m;
	CHECK_EQ(touch(va, 0, &m), M6_FAULT_VM);
}

TEST(frame_revoke_unmaps_copies)
{
	uint64_t va = kt_region();
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(va && f);
	m6_cptr_t c = kt_copy(f, M6_RIGHTS_ALL);
	REQUIRE(c);
	REQUIRE_OK(m6_frame_map(c, M6_CAP_SELF_VSPACE, va, RW));
	REQUIRE_OK(m6_cnode_revoke(M6_CAP_SELF_CNODE, f, 64));
	struct m6_msg m;
	CHECK_EQ(touch(va, 0, &m), M6_FAULT_VM);
}

TEST(frame_map_unaligned)
{
	uint64_t va = kt_region();
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(va && f);
	CHECK_ERR(m6_frame_map(f, M6_CAP_SELF_VSPACE, va + 0x800, RW), M6_ERR_ALIGNMENT);
}

TEST(frame_map_no_page_table)
{
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(f);
	CHECK_ERR(m6_frame_map(f, M6_CAP_SELF_VSPACE, 0x8000000000ull, RW), M6_ERR_FAILED_LOOKUP);
	CHECK_ERR(m6_frame_map(f, M6_CAP_SELF_VSPACE, kt_region_2m(), RW), M6_ERR_FAILED_LOOKUP);
}

TEST(frame_map_occupied)
{
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t f = kt_map_new_frame(va, RW);
	m6_cptr_t g = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(f && g);
	CHECK_ERR(m6_frame_map(g, M6_CAP_SELF_VSPACE, va, RW), M6_ERR_DELETE_FIRST);
	/* the program's own pages are occupied too */
	CHECK_ERR(m6_frame_map(g, M6_CAP_SELF_VSPACE, M6_LAYOUT_IMAGE_BASE, RW),
	          M6_ERR_DELETE_FIRST);
}

TEST(frame_map_outside_user_range)
{
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(f);
	CHECK_FAILS(m6_frame_map(f, M6_CAP_SELF_VSPACE, 0xffff000000000000ull, RW));
	CHECK_FAILS(m6_frame_map(f, M6_CAP_SELF_VSPACE, 1ull << 48, RW));
	CHECK_FAILS(m6_frame_map(f, M6_CAP_SELF_VSPACE, ~0xfffull, RW));
}

TEST(frame_map_bad_vspace)
{
	uint64_t va = kt_region();
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(va && f);
	CHECK_ERR(m6_frame_map(f, M6_CAP_SELF_CNODE, va, RW), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_frame_map(f, kt_slot(), va, RW), M6_ERR_INVALID_CAP);
}

TEST(frame_map_rights_beyond_cap)
{
	uint64_t va = kt_region();
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(va && f);
	m6_cptr_t r = kt_copy(f, M6_RIGHT_READ | M6_RIGHT_WRITE);
	REQUIRE(r);
	/* mapping is a use of the cap: needs write; mapping writable needs write too;
	 * executable needs execute */
	CHECK_ERR(m6_frame_map(r, M6_CAP_SELF_VSPACE, va, RX), M6_ERR_INSUFFICIENT_RIGHTS);
	m6_cptr_t ro = kt_copy(f, M6_RIGHT_READ);
	REQUIRE(ro);
	CHECK_ERR(m6_frame_map(ro, M6_CAP_SELF_VSPACE, va, RW), M6_ERR_INSUFFICIENT_RIGHTS);
}

TEST(frame_2m_map)
{
	uint64_t va = kt_region_2m();
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 21);
	REQUIRE(f);
	REQUIRE_OK(m6_frame_map(f, M6_CAP_SELF_VSPACE, va, RW));
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)va;
	p[0] = 1;
	p[0x1fffff / 8] = 2;
	CHECK_EQ(p[0], 1);
	CHECK_EQ(p[0x1fffff / 8], 2);
	REQUIRE_OK(m6_frame_unmap(f));
	struct m6_msg m;
	CHECK_EQ(touch(va + 0x100000, 0, &m), M6_FAULT_VM);
}

TEST(frame_2m_unaligned)
{
	uint64_t va = kt_region_2m();
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 21);
	REQUIRE(f);
	CHECK_ERR(m6_frame_map(f, M6_CAP_SELF_VSPACE, va + 0x1000, RW), M6_ERR_ALIGNMENT);
}

TEST(frame_2m_over_page_table)
{
	uint64_t va = kt_region();
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 21);
	REQUIRE(va && f);
	CHECK_FAILS(m6_frame_map(f, M6_CAP_SELF_VSPACE, va, RW));
}

TEST(page_table_levels_fresh_vspace)
{
	m6_cptr_t vs = kt_new_vspace();
	m6_cptr_t l1 = kt_new(M6_OBJ_PAGE_TABLE, 0), l2 = kt_new(M6_OBJ_PAGE_TABLE, 0),
	          l3 = kt_new(M6_OBJ_PAGE_TABLE, 0), f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(vs && l1 && l2 && l3 && f);
	const uint64_t va = 0x12345000ull & ~0x1fffffull;
	/* top-down only: each level needs the one above */
	CHECK_ERR(m6_page_table_map(l3, vs, va, 3), M6_ERR_FAILED_LOOKUP);
	CHECK_ERR(m6_frame_map(f, vs, va, RW), M6_ERR_FAILED_LOOKUP);
	/* each table's vaddr is aligned to the region it translates */
	CHECK_ERR(m6_page_table_map(l1, vs, va, 1), M6_ERR_ALIGNMENT);
	CHECK_OK(m6_page_table_map(l1, vs, 0, 1));
	CHECK_ERR(m6_page_table_map(l3, vs, va, 3), M6_ERR_FAILED_LOOKUP);
	CHECK_OK(m6_page_table_map(l2, vs, 0, 2));
	CHECK_OK(m6_page_table_map(l3, vs, va, 3));
	CHECK_OK(m6_frame_map(f, vs, va, RW));
}

TEST(page_table_map_twice)
{
	m6_cptr_t vs = kt_new_vspace();
	m6_cptr_t a = kt_new(M6_OBJ_PAGE_TABLE, 0), b = kt_new(M6_OBJ_PAGE_TABLE, 0);
	REQUIRE(vs && a && b);
	REQUIRE_OK(m6_page_table_map(a, vs, 0, 1));
	/* the same table again elsewhere, and another table at the same place */
	CHECK_FAILS(m6_page_table_map(a, vs, 0x8000000000ull, 1));
	CHECK_ERR(m6_page_table_map(b, vs, 0, 1), M6_ERR_DELETE_FIRST);
}

TEST(page_table_bad_level)
{
	m6_cptr_t vs = kt_new_vspace(), pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	REQUIRE(vs && pt);
	CHECK_FAILS(m6_page_table_map(pt, vs, 0, 0));
	CHECK_FAILS(m6_page_table_map(pt, vs, 0, 4));
	CHECK_FAILS(m6_page_table_map(pt, vs, 0, ~0ull));
}

TEST(page_table_bad_vspace)
{
	m6_cptr_t pt = kt_new(M6_OBJ_PAGE_TABLE, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(pt && n);
	CHECK_ERR(m6_page_table_map(pt, n, 0, 1), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_page_table_map(pt, kt_slot(), 0, 1), M6_ERR_INVALID_CAP);
}

TEST(page_table_unmap)
{
	uint64_t va = kt_region_2m();
	m6_cptr_t pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	REQUIRE(pt);
	REQUIRE_OK(m6_page_table_map(pt, M6_CAP_SELF_VSPACE, va, 3));
	m6_cptr_t f = kt_map_new_frame(va + 0x2000, RW);
	REQUIRE(f);
	*(volatile uint64_t *)(uintptr_t)(va + 0x2000) = 3;
	REQUIRE_OK(m6_page_table_unmap(pt));
	struct m6_msg m;
	CHECK_EQ(touch(va + 0x2000, 0, &m), M6_FAULT_VM);
	/* and back: the table comes back empty (it forgot the frame), the frame kept its
	 * contents, and its cap maps it again once its stale mapping is dropped */
	REQUIRE_OK(m6_page_table_map(pt, M6_CAP_SELF_VSPACE, va, 3));
	CHECK_EQ(touch(va + 0x2000, 0, &m), M6_FAULT_VM);
	CHECK_OK(m6_frame_unmap(f));
	REQUIRE_OK(m6_frame_map(f, M6_CAP_SELF_VSPACE, va + 0x2000, RW));
	CHECK_EQ(*(volatile uint64_t *)(uintptr_t)(va + 0x2000), 3);
}

TEST(page_table_copy_shares_one_mapping)
{
	m6_cptr_t pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	REQUIRE(pt);
	/* an unmapped table has one cap: a second could map it a second time */
	m6_cptr_t d = kt_slot();
	CHECK_ERR(m6_cnode_copy(M6_CAP_SELF_CNODE, d, 64, M6_CAP_SELF_CNODE, pt, 64, M6_RIGHTS_ALL),
	          M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(
	    m6_cnode_mint(M6_CAP_SELF_CNODE, d, 64, M6_CAP_SELF_CNODE, pt, 64, M6_RIGHTS_ALL, 0),
	    M6_ERR_ILLEGAL_OPERATION);
	uint64_t va = kt_region_2m(), va2 = kt_region_2m();
	REQUIRE(va && va2);
	REQUIRE_OK(m6_page_table_map(pt, M6_CAP_SELF_VSPACE, va, 3));
	/* a copy of a mapped table is that mapping: it maps nothing elsewhere */
	REQUIRE_OK(
	    m6_cnode_copy(M6_CAP_SELF_CNODE, d, 64, M6_CAP_SELF_CNODE, pt, 64, M6_RIGHTS_ALL));
	CHECK_ERR(m6_page_table_map(d, M6_CAP_SELF_VSPACE, va2, 3), M6_ERR_DELETE_FIRST);
	/* and no single copy pulls the mapping from under the others */
	CHECK_ERR(m6_page_table_unmap(pt), M6_ERR_REVOKE_FIRST);
	CHECK_ERR(m6_page_table_unmap(d), M6_ERR_REVOKE_FIRST);
	m6_cptr_t f = kt_map_new_frame(va, RW);
	REQUIRE(f);
	*(volatile uint64_t *)(uintptr_t)va = 5;
	/* deleting a copy keeps the mapping; the last cap's unmap removes it */
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, d, 64));
	CHECK_EQ(*(volatile uint64_t *)(uintptr_t)va, 5);
	CHECK_OK(m6_page_table_unmap(pt));
	struct m6_msg m;
	CHECK_EQ(touch(va, 0, &m), M6_FAULT_VM);
}

TEST(page_table_remapped_at_other_level_is_empty)
{
	/* The attack this stops: a level-3 table holds a page descriptor for frame f; read at
	 * level 2 the same bits are a table descriptor, so f's contents (written by its holder)
	 * would become page table entries, here one mapping f itself at `far`. */
	uint64_t va = kt_region_2m(), far = 0x7000000000ull;
	REQUIRE(va);
	m6_cptr_t pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	REQUIRE(pt);
	REQUIRE_OK(m6_page_table_map(pt, M6_CAP_SELF_VSPACE, va, 3));
	m6_cptr_t f = kt_map_new_frame(va, RW);
	REQUIRE(f);
	uint64_t pa;
	REQUIRE_OK(m6_frame_get_address(f, &pa));
	*(volatile uint64_t *)(uintptr_t)va = pa | 0x3 | (2ull << 2) | (1ull << 6) | (3ull << 8) |
	                                      (1ull << 10) | (1ull << 11) | (3ull << 53);
	REQUIRE_OK(m6_page_table_unmap(pt));
	REQUIRE_OK(m6_page_table_map(pt, M6_CAP_SELF_VSPACE, far, 2));
	struct m6_msg m;
	CHECK_EQ(touch(far, 0, &m), M6_FAULT_VM);
	CHECK_OK(m6_page_table_unmap(pt));
}

TEST(frame_labels_on_wrong_object)
{
	m6_cptr_t pt = kt_new(M6_OBJ_PAGE_TABLE, 0), f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(pt && f);
	uint64_t pa;
	CHECK_ERR(m6_frame_get_address(pt, &pa), M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(m6_page_table_unmap(f), M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(m6_frame_clean(M6_CAP_SELF_VSPACE, 0, 64), M6_ERR_ILLEGAL_OPERATION);
	struct m6_msg m = {.info = m6_msginfo(KT_BAD_LABEL, 0)};
	CHECK_ERR(m6_call(f, &m), M6_ERR_ILLEGAL_OPERATION);
}

TEST(frame_cache_maintenance)
{
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t f = kt_map_new_frame(va, RW);
	REQUIRE(f);
	*(volatile uint64_t *)(uintptr_t)va = 0x77;
	CHECK_OK(m6_frame_clean(f, 0, 4096));
	CHECK_OK(m6_frame_clean_invalidate(f, 64, 128));
	CHECK_OK(m6_frame_invalidate(f, 0, 64));
	CHECK_OK(m6_frame_clean(f, 4095, 4096));
	/* unmapped frames can be maintained too (DMA buffers need not be mapped) */
	m6_cptr_t g = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(g);
	CHECK_OK(m6_frame_clean_invalidate(g, 0, 4096));
}

TEST(frame_cache_maintenance_bad_range)
{
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(f);
	CHECK_FAILS(m6_frame_clean(f, 0, 4097));
	CHECK_FAILS(m6_frame_invalidate(f, 128, 64));
	CHECK_FAILS(m6_frame_clean_invalidate(f, 4096, 8192));
	CHECK_FAILS(m6_frame_clean(f, ~0ull - 10, 20));
}

TEST(frame_cache_maintenance_2m)
{
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 21);
	REQUIRE(f);
	CHECK_OK(m6_frame_clean_invalidate(f, 0, 0x200000));
	CHECK_FAILS(m6_frame_clean(f, 0, 0x200001));
	/* The kernel answers how far it got: all of it, or (stopped for an interrupt between
	 * 64 KiB chunks) a chunk boundary past the start, from where the caller goes on. */
	for (uint64_t start = 0x1000; start < 0x200000;) {
		struct m6_msg m = {.info = m6_msginfo(M6_FRAME_CLEAN, 2), .mr = {start, 0x200000}};
		REQUIRE_OK(m6_call(f, &m));
		REQUIRE_EQ(m6_msginfo_length(m.info), 1);
		uint64_t reached = m.mr[0];
		CHECK(reached > start && reached <= 0x200000);
		CHECK(reached == 0x200000 || (reached & 0xffff) == 0);
		start = reached;
	}
}

TEST(frame_get_address_distinct)
{
	m6_cptr_t a = kt_new(M6_OBJ_FRAME, 12), b = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(a && b);
	uint64_t pa = 0, pb = 0;
	REQUIRE_OK(m6_frame_get_address(a, &pa));
	REQUIRE_OK(m6_frame_get_address(b, &pb));
	CHECK(pa != pb);
	m6_cptr_t c = kt_copy(a, M6_RIGHT_READ);
	REQUIRE(c);
	uint64_t pc = 0;
	CHECK_OK(m6_frame_get_address(c, &pc));
	CHECK_EQ(pc, pa);
}

/* A tiny program for a foreign VSpace: store to 0x400000 (where ktest's own code is in
 * its VSpace), which this address space leaves unmapped. */
_Static_assert(M6_LAYOUT_IMAGE_BASE == 0x400000, "isolated_code's mov encodes the image base");
static const uint32_t isolated_code[] = {
    0xd2a00801, /* mov x1, #0x400000 */
    0xf9000020, /* str x0, [x1] */
    0x14000000, /* b . */
};

TEST(isolation_foreign_vspace)
{
	m6_cptr_t vs = kt_new_vspace();
	m6_cptr_t l1 = kt_new(M6_OBJ_PAGE_TABLE, 0), l2 = kt_new(M6_OBJ_PAGE_TABLE, 0),
	          l3 = kt_new(M6_OBJ_PAGE_TABLE, 0);
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(vs && l1 && l2 && l3 && ep);
	REQUIRE_OK(m6_page_table_map(l1, vs, 0, 1));
	REQUIRE_OK(m6_page_table_map(l2, vs, 0, 2));
	REQUIRE_OK(m6_page_table_map(l3, vs, 0, 3));
	/* the code page: written through a mapping in our VSpace, run RX in the other */
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t code = kt_map_new_frame(va, RW);
	REQUIRE(code);
	for (unsigned i = 0; i < 3; i++)
		((volatile uint32_t *)(uintptr_t)va)[i] = isolated_code[i];
	m6_cptr_t code2 = kt_copy(code, M6_RIGHTS_ALL);
	REQUIRE(code2);
	REQUIRE_OK(m6_frame_clean_invalidate(code, 0, 4096));
	REQUIRE_OK(m6_frame_map(code2, vs, 0x10000, RX));
	uint64_t before = *(volatile uint64_t *)(uintptr_t)M6_LAYOUT_IMAGE_BASE;
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0);
	REQUIRE(t);
	m6_cptr_t fep = kt_mint(ep, M6_RIGHTS_ALL, 0x150);
	REQUIRE(fep);
	REQUIRE_OK(m6_tcb_configure(t, fep, M6_CAP_SELF_CNODE, vs, 0, 0));
	REQUIRE_OK(m6_tcb_set_priority(t, M6_CAP_SELF_TCB, KT_HELPER_PRIO));
	uint64_t x0 = 0xbadbadbad;
	REQUIRE_OK(m6_tcb_write_registers(t, true, 0x10000, 0x20000, &x0, 1));
	struct m6_msg m;
	bool ok;
	uint64_t badge = kt_recv_poll(ep, &m, 100, &ok);
	REQUIRE(ok);
	CHECK_EQ(badge, 0x150);
	CHECK_EQ(m6_msginfo_label(m.info), M6_FAULT_VM);
	CHECK_EQ(m.mr[0], 0x10004);
	CHECK_EQ(m.mr[1], M6_LAYOUT_IMAGE_BASE);
	CHECK_EQ(m.mr[3], 0);
	m.info = m6_msginfo(M6_FAULT_REPLY_STOP, 0);
	m6_reply(&m);
	CHECK_EQ(*(volatile uint64_t *)(uintptr_t)M6_LAYOUT_IMAGE_BASE, before);
}

/* A VSpace of its own for a thread running `code` at CODE_VA, objects from `ut`; the
 * thread's faults go to `ep`. Returns the TCB (not from `ut`) or 0. The VSpace is retyped
 * last: a revoke of `ut` deletes the newest objects first, so the VSpace goes while its
 * page tables still hold the thread's code. */
#define CODE_VA 0x7000000000ull

static m6_cptr_t thread_in_own_vspace(m6_cptr_t ut, const uint32_t *code, unsigned words,
                                      m6_cptr_t ep, m6_cptr_t *vs_out)
{
	m6_cptr_t vs = kt_slot(), l1 = kt_slot(), l2 = kt_slot(), l3 = kt_slot(), f2 = kt_slot();
	uint64_t va = kt_region();
	if (!vs || !l1 || !l2 || !l3 || !f2 || !va ||
	    m6_untyped_retype(ut, M6_OBJ_PAGE_TABLE, 0, M6_CAP_SELF_CNODE, l1, 1) != M6_OK ||
	    m6_untyped_retype(ut, M6_OBJ_PAGE_TABLE, 0, M6_CAP_SELF_CNODE, l2, 1) != M6_OK ||
	    m6_untyped_retype(ut, M6_OBJ_PAGE_TABLE, 0, M6_CAP_SELF_CNODE, l3, 1) != M6_OK ||
	    m6_untyped_retype(ut, M6_OBJ_VSPACE, 0, M6_CAP_SELF_CNODE, vs, 1) != M6_OK ||
	    m6_asid_pool_assign(CAP_ASID_POOL, vs, NULL) != M6_OK ||
	    m6_page_table_map(l1, vs, 0, 1) != M6_OK ||
	    m6_page_table_map(l2, vs, CODE_VA, 2) != M6_OK ||
	    m6_page_table_map(l3, vs, CODE_VA, 3) != M6_OK)
		return 0;
	m6_cptr_t f = kt_map_new_frame(va, RW);
	if (!f)
		return 0;
	for (unsigned i = 0; i < words; i++)
		((volatile uint32_t *)(uintptr_t)va)[i] = code[i];
	if (m6_frame_clean_invalidate(f, 0, 4096) != M6_OK ||
	    m6_cnode_copy(M6_CAP_SELF_CNODE, f2, 64, M6_CAP_SELF_CNODE, f, 64, M6_RIGHTS_ALL) !=
	        M6_OK ||
	    m6_frame_map(f2, vs, CODE_VA, RX) != M6_OK)
		return 0;
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0);
	if (!t || m6_tcb_configure(t, ep, M6_CAP_SELF_CNODE, vs, 0, 0) != M6_OK ||
	    m6_tcb_set_priority(t, M6_CAP_SELF_TCB, KT_HELPER_PRIO) != M6_OK)
		return 0;
	*vs_out = vs;
	return t;
}

/* svc (x0..x8 preset: one invocation), then an unknown syscall: a thread still running
 * in its old address space gets that far and reports M6_FAULT_UNKNOWN_SYSCALL. */
static const uint32_t invoke_then_bad_syscall[] = {
    0xd4000001, /* svc #0 */
    0xd2800c68, /* mov x8, #99 */
    0xd4000001, /* svc #0 */
    0x14000000, /* b . */
};

/* Start `t` at CODE_VA with x0..x8 = regs; return the label of its fault on `ep`. */
static uint64_t run_to_fault(m6_cptr_t t, m6_cptr_t ep, const uint64_t regs[9], struct m6_msg *m)
{
	if (m6_tcb_write_registers(t, true, CODE_VA, 0, regs, 9) != M6_OK)
		return ~0ull;
	bool ok;
	kt_recv_poll(ep, m, 100, &ok);
	if (!ok)
		return ~0ull - 1;
	uint64_t label = m6_msginfo_label(m->info);
	struct m6_msg stop = {.info = m6_msginfo(M6_FAULT_REPLY_STOP, 0)};
	m6_reply(&stop);
	return label;
}

TEST(vspace_revoked_under_its_running_thread)
{
	/* The thread revokes the untyped its own VSpace came from: the VSpace dies while
	 * the thread is on the CPU, and its very next instruction fetch must fault rather
	 * than go on through freed page tables. */
	m6_cptr_t ut = kt_new(M6_OBJ_UNTYPED, 16), ep = kt_new(M6_OBJ_ENDPOINT, 0), vs = 0;
	REQUIRE(ut && ep);
	m6_cptr_t t = thread_in_own_vspace(ut, invoke_then_bad_syscall, 4, ep, &vs);
	REQUIRE(t);
	uint64_t regs[9] = {M6_CAP_SELF_CNODE, m6_msginfo(M6_CNODE_REVOKE, 2), ut, 64, 0, 0, 0, 0,
	                    M6_SYS_CALL};
	struct m6_msg m;
	CHECK_EQ(run_to_fault(t, ep, regs, &m), M6_FAULT_VM);
	/* The next fetch is the instruction after the svc, or, if an interrupt stopped the
	 * revoke at a preemption point after the VSpace had gone, the svc itself (the kernel
	 * rewound the pc to issue it again: kernel/preempt.h). Either way it faults. */
	CHECK(m.mr[0] == CODE_VA + 4 || m.mr[0] == CODE_VA);
	CHECK(!kt_occupied(vs));
}

TEST(vspace_configured_away_under_its_running_thread)
{
	/* The thread configures itself onto ktest's VSpace; its own one's last cap was the
	 * TCB's, so it is destroyed. The thread goes on in the new VSpace at once, where
	 * CODE_VA is unmapped. */
	m6_cptr_t ut = kt_new(M6_OBJ_UNTYPED, 16), ep = kt_new(M6_OBJ_ENDPOINT, 0), vs = 0;
	REQUIRE(ut && ep);
	m6_cptr_t t = thread_in_own_vspace(ut, invoke_then_bad_syscall, 4, ep, &vs);
	REQUIRE(t);
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, vs, 64));
	uint64_t regs[9] = {t,
	                    m6_msginfo(M6_TCB_CONFIGURE, 5),
	                    ep,
	                    M6_CAP_SELF_CNODE,
	                    M6_CAP_SELF_VSPACE,
	                    0,
	                    0,
	                    0,
	                    M6_SYS_CALL};
	struct m6_msg m;
	CHECK_EQ(run_to_fault(t, ep, regs, &m), M6_FAULT_VM);
	/* As above: the svc itself if an interrupt stopped the configure at a preemption
	 * point while it deleted the old VSpace, else the instruction after it. */
	CHECK(m.mr[0] == CODE_VA + 4 || m.mr[0] == CODE_VA);
}

/* SMP: the VSpace of a thread spinning on CPU 1 is revoked from CPU 0. That CPU is moved
 * off the dying tables before they are freed (docs/kernel.md, "Concurrency": TLB and
 * caches), so the thread's next fetch faults rather than running on through freed (and
 * reusable) page tables or stale TLB entries. */
static const uint32_t signal_then_spin[] = {
    0xd4000001, /* svc #0 (x0..x8 preset: a signal) */
    0x14000000, /* b . */
};

TEST(vspace_revoked_under_thread_on_other_cpu)
{
	struct m6_cpu_info info, c1;
	if (m6_sysinfo_cpu(CAP_SYSTEM_INFO, 0, &info) != M6_OK || info.cpu_count < 2 ||
	    m6_sysinfo_cpu(CAP_SYSTEM_INFO, 1, &c1) != M6_OK || !c1.online) {
		kt_puts("  (skipped: needs 2 CPUs)\n");
		return;
	}
	m6_cptr_t ut = kt_new(M6_OBJ_UNTYPED, 16), ep = kt_new(M6_OBJ_ENDPOINT, 0), vs = 0;
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ut && ep && n);
	m6_cptr_t sig = kt_mint(n, M6_RIGHT_WRITE, 1);
	REQUIRE(sig);
	m6_cptr_t t = thread_in_own_vspace(ut, signal_then_spin, 2, ep, &vs);
	REQUIRE(t);
	REQUIRE_OK(m6_tcb_set_affinity(t, 1));
	uint64_t regs[9] = {sig, 0, 0, 0, 0, 0, 0, 0, M6_SYS_SEND};
	REQUIRE_OK(m6_tcb_write_registers(t, true, CODE_VA, 0, regs, 9));
	/* It has signalled: it spins on CPU 1 in its own VSpace from here on. */
	REQUIRE_EQ(m6_wait(n), 1);
	REQUIRE_OK(m6_cnode_revoke(M6_CAP_SELF_CNODE, ut, 64));
	struct m6_msg m;
	bool ok;
	kt_recv_poll(ep, &m, 1000, &ok);
	REQUIRE(ok);
	CHECK_EQ(m6_msginfo_label(m.info), M6_FAULT_VM);
	CHECK_EQ(m.mr[0], CODE_VA + 4);
	struct m6_msg stop = {.info = m6_msginfo(M6_FAULT_REPLY_STOP, 0)};
	m6_reply(&stop);
	CHECK(!kt_occupied(vs));
	/* The untyped is whole again: all of its memory can be retyped anew. */
	m6_cptr_t again = kt_slot();
	REQUIRE(again);
	CHECK_OK(m6_untyped_retype(ut, M6_OBJ_UNTYPED, 16, M6_CAP_SELF_CNODE, again, 1));
}

const struct kt_test kt_suite_vspace[] = {
    KT_ENTRY(frame_map_rw),
    KT_ENTRY(frame_map_read_only),
    KT_ENTRY(frame_map_wx_refused),
    KT_ENTRY(frame_map_execute),
    KT_ENTRY(frame_execute_never_faults),
    KT_ENTRY(frame_alias_two_mappings),
    KT_ENTRY(frame_map_same_cap_twice_refused),
    KT_ENTRY(frame_remap_changes_rights),
    KT_ENTRY(frame_unmap),
    KT_ENTRY(frame_delete_unmaps),
    KT_ENTRY(frame_revoke_unmaps_copies),
    KT_ENTRY(frame_map_unaligned),
    KT_ENTRY(frame_map_no_page_table),
    KT_ENTRY(frame_map_occupied),
    KT_ENTRY(frame_map_outside_user_range),
    KT_ENTRY(frame_map_bad_vspace),
    KT_ENTRY(frame_map_rights_beyond_cap),
    KT_ENTRY(frame_2m_map),
    KT_ENTRY(frame_2m_unaligned),
    KT_ENTRY(frame_2m_over_page_table),
    KT_ENTRY(page_table_levels_fresh_vspace),
    KT_ENTRY(page_table_map_twice),
    KT_ENTRY(page_table_bad_level),
    KT_ENTRY(page_table_bad_vspace),
    KT_ENTRY(page_table_unmap),
    KT_ENTRY(frame_labels_on_wrong_object),
    KT_ENTRY(frame_cache_maintenance),
    KT_ENTRY(frame_cache_maintenance_bad_range),
    KT_ENTRY(frame_cache_maintenance_2m),
    KT_ENTRY(frame_get_address_distinct),
    KT_ENTRY(isolation_foreign_vspace),
    KT_ENTRY(page_table_copy_shares_one_mapping),
    KT_ENTRY(page_table_remapped_at_other_level_is_empty),
    KT_ENTRY(vspace_revoked_under_its_running_thread),
    KT_ENTRY(vspace_configured_away_under_its_running_thread),
    KT_ENTRY(vspace_revoked_under_thread_on_other_cpu),
    KT_END,
};
