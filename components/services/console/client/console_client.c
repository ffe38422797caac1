/* stdio over the console service's IDL (libm6/interfaces/console.idl). */
#include <stdatomic.h>

#include <m6/console_client.h>
#include <m6/invocations.h>

#include "console_idl.h"

static _Atomic m6_cptr_t console_cap, input_cap;

static void console_stdio_write(const char *s, size_t n, bool flush)
{
	m6_cptr_t console = atomic_load(&console_cap);
	while (n > 0) {
		size_t piece = n < CONSOLE_WRITE_TEXT_MAX ? n : CONSOLE_WRITE_TEXT_MAX;
		/* Only the last piece carries the flush: the console keeps the others until the
		 * line ends, so a long line is not split by other clients' lines. */
		uint32_t last_flush = piece == n && flush;
		uint64_t err;
		/* The console refuses (WOULD_BLOCK) while another client's long line is going
		 * out and our text does not fit beside it: try again shortly. */
		while ((err = console_write(console, s, piece, last_flush)) == M6_ERR_WOULD_BLOCK)
			m6_yield();
		if (err != M6_OK)
			return; /* the console is gone: stdio drops the rest */
		s += piece;
		n -= piece;
	}
}

static size_t console_stdio_read(char *s, size_t n)
{
	/* console_read fills up to CONSOLE_READ_DATA_MAX bytes, and stdio always offers
	 * M6_STDIO_PIECE_MAX. */
	_Static_assert(M6_STDIO_PIECE_MAX >= CONSOLE_READ_DATA_MAX,
	               "stdio's input buffer is too small");
	if (n < CONSOLE_READ_DATA_MAX)
		return 0;
	m6_cptr_t console = atomic_load(&console_cap), input = atomic_load(&input_cap);
	for (;;) {
		size_t got = 0;
		if (console_read(console, s, &got) != M6_OK)
			return 0; /* no console: end of input */
		if (got > 0)
			return got;
		/* Nothing typed yet: the console signals `input` when there is. */
		if (input)
			m6_wait(input);
		else
			m6_yield();
	}
}

static const struct m6_stdio_ops console_stdio = {
    .write = console_stdio_write,
    .read = console_stdio_read,
};

const struct m6_stdio_ops *m6_console_stdio(m6_cptr_t console, m6_cptr_t input)
{
	atomic_store(&console_cap, console);
	atomic_store(&input_cap, input);
	return &console_stdio;
}
