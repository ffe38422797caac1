/* The console service: many clients print, one reads.
 *
 * Output is buffered per client (the badge of its cap tells clients apart) and printed a
 * whole line at a time, so lines of different components never interleave. A client may
 * flush a partial line (a prompt, an echoed key); if another client's line comes while
 * such a partial line is on screen, the console ends the screen line, prints the other
 * line, and puts the partial line back. A line longer than a client's buffer goes out in
 * pieces as they come; meanwhile other clients' text is held, and refused (the client
 * retries) once their buffer is full, so no line is ever split by another. Input goes to
 * the foreground client: the console signals its notification when bytes arrive, and the
 * client reads them. The foreground client may lend its input to the one client the spec
 * names the guest (console.idl, lend_input), and take it back: the shell does so while a
 * Linux program runs on the console.
 *
 * Input has flow control: the console takes from the driver only what fits in its ring,
 * and takes more when the foreground client has read, so a paste waits in the driver and
 * the UART rather than being dropped. Bytes lost all the same (UART overruns, which the
 * driver counts) are reported on the screen.
 *
 * The console is also the serial driver's supervisor (its fault handler): a fault of the
 * driver arrives on the console's endpoint with the badge the spec gives it, and so does
 * the driver's exit() (as an unknown-syscall fault with M6_EXIT_SYSCALL). The console
 * then stops the driver and carries on through the kernel debug console (output only). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <m6/config.h>
#include <m6/debug.h>
#include <m6/fault.h>
#include <m6/invocations.h>
#include <m6/ipc.h>
#include <m6/ring.h>
#include <m6/runtime.h>
#include <m6/time.h>

#include "console_idl.h"
#include "serial_idl.h"

/* Built once, bound per system (console.json names the spec role of each value). */
M6_CONFIG(m6_cptr_t, console_endpoint);   /* endpoint console: clients call here */
M6_CONFIG(m6_cptr_t, console_rx);         /* notification rx: the driver's "bytes wait" */
M6_CONFIG(m6_cptr_t, console_serial);     /* call serial: the serial driver */
M6_CONFIG(m6_cptr_t, console_foreground); /* signal foreground: "input for you" */
M6_CONFIG(m6_cptr_t, console_debug);      /* syscap debug_console: output after a driver fault */
/* The badges the spec gives: clients 1..console_last_client (the compiler refuses more
 * than MAX_CLIENTS, console.json's "max"), and the faults of the driver, 0 if none. */
M6_CONFIG(uint64_t, console_last_client); /* client_badge_max console */
M6_CONFIG(uint64_t, console_fault_badge); /* fault_badge console, optional */
/* The guest the foreground may lend its input to (optional: 0 when the spec names none),
 * and the signal cap of the guest's "input for you" notification. */
M6_CONFIG(uint64_t, console_guest);         /* client_badge console.TTY, optional */
M6_CONFIG(m6_cptr_t, console_guest_signal); /* signal guest, optional */

#define MAX_CLIENTS  8                 /* room for badges 1..8 */
#define SELF         (MAX_CLIENTS + 1) /* the console's own notices, as a client */
#define DRIVER_NAME  "uart"            /* the component that has that fault badge */
#define LINE_BYTES   1024              /* per client: room for lines held while another streams */
#define PROMPT_BYTES 512               /* the longest flushed partial line that can be put back */
#define STALL_NS     1000000000ull     /* a stream nobody continues for 1 s is broken */
/* write's `flush` bits (console.idl) */
#define CONSOLE_FLUSH 1u
#define CONSOLE_RAW   2u

struct client {
	char line[LINE_BYTES];
	size_t len;
	bool flush_wanted; /* it asked for its partial line while held */
	bool raw;          /* its last write asked for no "\n" -> "\r\n" (a terminal's) */
};

static struct client clients[SELF + 1];
static uint64_t foreground; /* badge of the client that owns the input, 0: none */
static bool lent;           /* the foreground lends its input to the guest */
/* The screen: whose partial line it ends with (0: it is at the start of a line). */
static uint64_t screen;
/* That partial line is the start of a line longer than LINE_BYTES, going out in pieces.
 * Other clients' output is held (buffered, then refused with M6_ERR_WOULD_BLOCK) until
 * the line ends: printing it would split the long line, which cannot be put back. */
static bool streaming;
static uint64_t stream_progress_ns; /* when the streaming client last wrote */
/* The last partial line a client flushed (a prompt, an echo): when another client's line
 * interrupts it, it is printed again after that line. */
static uint64_t prompt_owner; /* 0: none */
static char prompt[PROMPT_BYTES];
static size_t prompt_len;
static struct m6_ring input;
static bool driver_dead;
static bool input_waiting;     /* the driver may hold input that did not fit in `input` */
static uint64_t lost_reported; /* the driver's overrun count, as last reported */

static void out(const char *s, size_t n)
{
	if (driver_dead) {
		m6_debug_write(console_debug, s, n);
		return;
	}
	while (n > 0) {
		size_t chunk = n < SERIAL_WRITE_DATA_MAX ? n : SERIAL_WRITE_DATA_MAX;
		uint32_t taken = 0;
		if (serial_write(console_serial, s, chunk, &taken) != M6_OK || taken == 0)
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

/* Bytes of s[0..n) up to and including the last newline (0: none). */
static size_t through_last_newline(const char *s, size_t n)
{
	while (n > 0 && s[n - 1] != '\n')
		n--;
	return n;
}

/* Remember a flushed partial line (or more of it) so it can be put back. */
static void remember_prompt(uint64_t badge, const char *s, size_t n, bool append)
{
	if (!append)
		prompt_len = 0;
	if (n > sizeof(prompt) - prompt_len) {
		prompt_owner = 0; /* too long to put back whole: better not at all than cut */
		return;
	}
	memcpy(prompt + prompt_len, s, n);
	prompt_len += n;
	prompt_owner = badge;
}

/* Print the first n bytes of client `badge`'s buffer and drop them from it. The caller
 * has made sure no other client's line is streaming. */
static void emit(uint64_t badge, size_t n)
{
	struct client *c = &clients[badge];
	bool continues = screen == badge; /* our partial line is what the screen ends with */
	if (screen && !continues)
		out("\r\n", 2); /* end another client's flushed partial line */
	if (c->raw)
		out(c->line, n);
	else
		out_text(c->line, n);
	size_t nl = through_last_newline(c->line, n);
	if (n > nl) {
		screen = badge;
		if (streaming) {
			if (prompt_owner == badge)
				prompt_owner = 0;
		} else {
			remember_prompt(badge, c->line + nl, n - nl,
			                continues && nl == 0 && prompt_owner == badge);
		}
	} else {
		screen = 0;
		if (prompt_owner == badge)
			prompt_owner = 0;
	}
	memmove(c->line, c->line + n, c->len - n);
	c->len -= n;
}

/* Once the screen is at the start of a line, put an interrupted partial line back. */
static void restore_prompt(void)
{
	if (screen == 0 && !streaming && prompt_owner) {
		out_text(prompt, prompt_len);
		screen = prompt_owner;
	}
}

/* The streaming line has ended (or is given up on): print what was held meanwhile. */
static void end_stream(void)
{
	streaming = false;
	for (uint64_t b = 1; b <= SELF; b++) {
		struct client *c = &clients[b];
		size_t n = c->flush_wanted ? c->len : through_last_newline(c->line, c->len);
		c->flush_wanted = false;
		if (n > 0)
			emit(b, n);
	}
}

/* Client `badge`'s buffer is full: print its whole lines or, when one line fills it, start
 * streaming that line. */
static void make_room(uint64_t badge)
{
	struct client *c = &clients[badge];
	size_t nl = through_last_newline(c->line, c->len);
	if (nl > 0) {
		emit(badge, nl);
		return;
	}
	streaming = true;
	stream_progress_ns = m6_time_ns();
	emit(badge, c->len);
}

static uint64_t client_write(uint64_t badge, const void *text, size_t len, uint32_t flush)
{
	struct client *c = &clients[badge];
	const char *s = text;
	c->raw = (flush & CONSOLE_RAW) != 0;
	if (streaming && screen != badge) {
		/* Another client's long line is going out: keep this text for later. */
		if (len <= LINE_BYTES - c->len) {
			memcpy(c->line + c->len, s, len);
			c->len += len;
			c->flush_wanted |= (flush & CONSOLE_FLUSH) != 0;
			return M6_OK;
		}
		/* No room: the client retries. A streaming client that does not go on (it
		 * waits for something, or runs at a lower priority than those retrying)
		 * would stop everyone, so after STALL_NS its line is broken here. */
		if (m6_time_ns() - stream_progress_ns < STALL_NS)
			return M6_ERR_WOULD_BLOCK;
		out("\r\n", 2);
		screen = 0;
		end_stream();
	}
	while (len > 0) {
		if (c->len == LINE_BYTES)
			make_room(badge);
		size_t n = len < LINE_BYTES - c->len ? len : LINE_BYTES - c->len;
		memcpy(c->line + c->len, s, n);
		c->len += n;
		s += n;
		len -= n;
		if (streaming && screen == badge) {
			/* More of our long line: it goes straight out, up to its end. */
			stream_progress_ns = m6_time_ns();
			size_t nl = through_last_newline(c->line, c->len);
			emit(badge, nl ? nl : c->len);
			if (nl)
				end_stream();
		}
	}
	size_t nl = through_last_newline(c->line, c->len);
	if ((flush & CONSOLE_FLUSH) && c->len > 0)
		emit(badge, c->len);
	else if (nl > 0)
		emit(badge, nl);
	restore_prompt();
	return M6_OK;
}

static uint64_t write_op(void *ctx, uint64_t badge, const void *text, size_t len, uint32_t flush)
{
	(void)ctx;
	if (badge == 0 || badge > console_last_client || badge > MAX_CLIENTS)
		return M6_ERR_INVALID_ARGUMENT;
	return client_write(badge, text, len, flush);
}

/* A line of the console's own, printed like any client's (it never splits another's). */
static void notice(const char *text)
{
	client_write(SELF, text, strlen(text), 0);
}

/* The client that gets input now: the guest while the foreground lends it. */
static uint64_t reader(void)
{
	return lent ? console_guest : foreground;
}

/* Tell the client that gets input now that there is some. */
static void signal_reader(void)
{
	if (lent)
		m6_signal(console_guest_signal);
	else if (foreground)
		m6_signal(console_foreground);
}

/* Take input from the driver while it has some and the ring has room for it. */
static void pull_input(void)
{
	if (driver_dead)
		return;
	bool got = false;
	for (;;) {
		size_t room = m6_ring_free(&input);
		input_waiting = room < SERIAL_READ_DATA_MAX; /* a full read might not fit */
		/* No room: the rest waits in the driver until the client reads. */
		if (room == 0)
			break;
		uint8_t bytes[SERIAL_READ_DATA_MAX];
		size_t n = 0;
		uint64_t lost = 0;
		if (serial_read(console_serial, (uint32_t)room, bytes, &n, &lost) != M6_OK)
			break;
		if (lost != lost_reported) {
			char line[96], num[24];
			strcpy(line, "console: input lost: ");
			strcat(line, m6_format_u64(num, lost - lost_reported, 0));
			strcat(line, " UART receive overrun(s)\n");
			lost_reported = lost;
			notice(line);
		}
		if (n == 0) {
			input_waiting = false;
			break;
		}
		m6_ring_put(&input, bytes, n); /* fits: no more than `room` was asked for */
		got = true;
	}
	if (got)
		signal_reader();
}

static uint64_t read_op(void *ctx, uint64_t badge, void *data, size_t *len)
{
	(void)ctx;
	*len =
	    badge == reader() && badge != 0 ? m6_ring_get(&input, data, CONSOLE_READ_DATA_MAX) : 0;
	if (*len && input_waiting)
		pull_input(); /* room again: what the driver held back comes now */
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

static uint64_t lend_input_op(void *ctx, uint64_t badge, uint32_t lend)
{
	(void)ctx;
	if (console_guest == 0 || console_guest_signal == 0)
		return M6_ERR_ILLEGAL_OPERATION;
	if (badge != foreground)
		return M6_ERR_INSUFFICIENT_RIGHTS;
	lent = lend != 0;
	/* Taken back: the guest's last partial line (a program's prompt, the echo of ^C) is
	 * not put back after the foreground's next line: that program is done. */
	if (!lent && prompt_owner == console_guest)
		prompt_owner = 0;
	/* What was typed and not read yet belongs to the new reader now. */
	if (m6_ring_used(&input) > 0)
		signal_reader();
	return M6_OK;
}

static uint64_t serial_stats_op(void *ctx, uint64_t badge, uint64_t *rx, uint64_t *tx,
                                uint64_t *lost, uint64_t *refused)
{
	(void)ctx;
	(void)badge;
	if (driver_dead)
		return M6_ERR_ILLEGAL_OPERATION;
	return serial_stats(console_serial, rx, tx, lost, refused);
}

static const struct console_ops ops = {
    .write = write_op,
    .read = read_op,
    .claim_input = claim_input_op,
    .serial_stats = serial_stats_op,
    .lend_input = lend_input_op,
};

/* The driver stopped: a fault, or its exit() (which arrives as an unknown system call
 * M6_EXIT_SYSCALL, the status in x0; see <m6/runtime.h>). Either way it stays stopped. */
static void driver_stopped(struct m6_msg *m, const struct m6_fault_info *f)
{
	char num[24];
	driver_dead = true;
	if (f->kind == M6_FAULT_UNKNOWN_SYSCALL && f->syscall.number == M6_EXIT_SYSCALL) {
		int64_t status = (int64_t)f->syscall.x[0];
		m6_debug_puts(console_debug,
		              "\r\nconsole: component " DRIVER_NAME " exited with status ");
		if (status < 0)
			m6_debug_puts(console_debug, "-");
		m6_debug_puts(
		    console_debug,
		    m6_format_u64(num, status < 0 ? -(uint64_t)status : (uint64_t)status, 0));
	} else {
		m6_debug_puts(console_debug, "\r\nconsole: the serial driver faulted at pc 0x");
		m6_debug_puts(console_debug, m6_format_u64(num, f->pc, 1));
		m6_debug_puts(console_debug, " (fault ");
		m6_debug_puts(console_debug, m6_format_u64(num, f->kind, 0));
		m6_debug_puts(console_debug, ", address 0x");
		m6_debug_puts(console_debug,
		              m6_format_u64(num, f->kind == M6_FAULT_VM ? f->vm.address : 0, 1));
		m6_debug_puts(console_debug, ")");
	}
	m6_debug_puts(console_debug, "; it stays stopped, output continues on the kernel "
	                             "debug console, input is gone\n");
	m6_fault_reply_stop(m);
}

/* Clients: badges 1..console_last_client, every method (filled in main()). */
static struct m6_idl_allow allow[1];

/* Not a client: the driver's faults share our endpoint (with their own badge). */
static int on_refused(void *state, struct m6_msg *m)
{
	(void)state;
	struct m6_fault_info f;
	if (console_fault_badge == 0 || m->badge != console_fault_badge || !m6_fault_decode(m, &f))
		return M6_IDL_REFUSE;
	driver_stopped(m, &f);
	return M6_IDL_ANSWERED;
}

static void on_input(void *state, uint64_t word)
{
	(void)state;
	(void)word;
	pull_input(); /* all there is: the driver signals only when more arrives */
}

static const struct console_server server = {
    .ops = &ops,
    .allow = allow,
    .allow_count = sizeof(allow) / sizeof(allow[0]),
    .on_refused = on_refused,
    .on_notification = on_input,
};

int main(void)
{
	allow[0] = (struct m6_idl_allow){1, console_last_client, CONSOLE_METHODS_ALL};
	m6_tcb_bind_notification(M6_CAP_SELF_TCB, console_rx);
	console_serve(console_endpoint, &server);
}
