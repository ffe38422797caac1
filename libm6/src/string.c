/*
 * string.c: memcpy, memmove and memset for every component, replacing picolibc's.
 *
 * Why: Debian's picolibc is built for size, and its memcpy moves one byte per loop of five
 * instructions. File data crosses several copies on its way (driver bounce buffer, the
 * file system's block cache, the VFS window), so a 4 KiB read cost ~22,000 instructions
 * in copies alone (docs/performance.md). These move eight bytes per load and store, 64
 * bytes per loop, using general registers only (components are built with
 * -mgeneral-regs-only). libm6 comes before libc.a on the link line, so these definitions
 * are the ones every component, picolibc's own code included, links.
 *
 * Unaligned 8-byte accesses are fine on normal memory at EL0 (SCTLR_EL1.A is clear), so
 * no alignment prologue is needed. These must never be used on device memory; drivers
 * access registers with volatile loads and stores, never with memcpy.
 *
 * This file is compiled with -fno-builtin (libm6/CMakeLists.txt) so that the compiler does
 * not turn the loops below back into calls to the functions they implement.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint64_t __attribute__((may_alias, aligned(1))) u64u;
typedef uint32_t __attribute__((may_alias, aligned(1))) u32u;

static inline uint64_t ld64(const unsigned char *p)
{
	return *(const u64u *)p;
}
static inline void st64(unsigned char *p, uint64_t v)
{
	*(u64u *)p = v;
}
static inline uint32_t ld32(const unsigned char *p)
{
	return *(const u32u *)p;
}
static inline void st32(unsigned char *p, uint32_t v)
{
	*(u32u *)p = v;
}

/* n < 16: each case loads everything before it stores, so it also serves memmove. */
static inline void copy_small(unsigned char *d, const unsigned char *s, size_t n)
{
	if (n >= 8) {
		uint64_t a = ld64(s), b = ld64(s + n - 8);
		st64(d, a);
		st64(d + n - 8, b);
	} else if (n >= 4) {
		uint32_t a = ld32(s), b = ld32(s + n - 4);
		st32(d, a);
		st32(d + n - 4, b);
	} else if (n > 0) {
		unsigned char a = s[0], b = s[n / 2], c = s[n - 1];
		d[0] = a;
		d[n / 2] = b;
		d[n - 1] = c;
	}
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (n < 16) {
		copy_small(d, s, n);
		return dst;
	}
	/* The last 16 bytes first: then the loops need no tail, whatever n is. */
	uint64_t t0 = ld64(s + n - 16), t1 = ld64(s + n - 8);
	unsigned char *end = d + n;
	while (n >= 64) {
		uint64_t a = ld64(s), b = ld64(s + 8), c = ld64(s + 16), e = ld64(s + 24);
		uint64_t f = ld64(s + 32), g = ld64(s + 40), h = ld64(s + 48), i = ld64(s + 56);
		st64(d, a);
		st64(d + 8, b);
		st64(d + 16, c);
		st64(d + 24, e);
		st64(d + 32, f);
		st64(d + 40, g);
		st64(d + 48, h);
		st64(d + 56, i);
		d += 64;
		s += 64;
		n -= 64;
	}
	while (n >= 16) {
		uint64_t a = ld64(s), b = ld64(s + 8);
		st64(d, a);
		st64(d + 8, b);
		d += 16;
		s += 16;
		n -= 16;
	}
	st64(end - 16, t0);
	st64(end - 8, t1);
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if ((uintptr_t)d - (uintptr_t)s >= n && (uintptr_t)s - (uintptr_t)d >= n)
		return memcpy(dst, src, n); /* no overlap */
	if (n < 16) {
		copy_small(d, s, n);
		return dst;
	}
	if (d < s) {
		/* Forward: each step loads its 16 bytes before storing, and stores only below
		 * what it has not read yet. */
		while (n >= 16) {
			uint64_t a = ld64(s), b = ld64(s + 8);
			st64(d, a);
			st64(d + 8, b);
			d += 16;
			s += 16;
			n -= 16;
		}
		while (n--)
			*d++ = *s++;
	} else {
		/* Backward, the mirror image. */
		d += n;
		s += n;
		while (n >= 16) {
			uint64_t a = ld64(s - 16), b = ld64(s - 8);
			st64(d - 16, a);
			st64(d - 8, b);
			d -= 16;
			s -= 16;
			n -= 16;
		}
		while (n--)
			*--d = *--s;
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t v = (unsigned char)c * 0x0101010101010101ull;
	if (n < 16) {
		if (n >= 8) {
			st64(d, v);
			st64(d + n - 8, v);
		} else if (n >= 4) {
			st32(d, (uint32_t)v);
			st32(d + n - 4, (uint32_t)v);
		} else if (n > 0) {
			d[0] = (unsigned char)c;
			d[n / 2] = (unsigned char)c;
			d[n - 1] = (unsigned char)c;
		}
		return dst;
	}
	unsigned char *end = d + n;
	while (n >= 64) {
		st64(d, v);
		st64(d + 8, v);
		st64(d + 16, v);
		st64(d + 24, v);
		st64(d + 32, v);
		st64(d + 40, v);
		st64(d + 48, v);
		st64(d + 56, v);
		d += 64;
		n -= 64;
	}
	while (n >= 16) {
		st64(d, v);
		st64(d + 8, v);
		d += 16;
		n -= 16;
	}
	st64(end - 16, v);
	st64(end - 8, v);
	return dst;
}
