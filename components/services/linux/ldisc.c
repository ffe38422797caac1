/* The terminal's line discipline (ldisc.h): plain C11, fuzzed on the host
 * (test/linux_shim/fuzz_ldisc.c). Its state is one struct ldisc; bytes typed go in through
 * ldisc_receive, reads take them out through ldisc_read, and everything shown (echo,
 * program output through ldisc_output) leaves through the `out` callback. */
#include <string.h>

#include "ldisc.h"

/* One byte of output through OPOST: ONLCR "\n" -> "\r\n", OCRNL "\r" -> "\n". The kernel's
 * debug console (the shim without a console service) adds the "\r" itself. */
void ldisc_output(struct ldisc *l, char c)
{
	uint32_t of = l->t.c_oflag;
	if ((of & T_OPOST) && (of & T_ONLCR) && c == '\n' && !l->device_crlf)
		l->out(l->ctx, '\r');
	if ((of & T_OPOST) && (of & T_OCRNL) && c == '\r')
		c = '\n';
	l->out(l->ctx, c);
	if (c == '\n' || c == '\r')
		l->column = 0;
	else if (c == '\b')
		l->column = l->column ? l->column - 1 : 0;
	else if (c == '\t')
		l->column = (l->column | 7) + 1;
	else if ((unsigned char)c >= 0x20 && (unsigned char)c != 0x7f &&
	         ((unsigned char)c & 0xc0) != 0x80)
		l->column++;
}

/* ---- echo ---- */

static bool is_ctl(uint8_t c)
{
	return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
}

/* Echo c as typed: a control character as ^X with ECHOCTL. */
static void echo_char(struct ldisc *l, uint8_t c)
{
	if ((l->t.c_lflag & T_ECHOCTL) && is_ctl(c)) {
		ldisc_output(l, '^');
		ldisc_output(l, (char)(c ^ 0x40));
	} else {
		ldisc_output(l, (char)c);
	}
}

/* How many columns the echo of byte i of the line took. */
static size_t echo_width(const struct ldisc *l, size_t i)
{
	uint8_t c = l->buf[i];
	if (c == '\t') {
		/* the columns from the line's start to here decide where the tab went */
		size_t col = 0;
		for (size_t k = l->ready; k < i; k++)
			col += l->buf[k] == '\t'                                 ? 8 - col % 8
			       : (l->t.c_lflag & T_ECHOCTL) && is_ctl(l->buf[k]) ? 2
			       : (l->buf[k] & 0xc0) == 0x80                      ? 0
			                                                         : 1;
		return 8 - col % 8;
	}
	if ((l->t.c_lflag & T_ECHOCTL) && is_ctl(c))
		return 2;
	return (c & 0xc0) == 0x80 ? 0 : 1;
}

/* Remove the last byte of the line being edited (a whole UTF-8 character with IUTF8),
 * erasing it from the screen as ECHO and ECHOE say. */
static void erase_one(struct ldisc *l, uint8_t erase_char)
{
	if (l->len == l->ready)
		return;
	size_t start = l->len - 1;
	if (l->t.c_iflag & T_IUTF8)
		while (start > l->ready && (l->buf[start] & 0xc0) == 0x80)
			start--;
	size_t width = 0;
	for (size_t i = start; i < l->len; i++)
		width += echo_width(l, i);
	l->len = start;
	if (!(l->t.c_lflag & T_ECHO))
		return;
	if (l->t.c_lflag & T_ECHOE) {
		for (size_t i = 0; i < width; i++) {
			ldisc_output(l, '\b');
			ldisc_output(l, ' ');
			ldisc_output(l, '\b');
		}
	} else {
		echo_char(l, erase_char);
	}
}

/* ---- input ---- */

/* The line being edited becomes ready, `how` marking its last byte. */
static void line_done(struct ldisc *l, uint8_t how)
{
	if (l->len > l->ready)
		l->delim[l->len - 1] = how;
	l->ready = l->len;
}

static bool put(struct ldisc *l, uint8_t c)
{
	if (l->len >= LDISC_BUF - 1)
		return false; /* full: as Linux, the rest of an overlong line is dropped */
	l->delim[l->len] = 0;
	l->buf[l->len++] = c;
	return true;
}

void ldisc_receive(struct ldisc *l, uint8_t c)
{
	const struct linux_termios *t = &l->t;
	uint32_t lf = t->c_lflag;
	if (t->c_iflag & T_ISTRIP)
		c &= 0x7f;
	if (l->lnext) {
		/* after ^V: the byte itself, whatever it is */
		l->lnext = false;
		if ((lf & T_ECHO) && (lf & T_ICANON)) {
			ldisc_output(l, '\b');
			ldisc_output(l, '\b');
		}
		if (put(l, c) && (lf & T_ECHO))
			echo_char(l, c);
		if (!(lf & T_ICANON))
			l->ready = l->len;
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
			sig = LDISC_SIGINT;
		else if (c != 0 && c == t->c_cc[VQUIT])
			sig = LDISC_SIGQUIT;
		else if (c != 0 && c == t->c_cc[VSUSP])
			sig = LDISC_SIGTSTP;
		if (sig) {
			if (!(lf & T_NOFLSH))
				l->len = l->ready = 0;
			if (lf & T_ECHO)
				echo_char(l, c);
			l->signal(l->ctx, sig);
			return;
		}
	}
	if ((t->c_iflag & T_IXON) && c != 0 && (c == t->c_cc[VSTART] || c == t->c_cc[VSTOP]))
		return; /* flow control characters: taken, output is never held (docs) */
	if (!(lf & T_ICANON)) {
		if (put(l, c)) {
			l->ready = l->len;
			if (lf & T_ECHO)
				echo_char(l, c);
		}
		return;
	}
	/* canonical mode: line editing */
	if (c != 0 && (c == t->c_cc[VERASE] || c == '\b')) {
		erase_one(l, c);
		return;
	}
	if (c != 0 && c == t->c_cc[VKILL]) {
		if ((lf & T_ECHO) && (lf & T_ECHOK) && !((lf & T_ECHOKE) && (lf & T_ECHOE))) {
			echo_char(l, c);
			ldisc_output(l, '\n');
			l->len = l->ready;
			return;
		}
		while (l->len > l->ready)
			erase_one(l, c);
		return;
	}
	if ((lf & T_IEXTEN) && c != 0 && c == t->c_cc[VWERASE]) {
		while (l->len > l->ready &&
		       (l->buf[l->len - 1] == ' ' || l->buf[l->len - 1] == '\t'))
			erase_one(l, c);
		while (l->len > l->ready && l->buf[l->len - 1] != ' ' && l->buf[l->len - 1] != '\t')
			erase_one(l, c);
		return;
	}
	if ((lf & T_IEXTEN) && c != 0 && c == t->c_cc[VLNEXT]) {
		l->lnext = true;
		if (lf & T_ECHO) {
			ldisc_output(l, '^');
			ldisc_output(l, '\b');
		}
		return;
	}
	if ((lf & T_IEXTEN) && c != 0 && c == t->c_cc[VREPRINT]) {
		if (lf & T_ECHO) {
			echo_char(l, c);
			ldisc_output(l, '\n');
			for (size_t i = l->ready; i < l->len; i++)
				echo_char(l, l->buf[i]);
		}
		return;
	}
	if (c != 0 && c == t->c_cc[VEOF]) {
		/* the line so far is ready without the ^D; alone, a read of 0 (end of file) */
		if (put(l, c))
			line_done(l, LDISC_DELIM_EOF);
		return;
	}
	bool eol = c == '\n' || (c != 0 && (c == t->c_cc[VEOL] || c == t->c_cc[VEOL2]));
	if (eol) {
		/* a full line still takes its newline: the reader must be able to end it */
		if (l->len >= LDISC_BUF - 1)
			l->len = LDISC_BUF - 2;
		put(l, c);
		if ((lf & T_ECHO) || (c == '\n' && (lf & T_ECHONL)))
			echo_char(l, c);
		line_done(l, LDISC_DELIM_LINE);
		return;
	}
	if (put(l, c) && (lf & T_ECHO))
		echo_char(l, c);
}

/* ---- settings ---- */

void ldisc_default_termios(struct linux_termios *t)
{
	static const uint8_t cc[LDISC_NCCS] = {
	    [VINTR] = 0x03,    [VQUIT] = 0x1c,   [VERASE] = 0x7f, [VKILL] = 0x15,
	    [VEOF] = 0x04,     [VTIME] = 0,      [VMIN] = 1,      [VSTART] = 0x11,
	    [VSTOP] = 0x13,    [VSUSP] = 0x1a,   [VEOL] = 0,      [VREPRINT] = 0x12,
	    [VDISCARD] = 0x0f, [VWERASE] = 0x17, [VLNEXT] = 0x16, [VEOL2] = 0,
	};
	memset(t, 0, sizeof(*t));
	t->c_iflag = T_ICRNL | T_IXON | T_IUTF8;
	t->c_oflag = T_OPOST | T_ONLCR;
	t->c_cflag = T_CFLAG_DEFAULT;
	t->c_lflag =
	    T_ISIG | T_ICANON | T_ECHO | T_ECHOE | T_ECHOK | T_ECHOCTL | T_ECHOKE | T_IEXTEN;
	memcpy(t->c_cc, cc, sizeof(cc));
}

void ldisc_init(struct ldisc *l)
{
	ldisc_default_termios(&l->t);
	l->len = l->ready = 0;
	l->lnext = false;
	l->column = 0;
}

void ldisc_set_termios(struct ldisc *l, const struct linux_termios *t)
{
	bool was_canon = (l->t.c_lflag & T_ICANON) != 0;
	l->t = *t;
	if (was_canon && !(t->c_lflag & T_ICANON)) {
		/* leaving canonical mode: the line being edited is ready as it is */
		memset(l->delim, 0, l->len);
		l->ready = l->len;
		l->lnext = false;
	}
}

void ldisc_flush_input(struct ldisc *l)
{
	l->len = l->ready = 0;
	l->lnext = false;
}

/* ---- reading ---- */

size_t ldisc_readable(const struct ldisc *l)
{
	return l->ready;
}

bool ldisc_read_ready(const struct ldisc *l)
{
	if (l->t.c_lflag & T_ICANON)
		return l->ready > 0;
	/* VMIN 0: a read never waits; otherwise once a byte is there */
	return l->ready > 0 || (l->t.c_cc[VMIN] == 0 && l->t.c_cc[VTIME] == 0);
}

/* Drop the first n bytes of the buffer. */
static void consume(struct ldisc *l, size_t n)
{
	memmove(l->buf, l->buf + n, l->len - n);
	memmove(l->delim, l->delim + n, l->len - n);
	l->len -= n;
	l->ready -= n;
}

long ldisc_read(struct ldisc *l, uint8_t *dst, size_t n)
{
	size_t avail = l->ready;
	if (n == 0)
		return 0;
	if (l->t.c_lflag & T_ICANON) {
		if (avail == 0)
			return LDISC_WAIT;
		size_t end = 0;
		while (end < avail && l->delim[end] == 0)
			end++;
		/* through the newline; an EOF character is consumed, not returned. Bytes made
		 * ready by leaving raw mode have no line end: all of them. */
		size_t take = end == avail                       ? avail
		              : l->delim[end] == LDISC_DELIM_EOF ? end
		                                                 : end + 1;
		if (take > n)
			take = n;
		memcpy(dst, l->buf, take);
		if (end < avail && l->delim[end] == LDISC_DELIM_EOF && take == end)
			consume(l, take + 1);
		else
			consume(l, take);
		return (long)take;
	}
	uint8_t vmin = l->t.c_cc[VMIN], vtime = l->t.c_cc[VTIME];
	if (avail == 0)
		return vmin == 0 && vtime == 0 ? 0 : LDISC_WAIT;
	/* VMIN > 0, VTIME 0: wait for VMIN bytes (or as many as asked for). With VTIME too,
	 * what has come is returned once one byte is there (no inter-byte timer). */
	if (vmin > 0 && vtime == 0 && avail < vmin && avail < n)
		return LDISC_WAIT;
	size_t take = avail < n ? avail : n;
	memcpy(dst, l->buf, take);
	consume(l, take);
	return (long)take;
}
