/* jobs_probe: a native client of the Linux shim's jobs (libm6/interfaces/linux.idl), every
 * answer checked (ctest qemu.linux.jobs, test/linux_shim/jobs.m6): run's refusals (empty
 * argv, a word without its NUL, a relative path, too many words, a missing program), wait
 * on job numbers that name no job, a job's exit status and a job killed by a signal
 * (signalled, then reported by wait once and only once), MAX_JOBS jobs at once and the
 * next one refused, and a caller whose badge is below the clients' (its call is taken for
 * fault that names no thread and never answered: sent, not called, so the probe goes on). Prints
 * "jobs_probe: PASS" or a FAIL line per wrong answer, then powers off. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <m6/idl.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6_caps.h>

#include "linux_idl.h"

static int failures;

static void fail(const char *what, long got, long want)
{
	printf("jobs_probe: FAIL: %s: got %ld, expected %ld\n", what, got, want);
	failures++;
}

/* run(argv[0..len)): the status, *job and *error. */
static uint64_t run(const char *argv, size_t len, uint32_t *job, int32_t *error)
{
	*job = 0;
	*error = 0;
	return linux_run(CAP_LINUX, argv, len, job, error);
}

static void expect_refused(const char *what, const char *argv, size_t len, int32_t want)
{
	uint32_t job;
	int32_t error;
	uint64_t st = run(argv, len, &job, &error);
	if (st != M6_OK)
		fail(what, (long)st, M6_OK);
	else if (error != want)
		fail(what, error, want);
	else if (job != 0)
		fail(what, (long)job, 0);
}

/* Wait for job's end through the shim's signal: its wait status. */
static int32_t wait_done(uint32_t job)
{
	for (;;) {
		uint32_t done = 0;
		int32_t ws = 0;
		uint64_t st = linux_wait(CAP_LINUX, job, &done, &ws);
		if (st != M6_OK) {
			fail("wait of a running job", (long)st, M6_OK);
			return -1;
		}
		if (done)
			return ws;
		m6_wait(CAP_LINUX_DONE);
	}
}

static uint32_t start(const char *argv, size_t len)
{
	uint32_t job;
	int32_t error;
	uint64_t st = run(argv, len, &job, &error);
	if (st != M6_OK || error != 0 || job == 0) {
		printf("jobs_probe: FAIL: run %s: status %llu error %d job %u\n", argv,
		       (unsigned long long)st, error, job);
		failures++;
		return 0;
	}
	return job;
}

int main(void)
{
	/* refusals: nothing starts */
	expect_refused("empty argv", "", 0, -22);
	expect_refused("a word without its NUL", "/bin/hello", 10, -22);
	expect_refused("a relative path", "bin/hello\0", 10, -22);
	expect_refused("an empty path", "\0", 1, -22);
	static char many[LINUX_RUN_ARGV_MAX];
	size_t n = 0;
	memcpy(many, "/bin/hello", 11);
	n = 11;
	while (n + 2 <= sizeof(many)) { /* "x\0" words: far more than the shim takes */
		many[n++] = 'x';
		many[n++] = '\0';
	}
	expect_refused("too many words", many, n, -22);
	expect_refused("a missing program", "/bin/nope\0", 10, -2);
	expect_refused("not an executable", "/etc/motd\0", 10, -8);

	/* wait on numbers that name no job */
	uint32_t done = 7;
	int32_t ws = 7;
	uint64_t st;
	if ((st = linux_wait(CAP_LINUX, 0, &done, &ws)) != M6_ERR_INVALID_ARGUMENT)
		fail("wait(0)", (long)st, M6_ERR_INVALID_ARGUMENT);
	if ((st = linux_wait(CAP_LINUX, 1, &done, &ws)) != M6_ERR_INVALID_ARGUMENT)
		fail("wait(1) with no job", (long)st, M6_ERR_INVALID_ARGUMENT);
	if ((st = linux_wait(CAP_LINUX, 0xffffffffu, &done, &ws)) != M6_ERR_INVALID_ARGUMENT)
		fail("wait(0xffffffff)", (long)st, M6_ERR_INVALID_ARGUMENT);

	/* a job's status: hello exits 0 (its output goes to the console) */
	static const char hello[] = "/bin/hello\0from-a-job\0";
	uint32_t job = start(hello, sizeof(hello) - 1);
	if (job) {
		if ((ws = wait_done(job)) != 0)
			fail("hello's wait status", ws, 0);
		/* reported once: the number is free again */
		if ((st = linux_wait(CAP_LINUX, job, &done, &ws)) != M6_ERR_INVALID_ARGUMENT)
			fail("a second wait of an ended job", (long)st, M6_ERR_INVALID_ARGUMENT);
	}
	/* a job ended by a signal: null dereferences NULL (SIGSEGV, 11) */
	static const char null[] = "/bin/null\0";
	if ((job = start(null, sizeof(null) - 1)) != 0 && (ws = wait_done(job)) != 11)
		fail("null's wait status (SIGSEGV)", ws, 11);

	/* four jobs at once (sleepers), the fifth refused with EAGAIN, then all four end */
	static const char sleeper[] = "/bin/sleeper\0"
	                              "200\0"
	                              "job\0";
	uint32_t jobs[4];
	for (int i = 0; i < 4; i++)
		jobs[i] = start(sleeper, sizeof(sleeper) - 1);
	expect_refused("a fifth job at once", sleeper, sizeof(sleeper) - 1, -11);
	for (int i = 0; i < 4; i++)
		if (jobs[i] && (ws = wait_done(jobs[i])) != 0)
			fail("a sleeper's wait status", ws, 0);
	/* and a job can start again */
	if ((job = start(hello, sizeof(hello) - 1)) != 0 && (ws = wait_done(job)) != 0)
		fail("hello after the full table", ws, 0);

	/* a caller below the clients' badges is taken for a fault, here of no thread of the
	 * shim's: ignored, no answer (sent, not called, so the probe does not wait for one);
	 * the shim goes on */
	uint64_t words[1 + (LINUX_RUN_ARGV_MAX + 7) / 8] = {sizeof(hello) - 1};
	m6_idl_pack_bytes(&words[1], hello, sizeof(hello) - 1, (LINUX_RUN_ARGV_MAX + 7) / 8);
	m6_idl_send(CAP_LINUX_LOW, LINUX_LABEL_RUN, words, 1 + (LINUX_RUN_ARGV_MAX + 7) / 8);
	if ((job = start(hello, sizeof(hello) - 1)) != 0 && (ws = wait_done(job)) != 0)
		fail("hello after a low-badge call", ws, 0);

	printf("jobs_probe: %s\n", failures ? "FAIL" : "PASS");
	m6_power_off(CAP_POWER);
	return 1;
}
