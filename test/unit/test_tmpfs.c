/*
 * Host tests of tmpfs (components/services/vfs/tmpfs.c): the fs.h conformance suite, then
 * what is tmpfs's own: the byte and inode limits (ENOSPC with nothing changed), a failed
 * allocation at every allocation of a sequence of ops (nothing changed, tmpfs_check
 * clean), times as POSIX asks, nlink, inode numbers, unlinked open files, sparse files at
 * the size limit, path checks, and a random differential run against a model written here
 * in another way (a flat table of paths).
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
#include "tmpfs.h"

/* ---- an allocator that counts and fails on demand ---------------------------------------- */

struct heap {
	long live;    /* blocks not yet freed */
	long allocs;  /* allocations so far */
	long fail_at; /* the allocation number that fails (0: none) */
	bool failed;  /* fail_at was reached */
	size_t live_bytes;
};

static void *heap_alloc(void *ctx, size_t size)
{
	struct heap *h = ctx;
	h->allocs++;
	if (h->fail_at && h->allocs == h->fail_at) {
		h->failed = true;
		return NULL;
	}
	void *p = malloc(size);
	assert_non_null(p);
	memset(p, 0xa5, size); /* tmpfs must not rely on fresh memory being zero */
	h->live++;
	h->live_bytes += size;
	return p;
}

static void heap_free(void *ctx, void *p, size_t size)
{
	struct heap *h = ctx;
	h->live--;
	h->live_bytes -= size;
	free(p);
}

static uint64_t clock_ns;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return clock_ns;
}

struct fixture {
	struct heap heap;
	struct tmpfs fs;
	struct vfs_fs v;
};

static struct tmpfs_config config(struct heap *heap, uint64_t max_bytes, uint64_t max_inodes)
{
	return (struct tmpfs_config){
	    .max_bytes = max_bytes,
	    .max_inodes = max_inodes,
	    .alloc = heap_alloc,
	    .free = heap_free,
	    .alloc_ctx = heap,
	    .now = fake_now,
	    .root_mode = 01777,
	};
}

static void check_fs(const struct tmpfs *fs)
{
	char why[200];
	if (tmpfs_check(fs, why, sizeof(why)) != 0)
		fail_msg("tmpfs_check: %s", why);
}

static struct fixture *fixture_new(uint64_t max_bytes, uint64_t max_inodes)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	struct tmpfs_config c = config(&f->heap, max_bytes, max_inodes);
	assert_int_equal(tmpfs_init(&f->fs, &c), 0);
	f->v = tmpfs_vfs(&f->fs);
	check_fs(&f->fs);
	return f;
}

/* Checks the tree, frees it, and checks that every block came back. */
static void fixture_free(struct fixture *f)
{
	check_fs(&f->fs);
	tmpfs_destroy(&f->fs);
	assert_int_equal(f->heap.live, 0);
	assert_int_equal(f->heap.live_bytes, 0);
	free(f);
}

/* ---- the conformance suite on tmpfs ---------------------------------------------------- */

static int conf_make(void *ctx, struct vfs_fs *fs)
{
	struct fixture **slot = ctx;
	*slot = fixture_new(0, 0);
	*fs = (*slot)->v;
	return 0;
}

static void conf_destroy(void *ctx, struct vfs_fs *fs)
{
	struct fixture **slot = ctx;
	(void)fs;
	fixture_free(*slot);
	*slot = NULL;
}

/* ---- helpers --------------------------------------------------------------------------- */

#define OPS(f)         ((f)->v.ops)
#define OP(f, op, ...) (OPS(f)->op((f)->v.state, __VA_ARGS__))
#define NO_HANDLE      (UINT64_MAX - 1) /* never given out: ops on it are -EBADF */

static uint64_t xopen(struct fixture *f, const char *path, uint32_t flags)
{
	uint64_t h;
	struct vfs_attr a;
	assert_int_equal(OP(f, open, path, flags, 0644, &h, &a), 0);
	return h;
}

static struct vfs_attr xstat(struct fixture *f, const char *path)
{
	struct vfs_attr a;
	assert_int_equal(OP(f, stat, path, &a), 0);
	return a;
}

static struct vfs_statfs xstatfs(struct fixture *f)
{
	struct vfs_statfs s;
	assert_int_equal(OP(f, statfs, &s), 0);
	return s;
}

static void hash_bytes(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		*h = (*h ^ b[i]) * 1099511628211ull;
}

static void hash_u64(uint64_t *h, uint64_t v)
{
	hash_bytes(h, &v, sizeof(v));
}

/*
 * Everything visible about the subtree at `path` (names, types, modes, owners, sizes,
 * nlink, inode numbers, mtime/ctime, contents), through the ops. Not atime: looking at the
 * tree reads it.
 */
static void snap(struct fixture *f, const char *path, uint64_t *h)
{
	struct vfs_attr a = xstat(f, path);
	hash_bytes(h, path, strlen(path) + 1);
	hash_u64(h, a.ino);
	hash_u64(h, a.mode);
	hash_u64(h, a.nlink);
	hash_u64(h, a.uid);
	hash_u64(h, a.gid);
	hash_u64(h, a.size);
	hash_u64(h, a.blocks);
	hash_u64(h, a.mtime_ns);
	hash_u64(h, a.ctime_ns);
	if (VFS_S_ISLNK(a.mode)) {
		/* A link is not opened (ELOOP): its target is what it holds. */
		char t[VFS_PATH_MAX];
		long n = OP(f, readlink, path, t, sizeof(t));
		assert_true(n > 0);
		hash_bytes(h, t, (size_t)n);
		return;
	}
	uint64_t fh = xopen(f, path, VFS_O_RDONLY);
	if (VFS_S_ISDIR(a.mode)) {
		static struct vfs_dirent d;
		uint64_t cookie = 0;
		while (OP(f, readdir, fh, cookie, &d) == 1) {
			cookie = d.next;
			hash_u64(h, cookie);
			if (strcmp(d.name, ".") == 0 || strcmp(d.name, "..") == 0)
				continue;
			char sub[VFS_PATH_MAX];
			snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "/" : "", d.name);
			snap(f, sub, h);
		}
	} else {
		/* The first MiB and the last 64 KiB: a sparse file of a TiB is not read whole
		 * (a change between shows in `blocks` and in tmpfs_check's byte count). */
		static uint8_t buf[65536];
		uint64_t off = 0, tail = a.size > 65536 ? a.size - 65536 : 0;
		long n;
		while (off < (1u << 20) && (n = OP(f, read, fh, off, buf, sizeof(buf))) > 0) {
			hash_bytes(h, buf, (size_t)n);
			off += (uint64_t)n;
		}
		if ((n = OP(f, read, fh, tail, buf, sizeof(buf))) > 0)
			hash_bytes(h, buf, (size_t)n);
	}
	assert_int_equal(OP(f, close, fh), 0);
}

static uint64_t snapshot(struct fixture *f)
{
	uint64_t h = 14695981039346656037ull;
	struct vfs_statfs s = xstatfs(f);
	hash_u64(&h, s.bfree);
	hash_u64(&h, s.ffree);
	hash_u64(&h, f->fs.used_bytes);
	hash_u64(&h, f->fs.inodes);
	snap(f, "", &h);
	return h;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* ---- tmpfs's own tests ----------------------------------------------------------------- */

static void test_init_failures(void **state)
{
	(void)state;
	struct heap heap = {.fail_at = 1};
	struct tmpfs fs;
	struct tmpfs_config c = config(&heap, 0, 0);
	assert_int_equal(tmpfs_init(&fs, &c), -VFS_ENOMEM);
	assert_int_equal(heap.live, 0);
	heap = (struct heap){0};
	c = config(&heap, 16, 0); /* not even room for the root */
	assert_int_equal(tmpfs_init(&fs, &c), -VFS_ENOSPC);
	assert_int_equal(heap.live, 0);
	/* The default allocator (malloc) when none is given. */
	c = (struct tmpfs_config){.root_mode = 0755};
	assert_int_equal(tmpfs_init(&fs, &c), 0);
	struct vfs_fs v = tmpfs_vfs(&fs);
	struct vfs_attr a;
	uint64_t h;
	assert_int_equal(v.ops->open(&fs, "x", VFS_O_CREAT | VFS_O_RDWR, 0600, &h, &a), 0);
	assert_int_equal(v.ops->write(&fs, h, 0, "data", 4), 4);
	check_fs(&fs);
	tmpfs_destroy(&fs); /* with the file still open */
}

/* Paths that are not normal, or too long, are refused before anything is looked at. */
static void test_paths(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(0, 0);
	assert_int_equal(OP(f, mkdir, "a", 0755), 0);
	static const char *bad[] = {"/a",   "a/",  "a//b",  ".", "..", "a/.",
	                            "a/..", "./a", "a/./b", "/", "//"};
	struct vfs_attr a;
	uint64_t h;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(OP(f, stat, bad[i], &a), -VFS_EINVAL);
		assert_int_equal(OP(f, open, bad[i], VFS_O_RDONLY, 0, &h, &a), -VFS_EINVAL);
		assert_int_equal(OP(f, mkdir, bad[i], 0755), -VFS_EINVAL);
		assert_int_equal(OP(f, unlink, bad[i]), -VFS_EINVAL);
		assert_int_equal(OP(f, rename, "a", bad[i]), -VFS_EINVAL);
	}
	static char name[VFS_NAME_MAX + 2], path[VFS_PATH_MAX + 10];
	memset(name, 'x', VFS_NAME_MAX + 1);
	assert_int_equal(OP(f, mkdir, name, 0755), -VFS_ENAMETOOLONG);
	assert_int_equal(OP(f, open, name, VFS_O_CREAT | VFS_O_RDWR, 0644, &h, &a),
	                 -VFS_ENAMETOOLONG);
	/* A path of VFS_PATH_MAX bytes and more, made of short names. */
	for (size_t i = 0; i < VFS_PATH_MAX; i++)
		path[i] = i % 2 ? '/' : 'p';
	path[VFS_PATH_MAX - 1] = 'p';
	assert_int_equal(OP(f, stat, path, &a), -VFS_ENAMETOOLONG);
	path[VFS_PATH_MAX - 3] = '\0'; /* 4093 bytes, ending in a name */
	assert_int_equal(OP(f, stat, path, &a), -VFS_ENOENT);
	/* O_CREAT | O_DIRECTORY is not a way to make a directory (as Linux 6.4+). */
	assert_int_equal(OP(f, open, "nd", VFS_O_CREAT | VFS_O_DIRECTORY, 0755, &h, &a),
	                 -VFS_EINVAL);
	assert_int_equal(OP(f, stat, "nd", &a), -VFS_ENOENT);
	fixture_free(f);
}

static void test_times(void **state)
{
	(void)state;
	clock_ns = 100;
	struct fixture *f = fixture_new(0, 0);
	struct vfs_attr a;
	uint64_t h;
	char buf[8];

	assert_int_equal(OP(f, open, "f", VFS_O_CREAT | VFS_O_RDWR, 0644, &h, &a), 0);
	assert_true(a.atime_ns == 100 && a.mtime_ns == 100 && a.ctime_ns == 100);
	clock_ns = 200; /* write: mtime and ctime */
	assert_int_equal(OP(f, write, h, 0, "abc", 3), 3);
	a = xstat(f, "f");
	assert_true(a.atime_ns == 100 && a.mtime_ns == 200 && a.ctime_ns == 200);
	clock_ns = 250; /* a write of nothing changes nothing */
	assert_int_equal(OP(f, write, h, 0, "", 0), 0);
	assert_int_equal(xstat(f, "f").mtime_ns, 200);
	clock_ns = 300; /* read: atime, even at the end */
	assert_int_equal(OP(f, read, h, 0, buf, sizeof(buf)), 3);
	a = xstat(f, "f");
	assert_true(a.atime_ns == 300 && a.mtime_ns == 200 && a.ctime_ns == 200);
	clock_ns = 310;
	assert_int_equal(OP(f, read, h, 100, buf, sizeof(buf)), 0);
	assert_int_equal(xstat(f, "f").atime_ns, 310);
	clock_ns = 400; /* chmod: ctime only */
	a.mode = 0600;
	assert_int_equal(OP(f, setattr, h, VFS_SET_MODE, &a), 0);
	a = xstat(f, "f");
	assert_true(a.mtime_ns == 200 && a.ctime_ns == 400);
	clock_ns = 500; /* truncate: mtime and ctime */
	assert_int_equal(OP(f, truncate, h, 1), 0);
	a = xstat(f, "f");
	assert_true(a.mtime_ns == 500 && a.ctime_ns == 500);
	/* utimes: the given times, and ctime now. */
	clock_ns = 550;
	a.atime_ns = 7;
	a.mtime_ns = 8;
	assert_int_equal(OP(f, setattr, h, VFS_SET_ATIME | VFS_SET_MTIME, &a), 0);
	a = xstat(f, "f");
	assert_true(a.atime_ns == 7 && a.mtime_ns == 8 && a.ctime_ns == 550);
	assert_int_equal(OP(f, close, h), 0);
	/* Directory changes: the directory's mtime and ctime; rename: the file's ctime. */
	clock_ns = 600;
	assert_int_equal(OP(f, rename, "f", "g"), 0);
	a = xstat(f, "g");
	assert_true(a.mtime_ns == 8 && a.ctime_ns == 600);
	a = xstat(f, "");
	assert_true(a.mtime_ns == 600 && a.ctime_ns == 600);
	clock_ns = 700;
	assert_int_equal(OP(f, mkdir, "d", 0755), 0);
	a = xstat(f, "d");
	assert_true(a.atime_ns == 700 && a.mtime_ns == 700 && a.ctime_ns == 700);
	assert_int_equal(xstat(f, "").mtime_ns, 700);
	clock_ns = 750;
	assert_int_equal(OP(f, rename, "g", "d/g"), 0);
	assert_int_equal(xstat(f, "").mtime_ns, 750);
	assert_int_equal(xstat(f, "d").mtime_ns, 750);
	/* unlink: the file's ctime (its link count changed) and the directory's times. */
	h = xopen(f, "d/g", VFS_O_RDONLY);
	clock_ns = 800;
	assert_int_equal(OP(f, unlink, "d/g"), 0);
	assert_int_equal(OP(f, getattr, h, &a), 0);
	assert_true(a.ctime_ns == 800 && a.mtime_ns == 8 && a.nlink == 0);
	assert_int_equal(xstat(f, "d").mtime_ns, 800);
	assert_int_equal(OP(f, close, h), 0);
	/* O_TRUNC: mtime and ctime; opening without it: nothing. */
	clock_ns = 850;
	h = xopen(f, "d", VFS_O_RDONLY);
	assert_int_equal(OP(f, close, h), 0);
	assert_int_equal(xstat(f, "d").mtime_ns, 800);
	h = xopen(f, "t", VFS_O_CREAT | VFS_O_RDWR);
	assert_int_equal(OP(f, close, h), 0);
	clock_ns = 900;
	h = xopen(f, "t", VFS_O_RDWR | VFS_O_TRUNC);
	assert_int_equal(OP(f, getattr, h, &a), 0);
	assert_true(a.mtime_ns == 900 && a.ctime_ns == 900);
	assert_int_equal(OP(f, close, h), 0);
	/* readdir: the directory's atime. */
	clock_ns = 950;
	h = xopen(f, "d", VFS_O_RDONLY);
	struct vfs_dirent d;
	assert_int_equal(OP(f, readdir, h, 0, &d), 1);
	assert_int_equal(OP(f, close, h), 0);
	assert_int_equal(xstat(f, "d").atime_ns, 950);
	fixture_free(f);
}

/* Inode numbers are unique and never reused; unlinked files live while open. */
static void test_inodes(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(0, 100);
	uint64_t seen[300];
	int n = 0;
	seen[n++] = xstat(f, "").ino;
	for (int round = 0; round < 50; round++) {
		char name[16];
		snprintf(name, sizeof(name), "f%d", round % 3);
		uint64_t h = xopen(f, name, VFS_O_CREAT | VFS_O_RDWR);
		struct vfs_attr a;
		assert_int_equal(OP(f, getattr, h, &a), 0);
		for (int i = 0; i < n; i++)
			assert_true(seen[i] != a.ino);
		seen[n++] = a.ino;
		assert_int_equal(OP(f, unlink, name), 0);
		assert_int_equal(xstatfs(f).ffree, 100 - 2); /* the root and the open file */
		check_fs(&f->fs);
		assert_int_equal(OP(f, close, h), 0);
		assert_int_equal(xstatfs(f).ffree, 100 - 1);
	}
	/* A removed directory that is still open lists nothing. */
	assert_int_equal(OP(f, mkdir, "d", 0755), 0);
	uint64_t h = xopen(f, "d", VFS_O_RDONLY | VFS_O_DIRECTORY);
	assert_int_equal(OP(f, rmdir, "d"), 0);
	struct vfs_dirent d;
	assert_int_equal(OP(f, readdir, h, 0, &d), 0);
	struct vfs_attr a;
	assert_int_equal(OP(f, getattr, h, &a), 0);
	assert_int_equal(a.nlink, 0);
	check_fs(&f->fs);
	assert_int_equal(OP(f, close, h), 0);
	/* Many handles: the table grows, each handle is its own. */
	enum { H = 300 };
	static uint64_t hs[H];
	for (int i = 0; i < H; i++) {
		hs[i] = xopen(f, "", VFS_O_RDONLY);
		for (int j = 0; j < i; j++)
			assert_true(hs[j] != hs[i]);
	}
	check_fs(&f->fs);
	for (int i = 0; i < H; i += 2)
		assert_int_equal(OP(f, close, hs[i]), 0);
	for (int i = 0; i < H; i++)
		assert_int_equal(OP(f, getattr, hs[i], &a), i % 2 ? 0 : -VFS_EBADF);
	fixture_free(f); /* with half of them open */
}

/* Holes cost nothing; the largest file; EFBIG past it. */
static void test_sparse(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(0, 0);
	uint64_t h = xopen(f, "s", VFS_O_CREAT | VFS_O_RDWR);
	uint64_t base = f->fs.used_bytes;
	struct vfs_attr a;
	assert_int_equal(OP(f, write, h, TMPFS_FILE_MAX - 1, "z", 1), 1);
	assert_int_equal(OP(f, getattr, h, &a), 0);
	assert_int_equal(a.size, TMPFS_FILE_MAX);
	assert_int_equal(a.blocks, TMPFS_PAGE_SIZE / 512);
	/* One data page and one table per level. */
	assert_int_equal(f->fs.used_bytes - base, 5 * TMPFS_PAGE_SIZE);
	assert_int_equal(OP(f, write, h, TMPFS_FILE_MAX, "z", 1), -VFS_EFBIG);
	assert_int_equal(OP(f, write, h, UINT64_MAX, "z", 1), -VFS_EFBIG);
	assert_int_equal(OP(f, write, h, TMPFS_FILE_MAX - 2, "abcd", 4), 2);
	assert_int_equal(OP(f, truncate, h, TMPFS_FILE_MAX + 1), -VFS_EFBIG);
	char buf[4];
	assert_int_equal(OP(f, read, h, TMPFS_FILE_MAX - 3, buf, 4), 3);
	assert_memory_equal(buf, "\0ab", 3);
	assert_int_equal(OP(f, read, h, 1ull << 40, buf, 4), 4);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	/* Page 0 too, then shrink to one page: the tables go, the height drops. */
	assert_int_equal(OP(f, write, h, 0, "head", 4), 4);
	check_fs(&f->fs);
	assert_int_equal(OP(f, truncate, h, 4096), 0);
	check_fs(&f->fs);
	assert_int_equal(f->fs.used_bytes - base, TMPFS_PAGE_SIZE);
	assert_int_equal(OP(f, truncate, h, 0), 0);
	assert_int_equal(f->fs.used_bytes, base);
	/* Pages in the middle of a big table, freed from the middle. */
	for (uint64_t off = 0; off < (8u << 20); off += 3 * 4096 + 7)
		assert_int_equal(OP(f, write, h, off, "q", 1), 1);
	check_fs(&f->fs);
	assert_int_equal(OP(f, truncate, h, 3u << 20), 0);
	check_fs(&f->fs);
	assert_int_equal(OP(f, truncate, h, 4095), 0);
	check_fs(&f->fs);
	assert_int_equal(OP(f, close, h), 0);
	fixture_free(f);
}

/* The byte limit: ENOSPC with nothing changed; short writes; space comes back. */
static void test_byte_limit(void **state)
{
	(void)state;
	clock_ns = 1000;
	struct fixture *f = fixture_new(64 * 1024, 0);
	static uint8_t data[128 * 1024];
	fill(data, sizeof(data), 3);
	uint64_t h = xopen(f, "big", VFS_O_CREAT | VFS_O_RDWR);
	long n = OP(f, write, h, 0, data, sizeof(data));
	assert_true(n > 0 && n < (long)sizeof(data));
	assert_int_equal(n % TMPFS_PAGE_SIZE, 0); /* it stopped at a page */
	check_fs(&f->fs);
	struct vfs_statfs s = xstatfs(f);
	assert_int_equal(s.blocks, 16);
	assert_int_equal(s.bfree, 0);
	clock_ns = 2000;
	uint64_t before = snapshot(f);
	assert_int_equal(OP(f, write, h, (uint64_t)n, data, 10), -VFS_ENOSPC);
	assert_int_equal(OP(f, write, h, 1 << 20, data, 1), -VFS_ENOSPC);
	struct vfs_attr a;
	uint64_t h2;
	/* Fill the rest to the byte: every op that needs memory fails. */
	f->fs.cfg.max_bytes = f->fs.used_bytes;
	assert_int_equal(OP(f, open, "new", VFS_O_CREAT | VFS_O_RDWR, 0644, &h2, &a), -VFS_ENOSPC);
	assert_int_equal(OP(f, mkdir, "dir", 0755), -VFS_ENOSPC);
	assert_int_equal(OP(f, rename, "big", "a_longer_name"), -VFS_ENOSPC);
	assert_int_equal(snapshot(f), before);
	check_fs(&f->fs);
	/* What needs none still works: overwriting, reading, shrinking names, removing. */
	assert_int_equal(OP(f, write, h, 0, "over", 4), 4);
	assert_int_equal(OP(f, rename, "big", "bg"), 0);
	uint8_t back[8];
	assert_int_equal(OP(f, read, h, 0, back, 8), 8);
	assert_memory_equal(back, "over", 4);
	assert_memory_equal(back + 4, data + 4, 4);
	f->fs.cfg.max_bytes = 64 * 1024;
	assert_int_equal(OP(f, truncate, h, 0), 0);
	assert_true(xstatfs(f).bfree >= 14);
	assert_int_equal(OP(f, write, h, 0, data, 8192), 8192);
	assert_int_equal(OP(f, mkdir, "dir", 0755), 0);
	assert_int_equal(OP(f, close, h), 0);
	/* Unlinked while open: the space comes back at the close. */
	h = xopen(f, "bg", VFS_O_RDONLY);
	uint64_t used = f->fs.used_bytes;
	assert_int_equal(OP(f, unlink, "bg"), 0);
	assert_true(f->fs.used_bytes < used && f->fs.used_bytes > used - 8192);
	assert_int_equal(OP(f, close, h), 0);
	assert_true(f->fs.used_bytes < used - 8192);
	fixture_free(f);
}

/* Links: stored as given, counted against both limits, never opened, listed as DT_LNK;
 * unlink and rename treat them as files. */
static void test_symlinks(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(0, 0);
	char t[64];
	struct vfs_attr a;
	uint64_t h;
	assert_int_equal(OP(f, mkdir, "d", 0755), 0);
	assert_int_equal(OP(f, symlink, "d/l", "../x/y", 6), 0);
	a = xstat(f, "d/l");
	assert_int_equal(a.mode, VFS_S_IFLNK | 0777);
	assert_int_equal(a.size, 6);
	assert_int_equal(a.nlink, 1);
	assert_int_equal(a.blocks, 0);
	assert_int_equal(OP(f, readlink, "d/l", t, sizeof(t)), 6);
	assert_memory_equal(t, "../x/y", 6);
	assert_int_equal(OP(f, readlink, "d/l", t, 3), 3);
	assert_int_equal(OP(f, readlink, "d", t, sizeof(t)), -VFS_EINVAL);
	assert_int_equal(OP(f, readlink, "d/none", t, sizeof(t)), -VFS_ENOENT);
	assert_int_equal(OP(f, open, "d/l", VFS_O_RDONLY, 0, &h, &a), -VFS_ELOOP);
	assert_int_equal(OP(f, open, "d/l", VFS_O_RDWR | VFS_O_CREAT, 0644, &h, &a), -VFS_ELOOP);
	assert_int_equal(OP(f, open, "d/l", VFS_O_RDWR | VFS_O_CREAT | VFS_O_EXCL, 0644, &h, &a),
	                 -VFS_EEXIST);
	/* A link is no directory to tmpfs: the VFS resolves links before it asks. */
	assert_int_equal(OP(f, stat, "d/l/z", &a), -VFS_ENOTDIR);
	assert_int_equal(OP(f, rmdir, "d/l"), -VFS_ENOTDIR);
	/* Refused: a taken name, the root, a bad target; nothing changes. */
	uint64_t before = snapshot(f);
	assert_int_equal(OP(f, symlink, "d/l", "x", 1), -VFS_EEXIST);
	assert_int_equal(OP(f, symlink, "d", "x", 1), -VFS_EEXIST);
	assert_int_equal(OP(f, symlink, "", "x", 1), -VFS_EEXIST);
	assert_int_equal(OP(f, symlink, "n", "", 0), -VFS_EINVAL);
	assert_int_equal(OP(f, symlink, "n", "a\0b", 3), -VFS_EINVAL);
	assert_int_equal(OP(f, symlink, "none/n", "x", 1), -VFS_ENOENT);
	assert_int_equal(snapshot(f), before);
	/* Listed as DT_LNK. */
	h = xopen(f, "d", VFS_O_RDONLY);
	struct vfs_dirent e;
	assert_int_equal(OP(f, readdir, h, 2, &e), 1);
	assert_string_equal(e.name, "l");
	assert_int_equal(e.type, VFS_DT_LNK);
	assert_int_equal(OP(f, close, h), 0);
	/* A target of VFS_PATH_MAX - 1 bytes fits; the link moves and goes like a file. */
	static char big[VFS_PATH_MAX];
	memset(big, 'b', sizeof(big));
	assert_int_equal(OP(f, symlink, "big", big, VFS_PATH_MAX - 1), 0);
	assert_int_equal(OP(f, symlink, "big2", big, VFS_PATH_MAX), -VFS_EINVAL);
	assert_int_equal(OP(f, rename, "big", "d/big"), 0);
	assert_int_equal(OP(f, rename, "d/big", "d/l"), 0); /* replaces the other link */
	assert_int_equal(xstat(f, "d/l").size, VFS_PATH_MAX - 1);
	check_fs(&f->fs);
	assert_int_equal(OP(f, unlink, "d/l"), 0);
	assert_int_equal(OP(f, rmdir, "d"), 0);
	fixture_free(f);
	/* The byte limit counts the target: a tmpfs with room for the link's inode and name
	 * but not its target refuses it whole. */
	f = fixture_new(0, 0);
	uint64_t used = f->fs.used_bytes;
	assert_int_equal(OP(f, symlink, "l", big, 1000), 0);
	uint64_t one = f->fs.used_bytes - used;
	assert_int_equal(OP(f, unlink, "l"), 0);
	fixture_free(f);
	f = fixture_new(used + one - 1, 0);
	before = snapshot(f);
	assert_int_equal(OP(f, symlink, "l", big, 1000), -VFS_ENOSPC);
	assert_int_equal(snapshot(f), before);
	assert_int_equal(OP(f, symlink, "l", big, 999), 0);
	fixture_free(f);
}

static void test_inode_limit(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(0, 4);
	uint64_t h;
	struct vfs_attr a;
	assert_int_equal(OP(f, mkdir, "d", 0755), 0);
	h = xopen(f, "d/f", VFS_O_CREAT | VFS_O_RDWR);
	assert_int_equal(OP(f, close, h), 0);
	h = xopen(f, "g", VFS_O_CREAT | VFS_O_RDWR);
	assert_int_equal(xstatfs(f).ffree, 0);
	uint64_t before = snapshot(f);
	assert_int_equal(OP(f, mkdir, "e", 0755), -VFS_ENOSPC);
	assert_int_equal(OP(f, open, "x", VFS_O_CREAT | VFS_O_RDWR, 0644, &h, &a), -VFS_ENOSPC);
	assert_int_equal(snapshot(f), before);
	/* Existing files still open, with O_CREAT too. */
	uint64_t h2 = xopen(f, "d/f", VFS_O_CREAT | VFS_O_RDWR);
	assert_int_equal(OP(f, close, h2), 0);
	/* An unlinked open file holds its inode until the close. */
	assert_int_equal(OP(f, unlink, "g"), 0);
	assert_int_equal(OP(f, mkdir, "e", 0755), -VFS_ENOSPC);
	assert_int_equal(OP(f, close, h), 0);
	assert_int_equal(OP(f, mkdir, "e", 0755), 0);
	fixture_free(f);
}

/* ---- a failed allocation at every allocation of a sequence ------------------------------ */

enum seq_kind {
	S_OPEN,
	S_WRITE,
	S_TRUNC,
	S_CLOSE,
	S_MKDIR,
	S_RMDIR,
	S_UNLINK,
	S_RENAME,
	S_SYMLINK
};

struct seq_op {
	enum seq_kind kind;
	int h;             /* handle slot */
	const char *a, *b; /* paths */
	uint32_t flags;
	uint64_t off, len;
};

static const struct seq_op sequence[] = {
    {S_OPEN, 0, "a", NULL, VFS_O_CREAT | VFS_O_RDWR, 0, 0},
    {S_WRITE, 0, NULL, NULL, 0, 100, 3 * 4096},
    {S_WRITE, 0, NULL, NULL, 0, 5u << 20, 100},
    {S_WRITE, 0, NULL, NULL, 0, 1ull << 40, 5000},
    {S_MKDIR, 0, "d", NULL, 0, 0, 0},
    {S_MKDIR, 0, "d/e", NULL, 0, 0, 0},
    {S_OPEN, 1, "d/b", NULL, VFS_O_CREAT | VFS_O_EXCL | VFS_O_RDWR, 0, 0},
    {S_WRITE, 1, NULL, NULL, 0, 0, 9000},
    {S_RENAME, 0, "a", "d/a_much_longer_name_than_before", 0, 0, 0},
    {S_RENAME, 0, "d/b", "d/a_much_longer_name_than_before", 0, 0, 0},
    {S_TRUNC, 0, NULL, NULL, 0, 3000, 0},
    {S_WRITE, 0, NULL, NULL, 0, 2 * 4096, 3 * 4096},
    {S_OPEN, 2, "d/a_much_longer_name_than_before", NULL, VFS_O_RDWR | VFS_O_TRUNC, 0, 0},
    {S_UNLINK, 0, "d/a_much_longer_name_than_before", NULL, 0, 0, 0},
    {S_WRITE, 2, NULL, NULL, 0, 7, 10},
    {S_RENAME, 0, "d/e", "e", 0, 0, 0},
    {S_RENAME, 0, "d", "e", 0, 0, 0},
    {S_OPEN, 3, "e/c", NULL, VFS_O_CREAT | VFS_O_RDWR, 0, 0},
    {S_CLOSE, 0, NULL, NULL, 0, 0, 0},
    {S_CLOSE, 2, NULL, NULL, 0, 0, 0},
    {S_RMDIR, 0, "e", NULL, 0, 0, 0},
    {S_UNLINK, 0, "e/c", NULL, 0, 0, 0},
    {S_RMDIR, 0, "e", NULL, 0, 0, 0},
    {S_CLOSE, 1, NULL, NULL, 0, 0, 0},
    {S_CLOSE, 3, NULL, NULL, 0, 0, 0},
    {S_SYMLINK, 0, "link", "a/target/of/some/length", 0, 0, 0},
    {S_MKDIR, 0, "ld", NULL, 0, 0, 0},
    {S_SYMLINK, 0, "ld/l", "../link", 0, 0, 0},
    {S_RENAME, 0, "ld/l", "ld/a_longer_name_for_the_link", 0, 0, 0},
    {S_RENAME, 0, "link", "ld/a_longer_name_for_the_link", 0, 0, 0},
    {S_UNLINK, 0, "ld/a_longer_name_for_the_link", NULL, 0, 0, 0},
};

static long run_op(struct fixture *f, const struct seq_op *o, uint64_t *hs)
{
	static uint8_t data[4 * 4096 + 5000];
	struct vfs_attr a;
	fill(data, sizeof(data), (uint32_t)o->off);
	switch (o->kind) {
	case S_OPEN: {
		uint64_t h;
		int r = OP(f, open, o->a, o->flags, 0644, &h, &a);
		if (r == 0)
			hs[o->h] = h;
		return r;
	}
	case S_WRITE:
		return OP(f, write, hs[o->h], o->off, data, (size_t)o->len);
	case S_TRUNC:
		return OP(f, truncate, hs[o->h], o->off);
	case S_CLOSE:
		return OP(f, close, hs[o->h]);
	case S_MKDIR:
		return OP(f, mkdir, o->a, 0755);
	case S_RMDIR:
		return OP(f, rmdir, o->a);
	case S_UNLINK:
		return OP(f, unlink, o->a);
	case S_RENAME:
		return OP(f, rename, o->a, o->b);
	case S_SYMLINK:
		return OP(f, symlink, o->a, o->b, strlen(o->b));
	}
	return 0;
}

static void test_alloc_failures(void **state)
{
	(void)state;
	long reference[sizeof(sequence) / sizeof(sequence[0])];
	int failures_seen = 0;
	for (long fail_at = 0;; fail_at++) {
		struct fixture *f = fixture_new(0, 0);
		uint64_t hs[4] = {NO_HANDLE, NO_HANDLE, NO_HANDLE, NO_HANDLE};
		f->heap.allocs = 0;
		f->heap.fail_at = fail_at;
		for (size_t i = 0; i < sizeof(sequence) / sizeof(sequence[0]); i++) {
			bool was_failed = f->heap.failed;
			/* The snapshot allocates nothing from the tmpfs heap but handle slots,
			 * which are taken and given back. */
			long saved_fail = f->heap.fail_at;
			f->heap.fail_at = 0;
			long before_allocs = f->heap.allocs;
			uint64_t before = snapshot(f);
			f->heap.allocs = before_allocs;
			f->heap.fail_at = saved_fail;
			long r = run_op(f, &sequence[i], hs);
			check_fs(&f->fs);
			if (fail_at == 0) {
				reference[i] = r;
			} else if (f->heap.failed && !was_failed) {
				/* This op met the failure: it fails with ENOMEM and changes
				 * nothing, or (a write) stops short at a page. */
				failures_seen++;
				if (sequence[i].kind == S_WRITE && r > 0) {
					assert_true(r < reference[i]);
				} else {
					if (r != -VFS_ENOMEM)
						fail_msg("op %zu, allocation %ld: %ld", i, fail_at,
						         r);
					f->heap.fail_at = 0;
					assert_int_equal(snapshot(f), before);
				}
			}
		}
		bool reached = f->heap.failed;
		fixture_free(f);
		if (fail_at > 0 && !reached)
			break; /* past the last allocation of the sequence */
	}
	assert_true(failures_seen > 30);
}

/* ---- a random differential run against a model ----------------------------------------- */

#define M_MAX  1024
#define M_DATA 40000

struct mnode {
	bool used, dir;
	char path[64];
	uint8_t *data;
	size_t size;
};

static struct mnode model[M_MAX];

static int m_find(const char *path)
{
	for (int i = 0; i < M_MAX; i++)
		if (model[i].used && strcmp(model[i].path, path) == 0)
			return i;
	return -1;
}

/* Whether every proper prefix of `path` is a directory of the model: 0, ENOENT or ENOTDIR
 * for the first that is not. */
static int m_parents(const char *path)
{
	char pre[64];
	for (size_t i = 0; path[i]; i++) {
		if (path[i] != '/')
			continue;
		memcpy(pre, path, i);
		pre[i] = '\0';
		int k = m_find(pre);
		if (k < 0)
			return -VFS_ENOENT;
		if (!model[k].dir)
			return -VFS_ENOTDIR;
	}
	return 0;
}

static bool m_is_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static int m_new(const char *path, bool dir)
{
	for (int i = 0; i < M_MAX; i++) {
		if (!model[i].used) {
			model[i] = (struct mnode){.used = true, .dir = dir};
			snprintf(model[i].path, sizeof(model[i].path), "%s", path);
			return i;
		}
	}
	fail_msg("model full");
	return -1;
}

static void m_drop(int k)
{
	free(model[k].data);
	model[k] = (struct mnode){0};
}

static bool m_has_children(const char *path)
{
	for (int i = 0; i < M_MAX; i++)
		if (model[i].used && m_is_below(model[i].path, path))
			return true;
	return false;
}

static int live_entries(void)
{
	int n = 0;
	for (int i = 0; i < M_MAX; i++)
		n += model[i].used;
	return n;
}

static uint32_t rnd(uint32_t *seed, uint32_t n);

/* Half the time an existing path (or a name inside it), else 1 to 3 names of 4: most ops
 * then meet something, and every error still comes up often. */
static void random_path(uint32_t *seed, char *out)
{
	static const char *names[] = {"a", "b", "c", "dd"};
	int depth = 1 + (int)rnd(seed, 3);
	out[0] = '\0';
	if (rnd(seed, 2)) {
		int k = (int)rnd(seed, M_MAX);
		for (int i = 0; i < M_MAX; i++, k = (k + 1) % M_MAX) {
			if (model[k].used && strlen(model[k].path) < 40) {
				strcpy(out, model[k].path);
				depth = (int)rnd(seed, 2);
				break;
			}
		}
	}
	for (int i = 0; i < depth; i++) {
		if (out[0])
			strcat(out, "/");
		strcat(out, names[rnd(seed, 4)]);
	}
	if (!out[0])
		strcpy(out, names[rnd(seed, 4)]);
}

static uint32_t rnd(uint32_t *seed, uint32_t n)
{
	*seed = *seed * 1664525u + 1013904223u;
	return (*seed >> 8) % n;
}

static void test_differential(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(0, 0);
	uint32_t seed = 0x6d36746d;
	static uint8_t buf[M_DATA + 100], data[M_DATA];
	char p[64], q[80];
	int counts[9] = {0}, oks[9] = {0}, errors = 0;
	memset(model, 0, sizeof(model));
	for (int step = 0; step < 30000; step++) {
		random_path(&seed, p);
		random_path(&seed, q);
		int k = m_find(p), want, kind = (int)rnd(&seed, 9);
		struct vfs_attr a;
		uint64_t h;
		long got;
		counts[kind]++;
		switch (kind) {
		case 0: /* write (creating) */
		case 1: {
			uint64_t off = rnd(&seed, M_DATA / 2), len = rnd(&seed, M_DATA / 2);
			fill(data, (size_t)len, (uint32_t)step);
			want = m_parents(p);
			if (!want && k >= 0 && model[k].dir)
				want = -VFS_EISDIR;
			got = OP(f, open, p, VFS_O_CREAT | VFS_O_RDWR, 0644, &h, &a);
			assert_int_equal(got, want);
			if (want)
				break;
			if (k < 0)
				k = m_new(p, false);
			assert_int_equal(OP(f, write, h, off, data, (size_t)len), (long)len);
			assert_int_equal(OP(f, close, h), 0);
			if (len && off + len > model[k].size) {
				model[k].data = realloc(model[k].data, off + len);
				memset(model[k].data + model[k].size, 0, off + len - model[k].size);
				model[k].size = off + len;
			}
			if (len)
				memcpy(model[k].data + off, data, len);
			break;
		}
		case 2: { /* truncate */
			uint64_t size = rnd(&seed, M_DATA);
			want = k < 0 ? m_parents(p) ? m_parents(p) : -VFS_ENOENT : 0;
			got = OP(f, open, p, VFS_O_RDWR, 0, &h, &a);
			if (!want && model[k].dir)
				want = -VFS_EISDIR;
			assert_int_equal(got, want);
			if (want)
				break;
			assert_int_equal(OP(f, truncate, h, size), 0);
			assert_int_equal(OP(f, close, h), 0);
			if (size > model[k].size) {
				model[k].data = realloc(model[k].data, size);
				memset(model[k].data + model[k].size, 0, size - model[k].size);
			}
			model[k].size = size;
			break;
		}
		case 3: /* read and compare, or list a directory and compare */
			want = k < 0 ? m_parents(p) ? m_parents(p) : -VFS_ENOENT : 0;
			got = OP(f, open, p, VFS_O_RDONLY, 0, &h, &a);
			assert_int_equal(got, want);
			if (want)
				break;
			if (!model[k].dir) {
				assert_int_equal(OP(f, read, h, 0, buf, sizeof(buf)),
				                 model[k].size);
				if (model[k].size)
					assert_memory_equal(buf, model[k].data, model[k].size);
			} else {
				struct vfs_dirent d;
				uint64_t cookie = 2;
				int seen = 0;
				while (OP(f, readdir, h, cookie, &d) == 1) {
					cookie = d.next;
					char sub[VFS_NAME_MAX + 80];
					snprintf(sub, sizeof(sub), "%s/%s", p, d.name);
					int c = m_find(sub);
					assert_true(c >= 0);
					assert_int_equal(d.type,
					                 model[c].dir ? VFS_DT_DIR : VFS_DT_REG);
					seen++;
				}
				int children = 0;
				for (int i = 0; i < M_MAX; i++)
					children += model[i].used && m_is_below(model[i].path, p) &&
					            !strchr(model[i].path + strlen(p) + 1, '/');
				assert_int_equal(seen, children);
			}
			assert_int_equal(OP(f, close, h), 0);
			break;
		case 4: /* mkdir */
			want = m_parents(p);
			if (!want && k >= 0)
				want = -VFS_EEXIST;
			assert_int_equal(OP(f, mkdir, p, 0755), want);
			if (!want)
				m_new(p, true);
			break;
		case 5: /* rmdir */
			want = m_parents(p);
			if (!want)
				want = k < 0               ? -VFS_ENOENT
				       : !model[k].dir     ? -VFS_ENOTDIR
				       : m_has_children(p) ? -VFS_ENOTEMPTY
				                           : 0;
			assert_int_equal(OP(f, rmdir, p), want);
			if (!want)
				m_drop(k);
			break;
		case 6: /* unlink */
			want = m_parents(p);
			if (!want)
				want = k < 0 ? -VFS_ENOENT : model[k].dir ? -VFS_EISDIR : 0;
			assert_int_equal(OP(f, unlink, p), want);
			if (!want)
				m_drop(k);
			break;
		case 7: { /* rename */
			int t = m_find(q);
			bool too_deep = false; /* for the model's fixed-size paths */
			for (int i = 0; i < M_MAX; i++)
				too_deep |= model[i].used && m_is_below(model[i].path, p) &&
				            strlen(q) + strlen(model[i].path) - strlen(p) >= 60;
			if (too_deep) {
				want = 0;
				break;
			}
			want = m_parents(p);
			if (!want && k < 0)
				want = -VFS_ENOENT;
			if (!want)
				want = m_parents(q);
			if (!want && t == k)
				want = 1; /* the same: a no-op */
			else if (!want && model[k].dir && m_is_below(q, p))
				want = -VFS_EINVAL;
			else if (!want && t >= 0) {
				if (model[k].dir && !model[t].dir)
					want = -VFS_ENOTDIR;
				else if (!model[k].dir && model[t].dir)
					want = -VFS_EISDIR;
				else if (model[t].dir && m_has_children(q))
					want = -VFS_ENOTEMPTY;
			}
			assert_int_equal(OP(f, rename, p, q), want == 1 ? 0 : want);
			if (want)
				break;
			if (t >= 0)
				m_drop(t);
			size_t n = strlen(p);
			for (int i = 0; i < M_MAX; i++) {
				if (model[i].used && m_is_below(model[i].path, p)) {
					char moved[128];
					snprintf(moved, sizeof(moved), "%s%s", q,
					         model[i].path + n);
					assert_true(strlen(moved) < sizeof(model[i].path));
					strcpy(model[i].path, moved);
				}
			}
			assert_true(strlen(q) < sizeof(model[k].path));
			strcpy(model[k].path, q);
			break;
		}
		case 8: /* stat */
			want = k < 0 ? m_parents(p) ? m_parents(p) : -VFS_ENOENT : 0;
			assert_int_equal(OP(f, stat, p, &a), want);
			if (!want) {
				assert_int_equal(VFS_S_ISDIR(a.mode), model[k].dir);
				if (!model[k].dir)
					assert_int_equal(a.size, model[k].size);
			}
			break;
		}
		errors += want < 0;
		oks[kind] += want >= 0;
		check_fs(&f->fs);
	}
	print_message("differential: %d errors of 30000 ops, model %d entries; ok:", errors,
	              live_entries());
	for (int i = 0; i < 9; i++)
		print_message(" %d/%d", oks[i], counts[i]);
	print_message("\n");
	/* Every kind of op succeeded often and failed often. */
	for (int i = 0; i < 9; i++)
		assert_true(oks[i] > 50 && counts[i] - oks[i] > 50);
	for (int i = 0; i < M_MAX; i++)
		if (model[i].used)
			m_drop(i);
	fixture_free(f);
}

int main(void)
{
	static struct fixture *current;
	const struct fs_conformance conf = {
	    .name = "tmpfs conformance",
	    .make = conf_make,
	    .destroy = conf_destroy,
	    .ctx = &current,
	};
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_failures), cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_times),         cmocka_unit_test(test_inodes),
	    cmocka_unit_test(test_sparse),        cmocka_unit_test(test_byte_limit),
	    cmocka_unit_test(test_inode_limit),   cmocka_unit_test(test_alloc_failures),
	    cmocka_unit_test(test_symlinks),      cmocka_unit_test(test_differential),
	};
	int failed = fs_conformance_run(&conf);
	return failed + cmocka_run_group_tests_name("tmpfs", tests, NULL, NULL);
}
