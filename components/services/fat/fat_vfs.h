/*
 * fat_vfs.h: `struct vfs_fs_ops` (components/services/vfs/fs.h) over the FAT library, in
 * plain C11 with no m6 dependency: the FAT component serves it through the fs protocol, and
 * the host tests and the fuzzer run the same code. docs/fat.md ("The VFS adapter").
 *
 * Handles name slots of a small table of open nodes; each carries a generation, so a
 * stale or forged handle is -EBADF. Open nodes are shared by the handles on one file and
 * hold its cursor, so sequential reads do not walk the chain again. Unlinking or removing
 * an open file or directory, and replacing one by rename, is -EBUSY (FAT has no inode to
 * keep alive once its entry is gone).
 */
#ifndef M6_FAT_VFS_H
#define M6_FAT_VFS_H

#include <stdbool.h>
#include <stdint.h>

#include "fat.h"
#include "path.h" /* VFS_NAME_MAX, which fs.h uses */
#include "fs.h"

#define FAT_VFS_MAX_NODES   32u /* files and directories open at once */
#define FAT_VFS_MAX_HANDLES 64u

struct fat_vfs_node {
	uint32_t refs;        /* handles on it; 0: a free slot */
	struct fat_file file; /* file.node is the node, for a directory too */
	bool dir_valid;       /* `dir` continues a readdir where the last one stopped */
	struct fat_dir dir;
};

struct fat_vfs_handle {
	uint32_t gen; /* 0: a free slot */
	uint32_t node;
};

struct fat_vfs {
	struct fat_fs fs;
	struct fat_vfs_node nodes[FAT_VFS_MAX_NODES];
	struct fat_vfs_handle handles[FAT_VFS_MAX_HANDLES];
	uint32_t next_gen;
};

extern const struct vfs_fs_ops fat_vfs_ops;

/* Mounts the volume: 0, or -VFS_EIO when fat_mount refuses it (-VFS_EINVAL: bad device). */
int fat_vfs_mount(struct fat_vfs *v, const struct fat_device *dev);
/* The file system for the VFS: {&fat_vfs_ops, v}. */
void fat_vfs_as_fs(struct fat_vfs *v, struct vfs_fs *out);
/* A FAT_E_* code as a negated VFS errno. */
int fat_vfs_errno(int fat_err);

#endif /* M6_FAT_VFS_H */
