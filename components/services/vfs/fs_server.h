/*
 * fs_server.h: serves the fs protocol (libm6/interfaces/fs.idl) over any `struct vfs_fs`
 * (docs/files.md, "File systems in components"). The FAT component runs it; the VFS
 * reaches it through remote_fs.c.
 *
 * The caller (the VFS) is not trusted further than the protocol: every range it names is
 * checked against the window (-EFAULT) before a byte is touched; paths are copied out of the
 * window into a private buffer first (the VFS could change the window during the op) and
 * checked again there: shorter than VFS_PATH_MAX (-ENAMETOOLONG), no NUL inside (-EINVAL),
 * normal and relative — no leading or trailing '/', no empty, "." or ".." component
 * (-EINVAL) — and no name over VFS_NAME_MAX (-ENAMETOOLONG). Only then is the file system
 * called. File data moves straight between the window and the file system: its bytes mean
 * nothing to the file system, so a VFS changing them mid-op harms only its own data.
 *
 * A server with no file system (the mount was refused) answers every call -EIO.
 */
#ifndef M6_VFS_FS_SERVER_H
#define M6_VFS_FS_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "fs.h"
#include "fs_idl.h"

struct fs_server_state {
	struct vfs_fs fs; /* ops NULL: no file system, every call -EIO */
	uint8_t *window;
	size_t window_size;
	/* Private copies of the paths of the current call (rename needs two). */
	char path[VFS_PATH_MAX];
	char path2[VFS_PATH_MAX];
	struct vfs_dirent ent;
};

/* The generated dispatch's table (fs_dispatch / fs_serve with state = a fs_server_state). */
extern const struct fs_ops fs_server_ops;

/* Serve `fs` (NULL: nothing mounted, every call -EIO) with `window` shared with the VFS. */
void fs_server_init(struct fs_server_state *s, const struct vfs_fs *fs, void *window,
                    size_t window_size);

/* The checks on a path as it arrived (`len` bytes), exposed for tests: 0 or -errno, and
 * on 0 `out` holds it NUL-terminated. */
int fs_server_take_path(const struct fs_server_state *s, uint64_t off, uint32_t len,
                        char out[VFS_PATH_MAX]);

#endif /* M6_VFS_FS_SERVER_H */
