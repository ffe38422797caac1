/* Holds the kernel debug console, so stdio's default would print there: chooses "none"
 * instead, checks that printf is dropped and stdin ends, then goes back to the debug
 * console for the report, and adds what `mute` (no console at all) found. */
#include <stdio.h>

#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6/stdio.h>
#include <m6_caps.h>

int main(void)
{
	bool default_debug = m6_stdio_get() == &m6_stdio_debug_console;
	m6_stdio_set(&m6_stdio_none);
	printf("stdio-none: check printed this line, which must not appear\n");
	fflush(stdout);
	bool eof = getchar() == EOF;
	m6_stdio_set(NULL); /* back to the default: the debug console */

	uint64_t word = 0;
	while (!(word & 1))
		word |= m6_wait(CAP_DONE);
	bool mute_none = word & 4, mute_eof = word & 2;
	printf("stdio-none: check: default debug console %s, none: stdin EOF %s\n",
	       default_debug ? "yes" : "no", eof ? "yes" : "no");
	printf("stdio-none: mute: default none %s, stdin EOF %s\n", mute_none ? "yes" : "no",
	       mute_eof ? "yes" : "no");
	printf("stdio-none: %s\n", default_debug && eof && mute_none && mute_eof ? "PASS" : "FAIL");
	m6_power_off(CAP_POWER);
	return 1;
}
