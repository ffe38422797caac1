/*
 * Processes and pipes: fork, a child writing into a pipe its parent reads to end of file,
 * exit statuses through waitpid (a normal exit and a death by signal), two children on
 * one pipe, EPIPE/SIGPIPE on a pipe without readers, and execve of another program.
 * Output is printed by the parent only, in an order that does not depend on scheduling.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static ssize_t read_all(int fd, char *buf, size_t size)
{
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : (ssize_t)got;
		got += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
		printf("exec-child: argv[2] \"%s\"\n", argc > 2 ? argv[2] : "");
		return 42;
	}
	fflush(stdout);
	char buf[256];
	int status;

	int p[2];
	check(pipe(p) == 0, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		const char msg[] = "message from the child";
		_exit(write(p[1], msg, sizeof(msg) - 1) == sizeof(msg) - 1 ? 7 : 1);
	}
	check(pid > 0, "fork");
	close(p[1]);
	ssize_t n = read_all(p[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("parent read \"%s\"\n", buf);
	close(p[0]);
	check(waitpid(pid, &status, 0) == pid, "waitpid");
	printf("child exited: %s, status %d\n", WIFEXITED(status) ? "yes" : "no",
	       WEXITSTATUS(status));
	check(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD, "no more children: ECHILD");

	pid = fork();
	if (pid == 0) {
		raise(SIGTERM);
		_exit(0);
	}
	check(waitpid(pid, &status, 0) == pid, "waitpid on a child killed by a signal");
	printf("child signalled: %s, signal %d\n", WIFSIGNALED(status) ? "yes" : "no",
	       WIFSIGNALED(status) ? WTERMSIG(status) : 0);

	/* Two writers on one pipe, one after the other (the second waits for the first to
	 * exit), so the reader sees a known order. */
	check(pipe(p) == 0, "pipe for two writers");
	pid_t first = fork();
	if (first == 0) {
		close(p[0]);
		_exit(write(p[1], "one ", 4) == 4 ? 0 : 1);
	}
	waitpid(first, &status, 0);
	pid_t second = fork();
	if (second == 0) {
		close(p[0]);
		_exit(write(p[1], "two", 3) == 3 ? 0 : 1);
	}
	close(p[1]);
	n = read_all(p[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("two writers: \"%s\"\n", buf);
	close(p[0]);
	waitpid(second, &status, 0);

	/* A write to a pipe nobody reads: SIGPIPE kills, or EPIPE when SIGPIPE is ignored. */
	check(pipe(p) == 0, "pipe without readers");
	close(p[0]);
	pid = fork();
	if (pid == 0) {
		(void)!write(p[1], "x", 1);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	printf("writer without readers: signal %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	signal(SIGPIPE, SIG_IGN);
	check(write(p[1], "x", 1) == -1 && errno == EPIPE, "with SIGPIPE ignored: EPIPE");
	close(p[1]);

	/* fork + execve of this same program, its stdout through a pipe. */
	check(pipe(p) == 0, "pipe for exec");
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		char *args[] = {argv[0], "exec-child", "an argument", NULL};
		char *env[] = {"X=1", NULL};
		execve(argv[0], args, env);
		_exit(127);
	}
	close(p[1]);
	n = read_all(p[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("exec'd child said: %s", buf);
	close(p[0]);
	waitpid(pid, &status, 0);
	printf("exec'd child exit status %d\n", WEXITSTATUS(status));

	printf("%d failures\n", failures);
	return failures ? 1 : 0;
}
