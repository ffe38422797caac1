/* The kernel singletons (debug console, power, system information) and the error cases
 * of invocations whose positive side is exercised all over the suite. */
#include "ktest.h"

#include <m6/debug.h>
#include <m6/runtime.h>
#include <m6/sysinfo.h>
#include <string.h>

TEST(debug_console_write)
{
	CHECK_OK(m6_debug_write(CAP_DEBUG_CONSOLE, "ktest: debug console works\n", 27));
	/* more than fits in registers: split by the library, each call checked by the kernel */
	CHECK_OK(m6_debug_write(CAP_DEBUG_CONSOLE,
	                        "ktest: a line longer than the forty bytes of one call\n", 54));
}

TEST(debug_console_refused)
{
	m6_cptr_t ro = kt_copy(CAP_DEBUG_CONSOLE, M6_RIGHT_READ);
	REQUIRE(ro);
	CHECK_ERR(m6_debug_write(ro, "x", 1), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_debug_write(M6_CAP_SELF_TCB, "x", 1), M6_ERR_ILLEGAL_OPERATION);
	/* a byte count beyond the words sent */
	struct m6_msg m = {.info = m6_msginfo(M6_DEBUG_CONSOLE_WRITE, 2), .mr = {9, 0x41}};
	CHECK_ERR(m6_call(CAP_DEBUG_CONSOLE, &m), M6_ERR_RANGE);
	m = (struct m6_msg){.info = m6_msginfo(M6_DEBUG_CONSOLE_WRITE, 0)};
	CHECK_ERR(m6_call(CAP_DEBUG_CONSOLE, &m), M6_ERR_INVALID_ARGUMENT);
}

/* A helper's one raw write of "(probe)\n": out[0] the error, out[1] the bytes taken. */
static uint64_t fn_debug_probe(struct kt_thread *self)
{
	uint64_t word;
	memcpy(&word, "(probe)\n", 8);
	struct m6_msg m = {.info = m6_msginfo(M6_DEBUG_CONSOLE_WRITE, 2), .mr = {8, word}};
	self->out[0] = m6_call(CAP_DEBUG_CONSOLE, &m);
	self->out[1] = m.mr[0];
	return 0;
}

TEST(debug_console_whole_lines)
{
	/* A thread's half-written line holds off other writers (they take no byte, and the
	 * library retries), until its newline; and for at most 10 ms, so a prompt left
	 * without a newline holds no one for long. */
	struct kt_thread a, b, c;
	REQUIRE_OK(m6_debug_write(CAP_DEBUG_CONSOLE, "ktest: whole lines: ", 20));
	REQUIRE(kt_thread_start(&a, fn_debug_probe, KT_HELPER_PRIO));
	REQUIRE(kt_join(&a, 1000));
	CHECK_OK(a.out[0]);
	CHECK_EQ(a.out[1], 0);
	REQUIRE_OK(m6_debug_write(CAP_DEBUG_CONSOLE, "held off a writer\n", 18));
	REQUIRE(kt_thread_start(&b, fn_debug_probe, KT_HELPER_PRIO));
	REQUIRE(kt_join(&b, 1000));
	CHECK_OK(b.out[0]);
	CHECK_EQ(b.out[1], 8);
	REQUIRE_OK(m6_debug_write(CAP_DEBUG_CONSOLE, "ktest: a hold expires ", 22));
	REQUIRE(kt_sleep_ms(20));
	REQUIRE(kt_thread_start(&c, fn_debug_probe, KT_HELPER_PRIO));
	REQUIRE(kt_join(&c, 1000));
	CHECK_OK(c.out[0]);
	CHECK_EQ(c.out[1], 8);
}

TEST(power_refused)
{
	/* The positive case ends every QEMU test (the guest powers itself off). */
	m6_cptr_t ro = kt_copy(CAP_POWER, M6_RIGHT_READ);
	REQUIRE(ro);
	CHECK_ERR(m6_power_off(ro), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_power_off(CAP_DEBUG_CONSOLE), M6_ERR_ILLEGAL_OPERATION);
	struct m6_msg m = {.info = m6_msginfo(M6_POWER_CONTROL, 1), .mr = {7}};
	CHECK_ERR(m6_call(CAP_POWER, &m), M6_ERR_INVALID_ARGUMENT);
}

TEST(tcb_read_registers_refused)
{
	m6_cptr_t w = kt_copy(M6_CAP_SELF_TCB, M6_RIGHT_WRITE);
	REQUIRE(w);
	struct m6_tcb_registers regs;
	CHECK_ERR(m6_tcb_read_registers(w, &regs), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_tcb_read_registers(CAP_DEBUG_CONSOLE, &regs), M6_ERR_ILLEGAL_OPERATION);
}

TEST(cnode_revoke_refused)
{
	CHECK_ERR(m6_cnode_revoke(M6_CAP_SELF_CNODE, 1, 0), M6_ERR_RANGE);
	CHECK_ERR(m6_cnode_revoke(M6_CAP_SELF_CNODE, 1, 65), M6_ERR_RANGE);
	CHECK_ERR(m6_cnode_revoke(M6_CAP_SELF_CNODE, 1ull << 40, 64), M6_ERR_FAILED_LOOKUP);
	m6_cptr_t ro = kt_copy(M6_CAP_SELF_CNODE, M6_RIGHT_READ);
	REQUIRE(ro);
	CHECK_ERR(m6_cnode_revoke(ro, kt_slot(), 64), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_cnode_revoke(CAP_DEBUG_CONSOLE, 1, 64), M6_ERR_ILLEGAL_OPERATION);
}

TEST(frame_unmap_refused)
{
	/* (not an endpoint: a call on one is IPC, which would wait for a receiver) */
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	CHECK_ERR(m6_frame_unmap(n), M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(m6_frame_unmap(kt_slot()), M6_ERR_INVALID_CAP);
}

TEST(timer_cancel_refused)
{
	m6_cptr_t t = kt_new(M6_OBJ_TIMER, 0);
	REQUIRE(t);
	m6_cptr_t ro = kt_copy(t, M6_RIGHT_READ);
	REQUIRE(ro);
	CHECK_ERR(m6_timer_cancel(ro), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_timer_cancel(CAP_DEBUG_CONSOLE), M6_ERR_ILLEGAL_OPERATION);
}

TEST(system_info)
{
	struct m6_memory_info mem;
	REQUIRE_OK(m6_sysinfo_memory(CAP_SYSTEM_INFO, &mem));
	CHECK(mem.ram_bytes >= (512ull << 20));
	CHECK(mem.boot_bytes > (16ull << 20)); /* the 16 MiB pool at least */
	CHECK_EQ(mem.ram_bytes, mem.boot_bytes + mem.free_bytes);
	/* thread 0 is the first thread created: this suite's main thread */
	struct m6_thread_info th;
	REQUIRE_OK(m6_sysinfo_thread(CAP_SYSTEM_INFO, 0, &th));
	CHECK_EQ(th.state, M6_THREAD_RUNNING);
	CHECK_EQ(th.priority, KT_MAIN_PRIO);
	CHECK(th.name[0] == 'k');
	uint64_t boot, freq;
	REQUIRE_OK(m6_sysinfo_boot(CAP_SYSTEM_INFO, &boot, &freq));
	CHECK(boot > 0);
	CHECK_EQ(freq, 62500000);
	/* the ID registers EL0 cannot read: MIDR_EL1's architecture field says "see the ID
	 * registers" (0xf) on every Armv8 CPU, the AArch64 processor features say EL0 runs
	 * AArch64, unallocated ones read zero */
	uint64_t midr = 0, pfr0 = 0, reserved = 1;
	REQUIRE_OK(m6_sysinfo_cpu_id(CAP_SYSTEM_INFO, 0, 0, &midr));
	CHECK_EQ((midr >> 16) & 0xf, 0xf);
	REQUIRE_OK(m6_sysinfo_cpu_id(CAP_SYSTEM_INFO, 4, 0, &pfr0));
	CHECK((pfr0 & 0xf) == 1 || (pfr0 & 0xf) == 2);
	REQUIRE_OK(m6_sysinfo_cpu_id(CAP_SYSTEM_INFO, 7, 7, &reserved));
	CHECK_EQ(reserved, 0);
}

TEST(system_info_refused)
{
	struct m6_thread_info th;
	CHECK_ERR(m6_sysinfo_thread(CAP_SYSTEM_INFO, 100000, &th), M6_ERR_RANGE);
	m6_cptr_t wo = kt_copy(CAP_SYSTEM_INFO, M6_RIGHT_WRITE);
	REQUIRE(wo);
	struct m6_memory_info mem;
	CHECK_ERR(m6_sysinfo_memory(wo, &mem), M6_ERR_INSUFFICIENT_RIGHTS);
	uint64_t boot, freq;
	CHECK_ERR(m6_sysinfo_boot(wo, &boot, &freq), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_sysinfo_memory(CAP_DEBUG_CONSOLE, &mem), M6_ERR_ILLEGAL_OPERATION);
	/* ID registers: past CRm 7, the implementation-defined encodings of CRm 0, an op2
	 * past 7, no index at all, no read right */
	uint64_t v = 0x5a5a;
	CHECK_ERR(m6_sysinfo_cpu_id(CAP_SYSTEM_INFO, 8, 0, &v), M6_ERR_RANGE);
	CHECK_ERR(m6_sysinfo_cpu_id(CAP_SYSTEM_INFO, 0, 1, &v), M6_ERR_RANGE);
	CHECK_ERR(m6_sysinfo_cpu_id(CAP_SYSTEM_INFO, 0, 7, &v), M6_ERR_RANGE);
	CHECK_ERR(m6_sysinfo_cpu_id(CAP_SYSTEM_INFO, 4, 8, &v), M6_ERR_RANGE);
	CHECK_EQ(v, 0x5a5a);
	struct m6_msg m = {.info = m6_msginfo(M6_SYSTEM_INFO_CPU_ID, 0)};
	CHECK_EQ(m6_call(CAP_SYSTEM_INFO, &m), M6_ERR_INVALID_ARGUMENT);
	/* an index that names MIDR (0) or ID_AA64PFR0 (32) in its low 32 bits only: the
	 * kernel refuses the whole word before narrowing it to the switch's unsigned */
	m = (struct m6_msg){.info = m6_msginfo(M6_SYSTEM_INFO_CPU_ID, 1), .mr = {1ull << 32}};
	CHECK_EQ(m6_call(CAP_SYSTEM_INFO, &m), M6_ERR_RANGE);
	m = (struct m6_msg){.info = m6_msginfo(M6_SYSTEM_INFO_CPU_ID, 1),
	                    .mr = {(1ull << 32) | 32}};
	CHECK_EQ(m6_call(CAP_SYSTEM_INFO, &m), M6_ERR_RANGE);
	CHECK_ERR(m6_sysinfo_cpu_id(wo, 0, 0, &v), M6_ERR_INSUFFICIENT_RIGHTS);
}

const struct kt_test kt_suite_misc[] = {
    KT_ENTRY(debug_console_write),
    KT_ENTRY(debug_console_refused),
    KT_ENTRY(debug_console_whole_lines),
    KT_ENTRY(power_refused),
    KT_ENTRY(tcb_read_registers_refused),
    KT_ENTRY(cnode_revoke_refused),
    KT_ENTRY(frame_unmap_refused),
    KT_ENTRY(timer_cancel_refused),
    KT_ENTRY(system_info),
    KT_ENTRY(system_info_refused),
    KT_END,
};
