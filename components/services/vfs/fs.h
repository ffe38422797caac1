/*
 * fs.h: the interface between the VFS and a file system, in plain C11 with no m6
 * dependency (docs/files.md, "File systems").
 *
 * Every file system the VFS mounts is a `struct vfs_fs`: an ops table and its state. tmpfs
 * and the initrd implement it in the VFS's own address space (they parse nothing a client
 * or a disk wrote); a file system in another component (FAT) is reached through the
 * remote adapter, which turns each op into one call of the fs protocol
 * (libm6/interfaces/fs.idl, the same operations, word for word).
 *
 * Conventions, for every op:
 *  - Paths are *relative to the file system's root* and normal: no leading or trailing
 *    '/', no "", "." or ".." component; "" names the root. The VFS resolved and checked
 *    them (path.h, mount.h), so a file system never sees "..". Names are at most
 *    VFS_NAME_MAX bytes, paths shorter than VFS_PATH_MAX; a file system may have tighter
 *    limits of its own (ENAMETOOLONG).
 *  - Return values are 0 (or a count) on success, a *negative* Linux errno
 *    (-VFS_ENOENT, ...) on failure. A failed op changes nothing visible.
 *  - A handle is the file system's name for an open file or directory, from `open`,
 *    valid until `close`. The VFS keeps one handle per open file description; an op on a
 *    handle the file system never gave out or already closed is -VFS_EBADF, never a crash
 *    (a remote file system cannot trust the VFS more than that).
 *  - Permission checks are the VFS's business (one user today); file systems store modes,
 *    owners and times and report them.
 */
#ifndef M6_VFS_FS_H
#define M6_VFS_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "path.h" /* VFS_NAME_MAX, VFS_PATH_MAX */
#include "vfs_errno.h"

/* Open flags: the Linux arm64 values (arch/arm64 <asm/fcntl.h>), so the Linux layer passes
 * them through unchanged; libm6 translates picolibc's own values to these. */
#define VFS_O_ACCMODE   00000003u
#define VFS_O_RDONLY    00000000u
#define VFS_O_WRONLY    00000001u
#define VFS_O_RDWR      00000002u
#define VFS_O_CREAT     00000100u
#define VFS_O_EXCL      00000200u
#define VFS_O_TRUNC     00001000u
#define VFS_O_APPEND    00002000u
#define VFS_O_DIRECTORY 00040000u
#define VFS_O_NOFOLLOW  00100000u /* the VFS's: a last component that is a link is ELOOP */

/* File types and permission bits of `mode` (the Linux/POSIX values). */
#define VFS_S_IFMT     0170000u
#define VFS_S_IFDIR    0040000u
#define VFS_S_IFREG    0100000u
#define VFS_S_IFLNK    0120000u
#define VFS_S_IFCHR    0020000u
#define VFS_S_ISDIR(m) (((m)&VFS_S_IFMT) == VFS_S_IFDIR)
#define VFS_S_ISREG(m) (((m)&VFS_S_IFMT) == VFS_S_IFREG)
#define VFS_S_ISLNK(m) (((m)&VFS_S_IFMT) == VFS_S_IFLNK)

/* Times are nanoseconds since the Unix epoch (1970-01-01 UTC). */
struct vfs_attr {
	uint64_t ino;  /* unique within the file system while the file exists */
	uint32_t mode; /* type | permission bits */
	uint32_t nlink;
	uint32_t uid, gid;
	uint64_t size;    /* bytes; for a directory whatever the file system reports */
	uint64_t blocks;  /* 512-byte units allocated */
	uint32_t blksize; /* the preferred I/O size */
	uint64_t atime_ns, mtime_ns, ctime_ns;
};

/* Which fields of a setattr apply (VFS_SET_*), as Linux's ATTR_* bits do. */
#define VFS_SET_MODE  0x1u
#define VFS_SET_UID   0x2u
#define VFS_SET_GID   0x4u
#define VFS_SET_ATIME 0x8u
#define VFS_SET_MTIME 0x10u

struct vfs_statfs {
	uint32_t bsize;  /* block size of the counts below */
	uint64_t blocks; /* total */
	uint64_t bfree;  /* free */
	uint64_t files;  /* total inodes (0: no limit) */
	uint64_t ffree;
	uint32_t namemax; /* the longest name */
	uint32_t flags;   /* VFS_STATFS_RDONLY */
	char type[16];    /* "tmpfs", "initrd", "vfat", NUL-terminated */
};
#define VFS_STATFS_RDONLY 0x1u

/* DT_* types of a directory entry (the getdents64 values). */
#define VFS_DT_UNKNOWN 0u
#define VFS_DT_CHR     2u
#define VFS_DT_DIR     4u
#define VFS_DT_REG     8u
#define VFS_DT_LNK     10u

struct vfs_dirent {
	uint64_t ino;
	uint64_t next; /* the cookie that continues after this entry */
	uint32_t type; /* VFS_DT_* */
	uint32_t name_len;
	char name[VFS_NAME_MAX + 1]; /* NUL-terminated */
};

struct vfs_fs_ops {
	/*
	 * Opens `path` with VFS_O_* `flags`: O_CREAT makes a regular file of permission bits
	 * `mode & 07777` when the name is free (its parent must exist: -ENOENT; be a
	 * directory: -ENOTDIR); O_EXCL with O_CREAT fails on an existing name (-EEXIST);
	 * O_TRUNC empties a regular file opened for writing; O_DIRECTORY fails on anything but
	 * a directory (-ENOTDIR). A directory opened for writing is -EISDIR. The access mode
	 * is the VFS's to enforce; the file system only needs O_CREAT/EXCL/TRUNC/DIRECTORY.
	 * On success *handle and *attr (the file after the open) are filled in.
	 */
	int (*open)(void *fs, const char *path, uint32_t flags, uint32_t mode, uint64_t *handle,
	            struct vfs_attr *attr);
	int (*close)(void *fs, uint64_t handle);
	/* Reads up to `len` bytes at `offset`: the count (0 at or past the end). -EISDIR on a
	 * directory. */
	long (*read)(void *fs, uint64_t handle, uint64_t offset, void *buf, size_t len);
	/* Writes `len` bytes at `offset` (the VFS turns O_APPEND into the size): the count, or
	 * -ENOSPC when nothing fit. A short count means the file system filled up part way. A
	 * write past the end fills the gap with zeros. */
	long (*write)(void *fs, uint64_t handle, uint64_t offset, const void *buf, size_t len);
	/* Sets the size of a regular file (zeros when it grows). */
	int (*truncate)(void *fs, uint64_t handle, uint64_t size);
	int (*getattr)(void *fs, uint64_t handle, struct vfs_attr *attr);
	/* Applies the fields `which` (VFS_SET_*) selects from `attr`. -EPERM where the file
	 * system cannot store them (FAT has no owners). */
	int (*setattr)(void *fs, uint64_t handle, uint32_t which, const struct vfs_attr *attr);
	/*
	 * The directory entry at `cookie` (0: the first) of an open directory: 1 and *ent
	 * (whose `next` continues), 0 at the end, or -errno. "." and ".." come first. A cookie
	 * stays valid while entries are added and removed: an entry present throughout is
	 * returned exactly once, as POSIX asks of readdir.
	 */
	int (*readdir)(void *fs, uint64_t handle, uint64_t cookie, struct vfs_dirent *ent);
	/* Attributes of `path` without opening it. */
	int (*stat)(void *fs, const char *path, struct vfs_attr *attr);
	int (*mkdir)(void *fs, const char *path, uint32_t mode);
	/* -ENOTEMPTY unless empty; -ENOTDIR on a file; -EBUSY on the root. */
	int (*rmdir)(void *fs, const char *path);
	/* -EISDIR on a directory. An open file stays readable and writable through its handles
	 * until they are closed (POSIX), or the file system documents that it refuses with
	 * -EBUSY. */
	int (*unlink)(void *fs, const char *path);
	/* rename(2) within this file system: replaces a file `to` by a file, an empty
	 * directory by a directory; -EINVAL moving a directory below itself. */
	int (*rename)(void *fs, const char *from, const char *to);
	/* Everything written through `handle` (UINT64_MAX: the whole file system) is on the
	 * device. */
	int (*sync)(void *fs, uint64_t handle);
	int (*statfs)(void *fs, struct vfs_statfs *st);
	/*
	 * Symbolic links (docs/files.md, "Symbolic links"). Both NULL: the file system has
	 * none (FAT): the VFS answers symlink with -EPERM, as Linux's vfat, and never asks it
	 * whether a path component is a link. A file system that has them reports a link's
	 * stat with mode VFS_S_IFLNK | 0777 and size = the target's length, lists it as
	 * VFS_DT_LNK, and never follows one itself: the VFS resolves every link before it
	 * hands a path down, so a path component that is a link is -ENOTDIR, and `open` of a
	 * link is -ELOOP. unlink and rename treat a link as a file.
	 *
	 * symlink makes `path` a link holding the `len` bytes of `target` (1 to
	 * VFS_PATH_MAX - 1 bytes, no NUL; never interpreted here): -EEXIST when the name
	 * is taken. readlink copies up to `size` bytes of the target of the link `path`
	 * into `buf` (no NUL): the count, or -EINVAL when `path` is not a link.
	 */
	int (*symlink)(void *fs, const char *path, const char *target, size_t len);
	long (*readlink)(void *fs, const char *path, char *buf, size_t size);
};

/* A link target as `symlink` takes it and `readlink` gives it: 1 to VFS_PATH_MAX - 1
 * bytes, no NUL. One predicate for the file systems that store targets and the VFS that
 * checks what they answer, so the rule cannot drift between them. */
static inline bool vfs_link_target_ok(const char *target, size_t len)
{
	return len > 0 && len < VFS_PATH_MAX && memchr(target, '\0', len) == NULL;
}

struct vfs_fs {
	const struct vfs_fs_ops *ops;
	void *state;
};

#endif /* M6_VFS_FS_H */
