/*
 * libm6's POSIX file API over the VFS service (libm6/interfaces/vfs.idl; docs/userspace.md,
 * "Files"): open, read, write, lseek, stat, mkdir, rename, ... as picolibc's headers
 * declare them. picolibc's tiny stdio builds fopen/fread/fprintf on files from exactly
 * these (fopen -> open + fdopen; its buffered FILE calls read, write, lseek, close), so
 * stdio on VFS paths needs nothing more.
 *
 * Every call that moves bytes copies them through the window shared with the VFS: paths
 * at its start, file data in pieces of at most the window's size, so a transfer larger
 * than the window is several VFS calls. Descriptors 0..2 are the console (the stdio
 * backend); VFS descriptor n is n + M6_FILES_FD_BASE.
 */
/* POSIX and BSD names from picolibc's headers (-std=c11 hides them otherwise). */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/lock.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <m6/files.h>
#include <m6/stdio.h>

#include "files_impl.h"
#include "files_xlate.h"
#include "vfs_idl.h"

/* files_xlate.c writes picolibc's numbers out so the host can test it; these are the
 * checks that they are the numbers this picolibc uses. */
_Static_assert(O_ACCMODE == M6_PICO_O_ACCMODE && O_APPEND == M6_PICO_O_APPEND &&
                   O_CREAT == M6_PICO_O_CREAT && O_TRUNC == M6_PICO_O_TRUNC &&
                   O_EXCL == M6_PICO_O_EXCL && O_SYNC == M6_PICO_O_SYNC &&
                   O_NONBLOCK == M6_PICO_O_NONBLOCK && O_NOCTTY == M6_PICO_O_NOCTTY &&
                   O_CLOEXEC == M6_PICO_O_CLOEXEC && O_NOFOLLOW == M6_PICO_O_NOFOLLOW &&
                   O_DIRECTORY == M6_PICO_O_DIRECTORY,
               "picolibc's open flags are not the ones files_xlate.h translates");
_Static_assert(ENAMETOOLONG == 91 && ENOSYS == 88 && ENOTEMPTY == 90 && ELOOP == 92 &&
                   EOVERFLOW == 139 && EDEADLK == 45 && ENOLCK == 46 && EILSEQ == 138 &&
                   ETIMEDOUT == 116 && ESTALE == 133 && EDQUOT == 132 && ECANCELED == 140 &&
                   EOPNOTSUPP == 95 && ENODATA == 61 && EIO == 5 && ERANGE == 34,
               "picolibc's errno values are not the ones files_xlate.c maps to");
/* The mode bits need no translation: picolibc's S_IF* are Linux's. */
_Static_assert(S_IFMT == 0170000 && S_IFDIR == 0040000 && S_IFREG == 0100000 &&
                   S_IFLNK == 0120000 && S_IFCHR == 0020000,
               "picolibc's file types differ from Linux's");
_Static_assert(SEEK_SET == 0 && SEEK_CUR == 1 && SEEK_END == 2, "whence differs from Linux's");

struct m6_files_state m6_files;

/* ---- shared helpers (files_impl.h) ---- */

void m6_files_lock(void)
{
	__LIBC_LOCK();
}

void m6_files_unlock(void)
{
	__LIBC_UNLOCK();
}

int m6_files_fail(int e)
{
	errno = e;
	return -1;
}

int64_t m6_files_result(uint64_t err, int64_t ret)
{
	if (err != M6_OK)
		return m6_files_fail(EIO);
	if (ret < 0)
		return m6_files_fail(m6_files_errno_from_linux(ret));
	return ret;
}

int m6_files_vfs_fd(int fd, uint32_t *vfd)
{
	if (fd < M6_FILES_FD_BASE)
		return m6_files_fail(EBADF);
	*vfd = (uint32_t)(fd - M6_FILES_FD_BASE);
	return 0;
}

int m6_files_init(m6_cptr_t vfs, uintptr_t window_vaddr, size_t window_size)
{
	if (!window_vaddr || window_size < M6_FILES_WINDOW_MIN)
		return m6_files_fail(EINVAL);
	m6_files_lock();
	m6_files.vfs = vfs;
	m6_files.win = (unsigned char *)window_vaddr;
	m6_files.win_size = window_size;
	m6_files.ready = true;
	m6_files_unlock();
	return 0;
}

int m6_files_ready(void)
{
	return m6_files.ready;
}

/* Takes the lock when the file service is there: 0, else -1 with ENOSYS. */
static int begin(void)
{
	if (!m6_files.ready)
		return m6_files_fail(ENOSYS);
	m6_files_lock();
	return 0;
}

/* Copies `path` into the window at `off` (the lock held): 0 and *len, or -1 and errno.
 * M6_FILES_PATH_MAX counts the NUL, as the VFS does: 4095 bytes is the longest path. */
static int put_path(const char *path, size_t off, uint32_t *len)
{
	if (!path)
		return m6_files_fail(EFAULT);
	size_t n = strnlen(path, M6_FILES_PATH_MAX);
	if (n == 0)
		return m6_files_fail(ENOENT);
	if (n >= M6_FILES_PATH_MAX || off > m6_files.win_size || n > m6_files.win_size - off)
		return m6_files_fail(ENAMETOOLONG);
	memcpy(m6_files.win + off, path, n);
	*len = (uint32_t)n;
	return 0;
}

/* One VFS method on one path: the common shape of mkdir, rmdir, unlink, chdir, ... */
enum path_op { OP_MKDIR, OP_RMDIR, OP_UNLINK, OP_CHDIR, OP_TRUNCATE, OP_CHMOD, OP_CHOWN };

static int path_call(enum path_op op, const char *path, uint64_t a, uint32_t b)
{
	if (begin() < 0)
		return -1;
	uint32_t len;
	int64_t ret = -1;
	if (put_path(path, 0, &len) == 0) {
		uint64_t err = M6_OK;
		m6_cptr_t c = m6_files.vfs;
		switch (op) {
		case OP_MKDIR:
			err = vfs_mkdir(c, 0, len, (uint32_t)a, &ret);
			break;
		case OP_RMDIR:
			err = vfs_rmdir(c, 0, len, &ret);
			break;
		case OP_UNLINK:
			err = vfs_unlink(c, 0, len, &ret);
			break;
		case OP_CHDIR:
			err = vfs_chdir(c, 0, len, &ret);
			break;
		case OP_TRUNCATE:
			err = vfs_truncate(c, 0, len, a, &ret);
			break;
		case OP_CHMOD:
			err = vfs_chmod(c, 0, len, (uint32_t)a, &ret);
			break;
		case OP_CHOWN:
			err = vfs_chown(c, 0, len, (uint32_t)a, b, &ret);
			break;
		}
		ret = m6_files_result(err, ret);
	}
	m6_files_unlock();
	return ret < 0 ? -1 : 0;
}

/* ---- descriptors ---- */

int open(const char *path, int flags, ...)
{
	unsigned mode = 0;
	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, unsigned); /* mode_t is promoted to int */
		va_end(ap);
	}
	int64_t vflags = m6_files_flags_to_vfs((uint32_t)flags);
	if (vflags < 0)
		return m6_files_fail(EINVAL);
	if (begin() < 0)
		return -1;
	uint32_t len;
	int64_t ret = -1;
	if (put_path(path, 0, &len) == 0) {
		uint64_t err = vfs_open(m6_files.vfs, 0, len, (uint32_t)vflags, mode & 07777, &ret);
		ret = m6_files_result(err, ret);
		if (ret > INT_MAX - M6_FILES_FD_BASE) { /* a VFS with more files than an int */
			vfs_close(m6_files.vfs, (uint32_t)ret, &ret);
			ret = m6_files_fail(EMFILE);
		}
	}
	m6_files_unlock();
	return ret < 0 ? -1 : (int)ret + M6_FILES_FD_BASE;
}

int creat(const char *path, mode_t mode)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC, (unsigned)mode);
}

int close(int fd)
{
	if (fd >= 0 && fd < M6_FILES_FD_BASE)
		return 0; /* the console stays; closing it only ends this name for it */
	uint32_t vfd;
	if (m6_files_vfs_fd(fd, &vfd) < 0 || begin() < 0)
		return -1;
	int64_t ret;
	uint64_t err = vfs_close(m6_files.vfs, vfd, &ret);
	ret = m6_files_result(err, ret);
	m6_files_unlock();
	return ret < 0 ? -1 : 0;
}

/* The console side of read and write: the component's stdio backend. */
static ssize_t console_read(void *buf, size_t n)
{
	if (n == 0)
		return 0;
	m6_stdio_flush(); /* a prompt printed with printf shows before we wait */
	return (ssize_t)m6_stdio_get()->read(buf, n < M6_STDIO_PIECE_MAX ? n : M6_STDIO_PIECE_MAX);
}

static ssize_t console_write(const void *buf, size_t n)
{
	const char *s = buf;
	m6_stdio_flush(); /* what printf holds goes first */
	for (size_t done = 0; done < n;) {
		size_t piece = n - done < M6_STDIO_PIECE_MAX ? n - done : M6_STDIO_PIECE_MAX;
		/* A write(2) is shown at once, whether or not it ends a line. */
		m6_stdio_get()->write(s + done, piece, s[done + piece - 1] != '\n');
		done += piece;
	}
	return (ssize_t)n;
}

/*
 * Read or write `n` bytes through the window in pieces of at most its size. `pos` < 0:
 * at the descriptor's position (read, write), else at pos (pread, pwrite). Stops at a
 * short piece (the end of the file, a full disk). An error after some bytes moved gives
 * the count so far, as POSIX asks; the next call reports the error.
 */
static ssize_t transfer(int fd, void *buf, size_t n, bool is_write, off_t pos)
{
	uint32_t vfd;
	if (m6_files_vfs_fd(fd, &vfd) < 0)
		return -1;
	if (!buf && n)
		return m6_files_fail(EFAULT);
	if (n > M6_FILES_SSIZE_MAX)
		n = M6_FILES_SSIZE_MAX;
	if (begin() < 0)
		return -1;
	unsigned char *p = buf;
	size_t done = 0;
	int64_t result = 0;
	do {
		size_t piece = n - done;
		if (piece > m6_files.win_size)
			piece = m6_files.win_size;
		if (piece > UINT32_MAX)
			piece = UINT32_MAX;
		int64_t ret;
		uint64_t err;
		m6_cptr_t c = m6_files.vfs;
		if (is_write)
			memcpy(m6_files.win, p + done, piece);
		if (pos < 0)
			err = is_write ? vfs_write(c, vfd, 0, (uint32_t)piece, &ret)
			               : vfs_read(c, vfd, 0, (uint32_t)piece, &ret);
		else
			err =
			    is_write
			        ? vfs_pwrite(c, vfd, 0, (uint32_t)piece, (uint64_t)pos + done, &ret)
			        : vfs_pread(c, vfd, 0, (uint32_t)piece, (uint64_t)pos + done, &ret);
		if (err == M6_OK && ret > (int64_t)piece)
			ret = -5; /* more than asked for: the VFS is broken, EIO */
		result = m6_files_result(err, ret);
		if (result < 0)
			break;
		if (!is_write)
			memcpy(p + done, m6_files.win, (size_t)result);
		done += (size_t)result;
		if ((size_t)result < piece)
			break;
	} while (done < n);
	m6_files_unlock();
	if (result < 0 && done == 0)
		return -1;
	return (ssize_t)done;
}

ssize_t read(int fd, void *buf, size_t n)
{
	if (fd >= 0 && fd < M6_FILES_FD_BASE)
		return console_read(buf, n);
	return transfer(fd, buf, n, false, -1);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	if (fd >= 0 && fd < M6_FILES_FD_BASE)
		return console_write(buf, n);
	return transfer(fd, (void *)buf, n, true, -1);
}

ssize_t pread(int fd, void *buf, size_t n, off_t pos)
{
	if (fd >= 0 && fd < M6_FILES_FD_BASE)
		return m6_files_fail(ESPIPE);
	if (pos < 0)
		return m6_files_fail(EINVAL);
	return transfer(fd, buf, n, false, pos);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t pos)
{
	if (fd >= 0 && fd < M6_FILES_FD_BASE)
		return m6_files_fail(ESPIPE);
	if (pos < 0)
		return m6_files_fail(EINVAL);
	return transfer(fd, (void *)buf, n, true, pos);
}

off_t lseek(int fd, off_t offset, int whence)
{
	if (fd >= 0 && fd < M6_FILES_FD_BASE)
		return m6_files_fail(ESPIPE);
	uint32_t vfd;
	if (m6_files_vfs_fd(fd, &vfd) < 0)
		return -1;
	if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
		return m6_files_fail(EINVAL);
	if (begin() < 0)
		return -1;
	int64_t ret;
	uint64_t err = vfs_seek(m6_files.vfs, vfd, offset, (uint32_t)whence, &ret);
	ret = m6_files_result(err, ret);
	m6_files_unlock();
	return ret;
}

int isatty(int fd)
{
	if (fd >= 0 && fd < M6_FILES_FD_BASE)
		return 1;
	errno = fd < 0 ? EBADF : ENOTTY; /* a VFS file is never a terminal */
	return 0;
}

int dup(int fd)
{
	if (fd >= 0 && fd < M6_FILES_FD_BASE)
		return m6_files_fail(ENOTSUP); /* the console has no VFS descriptor to copy */
	uint32_t vfd;
	if (m6_files_vfs_fd(fd, &vfd) < 0 || begin() < 0)
		return -1;
	int64_t ret;
	uint64_t err = vfs_dup(m6_files.vfs, vfd, &ret);
	ret = m6_files_result(err, ret);
	if (ret > INT_MAX - M6_FILES_FD_BASE) {
		vfs_close(m6_files.vfs, (uint32_t)ret, &ret);
		ret = m6_files_fail(EMFILE);
	}
	m6_files_unlock();
	return ret < 0 ? -1 : (int)ret + M6_FILES_FD_BASE;
}

int ftruncate(int fd, off_t size)
{
	uint32_t vfd;
	if (m6_files_vfs_fd(fd, &vfd) < 0)
		return fd >= 0 ? m6_files_fail(EINVAL) : -1; /* the console: EINVAL, as a tty */
	if (size < 0)
		return m6_files_fail(EINVAL);
	if (begin() < 0)
		return -1;
	int64_t ret;
	uint64_t err = vfs_ftruncate(m6_files.vfs, vfd, (uint64_t)size, &ret);
	ret = m6_files_result(err, ret);
	m6_files_unlock();
	return ret < 0 ? -1 : 0;
}

int fsync(int fd)
{
	uint32_t vfd;
	if (m6_files_vfs_fd(fd, &vfd) < 0)
		return fd >= 0 ? m6_files_fail(EINVAL) : -1;
	if (begin() < 0)
		return -1;
	int64_t ret;
	uint64_t err = vfs_fsync(m6_files.vfs, vfd, &ret);
	ret = m6_files_result(err, ret);
	m6_files_unlock();
	return ret < 0 ? -1 : 0;
}

int m6_files_sync(void)
{
	if (begin() < 0)
		return -1;
	int64_t ret;
	uint64_t err = vfs_sync(m6_files.vfs, &ret);
	ret = m6_files_result(err, ret);
	m6_files_unlock();
	return ret < 0 ? -1 : 0;
}

/* POSIX's sync() reports nothing; m6_files_sync() is the one that says what failed. */
void sync(void)
{
	(void)m6_files_sync();
}

/* ---- attributes ---- */

static int to_stat(const struct vfs_stat *v, struct stat *st)
{
	if (v->size > (uint64_t)INT64_MAX)
		return m6_files_fail(EOVERFLOW);
	memset(st, 0, sizeof(*st));
	/* picolibc's dev_t, ino_t, nlink_t, uid_t and gid_t are 16 bits: they keep the low
	 * bits (docs/userspace.md, "Files"). */
	st->st_dev = (dev_t)v->dev;
	st->st_ino = (ino_t)v->ino;
	st->st_mode = (mode_t)v->mode; /* picolibc's S_IF* are Linux's (asserted above) */
	st->st_nlink = (nlink_t)(v->nlink > 0xffff ? 0xffff : v->nlink);
	st->st_uid = (uid_t)v->uid;
	st->st_gid = (gid_t)v->gid;
	st->st_size = (off_t)v->size;
	st->st_blksize = (blksize_t)v->blksize;
	st->st_blocks = (blkcnt_t)v->blocks;
	st->st_atim.tv_sec = (time_t)(v->atime_ns / 1000000000u);
	st->st_atim.tv_nsec = (long)(v->atime_ns % 1000000000u);
	st->st_mtim.tv_sec = (time_t)(v->mtime_ns / 1000000000u);
	st->st_mtim.tv_nsec = (long)(v->mtime_ns % 1000000000u);
	st->st_ctim.tv_sec = (time_t)(v->ctime_ns / 1000000000u);
	st->st_ctim.tv_nsec = (long)(v->ctime_ns % 1000000000u);
	return 0;
}

/* stat and lstat differ only in the VFS call (whether the last component is
 * followed), so both go through one function that takes the call. */
typedef uint64_t (*vfs_stat_call)(m6_cptr_t vfs, uint64_t path_off, uint32_t path_len, int64_t *ret,
                                  struct vfs_stat *st);

static int stat_path(vfs_stat_call call, const char *restrict path, struct stat *restrict st)
{
	if (!st)
		return m6_files_fail(EFAULT);
	if (begin() < 0)
		return -1;
	uint32_t len;
	int64_t ret = -1;
	struct vfs_stat v;
	if (put_path(path, 0, &len) == 0) {
		uint64_t err = call(m6_files.vfs, 0, len, &ret, &v);
		ret = m6_files_result(err, ret);
	}
	m6_files_unlock();
	if (ret < 0)
		return -1;
	return to_stat(&v, st);
}

int stat(const char *restrict path, struct stat *restrict st)
{
	return stat_path(vfs_stat, path, st);
}

int lstat(const char *restrict path, struct stat *restrict st)
{
	return stat_path(vfs_lstat, path, st);
}

int fstat(int fd, struct stat *st)
{
	if (!st)
		return m6_files_fail(EFAULT);
	if (fd >= 0 && fd < M6_FILES_FD_BASE) { /* the console: a character device */
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFCHR | 0620;
		st->st_nlink = 1;
		st->st_blksize = M6_STDIO_PIECE_MAX;
		return 0;
	}
	uint32_t vfd;
	if (m6_files_vfs_fd(fd, &vfd) < 0 || begin() < 0)
		return -1;
	struct vfs_stat v;
	int64_t ret;
	uint64_t err = vfs_fstat(m6_files.vfs, vfd, &ret, &v);
	ret = m6_files_result(err, ret);
	m6_files_unlock();
	if (ret < 0)
		return -1;
	return to_stat(&v, st);
}

int statvfs(const char *path, struct statvfs *buf)
{
	if (!buf)
		return m6_files_fail(EFAULT);
	if (begin() < 0)
		return -1;
	uint32_t len;
	int64_t ret = -1;
	struct vfs_statfs_info v;
	if (put_path(path, 0, &len) == 0) {
		uint64_t err = vfs_statfs(m6_files.vfs, 0, len, &ret, &v);
		ret = m6_files_result(err, ret);
	}
	m6_files_unlock();
	if (ret < 0)
		return -1;
	memset(buf, 0, sizeof(*buf));
	buf->f_bsize = v.bsize;
	buf->f_frsize = v.bsize;
	buf->f_blocks = v.blocks;
	buf->f_bfree = v.bfree;
	buf->f_bavail = v.bfree;
	/* fsfilcnt_t is 32 bits in picolibc: a larger count says "at least this many". */
	buf->f_files = (fsfilcnt_t)(v.files > UINT32_MAX ? UINT32_MAX : v.files);
	buf->f_ffree = (fsfilcnt_t)(v.ffree > UINT32_MAX ? UINT32_MAX : v.ffree);
	buf->f_favail = buf->f_ffree;
	buf->f_flag = (v.flags & 1u) ? ST_RDONLY : 0;
	buf->f_namemax = v.namemax;
	return 0;
}

/* ---- names ---- */

int mkdir(const char *path, mode_t mode)
{
	return path_call(OP_MKDIR, path, (uint64_t)mode & 07777, 0);
}

int rmdir(const char *path)
{
	return path_call(OP_RMDIR, path, 0, 0);
}

int unlink(const char *path)
{
	return path_call(OP_UNLINK, path, 0, 0);
}

int chdir(const char *path)
{
	return path_call(OP_CHDIR, path, 0, 0);
}

int truncate(const char *path, off_t size)
{
	if (size < 0)
		return m6_files_fail(EINVAL);
	return path_call(OP_TRUNCATE, path, (uint64_t)size, 0);
}

int chmod(const char *path, mode_t mode)
{
	return path_call(OP_CHMOD, path, (uint64_t)mode & 07777, 0);
}

int chown(const char *path, uid_t uid, gid_t gid)
{
	/* (uid_t)-1 is "leave it": the protocol's 32-bit -1. */
	uint32_t u = uid == (uid_t)-1 ? UINT32_MAX : uid;
	uint32_t g = gid == (gid_t)-1 ? UINT32_MAX : gid;
	return path_call(OP_CHOWN, path, u, g);
}

/* rename and symlink: a call on two paths, put one after the other in the window. */
typedef uint64_t (*vfs_two_path_call)(m6_cptr_t vfs, uint64_t a_off, uint32_t a_len, uint64_t b_off,
                                      uint32_t b_len, int64_t *ret);

static int two_path_call(vfs_two_path_call call, const char *a, const char *b)
{
	if (begin() < 0)
		return -1;
	uint32_t a_len, b_len;
	int64_t ret = -1;
	if (put_path(a, 0, &a_len) == 0 && put_path(b, a_len, &b_len) == 0) {
		uint64_t err = call(m6_files.vfs, 0, a_len, a_len, b_len, &ret);
		ret = m6_files_result(err, ret);
	}
	m6_files_unlock();
	return ret < 0 ? -1 : 0;
}

int rename(const char *from, const char *to)
{
	return two_path_call(vfs_rename, from, to);
}

char *getcwd(char *buf, size_t size)
{
	if (buf && size == 0) {
		errno = EINVAL;
		return NULL;
	}
	if (begin() < 0)
		return NULL;
	size_t room = m6_files.win_size < M6_FILES_PATH_MAX ? m6_files.win_size : M6_FILES_PATH_MAX;
	if (buf && size < room)
		room = size;
	int64_t ret;
	uint64_t err = vfs_getcwd(m6_files.vfs, 0, (uint32_t)room, &ret);
	ret = m6_files_result(err, ret);
	char *out = NULL;
	if (ret > 0 && (size_t)ret <= room && m6_files.win[ret - 1] == '\0') {
		/* getcwd(NULL, size) allocates, as glibc and picolibc's other ports do. */
		out = buf ? buf : malloc(size > (size_t)ret ? size : (size_t)ret);
		if (out)
			memcpy(out, m6_files.win, (size_t)ret);
		else
			errno = ENOMEM;
	} else if (ret >= 0) {
		errno = EIO; /* not the NUL-terminated path the protocol promises */
	}
	m6_files_unlock();
	return out;
}

ssize_t m6_files_mounts(char *buf, size_t size)
{
	if (!buf || size == 0)
		return m6_files_fail(ERANGE);
	if (begin() < 0)
		return -1;
	size_t room = m6_files.win_size < size - 1 ? m6_files.win_size : size - 1;
	if (room > UINT32_MAX)
		room = UINT32_MAX;
	int64_t ret;
	uint64_t err = vfs_mounts(m6_files.vfs, 0, (uint32_t)room, &ret);
	ret = m6_files_result(err, ret);
	if (ret > (int64_t)room)
		ret = m6_files_fail(EIO);
	if (ret >= 0) {
		memcpy(buf, m6_files.win, (size_t)ret);
		buf[ret] = '\0';
	}
	m6_files_unlock();
	return (ssize_t)ret;
}

/* ---- symbolic links ---- */

int symlink(const char *target, const char *path)
{
	return two_path_call(vfs_symlink, target, path);
}

ssize_t readlink(const char *restrict path, char *restrict buf, size_t size)
{
	if (!buf)
		return m6_files_fail(EFAULT);
	if (size == 0)
		return m6_files_fail(EINVAL);
	if (begin() < 0)
		return -1;
	uint32_t len;
	int64_t ret = -1;
	if (put_path(path, 0, &len) == 0) {
		/* The answer goes after the path; a target is shorter than a path. */
		size_t room = m6_files.win_size - len;
		if (room > size)
			room = size;
		if (room > M6_FILES_PATH_MAX)
			room = M6_FILES_PATH_MAX;
		uint64_t err = vfs_readlink(m6_files.vfs, 0, len, len, (uint32_t)room, &ret);
		ret = m6_files_result(err, ret);
		if (ret > (int64_t)room)
			ret = m6_files_fail(EIO);
		if (ret >= 0)
			memcpy(buf, m6_files.win + len, (size_t)ret);
	}
	m6_files_unlock();
	return (ssize_t)ret;
}

/* POSIX realpath: the VFS resolves links, "." and ".."; the file must exist. `resolved`
 * NULL: allocated (free it), as POSIX 2008; else it holds PATH_MAX bytes. */
char *realpath(const char *restrict path, char *restrict resolved)
{
	if (begin() < 0)
		return NULL;
	uint32_t len;
	int64_t ret = -1;
	char *out = NULL;
	if (put_path(path, 0, &len) == 0) {
		size_t room = m6_files.win_size - len;
		if (room > M6_FILES_PATH_MAX)
			room = M6_FILES_PATH_MAX;
		uint64_t err = vfs_realpath(m6_files.vfs, 0, len, len, (uint32_t)room, &ret);
		ret = m6_files_result(err, ret);
		if (ret > 0 && (size_t)ret <= room && m6_files.win[len + (size_t)ret - 1] == '\0') {
			out = resolved ? resolved : malloc((size_t)ret);
			if (out)
				memcpy(out, m6_files.win + len, (size_t)ret);
			else
				errno = ENOMEM;
		} else if (ret >= 0) {
			errno = EIO; /* not the NUL-terminated path the protocol promises */
		}
	}
	m6_files_unlock();
	return out;
}
