/* The judge: waits for the fuzzer's report, tells the checking components to stop,
 * collects their reports, prints the verdict and powers off. */
#include <stdio.h>

#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6/syscall.h>
#include <m6_caps.h>

#include "fuzz_common.h"

static uint64_t reports[5][6];
static bool reported[5];

static void collect(unsigned until)
{
	while (!reported[until]) {
		struct m6_msg m;
		m6_recv(CAP_REPORT, &m);
		uint64_t who = m6_msginfo_label(m.info);
		if (who >= FUZZ_REPORT_FUZZER && who <= FUZZ_REPORT_PATTERN) {
			reported[who] = true;
			for (unsigned i = 0; i < 6; i++)
				reports[who][i] = m.mr[i];
		}
		m.info = m6_msginfo(0, 0);
		m6_reply(&m);
	}
}

int main(void)
{
	collect(FUZZ_REPORT_FUZZER);
	m6_signal(CAP_STOP_CLIENT);
	m6_signal(CAP_STOP_PATTERN);
	collect(FUZZ_REPORT_CLIENT);
	collect(FUZZ_REPORT_SERVER);
	collect(FUZZ_REPORT_PATTERN);
	const uint64_t *f = reports[FUZZ_REPORT_FUZZER], *c = reports[FUZZ_REPORT_CLIENT],
	               *s = reports[FUZZ_REPORT_SERVER], *p = reports[FUZZ_REPORT_PATTERN];
	printf("fuzz: fuzzer: %lu invocations in %lu rounds, %lu"
	       " bad rounds (seed 0x%016lx)\n",
	       f[1], f[2], f[3], f[4]);
	printf("fuzz: pair: %lu round trips of %u words, %lu"
	       " wrong answers, %lu damaged requests\n",
	       c[1], FUZZ_PAIR_WORDS, c[2], s[2]);
	printf("fuzz: pattern: %lu passes over its memory, %lu wrong words\n", p[1], p[2]);
	uint64_t now, freq;
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0\n\tmrs %1, cntfrq_el0" : "=r"(now), "=r"(freq));
	/* under -icount shift=0, one instruction is one nanosecond */
	printf("fuzz: %lu ms of guest time since reset\n", now / (freq / 1000));
	bool pass = f[0] && c[0] && s[0] && p[0] && c[1] == s[1];
	printf("fuzz: %s\n", pass ? "PASS" : "FAIL");
	m6_power_off(CAP_POWER);
	return pass ? 0 : 1;
}
