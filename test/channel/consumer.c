/* test/channel: the consumer takes ITEM_COUNT items, checks their order, each entry and
 * each payload, signals the producer only when it sleeps on a full queue, then waits for
 * the producer's end entry (common.h), reports and powers off. */
#include <m6/debug.h>
#include <m6/runtime.h>
#include <m6/invocations.h>

#include "common.h"

static void put_count(const char *what, uint64_t n)
{
	char num[24];
	m6_debug_puts(CAP_DEBUG_CONSOLE, what);
	m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, n, 0));
}

int main(void)
{
	struct items *q = (struct items *)M6_CHANNEL_ITEMS_VADDR;
	const uint8_t *data = (const uint8_t *)M6_CHANNEL_ITEMS_DATA_VADDR;
	uint64_t received = 0, wrong = 0, signals = 0, sleeps = 0;

	bool ended = false;
	while (!ended) {
		struct item e;
		if (!items_dequeue(q, &e)) {
			if (items_consumer_prepare_sleep(q)) {
				m6_wait(CAP_ITEMS);
				sleeps++;
			}
			continue;
		}
		if (received == ITEM_COUNT) {
			/* The producer's end entry: it has printed its report. */
			ended = true;
			if (e.seq != END_SEQ || e.check != item_check(END_SEQ) || e.length != 0) {
				wrong++;
				m6_debug_puts(CAP_DEBUG_CONSOLE,
				              "consumer: FAIL: a bad end entry\n");
			}
		} else {
			bool ok = e.seq == received && e.check == item_check(received) &&
			          e.length == PAYLOAD &&
			          e.offset == (uint32_t)(received % SLOTS) * PAYLOAD;
			for (unsigned i = 0; ok && i < PAYLOAD; i++)
				ok = data[e.offset + i] == payload_byte(received, i);
			if (!ok && wrong++ == 0)
				put_count("consumer: FAIL: item ", received),
				    m6_debug_puts(CAP_DEBUG_CONSOLE, " wrong\n");
			received++;
		}
		if (items_consumer_should_signal(q)) {
			m6_signal(CAP_ITEMS_PEER);
			signals++;
		}
	}
	put_count("consumer: ", received);
	put_count(" items, ", wrong);
	put_count(" wrong, ", sleeps);
	put_count(" sleeps on an empty queue, ", signals);
	m6_debug_puts(CAP_DEBUG_CONSOLE, " signals\n");
	m6_debug_puts(CAP_DEBUG_CONSOLE, wrong == 0 ? "consumer: PASS\n" : "consumer: FAIL\n");
	m6_power_off(CAP_POWER);
	return 0;
}
