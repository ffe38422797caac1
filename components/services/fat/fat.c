/*
 * fat.c: the FAT12/16/32 reader (fat.h). The image is untrusted: each field is checked
 * before it is used, arithmetic on image values is done in 64 bits, and every walk along a
 * cluster chain is bounded by the volume's cluster count (or the directory size limit), so
 * a loop ends in FAT_E_IO rather than a hang.
 */
#include "fat.h"

#include <limits.h>
#include <string.h>

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static bool is_pow2(uint32_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* Reads `len` bytes at byte offset `off` of the device, through the one-block cache. */
static int dev_read(struct fat_fs *fs, uint64_t off, void *buf, size_t len)
{
	uint32_t bs = fs->dev.block_size;
	uint8_t *out = buf;
	uint64_t dev_bytes = fs->dev.block_count * bs;

	if (off > dev_bytes || len > dev_bytes - off)
		return FAT_E_IO;
	while (len > 0) {
		uint64_t block = off / bs;
		uint32_t in = (uint32_t)(off % bs);
		size_t n = bs - in;

		if (n > len)
			n = len;
		if (!fs->cache_valid || fs->cached_block != block) {
			fs->cache_valid = false;
			if (fs->dev.read(fs->dev.ctx, block, 1, fs->cache) != 0)
				return FAT_E_IO;
			fs->cache_valid = true;
			fs->cached_block = block;
		}
		memcpy(out, fs->cache + in, n);
		out += n;
		off += n;
		len -= n;
	}
	return FAT_OK;
}

static uint64_t sector_offset(const struct fat_fs *fs, uint64_t sector)
{
	return sector * fs->bytes_per_sector;
}

static uint64_t cluster_offset(const struct fat_fs *fs, uint32_t cluster)
{
	/* The caller has checked 2 <= cluster <= cluster_count + 1. */
	return sector_offset(fs, fs->first_data_sector +
	                             (uint64_t)(cluster - 2) * fs->sectors_per_cluster);
}

static bool cluster_valid(const struct fat_fs *fs, uint32_t c)
{
	return c >= 2 && c <= fs->cluster_count + 1;
}

/* Raw FAT entry of `cluster` (masked to 28 bits on FAT32); the cluster must be valid. */
static int fat_entry(struct fat_fs *fs, uint32_t cluster, uint32_t *value)
{
	uint64_t fat_start =
	    sector_offset(fs, fs->reserved_sectors + (uint64_t)fs->active_fat * fs->fat_sectors);
	uint8_t b[4];
	int err;

	switch (fs->type) {
	case FAT_TYPE_12:
		err = dev_read(fs, fat_start + cluster + cluster / 2, b, 2);
		if (err)
			return err;
		*value = (cluster & 1) ? (uint32_t)(le16(b) >> 4) : (uint32_t)(le16(b) & 0xfff);
		return FAT_OK;
	case FAT_TYPE_16:
		err = dev_read(fs, fat_start + (uint64_t)cluster * 2, b, 2);
		if (err)
			return err;
		*value = le16(b);
		return FAT_OK;
	case FAT_TYPE_32:
		err = dev_read(fs, fat_start + (uint64_t)cluster * 4, b, 4);
		if (err)
			return err;
		*value = le32(b) & 0x0fffffff;
		return FAT_OK;
	}
	return FAT_E_IO;
}

static uint32_t eoc_min(const struct fat_fs *fs)
{
	return fs->type == FAT_TYPE_12 ? 0xff8 : fs->type == FAT_TYPE_16 ? 0xfff8 : 0x0ffffff8;
}

/*
 * The cluster after `cluster`: 1 with *next set, 0 at the end of the chain, FAT_E_IO when
 * the entry is free, bad, reserved or out of range (all corruption inside a chain).
 */
static int fat_next(struct fat_fs *fs, uint32_t cluster, uint32_t *next)
{
	uint32_t v;
	int err = fat_entry(fs, cluster, &v);

	if (err)
		return err;
	if (v >= eoc_min(fs))
		return 0;
	if (!cluster_valid(fs, v))
		return FAT_E_IO;
	*next = v;
	return 1;
}

static void cursor_init(struct fat_cursor *cur, uint32_t first)
{
	cur->first_cluster = first;
	cur->index = 0;
	cur->cluster = first;
	cur->mark = first;
	cur->power = 1;
	cur->lap = 0;
}

/*
 * Steps the cursor to the next cluster: 1 moved, 0 end of chain, FAT_E_IO on corruption,
 * a loop (Brent: the cluster seen at the last power-of-two step comes round again) or a
 * chain longer than the volume has clusters.
 */
static int cursor_step(struct fat_fs *fs, struct fat_cursor *cur)
{
	uint32_t next;
	int r = fat_next(fs, cur->cluster, &next);

	if (r <= 0)
		return r;
	if (next == cur->mark || cur->index + 1 >= fs->cluster_count)
		return FAT_E_IO;
	if (++cur->lap == cur->power) {
		cur->mark = next;
		cur->power *= 2;
		cur->lap = 0;
	}
	cur->cluster = next;
	cur->index++;
	return 1;
}

/*
 * Moves the cursor to the `index`-th cluster of its chain. Going back restarts from the
 * first cluster; any index past cluster_count is a loop or a lie, so the walk is bounded.
 * Returns FAT_OK, or FAT_E_IO when the chain ends early or is corrupt.
 */
static int cursor_seek(struct fat_fs *fs, struct fat_cursor *cur, uint32_t index)
{
	if (index >= fs->cluster_count || !cluster_valid(fs, cur->first_cluster))
		return FAT_E_IO;
	if (index < cur->index || !cluster_valid(fs, cur->cluster))
		cursor_init(cur, cur->first_cluster);
	while (cur->index < index) {
		int r = cursor_step(fs, cur);

		if (r <= 0)
			return FAT_E_IO; /* the chain ends before `index`, or is corrupt */
	}
	return FAT_OK;
}

int fat_mount(struct fat_fs *fs, const struct fat_device *dev)
{
	uint8_t bs[512];
	int err;

	if (fs == NULL || dev == NULL || dev->read == NULL || !is_pow2(dev->block_size) ||
	    dev->block_size > FAT_MAX_BLOCK || dev->block_count > UINT64_MAX / FAT_MAX_BLOCK)
		return FAT_E_INVAL;
	memset(fs, 0, sizeof(*fs));
	fs->dev = *dev;
	if (dev->block_count * dev->block_size < sizeof(bs))
		return FAT_E_BADFS;
	err = dev_read(fs, 0, bs, sizeof(bs));
	if (err)
		return err;

	/* The boot signature sits at byte 510 whatever the sector size. */
	if (bs[510] != 0x55 || bs[511] != 0xaa)
		return FAT_E_BADFS;
	if (bs[0] != 0xeb && bs[0] != 0xe9)
		return FAT_E_BADFS;

	uint32_t bps = le16(bs + 11);
	uint32_t spc = bs[13];
	uint32_t rsvd = le16(bs + 14);
	uint32_t nfats = bs[16];
	uint32_t root_ent = le16(bs + 17);
	uint32_t tot16 = le16(bs + 19);
	uint32_t fatsz16 = le16(bs + 22);
	uint32_t tot32 = le32(bs + 32);
	uint32_t fatsz32 = le32(bs + 36);

	if (bps < 512 || bps > 4096 || !is_pow2(bps))
		return FAT_E_BADFS;
	/* A zero or non-power-of-two cluster size, or clusters over 32 KiB, are not FAT. */
	if (!is_pow2(spc) || spc * bps > 32768)
		return FAT_E_BADFS;
	if (rsvd == 0 || nfats == 0 || nfats > 4)
		return FAT_E_BADFS;
	if (bs[21] != 0xf0 && bs[21] < 0xf8) /* the media descriptor */
		return FAT_E_BADFS;
	uint32_t total = tot16 != 0 ? tot16 : tot32;
	if (total == 0 || (tot16 != 0 && tot32 != 0 && tot16 != tot32))
		return FAT_E_BADFS;
	uint32_t fatsz = fatsz16 != 0 ? fatsz16 : fatsz32;
	if (fatsz == 0)
		return FAT_E_BADFS;
	/* The volume must lie inside the device: nothing past it is ever read. */
	if ((uint64_t)total * bps > dev->block_count * dev->block_size)
		return FAT_E_BADFS;

	uint64_t root_sectors = ((uint64_t)root_ent * 32 + bps - 1) / bps;
	uint64_t first_data = rsvd + (uint64_t)nfats * fatsz + root_sectors;
	if (first_data >= total)
		return FAT_E_BADFS;
	uint32_t clusters = (uint32_t)((total - first_data) / spc);
	if (clusters == 0)
		return FAT_E_BADFS;

	/* The type comes from the cluster count alone, as the specification says. */
	enum fat_type type = clusters < 4085    ? FAT_TYPE_12
	                     : clusters < 65525 ? FAT_TYPE_16
	                                        : FAT_TYPE_32;
	if (type == FAT_TYPE_32) {
		if (fatsz16 != 0 || root_ent != 0 || tot16 != 0 || clusters > 0x0ffffff5)
			return FAT_E_BADFS;
	} else {
		if (fatsz16 == 0 || root_ent == 0)
			return FAT_E_BADFS;
	}
	/* The FAT must have an entry for every cluster (and the two reserved ones). */
	uint64_t need_bits = ((uint64_t)clusters + 2) * (type == FAT_TYPE_12 ? 12 : type);
	if ((uint64_t)fatsz * bps * 8 < need_bits)
		return FAT_E_BADFS;

	fs->type = type;
	fs->bytes_per_sector = bps;
	fs->sectors_per_cluster = spc;
	fs->cluster_size = spc * bps;
	fs->reserved_sectors = rsvd;
	fs->num_fats = nfats;
	fs->fat_sectors = fatsz;
	fs->root_entries = root_ent;
	fs->root_dir_sector = (uint32_t)(rsvd + (uint64_t)nfats * fatsz);
	fs->first_data_sector = (uint32_t)first_data;
	fs->total_sectors = total;
	fs->cluster_count = clusters;
	fs->fat_mirrored = true;
	fs->fsinfo_free = 0xffffffff;
	fs->fsinfo_next_free = 0xffffffff;

	if (type == FAT_TYPE_32) {
		uint32_t ext_flags = le16(bs + 40);
		uint32_t version = le16(bs + 42);
		uint32_t root = le32(bs + 44);
		uint32_t fsinfo = le16(bs + 48);

		if (version != 0 || !cluster_valid(fs, root))
			return FAT_E_BADFS;
		fs->root_cluster = root;
		if (ext_flags & 0x80) {
			fs->fat_mirrored = false;
			fs->active_fat = ext_flags & 0x0f;
			if (fs->active_fat >= nfats)
				return FAT_E_BADFS;
		}
		/* FSInfo is only a hint: a bad one is ignored (and rewritten by the write slice).
		 */
		if (fsinfo != 0 && fsinfo != 0xffff && fsinfo < rsvd) {
			uint8_t fi[512];

			fs->fsinfo_sector = fsinfo;
			if (dev_read(fs, sector_offset(fs, fsinfo), fi, sizeof(fi)) == FAT_OK &&
			    le32(fi) == 0x41615252 && le32(fi + 484) == 0x61417272 &&
			    le32(fi + 508) == 0xaa550000) {
				fs->fsinfo_valid = true;
				fs->fsinfo_free = le32(fi + 488);
				fs->fsinfo_next_free = le32(fi + 492);
			}
		}
	}

	/* FAT[1] carries the dirty flag (FAT[0] only repeats the media byte: not checked). */
	uint32_t fat1;
	err = fat_entry(fs, 1, &fat1);
	if (err)
		return err;
	if (type == FAT_TYPE_16)
		fs->clean = (fat1 & 0x8000) != 0;
	else if (type == FAT_TYPE_32)
		fs->clean = (fat1 & 0x08000000) != 0;
	else
		fs->clean = true; /* FAT12 has no dirty flag */
	return FAT_OK;
}

void fat_root(const struct fat_fs *fs, struct fat_node *node)
{
	(void)fs;
	memset(node, 0, sizeof(*node));
	node->attr = FAT_ATTR_DIRECTORY;
	node->dir_index = UINT32_MAX;
}

int fat_dir_open(struct fat_fs *fs, const struct fat_node *node, struct fat_dir *dir)
{
	if (fs == NULL || node == NULL || dir == NULL)
		return FAT_E_INVAL;
	if (!(node->attr & FAT_ATTR_DIRECTORY))
		return FAT_E_NOTDIR;
	dir->fs = fs;
	dir->node = *node;
	dir->next_index = 0;
	uint32_t first = node->first_cluster;
	if (first == 0 && fs->type == FAT_TYPE_32)
		first = fs->root_cluster;
	cursor_init(&dir->cursor, first);
	if (first != 0 && !cluster_valid(fs, first))
		return FAT_E_IO;
	return FAT_OK;
}

/* Reads directory entry `index`: 1 read, 0 past the end of the directory, < 0 error. */
static int dir_entry(struct fat_dir *dir, uint32_t index, uint8_t e[32])
{
	struct fat_fs *fs = dir->fs;
	uint64_t byte = (uint64_t)index * 32;

	if (index >= FAT_DIR_MAX_ENTRIES)
		return 0;
	if (dir->cursor.first_cluster == 0) {
		/* The fixed root directory of FAT12/16. */
		if (index >= fs->root_entries)
			return 0;
		int err = dev_read(fs, sector_offset(fs, fs->root_dir_sector) + byte, e, 32);
		return err ? err : 1;
	}
	uint32_t ci = (uint32_t)(byte / fs->cluster_size);
	if (ci == dir->cursor.index + 1) {
		/* The usual step: the next cluster, where the end of the chain ends the directory.
		 */
		int r = cursor_step(fs, &dir->cursor);

		if (r <= 0)
			return r;
	} else if (ci != dir->cursor.index) {
		int err = cursor_seek(fs, &dir->cursor, ci);
		if (err)
			return err;
	}
	uint64_t off = cluster_offset(fs, dir->cursor.cluster) + byte % fs->cluster_size;
	int err = dev_read(fs, off, e, 32);
	return err ? err : 1;
}

static uint8_t lfn_checksum(const uint8_t name[11])
{
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name[i]);
	return sum;
}

/* Appends the code point `cp` as UTF-8; false when it does not fit. */
static bool put_utf8(char *out, size_t cap, size_t *len, uint32_t cp)
{
	uint8_t b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | (cp >> 6));
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | (cp >> 12));
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | (cp >> 18));
		b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (*len + n > cap)
		return false;
	memcpy(out + *len, b, n);
	*len += n;
	return true;
}

/*
 * Converts a long name (UCS-2 units, up to 255, 0-terminated or 0xffff-padded) to UTF-8.
 * Surrogate pairs are joined (Windows and Linux store UTF-16); a lone surrogate becomes
 * U+FFFD. False for an empty name, a '/' or a NUL inside, or one that does not fit.
 */
static bool lfn_to_utf8(const uint16_t *u, unsigned count, char *out, size_t cap)
{
	size_t len = 0;
	unsigned n = 0;

	while (n < count && u[n] != 0)
		n++;
	if (n == 0)
		return false;
	for (unsigned i = 0; i < n; i++) {
		uint32_t cp = u[i];

		if (cp == '/' || cp == 0xffff)
			return false;
		if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n && u[i + 1] >= 0xdc00 &&
		    u[i + 1] <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (u[i + 1] - 0xdc00);
			i++;
		} else if (cp >= 0xd800 && cp <= 0xdfff) {
			cp = 0xfffd;
		}
		if (!put_utf8(out, cap, &len, cp))
			return false;
	}
	out[len] = '\0';
	return true;
}

/* "NAME.EXT" from the 11-byte short name, with the NT lower-case flags (byte 12). */
static void short_name(const uint8_t *e, char out[13])
{
	size_t len = 0;
	int base_end = 8, ext_end = 11;

	while (base_end > 0 && e[base_end - 1] == ' ')
		base_end--;
	while (ext_end > 8 && e[ext_end - 1] == ' ')
		ext_end--;
	for (int i = 0; i < base_end; i++) {
		uint8_t c = (i == 0 && e[0] == 0x05) ? 0xe5 : e[i];

		if (c >= 0x80 || c < 0x20 || c == '/')
			c = '?'; /* OEM code page bytes: not translated (docs/fat.md) */
		else if ((e[12] & 0x08) && c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		out[len++] = (char)c;
	}
	if (ext_end > 8) {
		out[len++] = '.';
		for (int i = 8; i < ext_end; i++) {
			uint8_t c = e[i];

			if (c >= 0x80 || c < 0x20 || c == '/')
				c = '?';
			else if ((e[12] & 0x10) && c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + 32);
			out[len++] = (char)c;
		}
	}
	out[len] = '\0';
}

int fat_dir_next(struct fat_dir *dir, struct fat_dirent *ent)
{
	static const uint8_t lfn_pos[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
	uint16_t lfn[260];
	unsigned lfn_next = 0; /* the sequence number expected next; 0: no long name pending */
	unsigned lfn_count = 0;
	uint8_t lfn_sum = 0;
	uint8_t e[32];

	if (dir == NULL || ent == NULL)
		return FAT_E_INVAL;
	for (;;) {
		int r = dir_entry(dir, dir->next_index, e);

		if (r <= 0)
			return r;
		uint32_t index = dir->next_index++;
		if (e[0] == 0x00) {
			/* End marker: stay here so further calls also see the end. */
			dir->next_index = index;
			return 0;
		}
		if (e[0] == 0xe5) {
			lfn_next = 0;
			continue;
		}
		if ((e[11] & 0x3f) == FAT_ATTR_LFN) {
			unsigned seq = e[0] & 0x1f;

			if (e[0] & 0x40) {
				if (seq == 0 || seq > 20) {
					lfn_next = 0;
					continue;
				}
				lfn_count = seq;
				lfn_sum = e[13];
				for (unsigned i = 0; i < 260; i++)
					lfn[i] = 0;
			} else if (lfn_next == 0 || seq != lfn_next || e[13] != lfn_sum) {
				lfn_next = 0; /* out of order or from another name: drop it */
				continue;
			}
			for (unsigned i = 0; i < 13; i++)
				lfn[(seq - 1) * 13 + i] = le16(e + lfn_pos[i]);
			lfn_next = seq - 1;
			if (lfn_next == 0)
				lfn_next = 100; /* complete: only the short entry may follow */
			continue;
		}
		if (e[11] & FAT_ATTR_VOLUME_ID) {
			lfn_next = 0;
			continue;
		}

		memset(ent, 0, sizeof(*ent));
		short_name(e, ent->short_name);
		bool have_lfn = lfn_next == 100 && lfn_sum == lfn_checksum(e) &&
		                lfn_to_utf8(lfn, lfn_count * 13 > 255 ? 255 : lfn_count * 13,
		                            ent->name, FAT_NAME_MAX);
		lfn_next = 0;
		if (!have_lfn)
			memcpy(ent->name, ent->short_name, sizeof(ent->short_name));
		ent->node.attr = e[11];
		ent->node.first_cluster = le16(e + 26);
		if (dir->fs->type == FAT_TYPE_32)
			ent->node.first_cluster |= (uint32_t)le16(e + 20) << 16;
		ent->node.size = le32(e + 28);
		ent->node.dir_cluster = dir->cursor.first_cluster;
		ent->node.dir_index = index;
		ent->create_time = le16(e + 14);
		ent->create_date = le16(e + 16);
		ent->access_date = le16(e + 18);
		ent->write_time = le16(e + 22);
		ent->write_date = le16(e + 24);
		return 1;
	}
}

/* ASCII case-insensitive equality: FAT names compare without case. */
static bool name_eq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen && b[i] != '\0'; i++) {
		char x = a[i], y = b[i];

		if (x >= 'a' && x <= 'z')
			x = (char)(x - 32);
		if (y >= 'a' && y <= 'z')
			y = (char)(y - 32);
		if (x != y)
			return false;
	}
	return i == alen && b[i] == '\0';
}

int fat_lookup(struct fat_fs *fs, const char *path, struct fat_node *node)
{
	struct fat_node cur;
	struct fat_dir dir;
	struct fat_dirent ent_storage;
	struct fat_dirent *ent = &ent_storage;

	if (fs == NULL || path == NULL || node == NULL)
		return FAT_E_INVAL;
	fat_root(fs, &cur);
	for (;;) {
		while (*path == '/')
			path++;
		if (*path == '\0')
			break;
		size_t len = 0;
		while (path[len] != '\0' && path[len] != '/')
			len++;
		if (len > FAT_NAME_MAX)
			return FAT_E_NAMETOOLONG;
		if (!(cur.attr & FAT_ATTR_DIRECTORY))
			return FAT_E_NOTDIR;
		int err = fat_dir_open(fs, &cur, &dir);
		if (err)
			return err;
		for (;;) {
			int r = fat_dir_next(&dir, ent);

			if (r < 0)
				return r;
			if (r == 0)
				return FAT_E_NOENT;
			if (name_eq(path, len, ent->name) || name_eq(path, len, ent->short_name))
				break;
		}
		cur = ent->node;
		/* ".." to the root is stored as cluster 0 (also on FAT32): the root node. */
		if ((cur.attr & FAT_ATTR_DIRECTORY) && cur.first_cluster == 0)
			fat_root(fs, &cur);
		path += len;
	}
	*node = cur;
	return FAT_OK;
}

int fat_file_open(struct fat_fs *fs, const struct fat_node *node, struct fat_file *file)
{
	if (fs == NULL || node == NULL || file == NULL)
		return FAT_E_INVAL;
	if (node->attr & FAT_ATTR_DIRECTORY)
		return FAT_E_ISDIR;
	/* A non-empty file must start at a real cluster; its chain is checked as it is read. */
	if (node->size != 0 && !cluster_valid(fs, node->first_cluster))
		return FAT_E_IO;
	file->fs = fs;
	file->node = *node;
	cursor_init(&file->cursor, node->first_cluster);
	file->tail_checked = false;
	return FAT_OK;
}

long fat_file_read(struct fat_file *file, uint64_t offset, void *buf, size_t len)
{
	struct fat_fs *fs;
	uint8_t *out = buf;
	size_t done = 0;

	if (file == NULL || (buf == NULL && len > 0))
		return FAT_E_INVAL;
	fs = file->fs;
	if (offset >= file->node.size)
		return 0;
	if (len > file->node.size - offset)
		len = (size_t)(file->node.size - offset);
	if (len > (size_t)LONG_MAX)
		len = (size_t)LONG_MAX;
	while (done < len) {
		uint64_t pos = offset + done;
		uint32_t ci = (uint32_t)(pos / fs->cluster_size);
		uint32_t in = (uint32_t)(pos % fs->cluster_size);
		size_t n = fs->cluster_size - in;

		if (n > len - done)
			n = len - done;
		int err = cursor_seek(fs, &file->cursor, ci);
		if (err)
			return err;
		/* The size's last cluster must end the chain: a chain that goes on (a loop back
		 * into the file, say) does not match the size. */
		if (!file->tail_checked && ci == (file->node.size - 1) / fs->cluster_size) {
			uint32_t next;

			if (fat_next(fs, file->cursor.cluster, &next) != 0)
				return FAT_E_IO;
			file->tail_checked = true;
		}
		err = dev_read(fs, cluster_offset(fs, file->cursor.cluster) + in, out + done, n);
		if (err)
			return err;
		done += n;
	}
	return (long)done;
}

const char *fat_strerror(int err)
{
	switch (err) {
	case FAT_OK:
		return "success";
	case FAT_E_IO:
		return "I/O error";
	case FAT_E_BADFS:
		return "not a valid FAT file system";
	case FAT_E_NOENT:
		return "no such file or directory";
	case FAT_E_NOTDIR:
		return "not a directory";
	case FAT_E_ISDIR:
		return "is a directory";
	case FAT_E_NAMETOOLONG:
		return "file name too long";
	case FAT_E_INVAL:
		return "invalid argument";
	}
	return "unknown error";
}
