/*
 * A pipe within one process (docs/linux.md, "Files and descriptors"): bytes in order,
 * a 64 KiB capacity (O_NONBLOCK: EAGAIN when full or empty), end of file once every
 * writer is closed (a dup'd writer counts), EPIPE once every reader is.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	if (ok) {
		printf("pipe: %s: ok\n", what);
	} else {
		printf("pipe: %s: FAILED (errno %d)\n", what, errno);
		failures++;
	}
}

int main(void)
{
	int p[2];
	char buf[8192];
	check(pipe(p) == 0 && p[0] == 3 && p[1] == 4, "pipe is fds 3, 4");
	struct stat st;
	check(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode), "fstat: a FIFO");
	check(write(p[1], "hello ", 6) == 6 && write(p[1], "pipe\n", 5) == 5, "write twice");
	memset(buf, 0, sizeof(buf));
	check(read(p[0], buf, 4) == 4 && read(p[0], buf + 4, sizeof(buf) - 4) == 7 &&
	          strcmp(buf, "hello pipe\n") == 0,
	      "read back in order");
	check(write(p[0], "x", 1) == -1 && errno == EBADF, "write to the read end: EBADF");
	check(lseek(p[0], 0, SEEK_SET) == -1 && errno == ESPIPE, "lseek: ESPIPE");
	check(fcntl(p[0], F_GETPIPE_SZ) == 65536, "F_GETPIPE_SZ 65536");

	check(fcntl(p[1], F_SETFL, O_NONBLOCK) == 0 && fcntl(p[0], F_SETFL, O_NONBLOCK) == 0,
	      "O_NONBLOCK");
	check(read(p[0], buf, 1) == -1 && errno == EAGAIN, "empty: EAGAIN");
	long total = 0;
	memset(buf, 'z', sizeof(buf));
	for (;;) {
		ssize_t n = write(p[1], buf, sizeof(buf));
		if (n <= 0)
			break;
		total += n;
	}
	check(errno == EAGAIN && total == 65536, "full after 65536 bytes: EAGAIN");
	long got = 0;
	for (;;) {
		ssize_t n = read(p[0], buf, 1000);
		if (n <= 0)
			break;
		got += n;
	}
	check(got == 65536 && errno == EAGAIN, "65536 bytes read back");

	int w2 = dup(p[1]);
	check(close(p[1]) == 0 && read(p[0], buf, 1) == -1 && errno == EAGAIN,
	      "a dup'd writer keeps it open");
	check(write(w2, "last", 4) == 4 && close(w2) == 0, "the last writer writes, closes");
	check(read(p[0], buf, sizeof(buf)) == 4 && read(p[0], buf, 1) == 0, "then end of file");
	close(p[0]);

	check(pipe2(p, O_CLOEXEC) == 0 && fcntl(p[0], F_GETFD) == FD_CLOEXEC, "pipe2 O_CLOEXEC");
	signal(SIGPIPE, SIG_IGN);
	check(close(p[0]) == 0 && write(p[1], "x", 1) == -1 && errno == EPIPE, "no reader: EPIPE");
	close(p[1]);
	check(pipe2(p, 0x40) == -1 && errno == EINVAL, "pipe2 bad flags: EINVAL");
	printf("pipe: %d failures\n", failures);
	return failures ? 1 : 0;
}
