/* Several CPUs: the big kernel lock, bring-up, and what one CPU asks of another
 * (core/smp.c; docs/kernel.md "Concurrency"). */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <kernel/scheduler.h>

/* The big kernel lock: a ticket lock (FIFO, so a CPU that asks is served in order). Every
 * kernel entry takes it (vectors.S, before anything else) and every exit to user space
 * releases it (vectors.S, arch_restore_context), so all kernel data — objects, queues,
 * every struct cpu, the capability tree — is protected by it; the only data touched
 * without it are a CPU's own registers and its stall_request (see smp_stall). The boot CPU
 * holds it from the first instruction; idle CPUs release it around WFI. */
struct kernel_lock {
	uint16_t owner; /* ticket being served (low half: one halfword store releases) */
	uint16_t next;  /* next ticket to hand out */
} __attribute__((aligned(64)));
extern struct kernel_lock big_kernel_lock;

void kernel_lock(void);
void kernel_unlock(void);
/* Called by the entry code when the lock was not free: waits for `ticket`, answering
 * stall requests meanwhile. `from_sync`: entered by a synchronous exception from EL0
 * (an svc among them), whose handling may be cancelled by a stall (smp_unload). */
void kernel_lock_wait(uint32_t ticket, bool from_sync);
/* Another CPU waits for the lock (a long operation should stop at its next preemption
 * point and let it in). */
bool kernel_lock_contended(void);

/* Interrupt `cpu` (a reschedule SGI): it enters the kernel and decides again who runs. */
void smp_send_reschedule(struct cpu *cpu);
/* Make `cpu` (not ours, online) stop where it is: when this returns it is spinning for
 * the lock, idle or entering the kernel, with no user code running and its FP/SIMD
 * registers saved to their owner's TCB (ownership dropped), its current thread's TLS
 * register saved, and off cpu->forget_root if it was on it. It stays so until we release
 * the lock. */
void smp_stall(struct cpu *cpu);
/* `t` is on no CPU but possibly ours: taken off any other CPU it runs on (stalled, then
 * its current cleared, the thread back in its ready queue if runnable), and its FP/SIMD
 * state, live in another CPU's registers, saved. With `self` also off ours. */
void smp_unload(struct tcb *t, bool self);
/* The VSpace rooted at `root` is going: every CPU on it moves to the empty table. */
void smp_vspace_forget(paddr_t root);

/* Boot: note the CPUs the DTB lists (while it is mapped), then start each (PSCI CPU_ON)
 * and wait for it to check in. */
struct dtb;
void smp_read_cpus(const struct dtb *dtb);
void smp_boot_secondaries(void);
/* Boot: the system is installed; the secondaries, asleep since they checked in, go to
 * their schedulers (they wait for the lock the boot CPU releases on its first exit). */
void smp_release_secondaries(void);
/* The CPU index of an MPIDR value, or -1. */
int smp_cpu_of_mpidr(uint64_t mpidr);

#endif
