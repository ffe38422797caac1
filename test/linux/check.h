/*
 * The step check the test/linux programs share: each step prints one line, "<what>: ok"
 * or "<what>: FAILED" with the errno of the failed call, and a failure makes main's exit
 * status 1 (it returns `failures != 0`). stdout is flushed after every line so that a
 * child forked after a step never repeats it, and so that the lines keep their order
 * with a child's when stdout is a pipe or a file.
 *
 * Header-only: each program is one translation unit, compiled standalone by
 * aarch64-linux-gnu-gcc (test/linux/CMakeLists.txt).
 */
#ifndef TEST_LINUX_CHECK_H
#define TEST_LINUX_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	if (!ok) {
		printf("  errno %d (%s)\n", errno, strerror(errno));
		failures++;
	}
	fflush(stdout);
}

#endif
