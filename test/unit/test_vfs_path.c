/*
 * Host tests of the VFS path library (components/services/vfs): path resolution against a
 * table of cases and, on random paths, against a reference normaliser written here in a
 * different way (split into a list of names, then join); the limits; working directories;
 * the mount table.
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

#include "mount.h"
#include "path.h"

static char out[VFS_PATH_MAX];

/* Resolves the NUL-terminated `path` against `cwd`; checks the error, and on success the
 * result and the directory flag. */
static void check(const char *cwd, const char *path, enum vfs_errno want_err, const char *want,
                  unsigned want_flags)
{
	unsigned flags = 99;
	enum vfs_errno err = vfs_path_resolve(cwd, path, strlen(path), out, &flags);
	if (err != want_err || (want != NULL && strcmp(out, want) != 0) ||
	    (err == VFS_OK && flags != want_flags))
		fail_msg(
		    "resolve(cwd \"%s\", \"%s\"): err %d flags %u \"%s\", want err %d flags %u "
		    "\"%s\"",
		    cwd ? cwd : "(null)", path, err, flags, err == VFS_OK ? out : "", want_err,
		    want_flags, want ? want : "");
}

static void test_resolve_table(void **state)
{
	(void)state;
	static const struct {
		const char *cwd, *path;
		enum vfs_errno err;
		const char *want;
		unsigned flags;
	} cases[] = {
	    /* Absolute paths. */
	    {"/", "/", VFS_OK, "/", VFS_PATH_DIR},
	    {"/x", "/a/b", VFS_OK, "/a/b", 0},
	    {"/x", "//a///b", VFS_OK, "/a/b", 0},
	    {"/x", "/a/b/", VFS_OK, "/a/b", VFS_PATH_DIR},
	    {"/x", "/a/b///", VFS_OK, "/a/b", VFS_PATH_DIR},
	    {"/x", "///", VFS_OK, "/", VFS_PATH_DIR},
	    {"/x", "/./a/./b/.", VFS_OK, "/a/b", VFS_PATH_DIR},
	    {"/x", "/a/../b", VFS_OK, "/b", 0},
	    {"/x", "/a/b/../../c", VFS_OK, "/c", 0},
	    {"/x", "/a/b/..", VFS_OK, "/a", VFS_PATH_DIR},
	    /* `..` at the root stays at the root. */
	    {"/x", "/..", VFS_OK, "/", VFS_PATH_DIR},
	    {"/x", "/../../..", VFS_OK, "/", VFS_PATH_DIR},
	    {"/x", "/../a", VFS_OK, "/a", 0},
	    {"/x", "/a/../../b", VFS_OK, "/b", 0},
	    /* Relative paths against the working directory. */
	    {"/", "a", VFS_OK, "/a", 0},
	    {"/home/u", "a", VFS_OK, "/home/u/a", 0},
	    {"/home/u", "a/b", VFS_OK, "/home/u/a/b", 0},
	    {"/home/u", ".", VFS_OK, "/home/u", VFS_PATH_DIR},
	    {"/home/u", "./", VFS_OK, "/home/u", VFS_PATH_DIR},
	    {"/home/u", "..", VFS_OK, "/home", VFS_PATH_DIR},
	    {"/home/u", "../..", VFS_OK, "/", VFS_PATH_DIR},
	    {"/home/u", "../../../../etc", VFS_OK, "/etc", 0},
	    {"/home/u", "./a/../b/", VFS_OK, "/home/u/b", VFS_PATH_DIR},
	    {"/", "..", VFS_OK, "/", VFS_PATH_DIR},
	    /* Names that only look like `.` and `..`. */
	    {"/d", "...", VFS_OK, "/d/...", 0},
	    {"/d", ".a/..b/a..", VFS_OK, "/d/.a/..b/a..", 0},
	    {"/d", ".hidden/", VFS_OK, "/d/.hidden", VFS_PATH_DIR},
	    /* The trailing component decides the flag, not an earlier `.`. */
	    {"/d", "./a", VFS_OK, "/d/a", 0},
	    {"/d", "../a", VFS_OK, "/a", 0},
	    /* Errors. */
	    {"/d", "", VFS_ENOENT, NULL, 0},
	    {NULL, "a", VFS_EINVAL, NULL, 0},
	    {"d", "a", VFS_EINVAL, NULL, 0},
	    {"/d/", "a", VFS_EINVAL, NULL, 0},
	    {"/d/../e", "a", VFS_EINVAL, NULL, 0},
	    {"/d//e", "a", VFS_EINVAL, NULL, 0},
	    /* An absolute path does not look at the working directory at all. */
	    {NULL, "/a", VFS_OK, "/a", 0},
	    {"bogus", "/a/..", VFS_OK, "/", VFS_PATH_DIR},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(cases[i].cwd, cases[i].path, cases[i].err, cases[i].want, cases[i].flags);
}

static void test_resolve_nul_and_length(void **state)
{
	(void)state;
	static char big[VFS_PATH_MAX + 16];
	unsigned flags;

	/* A NUL inside the bytes given is EINVAL, wherever it is. */
	assert_int_equal(vfs_path_resolve("/", "a\0b", 3, out, &flags), VFS_EINVAL);
	assert_int_equal(vfs_path_resolve("/", "\0", 1, out, &flags), VFS_EINVAL);
	assert_int_equal(vfs_path_resolve("/", "/a/\0", 4, out, &flags), VFS_EINVAL);
	/* Only `len` bytes are read: what follows them does not matter. */
	assert_int_equal(vfs_path_resolve("/", "/abXX", 3, out, &flags), VFS_OK);
	assert_string_equal(out, "/ab");
	/* Zero length is ENOENT even with a NULL pointer (nothing is read). */
	assert_int_equal(vfs_path_resolve("/", NULL, 0, out, &flags), VFS_ENOENT);
	/* flags may be NULL. */
	assert_int_equal(vfs_path_resolve("/", "a/", 2, out, NULL), VFS_OK);

	/* Input length: 4095 bytes resolve, 4096 are ENAMETOOLONG before anything is read
	 * (a NULL pointer would crash if it were). */
	memset(big, '/', sizeof(big));
	assert_int_equal(vfs_path_resolve("/", big, VFS_PATH_MAX - 1, out, &flags), VFS_OK);
	assert_string_equal(out, "/");
	assert_int_equal(vfs_path_resolve("/", big, VFS_PATH_MAX, out, &flags), VFS_ENAMETOOLONG);
	assert_int_equal(vfs_path_resolve("/", NULL, VFS_PATH_MAX, out, &flags), VFS_ENAMETOOLONG);
	assert_int_equal(vfs_path_resolve("/", NULL, SIZE_MAX, out, &flags), VFS_ENAMETOOLONG);
	/* The length check comes before the NUL check. */
	memset(big, 0, sizeof(big));
	assert_int_equal(vfs_path_resolve("/", big, VFS_PATH_MAX, out, &flags), VFS_ENAMETOOLONG);

	/* A name of 255 bytes is fine, 256 is ENAMETOOLONG, even if a `..` drops it. */
	big[0] = '/';
	memset(big + 1, 'n', VFS_NAME_MAX);
	assert_int_equal(vfs_path_resolve("/", big, 1 + VFS_NAME_MAX, out, &flags), VFS_OK);
	assert_int_equal(strlen(out), 1 + VFS_NAME_MAX);
	big[1 + VFS_NAME_MAX] = 'n';
	assert_int_equal(vfs_path_resolve("/", big, 2 + VFS_NAME_MAX, out, &flags),
	                 VFS_ENAMETOOLONG);
	memcpy(big + 2 + VFS_NAME_MAX, "/..", 3);
	assert_int_equal(vfs_path_resolve("/", big, 5 + VFS_NAME_MAX, out, &flags),
	                 VFS_ENAMETOOLONG);
	/* ... and in a relative path. */
	assert_int_equal(vfs_path_resolve("/", big + 1, 4 + VFS_NAME_MAX, out, &flags),
	                 VFS_ENAMETOOLONG);
}

/* Builds a normal path of exactly `len` bytes (len >= 2) out of names of at most 200. */
static void make_long(char *buf, size_t len)
{
	size_t o = 0;
	while (o < len) {
		size_t n = len - o - 1;
		if (n > 200)
			n = 200;
		if (len - o - 1 - n == 1)
			n--; /* never leave room for a lone '/' with no name */
		buf[o++] = '/';
		memset(buf + o, 'a' + (char)(o % 26), n);
		o += n;
	}
	buf[len] = '\0';
}

static void test_resolve_result_length(void **state)
{
	(void)state;
	static char cwd[VFS_PATH_MAX], path[VFS_PATH_MAX];
	unsigned flags;

	/* A working directory of 4093 bytes: "x" makes 4095 (fits with its NUL), "xy" 4096
	 * (does not). */
	make_long(cwd, VFS_PATH_MAX - 3);
	assert_true(vfs_path_is_normal(cwd));
	assert_int_equal(vfs_path_resolve(cwd, "x", 1, out, &flags), VFS_OK);
	assert_int_equal(strlen(out), VFS_PATH_MAX - 1);
	assert_int_equal(vfs_path_resolve(cwd, "xy", 2, out, &flags), VFS_ENAMETOOLONG);
	/* Every prefix must fit, even when a later `..` would shorten the result. */
	assert_int_equal(vfs_path_resolve(cwd, "xy/..", 5, out, &flags), VFS_ENAMETOOLONG);
	/* `..` first, then a long name: fine. */
	assert_int_equal(vfs_path_resolve(cwd, "../xy", 5, out, &flags), VFS_OK);
	/* The longest working directory there is: 4095 bytes. */
	make_long(cwd, VFS_PATH_MAX - 1);
	assert_true(vfs_path_is_normal(cwd));
	assert_int_equal(vfs_path_resolve(cwd, ".", 1, out, &flags), VFS_OK);
	assert_string_equal(out, cwd);
	assert_int_equal(vfs_path_resolve(cwd, "x", 1, out, &flags), VFS_ENAMETOOLONG);
	/* An absolute path of 4095 bytes made of names is accepted as it is. */
	make_long(path, VFS_PATH_MAX - 1);
	assert_int_equal(vfs_path_resolve("/", path, VFS_PATH_MAX - 1, out, &flags), VFS_OK);
	assert_string_equal(out, path);
	/* A working directory with no NUL within VFS_PATH_MAX bytes is not normal. */
	memset(cwd, 'c', sizeof(cwd));
	cwd[0] = '/';
	assert_false(vfs_path_is_normal(cwd));
	assert_int_equal(vfs_path_resolve(cwd, "x", 1, out, &flags), VFS_EINVAL);
}

static void test_is_normal(void **state)
{
	(void)state;
	static const char *yes[] = {"/", "/a", "/a/b", "/...", "/a/.b", "/a/b..", "/ /x"};
	static const char *no[] = {"",    "a",    "//",      "/a/", "/a//b", "/.",
	                           "/..", "/a/.", "/a/../b", "./a", "/a/./b"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!vfs_path_is_normal(yes[i]))
			fail_msg("\"%s\" should be normal", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (vfs_path_is_normal(no[i]))
			fail_msg("\"%s\" should not be normal", no[i]);
	assert_false(vfs_path_is_normal(NULL));
}

/* ---- The reference normaliser: split, then join (no in-place back-tracking). ---- */

struct ref_names {
	size_t count;
	size_t start[VFS_PATH_MAX], len[VFS_PATH_MAX];
	const char *base[VFS_PATH_MAX];
};

static size_t ref_joined_len(const struct ref_names *n)
{
	size_t total = 0;
	for (size_t i = 0; i < n->count; i++)
		total += 1 + n->len[i];
	return total == 0 ? 1 : total;
}

/* Pushes the names of `s` (`len` bytes) onto `n`; returns the error, or VFS_OK. */
static enum vfs_errno ref_walk(struct ref_names *n, const char *s, size_t len, bool *dir)
{
	size_t i = 0;
	*dir = false;
	while (i <= len) {
		size_t j = i;
		while (j < len && s[j] != '/')
			j++;
		size_t l = j - i;
		if (l == 0) {
			*dir = j == len && len > 0; /* ended in a slash */
		} else if (l > VFS_NAME_MAX) {
			return VFS_ENAMETOOLONG;
		} else if (l == 1 && s[i] == '.') {
			*dir = true;
		} else if (l == 2 && s[i] == '.' && s[i + 1] == '.') {
			if (n->count > 0)
				n->count--;
			*dir = true;
		} else {
			n->base[n->count] = s;
			n->start[n->count] = i;
			n->len[n->count] = l;
			n->count++;
			*dir = false;
			if (ref_joined_len(n) >= VFS_PATH_MAX)
				return VFS_ENAMETOOLONG;
		}
		i = j + 1;
	}
	return VFS_OK;
}

static struct ref_names ref;

static enum vfs_errno ref_resolve(const char *cwd, const char *path, size_t len, char *res,
                                  unsigned *flags)
{
	bool dir = false;
	enum vfs_errno err;

	if (len >= VFS_PATH_MAX)
		return VFS_ENAMETOOLONG;
	if (len == 0)
		return VFS_ENOENT;
	for (size_t i = 0; i < len; i++)
		if (path[i] == '\0')
			return VFS_EINVAL;
	ref.count = 0;
	if (path[0] != '/') {
		err = ref_walk(&ref, cwd, strlen(cwd), &dir);
		assert_int_equal(err, VFS_OK); /* the tests give normal working directories */
	}
	err = ref_walk(&ref, path, len, &dir);
	if (err != VFS_OK)
		return err;
	size_t o = 0;
	for (size_t i = 0; i < ref.count; i++) {
		res[o++] = '/';
		memcpy(res + o, ref.base[i] + ref.start[i], ref.len[i]);
		o += ref.len[i];
	}
	if (o == 0)
		res[o++] = '/';
	res[o] = '\0';
	*flags = dir ? VFS_PATH_DIR : 0;
	return VFS_OK;
}

/* xorshift64*: a fixed seed, so a failure reproduces. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t bound)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32) % bound;
}

/* A random path of at most `cap` bytes: names from a small alphabet (so `.` and `..` and
 * look-alikes are common), sometimes long ones, runs of slashes, rarely a NUL. */
static size_t random_path(char *buf, size_t cap, bool absolute)
{
	static const char *names[] = {".", "..", "a", "b", "cd", "...", ".x", "x.", "..y"};
	size_t o = 0;
	if (absolute)
		buf[o++] = '/';
	size_t parts = rnd(12);
	for (size_t p = 0; p < parts && o < cap; p++) {
		size_t n;
		uint32_t kind = rnd(100);
		if (kind < 85) {
			const char *s = names[rnd(sizeof(names) / sizeof(names[0]))];
			n = strlen(s);
			if (o + n > cap)
				break;
			memcpy(buf + o, s, n);
		} else {
			/* 250..260 bytes around VFS_NAME_MAX, or 1000 for the total length. */
			n = kind < 97 ? 250 + rnd(11) : 1000;
			if (o + n > cap)
				break;
			memset(buf + o, 'a' + (char)rnd(26), n);
		}
		o += n;
		uint32_t slashes = rnd(10) < 8 ? 1 : 1 + rnd(3);
		if (p + 1 == parts && rnd(2))
			slashes = 0; /* no trailing slash */
		for (uint32_t s = 0; s < slashes && o < cap; s++)
			buf[o++] = '/';
	}
	if (o > 0 && o < cap && rnd(500) == 0)
		buf[rnd((uint32_t)o)] = '\0';
	return o;
}

static void test_resolve_random(void **state)
{
	(void)state;
	static char cwd[VFS_PATH_MAX], path[VFS_PATH_MAX + 64], want[VFS_PATH_MAX];
	static char raw[VFS_PATH_MAX];
	size_t counts[64] = {0};

	for (int iter = 0; iter < 200000; iter++) {
		/* A working directory: the reference's answer for a random absolute path. */
		unsigned f;
		size_t rl = random_path(raw, 3000, true);
		if (ref_resolve("/", raw, rl, cwd, &f) != VFS_OK)
			strcpy(cwd, "/");
		size_t len = random_path(path, VFS_PATH_MAX + 63, rnd(3) == 0);
		unsigned flags = 77, want_flags = 88;
		enum vfs_errno err = vfs_path_resolve(cwd, path, len, out, &flags);
		enum vfs_errno want_err = ref_resolve(cwd, path, len, want, &want_flags);
		counts[err % 64]++;
		if (err != want_err ||
		    (err == VFS_OK && (strcmp(out, want) != 0 || flags != want_flags)))
			fail_msg(
			    "iteration %d: cwd \"%s\", path \"%.*s\" (%zu bytes): got %d \"%s\" "
			    "flags %u, want %d \"%s\" flags %u",
			    iter, cwd, (int)len, path, len, err, err ? "" : out, flags, want_err,
			    want_err ? "" : want, want_flags);
		if (err == VFS_OK)
			assert_true(vfs_path_is_normal(out));
	}
	/* The generator reaches every outcome, often enough to mean something. */
	print_message("random: %zu ok, %zu ENAMETOOLONG, %zu EINVAL, %zu ENOENT\n", counts[VFS_OK],
	              counts[VFS_ENAMETOOLONG], counts[VFS_EINVAL], counts[VFS_ENOENT]);
	assert_true(counts[VFS_OK] > 100000);
	assert_true(counts[VFS_ENAMETOOLONG] > 1000);
	assert_true(counts[VFS_EINVAL] > 50);
	assert_true(counts[VFS_ENOENT] > 1000);
}

static void test_cwd(void **state)
{
	(void)state;
	static struct vfs_cwd cwd;
	vfs_cwd_init(&cwd);
	assert_string_equal(cwd.path, "/");
	/* chdir("tmp/x/..") from "/": resolve, then set. */
	assert_int_equal(vfs_path_resolve(cwd.path, "tmp/x/..", 8, out, NULL), VFS_OK);
	assert_int_equal(vfs_cwd_set(&cwd, out), VFS_OK);
	assert_string_equal(cwd.path, "/tmp");
	/* An unnormalised path is refused and changes nothing. */
	assert_int_equal(vfs_cwd_set(&cwd, "/a/../b"), VFS_EINVAL);
	assert_int_equal(vfs_cwd_set(&cwd, "rel"), VFS_EINVAL);
	assert_int_equal(vfs_cwd_set(&cwd, ""), VFS_EINVAL);
	assert_string_equal(cwd.path, "/tmp");
	assert_int_equal(vfs_path_resolve(cwd.path, "../disk", 7, out, NULL), VFS_OK);
	assert_string_equal(out, "/disk");
}

/* ---- The mount table. ---- */

static struct vfs_mount_table table;

static void lookup(const char *path, uint32_t want_fs, const char *want_rest)
{
	struct vfs_mount_hit hit;
	assert_int_equal(vfs_mount_lookup(&table, path, &hit), VFS_OK);
	if (hit.fs_id != want_fs || strcmp(hit.rest, want_rest) != 0)
		fail_msg("lookup \"%s\": fs %u rest \"%s\", want fs %u rest \"%s\"", path,
		         hit.fs_id, hit.rest, want_fs, want_rest);
	/* rest points into the looked-up string, at its tail. */
	assert_true(hit.rest >= path && hit.rest <= path + strlen(path));
}

static void test_mount_lookup(void **state)
{
	(void)state;
	struct vfs_mount_hit hit;
	vfs_mount_init(&table);
	/* Nothing mounted: nothing found. */
	assert_int_equal(vfs_mount_lookup(&table, "/", &hit), VFS_ENOENT);
	assert_int_equal(vfs_mount_add(&table, "/tmp", 2), VFS_OK);
	assert_int_equal(vfs_mount_lookup(&table, "/etc", &hit), VFS_ENOENT);
	assert_int_equal(vfs_mount_add(&table, "/", 1), VFS_OK);
	assert_int_equal(vfs_mount_add(&table, "/disk", 3), VFS_OK);
	assert_int_equal(vfs_mount_add(&table, "/disk/usb", 4), VFS_OK);

	lookup("/", 1, "");
	lookup("/etc/passwd", 1, "etc/passwd");
	lookup("/tmp", 2, "");
	lookup("/tmp/a", 2, "a");
	lookup("/tmpx", 1, "tmpx"); /* whole components only */
	lookup("/tm", 1, "tm");
	lookup("/disk", 3, "");
	lookup("/disk/a/b", 3, "a/b");
	lookup("/disk/usb", 4, "");
	lookup("/disk/usb/f", 4, "f");
	lookup("/disk/usbx/f", 3, "usbx/f");
	assert_int_equal(vfs_mount_lookup(&table, "/disk/usb", &hit), VFS_OK);
	assert_string_equal(hit.point, "/disk/usb");

	/* `..` at a mount's root crosses back into the file system the mount point is in. */
	assert_int_equal(vfs_path_resolve("/disk/usb", "..", 2, out, NULL), VFS_OK);
	lookup(out, 3, "");
	assert_int_equal(vfs_path_resolve("/disk", "../tmp/../etc", 13, out, NULL), VFS_OK);
	lookup(out, 1, "etc");
	assert_int_equal(vfs_path_resolve("/tmp", "../../../..", 11, out, NULL), VFS_OK);
	lookup(out, 1, "");

	/* Only normal paths are looked up. */
	assert_int_equal(vfs_mount_lookup(&table, "/tmp/", &hit), VFS_EINVAL);
	assert_int_equal(vfs_mount_lookup(&table, "tmp", &hit), VFS_EINVAL);
	assert_int_equal(vfs_mount_lookup(&table, "/tmp/../x", &hit), VFS_EINVAL);
}

static void test_mount_add_remove(void **state)
{
	(void)state;
	uint32_t id = 0;
	struct vfs_mount_hit hit;
	const struct vfs_mount *m;
	char point[32];

	vfs_mount_init(&table);
	assert_int_equal(vfs_mount_add(&table, "/", 1), VFS_OK);
	assert_int_equal(vfs_mount_add(&table, "/disk", 3), VFS_OK);
	/* Mounting where something is mounted is EBUSY and changes nothing. */
	assert_int_equal(vfs_mount_add(&table, "/disk", 9), VFS_EBUSY);
	assert_int_equal(vfs_mount_add(&table, "/", 9), VFS_EBUSY);
	lookup("/disk/a", 3, "a");
	/* Mount points must be normal. */
	assert_int_equal(vfs_mount_add(&table, "/disk/", 9), VFS_EINVAL);
	assert_int_equal(vfs_mount_add(&table, "disk", 9), VFS_EINVAL);
	assert_int_equal(vfs_mount_add(&table, "/x/../disk", 9), VFS_EINVAL);
	assert_int_equal(vfs_mount_add(&table, "", 9), VFS_EINVAL);

	/* Listing. */
	size_t n = 0;
	while (vfs_mount_get(&table, n, &m) == VFS_OK)
		n++;
	assert_int_equal(n, 2);

	/* Unmount: nothing there is EINVAL, a mount below is EBUSY. */
	assert_int_equal(vfs_mount_remove(&table, "/nope", &id), VFS_EINVAL);
	assert_int_equal(vfs_mount_remove(&table, "/disk/", &id), VFS_EINVAL);
	assert_int_equal(vfs_mount_add(&table, "/disk/usb", 4), VFS_OK);
	assert_int_equal(vfs_mount_remove(&table, "/disk", &id), VFS_EBUSY);
	assert_int_equal(vfs_mount_remove(&table, "/", &id), VFS_EBUSY);
	lookup("/disk/usb/f", 4, "f");
	lookup("/disk/f", 3, "f");
	/* A sibling whose name extends the mount point's is not below it. */
	assert_int_equal(vfs_mount_add(&table, "/diskette", 5), VFS_OK);
	assert_int_equal(vfs_mount_remove(&table, "/disk/usb", &id), VFS_OK);
	assert_int_equal(id, 4);
	assert_int_equal(vfs_mount_remove(&table, "/disk", &id), VFS_OK);
	assert_int_equal(id, 3);
	/* The path falls back to the file system below, as a working directory would. */
	lookup("/disk/usb/f", 1, "disk/usb/f");
	lookup("/diskette/f", 5, "f");
	assert_int_equal(vfs_mount_remove(&table, "/diskette", NULL), VFS_OK);
	assert_int_equal(vfs_mount_remove(&table, "/", &id), VFS_OK);
	assert_int_equal(id, 1);
	assert_int_equal(vfs_mount_lookup(&table, "/", &hit), VFS_ENOENT);
	assert_int_equal(vfs_mount_get(&table, 0, &m), VFS_ENOENT);

	/* The table holds VFS_MOUNT_MAX mounts; one more is ENOMEM; a freed slot is reused. */
	for (unsigned i = 0; i < VFS_MOUNT_MAX; i++) {
		snprintf(point, sizeof(point), "/m%u", i);
		assert_int_equal(vfs_mount_add(&table, point, 100 + i), VFS_OK);
	}
	assert_int_equal(vfs_mount_add(&table, "/one-more", 1), VFS_ENOMEM);
	assert_int_equal(vfs_mount_lookup(&table, "/one-more", &hit), VFS_ENOENT);
	assert_int_equal(vfs_mount_remove(&table, "/m7", &id), VFS_OK);
	assert_int_equal(vfs_mount_add(&table, "/one-more", 1), VFS_OK);
	lookup("/one-more/x", 1, "x");
	lookup("/m15", 115, "");
}

static void test_mount_long_point(void **state)
{
	(void)state;
	static char point[VFS_PATH_MAX];
	vfs_mount_init(&table);
	/* The longest mount point there is: 4095 bytes. */
	make_long(point, VFS_PATH_MAX - 1);
	assert_int_equal(vfs_mount_add(&table, "/", 1), VFS_OK);
	assert_int_equal(vfs_mount_add(&table, point, 2), VFS_OK);
	lookup(point, 2, "");
	point[VFS_PATH_MAX - 2] = '\0'; /* one byte shorter: a different path, in "/" */
	lookup(point, 1, point + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve_table),
	    cmocka_unit_test(test_resolve_nul_and_length),
	    cmocka_unit_test(test_resolve_result_length),
	    cmocka_unit_test(test_is_normal),
	    cmocka_unit_test(test_resolve_random),
	    cmocka_unit_test(test_cwd),
	    cmocka_unit_test(test_mount_lookup),
	    cmocka_unit_test(test_mount_add_remove),
	    cmocka_unit_test(test_mount_long_point),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
