/* The pure parts of libm6's file API: flag and errno translation, directory record
 * unpacking (files_xlate.h). No m6 or picolibc dependency: the host tests compile it. */
#include <string.h>

#include "files_xlate.h"

int64_t m6_files_flags_to_vfs(uint32_t f)
{
	const uint32_t dropped = M6_PICO_O_NONBLOCK | M6_PICO_O_NOCTTY | M6_PICO_O_CLOEXEC;
	const uint32_t known = M6_PICO_O_ACCMODE | M6_PICO_O_APPEND | M6_PICO_O_CREAT |
	                       M6_PICO_O_TRUNC | M6_PICO_O_EXCL | M6_PICO_O_DIRECTORY |
	                       M6_PICO_O_NOFOLLOW | dropped;
	if ((f & ~known) || (f & M6_PICO_O_ACCMODE) == M6_PICO_O_ACCMODE)
		return -1;
	uint32_t v = f & M6_PICO_O_ACCMODE; /* 0, 1, 2 in both */
	if (f & M6_PICO_O_CREAT)
		v |= M6_VFS_O_CREAT;
	if (f & M6_PICO_O_EXCL)
		v |= M6_VFS_O_EXCL;
	if (f & M6_PICO_O_TRUNC)
		v |= M6_VFS_O_TRUNC;
	if (f & M6_PICO_O_APPEND)
		v |= M6_VFS_O_APPEND;
	if (f & M6_PICO_O_DIRECTORY)
		v |= M6_VFS_O_DIRECTORY;
	if (f & M6_PICO_O_NOFOLLOW)
		v |= M6_VFS_O_NOFOLLOW;
	return v;
}

/* Linux numbers above 34 that a file operation can produce, and picolibc's for them. */
static const struct {
	uint8_t linux_no, pico_no;
} errno_map[] = {
    {35, 45},   /* EDEADLK */
    {36, 91},   /* ENAMETOOLONG */
    {37, 46},   /* ENOLCK */
    {38, 88},   /* ENOSYS */
    {39, 90},   /* ENOTEMPTY */
    {40, 92},   /* ELOOP */
    {61, 61},   /* ENODATA */
    {75, 139},  /* EOVERFLOW */
    {84, 138},  /* EILSEQ */
    {95, 95},   /* EOPNOTSUPP */
    {110, 116}, /* ETIMEDOUT */
    {116, 133}, /* ESTALE */
    {122, 132}, /* EDQUOT */
    {123, 135}, /* ENOMEDIUM (picolibc defines it only with Linux extensions) */
    {125, 140}, /* ECANCELED */
};

#define PICO_EIO 5

int m6_files_errno_from_linux(int64_t e)
{
	if (e < 0)
		e = -e;
	if (e >= 1 && e <= 34)
		return (int)e; /* the Version 7 numbers, the same everywhere */
	for (size_t i = 0; i < sizeof(errno_map) / sizeof(errno_map[0]); i++)
		if (errno_map[i].linux_no == e)
			return errno_map[i].pico_no;
	return PICO_EIO;
}

static uint64_t load_u64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v)); /* the buffer need not be aligned */
	return v;
}

int m6_files_dirent_next(const void *buf, size_t len, size_t *pos, struct m6_files_dirent *ent)
{
	const unsigned char *b = buf;
	size_t at = *pos;
	if (at >= len)
		return 0;
	size_t left = len - at;
	if (left < M6_FILES_DIRENT_HEADER + 2)
		return -1;
	uint16_t reclen;
	memcpy(&reclen, b + at + 16, sizeof(reclen));
	if (reclen < M6_FILES_DIRENT_HEADER + 2 || reclen % 8 || reclen > left)
		return -1;
	const char *name = (const char *)b + at + M6_FILES_DIRENT_HEADER;
	size_t room = reclen - M6_FILES_DIRENT_HEADER;
	const char *nul = memchr(name, '\0', room);
	if (!nul || nul == name || (size_t)(nul - name) > M6_FILES_NAME_MAX)
		return -1;
	ent->ino = load_u64(b + at);
	ent->next = (int64_t)load_u64(b + at + 8);
	ent->type = b[at + 18];
	ent->name_len = (uint16_t)(nul - name);
	ent->name = name;
	*pos = at + reclen;
	return 1;
}
