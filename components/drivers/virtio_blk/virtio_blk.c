/* virtio-blk driver over QEMU virt's virtio-mmio transport (modern, version 2), serving
 * the block protocol (libm6/interfaces/block.idl, docs/files.md) to one client.
 *
 * What the spec gives it (test/blk/blk.m6): `device disk` (the transport's registers and
 * interrupt), `notification wake` (the client's signals, badge 1, and the interrupt, badge
 * 2), `signal client.done as CLIENT badge 1`, the shared regions `ring` and `data`, and
 * `untyped dma 4 MiB`, from which it makes the memory the device reads and writes.
 *
 * DMA needs physical addresses, which only a frame cap tells (FRAME_GET_ADDRESS); the
 * spec's shared regions give the components mappings, not frame caps. So the driver
 * makes its own DMA memory from its untyped pool: a 2 MiB frame (physically contiguous,
 * so a request's data is one descriptor) that mirrors the data region offset for offset,
 * and two 4 KiB frames for the virtqueue and the request headers. Data is copied between
 * the data region and the mirror (bounce buffering): one memcpy per request, and the
 * client can never make the device touch anything but the driver's own frames.
 *
 * The virtqueue is a split ring of QUEUE_SIZE descriptors; request slot s always uses
 * descriptors 3s (header), 3s+1 (data) and 3s+2 (status), so there is no descriptor
 * allocator: a free slot is a free chain.
 *
 * Restarts (docs/supervision.md): the spec may have a supervisor restart this driver from
 * a clean state (its memory as at boot, its caps reissued, its untyped pool emptied). A
 * start that finds the geometry already published is a restart: the device is reset
 * first (status 0: virtio 1.2, 4.2.3.1 — it then touches no memory and forgets every
 * request it had), then set up afresh, and only then is the epoch bumped (block.idl), so
 * requests sent before it are answered `estale` without reaching the disk. The run after
 * the supervisor gave up (M6_RESTART_FINAL) resets the device and tells the client the
 * disk is gone. A signal with BLOCK_DEBUG_CRASH_BADGE (the shell's `crash disk`) makes
 * the driver fault on purpose. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <m6/caps.h>
#include <m6/debug.h>
#include <m6/time.h>
#include <m6/invocations.h>
#include <m6/supervision.h>
#include <m6_caps.h>

#include "block.h"
#include "block_driver.h"

/* virtio-mmio registers (virtio 1.2, 4.2.2) */
#define VIRTIO_MAGIC               0x000
#define VIRTIO_VERSION             0x004
#define VIRTIO_DEVICE_ID           0x008
#define VIRTIO_DEVICE_FEATURES     0x010
#define VIRTIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_DRIVER_FEATURES     0x020
#define VIRTIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_QUEUE_SEL           0x030
#define VIRTIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_QUEUE_NUM           0x038
#define VIRTIO_QUEUE_READY         0x044
#define VIRTIO_QUEUE_NOTIFY        0x050
#define VIRTIO_INTERRUPT_STATUS    0x060
#define VIRTIO_INTERRUPT_ACK       0x064
#define VIRTIO_STATUS              0x070
#define VIRTIO_QUEUE_DESC          0x080
#define VIRTIO_QUEUE_DRIVER        0x090
#define VIRTIO_QUEUE_DEVICE        0x0a0
#define VIRTIO_CONFIG              0x100

#define STATUS_ACKNOWLEDGE         1u
#define STATUS_DRIVER              2u
#define STATUS_DRIVER_OK           4u
#define STATUS_FEATURES_OK         8u
#define STATUS_FAILED              128u

#define BLK_F_SIZE_MAX             1
#define BLK_F_SEG_MAX              2
#define BLK_F_RO                   5
#define BLK_F_BLK_SIZE             6
#define BLK_F_FLUSH                9
#define F_VERSION_1                32

#define BLK_T_IN                   0u
#define BLK_T_OUT                  1u
#define BLK_T_FLUSH                4u
#define BLK_S_OK                   0u

#define DESC_F_NEXT                1u
#define DESC_F_WRITE               2u

#define QUEUE_SIZE                 128u
#define SLOTS                      (QUEUE_SIZE / 3u)
#define IRQ_BADGE                  2u

/* Where the driver maps its DMA memory: a 1 GiB slot of its own, far from the spec's
 * regions (which start at 4 GiB and are placed upwards). */
#define DMA_VADDR  0x4000000000ull
#define DMA_BOUNCE DMA_VADDR                 /* 2 MiB: mirrors the data region */
#define DMA_QUEUE  (DMA_VADDR + 0x200000ull) /* descriptors, available ring */
#define DMA_USED   (DMA_QUEUE + 0x1000ull)   /* used ring, headers, statuses */

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[QUEUE_SIZE];
};
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct {
		uint32_t id;
		uint32_t len;
	} ring[QUEUE_SIZE];
};
struct blk_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

_Static_assert(M6_MEM_DATA_SIZE == 0x200000, "the data region is as large as the 2 MiB mirror");
_Static_assert(M6_MEM_RING_SIZE >= BLOCK_RING_SIZE, "the ring region holds the protocol's pages");
_Static_assert(QUEUE_SIZE * sizeof(struct virtq_desc) + sizeof(struct virtq_avail) <= 0x1000,
               "descriptors and the available ring share a page");
_Static_assert(sizeof(struct virtq_used) + SLOTS * (sizeof(struct blk_header) + 1) <= 0x1000,
               "the used ring, headers and statuses share a page");

static struct virtq_desc *desc = (struct virtq_desc *)DMA_QUEUE;
static struct virtq_avail *avail =
    (struct virtq_avail *)(DMA_QUEUE + QUEUE_SIZE * sizeof(struct virtq_desc));
static struct virtq_used *used = (struct virtq_used *)DMA_USED;
static struct blk_header *headers = (struct blk_header *)(DMA_USED + 0x800);
static volatile uint8_t *statuses = (volatile uint8_t *)(DMA_USED + 0xc00);
static uint64_t bounce_paddr, queue_paddr, used_paddr;

static struct block_requests *requests;
static struct block_completions *completions;
static struct block_geometry *geometry;

/* One request the device has: what to answer, and what to copy back on completion. */
static struct slot {
	bool busy;
	uint64_t id;
	uint32_t op;
	uint64_t offset, bytes;
} slots[SLOTS];
static unsigned in_flight;
static uint16_t used_seen; /* used->idx we have consumed up to */

static uint32_t epoch; /* the epoch requests must carry (block.idl) */
static uint32_t sectors_per_block = 1;
/* The disk's size in blocks: check() uses this copy, not the geometry's, which sits on a
 * page the client maps writable and could have changed. */
static uint64_t disk_blocks;
static uint64_t max_bytes;
static bool has_flush, read_only;

static volatile uint32_t *reg(unsigned offset)
{
	return (volatile uint32_t *)(uintptr_t)(M6_DEVICE_DISK_VADDR + offset);
}

static void barrier(void)
{
	/* The device is another observer of memory: order our stores to the rings and
	 * descriptors before the index and the notify register (and its index before our
	 * reads), whole system. */
	__asm__ volatile("dmb sy" ::: "memory");
}

/* Tells the client the disk is gone (block.idl): a client still in its start-up wait
 * learns it from a geometry without the magic; one that had the disk, from the magic's
 * loss with a new epoch. Either way it gets I/O errors, not a hang. */
static void publish_gone(void)
{
	if (!geometry)
		return;
	block_driver_publish_gone(geometry);
	m6_signal(CAP_CLIENT);
}

static void fail(const char *why)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, "virtio-blk: ");
	m6_debug_puts(CAP_DEBUG_CONSOLE, why);
	m6_debug_puts(CAP_DEBUG_CONSOLE, "\n");
	*reg(VIRTIO_STATUS) = STATUS_FAILED;
	/* (A system booted without its disk, e.g. QEMU run by hand without -drive, then gets
	 * I/O errors, not a hang.) */
	publish_gone();
	for (;;)
		m6_wait(CAP_WAKE);
}

/* A new object from the pool into a fresh slot. */
static m6_cptr_t make(uint64_t type, uint64_t size_bits)
{
	m6_cptr_t slot = m6_cap_retype_new(CAP_DMA, type, size_bits);
	if (!slot)
		fail("cannot make DMA memory from the untyped pool");
	return slot;
}

static uint64_t map_frame(m6_cptr_t frame, uint64_t vaddr)
{
	uint64_t paddr = 0;
	if (m6_frame_map(frame, M6_CAP_SELF_VSPACE, vaddr, M6_RIGHT_READ | M6_RIGHT_WRITE) ||
	    m6_frame_get_address(frame, &paddr))
		fail("cannot map DMA memory");
	return paddr;
}

static void map_table(uint64_t vaddr, unsigned level)
{
	if (m6_vspace_ensure_table(CAP_DMA, vaddr, level) != M6_OK)
		fail("cannot map a page table for DMA memory");
}

static void setup_dma(void)
{
	/* The 2 MiB frame first: the pool is 4 MiB aligned, so it lands naturally aligned. */
	m6_cptr_t bounce = make(M6_OBJ_FRAME, 21);
	map_table(DMA_VADDR, 1);
	map_table(DMA_VADDR, 2);
	map_table(DMA_QUEUE, 3);
	bounce_paddr = map_frame(bounce, DMA_BOUNCE);
	queue_paddr = map_frame(make(M6_OBJ_FRAME, 12), DMA_QUEUE);
	used_paddr = map_frame(make(M6_OBJ_FRAME, 12), DMA_USED);
}

static uint64_t dma_paddr(const volatile void *p)
{
	uintptr_t v = (uintptr_t)p;
	if (v >= DMA_USED)
		return used_paddr + (v - DMA_USED);
	return queue_paddr + (v - DMA_QUEUE);
}

static void set64(unsigned low, uint64_t v)
{
	*reg(low) = (uint32_t)v;
	*reg(low + 4) = (uint32_t)(v >> 32);
}

/* The device's reset: first thing at every start. After a restart the device may still be
 * carrying out what the last run gave it, writing used-ring entries and read data into
 * the pool memory this run is about to make its own rings from again (the same physical
 * pages, freshly zeroed): only once the reset is done does it touch no memory. */
static void reset_device(void)
{
	if (*reg(VIRTIO_MAGIC) != 0x74726976u || *reg(VIRTIO_VERSION) != 2 ||
	    *reg(VIRTIO_DEVICE_ID) != 2)
		fail("no modern virtio-blk device at this slot");
	/* A device may take time to finish a reset (virtio 1.2, 4.2.3.1), but one that never
	 * does is broken: give up after a second rather than spin for ever. */
	*reg(VIRTIO_STATUS) = 0;
	uint64_t reset_start = m6_time_ns();
	while (*reg(VIRTIO_STATUS) != 0) {
		if (m6_time_ns() - reset_start > 1000000000ull)
			fail("the device did not finish its reset within a second");
		m6_yield();
	}
}

/* Negotiate, set up queue 0, DRIVER_OK (virtio 1.2, 3.1.1 and 4.2.3), on a device
 * reset_device() has reset. */
static void setup_device(void)
{
	*reg(VIRTIO_STATUS) = STATUS_ACKNOWLEDGE;
	*reg(VIRTIO_STATUS) = STATUS_ACKNOWLEDGE | STATUS_DRIVER;

	*reg(VIRTIO_DEVICE_FEATURES_SEL) = 0;
	uint64_t offered = *reg(VIRTIO_DEVICE_FEATURES);
	*reg(VIRTIO_DEVICE_FEATURES_SEL) = 1;
	offered |= (uint64_t)*reg(VIRTIO_DEVICE_FEATURES) << 32;
	if (!(offered & (1ull << F_VERSION_1)))
		fail("the device does not offer VIRTIO_F_VERSION_1");
	uint64_t wanted = 1ull << F_VERSION_1 | 1ull << BLK_F_FLUSH | 1ull << BLK_F_RO |
	                  1ull << BLK_F_SEG_MAX | 1ull << BLK_F_BLK_SIZE | 1ull << BLK_F_SIZE_MAX;
	uint64_t features = offered & wanted;
	*reg(VIRTIO_DRIVER_FEATURES_SEL) = 0;
	*reg(VIRTIO_DRIVER_FEATURES) = (uint32_t)features;
	*reg(VIRTIO_DRIVER_FEATURES_SEL) = 1;
	*reg(VIRTIO_DRIVER_FEATURES) = (uint32_t)(features >> 32);
	*reg(VIRTIO_STATUS) = STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK;
	if (!(*reg(VIRTIO_STATUS) & STATUS_FEATURES_OK))
		fail("the device refused our features");

	/* Geometry from the config space (little-endian, as we are). */
	volatile uint32_t *config = reg(VIRTIO_CONFIG);
	uint64_t capacity = config[0] | (uint64_t)config[1] << 32; /* 512-byte sectors */
	uint32_t block_size = 512;
	if (features & 1ull << BLK_F_BLK_SIZE) {
		uint32_t bs = config[5];
		if (bs >= 512 && bs <= 65536 && (bs & (bs - 1)) == 0)
			block_size = bs;
	}
	sectors_per_block = block_size / 512;
	max_bytes = M6_MEM_DATA_SIZE;
	if (features & 1ull << BLK_F_SIZE_MAX) {
		/* One data descriptor per request: it may be no larger than the device takes. */
		uint32_t size_max = config[2];
		if (size_max && size_max < max_bytes)
			max_bytes = size_max / block_size * block_size;
	}
	has_flush = features & 1ull << BLK_F_FLUSH;
	read_only = features & 1ull << BLK_F_RO;

	*reg(VIRTIO_QUEUE_SEL) = 0;
	uint32_t num_max = *reg(VIRTIO_QUEUE_NUM_MAX);
	if (num_max < QUEUE_SIZE || *reg(VIRTIO_QUEUE_READY))
		fail("queue 0 is too small or already in use");
	*reg(VIRTIO_QUEUE_NUM) = QUEUE_SIZE;
	set64(VIRTIO_QUEUE_DESC, dma_paddr(desc));
	set64(VIRTIO_QUEUE_DRIVER, dma_paddr(avail));
	set64(VIRTIO_QUEUE_DEVICE, dma_paddr(used));
	*reg(VIRTIO_QUEUE_READY) = 1;

	/* Each slot's chain is fixed: header -> data -> status. */
	for (unsigned s = 0; s < SLOTS; s++) {
		desc[3 * s] = (struct virtq_desc){.addr = dma_paddr(&headers[s]),
		                                  .len = sizeof(struct blk_header),
		                                  .flags = DESC_F_NEXT,
		                                  .next = (uint16_t)(3 * s + 1)};
		desc[3 * s + 2] = (struct virtq_desc){
		    .addr = dma_paddr(&statuses[s]), .len = 1, .flags = DESC_F_WRITE};
	}
	barrier();
	*reg(VIRTIO_STATUS) =
	    STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK;

	geometry->block_size = block_size;
	geometry->read_only = read_only;
	disk_blocks = capacity / sectors_per_block;
	geometry->block_count = disk_blocks;
	geometry->max_bytes = max_bytes;
	geometry->queue_depth = BLOCK_REQUESTS_DEPTH;
	geometry->flush = has_flush;
	/* On a restart the device was reset above, so nothing the last run took is still
	 * going on: from the new epoch on, older requests are refused. */
	epoch = block_driver_publish(geometry);
}

static bool complete(uint64_t id, uint32_t status)
{
	struct block_completion c = {.id = id, .status = status};
	/* Never full: we take a request only while in_flight + waiting completions < DEPTH. */
	return block_completions_enqueue(completions, &c);
}

/* Decode: every check on the client's request, nothing changed. 0 means submit. */
static uint32_t check(const struct block_request *r, uint64_t *bytes)
{
	*bytes = 0;
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
	/* The driver's own copies of the geometry (the client's page is not trusted). */
	uint64_t block_size = (uint64_t)sectors_per_block * 512, blocks = disk_blocks;
	if (r->count == 0 || (uint64_t)r->count * block_size > max_bytes)
		return BLOCK_STATUS_EINVAL;
	*bytes = (uint64_t)r->count * block_size;
	if (r->offset > M6_MEM_DATA_SIZE || *bytes > M6_MEM_DATA_SIZE - r->offset)
		return BLOCK_STATUS_EINVAL;
	if (r->block >= blocks || r->count > blocks - r->block)
		return BLOCK_STATUS_ENXIO;
	if (r->op == BLOCK_OP_WRITE && read_only)
		return BLOCK_STATUS_EROFS;
	return BLOCK_STATUS_OK;
}

/* Perform: hand a checked request to the device in slot s. */
static void submit(unsigned s, const struct block_request *r, uint64_t bytes)
{
	struct slot *sl = &slots[s];
	*sl = (struct slot){
	    .busy = true, .id = r->id, .op = r->op, .offset = r->offset, .bytes = bytes};
	struct blk_header *h = &headers[s];
	h->reserved = 0;
	statuses[s] = 0xff;
	if (r->op == BLOCK_OP_FLUSH) {
		h->type = BLK_T_FLUSH;
		h->sector = 0;
		desc[3 * s].next = (uint16_t)(3 * s + 2); /* no data */
	} else {
		h->type = r->op == BLOCK_OP_READ ? BLK_T_IN : BLK_T_OUT;
		h->sector = r->block * sectors_per_block;
		if (r->op == BLOCK_OP_WRITE)
			memcpy((void *)(uintptr_t)(DMA_BOUNCE + r->offset),
			       (const void *)(uintptr_t)(M6_MEM_DATA_VADDR + r->offset), bytes);
		desc[3 * s].next = (uint16_t)(3 * s + 1);
		desc[3 * s + 1] = (struct virtq_desc){
		    .addr = bounce_paddr + r->offset,
		    .len = (uint32_t)bytes,
		    .flags = (uint16_t)(DESC_F_NEXT | (r->op == BLOCK_OP_READ ? DESC_F_WRITE : 0)),
		    .next = (uint16_t)(3 * s + 2)};
	}
	avail->ring[avail->idx % QUEUE_SIZE] = (uint16_t)(3 * s);
	barrier();
	avail->idx++;
	in_flight++;
}

/* Answers for what the device finished. */
static bool reap(void)
{
	bool any = false;
	barrier();
	while (used_seen != *(volatile uint16_t *)&used->idx) {
		barrier();
		uint32_t head = used->ring[used_seen % QUEUE_SIZE].id;
		used_seen++;
		unsigned s = head / 3;
		if (head % 3 || s >= SLOTS || !slots[s].busy)
			continue; /* not a chain we gave it */
		struct slot *sl = &slots[s];
		uint32_t status = statuses[s] == BLK_S_OK ? BLOCK_STATUS_OK : BLOCK_STATUS_EIO;
		if (status == BLOCK_STATUS_OK && sl->op == BLOCK_OP_READ)
			memcpy((void *)(uintptr_t)(M6_MEM_DATA_VADDR + sl->offset),
			       (const void *)(uintptr_t)(DMA_BOUNCE + sl->offset), sl->bytes);
		sl->busy = false;
		in_flight--;
		complete(sl->id, status);
		any = true;
	}
	return any;
}

/* `crash disk` (BLOCK_DEBUG_CRASH_BADGE): a debug aid only the spec's holder of that badge
 * has (block_driver.h). */
static struct block_driver_crash crash_hook = {.name = "virtio-blk"};

static int free_slot(void)
{
	for (unsigned s = 0; s < SLOTS; s++)
		if (!slots[s].busy)
			return (int)s;
	return -1;
}

int main(void)
{
	geometry = block_ring_geometry(M6_MEM_RING_VADDR);
	requests = block_ring_requests(M6_MEM_RING_VADDR);
	completions = block_ring_completions(M6_MEM_RING_VADDR);
	crash_hook.console = CAP_DEBUG_CONSOLE;

	uint64_t restart = m6_restart_word();
	if (restart & M6_RESTART_FINAL) {
		/* Our supervisor gave up: stop the device (a reset ends its DMA), tell the
		 * client, and wait for good. */
		m6_debug_puts(CAP_DEBUG_CONSOLE, "virtio-blk: given up; the disk is gone\n");
		*reg(VIRTIO_STATUS) = 0; /* (a reset: no wait, nothing follows it) */
		publish_gone();
		for (;;)
			m6_wait(CAP_WAKE);
	}
	if (M6_RESTART_COUNT(restart))
		m6_debug_puts(CAP_DEBUG_CONSOLE, "virtio-blk: restarted: resetting the device\n");
	reset_device();

	setup_dma();
	m6_cptr_t irq_signal = m6_cap_mint(CAP_WAKE, M6_RIGHT_WRITE, IRQ_BADGE);
	if (!irq_signal || m6_irq_handler_set_notification(CAP_DISK_IRQ, irq_signal))
		fail("cannot take the device's interrupt");
	setup_device();
	m6_irq_handler_ack(CAP_DISK_IRQ);
	m6_signal(CAP_CLIENT); /* the geometry is ready */

	for (;;) {
		bool answered = reap();
		bool submitted = false, took = false, crash_due = false;
		/* Take requests while a slot is free and their answers will fit. */
		for (;;) {
			int s = free_slot();
			if (s < 0 || in_flight + block_completions_length(completions) >=
			                 BLOCK_COMPLETIONS_DEPTH)
				break;
			struct block_request r;
			if (!block_requests_dequeue(requests, &r))
				break;
			took = true;
			uint64_t bytes;
			uint32_t status = check(&r, &bytes);
			if (status == BLOCK_STATUS_OK) {
				submit((unsigned)s, &r, bytes);
				submitted = true;
				if (block_driver_crash_count(&crash_hook))
					crash_due = true;
			} else {
				complete(r.id, status);
				answered = true;
			}
		}
		if (submitted) {
			barrier();
			*reg(VIRTIO_QUEUE_NOTIFY) = 0;
			if (crash_due)
				/* with this request (and maybe others) at the device */
				block_driver_crash_now(&crash_hook);
		}
		if (took && block_requests_consumer_should_signal(requests))
			m6_signal(CAP_CLIENT);
		if (answered && block_completions_producer_should_signal(completions))
			m6_signal(CAP_CLIENT);
		if (answered || took)
			continue;

		/* Nothing to do: sleep, but only once the other side knows to wake us. */
		bool room = free_slot() >= 0 && in_flight + block_completions_length(completions) <
		                                    BLOCK_COMPLETIONS_DEPTH;
		if (room && !block_requests_consumer_prepare_sleep(requests))
			continue;
		if (!room && in_flight == 0 &&
		    !block_completions_producer_prepare_sleep(completions))
			continue;
		uint64_t bits = m6_wait(CAP_WAKE);
		block_driver_crash_arm(&crash_hook, bits);
		if (*reg(VIRTIO_INTERRUPT_STATUS)) {
			*reg(VIRTIO_INTERRUPT_ACK) = *reg(VIRTIO_INTERRUPT_STATUS);
			m6_irq_handler_ack(CAP_DISK_IRQ);
		}
	}
}
