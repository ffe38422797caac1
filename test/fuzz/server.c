/* The pair's server: checks each payload's checksum and answers with every word
 * inverted (checksummed again); reports to the judge when the client says stop. */
#include <stdio.h>

#include <m6/invocations.h>
#include <m6/syscall.h>
#include <m6_caps.h>

#include "fuzz_common.h"

int main(void)
{
	uint64_t requests = 0, bad = 0, w[FUZZ_PAIR_WORDS];
	struct m6_msg m;
	m6_recv(CAP_PAIR, &m);
	while (m6_msginfo_label(m.info) != FUZZ_PAIR_STOP) {
		requests++;
		bool right = m6_msginfo_label(m.info) == FUZZ_PAIR_PAYLOAD &&
		             m6_msginfo_length(m.info) == FUZZ_PAIR_WORDS;
		for (unsigned i = 0; i < FUZZ_PAIR_WORDS; i++)
			w[i] = m6_mr_get(&m, i);
		right = right && w[FUZZ_PAIR_WORDS - 1] == fuzz_checksum(w, FUZZ_PAIR_WORDS - 1);
		if (!right && bad++ < 5)
			printf("fuzz: FAIL server: request %lu arrived damaged\n", requests);
		for (unsigned i = 0; i < FUZZ_PAIR_WORDS - 1; i++)
			w[i] = ~w[i];
		w[FUZZ_PAIR_WORDS - 1] = fuzz_checksum(w, FUZZ_PAIR_WORDS - 1);
		m.info = m6_msginfo(0, FUZZ_PAIR_WORDS);
		for (unsigned i = 0; i < FUZZ_PAIR_WORDS; i++)
			m6_mr_set(&m, i, w[i]);
		m6_reply_recv(CAP_PAIR, &m);
	}
	m.info = m6_msginfo(0, 0);
	m6_reply(&m);
	m = (struct m6_msg){.info = m6_msginfo(FUZZ_REPORT_SERVER, 3),
	                    .mr = {bad == 0 && requests > 0, requests, bad}};
	m6_call(CAP_REPORT, &m);
	for (;;)
		m6_tcb_suspend(M6_CAP_SELF_TCB);
}
