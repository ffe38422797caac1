/*
 * workload.h: a seeded random file-system workload (create, write, append, truncate,
 * rename, unlink, mkdir, rmdir) against any `struct vfs_fs` (components/services/vfs/fs.h),
 * with no host dependency, so the same code runs on FAT through fat_vfs.c, on the host
 * model (a POSIX directory, test/fat/hostfs.c) and, later, in the guest. The same seed and
 * count make the same operations and bytes whatever the file system, and every operation
 * must succeed: the trees left behind are then compared (test_fat.py).
 */
#ifndef M6_FAT_WORKLOAD_H
#define M6_FAT_WORKLOAD_H

#include <stdint.h>

#include "path.h"
#include "fs.h"

struct fat_workload_report {
	unsigned ops;      /* operations performed */
	unsigned failures; /* operations whose result was not the expected one */
	char first_failure[200];
};

/* Runs `ops` operations from `seed` on `fs` (paths relative to its root), then syncs.
 * Returns 0 when every operation did what it should, -1 otherwise (see the report). */
int fat_workload_run(const struct vfs_fs *fs, uint64_t seed, unsigned ops,
                     struct fat_workload_report *report);

#endif
