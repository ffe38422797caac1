/* ping: calls pong as many times as its spec argument says (hello.m6: args "1000") with
 * a changing payload and checks every answer, then reports and powers the machine off. */
#include <stdbool.h>

#include <m6/debug.h>
#include <m6/runtime.h>
#include <m6_caps.h>

#define PONG_BADGE 7 /* the badge hello.m6 gives ping's cap */

static uint64_t expected(uint64_t word)
{
	return (word ^ 0x5a5a5a5a5a5a5a5aull) + PONG_BADGE;
}

static void print_result(unsigned ok, unsigned failed)
{
	char num[24];
	m6_debug_puts(CAP_DEBUG_CONSOLE, "ping: ");
	m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, ok, 0));
	m6_debug_puts(CAP_DEBUG_CONSOLE, " calls answered correctly, ");
	m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, failed, 0));
	m6_debug_puts(CAP_DEBUG_CONSOLE, " wrong\n");
}

/* A decimal number of at most 9 digits, or -1. */
static long parse_count(const char *s)
{
	long n = 0;
	unsigned digits = 0;
	for (; *s; s++, digits++) {
		if (*s < '0' || *s > '9' || digits == 9)
			return -1;
		n = n * 10 + (*s - '0');
	}
	return digits ? n : -1;
}

int main(int argc, char **argv)
{
	unsigned ok = 0, failed = 0;
	uint64_t seed = 0x243f6a8885a308d3ull;
	long rounds = argc == 2 ? parse_count(argv[1]) : -1;

	if (argc < 1 || !argv[0] || argv[argc] != NULL || rounds < 0) {
		m6_debug_puts(CAP_DEBUG_CONSOLE, "ping: FAIL: expected one argument, the number of "
		                                 "calls (the spec's args)\n");
		m6_power_off(CAP_POWER);
		return 1;
	}
	m6_debug_puts(CAP_DEBUG_CONSOLE, argv[0]);
	m6_debug_puts(CAP_DEBUG_CONSOLE, ": calling pong ");
	m6_debug_puts(CAP_DEBUG_CONSOLE, argv[1]);
	m6_debug_puts(CAP_DEBUG_CONSOLE, " times\n");
	for (unsigned round = 0; round < (unsigned long)rounds; round++) {
		struct m6_msg m = {0};
		unsigned length = 1 + round % M6_MSG_REGISTERS;
		uint64_t sent[M6_MSG_REGISTERS];
		for (unsigned i = 0; i < length; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			sent[i] = m.mr[i] = seed ^ round;
		}
		m.info = m6_msginfo(round, length);
		uint64_t err = m6_call(CAP_PONG, &m);
		bool good = err == M6_OK && m6_msginfo_label(m.info) == round + 1 &&
		            m6_msginfo_length(m.info) == length;
		for (unsigned i = 0; good && i < length; i++)
			good = m.mr[i] == expected(sent[i]);
		if (good) {
			ok++;
		} else {
			char num[24];
			failed++;
			m6_debug_puts(CAP_DEBUG_CONSOLE, "ping: wrong answer in round ");
			m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, round, 0));
			m6_debug_puts(CAP_DEBUG_CONSOLE, ", error ");
			m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, err, 0));
			m6_debug_puts(CAP_DEBUG_CONSOLE, "\n");
		}
	}
	print_result(ok, failed);
	m6_debug_puts(CAP_DEBUG_CONSOLE, failed == 0 ? "ping: PASS\n" : "ping: FAIL\n");
	m6_power_off(CAP_POWER);
	return 1; /* only reached if power-off was refused */
}
