/*
 * fs_conformance: a CMocka suite that checks the contract of components/services/vfs/fs.h
 * on any `struct vfs_fs`: open flags, the errors (EEXIST, ENOENT, ENOTDIR, EISDIR,
 * ENOTEMPTY, EBADF, EINVAL, EROFS), read/write/truncate and holes, readdir listings and
 * their stability while entries come and go, every rename case, stale and forged handles.
 *
 * A file system under test gives a factory (a fresh, empty file system per test) and says
 * what it cannot do with FS_CONF_* flags; the checks that need it are skipped (for the FAT
 * adapter: no owners, coarse times, ...). tmpfs runs it in test_tmpfs.c.
 */
#ifndef M6_TEST_FS_CONFORMANCE_H
#define M6_TEST_FS_CONFORMANCE_H

#include <stdint.h>

#include "path.h"
#include "fs.h"

/* What the file system under test does not do; each skips or changes some checks. */
#define FS_CONF_READ_ONLY      0x1u  /* every change is -EROFS; only read-side checks run */
#define FS_CONF_NO_OWNERS      0x2u  /* setattr of uid/gid is -EPERM */
#define FS_CONF_NO_MODES       0x4u  /* permission bits are not kept exactly */
#define FS_CONF_NO_UNLINK_OPEN 0x8u  /* unlink of an open file is -EBUSY (fs.h allows it) */
#define FS_CONF_NO_DIR_NLINK   0x10u /* a directory's nlink is not 2 + its subdirectories */
#define FS_CONF_NO_SET_TIMES   0x20u /* setattr of atime/mtime is not kept to the ns */

struct fs_conformance {
	const char *name; /* for the report */
	/* A fresh file system (empty unless FS_CONF_READ_ONLY): 0, or the test fails. */
	int (*make)(void *ctx, struct vfs_fs *fs);
	/* Called after every test; should also check the file system's own invariants. */
	void (*destroy)(void *ctx, struct vfs_fs *fs);
	void *ctx;
	uint32_t flags; /* FS_CONF_* */
};

/* Runs the suite as one CMocka group; the number of failed tests (0: all passed). */
int fs_conformance_run(const struct fs_conformance *c);

#endif /* M6_TEST_FS_CONFORMANCE_H */
