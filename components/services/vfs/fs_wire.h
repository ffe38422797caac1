/*
 * fs_wire.h: the fs protocol's structs (fs.idl, generated fs_idl.h) to and from the
 * in-process ones (fs.h), field by field. Both sides of the protocol (fs_server.c, the
 * file system's side, and remote_fs.c, the VFS's) convert with these, so a field added to
 * one struct is added in one place.
 */
#ifndef M6_VFS_FS_WIRE_H
#define M6_VFS_FS_WIRE_H

#include <string.h>

#include "path.h"
#include "fs.h"
#include "fs_idl.h"

static inline void fs_attr_to_wire(struct fs_attr *out, const struct vfs_attr *in)
{
	*out = (struct fs_attr){
	    .ino = in->ino,
	    .mode = in->mode,
	    .nlink = in->nlink,
	    .uid = in->uid,
	    .gid = in->gid,
	    .size = in->size,
	    .blocks = in->blocks,
	    .blksize = in->blksize,
	    .atime_ns = in->atime_ns,
	    .mtime_ns = in->mtime_ns,
	    .ctime_ns = in->ctime_ns,
	};
}

static inline void fs_attr_from_wire(struct vfs_attr *out, const struct fs_attr *in)
{
	*out = (struct vfs_attr){
	    .ino = in->ino,
	    .mode = in->mode,
	    .nlink = in->nlink,
	    .uid = in->uid,
	    .gid = in->gid,
	    .size = in->size,
	    .blocks = in->blocks,
	    .blksize = in->blksize,
	    .atime_ns = in->atime_ns,
	    .mtime_ns = in->mtime_ns,
	    .ctime_ns = in->ctime_ns,
	};
}

static inline void fs_statfs_to_wire(struct fs_statfs_info *out, const struct vfs_statfs *in)
{
	*out = (struct fs_statfs_info){
	    .bsize = in->bsize,
	    .namemax = in->namemax,
	    .blocks = in->blocks,
	    .bfree = in->bfree,
	    .files = in->files,
	    .ffree = in->ffree,
	    .flags = in->flags,
	};
	char type[16] = {0};
	memcpy(type, in->type, sizeof type - 1);
	memcpy(&out->type_lo, type, 8);
	memcpy(&out->type_hi, type + 8, 8);
}

/* A type name from the wire is used only if it is a short lower-case word (it is shown to
 * users: `mount`, `df`); anything else leaves out->type empty. */
static inline void fs_statfs_from_wire(struct vfs_statfs *out, const struct fs_statfs_info *in)
{
	*out = (struct vfs_statfs){
	    .bsize = in->bsize,
	    .blocks = in->blocks,
	    .bfree = in->bfree,
	    .files = in->files,
	    .ffree = in->ffree,
	    .namemax = in->namemax,
	    .flags = in->flags,
	};
	char type[16];
	memcpy(type, &in->type_lo, 8);
	memcpy(type + 8, &in->type_hi, 8);
	type[15] = '\0';
	size_t n = strlen(type);
	for (size_t i = 0; i < n; i++) {
		if (!((type[i] >= 'a' && type[i] <= 'z') || (type[i] >= '0' && type[i] <= '9')))
			return;
	}
	memcpy(out->type, type, n + 1);
}

#endif /* M6_VFS_FS_WIRE_H */
