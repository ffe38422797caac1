/* Priority scheduler: 256 levels, round robin within a level. */
#ifndef KERNEL_SCHEDULER_H
#define KERNEL_SCHEDULER_H

#include <kernel/tcb.h>

/* Per-CPU state: everything that belongs to one core. All of it is protected by the big
 * kernel lock (core/smp.c) except where a field says otherwise: another CPU holding the
 * lock may read and change a CPU's queues and `current` (a wake-up, a thread taken off a
 * CPU), and the CPU itself reaches its own structure through TPIDR_EL1. vectors.S reads
 * the first fields by offset (kernel/cpu_offsets.h). */
struct cpu {
	uintptr_t stack_top; /* this CPU's kernel stack (vectors.S, offset 0) */
	struct tcb *current; /* thread whose context is live, or NULL when idle (offset 8) */
	/* Set by the lock holder, cleared by this CPU while it waits for the lock (without
	 * it): smp_stall() (offset 16). Accessed atomically. */
	uint32_t stall_request;
	unsigned index;            /* 0 .. MAX_CPUS - 1: the number threads are placed by */
	uint32_t waiting_ticket;   /* the lock ticket this CPU last waited for (debugging) */
	uint32_t fault_depth;      /* kernel faults nested on this CPU (vectors.S el1_sync) */
	uint64_t mpidr;            /* affinity fields of MPIDR_EL1 (what PSCI and the GIC use) */
	bool online;               /* started, checked in, schedules threads */
	bool reschedule;           /* current should go to the back of its queue */
	bool fpu_enabled;          /* CPACR state, to avoid rewriting it */
	bool stalled_in_svc;       /* at the last stall: entering the kernel for an svc */
	struct tcb *fpu_owner;     /* whose FP/SIMD state is in this CPU's registers */
	paddr_t vspace_root;       /* table TTBR0 points at (arch/aarch64/thread.c) */
	paddr_t forget_root;       /* with a stall request: leave this table if on it */
	uintptr_t gicr;            /* this CPU's GIC redistributor (kernel address) */
	uint64_t timer_programmed; /* the deadline in this CPU's timer (core/clock.c) */
	uint64_t timeslice_ticks;  /* default for threads that set none */
	uint64_t slice_end;        /* counter value at which current's timeslice ends */
	uint64_t idle_ticks;       /* counter ticks spent idle (SystemInfo) */
	uint64_t idle_since;       /* counter value when the current idle stretch began, or 0 */
	uint64_t online_since;     /* counter value when it began to schedule threads */
	uint64_t device_irqs;      /* user-space interrupts (SPI, PPI, LPI) taken here */
	struct thread_queue ready[PRIORITY_COUNT];
	uint64_t ready_bitmap[PRIORITY_COUNT / 64];
	uint64_t ready_words; /* bit w: ready_bitmap[w] is not zero (two-level lookup) */
} __attribute__((aligned(64)));

/* A compile-time maximum: per-CPU stacks and structures are part of the kernel image (the
 * kernel allocates nothing at run time). RK3588 has 8 cores. */
#define MAX_CPUS 8
extern struct cpu cpus[MAX_CPUS];
/* CPUs that came online (the boot CPU is always 0; others in DTB order). Written only
 * during bring-up, under the lock. */
extern unsigned cpu_count;

/* The state of the CPU we run on: TPIDR_EL1 holds it from the first instruction of C. */
static inline struct cpu *this_cpu(void)
{
	struct cpu *c;
	__asm__("mrs %0, tpidr_el1" : "=r"(c));
	return c;
}

/* Highest priority with a ready thread on `cpu` (its running thread is not counted), or
 * -1. Two count-leading-zeros, no loop: this is on the IPC fastpath. */
static inline int cpu_highest_ready(const struct cpu *cpu)
{
	if (!cpu->ready_words)
		return -1;
	int w = 63 - __builtin_clzll(cpu->ready_words);
	return w * 64 + 63 - __builtin_clzll(cpu->ready_bitmap[w]);
}

static inline int scheduler_highest_ready(void)
{
	return cpu_highest_ready(this_cpu());
}

/* Move `t` to CPU `index` (online): taken off the CPU it runs on, if another, and queued
 * on the new one if runnable. */
void scheduler_set_cpu(struct tcb *t, unsigned index);
void scheduler_init(uint64_t timeslice_ticks);
/* Make a thread runnable (state RUNNING, in a ready queue). */
void scheduler_make_runnable(struct tcb *t);
void scheduler_dequeue(struct tcb *t);
void scheduler_set_priority(struct tcb *t, uint8_t priority);
/* The TCB is being destroyed: drop every reference the scheduler keeps to it. */
void scheduler_forget(struct tcb *t);
/* Timer tick: current's slice is over. */
void scheduler_timeslice_end(void);
/* The current thread gives way to the others ready at its priority. */
void scheduler_yield(void);
/* Fastpath helpers. `t`, the current thread, has just blocked: switch to the highest
 * ready thread and return it, or return NULL (nothing changed) if none is ready. */
struct tcb *scheduler_switch_from_blocked(struct tcb *t);
/* `t`, still running, has just woken `woken`: make it ready, or switch to it at once if
 * it outranks everything; returns the thread to enter. */
struct tcb *scheduler_switch_to_woken(struct tcb *t, struct tcb *woken);
/* Pick who runs next and enter it; idles when nobody is runnable. */
NORETURN void scheduler_exit_to_user(void);

#endif
