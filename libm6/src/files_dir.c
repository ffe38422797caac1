/*
 * Directories for libm6's file API (<dirent.h>): opendir is an open with O_DIRECTORY;
 * readdir asks the VFS for a batch of getdents64 records through the window, keeps them
 * in the DIR and hands them out one by one. The directory's position in the VFS is the
 * cookie of the next entry, so telldir is the `next` of the entry last returned and
 * seekdir (and rewinddir) is an lseek to a cookie.
 */
#define _DEFAULT_SOURCE /* POSIX names from picolibc's headers under -std=c11 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files_impl.h"
#include "files_xlate.h"
#include "vfs_idl.h"

/* How many bytes of records one readdir call fetches at most (the window may be less). */
#define DIR_BATCH 2048u

struct m6_dir {
	int fd;
	size_t len, pos; /* the records in buf, and the next one */
	long tell;       /* the VFS position of the next entry readdir returns */
	struct dirent ent;
	unsigned char buf[DIR_BATCH];
};

DIR *fdopendir(int fd)
{
	uint32_t vfd;
	if (m6_files_vfs_fd(fd, &vfd) < 0)
		return NULL;
	DIR *d = malloc(sizeof(*d));
	if (!d) {
		errno = ENOMEM;
		return NULL;
	}
	d->fd = fd;
	d->len = d->pos = 0;
	d->tell = lseek(fd, 0, SEEK_CUR);
	if (d->tell < 0) {
		free(d);
		return NULL;
	}
	return d;
}

DIR *opendir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return NULL;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

/* Fetches the next batch into d->buf: its length (0 at the end), or -1 and errno. */
static long fill(DIR *d)
{
	uint32_t vfd;
	if (m6_files_vfs_fd(d->fd, &vfd) < 0)
		return -1;
	if (!m6_files.ready)
		return m6_files_fail(ENOSYS);
	m6_files_lock();
	size_t room = m6_files.win_size < DIR_BATCH ? m6_files.win_size : DIR_BATCH;
	int64_t ret;
	uint64_t err = vfs_readdir(m6_files.vfs, vfd, 0, (uint32_t)room, &ret);
	ret = m6_files_result(err, ret);
	if (ret > (int64_t)room)
		ret = m6_files_fail(EIO);
	if (ret > 0)
		memcpy(d->buf, m6_files.win, (size_t)ret);
	m6_files_unlock();
	return (long)ret;
}

struct dirent *readdir(DIR *d)
{
	if (!d) {
		errno = EBADF;
		return NULL;
	}
	if (d->pos == d->len) {
		long n = fill(d);
		if (n <= 0)
			return NULL; /* the end (errno untouched) or an error */
		d->len = (size_t)n;
		d->pos = 0;
	}
	struct m6_files_dirent e;
	if (m6_files_dirent_next(d->buf, d->len, &d->pos, &e) != 1) {
		d->pos = d->len = 0; /* a malformed batch: nothing of it is trusted */
		errno = EIO;
		return NULL;
	}
	d->ent.d_ino = (ino_t)e.ino;
	d->ent.d_off = (off_t)e.next;
	d->ent.d_reclen = sizeof(d->ent);
	d->ent.d_type = e.type;
	memcpy(d->ent.d_name, e.name, e.name_len + 1u);
	d->tell = (long)e.next;
	return &d->ent;
}

void seekdir(DIR *d, long pos)
{
	if (!d || lseek(d->fd, pos, SEEK_SET) < 0)
		return;
	d->pos = d->len = 0;
	d->tell = pos;
}

void rewinddir(DIR *d)
{
	seekdir(d, 0);
}

long telldir(DIR *d)
{
	if (!d) {
		errno = EBADF;
		return -1;
	}
	return d->tell;
}

int dirfd(DIR *d)
{
	if (!d) {
		errno = EINVAL;
		return -1;
	}
	return d->fd;
}

int closedir(DIR *d)
{
	if (!d) {
		errno = EBADF;
		return -1;
	}
	int r = close(d->fd);
	free(d);
	return r;
}
