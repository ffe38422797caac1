/* The Linux shim's terminal: one TTY on the console service (tty.h, docs/linux.md,
 * "Terminal").
 *
 * Input comes from the console (console.idl read) when it signals the shim's notification;
 * the line discipline below turns it into what read(2) returns. It is taken only while
 * there is room for a whole console read: what does not fit waits in the console and the
 * UART (their flow control), so no typed byte is dropped, and a reader that makes room
 * pulls the rest itself (the console signals only when new bytes arrive).
 *
 * The input buffer holds, in order, the bytes a read may return ([0, ready)) and the line
 * being edited in canonical mode ([ready, len)). In canonical mode a read returns one line
 * at most: `delim` marks each line's end, the newline (or EOL character), which the read
 * returns, or the EOF character (^D), which it does not: an EOF at the start of a line is
 * a read of 0 bytes. In non-canonical mode every byte is ready at once.
 *
 * Output (program writes, echo) goes through the output processing (OPOST: ONLCR, OCRNL)
 * and to the console as it is (its `raw` flag): the console adds no "\r" of its own. */
#define _DEFAULT_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6_caps.h>

#include "block.h"
#include "fd.h"
#include "shim.h"
#include "tty.h"

#ifdef CAP_TTY
#include "console_idl.h"
#endif

/* c_iflag */
#define T_ISTRIP 0000040u
#define T_INLCR  0000100u
#define T_IGNCR  0000200u
#define T_ICRNL  0000400u
#define T_IXON   0002000u
#define T_IUTF8  0040000u
/* c_oflag */
#define T_OPOST 0000001u
#define T_ONLCR 0000004u
#define T_OCRNL 0000010u
/* c_cflag: B38400 | CS8 | CREAD | HUPCL, Linux's default */
#define T_CFLAG_DEFAULT 0002277u
/* c_lflag */
#define T_ISIG    0000001u
#define T_ICANON  0000002u
#define T_ECHO    0000010u
#define T_ECHOE   0000020u
#define T_ECHOK   0000040u
#define T_ECHONL  0000100u
#define T_NOFLSH  0000200u
#define T_ECHOCTL 0001000u
#define T_ECHOKE  0004000u
#define T_IEXTEN  0100000u
/* c_cc */
#define VINTR    0
#define VQUIT    1
#define VERASE   2
#define VKILL    3
#define VEOF     4
#define VTIME    5
#define VMIN     6
#define VSTART   8
#define VSTOP    9
#define VSUSP    10
#define VEOL     11
#define VREPRINT 12
#define VWERASE  14
#define VLNEXT   15
#define VEOL2    16

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

#define L_EINTR  4
#define L_EIO    5
#define L_EPERM  1
#define L_ESRCH  3
#define L_POLLIN  0x001u
#define L_POLLOUT 0x004u

#define SIGINT  2
#define SIGQUIT 3
#define SIGTSTP 20
#define SIGTTIN 21

/* Linux's canonical line limit (N_TTY_BUF_SIZE less one for the newline). */
#define TTY_BUF 4096u
/* Take console input only while a whole console read fits. */
#define TTY_READ_ROOM 256u

struct winsize_k {
	uint16_t rows, cols, xpixel, ypixel;
};

static struct tty {
	struct linux_termios t;
	struct winsize_k ws;
	int sid, pgrp;       /* the session it is the controlling terminal of (0: none) */
	bool input;          /* there is a console to read from */
	bool lnext;          /* the previous byte was VLNEXT: this one is taken literally */
	uint8_t buf[TTY_BUF];
	uint8_t delim[TTY_BUF]; /* per byte: 0, DELIM_LINE (returned) or DELIM_EOF (not) */
	size_t len, ready;
	size_t column; /* of the output, for erasing a tab (0: at a line's start) */
} tty;

#define DELIM_LINE 1
#define DELIM_EOF  2

/* ---- output ---- */

static char outbuf[512];
static size_t outlen;

static void out_flush(void)
{
	if (outlen == 0)
		return;
#ifdef CAP_TTY
	/* flush (1) | raw (2): a terminal's bytes go out as they are, at once */
	for (int tries = 0; tries < 1000; tries++) {
		uint64_t e = console_write(CAP_TTY, outbuf, outlen, 3);
		if (e != M6_ERR_WOULD_BLOCK)
			break;
		m6_yield();
	}
#else
	m6_debug_write(CAP_DEBUG_CONSOLE, outbuf, outlen);
#endif
	outlen = 0;
}

static void out_byte(char c)
{
	if (outlen == sizeof(outbuf) || outlen == 256)
		out_flush();
	outbuf[outlen++] = c;
}

/* One byte of output through OPOST: ONLCR "\n" -> "\r\n", OCRNL "\r" -> "\n". The kernel's
 * debug console (the shim without a console service) adds the "\r" itself. */
static void out_post(char c)
{
	uint32_t of = tty.t.c_oflag;
#ifdef CAP_TTY
	if ((of & T_OPOST) && (of & T_ONLCR) && c == '\n')
		out_byte('\r');
#endif
	if ((of & T_OPOST) && (of & T_OCRNL) && c == '\r')
		c = '\n';
	out_byte(c);
	if (c == '\n' || c == '\r')
		tty.column = 0;
	else if (c == '\b')
		tty.column = tty.column ? tty.column - 1 : 0;
	else if (c == '\t')
		tty.column = (tty.column | 7) + 1;
	else if ((unsigned char)c >= 0x20 && (unsigned char)c != 0x7f &&
	         ((unsigned char)c & 0xc0) != 0x80)
		tty.column++;
}

void tty_write_bytes(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out_post(s[i]);
	out_flush();
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
			out_post(chunk[i]);
		done += k;
	}
	out_flush();
	return (int64_t)n;
}

/* ---- echo ---- */

static bool is_ctl(uint8_t c)
{
	return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
}

/* Echo c as typed: a control character as ^X with ECHOCTL. */
static void echo_char(uint8_t c)
{
	if ((tty.t.c_lflag & T_ECHOCTL) && is_ctl(c)) {
		out_post('^');
		out_post((char)(c ^ 0x40));
	} else {
		out_post((char)c);
	}
}

/* How many columns the echo of byte i of the line took. */
static size_t echo_width(size_t i)
{
	uint8_t c = tty.buf[i];
	if (c == '\t') {
		/* the columns from the line's start to here decide where the tab went */
		size_t col = 0;
		for (size_t k = tty.ready; k < i; k++)
			col += tty.buf[k] == '\t' ? 8 - col % 8
			       : (tty.t.c_lflag & T_ECHOCTL) && is_ctl(tty.buf[k]) ? 2
			       : (tty.buf[k] & 0xc0) == 0x80                         ? 0
			                                                            : 1;
		return 8 - col % 8;
	}
	if ((tty.t.c_lflag & T_ECHOCTL) && is_ctl(c))
		return 2;
	return (c & 0xc0) == 0x80 ? 0 : 1;
}

/* Remove the last byte of the line being edited (a whole UTF-8 character with IUTF8),
 * erasing it from the screen as ECHO and ECHOE say. */
static void erase_one(uint8_t erase_char)
{
	if (tty.len == tty.ready)
		return;
	size_t start = tty.len - 1;
	if (tty.t.c_iflag & T_IUTF8)
		while (start > tty.ready && (tty.buf[start] & 0xc0) == 0x80)
			start--;
	size_t width = 0;
	for (size_t i = start; i < tty.len; i++)
		width += echo_width(i);
	tty.len = start;
	if (!(tty.t.c_lflag & T_ECHO))
		return;
	if (tty.t.c_lflag & T_ECHOE) {
		for (size_t i = 0; i < width; i++) {
			out_post('\b');
			out_post(' ');
			out_post('\b');
		}
	} else {
		echo_char(erase_char);
	}
}

/* ---- input ---- */

int signal_send_group(int pgid, int sig);

/* The line being edited becomes ready, `how` marking its last byte. */
static void line_done(uint8_t how)
{
	if (tty.len > tty.ready)
		tty.delim[tty.len - 1] = how;
	tty.ready = tty.len;
}

static bool put(uint8_t c)
{
	if (tty.len >= TTY_BUF - 1)
		return false; /* full: as Linux, the rest of an overlong line is dropped */
	tty.delim[tty.len] = 0;
	tty.buf[tty.len++] = c;
	return true;
}

/* One input byte through the line discipline. (Unused in a shim without the console
 * service, which has no input.) */
__attribute__((unused)) static void receive(uint8_t c)
{
	const struct linux_termios *t = &tty.t;
	uint32_t lf = t->c_lflag;
	if (t->c_iflag & T_ISTRIP)
		c &= 0x7f;
	if (tty.lnext) {
		/* after ^V: the byte itself, whatever it is */
		tty.lnext = false;
		if ((lf & T_ECHO) && (lf & T_ICANON)) {
			out_post('\b');
			out_post('\b');
		}
		if (put(c) && (lf & T_ECHO))
			echo_char(c);
		if (!(lf & T_ICANON))
			tty.ready = tty.len;
		return;
	}
	if (c == '\r') {
		if (t->c_iflag & T_IGNCR)
			return;
		if (t->c_iflag & T_ICRNL)
			c = '\n';
	} else if (c == '\n' && (t->c_iflag & T_INLCR)) {
		c = '\r';
	}
	if (lf & T_ISIG) {
		int sig = 0;
		if (c != 0 && c == t->c_cc[VINTR])
			sig = SIGINT;
		else if (c != 0 && c == t->c_cc[VQUIT])
			sig = SIGQUIT;
		else if (c != 0 && c == t->c_cc[VSUSP])
			sig = SIGTSTP;
		if (sig) {
			if (!(lf & T_NOFLSH))
				tty.len = tty.ready = 0;
			if (lf & T_ECHO)
				echo_char(c);
			out_flush();
			if (tty.pgrp > 0)
				signal_send_group(tty.pgrp, sig);
			return;
		}
	}
	if ((t->c_iflag & T_IXON) && c != 0 && (c == t->c_cc[VSTART] || c == t->c_cc[VSTOP]))
		return; /* flow control characters: taken, output is never held (docs) */
	if (!(lf & T_ICANON)) {
		if (put(c)) {
			tty.ready = tty.len;
			if (lf & T_ECHO)
				echo_char(c);
		}
		return;
	}
	/* canonical mode: line editing */
	if (c != 0 && (c == t->c_cc[VERASE] || c == '\b')) {
		erase_one(c);
		return;
	}
	if (c != 0 && c == t->c_cc[VKILL]) {
		if ((lf & T_ECHO) && (lf & T_ECHOK) && !((lf & T_ECHOKE) && (lf & T_ECHOE))) {
			echo_char(c);
			out_post('\n');
			tty.len = tty.ready;
			return;
		}
		while (tty.len > tty.ready)
			erase_one(c);
		return;
	}
	if ((lf & T_IEXTEN) && c != 0 && c == t->c_cc[VWERASE]) {
		while (tty.len > tty.ready && (tty.buf[tty.len - 1] == ' ' || tty.buf[tty.len - 1] == '\t'))
			erase_one(c);
		while (tty.len > tty.ready && tty.buf[tty.len - 1] != ' ' && tty.buf[tty.len - 1] != '\t')
			erase_one(c);
		return;
	}
	if ((lf & T_IEXTEN) && c != 0 && c == t->c_cc[VLNEXT]) {
		tty.lnext = true;
		if (lf & T_ECHO) {
			out_post('^');
			out_post('\b');
		}
		return;
	}
	if ((lf & T_IEXTEN) && c != 0 && c == t->c_cc[VREPRINT]) {
		if (lf & T_ECHO) {
			echo_char(c);
			out_post('\n');
			for (size_t i = tty.ready; i < tty.len; i++)
				echo_char(tty.buf[i]);
		}
		return;
	}
	if (c != 0 && c == t->c_cc[VEOF]) {
		/* the line so far is ready without the ^D; alone, a read of 0 (end of file) */
		if (put(c))
			line_done(DELIM_EOF);
		return;
	}
	bool eol = c == '\n' || (c != 0 && (c == t->c_cc[VEOL] || c == t->c_cc[VEOL2]));
	if (eol) {
		/* a full line still takes its newline: the reader must be able to end it */
		if (tty.len >= TTY_BUF - 1)
			tty.len = TTY_BUF - 2;
		put(c);
		if ((lf & T_ECHO) || (c == '\n' && (lf & T_ECHONL)))
			echo_char(c);
		line_done(DELIM_LINE);
		return;
	}
	if (put(c) && (lf & T_ECHO))
		echo_char(c);
}

/* Take console input while it fits; run each byte through the line discipline. */
static void pull(void)
{
#ifdef CAP_TTY
	if (!tty.input)
		return;
	while (TTY_BUF - tty.len > TTY_READ_ROOM) {
		uint8_t bytes[CONSOLE_READ_DATA_MAX];
		size_t n = 0;
		if (console_read(CAP_TTY, bytes, &n) != M6_OK || n == 0)
			break;
		for (size_t i = 0; i < n; i++)
			receive(bytes[i]);
	}
	out_flush();
#endif
}

void tty_input(void)
{
	pull();
}

/* ---- reading ---- */

/* Whether p may read now: a process of the terminal's session outside its foreground
 * group may not (SIGTTIN with signals; -EIO without, as Linux answers a reader that
 * ignores SIGTTIN). */
static int64_t background_check(struct proc *p)
{
	if (tty.sid == 0 || p->sid != tty.sid || tty.pgrp <= 0 || p->pgid == tty.pgrp)
		return 0;
#ifdef LINUX_HAVE_SIGNALS
	signal_send_group(p->pgid, SIGTTIN);
	return -L_EINTR;
#else
	return -L_EIO;
#endif
}

/* Bytes a read may return now (canonical: up to and with the first line's end). */
static size_t readable(void)
{
	return tty.ready;
}

/* Drop the first n bytes of the buffer. */
static void consume(size_t n)
{
	memmove(tty.buf, tty.buf + n, tty.len - n);
	memmove(tty.delim, tty.delim + n, tty.len - n);
	tty.len -= n;
	tty.ready -= n;
}

int64_t tty_read(struct proc *p, struct ofd *f, uint64_t buf, uint64_t n)
{
	(void)f;
	int64_t bg = background_check(p);
	if (bg)
		return bg;
	if (!tty.input)
		return 0; /* the debug console: nothing to read, end of file */
	if (n == 0)
		return 0;
	size_t avail = readable();
	int64_t r;
	if (tty.t.c_lflag & T_ICANON) {
		if (avail == 0)
			return -LINUX_EAGAIN;
		size_t end = 0, take;
		while (end < avail && tty.delim[end] == 0)
			end++;
		if (end == avail) {
			take = avail; /* bytes made ready by leaving raw mode: no line end */
		} else {
			/* through the newline; an EOF character is consumed, not returned */
			take = tty.delim[end] == DELIM_EOF ? end : end + 1;
		}
		if (take > n)
			take = (size_t)n;
		int e = take ? mem_copy_out(p, buf, tty.buf, take) : 0;
		if (e)
			return e;
		if (end < avail && tty.delim[end] == DELIM_EOF && take == end)
			consume(take + 1);
		else
			consume(take);
		r = (int64_t)take;
	} else {
		uint8_t vmin = tty.t.c_cc[VMIN], vtime = tty.t.c_cc[VTIME];
		if (avail == 0)
			return vmin == 0 && vtime == 0 ? 0 : -LINUX_EAGAIN;
		/* VMIN > 0, VTIME 0: wait for VMIN bytes (or as many as asked for). With VTIME
		 * too, what has come is returned once one byte is there (no inter-byte timer). */
		if (vmin > 0 && vtime == 0 && avail < vmin && avail < n)
			return -LINUX_EAGAIN;
		size_t take = avail < n ? avail : (size_t)n;
		int e = mem_copy_out(p, buf, tty.buf, take);
		if (e)
			return e;
		consume(take);
		r = (int64_t)take;
	}
	pull(); /* room again: what the console held back comes now */
	return r;
}

static int64_t retry_read(struct blocked *b)
{
	struct ofd *f = fd_get(b->p, (int64_t)b->arg[0]);
	if (!f)
		return -LINUX_EBADF;
	if (f->kind != OFD_CONSOLE)
		return -LINUX_EBADF; /* the descriptor was closed and reused */
	int64_t r = tty_read(b->p, f, b->arg[1], b->arg[2]);
	return r == -LINUX_EAGAIN && !(f->flags & L_O_NONBLOCK) ? LINUX_PARKED : r;
}

int64_t tty_sys_read(struct proc *p, const uint64_t a[6])
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	if ((f->flags & L_O_ACCMODE) == L_O_WRONLY || (f->flags & L_O_PATH))
		return -LINUX_EBADF;
	int64_t r = tty_read(p, f, a[1], a[2]);
	if (r != -LINUX_EAGAIN || (f->flags & L_O_NONBLOCK))
		return r;
	/* VMIN 0 with VTIME: the wait ends with 0 bytes after VTIME tenths of a second */
	uint64_t deadline = 0;
	if (!(tty.t.c_lflag & T_ICANON) && tty.t.c_cc[VMIN] == 0 && tty.t.c_cc[VTIME] > 0)
		deadline = block_deadline_in((uint64_t)tty.t.c_cc[VTIME] * 100000000u);
	struct blocked *b = block_park(retry_read, deadline, 0);
	if (!b)
		return -LINUX_EAGAIN;
	memcpy(b->arg, a, sizeof(b->arg));
	return LINUX_PARKED;
}

uint32_t tty_poll(struct proc *p)
{
	uint32_t ready = L_POLLOUT;
	if (!tty.input || readable() > 0 || background_check(p) != 0)
		ready |= L_POLLIN; /* a read would not wait (end of file, data, or an error) */
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
	tty.sid = p->sid;
	tty.pgrp = p->pgid;
}

void tty_proc_gone(struct proc *p)
{
	if (tty.sid != 0 && p->pid == tty.sid) {
		tty.sid = 0;
		tty.pgrp = 0;
		tty.lnext = false;
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

static void set_termios(const struct linux_termios *t)
{
	bool was_canon = (tty.t.c_lflag & T_ICANON) != 0;
	tty.t = *t;
	if (was_canon && !(t->c_lflag & T_ICANON)) {
		/* leaving canonical mode: the line being edited is ready as it is */
		memset(tty.delim, 0, tty.len);
		tty.ready = tty.len;
	}
}

int64_t tty_ioctl(struct proc *p, struct ofd *f, uint64_t request, uint64_t arg)
{
	(void)f;
	bool ctty = tty.sid != 0 && p->sid == tty.sid;
	switch ((uint32_t)request) {
	case TCGETS:
		return mem_copy_out(p, arg, &tty.t, sizeof(tty.t));
	case TCSETS:
	case TCSETSW: /* output is written before write(2) returns: nothing to drain */
	case TCSETSF: {
		struct linux_termios t;
		int e = mem_copy_in(p, &t, arg, sizeof(t));
		if (e)
			return e;
		if ((uint32_t)request == TCSETSF)
			tty.len = tty.ready = 0;
		set_termios(&t);
		return 0;
	}
	case TIOCGWINSZ:
		return mem_copy_out(p, arg, &tty.ws, sizeof(tty.ws));
	case TIOCSWINSZ: {
		struct winsize_k ws;
		int e = mem_copy_in(p, &ws, arg, sizeof(ws));
		if (e)
			return e;
		tty.ws = ws; /* SIGWINCH to the foreground group comes with signals */
		return 0;
	}
	case FIONREAD: {
		int32_t n = (int32_t)readable();
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
			tty.len = tty.ready = 0;
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
	static const uint8_t cc[TTY_NCCS] = {
	    [VINTR] = 0x03,  [VQUIT] = 0x1c,  [VERASE] = 0x7f,   [VKILL] = 0x15,
	    [VEOF] = 0x04,   [VTIME] = 0,     [VMIN] = 1,        [VSTART] = 0x11,
	    [VSTOP] = 0x13,  [VSUSP] = 0x1a,  [VEOL] = 0,        [VREPRINT] = 0x12,
	    [13] = 0x0f,     [VWERASE] = 0x17, [VLNEXT] = 0x16,  [VEOL2] = 0,
	};
	memset(&tty, 0, sizeof(tty));
	tty.t.c_iflag = T_ICRNL | T_IXON | T_IUTF8;
	tty.t.c_oflag = T_OPOST | T_ONLCR;
	tty.t.c_cflag = T_CFLAG_DEFAULT;
	tty.t.c_lflag = T_ISIG | T_ICANON | T_ECHO | T_ECHOE | T_ECHOK | T_ECHOCTL | T_ECHOKE |
	                T_IEXTEN;
	memcpy(tty.t.c_cc, cc, sizeof(cc));
	tty.ws = (struct winsize_k){.rows = 24, .cols = 80};
#ifdef CAP_TTY
	tty.input = input;
	if (input && claim) {
		bool granted = false;
		console_claim_input(CAP_TTY, &granted);
		tty.input = granted;
	}
#else
	(void)input;
	(void)claim;
#endif
}

/* ---- the stand-in for signals ---- */

#ifndef LINUX_HAVE_SIGNALS
/* TEMPORARY, until the signals work is merged (it provides signal_send_group): every
 * process of the group ends as if killed by `sig`, since no handler can catch it yet. A
 * SIGTSTP stops nothing: it kills too, which is what an uncaught SIGTSTP cannot do on
 * Linux, so ^Z is ignored here instead. */
int signal_send_group(int pgid, int sig)
{
	if (sig == SIGTSTP)
		return 0;
	int n = 0;
	for (unsigned i = 0; i < LINUX_MAX_PROCS; i++) {
		struct proc *q = &procs[i];
		if (q->used && !q->zombie && q->pgid == pgid) {
			proc_end_signal(q, sig);
			n++;
		}
	}
	return n ? 0 : -L_ESRCH;
}
#endif
