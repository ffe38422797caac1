/*
 * <m6/files.h>: libm6's file API over the VFS service (m6::files; docs/userspace.md,
 * "Files"). The POSIX calls themselves (open, read, stat, opendir, fopen, ...) are
 * declared by picolibc's headers and <dirent.h>, <sys/statvfs.h>; this header has what
 * POSIX does not.
 *
 * Descriptors: 0, 1 and 2 are the console (the component's stdio backend, <m6/stdio.h>);
 * VFS descriptor n is n + M6_FILES_FD_BASE. errno is picolibc's (files_xlate.h explains
 * the translation from the VFS's Linux numbers).
 */
#ifndef M6_FILES_H
#define M6_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <m6/syscall.h>

/* VFS descriptor 0 is POSIX descriptor 3. */
#define M6_FILES_FD_BASE 3

/*
 * Use the VFS through `vfs` (a call cap, badged for this client) and the window the spec
 * shares with it (`call vfs.files as VFS badge N window SIZE` gives CAP_VFS,
 * M6_WINDOW_VFS_VADDR and M6_WINDOW_VFS_SIZE). A component that links m6::files and whose
 * spec grants exactly those names is initialised before main; any other calls this once
 * before its first file call. Until then every file call fails with ENOSYS. Returns 0, or
 * -1 with errno EINVAL for a window too small to hold one directory entry (512 bytes).
 */
int m6_files_init(m6_cptr_t vfs, uintptr_t window_vaddr, size_t window_size);

/* Whether m6_files_init succeeded: the component has a file service. */
int m6_files_ready(void);

/*
 * The mount table as text, one line per mount, "POINT TYPE rw|ro\n", sorted by mount
 * point, NUL-terminated in `buf`. Returns the length without the NUL, or -1 with errno
 * (ERANGE: `size` is too small).
 */
ssize_t m6_files_mounts(char *buf, size_t size);

/*
 * sync(2) that says whether it worked: everything written to every mounted file system is
 * on its device (the VFS syncs them all, even after one fails). Returns 0, or -1 with
 * errno from the first file system that failed (ENOSYS: no file service). POSIX's
 * `void sync(void)` (<unistd.h>) is this with the answer dropped.
 */
int m6_files_sync(void);

/*
 * lstat(2): stat of a symbolic link itself (docs/files.md, "Symbolic links"). libm6
 * implements it with symlink, readlink and realpath, which picolibc's headers declare;
 * its <sys/stat.h> declares lstat only for a few targets, so it is declared here.
 */
struct stat;
int lstat(const char *__restrict path, struct stat *__restrict st);

#endif
