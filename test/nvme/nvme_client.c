/* test/nvme: a random read/write workload through the block protocol with every byte
 * checked, many requests in flight (ctest qemu.nvme.random, qemu.nvme.stall).
 *
 * The client keeps a shadow of the whole disk in its heap (the image starts as
 * test/blk/common.h's pattern). It keeps up to DEPTH requests in flight: each a random
 * read or write of 1..64 blocks at a random block and a random 4-byte aligned offset of
 * its own 32 KiB slice of the data region; requests in flight never share a block, so
 * the outcome is defined. A write's data is fresh random words; a read is compared with
 * the shadow when it completes. Then the whole disk is read back and compared, and the
 * FNV-1a hash of the shadow is printed: the host hashes the image and must get the same
 * (check_nvme.py).
 *
 * `args "nodisk"`: the system runs without a controller; the client's init must be refused
 * (the driver publishes a geometry without the magic) and nothing else is tried.
 *
 * `args "stall"`: the driver is told to stop ringing doorbells partway through (its own
 * `args`), so requests in flight time out: they must come back eio (counted, then sent
 * again, as a file system would) and the workload must still finish with every byte right.
 *
 * `args "restart"` (test/blkrestart's nvme_restart system, docs/supervision.md): the driver
 * runs under a supervisor and the client gives it the debug signal that makes it fault at
 * the 1024th request from then (block.h), so it faults part way through the workload with
 * requests at the controller: those come back eio and are sent again, as with "stall",
 * and the workload must finish with every byte right after exactly one restart. Then the
 * client makes the driver fault at its next request again and again until the supervisor
 * gives up: from then on every request fails with eio at once.
 *
 * `args "part" "K" "N" "none"|"any"` (test/nvme/nvme_mq.m6.in, qemu.nvme.multiqueue): one of N
 * clients, each on its own CPU with its own port of the driver (CLIENT_RING, CLIENT_DATA: port K's
 * regions), works on the K-th N-th of the disk only and prints that part's hash; the
 * host checks each part. Each checks that its CPU took interrupts during its workload:
 * the driver's thread for its port acks its queue's MSI-X vector on that CPU, so the
 * kernel delivers it there. Client 0 powers off once the others have said they are done
 * (its notification `others`). "fewN": only ports 0..N-1 have a queue pair (the
 * controller has fewer MSI-X vectors than the driver has ports); the others' init must be
 * refused (no disk) and their blocks stay untouched; the others may see eio (the
 * system also stalls the controller, so a reset meets ports without a queue). "restart": client 0
 * has the driver (under a supervisor) fault at its 1024th request from then, with every port busy.
 * "any": eio is allowed (a reset of the controller, which the multiqueue stall system causes), as
 * with `args "any"`. */
#include <stdbool.h>
#include <stdint.h>
#include <stdatomic.h>
#include <string.h>

#include <m6/block_client.h>
#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6_caps.h>

#include "block.h"
#include "../blk/common.h"

#include <m6/sysinfo.h>

/* The data region and ring of the client's port: port 0's unless the build names
 * another (test/nvme/CMakeLists.txt, the multiqueue system). */
#ifndef CLIENT_RING
#define CLIENT_RING      M6_MEM_RING_VADDR
#define CLIENT_DATA      M6_MEM_DATA_VADDR
#define CLIENT_DATA_SIZE M6_MEM_DATA_SIZE
#endif

#define DEPTH      48u
#define REQUESTS   3000u
#define MAX_BLOCKS 64u
#define SLICE      (32u * 1024u)

_Static_assert(DEPTH *SLICE <= CLIENT_DATA_SIZE, "each request in flight has its own slice");
_Static_assert(M6_HEAP_SIZE >= DISK_BLOCKS * 512u, "the shadow of the disk fits the heap");

/* The multiqueue system's clients report through the shared page `results` (one record
 * per part) and client 0 prints every part's lines: clients on four CPUs writing to the
 * console at once would interleave their lines. */
struct part_result {
	_Atomic uint32_t done;
	uint32_t hash;
	uint64_t requests, peak, eio, failures, restarts;
	bool irqs;   /* its CPU took interrupts during its workload */
	bool nodisk; /* its port had no queue pair, as the test wanted ("fewN") */
};

static struct m6_block_client blk;
static uint8_t *const data = (uint8_t *)CLIENT_DATA;
static uint32_t *const shadow = (uint32_t *)M6_HEAP_VADDR;
static uint8_t busy[DISK_BLOCKS];
static unsigned failures;
static uint64_t rng = 0x9e3779b97f4a7c15ull;
/* The blocks this client works on: the whole disk, or its part. */
static uint64_t lo = 0, hi = DISK_BLOCKS;
static unsigned requests = REQUESTS;

static struct pending {
	bool used;
	uint32_t op, count;
	uint64_t id, block, offset;
} pend[DEPTH];

static void say(const char *s)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, s);
}

static void say_u64(uint64_t v, int hex)
{
	char num[24];
	say(m6_format_u64(num, v, hex));
}

static void expect(bool ok, const char *what)
{
	if (!ok && failures++ < 10) {
		say("nvme-test: FAIL: ");
		say(what);
		say("\n");
	}
}

static uint64_t next(void)
{
	/* xorshift64*: any fixed-seed generator does; the host never replays it. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static bool range_free(uint64_t block, uint32_t count)
{
	for (uint32_t b = 0; b < count; b++)
		if (busy[block + b])
			return false;
	return true;
}

/* The end of the run: power off, or, for a client that has no power cap (the multiqueue
 * system's clients 1..N-1), tell client 0 and wait for it to. */
static _Noreturn void end(void)
{
#ifdef CAP_POWER
	m6_power_off(CAP_POWER);
#endif
#ifdef CAP_FINISHED
	m6_signal(CAP_FINISHED);
#endif
	for (;;)
		m6_wait(CAP_DONE);
}

static void send(unsigned k)
{
	struct pending *p = &pend[k];
	if (p->op == BLOCK_OP_WRITE)
		memcpy(data + p->offset, &shadow[p->block * 128], p->count * 512u);
	else
		memset(data + p->offset, 0xa5, p->count * 512u);
	expect(m6_block_submit(&blk, p->op, p->block, p->count, p->offset, &p->id) == 0, "submit");
}

/* A new request in slot k (never over blocks another request in flight has). */
static void start(unsigned k)
{
	struct pending *p = &pend[k];
	uint32_t count;
	uint64_t block;
	do {
		count = 1 + (uint32_t)(next() % MAX_BLOCKS);
		block = lo + next() % (hi - lo - count + 1);
	} while (!range_free(block, count));
	memset(&busy[block], 1, count);
	*p = (struct pending){.used = true,
	                      .op = next() % 5 < 3 ? BLOCK_OP_WRITE : BLOCK_OP_READ,
	                      .count = count,
	                      .block = block,
	                      .offset = k * SLICE + (next() % (SLICE - count * 512u + 1)) / 4 * 4};
	if (p->op == BLOCK_OP_WRITE)
		for (uint32_t i = 0; i < count * 128u; i++)
			shadow[block * 128 + i] = (uint32_t)next();
	send(k);
}

static unsigned eio;

/* One answer: check it; a request that got eio goes again. Returns the slot it freed
 * (DEPTH: none). */
static unsigned answer(const struct block_completion *c)
{
	unsigned k = 0;
	while (k < DEPTH && !(pend[k].used && pend[k].id == c->id))
		k++;
	if (k == DEPTH) {
		expect(false, "an answer names a request in flight");
		return DEPTH;
	}
	struct pending *p = &pend[k];
	if (c->status == BLOCK_STATUS_EIO) {
		eio++;
		send(k);
		return DEPTH;
	}
	expect(c->status == BLOCK_STATUS_OK, "a request in range succeeds");
	if (p->op == BLOCK_OP_READ)
		expect(memcmp(data + p->offset, &shadow[p->block * 128], p->count * 512u) == 0,
		       "a read returns what the disk holds");
	memset(&busy[p->block], 0, p->count);
	p->used = false;
	return k;
}

/* The FNV-1a hash of what this client believes its blocks hold. */
static uint32_t part_hash(void)
{
	uint32_t h = 0x811c9dc5u;
	const uint8_t *bytes = (const uint8_t *)shadow;
	for (uint64_t i = lo * 512ull; i < hi * 512ull; i++)
		h = (h ^ bytes[i]) * 0x01000193u;
	return h;
}

#ifdef M6_MEM_RESULTS_VADDR
static struct part_result *const results = (struct part_result *)M6_MEM_RESULTS_VADDR;
_Static_assert(8 * sizeof(struct part_result) <= M6_MEM_RESULTS_SIZE, "a record per part");

static void publish(unsigned part, const struct part_result *r)
{
	results[part] = *r;
	atomic_store_explicit(&results[part].done, 1, memory_order_release);
}
#endif

int main(int argc, char **argv)
{
	bool stall = argc == 2 && strcmp(argv[1], "stall") == 0;
	bool restart = argc == 2 && strcmp(argv[1], "restart") == 0;
	unsigned part = 0, parts = 0;
	bool any = argc == 2 && strcmp(argv[1], "any") == 0;
	if (argc == 5 && strcmp(argv[1], "part") == 0) {
		any = strcmp(argv[4], "any") == 0 || strncmp(argv[4], "few", 3) == 0;
		restart = strcmp(argv[4], "restart") == 0;
		part = (unsigned)(argv[2][0] - '0');
		parts = (unsigned)(argv[3][0] - '0');
		expect(parts >= 1 && parts <= 8 && part < parts, "part K of N: 0 <= K < N <= 8");
		if (part >= parts)
			parts = part + 1;
		lo = DISK_BLOCKS / parts * part;
		hi = lo + DISK_BLOCKS / parts;
		rng ^= (uint64_t)(part + 1) * 0x100000001b3ull;
		requests = REQUESTS / 2;
	}
	int init = m6_block_client_init(&blk, (void *)CLIENT_RING, data, CLIENT_DATA_SIZE, CAP_DONE,
	                                CAP_DRIVER);
	/* "fewN": the controller has interrupts for N ports only; the others must be told at
	 * once that there is no disk, and their blocks stay as they were. */
	if (parts && strncmp(argv[4], "few", 3) == 0 && part >= (unsigned)(argv[4][3] - '0')) {
		expect(init == -M6_BLOCK_EPROTO, "a port without a queue pair: no disk");
		for (uint64_t b = lo; b < hi; b++)
			for (unsigned i = 0; i < 128; i++)
				shadow[b * 128 + i] = original_word(b, i);
#ifdef M6_MEM_RESULTS_VADDR
		struct part_result r = {.hash = part_hash(), .failures = failures, .nodisk = true};
		publish(part, &r);
#endif
		end();
	}
	if (argc == 2 && strcmp(argv[1], "nodisk") == 0) {
		/* Booted without a controller: the driver must say so with a geometry the client
		 * refuses, at once, rather than leave it waiting. */
		expect(init == -M6_BLOCK_EPROTO, "no disk: the client's init is refused");
		say(failures ? "nvme-test: FAIL\n"
		             : "nvme-test: no disk, as expected\nnvme-test: PASS\n");
		end();
	}
	expect(init == 0, "the geometry is sane");
	const struct block_geometry *geo = &blk.geometry;
	if (part == 0) {
		say("nvme-test: geometry: ");
		say_u64(geo->block_count, 0);
		say(" blocks of ");
		say_u64(geo->block_size, 0);
		say(" bytes, max ");
		say_u64(geo->max_bytes / 1024, 0);
		say(geo->flush ? " KiB, flush\n" : " KiB, no flush\n");
	}
	expect(geo->block_size == 512 && geo->block_count == DISK_BLOCKS &&
	           geo->max_bytes >= MAX_BLOCKS * 512u,
	       "geometry");
	for (uint64_t b = lo; b < hi; b++)
		for (unsigned i = 0; i < 128; i++)
			shadow[b * 128 + i] = original_word(b, i);
#ifdef CAP_SYSTEM_INFO
	struct m6_cpu_info before = {0}, after = {0};
	expect(m6_sysinfo_cpu(CAP_SYSTEM_INFO, part, &before) == M6_OK, "this CPU's counts");
#endif

#ifdef CAP_CRASH_SOON
	if (restart)
		m6_signal(CAP_CRASH_SOON); /* a fault at the 1024th request from now */
#endif
	/* The workload: DEPTH in flight, batched submissions. */
	unsigned started = 0, peak = 0;
	m6_block_plug(&blk);
	for (unsigned k = 0; k < DEPTH; k++, started++)
		start(k);
	m6_block_unplug(&blk);
	struct block_completion c;
	while (m6_block_outstanding(&blk) > 0) {
		if (m6_block_outstanding(&blk) > peak)
			peak = m6_block_outstanding(&blk);
		expect(m6_block_wait(&blk, &c) == 1, "an answer");
		m6_block_plug(&blk);
		unsigned k = answer(&c);
		if (k < DEPTH && started < requests) {
			start(k);
			started++;
		}
		while (m6_block_reap(&blk, &c) == 1) {
			k = answer(&c);
			if (k < DEPTH && started < requests) {
				start(k);
				started++;
			}
		}
		m6_block_unplug(&blk);
		if (failures > 10)
			break;
	}
	int flushed = m6_block_flush(&blk);
	if (flushed == -BLOCK_STATUS_EIO) { /* a reset or restart under way: once more */
		eio++;
		flushed = m6_block_flush(&blk);
	}
	expect(flushed == 0, "flush");

	bool irqs = false;
	(void)irqs; /* reported only through `results` */
#ifdef CAP_SYSTEM_INFO
	/* The port's queue interrupts on this CPU: it took some during the workload. */
	expect(m6_sysinfo_cpu(CAP_SYSTEM_INFO, part, &after) == M6_OK, "this CPU's counts");
	irqs = after.device_irqs > before.device_irqs;
	expect(irqs, "the port's interrupts reach its CPU");
#endif

	/* Everything read back, 256 KiB at a time. */
	for (uint64_t b = lo; b < hi; b += 512) {
		memset(data, 0x5a, 512 * 512);
		int r = m6_block_read(&blk, b, 512, 0);
		if (r == -BLOCK_STATUS_EIO) { /* a reset may still be under way: once more */
			eio++;
			r = m6_block_read(&blk, b, 512, 0);
		}
		expect(r == 0 && memcmp(data, &shadow[b * 128], 512 * 512) == 0,
		       "the whole disk reads back as written");
	}

	/* Bad requests the NVMe driver refuses before the device sees them. */
	expect(m6_block_read(&blk, 0, 1, 2) == -BLOCK_STATUS_EINVAL,
	       "a data offset that is not a multiple of 4: einval");
	expect(m6_block_read(&blk, DISK_BLOCKS - 1, 2, 0) == -BLOCK_STATUS_ENXIO,
	       "past the end: enxio");
	expect(m6_block_read(&blk, 0, (uint32_t)(geo->max_bytes / 512 + 1), 0) ==
	           -BLOCK_STATUS_EINVAL,
	       "more than max_bytes: einval");

	uint32_t h = part_hash();
	if (!parts) {
		say("nvme-test: ");
		say_u64(started, 0);
		say(" requests, up to ");
		say_u64(peak, 0);
		say(" in flight, ");
		say_u64(eio, 0);
		say(" eio\n");
		say("nvme-test: image hash ");
		say_u64(h, 1);
		say("\n");
	}
	/* `args "any"`: a fault whose timing decides whether requests are in flight when
	 * the driver resets (qemu.nvme.dmafault): eio or not, every byte must be right. */
	if (stall)
		expect(eio > 0, "the stalled requests came back eio");
	else if (restart && parts && part > 0)
		/* Another client's crash: this one may have finished before it. */
		expect(blk.restarts <= 1 && !blk.gone && (eio == 0 || blk.restarts == 1),
		       "at most one restart, and eio only with it");
	else if (restart)
		expect(eio > 0 && blk.restarts == 1 && !blk.gone,
		       "the requests at the controller when it faulted came back eio, one restart");
	else if (!any)
		expect(eio == 0, "no eio without a fault");
#ifdef CAP_CRASH
	/* Fault after fault, until the supervisor gives up: then eio for good, at once. */
	unsigned crashes = 0;
	while (restart && !blk.gone && crashes < 10) {
		m6_signal(CAP_CRASH);
		expect(m6_block_read(&blk, 0, 1, 0) == -BLOCK_STATUS_EIO, "a read at a fault: eio");
		crashes++;
	}
	if (restart) {
		expect(blk.gone, "the supervisor gave up: the disk is gone");
		say("nvme-test: the driver is gone after ");
		say_u64(crashes, 0);
		say(" more faults\n");
		expect(m6_block_read(&blk, 0, 1, 0) == -BLOCK_STATUS_EIO, "eio once gone");
		expect(m6_block_submit(&blk, BLOCK_OP_READ, 0, 1, 0, 0) == -BLOCK_STATUS_EIO,
		       "submit refused once gone");
	}
#endif
#ifdef M6_MEM_RESULTS_VADDR
	struct part_result mine = {.hash = h,
	                           .requests = started,
	                           .peak = peak,
	                           .eio = eio,
	                           .restarts = blk.restarts,
	                           .failures = failures,
	                           .irqs = irqs};
	publish(part, &mine);
#endif
#ifdef CAP_FINISHED
	end(); /* client 0 reports, and powers off */
#endif
#ifdef CAP_OTHERS
	uint64_t seen = 0, want = ((1ull << parts) - 1) & ~1ull;
	while ((seen & want) != want)
		seen |= m6_wait(CAP_OTHERS);
	for (unsigned k = 0; k < parts; k++) {
		const struct part_result *r = &results[k];
		if (!atomic_load_explicit(&r->done, memory_order_acquire)) {
			expect(false, "every part reports");
			continue;
		}
		if (r->nodisk) {
			say("nvme-test: part ");
			say_u64(k, 0);
			say(": no disk (no queue pair for its port), as expected\n");
		} else {
			say("nvme-test: part ");
			say_u64(k, 0);
			say(": ");
			say_u64(r->requests, 0);
			say(" requests, up to ");
			say_u64(r->peak, 0);
			say(" in flight, ");
			say_u64(r->eio, 0);
			say(" eio\n");
		}
		say("nvme-test: part ");
		say_u64(k, 0);
		say(" of ");
		say_u64(parts, 0);
		say(" hash ");
		say_u64(r->hash, 1);
		say("\n");
		if (!r->nodisk) {
			say("nvme-test: part ");
			say_u64(k, 0);
			say(": CPU ");
			say_u64(k, 0);
			say(r->irqs ? " took its queue's interrupts\n" : " took no interrupt\n");
		}
		if (r->restarts) {
			say("nvme-test: part ");
			say_u64(k, 0);
			say(": the driver restarted ");
			say_u64(r->restarts, 0);
			say(" time(s)\n");
		}
		say("nvme-test: part ");
		say_u64(k, 0);
		say(r->failures ? ": FAIL\n" : ": PASS\n");
		if (r->failures)
			failures++;
	}
	say("nvme-test: every part is done\n");
#endif
	say(failures ? "nvme-test: FAIL\n" : "nvme-test: PASS\n");
	end();
}
