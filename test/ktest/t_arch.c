/* Kernel hardening: authority arguments need WRITE, timeslices bounded by an authority,
 * EL0-visible system registers, preemptible retype and bounded kernel output. */
#include "ktest.h"
#include <string.h>

/* A fresh TCB with the suite's CSpace and VSpace, never started. */
static m6_cptr_t new_tcb(void)
{
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0);
	if (t && m6_tcb_configure(t, KT_SLOT_FAULT_EP, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0,
	                          0) != M6_OK)
		return 0;
	return t;
}

TEST(arch_authority_tcb_needs_write)
{
	/* A read-only cap to a TCB with a high maximum lends none of it. */
	m6_cptr_t t = new_tcb(), ro = kt_copy(M6_CAP_SELF_TCB, M6_RIGHT_READ);
	REQUIRE(t && ro);
	CHECK_ERR(m6_tcb_set_priority(t, ro, 150), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_tcb_set_max_priority(t, ro, 150), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_tcb_set_timeslice(t, ro, 1000), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_tcb_set_max_timeslice(t, ro, 1000), M6_ERR_INSUFFICIENT_RIGHTS);
	/* nor to itself */
	CHECK_ERR(m6_tcb_set_priority(M6_CAP_SELF_TCB, ro, KT_MCP), M6_ERR_INSUFFICIENT_RIGHTS);
	/* the same calls with WRITE on the authority work */
	m6_cptr_t w = kt_copy(M6_CAP_SELF_TCB, M6_RIGHT_WRITE);
	REQUIRE(w);
	CHECK_OK(m6_tcb_set_priority(t, w, 150));
	CHECK_OK(m6_tcb_set_max_priority(t, w, 150));
	CHECK_OK(m6_tcb_set_timeslice(t, w, 1000));
	CHECK_OK(m6_tcb_set_max_timeslice(t, w, 1000));
}

TEST(arch_timeslice_bounded_by_authority)
{
	/* ktest's spec gives its main thread no max_timeslice: the kernel's 10 ms slice */
	m6_cptr_t t = new_tcb();
	REQUIRE(t);
	CHECK_OK(m6_tcb_set_timeslice(t, M6_CAP_SELF_TCB, 10000));
	/* the finding: a thread gave itself a 1 s slice, with no authority at all */
	CHECK_ERR(m6_tcb_set_timeslice(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, 1000000), M6_ERR_RANGE);
	CHECK_ERR(m6_tcb_set_timeslice(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, 10001), M6_ERR_RANGE);
	/* a new TCB's maximum is 0: it lends nothing until given one */
	CHECK_ERR(m6_tcb_set_timeslice(t, t, 100), M6_ERR_RANGE);
	CHECK_OK(m6_tcb_set_max_timeslice(t, M6_CAP_SELF_TCB, 5000));
	CHECK_OK(m6_tcb_set_timeslice(t, t, 5000));
	CHECK_ERR(m6_tcb_set_timeslice(t, t, 5001), M6_ERR_RANGE);
	/* nobody raises a maximum above its authority's */
	CHECK_ERR(m6_tcb_set_max_timeslice(t, t, 5001), M6_ERR_RANGE);
	CHECK_ERR(m6_tcb_set_max_timeslice(t, M6_CAP_SELF_TCB, 10001), M6_ERR_RANGE);
	CHECK_ERR(m6_tcb_set_max_timeslice(t, M6_CAP_SELF_TCB, 99), M6_ERR_RANGE);
	CHECK_ERR(m6_tcb_set_max_timeslice(t, CAP_DEBUG_CONSOLE, 1000), M6_ERR_INVALID_CAP);
	/* lowering one's own maximum is allowed, and binds from then on */
	CHECK_OK(m6_tcb_set_max_timeslice(t, t, 2000));
	CHECK_ERR(m6_tcb_set_timeslice(t, t, 2001), M6_ERR_RANGE);
}

TEST(arch_configure_roots_need_write)
{
	/* A read-only CNode or VSpace cap must not become a thread that uses what it holds. */
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0);
	m6_cptr_t cn = kt_copy(M6_CAP_SELF_CNODE, M6_RIGHT_READ);
	m6_cptr_t vs = kt_copy(M6_CAP_SELF_VSPACE, M6_RIGHT_READ);
	REQUIRE(t && cn && vs);
	CHECK_ERR(m6_tcb_configure(t, 0, cn, M6_CAP_SELF_VSPACE, 0, 0), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_tcb_configure(t, 0, M6_CAP_SELF_CNODE, vs, 0, 0), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_OK(m6_tcb_configure(t, 0, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0));
}

/* ---- EL0-visible system registers ------------------------------------------------ */

#define ESR_EC(esr)   (((esr) >> 26) & 0x3f)
#define ESR_EC_SYSREG 0x18

static uint64_t fn_read_pmu(struct kt_thread *self)
{
	uint64_t v;
	__asm__ volatile("mrs %0, pmccntr_el0" : "=r"(v));
	self->out[0] = 1; /* only reached if EL0 may read the PMU */
	return v;
}

/* Run fn in a helper whose faults come to a fresh endpoint; the ESR of its fault, or 0
 * when it ran through (or no fault came). The helper stays stopped. */
static uint64_t trap_esr(kt_thread_fn fn)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	struct kt_thread t;
	if (!ep || !kt_thread_create(&t, fn, KT_HELPER_PRIO) ||
	    kt_thread_set_fault_ep(&t, ep) != M6_OK || m6_tcb_resume(t.tcb) != M6_OK)
		return 0;
	struct m6_msg m;
	bool ok;
	kt_recv_poll(ep, &m, 50, &ok);
	if (!ok)
		return 0;
	uint64_t esr = m6_msginfo_label(m.info) == M6_FAULT_EXCEPTION ? m.mr[1] : 0;
	struct m6_msg r = {.info = m6_msginfo(M6_FAULT_REPLY_STOP, 0)};
	m6_reply(&r);
	CHECK_EQ(t.out[0], 0);
	return esr;
}

TEST(arch_el0_registers_reset)
{
	uint64_t ro;
	__asm__ volatile("mrs %0, tpidrro_el0" : "=r"(ro));
	CHECK_EQ(ro, 0);
	/* the normal kernel keeps the PMU, a timing side channel, from EL0. (The debug
	 * channel's trap, MDSCR_EL1.TDCC, is set too, but QEMU 7.2 does not emulate it.) */
	CHECK_EQ(ESR_EC(trap_esr(fn_read_pmu)), ESR_EC_SYSREG);
	/* after a switch to another thread and back, still nothing */
	m6_yield();
	__asm__ volatile("mrs %0, tpidrro_el0" : "=r"(ro));
	CHECK_EQ(ro, 0);
}

static uint64_t fn_read_midr(struct kt_thread *self)
{
	uint64_t v;
	__asm__ volatile("mrs %0, midr_el1" : "=r"(v));
	self->out[0] = 1; /* only reached if EL0 may read the ID registers */
	return v;
}

TEST(arch_el0_counter_cache_ids)
{
	/* EL0 reads the virtual counter and its frequency (CNTKCTL_EL1.EL0VCTEN: the Linux
	 * shim's vDSO reads time this way), the cache geometry (CTR_EL0, SCTLR_EL1.UCT) and
	 * DC ZVA's block size (DCZID_EL0, allowed: DZP clear) without a trap */
	uint64_t c1, c2, f, ctr, dczid;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(c1));
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	__asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
	__asm__ volatile("mrs %0, dczid_el0" : "=r"(dczid));
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(c2));
	CHECK(c2 >= c1 && c1 > 0);
	CHECK_EQ(f, 62500000);
	CHECK(((ctr >> 16) & 0xf) >= 2); /* DminLine: lines of 16 bytes or more */
	CHECK_EQ((dczid >> 4) & 1, 0);   /* DZP clear: DC ZVA permitted */
	/* the ID registers trap (undefined at EL0 here: EC 0, or 0x18 with FEAT_IDST); a
	 * Linux emulator answers them with SYSTEM_INFO_CPU_ID (t_misc.c) */
	uint64_t esr = trap_esr(fn_read_midr);
	CHECK(esr != 0); /* a fault came (an EC 0 syndrome still has IL set) */
	CHECK(ESR_EC(esr) == 0 || ESR_EC(esr) == ESR_EC_SYSREG);
}

/* ---- preemptible retype ---------------------------------------------------------- */

#define RW         (M6_RIGHT_READ | M6_RIGHT_WRITE)
#define MIB2       0x200000ull
#define DIRT       0x5eed5eed5eed5eedull
#define PAGE_WORDS 512

static volatile uint64_t in_retype, stop_watch;

/* The watcher wakes on every tick of a fast periodic timer. Whenever it finds main inside
 * its retype with the objects not there yet, the retype was stopped at a preemption point
 * (the old kernel ran it to the end with interrupts masked). The first time, it also
 * retypes an endpoint from the same untyped, taking memory the stopped retype had started
 * to zero: the restarted retype must cope. */
static uint64_t fn_watch(struct kt_thread *self)
{
	m6_cptr_t n = self->arg[0], ut = self->arg[1], dest = self->arg[2], ep = self->arg[3];
	self->started = true;
	for (;;) {
		m6_wait(n);
		if (stop_watch)
			return 0;
		if (in_retype && !kt_occupied(dest)) {
			if (self->out[0]++ == 0)
				self->out[1] = m6_untyped_retype(ut, M6_OBJ_ENDPOINT, 0,
				                                 M6_CAP_SELF_CNODE, ep, 1);
		}
	}
}

TEST(arch_retype_preemptible)
{
	m6_cptr_t ut = kt_new(M6_OBJ_UNTYPED, 22), a = kt_slot(), b = kt_slot();
	REQUIRE(ut && a && b);
	/* Dirty all 4 MiB through two frames, then give them back. */
	REQUIRE_OK(m6_untyped_retype(ut, M6_OBJ_FRAME, 21, M6_CAP_SELF_CNODE, a, 1));
	REQUIRE_OK(m6_untyped_retype(ut, M6_OBJ_FRAME, 21, M6_CAP_SELF_CNODE, b, 1));
	m6_cptr_t frames[2] = {a, b};
	for (unsigned f = 0; f < 2; f++) {
		uint64_t va = kt_region_2m();
		REQUIRE_OK(m6_frame_map(frames[f], M6_CAP_SELF_VSPACE, va, RW));
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)va;
		for (uint64_t i = 0; i < MIB2 / 8; i += PAGE_WORDS / 4)
			p[i] = DIRT;
	}
	uint64_t pa_b = 0, pa_d = 0;
	REQUIRE_OK(m6_frame_get_address(b, &pa_b));
	REQUIRE_OK(m6_cnode_revoke(M6_CAP_SELF_CNODE, ut, 64));
	REQUIRE(!kt_occupied(a) && !kt_occupied(b));

	/* A timer ticking every 20 us: a 2 MiB retype (32 chunks of 64 KiB, over 100,000
	 * instructions) takes longer than that. But QEMU raises the timer's interrupt from
	 * another host thread, which a busy host may not run for a while: so try again until
	 * one retype was seen stopped, for up to 2 * KT_PATIENCE_MS of counter time (the first
	 * try nearly always is; under icount, qemu.ktest.icount, it always is). */
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0), t = kt_new(M6_OBJ_TIMER, 0);
	m6_cptr_t nb = n ? kt_mint(n, M6_RIGHTS_ALL, 1) : 0, ep = kt_slot(), d = kt_slot();
	REQUIRE(nb && t && ep && d);
	REQUIRE_OK(m6_timer_set_notification(t, nb));
	struct kt_thread w;
	w.arg[0] = n;
	w.arg[1] = ut;
	w.arg[2] = d;
	w.arg[3] = ep;
	stop_watch = 0;
	in_retype = 0;
	REQUIRE(kt_thread_start(&w, fn_watch, KT_HELPER_PRIO));
	uint64_t period = kt_tick_freq() * 20 / 1000000;
	REQUIRE_OK(m6_timer_set(t, kt_ticks() + period, period));
	uint64_t err = M6_OK;
	const uint64_t start = kt_ticks(), patience = 2 * KT_PATIENCE_MS * kt_tick_freq() / 1000;
	for (unsigned try = 0;
	     (try == 0 || kt_ticks() - start < patience) && err == M6_OK && w.out[0] == 0; try++) {
		if (try > 0)
			err = m6_cnode_delete(M6_CAP_SELF_CNODE, d, 64);
		in_retype = 1;
		if (err == M6_OK)
			err = m6_untyped_retype(ut, M6_OBJ_FRAME, 21, M6_CAP_SELF_CNODE, d, 1);
		in_retype = 0;
	}
	CHECK_OK(m6_timer_cancel(t));
	stop_watch = 1;
	CHECK_OK(m6_signal(nb));
	CHECK(kt_join(&w, 100));
	CHECK_OK(err);
	/* stopped at a preemption point at least once, and the endpoint fitted in */
	CHECK(w.out[0] >= 1);
	CHECK_OK(w.out[1]);
	CHECK_EQ(kt_nbsend(ep), M6_ERR_WOULD_BLOCK);
	/* the frame went after the endpoint, over the second dirty frame: all zero */
	uint64_t va = kt_region_2m();
	REQUIRE_OK(m6_frame_map(d, M6_CAP_SELF_VSPACE, va, M6_RIGHT_READ));
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)va;
	uint64_t dirty = 0;
	for (uint64_t i = 0; i < MIB2 / 8; i += PAGE_WORDS / 4)
		dirty += p[i] != 0;
	CHECK_EQ(dirty, 0);
	CHECK_OK(m6_frame_get_address(d, &pa_d));
	CHECK_EQ(pa_d, pa_b);
}

/* ---- bounded kernel output (run alone: ktest_flood.m6, ctest qemu.ktest-flood) ---- */

#define FLOOD_FAULTS 5000

static uint64_t fn_fault_null(struct kt_thread *self)
{
	(void)self;
	return *(volatile uint64_t *)8; /* page fault; resumed, it faults again */
}

TEST(arch_fault_flood_rate_limited)
{
	/* A thread with no fault handler, resumed by its sibling as fast as it can: every
	 * fault would be a console line, polled with interrupts masked. The kernel prints 10
	 * and 5 a second after that; the QEMU test checks the "m6: N lines suppressed" line
	 * that precedes the first report after the pause below. */
	struct kt_thread f;
	REQUIRE(kt_thread_create(&f, fn_fault_null, KT_HELPER_PRIO));
	REQUIRE_OK(kt_thread_set_fault_ep(&f, 0));
	uint64_t start = kt_ticks();
	for (unsigned i = 0; i < FLOOD_FAULTS; i++)
		REQUIRE_OK(m6_tcb_resume(f.tcb)); /* runs at once (above us), faults, stops */
	uint64_t ms = (kt_ticks() - start) * 1000 / kt_tick_freq();
	/* still responsive: a timer wakes us, and meanwhile the bucket fills again */
	REQUIRE(kt_sleep_ms(1000));
	REQUIRE_OK(m6_tcb_resume(f.tcb));
	kt_puts("ktest: ");
	kt_put_u64(FLOOD_FAULTS + 1, false);
	kt_puts(" faults without a handler in ");
	kt_put_u64(ms, false);
	kt_puts(" ms\n");
}

#define FLOW_LINES 640 /* of 41 bytes: 26,240 bytes, past the 16 KiB burst */

TEST(arch_debug_output_flow_controlled)
{
	/* Debug-console bytes past a thread's rate (16 KiB at once, then 8 KiB a second) wait:
	 * none is lost (the QEMU test checks the first and the last line, and that nothing
	 * was reported suppressed), and the writer is held back. The bucket cannot give more
	 * than 16 KiB plus 8 KiB a second, so 26,240 bytes take at least (26,240 - 16,384) /
	 * 8,192 s of counter time, however fast the host is: a bound, not a timing window. */
	char line[41];
	uint64_t start = kt_ticks();
	for (unsigned i = 0; i < FLOW_LINES; i++) {
		memcpy(line, "ktest: dbgflow 0000 ....................\n", 41);
		line[15] = (char)('0' + i / 1000 % 10);
		line[16] = (char)('0' + i / 100 % 10);
		line[17] = (char)('0' + i / 10 % 10);
		line[18] = (char)('0' + i % 10);
		REQUIRE_OK(m6_debug_write(CAP_DEBUG_CONSOLE, line, 41));
	}
	uint64_t elapsed = kt_ticks() - start;
	/* The kernel earns a token every freq / 8192 ticks, rounded down (7,629 ticks at
	 * 62.5 MHz: a little faster than 8,192 a second), and the bucket may hold a token's
	 * worth of partial time: the bound allows 1 % for both, far less than what a dropped
	 * or unthrottled run would miss it by. */
	CHECK(elapsed * 8192 * 100 >= (uint64_t)(FLOW_LINES * 41 - 16384) * kt_tick_freq() * 99);
}

const struct kt_test kt_suite_flood[] = {
    KT_ENTRY(arch_fault_flood_rate_limited),
    KT_ENTRY(arch_debug_output_flow_controlled),
    KT_END,
};

const struct kt_test kt_suite_arch[] = {
    KT_ENTRY(arch_authority_tcb_needs_write),
    KT_ENTRY(arch_timeslice_bounded_by_authority),
    KT_ENTRY(arch_configure_roots_need_write),
    KT_ENTRY(arch_el0_registers_reset),
    KT_ENTRY(arch_el0_counter_cache_ids),
    KT_ENTRY(arch_retype_preemptible),
    KT_END,
};
