/*
 * qemu.files: a component that uses the file service through nothing but POSIX and stdio
 * calls (libm6's file API, m6::files; picolibc's fopen/fprintf/fgets/fread on top), with
 * tmpfs at /tmp and the initrd at /. Every result is checked, every failure's errno too;
 * then "files: PASS" (or the count of failures) and power off.
 */
#define _DEFAULT_SOURCE /* POSIX names from picolibc's headers under -std=c11 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <m6/files.h>
#include <m6/runtime.h>
#include <m6_caps.h>

static int failures;

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		if (!(cond)) {                                              \
			failures++;                                         \
			printf("files: FAIL line %d: ", __LINE__);          \
			printf(__VA_ARGS__);                                \
			printf(" (errno %d %s)\n", errno, strerror(errno)); \
		}                                                           \
	} while (0)

/* `call` must fail with -1 (or NULL) and errno `want`. */
#define EXPECT_ERRNO(call, want)                                                            \
	do {                                                                                \
		errno = 0;                                                                  \
		long r_ = (long)(call);                                                     \
		CHECK(r_ == -1 && errno == (want), "%s: got %ld, want errno %s", #call, r_, \
		      #want);                                                               \
	} while (0)

#define EXPECT_NULL_ERRNO(call, want)                                                             \
	do {                                                                                      \
		errno = 0;                                                                        \
		void *p_ = (void *)(call);                                                        \
		CHECK(p_ == NULL && errno == (want), "%s: want NULL and errno %s", #call, #want); \
	} while (0)

#define LINES 100
#define BIG   (256u << 10) /* 256 KiB: many windows' worth */

static char line_buf[256];
static unsigned char big[BIG], back[BIG];

static void stdio_round_trip(void)
{
	FILE *f = fopen("/tmp/hello.txt", "w");
	CHECK(f != NULL, "fopen w");
	if (!f)
		return;
	size_t expect_size = 0;
	for (int i = 0; i < LINES; i++) {
		int n =
		    fprintf(f, "line %d of the stdio test: %08x\n", i, (unsigned)i * 2654435761u);
		CHECK(n > 0, "fprintf");
		expect_size += (size_t)n;
	}
	CHECK(fclose(f) == 0, "fclose after writing");

	struct stat st;
	CHECK(stat("/tmp/hello.txt", &st) == 0, "stat");
	CHECK(S_ISREG(st.st_mode), "a regular file: mode %o", (unsigned)st.st_mode);
	CHECK((st.st_mode & 0777) == 0666, "fopen's mode 0666: %o", (unsigned)st.st_mode);
	CHECK((size_t)st.st_size == expect_size, "size %lld, want %zu", (long long)st.st_size,
	      expect_size);

	f = fopen("/tmp/hello.txt", "r");
	CHECK(f != NULL, "fopen r");
	if (!f)
		return;
	for (int i = 0; i < LINES; i++) {
		char want[64];
		snprintf(want, sizeof(want), "line %d of the stdio test: %08x\n", i,
		         (unsigned)i * 2654435761u);
		CHECK(fgets(line_buf, sizeof(line_buf), f) != NULL, "fgets line %d", i);
		CHECK(strcmp(line_buf, want) == 0, "line %d: '%s'", i, line_buf);
	}
	CHECK(fgets(line_buf, sizeof(line_buf), f) == NULL && feof(f), "EOF after the lines");
	CHECK(fseek(f, 0, SEEK_SET) == 0, "fseek 0");
	CHECK(ftell(f) == 0, "ftell 0");
	size_t n = fread(big, 1, sizeof(big), f);
	CHECK(n == expect_size, "fread %zu, want %zu", n, expect_size);
	CHECK(memcmp(big, "line 0 of", 9) == 0, "fread's first bytes");
	CHECK(ftell(f) == (long)expect_size, "ftell at the end");
	CHECK(fseek(f, 5, SEEK_SET) == 0 && fgetc(f) == '0', "fseek 5 then fgetc");
	CHECK(fclose(f) == 0, "fclose after reading");

	/* Append mode adds at the end. */
	f = fopen("/tmp/hello.txt", "a");
	CHECK(f && fputs("appended\n", f) >= 0 && fclose(f) == 0, "append");
	CHECK(stat("/tmp/hello.txt", &st) == 0 && (size_t)st.st_size == expect_size + 9,
	      "size after append");
	EXPECT_NULL_ERRNO(fopen("/tmp/none/x", "r"), ENOENT);
	EXPECT_NULL_ERRNO(fopen("/nope", "r"), ENOENT);
}

static void initrd(void)
{
	FILE *f = fopen("/etc/motd", "r");
	CHECK(f != NULL, "fopen /etc/motd");
	if (f) {
		CHECK(fgets(line_buf, sizeof(line_buf), f) &&
		          strcmp(line_buf, "Welcome to m6: this file came from the initrd.\n") == 0,
		      "motd: '%s'", line_buf);
		fclose(f);
	}
	struct stat st;
	CHECK(stat("/etc", &st) == 0 && S_ISDIR(st.st_mode), "/etc is a directory");
	EXPECT_ERRNO(open("/etc/new", O_WRONLY | O_CREAT, 0644), EROFS);
	EXPECT_ERRNO(open("/etc/motd", O_WRONLY), EROFS);
	EXPECT_ERRNO(mkdir("/newdir", 0755), EROFS);
	EXPECT_ERRNO(unlink("/etc/motd"), EROFS);
	EXPECT_ERRNO(rename("/etc/motd", "/etc/motd2"), EROFS);
	struct statvfs v;
	CHECK(statvfs("/", &v) == 0 && (v.f_flag & ST_RDONLY), "/ is read-only");
	CHECK(statvfs("/tmp", &v) == 0 && !(v.f_flag & ST_RDONLY), "/tmp is read-write");
}

static void directories(void)
{
	CHECK(mkdir("/tmp/d", 0755) == 0, "mkdir /tmp/d");
	EXPECT_ERRNO(mkdir("/tmp/d", 0755), EEXIST);
	struct stat st;
	CHECK(stat("/tmp/d", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755,
	      "stat /tmp/d: %o", (unsigned)st.st_mode);
	int fd = open("/tmp/d/f", O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= M6_FILES_FD_BASE, "open O_EXCL: %d", fd);
	CHECK(write(fd, "12345", 5) == 5, "write 5");
	CHECK(close(fd) == 0, "close");
	EXPECT_ERRNO(open("/tmp/d/f", O_WRONLY | O_CREAT | O_EXCL, 0600), EEXIST);
	CHECK(stat("/tmp/d/f", &st) == 0 && st.st_size == 5 && (st.st_mode & 0777) == 0600,
	      "stat /tmp/d/f");

	/* The listing of /tmp: ".", "..", hello.txt, d, each once, with its type. */
	DIR *dir = opendir("/tmp");
	CHECK(dir != NULL, "opendir /tmp");
	if (dir) {
		for (int pass = 0; pass < 2; pass++) {
			int dot = 0, dotdot = 0, hello = 0, d = 0, other = 0;
			struct dirent *e;
			errno = 0;
			while ((e = readdir(dir)) != NULL) {
				if (strcmp(e->d_name, ".") == 0)
					dot++;
				else if (strcmp(e->d_name, "..") == 0)
					dotdot++;
				else if (strcmp(e->d_name, "hello.txt") == 0)
					hello += e->d_type == DT_REG ? 1 : 100;
				else if (strcmp(e->d_name, "d") == 0)
					d += e->d_type == DT_DIR ? 1 : 100;
				else
					other++;
			}
			CHECK(errno == 0, "readdir ends without an error");
			CHECK(dot == 1 && dotdot == 1 && hello == 1 && d == 1 && other == 0,
			      "pass %d: . %d, .. %d, hello.txt %d, d %d, others %d", pass, dot,
			      dotdot, hello, d, other);
			rewinddir(dir);
		}
		CHECK(closedir(dir) == 0, "closedir");
	}
	EXPECT_NULL_ERRNO(opendir("/tmp/hello.txt"), ENOTDIR);
	EXPECT_NULL_ERRNO(opendir("/tmp/nothing"), ENOENT);

	/* rename, then the errors of rmdir and unlink. */
	CHECK(rename("/tmp/d/f", "/tmp/d/g") == 0, "rename");
	EXPECT_ERRNO(stat("/tmp/d/f", &st), ENOENT);
	CHECK(stat("/tmp/d/g", &st) == 0 && st.st_size == 5, "the renamed file");
	EXPECT_ERRNO(rename("/tmp/d/f", "/tmp/d/h"), ENOENT);
	EXPECT_ERRNO(rmdir("/tmp/d"), ENOTEMPTY);
	EXPECT_ERRNO(rmdir("/tmp/d/g"), ENOTDIR);
	EXPECT_ERRNO(unlink("/tmp/d"), EISDIR);
	EXPECT_ERRNO(open("/tmp/d", O_WRONLY), EISDIR);
	EXPECT_ERRNO(open("/tmp/d/g/x", O_RDONLY), ENOTDIR);
	EXPECT_ERRNO(mkdir("/tmp/d/g/x", 0755), ENOTDIR);
	EXPECT_ERRNO(open("/tmp/d/g", O_RDONLY | O_DIRECTORY), ENOTDIR);
	EXPECT_ERRNO(rename("/tmp/d/g", "/etc/g"), EXDEV); /* /etc is the initrd */
	CHECK(unlink("/tmp/d/g") == 0, "unlink");
	EXPECT_ERRNO(unlink("/tmp/d/g"), ENOENT);
	CHECK(rmdir("/tmp/d") == 0, "rmdir");
	EXPECT_ERRNO(stat("/tmp/d", &st), ENOENT);

	char name[300];
	memset(name, 'n', sizeof(name));
	memcpy(name, "/tmp/", 5);
	name[5 + 256] = '\0'; /* a 256-byte name */
	EXPECT_ERRNO(open(name, O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
}

static void descriptors(void)
{
	int fd = open("/tmp/fd.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= M6_FILES_FD_BASE, "open: %d", fd);
	CHECK(write(fd, "abcdef", 6) == 6, "write");
	int fd2 = dup(fd);
	CHECK(fd2 >= M6_FILES_FD_BASE && fd2 != fd, "dup: %d", fd2);
	CHECK(lseek(fd2, 1, SEEK_SET) == 1, "lseek through the copy");
	char c = 0;
	CHECK(read(fd, &c, 1) == 1 && c == 'b', "the position is shared: '%c'", c);
	CHECK(pread(fd, &c, 1, 4) == 1 && c == 'e', "pread: '%c'", c);
	CHECK(lseek(fd, 0, SEEK_CUR) == 2, "pread leaves the position");
	CHECK(pwrite(fd, "XY", 2, 10) == 2, "pwrite past the end");
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && st.st_size == 12, "fstat size %lld", (long long)st.st_size);
	CHECK(ftruncate(fd, 3) == 0 && fstat(fd, &st) == 0 && st.st_size == 3, "ftruncate");
	CHECK(truncate("/tmp/fd.txt", 100) == 0 && stat("/tmp/fd.txt", &st) == 0 &&
	          st.st_size == 100,
	      "truncate");
	CHECK(fsync(fd) == 0, "fsync");
	CHECK(close(fd2) == 0, "close the copy");
	CHECK(close(fd) == 0, "close");
	EXPECT_ERRNO(close(fd), EBADF);
	EXPECT_ERRNO(read(fd, &c, 1), EBADF);
	EXPECT_ERRNO(write(fd, "x", 1), EBADF);
	EXPECT_ERRNO(lseek(fd, 0, SEEK_SET), EBADF);
	EXPECT_ERRNO(fstat(fd, &st), EBADF);
	EXPECT_ERRNO(read(1000, &c, 1), EBADF);
	EXPECT_ERRNO(close(-1), EBADF);
	EXPECT_ERRNO(lseek(1, 0, SEEK_SET), ESPIPE);
	EXPECT_ERRNO(open("/tmp/fd.txt", O_RDONLY | O_SYNC), EINVAL);
	CHECK(fstat(1, &st) == 0 && S_ISCHR(st.st_mode), "fd 1 is the console");
	CHECK(write(1, "files: write(1) reaches the console\n", 36) == 36, "write(1)");
	CHECK(unlink("/tmp/fd.txt") == 0, "unlink");

	/* Working directory: relative paths. */
	CHECK(chdir("/tmp") == 0, "chdir /tmp");
	char cwd[64];
	CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "/tmp") == 0, "getcwd: %s", cwd);
	EXPECT_NULL_ERRNO(getcwd(cwd, 3), ERANGE);
	fd = open("rel.txt", O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0 && close(fd) == 0, "open relative");
	CHECK(stat("/tmp/rel.txt", &st) == 0, "the relative file is in /tmp");
	CHECK(unlink("../tmp/rel.txt") == 0, "unlink through ..");
	EXPECT_ERRNO(chdir("/tmp/hello.txt"), ENOTDIR);
	EXPECT_ERRNO(chdir("/nowhere"), ENOENT);
	CHECK(chdir("/") == 0, "chdir /");
}

/* A file far larger than the window: one write() and one read() of 256 KiB each, which
 * libm6 splits into window-sized pieces, then pieces at odd offsets. */
static void big_file(void)
{
	for (size_t i = 0; i < BIG; i++)
		big[i] = (unsigned char)(i * 7 + (i >> 12));
	int fd = open("/tmp/big.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0, "open big");
	CHECK(write(fd, big, BIG) == (ssize_t)BIG, "write 256 KiB");
	CHECK(lseek(fd, 0, SEEK_END) == (off_t)BIG, "the end is at 256 KiB");
	CHECK(lseek(fd, 0, SEEK_SET) == 0, "back to 0");
	memset(back, 0, BIG);
	CHECK(read(fd, back, BIG) == (ssize_t)BIG, "read 256 KiB");
	CHECK(memcmp(big, back, BIG) == 0, "256 KiB read back");
	CHECK(read(fd, back, 10) == 0, "read at the end: 0");
	memset(back, 0, BIG);
	CHECK(pread(fd, back, 100000, 12345) == 100000, "pread 100000 at 12345");
	CHECK(memcmp(big + 12345, back, 100000) == 0, "pread's bytes");
	CHECK(pread(fd, back, 100, BIG - 10) == 10, "pread across the end: 10");
	CHECK(close(fd) == 0, "close big");

	FILE *f = fopen("/tmp/big.bin", "r");
	CHECK(f != NULL, "fopen big");
	if (f) {
		memset(back, 0, BIG);
		CHECK(fread(back, 1, BIG, f) == BIG && memcmp(big, back, BIG) == 0,
		      "fread 256 KiB");
		fclose(f);
	}
	CHECK(unlink("/tmp/big.bin") == 0, "unlink big");
}

/* Symbolic links through POSIX: symlink, readlink, lstat, realpath, O_NOFOLLOW. */
static void links(void)
{
	FILE *f = fopen("/tmp/target.txt", "w");
	CHECK(f != NULL && fputs("through the link\n", f) >= 0 && fclose(f) == 0,
	      "write /tmp/target.txt");
	CHECK(symlink("target.txt", "/tmp/link") == 0, "symlink");
	EXPECT_ERRNO(symlink("x", "/tmp/link"), EEXIST);
	EXPECT_ERRNO(symlink("x", "/etc/link"), EROFS);
	char buf[64];
	ssize_t n = readlink("/tmp/link", buf, sizeof(buf));
	CHECK(n == 10 && memcmp(buf, "target.txt", 10) == 0, "readlink: %zd", n);
	EXPECT_ERRNO(readlink("/tmp/target.txt", buf, sizeof(buf)), EINVAL);
	EXPECT_ERRNO(readlink("/tmp/none", buf, sizeof(buf)), ENOENT);
	struct stat st;
	CHECK(lstat("/tmp/link", &st) == 0 && S_ISLNK(st.st_mode) && st.st_size == 10,
	      "lstat: mode %o", (unsigned)st.st_mode);
	CHECK(stat("/tmp/link", &st) == 0 && S_ISREG(st.st_mode), "stat follows");
	f = fopen("/tmp/link", "r");
	CHECK(f != NULL && fgets(buf, sizeof(buf), f) != NULL &&
	          strcmp(buf, "through the link\n") == 0 && fclose(f) == 0,
	      "read through the link");
	EXPECT_ERRNO(open("/tmp/link", O_RDONLY | O_NOFOLLOW), ELOOP);
	CHECK(mkdir("/tmp/ld", 0755) == 0 && symlink("/tmp/ld", "/tmp/dl") == 0, "dir link");
	char *real = realpath("/tmp/dl/../link", NULL);
	CHECK(real != NULL && strcmp(real, "/tmp/target.txt") == 0, "realpath: %s",
	      real ? real : "NULL");
	free(real);
	EXPECT_NULL_ERRNO(realpath("/tmp/dl/none", buf), ENOENT);
	CHECK(unlink("/tmp/link") == 0 && unlink("/tmp/dl") == 0 && rmdir("/tmp/ld") == 0 &&
	          stat("/tmp/target.txt", &st) == 0,
	      "unlink the links, the target stays");
}

int main(void)
{
	printf("files: window %u bytes\n", (unsigned)M6_WINDOW_VFS_SIZE);
	CHECK(m6_files_ready(), "m6::files set itself up from the spec");
	initrd();
	stdio_round_trip();
	directories();
	descriptors();
	big_file();
	links();
	if (failures)
		printf("files: %d checks failed\n", failures);
	else
		printf("files: PASS\n");
	m6_power_off(CAP_POWER);
	return 0;
}
