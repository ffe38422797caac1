/* Free-memory computation: RAM minus everything already in use (kernel image, DTB,
 * firmware reservations). Pure logic, unit-tested on the host. */
#ifndef KERNEL_MEMORY_MAP_H
#define KERNEL_MEMORY_MAP_H

#include <stdint.h>

struct mem_range {
	uint64_t base;
	uint64_t end; /* exclusive */
};

/* Write to `out` (capacity max) the parts of `ram` not covered by any of `used`, page
 * aligned inwards, sorted by address. Returns the number written, or -1 if `out` is too
 * small. Overlapping and unsorted inputs are fine; `used` is sorted in place. */
int memory_map_free(const struct mem_range *ram, unsigned ram_count, struct mem_range *used,
                    unsigned used_count, struct mem_range *out, unsigned max);

#endif
