/* Kernel console output: a small printf for diagnostics, and panic. */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <kernel/types.h>

/* Supports %s %c %d %u %x %lx %lu %ld %llx %p %% with optional zero-pad width. */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_putc(char c);
void console_write(const char *s, size_t n);
/* A token bucket for kernel output anyone can cause (fault reports, debug-console
 * bytes): at most `burst` units at once, `per_second` more each second of system-counter
 * time. What does not fit is dropped and counted, and the count is printed ("m6: N lines
 * suppressed") before the next unit that fits. Without it a thread faulting in a loop (or
 * a debug-console writer) would keep the console, which the kernel polls, busy forever. */
struct ratelimit {
	const char *what; /* "lines", "bytes of debug output" */
	uint32_t burst;
	uint32_t per_second;
	uint64_t tokens;
	uint64_t last; /* counter value up to which tokens were added */
	uint64_t suppressed;
};
#define RATELIMIT_INIT(what_, burst_, per_second_)                               \
	{                                                                        \
		.what = (what_), .burst = (burst_), .per_second = (per_second_), \
		.tokens = (burst_)                                               \
	}
/* Whether one more unit may go out now (if not, it is counted as suppressed). */
bool ratelimit_allow(struct ratelimit *rl);
/* Takes one unit if the bucket holds one; false leaves nothing counted (the caller waits
 * and tries again: flow control rather than loss). */
bool ratelimit_take(struct ratelimit *rl);
/* Each thread's debug-console bucket (kernel/tcb.h): taken with ratelimit_take, so a
 * writer past its rate waits instead of losing bytes (object/debug_console.c). */
#define DEBUG_OUTPUT_RATELIMIT RATELIMIT_INIT("bytes of debug output", 16384, 8192)

NORETURN void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define KASSERT(cond)                                                                     \
	do {                                                                              \
		if (!(cond))                                                              \
			panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
	} while (0)

#endif
