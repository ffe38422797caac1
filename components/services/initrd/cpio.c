/*
 * cpio "newc" reader: see cpio.h. The layout of one entry, offsets from the archive start:
 *
 *   header (110 bytes) | name (namesize bytes, NUL included) | zeros to a multiple of 4 |
 *   data (filesize bytes) | zeros to a multiple of 4
 *
 * Every length is checked against what is left of the archive before it is added to an
 * offset, by subtraction, so no sum can wrap and no pointer is formed past the end.
 */
#include "cpio.h"

#include <string.h>

#define FIELDS 13

/* Indices of the header's hex fields, in the order they are stored. */
enum {
	F_INO,
	F_MODE,
	F_UID,
	F_GID,
	F_NLINK,
	F_MTIME,
	F_FILESIZE,
	F_DEVMAJOR,
	F_DEVMINOR,
	F_RDEVMAJOR,
	F_RDEVMINOR,
	F_NAMESIZE,
	F_CHECK
};

static const char trailer[] = "TRAILER!!!";

static int hex_field(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		uint8_t c = p[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return CPIO_EHEX;
		v = v << 4 | d;
	}
	*out = v;
	return CPIO_OK;
}

/*
 * Checks that the padding after [.., end) up to the next multiple of 4 lies inside the
 * archive and is zeros; *aligned gets the offset after it. end <= ar->size on entry.
 */
static int check_padding(const struct cpio_archive *ar, size_t end, size_t *aligned)
{
	size_t pad = (4 - end % 4) % 4;

	if (pad > ar->size - end)
		return CPIO_ETRUNC;
	for (size_t i = 0; i < pad; i++)
		if (ar->base[end + i] != 0)
			return CPIO_EPAD;
	*aligned = end + pad;
	return CPIO_OK;
}

int cpio_next(const struct cpio_archive *ar, size_t *cursor, struct cpio_entry *e)
{
	uint32_t f[FIELDS];
	size_t off, name_off, data_off, next;
	int r;

	if (!ar || !cursor || !e || (!ar->base && ar->size))
		return CPIO_EINVAL;
	off = *cursor;
	/* Headers start at multiples of 4; any other cursor is not one this reader gave. */
	if (off > ar->size || off % 4)
		return CPIO_EINVAL;
	if (off == ar->size)
		return CPIO_ENOTRAILER;
	if (ar->size - off < CPIO_HEADER_SIZE)
		return CPIO_ETRUNC;

	const uint8_t *h = ar->base + off;
	if (memcmp(h, "07070", 5) != 0 || (h[5] != '1' && h[5] != '2'))
		return CPIO_EMAGIC;
	for (int i = 0; i < FIELDS; i++)
		if ((r = hex_field(h + 6 + 8 * i, &f[i])) < 0)
			return r;

	/* The name: at least one character and its NUL, the NUL last and nowhere else. */
	uint32_t namesize = f[F_NAMESIZE];
	name_off = off + CPIO_HEADER_SIZE;
	if (namesize < 2 || namesize > CPIO_NAME_MAX)
		return CPIO_ENAME;
	if (namesize > ar->size - name_off)
		return CPIO_ETRUNC;
	const char *name = (const char *)ar->base + name_off;
	if (name[namesize - 1] != '\0' || memchr(name, '\0', namesize - 1))
		return CPIO_ENAME;
	if ((r = check_padding(ar, name_off + namesize, &data_off)) < 0)
		return r;

	if (namesize == sizeof(trailer) && memcmp(name, trailer, sizeof(trailer)) == 0) {
		if (f[F_FILESIZE] != 0)
			return CPIO_ETRAILER;
		return CPIO_END;
	}

	uint32_t filesize = f[F_FILESIZE];
	if (filesize > ar->size - data_off)
		return CPIO_ETRUNC;
	if ((r = check_padding(ar, data_off + filesize, &next)) < 0)
		return r;

	const uint8_t *data = ar->base + data_off;
	bool crc = h[5] == '2';
	if (crc && (f[F_MODE] & CPIO_S_IFMT) == CPIO_S_IFREG) {
		/*
		 * The "crc" of 070702 is the sum of the data bytes, modulo 2^32, and covers
		 * regular files only: GNU cpio stores 0 for a symlink's target.
		 */
		uint32_t sum = 0;
		for (size_t i = 0; i < filesize; i++)
			sum += data[i];
		if (sum != f[F_CHECK])
			return CPIO_ECHECKSUM;
	}

	*e = (struct cpio_entry){
	    .name = name,
	    .name_len = namesize - 1,
	    .data = data,
	    .size = filesize,
	    .ino = f[F_INO],
	    .mode = f[F_MODE],
	    .uid = f[F_UID],
	    .gid = f[F_GID],
	    .nlink = f[F_NLINK],
	    .mtime = f[F_MTIME],
	    .devmajor = f[F_DEVMAJOR],
	    .devminor = f[F_DEVMINOR],
	    .rdevmajor = f[F_RDEVMAJOR],
	    .rdevminor = f[F_RDEVMINOR],
	    .check = f[F_CHECK],
	    .crc = crc,
	    .offset = off,
	    .next = next,
	};
	*cursor = next;
	return CPIO_OK;
}

int cpio_open(struct cpio_archive *ar, const void *base, size_t size)
{
	struct cpio_entry e;
	size_t cursor = 0;
	int r;

	if (!ar || (!base && size))
		return CPIO_EINVAL;
	ar->base = base;
	ar->size = size;
	/* Each entry moves the cursor by at least a header, so this ends. */
	while ((r = cpio_next(ar, &cursor, &e)) == CPIO_OK)
		;
	return r == CPIO_END ? CPIO_OK : r;
}

/*
 * The comparable form of a path: without leading "/" and "./", trailing "/", and with "."
 * alone as the empty path (the root).
 */
static void normalize(const char *p, size_t len, const char **out, size_t *out_len)
{
	for (;;) {
		if (len >= 1 && p[0] == '/') {
			p++, len--;
		} else if (len >= 2 && p[0] == '.' && p[1] == '/') {
			p += 2, len -= 2;
		} else {
			break;
		}
	}
	while (len > 0 && p[len - 1] == '/')
		len--;
	if (len == 1 && p[0] == '.')
		len = 0;
	*out = p;
	*out_len = len;
}

int cpio_lookup(const struct cpio_archive *ar, const char *path, struct cpio_entry *e)
{
	struct cpio_entry cur;
	const char *want, *have;
	size_t want_len, have_len, cursor = 0;
	bool found = false;
	int r;

	if (!ar || !path || !e)
		return CPIO_EINVAL;
	normalize(path, strlen(path), &want, &want_len);
	while ((r = cpio_next(ar, &cursor, &cur)) == CPIO_OK) {
		normalize(cur.name, cur.name_len, &have, &have_len);
		if (have_len == want_len && memcmp(have, want, want_len) == 0) {
			*e = cur;
			found = true;
		}
	}
	if (r != CPIO_END)
		return r;
	if (!found)
		return CPIO_ENOENT;

	if (cpio_is_reg(e) && e->nlink > 1 && e->size == 0) {
		cursor = 0;
		while (cpio_next(ar, &cursor, &cur) == CPIO_OK) {
			if (cpio_is_reg(&cur) && cur.size > 0 && cur.ino == e->ino &&
			    cur.devmajor == e->devmajor && cur.devminor == e->devminor) {
				e->data = cur.data;
				e->size = cur.size;
				e->check = cur.check;
			}
		}
	}
	return CPIO_OK;
}

const char *cpio_strerror(int status)
{
	switch (status) {
	case CPIO_OK:
		return "ok";
	case CPIO_END:
		return "end of archive";
	case CPIO_ENOENT:
		return "no such file or directory";
	case CPIO_ETRUNC:
		return "truncated archive";
	case CPIO_EMAGIC:
		return "bad magic (not cpio newc)";
	case CPIO_EHEX:
		return "bad hex digit in a header";
	case CPIO_ENAME:
		return "bad name (size, NUL)";
	case CPIO_EPAD:
		return "non-zero padding";
	case CPIO_ECHECKSUM:
		return "checksum mismatch";
	case CPIO_ENOTRAILER:
		return "no TRAILER!!! entry";
	case CPIO_EINVAL:
		return "invalid argument";
	case CPIO_ETRAILER:
		return "trailer with data";
	default:
		return "unknown error";
	}
}
