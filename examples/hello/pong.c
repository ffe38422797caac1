/* pong: a server. Answers each call with a value derived from the request, so that the
 * caller can check that every word of every message made the round trip. */
#include <m6/debug.h>
#include <m6_caps.h>

/* The answer ping expects for a request; any fixed bijection would do. */
static uint64_t answer(uint64_t word, uint64_t badge)
{
	return (word ^ 0x5a5a5a5a5a5a5a5aull) + badge;
}

int main(void)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, "pong: serving\n");
	struct m6_msg m = {0};
	m6_recv(CAP_EP, &m);
	for (;;) {
		uint64_t length = m6_msginfo_length(m.info);
		for (uint64_t i = 0; i < length && i < M6_MSG_REGISTERS; i++)
			m.mr[i] = answer(m.mr[i], m.badge);
		m.info = m6_msginfo(m6_msginfo_label(m.info) + 1, length);
		m6_reply_recv(CAP_EP, &m);
	}
}
