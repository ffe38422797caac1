/* The console service: many clients print, one reads.
 *
 * Output is buffered per client (the badge of its cap tells clients apart) and printed a
 * whole line at a time, so lines of different components never interleave. A client may
 * flush a partial line (a prompt, an echoed key); if another client's line comes while
 * such a partial line is on screen, the console ends the screen line, prints the other
 * line, and puts the partial line back. Input goes to the foreground client: the console
 * signals its notification when bytes arrive, and the client reads them.
 *
 * The console is also the serial driver's fault handler: a fault of the driver arrives on
 * the console's endpoint with the badge the spec gives it. The console then stops the
 * driver and carries on through the kernel debug console (output only). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/ipc.h>
#include <m6/ring.h>
#include <m6_caps.h>

#include "console_idl.h"
#include "serial_idl.h"

#define MAX_CLIENTS        8      /* badges 1..8 */
#define DRIVER_FAULT_BADGE 0xfa17 /* the `fault console.console badge ...` of the driver */
#define LINE_BYTES         512

struct client {
	char line[LINE_BYTES];
	size_t len;
};

static struct client clients[MAX_CLIENTS + 1];
static uint64_t foreground;    /* badge of the client that gets input, 0: none */
static uint64_t on_screen;     /* badge whose partial line is on screen, 0: none */
static char shown[LINE_BYTES]; /* that partial line, as printed */
static size_t shown_len;
static struct m6_ring input;
static bool driver_dead;

static void out(const char *s, size_t n)
{
	if (driver_dead) {
		m6_debug_write(CAP_DEBUG_CONSOLE, s, n);
		return;
	}
	while (n > 0) {
		size_t chunk = n < SERIAL_WRITE_DATA_MAX ? n : SERIAL_WRITE_DATA_MAX;
		uint32_t taken = 0;
		if (serial_write(CAP_SERIAL, s, chunk, &taken) != M6_OK || taken == 0)
			return;
		s += taken;
		n -= taken;
	}
}

/* Print text with "\n" as "\r\n" (a raw serial terminal needs both). */
static void out_text(const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			out(s + start, i - start);
			out("\r\n", 2);
			start = i + 1;
		}
	}
	out(s + start, n - start);
}

static void show(const char *s, size_t n, bool append)
{
	if (!append)
		shown_len = 0;
	if (n > sizeof(shown) - shown_len)
		n = sizeof(shown) - shown_len;
	memcpy(shown + shown_len, s, n);
	shown_len += n;
}

/* Print the whole lines of client `badge`; with `flush`, its partial line too. */
static void print_client(uint64_t badge, bool flush)
{
	struct client *c = &clients[badge];
	size_t n = c->len;
	if (!flush)
		while (n > 0 && c->line[n - 1] != '\n')
			n--;
	if (n == 0)
		return;
	uint64_t owner = on_screen;
	bool interrupted = owner && owner != badge;
	if (interrupted)
		out("\r\n", 2); /* end the other client's partial line */
	out_text(c->line, n);
	size_t nl = n; /* bytes up to and including the last newline printed */
	while (nl > 0 && c->line[nl - 1] != '\n')
		nl--;
	if (n > nl) {
		/* this client leaves a partial line on screen */
		show(c->line + nl, n - nl, nl == 0 && owner == badge);
		on_screen = badge;
	} else if (interrupted) {
		out_text(shown, shown_len); /* put the interrupted partial line back */
	} else {
		on_screen = 0;
		shown_len = 0;
	}
	memmove(c->line, c->line + n, c->len - n);
	c->len -= n;
}

static uint64_t write_op(void *ctx, uint64_t badge, const void *text, size_t len, uint32_t flush)
{
	(void)ctx;
	if (badge == 0 || badge > MAX_CLIENTS)
		return M6_ERR_INVALID_ARGUMENT;
	struct client *c = &clients[badge];
	const char *s = text;
	while (len > 0) {
		size_t room = LINE_BYTES - c->len;
		size_t n = len < room ? len : room;
		memcpy(c->line + c->len, s, n);
		c->len += n;
		s += n;
		len -= n;
		/* A line longer than the buffer goes out in pieces. */
		print_client(badge, c->len == LINE_BYTES || (flush && len == 0));
	}
	if (flush)
		print_client(badge, true);
	return M6_OK;
}

static uint64_t read_op(void *ctx, uint64_t badge, void *data, size_t *len)
{
	(void)ctx;
	*len = badge == foreground ? m6_ring_get(&input, data, CONSOLE_READ_DATA_MAX) : 0;
	return M6_OK;
}

static uint64_t claim_input_op(void *ctx, uint64_t badge, bool *granted)
{
	(void)ctx;
	if (foreground == 0)
		foreground = badge;
	*granted = foreground == badge;
	return M6_OK;
}

static const struct console_ops ops = {
    .write = write_op,
    .read = read_op,
    .claim_input = claim_input_op,
};

static void driver_fault(struct m6_msg *m)
{
	char num[24];
	driver_dead = true;
	m6_debug_puts(CAP_DEBUG_CONSOLE, "\r\nconsole: the serial driver faulted at pc 0x");
	m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, m->mr[0], 1));
	m6_debug_puts(CAP_DEBUG_CONSOLE, " (fault ");
	m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, m6_msginfo_label(m->info), 0));
	m6_debug_puts(CAP_DEBUG_CONSOLE, ", address 0x");
	m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, m->mr[1], 1));
	m6_debug_puts(CAP_DEBUG_CONSOLE, "); it stays stopped, output continues on the kernel "
	                                 "debug console, input is gone\n");
	m->info = m6_msginfo(M6_FAULT_REPLY_STOP, 0);
}

static int on_request(void *ctx, struct m6_msg *m)
{
	if (m->badge == DRIVER_FAULT_BADGE) {
		driver_fault(m);
		return 0;
	}
	console_dispatch(&ops, ctx, m);
	return 0;
}

static void on_input(void *ctx, uint64_t word)
{
	(void)ctx;
	(void)word;
	if (driver_dead)
		return;
	uint8_t bytes[SERIAL_READ_DATA_MAX];
	size_t n = 0;
	if (serial_read(CAP_SERIAL, bytes, &n) != M6_OK || n == 0)
		return;
	m6_ring_put(&input, bytes, n);
	if (foreground)
		m6_signal(CAP_FOREGROUND);
}

int main(void)
{
	m6_tcb_bind_notification(M6_CAP_SELF_TCB, CAP_RX);
	m6_serve(CAP_CONSOLE, on_request, on_input, NULL);
}
