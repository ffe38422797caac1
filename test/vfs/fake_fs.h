/*
 * fake_fs.h: a small in-memory file system for the VFS core's host tests (test_vfs_core.c).
 * It follows fs.h's conventions closely enough for the VFS's rules to be tested on their
 * own, and counts the calls that change something, so a test can check that a refused
 * method never reached the file system.
 */
#ifndef M6_TEST_FAKE_FS_H
#define M6_TEST_FAKE_FS_H

#include <stdbool.h>
#include <stdint.h>

#include "path.h" /* before fs.h, which uses VFS_NAME_MAX */

#include "fs.h"

#define FAKE_NODES    48
#define FAKE_HANDLES  300
#define FAKE_DATA_MAX 8192
#define FAKE_PATH_MAX 512

struct fake_node {
	bool used;
	char path[FAKE_PATH_MAX]; /* relative to the root, "" for the root */
	uint32_t mode, uid, gid;
	uint64_t ino;
	uint64_t size;
	uint8_t data[FAKE_DATA_MAX];
};

struct fake_fs {
	struct fake_node nodes[FAKE_NODES];
	int handles[FAKE_HANDLES]; /* node index + 1, 0: free */
	uint64_t next_ino;
	bool readonly;    /* statfs says so */
	unsigned changes; /* calls that changed something */
	unsigned open_handles;
	unsigned syncs;
	uint64_t last_sync; /* the handle of the last sync */
	int sync_error;     /* non-zero: sync fails with it (after counting) */
	char type[16];
};

extern const struct vfs_fs_ops fake_fs_ops;

/* An empty file system: a root directory (mode 0755) and nothing else. */
void fake_fs_init(struct fake_fs *fs, const char *type);
/* Adds a file (or a directory when `data` is NULL) directly, for a test's set-up. */
void fake_fs_add(struct fake_fs *fs, const char *path, const char *data);
/* The node at `path`, or NULL. */
struct fake_node *fake_fs_find(struct fake_fs *fs, const char *path);

#endif
