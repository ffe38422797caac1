/* The Linux shim's file system calls (docs/linux.md, "Files and descriptors"): openat,
 * read, write, stat, getdents64, ... through the VFS (libm6/interfaces/vfs.idl), which
 * already speaks Linux's numbers (open flags, modes, errno, getdents64 records), so
 * results pass through unchanged. The shim is one VFS client for all its processes: it
 * makes every path absolute itself (each process has its own cwd), and the VFS's own
 * working directory stays "/". ".." is left to the VFS, which resolves it after the
 * symbolic links before it (docs/linux.md, "Symbolic links"). Process memory is reached
 * only through mem.c (mem_copy_in/out: -EFAULT for an address outside the process's
 * mappings). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <m6/time.h>
#include <m6_caps.h>

#include "block.h"
#include "fd.h"
#include "procfs.h"
#include "shim.h"
#include "tty.h"
#include "vfs_idl.h"

#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_EACCESS          0x200
#define AT_NO_AUTOMOUNT     0x800
#define AT_EMPTY_PATH       0x1000
#define AT_STATX_SYNC_TYPE  0x6000
#define RENAME_NOREPLACE    1u
#define L_O_NOFOLLOW        0100000u
#define LINUX_EIO           5
#define LINUX_EPERM         1
/* Linux's cap on one read or write (MAX_RW_COUNT). */
#define MAX_RW  0x7ffff000u
#define S_IFMT  0170000u
#define S_IFDIR 0040000u
#define S_IFCHR 0020000u
#define S_IFIFO 0010000u

static uint8_t *const win = (uint8_t *)(uintptr_t)M6_WINDOW_VFS_VADDR;
static const size_t win_size = M6_WINDOW_VFS_SIZE;
_Static_assert(M6_WINDOW_VFS_SIZE >= 2 * LINUX_PATH_MAX,
               "the VFS window must hold two paths (rename)");

/* The result of a VFS method: an IPC failure is EIO, anything else passes through. */
static int64_t vfs_ret(uint64_t err, int64_t ret)
{
	return err == M6_OK ? ret : -LINUX_EIO;
}

/* ---- paths ---- */

/* A NUL-terminated string from the process, read a page at a time: its length, or -EFAULT,
 * -ENAMETOOLONG (no NUL within max - 1 bytes). */
static int64_t user_string(struct proc *p, uint64_t addr, char *out, size_t max)
{
	size_t done = 0;
	while (done < max) {
		size_t k = PAGE_SIZE - (size_t)((addr + done) & (PAGE_SIZE - 1));
		if (k > max - done)
			k = max - done;
		int e = mem_copy_in(p, out + done, addr + done, k);
		if (e)
			return e;
		void *nul = memchr(out + done, '\0', k);
		if (nul)
			return (int64_t)((char *)nul - out);
		done += k;
	}
	return -LINUX_ENAMETOOLONG;
}

/* Append the components of `rel` to the absolute path `out` (length *len), dropping "."
 * and empty components. ".." stays: after a symbolic link it means the link target's
 * parent, which only the VFS knows, so the VFS resolves it. */
static int path_walk(char *out, size_t *len, const char *rel)
{
	while (*rel) {
		while (*rel == '/')
			rel++;
		const char *end = strchr(rel, '/');
		size_t n = end ? (size_t)(end - rel) : strlen(rel);
		if (n == 0 || (n == 1 && rel[0] == '.')) {
			/* nothing */
		} else {
			if (*len + 1 + n >= LINUX_PATH_MAX)
				return -LINUX_ENAMETOOLONG;
			out[(*len)++] = '/';
			memcpy(out + *len, rel, n);
			*len += n;
		}
		rel += n;
	}
	out[*len] = '\0';
	return 0;
}

/*
 * The absolute path a process names by (dirfd, user path), in out (LINUX_PATH_MAX bytes):
 * its length, 0 for an empty path when AT_EMPTY_PATH allows it (the caller then uses
 * dirfd), or -errno. A trailing slash is kept ("name/" must be a directory, the VFS
 * checks). A dirfd is a descriptor opened by path: a file rather than a directory makes
 * the VFS answer ENOTDIR for anything below it, as Linux does.
 */
static const char *lexical(const char *path);

static int64_t resolve(struct proc *p, int64_t dirfd, uint64_t upath, char *out, bool empty_ok)
{
	static char rel[LINUX_PATH_MAX];
	int64_t n = user_string(p, upath, rel, sizeof(rel));
	if (n < 0)
		return n;
	if (n == 0)
		return empty_ok ? 0 : -LINUX_ENOENT;
	size_t len = 0;
	if (rel[0] != '/') {
		const char *base;
		if ((int32_t)dirfd == AT_FDCWD) {
			base = p->files.cwd ? p->files.cwd : "";
		} else {
			struct ofd *d = fd_get(p, dirfd);
			if (!d)
				return -LINUX_EBADF;
			if (d->kind != OFD_VFS && d->kind != OFD_PROC)
				return -LINUX_ENOTDIR;
			base = d->path;
		}
		len = strlen(base);
		if (len >= LINUX_PATH_MAX)
			return -LINUX_ENAMETOOLONG;
		memcpy(out, base, len);
		if (len == 1 && out[0] == '/')
			len = 0;
	}
	int e = path_walk(out, &len, rel);
	if (e)
		return e;
	bool slash = rel[n - 1] == '/' && len > 0;
	if (len == 0)
		out[len++] = '/';
	else if (slash && len + 1 < LINUX_PATH_MAX)
		out[len++] = '/';
	out[len] = '\0';
	/* /proc and /dev are the shim's own trees, without links: ".." in them is text (the
	 * VFS, which resolves it elsewhere, does not hold them). */
	if (strstr(out, "/..") && ((strncmp(out, "/proc", 5) == 0 && (out[5] == '/' || !out[5])) ||
	                           (strncmp(out, "/dev", 4) == 0 && (out[4] == '/' || !out[4])))) {
		const char *lex = lexical(out);
		size_t k = strlen(lex);
		memmove(out, lex, k + 1);
		len = k;
		if (slash && len > 1 && len + 1 < LINUX_PATH_MAX) {
			out[len++] = '/';
			out[len] = '\0';
		}
	}
	return (int64_t)len;
}

/* Copy a path (and a second one after it) into the window for a VFS call. */
static void win_path(size_t off, const char *path, size_t len)
{
	memcpy(win + off, path, len);
}

/* ---- the shim's devices ---- */

struct dev {
	const char *path;
	uint8_t kind;  /* OFD_*, or OFD_VFS for /dev/std*: the descriptor below */
	int fd;        /* /dev/stdin, stdout, stderr: the descriptor they name */
	uint32_t rdev; /* major << 8 | minor */
	uint32_t ino;
};

static const struct dev devs[] = {
    {"/dev/null", OFD_NULL, -1, (1u << 8) | 3, 4},
    {"/dev/zero", OFD_ZERO, -1, (1u << 8) | 5, 8},
    {"/dev/random", OFD_URANDOM, -1, (1u << 8) | 8, 9},
    {"/dev/urandom", OFD_URANDOM, -1, (1u << 8) | 9, 10},
    {"/dev/tty", OFD_CONSOLE, -1, (5u << 8) | 0, 11},
    {"/dev/console", OFD_CONSOLE, -1, (5u << 8) | 1, 12},
    {"/dev/stdin", OFD_VFS, 0, 0, 0},
    {"/dev/stdout", OFD_VFS, 1, 0, 0},
    {"/dev/stderr", OFD_VFS, 2, 0, 0},
};

/* `path` with ".." taken by text: a device's name whatever way it is spelt ("/dev/../dev/null").
 * /dev holds no links, so text is right for the names that matter here. */
static const char *lexical(const char *path)
{
	static char out[LINUX_PATH_MAX];
	if (!strstr(path, "/.."))
		return path;
	size_t len = 0;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
		} else if (n > 0 && len + 1 + n < sizeof(out)) {
			out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p += n;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return out;
}

const char *fs_dev_entry(size_t i, uint32_t *ino, bool *is_link)
{
	if (i >= sizeof(devs) / sizeof(devs[0]))
		return NULL;
	*is_link = devs[i].kind == OFD_VFS;
	*ino = devs[i].ino ? devs[i].ino : 12 + (uint32_t)devs[i].fd;
	return devs[i].path + 5;
}

static const struct dev *dev_lookup(const char *path)
{
	path = lexical(path);
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if (strcmp(path, devs[i].path) == 0)
			return &devs[i];
	return NULL;
}

/* ---- stat ---- */

struct kstat {
	uint64_t dev, ino, rdev, size, blocks;
	uint64_t atime_ns, mtime_ns, ctime_ns;
	uint32_t mode, nlink, uid, gid, blksize;
};

static void kstat_of_vfs(const struct vfs_stat *v, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	st->dev = v->dev;
	st->ino = v->ino;
	st->mode = v->mode;
	st->nlink = v->nlink;
	st->uid = v->uid;
	st->gid = v->gid;
	st->size = v->size;
	st->blocks = v->blocks;
	st->blksize = v->blksize;
	st->atime_ns = v->atime_ns;
	st->mtime_ns = v->mtime_ns;
	st->ctime_ns = v->ctime_ns;
}

/* A file, directory or link of /proc (or /dev itself): no times, a 1 KiB block. */
static void kstat_of_proc(const struct procfs_stat *ps, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	st->dev = ps->dev;
	st->ino = ps->ino;
	st->mode = ps->mode;
	st->nlink = ps->nlink;
	st->size = ps->size;
	st->blksize = 1024;
}

/* A character device of the shim's: devtmpfs's device number (5), as Linux shows. */
static void kstat_of_dev(uint32_t rdev, uint32_t ino, uint32_t mode, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	st->dev = 5;
	st->ino = ino;
	st->mode = S_IFCHR | mode;
	st->nlink = 1;
	st->rdev = rdev;
	st->blksize = 4096;
}

static int64_t stat_ofd(struct ofd *f, struct kstat *st)
{
	switch (f->kind) {
	case OFD_CONSOLE:
		/* a terminal (a pseudo-terminal's numbers, what a program's stdout usually is) */
		kstat_of_dev((136u << 8) | 0, 3, 0620, st);
		st->blksize = 1024;
		return 0;
	case OFD_NULL:
	case OFD_ZERO:
	case OFD_URANDOM:
		for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
			if (devs[i].kind == f->kind) {
				kstat_of_dev(devs[i].rdev, devs[i].ino, 0666, st);
				return 0;
			}
		return -LINUX_EIO;
	case OFD_PIPE_R:
	case OFD_PIPE_W:
		memset(st, 0, sizeof(*st));
		st->dev = 0xc; /* pipefs */
		st->ino = pipe_ino(f->pipe);
		st->mode = S_IFIFO | 0600;
		st->nlink = 1;
		st->blksize = 4096;
		return 0;
	case OFD_PROC: {
		struct procfs_stat ps;
		procfs_fstat(f, &ps);
		kstat_of_proc(&ps, st);
		return 0;
	}
	case OFD_EPOLL:
		/* an anonymous inode, as Linux's: mode 0600 with no file type */
		memset(st, 0, sizeof(*st));
		st->dev = 0xe;
		st->ino = 0x2000 + (uint64_t)(uintptr_t)f->epoll % 0x100000;
		st->mode = 0600;
		st->nlink = 1;
		st->blksize = 4096;
		return 0;
	default: {
		struct vfs_stat v;
		int64_t ret = 0;
		int64_t r = vfs_ret(vfs_fstat(CAP_VFS, f->vfd, &ret, &v), ret);
		if (r < 0)
			return r;
		kstat_of_vfs(&v, st);
		return 0;
	}
	}
}

/* stat of an absolute path: a device of the shim's or a VFS file. */
static int64_t stat_path(struct proc *p, const char *path, size_t len, struct kstat *st);

/* stat of a /proc path; `follow`: a link as what it names. A link to a VFS path
 * (/proc/N/exe, cwd, fd/M) is stat'ed there; fd/M of a pipe or device as the description. */
static int64_t stat_proc(struct proc *p, const char *path, bool follow, struct kstat *st)
{
	struct procfs_stat ps;
	int e = procfs_stat(p, path, follow, &ps);
	if (e == -LINUX_ELOOP) {
		static char target[LINUX_PATH_MAX];
		struct ofd *f = NULL;
		int64_t r = procfs_open(p, path, L_O_RDONLY, &f, target, sizeof(target));
		if (r == 0) {
			r = stat_ofd(f, st);
			ofd_put(f);
			return r;
		}
		if (r != -LINUX_ELOOP)
			return r;
		return stat_path(p, target, strlen(target), st);
	}
	if (e)
		return e;
	kstat_of_proc(&ps, st);
	return 0;
}

/* stat (or, !follow, lstat) of an absolute path: a device of the shim's or a VFS file. */
static int64_t stat_path_at(struct proc *p, const char *path, size_t len, bool follow,
                            struct kstat *st)
{
	if (procfs_path(path))
		return stat_proc(p, path, follow, st);
	const struct dev *d = dev_lookup(path);
	if (d) {
		if (d->kind == OFD_VFS) {
			struct ofd *f = fd_get(p, d->fd);
			return f ? stat_ofd(f, st) : -LINUX_ENOENT;
		}
		kstat_of_dev(d->rdev, d->ino, 0666, st);
		return 0;
	}
	struct vfs_stat v;
	int64_t ret = 0;
	win_path(0, path, len);
	uint64_t err = follow ? vfs_stat(CAP_VFS, 0, (uint32_t)len, &ret, &v)
	                      : vfs_lstat(CAP_VFS, 0, (uint32_t)len, &ret, &v);
	int64_t r = vfs_ret(err, ret);
	if (r < 0)
		return r;
	kstat_of_vfs(&v, st);
	return 0;
}

static int64_t stat_path(struct proc *p, const char *path, size_t len, struct kstat *st)
{
	return stat_path_at(p, path, len, true, st);
}

/* struct stat of Linux arm64 (asm-generic): 128 bytes. */
struct linux_stat {
	uint64_t dev, ino;
	uint32_t mode, nlink, uid, gid;
	uint64_t rdev, pad1;
	int64_t size;
	int32_t blksize, pad2;
	int64_t blocks;
	int64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	uint32_t unused[2];
};
_Static_assert(sizeof(struct linux_stat) == 128, "struct stat of arm64 is 128 bytes");

/* Linux's encoding of a device number in struct stat (new_encode_dev). */
static uint64_t encode_dev(uint64_t d)
{
	uint64_t major = d >> 8, minor = d & 0xff;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffull) << 12);
}

static int64_t put_stat(struct proc *p, uint64_t buf, const struct kstat *k)
{
	struct linux_stat st = {
	    .dev = encode_dev(k->dev),
	    .ino = k->ino,
	    .mode = k->mode,
	    .nlink = k->nlink,
	    .uid = k->uid,
	    .gid = k->gid,
	    .rdev = encode_dev(k->rdev),
	    .size = (int64_t)k->size,
	    .blksize = (int32_t)k->blksize,
	    .blocks = (int64_t)k->blocks,
	    .atime = (int64_t)(k->atime_ns / 1000000000u),
	    .atime_ns = (int64_t)(k->atime_ns % 1000000000u),
	    .mtime = (int64_t)(k->mtime_ns / 1000000000u),
	    .mtime_ns = (int64_t)(k->mtime_ns % 1000000000u),
	    .ctime = (int64_t)(k->ctime_ns / 1000000000u),
	    .ctime_ns = (int64_t)(k->ctime_ns % 1000000000u),
	};
	return mem_copy_out(p, buf, &st, sizeof(st));
}

struct statx_ts {
	int64_t sec;
	uint32_t nsec;
	int32_t reserved;
};

/* struct statx (include/uapi/linux/stat.h): 256 bytes, the same on every architecture. */
struct linux_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	struct statx_ts atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t mnt_id;
	uint32_t dio_mem_align, dio_offset_align;
	uint64_t spare3[12];
};
_Static_assert(sizeof(struct linux_statx) == 256, "struct statx is 256 bytes");
_Static_assert(offsetof(struct linux_statx, atime) == 64 &&
                   offsetof(struct linux_statx, rdev_major) == 128,
               "struct statx layout");

/* STATX_BASIC_STATS: type, mode, nlink, uid, gid, atime, mtime, ctime, ino, size, blocks
 * (no birth time: the VFS has none). */
#define STATX_BASIC_STATS 0x7ffu

static struct statx_ts ts_of(uint64_t ns)
{
	struct statx_ts t = {(int64_t)(ns / 1000000000u), (uint32_t)(ns % 1000000000u), 0};
	return t;
}

static int64_t put_statx(struct proc *p, uint64_t buf, const struct kstat *k)
{
	struct linux_statx sx;
	memset(&sx, 0, sizeof(sx));
	sx.mask = STATX_BASIC_STATS;
	sx.blksize = k->blksize;
	sx.nlink = k->nlink;
	sx.uid = k->uid;
	sx.gid = k->gid;
	sx.mode = (uint16_t)k->mode;
	sx.ino = k->ino;
	sx.size = k->size;
	sx.blocks = k->blocks;
	sx.atime = ts_of(k->atime_ns);
	sx.mtime = ts_of(k->mtime_ns);
	sx.ctime = ts_of(k->ctime_ns);
	sx.rdev_major = (uint32_t)(k->rdev >> 8);
	sx.rdev_minor = (uint32_t)(k->rdev & 0xff);
	sx.dev_major = (uint32_t)(k->dev >> 8);
	sx.dev_minor = (uint32_t)(k->dev & 0xff);
	return mem_copy_out(p, buf, &sx, sizeof(sx));
}

/* The kstat of (dirfd, path, flags) for newfstatat and statx. */
static int64_t stat_at(struct proc *p, int64_t dirfd, uint64_t upath, uint64_t flags,
                       struct kstat *st)
{
	static char path[LINUX_PATH_MAX];
	int64_t len = resolve(p, dirfd, upath, path, (flags & AT_EMPTY_PATH) != 0);
	if (len < 0)
		return len;
	if (len > 0) /* stat_path_at routes /proc and /dev itself */
		return stat_path_at(p, path, (size_t)len, !(flags & AT_SYMLINK_NOFOLLOW), st);
	if ((int32_t)dirfd == AT_FDCWD) {
		const char *cwd = p->files.cwd ? p->files.cwd : "/";
		return stat_path(p, cwd, strlen(cwd), st);
	}
	struct ofd *f = fd_get(p, dirfd);
	return f ? stat_ofd(f, st) : -LINUX_EBADF;
}

int64_t sys_newfstatat(struct proc *p, const uint64_t a[6])
{
	if (a[3] & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return -LINUX_EINVAL;
	struct kstat st;
	int64_t r = stat_at(p, (int64_t)a[0], a[1], a[3], &st);
	return r < 0 ? r : put_stat(p, a[2], &st);
}

int64_t sys_fstat(struct proc *p, const uint64_t a[6])
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	struct kstat st;
	int64_t r = stat_ofd(f, &st);
	return r < 0 ? r : put_stat(p, a[1], &st);
}

int64_t sys_statx(struct proc *p, const uint64_t a[6])
{
	if (a[2] & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH |
	                       AT_STATX_SYNC_TYPE) ||
	    (a[2] & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -LINUX_EINVAL;
	if (a[3] & 0x80000000u) /* STATX__RESERVED */
		return -LINUX_EINVAL;
	struct kstat st;
	int64_t r = stat_at(p, (int64_t)a[0], a[1], a[2], &st);
	return r < 0 ? r : put_statx(p, a[4], &st);
}

/* ---- open, close, descriptors ---- */

static uint32_t linux_random_state_step(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)*s;
}

int64_t sys_openat(struct proc *p, const uint64_t a[6])
{
	static char path[LINUX_PATH_MAX];
	uint32_t flags = (uint32_t)a[2];
	if ((flags & L_O_ACCMODE) == L_O_ACCMODE)
		return -LINUX_EINVAL;
	if ((flags & L_O_TMPFILE) == L_O_TMPFILE)
		return -LINUX_EOPNOTSUPP; /* no unnamed files in the VFS */
	if (!fd_room(p))
		return -LINUX_EMFILE;
	int64_t len = resolve(p, (int64_t)a[0], a[1], path, false);
	if (len < 0)
		return len;
	bool cloexec = (flags & L_O_CLOEXEC) != 0;
	uint32_t status =
	    (flags & (L_O_ACCMODE | L_O_APPEND | L_O_NONBLOCK | L_O_PATH)) | L_O_LARGEFILE;
	if (procfs_path(path)) {
		/* generated at open; a link to a VFS path (exe, cwd, fd/M) opens its target */
		struct ofd *f = NULL;
		static char target[LINUX_PATH_MAX];
		int64_t r = procfs_open(p, path, flags, &f, target, sizeof(target));
		if (r == 0)
			return fd_install(p, f, 0, cloexec);
		if (r != -LINUX_ELOOP || target[0] != '/')
			return r;
		len = (int64_t)strlen(target);
		memcpy(path, target, (size_t)len + 1);
	}
	const struct dev *d = dev_lookup(path);
	if (d) {
		if (flags & L_O_DIRECTORY)
			return -LINUX_ENOTDIR;
		if ((flags & (L_O_CREAT | L_O_EXCL)) == (L_O_CREAT | L_O_EXCL))
			return -LINUX_EEXIST;
		struct ofd *f;
		if (d->kind == OFD_VFS) {
			/* /dev/stdout names descriptor 1's file: the same description here (Linux
			 * reopens it: a regular file would get an offset of its own) */
			if (!(f = fd_get(p, d->fd)))
				return -LINUX_ENOENT;
			f->refs++;
		} else if (!(f = ofd_new(d->kind, status))) {
			return -LINUX_ENFILE;
		}
		return fd_install(p, f, 0, cloexec);
	}
	/* O_PATH opens for nothing but a name: read-only at the VFS. O_APPEND is the shim's
	 * (fcntl F_SETFL may change it), so the VFS never sees it. */
	uint32_t vflags = (flags & L_O_PATH) ? (flags & L_O_DIRECTORY)
	                                     : flags & (L_O_ACCMODE | L_O_CREAT | L_O_EXCL |
	                                                L_O_TRUNC | L_O_DIRECTORY | L_O_NOFOLLOW);
	win_path(0, path, (size_t)len);
	int64_t ret = 0;
	int64_t r = vfs_ret(
	    vfs_open(CAP_VFS, 0, (uint32_t)len, vflags, (uint32_t)(a[3] & 07777 & ~p->umask), &ret),
	    ret); /* the mode of a new file, less the umask, as Linux creates it */
	if (r == -LINUX_EMFILE)
		return -LINUX_ENFILE; /* the shim's VFS descriptors ran out, not this process's */
	if (r < 0)
		return r;
	struct ofd *f = ofd_new(OFD_VFS, status);
	char *copy = f ? malloc((size_t)len + 1) : NULL;
	if (!copy) {
		vfs_close(CAP_VFS, (uint32_t)r, &ret);
		if (f)
			ofd_put(f);
		return f ? -LINUX_ENOMEM : -LINUX_ENFILE;
	}
	/* kept without a trailing slash: a base for *at calls */
	while (len > 1 && path[len - 1] == '/')
		len--;
	memcpy(copy, path, (size_t)len);
	copy[len] = '\0';
	f->vfd = (uint32_t)r;
	f->path = copy;
	return fd_install(p, f, 0, cloexec);
}

int64_t sys_close(struct proc *p, const uint64_t a[6])
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	p->files.fd[a[0]] = NULL;
	p->files.cloexec[a[0]] = false;
	ofd_put(f);
	return 0;
}

static int64_t dup_at(struct proc *p, uint64_t old, uint64_t min, bool cloexec)
{
	struct ofd *f = fd_get(p, (int64_t)old);
	if (!f)
		return -LINUX_EBADF;
	f->refs++;
	int64_t fd = fd_install(p, f, min, cloexec);
	if (fd < 0)
		f->refs--;
	return fd;
}

int64_t sys_dup(struct proc *p, const uint64_t a[6])
{
	return dup_at(p, a[0], 0, false);
}

int64_t sys_dup3(struct proc *p, const uint64_t a[6])
{
	if (a[2] & ~(uint64_t)L_O_CLOEXEC)
		return -LINUX_EINVAL;
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	if (a[1] == a[0])
		return -LINUX_EINVAL;
	if (a[1] >= LINUX_MAX_FDS)
		return -LINUX_EBADF;
	f->refs++;
	ofd_put(p->files.fd[a[1]]);
	p->files.fd[a[1]] = f;
	p->files.cloexec[a[1]] = (a[2] & L_O_CLOEXEC) != 0;
	return (int64_t)a[1];
}

#define F_DUPFD         0
#define F_GETFD         1
#define F_SETFD         2
#define F_GETFL         3
#define F_SETFL         4
#define F_SETPIPE_SZ    1031
#define F_GETPIPE_SZ    1032
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC      1

int64_t sys_fcntl(struct proc *p, const uint64_t a[6])
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	switch (a[1]) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (a[2] >= LINUX_MAX_FDS)
			return -LINUX_EINVAL;
		return dup_at(p, a[0], a[2], a[1] == F_DUPFD_CLOEXEC);
	case F_GETFD:
		return p->files.cloexec[a[0]] ? FD_CLOEXEC : 0;
	case F_SETFD:
		p->files.cloexec[a[0]] = (a[2] & FD_CLOEXEC) != 0;
		return 0;
	case F_GETFL:
		return f->flags;
	case F_SETFL:
		/* as Linux: only O_APPEND and O_NONBLOCK change, the rest is ignored */
		f->flags = (f->flags & ~(L_O_APPEND | L_O_NONBLOCK)) |
		           ((uint32_t)a[2] & (L_O_APPEND | L_O_NONBLOCK));
		return 0;
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		if (f->kind != OFD_PIPE_R && f->kind != OFD_PIPE_W)
			return -LINUX_EBADF;
		return LINUX_PIPE_SIZE; /* the size is fixed */
	default:
		return -LINUX_EINVAL; /* locks and the rest: not yet */
	}
}

int64_t sys_ioctl(struct proc *p, const uint64_t a[6])
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	if (f->kind == OFD_CONSOLE)
		return tty_ioctl(p, f, a[1], a[2]); /* the terminal's requests (tty.c) */
	return -LINUX_ENOTTY; /* not a terminal: isatty() is false, stdout fully buffered */
}

int64_t sys_pipe2(struct proc *p, const uint64_t a[6])
{
	if (a[1] & ~(uint64_t)(L_O_CLOEXEC | L_O_NONBLOCK))
		return -LINUX_EINVAL;
	struct ofd *r, *w;
	int e = pipe_new((uint32_t)a[1] & L_O_NONBLOCK, &r, &w);
	if (e)
		return e;
	bool cloexec = (a[1] & L_O_CLOEXEC) != 0;
	int64_t fr = fd_install(p, r, 0, cloexec);
	int64_t fw = fr >= 0 ? fd_install(p, w, 0, cloexec) : -LINUX_EMFILE;
	int32_t fds[2] = {(int32_t)fr, (int32_t)fw};
	int64_t err = fw < 0 ? fw : mem_copy_out(p, a[0], fds, sizeof(fds));
	if (err) {
		if (fr >= 0)
			p->files.fd[fr] = NULL;
		if (fw >= 0)
			p->files.fd[fw] = NULL;
		ofd_put(r);
		ofd_put(w);
		return err;
	}
	return 0;
}

/* ---- reading and writing ---- */

static uint64_t rand_state;

static void fill_random(uint8_t *buf, size_t n)
{
	if (rand_state == 0)
		rand_state = m6_time_ns() | 1; /* not cryptographic: as getrandom, for now */
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)linux_random_state_step(&rand_state);
}

/* Read from f into the process at buf: at f's position (pos < 0) or at pos (pread). */
static int64_t do_read(struct proc *p, struct ofd *f, uint64_t buf, uint64_t n, int64_t pos)
{
	if ((f->flags & L_O_ACCMODE) == L_O_WRONLY || (f->flags & L_O_PATH))
		return -LINUX_EBADF;
	if (n > MAX_RW)
		n = MAX_RW;
	switch (f->kind) {
	case OFD_CONSOLE:
		/* the terminal (tty.c): -EAGAIN when a read would wait */
		return pos >= 0 ? -LINUX_ESPIPE : tty_read(p, f, buf, n);
	case OFD_NULL:
		return 0;
	case OFD_ZERO:
	case OFD_URANDOM: {
		uint8_t chunk[512];
		if (f->kind == OFD_ZERO)
			memset(chunk, 0, sizeof(chunk));
		for (uint64_t done = 0; done < n;) {
			size_t k = n - done < sizeof(chunk) ? (size_t)(n - done) : sizeof(chunk);
			if (f->kind == OFD_URANDOM)
				fill_random(chunk, k);
			int e = mem_copy_out(p, buf + done, chunk, k);
			if (e)
				return done ? (int64_t)done : e;
			done += k;
		}
		return (int64_t)n;
	}
	case OFD_PIPE_R:
		if (pos >= 0)
			return -LINUX_ESPIPE;
		/* An empty pipe with writers: EAGAIN, which read(2) turns into a wait */
		return pipe_read(p, f->pipe, buf, n);
	case OFD_PIPE_W:
		return -LINUX_EBADF;
	case OFD_PROC:
		return procfs_read(p, f, buf, n, pos);
	case OFD_EPOLL:
		return -LINUX_EINVAL;
	default:
		break;
	}
	uint64_t done = 0;
	while (done < n) {
		uint32_t piece = n - done < win_size ? (uint32_t)(n - done) : (uint32_t)win_size;
		int64_t ret = 0;
		uint64_t err =
		    pos < 0 ? vfs_read(CAP_VFS, f->vfd, 0, piece, &ret)
		            : vfs_pread(CAP_VFS, f->vfd, 0, piece, (uint64_t)pos + done, &ret);
		int64_t r = vfs_ret(err, ret);
		if (r < 0)
			return done ? (int64_t)done : r;
		if (r > 0) {
			int e = mem_copy_out(p, buf + done, win, (size_t)r);
			if (e)
				return done ? (int64_t)done : e;
		}
		done += (uint64_t)r;
		if ((uint32_t)r < piece)
			break;
	}
	return (int64_t)done;
}

static int64_t do_write(struct proc *p, struct ofd *f, uint64_t buf, uint64_t n, int64_t pos)
{
	if ((f->flags & L_O_ACCMODE) == L_O_RDONLY || (f->flags & L_O_PATH))
		return -LINUX_EBADF;
	if (n > MAX_RW)
		n = MAX_RW;
	switch (f->kind) {
	case OFD_CONSOLE: {
		if (pos >= 0)
			return -LINUX_ESPIPE;
		return tty_write(p, buf, n); /* through the terminal's output processing */
	}
	case OFD_NULL:
	case OFD_ZERO:
	case OFD_URANDOM:
		return (int64_t)n; /* swallowed, as Linux does */
	case OFD_PIPE_W:
		if (pos >= 0)
			return -LINUX_ESPIPE;
		/* A full pipe: EAGAIN, which write(2) turns into a wait. No reader: SIGPIPE and
		 * EPIPE. */
		return pipe_write(p, f->pipe, buf, n);
	case OFD_PIPE_R:
	case OFD_PROC:
		return -LINUX_EBADF;
	case OFD_EPOLL:
		return -LINUX_EINVAL;
	default:
		break;
	}
	int64_t ret = 0;
	if (pos < 0 && (f->flags & L_O_APPEND)) {
		/* the shim is the description's only user and serves one call at a time, so
		 * seeking to the end then writing is as atomic as O_APPEND asks */
		int64_t r = vfs_ret(vfs_seek(CAP_VFS, f->vfd, 0, 2, &ret), ret);
		if (r < 0)
			return r;
	}
	uint64_t done = 0;
	while (done < n) {
		uint32_t piece = n - done < win_size ? (uint32_t)(n - done) : (uint32_t)win_size;
		int e = mem_copy_in(p, win, buf + done, piece);
		if (e)
			return done ? (int64_t)done : e;
		uint64_t err =
		    pos < 0 ? vfs_write(CAP_VFS, f->vfd, 0, piece, &ret)
		            : vfs_pwrite(CAP_VFS, f->vfd, 0, piece, (uint64_t)pos + done, &ret);
		int64_t r = vfs_ret(err, ret);
		if (r < 0)
			return done ? (int64_t)done : r;
		done += (uint64_t)r;
		if ((uint32_t)r < piece)
			break;
	}
	return (int64_t)done;
}

/* A read or write that found its pipe empty or full waits (block.c) unless O_NONBLOCK.
 * The parked call keeps the descriptor number, not the description: each retry looks it
 * up again, so a descriptor closed meanwhile ends the wait with EBADF and nothing is held
 * when the process dies (block_cancel forgets the call). */
static int64_t retry_io(struct blocked *b, bool is_write)
{
	struct ofd *f = fd_get(b->p, (int64_t)b->arg[0]);
	if (!f)
		return -LINUX_EBADF;
	int64_t r = is_write ? do_write(b->p, f, b->arg[1], b->arg[2], -1)
	                     : do_read(b->p, f, b->arg[1], b->arg[2], -1);
	return r == -LINUX_EAGAIN && !(f->flags & L_O_NONBLOCK) ? LINUX_PARKED : r;
}

static int64_t retry_read(struct blocked *b)
{
	return retry_io(b, false);
}

static int64_t retry_write(struct blocked *b)
{
	return retry_io(b, true);
}

static int64_t io_or_park(struct proc *p, const uint64_t a[6], bool is_write)
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	if (f->kind == OFD_CONSOLE && !is_write)
		return tty_sys_read(p, a); /* the terminal parks its own reads (VTIME) */
	int64_t r = is_write ? do_write(p, f, a[1], a[2], -1) : do_read(p, f, a[1], a[2], -1);
	if (r != -LINUX_EAGAIN || (f->flags & L_O_NONBLOCK) ||
	    (f->kind != OFD_PIPE_R && f->kind != OFD_PIPE_W))
		return r;
	struct blocked *b = block_park(is_write ? retry_write : retry_read, 0, 0);
	if (!b)
		return -LINUX_EAGAIN; /* too many waiting threads */
	memcpy(b->arg, a, sizeof(b->arg));
	return LINUX_PARKED;
}

int64_t sys_read(struct proc *p, const uint64_t a[6])
{
	return io_or_park(p, a, false);
}

int64_t sys_write(struct proc *p, const uint64_t a[6])
{
	return io_or_park(p, a, true);
}

int64_t sys_pread64(struct proc *p, const uint64_t a[6])
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	if ((int64_t)a[3] < 0)
		return -LINUX_EINVAL;
	return do_read(p, f, a[1], a[2], (int64_t)a[3]);
}

int64_t sys_pwrite64(struct proc *p, const uint64_t a[6])
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	if ((int64_t)a[3] < 0)
		return -LINUX_EINVAL;
	return do_write(p, f, a[1], a[2], (int64_t)a[3]);
}

/* readv and writev: each piece in turn, stopping at a short one or an error after some
 * bytes moved (then the count). */
static int64_t do_vec(struct proc *p, const uint64_t a[6], bool is_write)
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	if (a[2] > 1024) /* UIO_MAXIOV */
		return -LINUX_EINVAL;
	int64_t total = 0;
	for (uint64_t i = 0; i < a[2]; i++) {
		uint64_t iov[2];
		int e = mem_copy_in(p, iov, a[1] + i * 16, sizeof(iov));
		if (e)
			return total ? total : e;
		if ((int64_t)iov[1] < 0)
			return total ? total : -LINUX_EINVAL;
		if (iov[1] == 0)
			continue;
		int64_t n = is_write ? do_write(p, f, iov[0], iov[1], -1)
		                     : do_read(p, f, iov[0], iov[1], -1);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((uint64_t)n < iov[1])
			break;
	}
	return total;
}

/* readv and writev wait as read and write do: nothing moved and the pipe empty or full. */
static int64_t retry_vec(struct blocked *b, bool is_write)
{
	struct ofd *f = fd_get(b->p, (int64_t)b->arg[0]);
	if (!f)
		return -LINUX_EBADF;
	int64_t r = do_vec(b->p, b->arg, is_write);
	return r == -LINUX_EAGAIN && !(f->flags & L_O_NONBLOCK) ? LINUX_PARKED : r;
}

static int64_t retry_readv(struct blocked *b)
{
	return retry_vec(b, false);
}

static int64_t retry_writev(struct blocked *b)
{
	return retry_vec(b, true);
}

static int64_t vec_or_park(struct proc *p, const uint64_t a[6], bool is_write)
{
	int64_t r = do_vec(p, a, is_write);
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (r != -LINUX_EAGAIN || !f || (f->flags & L_O_NONBLOCK) ||
	    (f->kind != OFD_PIPE_R && f->kind != OFD_PIPE_W))
		return r;
	struct blocked *b = block_park(is_write ? retry_writev : retry_readv, 0, 0);
	if (!b)
		return -LINUX_EAGAIN;
	memcpy(b->arg, a, sizeof(b->arg));
	return LINUX_PARKED;
}

int64_t sys_readv(struct proc *p, const uint64_t a[6])
{
	return vec_or_park(p, a, false);
}

int64_t sys_writev(struct proc *p, const uint64_t a[6])
{
	return vec_or_park(p, a, true);
}

int64_t sys_lseek(struct proc *p, const uint64_t a[6])
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	if (a[2] > 4) /* SEEK_SET .. SEEK_HOLE */
		return -LINUX_EINVAL;
	switch (f->kind) {
	case OFD_CONSOLE:
	case OFD_PIPE_R:
	case OFD_PIPE_W:
	case OFD_EPOLL:
		return -LINUX_ESPIPE;
	case OFD_VFS:
		break;
	case OFD_PROC:
		return procfs_seek(f, (int64_t)a[1], (uint32_t)a[2]);
	default:
		return 0; /* /dev/null, /dev/zero: every position is 0 */
	}
	int64_t ret = 0;
	return vfs_ret(vfs_seek(CAP_VFS, f->vfd, (int64_t)a[1], (uint32_t)a[2], &ret), ret);
}

int64_t sys_getdents64(struct proc *p, const uint64_t a[6])
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	if (f->kind == OFD_PROC)
		return procfs_getdents(p, f, a[1], a[2]);
	if (f->kind != OFD_VFS)
		return -LINUX_ENOTDIR;
	uint32_t len = a[2] < win_size ? (uint32_t)a[2] : (uint32_t)win_size;
	int64_t ret = 0;
	/* the VFS packs the records as getdents64 does: copied as they are */
	int64_t r = vfs_ret(vfs_readdir(CAP_VFS, f->vfd, 0, len, &ret), ret);
	if (r <= 0)
		return r;
	int e = mem_copy_out(p, a[1], win, (size_t)r);
	return e ? e : r;
}

int64_t sys_ftruncate(struct proc *p, const uint64_t a[6])
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	if ((int64_t)a[1] < 0 || f->kind != OFD_VFS)
		return -LINUX_EINVAL;
	if ((f->flags & L_O_ACCMODE) == L_O_RDONLY)
		return -LINUX_EINVAL; /* Linux: not open for writing */
	int64_t ret = 0;
	return vfs_ret(vfs_ftruncate(CAP_VFS, f->vfd, a[1], &ret), ret);
}

int64_t sys_fsync(struct proc *p, const uint64_t a[6])
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	if (f->kind != OFD_VFS)
		return -LINUX_EINVAL;
	int64_t ret = 0;
	return vfs_ret(vfs_fsync(CAP_VFS, f->vfd, &ret), ret);
}

/* ---- calls on paths ---- */

enum path_op { OP_MKDIR, OP_RMDIR, OP_UNLINK, OP_TRUNCATE, OP_CHMOD, OP_CHOWN };

static int64_t path_op(enum path_op op, const char *path, size_t len, uint64_t x, uint64_t y)
{
	if (procfs_path(path))
		return op == OP_MKDIR ? -LINUX_EEXIST : -LINUX_EPERM; /* generated: fixed */
	if (dev_lookup(path)) {
		/* the shim's devices are fixed: they exist, cannot go, and keep their modes */
		if (op == OP_MKDIR)
			return -LINUX_EEXIST;
		if (op == OP_TRUNCATE)
			return 0;
		return op == OP_CHMOD || op == OP_CHOWN ? 0 : -LINUX_EPERM;
	}
	win_path(0, path, len);
	int64_t ret = 0;
	uint64_t err = M6_OK;
	uint32_t n = (uint32_t)len;
	switch (op) {
	case OP_MKDIR:
		err = vfs_mkdir(CAP_VFS, 0, n, (uint32_t)(x & 07777), &ret);
		break;
	case OP_RMDIR:
		err = vfs_rmdir(CAP_VFS, 0, n, &ret);
		break;
	case OP_UNLINK:
		err = vfs_unlink(CAP_VFS, 0, n, &ret);
		break;
	case OP_TRUNCATE:
		err = vfs_truncate(CAP_VFS, 0, n, x, &ret);
		break;
	case OP_CHMOD:
		err = vfs_chmod(CAP_VFS, 0, n, (uint32_t)(x & 07777), &ret);
		break;
	case OP_CHOWN:
		err = vfs_chown(CAP_VFS, 0, n, (uint32_t)x, (uint32_t)y, &ret);
		break;
	}
	return vfs_ret(err, ret);
}

static int64_t path_op_at(struct proc *p, int64_t dirfd, uint64_t upath, enum path_op op,
                          uint64_t x, uint64_t y)
{
	static char path[LINUX_PATH_MAX];
	int64_t len = resolve(p, dirfd, upath, path, false);
	return len < 0 ? len : path_op(op, path, (size_t)len, x, y);
}

int64_t sys_mkdirat(struct proc *p, const uint64_t a[6])
{
	return path_op_at(p, (int64_t)a[0], a[1], OP_MKDIR, a[2] & ~(uint64_t)p->umask, 0);
}

int64_t sys_unlinkat(struct proc *p, const uint64_t a[6])
{
	if (a[2] & ~(uint64_t)AT_REMOVEDIR)
		return -LINUX_EINVAL;
	return path_op_at(p, (int64_t)a[0], a[1], (a[2] & AT_REMOVEDIR) ? OP_RMDIR : OP_UNLINK, 0,
	                  0);
}

int64_t sys_truncate(struct proc *p, const uint64_t a[6])
{
	if ((int64_t)a[1] < 0)
		return -LINUX_EINVAL;
	return path_op_at(p, AT_FDCWD, a[0], OP_TRUNCATE, a[1], 0);
}

int64_t sys_fchmodat(struct proc *p, const uint64_t a[6])
{
	return path_op_at(p, (int64_t)a[0], a[1], OP_CHMOD, a[2], 0);
}

int64_t sys_fchownat(struct proc *p, const uint64_t a[6])
{
	if (a[4] & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -LINUX_EINVAL;
	static char path[LINUX_PATH_MAX];
	int64_t len = resolve(p, (int64_t)a[0], a[1], path, (a[4] & AT_EMPTY_PATH) != 0);
	if (len < 0)
		return len;
	if (len == 0) {
		uint64_t b[6] = {a[0], a[2], a[3], 0, 0, 0};
		return sys_fchown(p, b);
	}
	return path_op(OP_CHOWN, path, (size_t)len, a[2], a[3]);
}

/* fchmod and fchown: on the path the description was opened by. */
static int64_t fd_path_op(struct proc *p, uint64_t fd, enum path_op op, uint64_t x, uint64_t y)
{
	struct ofd *f = fd_get(p, (int64_t)fd);
	if (!f)
		return -LINUX_EBADF;
	if (f->kind != OFD_VFS)
		return 0; /* devices and pipes keep their modes */
	return path_op(op, f->path, strlen(f->path), x, y);
}

int64_t sys_fchmod(struct proc *p, const uint64_t a[6])
{
	return fd_path_op(p, a[0], OP_CHMOD, a[1], 0);
}

int64_t sys_fchown(struct proc *p, const uint64_t a[6])
{
	return fd_path_op(p, a[0], OP_CHOWN, a[1], a[2]);
}

int64_t sys_renameat2(struct proc *p, const uint64_t a[6])
{
	static char from[LINUX_PATH_MAX], to[LINUX_PATH_MAX];
	if (a[4] & ~(uint64_t)RENAME_NOREPLACE)
		return -LINUX_EINVAL; /* RENAME_EXCHANGE, RENAME_WHITEOUT: not in the VFS */
	int64_t n1 = resolve(p, (int64_t)a[0], a[1], from, false);
	if (n1 < 0)
		return n1;
	int64_t n2 = resolve(p, (int64_t)a[2], a[3], to, false);
	if (n2 < 0)
		return n2;
	if (dev_lookup(from) || dev_lookup(to) || procfs_path(from) || procfs_path(to))
		return -LINUX_EPERM;
	if (a[4] & RENAME_NOREPLACE) {
		struct kstat st;
		/* one call at a time: nothing can create `to` between this check and the rename */
		int64_t r = stat_path(p, to, (size_t)n2, &st);
		if (r == 0)
			return -LINUX_EEXIST;
	}
	win_path(0, from, (size_t)n1);
	win_path((size_t)n1, to, (size_t)n2);
	int64_t ret = 0;
	return vfs_ret(vfs_rename(CAP_VFS, 0, (uint32_t)n1, (uint64_t)n1, (uint32_t)n2, &ret), ret);
}

int64_t sys_renameat(struct proc *p, const uint64_t a[6])
{
	const uint64_t b[6] = {a[0], a[1], a[2], a[3], 0, 0};
	return sys_renameat2(p, b);
}

#define R_OK 4
#define W_OK 2
#define X_OK 1

static int64_t access_at(struct proc *p, const uint64_t a[6], uint64_t flags)
{
	if (a[2] & ~(uint64_t)7 ||
	    flags & ~(uint64_t)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -LINUX_EINVAL;
	struct kstat st;
	int64_t r = stat_at(p, (int64_t)a[0], a[1], flags, &st);
	if (r < 0)
		return r;
	/* one user, root: reading and writing are allowed, executing needs an x bit */
	if ((a[2] & X_OK) && (st.mode & S_IFMT) != S_IFDIR && !(st.mode & 0111))
		return -LINUX_EACCES;
	return 0;
}

int64_t sys_faccessat(struct proc *p, const uint64_t a[6])
{
	return access_at(p, a, 0);
}

int64_t sys_faccessat2(struct proc *p, const uint64_t a[6])
{
	return access_at(p, a, a[3]);
}

int64_t sys_readlinkat(struct proc *p, const uint64_t a[6])
{
	static char path[LINUX_PATH_MAX];
	if ((int64_t)a[3] <= 0)
		return -LINUX_EINVAL;
	int64_t len = resolve(p, (int64_t)a[0], a[1], path, false);
	if (len < 0)
		return len;
	char target[32];
	static char proc_target[LINUX_PATH_MAX];
	const char *link = NULL;
	const struct dev *d = dev_lookup(path);
	if (procfs_path(path)) {
		/* /proc/self, /proc/N/exe (glibc asks at start-up), cwd, fd/M */
		int64_t r = procfs_readlink(p, path, proc_target, sizeof(proc_target));
		if (r < 0)
			return r;
		link = proc_target;
	} else if (d && d->kind == OFD_VFS) {
		/* /dev/stdin, stdout, stderr are links to /proc/self/fd/N */
		strcpy(target, "/proc/self/fd/0");
		target[sizeof("/proc/self/fd/") - 1] = (char)('0' + d->fd);
		link = target;
	} else if (d) {
		return -LINUX_EINVAL; /* a device of the shim's: no link */
	} else {
		/* A link of the VFS: its target after the path in the window. */
		uint32_t room = a[3] < LINUX_PATH_MAX ? (uint32_t)a[3] : LINUX_PATH_MAX;
		win_path(0, path, (size_t)len);
		int64_t ret = 0;
		int64_t r = vfs_ret(
		    vfs_readlink(CAP_VFS, 0, (uint32_t)len, (uint64_t)len, room, &ret), ret);
		if (r < 0)
			return r;
		if (r > (int64_t)room)
			return -LINUX_EIO;
		int e = mem_copy_out(p, a[2], win + len, (size_t)r);
		return e ? e : r;
	}
	size_t n = strlen(link) < a[3] ? strlen(link) : (size_t)a[3];
	int e = mem_copy_out(p, a[2], link, n);
	return e ? e : (int64_t)n;
}

/* symlinkat(target, newdirfd, linkpath): the target is stored as given, not resolved. */
int64_t sys_symlinkat(struct proc *p, const uint64_t a[6])
{
	static char target[LINUX_PATH_MAX], path[LINUX_PATH_MAX];
	int64_t tlen = user_string(p, a[0], target, sizeof(target));
	if (tlen < 0)
		return tlen;
	if (tlen == 0)
		return -LINUX_ENOENT;
	int64_t len = resolve(p, (int64_t)a[1], a[2], path, false);
	if (len < 0)
		return len;
	if (dev_lookup(path))
		return -LINUX_EEXIST;
	if (procfs_path(path)) {
		/* fixed, as in path_op: a link in the VFS's /proc would hide behind procfs.c. A
		 * name there exists (EEXIST), else procfs has none to make (Linux: ENOENT). */
		struct procfs_stat ps;
		return procfs_stat(p, path, false, &ps) == 0 ? -LINUX_EEXIST : -LINUX_ENOENT;
	}
	win_path(0, target, (size_t)tlen);
	win_path((size_t)tlen, path, (size_t)len);
	int64_t ret = 0;
	return vfs_ret(vfs_symlink(CAP_VFS, 0, (uint32_t)tlen, (uint64_t)tlen, (uint32_t)len, &ret),
	               ret);
}

/* ---- statfs, sync, times ---- */

/* struct statfs of arm64 (asm-generic, 64-bit words): 120 bytes. */
struct linux_statfs {
	int64_t type, bsize, blocks, bfree, bavail, files, ffree;
	int32_t fsid[2];
	int64_t namelen, frsize, flags, spare[4];
};
_Static_assert(sizeof(struct linux_statfs) == 120, "struct statfs of arm64 is 120 bytes");

#define ST_RDONLY    1
#define ST_VALID     0x20 /* Linux sets it: f_flags is meaningful */
#define TMPFS_MAGIC  0x01021994
#define PIPEFS_MAGIC 0x50495045

/* statfs of an absolute path, into *out: the VFS's answer, or devtmpfs's for the shim's
 * devices (a tmpfs, as Linux's /dev). */
static int64_t statfs_path(struct proc *p, const char *path, size_t len, struct linux_statfs *out)
{
	(void)p;
	memset(out, 0, sizeof(*out));
	if (dev_lookup(path)) {
		out->type = TMPFS_MAGIC;
		out->bsize = out->frsize = 4096;
		out->namelen = 255;
		out->flags = ST_VALID;
		return 0;
	}
	struct vfs_statfs_info v;
	int64_t ret = 0;
	win_path(0, path, len);
	int64_t r = vfs_ret(vfs_statfs(CAP_VFS, 0, (uint32_t)len, &ret, &v), ret);
	if (r < 0)
		return r;
	out->type = v.magic;
	out->bsize = out->frsize = v.bsize;
	out->blocks = (int64_t)v.blocks;
	out->bfree = out->bavail = (int64_t)v.bfree;
	out->files = (int64_t)v.files;
	out->ffree = (int64_t)v.ffree;
	out->namelen = v.namemax;
	out->flags = ST_VALID | ((v.flags & 1u) ? ST_RDONLY : 0);
	return 0;
}

int64_t sys_statfs(struct proc *p, const uint64_t a[6])
{
	static char path[LINUX_PATH_MAX];
	int64_t len = resolve(p, AT_FDCWD, a[0], path, false);
	if (len < 0)
		return len;
	struct linux_statfs st;
	int64_t r = statfs_path(p, path, (size_t)len, &st);
	return r < 0 ? r : mem_copy_out(p, a[1], &st, sizeof(st));
}

int64_t sys_fstatfs(struct proc *p, const uint64_t a[6])
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	struct linux_statfs st;
	int64_t r = 0;
	if (f->kind == OFD_VFS && f->path) {
		r = statfs_path(p, f->path, strlen(f->path), &st);
	} else {
		/* a pipe (pipefs) or one of the shim's devices (devtmpfs) */
		memset(&st, 0, sizeof(st));
		bool pipe = f->kind == OFD_PIPE_R || f->kind == OFD_PIPE_W;
		st.type = pipe ? PIPEFS_MAGIC : TMPFS_MAGIC;
		st.bsize = st.frsize = 4096;
		st.namelen = 255;
		st.flags = ST_VALID;
	}
	return r < 0 ? r : mem_copy_out(p, a[1], &st, sizeof(st));
}

/* sync and syncfs: every mount (the VFS syncs them all); Linux's sync reports nothing. */
int64_t sys_sync(struct proc *p, const uint64_t a[6])
{
	(void)p, (void)a;
	int64_t ret = 0;
	(void)vfs_sync(CAP_VFS, &ret);
	return 0;
}

int64_t sys_syncfs(struct proc *p, const uint64_t a[6])
{
	if (!fd_get(p, (int64_t)a[0]))
		return -LINUX_EBADF;
	int64_t ret = 0;
	return vfs_ret(vfs_sync(CAP_VFS, &ret), ret);
}

#define UTIME_NOW  ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)
#define SET_ATIME  0x8u  /* the VFS's VFS_SET_ATIME */
#define SET_MTIME  0x10u /* VFS_SET_MTIME */

struct linux_timespec {
	int64_t sec, nsec;
};

/* utimensat(dirfd, path, times[2], flags); path NULL: dirfd itself (futimens). UTIME_NOW is
 * CLOCK_REALTIME, as clock_gettime and the vDSO read it. */
int64_t sys_utimensat(struct proc *p, const uint64_t a[6])
{
	static char path[LINUX_PATH_MAX];
	if (a[3] & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -LINUX_EINVAL;
	struct linux_timespec ts[2];
	uint64_t ns[2], now = vdso_clock_ns(true);
	uint32_t which = 0;
	if (a[2] == 0) {
		ns[0] = ns[1] = now;
		which = SET_ATIME | SET_MTIME;
	} else {
		int e = mem_copy_in(p, ts, a[2], sizeof(ts));
		if (e)
			return e;
		for (int i = 0; i < 2; i++) {
			if (ts[i].nsec == UTIME_OMIT)
				continue;
			if (ts[i].nsec == UTIME_NOW)
				ns[i] = now;
			else if (ts[i].nsec < 0 || ts[i].nsec > 999999999 || ts[i].sec < 0)
				return -LINUX_EINVAL; /* before 1970: the VFS keeps unsigned times
				                       */
			else
				ns[i] = (uint64_t)ts[i].sec * 1000000000u + (uint64_t)ts[i].nsec;
			which |= i == 0 ? SET_ATIME : SET_MTIME;
		}
	}
	int64_t len;
	if (a[1] == 0) {
		struct ofd *f = fd_get(p, (int64_t)a[0]);
		if (!f)
			return -LINUX_EBADF;
		if (f->kind != OFD_VFS || !f->path)
			return 0; /* pipes and devices keep no times */
		len = (int64_t)strlen(f->path);
		memcpy(path, f->path, (size_t)len + 1);
	} else {
		len = resolve(p, (int64_t)a[0], a[1], path, (a[3] & AT_EMPTY_PATH) != 0);
		if (len < 0)
			return len;
		if (len == 0) {
			uint64_t b[6] = {a[0], 0, a[2], 0, 0, 0};
			return sys_utimensat(p, b);
		}
		if (dev_lookup(path))
			return 0;
	}
	if (a[3] & AT_SYMLINK_NOFOLLOW) {
		struct kstat st;
		int64_t r = stat_path_at(p, path, (size_t)len, false, &st);
		if (r < 0)
			return r;
		if ((st.mode & S_IFMT) == 0120000u)
			return -LINUX_EOPNOTSUPP; /* the VFS sets no link's times */
	}
	win_path(0, path, (size_t)len);
	int64_t ret = 0;
	return vfs_ret(vfs_utimens(CAP_VFS, 0, (uint32_t)len, ns[0], ns[1], which, &ret), ret);
}

/* ---- the working directory ---- */

static int64_t set_cwd(struct proc *p, const char *path, size_t len)
{
	while (len > 1 && path[len - 1] == '/')
		len--;
	char *copy = malloc(len + 1);
	if (!copy)
		return -LINUX_ENOMEM;
	memcpy(copy, path, len);
	copy[len] = '\0';
	free(p->files.cwd);
	p->files.cwd = copy;
	return 0;
}

/* The working directory becomes the directory's own path, links and ".." resolved (what
 * getcwd must answer), from the VFS's realpath, after the path in the window. */
static int64_t set_real_cwd(struct proc *p, const char *path, size_t len)
{
	if (procfs_path(path))
		return set_cwd(p, path, len); /* the shim's own tree: no links, its text is real */
	int64_t ret = 0;
	win_path(0, path, len);
	int64_t r = vfs_ret(
	    vfs_realpath(CAP_VFS, 0, (uint32_t)len, (uint64_t)len, LINUX_PATH_MAX, &ret), ret);
	if (r <= 0 || r > LINUX_PATH_MAX || win[len + (size_t)r - 1] != '\0')
		return r < 0 ? r : -LINUX_EIO;
	return set_cwd(p, (const char *)win + len, (size_t)r - 1);
}

int64_t sys_chdir(struct proc *p, const uint64_t a[6])
{
	static char path[LINUX_PATH_MAX];
	int64_t len = resolve(p, AT_FDCWD, a[0], path, false);
	if (len < 0)
		return len;
	struct kstat st;
	int64_t r = stat_path(p, path, (size_t)len, &st);
	if (r < 0)
		return r;
	if ((st.mode & S_IFMT) != S_IFDIR)
		return -LINUX_ENOTDIR;
	return set_real_cwd(p, path, (size_t)len);
}

int64_t sys_fchdir(struct proc *p, const uint64_t a[6])
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	struct kstat st;
	int64_t r = stat_ofd(f, &st);
	if (r < 0)
		return r;
	if ((f->kind != OFD_VFS && f->kind != OFD_PROC) || (st.mode & S_IFMT) != S_IFDIR)
		return -LINUX_ENOTDIR;
	return set_real_cwd(p, f->path, strlen(f->path));
}

int64_t sys_getcwd(struct proc *p, const uint64_t a[6])
{
	const char *cwd = p->files.cwd ? p->files.cwd : "/";
	size_t n = strlen(cwd) + 1;
	if (a[1] < n)
		return -LINUX_ERANGE;
	int e = mem_copy_out(p, a[0], cwd, n);
	return e ? e : (int64_t)n;
}

/* ---- mount ---- */

#define LINUX_EBUSY 16

/* The shim mounts nothing: what a Linux process sees is already assembled (the VFS's
 * mounts from the spec, the shim's devices under /dev). So mount answers what Linux
 * answers for a point that is already a mount point, EBUSY, and ENODEV (no such
 * filesystem type) for any other directory: a program that mounts what it needs, as
 * test/linux's /init does, finds it there. A mount point is "/", "/dev", or a directory
 * whose device differs from its parent's. */
int64_t sys_mount(struct proc *p, const uint64_t a[6])
{
	static char path[LINUX_PATH_MAX];
	int64_t len = resolve(p, AT_FDCWD, a[1], path, false);
	if (len < 0)
		return len;
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	if (strcmp(path, "/dev") == 0 || strcmp(path, "/proc") == 0)
		return -LINUX_EBUSY; /* the shim's devices and procfs.c: always there */
	struct kstat st, parent;
	int64_t r = stat_path(p, path, (size_t)len, &st);
	if (r < 0)
		return r;
	if ((st.mode & S_IFMT) != S_IFDIR)
		return -LINUX_ENOTDIR;
	if (len == 1)
		return -LINUX_EBUSY;
	size_t cut = (size_t)len;
	while (cut > 0 && path[cut - 1] != '/')
		cut--;
	if (cut > 1)
		cut--; /* "/a/b" -> "/a"; "/a" -> "/" */
	path[cut] = '\0';
	r = stat_path(p, path, cut, &parent);
	if (r < 0)
		return r;
	return st.dev != parent.dev ? -LINUX_EBUSY : -LINUX_ENODEV;
}

/* ---- poll, ppoll, pselect6 ---- */

#define L_POLLIN   0x001
#define L_POLLPRI  0x002
#define L_POLLOUT  0x004
#define L_POLLERR  0x008
#define L_POLLHUP  0x010
#define L_POLLNVAL 0x020

/* Readiness per kind of description (fd.h): pipes know theirs; a kind without a hook is
 * always readable and writable (files, devices). */
static uint32_t poll_always(struct proc *p, const struct ofd *f)
{
	(void)p;
	(void)f;
	return L_POLLIN | L_POLLOUT;
}

static uint32_t poll_pipe(struct proc *p, const struct ofd *f)
{
	(void)p;
	return pipe_poll(f);
}

/* The console descriptors are the terminal (tty.c): readable when a line (or, raw, a
 * byte) is waiting, or the reader would get EOF or EIO. */
static uint32_t poll_console(struct proc *p, const struct ofd *f)
{
	(void)f;
	return tty_poll(p);
}

fd_poll_fn fd_poll_kind[OFD_KIND_MAX] = {
    [OFD_PIPE_R] = poll_pipe,
    [OFD_PIPE_W] = poll_pipe,
    [OFD_CONSOLE] = poll_console,
    [OFD_EPOLL] = epoll_poll,
};

uint32_t fd_poll(struct proc *p, const struct ofd *f)
{
	fd_poll_fn fn = f->kind < OFD_KIND_MAX ? fd_poll_kind[f->kind] : NULL;
	return (fn ? fn : poll_always)(p, f);
}

/* ppoll and pselect6 write the time left back, as Linux does (glibc's select passes it
 * on in the timeval). */
static void write_left(struct proc *p, uint64_t uts, uint64_t deadline)
{
	if (!uts || !deadline)
		return;
	uint64_t now = m6_counter(), f = m6_counter_frequency();
	uint64_t t = deadline > now ? deadline - now : 0;
	uint64_t ns = t / f * 1000000000u + t % f * 1000000000u / f;
	int64_t ts[2] = {(int64_t)(ns / 1000000000u), (int64_t)(ns % 1000000000u)};
	mem_copy_out(p, uts, ts, sizeof(ts));
}

struct linux_pollfd {
	int32_t fd;
	int16_t events, revents;
};

/* The events ready on one descriptor, as Linux reports them: POLLERR, POLLHUP and
 * POLLNVAL whether asked for or not. Pipes and the terminal say when they are; the rest
 * is always ready (files, devices). */
static int16_t poll_one(struct proc *p, int32_t fd, int16_t events)
{
	if (fd < 0)
		return 0;
	struct ofd *f = fd_get(p, fd);
	if (!f)
		return L_POLLNVAL;
	uint32_t ready = fd_poll(p, f);
	return (int16_t)(ready & ((uint16_t)events | L_POLLERR | L_POLLHUP | L_POLLNVAL));
}

static struct linux_pollfd pollfds[LINUX_MAX_FDS];

/* Fill in revents of the nfds entries at `ufds`: the number ready, or -errno. */
static int64_t poll_scan(struct proc *p, uint64_t ufds, uint64_t nfds)
{
	size_t size = (size_t)nfds * sizeof(struct linux_pollfd);
	int e = mem_copy_in(p, pollfds, ufds, size);
	if (e)
		return e;
	int64_t count = 0;
	for (uint64_t i = 0; i < nfds; i++) {
		pollfds[i].revents = poll_one(p, pollfds[i].fd, pollfds[i].events);
		count += pollfds[i].revents != 0;
	}
	e = mem_copy_out(p, ufds, pollfds, size);
	return e ? e : count;
}

/* arg: 0 fds, 1 nfds, 2 the timeout's address, 3 the deadline. */
static int64_t poll_check(struct blocked *b)
{
	int64_t r = poll_scan(b->p, b->arg[0], b->arg[1]);
	if (r == 0 && !(b->deadline && b->deadline <= m6_counter()))
		return LINUX_PARKED;
	write_left(b->p, b->arg[2], b->arg[3]);
	return r;
}

/* ppoll(fds, nfds, timeout, sigmask, sigsetsize). The signal mask applies for the call
 * (signal_temp_mask; a signal it lets through ends the call with -EINTR). With nothing
 * ready the call parks until a descriptor is (checked after every message), the timeout
 * or a signal; the revents already written are then all 0, as Linux leaves them. */
int64_t sys_ppoll(struct proc *p, const uint64_t a[6])
{
	if (a[1] > LINUX_MAX_FDS)
		return -LINUX_EINVAL;
	int64_t sr = signal_temp_mask(p, a[3], a[4]);
	if (sr)
		return sr;
	uint64_t deadline;
	bool now_only;
	int64_t r = block_read_timeout(p, a[2], &deadline, &now_only);
	if (r)
		return r;
	r = poll_scan(p, a[0], a[1]);
	if (r != 0 || now_only) {
		write_left(p, a[2], deadline);
		return r;
	}
	struct blocked *b = block_park(poll_check, deadline, 0);
	if (!b)
		return -LINUX_EAGAIN; /* too many waiting threads, or a timeout without a timer */
	b->arg[0] = a[0];
	b->arg[1] = a[1];
	b->arg[2] = a[2];
	b->arg[3] = deadline;
	return LINUX_PARKED;
}

/* select's sets (FD_SETSIZE is 1024 bits): the bits of the descriptor table's 256 are
 * read, in 64-bit words as the kernel reads them; later bits are ignored, as Linux ignores
 * those past its table. */
#define SET_WORDS (LINUX_MAX_FDS / 64)

/* One pass of pselect6 (arg: 0 nfds, 1-3 the three sets' addresses): the number of bits
 * ready, the sets written back only when some are (or `final`, a timeout: all zero);
 * -EBADF for a set bit naming no descriptor. */
static int64_t select_scan(struct proc *p, const uint64_t arg[6], bool final)
{
	uint64_t nfds = arg[0], in[3][SET_WORDS], out[3][SET_WORDS];
	size_t bytes = (size_t)((nfds + 63) / 64) * 8;
	memset(in, 0, sizeof(in));
	memset(out, 0, sizeof(out));
	for (int s = 0; s < 3; s++)
		if (arg[1 + s] && bytes) {
			int e = mem_copy_in(p, in[s], arg[1 + s], bytes);
			if (e)
				return e;
		}
	int64_t count = 0;
	for (uint64_t fd = 0; fd < nfds; fd++) {
		uint64_t bit = 1ull << (fd % 64), w = fd / 64;
		if (!((in[0][w] | in[1][w] | in[2][w]) & bit))
			continue;
		struct ofd *f = fd_get(p, (int64_t)fd);
		if (!f)
			return -LINUX_EBADF;
		uint32_t ready = fd_poll(p, f);
		/* Linux's sets: read = IN|HUP|ERR, write = OUT|ERR, except = PRI */
		if ((in[0][w] & bit) && (ready & (L_POLLIN | L_POLLHUP | L_POLLERR))) {
			out[0][w] |= bit;
			count++;
		}
		if ((in[1][w] & bit) && (ready & (L_POLLOUT | L_POLLERR))) {
			out[1][w] |= bit;
			count++;
		}
		if ((in[2][w] & bit) && (ready & L_POLLPRI)) {
			out[2][w] |= bit;
			count++;
		}
	}
	if (count == 0 && !final)
		return 0;
	for (int s = 0; s < 3; s++)
		if (arg[1 + s] && bytes) {
			int e = mem_copy_out(p, arg[1 + s], out[s], bytes);
			if (e)
				return e;
		}
	return count;
}

/* arg: 0-3 as select_scan, 4 the timeout's address, 5 the deadline. */
static int64_t select_check(struct blocked *b)
{
	bool over = b->deadline && b->deadline <= m6_counter();
	int64_t r = select_scan(b->p, b->arg, over);
	if (r == 0 && !over)
		return LINUX_PARKED;
	write_left(b->p, b->arg[4], b->arg[5]);
	return r;
}

/* pselect6(nfds, readfds, writefds, exceptfds, timeout, sigmask): readiness from the
 * same hooks as ppoll (fd_poll); waits as ppoll does. The signal mask (a[5] points at
 * {mask, size}) applies for the call, as ppoll's. */
int64_t sys_pselect6(struct proc *p, const uint64_t a[6])
{
	if ((int32_t)a[0] < 0)
		return -LINUX_EINVAL;
	/* Linux looks at no bit past its descriptor table: neither does the shim */
	uint64_t nfds = a[0] > LINUX_MAX_FDS ? LINUX_MAX_FDS : a[0];
	uint64_t arg[6] = {nfds, a[1], a[2], a[3], a[4], 0};
	if (a[5]) {
		/* the sixth argument is {const sigset_t *mask, size_t size} */
		uint64_t sm[2];
		int e = mem_copy_in(p, sm, a[5], sizeof(sm));
		if (e)
			return e;
		int64_t sr = signal_temp_mask(p, sm[0], sm[1]);
		if (sr)
			return sr;
	}
	bool now_only;
	int64_t r = block_read_timeout(p, a[4], &arg[5], &now_only);
	if (r)
		return r;
	r = select_scan(p, arg, now_only);
	if (r != 0 || now_only) {
		if (r >= 0)
			write_left(p, a[4], arg[5]);
		return r;
	}
	struct blocked *b = block_park(select_check, arg[5], 0);
	if (!b)
		return -LINUX_EAGAIN;
	memcpy(b->arg, arg, sizeof(arg));
	return LINUX_PARKED;
}
