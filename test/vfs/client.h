/*
 * client.h: what the two test clients of the VFS share (test/vfs, ctest qemu.vfs): calls of
 * the generated vfs.idl stubs with paths and data put in the window, and checks that print
 * one line per failure. Each client includes it once.
 */
#ifndef M6_TEST_VFS_CLIENT_H
#define M6_TEST_VFS_CLIENT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <m6_caps.h>

#include "path.h" /* before fs.h */

#include "fs.h"
#include "vfs_errno.h"
#include "vfs_idl.h"

#define WIN      ((uint8_t *)M6_WINDOW_VFS_VADDR)
#define WIN_SIZE ((uint64_t)M6_WINDOW_VFS_SIZE)
/* Where paths go (a second path at PATH2) and where data goes. */
#define PATH2 4096u
#define DATA  8192u
/* The result of a call the VFS did not answer M6_OK: never an errno. */
#define IPC_FAILED (-100000)

#define ENFILE_    23
#define ERANGE_    34

static int failures;

static void expect_line(const char *who, int line, const char *what, int64_t got, int64_t want)
{
	if (got == want)
		return;
	failures++;
	printf("%s: FAIL line %d: %s = %ld, want %ld\n", who, line, what, (long)got, (long)want);
}

#define EXPECT(got, want) expect_line(WHO, __LINE__, #got, (int64_t)(got), (int64_t)(want))
#define EXPECT_TRUE(cond) expect_line(WHO, __LINE__, #cond, (cond) ? 1 : 0, 1)

static inline uint32_t put(uint64_t off, const char *s)
{
	size_t n = strlen(s);
	memcpy(WIN + off, s, n);
	return (uint32_t)n;
}

static inline int64_t answer(uint64_t err, int64_t ret)
{
	return err == M6_OK ? ret : IPC_FAILED;
}

static inline int64_t x_open(const char *p, uint32_t flags, uint32_t mode)
{
	int64_t r = 0;
	return answer(vfs_open(CAP_VFS, 0, put(0, p), flags, mode, &r), r);
}

static inline int64_t x_close(int64_t fd)
{
	int64_t r = 0;
	return answer(vfs_close(CAP_VFS, (uint32_t)fd, &r), r);
}

/* Writes the string `s` (through the window at DATA). */
static inline int64_t x_write(int64_t fd, const char *s)
{
	int64_t r = 0;
	return answer(vfs_write(CAP_VFS, (uint32_t)fd, DATA, put(DATA, s), &r), r);
}

/* Reads up to `len` bytes into the window at DATA, NUL-terminates them there. */
static inline int64_t x_read(int64_t fd, uint32_t len)
{
	int64_t r = 0;
	memset(WIN + DATA, 0, len + 1u);
	r = answer(vfs_read(CAP_VFS, (uint32_t)fd, DATA, len, &r), r);
	return r;
}

static inline const char *data(void)
{
	return (const char *)WIN + DATA;
}

static inline int64_t x_seek(int64_t fd, int64_t off, uint32_t whence)
{
	int64_t r = 0;
	return answer(vfs_seek(CAP_VFS, (uint32_t)fd, off, whence, &r), r);
}

static inline int64_t x_stat(const char *p, struct vfs_stat *st)
{
	int64_t r = 0;
	return answer(vfs_stat(CAP_VFS, 0, put(0, p), &r, st), r);
}

static inline int64_t x_fstat(int64_t fd, struct vfs_stat *st)
{
	int64_t r = 0;
	return answer(vfs_fstat(CAP_VFS, (uint32_t)fd, &r, st), r);
}

static inline int64_t x_mkdir(const char *p)
{
	int64_t r = 0;
	return answer(vfs_mkdir(CAP_VFS, 0, put(0, p), 0755, &r), r);
}

static inline int64_t x_rmdir(const char *p)
{
	int64_t r = 0;
	return answer(vfs_rmdir(CAP_VFS, 0, put(0, p), &r), r);
}

static inline int64_t x_unlink(const char *p)
{
	int64_t r = 0;
	return answer(vfs_unlink(CAP_VFS, 0, put(0, p), &r), r);
}

static inline int64_t x_rename(const char *from, const char *to)
{
	int64_t r = 0;
	uint32_t fl = put(0, from);
	return answer(vfs_rename(CAP_VFS, 0, fl, PATH2, put(PATH2, to), &r), r);
}

static inline int64_t x_truncate(const char *p, uint64_t size)
{
	int64_t r = 0;
	return answer(vfs_truncate(CAP_VFS, 0, put(0, p), size, &r), r);
}

static inline int64_t x_chdir(const char *p)
{
	int64_t r = 0;
	return answer(vfs_chdir(CAP_VFS, 0, put(0, p), &r), r);
}

/* The working directory (into the window at DATA). */
static inline const char *x_getcwd(void)
{
	int64_t r = 0;
	if (vfs_getcwd(CAP_VFS, DATA, 4096, &r) != M6_OK || r <= 0)
		return "(getcwd failed)";
	return data();
}

/* The size of the file at `p`, or its error. */
static inline int64_t size_of(const char *p)
{
	struct vfs_stat st;
	int64_t r = x_stat(p, &st);
	return r < 0 ? r : (int64_t)st.size;
}

#endif
