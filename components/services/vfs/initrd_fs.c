/*
 * initrd_fs: see initrd_fs.h and docs/files.md ("The initrd file system").
 *
 * The index is an array of nodes sorted by path (bytewise), the root "" first. A node is an
 * archive entry (the last one when a path occurs twice, as Linux unpacks an initramfs) or a
 * directory that some entry's path implies. Paths are not copied: a node's path points into
 * the archive's name of an entry (an implied directory uses a prefix of it). Directories
 * link their children in path order; a readdir cookie is a child's node index + 3, so it is
 * checked (the node's parent must be the directory) and never goes stale: nothing changes.
 */
#include "initrd_fs.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
/* Readdir cookies: 0 ".", 1 "..", 2 the first child, COOKIE_BASE + i the child at index i. */
#define COOKIE_FIRST 2u
#define COOKIE_BASE  3u

struct initrd_node {
	const char *path; /* normal, not NUL-terminated */
	uint32_t len;
	uint32_t name; /* offset of the last component in path */
	int64_t order; /* the entry's place in the archive; -1 for an implied directory */
	uint32_t parent, first_child, next_sibling;
	uint32_t mode, uid, gid, nlink;
	uint32_t a_ino, a_dev_major, a_dev_minor; /* the archive's, to join hard links */
	uint64_t ino, mtime_ns;
	const uint8_t *data;
	uint64_t size;
};

static bool node_is_dir(const struct initrd_node *n)
{
	return VFS_S_ISDIR(n->mode);
}

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

/* ---- the index ------------------------------------------------------------------------- */

/* The comparable form of an archive name (as cpio_lookup's): no leading "/" or "./", no
 * trailing "/", "." alone is the root "". */
static void normalize(const char *p, size_t len, const char **out, size_t *out_len)
{
	for (;;) {
		if (len >= 1 && p[0] == '/')
			p++, len--;
		else if (len >= 2 && p[0] == '.' && p[1] == '/')
			p += 2, len -= 2;
		else
			break;
	}
	while (len > 0 && p[len - 1] == '/')
		len--;
	if (len == 1 && p[0] == '.')
		len = 0;
	*out = p;
	*out_len = len;
}

/* Checks the components of a normalized name: 0, -EINVAL or -ENAMETOOLONG. */
static int check_components(const char *p, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		size_t n = i - start;
		if (n == 0 || (n == 1 && p[start] == '.') ||
		    (n == 2 && p[start] == '.' && p[start + 1] == '.'))
			return -VFS_EINVAL;
		if (n > VFS_NAME_MAX)
			return -VFS_ENAMETOOLONG;
		start = i + 1;
	}
	return 0;
}

static int path_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int node_cmp(const void *x, const void *y)
{
	const struct initrd_node *a = x, *b = y;
	int c = path_cmp(a->path, a->len, b->path, b->len);
	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static uint32_t find(const struct initrd_fs *fs, const char *path, size_t len)
{
	uint32_t lo = 0, hi = fs->count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct initrd_node *n = &fs->nodes[mid];
		int c = path_cmp(n->path, n->len, path, len);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

static struct initrd_node implied_dir(const char *path, size_t len)
{
	return (struct initrd_node){
	    .path = path,
	    .len = (uint32_t)len,
	    .order = -1,
	    .mode = VFS_S_IFDIR | 0755,
	};
}

static int refuse(struct initrd_fs *fs, int err, const char *why)
{
	fs->why = why;
	if (fs->nodes)
		fs->cfg.free(fs->cfg.alloc_ctx, fs->nodes, fs->count_alloc * sizeof(*fs->nodes));
	fs->nodes = NULL;
	fs->count = fs->count_alloc = 0;
	return err;
}

int initrd_fs_init(struct initrd_fs *fs, const struct initrd_fs_config *cfg)
{
	struct cpio_entry e;
	size_t cursor = 0, total = 1;
	const char *p;
	size_t len;
	int r;

	*fs = (struct initrd_fs){.cfg = *cfg, .why = ""};
	if (!fs->cfg.alloc || !fs->cfg.free) {
		fs->cfg.alloc = default_alloc;
		fs->cfg.free = default_free;
	}
	vfs_handles_init(&fs->handles, fs->cfg.alloc, fs->cfg.free, fs->cfg.alloc_ctx);
	fs->cpio_status = cpio_open(&fs->ar, cfg->base, cfg->size);
	if (fs->cpio_status != CPIO_OK)
		return refuse(fs, -VFS_EINVAL, cpio_strerror(fs->cpio_status));

	/* Pass 1: check every name, count the nodes (an entry and its parent paths). */
	while (cpio_next(&fs->ar, &cursor, &e) == CPIO_OK) {
		normalize(e.name, e.name_len, &p, &len);
		if (len == 0) {
			total++;
			continue;
		}
		if ((r = check_components(p, len)))
			return refuse(fs, r,
			              r == -VFS_EINVAL
			                  ? "a name with an empty, '.' or '..' component"
			                  : "a name component over 255 bytes");
		total++;
		for (size_t i = 0; i < len; i++)
			total += p[i] == '/';
	}
	if (total >= NONE - COOKIE_BASE || total > SIZE_MAX / sizeof(struct initrd_node))
		return refuse(fs, -VFS_ENOMEM, "too many entries");
	struct initrd_node *nodes = fs->cfg.alloc(fs->cfg.alloc_ctx, total * sizeof(*nodes));
	if (!nodes)
		return refuse(fs, -VFS_ENOMEM, "no memory for the index");
	fs->nodes = nodes;
	fs->count = fs->count_alloc = (uint32_t)total;

	/* Pass 2: the nodes, the implied directories included, then sorted. */
	size_t n = 0;
	nodes[n++] = implied_dir("", 0);
	cursor = 0;
	for (int64_t order = 0; cpio_next(&fs->ar, &cursor, &e) == CPIO_OK; order++) {
		normalize(e.name, e.name_len, &p, &len);
		for (size_t i = 0; i < len; i++)
			if (p[i] == '/')
				nodes[n++] = implied_dir(p, i);
		nodes[n++] = (struct initrd_node){
		    .path = p,
		    .len = (uint32_t)len,
		    .order = order,
		    .mode = e.mode,
		    .uid = e.uid,
		    .gid = e.gid,
		    .nlink = e.nlink,
		    .a_ino = e.ino,
		    .a_dev_major = e.devmajor,
		    .a_dev_minor = e.devminor,
		    .mtime_ns = (uint64_t)e.mtime * 1000000000u,
		    .data = e.data,
		    .size = e.size,
		};
	}
	qsort(nodes, n, sizeof(*nodes), node_cmp);

	/* One node per path: the last of equal paths (sorted by order, implied ones first). */
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && nodes[i + 1].len == nodes[i].len &&
		    memcmp(nodes[i + 1].path, nodes[i].path, nodes[i].len) == 0)
			continue;
		nodes[out++] = nodes[i];
	}
	fs->count = (uint32_t)out; /* count_alloc stays, for the free */

	/* Parents, children in path order, nlink, inode numbers. */
	for (uint32_t i = 0; i < fs->count; i++) {
		struct initrd_node *nd = &nodes[i];
		nd->parent = nd->first_child = nd->next_sibling = NONE;
		nd->ino = i + 1;
		if (node_is_dir(nd))
			nd->nlink = 2;
		nd->name = 0;
		for (uint32_t k = nd->len; k > 0; k--) {
			if (nd->path[k - 1] == '/') {
				nd->name = k;
				break;
			}
		}
	}
	if (!node_is_dir(&nodes[0]))
		return refuse(fs, -VFS_EINVAL, "the root entry '.' is not a directory");
	/* A link's target is a path the VFS will resolve: 1 to VFS_PATH_MAX - 1 bytes, no NUL
	 * (Linux's initramfs unpacker takes the NUL as its end; better to refuse than guess). */
	for (uint32_t i = 0; i < fs->count; i++) {
		const struct initrd_node *nd = &nodes[i];
		if (VFS_S_ISLNK(nd->mode) && !vfs_link_target_ok((const char *)nd->data, nd->size))
			return refuse(fs, -VFS_EINVAL,
			              "a symbolic link with an empty, long or NUL target");
	}
	for (uint32_t i = fs->count; i-- > 1;) {
		struct initrd_node *nd = &nodes[i];
		uint32_t parent = nd->name ? find(fs, nd->path, nd->name - 1) : 0;
		if (parent == NONE || !node_is_dir(&nodes[parent]))
			return refuse(fs, -VFS_EINVAL,
			              "a file is used as a directory by another entry");
		nd->parent = parent;
		nd->next_sibling = nodes[parent].first_child;
		nodes[parent].first_child = i;
		if (node_is_dir(nd))
			nodes[parent].nlink++;
	}
	/* Hard links: GNU cpio puts the data on one link only; all share its inode number. */
	for (uint32_t i = 0; i < fs->count; i++) {
		struct initrd_node *nd = &nodes[i];
		if (!VFS_S_ISREG(nd->mode) || nd->nlink < 2)
			continue;
		for (uint32_t j = 0; j < fs->count; j++) {
			struct initrd_node *o = &nodes[j];
			if (!VFS_S_ISREG(o->mode) || o->a_ino != nd->a_ino ||
			    o->a_dev_major != nd->a_dev_major || o->a_dev_minor != nd->a_dev_minor)
				continue;
			if (j < i && nd->ino == i + 1)
				nd->ino = j + 1; /* the first link's number */
			if (nd->size == 0 && o->size > 0) {
				nd->data = o->data;
				nd->size = o->size;
			}
		}
	}
	return 0;
}

void initrd_fs_destroy(struct initrd_fs *fs)
{
	vfs_handles_fini(&fs->handles);
	refuse(fs, 0, "");
}

/* ---- paths and handles ----------------------------------------------------------------- */

/* A normal path (fs.h), as tmpfs checks it: -EINVAL or -ENAMETOOLONG, else 0. */
static int path_check(const char *path, size_t *len)
{
	size_t i = 0;
	while (path[i]) {
		if (++i >= VFS_PATH_MAX)
			return -VFS_ENAMETOOLONG;
	}
	*len = i;
	return i ? check_components(path, i) : 0;
}

/* The node of `path`, or -ENOENT / -ENOTDIR (a file where a directory should be). */
static int lookup(const struct initrd_fs *fs, const char *path, uint32_t *node)
{
	size_t len;
	int r = path_check(path, &len);
	if (r)
		return r;
	uint32_t i = find(fs, path, len);
	if (i != NONE) {
		*node = i;
		return 0;
	}
	/* Which is it: a missing directory on the way, or a file used as one? */
	for (size_t k = 0; k < len; k++) {
		if (path[k] != '/')
			continue;
		uint32_t d = find(fs, path, k);
		if (d == NONE)
			return -VFS_ENOENT;
		if (!node_is_dir(&fs->nodes[d]))
			return -VFS_ENOTDIR;
	}
	return -VFS_ENOENT;
}

static const struct initrd_node *handle_get(const struct initrd_fs *fs, uint64_t handle)
{
	return vfs_handles_get(&fs->handles, handle);
}

/* The node array is made once, at init: a handle holds a pointer into it. */
static int handle_new(struct initrd_fs *fs, uint32_t node, uint64_t *handle)
{
	int r = vfs_handles_reserve(&fs->handles);
	if (r)
		return r;
	*handle = vfs_handles_install(&fs->handles, &fs->nodes[node]);
	return 0;
}

/* ---- ops ------------------------------------------------------------------------------- */

static void fill_attr(const struct initrd_node *n, struct vfs_attr *a)
{
	*a = (struct vfs_attr){
	    .ino = n->ino,
	    .mode = n->mode,
	    .nlink = n->nlink ? n->nlink : 1,
	    .uid = n->uid,
	    .gid = n->gid,
	    .size = n->size,
	    .blocks = (n->size + 511) / 512,
	    .blksize = 512,
	    .atime_ns = n->mtime_ns,
	    .mtime_ns = n->mtime_ns,
	    .ctime_ns = n->mtime_ns,
	};
}

/* Whether the directory that would hold `path` exists (lookup said -ENOENT for it). */
static bool parent_exists(const struct initrd_fs *fs, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return true;
	uint32_t d = find(fs, path, (size_t)(slash - path));
	return d != NONE && node_is_dir(&fs->nodes[d]);
}

static int i_open(void *state, const char *path, uint32_t flags, uint32_t mode, uint64_t *handle,
                  struct vfs_attr *attr)
{
	struct initrd_fs *fs = state;
	bool writing = (flags & VFS_O_ACCMODE) != VFS_O_RDONLY;
	uint32_t i;
	int r;

	(void)mode;
	if ((r = lookup(fs, path, &i))) {
		/* A name that could be made, but not here. */
		return r == -VFS_ENOENT && (flags & VFS_O_CREAT) && parent_exists(fs, path)
		           ? -VFS_EROFS
		           : r;
	}
	const struct initrd_node *n = &fs->nodes[i];
	if ((flags & (VFS_O_CREAT | VFS_O_EXCL)) == (VFS_O_CREAT | VFS_O_EXCL))
		return -VFS_EEXIST;
	if (VFS_S_ISLNK(n->mode))
		return -VFS_ELOOP; /* the VFS follows links; it never opens one (fs.h) */
	if ((flags & VFS_O_DIRECTORY) && !node_is_dir(n))
		return -VFS_ENOTDIR;
	if (node_is_dir(n) && (writing || (flags & VFS_O_CREAT)))
		return -VFS_EISDIR;
	if (writing || (flags & VFS_O_TRUNC))
		return -VFS_EROFS;
	if ((r = handle_new(fs, i, handle)))
		return r;
	fill_attr(n, attr);
	return 0;
}

static int i_close(void *state, uint64_t handle)
{
	struct initrd_fs *fs = state;
	if (!handle_get(fs, handle))
		return -VFS_EBADF;
	vfs_handles_remove(&fs->handles, handle);
	return 0;
}

static long i_read(void *state, uint64_t handle, uint64_t offset, void *buf, size_t len)
{
	const struct initrd_node *n = handle_get(state, handle);
	if (!n)
		return -VFS_EBADF;
	if (node_is_dir(n))
		return -VFS_EISDIR;
	if (offset >= n->size)
		return 0;
	if (len > n->size - offset)
		len = (size_t)(n->size - offset);
	if (len > (size_t)LONG_MAX)
		len = (size_t)LONG_MAX;
	memcpy(buf, n->data + offset, len);
	return (long)len;
}

static long i_write(void *state, uint64_t handle, uint64_t offset, const void *buf, size_t len)
{
	(void)offset, (void)buf, (void)len;
	return handle_get(state, handle) ? -VFS_EROFS : -VFS_EBADF;
}

static int i_truncate(void *state, uint64_t handle, uint64_t size)
{
	(void)size;
	return handle_get(state, handle) ? -VFS_EROFS : -VFS_EBADF;
}

static int i_getattr(void *state, uint64_t handle, struct vfs_attr *attr)
{
	const struct initrd_node *n = handle_get(state, handle);
	if (!n)
		return -VFS_EBADF;
	fill_attr(n, attr);
	return 0;
}

static int i_setattr(void *state, uint64_t handle, uint32_t which, const struct vfs_attr *attr)
{
	(void)which, (void)attr;
	return handle_get(state, handle) ? -VFS_EROFS : -VFS_EBADF;
}

static uint32_t dt_type(uint32_t mode)
{
	switch (mode & VFS_S_IFMT) {
	case VFS_S_IFDIR:
		return VFS_DT_DIR;
	case VFS_S_IFREG:
		return VFS_DT_REG;
	case VFS_S_IFLNK:
		return VFS_DT_LNK;
	case VFS_S_IFCHR:
		return VFS_DT_CHR;
	default:
		return VFS_DT_UNKNOWN;
	}
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

static int i_readdir(void *state, uint64_t handle, uint64_t cookie, struct vfs_dirent *ent)
{
	struct initrd_fs *fs = state;
	const struct initrd_node *d = handle_get(fs, handle);
	if (!d)
		return -VFS_EBADF;
	if (!node_is_dir(d))
		return -VFS_ENOTDIR;
	uint32_t self = (uint32_t)(d - fs->nodes), child;
	if (cookie == 0) {
		fill_dirent(ent, d->ino, 1, VFS_DT_DIR, ".", 1);
		return 1;
	}
	if (cookie == 1) {
		const struct initrd_node *p = d->parent == NONE ? d : &fs->nodes[d->parent];
		fill_dirent(ent, p->ino, COOKIE_FIRST, VFS_DT_DIR, "..", 2);
		return 1;
	}
	if (cookie == COOKIE_FIRST) {
		child = d->first_child;
	} else {
		/* A cookie this directory gave out, or the end. */
		if (cookie - COOKIE_BASE >= fs->count)
			return 0;
		child = (uint32_t)(cookie - COOKIE_BASE);
		if (fs->nodes[child].parent != self)
			return -VFS_EINVAL;
	}
	if (child == NONE)
		return 0;
	const struct initrd_node *c = &fs->nodes[child];
	uint64_t next = c->next_sibling == NONE ? (uint64_t)COOKIE_BASE + fs->count
	                                        : (uint64_t)COOKIE_BASE + c->next_sibling;
	fill_dirent(ent, c->ino, next, dt_type(c->mode), c->path + c->name, c->len - c->name);
	return 1;
}

static int i_stat(void *state, const char *path, struct vfs_attr *attr)
{
	struct initrd_fs *fs = state;
	uint32_t i;
	int r = lookup(fs, path, &i);
	if (r)
		return r;
	fill_attr(&fs->nodes[i], attr);
	return 0;
}

static int i_mkdir(void *state, const char *path, uint32_t mode)
{
	(void)state, (void)path, (void)mode;
	return -VFS_EROFS;
}

static int i_remove(void *state, const char *path)
{
	(void)state, (void)path;
	return -VFS_EROFS;
}

static int i_rename(void *state, const char *from, const char *to)
{
	(void)state, (void)from, (void)to;
	return -VFS_EROFS;
}

/* A link's target is its archive entry's data (what cpio and mkinitrd.py store). */
static long i_readlink(void *state, const char *path, char *buf, size_t size)
{
	struct initrd_fs *fs = state;
	uint32_t i;
	int r = lookup(fs, path, &i);
	if (r)
		return r;
	const struct initrd_node *n = &fs->nodes[i];
	if (!VFS_S_ISLNK(n->mode))
		return -VFS_EINVAL;
	size_t k = n->size < size ? (size_t)n->size : size;
	memcpy(buf, n->data, k);
	return (long)k;
}

static int i_symlink(void *state, const char *path, const char *target, size_t len)
{
	(void)state, (void)path, (void)target, (void)len;
	return -VFS_EROFS;
}

static int i_sync(void *state, uint64_t handle)
{
	if (handle != UINT64_MAX && !handle_get(state, handle))
		return -VFS_EBADF;
	return 0;
}

static int i_statfs(void *state, struct vfs_statfs *st)
{
	struct initrd_fs *fs = state;
	*st = (struct vfs_statfs){
	    .bsize = 512,
	    .blocks = (fs->ar.size + 511) / 512,
	    .files = fs->count,
	    .namemax = VFS_NAME_MAX,
	    .flags = VFS_STATFS_RDONLY,
	    .type = "initrd",
	};
	return 0;
}

const struct vfs_fs_ops initrd_fs_ops = {
    .open = i_open,
    .close = i_close,
    .read = i_read,
    .write = i_write,
    .truncate = i_truncate,
    .getattr = i_getattr,
    .setattr = i_setattr,
    .readdir = i_readdir,
    .stat = i_stat,
    .mkdir = i_mkdir,
    .rmdir = i_remove,
    .unlink = i_remove,
    .rename = i_rename,
    .sync = i_sync,
    .statfs = i_statfs,
    .symlink = i_symlink,
    .readlink = i_readlink,
};
