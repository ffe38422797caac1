/*
 * path.h: path resolution for the VFS, in plain C11 with no m6 dependency, so the VFS
 * service and the host tests compile the same code (see docs/files.md, "Paths and mounts").
 *
 * A path is resolved lexically into a *normal* path: absolute, no empty, `.` or `..`
 * components, no trailing slash (except `/` itself); `..` at `/` stays at `/`, so no path
 * reaches above the root of the client's namespace, and a file system is only ever handed
 * a path below its own root (mount.h), never a `..`. Lexical `..` is exact only where
 * there are no symbolic links: clients' paths are walked component by component by
 * vfs_core.c instead (docs/files.md, "Symbolic links"); this serves mount points and
 * paths already normal.
 */
#ifndef M6_VFS_PATH_H
#define M6_VFS_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "vfs_errno.h"

/* A path, its terminating NUL included, is at most VFS_PATH_MAX bytes (POSIX PATH_MAX). */
#define VFS_PATH_MAX 4096u
/* A component (a file name) is at most VFS_NAME_MAX bytes (POSIX NAME_MAX). */
#define VFS_NAME_MAX 255u

/* Set in *flags by vfs_path_resolve: the path ended in `/`, `/.` or `/..` (or was `.` or
 * `..`), so POSIX wants its last component to be a directory; the VFS checks that. */
#define VFS_PATH_DIR 1u

/*
 * Resolves `path` (`len` bytes, not NUL-terminated: it comes from a client's window)
 * against the working directory `cwd` (a normal path, see vfs_path_is_normal; used only
 * when `path` is relative) into `out`, NUL-terminated. `out` must not overlap `path` or
 * `cwd`. Returns, checked in this order:
 *   VFS_ENAMETOOLONG  len >= VFS_PATH_MAX (nothing of `path` is read then);
 *   VFS_ENOENT        len == 0;
 *   VFS_EINVAL        a NUL byte inside the `len` bytes; a relative path and a `cwd` that
 *                     is NULL or not normal;
 *   VFS_ENAMETOOLONG  a component longer than VFS_NAME_MAX (even one a later `..` drops),
 *                     or a resolved prefix that would not fit in VFS_PATH_MAX with its NUL
 *                     (every prefix names a directory the lookup walks through);
 *   VFS_OK            `out` holds the normal path, *flags (if not NULL) VFS_PATH_DIR or 0.
 * On an error `out` and *flags hold nothing useful.
 */
enum vfs_errno vfs_path_resolve(const char *cwd, const char *path, size_t len,
                                char out[VFS_PATH_MAX], unsigned *flags);

/* Whether the NUL-terminated `path` is normal: starts with `/`, shorter than VFS_PATH_MAX,
 * no empty, `.` or `..` component, no component over VFS_NAME_MAX, no trailing `/` unless
 * it is `/`. Reads at most VFS_PATH_MAX bytes. */
bool vfs_path_is_normal(const char *path);

/*
 * A client's working directory: a normal path. The VFS keeps one per client (told apart by
 * badge). It is a path, not a reference to a directory: see docs/files.md for what that
 * means when a file system is unmounted under it.
 */
struct vfs_cwd {
	char path[VFS_PATH_MAX];
};

/* Sets the working directory to `/`. */
void vfs_cwd_init(struct vfs_cwd *cwd);

/* Sets the working directory to `resolved`, which must be normal (VFS_EINVAL otherwise,
 * and the working directory is unchanged). chdir is: vfs_path_resolve against the current
 * one, look the result up and check it is a directory, then vfs_cwd_set. */
enum vfs_errno vfs_cwd_set(struct vfs_cwd *cwd, const char *resolved);

#endif
