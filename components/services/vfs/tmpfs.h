/*
 * tmpfs: a file system in memory, a `struct vfs_fs` (fs.h) the VFS mounts at /tmp.
 * Plain C11 with no m6 dependency: the VFS service and the host tests build the same file
 * (docs/files.md, "tmpfs").
 *
 * All memory comes from the allocator in the configuration, so the VFS gives it its heap
 * and a test can make any allocation fail. Every byte tmpfs holds for the tree (file data
 * pages, the page tables of files, inodes, directory entries with their names) is counted
 * against `max_bytes`; going past it is -ENOSPC, and an allocator that returns NULL is
 * -ENOMEM. Either way the op that failed changed nothing (a write that filled the file
 * system part way returns the short count it managed, as fs.h asks).
 *
 * Not thread-safe: the VFS serves one request at a time.
 */
#ifndef M6_VFS_TMPFS_H
#define M6_VFS_TMPFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "path.h"
#include "fs.h"
#include "handles.h"

/* File data lives in pages of this size; statfs reports it as the block size. */
#define TMPFS_PAGE_SIZE 4096u
/* The largest file: what a page table of four levels of 512 entries reaches (256 TiB). */
#define TMPFS_FILE_MAX (UINT64_C(1) << 48)

struct tmpfs_config {
	/* Bytes of data and metadata the tree may hold (0: no limit), and inodes (0: none). */
	uint64_t max_bytes;
	uint64_t max_inodes;
	/* The allocator: `alloc` returns `size` bytes (any contents) or NULL; `free` gets
	 * back a block with the size it was asked for. Both NULL: malloc and free. */
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p, size_t size);
	void *alloc_ctx;
	/* Nanoseconds since the Unix epoch, for atime/mtime/ctime (NULL: always 0). */
	uint64_t (*now)(void *ctx);
	void *clock_ctx;
	/* The root directory's permission bits and owner. */
	uint32_t root_mode, root_uid, root_gid;
	/* The owner of files and directories tmpfs creates (the VFS may chown them after). */
	uint32_t uid, gid;
};

struct tmpfs_node;

struct tmpfs {
	struct tmpfs_config cfg;
	struct tmpfs_node *root;
	uint64_t used_bytes;        /* counted against cfg.max_bytes */
	uint64_t inodes;            /* live inodes, unlinked-but-open ones included */
	uint64_t next_ino;          /* inode numbers are never reused */
	struct vfs_handles handles; /* open files: each names a tmpfs_node */
};

/* Sets up an empty tmpfs (its root directory): 0, -ENOMEM, or -ENOSPC if the limits do
 * not leave room for the root. */
int tmpfs_init(struct tmpfs *fs, const struct tmpfs_config *cfg);
/* Frees everything, open files included; the handles become invalid. */
void tmpfs_destroy(struct tmpfs *fs);
/* The ops table; a `struct vfs_fs` is {&tmpfs_ops, fs}. */
extern const struct vfs_fs_ops tmpfs_ops;

static inline struct vfs_fs tmpfs_vfs(struct tmpfs *fs)
{
	return (struct vfs_fs){&tmpfs_ops, fs};
}

/*
 * Walks the whole tree and checks every invariant tmpfs keeps: the byte and inode counts
 * equal what the tree holds, nlink of every directory is 2 + its subdirectories, parent
 * links, readdir cookies increasing, no name twice in a directory, no page at or past a
 * file's size, file bytes past the size in its last page are zero. 0 if all hold, else -1
 * and a description in `why` (for tests and debugging; costs a walk of everything).
 */
int tmpfs_check(const struct tmpfs *fs, char *why, size_t why_len);

#endif /* M6_VFS_TMPFS_H */
