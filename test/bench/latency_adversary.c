/* The latency adversary: below the probe, it does, one phase after another, the worst a
 * component holding only its own untyped memory can make the kernel do in one go, each
 * phase bounded in size (the spec's `args`; docs/performance.md):
 *   idle          spin in user space: the interrupt path alone;
 *   timer_storm   periodic timers at the minimum period, added in growing batches while
 *                 this component still gets at least half the CPU it had (so the storm
 *                 ends on any kernel: an overloaded one would never let it cancel them);
 *   revoke_chain  CNODE_REVOKE of an endpoint cap with `chain` minted children;
 *   delete_cnode  CNODE_DELETE of the last cap to the CNode holding such a chain;
 *   retype_2m     UNTYPED_RETYPE of `frames` 2 MiB frames in one call, and their revoke;
 *   fault_storm   a thread without a fault handler faults `faults` times, resumed by us;
 *   console       `writes` DEBUG_CONSOLE_WRITEs of 504 bytes.
 * Then it signals the probe, which reports. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6/syscall.h>
#include <m6_caps.h>

#include "latency.h"

/* Root CNode slots (the spec's caps sit below). */
#define S_CHAIN      20   /* CNode: slot 0 the endpoint, 1.. its minted children */
#define S_FRAMES     21   /* CNode for the 2 MiB frames */
#define S_NTFN       23   /* the storm's notification */
#define S_NTFN_B     24   /* its badged copy, which every storm timer signals */
#define S_FAULTER    25   /* the thread that faults */
#define S_TIMER0     1024 /* the storm's timers, one root slot each (so they can be invoked) */
#define S_TIMERS_MAX ((1ull << M6_CSPACE_RADIX) - S_TIMER0)
_Static_assert(M6_CSPACE_RADIX >= 11, "the spec's cnode_bits leaves no room for the timers");

#define FAULT_ADDRESS 0x7ff0000000ull /* mapped nowhere */

static struct lat_shared *shared;

/* x0: an address that faults; loads from it forever (each load is a fault). */
void lat_fault_loop(void);
__asm__(".pushsection .text.lat_fault_loop,\"ax\"\n"
        ".global lat_fault_loop\n"
        ".type lat_fault_loop, %function\n"
        "lat_fault_loop:\n"
        "1:	ldr x1, [x0]\n"
        "	b 1b\n"
        ".popsection\n");

static uint64_t counter(void)
{
	uint64_t v;
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
}

static bool ok(uint64_t err, const char *what)
{
	if (err == M6_OK)
		return true;
	char buf[24];
	m6_debug_puts(CAP_DEBUG_CONSOLE, "bench: FAIL latency adversary: ");
	m6_debug_puts(CAP_DEBUG_CONSOLE, what);
	m6_debug_puts(CAP_DEBUG_CONSOLE, ": error ");
	m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(buf, err, 0));
	m6_debug_puts(CAP_DEBUG_CONSOLE, "\n");
	shared->failures++;
	return false;
}

/* Loop iterations in `ticks` of the counter: how much CPU this component gets. */
static uint64_t spin(uint64_t ticks)
{
	uint64_t end = counter() + ticks, n = 0;
	while (counter() < end)
		n++;
	return n;
}

static unsigned bits_for(uint64_t n)
{
	unsigned b = 1;
	while ((1ull << b) < n)
		b++;
	return b;
}

static uint64_t argument(int argc, char **argv, const char *name, uint64_t fallback)
{
	size_t n = strlen(name);
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return strtoull(argv[i] + n + 1, NULL, 0);
	}
	return fallback;
}

static void timer_storm(uint64_t max_timers, uint64_t freq, uint64_t baseline, uint64_t window)
{
	shared->phase = LAT_SETUP;
	if (max_timers > S_TIMERS_MAX)
		max_timers = S_TIMERS_MAX;
	if (!ok(m6_untyped_retype(CAP_POOL, M6_OBJ_NOTIFICATION, 0, M6_CAP_SELF_CNODE, S_NTFN, 1),
	        "retype notification") ||
	    !ok(m6_cnode_mint(M6_CAP_SELF_CNODE, S_NTFN_B, 64, M6_CAP_SELF_CNODE, S_NTFN, 64,
	                      M6_RIGHT_WRITE, 1),
	        "mint notification"))
		return;
	const uint64_t period = freq / 100000; /* 10 us: the shortest the kernel takes */
	uint64_t armed = 0;
	shared->phase = LAT_TIMER_STORM;
	while (armed < max_timers) {
		uint64_t batch = armed / 4 > 8 ? armed / 4 : 8;
		if (batch > max_timers - armed)
			batch = max_timers - armed;
		for (uint64_t done = 0; done < batch;) {
			uint64_t n = batch - done > 256 ? 256 : batch - done;
			if (!ok(m6_untyped_retype(CAP_POOL, M6_OBJ_TIMER, 0, M6_CAP_SELF_CNODE,
			                          S_TIMER0 + armed + done, n),
			        "retype timers"))
				return;
			done += n;
		}
		for (uint64_t i = armed; i < armed + batch; i++) {
			if (!ok(m6_timer_set_notification(S_TIMER0 + i, S_NTFN_B),
			        "timer_set_notification") ||
			    !ok(m6_timer_set(S_TIMER0 + i, counter() + period, period),
			        "timer_set"))
				return;
		}
		armed += batch;
		shared->storm_timers = armed;
		/* Stop growing while we still have half our CPU: one more batch (a quarter
		 * more timers) cannot then take all of it, and we can still cancel them. */
		if (spin(window) * 2 < baseline)
			break;
	}
	spin(window * 5); /* the storm at its height, for the probe */
	shared->phase = LAT_SETUP;
	for (uint64_t i = 0; i < armed; i++)
		ok(m6_cnode_delete(M6_CAP_SELF_CNODE, S_TIMER0 + i, 64), "delete timer");
}

/* Mint `chain` children of the endpoint in S_CHAIN[0] into S_CHAIN[1..chain]. */
static bool mint_chain(uint64_t chain)
{
	for (uint64_t i = 1; i <= chain; i++) {
		if (!ok(m6_cnode_mint(S_CHAIN, i, 64, S_CHAIN, 0, 64, M6_RIGHTS_ALL, i),
		        "mint chain"))
			return false;
	}
	return true;
}

static void chains(uint64_t chain)
{
	shared->phase = LAT_SETUP;
	if (!ok(m6_untyped_retype(CAP_POOL, M6_OBJ_CNODE, bits_for(chain + 1), M6_CAP_SELF_CNODE,
	                          S_CHAIN, 1),
	        "retype chain CNode") ||
	    !ok(m6_untyped_retype(CAP_POOL, M6_OBJ_ENDPOINT, 0, S_CHAIN, 0, 1),
	        "retype endpoint") ||
	    !mint_chain(chain))
		return;
	shared->chain = chain;
	shared->phase = LAT_REVOKE;
	ok(m6_cnode_revoke(S_CHAIN, 0, 64), "revoke chain");
	shared->phase = LAT_SETUP;
	if (!mint_chain(chain))
		return;
	shared->phase = LAT_DELETE;
	ok(m6_cnode_delete(M6_CAP_SELF_CNODE, S_CHAIN, 64), "delete chain CNode");
	shared->phase = LAT_SETUP;
}

static void retypes(uint64_t frames)
{
	shared->phase = LAT_SETUP;
	if (!ok(m6_untyped_retype(CAP_POOL, M6_OBJ_CNODE, bits_for(frames), M6_CAP_SELF_CNODE,
	                          S_FRAMES, 1),
	        "retype frame CNode"))
		return;
	shared->frames = frames;
	for (unsigned round = 0; round < 2; round++) {
		shared->phase = LAT_RETYPE;
		if (!ok(m6_untyped_retype(CAP_BIG, M6_OBJ_FRAME, 21, S_FRAMES, 0, frames),
		        "retype 2 MiB frames") ||
		    !ok(m6_cnode_revoke(M6_CAP_SELF_CNODE, CAP_BIG, 64), "revoke frames"))
			break;
	}
	shared->phase = LAT_SETUP;
}

static void fault_storm(uint64_t faults)
{
	shared->phase = LAT_SETUP;
	uint64_t x0 = FAULT_ADDRESS;
	if (!ok(m6_untyped_retype(CAP_POOL, M6_OBJ_TCB, 0, M6_CAP_SELF_CNODE, S_FAULTER, 1),
	        "retype faulter") ||
	    !ok(m6_tcb_configure(S_FAULTER, 0, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0),
	        "configure faulter") ||
	    /* above us: each resume runs it at once, to its next fault */
	    !ok(m6_tcb_set_priority(S_FAULTER, M6_CAP_SELF_TCB, 25), "faulter priority") ||
	    !ok(m6_tcb_write_registers(S_FAULTER, false, (uint64_t)(uintptr_t)lat_fault_loop, 0,
	                               &x0, 1),
	        "faulter registers"))
		return;
	shared->phase = LAT_FAULTS;
	for (uint64_t i = 0; i < faults; i++) {
		if (!ok(m6_tcb_resume(S_FAULTER), "resume faulter"))
			break;
	}
	shared->phase = LAT_SETUP;
	ok(m6_tcb_suspend(S_FAULTER), "suspend faulter");
}

static void console(uint64_t writes)
{
	/* 504 bytes a call (MR0 the count, MR1..MR63 the bytes): the most one call takes */
	static char line[504];
	for (unsigned i = 0; i < sizeof(line) - 1; i++)
		line[i] = "latency: a long debug console write "[i % 36];
	line[sizeof(line) - 1] = '\n';
	shared->phase = LAT_CONSOLE;
	for (uint64_t w = 0; w < writes; w++) {
		struct m6_msg m = {.info = m6_msginfo(M6_DEBUG_CONSOLE_WRITE, 64)};
		m6_mr_set(&m, 0, sizeof(line));
		for (unsigned i = 0; i < sizeof(line) / 8; i++) {
			uint64_t word;
			memcpy(&word, &line[i * 8], 8);
			m6_mr_set(&m, 1 + i, word);
		}
		if (!ok(m6_call(CAP_DEBUG_CONSOLE, &m), "debug console write"))
			break;
		/* The kernel stops between bytes for a pending interrupt and says how many it
		 * took (MR0): the rest, newline included, goes the ordinary way. */
		uint64_t taken = m6_msginfo_length(m.info) >= 1 ? m6_mr_get(&m, 0) : sizeof(line);
		if (taken < sizeof(line) &&
		    !ok(m6_debug_write(CAP_DEBUG_CONSOLE, line + taken, sizeof(line) - taken),
		        "debug console write (rest)"))
			break;
	}
	shared->phase = LAT_SETUP;
}

int main(int argc, char **argv)
{
	shared = (struct lat_shared *)(uintptr_t)M6_MEM_SHARED_VADDR;
	uint64_t freq;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	const uint64_t window = freq / 1000; /* 1 ms */

	shared->phase = LAT_IDLE;
	uint64_t baseline = spin(window);
	spin(window * 4);
	timer_storm(argument(argc, argv, "timers", 64), freq, baseline, window);
	chains(argument(argc, argv, "chain", 1000));
	retypes(argument(argc, argv, "frames", 4));
	fault_storm(argument(argc, argv, "faults", 10));
	console(argument(argc, argv, "writes", 2));
	spin(window); /* a last wake-up or ten with the phase set to setup */
	m6_signal(CAP_DONE);
	for (;;)
		m6_tcb_suspend(M6_CAP_SELF_TCB);
}
