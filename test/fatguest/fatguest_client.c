/*
 * test/fatguest: a client of the FAT component that speaks fs.idl directly, through
 * remote_fs.c (the VFS's side of the protocol). It walks the whole volume and prints, for
 * fatguest.py to compare with mtools on the host:
 *
 *   fatguest: dir /PATH                        each directory, before its entries
 *   fatguest: entry d|f SIZE /PATH             its entries in readdir order (no . and ..)
 *   fatguest: file SIZE FNV32 HEX|- /PATH      each regular file: its size from reading it
 *                                              to the end, an FNV-1a hash of its bytes, and
 *                                              the bytes in hex when there are at most 64
 *   fatguest: error OP -ERRNO /PATH            an op that failed
 *   fatguest: dots /PATH N                     how many of "." and ".." a subdirectory has
 *   fatguest: statfs BSIZE BLOCKS BFREE NAMEMAX
 *   fatguest: done DIRS FILES ERRORS
 *
 * then powers off. With the arguments `workload SEED OPS` (the system fatguest_rw) it first
 * runs test/fat's seeded workload (workload.c, over any vfs_fs) through remote_fs, which
 * ends with a sync, and prints `fatguest: workload OPS FAILURES [FIRST FAILURE]`; the host
 * then checks the image with fsck.fat and against the same workload on its model. It judges nothing
 * itself: which answers are right depends on the image.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <m6/debug.h>
#include <m6/format.h>
#include <m6/runtime.h>
#include <m6_caps.h>

#include "remote_fs.h"
#ifdef FATGUEST_WORKLOAD
#include "workload.h"
#endif

static struct remote_fs remote;
static struct vfs_fs fs;
static unsigned dirs, files, errors;
static uint8_t buf[64 * 1024];

static void say(const char *s)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, s);
}

static void say_u64(uint64_t v)
{
	char num[24];
	say(m6_format_u64(num, v, 0));
}

static void say_hex(uint64_t v, unsigned digits)
{
	static const char hex[] = "0123456789abcdef";
	char s[17];
	for (unsigned i = 0; i < digits; i++)
		s[i] = hex[(v >> (4 * (digits - 1 - i))) & 0xf];
	s[digits] = '\0';
	say(s);
}

/* "/" + the fs-relative path. */
static void say_path(const char *rel)
{
	say("/");
	say(rel);
	say("\n");
}

static void error(const char *op, long err, const char *rel)
{
	errors++;
	say("fatguest: error ");
	say(op);
	say(" -");
	say_u64((uint64_t)-err);
	say(" ");
	say_path(rel);
}

static void read_file(const char *rel)
{
	uint64_t h;
	struct vfs_attr a;
	int r = fs.ops->open(fs.state, rel, VFS_O_RDONLY, 0, &h, &a);
	if (r != 0) {
		error("open", r, rel);
		return;
	}
	uint32_t hash = 0x811c9dc5u;
	uint64_t size = 0;
	uint8_t head[64];
	for (;;) {
		long n = fs.ops->read(fs.state, h, size, buf, sizeof buf);
		if (n < 0) {
			error("read", n, rel);
			break;
		}
		if (n == 0)
			break;
		for (long i = 0; i < n; i++) {
			hash = (hash ^ buf[i]) * 0x01000193u;
			if (size + (uint64_t)i < sizeof head)
				head[size + (uint64_t)i] = buf[i];
		}
		size += (uint64_t)n;
	}
	if ((r = fs.ops->close(fs.state, h)) != 0)
		error("close", r, rel);
	files++;
	say("fatguest: file ");
	say_u64(size);
	say(" ");
	say_hex(hash, 8);
	say(" ");
	if (size <= sizeof head) {
		for (uint64_t i = 0; i < size; i++)
			say_hex(head[i], 2);
		if (size == 0)
			say("=");
	} else {
		say("-");
	}
	say(" ");
	say_path(rel);
}

/* `rel` joined with `name`, on the heap (NULL when out of memory). */
static char *join(const char *rel, const char *name)
{
	size_t a = strlen(rel), b = strlen(name);
	char *p = malloc(a + b + 2);
	if (!p)
		return NULL;
	memcpy(p, rel, a);
	size_t at = a;
	if (a)
		p[at++] = '/';
	memcpy(p + at, name, b + 1);
	return p;
}

static void walk(const char *rel)
{
	dirs++;
	say("fatguest: dir ");
	say_path(rel);
	uint64_t h;
	struct vfs_attr a;
	int r = fs.ops->open(fs.state, rel, VFS_O_RDONLY | VFS_O_DIRECTORY, 0, &h, &a);
	if (r != 0) {
		error("opendir", r, rel);
		return;
	}
	/* Subdirectories are walked after this directory is closed, so at most two handles
	 * (a directory and a file) are open at once however deep the tree. */
	char **subdirs = NULL;
	size_t nsub = 0, cap = 0;
	unsigned dots = 0;
	struct vfs_dirent ent;
	uint64_t cookie = 0;
	while ((r = fs.ops->readdir(fs.state, h, cookie, &ent)) == 1) {
		cookie = ent.next;
		if (strcmp(ent.name, ".") == 0 || strcmp(ent.name, "..") == 0) {
			dots++;
			continue;
		}
		char *path = join(rel, ent.name);
		if (!path) {
			error("malloc", -12, rel);
			break;
		}
		struct vfs_attr st;
		int s = fs.ops->stat(fs.state, path, &st);
		if (s != 0) {
			error("stat", s, path);
			free(path);
			continue;
		}
		bool dir = VFS_S_ISDIR(st.mode);
		if (dir != (ent.type == VFS_DT_DIR))
			error("type", -22, path); /* readdir and stat disagree */
		say("fatguest: entry ");
		say(dir ? "d " : "f ");
		say_u64(dir ? 0 : st.size);
		say(" ");
		say_path(path);
		if (!dir) {
			read_file(path);
			free(path);
			continue;
		}
		if (nsub == cap) {
			cap = cap ? 2 * cap : 16;
			char **more = realloc(subdirs, cap * sizeof *more);
			if (!more) {
				error("malloc", -12, rel);
				free(path);
				break;
			}
			subdirs = more;
		}
		subdirs[nsub++] = path;
	}
	if (r < 0)
		error("readdir", r, rel);
	if ((r = fs.ops->close(fs.state, h)) != 0)
		error("closedir", r, rel);
	if (rel[0]) {
		say("fatguest: dots /");
		say(rel);
		say(" ");
		say_u64(dots);
		say("\n");
	}
	for (size_t i = 0; i < nsub; i++) {
		walk(subdirs[i]);
		free(subdirs[i]);
	}
	free(subdirs);
}

#ifdef FATGUEST_WORKLOAD
static void workload(int argc, char **argv)
{
	if (argc != 4 || strcmp(argv[1], "workload") != 0) {
		error("args", -22, "");
		return;
	}
	struct fat_workload_report rep = {0};
	fat_workload_run(&fs, strtoull(argv[2], NULL, 0), (unsigned)strtoul(argv[3], NULL, 0),
	                 &rep);
	say("fatguest: workload ");
	say_u64(rep.ops);
	say(" ");
	say_u64(rep.failures);
	if (rep.failures) {
		errors++;
		say(" ");
		say(rep.first_failure);
	}
	say("\n");
}
#endif

int main(int argc, char **argv)
{
	fs = remote_fs_init(&remote, CAP_FS, (void *)M6_WINDOW_FS_VADDR, M6_WINDOW_FS_SIZE, "vfat");
#ifdef FATGUEST_WORKLOAD
	workload(argc, argv);
#else
	(void)argc;
	(void)argv;
#endif
	struct vfs_statfs st;
	int r = fs.ops->statfs(fs.state, &st);
	if (r == 0) {
		say("fatguest: statfs ");
		say_u64(st.bsize);
		say(" ");
		say_u64(st.blocks);
		say(" ");
		say_u64(st.bfree);
		say(" ");
		say_u64(st.namemax);
		say("\n");
	} else {
		error("statfs", r, "");
	}
	walk("");
	say("fatguest: done ");
	say_u64(dirs);
	say(" ");
	say_u64(files);
	say(" ");
	say_u64(errors);
	say("\n");
	m6_power_off(CAP_POWER);
	return 0;
}
