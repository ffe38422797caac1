/* /proc and the /dev directory, served by the Linux shim itself (docs/linux.md, "/proc").
 *
 * Nothing here is a file of the VFS: a path under /proc (or /dev itself) is looked up by
 * text, and what a process reads is generated when it opens the file, into a buffer the
 * description keeps (an OFD_PROC description), so a reader sees one consistent snapshot
 * however it splits its reads. Directories are generated the same way, as the records
 * getdents64 returns. fs_calls.c routes the calls on such paths and descriptions here. */
#ifndef LINUX_PROCFS_H
#define LINUX_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procfs_path.h" /* procfs_path(): whether a path is served here */

struct proc;
struct ofd;

#define LINUX_ELOOP 40

/* procfs's device number in st_dev (an anonymous block device's, as Linux gives proc). */
#define PROCFS_DEV 0x16u

/* What stat reports for a generated file, directory or link. */
struct procfs_stat {
	uint64_t dev, ino, size;
	uint32_t mode, nlink;
};

/* stat of a served path; `follow`: a link as its target (stat), else the link (lstat).
 * 0 or -ENOENT (a gone pid, no such entry), -ENOTDIR. */
int procfs_stat(struct proc *p, const char *path, bool follow, struct procfs_stat *st);
/* Open a served path with Linux open flags: the generated description in *out, or -errno
 * (EACCES for writing, EISDIR, ENOTDIR, ENOENT). A link the caller must follow itself
 * (/proc/PID/exe, fd/N, cwd: VFS paths) answers -ELOOP with its target in `target`. */
int64_t procfs_open(struct proc *p, const char *path, uint32_t flags, struct ofd **out,
                    char *target, size_t target_size);
/* The target of a link (/proc/self, /proc/PID/exe, fd/N, cwd); its length, -EINVAL for a
 * served path that is no link, -ENOENT. */
int64_t procfs_readlink(struct proc *p, const char *path, char *out, size_t size);

/* On an OFD_PROC description. */
int64_t procfs_read(struct proc *p, struct ofd *f, uint64_t buf, uint64_t n, int64_t pos);
int64_t procfs_getdents(struct proc *p, struct ofd *f, uint64_t buf, uint64_t n);
int64_t procfs_seek(struct ofd *f, int64_t off, uint32_t whence);
void procfs_fstat(const struct ofd *f, struct procfs_stat *st);
/* The description's last reference went: free its buffer. */
void procfs_release(struct ofd *f);

/* What uname reports (syscalls.c), and /proc/version and /proc/sys/kernel with it. */
extern const char linux_sysname[], linux_release[], linux_version[], linux_nodename[];

/* fs_calls.c: the shim's device files, for the /dev listing (NULL past the last). */
const char *fs_dev_entry(size_t i, uint32_t *ino, bool *is_link);

#endif
