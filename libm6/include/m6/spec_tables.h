/* Types of the tables the spec compiler writes into a component's m6_caps.h
 * (docs/spec-language.md, "Windows", "Mounts" and "PCI").
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

/* What a PCI claim matches (struct m6_pci_claim.kind; docs/spec-language.md, "PCI"). */
#define M6_PCI_MATCH_CLASS  1 /* class_code: the 24-bit class code */
#define M6_PCI_MATCH_VENDOR 2 /* vendor: any device of it */
#define M6_PCI_MATCH_DEVICE 3 /* vendor and device */

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

/* One row of a PCI bus's claim table (M6_PCI_CLAIMS): the caller whose message carries
 * `badge` may claim the functions the rule matches. Badges are distinct; the table is
 * sorted by badge, and no two rows can match one function (the compiler checks both). */
struct m6_pci_claim {
	uint64_t badge;
	uint32_t kind; /* M6_PCI_MATCH_* */
	uint32_t vendor;
	uint32_t device;
	uint32_t class_code;
};

#endif /* __ASSEMBLER__ */

#endif /* M6_SPEC_TABLES_H */
