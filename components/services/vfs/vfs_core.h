/*
 * vfs_core.h: the VFS service's protocol logic with the IPC taken out, in plain C11 with no
 * m6 dependency, so the service (vfs_main.c) and the host tests compile the same code
 * (docs/files.md, "The VFS service").
 *
 * One function per method of libm6/interfaces/vfs.idl, taking the caller's badge and the
 * method's arguments and returning the method's `ret`: >= 0 the result, < 0 a negated
 * Linux errno. The service's serve loop only unpacks a message, calls one of these and
 * packs the answer.
 *
 * State: a mount table of file systems (fs.h), and per client (told apart by badge) its
 * window (where paths and data travel, by offset and length), its working directory and
 * 64 descriptors. A descriptor points at an *open file description* {mount, file-system
 * handle, position, flags}, shared by `dup` and reference counted; descriptions come
 * from one pool of VFS_CORE_OPEN_MAX for all clients.
 *
 * Order of checks in every method: window ranges (-EFAULT), then descriptors (-EBADF) or
 * paths (resolved against the caller's working directory: path.h, mount.h, following
 * symbolic links in every component, and in the last one too except where the method
 * names the link itself: lstat, readlink, symlink, unlink, rmdir, mkdir, rename, open with
 * O_NOFOLLOW or O_CREAT|O_EXCL), then the method's own rules; a method that fails changes
 * nothing.
 */
#ifndef M6_VFS_CORE_H
#define M6_VFS_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "path.h" /* before fs.h, which uses VFS_NAME_MAX */

#include "fs.h"
#include "mount.h"
#include "vfs_errno.h"

/* Errno values the VFS returns that vfs_errno.h does not name (Linux numbers). */
#define VFS_CORE_ENFILE     23 /* the VFS's pool of open file descriptions is empty */
#define VFS_CORE_ERANGE     34 /* getcwd/mounts: the answer does not fit in `len` */

#define VFS_CORE_FD_MAX     64u  /* descriptors per client, numbered 0..63 */
#define VFS_CORE_CLIENT_MAX 16u  /* badges with a window */
#define VFS_CORE_OPEN_MAX   256u /* open file descriptions, all clients together */
/* Symbolic links followed while resolving one path before -ELOOP (Linux's 40). */
#define VFS_CORE_LINK_MAX 40u

/* Linux's lseek whence values. */
#define VFS_SEEK_SET 0u
#define VFS_SEEK_CUR 1u
#define VFS_SEEK_END 2u

/* One open file description (open(2)'s "open file description"). */
struct vfs_open_file {
	uint32_t refs;   /* descriptors pointing here; 0: free */
	uint32_t mount;  /* index into vfs.mounts */
	uint64_t handle; /* the file system's */
	uint64_t pos;    /* file position; for a directory the readdir cookie */
	uint32_t flags;  /* the open flags (VFS_O_*) that stay meaningful: access mode, APPEND */
	bool is_dir;
	/* A directory: the mount points directly in it that its own file system does not
	 * list (bit i: mount table slot i), which readdir adds after the file system's
	 * entries, so `ls /` shows /tmp even when the initrd has no tmp directory. */
	uint32_t mount_children;
};

/* readdir cookies from here on are the VFS's own (the mount points a directory gets
 * listed with); a file system's cookies must stay below. */
#define VFS_CORE_COOKIE_MOUNTS (UINT64_C(1) << 62)

struct vfs_core_mount {
	bool used;
	bool readonly; /* the mount's or the file system's own (statfs) */
	char type[16];
	struct vfs_fs fs;
	uint32_t open; /* open descriptions on this mount */
};

struct vfs_client {
	bool used;
	uint64_t badge;
	uint8_t *window;
	size_t window_size;
	struct vfs_cwd cwd;
	struct vfs_open_file *fds[VFS_CORE_FD_MAX];
};

struct vfs {
	struct vfs_mount_table table; /* mount points -> index into mounts[] */
	struct vfs_core_mount mounts[VFS_MOUNT_MAX];
	struct vfs_client clients[VFS_CORE_CLIENT_MAX];
	struct vfs_open_file files[VFS_CORE_OPEN_MAX];
	/* Scratch space for paths: a path is copied out of the window before it is resolved,
	 * so a client changing its window meanwhile cannot change what was checked. Here,
	 * not on the stack: a service thread's stack is small. */
	char copy[2][VFS_PATH_MAX];
	char resolved[2][VFS_PATH_MAX];
	/* Resolving symbolic links: a link's target, and the rest of the path spliced after
	 * it. */
	char link[VFS_PATH_MAX];
	char splice[VFS_PATH_MAX];
	/* symlink's target, copied out of the window before the link's path is resolved. */
	char target[VFS_PATH_MAX];
};

/* stat/fstat's answer: the file's attributes and the mount they came from. */
struct vfs_core_stat {
	uint64_t dev; /* the mount's index */
	struct vfs_attr attr;
};

/* ---- set-up (the service's start-up; not reachable by clients) -------------------------- */

/* No mounts, no clients. */
void vfs_core_init(struct vfs *v);

/*
 * Mounts `fs` at `point` (an absolute path; resolved, so "/tmp/" is "/tmp") under the name
 * `type` (at most 15 bytes; NULL: the file system's statfs type). `readonly`, or a file
 * system whose statfs says so, makes every change -EROFS. The point need not exist in the
 * file system it lies in; if it does, it must be a directory (-ENOTDIR). -> the mount's
 * index (stat's `dev`), or -EBUSY (mounted there already), -ENOMEM (table full), -EINVAL.
 */
int vfs_core_mount(struct vfs *v, const char *point, const struct vfs_fs *fs, const char *type,
                   bool readonly);

/* Admits `badge` with its window. -> 0, -EEXIST (badge known), -ENOMEM (table full),
 * -EINVAL (no window). Its working directory is "/". */
int vfs_core_add_client(struct vfs *v, uint64_t badge, void *window, size_t size);

/* ---- the methods of vfs.idl --------------------------------------------------------------
 * An unknown badge gets -EFAULT (it has no window); the service never lets one through. */

int64_t vfs_core_open(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                      uint32_t flags, uint32_t mode);
int64_t vfs_core_close(struct vfs *v, uint64_t badge, uint32_t fd);
int64_t vfs_core_read(struct vfs *v, uint64_t badge, uint32_t fd, uint64_t win_off, uint32_t len);
int64_t vfs_core_write(struct vfs *v, uint64_t badge, uint32_t fd, uint64_t win_off, uint32_t len);
int64_t vfs_core_pread(struct vfs *v, uint64_t badge, uint32_t fd, uint64_t win_off, uint32_t len,
                       uint64_t pos);
int64_t vfs_core_pwrite(struct vfs *v, uint64_t badge, uint32_t fd, uint64_t win_off, uint32_t len,
                        uint64_t pos);
int64_t vfs_core_seek(struct vfs *v, uint64_t badge, uint32_t fd, int64_t offset, uint32_t whence);
int64_t vfs_core_stat(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                      struct vfs_core_stat *st);
int64_t vfs_core_fstat(struct vfs *v, uint64_t badge, uint32_t fd, struct vfs_core_stat *st);
int64_t vfs_core_readdir(struct vfs *v, uint64_t badge, uint32_t fd, uint64_t win_off,
                         uint32_t len);
int64_t vfs_core_mkdir(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                       uint32_t mode);
int64_t vfs_core_rmdir(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len);
int64_t vfs_core_unlink(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len);
int64_t vfs_core_rename(struct vfs *v, uint64_t badge, uint64_t from_off, uint32_t from_len,
                        uint64_t to_off, uint32_t to_len);
int64_t vfs_core_truncate(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                          uint64_t size);
int64_t vfs_core_ftruncate(struct vfs *v, uint64_t badge, uint32_t fd, uint64_t size);
int64_t vfs_core_fsync(struct vfs *v, uint64_t badge, uint32_t fd);
/* Syncs every mount (the file system's sync of UINT64_MAX), all of them even after one
 * fails: -> 0, or the first error. */
int64_t vfs_core_sync(struct vfs *v, uint64_t badge);
int64_t vfs_core_statfs(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                        struct vfs_statfs *st); /* RDONLY also for a read-only mount */
int64_t vfs_core_chdir(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len);
int64_t vfs_core_getcwd(struct vfs *v, uint64_t badge, uint64_t win_off, uint32_t len);
int64_t vfs_core_dup(struct vfs *v, uint64_t badge, uint32_t fd);
int64_t vfs_core_chmod(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                       uint32_t mode);
int64_t vfs_core_chown(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                       uint32_t uid, uint32_t gid);
int64_t vfs_core_mounts(struct vfs *v, uint64_t badge, uint64_t win_off, uint32_t len);
/* Symbolic links (docs/files.md, "Symbolic links"). lstat is stat of the link itself;
 * symlink makes `path` a link to the target bytes (not resolved, may dangle); readlink
 * copies at most `len` bytes of a link's target to the window (no NUL): the count;
 * realpath writes the path with every link resolved, NUL-terminated: its length with the
 * NUL, or -ERANGE. */
int64_t vfs_core_lstat(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                       struct vfs_core_stat *st);
int64_t vfs_core_symlink(struct vfs *v, uint64_t badge, uint64_t target_off, uint32_t target_len,
                         uint64_t path_off, uint32_t path_len);
int64_t vfs_core_readlink(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                          uint64_t win_off, uint32_t len);
int64_t vfs_core_realpath(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                          uint64_t win_off, uint32_t len);
/* Sets atime and/or mtime (which: VFS_SET_ATIME | VFS_SET_MTIME; 0: only checks the path),
 * following links: setattr through a handle, as chmod. -EINVAL for other bits. */
int64_t vfs_core_utimens(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                         uint64_t atime_ns, uint64_t mtime_ns, uint32_t which);

#endif
