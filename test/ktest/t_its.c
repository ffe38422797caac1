/* MSIs through the GICv3 ITS: MSI devices (type 17) bound to device IDs by IRQControl,
 * LPI handlers for their events, delivery to notifications, and every error case.
 *
 * Without a PCI device the LPIs are raised by IRQ_HANDLER_TRIGGER: the kernel's ITS INT
 * command, the same translation (device ID, event ID -> LPI) a device's write of the event
 * ID to the doorbell goes through. Waits poll with a deadline, so an LPI that never comes
 * fails the test instead of hanging it. */
#include "ktest.h"

#define DOORBELL  0x08090040ull /* QEMU virt: GITS_TRANSLATER, ITS at 0x08080000 */
#define LPI_FIRST 8192u
#define LPI_COUNT 2048u
#define DEV_A     0x0100u /* requester IDs: bus 1 device 0, bus 1 device 1 */
#define DEV_B     0x0108u

static uint64_t wait_word(m6_cptr_t n, uint64_t ms)
{
	uint64_t end = kt_ticks() + kt_tick_freq() / 1000 * ms;
	do {
		uint64_t w = m6_poll(n);
		if (w != 0)
			return w;
		m6_yield();
	} while (kt_ticks() < end);
	return 0;
}

/* An MSI device with 2^bits events, bound to `id`; 0 on failure (reported). */
static m6_cptr_t bound_device(unsigned bits, uint64_t id)
{
	m6_cptr_t d = kt_new(M6_OBJ_MSI_DEVICE, bits);
	if (!d)
		return 0;
	uint64_t doorbell = 0;
	if (!CHECK_OK(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, d, id, &doorbell)))
		return 0;
	CHECK_EQ(doorbell, DOORBELL);
	return d;
}

/* An LPI handler for `event` of `d`, signalling a fresh notification with `badge`
 * (returned in *n), acknowledged once so that it is enabled. */
static m6_cptr_t lpi_handler(m6_cptr_t d, uint64_t event, uint64_t badge, m6_cptr_t *n)
{
	m6_cptr_t h = kt_slot();
	*n = kt_new(M6_OBJ_NOTIFICATION, 0);
	if (!h || !*n)
		return 0;
	m6_cptr_t b = kt_mint(*n, M6_RIGHT_WRITE, badge);
	if (!b || !CHECK_OK(m6_irq_control_get_msi(CAP_IRQ_CONTROL, d, event, M6_CAP_SELF_CNODE, h,
	                                           NULL, NULL, NULL)))
		return 0;
	if (!CHECK_OK(m6_irq_handler_set_notification(h, b)) || !CHECK_OK(m6_irq_handler_ack(h)))
		return 0;
	return h;
}

TEST(its_msi_device_sizes)
{
	m6_cptr_t s = kt_slot();
	/* 2..2048 events: event bits 1..11 */
	CHECK_ERR(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_MSI_DEVICE, 0, M6_CAP_SELF_CNODE, s, 1),
	          M6_ERR_INVALID_ARGUMENT);
	CHECK_ERR(m6_untyped_retype(KT_SLOT_UTEST, M6_OBJ_MSI_DEVICE, 12, M6_CAP_SELF_CNODE, s, 1),
	          M6_ERR_INVALID_ARGUMENT);
	CHECK(!kt_occupied(s));
	CHECK(kt_new(M6_OBJ_MSI_DEVICE, 1) != 0);
	CHECK(kt_new(M6_OBJ_MSI_DEVICE, 11) != 0);
	/* an MSI device answers no invocation of its own */
	m6_cptr_t d = kt_new(M6_OBJ_MSI_DEVICE, 2);
	REQUIRE(d);
	CHECK_ERR(m6_irq_handler_ack(d), M6_ERR_ILLEGAL_OPERATION);
}

TEST(its_get_msi_results)
{
	m6_cptr_t d = bound_device(3, DEV_A);
	REQUIRE(d);
	m6_cptr_t h = kt_slot();
	uint64_t doorbell = 0, data = ~0ull, intid = 0;
	REQUIRE_OK(m6_irq_control_get_msi(CAP_IRQ_CONTROL, d, 5, M6_CAP_SELF_CNODE, h, &doorbell,
	                                  &data, &intid));
	CHECK_EQ(doorbell, DOORBELL);
	CHECK_EQ(data, 5);
	CHECK(intid >= LPI_FIRST && intid < LPI_FIRST + LPI_COUNT);
	/* an LPI is not an SPI line: IRQ_CONTROL_GET refuses it */
	CHECK_ERR(m6_irq_control_get(CAP_IRQ_CONTROL, intid, 1, M6_CAP_SELF_CNODE, kt_slot()),
	          M6_ERR_RANGE);
}

TEST(its_lpi_delivered_acked_delivered_again)
{
	m6_cptr_t n;
	m6_cptr_t d = bound_device(2, DEV_A);
	REQUIRE(d);
	m6_cptr_t h = lpi_handler(d, 3, 0x40, &n);
	REQUIRE(h);
	CHECK_EQ(m6_poll(n), 0); /* nothing before the device speaks */
	REQUIRE_OK(m6_irq_handler_trigger(h));
	CHECK_EQ(wait_word(n, KT_PATIENCE_MS), 0x40);
	/* masked until ACK: a second MSI waits pending (the INT has completed when the call
	 * returns, and an interrupt would be taken before the next instruction) */
	REQUIRE_OK(m6_irq_handler_trigger(h));
	CHECK_EQ(m6_poll(n), 0);
	CHECK_OK(m6_irq_handler_ack(h));
	CHECK_EQ(wait_word(n, KT_PATIENCE_MS), 0x40); /* the pending one, nothing lost */
	CHECK_OK(m6_irq_handler_ack(h));
	for (unsigned i = 0; i < 100; i++) {
		if (!CHECK_OK(m6_irq_handler_trigger(h)) ||
		    !CHECK_EQ(wait_word(n, KT_PATIENCE_MS), 0x40) ||
		    !CHECK_OK(m6_irq_handler_ack(h)))
			break;
	}
	CHECK_EQ(m6_poll(n), 0);
}

TEST(its_events_and_devices_are_separate)
{
	m6_cptr_t n0, n1, n2;
	m6_cptr_t a = bound_device(2, DEV_A), b = bound_device(1, DEV_B);
	REQUIRE(a && b);
	m6_cptr_t h0 = lpi_handler(a, 0, 0x1, &n0), h1 = lpi_handler(a, 1, 0x2, &n1);
	m6_cptr_t h2 = lpi_handler(b, 0, 0x4, &n2);
	REQUIRE(h0 && h1 && h2);
	REQUIRE_OK(m6_irq_handler_trigger(h1));
	CHECK_EQ(wait_word(n1, KT_PATIENCE_MS), 0x2);
	CHECK_EQ(m6_poll(n0), 0);
	CHECK_EQ(m6_poll(n2), 0);
	REQUIRE_OK(m6_irq_handler_trigger(h2));
	CHECK_EQ(wait_word(n2, KT_PATIENCE_MS), 0x4);
	CHECK_EQ(m6_poll(n0), 0);
	CHECK_EQ(m6_poll(n1), 0);
}

static uint64_t fn_wait(struct kt_thread *self)
{
	self->out[1] = 1;
	self->out[0] = m6_wait(self->arg[0]);
	return 0;
}

TEST(its_lpi_wakes_waiting_thread)
{
	m6_cptr_t n;
	m6_cptr_t d = bound_device(1, DEV_A);
	REQUIRE(d);
	m6_cptr_t h = lpi_handler(d, 1, 0x800, &n);
	REQUIRE(h);
	struct kt_thread t = {.arg = {n}};
	/* above us: it runs at once and blocks in its wait before we trigger */
	REQUIRE(kt_thread_start(&t, fn_wait, KT_HELPER_PRIO));
	REQUIRE(kt_wait_flag(&t.out[1], 1000));
	CHECK(!t.done);
	REQUIRE_OK(m6_irq_handler_trigger(h));
	CHECK(kt_join(&t, 100000));
	CHECK_EQ(t.out[0], 0x800);
}

TEST(its_bind_errors)
{
	m6_cptr_t d = kt_new(M6_OBJ_MSI_DEVICE, 2), e = kt_new(M6_OBJ_MSI_DEVICE, 2);
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(d && e && n);
	/* only IRQControl binds, and only with W */
	m6_cptr_t r = kt_copy(CAP_IRQ_CONTROL, M6_RIGHT_READ);
	REQUIRE(r);
	CHECK_ERR(m6_irq_control_msi_bind(r, d, DEV_A, NULL), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_irq_control_msi_bind(n, d, DEV_A, NULL), M6_ERR_ILLEGAL_OPERATION);
	/* the device argument: an MSI device, with W */
	CHECK_ERR(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, n, DEV_A, NULL), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, kt_slot(), DEV_A, NULL),
	          M6_ERR_INVALID_CAP);
	m6_cptr_t dr = kt_copy(d, M6_RIGHT_READ);
	REQUIRE(dr);
	CHECK_ERR(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, dr, DEV_A, NULL),
	          M6_ERR_INSUFFICIENT_RIGHTS);
	/* device IDs: 16 bits on QEMU virt */
	CHECK_ERR(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, d, 0x10000, NULL), M6_ERR_RANGE);
	CHECK_ERR(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, d, ~0ull, NULL), M6_ERR_RANGE);
	/* too short a message */
	struct m6_msg m = {
	    .word0 = CAP_IRQ_CONTROL, .info = m6_msginfo(M6_IRQ_CONTROL_MSI_BIND, 1), .mr = {d}};
	m6_syscall(M6_SYS_CALL, &m);
	CHECK_ERR(m.word0, M6_ERR_INVALID_ARGUMENT);
	/* none of the failures bound anything */
	REQUIRE_OK(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, d, DEV_A, NULL));
	/* a device ID bound twice; an MSI device bound twice */
	CHECK_ERR(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, e, DEV_A, NULL), M6_ERR_IN_USE);
	CHECK_ERR(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, d, DEV_B, NULL),
	          M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, d, DEV_A, NULL),
	          M6_ERR_ILLEGAL_OPERATION);
	CHECK_OK(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, e, DEV_B, NULL));
}

TEST(its_get_msi_errors)
{
	m6_cptr_t u = kt_new(M6_OBJ_MSI_DEVICE, 2), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(u && n);
	m6_cptr_t s = kt_slot();
	/* unbound: no device ID to translate for */
	CHECK_ERR(
	    m6_irq_control_get_msi(CAP_IRQ_CONTROL, u, 0, M6_CAP_SELF_CNODE, s, NULL, NULL, NULL),
	    M6_ERR_ILLEGAL_OPERATION);
	m6_cptr_t d = bound_device(2, DEV_A);
	REQUIRE(d);
	m6_cptr_t r = kt_copy(CAP_IRQ_CONTROL, M6_RIGHT_READ), dr = kt_copy(d, M6_RIGHT_READ);
	REQUIRE(r && dr);
	CHECK_ERR(m6_irq_control_get_msi(r, d, 0, M6_CAP_SELF_CNODE, s, NULL, NULL, NULL),
	          M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(
	    m6_irq_control_get_msi(CAP_IRQ_CONTROL, dr, 0, M6_CAP_SELF_CNODE, s, NULL, NULL, NULL),
	    M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(
	    m6_irq_control_get_msi(CAP_IRQ_CONTROL, n, 0, M6_CAP_SELF_CNODE, s, NULL, NULL, NULL),
	    M6_ERR_INVALID_CAP);
	/* event IDs: 4 events */
	CHECK_ERR(
	    m6_irq_control_get_msi(CAP_IRQ_CONTROL, d, 4, M6_CAP_SELF_CNODE, s, NULL, NULL, NULL),
	    M6_ERR_RANGE);
	CHECK_ERR(m6_irq_control_get_msi(CAP_IRQ_CONTROL, d, ~0ull, M6_CAP_SELF_CNODE, s, NULL,
	                                 NULL, NULL),
	          M6_ERR_RANGE);
	/* destination occupied: nothing taken */
	CHECK_ERR(
	    m6_irq_control_get_msi(CAP_IRQ_CONTROL, d, 3, M6_CAP_SELF_CNODE, n, NULL, NULL, NULL),
	    M6_ERR_DELETE_FIRST);
	CHECK(!kt_occupied(s));
	REQUIRE_OK(
	    m6_irq_control_get_msi(CAP_IRQ_CONTROL, d, 3, M6_CAP_SELF_CNODE, s, NULL, NULL, NULL));
	/* an event handed out twice */
	CHECK_ERR(m6_irq_control_get_msi(CAP_IRQ_CONTROL, d, 3, M6_CAP_SELF_CNODE, kt_slot(), NULL,
	                                 NULL, NULL),
	          M6_ERR_IN_USE);
	/* TRIGGER is for LPIs: an SPI's handler refuses it */
	m6_cptr_t spi = kt_slot();
	REQUIRE_OK(m6_irq_control_get(CAP_IRQ_CONTROL, 40, 0, M6_CAP_SELF_CNODE, spi));
	CHECK_ERR(m6_irq_handler_trigger(spi), M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(m6_irq_handler_trigger(CAP_IRQ_CONTROL), M6_ERR_ILLEGAL_OPERATION);
}

TEST(its_lpis_run_out)
{
	/* 2,048 LPIs: one device with 2,048 events takes them all, the next get is refused,
	 * and deleting one handler gives its LPI back. */
	m6_cptr_t d = bound_device(11, DEV_A), e = bound_device(1, DEV_B);
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 11);
	REQUIRE(d && e && c);
	unsigned failures = 0;
	uint64_t seen_min = ~0ull, seen_max = 0;
	for (uint64_t ev = 0; ev < LPI_COUNT; ev++) {
		uint64_t intid = 0;
		if (m6_irq_control_get_msi(CAP_IRQ_CONTROL, d, ev, c, ev, NULL, NULL, &intid) !=
		    M6_OK)
			failures++;
		seen_min = intid < seen_min ? intid : seen_min;
		seen_max = intid > seen_max ? intid : seen_max;
	}
	CHECK_EQ(failures, 0);
	CHECK_EQ(seen_min, LPI_FIRST);
	CHECK_EQ(seen_max, LPI_FIRST + LPI_COUNT - 1);
	m6_cptr_t s = kt_slot();
	CHECK_ERR(
	    m6_irq_control_get_msi(CAP_IRQ_CONTROL, e, 0, M6_CAP_SELF_CNODE, s, NULL, NULL, NULL),
	    M6_ERR_NOT_ENOUGH_MEMORY);
	CHECK(!kt_occupied(s));
	REQUIRE_OK(m6_cnode_delete(c, 77, 64));
	uint64_t intid = 0;
	REQUIRE_OK(m6_irq_control_get_msi(CAP_IRQ_CONTROL, e, 0, M6_CAP_SELF_CNODE, s, NULL, NULL,
	                                  &intid));
	CHECK(intid >= LPI_FIRST && intid < LPI_FIRST + LPI_COUNT);
	/* Deleting the device with 2,047 live events: a DISCARD each, more than the command
	 * queue holds at once, then the MAPD. The queue still works afterwards, and every one
	 * of its handlers is orphaned. */
	m6_cptr_t o = kt_slot();
	REQUIRE(o);
	REQUIRE_OK(m6_cnode_move(M6_CAP_SELF_CNODE, o, 64, c, 5, 64));
	CHECK_OK(m6_irq_handler_ack(o));
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, d, 64));
	CHECK_ERR(m6_irq_handler_trigger(o), M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(m6_irq_handler_ack(o), M6_ERR_ILLEGAL_OPERATION);
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x5);
	REQUIRE(b);
	REQUIRE_OK(m6_irq_handler_set_notification(s, b));
	REQUIRE_OK(m6_irq_handler_ack(s)); /* handlers start masked */
	REQUIRE_OK(m6_irq_handler_trigger(s));
	CHECK_EQ(wait_word(n, KT_PATIENCE_MS), 0x5);
	/* the orphans' LPIs stay taken until their handlers go; the CNode's deletion frees
	 * them, and a new device on the old ID gets one */
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, c, 64));
	m6_cptr_t d2 = bound_device(1, DEV_A);
	REQUIRE(d2);
	CHECK_OK(m6_irq_control_get_msi(CAP_IRQ_CONTROL, d2, 1, M6_CAP_SELF_CNODE, kt_slot(), NULL,
	                                NULL, NULL));
}

TEST(its_delete_handler_frees_event)
{
	m6_cptr_t n, n2;
	m6_cptr_t d = bound_device(2, DEV_A);
	REQUIRE(d);
	m6_cptr_t h = lpi_handler(d, 2, 0x10, &n);
	REQUIRE(h);
	m6_cptr_t copy = kt_copy(h, M6_RIGHTS_ALL);
	REQUIRE(copy);
	/* a copy keeps it: the event stays taken */
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, h, 64));
	CHECK_ERR(m6_irq_control_get_msi(CAP_IRQ_CONTROL, d, 2, M6_CAP_SELF_CNODE, kt_slot(), NULL,
	                                 NULL, NULL),
	          M6_ERR_IN_USE);
	CHECK_OK(m6_irq_handler_trigger(copy));
	CHECK_EQ(wait_word(n, KT_PATIENCE_MS), 0x10);
	/* the last cap: the translation is discarded, the event free again */
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, copy, 64));
	m6_cptr_t h2 = lpi_handler(d, 2, 0x20, &n2);
	REQUIRE(h2);
	CHECK_OK(m6_irq_handler_trigger(h2));
	CHECK_EQ(wait_word(n2, KT_PATIENCE_MS), 0x20);
	CHECK_EQ(m6_poll(n), 0); /* the old notification hears nothing */
}

TEST(its_delete_device_orphans_handlers)
{
	m6_cptr_t n, n2;
	m6_cptr_t d = bound_device(2, DEV_A);
	REQUIRE(d);
	m6_cptr_t h = lpi_handler(d, 0, 0x8, &n);
	REQUIRE(h);
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, d, 64));
	/* the handler stays, but its device is gone: nothing can raise or enable it */
	CHECK_ERR(m6_irq_handler_trigger(h), M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(m6_irq_handler_ack(h), M6_ERR_ILLEGAL_OPERATION);
	CHECK_OK(m6_irq_handler_set_notification(h, 0));
	CHECK_EQ(m6_poll(n), 0);
	/* the device ID is free again: a new device binds to it and works */
	m6_cptr_t d2 = bound_device(2, DEV_A);
	REQUIRE(d2);
	m6_cptr_t h2 = lpi_handler(d2, 0, 0x9, &n2);
	REQUIRE(h2);
	CHECK_OK(m6_irq_handler_trigger(h2));
	CHECK_EQ(wait_word(n2, KT_PATIENCE_MS), 0x9);
	CHECK_EQ(m6_poll(n), 0);
	/* and the orphan goes quietly */
	CHECK_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, h, 64));
}

TEST(its_revoke_untyped_gives_everything_back)
{
	m6_cptr_t u = kt_new(M6_OBJ_UNTYPED, 16), probe = kt_new(M6_OBJ_CNODE, 5);
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(u && probe && n);
	unsigned before = kt_count_frames(u, probe, 32);
	CHECK_EQ(before, 16);
	m6_cptr_t d = kt_slot(), h = kt_slot();
	REQUIRE_OK(m6_untyped_retype(u, M6_OBJ_MSI_DEVICE, 11, M6_CAP_SELF_CNODE, d, 1));
	/* 2,048 events: 64 KiB, the whole untyped */
	CHECK_ERR(m6_untyped_retype(u, M6_OBJ_MSI_DEVICE, 1, M6_CAP_SELF_CNODE, kt_slot(), 1),
	          M6_ERR_NOT_ENOUGH_MEMORY);
	REQUIRE_OK(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, d, DEV_B, NULL));
	REQUIRE_OK(m6_irq_control_get_msi(CAP_IRQ_CONTROL, d, 2047, M6_CAP_SELF_CNODE, h, NULL,
	                                  NULL, NULL));
	m6_cptr_t b = kt_mint(n, M6_RIGHT_WRITE, 0x3);
	REQUIRE(b);
	REQUIRE_OK(m6_irq_handler_set_notification(h, b));
	REQUIRE_OK(m6_irq_handler_ack(h));
	REQUIRE_OK(m6_irq_handler_trigger(h));
	CHECK_EQ(wait_word(n, KT_PATIENCE_MS), 0x3);
	REQUIRE_OK(m6_cnode_revoke(M6_CAP_SELF_CNODE, u, 64));
	CHECK(!kt_occupied(d));
	CHECK_EQ(kt_count_frames(u, probe, 32), before);
	/* the device ID and the handler's LPI are unmapped */
	CHECK_ERR(m6_irq_handler_trigger(h), M6_ERR_ILLEGAL_OPERATION);
	m6_cptr_t d2 = bound_device(1, DEV_B);
	CHECK(d2 != 0);
}

const struct kt_test kt_suite_its[] = {
    KT_ENTRY(its_msi_device_sizes),
    KT_ENTRY(its_get_msi_results),
    KT_ENTRY(its_lpi_delivered_acked_delivered_again),
    KT_ENTRY(its_events_and_devices_are_separate),
    KT_ENTRY(its_lpi_wakes_waiting_thread),
    KT_ENTRY(its_bind_errors),
    KT_ENTRY(its_get_msi_errors),
    KT_ENTRY(its_lpis_run_out),
    KT_ENTRY(its_delete_handler_frees_event),
    KT_ENTRY(its_delete_device_orphans_handlers),
    KT_ENTRY(its_revoke_untyped_gives_everything_back),
    KT_END,
};
