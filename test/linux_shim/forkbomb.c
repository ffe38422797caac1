/* forkbomb: forks until the shim refuses (its pool, ASIDs or process slots run out):
 * fork must fail with EAGAIN or ENOMEM, never hang or crash anything. The children wait
 * for the parent to exit, then exit too; the parent exits 0 after the refusal. */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	pid_t me = getpid();
	for (int n = 0; n < 10000; n++) {
		pid_t c = fork();
		if (c == 0) {
			struct timespec t = {0, 2000000L};
			while (getppid() == me)
				nanosleep(&t, NULL);
			_exit(0);
		}
		if (c < 0) {
			int e = errno;
			printf("forkbomb: fork refused after %d children: %s\n", n,
			       e == EAGAIN   ? "EAGAIN"
			       : e == ENOMEM ? "ENOMEM"
			                     : "wrong errno");
			return e == EAGAIN || e == ENOMEM ? 0 : 1;
		}
	}
	printf("forkbomb: never refused BAD\n");
	return 1;
}
