/*
 * remote_fs.h: a file system in another component, seen from the VFS as a `struct vfs_fs`
 * (docs/files.md, "File systems in components").
 *
 * Every op of `remote_fs_ops` is a call of the fs protocol (libm6/interfaces/fs.idl)
 * through `ep`, with paths and data moving through `window`, memory the VFS shares with
 * that file system alone. The server side is fs_server.c; both compile the one generated
 * header fs_idl.h, so they agree on the messages by construction.
 *
 * The file system is trusted less than the VFS (FAT parses whatever a disk holds), so every
 * answer is checked before it is used: a count larger than asked, a name longer than
 * VFS_NAME_MAX or with a NUL inside, an error outside the errno range, or a failed call
 * (the component died) become -EIO, never a wrong length handed to the VFS.
 *
 * Reads and writes longer than the window go as several calls of at most the window's
 * size each (a short count ends them); every other op is one call. One thread uses a
 * remote_fs at a time (the window holds one call's bytes).
 */
#ifndef M6_VFS_REMOTE_FS_H
#define M6_VFS_REMOTE_FS_H

#include <stddef.h>
#include <stdint.h>

#include <m6/syscall.h>

#include "fs.h"

struct remote_fs {
	m6_cptr_t ep;    /* call cap to the file system's fs endpoint */
	uint8_t *window; /* shared with the file system */
	size_t window_size;
	char type[16]; /* what statfs reports as the type ("vfat") */
};

extern const struct vfs_fs_ops remote_fs_ops;

/*
 * Sets `r` up and returns the `struct vfs_fs` to mount. `window_size` must hold the longest
 * path twice (rename) for every path to pass: a path that does not fit is -ENAMETOOLONG.
 * `type` is copied (at most 15 bytes).
 */
struct vfs_fs remote_fs_init(struct remote_fs *r, m6_cptr_t ep, void *window, size_t window_size,
                             const char *type);

#endif /* M6_VFS_REMOTE_FS_H */
