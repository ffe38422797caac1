/*
 * files_xlate.h: the pure parts of libm6's file API (files.c), plain C11 with no m6 or
 * picolibc dependency so the host tests (ctest unit.files_xlate) compile the same code.
 *
 * Two numbering schemes meet here. The VFS protocol (libm6/interfaces/vfs.idl) speaks
 * Linux arm64: open flags, modes, errno values, getdents64 records. Components are
 * compiled against Debian's picolibc 1.8, whose <fcntl.h> and <errno.h> are newlib's:
 * O_EXCL is 04000 (Linux 0200), O_DIRECTORY 010000000 (Linux 040000, which is
 * picolibc's O_NONBLOCK), ENOTEMPTY 90 (Linux 39), ENAMETOOLONG 91 (36), ENOSYS 88 (38), EOVERFLOW
 * 139 (75). The mode bits (S_IF*, permissions) and errno 1..34 agree. The picolibc
 * values are written out below as M6_PICO_* so that the host test can check the
 * translation; files.c checks with _Static_assert that they are the ones the picolibc
 * headers really define.
 */
#ifndef M6_FILES_XLATE_H
#define M6_FILES_XLATE_H

#include <stddef.h>
#include <stdint.h>

/* picolibc 1.8 (newlib) open flags (sys/_default_fcntl.h), in octal as Linux's are. */
#define M6_PICO_O_ACCMODE   03u
#define M6_PICO_O_APPEND    02000u
#define M6_PICO_O_CREAT     0100u
#define M6_PICO_O_TRUNC     01000u
#define M6_PICO_O_EXCL      04000u
#define M6_PICO_O_SYNC      020000u
#define M6_PICO_O_NONBLOCK  040000u
#define M6_PICO_O_NOCTTY    0100000u
#define M6_PICO_O_CLOEXEC   01000000u
#define M6_PICO_O_NOFOLLOW  04000000u
#define M6_PICO_O_DIRECTORY 010000000u

/* The VFS protocol's (Linux arm64) open flags: the same values as VFS_O_* in
 * components/services/vfs/fs.h (unit.files_xlate compares them). */
#define M6_VFS_O_ACCMODE   00000003u
#define M6_VFS_O_CREAT     00000100u
#define M6_VFS_O_EXCL      00000200u
#define M6_VFS_O_TRUNC     00001000u
#define M6_VFS_O_APPEND    00002000u
#define M6_VFS_O_DIRECTORY 00040000u
#define M6_VFS_O_NOFOLLOW  00100000u

/*
 * picolibc open flags -> VFS flags. The access mode and O_CREAT/EXCL/TRUNC/APPEND/
 * DIRECTORY/NOFOLLOW are translated; O_NONBLOCK, O_NOCTTY and O_CLOEXEC mean nothing
 * for a VFS file (no blocking files, no terminals, no exec) and are dropped. Anything else, O_SYNC
 * included (the VFS has no synchronous writes: call fsync), or access mode 3, is refused: -1
 * (EINVAL), so a program never believes it got a behaviour it did not.
 */
int64_t m6_files_flags_to_vfs(uint32_t pico_flags);

/*
 * A Linux errno (as the VFS returns it, negated or not) -> picolibc's errno. 1..34 are
 * the same in both; the higher ones a file system can produce are mapped by name; an
 * unknown one becomes EIO (5): something went wrong that this library cannot name.
 */
int m6_files_errno_from_linux(int64_t linux_errno);

/* A record of the VFS readdir answer (Linux getdents64 layout), unpacked. */
struct m6_files_dirent {
	uint64_t ino;
	int64_t next; /* the position that continues after this entry (d_off) */
	uint8_t type; /* DT_* (Linux values, the same as picolibc's <dirent.h> here) */
	uint16_t name_len;
	const char *name; /* NUL-terminated, inside the buffer */
};

/* The fixed part of a record: u64 ino, i64 next, u16 reclen, u8 type. */
#define M6_FILES_DIRENT_HEADER 19u
#define M6_FILES_NAME_MAX      255u

/*
 * The record at *pos of `buf` (`len` bytes the VFS wrote). 1: *ent filled and *pos moved
 * past the record; 0: no record left (*pos == len); -1: the record is malformed (a
 * reclen shorter than a header and a NUL, not a multiple of 8, past `len`; no NUL in the
 * name; an empty name or one over NAME_MAX): *pos is left alone. The VFS is trusted to
 * be correct, not to be perfect: a bad record must not make the client read outside
 * the buffer.
 */
int m6_files_dirent_next(const void *buf, size_t len, size_t *pos, struct m6_files_dirent *ent);

/* The record length of a name of `name_len` bytes: header, name, NUL, rounded up to 8. */
static inline size_t m6_files_dirent_reclen(size_t name_len)
{
	return (M6_FILES_DIRENT_HEADER + name_len + 1 + 7) & ~(size_t)7;
}

#endif
