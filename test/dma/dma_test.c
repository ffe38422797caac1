/* test/dma: DMA isolation through the SMMU with a real device (QEMU's NVMe controller at
 * 00:01.0, stream ID 0x0008). The component is bus and driver at once:
 *
 *  1. it finds the controller in the ECAM, places its BAR0 and enables it, and binds an
 *     IOSpace to its stream;
 *  2. it maps the admin queues and one buffer into the IOSpace (and into its own VSpace
 *     through copies of the frame caps), resets and enables the controller;
 *  3. Identify into the mapped buffer must succeed (the data is the controller's), and
 *     its completion's MSI-X write to the ITS doorbell must pass the SMMU (no fault);
 *     pointed at an unmapped address instead, the MSI must be blocked and reported;
 *  4. Identify into an I/O address it did not map must fail: the address is the physical
 *     address of a canary page, which is what the DMA would have hit without an SMMU. The
 *     canary must keep its pattern and the fault must be reported: the kernel's log line, a signal
 * to the IOSpace's notification and to IOSpaceControl's, and the same fault read back from both;
 *  5. the buffer's I/O mapping is removed (FRAME_UNMAP: the entry, then the SMMU's TLB
 *     entry for it), and Identify into the same I/O address must now be blocked too, with
 *     the buffer untouched: a stale SMMU TLB entry would let it through;
 *  6. the IOSpace is deleted: its stream is unbound, and the controller's next fetch from
 *     its queue is blocked and reported as a stream with no IOSpace.
 *
 * Booted without an SMMU (qemu.dma.no-smmu), IOSpaceControl reports no streams and binding
 * answers M6_ERR_ILLEGAL_OPERATION. Every wait is bounded (5 s of the system counter, in
 * 1 ms sleeps); the result is one PASS or FAIL line, then power off. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <m6/caps.h>
#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6/time.h>
#include <m6_caps.h>

#include "test_say.h"

#include "nvme_core.h"

#define ROOT        M6_CAP_SELF_CNODE
#define RW          (M6_RIGHT_READ | M6_RIGHT_WRITE)

#define NVME_DEV    1 /* 00:01.0, as qemu.dma places it */
#define NVME_STREAM (NVME_DEV << 3)
#define BAR0_ADDR   0x10000000u /* the spec's `untyped bar ... at` */
#define PATIENCE_MS 5000

/* The component's own mappings: a 1 GiB slot above the spec's regions. */
#define VA_BASE   0x5000000000ull
#define VA_ECAM   VA_BASE                 /* 2 MiB frame, level 2 */
#define VA_PAGES  (VA_BASE + 0x200000ull) /* BAR0 pages, then DMA pages, one level-3 table */
#define VA_BAR    VA_PAGES
#define VA_DMA(i) (VA_PAGES + 0x10000ull + (uint64_t)(i)*0x1000)

/* I/O addresses: 4 GiB up, above all of QEMU virt's RAM (1 GiB at 0x40000000), so that no
 * I/O address the test maps is also the physical address of anything. */
#define IOVA_BASE 0x100000000ull
#define IOVA(i)   (IOVA_BASE + (uint64_t)(i)*0x1000)

enum { P_ASQ, P_ACQ, P_BUF, P_CANARY, P_COUNT };

#define BADGE_TIMER            1u
#define BADGE_IOSPACE          2u
#define BADGE_CONTROL          4u

#define NVME_CAP               0x00
#define NVME_CC                0x14
#define NVME_CSTS              0x1c
#define NVME_AQA               0x24
#define NVME_ASQ               0x28
#define NVME_ACQ               0x30
#define NVME_SQ0TDBL           0x1000

#define ADMIN_DEPTH            16

#define GITS_TRANSLATER_OFFSET 0x40           /* in the doorbell page */
#define MSI_BAD_IOVA           0x200000000ull /* 8 GiB: no table there */

static struct m6_timer timer;
static uint64_t pending; /* notification bits taken by a wait but not yet looked at */
static unsigned failures;
static m6_cptr_t iospace;
static m6_cptr_t io_cap[P_COUNT]; /* the frames' I/O mapping caps */
static uint64_t pa[P_COUNT];
static struct nvme_queue admin;
static unsigned cq_doorbell;

static void check(bool ok, const char *what)
{
	say(ok ? "dma: ok   " : "dma: FAIL ");
	say(what);
	say("\n");
	if (!ok)
		failures++;
}

static _Noreturn void finish(void)
{
	say(failures ? "dma: FAIL\n" : "dma: PASS\n");
	m6_power_off(CAP_POWER);
	for (;;)
		m6_yield();
}

static _Noreturn void fatal(const char *why, uint64_t err)
{
	say("dma: FAIL ");
	say(why);
	say(" (error ");
	say_dec(err);
	say(")\n");
	failures++;
	finish();
}

static void must(uint64_t err, const char *what)
{
	if (err != M6_OK)
		fatal(what, err);
}

static m6_cptr_t retype(m6_cptr_t ut, uint64_t type, uint64_t bits)
{
	m6_cptr_t s = m6_cap_alloc();
	if (!s)
		fatal("out of slots", 0);
	must(m6_untyped_retype(ut, type, bits, ROOT, s, 1), "retype");
	return s;
}

static m6_cptr_t copy(m6_cptr_t src)
{
	m6_cptr_t s = m6_cap_alloc();
	if (!s)
		fatal("out of slots", 0);
	must(m6_cnode_copy(ROOT, s, 64, ROOT, src, 64, M6_RIGHTS_ALL), "copy");
	return s;
}

static m6_cptr_t mint(m6_cptr_t src, uint64_t badge)
{
	m6_cptr_t s = m6_cap_alloc();
	if (!s)
		fatal("out of slots", 0);
	must(m6_cnode_mint(ROOT, s, 64, ROOT, src, 64, M6_RIGHTS_ALL, badge), "mint");
	return s;
}

static volatile uint32_t *reg(unsigned off)
{
	return (volatile uint32_t *)(uintptr_t)(VA_BAR + off);
}

static uint64_t reg64(unsigned off)
{
	return *reg(off) | (uint64_t)*reg(off + 4) << 32;
}

static void set_reg64(unsigned off, uint64_t v)
{
	*reg(off) = (uint32_t)v;
	*reg(off + 4) = (uint32_t)(v >> 32);
}

static volatile uint32_t *cfg(unsigned dev, unsigned offset)
{
	return (volatile uint32_t *)(uintptr_t)(VA_ECAM + ((uint64_t)dev << 15) + offset);
}

static void *page(unsigned i)
{
	return (void *)(uintptr_t)VA_DMA(i);
}

/* Sleep 1 ms, keeping any other signal for wait_bits(). */
static void tick(void)
{
	pending |= m6_wait_timeout(&timer, 1000000ull);
}

/* Wait for all of `bits` on the events notification, at most PATIENCE_MS. */
static bool wait_bits(uint64_t bits)
{
	for (unsigned ms = 0; (pending & bits) != bits && ms < PATIENCE_MS; ms++)
		tick();
	bool ok = (pending & bits) == bits;
	pending &= ~bits;
	return ok;
}

static bool wait_ready(bool ready)
{
	for (unsigned ms = 0; ms < PATIENCE_MS; ms++) {
		uint32_t csts = *reg(NVME_CSTS);
		if (csts & 2)
			return false; /* CFS: the controller gave up */
		if ((csts & 1) == ready)
			return true;
		tick();
	}
	return false;
}

/* Submit one admin command and wait for its completion; returns its status field, or
 * 0xffff when none came. */
static uint16_t admin_command(const struct nvme_sqe *cmd)
{
	int tail = nvme_submit(&admin, cmd, 1, NULL);
	if (tail < 0)
		fatal("admin queue full", 0);
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

static uint16_t identify(uint64_t iova)
{
	struct nvme_sqe cmd;
	nvme_cmd_identify(&cmd, NVME_CNS_CONTROLLER, 0, iova);
	return admin_command(&cmd);
}

static bool page_is(unsigned i, uint8_t value)
{
	const volatile uint8_t *p = page(i);
	for (unsigned b = 0; b < 4096; b++)
		if (p[b] != value)
			return false;
	return true;
}

static void map_vspace_table(m6_cptr_t pool, uint64_t va, unsigned level)
{
	/* A level-N table goes where an entry of level N-1 starts. */
	uint64_t span = 1ull << (12 + 9 * (4 - level));
	uint64_t err = m6_page_table_map(retype(pool, M6_OBJ_PAGE_TABLE, 0), M6_CAP_SELF_VSPACE,
	                                 va & ~(span - 1), level);
	if (err != M6_OK && err != M6_ERR_DELETE_FIRST)
		fatal("page table", err);
}

/* Without an SMMU: the clear answer, and nothing else to test. */
static _Noreturn void no_smmu(void)
{
	say("dma: IOSpaceControl reports no SMMU (0 streams)\n");
	m6_cptr_t io = retype(CAP_POOL, M6_OBJ_IOSPACE, 0);
	check(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, io, NVME_STREAM) ==
	          M6_ERR_ILLEGAL_OPERATION,
	      "binding an IOSpace without an SMMU answers ILLEGAL_OPERATION");
	m6_cptr_t f = retype(CAP_POOL, M6_OBJ_FRAME, 12);
	check(m6_frame_map_io(f, io, IOVA_BASE, RW) == M6_ERR_INVALID_CAP,
	      "mapping into the unbound IOSpace answers INVALID_CAP");
	finish();
}

static void setup_device(void)
{
	/* The ECAM (one 2 MiB frame: buses 0 and 1) and BAR0's four pages. */
	map_vspace_table(CAP_POOL, VA_BASE, 1);
	map_vspace_table(CAP_POOL, VA_BASE, 2);
	map_vspace_table(CAP_POOL, VA_PAGES, 3);
	must(m6_frame_map(retype(CAP_ECAM, M6_OBJ_FRAME, 21), M6_CAP_SELF_VSPACE, VA_ECAM, RW),
	     "map ECAM");
	for (unsigned i = 0; i < 4; i++)
		must(m6_frame_map(retype(CAP_BAR, M6_OBJ_FRAME, 12), M6_CAP_SELF_VSPACE,
		                  VA_BAR + i * 0x1000ull, RW),
		     "map BAR0");
	uint32_t id = *cfg(NVME_DEV, 0);
	if (id != 0x00101b36)
		fatal("no QEMU NVMe controller (1b36:0010) at 00:01.0", id);
	/* BAR0 is 64-bit memory: both halves, then memory decoding and bus mastering. */
	*cfg(NVME_DEV, 0x04) = 0;
	*cfg(NVME_DEV, 0x10) = BAR0_ADDR;
	*cfg(NVME_DEV, 0x14) = 0;
	*cfg(NVME_DEV, 0x04) = 0x6;
	__asm__ volatile("dsb sy" ::: "memory");
}

static void setup_iospace(void)
{
	iospace = retype(CAP_POOL, M6_OBJ_IOSPACE, 0);
	must(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, iospace, NVME_STREAM), "bind");
	must(m6_iospace_set_notification(iospace, mint(CAP_EVENTS, BADGE_IOSPACE)),
	     "IOSpace notification");
	must(m6_iospace_control_set_notification(CAP_IOSPACE_CONTROL,
	                                         mint(CAP_EVENTS, BADGE_CONTROL)),
	     "IOSpaceControl notification");
	/* 4 GiB: the kernel's level-1 table has no entry there yet. */
	must(m6_io_page_table_map(retype(CAP_POOL, M6_OBJ_IO_PAGE_TABLE, 0), iospace, IOVA_BASE, 2),
	     "IOPageTable level 2");
	must(m6_io_page_table_map(retype(CAP_POOL, M6_OBJ_IO_PAGE_TABLE, 0), iospace, IOVA_BASE, 3),
	     "IOPageTable level 3");
	for (unsigned i = 0; i < P_COUNT; i++) {
		m6_cptr_t f = retype(CAP_POOL, M6_OBJ_FRAME, 12);
		must(m6_frame_map(f, M6_CAP_SELF_VSPACE, VA_DMA(i), RW), "map DMA page");
		must(m6_frame_get_address(f, &pa[i]), "frame address");
		io_cap[i] = copy(f);
		/* The canary is the one page the device must never reach: not in the IOSpace. */
		if (i != P_CANARY)
			must(m6_frame_map_io(io_cap[i], iospace, IOVA(i), RW), "map for DMA");
	}
}

/* MSI-X entry 0 (the admin completion queue's vector) writes `data` to `address`. */
static volatile uint32_t *msix_entry;

static void setup_msix(void)
{
	/* The capability list, bounded: 48 entries fit in config space's 192 bytes. */
	unsigned at = *cfg(NVME_DEV, 0x34) & 0xfc;
	for (unsigned i = 0; at >= 0x40 && i < 48; i++) {
		uint32_t head = *cfg(NVME_DEV, at);
		if ((head & 0xff) == 0x11) {
			uint32_t table = *cfg(NVME_DEV, at + 4);
			if ((table & 7) != 0 || (table & ~7u) + 16 > 0x4000)
				fatal("the MSI-X table is not in BAR0", table);
			msix_entry = (volatile uint32_t *)(uintptr_t)(VA_BAR + (table & ~7u));
			/* Enable, function not masked: message control is the head's top half. */
			*cfg(NVME_DEV, at) = (head & 0x3fffffffu) | 0x80000000u;
			return;
		}
		at = (head >> 8) & 0xfc;
	}
	fatal("no MSI-X capability", 0);
}

static void set_msi(uint64_t address)
{
	msix_entry[3] = 1; /* masked while it changes */
	msix_entry[0] = (uint32_t)address;
	msix_entry[1] = (uint32_t)(address >> 32);
	msix_entry[2] = 0; /* the event ID: the ITS ignores it until it is set up */
	msix_entry[3] = 0;
	__asm__ volatile("dsb sy" ::: "memory");
}

static void setup_controller(void)
{
	uint64_t cap = reg64(NVME_CAP);
	cq_doorbell = NVME_SQ0TDBL + (4u << ((cap >> 32) & 0xf));
	*reg(NVME_CC) = 0;
	if (!wait_ready(false))
		fatal("the controller does not reset", *reg(NVME_CSTS));
	if (nvme_queue_init(&admin, 0, page(P_ASQ), page(P_ACQ), ADMIN_DEPTH) != 0)
		fatal("admin queue", 0);
	*reg(NVME_AQA) = (ADMIN_DEPTH - 1) | (ADMIN_DEPTH - 1) << 16;
	set_reg64(NVME_ASQ, IOVA(P_ASQ));
	set_reg64(NVME_ACQ, IOVA(P_ACQ));
	__asm__ volatile("dsb sy" ::: "memory");
	*reg(NVME_CC) = 1 | 6u << 16 | 4u << 20; /* EN, 64-byte SQEs, 16-byte CQEs */
	if (!wait_ready(true))
		fatal("the controller does not become ready", *reg(NVME_CSTS));
}

/* The fault both records must show: a write (the controller writing its Identify data)
 * blocked at `iova` on the controller's stream. */
static void check_fault(uint64_t iova, const char *what)
{
	say("dma: -- ");
	say(what);
	say("\n");
	check(wait_bits(BADGE_IOSPACE | BADGE_CONTROL),
	      "the IOSpace's and IOSpaceControl's notifications were signalled");
	struct m6_io_fault_info f;
	must(m6_iospace_read_fault(iospace, &f), "read IOSpace fault");
	say("dma: IOSpace fault: ");
	say_dec(f.count);
	say(" event(s), type ");
	say_hex(f.type);
	say(" at iova ");
	say_hex(f.iova);
	say(f.flags & M6_IO_FAULT_WRITE ? " (write)\n" : " (read)\n");
	/* The first fault is kept: the transfer's first write, at the page's start. */
	check(f.count >= 1 && f.stream_id == NVME_STREAM && f.type == M6_IO_FAULT_TRANSLATION &&
	          f.iova == iova && (f.flags & M6_IO_FAULT_WRITE),
	      "the IOSpace recorded a translation fault on a write at that address");
	must(m6_iospace_control_read_fault(CAP_IOSPACE_CONTROL, &f), "read control fault");
	check(f.count >= 1 && f.stream_id == NVME_STREAM && f.iova == iova,
	      "IOSpaceControl recorded it on stream 0x0008");
	must(m6_iospace_read_fault(iospace, &f), "read IOSpace fault again");
	check(f.count == 0, "reading cleared the record");
}

int main(void)
{
	must(m6_timer_init(&timer, CAP_CLOCK, CAP_EVENTS, BADGE_TIMER), "timer");
	uint64_t streams = 0, doorbell = 0;
	must(m6_iospace_control_info(CAP_IOSPACE_CONTROL, &streams, &doorbell), "info");
	if (streams == 0)
		no_smmu();
	say("dma: SMMU with ");
	say_dec(streams);
	say(" streams, MSI doorbell at ");
	say_hex(doorbell);
	say("\n");
	setup_device();
	setup_iospace();
	setup_msix();
	set_msi(doorbell + GITS_TRANSLATER_OFFSET);
	setup_controller();

	/* 3: DMA into the mapped buffer. */
	memset(page(P_BUF), 0xa5, 4096);
	uint16_t status = identify(IOVA(P_BUF));
	const uint8_t *id = page(P_BUF);
	check(status == 0, "Identify into the mapped buffer completes without error");
	check(id[0] == 0x36 && id[1] == 0x1b && !memcmp(id + 24, "QEMU NVMe Ctrl", 14),
	      "the buffer holds the controller's Identify data (VID 1b36, model QEMU NVMe Ctrl)");
	struct m6_io_fault_info none;
	must(m6_iospace_control_read_fault(CAP_IOSPACE_CONTROL, &none), "read control fault");
	check(none.count == 0, "its completion's MSI to the ITS doorbell passed the SMMU");

	/* The same MSI to an address the IOSpace does not map is blocked: the doorbell
	 * mapping is what lets MSIs through. */
	set_msi(MSI_BAD_IOVA);
	check(identify(IOVA(P_BUF)) == 0, "Identify with its MSI sent elsewhere completes");
	check_fault(MSI_BAD_IOVA, "the MSI to an unmapped address");
	set_msi(doorbell + GITS_TRANSLATER_OFFSET);

	/* 4: DMA to an address nobody mapped: the canary's physical address. */
	memset(page(P_CANARY), 0x5a, 4096);
	pending = 0;
	say("dma: Identify into iova ");
	say_hex(pa[P_CANARY]);
	say(" (unmapped; the canary page's physical address)\n");
	status = identify(pa[P_CANARY]);
	say("dma: completion status ");
	say_hex(status);
	say("\n");
	/* QEMU 7.2's NVMe completes it with success: it drops the blocked writes' result. A
	 * driver learns of the fault from its IOSpace's notification (below). */
	check(status != 0xffff, "the command completed");
	check(page_is(P_CANARY, 0x5a), "the canary page is untouched");
	check_fault(pa[P_CANARY], "fault report for the unmapped address");

	/* 5: unmap the buffer (its SMMU TLB entry is warm from step 3), then DMA again. */
	must(m6_frame_unmap(io_cap[P_BUF]), "unmap the buffer");
	memset(page(P_BUF), 0xc3, 4096);
	status = identify(IOVA(P_BUF));
	check(status != 0xffff, "Identify into the unmapped buffer completed");
	check(page_is(P_BUF, 0xc3), "the unmapped buffer is untouched (no stale SMMU TLB entry)");
	check_fault(IOVA(P_BUF), "fault report after the unmap");

	/* The controller still works through what is mapped: map the buffer again. */
	must(m6_frame_map_io(io_cap[P_BUF], iospace, IOVA(P_BUF), RW), "map the buffer again");
	check(identify(IOVA(P_BUF)) == 0 && id[0] == 0x36,
	      "mapped again, Identify into it works again");

	/* 6: the IOSpace deleted, its stream is unbound: the device reaches nothing, not even
	 * its queues, though every mapping cap is still held. */
	say("dma: -- the IOSpace deleted\n");
	must(m6_cnode_delete(ROOT, iospace, 64), "delete the IOSpace");
	memset(page(P_BUF), 0x77, 4096);
	struct nvme_sqe cmd;
	nvme_cmd_identify(&cmd, NVME_CNS_CONTROLLER, 0, IOVA(P_BUF));
	int tail = nvme_submit(&admin, &cmd, 2, NULL);
	if (tail < 0)
		fatal("admin queue full", 0);
	__asm__ volatile("dsb sy" ::: "memory");
	*reg(NVME_SQ0TDBL) = (uint32_t)tail; /* the controller fetches the command: blocked */
	check(wait_bits(BADGE_CONTROL), "IOSpaceControl's notification was signalled");
	struct m6_io_fault_info f;
	must(m6_iospace_control_read_fault(CAP_IOSPACE_CONTROL, &f), "read control fault");
	check(f.count >= 1 && f.stream_id == NVME_STREAM && f.type == M6_IO_FAULT_NOT_BOUND,
	      "it recorded stream 0x0008 as having no IOSpace");
	check(page_is(P_BUF, 0x77), "the buffer is untouched");
	finish();
}
