/* Supervision (docs/supervision.md): what a supervisor reads to restart a component, and
 * what a restarted component learns at start.
 *
 * The spec compiler gives a supervisor (`restart by SUPERVISOR.ENDPOINT` in the restarted
 * component) one 64 GiB slot per component it restarts, at M6_LAYOUT_SUPERVISION_BASE +
 * (badge - 1) * M6_LAYOUT_SUPERVISION_STRIDE, holding:
 *   +0                          the restart plan below (read-only);
 *   +M6_LAYOUT_SUPERVISION_WRITABLE  the component's writable private pages (image data
 *                               and bss, stacks, IPC buffers, heap), packed in order, rw;
 *   +M6_LAYOUT_SUPERVISION_PRISTINE  the same number of pages as they were at boot, r.
 * So a component's memory is reset by one copy of `pages` pages from the pristine range to
 * the writable one. The plan's fields are 64-bit little-endian words. */
#ifndef M6_SUPERVISION_H
#define M6_SUPERVISION_H

#include <stdint.h>

#include <m6/layout.h>

#define M6_RESTART_PLAN_MAGIC   0x6E616C7074727336ull /* "6srtplan" */
#define M6_RESTART_PLAN_THREADS 64
#define M6_RESTART_PLAN_NAME    32

/* A thread's state at start: pc, sp, x0 (its IPC buffer), x1 (the spec's argument). */
struct m6_restart_thread {
	uint64_t tcb; /* the supervisor's cap to its TCB */
	uint64_t pc, sp, x0, x1;
};

struct m6_restart_plan {
	uint64_t magic;
	char name[M6_RESTART_PLAN_NAME]; /* the component's name, NUL-terminated */
	uint64_t badge;                  /* the badge its faults arrive with (1, 2, ...) */
	uint64_t fault_badge;            /* the same, as the compiler gave it its threads */
	uint64_t cnode;                  /* the supervisor's cap to its CNode (depth 64) */
	uint64_t cnode_slots;            /* slots of its CNode */
	uint64_t thread_count;
	uint64_t pages; /* writable private pages (and pristine ones) */
	uint64_t slot_count;
	struct m6_restart_thread threads[M6_RESTART_PLAN_THREADS];
	/* slot_count words: its slot (bits 0-31) and the supervisor's slot of the original
	 * (bits 32-61), 0 for a cap that exists once (untyped, IRQ handler): revoked in
	 * place; bit 63 (M6_RESTART_SLOT_TIMER): a Timer, which may still be armed; bit 62
	 * (M6_RESTART_SLOT_NOTIFICATION): a notification of its own, whose word may hold
	 * the last run's signals. Its slots 1 .. slot_count are the spec's; the rest it
	 * filled at run time. */
	uint64_t slots[];
};

#define M6_RESTART_SLOT_TIMER        (1ull << 63)
#define M6_RESTART_SLOT_NOTIFICATION (1ull << 62)
#define M6_RESTART_SLOT(word)        ((word)&0xffffffffu)
#define M6_RESTART_ORIGINAL(word)    (((word) >> 32) & 0x3fffffffu)

static inline const struct m6_restart_plan *m6_restart_plan(unsigned index)
{
	return (const struct m6_restart_plan *)(uintptr_t)(M6_LAYOUT_SUPERVISION_BASE +
	                                                   index * M6_LAYOUT_SUPERVISION_STRIDE);
}

static inline uintptr_t m6_restart_writable(unsigned index)
{
	return (uintptr_t)(M6_LAYOUT_SUPERVISION_BASE + index * M6_LAYOUT_SUPERVISION_STRIDE +
	                   M6_LAYOUT_SUPERVISION_WRITABLE);
}

static inline uintptr_t m6_restart_pristine(unsigned index)
{
	return (uintptr_t)(M6_LAYOUT_SUPERVISION_BASE + index * M6_LAYOUT_SUPERVISION_STRIDE +
	                   M6_LAYOUT_SUPERVISION_PRISTINE);
}

/* What a supervisor puts in x2 of every thread it restarts (0 at boot): the number of
 * restarts so far, and M6_RESTART_FINAL on the run after it gave up. That last run is for
 * winding down: the component must tell its clients it is gone for good (a block driver
 * publishes "no disk", docs/files.md) and then wait; it is stopped if it faults again. */
#define M6_RESTART_FINAL       (1ull << 63)
#define M6_RESTART_COUNT(word) ((uint32_t)(word))

/* The x2 the main thread started with (saved by crt0 before any C ran). */
uint64_t m6_restart_word(void);

#endif /* M6_SUPERVISION_H */
