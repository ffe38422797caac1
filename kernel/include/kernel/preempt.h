/* Preemption points for long kernel operations.
 *
 * The kernel runs with interrupts masked and keeps nothing on its stack between entries,
 * so a long operation cannot be interrupted in the middle. Instead it does its work in
 * bounded steps, keeps its progress in the objects it works on (never on the stack), and
 * after each step asks preemption_pending(): if an interrupt is waiting, it returns
 * KERNEL_RESTART. The syscall layer then rewinds the thread's pc to its `svc`, so the
 * thread issues the same invocation again once the interrupt (and whatever it woke) has
 * been dealt with, and the operation picks up where it stopped. User space sees nothing
 * of this: no retry loop, no new error code.
 *
 * Rules for an operation that uses it: all checks happen before the first step (decode);
 * a restarted invocation decodes again from the registers and MRs, which the kernel has
 * not touched; each call makes at least one step of progress before it looks, so an
 * interrupt that is always pending cannot stop the operation from finishing. */
#ifndef KERNEL_PREEMPT_H
#define KERNEL_PREEMPT_H

#include <kernel/types.h>

/* Internal result of an invocation: stopped at a preemption point, run it again. Never
 * reaches user space (m6_error values are all >= 0). */
#define KERNEL_RESTART (-1)

/* An interrupt is pending at this CPU (it would be taken if the kernel unmasked). */
bool preemption_pending(void);

#endif
