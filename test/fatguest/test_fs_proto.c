/*
 * unit.fs_proto: the fs protocol both ways on the host, under ASan/UBSan. remote_fs.c (the
 * VFS side) calls through the generated fs_idl.h; the call goes "through the kernel" by
 * a loopback m6_syscall (host/m6/syscall.h) straight into the generated fs_dispatch with
 * fs_server.c (the file system's side) over a small in-memory file system. Checks that
 * every op and every field arrives; that the server refuses bad window ranges and bad
 * paths before the file system sees them; that a server without a file system answers
 * -EIO; and that remote_fs turns a lying or dead server into -EIO.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_idl.h"
#include "fs_server.h"
#include "remote_fs.h"

static unsigned failures, checks;
#define CHECK(cond)                                                                      \
	do {                                                                             \
		checks++;                                                                \
		if (!(cond)) {                                                           \
			failures++;                                                      \
			fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                        \
	} while (0)

/* ---- the loopback kernel ---------------------------------------------------------------- */

#define EP_FS   5u /* the call cap to the server */
#define EP_DEAD 6u /* a cap whose call fails (the server is gone) */
#define WINDOW  8192u

static struct m6_ipc_buffer ipc_buffer;
struct m6_ipc_buffer *m6_ipc_buffer(void)
{
	return &ipc_buffer;
}

static _Alignas(16) uint8_t window[WINDOW];
static struct fs_server_state server;
static const struct fs_ops *server_ops = &fs_server_ops;
static unsigned calls;

void m6_syscall(uint64_t number, struct m6_msg *m)
{
	if (number != M6_SYS_CALL || m->word0 != EP_FS) {
		m->word0 = M6_ERR_INVALID_CAP;
		return;
	}
	calls++;
	m->badge = 1;
	fs_dispatch(server_ops, &server, m);
	m->word0 = M6_OK;
}

/* ---- a small in-memory file system ------------------------------------------------------ */

#define FILE_SIZE 20000u
static uint8_t file_data[FILE_SIZE + 4096];
static uint64_t file_size;
static unsigned fs_calls; /* ops that reached the file system */
static char last_path[VFS_PATH_MAX], last_path2[VFS_PATH_MAX];
static uint32_t last_flags, last_mode, last_which;
static struct vfs_attr last_attr;

static const struct vfs_attr sample_attr = {
    .ino = 0x1122334455667788u,
    .mode = VFS_S_IFREG | 0644,
    .nlink = 3,
    .uid = 1000,
    .gid = 100,
    .size = FILE_SIZE,
    .blocks = 40,
    .blksize = 4096,
    .atime_ns = 1111111111111111111u,
    .mtime_ns = 2222222222222222222u,
    .ctime_ns = 3333333333333333333u,
};

static int mem_open(void *fs, const char *path, uint32_t flags, uint32_t mode, uint64_t *handle,
                    struct vfs_attr *attr)
{
	(void)fs;
	fs_calls++;
	snprintf(last_path, sizeof last_path, "%s", path);
	last_flags = flags;
	last_mode = mode;
	if (strcmp(path, "nope") == 0)
		return -(int)VFS_ENOENT;
	*handle = strcmp(path, "") == 0 ? 7 : 42;
	*attr = sample_attr;
	return 0;
}

static int mem_close(void *fs, uint64_t handle)
{
	(void)fs;
	fs_calls++;
	return handle == 42 || handle == 7 ? 0 : -(int)VFS_EBADF;
}

static long mem_read(void *fs, uint64_t handle, uint64_t offset, void *buf, size_t len)
{
	(void)fs;
	fs_calls++;
	if (handle != 42)
		return -(int)VFS_EBADF;
	if (offset >= file_size)
		return 0;
	size_t n = file_size - offset < len ? (size_t)(file_size - offset) : len;
	memcpy(buf, file_data + offset, n);
	return (long)n;
}

static long mem_write(void *fs, uint64_t handle, uint64_t offset, const void *buf, size_t len)
{
	(void)fs;
	fs_calls++;
	if (handle != 42)
		return -(int)VFS_EBADF;
	if (offset >= sizeof file_data)
		return -(int)VFS_ENOSPC;
	size_t n = sizeof file_data - offset < len ? (size_t)(sizeof file_data - offset) : len;
	memcpy(file_data + offset, buf, n);
	if (offset + n > file_size)
		file_size = offset + n;
	return (long)n;
}

static int mem_truncate(void *fs, uint64_t handle, uint64_t size)
{
	(void)fs;
	fs_calls++;
	if (handle != 42)
		return -(int)VFS_EBADF;
	if (size > sizeof file_data)
		return -(int)VFS_EFBIG;
	file_size = size;
	return 0;
}

static int mem_getattr(void *fs, uint64_t handle, struct vfs_attr *attr)
{
	(void)fs;
	fs_calls++;
	if (handle != 42)
		return -(int)VFS_EBADF;
	*attr = sample_attr;
	return 0;
}

static int mem_setattr(void *fs, uint64_t handle, uint32_t which, const struct vfs_attr *attr)
{
	(void)fs;
	(void)handle;
	fs_calls++;
	last_which = which;
	last_attr = *attr;
	return 0;
}

static const char *const names[] = {".", "..", "hello.txt", "a long name with spaces.text"};

static int mem_readdir(void *fs, uint64_t handle, uint64_t cookie, struct vfs_dirent *ent)
{
	(void)fs;
	fs_calls++;
	if (handle != 7)
		return -(int)VFS_EBADF;
	if (cookie >= sizeof names / sizeof names[0])
		return 0;
	ent->ino = 100 + cookie;
	ent->next = cookie + 1;
	ent->type = cookie < 2 ? VFS_DT_DIR : VFS_DT_REG;
	ent->name_len = (uint32_t)strlen(names[cookie]);
	memcpy(ent->name, names[cookie], ent->name_len + 1);
	return 1;
}

static int mem_stat(void *fs, const char *path, struct vfs_attr *attr)
{
	(void)fs;
	fs_calls++;
	snprintf(last_path, sizeof last_path, "%s", path);
	*attr = sample_attr;
	return 0;
}

static int mem_mkdir(void *fs, const char *path, uint32_t mode)
{
	(void)fs;
	fs_calls++;
	snprintf(last_path, sizeof last_path, "%s", path);
	last_mode = mode;
	return strcmp(path, "exists") == 0 ? -(int)VFS_EEXIST : 0;
}

static int mem_path_op(const char *path)
{
	fs_calls++;
	snprintf(last_path, sizeof last_path, "%s", path);
	return 0;
}
static int mem_rmdir(void *fs, const char *path)
{
	(void)fs;
	return mem_path_op(path);
}
static int mem_unlink(void *fs, const char *path)
{
	(void)fs;
	return mem_path_op(path);
}

static int mem_rename(void *fs, const char *from, const char *to)
{
	(void)fs;
	fs_calls++;
	snprintf(last_path, sizeof last_path, "%s", from);
	snprintf(last_path2, sizeof last_path2, "%s", to);
	return 0;
}

static int mem_sync(void *fs, uint64_t handle)
{
	(void)fs;
	fs_calls++;
	return handle == UINT64_MAX || handle == 42 ? 0 : -(int)VFS_EBADF;
}

static int mem_statfs(void *fs, struct vfs_statfs *st)
{
	(void)fs;
	fs_calls++;
	*st = (struct vfs_statfs){.bsize = 4096,
	                          .blocks = 1000,
	                          .bfree = 300,
	                          .files = 0,
	                          .ffree = 0,
	                          .namemax = 255,
	                          .flags = VFS_STATFS_RDONLY};
	memcpy(st->type, "memfs", 6);
	return 0;
}

static const struct vfs_fs_ops mem_ops = {
    .open = mem_open,
    .close = mem_close,
    .read = mem_read,
    .write = mem_write,
    .truncate = mem_truncate,
    .getattr = mem_getattr,
    .setattr = mem_setattr,
    .readdir = mem_readdir,
    .stat = mem_stat,
    .mkdir = mem_mkdir,
    .rmdir = mem_rmdir,
    .unlink = mem_unlink,
    .rename = mem_rename,
    .sync = mem_sync,
    .statfs = mem_statfs,
};

static bool same_attr(const struct vfs_attr *a, const struct vfs_attr *b)
{
	return a->ino == b->ino && a->mode == b->mode && a->nlink == b->nlink && a->uid == b->uid &&
	       a->gid == b->gid && a->size == b->size && a->blocks == b->blocks &&
	       a->blksize == b->blksize && a->atime_ns == b->atime_ns &&
	       a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

/* ---- both sides agree ------------------------------------------------------------------- */

static void test_round_trip(void)
{
	struct remote_fs r;
	struct vfs_fs fs = remote_fs_init(&r, EP_FS, window, WINDOW, "vfat");
	const struct vfs_fs_ops *o = fs.ops;
	for (unsigned i = 0; i < FILE_SIZE; i++)
		file_data[i] = (uint8_t)(i * 7 + i / 251);
	file_size = FILE_SIZE;

	uint64_t h = 0;
	struct vfs_attr a = {0};
	CHECK(o->open(fs.state, "dir/file.txt", VFS_O_RDWR | VFS_O_CREAT, 0640, &h, &a) == 0);
	CHECK(h == 42 && strcmp(last_path, "dir/file.txt") == 0);
	CHECK(last_flags == (VFS_O_RDWR | VFS_O_CREAT) && last_mode == 0640);
	CHECK(same_attr(&a, &sample_attr));
	CHECK(o->open(fs.state, "nope", 0, 0, &h, &a) == -(int)VFS_ENOENT);

	/* A read larger than the window: several calls, every byte. */
	static uint8_t buf[FILE_SIZE + 100];
	unsigned before = calls;
	CHECK(o->read(fs.state, 42, 0, buf, sizeof buf) == FILE_SIZE);
	CHECK(memcmp(buf, file_data, FILE_SIZE) == 0);
	CHECK(calls - before == (FILE_SIZE + WINDOW - 1) / WINDOW);
	CHECK(o->read(fs.state, 42, 19990, buf, 100) == 10 &&
	      memcmp(buf, file_data + 19990, 10) == 0);
	CHECK(o->read(fs.state, 42, FILE_SIZE, buf, 100) == 0);
	CHECK(o->read(fs.state, 99, 0, buf, 100) == -(int)VFS_EBADF);

	/* A write larger than the window, then read back. */
	static uint8_t src[2 * WINDOW + 5];
	for (unsigned i = 0; i < sizeof src; i++)
		src[i] = (uint8_t)(i ^ 0x5a);
	CHECK(o->write(fs.state, 42, 100, src, sizeof src) == (long)sizeof src);
	CHECK(memcmp(file_data + 100, src, sizeof src) == 0);
	/* A write the file system can take only part of: the short count. */
	CHECK(o->write(fs.state, 42, sizeof file_data - 10, src, 100) == 10);
	CHECK(o->write(fs.state, 42, sizeof file_data, src, 100) == -(int)VFS_ENOSPC);

	CHECK(o->truncate(fs.state, 42, 5) == 0 && file_size == 5);
	CHECK(o->truncate(fs.state, 42, UINT64_MAX) == -(int)VFS_EFBIG);
	CHECK(o->getattr(fs.state, 42, &a) == 0 && same_attr(&a, &sample_attr));
	CHECK(o->getattr(fs.state, 1, &a) == -(int)VFS_EBADF);
	CHECK(o->setattr(fs.state, 42, VFS_SET_MODE | VFS_SET_MTIME, &sample_attr) == 0);
	CHECK(last_which == (VFS_SET_MODE | VFS_SET_MTIME) && same_attr(&last_attr, &sample_attr));

	/* readdir: every entry, then the end. */
	uint64_t d = 0;
	CHECK(o->open(fs.state, "", VFS_O_DIRECTORY, 0, &d, &a) == 0 && d == 7 &&
	      last_path[0] == 0);
	struct vfs_dirent ent;
	uint64_t cookie = 0;
	unsigned n = 0;
	int rc;
	while ((rc = o->readdir(fs.state, d, cookie, &ent)) == 1) {
		CHECK(n < 4 && strcmp(ent.name, names[n]) == 0 && ent.name_len == strlen(names[n]));
		CHECK(ent.ino == 100 + n && ent.next == n + 1u);
		CHECK(ent.type == (n < 2 ? VFS_DT_DIR : VFS_DT_REG));
		cookie = ent.next;
		n++;
	}
	CHECK(rc == 0 && n == 4);
	CHECK(o->readdir(fs.state, 42, 0, &ent) == -(int)VFS_EBADF);
	CHECK(o->close(fs.state, d) == 0 && o->close(fs.state, 1234) == -(int)VFS_EBADF);

	CHECK(o->stat(fs.state, "a/b/c", &a) == 0 && same_attr(&a, &sample_attr) &&
	      strcmp(last_path, "a/b/c") == 0);
	CHECK(o->mkdir(fs.state, "newdir", 0700) == 0 && strcmp(last_path, "newdir") == 0 &&
	      last_mode == 0700);
	CHECK(o->mkdir(fs.state, "exists", 0700) == -(int)VFS_EEXIST);
	CHECK(o->rmdir(fs.state, "old") == 0 && strcmp(last_path, "old") == 0);
	CHECK(o->unlink(fs.state, "x/y") == 0 && strcmp(last_path, "x/y") == 0);
	CHECK(o->rename(fs.state, "from/here", "to/there/now") == 0 &&
	      strcmp(last_path, "from/here") == 0 && strcmp(last_path2, "to/there/now") == 0);
	CHECK(o->sync(fs.state, UINT64_MAX) == 0 && o->sync(fs.state, 3) == -(int)VFS_EBADF);
	struct vfs_statfs st;
	CHECK(o->statfs(fs.state, &st) == 0 && st.bsize == 4096 && st.blocks == 1000 &&
	      st.bfree == 300 && st.namemax == 255 && st.flags == VFS_STATFS_RDONLY &&
	      strcmp(st.type, "memfs") == 0); /* the file system's own name crosses the wire */

	/* Paths that cannot fit the window are refused before any call. */
	static char longpath[VFS_PATH_MAX + 10];
	memset(longpath, 'a', sizeof longpath - 1);
	before = calls;
	CHECK(o->stat(fs.state, longpath, &a) == -(int)VFS_ENAMETOOLONG);
	struct remote_fs small;
	struct vfs_fs sfs = remote_fs_init(&small, EP_FS, window, 8, "vfat");
	CHECK(sfs.ops->rename(sfs.state, "abcde", "fghij") == -(int)VFS_ENAMETOOLONG);
	CHECK(calls == before);
	/* The readdir name room is the window's: a 28-byte name needs 29 bytes. */
	struct remote_fs tiny;
	struct vfs_fs tfs = remote_fs_init(&tiny, EP_FS, window, 20, "vfat");
	CHECK(tfs.ops->readdir(tfs.state, 7, 2, &ent) == 1 && strcmp(ent.name, "hello.txt") == 0);
	CHECK(tfs.ops->readdir(tfs.state, 7, 3, &ent) == -(int)VFS_EOVERFLOW);
	/* A window of nothing: reads and writes fail rather than loop. */
	struct remote_fs none;
	struct vfs_fs nfs = remote_fs_init(&none, EP_FS, window, 0, "vfat");
	CHECK(nfs.ops->read(nfs.state, 42, 0, buf, 10) == -(int)VFS_EFAULT);
	CHECK(nfs.ops->write(nfs.state, 42, 0, buf, 10) == -(int)VFS_EFAULT);
}

/* ---- the server's checks, with messages the way a broken or hostile VFS could send ------- */

static int64_t raw_stat(uint64_t off, uint32_t len)
{
	int64_t ret = 0;
	struct fs_attr a;
	CHECK(fs_stat(EP_FS, off, len, &ret, &a) == M6_OK);
	return ret;
}

static int64_t stat_text(const char *path)
{
	size_t len = strlen(path);
	memcpy(window, path, len);
	return raw_stat(0, (uint32_t)len);
}

static void test_server_checks(void)
{
	unsigned before = fs_calls;
	int64_t ret = 0;
	/* Ranges outside the window. */
	CHECK(raw_stat(WINDOW - 2, 3) == -(int)VFS_EFAULT);
	CHECK(raw_stat(WINDOW + 1, 0) == -(int)VFS_EFAULT);
	CHECK(raw_stat(UINT64_MAX, 2) == -(int)VFS_EFAULT);
	CHECK(raw_stat(UINT64_MAX - 1, 4) == -(int)VFS_EFAULT);
	CHECK(raw_stat(0, VFS_PATH_MAX) == -(int)VFS_ENAMETOOLONG);
	CHECK(raw_stat(0, UINT32_MAX) == -(int)VFS_ENAMETOOLONG);
	CHECK(fs_read(EP_FS, 42, 0, WINDOW - 10, 11, &ret) == M6_OK && ret == -(int)VFS_EFAULT);
	CHECK(fs_read(EP_FS, 42, 0, UINT64_MAX - 5, 10, &ret) == M6_OK && ret == -(int)VFS_EFAULT);
	CHECK(fs_write(EP_FS, 42, 0, 1, WINDOW, &ret) == M6_OK && ret == -(int)VFS_EFAULT);
	uint64_t ino, next;
	uint32_t type, name_len;
	CHECK(fs_readdir(EP_FS, 7, 0, WINDOW, 1, &ret, &ino, &next, &type, &name_len) == M6_OK &&
	      ret == -(int)VFS_EFAULT);
	CHECK(fs_rename(EP_FS, 0, 1, WINDOW, 1, &ret) == M6_OK && ret == -(int)VFS_EFAULT);
	/* Paths that are not normal and relative. */
	const char *bad[] = {"/a",  "a/",  "/",      "a//b", ".", "..",
	                     "./a", "a/.", "a/../b", "a/..", "//"};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(stat_text(bad[i]) == -(int)VFS_EINVAL);
	memcpy(window, "a\0b", 3);
	CHECK(raw_stat(0, 3) == -(int)VFS_EINVAL);
	CHECK(fs_mkdir(EP_FS, 0, 3, 0755, &ret) == M6_OK && ret == -(int)VFS_EINVAL);
	memcpy(window, "ok/..", 5);
	CHECK(fs_rename(EP_FS, 0, 2, 0, 5, &ret) == M6_OK && ret == -(int)VFS_EINVAL);
	/* Names of 256 bytes, anywhere in the path. */
	memset(window, 'n', 600);
	CHECK(raw_stat(0, 256) == -(int)VFS_ENAMETOOLONG);
	window[3] = '/';
	CHECK(raw_stat(0, 260) == -(int)VFS_ENAMETOOLONG);
	CHECK(fs_server_take_path(&server, 4, 256, last_path2) == -(int)VFS_ENAMETOOLONG);
	CHECK(fs_calls == before);
	/* ... and the longest that pass: names of 255, a path of 4095. */
	CHECK(raw_stat(0, 259) == 0 && strlen(last_path) == 259);
	CHECK(raw_stat(4, 255) == 0 && strlen(last_path) == 255);
	char *p = (char *)window;
	for (unsigned i = 0; i < VFS_PATH_MAX - 1; i++)
		p[i] = i % 200 == 199 ? '/' : 'x';
	CHECK(raw_stat(0, VFS_PATH_MAX - 1) == 0 && strlen(last_path) == VFS_PATH_MAX - 1);
	CHECK(stat_text("") == 0 && last_path[0] == '\0');

	/* A readdir range too small for the name and its NUL. */
	CHECK(fs_readdir(EP_FS, 7, 2, 0, 9, &ret, &ino, &next, &type, &name_len) == M6_OK &&
	      ret == -(int)VFS_EOVERFLOW);
	CHECK(fs_readdir(EP_FS, 7, 2, 100, 10, &ret, &ino, &next, &type, &name_len) == M6_OK &&
	      ret == 1 && name_len == 9 && memcmp(window + 100, "hello.txt", 10) == 0);

	/* A label that is no method, a message too short. */
	struct m6_msg m = {0};
	m.info = m6_msginfo(99, 0);
	CHECK(m6_call(EP_FS, &m) == M6_OK && m6_msginfo_label(m.info) == M6_ERR_ILLEGAL_OPERATION);
	m.info = m6_msginfo(FS_LABEL_READ, 2);
	CHECK(m6_call(EP_FS, &m) == M6_OK && m6_msginfo_label(m.info) == M6_ERR_INVALID_ARGUMENT);
}

static void test_no_file_system(void)
{
	struct fs_server_state saved = server;
	fs_server_init(&server, NULL, window, WINDOW);
	struct remote_fs r;
	struct vfs_fs fs = remote_fs_init(&r, EP_FS, window, WINDOW, "vfat");
	const struct vfs_fs_ops *o = fs.ops;
	uint64_t h;
	struct vfs_attr a;
	struct vfs_dirent ent;
	struct vfs_statfs st;
	char buf[16];
	unsigned before = fs_calls;
	CHECK(o->open(fs.state, "a", 0, 0, &h, &a) == -(int)VFS_EIO);
	CHECK(o->close(fs.state, 1) == -(int)VFS_EIO);
	CHECK(o->read(fs.state, 1, 0, buf, sizeof buf) == -(int)VFS_EIO);
	CHECK(o->write(fs.state, 1, 0, buf, sizeof buf) == -(int)VFS_EIO);
	CHECK(o->truncate(fs.state, 1, 0) == -(int)VFS_EIO);
	CHECK(o->getattr(fs.state, 1, &a) == -(int)VFS_EIO);
	CHECK(o->setattr(fs.state, 1, 0, &a) == -(int)VFS_EIO);
	CHECK(o->readdir(fs.state, 1, 0, &ent) == -(int)VFS_EIO);
	CHECK(o->stat(fs.state, "", &a) == -(int)VFS_EIO);
	CHECK(o->mkdir(fs.state, "a", 0) == -(int)VFS_EIO);
	CHECK(o->rmdir(fs.state, "a") == -(int)VFS_EIO);
	CHECK(o->unlink(fs.state, "a") == -(int)VFS_EIO);
	CHECK(o->rename(fs.state, "a", "b") == -(int)VFS_EIO);
	CHECK(o->sync(fs.state, UINT64_MAX) == -(int)VFS_EIO);
	CHECK(o->statfs(fs.state, &st) == -(int)VFS_EIO);
	CHECK(fs_calls == before);
	server = saved;
}

/* ---- a lying server: remote_fs must not believe it ---------------------------------------- */

static int64_t lie_ret;
static uint32_t lie_name_len;

static uint64_t lie_read(void *state, uint64_t badge, uint64_t handle, uint64_t offset,
                         uint64_t win_off, uint32_t len, int64_t *ret)
{
	(void)state, (void)badge, (void)handle, (void)offset, (void)win_off, (void)len;
	*ret = lie_ret;
	return M6_OK;
}

static uint64_t lie_close(void *state, uint64_t badge, uint64_t handle, int64_t *ret)
{
	(void)state, (void)badge, (void)handle;
	*ret = lie_ret;
	return M6_OK;
}

static uint64_t lie_readdir(void *state, uint64_t badge, uint64_t handle, uint64_t cookie,
                            uint64_t win_off, uint32_t len, int64_t *ret, uint64_t *ino,
                            uint64_t *next, uint32_t *type, uint32_t *name_len)
{
	(void)state, (void)badge, (void)handle, (void)cookie, (void)len;
	memcpy(window + win_off, "ab\0d/f", 6);
	*ret = lie_ret;
	*ino = 1;
	*next = 2;
	*type = VFS_DT_REG;
	*name_len = lie_name_len;
	return M6_OK;
}

static uint64_t lie_statfs(void *state, uint64_t badge, int64_t *ret, struct fs_statfs_info *st)
{
	(void)state, (void)badge, (void)st;
	*ret = lie_ret;
	return M6_ERR_INVALID_ARGUMENT; /* an IPC-level failure */
}

static void test_lying_server(void)
{
	struct fs_ops lies = fs_server_ops;
	lies.read = lie_read;
	lies.write = lie_read;
	lies.close = lie_close;
	lies.readdir = lie_readdir;
	lies.statfs = lie_statfs;
	server_ops = &lies;
	struct remote_fs r;
	struct vfs_fs fs = remote_fs_init(&r, EP_FS, window, WINDOW, "vfat");
	const struct vfs_fs_ops *o = fs.ops;
	static uint8_t buf[WINDOW];
	lie_ret = 101; /* more than asked */
	CHECK(o->read(fs.state, 42, 0, buf, 100) == -(int)VFS_EIO);
	CHECK(o->write(fs.state, 42, 0, buf, 100) == -(int)VFS_EIO);
	lie_ret = -5000; /* no errno */
	CHECK(o->read(fs.state, 42, 0, buf, 100) == -(int)VFS_EIO);
	CHECK(o->close(fs.state, 42) == -(int)VFS_EIO);
	lie_ret = 1; /* close answers 0 or -errno */
	CHECK(o->close(fs.state, 42) == -(int)VFS_EIO);
	lie_ret = INT64_MIN;
	CHECK(o->close(fs.state, 42) == -(int)VFS_EIO);
	struct vfs_dirent ent;
	lie_ret = 1;
	lie_name_len = 300;
	CHECK(o->readdir(fs.state, 7, 0, &ent) == -(int)VFS_EIO);
	lie_name_len = 0;
	CHECK(o->readdir(fs.state, 7, 0, &ent) == -(int)VFS_EIO);
	lie_name_len = 4; /* a NUL inside */
	CHECK(o->readdir(fs.state, 7, 0, &ent) == -(int)VFS_EIO);
	lie_name_len = 2;
	CHECK(o->readdir(fs.state, 7, 0, &ent) == 1 && strcmp(ent.name, "ab") == 0);
	lie_ret = 2;
	CHECK(o->readdir(fs.state, 7, 0, &ent) == -(int)VFS_EIO);
	struct vfs_statfs st;
	lie_ret = 0;
	CHECK(o->statfs(fs.state, &st) == -(int)VFS_EIO);
	server_ops = &fs_server_ops;

	/* The server is gone: the call itself fails. */
	struct remote_fs dead;
	struct vfs_fs dfs = remote_fs_init(&dead, EP_DEAD, window, WINDOW, "vfat");
	struct vfs_attr a;
	uint64_t h;
	CHECK(dfs.ops->open(dfs.state, "a", 0, 0, &h, &a) == -(int)VFS_EIO);
	CHECK(dfs.ops->read(dfs.state, 42, 0, buf, 10) == -(int)VFS_EIO);
	CHECK(dfs.ops->sync(dfs.state, UINT64_MAX) == -(int)VFS_EIO);
}

int main(void)
{
	struct vfs_fs mem = {.ops = &mem_ops, .state = NULL};
	fs_server_init(&server, &mem, window, WINDOW);
	test_round_trip();
	test_server_checks();
	test_no_file_system();
	test_lying_server();
	printf("fs_proto: %u checks, %u failed\n", checks, failures);
	return failures ? 1 : 0;
}
