/* The console-mux conductor: waits until every client has signalled that it is done,
 * then says so through the console and powers the machine off. Each client signals
 * `done` with its own badge bit; the notification word ORs them, so signals that arrive
 * together are not lost. */
#include <stdint.h>
#include <stdio.h>

#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6_caps.h>

#ifndef MUX_CLIENTS
#error "compile with -DMUX_CLIENTS=<number of clients>"
#endif

int main(void)
{
	const uint64_t all = (1u << MUX_CLIENTS) - 1;
	uint64_t seen = 0;
	printf("mux-conductor: waiting for %d clients\n", MUX_CLIENTS);
	while ((seen & all) != all)
		seen |= m6_wait(CAP_DONE);
	/* Every client's last write returned before it signalled, so all lines are out. */
	printf("mux-conductor: all %d clients done\n", MUX_CLIENTS);
	m6_power_off(CAP_POWER);
	return 1; /* only if power off was refused */
}
