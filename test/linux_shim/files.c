/*
 * File system calls through the shim (docs/linux.md, "Files and descriptors"): files on
 * /tmp (tmpfs) created, written, read back, seeked, pread/pwrite, truncated, stat'ed
 * (stat, fstat, statx), listed with getdents64, renamed, unlinked; directories made and
 * removed; *at calls on a directory descriptor; chdir/getcwd with relative paths; dup,
 * dup3, fcntl and close-on-exec flags; RLIMIT_NOFILE and EMFILE; and the errno of each
 * misuse. One line per check; "FAILED" marks a failure and the exit status counts them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;
/* An address no program maps (the shim answers EFAULT); volatile so the compiler does not
 * object to it. */
static void *volatile bad = (void *)8;

static void check(int ok, const char *what)
{
	if (ok) {
		printf("files: %s: ok\n", what);
	} else {
		printf("files: %s: FAILED (errno %d)\n", what, errno);
		failures++;
	}
}

/* A call that must fail with `e`. */
static void fails(long r, int e, const char *what)
{
	char line[160];
	snprintf(line, sizeof(line), "%s -> %s", what, strerrorname_np(e));
	check(r == -1 && errno == e, line);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, by raw getdents64, sorted, joined by spaces into out. */
static int list(int dfd, char *out, size_t size)
{
	char buf[512];
	char *names[32];
	int n = 0;
	long got;
	while ((got = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got;) {
			unsigned short reclen;
			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			if (n < 32)
				names[n++] = strdup(buf + off + 19);
			off += reclen;
		}
	}
	if (got < 0)
		return -1;
	qsort(names, n, sizeof(names[0]), cmp);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		strncat(out, names[i], size - strlen(out) - 2);
		strncat(out, " ", size - strlen(out) - 1);
		free(names[i]);
	}
	return n;
}

int main(void)
{
	const char text[] = "hello, file\n";
	char buf[256];
	struct stat st;

	check(mkdir("/tmp/t", 0750) == 0, "mkdir /tmp/t");
	fails(mkdir("/tmp/t", 0750), EEXIST, "mkdir again");
	int fd = open("/tmp/t/a", O_CREAT | O_EXCL | O_RDWR, 0640);
	check(fd == 3, "open O_CREAT|O_EXCL is fd 3");
	check(write(fd, text, 12) == 12, "write 12 bytes");
	check(lseek(fd, 0, SEEK_CUR) == 12, "offset 12");
	check(lseek(fd, 7, SEEK_SET) == 7 && read(fd, buf, 4) == 4 && memcmp(buf, "file", 4) == 0,
	      "lseek 7, read 'file'");
	check(pwrite(fd, "HELLO", 5, 0) == 5 && lseek(fd, 0, SEEK_CUR) == 11,
	      "pwrite keeps offset");
	memset(buf, 0, sizeof(buf));
	check(pread(fd, buf, sizeof(buf), 0) == 12 && strcmp(buf, "HELLO, file\n") == 0,
	      "pread the whole file");
	check(lseek(fd, 0, SEEK_END) == 12, "lseek SEEK_END");
	check(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0640 &&
	          st.st_size == 12 && st.st_nlink == 1 && st.st_blksize > 0,
	      "fstat: regular, 0640, 12 bytes");
	check(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5, "ftruncate to 5");
	check(ftruncate(fd, 4096 * 3) == 0 && pread(fd, buf, 4, 8192) == 4 && buf[0] == 0 &&
	          buf[3] == 0,
	      "ftruncate up reads zeros");
	struct statx sx;
	check(statx(AT_FDCWD, "/tmp/t/a", 0, STATX_BASIC_STATS, &sx) == 0 &&
	          (sx.stx_mask & STATX_SIZE) && sx.stx_size == 12288 && S_ISREG(sx.stx_mode) &&
	          (sx.stx_mode & 0777) == 0640 && sx.stx_ino == st.st_ino,
	      "statx: size, mode, inode");
	check(stat("/tmp/t/a", &st) == 0 && st.st_size == 12288, "stat by path");
	check(fchmod(fd, 0600) == 0 && stat("/tmp/t/a", &st) == 0 && (st.st_mode & 07777) == 0600,
	      "fchmod 0600");

	/* descriptors: dup shares the offset, dup3 and fcntl flags */
	int d = dup(fd);
	check(d == 4, "dup is the lowest free (4)");
	check(lseek(fd, 2, SEEK_SET) == 2 && lseek(d, 0, SEEK_CUR) == 2, "dup shares the offset");
	check(fcntl(fd, F_GETFD) == 0 && fcntl(d, F_SETFD, FD_CLOEXEC) == 0 &&
	          fcntl(d, F_GETFD) == FD_CLOEXEC && fcntl(fd, F_GETFD) == 0,
	      "FD_CLOEXEC is per descriptor");
	check((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "F_GETFL O_RDWR");
	check(fcntl(fd, F_SETFL, O_APPEND) == 0 && (fcntl(d, F_GETFL) & O_APPEND),
	      "F_SETFL O_APPEND shows on the dup");
	check(lseek(fd, 0, SEEK_SET) == 0 && write(d, "!", 1) == 1 &&
	          lseek(fd, 0, SEEK_CUR) == 12289,
	      "O_APPEND writes at the end");
	check(fcntl(fd, F_DUPFD, 10) == 10 && fcntl(fd, F_DUPFD_CLOEXEC, 10) == 11 &&
	          fcntl(11, F_GETFD) == FD_CLOEXEC,
	      "F_DUPFD 10, F_DUPFD_CLOEXEC 11");
	check(dup3(fd, 20, O_CLOEXEC) == 20 && fcntl(20, F_GETFD) == FD_CLOEXEC, "dup3 O_CLOEXEC");
	fails(dup3(fd, fd, 0), EINVAL, "dup3 to itself");
	check(dup2(fd, fd) == fd, "dup2 to itself");
	check(close(10) == 0 && close(11) == 0 && close(20) == 0 && close(d) == 0, "close dups");
	fails(close(d), EBADF, "close twice");
	fails(read(77, buf, 1), EBADF, "read fd 77");
	fails(write(-1, buf, 1), EBADF, "write fd -1");
	fails(fcntl(99, F_GETFD), EBADF, "fcntl fd 99");
	check(lseek(fd, 0, SEEK_SET) == 0, "lseek 0");
	fails(read(fd, bad, 4), EFAULT, "read to address 8");
	fails(write(fd, bad, 4), EFAULT, "write from address 8");
	fails(syscall(SYS_openat, AT_FDCWD, bad, O_RDONLY), EFAULT, "open path at 8");
	fails(fstat(fd, bad), EFAULT, "fstat to address 8");
	check(close(fd) == 0, "close");

	fd = open("/tmp/t/a", O_RDONLY);
	fails(write(fd, "x", 1), EBADF, "write to O_RDONLY");
	close(fd);
	fd = open("/tmp/t/a", O_WRONLY);
	fails(read(fd, buf, 1), EBADF, "read from O_WRONLY");
	close(fd);

	/* errors on paths */
	fails(open("/tmp/t/none", O_RDONLY), ENOENT, "open a missing file");
	fails(open("/tmp/t/a", O_CREAT | O_EXCL | O_WRONLY, 0600), EEXIST, "O_EXCL on a file");
	fails(open("/tmp/t/a/b", O_RDONLY), ENOTDIR, "a file as a directory");
	fails(open("/tmp/t", O_WRONLY), EISDIR, "write-open a directory");
	fails(open("/tmp/t/a", O_RDONLY | O_DIRECTORY), ENOTDIR, "O_DIRECTORY on a file");
	fails(rmdir("/tmp/t/a"), ENOTDIR, "rmdir a file");
	fails(unlink("/tmp/t"), EISDIR, "unlink a directory");
	fails(rmdir("/tmp/t"), ENOTEMPTY, "rmdir non-empty");
	fails(stat("/tmp/none", &st), ENOENT, "stat a missing file");
	fails(stat(bad, &st), EFAULT, "stat path at 8");

	/* directories: *at calls, a listing, rename, chdir */
	int dir = open("/tmp/t", O_RDONLY | O_DIRECTORY);
	check(dir >= 0, "open the directory");
	check(fstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0750,
	      "fstat: directory 0750");
	check(mkdirat(dir, "sub", 0755) == 0, "mkdirat dir sub");
	int b = openat(dir, "sub/b", O_CREAT | O_WRONLY, 0644);
	check(b >= 0 && write(b, "bee\n", 4) == 4 && close(b) == 0, "openat dir sub/b");
	check(fstatat(dir, "sub/b", &st, 0) == 0 && st.st_size == 4, "fstatat dir sub/b");
	check(fstatat(dir, "", &st, AT_EMPTY_PATH) == 0 && S_ISDIR(st.st_mode),
	      "fstatat AT_EMPTY_PATH");
	check(renameat(dir, "a", dir, "sub/../c") == 0, "renameat a -> c");
	fails(access("/tmp/t/a", F_OK), ENOENT, "a is gone");
	check(access("/tmp/t/c", R_OK | W_OK) == 0, "access c");
	fails(access("/tmp/t/c", X_OK), EACCES, "c is not executable");
	check(list(dir, buf, sizeof(buf)) == 4 && strcmp(buf, ". .. c sub ") == 0, "getdents64");
	printf("files: listing: %s\n", buf);
	fails(syscall(SYS_getdents64, 1, buf, sizeof(buf)), ENOTDIR, "getdents64 on stdout");
	check(chdir("/tmp/t/sub") == 0 && getcwd(buf, sizeof(buf)) &&
	          strcmp(buf, "/tmp/t/sub") == 0,
	      "chdir, getcwd");
	check(stat("b", &st) == 0 && st.st_size == 4 && stat("../c", &st) == 0, "relative paths");
	check(chdir("..") == 0 && getcwd(buf, sizeof(buf)) && strcmp(buf, "/tmp/t") == 0,
	      "chdir ..");
	fails(chdir("c"), ENOTDIR, "chdir to a file");
	fails(syscall(SYS_getcwd, buf, 3), ERANGE, "getcwd, small buffer");
	check(fchdir(dir) == 0 && unlink("sub/b") == 0 && rmdir("sub") == 0 && unlink("c") == 0,
	      "unlink and rmdir, relative");
	check(lseek(dir, 0, SEEK_SET) == 0 && list(dir, buf, sizeof(buf)) == 2 &&
	          strcmp(buf, ". .. ") == 0,
	      "rewound, the listing is empty");
	close(dir);
	check(chdir("/") == 0 && rmdir("tmp/t") == 0, "rmdir /tmp/t");

	/* RLIMIT_NOFILE bounds the table */
	struct rlimit rl;
	check(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 3, "getrlimit RLIMIT_NOFILE");
	int last = -1, n = 0;
	for (;;) {
		int f = open("/dev/null", O_RDONLY);
		if (f < 0)
			break;
		last = f;
		n++;
	}
	char line[80];
	snprintf(line, sizeof(line), "EMFILE after %d opens (last fd %d)", n, last);
	check(errno == EMFILE && (rlim_t)last == rl.rlim_cur - 1, line);
	for (int f = 3; f <= last; f++)
		close(f);
	check(open("/dev/null", O_RDONLY) == 3, "fd 3 free again");

	printf("files: %d failures\n", failures);
	return failures ? 1 : 0;
}
