/* Instructions per I/O mapping operation, counted by the PMU (benchmark kernel, QEMU with
 * -icount shift=0: docs/performance.md, "Method"). Four operations, each sampled alone
 * (one counter pair around one invocation, the empty pair subtracted) after 4 warm-up
 * rounds, 101 samples, min / median / max:
 *
 *   map_io     FRAME_MAP_IO of a 4 KiB frame into a bound IOSpace (tables in place);
 *   unmap_io   FRAME_UNMAP of it: the entry, CMD_TLBI_NH_VA and CMD_SYNC, waited for;
 *   map_cpu    FRAME_MAP of the same frame (another cap) into the component's VSpace;
 *   unmap_cpu  FRAME_UNMAP of that: the entry and a TLBI by VA.
 *
 * On QEMU the SMMU consumes its command queue inside the PROD write, so the CMD_SYNC wait
 * is one register read; on hardware it is the SMMU's own latency on top. */
#include <stdint.h>

#include <m6/caps.h>
#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6_caps.h>

#include "test_say.h"

#define ROOT    M6_CAP_SELF_CNODE
#define RW      (M6_RIGHT_READ | M6_RIGHT_WRITE)
#define IOVA    0x40000000ull
#define VA      0x5000000000ull
#define SAMPLES 101u
#define WARMUP  4u

static _Noreturn void fail(const char *what, uint64_t err)
{
	say("iospace_bench: FAIL ");
	say(what);
	say(" (error ");
	say_dec(err);
	say(")\n");
	m6_power_off(CAP_POWER);
	for (;;)
		m6_yield();
}

static void must(uint64_t err, const char *what)
{
	if (err != M6_OK)
		fail(what, err);
}

static m6_cptr_t retype(uint64_t type, uint64_t bits)
{
	m6_cptr_t s = m6_cap_alloc();
	if (!s)
		fail("out of slots", 0);
	must(m6_untyped_retype(CAP_POOL, type, bits, ROOT, s, 1), "retype");
	return s;
}

static inline uint64_t counter(void)
{
	uint64_t v;
	__asm__ volatile("isb\n\tmrs %0, pmevcntr0_el0\n\tisb" : "=r"(v)::"memory");
	return v;
}

static uint32_t empty_pair;

/* One invocation between two counter reads, the empty pair subtracted (mod 2^32). */
#define SAMPLE(out, call)                                   \
	do {                                                \
		uint64_t t0_ = counter();                   \
		uint64_t err_ = (call);                     \
		uint64_t t1_ = counter();                   \
		must(err_, #call);                          \
		(out) = (uint32_t)(t1_ - t0_) - empty_pair; \
	} while (0)

static void sort(uint32_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint32_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static void report(const char *name, uint32_t *v)
{
	sort(v, SAMPLES);
	say("iospace_bench: ");
	say(name);
	say(" min ");
	say_dec(v[0]);
	say(" median ");
	say_dec(v[SAMPLES / 2]);
	say(" max ");
	say_dec(v[SAMPLES - 1]);
	say("\n");
}

static uint32_t map_io[SAMPLES], unmap_io[SAMPLES], map_cpu[SAMPLES], unmap_cpu[SAMPLES];

int main(void)
{
	uint64_t a = counter(), b = counter();
	empty_pair = (uint32_t)(b - a);
	m6_cptr_t io = retype(M6_OBJ_IOSPACE, 0);
	must(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, io, 0x100), "bind");
	must(m6_io_page_table_map(retype(M6_OBJ_IO_PAGE_TABLE, 0), io, IOVA, 2), "IOPT 2");
	must(m6_io_page_table_map(retype(M6_OBJ_IO_PAGE_TABLE, 0), io, IOVA, 3), "IOPT 3");
	uint64_t err = m6_page_table_map(retype(M6_OBJ_PAGE_TABLE, 0), M6_CAP_SELF_VSPACE,
	                                 VA & ~((1ull << 30) - 1), 2);
	if (err != M6_OK && err != M6_ERR_DELETE_FIRST)
		fail("page table 2", err);
	must(m6_page_table_map(retype(M6_OBJ_PAGE_TABLE, 0), M6_CAP_SELF_VSPACE, VA, 3),
	     "page table 3");
	m6_cptr_t f_io = retype(M6_OBJ_FRAME, 12), f_cpu = m6_cap_alloc();
	must(m6_cnode_copy(ROOT, f_cpu, 64, ROOT, f_io, 64, M6_RIGHTS_ALL), "copy");
	for (unsigned i = 0; i < WARMUP + SAMPLES; i++) {
		uint32_t s[4];
		SAMPLE(s[0], m6_frame_map_io(f_io, io, IOVA, RW));
		SAMPLE(s[1], m6_frame_unmap(f_io));
		SAMPLE(s[2], m6_frame_map(f_cpu, M6_CAP_SELF_VSPACE, VA, RW));
		SAMPLE(s[3], m6_frame_unmap(f_cpu));
		if (i >= WARMUP) {
			map_io[i - WARMUP] = s[0];
			unmap_io[i - WARMUP] = s[1];
			map_cpu[i - WARMUP] = s[2];
			unmap_cpu[i - WARMUP] = s[3];
		}
	}
	report("map_io", map_io);
	report("unmap_io", unmap_io);
	report("map_cpu", map_cpu);
	report("unmap_cpu", unmap_cpu);
	say("iospace_bench: done\n");
	m6_power_off(CAP_POWER);
	return 0;
}
