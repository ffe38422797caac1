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
 * Everything else traps: WFI (a fault), DAIF (UMA clear), the PMU and activity monitors
 * (except in the benchmark kernel, which reopens the PMU later), the debug communications
 * channel, SCXTNUM_EL0 (TSCXT set). */
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
