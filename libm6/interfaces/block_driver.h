/* What every block driver does the same way about restarts (block.idl "Restarts",
 * docs/supervision.md, docs/devices.md "Drivers that restart"): publishing the geometry
 * and the epoch, telling the client the disk is gone, and the debug crash hook behind the
 * shell's `crash disk`. The virtio-blk and NVMe drivers both use it, so the rules (and
 * the log lines the tests look for) cannot drift apart.
 *
 * The order a restartable driver keeps: stop its device first (nothing the last run gave
 * it may still be going on), set it up afresh, fill in the geometry, then
 * block_driver_publish(), which bumps the epoch only now that older requests can no
 * longer reach the device; check every request's epoch against what it returned. */
#ifndef M6_BLOCK_DRIVER_H
#define M6_BLOCK_DRIVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <m6/caps.h>
#include <m6/debug.h>

#include "block.h"

/* The geometry's other fields are filled in: mark it valid and return the epoch requests
 * must carry from now on. The first start makes it ready at epoch 0; a start that finds
 * it ready already is a restart and bumps the epoch, so that requests sent to the last
 * run are refused (`estale`) without touching the disk. The caller signals the client. */
static inline uint32_t block_driver_publish(struct block_geometry *g)
{
	g->magic = BLOCK_MAGIC;
	uint32_t seen = atomic_load_explicit((_Atomic uint32_t *)&g->epoch, memory_order_relaxed);
	if (atomic_load_explicit((_Atomic uint32_t *)&g->ready, memory_order_relaxed)) {
		atomic_store_explicit((_Atomic uint32_t *)&g->epoch, seen + 1,
		                      memory_order_release);
		return seen + 1;
	}
	atomic_store_explicit((_Atomic uint32_t *)&g->ready, 1, memory_order_release);
	return seen;
}

/* The disk is gone for good (the device failed, or the supervisor gave up): a client
 * still in its start-up wait learns it from a ready geometry without the magic; one that
 * had the disk, from the magic's loss with a new epoch. Either way it gets I/O errors,
 * not a hang. The caller signals the client. */
static inline void block_driver_publish_gone(struct block_geometry *g)
{
	g->magic = 0;
	if (atomic_load_explicit((_Atomic uint32_t *)&g->ready, memory_order_relaxed))
		atomic_fetch_add_explicit((_Atomic uint32_t *)&g->epoch, 1, memory_order_release);
	else
		atomic_store_explicit((_Atomic uint32_t *)&g->ready, 1, memory_order_release);
}

/* The debug crash hook (block.h): BLOCK_DEBUG_CRASH_BADGE makes the driver fault at the
 * BLOCK_DEBUG_CRASH_AFTER-th request it hands its device from then on,
 * BLOCK_DEBUG_CRASH_NOW_BADGE at the next one. Counted in requests, not time, so a test
 * knows the fault comes with requests at the device. */
struct block_driver_crash {
	m6_cptr_t console; /* the driver's debug console, for its log lines */
	const char *name;  /* "virtio-blk", "nvme": the log lines' prefix */
	unsigned countdown;
};

static inline void block_driver_say(const struct block_driver_crash *c, const char *what)
{
	m6_debug_puts(c->console, c->name);
	m6_debug_puts(c->console, what);
}

/* Bits the driver's notification returned: arm the hook if they ask for it (once: a
 * second signal while armed changes nothing). */
static inline void block_driver_crash_arm(struct block_driver_crash *c, uint64_t bits)
{
	if (!(bits & (BLOCK_DEBUG_CRASH_BADGE | BLOCK_DEBUG_CRASH_NOW_BADGE)) || c->countdown)
		return;
	c->countdown = bits & BLOCK_DEBUG_CRASH_NOW_BADGE ? 1 : BLOCK_DEBUG_CRASH_AFTER;
	char num[24];
	block_driver_say(c, ": will fault at request ");
	m6_debug_puts(c->console, m6_format_u64(num, c->countdown, 0));
	m6_debug_puts(c->console, " from now\n");
}

/* One request was handed to the device: true if the driver must fault once it has told
 * the device (block_driver_crash_now, after the doorbell). */
static inline bool block_driver_crash_count(struct block_driver_crash *c)
{
	return c->countdown && --c->countdown == 0;
}

/* Faults on purpose: a data abort at address 8 (unmapped), which the supervisor logs. */
static inline void block_driver_crash_now(const struct block_driver_crash *c)
{
	block_driver_say(c, ": faulting on purpose (crash disk)\n");
	*(volatile uint32_t *)(uintptr_t)8 = 0;
}

#endif
