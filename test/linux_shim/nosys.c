/* nosys: a system call m6's Linux shim does not know (number 999, and rseq-like ones the
 * shim logs): it must answer -1 with errno ENOSYS, and the program goes on. Exit 3, so
 * the test also sees a status other than 0 come through. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	errno = 0;
	long r = syscall(999, 1, 2, 3);
	int e = errno;
	printf("nosys: syscall 999 returned %ld errno %d (%s)\n", r, e, strerror(e));
	return r == -1 && e == ENOSYS ? 3 : 1;
}
