/* greeter: waits at its door, serving the SDK's serial interface (libm6/interfaces/
 * serial.idl, the installed target m6::idl::serial): a visitor "writes" to ring the bell;
 * the greeter reads the guest book (shared memory, mapped read-only) and answers with the
 * entry's length as the bytes taken. Only the visitor's badge may write. It prints through
 * the console service (m6::console_client): its spec grants no debug console. */
#include <stdio.h>

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
	printf("greeter: welcome, visitor with badge %llu: %s", (unsigned long long)badge, line);
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
	printf("greeter: open\n");
	serial_serve(CAP_DOOR, &server);
}
