/*
 * /init of the Linux reference runner (test/linux/linux_ref.py, docs/linux.md).
 *
 * A static ARM64 Linux program, started by the kernel as PID 1 from the initramfs. It
 * mounts /dev, /proc and /tmp, runs every program the manifest (/etc/m6-programs) lists,
 * one after the other, and prints one record per program on the console: its exit status
 * and everything it wrote to stdout and stderr, captured through pipes and printed base64
 * encoded after it ended, so that kernel messages or a program's stray console output can
 * never mix with the bytes compared. Then it powers off.
 *
 * The same binary is meant to run as the first process of m6's Linux layer, whose output
 * is then compared record by record with real Linux's; so it uses only ordinary system
 * calls and treats a mount point that is already mounted as mounted.
 *
 * Manifest lines (fields separated by one tab; '#' starts a comment line):
 *   env <tab> NAME=VALUE                  add to the environment of the programs after it
 *   run <tab> NAME <tab> PATH [<tab> ARG]...   run PATH with argv = PATH ARG...
 * Console lines, all starting "@@m6rec ":
 *   uname SYSNAME RELEASE MACHINE | mount PATH ok|failed ERRNO | begin NAME |
 *   stdout BASE64 | stderr BASE64 | truncated stdout|stderr | status exit N |
 *   status signal N | status timeout | end NAME STDOUT_BYTES STDERR_BYTES | done COUNT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MANIFEST           "/etc/m6-programs"
#define MAX_ARGS           64
#define MAX_ENV            32
#define MAX_OUTPUT         (1 << 20) /* per stream; more is counted as truncated */
#define PROGRAM_TIMEOUT_MS 20000     /* a hung program is killed, not waited on forever */

struct capture {
	char *data;
	size_t len;
	bool truncated;
	int fd; /* -1 once at end of file */
};

static char *environment[MAX_ENV + 1];
static int environment_count;

static void die(const char *what)
{
	dprintf(1, "@@m6rec fatal %s: %s\n", what, strerror(errno));
	sync();
	reboot(RB_POWER_OFF);
	_exit(1);
}

/* The console as fds 0-2: the kernel opens /dev/console for PID 1 only if the initramfs
 * holds that node, which a cpio made without root cannot; devtmpfs provides it. */
static void open_console(void)
{
	if (fcntl(1, F_GETFD) != -1)
		return;
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		_exit(2); /* nowhere to say anything; the runner reports no records */
	for (int i = 0; i < 3; i++)
		if (fd != i)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

static void mount_one(const char *source, const char *path, const char *type)
{
	mkdir(path, 0755);
	if (mount(source, path, type, 0, NULL) == 0 || errno == EBUSY)
		dprintf(1, "@@m6rec mount %s ok\n", path);
	else
		dprintf(1, "@@m6rec mount %s failed %d\n", path, errno);
}

static void print_base64(const char *stream, const char *data, size_t len)
{
	static const char digits[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	/* 57 bytes make one 76-character line, as MIME does. */
	for (size_t at = 0; at < len; at += 57) {
		char line[80];
		size_t n = len - at < 57 ? len - at : 57, o = 0;
		for (size_t i = 0; i < n; i += 3) {
			unsigned char a = data[at + i];
			unsigned char b = i + 1 < n ? data[at + i + 1] : 0;
			unsigned char c = i + 2 < n ? data[at + i + 2] : 0;
			line[o++] = digits[a >> 2];
			line[o++] = digits[(a & 3) << 4 | b >> 4];
			line[o++] = i + 1 < n ? digits[(b & 15) << 2 | c >> 6] : '=';
			line[o++] = i + 2 < n ? digits[c & 63] : '=';
		}
		line[o] = '\0';
		dprintf(1, "@@m6rec %s %s\n", stream, line);
	}
}

static void drain(struct capture *c)
{
	char buf[4096];
	ssize_t n = read(c->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(c->fd);
		c->fd = -1;
		return;
	}
	size_t keep = (size_t)n;
	if (c->len + keep > MAX_OUTPUT) {
		keep = MAX_OUTPUT - c->len;
		c->truncated = true;
	}
	memcpy(c->data + c->len, buf, keep);
	c->len += keep;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_sigchld(int sig)
{
	(void)sig; /* only interrupts ppoll */
}

static void child(char **argv, int out, int err, const sigset_t *mask)
{
	setpgid(0, 0);
	sigprocmask(SIG_SETMASK, mask, NULL);
	int in = open("/dev/null", O_RDONLY);
	if (in < 0) {
		/* Without /dev, an empty pipe reads the same: end of file at once. */
		int p[2];
		if (pipe(p) == 0) {
			close(p[1]);
			in = p[0];
		}
	}
	if (in >= 0 && in != 0) {
		dup2(in, 0);
		close(in);
	}
	dup2(out, 1);
	dup2(err, 2);
	if (chdir("/") != 0)
		dprintf(2, "init: chdir /: %s\n", strerror(errno));
	execve(argv[0], argv, environment);
	dprintf(2, "init: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void run_program(const char *name, char **argv, const sigset_t *wait_mask)
{
	int out[2], err[2];
	struct capture cap[2] = {{.data = malloc(MAX_OUTPUT)}, {.data = malloc(MAX_OUTPUT)}};
	if (!cap[0].data || !cap[1].data)
		die("malloc");
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
		die("pipe2");
	dprintf(1, "@@m6rec begin %s\n", name);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		child(argv, out[1], err[1], wait_mask);
	setpgid(pid, pid); /* also here: whichever runs first, the group exists for kill() */
	close(out[1]);
	close(err[1]);
	cap[0].fd = out[0];
	cap[1].fd = err[0];

	int status = 0;
	bool exited = false, timed_out = false;
	long long deadline = now_ms() + PROGRAM_TIMEOUT_MS;
	for (;;) {
		if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = true;
			/* What it left running could hold the pipes open for ever. */
			kill(-pid, SIGKILL);
		}
		if (exited && cap[0].fd < 0 && cap[1].fd < 0)
			break;
		long long left = deadline - now_ms();
		if (left <= 0 && !timed_out) {
			timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			left = PROGRAM_TIMEOUT_MS;
			deadline = now_ms() + left;
		} else if (left <= 0) {
			break; /* even SIGKILL did not end it: give up on this program */
		}
		struct pollfd fds[2];
		int map[2], n = 0;
		for (int i = 0; i < 2; i++) {
			if (cap[i].fd >= 0) {
				fds[n] = (struct pollfd){.fd = cap[i].fd, .events = POLLIN};
				map[n++] = i;
			}
		}
		struct timespec ts = {left / 1000, (left % 1000) * 1000000};
		/* SIGCHLD is blocked except inside ppoll, so an exit always wakes it. */
		int ready = ppoll(fds, n, &ts, wait_mask);
		for (int i = 0; ready > 0 && i < n; i++)
			if (fds[i].revents)
				drain(&cap[map[i]]);
	}
	for (int i = 0; i < 2; i++)
		if (cap[i].fd >= 0)
			close(cap[i].fd);
	while (waitpid(-1, NULL, WNOHANG) > 0) {
		/* reap what the program left behind (PID 1 inherits orphans) */
	}

	print_base64("stdout", cap[0].data, cap[0].len);
	print_base64("stderr", cap[1].data, cap[1].len);
	if (cap[0].truncated)
		dprintf(1, "@@m6rec truncated stdout\n");
	if (cap[1].truncated)
		dprintf(1, "@@m6rec truncated stderr\n");
	if (timed_out)
		dprintf(1, "@@m6rec status timeout\n");
	else if (WIFSIGNALED(status))
		dprintf(1, "@@m6rec status signal %d\n", WTERMSIG(status));
	else
		dprintf(1, "@@m6rec status exit %d\n", WEXITSTATUS(status));
	dprintf(1, "@@m6rec end %s %zu %zu\n", name, cap[0].len, cap[1].len);
	free(cap[0].data);
	free(cap[1].data);
}

static char *read_manifest(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	struct stat st;
	if (fstat(fd, &st) != 0)
		die(path);
	char *text = malloc((size_t)st.st_size + 1);
	if (!text)
		die("malloc");
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
		if (n <= 0)
			die(path);
		got += (size_t)n;
	}
	text[got] = '\0';
	close(fd);
	return text;
}

int main(int argc, char **argv)
{
	bool pid1 = getpid() == 1;
	if (pid1)
		open_console();
	/* Unbuffered records: nothing may sit in a buffer when a child is forked. */
	setvbuf(stdout, NULL, _IONBF, 0);

	struct utsname u;
	if (uname(&u) == 0)
		dprintf(1, "@@m6rec uname %s %s %s\n", u.sysname, u.release, u.machine);
	if (pid1) {
		mount_one("devtmpfs", "/dev", "devtmpfs");
		mount_one("proc", "/proc", "proc");
		mount_one("tmpfs", "/tmp", "tmpfs");
	}

	sigset_t block, wait_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	struct sigaction sa = {.sa_handler = on_sigchld};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);

	char *text = read_manifest(argc > 1 ? argv[1] : MANIFEST);
	int count = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *field[MAX_ARGS + 3];
		int n = 0;
		for (char *f = line; f && n < MAX_ARGS + 2; n++) {
			field[n] = f;
			f = strchr(f, '\t');
			if (f)
				*f++ = '\0';
		}
		field[n] = NULL;
		if (strcmp(field[0], "env") == 0 && n == 2 && environment_count < MAX_ENV) {
			environment[environment_count++] = field[1];
		} else if (strcmp(field[0], "run") == 0 && n >= 3) {
			run_program(field[1], &field[2], &wait_mask);
			count++;
		} else {
			dprintf(1, "@@m6rec fatal bad manifest line '%s'\n", field[0]);
		}
	}
	dprintf(1, "@@m6rec done %d\n", count);
	if (!pid1)
		return 0;
	sync();
	reboot(RB_POWER_OFF);
	die("reboot");
}
