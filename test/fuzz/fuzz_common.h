/* The invocation fuzzer's system (test/fuzz; ctest fuzz.short, `make fuzz`): what its
 * components share. The fuzzer issues random invocations and system calls (fuzzer.c says
 * how); the others check their own state meanwhile and report to the judge. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdbool.h>
#include <stdint.h>

/* Labels of the reports to the judge (a call on its `report` endpoint). MR0 = 1 if the
 * component found everything as it should be, MR1 = how much it checked, MR2.. per
 * component (below). */
enum fuzz_report {
	FUZZ_REPORT_FUZZER = 1, /* MR2 rounds, MR3 unexpected faults, MR4 seed, MR5 faults served */
	FUZZ_REPORT_CLIENT = 2, /* MR1 round trips, MR2 bad answers */
	FUZZ_REPORT_SERVER = 3, /* MR1 requests, MR2 bad requests */
	FUZZ_REPORT_PATTERN = 4, /* MR1 passes over the memory, MR2 words found wrong */
};

/* The pair's requests: a checksummed payload, or "stop" (the client is done). */
enum fuzz_pair_label {
	FUZZ_PAIR_PAYLOAD = 1,
	FUZZ_PAIR_STOP = 2,
};
#define FUZZ_PAIR_WORDS 64u /* every message register, MR6.. in the IPC buffer */

/* splitmix64: a whole sequence from one 64-bit seed, so a seed replays a run. */
static inline uint64_t fuzz_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The checksum of a payload: position-dependent, so swapped words are caught too. */
static inline uint64_t fuzz_checksum(const uint64_t *w, unsigned n)
{
	uint64_t sum = 0x6d36;
	for (unsigned i = 0; i < n; i++)
		sum = (sum ^ w[i]) * 0x100000001b3ull + i;
	return sum;
}

#endif
