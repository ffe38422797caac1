/* Free-memory computation: RAM minus everything already in use (kernel image, DTB,
 * firmware reservations). Pure logic, unit-tested on the host. */
#ifndef KERNEL_MEMORY_MAP_H
#define KERNEL_MEMORY_MAP_H

#include <stdbool.h>
#include <stdint.h>

struct mem_range {
	uint64_t base;
	uint64_t end; /* exclusive */
};

/* Make the RAM list the DTB gave safe to use, in place: clip every range to `window` (the
 * physical addresses the kernel can map; it may start at 0), round it inwards to whole
 * pages, drop empty ones and ones whose end wraps past 2^64, sort, and merge overlapping or
 * touching ranges, so no byte appears twice. Returns the new count. */
unsigned memory_map_usable_ram(struct mem_range *ram, unsigned count, struct mem_range window);

/* Write to `out` (capacity max) the parts of `ram` not covered by any of `used`, page
 * aligned inwards, sorted by address. Returns the number written, or -1 if `out` is too
 * small. `ram` must be what memory_map_usable_ram() gave; overlapping and unsorted `used`
 * ranges are fine (sorted in place), and a `used` range whose end wraps past 2^64 counts as
 * reaching the top of memory. */
int memory_map_free(const struct mem_range *ram, unsigned ram_count, struct mem_range *used,
                    unsigned used_count, struct mem_range *out, unsigned max);

/* Whether [base, end) shares a byte with one of `ram`'s ranges (an end that wrapped past
 * 2^64 reaches the top): a device's registers must not. */
bool memory_map_overlaps(const struct mem_range *ram, unsigned count, uint64_t base, uint64_t end);

/* Whether [base, end) lies wholly inside one of the ranges of `ram` (as merged by
 * memory_map_usable_ram()); false for an empty or wrapping range. */
bool memory_map_covers(const struct mem_range *ram, unsigned count, uint64_t base, uint64_t end);

/* Bytes in the ranges. */
uint64_t memory_map_total(const struct mem_range *r, unsigned count);

#endif
