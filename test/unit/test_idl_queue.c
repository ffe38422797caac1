/* The queue m6idl generates (test/unit/queue_test.idl), on the host under ThreadSanitizer
 * (or ASan where TSan cannot run): a producer and a consumer thread move a million
 * entries through a 256-entry ring, each sleeping on a semaphore (standing in for an m6
 * notification) when the ring is full or empty and signalled only when the other side
 * said it was about to sleep. Every entry must arrive, whole and in order; a lost
 * wake-up shows as a side that waits 20 s for a signal that never comes (a hang, not a
 * timing window: a correct run never waits that long). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "queue_test_idl.h"

#define ITEMS 1000000u

static struct items ring; /* zeroed: an empty queue */
static sem_t data_ready, space_ready;
static unsigned long producer_sleeps, consumer_sleeps, producer_signals, consumer_signals;

static uint32_t check_of(uint64_t seq)
{
	return (uint32_t)(seq * 2654435761u) ^ 0x5a5a5a5au;
}

static void fail(const char *what, uint64_t a, uint64_t b)
{
	fprintf(stderr, "test_idl_queue: FAIL: %s (%llu, %llu)\n", what, (unsigned long long)a,
	        (unsigned long long)b);
	exit(1);
}

/* Sleep until signalled; a signal that never comes is a lost wake-up. */
static void sleep_on(sem_t *sem, const char *who)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 20;
	while (sem_timedwait(sem, &deadline) != 0) {
		if (errno == ETIMEDOUT)
			fail(who, 0, 0);
	}
}

static void *producer(void *arg)
{
	(void)arg;
	for (uint64_t seq = 0; seq < ITEMS;) {
		struct item it = {
		    .seq = seq, .check = check_of(seq), .c = seq & 1 ? COLOUR_GREEN : COLOUR_RED};
		if (items_enqueue(&ring, &it)) {
			seq++;
			/* Signal per batch of one: the protocol must hold at the finest grain. */
			if (items_producer_should_signal(&ring)) {
				producer_signals++;
				sem_post(&data_ready);
			}
			continue;
		}
		if (items_producer_prepare_sleep(&ring)) {
			producer_sleeps++;
			sleep_on(&space_ready, "lost wake-up: the producer was never signalled");
		}
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (uint64_t want = 0; want < ITEMS;) {
		struct item it;
		if (items_dequeue(&ring, &it)) {
			if (it.seq != want)
				fail("entry lost or out of order (got, wanted)", it.seq, want);
			if (it.check != check_of(it.seq) ||
			    it.c != (it.seq & 1 ? COLOUR_GREEN : COLOUR_RED))
				fail("entry torn (seq, check)", it.seq, it.check);
			want++;
			if (items_consumer_should_signal(&ring)) {
				consumer_signals++;
				sem_post(&space_ready);
			}
			continue;
		}
		if (items_consumer_prepare_sleep(&ring)) {
			consumer_sleeps++;
			sleep_on(&data_ready, "lost wake-up: the consumer was never signalled");
		}
	}
	return NULL;
}

/* One thread: full and empty at the edges, and indices wrapping past 2^32. */
static void edges(void)
{
	static struct words w;
	uint64_t v = 0;
	words_init(&w);
	if (words_dequeue(&w, &v) || words_length(&w) != 0)
		fail("an empty queue gave an entry", v, 0);
	atomic_store(&w.tail, 0xfffffffeu);
	atomic_store(&w.head, 0xfffffffeu);
	for (uint64_t round = 0; round < 8; round++) {
		uint64_t a = round * 2, b = round * 2 + 1, c = 99;
		if (!words_enqueue(&w, &a) || !words_enqueue(&w, &b))
			fail("a queue with room refused an entry", round, words_length(&w));
		if (words_enqueue(&w, &c))
			fail("a full queue took an entry", round, words_length(&w));
		if (words_length(&w) != WORDS_DEPTH)
			fail("length of a full queue", words_length(&w), WORDS_DEPTH);
		if (!words_dequeue(&w, &v) || v != a || !words_dequeue(&w, &v) || v != b)
			fail("wrong entry after wrap (round, value)", round, v);
	}
	/* Nobody waits: nobody is signalled. A sleeper finding work does not sleep. */
	if (words_producer_should_signal(&w) || words_consumer_should_signal(&w))
		fail("signal with nobody waiting", 0, 0);
	if (!words_consumer_prepare_sleep(&w) || !words_producer_should_signal(&w) ||
	    words_producer_should_signal(&w))
		fail("a waiting consumer is signalled exactly once", 0, 0);
	v = 5;
	words_enqueue(&w, &v);
	if (words_consumer_prepare_sleep(&w))
		fail("the consumer slept with an entry waiting", 0, 0);
	if (words_producer_should_signal(&w))
		fail("a cancelled sleep still asked for a signal", 0, 0);
	if (!colour_valid(COLOUR_GREEN) || colour_valid(1) ||
	    ITEMS_BYTES < sizeof(struct item) * 256)
		fail("enum or size constants", 0, 0);
}

int main(void)
{
	edges();
	sem_init(&data_ready, 0, 0);
	sem_init(&space_ready, 0, 0);
	pthread_t p, c;
	pthread_create(&c, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	if (items_length(&ring) != 0)
		fail("entries left over", items_length(&ring), 0);
	printf("test_idl_queue: %u entries in order; producer slept %lu times, consumer %lu; "
	       "signals %lu and %lu\n",
	       ITEMS, producer_sleeps, consumer_sleeps, producer_signals, consumer_signals);
	return 0;
}
