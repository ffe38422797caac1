/* The fuzzer: an unprivileged component whose fuzz thread issues random invocations and
 * system calls, with random and near-valid arguments, on objects of its own.
 *
 * The work is cut into rounds. For each round the main thread (the supervisor) builds a
 * fresh world from the component's untyped pool: a CNode F that is the fuzz thread's
 * whole CSpace, holding an untyped, notifications, a timer, frames, page tables, TCBs, a
 * small CNode, a copy of the component's VSpace and two caps to an endpoint that the echo
 * thread serves; then it starts the fuzz thread on F with the round's seed. The fuzz
 * thread can reach nothing else: not its own TCB, not the supervisor's caps, no other
 * component. Its system calls never block for good: endpoints it could make are turned
 * into notifications, the only endpoint it holds is served by a higher-priority thread,
 * and it never RECVs. Unknown system call numbers fault to the supervisor, which answers
 * them; the round ends with one agreed unknown call. Then the supervisor revokes the pool,
 * which destroys everything the round made, and starts the next round.
 *
 * Every round's invocations follow from the seed alone (not from the kernel's answers),
 * so a seed replays a run: `make fuzz SEED=... INVOCATIONS=...` (the spec's `args`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6/syscall.h>
#include <m6/thread.h>
#include <m6_caps.h>

#include "fuzz_common.h"

#include "../common/fuzz_labels.h"

#define ROUND_INVOCATIONS 2000u

/* Main CNode slots the supervisor uses (the spec's caps sit below). */
#define S_F   40 /* the fuzz thread's CSpace */
#define S_TCB 41 /* the fuzz thread */
#define S_PT  42 /* page table for its IPC buffer */
#define S_IPC 43 /* its IPC buffer frame */
_Static_assert(M6_CSPACE_RADIX >= 6, "the spec's cnode_bits leaves no room for S_*");

#define FUZZ_IPC_VA 0x10000000ull /* a 2 MiB slot of the first GiB nothing else uses */

/* F: radix 8, guard 56, so cptr = slot. The layout of a fresh round; everything past
 * F_USED starts empty (retype and copy targets). */
#define F_RADIX 8
#define F_SLOTS (1u << F_RADIX)
enum {
	F_SELF = 1,    /* F itself */
	F_VSPACE = 2,  /* the component's VSpace (a copy) */
	F_TCB_A = 3,   /* scratch TCB (never its own) */
	F_UNTYPED = 4, /* 4 MiB: what it retypes from */
	F_ECHO = 5,    /* the echo endpoint, call right, badge 5 */
	F_ECHO_R = 6,  /* the echo endpoint, read right */
	F_NTFN_A = 7,  /* notifications and badged copies */
	F_NTFN_B = 8,
	F_NTFN_A1 = 9,  /* A, write, badge 1 */
	F_NTFN_B2 = 10, /* B, all rights, badge 2 */
	F_TIMER = 11,
	F_FRAME_A = 12, /* 4 KiB */
	F_FRAME_B = 13, /* 4 KiB */
	F_FRAME_L = 14, /* 2 MiB */
	F_PT_A = 15,
	F_PT_B = 16,
	F_TCB_B = 17,
	F_CNODE = 18, /* radix 4 */
	F_UNTYPED_S = 19 /* 16 KiB */,
	F_USED = 20,
};

/* The unknown system call that ends a round (x0 = FUZZ_DONE_MAGIC). The generator
 * never issues it. */
#define FUZZ_SYS_ROUND_DONE 0x6d36f022ull
#define FUZZ_DONE_MAGIC     0x646f6e65ull

struct fuzz_round {
	uint64_t seed;
	uint64_t count;
	volatile uint64_t issued;
	volatile uint64_t succeeded; /* calls that returned M6_OK: the arguments were valid */
};

static struct fuzz_round round_state;
static uint64_t fuzz_stack[4096] __attribute__((aligned(16)));

/* ---- the generator (runs in the fuzz thread: no TLS, no stdio) --------------------- */

static const uint64_t labels[] = {
    M6_FUZZ_OBJECT_LABELS,  M6_UNTYPED_RETYPE, /* twice as likely: it makes the objects the others
                                                  work on */
    M6_DEBUG_CONSOLE_WRITE, M6_POWER_CONTROL,          M6_SYSTEM_INFO_MEMORY,
    M6_SYSTEM_INFO_THREAD,  M6_ASID_CONTROL_MAKE_POOL,
};

static const uint64_t boundaries[] = {
    0,
    1,
    2,
    63,
    64,
    65,
    255,
    256,
    4095,
    4096,
    0xffffffffull,
    0x100000000ull,
    1ull << 62,
    (1ull << 62) - 1,
    1ull << 63,
    ~0ull,
    ~0ull - 1,
    0x7fffffffffffffffull,
};

static uint64_t pick(uint64_t *s, const uint64_t *a, unsigned n)
{
	return a[fuzz_rand(s) % n];
}

#define PICK(s, a) pick(s, a, sizeof(a) / sizeof(a[0]))

static uint64_t counter(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

/* A cptr: mostly a slot that held something at the round's start, sometimes any slot,
 * one past the CNode, or garbage. */
static uint64_t random_cptr(uint64_t *s)
{
	uint64_t r = fuzz_rand(s);
	switch (r % 8) {
	case 0:
		return (r >> 8) % F_SLOTS;
	case 1:
		return (r >> 8) % 4 == 0 ? F_SLOTS : (r >> 8) % 3 == 0 ? ~0ull : r;
	default:
		return 1 + (r >> 8) % (F_USED - 1);
	}
}

/* An argument word: cptrs, depths, types and sizes, addresses, rights, deadlines,
 * boundary values, and plain noise. */
static uint64_t random_word(uint64_t *s)
{
	uint64_t r = fuzz_rand(s);
	uint64_t v = r >> 8;
	switch (r % 14) {
	case 0:
	case 1:
	case 2:
		return random_cptr(s);
	case 3:
		return v % 2 ? 64 : (uint64_t[]){0, 1, 8, 56, 63, 65, 128}[(v >> 1) % 7];
	case 4:
		return PICK(s, boundaries);
	case 5:
		return v % (M6_OBJ_COUNT + 2); /* object types */
	case 6:
		return (uint64_t[]){0, 2, 4, 8, 12, 14, 16, 21, 22, 30, 47, 48, 63, 64}[v % 14];
	case 7: /* addresses: 4 KiB and 2 MiB aligned, in and out of the usual places */
		return (v % 2 ? 0x40000000ull + (v % 4096) * 4096
		              : 0x8000000000ull * (v % 4) + ((v >> 2) % 512) * 0x200000);
	case 8:
		return v % 32; /* rights */
	case 9:                /* deadlines and periods around now */
		return v % 2 ? counter() + v % 100000 : v % 3000;
	case 10:
		return v % F_SLOTS; /* slot indices */
	case 11:
		return v % 300; /* priorities, counts, small numbers */
	default:
		return fuzz_rand(s);
	}
}

static bool one_call(uint64_t *s, struct m6_ipc_buffer *ipc)
{
	uint64_t kind = fuzz_rand(s) % 1000;
	/* Unknown numbers and yields are rare: each hands the CPU to the checking components
	 * for their slices, which would make the run mostly theirs. */
	uint64_t number = M6_SYS_CALL;
	if (kind >= 998)
		number =
		    (uint64_t[]){0, 9, 10, 15, 16, 255, 0x100000000ull, ~0ull}[fuzz_rand(s) % 8];
	else if (kind >= 995)
		number = fuzz_rand(s) % 2 ? M6_SYS_YIELD : M6_SYS_REPLY;
	else if (kind >= 940)
		number = M6_SYS_SEND;
	else if (kind >= 900)
		number = M6_SYS_NBRECV;
	else if (kind >= 840)
		number = M6_SYS_NBSEND;

	uint64_t label = fuzz_rand(s) % 8 ? PICK(s, labels) : fuzz_rand(s) % 128;
	if (label == M6_TCB_RESUME)
		label = M6_TCB_SUSPEND; /* scratch threads at a random pc would only fault */
	uint64_t r = fuzz_rand(s);
	unsigned len = r % 16 ? (unsigned)((r >> 8) % 12)
	                      : (unsigned)(uint64_t[]){0, 6, 7, 34, 63, 64, 65, 127}[(r >> 8) % 8];
	uint64_t caps = (r >> 16) % 16 == 0 ? (r >> 20) % 4 : 0;
	struct m6_msg m = {.word0 = random_cptr(s),
	                   .info = m6_msginfo(label, len) | caps << M6_MSGINFO_CAPS_SHIFT};
	for (unsigned i = 0; i < len && i < M6_MSG_MAX_WORDS; i++) {
		uint64_t w = random_word(s);
		if (label == M6_TCB_WRITE_REGISTERS && i == 0)
			w = 0; /* never resume */
		if (label == M6_UNTYPED_RETYPE && i == 0 && w == M6_OBJ_ENDPOINT)
			w = M6_OBJ_NOTIFICATION; /* an endpoint nobody serves could block a call */
		m6_mr_set_buf(ipc, &m, i, w);
	}
	if (caps)
		ipc->send_cap = random_cptr(s);
	if (fuzz_rand(s) % 8 == 0) {
		ipc->receive_cnode = fuzz_rand(s) % 2 ? F_SELF : random_cptr(s);
		ipc->receive_index = random_word(s);
		ipc->receive_depth = random_word(s);
	}
	m6_syscall(number, &m);
	return m.word0 == M6_OK;
}

/* The fuzz thread's entry: x0 = the round. Never returns: its last call faults. */
__attribute__((noreturn)) static void fuzz_thread(struct fuzz_round *r)
{
	struct m6_ipc_buffer *ipc = (struct m6_ipc_buffer *)(uintptr_t)FUZZ_IPC_VA;
	uint64_t s = r->seed;
	for (uint64_t n = 0; n < r->count; n++) {
		if (one_call(&s, ipc))
			r->succeeded++;
		r->issued = n + 1;
	}
	for (;;) {
		struct m6_msg m = {.word0 = FUZZ_DONE_MAGIC};
		m6_syscall(FUZZ_SYS_ROUND_DONE, &m);
	}
}

/* ---- the echo thread: answers every call on the endpoint the fuzz thread holds ----- */

static void echo(uint64_t arg)
{
	(void)arg;
	struct m6_msg m;
	m6_recv(CAP_ECHO, &m);
	for (;;) {
		m.info = m6_msginfo(0, 0);
		m6_reply_recv(CAP_ECHO, &m);
	}
}
M6_THREAD_ENTRY(echo_entry, echo);

/* ---- the supervisor --------------------------------------------------------------- */

static uint64_t round_failures, faults_served, succeeded;

static bool ok(uint64_t err, const char *what)
{
	if (err == M6_OK)
		return true;
	printf("fuzz: FAIL setting up a round: %s: error %lu\n", what, err);
	round_failures++;
	return false;
}

static bool retype(uint64_t type, uint64_t bits, m6_cptr_t cnode, uint64_t slot)
{
	return ok(m6_untyped_retype(CAP_POOL, type, bits, cnode, slot, 1), "retype");
}

/* The fresh world of one round (see the top of the file). */
static bool build_round(void)
{
	const uint64_t rw = M6_RIGHT_READ | M6_RIGHT_WRITE;
	if (!retype(M6_OBJ_CNODE, F_RADIX, M6_CAP_SELF_CNODE, S_F) ||
	    !retype(M6_OBJ_UNTYPED, 22, S_F, F_UNTYPED) ||
	    !retype(M6_OBJ_FRAME, 21, S_F, F_FRAME_L) ||
	    !retype(M6_OBJ_TCB, 0, M6_CAP_SELF_CNODE, S_TCB) ||
	    !retype(M6_OBJ_PAGE_TABLE, 0, M6_CAP_SELF_CNODE, S_PT) ||
	    !retype(M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, S_IPC) ||
	    !retype(M6_OBJ_TCB, 0, S_F, F_TCB_A) || !retype(M6_OBJ_TCB, 0, S_F, F_TCB_B) ||
	    !retype(M6_OBJ_NOTIFICATION, 0, S_F, F_NTFN_A) ||
	    !retype(M6_OBJ_NOTIFICATION, 0, S_F, F_NTFN_B) ||
	    !retype(M6_OBJ_TIMER, 0, S_F, F_TIMER) || !retype(M6_OBJ_FRAME, 12, S_F, F_FRAME_A) ||
	    !retype(M6_OBJ_FRAME, 12, S_F, F_FRAME_B) ||
	    !retype(M6_OBJ_PAGE_TABLE, 0, S_F, F_PT_A) ||
	    !retype(M6_OBJ_PAGE_TABLE, 0, S_F, F_PT_B) || !retype(M6_OBJ_CNODE, 4, S_F, F_CNODE) ||
	    !retype(M6_OBJ_UNTYPED, 14, S_F, F_UNTYPED_S))
		return false;
	if (!ok(m6_cnode_copy(S_F, F_SELF, 64, M6_CAP_SELF_CNODE, S_F, 64, M6_RIGHTS_ALL),
	        "copy F") ||
	    !ok(m6_cnode_copy(S_F, F_VSPACE, 64, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 64,
	                      M6_RIGHTS_ALL),
	        "copy VSpace") ||
	    !ok(m6_cnode_mint(S_F, F_ECHO, 64, M6_CAP_SELF_CNODE, CAP_ECHO_CALL, 64, M6_RIGHTS_ALL,
	                      5),
	        "mint echo") ||
	    !ok(m6_cnode_copy(S_F, F_ECHO_R, 64, M6_CAP_SELF_CNODE, CAP_ECHO, 64, M6_RIGHT_READ),
	        "copy echo") ||
	    !ok(m6_cnode_mint(S_F, F_NTFN_A1, 64, S_F, F_NTFN_A, 64, M6_RIGHT_WRITE, 1),
	        "mint notification") ||
	    !ok(m6_cnode_mint(S_F, F_NTFN_B2, 64, S_F, F_NTFN_B, 64, M6_RIGHTS_ALL, 2),
	        "mint notification"))
		return false;
	/* the fuzz thread: its own IPC buffer, F as its CSpace, faults to us */
	round_state.issued = 0;
	round_state.succeeded = 0;
	return ok(m6_page_table_map(S_PT, M6_CAP_SELF_VSPACE, FUZZ_IPC_VA, 3), "map table") &&
	       ok(m6_frame_map(S_IPC, M6_CAP_SELF_VSPACE, FUZZ_IPC_VA, rw), "map IPC buffer") &&
	       ok(m6_tcb_configure(S_TCB, CAP_FAULTS_SEND, S_F, M6_CAP_SELF_VSPACE, FUZZ_IPC_VA,
	                           S_IPC),
	          "configure") &&
	       ok(m6_tcb_set_priority(S_TCB, M6_CAP_SELF_TCB, 100), "priority") &&
	       ok(m6_tcb_set_timeslice(S_TCB, M6_CAP_SELF_TCB, 1000), "timeslice");
}

/* Run one round of `count` invocations from `seed`; false if it went wrong. */
static bool run_round(uint64_t round, uint64_t seed, uint64_t count)
{
	round_state.seed = seed;
	round_state.count = count;
	bool good = build_round();
	uint64_t x0 = (uint64_t)(uintptr_t)&round_state;
	if (good)
		good = ok(m6_tcb_write_registers(S_TCB, true, (uint64_t)(uintptr_t)fuzz_thread,
		                                 (uint64_t)(uintptr_t)&fuzz_stack[4096], &x0, 1),
		          "start");
	while (good) {
		struct m6_msg m;
		m6_recv(CAP_FAULTS, &m);
		uint64_t label = m6_msginfo_label(m.info);
		if (label == M6_FAULT_UNKNOWN_SYSCALL && m6_mr_get(&m, 8) == FUZZ_SYS_ROUND_DONE &&
		    m.mr[0] == FUZZ_DONE_MAGIC)
			break; /* left waiting for a reply: the revoke below ends it */
		if (label == M6_FAULT_UNKNOWN_SYSCALL) {
			faults_served++;
			m.info = m6_msginfo(M6_FAULT_REPLY_RESUME, 1);
			m.mr[0] = M6_ERR_INVALID_SYSCALL;
			m6_reply(&m);
			continue;
		}
		printf("fuzz: FAIL round %lu (seed 0x%016lx): fault %lu"
		       " after %lu invocations: %#lx %#lx %#lx\n",
		       round, seed, label, round_state.issued, m.mr[0], m.mr[1], m.mr[2]);
		good = false;
	}
	if (!good)
		round_failures++;
	/* everything the round made came from the pool: the fuzz thread, F and all in it */
	if (m6_cnode_revoke(M6_CAP_SELF_CNODE, CAP_POOL, 64) != M6_OK) {
		printf("fuzz: FAIL: revoking the pool after round %lu\n", round);
		round_failures++;
		return false;
	}
	return good && round_state.issued == count;
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

int main(int argc, char **argv)
{
	uint64_t seed = argument(argc, argv, "seed", 1);
	uint64_t total = argument(argc, argv, "invocations", 20000);
	printf("fuzz: seed 0x%016lx, %lu invocations in rounds of %u "
	       "(replay: make fuzz SEED=0x%lx INVOCATIONS=%lu)\n",
	       seed, total, ROUND_INVOCATIONS, seed, total);
	uint64_t done = 0, rounds = 0, bad_rounds = 0, mix = seed;
	while (done < total) {
		uint64_t count =
		    total - done < ROUND_INVOCATIONS ? total - done : ROUND_INVOCATIONS;
		if (!run_round(rounds, fuzz_rand(&mix), count))
			bad_rounds++;
		done += round_state.issued;
		succeeded += round_state.succeeded;
		rounds++;
		if (rounds % 100 == 0)
			printf("fuzz: %lu invocations in %lu rounds\n", done, rounds);
	}
	bool good = bad_rounds == 0 && round_failures == 0 && done == total;
	printf("fuzz: fuzzer done: %lu invocations, %lu rounds, %lu bad, %lu returned M6_OK, %lu "
	       "unknown system calls answered\n",
	       done, rounds, bad_rounds, succeeded, faults_served);
	struct m6_msg m = {.info = m6_msginfo(FUZZ_REPORT_FUZZER, 6),
	                   .mr = {good, done, rounds, bad_rounds, seed, faults_served}};
	m6_call(CAP_REPORT, &m);
	for (;;)
		m6_tcb_suspend(M6_CAP_SELF_TCB);
}
