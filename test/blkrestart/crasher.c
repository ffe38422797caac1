/* test/blkrestart: a component that faults whenever it starts, so that its supervisor
 * restarts it until it gives up (docs/supervision.md). Each run checks that its memory is
 * as at boot (data, bss and heap) and that no notification is bound to its thread, then
 * changes all of it (binding one) and faults. Its last run
 * (M6_RESTART_FINAL) says so and waits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <m6/debug.h>
#include <m6/format.h>
#include <m6/invocations.h>
#include <m6/supervision.h>
#include <m6/syscall.h>
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
	say("\n");
	data_word = 1;
	bss_word = 1;
	memset(heap, 0xa5, M6_HEAP_SIZE);
	__asm__ volatile("msr fpcr, %0" ::"r"(3ull << 22)); /* RMode: towards zero */
	*(volatile uint32_t *)(uintptr_t)16 = 0;            /* fault */
	return 0;
}
