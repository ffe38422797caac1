/* The kernel debug console: usable by components that hold a DebugConsole cap. */
#ifndef M6_DEBUG_H
#define M6_DEBUG_H

#include <stddef.h>
#include <stdint.h>

#include <m6/syscall.h>

/* Write `n` bytes through the debug console cap `cap`. Returns an m6 error code. */
uint64_t m6_debug_write(m6_cptr_t cap, const char *s, size_t n);
/* Write a NUL-terminated string. */
uint64_t m6_debug_puts(m6_cptr_t cap, const char *s);
/* Format `v` in decimal (or hex when `hex`) into buf (>= 21 bytes); returns buf. */
char *m6_format_u64(char *buf, uint64_t v, int hex);

#endif
