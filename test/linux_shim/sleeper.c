/* sleeper MS NAME: sleeps MS milliseconds (nanosleep), checks that at least that much
 * time passed, prints "NAME woke", and exits 0. Several run at once in qemu.linux.proc:
 * the shim parks each sleep and serves the others meanwhile. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	long ms = atol(argv[1]);
	long long start = now_ms();
	struct timespec req = {ms / 1000, (ms % 1000) * 1000000L};
	if (nanosleep(&req, NULL) != 0) {
		printf("%s: nanosleep FAILED\n", argv[2]);
		return 1;
	}
	long long slept = now_ms() - start;
	if (slept < ms) {
		printf("%s: woke too early (%lld ms of %ld) BAD\n", argv[2], slept, ms);
		return 1;
	}
	/* an absolute clock_nanosleep in the past returns at once */
	struct timespec past = {0, 1};
	if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL) != 0) {
		printf("%s: clock_nanosleep FAILED\n", argv[2]);
		return 1;
	}
	struct timespec bad = {0, 1000000000L};
	if (nanosleep(&bad, NULL) == 0) {
		printf("%s: nanosleep of an invalid time succeeded BAD\n", argv[2]);
		return 1;
	}
	printf("%s woke\n", argv[2]);
	return 0;
}
