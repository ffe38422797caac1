/* execer: execve of a program and of a "#!" script from children (argv and envp arrive,
 * the exit status comes back through wait), failed execs that return, then an execve
 * of the process itself (pid kept). */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
#define CHECK(c)                                                                              \
	do {                                                                                  \
		if (!(c)) {                                                                   \
			printf("execer: FAIL line %d: %s (errno %d)\n", __LINE__, #c, errno); \
			failures++;                                                           \
		}                                                                             \
	} while (0)

static int run(char *const argv[], char *const envp[])
{
	pid_t c = fork();
	if (c == 0) {
		execve(argv[0], argv, envp);
		_exit(127);
	}
	int st = 0;
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char *env[] = {"FOO=bar", NULL};
	char *prog[] = {"/bin/echoargs", "one", "two", NULL};
	CHECK(run(prog, env) == 3);
	char *script[] = {"/bin/script.sh", "z", NULL};
	CHECK(run(script, env) == 4); /* echoargs -x /bin/script.sh z */
	char *missing[] = {"/bin/missing", NULL};
	CHECK(execve(missing[0], missing, env) == -1 && errno == ENOENT);
	char *broken[] = {"/bin/truncated", NULL};
	CHECK(execve(broken[0], broken, env) == -1 && errno == ENOEXEC);
	if (failures)
		return 1;
	printf("execer: ok, pid %d execs itself\n", getpid());
	char *self[] = {"/bin/echoargs", "last", NULL};
	execve(self[0], self, NULL);
	printf("execer: FAIL: execve returned\n");
	return 1;
}
