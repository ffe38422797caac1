/* Two threads append to one malloc'd list under a mutex; main waits for the worker,
 * checks the list, and prints the result with printf. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <m6/runtime.h>
#include <m6/sync.h>
#include <m6/thread.h>
#include <m6/time.h>
#include <m6_caps.h>

#define ROUNDS 200

struct node {
	struct node *next;
	int value;
};

static struct m6_mutex mutex;
static struct node *list;
static int total;             /* changed only under the mutex */
static __thread int my_count; /* per thread: TLS works in every thread */

static void add(int value)
{
	struct node *n = malloc(sizeof(*n));
	if (!n)
		return;
	n->value = value;
	m6_mutex_lock(&mutex);
	n->next = list;
	list = n;
	int seen = total;
	m6_yield(); /* invite the other thread in: the mutex must keep it out */
	total = seen + value;
	m6_mutex_unlock(&mutex);
	my_count++;
}

static void worker(uint64_t arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++)
		add(2);
	printf("demo: worker added %d nodes\n", my_count);
	m6_notification_signal(CAP_DONE);
}
M6_THREAD_ENTRY(worker_entry, worker);

int main(void)
{
	struct m6_timer timer;
	m6_mutex_init(&mutex, CAP_LOCK);
	m6_timer_init(&timer, CAP_TICK, CAP_TIMER_WAKE, 1);
	errno = 0;
	printf("demo: main and worker share a list (%d rounds each)\n", ROUNDS);
	for (int i = 0; i < ROUNDS; i++)
		add(1);
	printf("demo: main added %d nodes\n", my_count);
	m6_notification_wait(CAP_DONE);
	uint64_t before = m6_time_ns();
	m6_sleep_ms(&timer, 20);
	uint64_t slept_ms = (m6_time_ns() - before) / 1000000u;
	int nodes = 0, sum = 0;
	for (struct node *n = list; n; n = n->next) {
		nodes++;
		sum += n->value;
	}
	printf("demo: %d nodes, sum %d, total %d, slept %llu ms\n", nodes, sum, total,
	       (unsigned long long)slept_ms);
	int ok = nodes == 2 * ROUNDS && sum == 3 * ROUNDS && total == sum && slept_ms >= 20;
	printf("demo: %s\n", ok ? "PASS" : "FAIL");
	m6_power_off(CAP_POWER);
	return ok ? 0 : 1;
}
