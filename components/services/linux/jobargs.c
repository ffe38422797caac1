/* linux.idl's run request split into words (jobargs.h). */
#define _DEFAULT_SOURCE /* strnlen */
#include <string.h>

#include "jobargs.h"

int jobargs_split(const void *bytes, size_t len, char *buf, size_t buf_size, char **argv, int max)
{
	if (len >= buf_size)
		return -22;
	memcpy(buf, bytes, len);
	buf[len] = '\0';
	int argc = 0;
	for (size_t at = 0; at < len;) {
		size_t k = strnlen(buf + at, len - at);
		if (at + k == len || argc == max)
			return -22; /* the last word is cut, or one word too many */
		argv[argc++] = buf + at;
		at += k + 1;
	}
	argv[argc] = NULL;
	if (argc == 0 || argv[0][0] != '/')
		return -22;
	return argc;
}
