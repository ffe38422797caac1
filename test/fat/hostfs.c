/*
 * hostfs.c: the host model of the workload: `struct vfs_fs_ops` over a POSIX directory
 * (only what test/fat/workload.c uses), so the same seeded operations leave a tree that
 * test_fat.py compares with what mtools reads back from the FAT image.
 *   fat_model DIR SEED OPS     runs the workload in the (existing, empty) directory DIR
 */
#define _POSIX_C_SOURCE 200809L
#include "workload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int root_fd;

static int host_open(void *fs, const char *path, uint32_t flags, uint32_t mode, uint64_t *handle,
                     struct vfs_attr *attr)
{
	int f = (flags & VFS_O_ACCMODE) == VFS_O_RDWR     ? O_RDWR
	        : (flags & VFS_O_ACCMODE) == VFS_O_WRONLY ? O_WRONLY
	                                                  : O_RDONLY;
	struct stat st;

	(void)fs;
	f |= (flags & VFS_O_CREAT ? O_CREAT : 0) | (flags & VFS_O_EXCL ? O_EXCL : 0) |
	     (flags & VFS_O_TRUNC ? O_TRUNC : 0);
	int fd = openat(root_fd, path, f, (mode_t)mode);
	if (fd < 0)
		return -errno;
	fstat(fd, &st);
	memset(attr, 0, sizeof(*attr));
	attr->size = (uint64_t)st.st_size;
	*handle = (uint64_t)fd;
	return 0;
}

static int host_close(void *fs, uint64_t h)
{
	(void)fs;
	return close((int)h) ? -errno : 0;
}

static long host_write(void *fs, uint64_t h, uint64_t off, const void *buf, size_t len)
{
	(void)fs;
	ssize_t n = pwrite((int)h, buf, len, (off_t)off);
	return n < 0 ? -errno : (long)n;
}

static int host_truncate(void *fs, uint64_t h, uint64_t size)
{
	(void)fs;
	return ftruncate((int)h, (off_t)size) ? -errno : 0;
}

static int host_getattr(void *fs, uint64_t h, struct vfs_attr *attr)
{
	struct stat st;
	(void)fs;
	if (fstat((int)h, &st))
		return -errno;
	memset(attr, 0, sizeof(*attr));
	attr->size = (uint64_t)st.st_size;
	return 0;
}

static int host_mkdir(void *fs, const char *path, uint32_t mode)
{
	(void)fs;
	return mkdirat(root_fd, path, (mode_t)mode) ? -errno : 0;
}

static int host_rmdir(void *fs, const char *path)
{
	(void)fs;
	return unlinkat(root_fd, path, AT_REMOVEDIR) ? -errno : 0;
}

static int host_unlink(void *fs, const char *path)
{
	(void)fs;
	return unlinkat(root_fd, path, 0) ? -errno : 0;
}

static int host_rename(void *fs, const char *from, const char *to)
{
	(void)fs;
	return renameat(root_fd, from, root_fd, to) ? -errno : 0;
}

static int host_sync(void *fs, uint64_t h)
{
	(void)fs;
	(void)h;
	return 0;
}

static const struct vfs_fs_ops host_ops = {
    .open = host_open,
    .close = host_close,
    .write = host_write,
    .truncate = host_truncate,
    .getattr = host_getattr,
    .mkdir = host_mkdir,
    .rmdir = host_rmdir,
    .unlink = host_unlink,
    .rename = host_rename,
    .sync = host_sync,
};

int main(int argc, char **argv)
{
	struct fat_workload_report rep;
	struct vfs_fs fs = {&host_ops, NULL};

	if (argc != 4) {
		fprintf(stderr, "usage: fat_model DIR SEED OPS\n");
		return 2;
	}
	root_fd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (root_fd < 0) {
		fprintf(stderr, "fat_model: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	int r = fat_workload_run(&fs, strtoull(argv[2], NULL, 0),
	                         (unsigned)strtoul(argv[3], NULL, 0), &rep);
	printf("model: %u operations, %u failures%s%s\n", rep.ops, rep.failures,
	       rep.failures ? ": " : "", rep.first_failure);
	return r == 0 ? 0 : 1;
}
