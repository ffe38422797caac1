/*
 * test/vfs client a (ctest qemu.vfs): file work on the VFS through the generated vfs.idl
 * stubs, each error with its errno and nothing changed after it, then, holding files
 * open, lets client b try to use them; prints "vfs-a: PASS" and powers off.
 */
#include <m6/invocations.h>
#include <m6/runtime.h>

#define WHO "vfs-a"
#include "client.h"

/* Whether the directory `dir` lists `name` (getdents64 records through the window). */
static int lists(const char *dir, const char *name)
{
	int64_t fd = x_open(dir, VFS_O_RDONLY | VFS_O_DIRECTORY, 0);
	if (fd < 0)
		return (int)fd;
	int found = 0;
	for (;;) {
		int64_t r = 0;
		if (vfs_readdir(CAP_VFS, (uint32_t)fd, DATA, 512, &r) != M6_OK || r < 0) {
			found = -1;
			break;
		}
		if (r == 0)
			break;
		for (int64_t at = 0; at < r;) {
			uint16_t reclen;
			memcpy(&reclen, WIN + DATA + at + 16, 2);
			if (reclen < 24 || reclen % 8 != 0 || at + reclen > r) {
				printf(WHO ": bad dirent record at %ld\n", (long)at);
				x_close(fd);
				return -1;
			}
			if (strcmp((const char *)WIN + DATA + at + 19, name) == 0)
				found = 1;
			at += reclen;
		}
	}
	x_close(fd);
	return found;
}

static void test_files(void)
{
	struct vfs_stat st;
	/* Create, write, read back, seek. */
	int64_t fd = x_open("/tmp/a.txt", VFS_O_RDWR | VFS_O_CREAT | VFS_O_EXCL, 0640);
	EXPECT(fd, 0);
	EXPECT(x_write(fd, "hello, "), 7);
	EXPECT(x_write(fd, "world\n"), 6);
	EXPECT(x_seek(fd, 0, 1), 13);
	EXPECT(x_seek(fd, 7, 0), 7);
	EXPECT(x_read(fd, 100), 6);
	EXPECT(strcmp(data(), "world\n"), 0);
	EXPECT(x_read(fd, 100), 0);
	EXPECT(x_seek(fd, -6, 2), 7);
	EXPECT(x_seek(fd, -14, 2), -VFS_EINVAL);
	EXPECT(x_seek(fd, 0, 9), -VFS_EINVAL);
	EXPECT(x_fstat(fd, &st), 0);
	EXPECT(st.size, 13);
	EXPECT(st.mode, VFS_S_IFREG | 0640);
	EXPECT_TRUE(st.mtime_ns > 0); /* the clock since boot */
	EXPECT(x_open("/tmp/a.txt", VFS_O_RDWR | VFS_O_CREAT | VFS_O_EXCL, 0640), -VFS_EEXIST);
	EXPECT(x_close(fd), 0);
	EXPECT(x_close(fd), -VFS_EBADF);

	/* pread/pwrite at a position, leaving the descriptor's alone. */
	fd = x_open("/tmp/a.txt", VFS_O_RDWR, 0);
	EXPECT(fd, 0);
	int64_t r = 0;
	EXPECT(answer(vfs_pwrite(CAP_VFS, 0, DATA, put(DATA, "W"), 7, &r), r), 1);
	EXPECT(answer(vfs_pread(CAP_VFS, 0, DATA, 5, 7, &r), r), 5);
	EXPECT(memcmp(data(), "World", 5), 0);
	EXPECT(x_seek(fd, 0, 1), 0);
	EXPECT(x_close(fd), 0);

	/* O_APPEND and O_TRUNC. */
	fd = x_open("/tmp/a.txt", VFS_O_WRONLY | VFS_O_APPEND, 0);
	EXPECT(x_write(fd, "more\n"), 5);
	EXPECT(x_close(fd), 0);
	EXPECT(size_of("/tmp/a.txt"), 18);
	fd = x_open("/tmp/a.txt", VFS_O_RDONLY, 0);
	EXPECT(x_read(fd, 100), 18);
	EXPECT(strcmp(data(), "hello, World\nmore\n"), 0);
	EXPECT(x_write(fd, "x"), -VFS_EBADF); /* opened read-only */
	EXPECT(x_close(fd), 0);
	fd = x_open("/tmp/t.txt", VFS_O_WRONLY | VFS_O_CREAT | VFS_O_TRUNC, 0600);
	EXPECT(x_write(fd, "0123456789"), 10);
	EXPECT(x_read(fd, 4), -VFS_EBADF); /* opened write-only */
	EXPECT(x_close(fd), 0);
	fd = x_open("/tmp/t.txt", VFS_O_WRONLY | VFS_O_TRUNC, 0);
	EXPECT(size_of("/tmp/t.txt"), 0);

	/* truncate and ftruncate. */
	EXPECT(x_write(fd, "0123456789"), 10);
	EXPECT(answer(vfs_ftruncate(CAP_VFS, (uint32_t)fd, 4, &r), r), 0);
	EXPECT(size_of("/tmp/t.txt"), 4);
	EXPECT(x_truncate("/tmp/t.txt", 8192), 0);
	EXPECT(size_of("/tmp/t.txt"), 8192);
	EXPECT(x_truncate("/tmp/none", 1), -VFS_ENOENT);
	EXPECT(x_truncate("/tmp", 1), -VFS_EISDIR);
	EXPECT(answer(vfs_fsync(CAP_VFS, (uint32_t)fd, &r), r), 0);
	EXPECT(x_close(fd), 0);

	/* dup: a second descriptor sharing the position. */
	fd = x_open("/tmp/a.txt", VFS_O_RDONLY, 0);
	int64_t fd2 = answer(vfs_dup(CAP_VFS, (uint32_t)fd, &r), r);
	EXPECT(fd2, fd + 1);
	EXPECT(x_read(fd, 6), 6);
	EXPECT(x_read(fd2, 6), 6);
	EXPECT(strcmp(data(), " World"), 0);
	EXPECT(x_close(fd), 0);
	EXPECT(x_seek(fd2, 0, 1), 12);
	EXPECT(x_close(fd2), 0);
}

static void test_directories(void)
{
	struct vfs_stat st;
	EXPECT(x_mkdir("/tmp/d"), 0);
	EXPECT(x_mkdir("/tmp/d"), -VFS_EEXIST);
	EXPECT(x_mkdir("/tmp/d/e/"), 0);
	EXPECT(x_mkdir("/tmp/nope/e"), -VFS_ENOENT);
	EXPECT(x_stat("/tmp/d/e/", &st), 0);
	EXPECT_TRUE(VFS_S_ISDIR(st.mode));
	EXPECT(x_stat("/tmp/a.txt/", &st), -VFS_ENOTDIR);
	EXPECT(x_open("/tmp/a.txt/", VFS_O_RDONLY, 0), -VFS_ENOTDIR);

	/* rename within /tmp, and what rename refuses. */
	EXPECT(x_rename("/tmp/a.txt", "/tmp/d/b.txt"), 0);
	EXPECT(size_of("/tmp/a.txt"), -VFS_ENOENT);
	EXPECT(size_of("/tmp/d/b.txt"), 18);
	EXPECT(x_rename("/tmp", "/tmp2"), -VFS_EBUSY); /* mount points */
	EXPECT(x_rename("/tmp/d", "/tmp2"), -VFS_EXDEV);
	EXPECT(x_rmdir("/tmp"), -VFS_EBUSY);
	EXPECT(x_rmdir("/tmp/.."), -VFS_EBUSY);
	EXPECT(x_mkdir("/tmp"), -VFS_EEXIST);
	struct vfs_stat root_st;
	EXPECT(x_stat("/", &root_st), 0);
	EXPECT(x_stat("/tmp/d", &st), 0);
	EXPECT_TRUE(st.dev != root_st.dev);

	/* readdir: ".", "..", what was made. */
	EXPECT(lists("/tmp/d", "."), 1);
	EXPECT(lists("/tmp/d", ".."), 1);
	EXPECT(lists("/tmp/d", "b.txt"), 1);
	EXPECT(lists("/tmp/d", "e"), 1);
	EXPECT(lists("/tmp/d", "a.txt"), 0);
	EXPECT(lists("/tmp", "d"), 1);
	EXPECT(lists("/tmp/d/b.txt", "x"), -VFS_ENOTDIR);
	/* Not even one record fits in 16 bytes. */
	int64_t fd = x_open("/tmp/d", VFS_O_RDONLY, 0);
	int64_t r = 0;
	EXPECT(answer(vfs_readdir(CAP_VFS, (uint32_t)fd, DATA, 16, &r), r), -VFS_EINVAL);
	EXPECT(x_close(fd), 0);

	/* unlink, rmdir. */
	EXPECT(x_rmdir("/tmp/d"), -VFS_ENOTEMPTY);
	EXPECT(x_unlink("/tmp/d/e"), -VFS_EISDIR);
	EXPECT(x_rmdir("/tmp/d/b.txt"), -VFS_ENOTDIR);
	EXPECT(x_unlink("/tmp/d/b.txt"), 0);
	EXPECT(x_unlink("/tmp/d/b.txt"), -VFS_ENOENT);
	EXPECT(x_rmdir("/tmp/d/e"), 0);
	EXPECT(x_rmdir("/tmp/d"), 0);
	EXPECT(lists("/tmp", "d"), 0);

	/* Working directory: relative paths, "..", a failed chdir changes nothing. */
	EXPECT(x_mkdir("/tmp/w"), 0);
	EXPECT(x_chdir("/tmp/w"), 0);
	EXPECT(strcmp(x_getcwd(), "/tmp/w"), 0);
	fd = x_open("rel", VFS_O_WRONLY | VFS_O_CREAT, 0600);
	EXPECT(fd, 0);
	EXPECT(x_close(fd), 0);
	EXPECT(size_of("/tmp/w/rel"), 0);
	EXPECT(x_chdir("rel"), -VFS_ENOTDIR);
	EXPECT(x_chdir("nope"), -VFS_ENOENT);
	EXPECT(strcmp(x_getcwd(), "/tmp/w"), 0);
	EXPECT(size_of("../w/./rel"), 0);
	EXPECT(answer(vfs_getcwd(CAP_VFS, DATA, 6, &r), r), -ERANGE_);
	EXPECT(answer(vfs_getcwd(CAP_VFS, DATA, 7, &r), r), 7);
	EXPECT(x_chdir("/"), 0);

	/* statfs and the mount listing. */
	struct vfs_statfs_info sf;
	EXPECT(answer(vfs_statfs(CAP_VFS, 0, put(0, "/tmp"), &r, &sf), r), 0);
	EXPECT(sf.flags, 0);
	EXPECT_TRUE(sf.blocks > 0 && sf.bfree <= sf.blocks);
	r = 0;
	EXPECT_TRUE(vfs_mounts(CAP_VFS, DATA, 4096, &r) == M6_OK && r > 0);
	if (r > 0) {
		WIN[DATA + r] = '\0';
		printf(WHO ": mounts:\n%s", data());
		EXPECT(strcmp(data(), "/ initrd ro\n/tmp tmpfs rw\n"), 0);
	}
}

/* The initrd at "/": its files read back as packed, every change is EROFS, and after the
 * attempts they are unchanged. */
static void test_initrd(void)
{
	struct vfs_stat st;
	int64_t r = 0;
	int64_t fd = x_open("/etc/motd", VFS_O_RDONLY, 0);
	EXPECT(fd, 0);
	EXPECT(x_read(fd, 100), 15);
	EXPECT(strcmp(data(), "Welcome to m6.\n"), 0);
	EXPECT(x_close(fd), 0);
	EXPECT(x_stat("/usr/share/big.txt", &st), 0);
	EXPECT(st.size, 12900);
	EXPECT(st.mode, VFS_S_IFREG | 0444);
	EXPECT(st.mtime_ns, 1700000000ull * 1000000000ull);
	EXPECT(x_stat("/usr/share", &st), 0);
	EXPECT_TRUE(VFS_S_ISDIR(st.mode));
	/* The big file: all of it in 4 KiB reads, line by line as packed. */
	fd = x_open("usr/share/big.txt", VFS_O_RDONLY, 0);
	int64_t total = 0, n;
	int bad = 0;
	while ((n = x_read(fd, 4096)) > 0) {
		for (int64_t i = 0; i < n; i++) {
			int64_t at = total + i;
			char line[64];
			snprintf(line, sizeof line, "line %04d of big.txt, the initrd test file\n",
			         (int)(at / 43));
			bad += data()[i] != line[at % 43];
		}
		total += n;
	}
	EXPECT(n, 0);
	EXPECT(total, 12900);
	EXPECT(bad, 0);
	EXPECT(answer(vfs_pread(CAP_VFS, (uint32_t)fd, DATA, 9, 43 * 123, &r), r), 9);
	EXPECT(memcmp(data(), "line 0123", 9), 0);
	EXPECT(x_close(fd), 0);
	/* "/" lists what the archive holds and the tmpfs mounted at /tmp. */
	EXPECT(lists("/", "etc"), 1);
	EXPECT(lists("/", "usr"), 1);
	EXPECT(lists("/", "tmp"), 1);
	EXPECT(lists("/etc", "motd"), 1);
	struct vfs_statfs_info sf;
	EXPECT(answer(vfs_statfs(CAP_VFS, 0, put(0, "/etc"), &r, &sf), r), 0);
	EXPECT(sf.flags, 1);
	/* Every change is EROFS. */
	EXPECT(x_open("/etc/motd", VFS_O_WRONLY, 0), -VFS_EROFS);
	EXPECT(x_open("/etc/motd", VFS_O_RDWR, 0), -VFS_EROFS);
	EXPECT(x_open("/etc/motd", VFS_O_RDONLY | VFS_O_TRUNC, 0), -VFS_EROFS);
	EXPECT(x_open("/etc/new", VFS_O_RDWR | VFS_O_CREAT, 0600), -VFS_EROFS);
	EXPECT(x_mkdir("/etc/d"), -VFS_EROFS);
	EXPECT(x_unlink("/etc/motd"), -VFS_EROFS);
	EXPECT(x_rmdir("/usr/share"), -VFS_EROFS);
	EXPECT(x_rename("/etc/motd", "/etc/motd2"), -VFS_EROFS);
	EXPECT(x_rename("/etc/motd", "/tmp/motd"), -VFS_EXDEV);
	EXPECT(x_truncate("/etc/motd", 0), -VFS_EROFS);
	EXPECT(answer(vfs_chmod(CAP_VFS, 0, put(0, "/etc/motd"), 0777, &r), r), -VFS_EROFS);
	EXPECT(answer(vfs_chown(CAP_VFS, 0, put(0, "/etc/motd"), 1, 1, &r), r), -VFS_EROFS);
	/* Opening what exists with O_CREAT is no change. */
	fd = x_open("/etc/motd", VFS_O_RDONLY | VFS_O_CREAT, 0600);
	EXPECT(fd, 0);
	EXPECT(x_write(fd, "x"), -VFS_EBADF);
	EXPECT(answer(vfs_ftruncate(CAP_VFS, (uint32_t)fd, 0, &r), r), -VFS_EINVAL);
	EXPECT(x_read(fd, 100), 15);
	EXPECT(strcmp(data(), "Welcome to m6.\n"), 0);
	EXPECT(x_close(fd), 0);
	EXPECT(x_stat("/etc/motd", &st), 0);
	EXPECT(st.mode, VFS_S_IFREG | 0644);
	EXPECT(size_of("/etc/new"), -VFS_ENOENT);
	EXPECT(size_of("/etc/motd2"), -VFS_ENOENT);
}

/* Bad input: each call gets its errno, and afterwards nothing has changed. */
static void test_bad_input(void)
{
	int64_t r = 0;
	int64_t fd = x_open("/tmp/keep", VFS_O_RDWR | VFS_O_CREAT, 0600);
	EXPECT(fd, 0);
	EXPECT(x_write(fd, "kept"), 4);

	/* Bad descriptors. */
	EXPECT(x_read(63, 4), -VFS_EBADF);
	EXPECT(x_write(64, "x"), -VFS_EBADF);
	EXPECT(x_write(0xffffffff, "x"), -VFS_EBADF);
	EXPECT(x_close(1000), -VFS_EBADF);
	EXPECT(x_seek(5, 0, 0), -VFS_EBADF);
	EXPECT(answer(vfs_dup(CAP_VFS, 7, &r), r), -VFS_EBADF);

	/* Window ranges outside: paths, data, the last byte, wrapping offsets. */
	memcpy(WIN + WIN_SIZE - 5, "/tmp/", 5);
	EXPECT(answer(vfs_mkdir(CAP_VFS, WIN_SIZE - 5, 6, 0755, &r), r), -VFS_EFAULT);
	EXPECT(answer(vfs_open(CAP_VFS, UINT64_MAX, 2, VFS_O_CREAT | VFS_O_RDWR, 0600, &r), r),
	       -VFS_EFAULT);
	EXPECT(answer(vfs_open(CAP_VFS, 0, UINT32_MAX, VFS_O_RDONLY, 0, &r), r), -VFS_EFAULT);
	EXPECT(answer(vfs_write(CAP_VFS, (uint32_t)fd, WIN_SIZE - 1, 2, &r), r), -VFS_EFAULT);
	EXPECT(answer(vfs_write(CAP_VFS, (uint32_t)fd, UINT64_MAX - 1, 4, &r), r), -VFS_EFAULT);
	EXPECT(answer(vfs_read(CAP_VFS, (uint32_t)fd, WIN_SIZE, 1, &r), r), -VFS_EFAULT);
	EXPECT(answer(vfs_pread(CAP_VFS, (uint32_t)fd, WIN_SIZE - 3, 4, 0, &r), r), -VFS_EFAULT);
	EXPECT(answer(vfs_getcwd(CAP_VFS, WIN_SIZE, 2, &r), r), -VFS_EFAULT);
	EXPECT(answer(vfs_read(CAP_VFS, (uint32_t)fd, WIN_SIZE, 0, &r), r), 0); /* empty, inside */

	/* An overlong path (4096 bytes, the NUL counts) and a name of 256. */
	memset(WIN, 'a', 4096);
	memcpy(WIN, "/tmp/", 5);
	for (int i = 100; i < 4096; i += 100)
		WIN[i] = '/';
	EXPECT(answer(vfs_open(CAP_VFS, 0, 4096, VFS_O_CREAT | VFS_O_RDWR, 0600, &r), r),
	       -VFS_ENAMETOOLONG);
	EXPECT(answer(vfs_mkdir(CAP_VFS, 0, 4096, 0755, &r), r), -VFS_ENAMETOOLONG);
	memset(WIN, 'n', 261);
	memcpy(WIN, "/tmp/", 5);
	EXPECT(answer(vfs_open(CAP_VFS, 0, 261, VFS_O_CREAT | VFS_O_RDWR, 0600, &r), r),
	       -VFS_ENAMETOOLONG);

	/* A NUL inside a path. */
	memcpy(WIN, "/tmp/x\0y", 8);
	EXPECT(answer(vfs_open(CAP_VFS, 0, 8, VFS_O_CREAT | VFS_O_RDWR, 0600, &r), r), -VFS_EINVAL);
	EXPECT(answer(vfs_mkdir(CAP_VFS, 0, 8, 0755, &r), r), -VFS_EINVAL);
	EXPECT(answer(vfs_unlink(CAP_VFS, 0, 8, &r), r), -VFS_EINVAL);
	EXPECT(answer(vfs_open(CAP_VFS, 0, 0, VFS_O_CREAT | VFS_O_RDWR, 0600, &r), r), -VFS_ENOENT);

	/* Access mode 3. */
	EXPECT(x_open("/tmp/y", VFS_O_ACCMODE | VFS_O_CREAT, 0600), -VFS_EINVAL);

	/* Nothing changed: /tmp holds what it held, the file its bytes and position. */
	EXPECT(lists("/tmp", "x"), 0);
	EXPECT(lists("/tmp", "y"), 0);
	EXPECT(size_of("/tmp/x"), -VFS_ENOENT);
	EXPECT(size_of("/tmp/keep"), 4);
	EXPECT(x_seek(fd, 0, 1), 4);
	EXPECT(x_close(fd), 0);
}

/* Files open and a working directory of a's own while b tries to use them. */
static void test_isolation(void)
{
	EXPECT(x_mkdir("/tmp/mine"), 0);
	EXPECT(x_chdir("/tmp/mine"), 0);
	int64_t fd = x_open("secret", VFS_O_RDWR | VFS_O_CREAT, 0600);
	EXPECT(fd, 0);
	EXPECT(x_write(fd, "a's data"), 8);
	EXPECT(x_seek(fd, 3, 0), 3);
	int64_t fd1 = x_open("/tmp/keep", VFS_O_RDONLY, 0);
	EXPECT(fd1, 1);
	/* b runs now: it is below the VFS's priority and a's equal, so a waits for it. */
	m6_signal(CAP_B_GO);
	m6_wait(CAP_DONE);
	/* a's descriptors, positions and working directory are as they were. */
	EXPECT(x_seek(fd, 0, 1), 3);
	EXPECT(x_read(fd, 100), 5);
	EXPECT(strcmp(data(), " data"), 0);
	EXPECT(x_read(fd1, 100), 4);
	EXPECT(strcmp(x_getcwd(), "/tmp/mine"), 0);
	EXPECT(x_close(fd), 0);
	EXPECT(x_close(fd1), 0);
}

int main(void)
{
	printf(WHO ": start\n");
	EXPECT(lists("/", "tmp"), 1); /* a mount point the root file system does not hold */
	test_initrd();
	test_files();
	test_directories();
	test_bad_input();
	test_isolation();
	printf(failures ? WHO ": FAIL\n" : WHO ": PASS\n");
	m6_power_off(CAP_POWER);
	return 0;
}
