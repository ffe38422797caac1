/* bench: the in-guest benchmark suite. Counts retired instructions (PMU event 0x08,
 * INST_RETIRED, readable at EL0 under the benchmark kernel) around single kernel
 * operations; under QEMU's `-icount shift=0` every figure is exact and repeats run to run.
 *
 * Method, in one place so every benchmark measures the same way:
 *   - A measured window is `isb; mrs t0; isb; <operation>; isb; mrs t1`, written as one asm
 *     block so the compiler cannot put anything of its own inside it.
 *   - The same window with no operation in it (the "read pair") is measured at start-up;
 *     its count is subtracted from every single-operation sample.
 *   - Each figure reports the minimum, median and maximum of BENCH_SAMPLES single
 *     operations and, where the operation can be repeated on its own, the loop average:
 *     one counter pair around BENCH_LOOP operations, read pair subtracted, divided by
 *     BENCH_LOOP (this includes the loop's own few instructions).
 *   - The event counter is 32 bits wide: differences are taken modulo 2^32, which is
 *     right for any window shorter than 4 billion instructions. */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6/sysinfo.h>
#include <m6/time.h>
#include <m6/syscall.h>
#include <m6_caps.h>

#ifdef BENCH_QUICK /* the smoke test: every benchmark runs, few samples */
#define BENCH_SAMPLES 11u
#define BENCH_LOOP    10u
#else
#define BENCH_SAMPLES 1001u /* odd: the median is one sample */
#define BENCH_LOOP    1000u
#endif
#define BENCH_WARMUP 4u /* operations before sampling: first-time paths are not the figure */

/* ---- instruction counter ---------------------------------------------------------- */

#define BENCH_T0 "isb\n\tmrs %[t0], pmevcntr0_el0\n\tisb\n\t"
#define BENCH_T1 "isb\n\tmrs %[t1], pmevcntr0_el0\n\t"

static inline uint64_t bench_counter(void)
{
	uint64_t v;
	__asm__ volatile("isb\n\tmrs %0, pmevcntr0_el0\n\tisb" : "=r"(v)::"memory");
	return v;
}

static inline uint32_t bench_delta(uint64_t t0, uint64_t t1)
{
	return (uint32_t)(t1 - t0);
}

/* The read pair with nothing between: what every sample has subtracted. */
static inline uint32_t bench_timed_nothing(void)
{
	uint64_t t0, t1;
	__asm__ volatile(BENCH_T0 BENCH_T1 : [t0] "=&r"(t0), [t1] "=&r"(t1)::"memory");
	return bench_delta(t0, t1);
}

/* One system call in a measured window; the registers in and out as m6_syscall. */
static inline uint32_t bench_timed_syscall(uint64_t number, struct m6_msg *m)
{
	register uint64_t x0 __asm__("x0") = m->word0;
	register uint64_t x1 __asm__("x1") = m->info;
	register uint64_t x2 __asm__("x2") = m->mr[0];
	register uint64_t x3 __asm__("x3") = m->mr[1];
	register uint64_t x4 __asm__("x4") = m->mr[2];
	register uint64_t x5 __asm__("x5") = m->mr[3];
	register uint64_t x6 __asm__("x6") = m->mr[4];
	register uint64_t x7 __asm__("x7") = m->mr[5];
	register uint64_t x8 __asm__("x8") = number;
	uint64_t t0, t1;
	__asm__ volatile(BENCH_T0 "svc #0\n\t" BENCH_T1
	                 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6),
	                   "+r"(x7), "+r"(x8), [t0] "=&r"(t0), [t1] "=&r"(t1)
	                 :
	                 : "memory");
	m->word0 = x0;
	m->info = x1;
	m->mr[0] = x2;
	m->mr[1] = x3;
	m->mr[2] = x4;
	m->mr[3] = x5;
	m->mr[4] = x6;
	m->mr[5] = x7;
	m->badge = x8;
	return bench_delta(t0, t1);
}

/* A measurement that ends in another thread: t0 is stored to *slot inside the window,
 * then the system call; the other thread reads t1 (bench_timed_wake). */
static inline void bench_store_then_syscall(uint64_t number, uint64_t cap, volatile uint64_t *slot)
{
	register uint64_t x0 __asm__("x0") = cap;
	register uint64_t x1 __asm__("x1") = 0;
	register uint64_t x8 __asm__("x8") = number;
	uint64_t t0;
	__asm__ volatile(BENCH_T0 "str %[t0], [%[slot]]\n\tsvc #0"
	                 : "+r"(x0), "+r"(x1), "+r"(x8), [t0] "=&r"(t0)
	                 : [slot] "r"(slot)
	                 : "x2", "x3", "x4", "x5", "x6", "x7", "memory");
}

/* As bench_store_then_syscall, a CALL with message info `info` (an invocation's label). */
static inline void bench_store_then_call(uint64_t cap, uint64_t info, volatile uint64_t *slot)
{
	register uint64_t x0 __asm__("x0") = cap;
	register uint64_t x1 __asm__("x1") = info;
	register uint64_t x8 __asm__("x8") = M6_SYS_CALL;
	uint64_t t0;
	__asm__ volatile(BENCH_T0 "str %[t0], [%[slot]]\n\tsvc #0"
	                 : "+r"(x0), "+r"(x1), "+r"(x8), [t0] "=&r"(t0)
	                 : [slot] "r"(slot)
	                 : "x2", "x3", "x4", "x5", "x6", "x7", "memory");
}

/* Its empty window: the read pair plus the store. */
static inline uint32_t bench_timed_store_nothing(volatile uint64_t *slot)
{
	uint64_t t0, t1;
	__asm__ volatile(BENCH_T0 "str %[t0], [%[slot]]\n\t" BENCH_T1
	                 : [t0] "=&r"(t0), [t1] "=&r"(t1)
	                 : [slot] "r"(slot)
	                 : "memory");
	return bench_delta(t0, t1);
}

/* Block in a system call (a wait); the counter read right after it returns. */
static inline uint64_t bench_syscall_then_t1(uint64_t number, uint64_t cap, uint64_t *x0_out)
{
	register uint64_t x0 __asm__("x0") = cap;
	register uint64_t x1 __asm__("x1") = 0;
	register uint64_t x8 __asm__("x8") = number;
	uint64_t t1;
	__asm__ volatile("svc #0\n\t" BENCH_T1
	                 : "+r"(x0), "+r"(x1), "+r"(x8), [t1] "=&r"(t1)
	                 :
	                 : "x2", "x3", "x4", "x5", "x6", "x7", "memory");
	if (x0_out)
		*x0_out = x0;
	return t1;
}

/* ---- results ---------------------------------------------------------------------- */

/* Subtracted from every single-operation sample (see the method above). */
extern uint32_t bench_pair_overhead;

/* Samples of the current benchmark (benchmarks run one at a time). */
extern uint32_t bench_samples[BENCH_SAMPLES];

#define BENCH_NO_LOOP UINT64_MAX

/* Print `bench: NAME min=.. median=.. avg=.. max=.. n=..` from bench_samples[0..n) (the
 * read pair already subtracted) and a loop total over loop_ops operations (read pair not
 * yet subtracted; BENCH_NO_LOOP: none). Every value is divided by `per` (2 for a round
 * trip reported per switch). Sorts bench_samples. */
void bench_report(const char *name, unsigned n, uint64_t loop_total, unsigned loop_ops,
                  unsigned per);
/* Print `bench: NAME value=V` for a figure that is one number. */
void bench_report_value(const char *name, uint64_t value);
void bench_skip(const char *name, const char *why);
/* Record a failure: `bench: FAIL what: error E`. Returns false. */
bool bench_fail(const char *what, uint64_t error);
void bench_puts(const char *s);
void bench_put_u64(uint64_t v);

#define BENCH_OK(expr, what)                                           \
	({                                                             \
		uint64_t bench_e_ = (expr);                            \
		bench_e_ == M6_OK ? true : bench_fail(what, bench_e_); \
	})

/* ---- objects and threads ---------------------------------------------------------- */

/* Root CNode slots the suite uses; the spec's caps sit below BENCH_SLOT_UGLOBAL. */
#define BENCH_ROOT_SLOTS     64
#define BENCH_SLOT_UGLOBAL   14 /* untyped for the suite's lasting objects */
#define BENCH_SLOT_UBENCH    15 /* untyped for one benchmark's objects, revoked after it */
#define BENCH_SLOT_SHARED    16 /* 2 MiB frame: stacks and shared data, main VSpace */
#define BENCH_SLOT_SHARED2   17 /* the same frame mapped in the second VSpace */
#define BENCH_SLOT_VS2       18 /* the second VSpace ("clone") */
#define BENCH_SLOT_VS2_PT1   19
#define BENCH_SLOT_VS2_PT2   20
#define BENCH_SLOT_VS2_PT3   21
#define BENCH_SLOT_VS2_IMAGE 22 /* 2 MiB frame: copy of this program's image, RX */
#define BENCH_SLOT_IPC_PT    23 /* main VSpace table for the helpers' IPC buffers */
#define BENCH_SLOT_IPC0      24 /* BENCH_THREADS IPC buffer frames */
#define BENCH_FIRST_SLOT     34 /* per-benchmark slots (after the IPC buffers) */

/* Thread indices 0..3 run in the main VSpace, 4..5 in the second one. */
#define BENCH_THREADS     10
#define BENCH_FIRST_CLONE 4 /* threads 4 and 5 run in the second VSpace */
#define BENCH_CLONES      2
#define BENCH_FIRST_SMP   6 /* threads 6..9: main VSpace again (the SMP benchmarks) */
static inline bool bench_is_clone(unsigned index)
{
	return index >= BENCH_FIRST_CLONE && index < BENCH_FIRST_CLONE + BENCH_CLONES;
}
#define BENCH_SHARED_VA     0x20000000ull /* 2 MiB, both VSpaces */
#define BENCH_IPC_VA        0x20200000ull /* IPC buffer of thread i at + i * 4 KiB */
#define BENCH_STACK_SIZE    0x8000ull
#define BENCH_SHARED_DATA   (BENCH_SHARED_VA + 0x100000)
#define BENCH_IMAGE_VA      0x400000ull
#define BENCH_IMAGE_SCRATCH 0x22000000ull /* where the image copy is written */

_Static_assert(CAP_POOL < BENCH_SLOT_UGLOBAL && CAP_DEBUG_CONSOLE < BENCH_SLOT_UGLOBAL &&
                   CAP_POWER < BENCH_SLOT_UGLOBAL && CAP_ASID_POOL < BENCH_SLOT_UGLOBAL &&
                   CAP_IRQ_CONTROL < BENCH_SLOT_UGLOBAL && CAP_ECAM < BENCH_SLOT_UGLOBAL &&
                   CAP_BAR < BENCH_SLOT_UGLOBAL,
               "spec caps must sit below the suite's slots");

/* Priorities: main runs at BENCH_PRIO_MAIN; servers and partners at the same level unless
 * a benchmark needs an order (its comment says so). The spec gives main a maximum of 200. */
#define BENCH_PRIO_MAIN 100
#define BENCH_PRIO_HIGH 150

/* Data every thread of both VSpaces sees at BENCH_SHARED_DATA. */
struct bench_shared {
	volatile uint64_t t0;        /* counter at the start of a cross-thread window */
	volatile uint64_t spin_last; /* the spinner's latest counter read */
};

static inline struct bench_shared *bench_shared(void)
{
	return (struct bench_shared *)(uintptr_t)BENCH_SHARED_DATA;
}

/* A fresh per-benchmark slot / object (0 on failure, reported). */
m6_cptr_t bench_slot(void);
m6_cptr_t bench_new(uint64_t type, uint64_t size_bits);

/* Start thread `index` (its VSpace follows from the index) at `pc` with x0.. = x[0..nx),
 * its own stack and IPC buffer, priority `prio`, fault endpoint `fault_ep` (0: none).
 * Returns its TCB cptr, 0 on failure. */
m6_cptr_t bench_thread(unsigned index, uint64_t pc, const uint64_t *x, unsigned nx, uint64_t prio,
                       m6_cptr_t fault_ep);
struct m6_ipc_buffer *bench_thread_ipc(unsigned index);

/* A thread in the main VSpace running fn(arg), which signals `done` when fn returns (with
 * a badge: a signal with badge 0 sets no bit, and is lost if nobody waits yet). */
struct bench_helper {
	void (*fn)(struct bench_helper *self);
	uint64_t arg[4];
	m6_cptr_t done;   /* notification main waits on */
	m6_cptr_t signal; /* badged cap to it (set by bench_helper_start) */
	m6_cptr_t tcb;
	m6_cptr_t other; /* a thread to suspend before signalling (e.g. a spinner) */
	uint64_t result[2];
};
m6_cptr_t bench_helper_start(unsigned index, struct bench_helper *h, uint64_t prio,
                             m6_cptr_t fault_ep);

/* Far-side loops (servers.S); they run in either VSpace and touch no globals. */
void bench_server_loop(void);
void bench_server_grant_loop(void);
void bench_yield_loop(void);
void bench_fault_handler_loop(void);
void bench_ntfn_partner_loop(void);
void bench_spin_loop(void);

/* ---- the benchmarks (ops.c) -------------------------------------------------------- */

void bench_null_syscalls(void);
void bench_yield(void);
void bench_ipc(bool cross_as);
void bench_notification(void);
void bench_lpi(void);
void bench_page_fault(void);
void bench_timer_irq(void);
void bench_context_switch(void);
void bench_retype_revoke(void);
void bench_timer_storm(void);
void bench_smp(void);

#endif
