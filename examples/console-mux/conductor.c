/* The console-mux conductor: checks who may lend the console's input (console.idl,
 * lend_input), waits until every client has signalled that it is done, then says so
 * through the console and powers the machine off. Each client signals `done` with its own
 * badge bit; the notification word ORs them, so signals that arrive together are not
 * lost. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6_caps.h>

#include "console_idl.h"

static int lend_failures;

static void expect_status(const char *what, uint64_t got, uint64_t want)
{
	if (got != want) {
		printf("mux-conductor: FAIL: %s: status %llu, expected %llu\n", what,
		       (unsigned long long)got, (unsigned long long)want);
		lend_failures++;
	}
}

/* Only the foreground client may lend the input, and only to the guest the spec names
 * (the TTY cap here): CONSOLE before it claims the input, and the guest itself, are
 * refused; once CONSOLE owns the input it lends and takes back. */
static void check_lending(void)
{
	bool granted = false;
	expect_status("lend_input before claiming", console_lend_input(CAP_CONSOLE, 1),
	              M6_ERR_INSUFFICIENT_RIGHTS);
	expect_status("claim_input", console_claim_input(CAP_CONSOLE, &granted), M6_OK);
	if (!granted) {
		printf("mux-conductor: FAIL: claim_input not granted\n");
		lend_failures++;
	}
	expect_status("lend_input by the guest", console_lend_input(CAP_TTY, 1),
	              M6_ERR_INSUFFICIENT_RIGHTS);
	expect_status("claim_input by the guest", console_claim_input(CAP_TTY, &granted), M6_OK);
	if (granted) {
		printf("mux-conductor: FAIL: the guest was granted the foreground\n");
		lend_failures++;
	}
	expect_status("lend_input", console_lend_input(CAP_CONSOLE, 1), M6_OK);
	expect_status("lend_input by the guest while lent", console_lend_input(CAP_TTY, 0),
	              M6_ERR_INSUFFICIENT_RIGHTS);
	char bytes[CONSOLE_READ_DATA_MAX];
	size_t n = 0;
	expect_status("read by the guest", console_read(CAP_TTY, bytes, &n), M6_OK);
	expect_status("read by the lender", console_read(CAP_CONSOLE, bytes, &n), M6_OK);
	expect_status("take the input back", console_lend_input(CAP_CONSOLE, 0), M6_OK);
	printf("mux-conductor: lend_input: %s\n", lend_failures ? "FAIL" : "checked");
}

#ifndef MUX_CLIENTS
#error "compile with -DMUX_CLIENTS=<number of clients>"
#endif

int main(void)
{
	const uint64_t all = (1u << MUX_CLIENTS) - 1;
	uint64_t seen = 0;
	check_lending();
	printf("mux-conductor: waiting for %d clients\n", MUX_CLIENTS);
	while ((seen & all) != all)
		seen |= m6_wait(CAP_DONE);
	/* Every client's last write returned before it signalled, so all lines are out. */
	printf("mux-conductor: all %d clients done\n", MUX_CLIENTS);
	m6_power_off(CAP_POWER);
	return 1; /* only if power off was refused */
}
