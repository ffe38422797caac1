/* Types of the tables the spec compiler writes into a component's m6_caps.h
 * (docs/spec-language.md, "Windows" and "Mounts").
 *
 * m6_caps.h includes this header only when it defines such a table, as initializers:
 *
 *	static const struct m6_window windows[M6_WINDOWS_FS_COUNT] = M6_WINDOWS_FS;
 *	static const struct m6_mount mounts[M6_MOUNT_COUNT] = M6_MOUNTS;
 *
 * The m6_caps.h constants stay usable from assembly: the types are C only. */
#ifndef M6_SPEC_TABLES_H
#define M6_SPEC_TABLES_H

/* Kinds of mount (struct m6_mount.kind). Plain numbers: usable from assembly. */
#define M6_MOUNT_TMPFS  1 /* a file system in RAM; size: its limit in bytes */
#define M6_MOUNT_INITRD 2 /* a cpio archive mapped read-only at vaddr; size: its length */
#define M6_MOUNT_REMOTE 3 /* in another component (fs.idl): cap, its window at vaddr */

/* Mount flags (struct m6_mount.flags). */
#define M6_MOUNT_RO 1 /* read-only: writes get EROFS */

#ifndef __ASSEMBLER__

#include <stddef.h>
#include <stdint.h>

/* The window of one caller of an endpoint (`call S.E as N badge B window SIZE`): the
 * server's mapping of it. Badges in one table are distinct (the compiler checks it), and
 * the table is sorted by badge. */
struct m6_window {
	uint64_t badge;
	uintptr_t vaddr;
	size_t size;
};

/* One `mount` statement of the component, in declaration order. */
struct m6_mount {
	const char *path; /* absolute and normal: no ".", "..", empty name or trailing '/' */
	uint32_t kind;    /* M6_MOUNT_TMPFS, _INITRD or _REMOTE */
	uint32_t flags;   /* M6_MOUNT_RO */
	uintptr_t vaddr;  /* initrd: the archive; remote: the window; tmpfs: 0 */
	size_t size;      /* initrd: its length in bytes; remote: the window's; tmpfs: the limit */
	uint64_t cap;     /* remote: the slot of the call cap; else 0 */
};

#endif /* __ASSEMBLER__ */

#endif /* M6_SPEC_TABLES_H */
