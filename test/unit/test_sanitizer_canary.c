/* A program that misbehaves on purpose, built with the unit tests' sanitizer flags: the
 * ctests unit.sanitizers.* pass only when ASan and UBSan report it, which proves that the
 * unit tests really run under them (a build that silently dropped -fsanitize would make
 * this program exit quietly and the tests fail). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* volatile: the compiler must not fold the overflow away or prove it at compile time */
static volatile int one = 1;
static volatile size_t index_past_end = 16;

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s heap-overflow|signed-overflow\n", argv[0]);
		return 2;
	}
	if (strcmp(argv[1], "heap-overflow") == 0) {
		char *p = malloc(16);
		if (!p)
			return 2;
		memset(p, 0, 16);
		int c = p[index_past_end];
		free(p);
		printf("read %d past the end: no AddressSanitizer\n", c);
		return 0;
	}
	if (strcmp(argv[1], "signed-overflow") == 0) {
		int v = INT_MAX;
		v += one;
		printf("INT_MAX + 1 = %d: no UndefinedBehaviorSanitizer\n", v);
		return 0;
	}
	fprintf(stderr, "%s: unknown mode '%s'\n", argv[0], argv[1]);
	return 2;
}
