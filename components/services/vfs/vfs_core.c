/*
 * vfs_core.c: the VFS protocol's logic (vfs_core.h). No m6 dependency: the host tests run
 * this file as the service does.
 *
 * Every method decodes first (window ranges, descriptor, path, the method's own rules)
 * and calls the file system only once everything it can check is checked, so a method
 * the VFS refuses changes nothing; what a file system refuses changes nothing either
 * (fs.h). Where a method needs several file-system calls (truncate by path: open,
 * truncate, close), the later ones are ones that cannot be refused for a reason the
 * first did not already give.
 */
#include "vfs_core.h"

#include <string.h>

#define INT64_LIMIT ((uint64_t)INT64_MAX)

/* strnlen is POSIX, not C11. */
static size_t bounded_len(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n] != '\0')
		n++;
	return n;
}

/* ---- clients, windows, descriptors ------------------------------------------------------ */

static struct vfs_client *client_of(struct vfs *v, uint64_t badge)
{
	for (size_t i = 0; i < VFS_CORE_CLIENT_MAX; i++) {
		if (v->clients[i].used && v->clients[i].badge == badge)
			return &v->clients[i];
	}
	return NULL;
}

/* Whether [off, off + len) lies inside the client's window; written so nothing wraps. */
static bool window_ok(const struct vfs_client *c, uint64_t off, uint64_t len)
{
	return off <= c->window_size && len <= c->window_size - off;
}

static struct vfs_open_file *file_of(struct vfs_client *c, uint32_t fd)
{
	if (fd >= VFS_CORE_FD_MAX)
		return NULL;
	return c->fds[fd];
}

static int lowest_free_fd(const struct vfs_client *c)
{
	for (uint32_t fd = 0; fd < VFS_CORE_FD_MAX; fd++) {
		if (c->fds[fd] == NULL)
			return (int)fd;
	}
	return -VFS_EMFILE;
}

static struct vfs_open_file *free_description(struct vfs *v)
{
	for (size_t i = 0; i < VFS_CORE_OPEN_MAX; i++) {
		if (v->files[i].refs == 0)
			return &v->files[i];
	}
	return NULL;
}

static struct vfs_core_mount *mount_of(struct vfs *v, const struct vfs_open_file *f)
{
	return &v->mounts[f->mount];
}

/* Drops one reference; the last one closes the file system's handle. */
static int put_description(struct vfs *v, struct vfs_open_file *f)
{
	if (--f->refs > 0)
		return 0;
	struct vfs_core_mount *m = mount_of(v, f);
	m->open--;
	int r = m->fs.ops->close(m->fs.state, f->handle);
	memset(f, 0, sizeof *f);
	return r;
}

/* ---- paths ------------------------------------------------------------------------------ */

/* What a path named: the normal path, its mount and the path inside that file system. */
struct target {
	char *path;     /* normal, absolute (one of v->resolved) */
	unsigned flags; /* VFS_PATH_DIR */
	uint32_t mount;
	struct vfs_core_mount *m;
	const char *rest; /* relative to the mount's root, "" for the root */
	/* The last component's attributes when resolving it asked for them already (it
	 * exists and is no link to follow): stat_target answers from here. */
	bool have_attr;
	struct vfs_attr attr;
};

/* Whether the mount's file system has symbolic links at all (fs.h): where it has none,
 * resolution never asks it about a component. */
static bool has_links(const struct vfs_core_mount *m)
{
	return m->fs.ops->readlink != NULL;
}

/* Drops the last component of the normal path `out` of length *olen ("/" stays "/"). */
static void pop_component(char *out, size_t *olen)
{
	while (*olen > 1 && out[*olen - 1] != '/')
		(*olen)--;
	if (*olen > 1)
		(*olen)--; /* the '/' before it */
	out[*olen] = '\0';
}

/*
 * Resolves the `len` bytes at `path` (in v->copy[slot]: the walk rewrites it when it splices
 * a link's target in) against the working directory `cwd` into the normal path `out`,
 * component by component, as Linux's lookup does: "." stays, ".." goes up from the
 * directory reached so far (so after a link, up from where the link led), and a component
 * that is a symbolic link is replaced by its target, relative to the link's directory or
 * absolute; in the last component only when `follow` (or the path ends in '/'). Every
 * component but the last must exist and be a directory on a file system with links (on one
 * without, the file system finds out itself, as before links); the last may be missing
 * (the method decides: create, or ENOENT). More than VFS_CORE_LINK_MAX links: -ELOOP.
 * *flags gets VFS_PATH_DIR for a path that ends in '/', "." or "..".
 */
static int walk_path(struct vfs *v, const char *cwd, int slot, size_t len, bool follow, char *out,
                     unsigned *flags, struct target *t)
{
	char *rem = v->copy[slot];
	if (len >= VFS_PATH_MAX)
		return -VFS_ENAMETOOLONG;
	if (len == 0)
		return -VFS_ENOENT;
	if (memchr(rem, '\0', len))
		return -VFS_EINVAL;
	size_t olen;
	if (rem[0] == '/') {
		olen = 1;
	} else {
		if (cwd == NULL || !vfs_path_is_normal(cwd))
			return -VFS_EINVAL;
		olen = strlen(cwd);
		memcpy(out, cwd, olen);
	}
	out[0] = '/';
	out[olen] = '\0';
	*flags = 0;
	t->have_attr = false;
	unsigned links = 0;
	size_t pos = 0;
	for (;;) {
		while (pos < len && rem[pos] == '/')
			pos++;
		if (pos == len)
			break;
		size_t end = pos;
		while (end < len && rem[end] != '/')
			end++;
		size_t after = end;
		while (after < len && rem[after] == '/')
			after++;
		bool last = after == len;
		bool slash = last && end < len; /* "name/": must be a directory, links followed */
		size_t n = end - pos;
		if (n > VFS_NAME_MAX)
			return -VFS_ENAMETOOLONG;
		const char *name = rem + pos;
		if (n == 1 && name[0] == '.') {
			*flags |= last ? VFS_PATH_DIR : 0;
			pos = end;
			continue;
		}
		if (n == 2 && name[0] == '.' && name[1] == '.') {
			*flags |= last ? VFS_PATH_DIR : 0;
			pop_component(out, &olen);
			pos = end;
			continue;
		}
		size_t need = olen + (olen > 1) + n;
		if (need >= VFS_PATH_MAX)
			return -VFS_ENAMETOOLONG;
		if (olen > 1)
			out[olen++] = '/';
		memcpy(out + olen, name, n);
		olen += n;
		out[olen] = '\0';
		if (slash)
			*flags |= VFS_PATH_DIR;
		pos = end;
		t->have_attr = false;
		if (last && !follow && !slash)
			break;
		struct vfs_mount_hit hit;
		enum vfs_errno e = vfs_mount_lookup(&v->table, out, &hit);
		if (e != VFS_OK)
			return -(int)e;
		struct vfs_core_mount *m = &v->mounts[hit.fs_id];
		if (!has_links(m) || (hit.rest[0] == '\0' && !last))
			continue; /* no links there; a mount's root is a directory */
		struct vfs_attr *attr = &t->attr;
		int r = m->fs.ops->stat(m->fs.state, hit.rest, attr);
		if (r == -VFS_ENOENT && last)
			break; /* a name to create, or the method's ENOENT */
		if (r < 0)
			return r;
		if (!VFS_S_ISLNK(attr->mode)) {
			if (!last && !VFS_S_ISDIR(attr->mode))
				return -VFS_ENOTDIR;
			t->have_attr = last;
			continue;
		}
		if (++links > VFS_CORE_LINK_MAX)
			return -VFS_ELOOP;
		long k = m->fs.ops->readlink(m->fs.state, hit.rest, v->link, VFS_PATH_MAX - 1);
		if (k < 0)
			return (int)k;
		if (!vfs_link_target_ok(v->link, (size_t)k))
			return -VFS_EIO; /* the file system broke its promise (fs.h) */
		/* The rest of the path goes after the target: target + rem[end..len). */
		size_t tail = len - end;
		if ((size_t)k + tail >= VFS_PATH_MAX)
			return -VFS_ENAMETOOLONG;
		memcpy(v->splice, v->link, (size_t)k);
		memcpy(v->splice + k, rem + end, tail);
		len = (size_t)k + tail;
		memcpy(rem, v->splice, len);
		pos = 0;
		if (rem[0] == '/') {
			olen = 1;
			out[1] = '\0';
		} else {
			pop_component(out, &olen);
		}
	}
	return 0;
}

/* Looks up the mount of t->path: t->mount, t->m, t->rest. */
static int locate(struct vfs *v, struct target *t)
{
	struct vfs_mount_hit hit;
	enum vfs_errno e = vfs_mount_lookup(&v->table, t->path, &hit);
	if (e != VFS_OK)
		return -(int)e;
	t->mount = hit.fs_id;
	t->m = &v->mounts[hit.fs_id];
	t->rest = hit.rest;
	return 0;
}

/*
 * Copies the path at [off, off + len) out of the window (the client may change its window
 * at any time, the copy it cannot), resolves it against the client's working directory
 * (walk_path: links followed, in the last component only when `follow`) and looks it up.
 * `slot` picks the scratch buffers (rename resolves two paths).
 */
static int resolve(struct vfs *v, struct vfs_client *c, uint64_t off, uint32_t len, int slot,
                   bool follow, struct target *t)
{
	if (!window_ok(c, off, len))
		return -VFS_EFAULT;
	if (len >= VFS_PATH_MAX)
		return -VFS_ENAMETOOLONG;
	memcpy(v->copy[slot], c->window + off, len);
	t->path = v->resolved[slot];
	int r = walk_path(v, c->cwd.path, slot, len, follow, t->path, &t->flags, t);
	if (r < 0)
		return r;
	return locate(v, t);
}

/*
 * `t` was resolved without following its last component, which turned out to be a link
 * (the file system said so: open's ELOOP, stat's S_IFLNK): resolves it again, following.
 * open and stat resolve so, because asking about the last component first would cost
 * every call a stat for the rare link. The walk starts from t's own path, which is
 * normal and has no link before its last component. Uses slot 0's buffers.
 */
static int refollow(struct vfs *v, struct target *t)
{
	size_t len = strlen(t->path);
	memcpy(v->copy[0], t->path, len);
	unsigned dir = t->flags & VFS_PATH_DIR;
	t->path = v->resolved[0];
	int r = walk_path(v, "/", 0, len, true, t->path, &t->flags, t);
	if (r < 0)
		return r;
	t->flags |= dir;
	return locate(v, t);
}

/* Whether some mount point lies strictly below the normal path `path`: such a directory
 * cannot be removed or renamed (the mount would be left hanging). */
static bool mount_below(const struct vfs *v, const char *path)
{
	size_t len = strlen(path);
	for (size_t i = 0; i < VFS_MOUNT_MAX; i++) {
		const struct vfs_mount *mp = &v->table.mounts[i];
		if (mp->len == 0 || mp->len <= len)
			continue;
		if (len == 1) /* "/": every other mount is below it */
			return true;
		if (memcmp(mp->path, path, len) == 0 && mp->path[len] == '/')
			return true;
	}
	return false;
}

static int stat_target(const struct target *t, struct vfs_attr *attr)
{
	if (t->have_attr) {
		*attr = t->attr; /* the walk's, within this method: nothing changed since */
		return 0;
	}
	return t->m->fs.ops->stat(t->m->fs.state, t->rest, attr);
}

/* A path that ended in '/' must name a directory. */
static int check_dir_flag(const struct target *t, const struct vfs_attr *attr)
{
	return (t->flags & VFS_PATH_DIR) && !VFS_S_ISDIR(attr->mode) ? -VFS_ENOTDIR : 0;
}

/* Resolves a path that must exist and stats what it names (readlink, realpath, statfs,
 * chdir): resolve's error first, then the file system's. */
static int resolve_existing(struct vfs *v, struct vfs_client *c, uint64_t path_off,
                            uint32_t path_len, bool follow, struct target *t, struct vfs_attr *attr)
{
	int r = resolve(v, c, path_off, path_len, 0, follow, t);
	if (r < 0)
		return r;
	return stat_target(t, attr);
}

/*
 * The mount points directly inside the directory `t` names that its file system does not
 * list itself (a mount point need not exist there): a bit per mount table slot. Uses
 * v->copy[1] as scratch.
 */
static uint32_t mount_children(struct vfs *v, const struct target *t)
{
	uint32_t mask = 0;
	size_t dl = strlen(t->path);
	size_t rl = strlen(t->rest);
	for (size_t i = 0; i < VFS_MOUNT_MAX; i++) {
		const struct vfs_mount *mp = &v->table.mounts[i];
		if (mp->len <= 1)
			continue; /* free, or "/" (no directory holds it) */
		/* Its parent: up to the last '/', which is at 0 for "/name". */
		const char *name = strrchr(mp->path, '/') + 1;
		size_t pl = (size_t)(name - 1 - mp->path);
		if (pl == 0 ? dl != 1 : (pl != dl || memcmp(mp->path, t->path, dl) != 0))
			continue;
		size_t nl = strlen(name);
		if (rl + 1 + nl >= VFS_PATH_MAX)
			continue;
		char *child = v->copy[1];
		memcpy(child, t->rest, rl);
		size_t at = rl;
		if (rl > 0)
			child[at++] = '/';
		memcpy(child + at, name, nl + 1);
		struct vfs_attr attr;
		if (t->m->fs.ops->stat(t->m->fs.state, child, &attr) == -VFS_ENOENT)
			mask |= UINT32_C(1) << i;
	}
	return mask;
}

/* ---- set-up ----------------------------------------------------------------------------- */

void vfs_core_init(struct vfs *v)
{
	memset(v, 0, sizeof *v);
	vfs_mount_init(&v->table);
}

int vfs_core_mount(struct vfs *v, const char *point, const struct vfs_fs *fs, const char *type,
                   bool readonly)
{
	if (point == NULL || fs == NULL || fs->ops == NULL)
		return -VFS_EINVAL;
	size_t len = bounded_len(point, VFS_PATH_MAX);
	if (len == 0 || point[0] != '/')
		return -VFS_EINVAL;
	char *path = v->resolved[0];
	enum vfs_errno e = vfs_path_resolve("/", point, len, path, NULL);
	if (e != VFS_OK)
		return -(int)e;
	uint32_t id = 0;
	while (id < VFS_MOUNT_MAX && v->mounts[id].used)
		id++;
	if (id == VFS_MOUNT_MAX)
		return -VFS_ENOMEM;
	/* Where the point lies already mounted over, it must not be a file there. */
	struct vfs_mount_hit hit;
	if (vfs_mount_lookup(&v->table, path, &hit) == VFS_OK && strcmp(hit.point, path) != 0) {
		struct vfs_core_mount *parent = &v->mounts[hit.fs_id];
		struct vfs_attr attr;
		int r = parent->fs.ops->stat(parent->fs.state, hit.rest, &attr);
		if (r == 0 && !VFS_S_ISDIR(attr.mode))
			return -VFS_ENOTDIR;
		if (r < 0 && r != -VFS_ENOENT)
			return r; /* below a file (ENOTDIR), or the file system failed */
	}
	struct vfs_statfs st;
	memset(&st, 0, sizeof st);
	int sr = fs->ops->statfs(fs->state, &st);
	e = vfs_mount_add(&v->table, path, id);
	if (e != VFS_OK)
		return -(int)e;
	struct vfs_core_mount *m = &v->mounts[id];
	memset(m, 0, sizeof *m);
	m->used = true;
	m->fs = *fs;
	m->readonly = readonly || (sr == 0 && (st.flags & VFS_STATFS_RDONLY));
	const char *name = type != NULL ? type : (sr == 0 ? st.type : "?");
	size_t n = bounded_len(name, sizeof m->type - 1);
	memcpy(m->type, name, n);
	m->type[n] = '\0';
	return (int)id;
}

int vfs_core_add_client(struct vfs *v, uint64_t badge, void *window, size_t size)
{
	if (window == NULL || size == 0)
		return -VFS_EINVAL;
	if (client_of(v, badge) != NULL)
		return -VFS_EEXIST;
	for (size_t i = 0; i < VFS_CORE_CLIENT_MAX; i++) {
		struct vfs_client *c = &v->clients[i];
		if (c->used)
			continue;
		memset(c, 0, sizeof *c);
		c->used = true;
		c->badge = badge;
		c->window = window;
		c->window_size = size;
		vfs_cwd_init(&c->cwd);
		return 0;
	}
	return -VFS_ENOMEM;
}

/* ---- methods ---------------------------------------------------------------------------- */

#define CLIENT_OR_FAULT(v, badge, c)                \
	struct vfs_client *c = client_of(v, badge); \
	if (c == NULL)                              \
	return -VFS_EFAULT

#define KNOWN_OPEN_FLAGS                                                                           \
	(VFS_O_ACCMODE | VFS_O_CREAT | VFS_O_EXCL | VFS_O_TRUNC | VFS_O_APPEND | VFS_O_DIRECTORY | \
	 VFS_O_NOFOLLOW)

int64_t vfs_core_open(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                      uint32_t flags, uint32_t mode)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct target t;
	/* The last component is not followed first: a file system's open of a link is ELOOP
	 * (fs.h), and then, unless O_NOFOLLOW, it is resolved again, following (refollow).
	 * O_CREAT|O_EXCL names the link itself, as Linux: an existing link is EEXIST (the
	 * file system's answer) even when it dangles. */
	bool excl = (flags & (VFS_O_CREAT | VFS_O_EXCL)) == (VFS_O_CREAT | VFS_O_EXCL);
	bool follow = !(flags & VFS_O_NOFOLLOW) && !excl;
	int r = resolve(v, c, path_off, path_len, 0, false, &t);
	if (r < 0)
		return r;
	uint32_t acc = flags & VFS_O_ACCMODE;
	if (acc == VFS_O_ACCMODE)
		return -VFS_EINVAL;
	flags &= KNOWN_OPEN_FLAGS; /* as Linux, unknown flags are ignored */
	const uint32_t asked = flags;
again:
	flags = asked;
	if (t.flags & VFS_PATH_DIR) {
		if (flags & VFS_O_CREAT)
			return -VFS_EISDIR; /* "name/" cannot create a regular file */
		flags |= VFS_O_DIRECTORY;
	}
	int fd = lowest_free_fd(c);
	if (fd < 0)
		return fd;
	struct vfs_open_file *f = free_description(v);
	if (f == NULL)
		return -VFS_CORE_ENFILE;
	if (t.m->readonly) {
		if (acc != VFS_O_RDONLY || (flags & VFS_O_TRUNC))
			return -VFS_EROFS;
		if (flags & VFS_O_CREAT) {
			/* Creating is a change; opening what exists is not (as Linux). */
			struct vfs_attr attr;
			r = stat_target(&t, &attr);
			if (r == -VFS_ENOENT)
				return -VFS_EROFS;
			if (r < 0)
				return r;
			if (flags & VFS_O_EXCL)
				return -VFS_EEXIST;
			flags &= ~VFS_O_CREAT;
		}
	}
	uint64_t handle;
	struct vfs_attr attr;
	r = t.m->fs.ops->open(t.m->fs.state, t.rest, flags & ~(VFS_O_APPEND | VFS_O_NOFOLLOW),
	                      mode & 07777u, &handle, &attr);
	if (r == -VFS_ELOOP && follow) {
		follow = false; /* once: refollow resolved every link */
		r = refollow(v, &t);
		if (r < 0)
			return r;
		goto again;
	}
	if (r < 0)
		return r;
	f->refs = 1;
	f->mount = t.mount;
	f->handle = handle;
	f->pos = 0;
	f->flags = flags & (VFS_O_ACCMODE | VFS_O_APPEND);
	f->is_dir = VFS_S_ISDIR(attr.mode);
	f->mount_children = f->is_dir ? mount_children(v, &t) : 0;
	t.m->open++;
	c->fds[fd] = f;
	return fd;
}

int64_t vfs_core_close(struct vfs *v, uint64_t badge, uint32_t fd)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct vfs_open_file *f = file_of(c, fd);
	if (f == NULL)
		return -VFS_EBADF;
	c->fds[fd] = NULL;
	/* The descriptor is gone whatever the file system says (as close(2)); its error, if
	 * the last close has one, is still reported. */
	return put_description(v, f);
}

/* The common part of read and pread: the count, or -errno. */
static int64_t do_read(struct vfs *v, struct vfs_client *c, struct vfs_open_file *f,
                       uint64_t win_off, uint32_t len, uint64_t pos)
{
	if ((f->flags & VFS_O_ACCMODE) == VFS_O_WRONLY)
		return -VFS_EBADF;
	if (f->is_dir)
		return -VFS_EISDIR;
	if (len == 0)
		return 0;
	struct vfs_core_mount *m = mount_of(v, f);
	return m->fs.ops->read(m->fs.state, f->handle, pos, c->window + win_off, len);
}

static int64_t do_write(struct vfs *v, struct vfs_client *c, struct vfs_open_file *f,
                        uint64_t win_off, uint32_t len, uint64_t pos)
{
	if ((f->flags & VFS_O_ACCMODE) == VFS_O_RDONLY)
		return -VFS_EBADF;
	struct vfs_core_mount *m = mount_of(v, f);
	if (m->readonly)
		return -VFS_EROFS;
	if (len == 0)
		return 0;
	if (pos > INT64_LIMIT - len)
		return -VFS_EFBIG; /* the file would end past the largest offset */
	return m->fs.ops->write(m->fs.state, f->handle, pos, c->window + win_off, len);
}

int64_t vfs_core_read(struct vfs *v, uint64_t badge, uint32_t fd, uint64_t win_off, uint32_t len)
{
	CLIENT_OR_FAULT(v, badge, c);
	if (!window_ok(c, win_off, len))
		return -VFS_EFAULT;
	struct vfs_open_file *f = file_of(c, fd);
	if (f == NULL)
		return -VFS_EBADF;
	int64_t n = do_read(v, c, f, win_off, len, f->pos);
	if (n > 0)
		f->pos += (uint64_t)n;
	return n;
}

int64_t vfs_core_write(struct vfs *v, uint64_t badge, uint32_t fd, uint64_t win_off, uint32_t len)
{
	CLIENT_OR_FAULT(v, badge, c);
	if (!window_ok(c, win_off, len))
		return -VFS_EFAULT;
	struct vfs_open_file *f = file_of(c, fd);
	if (f == NULL)
		return -VFS_EBADF;
	uint64_t pos = f->pos;
	if ((f->flags & VFS_O_APPEND) && (f->flags & VFS_O_ACCMODE) != VFS_O_RDONLY) {
		struct vfs_core_mount *m = mount_of(v, f);
		struct vfs_attr attr;
		int r = m->fs.ops->getattr(m->fs.state, f->handle, &attr);
		if (r < 0)
			return r;
		pos = attr.size;
	}
	int64_t n = do_write(v, c, f, win_off, len, pos);
	if (n > 0)
		f->pos = pos + (uint64_t)n;
	return n;
}

int64_t vfs_core_pread(struct vfs *v, uint64_t badge, uint32_t fd, uint64_t win_off, uint32_t len,
                       uint64_t pos)
{
	CLIENT_OR_FAULT(v, badge, c);
	if (!window_ok(c, win_off, len))
		return -VFS_EFAULT;
	struct vfs_open_file *f = file_of(c, fd);
	if (f == NULL)
		return -VFS_EBADF;
	if (pos > INT64_LIMIT)
		return -VFS_EINVAL; /* a negative off_t */
	return do_read(v, c, f, win_off, len, pos);
}

int64_t vfs_core_pwrite(struct vfs *v, uint64_t badge, uint32_t fd, uint64_t win_off, uint32_t len,
                        uint64_t pos)
{
	CLIENT_OR_FAULT(v, badge, c);
	if (!window_ok(c, win_off, len))
		return -VFS_EFAULT;
	struct vfs_open_file *f = file_of(c, fd);
	if (f == NULL)
		return -VFS_EBADF;
	if (pos > INT64_LIMIT)
		return -VFS_EINVAL;
	/* At `pos` even with O_APPEND, as POSIX says (Linux appends). */
	return do_write(v, c, f, win_off, len, pos);
}

int64_t vfs_core_seek(struct vfs *v, uint64_t badge, uint32_t fd, int64_t offset, uint32_t whence)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct vfs_open_file *f = file_of(c, fd);
	if (f == NULL)
		return -VFS_EBADF;
	if (f->is_dir) {
		/* A directory's position is a readdir cookie: it can be told (SEEK_CUR 0) and
		 * given back (SEEK_SET), nothing else means anything. */
		if (whence == VFS_SEEK_SET && offset >= 0) {
			f->pos = (uint64_t)offset;
			return offset;
		}
		if (whence == VFS_SEEK_CUR && offset == 0)
			return (int64_t)f->pos;
		return -VFS_EINVAL;
	}
	uint64_t base;
	switch (whence) {
	case VFS_SEEK_SET:
		base = 0;
		break;
	case VFS_SEEK_CUR:
		base = f->pos;
		break;
	case VFS_SEEK_END: {
		struct vfs_core_mount *m = mount_of(v, f);
		struct vfs_attr attr;
		int r = m->fs.ops->getattr(m->fs.state, f->handle, &attr);
		if (r < 0)
			return r;
		base = attr.size;
		break;
	}
	default:
		return -VFS_EINVAL;
	}
	if (base > INT64_LIMIT)
		return -VFS_EOVERFLOW;
	int64_t b = (int64_t)base;
	if (offset > 0 && b > INT64_MAX - offset)
		return -VFS_EOVERFLOW;
	int64_t pos = b + offset; /* b >= 0, so this cannot go below INT64_MIN */
	if (pos < 0)
		return -VFS_EINVAL;
	f->pos = (uint64_t)pos;
	return pos;
}

static int64_t stat_path(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                         bool follow, struct vfs_core_stat *st)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct target t;
	/* As open: the last component is followed only once it is found to be a link. */
	int r = resolve(v, c, path_off, path_len, 0, false, &t);
	if (r < 0)
		return r;
	struct vfs_attr attr;
	r = stat_target(&t, &attr);
	if (r == 0 && follow && VFS_S_ISLNK(attr.mode)) {
		r = refollow(v, &t);
		if (r < 0)
			return r;
		r = stat_target(&t, &attr);
	}
	if (r < 0)
		return r;
	if ((t.flags & VFS_PATH_DIR) && !VFS_S_ISDIR(attr.mode))
		return -VFS_ENOTDIR;
	st->dev = t.mount;
	st->attr = attr;
	return 0;
}

int64_t vfs_core_stat(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                      struct vfs_core_stat *st)
{
	return stat_path(v, badge, path_off, path_len, true, st);
}

int64_t vfs_core_lstat(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                       struct vfs_core_stat *st)
{
	return stat_path(v, badge, path_off, path_len, false, st);
}

int64_t vfs_core_fstat(struct vfs *v, uint64_t badge, uint32_t fd, struct vfs_core_stat *st)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct vfs_open_file *f = file_of(c, fd);
	if (f == NULL)
		return -VFS_EBADF;
	struct vfs_core_mount *m = mount_of(v, f);
	struct vfs_attr attr;
	int r = m->fs.ops->getattr(m->fs.state, f->handle, &attr);
	if (r < 0)
		return r;
	st->dev = f->mount;
	st->attr = attr;
	return 0;
}

/* getdents64's record: u64 ino, i64 off, u16 reclen, u8 type, the name and its NUL,
 * padded to 8 bytes. */
#define DIRENT_HEADER 19u

static void put_u64(uint8_t *p, uint64_t x)
{
	memcpy(p, &x, 8); /* the window need not be aligned; AArch64 and the host are LE */
}

/* The entry at a cookie of the VFS's own (>= VFS_CORE_COOKIE_MOUNTS): the next mount
 * point of the directory that its file system does not list. 1 and *ent, or 0 at the end. */
static int mount_entry(struct vfs *v, const struct vfs_open_file *f, uint64_t cookie,
                       struct vfs_dirent *ent)
{
	for (uint64_t i = cookie - VFS_CORE_COOKIE_MOUNTS; i < VFS_MOUNT_MAX; i++) {
		if (!(f->mount_children & (UINT32_C(1) << i)))
			continue;
		const struct vfs_mount *mp = &v->table.mounts[i];
		const struct vfs_core_mount *m = &v->mounts[mp->fs_id];
		const char *name = strrchr(mp->path, '/') + 1;
		struct vfs_attr attr;
		memset(ent, 0, sizeof *ent);
		if (m->fs.ops->stat(m->fs.state, "", &attr) == 0)
			ent->ino = attr.ino;
		ent->next = VFS_CORE_COOKIE_MOUNTS + i + 1;
		ent->type = VFS_DT_DIR;
		ent->name_len = (uint32_t)strlen(name);
		memcpy(ent->name, name, ent->name_len + 1);
		return 1;
	}
	return 0;
}

int64_t vfs_core_readdir(struct vfs *v, uint64_t badge, uint32_t fd, uint64_t win_off, uint32_t len)
{
	CLIENT_OR_FAULT(v, badge, c);
	if (!window_ok(c, win_off, len))
		return -VFS_EFAULT;
	struct vfs_open_file *f = file_of(c, fd);
	if (f == NULL)
		return -VFS_EBADF;
	if (!f->is_dir)
		return -VFS_ENOTDIR;
	struct vfs_core_mount *m = mount_of(v, f);
	uint8_t *out = c->window + win_off;
	uint32_t used = 0;
	/* The position moves only when the call returns entries or the end: a call that
	 * fails leaves it where it was (fuzz_vfs found -EINVAL moving it to the mounts). */
	uint64_t pos = f->pos;
	for (;;) {
		struct vfs_dirent ent;
		int r;
		if (pos < VFS_CORE_COOKIE_MOUNTS) {
			r = m->fs.ops->readdir(m->fs.state, f->handle, pos, &ent);
			if (r < 0) {
				if (used == 0)
					return r;
				break; /* what was packed, as Linux */
			}
			if (r == 0) {
				/* The file system's entries are done. */
				pos = VFS_CORE_COOKIE_MOUNTS;
				continue;
			}
		} else {
			r = mount_entry(v, f, pos, &ent);
			if (r == 0)
				break;
		}
		if (ent.name_len > VFS_NAME_MAX) {
			if (used == 0)
				return -VFS_EIO; /* a file system's mistake */
			break;
		}
		uint32_t reclen = (DIRENT_HEADER + ent.name_len + 1u + 7u) & ~7u;
		if (reclen > len - used) {
			if (used == 0)
				return -VFS_EINVAL;
			break; /* the entry stays for the next call: the cookie is not advanced */
		}
		uint8_t *p = out + used;
		uint16_t rl = (uint16_t)reclen;
		uint8_t type = (uint8_t)ent.type;
		put_u64(p, ent.ino);
		put_u64(p + 8, ent.next);
		memcpy(p + 16, &rl, 2);
		memcpy(p + 18, &type, 1);
		memcpy(p + DIRENT_HEADER, ent.name, ent.name_len);
		memset(p + DIRENT_HEADER + ent.name_len, 0, reclen - DIRENT_HEADER - ent.name_len);
		used += reclen;
		pos = ent.next;
	}
	f->pos = pos;
	return used;
}

int64_t vfs_core_mkdir(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                       uint32_t mode)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct target t;
	int r = resolve(v, c, path_off, path_len, 0, false, &t);
	if (r < 0)
		return r;
	if (t.rest[0] == '\0')
		return -VFS_EEXIST; /* a mount point (or "/") */
	if (t.m->readonly)
		return -VFS_EROFS;
	return t.m->fs.ops->mkdir(t.m->fs.state, t.rest, mode & 07777u);
}

int64_t vfs_core_rmdir(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct target t;
	int r = resolve(v, c, path_off, path_len, 0, false, &t);
	if (r < 0)
		return r;
	if (t.rest[0] == '\0' || mount_below(v, t.path))
		return -VFS_EBUSY;
	if (t.m->readonly)
		return -VFS_EROFS;
	return t.m->fs.ops->rmdir(t.m->fs.state, t.rest);
}

int64_t vfs_core_unlink(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct target t;
	int r = resolve(v, c, path_off, path_len, 0, false, &t);
	if (r < 0)
		return r;
	if (t.rest[0] == '\0')
		return -VFS_EISDIR; /* a mount point is a directory */
	if (t.flags & VFS_PATH_DIR) {
		/* "name/": a directory is EISDIR as always, anything else is not a directory. */
		struct vfs_attr attr;
		r = stat_target(&t, &attr);
		if (r < 0)
			return r;
		return VFS_S_ISDIR(attr.mode) ? -VFS_EISDIR : -VFS_ENOTDIR;
	}
	if (t.m->readonly)
		return -VFS_EROFS;
	return t.m->fs.ops->unlink(t.m->fs.state, t.rest);
}

int64_t vfs_core_rename(struct vfs *v, uint64_t badge, uint64_t from_off, uint32_t from_len,
                        uint64_t to_off, uint32_t to_len)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct target from, to;
	int r = resolve(v, c, from_off, from_len, 0, false, &from);
	if (r < 0)
		return r;
	r = resolve(v, c, to_off, to_len, 1, false, &to);
	if (r < 0)
		return r;
	if (from.rest[0] == '\0' || to.rest[0] == '\0' || mount_below(v, from.path) ||
	    mount_below(v, to.path))
		return -VFS_EBUSY;
	if (from.mount != to.mount)
		return -VFS_EXDEV;
	if (from.m->readonly)
		return -VFS_EROFS;
	if ((from.flags | to.flags) & VFS_PATH_DIR) {
		/* "a/" or "b/": what is moved must be a directory. */
		struct vfs_attr attr;
		r = stat_target(&from, &attr);
		if (r < 0)
			return r;
		if (!VFS_S_ISDIR(attr.mode))
			return -VFS_ENOTDIR;
	}
	return from.m->fs.ops->rename(from.m->fs.state, from.rest, to.rest);
}

/* Opens the file a path names, for an operation on its handle (truncate, chmod, chown),
 * without a descriptor: *handle and *attr, or -errno. */
static int open_target(const struct target *t, uint64_t *handle, struct vfs_attr *attr)
{
	return t->m->fs.ops->open(t->m->fs.state, t->rest,
	                          (t->flags & VFS_PATH_DIR) ? VFS_O_DIRECTORY : 0, 0, handle, attr);
}

int64_t vfs_core_truncate(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                          uint64_t size)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct target t;
	int r = resolve(v, c, path_off, path_len, 0, true, &t);
	if (r < 0)
		return r;
	if (size > INT64_LIMIT)
		return -VFS_EINVAL;
	if (t.m->readonly)
		return -VFS_EROFS;
	uint64_t handle;
	struct vfs_attr attr;
	r = open_target(&t, &handle, &attr);
	if (r < 0)
		return r;
	if (VFS_S_ISDIR(attr.mode))
		r = -VFS_EISDIR;
	else
		r = t.m->fs.ops->truncate(t.m->fs.state, handle, size);
	t.m->fs.ops->close(t.m->fs.state, handle);
	return r;
}

int64_t vfs_core_ftruncate(struct vfs *v, uint64_t badge, uint32_t fd, uint64_t size)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct vfs_open_file *f = file_of(c, fd);
	if (f == NULL)
		return -VFS_EBADF;
	if (size > INT64_LIMIT)
		return -VFS_EINVAL;
	if (f->is_dir || (f->flags & VFS_O_ACCMODE) == VFS_O_RDONLY)
		return -VFS_EINVAL; /* as Linux: not open for writing */
	struct vfs_core_mount *m = mount_of(v, f);
	if (m->readonly)
		return -VFS_EROFS;
	return m->fs.ops->truncate(m->fs.state, f->handle, size);
}

int64_t vfs_core_fsync(struct vfs *v, uint64_t badge, uint32_t fd)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct vfs_open_file *f = file_of(c, fd);
	if (f == NULL)
		return -VFS_EBADF;
	struct vfs_core_mount *m = mount_of(v, f);
	return m->fs.ops->sync(m->fs.state, f->handle);
}

int64_t vfs_core_sync(struct vfs *v, uint64_t badge)
{
	CLIENT_OR_FAULT(v, badge, c);
	(void)c;
	/* Every mount is tried even after one fails: a broken disk must not keep another
	 * file system's data off its device. Read-only mounts too: a file system that is
	 * read-only to clients may still hold its own bookkeeping, and syncing nothing costs
	 * little. */
	int64_t first = 0;
	for (size_t i = 0; i < VFS_MOUNT_MAX; i++) {
		struct vfs_core_mount *m = &v->mounts[i];
		if (!m->used)
			continue;
		int r = m->fs.ops->sync(m->fs.state, UINT64_MAX);
		if (r < 0 && first == 0)
			first = r;
	}
	return first;
}

int64_t vfs_core_statfs(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                        struct vfs_statfs *st)
{
	CLIENT_OR_FAULT(v, badge, c);
	/* The path must exist, as statfs(2) asks, though the answer is the file system's. */
	struct target t;
	struct vfs_attr attr;
	int r = resolve_existing(v, c, path_off, path_len, true, &t, &attr);
	if (r < 0)
		return r;
	r = check_dir_flag(&t, &attr);
	if (r < 0)
		return r;
	struct vfs_statfs s;
	memset(&s, 0, sizeof s);
	r = t.m->fs.ops->statfs(t.m->fs.state, &s);
	if (r < 0)
		return r;
	if (t.m->readonly)
		s.flags |= VFS_STATFS_RDONLY;
	*st = s;
	return 0;
}

int64_t vfs_core_chdir(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct target t;
	struct vfs_attr attr;
	int r = resolve_existing(v, c, path_off, path_len, true, &t, &attr);
	if (r < 0)
		return r;
	if (!VFS_S_ISDIR(attr.mode))
		return -VFS_ENOTDIR;
	enum vfs_errno e = vfs_cwd_set(&c->cwd, t.path);
	return e == VFS_OK ? 0 : -(int)e;
}

int64_t vfs_core_getcwd(struct vfs *v, uint64_t badge, uint64_t win_off, uint32_t len)
{
	CLIENT_OR_FAULT(v, badge, c);
	if (!window_ok(c, win_off, len))
		return -VFS_EFAULT;
	size_t n = strlen(c->cwd.path) + 1;
	if (n > len)
		return -VFS_CORE_ERANGE;
	memcpy(c->window + win_off, c->cwd.path, n);
	return (int64_t)n;
}

int64_t vfs_core_dup(struct vfs *v, uint64_t badge, uint32_t fd)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct vfs_open_file *f = file_of(c, fd);
	if (f == NULL)
		return -VFS_EBADF;
	int nfd = lowest_free_fd(c);
	if (nfd < 0)
		return nfd;
	f->refs++;
	c->fds[nfd] = f;
	return nfd;
}

/* chmod and chown: setattr through a handle of the file the path names. */
static int64_t set_attr(struct vfs *v, struct vfs_client *c, uint64_t path_off, uint32_t path_len,
                        uint32_t which, struct vfs_attr *want)
{
	struct target t;
	int r = resolve(v, c, path_off, path_len, 0, true, &t);
	if (r < 0)
		return r;
	if (t.m->readonly)
		return -VFS_EROFS;
	uint64_t handle;
	struct vfs_attr attr;
	r = open_target(&t, &handle, &attr);
	if (r < 0)
		return r;
	if (which & VFS_SET_MODE)
		want->mode =
		    (attr.mode & VFS_S_IFMT) | (want->mode & 07777u); /* the type is kept */
	r = which != 0 ? t.m->fs.ops->setattr(t.m->fs.state, handle, which, want) : 0;
	t.m->fs.ops->close(t.m->fs.state, handle);
	return r;
}

int64_t vfs_core_chmod(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                       uint32_t mode)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct vfs_attr want;
	memset(&want, 0, sizeof want);
	want.mode = mode;
	return set_attr(v, c, path_off, path_len, VFS_SET_MODE, &want);
}

int64_t vfs_core_chown(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                       uint32_t uid, uint32_t gid)
{
	CLIENT_OR_FAULT(v, badge, c);
	struct vfs_attr want;
	memset(&want, 0, sizeof want);
	uint32_t which = 0;
	/* (uid_t)-1 and (gid_t)-1 leave that one alone, as chown(2). */
	if (uid != UINT32_MAX) {
		want.uid = uid;
		which |= VFS_SET_UID;
	}
	if (gid != UINT32_MAX) {
		want.gid = gid;
		which |= VFS_SET_GID;
	}
	return set_attr(v, c, path_off, path_len, which, &want);
}

int64_t vfs_core_mounts(struct vfs *v, uint64_t badge, uint64_t win_off, uint32_t len)
{
	CLIENT_OR_FAULT(v, badge, c);
	if (!window_ok(c, win_off, len))
		return -VFS_EFAULT;
	/* Sorted by mount point: repeatedly the smallest point above the last one listed.
	 * Pass 0 counts, pass 1 writes, so a listing that does not fit writes nothing. */
	uint8_t *out = c->window + win_off;
	uint64_t total = 0;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && total > len)
			return -VFS_CORE_ERANGE;
		const char *last = NULL;
		uint64_t at = 0;
		for (;;) {
			const struct vfs_mount *next = NULL;
			for (size_t i = 0; i < VFS_MOUNT_MAX; i++) {
				const struct vfs_mount *mp = &v->table.mounts[i];
				if (mp->len == 0 || (last != NULL && strcmp(mp->path, last) <= 0))
					continue;
				if (next == NULL || strcmp(mp->path, next->path) < 0)
					next = mp;
			}
			if (next == NULL)
				break;
			const struct vfs_core_mount *m = &v->mounts[next->fs_id];
			size_t tl = strlen(m->type);
			if (pass == 1) {
				memcpy(out + at, next->path, next->len);
				out[at + next->len] = ' ';
				memcpy(out + at + next->len + 1, m->type, tl);
				memcpy(out + at + next->len + 1 + tl,
				       m->readonly ? " ro\n" : " rw\n", 4);
			}
			at += next->len + 1 + tl + 4;
			last = next->path;
		}
		total = at;
	}
	return (int64_t)total;
}

/* ---- symbolic links ---------------------------------------------------------------------- */

int64_t vfs_core_symlink(struct vfs *v, uint64_t badge, uint64_t target_off, uint32_t target_len,
                         uint64_t path_off, uint32_t path_len)
{
	CLIENT_OR_FAULT(v, badge, c);
	if (!window_ok(c, target_off, target_len))
		return -VFS_EFAULT;
	if (target_len >= VFS_PATH_MAX)
		return -VFS_ENAMETOOLONG;
	if (target_len == 0)
		return -VFS_ENOENT; /* symlink("", ...), as Linux */
	/* Copied before the link's path is resolved: resolving reuses the other buffers. */
	memcpy(v->target, c->window + target_off, target_len);
	if (memchr(v->target, '\0', target_len))
		return -VFS_EINVAL;
	struct target t;
	int r = resolve(v, c, path_off, path_len, 0, false, &t);
	if (r < 0)
		return r;
	if (t.rest[0] == '\0')
		return -VFS_EEXIST; /* a mount point (or "/") */
	if (t.flags & VFS_PATH_DIR) {
		/* "name/" cannot be made a link: it exists (EEXIST) or cannot be named so. */
		struct vfs_attr attr;
		r = stat_target(&t, &attr);
		return r == 0 ? -VFS_EEXIST : r;
	}
	if (t.m->readonly)
		return -VFS_EROFS;
	if (t.m->fs.ops->symlink == NULL)
		return -VFS_EPERM; /* a file system without links (FAT), as Linux's vfat */
	return t.m->fs.ops->symlink(t.m->fs.state, t.rest, v->target, target_len);
}

int64_t vfs_core_readlink(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                          uint64_t win_off, uint32_t len)
{
	CLIENT_OR_FAULT(v, badge, c);
	if (!window_ok(c, win_off, len))
		return -VFS_EFAULT;
	/* It must exist, and be a link: anything else is EINVAL, as readlink(2). */
	struct target t;
	struct vfs_attr attr;
	int r = resolve_existing(v, c, path_off, path_len, false, &t, &attr);
	if (r < 0)
		return r;
	if (!VFS_S_ISLNK(attr.mode) || !has_links(t.m))
		return -VFS_EINVAL;
	if (len == 0)
		return -VFS_EINVAL;
	long k = t.m->fs.ops->readlink(t.m->fs.state, t.rest, (char *)c->window + win_off, len);
	if (k > (long)len)
		return -VFS_EIO;
	return k;
}

int64_t vfs_core_realpath(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                          uint64_t win_off, uint32_t len)
{
	CLIENT_OR_FAULT(v, badge, c);
	if (!window_ok(c, win_off, len))
		return -VFS_EFAULT;
	struct target t;
	struct vfs_attr attr;
	int r = resolve_existing(v, c, path_off, path_len, true, &t, &attr);
	if (r < 0)
		return r;
	r = check_dir_flag(&t, &attr);
	if (r < 0)
		return r;
	size_t n = strlen(t.path) + 1;
	if (n > len)
		return -VFS_CORE_ERANGE;
	memcpy(c->window + win_off, t.path, n);
	return (int64_t)n;
}

int64_t vfs_core_utimens(struct vfs *v, uint64_t badge, uint64_t path_off, uint32_t path_len,
                         uint64_t atime_ns, uint64_t mtime_ns, uint32_t which)
{
	CLIENT_OR_FAULT(v, badge, c);
	if (which & ~(VFS_SET_ATIME | VFS_SET_MTIME))
		return -VFS_EINVAL;
	struct vfs_attr want;
	memset(&want, 0, sizeof want);
	want.atime_ns = atime_ns;
	want.mtime_ns = mtime_ns;
	return set_attr(v, c, path_off, path_len, which, &want);
}
