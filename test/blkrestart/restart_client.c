/* test/blkrestart: a block-protocol client across driver restarts (docs/supervision.md,
 * block.idl "Restarts").
 *
 * 1. 32 writes in flight, then the driver faults with all of them at the device (the
 *    debug signal BLOCK_DEBUG_CRASH_NOW_BADGE): every request gets exactly one answer,
 *    OK or -EIO, none waits for ever; the client sees the epoch change once.
 * 2. After the restart the same writes succeed and read back right.
 * 3. The driver is made to fault at its first request again and again: the supervisor
 *    gives up, the driver's last run says the disk is gone, and from then on every
 *    request fails with -EIO at once.
 * blk_image.py then checks the disk: blocks 1000..1255 hold the written pattern (the
 * writes cut short were all written again), every other block is untouched. */
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
#define REPORT_PREFIX "blkrestart"
#include "report.h"

#define WRITES       32u
#define WRITE_BLOCKS 8u
#define FIRST_BLOCK  1000u
#define MAX_CRASHES  10u

static struct m6_block_client blk;
static uint8_t *const data = (uint8_t *)M6_MEM_DATA_VADDR;

static void fill_written(void)
{
	for (unsigned k = 0; k < WRITES; k++) {
		uint32_t *w = (uint32_t *)(data + k * WRITE_BLOCKS * 512u);
		uint64_t block = FIRST_BLOCK + k * WRITE_BLOCKS;
		for (uint32_t b = 0; b < WRITE_BLOCKS; b++)
			for (unsigned i = 0; i < 128; i++)
				w[b * 128 + i] = written_word(block + b, i);
	}
}

/* The 32 writes at once; returns how many failed with -EIO (the others must be OK). */
static unsigned write_batch(void)
{
	uint64_t ids[WRITES];
	bool answered[WRITES] = {false};
	m6_block_plug(&blk);
	for (unsigned k = 0; k < WRITES; k++)
		expect(m6_block_submit(&blk, BLOCK_OP_WRITE, FIRST_BLOCK + k * WRITE_BLOCKS,
		                       WRITE_BLOCKS, k * WRITE_BLOCKS * 512u, &ids[k]) == 0,
		       "submit a write");
	m6_block_unplug(&blk);
	unsigned eio = 0;
	struct block_completion c;
	for (unsigned n = 0; n < WRITES; n++) {
		if (m6_block_wait(&blk, &c) != 1) {
			expect(false, "an answer for every write");
			break;
		}
		unsigned k = 0;
		while (k < WRITES && ids[k] != c.id)
			k++;
		expect(k < WRITES && !answered[k], "each answer names a write not yet answered");
		if (k < WRITES)
			answered[k] = true;
		expect(c.status == BLOCK_STATUS_OK || c.status == BLOCK_STATUS_EIO,
		       "a write answered OK or EIO");
		eio += c.status == BLOCK_STATUS_EIO;
	}
	expect(m6_block_outstanding(&blk) == 0, "nothing outstanding after the answers");
	expect(m6_block_wait(&blk, &c) == 0, "no answer left over");
	return eio;
}

static bool read_back(void)
{
	if (m6_block_read(&blk, FIRST_BLOCK, WRITES * WRITE_BLOCKS, 0) != 0)
		return false;
	for (unsigned k = 0; k < WRITES * WRITE_BLOCKS; k++) {
		const uint32_t *w = (const uint32_t *)(data + k * 512u);
		for (unsigned i = 0; i < 128; i++)
			if (w[i] != written_word(FIRST_BLOCK + k, i))
				return false;
	}
	return true;
}

int main(void)
{
	int err = m6_block_client_init(&blk, (void *)M6_MEM_RING_VADDR, data, M6_MEM_DATA_SIZE,
	                               CAP_DONE, CAP_DRIVER);
	expect(err == 0, "the driver's geometry");
	if (err) {
		m6_power_off(CAP_POWER);
		return 1;
	}

	/* 1. A fault with every write at the device. */
	fill_written();
	m6_signal(CAP_CRASH);
	unsigned eio = write_batch();
	say("blkrestart: the driver faulted with 32 writes in flight: ");
	say_u64(eio);
	say(" failed with EIO, ");
	say_u64(WRITES - eio);
	say(" completed\n");
	expect(eio > 0, "the writes at the device when it faulted fail");
	expect(blk.restarts == 1, "one restart seen");
	expect(!blk.gone, "the disk is still there");

	/* 2. After the restart: everything works. */
	fill_written();
	expect(write_batch() == 0, "the writes again, after the restart");
	expect(m6_block_flush(&blk) == 0, "flush after the restart");
	expect(read_back(), "read back after the restart");
	say("blkrestart: after the restart the writes succeed and read back\n");

	/* 3. Fault after fault, until the supervisor gives up. */
	unsigned crashes = 0;
	while (!blk.gone && crashes < MAX_CRASHES) {
		m6_signal(CAP_CRASH);
		int r = m6_block_read(&blk, FIRST_BLOCK, 1, 0);
		expect(r == -BLOCK_STATUS_EIO, "a read at a fault fails with EIO");
		crashes++;
	}
	expect(blk.gone, "the supervisor gave up: the disk is gone");
	say("blkrestart: the driver is gone after ");
	say_u64(crashes);
	say(" more faults\n");
	expect(m6_block_read(&blk, FIRST_BLOCK, 1, 0) == -BLOCK_STATUS_EIO, "EIO once gone");
	expect(m6_block_submit(&blk, BLOCK_OP_READ, 0, 1, 0, 0) == -BLOCK_STATUS_EIO,
	       "submit refused once gone");
	say(failures ? "blkrestart: FAIL\n" : "blkrestart: PASS\n");
	m6_power_off(CAP_POWER);
	return 0;
}
