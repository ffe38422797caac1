/* reexec: the shim's exec image cache must never serve a program's old pages after the
 * file changed. /bin/echoargs is copied to /tmp/prog and run twice (the second run maps
 * the cached pages), then /tmp/prog is overwritten in place with /bin/hello, both padded
 * with zeros to one size so that only the modification time tells them apart, and run
 * again: hello's exit status (0), not echoargs's (its argc), must come back. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
#define CHECK(c)                                                                                \
	do {                                                                                    \
		if (!(c)) {                                                                     \
			printf("reexec: FAILED line %d: %s (errno %d)\n", __LINE__, #c, errno); \
			failures++;                                                             \
		}                                                                               \
	} while (0)

static char *slurp(const char *path, size_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) != 0)
		return NULL;
	char *buf = malloc((size_t)st.st_size);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*size = got;
	return buf && got == (size_t)st.st_size ? buf : NULL;
}

/* Overwrite path in place (same inode) with `n` bytes of data, zero-padded to `size`. */
static int put(const char *path, const char *data, size_t n, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0)
		return -1;
	static const char zeros[4096];
	size_t done = 0;
	while (done < size) {
		const char *src = done < n ? data + done : zeros;
		size_t k = done < n ? n - done : size - done;
		if (k > sizeof(zeros) && done >= n)
			k = sizeof(zeros);
		ssize_t w = write(fd, src, k);
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	return close(fd) == 0 && done == size ? 0 : -1;
}

static int run(char *const argv[])
{
	pid_t c = fork();
	if (c == 0) {
		char *env[] = {NULL};
		execve(argv[0], argv, env);
		_exit(127);
	}
	int st = 0;
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	size_t na = 0, nb = 0;
	char *a = slurp("/bin/echoargs", &na), *b = slurp("/bin/hello", &nb);
	CHECK(a && b);
	if (!a || !b)
		return 1;
	size_t size = na > nb ? na : nb;
	char *argv[] = {"/tmp/prog", "x", "y", "z", "w", NULL};
	CHECK(put("/tmp/prog", a, na, size) == 0);
	CHECK(run(argv) == 5);
	CHECK(run(argv) == 5);
	struct stat before, after;
	CHECK(stat("/tmp/prog", &before) == 0);
	CHECK(put("/tmp/prog", b, nb, size) == 0);
	CHECK(stat("/tmp/prog", &after) == 0);
	CHECK(before.st_ino == after.st_ino && before.st_size == after.st_size);
	CHECK(run(argv) == 0);
	/* and back: the first contents again, from a file that changed twice */
	CHECK(put("/tmp/prog", a, na, size) == 0);
	CHECK(run(argv) == 5);
	CHECK(unlink("/tmp/prog") == 0);
	printf("reexec: %d failures\n", failures);
	return failures != 0;
}
