/* What a Linux program learns about the CPU (docs/linux.md, "The CPU"): AT_HWCAP and
 * AT_HWCAP2, and the ID registers it reads with MRS, as arm64 Linux presents them.
 *
 * EL0 cannot read MIDR_EL1 or the ID_AA64*_EL1 registers (undefined at EL0 below
 * FEAT_IDST): such an MRS traps, the kernel sends the shim an M6_FAULT_EXCEPTION, and the
 * shim answers it as Linux's HWCAP_CPUID promises, writing the destination register with
 * a sanitised value and resuming after the instruction. The raw values come from the
 * kernel (SYSTEM_INFO_CPU_ID, which needs the spec's `syscap system_info`); without that
 * cap the shim offers only FP and ASIMD and no CPUID, as before, and such an MRS kills.
 *
 * Sanitised means what Linux shows: only the fields of features a program may use without
 * help from the system (instruction-set extensions: AES, SHA, CRC32, atomics, ...) keep
 * their value; features that need the system's support (SVE and SME state, pointer
 * authentication keys, MTE, BTI), debug, memory-model and AArch32 registers show fixed
 * values instead: 0 in most fields, and the same fixed values as arm64 Linux in a few (the
 * EL0 and EL1 fields of ID_AA64PFR0_EL1 say "AArch64 only", ID_AA64MMFR0_EL1's granule
 * fields and ID_AA64DFR0_EL1's debug version are Linux's constants), so that a program
 * reads on m6 what it reads on Linux (test/linux/cpuid.c, linux.compare). */
#include <m6/fault.h>
#include <m6/invocations.h>
#include <m6_caps.h>

#ifdef CAP_SYSTEM_INFO
#include <m6/sysinfo.h>
#endif

#include "shim.h"

/* AT_HWCAP bits (arm64 Linux's uapi hwcap.h numbering, an ABI) */
#define HWCAP_FP       (1u << 0)
#define HWCAP_ASIMD    (1u << 1)
#define HWCAP_EVTSTRM  (1u << 2)
#define HWCAP_AES      (1u << 3)
#define HWCAP_PMULL    (1u << 4)
#define HWCAP_SHA1     (1u << 5)
#define HWCAP_SHA2     (1u << 6)
#define HWCAP_CRC32    (1u << 7)
#define HWCAP_ATOMICS  (1u << 8)
#define HWCAP_FPHP     (1u << 9)
#define HWCAP_ASIMDHP  (1u << 10)
#define HWCAP_CPUID    (1u << 11)
#define HWCAP_ASIMDRDM (1u << 12)
#define HWCAP_JSCVT    (1u << 13)
#define HWCAP_FCMA     (1u << 14)
#define HWCAP_LRCPC    (1u << 15)
#define HWCAP_DCPOP    (1u << 16)
#define HWCAP_SHA3     (1u << 17)
#define HWCAP_SM3      (1u << 18)
#define HWCAP_SM4      (1u << 19)
#define HWCAP_ASIMDDP  (1u << 20)
#define HWCAP_SHA512   (1u << 21)
#define HWCAP_ASIMDFHM (1u << 23)
#define HWCAP_DIT      (1u << 24)
#define HWCAP_ILRCPC   (1u << 26)
#define HWCAP_FLAGM    (1u << 27)
#define HWCAP_SB       (1u << 29)
/* AT_HWCAP2 */
#define HWCAP2_DCPODP (1u << 0)
#define HWCAP2_FLAGM2 (1u << 7)
#define HWCAP2_FRINT  (1u << 8)
#define HWCAP2_I8MM   (1u << 13)
#define HWCAP2_BF16   (1u << 14)
#define HWCAP2_RNG    (1u << 16)

/* Registers by CRm * 8 + op2 (op0 3, op1 0, CRn 0) */
#define REG_MIDR   0
#define REG_MPIDR  5
#define REG_REVIDR 6
#define REG_PFR0   32 /* ID_AA64PFR0_EL1 */
#define REG_ISAR0  48 /* ID_AA64ISAR0_EL1 */
#define REG_ISAR1  49 /* ID_AA64ISAR1_EL1 */
#define REG_DFR0   40 /* ID_AA64DFR0_EL1 */
#define REG_MMFR0  56 /* ID_AA64MMFR0_EL1 */

/* The 4-bit field at `shift` */
#define FIELD(v, shift) (((v) >> (shift)) & 0xfu)
#define MASK(shift)     ((uint64_t)0xf << (shift))

/* Visible fields (the rest read 0). ID_AA64ISAR0_EL1: AES, SHA1, SHA2, CRC32, Atomic, RDM,
 * SHA3, SM3, SM4, DP, FHM, TS, RNDR. */
static const uint64_t isar0_visible = MASK(4) | MASK(8) | MASK(12) | MASK(16) | MASK(20) |
                                      MASK(28) | MASK(32) | MASK(36) | MASK(40) | MASK(44) |
                                      MASK(48) | MASK(52) | MASK(60);
/* ID_AA64ISAR1_EL1: DPB, JSCVT, FCMA, LRCPC, FRINTTS, SB, BF16, I8MM (not the pointer
 * authentication fields). */
static const uint64_t isar1_visible =
    MASK(0) | MASK(12) | MASK(16) | MASK(20) | MASK(32) | MASK(36) | MASK(44) | MASK(52);
/* ID_AA64PFR0_EL1: FP, AdvSIMD, DIT (not SVE: the shim's processes have no SVE state). */
static const uint64_t pfr0_visible = MASK(16) | MASK(20) | MASK(48);
#define PFR0_AARCH64_ONLY ((uint64_t)0x11) /* EL0 and EL1 fields: AArch64 only */
/* Fixed, whatever the CPU: ID_AA64MMFR0_EL1 with TGran4_2, TGran64_2, TGran16_2 1 and
 * TGran4, TGran64 0xf; ID_AA64DFR0_EL1 with DebugVer 6 (Armv8.0 debug). */
#define MMFR0_SHOWN ((uint64_t)0x111ff000000)
#define DFR0_SHOWN  ((uint64_t)0x6)
/* MPIDR_EL1 as Linux shows it to every thread: bit 31 (RES1) alone, no topology. */
#define MPIDR_SHOWN 0x80000000u

static bool known;      /* the raw values below were read from the kernel */
static uint64_t midr;   /* raw */
static uint64_t pfr0;   /* sanitised */
static uint64_t isar0;  /* sanitised */
static uint64_t isar1;  /* sanitised */
static uint64_t hwcap;  /* AT_HWCAP */
static uint64_t hwcap2; /* AT_HWCAP2 */

static bool read_raw(unsigned index, uint64_t *v)
{
#ifdef CAP_SYSTEM_INFO
	return m6_sysinfo_cpu_id(CAP_SYSTEM_INFO, index / 8, index % 8, v) == M6_OK;
#else
	(void)index;
	(void)v;
	return false;
#endif
}

void cpu_init(void)
{
	/* without the registers: every Armv8-A has FP and ASIMD, nothing more is claimed */
	hwcap = HWCAP_FP | HWCAP_ASIMD | HWCAP_EVTSTRM;
	uint64_t p, i0, i1;
	if (!read_raw(REG_MIDR, &midr) || !read_raw(REG_PFR0, &p) || !read_raw(REG_ISAR0, &i0) ||
	    !read_raw(REG_ISAR1, &i1))
		return;
	known = true;
	pfr0 = (p & pfr0_visible) | PFR0_AARCH64_ONLY;
	isar0 = i0 & isar0_visible;
	isar1 = i1 & isar1_visible;
	hwcap = HWCAP_EVTSTRM | HWCAP_CPUID; /* the kernel's event stream; MRS emulated here */
	/* FP and AdvSIMD: 0xf is "not implemented", 1 adds half precision */
	if (FIELD(pfr0, 16) != 0xf) {
		hwcap |= HWCAP_FP;
		if (FIELD(pfr0, 16) == 1)
			hwcap |= HWCAP_FPHP;
	}
	if (FIELD(pfr0, 20) != 0xf) {
		hwcap |= HWCAP_ASIMD;
		if (FIELD(pfr0, 20) == 1)
			hwcap |= HWCAP_ASIMDHP;
	}
	if (FIELD(pfr0, 48) >= 1)
		hwcap |= HWCAP_DIT;
	static const struct {
		uint8_t shift, min;
		uint32_t bit;
	} isar0_caps[] =
	    {
	        {4, 1, HWCAP_AES},       {4, 2, HWCAP_PMULL},     {8, 1, HWCAP_SHA1},
	        {12, 1, HWCAP_SHA2},     {12, 2, HWCAP_SHA512},   {16, 1, HWCAP_CRC32},
	        {20, 2, HWCAP_ATOMICS},  {28, 1, HWCAP_ASIMDRDM}, {32, 1, HWCAP_SHA3},
	        {36, 1, HWCAP_SM3},      {40, 1, HWCAP_SM4},      {44, 1, HWCAP_ASIMDDP},
	        {48, 1, HWCAP_ASIMDFHM}, {52, 1, HWCAP_FLAGM},
	    },
	  isar1_caps[] = {
	      {0, 1, HWCAP_DCPOP},  {12, 1, HWCAP_JSCVT},  {16, 1, HWCAP_FCMA},
	      {20, 1, HWCAP_LRCPC}, {20, 2, HWCAP_ILRCPC}, {36, 1, HWCAP_SB},
	  };
	for (size_t k = 0; k < sizeof(isar0_caps) / sizeof(isar0_caps[0]); k++)
		if (FIELD(isar0, isar0_caps[k].shift) >= isar0_caps[k].min)
			hwcap |= isar0_caps[k].bit;
	for (size_t k = 0; k < sizeof(isar1_caps) / sizeof(isar1_caps[0]); k++)
		if (FIELD(isar1, isar1_caps[k].shift) >= isar1_caps[k].min)
			hwcap |= isar1_caps[k].bit;
	if (FIELD(isar1, 0) >= 2)
		hwcap2 |= HWCAP2_DCPODP;
	if (FIELD(isar0, 52) >= 2)
		hwcap2 |= HWCAP2_FLAGM2;
	if (FIELD(isar1, 32) >= 1)
		hwcap2 |= HWCAP2_FRINT;
	if (FIELD(isar1, 52) >= 1)
		hwcap2 |= HWCAP2_I8MM;
	if (FIELD(isar1, 44) >= 1)
		hwcap2 |= HWCAP2_BF16;
	if (FIELD(isar0, 60) >= 1)
		hwcap2 |= HWCAP2_RNG;
}

uint64_t cpu_midr(void)
{
	return known ? midr : 0;
}

const char *cpu_hwcap_name(unsigned bit)
{
	/* AT_HWCAP's bits by their names in Linux's /proc/cpuinfo, in bit order */
	static const char *const names[] = {
	    "fp",      "asimd", "evtstrm", "aes",   "pmull",    "sha1",   "sha2", "crc32",
	    "atomics", "fphp",  "asimdhp", "cpuid", "asimdrdm", "jscvt",  "fcma", "lrcpc",
	    "dcpop",   "sha3",  "sm3",     "sm4",   "asimddp",  "sha512", "sve",  "asimdfhm",
	    "dit",     "uscat", "ilrcpc",  "flagm", "ssbs",     "sb",     "paca", "pacg",
	};
	return bit < sizeof(names) / sizeof(names[0]) ? names[bit] : NULL;
}

uint64_t cpu_hwcap(void)
{
	return hwcap;
}

uint64_t cpu_hwcap2(void)
{
	return hwcap2;
}

/* The value of ID register `index` a program sees; false if Linux does not emulate it
 * (CRm 1, and CRm 0 but MIDR, MPIDR, REVIDR: SIGILL there). */
static bool shown_value(unsigned crm, unsigned op2, uint64_t *v)
{
	unsigned index = crm * 8 + op2;
	if (crm == 0) {
		if (op2 == 0)
			*v = midr;
		else if (op2 == 5)
			*v = MPIDR_SHOWN;
		else if (op2 == 6)
			*v = 0; /* REVIDR_EL1: implementation defined, shown as 0 */
		else
			return false;
		return true;
	}
	if (crm < 2 || crm > 7)
		return false;
	switch (index) {
	case REG_PFR0:
		*v = pfr0;
		break;
	case REG_ISAR0:
		*v = isar0;
		break;
	case REG_ISAR1:
		*v = isar1;
		break;
	case REG_MMFR0:
		*v = MMFR0_SHOWN;
		break;
	case REG_DFR0:
		*v = DFR0_SHOWN;
		break;
	default:
		*v = 0;
	}
	return true;
}

/* MRS Xt, S3_<op1>_C<CRn>_C<CRm>_<op2>: 1101 0101 0011 op0-bit op1 CRn CRm op2 Rt */
#define MRS_MASK  0xfff00000u
#define MRS_MATCH 0xd5300000u

int cpu_emulate(struct proc *p, m6_cptr_t tcb, uint64_t pc, uint64_t esr, struct m6_msg *m)
{
	unsigned ec = (unsigned)(esr >> 26) & 0x3f;
	if (!known || (ec != 0x00 && ec != 0x18))
		return -LINUX_EINVAL;
	uint32_t insn;
	if (mem_copy_in(p, &insn, pc, sizeof(insn)) != 0)
		return -LINUX_EINVAL;
	if ((insn & MRS_MASK) != MRS_MATCH)
		return -LINUX_EINVAL;
	unsigned op0 = 2 + ((insn >> 19) & 1), op1 = (insn >> 16) & 7, crn = (insn >> 12) & 15;
	unsigned crm = (insn >> 8) & 15, op2 = (insn >> 5) & 7, rt = insn & 31;
	uint64_t v;
	if (op0 != 3 || op1 != 0 || crn != 0 || !shown_value(crm, op2, &v))
		return -LINUX_EINVAL;
	if (rt != 31) { /* x31 is xzr here: nothing to write */
		struct m6_tcb_registers r;
		if (m6_tcb_read_registers(tcb, &r) != M6_OK)
			return -LINUX_EINVAL;
		r.x[rt] = v;
		/* the thread waits for the fault's answer: its registers change now, and the
		 * answer below resumes it at the next instruction */
		if (m6_tcb_write_registers(tcb, false, pc + 4, r.sp, r.x, rt + 1) != M6_OK)
			return -LINUX_EINVAL;
	}
	m->mr[0] = pc + 4;
	m->info = m6_msginfo(M6_FAULT_REPLY_RESUME, 1);
	return 0;
}
