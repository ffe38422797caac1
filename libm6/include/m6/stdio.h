/* Where picolibc's stdin, stdout and stderr go: a small table of two functions that the
 * component chooses. libm6 knows no service's protocol; it offers the kernel debug
 * console and "none", and a service's client library offers its own (the console
 * service's: m6::console_client, <m6/console_client.h>).
 *
 * The default: what the component's m6_stdio_choose() returns, if it defines one (it runs
 * before the constructors and main); otherwise, or if it returns NULL, the kernel debug
 * console when the spec grants CAP_DEBUG_CONSOLE, else none. Linking m6::console_client
 * defines m6_stdio_choose(): the console service when the spec grants CAP_CONSOLE. A
 * component may also switch at any time with m6_stdio_set(). See docs/userspace.md. */
#ifndef M6_STDIO_H
#define M6_STDIO_H

#include <stdbool.h>
#include <stddef.h>

/* stdout is line buffered per thread in pieces of at most this many bytes (a longer line
 * reaches write() in several pieces); read() is always offered this many bytes. */
#define M6_STDIO_PIECE_MAX 256

struct m6_stdio_ops {
	/* Write `n` (1..M6_STDIO_PIECE_MAX) bytes: a whole line (ending in '\n') or a piece
	 * of one. `flush`: show a partial line now (a prompt, an echo) rather than when the
	 * line ends. Bytes that cannot be written are dropped (stdio has nowhere to report
	 * them). */
	void (*write)(const char *s, size_t n, bool flush);
	/* Wait until there is input, then move up to `n` bytes of it to `s`; return how many,
	 * 0 at the end of input (stdin's EOF). stdout is flushed before each call, so a
	 * prompt is visible while it waits. */
	size_t (*read)(char *s, size_t n);
};

/* Writes to the component's CAP_DEBUG_CONSOLE (dropped if it has none); reads EOF. */
extern const struct m6_stdio_ops m6_stdio_debug_console;
/* Writes are dropped; reads EOF. */
extern const struct m6_stdio_ops m6_stdio_none;

/* Optional, defined by the component (or a library's source compiled into it): the stdio
 * it starts with. Called once, before the constructors. */
const struct m6_stdio_ops *m6_stdio_choose(void);

/* Send stdio to `ops` from now on (NULL: back to the default), after flushing what the
 * calling thread's stdout holds to the previous one. */
void m6_stdio_set(const struct m6_stdio_ops *ops);
/* What stdio uses now (the default resolved: never NULL). */
const struct m6_stdio_ops *m6_stdio_get(void);

/* Flush the calling thread's stdout line buffer (exit() flushes too). */
void m6_stdio_flush(void);

#endif
