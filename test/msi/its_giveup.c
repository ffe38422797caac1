/* test/msi: the kernel gives up on an ITS that fails a command (ctest qemu.msi.its-giveup).
 *
 * QEMU's ITS completes every command at once, so the failure is made by the test's gdb
 * (test/qemu/its_giveup_session.py): during this component's first IRQ_HANDLER_TRIGGER it
 * moves the kernel's idea of the command queue's write pointer one command on, so the
 * INT's wait sees GITS_CREADR never get there, as with an ITS that stopped. That TRIGGER
 * returns, and says it raised nothing (docs/kernel.md, "A failed ITS is given up"). In
 * qemu.msi.its-giveup-ack gdb lets the TRIGGER pass and does the same to the ACK after
 * the LPI, which must say it enabled nothing. From then on MSI_BIND, GET_MSI, ACK and
 * TRIGGER must answer ILLEGAL_OPERATION without a command being sent, while
 * SET_NOTIFICATION and deleting the handler and the MSI device still work. Run without
 * the gdb, the TRIGGER and the ACK answer OK and the check on the ACK fails. */
#include <stdint.h>

#include <m6/caps.h>
#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6_caps.h>

#include "test_say.h"

#define DEV_A 0x0100u /* requester IDs nothing else binds */
#define DEV_B 0x0108u

static _Noreturn void fail(const char *why, uint64_t value)
{
	say("its_giveup: FAIL ");
	say(why);
	say(" ");
	say_hex(value);
	say("\n");
	m6_power_off(CAP_POWER);
	for (;;)
		m6_yield();
}

static void expect(const char *what, uint64_t got, uint64_t want)
{
	if (got != want)
		fail(what, got);
}

static m6_cptr_t retype(uint64_t type, uint64_t bits)
{
	m6_cptr_t slot = m6_cap_alloc();
	uint64_t err = slot ? m6_untyped_retype(CAP_POOL, type, bits, M6_CAP_SELF_CNODE, slot, 1)
	                    : M6_ERR_NOT_ENOUGH_MEMORY;
	if (err != M6_OK)
		fail("retype", err);
	return slot;
}

static m6_cptr_t badged(m6_cptr_t n, uint64_t badge)
{
	m6_cptr_t slot = m6_cap_alloc();
	if (!slot || m6_cnode_mint(M6_CAP_SELF_CNODE, slot, 64, M6_CAP_SELF_CNODE, n, 64,
	                           M6_RIGHTS_ALL, badge) != M6_OK)
		fail("mint", 0);
	return slot;
}

int main(void)
{
	m6_cptr_t dev = retype(M6_OBJ_MSI_DEVICE, 1), n = retype(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t handler = m6_cap_alloc();
	if (!handler)
		fail("cap_alloc", 0);
	expect("msi_bind", m6_irq_control_msi_bind(CAP_IRQ_CONTROL, dev, DEV_A, NULL), M6_OK);
	expect("get_msi",
	       m6_irq_control_get_msi(CAP_IRQ_CONTROL, dev, 0, M6_CAP_SELF_CNODE, handler, NULL,
	                              NULL, NULL),
	       M6_OK);
	expect("set_notification", m6_irq_handler_set_notification(handler, badged(n, 1)), M6_OK);
	expect("ack", m6_irq_handler_ack(handler), M6_OK);
	say("its_giveup: handler ready, triggering\n");

	/* The command that fails, the TRIGGER's INT or (qemu.msi.its-giveup-ack) the INV of
	 * the ACK after its LPI came: the call returns, the kernel logs that it gave the ITS
	 * up, and the caller is told the interrupt was not raised or not enabled. */
	uint64_t triggered = m6_irq_handler_trigger(handler);
	if (triggered == M6_OK) {
		m6_wait(n);
		say("its_giveup: the LPI came, acking\n");
		expect("ack (the failing INV)", m6_irq_handler_ack(handler),
		       M6_ERR_ILLEGAL_OPERATION);
		say("its_giveup: the failing command was ACK's\n");
	} else {
		expect("trigger (the failing INT)", triggered, M6_ERR_ILLEGAL_OPERATION);
		say("its_giveup: the failing command was TRIGGER's\n");
	}

	expect("trigger after", m6_irq_handler_trigger(handler), M6_ERR_ILLEGAL_OPERATION);
	expect("ack after", m6_irq_handler_ack(handler), M6_ERR_ILLEGAL_OPERATION);
	m6_cptr_t dev_b = retype(M6_OBJ_MSI_DEVICE, 1), h1 = m6_cap_alloc();
	if (!h1)
		fail("cap_alloc", 0);
	expect("msi_bind after", m6_irq_control_msi_bind(CAP_IRQ_CONTROL, dev_b, DEV_B, NULL),
	       M6_ERR_ILLEGAL_OPERATION);
	expect("get_msi after",
	       m6_irq_control_get_msi(CAP_IRQ_CONTROL, dev, 1, M6_CAP_SELF_CNODE, h1, NULL, NULL,
	                              NULL),
	       M6_ERR_ILLEGAL_OPERATION);
	/* What needs no command still works: the kernel's records are intact. */
	expect("set_notification after", m6_irq_handler_set_notification(handler, badged(n, 2)),
	       M6_OK);
	expect("delete handler", m6_cnode_delete(M6_CAP_SELF_CNODE, handler, 64), M6_OK);
	expect("delete device", m6_cnode_delete(M6_CAP_SELF_CNODE, dev, 64), M6_OK);
	expect("delete unbound device", m6_cnode_delete(M6_CAP_SELF_CNODE, dev_b, 64), M6_OK);
	say("its_giveup: PASS\n");
	m6_power_off(CAP_POWER);
	return 0;
}
