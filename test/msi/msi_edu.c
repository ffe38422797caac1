/* test/msi: an MSI written by a real PCI function reaches a notification as an LPI.
 *
 * QEMU's `edu` device (vendor 0x1234, device 0x11e8; ctest qemu.msi puts it at 00:03.0,
 * requester ID 0x18) sends an MSI when its register 0x60 is written and MSI is enabled.
 * This component does what the PCIe bus component does for a driver (docs/abi.md, "MSIs"):
 * retype an MSI device, bind it to the requester ID, get the handler for event 0, and write
 * the doorbell address and data into the function's MSI capability. The device's write to
 * the doorbell goes through the ITS with the device ID the host bridge gives it; nothing
 * else can raise this LPI (the ITS is the kernel's). Every wait has a deadline. */
#include <stdint.h>

#include <m6/caps.h>
#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6/time.h>
#include <m6_caps.h>

#include "test_say.h"

#define ECAM_VADDR       0x5000000000ull /* bus 0's config space (2 MiB frame) */
#define BAR_VADDR        0x5000200000ull /* edu's registers (first 4 KiB of BAR 0) */
#define BAR_PADDR        0x10000000u     /* the host bridge's 32-bit window maps 1:1 */
#define EDU_DEV          3
#define EDU_RID          (0u << 8 | EDU_DEV << 3 | 0) /* requester ID: bus 0, device 3, fn 0 */
#define EDU_ID           0x11e81234u
#define BADGE            0x40u
#define ROUNDS           3

#define PCI_COMMAND      0x04
#define PCI_STATUS_CAPS  (1u << 20) /* in the dword at 0x04 */
#define PCI_BAR0         0x10
#define PCI_CAP_PTR      0x34
#define PCI_CAP_MSI      0x05
#define CMD_MEMORY       (1u << 1)
#define CMD_BUS_MASTER   (1u << 2)
#define CMD_INTX_DISABLE (1u << 10)
#define MSI_ENABLE       (1u << 16) /* message control, in the capability's first dword */
#define MSI_64BIT        (1u << 23)

#define EDU_RAISE        0x60
#define EDU_ACK          0x64
#define EDU_STATUS       0x24

static _Noreturn void fail(const char *why, uint64_t value)
{
	say("msi: FAIL ");
	say(why);
	say(" ");
	say_hex(value);
	say("\n");
	m6_power_off(CAP_POWER);
	for (;;)
		m6_yield();
}

static m6_cptr_t retype(m6_cptr_t untyped, uint64_t type, uint64_t bits)
{
	m6_cptr_t slot = m6_cap_alloc();
	uint64_t err = slot ? m6_untyped_retype(untyped, type, bits, M6_CAP_SELF_CNODE, slot, 1)
	                    : M6_ERR_NOT_ENOUGH_MEMORY;
	if (err != M6_OK)
		fail("retype", err);
	return slot;
}

static void map_table(uint64_t vaddr, unsigned level)
{
	m6_cptr_t t = retype(CAP_POOL, M6_OBJ_PAGE_TABLE, 0);
	uint64_t span = 1ull << (12 + 9 * (4 - level));
	uint64_t err = m6_page_table_map(t, M6_CAP_SELF_VSPACE, vaddr & ~(span - 1), level);
	if (err != M6_OK && err != M6_ERR_DELETE_FIRST) /* DELETE_FIRST: the spec's is there */
		fail("page_table_map", err);
}

static void map_frame(m6_cptr_t frame, uint64_t vaddr)
{
	uint64_t err =
	    m6_frame_map(frame, M6_CAP_SELF_VSPACE, vaddr, M6_RIGHT_READ | M6_RIGHT_WRITE);
	if (err != M6_OK)
		fail("frame_map", err);
}

static volatile uint32_t *cfg(unsigned offset)
{
	return (volatile uint32_t *)(uintptr_t)(ECAM_VADDR + ((uint64_t)EDU_DEV << 15) + offset);
}

static void cfg_write(unsigned offset, uint32_t value)
{
	*cfg(offset) = value;
	__asm__ volatile("dsb sy" ::: "memory");
}

static volatile uint32_t *edu(unsigned offset)
{
	return (volatile uint32_t *)(uintptr_t)(BAR_VADDR + offset);
}

/* The notification's word, or 0 when none came within 5 s of counter time. */
static uint64_t wait_word(m6_cptr_t n)
{
	uint64_t end = m6_counter() + 5 * m6_counter_frequency();
	do {
		uint64_t w = m6_poll(n);
		if (w)
			return w;
		m6_yield();
	} while (m6_counter() < end);
	return 0;
}

int main(void)
{
	map_table(ECAM_VADDR, 1);
	map_table(ECAM_VADDR, 2);
	map_table(BAR_VADDR, 3);
	map_frame(retype(CAP_ECAM, M6_OBJ_FRAME, 21), ECAM_VADDR);
	map_frame(retype(CAP_BAR, M6_OBJ_FRAME, 12), BAR_VADDR);

	if (*cfg(0) != EDU_ID)
		fail("no edu device at 00:03.0; found", *cfg(0));
	cfg_write(PCI_BAR0, BAR_PADDR);
	cfg_write(PCI_COMMAND, CMD_MEMORY | CMD_BUS_MASTER | CMD_INTX_DISABLE);
	if (*edu(0) >> 16 != 0x0100) /* identification: 0x010000ed */
		fail("edu registers not at BAR 0; identification", *edu(0));

	/* The MSI capability: a bounded walk of the list (48 entries fit in config space). */
	if (!(*cfg(PCI_COMMAND) & PCI_STATUS_CAPS))
		fail("no capability list; status", *cfg(PCI_COMMAND));
	unsigned cap = *cfg(PCI_CAP_PTR) & 0xfc;
	for (unsigned i = 0; i < 48 && cap && (*cfg(cap) & 0xff) != PCI_CAP_MSI; i++)
		cap = (*cfg(cap) >> 8) & 0xfc;
	if (!cap || (*cfg(cap) & 0xff) != PCI_CAP_MSI)
		fail("no MSI capability", cap);

	m6_cptr_t dev = retype(CAP_POOL, M6_OBJ_MSI_DEVICE, 1);
	uint64_t doorbell = 0, data = 0, intid = 0, err;
	if ((err = m6_irq_control_msi_bind(CAP_IRQ_CONTROL, dev, EDU_RID, &doorbell)) != M6_OK)
		fail("msi_bind", err);
	m6_cptr_t handler = m6_cap_alloc();
	err = m6_irq_control_get_msi(CAP_IRQ_CONTROL, dev, 0, M6_CAP_SELF_CNODE, handler, &doorbell,
	                             &data, &intid);
	if (err != M6_OK)
		fail("get_msi", err);
	m6_cptr_t n = retype(CAP_POOL, M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t badged = m6_cap_alloc();
	if (!badged || m6_cnode_mint(M6_CAP_SELF_CNODE, badged, 64, M6_CAP_SELF_CNODE, n, 64,
	                             M6_RIGHTS_ALL, BADGE) != M6_OK)
		fail("mint", 0);
	if ((err = m6_irq_handler_set_notification(handler, badged)) != M6_OK)
		fail("set_notification", err);
	if ((err = m6_irq_handler_ack(handler)) != M6_OK)
		fail("ack", err);

	/* Address and data as a bus component writes them into the function's capability. */
	bool is64 = *cfg(cap) & MSI_64BIT;
	cfg_write(cap + 4, (uint32_t)doorbell);
	if (is64) {
		cfg_write(cap + 8, (uint32_t)(doorbell >> 32));
		cfg_write(cap + 12, (uint32_t)data);
	} else {
		cfg_write(cap + 8, (uint32_t)data);
	}
	cfg_write(cap, *cfg(cap) | MSI_ENABLE);
	say("msi: edu 00:03.0 (requester ID ");
	say_hex(EDU_RID);
	say("): doorbell ");
	say_hex(doorbell);
	say(", data ");
	say_hex(data);
	say(", LPI ");
	say_hex(intid);
	say("\n");

	if (m6_poll(n) != 0)
		fail("a signal before the device sent anything", 0);
	for (unsigned round = 0; round < ROUNDS; round++) {
		*edu(EDU_RAISE) = 1u << round;
		uint64_t w = wait_word(n);
		if (w != BADGE)
			fail("no MSI at the notification; word", w);
		if (*edu(EDU_STATUS) != 1u << round)
			fail("edu status", *edu(EDU_STATUS));
		*edu(EDU_ACK) = 1u << round;
		if ((err = m6_irq_handler_ack(handler)) != M6_OK)
			fail("ack", err);
	}
	say("msi: 3 MSIs from edu delivered as LPIs, each acked\n");

	/* Deleting the MSI device unmaps the function in the ITS: its handler is orphaned. */
	if ((err = m6_cnode_delete(M6_CAP_SELF_CNODE, dev, 64)) != M6_OK)
		fail("delete", err);
	if ((err = m6_irq_handler_ack(handler)) != M6_ERR_ILLEGAL_OPERATION)
		fail("ack after the device was deleted", err);
	say("msi: PASS\n");
	m6_power_off(CAP_POWER);
	return 0;
}
