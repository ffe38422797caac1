/* test/blk: a client of the block protocol. It checks the geometry, reads blocks and
 * compares them with the host's pattern, writes (one request, 32 in flight, one 1 MiB
 * request), flushes, reads back, sends bad requests (each must get its error and change
 * nothing), prints PASS and powers off. blk_image.py then checks the disk on the host. */
#include <stdbool.h>
#include <stdint.h>

#include <m6/block_client.h>
#include <m6/debug.h>
#include <m6/format.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6_caps.h>

#include "block.h"
#include "common.h"
#define REPORT_PREFIX "blk"
#include "report.h"

#define MIB (1024u * 1024u)

static struct m6_block_client blk;
static uint8_t *const data = (uint8_t *)M6_MEM_DATA_VADDR;

/* Queue one request (never more than the depth outstanding: the tests stay below). */
static uint64_t submit(uint32_t op, uint64_t block, uint32_t count, uint64_t offset)
{
	uint64_t id = 0;
	expect(m6_block_submit(&blk, op, block, count, offset, &id) == 0, "submit");
	return id;
}

static struct block_completion wait_one(void)
{
	struct block_completion c = {0};
	expect(m6_block_wait(&blk, &c) == 1, "an answer to wait for");
	return c;
}

/* One request, its answer. */
static uint32_t run(uint32_t op, uint64_t block, uint32_t count, uint64_t offset)
{
	uint64_t id = submit(op, block, count, offset);
	struct block_completion c = wait_one();
	expect(c.id == id, "the answer names the request");
	return c.status;
}

static void fill(uint64_t offset, uint64_t block, uint32_t count, bool write_pattern)
{
	uint32_t *w = (uint32_t *)(data + offset);
	for (uint32_t b = 0; b < count; b++)
		for (unsigned i = 0; i < 128; i++)
			w[b * 128 + i] = write_pattern ? written_word(block + b, i) : 0xdeadbeefu;
}

static bool same(uint64_t offset, uint64_t block, uint32_t count, bool written)
{
	const uint32_t *w = (const uint32_t *)(data + offset);
	for (uint32_t b = 0; b < count; b++)
		for (unsigned i = 0; i < 128; i++)
			if (w[b * 128 + i] !=
			    (written ? written_word(block + b, i) : original_word(block + b, i)))
				return false;
	return true;
}

int main(void)
{
	expect(m6_block_client_init(&blk, (void *)M6_MEM_RING_VADDR, data, M6_MEM_DATA_SIZE,
	                            CAP_DONE, CAP_DRIVER) == 0,
	       "the geometry is sane");
	const struct block_geometry *geo = &blk.geometry;

	say("blk: geometry: ");
	say_u64(geo->block_count);
	say(" blocks of ");
	say_u64(geo->block_size);
	say(" bytes, ");
	say(geo->read_only ? "read-only" : "read-write");
	say(geo->flush ? ", flush\n" : ", no flush\n");
	expect(geo->magic == BLOCK_MAGIC && geo->block_size == 512 &&
	           geo->block_count == DISK_BLOCKS && !geo->read_only && geo->flush &&
	           geo->queue_depth == BLOCK_REQUESTS_DEPTH && geo->max_bytes >= MIB,
	       "geometry");

	/* Reads: 8 blocks, then 1 MiB in one request. */
	fill(0, 0, 8, false);
	expect(run(BLOCK_OP_READ, 0, 8, 0) == BLOCK_STATUS_OK && same(0, 0, 8, false),
	       "read 8 blocks");
	fill(MIB, 0, 2048, false);
	expect(run(BLOCK_OP_READ, 4096, 2048, MIB) == BLOCK_STATUS_OK &&
	           same(MIB, 4096, 2048, false),
	       "read 1 MiB in one request");

	/* One write, flush, read back. */
	fill(0, 100, 1, true);
	expect(run(BLOCK_OP_WRITE, 100, 1, 0) == BLOCK_STATUS_OK, "write one block");
	expect(run(BLOCK_OP_FLUSH, 0, 0, 0) == BLOCK_STATUS_OK, "flush");
	fill(4096, 0, 1, false);
	expect(run(BLOCK_OP_READ, 100, 1, 4096) == BLOCK_STATUS_OK && same(4096, 100, 1, true),
	       "read back one block");

	/* 32 writes of 4 KiB in flight at once, then 32 reads in flight. */
	for (unsigned k = 0; k < 32; k++)
		fill(k * 4096u, 1000 + k * 8u, 8, true);
	for (unsigned k = 0; k < 32; k++)
		submit(BLOCK_OP_WRITE, 1000 + k * 8u, 8, k * 4096u);
	unsigned ok = 0;
	for (unsigned k = 0; k < 32; k++)
		ok += wait_one().status == BLOCK_STATUS_OK;
	expect(ok == 32, "32 writes in flight");
	fill(MIB, 0, 256, false);
	for (unsigned k = 0; k < 32; k++)
		submit(BLOCK_OP_READ, 1000 + k * 8u, 8, MIB + k * 4096u);
	ok = 0;
	for (unsigned k = 0; k < 32; k++)
		ok += wait_one().status == BLOCK_STATUS_OK;
	expect(ok == 32 && same(MIB, 1000, 256, true), "32 reads in flight read back the writes");
	expect(m6_block_outstanding(&blk) == 0, "nothing outstanding");

	/* The client library's own rules: at the depth, a submit would block (-EAGAIN); a
	 * synchronous read then waits for one of them first and keeps the rest's answers. */
	unsigned depth = blk.depth, reaped = 0;
	fill(0, 0, depth, false);
	for (unsigned k = 0; k < depth; k++)
		submit(BLOCK_OP_READ, k, 1, k * 512u);
	expect(m6_block_submit(&blk, BLOCK_OP_READ, 0, 1, 0, NULL) == -M6_BLOCK_EAGAIN,
	       "a submit past the depth: -EAGAIN");
	fill(MIB, 0, 1, false);
	expect(m6_block_read(&blk, 100, 1, MIB) == 0 && same(MIB, 100, 1, true),
	       "a synchronous read with the queue full");
	struct block_completion c;
	while (m6_block_wait(&blk, &c) == 1)
		reaped += c.status == BLOCK_STATUS_OK && c.id != 0;
	expect(reaped == depth && same(0, 0, depth, false), "every queued answer kept");
	expect(m6_block_read(&blk, DISK_BLOCKS, 1, 0) == -BLOCK_STATUS_ENXIO,
	       "a synchronous read past the end: -ENXIO");

	/* 1 MiB written in one request, flushed, read back. */
	fill(0, 8192, 2048, true);
	expect(run(BLOCK_OP_WRITE, 8192, 2048, 0) == BLOCK_STATUS_OK, "write 1 MiB in one request");
	expect(run(BLOCK_OP_FLUSH, 0, 0, 0) == BLOCK_STATUS_OK, "flush after 1 MiB");
	fill(MIB, 0, 2048, false);
	expect(run(BLOCK_OP_READ, 8192, 2048, MIB) == BLOCK_STATUS_OK &&
	           same(MIB, 8192, 2048, true),
	       "read back 1 MiB");

	/* Bad requests: each its error, and nothing written (the host checks block 200 and the
	 * last block are untouched; we read them back too). */
	fill(0, 200, 2, true);
	expect(run(BLOCK_OP_WRITE, DISK_BLOCKS - 1, 2, 0) == BLOCK_STATUS_ENXIO,
	       "past the end: enxio");
	expect(run(BLOCK_OP_WRITE, DISK_BLOCKS, 1, 0) == BLOCK_STATUS_ENXIO, "at the end: enxio");
	expect(run(BLOCK_OP_WRITE, UINT64_MAX, 1, 0) == BLOCK_STATUS_ENXIO, "huge block: enxio");
	expect(run(BLOCK_OP_WRITE, 200, 1, M6_MEM_DATA_SIZE - 256) == BLOCK_STATUS_EINVAL,
	       "data past the region: einval");
	expect(run(BLOCK_OP_WRITE, 200, 1, UINT64_MAX - 100) == BLOCK_STATUS_EINVAL,
	       "data offset wraps: einval");
	expect(run(BLOCK_OP_WRITE, 200, 0, 0) == BLOCK_STATUS_EINVAL, "count 0: einval");
	expect(run(BLOCK_OP_WRITE, 200, 0xffffffffu, 0) == BLOCK_STATUS_EINVAL,
	       "huge count: einval");
	expect(run(7, 200, 1, 0) == BLOCK_STATUS_EOPNOTSUPP, "unknown op: eopnotsupp");
	expect(run(0, 200, 1, 0) == BLOCK_STATUS_EOPNOTSUPP, "op 0: eopnotsupp");
	/* The geometry sits on the ring page, which this client maps writable: a client that
	 * makes the disk look bigger and its transfers longer must still get the driver's
	 * errors, so the driver checks against its own copies. */
	struct block_geometry *shared = block_ring_geometry(M6_MEM_RING_VADDR);
	uint64_t real_max = shared->max_bytes;
	shared->block_count = UINT64_MAX / 2;
	shared->max_bytes = UINT64_MAX / 2;
	expect(run(BLOCK_OP_WRITE, DISK_BLOCKS, 1, 0) == BLOCK_STATUS_ENXIO,
	       "past the end after the client rewrote block_count: enxio");
	if (real_max + 512 <= M6_MEM_DATA_SIZE)
		expect(run(BLOCK_OP_WRITE, 200, (uint32_t)(real_max / 512 + 1), 0) ==
		           BLOCK_STATUS_EINVAL,
		       "beyond max_bytes after the client rewrote it: einval");
	shared->block_count = geo->block_count;
	shared->max_bytes = real_max;
	fill(4096, 0, 1, false);
	fill(8192, 0, 1, false);
	expect(run(BLOCK_OP_READ, 200, 1, 4096) == BLOCK_STATUS_OK && same(4096, 200, 1, false) &&
	           run(BLOCK_OP_READ, DISK_BLOCKS - 1, 1, 8192) == BLOCK_STATUS_OK &&
	           same(8192, DISK_BLOCKS - 1, 1, false),
	       "bad requests changed nothing");

	say(failures ? "blk: FAIL\n" : "blk: PASS\n");
	m6_power_off(CAP_POWER);
	return 0;
}
