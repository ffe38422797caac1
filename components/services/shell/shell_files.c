/*
 * The shell's file commands: ls [-l], cat, cp, mv, rm, mkdir, rmdir, touch, write, df,
 * mount, cd, pwd. They use only POSIX calls (libm6's file API, m6::files), so what they
 * show is what any program of the component would see. An error names the command, the
 * path and strerror's text: "cat: /nope: No such file or directory".
 *
 * `sync` writes every file system's data to its device; poweroff and reset call it first
 * (shell_files_before_off).
 *
 * They work when the shell's spec grants the file service (`call vfs.files as VFS badge N
 * window SIZE`: CAP_VFS, and m6::files initialises before main); otherwise each says the
 * system has none, and the binary carries no file code at all.
 */
#define _DEFAULT_SOURCE /* POSIX names from picolibc's headers under -std=c11 */
#include <stdio.h>

#include <m6_caps.h>

#include "shell_files.h"

#ifndef CAP_VFS

/* Each command says the system has none (and the binary carries no file code). */
#define NO_FILES(cmd)                                                     \
	void shell_##cmd(int argc, char **argv)                           \
	{                                                                 \
		(void)argc;                                               \
		printf("%s: this system has no file service\n", argv[0]); \
	}
NO_FILES(ls)
NO_FILES(cat)
NO_FILES(cp)
NO_FILES(mv)
NO_FILES(rm)
NO_FILES(mkdir)
NO_FILES(rmdir)
NO_FILES(touch)
NO_FILES(write)
NO_FILES(df)
NO_FILES(mount)
NO_FILES(cd)
NO_FILES(pwd)
NO_FILES(sync)

/* Nothing to sync, no motd. */
void shell_files_before_off(void)
{
}

void shell_files_motd(void)
{
}

#else

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <m6/files.h>
#include <m6/format.h>

#define PATH_BYTES 4096 /* the VFS's PATH_MAX, the NUL included */

static char copy_buf[4096];     /* cat, cp: one piece of a file */
static char joined[PATH_BYTES]; /* DIR/NAME for ls -l, cp and mv into a directory */
static char mount_text[2048];   /* df, mount: the mount table */

/* Prints "CMD: PATH: reason" for errno; the command stops there or goes on with the next
 * argument, as its caller decides. */
static void fail(const char *cmd, const char *path)
{
	printf("%s: %s: %s\n", cmd, path, strerror(errno));
}

/* A usable file service, or a line saying there is none. */
static bool have_files(char **argv)
{
	if (m6_files_ready())
		return true;
	printf("%s: this system has no file service\n", argv[0]);
	return false;
}

/* dir + "/" + name into `joined`: NULL (errno ENAMETOOLONG) if it does not fit. */
static const char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	const char *sep = n && dir[n - 1] == '/' ? "" : "/";
	if ((size_t)snprintf(joined, sizeof(joined), "%s%s%s", dir, sep, name) >= sizeof(joined)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return joined;
}

/* The last name of a path ("a/b/" -> "b/" is not wanted: trailing slashes are skipped by
 * measuring up to them). Returns the start and sets *len. */
static const char *last_name(const char *path, size_t *len)
{
	size_t end = strlen(path);
	while (end > 1 && path[end - 1] == '/')
		end--;
	size_t start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	*len = end - start;
	return path + start;
}

/* Where `cp`/`mv` put SRC when DST is given: DST/name-of-SRC if DST is a directory. */
static const char *target_of(const char *src, const char *dst)
{
	struct stat st;
	if (stat(dst, &st) < 0 || !S_ISDIR(st.st_mode))
		return dst;
	size_t len;
	const char *name = last_name(src, &len);
	char base[256];
	if (len == 0 || len >= sizeof(base))
		return dst; /* "/" or a name the VFS will refuse anyway */
	memcpy(base, name, len);
	base[len] = '\0';
	return join(dst, base);
}

/* ---- ls ---- */

static void mode_string(mode_t m, char out[11])
{
	out[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' : '-';
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		out[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
	out[10] = '\0';
}

static void ls_entry(const char *shown, const struct stat *st, bool long_format)
{
	if (!long_format) {
		printf("%s%s\n", shown, S_ISDIR(st->st_mode) ? "/" : "");
		return;
	}
	char mode[11];
	mode_string(st->st_mode, mode);
	printf("%s %2u %4u %4u %9lld %s%s\n", mode, (unsigned)st->st_nlink, (unsigned)st->st_uid,
	       (unsigned)st->st_gid, (long long)st->st_size, shown,
	       S_ISDIR(st->st_mode) ? "/" : "");
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of a directory but "." and "..", sorted (the VFS's order is the file
 * system's): each line is then the same whatever file system holds it. */
static void ls_dir(const char *path, bool long_format)
{
	DIR *d = opendir(path);
	if (!d) {
		fail("ls", path);
		return;
	}
	char **names = NULL;
	size_t count = 0, room = 0;
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (count == room) {
			room = room ? 2 * room : 32;
			char **more = realloc(names, room * sizeof(*names));
			if (!more)
				break;
			names = more;
		}
		if (!(names[count] = strdup(e->d_name)))
			break;
		count++;
	}
	if (errno)
		fail("ls", path); /* what was read so far is still listed */
	closedir(d);
	qsort(names, count, sizeof(*names), by_name);
	for (size_t i = 0; i < count; i++) {
		struct stat st;
		const char *full = join(path, names[i]);
		if (!full || stat(full, &st) < 0)
			fail("ls", full ? full : names[i]);
		else
			ls_entry(names[i], &st, long_format);
		free(names[i]);
	}
	free(names);
}

void shell_ls(int argc, char **argv)
{
	if (!have_files(argv))
		return;
	bool long_format = false;
	int i = 1;
	if (i < argc && strcmp(argv[i], "-l") == 0) {
		long_format = true;
		i++;
	}
	if (i < argc && argv[i][0] == '-' && argv[i][1]) {
		printf("usage: ls [-l] [PATH...]\n");
		return;
	}
	const char *here[] = {"."};
	char **paths = i < argc ? argv + i : (char **)here;
	int n = i < argc ? argc - i : 1;
	for (int k = 0; k < n; k++) {
		struct stat st;
		if (stat(paths[k], &st) < 0) {
			fail("ls", paths[k]);
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			ls_entry(paths[k], &st, long_format);
			continue;
		}
		if (n > 1)
			printf("%s:\n", paths[k]);
		ls_dir(paths[k], long_format);
	}
}

/* ---- reading and writing files ---- */

void shell_cat(int argc, char **argv)
{
	if (!have_files(argv))
		return;
	if (argc < 2) {
		printf("usage: cat FILE...\n");
		return;
	}
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			fail("cat", argv[i]);
			continue;
		}
		ssize_t n;
		while ((n = read(fd, copy_buf, sizeof(copy_buf))) > 0)
			fwrite(copy_buf, 1, (size_t)n, stdout);
		if (n < 0)
			fail("cat", argv[i]);
		close(fd);
	}
}

void shell_files_motd(void)
{
	/* Quietly nothing when there is no /etc/motd: a system need not have one. */
	if (!m6_files_ready())
		return;
	int fd = open("/etc/motd", O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n;
	while ((n = read(fd, copy_buf, sizeof(copy_buf))) > 0)
		fwrite(copy_buf, 1, (size_t)n, stdout);
	close(fd);
}

/* Copies src to dst: 0, or -1 after printing which side failed. */
static int copy_file(const char *src, const char *dst)
{
	struct stat st;
	if (stat(src, &st) < 0) {
		fail("cp", src);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR; /* no -r */
		fail("cp", src);
		return -1;
	}
	int in = open(src, O_RDONLY);
	if (in < 0) {
		fail("cp", src);
		return -1;
	}
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 0777);
	if (out < 0) {
		fail("cp", dst);
		close(in);
		return -1;
	}
	int result = 0;
	ssize_t n;
	while ((n = read(in, copy_buf, sizeof(copy_buf))) > 0) {
		ssize_t w = write(out, copy_buf, (size_t)n);
		if (w != n) {
			if (w >= 0)
				errno = ENOSPC; /* a short write: the file system filled up */
			fail("cp", dst);
			result = -1;
			break;
		}
	}
	if (n < 0) {
		fail("cp", src);
		result = -1;
	}
	close(in);
	if (close(out) < 0 && result == 0) {
		fail("cp", dst);
		result = -1;
	}
	return result;
}

void shell_cp(int argc, char **argv)
{
	if (!have_files(argv))
		return;
	if (argc != 3) {
		printf("usage: cp SOURCE DEST (DEST may be a directory)\n");
		return;
	}
	const char *dst = target_of(argv[1], argv[2]);
	if (!dst)
		fail("cp", argv[2]);
	else
		copy_file(argv[1], dst);
}

void shell_mv(int argc, char **argv)
{
	if (!have_files(argv))
		return;
	if (argc != 3) {
		printf("usage: mv SOURCE DEST (DEST may be a directory)\n");
		return;
	}
	const char *dst = target_of(argv[1], argv[2]);
	if (!dst)
		fail("mv", argv[2]);
	else if (rename(argv[1], dst) < 0)
		/* Which name was wrong: the source if it is gone, else the destination. */
		fail("mv", errno == ENOENT || errno == EXDEV ? argv[1] : dst);
}

/* rm, mkdir, rmdir, touch: one call per argument, each reported on its own. */
static void each(int argc, char **argv, int (*op)(const char *path))
{
	if (!have_files(argv))
		return;
	if (argc < 2) {
		printf("usage: %s PATH...\n", argv[0]);
		return;
	}
	for (int i = 1; i < argc; i++)
		if (op(argv[i]) < 0)
			fail(argv[0], argv[i]);
}

static int make_dir(const char *path)
{
	return mkdir(path, 0755);
}

/* touch makes a missing file (an empty one) and leaves an existing one alone: the VFS
 * protocol has no call that sets times yet. */
static int touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0) {
		if (errno != EISDIR)
			return -1;
		struct stat st; /* a directory exists: nothing to do */
		return stat(path, &st);
	}
	return close(fd);
}

void shell_rm(int argc, char **argv)
{
	each(argc, argv, unlink);
}

void shell_mkdir(int argc, char **argv)
{
	each(argc, argv, make_dir);
}

void shell_rmdir(int argc, char **argv)
{
	each(argc, argv, rmdir);
}

void shell_touch(int argc, char **argv)
{
	each(argc, argv, touch);
}

void shell_write(int argc, char **argv)
{
	if (!have_files(argv))
		return;
	if (argc < 2) {
		printf(
		    "usage: write FILE [TEXT...] (the words, joined by spaces, and a newline)\n");
		return;
	}
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		fail("write", argv[1]);
		return;
	}
	/* The line is built first and written with one call: all of it or an error. */
	size_t len = 0;
	for (int i = 2; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (len + n + 1 > sizeof(copy_buf))
			break; /* cannot happen: a shell line holds at most 512 bytes */
		memcpy(copy_buf + len, argv[i], n);
		len += n;
		copy_buf[len++] = i + 1 < argc ? ' ' : '\n';
	}
	if (len == 0)
		copy_buf[len++] = '\n';
	ssize_t w = write(fd, copy_buf, len);
	if (w != (ssize_t)len) {
		if (w >= 0)
			errno = ENOSPC; /* a short write: the file system filled up */
		fail("write", argv[1]);
	}
	if (close(fd) < 0)
		fail("write", argv[1]);
}

/* ---- the namespace ---- */

/* The mount table's text, or NULL after printing why not. */
static char *mounts(const char *cmd)
{
	if (m6_files_mounts(mount_text, sizeof(mount_text)) < 0) {
		printf("%s: %s\n", cmd, strerror(errno));
		return NULL;
	}
	return mount_text;
}

void shell_mount(int argc, char **argv)
{
	if (!have_files(argv))
		return;
	if (argc != 1) {
		printf("usage: mount (lists the mounts; the spec makes them)\n");
		return;
	}
	char *text = mounts("mount");
	if (!text)
		return;
	printf("%-16s %-8s %s\n", "MOUNTED ON", "TYPE", "MODE");
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char point[256], type[32], mode[8];
		if (sscanf(line, "%255s %31s %7s", point, type, mode) == 3)
			printf("%-16s %-8s %s\n", point, type, mode);
	}
}

void shell_df(int argc, char **argv)
{
	if (!have_files(argv))
		return;
	if (argc != 1) {
		printf("usage: df\n");
		return;
	}
	char *text = mounts("df");
	if (!text)
		return;
	printf("%-16s %-8s %10s %10s %10s %s\n", "MOUNTED ON", "TYPE", "SIZE", "USED", "FREE",
	       "MODE");
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char point[256], type[32], mode[8];
		if (sscanf(line, "%255s %31s %7s", point, type, mode) != 3)
			continue;
		struct statvfs v;
		if (statvfs(point, &v) < 0) {
			fail("df", point);
			continue;
		}
		char size[24], used[24], avail[24];
		uint64_t unit = v.f_frsize;
		m6_format_size(size, sizeof(size), v.f_blocks * unit);
		m6_format_size(used, sizeof(used), (v.f_blocks - v.f_bfree) * unit);
		m6_format_size(avail, sizeof(avail), v.f_bavail * unit);
		printf("%-16s %-8s %10s %10s %10s %s\n", point, type, size, used, avail,
		       v.f_flag & ST_RDONLY ? "ro" : "rw");
	}
}

void shell_cd(int argc, char **argv)
{
	if (!have_files(argv))
		return;
	if (argc > 2) {
		printf("usage: cd [DIR] (no DIR: /)\n");
		return;
	}
	const char *dir = argc == 2 ? argv[1] : "/";
	if (chdir(dir) < 0)
		fail("cd", dir);
}

void shell_pwd(int argc, char **argv)
{
	if (!have_files(argv))
		return;
	(void)argc;
	if (!getcwd(joined, sizeof(joined)))
		printf("pwd: %s\n", strerror(errno));
	else
		printf("%s\n", joined);
}

void shell_sync(int argc, char **argv)
{
	if (!have_files(argv))
		return;
	if (argc != 1) {
		printf("usage: sync (writes every file system's data to its device)\n");
		return;
	}
	if (m6_files_sync() < 0)
		printf("sync: %s\n", strerror(errno));
}

void shell_files_before_off(void)
{
	/* Data written to /disk may sit in the FAT component's caches until a sync; the
	 * machine is about to stop, so push it out first. A failure is reported but does not
	 * keep the machine on: the user asked for it off. */
	if (!m6_files_ready())
		return;
	printf("shell: syncing file systems\n");
	if (m6_files_sync() < 0)
		printf("shell: sync failed: %s\n", strerror(errno));
}

#endif
