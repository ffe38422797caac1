/* The NVMe driver: serves the block protocol (libm6/interfaces/block.idl, docs/files.md)
 * from an NVMe controller's namespace 1, exactly as the virtio-blk driver does (same
 * geometry, queues, data region and answers), so FAT mounts from either.
 *
 * Ports, queues and CPUs (docs/devices.md, "One queue pair per CPU"). The driver serves
 * one client per *port*: a block ring and a data region shared with that client. Port 0
 * is served by the main thread; ports 1..7, when the spec declares them, each by a thread
 * of its own (`thread q1 { entry "nvme_port" cpu 1 ... }`), normally on a CPU of its own.
 * Each port has its own I/O submission/completion queue pair at the controller, with its
 * own MSI-X vector whose handler only that port's thread acknowledges, so the kernel
 * routes its interrupt to that thread's CPU: a client on CPU k talking to the port on
 * CPU k submits, is interrupted and is answered without another core taking part, as
 * Linux's blk-mq maps each CPU to a hardware queue. The main thread alone owns the
 * controller: bring-up, the admin queue, the watchdog, DMA faults and resets.
 *
 * What the spec gives it (examples/shell/shell.m6, test/nvme/nvme.m6.in,
 * test/nvme/nvme_mq.m6.in): `pci bus claims class 0x010802 as NVME`, through which
 * nvme_pci.c gets the controller (nvme_hw.h: its registers and interrupts), `notification
 * wake` (port 0's client, badge 1; port 0's I/O queue interrupt, badge 2; the debug crash
 * hook, 4 and 8 (block.h); the timer, badge 16; MSI-X: the admin queue's interrupt, badge
 * 32; a DMA fault of its IOSpace, badge 64; the port threads: "a queue is busy", 128, and
 * "stopped for a reset", 256 << port), `timer clock`, `signal client.done as CLIENT badge
 * 1`, the shared regions `ring` and `data`, and `untyped dma` for the memory the
 * controller reads and writes (two 2 MiB frames per port) and page tables. Port k >= 1:
 * `thread qK`, `notification wakeK` (its client, 1; its interrupt, 2; the main thread's
 * "stop"/"go", 4), `signal ... as CLIENTK badge 1`, regions `ringK` and `dataK`. Test
 * systems may add `args` for a fault (main).
 *
 * Bring-up (NVMe 2.0 base spec, 3.5.1): disable and wait for CSTS.RDY = 0, set up the
 * admin queue, enable and wait for CSTS.RDY = 1 (both bounded by CAP.TO), Identify the
 * controller and namespace 1, ask for as many I/O queues as there are ports (Set Features,
 * Number of Queues), create a completion/submission queue pair per port the controller
 * and the interrupts allow. A port beyond them is told there is no disk, with a log line.
 * The queues, command ids, PRPs, status mapping and Identify parsing are nvme_core's.
 *
 * DMA: as virtio_blk (which see), the driver cannot know a data region's physical
 * addresses, so it bounces through a 2 MiB frame per port that mirrors the region offset
 * for offset: one memcpy per request. The frame is contiguous in I/O addresses, so a
 * request's pages are its address plus 4 KiB steps; more than two pages take a PRP list,
 * one list page per request slot, in the port's second frame with its queues. With an
 * IOSpace from the bus (the system has an SMMU), every frame is mapped there from
 * DMA_IOVA on and the controller is given only those I/O addresses: it reaches them and
 * the ITS doorbell, nothing else. A DMA the SMMU blocked signals the IOSpace's
 * notification: logged, and the controller is treated as failed (the reset path). Without
 * one (no SMMU), the I/O addresses are physical.
 *
 * Timeouts: a watchdog, not a timer per command. Each port publishes when its queue last
 * made progress (the first command into an idle queue, or a completion) and that it is
 * idle otherwise; the main thread's Timer is armed for the earliest such stamp plus
 * COMMAND_TIMEOUT_NS while any queue is busy. A port whose queue goes busy while the
 * watchdog is not armed wakes the main thread (one signal per idle period, not per
 * command). A queue with commands and no completion for that long, on a controller that
 * does not answer an admin command either, means it is stuck: log, reset it, answer every
 * request in flight on every port eio, bring it up again and carry on (check_timeouts).
 * The port threads take part in a reset: the main thread asks each to stop, each answers
 * its requests in flight eio and waits, the controller is brought up again with fresh
 * queues, and the main thread lets them go on (reset_controller).
 *
 * Restarts (docs/supervision.md, block_driver.h): a supervisor may restart the driver from
 * a clean state. Every start first has the bus stop the function a last run held (bus
 * mastering off: nvme_hw_stop), before any DMA memory is made from the pool the crashed
 * run's queues were in; bring-up then disables the controller (CC.EN = 0, which deletes
 * every queue and drops every command) before anything else, identifies it afresh, and
 * only then publishes each port's geometry and bumps its epoch, so requests sent to the
 * last run are answered `estale` without reaching the disk. The run after the supervisor
 * gave up (M6_RESTART_FINAL) stops the function and tells every client the disk is gone.
 * The shell's `crash disk` (BLOCK_DEBUG_CRASH_BADGE) makes the driver fault on purpose,
 * counting port 0's requests. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <m6/caps.h>
#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6/supervision.h>
#include <m6/thread.h>
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

#define CLIENT_BADGE       1u  /* on every port's notification: its client */
#define IRQ_BADGE          2u  /* on every port's: its I/O queue pair's interrupt */
#define STOP_BADGE         4u  /* on ports 1..7's: the main thread says stop, or go on */
#define ADMIN_IRQ_BADGE    32u /* MSI-X: the admin queue's vector 0 */
#define TIMER_BADGE        16u
#define DMA_FAULT_BADGE    64u  /* the IOSpace: the SMMU blocked a DMA of the controller */
#define BUSY_BADGE         128u /* a port's queue went busy with the watchdog unarmed */
#define STOPPED_BADGE(p)   (256ull << (p)) /* port p (1..7) stopped for a reset */

#define MAX_PORTS          NVME_HW_MAX_IO
#define SET_FEATURES       0x09u
#define FEATURE_QUEUES     0x07u
#define ADMIN_DEPTH        64u
#define IO_DEPTH           128u /* >= the block protocol's 64 requests + 1 (CAP.MQES permitting) */
#define SLOTS              BLOCK_REQUESTS_DEPTH
#define NSID               1u
#define ADMIN_TIMEOUT_NS   2000000000ull /* an admin command; the port threads stopping */
#define COMMAND_TIMEOUT_NS 5000000000ull /* an I/O queue without progress */
#define LATE_LOGGED        3u            /* late queues logged, each */

/* DMA memory: a 1 GiB slot of the driver's own, as virtio_blk's, 4 MiB per port. Frame A
 * (2 MiB) mirrors the port's data region; frame B (2 MiB) holds its queues and PRP lists,
 * and in port 0's also the admin queue and the Identify page. */
#define DMA_VADDR    0x4000000000ull
#define PORT_DMA     0x400000ull
#define OFF_ADMIN_SQ 0x0000u  /* 64 x 64 B (port 0's frame B) */
#define OFF_ADMIN_CQ 0x1000u  /* 64 x 16 B (port 0's frame B) */
#define OFF_IO_CQ    0x2000u  /* 128 x 16 B */
#define OFF_IDENTIFY 0x3000u  /* port 0's frame B */
#define OFF_IO_SQ    0x4000u  /* 128 x 64 B = 8 KiB */
#define OFF_PRP      0x10000u /* one 4 KiB list page per request slot */
/* Where the frames sit in the IOSpace: 4 GiB up, above QEMU virt's RAM, so that no I/O
 * address the controller is given is also the physical address of anything (a confused
 * address faults instead of hitting memory). One level-2 table (the kernel's level-1 table,
 * which leads to the MSI doorbell, covers it); each 2 MiB frame is one block entry. */
#define DMA_IOVA 0x100000000ull

_Static_assert(M6_MEM_RING_SIZE >= BLOCK_RING_SIZE, "the ring region holds the protocol's pages");
_Static_assert(ADMIN_DEPTH * sizeof(struct nvme_sqe) <= 0x1000, "the admin SQ is one page");
_Static_assert(IO_DEPTH * sizeof(struct nvme_cqe) <= 0x1000, "the I/O CQ is one page");
_Static_assert(OFF_IO_SQ + IO_DEPTH * sizeof(struct nvme_sqe) <= OFF_PRP, "the I/O SQ fits");
_Static_assert(OFF_PRP + SLOTS * 0x1000u <= 0x200000u, "the PRP lists fit frame B");
/* The largest request: 2 MiB from an unaligned offset touches 513 pages, 512 list entries:
 * one list page. */
_Static_assert((0x200000u / NVME_PAGE_SIZE + 1) - 1 <= NVME_PRP_PER_PAGE,
               "one PRP list page per request");
_Static_assert(((CLIENT_BADGE | IRQ_BADGE | ADMIN_IRQ_BADGE | TIMER_BADGE | DMA_FAULT_BADGE |
                 BUSY_BADGE | STOPPED_BADGE(1) | STOPPED_BADGE(MAX_PORTS - 1)) &
                (BLOCK_DEBUG_CRASH_BADGE | BLOCK_DEBUG_CRASH_NOW_BADGE)) == 0,
               "the crash hook's badges are the same for every block driver (block.h)");
_Static_assert(((CLIENT_BADGE | IRQ_BADGE) & STOP_BADGE) == 0, "a port's badges are distinct");
_Static_assert((int)NVME_BLOCK_EIO == (int)BLOCK_STATUS_EIO &&
                   (int)NVME_BLOCK_ENXIO == (int)BLOCK_STATUS_ENXIO &&
                   (int)NVME_BLOCK_EINVAL == (int)BLOCK_STATUS_EINVAL &&
                   (int)NVME_BLOCK_EROFS == (int)BLOCK_STATUS_EROFS &&
                   (int)NVME_BLOCK_EOPNOTSUPP == (int)BLOCK_STATUS_EOPNOTSUPP,
               "nvme_core's answers are the block protocol's");

/* What the spec gives each port: port 0 the main thread's names, port K thread qK's. */
struct port_spec {
	m6_cptr_t wake, client;
	uintptr_t ring, data;
	uint64_t ring_size, data_size;
	unsigned thread; /* its thread's index (0: main; qK must be the K-th `thread`) */
};
#define THREAD_INDEX(ipc) ((unsigned)((0x3fe00000ull - (ipc)) / 0x200000ull))
#define PORT_SPEC(K)                                                                        \
	{                                                                                   \
		CAP_WAKE##K, CAP_CLIENT##K, M6_MEM_RING##K##_VADDR, M6_MEM_DATA##K##_VADDR, \
		    M6_MEM_RING##K##_SIZE, M6_MEM_DATA##K##_SIZE,                           \
		    THREAD_INDEX(M6_THREAD_Q##K##_IPC_BUFFER_VADDR)                         \
	}
static const struct port_spec port_spec[] = {
    {CAP_WAKE, CAP_CLIENT, M6_MEM_RING_VADDR, M6_MEM_DATA_VADDR, M6_MEM_RING_SIZE, M6_MEM_DATA_SIZE,
     0},
#ifdef CAP_THREAD_Q1
    PORT_SPEC(1),
#endif
#ifdef CAP_THREAD_Q2
    PORT_SPEC(2),
#endif
#ifdef CAP_THREAD_Q3
    PORT_SPEC(3),
#endif
#ifdef CAP_THREAD_Q4
    PORT_SPEC(4),
#endif
#ifdef CAP_THREAD_Q5
    PORT_SPEC(5),
#endif
#ifdef CAP_THREAD_Q6
    PORT_SPEC(6),
#endif
#ifdef CAP_THREAD_Q7
    PORT_SPEC(7),
#endif
};
#define PORTS ((unsigned)(sizeof port_spec / sizeof port_spec[0]))
_Static_assert(PORTS <= MAX_PORTS, "at most one port per I/O interrupt the driver takes");

/* A request the controller has: what to answer, and what to copy back. */
struct slot {
	bool busy;
	uint8_t retried;
	uint32_t op;
	uint64_t id, offset, bytes;
	struct nvme_sqe cmd; /* to send again once if the status says it may pass */
};

/* A port. Set up by the main thread before its thread starts (and again, with the thread
 * stopped, at a reset); from then on the fields below `queue` are its thread's alone. */
struct port {
	const struct port_spec *spec;
	struct block_requests *requests;
	struct block_completions *completions;
	struct block_geometry *geometry;
	uint64_t mirror, queues;           /* frames A and B, in the driver's address space */
	uint64_t mirror_iova, queues_iova; /* ... and as the controller sees them */
	m6_cptr_t dma[2];                  /* their caps */
	m6_cptr_t irq;                     /* its I/O queue pair's interrupt handler */
	uint16_t vector;
	bool queue;        /* the controller gave it a queue pair (qid = port + 1) */
	m6_cptr_t stop;    /* ports 1..7: its notification, badge STOP_BADGE (main's) */
	m6_cptr_t stopped; /* ports 1..7: the main thread's, badge STOPPED_BADGE (its) */
	uint32_t epoch;    /* the epoch requests must carry (block.idl) */
	struct nvme_queue io;
	struct slot slots[SLOTS];
	unsigned in_flight;
	bool irq_pending; /* the interrupt fired: ack once its entries are consumed */
	uint32_t refused_logged;
	/* The watchdog's view: UINT64_MAX while the queue is idle, else the counter when it
	 * last made progress. Written by the port's thread, read by the main thread. */
	_Atomic uint64_t progress;
};

static struct nvme_hw hw;
static struct port ports[PORTS];
static unsigned queue_count;   /* ports with a queue pair: 0 .. queue_count - 1 */
static bool dma_fault_pending; /* the IOSpace signalled while an admin command waited */
static bool busy_pending;      /* a port went busy while an admin command waited */
static struct nvme_queue admin;
static unsigned dstrd;            /* doorbell stride: 4 << CAP.DSTRD bytes */
static uint64_t ready_timeout_ns; /* CAP.TO */
static uint16_t io_depth;
static _Atomic bool dead; /* bring-up failed: every request gets eio */
static bool gone;         /* the clients were told the disk is gone */
/* The port threads: may they serve (set once the controller is up), and must they stop
 * (a reset is under way)? */
static _Atomic bool started, stop_requested;
/* stop_ports calls so far. A port thread answers each with its own "stopped": one that
 * was let go by a resume and asked to stop again before it ran would otherwise still be
 * waiting out the first stop, and never answer the second. */
static _Atomic uint32_t stop_generation;
static _Atomic bool watch_armed; /* the main thread's Timer is armed for the watchdog */
static m6_cptr_t busy_signal;    /* the main thread's notification, badge BUSY_BADGE */
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
static _Atomic bool stalled;   /* the test fault is on: no doorbell is rung */
static uint64_t late_stamp;    /* the last late queue (its progress stamp) */
static unsigned late_commands; /* how many times a queue was late (and still answered) */

static uint32_t block_size;
static uint64_t max_bytes;
/* The namespace's size in blocks. check() uses these copies, never a port's geometry,
 * which sits on a page its client maps writable. */
static uint64_t disk_blocks;
static bool has_flush;

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
	if (atomic_load_explicit(&stalled, memory_order_relaxed))
		return;
	barrier();
	wr32(DOORBELL + (2u * qid) * (4u << dstrd), tail);
}

static void cq_doorbell(uint16_t qid, uint16_t head)
{
	wr32(DOORBELL + (2u * qid + 1u) * (4u << dstrd), head);
}

/* Port p has nothing to serve: its geometry tells the client there is no disk
 * (block_driver_publish_gone: at the first start, a geometry without the magic; after
 * that, the magic's loss with a new epoch), so it gets errors, not a hang. */
static void port_gone(struct port *pt)
{
	block_driver_publish_gone(pt->geometry);
	m6_signal(pt->spec->client);
}

/* Failures that leave nothing to serve, on any port (the main thread; the port threads
 * have not started, or are stopped for a reset). */
static void no_disk(const char *why)
{
	say("nvme: ");
	say(why);
	say("\n");
	atomic_store(&dead, true);
	if (!gone && ports[0].geometry) {
		gone = true;
		for (unsigned p = 0; p < PORTS; p++)
			port_gone(&ports[p]);
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
	/* Every 2 MiB frame first, while the pool is still 2 MiB aligned. */
	for (unsigned p = 0; p < PORTS; p++)
		for (unsigned i = 0; i < 2; i++)
			ports[p].dma[i] = make(M6_OBJ_FRAME, 21);
	map_table(DMA_VADDR, 1);
	map_table(DMA_VADDR, 2);
	for (unsigned p = 0; p < PORTS; p++) {
		struct port *pt = &ports[p];
		pt->mirror = DMA_VADDR + p * PORT_DMA;
		pt->queues = pt->mirror + 0x200000ull;
		pt->mirror_iova = map_frame(pt->dma[0], pt->mirror);
		pt->queues_iova = map_frame(pt->dma[1], pt->queues);
	}
}

/* With an IOSpace: map every frame there (copies of their caps: a cap is one mapping) and
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
	for (unsigned p = 0; p < PORTS; p++) {
		struct port *pt = &ports[p];
		for (unsigned i = 0; i < 2; i++) {
			m6_cptr_t io = m6_cap_alloc();
			if (!io ||
			    m6_cnode_copy(M6_CAP_SELF_CNODE, io, M6_DEPTH_ROOT, M6_CAP_SELF_CNODE,
			                  pt->dma[i], M6_DEPTH_ROOT, M6_RIGHTS_ALL) ||
			    m6_frame_map_io(io, hw.iospace,
			                    DMA_IOVA + p * PORT_DMA + i * 0x200000ull,
			                    M6_RIGHT_READ | M6_RIGHT_WRITE))
				halt("cannot map DMA memory into the controller's IOSpace");
		}
		pt->mirror_iova = DMA_IOVA + p * PORT_DMA;
		pt->queues_iova = pt->mirror_iova + 0x200000ull;
	}
	m6_cptr_t fault_signal = m6_cap_mint(CAP_WAKE, M6_RIGHT_WRITE, DMA_FAULT_BADGE);
	if (!fault_signal || m6_iospace_set_notification(hw.iospace, fault_signal))
		halt("cannot take the IOSpace's fault signal");
	say("nvme: DMA through the controller's IOSpace: ");
	say_u64(PORTS * PORT_DMA >> 20, 0);
	say(" MiB at I/O address 0x");
	say_u64(DMA_IOVA, 1);
	say("\n");
}

/* Port 0's frame B: the admin queue and the Identify page. */
static void *admin_ptr(unsigned off)
{
	return (void *)(uintptr_t)(ports[0].queues + off);
}

static uint64_t admin_iova(unsigned off)
{
	return ports[0].queues_iova + off;
}

/* A wait inside the main thread's work (an admin command, a reset) took these bits from
 * its notification: keep what the main loop must still act on. An I/O queue interrupt
 * left unacknowledged would stay masked (MSI-X) and I/O would stop; a crash hook's signal
 * must not be lost either. */
static void keep_bits(uint64_t bits)
{
	block_driver_crash_arm(&crash_hook, bits);
	if (bits & DMA_FAULT_BADGE)
		dma_fault_pending = true;
	if (bits & IRQ_BADGE)
		ports[0].irq_pending = true;
	if (bits & BUSY_BADGE)
		busy_pending = true;
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
		timer_armed = false; /* the sleep took the Timer: the watchdog arms it again */
	}
}

/* The admin queue's interrupt (INTx: the function's one line, which port 0 shares). */
static void ack_irq(void)
{
	m6_irq_handler_ack(hw.irq);
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
		/* The wait takes the Timer from the watchdog, which arms it again afterwards. */
		uint64_t bits = m6_wait_timeout(&timer, ADMIN_TIMEOUT_NS - spent);
		timer_armed = false;
		keep_bits(bits);
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

/* How many I/O queue pairs the controller grants (Set Features, Number of Queues, asked
 * for `want`): NVMe requires the request before any I/O queue is created, after every
 * reset, and never grants a different number afterwards. 0: it refused. */
static unsigned ask_queues(unsigned want)
{
	struct nvme_sqe cmd = {.opcode = SET_FEATURES,
	                       .cdw10 = FEATURE_QUEUES,
	                       .cdw11 = (want - 1) << 16 | (want - 1)};
	uint32_t dw0 = 0;
	if (admin_run(&cmd, &dw0) != 0)
		return 0;
	unsigned sq = (dw0 & 0xffffu) + 1, cq = (dw0 >> 16) + 1;
	unsigned n = sq < cq ? sq : cq;
	return n < want ? n : want;
}

/* Everything from a disabled controller to I/O queues that take commands. Identify only
 * the first time (`identify`): a reset keeps the geometry the clients have. The port
 * threads are not running (not started yet, or stopped for the reset). */
static const char *bring_up(bool identify)
{
	if (!disable())
		return "the controller did not finish its reset (CSTS.RDY stayed 1) within CAP.TO";
	nvme_queue_init(&admin, 0, admin_ptr(OFF_ADMIN_SQ), admin_ptr(OFF_ADMIN_CQ), ADMIN_DEPTH);
	wr32(REG_AQA, (ADMIN_DEPTH - 1) << 16 | (ADMIN_DEPTH - 1));
	wr64(REG_ASQ, admin_iova(OFF_ADMIN_SQ));
	wr64(REG_ACQ, admin_iova(OFF_ADMIN_CQ));
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
		nvme_cmd_identify(&cmd, NVME_CNS_CONTROLLER, 0, admin_iova(OFF_IDENTIFY));
		if (admin_run(&cmd, NULL) != 0)
			return "Identify Controller failed";
		if (nvme_parse_identify_ctrl(admin_ptr(OFF_IDENTIFY), min_page, &ctrl, &why))
			return why;
		nvme_cmd_identify(&cmd, NVME_CNS_NAMESPACE, NSID, admin_iova(OFF_IDENTIFY));
		if (admin_run(&cmd, NULL) != 0)
			return "Identify Namespace 1 failed (no namespace 1?)";
		if (nvme_parse_identify_ns(admin_ptr(OFF_IDENTIFY), &ns, &why))
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
		disk_blocks = ns.blocks;
		max_bytes = 0x200000u;
		if (ctrl.max_transfer && ctrl.max_transfer < max_bytes)
			max_bytes = ctrl.max_transfer;
		has_flush = ctrl.volatile_cache;
		for (unsigned p = 0; p < PORTS; p++) {
			struct block_geometry *g = ports[p].geometry;
			g->block_size = block_size;
			g->read_only = 0;
			g->block_count = ns.blocks;
			g->max_bytes = max_bytes / block_size * block_size;
			g->queue_depth = BLOCK_REQUESTS_DEPTH;
			g->flush = has_flush;
		}
	}

	/* One I/O pair per port, as many as the interrupts the bus handed and the controller
	 * grants: port p's is queue p + 1, interrupting on its own MSI-X vector (p + 1), or on
	 * INTx's one line (vector 0) when the bus could not hand MSI-X. */
	unsigned want = PORTS < hw.io_count ? PORTS : hw.io_count;
	unsigned granted = ask_queues(want);
	if (granted == 0)
		return "Set Features (Number of Queues) failed";
	if (identify && granted < PORTS) {
		say("nvme: ");
		say_u64(granted, 0);
		say(" I/O queue pair(s) for ");
		say_u64(PORTS, 0);
		say(" ports (");
		say(hw.io_count < PORTS ? "interrupts" : "the controller's queues");
		say("): the ports beyond have no disk\n");
	}
	if (!identify && granted != queue_count)
		return "the controller grants another number of queues after a reset";
	queue_count = granted;
	for (unsigned p = 0; p < queue_count; p++) {
		struct port *pt = &ports[p];
		uint16_t qid = (uint16_t)(p + 1);
		nvme_queue_init(&pt->io, qid,
		                (struct nvme_sqe *)(uintptr_t)(pt->queues + OFF_IO_SQ),
		                (struct nvme_cqe *)(uintptr_t)(pt->queues + OFF_IO_CQ), io_depth);
		if (nvme_cmd_create_io_cq(&cmd, qid, io_depth, pt->queues_iova + OFF_IO_CQ,
		                          pt->vector, true) ||
		    admin_run(&cmd, NULL) != 0)
			return "Create I/O Completion Queue failed";
		if (nvme_cmd_create_io_sq(&cmd, qid, io_depth, pt->queues_iova + OFF_IO_SQ, qid) ||
		    admin_run(&cmd, NULL) != 0)
			return "Create I/O Submission Queue failed";
		pt->queue = true;
	}
	if (identify && PORTS > 1) {
		say("nvme: ");
		say_u64(queue_count, 0);
		say(" I/O queue pairs, one per port, each with its own ");
		say(hw.kind);
		say(" vector\n");
	}
	return NULL;
}

static bool complete(struct port *pt, uint64_t id, uint32_t status)
{
	struct block_completion c = {.id = id, .status = status};
	/* Never full: a request is taken only while in_flight + waiting answers < DEPTH. */
	return block_completions_enqueue(pt->completions, &c);
}

/* Decode: every check on the client's request, nothing changed. */
static uint32_t check(const struct port *pt, const struct block_request *r, uint64_t *bytes)
{
	*bytes = 0;
	if (atomic_load_explicit(&dead, memory_order_relaxed))
		return BLOCK_STATUS_EIO;
	if (r->epoch != pt->epoch)
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
	if (r->count == 0 || (uint64_t)r->count * block_size > max_bytes)
		return BLOCK_STATUS_EINVAL;
	*bytes = (uint64_t)r->count * block_size;
	uint64_t region = pt->spec->data_size;
	if (r->offset > region || *bytes > region - r->offset)
		return BLOCK_STATUS_EINVAL;
	/* PRPs address dwords: the mirror keeps the client's offset, so it must be one. */
	if (r->offset % 4)
		return BLOCK_STATUS_EINVAL;
	if (r->block >= disk_blocks || r->count > disk_blocks - r->block)
		return BLOCK_STATUS_ENXIO;
	return BLOCK_STATUS_OK;
}

static int free_slot(const struct port *pt)
{
	for (unsigned s = 0; s < SLOTS; s++)
		if (!pt->slots[s].busy)
			return (int)s;
	return -1;
}

/* Hands slot s's command to the controller; returns the new SQ tail, or -1. */
static int send(struct port *pt, unsigned s)
{
	return nvme_submit(&pt->io, &pt->slots[s].cmd, s, NULL);
}

/* Perform: build the command of a checked request in slot s and queue it. */
static int submit(struct port *pt, unsigned s, const struct block_request *r, uint64_t bytes)
{
	struct slot *sl = &pt->slots[s];
	*sl = (struct slot){
	    .busy = true, .op = r->op, .id = r->id, .offset = r->offset, .bytes = bytes};
	if (r->op == BLOCK_OP_FLUSH) {
		nvme_cmd_flush(&sl->cmd, NSID);
	} else {
		if (r->op == BLOCK_OP_WRITE)
			memcpy((void *)(uintptr_t)(pt->mirror + r->offset),
			       (const void *)(uintptr_t)(pt->spec->data + r->offset), bytes);
		/* The mirror is contiguous: page i of the transfer is the next 4 KiB. */
		uint64_t first = pt->mirror_iova + (r->offset & ~(uint64_t)(NVME_PAGE_SIZE - 1));
		uint32_t in_page = (uint32_t)(r->offset % NVME_PAGE_SIZE);
		size_t pages = (size_t)((in_page + bytes + NVME_PAGE_SIZE - 1) / NVME_PAGE_SIZE);
		uint64_t list[0x200000u / NVME_PAGE_SIZE + 1];
		for (size_t i = 0; i < pages; i++)
			list[i] = first + i * NVME_PAGE_SIZE;
		uint64_t *list_page = (uint64_t *)(uintptr_t)(pt->queues + OFF_PRP + s * 0x1000u);
		uint64_t list_iova = pt->queues_iova + OFF_PRP + s * 0x1000u;
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
	int tail = send(pt, s);
	if (tail < 0) { /* no room after all: the caller answers eio, the slot is free again */
		sl->busy = false;
		return -1;
	}
	pt->in_flight++;
	return tail;
}

static void finish(struct port *pt, unsigned s, uint32_t status)
{
	struct slot *sl = &pt->slots[s];
	if (status == BLOCK_STATUS_OK && sl->op == BLOCK_OP_READ)
		memcpy((void *)(uintptr_t)(pt->spec->data + sl->offset),
		       (const void *)(uintptr_t)(pt->mirror + sl->offset), sl->bytes);
	sl->busy = false;
	pt->in_flight--;
	complete(pt, sl->id, status);
}

/* The watchdog's stamp after the port's thread changed what is in flight: idle, or
 * progress now. A queue going busy while the watchdog sleeps wakes the main thread
 * (sequentially consistent on both sides: either the main thread sees this stamp when it
 * looks before disarming, or this thread sees it disarmed and signals). */
static void note_progress(struct port *pt, bool went_busy)
{
	if (pt->in_flight == 0) {
		atomic_store_explicit(&pt->progress, UINT64_MAX, memory_order_relaxed);
		return;
	}
	atomic_store(&pt->progress, m6_counter());
	if (went_busy && pt != &ports[0] && !atomic_load(&watch_armed))
		m6_signal(busy_signal);
}

static void log_refusals(struct port *pt)
{
	uint32_t total = 0;
	for (unsigned i = 0; i < NVME_REFUSE_COUNT; i++)
		total += pt->io.refused[i];
	if (total == pt->refused_logged)
		return;
	say("nvme: refused ");
	say_u64(total - pt->refused_logged, 0);
	say(" completion(s) from the controller: ");
	say(nvme_refusal_name(pt->io.last_refusal));
	say("\n");
	pt->refused_logged = total;
}

/* Answers for what the controller finished on port pt's queue; true if any. */
static bool reap(struct port *pt)
{
	struct nvme_done done[16];
	bool any = false, resent = false;
	int tail = -1;
	/* At most one lap of the ring per call: a controller that keeps writing entries
	 * (refused ones included) cannot hold the driver here; the rest waits for the next
	 * pass of the loop, which answers the client in between. */
	for (unsigned taken = 0; taken < pt->io.depth;) {
		uint16_t head;
		unsigned consumed;
		unsigned n = nvme_poll(&pt->io, done, 16, &head, &consumed);
		taken += consumed;
		if (consumed)
			cq_doorbell(pt->io.qid, head);
		for (unsigned i = 0; i < n; i++) {
			unsigned s = (unsigned)done[i].cookie;
			struct nvme_status_map m = nvme_map_status(done[i].status);
			if (m.status != NVME_BLOCK_OK && m.retry && !pt->slots[s].retried) {
				/* Once more, as the status allows; the id it had is free again. */
				say("nvme: I/O error (status type ");
				say_u64(NVME_STATUS_SCT(done[i].status), 0);
				say(" code 0x");
				say_u64(NVME_STATUS_SC(done[i].status), 1);
				say("): sending the command once more\n");
				pt->slots[s].retried = 1;
				int t = send(pt, s);
				if (t >= 0) {
					tail = t;
					resent = true;
					continue;
				}
			}
			finish(pt, s, (uint32_t)m.status);
			any = true;
		}
		if (consumed == 0)
			break;
	}
	if (resent)
		sq_doorbell(pt->io.qid, (uint16_t)tail);
	if (any)
		note_progress(pt, false);
	log_refusals(pt);
	return any;
}

/* A reset: every request of port pt the controller had gets eio (its thread's, or the
 * main thread's with that thread stopped). */
static void abandon(struct port *pt)
{
	struct nvme_done lost[IO_DEPTH];
	unsigned n = pt->queue ? nvme_queue_abandon(&pt->io, lost, IO_DEPTH) : 0;
	for (unsigned i = 0; i < n; i++)
		finish(pt, (unsigned)lost[i].cookie, BLOCK_STATUS_EIO);
	/* Requests whose command was lost before the queue had it (none today) too. */
	for (unsigned s = 0; s < SLOTS; s++)
		if (pt->slots[s].busy) {
			finish(pt, s, BLOCK_STATUS_EIO);
			n++;
		}
	note_progress(pt, false);
	if (n && block_completions_producer_should_signal(pt->completions))
		m6_signal(pt->spec->client);
}

/* One pass for port pt: answers for what completed, then new requests to the controller.
 * `counted`: each request handed to the controller, for the test faults and the crash
 * hook (port 0's, on the main thread). Returns whether anything moved; *crash_due when the
 * crash hook wants the driver to fault now. */
static void count_request(struct port *pt, const struct block_request *r, int *tail,
                          bool *crash_due);

static bool serve(struct port *pt, bool counted, bool *crash_due)
{
	bool answered = pt->queue && reap(pt);
	if (pt->irq_pending) {
		/* INTx is level-triggered: the line drops once the CQ head doorbell says every
		 * entry was taken, so the ack comes after reap, not before (MSI-X does not care:
		 * an MSI while the handler waits stays pending). */
		pt->irq_pending = false;
		m6_irq_handler_ack(pt->irq);
	}
	bool took = false, was_idle = pt->in_flight == 0;
	int tail = -1;
	for (;;) {
		int s = free_slot(pt);
		if (s < 0 || (pt->queue && nvme_queue_space(&pt->io) == 0) ||
		    pt->in_flight + block_completions_length(pt->completions) >=
		        BLOCK_COMPLETIONS_DEPTH)
			break;
		struct block_request r;
		if (!block_requests_dequeue(pt->requests, &r))
			break;
		took = true;
		uint64_t bytes;
		uint32_t status = pt->queue ? check(pt, &r, &bytes) : BLOCK_STATUS_EIO;
		int t = status == BLOCK_STATUS_OK ? submit(pt, (unsigned)s, &r, bytes) : -1;
		if (status == BLOCK_STATUS_OK && t < 0)
			status = BLOCK_STATUS_EIO;
		if (status != BLOCK_STATUS_OK) {
			complete(pt, r.id, status);
			answered = true;
			continue;
		}
		tail = t;
		if (counted)
			count_request(pt, &r, &tail, crash_due);
	}
	if (tail >= 0) {
		sq_doorbell(pt->io.qid, (uint16_t)tail);
		if (was_idle)
			note_progress(pt, true);
	}
	if (took && block_requests_consumer_should_signal(pt->requests))
		m6_signal(pt->spec->client);
	if (answered && block_completions_producer_should_signal(pt->completions))
		m6_signal(pt->spec->client);
	return answered || took;
}

/* Whether port pt's thread may sleep now: false when a request or room arrived after the
 * pass (the ring's prepare_sleep announces the sleep and looks once more). A full
 * submission queue is no room either: the pass could not take a request, and a
 * completion (its interrupt) is what frees an entry, so wait for it rather than spin. */
static bool may_sleep(struct port *pt)
{
	bool room =
	    free_slot(pt) >= 0 && (!pt->queue || nvme_queue_space(&pt->io) > 0) &&
	    pt->in_flight + block_completions_length(pt->completions) < BLOCK_COMPLETIONS_DEPTH;
	if (room && !block_requests_consumer_prepare_sleep(pt->requests))
		return false;
	if (!room && pt->in_flight == 0 &&
	    !block_completions_producer_prepare_sleep(pt->completions))
		return false;
	return true;
}

/* Port 0's requests, one by one as they go to the controller: the crash hook and the test
 * systems' faults (main's `args`). */
static void inject_dma_fault(void);

static void count_request(struct port *pt, const struct block_request *r, int *tail,
                          bool *crash_due)
{
	submitted_total++;
	if (block_driver_crash_count(&crash_hook))
		*crash_due = true;
	if (dup_after && !dup_done && submitted_total >= dup_after && r->op == BLOCK_OP_WRITE &&
	    nvme_queue_space(&pt->io) > 0) {
		/* The fault bypasses the core on purpose: a copy of the entry just queued, in the
		 * next slot, which the core never handed out. */
		struct nvme_queue *q = &pt->io;
		q->sq[q->sq_tail] = q->sq[(q->sq_tail + q->depth - 1) % q->depth];
		q->sq_tail = (uint16_t)((q->sq_tail + 1) % q->depth);
		*tail = q->sq_tail;
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
		atomic_store(&stalled, true);
	}
}

/* The port threads, around a reset. Stop: each answers its requests in flight eio and
 * says so; the main thread waits for all (bounded: they are this driver's own threads,
 * so one that does not answer within the admin timeout is a bug, and the driver faults
 * for its supervisor rather than touch queues a thread may still use). */
static void stop_ports(void)
{
	if (!atomic_load(&started))
		return;
	/* The generation first: a port that sees the request then reads this one or later. */
	atomic_fetch_add(&stop_generation, 1);
	atomic_store(&stop_requested, true);
	uint64_t want = 0;
	for (unsigned p = 1; p < queue_count; p++) { /* a port without a queue has no part */
		want |= STOPPED_BADGE(p);
		m6_signal(ports[p].stop);
	}
	uint64_t start = m6_time_ns(), seen = 0;
	while ((seen & want) != want) {
		uint64_t spent = m6_time_ns() - start;
		if (spent >= ADMIN_TIMEOUT_NS) {
			say("nvme: a port thread did not stop for the reset: faulting\n");
			*(volatile uint32_t *)(uintptr_t)8 = 0;
		}
		uint64_t bits = m6_wait_timeout(&timer, ADMIN_TIMEOUT_NS - spent);
		timer_armed = false;
		seen |= bits;
		keep_bits(bits);
	}
}

static void resume_ports(void)
{
	if (!atomic_load(&started))
		return;
	atomic_store(&stop_requested, false);
	for (unsigned p = 1; p < queue_count; p++)
		m6_signal(ports[p].stop);
}

/* The controller is stuck or failed: every request in flight on every port gets eio; the
 * controller is brought up again with fresh queues (or, if it will not come back, the
 * disk is dead). */
static void restart_controller(void)
{
	stop_ports();
	abandon(&ports[0]);
	atomic_store(&stalled, false); /* the test fault lasts until the first reset */
	for (unsigned p = 0; p < PORTS; p++)
		ports[p].queue = false;
	const char *why = bring_up(false);
	if (why) {
		no_disk(why);
		say("nvme: the controller did not come back: every request now gets eio\n");
	} else {
		say("nvme: the controller is back\n");
	}
	timer_armed = false;
	resume_ports();
}

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
 * the driver's DMA memory, where nothing is mapped (QEMU's controller completes it
 * anyway: the SMMU drops the writes). */
static void inject_dma_fault(void)
{
	uint64_t iova = DMA_IOVA + PORTS * PORT_DMA;
	say("nvme: test fault: an Identify into unmapped I/O address 0x");
	say_u64(iova, 1);
	say("\n");
	struct nvme_sqe cmd;
	nvme_cmd_identify(&cmd, NVME_CNS_CONTROLLER, 0, iova);
	admin_run(&cmd, NULL);
}

/* Whether the controller still answers: a Get Features (Number of Queues) on the admin
 * queue, which touches no medium, waited for as any admin command. */
static bool controller_answers(void)
{
	struct nvme_sqe cmd = {.opcode = NVME_ADMIN_GET_FEATURES, .cdw10 = FEATURE_QUEUES};
	return admin_run(&cmd, NULL) != 0xffff;
}

/* The earliest progress stamp of a busy queue (UINT64_MAX: every queue is idle). */
static uint64_t oldest_progress(void)
{
	uint64_t oldest = UINT64_MAX;
	for (unsigned p = 0; p < queue_count; p++) {
		uint64_t t = atomic_load(&ports[p].progress);
		if (t < oldest)
			oldest = t;
	}
	return oldest;
}

/* The watchdog (the main thread): the timer fired, or may need arming. A queue with
 * commands and no progress for COMMAND_TIMEOUT_NS may be stuck: ask the controller
 * something that needs no medium; if it answers, the commands are only slow (a medium that
 * takes long, or QEMU's -icount sleep=off, where virtual time jumps to the next timer
 * whenever the CPUs idle, however long the host takes for the I/O), so wait another
 * period; if it does not answer within the admin timeout, reset it. Else arm for the
 * earliest deadline, or disarm when every queue is idle. */
static void check_timeouts(bool fired)
{
	if (fired)
		timer_armed = false;
	if (timer_armed)
		return;
	uint64_t oldest = oldest_progress();
	if (oldest == UINT64_MAX) {
		atomic_store(&watch_armed, false);
		oldest = oldest_progress(); /* a port that went busy meanwhile saw it armed */
		if (oldest == UINT64_MAX)
			return;
	}
	uint64_t next = oldest + timeout_ticks;
	if (m6_counter() >= next) {
		if (!controller_answers()) {
			reset_controller();
			return;
		}
		if (oldest != late_stamp) {
			/* One line per late queue, for the first few: under -icount every idle wait
			 * on the host makes one, and a log is not a counter. */
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
	atomic_store(&watch_armed, true);
	m6_timer_set(timer.timer, next, 0);
	timer_armed = true;
}

/* Port K's thread (`thread qK { entry "nvme_port" ... }`): waits until the main thread has
 * brought the controller up, then serves its port on its own queue pair, and stops when a
 * reset asks it to. */
static void port_thread(uint64_t arg)
{
	(void)arg;
	unsigned self = m6_thread_index(), p = 0;
	while (p < PORTS && port_spec[p].thread != self)
		p++;
	if (p == 0 || p == PORTS) {
		say("nvme: a thread that is no port's (threads q1, q2, ... in order): stopping\n");
		m6_thread_exit();
	}
	struct port *pt = &ports[p];
	/* The notification may hold bits from a run before a restart: the flag decides. */
	while (!atomic_load(&started))
		m6_wait(port_spec[p].wake);
	if (!pt->queue) {
		for (;;)
			m6_wait(port_spec[p].wake); /* port_gone told its client */
	}
	pt->irq_pending = true; /* the handler's first ack: from this thread, on its CPU */
	bool unused = false;
	for (;;) {
		if (atomic_load(&stop_requested)) {
			uint32_t generation = atomic_load(&stop_generation);
			abandon(pt);
			m6_signal(pt->stopped);
			/* Until resumed, or asked to stop again (then say "stopped" once more). */
			while (atomic_load(&stop_requested) &&
			       atomic_load(&stop_generation) == generation)
				if (m6_wait(port_spec[p].wake) & IRQ_BADGE)
					pt->irq_pending = true;
			pt->irq_pending = true; /* an interrupt of the old queue may be unacked */
			continue;
		}
		if (serve(pt, false, &unused))
			continue;
		if (!may_sleep(pt))
			continue;
		if (m6_wait(port_spec[p].wake) & IRQ_BADGE)
			pt->irq_pending = true;
	}
}
M6_THREAD_ENTRY(nvme_port, port_thread);

/* Everything the main thread sets up for port p before its thread may start. */
static void setup_port(unsigned p)
{
	struct port *pt = &ports[p];
	const struct port_spec *ps = &port_spec[p];
	pt->spec = ps;
	atomic_init(&pt->progress, UINT64_MAX);
	pt->geometry = block_ring_geometry(ps->ring);
	pt->requests = block_ring_requests(ps->ring);
	pt->completions = block_ring_completions(ps->ring);
	if (ps->ring_size < BLOCK_RING_SIZE || ps->data_size != 0x200000u)
		halt("a port's ring or data region has the wrong size (12 KiB and 2 MiB)");
	if (p == 0)
		return;
	pt->stop = m6_cap_mint(ps->wake, M6_RIGHT_WRITE, STOP_BADGE);
	pt->stopped = m6_cap_mint(CAP_WAKE, M6_RIGHT_WRITE, STOPPED_BADGE(p));
	if (!pt->stop || !pt->stopped)
		halt("cannot make the port threads' signals");
}

/* Binds port p's interrupt to its notification (the handler is acked by its thread, so
 * the kernel sends the interrupt to that thread's CPU). */
static void bind_port_irq(unsigned p)
{
	struct port *pt = &ports[p];
	pt->irq = hw.io_irq[p];
	pt->vector = hw.io_vector[p];
	m6_cptr_t signal = m6_cap_mint(port_spec[p].wake, M6_RIGHT_WRITE, IRQ_BADGE);
	if (!signal || m6_irq_handler_set_notification(pt->irq, signal))
		halt("cannot take the controller's interrupt");
}

int main(int argc, char **argv)
{
	for (unsigned p = 0; p < PORTS; p++)
		setup_port(p);
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
	 * block it, and the driver must take its IOSpace's signal as a failed controller.
	 * The counts are port 0's requests. */
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
		 * the clients, and wait for good. */
		say("nvme: given up; the disk is gone\n");
		const char *stop_why = nvme_hw_stop();
		if (stop_why) {
			say("nvme: ");
			say(stop_why);
			say("\n");
		}
		atomic_store(&dead, true);
		gone = true;
		for (unsigned p = 0; p < PORTS; p++)
			port_gone(&ports[p]);
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
	why = nvme_hw_acquire(&hw, PORTS);
	if (why)
		halt(why);
	setup_iospace();
	/* INTx: one handler for the admin queue and port 0's. MSI-X: the admin queue's vector
	 * 0 and each port's own, each with a badge of its own, so only the one that fired is
	 * acked. */
	for (unsigned p = 0; p < hw.io_count && p < PORTS; p++)
		bind_port_irq(p);
	if (hw.irq != hw.io_irq[0]) {
		m6_cptr_t admin_signal = m6_cap_mint(CAP_WAKE, M6_RIGHT_WRITE, ADMIN_IRQ_BADGE);
		if (!admin_signal || m6_irq_handler_set_notification(hw.irq, admin_signal))
			halt("cannot take the controller's admin interrupt");
	}
	busy_signal = m6_cap_mint(CAP_WAKE, M6_RIGHT_WRITE, BUSY_BADGE);
	if (!busy_signal)
		halt("cannot make the port threads' signals");

	uint64_t cap = rd64(REG_CAP);
	if (cap == UINT64_MAX || !(cap & CAP_CSS_NVM))
		halt("the controller does not support the NVM command set");
	if (((cap >> 48) & 0xf) != 0)
		halt("the controller does not take 4 KiB memory pages (CAP.MPSMIN)");
	dstrd = (unsigned)((cap >> 32) & 0xf);
	if (DOORBELL + 2u * (PORTS + 1) * (4u << dstrd) > hw.regs_size)
		halt("the doorbells of the I/O queues lie beyond BAR0");
	ready_timeout_ns = ((cap >> 24) & 0xff) * 500000000ull;
	if (ready_timeout_ns == 0)
		ready_timeout_ns = 500000000ull;
	io_depth = IO_DEPTH;
	if ((cap & 0xffff) + 1 < io_depth)
		io_depth = (uint16_t)((cap & 0xffff) + 1);
	if (io_depth < NVME_MIN_DEPTH)
		halt("CAP.MQES allows no I/O queue");
	ack_irq();
	if (hw.irq != hw.io_irq[0])
		m6_irq_handler_ack(hw.io_irq[0]);
	why = bring_up(true);
	if (why)
		halt(why);
	/* The controller was disabled (every queue and command of a last run dropped) and
	 * brought up afresh: only now may the epochs move on. */
	for (unsigned p = 0; p < PORTS; p++) {
		if (ports[p].queue) {
			ports[p].epoch = block_driver_publish(ports[p].geometry);
			m6_signal(port_spec[p].client);
		} else {
			port_gone(&ports[p]);
		}
	}
	atomic_store(&started, true);
	for (unsigned p = 1; p < PORTS; p++)
		m6_signal(ports[p].stop);

	struct port *pt = &ports[0];
	for (;;) {
		if (dma_fault_pending)
			dma_fault();
		bool crash_due = false;
		bool moved = serve(pt, true, &crash_due);
		if (crash_due) /* with this command (and maybe others) at the controller */
			block_driver_crash_now(&crash_hook);
		busy_pending = false;
		check_timeouts(false);
		if (moved || busy_pending)
			continue;
		if (!may_sleep(pt))
			continue;
		uint64_t bits = m6_wait(CAP_WAKE);
		keep_bits(bits);
		if (bits & ADMIN_IRQ_BADGE)
			ack_irq(); /* an admin completion no admin_run waited for (it polled it) */
		if (bits & TIMER_BADGE)
			check_timeouts(true);
	}
}
