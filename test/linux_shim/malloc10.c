/* malloc10: 10 MiB through glibc's malloc in pieces, twice: 64 KiB pieces (the brk heap)
 * and 1 MiB pieces (each its own anonymous mmap), every byte written and checked, all
 * freed. Exit status 0 when every check held. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int round_of(size_t piece)
{
	enum { TOTAL = 10 << 20 };
	size_t n = TOTAL / piece;
	unsigned char **p = calloc(n, sizeof(*p));
	if (!p)
		return 1;
	for (size_t i = 0; i < n; i++) {
		p[i] = malloc(piece);
		if (!p[i]) {
			printf("malloc10: piece %zu of %zu bytes: out of memory\n", i, piece);
			return 1;
		}
		memset(p[i], (int)(i * 7 + 1), piece);
	}
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < piece; j += 512)
			bad += p[i][j] != (unsigned char)(i * 7 + 1);
		free(p[i]);
	}
	free(p);
	printf("malloc10: %zu pieces of %zu KiB: %s\n", n, piece >> 10, bad ? "BAD" : "ok");
	return bad != 0;
}

int main(void)
{
	int bad = round_of(64 << 10);
	bad |= round_of(1 << 20);
	return bad;
}
