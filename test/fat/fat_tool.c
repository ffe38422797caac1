/*
 * fat_tool: the FAT library (components/services/fat) on a host image file, for the
 * tests that compare it with mtools (test_fat.py).
 *   fat_tool IMG list          every directory, mdir -/ -a style: one line per entry
 *   fat_tool IMG cat PATH      the file's bytes on stdout
 *   fat_tool IMG extract DEST  the whole tree written under the (existing) directory DEST
 *   fat_tool IMG info          the mount's figures
 *   fat_tool IMG run           write: one operation per line of stdin, through fat_vfs.c
 *                              (the script language is below, at run_script)
 *   fat_tool IMG workload SEED OPS   the seeded workload (workload.c) through fat_vfs.c
 * FAT_TOOL_FAIL_WRITE=N makes the device's N-th write fail without writing (a request a
 * driver restart cut short, docs/supervision.md); FAT_TOOL_TRACE_WRITES prints every write.
 * The block size is 512 unless FAT_TOOL_BLOCK says otherwise; FAT_TOOL_READONLY gives the
 * write commands a device without a write callback. Exit 0 on success, 1 on a
 * library error (its text on stderr) or an unexpected result, 2 on a usage or host error.
 *
 * Writes go through a checking device: a write that changes any byte outside the volume's
 * own area (the FSInfo sector, the FATs, the root directory, the data clusters) aborts.
 */
#define _POSIX_C_SOURCE 200809L
#include "fat.h"
#include "fat_vfs.h"
#include "workload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static FILE *image;
static struct fat_fs *checked_fs; /* the mounted volume whose areas the writes must keep to */
static unsigned long writes;
static unsigned long fail_write; /* FAT_TOOL_FAIL_WRITE: this write (from 1) fails */
static bool trace_writes;        /* FAT_TOOL_TRACE_WRITES: each write on stderr */

static int read_blocks(void *ctx, uint64_t block, uint32_t count, void *buf)
{
	const struct fat_device *dev = ctx;

	if (fseeko(image, (off_t)(block * dev->block_size), SEEK_SET) != 0)
		return -1;
	return fread(buf, dev->block_size, count, image) == count ? 0 : -1;
}

/* Whether device byte `b` lies in an area the volume may write. */
static bool writable(uint64_t b)
{
	const struct fat_fs *fs = checked_fs;
	uint64_t bps = fs->bytes_per_sector;

	if (fs->fsinfo_valid && b / bps == fs->fsinfo_sector)
		return true;
	return b / bps >= fs->reserved_sectors && b / bps < fs->total_sectors;
}

static int write_blocks(void *ctx, uint64_t block, uint32_t count, const void *buf)
{
	const struct fat_device *dev = ctx;
	uint64_t off = block * dev->block_size, len = (uint64_t)count * dev->block_size;
	const uint8_t *in = buf;
	static uint8_t old[1 << 22];

	if (checked_fs == NULL || block + count > dev->block_count || len > sizeof(old) ||
	    fseeko(image, (off_t)off, SEEK_SET) != 0 || fread(old, 1, len, image) != len) {
		fprintf(stderr, "fat_tool: write of blocks %llu+%u outside the device\n",
		        (unsigned long long)block, count);
		abort();
	}
	for (uint64_t i = 0; i < len; i++) {
		if (old[i] != in[i] && !writable(off + i)) {
			fprintf(stderr,
			        "fat_tool: a write changes byte %llu, outside the volume's "
			        "own area\n",
			        (unsigned long long)(off + i));
			abort();
		}
	}
	writes++;
	if (trace_writes)
		fprintf(stderr, "fat_tool: write %lu: blocks %llu+%u\n", writes,
		        (unsigned long long)block, count);
	if (writes == fail_write) {
		fprintf(stderr, "fat_tool: write %lu (blocks %llu+%u) fails on purpose\n", writes,
		        (unsigned long long)block, count);
		return -1;
	}
	if (fseeko(image, (off_t)off, SEEK_SET) != 0 || fwrite(buf, 1, len, image) != len)
		return -1;
	return 0;
}

static int flush_image(void *ctx)
{
	(void)ctx;
	return fflush(image) == 0 ? 0 : -1;
}

/* A fixed clock (2024-05-06 07:08:10 UTC): listings do not depend on when a test ran. */
static int64_t fixed_now(void *ctx)
{
	(void)ctx;
	return 1714979290;
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

static const char *errno_name(int e)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {{VFS_EPERM, "EPERM"},
	             {VFS_ENOENT, "ENOENT"},
	             {VFS_EIO, "EIO"},
	             {VFS_EBADF, "EBADF"},
	             {VFS_ENOMEM, "ENOMEM"},
	             {VFS_EBUSY, "EBUSY"},
	             {VFS_EEXIST, "EEXIST"},
	             {VFS_ENOTDIR, "ENOTDIR"},
	             {VFS_EISDIR, "EISDIR"},
	             {VFS_EINVAL, "EINVAL"},
	             {VFS_EFBIG, "EFBIG"},
	             {VFS_ENOSPC, "ENOSPC"},
	             {VFS_EROFS, "EROFS"},
	             {VFS_ENAMETOOLONG, "ENAMETOOLONG"},
	             {VFS_ENOTEMPTY, "ENOTEMPTY"}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == -e)
			return names[i].name;
	return e == 0 ? "OK" : "E?";
}

/* Byte i of a `fill` pattern: not periodic in any cluster size. */
static uint8_t pattern(uint64_t i, uint32_t seed)
{
	return (uint8_t)((i * 2654435761u + seed * 97u) >> 13);
}

/*
 * The script: one operation per line, fields separated by '|', through fat_vfs_ops:
 *   create|P   mkdir|P   rmdir|P   unlink|P   rename|A|B   sync   truncate|P|SIZE
 *   write|P|OFFSET|TEXT   append|P|TEXT   chmod|P|OCTAL   hold|P   release
 *   fill|P|SIZE|SEED   (creates P and writes SIZE pattern bytes in 40,000-byte pieces,
 *                       printing the count written: short, and no error, when the volume
 *                       fills up)
 *   cat|P   (the file's bytes on stdout)   statfs   (prints the free clusters)
 * A line "!ENAME op..." expects the op to fail with ENAME; otherwise it must succeed.
 */
static int run_script(struct fat_vfs *v)
{
	const struct vfs_fs_ops *ops = &fat_vfs_ops;
	static char line[8192];
	static uint8_t buf[40000];
	uint64_t held[16];
	unsigned nheld = 0, lineno = 0;
	int bad = 0;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *f[5] = {0};
		int nf = 0, r = 0;
		const char *expect = "OK";
		uint64_t h;
		struct vfs_attr a;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		char *p = line;
		if (*p == '\0' || *p == '#')
			continue;
		if (*p == '!') {
			expect = ++p;
			p += strcspn(p, " ");
			*p++ = '\0';
		}
		for (f[nf++] = p; nf < 5 && (p = strchr(p, '|')) != NULL; f[nf++] = ++p)
			*p = '\0';
		const char *op = f[0], *path = f[1] ? f[1] : "";
		if (!strcmp(op, "create")) {
			r = ops->open(v, path, VFS_O_WRONLY | VFS_O_CREAT | VFS_O_EXCL, 0644, &h,
			              &a);
			if (r == 0)
				ops->close(v, h);
		} else if (!strcmp(op, "mkdir")) {
			r = ops->mkdir(v, path, 0755);
		} else if (!strcmp(op, "rmdir")) {
			r = ops->rmdir(v, path);
		} else if (!strcmp(op, "unlink")) {
			r = ops->unlink(v, path);
		} else if (!strcmp(op, "rename")) {
			r = ops->rename(v, path, f[2] ? f[2] : "");
		} else if (!strcmp(op, "sync")) {
			r = ops->sync(v, UINT64_MAX);
		} else if (!strcmp(op, "statfs")) {
			struct vfs_statfs st;
			r = ops->statfs(v, &st);
			if (r == 0)
				printf("free %llu of %llu\n", (unsigned long long)st.bfree,
				       (unsigned long long)st.blocks);
		} else if (!strcmp(op, "hold")) {
			r = ops->open(v, path, VFS_O_RDONLY, 0, &h, &a);
			if (r == 0 && nheld < 16)
				held[nheld++] = h;
		} else if (!strcmp(op, "release")) {
			while (nheld > 0)
				r |= ops->close(v, held[--nheld]);
		} else if (!strcmp(op, "cat")) {
			r = ops->open(v, path, VFS_O_RDONLY, 0, &h, &a);
			for (uint64_t off = 0; r == 0;) {
				long n = ops->read(v, h, off, buf, 40000);
				if (n <= 0) {
					r = (int)n;
					break;
				}
				fwrite(buf, 1, (size_t)n, stdout);
				off += (uint64_t)n;
			}
			if (r == 0 || r == -VFS_EIO)
				ops->close(v, h);
		} else if (f[2] == NULL) {
			fprintf(stderr, "fat_tool: line %u: %s needs arguments\n", lineno, op);
			return 2;
		} else if (!strcmp(op, "chmod")) {
			r = ops->open(v, path, VFS_O_RDONLY, 0, &h, &a);
			if (r == 0) {
				a.mode = (uint32_t)strtoul(f[2], NULL, 8);
				r = ops->setattr(v, h, VFS_SET_MODE, &a);
				ops->close(v, h);
			}
		} else if (!strcmp(op, "truncate")) {
			r = ops->open(v, path, VFS_O_RDWR, 0, &h, &a);
			if (r == 0) {
				r = ops->truncate(v, h, strtoull(f[2], NULL, 0));
				ops->close(v, h);
			}
		} else if (!strcmp(op, "write") || !strcmp(op, "append")) {
			bool app = !strcmp(op, "append");
			const char *text = app ? f[2] : f[3] ? f[3] : "";
			r = ops->open(v, path, VFS_O_RDWR | VFS_O_CREAT, 0644, &h, &a);
			if (r == 0) {
				long n = ops->write(v, h, app ? a.size : strtoull(f[2], NULL, 0),
				                    text, strlen(text));
				r = n < 0 ? (int)n : (size_t)n == strlen(text) ? 0 : -VFS_ENOSPC;
				ops->close(v, h);
			}
		} else if (!strcmp(op, "fill")) {
			uint64_t size = strtoull(f[2], NULL, 0), done = 0;
			uint32_t seed = f[3] ? (uint32_t)strtoul(f[3], NULL, 0) : 0;
			r = ops->open(v, path, VFS_O_RDWR | VFS_O_CREAT | VFS_O_EXCL, 0644, &h, &a);
			while (r == 0 && done < size) {
				size_t n =
				    size - done < sizeof(buf) ? (size_t)(size - done) : sizeof(buf);
				for (size_t i = 0; i < n; i++)
					buf[i] = pattern(done + i, seed);
				long w = ops->write(v, h, done, buf, n);
				if (w < 0)
					r = (int)w;
				else
					done += (uint64_t)w;
				if (w >= 0 && (size_t)w < n)
					break;
			}
			printf("wrote %llu\n", (unsigned long long)done);
			if (r == 0 || r == -VFS_ENOSPC)
				ops->close(v, h);
			if (r == -VFS_ENOSPC)
				r = 0; /* a full volume is what `fill` measures: the count says it
				        */
		} else {
			fprintf(stderr, "fat_tool: line %u: unknown operation %s\n", lineno, op);
			return 2;
		}
		if (strcmp(errno_name(r), expect) != 0) {
			fprintf(stderr, "fat_tool: line %u (%s %s): %s, expected %s\n", lineno, op,
			        path, errno_name(r), expect);
			bad = 1;
		}
	}
	while (nheld > 0)
		ops->close(v, held[--nheld]);
	return bad;
}

static int write_main(const struct fat_device *dev, int argc, char **argv)
{
	static struct fat_vfs v;
	int err = fat_vfs_mount(&v, dev);

	if (err) {
		fprintf(stderr, "fat_tool: mount: %s\n", errno_name(err));
		return 1;
	}
	checked_fs = &v.fs;
	int rc;
	if (!strcmp(argv[2], "run")) {
		rc = run_script(&v);
	} else {
		struct fat_workload_report rep;
		struct vfs_fs fs;
		if (argc != 5) {
			fprintf(stderr, "fat_tool: workload SEED OPS\n");
			return 2;
		}
		fat_vfs_as_fs(&v, &fs);
		rc = fat_workload_run(&fs, strtoull(argv[3], NULL, 0),
		                      (unsigned)strtoul(argv[4], NULL, 0), &rep) == 0
		         ? 0
		         : 1;
		printf("fat: %u operations, %u failures%s%s\n", rep.ops, rep.failures,
		       rep.failures ? ": " : "", rep.first_failure);
	}
	/* Unmount: sync (the clean bit, FSInfo), whatever the script did. */
	err = fat_vfs_ops.sync(&v, UINT64_MAX);
	if (err && rc == 0) {
		fprintf(stderr, "fat_tool: sync: %s\n", errno_name(err));
		rc = 1;
	}
	fflush(stdout);
	fprintf(stderr, "fat_tool: %lu block writes\n", writes);
	return rc;
}

int main(int argc, char **argv)
{
	static struct fat_fs fs_storage;
	struct fat_fs *fs = &fs_storage;
	struct fat_device dev = {.read = read_blocks, .block_size = 512};
	struct fat_node node;
	const char *fw = getenv("FAT_TOOL_FAIL_WRITE");
	fail_write = fw ? strtoul(fw, NULL, 0) : 0;
	trace_writes = getenv("FAT_TOOL_TRACE_WRITES") != NULL;
	const char *bs = getenv("FAT_TOOL_BLOCK");
	int err;

	if (argc < 3) {
		fprintf(stderr, "usage: fat_tool IMG list|cat PATH|extract DEST|info|run|"
		                "workload SEED OPS\n");
		return 2;
	}
	if (bs != NULL)
		dev.block_size = (uint32_t)strtoul(bs, NULL, 0);
	dev.ctx = &dev;
	bool rw = !strcmp(argv[2], "run") || !strcmp(argv[2], "workload");
	if (rw && getenv("FAT_TOOL_READONLY") == NULL) {
		dev.write = write_blocks;
		dev.flush = flush_image;
		dev.now = fixed_now;
	}
	image = fopen(argv[1], rw ? "r+b" : "rb");
	if (image == NULL || fseeko(image, 0, SEEK_END) != 0) {
		fprintf(stderr, "fat_tool: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	dev.block_count = (uint64_t)ftello(image) / dev.block_size;
	if (rw)
		return write_main(&dev, argc, argv);
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
