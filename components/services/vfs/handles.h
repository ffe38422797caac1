/*
 * handles.h: a table of generation-checked handles, in plain C11 with no m6 dependency,
 * for the in-process file systems (tmpfs, initrd_fs).
 *
 * A handle is (generation << 32 | slot). Closing a handle moves its slot to a new
 * generation, so the old value, and any value a caller forges, is refused (NULL) rather
 * than reaching whatever the slot holds next: fs.h asks -EBADF for a handle the file system
 * never gave out or already closed. The table grows by doubling, through the file
 * system's allocator; growing is invisible, so a file system may reserve a slot before an
 * operation that can still fail and install into it once nothing can.
 */
#ifndef M6_VFS_HANDLES_H
#define M6_VFS_HANDLES_H

#include <stddef.h>
#include <stdint.h>

struct vfs_handle {
	void *obj; /* NULL: a free slot */
	uint32_t gen;
	uint32_t next_free;
};

struct vfs_handles {
	struct vfs_handle *slots;
	uint32_t cap;  /* slots in `slots` */
	uint32_t free; /* first free slot, or cap */
	uint32_t open; /* slots in use */
	void *(*alloc)(void *ctx, size_t size);
	void (*release)(void *ctx, void *p, size_t size);
	void *ctx;
};

/* An empty table that allocates through `alloc`/`release` (with `ctx`). */
void vfs_handles_init(struct vfs_handles *t, void *(*alloc)(void *ctx, size_t size),
                      void (*release)(void *ctx, void *p, size_t size), void *ctx);
/* Makes sure a free slot exists: 0, or -ENOMEM (nothing changed). */
int vfs_handles_reserve(struct vfs_handles *t);
/* Puts `obj` (not NULL) in the slot vfs_handles_reserve made sure of; the new handle. */
uint64_t vfs_handles_install(struct vfs_handles *t, void *obj);
/* What `handle` names, or NULL for a handle not given out or already closed. */
void *vfs_handles_get(const struct vfs_handles *t, uint64_t handle);
/* Closes a handle vfs_handles_get accepted; returns what it named. */
void *vfs_handles_remove(struct vfs_handles *t, uint64_t handle);
/* Frees the table (what the slots name is the caller's). */
void vfs_handles_fini(struct vfs_handles *t);

#endif /* M6_VFS_HANDLES_H */
