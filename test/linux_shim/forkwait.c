/* forkwait: fork, wait4/waitid and exit statuses, copy-on-write isolation, getppid,
 * orphans going to init (this program runs as pid 1), process groups and sessions.
 * Prints "forkwait: ok" and exits 0 when everything holds; each failed check prints a
 * line with FAIL. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define CHECK(c)                                                                                \
	do {                                                                                    \
		if (!(c)) {                                                                     \
			printf("forkwait: FAIL line %d: %s (errno %d)\n", __LINE__, #c, errno); \
			failures++;                                                             \
		}                                                                               \
	} while (0)

static int data[4096]; /* 16 KiB of .bss: four pages shared after fork */

static void nap_ms(long ms)
{
	struct timespec t = {0, ms * 1000000L};
	nanosleep(&t, NULL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	pid_t me = getpid();
	CHECK(me == 1);
	CHECK(getppid() == 0);
	for (int i = 0; i < 4096; i++)
		data[i] = i;
	char *heap = malloc(100000);
	memset(heap, 'p', 100000);
	int local = 42;

	/* exit codes through wait4, children in any order */
	pid_t kids[3];
	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			if (getppid() != me)
				_exit(100);
			/* copy-on-write: the child's writes stay in the child */
			for (int j = 0; j < 4096; j++)
				data[j] = -j;
			memset(heap, 'c', 100000);
			local = i;
			int sum = 0;
			for (int j = 0; j < 4096; j++)
				sum += data[j];
			_exit(sum == -(4095 * 4096 / 2) && heap[99999] == 'c' && local == i
			          ? 3 + 2 * i
			          : 99);
		}
		CHECK(kids[i] > 1);
	}
	for (int i = 2; i >= 0; i--) {
		int st = -1;
		CHECK(waitpid(kids[i], &st, 0) == kids[i]);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3 + 2 * i);
	}
	int same = 1;
	for (int i = 0; i < 4096; i++)
		same &= data[i] == i;
	CHECK(same);
	CHECK(heap[0] == 'p' && heap[99999] == 'p');
	CHECK(local == 42);
	printf("forkwait: 3 children exited 3 5 7, parent memory unchanged\n");

	/* no children left */
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	CHECK(wait(NULL) == -1 && errno == ECHILD);

	/* WNOHANG on a running child, then waitid for it */
	pid_t slow = fork();
	if (slow == 0) {
		nap_ms(50);
		_exit(12);
	}
	CHECK(waitpid(slow, NULL, WNOHANG) == 0);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PID, (id_t)slow, &si, WEXITED) == 0);
	CHECK(si.si_pid == slow && si.si_code == CLD_EXITED && si.si_status == 12);

	/* a bad access kills the child: SIGSEGV */
	pid_t bad = fork();
	if (bad == 0) {
		volatile int *null = NULL;
		*null = 1;
		_exit(0);
	}
	int st = 0;
	CHECK(waitpid(bad, &st, 0) == bad);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);

	/* an orphan goes to init (pid 1, this program), which reaps it */
	pid_t mid = fork();
	if (mid == 0) {
		pid_t mid_pid = getpid();
		pid_t grand = fork();
		if (grand == 0) {
			/* wait (generously) until the middle process is gone */
			for (int i = 0; i < 5000 && getppid() == mid_pid; i++)
				nap_ms(1);
			_exit(getppid() == 1 ? 9 : 98);
		}
		_exit(grand > 0 ? 0 : 97);
	}
	CHECK(waitpid(mid, &st, 0) == mid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	pid_t got = wait(&st);
	CHECK(got > mid && WIFEXITED(st) && WEXITSTATUS(st) == 9);
	printf("forkwait: orphan reparented to init and reaped\n");

	/* groups and sessions */
	CHECK(getpgid(0) == 1 && getsid(0) == 1);
	CHECK(setsid() == -1 && errno == EPERM); /* a group leader */
	pid_t g = fork();
	if (g == 0) {
		int ok = getpgid(0) == 1 && setpgid(0, 0) == 0 && getpgid(0) == getpid() &&
		         setsid() == -1 && errno == EPERM;
		_exit(ok ? 0 : 1);
	}
	CHECK(waitpid(g, &st, 0) == g && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	pid_t s = fork();
	if (s == 0)
		_exit(setsid() == getpid() && getsid(0) == getpid() && getpgid(0) == getpid() ? 0
		                                                                              : 1);
	CHECK(waitpid(s, &st, 0) == s && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(getpgid(12345) == -1 && errno == ESRCH);

	/* vfork runs as fork */
	pid_t v = vfork();
	if (v == 0)
		_exit(4);
	CHECK(waitpid(v, &st, 0) == v && WEXITSTATUS(st) == 4);

	if (failures)
		return 1;
	printf("forkwait: ok\n");
	return 0;
}
