/* A reply that carries a cap (docs/abi.md, "Cap transfer"): the server may give a cap in
 * its answer when the endpoint cap it received the call through has GRANT. The PCI bus
 * hands drivers their BAR frames and IRQHandlers this way (libm6/interfaces/pci.idl). */
#include "ktest.h"

/* The server: arg[0] endpoint to receive on, arg[1] the cap to give, arg[2] the caps
 * field of the answer (label 7). out[0] = that reply's result; when it fails, a second,
 * plain answer (label 8) releases the caller and out[1] = its result. */
static uint64_t fn_reply_cap(struct kt_thread *self)
{
	struct m6_msg m = {0};
	m6_recv(self->arg[0], &m);
	m6_set_send_cap(self->ipc, self->arg[1]);
	m = (struct m6_msg){.info = m6_msginfo_caps_set(7, 1, self->arg[2])};
	m.mr[0] = 0x77;
	self->out[0] = m6_reply(&m);
	if (self->out[0] != M6_OK) {
		m = (struct m6_msg){.info = m6_msginfo(8, 0)};
		self->out[1] = m6_reply(&m);
	}
	m6_set_send_cap(self->ipc, 0);
	return 0;
}

/* Call `ep` (label 1) with the receive slot `slot` (0: accept no cap); the answer's info. */
static uint64_t call_for_cap(m6_cptr_t ep, m6_cptr_t slot)
{
	m6_set_receive_slot(KT_IPC, slot ? M6_CAP_SELF_CNODE : 0, slot, 64);
	struct m6_msg m = {.info = m6_msginfo(1, 0)};
	uint64_t err = m6_call(ep, &m);
	m6_set_receive_slot(KT_IPC, 0, 0, 0);
	return err == M6_OK ? m.info : ~0ull;
}

/* Start the server receiving through `server_ep`, giving `give` with caps = `caps`. */
static bool start_server(struct kt_thread *t, m6_cptr_t server_ep, m6_cptr_t give, uint64_t caps)
{
	t->arg[0] = server_ep;
	t->arg[1] = give;
	t->arg[2] = caps;
	return kt_thread_start(t, fn_reply_cap, KT_HELPER_PRIO) && t->ipc;
}

TEST(ipc_reply_cap_grant)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ep && n);
	m6_cptr_t nb = kt_mint(n, M6_RIGHTS_ALL, 0x5500);
	m6_cptr_t slot = kt_slot();
	REQUIRE(nb && slot);
	struct kt_thread t;
	REQUIRE(start_server(&t, ep, nb, 1));
	uint64_t info = call_for_cap(ep, slot);
	REQUIRE(kt_join(&t, 100));
	CHECK_OK(t.out[0]);
	CHECK_EQ(m6_msginfo_label(info), 7);
	CHECK_EQ(m6_msginfo_caps(info), 1);
	/* the caller holds a copy with the server's badge; the server keeps its own */
	m6_poll(n);
	CHECK_OK(m6_signal(slot));
	CHECK_EQ(m6_poll(n), 0x5500);
	CHECK(kt_occupied(nb));
}

TEST(ipc_reply_cap_needs_grant_on_receive)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ep && n);
	m6_cptr_t r = kt_copy(ep, M6_RIGHT_READ); /* receive, but no grant */
	m6_cptr_t slot = kt_slot();
	REQUIRE(r && slot);
	struct kt_thread t;
	REQUIRE(start_server(&t, r, n, 1));
	uint64_t info = call_for_cap(ep, slot);
	REQUIRE(kt_join(&t, 100));
	CHECK_ERR(t.out[0], M6_ERR_INSUFFICIENT_RIGHTS);
	/* the refused reply moved nothing: the caller still waited, for the plain answer */
	CHECK_OK(t.out[1]);
	CHECK_EQ(m6_msginfo_label(info), 8);
	CHECK_EQ(m6_msginfo_caps(info), 0);
	CHECK(!kt_occupied(slot));
}

TEST(ipc_reply_cap_invalid_send_cap)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	m6_cptr_t empty = kt_slot(), slot = kt_slot();
	REQUIRE(ep && empty && slot);
	struct kt_thread t;
	REQUIRE(start_server(&t, ep, empty, 1));
	uint64_t info = call_for_cap(ep, slot);
	REQUIRE(kt_join(&t, 100));
	CHECK_ERR(t.out[0], M6_ERR_INVALID_CAP);
	CHECK_OK(t.out[1]);
	CHECK_EQ(m6_msginfo_label(info), 8);
	CHECK(!kt_occupied(slot));
}

TEST(ipc_reply_cap_two_caps)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t slot = kt_slot();
	REQUIRE(ep && n && slot);
	struct kt_thread t;
	REQUIRE(start_server(&t, ep, n, 2));
	uint64_t info = call_for_cap(ep, slot);
	REQUIRE(kt_join(&t, 100));
	CHECK_ERR(t.out[0], M6_ERR_INVALID_ARGUMENT);
	CHECK_EQ(m6_msginfo_label(info), 8);
	CHECK(!kt_occupied(slot));
}

TEST(ipc_reply_cap_caller_accepts_none)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(ep && n);
	struct kt_thread t;
	REQUIRE(start_server(&t, ep, n, 1));
	/* no receive slot: the answer arrives, without the cap, and the server is not told */
	uint64_t info = call_for_cap(ep, 0);
	REQUIRE(kt_join(&t, 100));
	CHECK_OK(t.out[0]);
	CHECK_EQ(m6_msginfo_label(info), 7);
	CHECK_EQ(m6_msginfo_caps(info), 0);
}

/* REPLY_RECV goes the general path with a cap (the fastpath takes only caps = 0), and its
 * receive half records the grant right for the next answer. */
static uint64_t fn_serve_two(struct kt_thread *self)
{
	struct m6_msg m = {0};
	m6_recv(self->arg[0], &m);
	for (int i = 0; i < 2; i++) {
		m6_set_send_cap(self->ipc, self->arg[1]);
		m = (struct m6_msg){.info = m6_msginfo_caps_set(7, 0, 1)};
		if (i == 1) {
			self->out[0] = m6_reply(&m);
			break;
		}
		m6_reply_recv(self->arg[0], &m);
	}
	return 0;
}

TEST(ipc_reply_recv_cap)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t s1 = kt_slot(), s2 = kt_slot();
	REQUIRE(ep && n && s1 && s2);
	struct kt_thread t;
	t.arg[0] = ep;
	t.arg[1] = n;
	REQUIRE(kt_thread_start(&t, fn_serve_two, KT_HELPER_PRIO) && t.ipc);
	uint64_t a = call_for_cap(ep, s1);
	uint64_t b = call_for_cap(ep, s2);
	REQUIRE(kt_join(&t, 100));
	CHECK_OK(t.out[0]);
	CHECK_EQ(m6_msginfo_caps(a), 1);
	CHECK_EQ(m6_msginfo_caps(b), 1);
	CHECK(kt_occupied(s1) && kt_occupied(s2));
}

const struct kt_test kt_suite_reply_cap[] = {
    KT_ENTRY(ipc_reply_cap_grant),
    KT_ENTRY(ipc_reply_cap_needs_grant_on_receive),
    KT_ENTRY(ipc_reply_cap_invalid_send_cap),
    KT_ENTRY(ipc_reply_cap_two_caps),
    KT_ENTRY(ipc_reply_cap_caller_accepts_none),
    KT_ENTRY(ipc_reply_recv_cap),
    KT_END,
};
