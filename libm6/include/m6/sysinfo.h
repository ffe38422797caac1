/* SystemInfo (the spec's `syscap system_info`): read-only introspection of the kernel. */
#ifndef M6_SYSINFO_H
#define M6_SYSINFO_H

#include <stdint.h>

#include <m6/syscall.h>

struct m6_thread_info {
	uint64_t state; /* enum m6_thread_state */
	uint64_t priority;
	uint64_t max_priority;
	uint64_t flags;
	uint64_t cpu;  /* the CPU it runs on (index) */
	char name[25]; /* "component.thread", NUL terminated */
};

/* Thread number `index` (0..); M6_ERR_RANGE past the last. */
uint64_t m6_sysinfo_thread(m6_cptr_t info, uint64_t index, struct m6_thread_info *out);

struct m6_memory_info {
	uint64_t ram_bytes;  /* RAM handed to untyped at boot */
	uint64_t boot_bytes; /* what the boot tables used */
	uint64_t free_bytes; /* still free in the kernel-held untyped */
};

uint64_t m6_sysinfo_memory(m6_cptr_t info, struct m6_memory_info *out);
/* The counter value when the kernel started the components, and its frequency. */
uint64_t m6_sysinfo_boot(m6_cptr_t info, uint64_t *boot_counter, uint64_t *frequency);
/* The CPU's ID register op0 3, op1 0, CRn 0, CRm `crm`, op2 `op2` (MIDR_EL1 is 0, 0;
 * ID_AA64ISAR0_EL1 is 6, 0), which EL0 cannot read itself; M6_ERR_RANGE for an encoding
 * not offered (CRm above 7; CRm 0 but MIDR, MPIDR, REVIDR). */
uint64_t m6_sysinfo_cpu_id(m6_cptr_t info, unsigned crm, unsigned op2, uint64_t *value);
struct m6_cpu_info {
	uint64_t online;       /* 0: listed by the firmware but it never checked in */
	uint64_t mpidr;        /* MPIDR affinity fields */
	uint64_t idle_ticks;   /* counter ticks spent idle since boot */
	uint64_t cpu_count;    /* CPU indices in the system (online or not) */
	uint64_t online_since; /* counter value when it came online */
	uint64_t device_irqs;  /* user-space interrupts (SPI, PPI, LPI) it has taken */
};
/* CPU number `index` (0..); M6_ERR_RANGE past the last. */
uint64_t m6_sysinfo_cpu(m6_cptr_t info, uint64_t index, struct m6_cpu_info *out);
/* "running", "blocked (recv)", ...: a thread state's name. */
const char *m6_thread_state_name(uint64_t state);

#endif
