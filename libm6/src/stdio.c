/* stdin/stdout/stderr for picolibc's tiny stdio, through the component's choice of
 * struct m6_stdio_ops (<m6/stdio.h>). Output is line buffered per thread (the buffer is
 * thread-local), so every line a thread prints reaches the backend whole; the console
 * service, for one, then keeps lines of different components apart. */
#include <stdatomic.h>
#include <stdio.h>

#include <m6/debug.h>
#include <m6/runtime.h>
#include <m6/stdio.h>

static _Atomic(const struct m6_stdio_ops *) chosen; /* NULL: the default */
static const struct m6_stdio_ops *default_ops;      /* set before main, never changed */

static __thread char line[M6_STDIO_PIECE_MAX];
static __thread size_t line_len;
static __thread char input[M6_STDIO_PIECE_MAX];
static __thread size_t input_len, input_pos;

/* ---- the two backends libm6 has ---- */

static void debug_write(const char *s, size_t n, bool flush)
{
	(void)flush; /* the debug console prints at once anyway */
	if (m6_component.debug_console)
		m6_debug_write(m6_component.debug_console, s, n);
}

static size_t no_read(char *s, size_t n)
{
	(void)s;
	(void)n;
	return 0;
}

static void no_write(const char *s, size_t n, bool flush)
{
	(void)s;
	(void)n;
	(void)flush;
}

const struct m6_stdio_ops m6_stdio_debug_console = {.write = debug_write, .read = no_read};
const struct m6_stdio_ops m6_stdio_none = {.write = no_write, .read = no_read};

/* A weak reference, not a weak definition: a component's own object (m6::console_client's
 * select.c, or the component's code) defines it or nothing does; no archive member is
 * chosen by link order. */
extern const struct m6_stdio_ops *m6_stdio_choose(void) __attribute__((weak));

void m6_stdio_init(void)
{
	const struct m6_stdio_ops *ops = m6_stdio_choose ? m6_stdio_choose() : NULL;
	if (!ops)
		ops = m6_component.debug_console ? &m6_stdio_debug_console : &m6_stdio_none;
	default_ops = ops;
}

const struct m6_stdio_ops *m6_stdio_get(void)
{
	const struct m6_stdio_ops *ops = atomic_load(&chosen);
	if (ops)
		return ops;
	if (!default_ops)
		m6_stdio_init(); /* a program that did not start through the runtime */
	return default_ops;
}

/* ---- the line buffer ---- */

static void send_line(bool flush)
{
	if (line_len == 0)
		return;
	m6_stdio_get()->write(line, line_len, flush);
	line_len = 0;
}

void m6_stdio_flush(void)
{
	send_line(true);
}

void m6_stdio_set(const struct m6_stdio_ops *ops)
{
	send_line(true); /* what was printed so far goes where it was meant to go */
	atomic_store(&chosen, ops);
}

static int m6_putc(char c, FILE *file)
{
	(void)file;
	line[line_len++] = c;
	/* A full buffer goes out as an ordinary piece, not a flush: the console keeps it
	 * until the line ends, so a long line is not split by other clients' lines. */
	if (c == '\n' || line_len == M6_STDIO_PIECE_MAX)
		send_line(false);
	return (unsigned char)c;
}

static int m6_getc(FILE *file)
{
	(void)file;
	if (input_pos == input_len) {
		send_line(true); /* a prompt must be visible before we wait for the answer */
		input_pos = 0;
		input_len = m6_stdio_get()->read(input, sizeof(input));
		if (input_len > sizeof(input))
			input_len = sizeof(input); /* a backend's bug must not overrun the buffer */
		if (input_len == 0)
			return EOF;
	}
	return (unsigned char)input[input_pos++];
}

static int m6_flush(FILE *file)
{
	(void)file;
	send_line(true);
	return 0;
}

static FILE m6_stdio = FDEV_SETUP_STREAM(m6_putc, m6_getc, m6_flush, _FDEV_SETUP_RW);

FILE *const stdin = &m6_stdio;
FILE *const stdout = &m6_stdio;
FILE *const stderr = &m6_stdio;
