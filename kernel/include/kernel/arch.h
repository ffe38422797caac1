/* The narrow interface generic kernel code uses to reach the architecture and the
 * platform. Generic code includes only this header, never arch/ headers directly. */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include <kernel/memory_map.h>
#include <kernel/types.h>

/* Physical addresses the kernel can map: below both the CPU's physical address range and
 * the 2^47 bytes its linear map has room for (arch/aarch64/kmap.c). RAM above is not used;
 * a device above is refused. */
paddr_t arch_phys_limit(void);

/* The kernel's own map (arch/aarch64/kmap.c). Until kmap_init() the kernel runs on the
 * boot map head.S built: the image, the DTB at kmap_boot_dtb(), nothing else. kmap_init()
 * maps every RAM range as normal memory (never executable; the image's text and rodata
 * read-only there too), the devices the kernel drives as device memory, and the image with
 * per-section permissions and unmapped guard pages under the stacks; switches to it; and
 * checks the result by reading it back. */
const void *kmap_boot_dtb(paddr_t dtb_pa);
void kmap_init(void);
/* The early UART's address in the boot map, for a panic before the console is up. */
void *kmap_boot_early_uart(void);
/* Whether `va` lies in an unmapped guard page below a kernel stack. */
bool kmap_is_stack_guard(vaddr_t va);

struct tcb;
struct arch_context;

void arch_console_putc(char c);
/* The kernel's console (drivers/pl011.c): output is buffered until arch_console_start()
 * (after kmap_init(): the UART the DTB names, or none); arch_console_emergency() is for a
 * panic before that, and writes the buffer to the build's early UART. */
void arch_console_start(void);
void arch_console_emergency(void);
NORETURN void arch_halt_system(void);
NORETURN void arch_power_off(void);
NORETURN void arch_reset(void);

/* Interrupts: the kernel runs with interrupts masked except in arch_idle(). */
void arch_irq_enable_line(unsigned irq);
void arch_idle(void);
/* An interrupt is pending at this CPU's interface (ISR_EL1), masked or not. */
bool arch_irq_pending(void);

/* Timer: one-shot deadline in timer ticks; frequency in Hz. */
uint64_t arch_timer_now(void);
/* Boot: the system registers EL0 can see or that control its access, to known values
 * (arch/aarch64/el0_state.c says which EL0 may use). */
void arch_el0_state_init(void);
/* ID register op0 3, op1 0, CRn 0, CRm index / 8, op2 index % 8 into *value; false for an
 * encoding that is not offered (index >= 64, or CRm 0 other than MIDR, MPIDR, REVIDR). */
bool arch_read_id_register(unsigned index, uint64_t *value);
/* Benchmark kernels only: count instructions (event INST_RETIRED) in PMU counter 0 and
 * cycles in the cycle counter, both readable from EL0. */
void arch_pmu_enable_user(void);
uint64_t arch_timer_frequency(void);
void arch_timer_set_deadline(uint64_t ticks);

/* Thread context. */
void arch_context_init(struct arch_context *ctx, vaddr_t pc, vaddr_t sp, word_t arg0, word_t arg1);
/* Make `next` the thread on the CPU instead of `prev` (NULL: none, or it is gone):
 * address space, TLS register, FP access. */
void arch_switch_to(struct tcb *prev, struct tcb *next);
/* The same between two threads (neither NULL), returning `next`: the IPC fastpath ends in
 * it as a tail call, so the fastpath functions need no stack frame of their own. */
struct tcb *arch_switch_threads(struct tcb *prev, struct tcb *next);
/* Enter `tcb` at EL0; it must be the thread last passed to arch_switch_to(). */
NORETURN void arch_return_to_user(struct tcb *tcb);
/* The thread touched FP/SIMD without owning the registers: hand them over. */
void arch_fpu_trap(struct tcb *t);
/* Bring t's saved FP/SIMD state up to date (it may be live in the registers) before the
 * kernel reads or writes it for another thread. */
void arch_fpu_sync(struct tcb *t);
/* Save t's FP/SIMD state if it is live on this CPU, and drop its ownership there. */
void arch_fpu_release(struct tcb *t);
/* A TCB is going away: forget it as owner of any lazily switched state. */
void arch_thread_forget(struct tcb *t);
/* Load the address space `t`'s VSpace slot names (an empty one if none) on this CPU: for
 * the running thread when that slot changes outside a thread switch. */
void arch_load_vspace(const struct tcb *t);
/* The VSpace rooted at `root` is being destroyed: if this CPU runs on it, move to the
 * empty address space, so that no thread goes on using tables that are about to be freed.
 * (With several CPUs, each CPU will need telling.) */
void arch_vspace_forget(paddr_t root);

void arch_irq_disable_line(unsigned irq);
void arch_irq_set_trigger(unsigned irq, bool edge);
unsigned arch_irq_line_count(void);

/* Address spaces: see kernel/arch/aarch64/vspace.c. Levels 0..3; level 0 is the root. */
bool arch_vspace_entry_present(paddr_t table, unsigned level, vaddr_t va);
/* The physical address an entry points at (table or leaf), 0 if invalid. */
paddr_t arch_vspace_entry_target(paddr_t table, unsigned level, vaddr_t va);
void arch_vspace_install_table(paddr_t parent, unsigned parent_level, vaddr_t va, paddr_t table);
/* A leaf: level 3 maps 4 KiB, level 2 maps 2 MiB. */
void arch_vspace_map_leaf(paddr_t table, unsigned level, vaddr_t va, paddr_t frame, unsigned rights,
                          bool device);
void arch_vspace_clear_entry(paddr_t table, unsigned level, vaddr_t va);
paddr_t arch_vspace_lookup_table(paddr_t root, vaddr_t va, unsigned level);
/* A VSpace's root table records the ASID it holds in its last entry, which translates no
 * user address (USER_VA_LIMIT stops below it): there it is an invalid descriptor (bit 0
 * clear), whose other bits the table walker ignores. So "does this VSpace still hold
 * this ASID", asked at every address space switch, is one load; asid_pool.c keeps the
 * entry in step with its pools. */
#define ARCH_VSPACE_ASID_ENTRY 511
static inline void arch_vspace_set_asid(paddr_t root, uint32_t asid)
{
	((volatile uint64_t *)paddr_to_kernel(root))[ARCH_VSPACE_ASID_ENTRY] = (uint64_t)asid << 1;
}
static inline bool arch_vspace_holds_asid(paddr_t root, uint32_t asid)
{
	return asid != 0 &&
	       ((const volatile uint64_t *)paddr_to_kernel(root))[ARCH_VSPACE_ASID_ENTRY] ==
	           (uint64_t)asid << 1;
}
void arch_barrier_tables(void);

/* Several CPUs (arch/aarch64/smp.c). */
struct cpu;
/* MPIDR_EL1's affinity fields (Aff3, Aff2..Aff0) of the CPU we run on. */
uint64_t arch_cpu_mpidr(void);
/* Start `cpu` (index, mpidr, stack_top set) at secondary_entry: 0, or the PSCI error. */
int arch_cpu_start(struct cpu *cpu);
/* On a secondary CPU, before it takes the lock: its GIC redistributor and CPU interface,
 * timer, EL0-visible registers, PAN, PMU (benchmark kernels). */
void arch_cpu_init_secondary(struct cpu *cpu);
/* The reschedule SGI to the CPU with affinity `mpidr`. */
void arch_send_reschedule(uint64_t mpidr);
/* A secondary CPU's LPIs and ITS collection, once it holds the kernel lock (the ITS
 * command queue is shared). */
struct cpu;
void gic_cpu_init_lpis(struct cpu *cpu);
/* What a stalled CPU does while the lock holder waits (core/smp.c: smp_stall); records
 * in cpu->stalled_in_svc whether it is entering the kernel for its thread's svc. */
void arch_stall_ack(struct cpu *cpu, bool from_sync);
void arch_tlb_flush_page(uint32_t asid, vaddr_t va);
void arch_tlb_flush_asid(uint32_t asid);
/* ASID width from ID_AA64MMFR0_EL1 (pure: 8 or 16). */
unsigned arch_asid_bits(uint64_t id_aa64mmfr0);
/* Boot: set the CPU up for the ASID width it has (TCR_EL1.AS); returns it. */
unsigned arch_asid_init(void);
/* Data cache maintenance by kernel virtual address range, for DMA. */
void arch_cache_clean(uintptr_t start, uintptr_t end);
void arch_cache_invalidate(uintptr_t start, uintptr_t end);
void arch_cache_clean_invalidate(uintptr_t start, uintptr_t end);
/* Instruction cache: invalidate all of it (to the point of unification), after the data
 * side was cleaned, so no stale instruction can run from memory that was rewritten. */
void arch_icache_invalidate_all(void);
/* Zero memory, fast for block-aligned ranges (new objects). */
void arch_zero_memory(void *p, size_t n);
/* Zero [start, end) and clean it to the point of coherency: arch_zero_memory() then
 * arch_cache_clean(), in one pass when the range is made of whole zeroing blocks. */
void arch_zero_and_clean(uintptr_t start, uintptr_t end);

#endif
