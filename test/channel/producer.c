/* test/channel: the producer enqueues ITEM_COUNT items, each with a payload in the data
 * area, and signals the consumer only when the queue protocol says it sleeps. */
#include <m6/debug.h>
#include <m6/runtime.h>
#include <m6/invocations.h>

#include "common.h"

/* Enqueue `e`, sleeping on a full queue; signal the consumer when it sleeps. */
static void send(struct items *q, const struct item *e, uint64_t *signals, uint64_t *sleeps)
{
	while (!items_enqueue(q, e)) {
		if (items_producer_prepare_sleep(q)) {
			m6_wait(CAP_ITEMS);
			(*sleeps)++;
		}
	}
	if (items_producer_should_signal(q)) {
		m6_signal(CAP_ITEMS_PEER);
		(*signals)++;
	}
}

int main(void)
{
	struct items *q = (struct items *)M6_CHANNEL_ITEMS_VADDR;
	uint8_t *data = (uint8_t *)M6_CHANNEL_ITEMS_DATA_VADDR;
	uint64_t signals = 0, sleeps = 0;
	char num[24];

	for (uint64_t seq = 0; seq < ITEM_COUNT; seq++) {
		uint32_t offset = (uint32_t)(seq % SLOTS) * PAYLOAD;
		struct item e = {
		    .seq = seq, .check = item_check(seq), .offset = offset, .length = PAYLOAD};
		/* The slot is free: the item that used it last is DEPTH or more items back
		 * (common.h). The enqueue's release store publishes the payload with the entry. */
		for (unsigned i = 0; i < PAYLOAD; i++)
			data[offset + i] = payload_byte(seq, i);
		send(q, &e, &signals, &sleeps);
	}
	m6_debug_puts(CAP_DEBUG_CONSOLE, "producer: sent all items, ");
	m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, signals, 0));
	m6_debug_puts(CAP_DEBUG_CONSOLE, " signals, ");
	m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, sleeps, 0));
	m6_debug_puts(CAP_DEBUG_CONSOLE, " sleeps on a full queue\n");
	struct item end = {.seq = END_SEQ, .check = item_check(END_SEQ)};
	send(q, &end, &signals, &sleeps);
	return 0;
}
