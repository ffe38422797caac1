/*
 * tmpfs: see tmpfs.h and docs/files.md ("tmpfs").
 *
 * Layout. An inode (`struct tmpfs_node`) is a regular file, a directory or a symbolic link
 * (its target in one allocation of its length, counted like everything else). A file's data is
 * a page table like a CPU's: `root` is a 4 KiB data page when `height` is 0, else a table
 * of 512 pointers to subtrees of height - 1; absent pages are holes and read as zeros. The
 * table is kept *canonical*: no empty table anywhere, and `height` the least that reaches
 * the last page. Canonical form is what lets a failed write undo itself exactly (prune what
 * it added on one path) and lets tmpfs_check compare the byte count with the tree.
 *
 * A directory holds its entries in a doubly linked list in insertion order. Each entry gets
 * the directory's next readdir cookie when it is linked (2, 3, ...; 0 and 1 are "." and
 * ".."), so cookies increase along the list and are never reused: readdir(c) returns the
 * first entry whose cookie is >= c, and an entry present throughout a listing is returned
 * exactly once whatever is added or removed meanwhile. A rename onto an existing name
 * keeps that entry (and its cookie) and only changes the inode it names. Name lookup is a
 * scan of the list comparing a 32-bit hash first; readdir keeps a hint (the entry it last
 * returned) so that a listing from start to end is linear, not quadratic.
 *
 * Every op checks everything and allocates everything it needs first, then links: after
 * the first change nothing can fail.
 */
#include "tmpfs.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PT_SHIFT      9u
#define PT_ENTRIES    (1u << PT_SHIFT)
#define PT_MAX_HEIGHT 4u /* 4096 << 36 == TMPFS_FILE_MAX */
/* Linux's tmpfs reports a directory's size as 20 bytes per entry, "." and ".." included. */
#define DIR_ENTRY_SIZE 20u
/* A read or write count must fit the long it returns. */
#define LONG_MAX_BYTES ((size_t)LONG_MAX)

struct tmpfs_dirent {
	struct tmpfs_dirent *prev, *next;
	struct tmpfs_node *node;
	uint64_t cookie;
	uint32_t hash;
	uint32_t name_len;
	char name[]; /* NUL-terminated */
};

struct tmpfs_node {
	uint64_t ino;
	uint32_t mode, uid, gid, nlink;
	uint32_t opens; /* handles on it: it lives while nlink or opens is not 0 */
	uint64_t atime, mtime, ctime;
	union {
		struct {
			uint64_t size;
			void *root;
			uint32_t height;
			uint64_t pages;  /* data pages */
			uint64_t tables; /* page-table pages */
		} file;
		struct {
			struct tmpfs_node *parent; /* NULL once removed */
			struct tmpfs_dirent *head, *tail;
			uint64_t entries, subdirs;
			uint64_t next_cookie;
			struct tmpfs_dirent *hint; /* the entry readdir returned last, or NULL */
		} dir;
		struct {
			char *target; /* not NUL-terminated */
			size_t len;
		} link;
	};
};

static bool is_dir(const struct tmpfs_node *n)
{
	return VFS_S_ISDIR(n->mode);
}

static bool is_link(const struct tmpfs_node *n)
{
	return VFS_S_ISLNK(n->mode);
}

/* ---- memory ---------------------------------------------------------------------------- */

static void *default_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void default_free(void *ctx, void *p, size_t size)
{
	(void)ctx, (void)size;
	free(p);
}

/* Memory for the tree, counted against max_bytes: NULL and *err -ENOSPC or -ENOMEM. */
static void *charge_alloc(struct tmpfs *fs, size_t size, int *err)
{
	if (fs->cfg.max_bytes && size > fs->cfg.max_bytes - fs->used_bytes) {
		*err = -VFS_ENOSPC;
		return NULL;
	}
	void *p = fs->cfg.alloc(fs->cfg.alloc_ctx, size);
	if (!p) {
		*err = -VFS_ENOMEM;
		return NULL;
	}
	fs->used_bytes += size;
	return p;
}

static void charge_free(struct tmpfs *fs, void *p, size_t size)
{
	fs->cfg.free(fs->cfg.alloc_ctx, p, size);
	fs->used_bytes -= size;
}

static size_t dirent_size(size_t name_len)
{
	return sizeof(struct tmpfs_dirent) + name_len + 1;
}

static uint64_t now(struct tmpfs *fs)
{
	return fs->cfg.now ? fs->cfg.now(fs->cfg.clock_ctx) : 0;
}

/* ---- file pages ------------------------------------------------------------------------ */

static uint64_t pt_capacity(uint32_t height) /* in pages */
{
	return UINT64_C(1) << (PT_SHIFT * height);
}

/* The slot that holds page `idx`, or NULL where the table has no path to it. */
static void **pt_find(struct tmpfs_node *n, uint64_t idx)
{
	uint32_t h = n->file.height;
	void **slot = &n->file.root;

	if (idx >= pt_capacity(h))
		return NULL;
	for (; h > 0; h--) {
		void **table = *slot;
		if (!table)
			return NULL;
		slot = &table[(idx >> (PT_SHIFT * (h - 1))) & (PT_ENTRIES - 1)];
	}
	return slot;
}

static bool table_empty(void **table)
{
	for (uint32_t i = 0; i < PT_ENTRIES; i++)
		if (table[i])
			return false;
	return true;
}

/*
 * Restores canonical form after pages were removed or a page could not be added: frees
 * the tables on the path to `idx` that hold nothing, then lowers the height while the top
 * table holds only its first entry.
 */
static void pt_prune(struct tmpfs *fs, struct tmpfs_node *n, uint64_t idx)
{
	void **path[PT_MAX_HEIGHT + 1];
	uint32_t depth = 0;
	void **slot = &n->file.root;

	if (idx < pt_capacity(n->file.height)) {
		for (uint32_t h = n->file.height; h > 0 && *slot; h--) {
			path[depth++] = slot;
			void **table = *slot;
			slot = &table[(idx >> (PT_SHIFT * (h - 1))) & (PT_ENTRIES - 1)];
		}
		while (depth > 0) {
			slot = path[--depth];
			if (!table_empty(*slot))
				break;
			charge_free(fs, *slot, TMPFS_PAGE_SIZE);
			n->file.tables--;
			*slot = NULL;
		}
	}
	while (n->file.height > 0) {
		void **top = n->file.root;
		if (!top) {
			n->file.height = 0;
			break;
		}
		bool only_first = true;
		for (uint32_t i = 1; i < PT_ENTRIES && only_first; i++)
			only_first = top[i] == NULL;
		if (!only_first)
			break;
		n->file.root = top[0];
		charge_free(fs, top, TMPFS_PAGE_SIZE);
		n->file.tables--;
		n->file.height--;
	}
}

/*
 * The page `idx` of a file for writing, allocated (zero-filled) if it is a hole. On
 * failure the table is as it was (canonical) and the error is returned.
 */
static int pt_page_for_write(struct tmpfs *fs, struct tmpfs_node *n, uint64_t idx, uint8_t **page)
{
	int err = 0;

	while (idx >= pt_capacity(n->file.height)) {
		if (!n->file.root) {
			n->file.height++; /* nothing to carry up: a height costs nothing */
			continue;
		}
		void **top = charge_alloc(fs, TMPFS_PAGE_SIZE, &err);
		if (!top)
			goto fail;
		memset(top, 0, TMPFS_PAGE_SIZE);
		top[0] = n->file.root;
		n->file.root = top;
		n->file.height++;
		n->file.tables++;
	}
	void **slot = &n->file.root;
	for (uint32_t h = n->file.height; h > 0; h--) {
		if (!*slot) {
			void **table = charge_alloc(fs, TMPFS_PAGE_SIZE, &err);
			if (!table)
				goto fail;
			memset(table, 0, TMPFS_PAGE_SIZE);
			*slot = table;
			n->file.tables++;
		}
		void **table = *slot;
		slot = &table[(idx >> (PT_SHIFT * (h - 1))) & (PT_ENTRIES - 1)];
	}
	if (!*slot) {
		uint8_t *p = charge_alloc(fs, TMPFS_PAGE_SIZE, &err);
		if (!p)
			goto fail;
		memset(p, 0, TMPFS_PAGE_SIZE);
		*slot = p;
		n->file.pages++;
	}
	*page = *slot;
	return 0;
fail:
	pt_prune(fs, n, idx);
	return err;
}

/*
 * Frees the pages at index >= `first` in the subtree `*slot` of height `h` whose first page
 * is `base`; frees tables left empty. Recursion depth is at most PT_MAX_HEIGHT.
 */
static void pt_free_from(struct tmpfs *fs, struct tmpfs_node *n, void **slot, uint32_t h,
                         uint64_t base, uint64_t first)
{
	if (!*slot)
		return;
	if (h == 0) {
		if (base >= first) {
			charge_free(fs, *slot, TMPFS_PAGE_SIZE);
			n->file.pages--;
			*slot = NULL;
		}
		return;
	}
	void **table = *slot;
	uint64_t span = pt_capacity(h - 1);
	for (uint32_t i = 0; i < PT_ENTRIES; i++) {
		uint64_t sub = base + i * span;
		if (sub + span > first)
			pt_free_from(fs, n, &table[i], h - 1, sub, first);
	}
	if (table_empty(table)) {
		charge_free(fs, table, TMPFS_PAGE_SIZE);
		n->file.tables--;
		*slot = NULL;
	}
}

/* Sets a file's size; cannot fail (size <= TMPFS_FILE_MAX, checked by the caller). */
static void file_resize(struct tmpfs *fs, struct tmpfs_node *n, uint64_t size)
{
	if (size < n->file.size) {
		/* Bytes past the end of the last page stay zero, so a later growth reads zeros. */
		uint64_t off = size % TMPFS_PAGE_SIZE;
		if (off) {
			void **slot = pt_find(n, size / TMPFS_PAGE_SIZE);
			if (slot && *slot)
				memset((uint8_t *)*slot + off, 0, TMPFS_PAGE_SIZE - off);
		}
		uint64_t first = (size + TMPFS_PAGE_SIZE - 1) / TMPFS_PAGE_SIZE;
		pt_free_from(fs, n, &n->file.root, n->file.height, 0, first);
		pt_prune(fs, n, first ? first - 1 : 0);
	}
	n->file.size = size;
}

/* ---- inodes and directory entries ------------------------------------------------------ */

static struct tmpfs_node *node_alloc(struct tmpfs *fs, uint32_t mode, int *err)
{
	if (fs->cfg.max_inodes && fs->inodes >= fs->cfg.max_inodes) {
		*err = -VFS_ENOSPC;
		return NULL;
	}
	struct tmpfs_node *n = charge_alloc(fs, sizeof(*n), err);
	if (!n)
		return NULL;
	uint64_t t = now(fs);
	*n = (struct tmpfs_node){
	    .mode = mode,
	    .uid = fs->cfg.uid,
	    .gid = fs->cfg.gid,
	    .atime = t,
	    .mtime = t,
	    .ctime = t,
	};
	if (VFS_S_ISDIR(mode)) {
		n->nlink = 1; /* its "."; its name adds one, each subdirectory's ".." one */
		n->dir.next_cookie = 2;
	}
	return n;
}

/* Gives a node allocated by node_alloc its number and counts it: the point of no return. */
static void node_commit(struct tmpfs *fs, struct tmpfs_node *n)
{
	n->ino = fs->next_ino++;
	fs->inodes++;
}

static void node_discard(struct tmpfs *fs, struct tmpfs_node *n)
{
	charge_free(fs, n, sizeof(*n));
}

/* Frees an inode no name and no handle refers to (a directory is empty by then). */
static void node_put(struct tmpfs *fs, struct tmpfs_node *n)
{
	if (n->nlink || n->opens)
		return;
	if (is_link(n))
		charge_free(fs, n->link.target, n->link.len);
	else if (!is_dir(n))
		file_resize(fs, n, 0);
	fs->inodes--;
	charge_free(fs, n, sizeof(*n));
}

static uint32_t name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 16777619u;
	return h;
}

static struct tmpfs_dirent *dir_find(const struct tmpfs_node *dir, const char *name, size_t len)
{
	uint32_t h = name_hash(name, len);
	for (struct tmpfs_dirent *e = dir->dir.head; e; e = e->next)
		if (e->hash == h && e->name_len == len && memcmp(e->name, name, len) == 0)
			return e;
	return NULL;
}

static struct tmpfs_dirent *dirent_alloc(struct tmpfs *fs, const char *name, size_t len, int *err)
{
	struct tmpfs_dirent *e = charge_alloc(fs, dirent_size(len), err);
	if (!e)
		return NULL;
	memset(e, 0, sizeof(*e));
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	e->name_len = (uint32_t)len;
	e->hash = name_hash(name, len);
	return e;
}

static void dirent_free(struct tmpfs *fs, struct tmpfs_dirent *e)
{
	charge_free(fs, e, dirent_size(e->name_len));
}

/* Counts a new name of `n` in `dir` (a directory's ".." is a link of its parent). */
static void link_count(struct tmpfs_node *dir, struct tmpfs_node *n)
{
	n->nlink++;
	if (is_dir(n)) {
		n->dir.parent = dir;
		dir->dir.subdirs++;
		dir->nlink++;
	}
}

static void unlink_count(struct tmpfs_node *dir, struct tmpfs_node *n)
{
	n->nlink--;
	if (is_dir(n)) {
		n->dir.parent = NULL;
		dir->dir.subdirs--;
		dir->nlink--;
	}
}

/* Appends `e` naming `n` to `dir`; counts the link. */
static void dir_link(struct tmpfs_node *dir, struct tmpfs_dirent *e, struct tmpfs_node *n)
{
	e->node = n;
	e->cookie = dir->dir.next_cookie++;
	e->next = NULL;
	e->prev = dir->dir.tail;
	if (dir->dir.tail)
		dir->dir.tail->next = e;
	else
		dir->dir.head = e;
	dir->dir.tail = e;
	dir->dir.entries++;
	link_count(dir, n);
}

/* Takes `e` out of `dir` (not freed) and drops the link it counted. */
static void dir_unlink(struct tmpfs_node *dir, struct tmpfs_dirent *e)
{
	if (dir->dir.hint == e)
		dir->dir.hint = e->prev;
	if (e->prev)
		e->prev->next = e->next;
	else
		dir->dir.head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		dir->dir.tail = e->prev;
	dir->dir.entries--;
	unlink_count(dir, e->node);
}

/* ---- paths ----------------------------------------------------------------------------- */

/* Checks that `path` is normal (fs.h): -EINVAL, or -ENAMETOOLONG for a long name or path. */
static int path_check(const char *path)
{
	size_t i = 0, start = 0;

	if (path[0] == '\0')
		return 0;
	for (;; i++) {
		if (i >= VFS_PATH_MAX)
			return -VFS_ENAMETOOLONG;
		char c = path[i];
		if (c != '/' && c != '\0')
			continue;
		size_t len = i - start;
		if (len == 0)
			return -VFS_EINVAL; /* leading, trailing or repeated '/' */
		if (len > VFS_NAME_MAX)
			return -VFS_ENAMETOOLONG;
		if (path[start] == '.' && (len == 1 || (len == 2 && path[start + 1] == '.')))
			return -VFS_EINVAL;
		if (c == '\0')
			return 0;
		start = i + 1;
	}
}

/*
 * Walks a checked path up to, not including, its last name: *dir the directory that would
 * hold it and *name, *len the last name. "" (the root) has no last name: -EBUSY.
 */
static int walk_parent(struct tmpfs *fs, const char *path, struct tmpfs_node **dir,
                       const char **name, size_t *len)
{
	int r = path_check(path);
	if (r)
		return r;
	if (path[0] == '\0')
		return -VFS_EBUSY;
	struct tmpfs_node *d = fs->root;
	const char *p = path;
	for (;;) {
		const char *slash = strchr(p, '/');
		if (!slash) {
			*dir = d;
			*name = p;
			*len = strlen(p);
			return 0;
		}
		struct tmpfs_dirent *e = dir_find(d, p, (size_t)(slash - p));
		if (!e)
			return -VFS_ENOENT;
		if (!is_dir(e->node))
			return -VFS_ENOTDIR;
		d = e->node;
		p = slash + 1;
	}
}

static int walk(struct tmpfs *fs, const char *path, struct tmpfs_node **out)
{
	struct tmpfs_node *dir;
	const char *name;
	size_t len;
	int r = walk_parent(fs, path, &dir, &name, &len);

	if (r == -VFS_EBUSY) {
		*out = fs->root;
		return 0;
	}
	if (r)
		return r;
	struct tmpfs_dirent *e = dir_find(dir, name, len);
	if (!e)
		return -VFS_ENOENT;
	*out = e->node;
	return 0;
}

/* ---- handles --------------------------------------------------------------------------- */

static struct tmpfs_node *handle_get(struct tmpfs *fs, uint64_t handle)
{
	return vfs_handles_get(&fs->handles, handle);
}

/* Makes sure a free slot exists (the table is not counted against max_bytes: opening a file
 * on a full tmpfs must still work). Growing it is invisible, so it may precede a failure. */
static int handle_reserve(struct tmpfs *fs)
{
	return vfs_handles_reserve(&fs->handles);
}

/* Takes the slot handle_reserve made sure of. */
static uint64_t handle_install(struct tmpfs *fs, struct tmpfs_node *n)
{
	n->opens++;
	return vfs_handles_install(&fs->handles, n);
}

static void handle_release(struct tmpfs *fs, uint64_t handle)
{
	struct tmpfs_node *n = vfs_handles_remove(&fs->handles, handle);
	n->opens--;
	node_put(fs, n);
}

/* ---- ops ------------------------------------------------------------------------------- */

static void fill_attr(const struct tmpfs_node *n, struct vfs_attr *a)
{
	*a = (struct vfs_attr){
	    .ino = n->ino,
	    .mode = n->mode,
	    .nlink = n->nlink,
	    .uid = n->uid,
	    .gid = n->gid,
	    .blksize = TMPFS_PAGE_SIZE,
	    .atime_ns = n->atime,
	    .mtime_ns = n->mtime,
	    .ctime_ns = n->ctime,
	};
	if (is_dir(n)) {
		a->size = (n->dir.entries + 2) * DIR_ENTRY_SIZE;
	} else if (is_link(n)) {
		a->size = n->link.len;
	} else {
		a->size = n->file.size;
		a->blocks = n->file.pages * (TMPFS_PAGE_SIZE / 512);
	}
}

static void touch_dir(struct tmpfs_node *dir, uint64_t t)
{
	dir->mtime = dir->ctime = t;
}

static int t_open(void *state, const char *path, uint32_t flags, uint32_t mode, uint64_t *handle,
                  struct vfs_attr *attr)
{
	struct tmpfs *fs = state;
	struct tmpfs_node *n = NULL;
	bool writing = (flags & VFS_O_ACCMODE) != VFS_O_RDONLY;
	int r;

	if ((flags & (VFS_O_CREAT | VFS_O_DIRECTORY)) == (VFS_O_CREAT | VFS_O_DIRECTORY))
		return -VFS_EINVAL; /* as Linux since 6.4: no such thing as creating a directory */
	if (flags & VFS_O_CREAT) {
		struct tmpfs_node *dir;
		const char *name;
		size_t len;
		r = walk_parent(fs, path, &dir, &name, &len);
		if (r == -VFS_EBUSY) {
			n = fs->root;
		} else if (r) {
			return r;
		} else {
			struct tmpfs_dirent *e = dir_find(dir, name, len);
			if (e) {
				n = e->node;
			} else {
				/* Everything that can fail first: the handle, the inode, the name.
				 */
				if ((r = handle_reserve(fs)))
					return r;
				n = node_alloc(fs, VFS_S_IFREG | (mode & 07777), &r);
				if (!n)
					return r;
				e = dirent_alloc(fs, name, len, &r);
				if (!e) {
					node_discard(fs, n);
					return r;
				}
				node_commit(fs, n);
				dir_link(dir, e, n);
				touch_dir(dir, n->ctime);
				*handle = handle_install(fs, n);
				fill_attr(n, attr);
				return 0;
			}
		}
		if (flags & VFS_O_EXCL)
			return -VFS_EEXIST;
		if (is_dir(n))
			return -VFS_EISDIR; /* O_CREAT on a directory, as Linux */
	} else if ((r = walk(fs, path, &n))) {
		return r;
	}
	if (is_link(n))
		return -VFS_ELOOP; /* the VFS follows links; it never opens one (fs.h) */
	if ((flags & VFS_O_DIRECTORY) && !is_dir(n))
		return -VFS_ENOTDIR;
	if (is_dir(n) && writing)
		return -VFS_EISDIR;
	if ((r = handle_reserve(fs)))
		return r;
	if ((flags & VFS_O_TRUNC) && writing && !is_dir(n)) {
		file_resize(fs, n, 0);
		n->mtime = n->ctime = now(fs);
	}
	*handle = handle_install(fs, n);
	fill_attr(n, attr);
	return 0;
}

static int t_close(void *state, uint64_t handle)
{
	struct tmpfs *fs = state;

	if (!handle_get(fs, handle))
		return -VFS_EBADF;
	handle_release(fs, handle);
	return 0;
}

static long t_read(void *state, uint64_t handle, uint64_t offset, void *buf, size_t len)
{
	struct tmpfs *fs = state;
	struct tmpfs_node *n = handle_get(fs, handle);

	if (!n)
		return -VFS_EBADF;
	if (is_dir(n))
		return -VFS_EISDIR;
	if (len == 0)
		return 0;
	if (len > LONG_MAX_BYTES)
		len = LONG_MAX_BYTES;
	n->atime = now(fs);
	if (offset >= n->file.size)
		return 0;
	if (len > n->file.size - offset)
		len = (size_t)(n->file.size - offset);
	uint8_t *out = buf;
	size_t done = 0;
	while (done < len) {
		uint64_t pos = offset + done;
		size_t in = (size_t)(pos % TMPFS_PAGE_SIZE);
		size_t chunk = TMPFS_PAGE_SIZE - in;
		if (chunk > len - done)
			chunk = len - done;
		void **slot = pt_find(n, pos / TMPFS_PAGE_SIZE);
		if (slot && *slot)
			memcpy(out + done, (uint8_t *)*slot + in, chunk);
		else
			memset(out + done, 0, chunk);
		done += chunk;
	}
	return (long)done;
}

static long t_write(void *state, uint64_t handle, uint64_t offset, const void *buf, size_t len)
{
	struct tmpfs *fs = state;
	struct tmpfs_node *n = handle_get(fs, handle);

	if (!n)
		return -VFS_EBADF;
	if (is_dir(n))
		return -VFS_EISDIR;
	if (len == 0)
		return 0;
	if (offset >= TMPFS_FILE_MAX)
		return -VFS_EFBIG;
	if (len > TMPFS_FILE_MAX - offset)
		len = (size_t)(TMPFS_FILE_MAX - offset); /* a short write up to the limit */
	if (len > LONG_MAX_BYTES)
		len = LONG_MAX_BYTES;
	const uint8_t *in = buf;
	size_t done = 0;
	int err = 0;
	while (done < len) {
		uint64_t pos = offset + done;
		size_t at = (size_t)(pos % TMPFS_PAGE_SIZE);
		size_t chunk = TMPFS_PAGE_SIZE - at;
		if (chunk > len - done)
			chunk = len - done;
		uint8_t *page;
		if ((err = pt_page_for_write(fs, n, pos / TMPFS_PAGE_SIZE, &page)))
			break;
		memcpy(page + at, in + done, chunk);
		done += chunk;
	}
	if (done == 0)
		return err;
	if (offset + done > n->file.size)
		n->file.size = offset + done;
	n->mtime = n->ctime = now(fs);
	return (long)done;
}

static int t_truncate(void *state, uint64_t handle, uint64_t size)
{
	struct tmpfs *fs = state;
	struct tmpfs_node *n = handle_get(fs, handle);

	if (!n)
		return -VFS_EBADF;
	if (is_dir(n))
		return -VFS_EISDIR;
	if (size > TMPFS_FILE_MAX)
		return -VFS_EFBIG;
	file_resize(fs, n, size);
	n->mtime = n->ctime = now(fs);
	return 0;
}

static int t_getattr(void *state, uint64_t handle, struct vfs_attr *attr)
{
	struct tmpfs *fs = state;
	struct tmpfs_node *n = handle_get(fs, handle);

	if (!n)
		return -VFS_EBADF;
	fill_attr(n, attr);
	return 0;
}

static int t_setattr(void *state, uint64_t handle, uint32_t which, const struct vfs_attr *attr)
{
	struct tmpfs *fs = state;
	struct tmpfs_node *n = handle_get(fs, handle);
	const uint32_t known =
	    VFS_SET_MODE | VFS_SET_UID | VFS_SET_GID | VFS_SET_ATIME | VFS_SET_MTIME;

	if (!n)
		return -VFS_EBADF;
	if (which & ~known)
		return -VFS_EINVAL;
	if (which & VFS_SET_MODE)
		n->mode = (n->mode & VFS_S_IFMT) | (attr->mode & 07777);
	if (which & VFS_SET_UID)
		n->uid = attr->uid;
	if (which & VFS_SET_GID)
		n->gid = attr->gid;
	if (which & VFS_SET_ATIME)
		n->atime = attr->atime_ns;
	if (which & VFS_SET_MTIME)
		n->mtime = attr->mtime_ns;
	if (which)
		n->ctime = now(fs); /* chmod, chown and utimes all change the status */
	return 0;
}

static void fill_dirent(struct vfs_dirent *ent, uint64_t ino, uint64_t next, uint32_t type,
                        const char *name, size_t len)
{
	ent->ino = ino;
	ent->next = next;
	ent->type = type;
	ent->name_len = (uint32_t)len;
	memcpy(ent->name, name, len);
	ent->name[len] = '\0';
}

static int t_readdir(void *state, uint64_t handle, uint64_t cookie, struct vfs_dirent *ent)
{
	struct tmpfs *fs = state;
	struct tmpfs_node *d = handle_get(fs, handle);

	if (!d)
		return -VFS_EBADF;
	if (!is_dir(d))
		return -VFS_ENOTDIR;
	if (d->nlink == 0)
		return 0; /* removed: empty, not even "." and "..", as Linux */
	d->atime = now(fs);
	if (cookie == 0) {
		fill_dirent(ent, d->ino, 1, VFS_DT_DIR, ".", 1);
		return 1;
	}
	if (cookie == 1) {
		struct tmpfs_node *p = d->dir.parent ? d->dir.parent : d;
		fill_dirent(ent, p->ino, 2, VFS_DT_DIR, "..", 2);
		return 1;
	}
	/* Entries before the hint have cookies below it: a sequential listing starts there. */
	struct tmpfs_dirent *e = d->dir.head;
	if (d->dir.hint && d->dir.hint->cookie < cookie)
		e = d->dir.hint->next;
	while (e && e->cookie < cookie)
		e = e->next;
	if (!e)
		return 0;
	d->dir.hint = e;
	uint32_t type = is_dir(e->node) ? VFS_DT_DIR : is_link(e->node) ? VFS_DT_LNK : VFS_DT_REG;
	fill_dirent(ent, e->node->ino, e->cookie + 1, type, e->name, e->name_len);
	return 1;
}

static int t_stat(void *state, const char *path, struct vfs_attr *attr)
{
	struct tmpfs *fs = state;
	struct tmpfs_node *n;
	int r = walk(fs, path, &n);

	if (r)
		return r;
	fill_attr(n, attr);
	return 0;
}

static int t_mkdir(void *state, const char *path, uint32_t mode)
{
	struct tmpfs *fs = state;
	struct tmpfs_node *dir, *n;
	struct tmpfs_dirent *e;
	const char *name;
	size_t len;
	int r = walk_parent(fs, path, &dir, &name, &len);

	if (r == -VFS_EBUSY)
		return -VFS_EEXIST; /* the root */
	if (r)
		return r;
	if (dir_find(dir, name, len))
		return -VFS_EEXIST;
	if (!(n = node_alloc(fs, VFS_S_IFDIR | (mode & 07777), &r)))
		return r;
	if (!(e = dirent_alloc(fs, name, len, &r))) {
		node_discard(fs, n);
		return r;
	}
	node_commit(fs, n);
	dir_link(dir, e, n);
	touch_dir(dir, n->ctime);
	return 0;
}

/* Removes the entry `e` of `dir`; `n` its inode gets the ctime of the change. */
static void remove_entry(struct tmpfs *fs, struct tmpfs_node *dir, struct tmpfs_dirent *e)
{
	struct tmpfs_node *n = e->node;
	uint64_t t = now(fs);

	dir_unlink(dir, e);
	dirent_free(fs, e);
	if (is_dir(n))
		n->nlink = 0; /* an empty directory loses its "." with its name */
	touch_dir(dir, t);
	n->ctime = t;
	node_put(fs, n);
}

static int t_rmdir(void *state, const char *path)
{
	struct tmpfs *fs = state;
	struct tmpfs_node *dir;
	const char *name;
	size_t len;
	int r = walk_parent(fs, path, &dir, &name, &len);

	if (r)
		return r; /* -EBUSY for the root */
	struct tmpfs_dirent *e = dir_find(dir, name, len);
	if (!e)
		return -VFS_ENOENT;
	if (!is_dir(e->node))
		return -VFS_ENOTDIR;
	if (e->node->dir.entries)
		return -VFS_ENOTEMPTY;
	remove_entry(fs, dir, e);
	return 0;
}

static int t_unlink(void *state, const char *path)
{
	struct tmpfs *fs = state;
	struct tmpfs_node *dir;
	const char *name;
	size_t len;
	int r = walk_parent(fs, path, &dir, &name, &len);

	if (r == -VFS_EBUSY)
		return -VFS_EISDIR; /* the root, as unlink("/") on Linux */
	if (r)
		return r;
	struct tmpfs_dirent *e = dir_find(dir, name, len);
	if (!e)
		return -VFS_ENOENT;
	if (is_dir(e->node))
		return -VFS_EISDIR;
	remove_entry(fs, dir, e);
	return 0;
}

static int t_rename(void *state, const char *from, const char *to)
{
	struct tmpfs *fs = state;
	struct tmpfs_node *fdir, *tdir;
	const char *fname, *tname;
	size_t flen, tlen;
	int r;

	if ((r = walk_parent(fs, from, &fdir, &fname, &flen)))
		return r; /* -EBUSY for the root */
	struct tmpfs_dirent *fe = dir_find(fdir, fname, flen);
	if (!fe)
		return -VFS_ENOENT;
	if ((r = walk_parent(fs, to, &tdir, &tname, &tlen)))
		return r;
	struct tmpfs_node *n = fe->node;
	struct tmpfs_dirent *te = dir_find(tdir, tname, tlen);
	if (te == fe)
		return 0; /* the same name: nothing to do (POSIX) */
	if (is_dir(n)) {
		/* Not into itself or below it: walk up from the destination. */
		for (struct tmpfs_node *p = tdir; p; p = p->dir.parent)
			if (p == n)
				return -VFS_EINVAL;
	}
	struct tmpfs_node *old = te ? te->node : NULL;
	if (old) {
		if (is_dir(n) && !is_dir(old))
			return -VFS_ENOTDIR;
		if (!is_dir(n) && is_dir(old))
			return -VFS_EISDIR;
		if (is_dir(old) && old->dir.entries)
			return -VFS_ENOTEMPTY;
	}
	struct tmpfs_dirent *ne = NULL;
	if (!old) {
		/* The new name is allocated before the old one is freed: let the limit count
		 * only the difference, so a rename on a full tmpfs works when names shrink. */
		size_t need = dirent_size(tlen), give = dirent_size(flen);
		if (fs->cfg.max_bytes && need > give &&
		    need - give > fs->cfg.max_bytes - fs->used_bytes)
			return -VFS_ENOSPC;
		uint64_t max = fs->cfg.max_bytes;
		fs->cfg.max_bytes = 0; /* checked just above */
		ne = dirent_alloc(fs, tname, tlen, &r);
		fs->cfg.max_bytes = max;
		if (!ne)
			return r;
	}

	/* Nothing fails from here. */
	uint64_t t = now(fs);
	dir_unlink(fdir, fe);
	dirent_free(fs, fe);
	if (old) {
		/* The destination keeps its entry (and readdir cookie), now naming `n`. */
		unlink_count(tdir, old);
		if (is_dir(old))
			old->nlink = 0;
		old->ctime = t;
		te->node = n;
		link_count(tdir, n);
	} else {
		dir_link(tdir, ne, n);
	}
	n->ctime = t;
	touch_dir(fdir, t);
	touch_dir(tdir, t);
	if (old)
		node_put(fs, old);
	return 0;
}

static int t_symlink(void *state, const char *path, const char *target, size_t len)
{
	struct tmpfs *fs = state;
	struct tmpfs_node *dir, *n;
	struct tmpfs_dirent *e;
	const char *name;
	size_t nlen;
	int r = walk_parent(fs, path, &dir, &name, &nlen);

	if (r == -VFS_EBUSY)
		return -VFS_EEXIST; /* the root */
	if (r)
		return r;
	if (!vfs_link_target_ok(target, len))
		return -VFS_EINVAL;
	if (dir_find(dir, name, nlen))
		return -VFS_EEXIST;
	if (!(n = node_alloc(fs, VFS_S_IFLNK | 0777u, &r)))
		return r;
	if (!(n->link.target = charge_alloc(fs, len, &r))) {
		node_discard(fs, n);
		return r;
	}
	if (!(e = dirent_alloc(fs, name, nlen, &r))) {
		charge_free(fs, n->link.target, len);
		node_discard(fs, n);
		return r;
	}
	memcpy(n->link.target, target, len);
	n->link.len = len;
	node_commit(fs, n);
	dir_link(dir, e, n);
	touch_dir(dir, n->ctime);
	return 0;
}

static long t_readlink(void *state, const char *path, char *buf, size_t size)
{
	struct tmpfs *fs = state;
	struct tmpfs_node *n;
	int r = walk(fs, path, &n);

	if (r)
		return r;
	if (!is_link(n))
		return -VFS_EINVAL;
	size_t k = n->link.len < size ? n->link.len : size;
	memcpy(buf, n->link.target, k);
	n->atime = now(fs);
	return (long)k;
}

static int t_sync(void *state, uint64_t handle)
{
	struct tmpfs *fs = state;

	if (handle != UINT64_MAX && !handle_get(fs, handle))
		return -VFS_EBADF;
	return 0; /* memory is the device */
}

static int t_statfs(void *state, struct vfs_statfs *st)
{
	struct tmpfs *fs = state;
	uint64_t max = fs->cfg.max_bytes ? fs->cfg.max_bytes : UINT64_MAX;

	*st = (struct vfs_statfs){
	    .bsize = TMPFS_PAGE_SIZE,
	    .blocks = max / TMPFS_PAGE_SIZE,
	    .bfree = (max - fs->used_bytes) / TMPFS_PAGE_SIZE,
	    .files = fs->cfg.max_inodes,
	    .ffree = fs->cfg.max_inodes ? fs->cfg.max_inodes - fs->inodes : 0,
	    .namemax = VFS_NAME_MAX,
	    .type = "tmpfs",
	};
	return 0;
}

const struct vfs_fs_ops tmpfs_ops = {
    .open = t_open,
    .close = t_close,
    .read = t_read,
    .write = t_write,
    .truncate = t_truncate,
    .getattr = t_getattr,
    .setattr = t_setattr,
    .readdir = t_readdir,
    .stat = t_stat,
    .mkdir = t_mkdir,
    .rmdir = t_rmdir,
    .unlink = t_unlink,
    .rename = t_rename,
    .sync = t_sync,
    .statfs = t_statfs,
    .symlink = t_symlink,
    .readlink = t_readlink,
};

/* ---- set-up, tear-down, checking ------------------------------------------------------- */

int tmpfs_init(struct tmpfs *fs, const struct tmpfs_config *cfg)
{
	int r;

	*fs = (struct tmpfs){.cfg = *cfg, .next_ino = 1};
	if (!fs->cfg.alloc || !fs->cfg.free) {
		fs->cfg.alloc = default_alloc;
		fs->cfg.free = default_free;
	}
	vfs_handles_init(&fs->handles, fs->cfg.alloc, fs->cfg.free, fs->cfg.alloc_ctx);
	struct tmpfs_node *root = node_alloc(fs, VFS_S_IFDIR | (cfg->root_mode & 07777), &r);
	if (!root)
		return r;
	node_commit(fs, root);
	root->uid = cfg->root_uid;
	root->gid = cfg->root_gid;
	root->nlink = 2; /* its "." and its ".." (itself) */
	fs->root = root;
	return 0;
}

void tmpfs_destroy(struct tmpfs *fs)
{
	/* Handles first: an unlinked file or directory is only reachable through them. */
	for (uint32_t i = 0; i < fs->handles.cap; i++) {
		struct tmpfs_node *n = fs->handles.slots[i].obj;
		if (n) {
			fs->handles.slots[i].obj = NULL;
			n->opens--;
			node_put(fs, n);
		}
	}
	/* Then the tree, depth first without recursion (directories nest ~2000 deep). */
	struct tmpfs_node *d = fs->root;
	while (d) {
		struct tmpfs_dirent *e = d->dir.head;
		if (!e) {
			struct tmpfs_node *up = d->dir.parent;
			fs->inodes--;
			charge_free(fs, d, sizeof(*d));
			d = up;
			continue;
		}
		struct tmpfs_node *n = e->node;
		dir_unlink(d, e);
		dirent_free(fs, e);
		if (is_dir(n)) {
			n->dir.parent = d; /* dir_unlink cleared it; the walk climbs back by it */
			d = n;
		} else {
			n->opens = 0;
			node_put(fs, n);
		}
	}
	vfs_handles_fini(&fs->handles);
	fs->root = NULL;
}

struct check {
	char *why;
	size_t why_len;
	bool bad;
	uint64_t bytes, inodes;
};

static void complain(struct check *c, const char *fmt, ...)
{
	if (c->bad)
		return; /* the first problem is the one worth reading */
	c->bad = true;
	if (c->why && c->why_len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->why, c->why_len, fmt, ap);
		va_end(ap);
	}
}

/* Counts the pages and tables of a subtree; complains about empty tables and pages past
 * `end` (the first page index past the file's size). */
static void check_pages(struct check *c, const struct tmpfs_node *n, void *p, uint32_t h,
                        uint64_t base, uint64_t end, uint64_t *pages, uint64_t *tables)
{
	if (!p)
		return;
	if (h == 0) {
		if (base >= end)
			complain(c, "ino %llu: page %llu past the size", (unsigned long long)n->ino,
			         (unsigned long long)base);
		(*pages)++;
		return;
	}
	void **table = p;
	(*tables)++;
	if (table_empty(table))
		complain(c, "ino %llu: an empty page table", (unsigned long long)n->ino);
	for (uint32_t i = 0; i < PT_ENTRIES; i++)
		check_pages(c, n, table[i], h - 1, base + i * pt_capacity(h - 1), end, pages,
		            tables);
}

static uint32_t handle_refs(const struct tmpfs *fs, const struct tmpfs_node *n)
{
	uint32_t refs = 0;
	for (uint32_t i = 0; i < fs->handles.cap; i++)
		refs += fs->handles.slots[i].obj == n;
	return refs;
}

static void check_node(struct check *c, const struct tmpfs *fs, const struct tmpfs_node *n)
{
	unsigned long long ino = (unsigned long long)n->ino;

	c->inodes++;
	c->bytes += sizeof(*n);
	if (n->ino == 0 || n->ino >= fs->next_ino)
		complain(c, "ino %llu out of range", ino);
	if (handle_refs(fs, n) != n->opens)
		complain(c, "ino %llu: opens %u, handles %u", ino, n->opens, handle_refs(fs, n));
	if (is_dir(n)) {
		uint64_t entries = 0, subdirs = 0, last = 1;
		bool hint_seen = n->dir.hint == NULL;
		const struct tmpfs_dirent *prev = NULL;
		for (const struct tmpfs_dirent *e = n->dir.head; e; prev = e, e = e->next) {
			entries++;
			subdirs += is_dir(e->node);
			c->bytes += dirent_size(e->name_len);
			hint_seen |= e == n->dir.hint;
			if (e->prev != prev)
				complain(c, "ino %llu: broken entry list", ino);
			if (e->cookie <= last || e->cookie >= n->dir.next_cookie)
				complain(c, "ino %llu: cookie %llu out of order", ino,
				         (unsigned long long)e->cookie);
			last = e->cookie;
			if (e->name_len == 0 || e->name_len > VFS_NAME_MAX ||
			    strlen(e->name) != e->name_len ||
			    e->hash != name_hash(e->name, e->name_len))
				complain(c, "ino %llu: a bad name", ino);
			if (dir_find(n, e->name, e->name_len) != e)
				complain(c, "ino %llu: '%s' twice", ino, e->name);
			if (is_dir(e->node) && e->node->dir.parent != n)
				complain(c, "ino %llu: '%s' has another parent", ino, e->name);
			if (!is_dir(e->node) && e->node->nlink != 1)
				complain(c, "ino %llu: '%s' nlink %u", ino, e->name,
				         e->node->nlink);
		}
		if (prev != n->dir.tail)
			complain(c, "ino %llu: tail is not the last entry", ino);
		if (!hint_seen)
			complain(c, "ino %llu: readdir hint not in the directory", ino);
		if (entries != n->dir.entries || subdirs != n->dir.subdirs)
			complain(c, "ino %llu: %llu entries, %llu subdirs counted", ino,
			         (unsigned long long)entries, (unsigned long long)subdirs);
		uint32_t want = n->dir.parent || n == fs->root ? 2 + (uint32_t)subdirs : 0;
		if (n->nlink != want)
			complain(c, "ino %llu: nlink %u, want %u", ino, n->nlink, want);
	} else if (is_link(n)) {
		c->bytes += n->link.len;
		if (!vfs_link_target_ok(n->link.target, n->link.len))
			complain(c, "ino %llu: a bad link target", ino);
	} else {
		uint64_t pages = 0, tables = 0;
		uint64_t end = (n->file.size + TMPFS_PAGE_SIZE - 1) / TMPFS_PAGE_SIZE;
		check_pages(c, n, n->file.root, n->file.height, 0, end, &pages, &tables);
		c->bytes += (pages + tables) * TMPFS_PAGE_SIZE;
		if (pages != n->file.pages || tables != n->file.tables)
			complain(c, "ino %llu: page counts", ino);
		if (n->file.height > PT_MAX_HEIGHT)
			complain(c, "ino %llu: height %u", ino, n->file.height);
		if (n->file.height > 0) {
			void **top = n->file.root;
			bool only_first = true;
			for (uint32_t i = 1; top && i < PT_ENTRIES; i++)
				only_first &= top[i] == NULL;
			if (!top || only_first)
				complain(c, "ino %llu: page table higher than needed", ino);
		}
		uint64_t off = n->file.size % TMPFS_PAGE_SIZE;
		void **slot =
		    off ? pt_find((struct tmpfs_node *)n, n->file.size / TMPFS_PAGE_SIZE) : NULL;
		if (slot && *slot)
			for (uint64_t i = off; i < TMPFS_PAGE_SIZE; i++)
				if (((uint8_t *)*slot)[i])
					complain(c, "ino %llu: a non-zero byte past the size", ino);
	}
}

int tmpfs_check(const struct tmpfs *fs, char *why, size_t why_len)
{
	struct check c = {.why = why, .why_len = why_len};

	if (why && why_len)
		why[0] = '\0';
	/* The tree, depth first; climbing back up finds the child's place by a scan. */
	const struct tmpfs_node *d = fs->root;
	const struct tmpfs_dirent *e;
	check_node(&c, fs, d);
	if (d->dir.parent)
		complain(&c, "the root has a parent");
	e = d->dir.head;
	while (d && !c.bad) {
		if (!e) {
			const struct tmpfs_node *up = d->dir.parent;
			if (!up)
				break;
			for (e = up->dir.head; e && e->node != d; e = e->next)
				;
			if (!e) {
				complain(&c, "ino %llu: not in its parent",
				         (unsigned long long)d->ino);
				break;
			}
			d = up;
			e = e->next;
			continue;
		}
		check_node(&c, fs, e->node);
		if (is_dir(e->node)) {
			d = e->node;
			e = d->dir.head;
		} else {
			e = e->next;
		}
	}
	/* Unlinked inodes that handles keep alive, each once. */
	uint32_t open = 0;
	for (uint32_t i = 0; i < fs->handles.cap; i++) {
		const struct tmpfs_node *n = fs->handles.slots[i].obj;
		if (!n)
			continue;
		open++;
		if (n->nlink)
			continue;
		bool first = true;
		for (uint32_t j = 0; j < i; j++)
			first &= fs->handles.slots[j].obj != n;
		if (first)
			check_node(&c, fs, n);
	}
	if (open != fs->handles.open)
		complain(&c, "%u handles open, %u counted", fs->handles.open, open);
	if (c.inodes != fs->inodes)
		complain(&c, "%llu inodes, %llu counted", (unsigned long long)c.inodes,
		         (unsigned long long)fs->inodes);
	if (c.bytes != fs->used_bytes)
		complain(&c, "%llu bytes in the tree, %llu counted", (unsigned long long)c.bytes,
		         (unsigned long long)fs->used_bytes);
	if (fs->cfg.max_bytes && fs->used_bytes > fs->cfg.max_bytes)
		complain(&c, "over the byte limit");
	if (fs->cfg.max_inodes && fs->inodes > fs->cfg.max_inodes)
		complain(&c, "over the inode limit");
	return c.bad ? -1 : 0;
}
