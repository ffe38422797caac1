/* Memory and string helpers. The compiler may emit calls to memset/memcpy for struct
 * copies and zeroing even in freestanding code, so these must exist with these names. */
#include <kernel/string.h>

void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;
	/* Objects are zeroed a page or 2 MiB at a time: go word by word when aligned. */
	if (((uintptr_t)d & 7) == 0) {
		uint64_t v = (uint8_t)c * 0x0101010101010101ull;
		for (; n >= 8; n -= 8, d += 8)
			*(volatile uint64_t *)d = v;
	}
	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	/* Message words and pages: word by word when both sides are aligned. */
	if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
		for (; n >= 16; n -= 16, d += 16, s += 16) {
			uint64_t a = ((const volatile uint64_t *)s)[0];
			uint64_t b = ((const volatile uint64_t *)s)[1];
			((volatile uint64_t *)d)[0] = a;
			((volatile uint64_t *)d)[1] = b;
		}
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (; n; n--, x++, y++) {
		if (*x != *y)
			return *x - *y;
	}
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (uint8_t)*a - (uint8_t)*b;
}
