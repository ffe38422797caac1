/*
 * Host tests of the FAT component's block cache (components/services/fat/block_cache.c):
 * a fake device that records every request; reads and writes checked against the device's
 * bytes; misses gathered into one request per run; the order of writes passed through
 * unchanged (write-through); CLOCK keeping a line read again over one streamed past; a
 * failed write dropping the lines; the device's tail past the last whole line; a cache of
 * no lines; and a random differential run against a plain array.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "block_cache.h"

#define MAX_LOG 4096

/* The fake device: an array of blocks, a bounce buffer like the data region, a log. */
struct fake {
	uint32_t bs;
	uint64_t count;
	uint32_t max_blocks;
	uint8_t *disk;
	uint8_t *bounce;
	bool fail_reads, fail_writes;
	struct request {
		char op; /* 'r' or 'w' */
		uint64_t block;
		uint32_t count;
	} log[MAX_LOG];
	unsigned logged;
};

static const void *fake_read(void *ctx, uint64_t block, uint32_t count)
{
	struct fake *f = ctx;
	assert_true(count >= 1 && count <= f->max_blocks);
	assert_true(block < f->count && count <= f->count - block);
	if (f->logged < MAX_LOG)
		f->log[f->logged++] = (struct request){'r', block, count};
	if (f->fail_reads)
		return NULL;
	/* Scribble first: the cache must use only what the read returns. */
	memset(f->bounce, 0xa5, (size_t)f->max_blocks * f->bs);
	memcpy(f->bounce, f->disk + block * f->bs, (size_t)count * f->bs);
	return f->bounce;
}

static int fake_write(void *ctx, uint64_t block, uint32_t count, const void *buf)
{
	struct fake *f = ctx;
	assert_true(count >= 1 && count <= f->max_blocks);
	assert_true(block < f->count && count <= f->count - block);
	if (f->logged < MAX_LOG)
		f->log[f->logged++] = (struct request){'w', block, count};
	if (f->fail_writes)
		return -1;
	memcpy(f->disk + block * f->bs, buf, (size_t)count * f->bs);
	return 0;
}

static void fake_init(struct fake *f, uint32_t bs, uint64_t count, uint32_t max_blocks)
{
	memset(f, 0, sizeof(*f));
	f->bs = bs;
	f->count = count;
	f->max_blocks = max_blocks;
	f->disk = malloc((size_t)(bs * count));
	f->bounce = malloc((size_t)bs * max_blocks);
	assert_non_null(f->disk);
	assert_non_null(f->bounce);
	for (uint64_t i = 0; i < bs * count; i++)
		f->disk[i] = (uint8_t)(i * 7 + i / 251);
}

static void fake_free(struct fake *f)
{
	free(f->disk);
	free(f->bounce);
}

static struct block_cache_dev dev_of(struct fake *f)
{
	return (struct block_cache_dev){.read = fake_read,
	                                .write = fake_write,
	                                .ctx = f,
	                                .block_size = f->bs,
	                                .block_count = f->count,
	                                .max_blocks = f->max_blocks};
}

/* A cache of `lines` lines over `f` (memory sized for exactly that many). */
static void *cache_init(struct block_cache *c, struct fake *f, uint32_t lines)
{
	size_t size = 64 + (size_t)lines * (BLOCK_CACHE_LINE + sizeof(struct block_cache_slot) +
	                                    2 * sizeof(int32_t));
	void *mem = malloc(size);
	assert_non_null(mem);
	struct block_cache_dev d = dev_of(f);
	assert_int_equal(block_cache_init(c, &d, mem, size), 0);
	assert_int_equal(c->slot_count, lines);
	return mem;
}

static void check_read(struct block_cache *c, struct fake *f, uint64_t block, uint32_t count)
{
	uint8_t *buf = malloc((size_t)count * f->bs);
	assert_non_null(buf);
	assert_int_equal(block_cache_read(c, block, count, buf), 0);
	assert_memory_equal(buf, f->disk + block * f->bs, (size_t)count * f->bs);
	free(buf);
}

static void test_bad_devices(void **state)
{
	(void)state;
	struct fake f;
	struct block_cache c;
	uint8_t mem[16384];
	fake_init(&f, 512, 64, 16);
	struct block_cache_dev d = dev_of(&f);
	d.block_size = 768;
	assert_int_equal(block_cache_init(&c, &d, mem, sizeof(mem)), -1);
	d = dev_of(&f);
	d.block_size = 8192;
	assert_int_equal(block_cache_init(&c, &d, mem, sizeof(mem)), -1);
	d = dev_of(&f);
	d.max_blocks = 7; /* less than a line */
	assert_int_equal(block_cache_init(&c, &d, mem, sizeof(mem)), -1);
	d = dev_of(&f);
	d.read = NULL;
	assert_int_equal(block_cache_init(&c, &d, mem, sizeof(mem)), -1);
	d = dev_of(&f);
	assert_int_equal(block_cache_init(&c, &d, mem, 100), 0);
	assert_int_equal(c.slot_count, 0); /* too small for a line: pass-through */
	fake_free(&f);
}

/* A miss reads the run of missing lines in one request; reading it again asks nothing. */
static void test_runs_and_hits(void **state)
{
	(void)state;
	struct fake f;
	struct block_cache c;
	fake_init(&f, 512, 1024, 64); /* 128 lines; 8 lines per request at most */
	void *mem = cache_init(&c, &f, 32);

	check_read(&c, &f, 8 * 3 + 2, 20); /* lines 3..5 */
	assert_int_equal(f.logged, 1);
	assert_int_equal(f.log[0].block, 24);
	assert_int_equal(f.log[0].count, 24);
	check_read(&c, &f, 24, 24);
	assert_int_equal(f.logged, 1);
	assert_int_equal(c.stats.hits, 3);

	/* Lines 2..7 with 3..5 cached: the misses 2 and 6..7 are two requests. */
	check_read(&c, &f, 16, 48);
	assert_int_equal(f.logged, 3);
	assert_int_equal(f.log[1].block, 16);
	assert_int_equal(f.log[1].count, 8);
	assert_int_equal(f.log[2].block, 48);
	assert_int_equal(f.log[2].count, 16);

	/* A run longer than a request is split at max_blocks. */
	f.logged = 0;
	check_read(&c, &f, 80 * 8, 20 * 8);
	assert_int_equal(f.logged, 3);
	assert_int_equal(f.log[0].count, 64);
	assert_int_equal(f.log[1].count, 64);
	assert_int_equal(f.log[2].count, 32);

	/* Out of range: refused, nothing asked. */
	uint8_t b[512];
	f.logged = 0;
	assert_int_equal(block_cache_read(&c, 1024, 1, b), -1);
	assert_int_equal(block_cache_read(&c, 1000, 25, b), -1);
	assert_int_equal(block_cache_read(&c, UINT64_MAX, 1, b), -1);
	assert_int_equal(f.logged, 0);
	free(mem);
	fake_free(&f);
}

/* Writes reach the device at once and in order, whole; the cached lines follow them. */
static void test_write_through(void **state)
{
	(void)state;
	struct fake f;
	struct block_cache c;
	fake_init(&f, 512, 256, 16);
	void *mem = cache_init(&c, &f, 8);
	check_read(&c, &f, 0, 32); /* lines 0..3 */
	f.logged = 0;

	uint8_t buf[40 * 512];
	memset(buf, 0x11, sizeof(buf));
	assert_int_equal(block_cache_write(&c, 5, 1, buf), 0); /* inside cached line 0 */
	memset(buf, 0x22, sizeof(buf));
	assert_int_equal(block_cache_write(&c, 30, 4, buf), 0); /* cached line 3, uncached 4 */
	memset(buf, 0x33, sizeof(buf));
	assert_int_equal(block_cache_write(&c, 100, 40, buf), 0); /* split at 16 blocks */
	assert_int_equal(f.logged, 5);
	const struct {
		uint64_t block;
		uint32_t count;
	} want[] = {{5, 1}, {30, 4}, {100, 16}, {116, 16}, {132, 8}};
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(f.log[i].op, 'w');
		assert_int_equal(f.log[i].block, want[i].block);
		assert_int_equal(f.log[i].count, want[i].count);
	}
	f.logged = 0;
	check_read(&c, &f, 0, 32);
	assert_int_equal(f.logged, 0); /* served from the updated lines */
	check_read(&c, &f, 96, 48);
	fake_free(&f);
	free(mem);
}

/* A failed write drops the lines it touched: the next read asks the device. */
static void test_failed_write_drops(void **state)
{
	(void)state;
	struct fake f;
	struct block_cache c;
	fake_init(&f, 512, 256, 16);
	void *mem = cache_init(&c, &f, 8);
	check_read(&c, &f, 0, 16);
	uint8_t buf[512];
	memset(buf, 0x44, sizeof(buf));
	f.fail_writes = true;
	assert_int_equal(block_cache_write(&c, 9, 1, buf), -1);
	f.fail_writes = false;
	f.disk[9 * 512] = 0x99; /* what the device holds after the failure: unknown */
	f.logged = 0;
	check_read(&c, &f, 0, 16);
	assert_int_equal(f.logged, 1); /* line 1 again, line 0 still cached */
	assert_int_equal(f.log[0].block, 8);

	/* A failed read is an error, and caches nothing. */
	f.fail_reads = true;
	uint8_t big[4096];
	assert_int_equal(block_cache_read(&c, 64, 8, big), -1);
	f.fail_reads = false;
	f.logged = 0;
	check_read(&c, &f, 64, 8);
	assert_int_equal(f.logged, 1);
	fake_free(&f);
	free(mem);
}

/* CLOCK: a line read again survives a stream of lines read once. */
static void test_clock_keeps_hot_lines(void **state)
{
	(void)state;
	struct fake f;
	struct block_cache c;
	fake_init(&f, 512, 8 * 200, 8);
	void *mem = cache_init(&c, &f, 16);
	check_read(&c, &f, 0, 8);
	check_read(&c, &f, 0, 8); /* line 0 is hot */
	for (uint64_t line = 1; line < 200; line++) {
		check_read(&c, &f, line * 8, 8);
		if (line % 8 == 0)
			check_read(&c, &f, 0, 8);
	}
	f.logged = 0;
	check_read(&c, &f, 0, 8);
	assert_int_equal(f.logged, 0);
	assert_true(c.stats.evictions >= 199 - 16);
	fake_free(&f);
	free(mem);
}

/* 4 KiB blocks (a line each), and a device that ends part way into a line. */
static void test_geometry(void **state)
{
	(void)state;
	struct fake f;
	struct block_cache c;
	fake_init(&f, 4096, 40, 4);
	void *mem = cache_init(&c, &f, 8);
	check_read(&c, &f, 3, 10);
	check_read(&c, &f, 0, 40);
	fake_free(&f);
	free(mem);

	fake_init(&f, 512, 8 * 10 + 5, 32); /* 10 whole lines, then 5 blocks */
	mem = cache_init(&c, &f, 4);
	check_read(&c, &f, 76, 9); /* line 9 and the tail */
	f.logged = 0;
	check_read(&c, &f, 80, 5);
	assert_int_equal(f.logged, 1); /* the tail is never cached */
	assert_int_equal(c.stats.uncached, 10);
	uint8_t buf[5 * 512];
	memset(buf, 0x55, sizeof(buf));
	assert_int_equal(block_cache_write(&c, 80, 5, buf), 0);
	check_read(&c, &f, 72, 13);
	fake_free(&f);
	free(mem);
}

/* No memory: every call goes to the device. */
static void test_no_lines(void **state)
{
	(void)state;
	struct fake f;
	struct block_cache c;
	fake_init(&f, 512, 64, 16);
	struct block_cache_dev d = dev_of(&f);
	assert_int_equal(block_cache_init(&c, &d, NULL, 0), 0);
	check_read(&c, &f, 3, 40);
	check_read(&c, &f, 3, 40);
	assert_int_equal(f.logged, 6);
	uint8_t buf[512] = {1};
	assert_int_equal(block_cache_write(&c, 7, 1, buf), 0);
	check_read(&c, &f, 7, 1);
	fake_free(&f);
}

/* Random reads and writes of random extents, against the device's own bytes. */
static void test_random(void **state)
{
	(void)state;
	struct fake f;
	struct block_cache c;
	uint64_t rng = 0x243f6a8885a308d3u;
	fake_init(&f, 512, 8 * 64 + 3, 24);
	void *mem = cache_init(&c, &f, 13);
	uint8_t *buf = malloc(70 * 512);
	assert_non_null(buf);
	for (unsigned i = 0; i < 20000; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		uint32_t count = 1 + (uint32_t)(rng % 70);
		uint64_t block = (rng >> 8) % (f.count - count + 1);
		if ((rng >> 40) % 4 == 0) {
			memset(buf, (int)(rng >> 48), (size_t)count * 512);
			assert_int_equal(block_cache_write(&c, block, count, buf), 0);
		} else {
			check_read(&c, &f, block, count);
		}
	}
	assert_true(c.stats.hits > 0);
	assert_true(c.stats.evictions > 0);
	free(buf);
	free(mem);
	fake_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_devices),
	    cmocka_unit_test(test_runs_and_hits),
	    cmocka_unit_test(test_write_through),
	    cmocka_unit_test(test_failed_write_drops),
	    cmocka_unit_test(test_clock_keeps_hot_lines),
	    cmocka_unit_test(test_geometry),
	    cmocka_unit_test(test_no_lines),
	    cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
