/*
 * Host tests of the VFS core (components/services/vfs/vfs_core.c), ctest unit.vfs_core:
 * every method of vfs.idl and its errors, over a fake file system (fake_fs.c) that counts
 * the calls that change something, so each refused method is shown to change nothing;
 * two clients kept apart; window bounds; descriptor and description exhaustion; dup.
 *
 * Layout: fake file system `root` at "/" (holding etc/motd, mnt/, ro/), `mnt` at "/mnt",
 * `rofs` at "/ro" mounted read-only. Client A has badge 1, client B badge 2, each an
 * 8 KiB window; paths go at offset 0 (and PATH2 for rename's second), data at DATA.
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

#include "fake_fs.h"
#include "tmpfs.h"
#include "vfs_core.h"

#define A       1u
#define B       2u
#define WIN     8192u
#define PATH2   1024u
#define DATA    4096u
#define ROOT_ID 0
#define MNT_ID  1
#define RO_ID   2

static struct vfs *v;
static struct fake_fs *root, *mnt, *rofs;
static uint8_t *win_a, *win_b;

static uint8_t *win(uint64_t badge)
{
	return badge == A ? win_a : win_b;
}

/* Puts `s` into the badge's window at `off`; its length. */
static uint32_t put(uint64_t badge, uint64_t off, const char *s)
{
	size_t n = strlen(s);
	memcpy(win(badge) + off, s, n);
	return (uint32_t)n;
}

static int64_t xopen(uint64_t badge, const char *p, uint32_t flags, uint32_t mode)
{
	return vfs_core_open(v, badge, 0, put(badge, 0, p), flags, mode);
}

static int64_t xstat(uint64_t badge, const char *p, struct vfs_core_stat *st)
{
	return vfs_core_stat(v, badge, 0, put(badge, 0, p), st);
}

static int64_t xmkdir(uint64_t badge, const char *p)
{
	return vfs_core_mkdir(v, badge, 0, put(badge, 0, p), 0755);
}

static int64_t xrmdir(uint64_t badge, const char *p)
{
	return vfs_core_rmdir(v, badge, 0, put(badge, 0, p));
}

static int64_t xunlink(uint64_t badge, const char *p)
{
	return vfs_core_unlink(v, badge, 0, put(badge, 0, p));
}

static int64_t xrename(uint64_t badge, const char *from, const char *to)
{
	uint32_t fl = put(badge, 0, from);
	uint32_t tl = put(badge, PATH2, to);
	return vfs_core_rename(v, badge, 0, fl, PATH2, tl);
}

static int64_t xchdir(uint64_t badge, const char *p)
{
	return vfs_core_chdir(v, badge, 0, put(badge, 0, p));
}

static int64_t xwrite(uint64_t badge, int64_t fd, const char *s)
{
	return vfs_core_write(v, badge, (uint32_t)fd, DATA, put(badge, DATA, s));
}

/* Reads up to `len` bytes into the window at DATA and returns them as a string. */
static const char *xread(uint64_t badge, int64_t fd, uint32_t len, int64_t *n)
{
	static char buf[WIN];
	memset(win(badge) + DATA, 0, len + 1u);
	*n = vfs_core_read(v, badge, (uint32_t)fd, DATA, len);
	memcpy(buf, win(badge) + DATA, len);
	buf[*n > 0 ? *n : 0] = '\0';
	return buf;
}

static const char *cwd_of(uint64_t badge)
{
	static char buf[VFS_PATH_MAX];
	int64_t n = vfs_core_getcwd(v, badge, DATA, 4096);
	assert_true(n > 0);
	memcpy(buf, win(badge) + DATA, (size_t)n);
	return buf;
}

/* The number of changing calls all three file systems have seen. */
static unsigned changes(void)
{
	return root->changes + mnt->changes + rofs->changes;
}

static int setup(void **state)
{
	(void)state;
	v = calloc(1, sizeof *v);
	root = calloc(1, sizeof *root);
	mnt = calloc(1, sizeof *mnt);
	rofs = calloc(1, sizeof *rofs);
	win_a = calloc(1, WIN);
	win_b = calloc(1, WIN);
	fake_fs_init(root, "rootfs");
	fake_fs_add(root, "etc", NULL);
	fake_fs_add(root, "etc/motd", "hello\n");
	fake_fs_add(root, "mnt", NULL);
	fake_fs_add(root, "ro", NULL);
	fake_fs_init(mnt, "mntfs");
	fake_fs_init(rofs, "initrd");
	fake_fs_add(rofs, "file", "read only");
	vfs_core_init(v);
	struct vfs_fs f = {&fake_fs_ops, root};
	assert_int_equal(vfs_core_mount(v, "/", &f, NULL, false), ROOT_ID);
	f.state = mnt;
	assert_int_equal(vfs_core_mount(v, "/mnt", &f, "tmpfs", false), MNT_ID);
	f.state = rofs;
	assert_int_equal(vfs_core_mount(v, "/ro/", &f, NULL, true), RO_ID);
	assert_int_equal(vfs_core_add_client(v, A, win_a, WIN), 0);
	assert_int_equal(vfs_core_add_client(v, B, win_b, WIN), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(v);
	free(root);
	free(mnt);
	free(rofs);
	free(win_a);
	free(win_b);
	return 0;
}

/* ---- set-up ----------------------------------------------------------------------------- */

static void test_setup_errors(void **state)
{
	(void)state;
	struct vfs_fs f = {&fake_fs_ops, mnt};
	assert_int_equal(vfs_core_mount(v, "/mnt", &f, NULL, false), -VFS_EBUSY);
	assert_int_equal(vfs_core_mount(v, "mnt2", &f, NULL, false), -VFS_EINVAL);
	assert_int_equal(vfs_core_mount(v, "/etc/motd", &f, NULL, false), -VFS_ENOTDIR);
	assert_int_equal(vfs_core_mount(v, "/etc/motd/x", &f, NULL, false), -VFS_ENOTDIR);
	assert_int_equal(vfs_core_add_client(v, A, win_a, WIN), -VFS_EEXIST);
	assert_int_equal(vfs_core_add_client(v, 9, NULL, WIN), -VFS_EINVAL);
	assert_int_equal(vfs_core_add_client(v, 9, win_a, 0), -VFS_EINVAL);
	/* A full client table. */
	for (uint64_t b = 3; b < 3 + VFS_CORE_CLIENT_MAX - 2; b++)
		assert_int_equal(vfs_core_add_client(v, b, win_a, WIN), 0);
	assert_int_equal(vfs_core_add_client(v, 100, win_a, WIN), -VFS_ENOMEM);
	/* An unknown badge has no window. */
	assert_int_equal(vfs_core_open(v, 100, 0, 1, 0, 0), -VFS_EFAULT);
	assert_int_equal(vfs_core_close(v, 100, 0), -VFS_EFAULT);
	assert_int_equal(vfs_core_getcwd(v, 100, 0, 10), -VFS_EFAULT);
}

/* ---- open, read, write, close ---------------------------------------------------------- */

static void test_open_read_write(void **state)
{
	(void)state;
	int64_t n;
	int64_t fd = xopen(A, "/etc/motd", VFS_O_RDONLY, 0);
	assert_int_equal(fd, 0);
	assert_string_equal(xread(A, fd, 100, &n), "hello\n");
	assert_int_equal(n, 6);
	assert_string_equal(xread(A, fd, 100, &n), ""); /* at the end */
	assert_int_equal(n, 0);
	assert_int_equal(xwrite(A, fd, "x"), -VFS_EBADF); /* read-only descriptor */

	int64_t w = xopen(A, "/mnt/new", VFS_O_WRONLY | VFS_O_CREAT, 0640);
	assert_int_equal(w, 1); /* the lowest free one */
	assert_int_equal(xwrite(A, w, "abc"), 3);
	assert_int_equal(xwrite(A, w, "def"), 3);
	xread(A, w, 10, &n);
	assert_int_equal(n, -VFS_EBADF); /* write-only descriptor */
	struct vfs_core_stat st;
	assert_int_equal(vfs_core_fstat(v, A, (uint32_t)w, &st), 0);
	assert_int_equal(st.attr.size, 6);
	assert_int_equal(st.attr.mode, VFS_S_IFREG | 0640);
	assert_int_equal(st.dev, MNT_ID);
	assert_int_equal(vfs_core_close(v, A, 0), 0);
	assert_int_equal(vfs_core_close(v, A, 0), -VFS_EBADF);
	assert_int_equal(xopen(A, "/mnt/new", VFS_O_RDWR, 0), 0); /* 0 is free again */
	assert_string_equal(xread(A, 0, 4, &n), "abcd");
	assert_int_equal(vfs_core_close(v, A, 0), 0);
	assert_int_equal(vfs_core_close(v, A, 1), 0);
	assert_int_equal(mnt->open_handles, 0);
	assert_int_equal(root->open_handles, 0);

	/* Zero-length reads and writes do nothing and succeed. */
	fd = xopen(A, "/mnt/new", VFS_O_RDWR, 0);
	unsigned before = changes();
	assert_int_equal(vfs_core_write(v, A, (uint32_t)fd, DATA, 0), 0);
	assert_int_equal(vfs_core_read(v, A, (uint32_t)fd, DATA, 0), 0);
	assert_int_equal(changes(), before);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
}

static void test_open_flags(void **state)
{
	(void)state;
	int64_t n;
	assert_int_equal(xopen(A, "/mnt/f", VFS_O_RDONLY, 0), -VFS_ENOENT);
	int64_t fd = xopen(A, "/mnt/f", VFS_O_RDWR | VFS_O_CREAT | VFS_O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(xwrite(A, fd, "0123456789"), 10);
	assert_int_equal(xopen(A, "/mnt/f", VFS_O_RDWR | VFS_O_CREAT | VFS_O_EXCL, 0600),
	                 -VFS_EEXIST);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);

	/* O_APPEND: every write at the end, wherever the position was. */
	fd = xopen(A, "/mnt/f", VFS_O_WRONLY | VFS_O_APPEND, 0);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 0, VFS_SEEK_SET), 0);
	assert_int_equal(xwrite(A, fd, "ab"), 2);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 0, VFS_SEEK_CUR), 12);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	fd = xopen(A, "/mnt/f", VFS_O_RDONLY, 0);
	assert_string_equal(xread(A, fd, 100, &n), "0123456789ab");
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);

	/* O_TRUNC empties; on a read-only descriptor as well as Linux does? We pass it to the
	 * file system, which empties only for writing: check the write case. */
	fd = xopen(A, "/mnt/f", VFS_O_WRONLY | VFS_O_TRUNC, 0);
	struct vfs_core_stat st;
	assert_int_equal(vfs_core_fstat(v, A, (uint32_t)fd, &st), 0);
	assert_int_equal(st.attr.size, 0);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);

	/* O_DIRECTORY and trailing slashes. */
	assert_int_equal(xopen(A, "/mnt/f", VFS_O_RDONLY | VFS_O_DIRECTORY, 0), -VFS_ENOTDIR);
	assert_int_equal(xopen(A, "/mnt/f/", VFS_O_RDONLY, 0), -VFS_ENOTDIR);
	assert_int_equal(xopen(A, "/mnt/g/", VFS_O_RDWR | VFS_O_CREAT, 0600), -VFS_EISDIR);
	assert_int_equal(xopen(A, "/etc/", VFS_O_WRONLY, 0), -VFS_EISDIR);
	fd = xopen(A, "/etc/", VFS_O_RDONLY, 0);
	assert_true(fd >= 0);
	xread(A, fd, 10, &n);
	assert_int_equal(n, -VFS_EISDIR);
	assert_int_equal(xwrite(A, fd, "x"), -VFS_EBADF);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);

	/* Access mode 3 is no access mode; a parent that is a file. */
	unsigned before = changes();
	assert_int_equal(xopen(A, "/mnt/h", VFS_O_ACCMODE | VFS_O_CREAT, 0600), -VFS_EINVAL);
	assert_int_equal(xopen(A, "/mnt/f/x", VFS_O_RDWR | VFS_O_CREAT, 0600), -VFS_ENOTDIR);
	assert_int_equal(xopen(A, "/mnt/nodir/x", VFS_O_RDWR | VFS_O_CREAT, 0600), -VFS_ENOENT);
	assert_int_equal(changes(), before);
	assert_null(fake_fs_find(mnt, "h"));
}

static void test_pread_pwrite_seek(void **state)
{
	(void)state;
	int64_t fd = xopen(A, "/mnt/p", VFS_O_RDWR | VFS_O_CREAT, 0600);
	assert_int_equal(xwrite(A, fd, "hello world"), 11);
	memset(win_a + DATA, 0, 16);
	assert_int_equal(vfs_core_pread(v, A, (uint32_t)fd, DATA, 5, 6), 5);
	assert_memory_equal(win_a + DATA, "world", 5);
	put(A, DATA, "W");
	assert_int_equal(vfs_core_pwrite(v, A, (uint32_t)fd, DATA, 1, 6), 1);
	/* Neither moved the position. */
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 0, VFS_SEEK_CUR), 11);
	assert_int_equal(vfs_core_pread(v, A, (uint32_t)fd, DATA, 1, (uint64_t)INT64_MAX + 1),
	                 -VFS_EINVAL);
	assert_int_equal(vfs_core_pwrite(v, A, (uint32_t)fd, DATA, 1, UINT64_MAX), -VFS_EINVAL);
	assert_int_equal(vfs_core_pwrite(v, A, (uint32_t)fd, DATA, 2, INT64_MAX), -VFS_EFBIG);
	assert_int_equal(vfs_core_pread(v, A, (uint32_t)fd, DATA, 100, 1000), 0); /* past the end */

	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 2, VFS_SEEK_SET), 2);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 3, VFS_SEEK_CUR), 5);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, -1, VFS_SEEK_END), 10);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 100, VFS_SEEK_END), 111);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, -12, VFS_SEEK_END), -VFS_EINVAL);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, -1, VFS_SEEK_SET), -VFS_EINVAL);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 0, 3), -VFS_EINVAL);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 0, UINT32_MAX), -VFS_EINVAL);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, INT64_MAX, VFS_SEEK_SET), INT64_MAX);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 1, VFS_SEEK_CUR), -VFS_EOVERFLOW);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, INT64_MAX, VFS_SEEK_END),
	                 -VFS_EOVERFLOW);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, INT64_MIN, VFS_SEEK_CUR), -VFS_EINVAL);
	/* A failed seek leaves the position. */
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 0, VFS_SEEK_CUR), INT64_MAX);
	/* Writing at INT64_MAX would end past the largest offset. */
	unsigned before = changes();
	assert_int_equal(xwrite(A, fd, "x"), -VFS_EFBIG);
	assert_int_equal(changes(), before);
	/* A write past the end fills the gap with zeros. */
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 20, VFS_SEEK_SET), 20);
	assert_int_equal(xwrite(A, fd, "z"), 1);
	struct fake_node *node = fake_fs_find(mnt, "p");
	assert_int_equal(node->size, 21);
	assert_memory_equal(node->data, "hello World\0\0\0\0\0\0\0\0\0z", 21);
	assert_int_equal(vfs_core_seek(v, A, 77, 0, VFS_SEEK_SET), -VFS_EBADF);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
}

/* ---- the window ------------------------------------------------------------------------- */

static void test_window_bounds(void **state)
{
	(void)state;
	unsigned before = changes();
	/* Paths: ending exactly at the end is inside; one byte more, or wrapping, is not. */
	memcpy(win_a + WIN - 4, "/etc", 4);
	struct vfs_core_stat st;
	assert_int_equal(vfs_core_stat(v, A, WIN - 4, 4, &st), 0);
	assert_int_equal(vfs_core_stat(v, A, WIN - 3, 4, &st), -VFS_EFAULT);
	assert_int_equal(vfs_core_stat(v, A, WIN, 0, &st), -VFS_ENOENT); /* empty, inside */
	assert_int_equal(vfs_core_stat(v, A, WIN + 1, 0, &st), -VFS_EFAULT);
	assert_int_equal(vfs_core_stat(v, A, UINT64_MAX, 2, &st), -VFS_EFAULT);
	assert_int_equal(vfs_core_stat(v, A, UINT64_MAX - 1, 4, &st), -VFS_EFAULT);
	assert_int_equal(vfs_core_stat(v, A, 0, UINT32_MAX, &st), -VFS_EFAULT);
	assert_int_equal(vfs_core_open(v, A, WIN - 3, 4, VFS_O_CREAT | VFS_O_RDWR, 0600),
	                 -VFS_EFAULT);
	assert_int_equal(vfs_core_mkdir(v, A, UINT64_MAX, 2, 0755), -VFS_EFAULT);
	put(A, 0, "/etc");
	assert_int_equal(vfs_core_rename(v, A, 0, 4, WIN - 1, 2), -VFS_EFAULT);
	assert_int_equal(vfs_core_rename(v, A, WIN - 1, 2, 0, 4), -VFS_EFAULT);

	/* Data: the same for read, write, pread, pwrite, readdir, getcwd, mounts. */
	int64_t fd = xopen(A, "/mnt/w", VFS_O_RDWR | VFS_O_CREAT, 0600);
	assert_true(fd >= 0);
	before = changes();
	uint32_t f = (uint32_t)fd;
	assert_int_equal(vfs_core_write(v, A, f, WIN - 10, 11), -VFS_EFAULT);
	assert_int_equal(vfs_core_write(v, A, f, UINT64_MAX - 5, 10), -VFS_EFAULT);
	assert_int_equal(vfs_core_write(v, A, f, WIN + 1, 0), -VFS_EFAULT);
	assert_int_equal(vfs_core_pwrite(v, A, f, WIN, 1, 0), -VFS_EFAULT);
	assert_int_equal(changes(), before);
	assert_int_equal(vfs_core_write(v, A, f, 0, WIN), WIN); /* all of it */
	assert_int_equal(vfs_core_write(v, A, f, WIN, 0), 0);
	assert_int_equal(vfs_core_read(v, A, f, WIN - 1, 2), -VFS_EFAULT);
	assert_int_equal(vfs_core_read(v, A, f, UINT64_MAX, 1), -VFS_EFAULT);
	assert_int_equal(vfs_core_pread(v, A, f, WIN - 1, 2, 0), -VFS_EFAULT);
	assert_int_equal(vfs_core_read(v, A, f, WIN, 0), 0);
	/* EFAULT comes before EBADF: the window is checked first. */
	assert_int_equal(vfs_core_read(v, A, 63, WIN, 1), -VFS_EFAULT);
	assert_int_equal(vfs_core_getcwd(v, A, WIN - 1, 2), -VFS_EFAULT);
	assert_int_equal(vfs_core_mounts(v, A, WIN - 1, 2), -VFS_EFAULT);
	int64_t d = xopen(A, "/", VFS_O_RDONLY, 0);
	assert_int_equal(vfs_core_readdir(v, A, (uint32_t)d, WIN - 8, 9), -VFS_EFAULT);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)d), 0);
	/* Client B's window is its own size, wherever A's is. */
	assert_int_equal(vfs_core_close(v, A, f), 0);
}

static void test_bad_paths(void **state)
{
	(void)state;
	unsigned before = changes();
	/* An overlong path: 4096 bytes (the limit counts the NUL). */
	static char longp[VFS_PATH_MAX + 1];
	memset(longp, 'a', VFS_PATH_MAX);
	longp[0] = '/';
	for (size_t i = 200; i < VFS_PATH_MAX; i += 200)
		longp[i] = '/';
	longp[VFS_PATH_MAX] = '\0';
	memcpy(win_a, longp, VFS_PATH_MAX);
	assert_int_equal(vfs_core_open(v, A, 0, VFS_PATH_MAX, VFS_O_CREAT | VFS_O_RDWR, 0600),
	                 -VFS_ENAMETOOLONG);
	assert_int_equal(vfs_core_mkdir(v, A, 0, VFS_PATH_MAX, 0755), -VFS_ENAMETOOLONG);
	/* A name of 256 bytes. */
	char name[300] = "/mnt/";
	memset(name + 5, 'n', 256);
	name[261] = '\0';
	assert_int_equal(xopen(A, name, VFS_O_CREAT | VFS_O_RDWR, 0600), -VFS_ENAMETOOLONG);
	/* A NUL inside. */
	memcpy(win_a, "/mnt/a\0b", 8);
	assert_int_equal(vfs_core_open(v, A, 0, 8, VFS_O_CREAT | VFS_O_RDWR, 0600), -VFS_EINVAL);
	assert_int_equal(vfs_core_mkdir(v, A, 0, 8, 0755), -VFS_EINVAL);
	assert_int_equal(vfs_core_unlink(v, A, 0, 8), -VFS_EINVAL);
	/* Empty. */
	assert_int_equal(vfs_core_open(v, A, 0, 0, VFS_O_CREAT | VFS_O_RDWR, 0600), -VFS_ENOENT);
	assert_int_equal(changes(), before);
	assert_null(fake_fs_find(mnt, "a"));
}

/* ---- stat, readdir ---------------------------------------------------------------------- */

static void test_stat(void **state)
{
	(void)state;
	struct vfs_core_stat st;
	assert_int_equal(xstat(A, "/etc/motd", &st), 0);
	assert_int_equal(st.dev, ROOT_ID);
	assert_int_equal(st.attr.size, 6);
	assert_true(VFS_S_ISREG(st.attr.mode));
	assert_int_equal(xstat(A, "/etc/motd/", &st), -VFS_ENOTDIR);
	assert_int_equal(xstat(A, "/etc/nope", &st), -VFS_ENOENT);
	assert_int_equal(xstat(A, "/etc/motd/x", &st), -VFS_ENOTDIR);
	/* A mount point is the mounted file system's root. */
	assert_int_equal(xstat(A, "/mnt", &st), 0);
	assert_int_equal(st.dev, MNT_ID);
	assert_int_equal(st.attr.ino, 1);
	assert_int_equal(xstat(A, "/mnt/..", &st), 0);
	assert_int_equal(st.dev, ROOT_ID);
	assert_int_equal(xstat(A, "/ro/file", &st), 0);
	assert_int_equal(st.dev, RO_ID);
	assert_int_equal(vfs_core_fstat(v, A, 5, &st), -VFS_EBADF);
	assert_int_equal(vfs_core_fstat(v, A, UINT32_MAX, &st), -VFS_EBADF);
}

struct rec {
	uint64_t ino;
	int64_t next;
	uint16_t reclen;
	uint8_t type;
	const char *name;
};

/* Parses the getdents64 records at `p` (n bytes) into `out`; the count. */
static int parse(const uint8_t *p, int64_t n, struct rec *out, int max)
{
	int k = 0;
	int64_t at = 0;
	while (at < n) {
		assert_true(k < max);
		struct rec *r = &out[k++];
		memcpy(&r->ino, p + at, 8);
		memcpy(&r->next, p + at + 8, 8);
		memcpy(&r->reclen, p + at + 16, 2);
		r->type = p[at + 18];
		r->name = (const char *)p + at + 19;
		assert_int_equal(r->reclen % 8, 0);
		assert_true(r->reclen >= 19 + strlen(r->name) + 1);
		assert_true(r->reclen < 19 + strlen(r->name) + 1 + 8);
		at += r->reclen;
	}
	assert_int_equal(at, n);
	return k;
}

static void test_readdir(void **state)
{
	(void)state;
	fake_fs_add(mnt, "d", NULL);
	fake_fs_add(mnt, "d/one", "1");
	fake_fs_add(mnt, "d/two", "22");
	fake_fs_add(mnt, "d/sub", NULL);
	fake_fs_add(mnt, "d/a-rather-longer-name-than-the-others", "");
	int64_t fd = xopen(A, "/mnt/d", VFS_O_RDONLY | VFS_O_DIRECTORY, 0);
	assert_true(fd >= 0);
	struct rec recs[16];
	int64_t n = vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096);
	assert_true(n > 0);
	int k = parse(win_a + DATA, n, recs, 16);
	assert_int_equal(k, 6);
	assert_string_equal(recs[0].name, ".");
	assert_string_equal(recs[1].name, "..");
	assert_string_equal(recs[2].name, "one");
	assert_int_equal(recs[2].type, VFS_DT_REG);
	assert_int_equal(recs[2].ino, fake_fs_find(mnt, "d/one")->ino);
	assert_string_equal(recs[4].name, "sub");
	assert_int_equal(recs[4].type, VFS_DT_DIR);
	assert_string_equal(recs[5].name, "a-rather-longer-name-than-the-others");
	assert_int_equal(recs[0].reclen, 24);
	/* At the end: 0, and again 0. */
	assert_int_equal(vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096), 0);
	assert_int_equal(vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096), 0);

	/* Rewind and read in a buffer of one small record at a time: each call gives one, the
	 * long name needs more than 24 bytes (EINVAL when nothing fits, nothing skipped). */
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 0, VFS_SEEK_SET), 0);
	const char *want[] = {".", "..", "one", "two", "sub"};
	for (int i = 0; i < 5; i++) {
		n = vfs_core_readdir(v, A, (uint32_t)fd, DATA, 24);
		assert_int_equal(n, 24);
		parse(win_a + DATA, n, recs, 16);
		assert_string_equal(recs[0].name, want[i]);
	}
	int64_t cookie = vfs_core_seek(v, A, (uint32_t)fd, 0, VFS_SEEK_CUR);
	assert_int_equal(cookie, recs[0].next);
	assert_int_equal(vfs_core_readdir(v, A, (uint32_t)fd, DATA, 24), -VFS_EINVAL);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 0, VFS_SEEK_CUR), cookie);
	n = vfs_core_readdir(v, A, (uint32_t)fd, DATA, 64);
	assert_int_equal(parse(win_a + DATA, n, recs, 16), 1);
	assert_string_equal(recs[0].name, "a-rather-longer-name-than-the-others");
	/* A cookie given back continues there (telldir/seekdir). */
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, cookie, VFS_SEEK_SET), cookie);
	n = vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096);
	assert_int_equal(parse(win_a + DATA, n, recs, 16), 1);
	/* What a directory's position cannot do. */
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 0, VFS_SEEK_END), -VFS_EINVAL);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 1, VFS_SEEK_CUR), -VFS_EINVAL);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, -1, VFS_SEEK_SET), -VFS_EINVAL);
	assert_int_equal(vfs_core_readdir(v, A, (uint32_t)fd, DATA, 0), 0); /* at the end */
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 0, VFS_SEEK_SET), 0);
	assert_int_equal(vfs_core_readdir(v, A, (uint32_t)fd, DATA, 0), -VFS_EINVAL);
	assert_int_equal(vfs_core_readdir(v, A, (uint32_t)fd, DATA, 23), -VFS_EINVAL);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);

	/* readdir of a file; of a bad descriptor. */
	fd = xopen(A, "/mnt/d/one", VFS_O_RDONLY, 0);
	assert_int_equal(vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096), -VFS_ENOTDIR);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	assert_int_equal(vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096), -VFS_EBADF);
}

/* ---- namespace changes ------------------------------------------------------------------ */

static void test_mkdir_rmdir_unlink(void **state)
{
	(void)state;
	assert_int_equal(xmkdir(A, "/mnt/dir"), 0);
	assert_int_equal(xmkdir(A, "/mnt/dir"), -VFS_EEXIST);
	assert_int_equal(xmkdir(A, "/mnt/dir/sub/"), 0);
	assert_int_equal(xmkdir(A, "/mnt/none/sub"), -VFS_ENOENT);
	assert_int_equal(xmkdir(A, "/mnt"), -VFS_EEXIST);
	assert_int_equal(xmkdir(A, "/"), -VFS_EEXIST);
	assert_int_equal(xrmdir(A, "/mnt/dir"), -VFS_ENOTEMPTY);
	assert_int_equal(xrmdir(A, "/mnt/dir/sub"), 0);
	assert_int_equal(xrmdir(A, "/mnt/dir/sub"), -VFS_ENOENT);
	int64_t fd = xopen(A, "/mnt/dir/f", VFS_O_RDWR | VFS_O_CREAT, 0600);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	assert_int_equal(xrmdir(A, "/mnt/dir/f"), -VFS_ENOTDIR);
	assert_int_equal(xunlink(A, "/mnt/dir"), -VFS_EISDIR);
	assert_int_equal(xunlink(A, "/mnt/dir/"), -VFS_EISDIR);
	assert_int_equal(xunlink(A, "/mnt/dir/f/"), -VFS_ENOTDIR);
	assert_int_equal(xunlink(A, "/mnt/dir/f"), 0);
	assert_int_equal(xunlink(A, "/mnt/dir/f"), -VFS_ENOENT);
	assert_int_equal(xrmdir(A, "/mnt/dir/"), 0);

	/* Mount points: neither removed nor unlinked, nor what holds one. */
	unsigned before = changes();
	assert_int_equal(xrmdir(A, "/mnt"), -VFS_EBUSY);
	assert_int_equal(xrmdir(A, "/mnt/"), -VFS_EBUSY);
	assert_int_equal(xrmdir(A, "/"), -VFS_EBUSY);
	assert_int_equal(xrmdir(A, "/ro"), -VFS_EBUSY);
	assert_int_equal(xunlink(A, "/mnt"), -VFS_EISDIR);
	assert_int_equal(changes(), before);
}

static void test_rename(void **state)
{
	(void)state;
	int64_t fd = xopen(A, "/mnt/a", VFS_O_RDWR | VFS_O_CREAT, 0600);
	assert_int_equal(xwrite(A, fd, "data"), 4);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	assert_int_equal(xrename(A, "/mnt/a", "/mnt/b"), 0);
	assert_null(fake_fs_find(mnt, "a"));
	assert_int_equal(fake_fs_find(mnt, "b")->size, 4);
	assert_int_equal(xrename(A, "/mnt/a", "/mnt/c"), -VFS_ENOENT);
	assert_int_equal(xmkdir(A, "/mnt/d"), 0);
	assert_int_equal(xrename(A, "/mnt/d", "/mnt/e/"), 0);
	unsigned before = changes();
	assert_int_equal(xrename(A, "/mnt/b/", "/mnt/c"), -VFS_ENOTDIR);
	assert_int_equal(xrename(A, "/mnt/b", "/mnt/c/"), -VFS_ENOTDIR);
	/* Across mounts, of mount points, into or out of a read-only mount. */
	assert_int_equal(xrename(A, "/mnt/b", "/etc/b"), -VFS_EXDEV);
	assert_int_equal(xrename(A, "/etc/motd", "/mnt/motd"), -VFS_EXDEV);
	assert_int_equal(xrename(A, "/mnt", "/mnt2"), -VFS_EBUSY);
	assert_int_equal(xrename(A, "/etc", "/mnt"), -VFS_EBUSY);
	assert_int_equal(xrename(A, "/mnt/b", "/mnt"), -VFS_EBUSY);
	assert_int_equal(xrename(A, "/", "/x"), -VFS_EBUSY);
	assert_int_equal(xrename(A, "/ro/file", "/ro/file2"), -VFS_EROFS);
	assert_int_equal(xrename(A, "/ro/file", "/mnt/file2"), -VFS_EXDEV);
	assert_int_equal(changes(), before);
	assert_non_null(fake_fs_find(mnt, "b"));
	assert_non_null(fake_fs_find(rofs, "file"));
}

static void test_mount_below_busy(void **state)
{
	(void)state;
	/* A directory holding a mount point cannot go, even if its own file system thinks it
	 * is empty: /data/x is a mount, /data has nothing else in the root file system. */
	fake_fs_add(root, "data", NULL);
	struct vfs_fs f = {&fake_fs_ops, mnt};
	assert_int_equal(vfs_core_mount(v, "/data/x", &f, NULL, false), 3);
	unsigned before = changes();
	assert_int_equal(xrmdir(A, "/data"), -VFS_EBUSY);
	assert_int_equal(xrename(A, "/data", "/data2"), -VFS_EBUSY);
	assert_int_equal(xrename(A, "/etc", "/data"), -VFS_EBUSY);
	assert_int_equal(changes(), before);
	/* The mount point did not exist in the root file system: still reachable. */
	struct vfs_core_stat st;
	assert_int_equal(xstat(A, "/data/x", &st), 0);
	assert_int_equal(st.dev, 3);
	/* ... and listed in /data after what the file system lists, once; "/" lists its
	 * mount points "mnt" and "ro" once (its file system has them). */
	fake_fs_add(root, "data/file", "");
	int64_t fd = xopen(A, "/data", VFS_O_RDONLY, 0);
	struct rec recs[16];
	int64_t n = vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096);
	assert_int_equal(parse(win_a + DATA, n, recs, 16), 4);
	assert_string_equal(recs[2].name, "file");
	assert_string_equal(recs[3].name, "x");
	assert_int_equal(recs[3].type, VFS_DT_DIR);
	assert_int_equal(recs[3].ino, 1); /* the mounted root's */
	assert_int_equal(vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096), 0);
	/* Told and given back, a cookie of the VFS's own works like the file system's. */
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, recs[2].next, VFS_SEEK_SET),
	                 recs[2].next);
	n = vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096);
	assert_int_equal(parse(win_a + DATA, n, recs, 16), 1);
	assert_string_equal(recs[0].name, "x");
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	fd = xopen(A, "/", VFS_O_RDONLY, 0);
	n = vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096);
	int k = parse(win_a + DATA, n, recs, 16);
	int mnts = 0;
	for (int i = 0; i < k; i++)
		mnts += strcmp(recs[i].name, "mnt") == 0;
	assert_int_equal(mnts, 1);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
}

/* A readdir that fails changes nothing, its position included: when the file system's
 * entries had ended and the first mount point did not fit (-EINVAL), the position moved
 * to the VFS's own cookies anyway (found by fuzz_vfs). */
static void test_readdir_failure_keeps_position(void **state)
{
	(void)state;
	fake_fs_add(root, "data", NULL);
	fake_fs_add(root, "data/file", "");
	struct vfs_fs f = {&fake_fs_ops, mnt};
	assert_int_equal(vfs_core_mount(v, "/data/x", &f, NULL, false), 3);
	int64_t fd = xopen(A, "/data", VFS_O_RDONLY, 0);
	struct rec recs[4];
	int64_t n = vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096);
	assert_int_equal(parse(win_a + DATA, n, recs, 4), 4);
	int64_t after_file = (int64_t)recs[2].next;
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, after_file, VFS_SEEK_SET), after_file);
	assert_int_equal(vfs_core_readdir(v, A, (uint32_t)fd, DATA, 8), -VFS_EINVAL);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 0, VFS_SEEK_CUR), after_file);
	n = vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096);
	assert_int_equal(parse(win_a + DATA, n, recs, 4), 1);
	assert_string_equal(recs[0].name, "x");
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
}

static void test_truncate(void **state)
{
	(void)state;
	int64_t fd = xopen(A, "/mnt/t", VFS_O_RDWR | VFS_O_CREAT, 0600);
	assert_int_equal(xwrite(A, fd, "0123456789"), 10);
	assert_int_equal(vfs_core_truncate(v, A, 0, put(A, 0, "/mnt/t"), 4), 0);
	assert_int_equal(fake_fs_find(mnt, "t")->size, 4);
	assert_int_equal(vfs_core_ftruncate(v, A, (uint32_t)fd, 6), 0);
	assert_int_equal(fake_fs_find(mnt, "t")->size, 6);
	assert_memory_equal(fake_fs_find(mnt, "t")->data, "0123\0\0", 6);
	assert_int_equal(vfs_core_ftruncate(v, A, (uint32_t)fd, UINT64_MAX), -VFS_EINVAL);
	assert_int_equal(vfs_core_ftruncate(v, A, 40, 0), -VFS_EBADF);
	assert_int_equal(vfs_core_fsync(v, A, (uint32_t)fd), 0);
	assert_int_equal(mnt->syncs, 1);
	assert_int_equal(vfs_core_fsync(v, A, 40), -VFS_EBADF);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	fd = xopen(A, "/mnt/t", VFS_O_RDONLY, 0);
	unsigned before = changes();
	assert_int_equal(vfs_core_ftruncate(v, A, (uint32_t)fd, 0), -VFS_EINVAL);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	assert_int_equal(vfs_core_truncate(v, A, 0, put(A, 0, "/mnt/t"), (uint64_t)INT64_MAX + 1),
	                 -VFS_EINVAL);
	assert_int_equal(vfs_core_truncate(v, A, 0, put(A, 0, "/mnt/none"), 0), -VFS_ENOENT);
	assert_int_equal(vfs_core_truncate(v, A, 0, put(A, 0, "/etc"), 0), -VFS_EISDIR);
	assert_int_equal(vfs_core_truncate(v, A, 0, put(A, 0, "/mnt/t/"), 0), -VFS_ENOTDIR);
	assert_int_equal(changes(), before);
	assert_int_equal(fake_fs_find(mnt, "t")->size, 6);
	assert_int_equal(mnt->open_handles, 0);
	assert_int_equal(root->open_handles, 0);
}

static void test_chmod_chown(void **state)
{
	(void)state;
	assert_int_equal(vfs_core_chmod(v, A, 0, put(A, 0, "/etc/motd"), 0100600), 0);
	assert_int_equal(fake_fs_find(root, "etc/motd")->mode, VFS_S_IFREG | 0600);
	assert_int_equal(vfs_core_chmod(v, A, 0, put(A, 0, "/etc"), 01777), 0);
	assert_int_equal(fake_fs_find(root, "etc")->mode, VFS_S_IFDIR | 01777);
	assert_int_equal(vfs_core_chown(v, A, 0, put(A, 0, "/etc/motd"), 5, UINT32_MAX), 0);
	assert_int_equal(fake_fs_find(root, "etc/motd")->uid, 5);
	assert_int_equal(fake_fs_find(root, "etc/motd")->gid, 0);
	assert_int_equal(vfs_core_chown(v, A, 0, put(A, 0, "/etc/motd"), UINT32_MAX, 7), 0);
	assert_int_equal(fake_fs_find(root, "etc/motd")->uid, 5);
	assert_int_equal(fake_fs_find(root, "etc/motd")->gid, 7);
	unsigned before = changes();
	assert_int_equal(vfs_core_chown(v, A, 0, put(A, 0, "/etc/motd"), UINT32_MAX, UINT32_MAX),
	                 0);
	assert_int_equal(vfs_core_chmod(v, A, 0, put(A, 0, "/etc/nope"), 0777), -VFS_ENOENT);
	assert_int_equal(vfs_core_chmod(v, A, 0, put(A, 0, "/etc/motd/"), 0777), -VFS_ENOTDIR);
	assert_int_equal(vfs_core_chmod(v, A, 0, put(A, 0, "/ro/file"), 0777), -VFS_EROFS);
	assert_int_equal(vfs_core_chown(v, A, 0, put(A, 0, "/ro/file"), 1, 1), -VFS_EROFS);
	assert_int_equal(changes(), before);
	assert_int_equal(root->open_handles, 0);
}

/* ---- read-only mounts, statfs, mounts --------------------------------------------------- */

static void test_readonly(void **state)
{
	(void)state;
	int64_t n;
	unsigned before = changes();
	assert_int_equal(xopen(A, "/ro/file", VFS_O_WRONLY, 0), -VFS_EROFS);
	assert_int_equal(xopen(A, "/ro/file", VFS_O_RDWR, 0), -VFS_EROFS);
	assert_int_equal(xopen(A, "/ro/file", VFS_O_RDONLY | VFS_O_TRUNC, 0), -VFS_EROFS);
	assert_int_equal(xopen(A, "/ro/new", VFS_O_RDONLY | VFS_O_CREAT, 0600), -VFS_EROFS);
	assert_int_equal(xopen(A, "/ro/file", VFS_O_RDONLY | VFS_O_CREAT | VFS_O_EXCL, 0600),
	                 -VFS_EEXIST);
	assert_int_equal(xmkdir(A, "/ro/d"), -VFS_EROFS);
	assert_int_equal(xunlink(A, "/ro/file"), -VFS_EROFS);
	assert_int_equal(xrmdir(A, "/ro/file"), -VFS_EROFS);
	assert_int_equal(vfs_core_truncate(v, A, 0, put(A, 0, "/ro/file"), 0), -VFS_EROFS);
	assert_int_equal(changes(), before);
	/* Reading, and O_CREAT of what exists, are no change. */
	int64_t fd = xopen(A, "/ro/file", VFS_O_RDONLY | VFS_O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_string_equal(xread(A, fd, 100, &n), "read only");
	assert_int_equal(xwrite(A, fd, "x"), -VFS_EBADF);
	assert_int_equal(vfs_core_ftruncate(v, A, (uint32_t)fd, 0), -VFS_EINVAL);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	struct vfs_statfs st;
	assert_int_equal(vfs_core_statfs(v, A, 0, put(A, 0, "/ro/file"), &st), 0);
	assert_int_equal(st.flags & VFS_STATFS_RDONLY, VFS_STATFS_RDONLY);
	assert_string_equal(st.type, "initrd");
	assert_int_equal(vfs_core_statfs(v, A, 0, put(A, 0, "/mnt"), &st), 0);
	assert_int_equal(st.flags & VFS_STATFS_RDONLY, 0);
	assert_string_equal(st.type, "mntfs");
	assert_int_equal(vfs_core_statfs(v, A, 0, put(A, 0, "/mnt/none"), &st), -VFS_ENOENT);
	assert_int_equal(vfs_core_statfs(v, A, 0, put(A, 0, "/etc/motd/"), &st), -VFS_ENOTDIR);
	/* A file system that says it is read-only is read-only wherever it is mounted. */
	static struct fake_fs self_ro_fs;
	struct fake_fs *self_ro = &self_ro_fs;
	fake_fs_init(self_ro, "selfro");
	self_ro->readonly = true;
	struct vfs_fs f = {&fake_fs_ops, self_ro};
	assert_int_equal(vfs_core_mount(v, "/etc/sro", &f, NULL, false), 3);
	assert_int_equal(xmkdir(A, "/etc/sro/d"), -VFS_EROFS);
	assert_int_equal(self_ro->changes, 0);
}

static void test_mounts_listing(void **state)
{
	(void)state;
	const char *want = "/ rootfs rw\n/mnt tmpfs rw\n/ro initrd ro\n";
	int64_t n = vfs_core_mounts(v, A, DATA, 4096);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(win_a + DATA, want, strlen(want));
	/* Exactly enough room; one byte less writes nothing. */
	assert_int_equal(vfs_core_mounts(v, A, DATA, (uint32_t)strlen(want)), strlen(want));
	memset(win_a + DATA, '#', 64);
	assert_int_equal(vfs_core_mounts(v, A, DATA, (uint32_t)strlen(want) - 1), -VFS_CORE_ERANGE);
	assert_int_equal(win_a[DATA], '#');
	assert_int_equal(vfs_core_mounts(v, A, DATA, 0), -VFS_CORE_ERANGE);
}

/* ---- working directories ---------------------------------------------------------------- */

static void test_cwd(void **state)
{
	(void)state;
	assert_string_equal(cwd_of(A), "/");
	assert_int_equal(xchdir(A, "mnt"), 0);
	assert_string_equal(cwd_of(A), "/mnt");
	assert_string_equal(cwd_of(B), "/"); /* B's is its own */
	int64_t fd = xopen(A, "rel", VFS_O_RDWR | VFS_O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_non_null(fake_fs_find(mnt, "rel"));
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	struct vfs_core_stat st;
	assert_int_equal(xstat(A, "../etc/motd", &st), 0);
	assert_int_equal(st.dev, ROOT_ID);
	assert_int_equal(xstat(B, "rel", &st), -VFS_ENOENT); /* B's "rel" is /rel */
	/* A failed chdir leaves the directory: a file, nothing, a path error. */
	assert_int_equal(xchdir(A, "rel"), -VFS_ENOTDIR);
	assert_int_equal(xchdir(A, "nope"), -VFS_ENOENT);
	assert_int_equal(xchdir(A, ""), -VFS_ENOENT);
	memcpy(win_a, "a\0", 2);
	assert_int_equal(vfs_core_chdir(v, A, 0, 2), -VFS_EINVAL);
	assert_int_equal(vfs_core_chdir(v, A, WIN, 1), -VFS_EFAULT);
	assert_string_equal(cwd_of(A), "/mnt");
	assert_int_equal(xchdir(A, ".."), 0);
	assert_string_equal(cwd_of(A), "/");
	assert_int_equal(xchdir(A, "../../etc/"), 0);
	assert_string_equal(cwd_of(A), "/etc");
	/* getcwd: the length with the NUL; ERANGE when it does not fit. */
	assert_int_equal(vfs_core_getcwd(v, A, DATA, 5), 5);
	assert_int_equal(vfs_core_getcwd(v, A, DATA, 4), -VFS_CORE_ERANGE);
	assert_int_equal(vfs_core_getcwd(v, A, DATA, 0), -VFS_CORE_ERANGE);
	assert_int_equal(vfs_core_getcwd(v, A, WIN - 5, 5), 5);
	assert_memory_equal(win_a + WIN - 5, "/etc", 5);
}

/* ---- descriptors ------------------------------------------------------------------------ */

static void test_dup_shares_position(void **state)
{
	(void)state;
	int64_t n;
	int64_t fd = xopen(A, "/etc/motd", VFS_O_RDONLY, 0);
	int64_t fd2 = vfs_core_dup(v, A, (uint32_t)fd);
	assert_int_equal(fd2, fd + 1);
	assert_string_equal(xread(A, fd, 2, &n), "he");
	assert_string_equal(xread(A, fd2, 2, &n), "ll"); /* one position for both */
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd2, 0, VFS_SEEK_SET), 0);
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 0, VFS_SEEK_CUR), 0);
	assert_int_equal(root->open_handles, 1);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	assert_int_equal(root->open_handles, 1); /* still open through fd2 */
	assert_string_equal(xread(A, fd2, 3, &n), "hel");
	assert_int_equal(vfs_core_dup(v, A, (uint32_t)fd), -VFS_EBADF);
	assert_int_equal(vfs_core_dup(v, A, VFS_CORE_FD_MAX), -VFS_EBADF);
	/* The lowest free descriptor: fd (0) is free again. */
	assert_int_equal(vfs_core_dup(v, A, (uint32_t)fd2), 0);
	assert_int_equal(vfs_core_close(v, A, 0), 0);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd2), 0);
	assert_int_equal(root->open_handles, 0);
}

static void test_emfile_enfile(void **state)
{
	(void)state;
	/* 64 descriptors per client. */
	for (uint32_t i = 0; i < VFS_CORE_FD_MAX; i++)
		assert_int_equal(xopen(A, "/etc/motd", VFS_O_RDONLY, 0), i);
	unsigned before = changes();
	assert_int_equal(xopen(A, "/etc/motd", VFS_O_RDONLY, 0), -VFS_EMFILE);
	assert_int_equal(xopen(A, "/mnt/x", VFS_O_RDWR | VFS_O_CREAT, 0600), -VFS_EMFILE);
	assert_int_equal(vfs_core_dup(v, A, 0), -VFS_EMFILE);
	assert_int_equal(changes(), before);
	assert_null(fake_fs_find(mnt, "x")); /* refused before the file system saw it */
	/* B is not limited by A's table. */
	assert_int_equal(xopen(B, "/etc/motd", VFS_O_RDONLY, 0), 0);
	assert_int_equal(vfs_core_close(v, B, 0), 0);
	/* Descriptions: 256 for everyone. Three more clients fill the pool; then ENFILE, while
	 * dup (a descriptor, no description) still works. */
	for (uint64_t b = 3; b <= 5; b++) {
		assert_int_equal(vfs_core_add_client(v, b, win_a, WIN), 0);
		for (uint32_t i = 0; i < VFS_CORE_FD_MAX; i++) {
			uint32_t len = put(A, 0, "/etc/motd");
			assert_int_equal(vfs_core_open(v, b, 0, len, VFS_O_RDONLY, 0), i);
		}
	}
	assert_int_equal(xopen(B, "/etc/motd", VFS_O_RDONLY, 0), -VFS_CORE_ENFILE);
	assert_int_equal(vfs_core_close(v, 5, 10), 0);
	assert_int_equal(xopen(B, "/etc/motd", VFS_O_RDONLY, 0), 0);
	assert_int_equal(xopen(B, "/etc/motd", VFS_O_RDONLY, 0), -VFS_CORE_ENFILE);
	assert_int_equal(vfs_core_dup(v, B, 0), 1);
	assert_int_equal(changes(), before);
}

/* ---- two clients ------------------------------------------------------------------------ */

static void test_isolation(void **state)
{
	(void)state;
	int64_t n;
	int64_t fd = xopen(A, "/mnt/secret", VFS_O_RDWR | VFS_O_CREAT, 0600);
	assert_int_equal(fd, 0);
	assert_int_equal(xwrite(A, fd, "A's"), 3);
	/* B's descriptor 0 is not A's: every method on it is EBADF and nothing changes. */
	unsigned before = changes();
	xread(B, 0, 10, &n);
	assert_int_equal(n, -VFS_EBADF);
	assert_int_equal(xwrite(B, 0, "B"), -VFS_EBADF);
	assert_int_equal(vfs_core_pread(v, B, 0, DATA, 1, 0), -VFS_EBADF);
	assert_int_equal(vfs_core_pwrite(v, B, 0, DATA, 1, 0), -VFS_EBADF);
	assert_int_equal(vfs_core_seek(v, B, 0, 0, VFS_SEEK_SET), -VFS_EBADF);
	struct vfs_core_stat st;
	assert_int_equal(vfs_core_fstat(v, B, 0, &st), -VFS_EBADF);
	assert_int_equal(vfs_core_ftruncate(v, B, 0, 0), -VFS_EBADF);
	assert_int_equal(vfs_core_fsync(v, B, 0), -VFS_EBADF);
	assert_int_equal(vfs_core_readdir(v, B, 0, DATA, 100), -VFS_EBADF);
	assert_int_equal(vfs_core_dup(v, B, 0), -VFS_EBADF);
	assert_int_equal(vfs_core_close(v, B, 0), -VFS_EBADF);
	assert_int_equal(changes(), before);
	/* A's descriptor still works, its position untouched. */
	assert_int_equal(vfs_core_seek(v, A, 0, 0, VFS_SEEK_CUR), 3);
	/* B's window is B's: a read lands there, not in A's. */
	int64_t bfd = xopen(B, "/mnt/secret", VFS_O_RDONLY, 0);
	assert_int_equal(bfd, 0);
	memset(win_a + DATA, 0, 16);
	assert_string_equal(xread(B, bfd, 10, &n), "A's");
	assert_int_equal(win_a[DATA], 0);
	assert_int_equal(vfs_core_close(v, B, 0), 0);
	assert_int_equal(vfs_core_seek(v, A, 0, 0, VFS_SEEK_CUR), 3);
	assert_int_equal(vfs_core_close(v, A, 0), 0);
}

/* ---- over tmpfs ------------------------------------------------------------------------- *
 * The same VFS over the real in-memory file system: tmpfs at "/t" (and a second at
 * "/t/inner"), with tmpfs_check() after each step. */

static struct tmpfs *tfs, *tfs2;

static void tcheck(const struct tmpfs *fs)
{
	char why[200];
	if (tmpfs_check(fs, why, sizeof why) != 0)
		fail_msg("tmpfs_check: %s", why);
}

/* sync: every mount, the whole file system each time, all tried after a failure; the
 * first error is the answer. */
static void test_sync_all(void **state)
{
	(void)state;
	assert_int_equal(vfs_core_sync(v, A), 0);
	assert_int_equal(root->syncs, 1);
	assert_int_equal(mnt->syncs, 1);
	assert_int_equal(rofs->syncs, 1); /* read-only mounts too */
	assert_true(root->last_sync == UINT64_MAX && mnt->last_sync == UINT64_MAX &&
	            rofs->last_sync == UINT64_MAX);
	mnt->sync_error = -VFS_EIO;
	rofs->sync_error = -VFS_ENOSPC;
	assert_int_equal(vfs_core_sync(v, B), -VFS_EIO);
	assert_int_equal(root->syncs, 2);
	assert_int_equal(mnt->syncs, 2);
	assert_int_equal(rofs->syncs, 2); /* tried although /mnt failed before it */
	root->sync_error = -VFS_EROFS;
	assert_int_equal(vfs_core_sync(v, A), -VFS_EROFS);
	assert_int_equal(rofs->syncs, 3);
	/* A badge without a window is refused before any file system is called. */
	assert_int_equal(vfs_core_sync(v, 77), -VFS_EFAULT);
	assert_int_equal(root->syncs + mnt->syncs + rofs->syncs, 9u);
	assert_int_equal(changes(), 0u);
}

static int setup_tmpfs(void **state)
{
	setup(state);
	tfs = calloc(1, sizeof *tfs);
	tfs2 = calloc(1, sizeof *tfs2);
	struct tmpfs_config cfg = {.max_bytes = 1u << 20, .root_mode = 01777};
	assert_int_equal(tmpfs_init(tfs, &cfg), 0);
	assert_int_equal(tmpfs_init(tfs2, &cfg), 0);
	fake_fs_add(root, "t", NULL);
	struct vfs_fs f = tmpfs_vfs(tfs);
	assert_int_equal(vfs_core_mount(v, "/t", &f, NULL, false), 3);
	assert_int_equal(xmkdir(A, "/t/inner"), 0);
	f = tmpfs_vfs(tfs2);
	assert_int_equal(vfs_core_mount(v, "/t/inner", &f, NULL, false), 4);
	return 0;
}

static int teardown_tmpfs(void **state)
{
	tmpfs_destroy(tfs);
	tmpfs_destroy(tfs2);
	free(tfs);
	free(tfs2);
	return teardown(state);
}

static void test_tmpfs_files(void **state)
{
	(void)state;
	int64_t n;
	int64_t fd = xopen(A, "/t/f", VFS_O_RDWR | VFS_O_CREAT | VFS_O_EXCL, 0640);
	assert_int_equal(fd, 0);
	assert_int_equal(xwrite(A, fd, "hello"), 5);
	assert_int_equal(vfs_core_seek(v, A, 0, 10000, VFS_SEEK_SET), 10000);
	assert_int_equal(xwrite(A, fd, "end"), 3);
	struct vfs_core_stat st;
	assert_int_equal(vfs_core_fstat(v, A, 0, &st), 0);
	assert_int_equal(st.dev, 3);
	assert_int_equal(st.attr.size, 10003);
	assert_int_equal(st.attr.mode, VFS_S_IFREG | 0640);
	assert_int_equal(vfs_core_pread(v, A, 0, DATA, 8, 9998), 5);
	assert_memory_equal(win_a + DATA, "\0\0end", 5);
	assert_int_equal(vfs_core_seek(v, A, 0, 0, VFS_SEEK_SET), 0);
	assert_string_equal(xread(A, fd, 5, &n), "hello");
	tcheck(tfs);
	/* Append through a second open file description; dup shares the first's position. */
	int64_t ap = xopen(A, "/t/f", VFS_O_WRONLY | VFS_O_APPEND, 0);
	assert_int_equal(ap, 1);
	assert_int_equal(xwrite(A, ap, "!"), 1);
	assert_int_equal(vfs_core_dup(v, A, 0), 2);
	assert_int_equal(vfs_core_seek(v, A, 2, 0, VFS_SEEK_CUR), 5);
	assert_int_equal(vfs_core_seek(v, A, 0, 0, VFS_SEEK_END), 10004);
	assert_int_equal(vfs_core_seek(v, A, 2, 0, VFS_SEEK_CUR), 10004);
	/* Truncate by path and by descriptor. */
	assert_int_equal(vfs_core_truncate(v, A, 0, put(A, 0, "/t/f"), 3), 0);
	assert_int_equal(xstat(A, "/t/f", &st), 0);
	assert_int_equal(st.attr.size, 3);
	assert_int_equal(vfs_core_ftruncate(v, A, 1, 4096), 0);
	assert_int_equal(xstat(A, "/t/f", &st), 0);
	assert_int_equal(st.attr.size, 4096);
	for (int i = 0; i < 3; i++)
		assert_int_equal(vfs_core_close(v, A, (uint32_t)i), 0);
	tcheck(tfs);
	/* chmod keeps the type; chown. */
	assert_int_equal(vfs_core_chmod(v, A, 0, put(A, 0, "/t/f"), 0604), 0);
	assert_int_equal(vfs_core_chown(v, A, 0, put(A, 0, "/t/f"), 7, 8), 0);
	assert_int_equal(xstat(A, "/t/f", &st), 0);
	assert_int_equal(st.attr.mode, VFS_S_IFREG | 0604);
	assert_int_equal(st.attr.uid, 7);
	assert_int_equal(st.attr.gid, 8);
	tcheck(tfs);
}

static void test_tmpfs_namespace(void **state)
{
	(void)state;
	assert_int_equal(xmkdir(A, "/t/d"), 0);
	assert_int_equal(xmkdir(A, "/t/d/e"), 0);
	int64_t fd = xopen(A, "/t/d/e/f", VFS_O_WRONLY | VFS_O_CREAT, 0600);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	assert_int_equal(xrmdir(A, "/t/d"), -VFS_ENOTEMPTY);
	assert_int_equal(xrename(A, "/t/d", "/t/d2"), 0);
	struct vfs_core_stat st;
	assert_int_equal(xstat(A, "/t/d2/e/f", &st), 0);
	assert_int_equal(xrename(A, "/t/d2", "/t/d2/e/x"), -VFS_EINVAL); /* below itself */
	/* Mount points inside tmpfs: /t/inner is tfs2's root. */
	assert_int_equal(xrmdir(A, "/t/inner"), -VFS_EBUSY);
	assert_int_equal(xrename(A, "/t/inner", "/t/x"), -VFS_EBUSY);
	assert_int_equal(xrename(A, "/t/d2/e/f", "/t/inner/f"), -VFS_EXDEV);
	assert_int_equal(xstat(A, "/t/inner", &st), 0);
	assert_int_equal(st.dev, 4);
	assert_int_equal(xstat(A, "/t/inner/..", &st), 0);
	assert_int_equal(st.dev, 3);
	/* readdir of a tmpfs directory through the VFS. */
	fd = xopen(A, "/t", VFS_O_RDONLY | VFS_O_DIRECTORY, 0);
	struct rec recs[16];
	int64_t n = vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096);
	int k = parse(win_a + DATA, n, recs, 16);
	assert_int_equal(k, 4);
	assert_string_equal(recs[0].name, ".");
	assert_string_equal(recs[1].name, "..");
	assert_string_equal(recs[2].name, "inner");
	assert_string_equal(recs[3].name, "d2");
	assert_int_equal(recs[3].type, VFS_DT_DIR);
	assert_int_equal(vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096), 0);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	/* Unlink an open file: it stays readable through its descriptor (tmpfs keeps it). */
	fd = xopen(A, "/t/d2/e/f", VFS_O_RDWR, 0);
	assert_int_equal(xwrite(A, fd, "still"), 5);
	assert_int_equal(xunlink(A, "/t/d2/e/f"), 0);
	assert_int_equal(xstat(A, "/t/d2/e/f", &st), -VFS_ENOENT);
	assert_int_equal(vfs_core_pread(v, A, (uint32_t)fd, DATA, 5, 0), 5);
	assert_memory_equal(win_a + DATA, "still", 5);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	assert_int_equal(xrmdir(A, "/t/d2/e"), 0);
	assert_int_equal(xrmdir(A, "/t/d2"), 0);
	tcheck(tfs);
	tcheck(tfs2);
	/* statfs: tmpfs's own type and counts. */
	struct vfs_statfs sf;
	assert_int_equal(vfs_core_statfs(v, A, 0, put(A, 0, "/t"), &sf), 0);
	assert_string_equal(sf.type, "tmpfs");
	assert_true(sf.blocks > 0 && sf.bfree <= sf.blocks);
}

/* ---- symbolic links ------------------------------------------------------------------------ */

static int64_t xsymlink(uint64_t badge, const char *target, const char *path)
{
	uint32_t tl = put(badge, PATH2, target);
	return vfs_core_symlink(v, badge, PATH2, tl, 0, put(badge, 0, path));
}

static int64_t xlstat(uint64_t badge, const char *p, struct vfs_core_stat *st)
{
	return vfs_core_lstat(v, badge, 0, put(badge, 0, p), st);
}

/* readlink into the window at DATA (len bytes at most), as a string. */
static const char *xreadlink(uint64_t badge, const char *p, uint32_t len, int64_t *n)
{
	static char buf[VFS_PATH_MAX + 1];
	*n = vfs_core_readlink(v, badge, 0, put(badge, 0, p), DATA, len);
	memcpy(buf, win(badge) + DATA, *n > 0 ? (size_t)*n : 0);
	buf[*n > 0 ? *n : 0] = '\0';
	return buf;
}

static const char *xrealpath(uint64_t badge, const char *p, uint32_t len, int64_t *n)
{
	static char buf[VFS_PATH_MAX];
	*n = vfs_core_realpath(v, badge, 0, put(badge, 0, p), DATA, len);
	memcpy(buf, win(badge) + DATA, *n > 0 ? (size_t)*n : 0);
	if (*n <= 0)
		buf[0] = '\0';
	return buf;
}

/* A tmpfs whose readlink breaks fs.h's promise in the way `bad_link` names: the VFS must
 * refuse the answer (EIO) rather than resolve it, and never read past its buffer. */
enum { BAD_EMPTY, BAD_NUL, BAD_OVER };
static int bad_link;

static long bad_readlink(void *fs, const char *path, char *buf, size_t size)
{
	(void)fs, (void)path;
	switch (bad_link) {
	case BAD_EMPTY:
		return 0;
	case BAD_NUL:
		memcpy(buf, "a\0b", 3);
		return 3;
	default:
		memset(buf, 'x', size);
		return (long)size + 1; /* more than it was given room for */
	}
}

static void test_symlink_bad_target(void **state)
{
	(void)state;
	static struct vfs_fs_ops ops;
	ops = tmpfs_ops;
	ops.readlink = bad_readlink;
	struct tmpfs *t3 = calloc(1, sizeof *t3);
	struct tmpfs_config cfg = {.max_bytes = 1u << 20, .root_mode = 01777};
	assert_int_equal(tmpfs_init(t3, &cfg), 0);
	assert_int_equal(xmkdir(A, "/t/bad"), 0);
	struct vfs_fs f = {&ops, t3};
	assert_true(vfs_core_mount(v, "/t/bad", &f, NULL, false) > 0);
	assert_int_equal(xsymlink(A, "f", "/t/bad/l"), 0);
	struct vfs_core_stat st;
	for (bad_link = BAD_EMPTY; bad_link <= BAD_OVER; bad_link++) {
		assert_int_equal(xstat(A, "/t/bad/l", &st), -VFS_EIO);
		assert_int_equal(xstat(A, "/t/bad/l/x", &st), -VFS_EIO);
	}
	assert_int_equal(xlstat(A, "/t/bad/l", &st), 0); /* the link itself is fine */
	tmpfs_destroy(t3); /* teardown frees the VFS without asking its mounts anything */
	free(t3);
}

/* Symbolic links over tmpfs (/t, /t/inner) and the fake root (which has none). */
static void test_symlinks(void **state)
{
	(void)state;
	struct vfs_core_stat st, want;
	int64_t n;
	int64_t fd = xopen(A, "/t/f", VFS_O_RDWR | VFS_O_CREAT, 0644);
	assert_int_equal(xwrite(A, fd, "file f"), 6);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	assert_int_equal(xstat(A, "/t/f", &want), 0);

	/* A link: lstat sees it, stat and open go through it, readlink reads it. */
	assert_int_equal(xsymlink(A, "f", "/t/l"), 0);
	assert_int_equal(xlstat(A, "/t/l", &st), 0);
	assert_int_equal(st.attr.mode, VFS_S_IFLNK | 0777);
	assert_int_equal(st.attr.size, 1);
	assert_int_equal(xstat(A, "/t/l", &st), 0);
	assert_int_equal(st.attr.ino, want.attr.ino);
	assert_string_equal(xreadlink(A, "/t/l", 100, &n), "f");
	assert_int_equal(n, 1);
	fd = xopen(A, "/t/l", VFS_O_RDONLY, 0);
	assert_true(fd >= 0);
	assert_string_equal(xread(A, fd, 100, &n), "file f");
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	/* O_NOFOLLOW on a link is ELOOP; O_CREAT|O_EXCL names the link: EEXIST. */
	unsigned before = changes();
	assert_int_equal(xopen(A, "/t/l", VFS_O_RDONLY | VFS_O_NOFOLLOW, 0), -VFS_ELOOP);
	assert_int_equal(xopen(A, "/t/l", VFS_O_WRONLY | VFS_O_CREAT | VFS_O_EXCL, 0600),
	                 -VFS_EEXIST);
	fd = xopen(A, "/t/f", VFS_O_RDONLY | VFS_O_NOFOLLOW, 0); /* not a link: opens */
	assert_true(fd >= 0);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	/* readlink of what is no link, of nothing, with no room. */
	xreadlink(A, "/t/f", 100, &n);
	assert_int_equal(n, -VFS_EINVAL);
	xreadlink(A, "/t", 100, &n);
	assert_int_equal(n, -VFS_EINVAL);
	xreadlink(A, "/etc/motd", 100, &n); /* a file system without links */
	assert_int_equal(n, -VFS_EINVAL);
	xreadlink(A, "/t/none", 100, &n);
	assert_int_equal(n, -VFS_ENOENT);
	xreadlink(A, "/t/l", 0, &n);
	assert_int_equal(n, -VFS_EINVAL);
	assert_int_equal(vfs_core_readlink(v, A, 0, put(A, 0, "/t/l"), WIN - 1, 2), -VFS_EFAULT);
	assert_int_equal(changes(), before);

	/* O_CREAT through a dangling link creates its target. */
	assert_int_equal(xsymlink(A, "made", "/t/dangling"), 0);
	assert_int_equal(xstat(A, "/t/dangling", &st), -VFS_ENOENT);
	assert_int_equal(xlstat(A, "/t/dangling", &st), 0);
	fd = xopen(A, "/t/dangling", VFS_O_WRONLY | VFS_O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	assert_int_equal(xstat(A, "/t/made", &st), 0);

	/* A relative target is taken from the link's directory; ".." after a link goes up
	 * from where the link led, not from the link's name. */
	assert_int_equal(xmkdir(A, "/t/d"), 0);
	assert_int_equal(xsymlink(A, "../f", "/t/d/up"), 0);
	assert_int_equal(xstat(A, "/t/d/up", &st), 0);
	assert_int_equal(st.attr.ino, want.attr.ino);
	assert_int_equal(xmkdir(A, "/t/inner/sub"), 0);
	assert_int_equal(xsymlink(A, "/t/inner/sub", "/t/deep"), 0);
	assert_int_equal(xstat(A, "/t/deep/..", &st), 0);
	assert_int_equal(st.dev, 4); /* /t/inner's root, not /t (lexically /t/deep/.. is /t) */
	assert_string_equal(xrealpath(A, "/t/deep/..", 100, &n), "/t/inner");
	assert_int_equal(n, 9);
	/* Across mounts both ways: into tmpfs2, and to the fake root. */
	assert_int_equal(xsymlink(A, "/t/inner", "/t/in"), 0);
	fd = xopen(A, "/t/in/x", VFS_O_WRONLY | VFS_O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	assert_int_equal(xstat(A, "/t/inner/x", &st), 0);
	assert_int_equal(st.dev, 4);
	assert_int_equal(xsymlink(A, "../../etc/motd", "/t/d/motd"), 0);
	fd = xopen(A, "/t/d/motd", VFS_O_RDONLY, 0);
	assert_string_equal(xread(A, fd, 100, &n), "hello\n");
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	/* A link used as a directory: to a directory it works, to a file it is ENOTDIR;
	 * "link/" follows even for lstat. */
	assert_int_equal(xstat(A, "/t/l/x", &st), -VFS_ENOTDIR);
	assert_int_equal(xlstat(A, "/t/in/", &st), 0);
	assert_true(VFS_S_ISDIR(st.attr.mode));
	assert_int_equal(xlstat(A, "/t/l/", &st), -VFS_ENOTDIR);
	/* A missing directory on the way is ENOENT even when ".." would leave it. */
	assert_int_equal(xstat(A, "/t/nodir/../f", &st), -VFS_ENOENT);

	/* chdir through a link: the working directory is where it led. */
	assert_int_equal(xchdir(A, "/t/deep"), 0);
	assert_string_equal(cwd_of(A), "/t/inner/sub");
	assert_int_equal(xsymlink(A, "..", "parent"), 0); /* relative to the cwd */
	assert_int_equal(xlstat(A, "/t/inner/sub/parent", &st), 0);
	assert_string_equal(xrealpath(A, "parent", 100, &n), "/t/inner");
	assert_int_equal(xchdir(A, "/"), 0);

	/* Loops: 40 links in a row are followed, the 41st is ELOOP; so is a cycle. */
	char name[32], target[32];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "/t/c%d", i);
		snprintf(target, sizeof target, i == 39 ? "f" : "c%d", i + 1);
		assert_int_equal(xsymlink(A, target, name), 0);
	}
	assert_int_equal(xstat(A, "/t/c0", &st), 0);
	assert_int_equal(st.attr.ino, want.attr.ino);
	assert_int_equal(xsymlink(A, "c0", "/t/c40"), 0);
	assert_int_equal(xstat(A, "/t/c40", &st), -VFS_ELOOP);
	assert_int_equal(xlstat(A, "/t/c40", &st), 0);
	assert_int_equal(xsymlink(A, "loop", "/t/loop"), 0);
	assert_int_equal(xstat(A, "/t/loop", &st), -VFS_ELOOP);
	assert_int_equal(xopen(A, "/t/loop", VFS_O_RDONLY, 0), -VFS_ELOOP);
	xrealpath(A, "/t/loop/x", 100, &n);
	assert_int_equal(n, -VFS_ELOOP);

	/* What symlink refuses, changing nothing. */
	before = changes();
	assert_int_equal(xsymlink(A, "x", "/t/l"), -VFS_EEXIST);
	assert_int_equal(xsymlink(A, "x", "/t/dangling"), -VFS_EEXIST);
	assert_int_equal(xsymlink(A, "x", "/t"), -VFS_EEXIST);       /* a mount point */
	assert_int_equal(xsymlink(A, "x", "/t/d/"), -VFS_EEXIST);    /* "name/" exists */
	assert_int_equal(xsymlink(A, "x", "/t/nope/"), -VFS_ENOENT); /* "name/" cannot be made */
	assert_int_equal(xsymlink(A, "", "/t/empty"), -VFS_ENOENT);
	assert_int_equal(xsymlink(A, "x", "/etc/link"), -VFS_EPERM); /* no links there (FAT) */
	assert_int_equal(xsymlink(A, "x", "/ro/link"), -VFS_EROFS);
	assert_int_equal(xsymlink(A, "x", "/t/nodir/link"), -VFS_ENOENT);
	assert_int_equal(xsymlink(A, "x", "/t/f/link"), -VFS_ENOTDIR);
	assert_int_equal(vfs_core_symlink(v, A, WIN - 1, 2, 0, put(A, 0, "/t/w")), -VFS_EFAULT);
	assert_int_equal(vfs_core_symlink(v, A, 0, VFS_PATH_MAX, 0, put(A, 0, "/t/w")),
	                 -VFS_ENAMETOOLONG);
	memcpy(win_a + PATH2, "a\0b", 3);
	assert_int_equal(vfs_core_symlink(v, A, PATH2, 3, 0, put(A, 0, "/t/w")), -VFS_EINVAL);
	assert_int_equal(changes(), before);
	assert_int_equal(xlstat(A, "/t/w", &st), -VFS_ENOENT);

	/* realpath: ERANGE when it does not fit, ENOENT for a dangling link. */
	xrealpath(A, "/t/deep", 5, &n);
	assert_int_equal(n, -VFS_CORE_ERANGE);
	xrealpath(A, "/t/dangling2", 100, &n);
	assert_int_equal(n, -VFS_ENOENT);
	assert_string_equal(xrealpath(A, "/t/d/up", 100, &n), "/t/f");

	/* readdir says DT_LNK; unlink and rename act on the link, not its target. */
	fd = xopen(A, "/t/d", VFS_O_RDONLY | VFS_O_DIRECTORY, 0);
	n = vfs_core_readdir(v, A, (uint32_t)fd, DATA, 4096);
	assert_true(n > 0);
	bool seen = false;
	for (int64_t at = 0; at < n;) {
		uint16_t reclen;
		memcpy(&reclen, win_a + DATA + at + 16, 2);
		if (strcmp((char *)win_a + DATA + at + 19, "up") == 0)
			seen = win_a[DATA + at + 18] == VFS_DT_LNK;
		at += reclen;
	}
	assert_true(seen);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	assert_int_equal(xrename(A, "/t/l", "/t/l2"), 0);
	assert_string_equal(xreadlink(A, "/t/l2", 100, &n), "f");
	assert_int_equal(xunlink(A, "/t/l2"), 0);
	assert_int_equal(xstat(A, "/t/f", &st), 0);
	assert_int_equal(xrmdir(A, "/t/in"), -VFS_ENOTDIR); /* the link, not /t/inner */
	assert_int_equal(xunlink(A, "/t/in"), 0);
	assert_int_equal(xstat(A, "/t/inner", &st), 0);
	tcheck(tfs);
	tcheck(tfs2);
}

/* utimens: atime and mtime set apart or together, through a link; what it refuses. */
static void test_utimens(void **state)
{
	(void)state;
	struct vfs_core_stat st;
	int64_t fd = xopen(A, "/t/f", VFS_O_WRONLY | VFS_O_CREAT, 0644);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	assert_int_equal(xsymlink(A, "f", "/t/l"), 0);
	assert_int_equal(
	    vfs_core_utimens(v, A, 0, put(A, 0, "/t/l"), 111, 222, VFS_SET_ATIME | VFS_SET_MTIME),
	    0);
	assert_int_equal(xstat(A, "/t/f", &st), 0);
	assert_int_equal(st.attr.atime_ns, 111);
	assert_int_equal(st.attr.mtime_ns, 222);
	assert_int_equal(vfs_core_utimens(v, A, 0, put(A, 0, "/t/f"), 5, 999, VFS_SET_MTIME), 0);
	assert_int_equal(xstat(A, "/t/f", &st), 0);
	assert_int_equal(st.attr.atime_ns, 111); /* left alone */
	assert_int_equal(st.attr.mtime_ns, 999);
	assert_int_equal(vfs_core_utimens(v, A, 0, put(A, 0, "/t/f"), 0, 0, 0), 0);
	unsigned before = changes();
	assert_int_equal(vfs_core_utimens(v, A, 0, put(A, 0, "/t/f"), 1, 1, VFS_SET_MODE),
	                 -VFS_EINVAL);
	assert_int_equal(vfs_core_utimens(v, A, 0, put(A, 0, "/t/none"), 1, 1, VFS_SET_MTIME),
	                 -VFS_ENOENT);
	assert_int_equal(vfs_core_utimens(v, A, 0, put(A, 0, "/ro/file"), 1, 1, VFS_SET_MTIME),
	                 -VFS_EROFS);
	assert_int_equal(vfs_core_utimens(v, A, WIN - 1, 2, 1, 1, VFS_SET_MTIME), -VFS_EFAULT);
	assert_int_equal(vfs_core_utimens(v, 77, 0, 1, 1, 1, VFS_SET_MTIME), -VFS_EFAULT);
	assert_int_equal(changes(), before);
	assert_int_equal(xstat(A, "/t/f", &st), 0);
	assert_int_equal(st.attr.mtime_ns, 999);
	tcheck(tfs);
}

/* A full tmpfs: a write that fits part way is short, one that fits nothing is ENOSPC, and
 * the file system stays consistent. */
static void test_tmpfs_full(void **state)
{
	(void)state;
	int64_t fd = xopen(A, "/t/big", VFS_O_WRONLY | VFS_O_CREAT, 0600);
	int64_t total = 0;
	for (;;) {
		int64_t r = vfs_core_write(v, A, (uint32_t)fd, 0, WIN);
		if (r < 0) {
			assert_int_equal(r, -VFS_ENOSPC);
			break;
		}
		assert_true(r > 0 && r <= WIN);
		total += r;
		assert_true(total <= (1 << 20));
	}
	assert_true(total > (1 << 19));
	assert_int_equal(vfs_core_seek(v, A, (uint32_t)fd, 0, VFS_SEEK_CUR), total);
	tcheck(tfs);
	assert_int_equal(vfs_core_close(v, A, (uint32_t)fd), 0);
	assert_int_equal(xunlink(A, "/t/big"), 0);
	tcheck(tfs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_setup_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_read_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_flags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pread_pwrite_seek, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_window_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stat, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readdir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mkdir_rmdir_unlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mount_below_busy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readdir_failure_keeps_position, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chmod_chown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mounts_listing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cwd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dup_shares_position, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_emfile_enfile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_isolation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sync_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tmpfs_files, setup_tmpfs, teardown_tmpfs),
	    cmocka_unit_test_setup_teardown(test_tmpfs_namespace, setup_tmpfs, teardown_tmpfs),
	    cmocka_unit_test_setup_teardown(test_tmpfs_full, setup_tmpfs, teardown_tmpfs),
	    cmocka_unit_test_setup_teardown(test_symlinks, setup_tmpfs, teardown_tmpfs),
	    cmocka_unit_test_setup_teardown(test_symlink_bad_target, setup_tmpfs, teardown_tmpfs),
	    cmocka_unit_test_setup_teardown(test_utimens, setup_tmpfs, teardown_tmpfs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
