/* System register access and architectural constants for AArch64. */
#ifndef ARCH_SYSREG_H
#define ARCH_SYSREG_H

#define SYSREG_READ(name)                                      \
	({                                                     \
		uint64_t v_;                                   \
		__asm__ volatile("mrs %0, " #name : "=r"(v_)); \
		v_;                                            \
	})
#define SYSREG_WRITE(name, v) __asm__ volatile("msr " #name ", %0" ::"r"((uint64_t)(v)))
#define ISB()                 __asm__ volatile("isb" ::: "memory")
#define DSB(opt)              __asm__ volatile("dsb " #opt ::: "memory")

/* GICv3 CPU interface registers by encoding (older assemblers lack the names). */
#define ICC_PMR_EL1     S3_0_C4_C6_0
#define ICC_IAR1_EL1    S3_0_C12_C12_0
#define ICC_EOIR1_EL1   S3_0_C12_C12_1
#define ICC_SRE_EL1     S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_CTLR_EL1    S3_0_C12_C12_4

/* ESR_EL1 exception classes. */
#define ESR_EC_SHIFT      26
#define ESR_EC_UNKNOWN    0x00
#define ESR_EC_WFX        0x01
#define ESR_EC_FP         0x07
#define ESR_EC_SVC64      0x15
#define ESR_EC_SYSREG     0x18
#define ESR_EC_IABT_LOWER 0x20
#define ESR_EC_IABT_SAME  0x21
#define ESR_EC_PC_ALIGN   0x22
#define ESR_EC_DABT_LOWER 0x24
#define ESR_EC_DABT_SAME  0x25
#define ESR_EC_SP_ALIGN   0x26
#define ESR_EC_BRK64      0x3c

#endif
