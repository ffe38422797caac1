/*
 * Symbolic links on /tmp (tmpfs), with the errno of every misuse: symlinkat, readlinkat
 * (truncated, of a file, of nothing), lstat and fstatat(AT_SYMLINK_NOFOLLOW) against stat,
 * statx without following, openat through a link, O_NOFOLLOW (ELOOP), O_CREAT|O_EXCL on a
 * link (EEXIST), O_CREAT through a dangling link, relative targets from the link's
 * directory and from a dirfd, ".." after a link, chdir through one and getcwd, 40 links in
 * a row followed and the 41st refused (ELOOP), a cycle, a link used as a directory
 * (ENOTDIR), renameat and unlinkat of a link, readlink of /proc/self/exe, and execve
 * through a link (argv[0] kept). Every step prints one line, as fileio does; a step that
 * fails says so and makes the exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* The call failed with `want`. */
static int fails_with(long r, int want)
{
	return r == -1 && errno == want;
}

static int is_file_text(const char *path, const char *want)
{
	char buf[64];
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strcmp(buf, want) == 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		/* Run through the link /tmp/l/exe: argv[0] is what the caller passed. */
		printf("child: argv[0] %s\n", argv[0]);
		return 7;
	}
	char buf[128];
	struct stat st, lst;

	check(mkdir("/tmp/l", 0755) == 0 && mkdir("/tmp/l/dir", 0755) == 0, "mkdir /tmp/l/dir");
	int fd = open("/tmp/l/file", O_CREAT | O_EXCL | O_WRONLY, 0644);
	check(fd >= 0 && write(fd, "contents\n", 9) == 9 && close(fd) == 0, "a file");
	check(symlink("file", "/tmp/l/rel") == 0, "symlink relative");
	check(symlink("/tmp/l/dir", "/tmp/l/abs") == 0, "symlink absolute");
	check(symlink("nowhere", "/tmp/l/dangling") == 0, "symlink dangling");
	check(fails_with(symlink("x", "/tmp/l/rel"), EEXIST), "symlink over a name: EEXIST");
	check(fails_with(symlink("", "/tmp/l/empty"), ENOENT), "symlink to \"\": ENOENT");
	check(fails_with(symlink("x", "/tmp/l/none/x"), ENOENT), "symlink in nothing: ENOENT");

	ssize_t n = readlink("/tmp/l/rel", buf, sizeof(buf));
	check(n == 4 && memcmp(buf, "file", 4) == 0, "readlink: file");
	check(readlink("/tmp/l/abs", buf, 3) == 3 && memcmp(buf, "/tm", 3) == 0,
	      "readlink truncated to 3");
	check(fails_with(readlink("/tmp/l/file", buf, sizeof(buf)), EINVAL),
	      "readlink of a file: EINVAL");
	check(fails_with(readlink("/tmp/l/none", buf, sizeof(buf)), ENOENT),
	      "readlink of nothing: ENOENT");
	int dirfd = open("/tmp/l", O_RDONLY | O_DIRECTORY);
	check(dirfd >= 0, "open /tmp/l as a dirfd");
	n = readlinkat(dirfd, "dangling", buf, sizeof(buf));
	check(n == 7 && memcmp(buf, "nowhere", 7) == 0, "readlinkat from a dirfd");

	check(lstat("/tmp/l/rel", &lst) == 0 && S_ISLNK(lst.st_mode) && lst.st_size == 4 &&
	          (lst.st_mode & 0777) == 0777,
	      "lstat: a link of 4 bytes, mode 0777");
	check(stat("/tmp/l/rel", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 9,
	      "stat follows it: 9 bytes");
	check(fstatat(dirfd, "abs", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode),
	      "fstatat AT_SYMLINK_NOFOLLOW");
	check(fstatat(dirfd, "abs", &st, 0) == 0 && S_ISDIR(st.st_mode), "fstatat follows");
	struct statx sx;
	check(statx(dirfd, "rel", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0 &&
	          S_ISLNK(sx.stx_mode) && sx.stx_size == 4,
	      "statx AT_SYMLINK_NOFOLLOW");
	check(fails_with(stat("/tmp/l/dangling", &st), ENOENT), "stat of a dangling link: ENOENT");
	check(lstat("/tmp/l/dangling", &st) == 0, "lstat of it works");

	check(is_file_text("/tmp/l/rel", "contents\n"), "read through the link");
	check(fails_with(open("/tmp/l/rel", O_RDONLY | O_NOFOLLOW), ELOOP), "O_NOFOLLOW: ELOOP");
	fd = open("/tmp/l/file", O_RDONLY | O_NOFOLLOW);
	check(fd >= 0 && close(fd) == 0, "O_NOFOLLOW on a file opens it");
	check(fails_with(open("/tmp/l/rel", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST),
	      "O_CREAT|O_EXCL on a link: EEXIST");
	check(fails_with(open("/tmp/l/dangling", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST),
	      "O_CREAT|O_EXCL on a dangling link: EEXIST");
	fd = open("/tmp/l/dangling", O_WRONLY | O_CREAT, 0644);
	check(fd >= 0 && close(fd) == 0 && stat("/tmp/l/nowhere", &st) == 0,
	      "O_CREAT through a dangling link makes its target");

	check(symlink("../file", "/tmp/l/dir/up") == 0 &&
	          is_file_text("/tmp/l/dir/up", "contents\n"),
	      "a relative target is taken from the link's directory");
	check(mkdir("/tmp/l/dir/sub", 0755) == 0 && symlink("/tmp/l/dir/sub", "/tmp/deep") == 0,
	      "a link to a directory two down");
	check(stat("/tmp/deep/..", &st) == 0 && stat("/tmp/l/dir", &lst) == 0 &&
	          st.st_ino == lst.st_ino,
	      ".. after a link is the target's parent");
	check(chdir("/tmp/deep") == 0 && getcwd(buf, sizeof(buf)) &&
	          strcmp(buf, "/tmp/l/dir/sub") == 0,
	      "chdir through a link: getcwd is where it led");
	check(chdir("..") == 0 && getcwd(buf, sizeof(buf)) && strcmp(buf, "/tmp/l/dir") == 0,
	      "chdir .. from there");
	check(chdir("/") == 0, "chdir /");

	for (int i = 0; i < 40; i++) {
		char name[32], target[32];
		snprintf(name, sizeof(name), "/tmp/l/c%d", i);
		snprintf(target, sizeof(target), i == 39 ? "file" : "c%d", i + 1);
		if (symlink(target, name) != 0)
			check(0, "a chain link");
	}
	check(stat("/tmp/l/c0", &st) == 0 && S_ISREG(st.st_mode), "40 links in a row: followed");
	check(symlink("c0", "/tmp/l/c40") == 0 && fails_with(stat("/tmp/l/c40", &st), ELOOP),
	      "41 links: ELOOP");
	check(symlink("loop", "/tmp/l/loop") == 0 &&
	          fails_with(open("/tmp/l/loop", O_RDONLY), ELOOP),
	      "a link to itself: ELOOP");
	check(fails_with(stat("/tmp/l/rel/x", &st), ENOTDIR),
	      "a link to a file as a directory: ENOTDIR");
	check(fails_with(rmdir("/tmp/l/abs"), ENOTDIR), "rmdir of a link to a directory: ENOTDIR");

	check(renameat(dirfd, "rel", dirfd, "rel2") == 0 && readlink("/tmp/l/rel2", buf, 4) == 4 &&
	          lstat("/tmp/l/rel", &st) == -1,
	      "renameat moves the link");
	check(unlinkat(dirfd, "rel2", 0) == 0 && stat("/tmp/l/file", &st) == 0,
	      "unlinkat removes the link, not the file");
	check(unlink("/tmp/l/abs") == 0 && stat("/tmp/l/dir", &st) == 0 && S_ISDIR(st.st_mode),
	      "unlink of a link to a directory");

	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	check(n > 0 && strcmp(buf, "/bin/links") == 0, "readlink /proc/self/exe: /bin/links");
	check(symlink("/bin/links", "/tmp/l/exe") == 0, "a link to this program");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		char *args[] = {"called-so", "child", NULL};
		execv("/tmp/l/exe", args);
		_exit(99);
	}
	int status = 0;
	check(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	          WEXITSTATUS(status) == 7,
	      "execve through a link: the program ran");
	close(dirfd);
	printf("links: %d failures\n", failures);
	return failures != 0;
}
