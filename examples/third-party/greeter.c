/* greeter: waits at its door, serving the SDK's serial interface (libm6/interfaces/
 * serial.idl, the installed target m6::idl::serial): a visitor "writes" to ring the bell;
 * the greeter reads the guest book (shared memory, mapped read-only) and answers with the
 * entry's length as the bytes taken. Only the visitor's badge may write. */
#include <m6/debug.h>
#include <m6_caps.h>

#include "serial_idl.h"

#define VISITOR_BADGE 42 /* the badge guestbook.m6 gives the visitor's cap */

static uint64_t ring(void *state, uint64_t badge, const void *data, size_t len, uint32_t *taken)
{
	(void)state;
	(void)data;
	(void)len;
	const volatile char *book = (const volatile char *)M6_MEM_BOOK_VADDR;
	char line[64];
	uint64_t n = 0;
	while (n < sizeof(line) - 2 && book[n] != '\0') {
		line[n] = book[n];
		n++;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	char num[24];
	m6_debug_puts(CAP_DEBUG_CONSOLE, "greeter: welcome, visitor with badge ");
	m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, badge, 0));
	m6_debug_puts(CAP_DEBUG_CONSOLE, ": ");
	m6_debug_puts(CAP_DEBUG_CONSOLE, line);
	*taken = (uint32_t)n;
	return M6_OK;
}

/* The greeter serves only write; a visitor is allowed nothing else. */
static const struct serial_ops ops = {.write = ring};
static const struct m6_idl_allow allow[] = {
    {VISITOR_BADGE, VISITOR_BADGE, SERIAL_METHOD_WRITE},
};
static const struct serial_server server = {
    .ops = &ops,
    .allow = allow,
    .allow_count = sizeof(allow) / sizeof(allow[0]),
};

int main(void)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, "greeter: open\n");
	serial_serve(CAP_DOOR, &server);
}
