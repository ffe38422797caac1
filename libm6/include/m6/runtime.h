/* Component start-up and exit.
 *
 * A component provides `int main(void)` or `int main(int argc, char **argv)`; the
 * arguments are the spec's `args` strings after the component's name (argv[0]), and
 * argv[argc] is NULL. Before main runs, libm6 has set up the main
 * thread's TLS block (so `errno` works), the heap that the spec's `heap` statement
 * grants (malloc), stdio (printf goes where the component chose, <m6/stdio.h>: by
 * default to the kernel debug console when the spec grants `CAP_DEBUG_CONSOLE`), and run
 * the constructors. Returning from main calls exit(). See docs/userspace.md. */
#ifndef M6_RUNTIME_H
#define M6_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include <m6/stdio.h> /* m6_stdio_flush */
#include <m6/syscall.h>

/* What the runtime knows of its component, from the component's m6_caps.h (libm6
 * compiles src/component.c once per component to fill it in). */
struct m6_component_info {
	const char *name;             /* M6_COMPONENT_NAME, else M6_BINARY_NAME */
	uintptr_t heap_base;          /* M6_HEAP_VADDR, 0 without a heap */
	size_t heap_size;             /* M6_HEAP_SIZE */
	m6_cptr_t debug_console;      /* CAP_DEBUG_CONSOLE, or 0 */
	unsigned cspace_radix;        /* M6_CSPACE_RADIX */
	unsigned first_free_slot;     /* M6_CSPACE_FIRST_FREE */
	unsigned thread_count;        /* M6_THREAD_COUNT */
	const m6_cptr_t *thread_caps; /* M6_THREAD_CAPS: TCB caps, main thread first */
};

extern const struct m6_component_info m6_component;

/* The argument block the spec compiler lays out in the main thread's memory (read-write,
 * as C wants argv's strings to be), whose address the main thread starts with in x1. */
struct m6_args {
	uint64_t argc;
	char *argv[]; /* argc pointers, then NULL; the strings follow */
};

/* The system call number of exit. The kernel does not know it: for a thread with a fault
 * handler it arrives there as an M6_FAULT_UNKNOWN_SYSCALL message with MR8 = this
 * number and MR0 = the exit status, which is how a supervisor learns that a component
 * ended on purpose (reply M6_FAULT_REPLY_STOP). Without a handler the kernel answers
 * M6_ERR_INVALID_SYSCALL and the runtime suspends the threads itself. */
#define M6_EXIT_SYSCALL 0x6d36657869ull /* "m6exi" */

/* Power the machine off through a Power cap (needs the spec's `syscap power`). */
uint64_t m6_power_off(m6_cptr_t power_cap);
/* Reset the machine the same way (QEMU run with -no-reboot exits instead). */
uint64_t m6_power_reset(m6_cptr_t power_cap);

/* End the whole component with `status`: tell the supervisor (above), then suspend
 * every thread of the component, the calling one last. exit() comes here after
 * running atexit handlers and flushing stdio. */
__attribute__((noreturn)) void m6_exit(int status);

/* Give the runtime a notification (READ | WRITE, unbadged) to block on when two threads
 * contend for the C library's lock (malloc, stdio). Without one, a contending thread
 * yields until the lock is free, which is enough when the threads share one priority.
 * Like m6_mutex_init (<m6/sync.h>) it takes a free slot for a badged copy; returns M6_OK
 * or the error of minting it. */
uint64_t m6_runtime_set_lock_notification(m6_cptr_t notification);

#endif
