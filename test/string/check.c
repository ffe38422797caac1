/* test/string: libm6's memcpy/memmove/memset checked against byte loops in the guest,
 * where they run (they are aarch64 code with unaligned 8-byte accesses). */
#include <m6/debug.h>
#include <m6/runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <m6_caps.h>

#define MAX_LEN 300
#define GUARD   32
#define AREA    (GUARD + 16 + MAX_LEN + 16 + GUARD)

static unsigned char src[AREA], dst[AREA], ref[AREA];
static unsigned failures;

/* The references: volatile byte accesses, so the compiler cannot turn them into calls to
 * the very functions under test. */
static void ref_move(unsigned char *d, const unsigned char *s, size_t n)
{
	volatile unsigned char *vd = d;
	const volatile unsigned char *vs = s;
	if (d < s)
		for (size_t i = 0; i < n; i++)
			vd[i] = vs[i];
	else
		for (size_t i = n; i-- > 0;)
			vd[i] = vs[i];
}

static void fill(unsigned char *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
}

static void fail(const char *what, size_t len, unsigned a, unsigned b)
{
	if (failures++ < 10)
		printf("string: FAIL %s len %zu align %u/%u\n", what, len, a, b);
}

int main(void)
{
	unsigned long checks = 0;
	for (size_t len = 0; len <= MAX_LEN; len++) {
		for (unsigned sa = 0; sa < 16; sa++) {
			for (unsigned da = 0; da < 16; da++) {
				fill(src, AREA, (uint32_t)(len * 256 + sa * 16 + da));
				fill(dst, AREA, ~(uint32_t)len);
				memcpy(ref, dst, AREA);
				ref_move(ref + GUARD + da, src + GUARD + sa, len);
				void *r = memcpy(dst + GUARD + da, src + GUARD + sa, len);
				if (r != dst + GUARD + da || memcmp(dst, ref, AREA) != 0)
					fail("memcpy", len, sa, da);
				int c = (int)(len * 7 + sa);
				memcpy(ref, dst, AREA);
				for (size_t i = 0; i < len; i++)
					((volatile unsigned char *)ref)[GUARD + da + i] =
					    (unsigned char)c;
				r = memset(dst + GUARD + da, c | 0x100,
				           len); /* only the low byte counts */
				if (r != dst + GUARD + da || memcmp(dst, ref, AREA) != 0)
					fail("memset", len, sa, da);
				/* memmove within one buffer: source and destination overlap
				 * whenever the offsets are closer than len, in both directions. */
				fill(dst, AREA, (uint32_t)(len ^ (sa << 8) ^ (da << 12)));
				memcpy(ref, dst, AREA);
				ref_move(ref + GUARD + da, ref + GUARD + sa, len);
				r = memmove(dst + GUARD + da, dst + GUARD + sa, len);
				if (r != dst + GUARD + da || memcmp(dst, ref, AREA) != 0)
					fail("memmove", len, sa, da);
				checks += 3;
			}
		}
	}
	/* Overlaps at distances beyond 16 bytes, both ways. */
	for (size_t len = 0; len <= MAX_LEN; len += 7) {
		for (unsigned dist = 1; dist < 80; dist++) {
			for (int dir = 0; dir < 2; dir++) {
				unsigned s = dir ? GUARD : GUARD + dist,
				         d = dir ? GUARD + dist : GUARD;
				if (d + len > AREA || s + len > AREA)
					continue;
				fill(dst, AREA, (uint32_t)(len * 131 + dist * 2 + (unsigned)dir));
				memcpy(ref, dst, AREA);
				ref_move(ref + d, ref + s, len);
				memmove(dst + d, dst + s, len);
				if (memcmp(dst, ref, AREA) != 0)
					fail("memmove far", len, s, d);
				checks++;
			}
		}
	}
	printf("string: %lu checks, %u failed\n", checks, failures);
	printf(failures ? "string: FAIL\n" : "string: PASS\n");
	fflush(stdout);
	m6_power_off(CAP_POWER);
	return 0;
}
