/*
 * fat_tool: the FAT library (components/services/fat) on a host image file, for the
 * tests that compare it with mtools (test_fat.py).
 *   fat_tool IMG list          every directory, mdir -/ -a style: one line per entry
 *   fat_tool IMG cat PATH      the file's bytes on stdout
 *   fat_tool IMG extract DEST  the whole tree written under the (existing) directory DEST
 *   fat_tool IMG info          the mount's figures
 * The block size is 512 unless FAT_TOOL_BLOCK says otherwise. Exit 0 on success, 1 on a
 * library error (its text on stderr), 2 on a usage or host error.
 */
#define _POSIX_C_SOURCE 200809L
#include "fat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static FILE *image;

static int read_blocks(void *ctx, uint64_t block, uint32_t count, void *buf)
{
	const struct fat_device *dev = ctx;

	if (fseeko(image, (off_t)(block * dev->block_size), SEEK_SET) != 0)
		return -1;
	return fread(buf, dev->block_size, count, image) == count ? 0 : -1;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "fat_tool: %s: %s\n", what, fat_strerror(err));
	return 1;
}

static int list_dir(struct fat_fs *fs, const struct fat_node *node, const char *path)
{
	struct fat_dir dir;
	struct fat_dirent ent;
	int err = fat_dir_open(fs, node, &dir);

	if (err)
		return fail(path, err);
	printf("Directory for ::%s\n", path);
	for (;;) {
		int r = fat_dir_next(&dir, &ent);
		if (r < 0)
			return fail(path, r);
		if (r == 0)
			break;
		char size[16];
		if (ent.node.attr & FAT_ATTR_DIRECTORY)
			snprintf(size, sizeof(size), "<DIR>");
		else
			snprintf(size, sizeof(size), "%u", (unsigned)ent.node.size);
		printf("%s|%s|%04u-%02u-%02u %02u:%02u|%s\n", ent.short_name, size,
		       1980u + (ent.write_date >> 9), (ent.write_date >> 5) & 15u,
		       ent.write_date & 31u, ent.write_time >> 11, (ent.write_time >> 5) & 63u,
		       strcmp(ent.name, ent.short_name) ? ent.name : "");
	}
	/* Then the subdirectories, in directory order, as mdir -/ does. */
	err = fat_dir_open(fs, node, &dir);
	if (err)
		return fail(path, err);
	for (;;) {
		int r = fat_dir_next(&dir, &ent);
		if (r < 0)
			return fail(path, r);
		if (r == 0)
			return 0;
		if (!(ent.node.attr & FAT_ATTR_DIRECTORY) || !strcmp(ent.name, ".") ||
		    !strcmp(ent.name, ".."))
			continue;
		size_t n = strlen(path) + strlen(ent.name) + 2;
		char *sub = malloc(n);
		if (sub == NULL)
			return 2;
		snprintf(sub, n, "%s%s%s", path, strcmp(path, "/") ? "/" : "", ent.name);
		int rc = list_dir(fs, &ent.node, sub);
		free(sub);
		if (rc)
			return rc;
	}
}

static int copy_file(struct fat_fs *fs, const struct fat_node *node, FILE *out)
{
	struct fat_file file;
	static char buf[65536];
	uint64_t off = 0;
	int err = fat_file_open(fs, node, &file);

	if (err)
		return err;
	for (;;) {
		/* An odd read size, so reads straddle clusters and blocks. */
		long n = fat_file_read(&file, off, buf, 40000);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n)
			return FAT_E_IO;
		off += (uint64_t)n;
	}
}

static int extract(struct fat_fs *fs, const struct fat_node *node, const char *dest)
{
	struct fat_dir dir;
	struct fat_dirent ent;
	int err = fat_dir_open(fs, node, &dir);

	if (err)
		return fail(dest, err);
	for (;;) {
		int r = fat_dir_next(&dir, &ent);
		if (r < 0)
			return fail(dest, r);
		if (r == 0)
			return 0;
		if (!strcmp(ent.name, ".") || !strcmp(ent.name, ".."))
			continue;
		size_t n = strlen(dest) + strlen(ent.name) + 2;
		char *p = malloc(n);
		if (p == NULL)
			return 2;
		snprintf(p, n, "%s/%s", dest, ent.name);
		int rc;
		if (ent.node.attr & FAT_ATTR_DIRECTORY) {
			rc = mkdir(p, 0755) ? 2 : extract(fs, &ent.node, p);
		} else {
			FILE *out = fopen(p, "wb");
			rc = out == NULL ? 2 : copy_file(fs, &ent.node, out);
			if (out != NULL && fclose(out) != 0)
				rc = 2;
			if (rc < 0)
				rc = fail(p, rc);
		}
		free(p);
		if (rc)
			return rc;
	}
}

int main(int argc, char **argv)
{
	static struct fat_fs fs_storage;
	struct fat_fs *fs = &fs_storage;
	struct fat_device dev = {.read = read_blocks, .block_size = 512};
	struct fat_node node;
	const char *bs = getenv("FAT_TOOL_BLOCK");
	int err;

	if (argc < 3) {
		fprintf(stderr, "usage: fat_tool IMG list|cat PATH|extract DEST|info\n");
		return 2;
	}
	if (bs != NULL)
		dev.block_size = (uint32_t)strtoul(bs, NULL, 0);
	dev.ctx = &dev;
	image = fopen(argv[1], "rb");
	if (image == NULL || fseeko(image, 0, SEEK_END) != 0) {
		fprintf(stderr, "fat_tool: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	dev.block_count = (uint64_t)ftello(image) / dev.block_size;
	err = fat_mount(fs, &dev);
	if (err)
		return fail("mount", err);
	if (!strcmp(argv[2], "info")) {
		printf("FAT%d clusters %u cluster_size %u clean %d fsinfo %d free %u\n", fs->type,
		       fs->cluster_count, fs->cluster_size, fs->clean, fs->fsinfo_valid,
		       fs->fsinfo_free);
		return 0;
	}
	if (!strcmp(argv[2], "list")) {
		fat_root(fs, &node);
		return list_dir(fs, &node, "/");
	}
	if (argc != 4) {
		fprintf(stderr, "fat_tool: %s needs an argument\n", argv[2]);
		return 2;
	}
	if (!strcmp(argv[2], "cat")) {
		err = fat_lookup(fs, argv[3], &node);
		if (!err)
			err = copy_file(fs, &node, stdout);
		return err ? fail(argv[3], err) : 0;
	}
	if (!strcmp(argv[2], "extract")) {
		fat_root(fs, &node);
		return extract(fs, &node, argv[3]);
	}
	fprintf(stderr, "fat_tool: unknown command %s\n", argv[2]);
	return 2;
}
