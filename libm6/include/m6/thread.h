/* Threads of a component. The spec declares them (`thread NAME { entry "SYMBOL" ... }`);
 * the kernel starts each at boot. M6_THREAD_ENTRY gives a thread the runtime's start-up
 * (TLS block, IPC buffer) before its C function runs:
 *
 *     static void worker(uint64_t arg) { ... }
 *     M6_THREAD_ENTRY(worker_entry, worker)   // spec: entry "worker_entry"
 */
#ifndef M6_THREAD_H
#define M6_THREAD_H

#include <stdint.h>

#include <m6/syscall.h>

/* Define the assembly symbol `symbol`, which runs the runtime's per-thread set-up and
 * then calls `void function(uint64_t arg)` (defined before the macro) (arg: the spec's thread
 * argument, 0 today). When function returns, the thread ends (m6_thread_exit). */
#define M6_THREAD_ENTRY(symbol, function)                      \
	void symbol##_m6_run(uint64_t arg);                    \
	void symbol##_m6_run(uint64_t arg)                     \
	{                                                      \
		function(arg);                                 \
	}                                                      \
	__asm__(".pushsection .text." #symbol ",\"ax\"\n"      \
	        ".global " #symbol "\n"                        \
	        ".type " #symbol ", %function\n" #symbol ":\n" \
	        "adrp x2, " #symbol "_m6_run\n"                \
	        "add x2, x2, :lo12:" #symbol "_m6_run\n"       \
	        "b m6_thread_start\n"                          \
	        ".popsection\n")

/* End the calling thread (the rest of the component keeps running). */
__attribute__((noreturn)) void m6_thread_exit(void);

/* The calling thread's index in the spec (0: main, then the `thread`s in declaration
 * order), found from its IPC buffer's place in the memory map. */
unsigned m6_thread_index(void);

#endif
