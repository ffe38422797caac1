/*
 * fuzz_fat: libFuzzer harness for the FAT library (components/services/fat). The input is
 * the start of a disk image; the device behind it is 64 MiB, zeros past the input, so small
 * seeds can describe whole FAT16/FAT32 volumes. The block size (512 to 4096) comes from the
 * input's length. It mounts, then walks every directory (bounded depth) and reads every file
 * at a few offsets; ASan/UBSan and libFuzzer's timeout catch crashes, bad reads and hangs.
 */
#include "fat.h"

#include <stdlib.h>
#include <string.h>

#define DEVICE_BYTES (64u << 20)

struct image {
	const uint8_t *data;
	size_t size;
	uint32_t block_size;
};

static int read_blocks(void *ctx, uint64_t block, uint32_t count, void *buf)
{
	const struct image *img = ctx;
	uint64_t off = block * img->block_size;
	uint64_t len = (uint64_t)count * img->block_size;

	/* The library must never ask for a block outside the device. */
	if (off >= DEVICE_BYTES || len > DEVICE_BYTES - off)
		abort();
	memset(buf, 0, len);
	if (off < img->size)
		memcpy(buf, img->data + off,
		       (size_t)(img->size - off < len ? img->size - off : len));
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fat_fs fs;
	struct image img = {data, size, 512u << (size & 3)};
	struct fat_device dev = {read_blocks, &img, img.block_size, DEVICE_BYTES / img.block_size};
	struct fat_node root;

	if (size > DEVICE_BYTES || fat_mount(&fs, &dev) != FAT_OK)
		return 0;
	fat_root(&fs, &root);
	walk(&fs, &root, 0);
	(void)fat_lookup(&fs, "/a/b/c.txt", &root);
	return 0;
}
