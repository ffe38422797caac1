/*
 * The fs.h conformance suite: see fs_conformance.h. Each test gets a fresh file system from
 * the factory; the checks name the op and the expected errno through CMocka's messages
 * (file:line of the failing assert).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fs_conformance.h"

static const struct fs_conformance *conf;

struct env {
	struct vfs_fs fs;
};

static int setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));
	assert_non_null(env);
	assert_int_equal(conf->make(conf->ctx, &env->fs), 0);
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	struct env *env = *state;
	conf->destroy(conf->ctx, &env->fs);
	free(env);
	return 0;
}

static bool has(uint32_t flag)
{
	return (conf->flags & flag) != 0;
}

/* Shorthands for the ops of the file system under test. */
#define FS         (&((struct env *)*state)->fs)
#define OP(f, ...) (FS->ops->f(FS->state, __VA_ARGS__))

#define RW_CREATE  (VFS_O_RDWR | VFS_O_CREAT)

static uint64_t xopen(void **state, const char *path, uint32_t flags)
{
	uint64_t h = 0;
	struct vfs_attr a;
	assert_int_equal(OP(open, path, flags, 0644, &h, &a), 0);
	return h;
}

/* Creates (or empties) `path` holding `len` bytes of `data`. */
static void put(void **state, const char *path, const void *data, size_t len)
{
	uint64_t h = xopen(state, path, RW_CREATE | VFS_O_TRUNC);
	if (len)
		assert_int_equal(OP(write, h, 0, data, len), (long)len);
	assert_int_equal(OP(close, h), 0);
}

/* The whole contents of `path` into buf (at most cap bytes); the length. */
static size_t get(void **state, const char *path, void *buf, size_t cap)
{
	uint64_t h = xopen(state, path, VFS_O_RDONLY);
	long n = OP(read, h, 0, buf, cap);
	assert_true(n >= 0);
	assert_int_equal(OP(close, h), 0);
	return (size_t)n;
}

static void expect_contents(void **state, const char *path, const char *want)
{
	char buf[256];
	size_t n = get(state, path, buf, sizeof(buf));
	assert_int_equal(n, strlen(want));
	assert_memory_equal(buf, want, n);
}

static struct vfs_attr xstat(void **state, const char *path)
{
	struct vfs_attr a;
	assert_int_equal(OP(stat, path, &a), 0);
	return a;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* ---- tests that only read -------------------------------------------------------------- */

static void t_root(void **state)
{
	struct vfs_attr a = xstat(state, "");
	assert_true(VFS_S_ISDIR(a.mode));
	uint64_t h = xopen(state, "", VFS_O_RDONLY | VFS_O_DIRECTORY);
	struct vfs_dirent d;
	assert_int_equal(OP(readdir, h, 0, &d), 1);
	assert_string_equal(d.name, ".");
	assert_int_equal(d.name_len, 1);
	assert_int_equal(d.type, VFS_DT_DIR);
	assert_int_equal(d.ino, a.ino);
	assert_int_equal(OP(readdir, h, d.next, &d), 1);
	assert_string_equal(d.name, "..");
	assert_int_equal(d.type, VFS_DT_DIR);
	struct vfs_attr g;
	assert_int_equal(OP(getattr, h, &g), 0);
	assert_int_equal(g.ino, a.ino);
	/* A directory is not read or written as a file. */
	char c;
	assert_int_equal(OP(read, h, 0, &c, 1), -VFS_EISDIR);
	assert_int_equal(OP(close, h), 0);
	/* Opening a directory for writing, or the root with O_CREAT|O_EXCL. */
	struct vfs_attr x;
	assert_int_equal(OP(open, "", VFS_O_WRONLY, 0, &h, &x), -VFS_EISDIR);
	assert_int_equal(OP(open, "", VFS_O_RDWR, 0, &h, &x), -VFS_EISDIR);
	int r = OP(open, "", RW_CREATE | VFS_O_EXCL, 0644, &h, &x);
	assert_true(r == -VFS_EEXIST || r == -VFS_EROFS);
	struct vfs_statfs st;
	memset(&st, 0xa5, sizeof(st));
	assert_int_equal(OP(statfs, &st), 0);
	assert_true(memchr(st.type, '\0', sizeof(st.type)) != NULL);
	assert_true(st.bsize > 0);
	assert_true(st.namemax > 0 && st.namemax <= VFS_NAME_MAX);
	assert_int_equal(!!(st.flags & VFS_STATFS_RDONLY), has(FS_CONF_READ_ONLY));
	assert_int_equal(OP(sync, UINT64_MAX), 0);
}

static void t_missing(void **state)
{
	struct vfs_attr a;
	uint64_t h;
	assert_int_equal(OP(stat, "nope", &a), -VFS_ENOENT);
	assert_int_equal(OP(stat, "nope/deeper", &a), -VFS_ENOENT);
	assert_int_equal(OP(open, "nope", VFS_O_RDONLY, 0, &h, &a), -VFS_ENOENT);
	assert_int_equal(OP(open, "nope/x", VFS_O_RDONLY, 0, &h, &a), -VFS_ENOENT);
}

/* Handles the file system never gave out, and ones it took back, are -EBADF. */
static void t_bad_handles(void **state)
{
	uint64_t forged[] = {
	    0,         1, 2, 0x100000000ull, 0xffffffffull, UINT64_MAX - 1, 0x123456789abcdefull,
	    1ull << 63};
	char buf[8] = {0};
	struct vfs_attr a;
	struct vfs_dirent d;
	uint64_t h = xopen(state, "", VFS_O_RDONLY);
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		uint64_t f = forged[i];
		if (f == h)
			continue;
		assert_int_equal(OP(read, f, 0, buf, 1), -VFS_EBADF);
		assert_int_equal(OP(write, f, 0, buf, 1), -VFS_EBADF);
		assert_int_equal(OP(truncate, f, 0), -VFS_EBADF);
		assert_int_equal(OP(getattr, f, &a), -VFS_EBADF);
		assert_int_equal(OP(setattr, f, VFS_SET_MODE, &a), -VFS_EBADF);
		assert_int_equal(OP(readdir, f, 0, &d), -VFS_EBADF);
		assert_int_equal(OP(sync, f), -VFS_EBADF);
		assert_int_equal(OP(close, f), -VFS_EBADF);
	}
	/* Closed: every op on it fails, even after its slot is given out again. */
	assert_int_equal(OP(close, h), 0);
	assert_int_equal(OP(close, h), -VFS_EBADF);
	assert_int_equal(OP(getattr, h, &a), -VFS_EBADF);
	uint64_t h2 = xopen(state, "", VFS_O_RDONLY);
	assert_true(h2 != h);
	assert_int_equal(OP(readdir, h, 0, &d), -VFS_EBADF);
	assert_int_equal(OP(close, h), -VFS_EBADF);
	assert_int_equal(OP(readdir, h2, 0, &d), 1);
	assert_int_equal(OP(close, h2), 0);
}

static void t_read_only(void **state)
{
	uint64_t h;
	struct vfs_attr a;
	assert_int_equal(OP(open, "newfile", RW_CREATE, 0644, &h, &a), -VFS_EROFS);
	assert_int_equal(OP(mkdir, "newdir", 0755), -VFS_EROFS);
	assert_int_equal(OP(rmdir, "newdir"), -VFS_EROFS);
	assert_int_equal(OP(unlink, "newfile"), -VFS_EROFS);
	assert_int_equal(OP(rename, "a", "b"), -VFS_EROFS);
	h = xopen(state, "", VFS_O_RDONLY);
	assert_int_equal(OP(setattr, h, VFS_SET_MODE, &a), -VFS_EROFS);
	assert_int_equal(OP(close, h), 0);
}

/* ---- files ----------------------------------------------------------------------------- */

static void t_open_flags(void **state)
{
	uint64_t h;
	struct vfs_attr a;

	/* O_CREAT makes an empty regular file with the permission bits asked. */
	assert_int_equal(OP(open, "f", RW_CREATE | VFS_O_EXCL, 0640, &h, &a), 0);
	assert_true(VFS_S_ISREG(a.mode));
	if (!has(FS_CONF_NO_MODES))
		assert_int_equal(a.mode & 07777, 0640);
	assert_int_equal(a.size, 0);
	assert_int_equal(a.nlink, 1);
	assert_int_equal(OP(write, h, 0, "hello", 5), 5);
	assert_int_equal(OP(close, h), 0);
	/* O_EXCL refuses an existing name, O_CREAT alone opens it and keeps the contents. */
	assert_int_equal(OP(open, "f", RW_CREATE | VFS_O_EXCL, 0644, &h, &a), -VFS_EEXIST);
	assert_int_equal(OP(open, "f", RW_CREATE, 0600, &h, &a), 0);
	assert_int_equal(a.size, 5);
	if (!has(FS_CONF_NO_MODES))
		assert_int_equal(a.mode & 07777, 0640); /* the mode applies to a new file only */
	assert_int_equal(OP(close, h), 0);
	/* O_TRUNC opened for writing empties it. */
	assert_int_equal(OP(open, "f", VFS_O_WRONLY | VFS_O_TRUNC, 0, &h, &a), 0);
	assert_int_equal(a.size, 0);
	assert_int_equal(OP(close, h), 0);
	assert_int_equal(xstat(state, "f").size, 0);
	/* The parent must exist and be a directory. */
	assert_int_equal(OP(open, "nodir/g", RW_CREATE, 0644, &h, &a), -VFS_ENOENT);
	assert_int_equal(OP(open, "f/g", RW_CREATE, 0644, &h, &a), -VFS_ENOTDIR);
	assert_int_equal(OP(open, "f/g", VFS_O_RDONLY, 0, &h, &a), -VFS_ENOTDIR);
	assert_int_equal(OP(stat, "f/g", &a), -VFS_ENOTDIR);
	/* O_DIRECTORY only opens directories; directories never open for writing. */
	assert_int_equal(OP(open, "f", VFS_O_RDONLY | VFS_O_DIRECTORY, 0, &h, &a), -VFS_ENOTDIR);
	assert_int_equal(OP(mkdir, "d", 0755), 0);
	assert_int_equal(OP(open, "d", VFS_O_WRONLY, 0, &h, &a), -VFS_EISDIR);
	assert_int_equal(OP(open, "d", VFS_O_RDWR | VFS_O_TRUNC, 0, &h, &a), -VFS_EISDIR);
	assert_int_equal(OP(open, "d", VFS_O_RDONLY | VFS_O_DIRECTORY, 0, &h, &a), 0);
	assert_true(VFS_S_ISDIR(a.mode));
	char c;
	assert_int_equal(OP(read, h, 0, &c, 1), -VFS_EISDIR);
	assert_int_equal(OP(write, h, 0, "x", 1), -VFS_EISDIR);
	assert_int_equal(OP(truncate, h, 0), -VFS_EISDIR);
	assert_int_equal(OP(close, h), 0);
	/* A file in a subdirectory. */
	put(state, "d/inner", "in", 2);
	expect_contents(state, "d/inner", "in");
	/* Inode numbers differ. */
	assert_true(xstat(state, "f").ino != xstat(state, "d").ino);
	assert_true(xstat(state, "d/inner").ino != xstat(state, "f").ino);
	assert_true(xstat(state, "d").ino != xstat(state, "").ino);
}

static void t_read_write(void **state)
{
	enum { N = 3 * 4096 + 123 };
	static uint8_t data[N], back[N + 100];
	fill(data, N, 7);
	uint64_t h = xopen(state, "f", RW_CREATE);
	/* In odd pieces, so writes straddle page and cluster boundaries. */
	size_t pos = 0, piece = 1;
	while (pos < N) {
		size_t n = piece < N - pos ? piece : N - pos;
		assert_int_equal(OP(write, h, pos, data + pos, n), (long)n);
		pos += n;
		piece = piece * 3 + 1;
	}
	struct vfs_attr a;
	assert_int_equal(OP(getattr, h, &a), 0);
	assert_int_equal(a.size, N);
	assert_int_equal(OP(read, h, 0, back, sizeof(back)), N); /* short at the end */
	assert_memory_equal(back, data, N);
	assert_int_equal(OP(read, h, 4095, back, 2), 2);
	assert_memory_equal(back, data + 4095, 2);
	assert_int_equal(OP(read, h, N - 1, back, 10), 1);
	assert_int_equal(OP(read, h, N, back, 10), 0);
	assert_int_equal(OP(read, h, UINT64_MAX - 4, back, 10), 0);
	assert_int_equal(OP(read, h, 0, back, 0), 0);
	assert_int_equal(OP(write, h, 0, data, 0), 0);
	/* Overwrite in the middle: only those bytes change, the size stays. */
	assert_int_equal(OP(write, h, 5000, "XYZ", 3), 3);
	memcpy(data + 5000, "XYZ", 3);
	assert_int_equal(OP(read, h, 0, back, N), N);
	assert_memory_equal(back, data, N);
	assert_int_equal(OP(getattr, h, &a), 0);
	assert_int_equal(a.size, N);
	assert_int_equal(OP(close, h), 0);
	/* A second handle sees the same bytes. */
	assert_int_equal(get(state, "f", back, sizeof(back)), N);
	assert_memory_equal(back, data, N);
}

static void t_holes_and_truncate(void **state)
{
	static uint8_t buf[70000];
	uint64_t h = xopen(state, "f", RW_CREATE);
	struct vfs_attr a;
	/* A write past the end fills the gap with zeros. */
	assert_int_equal(OP(write, h, 0, "abc", 3), 3);
	assert_int_equal(OP(write, h, 65536 + 10, "end", 3), 3);
	assert_int_equal(OP(getattr, h, &a), 0);
	assert_int_equal(a.size, 65536 + 13);
	memset(buf, 0x55, sizeof(buf));
	assert_int_equal(OP(read, h, 0, buf, sizeof(buf)), 65536 + 13);
	assert_memory_equal(buf, "abc", 3);
	for (size_t i = 3; i < 65536 + 10; i++)
		if (buf[i] != 0)
			fail_msg("byte %zu of the hole is %#x", i, buf[i]);
	assert_memory_equal(buf + 65536 + 10, "end", 3);
	/* Shrink into the middle of a page, then grow: what was cut reads as zeros. */
	assert_int_equal(OP(truncate, h, 2), 0);
	assert_int_equal(OP(getattr, h, &a), 0);
	assert_int_equal(a.size, 2);
	assert_int_equal(OP(truncate, h, 8000), 0);
	memset(buf, 0x55, sizeof(buf));
	assert_int_equal(OP(read, h, 0, buf, sizeof(buf)), 8000);
	assert_memory_equal(buf, "ab", 2);
	for (size_t i = 2; i < 8000; i++)
		if (buf[i] != 0)
			fail_msg("byte %zu after a shrink and grow is %#x", i, buf[i]);
	/* A write beyond a shrunk end, then to zero. */
	assert_int_equal(OP(truncate, h, 5), 0);
	assert_int_equal(OP(write, h, 7, "Q", 1), 1);
	assert_int_equal(OP(read, h, 0, buf, 100), 8);
	assert_memory_equal(buf, "ab\0\0\0\0\0Q", 8);
	assert_int_equal(OP(truncate, h, 0), 0);
	assert_int_equal(OP(read, h, 0, buf, 100), 0);
	assert_int_equal(OP(truncate, h, 0), 0);
	assert_int_equal(OP(close, h), 0);
	assert_int_equal(xstat(state, "f").size, 0);
}

static void t_dirs(void **state)
{
	struct vfs_attr a;
	assert_int_equal(OP(mkdir, "a", 0750), 0);
	a = xstat(state, "a");
	assert_true(VFS_S_ISDIR(a.mode));
	if (!has(FS_CONF_NO_MODES))
		assert_int_equal(a.mode & 07777, 0750);
	assert_int_equal(OP(mkdir, "a", 0755), -VFS_EEXIST);
	assert_int_equal(OP(mkdir, "", 0755), -VFS_EEXIST);
	assert_int_equal(OP(mkdir, "a/b", 0755), 0);
	assert_int_equal(OP(mkdir, "a/b/c", 0755), 0);
	assert_int_equal(OP(mkdir, "x/y", 0755), -VFS_ENOENT);
	put(state, "a/f", "1", 1);
	assert_int_equal(OP(mkdir, "a/f", 0755), -VFS_EEXIST);
	assert_int_equal(OP(mkdir, "a/f/g", 0755), -VFS_ENOTDIR);
	/* rmdir: only empty directories, never files or the root. */
	assert_int_equal(OP(rmdir, "a"), -VFS_ENOTEMPTY);
	assert_int_equal(OP(rmdir, "a/b"), -VFS_ENOTEMPTY);
	assert_int_equal(OP(rmdir, "a/f"), -VFS_ENOTDIR);
	assert_int_equal(OP(rmdir, "a/nope"), -VFS_ENOENT);
	assert_int_equal(OP(rmdir, "a/f/x"), -VFS_ENOTDIR);
	assert_int_equal(OP(rmdir, ""), -VFS_EBUSY);
	/* unlink: only files. */
	assert_int_equal(OP(unlink, "a/b"), -VFS_EISDIR);
	assert_int_equal(OP(unlink, "a/nope"), -VFS_ENOENT);
	assert_int_equal(OP(unlink, "nope/x"), -VFS_ENOENT);
	assert_int_equal(OP(rmdir, "a/b/c"), 0);
	assert_int_equal(OP(stat, "a/b/c", &a), -VFS_ENOENT);
	assert_int_equal(OP(rmdir, "a/b"), 0);
	assert_int_equal(OP(unlink, "a/f"), 0);
	assert_int_equal(OP(stat, "a/f", &a), -VFS_ENOENT);
	assert_int_equal(OP(rmdir, "a"), 0);
	assert_int_equal(OP(stat, "a", &a), -VFS_ENOENT);
	/* The same names again, after they went. */
	assert_int_equal(OP(mkdir, "a", 0755), 0);
	put(state, "a/f", "2", 1);
	expect_contents(state, "a/f", "2");
}

static void t_dir_nlink(void **state)
{
	if (has(FS_CONF_NO_DIR_NLINK))
		skip();
	assert_int_equal(xstat(state, "").nlink, 2);
	assert_int_equal(OP(mkdir, "a", 0755), 0);
	assert_int_equal(OP(mkdir, "b", 0755), 0);
	put(state, "f", "", 0);
	assert_int_equal(xstat(state, "").nlink, 4);
	assert_int_equal(xstat(state, "a").nlink, 2);
	assert_int_equal(OP(mkdir, "a/x", 0755), 0);
	assert_int_equal(xstat(state, "a").nlink, 3);
	assert_int_equal(OP(rename, "a/x", "b/x"), 0);
	assert_int_equal(xstat(state, "a").nlink, 2);
	assert_int_equal(xstat(state, "b").nlink, 3);
	assert_int_equal(OP(rmdir, "b/x"), 0);
	assert_int_equal(xstat(state, "b").nlink, 2);
	assert_int_equal(OP(rmdir, "b"), 0);
	assert_int_equal(xstat(state, "").nlink, 3);
	assert_int_equal(xstat(state, "f").nlink, 1);
}

/* ---- readdir --------------------------------------------------------------------------- */

#define LIST_MAX 128

struct listing {
	int n;
	char names[LIST_MAX][VFS_NAME_MAX + 1];
	uint32_t types[LIST_MAX];
	uint64_t inos[LIST_MAX];
};

/* Reads entries from *cookie on, at most `max` of them (-1: to the end), into `l`. */
static void list_some(void **state, uint64_t h, uint64_t *cookie, int max, struct listing *l)
{
	struct vfs_dirent d;
	int r;
	while (max != 0 && (r = OP(readdir, h, *cookie, &d)) == 1) {
		assert_true(l->n < LIST_MAX);
		assert_int_equal(strlen(d.name), d.name_len);
		assert_true(d.next > *cookie || *cookie == 0);
		memcpy(l->names[l->n], d.name, d.name_len + 1);
		l->types[l->n] = d.type;
		l->inos[l->n] = d.ino;
		l->n++;
		*cookie = d.next;
		if (max > 0)
			max--;
	}
	if (max != 0)
		assert_int_equal(r, 0);
}

static int count(const struct listing *l, const char *name)
{
	int c = 0;
	for (int i = 0; i < l->n; i++)
		c += strcmp(l->names[i], name) == 0;
	return c;
}

static void t_readdir(void **state)
{
	char name[32];
	assert_int_equal(OP(mkdir, "d", 0755), 0);
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "d/entry%02d", i);
		if (i % 5 == 0)
			assert_int_equal(OP(mkdir, name, 0755), 0);
		else
			put(state, name, "", 0);
	}
	uint64_t h = xopen(state, "d", VFS_O_RDONLY | VFS_O_DIRECTORY), cookie = 0;
	static struct listing l;
	memset(&l, 0, sizeof(l));
	list_some(state, h, &cookie, -1, &l);
	assert_int_equal(l.n, 32);
	assert_string_equal(l.names[0], ".");
	assert_string_equal(l.names[1], "..");
	assert_int_equal(l.inos[0], xstat(state, "d").ino);
	assert_int_equal(l.inos[1], xstat(state, "").ino);
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "entry%02d", i);
		assert_int_equal(count(&l, name), 1);
		for (int j = 2; j < l.n; j++) {
			if (strcmp(l.names[j], name) != 0)
				continue;
			char path[40];
			snprintf(path, sizeof(path), "d/%s", name);
			struct vfs_attr a = xstat(state, path);
			assert_int_equal(l.inos[j], a.ino);
			assert_int_equal(l.types[j], i % 5 == 0 ? VFS_DT_DIR : VFS_DT_REG);
		}
	}
	/* At the end it stays at the end; a listing can start again from 0. */
	struct vfs_dirent d;
	assert_int_equal(OP(readdir, h, cookie, &d), 0);
	assert_int_equal(OP(readdir, h, 0, &d), 1);
	assert_string_equal(d.name, ".");
	assert_int_equal(OP(close, h), 0);
}

/* POSIX: an entry present from the start to the end of a listing is returned exactly once,
 * whatever is added and removed meanwhile. */
static void t_readdir_stable(void **state)
{
	char name[32];
	enum { N = 40 };
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		put(state, name, "", 0);
	}
	static struct listing l;
	memset(&l, 0, sizeof(l));
	uint64_t h = xopen(state, "", VFS_O_RDONLY | VFS_O_DIRECTORY), cookie = 0;
	list_some(state, h, &cookie, 17, &l); /* ".", "..", 15 files */
	bool removed[N] = {false};
	/* Remove every third file, some already listed, some not; add new ones. */
	for (int i = 0; i < N; i += 3) {
		snprintf(name, sizeof(name), "f%02d", i);
		assert_int_equal(OP(unlink, name), 0);
		removed[i] = true;
	}
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "new%02d", i);
		put(state, name, "", 0);
	}
	/* And one removed and added back under the same name. */
	assert_int_equal(OP(unlink, "f01"), 0);
	put(state, "f01", "", 0);
	removed[1] = true;
	list_some(state, h, &cookie, -1, &l);
	assert_int_equal(OP(close, h), 0);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		if (!removed[i])
			assert_int_equal(count(&l, name), 1);
		else
			assert_true(count(&l, name) <= (i == 1 ? 2 : 1));
	}
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "new%02d", i);
		assert_true(count(&l, name) <= 1);
	}
	assert_int_equal(count(&l, "."), 1);
	assert_int_equal(count(&l, ".."), 1);
}

/* ---- rename ---------------------------------------------------------------------------- */

static void t_rename(void **state)
{
	struct vfs_attr a;
	put(state, "f", "file f", 6);
	put(state, "g", "file g", 6);
	assert_int_equal(OP(mkdir, "d", 0755), 0);
	assert_int_equal(OP(mkdir, "e", 0755), 0);
	assert_int_equal(OP(mkdir, "full", 0755), 0);
	put(state, "full/x", "x", 1);

	/* A new name, in the same directory and in another. */
	uint64_t ino = xstat(state, "f").ino;
	assert_int_equal(OP(rename, "f", "f2"), 0);
	assert_int_equal(OP(stat, "f", &a), -VFS_ENOENT);
	assert_int_equal(xstat(state, "f2").ino, ino);
	expect_contents(state, "f2", "file f");
	assert_int_equal(OP(rename, "f2", "d/f3"), 0);
	expect_contents(state, "d/f3", "file f");
	assert_int_equal(OP(rename, "d/f3", "f"), 0);
	/* Same name: nothing happens. */
	assert_int_equal(OP(rename, "f", "f"), 0);
	expect_contents(state, "f", "file f");
	assert_int_equal(OP(rename, "d", "d"), 0);
	/* A file replaces a file. */
	assert_int_equal(OP(rename, "g", "f"), 0);
	expect_contents(state, "f", "file g");
	assert_int_equal(OP(stat, "g", &a), -VFS_ENOENT);
	/* Type mismatches and a full destination change nothing. */
	assert_int_equal(OP(rename, "f", "d"), -VFS_EISDIR);
	assert_int_equal(OP(rename, "d", "f"), -VFS_ENOTDIR);
	assert_int_equal(OP(rename, "d", "full"), -VFS_ENOTEMPTY);
	expect_contents(state, "f", "file g");
	expect_contents(state, "full/x", "x");
	assert_true(VFS_S_ISDIR(xstat(state, "d").mode));
	/* A directory into itself or below: -EINVAL. */
	assert_int_equal(OP(mkdir, "d/sub", 0755), 0);
	assert_int_equal(OP(rename, "d", "d/sub/d"), -VFS_EINVAL);
	assert_int_equal(OP(rename, "d", "d/inside"), -VFS_EINVAL);
	assert_int_equal(OP(rename, "d", "d/sub"), -VFS_EINVAL);
	assert_true(VFS_S_ISDIR(xstat(state, "d/sub").mode));
	/* A parent onto its own child's place is fine the other way round when empty. */
	assert_int_equal(OP(rename, "d/sub", "e"), 0); /* replaces the empty "e" */
	assert_int_equal(OP(stat, "d/sub", &a), -VFS_ENOENT);
	assert_true(VFS_S_ISDIR(xstat(state, "e").mode));
	/* A directory with contents moves with them. */
	put(state, "e/in", "inside", 6);
	assert_int_equal(OP(rename, "e", "d/moved"), 0);
	expect_contents(state, "d/moved/in", "inside");
	assert_int_equal(OP(stat, "e", &a), -VFS_ENOENT);
	/* Missing source, missing or non-directory destination parent, the root. */
	assert_int_equal(OP(rename, "nope", "x"), -VFS_ENOENT);
	assert_int_equal(OP(rename, "f", "nodir/x"), -VFS_ENOENT);
	assert_int_equal(OP(rename, "f", "f/x"), -VFS_ENOTDIR);
	assert_int_equal(OP(rename, "", "x"), -VFS_EBUSY);
	assert_int_equal(OP(rename, "d", ""), -VFS_EBUSY);
	expect_contents(state, "f", "file g");
	/* The replaced directory's name now lists the moved one's contents. */
	assert_int_equal(OP(mkdir, "empty", 0755), 0);
	assert_int_equal(OP(rename, "d/moved", "empty"), 0);
	expect_contents(state, "empty/in", "inside");
}

/* A file renamed while open keeps working through its handle. */
static void t_rename_open(void **state)
{
	uint64_t h = xopen(state, "f", RW_CREATE);
	assert_int_equal(OP(write, h, 0, "abc", 3), 3);
	assert_int_equal(OP(mkdir, "d", 0755), 0);
	assert_int_equal(OP(rename, "f", "d/g"), 0);
	assert_int_equal(OP(write, h, 3, "def", 3), 3);
	assert_int_equal(OP(close, h), 0);
	expect_contents(state, "d/g", "abcdef");
}

/* ---- unlinked while open --------------------------------------------------------------- */

static void t_unlink_open(void **state)
{
	uint64_t h = xopen(state, "f", RW_CREATE);
	assert_int_equal(OP(write, h, 0, "abc", 3), 3);
	int r = OP(unlink, "f");
	if (has(FS_CONF_NO_UNLINK_OPEN)) {
		assert_int_equal(r, -VFS_EBUSY);
		assert_int_equal(OP(close, h), 0);
		return;
	}
	assert_int_equal(r, 0);
	struct vfs_attr a;
	assert_int_equal(OP(stat, "f", &a), -VFS_ENOENT);
	assert_int_equal(OP(write, h, 3, "def", 3), 3);
	char buf[8];
	assert_int_equal(OP(read, h, 0, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "abcdef", 6);
	assert_int_equal(OP(getattr, h, &a), 0);
	assert_int_equal(a.nlink, 0);
	assert_int_equal(a.size, 6);
	/* A new file of the same name is another file. */
	put(state, "f", "new", 3);
	assert_int_equal(OP(read, h, 0, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "abcdef", 6);
	assert_int_equal(OP(close, h), 0);
	expect_contents(state, "f", "new");
	/* Replaced by rename while open: the same. */
	h = xopen(state, "f", VFS_O_RDONLY);
	put(state, "g", "gg", 2);
	assert_int_equal(OP(rename, "g", "f"), 0);
	assert_int_equal(OP(read, h, 0, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "new", 3);
	assert_int_equal(OP(close, h), 0);
	expect_contents(state, "f", "gg");
}

/* ---- attributes ------------------------------------------------------------------------ */

static void t_setattr(void **state)
{
	uint64_t h = xopen(state, "f", RW_CREATE);
	struct vfs_attr a = {0}, b;
	a.mode = VFS_S_IFDIR | 0604; /* the type bits are not the caller's to change */
	assert_int_equal(OP(setattr, h, VFS_SET_MODE, &a), 0);
	assert_int_equal(OP(getattr, h, &b), 0);
	assert_true(VFS_S_ISREG(b.mode));
	if (!has(FS_CONF_NO_MODES))
		assert_int_equal(b.mode & 07777, 0604);
	a.uid = 1000;
	a.gid = 2000;
	int r = OP(setattr, h, VFS_SET_UID | VFS_SET_GID, &a);
	if (has(FS_CONF_NO_OWNERS)) {
		assert_int_equal(r, -VFS_EPERM);
	} else {
		assert_int_equal(r, 0);
		assert_int_equal(OP(getattr, h, &b), 0);
		assert_int_equal(b.uid, 1000);
		assert_int_equal(b.gid, 2000);
		assert_int_equal(xstat(state, "f").uid, 1000);
	}
	if (!has(FS_CONF_NO_SET_TIMES)) {
		a.atime_ns = 1000000000ull * 86400 * 365 * 30 + 123;
		a.mtime_ns = 1000000000ull * 86400 * 365 * 20 + 456;
		assert_int_equal(OP(setattr, h, VFS_SET_ATIME | VFS_SET_MTIME, &a), 0);
		assert_int_equal(OP(getattr, h, &b), 0);
		assert_int_equal(b.atime_ns, a.atime_ns);
		assert_int_equal(b.mtime_ns, a.mtime_ns);
	}
	assert_int_equal(OP(close, h), 0);
}

static void t_long_names(void **state)
{
	char name[VFS_NAME_MAX + 1], path[2 * VFS_NAME_MAX + 2];
	memset(name, 'n', VFS_NAME_MAX);
	name[VFS_NAME_MAX] = '\0';
	put(state, name, "long", 4);
	expect_contents(state, name, "long");
	assert_int_equal(OP(mkdir, "d", 0755), 0);
	snprintf(path, sizeof(path), "d/%s", name);
	assert_int_equal(OP(rename, name, path), 0);
	expect_contents(state, path, "long");
	uint64_t h = xopen(state, "d", VFS_O_RDONLY), cookie = 2;
	struct vfs_dirent d;
	assert_int_equal(OP(readdir, h, 0, &d), 1);
	assert_int_equal(OP(readdir, h, d.next, &d), 1);
	cookie = d.next;
	assert_int_equal(OP(readdir, h, cookie, &d), 1);
	assert_int_equal(d.name_len, VFS_NAME_MAX);
	assert_string_equal(d.name, name);
	assert_int_equal(OP(close, h), 0);
}

int fs_conformance_run(const struct fs_conformance *c)
{
	conf = c;
	if (c->flags & FS_CONF_READ_ONLY) {
		const struct CMUnitTest tests[] = {
		    cmocka_unit_test_setup_teardown(t_root, setup, teardown),
		    cmocka_unit_test_setup_teardown(t_missing, setup, teardown),
		    cmocka_unit_test_setup_teardown(t_bad_handles, setup, teardown),
		    cmocka_unit_test_setup_teardown(t_read_only, setup, teardown),
		};
		return _cmocka_run_group_tests(c->name, tests, sizeof(tests) / sizeof(tests[0]),
		                               NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(t_root, setup, teardown),
	    cmocka_unit_test_setup_teardown(t_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(t_bad_handles, setup, teardown),
	    cmocka_unit_test_setup_teardown(t_open_flags, setup, teardown),
	    cmocka_unit_test_setup_teardown(t_read_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(t_holes_and_truncate, setup, teardown),
	    cmocka_unit_test_setup_teardown(t_dirs, setup, teardown),
	    cmocka_unit_test_setup_teardown(t_dir_nlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(t_readdir, setup, teardown),
	    cmocka_unit_test_setup_teardown(t_readdir_stable, setup, teardown),
	    cmocka_unit_test_setup_teardown(t_rename, setup, teardown),
	    cmocka_unit_test_setup_teardown(t_rename_open, setup, teardown),
	    cmocka_unit_test_setup_teardown(t_unlink_open, setup, teardown),
	    cmocka_unit_test_setup_teardown(t_setattr, setup, teardown),
	    cmocka_unit_test_setup_teardown(t_long_names, setup, teardown),
	};
	return _cmocka_run_group_tests(c->name, tests, sizeof(tests) / sizeof(tests[0]), NULL,
	                               NULL);
}
