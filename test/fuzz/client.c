/* The pair's client: calls the server with checksummed 64-word payloads and checks every
 * answer (the server's transform of exactly what was sent), until the judge says stop.
 * It runs at the fuzz thread's priority, so the two share the CPU by timeslices: every
 * message crosses the kernel while the fuzzer is at work. */
#include <stdio.h>

#include <m6/invocations.h>
#include <m6/syscall.h>
#include <m6_caps.h>

#include "fuzz_common.h"

int main(void)
{
	/* short slices: the fuzz thread gets most of the CPU, and no one waits long */
	m6_tcb_set_timeslice(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, 100);
	uint64_t state = 0x636c69656e74ull, trips = 0, bad = 0;
	uint64_t sent[FUZZ_PAIR_WORDS], got[FUZZ_PAIR_WORDS];
	while (m6_poll(CAP_STOP) == 0) {
		struct m6_msg m = {.info = m6_msginfo(FUZZ_PAIR_PAYLOAD, FUZZ_PAIR_WORDS)};
		for (unsigned i = 0; i < FUZZ_PAIR_WORDS - 1; i++)
			sent[i] = fuzz_rand(&state);
		sent[FUZZ_PAIR_WORDS - 1] = fuzz_checksum(sent, FUZZ_PAIR_WORDS - 1);
		for (unsigned i = 0; i < FUZZ_PAIR_WORDS; i++)
			m6_mr_set(&m, i, sent[i]);
		uint64_t err = m6_call(CAP_PAIR, &m);
		for (unsigned i = 0; i < FUZZ_PAIR_WORDS; i++)
			got[i] = m6_mr_get(&m, i);
		/* the server answers word i with ~word i, checksummed the same way */
		bool right = err == M6_OK && m6_msginfo_length(m.info) == FUZZ_PAIR_WORDS &&
		             got[FUZZ_PAIR_WORDS - 1] == fuzz_checksum(got, FUZZ_PAIR_WORDS - 1);
		for (unsigned i = 0; right && i < FUZZ_PAIR_WORDS - 1; i++)
			right = got[i] == ~sent[i];
		if (!right && bad++ < 5)
			printf("fuzz: FAIL client: round trip %lu: error %lu"
			       ", wrong answer\n",
			       trips, err);
		trips++;
	}
	struct m6_msg m = {.info = m6_msginfo(FUZZ_PAIR_STOP, 0)};
	m6_call(CAP_PAIR, &m);
	m = (struct m6_msg){.info = m6_msginfo(FUZZ_REPORT_CLIENT, 3),
	                    .mr = {bad == 0 && trips > 0, trips, bad}};
	m6_call(CAP_REPORT, &m);
	for (;;)
		m6_tcb_suspend(M6_CAP_SELF_TCB);
}
