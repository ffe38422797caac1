/*
 * vfs_errno.h: the error codes of the VFS, shared by the VFS library (path.c, mount.c), the
 * VFS service and, later, the VFS protocol its clients speak.
 *
 * The numbers are the Linux (asm-generic) errno values, the same ones the block protocol
 * uses (eio 5, enxio 6, einval 22, ...) and the VFS protocol carries (negated), so the
 * Linux compatibility layer takes them unchanged. picolibc numbers some errors above 34
 * differently (newlib's values): libm6's file API translates (libm6/src/files_xlate.c).
 * 0 is success; path.c and mount.c return 0 or one of these, never a negative number.
 * A variable of this enum type is unsigned to the compiler: negate an `int`, as in
 * `-(int)err`, never the enum variable itself.
 */
#ifndef M6_VFS_ERRNO_H
#define M6_VFS_ERRNO_H

enum vfs_errno {
	VFS_OK = 0,
	VFS_EPERM = 1,         /* the file system cannot store it (FAT owners) */
	VFS_ENOENT = 2,        /* no such file or directory; an empty path */
	VFS_EIO = 5,           /* the file system or its device failed */
	VFS_EBADF = 9,         /* not an open file of this client */
	VFS_ENOMEM = 12,       /* a fixed table (mounts, open files) is full */
	VFS_EACCES = 13,       /* permission denied */
	VFS_EFAULT = 14,       /* a window offset or length outside the client's window */
	VFS_EBUSY = 16,        /* already mounted there; a mount below a mount being removed */
	VFS_EEXIST = 17,       /* the name exists (O_CREAT | O_EXCL, mkdir) */
	VFS_EXDEV = 18,        /* rename across file systems */
	VFS_ENOTDIR = 20,      /* a component used as a directory is not one */
	VFS_EISDIR = 21,       /* a file operation on a directory */
	VFS_EINVAL = 22,       /* a bad argument: a NUL inside a path, an unnormalised path */
	VFS_EMFILE = 24,       /* this client has too many open files */
	VFS_EFBIG = 27,        /* larger than the file system's largest file */
	VFS_ENOSPC = 28,       /* no space left on the file system */
	VFS_ESPIPE = 29,       /* a seek to a negative position */
	VFS_EROFS = 30,        /* the file system is read-only */
	VFS_ENAMETOOLONG = 36, /* a path of VFS_PATH_MAX bytes or more, a name over VFS_NAME_MAX */
	VFS_ENOSYS = 38,       /* the operation is not implemented by this file system */
	VFS_ENOTEMPTY = 39,    /* rmdir of a directory with entries */
	VFS_ELOOP = 40,        /* over VFS_LINK_MAX symbolic links in one path; O_NOFOLLOW */
	VFS_EOVERFLOW = 75,    /* a value does not fit the answer */
};

#endif
