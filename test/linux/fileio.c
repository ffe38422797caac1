/*
 * File I/O on /tmp (tmpfs): create, write, seek, read back, pread/pwrite, O_APPEND,
 * ftruncate, fstat, a directory listed with getdents64 (through readdir), rename, unlink,
 * and the errors of the obvious misuses. Every step prints one line; a step that fails
 * says so and makes the exit status 1.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const char text[] = "the quick brown fox\n";
	char buf[128];

	check(mkdir("/tmp/d", 0755) == 0, "mkdir /tmp/d");
	int fd = open("/tmp/d/a", O_CREAT | O_EXCL | O_RDWR, 0640);
	check(fd >= 0, "open O_CREAT|O_EXCL");
	check(write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1, "write 20 bytes");
	check(lseek(fd, 0, SEEK_CUR) == 20, "offset after write is 20");
	check(lseek(fd, 4, SEEK_SET) == 4, "lseek SEEK_SET 4");
	memset(buf, 0, sizeof(buf));
	check(read(fd, buf, 5) == 5 && memcmp(buf, "quick", 5) == 0, "read 5 bytes: quick");
	check(pwrite(fd, "QUICK", 5, 4) == 5, "pwrite at 4");
	check(pread(fd, buf, sizeof(buf), 0) == 20 && memcmp(buf, "the QUICK", 9) == 0,
	      "pread whole file");
	check(lseek(fd, 0, SEEK_CUR) == 9, "pread/pwrite leave the offset alone");
	check(lseek(fd, 100, SEEK_SET) == 100 && write(fd, "!", 1) == 1, "write past the end");
	struct stat st;
	check(fstat(fd, &st) == 0 && st.st_size == 101 && S_ISREG(st.st_mode) &&
	          (st.st_mode & 0777) == 0640,
	      "fstat: regular, 101 bytes, mode 0640");
	check(pread(fd, buf, 10, 50) == 10 && buf[0] == 0 && buf[9] == 0, "the hole reads zeros");
	check(ftruncate(fd, 9) == 0 && fstat(fd, &st) == 0 && st.st_size == 9, "ftruncate to 9");
	check(close(fd) == 0, "close");

	fd = open("/tmp/d/a", O_WRONLY | O_APPEND);
	check(fd >= 0, "open O_APPEND");
	check(lseek(fd, 0, SEEK_SET) == 0 && write(fd, " fox\n", 5) == 5, "append after seek 0");
	close(fd);
	fd = open("/tmp/d/a", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("contents: %s", buf);
	check(read(fd, buf, 1) == 0, "read at end of file returns 0");
	check(write(fd, "x", 1) == -1 && errno == EBADF, "write to a read-only fd: EBADF");
	close(fd);

	check(open("/tmp/d/a", O_CREAT | O_EXCL | O_RDWR, 0600) == -1 && errno == EEXIST,
	      "O_EXCL on an existing file: EEXIST");
	check(open("/tmp/d/missing", O_RDONLY) == -1 && errno == ENOENT, "missing file: ENOENT");
	check(rename("/tmp/d/a", "/tmp/d/b") == 0, "rename a -> b");
	check(access("/tmp/d/a", F_OK) == -1 && errno == ENOENT, "a is gone");
	for (int i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof(name), "/tmp/d/f%d", i);
		int f = open(name, O_CREAT | O_WRONLY, 0644);
		check(f >= 0 && close(f) == 0, "create a file");
	}

	DIR *dir = opendir("/tmp/d");
	check(dir != NULL, "opendir");
	char *names[16];
	int count = 0;
	struct dirent *de;
	while (dir && (de = readdir(dir)) && count < 16)
		names[count++] = strdup(de->d_name);
	if (dir)
		closedir(dir);
	/* Directory order is the file system's business: sort before printing. */
	qsort(names, count, sizeof(names[0]), cmp_names);
	printf("directory:");
	for (int i = 0; i < count; i++)
		printf(" %s", names[i]);
	printf("\n");

	check(rmdir("/tmp/d") == -1 && errno == ENOTEMPTY, "rmdir of a non-empty dir: ENOTEMPTY");
	check(unlink("/tmp/d/b") == 0, "unlink b");
	for (int i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof(name), "/tmp/d/f%d", i);
		check(unlink(name) == 0, "unlink a file");
	}
	check(rmdir("/tmp/d") == 0, "rmdir /tmp/d");
	printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
