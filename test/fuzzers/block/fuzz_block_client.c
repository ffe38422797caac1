/*
 * fuzz_block_client: libFuzzer harness for the client side of the block protocol
 * (libm6/src/block_client.c) against a hostile block driver, restarts included
 * (block.idl, docs/supervision.md): the driver is another component, so the client trusts
 * nothing it writes to the shared ring.
 *
 * The harness is the client's caller and the driver. The input (past its end bytes read
 * 0) starts with a byte whose low bit picks the geometry's queue depth (0: 8, which a
 * short input fills; 1: BLOCK_REQUESTS_DEPTH, the most a driver may publish, which is
 * what the client's own arrays are sized for), then is a sequence of client calls: a
 * byte (% 6: submit, reap, wait, read, write, flush) and, for submit/read/write, a byte
 * of block number. Whenever the client waits (m6_wait),
 * the driver acts on the shared ring, driven by input bytes, until it signals: each action
 * byte (% 8) is
 *   0-2  take the oldest request and answer it (status: a byte, 0 = ok; 0xff: a status
 *        above 4095), with its id, or with a byte's worth of made-up id (action 2);
 *   3    answer an id it never got (a byte);
 *   4    restart: reset the geometry's `ready` words and bump the epoch;
 *   5    restart with another disk size, or give up (magic 0) on an odd byte;
 *   6    stop acting (signal);
 *   7    answer every request it holds, ok.
 * When the input runs out at a wait, the driver gives up (magic 0, new epoch): the
 * protocol's promise is that a wait ends when the driver answers, restarts or gives up.
 *
 * Checks (abort() on failure):
 *  - every call returns what block_client.h allows: 0 or 1 where it says, else a negated
 *    errno in [-4095, -1];
 *  - a completion handed out names a request the caller submitted and has not been given
 *    an answer for, and each such request is answered once at most;
 *  - never more than the geometry's depth outstanding;
 *  - no call waits more than the driver's actions explain: after the driver gave up, a
 *    call waits at most once more (hang detection);
 *  - once the driver gave up, every request fails with -EIO;
 *  - in the end, every request the caller submitted was answered.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m6/block_client.h>
#include <m6/invocations.h>

#include "block.h"

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "fuzz_block_client: %s: ", #cond); \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			abort();                                           \
		}                                                          \
	} while (0)

#define DEPTH   8u
#define BLOCKS  256u
#define DATA    (64u * 512u)
#define MAX_IDS 4096u

static _Alignas(4096) uint8_t ring[BLOCK_RING_SIZE];
static uint8_t data[DATA];
static const uint8_t *in;
static size_t in_left;
static bool gave_up;
static unsigned waits_since_give_up;
/* Requests the driver took and has not answered: their ids. */
static uint64_t held[BLOCK_REQUESTS_DEPTH];
static unsigned held_count;
/* The caller's view: which ids it submitted and was not answered yet. */
static bool open_id[MAX_IDS];

static uint8_t byte(void)
{
	if (in_left == 0)
		return 0;
	in_left--;
	return *in++;
}

static struct block_geometry *geometry(void)
{
	return block_ring_geometry((uintptr_t)ring);
}

static void answer(uint64_t id, uint32_t status)
{
	struct block_completion c = {.id = id, .status = status};
	(void)block_completions_enqueue(block_ring_completions((uintptr_t)ring), &c);
}

static void take_requests(void)
{
	struct block_request r;
	while (held_count < BLOCK_REQUESTS_DEPTH &&
	       block_requests_dequeue(block_ring_requests((uintptr_t)ring), &r))
		held[held_count++] = r.id;
}

static void give_up(void)
{
	geometry()->magic = 0;
	geometry()->epoch++;
	gave_up = true;
}

uint64_t m6_signal(m6_cptr_t notification)
{
	(void)notification;
	return 0;
}

/* The driver acts until it signals. */
uint64_t m6_wait(m6_cptr_t notification)
{
	(void)notification;
	if (gave_up)
		CHECK(++waits_since_give_up <= 1, "the client waits on a driver that gave up");
	if (in_left == 0) {
		if (!gave_up)
			give_up();
		return 1;
	}
	for (unsigned steps = 0; steps < 64 && in_left; steps++) {
		take_requests();
		uint8_t a = byte() % 8;
		if (a <= 2) {
			if (held_count == 0)
				continue;
			uint8_t s = byte();
			uint32_t status = s == 0xff ? 70000u : s;
			uint64_t id = a == 2 ? byte() : held[0];
			held[0] = held[--held_count];
			answer(id, status);
		} else if (a == 3) {
			answer(byte(), BLOCK_STATUS_OK);
		} else if (a == 4 || a == 5) {
			held_count = 0; /* the device was reset: what it had is gone */
			if (a == 5) {
				if (byte() & 1) {
					give_up();
					return 1;
				}
				geometry()->block_count++;
			}
			geometry()->epoch++;
		} else if (a == 6) {
			break;
		} else {
			while (held_count)
				answer(held[--held_count], BLOCK_STATUS_OK);
		}
	}
	return 1;
}

static void answered(uint64_t id)
{
	CHECK(id > 0 && id < MAX_IDS && open_id[id], "answer to id %llu, not outstanding",
	      (unsigned long long)id);
	open_id[id] = false;
}

static void check_result(int r, bool may_be_one)
{
	CHECK((r == 0 || (may_be_one && r == 1) || (r < 0 && r >= -4095)), "result %d", r);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	memset(ring, 0, sizeof ring);
	memset(open_id, 0, sizeof open_id);
	in = d;
	in_left = n;
	gave_up = false;
	waits_since_give_up = 0;
	held_count = 0;
	uint32_t depth = byte() & 1 ? BLOCK_REQUESTS_DEPTH : DEPTH;
	struct block_geometry *g = geometry();
	*g = (struct block_geometry){.magic = BLOCK_MAGIC,
	                             .ready = 1,
	                             .block_size = 512,
	                             .block_count = BLOCKS,
	                             .max_bytes = DATA,
	                             .queue_depth = depth,
	                             .flush = 1};
	struct m6_block_client c;
	if (m6_block_client_init(&c, ring, data, sizeof data, 1, 2) != 0)
		abort();
	for (unsigned call = 0; call < 256 && in_left; call++) {
		uint8_t op = byte() % 6;
		uint64_t id = 0;
		struct block_completion done;
		int r;
		waits_since_give_up = 0;
		bool was_gone = c.gone;
		switch (op) {
		case 0:
			r = m6_block_submit(&c, BLOCK_OP_READ, byte(), 1, 0, &id);
			check_result(r, false);
			if (r == 0) {
				CHECK(id > 0 && id < MAX_IDS && !open_id[id], "a fresh id");
				open_id[id] = true;
			}
			if (was_gone)
				CHECK(r == -BLOCK_STATUS_EIO, "submit to a driver that gave up: %d",
				      r);
			break;
		case 1:
		case 2:
			r = op == 1 ? m6_block_reap(&c, &done) : m6_block_wait(&c, &done);
			check_result(r, true);
			if (r == 1)
				answered(done.id);
			break;
		default:
			/* A synchronous call answers its own request, and keeps any other. */
			r = op == 3   ? m6_block_read(&c, byte(), 1, 0)
			    : op == 4 ? m6_block_write(&c, byte(), 1, 0)
			              : m6_block_flush(&c);
			check_result(r, false);
			if (was_gone || c.gone)
				CHECK(r != 0 || !was_gone, "a request after the driver gave up: %d",
				      r);
			break;
		}
		CHECK(m6_block_outstanding(&c) <= depth, "outstanding %u",
		      m6_block_outstanding(&c));
	}
	/* Whatever is outstanding is answered in the end: the driver gives up at the latest. */
	struct block_completion done;
	waits_since_give_up = 0;
	in_left = 0;
	for (unsigned i = 0; i <= depth + 1 && m6_block_outstanding(&c); i++) {
		int r = m6_block_wait(&c, &done);
		CHECK(r == 1,
		      "an outstanding request gets an answer (%d; in flight %u, held %u, ids %u, "
		      "gone %d)",
		      r, c.in_flight, c.held, c.out_count, c.gone);
		answered(done.id);
	}
	CHECK(m6_block_outstanding(&c) == 0, "every request answered");
	/* ... by the caller's own count too: a request the client lost track of would leave
	 * its outstanding count at 0 and the caller waiting for it for ever. */
	for (unsigned id = 0; id < MAX_IDS; id++)
		CHECK(!open_id[id], "request %u was never answered", id);
	return 0;
}
