/* fake_fs.c: see fake_fs.h. Linear searches over a few dozen nodes; paths are whole
 * relative paths, a node's parent is its path up to the last '/'. */
#include "fake_fs.h"

#include <string.h>

static int find(struct fake_fs *fs, const char *path)
{
	for (int i = 0; i < FAKE_NODES; i++) {
		if (fs->nodes[i].used && strcmp(fs->nodes[i].path, path) == 0)
			return i;
	}
	return -1;
}

struct fake_node *fake_fs_find(struct fake_fs *fs, const char *path)
{
	int i = find(fs, path);
	return i < 0 ? NULL : &fs->nodes[i];
}

/* The parent of `path` must exist and be a directory: 0, -ENOENT or -ENOTDIR. */
static int check_parent(struct fake_fs *fs, const char *path)
{
	char parent[FAKE_PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n = slash == NULL ? 0 : (size_t)(slash - path);
	memcpy(parent, path, n);
	parent[n] = '\0';
	int p = find(fs, parent);
	if (p < 0)
		return -VFS_ENOENT;
	return VFS_S_ISDIR(fs->nodes[p].mode) ? 0 : -VFS_ENOTDIR;
}

static int new_node(struct fake_fs *fs, const char *path, uint32_t mode)
{
	if (strlen(path) >= FAKE_PATH_MAX)
		return -VFS_ENAMETOOLONG;
	for (int i = 0; i < FAKE_NODES; i++) {
		struct fake_node *n = &fs->nodes[i];
		if (n->used)
			continue;
		memset(n, 0, sizeof *n);
		n->used = true;
		strcpy(n->path, path);
		n->mode = mode;
		n->ino = fs->next_ino++;
		return i;
	}
	return -VFS_ENOSPC;
}

void fake_fs_init(struct fake_fs *fs, const char *type)
{
	memset(fs, 0, sizeof *fs);
	fs->next_ino = 1;
	new_node(fs, "", VFS_S_IFDIR | 0755);
	strncpy(fs->type, type, sizeof fs->type - 1);
}

void fake_fs_add(struct fake_fs *fs, const char *path, const char *data)
{
	int i = new_node(fs, path, data == NULL ? VFS_S_IFDIR | 0755 : VFS_S_IFREG | 0644);
	if (i >= 0 && data != NULL) {
		fs->nodes[i].size = strlen(data);
		memcpy(fs->nodes[i].data, data, strlen(data));
	}
}

static void fill_attr(const struct fake_node *n, struct vfs_attr *a)
{
	memset(a, 0, sizeof *a);
	a->ino = n->ino;
	a->mode = n->mode;
	a->nlink = 1;
	a->uid = n->uid;
	a->gid = n->gid;
	a->size = n->size;
	a->blksize = 512;
	a->blocks = (n->size + 511) / 512;
}

static struct fake_node *node_of(struct fake_fs *fs, uint64_t handle)
{
	if (handle >= FAKE_HANDLES || fs->handles[handle] == 0)
		return NULL;
	return &fs->nodes[fs->handles[handle] - 1];
}

static int f_open(void *st, const char *path, uint32_t flags, uint32_t mode, uint64_t *handle,
                  struct vfs_attr *attr)
{
	struct fake_fs *fs = st;
	int i = find(fs, path);
	if (i >= 0 && (flags & VFS_O_CREAT) && (flags & VFS_O_EXCL))
		return -VFS_EEXIST;
	if (i < 0) {
		if (!(flags & VFS_O_CREAT))
			return -VFS_ENOENT;
		int r = check_parent(fs, path);
		if (r < 0)
			return r;
	}
	if (i >= 0 && (flags & VFS_O_DIRECTORY) && !VFS_S_ISDIR(fs->nodes[i].mode))
		return -VFS_ENOTDIR;
	if (i >= 0 && VFS_S_ISDIR(fs->nodes[i].mode) && (flags & VFS_O_ACCMODE) != VFS_O_RDONLY)
		return -VFS_EISDIR;
	int h = 0;
	while (h < FAKE_HANDLES && fs->handles[h] != 0)
		h++;
	if (h == FAKE_HANDLES)
		return -VFS_ENOMEM;
	if (i < 0) {
		i = new_node(fs, path, VFS_S_IFREG | (mode & 07777));
		if (i < 0)
			return i;
		fs->changes++;
	} else if ((flags & VFS_O_TRUNC) && VFS_S_ISREG(fs->nodes[i].mode) &&
	           (flags & VFS_O_ACCMODE) != VFS_O_RDONLY) {
		fs->nodes[i].size = 0;
		fs->changes++;
	}
	fs->handles[h] = i + 1;
	fs->open_handles++;
	*handle = (uint64_t)h;
	fill_attr(&fs->nodes[i], attr);
	return 0;
}

static int f_close(void *st, uint64_t handle)
{
	struct fake_fs *fs = st;
	if (node_of(fs, handle) == NULL)
		return -VFS_EBADF;
	fs->handles[handle] = 0;
	fs->open_handles--;
	return 0;
}

static long f_read(void *st, uint64_t handle, uint64_t offset, void *buf, size_t len)
{
	struct fake_fs *fs = st;
	struct fake_node *n = node_of(fs, handle);
	if (n == NULL)
		return -VFS_EBADF;
	if (VFS_S_ISDIR(n->mode))
		return -VFS_EISDIR;
	if (offset >= n->size)
		return 0;
	if (len > n->size - offset)
		len = n->size - offset;
	memcpy(buf, n->data + offset, len);
	return (long)len;
}

static long f_write(void *st, uint64_t handle, uint64_t offset, const void *buf, size_t len)
{
	struct fake_fs *fs = st;
	struct fake_node *n = node_of(fs, handle);
	if (n == NULL)
		return -VFS_EBADF;
	if (offset >= FAKE_DATA_MAX)
		return -VFS_EFBIG;
	if (len > FAKE_DATA_MAX - offset)
		len = FAKE_DATA_MAX - offset;
	if (offset > n->size)
		memset(n->data + n->size, 0, offset - n->size);
	memcpy(n->data + offset, buf, len);
	if (offset + len > n->size)
		n->size = offset + len;
	fs->changes++;
	return (long)len;
}

static int f_truncate(void *st, uint64_t handle, uint64_t size)
{
	struct fake_fs *fs = st;
	struct fake_node *n = node_of(fs, handle);
	if (n == NULL)
		return -VFS_EBADF;
	if (VFS_S_ISDIR(n->mode))
		return -VFS_EISDIR;
	if (size > FAKE_DATA_MAX)
		return -VFS_EFBIG;
	if (size > n->size)
		memset(n->data + n->size, 0, size - n->size);
	n->size = size;
	fs->changes++;
	return 0;
}

static int f_getattr(void *st, uint64_t handle, struct vfs_attr *attr)
{
	struct fake_node *n = node_of(st, handle);
	if (n == NULL)
		return -VFS_EBADF;
	fill_attr(n, attr);
	return 0;
}

static int f_setattr(void *st, uint64_t handle, uint32_t which, const struct vfs_attr *attr)
{
	struct fake_fs *fs = st;
	struct fake_node *n = node_of(fs, handle);
	if (n == NULL)
		return -VFS_EBADF;
	if (which & VFS_SET_MODE)
		n->mode = attr->mode;
	if (which & VFS_SET_UID)
		n->uid = attr->uid;
	if (which & VFS_SET_GID)
		n->gid = attr->gid;
	fs->changes++;
	return 0;
}

/* Whether node `n` is a direct child of directory `dir`. */
static bool child_of(const struct fake_node *n, const char *dir)
{
	size_t dl = strlen(dir);
	if (n->path[0] == '\0')
		return false;
	if (dl == 0)
		return strchr(n->path, '/') == NULL;
	return strncmp(n->path, dir, dl) == 0 && n->path[dl] == '/' &&
	       strchr(n->path + dl + 1, '/') == NULL;
}

/* Cookies: 0 ".", 1 "..", 2 + i the node at index i. */
static int f_readdir(void *st, uint64_t handle, uint64_t cookie, struct vfs_dirent *ent)
{
	struct fake_fs *fs = st;
	struct fake_node *d = node_of(fs, handle);
	if (d == NULL)
		return -VFS_EBADF;
	if (!VFS_S_ISDIR(d->mode))
		return -VFS_ENOTDIR;
	memset(ent, 0, sizeof *ent);
	if (cookie < 2) {
		strcpy(ent->name, cookie == 0 ? "." : "..");
		ent->name_len = (uint32_t)strlen(ent->name);
		ent->ino = d->ino;
		ent->type = VFS_DT_DIR;
		ent->next = cookie + 1;
		return 1;
	}
	for (uint64_t i = cookie - 2; i < FAKE_NODES; i++) {
		struct fake_node *n = &fs->nodes[i];
		if (!n->used || !child_of(n, d->path))
			continue;
		const char *name = strrchr(n->path, '/');
		name = name == NULL ? n->path : name + 1;
		strcpy(ent->name, name);
		ent->name_len = (uint32_t)strlen(name);
		ent->ino = n->ino;
		ent->type = VFS_S_ISDIR(n->mode) ? VFS_DT_DIR : VFS_DT_REG;
		ent->next = i + 3;
		return 1;
	}
	return 0;
}

static int f_stat(void *st, const char *path, struct vfs_attr *attr)
{
	struct fake_fs *fs = st;
	int i = find(fs, path);
	if (i < 0) {
		int r = check_parent(fs, path);
		return r < 0 ? r : -VFS_ENOENT;
	}
	fill_attr(&fs->nodes[i], attr);
	return 0;
}

static int f_mkdir(void *st, const char *path, uint32_t mode)
{
	struct fake_fs *fs = st;
	if (find(fs, path) >= 0)
		return -VFS_EEXIST;
	int r = check_parent(fs, path);
	if (r < 0)
		return r;
	r = new_node(fs, path, VFS_S_IFDIR | (mode & 07777));
	if (r < 0)
		return r;
	fs->changes++;
	return 0;
}

static bool has_children(struct fake_fs *fs, const char *dir)
{
	for (int i = 0; i < FAKE_NODES; i++) {
		if (fs->nodes[i].used && child_of(&fs->nodes[i], dir))
			return true;
	}
	return false;
}

static int f_rmdir(void *st, const char *path)
{
	struct fake_fs *fs = st;
	if (path[0] == '\0')
		return -VFS_EBUSY;
	int i = find(fs, path);
	if (i < 0)
		return -VFS_ENOENT;
	if (!VFS_S_ISDIR(fs->nodes[i].mode))
		return -VFS_ENOTDIR;
	if (has_children(fs, path))
		return -VFS_ENOTEMPTY;
	fs->nodes[i].used = false;
	fs->changes++;
	return 0;
}

static int f_unlink(void *st, const char *path)
{
	struct fake_fs *fs = st;
	int i = find(fs, path);
	if (i < 0)
		return -VFS_ENOENT;
	if (VFS_S_ISDIR(fs->nodes[i].mode))
		return -VFS_EISDIR;
	fs->nodes[i].used = false; /* open handles would dangle: the tests do not do that */
	fs->changes++;
	return 0;
}

static int f_rename(void *st, const char *from, const char *to)
{
	struct fake_fs *fs = st;
	int i = find(fs, from);
	if (i < 0)
		return -VFS_ENOENT;
	int r = check_parent(fs, to);
	if (r < 0)
		return r;
	if (VFS_S_ISDIR(fs->nodes[i].mode) && has_children(fs, from))
		return -VFS_ENOTEMPTY; /* moving whole trees is not this fake's business */
	int j = find(fs, to);
	if (j == i)
		return 0;
	if (j >= 0) {
		if (VFS_S_ISDIR(fs->nodes[j].mode) != VFS_S_ISDIR(fs->nodes[i].mode))
			return VFS_S_ISDIR(fs->nodes[j].mode) ? -VFS_EISDIR : -VFS_ENOTDIR;
		if (has_children(fs, to))
			return -VFS_ENOTEMPTY;
		fs->nodes[j].used = false;
	}
	strcpy(fs->nodes[i].path, to);
	fs->changes++;
	return 0;
}

static int f_sync(void *st, uint64_t handle)
{
	struct fake_fs *fs = st;
	if (handle != UINT64_MAX && node_of(fs, handle) == NULL)
		return -VFS_EBADF;
	fs->syncs++;
	fs->last_sync = handle;
	return fs->sync_error;
}

static int f_statfs(void *st, struct vfs_statfs *s)
{
	struct fake_fs *fs = st;
	memset(s, 0, sizeof *s);
	s->bsize = 512;
	s->blocks = FAKE_NODES * FAKE_DATA_MAX / 512;
	s->bfree = s->blocks / 2;
	s->files = FAKE_NODES;
	s->namemax = 255;
	s->flags = fs->readonly ? VFS_STATFS_RDONLY : 0;
	memcpy(s->type, fs->type, sizeof s->type);
	return 0;
}

const struct vfs_fs_ops fake_fs_ops = {
    .open = f_open,
    .close = f_close,
    .read = f_read,
    .write = f_write,
    .truncate = f_truncate,
    .getattr = f_getattr,
    .setattr = f_setattr,
    .readdir = f_readdir,
    .stat = f_stat,
    .mkdir = f_mkdir,
    .rmdir = f_rmdir,
    .unlink = f_unlink,
    .rename = f_rename,
    .sync = f_sync,
    .statfs = f_statfs,
};
