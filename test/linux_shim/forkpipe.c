/* forkpipe: a pipe between two processes. The child writes 200,000 bytes (the pipe holds
 * 65,536: the writer parks until the reader drains it), the parent reads them all, checks
 * the pattern, gets end of file once the child exits, and the child's status. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOTAL 200000

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int fds[2];
	if (pipe(fds) != 0)
		return 1;
	pid_t c = fork();
	if (c == 0) {
		close(fds[0]);
		unsigned char buf[1000];
		for (int done = 0; done < TOTAL; done += (int)sizeof(buf)) {
			for (unsigned i = 0; i < sizeof(buf); i++)
				buf[i] = (unsigned char)((done + (int)i) % 251);
			if (write(fds[1], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				_exit(1);
		}
		_exit(6);
	}
	close(fds[1]);
	unsigned char buf[4096];
	long got = 0, wrong = 0;
	for (;;) {
		ssize_t n = read(fds[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			wrong += buf[i] != (unsigned char)((got + i) % 251);
		got += n;
	}
	int st = 0;
	int ok = waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 6;
	printf("forkpipe: %ld bytes, %ld mismatched, child %s\n", got, wrong,
	       ok ? "exited 6" : "FAIL");
	return got == TOTAL && wrong == 0 && ok ? 0 : 1;
}
