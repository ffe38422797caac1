/* test/dma: a driver written to misbehave, through the real PCIe bus component (ctest
 * qemu.dma.rogue). It claims QEMU's NVMe controller (00:01.0) with its spec's claim, gets
 * the IOSpace the bus bound to the controller's stream, maps the admin queues and one
 * buffer there, and checks that an Identify into the buffer works. Then it points an
 * Identify at the physical address of a canary page it never mapped for the device: the
 * write a driver without an SMMU would land in memory. It must be blocked: the canary
 * keeps its pattern, the IOSpace's notification fires and its record names the address;
 * the bus, which has higher priority, logs the fault naming the device first (the test
 * expects its line). Every wait is bounded; one PASS or FAIL line, then power off. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <m6/caps.h>
#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/pci_client.h>
#include <m6/runtime.h>
#include <m6/time.h>
#include <m6_caps.h>

#include "test_say.h"

#include "nvme_core.h"

#define ROOT          M6_CAP_SELF_CNODE
#define RW            (M6_RIGHT_READ | M6_RIGHT_WRITE)
#define PATIENCE_MS   5000
#define BADGE_TIMER   1u
#define BADGE_IOSPACE 2u

#define VA_BAR        0x5000000000ull                          /* m6_pci_open maps BAR0 here */
#define VA_DMA(i)     (0x5000100000ull + (uint64_t)(i)*0x1000) /* same 2 MiB: its tables */
#define IOVA(i)       (0x100000000ull + (uint64_t)(i)*0x1000)  /* above RAM */

enum { P_ASQ, P_ACQ, P_BUF, P_CANARY, P_COUNT };

#define NVME_CAP     0x00
#define NVME_CC      0x14
#define NVME_CSTS    0x1c
#define NVME_AQA     0x24
#define NVME_ASQ     0x28
#define NVME_ACQ     0x30
#define NVME_SQ0TDBL 0x1000
#define ADMIN_DEPTH  16
#define STORM        32  /* blocked transfers in a row, the fault not read */
#define EVENT_QUEUE  128 /* the kernel's SMMU event queue, in records */

static struct m6_timer timer;
static uint64_t pending;
static unsigned failures;
static struct nvme_queue admin;
static unsigned cq_doorbell;
static uint64_t pa[P_COUNT];

static void check(bool ok, const char *what)
{
	say(ok ? "rogue: ok   " : "rogue: FAIL ");
	say(what);
	say("\n");
	if (!ok)
		failures++;
}

/* A check that says nothing when it holds (one line per storm command would be noise). */
static void check_quiet(bool ok, const char *what)
{
	if (!ok)
		check(ok, what);
}

static _Noreturn void finish(void)
{
	say(failures ? "rogue: FAIL\n" : "rogue: PASS\n");
	m6_power_off(CAP_POWER);
	for (;;)
		m6_yield();
}

static void must(uint64_t err, const char *what)
{
	if (err == M6_OK)
		return;
	say("rogue: FAIL ");
	say(what);
	say(" (error ");
	say_hex(err);
	say(")\n");
	failures++;
	finish();
}

static m6_cptr_t retype(uint64_t type, uint64_t bits)
{
	m6_cptr_t s = m6_cap_alloc();
	must(s ? M6_OK : M6_ERR_NOT_ENOUGH_MEMORY, "a slot");
	must(m6_untyped_retype(CAP_POOL, type, bits, ROOT, s, 1), "retype");
	return s;
}

static volatile uint32_t *reg(unsigned off)
{
	return (volatile uint32_t *)(uintptr_t)(VA_BAR + off);
}

static void set_reg64(unsigned off, uint64_t v)
{
	*reg(off) = (uint32_t)v;
	*reg(off + 4) = (uint32_t)(v >> 32);
}

static void *page(unsigned i)
{
	return (void *)(uintptr_t)VA_DMA(i);
}

static void tick(void)
{
	pending |= m6_wait_timeout(&timer, 1000000ull);
}

static bool wait_ready(bool ready)
{
	for (unsigned ms = 0; ms < PATIENCE_MS; ms++) {
		uint32_t csts = *reg(NVME_CSTS);
		if (csts & 2)
			return false;
		if ((csts & 1) == ready)
			return true;
		tick();
	}
	return false;
}

/* One Identify Controller into I/O address `iova`; its status, or 0xffff if none came. */
static uint16_t identify(uint64_t iova)
{
	struct nvme_sqe cmd;
	nvme_cmd_identify(&cmd, NVME_CNS_CONTROLLER, 0, iova);
	int tail = nvme_submit(&admin, &cmd, 1, NULL);
	must(tail >= 0 ? M6_OK : M6_ERR_RANGE, "admin queue space");
	__asm__ volatile("dsb sy" ::: "memory");
	*reg(NVME_SQ0TDBL) = (uint32_t)tail;
	for (unsigned ms = 0; ms < PATIENCE_MS; ms++) {
		struct nvme_done done;
		uint16_t head;
		unsigned consumed = 0;
		unsigned n = nvme_poll(&admin, &done, 1, &head, &consumed);
		if (consumed)
			*reg(cq_doorbell) = head;
		if (n)
			return done.status;
		tick();
	}
	return 0xffff;
}

static bool page_is(unsigned i, uint8_t value)
{
	const volatile uint8_t *p = page(i);
	for (unsigned b = 0; b < 4096; b++)
		if (p[b] != value)
			return false;
	return true;
}

int main(void)
{
	must(m6_timer_init(&timer, CAP_CLOCK, CAP_EVENTS, BADGE_TIMER), "timer");
	struct m6_pci_device dev;
	must(m6_pci_open(CAP_NVME, 0, CAP_POOL, VA_BAR, &dev), "claim the NVMe controller");
	m6_cptr_t iospace = 0;
	must(m6_pci_iospace(&dev, &iospace), "the controller's IOSpace from the bus");
	must(m6_iospace_set_notification(iospace,
	                                 m6_cap_mint(CAP_EVENTS, M6_RIGHT_WRITE, BADGE_IOSPACE)),
	     "the IOSpace's notification");
	must(m6_io_page_table_map(retype(M6_OBJ_IO_PAGE_TABLE, 0), iospace, IOVA(0), 2),
	     "IOPageTable level 2");
	must(m6_io_page_table_map(retype(M6_OBJ_IO_PAGE_TABLE, 0), iospace, IOVA(0), 3),
	     "IOPageTable level 3");
	for (unsigned i = 0; i < P_COUNT; i++) {
		m6_cptr_t f = retype(M6_OBJ_FRAME, 12);
		must(m6_frame_map(f, M6_CAP_SELF_VSPACE, VA_DMA(i), RW), "map a DMA page");
		must(m6_frame_get_address(f, &pa[i]), "its physical address");
		if (i == P_CANARY)
			continue; /* the one page the device is never given */
		m6_cptr_t io = m6_cap_alloc();
		must(io ? M6_OK : M6_ERR_NOT_ENOUGH_MEMORY, "a slot");
		must(m6_cnode_copy(ROOT, io, M6_DEPTH_ROOT, ROOT, f, M6_DEPTH_ROOT, M6_RIGHTS_ALL),
		     "copy the frame cap");
		must(m6_frame_map_io(io, iospace, IOVA(i), RW), "map it for DMA");
	}

	/* Bring the controller up on the mapped queues (no interrupts: polled). */
	uint64_t cap = *reg(NVME_CAP) | (uint64_t)*reg(NVME_CAP + 4) << 32;
	cq_doorbell = NVME_SQ0TDBL + (4u << ((cap >> 32) & 0xf));
	*reg(NVME_CC) = 0;
	must(wait_ready(false) ? M6_OK : M6_ERR_RANGE, "the controller resets");
	must(nvme_queue_init(&admin, 0, page(P_ASQ), page(P_ACQ), ADMIN_DEPTH) == 0 ? M6_OK
	                                                                            : M6_ERR_RANGE,
	     "admin queue");
	*reg(NVME_AQA) = (ADMIN_DEPTH - 1) | (ADMIN_DEPTH - 1) << 16;
	set_reg64(NVME_ASQ, IOVA(P_ASQ));
	set_reg64(NVME_ACQ, IOVA(P_ACQ));
	__asm__ volatile("dsb sy" ::: "memory");
	*reg(NVME_CC) = 1 | 6u << 16 | 4u << 20;
	must(wait_ready(true) ? M6_OK : M6_ERR_RANGE, "the controller becomes ready");

	memset(page(P_BUF), 0xa5, 4096);
	const uint8_t *id = page(P_BUF);
	check(identify(IOVA(P_BUF)) == 0 && id[0] == 0x36 && id[1] == 0x1b,
	      "Identify into the mapped buffer works (vendor 1b36)");

	/* The misbehaviour: DMA to memory the driver owns but never gave the device. */
	memset(page(P_CANARY), 0x5a, 4096);
	pending = 0;
	say("rogue: Identify into iova ");
	say_hex(pa[P_CANARY]);
	say(" (not mapped: the canary page's physical address)\n");
	check(identify(pa[P_CANARY]) != 0xffff, "the command completed");
	for (unsigned ms = 0; !(pending & BADGE_IOSPACE) && ms < PATIENCE_MS; ms++)
		tick();
	check(pending & BADGE_IOSPACE, "the IOSpace's notification was signalled");
	check(page_is(P_CANARY, 0x5a), "the canary page is untouched");
	struct m6_io_fault_info f;
	must(m6_iospace_read_fault(iospace, &f), "read the IOSpace's fault");
	check(f.count >= 1 && f.stream_id == 0x8 && f.type == M6_IO_FAULT_TRANSLATION &&
	          f.iova == pa[P_CANARY] && (f.flags & M6_IO_FAULT_WRITE),
	      "the IOSpace recorded a blocked write at that address on stream 0x0008");

	/* A storm: STORM more blocked transfers, the fault not read in between. Each one is
	 * hundreds of SMMU events on QEMU, so recorded they would be thousands of records
	 * (and event interrupts) at least; the kernel stops recording the IOSpace's faults at
	 * the first until it is read, so the count stays within the records already queued
	 * when it did (one event queue: 128). */
	for (unsigned i = 0; i < STORM; i++)
		check_quiet(identify(pa[P_CANARY]) != 0xffff, "a storm command completed");
	for (unsigned ms = 0; !(pending & BADGE_IOSPACE) && ms < PATIENCE_MS; ms++)
		tick();
	must(m6_iospace_read_fault(iospace, &f), "read the IOSpace's fault after the storm");
	say("rogue: ");
	say_dec(STORM);
	say(" more blocked transfers, ");
	say_dec(f.count);
	say(" fault(s) recorded\n");
	check(f.count >= 1 && f.count <= 2 * EVENT_QUEUE,
	      "the storm's faults were recorded only until the first (at most the queue's)");
	check(page_is(P_CANARY, 0x5a), "the canary page is still untouched");

	/* Read, so recorded again: the next blocked transfer is reported as the first was. */
	pending = 0;
	check(identify(pa[P_CANARY]) != 0xffff, "one more blocked transfer completed");
	for (unsigned ms = 0; !(pending & BADGE_IOSPACE) && ms < PATIENCE_MS; ms++)
		tick();
	check(pending & BADGE_IOSPACE, "after the read, the IOSpace's notification fires again");
	must(m6_iospace_read_fault(iospace, &f), "read the IOSpace's fault once more");
	check(f.count >= 1 && f.iova == pa[P_CANARY], "... and its record names the address");
	finish();
}
