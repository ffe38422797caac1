/*
 * mount.c: the mount table (mount.h). A linear scan of VFS_MOUNT_MAX slots: the table is
 * small and a lookup compares at most one path per slot, which is cheaper than keeping a
 * tree in order for a handful of mounts.
 */
#include "mount.h"

#include <string.h>

void vfs_mount_init(struct vfs_mount_table *table)
{
	for (size_t i = 0; i < VFS_MOUNT_MAX; i++) {
		table->mounts[i].path[0] = '\0';
		table->mounts[i].len = 0;
		table->mounts[i].fs_id = 0;
	}
}

/* Whether mount point `m` (normal, `mlen` bytes) covers the normal path `path` (`plen`
 * bytes): equal, or a prefix followed by '/'. The root covers everything. */
static bool covers(const char *m, size_t mlen, const char *path, size_t plen)
{
	if (mlen == 1)
		return true;
	if (plen < mlen || memcmp(m, path, mlen) != 0)
		return false;
	return plen == mlen || path[mlen] == '/';
}

static struct vfs_mount *find_exact(struct vfs_mount_table *table, const char *point, size_t len)
{
	for (size_t i = 0; i < VFS_MOUNT_MAX; i++) {
		struct vfs_mount *m = &table->mounts[i];
		if (m->len == len && memcmp(m->path, point, len) == 0)
			return m;
	}
	return NULL;
}

enum vfs_errno vfs_mount_add(struct vfs_mount_table *table, const char *point, uint32_t fs_id)
{
	if (!vfs_path_is_normal(point))
		return VFS_EINVAL;
	size_t len = strlen(point);
	if (find_exact(table, point, len) != NULL)
		return VFS_EBUSY;
	for (size_t i = 0; i < VFS_MOUNT_MAX; i++) {
		struct vfs_mount *m = &table->mounts[i];
		if (m->len == 0) {
			memcpy(m->path, point, len + 1);
			m->len = len;
			m->fs_id = fs_id;
			return VFS_OK;
		}
	}
	return VFS_ENOMEM;
}

enum vfs_errno vfs_mount_remove(struct vfs_mount_table *table, const char *point, uint32_t *fs_id)
{
	if (!vfs_path_is_normal(point))
		return VFS_EINVAL;
	size_t len = strlen(point);
	struct vfs_mount *victim = find_exact(table, point, len);
	if (victim == NULL)
		return VFS_EINVAL;
	/* Decode first: refuse while another mount lies below this one, since removing it
	 * would leave that mount reachable only through a directory that may not exist. */
	for (size_t i = 0; i < VFS_MOUNT_MAX; i++) {
		const struct vfs_mount *m = &table->mounts[i];
		if (m != victim && m->len != 0 && covers(point, len, m->path, m->len))
			return VFS_EBUSY;
	}
	if (fs_id != NULL)
		*fs_id = victim->fs_id;
	victim->path[0] = '\0';
	victim->len = 0;
	victim->fs_id = 0;
	return VFS_OK;
}

enum vfs_errno vfs_mount_lookup(const struct vfs_mount_table *table, const char *path,
                                struct vfs_mount_hit *hit)
{
	if (!vfs_path_is_normal(path))
		return VFS_EINVAL;
	size_t plen = strlen(path);
	const struct vfs_mount *best = NULL;
	for (size_t i = 0; i < VFS_MOUNT_MAX; i++) {
		const struct vfs_mount *m = &table->mounts[i];
		/* Mount points are distinct, so no two covering ones have the same length. */
		if (m->len != 0 && (best == NULL || m->len > best->len) &&
		    covers(m->path, m->len, path, plen))
			best = m;
	}
	if (best == NULL)
		return VFS_ENOENT;
	hit->fs_id = best->fs_id;
	hit->point = best->path;
	/* Skip the mount point and the '/' after it; the root's '/' is the path's first. */
	if (best->len == 1)
		hit->rest = path + 1;
	else
		hit->rest = path + best->len + (plen > best->len ? 1 : 0);
	return VFS_OK;
}

enum vfs_errno vfs_mount_get(const struct vfs_mount_table *table, size_t index,
                             const struct vfs_mount **mount)
{
	for (size_t i = 0; i < VFS_MOUNT_MAX; i++) {
		if (table->mounts[i].len == 0)
			continue;
		if (index == 0) {
			*mount = &table->mounts[i];
			return VFS_OK;
		}
		index--;
	}
	return VFS_ENOENT;
}
