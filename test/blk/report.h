/* test/blk and test/blkrestart: what a block-protocol test client prints (through the
 * kernel's debug console, CAP_DEBUG_CONSOLE) and its checks, each failed one a line
 * "REPORT_PREFIX: FAIL: what", counted in `failures`. Define REPORT_PREFIX first. */
#ifndef BLK_REPORT_H
#define BLK_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <m6/debug.h>
#include <m6/format.h>
#include <m6_caps.h>

static unsigned failures;

static void say(const char *s)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, s);
}

static void say_u64(uint64_t v)
{
	char num[24];
	say(m6_format_u64(num, v, 0));
}

static void expect(bool ok, const char *what)
{
	if (!ok) {
		failures++;
		say(REPORT_PREFIX ": FAIL: ");
		say(what);
		say("\n");
	}
}

#endif
