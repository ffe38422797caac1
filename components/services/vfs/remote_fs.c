/* The VFS side of the fs protocol: see remote_fs.h. */
#include "remote_fs.h"

#include <string.h>

/* strnlen is POSIX, not C11: the bytes before the first NUL, at most `max`. */
static size_t bounded_len(const char *s, size_t max)
{
	const char *nul = memchr(s, '\0', max);
	return nul ? (size_t)(nul - s) : max;
}

#include "fs_idl.h"
#include "fs_wire.h"

/* Negated errnos are -1..-4095 (Linux's MAX_ERRNO). */
#define ERRNO_MAX 4095

static struct remote_fs *state(void *fs)
{
	return fs;
}

/* The answer of a call whose `ret` is 0 or -errno: a failed call or a value outside that
 * range is -EIO. `ret` by pointer: the stub that fills it is the other argument, and C
 * leaves the order in which arguments are evaluated open. */
static int status_only(uint64_t err, const int64_t *retp)
{
	int64_t ret = *retp;
	if (err != M6_OK || ret > 0 || ret < -ERRNO_MAX)
		return -(int)VFS_EIO;
	return (int)ret;
}

/* Puts the NUL-terminated `path` in the window at `at`; its length, or -ENAMETOOLONG when it
 * does not fit (the NUL is not sent: paths travel as offset and length). */
static long put_path(struct remote_fs *r, size_t at, const char *path)
{
	size_t len = bounded_len(path, VFS_PATH_MAX);
	if (len >= VFS_PATH_MAX || at > r->window_size || len > r->window_size - at)
		return -(int)VFS_ENAMETOOLONG;
	memcpy(r->window + at, path, len);
	return (long)len;
}

static int remote_open(void *fs, const char *path, uint32_t flags, uint32_t mode, uint64_t *handle,
                       struct vfs_attr *attr)
{
	struct remote_fs *r = state(fs);
	long len = put_path(r, 0, path);
	if (len < 0)
		return (int)len;
	int64_t ret = 0;
	uint64_t h = 0;
	struct fs_attr a = {0};
	int st = status_only(fs_open(r->ep, 0, (uint32_t)len, flags, mode, &ret, &h, &a), &ret);
	if (st == 0) {
		*handle = h;
		fs_attr_from_wire(attr, &a);
	}
	return st;
}

static int remote_close(void *fs, uint64_t handle)
{
	int64_t ret = 0;
	return status_only(fs_close(state(fs)->ep, handle, &ret), &ret);
}

/* A count answer: -errno, or 0..asked; anything else (more than asked) is -EIO. */
static long count_only(uint64_t err, const int64_t *retp, size_t asked)
{
	int64_t ret = *retp;
	if (err != M6_OK || ret < -ERRNO_MAX || (ret > 0 && (uint64_t)ret > asked))
		return -(int)VFS_EIO;
	return (long)ret;
}

/* The bytes of one read or write call. */
static size_t chunk(const struct remote_fs *r, size_t len)
{
	size_t n = len < r->window_size ? len : r->window_size;
	return n > UINT32_MAX ? UINT32_MAX : n;
}

static long remote_read(void *fs, uint64_t handle, uint64_t offset, void *buf, size_t len)
{
	struct remote_fs *r = state(fs);
	if (!r->window_size) /* no progress possible: fail rather than loop */
		return -(int)VFS_EFAULT;
	size_t done = 0;
	while (done < len) {
		size_t n = chunk(r, len - done);
		int64_t ret = 0;
		long got = count_only(fs_read(r->ep, handle, offset + done, 0, (uint32_t)n, &ret),
		                      &ret, n);
		if (got < 0)
			return done ? (long)done : got;
		memcpy((uint8_t *)buf + done, r->window, (size_t)got);
		done += (size_t)got;
		if ((size_t)got < n)
			break;
	}
	return (long)done;
}

static long remote_write(void *fs, uint64_t handle, uint64_t offset, const void *buf, size_t len)
{
	struct remote_fs *r = state(fs);
	if (!r->window_size)
		return -(int)VFS_EFAULT;
	size_t done = 0;
	do {
		size_t n = chunk(r, len - done);
		memcpy(r->window, (const uint8_t *)buf + done, n);
		int64_t ret = 0;
		long put = count_only(fs_write(r->ep, handle, offset + done, 0, (uint32_t)n, &ret),
		                      &ret, n);
		if (put < 0)
			return done ? (long)done : put;
		done += (size_t)put;
		if ((size_t)put < n)
			break;
	} while (done < len);
	return (long)done;
}

static int remote_truncate(void *fs, uint64_t handle, uint64_t size)
{
	int64_t ret = 0;
	return status_only(fs_truncate(state(fs)->ep, handle, size, &ret), &ret);
}

static int remote_getattr(void *fs, uint64_t handle, struct vfs_attr *attr)
{
	int64_t ret = 0;
	struct fs_attr a = {0};
	int st = status_only(fs_getattr(state(fs)->ep, handle, &ret, &a), &ret);
	if (st == 0)
		fs_attr_from_wire(attr, &a);
	return st;
}

static int remote_setattr(void *fs, uint64_t handle, uint32_t which, const struct vfs_attr *attr)
{
	int64_t ret = 0;
	struct fs_attr a;
	fs_attr_to_wire(&a, attr);
	return status_only(fs_setattr(state(fs)->ep, handle, which, &a, &ret), &ret);
}

static int remote_readdir(void *fs, uint64_t handle, uint64_t cookie, struct vfs_dirent *ent)
{
	struct remote_fs *r = state(fs);
	size_t room = r->window_size < VFS_NAME_MAX + 1 ? r->window_size : VFS_NAME_MAX + 1;
	int64_t ret = 0;
	uint64_t ino = 0, next = 0;
	uint32_t type = 0, name_len = 0;
	uint64_t err = fs_readdir(r->ep, handle, cookie, 0, (uint32_t)room, &ret, &ino, &next,
	                          &type, &name_len);
	if (err != M6_OK || ret < -ERRNO_MAX || ret > 1)
		return -(int)VFS_EIO;
	if (ret <= 0)
		return (int)ret;
	/* The name is copied once and checked in the copy: the file system may still be
	 * writing the window. */
	if (name_len == 0 || name_len > VFS_NAME_MAX || name_len >= room)
		return -(int)VFS_EIO;
	memcpy(ent->name, r->window, name_len);
	ent->name[name_len] = '\0';
	if (memchr(ent->name, '\0', name_len) || memchr(ent->name, '/', name_len))
		return -(int)VFS_EIO;
	ent->ino = ino;
	ent->next = next;
	ent->type = type;
	ent->name_len = name_len;
	return 1;
}

static int remote_stat(void *fs, const char *path, struct vfs_attr *attr)
{
	struct remote_fs *r = state(fs);
	long len = put_path(r, 0, path);
	if (len < 0)
		return (int)len;
	int64_t ret = 0;
	struct fs_attr a = {0};
	int st = status_only(fs_stat(r->ep, 0, (uint32_t)len, &ret, &a), &ret);
	if (st == 0)
		fs_attr_from_wire(attr, &a);
	return st;
}

static int remote_mkdir(void *fs, const char *path, uint32_t mode)
{
	struct remote_fs *r = state(fs);
	long len = put_path(r, 0, path);
	if (len < 0)
		return (int)len;
	int64_t ret = 0;
	return status_only(fs_mkdir(r->ep, 0, (uint32_t)len, mode, &ret), &ret);
}

static int remote_rmdir(void *fs, const char *path)
{
	struct remote_fs *r = state(fs);
	long len = put_path(r, 0, path);
	if (len < 0)
		return (int)len;
	int64_t ret = 0;
	return status_only(fs_rmdir(r->ep, 0, (uint32_t)len, &ret), &ret);
}

static int remote_unlink(void *fs, const char *path)
{
	struct remote_fs *r = state(fs);
	long len = put_path(r, 0, path);
	if (len < 0)
		return (int)len;
	int64_t ret = 0;
	return status_only(fs_unlink(r->ep, 0, (uint32_t)len, &ret), &ret);
}

static int remote_rename(void *fs, const char *from, const char *to)
{
	struct remote_fs *r = state(fs);
	long from_len = put_path(r, 0, from);
	if (from_len < 0)
		return (int)from_len;
	long to_len = put_path(r, (size_t)from_len, to);
	if (to_len < 0)
		return (int)to_len;
	int64_t ret = 0;
	return status_only(
	    fs_rename(r->ep, 0, (uint32_t)from_len, (uint64_t)from_len, (uint32_t)to_len, &ret),
	    &ret);
}

static int remote_sync(void *fs, uint64_t handle)
{
	int64_t ret = 0;
	return status_only(fs_sync(state(fs)->ep, handle, &ret), &ret);
}

static int remote_statfs(void *fs, struct vfs_statfs *st)
{
	struct remote_fs *r = state(fs);
	int64_t ret = 0;
	struct fs_statfs_info info = {0};
	int s = status_only(fs_statfs(r->ep, &ret, &info), &ret);
	if (s != 0)
		return s;
	fs_statfs_from_wire(st, &info);
	if (st->type[0] == '\0')
		memcpy(st->type, r->type, sizeof st->type);
	return 0;
}

const struct vfs_fs_ops remote_fs_ops = {
    .open = remote_open,
    .close = remote_close,
    .read = remote_read,
    .write = remote_write,
    .truncate = remote_truncate,
    .getattr = remote_getattr,
    .setattr = remote_setattr,
    .readdir = remote_readdir,
    .stat = remote_stat,
    .mkdir = remote_mkdir,
    .rmdir = remote_rmdir,
    .unlink = remote_unlink,
    .rename = remote_rename,
    .sync = remote_sync,
    .statfs = remote_statfs,
};

struct vfs_fs remote_fs_init(struct remote_fs *r, m6_cptr_t ep, void *window, size_t window_size,
                             const char *type)
{
	*r = (struct remote_fs){.ep = ep, .window = window, .window_size = window_size};
	strncpy(r->type, type ? type : "", sizeof r->type - 1);
	return (struct vfs_fs){.ops = &remote_fs_ops, .state = r};
}
