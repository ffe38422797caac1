/*
 * test/vfs client b (ctest qemu.vfs): once client a holds files open (its signal on `go`),
 * tries to use what is a's: its descriptors, its working directory, a window range that
 * is inside a's window but not b's; and calls through a cap whose badge has no window.
 * Prints "vfs-b: PASS" (or FAIL lines) and signals a.
 */
#include <m6/invocations.h>

#define WHO "vfs-b"
#include "client.h"

int main(void)
{
	m6_wait(CAP_GO);
	int64_t r = 0;
	/* a holds descriptors 0 and 1; b has none, so every one of them is EBADF here. */
	for (uint32_t fd = 0; fd < 4; fd++) {
		EXPECT(x_read(fd, 10), -VFS_EBADF);
		EXPECT(x_write(fd, "b was here"), -VFS_EBADF);
		EXPECT(x_seek(fd, 0, 0), -VFS_EBADF);
		EXPECT(answer(vfs_ftruncate(CAP_VFS, fd, 0, &r), r), -VFS_EBADF);
		EXPECT(answer(vfs_dup(CAP_VFS, fd, &r), r), -VFS_EBADF);
		EXPECT(x_close(fd), -VFS_EBADF);
	}
	/* b's working directory is its own: "/", where a's relative "secret" is not. */
	EXPECT(strcmp(x_getcwd(), "/"), 0);
	EXPECT(x_open("secret", VFS_O_RDONLY, 0), -VFS_ENOENT);
	/* b's window is 16 KiB: offsets a could use are outside b's. */
	EXPECT(answer(vfs_getcwd(CAP_VFS, WIN_SIZE, 1, &r), r), -VFS_EFAULT);
	EXPECT(answer(vfs_open(CAP_VFS, WIN_SIZE, 4, VFS_O_RDONLY, 0, &r), r), -VFS_EFAULT);
	/* b opens a file of its own: descriptor 0, whatever a holds. */
	int64_t fd = x_open("/tmp/keep", VFS_O_RDONLY, 0);
	EXPECT(fd, 0);
	EXPECT(x_read(fd, 100), 4);
	EXPECT(x_close(fd), 0);
	/* A badge with no window is refused by the VFS before any method runs. */
	r = 12345;
	EXPECT(vfs_getcwd(CAP_NOWINDOW, 0, 16, &r), M6_ERR_INSUFFICIENT_RIGHTS);
	EXPECT(vfs_open(CAP_NOWINDOW, 0, 1, VFS_O_RDONLY, 0, &r), M6_ERR_INSUFFICIENT_RIGHTS);
	EXPECT(r, 12345);
	printf(failures ? WHO ": FAIL\n" : WHO ": PASS\n");
	m6_signal(CAP_A_DONE);
	return 0;
}
