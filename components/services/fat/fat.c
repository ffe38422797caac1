/*
 * fat.c: FAT12/16/32, reading and writing (fat.h). The image is untrusted: each field is checked
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

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

/* Writes the cached block back if it was changed. */
static int cache_flush(struct fat_fs *fs)
{
	if (!fs->cache_dirty)
		return FAT_OK;
	fs->cache_dirty = false;
	if (fs->dev.write(fs->dev.ctx, fs->cached_block, 1, fs->cache) != 0) {
		fs->cache_valid = false;
		return FAT_E_IO;
	}
	return FAT_OK;
}

/* Makes `block` the cached one; a changed block is written first (order of writes). */
static int cache_load(struct fat_fs *fs, uint64_t block)
{
	if (fs->cache_valid && fs->cached_block == block)
		return FAT_OK;
	int err = cache_flush(fs);
	if (err)
		return err;
	fs->cache_valid = false;
	if (fs->dev.read(fs->dev.ctx, block, 1, fs->cache) != 0)
		return FAT_E_IO;
	fs->cache_valid = true;
	fs->cached_block = block;
	return FAT_OK;
}

/* Whole blocks move in one callback of at most this many blocks. */
#define RUN_MAX_BLOCKS 1024u
/* The longest run of clusters fat_file_read gathers into one read. */
#define RUN_MAX_BYTES (1024u * 1024u)

/*
 * Reads `len` bytes at byte offset `off` of the device: pieces of blocks through the
 * one-block cache, runs of whole blocks straight into `buf` (file data, one callback).
 */
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

		if (in == 0 && len >= bs) {
			uint64_t count = len / bs;

			if (count > RUN_MAX_BLOCKS)
				count = RUN_MAX_BLOCKS;
			/* The device must hold what the cache changed before it is read around it.
			 */
			if (fs->cache_dirty && fs->cached_block >= block &&
			    fs->cached_block < block + count) {
				int err = cache_flush(fs);
				if (err)
					return err;
			}
			if (fs->dev.read(fs->dev.ctx, block, (uint32_t)count, out) != 0)
				return FAT_E_IO;
			n = (size_t)(count * bs);
		} else {
			if (n > len)
				n = len;
			int err = cache_load(fs, block);
			if (err)
				return err;
			memcpy(out, fs->cache + in, n);
		}
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
	fs->next_free = 2;

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
				/* Only where a search starts: any value in range will do. */
				if (cluster_valid(fs, fs->fsinfo_next_free))
					fs->next_free = fs->fsinfo_next_free;
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

/* Device offset of directory entry `index`: 1 found, 0 past the end of the directory, < 0
 * an error. */
static int dir_locate(struct fat_dir *dir, uint32_t index, uint64_t *off)
{
	struct fat_fs *fs = dir->fs;
	uint64_t byte = (uint64_t)index * 32;

	if (index >= FAT_DIR_MAX_ENTRIES)
		return 0;
	if (dir->cursor.first_cluster == 0) {
		/* The fixed root directory of FAT12/16. */
		if (index >= fs->root_entries)
			return 0;
		*off = sector_offset(fs, fs->root_dir_sector) + byte;
		return 1;
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
	*off = cluster_offset(fs, dir->cursor.cluster) + byte % fs->cluster_size;
	return 1;
}

/* Reads directory entry `index`: 1 read, 0 past the end of the directory, < 0 error. */
static int dir_entry(struct fat_dir *dir, uint32_t index, uint8_t e[32])
{
	uint64_t off;
	int r = dir_locate(dir, index, &off);

	if (r <= 0)
		return r;
	int err = dev_read(dir->fs, off, e, 32);
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
	uint32_t lfn_start = 0;
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
				lfn_start = index;
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
		ent->node.create_time = ent->create_time;
		ent->node.create_date = ent->create_date;
		ent->node.access_date = ent->access_date;
		ent->node.write_time = ent->write_time;
		ent->node.write_date = ent->write_date;
		ent->first_index = have_lfn ? lfn_start : index;
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

/* Finds `name` (`len` bytes) in directory `dirnode`: 1 and *ent, 0 not there, < 0 error. */
static int dir_find(struct fat_fs *fs, const struct fat_node *dirnode, const char *name, size_t len,
                    struct fat_dirent *ent)
{
	struct fat_dir dir;
	int err = fat_dir_open(fs, dirnode, &dir);

	if (err)
		return err;
	for (;;) {
		int r = fat_dir_next(&dir, ent);

		if (r <= 0)
			return r;
		if (name_eq(name, len, ent->name) || name_eq(name, len, ent->short_name))
			return 1;
	}
}

/* fat_lookup on the first `plen` bytes of `path`. */
static int lookup_n(struct fat_fs *fs, const char *path, size_t plen, struct fat_node *node)
{
	struct fat_node cur;
	struct fat_dirent ent_storage;
	struct fat_dirent *ent = &ent_storage;
	const char *end = path + plen;

	fat_root(fs, &cur);
	for (;;) {
		while (path < end && *path == '/')
			path++;
		if (path == end)
			break;
		size_t len = 0;
		while (path + len < end && path[len] != '/')
			len++;
		if (len > FAT_NAME_MAX)
			return FAT_E_NAMETOOLONG;
		if (!(cur.attr & FAT_ATTR_DIRECTORY))
			return FAT_E_NOTDIR;
		int r = dir_find(fs, &cur, path, len, ent);
		if (r < 0)
			return r;
		if (r == 0)
			return FAT_E_NOENT;
		cur = ent->node;
		/* ".." to the root is stored as cluster 0 (also on FAT32): the root node. */
		if ((cur.attr & FAT_ATTR_DIRECTORY) && cur.first_cluster == 0)
			fat_root(fs, &cur);
		path += len;
	}
	*node = cur;
	return FAT_OK;
}

int fat_lookup(struct fat_fs *fs, const char *path, struct fat_node *node)
{
	if (fs == NULL || path == NULL || node == NULL)
		return FAT_E_INVAL;
	return lookup_n(fs, path, strlen(path), node);
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
		/* Clusters that follow each other on the disk are one read: the device gets one
		 * request per run, not one per cluster. The run's checks are the loop's own. */
		uint64_t at = cluster_offset(fs, file->cursor.cluster) + in;
		while (done + n < len && n <= RUN_MAX_BYTES) {
			uint32_t prev = file->cursor.cluster;

			ci++;
			err = cursor_seek(fs, &file->cursor, ci);
			if (err)
				return err;
			if (file->cursor.cluster != prev + 1)
				break;
			if (!file->tail_checked && ci == (file->node.size - 1) / fs->cluster_size) {
				uint32_t next;

				if (fat_next(fs, file->cursor.cluster, &next) != 0)
					return FAT_E_IO;
				file->tail_checked = true;
			}
			n += len - done - n < fs->cluster_size ? len - done - n : fs->cluster_size;
		}
		err = dev_read(fs, at, out + done, n);
		if (err)
			return err;
		done += n;
	}
	return (long)done;
}

/* ---- Writing (docs/fat.md, "Writing") ---- */

static const uint8_t zero_block[FAT_MAX_BLOCK];

/*
 * Writes `len` bytes (zeros when `buf` is NULL) at byte offset `off`, which must lie inside
 * the volume: pieces of blocks through the cache, runs of whole blocks directly.
 */
static int dev_write(struct fat_fs *fs, uint64_t off, const void *buf, size_t len)
{
	uint32_t bs = fs->dev.block_size;
	const uint8_t *src = buf;
	uint64_t vol_bytes = (uint64_t)fs->total_sectors * fs->bytes_per_sector;

	if (fs->dev.write == NULL)
		return FAT_E_ROFS;
	if (off > vol_bytes || len > vol_bytes - off)
		return FAT_E_IO;
	while (len > 0) {
		uint64_t block = off / bs;
		uint32_t in = (uint32_t)(off % bs);
		size_t n = bs - in;
		int err;

		if (in == 0 && len >= bs) {
			uint64_t count = src == NULL ? 1 : len / bs;

			if (count > RUN_MAX_BLOCKS)
				count = RUN_MAX_BLOCKS;
			if (fs->cache_valid && fs->cached_block >= block &&
			    fs->cached_block < block + count) {
				/* This write replaces the cached block whole: its changes are moot.
				 */
				fs->cache_valid = false;
				fs->cache_dirty = false;
			} else if ((err = cache_flush(fs)) != 0) {
				return err; /* earlier changes reach the device first */
			}
			if (fs->dev.write(fs->dev.ctx, block, (uint32_t)count,
			                  src == NULL ? zero_block : src) != 0)
				return FAT_E_IO;
			n = (size_t)(count * bs);
		} else {
			if (n > len)
				n = len;
			err = cache_load(fs, block);
			if (err)
				return err;
			if (src == NULL)
				memset(fs->cache + in, 0, n);
			else
				memcpy(fs->cache + in, src, n);
			fs->cache_dirty = true;
		}
		if (src != NULL)
			src += n;
		off += n;
		len -= n;
	}
	return FAT_OK;
}

static uint64_t fat_copy_start(const struct fat_fs *fs, uint32_t copy)
{
	return sector_offset(fs, fs->reserved_sectors + (uint64_t)copy * fs->fat_sectors);
}

static uint32_t eoc_value(const struct fat_fs *fs)
{
	return fs->type == FAT_TYPE_12 ? 0xfff : fs->type == FAT_TYPE_16 ? 0xffff : 0x0fffffff;
}

/*
 * Sets FAT entry `cluster` (1 or a valid cluster) in the active FAT; fat_mirror copies the
 * changed range to the other FATs. FAT32 keeps the entry's top four bits, as it must.
 */
static int fat_set(struct fat_fs *fs, uint32_t cluster, uint32_t value)
{
	uint64_t base = fat_copy_start(fs, fs->active_fat);
	uint64_t at;
	uint8_t b[4];
	size_t n = 2;
	int err;

	if (cluster != 1 && !cluster_valid(fs, cluster))
		return FAT_E_IO;
	switch (fs->type) {
	case FAT_TYPE_12:
		at = (uint64_t)cluster + cluster / 2;
		err = dev_read(fs, base + at, b, 2);
		if (err)
			return err;
		if (cluster & 1)
			put16(b, (le16(b) & 0x000fu) | ((value & 0xfffu) << 4));
		else
			put16(b, (le16(b) & 0xf000u) | (value & 0xfffu));
		break;
	case FAT_TYPE_16:
		at = (uint64_t)cluster * 2;
		put16(b, value);
		break;
	default:
		at = (uint64_t)cluster * 4;
		n = 4;
		err = dev_read(fs, base + at, b, 4);
		if (err)
			return err;
		put32(b, (le32(b) & 0xf0000000u) | (value & 0x0fffffffu));
		break;
	}
	err = dev_write(fs, base + at, b, n);
	if (err)
		return err;
	if (fs->fat_dirty_hi == 0 || at < fs->fat_dirty_lo)
		fs->fat_dirty_lo = at;
	if (at + n > fs->fat_dirty_hi)
		fs->fat_dirty_hi = at + n;
	return FAT_OK;
}

/* Copies the changed range of the active FAT to the others (when they mirror it). */
static int fat_mirror(struct fat_fs *fs)
{
	uint64_t lo = fs->fat_dirty_lo, hi = fs->fat_dirty_hi;

	fs->fat_dirty_lo = fs->fat_dirty_hi = 0;
	if (hi == 0 || !fs->fat_mirrored)
		return FAT_OK;
	for (uint32_t copy = 0; copy < fs->num_fats; copy++) {
		if (copy == fs->active_fat)
			continue;
		for (uint64_t off = lo; off < hi;) {
			size_t n =
			    hi - off < sizeof(fs->bounce) ? (size_t)(hi - off) : sizeof(fs->bounce);
			int err =
			    dev_read(fs, fat_copy_start(fs, fs->active_fat) + off, fs->bounce, n);
			if (!err)
				err = dev_write(fs, fat_copy_start(fs, copy) + off, fs->bounce, n);
			if (err)
				return err;
			off += n;
		}
	}
	return FAT_OK;
}

/* The end of every changing call: the FATs agree and every changed byte is on the device. */
static int finish(struct fat_fs *fs, int err)
{
	int e1 = fat_mirror(fs);
	int e2 = cache_flush(fs);

	return err ? err : e1 ? e1 : e2;
}

/*
 * Before the first change after a mount or a sync: FAT_E_ROFS without a write callback;
 * else the clean bit of FAT[1] is cleared (FAT16/32) and written before anything else.
 */
static int begin_write(struct fat_fs *fs)
{
	if (fs->dev.write == NULL)
		return FAT_E_ROFS;
	if (fs->dirty_marked)
		return FAT_OK;
	if (fs->clean && fs->type != FAT_TYPE_12) {
		uint32_t v;
		int err = fat_entry(fs, 1, &v);

		if (!err)
			err =
			    fat_set(fs, 1, v & ~(fs->type == FAT_TYPE_16 ? 0x8000u : 0x08000000u));
		err = finish(fs, err);
		if (err)
			return err;
	}
	fs->dirty_marked = true;
	return FAT_OK;
}

/* FAT scans read this many bytes at once: a multiple of 3 (two FAT12 entries) and of 4. */
#define SCAN_BYTES 4092u

static uint32_t scan_entries(const struct fat_fs *fs)
{
	return fs->type == FAT_TYPE_12 ? SCAN_BYTES / 3 * 2 : SCAN_BYTES / ((uint32_t)fs->type / 8);
}

/* Reads the piece of the active FAT that holds entry `c` into the bounce buffer: *base is
 * its first entry. Entries up to cluster_count + 1 lie inside the FAT (the mount checked). */
static int scan_load(struct fat_fs *fs, uint32_t c, uint32_t *base)
{
	uint32_t per = scan_entries(fs);
	uint64_t start = (uint64_t)(c / per) * SCAN_BYTES;
	uint64_t fat_bytes = (uint64_t)fs->fat_sectors * fs->bytes_per_sector;

	*base = c / per * per;
	return dev_read(fs, fat_copy_start(fs, fs->active_fat) + start, fs->bounce,
	                start + SCAN_BYTES <= fat_bytes ? SCAN_BYTES : (size_t)(fat_bytes - start));
}

/* Entry `i` of the piece scan_load read. */
static uint32_t scan_get(const struct fat_fs *fs, uint32_t i)
{
	switch (fs->type) {
	case FAT_TYPE_12: {
		uint32_t v = le16(fs->bounce + i + i / 2);
		return (i & 1) ? v >> 4 : v & 0xfff;
	}
	case FAT_TYPE_16:
		return le16(fs->bounce + 2 * i);
	default:
		return le32(fs->bounce + 4 * i) & 0x0fffffff;
	}
}

static int count_free(struct fat_fs *fs)
{
	uint32_t n = 0, base = 0, per = scan_entries(fs);

	if (fs->free_known)
		return FAT_OK;
	for (uint32_t c = 2; c <= fs->cluster_count + 1; c++) {
		if (c == 2 || c - base >= per) {
			int err = scan_load(fs, c, &base);
			if (err)
				return err;
		}
		if (scan_get(fs, c - base) == 0)
			n++;
	}
	fs->free_count = n;
	fs->free_known = true;
	return FAT_OK;
}

/* The first free cluster from `start` on (wrapping round): FAT_OK, or FAT_E_NOSPC. */
static int find_free(struct fat_fs *fs, uint32_t start, uint32_t *out)
{
	uint32_t c = cluster_valid(fs, start) ? start : 2, base = 0, per = scan_entries(fs);
	bool loaded = false;

	for (uint32_t i = 0; i < fs->cluster_count; i++) {
		if (!loaded || c < base || c - base >= per) {
			int err = scan_load(fs, c, &base);
			if (err)
				return err;
			loaded = true;
		}
		if (scan_get(fs, c - base) == 0) {
			*out = c;
			return FAT_OK;
		}
		c = c == fs->cluster_count + 1 ? 2 : c + 1;
	}
	return FAT_E_NOSPC;
}

int fat_free_clusters(struct fat_fs *fs, uint32_t *count)
{
	if (fs == NULL || count == NULL)
		return FAT_E_INVAL;
	int err = count_free(fs);
	if (err)
		return err;
	*count = fs->free_count;
	return FAT_OK;
}

/* Takes a free cluster (from the next-free hint on) and ends a chain there. */
static int alloc_cluster(struct fat_fs *fs, uint32_t *out)
{
	uint32_t c;
	int err = count_free(fs);

	if (err)
		return err;
	if (fs->free_count == 0)
		return FAT_E_NOSPC;
	err = find_free(fs, fs->next_free, &c);
	if (err == FAT_E_NOSPC)
		fs->free_count = 0; /* the count was wrong: there is none */
	if (!err)
		err = fat_set(fs, c, eoc_value(fs));
	if (err)
		return err;
	fs->free_count--;
	fs->next_free = c == fs->cluster_count + 1 ? 2 : c + 1;
	*out = c;
	return FAT_OK;
}

/*
 * Frees the chain from `first` on. Bounded by the cluster count; a free, reserved or
 * out-of-range link stops it with FAT_E_IO (callers check chains before they free them).
 */
static int free_chain(struct fat_fs *fs, uint32_t first)
{
	uint32_t c = first, v;

	for (uint32_t i = 0; i < fs->cluster_count; i++) {
		if (!cluster_valid(fs, c))
			return FAT_E_IO;
		int err = fat_entry(fs, c, &v);
		if (err)
			return err;
		if (v == 0)
			return FAT_E_IO;
		err = fat_set(fs, c, 0);
		if (err)
			return err;
		if (fs->free_known)
			fs->free_count++;
		if (v >= eoc_min(fs))
			return FAT_OK;
		c = v;
	}
	return FAT_E_IO;
}

/*
 * Allocates a chain of `n` clusters that nothing refers to yet (allocate before linking):
 * *first, *last and *got. FAT_E_NOSPC with *got < n when the volume ran out (the clusters
 * got are kept for the caller to use or free); on another error nothing is kept.
 */
static int alloc_chain(struct fat_fs *fs, uint32_t n, uint32_t *first, uint32_t *last,
                       uint32_t *got)
{
	uint32_t prev = 0, c;
	int err = FAT_OK;

	*got = 0;
	*first = *last = 0;
	while (*got < n) {
		err = alloc_cluster(fs, &c);
		if (err)
			break;
		if (prev != 0 && (err = fat_set(fs, prev, c)) != 0) {
			(void)free_chain(fs, c);
			break;
		}
		if (prev == 0)
			*first = c;
		prev = *last = c;
		(*got)++;
	}
	if (err && err != FAT_E_NOSPC && *got > 0) {
		(void)free_chain(fs, *first);
		*got = 0;
	}
	return err;
}

/*
 * Checks that a file's chain covers its size exactly (the last cluster ends the chain) and
 * gives that last cluster (0 for an empty file, which must have no cluster).
 */
static int file_chain_check(struct fat_file *file, uint32_t *last)
{
	struct fat_fs *fs = file->fs;
	uint32_t have =
	    (uint32_t)(((uint64_t)file->node.size + fs->cluster_size - 1) / fs->cluster_size);
	uint32_t next;

	*last = 0;
	if (have == 0)
		return file->node.first_cluster == 0 ? FAT_OK : FAT_E_IO;
	int err = cursor_seek(fs, &file->cursor, have - 1);
	if (err)
		return err;
	if (fat_next(fs, file->cursor.cluster, &next) != 0)
		return FAT_E_IO;
	*last = file->cursor.cluster;
	return FAT_OK;
}

/* Walks a directory's whole chain (bounded, loops found): FAT_OK or FAT_E_IO. */
static int dir_chain_check(struct fat_fs *fs, uint32_t first)
{
	struct fat_cursor cur;

	if (!cluster_valid(fs, first))
		return FAT_E_IO;
	cursor_init(&cur, first);
	for (;;) {
		int r = cursor_step(fs, &cur);
		if (r <= 0)
			return r;
	}
}

void fat_time_from_unix(int64_t t, uint16_t *date, uint16_t *time)
{
	static const uint8_t mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const int64_t fat_epoch = 315532800; /* 1980-01-01 00:00:00 UTC */
	const int64_t fat_end = 4354819199;  /* 2107-12-31 23:59:59 UTC */

	if (t < fat_epoch)
		t = fat_epoch;
	if (t > fat_end)
		t = fat_end;
	int64_t days = (t - fat_epoch) / 86400, secs = (t - fat_epoch) % 86400;
	unsigned year = 1980, month = 0;
	for (;;) {
		unsigned ylen = (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 366 : 365;
		if (days < ylen)
			break;
		days -= ylen;
		year++;
	}
	bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
	for (;;) {
		unsigned mlen = mdays[month] + (month == 1 && leap ? 1 : 0);
		if (days < mlen)
			break;
		days -= mlen;
		month++;
	}
	*date = (uint16_t)(((year - 1980) << 9) | ((month + 1) << 5) | (unsigned)(days + 1));
	*time = (uint16_t)(((secs / 3600) << 11) | (((secs / 60) % 60) << 5) | ((secs % 60) / 2));
}

int64_t fat_time_to_unix(uint16_t date, uint16_t time)
{
	static const uint16_t before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
	unsigned year = 1980 + (date >> 9), month = (date >> 5) & 15, day = date & 31;
	int64_t days = 0;

	/* Out-of-range fields (a corrupt entry) are clamped, never trusted as indexes. */
	if (month < 1)
		month = 1;
	if (month > 12)
		month = 12;
	if (day < 1)
		day = 1;
	for (unsigned y = 1970; y < year; y++)
		days += (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 366 : 365;
	days += before[month - 1] + day - 1;
	if (month > 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		days++;
	return days * 86400 + (int64_t)(time >> 11) * 3600 + ((time >> 5) & 63) * 60 +
	       (time & 31) * 2;
}

/* Stamps the node's write time (and access date), and its creation time when `create`. */
static void stamp(struct fat_fs *fs, struct fat_node *node, bool create)
{
	uint16_t d, t;

	fat_time_from_unix(fs->dev.now != NULL ? fs->dev.now(fs->dev.ctx) : 0, &d, &t);
	node->write_date = node->access_date = d;
	node->write_time = t;
	if (create) {
		node->create_date = d;
		node->create_time = t;
	}
}

/* Opens the directory whose first cluster is `first` (0: the root). */
static int dir_open_cluster(struct fat_fs *fs, uint32_t first, struct fat_dir *dir)
{
	struct fat_node n = {.first_cluster = first, .attr = FAT_ATTR_DIRECTORY};

	return fat_dir_open(fs, &n, dir);
}

/* Fills the fields of an 8.3 entry that a node holds. */
static void entry_fill(const struct fat_fs *fs, const struct fat_node *node, uint8_t e[32])
{
	e[11] = node->attr;
	put16(e + 14, node->create_time);
	put16(e + 16, node->create_date);
	put16(e + 18, node->access_date);
	put16(e + 20, fs->type == FAT_TYPE_32 ? node->first_cluster >> 16 : 0);
	put16(e + 22, node->write_time);
	put16(e + 24, node->write_date);
	put16(e + 26, node->first_cluster & 0xffff);
	put32(e + 28, node->size);
}

/* Writes the node's fields into its 8.3 entry (the root has none), which must be in use. */
static int entry_store(struct fat_fs *fs, const struct fat_node *node)
{
	struct fat_dir dir;
	uint8_t e[32];
	uint64_t off;

	if (node->dir_index == UINT32_MAX)
		return FAT_OK;
	int err = dir_open_cluster(fs, node->dir_cluster, &dir);
	if (err)
		return err;
	int r = dir_locate(&dir, node->dir_index, &off);
	if (r <= 0)
		return r == 0 ? FAT_E_IO : r;
	err = dev_read(fs, off, e, 32);
	if (err)
		return err;
	if (e[0] == 0x00 || e[0] == 0xe5 || (e[11] & 0x3f) == FAT_ATTR_LFN)
		return FAT_E_IO;
	entry_fill(fs, node, e);
	return dev_write(fs, off, e, 32);
}

/* Marks entries first..last of a directory deleted (a long name and its 8.3 entry). */
static int entries_delete(struct fat_fs *fs, uint32_t dir_first, uint32_t first, uint32_t last)
{
	struct fat_dir dir;
	static const uint8_t deleted = 0xe5;
	uint64_t off;
	int err = dir_open_cluster(fs, dir_first, &dir);

	for (uint32_t i = first; !err && i <= last; i++) {
		int r = dir_locate(&dir, i, &off);
		err = r < 0 ? r : r == 0 ? FAT_E_IO : dev_write(fs, off, &deleted, 1);
	}
	return err;
}

/*
 * A name FAT can hold, as UTF-16 units: valid UTF-8, 1..255 units, no control character or
 * "*\/:<>?\\|, not ending in '.' or ' ' (which Windows would strip: refused here, so a
 * name is stored exactly as given). FAT_E_INVAL or FAT_E_NAMETOOLONG otherwise.
 */
static int name_to_ucs2(const char *name, size_t len, uint16_t u[255], unsigned *units)
{
	const uint8_t *p = (const uint8_t *)name;
	unsigned n = 0;

	if (len == 0 || p[len - 1] == '.' || p[len - 1] == ' ')
		return FAT_E_INVAL;
	if (len > FAT_NAME_MAX)
		return FAT_E_NAMETOOLONG;
	for (size_t i = 0; i < len;) {
		uint32_t cp = p[i], min;
		unsigned extra;

		if (cp < 0x80) {
			if (cp < 0x20 || cp == 0x7f || strchr("\"*/:<>?\\|", (int)cp) != NULL)
				return FAT_E_INVAL;
			extra = 0;
			min = 0;
		} else if (cp >= 0xc2 && cp <= 0xdf) {
			cp &= 0x1f, extra = 1, min = 0x80;
		} else if (cp >= 0xe0 && cp <= 0xef) {
			cp &= 0x0f, extra = 2, min = 0x800;
		} else if (cp >= 0xf0 && cp <= 0xf4) {
			cp &= 0x07, extra = 3, min = 0x10000;
		} else {
			return FAT_E_INVAL;
		}
		if (len - i - 1 < extra)
			return FAT_E_INVAL;
		for (unsigned k = 1; k <= extra; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return FAT_E_INVAL;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return FAT_E_INVAL; /* overlong, too large, or an encoded surrogate */
		i += 1 + extra;
		if (n + (cp >= 0x10000 ? 2u : 1u) > 255)
			return FAT_E_NAMETOOLONG;
		if (cp >= 0x10000) {
			u[n++] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
			u[n++] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
		} else {
			u[n++] = (uint16_t)cp;
		}
	}
	*units = n;
	return FAT_OK;
}

/* Characters an 8.3 name may hold (besides bytes of the OEM code page, never made here). */
static bool short_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("$%'-_@~`!(){}^#&", c) != NULL);
}

static uint8_t upper(uint8_t c)
{
	return c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c;
}

/*
 * A name that is an 8.3 name already ("README", "lower.c"; each part in one case): its
 * 11 bytes and the NT lower-case flags (0x08 base, 0x10 extension). False if it needs a
 * long name.
 */
static bool fits_83(const char *name, size_t len, uint8_t sn[11], uint8_t *lcase)
{
	size_t dot = len;
	bool lower[2] = {false, false}, up[2] = {false, false};

	for (size_t i = 0; i < len; i++)
		if (name[i] == '.')
			dot = i;
	size_t base = dot, ext = dot == len ? 0 : len - dot - 1;
	if (base == 0 || base > 8 || ext > 3)
		return false;
	memset(sn, ' ', 11);
	for (size_t i = 0; i < len; i++) {
		if (i == dot)
			continue;
		uint8_t c = (uint8_t)name[i];
		int part = i > dot;

		lower[part] |= c >= 'a' && c <= 'z';
		up[part] |= c >= 'A' && c <= 'Z';
		if (!short_char(upper(c)))
			return false;
		sn[part ? 8 + (i - dot - 1) : i] = upper(c);
	}
	if ((lower[0] && up[0]) || (lower[1] && up[1]))
		return false;
	*lcase = (uint8_t)((lower[0] ? 0x08 : 0) | (lower[1] ? 0x10 : 0));
	return true;
}

/* The 8.3 name `base`~`tail`.`ext` (no tail when 0), the base cut to make room. */
static void alias_compose(uint8_t sn[11], const uint8_t *base, size_t blen, const uint8_t *ext,
                          size_t elen, uint32_t tail)
{
	char digits[12];
	size_t d = 0;

	memset(sn, ' ', 11);
	for (uint32_t t = tail; t != 0; t /= 10)
		digits[d++] = (char)('0' + t % 10);
	size_t keep = tail == 0 ? blen : (blen < 7 - d ? blen : 7 - d);
	memcpy(sn, base, keep);
	if (tail != 0) {
		sn[keep] = '~';
		for (size_t i = 0; i < d; i++)
			sn[keep + 1 + i] = (uint8_t)digits[d - 1 - i];
	}
	memcpy(sn + 8, ext, elen);
}

/* Whether an 8.3 entry of the directory has the 11 bytes `sn`: 1 yes, 0 no, < 0 error. */
static int short_taken(struct fat_fs *fs, const struct fat_node *dirnode, const uint8_t sn[11])
{
	struct fat_dir dir;
	uint8_t e[32];
	int err = fat_dir_open(fs, dirnode, &dir);

	if (err)
		return err;
	for (uint32_t i = 0;; i++) {
		int r = dir_entry(&dir, i, e);
		if (r <= 0 || e[0] == 0)
			return r < 0 ? r : 0;
		if (e[0] != 0xe5 && (e[11] & 0x3f) != FAT_ATTR_LFN && memcmp(e, sn, 11) == 0)
			return 1;
	}
}

/*
 * The 8.3 alias of a long name, as Windows makes it: spaces and leading dots dropped, the
 * base (before the last dot) and extension upper-cased and cut to 8 and 3, characters an
 * 8.3 name cannot hold (a UTF-8 sequence counts as one) turned into '_'; then "~N" with
 * the smallest N that is free in the directory, unless nothing was lost and the basis is
 * free itself ("Makefile" -> "MAKEFILE").
 */
static int make_alias(struct fat_fs *fs, const struct fat_node *dirnode, const char *name,
                      size_t len, uint8_t sn[11])
{
	uint8_t base[8], ext[3];
	size_t blen = 0, elen = 0, start = 0, dot = len;
	bool lossy = false;
	uint8_t used[128]; /* tails 1..1023 seen in the directory */

	while (start < len && (name[start] == '.' || name[start] == ' '))
		start++, lossy = true;
	for (size_t i = start; i < len; i++)
		if (name[i] == '.')
			dot = i;
	for (size_t i = start; i < len; i++) {
		uint8_t c = (uint8_t)name[i];

		if (i == dot || c == ' ' || (c == '.') || (c & 0xc0) == 0x80) {
			lossy |= i != dot;
			continue;
		}
		c = upper(c);
		if (!short_char(c)) {
			c = '_';
			lossy = true;
		}
		if (i < dot) {
			if (blen < 8)
				base[blen++] = c;
			else
				lossy = true;
		} else if (elen < 3) {
			ext[elen++] = c;
		} else {
			lossy = true;
		}
	}
	if (blen == 0) {
		base[blen++] = '_';
		lossy = true;
	}
	if (!lossy) {
		alias_compose(sn, base, blen, ext, elen, 0);
		int r = short_taken(fs, dirnode, sn);
		if (r <= 0)
			return r;
	}
	/* One pass collects the tails in use for this basis; a slow search only past 1023. */
	struct fat_dir dir;
	uint8_t e[32], cand[11];
	int err = fat_dir_open(fs, dirnode, &dir);
	if (err)
		return err;
	memset(used, 0, sizeof(used));
	for (uint32_t i = 0;; i++) {
		int r = dir_entry(&dir, i, e);
		if (r < 0)
			return r;
		if (r == 0 || e[0] == 0)
			break;
		if (e[0] == 0xe5 || (e[11] & 0x3f) == FAT_ATTR_LFN)
			continue;
		uint32_t t = 0;
		int k = 7;
		while (k > 0 && e[k] == ' ')
			k--;
		int digits_end = k;
		while (k > 0 && e[k] >= '0' && e[k] <= '9')
			k--;
		if (e[k] != '~' || k == digits_end || digits_end - k > 4)
			continue;
		for (int j = k + 1; j <= digits_end; j++)
			t = t * 10 + (uint32_t)(e[j] - '0');
		if (t == 0 || t >= 1024)
			continue;
		alias_compose(cand, base, blen, ext, elen, t);
		if (memcmp(cand, e, 11) == 0)
			used[t / 8] |= (uint8_t)(1u << (t % 8));
	}
	for (uint32_t t = 1; t < 1024; t++) {
		if (!(used[t / 8] & (1u << (t % 8)))) {
			alias_compose(sn, base, blen, ext, elen, t);
			return FAT_OK;
		}
	}
	for (uint32_t t = 1024; t <= 999999; t++) {
		alias_compose(sn, base, blen, ext, elen, t);
		int r = short_taken(fs, dirnode, sn);
		if (r <= 0)
			return r;
	}
	return FAT_E_NOSPC;
}

/*
 * Finds `n` consecutive free entries in a directory: *start. A subdirectory that has none
 * grows by zeroed clusters (allocated and zeroed before they are linked); the fixed root
 * of FAT12/16 and a directory at FAT_DIR_MAX_ENTRIES are FAT_E_NOSPC. *end_mark is the
 * index of the end-of-directory entry (entries from there on are free; UINT32_MAX: none).
 */
static int dir_reserve(struct fat_fs *fs, const struct fat_node *dirnode, uint32_t n,
                       uint32_t *start, uint32_t *end_mark)
{
	struct fat_dir dir;
	uint8_t e[32];
	uint32_t run = 0, run_start = 0, i;
	int err = fat_dir_open(fs, dirnode, &dir);

	*end_mark = UINT32_MAX;
	if (err)
		return err;
	for (i = 0;; i++) {
		int r = dir_entry(&dir, i, e);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		if (e[0] == 0x00 && *end_mark == UINT32_MAX)
			*end_mark = i;
		if (*end_mark != UINT32_MAX || e[0] == 0xe5) {
			if (run++ == 0)
				run_start = i;
			if (run == n) {
				*start = run_start;
				return FAT_OK;
			}
		} else {
			run = 0;
		}
	}
	/* i entries, none enough: grow (the cursor stands on the last cluster). */
	if (dir.cursor.first_cluster == 0)
		return FAT_E_NOSPC;
	if (run == 0)
		run_start = i;
	uint32_t per = fs->cluster_size / 32;
	uint32_t k = (n - run + per - 1) / per;
	if ((uint64_t)i + (uint64_t)k * per > FAT_DIR_MAX_ENTRIES)
		return FAT_E_NOSPC;
	uint32_t last = dir.cursor.cluster, first, tail, got;
	err = alloc_chain(fs, k, &first, &tail, &got);
	if (err) {
		if (got > 0)
			(void)free_chain(fs, first);
		return err;
	}
	struct fat_cursor cur;
	cursor_init(&cur, first);
	for (uint32_t j = 0; !err && j < k; j++) {
		err = dev_write(fs, cluster_offset(fs, cur.cluster), NULL, fs->cluster_size);
		if (!err && j + 1 < k && cursor_step(fs, &cur) != 1)
			err = FAT_E_IO;
	}
	if (!err)
		err = fat_set(fs, last, first);
	if (err) {
		(void)free_chain(fs, first);
		return err;
	}
	if (*end_mark == UINT32_MAX)
		*end_mark = i;
	*start = run_start;
	return FAT_OK;
}

/*
 * Adds an entry for `name` to directory `dirnode` with the attributes, cluster, size and
 * times of `tmpl`: long-name entries when the name is not an 8.3 name, then the 8.3 entry.
 * The FAT changes so far reach every FAT before the entry refers to them. *node receives it.
 */
static int dir_add(struct fat_fs *fs, const struct fat_node *dirnode, const char *name, size_t len,
                   const struct fat_node *tmpl, struct fat_node *node)
{
	static const uint8_t lfn_pos[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
	uint16_t u[255];
	uint8_t sn[11], lcase = 0, e[32];
	unsigned units;
	uint32_t start, end_mark;
	struct fat_dir dir;
	uint64_t off;

	int err = name_to_ucs2(name, len, u, &units);
	if (err)
		return err;
	bool lfn = !fits_83(name, len, sn, &lcase);
	if (lfn && (err = make_alias(fs, dirnode, name, len, sn)) != 0)
		return err;
	uint32_t parts = lfn ? (units + 12) / 13 : 0;
	err = dir_reserve(fs, dirnode, parts + 1, &start, &end_mark);
	if (!err)
		err = fat_mirror(fs);
	if (!err)
		err = fat_dir_open(fs, dirnode, &dir);
	if (err)
		return err;
	uint8_t sum = lfn_checksum(sn);
	for (uint32_t j = 0; j <= parts; j++) {
		memset(e, 0, sizeof(e));
		if (j < parts) {
			unsigned seq = parts - j;

			e[0] = (uint8_t)(seq | (j == 0 ? 0x40 : 0));
			e[11] = FAT_ATTR_LFN;
			e[13] = sum;
			for (unsigned k = 0; k < 13; k++) {
				unsigned idx = (seq - 1) * 13 + k;
				put16(e + lfn_pos[k], idx < units    ? u[idx]
				                      : idx == units ? 0
				                                     : 0xffff);
			}
		} else {
			memcpy(e, sn, 11);
			entry_fill(fs, tmpl, e);
			e[12] = lcase;
		}
		int r = dir_locate(&dir, start + j, &off);
		err = r < 0 ? r : r == 0 ? FAT_E_IO : dev_write(fs, off, e, 32);
		if (err)
			return err;
	}
	/* Past the old end of the directory the entries must read as its end again. */
	uint32_t after = start + parts + 1;
	if (end_mark != UINT32_MAX && after > end_mark) {
		int r = dir_entry(&dir, after, e);
		if (r < 0)
			return r;
		if (r == 1 && e[0] != 0) {
			static const uint8_t end = 0;
			(void)dir_locate(&dir, after, &off);
			if ((err = dev_write(fs, off, &end, 1)) != 0)
				return err;
		}
	}
	*node = *tmpl;
	node->dir_cluster = dir.cursor.first_cluster;
	node->dir_index = start + parts;
	return FAT_OK;
}

/* The directory holding the last component of `path` and that component. FAT_E_BUSY for
 * the root itself (it has no name). */
static int split_path(struct fat_fs *fs, const char *path, struct fat_node *parent,
                      const char **name, size_t *len)
{
	size_t n = strlen(path);

	while (n > 0 && path[n - 1] == '/')
		n--;
	if (n == 0)
		return FAT_E_BUSY;
	size_t s = n;
	while (s > 0 && path[s - 1] != '/')
		s--;
	*name = path + s;
	*len = n - s;
	if (*len > FAT_NAME_MAX)
		return FAT_E_NAMETOOLONG;
	int err = lookup_n(fs, path, s, parent);
	if (err)
		return err;
	return (parent->attr & FAT_ATTR_DIRECTORY) ? FAT_OK : FAT_E_NOTDIR;
}

/* The entry `path` names: its parent and its dirent (FAT_E_NOENT when absent). */
static int find_entry(struct fat_fs *fs, const char *path, struct fat_node *parent,
                      struct fat_dirent *ent)
{
	const char *name;
	size_t len;
	int err = split_path(fs, path, parent, &name, &len);

	if (err)
		return err;
	int r = dir_find(fs, parent, name, len, ent);
	return r < 0 ? r : r == 0 ? FAT_E_NOENT : FAT_OK;
}

/* Checks a name before anything is allocated for it. */
static int name_check(const char *name, size_t len)
{
	uint16_t u[255];
	unsigned units;

	return name_to_ucs2(name, len, u, &units);
}

int fat_create(struct fat_fs *fs, const char *path, uint8_t attr, struct fat_node *node)
{
	struct fat_node parent, tmpl, out;
	struct fat_dirent ent;
	const char *name;
	size_t len;

	if (fs == NULL || path == NULL)
		return FAT_E_INVAL;
	int err = begin_write(fs);
	if (err)
		return err;
	err = split_path(fs, path, &parent, &name, &len);
	if (err)
		return err == FAT_E_BUSY ? FAT_E_EXIST : err;
	int r = dir_find(fs, &parent, name, len, &ent);
	if (r != 0)
		return r < 0 ? r : FAT_E_EXIST;
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.attr = (uint8_t)(FAT_ATTR_ARCHIVE | (attr & FAT_ATTR_READ_ONLY));
	stamp(fs, &tmpl, true);
	err = dir_add(fs, &parent, name, len, &tmpl, &out);
	if (!err && node != NULL)
		*node = out;
	return finish(fs, err);
}

int fat_mkdir(struct fat_fs *fs, const char *path, struct fat_node *node)
{
	struct fat_node parent, tmpl, out;
	struct fat_dirent ent;
	const char *name;
	size_t len;
	uint32_t c;
	uint8_t e[64];

	if (fs == NULL || path == NULL)
		return FAT_E_INVAL;
	int err = begin_write(fs);
	if (err)
		return err;
	err = split_path(fs, path, &parent, &name, &len);
	if (err)
		return err == FAT_E_BUSY ? FAT_E_EXIST : err;
	int r = dir_find(fs, &parent, name, len, &ent);
	if (r != 0)
		return r < 0 ? r : FAT_E_EXIST;
	if ((err = name_check(name, len)) != 0 || (err = alloc_cluster(fs, &c)) != 0)
		return finish(fs, err);
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.attr = FAT_ATTR_DIRECTORY;
	stamp(fs, &tmpl, true);
	/* The new directory's contents first: zeros, ".", ".." (0 for the root, on FAT32 too). */
	memset(e, 0, sizeof(e));
	memset(e, ' ', 11);
	e[0] = '.';
	tmpl.first_cluster = parent.first_cluster;
	entry_fill(fs, &tmpl, e + 32);
	memcpy(e + 32, "..         ", 11);
	tmpl.first_cluster = c;
	entry_fill(fs, &tmpl, e);
	err = dev_write(fs, cluster_offset(fs, c), NULL, fs->cluster_size);
	if (!err)
		err = dev_write(fs, cluster_offset(fs, c), e, sizeof(e));
	if (!err)
		err = dir_add(fs, &parent, name, len, &tmpl, &out);
	if (err)
		(void)free_chain(fs, c);
	else if (node != NULL)
		*node = out;
	return finish(fs, err);
}

/* Stores the entry (with the node's size), then ends the chain after `keep` clusters and
 * frees the rest: the order of a shrink (docs/fat.md). */
static int cut_chain(struct fat_file *file, uint32_t keep)
{
	struct fat_fs *fs = file->fs;
	struct fat_node *node = &file->node;
	uint32_t first = node->first_cluster, next = 0;
	int err, more = 0;

	if (first == 0)
		return entry_store(fs, node);
	if (keep == 0) {
		node->first_cluster = 0;
		err = entry_store(fs, node);
		if (!err)
			err = free_chain(fs, first);
	} else {
		err = cursor_seek(fs, &file->cursor, keep - 1);
		if (!err && (more = fat_next(fs, file->cursor.cluster, &next)) < 0)
			err = more;
		if (!err)
			err = entry_store(fs, node);
		if (!err && more == 1)
			err = fat_set(fs, file->cursor.cluster, eoc_value(fs));
		if (!err && more == 1)
			err = free_chain(fs, next);
	}
	cursor_init(&file->cursor, node->first_cluster);
	file->tail_checked = false;
	return err;
}

/* After a failed write: the size as it was, the chain cut back to it (above). */
static void shrink_back(struct fat_file *file, uint64_t size)
{
	uint64_t cs = file->fs->cluster_size;

	file->node.size = (uint32_t)size;
	stamp(file->fs, &file->node, false);
	(void)cut_chain(file, (uint32_t)((size + cs - 1) / cs));
}

/*
 * Writes [offset, offset + len) of a file (zeros when buf is NULL), allocating what the
 * chain lacks: allocate, link (FATs mirrored), data, then the entry's size and times.
 * *done is the count written: short when the volume filled up; FAT_E_NOSPC, and nothing
 * changed, when not one byte fit.
 */
static int file_put(struct fat_file *file, uint64_t offset, const uint8_t *buf, uint64_t len,
                    uint64_t *done)
{
	struct fat_fs *fs = file->fs;
	struct fat_node *node = &file->node;
	uint64_t cs = fs->cluster_size, size = node->size, end = offset + len;
	uint64_t want_end = end > size ? end : size;
	uint32_t have = (uint32_t)((size + cs - 1) / cs),
	         want = (uint32_t)((want_end + cs - 1) / cs);
	uint32_t last, first_new, tail, got;
	int err;

	*done = 0;
	if ((err = file_chain_check(file, &last)) != 0)
		return err;
	if (want > have) {
		err = alloc_chain(fs, want - have, &first_new, &tail, &got);
		if (err && err != FAT_E_NOSPC)
			return err;
		uint64_t cap = (uint64_t)(have + got) * cs;
		if (cap < want_end) {
			if (cap <= offset) {
				if (got > 0)
					(void)free_chain(fs, first_new);
				return FAT_E_NOSPC;
			}
			end = cap;
		}
		if (have > 0)
			err = fat_set(fs, last, first_new);
		else
			node->first_cluster = first_new;
		if (!err)
			err = fat_mirror(fs);
		if (err)
			return err;
		if (have == 0)
			cursor_init(&file->cursor, first_new);
	}
	file->tail_checked = false;
	/* The data: zeros over a gap past the old end, then the bytes. */
	uint64_t pos = size < offset ? size : offset;
	while (pos < end) {
		uint32_t ci = (uint32_t)(pos / cs), in = (uint32_t)(pos % cs);
		uint64_t n = cs - in;
		const uint8_t *src = pos < offset  ? NULL
		                     : buf == NULL ? NULL
		                                   : buf + (pos - offset);

		if (n > (pos < offset ? offset : end) - pos)
			n = (pos < offset ? offset : end) - pos;
		if ((err = cursor_seek(fs, &file->cursor, ci)) != 0 ||
		    (err = dev_write(fs, cluster_offset(fs, file->cursor.cluster) + in, src,
		                     (size_t)n)) != 0)
			break;
		pos += n;
	}
	if (!err) {
		if (end > size)
			node->size = (uint32_t)end;
		stamp(fs, node, false);
		err = entry_store(fs, node);
	}
	if (err) {
		/* A failed write never grows the file: a failed request (one a driver restart
		 * cut short, say) may or may not have reached the disk, and which of the call's
		 * bytes did is unknown (the last partial block waits in the one-block cache and
		 * goes out with the entry). So the size stays what it was and the chain is cut
		 * back to it (entry first, then the chain's end, then the rest freed: the
		 * shrinking order); bytes below the old size may or may not have changed, as
		 * with any failed write. Once the device works again the volume is as
		 * consistent as after any call; if these writes fail too, what is left is what
		 * docs/fat.md lists for a crash (lost clusters, a chain longer than its file). */
		shrink_back(file, size);
		return err;
	}
	*done = end - offset;
	return FAT_OK;
}

long fat_file_write(struct fat_file *file, uint64_t offset, const void *buf, size_t len)
{
	uint64_t done;

	if (file == NULL || (buf == NULL && len > 0))
		return FAT_E_INVAL;
	if (file->node.attr & FAT_ATTR_DIRECTORY)
		return FAT_E_ISDIR;
	int err = begin_write(file->fs);
	if (err)
		return err;
	if (len == 0)
		return 0;
	if (offset >= FAT_FILE_MAX)
		return FAT_E_FBIG;
	if (len > FAT_FILE_MAX - offset)
		len = (size_t)(FAT_FILE_MAX - offset);
	uint64_t old_size = file->node.size;
	err = finish(file->fs, file_put(file, offset, buf, len, &done));
	if (err && file->node.size != old_size) {
		/* The data and the entry were written, but the entry waited in the one-block
		 * cache (or the FATs' copies were due) and that last write failed: the file
		 * must not claim more than is known to be on the disk (file_put's rule). */
		shrink_back(file, old_size);
		(void)finish(file->fs, 0);
	}
	return err ? err : (long)done;
}

int fat_file_truncate(struct fat_file *file, uint64_t size)
{
	uint32_t last, next;

	if (file == NULL)
		return FAT_E_INVAL;
	struct fat_fs *fs = file->fs;
	struct fat_node *node = &file->node;
	if (node->attr & FAT_ATTR_DIRECTORY)
		return FAT_E_ISDIR;
	int err = begin_write(fs);
	if (err)
		return err;
	if (size > FAT_FILE_MAX)
		return FAT_E_FBIG;
	uint64_t cs = fs->cluster_size, old = node->size;
	uint32_t have = (uint32_t)((old + cs - 1) / cs), keep = (uint32_t)((size + cs - 1) / cs);
	if (size > old) {
		/* Growing fails whole or not at all: the clusters are counted first. */
		uint64_t done;
		if ((err = count_free(fs)) != 0)
			return err;
		if (keep - have > fs->free_count)
			return FAT_E_NOSPC;
		err = file_put(file, old, NULL, size - old, &done);
		if (!err && done != size - old)
			err = FAT_E_NOSPC;
		return finish(fs, err);
	}
	if ((err = file_chain_check(file, &last)) != 0)
		return err;
	uint32_t first = node->first_cluster;
	/* Shrinking: the entry's smaller size first, then the chain is cut and the rest freed,
	 * so a crash in between leaves only lost clusters. */
	node->size = (uint32_t)size;
	stamp(fs, node, false);
	if (keep == have) {
		return finish(fs, entry_store(fs, node));
	} else if (keep == 0) {
		node->first_cluster = 0;
		err = entry_store(fs, node);
		if (!err)
			err = free_chain(fs, first);
	} else {
		err = cursor_seek(fs, &file->cursor, keep - 1);
		if (!err && fat_next(fs, file->cursor.cluster, &next) != 1)
			err = FAT_E_IO;
		if (!err)
			err = entry_store(fs, node);
		if (!err)
			err = fat_set(fs, file->cursor.cluster, eoc_value(fs));
		if (!err)
			err = free_chain(fs, next);
	}
	cursor_init(&file->cursor, node->first_cluster);
	file->tail_checked = false;
	return finish(fs, err);
}

int fat_unlink(struct fat_fs *fs, const char *path)
{
	struct fat_node parent;
	struct fat_dirent ent;
	struct fat_file file;
	uint32_t last;

	if (fs == NULL || path == NULL)
		return FAT_E_INVAL;
	int err = begin_write(fs);
	if (err)
		return err;
	err = find_entry(fs, path, &parent, &ent);
	if (err)
		return err == FAT_E_BUSY ? FAT_E_ISDIR : err;
	if (ent.node.attr & FAT_ATTR_DIRECTORY)
		return FAT_E_ISDIR;
	/* The chain must be the file's own and whole before any of it is freed. */
	if ((err = fat_file_open(fs, &ent.node, &file)) != 0 ||
	    (err = file_chain_check(&file, &last)) != 0)
		return err;
	err = entries_delete(fs, ent.node.dir_cluster, ent.first_index, ent.node.dir_index);
	if (!err && ent.node.first_cluster != 0)
		err = free_chain(fs, ent.node.first_cluster);
	return finish(fs, err);
}

/* Whether a directory holds anything but ".", ".." and deleted entries: 1, 0, or < 0. */
static int dir_has_entries(struct fat_fs *fs, const struct fat_node *dirnode)
{
	struct fat_dir dir;
	struct fat_dirent ent;
	int err = fat_dir_open(fs, dirnode, &dir);

	if (err)
		return err;
	for (;;) {
		int r = fat_dir_next(&dir, &ent);
		if (r <= 0)
			return r;
		if (strcmp(ent.name, ".") != 0 && strcmp(ent.name, "..") != 0)
			return 1;
	}
}

int fat_rmdir(struct fat_fs *fs, const char *path)
{
	struct fat_node parent;
	struct fat_dirent ent;

	if (fs == NULL || path == NULL)
		return FAT_E_INVAL;
	int err = begin_write(fs);
	if (err)
		return err;
	if ((err = find_entry(fs, path, &parent, &ent)) != 0)
		return err;
	if (!(ent.node.attr & FAT_ATTR_DIRECTORY))
		return FAT_E_NOTDIR;
	if (ent.node.first_cluster == 0 || !strcmp(ent.name, ".") || !strcmp(ent.name, ".."))
		return FAT_E_INVAL;
	int r = dir_has_entries(fs, &ent.node);
	if (r != 0)
		return r < 0 ? r : FAT_E_NOTEMPTY;
	if ((err = dir_chain_check(fs, ent.node.first_cluster)) != 0)
		return err;
	err = entries_delete(fs, ent.node.dir_cluster, ent.first_index, ent.node.dir_index);
	if (!err)
		err = free_chain(fs, ent.node.first_cluster);
	return finish(fs, err);
}

/* Whether the directory `cluster` is one of those the first `plen` bytes of `path` pass
 * through (the last included): 1, 0, or < 0. */
static int path_passes(struct fat_fs *fs, const char *path, size_t plen, uint32_t cluster)
{
	for (size_t n = 0; n <= plen; n++) {
		if (n < plen && path[n] != '/')
			continue;
		struct fat_node node;
		int err = lookup_n(fs, path, n, &node);
		if (err)
			return err;
		if (node.first_cluster == cluster)
			return 1;
	}
	return 0;
}

int fat_rename(struct fat_fs *fs, const char *from, const char *to, struct fat_node *moved)
{
	struct fat_node fparent, tparent, out;
	struct fat_dirent fent, tent;
	const char *tname;
	size_t tlen;
	uint8_t dotdot[32];
	uint64_t dotdot_off = 0;

	if (fs == NULL || from == NULL || to == NULL)
		return FAT_E_INVAL;
	int err = begin_write(fs);
	if (err)
		return err;
	/* Decode: every check before the first change. */
	if ((err = find_entry(fs, from, &fparent, &fent)) != 0 ||
	    (err = split_path(fs, to, &tparent, &tname, &tlen)) != 0 ||
	    (err = name_check(tname, tlen)) != 0)
		return err;
	bool is_dir = (fent.node.attr & FAT_ATTR_DIRECTORY) != 0;
	if (is_dir &&
	    (fent.node.first_cluster == 0 || !strcmp(fent.name, ".") || !strcmp(fent.name, "..")))
		return FAT_E_INVAL;
	int r = dir_find(fs, &tparent, tname, tlen, &tent);
	if (r < 0)
		return r;
	bool replace = r == 1;
	if (replace && tent.node.dir_cluster == fent.node.dir_cluster &&
	    tent.node.dir_index == fent.node.dir_index) {
		/* The same entry: nothing to do, unless the name's case changes. */
		if (strlen(fent.name) == tlen && memcmp(fent.name, tname, tlen) == 0) {
			if (moved != NULL)
				*moved = fent.node;
			return FAT_OK;
		}
		replace = false;
	}
	if (is_dir) {
		size_t tparent_len = (size_t)(tname - to);
		r = path_passes(fs, to, tparent_len, fent.node.first_cluster);
		if (r != 0)
			return r < 0 ? r : FAT_E_INVAL;
		/* Its ".." must be there to be pointed at the new parent. */
		struct fat_dir d;
		if ((err = dir_chain_check(fs, fent.node.first_cluster)) != 0 ||
		    (err = dir_open_cluster(fs, fent.node.first_cluster, &d)) != 0)
			return err;
		r = dir_locate(&d, 1, &dotdot_off);
		if (r <= 0 || (err = dev_read(fs, dotdot_off, dotdot, 32)) != 0)
			return r < 0 ? r : err ? err : FAT_E_IO;
		if (memcmp(dotdot, "..         ", 11) != 0 || !(dotdot[11] & FAT_ATTR_DIRECTORY))
			return FAT_E_IO;
	}
	if (replace) {
		bool tdir = (tent.node.attr & FAT_ATTR_DIRECTORY) != 0;
		if (is_dir && !tdir)
			return FAT_E_NOTDIR;
		if (!is_dir && tdir)
			return FAT_E_ISDIR;
		if (tdir) {
			if (tent.node.first_cluster == 0)
				return FAT_E_INVAL;
			r = dir_has_entries(fs, &tent.node);
			if (r != 0)
				return r < 0 ? r : FAT_E_NOTEMPTY;
			err = dir_chain_check(fs, tent.node.first_cluster);
		} else {
			struct fat_file f;
			uint32_t last;
			err = fat_file_open(fs, &tent.node, &f);
			if (!err)
				err = file_chain_check(&f, &last);
		}
		if (err)
			return err;
	}
	/* Perform: the new entry, then the old ones go, then what was replaced is freed. */
	err = dir_add(fs, &tparent, tname, tlen, &fent.node, &out);
	if (!err && replace)
		err = entries_delete(fs, tent.node.dir_cluster, tent.first_index,
		                     tent.node.dir_index);
	if (!err) {
		/* The old entries may have moved in the cache's view: locate them afresh. */
		err = entries_delete(fs, fent.node.dir_cluster, fent.first_index,
		                     fent.node.dir_index);
	}
	if (!err && is_dir && tparent.first_cluster != fparent.first_cluster) {
		put16(dotdot + 26, tparent.first_cluster & 0xffff);
		put16(dotdot + 20, fs->type == FAT_TYPE_32 ? tparent.first_cluster >> 16 : 0);
		err = dev_write(fs, dotdot_off, dotdot, 32);
	}
	if (!err && replace && tent.node.first_cluster != 0)
		err = free_chain(fs, tent.node.first_cluster);
	if (!err && moved != NULL)
		*moved = out;
	return finish(fs, err);
}

int fat_set_attr(struct fat_fs *fs, struct fat_node *node, uint8_t attr)
{
	const uint8_t settable =
	    FAT_ATTR_READ_ONLY | FAT_ATTR_HIDDEN | FAT_ATTR_SYSTEM | FAT_ATTR_ARCHIVE;

	if (fs == NULL || node == NULL || node->dir_index == UINT32_MAX || (attr & ~settable))
		return FAT_E_INVAL;
	int err = begin_write(fs);
	if (err)
		return err;
	struct fat_node n = *node;
	n.attr = (uint8_t)((n.attr & ~settable) | attr);
	err = finish(fs, entry_store(fs, &n));
	if (!err)
		*node = n;
	return err;
}

int fat_set_times(struct fat_fs *fs, struct fat_node *node, const int64_t *mtime,
                  const int64_t *atime)
{
	uint16_t t;

	if (fs == NULL || node == NULL || node->dir_index == UINT32_MAX)
		return FAT_E_INVAL;
	int err = begin_write(fs);
	if (err)
		return err;
	struct fat_node n = *node;
	if (mtime != NULL)
		fat_time_from_unix(*mtime, &n.write_date, &n.write_time);
	if (atime != NULL)
		fat_time_from_unix(*atime, &n.access_date, &t);
	err = finish(fs, entry_store(fs, &n));
	if (!err)
		*node = n;
	return err;
}

int fat_sync(struct fat_fs *fs)
{
	int err;

	if (fs == NULL)
		return FAT_E_INVAL;
	if (fs->dev.write == NULL)
		return FAT_OK;
	if ((err = finish(fs, FAT_OK)) != 0)
		return err;
	if (fs->dirty_marked) {
		/* FSInfo (only one that was valid: a bad one may not be FSInfo at all). */
		if (fs->type == FAT_TYPE_32 && fs->fsinfo_valid) {
			uint8_t fi[8];
			uint32_t hint = 0xffffffff;

			if ((err = count_free(fs)) != 0)
				return err;
			err = fs->free_count > 0 ? find_free(fs, fs->next_free, &hint) : FAT_OK;
			if (err && err != FAT_E_NOSPC)
				return err;
			put32(fi, fs->free_count);
			put32(fi + 4, hint);
			err = dev_write(fs, sector_offset(fs, fs->fsinfo_sector) + 488, fi, 8);
			if ((err = finish(fs, err)) != 0)
				return err;
		}
		/* Everything else is stable before the clean bit says so. */
		if (fs->dev.flush != NULL && fs->dev.flush(fs->dev.ctx) != 0)
			return FAT_E_IO;
		if (fs->clean && fs->type != FAT_TYPE_12) {
			uint32_t v;
			err = fat_entry(fs, 1, &v);
			if (!err)
				err = fat_set(
				    fs, 1, v | (fs->type == FAT_TYPE_16 ? 0x8000u : 0x08000000u));
			if ((err = finish(fs, err)) != 0)
				return err;
		}
		fs->dirty_marked = false;
	}
	if (fs->dev.flush != NULL && fs->dev.flush(fs->dev.ctx) != 0)
		return FAT_E_IO;
	return FAT_OK;
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
	case FAT_E_NOSPC:
		return "no space left on device";
	case FAT_E_EXIST:
		return "file exists";
	case FAT_E_NOTEMPTY:
		return "directory not empty";
	case FAT_E_ROFS:
		return "read-only file system";
	case FAT_E_BUSY:
		return "device or resource busy";
	case FAT_E_FBIG:
		return "file too large";
	}
	return "unknown error";
}
