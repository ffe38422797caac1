/* test/channel: what the producer and the consumer agree on. */
#ifndef CHANNEL_COMMON_H
#define CHANNEL_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include <m6_caps.h>

#include "items_idl.h"

#define ITEM_COUNT 100000u
/* After its report the producer sends one more entry, seq ITEM_COUNT and no payload: the
 * consumer reports and powers off only once it has it, so the producer's line (on another
 * CPU) is always out before the power-off. */
#define END_SEQ ITEM_COUNT
/* Each item's payload: PAYLOAD bytes in slot seq % SLOTS of the data area. At most DEPTH
 * items are in flight and SLOTS > DEPTH, so a payload is never overwritten before the
 * consumer has read it (it reads it right after dequeueing, before DEPTH more come). */
#define PAYLOAD 64u
#define SLOTS   (M6_CHANNEL_ITEMS_DATA_SIZE / PAYLOAD)

_Static_assert(sizeof(struct items) <= M6_CHANNEL_ITEMS_QUEUE_SIZE,
               "the queue fits the channel's queue area");
_Static_assert(ITEMS_DEPTH == M6_CHANNEL_ITEMS_DEPTH, "the IDL queue has the channel's depth");
_Static_assert(SLOTS > ITEMS_DEPTH, "payload slots outnumber the entries in flight");

static inline uint64_t item_check(uint64_t seq)
{
	return (seq * 0x9e3779b97f4a7c15ull) ^ 0x5a5a5a5a5a5a5a5aull;
}

static inline uint8_t payload_byte(uint64_t seq, unsigned i)
{
	return (uint8_t)(seq * 31u + i * 7u);
}

#endif
