/* The NVMe driver: serves the block protocol (libm6/interfaces/block.idl, docs/files.md)
 * to one client from an NVMe controller's namespace 1, exactly as the virtio-blk driver
 * does (same geometry, queues, data region and answers), so FAT mounts from either.
 *
 * What the spec gives it (examples/shell/shell.m6, test/nvme/nvme.m6.in): `pci bus claims
 * class 0x010802 as NVME`, through which nvme_pci.c gets the controller (nvme_hw.h: its
 * registers and interrupts), `notification wake` (the client's signals, badge 1; the I/O
 * queue pair's interrupt, badge 2; the debug crash hook, 4 and 8 (block.h); the timer,
 * badge 16; MSI-X: the admin queue's interrupt, badge 32; a DMA fault of its IOSpace,
 * badge 64), `timer clock`, `signal client.done as CLIENT badge 1`, the shared regions
 * `ring` and `data`, and `untyped dma 8 MiB` for the memory the controller reads and
 * writes (two 2 MiB frames) and page tables. Test systems may add `args` for a
 * fault (main).
 *
 * Bring-up (NVMe 2.0 base spec, 3.5.1): disable and wait for CSTS.RDY = 0, set up the
 * admin queue, enable and wait for CSTS.RDY = 1 (both bounded by CAP.TO), Identify the
 * controller and namespace 1, create one I/O completion/submission queue pair. The
 * queues, command ids, PRPs, status mapping and Identify parsing are nvme_core's.
 *
 * DMA: as virtio_blk (which see), the driver cannot know the data region's physical
 * addresses, so it bounces through a 2 MiB frame that mirrors the region offset for
 * offset: one memcpy per request. The frame is contiguous in I/O addresses, so a request's
 * pages are its address plus 4 KiB steps; more than two pages take a PRP list, one list
 * page per request slot. With an IOSpace from the bus (the system has an SMMU), both DMA
 * frames are mapped there at DMA_IOVA and the controller is given only those I/O
 * addresses: it reaches them and the ITS doorbell, nothing else. A DMA the SMMU blocked
 * signals the IOSpace's notification (badge 16): logged, and the controller is treated as
 * failed (the reset path). Without one (no SMMU), the I/O addresses are physical.
 *
 * Timeouts: commands are stamped when submitted; the Timer is armed for the oldest one's
 * deadline only when it is not armed already (one TIMER_SET per timeout period, not per
 * command). A command older than COMMAND_TIMEOUT_NS that has not completed, on a
 * controller that does not answer an admin command either, means it is stuck: log, reset
 * it, answer every request in flight eio, bring it up again and carry on (check_timeouts).
 *
 * Restarts (docs/supervision.md, block_driver.h): a supervisor may restart the driver from
 * a clean state. Every start first has the bus stop the function a last run held (bus
 * mastering off: nvme_hw_stop), before any DMA memory is made from the pool the crashed
 * run's queues were in; bring-up then disables the controller (CC.EN = 0, which deletes
 * every queue and drops every command) before anything else, identifies it afresh, and
 * only then publishes the geometry and bumps the epoch, so requests sent to the last run
 * are answered `estale` without reaching the disk. The run after the supervisor gave up
 * (M6_RESTART_FINAL) stops the function and tells the client the disk is gone. The
 * shell's `crash disk` (BLOCK_DEBUG_CRASH_BADGE) makes the driver fault on purpose. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <m6/caps.h>
#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6/supervision.h>
#include <m6/time.h>
#include <m6_caps.h>

#include "block.h"
#include "block_driver.h"
#include "nvme_core.h"
#include "nvme_hw.h"

/* Controller registers (NVMe 2.0 base, 3.1.4). */
#define REG_CAP            0x00
#define REG_VS             0x08
#define REG_CC             0x14
#define REG_CSTS           0x1c
#define REG_AQA            0x24
#define REG_ASQ            0x28
#define REG_ACQ            0x30
#define DOORBELL           0x1000

#define CC_EN              1u
#define CC_IOSQES_64       (6u << 16)
#define CC_IOCQES_16       (4u << 20)
#define CSTS_RDY           1u
#define CSTS_CFS           2u
#define CAP_CSS_NVM        (1ull << 37)

#define CLIENT_BADGE       1u
#define IRQ_BADGE          2u  /* the I/O queue pair's interrupt (INTx: the only one) */
#define ADMIN_IRQ_BADGE    32u /* MSI-X: the admin queue's vector 0 */
#define TIMER_BADGE        16u
#define DMA_FAULT_BADGE    64u /* the IOSpace: the SMMU blocked a DMA of the controller */

#define ADMIN_DEPTH        64u
#define IO_DEPTH           128u /* >= the block protocol's 64 requests + 1 (CAP.MQES permitting) */
#define SLOTS              BLOCK_REQUESTS_DEPTH
#define NSID               1u
#define ADMIN_TIMEOUT_NS   2000000000ull /* an admin command during bring-up */
#define COMMAND_TIMEOUT_NS 5000000000ull /* an I/O command */
#define LATE_LOGGED        3u            /* late commands logged, each */

/* DMA memory: a 1 GiB slot of the driver's own, as virtio_blk's. Frame A (2 MiB) mirrors
 * the data region; frame B (2 MiB) holds the queues, the Identify page and the PRP lists. */
#define DMA_VADDR    0x4000000000ull
#define DMA_BOUNCE   DMA_VADDR
#define DMA_B        (DMA_VADDR + 0x200000ull)
#define OFF_ADMIN_SQ 0x0000u /* 64 x 64 B */
#define OFF_ADMIN_CQ 0x1000u /* 64 x 16 B */
#define OFF_IO_CQ    0x2000u /* 128 x 16 B */
#define OFF_IDENTIFY 0x3000u
#define OFF_IO_SQ    0x4000u  /* 128 x 64 B = 8 KiB */
#define OFF_PRP      0x10000u /* one 4 KiB list page per request slot */
/* Where both frames sit in the IOSpace: 4 GiB up, above QEMU virt's RAM, so that no I/O
 * address the controller is given is also the physical address of anything (a confused
 * address faults instead of hitting memory). One level-2 table (the kernel's level-1 table,
 * which leads to the MSI doorbell, covers it); each 2 MiB frame is one block entry. */
#define DMA_IOVA 0x100000000ull

_Static_assert(M6_MEM_DATA_SIZE == 0x200000, "the data region is as large as the 2 MiB mirror");
_Static_assert(M6_MEM_RING_SIZE >= BLOCK_RING_SIZE, "the ring region holds the protocol's pages");
_Static_assert(ADMIN_DEPTH * sizeof(struct nvme_sqe) <= 0x1000, "the admin SQ is one page");
_Static_assert(IO_DEPTH * sizeof(struct nvme_cqe) <= 0x1000, "the I/O CQ is one page");
_Static_assert(OFF_IO_SQ + IO_DEPTH * sizeof(struct nvme_sqe) <= OFF_PRP, "the I/O SQ fits");
_Static_assert(OFF_PRP + SLOTS * 0x1000u <= 0x200000u, "the PRP lists fit frame B");
/* The largest request: 2 MiB from an unaligned offset touches 513 pages, 512 list entries:
 * one list page. */
_Static_assert((M6_MEM_DATA_SIZE / NVME_PAGE_SIZE + 1) - 1 <= NVME_PRP_PER_PAGE,
               "one PRP list page per request");
_Static_assert(((CLIENT_BADGE | IRQ_BADGE | ADMIN_IRQ_BADGE | TIMER_BADGE | DMA_FAULT_BADGE) &
                (BLOCK_DEBUG_CRASH_BADGE | BLOCK_DEBUG_CRASH_NOW_BADGE)) == 0,
               "the crash hook's badges are the same for every block driver (block.h)");
_Static_assert((int)NVME_BLOCK_EIO == (int)BLOCK_STATUS_EIO &&
                   (int)NVME_BLOCK_ENXIO == (int)BLOCK_STATUS_ENXIO &&
                   (int)NVME_BLOCK_EINVAL == (int)BLOCK_STATUS_EINVAL &&
                   (int)NVME_BLOCK_EROFS == (int)BLOCK_STATUS_EROFS &&
                   (int)NVME_BLOCK_EOPNOTSUPP == (int)BLOCK_STATUS_EOPNOTSUPP,
               "nvme_core's answers are the block protocol's");

static struct nvme_hw hw;
/* The frames' addresses as the controller sees them: I/O addresses in the IOSpace, or
 * physical addresses without one. */
static uint64_t bounce_iova, b_iova;
static m6_cptr_t dma_frames[2]; /* the bounce mirror and frame B */
static bool dma_fault_pending;  /* the IOSpace signalled while an admin command waited */
static struct nvme_queue admin, io;
static unsigned dstrd;            /* doorbell stride: 4 << CAP.DSTRD bytes */
static uint64_t ready_timeout_ns; /* CAP.TO */
static uint16_t io_depth;
static bool dead;      /* bring-up failed: every request gets eio */
static bool gone;      /* the client was told the disk is gone */
static uint32_t epoch; /* the epoch requests must carry (block.idl) */
/* `crash disk`: a debug aid only the spec's holder of that badge has (block_driver.h). */
static struct block_driver_crash crash_hook = {.name = "nvme"};
static struct m6_timer timer;
static bool timer_armed;
static uint64_t timeout_ticks;
/* Test systems' faults (`args`, see main): the I/O command (counted from 1) at which each
 * starts; 0: off. */
static unsigned stall_after, dup_after, dmafault_after;
static unsigned submitted_total;
static bool dup_done;
static bool fault_bad_mps;     /* `args "noready" "1"`: enable with a page size it refuses */
static bool stalled;           /* the test fault is on: no doorbell is rung */
static uint64_t late_stamp;    /* the last late command (its submission stamp) */
static unsigned late_commands; /* how many commands were late (and still answered) */
static bool irq_pending;       /* the interrupt fired: ack once its entries are consumed */

static struct block_requests *requests;
static struct block_completions *completions;
static struct block_geometry *geometry;

/* A request the controller has: what to answer, and what to copy back. */
static struct slot {
	bool busy;
	uint8_t retried;
	uint32_t op;
	uint64_t id, offset, bytes;
	struct nvme_sqe cmd; /* to send again once if the status says it may pass */
} slots[SLOTS];
static unsigned in_flight;
static uint32_t block_size;
static uint64_t max_bytes;
static bool has_flush;
static uint32_t refused_logged;

static void say(const char *s)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, s);
}

static void say_u64(uint64_t v, int hex)
{
	char num[24];
	say(m6_format_u64(num, v, hex));
}

static void barrier(void)
{
	/* The controller is another observer: our queue entries before the doorbell. */
	__asm__ volatile("dmb sy" ::: "memory");
}

static uint32_t rd32(unsigned off)
{
	return *(volatile uint32_t *)(hw.regs + off);
}

static uint64_t rd64(unsigned off)
{
	return rd32(off) | (uint64_t)rd32(off + 4) << 32;
}

static void wr32(unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(hw.regs + off) = v;
}

static void wr64(unsigned off, uint64_t v)
{
	wr32(off, (uint32_t)v);
	wr32(off + 4, (uint32_t)(v >> 32));
}

static void sq_doorbell(uint16_t qid, uint16_t tail)
{
	if (stalled)
		return;
	barrier();
	wr32(DOORBELL + (2u * qid) * (4u << dstrd), tail);
}

static void cq_doorbell(uint16_t qid, uint16_t head)
{
	wr32(DOORBELL + (2u * qid + 1u) * (4u << dstrd), head);
}

/* Failures that leave nothing to serve: the geometry tells the client there is no disk
 * (block_driver_publish_gone: at the first start, a geometry without the magic; after
 * that, the magic's loss with a new epoch), so it gets errors, not a hang. */
static void no_disk(const char *why)
{
	say("nvme: ");
	say(why);
	say("\n");
	dead = true;
	if (geometry && !gone) {
		gone = true;
		block_driver_publish_gone(geometry);
		m6_signal(CAP_CLIENT);
	}
}

static _Noreturn void halt(const char *why)
{
	no_disk(why);
	for (;;)
		m6_wait(CAP_WAKE);
}

/* A new object from the pool into a fresh slot. */
static m6_cptr_t make(uint64_t type, uint64_t size_bits)
{
	m6_cptr_t slot = m6_cap_retype_new(CAP_DMA, type, size_bits);
	if (!slot)
		halt("cannot make DMA memory from the untyped pool");
	return slot;
}

static uint64_t map_frame(m6_cptr_t frame, uint64_t vaddr)
{
	uint64_t paddr = 0;
	if (m6_frame_map(frame, M6_CAP_SELF_VSPACE, vaddr, M6_RIGHT_READ | M6_RIGHT_WRITE) ||
	    m6_frame_get_address(frame, &paddr))
		halt("cannot map DMA memory");
	return paddr;
}

static void map_table(uint64_t vaddr, unsigned level)
{
	if (m6_vspace_ensure_table(CAP_DMA, vaddr, level) != M6_OK)
		halt("cannot map a page table for DMA memory");
}

static void setup_dma(void)
{
	/* Both 2 MiB frames first, while the pool is still 2 MiB aligned. */
	m6_cptr_t a = make(M6_OBJ_FRAME, 21), b = make(M6_OBJ_FRAME, 21);
	map_table(DMA_VADDR, 1);
	map_table(DMA_VADDR, 2);
	bounce_iova = map_frame(a, DMA_BOUNCE);
	b_iova = map_frame(b, DMA_B);
	dma_frames[0] = a;
	dma_frames[1] = b;
}

/* With an IOSpace: map both frames there (copies of their caps: a cap is one mapping) and
 * hand the controller those I/O addresses from now on; take its DMA faults. */
static void setup_iospace(void)
{
	if (!hw.iospace) {
		say("nvme: no IOSpace (no SMMU): the controller DMAs to physical addresses\n");
		return;
	}
	m6_cptr_t table = make(M6_OBJ_IO_PAGE_TABLE, 0);
	if (m6_io_page_table_map(table, hw.iospace, DMA_IOVA, 2))
		halt("cannot map an I/O page table into the controller's IOSpace");
	for (unsigned i = 0; i < 2; i++) {
		m6_cptr_t io = m6_cap_alloc();
		if (!io ||
		    m6_cnode_copy(M6_CAP_SELF_CNODE, io, M6_DEPTH_ROOT, M6_CAP_SELF_CNODE,
		                  dma_frames[i], M6_DEPTH_ROOT, M6_RIGHTS_ALL) ||
		    m6_frame_map_io(io, hw.iospace, DMA_IOVA + i * 0x200000ull,
		                    M6_RIGHT_READ | M6_RIGHT_WRITE))
			halt("cannot map DMA memory into the controller's IOSpace");
	}
	m6_cptr_t fault_signal = m6_cap_mint(CAP_WAKE, M6_RIGHT_WRITE, DMA_FAULT_BADGE);
	if (!fault_signal || m6_iospace_set_notification(hw.iospace, fault_signal))
		halt("cannot take the IOSpace's fault signal");
	bounce_iova = DMA_IOVA;
	b_iova = DMA_IOVA + 0x200000ull;
	say("nvme: DMA through the controller's IOSpace: 4 MiB at I/O address 0x");
	say_u64(DMA_IOVA, 1);
	say("\n");
}

static void *b_ptr(unsigned off)
{
	return (void *)(uintptr_t)(DMA_B + off);
}

/* Waits for CSTS.RDY to read `want`, sleeping 1 ms between looks, at most CAP.TO. Returns
 * NULL, or why not: a controller that reports a fatal status while it should become ready
 * will not, so that ends the wait at once. */
static const char *wait_ready(uint32_t want)
{
	uint64_t start = m6_time_ns();
	for (;;) {
		uint32_t csts = rd32(REG_CSTS);
		if (csts == 0xffffffffu)
			return "the controller is gone (its registers read all ones)";
		if ((csts & CSTS_RDY) == want)
			return NULL;
		if (want && (csts & CSTS_CFS))
			return "the controller did not become ready: it reports a fatal status "
			       "(CSTS.CFS)";
		if (m6_time_ns() - start > ready_timeout_ns)
			return want ? "the controller did not become ready within CAP.TO"
			            : "the controller did not finish its reset (CSTS.RDY stayed 1) "
			              "within CAP.TO";
		m6_sleep_ns(&timer, 1000000ull);
	}
}

/* The admin queue's interrupt (INTx: the function's one line) ... */
static void ack_irq(void)
{
	m6_irq_handler_ack(hw.irq);
}

/* ... and the I/O queue pair's (the same handler on INTx; its own vector with MSI-X). */
static void ack_io_irq(void)
{
	m6_irq_handler_ack(hw.io_irq);
}

/* One admin command, waited for (interrupt or timeout). Returns its status field, or
 * 0xffff if it did not complete in time. */
static uint16_t admin_run(const struct nvme_sqe *cmd, uint32_t *dw0)
{
	int tail = nvme_submit(&admin, cmd, 0, NULL);
	if (tail < 0)
		return 0xffff;
	sq_doorbell(0, (uint16_t)tail);
	uint64_t start = m6_time_ns();
	for (;;) {
		struct nvme_done done;
		uint16_t head;
		unsigned consumed;
		unsigned n = nvme_poll(&admin, &done, 1, &head, &consumed);
		if (consumed)
			cq_doorbell(0, head);
		if (n) {
			ack_irq();
			if (dw0)
				*dw0 = done.dw0;
			return done.status;
		}
		uint64_t spent = m6_time_ns() - start;
		if (spent >= ADMIN_TIMEOUT_NS)
			return 0xffff;
		/* Keep what the wait took for the main loop: an I/O queue interrupt left
		 * unacknowledged would stay masked (MSI-X) and I/O would stop; a crash hook's
		 * signal must not be lost either. */
		uint64_t bits = m6_wait_timeout(&timer, ADMIN_TIMEOUT_NS - spent);
		block_driver_crash_arm(&crash_hook, bits);
		if (bits & DMA_FAULT_BADGE)
			dma_fault_pending = true;
		if (bits & IRQ_BADGE)
			irq_pending = true;
	}
}

/* Disable: CC.EN = 0 and CSTS.RDY = 0 within CAP.TO. */
static bool disable(void)
{
	uint32_t cc = rd32(REG_CC);
	if (cc & CC_EN)
		wr32(REG_CC, cc & ~CC_EN);
	return wait_ready(0) == NULL;
}

/* Everything from a disabled controller to I/O queues that take commands. Identify only
 * the first time (`identify`): a reset keeps the geometry the client has. */
static const char *bring_up(bool identify)
{
	if (!disable())
		return "the controller did not finish its reset (CSTS.RDY stayed 1) within CAP.TO";
	nvme_queue_init(&admin, 0, b_ptr(OFF_ADMIN_SQ), b_ptr(OFF_ADMIN_CQ), ADMIN_DEPTH);
	wr32(REG_AQA, (ADMIN_DEPTH - 1) << 16 | (ADMIN_DEPTH - 1));
	wr64(REG_ASQ, b_iova + OFF_ADMIN_SQ);
	wr64(REG_ACQ, b_iova + OFF_ADMIN_CQ);
	barrier();
	/* NVM command set, 4 KiB pages; the test fault asks for 128 MiB pages (CC.MPS 15),
	 * beyond any controller's CAP.MPSMAX, an enable it must refuse. */
	uint32_t mps = fault_bad_mps ? 0xfu << 7 : 0;
	wr32(REG_CC, CC_IOSQES_64 | CC_IOCQES_16 | mps | CC_EN);
	const char *why = wait_ready(1);
	if (why)
		return why;
	if (rd32(REG_CSTS) & CSTS_CFS)
		return "the controller reports a fatal status (CSTS.CFS)";

	struct nvme_sqe cmd;
	if (identify) {
		uint64_t cap = rd64(REG_CAP);
		uint32_t min_page = 1u << (12 + ((cap >> 48) & 0xf));
		struct nvme_ctrl_info ctrl;
		struct nvme_ns_info ns;
		nvme_cmd_identify(&cmd, NVME_CNS_CONTROLLER, 0, b_iova + OFF_IDENTIFY);
		if (admin_run(&cmd, NULL) != 0)
			return "Identify Controller failed";
		if (nvme_parse_identify_ctrl(b_ptr(OFF_IDENTIFY), min_page, &ctrl, &why))
			return why;
		nvme_cmd_identify(&cmd, NVME_CNS_NAMESPACE, NSID, b_iova + OFF_IDENTIFY);
		if (admin_run(&cmd, NULL) != 0)
			return "Identify Namespace 1 failed (no namespace 1?)";
		if (nvme_parse_identify_ns(b_ptr(OFF_IDENTIFY), &ns, &why))
			return why;
		say("nvme: ");
		say(ctrl.model);
		say(" serial ");
		say(ctrl.serial);
		say(" firmware ");
		say(ctrl.firmware);
		say(", namespace 1: ");
		say_u64(ns.blocks, 0);
		say(" blocks of ");
		say_u64(ns.block_size, 0);
		say(" bytes, I/O queue depth ");
		say_u64(io_depth, 0);
		say(", ");
		say(hw.kind);
		say(ctrl.volatile_cache ? ", write cache\n" : "\n");
		block_size = ns.block_size;
		max_bytes = M6_MEM_DATA_SIZE;
		if (ctrl.max_transfer && ctrl.max_transfer < max_bytes)
			max_bytes = ctrl.max_transfer;
		has_flush = ctrl.volatile_cache;
		geometry->block_size = block_size;
		geometry->read_only = 0;
		geometry->block_count = ns.blocks;
		geometry->max_bytes = max_bytes / block_size * block_size;
		geometry->queue_depth = BLOCK_REQUESTS_DEPTH;
		geometry->flush = has_flush;
	}

	/* The I/O pair, interrupting on its own MSI-X vector (1), or on INTx's one line
	 * (vector 0) when the bus could not hand MSI-X. */
	nvme_queue_init(&io, 1, b_ptr(OFF_IO_SQ), b_ptr(OFF_IO_CQ), io_depth);
	if (nvme_cmd_create_io_cq(&cmd, 1, io_depth, b_iova + OFF_IO_CQ, hw.io_vector, true) ||
	    admin_run(&cmd, NULL) != 0)
		return "Create I/O Completion Queue failed";
	if (nvme_cmd_create_io_sq(&cmd, 1, io_depth, b_iova + OFF_IO_SQ, 1) ||
	    admin_run(&cmd, NULL) != 0)
		return "Create I/O Submission Queue failed";
	return NULL;
}

static bool complete(uint64_t id, uint32_t status)
{
	struct block_completion c = {.id = id, .status = status};
	/* Never full: a request is taken only while in_flight + waiting answers < DEPTH. */
	return block_completions_enqueue(completions, &c);
}

/* Decode: every check on the client's request, nothing changed. */
static uint32_t check(const struct block_request *r, uint64_t *bytes)
{
	*bytes = 0;
	if (dead)
		return BLOCK_STATUS_EIO;
	if (r->epoch != epoch)
		return BLOCK_STATUS_ESTALE; /* sent to the run before a restart: not carried out */
	switch (r->op) {
	case BLOCK_OP_FLUSH:
		return has_flush ? BLOCK_STATUS_OK : BLOCK_STATUS_EOPNOTSUPP;
	case BLOCK_OP_READ:
	case BLOCK_OP_WRITE:
		break;
	default:
		return BLOCK_STATUS_EOPNOTSUPP;
	}
	uint64_t blocks = geometry->block_count;
	if (r->count == 0 || (uint64_t)r->count * block_size > geometry->max_bytes)
		return BLOCK_STATUS_EINVAL;
	*bytes = (uint64_t)r->count * block_size;
	if (r->offset > M6_MEM_DATA_SIZE || *bytes > M6_MEM_DATA_SIZE - r->offset)
		return BLOCK_STATUS_EINVAL;
	/* PRPs address dwords: the mirror keeps the client's offset, so it must be one. */
	if (r->offset % 4)
		return BLOCK_STATUS_EINVAL;
	if (r->block >= blocks || r->count > blocks - r->block)
		return BLOCK_STATUS_ENXIO;
	return BLOCK_STATUS_OK;
}

static int free_slot(void)
{
	for (unsigned s = 0; s < SLOTS; s++)
		if (!slots[s].busy)
			return (int)s;
	return -1;
}

/* Hands slot s's command to the controller; returns the new SQ tail, or -1. */
static int send(unsigned s)
{
	io.now = m6_counter();
	return nvme_submit(&io, &slots[s].cmd, s, NULL);
}

/* Perform: build the command of a checked request in slot s and queue it. */
static int submit(unsigned s, const struct block_request *r, uint64_t bytes)
{
	struct slot *sl = &slots[s];
	*sl = (struct slot){
	    .busy = true, .op = r->op, .id = r->id, .offset = r->offset, .bytes = bytes};
	if (r->op == BLOCK_OP_FLUSH) {
		nvme_cmd_flush(&sl->cmd, NSID);
	} else {
		if (r->op == BLOCK_OP_WRITE)
			memcpy((void *)(uintptr_t)(DMA_BOUNCE + r->offset),
			       (const void *)(uintptr_t)(M6_MEM_DATA_VADDR + r->offset), bytes);
		/* The mirror is contiguous: page i of the transfer is the next 4 KiB. */
		uint64_t first = bounce_iova + (r->offset & ~(uint64_t)(NVME_PAGE_SIZE - 1));
		uint32_t in_page = (uint32_t)(r->offset % NVME_PAGE_SIZE);
		size_t pages = (size_t)((in_page + bytes + NVME_PAGE_SIZE - 1) / NVME_PAGE_SIZE);
		uint64_t list[M6_MEM_DATA_SIZE / NVME_PAGE_SIZE + 1];
		for (size_t i = 0; i < pages; i++)
			list[i] = first + i * NVME_PAGE_SIZE;
		uint64_t *list_page = b_ptr(OFF_PRP + s * 0x1000u);
		uint64_t list_iova = b_iova + OFF_PRP + s * 0x1000u;
		struct nvme_prp prp;
		/* Cannot fail: check() bounds the request to the data region, the mirror's pages
		 * are aligned and one list page holds the largest request. */
		if (nvme_build_prp(list, pages, in_page, bytes, &list_page, &list_iova, 1, &prp) ||
		    nvme_cmd_rw(&sl->cmd, r->op == BLOCK_OP_WRITE, NSID, r->block, r->count,
		                prp.prp1, prp.prp2)) {
			sl->busy = false;
			return -1;
		}
	}
	int tail = send(s);
	if (tail < 0) { /* no room after all: the caller answers eio, the slot is free again */
		sl->busy = false;
		return -1;
	}
	in_flight++;
	return tail;
}

static void finish(unsigned s, uint32_t status)
{
	struct slot *sl = &slots[s];
	if (status == BLOCK_STATUS_OK && sl->op == BLOCK_OP_READ)
		memcpy((void *)(uintptr_t)(M6_MEM_DATA_VADDR + sl->offset),
		       (const void *)(uintptr_t)(DMA_BOUNCE + sl->offset), sl->bytes);
	sl->busy = false;
	in_flight--;
	complete(sl->id, status);
}

static void log_refusals(void)
{
	uint32_t total = 0;
	for (unsigned i = 0; i < NVME_REFUSE_COUNT; i++)
		total += io.refused[i];
	if (total == refused_logged)
		return;
	say("nvme: refused ");
	say_u64(total - refused_logged, 0);
	say(" completion(s) from the controller: ");
	say(nvme_refusal_name(io.last_refusal));
	say("\n");
	refused_logged = total;
}

/* Answers for what the controller finished; true if any. */
static bool reap(void)
{
	struct nvme_done done[16];
	bool any = false, resent = false;
	int tail = -1;
	/* At most one lap of the ring per call: a controller that keeps writing entries
	 * (refused ones included) cannot hold the driver here; the rest waits for the next
	 * pass of the main loop, which answers the client in between. */
	for (unsigned taken = 0; taken < io.depth;) {
		uint16_t head;
		unsigned consumed;
		unsigned n = nvme_poll(&io, done, 16, &head, &consumed);
		taken += consumed;
		if (consumed)
			cq_doorbell(1, head);
		for (unsigned i = 0; i < n; i++) {
			unsigned s = (unsigned)done[i].cookie;
			struct nvme_status_map m = nvme_map_status(done[i].status);
			if (m.status != NVME_BLOCK_OK && m.retry && !slots[s].retried) {
				/* Once more, as the status allows; the id it had is free again. */
				say("nvme: I/O error (status type ");
				say_u64(NVME_STATUS_SCT(done[i].status), 0);
				say(" code 0x");
				say_u64(NVME_STATUS_SC(done[i].status), 1);
				say("): sending the command once more\n");
				slots[s].retried = 1;
				int t = send(s);
				if (t >= 0) {
					tail = t;
					resent = true;
					continue;
				}
			}
			finish(s, (uint32_t)m.status);
			any = true;
		}
		if (consumed == 0)
			break;
	}
	if (resent)
		sq_doorbell(1, (uint16_t)tail);
	log_refusals();
	return any;
}

/* A command timed out: the controller is stuck. Everything in flight gets eio; the
 * controller is brought up again (or, if it will not come back, the disk is dead). */
static void restart_controller(void);

static void reset_controller(void)
{
	say("nvme: a command did not complete within ");
	say_u64(COMMAND_TIMEOUT_NS / 1000000000ull, 0);
	say(" s: resetting the controller\n");
	restart_controller();
}

/* The SMMU blocked a DMA of the controller: the driver mapped everything it gave it, so
 * either the controller is broken or a command was corrupted. Whatever was in flight may
 * have lost data the controller thought it wrote: treat it as failed (eio for those, and
 * the reset path), as for a stuck command. */
static void dma_fault(void)
{
	dma_fault_pending = false;
	struct m6_io_fault_info f;
	if (m6_iospace_read_fault(hw.iospace, &f) != M6_OK || f.count == 0)
		return;
	say("nvme: the SMMU blocked the controller's DMA (");
	say(f.flags & M6_IO_FAULT_WRITE ? "write to" : "read from");
	say(" I/O address 0x");
	say_u64(f.iova, 1);
	say(", ");
	say_u64(f.count, 0);
	say(" event(s)): resetting the controller\n");
	restart_controller();
}

/* The test fault `dmafault`: an Identify whose data goes to the I/O address just past
 * the driver's 4 MiB, where nothing is mapped (QEMU's controller completes it anyway:
 * the SMMU drops the writes). */
static void inject_dma_fault(void)
{
	uint64_t iova = DMA_IOVA + 0x400000ull;
	say("nvme: test fault: an Identify into unmapped I/O address 0x");
	say_u64(iova, 1);
	say("\n");
	struct nvme_sqe cmd;
	nvme_cmd_identify(&cmd, NVME_CNS_CONTROLLER, 0, iova);
	admin_run(&cmd, NULL);
}

static void restart_controller(void)
{
	struct nvme_done lost[IO_DEPTH];
	unsigned n = nvme_queue_abandon(&io, lost, IO_DEPTH);
	for (unsigned i = 0; i < n; i++)
		finish((unsigned)lost[i].cookie, BLOCK_STATUS_EIO);
	/* Requests whose command was lost before the queue had it (none today) too. */
	for (unsigned s = 0; s < SLOTS; s++)
		if (slots[s].busy)
			finish(s, BLOCK_STATUS_EIO);
	stalled = false; /* the test fault lasts until the first reset */
	const char *why = bring_up(false);
	if (why) {
		no_disk(why);
		say("nvme: the controller did not come back: every request now gets eio\n");
	} else {
		say("nvme: the controller is back\n");
	}
	timer_armed = false;
	if (n && block_completions_producer_should_signal(completions))
		m6_signal(CAP_CLIENT);
}

/* Whether the controller still answers: a Get Features (Number of Queues) on the admin
 * queue, which touches no medium, waited for as any admin command. */
static bool controller_answers(void)
{
	struct nvme_sqe cmd = {.opcode = NVME_ADMIN_GET_FEATURES, .cdw10 = 0x07};
	return admin_run(&cmd, NULL) != 0xffff;
}

/* The timer fired, or may need arming: a command past its deadline means the controller
 * may be stuck. First take what has completed; then ask the controller something that
 * needs no medium: if it answers, the command is only slow (a medium that takes long, or
 * under QEMU's -icount sleep=off, where virtual time jumps to the next timer whenever the
 * CPU idles, however long the host takes for the I/O), so wait another period; if it does
 * not answer within the admin timeout, reset it. Else arm for the oldest one's deadline. */
static void check_timeouts(bool fired)
{
	if (fired)
		timer_armed = false;
	if (in_flight == 0 || timer_armed)
		return;
	uint64_t next;
	if (nvme_queue_expired(&io, m6_counter(), timeout_ticks, &next)) {
		if (reap() && block_completions_producer_should_signal(completions))
			m6_signal(CAP_CLIENT);
		if (in_flight == 0)
			return;
	}
	if (nvme_queue_expired(&io, m6_counter(), timeout_ticks, &next)) {
		if (!controller_answers()) {
			reset_controller();
			return;
		}
		uint64_t oldest;
		if (nvme_queue_oldest(&io, &oldest) && oldest != late_stamp) {
			/* One line per late command, for the first few: under -icount every idle
			 * wait on the host makes one, and a log is not a counter. */
			late_stamp = oldest;
			if (++late_commands <= LATE_LOGGED) {
				say("nvme: a command is taking over ");
				say_u64(COMMAND_TIMEOUT_NS / 1000000000ull, 0);
				say(" s, but the controller answers: waiting on\n");
			}
			if (late_commands == LATE_LOGGED)
				say("nvme: further late commands are not logged\n");
		}
		next = m6_counter() + timeout_ticks;
	}
	if (next != UINT64_MAX) {
		m6_timer_set(timer.timer, next, 0);
		timer_armed = true;
	}
}

int main(int argc, char **argv)
{
	geometry = block_ring_geometry(M6_MEM_RING_VADDR);
	requests = block_ring_requests(M6_MEM_RING_VADDR);
	completions = block_ring_completions(M6_MEM_RING_VADDR);
	/* A test system's fault: `args "stall" "N"`: from the N-th I/O command on, no
	 * doorbell (I/O or admin) is rung until the next reset, so to the driver the
	 * controller is stuck (nothing completes, nothing answers) and the timeout path runs
	 * for real. */
	/* `args "noready" "1"`: the controller is enabled with a memory page size beyond its
	 * CAP.MPSMAX, which it must refuse: it never becomes ready, and the driver must give
	 * up with a log line and tell its client there is no disk.
	 * `args "dupwrite" "N"`: the first write from the N-th I/O command on is put in the
	 * submission queue twice with the same command id, so the controller completes it
	 * twice, as a hostile or broken device might: the second completion must be refused
	 * (its id is no longer in flight) and logged, and nothing else disturbed.
	 * `args "dmafault" "N"`: after the N-th I/O command, an Identify is sent into an I/O
	 * address nothing is mapped at, as a controller gone astray would write: the SMMU must
	 * block it, and the driver must take its IOSpace's signal as a failed controller. */
	if (argc == 3) {
		unsigned n = 0;
		for (const char *p = argv[2]; *p >= '0' && *p <= '9'; p++)
			n = n * 10 + (unsigned)(*p - '0');
		if (strcmp(argv[1], "stall") == 0)
			stall_after = n;
		else if (strcmp(argv[1], "dupwrite") == 0)
			dup_after = n;
		else if (strcmp(argv[1], "noready") == 0)
			fault_bad_mps = n != 0;
		else if (strcmp(argv[1], "dmafault") == 0)
			dmafault_after = n;
	}

	crash_hook.console = CAP_DEBUG_CONSOLE;

	uint64_t restart = m6_restart_word();
	if (restart & M6_RESTART_FINAL) {
		/* Our supervisor gave up: stop the controller (no bus mastering, no DMA), tell
		 * the client, and wait for good. */
		say("nvme: given up; the disk is gone\n");
		const char *stop_why = nvme_hw_stop();
		if (stop_why) {
			say("nvme: ");
			say(stop_why);
			say("\n");
		}
		gone = dead = true;
		block_driver_publish_gone(geometry);
		m6_signal(CAP_CLIENT);
		for (;;)
			m6_wait(CAP_WAKE);
	}
	if (M6_RESTART_COUNT(restart))
		say("nvme: restarted: resetting the controller\n");
	/* First of all, before the pool gives this run its DMA memory (the same physical
	 * pages the last run's queues and buffers were in): no DMA from the last run. */
	const char *why = nvme_hw_stop();
	if (why)
		halt(why);

	if (m6_timer_init(&timer, CAP_CLOCK, CAP_WAKE, TIMER_BADGE))
		halt("cannot bind the timer");
	timeout_ticks = m6_ns_to_ticks(COMMAND_TIMEOUT_NS);
	setup_dma();
	why = nvme_hw_acquire(&hw);
	if (why)
		halt(why);
	setup_iospace();
	/* INTx: one handler for both queues. MSI-X: the admin queue's vector 0 and the I/O
	 * pair's vector 1, each with a badge of its own, so only the one that fired is acked. */
	m6_cptr_t io_signal = m6_cap_mint(CAP_WAKE, M6_RIGHT_WRITE, IRQ_BADGE);
	if (!io_signal || m6_irq_handler_set_notification(hw.io_irq, io_signal))
		halt("cannot take the controller's interrupt");
	if (hw.irq != hw.io_irq) {
		m6_cptr_t admin_signal = m6_cap_mint(CAP_WAKE, M6_RIGHT_WRITE, ADMIN_IRQ_BADGE);
		if (!admin_signal || m6_irq_handler_set_notification(hw.irq, admin_signal))
			halt("cannot take the controller's admin interrupt");
	}

	uint64_t cap = rd64(REG_CAP);
	if (cap == UINT64_MAX || !(cap & CAP_CSS_NVM))
		halt("the controller does not support the NVM command set");
	if (((cap >> 48) & 0xf) != 0)
		halt("the controller does not take 4 KiB memory pages (CAP.MPSMIN)");
	dstrd = (unsigned)((cap >> 32) & 0xf);
	if (DOORBELL + 4u * (4u << dstrd) > hw.regs_size)
		halt("the doorbells of queue 1 lie beyond BAR0");
	ready_timeout_ns = ((cap >> 24) & 0xff) * 500000000ull;
	if (ready_timeout_ns == 0)
		ready_timeout_ns = 500000000ull;
	io_depth = IO_DEPTH;
	if ((cap & 0xffff) + 1 < io_depth)
		io_depth = (uint16_t)((cap & 0xffff) + 1);
	if (io_depth < NVME_MIN_DEPTH)
		halt("CAP.MQES allows no I/O queue");
	ack_irq();
	if (hw.irq != hw.io_irq)
		ack_io_irq();
	why = bring_up(true);
	if (why)
		halt(why);
	/* The controller was disabled (every queue and command of a last run dropped) and
	 * brought up afresh: only now may the epoch move on. */
	epoch = block_driver_publish(geometry);
	m6_signal(CAP_CLIENT);

	for (;;) {
		if (dma_fault_pending)
			dma_fault();
		bool answered = reap();
		if (irq_pending) {
			/* INTx is level-triggered: the line drops once the CQ head doorbell says
			 * every entry was taken, so the ack comes after reap, not before (MSI-X
			 * does not care: an MSI while the handler waits stays pending). */
			irq_pending = false;
			ack_io_irq();
		}
		bool took = false, crash_due = false;
		int tail = -1;
		for (;;) {
			int s = free_slot();
			if (s < 0 || nvme_queue_space(&io) == 0 ||
			    in_flight + block_completions_length(completions) >=
			        BLOCK_COMPLETIONS_DEPTH)
				break;
			struct block_request r;
			if (!block_requests_dequeue(requests, &r))
				break;
			took = true;
			uint64_t bytes;
			uint32_t status = check(&r, &bytes);
			int t = status == BLOCK_STATUS_OK ? submit((unsigned)s, &r, bytes) : -1;
			if (status == BLOCK_STATUS_OK && t < 0)
				status = BLOCK_STATUS_EIO;
			if (status != BLOCK_STATUS_OK) {
				complete(r.id, status);
				answered = true;
				continue;
			}
			tail = t;
			submitted_total++;
			if (block_driver_crash_count(&crash_hook))
				crash_due = true;
			if (dup_after && !dup_done && submitted_total >= dup_after &&
			    r.op == BLOCK_OP_WRITE && nvme_queue_space(&io) > 0) {
				/* The fault bypasses the core on purpose: a copy of the entry just
				 * queued, in the next slot, which the core never handed out. */
				io.sq[io.sq_tail] = io.sq[(io.sq_tail + io.depth - 1) % io.depth];
				io.sq_tail = (uint16_t)((io.sq_tail + 1) % io.depth);
				tail = io.sq_tail;
				dup_done = true;
				say("nvme: test fault: I/O command ");
				say_u64(submitted_total, 0);
				say(" (a write) is submitted twice\n");
			}
			if (submitted_total == dmafault_after && hw.iospace)
				inject_dma_fault();
			if (submitted_total == stall_after) {
				say("nvme: test fault: from I/O command ");
				say_u64(stall_after, 0);
				say(" on, no doorbell is rung\n");
				stalled = true;
			}
		}
		if (tail >= 0)
			sq_doorbell(1, (uint16_t)tail);
		if (crash_due) /* with this command (and maybe others) at the controller */
			block_driver_crash_now(&crash_hook);
		if (took && block_requests_consumer_should_signal(requests))
			m6_signal(CAP_CLIENT);
		if (answered && block_completions_producer_should_signal(completions))
			m6_signal(CAP_CLIENT);
		check_timeouts(false);
		if (answered || took)
			continue;

		bool room = free_slot() >= 0 && in_flight + block_completions_length(completions) <
		                                    BLOCK_COMPLETIONS_DEPTH;
		if (room && !block_requests_consumer_prepare_sleep(requests))
			continue;
		if (!room && in_flight == 0 &&
		    !block_completions_producer_prepare_sleep(completions))
			continue;
		uint64_t bits = m6_wait(CAP_WAKE);
		block_driver_crash_arm(&crash_hook, bits);
		if (bits & IRQ_BADGE)
			irq_pending = true;
		if (bits & ADMIN_IRQ_BADGE)
			ack_irq(); /* an admin completion no admin_run waited for (it polled it) */
		if (bits & TIMER_BADGE)
			check_timeouts(true);
		if (bits & DMA_FAULT_BADGE)
			dma_fault_pending = true;
	}
}
