/* System registers EL0 can read, or that decide what EL0 may touch, set to known values
 * at boot. Firmware and boot loaders leave them as they like (a real board's may leave
 * the PMU open to EL0, or a value in TPIDRRO_EL0), and the kernel must not inherit that.
 *
 * What EL0 may use, and why (SCTLR_EL1 is set in head.S):
 * - the virtual counter CNTVCT_EL0 and CNTFRQ_EL0 (time needs no authority; CNTKCTL_EL1,
 *   timer.c), never the timers or the physical counter;
 * - TPIDR_EL0, per thread (thread.c); TPIDRRO_EL0 reads 0 (set here, written by nothing
 *   after, and EL0 cannot write it, so it cannot carry anything from one thread to the
 *   next);
 * - CTR_EL0 (UCT) and cache maintenance by VA, DC CVAU/CVAC/CIVAC and IC IVAU (UCI):
 *   permission-checked like a load and unable to discard data, which code loaders need;
 *   DC ZVA (DZE), which is a store to memory the thread can write anyway; WFE (nTWE).
 * - the event stream (CNTKCTL_EL1.EVNTEN, timer.c): WFE wakes within 100-200 us even
 *   without an SEV, which Linux programs are promised (HWCAP_EVTSTRM) and spin-waits use.
 * Everything else traps: WFI (a fault), DAIF (UMA clear), the PMU and activity monitors
 * (except in the benchmark kernel, which reopens the PMU later), the debug communications
 * channel, SCXTNUM_EL0 (TSCXT set). The ID registers (MIDR_EL1, ID_AA64*_EL1) are
 * undefined at EL0 on this architecture level; SYSTEM_INFO_CPU_ID reads them for a
 * holder of the SystemInfo cap (arch_read_id_register below), which is how a Linux
 * emulator answers a program's trapped MRS. */
#include <arch/sysreg.h>
#include <kernel/arch.h>

#define ID_FIELD(reg, shift) (((reg) >> (shift)) & 0xf)
#define MDSCR_TDCC           (1u << 12) /* trap EL0 access to the DCC registers */

void arch_el0_state_init(void)
{
	uint64_t dfr0 = SYSREG_READ(id_aa64dfr0_el1), pfr0 = SYSREG_READ(id_aa64pfr0_el1);
	/* PMUVer 0: no PMU (its registers would be undefined); 0xf: not architected. */
	unsigned pmu = ID_FIELD(dfr0, 8);
	if (pmu != 0 && pmu != 0xf)
		SYSREG_WRITE(pmuserenr_el0, 0);
	if (ID_FIELD(pfr0, 44) != 0)            /* activity monitors */
		SYSREG_WRITE(S3_3_C13_C2_3, 0); /* AMUSERENR_EL0 (older assemblers lack the name) */
	SYSREG_WRITE(tpidrro_el0, 0);
	SYSREG_WRITE(tpidr_el0, 0);
	/* No debug events (MDE, KDE, SS clear) and no debug channel for EL0: it would let
	 * threads talk past their caps (and to an external debugger). */
	SYSREG_WRITE(mdscr_el1, MDSCR_TDCC);
	ISB();
}

/* The ID register space op0 3, op1 0, CRn 0 (MIDR_EL1, MPIDR_EL1, REVIDR_EL1 in CRm 0;
 * the AArch32 and AArch64 feature registers in CRm 1..7, whose unallocated encodings
 * read as zero at EL1). Encodings by number, so that a register this assembler has no
 * name for is still read. */
#define ID_READ(crm, op2)                                     \
	case (crm)*8 + (op2):                                 \
		*value = SYSREG_READ(S3_0_C0_C##crm##_##op2); \
		return true;
#define ID_ROW(crm)     \
	ID_READ(crm, 0) \
	ID_READ(crm, 1) \
	ID_READ(crm, 2) \
	ID_READ(crm, 3) \
	ID_READ(crm, 4) \
	ID_READ(crm, 5) \
	ID_READ(crm, 6) \
	ID_READ(crm, 7)

bool arch_read_id_register(unsigned index, uint64_t *value)
{
	switch (index) {
		ID_READ(0, 0) /* MIDR_EL1 */
		ID_READ(0, 5) /* MPIDR_EL1 */
		ID_READ(0, 6) /* REVIDR_EL1 */
		ID_ROW(1)
		ID_ROW(2)
		ID_ROW(3)
		ID_ROW(4)
		ID_ROW(5)
		ID_ROW(6)
		ID_ROW(7)
	default:
		return false; /* CRm 0's other encodings are implementation defined */
	}
}
