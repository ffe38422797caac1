/* The latency probe: the top-priority thread of the latency benchmark. It sleeps on a
 * kernel Timer re-armed 100 us ahead each time, and on every wake-up reads the counter
 * and records how late it woke (now - deadline), charged to the adversary's current
 * phase. Under QEMU -icount shift=0 the counter counts instructions (1 ns each; CNTVCT
 * ticks every 16), so the delays are instructions: the longest stretch the kernel kept
 * the CPU from the highest-priority thread. When the adversary signals that it is done,
 * the probe prints one line per phase and the largest delay, and powers off. */
#include <stdbool.h>
#include <stdint.h>

#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/caps.h>
#include <m6/runtime.h>
#include <m6/syscall.h>
#include <m6_caps.h>

#include "latency.h"

#define MAX_SAMPLES 8192u /* per phase; later wake-ups still count for min and max */

static uint32_t samples[LAT_PHASES][MAX_SAMPLES];
static uint64_t count[LAT_PHASES], lo[LAT_PHASES], hi[LAT_PHASES];

static uint64_t counter(void)
{
	uint64_t v;
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
}

static void put(const char *s)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, s);
}

static void put_u64(uint64_t v)
{
	char buf[24];
	put(m6_format_u64(buf, v, 0));
}

static void sort(uint32_t *a, uint64_t n)
{
	/* insertion sort over gaps (Shell sort): no recursion, no allocation */
	static const uint64_t gaps[] = {1750, 701, 301, 132, 57, 23, 10, 4, 1};
	for (unsigned g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		for (uint64_t i = gaps[g]; i < n; i++) {
			uint32_t v = a[i];
			uint64_t j = i;
			for (; j >= gaps[g] && a[j - gaps[g]] > v; j -= gaps[g])
				a[j] = a[j - gaps[g]];
			a[j] = v;
		}
	}
}

static void record(uint64_t phase, uint64_t delay)
{
	if (phase >= LAT_PHASES)
		phase = LAT_SETUP;
	if (count[phase] == 0 || delay < lo[phase])
		lo[phase] = delay;
	if (delay > hi[phase])
		hi[phase] = delay;
	if (count[phase] < MAX_SAMPLES)
		samples[phase][count[phase]] = delay > UINT32_MAX ? UINT32_MAX : (uint32_t)delay;
	count[phase]++;
}

int main(void)
{
	const struct lat_shared *shared = (const struct lat_shared *)(uintptr_t)M6_MEM_SHARED_VADDR;
	uint64_t freq;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	m6_cptr_t tick = m6_cap_mint(CAP_WAKE, M6_RIGHT_WRITE, 1);
	unsigned failures = 0;
	if (!tick || m6_timer_set_notification(CAP_TICK, tick) != M6_OK) {
		put("bench: FAIL latency probe: cannot bind its timer: error 0\n");
		failures++;
	}
	const uint64_t period = freq / 10000; /* 100 us */
	for (bool done = failures != 0; !done;) {
		uint64_t deadline = counter() + period;
		if (m6_timer_set(CAP_TICK, deadline, 0) != M6_OK) {
			put("bench: FAIL latency probe: timer_set: error 0\n");
			failures++;
			break;
		}
		uint64_t word = m6_wait(CAP_WAKE);
		uint64_t now = counter();
		if (word & 1)
			record(shared->phase, (now - deadline) * 1000000000ull / freq);
		done = word & 2; /* the adversary's DONE */
	}
	uint64_t worst = 0;
	for (unsigned p = 0; p < LAT_PHASES; p++) {
		/* bench: latency_<phase> min= median= avg=- max= n= (instructions; n wake-ups) */
		put("bench: latency_");
		put(lat_phase_names[p]);
		if (count[p] == 0) {
			put(" skipped (no wake-up in this phase)\n");
			continue;
		}
		uint64_t kept = count[p] < MAX_SAMPLES ? count[p] : MAX_SAMPLES;
		sort(samples[p], kept);
		put(" min=");
		put_u64(lo[p]);
		put(" median=");
		put_u64(samples[p][kept / 2]);
		put(" avg=- max=");
		put_u64(hi[p]);
		put(" n=");
		put_u64(count[p]);
		put("\n");
		worst = hi[p] > worst ? hi[p] : worst;
	}
	put("bench: latency_max value=");
	put_u64(worst);
	put("\nbench: latency_storm_timers value=");
	put_u64(shared->storm_timers);
	put("\nbench: latency_chain_caps value=");
	put_u64(shared->chain);
	put("\nbench: latency_frames_2m value=");
	put_u64(shared->frames);
	put("\nbench: done, ");
	put_u64(failures + shared->failures);
	put(" failures\n");
	m6_power_off(CAP_POWER);
	return 0;
}
