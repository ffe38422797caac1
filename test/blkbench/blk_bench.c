/* test/blkbench: instructions per 4 KiB random read from a raw disk through the block
 * protocol (m6::block_client), with one request in flight and with 32: on virtio-blk
 * (blk_*) or on NVMe (nvme_*: the same client, the NVMe driver underneath).
 *
 * The counter is the PMU's instruction counter (event INST_RETIRED at EL0 and EL1, which
 * the benchmark kernel lets EL0 read; test/bench/bench.h): on QEMU's one CPU it counts
 * every instruction of the client, the driver and the kernel, so a figure is the whole
 * system's cost of a read, as Linux's O_DIRECT figures are. Under -icount shift=0 the
 * CPU retires nothing while it waits for the device. Output in run_bench.py's format. */
#include <stdbool.h>
#include <stdint.h>

#include <m6/block_client.h>
#include <m6/debug.h>
#include <m6/format.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6_caps.h>

#include "bench_util.h"

#ifdef BENCH_QUICK
#define QD1_SAMPLES 11u
#define QD32_READS  256u
#else
#define QD1_SAMPLES 1001u /* odd: the median is one sample */
#define QD32_READS  8192u
#endif
#define WARMUP     64u
#define DEPTH      32u
#define READ_BYTES 4096u
#define DISK_MIN   (64ull << 20) /* run_bench.py makes a 64 MiB disk */
/* The figures' prefix: "blk" on virtio-blk, "nvme" for the same client on the NVMe driver
 * (the nvmebench systems, CMakeLists.txt). */
#ifndef BENCH_PREFIX
#define BENCH_PREFIX "blk"
#endif

static struct m6_block_client blk;
static uint64_t slots; /* 4 KiB slots on the disk */
static uint64_t rng = 0x9e3779b97f4a7c15u;

/* xorshift64*: the same slots every run. */
static uint64_t random_block(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	uint64_t slot = (rng * 0x2545f4914f6cdd1du) % slots;
	return slot * (READ_BYTES / blk.geometry.block_size);
}

static void qd1(void)
{
	static uint32_t sample[QD1_SAMPLES];
	uint32_t count = READ_BYTES / blk.geometry.block_size;
	for (unsigned i = 0; i < WARMUP; i++)
		if (m6_block_read(&blk, random_block(), count, 0) != 0)
			bench_fail("qd1 warm-up read");
	uint64_t total = 0;
	for (unsigned i = 0; i < QD1_SAMPLES; i++) {
		uint64_t block = random_block();
		uint32_t t0 = bench_counter();
		int r = m6_block_read(&blk, block, count, 0);
		uint32_t t1 = bench_counter();
		if (r != 0)
			bench_fail("qd1 read");
		sample[i] = t1 - t0;
		total += sample[i];
	}
	bench_report(BENCH_PREFIX "_read_4k_qd1", sample, QD1_SAMPLES, total / QD1_SAMPLES);
}

/* Which 4 KiB of the data region a request in flight reads into, found by its id: ids are
 * consecutive, so id % 64 rarely collides among 32 in flight; a collision falls back to a
 * scan. */
static struct {
	uint64_t id;
	uint32_t region;
} inflight[2 * DEPTH];

static bool submit_read(uint32_t region)
{
	uint64_t id;
	if (m6_block_submit(&blk, BLOCK_OP_READ, random_block(),
	                    READ_BYTES / blk.geometry.block_size, (uint64_t)region * READ_BYTES,
	                    &id) != 0)
		return false;
	unsigned h = id % (2 * DEPTH);
	for (unsigned k = 0; inflight[h].id != 0 && k < 2 * DEPTH; k++)
		h = (h + 1) % (2 * DEPTH);
	inflight[h].id = id;
	inflight[h].region = region;
	return true;
}

static uint32_t finish(uint64_t id)
{
	unsigned h = id % (2 * DEPTH);
	for (unsigned k = 0; inflight[h].id != id && k < 2 * DEPTH; k++)
		h = (h + 1) % (2 * DEPTH);
	inflight[h].id = 0;
	return inflight[h].region;
}

static void qd32(void)
{
	struct block_completion c;
	unsigned sent = 0, done = 0, bad = 0;
	uint64_t signals = blk.signals, waits = blk.waits;
	uint32_t t0 = bench_counter();
	m6_block_plug(&blk);
	for (uint32_t region = 0; region < DEPTH; region++)
		if (submit_read(region))
			sent++;
	m6_block_unplug(&blk);
	while (done < sent) {
		/* Wait for one answer, then take every answer there is and replace each by a
		 * new read, signalling the driver once for them all (m6_block_plug). */
		if (m6_block_wait(&blk, &c) != 1)
			break;
		m6_block_plug(&blk);
		do {
			done++;
			if (c.status != BLOCK_STATUS_OK)
				bad++;
			uint32_t region = finish(c.id);
			if (sent < QD32_READS && submit_read(region))
				sent++;
		} while (m6_block_reap(&blk, &c) == 1);
		m6_block_unplug(&blk);
	}
	uint32_t t1 = bench_counter();
	if (done != QD32_READS)
		bench_fail("qd32: not every read was answered");
	if (bad)
		bench_fail("qd32: a read failed");
	bench_value(BENCH_PREFIX "_read_4k_qd32", (t1 - t0) / QD32_READS);
	/* The client's notification system calls (signals to the driver, waits for answers)
	 * per 1000 reads: how well the queues' signal-only-when-asleep protocol and the
	 * client's plugging batch. */
	bench_value(BENCH_PREFIX "_qd32_client_syscalls_per_1000",
	            (blk.signals - signals + blk.waits - waits) * 1000 / QD32_READS);
}

int main(void)
{
	if (m6_block_client_init(&blk, (void *)M6_MEM_RING_VADDR, (void *)M6_MEM_DATA_VADDR,
	                         M6_MEM_DATA_SIZE, CAP_DONE, CAP_DRIVER) != 0) {
		bench_fail("the driver's geometry");
	} else if (blk.geometry.block_count * blk.geometry.block_size < DISK_MIN ||
	           blk.depth < DEPTH || blk.geometry.block_size > READ_BYTES) {
		bench_fail("the disk: 64 MiB, 512-byte blocks, queue depth 32 expected");
	} else {
		slots = blk.geometry.block_count * blk.geometry.block_size / READ_BYTES;
		qd1();
		qd32();
	}
	bench_say("bench: done, ");
	bench_say_u64(bench_failures);
	bench_say(" failures\n");
	m6_power_off(CAP_POWER);
	return 0;
}
