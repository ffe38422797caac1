/* linux.idl's run request: its argv bytes, a client's, split into words (plain C11, fuzzed
 * on the host: test/linux_shim/fuzz_jobargs.c). */
#ifndef LINUX_JOBARGS_H
#define LINUX_JOBARGS_H

#include <stddef.h>

/* Copy the `len` bytes into buf (buf_size > len) and point argv[0..argc) at its words,
 * argv[argc] = NULL: each word ends with a NUL byte, the last one too (a cut word is no
 * argument), argv[0] is an absolute path, at most `max` words. The count, or -22 (EINVAL)
 * for anything else (no words, a word without its NUL, a relative or empty path, too many
 * words, too many bytes). */
int jobargs_split(const void *bytes, size_t len, char *buf, size_t buf_size, char **argv, int max);

#endif
