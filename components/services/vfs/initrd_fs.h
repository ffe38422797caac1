/*
 * initrd_fs: the initrd (a cpio "newc" archive in memory, in m6 mapped read-only from the
 * boot image) as a read-only `struct vfs_fs` (fs.h). Plain C11 with no m6 dependency; it
 * reads the archive with components/services/initrd/cpio.c (docs/files.md, "The initrd
 * file system").
 *
 * At init the whole archive is checked (cpio_open) and an index is built: one record per
 * path, the directories the paths imply included, sorted, so a lookup is a binary search
 * and not a scan of the archive. The index costs one `struct initrd_node` per entry and per
 * implied directory (both bounded by the archive's size) and an O(n log n) sort, once. File
 * contents are never copied: reads copy straight out of the archive, which must stay mapped
 * and unchanged while the file system is in use.
 *
 * Every change (create, write, truncate, setattr, mkdir, rmdir, unlink, rename) is -EROFS.
 * Not thread-safe: the VFS serves one request at a time.
 */
#ifndef M6_VFS_INITRD_FS_H
#define M6_VFS_INITRD_FS_H

#include <stddef.h>
#include <stdint.h>

#include "path.h"
#include "fs.h"
#include "handles.h"
#include "../initrd/cpio.h"

struct initrd_fs_config {
	const void *base; /* the archive */
	size_t size;
	/* The allocator for the index and the handle table (both NULL: malloc and free). */
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p, size_t size);
	void *alloc_ctx;
};

struct initrd_node;

struct initrd_fs {
	struct initrd_fs_config cfg;
	struct cpio_archive ar;
	struct initrd_node *nodes;  /* sorted by path; nodes[0] is the root "" */
	uint32_t count;             /* nodes in use */
	uint32_t count_alloc;       /* nodes allocated (duplicates are dropped after) */
	struct vfs_handles handles; /* open files: each names a node */
	/* Why init refused the archive: a cpio status (cpio_strerror) when the archive is
	 * malformed, else CPIO_OK; and a sentence for the log. */
	int cpio_status;
	const char *why;
};

/*
 * Checks the archive and builds the index. 0; -EINVAL for a malformed archive (cpio_status
 * and why say how), a name with an empty, "." or ".." component inside, or a file that an
 * entry's path uses as a directory; -ENAMETOOLONG for a name component over VFS_NAME_MAX
 * bytes; -ENOMEM.
 */
int initrd_fs_init(struct initrd_fs *fs, const struct initrd_fs_config *cfg);
void initrd_fs_destroy(struct initrd_fs *fs);
extern const struct vfs_fs_ops initrd_fs_ops;

static inline struct vfs_fs initrd_fs_vfs(struct initrd_fs *fs)
{
	return (struct vfs_fs){&initrd_fs_ops, fs};
}

#endif /* M6_VFS_INITRD_FS_H */
