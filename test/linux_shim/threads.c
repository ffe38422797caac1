/* threads: 4 pthreads add to a counter under a mutex, joined (clone3/clone with
 * CLONE_SETTLS and CHILD_CLEARTID, futex wait/wake); thread-local storage is per thread;
 * gettid differs from getpid in a thread; a futex wait with a timeout times out. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS  20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread long mine; /* TLS: each thread its own */
static pid_t tids[THREADS];

static void *work(void *arg)
{
	long id = (long)arg;
	tids[id] = (pid_t)syscall(SYS_gettid);
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
		mine++;
		if (i % 1000 == 0)
			sched_yield(); /* let the others contend for the lock */
	}
	return (void *)(mine == ROUNDS ? id + 100 : -1);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	pthread_t t[THREADS];
	mine = 7;
	for (long i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, work, (void *)i) != 0) {
			printf("threads: pthread_create FAILED\n");
			return 1;
		}
	int bad = 0;
	for (long i = 0; i < THREADS; i++) {
		void *r = NULL;
		if (pthread_join(t[i], &r) != 0 || (long)r != i + 100)
			bad++;
		if (tids[i] == getpid() || tids[i] <= 0)
			bad++;
	}
	if (mine != 7)
		bad++;
	uint32_t word = 0;
	struct timespec to = {0, 20000000L};
	long rc = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &to, NULL, 0);
	if (rc != -1 || errno != ETIMEDOUT)
		bad++;
	rc = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0);
	if (rc != -1 || errno != EAGAIN)
		bad++;
	printf("threads: counter %ld of %d%s\n", counter, THREADS * ROUNDS,
	       bad || counter != THREADS * ROUNDS ? " FAIL" : "");
	return bad ? 1 : 0;
}
