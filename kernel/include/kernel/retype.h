/* Retype arithmetic shared by the untyped invocations and the boot installer. */
#ifndef KERNEL_RETYPE_H
#define KERNEL_RETYPE_H

#include <kernel/types.h>

/* Whether `count` objects of 2^bits bytes fit in an untyped of 2^untyped_bits bytes
 * whose first `watermark` bytes are used; *offset is where the first would go (objects
 * are aligned to their size). */
bool retype_fit(uint64_t watermark, unsigned untyped_bits, unsigned bits, unsigned count,
                uint64_t *offset);

#endif
