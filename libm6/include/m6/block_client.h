/*
 * <m6/block_client.h>: the client side of the block protocol (libm6/interfaces/block.idl,
 * docs/files.md), target m6::block_client.
 *
 * Wraps the two shared regions (`ring`: geometry and queues, `data`: the bytes) and the
 * two notifications: waits for the driver's geometry, submits requests without blocking,
 * reaps completions, and offers synchronous read/write/flush that wait for their own
 * answer. It keeps the protocol's rule for the caller: never more than the geometry's
 * queue depth outstanding (m6_block_submit says -EAGAIN instead).
 *
 * The data region is the caller's: a request names an offset into it, and the client
 * never chooses or checks one (the driver refuses a range outside the region with
 * -EINVAL). Requests in flight at once must not share bytes of it.
 *
 * Return values are 0 (or a count) or a *negative* errno, the block_status numbers
 * negated (-EIO 5, -ENXIO 6, -EINVAL 22, -EROFS 30, -EOPNOTSUPP 95), plus -EAGAIN (11)
 * when a submit would exceed the queue depth and -EPROTO (71) for a driver that breaks
 * the protocol (a geometry that makes no sense). An answer to no outstanding request (a
 * driver's mistake, or a late answer to one a restart failed) is dropped.
 *
 * Driver restarts (block.idl, docs/files.md "Driver restarts"): while it waits, the client
 * watches the geometry's epoch. When the driver has restarted, every request outstanding
 * fails with -EIO (a write among them may or may not have reached the disk), their late
 * completions are dropped, and later requests work. A driver gone for good (magic 0 with a
 * new epoch) makes every request fail with -EIO from then on. So a wait for a completion
 * ends when the driver answers, restarts or gives up: never later.
 *
 * One thread uses a client at a time (it keeps no lock).
 */
#ifndef M6_BLOCK_CLIENT_H
#define M6_BLOCK_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <m6/syscall.h>

#include "block.h"

#define M6_BLOCK_EAGAIN 11
#define M6_BLOCK_EPROTO 71

struct m6_block_client {
	/* A copy of the driver's geometry, checked once at init: the driver could change the
	 * shared page later, and nothing here reads it again. */
	struct block_geometry geometry;
	struct block_requests *requests;
	struct block_completions *completions;
	uint8_t *data;
	size_t data_size;
	m6_cptr_t done;     /* the notification the driver signals */
	m6_cptr_t driver;   /* signal cap to the driver's notification */
	uint32_t depth;     /* requests the caller may have outstanding */
	uint32_t in_flight; /* sent and not yet dequeued from the completion queue */
	uint64_t next_id;
	/* Completions dequeued while a synchronous call waited for its own: handed out by
	 * the next reaps, oldest first. At most `depth` + 1: the caller's outstanding ones
	 * and a synchronous request sent beside them, all failed at once by a restart. */
	uint32_t held;
	struct block_completion held_c[BLOCK_COMPLETIONS_DEPTH + 1];
	/* Counters: signals sent to the driver and waits on `done` (the benchmarks show
	 * them). */
	uint64_t signals, waits;
	/* m6_block_plug: submits leave the signal to m6_block_unplug (or a wait). */
	bool plugged;
	/* Restarts: the driver epoch our requests are stamped with; completions with ids
	 * below `lost_below` answer requests already failed at a restart (dropped); `gone`:
	 * the driver gave up for good. The ids outstanding, to fail them at a restart. */
	uint32_t epoch;
	bool gone;
	uint64_t lost_below;
	uint64_t restarts; /* driver restarts seen */
	uint32_t out_count;
	uint64_t out_ids[BLOCK_REQUESTS_DEPTH];
};

/*
 * Sets the client up on the mapped regions and waits (on `done`) until the driver has
 * published the geometry. 0, or -EPROTO for a geometry that makes no sense (wrong
 * magic, a block size that is not a power of two from 512 to 64 KiB, a queue depth of 0
 * or above the queues', max_bytes below one block).
 */
int m6_block_client_init(struct m6_block_client *c, void *ring, void *data, size_t data_size,
                         m6_cptr_t done, m6_cptr_t driver);

/*
 * Queues one request (BLOCK_OP_*; `count` blocks at `block`, bytes at `offset` of the data
 * region) and signals the driver if it sleeps; never waits. 0 and *id (the id its
 * completion will carry; id may be NULL), or -EAGAIN when the caller already has `depth`
 * requests outstanding (reap one first), or -EIO when the driver is gone for good. Errors
 * of the request itself come back in its completion (-EIO for one the driver's restart
 * cut short).
 */
int m6_block_submit(struct m6_block_client *c, uint32_t op, uint64_t block, uint32_t count,
                    uint64_t offset, uint64_t *id);

/*
 * Batching: after m6_block_plug, m6_block_submit queues without signalling the driver;
 * m6_block_unplug then signals it once for the whole batch, if it sleeps. The driver runs
 * at a higher priority than its clients, so every signal is a switch there and back: a
 * client that submits several requests at once saves all but one. Waiting (m6_block_wait
 * or a synchronous call) while plugged signals first, since the driver must see what is
 * waited for.
 */
void m6_block_plug(struct m6_block_client *c);
void m6_block_unplug(struct m6_block_client *c);

/* One completion if there is one: 1 and *out, or 0 (nothing answered yet). Never waits. */
int m6_block_reap(struct m6_block_client *c, struct block_completion *out);

/* One completion, waiting for it: 1 and *out, or 0 if nothing is outstanding. */
int m6_block_wait(struct m6_block_client *c, struct block_completion *out);

/* Requests the caller has outstanding (submitted, completion not yet handed out). */
static inline uint32_t m6_block_outstanding(const struct m6_block_client *c)
{
	return c->in_flight + c->held;
}

/*
 * Synchronous requests: submit, then wait for this request's own completion (others that
 * arrive meanwhile are kept for m6_block_reap/m6_block_wait). If the caller has `depth`
 * requests outstanding, one of them is waited for first. 0 or -errno.
 */
int m6_block_read(struct m6_block_client *c, uint64_t block, uint32_t count, uint64_t offset);
int m6_block_write(struct m6_block_client *c, uint64_t block, uint32_t count, uint64_t offset);
int m6_block_flush(struct m6_block_client *c);

#endif /* M6_BLOCK_CLIENT_H */
