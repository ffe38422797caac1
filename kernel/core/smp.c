/* Several CPUs (docs/kernel.md, "Concurrency"): the big kernel lock, bring-up through
 * PSCI, and what one CPU asks of another (a reschedule, a stall).
 *
 * One lock covers the kernel: every entry takes it before anything else and every exit to
 * user space releases it as its last store (vectors.S), so the kernel's code runs on one
 * CPU at a time and no object, queue or struct cpu needs a lock of its own. What a CPU
 * does without the lock is only its own registers: while it waits for the lock it may be
 * asked (smp_stall) to put its FP/SIMD registers, TLS register and TTBR0 in order, which
 * the lock holder then relies on. */
#include <kernel/arch.h>
#include <kernel/cpu_offsets.h>
#include <kernel/dtb.h>
#include <kernel/platform.h>
#include <kernel/printk.h>
#include <kernel/smp.h>
#include <kernel/string.h>

_Static_assert(offsetof(struct cpu, stack_top) == CPU_STACK_TOP, "vectors.S: stack_top");
_Static_assert(offsetof(struct cpu, current) == CPU_CURRENT, "vectors.S: current");
_Static_assert(offsetof(struct cpu, index) == CPU_INDEX && sizeof(((struct cpu *)0)->index) == 4,
               "vectors.S: index (a 32-bit load)");
_Static_assert(offsetof(struct cpu, fault_depth) == CPU_FAULT_DEPTH &&
                   sizeof(((struct cpu *)0)->fault_depth) == 4,
               "vectors.S: fault_depth (32-bit loads and stores)");
_Static_assert(MAX_CPUS == MAX_CPUS_ASM, "vectors.S sizes the stacks by MAX_CPUS_ASM");

/* Held by the boot CPU from the start: ticket 0 is served, 1 is next. */
struct kernel_lock big_kernel_lock = {.owner = 0, .next = 1};

void kernel_lock(void)
{
	uint32_t old, tmp, fail;
	__asm__ volatile("1:	ldaxr	%w0, [%3]\n"
	                 "	add	%w1, %w0, #0x10000\n"
	                 "	stxr	%w2, %w1, [%3]\n"
	                 "	cbnz	%w2, 1b"
	                 : "=&r"(old), "=&r"(tmp), "=&r"(fail)
	                 : "r"(&big_kernel_lock)
	                 : "memory");
	if ((old & 0xffff) != (old >> 16))
		kernel_lock_wait(old >> 16, false);
}

void kernel_unlock(void)
{
	/* Only the holder writes `owner`: a plain read, then a release store (which also
	 * clears the waiters' exclusive monitors, waking their WFE). */
	__atomic_store_n(&big_kernel_lock.owner, (uint16_t)(big_kernel_lock.owner + 1),
	                 __ATOMIC_RELEASE);
}

bool kernel_lock_contended(void)
{
	uint32_t word = __atomic_load_n((uint32_t *)&big_kernel_lock, __ATOMIC_RELAXED);
	return (uint16_t)(word >> 16) != (uint16_t)((word & 0xffff) + 1);
}

void kernel_lock_wait(uint32_t ticket, bool from_sync)
{
	struct cpu *cpu = this_cpu();
	cpu->waiting_ticket = ticket;
	for (;;) {
		if (__atomic_load_n(&cpu->stall_request, __ATOMIC_ACQUIRE)) {
			arch_stall_ack(cpu, from_sync);
			__atomic_store_n(&cpu->stall_request, 0, __ATOMIC_RELEASE);
		}
		uint32_t owner;
		/* An exclusive load: the holder's release store then wakes the WFE. A stall
		 * request comes with a SEV. */
		__asm__ volatile("ldaxrh %w0, [%1]"
		                 : "=r"(owner)
		                 : "r"(&big_kernel_lock.owner)
		                 : "memory");
		if (owner == (ticket & 0xffff))
			return;
		__asm__ volatile("wfe" ::: "memory");
	}
}

void smp_send_reschedule(struct cpu *cpu)
{
	if (cpu->online && cpu != this_cpu())
		arch_send_reschedule(cpu->mpidr);
}

void smp_stall(struct cpu *cpu)
{
	if (!cpu->online || cpu == this_cpu())
		return;
	__atomic_store_n(&cpu->stall_request, 1, __ATOMIC_RELEASE);
	/* A CPU at EL0 needs the interrupt to enter the kernel; one already waiting for the
	 * lock (interrupts masked) or about to sleep needs the event. */
	__asm__ volatile("dsb ish\n\tsev" ::: "memory");
	arch_send_reschedule(cpu->mpidr);
	for (;;) {
		uint32_t pending;
		__asm__ volatile("ldaxr %w0, [%1]"
		                 : "=r"(pending)
		                 : "r"(&cpu->stall_request)
		                 : "memory");
		if (!pending)
			break;
		__asm__ volatile("wfe" ::: "memory");
	}
}

void smp_unload(struct tcb *t, bool self)
{
	struct cpu *me = this_cpu();
	bool was_current = false;
	if (!t)
		return;
	for (unsigned i = 0; i < cpu_count; i++) {
		struct cpu *c = &cpus[i];
		if (c == me) {
			if (self && c->current == t) {
				arch_switch_to(t, NULL);
				c->current = NULL;
				was_current = true;
			}
			/* Its FP/SIMD state may be live here even if it runs elsewhere now (it
			 * ran here last and nobody else used FP since): saved, so that the copy
			 * in its TCB is the latest wherever it runs next. */
			if (c->current != t)
				arch_fpu_release(t);
			continue;
		}
		if (c->current != t && c->fpu_owner != t)
			continue;
		smp_stall(c);
		if (c->current == t) {
			/* Stopped on its way into the kernel with an svc that CPU has not handled
			 * (and now will not): the svc is issued again when the thread runs next,
			 * wherever that is. */
			if (c->stalled_in_svc)
				t->context.pc -= 4;
			c->current = NULL;
			was_current = true;
		}
	}
	/* Off its CPU but still runnable: back in its queue (the running thread never is). */
	if (was_current && t->state == THREAD_RUNNING)
		scheduler_make_runnable(t);
}

void smp_vspace_forget(paddr_t root)
{
	struct cpu *me = this_cpu();
	arch_vspace_forget(root);
	for (unsigned i = 0; i < cpu_count; i++) {
		struct cpu *c = &cpus[i];
		if (c == me || c->vspace_root != root)
			continue;
		c->forget_root = root;
		smp_stall(c);
		c->forget_root = 0;
	}
}

int smp_cpu_of_mpidr(uint64_t mpidr)
{
	for (unsigned i = 0; i < cpu_count; i++) {
		if (cpus[i].mpidr == mpidr)
			return (int)i;
	}
	return -1;
}

/* ---- bring-up ---------------------------------------------------------------------- */

enum { BOOT_NONE, BOOT_STARTING, BOOT_CHECKED_IN, BOOT_ABANDONED };
static uint32_t secondaries_released;

void smp_release_secondaries(void)
{
	__atomic_store_n(&secondaries_released, 1, __ATOMIC_RELEASE);
	for (unsigned i = 1; i < cpu_count; i++)
		smp_send_reschedule(&cpus[i]);
}
static uint32_t boot_state[MAX_CPUS];

/* How long a started CPU has to check in: generous, because under an emulator on a
 * loaded host a virtual CPU's first instructions can be late. */
#define CHECK_IN_SECONDS 5

extern char kernel_stacks[];

/* Called by head.S on a secondary CPU, on its own stack, MMU on, TPIDR_EL1 = its cpu. */
NORETURN void secondary_main(void)
{
	struct cpu *cpu = this_cpu();
	uint32_t expected = BOOT_STARTING;
	if (!__atomic_compare_exchange_n(&boot_state[cpu->index], &expected, BOOT_CHECKED_IN, false,
	                                 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Too late: the boot CPU gave up on us and said so. Stay out of its way. */
		for (;;)
			__asm__ volatile("wfi");
	}
	/* This CPU's own hardware needs no lock: its redistributor, CPU interface, timer,
	 * EL0-visible registers. */
	arch_cpu_init_secondary(cpu);
	/* The boot CPU holds the lock until it has installed the system: sleep until then
	 * rather than spin (an emulator counts every spinning instruction; hardware burns
	 * power). smp_release_secondaries() wakes us with the SGI, which stays pending and
	 * is taken, harmlessly, when this CPU first idles. */
	while (!__atomic_load_n(&secondaries_released, __ATOMIC_ACQUIRE))
		__asm__ volatile("wfi" ::: "memory");
	kernel_lock();
	gic_cpu_init_lpis(cpu);
	cpu->online_since = arch_timer_now();
	scheduler_exit_to_user();
}

enum { START_OK, START_REFUSED, START_LATE };

static int start_cpu(unsigned index, uint64_t mpidr)
{
	struct cpu *cpu = &cpus[index];
	cpu->index = index;
	cpu->mpidr = mpidr;
	cpu->stack_top = (uintptr_t)kernel_stacks + (index + 1) * KERNEL_STACK_STRIDE;
	cpu->timeslice_ticks = cpus[0].timeslice_ticks;
	cpu->slice_end = UINT64_MAX;
	cpu->timer_programmed = UINT64_MAX;
	cpu->fpu_enabled = true;
	__atomic_store_n(&boot_state[index], BOOT_STARTING, __ATOMIC_RELEASE);
	int err = arch_cpu_start(cpu);
	if (err) {
		printk("m6: CPU %u (MPIDR %lx) did not start: PSCI CPU_ON error %d; going on "
		       "without it\n",
		       index, mpidr, err);
		boot_state[index] = BOOT_NONE;
		return START_REFUSED;
	}
	uint64_t deadline = arch_timer_now() + CHECK_IN_SECONDS * arch_timer_frequency();
	while (__atomic_load_n(&boot_state[index], __ATOMIC_ACQUIRE) == BOOT_STARTING) {
		if (arch_timer_now() > deadline) {
			uint32_t expected = BOOT_STARTING;
			if (__atomic_compare_exchange_n(&boot_state[index], &expected,
			                                BOOT_ABANDONED, false, __ATOMIC_ACQ_REL,
			                                __ATOMIC_ACQUIRE)) {
				printk("m6: CPU %u (MPIDR %lx) did not check in within %u s; going "
				       "on without it\n",
				       index, mpidr, CHECK_IN_SECONDS);
				return START_LATE;
			}
		}
		__asm__ volatile("yield");
	}
	cpu->online = true;
	/* Said here, before user space runs: said by the CPU itself once it has the lock, the
	 * line could land in the middle of a thread's half-written console line. */
	printk("m6: CPU %u online (MPIDR %lx)\n", index, mpidr);
	return START_OK;
}

/* The CPUs the DTB lists, read before the boot map (and the DTB's mapping) goes. */
static uint64_t listed_mpidr[MAX_CPUS];
static unsigned listed_count, listed_total;

void smp_read_cpus(const struct dtb *dtb)
{
	uint64_t self = arch_cpu_mpidr();
	int node = dtb_find_path(dtb, "/cpus");
	if (node < 0) {
		printk("m6: DTB: no /cpus node; running on the boot CPU only\n");
		return;
	}
	for (int c = dtb_next_child(dtb, node, -1); c >= 0; c = dtb_next_child(dtb, node, c)) {
		const char *type;
		if (dtb_get_string(dtb, c, "device_type", &type) != DTB_OK || strcmp(type, "cpu"))
			continue; /* cpu-map and the like */
		if (!dtb_node_enabled(dtb, c))
			continue;
		struct dtb_region reg;
		if (dtb_get_reg(dtb, c, 0, &reg) != DTB_OK) {
			printk("m6: DTB: CPU node %s has no usable reg; not used\n",
			       dtb_node_name(dtb, c));
			continue;
		}
		uint64_t mpidr = reg.base & 0xff00ffffffull; /* Aff3, Aff2..Aff0 */
		listed_total++;
		if (mpidr == self)
			continue;
		const char *method;
		if (dtb_get_string(dtb, c, "enable-method", &method) != DTB_OK ||
		    strcmp(method, "psci")) {
			printk("m6: DTB: CPU %s is not started through PSCI; not used\n",
			       dtb_node_name(dtb, c));
			continue;
		}
		bool twice = false;
		for (unsigned i = 0; i < listed_count; i++)
			twice |= listed_mpidr[i] == mpidr;
		if (twice)
			continue;
		if (listed_count == MAX_CPUS - 1) {
			printk("m6: DTB lists more than %u CPUs; the rest are not used\n",
			       MAX_CPUS);
			break;
		}
		listed_mpidr[listed_count++] = mpidr;
	}
}

void smp_boot_secondaries(void)
{
	unsigned online = 1;
	for (unsigned i = 0; i < listed_count; i++) {
		/* A CPU that never checked in keeps its index (it may still come, late, and
		 * must find its slot its own); one PSCI refused did not start at all. */
		unsigned index = cpu_count;
		int result = start_cpu(index, listed_mpidr[i]);
		if (result != START_REFUSED)
			cpu_count++;
		if (result == START_OK)
			online++;
	}
	printk("m6: %u of %u CPU%s online\n", online, listed_total ? listed_total : 1,
	       listed_total == 1 ? "" : "s");
}
