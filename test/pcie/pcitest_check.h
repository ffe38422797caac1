/* The checks of test/pcie's drivers: one line per failure, a count at the end. */
#ifndef PCITEST_CHECK_H
#define PCITEST_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include <m6/debug.h>
#include <m6_caps.h>

static unsigned checks, failures;
static const char *who;

static inline void say(const char *s)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, s);
}

static inline void say_hex(uint64_t v)
{
	char buf[19] = "0x";
	unsigned digits = 1;
	while (digits < 16 && (v >> (4 * digits)))
		digits++;
	for (unsigned i = 0; i < digits; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (4 * (digits - 1 - i))) & 0xf];
	buf[2 + digits] = 0;
	say(buf);
}

/* `status` is what a call returned, `want` what it must. */
static inline void check_status(uint64_t status, uint64_t want, const char *what)
{
	checks++;
	if (status == want)
		return;
	failures++;
	say(who);
	say(": FAIL ");
	say(what);
	say(": got ");
	say(pci_error_name(status));
	say(", want ");
	say(pci_error_name(want));
	say("\n");
}

static inline void check(bool ok, const char *what)
{
	checks++;
	if (ok)
		return;
	failures++;
	say(who);
	say(": FAIL ");
	say(what);
	say("\n");
}

#endif
