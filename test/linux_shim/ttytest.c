/* The shim's terminal, from a program's side (ctest qemu.linux.tty, tty_session.py types
 * the input): isatty, the termios a terminal starts with, the window size, the process
 * group and session, canonical line editing (erase, word erase, kill, EOF), raw mode with
 * VMIN/VTIME, poll and FIONREAD, TCFLSH, and ^C ending the program (SIGINT).
 *
 * Each check prints "ok NAME" or "FAIL NAME: WHY"; "ready NAME" says the program waits for
 * the driver's input for the next step. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *name, const char *why)
{
	if (ok)
		printf("ok %s\n", name);
	else {
		printf("FAIL %s: %s\n", name, why);
		failures++;
	}
	fflush(stdout);
}

static volatile sig_atomic_t winches;

static void on_winch(int sig)
{
	(void)sig;
	winches++;
}

static void ready(const char *name)
{
	printf("ready %s\n", name);
	fflush(stdout);
}

/* One read(2) of up to n bytes, as a C string. */
static ssize_t read_once(char *buf, size_t n)
{
	ssize_t r = read(0, buf, n - 1);
	buf[r > 0 ? r : 0] = '\0';
	return r;
}

static void expect_line(const char *name, const char *want)
{
	char buf[256], why[320];
	ready(name);
	ssize_t r = read_once(buf, sizeof(buf));
	snprintf(why, sizeof(why), "read %zd bytes \"%s\", wanted \"%s\"", r, r > 0 ? buf : "",
	         want);
	check(r == (ssize_t)strlen(want) && strcmp(buf, want) == 0, name, why);
}

int main(void)
{
	char why[256];
	/* isatty: the terminal yes, a pipe no (ENOTTY) */
	int fds[2];
	check(isatty(0) && isatty(1) && isatty(2), "isatty-console", "fd 0-2 are not terminals");
	if (pipe(fds) == 0) {
		errno = 0;
		check(!isatty(fds[0]) && errno == ENOTTY, "isatty-pipe", "a pipe is a terminal");
		close(fds[0]);
		close(fds[1]);
	}

	/* the termios every terminal starts with */
	struct termios t;
	check(tcgetattr(0, &t) == 0, "tcgetattr", strerror(errno));
	snprintf(why, sizeof(why), "iflag %#x oflag %#x lflag %#x", t.c_iflag, t.c_oflag,
	         t.c_lflag);
	check((t.c_lflag & (ICANON | ECHO | ECHOE | ISIG | IEXTEN)) ==
	              (ICANON | ECHO | ECHOE | ISIG | IEXTEN) &&
	          (t.c_iflag & ICRNL) && (t.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR),
	      "termios-flags", why);
	snprintf(why, sizeof(why), "intr %d quit %d erase %d kill %d eof %d min %d time %d",
	         t.c_cc[VINTR], t.c_cc[VQUIT], t.c_cc[VERASE], t.c_cc[VKILL], t.c_cc[VEOF],
	         t.c_cc[VMIN], t.c_cc[VTIME]);
	check(t.c_cc[VINTR] == 3 && t.c_cc[VQUIT] == 034 && t.c_cc[VERASE] == 0177 &&
	          t.c_cc[VKILL] == 025 && t.c_cc[VEOF] == 4 && t.c_cc[VMIN] == 1 &&
	          t.c_cc[VTIME] == 0 && t.c_cc[VSUSP] == 032 && t.c_cc[VWERASE] == 027,
	      "termios-chars", why);

	/* the window: 80x24 until someone sets it */
	struct winsize ws = {0};
	check(ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 24 && ws.ws_col == 80, "winsize",
	      "not 24 rows of 80 columns");
	struct winsize big = {.ws_row = 50, .ws_col = 132};
	ws = (struct winsize){0};
	signal(SIGWINCH, on_winch);
	check(ioctl(1, TIOCSWINSZ, &big) == 0 && ioctl(0, TIOCGWINSZ, &ws) == 0 &&
	          ws.ws_row == 50 && ws.ws_col == 132,
	      "winsize-set", "TIOCSWINSZ did not stick");
	check(winches == 1, "sigwinch", "a new size sent no SIGWINCH to the foreground group");
	check(ioctl(1, TIOCSWINSZ, &big) == 0 && winches == 1, "sigwinch-same",
	      "the same size again sent SIGWINCH");

	/* the shim started us as a session leader on the terminal, our group in front */
	pid_t fg = tcgetpgrp(0), sid = tcgetsid(0);
	snprintf(why, sizeof(why), "tcgetpgrp %d getpgrp %d tcgetsid %d getsid %d", fg, getpgrp(),
	         sid, getsid(0));
	check(fg == getpgrp() && sid == getsid(0) && sid == getpid(), "pgrp-sid", why);
	check(tcsetpgrp(0, getpgrp()) == 0, "tcsetpgrp", strerror(errno));
	errno = 0;
	check(tcsetpgrp(0, 99999) == -1 && errno == ESRCH, "tcsetpgrp-bad",
	      "a group that does not exist was accepted");
	check(ioctl(0, TIOCSCTTY, 0) == 0, "tiocsctty-own", "its own terminal refused");

	/* the leader lets the terminal go, and takes it again */
	errno = 0;
	check(ioctl(0, TIOCNOTTY) == 0 && tcgetpgrp(0) == -1 && errno == ENOTTY, "tiocnotty",
	      "the terminal stayed the controlling one");
	check(ioctl(0, TIOCSCTTY, 0) == 0 && tcgetpgrp(0) == getpgrp(), "tiocsctty-again",
	      "the free terminal was not taken back");

	/* job control: a background group's read. Ignoring SIGTTIN, or in an orphaned group
	 * (a child of pid 1, which nobody would continue): EIO. Otherwise SIGTTIN stops it,
	 * and its parent (not pid 1) sees the stop. */
	pid_t child = fork();
	if (child == 0) {
		char c;
		setpgid(0, 0);
		signal(SIGTTIN, SIG_IGN);
		errno = 0;
		_exit(read(0, &c, 1) == -1 && errno == EIO ? 0 : 1);
	}
	int status = -1;
	check(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	          WEXITSTATUS(status) == 0,
	      "background-read-ignored", "a background read ignoring SIGTTIN was not EIO");
	child = fork();
	if (child == 0) {
		char c;
		setpgid(0, 0);
		errno = 0;
		_exit(read(0, &c, 1) == -1 && errno == EIO ? 0 : 1);
	}
	status = -1;
	check(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	          WEXITSTATUS(status) == 0,
	      "background-read-orphaned", "a read from an orphaned group was not EIO");
	child = fork();
	if (child == 0) {
		/* the middle process: its child's group is not orphaned */
		pid_t reader = fork();
		if (reader == 0) {
			char c;
			setpgid(0, 0);
			_exit(read(0, &c, 1) == 1 ? 3 : 4);
		}
		setpgid(reader, reader);
		int st = -1;
		pid_t w = waitpid(reader, &st, WUNTRACED);
		int stopped = w == reader && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN;
		kill(reader, SIGKILL);
		waitpid(reader, &st, 0);
		_exit(stopped && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? 0 : 1);
	}
	status = -1;
	check(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	          WEXITSTATUS(status) == 0,
	      "background-read-stops", "SIGTTIN did not stop a background reader");

	/* hang-up: a session leader that steals the terminal, puts another group in front and
	 * exits hangs that group up (SIGHUP); the orphan comes to us (pid 1) to be waited for;
	 * then we take the terminal back */
	child = fork();
	if (child == 0) {
		setsid();
		if (ioctl(0, TIOCSCTTY, 1) != 0)
			_exit(1);
		pid_t front = fork();
		if (front == 0) {
			setpgid(0, 0);
			for (;;)
				pause();
		}
		setpgid(front, front);
		_exit(tcsetpgrp(0, front) == 0 ? 0 : 2);
	}
	status = -1;
	check(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	          WEXITSTATUS(status) == 0,
	      "steal-and-front", "a new session could not steal the terminal");
	status = -1;
	pid_t w = waitpid(-1, &status, 0);
	snprintf(why, sizeof(why), "waitpid %d status %#x", w, status);
	check(w > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGHUP, "hangup", why);
	check(ioctl(0, TIOCSCTTY, 1) == 0 && tcgetpgrp(0) == getpgrp(), "tiocsctty-back",
	      "the terminal was not taken back");

	/* canonical mode: the driver types, the program gets edited lines */
	expect_line("canon-erase", "abd\n");      /* abc DEL d CR */
	expect_line("canon-backspace", "xz\n");   /* xy ^H z CR */
	expect_line("canon-werase", "foo baz\n"); /* foo bar ^W baz CR */
	expect_line("canon-kill", "hello\n");     /* junk ^U hello CR */
	expect_line("canon-eof-partial", "part"); /* part ^D */
	expect_line("canon-eof", "");             /* ^D: end of file */
	{
		/* a line read in two pieces */
		char a[8], b[64];
		ready("canon-split");
		ssize_t r1 = read(0, a, 4), r2 = read_once(b, sizeof(b));
		check(r1 == 4 && memcmp(a, "spli", 4) == 0 && r2 == 3 && strcmp(b, "t!\n") == 0,
		      "canon-split", "a line was not returned in order");
	}

	/* raw mode: no echo, no line editing, a byte at a time (VMIN 1, VTIME 0) */
	struct termios raw = t;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	check(tcsetattr(0, TCSANOW, &raw) == 0, "tcsetattr-raw", strerror(errno));
	struct termios back;
	check(tcgetattr(0, &back) == 0 && !(back.c_lflag & (ICANON | ECHO)) &&
	          back.c_cc[VMIN] == 1 && (back.c_lflag & ISIG),
	      "tcgetattr-raw", "the raw settings did not stick");
	{
		char buf[16];
		ready("raw-byte");
		ssize_t r = read_once(buf, sizeof(buf));
		snprintf(why, sizeof(why), "read %zd \"%s\"", r, buf);
		check(r == 1 && buf[0] == 'q', "raw-byte", why);
		ready("raw-cr");
		r = read_once(buf, sizeof(buf));
		check(r == 1 && buf[0] == '\n', "raw-cr", "ICRNL did not turn CR into NL");
		ready("raw-del");
		r = read_once(buf, sizeof(buf));
		check(r == 1 && buf[0] == 0x7f, "raw-del", "DEL was not passed through");
	}
	/* VMIN 0, VTIME 0: a read that never waits */
	raw.c_cc[VMIN] = 0;
	check(tcsetattr(0, TCSANOW, &raw) == 0, "tcsetattr-vmin0", strerror(errno));
	{
		char buf[16];
		check(read(0, buf, sizeof(buf)) == 0, "vmin0-empty", "a read with nothing waited");
		/* VMIN 0, VTIME 2: 0 bytes after 0.2 s */
		raw.c_cc[VTIME] = 2;
		tcsetattr(0, TCSANOW, &raw);
		check(read(0, buf, sizeof(buf)) == 0, "vtime-timeout", "not 0 after the timeout");
	}
	/* poll and FIONREAD */
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(0, TCSANOW, &raw);
	{
		struct pollfd p = {.fd = 0, .events = POLLIN};
		check(poll(&p, 1, 0) == 0, "poll-empty", "POLLIN with nothing typed");
		ready("poll-wait");
		p.revents = 0;
		int n = poll(&p, 1, -1);
		int avail = -1;
		/* the driver types 4 bytes at once; they come in one console read */
		ioctl(0, FIONREAD, &avail);
		snprintf(why, sizeof(why), "poll %d revents %#x FIONREAD %d", n, p.revents, avail);
		check(n == 1 && (p.revents & POLLIN) && avail >= 1, "poll-ready", why);
		check(tcflush(0, TCIFLUSH) == 0 && ioctl(0, FIONREAD, &avail) == 0 && avail == 0,
		      "tcflush", "input left after TCIFLUSH");
		check(tcflow(0, TCOON) == 0, "tcflow", strerror(errno));
	}
	/* back to canonical with TCSETSF; then ^C ends us */
	check(tcsetattr(0, TCSAFLUSH, &t) == 0, "tcsetattr-flush", strerror(errno));
	printf("ttytest: %d failures\n", failures);
	ready("sigint");
	char buf[64];
	ssize_t r = read(0, buf, sizeof(buf));
	printf("FAIL sigint: read returned %zd instead of the program ending\n", r);
	return 1;
}
