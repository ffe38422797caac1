/* Rights on the caps an invocation names besides the invoked one: source and destination
 * CNodes, the VSpace a mapping goes into, the objects a TCB, IRQ handler or timer is
 * given. Each test takes away exactly one right and checks that the operation is refused
 * and nothing changed, then (where it makes sense) that the full cap works. */
#include "ktest.h"

#define ROOT  M6_CAP_SELF_CNODE
#define RW    (M6_RIGHT_READ | M6_RIGHT_WRITE)
#define SPI_C 42 /* an SPI no device on QEMU virt uses (t_irq_timer.c has 40, 41) */

/* ROOT without the write right: names the same slots, may not change them. */
static m6_cptr_t read_only_root(void)
{
	return kt_copy(ROOT, M6_RIGHT_READ);
}

TEST(rights_move_mutate_rotate_need_write_on_source_root)
{
	m6_cptr_t ro = read_only_root(), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ro && n);
	m6_cptr_t a = kt_copy(n, M6_RIGHTS_ALL), b = kt_copy(n, M6_RIGHTS_ALL), d = kt_slot();
	REQUIRE(a && b && d);
	CHECK_ERR(m6_cnode_move(ROOT, d, 64, ro, a, 64), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_cnode_mutate(ROOT, d, 64, ro, a, 64, 0), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_cnode_rotate(ROOT, d, 64, ro, a, 64, ROOT, b, 64, 0, 0),
	          M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_cnode_rotate(ROOT, d, 64, ROOT, a, 64, ro, b, 64, 0, 0),
	          M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK(kt_occupied(a) && kt_occupied(b) && !kt_occupied(d));
	/* copying out takes nothing away: a read-only view of a CNode may do that */
	CHECK_OK(m6_cnode_copy(ROOT, d, 64, ro, a, 64, M6_RIGHTS_ALL));
	REQUIRE_OK(m6_cnode_delete(ROOT, d, 64));
	CHECK_OK(m6_cnode_move(ROOT, d, 64, ROOT, a, 64));
}

TEST(rights_retype_needs_write_on_dest_cnode)
{
	m6_cptr_t ro = read_only_root(), d = kt_slot();
	REQUIRE(ro && d);
	CHECK_ERR(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_ENDPOINT, 0, ro, d, 1),
	          M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK(!kt_occupied(d));
	CHECK_OK(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_ENDPOINT, 0, ROOT, d, 1));
}

TEST(rights_irq_control_get_needs_write_on_dest_cnode)
{
	m6_cptr_t ro = read_only_root(), d = kt_slot();
	REQUIRE(ro && d);
	CHECK_ERR(m6_irq_control_get(CAP_IRQ_CONTROL, SPI_C, 0, ro, d), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK(!kt_occupied(d));
	/* the refused call did not take the line */
	CHECK_OK(m6_irq_control_get(CAP_IRQ_CONTROL, SPI_C, 0, ROOT, d));
}

TEST(rights_frame_invalidate_needs_write)
{
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(f);
	m6_cptr_t r = kt_copy(f, M6_RIGHT_READ);
	REQUIRE(r);
	CHECK_ERR(m6_frame_invalidate(r, 0, 64), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_frame_clean_invalidate(r, 0, 64), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_OK(m6_frame_clean(r, 0, 64)); /* changes no contents */
	CHECK_OK(m6_frame_invalidate(f, 0, 64));
}

TEST(rights_map_needs_write_on_vspace)
{
	m6_cptr_t vs = kt_copy(M6_CAP_SELF_VSPACE, M6_RIGHT_READ);
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12), pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	uint64_t va = kt_region(), va2m = kt_region_2m();
	REQUIRE(vs && f && pt && va && va2m);
	CHECK_ERR(m6_frame_map(f, vs, va, RW), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_page_table_map(pt, vs, va2m, 3), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_OK(m6_frame_map(f, M6_CAP_SELF_VSPACE, va, RW));
	CHECK_OK(m6_page_table_map(pt, M6_CAP_SELF_VSPACE, va2m, 3));
}

TEST(rights_page_table_unmap_needs_write)
{
	m6_cptr_t pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	uint64_t va = kt_region_2m();
	REQUIRE(pt && va);
	REQUIRE_OK(m6_page_table_map(pt, M6_CAP_SELF_VSPACE, va, 3));
	m6_cptr_t r = kt_copy(pt, M6_RIGHT_READ);
	REQUIRE(r);
	REQUIRE_OK(m6_cnode_delete(ROOT, pt, 64)); /* r is now the table's only cap */
	CHECK_ERR(m6_page_table_unmap(r), M6_ERR_INSUFFICIENT_RIGHTS);
	/* still mapped: a frame goes in below it */
	CHECK(kt_map_new_frame(va, RW) != 0);
}

TEST(rights_tcb_configure_fault_endpoint_and_ipc_buffer)
{
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0), ep = kt_new(M6_OBJ_ENDPOINT, 0);
	uint64_t va = kt_region();
	REQUIRE(t && ep && va);
	m6_cptr_t frame = kt_map_new_frame(va, RW);
	REQUIRE(frame);
	m6_cptr_t ep_r = kt_copy(ep, M6_RIGHT_READ), frame_r = kt_copy(frame, M6_RIGHT_READ);
	REQUIRE(ep_r && frame_r);
	/* faults are sent: the handler's endpoint cap needs write */
	CHECK_ERR(m6_tcb_configure(t, ep_r, ROOT, M6_CAP_SELF_VSPACE, 0, 0),
	          M6_ERR_INSUFFICIENT_RIGHTS);
	/* the kernel writes replies into the IPC buffer: it needs read and write */
	CHECK_ERR(m6_tcb_configure(t, ep, ROOT, M6_CAP_SELF_VSPACE, va, frame_r),
	          M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_OK(m6_tcb_configure(t, ep, ROOT, M6_CAP_SELF_VSPACE, va, frame));
}

TEST(rights_tcb_bind_needs_read_on_notification)
{
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(t && n);
	m6_cptr_t w = kt_copy(n, M6_RIGHT_WRITE);
	REQUIRE(w);
	CHECK_ERR(m6_tcb_bind_notification(t, w), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_OK(m6_tcb_bind_notification(t, n));
}

TEST(rights_irq_handler_needs_write)
{
	m6_cptr_t h = kt_slot(), n0 = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(h && n0);
	REQUIRE_OK(m6_irq_control_get(CAP_IRQ_CONTROL, SPI_C, 0, ROOT, h));
	m6_cptr_t n = kt_mint(n0, M6_RIGHTS_ALL, 1), nr = kt_mint(n0, M6_RIGHT_READ, 1);
	m6_cptr_t hr = kt_copy(h, M6_RIGHT_READ);
	REQUIRE(hr && nr);
	CHECK_ERR(m6_irq_handler_set_notification(hr, n), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_irq_handler_ack(hr), M6_ERR_INSUFFICIENT_RIGHTS);
	/* the handler signals the notification: its cap needs write */
	CHECK_ERR(m6_irq_handler_set_notification(h, nr), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_OK(m6_irq_handler_set_notification(h, n));
	CHECK_OK(m6_irq_handler_ack(h));
}

TEST(rights_timer_needs_write)
{
	m6_cptr_t t = kt_new(M6_OBJ_TIMER, 0), n0 = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(t && n0);
	m6_cptr_t n = kt_mint(n0, M6_RIGHTS_ALL, 1), nr = kt_mint(n0, M6_RIGHT_READ, 1);
	m6_cptr_t tr = kt_copy(t, M6_RIGHT_READ);
	REQUIRE(tr && nr);
	uint64_t later = kt_ticks() + kt_tick_freq();
	CHECK_ERR(m6_timer_set_notification(tr, n), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_timer_set(tr, later, 0), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_timer_set_notification(t, nr), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_OK(m6_timer_set_notification(t, n));
	CHECK_OK(m6_timer_set(t, later, 0));
	CHECK_OK(m6_timer_cancel(t));
}

const struct kt_test kt_suite_rights[] = {
    KT_ENTRY(rights_move_mutate_rotate_need_write_on_source_root),
    KT_ENTRY(rights_retype_needs_write_on_dest_cnode),
    KT_ENTRY(rights_irq_control_get_needs_write_on_dest_cnode),
    KT_ENTRY(rights_frame_invalidate_needs_write),
    KT_ENTRY(rights_map_needs_write_on_vspace),
    KT_ENTRY(rights_page_table_unmap_needs_write),
    KT_ENTRY(rights_tcb_configure_fault_endpoint_and_ipc_buffer),
    KT_ENTRY(rights_tcb_bind_needs_read_on_notification),
    KT_ENTRY(rights_irq_handler_needs_write),
    KT_ENTRY(rights_timer_needs_write),
    KT_END,
};
