/*
 * Host tests of the initrd file system (components/services/vfs/initrd_fs.c). Archives
 * made by cmake/mkinitrd.py at build time (070701 and 070702, see CMakeLists.txt) are
 * listed and read and compared with their source files; archives written here entry by
 * entry cover what mkinitrd never makes (no directory entries, "./" and "/" prefixes, a path
 * twice, hard links, devices) and what must be refused. The fs.h conformance suite runs in
 * its read-only form.
 *
 * Usage: test_initrd_fs ARCHIVE ARCHIVE_CRC SOURCE_DIR THIS_FILE
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
#include "initrd_fs.h"

static const char *archive_path, *archive_crc_path, *source_dir, *this_file;

/* ---- helpers --------------------------------------------------------------------------- */

struct blob {
	uint8_t *p;
	size_t n;
};

static struct blob load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	struct blob b = {NULL, 0};
	size_t cap = 0;
	for (;;) {
		if (b.n == cap) {
			cap = cap ? cap * 2 : 4096;
			b.p = realloc(b.p, cap);
			assert_non_null(b.p);
		}
		size_t got = fread(b.p + b.n, 1, cap - b.n, f);
		if (got == 0)
			break;
		b.n += got;
	}
	fclose(f);
	/* The archive in a buffer of its exact size, so ASan sees any read past its end. */
	uint8_t *exact = malloc(b.n ? b.n : 1);
	assert_non_null(exact);
	memcpy(exact, b.p, b.n);
	free(b.p);
	b.p = exact;
	return b;
}

static long live_blocks;

static void *count_alloc(void *ctx, size_t size)
{
	long *fail_in = ctx;
	if (fail_in && *fail_in > 0 && --*fail_in == 0)
		return NULL;
	live_blocks++;
	return malloc(size);
}

static void count_free(void *ctx, void *p, size_t size)
{
	(void)ctx, (void)size;
	live_blocks--;
	free(p);
}

static int init(struct initrd_fs *fs, const struct blob *b)
{
	struct initrd_fs_config c = {
	    .base = b->p, .size = b->n, .alloc = count_alloc, .free = count_free};
	return initrd_fs_init(fs, &c);
}

#define OP(fs, op, ...) (initrd_fs_ops.op((fs), __VA_ARGS__))

static uint64_t xopen(struct initrd_fs *fs, const char *path)
{
	uint64_t h;
	struct vfs_attr a;
	assert_int_equal(OP(fs, open, path, VFS_O_RDONLY, 0, &h, &a), 0);
	return h;
}

static struct vfs_attr xstat(struct initrd_fs *fs, const char *path)
{
	struct vfs_attr a;
	int r = OP(fs, stat, path, &a);
	if (r != 0)
		fail_msg("stat '%s': %d", path, r);
	return a;
}

/* The whole file through the fs, in pieces of `piece` bytes. */
static struct blob read_all(struct initrd_fs *fs, const char *path, size_t piece)
{
	struct vfs_attr a = xstat(fs, path);
	struct blob b = {malloc(a.size + 1), 0};
	uint64_t h = xopen(fs, path);
	long n;
	while ((n = OP(fs, read, h, b.n, b.p + b.n, piece)) > 0)
		b.n += (size_t)n;
	assert_int_equal(n, 0);
	assert_int_equal(b.n, a.size);
	assert_int_equal(OP(fs, close, h), 0);
	return b;
}

/* A newc archive written entry by entry. */
struct writer {
	uint8_t buf[1 << 16];
	size_t n;
};

static void w_pad(struct writer *w)
{
	while (w->n % 4)
		w->buf[w->n++] = 0;
}

static void w_entry(struct writer *w, const char *name, uint32_t mode, uint32_t ino, uint32_t nlink,
                    const char *data)
{
	size_t dlen = data ? strlen(data) : 0, nlen = strlen(name) + 1;
	assert_true(w->n + 110 + nlen + dlen + 8 < sizeof(w->buf));
	uint32_t f[13] = {ino, mode, 0, 0, nlink,          1234, (uint32_t)dlen,
	                  0,   0,    0, 0, (uint32_t)nlen, 0};
	w->n += (size_t)sprintf((char *)w->buf + w->n, "070701");
	for (int i = 0; i < 13; i++)
		w->n += (size_t)sprintf((char *)w->buf + w->n, "%08X", f[i]);
	memcpy(w->buf + w->n, name, nlen);
	w->n += nlen;
	w_pad(w);
	if (dlen)
		memcpy(w->buf + w->n, data, dlen);
	w->n += dlen;
	w_pad(w);
}

static struct blob w_finish(struct writer *w)
{
	w_entry(w, "TRAILER!!!", 0, 0, 1, NULL);
	struct blob b = {malloc(w->n), w->n};
	memcpy(b.p, w->buf, w->n);
	return b;
}

#define REG  0100000u
#define DIR_ 0040000u
#define LNK  0120000u

/* ---- the mkinitrd archives ------------------------------------------------------------- */

struct expect {
	const char *path;
	uint32_t mode;
	const char *source; /* file under source_dir (or "@self"), or a symlink's target */
};

static const struct expect tree[] = {
    {"", DIR_ | 0755, NULL},
    {"bin", DIR_ | 0755, NULL},
    {"bin/hello", REG | 0755, "hello.sh"},
    {"bin/sh", LNK | 0777, "hello"},
    {"etc", DIR_ | 0755, NULL},
    {"etc/motd", REG | 0644, "motd.txt"},
    {"src", DIR_ | 0755, NULL},
    {"src/test_initrd_fs.c", REG | 0644, "@self"},
    {"usr", DIR_ | 0755, NULL},
    {"usr/share", DIR_ | 0755, NULL},
    {"usr/share/doc", DIR_ | 0755, NULL},
    {"usr/share/doc/m6", DIR_ | 0755, NULL},
    {"usr/share/doc/m6/motd", REG | 0600, "motd.txt"},
};
#define TREE_N (sizeof(tree) / sizeof(tree[0]))

/* Lists the whole tree through readdir; every entry must be one of `tree`, once. */
static void check_listing(struct initrd_fs *fs, const char *dir, int *seen)
{
	struct vfs_attr da = xstat(fs, dir);
	uint64_t h;
	struct vfs_attr a;
	assert_int_equal(OP(fs, open, dir, VFS_O_RDONLY | VFS_O_DIRECTORY, 0, &h, &a), 0);
	struct vfs_dirent d;
	uint64_t cookie = 0;
	int n = 0, subdirs = 0, r;
	while ((r = OP(fs, readdir, h, cookie, &d)) == 1) {
		cookie = d.next;
		n++;
		if (n == 1) {
			assert_string_equal(d.name, ".");
			assert_int_equal(d.ino, da.ino);
			continue;
		}
		if (n == 2) {
			assert_string_equal(d.name, "..");
			continue;
		}
		char path[VFS_PATH_MAX];
		snprintf(path, sizeof(path), "%s%s%s", dir, dir[0] ? "/" : "", d.name);
		size_t i = 0;
		while (i < TREE_N && strcmp(tree[i].path, path) != 0)
			i++;
		if (i == TREE_N)
			fail_msg("unexpected entry '%s'", path);
		seen[i]++;
		struct vfs_attr ea = xstat(fs, path);
		assert_int_equal(d.ino, ea.ino);
		uint32_t t = tree[i].mode & VFS_S_IFMT;
		assert_int_equal(d.type, t == DIR_  ? VFS_DT_DIR
		                         : t == LNK ? VFS_DT_LNK
		                                    : VFS_DT_REG);
		if (t == DIR_) {
			subdirs++;
			check_listing(fs, path, seen);
		}
	}
	assert_int_equal(r, 0);
	assert_int_equal(da.nlink, 2 + subdirs);
	assert_int_equal(OP(fs, close, h), 0);
}

static void check_archive(const char *path)
{
	struct blob b = load(path);
	struct initrd_fs fs;
	assert_int_equal(init(&fs, &b), 0);
	int seen[TREE_N] = {0};
	seen[0] = 1; /* the root is not an entry of any directory */
	check_listing(&fs, "", seen);
	for (size_t i = 0; i < TREE_N; i++) {
		if (seen[i] != 1)
			fail_msg("'%s' listed %d times", tree[i].path, seen[i]);
		struct vfs_attr a = xstat(&fs, tree[i].path);
		assert_int_equal(a.mode, tree[i].mode);
		/* mkinitrd stores no "." entry: the root is implied, owned by 0 at time 0. */
		assert_int_equal(a.uid, i ? 1000 : 0);
		assert_int_equal(a.gid, i ? 100 : 0);
		assert_int_equal(a.mtime_ns, i ? 1700000000ull * 1000000000ull : 0);
		for (size_t j = 0; j < i; j++)
			assert_true(xstat(&fs, tree[j].path).ino != a.ino);
		if (!tree[i].source)
			continue;
		struct blob want;
		if ((tree[i].mode & VFS_S_IFMT) == LNK) {
			want.n = strlen(tree[i].source);
			want.p = malloc(want.n);
			memcpy(want.p, tree[i].source, want.n);
		} else if (strcmp(tree[i].source, "@self") == 0) {
			want = load(this_file);
		} else {
			char src[1024];
			snprintf(src, sizeof(src), "%s/%s", source_dir, tree[i].source);
			want = load(src);
		}
		assert_int_equal(a.size, want.n);
		if ((tree[i].mode & VFS_S_IFMT) == LNK) {
			/* A link is read with readlink (truncated to the buffer, no NUL); open
			 * is ELOOP: the VFS follows links, a file system never opens one. */
			char t[64];
			assert_int_equal(OP(&fs, readlink, tree[i].path, t, sizeof(t)), want.n);
			assert_memory_equal(t, want.p, want.n);
			assert_int_equal(OP(&fs, readlink, tree[i].path, t, 2), 2);
			uint64_t h;
			assert_int_equal(OP(&fs, open, tree[i].path, VFS_O_RDONLY, 0, &h, &a),
			                 -VFS_ELOOP);
			free(want.p);
			continue;
		}
		static const size_t pieces[] = {1, 7, 4096, 1 << 20};
		for (size_t k = 0; k < 4; k++) {
			struct blob got = read_all(&fs, tree[i].path, pieces[k]);
			assert_int_equal(got.n, want.n);
			assert_memory_equal(got.p, want.p, want.n);
			free(got.p);
		}
		free(want.p);
	}
	/* Other spellings of nothing, and files used as directories. */
	struct vfs_attr a;
	assert_int_equal(OP(&fs, stat, "nope", &a), -VFS_ENOENT);
	assert_int_equal(OP(&fs, stat, "usr/share/nope/x", &a), -VFS_ENOENT);
	assert_int_equal(OP(&fs, stat, "etc/motd/x", &a), -VFS_ENOTDIR);
	assert_int_equal(OP(&fs, stat, "etc/", &a), -VFS_EINVAL);
	assert_int_equal(OP(&fs, stat, "/etc", &a), -VFS_EINVAL);
	assert_int_equal(OP(&fs, stat, "etc/../etc", &a), -VFS_EINVAL);
	struct vfs_statfs st;
	assert_int_equal(OP(&fs, statfs, &st), 0);
	assert_string_equal(st.type, "initrd");
	assert_int_equal(st.flags, VFS_STATFS_RDONLY);
	assert_int_equal(st.files, TREE_N);
	assert_int_equal(st.bfree, 0);
	initrd_fs_destroy(&fs);
	assert_int_equal(live_blocks, 0);
	free(b.p);
}

static void test_mkinitrd_archive(void **state)
{
	(void)state;
	check_archive(archive_path);
}

static void test_mkinitrd_archive_crc(void **state)
{
	(void)state;
	check_archive(archive_crc_path);
}

/* Every change is -EROFS (after -EBADF for a bad handle); opening for writing too. */
static void test_read_only(void **state)
{
	(void)state;
	struct blob b = load(archive_path);
	struct initrd_fs fs;
	assert_int_equal(init(&fs, &b), 0);
	uint64_t h;
	struct vfs_attr a;
	assert_int_equal(OP(&fs, open, "etc/motd", VFS_O_WRONLY, 0, &h, &a), -VFS_EROFS);
	assert_int_equal(OP(&fs, open, "etc/motd", VFS_O_RDWR, 0, &h, &a), -VFS_EROFS);
	assert_int_equal(OP(&fs, open, "etc/motd", VFS_O_RDONLY | VFS_O_TRUNC, 0, &h, &a),
	                 -VFS_EROFS);
	assert_int_equal(OP(&fs, open, "etc/new", VFS_O_CREAT | VFS_O_WRONLY, 0644, &h, &a),
	                 -VFS_EROFS);
	assert_int_equal(
	    OP(&fs, open, "etc/motd", VFS_O_CREAT | VFS_O_EXCL | VFS_O_WRONLY, 0644, &h, &a),
	    -VFS_EEXIST);
	assert_int_equal(OP(&fs, open, "nodir/new", VFS_O_CREAT | VFS_O_WRONLY, 0644, &h, &a),
	                 -VFS_ENOENT);
	assert_int_equal(OP(&fs, open, "etc/motd/new", VFS_O_CREAT | VFS_O_WRONLY, 0644, &h, &a),
	                 -VFS_ENOTDIR);
	assert_int_equal(OP(&fs, open, "etc", VFS_O_WRONLY, 0, &h, &a), -VFS_EISDIR);
	assert_int_equal(OP(&fs, open, "etc/motd", VFS_O_RDONLY | VFS_O_DIRECTORY, 0, &h, &a),
	                 -VFS_ENOTDIR);
	/* O_CREAT without O_EXCL on an existing file, read-only, just opens it. */
	assert_int_equal(OP(&fs, open, "etc/motd", VFS_O_CREAT | VFS_O_RDONLY, 0, &h, &a), 0);
	assert_int_equal(OP(&fs, write, h, 0, "x", 1), -VFS_EROFS);
	assert_int_equal(OP(&fs, truncate, h, 0), -VFS_EROFS);
	a.mode = 0777;
	assert_int_equal(OP(&fs, setattr, h, VFS_SET_MODE, &a), -VFS_EROFS);
	assert_int_equal(OP(&fs, sync, h), 0);
	char c;
	assert_int_equal(OP(&fs, read, h, 0, &c, 1), 1);
	assert_int_equal(OP(&fs, readdir, h, 0, &(struct vfs_dirent){0}), -VFS_ENOTDIR);
	assert_int_equal(OP(&fs, close, h), 0);
	assert_int_equal(OP(&fs, write, h, 0, "x", 1), -VFS_EBADF);
	assert_int_equal(OP(&fs, truncate, h, 0), -VFS_EBADF);
	assert_int_equal(OP(&fs, setattr, h, VFS_SET_MODE, &a), -VFS_EBADF);
	assert_int_equal(OP(&fs, read, h, 0, &c, 1), -VFS_EBADF);
	assert_int_equal(OP(&fs, sync, h), -VFS_EBADF);
	static const char *paths[] = {"etc/motd", "etc", "nope", "", "bin/sh"};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(OP(&fs, mkdir, paths[i], 0755), -VFS_EROFS);
		assert_int_equal(OP(&fs, rmdir, paths[i]), -VFS_EROFS);
		assert_int_equal(OP(&fs, unlink, paths[i]), -VFS_EROFS);
		assert_int_equal(OP(&fs, rename, paths[i], "x"), -VFS_EROFS);
		assert_int_equal(OP(&fs, rename, "etc/motd", paths[i]), -VFS_EROFS);
	}
	/* Nothing changed. */
	assert_int_equal(xstat(&fs, "etc/motd").mode, REG | 0644);
	/* Readdir: past the end is the end. */
	uint64_t d = xopen(&fs, "usr"), e = xopen(&fs, "etc");
	struct vfs_dirent ent;
	assert_int_equal(OP(&fs, readdir, e, 2, &ent), 1);
	assert_string_equal(ent.name, "motd");
	assert_int_equal(OP(&fs, readdir, e, ent.next, &ent), 0);
	assert_int_equal(OP(&fs, readdir, d, 2, &ent), 1);
	assert_string_equal(ent.name, "share");
	assert_int_equal(OP(&fs, readdir, d, UINT64_MAX, &ent), 0);
	assert_int_equal(OP(&fs, close, d), 0);
	assert_int_equal(OP(&fs, close, e), 0);
	initrd_fs_destroy(&fs);
	free(b.p);
}

/* ---- archives written here ------------------------------------------------------------- */

static void test_implied_and_duplicates(void **state)
{
	(void)state;
	static struct writer w;
	w.n = 0;
	w_entry(&w, "./bin/sh", REG | 0755, 1, 1, "#!sh");
	w_entry(&w, "/usr/lib/x", REG | 0644, 2, 1, "x");
	w_entry(&w, "etc/a", REG | 0644, 3, 1, "first");
	w_entry(&w, "etc/a", REG | 0640, 4, 1, "second wins");
	w_entry(&w, "h1", REG | 0644, 77, 2, NULL); /* GNU cpio: data on the last link only */
	w_entry(&w, "h2", REG | 0644, 77, 2, "linked");
	w_entry(&w, "usr", DIR_ | 0700, 5, 2, NULL); /* after its children */
	w_entry(&w, "dev", DIR_ | 0755, 6, 2, NULL);
	w_entry(&w, "dev/console", 0020000u | 0600, 7, 1, NULL);
	w_entry(&w, "usr/lib/", DIR_ | 0711, 8, 2, NULL); /* a trailing slash */
	struct blob b = w_finish(&w);
	struct initrd_fs fs;
	assert_int_equal(init(&fs, &b), 0);

	struct vfs_attr a = xstat(&fs, "");
	assert_int_equal(a.mode, DIR_ | 0755); /* implied: 0755, root, time 0 */
	assert_int_equal(a.nlink, 2 + 4);      /* bin, dev, etc, usr */
	a = xstat(&fs, "bin");
	assert_int_equal(a.mode, DIR_ | 0755);
	assert_int_equal(a.mtime_ns, 0);
	assert_int_equal(xstat(&fs, "usr").mode, DIR_ | 0700);
	assert_int_equal(xstat(&fs, "usr").mtime_ns, 1234ull * 1000000000ull);
	assert_int_equal(xstat(&fs, "usr/lib").mode, DIR_ | 0711);
	assert_int_equal(xstat(&fs, "etc/a").mode, REG | 0640);
	struct blob got = read_all(&fs, "etc/a", 3);
	assert_int_equal(got.n, 11);
	assert_memory_equal(got.p, "second wins", 11);
	free(got.p);
	got = read_all(&fs, "h1", 100);
	assert_int_equal(got.n, 6);
	assert_memory_equal(got.p, "linked", 6);
	free(got.p);
	assert_int_equal(xstat(&fs, "h1").ino, xstat(&fs, "h2").ino);
	assert_int_equal(xstat(&fs, "h1").nlink, 2);
	assert_true(xstat(&fs, "h1").ino != xstat(&fs, "bin/sh").ino);
	assert_int_equal(xstat(&fs, "dev/console").mode, 0020000u | 0600);

	/* The root lists each name once, in path order. */
	static const char *want[] = {".", "..", "bin", "dev", "etc", "h1", "h2", "usr"};
	uint64_t h = xopen(&fs, ""), cookie = 0;
	struct vfs_dirent d;
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(OP(&fs, readdir, h, cookie, &d), 1);
		assert_string_equal(d.name, want[i]);
		cookie = d.next;
	}
	assert_int_equal(OP(&fs, readdir, h, cookie, &d), 0);
	assert_int_equal(OP(&fs, close, h), 0);
	h = xopen(&fs, "dev");
	assert_int_equal(OP(&fs, readdir, h, 2, &d), 1);
	assert_string_equal(d.name, "console");
	assert_int_equal(d.type, VFS_DT_CHR);
	/* A cookie of the root's listing, handed to dev: refused. */
	uint64_t usr_cookie;
	{
		uint64_t r = xopen(&fs, "");
		struct vfs_dirent x;
		uint64_t c = 2;
		for (int i = 0; i < 3; i++) { /* bin, dev, etc: then c is h1's cookie */
			assert_int_equal(OP(&fs, readdir, r, c, &x), 1);
			c = x.next;
		}
		usr_cookie = c;
		assert_int_equal(OP(&fs, close, r), 0);
	}
	assert_int_equal(OP(&fs, readdir, h, usr_cookie, &d), -VFS_EINVAL);
	assert_int_equal(OP(&fs, close, h), 0);
	initrd_fs_destroy(&fs);
	assert_int_equal(live_blocks, 0);
	free(b.p);
}

static int init_one(const char *name, uint32_t mode, const char *data, struct initrd_fs *fs)
{
	static struct writer w;
	w.n = 0;
	w_entry(&w, "ok", REG | 0644, 1, 1, "fine");
	w_entry(&w, name, mode, 2, 1, data);
	struct blob b = w_finish(&w);
	int r = init(fs, &b);
	if (r == 0)
		initrd_fs_destroy(fs);
	free(b.p);
	assert_int_equal(live_blocks, 0);
	return r;
}

static void test_bad_archives(void **state)
{
	(void)state;
	struct initrd_fs fs;
	/* Malformed: the reader's error, nothing kept. */
	static const char text[] = "this is not a cpio archive at all, not even close, and it is "
	                           "longer than one header of 110 bytes, which it must be to get "
	                           "as far as the magic";
	struct blob junk = {malloc(sizeof(text) - 1), sizeof(text) - 1};
	memcpy(junk.p, text, junk.n);
	assert_int_equal(init(&fs, &junk), -VFS_EINVAL);
	assert_int_equal(fs.cpio_status, CPIO_EMAGIC);
	assert_true(strlen(fs.why) > 0);
	free(junk.p);
	struct blob empty = {NULL, 0};
	assert_int_equal(init(&fs, &empty), -VFS_EINVAL);
	assert_int_equal(fs.cpio_status, CPIO_ENOTRAILER);
	/* Every truncation of a real archive is refused, and reads nothing past it. */
	struct blob b = load(archive_path);
	for (size_t n = 0; n < b.n; n += n < 600 ? 1 : 97) {
		uint8_t *cut = malloc(n ? n : 1);
		memcpy(cut, b.p, n);
		struct blob c = {cut, n};
		int r = init(&fs, &c);
		if (r == 0)
			fail_msg("a truncation at %zu of %zu bytes was accepted", n, b.n);
		assert_int_equal(r, -VFS_EINVAL);
		assert_int_equal(live_blocks, 0);
		free(cut);
	}
	/* Names no path can reach. */
	assert_int_equal(init_one("a/../b", REG | 0644, "x", &fs), -VFS_EINVAL);
	assert_int_equal(init_one("..", DIR_ | 0755, NULL, &fs), -VFS_EINVAL);
	assert_int_equal(init_one("a//b", REG | 0644, "x", &fs), -VFS_EINVAL);
	assert_int_equal(init_one("a/./b", REG | 0644, "x", &fs), -VFS_EINVAL);
	char longname[300];
	memset(longname, 'n', sizeof(longname));
	longname[256] = '\0';
	assert_int_equal(init_one(longname, REG | 0644, "x", &fs), -VFS_ENAMETOOLONG);
	longname[255] = '\0';
	assert_int_equal(init_one(longname, REG | 0644, "x", &fs), 0);
	/* Links whose target is no path: empty, or with a NUL inside. */
	assert_int_equal(init_one("l", LNK | 0777, "", &fs), -VFS_EINVAL);
	{
		static struct writer w;
		w.n = 0;
		w_entry(&w, "l", LNK | 0777, 1, 1, "ab");
		w.buf[w.n - 4] = '\0'; /* the entry's data "ab" padded to 4: its 'a' */
		struct blob nb = w_finish(&w);
		assert_int_equal(init(&fs, &nb), -VFS_EINVAL);
		free(nb.p);
	}
	assert_int_equal(init_one("l", LNK | 0777, "target", &fs), 0);
	{
		static struct writer w;
		w.n = 0;
		w_entry(&w, "ok", REG | 0644, 1, 1, "fine");
		w_entry(&w, "l", LNK | 0777, 2, 1, "target");
		struct blob lb = w_finish(&w);
		assert_int_equal(init(&fs, &lb), 0);
		char t[16];
		assert_int_equal(OP(&fs, readlink, "l", t, sizeof(t)), 6);
		assert_int_equal(OP(&fs, readlink, "ok", t, sizeof(t)), -VFS_EINVAL);
		assert_int_equal(OP(&fs, readlink, "nope", t, sizeof(t)), -VFS_ENOENT);
		assert_int_equal(OP(&fs, symlink, "new", "x", 1), -VFS_EROFS);
		initrd_fs_destroy(&fs);
		free(lb.p);
	}
	/* A file used as a directory; a root that is not a directory. */
	assert_int_equal(init_one("ok/x", REG | 0644, "x", &fs), -VFS_EINVAL);
	assert_int_equal(init_one(".", REG | 0644, "x", &fs), -VFS_EINVAL);
	/* No memory for the index: -ENOMEM, nothing kept. */
	long fail_in = 1;
	struct initrd_fs_config cfg = {.base = b.p,
	                               .size = b.n,
	                               .alloc = count_alloc,
	                               .free = count_free,
	                               .alloc_ctx = &fail_in};
	assert_int_equal(initrd_fs_init(&fs, &cfg), -VFS_ENOMEM);
	assert_int_equal(live_blocks, 0);
	/* ... or for the handle table: that open fails, nothing else. */
	fail_in = 2;
	assert_int_equal(initrd_fs_init(&fs, &cfg), 0);
	uint64_t h;
	struct vfs_attr a;
	assert_int_equal(OP(&fs, open, "etc/motd", VFS_O_RDONLY, 0, &h, &a), -VFS_ENOMEM);
	assert_int_equal(OP(&fs, open, "etc/motd", VFS_O_RDONLY, 0, &h, &a), 0);
	initrd_fs_destroy(&fs);
	assert_int_equal(live_blocks, 0);
	free(b.p);
}

/* A bigger archive: every path found, with the index (not a scan) doing the lookups. */
static void test_many_entries(void **state)
{
	(void)state;
	static struct writer w;
	w.n = 0;
	char name[64], data[16];
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "d%d/sub%d/file%d", i % 7, i % 3, i);
		snprintf(data, sizeof(data), "%d", i * 7);
		w_entry(&w, name, REG | 0644, (uint32_t)i + 1, 1, data);
	}
	struct blob b = w_finish(&w);
	struct initrd_fs fs;
	assert_int_equal(init(&fs, &b), 0);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "d%d/sub%d/file%d", i % 7, i % 3, i);
		snprintf(data, sizeof(data), "%d", i * 7);
		struct blob got = read_all(&fs, name, 64);
		assert_int_equal(got.n, strlen(data));
		assert_memory_equal(got.p, data, got.n);
		free(got.p);
	}
	assert_int_equal(fs.count, 1 + 7 + 21 + 300);
	assert_int_equal(xstat(&fs, "").nlink, 2 + 7);
	assert_int_equal(xstat(&fs, "d0").nlink, 2 + 3);
	initrd_fs_destroy(&fs);
	free(b.p);
}

/* ---- the conformance suite, read-only -------------------------------------------------- */

static struct blob conf_blob;

static int conf_make(void *ctx, struct vfs_fs *v)
{
	struct initrd_fs *fs = malloc(sizeof(*fs));
	*(struct initrd_fs **)ctx = fs;
	int r = init(fs, &conf_blob);
	*v = initrd_fs_vfs(fs);
	return r;
}

static void conf_destroy(void *ctx, struct vfs_fs *v)
{
	(void)v;
	struct initrd_fs *fs = *(struct initrd_fs **)ctx;
	initrd_fs_destroy(fs);
	free(fs);
	assert_int_equal(live_blocks, 0);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s ARCHIVE ARCHIVE_CRC SOURCE_DIR THIS_FILE\n", argv[0]);
		return 2;
	}
	archive_path = argv[1];
	archive_crc_path = argv[2];
	source_dir = argv[3];
	this_file = argv[4];
	conf_blob = load(archive_path);
	static struct initrd_fs *current;
	const struct fs_conformance conf = {
	    .name = "initrd_fs conformance (read-only)",
	    .make = conf_make,
	    .destroy = conf_destroy,
	    .ctx = &current,
	    .flags = FS_CONF_READ_ONLY,
	};
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mkinitrd_archive), cmocka_unit_test(test_mkinitrd_archive_crc),
	    cmocka_unit_test(test_read_only),        cmocka_unit_test(test_implied_and_duplicates),
	    cmocka_unit_test(test_bad_archives),     cmocka_unit_test(test_many_entries),
	};
	int failed = fs_conformance_run(&conf);
	failed += cmocka_run_group_tests_name("initrd_fs", tests, NULL, NULL);
	free(conf_blob.p);
	return failed;
}
