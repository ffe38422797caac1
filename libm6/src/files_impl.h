/* What files.c and files_dir.c share: the client's VFS cap and window, and the lock that
 * keeps two threads of a component from using the one window at once. Private to libm6's
 * file API (m6::files). */
#ifndef M6_FILES_IMPL_H
#define M6_FILES_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <m6/syscall.h>

struct m6_files_state {
	m6_cptr_t vfs;
	unsigned char *win;
	size_t win_size;
	bool ready;
};

extern struct m6_files_state m6_files;

/* The VFS's path limit, the NUL included (vfs/path.h, VFS_PATH_MAX; POSIX PATH_MAX). Our
 * own name: under -ffreestanding clang's <limits.h> does not reach picolibc's. */
#define M6_FILES_PATH_MAX 4096u
/* The largest count read and write can return. */
#define M6_FILES_SSIZE_MAX ((size_t)INT64_MAX)

/* A window must hold at least one directory record of the longest name (280 bytes). */
#define M6_FILES_WINDOW_MIN 512u

/* The C library's recursive lock (libm6/src/runtime.c): one lock for malloc, stdio and
 * the window, so stdio calling read() while holding a FILE's lock cannot deadlock
 * against a second lock. */
void m6_files_lock(void);
void m6_files_unlock(void);

/* errno = e; -1. */
int m6_files_fail(int e);
/* The outcome of a VFS call: its m6 error (the VFS is gone or refused the call: EIO) or
 * its `ret`; < 0 sets errno from the Linux number and returns -1, else returns ret. */
int64_t m6_files_result(uint64_t err, int64_t ret);
/* POSIX descriptor -> VFS descriptor; -1 (EBADF) for a negative one or the console's. */
int m6_files_vfs_fd(int fd, uint32_t *vfd);

#endif
