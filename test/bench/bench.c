/* bench: the in-guest benchmark suite (see bench.h for the method). Sets up what every
 * benchmark shares — helper stacks and IPC buffers, and a second VSpace running a copy of
 * this program — then runs each benchmark with fresh objects, prints one line per figure
 * and `bench: done, N failures`, and powers the machine off. */
#include "bench.h"

uint32_t bench_pair_overhead;
uint32_t bench_samples[BENCH_SAMPLES];

static unsigned failures;
static m6_cptr_t next_slot = BENCH_FIRST_SLOT;

/* The end of the image (CMakeLists.txt defines it at link time); it starts at
 * BENCH_IMAGE_VA (libm6/user.ld). */
extern char bench_image_end[];

/* servers.S hard-codes these. */
_Static_assert(M6_SYS_SEND == 2 && M6_SYS_RECV == 4 && M6_SYS_REPLY_RECV == 7 && M6_SYS_YIELD == 8,
               "servers.S syscall numbers");
_Static_assert(offsetof(struct m6_ipc_buffer, receive_cnode) == 528 &&
                   offsetof(struct m6_ipc_buffer, receive_index) == 536 &&
                   offsetof(struct m6_ipc_buffer, receive_depth) == 544,
               "servers.S IPC buffer offsets");
_Static_assert(M6_FAULT_REPLY_RESUME == 0, "servers.S fault reply label");
_Static_assert(M6_CSPACE_FIRST_FREE <= BENCH_SLOT_UGLOBAL,
               "the spec's caps sit below the suite's slots");
_Static_assert(BENCH_SLOT_IPC0 + BENCH_THREADS <= BENCH_FIRST_SLOT,
               "IPC buffers below the per-benchmark slots");

/* ---- output ----------------------------------------------------------------------- */

void bench_puts(const char *s)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, s);
}

void bench_put_u64(uint64_t v)
{
	char buf[24];
	bench_puts(m6_format_u64(buf, v, 0));
}

/* v in tenths, printed as an integer or with one decimal. */
static void put_tenths(uint64_t v)
{
	bench_put_u64(v / 10);
	if (v % 10) {
		char d[3] = {'.', (char)('0' + v % 10), 0};
		bench_puts(d);
	}
}

bool bench_fail(const char *what, uint64_t error)
{
	failures++;
	bench_puts("bench: FAIL ");
	bench_puts(what);
	bench_puts(": error ");
	bench_put_u64(error);
	bench_puts("\n");
	return false;
}

static void sort(uint32_t *a, unsigned n)
{
	/* Shell sort (Ciura's gaps): no recursion, no allocation, fast enough for 1001. */
	static const unsigned gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
	for (unsigned g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		unsigned gap = gaps[g];
		for (unsigned i = gap; i < n; i++) {
			uint32_t v = a[i];
			unsigned j = i;
			for (; j >= gap && a[j - gap] > v; j -= gap)
				a[j] = a[j - gap];
			a[j] = v;
		}
	}
}

void bench_report(const char *name, unsigned n, uint64_t loop_total, unsigned loop_ops,
                  unsigned per)
{
	if (n == 0) {
		bench_fail(name, 0);
		return;
	}
	sort(bench_samples, n);
	bench_puts("bench: ");
	bench_puts(name);
	bench_puts(" min=");
	put_tenths(bench_samples[0] * 10ull / per);
	bench_puts(" median=");
	put_tenths(bench_samples[n / 2] * 10ull / per);
	bench_puts(" avg=");
	if (loop_total == BENCH_NO_LOOP || loop_ops == 0) {
		bench_puts("-");
	} else {
		uint64_t net =
		    loop_total > bench_pair_overhead ? loop_total - bench_pair_overhead : 0;
		put_tenths(net * 10 / ((uint64_t)loop_ops * per));
	}
	bench_puts(" max=");
	put_tenths(bench_samples[n - 1] * 10ull / per);
	bench_puts(" n=");
	bench_put_u64(n);
	bench_puts("\n");
}

void bench_report_value(const char *name, uint64_t value)
{
	bench_puts("bench: ");
	bench_puts(name);
	bench_puts(" value=");
	bench_put_u64(value);
	bench_puts("\n");
}

void bench_skip(const char *name, const char *why)
{
	bench_puts("bench: ");
	bench_puts(name);
	bench_puts(" skipped (");
	bench_puts(why);
	bench_puts(")\n");
}

/* ---- objects and threads ---------------------------------------------------------- */

m6_cptr_t bench_slot(void)
{
	if (next_slot >= BENCH_ROOT_SLOTS) {
		bench_fail("out of per-benchmark slots", 0);
		return 0;
	}
	return next_slot++;
}

m6_cptr_t bench_new(uint64_t type, uint64_t size_bits)
{
	m6_cptr_t s = bench_slot();
	if (s && !BENCH_OK(
	             m6_untyped_retype(BENCH_SLOT_UBENCH, type, size_bits, M6_CAP_SELF_CNODE, s, 1),
	             "retype benchmark object"))
		return 0;
	return s;
}

struct m6_ipc_buffer *bench_thread_ipc(unsigned index)
{
	return (struct m6_ipc_buffer *)(uintptr_t)(BENCH_IPC_VA + index * 4096ull);
}

m6_cptr_t bench_thread(unsigned index, uint64_t pc, const uint64_t *x, unsigned nx, uint64_t prio,
                       m6_cptr_t fault_ep)
{
	if (index >= BENCH_THREADS || nx > 8) {
		bench_fail("bench_thread: bad index", index);
		return 0;
	}
	m6_cptr_t tcb = bench_new(M6_OBJ_TCB, 0);
	if (!tcb)
		return 0;
	bool clone = bench_is_clone(index);
	uint64_t sp = BENCH_SHARED_VA + (index + 1) * BENCH_STACK_SIZE;
	/* Only threads of the main VSpace may have their buffer cleared from here. */
	if (!clone) {
		struct m6_ipc_buffer *ipc = bench_thread_ipc(index);
		ipc->receive_cnode = 0;
		ipc->send_cap = 0;
	}
	if (!BENCH_OK(m6_tcb_configure(tcb, fault_ep, M6_CAP_SELF_CNODE,
	                               clone ? BENCH_SLOT_VS2 : M6_CAP_SELF_VSPACE,
	                               (uint64_t)(uintptr_t)bench_thread_ipc(index),
	                               BENCH_SLOT_IPC0 + index),
	              "tcb_configure") ||
	    !BENCH_OK(m6_tcb_set_priority(tcb, M6_CAP_SELF_TCB, prio), "tcb_set_priority") ||
	    /* The longest slice: no preemption tick lands inside a benchmark. */
	    !BENCH_OK(m6_tcb_set_timeslice(tcb, M6_CAP_SELF_TCB, 1000000), "tcb_set_timeslice") ||
	    !BENCH_OK(m6_tcb_write_registers(tcb, true, pc, sp, x, nx), "tcb_write_registers"))
		return 0;
	return tcb;
}

__attribute__((noreturn)) static void helper_entry(struct bench_helper *h)
{
	h->fn(h);
	if (h->other)
		m6_tcb_suspend(h->other);
	m6_signal(h->signal);
	for (;;)
		m6_tcb_suspend(h->tcb);
}

m6_cptr_t bench_helper_start(unsigned index, struct bench_helper *h, uint64_t prio,
                             m6_cptr_t fault_ep)
{
	/* The TCB cptr is known only after creation, but the thread may run at once: take
	 * the slot first so that h->tcb is right before it starts. */
	h->signal = bench_slot();
	if (!h->signal || !BENCH_OK(m6_cnode_mint(M6_CAP_SELF_CNODE, h->signal, 64,
	                                          M6_CAP_SELF_CNODE, h->done, 64, M6_RIGHTS_ALL, 1),
	                            "mint done signal"))
		return 0;
	h->tcb = next_slot;
	uint64_t x0 = (uint64_t)(uintptr_t)h;
	m6_cptr_t tcb =
	    bench_thread(index, (uint64_t)(uintptr_t)helper_entry, &x0, 1, prio, fault_ep);
	if (tcb != h->tcb)
		return 0;
	return tcb;
}

/* ---- set-up and per-benchmark clean-up ------------------------------------------- */

static bool setup_shared(void)
{
	const uint64_t rw = M6_RIGHT_READ | M6_RIGHT_WRITE;
	if (!BENCH_OK(m6_untyped_retype(CAP_POOL, M6_OBJ_UNTYPED, 23, M6_CAP_SELF_CNODE,
	                                BENCH_SLOT_UGLOBAL, 1),
	              "retype global untyped") ||
	    !BENCH_OK(m6_untyped_retype(CAP_POOL, M6_OBJ_UNTYPED, 22, M6_CAP_SELF_CNODE,
	                                BENCH_SLOT_UBENCH, 1),
	              "retype benchmark untyped"))
		return false;
	/* 2 MiB objects first: the untyped hands out naturally aligned blocks in order. */
	if (!BENCH_OK(m6_untyped_retype(BENCH_SLOT_UGLOBAL, M6_OBJ_FRAME, 21, M6_CAP_SELF_CNODE,
	                                BENCH_SLOT_SHARED, 1),
	              "retype shared frame") ||
	    !BENCH_OK(m6_untyped_retype(BENCH_SLOT_UGLOBAL, M6_OBJ_FRAME, 21, M6_CAP_SELF_CNODE,
	                                BENCH_SLOT_VS2_IMAGE, 1),
	              "retype image frame") ||
	    !BENCH_OK(m6_frame_map(BENCH_SLOT_SHARED, M6_CAP_SELF_VSPACE, BENCH_SHARED_VA, rw),
	              "map shared frame") ||
	    !BENCH_OK(m6_untyped_retype(BENCH_SLOT_UGLOBAL, M6_OBJ_PAGE_TABLE, 0, M6_CAP_SELF_CNODE,
	                                BENCH_SLOT_IPC_PT, 1),
	              "retype IPC page table") ||
	    !BENCH_OK(m6_page_table_map(BENCH_SLOT_IPC_PT, M6_CAP_SELF_VSPACE, BENCH_IPC_VA, 3),
	              "map IPC page table") ||
	    !BENCH_OK(m6_untyped_retype(BENCH_SLOT_UGLOBAL, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE,
	                                BENCH_SLOT_IPC0, BENCH_THREADS),
	              "retype IPC buffers"))
		return false;
	for (unsigned i = 0; i < BENCH_THREADS; i++) {
		if (bench_is_clone(i))
			continue;
		if (!BENCH_OK(m6_frame_map(BENCH_SLOT_IPC0 + i, M6_CAP_SELF_VSPACE,
		                           (uint64_t)(uintptr_t)bench_thread_ipc(i), rw),
		              "map IPC buffer"))
			return false;
	}
	return true;
}

/* The second VSpace runs this very program: its image (text, constants, data as they
 * are now) copied into one 2 MiB frame mapped read+execute at the same address, so any
 * function of ours can run there as long as it writes no global — the loops of
 * servers.S. Stacks and the shared data are the same 2 MiB frame in both VSpaces.
 * Copying beats a second spec component here: the benchmarks can start any number of
 * threads there at run time, with any entry point and arguments, and share memory. */
static bool setup_clone(void)
{
	const uint64_t rw = M6_RIGHT_READ | M6_RIGHT_WRITE;
	uint64_t image_size = (uint64_t)(uintptr_t)bench_image_end - BENCH_IMAGE_VA;
	if (image_size > (1u << 21))
		return bench_fail("image larger than 2 MiB", image_size);
	if (!BENCH_OK(
	        m6_frame_map(BENCH_SLOT_VS2_IMAGE, M6_CAP_SELF_VSPACE, BENCH_IMAGE_SCRATCH, rw),
	        "map image scratch"))
		return false;
	const volatile uint64_t *src = (const volatile uint64_t *)(uintptr_t)BENCH_IMAGE_VA;
	volatile uint64_t *dst = (volatile uint64_t *)(uintptr_t)BENCH_IMAGE_SCRATCH;
	for (uint64_t i = 0; i < (image_size + 7) / 8; i++)
		dst[i] = src[i];
	/* Clean the data cache to the point of coherency. Nothing in the ABI invalidates
	 * the instruction cache for user space (see docs/performance.md); QEMU needs
	 * neither, and the frame's addresses have never held code before. */
	if (!BENCH_OK(m6_frame_clean(BENCH_SLOT_VS2_IMAGE, 0, 1u << 21), "clean image") ||
	    !BENCH_OK(m6_frame_unmap(BENCH_SLOT_VS2_IMAGE), "unmap image scratch"))
		return false;

	static const struct {
		uint64_t type, slot;
	} objs[] = {
	    {M6_OBJ_VSPACE, BENCH_SLOT_VS2},
	    {M6_OBJ_PAGE_TABLE, BENCH_SLOT_VS2_PT1},
	    {M6_OBJ_PAGE_TABLE, BENCH_SLOT_VS2_PT2},
	    {M6_OBJ_PAGE_TABLE, BENCH_SLOT_VS2_PT3},
	};
	for (unsigned i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		if (!BENCH_OK(m6_untyped_retype(BENCH_SLOT_UGLOBAL, objs[i].type, 0,
		                                M6_CAP_SELF_CNODE, objs[i].slot, 1),
		              "retype second VSpace object"))
			return false;
	}
	if (!BENCH_OK(m6_asid_pool_assign(CAP_ASID_POOL, BENCH_SLOT_VS2, NULL), "assign ASID") ||
	    !BENCH_OK(m6_page_table_map(BENCH_SLOT_VS2_PT1, BENCH_SLOT_VS2, 0, 1), "map L1") ||
	    !BENCH_OK(m6_page_table_map(BENCH_SLOT_VS2_PT2, BENCH_SLOT_VS2, 0, 2), "map L2") ||
	    !BENCH_OK(m6_page_table_map(BENCH_SLOT_VS2_PT3, BENCH_SLOT_VS2, BENCH_IPC_VA, 3),
	              "map L3") ||
	    !BENCH_OK(m6_frame_map(BENCH_SLOT_VS2_IMAGE, BENCH_SLOT_VS2, BENCH_IMAGE_VA,
	                           M6_RIGHT_READ | M6_RIGHT_EXECUTE),
	              "map image copy") ||
	    !BENCH_OK(m6_cnode_copy(M6_CAP_SELF_CNODE, BENCH_SLOT_SHARED2, 64, M6_CAP_SELF_CNODE,
	                            BENCH_SLOT_SHARED, 64, M6_RIGHTS_ALL),
	              "copy shared frame cap") ||
	    !BENCH_OK(m6_frame_map(BENCH_SLOT_SHARED2, BENCH_SLOT_VS2, BENCH_SHARED_VA, rw),
	              "map shared frame in second VSpace"))
		return false;
	for (unsigned i = BENCH_FIRST_CLONE; i < BENCH_FIRST_CLONE + BENCH_CLONES; i++) {
		if (!BENCH_OK(m6_frame_map(BENCH_SLOT_IPC0 + i, BENCH_SLOT_VS2,
		                           (uint64_t)(uintptr_t)bench_thread_ipc(i), rw),
		              "map IPC buffer in second VSpace"))
			return false;
	}
	return true;
}

static void cleanup(void)
{
	/* Revoking the benchmark untyped deletes every object the benchmark made (threads
	 * are suspended as their TCBs go) and every cap derived from them. */
	BENCH_OK(m6_cnode_revoke(M6_CAP_SELF_CNODE, BENCH_SLOT_UBENCH, 64),
	         "revoke benchmark untyped");
	for (m6_cptr_t s = BENCH_FIRST_SLOT; s < BENCH_ROOT_SLOTS; s++)
		m6_cnode_delete(M6_CAP_SELF_CNODE, s, 64);
	next_slot = BENCH_FIRST_SLOT;
	m6_ipc_buffer()->send_cap = 0;
	m6_ipc_buffer()->receive_cnode = 0;
}

/* ---- boot and main --------------------------------------------------------------- */

static uint64_t boot_counter, boot_inst;

static void bench_boot(void)
{
	uint64_t freq;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	/* Under -icount shift=0 one instruction is one virtual nanosecond, and the counter
	 * started at 0 at reset. */
	bench_report_value("boot_reset_to_main", boot_counter * 1000000000ull / freq);
	bench_report_value("boot_counter_resolution", 1000000000ull / freq);
	/* The benchmark kernel resets the event counter when it enables it, just before it
	 * installs the boot tables. */
	bench_report_value("boot_pmu_enable_to_main", boot_inst);
#ifdef CAP_SYSTEM_INFO
	struct m6_msg m = {.info = m6_msginfo(M6_SYSTEM_INFO_BOOT, 0)};
	if (BENCH_OK(m6_call(CAP_SYSTEM_INFO, &m), "system_info boot") && m.mr[1])
		bench_report_value("boot_reset_to_all_started", m.mr[0] * 1000000000ull / m.mr[1]);
#else
	bench_skip("boot_reset_to_all_started", "spec has no syscap system_info");
#endif
}

static void measure_pair_overhead(void)
{
	uint32_t min = UINT32_MAX, max = 0;
	for (unsigned i = 0; i < 64; i++) {
		uint32_t d = bench_timed_nothing();
		min = d < min ? d : min;
		max = d > max ? d : max;
	}
	if (min != max)
		bench_fail("read pair overhead not constant", max - min);
	bench_pair_overhead = min;
	bench_report_value("pmu_read_pair_overhead", min);
}

int main(void)
{
	/* First thing: when main started (see bench_boot). */
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0\n\tmrs %1, pmevcntr0_el0"
	                 : "=r"(boot_counter), "=r"(boot_inst));

	bench_puts("bench: m6 benchmark suite, instructions per operation ("
#ifdef BENCH_QUICK
	           "quick"
#else
	           "full"
#endif
	           " mode)\n");
	if (!BENCH_OK(m6_tcb_set_priority(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, BENCH_PRIO_MAIN),
	              "lower main priority") ||
	    !BENCH_OK(m6_tcb_set_timeslice(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, 1000000),
	              "main timeslice") ||
	    !setup_shared() || !setup_clone()) {
		bench_puts("bench: set-up failed\n");
		m6_power_off(CAP_POWER);
		return 1;
	}

	measure_pair_overhead();
	bench_boot();

	static void (*const benches[])(void) = {
	    bench_null_syscalls, bench_yield,       bench_notification,
	    bench_page_fault,    bench_timer_irq,   bench_context_switch,
	    bench_retype_revoke, bench_timer_storm, bench_lpi,
	    bench_smp,
	};
	bench_ipc(false);
	cleanup();
	bench_ipc(true);
	cleanup();
	for (unsigned i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		benches[i]();
		cleanup();
	}

	bench_puts("bench: done, ");
	bench_put_u64(failures);
	bench_puts(" failures\n");
	m6_power_off(CAP_POWER);
	return 1;
}
