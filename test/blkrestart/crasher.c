/* test/blkrestart: a component that faults whenever it starts, so that its supervisor
 * restarts it until it gives up (docs/supervision.md). Each run checks that its memory is
 * as at boot (data, bss and heap), that no notification is bound to its thread, that its
 * FPCR is 0 and that its timer does not fire, then changes all of it (binding one, setting
 * FPCR, arming the timer) and faults. Its last run
 * (M6_RESTART_FINAL) says so and waits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <m6/debug.h>
#include <m6/format.h>
#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6/supervision.h>
#include <m6/syscall.h>
#include <m6/time.h>
#include <m6_caps.h>

static uint32_t data_word = 0x600df00d; /* .data: must be back at each start */
static uint32_t bss_word;               /* .bss: must be 0 at each start */

static void say(const char *s)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, s);
}

int main(void)
{
	uint64_t word = m6_restart_word();
	char num[24];
	say("crasher: run ");
	say(m6_format_u64(num, M6_RESTART_COUNT(word), 0));
	unsigned char *heap = (unsigned char *)M6_HEAP_VADDR;
	int clean = data_word == 0x600df00d && bss_word == 0;
	for (size_t i = 0; i < M6_HEAP_SIZE; i++)
		clean &= heap[i] == 0;
	say(clean ? ", memory as at boot" : ", FAIL: memory not as at boot");
	/* Its thread as at boot too: FPCR 0 (the last run set round-towards-zero), no
	 * notification bound (the last run bound one). */
	uint64_t fpcr;
	__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
	if (fpcr != 0)
		say(", FAIL: memory not as at boot: FPCR is not 0");
	if (m6_tcb_bind_notification(M6_CAP_SELF_TCB, CAP_IDLE) != M6_OK)
		say(", FAIL: memory not as at boot: a notification is still bound");
	if (word & M6_RESTART_FINAL) {
		say(", the last: waiting\n");
		for (;;)
			m6_wait(CAP_IDLE);
	}
	/* Its timer as at boot: the last run armed it (a 1 ms period) and it must have been
	 * cancelled. Watched for 20 ms: a timer left running would have signalled by then. */
	uint64_t until = m6_time_ns() + 20000000ull;
	while (m6_time_ns() < until)
		m6_yield();
	if (m6_poll(CAP_TICKED))
		say(", FAIL: memory not as at boot: the last run's timer fired");
	say("\n");
	m6_cptr_t ticked = m6_cap_mint(CAP_TICKED, M6_RIGHT_WRITE, 1);
	if (!ticked || m6_timer_set_notification(CAP_TICK, ticked) != M6_OK ||
	    m6_timer_set(CAP_TICK, m6_counter() + m6_ns_to_ticks(1000000),
	                 m6_ns_to_ticks(1000000)) != M6_OK)
		say("crasher: FAIL: memory not as at boot: cannot arm the timer\n");
	data_word = 1;
	bss_word = 1;
	memset(heap, 0xa5, M6_HEAP_SIZE);
	__asm__ volatile("msr fpcr, %0" ::"r"(3ull << 22)); /* RMode: towards zero */
	*(volatile uint32_t *)(uintptr_t)16 = 0;            /* fault */
	return 0;
}
