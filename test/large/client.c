/* large_client: leaves a token in the shared memory of its pair, calls its server and
 * checks the answer, signals the server's notification, reports to the sink, and then
 * faults on purpose: the fault goes to the sink's fault handler (the spec's `fault`). */
#include <stdbool.h>

#include <m6/syscall.h>
#include <m6_caps.h>

#include "large_counts.h"

#define TOKEN 0x6c617267652d6d36ull

int main(void)
{
	volatile uint64_t *shm = (volatile uint64_t *)M6_MEM_SHM_VADDR;
	shm[0] = TOKEN;

	struct m6_msg m = {.info = m6_msginfo(1, 1), .mr = {TOKEN}};
	uint64_t err = m6_call(CAP_SERVER, &m);
	bool ok = err == M6_OK && m6_msginfo_length(m.info) == 2 && m.mr[0] == TOKEN;
	uint64_t badge_seen = m.mr[1]; /* the server saw the badge of our SERVER cap */

	struct m6_msg kick = {.info = m6_msginfo(0, 0)};
	m6_send(CAP_KICK, &kick); /* signal */

	struct m6_msg report = {.info = m6_msginfo(LARGE_LABEL_CLIENT, 2), .mr = {ok, badge_seen}};
	m6_call(CAP_DONE, &report);

	*(volatile uint64_t *)LARGE_FAULT_ADDRESS = 1; /* unmapped: a VM fault */
	return 1;                                      /* the fault handler stops this thread */
}
