/* greeter: waits at its door; for each caller, reads the guest book (shared memory,
 * mapped read-only) and answers with the entry's length and the caller's badge. */
#include <m6/debug.h>
#include <m6_caps.h>

int main(void)
{
	const volatile char *book = (const volatile char *)M6_MEM_BOOK_VADDR;
	struct m6_msg m = {0};
	m6_debug_puts(CAP_DEBUG_CONSOLE, "greeter: open\n");
	m6_recv(CAP_DOOR, &m);
	for (;;) {
		char line[64];
		uint64_t n = 0;
		while (n < sizeof(line) - 2 && book[n] != '\0') {
			line[n] = book[n];
			n++;
		}
		line[n] = '\n';
		line[n + 1] = '\0';
		char num[24];
		m6_debug_puts(CAP_DEBUG_CONSOLE, "greeter: welcome, visitor with badge ");
		m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, m.badge, 0));
		m6_debug_puts(CAP_DEBUG_CONSOLE, ": ");
		m6_debug_puts(CAP_DEBUG_CONSOLE, line);
		m.mr[0] = n;
		m.mr[1] = m.badge;
		m.info = m6_msginfo(0, 2);
		m6_reply_recv(CAP_DOOR, &m);
	}
}
