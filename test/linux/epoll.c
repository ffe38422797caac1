/*
 * epoll on pipes: create, add, modify, delete, waits with and without a timeout, a wait a
 * child's write ends, EPOLLONESHOT, EPOLLHUP, the instance as a file (fstat, /proc link),
 * and the errors of the obvious misuses. Every step prints one line; a failed step makes
 * the exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	check(ep >= 0, "epoll_create1(EPOLL_CLOEXEC)");
	check(fcntl(ep, F_GETFD) == FD_CLOEXEC, "close-on-exec set");
	errno = 0;
	check(epoll_create1(123) == -1 && errno == EINVAL, "epoll_create1(123): EINVAL");
	int p[2];
	check(pipe(p) == 0, "pipe");
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7}, out[4];
	check(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0, "add the read end (EPOLLIN, data 7)");
	errno = 0;
	check(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == -1 && errno == EEXIST,
	      "add again: EEXIST");
	check(epoll_wait(ep, out, 4, 0) == 0, "nothing ready: 0");
	struct pollfd none = {ep, POLLIN, 0};
	check(poll(&none, 1, 0) == 0, "poll: the instance is not readable");
	check(epoll_wait(ep, out, 4, 50) == 0, "a 50 ms timeout runs out");
	check(write(p[1], "a", 1) == 1, "write a byte");
	check(epoll_wait(ep, out, 4, 1000) == 1 && out[0].events == EPOLLIN && out[0].data.u64 == 7,
	      "EPOLLIN with data 7");
	check(epoll_wait(ep, out, 4, 0) == 1, "level-triggered: still ready");
	struct pollfd pf = {ep, POLLIN, 0};
	check(poll(&pf, 1, 0) == 1 && pf.revents == POLLIN, "poll: the instance is readable");
	char c;
	read(p[0], &c, 1);

	ev = (struct epoll_event){.events = EPOLLOUT, .data.u64 = 9};
	check(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev) == 0, "add the write end (EPOLLOUT)");
	check(epoll_wait(ep, out, 4, 0) == 1 && out[0].events == EPOLLOUT && out[0].data.u64 == 9,
	      "the write end is writable");
	check(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL) == 0, "delete it");
	errno = 0;
	check(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL) == -1 && errno == ENOENT,
	      "delete again: ENOENT");
	errno = 0;
	check(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev) == -1 && errno == ENOENT,
	      "modify what is not there: ENOENT");

	pid_t pid = fork();
	if (pid == 0) {
		struct timespec d = {0, 100000000};
		nanosleep(&d, NULL);
		write(p[1], "b", 1);
		_exit(0);
	}
	check(epoll_wait(ep, out, 4, -1) == 1 && out[0].data.u64 == 7,
	      "a wait without timeout ends with a child's write");
	read(p[0], &c, 1);
	check(c == 'b', "the child's byte");
	waitpid(pid, NULL, 0);

	ev = (struct epoll_event){.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 8};
	check(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0, "modify: EPOLLIN|EPOLLONESHOT");
	write(p[1], "c", 1);
	check(epoll_wait(ep, out, 4, 0) == 1 && out[0].data.u64 == 8, "reported once");
	check(epoll_wait(ep, out, 4, 0) == 0, "then disabled");
	check(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0 && epoll_wait(ep, out, 4, 0) == 1,
	      "modify re-arms it");
	read(p[0], &c, 1);
	ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = 7};
	check(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0, "modify: EPOLLIN again");

	int f = open("/tmp/epoll-file", O_CREAT | O_RDWR | O_TRUNC, 0644);
	ev = (struct epoll_event){.events = EPOLLIN};
	errno = 0;
	check(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev) == -1 && errno == EPERM,
	      "a regular file: EPERM");
	close(f);
	unlink("/tmp/epoll-file");
	errno = 0;
	check(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev) == -1 && errno == EINVAL, "itself: EINVAL");
	errno = 0;
	check(epoll_ctl(ep, EPOLL_CTL_ADD, 99, &ev) == -1 && errno == EBADF, "a closed fd: EBADF");
	errno = 0;
	check(epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev) == -1 && errno == EINVAL,
	      "not an epoll descriptor: EINVAL");
	errno = 0;
	check(epoll_wait(ep, out, 0, 0) == -1 && errno == EINVAL, "maxevents 0: EINVAL");
	errno = 0;
	check(read(ep, &c, 1) == -1 && errno == EINVAL, "read of an epoll descriptor: EINVAL");

	struct stat st;
	check(fstat(ep, &st) == 0 && (st.st_mode & S_IFMT) == 0 && (st.st_mode & 0777) == 0600,
	      "fstat: an anonymous inode, 0600");
	char link[64], target[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", ep);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	check(n > 0 && (target[n] = '\0', strcmp(target, "anon_inode:[eventpoll]") == 0),
	      "/proc/self/fd: anon_inode:[eventpoll]");

	close(p[1]);
	check(epoll_wait(ep, out, 4, 1000) == 1 && out[0].events == EPOLLHUP,
	      "EPOLLHUP once the writer is gone");
	close(p[0]);
	check(close(ep) == 0, "close the instance");
	printf("%s\n", failures ? "some checks failed" : "all checks passed");
	return failures ? 1 : 0;
}
