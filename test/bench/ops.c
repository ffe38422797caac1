/* The benchmarks. Each creates its objects from the benchmark untyped (revoked after it by
 * bench.c), measures BENCH_WARMUP operations it throws away, then BENCH_SAMPLES single
 * operations, then a loop of BENCH_LOOP operations where one makes sense. The comment
 * above each says exactly what a sample contains. */
#include "bench.h"

#define BADGE      0x100         /* above every error code: a woken waiter's word is unambiguous */
#define FAULT_ADDR 0x30000000ull /* mapped nowhere: inside the image's level-2 range */

static const uint64_t rights_all = M6_RIGHTS_ALL;

/* A badged copy of a notification cap (signals OR in the badge). */
static m6_cptr_t badged(m6_cptr_t ntfn)
{
	m6_cptr_t s = bench_slot();
	if (s && !BENCH_OK(m6_cnode_mint(M6_CAP_SELF_CNODE, s, 64, M6_CAP_SELF_CNODE, ntfn, 64,
	                                 rights_all, BADGE),
	                   "mint badged notification"))
		return 0;
	return s;
}

static void wait_done(m6_cptr_t done)
{
	m6_wait(done);
}

/* Samples of one system call made by main with the registers of `tmpl`; `expect` is the
 * error code every call must return. Loop: the same call BENCH_LOOP times. */
static void syscall_bench(const char *name, uint64_t number, const struct m6_msg *tmpl,
                          uint64_t expect, unsigned per)
{
	struct m6_msg m;
	for (unsigned i = 0; i < BENCH_WARMUP; i++) {
		m = *tmpl;
		bench_timed_syscall(number, &m);
	}
	for (unsigned i = 0; i < BENCH_SAMPLES; i++) {
		m = *tmpl;
		bench_samples[i] = bench_timed_syscall(number, &m) - bench_pair_overhead;
		if (m.word0 != expect) {
			bench_fail(name, m.word0);
			return;
		}
	}
	uint64_t t0 = bench_counter();
	for (unsigned i = 0; i < BENCH_LOOP; i++) {
		m = *tmpl;
		m6_syscall(number, &m);
	}
	uint64_t t1 = bench_counter();
	bench_report(name, BENCH_SAMPLES, bench_delta(t0, t1), BENCH_LOOP, per);
}

/* ---- null system calls ------------------------------------------------------------ */

/* syscall_invalid_number: an unknown syscall number from a thread without a fault
 * handler: entry, dispatch, error, exit — the floor under every system call.
 * null_syscall_poll: NBRECV on a notification nobody signalled (a poll that finds 0):
 * the cheapest call that looks up and uses a cap. */
void bench_null_syscalls(void)
{
	struct m6_msg invalid = {0};
	syscall_bench("syscall_invalid_number", 100, &invalid, M6_ERR_INVALID_SYSCALL, 1);

	m6_cptr_t n = bench_new(M6_OBJ_NOTIFICATION, 0);
	if (!n)
		return;
	struct m6_msg poll = {.word0 = n};
	syscall_bench("null_syscall_poll", M6_SYS_NBRECV, &poll, M6_OK, 1);
}

/* yield_alone: YIELD with nothing else runnable (every helper of earlier benchmarks is
 * gone): the scheduler finds no one else and main continues. */
void bench_yield(void)
{
	struct m6_msg m = {0};
	syscall_bench("yield_alone", M6_SYS_YIELD, &m, M6_OK, 1);
}

/* ---- IPC -------------------------------------------------------------------------- */

/* ipc_call_{same,cross}_as_{0w,4w,64w,grant}: main calls a server thread (same priority)
 * that waits in REPLY_RECV, and the server answers with as many words as it got; a
 * sample runs from main's CALL to main running again with the answer, so it holds two
 * kernel passes, two thread switches and the server loop's 5 instructions (7 with the
 * grant). 64 words use the IPC buffers for MR6..MR63. The grant variant transfers one
 * notification cap per call, received in a fresh slot of a 4096-slot CNode. The server
 * runs in main's VSpace (same_as) or in the second VSpace (cross_as). */
void bench_ipc(bool cross_as)
{
	static const struct {
		const char *same, *cross;
		unsigned words;
		bool grant;
	} variants[] = {
	    {"ipc_call_same_as_0w", "ipc_call_cross_as_0w", 0, false},
	    {"ipc_call_same_as_4w", "ipc_call_cross_as_4w", 4, false},
	    {"ipc_call_same_as_64w", "ipc_call_cross_as_64w", 64, false},
	    {"ipc_call_same_as_grant", "ipc_call_cross_as_grant", 0, true},
	};
	const unsigned index = cross_as ? BENCH_FIRST_CLONE : 0;
	const unsigned receive_bits = 12;
	const unsigned receive_depth = 64; /* a retyped CNode's guard covers the other bits */
	_Static_assert(BENCH_WARMUP + BENCH_SAMPLES + BENCH_LOOP + 1 < (1u << 12),
	               "one receive slot per transfer");

	m6_cptr_t ep = bench_new(M6_OBJ_ENDPOINT, 0);
	m6_cptr_t gift = bench_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t cnode = bench_new(M6_OBJ_CNODE, receive_bits);
	if (!ep || !gift || !cnode)
		return;
	struct m6_ipc_buffer *mine = m6_ipc_buffer();

	for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		const char *name = cross_as ? variants[v].cross : variants[v].same;
		unsigned words = variants[v].words;
		bool grant = variants[v].grant;
		uint64_t x[6] = {
		    ep,    m6_msginfo(0, words), (uint64_t)(uintptr_t)bench_thread_ipc(index), 0,
		    cnode, receive_depth};
		uint64_t pc =
		    (uint64_t)(uintptr_t)(grant ? bench_server_grant_loop : bench_server_loop);
		m6_cptr_t server = bench_thread(index, pc, x, 6, BENCH_PRIO_MAIN, 0);
		if (!server)
			return;

		struct m6_msg tmpl = {.word0 = ep,
		                      .info = grant ? m6_msginfo_caps_set(0, 0, 1)
		                                    : m6_msginfo(0, words)};
		for (unsigned i = 0; i < words && i < M6_MSG_REGISTERS; i++)
			tmpl.mr[i] = 0x1111 * (i + 1);
		for (unsigned i = M6_MSG_REGISTERS; i < words; i++)
			mine->mr[i] = i;
		mine->send_cap = gift;

		struct m6_msg m;
		bool ok = true;
		for (unsigned i = 0; i < BENCH_WARMUP; i++) {
			m = tmpl;
			bench_timed_syscall(M6_SYS_CALL, &m);
		}
		for (unsigned i = 0; i < BENCH_SAMPLES && ok; i++) {
			m = tmpl;
			bench_samples[i] =
			    bench_timed_syscall(M6_SYS_CALL, &m) - bench_pair_overhead;
			/* The server echoes what it got: check that it all came back. */
			ok = m.word0 == M6_OK && m6_msginfo_length(m.info) == words &&
			     (words < 4 || (m.mr[0] == 0x1111 && m.mr[3] == 0x4444));
		}
		if (!ok) {
			bench_fail(name, m.word0);
			m6_tcb_suspend(server);
			continue;
		}
		uint64_t t0 = bench_counter();
		for (unsigned i = 0; i < BENCH_LOOP; i++) {
			m = tmpl;
			m6_syscall(M6_SYS_CALL, &m);
		}
		uint64_t t1 = bench_counter();
		m6_tcb_suspend(server);
		bench_report(name, BENCH_SAMPLES, bench_delta(t0, t1), BENCH_LOOP, 1);
		if (grant) {
			/* Every call delivered its cap: the last receive slot is occupied. Checked
			 * after the report so that a failure still shows what was measured. */
			m6_cptr_t probe = bench_slot();
			uint64_t last = BENCH_WARMUP + BENCH_SAMPLES + BENCH_LOOP - 1;
			if (probe)
				BENCH_OK(m6_cnode_copy(M6_CAP_SELF_CNODE, probe, 64, cnode, last,
				                       receive_depth, rights_all),
				         "grant: the transferred cap did not arrive");
		}
	}
	mine->send_cap = 0;
}

/* ---- notifications ---------------------------------------------------------------- */

static void wakeup_waiter(struct bench_helper *h)
{
	m6_cptr_t ntfn = h->arg[0];
	uint32_t overhead = (uint32_t)h->arg[1];
	for (unsigned i = 0; i < BENCH_WARMUP + BENCH_SAMPLES; i++) {
		uint64_t word;
		uint64_t t1 = bench_syscall_then_t1(M6_SYS_RECV, ntfn, &word);
		(void)word;
		if (i >= BENCH_WARMUP)
			bench_samples[i - BENCH_WARMUP] =
			    bench_delta(bench_shared()->t0, t1) - overhead;
	}
}

/* Main signals b and waits on a, in one window. */
static uint32_t timed_signal_wait(m6_cptr_t b, m6_cptr_t a)
{
	register uint64_t x0 __asm__("x0");
	register uint64_t x1 __asm__("x1");
	register uint64_t x8 __asm__("x8");
	uint64_t t0, t1;
	__asm__ volatile(BENCH_T0 "mov x0, %[b]\n\tmov x1, #0\n\tmov x8, %[send]\n\tsvc #0\n\t"
	                          "mov x0, %[a]\n\tmov x8, %[recv]\n\tsvc #0\n\t" BENCH_T1
	                 : "=&r"(x0), "=&r"(x1), "=&r"(x8), [t0] "=&r"(t0), [t1] "=&r"(t1)
	                 : [a] "r"(a), [b] "r"(b), [send] "i"(M6_SYS_SEND), [recv] "i"(M6_SYS_RECV)
	                 : "x2", "x3", "x4", "x5", "x6", "x7", "memory");
	return bench_delta(t0, t1);
}

/* ---- a real MSI: QEMU's edu device at 00:03.0 (run_bench.py adds it) ---- */

#define EDU_ECAM_VA  0x5000000000ull /* bus 0's config space, a 2 MiB device frame */
#define EDU_BAR_VA   0x5000200000ull /* edu's registers: the first page of its BAR 0 */
#define EDU_BAR_PA   0x10000000u     /* start of the host bridge's 32-bit window (1:1) */
#define EDU_CFG(off) ((volatile uint32_t *)(uintptr_t)(EDU_ECAM_VA + (3ull << 15) + (off)))
#define EDU_REG(off) ((volatile uint32_t *)(uintptr_t)(EDU_BAR_VA + (off)))

static bool edu_map(m6_cptr_t untyped, uint64_t bits, uint64_t vaddr)
{
	m6_cptr_t f = bench_slot();
	return f &&
	       BENCH_OK(m6_untyped_retype(untyped, M6_OBJ_FRAME, bits, M6_CAP_SELF_CNODE, f, 1),
	                "retype edu frame") &&
	       BENCH_OK(m6_frame_map(f, M6_CAP_SELF_VSPACE, vaddr, M6_RIGHT_READ | M6_RIGHT_WRITE),
	                "map edu frame");
}

static bool edu_table(uint64_t vaddr, unsigned level)
{
	m6_cptr_t t = bench_new(M6_OBJ_PAGE_TABLE, 0);
	uint64_t span = 1ull << (12 + 9 * (4 - level));
	uint64_t err = t ? m6_page_table_map(t, M6_CAP_SELF_VSPACE, vaddr & ~(span - 1), level)
	                 : M6_ERR_NOT_ENOUGH_MEMORY;
	return err == M6_OK || err == M6_ERR_DELETE_FIRST || BENCH_OK(err, "map edu table");
}

/* Map edu's config space and registers, BAR 0 at the window's start, memory and bus
 * master on; the MSI capability's offset, 0 if there is no edu. */
static unsigned edu_setup(void)
{
	if (!edu_table(EDU_ECAM_VA, 1) || !edu_table(EDU_ECAM_VA, 2) || !edu_table(EDU_BAR_VA, 3) ||
	    !edu_map(CAP_ECAM, 21, EDU_ECAM_VA) || !edu_map(CAP_BAR, 12, EDU_BAR_VA))
		return 0;
	if (*EDU_CFG(0) != 0x11e81234u)
		return 0;
	*EDU_CFG(0x10) = EDU_BAR_PA;
	*EDU_CFG(0x04) = (1u << 1) | (1u << 2) | (1u << 10); /* memory, bus master, no INTx */
	__asm__ volatile("dsb sy" ::: "memory");
	unsigned cap = *EDU_CFG(0x34) & 0xfc;
	for (unsigned i = 0; i < 48 && cap && (*EDU_CFG(cap) & 0xff) != 0x05; i++)
		cap = (*EDU_CFG(cap) >> 8) & 0xfc;
	return cap && (*EDU_CFG(cap) & 0xff) == 0x05 ? cap : 0;
}

static void msi_waiter(struct bench_helper *h)
{
	m6_cptr_t ntfn = h->arg[0], handler = h->arg[2];
	uint32_t overhead = (uint32_t)h->arg[1];
	for (unsigned i = 0; i < BENCH_WARMUP + BENCH_SAMPLES; i++) {
		uint64_t word;
		uint64_t t1 = bench_syscall_then_t1(M6_SYS_RECV, ntfn, &word);
		(void)word;
		if (i >= BENCH_WARMUP)
			bench_samples[i - BENCH_WARMUP] =
			    bench_delta(bench_shared()->t0, t1) - overhead;
		*EDU_REG(0x64) = 1;          /* edu's interrupt status */
		m6_irq_handler_ack(handler); /* outside the window */
	}
}

/* lpi_msi_wakeup: a store to edu's "raise interrupt" register makes the device write its
 * MSI to the ITS's doorbell; the LPI's handler signals a notification a higher-priority
 * thread waits on. A sample runs from the store until that thread runs: the interrupt taken
 * at EL0, the LPI masked (configuration byte and INV), the signal, one thread switch. */
static void bench_lpi_msi(uint32_t store_overhead)
{
	unsigned cap = edu_setup();
	if (!cap) {
		bench_skip("lpi_msi_wakeup", "no edu device at 00:03.0");
		return;
	}
	/* With an SMMU (platform.cmake starts QEMU with one) an unbound stream's writes abort,
	 * MSIs included: edu gets an empty IOSpace, which maps only the ITS doorbell. The
	 * translation is QEMU's, outside the instructions counted. */
	uint64_t streams = 0;
	if (m6_iospace_control_info(CAP_IOSPACE_CONTROL, &streams, NULL) == M6_OK && streams) {
		m6_cptr_t io = bench_new(M6_OBJ_IOSPACE, 0);
		if (!io || !BENCH_OK(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, io, 3 << 3),
		                     "iospace bind edu"))
			return;
	}
	m6_cptr_t d = bench_new(M6_OBJ_MSI_DEVICE, 1);
	m6_cptr_t n = bench_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t done = bench_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t h = bench_slot();
	m6_cptr_t nb = n ? badged(n) : 0;
	uint64_t doorbell = 0, data = 0;
	if (!d || !nb || !done || !h ||
	    !BENCH_OK(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, d, 3 << 3, NULL), "msi_bind edu") ||
	    !BENCH_OK(m6_irq_control_get_msi(CAP_IRQ_CONTROL, d, 0, M6_CAP_SELF_CNODE, h, &doorbell,
	                                     &data, NULL),
	              "get_msi edu") ||
	    !BENCH_OK(m6_irq_handler_set_notification(h, nb), "irq_handler_set_notification") ||
	    !BENCH_OK(m6_irq_handler_ack(h), "irq_handler_ack"))
		return;
	bool is64 = *EDU_CFG(cap) & (1u << 23);
	*EDU_CFG(cap + 4) = (uint32_t)doorbell;
	*EDU_CFG(cap + 8) = is64 ? (uint32_t)(doorbell >> 32) : (uint32_t)data;
	if (is64)
		*EDU_CFG(cap + 12) = (uint32_t)data;
	*EDU_CFG(cap) |= 1u << 16; /* MSI enable */
	__asm__ volatile("dsb sy" ::: "memory");
	static struct bench_helper waiter;
	waiter =
	    (struct bench_helper){.fn = msi_waiter, .arg = {n, store_overhead, h}, .done = done};
	if (!bench_helper_start(1, &waiter, BENCH_PRIO_HIGH, 0))
		return;
	volatile uint64_t *slot = &bench_shared()->t0;
	volatile uint32_t *raise = EDU_REG(0x60);
	for (unsigned i = 0; i < BENCH_WARMUP + BENCH_SAMPLES; i++) {
		uint64_t t0;
		__asm__ volatile(BENCH_T0 "str %[t0], [%[slot]]\n\tstr %w[one], [%[raise]]"
		                 : [t0] "=&r"(t0)
		                 : [slot] "r"(slot), [raise] "r"(raise), [one] "r"(1u)
		                 : "memory");
	}
	wait_done(done);
	bench_report("lpi_msi_wakeup", BENCH_SAMPLES, BENCH_NO_LOOP, 0, 1);
}

static void lpi_waiter(struct bench_helper *h)
{
	m6_cptr_t ntfn = h->arg[0], handler = h->arg[2];
	uint32_t overhead = (uint32_t)h->arg[1];
	for (unsigned i = 0; i < BENCH_WARMUP + BENCH_SAMPLES; i++) {
		uint64_t word;
		uint64_t t1 = bench_syscall_then_t1(M6_SYS_RECV, ntfn, &word);
		(void)word;
		if (i >= BENCH_WARMUP)
			bench_samples[i - BENCH_WARMUP] =
			    bench_delta(bench_shared()->t0, t1) - overhead;
		m6_irq_handler_ack(handler); /* outside the window: the next one may come */
	}
}

/* lpi_trigger_wakeup: main raises an LPI (IRQ_HANDLER_TRIGGER, the ITS's INT command: the
 * translation a device's doorbell write goes through) whose handler signals a notification
 * a higher-priority thread waits on. A sample runs from main's svc until that thread runs
 * with the word: the invocation and its ITS command, the interrupt taken on the way out,
 * the LPI masked (configuration byte and INV), the signal and one thread switch. The
 * waiter acknowledges outside the window. */
void bench_lpi(void)
{
	m6_cptr_t d = bench_new(M6_OBJ_MSI_DEVICE, 1);
	m6_cptr_t n = bench_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t done = bench_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t h = bench_slot(); /* the handler's */
	m6_cptr_t nb = n ? badged(n) : 0;
	if (!d || !nb || !done || !h)
		return;
	if (!BENCH_OK(m6_irq_control_msi_bind(CAP_IRQ_CONTROL, d, 0x0100, NULL), "msi_bind") ||
	    !BENCH_OK(m6_irq_control_get_msi(CAP_IRQ_CONTROL, d, 1, M6_CAP_SELF_CNODE, h, NULL,
	                                     NULL, NULL),
	              "get_msi") ||
	    !BENCH_OK(m6_irq_handler_set_notification(h, nb), "irq_handler_set_notification") ||
	    !BENCH_OK(m6_irq_handler_ack(h), "irq_handler_ack"))
		return;
	volatile uint64_t *slot = &bench_shared()->t0;
	uint32_t store_overhead = UINT32_MAX;
	for (unsigned i = 0; i < 16; i++) {
		uint32_t o = bench_timed_store_nothing(slot);
		store_overhead = o < store_overhead ? o : store_overhead;
	}
	static struct bench_helper waiter;
	waiter =
	    (struct bench_helper){.fn = lpi_waiter, .arg = {n, store_overhead, h}, .done = done};
	if (!bench_helper_start(0, &waiter, BENCH_PRIO_HIGH, 0))
		return;
	for (unsigned i = 0; i < BENCH_WARMUP + BENCH_SAMPLES; i++)
		bench_store_then_call(h, m6_msginfo(M6_IRQ_HANDLER_TRIGGER, 0), slot);
	wait_done(done);
	bench_report("lpi_trigger_wakeup", BENCH_SAMPLES, BENCH_NO_LOOP, 0, 1);
	bench_lpi_msi(store_overhead);
}

/* ntfn_signal_wakeup: main signals a notification a higher-priority thread waits on; a
 * sample runs from main's SEND until the waiter runs with the word (the waiter's first
 * counter read), so it holds one kernel entry, the wake-up and one thread switch.
 * ntfn_roundtrip: main and a partner at the same priority: main signals b and waits on
 * a; the partner, woken by b, signals a and waits on b again. A sample is main's whole
 * round trip: four system calls, two switches, the partner's 8 loop instructions and
 * main's 5 register moves. */
void bench_notification(void)
{
	m6_cptr_t n = bench_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t done = bench_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t nb = n ? badged(n) : 0;
	if (!nb || !done)
		return;
	volatile uint64_t *slot = &bench_shared()->t0;
	uint32_t store_overhead = UINT32_MAX;
	for (unsigned i = 0; i < 16; i++) {
		uint32_t d = bench_timed_store_nothing(slot);
		store_overhead = d < store_overhead ? d : store_overhead;
	}
	static struct bench_helper waiter;
	waiter =
	    (struct bench_helper){.fn = wakeup_waiter, .arg = {n, store_overhead}, .done = done};
	if (!bench_helper_start(0, &waiter, BENCH_PRIO_HIGH, 0))
		return;
	for (unsigned i = 0; i < BENCH_WARMUP + BENCH_SAMPLES; i++)
		bench_store_then_syscall(M6_SYS_SEND, nb, slot);
	wait_done(done);
	bench_report("ntfn_signal_wakeup", BENCH_SAMPLES, BENCH_NO_LOOP, 0, 1);

	m6_cptr_t a = bench_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t b = bench_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t ab = a ? badged(a) : 0, bb = b ? badged(b) : 0;
	if (!ab || !bb)
		return;
	uint64_t x[2] = {b, ab};
	m6_cptr_t partner =
	    bench_thread(1, (uint64_t)(uintptr_t)bench_ntfn_partner_loop, x, 2, BENCH_PRIO_MAIN, 0);
	if (!partner)
		return;
	for (unsigned i = 0; i < BENCH_WARMUP; i++)
		timed_signal_wait(bb, a);
	for (unsigned i = 0; i < BENCH_SAMPLES; i++)
		bench_samples[i] = timed_signal_wait(bb, a) - bench_pair_overhead;
	uint64_t t0 = bench_counter();
	for (unsigned i = 0; i < BENCH_LOOP; i++) {
		m6_signal(bb);
		m6_wait(a);
	}
	uint64_t t1 = bench_counter();
	m6_tcb_suspend(partner);
	bench_report("ntfn_roundtrip", BENCH_SAMPLES, bench_delta(t0, t1), BENCH_LOOP, 1);
}

/* ---- page faults ------------------------------------------------------------------ */

static inline uint32_t timed_fault(uint64_t addr)
{
	uint64_t t0, t1, v;
	__asm__ volatile(BENCH_T0 "ldr %[v], [%[a]]\n\t" BENCH_T1
	                 : [t0] "=&r"(t0), [t1] "=&r"(t1), [v] "=&r"(v)
	                 : [a] "r"(addr)
	                 : "memory");
	return bench_delta(t0, t1);
}

static void faulter(struct bench_helper *h)
{
	for (unsigned i = 0; i < BENCH_WARMUP; i++)
		timed_fault(FAULT_ADDR);
	for (unsigned i = 0; i < BENCH_SAMPLES; i++)
		bench_samples[i] = timed_fault(FAULT_ADDR) - bench_pair_overhead;
	uint64_t t0 = bench_counter();
	for (unsigned i = 0; i < BENCH_LOOP; i++)
		(void)*(volatile uint64_t *)(uintptr_t)FAULT_ADDR;
	uint64_t t1 = bench_counter();
	h->result[0] = bench_delta(t0, t1);
}

/* page_fault_resume: a thread reads an unmapped address; the kernel sends the fault to
 * its handler thread (higher priority, waiting in REPLY_RECV), which answers "resume at
 * pc + 4"; a sample runs from the faulting load to the instruction after it: exception
 * entry, fault message, two switches, the handler's 6 instructions, resume. */
void bench_page_fault(void)
{
	m6_cptr_t ep = bench_new(M6_OBJ_ENDPOINT, 0);
	m6_cptr_t done = bench_new(M6_OBJ_NOTIFICATION, 0);
	if (!ep || !done)
		return;
	uint64_t x0 = ep;
	if (!bench_thread(1, (uint64_t)(uintptr_t)bench_fault_handler_loop, &x0, 1, BENCH_PRIO_HIGH,
	                  0))
		return;
	static struct bench_helper h;
	h = (struct bench_helper){.fn = faulter, .done = done};
	if (!bench_helper_start(0, &h, BENCH_PRIO_MAIN + 20, ep))
		return;
	wait_done(done);
	bench_report("page_fault_resume", BENCH_SAMPLES, h.result[0], BENCH_LOOP, 1);
}

/* ---- timer interrupt -------------------------------------------------------------- */

static void timer_waiter(struct bench_helper *h)
{
	m6_cptr_t ntfn = h->arg[0], timer = h->arg[1];
	for (unsigned i = 0; i < BENCH_WARMUP + BENCH_SAMPLES; i++) {
		uint64_t t0 = bench_counter();
		uint64_t t1 = bench_syscall_then_t1(M6_SYS_RECV, ntfn, NULL);
		if (i >= BENCH_WARMUP)
			bench_samples[i - BENCH_WARMUP] = bench_delta(t0, t1) - bench_pair_overhead;
	}
	m6_timer_cancel(timer);
}

/* timer_wait_irq_wake: a periodic Timer signals a notification; the only thread that can
 * run waits on it. A sample runs from the waiter's wait system call to the waiter running
 * again: the call, blocking, the switch to idle, then the interrupt, timer expiry and
 * re-arm, the signal and the return to the waiter. Idle time retires no instructions, so
 * it is not counted. (The interrupt alone cannot be isolated from EL0: the deadline is
 * not visible to the instruction counter — CNTVCT ticks every 16 instructions — and a
 * thread spinning on the counter to timestamp the interrupt is not interrupted under
 * this QEMU: see docs/performance.md.) */
void bench_timer_irq(void)
{
	m6_cptr_t n = bench_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t done = bench_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t timer = bench_new(M6_OBJ_TIMER, 0);
	m6_cptr_t nb = n ? badged(n) : 0;
	if (!nb || !done || !timer ||
	    !BENCH_OK(m6_timer_set_notification(timer, nb), "timer_set_notification"))
		return;
	uint64_t freq, now;
	__asm__ volatile("mrs %0, cntfrq_el0\n\tisb\n\tmrs %1, cntvct_el0" : "=r"(freq), "=r"(now));
	uint64_t period = freq / 50000; /* 20 us: 20,000 instructions between interrupts */

	static struct bench_helper h;
	h = (struct bench_helper){.fn = timer_waiter, .arg = {n, timer}, .done = done};
	if (!BENCH_OK(m6_timer_set(timer, now + period, period), "timer_set") ||
	    !bench_helper_start(0, &h, BENCH_PRIO_HIGH, 0))
		return;
	wait_done(done);
	bench_report("timer_wait_irq_wake", BENCH_SAMPLES, BENCH_NO_LOOP, 0, 1);
}

/* ---- context switch --------------------------------------------------------------- */

/* ctx_switch_{same,cross}_as: main and a partner at the same priority yield to each
 * other; a sample is main's YIELD until main runs again, halved: per switch, one YIELD
 * and one thread switch (plus half the partner's 3 loop instructions). The partner runs
 * in main's VSpace or in the second one (a TTBR0 switch each way). */
void bench_context_switch(void)
{
	for (unsigned cross = 0; cross < 2; cross++) {
		m6_cptr_t partner = bench_thread(cross ? BENCH_FIRST_CLONE : 1,
		                                 (uint64_t)(uintptr_t)bench_yield_loop, NULL, 0,
		                                 BENCH_PRIO_MAIN, 0);
		if (!partner)
			return;
		struct m6_msg m = {0};
		syscall_bench(cross ? "ctx_switch_cross_as" : "ctx_switch_same_as", M6_SYS_YIELD,
		              &m, M6_OK, 2);
		m6_tcb_suspend(partner);
	}
}

/* ---- retype and revoke ------------------------------------------------------------ */

static uint32_t revoke_samples[BENCH_SAMPLES];

/* retype_frame_4k: UNTYPED_RETYPE of one 4 KiB frame (zeroing it included) from a 16 KiB
 * untyped into an empty slot. revoke_frame_4k: CNODE_REVOKE of that untyped, which
 * deletes the frame and resets the untyped. retype_revoke_frame_4k: the two together
 * (per pair; the loop runs pairs). */
void bench_retype_revoke(void)
{
	m6_cptr_t ut = bench_new(M6_OBJ_UNTYPED, 14);
	m6_cptr_t dest = bench_slot();
	if (!ut || !dest)
		return;
	const struct m6_msg retype = {
	    .word0 = ut,
	    .info = m6_msginfo(M6_UNTYPED_RETYPE, 5),
	    .mr = {M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, dest, 1},
	};
	const struct m6_msg revoke = {
	    .word0 = M6_CAP_SELF_CNODE,
	    .info = m6_msginfo(M6_CNODE_REVOKE, 2),
	    .mr = {ut, 64},
	};
	struct m6_msg m;
	for (unsigned i = 0; i < BENCH_WARMUP + BENCH_SAMPLES; i++) {
		m = retype;
		uint32_t a = bench_timed_syscall(M6_SYS_CALL, &m) - bench_pair_overhead;
		uint64_t e1 = m.word0;
		m = revoke;
		uint32_t b = bench_timed_syscall(M6_SYS_CALL, &m) - bench_pair_overhead;
		if (e1 != M6_OK || m.word0 != M6_OK) {
			bench_fail("retype/revoke", e1 != M6_OK ? e1 : m.word0);
			return;
		}
		if (i >= BENCH_WARMUP) {
			bench_samples[i - BENCH_WARMUP] = a;
			revoke_samples[i - BENCH_WARMUP] = b;
		}
	}
	bench_report("retype_frame_4k", BENCH_SAMPLES, BENCH_NO_LOOP, 0, 1);
	for (unsigned i = 0; i < BENCH_SAMPLES; i++)
		bench_samples[i] = revoke_samples[i];
	bench_report("revoke_frame_4k", BENCH_SAMPLES, BENCH_NO_LOOP, 0, 1);

	/* Pairs: each single sample is its own two windows added (two read pairs already
	 * subtracted). */
	for (unsigned i = 0; i < BENCH_SAMPLES; i++) {
		m = retype;
		uint32_t a = bench_timed_syscall(M6_SYS_CALL, &m) - bench_pair_overhead;
		m = revoke;
		uint32_t b = bench_timed_syscall(M6_SYS_CALL, &m) - bench_pair_overhead;
		bench_samples[i] = a + b;
	}
	uint64_t t0 = bench_counter();
	for (unsigned i = 0; i < BENCH_LOOP; i++) {
		m = retype;
		m6_syscall(M6_SYS_CALL, &m);
		m = revoke;
		m6_syscall(M6_SYS_CALL, &m);
	}
	uint64_t t1 = bench_counter();
	bench_report("retype_revoke_frame_4k", BENCH_SAMPLES, bench_delta(t0, t1), BENCH_LOOP, 1);
}

/* ---- timer storm ------------------------------------------------------------------ */

#define STORM_RADIX 12
#define STORM_COUNT (1u << STORM_RADIX)

static uint64_t counter_now(void)
{
	uint64_t v;
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static uint64_t counter_freq(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

/* Main's loop iterations in `ticks` of the counter: what a thread below the storm gets. */
static uint64_t spin_for(uint64_t ticks)
{
	uint64_t end = counter_now() + ticks, n = 0;
	while (counter_now() < end)
		for (volatile unsigned i = 0; i < 64; i++)
			n++;
	return n;
}

/* The victim: at the top priority, sleeps on its own timer again and again, each time
 * ~50 us ahead (the phase moves against the storm's); a sample is from its deadline to
 * it running again, in virtual nanoseconds = instructions under -icount shift=0 (16 per
 * counter tick: the figure's resolution). */
static void storm_victim(struct bench_helper *h)
{
	m6_cptr_t timer = h->arg[0], ntfn = h->arg[1];
	uint64_t freq = counter_freq();
	for (unsigned i = 0; i < BENCH_WARMUP + BENCH_SAMPLES; i++) {
		uint64_t deadline = counter_now() + freq / 20000 + (i * 37) % 97;
		if (m6_timer_set(timer, deadline, 0) != M6_OK) {
			bench_fail("storm victim timer_set", i);
			return;
		}
		m6_wait(ntfn);
		uint64_t late = counter_now() - deadline;
		if (i >= BENCH_WARMUP)
			bench_samples[i - BENCH_WARMUP] = (uint32_t)(late * 1000000000ull / freq);
	}
}

/* timer_storm_victim_delay: the benchmark. Main (priority 100) arms 4,096
 * periodic Timers at the minimum period (10 us), deadlines spread over one period; a
 * thread at priority 200 sleeps on its own timer meanwhile. A sample is the delay from
 * its deadline to it running (see storm_victim). timer_storm_thread_share_pct: main's
 * loop iterations in 2 ms while the storm runs, in percent of the same loop before it:
 * the CPU left to threads below the storm's priority. */
void bench_timer_storm(void)
{
	m6_cptr_t cnode = bench_new(M6_OBJ_CNODE, STORM_RADIX), scratch = bench_slot();
	m6_cptr_t storm_n = bench_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t n = bench_new(M6_OBJ_NOTIFICATION, 0), done = bench_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t timer = bench_new(M6_OBJ_TIMER, 0);
	m6_cptr_t sb = storm_n ? badged(storm_n) : 0, nb = n ? badged(n) : 0;
	if (!cnode || !scratch || !sb || !nb || !done || !timer ||
	    !BENCH_OK(m6_timer_set_notification(timer, nb), "timer_set_notification"))
		return;
	for (unsigned first = 0; first < STORM_COUNT; first += 256)
		if (!BENCH_OK(
		        m6_untyped_retype(BENCH_SLOT_UBENCH, M6_OBJ_TIMER, 0, cnode, first, 256),
		        "retype storm timers"))
			return;
	uint64_t freq = counter_freq(), window = freq / 500;
	uint64_t alone = spin_for(window);

	uint64_t period = freq / 100000, start = counter_now();
	for (unsigned i = 0; i < STORM_COUNT; i++) {
		/* Each timer visits a root slot to be invoked. */
		if (!BENCH_OK(m6_cnode_move(M6_CAP_SELF_CNODE, scratch, 64, cnode, i, 64),
		              "storm move in") ||
		    !BENCH_OK(m6_timer_set_notification(scratch, sb), "storm set_notification") ||
		    !BENCH_OK(m6_timer_set(scratch, start + i % period, period),
		              "storm timer_set") ||
		    !BENCH_OK(m6_cnode_move(cnode, i, 64, M6_CAP_SELF_CNODE, scratch, 64),
		              "storm move out"))
			return;
	}
	static struct bench_helper h;
	h = (struct bench_helper){.fn = storm_victim, .arg = {timer, n}, .done = done};
	if (!bench_helper_start(0, &h, 200, 0))
		return;
	uint64_t stormy = spin_for(window);
	wait_done(done);
	if (m6_poll(storm_n) == 0)
		bench_fail("the storm's timers never fired", 0);
	bench_report("timer_storm_victim_delay", BENCH_SAMPLES, BENCH_NO_LOOP, 0, 1);
	bench_report_value("timer_storm_thread_share_pct", alone ? stormy * 100 / alone : 0);
}

/* ---- several CPUs ----------------------------------------------------------------- */

/* Run under -icount with -smp 4 (make bench): the virtual CPUs take turns in one host
 * thread and the counter advances with every CPU's instructions (shift=0: one per ns).
 * Two kinds of figure (docs/performance.md): the PMU count of the measuring CPU (what
 * that core spends, including any time spinning for the kernel lock), and `*_all`, the
 * instructions of every CPU from the loop's start to its end (counter ticks converted),
 * where a CPU idle in WFI counts nothing. */

static unsigned online_cpus(void)
{
	struct m6_cpu_info info;
	if (m6_sysinfo_cpu(CAP_SYSTEM_INFO, 0, &info) != M6_OK)
		return 1;
	unsigned online = 0;
	for (uint64_t i = 0; i < info.cpu_count; i++) {
		struct m6_cpu_info c;
		online += m6_sysinfo_cpu(CAP_SYSTEM_INFO, i, &c) == M6_OK && c.online;
	}
	return online;
}

/* Counter ticks over `ops` operations as instructions per operation (tenths dropped). */
static uint64_t all_cpu_instructions(uint64_t ticks, uint64_t ops)
{
	return ticks * 1000000000ull / m6_counter_frequency() / ops;
}

static m6_cptr_t server_on(unsigned index, unsigned cpu, m6_cptr_t ep)
{
	uint64_t x[2] = {ep, m6_msginfo(0, 0)};
	m6_cptr_t s =
	    bench_thread(index, (uint64_t)(uintptr_t)bench_server_loop, x, 2, BENCH_PRIO_MAIN, 0);
	if (s && !BENCH_OK(m6_tcb_set_affinity(s, cpu), "set_affinity"))
		return 0;
	return s;
}

static volatile uint64_t pairs_go;

static void pair_client(struct bench_helper *h)
{
	/* arg[0]: endpoint; result[0]: PMU instructions of this CPU over BENCH_LOOP calls */
	while (!pairs_go)
		;
	struct m6_msg m;
	uint64_t t0 = bench_counter();
	for (unsigned i = 0; i < BENCH_LOOP; i++) {
		m = (struct m6_msg){.word0 = h->arg[0], .info = m6_msginfo(0, 0)};
		m6_syscall(M6_SYS_CALL, &m);
	}
	h->result[0] = bench_delta(t0, bench_counter());
	h->result[1] = m.word0;
}

void bench_smp(void)
{
	static const char *const names[] = {
	    "ipc_call_cross_core_0w",    "ipc_call_cross_core_0w_all",
	    "ntfn_roundtrip_cross_core", "ntfn_roundtrip_cross_core_all",
	    "ipc_call_4pairs_per_core",  "ipc_call_4pairs_all"};
	unsigned cpus = online_cpus();
	if (cpus < 4) {
		for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			bench_skip(names[i], "needs 4 CPUs (make bench runs -smp 4)");
		return;
	}

	/* Call/reply, main on CPU 0, the server on CPU 1: the reply wakes main by SGI. */
	m6_cptr_t ep = bench_new(M6_OBJ_ENDPOINT, 0);
	m6_cptr_t server = ep ? server_on(BENCH_FIRST_SMP, 1, ep) : 0;
	if (!server)
		return;
	struct m6_msg m;
	for (unsigned i = 0; i < BENCH_WARMUP; i++) {
		m = (struct m6_msg){.word0 = ep, .info = m6_msginfo(0, 0)};
		bench_timed_syscall(M6_SYS_CALL, &m);
	}
	bool ok = true;
	for (unsigned i = 0; i < BENCH_SAMPLES && ok; i++) {
		m = (struct m6_msg){.word0 = ep, .info = m6_msginfo(0, 0)};
		bench_samples[i] = bench_timed_syscall(M6_SYS_CALL, &m) - bench_pair_overhead;
		ok = m.word0 == M6_OK;
	}
	if (!ok) {
		bench_fail(names[0], m.word0);
		return;
	}
	uint64_t c0 = m6_counter(), t0 = bench_counter();
	for (unsigned i = 0; i < BENCH_LOOP; i++) {
		m = (struct m6_msg){.word0 = ep, .info = m6_msginfo(0, 0)};
		m6_syscall(M6_SYS_CALL, &m);
	}
	uint64_t t1 = bench_counter(), c1 = m6_counter();
	m6_tcb_suspend(server);
	bench_report(names[0], BENCH_SAMPLES, bench_delta(t0, t1), BENCH_LOOP, 1);
	bench_report_value(names[1], all_cpu_instructions(c1 - c0, BENCH_LOOP));

	/* Notification round trip: main signals b and waits on a; the partner on CPU 1 waits
	 * on b and signals a. */
	m6_cptr_t a = bench_new(M6_OBJ_NOTIFICATION, 0), b = bench_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t ab = a ? badged(a) : 0, bb = b ? badged(b) : 0;
	if (!ab || !bb)
		return;
	uint64_t x[2] = {b, ab};
	m6_cptr_t partner =
	    bench_thread(BENCH_FIRST_SMP + 1, (uint64_t)(uintptr_t)bench_ntfn_partner_loop, x, 2,
	                 BENCH_PRIO_MAIN, 0);
	if (!partner || !BENCH_OK(m6_tcb_set_affinity(partner, 1), "set_affinity"))
		return;
	for (unsigned i = 0; i < BENCH_WARMUP; i++)
		timed_signal_wait(bb, a);
	for (unsigned i = 0; i < BENCH_SAMPLES; i++)
		bench_samples[i] = timed_signal_wait(bb, a) - bench_pair_overhead;
	c0 = m6_counter();
	t0 = bench_counter();
	for (unsigned i = 0; i < BENCH_LOOP; i++) {
		m6_signal(bb);
		m6_wait(a);
	}
	t1 = bench_counter();
	c1 = m6_counter();
	m6_tcb_suspend(partner);
	bench_report(names[2], BENCH_SAMPLES, bench_delta(t0, t1), BENCH_LOOP, 1);
	bench_report_value(names[3], all_cpu_instructions(c1 - c0, BENCH_LOOP));

	/* Four same-core pairs at once, pair k on CPU k (main is pair 0's client): what the
	 * big lock costs when every core makes IPC calls; the single-pair figure is
	 * ipc_call_same_as_0w. */
	static struct bench_helper clients[3];
	m6_cptr_t eps[4], servers[4];
	for (unsigned k = 0; k < 4; k++) {
		eps[k] = bench_new(M6_OBJ_ENDPOINT, 0);
		servers[k] = eps[k] ? server_on(BENCH_FIRST_SMP + k, k, eps[k]) : 0;
		if (!servers[k])
			return;
	}
	pairs_go = 0;
	for (unsigned k = 1; k < 4; k++) {
		m6_cptr_t done = bench_new(M6_OBJ_NOTIFICATION, 0);
		clients[k - 1] =
		    (struct bench_helper){.fn = pair_client, .arg = {eps[k]}, .done = done};
		if (!done || !bench_helper_start(k, &clients[k - 1], BENCH_PRIO_MAIN, 0) ||
		    !BENCH_OK(m6_tcb_set_affinity(clients[k - 1].tcb, k), "set_affinity"))
			return;
	}
	/* Every client spins on the flag on its own core; main gives them a moment to get
	 * there (a yield lets any of them still on CPU 0's queue move on first). */
	m6_yield();
	struct bench_helper mine = {.arg = {eps[0]}};
	c0 = m6_counter();
	pairs_go = 1;
	pair_client(&mine);
	for (unsigned k = 0; k < 3; k++)
		wait_done(clients[k].done);
	c1 = m6_counter();
	uint64_t sum = mine.result[0];
	ok = mine.result[1] == M6_OK;
	for (unsigned k = 0; k < 3; k++) {
		sum += clients[k].result[0];
		ok &= clients[k].result[1] == M6_OK;
	}
	for (unsigned k = 0; k < 4; k++)
		m6_tcb_suspend(servers[k]);
	if (!ok) {
		bench_fail(names[4], 1);
		return;
	}
	bench_report_value(names[4], sum / (4 * BENCH_LOOP));
	bench_report_value(names[5], all_cpu_instructions(c1 - c0, 4 * BENCH_LOOP));
}
