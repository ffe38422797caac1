/*
 * workload.c: the seeded workload (workload.h). It keeps its own model of the tree (names,
 * kinds, sizes) only to choose valid operations and to know each one's expected result;
 * the contents are compared outside, against the host model's files.
 */
#include "workload.h"

#include <string.h>

#define MAX_ENTRIES 96
#define PATH_CAP    1200
#define MAX_DEPTH   4
#define CHUNK       4096

struct entry {
	bool used, dir;
	int parent; /* index, -1 for the root's children */
	uint32_t size;
	char name[256];
};

struct state {
	const struct vfs_fs *fs;
	uint64_t rng;
	struct entry e[MAX_ENTRIES];
	struct fat_workload_report *rep;
	uint8_t buf[CHUNK];
};

static uint64_t next(struct state *s)
{
	/* splitmix64: a fixed, portable sequence from the seed. */
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static uint32_t below(struct state *s, uint32_t n)
{
	return n == 0 ? 0 : (uint32_t)(next(s) % n);
}

static void fail(struct state *s, const char *what, const char *path, long got)
{
	if (s->rep->failures++ == 0) {
		char num[24];
		int i = 0;
		unsigned long v = got < 0 ? (unsigned long)-got : (unsigned long)got;
		do
			num[i++] = (char)('0' + v % 10);
		while ((v /= 10) != 0 && i < 22);
		size_t n = 0;
		char *out = s->rep->first_failure;
		size_t cap = sizeof(s->rep->first_failure) - 1;
		for (const char *p = what; *p && n < cap; p++)
			out[n++] = *p;
		for (const char *p = " "; *p && n < cap; p++)
			out[n++] = *p;
		for (const char *p = path; *p && n < cap; p++)
			out[n++] = *p;
		for (const char *p = got < 0 ? ": -" : ": "; *p && n < cap; p++)
			out[n++] = *p;
		while (i > 0 && n < cap)
			out[n++] = num[--i];
		out[n] = '\0';
	}
}

/* The entry's path from the root ("" for the root, index -1). */
static void path_of(const struct state *s, int idx, char *out)
{
	int chain[MAX_DEPTH + 2], n = 0;
	size_t len = 0;

	for (int i = idx; i >= 0 && n < MAX_DEPTH + 2; i = s->e[i].parent)
		chain[n++] = i;
	out[0] = '\0';
	while (n-- > 0) {
		const char *name = s->e[chain[n]].name;
		size_t l = strlen(name);
		if (len > 0)
			out[len++] = '/';
		memcpy(out + len, name, l + 1);
		len += l;
	}
}

static int depth_of(const struct state *s, int idx)
{
	int d = 0;
	for (int i = idx; i >= 0; i = s->e[i].parent)
		d++;
	return d;
}

static bool fold_eq(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a, y = *b;
		if (x >= 'a' && x <= 'z')
			x = (char)(x - 32);
		if (y >= 'a' && y <= 'z')
			y = (char)(y - 32);
		if (x != y)
			return false;
		if (x == '\0')
			return true;
	}
}

/* The entry called `name` (FAT compares without ASCII case) in directory `dir`, or -1. */
static int find(const struct state *s, int dir, const char *name)
{
	for (int i = 0; i < MAX_ENTRIES; i++)
		if (s->e[i].used && s->e[i].parent == dir && fold_eq(s->e[i].name, name))
			return i;
	return -1;
}

static int free_slot(const struct state *s)
{
	for (int i = 0; i < MAX_ENTRIES; i++)
		if (!s->e[i].used)
			return i;
	return -1;
}

/* A random used entry with the wanted kind (0 file, 1 dir, 2 any), or -1. */
static int pick(struct state *s, int kind)
{
	int cand[MAX_ENTRIES], n = 0;
	for (int i = 0; i < MAX_ENTRIES; i++)
		if (s->e[i].used && (kind == 2 || s->e[i].dir == (kind == 1)))
			cand[n++] = i;
	return n == 0 ? -1 : cand[below(s, (uint32_t)n)];
}

/* A directory (-1: the root) that is not below `avoid` (-2: no constraint). */
static int pick_dir(struct state *s, int avoid)
{
	int cand[MAX_ENTRIES + 1], n = 0;
	cand[n++] = -1;
	for (int i = 0; i < MAX_ENTRIES; i++) {
		if (!s->e[i].used || !s->e[i].dir || depth_of(s, i) >= MAX_DEPTH)
			continue;
		bool below_avoid = false;
		for (int j = i; j >= 0; j = s->e[j].parent)
			below_avoid |= j == avoid;
		if (!below_avoid)
			cand[n++] = i;
	}
	return cand[below(s, (uint32_t)n)];
}

/* Names with long, short, lower-case 8.3, mixed-case, Unicode and many-dot forms. */
static void make_name(struct state *s, char *out)
{
	static const char *const stems[] = {
	    "README",     "notes",  "Makefile",          "data file",
	    "Ünïcödé",    "x",      "report 2024",       "a.b.c",
	    "MiXeD CaSe", "~tilde", "café au lait",      "€uro",
	    "lower",      "UPPER",  "with  two  spaces", "plus+and,comma;eq=[br]",
	    "dot.dot",    "名前"};
	static const char *const exts[] = {"", ".txt", ".c", ".tar.gz", ".DAT", ".jpeg", ".md"};
	size_t len = 0;
	const char *stem = stems[below(s, sizeof(stems) / sizeof(stems[0]))];
	unsigned reps = below(s, 8) == 0 ? 6 + below(s, 4) : 1; /* sometimes 60-208 bytes */

	for (unsigned r = 0; r < reps; r++) {
		size_t l = strlen(stem);
		memcpy(out + len, stem, l);
		len += l;
	}
	if (below(s, 2)) {
		unsigned num = below(s, 1000);
		char d[4];
		int n = 0;
		do
			d[n++] = (char)('0' + num % 10);
		while ((num /= 10) != 0);
		while (n > 0)
			out[len++] = d[--n];
	}
	const char *ext = exts[below(s, sizeof(exts) / sizeof(exts[0]))];
	memcpy(out + len, ext, strlen(ext) + 1);
}

/* Fills buf with the operation's bytes (from the sequence, so every run has the same). */
static void fill(struct state *s, size_t n)
{
	uint64_t x = next(s);
	for (size_t i = 0; i < n; i++) {
		if (i % 8 == 0)
			x = x * 6364136223846793005u + 1442695040888963407u;
		s->buf[i] = (uint8_t)(x >> (8 * (i % 8)));
	}
}

static long write_all(struct state *s, uint64_t h, uint64_t off, uint32_t len)
{
	while (len > 0) {
		uint32_t n = len > CHUNK ? CHUNK : len;
		fill(s, n);
		long r = s->fs->ops->write(s->fs->state, h, off, s->buf, n);
		if (r != (long)n)
			return r < 0 ? r : -1;
		off += n;
		len -= n;
	}
	return 0;
}

static void check_size(struct state *s, uint64_t h, int idx, const char *path)
{
	struct vfs_attr a;
	int r = s->fs->ops->getattr(s->fs->state, h, &a);
	if (r != 0 || a.size != s->e[idx].size)
		fail(s, "size after the operation", path, r != 0 ? r : (long)a.size);
}

/* Opens an existing file of the model for writing. */
static int open_rw(struct state *s, const char *path, uint64_t *h)
{
	struct vfs_attr a;
	int r = s->fs->ops->open(s->fs->state, path, VFS_O_RDWR, 0, h, &a);
	if (r != 0)
		fail(s, "open", path, r);
	return r;
}

static void op_create(struct state *s)
{
	char name[256], path[PATH_CAP];
	int dir = pick_dir(s, -2), slot = free_slot(s);
	uint64_t h;
	struct vfs_attr a;

	make_name(s, name);
	uint32_t size = below(s, 4) == 0 ? 0 : below(s, 20000);
	if (slot < 0 || find(s, dir, name) >= 0)
		return;
	struct entry *e = &s->e[slot];
	memset(e, 0, sizeof(*e));
	memcpy(e->name, name, strlen(name) + 1);
	e->parent = dir;
	e->used = true;
	path_of(s, slot, path);
	int r = s->fs->ops->open(s->fs->state, path, VFS_O_RDWR | VFS_O_CREAT | VFS_O_EXCL, 0644,
	                         &h, &a);
	if (r != 0) {
		fail(s, "create", path, r);
		return;
	}
	long w = write_all(s, h, 0, size);
	if (w != 0)
		fail(s, "write", path, w);
	e->size = size;
	check_size(s, h, slot, path);
	s->fs->ops->close(s->fs->state, h);
}

static void op_write(struct state *s, bool append)
{
	char path[PATH_CAP];
	int f = pick(s, 0);
	uint64_t h;

	if (f < 0)
		return;
	uint32_t off = append ? s->e[f].size : below(s, s->e[f].size + 3000);
	uint32_t len = 1 + below(s, 9000);
	path_of(s, f, path);
	if (open_rw(s, path, &h) != 0)
		return;
	long w = write_all(s, h, off, len);
	if (w != 0)
		fail(s, append ? "append" : "write", path, w);
	if (off + len > s->e[f].size)
		s->e[f].size = off + len;
	check_size(s, h, f, path);
	s->fs->ops->close(s->fs->state, h);
}

static void op_truncate(struct state *s)
{
	char path[PATH_CAP];
	int f = pick(s, 0);
	uint64_t h;

	if (f < 0)
		return;
	uint32_t size = below(s, s->e[f].size + s->e[f].size / 2 + 5000);
	path_of(s, f, path);
	if (open_rw(s, path, &h) != 0)
		return;
	int r = s->fs->ops->truncate(s->fs->state, h, size);
	if (r != 0)
		fail(s, "truncate", path, r);
	s->e[f].size = size;
	check_size(s, h, f, path);
	s->fs->ops->close(s->fs->state, h);
}

static void op_mkdir(struct state *s)
{
	char name[256], path[PATH_CAP];
	int dir = pick_dir(s, -2), slot = free_slot(s);

	make_name(s, name);
	if (slot < 0 || find(s, dir, name) >= 0 || depth_of(s, dir) + 1 > MAX_DEPTH)
		return;
	struct entry *e = &s->e[slot];
	memset(e, 0, sizeof(*e));
	memcpy(e->name, name, strlen(name) + 1);
	e->parent = dir;
	e->dir = true;
	e->used = true;
	path_of(s, slot, path);
	int r = s->fs->ops->mkdir(s->fs->state, path, 0755);
	if (r != 0)
		fail(s, "mkdir", path, r);
}

static bool has_children(const struct state *s, int dir)
{
	for (int i = 0; i < MAX_ENTRIES; i++)
		if (s->e[i].used && s->e[i].parent == dir)
			return true;
	return false;
}

static void op_remove(struct state *s, bool dir)
{
	char path[PATH_CAP];
	int victim = pick(s, dir ? 1 : 0);

	if (victim < 0 || (dir && has_children(s, victim)))
		return;
	path_of(s, victim, path);
	int r =
	    dir ? s->fs->ops->rmdir(s->fs->state, path) : s->fs->ops->unlink(s->fs->state, path);
	if (r != 0)
		fail(s, dir ? "rmdir" : "unlink", path, r);
	s->e[victim].used = false;
}

static int max_depth_below(const struct state *s, int idx)
{
	int d = 0;
	for (int i = 0; i < MAX_ENTRIES; i++) {
		if (!s->e[i].used)
			continue;
		int k = 0;
		for (int j = i; j >= 0; j = s->e[j].parent, k++)
			if (j == idx && k > d)
				d = k;
	}
	return d;
}

static void op_rename(struct state *s)
{
	char name[256], from[PATH_CAP], to[PATH_CAP];
	int src = pick(s, 2);

	if (src < 0)
		return;
	int dir = pick_dir(s, s->e[src].dir ? src : -2);
	bool replace = below(s, 3) == 0;
	int victim = -1;
	make_name(s, name);
	if (replace && !s->e[src].dir) {
		/* onto an existing file of that directory, if there is one */
		for (int i = 0; i < MAX_ENTRIES && victim < 0; i++)
			if (s->e[i].used && !s->e[i].dir && s->e[i].parent == dir && i != src)
				victim = i;
		if (victim >= 0)
			memcpy(name, s->e[victim].name, strlen(s->e[victim].name) + 1);
	}
	if (victim < 0 && find(s, dir, name) >= 0)
		return;
	if (depth_of(s, dir) + max_depth_below(s, src) + 1 > MAX_DEPTH + 1)
		return;
	path_of(s, src, from);
	int old_parent = s->e[src].parent;
	char old_name[256];
	memcpy(old_name, s->e[src].name, sizeof(old_name));
	s->e[src].parent = dir;
	memcpy(s->e[src].name, name, strlen(name) + 1);
	path_of(s, src, to);
	int r = s->fs->ops->rename(s->fs->state, from, to);
	if (r != 0) {
		fail(s, "rename", from, r);
		s->e[src].parent = old_parent;
		memcpy(s->e[src].name, old_name, sizeof(old_name));
		return;
	}
	if (victim >= 0)
		s->e[victim].used = false;
}

int fat_workload_run(const struct vfs_fs *fs, uint64_t seed, unsigned ops,
                     struct fat_workload_report *report)
{
	static struct state st;
	struct state *s = &st;

	memset(s, 0, sizeof(*s));
	memset(report, 0, sizeof(*report));
	s->fs = fs;
	s->rng = seed;
	s->rep = report;
	for (unsigned i = 0; i < ops; i++) {
		uint32_t k = below(s, 100);
		if (k < 25)
			op_create(s);
		else if (k < 40)
			op_write(s, false);
		else if (k < 55)
			op_write(s, true);
		else if (k < 64)
			op_truncate(s);
		else if (k < 76)
			op_rename(s);
		else if (k < 85)
			op_remove(s, false);
		else if (k < 94)
			op_mkdir(s);
		else if (k < 98)
			op_remove(s, true);
		else if (fs->ops->sync(fs->state, UINT64_MAX) != 0)
			fail(s, "sync", "", -1);
		report->ops++;
	}
	int r = fs->ops->sync(fs->state, UINT64_MAX);
	if (r != 0)
		fail(s, "sync", "", r);
	return report->failures == 0 ? 0 : -1;
}
