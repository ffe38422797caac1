/* The terminal's line discipline (docs/linux.md, "Terminal"), plain C11 with no m6 calls
 * so that the host can fuzz it (test/linux_shim/fuzz_ldisc.c): what typed bytes become
 * (canonical line editing, echo, the signal characters, raw and cbreak modes), what a read
 * returns, and the output processing (OPOST). tty.c puts it on the console. */
#ifndef LINUX_LDISC_H
#define LINUX_LDISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Linux's struct termios as TCGETS/TCSETS move it (asm-generic, 36 bytes). */
#define LDISC_NCCS 19
struct linux_termios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[LDISC_NCCS];
};

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
#define VDISCARD 13
#define VWERASE  14
#define VLNEXT   15
#define VEOL2    16

/* Signals the discipline raises (Linux numbers). */
#define LDISC_SIGINT  2
#define LDISC_SIGQUIT 3
#define LDISC_SIGTSTP 20

/* Input held: Linux's N_TTY_BUF_SIZE (a canonical line is one byte shorter, so that its
 * newline always fits). */
#define LDISC_BUF 4096u
/* What ldisc_read answers when it would have to wait. */
#define LDISC_WAIT (-11)

struct ldisc {
	struct linux_termios t;
	/* The bytes a read may return ([0, ready)) and, in canonical mode, the line being
	 * edited ([ready, len)). delim marks a line's last byte: LDISC_DELIM_LINE (a newline
	 * or EOL, returned) or LDISC_DELIM_EOF (the EOF character, never returned). */
	uint8_t buf[LDISC_BUF];
	uint8_t delim[LDISC_BUF];
	size_t len, ready;
	bool lnext;    /* the previous byte was VLNEXT: this one is taken literally */
	size_t column; /* of the output, for erasing a tab */
	/* The device turns "\n" into "\r\n" itself (the kernel's debug console): ONLCR then
	 * adds nothing. */
	bool device_crlf;
	/* Where processed output goes, byte by byte, and who gets the signals. */
	void (*out)(void *ctx, char c);
	void (*signal)(void *ctx, int sig);
	void *ctx;
};

#define LDISC_DELIM_LINE 1
#define LDISC_DELIM_EOF  2

/* Linux's default settings (tty_std_termios, with IUTF8): canonical, echo, signals,
 * ONLCR. */
void ldisc_default_termios(struct linux_termios *t);
/* Those settings, nothing typed (the callbacks are the caller's to set). */
void ldisc_init(struct ldisc *l);
/* One typed byte. */
void ldisc_receive(struct ldisc *l, uint8_t c);
/* One byte of output through OPOST. */
void ldisc_output(struct ldisc *l, char c);
/* New settings (TCSETS); leaving canonical mode makes the line being edited readable. */
void ldisc_set_termios(struct ldisc *l, const struct linux_termios *t);
/* Drop typed input (TCIFLUSH). */
void ldisc_flush_input(struct ldisc *l);
/* Bytes a read may return now. */
size_t ldisc_readable(const struct ldisc *l);
/* Whether a read would return now (data, or a canonical end of file). */
bool ldisc_read_ready(const struct ldisc *l);
/* Take up to n bytes as read(2) would (one line at most in canonical mode; VMIN/VTIME
 * otherwise, without the inter-byte timer): the count, 0 (end of file, or VMIN 0 with
 * nothing), or LDISC_WAIT. Nothing is consumed unless the call returns >= 0. */
long ldisc_read(struct ldisc *l, uint8_t *dst, size_t n);

#endif
