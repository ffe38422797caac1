/*
 * cpio: a reader for cpio "newc" archives (magic 070701, and 070702 whose checksums it
 * verifies), the format of m6's initrd (docs/files.md, "Initrd"). Plain C11 with no m6
 * dependency, so the same file builds for a component and for the host tests and fuzzer.
 *
 * The archive is a byte range the caller owns (in m6, mapped read-only from the boot
 * image); the reader never copies or writes it: names and file contents are returned as
 * pointers into it. Every header field is checked before it is used, so a malformed or
 * hostile archive gives a negative status, never a read outside [base, base + size).
 */
#ifndef M6_CPIO_H
#define M6_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Statuses: 0 or positive is success, negative an error (cpio_strerror). */
enum cpio_status {
	CPIO_OK = 0,
	CPIO_END = 1,         /* cpio_next: the TRAILER!!! entry was reached */
	CPIO_ENOENT = -1,     /* cpio_lookup: no such path */
	CPIO_ETRUNC = -2,     /* a header, name or data runs past the archive's end */
	CPIO_EMAGIC = -3,     /* not 070701 or 070702 */
	CPIO_EHEX = -4,       /* a header field that is not 8 hex digits */
	CPIO_ENAME = -5,      /* name size 0 or above CPIO_NAME_MAX, no NUL at its end,
	                         a NUL inside, or an empty name */
	CPIO_EPAD = -6,       /* alignment padding that is not zero bytes */
	CPIO_ECHECKSUM = -7,  /* 070702: the data's byte sum differs from the header's */
	CPIO_ENOTRAILER = -8, /* the archive ends without TRAILER!!! */
	CPIO_EINVAL = -9,     /* a bad argument (NULL, cursor not on an entry) */
	CPIO_ETRAILER = -10,  /* the trailer has a non-zero file size */
};

/* The longest name accepted, its NUL included (the POSIX PATH_MAX of Linux). */
#define CPIO_NAME_MAX 4096u
/* The fixed header: 6 bytes of magic and 13 fields of 8 hex digits. */
#define CPIO_HEADER_SIZE 110u

/* File types in cpio_entry.mode (the st_mode bits of POSIX). */
#define CPIO_S_IFMT  0170000u
#define CPIO_S_IFDIR 0040000u
#define CPIO_S_IFREG 0100000u
#define CPIO_S_IFLNK 0120000u

struct cpio_archive {
	const uint8_t *base;
	size_t size;
};

struct cpio_entry {
	const char *name;    /* NUL-terminated, inside the archive, as stored */
	size_t name_len;     /* without the NUL */
	const uint8_t *data; /* file contents, or a symlink's target (no NUL) */
	size_t size;
	uint32_t ino, mode, uid, gid, nlink, mtime;
	uint32_t devmajor, devminor, rdevmajor, rdevminor;
	uint32_t check; /* 070702 regular file: the byte sum of data; else as stored */
	bool crc;       /* 070702 */
	size_t offset;  /* of this entry's header */
	size_t next;    /* of the next header (the cursor after this entry) */
};

/*
 * Checks the whole archive, entry by entry up to TRAILER!!! (checksums included), so a
 * user learns of any damage once, at mount. Bytes after the trailer (GNU cpio pads to
 * 512) are ignored. Returns CPIO_OK or an error.
 */
int cpio_open(struct cpio_archive *ar, const void *base, size_t size);

/*
 * Iteration: start with *cursor = 0; each call decodes the entry at *cursor into *e and
 * moves *cursor past it. Returns CPIO_OK (an entry), CPIO_END (the trailer: *e is not
 * filled, *cursor unchanged) or an error (*cursor unchanged).
 */
int cpio_next(const struct cpio_archive *ar, size_t *cursor, struct cpio_entry *e);

/*
 * Finds a path. Leading "/" and "./" are ignored on both sides, and "" or "/" names the
 * root entry "."; so "/bin/sh", "bin/sh" and "./bin/sh" all find an entry stored as
 * "bin/sh" or "./bin/sh". When a path occurs twice the later entry wins (as when Linux
 * unpacks an initramfs). A hard-linked regular file stored without data (GNU cpio puts the
 * data only on the last link) gets the data of the link that has it.
 * Returns CPIO_OK, CPIO_ENOENT or an error.
 */
int cpio_lookup(const struct cpio_archive *ar, const char *path, struct cpio_entry *e);

static inline bool cpio_is_dir(const struct cpio_entry *e)
{
	return (e->mode & CPIO_S_IFMT) == CPIO_S_IFDIR;
}
static inline bool cpio_is_reg(const struct cpio_entry *e)
{
	return (e->mode & CPIO_S_IFMT) == CPIO_S_IFREG;
}
static inline bool cpio_is_symlink(const struct cpio_entry *e)
{
	return (e->mode & CPIO_S_IFMT) == CPIO_S_IFLNK;
}

/* A short English description of a status. */
const char *cpio_strerror(int status);

#endif
