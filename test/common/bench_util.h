/*
 * bench_util.h: what the component benchmarks (test/blkbench, test/fsbench) share: the
 * report lines on the debug console (distributions and single values), the failure count, the PMU's
 * instruction counter (event counter 0, INST_RETIRED, which the bench kernel lets EL0 read) and
 * sorting samples for the median. Header-only: each benchmark is one component, one file. Needs
 * CAP_DEBUG_CONSOLE (<m6_caps.h>) before it is included.
 */
#ifndef M6_TEST_BENCH_UTIL_H
#define M6_TEST_BENCH_UTIL_H

#include <stdint.h>

#include <m6/debug.h>
#include <m6/format.h>

static unsigned bench_failures;

static inline void bench_say(const char *s)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, s);
}

static inline void bench_say_u64(uint64_t v)
{
	char num[24];
	bench_say(m6_format_u64(num, v, 0));
}

/* "bench: FAIL what": run_bench.py fails the run on it. */
static inline void bench_fail(const char *what)
{
	bench_failures++;
	bench_say("bench: FAIL ");
	bench_say(what);
	bench_say("\n");
}

/* Instructions retired so far (32 bits: differences of nearby reads are exact). The isbs
 * keep the read from moving across the code it measures. */
static inline uint32_t bench_counter(void)
{
	uint64_t v;
	__asm__ volatile("isb\n\tmrs %0, pmevcntr0_el0\n\tisb" : "=r"(v)::"memory");
	return (uint32_t)v;
}

/* Insertion sort: a few hundred samples, once per figure. */
static inline void bench_sort(uint32_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint32_t x = v[i];
		unsigned j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* "bench: NAME min=.. median=.. avg=.. max=.. n=N", the line run_bench.py parses for a
 * distribution; sorts the n samples (n odd: the median is one sample). avg is the caller's:
 * it may come from a separate timed loop rather than the samples. */
static inline void bench_report(const char *name, uint32_t *sample, unsigned n, uint64_t avg)
{
	bench_sort(sample, n);
	bench_say("bench: ");
	bench_say(name);
	bench_say(" min=");
	bench_say_u64(sample[0]);
	bench_say(" median=");
	bench_say_u64(sample[n / 2]);
	bench_say(" avg=");
	bench_say_u64(avg);
	bench_say(" max=");
	bench_say_u64(sample[n - 1]);
	bench_say(" n=");
	bench_say_u64(n);
	bench_say("\n");
}

/* "bench: NAME value=V", a single figure. */
static inline void bench_value(const char *name, uint64_t v)
{
	bench_say("bench: ");
	bench_say(name);
	bench_say(" value=");
	bench_say_u64(v);
	bench_say("\n");
}

#endif /* M6_TEST_BENCH_UTIL_H */
