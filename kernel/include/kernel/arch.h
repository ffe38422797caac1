/* The narrow interface generic kernel code uses to reach the architecture and the
 * platform. Generic code includes only this header, never arch/ headers directly. */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include <kernel/types.h>

struct tcb;
struct arch_context;

void arch_console_putc(char c);
NORETURN void arch_halt_system(void);
NORETURN void arch_power_off(void);
NORETURN void arch_reset(void);

/* Interrupts: the kernel runs with interrupts masked except in arch_idle(). */
void arch_irq_enable_line(unsigned irq);
void arch_idle(void);

/* Timer: one-shot deadline in timer ticks; frequency in Hz. */
uint64_t arch_timer_now(void);
uint64_t arch_timer_frequency(void);
void arch_timer_set_deadline(uint64_t ticks);

/* Thread context. */
void arch_context_init(struct arch_context *ctx, vaddr_t pc, vaddr_t sp, word_t arg0, word_t arg1);
NORETURN void arch_return_to_user(struct tcb *tcb);

/* Address spaces: see kernel/arch/aarch64/vspace.c. */
bool arch_vspace_entry_present(paddr_t table, unsigned level, vaddr_t va);
void arch_vspace_install_table(paddr_t parent, unsigned parent_level, vaddr_t va, paddr_t table);
void arch_vspace_map_page(paddr_t l3_table, vaddr_t va, paddr_t frame, unsigned rights);
paddr_t arch_vspace_lookup_table(paddr_t root, vaddr_t va, unsigned level);

#endif
