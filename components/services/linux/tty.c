/* The Linux shim's terminal: one TTY on the console service (tty.h, docs/linux.md,
 * "Terminal"). The line discipline itself is ldisc.c; this file connects it to the
 * console, to the processes (reads that park, poll, the ioctls) and to sessions.
 *
 * Input comes from the console (console.idl read) when it signals the shim's notification.
 * It is taken only while there is room for a whole console read: what does not fit waits
 * in the console and the UART (their flow control), so no typed byte is dropped, and a
 * reader that makes room pulls the rest itself (the console signals only when new bytes
 * arrive). Output (program writes, echo) goes through the output processing (OPOST) and
 * to the console as it is (its `raw` flag): the console adds no "\r" of its own. */
#define _DEFAULT_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6_caps.h>

#include "block.h"
#include "fd.h"
#include "ldisc.h"
#include "shim.h"
#include "signal.h"
#include "tty.h"

#ifdef CAP_TTY
#include "console_idl.h"
#endif

/* ioctl requests (asm-generic) */
#define TCGETS     0x5401u
#define TCSETS     0x5402u
#define TCSETSW    0x5403u
#define TCSETSF    0x5404u
#define TCXONC     0x540Au
#define TCFLSH     0x540Bu
#define TIOCSCTTY  0x540Eu
#define TIOCGPGRP  0x540Fu
#define TIOCSPGRP  0x5410u
#define TIOCOUTQ   0x5411u
#define TIOCGWINSZ 0x5413u
#define TIOCSWINSZ 0x5414u
#define FIONREAD   0x541Bu
#define TIOCNOTTY  0x5422u
#define TIOCGSID   0x5429u

#define L_EINTR    4
#define L_EIO      5
#define L_EPERM    1
#define L_ESRCH    3
#define L_POLLIN   0x001u
#define L_POLLOUT  0x004u

/* Take console input only while a whole console read fits: the rest waits in the console
 * and the UART (flow control). */
#define TTY_READ_ROOM 256u

struct winsize_k {
	uint16_t rows, cols, xpixel, ypixel;
};

static struct tty {
	struct ldisc ld;
	struct winsize_k ws;
	int sid, pgrp; /* the session it is the controlling terminal of (0: none) */
	bool input;    /* there is a console to read from */
} tty;

/* ---- output ---- */

static char outbuf[256];
static size_t outlen;

static void out_flush(void)
{
	if (outlen == 0)
		return;
#ifdef CAP_TTY
	/* flush (1) | raw (2): a terminal's bytes go out as they are, at once; a refusal
	 * (another client's overlong line going out) is retried */
	for (int tries = 0; tries < 1000; tries++) {
		if (console_write(CAP_TTY, outbuf, outlen, 3) != M6_ERR_WOULD_BLOCK)
			break;
		m6_yield();
	}
#else
	m6_debug_write(CAP_DEBUG_CONSOLE, outbuf, outlen);
#endif
	outlen = 0;
}

static void out_byte(void *ctx, char c)
{
	(void)ctx;
	if (outlen == sizeof(outbuf))
		out_flush();
	outbuf[outlen++] = c;
}

/* ^C, ^\ and ^Z: the foreground process group gets the signal. */
static void raise_signal(void *ctx, int sig)
{
	(void)ctx;
	out_flush(); /* the echo ("^C") before whatever the signal makes happen */
	if (tty.pgrp > 0)
		signal_send_group(tty.pgrp, sig);
}

int64_t tty_write(struct proc *p, uint64_t buf, uint64_t n)
{
	char chunk[256];
	for (uint64_t done = 0; done < n;) {
		size_t k = n - done < sizeof(chunk) ? (size_t)(n - done) : sizeof(chunk);
		int e = mem_copy_in(p, chunk, buf + done, k);
		if (e) {
			out_flush();
			return done ? (int64_t)done : e;
		}
		for (size_t i = 0; i < k; i++)
			ldisc_output(&tty.ld, chunk[i]);
		done += k;
	}
	out_flush();
	return (int64_t)n;
}

/* ---- input ---- */

/* Take console input while it fits; run each byte through the line discipline. */
static void pull(void)
{
#ifdef CAP_TTY
	if (!tty.input)
		return;
	while (LDISC_BUF - tty.ld.len > TTY_READ_ROOM) {
		uint8_t bytes[CONSOLE_READ_DATA_MAX];
		size_t n = 0;
		if (console_read(CAP_TTY, bytes, &n) != M6_OK || n == 0)
			break;
		for (size_t i = 0; i < n; i++)
			ldisc_receive(&tty.ld, bytes[i]);
	}
	out_flush();
#endif
}

void tty_input(void)
{
	pull();
}

/* ---- reading ---- */

/* POSIX's orphaned process group: no member has a parent in another group of the same
 * session (as Linux, pid 1 does not count: nobody would continue a stop of its children). */
static bool group_orphaned(int pgid)
{
	for (unsigned i = 0; i < LINUX_MAX_PROCS; i++) {
		const struct proc *q = &procs[i];
		if (!q->used || q->zombie || q->pgid != pgid)
			continue;
		const struct proc *parent = proc_by_pid(q->ppid);
		if (parent && !parent->zombie && parent->pid != 1 && parent->pgid != pgid &&
		    parent->sid == q->sid)
			return false;
	}
	return true;
}

/* Whether p may use the terminal now as a reader (sig SIGTTIN) or as one that changes it
 * (SIGTTOU): a process of the terminal's session outside its foreground group may not.
 * As Linux: a process that ignores or blocks the signal gets EIO as a reader and goes
 * ahead as a changer; otherwise its group gets the signal (whose default action stops it)
 * and the call waits (-EAGAIN: a read parks, and its retries go on once the group is in
 * front; a change answers EINTR). `send` false: do not send the signal (yet): a read
 * about to park, whose first retry sends it, or a retry after that one. */
static int64_t background_check(struct proc *p, int sig, bool send)
{
	if (tty.sid == 0 || p->sid != tty.sid || tty.pgrp <= 0 || p->pgid == tty.pgrp)
		return 0;
	/* an orphaned group would never be continued after a stop: Linux answers EIO */
	if (sig == LINUX_SIGTTIN && group_orphaned(p->pgid))
		return -L_EIO;
	/* the calling thread's mask, or (a parked read's retry) the main thread's */
	const struct sig_thread *st =
	    shim_call.busy && shim_call.p == p && shim_call.thr ? &shim_call.thr->sigt : &p->sigt;
	uint64_t bit = (uint64_t)1 << (sig - 1);
	if (p->sig.act[sig - 1].handler == 1 /* SIG_IGN */ || (st->mask & bit))
		return sig == LINUX_SIGTTIN ? -L_EIO : 0;
	if (send)
		signal_send_group(p->pgid, sig);
	return sig == LINUX_SIGTTIN ? -LINUX_EAGAIN : -L_EINTR;
}

static int64_t read_as(struct proc *p, uint64_t buf, uint64_t n, bool first)
{
	int64_t bg = background_check(p, LINUX_SIGTTIN, first);
	if (bg)
		return bg;
	if (!tty.input)
		return 0; /* the debug console: nothing to read, end of file */
	/* what fits one copy-out; a longer read returns what one takes, as a short read */
	static uint8_t bytes[LDISC_BUF];
	long r = ldisc_read(&tty.ld, bytes, n < sizeof(bytes) ? (size_t)n : sizeof(bytes));
	if (r == LDISC_WAIT)
		return -LINUX_EAGAIN;
	if (r > 0) {
		int e = mem_copy_out(p, buf, bytes, (size_t)r);
		if (e)
			return e; /* (the bytes are gone, as on Linux after a fault mid-copy) */
	}
	pull(); /* room again: what the console held back comes now */
	return r;
}

int64_t tty_read(struct proc *p, struct ofd *f, uint64_t buf, uint64_t n)
{
	(void)f;
	return read_as(p, buf, n, true);
}

/* A parked read's retry. arg[3]: SIGTTIN was sent for it. The signal goes out from here,
 * once the reader is parked rather than in its call: the signals work stops a parked
 * thread at once (and tells its parent), whereas one still in its call would take the
 * signal only when the call returns, which a parked read never does. */
static int64_t retry_read(struct blocked *b)
{
	struct ofd *f = fd_get(b->p, (int64_t)b->arg[0]);
	if (!f || f->kind != OFD_CONSOLE)
		return -LINUX_EBADF; /* closed (or closed and reused) meanwhile */
	bool send = b->arg[3] == 0 && background_check(b->p, LINUX_SIGTTIN, false) == -LINUX_EAGAIN;
	if (send)
		b->arg[3] = 1; /* (before the signal: it may end or stop the wait) */
	int64_t r = read_as(b->p, b->arg[1], b->arg[2], send);
	if (send)
		block_run_again(); /* the stop ends the parent's wait4(WUNTRACED) */
	return r == -LINUX_EAGAIN && !(f->flags & L_O_NONBLOCK) ? LINUX_PARKED : r;
}

int64_t tty_sys_read(struct proc *p, const uint64_t a[6])
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	if ((f->flags & L_O_ACCMODE) == L_O_WRONLY || (f->flags & L_O_PATH))
		return -LINUX_EBADF;
	bool nonblock = (f->flags & L_O_NONBLOCK) != 0;
	/* a read that will not park takes its SIGTTIN on its way out; one that parks gets it
	 * from its first retry */
	int64_t r = read_as(p, a[1], a[2], nonblock);
	if (r != -LINUX_EAGAIN || nonblock)
		return r;
	/* VMIN 0 with VTIME: the wait ends with 0 bytes after VTIME tenths of a second */
	const struct linux_termios *t = &tty.ld.t;
	uint64_t deadline = 0;
	if (!(t->c_lflag & T_ICANON) && t->c_cc[VMIN] == 0 && t->c_cc[VTIME] > 0)
		deadline = block_deadline_in((uint64_t)t->c_cc[VTIME] * 100000000u);
	struct blocked *b = block_park(retry_read, deadline, 0);
	if (!b)
		return -LINUX_EAGAIN;
	memcpy(b->arg, a, sizeof(b->arg));
	b->arg[3] = 0;
	return LINUX_PARKED;
}

uint32_t tty_poll(struct proc *p)
{
	(void)p; /* as Linux's, readiness does not look at job control */
	uint32_t ready = L_POLLOUT;
	if (!tty.input || ldisc_read_ready(&tty.ld))
		ready |= L_POLLIN; /* a read would not wait (end of file, or data) */
	return ready;
}

/* ---- sessions ---- */

static bool session_alive(int sid)
{
	struct proc *leader = proc_by_pid(sid);
	return leader && !leader->zombie && leader->sid == sid;
}

void tty_attach(struct proc *p)
{
	if (tty.sid && tty.sid != p->sid && session_alive(tty.sid))
		return;
	if (tty.sid == 0 || !session_alive(tty.sid)) {
		/* A free terminal gets a new session as a getty would hand it over: the default
		 * settings (a program that ended in raw mode, vi killed say, leaves no raw mode
		 * behind) and nothing typed for someone else. The window size stays. */
		struct linux_termios t;
		ldisc_default_termios(&t);
		ldisc_set_termios(&tty.ld, &t);
		ldisc_flush_input(&tty.ld);
	}
	tty.sid = p->sid;
	tty.pgrp = p->pgid;
}

void tty_proc_gone(struct proc *p)
{
	if (tty.sid != 0 && p->pid == tty.sid) {
		int fg = tty.pgrp;
		tty.sid = 0;
		tty.pgrp = 0;
		/* as Linux: the controlling process is gone, so its terminal's foreground group
		 * is hung up (and continued, should it be stopped) */
		if (fg > 0 && signal_send_group(fg, LINUX_SIGHUP) == 0)
			signal_send_group(fg, LINUX_SIGCONT);
	}
}

/* ---- ioctl ---- */

/* 0 if group pgrp has a live process in session sid; -ESRCH if it has none anywhere,
 * -EPERM if it is another session's (as Linux's TIOCSPGRP answers). */
static int group_in_session(int pgrp, int sid)
{
	int e = -L_ESRCH;
	for (unsigned i = 0; i < LINUX_MAX_PROCS; i++) {
		if (!procs[i].used || procs[i].zombie || procs[i].pgid != pgrp)
			continue;
		if (procs[i].sid == sid)
			return 0;
		e = -L_EPERM;
	}
	return e;
}

int64_t tty_ioctl(struct proc *p, struct ofd *f, uint64_t request, uint64_t arg)
{
	(void)f;
	bool ctty = tty.sid != 0 && p->sid == tty.sid;
	switch ((uint32_t)request) {
	case TCGETS:
		return mem_copy_out(p, arg, &tty.ld.t, sizeof(tty.ld.t));
	case TCSETS:
	case TCSETSW: /* output is written before write(2) returns: nothing to drain */
	case TCSETSF: {
		struct linux_termios t;
		int64_t bg = background_check(p, LINUX_SIGTTOU, true);
		if (bg)
			return bg;
		int e = mem_copy_in(p, &t, arg, sizeof(t));
		if (e)
			return e;
		if ((uint32_t)request == TCSETSF)
			ldisc_flush_input(&tty.ld);
		ldisc_set_termios(&tty.ld, &t);
		return 0;
	}
	case TIOCGWINSZ:
		return mem_copy_out(p, arg, &tty.ws, sizeof(tty.ws));
	case TIOCSWINSZ: {
		struct winsize_k ws;
		int e = mem_copy_in(p, &ws, arg, sizeof(ws));
		if (e)
			return e;
		bool changed = memcmp(&ws, &tty.ws, sizeof(ws)) != 0;
		tty.ws = ws;
		/* as Linux: a new size is news for the foreground group (full-screen programs
		 * redraw); the caller, if it is in that group, takes it on its way out */
		if (changed && tty.pgrp > 0)
			signal_send_group(tty.pgrp, LINUX_SIGWINCH);
		return 0;
	}
	case FIONREAD: {
		int32_t n = (int32_t)ldisc_readable(&tty.ld);
		return mem_copy_out(p, arg, &n, sizeof(n));
	}
	case TIOCOUTQ: {
		int32_t n = 0; /* output leaves before write(2) returns */
		return mem_copy_out(p, arg, &n, sizeof(n));
	}
	case TCFLSH:
		if (arg > 2)
			return -LINUX_EINVAL;
		if (arg == 0 || arg == 2) /* TCIFLUSH, TCIOFLUSH: typed input is dropped */
			ldisc_flush_input(&tty.ld);
		return 0;
	case TCXONC:
		/* TCOOFF, TCOON, TCIOFF, TCION: accepted; output is never held (docs) */
		return arg > 3 ? -LINUX_EINVAL : 0;
	case TIOCGPGRP: {
		if (!ctty)
			return -LINUX_ENOTTY;
		int32_t g = tty.pgrp;
		return mem_copy_out(p, arg, &g, sizeof(g));
	}
	case TIOCSPGRP: {
		if (!ctty)
			return -LINUX_ENOTTY;
		int64_t bg = background_check(p, LINUX_SIGTTOU, true);
		if (bg)
			return bg;
		int32_t g;
		int e = mem_copy_in(p, &g, arg, sizeof(g));
		if (e)
			return e;
		if (g < 0)
			return -LINUX_EINVAL;
		if ((e = group_in_session(g, p->sid)) != 0)
			return e;
		tty.pgrp = g;
		return 0;
	}
	case TIOCGSID: {
		if (!ctty)
			return -LINUX_ENOTTY;
		int32_t s = tty.sid;
		return mem_copy_out(p, arg, &s, sizeof(s));
	}
	case TIOCSCTTY:
		if (ctty)
			return 0;
		/* a session leader without a terminal takes it if it is free (or stolen with
		 * arg 1, which needs privileges every process here has: uid 0) */
		if (p->pid != p->sid)
			return -L_EPERM;
		if (tty.sid && session_alive(tty.sid) && arg != 1)
			return -L_EPERM;
		tty.sid = p->sid;
		tty.pgrp = p->pgid;
		return 0;
	case TIOCNOTTY:
		if (!ctty)
			return -LINUX_ENOTTY;
		if (p->pid == p->sid) { /* the leader lets go: the session has no terminal */
			tty.sid = 0;
			tty.pgrp = 0;
		}
		return 0;
	default:
		return -LINUX_ENOTTY;
	}
}

/* ---- start-up ---- */

void tty_init(bool input, bool claim)
{
	memset(&tty, 0, sizeof(tty));
	ldisc_init(&tty.ld);
	tty.ld.out = out_byte;
	tty.ld.signal = raise_signal;
	tty.ws = (struct winsize_k){.rows = 24, .cols = 80};
#ifdef CAP_TTY
	tty.input = input;
	if (input && claim) {
		bool granted = false;
		console_claim_input(CAP_TTY, &granted);
		tty.input = granted;
	}
#else
	/* the kernel's debug console turns "\n" into "\r\n" itself */
	tty.ld.device_crlf = true;
	(void)input;
	(void)claim;
#endif
}
