/* visitor: signs the guest book (shared memory), calls the greeter and checks the answer,
 * then powers the machine off. */
#include <stdbool.h>

#include <m6/debug.h>
#include <m6/runtime.h>
#include <m6_caps.h>

#define BADGE 42 /* the badge guestbook.m6 gives the visitor's cap */

static const char entry[] = "signed by the visitor, built out of tree";

int main(void)
{
	volatile char *book = (volatile char *)M6_MEM_BOOK_VADDR;
	volatile uint64_t *heap = (volatile uint64_t *)M6_HEAP_VADDR;
	for (uint64_t i = 0; i < sizeof(entry); i++)
		book[i] = entry[i];
	heap[M6_HEAP_SIZE / sizeof(uint64_t) - 1] = sizeof(entry) - 1; /* the heap is RW */

	struct m6_msg m = {.info = m6_msginfo(0, 0)};
	uint64_t err = m6_call(CAP_GREETER, &m);
	bool good = err == M6_OK && m.mr[0] == heap[M6_HEAP_SIZE / sizeof(uint64_t) - 1] &&
	            m.mr[1] == BADGE;
	m6_debug_puts(CAP_DEBUG_CONSOLE, good ? "visitor: PASS\n" : "visitor: FAIL\n");
	m6_power_off(CAP_POWER);
	return 1;
}
