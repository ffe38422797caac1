/*
 * fat_vfs.c: the FAT library as a `struct vfs_fs` (fat_vfs.h). Every op checks its handle
 * and arguments before it changes anything; the library itself leaves the volume
 * consistent when an op fails.
 */
#include "fat_vfs.h"

#include <limits.h>
#include <string.h>

int fat_vfs_errno(int fat_err)
{
	switch (fat_err) {
	case FAT_OK:
		return 0;
	case FAT_E_NOENT:
		return -VFS_ENOENT;
	case FAT_E_NOTDIR:
		return -VFS_ENOTDIR;
	case FAT_E_ISDIR:
		return -VFS_EISDIR;
	case FAT_E_NAMETOOLONG:
		return -VFS_ENAMETOOLONG;
	case FAT_E_INVAL:
		return -VFS_EINVAL;
	case FAT_E_NOSPC:
		return -VFS_ENOSPC;
	case FAT_E_EXIST:
		return -VFS_EEXIST;
	case FAT_E_NOTEMPTY:
		return -VFS_ENOTEMPTY;
	case FAT_E_ROFS:
		return -VFS_EROFS;
	case FAT_E_BUSY:
		return -VFS_EBUSY;
	case FAT_E_FBIG:
		return -VFS_EFBIG;
	default: /* FAT_E_IO, FAT_E_BADFS: the device failed or the volume is corrupt */
		return -VFS_EIO;
	}
}

int fat_vfs_mount(struct fat_vfs *v, const struct fat_device *dev)
{
	if (v == NULL)
		return -VFS_EINVAL;
	memset(v, 0, sizeof(*v));
	v->next_gen = 1;
	int err = fat_mount(&v->fs, dev);
	return err == FAT_E_INVAL ? -VFS_EINVAL : err ? -VFS_EIO : 0;
}

void fat_vfs_as_fs(struct fat_vfs *v, struct vfs_fs *out)
{
	out->ops = &fat_vfs_ops;
	out->state = v;
}

/* The handle's open node, or NULL (-EBADF) for one never given out or closed. */
static struct fat_vfs_node *node_of(struct fat_vfs *v, uint64_t handle)
{
	uint64_t slot = handle & 0xffffffffu;
	uint32_t gen = (uint32_t)(handle >> 32);

	if (slot >= FAT_VFS_MAX_HANDLES || gen == 0 || v->handles[slot].gen != gen)
		return NULL;
	return &v->nodes[v->handles[slot].node];
}

static bool is_dir(const struct fat_node *n)
{
	return (n->attr & FAT_ATTR_DIRECTORY) != 0;
}

static bool same_entry(const struct fat_node *a, const struct fat_node *b)
{
	return a->dir_cluster == b->dir_cluster && a->dir_index == b->dir_index;
}

/* The open node of a file or directory, or -1. */
static int find_open(struct fat_vfs *v, const struct fat_node *n)
{
	for (uint32_t i = 0; i < FAT_VFS_MAX_NODES; i++)
		if (v->nodes[i].refs > 0 && same_entry(&v->nodes[i].file.node, n))
			return (int)i;
	return -1;
}

/* Unique while the entry stays where it is: the root is 1, others their entry's place. */
static uint64_t ino_of(const struct fat_node *n)
{
	if (n->dir_index == UINT32_MAX)
		return 1;
	return (((uint64_t)n->dir_cluster << 16) | n->dir_index) + 2;
}

static uint32_t mode_of(const struct fat_node *n)
{
	bool ro = (n->attr & FAT_ATTR_READ_ONLY) != 0;

	if (is_dir(n))
		return VFS_S_IFDIR | (ro ? 0555u : 0755u);
	return VFS_S_IFREG | (ro ? 0444u : 0644u);
}

static void fill_attr(struct fat_vfs *v, const struct fat_node *n, struct vfs_attr *a)
{
	uint64_t cs = v->fs.cluster_size;

	memset(a, 0, sizeof(*a));
	a->ino = ino_of(n);
	a->mode = mode_of(n);
	a->nlink = is_dir(n) ? 2 : 1;
	a->size = is_dir(n) ? 0 : n->size;
	a->blocks = (a->size + cs - 1) / cs * (cs / 512);
	a->blksize = (uint32_t)cs;
	a->mtime_ns = (uint64_t)fat_time_to_unix(n->write_date, n->write_time) * 1000000000u;
	a->atime_ns = (uint64_t)fat_time_to_unix(n->access_date, 0) * 1000000000u;
	a->ctime_ns = a->mtime_ns;
}

static int fv_open(void *p, const char *path, uint32_t flags, uint32_t mode, uint64_t *handle,
                   struct vfs_attr *attr)
{
	struct fat_vfs *v = p;
	struct fat_node node;
	uint32_t h, free_node = FAT_VFS_MAX_NODES;
	uint32_t acc = flags & VFS_O_ACCMODE;

	if (path == NULL || handle == NULL || attr == NULL)
		return -VFS_EINVAL;
	/* Room in both tables first: a failed open creates nothing. */
	for (h = 0; h < FAT_VFS_MAX_HANDLES && v->handles[h].gen != 0; h++)
		;
	for (uint32_t i = 0; i < FAT_VFS_MAX_NODES && free_node == FAT_VFS_MAX_NODES; i++)
		if (v->nodes[i].refs == 0)
			free_node = i;
	if (h == FAT_VFS_MAX_HANDLES)
		return -VFS_ENOMEM;
	int err = fat_lookup(&v->fs, path, &node);
	if (err == FAT_E_NOENT && (flags & VFS_O_CREAT)) {
		if (flags & VFS_O_DIRECTORY)
			return -VFS_EINVAL;
		if (free_node == FAT_VFS_MAX_NODES)
			return -VFS_ENOMEM;
		err = fat_create(&v->fs, path, (mode & 0222) ? 0 : FAT_ATTR_READ_ONLY, &node);
	} else if (err == FAT_OK && (flags & VFS_O_CREAT) && (flags & VFS_O_EXCL)) {
		return -VFS_EEXIST;
	}
	if (err)
		return fat_vfs_errno(err);
	if (is_dir(&node) && (acc != VFS_O_RDONLY || (flags & VFS_O_TRUNC)))
		return -VFS_EISDIR;
	if (!is_dir(&node) && (flags & VFS_O_DIRECTORY))
		return -VFS_ENOTDIR;
	int slot = find_open(v, &node);
	if (slot < 0) {
		if (free_node == FAT_VFS_MAX_NODES)
			return -VFS_ENOMEM;
		struct fat_vfs_node *vn = &v->nodes[free_node];
		memset(vn, 0, sizeof(*vn));
		if (is_dir(&node)) {
			vn->file.fs = &v->fs;
			vn->file.node = node;
		} else if ((err = fat_file_open(&v->fs, &node, &vn->file)) != 0) {
			return fat_vfs_errno(err);
		}
		slot = (int)free_node;
	}
	struct fat_vfs_node *vn = &v->nodes[slot];
	if ((flags & VFS_O_TRUNC) && acc != VFS_O_RDONLY && vn->file.node.size != 0) {
		err = fat_file_truncate(&vn->file, 0);
		if (err)
			return fat_vfs_errno(err);
	}
	vn->refs++;
	v->handles[h].gen = v->next_gen;
	v->handles[h].node = (uint32_t)slot;
	if (++v->next_gen == 0)
		v->next_gen = 1;
	*handle = ((uint64_t)v->handles[h].gen << 32) | h;
	fill_attr(v, &vn->file.node, attr);
	return 0;
}

static int fv_close(void *p, uint64_t handle)
{
	struct fat_vfs *v = p;
	struct fat_vfs_node *vn = node_of(v, handle);

	if (vn == NULL)
		return -VFS_EBADF;
	v->handles[handle & 0xffffffffu].gen = 0;
	vn->refs--;
	return 0;
}

static long fv_read(void *p, uint64_t handle, uint64_t offset, void *buf, size_t len)
{
	struct fat_vfs_node *vn = node_of(p, handle);

	if (vn == NULL)
		return -VFS_EBADF;
	if (is_dir(&vn->file.node))
		return -VFS_EISDIR;
	if (buf == NULL && len > 0)
		return -VFS_EINVAL;
	long n = fat_file_read(&vn->file, offset, buf, len);
	return n < 0 ? fat_vfs_errno((int)n) : n;
}

static long fv_write(void *p, uint64_t handle, uint64_t offset, const void *buf, size_t len)
{
	struct fat_vfs_node *vn = node_of(p, handle);

	if (vn == NULL)
		return -VFS_EBADF;
	if (is_dir(&vn->file.node))
		return -VFS_EISDIR;
	if (buf == NULL && len > 0)
		return -VFS_EINVAL;
	long n = fat_file_write(&vn->file, offset, buf, len);
	return n < 0 ? fat_vfs_errno((int)n) : n;
}

static int fv_truncate(void *p, uint64_t handle, uint64_t size)
{
	struct fat_vfs_node *vn = node_of(p, handle);

	if (vn == NULL)
		return -VFS_EBADF;
	if (is_dir(&vn->file.node))
		return -VFS_EISDIR;
	if (size > FAT_FILE_MAX)
		return -VFS_EFBIG;
	return fat_vfs_errno(fat_file_truncate(&vn->file, size));
}

static int fv_getattr(void *p, uint64_t handle, struct vfs_attr *attr)
{
	struct fat_vfs_node *vn = node_of(p, handle);

	if (vn == NULL)
		return -VFS_EBADF;
	if (attr == NULL)
		return -VFS_EINVAL;
	fill_attr(p, &vn->file.node, attr);
	return 0;
}

/*
 * FAT stores times and the read-only bit: a mode may only switch the write bit (0644 <->
 * 0444 for a file, 0755 <-> 0555 for a directory); owners other than 0 and any other mode
 * are -EPERM. Everything is checked before anything is set.
 */
static int fv_setattr(void *p, uint64_t handle, uint32_t which, const struct vfs_attr *attr)
{
	struct fat_vfs *v = p;
	struct fat_vfs_node *vn = node_of(v, handle);
	const uint32_t known =
	    VFS_SET_MODE | VFS_SET_UID | VFS_SET_GID | VFS_SET_ATIME | VFS_SET_MTIME;

	if (vn == NULL)
		return -VFS_EBADF;
	if (attr == NULL || (which & ~known))
		return -VFS_EINVAL;
	struct fat_node *n = &vn->file.node;
	uint32_t cur = mode_of(n);
	uint8_t new_attr = n->attr;
	if (((which & VFS_SET_UID) && attr->uid != 0) || ((which & VFS_SET_GID) && attr->gid != 0))
		return -VFS_EPERM;
	if (which & VFS_SET_MODE) {
		uint32_t type = attr->mode & VFS_S_IFMT, perm = attr->mode & ~VFS_S_IFMT;
		uint32_t w = perm & 0222;

		if ((type != 0 && type != (cur & VFS_S_IFMT)) || (perm & ~0777u) ||
		    (perm & 0555) != (cur & 0555) || (w != 0 && w != 0200))
			return -VFS_EPERM;
		new_attr =
		    (uint8_t)(w ? n->attr & ~FAT_ATTR_READ_ONLY : n->attr | FAT_ATTR_READ_ONLY);
	}
	bool times = (which & (VFS_SET_ATIME | VFS_SET_MTIME)) != 0;
	if (n->dir_index == UINT32_MAX && (times || new_attr != n->attr))
		return -VFS_EPERM; /* the root has no entry to keep them in */
	int err = FAT_OK;
	if (new_attr != n->attr)
		err = fat_set_attr(&v->fs, n, new_attr & ~FAT_ATTR_DIRECTORY);
	if (!err && times) {
		int64_t m = (int64_t)(attr->mtime_ns / 1000000000u);
		int64_t a = (int64_t)(attr->atime_ns / 1000000000u);
		err = fat_set_times(&v->fs, n, (which & VFS_SET_MTIME) ? &m : NULL,
		                    (which & VFS_SET_ATIME) ? &a : NULL);
	}
	return fat_vfs_errno(err);
}

/*
 * Cookies: 0 is ".", 1 is "..", 2 + i continues at entry i of the directory (the start of
 * a long name), so a cookie stays valid while entries come and go (entries never move).
 */
static int fv_readdir(void *p, uint64_t handle, uint64_t cookie, struct vfs_dirent *ent)
{
	struct fat_vfs *v = p;
	struct fat_vfs_node *vn = node_of(v, handle);
	struct fat_dirent de;

	if (vn == NULL)
		return -VFS_EBADF;
	if (ent == NULL)
		return -VFS_EINVAL;
	if (!is_dir(&vn->file.node))
		return -VFS_ENOTDIR;
	memset(ent, 0, sizeof(*ent));
	if (cookie < 2) {
		ent->ino = ino_of(&vn->file.node);
		ent->next = cookie + 1;
		ent->type = VFS_DT_DIR;
		ent->name_len = (uint32_t)cookie + 1;
		memcpy(ent->name, "..", ent->name_len);
		return 1;
	}
	if (cookie - 2 >= FAT_DIR_MAX_ENTRIES)
		return 0;
	uint32_t index = (uint32_t)(cookie - 2);
	if (!vn->dir_valid || vn->dir.next_index != index) {
		int err = fat_dir_open(&v->fs, &vn->file.node, &vn->dir);
		if (err)
			return fat_vfs_errno(err);
		vn->dir.next_index = index;
		vn->dir_valid = true;
	}
	for (;;) {
		int r = fat_dir_next(&vn->dir, &de);
		if (r <= 0) {
			vn->dir_valid = r == 0;
			return r < 0 ? fat_vfs_errno(r) : 0;
		}
		if (!strcmp(de.name, ".") || !strcmp(de.name, ".."))
			continue;
		/* A long name over VFS_NAME_MAX bytes (up to 765 in UTF-8) goes by its 8.3 alias.
		 */
		const char *name = strlen(de.name) <= VFS_NAME_MAX ? de.name : de.short_name;
		ent->ino = ino_of(&de.node);
		ent->next = (uint64_t)de.node.dir_index + 1 + 2;
		ent->type = is_dir(&de.node) ? VFS_DT_DIR : VFS_DT_REG;
		ent->name_len = (uint32_t)strlen(name);
		memcpy(ent->name, name, ent->name_len + 1);
		return 1;
	}
}

static int fv_stat(void *p, const char *path, struct vfs_attr *attr)
{
	struct fat_vfs *v = p;
	struct fat_node node;

	if (path == NULL || attr == NULL)
		return -VFS_EINVAL;
	int err = fat_lookup(&v->fs, path, &node);
	if (err)
		return fat_vfs_errno(err);
	/* An open file's node is the current one (the same on disk: every change is written). */
	int slot = find_open(v, &node);
	fill_attr(v, slot >= 0 ? &v->nodes[slot].file.node : &node, attr);
	return 0;
}

static int fv_mkdir(void *p, const char *path, uint32_t mode)
{
	struct fat_vfs *v = p;

	(void)mode; /* FAT keeps no permissions on directories beyond the read-only bit */
	if (path == NULL)
		return -VFS_EINVAL;
	return fat_vfs_errno(fat_mkdir(&v->fs, path, NULL));
}

/* -EBUSY when `path` names an open file or directory (checked before the op). */
static int refuse_open(struct fat_vfs *v, const char *path)
{
	struct fat_node node;
	int err = fat_lookup(&v->fs, path, &node);

	if (err)
		return err == FAT_E_NOENT ? 0 : fat_vfs_errno(err);
	return find_open(v, &node) >= 0 ? -VFS_EBUSY : 0;
}

static int fv_rmdir(void *p, const char *path)
{
	struct fat_vfs *v = p;

	if (path == NULL)
		return -VFS_EINVAL;
	if (path[0] == '\0')
		return -VFS_EBUSY;
	int err = refuse_open(v, path);
	return err ? err : fat_vfs_errno(fat_rmdir(&v->fs, path));
}

static int fv_unlink(void *p, const char *path)
{
	struct fat_vfs *v = p;

	if (path == NULL)
		return -VFS_EINVAL;
	if (path[0] == '\0')
		return -VFS_EISDIR;
	int err = refuse_open(v, path);
	return err ? err : fat_vfs_errno(fat_unlink(&v->fs, path));
}

static int fv_rename(void *p, const char *from, const char *to)
{
	struct fat_vfs *v = p;
	struct fat_node src, dst, moved;

	if (from == NULL || to == NULL)
		return -VFS_EINVAL;
	if (from[0] == '\0' || to[0] == '\0')
		return -VFS_EBUSY;
	int err = fat_lookup(&v->fs, from, &src);
	if (err)
		return fat_vfs_errno(err);
	/* A target that is open would lose its entry: refused. The source keeps its handles. */
	err = fat_lookup(&v->fs, to, &dst);
	if (err == FAT_OK && !same_entry(&src, &dst) && find_open(v, &dst) >= 0)
		return -VFS_EBUSY;
	if (err != FAT_OK && err != FAT_E_NOENT)
		return fat_vfs_errno(err);
	err = fat_rename(&v->fs, from, to, &moved);
	if (err)
		return fat_vfs_errno(err);
	int slot = find_open(v, &src);
	if (slot >= 0) {
		v->nodes[slot].file.node.dir_cluster = moved.dir_cluster;
		v->nodes[slot].file.node.dir_index = moved.dir_index;
	}
	return 0;
}

static int fv_sync(void *p, uint64_t handle)
{
	struct fat_vfs *v = p;

	if (handle != UINT64_MAX && node_of(v, handle) == NULL)
		return -VFS_EBADF;
	return fat_vfs_errno(fat_sync(&v->fs));
}

static int fv_statfs(void *p, struct vfs_statfs *st)
{
	struct fat_vfs *v = p;
	uint32_t free_clusters;

	if (st == NULL)
		return -VFS_EINVAL;
	int err = fat_free_clusters(&v->fs, &free_clusters);
	if (err)
		return fat_vfs_errno(err);
	memset(st, 0, sizeof(*st));
	st->bsize = v->fs.cluster_size;
	st->blocks = v->fs.cluster_count;
	st->bfree = free_clusters;
	st->namemax = 255;
	st->flags = v->fs.dev.write == NULL ? VFS_STATFS_RDONLY : 0;
	memcpy(st->type, "vfat", 5);
	return 0;
}

const struct vfs_fs_ops fat_vfs_ops = {
    .open = fv_open,
    .close = fv_close,
    .read = fv_read,
    .write = fv_write,
    .truncate = fv_truncate,
    .getattr = fv_getattr,
    .setattr = fv_setattr,
    .readdir = fv_readdir,
    .stat = fv_stat,
    .mkdir = fv_mkdir,
    .rmdir = fv_rmdir,
    .unlink = fv_unlink,
    .rename = fv_rename,
    .sync = fv_sync,
    .statfs = fv_statfs,
};
