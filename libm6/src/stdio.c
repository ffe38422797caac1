/* stdin/stdout/stderr for picolibc's tiny stdio. Output is line buffered per thread
 * (the buffer is thread-local), so every line a thread prints reaches the console whole;
 * the console service then keeps lines of different components apart. Without a console
 * cap, lines go to the kernel debug console; without either, they are dropped. */
#include <stdio.h>
#include <string.h>

#include <m6/debug.h>
#include <m6/runtime.h>
#include <m6/sync.h>

#include "console_idl.h"

#define LINE_MAX_BYTES CONSOLE_WRITE_TEXT_MAX

static __thread char line[LINE_MAX_BYTES];
static __thread size_t line_len;
static __thread char input[CONSOLE_READ_DATA_MAX];
static __thread size_t input_len, input_pos;

static void send_line(int partial)
{
	if (line_len == 0)
		return;
	if (m6_component.console) {
		/* The console refuses (WOULD_BLOCK) while another client's long line is
		 * going out and our text does not fit beside it: try again shortly. */
		while (console_write(m6_component.console, line, line_len, (uint32_t)partial) ==
		       M6_ERR_WOULD_BLOCK)
			m6_yield();
	} else if (m6_component.debug_console)
		m6_debug_write(m6_component.debug_console, line, line_len);
	line_len = 0;
}

void m6_stdio_flush(void)
{
	send_line(1);
}

static int m6_putc(char c, FILE *file)
{
	(void)file;
	line[line_len++] = c;
	/* A full buffer goes out as an ordinary piece, not a flush: the console keeps it
	 * until the line ends, so a long line is not split by other clients' lines. */
	if (c == '\n' || line_len == LINE_MAX_BYTES)
		send_line(0);
	return (unsigned char)c;
}

static int m6_getc(FILE *file)
{
	(void)file;
	if (!m6_component.console)
		return EOF;
	while (input_pos == input_len) {
		send_line(1); /* a prompt must be visible before we wait for the answer */
		input_pos = input_len = 0;
		if (console_read(m6_component.console, input, &input_len) != M6_OK)
			return EOF;
		if (input_len == 0) {
			if (m6_component.console_input)
				m6_notification_wait(m6_component.console_input);
			else
				m6_yield();
		}
	}
	return (unsigned char)input[input_pos++];
}

static int m6_flush(FILE *file)
{
	(void)file;
	send_line(1);
	return 0;
}

static FILE m6_stdio = FDEV_SETUP_STREAM(m6_putc, m6_getc, m6_flush, _FDEV_SETUP_RW);

FILE *const stdin = &m6_stdio;
FILE *const stdout = &m6_stdio;
FILE *const stderr = &m6_stdio;
