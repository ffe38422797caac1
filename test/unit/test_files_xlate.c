/*
 * Host tests of the pure parts of libm6's file API (libm6/src/files_xlate.c): picolibc's
 * open flags to the VFS protocol's (Linux arm64) ones, the VFS's Linux errno values to
 * picolibc's, and the unpacking of the getdents64 records the VFS's readdir writes into
 * the window, against a packer written here and against malformed records.
 *
 * The picolibc numbers are written here as numbers: on the host <fcntl.h> and <errno.h>
 * are glibc's. The target build checks with _Static_assert (files.c) that the numbers
 * files_xlate.h uses are the ones picolibc's headers define.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "files_xlate.h"
#include "path.h" /* VFS_NAME_MAX, which fs.h uses */
#include "fs.h"

/* The protocol's values are fs.h's: files_xlate.h cannot include fs.h (an installed SDK
 * has libm6 without the VFS's sources), so here is where they are compared. */
static void test_vfs_values(void **state)
{
	(void)state;
	assert_int_equal(M6_VFS_O_ACCMODE, VFS_O_ACCMODE);
	assert_int_equal(M6_VFS_O_CREAT, VFS_O_CREAT);
	assert_int_equal(M6_VFS_O_EXCL, VFS_O_EXCL);
	assert_int_equal(M6_VFS_O_TRUNC, VFS_O_TRUNC);
	assert_int_equal(M6_VFS_O_APPEND, VFS_O_APPEND);
	assert_int_equal(M6_VFS_O_NOFOLLOW, VFS_O_NOFOLLOW);
	assert_int_equal(M6_VFS_O_DIRECTORY, VFS_O_DIRECTORY);
	assert_int_equal(M6_FILES_NAME_MAX, VFS_NAME_MAX);
}

static void test_flags(void **state)
{
	(void)state;
	/* Access modes are the same numbers. */
	assert_int_equal(m6_files_flags_to_vfs(0), VFS_O_RDONLY);
	assert_int_equal(m6_files_flags_to_vfs(1), VFS_O_WRONLY);
	assert_int_equal(m6_files_flags_to_vfs(2), VFS_O_RDWR);
	assert_int_equal(m6_files_flags_to_vfs(3), -1);
	/* Each flag alone, with the picolibc number it has. */
	assert_int_equal(m6_files_flags_to_vfs(0x40), VFS_O_CREAT);
	assert_int_equal(m6_files_flags_to_vfs(0x800), VFS_O_EXCL); /* Linux 0x80 */
	assert_int_equal(m6_files_flags_to_vfs(0x200), VFS_O_TRUNC);
	assert_int_equal(m6_files_flags_to_vfs(0x400), VFS_O_APPEND);
	assert_int_equal(m6_files_flags_to_vfs(0x200000), VFS_O_DIRECTORY); /* Linux 0x4000 */
	/* picolibc's O_NONBLOCK is Linux's O_DIRECTORY: it must not become one. */
	assert_int_equal(m6_files_flags_to_vfs(0x4000), VFS_O_RDONLY);
	/* Dropped: O_NOCTTY, O_CLOEXEC. */
	assert_int_equal(m6_files_flags_to_vfs(0x8000 | 0x40000 | 1), VFS_O_WRONLY);
	/* O_NOFOLLOW: picolibc 0x100000, Linux (and the VFS) 0x8000. */
	assert_int_equal(m6_files_flags_to_vfs(0x100000), VFS_O_NOFOLLOW);
	/* What fopen asks for: "w" and "a+", "wx". */
	assert_int_equal(m6_files_flags_to_vfs(1 | 0x40 | 0x200),
	                 VFS_O_WRONLY | VFS_O_CREAT | VFS_O_TRUNC);
	assert_int_equal(m6_files_flags_to_vfs(2 | 0x40 | 0x400),
	                 VFS_O_RDWR | VFS_O_CREAT | VFS_O_APPEND);
	assert_int_equal(m6_files_flags_to_vfs(1 | 0x40 | 0x200 | 0x800),
	                 VFS_O_WRONLY | VFS_O_CREAT | VFS_O_TRUNC | VFS_O_EXCL);
	/* Refused: O_SYNC (not honoured), O_DIRECT, O_EXEC, any unknown bit. */
	assert_int_equal(m6_files_flags_to_vfs(0x2000), -1);
	assert_int_equal(m6_files_flags_to_vfs(0x80000), -1);
	assert_int_equal(m6_files_flags_to_vfs(0x400000), -1);
	for (unsigned bit = 22; bit < 32; bit++)
		assert_int_equal(m6_files_flags_to_vfs(1u << bit), -1);
	/* Every single bit: either translated to a documented flag, dropped, or refused. */
	for (unsigned bit = 0; bit < 32; bit++) {
		int64_t v = m6_files_flags_to_vfs(1u << bit);
		assert_true(v == -1 ||
		            (v & ~(int64_t)(VFS_O_ACCMODE | VFS_O_CREAT | VFS_O_EXCL | VFS_O_TRUNC |
		                            VFS_O_APPEND | VFS_O_DIRECTORY | VFS_O_NOFOLLOW)) == 0);
	}
}

static void test_errno(void **state)
{
	(void)state;
	/* Every code the VFS names (vfs_errno.h), and what picolibc calls it. */
	static const struct {
		int vfs, pico;
	} table[] = {
	    {VFS_EPERM, 1},      {VFS_ENOENT, 2},      {VFS_EIO, 5},           {VFS_EBADF, 9},
	    {VFS_ENOMEM, 12},    {VFS_EACCES, 13},     {VFS_EFAULT, 14},       {VFS_EBUSY, 16},
	    {VFS_EEXIST, 17},    {VFS_EXDEV, 18},      {VFS_ENOTDIR, 20},      {VFS_EISDIR, 21},
	    {VFS_EINVAL, 22},    {VFS_EMFILE, 24},     {VFS_EFBIG, 27},        {VFS_ENOSPC, 28},
	    {VFS_ESPIPE, 29},    {VFS_EROFS, 30},      {VFS_ENAMETOOLONG, 91}, {VFS_ENOSYS, 88},
	    {VFS_ENOTEMPTY, 90}, {VFS_EOVERFLOW, 139},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_int_equal(m6_files_errno_from_linux(table[i].vfs), table[i].pico);
		assert_int_equal(m6_files_errno_from_linux(-table[i].vfs), table[i].pico);
	}
	/* ERANGE (getcwd, mounts), ELOOP, EOPNOTSUPP, ETIMEDOUT. */
	assert_int_equal(m6_files_errno_from_linux(-34), 34);
	assert_int_equal(m6_files_errno_from_linux(-40), 92);
	assert_int_equal(m6_files_errno_from_linux(-95), 95);
	assert_int_equal(m6_files_errno_from_linux(-110), 116);
	/* Unknown numbers are EIO, never passed on as something else. */
	assert_int_equal(m6_files_errno_from_linux(0), 5);
	assert_int_equal(m6_files_errno_from_linux(-41), 5);
	assert_int_equal(m6_files_errno_from_linux(-4095), 5);
	assert_int_equal(m6_files_errno_from_linux(INT64_MIN + 1), 5);
}

/* The packer: getdents64's layout, as vfs.idl describes it. */
static size_t pack(unsigned char *buf, size_t at, uint64_t ino, int64_t next, uint8_t type,
                   const char *name)
{
	size_t n = strlen(name);
	uint16_t reclen = (uint16_t)m6_files_dirent_reclen(n);
	memset(buf + at, 0, reclen);
	memcpy(buf + at, &ino, 8);
	memcpy(buf + at + 8, &next, 8);
	memcpy(buf + at + 16, &reclen, 2);
	buf[at + 18] = type;
	memcpy(buf + at + 19, name, n);
	return at + reclen;
}

static void test_dirent_roundtrip(void **state)
{
	(void)state;
	char long_name[256];
	memset(long_name, 'n', 255);
	long_name[255] = '\0';
	const char *names[] = {".", "..", "a", "hello.txt", "12345", long_name};
	unsigned char scratch[4096];
	size_t len = 0;
	for (size_t i = 0; i < 6; i++)
		len = pack(scratch, len, 100 + i, (int64_t)i + 1, i < 2 ? VFS_DT_DIR : VFS_DT_REG,
		           names[i]);
	assert_int_equal(m6_files_dirent_reclen(1), 24); /* 19 + 1 + NUL, to 8 */
	assert_int_equal(m6_files_dirent_reclen(4), 24);
	assert_int_equal(m6_files_dirent_reclen(5), 32);
	assert_int_equal(m6_files_dirent_reclen(255), 280);
	/* In a buffer of exactly `len` bytes, so ASan sees any read past it. */
	unsigned char *buf = malloc(len);
	assert_non_null(buf);
	memcpy(buf, scratch, len);
	size_t pos = 0;
	struct m6_files_dirent e;
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(m6_files_dirent_next(buf, len, &pos, &e), 1);
		assert_int_equal(e.ino, 100 + i);
		assert_int_equal(e.next, (int64_t)i + 1);
		assert_int_equal(e.type, i < 2 ? VFS_DT_DIR : VFS_DT_REG);
		assert_int_equal(e.name_len, strlen(names[i]));
		assert_string_equal(e.name, names[i]);
	}
	assert_int_equal(pos, len);
	assert_int_equal(m6_files_dirent_next(buf, len, &pos, &e), 0);
	free(buf);
}

/* One malformed record after a good one: the good one comes out, then -1, pos unmoved. */
static void expect_bad(const unsigned char *rec, size_t rec_len)
{
	unsigned char *buf = malloc(24 + rec_len);
	assert_non_null(buf);
	pack(buf, 0, 1, 1, VFS_DT_DIR, ".");
	memcpy(buf + 24, rec, rec_len);
	size_t pos = 0;
	struct m6_files_dirent e;
	assert_int_equal(m6_files_dirent_next(buf, 24 + rec_len, &pos, &e), 1);
	assert_int_equal(m6_files_dirent_next(buf, 24 + rec_len, &pos, &e), -1);
	assert_int_equal(pos, 24);
	free(buf);
}

static void test_dirent_malformed(void **state)
{
	(void)state;
	unsigned char r[512];
	/* A good record to damage: name "file", reclen 24. */
	size_t good = pack(r, 0, 7, 2, VFS_DT_REG, "file");
	assert_int_equal(good, 24);
	for (size_t cut = 1; cut < good; cut++)
		expect_bad(r, cut); /* truncated anywhere */
	uint16_t v;
	unsigned char d[512];
	const uint16_t bad_reclens[] = {0, 8, 16, 20, 23, 25, 31, 32, 0xffff};
	for (size_t i = 0; i < sizeof(bad_reclens) / sizeof(bad_reclens[0]); i++) {
		memcpy(d, r, good);
		v = bad_reclens[i];
		memcpy(d + 16, &v, 2);
		expect_bad(d, good); /* too short, unaligned, or past the buffer */
	}
	/* No NUL inside the record. */
	memcpy(d, r, good);
	memset(d + 19, 'x', good - 19);
	expect_bad(d, good);
	/* An empty name. */
	memcpy(d, r, good);
	memset(d + 19, 0, good - 19);
	expect_bad(d, good);
	/* A name of 256 bytes in a record that holds it. */
	memset(d, 0, sizeof(d));
	v = 280;
	memcpy(d + 16, &v, 2);
	memset(d + 19, 'y', 256);
	expect_bad(d, 280);
	/* ... while 255 is fine. */
	char name255[256];
	memset(name255, 'z', 255);
	name255[255] = '\0';
	size_t n = pack(d, 0, 9, 3, VFS_DT_REG, name255);
	size_t pos = 0;
	struct m6_files_dirent e;
	assert_int_equal(m6_files_dirent_next(d, n, &pos, &e), 1);
	assert_int_equal(e.name_len, 255);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vfs_values),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_errno),
	    cmocka_unit_test(test_dirent_roundtrip),
	    cmocka_unit_test(test_dirent_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
