/*
 * The VFS service (docs/files.md, "The VFS service"): serves libm6/interfaces/vfs.idl on
 * its endpoint `files` to the components the spec gives a window
 * (`call vfs.files as VFS badge B window SIZE`), over the file systems the spec mounts
 * (`mount "/tmp" tmpfs 16 MiB`, `mount "/" initrd rootfs`, ...).
 *
 * All the protocol's logic is vfs_core.c (host-tested); this file builds the mount table
 * and the client table from the component's m6_caps.h (so the VFS is built per system,
 * m6_add_vfs() in CMakeLists.txt) and runs the generated serve loop, whose allow table
 * admits exactly the badges that have a window: any other badge is refused by the loop
 * (M6_ERR_INSUFFICIENT_RIGHTS) before vfs_core sees it.
 *
 * One thread serves every client, one request at a time, to the end: a request is never
 * interleaved with another, and a slow one (a large read from a remote file system) holds
 * up everyone behind it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <m6/spec_tables.h>
#include <m6/time.h>

#include "initrd_fs.h"
#include "m6_caps.h"
#include "remote_fs.h"
#include "tmpfs.h"
#include "vfs_core.h"
#include "vfs_idl.h"

#ifndef CAP_FILES
#error "the VFS serves endpoint 'files': its spec needs `endpoint files`"
#endif

static struct vfs vfs;

/* ---- the file systems ------------------------------------------------------------------- */

/* tmpfs times: there is no real-time clock yet, so "now" is the time since boot (the
 * generic timer's counter), as if the system had booted at the Unix epoch. */
static uint64_t clock_ns(void *ctx)
{
	(void)ctx;
	return m6_time_ns();
}

#define TMPFS_MAX VFS_MOUNT_MAX
static struct tmpfs tmpfs_pool[TMPFS_MAX];
static unsigned tmpfs_used;

/* Makes a tmpfs of at most `bytes` (data and metadata, from the heap through malloc). */
static int new_tmpfs(uint64_t bytes, struct vfs_fs *out)
{
	if (tmpfs_used == TMPFS_MAX)
		return -VFS_ENOMEM;
	struct tmpfs *fs = &tmpfs_pool[tmpfs_used];
	struct tmpfs_config cfg = {
	    .max_bytes = bytes,
	    .now = clock_ns,
	    .root_mode = 01777, /* like Linux's /tmp: everyone may create, sticky */
	};
	int r = tmpfs_init(fs, &cfg);
	if (r < 0)
		return r;
	tmpfs_used++;
	*out = tmpfs_vfs(fs);
	return 0;
}

static void mount_one(const char *path, const struct vfs_fs *fs, const char *type, bool ro)
{
	int r = vfs_core_mount(&vfs, path, fs, type, ro);
	if (r < 0)
		printf("vfs: mount %s (%s) refused: error %d\n", path, type, -r);
}

#ifdef M6_MOUNTS
static const struct m6_mount mounts[M6_MOUNT_COUNT] = M6_MOUNTS;
static struct remote_fs remote_pool[M6_MOUNT_COUNT];
static unsigned remote_used;
static struct initrd_fs initrd_pool[M6_MOUNT_COUNT];
static unsigned initrd_used;

static void mount_all(void)
{
	for (size_t i = 0; i < M6_MOUNT_COUNT; i++) {
		const struct m6_mount *m = &mounts[i];
		bool ro = (m->flags & M6_MOUNT_RO) != 0;
		struct vfs_fs fs;
		int r;
		switch (m->kind) {
		case M6_MOUNT_TMPFS:
			r = new_tmpfs(m->size, &fs);
			if (r < 0)
				printf("vfs: tmpfs for %s: error %d\n", m->path, -r);
			else
				mount_one(m->path, &fs, "tmpfs", ro);
			break;
		case M6_MOUNT_INITRD: {
			/* The archive, mapped read-only from the boot image; its index comes
			 * from the heap. */
			struct initrd_fs *ifs = &initrd_pool[initrd_used];
			struct initrd_fs_config cfg = {.base = (const void *)m->vaddr,
			                               .size = m->size};
			r = initrd_fs_init(ifs, &cfg);
			if (r < 0) {
				printf("vfs: initrd for %s refused: error %d (%s)\n", m->path, -r,
				       ifs->why ? ifs->why : "");
				break;
			}
			initrd_used++;
			fs = initrd_fs_vfs(ifs);
			mount_one(m->path, &fs, "initrd", true);
			break;
		}
		case M6_MOUNT_REMOTE:
			/* Another component's file system, through fs.idl and the window the
			 * spec gives the VFS on that call. */
			fs = remote_fs_init(&remote_pool[remote_used++], (m6_cptr_t)m->cap,
			                    (void *)m->vaddr, m->size, "remote");
			/* Its own name for its type ("vfat"), if it answers now; a file system
			 * that cannot (no disk) is listed as "remote". */
			struct vfs_statfs st;
			const char *type = "remote";
			if (fs.ops->statfs(fs.state, &st) == 0 && st.type[0] != '\0')
				type = st.type;
			mount_one(m->path, &fs, type, ro);
			break;
		default:
			printf("vfs: mount %s: unknown kind %u\n", m->path, (unsigned)m->kind);
			break;
		}
	}
}
#else
/* A spec with no `mount` statements gets a tmpfs at "/" the size of the heap: a VFS with
 * nothing mounted could only answer ENOENT. */
static void mount_all(void)
{
#ifdef M6_HEAP_SIZE
	uint64_t bytes = M6_HEAP_SIZE / 2; /* the rest: malloc's own overhead, the handles */
#else
	uint64_t bytes = 0; /* no heap: every allocation fails, tmpfs_init says so */
#endif
	struct vfs_fs fs;
	int r = new_tmpfs(bytes, &fs);
	if (r < 0)
		printf("vfs: tmpfs for /: error %d\n", -r);
	else
		mount_one("/", &fs, "tmpfs", false);
}
#endif

/* ---- the clients ------------------------------------------------------------------------ */

#ifdef M6_WINDOWS_FILES
static const struct m6_window windows[M6_WINDOWS_FILES_COUNT] = M6_WINDOWS_FILES;
#define CLIENTS M6_WINDOWS_FILES_COUNT
#else
#define CLIENTS 0
#endif

/* One row per windowed badge; a badge without a window has no row and is refused. */
static struct m6_idl_allow allow[CLIENTS > 0 ? CLIENTS : 1];
static size_t allow_count;

static void add_clients(void)
{
#ifdef M6_WINDOWS_FILES
	for (size_t i = 0; i < CLIENTS; i++) {
		const struct m6_window *w = &windows[i];
		int r = vfs_core_add_client(&vfs, w->badge, (void *)w->vaddr, w->size);
		if (r < 0) {
			printf("vfs: client badge %llu refused: error %d\n",
			       (unsigned long long)w->badge, -r);
			continue;
		}
		allow[allow_count++] = (struct m6_idl_allow){w->badge, w->badge, VFS_METHODS_ALL};
	}
#endif
}

/* ---- the methods: vfs_core does the work ----------------------------------------------- */

static void to_stat(const struct vfs_core_stat *in, struct vfs_stat *st)
{
	memset(st, 0, sizeof *st);
	st->dev = in->dev;
	st->ino = in->attr.ino;
	st->mode = in->attr.mode;
	st->nlink = in->attr.nlink;
	st->uid = in->attr.uid;
	st->gid = in->attr.gid;
	st->size = in->attr.size;
	st->blocks = in->attr.blocks;
	st->blksize = in->attr.blksize;
	st->atime_ns = in->attr.atime_ns;
	st->mtime_ns = in->attr.mtime_ns;
	st->ctime_ns = in->attr.ctime_ns;
}

/* stat, lstat and fstat's answer: the core's result, and the attributes when it is 0. */
static uint64_t stat_answer(int64_t r, const struct vfs_core_stat *cs, int64_t *ret,
                            struct vfs_stat *st)
{
	*ret = r;
	if (r == 0)
		to_stat(cs, st);
	return M6_OK;
}

static uint64_t m_open(void *s, uint64_t b, uint64_t off, uint32_t len, uint32_t flags,
                       uint32_t mode, int64_t *ret)
{
	*ret = vfs_core_open(s, b, off, len, flags, mode);
	return M6_OK;
}

static uint64_t m_close(void *s, uint64_t b, uint32_t fd, int64_t *ret)
{
	*ret = vfs_core_close(s, b, fd);
	return M6_OK;
}

static uint64_t m_read(void *s, uint64_t b, uint32_t fd, uint64_t off, uint32_t len, int64_t *ret)
{
	*ret = vfs_core_read(s, b, fd, off, len);
	return M6_OK;
}

static uint64_t m_write(void *s, uint64_t b, uint32_t fd, uint64_t off, uint32_t len, int64_t *ret)
{
	*ret = vfs_core_write(s, b, fd, off, len);
	return M6_OK;
}

static uint64_t m_pread(void *s, uint64_t b, uint32_t fd, uint64_t off, uint32_t len, uint64_t pos,
                        int64_t *ret)
{
	*ret = vfs_core_pread(s, b, fd, off, len, pos);
	return M6_OK;
}

static uint64_t m_pwrite(void *s, uint64_t b, uint32_t fd, uint64_t off, uint32_t len, uint64_t pos,
                         int64_t *ret)
{
	*ret = vfs_core_pwrite(s, b, fd, off, len, pos);
	return M6_OK;
}

static uint64_t m_seek(void *s, uint64_t b, uint32_t fd, int64_t offset, uint32_t whence,
                       int64_t *ret)
{
	*ret = vfs_core_seek(s, b, fd, offset, whence);
	return M6_OK;
}

static uint64_t m_stat(void *s, uint64_t b, uint64_t off, uint32_t len, int64_t *ret,
                       struct vfs_stat *st)
{
	struct vfs_core_stat cs;
	return stat_answer(vfs_core_stat(s, b, off, len, &cs), &cs, ret, st);
}

static uint64_t m_fstat(void *s, uint64_t b, uint32_t fd, int64_t *ret, struct vfs_stat *st)
{
	struct vfs_core_stat cs;
	return stat_answer(vfs_core_fstat(s, b, fd, &cs), &cs, ret, st);
}

static uint64_t m_readdir(void *s, uint64_t b, uint32_t fd, uint64_t off, uint32_t len,
                          int64_t *ret)
{
	*ret = vfs_core_readdir(s, b, fd, off, len);
	return M6_OK;
}

static uint64_t m_mkdir(void *s, uint64_t b, uint64_t off, uint32_t len, uint32_t mode,
                        int64_t *ret)
{
	*ret = vfs_core_mkdir(s, b, off, len, mode);
	return M6_OK;
}

static uint64_t m_rmdir(void *s, uint64_t b, uint64_t off, uint32_t len, int64_t *ret)
{
	*ret = vfs_core_rmdir(s, b, off, len);
	return M6_OK;
}

static uint64_t m_unlink(void *s, uint64_t b, uint64_t off, uint32_t len, int64_t *ret)
{
	*ret = vfs_core_unlink(s, b, off, len);
	return M6_OK;
}

static uint64_t m_rename(void *s, uint64_t b, uint64_t from_off, uint32_t from_len, uint64_t to_off,
                         uint32_t to_len, int64_t *ret)
{
	*ret = vfs_core_rename(s, b, from_off, from_len, to_off, to_len);
	return M6_OK;
}

static uint64_t m_truncate(void *s, uint64_t b, uint64_t off, uint32_t len, uint64_t size,
                           int64_t *ret)
{
	*ret = vfs_core_truncate(s, b, off, len, size);
	return M6_OK;
}

static uint64_t m_ftruncate(void *s, uint64_t b, uint32_t fd, uint64_t size, int64_t *ret)
{
	*ret = vfs_core_ftruncate(s, b, fd, size);
	return M6_OK;
}

static uint64_t m_fsync(void *s, uint64_t b, uint32_t fd, int64_t *ret)
{
	*ret = vfs_core_fsync(s, b, fd);
	return M6_OK;
}

static uint64_t m_statfs(void *s, uint64_t b, uint64_t off, uint32_t len, int64_t *ret,
                         struct vfs_statfs_info *st)
{
	struct vfs_statfs fs;
	*ret = vfs_core_statfs(s, b, off, len, &fs);
	if (*ret == 0) {
		memset(st, 0, sizeof *st);
		st->bsize = fs.bsize;
		st->namemax = fs.namemax;
		st->blocks = fs.blocks;
		st->bfree = fs.bfree;
		st->files = fs.files;
		st->ffree = fs.ffree;
		st->flags = fs.flags & VFS_STATFS_RDONLY;
		/* Linux's magic numbers, for a Linux program's statfs (the shim passes it on). */
		static const struct {
			const char *type;
			uint32_t magic;
		} magics[] = {{"tmpfs", 0x01021994u}, {"initrd", 0x858458f6u}, {"vfat", 0x4d44u}};
		for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
			if (strcmp(fs.type, magics[i].type) == 0)
				st->magic = magics[i].magic;
	}
	return M6_OK;
}

static uint64_t m_chdir(void *s, uint64_t b, uint64_t off, uint32_t len, int64_t *ret)
{
	*ret = vfs_core_chdir(s, b, off, len);
	return M6_OK;
}

static uint64_t m_getcwd(void *s, uint64_t b, uint64_t off, uint32_t len, int64_t *ret)
{
	*ret = vfs_core_getcwd(s, b, off, len);
	return M6_OK;
}

static uint64_t m_dup(void *s, uint64_t b, uint32_t fd, int64_t *ret)
{
	*ret = vfs_core_dup(s, b, fd);
	return M6_OK;
}

static uint64_t m_chmod(void *s, uint64_t b, uint64_t off, uint32_t len, uint32_t mode,
                        int64_t *ret)
{
	*ret = vfs_core_chmod(s, b, off, len, mode);
	return M6_OK;
}

static uint64_t m_chown(void *s, uint64_t b, uint64_t off, uint32_t len, uint32_t uid, uint32_t gid,
                        int64_t *ret)
{
	*ret = vfs_core_chown(s, b, off, len, uid, gid);
	return M6_OK;
}

static uint64_t m_mounts(void *s, uint64_t b, uint64_t off, uint32_t len, int64_t *ret)
{
	*ret = vfs_core_mounts(s, b, off, len);
	return M6_OK;
}

static uint64_t m_sync(void *s, uint64_t b, int64_t *ret)
{
	*ret = vfs_core_sync(s, b);
	return M6_OK;
}

static uint64_t m_lstat(void *s, uint64_t b, uint64_t off, uint32_t len, int64_t *ret,
                        struct vfs_stat *st)
{
	struct vfs_core_stat cs;
	return stat_answer(vfs_core_lstat(s, b, off, len, &cs), &cs, ret, st);
}

static uint64_t m_symlink(void *s, uint64_t b, uint64_t target_off, uint32_t target_len,
                          uint64_t path_off, uint32_t path_len, int64_t *ret)
{
	*ret = vfs_core_symlink(s, b, target_off, target_len, path_off, path_len);
	return M6_OK;
}

static uint64_t m_readlink(void *s, uint64_t b, uint64_t path_off, uint32_t path_len,
                           uint64_t win_off, uint32_t len, int64_t *ret)
{
	*ret = vfs_core_readlink(s, b, path_off, path_len, win_off, len);
	return M6_OK;
}

static uint64_t m_realpath(void *s, uint64_t b, uint64_t path_off, uint32_t path_len,
                           uint64_t win_off, uint32_t len, int64_t *ret)
{
	*ret = vfs_core_realpath(s, b, path_off, path_len, win_off, len);
	return M6_OK;
}

static uint64_t m_utimens(void *s, uint64_t b, uint64_t off, uint32_t len, uint64_t atime_ns,
                          uint64_t mtime_ns, uint32_t which, int64_t *ret)
{
	*ret = vfs_core_utimens(s, b, off, len, atime_ns, mtime_ns, which);
	return M6_OK;
}

static const struct vfs_ops ops = {
    .open = m_open,
    .close = m_close,
    .read = m_read,
    .write = m_write,
    .pread = m_pread,
    .pwrite = m_pwrite,
    .seek = m_seek,
    .stat = m_stat,
    .fstat = m_fstat,
    .readdir = m_readdir,
    .mkdir = m_mkdir,
    .rmdir = m_rmdir,
    .unlink = m_unlink,
    .rename = m_rename,
    .truncate = m_truncate,
    .ftruncate = m_ftruncate,
    .fsync = m_fsync,
    .statfs = m_statfs,
    .chdir = m_chdir,
    .getcwd = m_getcwd,
    .dup = m_dup,
    .chmod = m_chmod,
    .chown = m_chown,
    .mounts = m_mounts,
    .sync = m_sync,
    .lstat = m_lstat,
    .symlink = m_symlink,
    .readlink = m_readlink,
    .realpath = m_realpath,
    .utimens = m_utimens,
};

int main(void)
{
	vfs_core_init(&vfs);
	mount_all();
	add_clients();
	static struct vfs_server server;
	server.ops = &ops;
	server.state = &vfs;
	server.allow = allow;
	server.allow_count = allow_count;
	vfs_serve(CAP_FILES, &server);
}
