/*
 * test_say.h: what the test components of test/msi and test/dma print with: a string, and
 * a number in hex or decimal, on the debug console the spec grants them. Header-only and
 * static so each component (one file, no test library) keeps its own copy. Needs
 * CAP_DEBUG_CONSOLE (<m6_caps.h>) before it is included.
 */
#ifndef M6_TEST_SAY_H
#define M6_TEST_SAY_H

#include <stdint.h>

#include <m6/debug.h>

static inline void say(const char *s)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, s);
}

static inline void say_hex(uint64_t v)
{
	char buf[24];
	say("0x");
	say(m6_format_u64(buf, v, 1));
}

static inline void say_dec(uint64_t v)
{
	char buf[24];
	say(m6_format_u64(buf, v, 0));
}

#endif
