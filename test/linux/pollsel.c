/*
 * select (pselect6) and poll (ppoll) on pipes and files: readiness, a zero timeout, a
 * timeout that runs out (the time left written back as 0), a wait that a child's write
 * ends (the time left written back), POLLHUP, POLLNVAL, EBADF, a descriptor above 128.
 * Every step prints one line; a failed step makes the exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	int p[2];
	check(pipe(p) == 0, "pipe");
	fd_set r, w;
	struct timeval tv = {0, 0};
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	check(select(p[0] + 1, &r, NULL, NULL, &tv) == 0 && !FD_ISSET(p[0], &r),
	      "select, empty pipe, zero timeout: 0, set cleared");
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	tv = (struct timeval){0, 0};
	check(select(p[1] + 1, NULL, &w, NULL, &tv) == 1 && FD_ISSET(p[1], &w),
	      "select: the write end is writable");
	check(write(p[1], "x", 1) == 1, "write a byte");
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	tv = (struct timeval){5, 0};
	int n = select(p[1] + 1, &r, &w, NULL, &tv);
	check(n == 2 && FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w), "select: both ready: 2");
	check(tv.tv_sec <= 5 && (tv.tv_sec >= 4 || tv.tv_usec > 0),
	      "the time left is written back");
	char c;
	check(read(p[0], &c, 1) == 1, "read it back");

	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){0, 50000};
	check(select(p[0] + 1, &r, NULL, NULL, &tv) == 0 && !FD_ISSET(p[0], &r),
	      "select: a 50 ms timeout runs out");
	check(tv.tv_sec == 0 && tv.tv_usec == 0, "the time left is 0");

	struct timespec ts = {0, 20000000};
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	check(pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL) == 0, "pselect: a 20 ms timeout");

	pid_t pid = fork();
	if (pid == 0) {
		struct timespec d = {0, 100000000};
		nanosleep(&d, NULL);
		write(p[1], "y", 1);
		_exit(0);
	}
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	check(select(p[0] + 1, &r, NULL, NULL, NULL) == 1 && FD_ISSET(p[0], &r),
	      "select without a timeout: woken by a child's write");
	check(read(p[0], &c, 1) == 1 && c == 'y', "the child's byte");
	waitpid(pid, NULL, 0);

	FD_ZERO(&r);
	FD_SET(p[0], &r);
	FD_SET(40, &r); /* within the first 64: Linux ignores bits past its table */
	errno = 0;
	check(select(41, &r, NULL, NULL, &tv) == -1 && errno == EBADF,
	      "select: a closed descriptor in the set: EBADF");
	errno = 0;
	check(select(-1, NULL, NULL, NULL, &tv) == -1 && errno == EINVAL,
	      "select: nfds -1: EINVAL");

	int high = dup2(p[0], 200);
	check(high == 200 && write(p[1], "z", 1) == 1, "dup2 to 200");
	FD_ZERO(&r);
	FD_SET(200, &r);
	tv = (struct timeval){1, 0};
	check(select(201, &r, NULL, NULL, &tv) == 1 && FD_ISSET(200, &r),
	      "select on descriptor 200");
	read(200, &c, 1);
	close(200);

	int f = open("/tmp/pollsel", O_CREAT | O_RDWR | O_TRUNC, 0644);
	FD_ZERO(&r);
	FD_SET(f, &r);
	FD_ZERO(&w);
	FD_SET(f, &w);
	tv = (struct timeval){0, 0};
	check(select(f + 1, &r, &w, NULL, &tv) == 2, "a regular file is always ready");
	close(f);
	unlink("/tmp/pollsel");

	struct pollfd pf[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {99, POLLIN, 0}};
	check(poll(pf, 3, 0) == 2 && pf[0].revents == 0 && pf[1].revents == POLLOUT &&
	          pf[2].revents == POLLNVAL,
	      "poll: empty, writable, POLLNVAL");
	check(poll(pf, 1, 30) == 0, "poll: a 30 ms timeout");
	close(p[1]);
	check(poll(pf, 1, 1000) == 1 && pf[0].revents == POLLHUP,
	      "poll: POLLHUP once the writer is gone");
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){1, 0};
	check(select(p[0] + 1, &r, NULL, NULL, &tv) == 1, "select: end of file is readable");
	close(p[0]);

	printf("%s\n", failures ? "some checks failed" : "all checks passed");
	return failures ? 1 : 0;
}
