/* fuzz_jobargs: libFuzzer harness of the split of linux.idl's run request
 * (components/services/linux/jobargs.c), bytes a client sends. Refused, or words that
 * are NUL-ended pieces of the input in order covering all of it, no more than allowed,
 * the first an absolute path. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobargs.h"

#define MAX_WORDS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[300];
	char *argv[MAX_WORDS + 1];
	int argc = jobargs_split(data, size, buf, sizeof(buf), argv, MAX_WORDS);
	if (argc == -22)
		return 0;
	if (argc < 1 || argc > MAX_WORDS || argv[argc] != NULL || argv[0][0] != '/')
		abort();
	size_t at = 0;
	for (int i = 0; i < argc; i++) {
		size_t k = strlen(argv[i]);
		if (argv[i] != buf + at || at + k >= size || memcmp(argv[i], data + at, k) != 0 ||
		    data[at + k] != 0)
			abort();
		at += k + 1;
	}
	if (at != size)
		abort();
	return 0;
}
