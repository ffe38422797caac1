/* Kernel console output: a small printf for diagnostics, and panic. */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <kernel/types.h>

/* Supports %s %c %d %u %x %lx %lu %ld %llx %p %% with optional zero-pad width. */
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_putc(char c);
void console_write(const char *s, size_t n);
NORETURN void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define KASSERT(cond)                                                                     \
	do {                                                                              \
		if (!(cond))                                                              \
			panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
	} while (0)

#endif
