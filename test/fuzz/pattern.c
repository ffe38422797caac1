/* A component whose memory holds a known pattern: it fills its heap, then, until the
 * judge says stop, checks every word and rewrites the heap with the next generation's
 * pattern. Nothing the fuzzer does may change another component's memory. */
#include <stdio.h>

#include <m6/invocations.h>
#include <m6/syscall.h>
#include <m6_caps.h>

#include "fuzz_common.h"

static uint64_t expected(uint64_t i, uint64_t generation)
{
	uint64_t s = i ^ generation << 40;
	return fuzz_rand(&s);
}

int main(void)
{
	/* short slices: the fuzz thread gets most of the CPU, and no one waits long */
	m6_tcb_set_timeslice(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, 100);
	volatile uint64_t *mem = (volatile uint64_t *)(uintptr_t)M6_HEAP_VADDR;
	const uint64_t words = M6_HEAP_SIZE / sizeof(uint64_t);
	uint64_t generation = 0, passes = 0, wrong = 0;
	for (uint64_t i = 0; i < words; i++)
		mem[i] = expected(i, generation);
	while (m6_poll(CAP_STOP) == 0) {
		for (uint64_t i = 0; i < words; i++) {
			if (mem[i] != expected(i, generation) && wrong++ < 5)
				printf("fuzz: FAIL pattern: word %lu of generation %lu"
				       " is %#lx\n",
				       i, generation, mem[i]);
			mem[i] = expected(i, generation + 1);
		}
		generation++;
		passes++;
	}
	struct m6_msg m = {.info = m6_msginfo(FUZZ_REPORT_PATTERN, 3),
	                   .mr = {wrong == 0 && passes > 0, passes, wrong}};
	m6_call(CAP_REPORT, &m);
	for (;;)
		m6_tcb_suspend(M6_CAP_SELF_TCB);
}
