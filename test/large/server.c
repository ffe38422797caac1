/* large_server: answers its client's one call with the token the client left in their
 * shared memory (mapped read-only here), copies it to its heap, and reports to the sink.
 * Its thread `waiter` waits for the client's signal and reports that too. */
#include <stdbool.h>

#include <m6/syscall.h>
#include <m6_caps.h>

#include "large_counts.h"

__attribute__((noreturn)) void waiter_main(void);

void waiter_main(void)
{
	struct m6_msg m = {0};
	m6_recv(CAP_KICK, &m); /* wait: the notification word comes back as the badge */
	struct m6_msg note = {.info = m6_msginfo(LARGE_LABEL_KICKED, 1), .mr = {m.badge}};
	m6_send(CAP_NOTE, &note);
	for (;;)
		m6_recv(CAP_KICK, &m);
}

int main(void)
{
	const volatile uint64_t *shm = (const volatile uint64_t *)M6_MEM_SHM_VADDR;
	volatile uint64_t *heap = (volatile uint64_t *)M6_HEAP_VADDR;
	struct m6_msg m = {0};

	m6_recv(CAP_EP, &m);
	uint64_t client = m.badge;
	heap[M6_HEAP_SIZE / sizeof(uint64_t) - 1] = shm[0];
	bool ok = m6_msginfo_length(m.info) == 1 && m.mr[0] == shm[0] &&
	          heap[M6_HEAP_SIZE / sizeof(uint64_t) - 1] == m.mr[0];
	m.info = m6_msginfo(0, 2);
	m.mr[0] = shm[0];
	m.mr[1] = client;
	m6_reply(&m);

	struct m6_msg report = {.info = m6_msginfo(LARGE_LABEL_SERVED, 2), .mr = {ok, client}};
	m6_call(CAP_DONE, &report);
	for (;;) {
		m6_recv(CAP_EP, &m);
		m.info = m6_msginfo(0, 0);
		m6_reply(&m);
	}
}
