/*
 * The CPU as a program sees it: AT_HWCAP's HWCAP_CPUID says the ID registers may be read
 * with MRS at EL0, where they are undefined: the system answers the trap with the
 * register's value as Linux sanitises it (only the fields of features a program may use
 * on its own). Printed as values, which depend on the CPU QEMU emulates (cortex-a72 for
 * the reference and m6 alike). An MRS outside the emulated space, and an undefined
 * instruction, end a child with SIGILL.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#define READ(reg)                                             \
	({                                                    \
		uint64_t v_;                                  \
		__asm__ volatile("mrs %0, " #reg : "=r"(v_)); \
		v_;                                           \
	})

static int died_of_sigill(void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int status;
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	       WTERMSIG(status) == SIGILL;
}

static void read_crm1(void)
{
	(void)READ(S3_0_C0_C1_0); /* ID_PFR0_EL1's space: not emulated */
}

static void undefined(void)
{
	__asm__ volatile("udf #0");
}

int main(void)
{
	if (!(getauxval(AT_HWCAP) & HWCAP_CPUID)) {
		printf("no HWCAP_CPUID\n");
		return 1;
	}
	printf("MIDR_EL1 0x%lx\n", (unsigned long)READ(midr_el1));
	printf("MPIDR_EL1 0x%lx\n", (unsigned long)READ(mpidr_el1));
	printf("REVIDR_EL1 0x%lx\n", (unsigned long)READ(revidr_el1));
	printf("ID_AA64PFR0_EL1 0x%lx\n", (unsigned long)READ(id_aa64pfr0_el1));
	printf("ID_AA64PFR1_EL1 0x%lx\n", (unsigned long)READ(id_aa64pfr1_el1));
	printf("ID_AA64ISAR0_EL1 0x%lx\n", (unsigned long)READ(id_aa64isar0_el1));
	printf("ID_AA64ISAR1_EL1 0x%lx\n", (unsigned long)READ(id_aa64isar1_el1));
	printf("ID_AA64MMFR0_EL1 0x%lx\n", (unsigned long)READ(id_aa64mmfr0_el1));
	printf("ID_AA64MMFR1_EL1 0x%lx\n", (unsigned long)READ(id_aa64mmfr1_el1));
	printf("ID_AA64MMFR2_EL1 0x%lx\n", (unsigned long)READ(S3_0_C0_C7_2));
	printf("ID_AA64DFR0_EL1 0x%lx\n", (unsigned long)READ(id_aa64dfr0_el1));
	printf("ID_AA64ZFR0_EL1 0x%lx\n", (unsigned long)READ(S3_0_C0_C4_4));
	printf("unallocated S3_0_C0_C7_7 0x%lx\n", (unsigned long)READ(S3_0_C0_C7_7));
	/* the emulation writes its destination register and no other */
	uint64_t keep = 0, dest = 0;
	__asm__ volatile("mov x9, #0x1234\n\t"
	                 "mrs x10, midr_el1\n\t"
	                 "mrs xzr, midr_el1\n\t"
	                 "mov %0, x9\n\t"
	                 "mov %1, x10"
	                 : "=r"(keep), "=r"(dest)
	                 :
	                 : "x9", "x10");
	printf("other registers kept: %s\n",
	       keep == 0x1234 && dest == READ(midr_el1) ? "ok" : "FAILED");
	printf("MRS of S3_0_C0_C1_0: %s\n", died_of_sigill(read_crm1) ? "SIGILL" : "FAILED");
	printf("UDF: %s\n", died_of_sigill(undefined) ? "SIGILL" : "FAILED");
	return 0;
}
