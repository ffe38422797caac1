/*
 * mount.h: the VFS mount table, in plain C11 with no m6 dependency (see docs/files.md,
 * "Paths and mounts").
 *
 * A mount point is a normal path (path.h). A normal path is looked up by the longest mount
 * point that is a prefix of it on whole components ("/disk" covers "/disk" and
 * "/disk/a", not "/diskette"); the answer is the mount's file system id and the rest of
 * the path, relative to that file system's root, with no leading '/'. Because paths are
 * resolved lexically before the lookup, `..` at a mount's root crosses back into the file
 * system the mount point lies in (as POSIX), and a file system never sees `..`.
 */
#ifndef M6_VFS_MOUNT_H
#define M6_VFS_MOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "path.h"
#include "vfs_errno.h"

/* Mounts at once; the default system has three (/, /tmp, /disk). */
#define VFS_MOUNT_MAX 16u

struct vfs_mount {
	char path[VFS_PATH_MAX]; /* the mount point, normal; "" for a free slot */
	size_t len;              /* strlen(path); 0 for a free slot */
	uint32_t fs_id;          /* the VFS's name for the mounted file system */
};

struct vfs_mount_table {
	struct vfs_mount mounts[VFS_MOUNT_MAX];
};

/* What a lookup found. */
struct vfs_mount_hit {
	uint32_t fs_id;
	/* The mount point (the table's copy, valid until that mount is removed). */
	const char *point;
	/* The path below the mount's root, inside the looked-up string: "" for the root
	 * itself, else "a/b" with no leading or trailing '/'. */
	const char *rest;
};

/* An empty table: every lookup is VFS_ENOENT until something is mounted at "/". */
void vfs_mount_init(struct vfs_mount_table *table);

/*
 * Mounts file system `fs_id` at `point`. VFS_EINVAL: `point` is not normal (resolve it
 * first); VFS_EBUSY: something is mounted at `point` already; VFS_ENOMEM: the table is
 * full. On an error the table is unchanged. Whether `point` is a directory of the file
 * system it lies in is the VFS's check, not the table's (the root mount has none).
 */
enum vfs_errno vfs_mount_add(struct vfs_mount_table *table, const char *point, uint32_t fs_id);

/*
 * Unmounts whatever is mounted at `point`; *fs_id (if not NULL) receives its id.
 * VFS_EINVAL: `point` is not normal, or nothing is mounted exactly there (as umount(2));
 * VFS_EBUSY: another mount lies below `point` (remove that first). Working directories
 * and open files are the VFS's business (docs/files.md). On an error nothing changes.
 */
enum vfs_errno vfs_mount_remove(struct vfs_mount_table *table, const char *point, uint32_t *fs_id);

/*
 * Looks the normal path `path` up. VFS_EINVAL: `path` is not normal; VFS_ENOENT: no mount
 * covers it (nothing is mounted at "/"); VFS_OK: *hit is filled in.
 */
enum vfs_errno vfs_mount_lookup(const struct vfs_mount_table *table, const char *path,
                                struct vfs_mount_hit *hit);

/*
 * The `index`-th mount in use (0-based, in no particular order), for listing them (the
 * shell's `mount`): VFS_OK and *mount, or VFS_ENOENT past the last one.
 */
enum vfs_errno vfs_mount_get(const struct vfs_mount_table *table, size_t index,
                             const struct vfs_mount **mount);

#endif
