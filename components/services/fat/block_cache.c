/*
 * block_cache.c: a write-through block cache of 4 KiB lines, hash table + CLOCK
 * (block_cache.h; docs/files.md, "The FAT component's block cache").
 */
#include "block_cache.h"

#include <stdbool.h>
#include <string.h>

static uint32_t hash_of(const struct block_cache *c, uint64_t line)
{
	/* Fibonacci hashing: consecutive lines (a file read in order) spread evenly. */
	return (uint32_t)((line * 0x9e3779b97f4a7c15ull) >> 32) & c->hash_mask;
}

static int32_t lookup(const struct block_cache *c, uint64_t line)
{
	for (int32_t s = c->buckets[hash_of(c, line)]; s >= 0; s = c->slots[s].next)
		if (c->slots[s].line == line)
			return s;
	return -1;
}

static void unhash(struct block_cache *c, int32_t s)
{
	int32_t *link = &c->buckets[hash_of(c, c->slots[s].line)];
	while (*link != s)
		link = &c->slots[*link].next;
	*link = c->slots[s].next;
	c->slots[s].in_use = 0;
}

/* A slot for `line` (not cached): a never-used one while there are any, else CLOCK's
 * victim, the first line from the hand on that was not read again since its last chance. */
static int32_t take_slot(struct block_cache *c, uint64_t line)
{
	int32_t s;
	if (c->used < c->slot_count) {
		s = (int32_t)c->used++;
	} else {
		for (;;) {
			struct block_cache_slot *v = &c->slots[c->hand];
			uint32_t at = c->hand;
			c->hand = c->hand + 1 == c->slot_count ? 0 : c->hand + 1;
			if (!v->in_use) {
				s = (int32_t)at;
				break;
			}
			if (!v->ref) {
				unhash(c, (int32_t)at);
				c->stats.evictions++;
				s = (int32_t)at;
				break;
			}
			v->ref = 0;
		}
	}
	struct block_cache_slot *n = &c->slots[s];
	uint32_t h = hash_of(c, line);
	n->line = line;
	n->next = c->buckets[h];
	n->in_use = 1;
	/* A line read once (a file streamed past) goes before one read again. */
	n->ref = 0;
	c->buckets[h] = s;
	return s;
}

static uint8_t *line_data(const struct block_cache *c, int32_t s)
{
	return c->lines + (size_t)s * BLOCK_CACHE_LINE;
}

int block_cache_init(struct block_cache *c, const struct block_cache_dev *dev, void *mem,
                     size_t size)
{
	memset(c, 0, sizeof(*c));
	if (dev->read == NULL || dev->block_size == 0 || dev->block_size > BLOCK_CACHE_LINE ||
	    (dev->block_size & (dev->block_size - 1)) != 0 ||
	    dev->max_blocks < BLOCK_CACHE_LINE / dev->block_size)
		return -1;
	c->dev = *dev;
	c->line_blocks = BLOCK_CACHE_LINE / dev->block_size;
	c->line_count = dev->block_count / c->line_blocks;

	/* Carve the memory: lines (64-byte aligned, for the copies), slots, buckets (a power
	 * of two at least the slot count). Each slot costs a line, its slot and at most two
	 * buckets; drop slots until everything fits. */
	uintptr_t base = (uintptr_t)mem;
	uintptr_t end = base + size;
	uintptr_t lines = (base + 63u) & ~(uintptr_t)63u;
	if (mem == NULL || lines >= end)
		return 0;
	size_t per_slot = BLOCK_CACHE_LINE + sizeof(struct block_cache_slot) + 2 * sizeof(int32_t);
	uint64_t n = (end - lines) / per_slot;
	if (n > c->line_count)
		n = c->line_count; /* more would never be used */
	if (n > 0x40000000u)
		n = 0x40000000u;
	for (; n > 0; n--) {
		uint32_t buckets = 1;
		while (buckets < n)
			buckets <<= 1;
		uintptr_t slots = lines + (uintptr_t)n * BLOCK_CACHE_LINE;
		uintptr_t heads = slots + (uintptr_t)n * sizeof(struct block_cache_slot);
		if (heads + (uintptr_t)buckets * sizeof(int32_t) <= end) {
			c->slot_count = (uint32_t)n;
			c->hash_mask = buckets - 1;
			c->lines = (uint8_t *)lines;
			c->slots = (struct block_cache_slot *)slots;
			c->buckets = (int32_t *)heads;
			break;
		}
	}
	if (c->slot_count)
		block_cache_invalidate(c);
	return 0;
}

void block_cache_invalidate(struct block_cache *c)
{
	if (c->slot_count == 0)
		return;
	for (uint32_t b = 0; b <= c->hash_mask; b++)
		c->buckets[b] = -1;
	memset(c->slots, 0, (size_t)c->slot_count * sizeof(*c->slots));
	c->used = 0;
	c->hand = 0;
}

/* Reads blocks past the cached lines (or everything, with no lines) from the device. */
static int read_uncached(struct block_cache *c, uint64_t block, uint32_t count, uint8_t *out)
{
	uint32_t bs = c->dev.block_size;
	while (count) {
		uint32_t n = count < c->dev.max_blocks ? count : c->dev.max_blocks;
		const void *p = c->dev.read(c->dev.ctx, block, n);
		c->stats.dev_reads++;
		c->stats.uncached += n;
		if (p == NULL)
			return -1;
		memcpy(out, p, (size_t)n * bs);
		out += (size_t)n * bs;
		block += n;
		count -= n;
	}
	return 0;
}

int block_cache_read(struct block_cache *c, uint64_t block, uint32_t count, void *buf)
{
	uint32_t bs = c->dev.block_size;
	uint32_t lb = c->line_blocks;
	uint8_t *out = buf;

	if (block > c->dev.block_count || count > c->dev.block_count - block)
		return -1;
	if (c->slot_count == 0)
		return read_uncached(c, block, count, out);
	uint32_t max_run = c->dev.max_blocks / lb;
	if (max_run > c->slot_count)
		max_run = c->slot_count;
	while (count) {
		uint64_t line = block / lb;
		uint32_t in = (uint32_t)(block % lb);
		if (line >= c->line_count) /* the device's tail: less than a line */
			return read_uncached(c, block, count, out);
		int32_t s = lookup(c, line);
		if (s >= 0) {
			uint32_t n = lb - in < count ? lb - in : count;
			memcpy(out, line_data(c, s) + (size_t)in * bs, (size_t)n * bs);
			c->slots[s].ref = 1;
			c->stats.hits++;
			out += (size_t)n * bs;
			block += n;
			count -= n;
			continue;
		}
		/* A miss: one request for the run of missing lines the read still covers. */
		uint64_t last = (block + count - 1) / lb;
		if (last >= c->line_count)
			last = c->line_count - 1;
		uint32_t run = 1;
		while (run < max_run && line + run <= last && lookup(c, line + run) < 0)
			run++;
		const uint8_t *p = c->dev.read(c->dev.ctx, line * lb, run * lb);
		c->stats.dev_reads++;
		if (p == NULL)
			return -1;
		c->stats.misses += run;
		for (uint32_t k = 0; k < run; k++)
			memcpy(line_data(c, take_slot(c, line + k)),
			       p + (size_t)k * BLOCK_CACHE_LINE, BLOCK_CACHE_LINE);
		uint64_t avail = (uint64_t)run * lb - in;
		uint32_t n = avail < count ? (uint32_t)avail : count;
		memcpy(out, p + (size_t)in * bs, (size_t)n * bs);
		out += (size_t)n * bs;
		block += n;
		count -= n;
	}
	return 0;
}

int block_cache_write(struct block_cache *c, uint64_t block, uint32_t count, const void *buf)
{
	uint32_t bs = c->dev.block_size;
	const uint8_t *in = buf;
	int err = 0;

	if (c->dev.write == NULL || block > c->dev.block_count ||
	    count > c->dev.block_count - block)
		return -1;
	/* The device first, in order: the cache must never hold what the device does not. */
	for (uint64_t b = block, left = count; left && !err;) {
		uint32_t n = left < c->dev.max_blocks ? (uint32_t)left : c->dev.max_blocks;
		c->stats.dev_writes++;
		if (c->dev.write(c->dev.ctx, b, n, in + (b - block) * bs) != 0)
			err = -1;
		b += n;
		left -= n;
	}
	if (c->slot_count == 0 || count == 0)
		return err;
	/* Then the cached lines it touches: updated, or dropped if the write failed. */
	uint32_t lb = c->line_blocks;
	uint64_t end = block + count;
	for (uint64_t line = block / lb; line < c->line_count && line * lb < end; line++) {
		int32_t s = lookup(c, line);
		if (s < 0)
			continue;
		if (err) {
			unhash(c, s);
			continue;
		}
		uint64_t from = line * lb > block ? line * lb : block;
		uint64_t to = (line + 1) * lb < end ? (line + 1) * lb : end;
		memcpy(line_data(c, s) + (size_t)(from - line * lb) * bs, in + (from - block) * bs,
		       (size_t)(to - from) * bs);
	}
	return err;
}
