/* test/blk: the disk's patterns, which blk_image.py computes the same way on the host. */
#ifndef BLK_COMMON_H
#define BLK_COMMON_H

#include <stdint.h>

#define DISK_BLOCKS 16384u /* 8 MiB of 512-byte blocks */

/* The image as the host made it: word i of block b. */
static inline uint32_t original_word(uint64_t b, unsigned i)
{
	return (uint32_t)(b * 0x9e3779b1u + i);
}

/* What the client writes over it. */
static inline uint32_t written_word(uint64_t b, unsigned i)
{
	return (uint32_t)((b * 0x85ebca6bu) ^ (i * 0x27d4eb2fu) ^ 0x5bd1e995u);
}

#endif
