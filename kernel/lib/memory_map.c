/* Free-memory computation (see kernel/memory_map.h). */
#include <kernel/memory_map.h>

#define PAGE_MASK 0xfffull

static void sort_ranges(struct mem_range *r, unsigned n)
{
	/* Insertion sort: a handful of entries, and no libc in the kernel. */
	for (unsigned i = 1; i < n; i++) {
		struct mem_range key = r[i];
		unsigned j = i;
		while (j > 0 && r[j - 1].base > key.base) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = key;
	}
}

static int emit(struct mem_range *out, unsigned max, unsigned *n, uint64_t base, uint64_t end)
{
	base = (base + PAGE_MASK) & ~PAGE_MASK;
	end &= ~PAGE_MASK;
	if (base >= end)
		return 0;
	if (*n >= max)
		return -1;
	out[(*n)++] = (struct mem_range){base, end};
	return 0;
}

unsigned memory_map_usable_ram(struct mem_range *ram, unsigned count, struct mem_range window)
{
	unsigned n = 0;
	for (unsigned i = 0; i < count; i++) {
		struct mem_range r = ram[i];
		if (r.end <= r.base) /* empty, or size reaching past 2^64 */
			continue;
		if (r.base < window.base)
			r.base = window.base;
		if (r.end > window.end)
			r.end = window.end;
		/* Whole pages only: the kernel maps RAM page by page, and a partial page at
		 * an edge may share its page with a device. */
		if (r.base >= r.end)
			continue;
		r.base = (r.base + PAGE_MASK) & ~PAGE_MASK;
		r.end &= ~PAGE_MASK;
		if (r.base < r.end)
			ram[n++] = r;
	}
	sort_ranges(ram, n);
	unsigned merged = 0;
	for (unsigned i = 0; i < n; i++) {
		if (merged && ram[i].base <= ram[merged - 1].end) {
			if (ram[i].end > ram[merged - 1].end)
				ram[merged - 1].end = ram[i].end;
		} else {
			ram[merged++] = ram[i];
		}
	}
	return merged;
}

int memory_map_free(const struct mem_range *ram, unsigned ram_count, struct mem_range *used,
                    unsigned used_count, struct mem_range *out, unsigned max)
{
	unsigned n = 0;
	sort_ranges(used, used_count);
	for (unsigned r = 0; r < ram_count; r++) {
		uint64_t cursor = ram[r].base;
		for (unsigned u = 0; u < used_count && cursor < ram[r].end; u++) {
			/* An end that wrapped means "to the top of memory". */
			uint64_t used_end = used[u].end < used[u].base ? UINT64_MAX : used[u].end;
			if (used_end <= cursor || used[u].base >= ram[r].end)
				continue;
			if (used[u].base > cursor && emit(out, max, &n, cursor, used[u].base))
				return -1;
			if (used_end > cursor)
				cursor = used_end;
		}
		if (cursor < ram[r].end && emit(out, max, &n, cursor, ram[r].end))
			return -1;
	}
	sort_ranges(out, n);
	return (int)n;
}

/* [base, end), with an end that wrapped past 2^64 meaning "to the top". */
static uint64_t range_end(uint64_t base, uint64_t end)
{
	return end < base ? UINT64_MAX : end;
}

bool memory_map_overlaps(const struct mem_range *ram, unsigned count, uint64_t base, uint64_t end)
{
	end = range_end(base, end);
	for (unsigned i = 0; i < count; i++) {
		if (base < ram[i].end && end > ram[i].base)
			return true;
	}
	return false;
}

bool memory_map_covers(const struct mem_range *ram, unsigned count, uint64_t base, uint64_t end)
{
	if (end <= base)
		return false;
	for (unsigned i = 0; i < count; i++) {
		if (base >= ram[i].base && end <= ram[i].end)
			return true;
	}
	return false;
}

uint64_t memory_map_total(const struct mem_range *r, unsigned count)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < count; i++)
		total += r[i].end - r[i].base;
	return total;
}
