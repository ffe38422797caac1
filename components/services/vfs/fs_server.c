/* The file-system side of the fs protocol: see fs_server.h. */
#include "fs_server.h"
#include "fs_wire.h"

#include <string.h>

/* strnlen is POSIX, not C11: the bytes before the first NUL, at most `max`. */
static size_t bounded_len(const char *s, size_t max)
{
	const char *nul = memchr(s, '\0', max);
	return nul ? (size_t)(nul - s) : max;
}

static struct fs_server_state *state_of(void *state)
{
	return state;
}

/* Whether [off, off + len) lies inside the window, with no overflow. */
static bool in_window(const struct fs_server_state *s, uint64_t off, uint64_t len)
{
	return len <= s->window_size && off <= s->window_size - len;
}

int fs_server_take_path(const struct fs_server_state *s, uint64_t off, uint32_t len,
                        char out[VFS_PATH_MAX])
{
	if (len >= VFS_PATH_MAX)
		return -(int)VFS_ENAMETOOLONG;
	if (!in_window(s, off, len))
		return -(int)VFS_EFAULT;
	/* One copy, then every check on the copy: the window may change under us. */
	memcpy(out, s->window + off, len);
	out[len] = '\0';
	if (memchr(out, '\0', len))
		return -(int)VFS_EINVAL;
	if (len == 0)
		return 0; /* the root */
	if (out[0] == '/' || out[len - 1] == '/')
		return -(int)VFS_EINVAL;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && out[i] != '/')
			continue;
		size_t n = i - start;
		const char *name = out + start;
		if (n == 0 || (n == 1 && name[0] == '.') ||
		    (n == 2 && name[0] == '.' && name[1] == '.'))
			return -(int)VFS_EINVAL;
		if (n > VFS_NAME_MAX)
			return -(int)VFS_ENAMETOOLONG;
		start = i + 1;
	}
	return 0;
}

/* Every method answers the IPC call M6_OK; its result is in *ret. */
#define NO_FS(s, ret)                           \
	do {                                    \
		if (!(s)->fs.ops) {             \
			*(ret) = -(int)VFS_EIO; \
			return M6_OK;           \
		}                               \
	} while (0)

static uint64_t srv_open(void *state, uint64_t badge, uint64_t path_off, uint32_t path_len,
                         uint32_t flags, uint32_t mode, int64_t *ret, uint64_t *handle,
                         struct fs_attr *attr)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	int r = fs_server_take_path(s, path_off, path_len, s->path);
	if (r == 0) {
		struct vfs_attr a = {0};
		r = s->fs.ops->open(s->fs.state, s->path, flags, mode, handle, &a);
		if (r == 0)
			fs_attr_to_wire(attr, &a);
	}
	*ret = r;
	return M6_OK;
}

static uint64_t srv_close(void *state, uint64_t badge, uint64_t handle, int64_t *ret)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	*ret = s->fs.ops->close(s->fs.state, handle);
	return M6_OK;
}

static uint64_t srv_read(void *state, uint64_t badge, uint64_t handle, uint64_t offset,
                         uint64_t win_off, uint32_t len, int64_t *ret)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	if (!in_window(s, win_off, len)) {
		*ret = -(int)VFS_EFAULT;
		return M6_OK;
	}
	long n = s->fs.ops->read(s->fs.state, handle, offset, s->window + win_off, len);
	*ret = n > (long)len ? -(int)VFS_EIO : n;
	return M6_OK;
}

static uint64_t srv_write(void *state, uint64_t badge, uint64_t handle, uint64_t offset,
                          uint64_t win_off, uint32_t len, int64_t *ret)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	if (!in_window(s, win_off, len)) {
		*ret = -(int)VFS_EFAULT;
		return M6_OK;
	}
	long n = s->fs.ops->write(s->fs.state, handle, offset, s->window + win_off, len);
	*ret = n > (long)len ? -(int)VFS_EIO : n;
	return M6_OK;
}

static uint64_t srv_truncate(void *state, uint64_t badge, uint64_t handle, uint64_t size,
                             int64_t *ret)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	*ret = s->fs.ops->truncate(s->fs.state, handle, size);
	return M6_OK;
}

static uint64_t srv_getattr(void *state, uint64_t badge, uint64_t handle, int64_t *ret,
                            struct fs_attr *attr)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	struct vfs_attr a = {0};
	int r = s->fs.ops->getattr(s->fs.state, handle, &a);
	if (r == 0)
		fs_attr_to_wire(attr, &a);
	*ret = r;
	return M6_OK;
}

static uint64_t srv_setattr(void *state, uint64_t badge, uint64_t handle, uint32_t which,
                            const struct fs_attr *attr, int64_t *ret)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	struct vfs_attr a = {
	    .ino = attr->ino,
	    .mode = attr->mode,
	    .nlink = attr->nlink,
	    .uid = attr->uid,
	    .gid = attr->gid,
	    .size = attr->size,
	    .blocks = attr->blocks,
	    .blksize = attr->blksize,
	    .atime_ns = attr->atime_ns,
	    .mtime_ns = attr->mtime_ns,
	    .ctime_ns = attr->ctime_ns,
	};
	*ret = s->fs.ops->setattr(s->fs.state, handle, which, &a);
	return M6_OK;
}

static uint64_t srv_readdir(void *state, uint64_t badge, uint64_t handle, uint64_t cookie,
                            uint64_t win_off, uint32_t len, int64_t *ret, uint64_t *ino,
                            uint64_t *next, uint32_t *type, uint32_t *name_len)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	if (!in_window(s, win_off, len)) {
		*ret = -(int)VFS_EFAULT;
		return M6_OK;
	}
	memset(&s->ent, 0, sizeof s->ent);
	int r = s->fs.ops->readdir(s->fs.state, handle, cookie, &s->ent);
	if (r == 1) {
		size_t n = bounded_len(s->ent.name, VFS_NAME_MAX + 1);
		if (n > VFS_NAME_MAX || n == 0) {
			r = -(int)VFS_EIO; /* our own file system broke its promise */
		} else if (n + 1 > len) {
			r = -(int)VFS_EOVERFLOW; /* the name and its NUL do not fit the caller's
			                            range */
		} else {
			memcpy(s->window + win_off, s->ent.name, n + 1);
			*ino = s->ent.ino;
			*next = s->ent.next;
			*type = s->ent.type;
			*name_len = (uint32_t)n;
		}
	}
	*ret = r;
	return M6_OK;
}

static uint64_t srv_stat(void *state, uint64_t badge, uint64_t path_off, uint32_t path_len,
                         int64_t *ret, struct fs_attr *attr)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	int r = fs_server_take_path(s, path_off, path_len, s->path);
	if (r == 0) {
		struct vfs_attr a = {0};
		r = s->fs.ops->stat(s->fs.state, s->path, &a);
		if (r == 0)
			fs_attr_to_wire(attr, &a);
	}
	*ret = r;
	return M6_OK;
}

static uint64_t srv_mkdir(void *state, uint64_t badge, uint64_t path_off, uint32_t path_len,
                          uint32_t mode, int64_t *ret)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	int r = fs_server_take_path(s, path_off, path_len, s->path);
	*ret = r ? r : s->fs.ops->mkdir(s->fs.state, s->path, mode);
	return M6_OK;
}

static uint64_t srv_rmdir(void *state, uint64_t badge, uint64_t path_off, uint32_t path_len,
                          int64_t *ret)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	int r = fs_server_take_path(s, path_off, path_len, s->path);
	*ret = r ? r : s->fs.ops->rmdir(s->fs.state, s->path);
	return M6_OK;
}

static uint64_t srv_unlink(void *state, uint64_t badge, uint64_t path_off, uint32_t path_len,
                           int64_t *ret)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	int r = fs_server_take_path(s, path_off, path_len, s->path);
	*ret = r ? r : s->fs.ops->unlink(s->fs.state, s->path);
	return M6_OK;
}

static uint64_t srv_rename(void *state, uint64_t badge, uint64_t from_off, uint32_t from_len,
                           uint64_t to_off, uint32_t to_len, int64_t *ret)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	int r = fs_server_take_path(s, from_off, from_len, s->path);
	if (r == 0)
		r = fs_server_take_path(s, to_off, to_len, s->path2);
	*ret = r ? r : s->fs.ops->rename(s->fs.state, s->path, s->path2);
	return M6_OK;
}

static uint64_t srv_sync(void *state, uint64_t badge, uint64_t handle, int64_t *ret)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	*ret = s->fs.ops->sync(s->fs.state, handle);
	return M6_OK;
}

static uint64_t srv_statfs(void *state, uint64_t badge, int64_t *ret, struct fs_statfs_info *st)
{
	(void)badge;
	struct fs_server_state *s = state_of(state);
	NO_FS(s, ret);
	struct vfs_statfs v = {0};
	int r = s->fs.ops->statfs(s->fs.state, &v);
	if (r == 0)
		fs_statfs_to_wire(st, &v);
	*ret = r;
	return M6_OK;
}

const struct fs_ops fs_server_ops = {
    .open = srv_open,
    .close = srv_close,
    .read = srv_read,
    .write = srv_write,
    .truncate = srv_truncate,
    .getattr = srv_getattr,
    .setattr = srv_setattr,
    .readdir = srv_readdir,
    .stat = srv_stat,
    .mkdir = srv_mkdir,
    .rmdir = srv_rmdir,
    .unlink = srv_unlink,
    .rename = srv_rename,
    .sync = srv_sync,
    .statfs = srv_statfs,
};

void fs_server_init(struct fs_server_state *s, const struct vfs_fs *fs, void *window,
                    size_t window_size)
{
	memset(s, 0, sizeof *s);
	if (fs)
		s->fs = *fs;
	s->window = window;
	s->window_size = window_size;
}
