/*
 * The shim's device files and the initrd (docs/linux.md, "Files and descriptors"):
 * /dev/null, /dev/zero, /dev/urandom, /dev/tty and /dev/stdout read, written and stat'ed
 * as character devices, and a text file of the initrd (read-only) read and listed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	if (ok) {
		printf("devs: %s: ok\n", what);
	} else {
		printf("devs: %s: FAILED (errno %d)\n", what, errno);
		failures++;
	}
}

static int chardev(const char *path, unsigned major, unsigned minor)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == major &&
	       minor(st.st_rdev) == minor;
}

int main(void)
{
	char buf[4096];
	int fd = open("/dev/null", O_RDWR);
	check(fd >= 0 && write(fd, "gone", 4) == 4 && read(fd, buf, sizeof(buf)) == 0,
	      "/dev/null swallows, reads empty");
	close(fd);
	fd = open("/dev/zero", O_RDONLY);
	memset(buf, 0x55, sizeof(buf));
	int zero = read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf);
	for (size_t i = 0; i < sizeof(buf); i++)
		zero = zero && buf[i] == 0;
	check(fd >= 0 && zero, "/dev/zero reads 4096 zeros");
	close(fd);
	fd = open("/dev/urandom", O_RDONLY);
	memset(buf, 0, 64);
	int nonzero = 0;
	check(fd >= 0 && read(fd, buf, 64) == 64, "/dev/urandom reads 64 bytes");
	for (int i = 0; i < 64; i++)
		nonzero += buf[i] != 0;
	check(nonzero > 32, "/dev/urandom is not all zeros");
	close(fd);
	check(chardev("/dev/null", 1, 3) && chardev("/dev/zero", 1, 5) &&
	          chardev("/dev/urandom", 1, 9) && chardev("/dev/tty", 5, 0),
	      "stat: character devices 1,3 1,5 1,9 5,0");
	fd = open("/dev/tty", O_WRONLY);
	check(fd >= 0 && write(fd, "devs: written to /dev/tty\n", 26) == 26, "/dev/tty writes");
	close(fd);
	fflush(stdout);
	fd = open("/dev/stdout", O_WRONLY);
	check(fd >= 0 && write(fd, "devs: written to /dev/stdout\n", 29) == 29, "/dev/stdout");
	close(fd);
	char link[64];
	ssize_t n = readlink("/dev/stdin", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	check(strcmp(link, "/proc/self/fd/0") == 0, "readlink /dev/stdin");
	check(lseek(1, 0, SEEK_CUR) == -1 && errno == ESPIPE, "lseek stdout: ESPIPE");

	/* the initrd */
	fd = open("/etc/motd", O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	buf[n > 0 ? n : 0] = '\0';
	check(n > 0, "read /etc/motd");
	printf("devs: motd: %s", buf);
	struct stat st;
	check(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == n &&
	          st.st_mtim.tv_sec == 1700000000,
	      "fstat /etc/motd: size, mtime");
	close(fd);
	check(open("/etc/motd", O_WRONLY) == -1 && errno == EROFS, "the initrd is read-only");
	check(open("/etc/nothing", O_RDONLY) == -1 && errno == ENOENT, "missing: ENOENT");
	printf("devs: %d failures\n", failures);
	return failures ? 1 : 0;
}
