/*
 * fuzz_fat: libFuzzer harness for the FAT library (components/services/fat). The input is
 * the start of a disk image; the device behind it is 64 MiB, zeros past the input, so small
 * seeds can describe whole FAT16/FAT32 volumes. The block size (512 to 4096) comes from the
 * input's length. It mounts, then walks every directory (bounded depth) and reads every file
 * at a few offsets; ASan/UBSan and libFuzzer's timeout catch crashes, bad reads and hangs.
 * Then it writes: creates, writes, appends, truncates, renames, makes and removes
 * directories and unlinks, on the image's own files too. Writes land in an overlay of up
 * to OVERLAY_BLOCKS blocks (more fail as I/O errors); a write that changes a byte outside
 * the volume's own area (FSInfo, FATs, root directory, clusters) aborts.
 */
#include "fat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEVICE_BYTES (64u << 20)

struct image {
	const uint8_t *data;
	size_t size;
	uint32_t block_size;
};

#define OVERLAY_BLOCKS 96

/* Blocks written in this run: the input itself is read-only. */
static struct {
	unsigned count;
	uint64_t block[OVERLAY_BLOCKS];
	uint8_t data[OVERLAY_BLOCKS][FAT_MAX_BLOCK];
} overlay;

static struct fat_fs fs;

static uint8_t *overlay_find(uint64_t block)
{
	for (unsigned i = 0; i < overlay.count; i++)
		if (overlay.block[i] == block)
			return overlay.data[i];
	return NULL;
}

static void read_one(const struct image *img, uint64_t block, uint8_t *buf)
{
	uint64_t off = block * img->block_size;
	const uint8_t *o = overlay_find(block);

	if (o != NULL) {
		memcpy(buf, o, img->block_size);
		return;
	}
	memset(buf, 0, img->block_size);
	if (off < img->size)
		memcpy(buf, img->data + off,
		       (size_t)(img->size - off < img->block_size ? img->size - off
		                                                  : img->block_size));
}

static int read_blocks(void *ctx, uint64_t block, uint32_t count, void *buf)
{
	const struct image *img = ctx;
	uint64_t off = block * img->block_size;
	uint64_t len = (uint64_t)count * img->block_size;

	/* The library must never ask for a block outside the device. */
	if (off >= DEVICE_BYTES || len > DEVICE_BYTES - off)
		abort();
	for (uint32_t i = 0; i < count; i++)
		read_one(img, block + i, (uint8_t *)buf + (size_t)i * img->block_size);
	return 0;
}

/* Whether device byte `b` lies in an area the mounted volume may write (a sector's bytes
 * all share its answer). */
static int writable(uint64_t b)
{
	uint64_t sector = b / fs.bytes_per_sector;

	if (fs.fsinfo_valid && sector == fs.fsinfo_sector)
		return 1;
	return sector >= fs.reserved_sectors && sector < fs.total_sectors;
}

static int write_blocks(void *ctx, uint64_t block, uint32_t count, const void *buf)
{
	const struct image *img = ctx;
	static uint8_t old[FAT_MAX_BLOCK];
	uint64_t off = block * img->block_size;

	if (off >= DEVICE_BYTES || (uint64_t)count * img->block_size > DEVICE_BYTES - off)
		abort();
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *in = (const uint8_t *)buf + (size_t)i * img->block_size;
		uint8_t *o = overlay_find(block + i);

		uint32_t unit =
		    img->block_size < fs.bytes_per_sector ? img->block_size : fs.bytes_per_sector;
		read_one(img, block + i, old);
		for (uint32_t k = 0; k < img->block_size; k += unit)
			if (!writable(off + (uint64_t)i * img->block_size + k) &&
			    memcmp(old + k, in + k, unit) != 0)
				abort(); /* a write outside the volume's own area */
		if (o == NULL) {
			if (overlay.count == OVERLAY_BLOCKS)
				return -1; /* the overlay is full: an I/O error, which must be
				              handled */
			overlay.block[overlay.count] = block + i;
			o = overlay.data[overlay.count++];
		}
		memcpy(o, in, img->block_size);
	}
	return 0;
}

static uint8_t buf[70000];

static void walk(struct fat_fs *fs, const struct fat_node *node, int depth)
{
	struct fat_dir dir;
	struct fat_dirent ent;
	int entries = 0;

	if (depth > 6 || fat_dir_open(fs, node, &dir) != FAT_OK)
		return;
	while (entries++ < 2000 && fat_dir_next(&dir, &ent) == 1) {
		if (!strcmp(ent.name, ".") || !strcmp(ent.name, ".."))
			continue;
		if (ent.node.attr & FAT_ATTR_DIRECTORY) {
			walk(fs, &ent.node, depth + 1);
			continue;
		}
		struct fat_file file;
		if (fat_file_open(fs, &ent.node, &file) != FAT_OK)
			continue;
		/* Bounded: the first 256 KiB in odd-sized pieces, then near the end, then back. */
		for (uint64_t off = 0; off < (256u << 10); off += 65537)
			if (fat_file_read(&file, off, buf, 65537) <= 0)
				break;
		if (ent.node.size > 3)
			(void)fat_file_read(&file, ent.node.size - 3, buf, sizeof(buf));
		(void)fat_file_read(&file, 1, buf, 100);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first file and the first subdirectory of the root, by name ("" if none). */
static void first_names(char *file, char *dir)
{
	struct fat_node root;
	struct fat_dir d;
	struct fat_dirent ent;
	int n = 0;

	file[0] = dir[0] = '\0';
	fat_root(&fs, &root);
	if (fat_dir_open(&fs, &root, &d) != FAT_OK)
		return;
	while (n++ < 64 && fat_dir_next(&d, &ent) == 1) {
		char *to = (ent.node.attr & FAT_ATTR_DIRECTORY) ? dir : file;
		if (to[0] == '\0' && strcmp(ent.name, ".") && strcmp(ent.name, ".."))
			memcpy(to, ent.name, strlen(ent.name) + 1);
	}
}

static void writes(void)
{
	static char file[FAT_NAME_MAX + 2], dir[FAT_NAME_MAX + 2], path[2 * FAT_NAME_MAX + 8];
	struct fat_node node;
	struct fat_file f;

	first_names(file + 1, dir + 1);
	file[0] = dir[0] = '/';
	if (fat_create(&fs, "/new file with a long name.txt", 0, &node) == FAT_OK &&
	    fat_file_open(&fs, &node, &f) == FAT_OK) {
		(void)fat_file_write(&f, 0, buf, 5000);
		(void)fat_file_write(&f, 20000, buf, 100);
		(void)fat_file_truncate(&f, 7);
	}
	(void)fat_mkdir(&fs, "/NEWDIR", NULL);
	(void)fat_create(&fs, "/NEWDIR/short.c", 0, NULL);
	(void)fat_rename(&fs, "/new file with a long name.txt", "/NEWDIR/renamed", NULL);
	if (file[1] != '\0' && fat_lookup(&fs, file, &node) == FAT_OK &&
	    fat_file_open(&fs, &node, &f) == FAT_OK) {
		(void)fat_file_write(&f, node.size, buf, 3000); /* append */
		(void)fat_file_write(&f, 1, buf, 10);
		(void)fat_file_truncate(&f, node.size / 2);
	}
	if (dir[1] != '\0') {
		snprintf(path, sizeof(path), "%s/made here", dir);
		(void)fat_mkdir(&fs, path, NULL);
		(void)fat_rmdir(&fs, path);
		(void)fat_rename(&fs, dir, "/NEWDIR/moved dir", NULL);
	}
	if (file[1] != '\0')
		(void)fat_unlink(&fs, file);
	(void)fat_unlink(&fs, "/NEWDIR/short.c");
	(void)fat_sync(&fs);
}

static int64_t now(void *ctx)
{
	(void)ctx;
	return 1700000000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image img = {data, size, 512u << (size & 3)};
	struct fat_device dev = {
	    read_blocks, &img, img.block_size, DEVICE_BYTES / img.block_size, write_blocks,
	    NULL,        now};
	struct fat_node root;

	overlay.count = 0;
	if (size > DEVICE_BYTES || fat_mount(&fs, &dev) != FAT_OK)
		return 0;
	fat_root(&fs, &root);
	walk(&fs, &root, 0);
	(void)fat_lookup(&fs, "/a/b/c.txt", &root);
	writes();
	/* What was written must read back as a volume the library can still walk. */
	fat_root(&fs, &root);
	walk(&fs, &root, 0);
	return 0;
}
