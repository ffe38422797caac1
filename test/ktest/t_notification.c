/* Notifications: signal, wait, poll, badge OR-ing, rights, and bound notifications
 * delivered to a thread blocked on an endpoint. */
#include "ktest.h"

static bool nothing(uint64_t word)
{
	return word == 0 || word == M6_ERR_WOULD_BLOCK;
}

static uint64_t fn_wait(struct kt_thread *self)
{
	self->out[1] = 1;
	self->out[0] = m6_wait(self->arg[0]);
	return 0;
}

TEST(ntfn_signal_poll)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x100);
	REQUIRE(b);
	CHECK_OK(m6_signal(b));
	CHECK_EQ(m6_poll(n), 0x100);
}

TEST(ntfn_poll_empty)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	CHECK(nothing(m6_poll(n)));
}

TEST(ntfn_poll_clears)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x100);
	REQUIRE(b);
	CHECK_OK(m6_signal(b));
	CHECK_EQ(m6_poll(n), 0x100);
	CHECK(nothing(m6_poll(n)));
}

TEST(ntfn_badges_or)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t a = kt_mint(n, M6_RIGHT_WRITE, 0x100), b = kt_mint(n, M6_RIGHT_WRITE, 0x2000);
	REQUIRE(a && b);
	CHECK_OK(m6_signal(a));
	CHECK_OK(m6_signal(b));
	CHECK_OK(m6_signal(a));
	CHECK_EQ(m6_poll(n), 0x2100);
}

TEST(ntfn_signal_with_nbsend)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x800);
	REQUIRE(b);
	CHECK_OK(kt_nbsend(b));
	CHECK_EQ(m6_poll(n), 0x800);
}

TEST(ntfn_wait_pending)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x300);
	REQUIRE(b);
	CHECK_OK(m6_signal(b));
	CHECK_EQ(m6_wait(n), 0x300);
}

TEST(ntfn_wait_blocks_until_signal)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x4000);
	REQUIRE(b);
	struct kt_thread t;
	t.arg[0] = n;
	REQUIRE(kt_thread_start(&t, fn_wait, KT_HELPER_PRIO));
	REQUIRE(t.out[1]);
	CHECK(!t.done);
	CHECK_OK(m6_signal(b));
	CHECK(kt_join(&t, 100));
	CHECK_EQ(t.out[0], 0x4000);
}

TEST(ntfn_signal_needs_write)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t r = kt_mint(n, M6_RIGHT_READ, 0x100);
	REQUIRE(r);
	CHECK_ERR(m6_signal(r), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK(nothing(m6_poll(n)));
}

TEST(ntfn_wait_needs_read)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t w = kt_copy(n, M6_RIGHT_WRITE);
	REQUIRE(w);
	struct m6_msg m = {0};
	CHECK_ERR(kt_nbrecv(w, &m), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_recv(w, &m), M6_ERR_INSUFFICIENT_RIGHTS);
}

TEST(ntfn_deleted_cap)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, n, 64));
	struct m6_msg m = {0};
	CHECK_ERR(m6_signal(n), M6_ERR_INVALID_CAP);
	CHECK_ERR(kt_nbrecv(n, &m), M6_ERR_INVALID_CAP);
}

/* arg[0] endpoint: receive once; out[0] badge/word, out[1] info. */
static uint64_t fn_recv(struct kt_thread *self)
{
	struct m6_msg m = {0};
	self->out[2] = 1;
	m6_recv(self->arg[0], &m);
	self->out[0] = m.badge;
	self->out[1] = m.info;
	self->out[3] = m.mr[0];
	return 0;
}

TEST(ntfn_bound_delivered_to_endpoint_receiver)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ep && n);
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x400);
	REQUIRE(b);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_create(&t, fn_recv, KT_HELPER_PRIO));
	REQUIRE_OK(m6_tcb_bind_notification(t.tcb, n));
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	REQUIRE(t.out[2]);
	CHECK(!t.done);
	CHECK_OK(m6_signal(b));
	REQUIRE(kt_join(&t, 100));
	CHECK_EQ(m6_msginfo_label(t.out[1]), M6_LABEL_NOTIFICATION);
	CHECK_EQ(t.out[0], 0x400);
}

TEST(ntfn_bound_pending_before_recv)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ep && n);
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x1400);
	REQUIRE(b);
	CHECK_OK(m6_signal(b));
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_create(&t, fn_recv, KT_HELPER_PRIO));
	REQUIRE_OK(m6_tcb_bind_notification(t.tcb, n));
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	REQUIRE(kt_join(&t, 100));
	CHECK_EQ(m6_msginfo_label(t.out[1]), M6_LABEL_NOTIFICATION);
	CHECK_EQ(t.out[0], 0x1400);
}

TEST(ntfn_bound_endpoint_message_still_works)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ep && n);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_create(&t, fn_recv, KT_HELPER_PRIO));
	REQUIRE_OK(m6_tcb_bind_notification(t.tcb, n));
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	struct m6_msg m = {.info = m6_msginfo(5, 1), .mr = {0x66}};
	CHECK_OK(m6_send(ep, &m));
	REQUIRE(kt_join(&t, 100));
	CHECK_EQ(m6_msginfo_label(t.out[1]), 5);
	CHECK_EQ(t.out[3], 0x66);
}

TEST(ntfn_bound_main_thread)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ep && n);
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x9000);
	REQUIRE(b);
	REQUIRE_OK(m6_tcb_bind_notification(M6_CAP_SELF_TCB, n));
	CHECK_OK(m6_signal(b));
	struct m6_msg m;
	CHECK_OK(kt_nbrecv(ep, &m));
	CHECK_EQ(m.badge, 0x9000);
	CHECK_EQ(m6_msginfo_label(m.info), M6_LABEL_NOTIFICATION);
	REQUIRE_OK(m6_tcb_unbind_notification(M6_CAP_SELF_TCB));
	/* unbound: the endpoint no longer reports it */
	CHECK_OK(m6_signal(b));
	CHECK_ERR(kt_nbrecv(ep, &m), M6_ERR_WOULD_BLOCK);
	CHECK_EQ(m6_poll(n), 0x9000);
}

TEST(ntfn_two_waiters)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x100);
	REQUIRE(b);
	struct kt_thread t1, t2;
	t1.arg[0] = t2.arg[0] = n;
	REQUIRE(kt_thread_start(&t1, fn_wait, KT_HELPER_PRIO));
	REQUIRE(kt_thread_start(&t2, fn_wait, KT_HELPER_PRIO));
	CHECK_OK(m6_signal(b));
	CHECK(t1.done);
	CHECK(!t2.done);
	CHECK_OK(m6_signal(b));
	CHECK(kt_join(&t2, 100));
}

TEST(ntfn_unbadged_cap_cannot_signal)
{
	/* A badge of 0 would set no bit: a signal through such a cap is refused (a waiter
	 * never wakes to a zero word), and so is handing one to a timer or an IRQ. */
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0), tm = kt_new(M6_OBJ_TIMER, 0);
	REQUIRE(n && tm);
	struct kt_thread t;
	t.arg[0] = n;
	REQUIRE(kt_thread_start(&t, fn_wait, KT_HELPER_PRIO));
	CHECK_ERR(m6_signal(n), M6_ERR_INVALID_CAP);
	CHECK(!kt_join(&t, 10)); /* still waiting */
	CHECK_ERR(m6_timer_set_notification(tm, n), M6_ERR_INVALID_CAP);
	m6_cptr_t irq = kt_slot();
	REQUIRE(irq);
	REQUIRE_OK(m6_irq_control_get(CAP_IRQ_CONTROL, 43, 0, M6_CAP_SELF_CNODE, irq));
	CHECK_ERR(m6_irq_handler_set_notification(irq, n), M6_ERR_INVALID_CAP);
	/* a badged copy works */
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x8);
	REQUIRE(b);
	CHECK_OK(m6_signal(b));
	REQUIRE(kt_join(&t, 10));
	CHECK_EQ(t.out[0], 0x8);
}

const struct kt_test kt_suite_notification[] = {
    KT_ENTRY(ntfn_signal_poll),
    KT_ENTRY(ntfn_poll_empty),
    KT_ENTRY(ntfn_poll_clears),
    KT_ENTRY(ntfn_badges_or),
    KT_ENTRY(ntfn_signal_with_nbsend),
    KT_ENTRY(ntfn_wait_pending),
    KT_ENTRY(ntfn_wait_blocks_until_signal),
    KT_ENTRY(ntfn_signal_needs_write),
    KT_ENTRY(ntfn_wait_needs_read),
    KT_ENTRY(ntfn_deleted_cap),
    KT_ENTRY(ntfn_bound_delivered_to_endpoint_receiver),
    KT_ENTRY(ntfn_bound_pending_before_recv),
    KT_ENTRY(ntfn_bound_endpoint_message_still_works),
    KT_ENTRY(ntfn_bound_main_thread),
    KT_ENTRY(ntfn_two_waiters),
    KT_ENTRY(ntfn_unbadged_cap_cannot_signal),
    KT_END,
};
