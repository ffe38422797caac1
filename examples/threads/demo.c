/* Two threads append to one malloc'd list under a mutex; main waits for the worker,
 * checks the list, and prints the result with printf. Then the worker produces numbered
 * items into a small bounded queue and main consumes them, each waiting on a condition
 * variable when the queue is full or empty: every item must arrive once and in order.
 * A lost wake-up would leave both threads waiting; the watchdog thread then reports it
 * and powers off, so the test fails at once rather than at QEMU's timeout. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6/sync.h>
#include <m6/thread.h>
#include <m6/time.h>
#include <m6_caps.h>

#define ROUNDS      200

#define QUEUE_SLOTS 3 /* small: the producer often finds it full, the consumer empty */
#define ITEMS       20000
/* DEMO_SLICE_US > 0: both threads get timeslices that short (the kernel's minimum is
 * 100), which preempts them inside the queue's critical steps. 0: the kernel's default.
 * With 100 us the queue used to stall in about one run of 40: the mutex and condition
 * variable signalled through badge-0 caps, so a signal that came before the wait left
 * nothing behind. check_wakeups_kept() below tests that race head on. */
#ifndef DEMO_SLICE_US
#define DEMO_SLICE_US 0
#endif
#define WATCHDOG_MS 10000
#define PAUSE_EVERY 2000 /* items between the pauses that make each side wait (below) */

struct node {
	struct node *next;
	int value;
};

static struct m6_mutex mutex;
static struct node *list;
static int total;             /* changed only under the mutex */
static __thread int my_count; /* per thread: TLS works in every thread */

/* The bounded queue: a ring of QUEUE_SLOTS items under queue_lock. */
static struct m6_mutex queue_lock;
static struct m6_cond not_full, not_empty;
static unsigned queue[QUEUE_SLOTS];
static unsigned queue_head, queue_used;
static unsigned producer_waits, consumer_waits; /* times each side found it full/empty */
static atomic_uint consumed;                    /* items taken so far (the watchdog reads it) */

/* The lost wake-up races, made deterministic in one thread: the counters are set as a
 * thread preempted just before its wait would leave them, then the unlock or broadcast
 * comes, and the signal must still be in the notification word for that wait to take.
 * Also: a sleep must give back the signals for others it collected. */
static int check_wakeups_kept(struct m6_timer *timer)
{
	struct m6_mutex m;
	struct m6_cond c;
	m6_mutex_init(&m, CAP_PROBE);
	atomic_store(&m.count, 2); /* held; a locker has counted itself in, not yet waited */
	m6_mutex_unlock(&m);
	int mutex_kept = m6_poll(CAP_PROBE) != 0;
	m6_cond_init(&c, CAP_PROBE);
	atomic_store(&c.waiters, 1); /* a waiter past its generation check, not yet waiting */
	m6_cond_broadcast(&c);
	int cond_kept = m6_poll(CAP_PROBE) != 0;
	m6_cptr_t other = m6_cap_mint(CAP_TIMER_WAKE, M6_RIGHT_WRITE, 2); /* not the timer's bit */
	m6_signal(other);
	m6_sleep_ms(timer, 2);
	int sleep_kept = (m6_poll(CAP_TIMER_WAKE) & 2) != 0;
	printf(
	    "demo: wake-ups kept: mutex %s, condition variable %s, other signals over a sleep %s\n",
	    mutex_kept ? "yes" : "NO", cond_kept ? "yes" : "NO", sleep_kept ? "yes" : "NO");
	return mutex_kept && cond_kept && sleep_kept;
}

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

/* A little work outside the lock, of varying length, so that the two threads run at
 * different rates and the queue goes from full to empty and back. */
static void dawdle(unsigned i)
{
	for (volatile unsigned n = (i * 2654435761u) >> 22; n > 0; n--)
		;
}

/* Spin for `us` microseconds without giving up the CPU: the other thread only runs if the
 * kernel preempts this one, and then finds the queue full (or empty) and has to wait. */
static void pause_running(unsigned us)
{
	uint64_t end = m6_time_ns() + us * 1000ull;
	while (m6_time_ns() < end)
		;
}

static void produce(unsigned value)
{
	m6_mutex_lock(&queue_lock);
	while (queue_used == QUEUE_SLOTS) {
		producer_waits++;
		m6_cond_wait(&not_full, &queue_lock);
	}
	queue[(queue_head + queue_used++) % QUEUE_SLOTS] = value;
	m6_cond_signal(&not_empty);
	m6_mutex_unlock(&queue_lock);
}

static unsigned consume(void)
{
	m6_mutex_lock(&queue_lock);
	while (queue_used == 0) {
		consumer_waits++;
		m6_cond_wait(&not_empty, &queue_lock);
	}
	unsigned value = queue[queue_head];
	queue_head = (queue_head + 1) % QUEUE_SLOTS;
	queue_used--;
	m6_cond_signal(&not_full);
	m6_mutex_unlock(&queue_lock);
	return value;
}

static void worker(uint64_t arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++)
		add(2);
	printf("demo: worker added %d nodes\n", my_count);
	/* Through a badged copy: main may not be waiting yet, and a badge-0 signal would
	 * leave nothing for its wait. */
	m6_signal(m6_cap_mint(CAP_DONE, M6_RIGHT_WRITE, 1));
	for (unsigned i = 1; i <= ITEMS; i++) {
		produce(i);
		if (i % 8 == 0)
			dawdle(i);
		if (i % PAUSE_EVERY == PAUSE_EVERY / 2)
			pause_running(1000); /* the consumer empties the queue and waits */
	}
}
M6_THREAD_ENTRY(worker_entry, worker);

/* If the queue stops moving, a wake-up was lost (both threads wait): say so and stop. */
static void watchdog(uint64_t arg)
{
	(void)arg;
	struct m6_timer timer;
	m6_timer_init(&timer, CAP_WATCHDOG_TICK, CAP_WATCHDOG_WAKE, 1);
	unsigned last = ~0u;
	for (;;) {
		m6_sleep_ms(&timer, WATCHDOG_MS);
		unsigned now = atomic_load(&consumed);
		if (now == last && now < ITEMS) {
			/* Where each thread stands, to tell which wait never ended. */
			struct m6_tcb_registers main_regs = {0}, worker_regs = {0};
			m6_tcb_read_registers(M6_CAP_SELF_TCB, &main_regs);
			m6_tcb_read_registers(CAP_THREAD_WORKER, &worker_regs);
			printf(
			    "demo: FAIL: the queue stalled after %u of %u items (a lost wake-up)\n",
			    now, ITEMS);
			printf(
			    "demo: queue holds %u; waits: producer %u, consumer %u; lock count %u; "
			    "not_full gen %u waiters %u; not_empty gen %u waiters %u; "
			    "pc main 0x%llx worker 0x%llx\n",
			    queue_used, producer_waits, consumer_waits,
			    atomic_load(&queue_lock.count), atomic_load(&not_full.generation),
			    atomic_load(&not_full.waiters), atomic_load(&not_empty.generation),
			    atomic_load(&not_empty.waiters), (unsigned long long)main_regs.pc,
			    (unsigned long long)worker_regs.pc);
			m6_power_off(CAP_POWER);
		}
		last = now;
	}
}
M6_THREAD_ENTRY(watchdog_entry, watchdog);

int main(void)
{
	struct m6_timer timer;
	m6_mutex_init(&mutex, CAP_LOCK);
	m6_mutex_init(&queue_lock, CAP_QUEUE_LOCK);
	m6_cond_init(&not_full, CAP_NOT_FULL);
	m6_cond_init(&not_empty, CAP_NOT_EMPTY);
	if (DEMO_SLICE_US > 0) {
		m6_tcb_set_timeslice(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, DEMO_SLICE_US);
		m6_tcb_set_timeslice(CAP_THREAD_WORKER, M6_CAP_SELF_TCB, DEMO_SLICE_US);
	}
	m6_timer_init(&timer, CAP_TICK, CAP_TIMER_WAKE, 1);
	int wakeups_ok = check_wakeups_kept(&timer);
	errno = 0;
	printf("demo: main and worker share a list (%d rounds each)\n", ROUNDS);
	for (int i = 0; i < ROUNDS; i++)
		add(1);
	printf("demo: main added %d nodes\n", my_count);
	m6_wait(CAP_DONE);

	/* The queue: main consumes what the worker produces. */
	unsigned expected = 1, out_of_order = 0;
	unsigned long long items_sum = 0;
	for (unsigned i = 0; i < ITEMS; i++) {
		unsigned value = consume();
		out_of_order += value != expected;
		expected = value + 1;
		items_sum += value;
		atomic_store(&consumed, i + 1);
		if (i % 5 == 0)
			dawdle(i);
		if (i % PAUSE_EVERY == 0)
			pause_running(1000); /* the producer fills the queue and waits */
	}
	unsigned long long want_sum = (unsigned long long)ITEMS * (ITEMS + 1) / 2;
	int queue_ok =
	    out_of_order == 0 && items_sum == want_sum && producer_waits > 0 && consumer_waits > 0;
	printf("demo: queue: %u items, %u out of order, sum %s, producer waited %u times, "
	       "consumer %u times\n",
	       ITEMS, out_of_order, items_sum == want_sum ? "right" : "WRONG", producer_waits,
	       consumer_waits);

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
	int ok = nodes == 2 * ROUNDS && sum == 3 * ROUNDS && total == sum && slept_ms >= 20 &&
	         queue_ok && wakeups_ok;
	printf("demo: %s\n", ok ? "PASS" : "FAIL");
	m6_power_off(CAP_POWER);
	return ok ? 0 : 1;
}
