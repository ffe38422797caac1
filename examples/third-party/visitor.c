/* visitor: signs the guest book (shared memory), rings the greeter through the SDK's
 * serial interface (m6::idl::serial) and checks the answer, then powers the machine off.
 * It prints through the console service (m6::console_client), as the greeter does. */
#include <stdbool.h>
#include <stdio.h>

#include <m6/runtime.h>
#include <m6_caps.h>

#include "serial_idl.h"

static const char entry[] = "signed by the visitor, built out of tree";

int main(void)
{
	volatile char *book = (volatile char *)M6_MEM_BOOK_VADDR;
	volatile uint64_t *heap = (volatile uint64_t *)M6_HEAP_VADDR;
	for (uint64_t i = 0; i < sizeof(entry); i++)
		book[i] = entry[i];
	heap[M6_HEAP_SIZE / sizeof(uint64_t) - 1] = sizeof(entry) - 1; /* the heap is RW */

	/* The greeter answers with the length of the entry it read from the book. */
	uint32_t taken = 0;
	uint64_t err = serial_write(CAP_GREETER, "ding", 4, &taken);
	bool good = err == M6_OK && taken == heap[M6_HEAP_SIZE / sizeof(uint64_t) - 1];
	/* The greeter's allow table lets this badge write, nothing else. */
	uint64_t rx, tx, overruns, refused;
	bool refuses =
	    serial_stats(CAP_GREETER, &rx, &tx, &overruns, &refused) == M6_ERR_INSUFFICIENT_RIGHTS;
	printf("%s\n", good && refuses ? "visitor: PASS" : "visitor: FAIL");
	m6_power_off(CAP_POWER);
	return 1;
}
