/* ktest: a tiny test framework and the helpers every test file shares.
 *
 * A test is `TEST(name) { ... }` in one of the t_*.c files, listed in that file's suite
 * table. The runner (ktest.c) gives each test fresh objects: everything a test creates
 * comes from the untyped U_TEST, which is revoked after the test, and every per-test slot
 * is emptied. Checks print `FAIL test: file:line: expr: got X expected Y` and let the test
 * go on; REQUIRE_* checks end the test (its setup failed, the rest would be noise). */
#ifndef KTEST_H
#define KTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/time.h>
#include <m6/runtime.h>
#include <m6/syscall.h>
#include <m6_caps.h>

/* ---- the framework ---------------------------------------------------------------- */

struct kt_test {
	const char *name;
	void (*fn)(void);
};

#define TEST(name) static void test_##name(void)
#define KT_ENTRY(name)             \
	{                          \
#name, test_##name \
	}
#define KT_END             \
	{                  \
		NULL, NULL \
	}

/* Record a failed check (prints the FAIL line); returns false. */
bool kt_fail_eq(const char *file, int line, const char *expr, uint64_t got, uint64_t expected,
                bool errors);
bool kt_fail_msg(const char *file, int line, const char *what, uint64_t value);

#define CHECK_EQ(expr, expected)                                                             \
	({                                                                                   \
		uint64_t kt_g_ = (uint64_t)(expr), kt_e_ = (uint64_t)(expected);             \
		kt_g_ == kt_e_ ? true                                                        \
		               : kt_fail_eq(__FILE__, __LINE__, #expr, kt_g_, kt_e_, false); \
	})
/* As CHECK_EQ, printing both values as m6 error names. */
#define CHECK_ERR(expr, expected)                                                                  \
	({                                                                                         \
		uint64_t kt_g_ = (uint64_t)(expr), kt_e_ = (uint64_t)(expected);                   \
		kt_g_ == kt_e_ ? true : kt_fail_eq(__FILE__, __LINE__, #expr, kt_g_, kt_e_, true); \
	})
#define CHECK_OK(expr) CHECK_ERR(expr, M6_OK)
/* Any error will do (the ABI does not pin which one); success is the failure. */
#define CHECK_FAILS(expr)                                                                       \
	({                                                                                      \
		uint64_t kt_g_ = (uint64_t)(expr);                                              \
		kt_g_ != M6_OK ? true : kt_fail_msg(__FILE__, __LINE__, #expr " succeeded", 0); \
	})
#define CHECK(cond) ((cond) ? true : kt_fail_msg(__FILE__, __LINE__, #cond " is false", 0))

#define REQUIRE_OK(expr)             \
	do {                         \
		if (!CHECK_OK(expr)) \
			return;      \
	} while (0)
#define REQUIRE(cond)             \
	do {                      \
		if (!CHECK(cond)) \
			return;   \
	} while (0)
#define REQUIRE_EQ(expr, expected)             \
	do {                                   \
		if (!CHECK_EQ(expr, expected)) \
			return;                \
	} while (0)

/* Output through the debug console. */
void kt_puts(const char *s);
void kt_put_u64(uint64_t v, bool hex);

/* ---- CSpace layout ---------------------------------------------------------------- */

/* The root CNode (radix 6: slots 0..63); slots below KT_SLOT_UGLOBAL are the spec's. */
#define KT_ROOT_RADIX      6
#define KT_ROOT_SLOTS      64
#define KT_SLOT_UGLOBAL    12 /* 4 MiB untyped for suite infrastructure */
#define KT_SLOT_UTEST      13 /* 8 MiB untyped, revoked after every test */
#define KT_SLOT_FAULT_EP   14 /* default fault endpoint of helper threads */
#define KT_SLOT_IPC_PT     15 /* page table holding the helpers' IPC buffers */
#define KT_SLOT_IPC_MAPPED 16 /* CNode keeping the caps that map the IPC buffers */
#define KT_SLOT_IPC_FRAME0 17 /* KT_MAX_THREADS unmapped caps of those frames */
#define KT_FIRST_TEST_SLOT 25 /* per-test slots: emptied after every test */
#define KT_UTEST_BITS      23
#define KT_MAX_THREADS     8
#define KT_IPC_REGION      0x20000000ull
#define KT_STACK_SIZE      16384

_Static_assert(CAP_POOL < KT_SLOT_UGLOBAL && CAP_POWER < KT_SLOT_UGLOBAL &&
                   CAP_SYSTEM_INFO < KT_SLOT_UGLOBAL && CAP_DEBUG_CONSOLE < KT_SLOT_UGLOBAL &&
                   CAP_IRQ_CONTROL < KT_SLOT_UGLOBAL && CAP_ASID_POOL < KT_SLOT_UGLOBAL &&
                   CAP_ASID_CONTROL < KT_SLOT_UGLOBAL && CAP_IOSPACE_CONTROL < KT_SLOT_UGLOBAL,
               "spec caps must sit below the suite's slots");

/* Priorities: the main thread lowers itself to KT_MAIN_PRIO at start, so tests can run
 * helpers above it (up to its max priority, the spec's 200) and below. */
#define KT_MCP         200
#define KT_MAIN_PRIO   100
#define KT_HELPER_PRIO 120

/* A free per-test slot in the root CNode (0 when none is left: the test fails). */
m6_cptr_t kt_slot(void);
/* Create one object from U_TEST in a fresh per-test slot; 0 on failure (reported). */
m6_cptr_t kt_new(uint64_t type, uint64_t size_bits);
/* A VSpace from U_TEST with an ASID from the suite's pool (CAP_ASID_POOL): one that can
 * be mapped into and run. 0 on failure (reported). */
m6_cptr_t kt_new_vspace(void);
/* Copy / mint a cap into a fresh per-test slot; 0 on failure (reported). */
m6_cptr_t kt_copy(m6_cptr_t src, uint64_t rights);
m6_cptr_t kt_mint(m6_cptr_t src, uint64_t rights, uint64_t badge);
/* Whether a root slot holds a cap: a copy of it succeeds. */
bool kt_occupied(m6_cptr_t cptr);

/* A fresh 2 MiB-aligned region of the main VSpace with a level-3 page table from
 * U_TEST installed; 0 on failure. */
uint64_t kt_region(void);
/* A fresh 2 MiB-aligned region with no page table below level 2 (for 2 MiB frames). */
uint64_t kt_region_2m(void);
/* Retype a frame and map it at vaddr with rights; returns its cptr or 0. */
m6_cptr_t kt_map_new_frame(uint64_t vaddr, uint64_t rights);

/* ---- helper threads --------------------------------------------------------------- */

struct kt_thread;
typedef uint64_t (*kt_thread_fn)(struct kt_thread *self);

struct kt_thread {
	m6_cptr_t tcb;
	unsigned index;
	kt_thread_fn fn;
	uint64_t arg[6];
	struct m6_ipc_buffer *ipc; /* its IPC buffer (NULL: none) */
	volatile uint64_t result;
	volatile uint64_t out[8];
	volatile bool started;
	volatile bool done;
};

/* Create (not start) a helper running fn(self) at `priority` in the main CSpace and
 * VSpace, with an IPC buffer and the default fault endpoint. false on failure. */
bool kt_thread_create(struct kt_thread *t, kt_thread_fn fn, uint64_t priority);
/* Give a created thread its own fault endpoint cap instead of the suite's default (its
 * CSpace, VSpace and IPC buffer stay). M6_OK or the configure's error. */
uint64_t kt_thread_set_fault_ep(struct kt_thread *t, m6_cptr_t fault_ep);
/* Create and resume. */
bool kt_thread_start(struct kt_thread *t, kt_thread_fn fn, uint64_t priority);
/* Forget the per-test slots and threads, for a test that revoked U_TEST itself. */
void kt_reset_objects(void);
/* Address the thread starts at and its stack top (for write_registers tests). */
uint64_t kt_thread_entry_pc(void);
uint64_t kt_thread_stack_top(const struct kt_thread *t);
/* A helper body: out[1] = 1, then a call (label 0x42, MR0 0x1234) to the cap in arg[0];
 * out[0] = its result, out[2] = the badge of the answer. */
uint64_t kt_fn_call(struct kt_thread *self);
/* Yield up to `rounds` times until the thread is done; true when it is. */
bool kt_join(struct kt_thread *t, unsigned rounds);
/* Yield up to `rounds` times until *flag != 0. */
bool kt_wait_flag(volatile uint64_t *flag, unsigned rounds);

/* ---- IPC helpers ------------------------------------------------------------------ */

/* Non-blocking send of an empty message (label 1); returns x0. */
static inline uint64_t kt_nbsend(m6_cptr_t cap)
{
	struct m6_msg m = {.word0 = cap, .info = m6_msginfo(1, 0)};
	m6_syscall(M6_SYS_NBSEND, &m);
	return m.word0;
}

/* Non-blocking receive; returns x0 (badge, or an error with info 0). */
static inline uint64_t kt_nbrecv(m6_cptr_t cap, struct m6_msg *m)
{
	m->word0 = cap;
	m->info = 0;
	m6_syscall(M6_SYS_NBRECV, m);
	return m->word0;
}

/* Frames `ut` still yields, counted by retyping into `cnode` slots 0.. until it refuses;
 * then `ut` is revoked, so the probe leaves nothing behind. */
unsigned kt_count_frames(m6_cptr_t ut, m6_cptr_t cnode, unsigned max);

/* NBRECV up to `rounds` times with yields in between; returns the badge and fills `m`,
 * or sets *ok false when nothing came. Never blocks, so a missing message fails the
 * test instead of hanging the suite. */
uint64_t kt_recv_poll(m6_cptr_t ep, struct m6_msg *m, unsigned rounds, bool *ok);

/* ---- time ------------------------------------------------------------------------- */

/* The system counter, as libm6 reads it. */
static inline uint64_t kt_ticks(void)
{
	return m6_counter();
}

static inline uint64_t kt_tick_freq(void)
{
	return m6_counter_frequency();
}

/* How long a test waits for an event before it calls it missing: generous, because a
 * loaded host can stop QEMU for a long time, and the guest's clock runs on meanwhile.
 * Tests wait for events and use this only as a bound; no test passes or fails on how
 * long something took. */
#define KT_PATIENCE_MS 5000

/* Block main until `ms` have passed, on a timer (so lower priorities run meanwhile);
 * false if the timer does not work. */
bool kt_sleep_ms(uint64_t ms);
/* Block main in 1 ms sleeps on one timer (so lower priorities run meanwhile) until
 * cond(arg) holds; false if it still does not after KT_PATIENCE_MS, or the timer fails.
 * For "a lower priority runs while main blocks": a single sleep of a fixed length may
 * not block at all when the host stops QEMU past its deadline before the wait. */
bool kt_sleep_until(bool (*cond)(void *arg), void *arg);

/* ---- misc ------------------------------------------------------------------------- */

static inline uint64_t kt_rand(uint64_t *state)
{
	/* xorshift64*: fixed seeds make every run the same run */
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* The main thread's IPC buffer. */
#define KT_IPC (m6_ipc_buffer())

/* Labels that are no operation of any object. */
#define KT_BAD_LABEL 0x7777

/* Suites, in run order. */
extern const struct kt_test kt_suite_untyped[];
extern const struct kt_test kt_suite_cnode[];
extern const struct kt_test kt_suite_tcb[];
extern const struct kt_test kt_suite_vspace[];
extern const struct kt_test kt_suite_ipc[];
extern const struct kt_test kt_suite_notification[];
extern const struct kt_test kt_suite_irq_timer[];
extern const struct kt_test kt_suite_fault[];
extern const struct kt_test kt_suite_sched[];
extern const struct kt_test kt_suite_stress[];
extern const struct kt_test kt_suite_fuzz[];
extern const struct kt_test kt_suite_paths[];
extern const struct kt_test kt_suite_smp[];
extern const struct kt_test kt_suite_misc[];
extern const struct kt_test kt_suite_rights[];
extern const struct kt_test kt_suite_asid[];
extern const struct kt_test kt_suite_arch[];
/* Run alone, by the ktest_flood system (argv[1] "flood"): its faults are reported. */
extern const struct kt_test kt_suite_flood[];
extern const struct kt_test kt_suite_revoke[];
extern const struct kt_test kt_suite_its[];
extern const struct kt_test kt_suite_timer_storm[];
extern const struct kt_test kt_suite_iospace[];
extern const struct kt_test kt_suite_reply_cap[];

#endif
