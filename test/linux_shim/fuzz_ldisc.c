/* fuzz_ldisc: libFuzzer harness of the Linux shim's line discipline
 * (components/services/linux/ldisc.c), the parser of what a user types.
 *
 * The input is a script: its first 8 bytes choose the settings (c_iflag, c_lflag bits,
 * VMIN, VTIME), then each byte is typed, except that 0xfe N reads up to N bytes and 0xff
 * M switches the settings by mask M. After every step: the buffer's bounds hold, a read
 * returns at most what was asked and never more than one line in canonical mode, and the
 * output stays bounded (a byte typed echoes a handful of bytes at most). Separately, in
 * raw mode with no input processing, echo or signals, what comes out of reads is exactly
 * what was typed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldisc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t echoed;
static int signals;

static void out(void *ctx, char c)
{
	(void)ctx;
	(void)c;
	echoed++;
}

static void on_signal(void *ctx, int sig)
{
	(void)ctx;
	if (sig != LDISC_SIGINT && sig != LDISC_SIGQUIT && sig != LDISC_SIGTSTP)
		abort();
	signals++;
}

static void check(const struct ldisc *l)
{
	if (l->ready > l->len || l->len > LDISC_BUF - 1)
		abort();
	for (size_t i = l->ready; i < l->len; i++)
		if (l->delim[i] != 0 && (l->t.c_lflag & T_ICANON))
			abort(); /* the line being edited has no end yet */
}

static const uint32_t iflags[] = {T_ISTRIP, T_INLCR, T_IGNCR, T_ICRNL, T_IXON, T_IUTF8};
static const uint32_t lflags[] = {T_ISIG,   T_ICANON, T_ECHO,    T_ECHOE,  T_ECHOK,
                                  T_ECHONL, T_NOFLSH, T_ECHOCTL, T_ECHOKE, T_IEXTEN};

static void settings(struct ldisc *l, const uint8_t *s)
{
	struct linux_termios t = l->t;
	t.c_iflag = 0;
	t.c_lflag = 0;
	for (unsigned i = 0; i < sizeof(iflags) / sizeof(iflags[0]); i++)
		if (s[0] & (1u << i))
			t.c_iflag |= iflags[i];
	for (unsigned i = 0; i < sizeof(lflags) / sizeof(lflags[0]); i++)
		if (((unsigned)s[1] | (unsigned)s[2] << 8) & (1u << i))
			t.c_lflag |= lflags[i];
	t.c_oflag = (s[3] & 1) ? (T_OPOST | T_ONLCR | ((s[3] & 2) ? T_OCRNL : 0)) : 0;
	t.c_cc[VMIN] = s[4] % 8;
	t.c_cc[VTIME] = s[5] % 4;
	if (s[6] & 1)
		t.c_cc[VEOL] = s[7]; /* an EOL character of the input's choice */
	ldisc_set_termios(l, &t);
}

static struct ldisc l;

/* Raw mode, nothing processed: reads give back exactly the typed bytes. */
static void identity(const uint8_t *data, size_t size)
{
	ldisc_init(&l);
	l.out = out;
	l.signal = on_signal;
	struct linux_termios t = l.t;
	t.c_iflag = 0;
	t.c_lflag = 0;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	ldisc_set_termios(&l, &t);
	static uint8_t got[LDISC_BUF];
	size_t n = size < LDISC_BUF - 1 ? size : LDISC_BUF - 1;
	for (size_t i = 0; i < n; i++)
		ldisc_receive(&l, data[i]);
	size_t total = 0;
	for (;;) {
		long r = ldisc_read(&l, got + total, 7);
		if (r == LDISC_WAIT)
			break;
		if (r <= 0 || r > 7)
			abort();
		total += (size_t)r;
	}
	if (total != n || memcmp(got, data, n) != 0 || echoed != 0 || signals != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	echoed = 0;
	signals = 0;
	identity(data, size);
	if (size < 8)
		return 0;
	ldisc_init(&l);
	l.out = out;
	l.signal = on_signal;
	l.device_crlf = data[3] & 4;
	settings(&l, data);
	uint8_t buf[300];
	for (size_t i = 8; i < size; i++) {
		size_t before = echoed;
		if (data[i] == 0xfe && i + 1 < size) {
			size_t want = data[++i];
			bool canon = (l.t.c_lflag & T_ICANON) != 0;
			size_t first_end = 0;
			while (first_end < l.ready && l.delim[first_end] == 0)
				first_end++;
			size_t ready = l.ready;
			long r = ldisc_read(&l, buf, want);
			if (r == LDISC_WAIT) {
				if (want == 0 || (canon && ready > 0))
					abort(); /* a canonical read with a line ready returns */
			} else if (r < 0 || (size_t)r > want || (size_t)r > ready) {
				abort();
			} else if (canon && first_end < ready && (size_t)r > first_end + 1) {
				abort(); /* past the first line's end */
			}
		} else if (data[i] == 0xff && i + 8 < size) {
			settings(&l, data + i + 1);
			i += 8;
		} else {
			ldisc_receive(&l, data[i]);
			/* erasing a tab or a whole UTF-8 character echoes several "\b \b"s, a
			 * kill or reprint a line's worth: never more than the line holds */
			if (echoed - before > 8 * 3 * (l.len + 8) + 3 * LDISC_BUF)
				abort();
		}
		check(&l);
	}
	return 0;
}
