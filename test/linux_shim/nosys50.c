/* nosys50: 50 system calls m6's Linux shim does not implement (arm64 numbers of obscure
 * ones: asynchronous I/O, extended attributes, modules, System V message queues and
 * semaphores, ...). Each must answer -1 with errno ENOSYS, be logged once by the shim with
 * its name, and the program goes on and exits 0 (ctest qemu.linux.hello). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

static const long numbers[] = {
    0,   1,   2,   3,   4,   5,   6,   7,   8,   9,   10,  11,  12,  13,  14,  15,  16,
    18,  30,  31,  41,  42,  58,  60,  89,  225, 91,  104, 105, 106, 116, 117, 161, 162,
    170, 171, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 192, 224,
};

int main(void)
{
	int n = (int)(sizeof(numbers) / sizeof(numbers[0]));
	int bad = 0;
	for (int i = 0; i < n; i++) {
		errno = 0;
		long r = syscall(numbers[i], 0, 0, 0, 0, 0, 0);
		if (r != -1 || errno != ENOSYS) {
			printf("nosys50: syscall %ld returned %ld errno %d: FAILED\n", numbers[i],
			       r, errno);
			bad++;
		}
	}
	printf("nosys50: %d unknown syscalls, %d not ENOSYS: %s\n", n, bad, bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}
