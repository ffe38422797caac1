/* IPC: send/nbsend/recv/nbrecv/call/reply/reply_recv, badges, message registers in
 * registers and the IPC buffer, cap transfer, FIFO order and priority-correct wakeups. */
#include "ktest.h"

/* Stand-in for helpers that run without an IPC buffer. */
static struct m6_ipc_buffer no_buffer;

static struct m6_ipc_buffer *buffer_of(struct kt_thread *self)
{
	return self->ipc ? self->ipc : &no_buffer;
}

/* arg[0] = endpoint: receive once, record badge, info and up to 64 MRs in out/ipc. */
static uint64_t fn_recv_once(struct kt_thread *self)
{
	struct m6_msg m = {0};
	self->out[6] = 1;
	m6_recv(self->arg[0], &m);
	self->out[0] = m.badge;
	self->out[1] = m.info;
	self->out[2] = m.mr[0];
	self->out[3] = m.mr[1];
	self->out[4] = m.mr[5];
	uint64_t sum = 0;
	for (unsigned i = 0; i < m6_msginfo_length(m.info) && i < 64; i++)
		sum = sum * 31 + m6_mr_get_buf(buffer_of(self), &m, i);
	self->out[5] = sum;
	return 0;
}

/* arg[0] = endpoint, arg[1] = label: send once with MR0 = arg[2]. */
static uint64_t fn_send_once(struct kt_thread *self)
{
	struct m6_msg m = {.info = m6_msginfo(self->arg[1], 1), .mr = {self->arg[2]}};
	self->out[6] = 1;
	self->out[0] = m6_send(self->arg[0], &m);
	return 0;
}

/* arg[0] = endpoint: a server answering label+1 and MRs xor 0xff, arg[1] calls. */
static uint64_t fn_server(struct kt_thread *self)
{
	struct m6_msg m = {0};
	m6_recv(self->arg[0], &m);
	uint64_t badge = m.badge;
	for (uint64_t n = 0;; n++) {
		self->out[0] = badge;
		self->out[1]++;
		uint64_t len = m6_msginfo_length(m.info);
		for (unsigned i = 0; i < len && i < 64; i++)
			m6_mr_set_buf(buffer_of(self), &m, i,
			              m6_mr_get_buf(buffer_of(self), &m, i) ^ 0xff);
		m.info = m6_msginfo(m6_msginfo_label(m.info) + 1, len);
		if (n + 1 >= self->arg[1]) {
			self->out[2] = m6_reply(&m);
			return 0;
		}
		m6_reply_recv(self->arg[0], &m);
		badge = m.badge;
	}
}

static uint64_t send_msg(m6_cptr_t ep, uint64_t label, unsigned len, uint64_t seed)
{
	struct m6_msg m = {.info = m6_msginfo(label, len)};
	for (unsigned i = 0; i < len; i++)
		m6_mr_set(&m, i, seed + i * 0x10001);
	return m6_send(ep, &m);
}

static uint64_t expected_sum(unsigned len, uint64_t seed)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < len; i++)
		sum = sum * 31 + seed + i * 0x10001;
	return sum;
}

TEST(ipc_send_recv)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, fn_recv_once, KT_HELPER_PRIO));
	REQUIRE(t.out[6]);
	CHECK_OK(send_msg(ep, 0x42, 3, 100));
	REQUIRE(kt_join(&t, 100));
	CHECK_EQ(t.out[0], 0);
	CHECK_EQ(m6_msginfo_label(t.out[1]), 0x42);
	CHECK_EQ(m6_msginfo_length(t.out[1]), 3);
	CHECK_EQ(t.out[2], 100);
	CHECK_EQ(t.out[3], 100 + 0x10001);
}

TEST(ipc_recv_from_waiting_sender)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	t.arg[1] = 0x99;
	t.arg[2] = 0xabcdef;
	REQUIRE(kt_thread_start(&t, fn_send_once, KT_HELPER_PRIO));
	struct m6_msg m = {0};
	m6_recv(ep, &m);
	uint64_t badge = m.badge;
	CHECK_EQ(badge, 0);
	CHECK_EQ(m6_msginfo_label(m.info), 0x99);
	CHECK_EQ(m.mr[0], 0xabcdef);
	CHECK(kt_join(&t, 100));
	CHECK_OK(t.out[0]);
}

TEST(ipc_nbsend_no_receiver)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	CHECK_ERR(kt_nbsend(ep), M6_ERR_WOULD_BLOCK);
}

TEST(ipc_nbsend_to_receiver)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, fn_recv_once, KT_HELPER_PRIO));
	struct m6_msg m = {.word0 = ep, .info = m6_msginfo(7, 1), .mr = {0x1122}};
	m6_syscall(M6_SYS_NBSEND, &m);
	CHECK_OK(m.word0);
	REQUIRE(kt_join(&t, 100));
	CHECK_EQ(t.out[2], 0x1122);
}

TEST(ipc_nbrecv_no_sender)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct m6_msg m;
	CHECK_ERR(kt_nbrecv(ep, &m), M6_ERR_WOULD_BLOCK);
	CHECK_EQ(m.info, 0);
}

TEST(ipc_nbrecv_from_sender)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t b = kt_mint(ep, M6_RIGHTS_ALL, 0x5151);
	REQUIRE(b);
	struct kt_thread t;
	t.arg[0] = b;
	t.arg[1] = 3;
	t.arg[2] = 0x77;
	REQUIRE(kt_thread_start(&t, fn_send_once, KT_HELPER_PRIO));
	struct m6_msg m;
	CHECK_OK(kt_nbrecv(ep, &m));
	CHECK_EQ(m.badge, 0x5151);
	CHECK_EQ(m.mr[0], 0x77);
}

TEST(ipc_badge)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t b = kt_mint(ep, M6_RIGHT_WRITE, 0xfffffffffffffull);
	REQUIRE(b);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, fn_recv_once, KT_HELPER_PRIO));
	CHECK_OK(send_msg(b, 1, 0, 0));
	REQUIRE(kt_join(&t, 100));
	CHECK_EQ(t.out[0], 0xfffffffffffffull);
}

TEST(ipc_call_reply)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t b = kt_mint(ep, M6_RIGHT_WRITE | M6_RIGHT_GRANT_REPLY, 0x66);
	REQUIRE(b);
	struct kt_thread t;
	t.arg[0] = ep;
	t.arg[1] = 1;
	REQUIRE(kt_thread_start(&t, fn_server, KT_HELPER_PRIO));
	struct m6_msg m = {.info = m6_msginfo(10, 2), .mr = {0x100, 0x200}};
	CHECK_OK(m6_call(b, &m));
	CHECK_EQ(m6_msginfo_label(m.info), 11);
	CHECK_EQ(m6_msginfo_length(m.info), 2);
	CHECK_EQ(m.mr[0], 0x1ff);
	CHECK_EQ(m.mr[1], 0x2ff);
	REQUIRE(kt_join(&t, 100));
	CHECK_EQ(t.out[0], 0x66);
	CHECK_OK(t.out[2]);
}

TEST(ipc_reply_recv_loop)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	t.arg[1] = 20;
	REQUIRE(kt_thread_start(&t, fn_server, KT_HELPER_PRIO));
	unsigned good = 0;
	for (unsigned i = 0; i < 20; i++) {
		struct m6_msg m = {.info = m6_msginfo(i, 1), .mr = {i}};
		if (m6_call(ep, &m) == M6_OK && m6_msginfo_label(m.info) == i + 1 &&
		    m.mr[0] == (i ^ 0xff))
			good++;
	}
	CHECK_EQ(good, 20);
	CHECK(kt_join(&t, 100));
}

TEST(ipc_call_server_at_lower_priority)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	t.arg[1] = 5;
	/* the server runs only when main blocks in its call */
	REQUIRE(kt_thread_start(&t, fn_server, KT_MAIN_PRIO - 10));
	unsigned good = 0;
	for (unsigned i = 0; i < 5; i++) {
		struct m6_msg m = {.info = m6_msginfo(i, 1), .mr = {i}};
		if (m6_call(ep, &m) == M6_OK && m.mr[0] == (i ^ 0xff))
			good++;
	}
	CHECK_EQ(good, 5);
}

TEST(ipc_64_words)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, fn_recv_once, KT_HELPER_PRIO));
	REQUIRE(t.ipc);
	CHECK_OK(send_msg(ep, 5, 64, 0x1000));
	REQUIRE(kt_join(&t, 100));
	CHECK_EQ(m6_msginfo_length(t.out[1]), 64);
	CHECK_EQ(t.out[5], expected_sum(64, 0x1000));
	CHECK_EQ(t.ipc->mr[63], 0x1000 + 63 * 0x10001);
}

TEST(ipc_call_64_words_both_ways)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	t.arg[1] = 1;
	REQUIRE(kt_thread_start(&t, fn_server, KT_HELPER_PRIO));
	struct m6_msg m = {.info = m6_msginfo(1, 64)};
	for (unsigned i = 0; i < 64; i++)
		m6_mr_set(&m, i, 0x5000 + i);
	REQUIRE_OK(m6_call(ep, &m));
	CHECK_EQ(m6_msginfo_length(m.info), 64);
	unsigned wrong = 0;
	for (unsigned i = 0; i < 64; i++)
		wrong += m6_mr_get(&m, i) != ((0x5000 + i) ^ 0xff);
	CHECK_EQ(wrong, 0);
}

TEST(ipc_length_65_refused)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, fn_recv_once, KT_HELPER_PRIO));
	struct m6_msg m = {.info = m6_msginfo(1, 65)};
	CHECK_ERR(m6_send(ep, &m), M6_ERR_INVALID_ARGUMENT);
	CHECK(!t.done);
}

TEST(ipc_truncated_to_receiver)
{
	/* a receiver without an IPC buffer gets the register part only */
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_create(&t, fn_recv_once, KT_HELPER_PRIO));
	REQUIRE_OK(
	    m6_tcb_configure(t.tcb, KT_SLOT_FAULT_EP, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0));
	t.ipc = NULL; /* fn_recv_once then reads a stand-in: no buffer of its own */
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	CHECK_OK(send_msg(ep, 5, 20, 0x1000));
	REQUIRE(kt_join(&t, 100));
	CHECK_EQ(m6_msginfo_length(t.out[1]), 6);
}

TEST(ipc_send_needs_write)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t r = kt_copy(ep, M6_RIGHT_READ);
	REQUIRE(r);
	CHECK_ERR(send_msg(r, 1, 0, 0), M6_ERR_INSUFFICIENT_RIGHTS);
	struct m6_msg m = {.info = m6_msginfo(1, 0)};
	CHECK_ERR(m6_call(r, &m), M6_ERR_INSUFFICIENT_RIGHTS);
}

TEST(ipc_recv_needs_read)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t w = kt_copy(ep, M6_RIGHT_WRITE);
	REQUIRE(w);
	struct m6_msg m = {0};
	CHECK_ERR(m6_recv(w, &m), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(kt_nbrecv(w, &m), M6_ERR_INSUFFICIENT_RIGHTS);
}

TEST(ipc_bad_caps)
{
	m6_cptr_t e = kt_slot();
	struct m6_msg m = {0};
	CHECK_ERR(send_msg(e, 1, 0, 0), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_recv(e, &m), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_recv(M6_CAP_SELF_TCB, &m), M6_ERR_INVALID_CAP);
	CHECK_ERR(send_msg(M6_CAP_SELF_CNODE, 1, 0, 0), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_recv(1ull << 50, &m), M6_ERR_FAILED_LOOKUP);
}

TEST(ipc_call_without_grant_reply)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t w = kt_copy(ep, M6_RIGHT_WRITE);
	REQUIRE(w);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, fn_recv_once, KT_HELPER_PRIO));
	struct m6_msg m = {.info = m6_msginfo(3, 1), .mr = {0x31}};
	/* delivered, but the caller does not wait for an answer that cannot come */
	CHECK_ERR(m6_call(w, &m), M6_ERR_INSUFFICIENT_RIGHTS);
	REQUIRE(kt_join(&t, 100));
	CHECK_EQ(t.out[2], 0x31);
}

TEST(ipc_reply_without_caller)
{
	struct m6_msg m = {.info = m6_msginfo(1, 0)};
	CHECK_ERR(m6_reply(&m), M6_ERR_NO_REPLY);
}

static uint64_t fn_recv_then_suspend(struct kt_thread *self)
{
	struct m6_msg m = {0};
	m6_recv(self->arg[0], &m);
	m6_tcb_suspend(self->tcb);
	return 0;
}

TEST(ipc_callee_stops_caller_gets_no_reply)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, fn_recv_then_suspend, KT_HELPER_PRIO));
	struct m6_msg m = {.info = m6_msginfo(1, 0)};
	CHECK_ERR(m6_call(ep, &m), M6_ERR_NO_REPLY);
}

TEST(ipc_fifo_senders)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t[4];
	for (unsigned i = 0; i < 4; i++) {
		t[i].arg[0] = kt_mint(ep, M6_RIGHT_WRITE, 0x100 + i);
		t[i].arg[1] = 1;
		t[i].arg[2] = i;
		REQUIRE(t[i].arg[0]);
		REQUIRE(kt_thread_start(&t[i], fn_send_once, KT_HELPER_PRIO));
	}
	for (unsigned i = 0; i < 4; i++) {
		struct m6_msg m = {0};
		CHECK_OK(m6_recv(ep, &m));
		CHECK_EQ(m.badge, 0x100 + i);
		CHECK_EQ(m.mr[0], i);
	}
}

TEST(ipc_fifo_receivers)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t[3];
	for (unsigned i = 0; i < 3; i++) {
		t[i].arg[0] = ep;
		REQUIRE(kt_thread_start(&t[i], fn_recv_once, KT_HELPER_PRIO));
	}
	for (unsigned i = 0; i < 3; i++)
		CHECK_OK(send_msg(ep, 1, 1, 0x700 + i));
	for (unsigned i = 0; i < 3; i++) {
		kt_join(&t[i], 100);
		CHECK_EQ(t[i].out[2], 0x700 + i);
	}
}

TEST(ipc_wakes_higher_priority_first)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, fn_recv_once, KT_HELPER_PRIO));
	REQUIRE(t.out[6]);
	CHECK_OK(send_msg(ep, 1, 1, 5));
	/* the receiver outranks main: it ran to completion before send returned */
	CHECK(t.done);
}

TEST(ipc_wakes_lower_priority_later)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, fn_recv_once, KT_HELPER_PRIO));
	REQUIRE(t.out[6]);
	REQUIRE_OK(m6_tcb_set_priority(t.tcb, M6_CAP_SELF_TCB, KT_MAIN_PRIO - 10));
	CHECK_OK(send_msg(ep, 1, 1, 5));
	CHECK(!t.done);
	/* Main keeps the CPU across timer ticks too: it spins through at least two default
	 * 10 ms timeslices by the counter (a minimum, not a window: a host that stalls QEMU
	 * only adds ticks). */
	uint64_t start = kt_ticks();
	while (kt_ticks() - start < kt_tick_freq() / 1000 * 25)
		;
	CHECK(!t.done);
	REQUIRE_OK(m6_tcb_set_priority(t.tcb, M6_CAP_SELF_TCB, KT_HELPER_PRIO));
	CHECK(kt_join(&t, 10));
}

/* Receive once with a receive slot set: arg[0] endpoint, arg[1] slot. */
static uint64_t fn_recv_cap(struct kt_thread *self)
{
	/* arg[2]: 0 receive into the root CNode, 1 into none, 2 through the cap in arg[3] */
	m6_cptr_t root = self->arg[2] == 0   ? M6_CAP_SELF_CNODE
	                 : self->arg[2] == 2 ? self->arg[3]
	                                     : 0;
	m6_set_receive_slot(buffer_of(self), root, self->arg[1], 64);
	struct m6_msg m = {0};
	m6_recv(self->arg[0], &m);
	self->out[0] = m.badge;
	self->out[1] = m.info;
	return 0;
}

static uint64_t send_cap(m6_cptr_t ep, m6_cptr_t cap)
{
	struct m6_msg m = {.info = m6_msginfo_caps_set(9, 0, 1)};
	m6_set_send_cap(KT_IPC, cap);
	uint64_t err = m6_send(ep, &m);
	m6_set_send_cap(KT_IPC, 0);
	return err;
}

TEST(ipc_cap_transfer_grant)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ep && n);
	m6_cptr_t nb = kt_mint(n, M6_RIGHTS_ALL, 0x4400);
	REQUIRE(nb);
	struct kt_thread t;
	t.arg[0] = ep;
	t.arg[1] = kt_slot();
	t.arg[2] = 0; /* accept the cap */
	REQUIRE(kt_thread_start(&t, fn_recv_cap, KT_HELPER_PRIO));
	REQUIRE(t.ipc);
	CHECK_OK(send_cap(ep, nb));
	REQUIRE(kt_join(&t, 100));
	CHECK_EQ(m6_msginfo_caps(t.out[1]), 1);
	CHECK_EQ(m6_msginfo_label(t.out[1]), 9);
	/* the received cap is a copy with the same badge */
	m6_poll(n);
	CHECK_OK(m6_signal(t.arg[1]));
	CHECK_EQ(m6_poll(n), 0x4400);
	CHECK(kt_occupied(nb));
}

TEST(ipc_cap_transfer_needs_grant)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ep && n);
	m6_cptr_t w = kt_copy(ep, M6_RIGHT_WRITE);
	REQUIRE(w);
	struct kt_thread t;
	t.arg[0] = ep;
	t.arg[1] = kt_slot();
	REQUIRE(kt_thread_start(&t, fn_recv_cap, KT_HELPER_PRIO));
	uint64_t err = send_cap(w, n);
	/* refused outright, or delivered without the cap: never a cap without grant */
	if (err == M6_OK) {
		kt_join(&t, 100);
		CHECK_EQ(m6_msginfo_caps(t.out[1]), 0);
	}
	CHECK(!kt_occupied(t.arg[1]));
}

TEST(ipc_cap_transfer_receiver_refuses)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ep && n);
	struct kt_thread t;
	t.arg[0] = ep;
	t.arg[1] = kt_slot();
	t.arg[2] = 1; /* receive_cnode 0 */
	REQUIRE(kt_thread_start(&t, fn_recv_cap, KT_HELPER_PRIO));
	CHECK_OK(send_cap(ep, n));
	REQUIRE(kt_join(&t, 100));
	CHECK_EQ(m6_msginfo_caps(t.out[1]), 0);
	CHECK(!kt_occupied(t.arg[1]));
}

TEST(ipc_cap_transfer_needs_write_on_receive_cnode)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t ro = kt_copy(M6_CAP_SELF_CNODE, M6_RIGHT_READ);
	REQUIRE(ep && n && ro);
	struct kt_thread t;
	t.arg[0] = ep;
	t.arg[1] = kt_slot();
	t.arg[2] = 2;
	t.arg[3] = ro;
	REQUIRE(kt_thread_start(&t, fn_recv_cap, KT_HELPER_PRIO));
	CHECK_OK(send_cap(ep, n));
	REQUIRE(kt_join(&t, 100));
	/* the message arrives, the cap does not: the receive CNode may not be changed */
	CHECK_EQ(m6_msginfo_label(t.out[1]), 9);
	CHECK_EQ(m6_msginfo_caps(t.out[1]), 0);
	CHECK(!kt_occupied(t.arg[1]));
}

TEST(ipc_cap_transfer_unmapped_page_table_refused)
{
	/* An unmapped page table has exactly one cap (docs/abi.md): IPC does not make a
	 * second one; the message still arrives. */
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), pt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	REQUIRE(ep && pt);
	struct kt_thread t;
	t.arg[0] = ep;
	t.arg[1] = kt_slot();
	t.arg[2] = 0; /* would accept a cap */
	REQUIRE(kt_thread_start(&t, fn_recv_cap, KT_HELPER_PRIO));
	CHECK_OK(send_cap(ep, pt));
	REQUIRE(kt_join(&t, 100));
	CHECK_EQ(m6_msginfo_label(t.out[1]), 9);
	CHECK_EQ(m6_msginfo_caps(t.out[1]), 0);
	CHECK(!kt_occupied(t.arg[1]));
}

TEST(ipc_cap_transfer_slot_occupied)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t busy = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ep && n && busy);
	struct kt_thread t;
	t.arg[0] = ep;
	t.arg[1] = busy;
	REQUIRE(kt_thread_start(&t, fn_recv_cap, KT_HELPER_PRIO));
	CHECK_OK(send_cap(ep, n));
	REQUIRE(kt_join(&t, 100));
	/* the message arrives; the cap does not overwrite anything */
	CHECK_EQ(m6_msginfo_caps(t.out[1]), 0);
	struct m6_msg m;
	CHECK_OK(kt_nbrecv(busy, &m));
}

TEST(ipc_cap_transfer_bad_send_cap)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	t.arg[1] = kt_slot();
	REQUIRE(kt_thread_start(&t, fn_recv_cap, KT_HELPER_PRIO));
	CHECK_FAILS(send_cap(ep, kt_slot()));
}

TEST(ipc_registers_preserved)
{
	uint64_t bad = 0;
	/* x9..x17 and x19..x28 must survive a syscall (docs/abi.md: all others preserved);
	 * x8 comes back as the badge, 0 for a yield */
	__asm__ volatile("mov x9, #9\n\tmov x10, #10\n\tmov x11, #11\n\tmov x12, #12\n\t"
	                 "mov x13, #13\n\tmov x14, #14\n\tmov x15, #15\n\tmov x16, #16\n\t"
	                 "mov x17, #17\n\tmov x19, #19\n\tmov x20, #20\n\tmov x28, #28\n\t"
	                 "mov x8, #8\n\tsvc #0\n\t"
	                 "mov %0, #0\n\t"
	                 "cmp x9, #9\n\tcinc %0, %0, ne\n\tcmp x10, #10\n\tcinc %0, %0, ne\n\t"
	                 "cmp x11, #11\n\tcinc %0, %0, ne\n\tcmp x12, #12\n\tcinc %0, %0, ne\n\t"
	                 "cmp x13, #13\n\tcinc %0, %0, ne\n\tcmp x14, #14\n\tcinc %0, %0, ne\n\t"
	                 "cmp x15, #15\n\tcinc %0, %0, ne\n\tcmp x16, #16\n\tcinc %0, %0, ne\n\t"
	                 "cmp x17, #17\n\tcinc %0, %0, ne\n\tcmp x19, #19\n\tcinc %0, %0, ne\n\t"
	                 "cmp x20, #20\n\tcinc %0, %0, ne\n\tcmp x28, #28\n\tcinc %0, %0, ne\n\t"
	                 "cmp x8, #0\n\tcinc %0, %0, ne\n\t"
	                 : "=&r"(bad)
	                 :
	                 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
	                   "x12", "x13", "x14", "x15", "x16", "x17", "x19", "x20", "x28", "cc",
	                   "memory");
	CHECK_EQ(bad, 0);
}

const struct kt_test kt_suite_ipc[] = {
    KT_ENTRY(ipc_send_recv),
    KT_ENTRY(ipc_recv_from_waiting_sender),
    KT_ENTRY(ipc_nbsend_no_receiver),
    KT_ENTRY(ipc_nbsend_to_receiver),
    KT_ENTRY(ipc_nbrecv_no_sender),
    KT_ENTRY(ipc_nbrecv_from_sender),
    KT_ENTRY(ipc_badge),
    KT_ENTRY(ipc_call_reply),
    KT_ENTRY(ipc_reply_recv_loop),
    KT_ENTRY(ipc_call_server_at_lower_priority),
    KT_ENTRY(ipc_64_words),
    KT_ENTRY(ipc_call_64_words_both_ways),
    KT_ENTRY(ipc_length_65_refused),
    KT_ENTRY(ipc_truncated_to_receiver),
    KT_ENTRY(ipc_send_needs_write),
    KT_ENTRY(ipc_recv_needs_read),
    KT_ENTRY(ipc_bad_caps),
    KT_ENTRY(ipc_call_without_grant_reply),
    KT_ENTRY(ipc_reply_without_caller),
    KT_ENTRY(ipc_callee_stops_caller_gets_no_reply),
    KT_ENTRY(ipc_fifo_senders),
    KT_ENTRY(ipc_fifo_receivers),
    KT_ENTRY(ipc_wakes_higher_priority_first),
    KT_ENTRY(ipc_wakes_lower_priority_later),
    KT_ENTRY(ipc_cap_transfer_grant),
    KT_ENTRY(ipc_cap_transfer_needs_grant),
    KT_ENTRY(ipc_cap_transfer_receiver_refuses),
    KT_ENTRY(ipc_cap_transfer_needs_write_on_receive_cnode),
    KT_ENTRY(ipc_cap_transfer_unmapped_page_table_refused),
    KT_ENTRY(ipc_cap_transfer_slot_occupied),
    KT_ENTRY(ipc_cap_transfer_bad_send_cap),
    KT_ENTRY(ipc_registers_preserved),
    KT_END,
};
