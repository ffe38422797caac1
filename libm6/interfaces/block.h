/* The block protocol's shared layout (block.idl, docs/files.md): what a client and a
 * block driver agree on besides the generated queues. */
#ifndef M6_BLOCK_H
#define M6_BLOCK_H

#include <stdint.h>

#include "block_idl.h"

#define BLOCK_MAGIC 0x6d36626cu /* "m6bl" */
/* Offsets in the `ring` region: each part on a page of its own. */
#define BLOCK_RING_GEOMETRY    0x0000u
#define BLOCK_RING_REQUESTS    0x1000u
#define BLOCK_RING_COMPLETIONS 0x2000u
#define BLOCK_RING_SIZE        0x3000u
/* The badges each side signals the other with (the spec's `signal ... badge 1`); the
 * driver takes its device's interrupt on the same notification with another badge. */
#define BLOCK_SIGNAL_BADGE 1u
/* Debug aids (docs/supervision.md): a block driver that finds BLOCK_DEBUG_CRASH_BADGE in
 * its notification's word faults on purpose while the BLOCK_DEBUG_CRASH_AFTER-th request
 * it takes from then on is at its device, so that its restart can be tested in the middle
 * of a workload (the shell's `crash disk`); BLOCK_DEBUG_CRASH_NOW_BADGE makes that the
 * next request (test/blkrestart). Only a component the spec gives `signal
 * DRIVER.NOTIFICATION ... badge 4` (or 8) can set them; the client's signals carry
 * BLOCK_SIGNAL_BADGE and interrupts their own. */
#define BLOCK_DEBUG_CRASH_BADGE     4u
#define BLOCK_DEBUG_CRASH_NOW_BADGE 8u
#define BLOCK_DEBUG_CRASH_AFTER     1024u

_Static_assert(sizeof(struct block_requests) <= BLOCK_RING_COMPLETIONS - BLOCK_RING_REQUESTS,
               "the request queue fits its page");
_Static_assert(sizeof(struct block_completions) <= BLOCK_RING_SIZE - BLOCK_RING_COMPLETIONS,
               "the completion queue fits its page");
_Static_assert(BLOCK_REQUESTS_DEPTH == BLOCK_COMPLETIONS_DEPTH, "one depth for both queues");

static inline struct block_geometry *block_ring_geometry(uintptr_t ring)
{
	return (struct block_geometry *)(ring + BLOCK_RING_GEOMETRY);
}
static inline struct block_requests *block_ring_requests(uintptr_t ring)
{
	return (struct block_requests *)(ring + BLOCK_RING_REQUESTS);
}
static inline struct block_completions *block_ring_completions(uintptr_t ring)
{
	return (struct block_completions *)(ring + BLOCK_RING_COMPLETIONS);
}

#endif
