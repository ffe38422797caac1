/* Formatting helpers for human-readable output. Pure C: unit tested on the host. */
#ifndef M6_FORMAT_H
#define M6_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* "512 B", "4 KiB", "1.5 MiB", "2.25 GiB": at most two decimals, trailing zeros cut. */
char *m6_format_size(char *buf, size_t size, uint64_t bytes);
/* "3.042 s", "1 min 02.500 s", "2 h 00 min 01.000 s" from nanoseconds (millisecond
 * precision). */
char *m6_format_duration(char *buf, size_t size, uint64_t ns);
/* Split `line` in place at spaces into at most max words; returns their number. */
int m6_split_words(char *line, char **words, int max);

#endif
