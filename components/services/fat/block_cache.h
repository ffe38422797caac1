/*
 * block_cache.h: the FAT component's block cache (docs/files.md, "The FAT component's block
 * cache"), in plain C11 with no m6 dependency so the host unit test (unit.block_cache) compiles the
 * same code.
 *
 * The cache keeps 4 KiB lines (BLOCK_CACHE_LINE bytes: an aligned group of device blocks)
 * in memory the caller hands over, finds them through a hash table and replaces them by
 * CLOCK. It is write-through: a write goes to the device first, in the caller's order, and
 * then into the lines it covers that are cached. So the device sees exactly the sequence
 * of writes it would see without the cache, and every order the FAT library keeps for
 * crash consistency (docs/fat.md, "Order of writes") holds unchanged; the cache only
 * answers reads, and a cached line always equals what the device holds.
 *
 * A read that misses reads the whole run of missing lines it covers with one device
 * request (at most max_blocks blocks), fills the lines from the device's buffer and copies
 * the asked-for bytes out of the same buffer. Blocks past the last whole line of the device
 * are never cached: they go to the device directly.
 */
#ifndef M6_BLOCK_CACHE_H
#define M6_BLOCK_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define BLOCK_CACHE_LINE 4096u

/*
 * The device under the cache. `read` reads `count` blocks (1..max_blocks) at `block` and
 * returns where the bytes are (valid until the next call), or NULL on an I/O error: the
 * FAT component's block protocol reads into its shared data region, and the cache copies
 * out of it without a bounce buffer of its own. `write` writes `count` blocks
 * (1..max_blocks) from `buf`: 0 or an error. The cache never asks for a block at or past
 * block_count.
 */
struct block_cache_dev {
	const void *(*read)(void *ctx, uint64_t block, uint32_t count);
	int (*write)(void *ctx, uint64_t block, uint32_t count, const void *buf);
	void *ctx;
	uint32_t block_size; /* a power of two, 1..BLOCK_CACHE_LINE */
	uint64_t block_count;
	uint32_t max_blocks; /* the largest request, >= BLOCK_CACHE_LINE / block_size */
};

struct block_cache_slot {
	uint64_t line;  /* which line of the device it holds (valid only when in use) */
	int32_t next;   /* the next slot in its hash chain, -1 at the end */
	uint8_t in_use; /* holds a line, and is in the hash table */
	uint8_t ref;    /* CLOCK's reference bit: read again since it was loaded */
};

struct block_cache_stats {
	uint64_t hits, misses; /* lines found / not found by reads */
	uint64_t dev_reads;    /* device read requests (misses come in runs) */
	uint64_t dev_writes;   /* device write requests */
	uint64_t evictions;    /* lines replaced */
	uint64_t uncached;     /* blocks read past the last whole line, uncached */
};

struct block_cache {
	struct block_cache_dev dev;
	uint32_t line_blocks; /* device blocks per line */
	uint64_t line_count;  /* whole lines on the device: lines 0..line_count-1 are cached */
	uint32_t slot_count;  /* 0: no memory given, every read goes to the device */
	uint32_t hash_mask;   /* buckets - 1 (a power of two) */
	uint32_t hand;        /* CLOCK's hand */
	uint32_t used;        /* slots in use (the first `used` slots fill before CLOCK runs) */
	int32_t *buckets;
	struct block_cache_slot *slots;
	uint8_t *lines; /* slot_count lines of BLOCK_CACHE_LINE bytes */
	struct block_cache_stats stats;
};

/*
 * Sets the cache up over `dev` in `mem` (`size` bytes, any alignment; the metadata is
 * carved from it too). Too little memory for one line makes a cache of no lines, which
 * passes every call through. 0, or -1 for a device it cannot serve (a block size that is
 * not a power of two up to BLOCK_CACHE_LINE, a max_blocks below one line, no read).
 */
int block_cache_init(struct block_cache *c, const struct block_cache_dev *dev, void *mem,
                     size_t size);

/* Reads `count` blocks at `block` into `buf`: 0, or -1 (a device error, or a range past
 * the device). On an error some of `buf` may have been written. */
int block_cache_read(struct block_cache *c, uint64_t block, uint32_t count, void *buf);

/* Writes `count` blocks at `block` from `buf` through to the device, then into the cached
 * lines they touch: 0, or -1. After a failed write the lines it touches are dropped, since
 * what the device holds there is then unknown. */
int block_cache_write(struct block_cache *c, uint64_t block, uint32_t count, const void *buf);

/* Forgets every line (nothing is lost: the cache holds no change the device lacks). */
void block_cache_invalidate(struct block_cache *c);

#endif /* M6_BLOCK_CACHE_H */
