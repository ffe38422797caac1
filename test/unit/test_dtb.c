/* Host tests for the kernel's device tree reader (kernel/lib/dtb.c).
 *
 * Usage: test_dtb QEMU_VIRT_DTB EDGE_DTB EDGE_V16_DTB
 * The blobs are compiled by dtc from test/unit/data at build time. Every blob handed to the
 * reader sits in a heap buffer of exactly the size passed as max_size, so AddressSanitizer
 * reports any read past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kernel/dtb.h>

struct blob {
	uint8_t *data;
	size_t size;
};

static const char *qemu_path, *edge_path, *edge_v16_path;
static struct blob qemu_blob, edge_blob, edge_v16_blob;

static struct blob load_file(const char *path)
{
	struct blob b = {0};
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b.size = (size_t)n;
	b.data = malloc(b.size);
	if (b.data == NULL || fread(b.data, 1, b.size, f) != b.size) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	return b;
}

static struct blob copy_blob(const struct blob *src)
{
	struct blob b = {malloc(src->size), src->size};

	assert_non_null(b.data);
	memcpy(b.data, src->data, src->size);
	return b;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Header field offsets (spec 5.2). */
enum {
	H_MAGIC = 0,
	H_TOTALSIZE = 4,
	H_OFF_STRUCT = 8,
	H_OFF_STRINGS = 12,
	H_OFF_RSVMAP = 16,
	H_VERSION = 20,
	H_LAST_COMP = 24,
	H_SIZE_STRINGS = 32,
	H_SIZE_STRUCT = 36,
};

static int open_blob(struct dtb *dtb, const struct blob *b)
{
	return dtb_open(dtb, b->data, b->size);
}

static void assert_region(const struct dtb_region *r, uint64_t base, uint64_t size)
{
	assert_int_equal(r->base, base);
	assert_int_equal(r->size, size);
}

static int find_path_ok(const struct dtb *dtb, const char *path)
{
	int node = dtb_find_path(dtb, path);

	if (node < 0)
		fail_msg("%s: %s", path, dtb_strerror(node));
	return node;
}

/* ---------------------------------------------------------------------------------------
 * The QEMU virt tree */

static void test_qemu_open(void **state)
{
	struct dtb dtb;

	(void)state;
	assert_int_equal(open_blob(&dtb, &qemu_blob), DTB_OK);
	assert_int_equal(dtb_total_size(&dtb), qemu_blob.size);
	assert_int_equal(dtb_find_path(&dtb, "/"), (int)dtb.root);
	assert_string_equal(dtb_node_name(&dtb, (int)dtb.root), "");
}

static void test_qemu_memory(void **state)
{
	struct dtb dtb;
	struct dtb_region r[4];
	unsigned count = 99;

	(void)state;
	assert_int_equal(open_blob(&dtb, &qemu_blob), DTB_OK);
	assert_int_equal(dtb_memory_regions(&dtb, r, 4, &count), DTB_OK);
	assert_int_equal(count, 1);
	assert_region(&r[0], 0x40000000, 0x40000000);

	/* QEMU reserves nothing. */
	count = 99;
	assert_int_equal(dtb_reserved_regions(&dtb, r, 4, &count), DTB_OK);
	assert_int_equal(count, 0);
}

static void test_qemu_pl011(void **state)
{
	struct dtb dtb;
	struct dtb_region r;
	const char *s;
	int node;

	(void)state;
	assert_int_equal(open_blob(&dtb, &qemu_blob), DTB_OK);
	node = dtb_find_compatible(&dtb, -1, "arm,pl011");
	assert_true(node >= 0);
	assert_string_equal(dtb_node_name(&dtb, node), "pl011@9000000");
	assert_int_equal(dtb_get_reg(&dtb, node, 0, &r), DTB_OK);
	assert_region(&r, 0x09000000, 0x1000);
	assert_int_equal(dtb_get_reg(&dtb, node, 1, &r), DTB_ERR_INDEX_RANGE);
	assert_true(dtb_node_enabled(&dtb, node));

	/* Second string of the list matches too; only one PL011. */
	assert_int_equal(dtb_find_compatible(&dtb, -1, "arm,primecell") >= 0, 1);
	assert_int_equal(dtb_find_compatible(&dtb, node, "arm,pl011"), DTB_ERR_NOT_FOUND);
	/* Prefixes of a list entry are not matches. */
	assert_int_equal(dtb_find_compatible(&dtb, -1, "arm,pl01"), DTB_ERR_NOT_FOUND);

	assert_int_equal(dtb_find_path(&dtb, "/pl011@9000000"), node);
	assert_int_equal(dtb_find_path(&dtb, "/pl011"), node);
	assert_int_equal(dtb_find_path(&dtb, "/pl011@9000001"), DTB_ERR_NOT_FOUND);

	/* The console as /chosen names it. */
	assert_int_equal(dtb_get_string(&dtb, find_path_ok(&dtb, "/chosen"), "stdout-path", &s),
	                 DTB_OK);
	assert_int_equal(dtb_find_path(&dtb, s), node);

	/* interrupts = <0 1 4>: SPI 1, level high. */
	uint32_t cell;
	assert_int_equal(dtb_get_cell(&dtb, node, "interrupts", 1, &cell), DTB_OK);
	assert_int_equal(cell, 1);
}

static void test_qemu_gic(void **state)
{
	struct dtb dtb;
	struct dtb_region r;
	const void *value;
	uint32_t len = 99;
	int node, its;

	(void)state;
	assert_int_equal(open_blob(&dtb, &qemu_blob), DTB_OK);
	node = dtb_find_compatible(&dtb, -1, "arm,gic-v3");
	assert_true(node >= 0);
	assert_int_equal(dtb_get_reg(&dtb, node, 0, &r), DTB_OK);
	assert_region(&r, 0x08000000, 0x10000); /* distributor */
	assert_int_equal(dtb_get_reg(&dtb, node, 1, &r), DTB_OK);
	assert_region(&r, 0x080a0000, 0xf60000); /* redistributors */
	assert_int_equal(dtb_get_reg(&dtb, node, 2, &r), DTB_ERR_INDEX_RANGE);
	assert_int_equal(dtb_get_prop(&dtb, node, "interrupt-controller", &value, &len), DTB_OK);
	assert_int_equal(len, 0);

	/* The ITS is a child of the GIC and uses the GIC's cells. */
	its = dtb_find_compatible(&dtb, node, "arm,gic-v3-its");
	assert_true(its > node);
	assert_int_equal(dtb_find_path(&dtb, "/intc@8000000/its@8080000"), its);
	assert_int_equal(dtb_find_path(&dtb, "/intc/its"), its);
	assert_int_equal(dtb_get_reg(&dtb, its, 0, &r), DTB_OK);
	assert_region(&r, 0x08080000, 0x20000);
}

static void test_qemu_timer_psci(void **state)
{
	static const uint32_t expect[12] = {1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4};
	struct dtb dtb;
	uint32_t cell;
	const char *s;
	int node;

	(void)state;
	assert_int_equal(open_blob(&dtb, &qemu_blob), DTB_OK);
	node = dtb_find_compatible(&dtb, -1, "arm,armv8-timer");
	assert_true(node >= 0);
	assert_int_equal(dtb_find_path(&dtb, "/timer"), node);
	for (unsigned i = 0; i < 12; i++) {
		assert_int_equal(dtb_get_cell(&dtb, node, "interrupts", i, &cell), DTB_OK);
		assert_int_equal(cell, expect[i]);
	}
	assert_int_equal(dtb_get_cell(&dtb, node, "interrupts", 12, &cell), DTB_ERR_INDEX_RANGE);
	assert_int_equal(dtb_get_cell(&dtb, node, "clock-frequency", 0, &cell), DTB_ERR_NOT_FOUND);

	node = dtb_find_compatible(&dtb, -1, "arm,psci-1.0");
	assert_true(node >= 0);
	assert_int_equal(dtb_find_compatible(&dtb, -1, "arm,psci-0.2"), node);
	assert_int_equal(dtb_find_path(&dtb, "/psci"), node);
	assert_int_equal(dtb_get_string(&dtb, node, "method", &s), DTB_OK);
	assert_string_equal(s, "hvc");
	assert_int_equal(dtb_get_cell(&dtb, node, "cpu_on", 0, &cell), DTB_OK);
	assert_int_equal(cell, 0xc4000003);
}

static void test_qemu_paths(void **state)
{
	struct dtb dtb;
	struct dtb_region r;
	int node, n;

	(void)state;
	assert_int_equal(open_blob(&dtb, &qemu_blob), DTB_OK);
	node = find_path_ok(&dtb, "/psci");
	assert_int_equal(dtb_find_path(&dtb, "//psci/"), node);
	assert_int_equal(dtb_find_path(&dtb, "psci"), DTB_ERR_BAD_PATH);
	assert_int_equal(dtb_find_path(&dtb, ""), DTB_ERR_BAD_PATH);
	assert_int_equal(dtb_find_path(&dtb, "/nonexistent"), DTB_ERR_NOT_FOUND);
	assert_int_equal(dtb_find_path(&dtb, "/psci/nonexistent"), DTB_ERR_NOT_FOUND);
	assert_int_equal(dtb_find_path(&dtb, "/ps"), DTB_ERR_NOT_FOUND);
	assert_int_equal(dtb_find_path(&dtb, "/virtio_mmio"), DTB_ERR_AMBIGUOUS);
	assert_true(dtb_find_path(&dtb, "/virtio_mmio@a000000") >= 0);

	/* CPU nodes: #size-cells = 0. */
	node = find_path_ok(&dtb, "/cpus/cpu@0");
	assert_int_equal(dtb_get_reg(&dtb, node, 0, &r), DTB_OK);
	assert_region(&r, 0, 0);
	assert_true(dtb_find_path(&dtb, "/cpus/cpu-map/socket0") >= 0);

	/* Iteration over a compatible string visits every instance, in order. */
	n = 0;
	for (node = dtb_find_compatible(&dtb, -1, "virtio,mmio"); node >= 0;
	     node = dtb_find_compatible(&dtb, node, "virtio,mmio")) {
		n++;
		assert_int_equal(strncmp(dtb_node_name(&dtb, node), "virtio_mmio@", 12), 0);
	}
	assert_int_equal(node, DTB_ERR_NOT_FOUND);
	assert_int_equal(n, 32);

	/* The root has no parent, hence no reg. */
	assert_int_equal(dtb_get_reg(&dtb, (int)dtb.root, 0, &r), DTB_ERR_NO_PARENT);
}

/* Free space after the blocks (QEMU hands over a 1 MiB blob) is fine. */
static void test_qemu_padded(void **state)
{
	struct blob b = {calloc(1, qemu_blob.size + 65536), qemu_blob.size + 65536};
	struct dtb dtb;
	struct dtb_region r[2];
	unsigned count;

	(void)state;
	assert_non_null(b.data);
	memcpy(b.data, qemu_blob.data, qemu_blob.size);
	put_be32(b.data + H_TOTALSIZE, (uint32_t)b.size);
	assert_int_equal(open_blob(&dtb, &b), DTB_OK);
	assert_int_equal(dtb_total_size(&dtb), b.size);
	assert_int_equal(dtb_memory_regions(&dtb, r, 2, &count), DTB_OK);
	assert_int_equal(count, 1);
	/* A bigger buffer than totalsize is fine too. */
	put_be32(b.data + H_TOTALSIZE, (uint32_t)qemu_blob.size);
	assert_int_equal(open_blob(&dtb, &b), DTB_OK);
	assert_int_equal(dtb_total_size(&dtb), qemu_blob.size);
	free(b.data);
}

/* ---------------------------------------------------------------------------------------
 * The edge-case tree */

static void check_edge_regions(const struct blob *b)
{
	struct dtb dtb;
	struct dtb_region r[16];
	unsigned count = 99;

	assert_int_equal(open_blob(&dtb, b), DTB_OK);
	assert_int_equal(dtb_memory_regions(&dtb, r, 16, &count), DTB_OK);
	assert_int_equal(count, 3);
	assert_region(&r[0], 0x80000000, 0x10000000);
	assert_region(&r[1], 0xa0000000, 0x01000000);
	assert_region(&r[2], 0xc0000000, 0x20000000);

	count = 99;
	assert_int_equal(dtb_reserved_regions(&dtb, r, 16, &count), DTB_OK);
	assert_int_equal(count, 5);
	assert_region(&r[0], 0x48000000, 0x100000); /* /memreserve/ */
	assert_region(&r[1], 0x49000000, 0x2000);   /* (the size-0 entry is skipped) */
	assert_region(&r[2], 0x84000000, 0x80000);  /* secmon */
	assert_region(&r[3], 0x100000000, 0x1000);  /* multi, entry 0 */
	assert_region(&r[4], 0x88000000, 0x2000);   /* multi, entry 1 */
}

static void test_edge_regions(void **state)
{
	(void)state;
	check_edge_regions(&edge_blob);
}

/* dtc -V 16: no size_dt_struct in the header; same answers. */
static void test_edge_v16(void **state)
{
	struct dtb dtb;

	(void)state;
	assert_int_equal(get_be32(edge_v16_blob.data + H_VERSION), 16);
	check_edge_regions(&edge_v16_blob);
	assert_int_equal(open_blob(&dtb, &edge_v16_blob), DTB_OK);
	assert_true(dtb_find_path(&dtb, "/soc/deep/a/b/c/leaf") >= 0);
}

static void test_edge_region_limits(void **state)
{
	struct dtb dtb;
	struct dtb_region r[4];
	unsigned count = 99;

	(void)state;
	assert_int_equal(open_blob(&dtb, &edge_blob), DTB_OK);
	assert_int_equal(dtb_memory_regions(&dtb, r, 2, &count), DTB_ERR_NO_SPACE);
	assert_int_equal(count, 2);
	assert_region(&r[1], 0xa0000000, 0x01000000);
	assert_int_equal(dtb_memory_regions(&dtb, NULL, 0, &count), DTB_ERR_NO_SPACE);
	assert_int_equal(count, 0);
	assert_int_equal(dtb_reserved_regions(&dtb, r, 4, &count), DTB_ERR_NO_SPACE);
	assert_int_equal(count, 4);
	assert_int_equal(dtb_memory_regions(&dtb, NULL, 1, &count), DTB_ERR_NULL);
	assert_int_equal(dtb_memory_regions(&dtb, r, 1, NULL), DTB_ERR_NULL);
	assert_int_equal(dtb_reserved_regions(NULL, r, 1, &count), DTB_ERR_NULL);
}

static void test_edge_reg(void **state)
{
	struct dtb dtb;
	struct dtb_region r;
	int node;

	(void)state;
	assert_int_equal(open_blob(&dtb, &edge_blob), DTB_OK);

	/* 1/1 cells at the root. */
	node = find_path_ok(&dtb, "/uart@2000");
	assert_int_equal(dtb_get_reg(&dtb, node, 0, &r), DTB_OK);
	assert_region(&r, 0x2000, 0x100);

	/* 2/2 cells in /soc. */
	node = find_path_ok(&dtb, "/soc/dev");
	assert_int_equal(dtb_get_reg(&dtb, node, 0, &r), DTB_OK);
	assert_region(&r, 0x100000000, 0x10000);
	node = find_path_ok(&dtb, "/soc/top");
	assert_int_equal(dtb_get_reg(&dtb, node, 0, &r), DTB_OK);
	assert_region(&r, 0xfffffffffffff000, 0x1000);
	node = find_path_ok(&dtb, "/soc/wrap");
	assert_int_equal(dtb_get_reg(&dtb, node, 0, &r), DTB_ERR_REGION_WRAPS);

	/* 1/0 cells in /cpus. */
	node = find_path_ok(&dtb, "/cpus/cpu@1");
	assert_int_equal(dtb_get_reg(&dtb, node, 0, &r), DTB_OK);
	assert_region(&r, 1, 0);

	/* Unsupported and malformed cell counts, malformed reg. */
	node = find_path_ok(&dtb, "/pci/dev@0");
	assert_int_equal(dtb_get_reg(&dtb, node, 0, &r), DTB_ERR_UNSUPPORTED_CELLS);
	node = find_path_ok(&dtb, "/broken/odd-reg");
	assert_int_equal(dtb_get_reg(&dtb, node, 0, &r), DTB_ERR_BAD_VALUE);
	node = find_path_ok(&dtb, "/odd/short@0");
	assert_int_equal(dtb_get_reg(&dtb, node, 0, &r), DTB_ERR_BAD_VALUE);

	/* No reg at all. */
	node = find_path_ok(&dtb, "/chosen");
	assert_int_equal(dtb_get_reg(&dtb, node, 0, &r), DTB_ERR_NOT_FOUND);
	assert_int_equal(dtb_get_reg(&dtb, node, 0, NULL), DTB_ERR_NULL);
}

static void test_edge_paths(void **state)
{
	struct dtb dtb;
	int node;

	(void)state;
	assert_int_equal(open_blob(&dtb, &edge_blob), DTB_OK);
	/* Exact name wins over unit-address matches. */
	node = find_path_ok(&dtb, "/serial");
	assert_string_equal(dtb_node_name(&dtb, node), "serial");
	node = find_path_ok(&dtb, "/serial@4000");
	assert_string_equal(dtb_node_name(&dtb, node), "serial@4000");
	/* Several uart@ and several memory@ nodes. */
	assert_int_equal(dtb_find_path(&dtb, "/uart"), DTB_ERR_AMBIGUOUS);
	assert_int_equal(dtb_find_path(&dtb, "/memory"), DTB_ERR_AMBIGUOUS);
	/* A component with '@' never matches by prefix. */
	assert_int_equal(dtb_find_path(&dtb, "/uart@"), DTB_ERR_NOT_FOUND);
	assert_int_equal(dtb_find_path(&dtb, "/uart@100"), DTB_ERR_NOT_FOUND);
	/* Only direct children are searched. */
	assert_int_equal(dtb_find_path(&dtb, "/leaf"), DTB_ERR_NOT_FOUND);
	assert_int_equal(dtb_find_path(&dtb, "/soc/leaf"), DTB_ERR_NOT_FOUND);
	node = find_path_ok(&dtb, "/soc/deep/a/b/c/leaf");
	assert_int_equal(dtb_find_compatible(&dtb, -1, "m6,leaf"), node);
	/* "reserved-memory" is found even though "memory" prefixes other names. */
	assert_true(dtb_find_path(&dtb, "/reserved-memory/pool") >= 0);
	assert_int_equal(dtb_find_path(NULL, "/"), DTB_ERR_NULL);
	assert_int_equal(dtb_find_path(&dtb, NULL), DTB_ERR_NULL);
}

static void test_edge_compatible(void **state)
{
	struct dtb dtb;
	int node, n;

	(void)state;
	assert_int_equal(open_blob(&dtb, &edge_blob), DTB_OK);
	/* First, middle and last strings of a list. */
	node = find_path_ok(&dtb, "/uart@1000");
	assert_int_equal(dtb_find_compatible(&dtb, -1, "vendor,uart"), node);
	assert_int_equal(dtb_find_compatible(&dtb, -1, "arm,pl011"), node);
	assert_int_equal(dtb_find_compatible(&dtb, -1, "arm,primecell"), node);
	/* All three PL011s, including the disabled one (the caller checks status). */
	n = 0;
	for (node = dtb_find_compatible(&dtb, -1, "arm,pl011"); node >= 0;
	     node = dtb_find_compatible(&dtb, node, "arm,pl011"))
		n++;
	assert_int_equal(n, 3);
	assert_false(dtb_node_enabled(&dtb, find_path_ok(&dtb, "/uart@3000")));
	assert_true(dtb_node_enabled(&dtb, find_path_ok(&dtb, "/uart@2000")));
	assert_true(dtb_node_enabled(&dtb, find_path_ok(&dtb, "/values")));
	assert_false(dtb_node_enabled(&dtb, find_path_ok(&dtb, "/disabled-dev")));
	assert_false(dtb_node_enabled(&dtb, 3));
	/* "arm,pl011x" is not "arm,pl011" and vice versa. */
	assert_int_equal(dtb_find_compatible(&dtb, -1, "arm,pl011x"),
	                 find_path_ok(&dtb, "/soc/dev"));
	assert_int_equal(dtb_find_compatible(&dtb, -1, "arm"), DTB_ERR_NOT_FOUND);
	/* An unterminated compatible value matches nothing. */
	assert_int_equal(dtb_find_compatible(&dtb, -1, "m6,tail"), DTB_ERR_NOT_FOUND);
	/* Starting after something that is not a node. */
	assert_int_equal(dtb_find_compatible(&dtb, 1, "arm,pl011"), DTB_ERR_BAD_NODE);
	assert_int_equal(dtb_find_compatible(&dtb, -2, "arm,pl011"), DTB_ERR_BAD_NODE);
	assert_int_equal(dtb_find_compatible(&dtb, -1, NULL), DTB_ERR_NULL);
}

static void test_edge_props(void **state)
{
	struct dtb dtb;
	const void *value;
	const char *s;
	uint32_t len, cell;
	int node;

	(void)state;
	assert_int_equal(open_blob(&dtb, &edge_blob), DTB_OK);
	node = find_path_ok(&dtb, "/values");
	assert_int_equal(dtb_get_string(&dtb, node, "empty-string", &s), DTB_OK);
	assert_string_equal(s, "");
	assert_int_equal(dtb_get_string(&dtb, node, "unterminated", &s), DTB_ERR_BAD_VALUE);
	assert_int_equal(dtb_get_string(&dtb, node, "flag", &s), DTB_ERR_BAD_VALUE);
	assert_int_equal(dtb_get_string(&dtb, node, "list", &s), DTB_OK);
	assert_string_equal(s, "a");
	assert_int_equal(dtb_get_string(&dtb, node, "missing", &s), DTB_ERR_NOT_FOUND);
	/* String lists by position (the SMMU's interrupt-names). */
	assert_int_equal(dtb_string_index(&dtb, node, "list", "a"), 0);
	assert_int_equal(dtb_string_index(&dtb, node, "list", "bc"), 1);
	assert_int_equal(dtb_string_index(&dtb, node, "list", "b"), DTB_ERR_NOT_FOUND);
	assert_int_equal(dtb_string_index(&dtb, node, "list", ""), 2); /* "a", "bc", "" */
	assert_int_equal(dtb_string_index(&dtb, node, "empty-string", ""), 0);
	assert_int_equal(dtb_string_index(&dtb, node, "unterminated", "x"), DTB_ERR_BAD_VALUE);
	assert_int_equal(dtb_string_index(&dtb, node, "flag", ""), DTB_ERR_BAD_VALUE);
	assert_int_equal(dtb_string_index(&dtb, node, "missing", "a"), DTB_ERR_NOT_FOUND);
	assert_int_equal(dtb_string_index(&dtb, node, "list", NULL), DTB_ERR_NULL);
	assert_int_equal(dtb_get_prop(&dtb, node, "list", &value, &len), DTB_OK);
	assert_int_equal(len, 6);
	assert_memory_equal(value, "a\0bc\0", 6);
	assert_int_equal(dtb_get_prop(&dtb, node, "flag", NULL, &len), DTB_OK);
	assert_int_equal(len, 0);
	assert_int_equal(dtb_get_cell(&dtb, node, "cell", 0, &cell), DTB_OK);
	assert_int_equal(cell, 0x12345678);
	assert_int_equal(dtb_get_cell(&dtb, node, "cells", 2, &cell), DTB_OK);
	assert_int_equal(cell, 3);
	assert_int_equal(dtb_get_cell(&dtb, node, "cells", 3, &cell), DTB_ERR_INDEX_RANGE);
	assert_int_equal(dtb_get_cell(&dtb, node, "bytes", 0, &cell), DTB_ERR_BAD_VALUE);
	assert_int_equal(dtb_get_cell(&dtb, node, "flag", 0, &cell), DTB_ERR_INDEX_RANGE);
	/* Properties of a child are not the parent's. */
	assert_int_equal(dtb_get_prop(&dtb, find_path_ok(&dtb, "/soc"), "compatible", NULL, NULL),
	                 DTB_ERR_NOT_FOUND);
	assert_int_equal(dtb_get_prop(&dtb, node, NULL, NULL, NULL), DTB_ERR_NULL);
	assert_int_equal(dtb_get_string(&dtb, node, "list", NULL), DTB_ERR_NULL);
	assert_int_equal(dtb_get_cell(&dtb, node, "cell", 0, NULL), DTB_ERR_NULL);
}

/* Offsets that are not nodes: negative, past the block, misaligned, a property token, the
 * inside of a value, FDT_END. */
/* The node index (struct dtb's nodes[]) must give exactly what the walks from the start of
 * the structure block give: the same tree with the index dropped is the reference. Checks
 * `node` as a node (name, parent via reg, children, compatible search after it) and as an
 * `after` for its parent's child iteration. */
static void assert_index_agrees(const struct dtb *dtb, int node)
{
	struct dtb walked = *dtb;
	struct dtb_region a, b;
	int ea, eb;

	walked.indexed = 0;
	assert_ptr_equal(dtb_node_name(dtb, node), dtb_node_name(&walked, node));
	assert_int_equal(dtb_node_enabled(dtb, node), dtb_node_enabled(&walked, node));
	ea = dtb_get_reg(dtb, node, 0, &a);
	eb = dtb_get_reg(&walked, node, 0, &b);
	assert_int_equal(ea, eb);
	if (ea == DTB_OK) {
		assert_int_equal(a.base, b.base);
		assert_int_equal(a.size, b.size);
	}
	assert_int_equal(dtb_next_child(dtb, node, -1), dtb_next_child(&walked, node, -1));
	assert_int_equal(dtb_next_child(dtb, node, node), dtb_next_child(&walked, node, node));
	assert_int_equal(dtb_find_compatible(dtb, node, "arm,pl011"),
	                 dtb_find_compatible(&walked, node, "arm,pl011"));
	/* `node` as the previous child (the index's one-read case when it is a child), under
	 * the root and under the last few nodes before it. */
	assert_int_equal(dtb_next_child(dtb, (int)dtb->root, node),
	                 dtb_next_child(&walked, (int)dtb->root, node));
	for (uint32_t i = 0; i < dtb->indexed && dtb->nodes[i].node < (uint32_t)node; i++) {
		int parent = (int)dtb->nodes[i].node;

		if (i + 4 < dtb->indexed && dtb->nodes[i + 4].node < (uint32_t)node)
			continue;

		assert_int_equal(dtb_next_child(dtb, parent, node),
		                 dtb_next_child(&walked, parent, node));
	}
}

/* Every 4-byte offset of the structure block (nodes, other tokens, bytes inside values)
 * and its neighbours: the index and the walks agree. */
static void assert_index_agrees_everywhere(const struct blob *b)
{
	struct dtb dtb;

	struct dtb walked;

	assert_int_equal(open_blob(&dtb, b), DTB_OK);
	assert_true(dtb.indexed > 1);
	assert_int_equal(dtb.nodes[0].node, dtb.root);
	walked = dtb;
	walked.indexed = 0;
	/* Every node's path, and the same with its last component's unit address cut off. */
	for (uint32_t i = 1; i < dtb.indexed; i++) {
		char path[512] = "", part[1024]; /* room for the name and all of path */
		char *at;

		for (uint32_t n = i; n != 0; n = dtb.nodes[n].parent) {
			snprintf(part, sizeof(part), "/%s%s",
			         dtb_node_name(&dtb, (int)dtb.nodes[n].node), path);
			assert_true(strlen(part) < sizeof(path));
			strcpy(path, part);
		}
		assert_int_equal(dtb_find_path(&dtb, path), (int)dtb.nodes[i].node);
		assert_int_equal(dtb_find_path(&walked, path), (int)dtb.nodes[i].node);
		at = strrchr(path, '@');
		if (at != NULL && strchr(at, '/') == NULL) {
			*at = '\0';
			assert_int_equal(dtb_find_path(&dtb, path), dtb_find_path(&walked, path));
		}
	}
	for (int off = -4; off <= (int)dtb.struct_size + 4; off += 4) {
		assert_index_agrees(&dtb, off);
		assert_index_agrees(&dtb, off + 1);
	}
}

static void test_index(void **state)
{
	(void)state;
	assert_index_agrees_everywhere(&qemu_blob);
	assert_index_agrees_everywhere(&edge_blob);
	assert_index_agrees_everywhere(&edge_v16_blob);
}

static void test_bad_node_offsets(void **state)
{
	struct dtb dtb;
	struct dtb_region r;
	const void *value;
	uint32_t len, cell;
	const char *s;
	int node;

	(void)state;
	assert_int_equal(open_blob(&dtb, &edge_blob), DTB_OK);
	node = find_path_ok(&dtb, "/uart@1000");
	const int bad[] = {-1,
	                   -4,
	                   2,
	                   (int)dtb.struct_size,
	                   (int)dtb.struct_size - 4,
	                   0x7ffffffc,
	                   node + 4,
	                   node + 16,
	                   node + 20};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dtb_get_prop(&dtb, bad[i], "reg", &value, &len), DTB_ERR_BAD_NODE);
		assert_int_equal(dtb_get_reg(&dtb, bad[i], 0, &r), DTB_ERR_BAD_NODE);
		assert_int_equal(dtb_get_cell(&dtb, bad[i], "reg", 0, &cell), DTB_ERR_BAD_NODE);
		assert_int_equal(dtb_get_string(&dtb, bad[i], "status", &s), DTB_ERR_BAD_NODE);
		assert_null(dtb_node_name(&dtb, bad[i]));
		assert_false(dtb_node_enabled(&dtb, bad[i]));
		if (bad[i] != -1)
			assert_int_equal(dtb_find_compatible(&dtb, bad[i], "x"), DTB_ERR_BAD_NODE);
	}
}

/* ---------------------------------------------------------------------------------------
 * Corrupt headers, built from the edge-case blob */

/* One header field edit and the error it must produce. */
enum edit {
	SET,                /* field = value */
	ADD,                /* field += value */
	SET_SIZE_PLUS,      /* field = blob size + value */
	SET_OFF_STRUCT_PLUS /* field = off_dt_struct + value */
};

struct header_case {
	const char *what;
	unsigned field;
	enum edit edit;
	int32_t value;
	int err;
};

static const struct header_case header_cases[] = {
    {"bad magic", H_MAGIC, ADD, 1, DTB_ERR_BAD_MAGIC},
    {"totalsize > buffer", H_TOTALSIZE, ADD, 1, DTB_ERR_TOTALSIZE_TOO_BIG},
    {"totalsize huge", H_TOTALSIZE, SET, -16, DTB_ERR_TOTALSIZE_TOO_BIG},
    {"totalsize < header", H_TOTALSIZE, SET, 39, DTB_ERR_TOTALSIZE_TOO_SMALL},
    {"version too old", H_VERSION, SET, 15, DTB_ERR_VERSION},
    {"last_comp_version too new", H_LAST_COMP, SET, 18, DTB_ERR_VERSION},
    {"off_dt_struct past end", H_OFF_STRUCT, SET_SIZE_PLUS, 4, DTB_ERR_STRUCT_RANGE},
    {"off_dt_struct in header", H_OFF_STRUCT, SET, 36, DTB_ERR_STRUCT_RANGE},
    {"size_dt_struct past end", H_SIZE_STRUCT, SET_SIZE_PLUS, 0, DTB_ERR_STRUCT_RANGE},
    {"off_dt_strings past end", H_OFF_STRINGS, SET_SIZE_PLUS, 1, DTB_ERR_STRINGS_RANGE},
    {"size_dt_strings past end", H_SIZE_STRINGS, ADD, 1, DTB_ERR_STRINGS_RANGE},
    {"off_dt_strings in header", H_OFF_STRINGS, SET, 0, DTB_ERR_STRINGS_RANGE},
    {"off_dt_struct misaligned", H_OFF_STRUCT, ADD, 2, DTB_ERR_MISALIGNED},
    {"size_dt_struct misaligned", H_SIZE_STRUCT, ADD, -2, DTB_ERR_MISALIGNED},
    {"off_mem_rsvmap misaligned", H_OFF_RSVMAP, ADD, 4, DTB_ERR_MISALIGNED},
    {"off_mem_rsvmap past end", H_OFF_RSVMAP, SET_SIZE_PLUS, 8, DTB_ERR_RSVMAP_RANGE},
    {"off_mem_rsvmap in header", H_OFF_RSVMAP, SET, 32, DTB_ERR_RSVMAP_RANGE},
    {"strings inside struct", H_OFF_STRINGS, SET_OFF_STRUCT_PLUS, 8, DTB_ERR_BLOCK_OVERLAP},
    {"struct into strings", H_SIZE_STRUCT, ADD, 4, DTB_ERR_BLOCK_OVERLAP},
    /* The last 4 bytes of the structure block are FDT_END. */
    {"struct without FDT_END", H_SIZE_STRUCT, ADD, -4, DTB_ERR_NO_END},
};

static void test_corrupt_headers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
		const struct header_case *c = &header_cases[i];
		struct blob b = copy_blob(&edge_blob);
		uint8_t *field = b.data + c->field;
		uint32_t v = (uint32_t)c->value;
		struct dtb dtb;
		int err;

		if (c->edit == ADD)
			v += get_be32(field);
		else if (c->edit == SET_SIZE_PLUS)
			v += (uint32_t)b.size;
		else if (c->edit == SET_OFF_STRUCT_PLUS)
			v += get_be32(b.data + H_OFF_STRUCT);
		put_be32(field, v);
		err = open_blob(&dtb, &b);
		if (err != c->err)
			fail_msg("%s: expected %d (%s), got %d (%s)", c->what, c->err,
			         dtb_strerror(c->err), err, dtb_strerror(err));
		/* A failed open leaves nothing usable behind. */
		assert_null(dtb.blob);
		assert_int_equal(dtb_total_size(&dtb), 0);
		assert_int_equal(dtb_find_path(&dtb, "/"), DTB_ERR_NULL);
		free(b.data);
	}
}

static void test_bad_arguments(void **state)
{
	struct dtb dtb;
	uint8_t *small;

	(void)state;
	assert_int_equal(dtb_open(&dtb, NULL, 100), DTB_ERR_NULL);
	assert_int_equal(dtb_open(NULL, edge_blob.data, edge_blob.size), DTB_ERR_NULL);
	assert_int_equal(dtb_open(&dtb, edge_blob.data, 0), DTB_ERR_TRUNCATED);
	/* Just short of a header, in a buffer of exactly that size. */
	small = malloc(39);
	assert_non_null(small);
	memcpy(small, edge_blob.data, 39);
	assert_int_equal(dtb_open(&dtb, small, 39), DTB_ERR_TRUNCATED);
	free(small);
	/* Buffer shorter than totalsize. */
	assert_int_equal(dtb_open(&dtb, edge_blob.data, edge_blob.size - 1),
	                 DTB_ERR_TOTALSIZE_TOO_BIG);
	assert_int_equal(dtb_total_size(NULL), 0);
	assert_null(dtb_node_name(NULL, 0));
	assert_false(dtb_node_enabled(NULL, 0));
}

static void test_version_18(void **state)
{
	struct blob b = copy_blob(&edge_blob);
	struct dtb dtb;

	(void)state;
	/* A newer blob that stays readable as 16/17 is accepted. */
	put_be32(b.data + H_VERSION, 18);
	assert_int_equal(open_blob(&dtb, &b), DTB_OK);
	free(b.data);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(dtb_strerror(DTB_OK), "success");
	assert_string_equal(dtb_strerror(1), "unknown error");
	assert_string_equal(dtb_strerror(DTB_ERR_NO_SPACE - 1), "unknown error");
	/* Every code has its own message. */
	for (int a = DTB_ERR_NO_SPACE; a <= DTB_OK; a++) {
		assert_string_not_equal(dtb_strerror(a), "unknown error");
		for (int b = a + 1; b <= DTB_OK; b++)
			assert_string_not_equal(dtb_strerror(a), dtb_strerror(b));
	}
}

/* ---------------------------------------------------------------------------------------
 * Hand-built blobs for structure-block defects. The builder lays out: header (40 bytes),
 * memory reservation block, structure block, strings block, unless told otherwise. */

#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u

struct builder {
	uint8_t st[8192]; /* room for test_built_wide's DTB_INDEX_NODES + 1 nodes */
	uint32_t st_len;
	char strs[256];
	uint32_t strs_len;
};

static void b_u32(struct builder *b, uint32_t v)
{
	assert_true(b->st_len + 4 <= sizeof(b->st));
	put_be32(b->st + b->st_len, v);
	b->st_len += 4;
}

static void b_bytes(struct builder *b, const void *p, uint32_t n)
{
	assert_true(b->st_len + n <= sizeof(b->st));
	memcpy(b->st + b->st_len, p, n);
	b->st_len += n;
}

static void b_pad(struct builder *b)
{
	while (b->st_len % 4 != 0)
		b->st[b->st_len++] = 0;
}

static void b_begin(struct builder *b, const char *name)
{
	b_u32(b, FDT_BEGIN_NODE);
	b_bytes(b, name, (uint32_t)strlen(name) + 1);
	b_pad(b);
}

static uint32_t b_string(struct builder *b, const char *s)
{
	uint32_t off = b->strs_len, n = (uint32_t)strlen(s) + 1;

	assert_true(b->strs_len + n <= sizeof(b->strs));
	memcpy(b->strs + b->strs_len, s, n);
	b->strs_len += n;
	return off;
}

static void b_prop_raw(struct builder *b, uint32_t nameoff, const void *v, uint32_t len)
{
	b_u32(b, FDT_PROP);
	b_u32(b, len);
	b_u32(b, nameoff);
	b_bytes(b, v, len);
	b_pad(b);
}

static void b_prop(struct builder *b, const char *name, const void *v, uint32_t len)
{
	b_prop_raw(b, b_string(b, name), v, len);
}

enum layout {
	RSV_FIRST,             /* header, reservations, struct, strings: as dtc does it */
	RSV_LAST,              /* header, struct, strings, reservations */
	RSV_LAST_UNTERMINATED, /* as RSV_LAST, without the terminating entry */
};

/* Lay the blocks out in an exactly-sized heap buffer. */
static struct blob b_finish(const struct builder *b, enum layout layout)
{
	const uint32_t hdr = 40, rsv_size = layout == RSV_LAST_UNTERMINATED ? 16 : 32;
	uint32_t off_rsv, off_struct, off_strings, total;
	struct blob out;

	if (layout == RSV_FIRST) {
		off_rsv = hdr;
		off_struct = off_rsv + rsv_size;
		off_strings = off_struct + b->st_len;
		total = off_strings + b->strs_len;
	} else {
		off_struct = hdr;
		off_strings = off_struct + b->st_len;
		off_rsv = (off_strings + b->strs_len + 7) & ~7u;
		total = off_rsv + rsv_size;
	}
	out.size = total;
	out.data = calloc(1, total);
	assert_non_null(out.data);
	put_be32(out.data + H_MAGIC, 0xd00dfeed);
	put_be32(out.data + H_TOTALSIZE, total);
	put_be32(out.data + H_OFF_STRUCT, off_struct);
	put_be32(out.data + H_OFF_STRINGS, off_strings);
	put_be32(out.data + H_OFF_RSVMAP, off_rsv);
	put_be32(out.data + H_VERSION, 17);
	put_be32(out.data + H_LAST_COMP, 16);
	put_be32(out.data + H_SIZE_STRINGS, b->strs_len);
	put_be32(out.data + H_SIZE_STRUCT, b->st_len);
	/* One reservation, 0x1000 at 0x10000. */
	put_be32(out.data + off_rsv + 4, 0x10000);
	put_be32(out.data + off_rsv + 12, 0x1000);
	memcpy(out.data + off_struct, b->st, b->st_len);
	memcpy(out.data + off_strings, b->strs, b->strs_len);
	return out;
}

static void expect_built(const struct builder *b, enum layout layout, int expected)
{
	struct blob blob = b_finish(b, layout);
	struct dtb dtb;
	int err = open_blob(&dtb, &blob);

	if (err != expected)
		fail_msg("expected %d (%s), got %d (%s)", expected, dtb_strerror(expected), err,
		         dtb_strerror(err));
	free(blob.data);
}

/* A small valid tree: / { #address-cells = <1>; c@1 { reg = <0x1 0x2>; }; }; */
static void b_valid(struct builder *b)
{
	static const uint8_t one[4] = {0, 0, 0, 1}, reg[8] = {0, 0, 0, 1, 0, 0, 0, 2};

	memset(b, 0, sizeof(*b));
	b_begin(b, "");
	b_prop(b, "#address-cells", one, 4);
	b_begin(b, "c@1");
	b_prop(b, "reg", reg, 8);
	b_u32(b, FDT_END_NODE);
	b_u32(b, FDT_END_NODE);
	b_u32(b, FDT_END);
}

static void test_built_valid(void **state)
{
	struct builder b;
	struct blob blob;
	struct dtb dtb;
	struct dtb_region r[2];
	unsigned count;

	(void)state;
	b_valid(&b);
	blob = b_finish(&b, RSV_FIRST);
	assert_int_equal(open_blob(&dtb, &blob), DTB_OK);
	assert_int_equal(dtb_get_reg(&dtb, find_path_ok(&dtb, "/c"), 0, r), DTB_OK);
	assert_region(&r[0], 1, 2);
	assert_int_equal(dtb_reserved_regions(&dtb, r, 2, &count), DTB_OK);
	assert_int_equal(count, 1);
	assert_region(&r[0], 0x10000, 0x1000);
	free(blob.data);
}

/* NOPs may appear anywhere; data after FDT_END inside the declared block is ignored. */
static void test_built_nops(void **state)
{
	static const uint8_t okay[] = "okay";
	struct builder b = {0};
	struct blob blob;
	struct dtb dtb;
	const char *s;
	int node;

	(void)state;
	b_u32(&b, FDT_NOP);
	b_begin(&b, "");
	b_u32(&b, FDT_NOP);
	b_prop(&b, "compatible", "x,y", 4);
	b_u32(&b, FDT_NOP);
	b_begin(&b, "a");
	b_u32(&b, FDT_NOP);
	b_prop(&b, "status", okay, sizeof(okay));
	b_u32(&b, FDT_END_NODE);
	b_u32(&b, FDT_NOP);
	b_u32(&b, FDT_END_NODE);
	b_u32(&b, FDT_NOP);
	b_u32(&b, FDT_END);
	b_u32(&b, 0xdeadbeef);
	blob = b_finish(&b, RSV_FIRST);
	assert_int_equal(open_blob(&dtb, &blob), DTB_OK);
	assert_int_equal(dtb.root, 4);
	assert_int_equal(dtb_find_path(&dtb, "/"), 4);
	assert_int_equal(dtb_find_compatible(&dtb, -1, "x,y"), 4);
	node = find_path_ok(&dtb, "/a");
	assert_int_equal(dtb_get_string(&dtb, node, "status", &s), DTB_OK);
	assert_string_equal(s, "okay");
	assert_true(dtb_node_enabled(&dtb, node));
	free(blob.data);
}

static void test_built_defects(void **state)
{
	static const uint8_t val[4] = {0, 0, 0, 1};
	struct builder b;

	(void)state;

	/* Control: the base tree and both layouts are fine. */
	b_valid(&b);
	expect_built(&b, RSV_FIRST, DTB_OK);

	expect_built(&b, RSV_LAST, DTB_OK);

	/* Memory reservation block without its terminator, at the end of the blob. */
	expect_built(&b, RSV_LAST_UNTERMINATED, DTB_ERR_RSVMAP_UNTERMINATED);

	/* Node name running to the end of the block without a NUL. */
	b_valid(&b);
	b.st_len -= 4; /* drop FDT_END */
	b_u32(&b, FDT_BEGIN_NODE);
	b_bytes(&b, "abcd", 4);
	expect_built(&b, RSV_FIRST, DTB_ERR_BAD_NODE_NAME);
	expect_built(&b, RSV_LAST, DTB_ERR_BAD_NODE_NAME);

	/* Property value longer than the rest of the block. */
	memset(&b, 0, sizeof(b));
	b_begin(&b, "");
	b_u32(&b, FDT_PROP);
	b_u32(&b, 0x100);
	b_u32(&b, b_string(&b, "p"));
	b_u32(&b, FDT_END_NODE);
	b_u32(&b, FDT_END);
	expect_built(&b, RSV_FIRST, DTB_ERR_PROP_TRUNCATED);

	/* Property length so large that offset + length would wrap. */
	memset(&b, 0, sizeof(b));
	b_begin(&b, "");
	b_u32(&b, FDT_PROP);
	b_u32(&b, 0xfffffffc);
	b_u32(&b, b_string(&b, "p"));
	b_u32(&b, FDT_END_NODE);
	b_u32(&b, FDT_END);
	expect_built(&b, RSV_FIRST, DTB_ERR_PROP_TRUNCATED);

	/* Property header cut off by the end of the block. */
	memset(&b, 0, sizeof(b));
	b_begin(&b, "");
	b_u32(&b, FDT_PROP);
	b_u32(&b, 0);
	expect_built(&b, RSV_FIRST, DTB_ERR_PROP_TRUNCATED);

	/* Name offset at the end of the strings block. */
	memset(&b, 0, sizeof(b));
	b_string(&b, "p");
	b_begin(&b, "");
	b_prop_raw(&b, 2, val, 4);
	b_u32(&b, FDT_END_NODE);
	b_u32(&b, FDT_END);
	expect_built(&b, RSV_FIRST, DTB_ERR_BAD_NAME_OFFSET);

	/* Property name not terminated inside the strings block. */
	memset(&b, 0, sizeof(b));
	memcpy(b.strs, "abc", 3);
	b.strs_len = 3;
	b_begin(&b, "");
	b_prop_raw(&b, 1, val, 4);
	b_u32(&b, FDT_END_NODE);
	b_u32(&b, FDT_END);
	expect_built(&b, RSV_FIRST, DTB_ERR_BAD_PROP_NAME);
	/* Same, with NULs right after the block: the search must stop at its end. */
	expect_built(&b, RSV_LAST, DTB_ERR_BAD_PROP_NAME);

	/* No FDT_END. */
	b_valid(&b);
	b.st_len -= 4;
	expect_built(&b, RSV_FIRST, DTB_ERR_NO_END);

	/* Extra END_NODE. */
	b_valid(&b);
	b.st_len -= 4;
	b_u32(&b, FDT_END_NODE);
	b_u32(&b, FDT_END);
	expect_built(&b, RSV_FIRST, DTB_ERR_UNBALANCED);

	/* FDT_END inside the root. */
	b_valid(&b);
	b.st_len -= 8;
	b_u32(&b, FDT_END);
	expect_built(&b, RSV_FIRST, DTB_ERR_UNBALANCED);

	/* Unknown token (5 is unassigned). */
	b_valid(&b);
	b.st_len -= 8;
	b_u32(&b, 5);
	b_u32(&b, FDT_END_NODE);
	b_u32(&b, FDT_END);
	expect_built(&b, RSV_FIRST, DTB_ERR_BAD_TOKEN);

	/* No node at all. */
	memset(&b, 0, sizeof(b));
	b_u32(&b, FDT_NOP);
	b_u32(&b, FDT_END);
	expect_built(&b, RSV_FIRST, DTB_ERR_NO_ROOT);

	/* Empty structure block. */
	memset(&b, 0, sizeof(b));
	expect_built(&b, RSV_FIRST, DTB_ERR_NO_END);

	/* Two top-level nodes. */
	b_valid(&b);
	b.st_len -= 4;
	b_begin(&b, "");
	b_u32(&b, FDT_END_NODE);
	b_u32(&b, FDT_END);
	expect_built(&b, RSV_FIRST, DTB_ERR_MULTIPLE_ROOTS);

	/* Property before the root. */
	memset(&b, 0, sizeof(b));
	b_prop(&b, "p", val, 4);
	b_begin(&b, "");
	b_u32(&b, FDT_END_NODE);
	b_u32(&b, FDT_END);
	expect_built(&b, RSV_FIRST, DTB_ERR_PROP_OUTSIDE_NODE);
}

static void build_nested(struct builder *b, unsigned depth)
{
	memset(b, 0, sizeof(*b));
	for (unsigned i = 0; i < depth; i++)
		b_begin(b, i == 0 ? "" : "n");
	for (unsigned i = 0; i < depth; i++)
		b_u32(b, FDT_END_NODE);
	b_u32(b, FDT_END);
}

static void test_built_depth(void **state)
{
	static char path[2 * DTB_MAX_DEPTH + 1];
	struct builder b;
	struct blob blob;
	struct dtb dtb;
	struct dtb_region r;
	int node;

	(void)state;
	build_nested(&b, DTB_MAX_DEPTH);
	blob = b_finish(&b, RSV_FIRST);
	assert_int_equal(open_blob(&dtb, &blob), DTB_OK);
	/* The deepest node is reachable, and its parent found without recursion. */
	path[0] = '\0';
	for (unsigned i = 1; i < DTB_MAX_DEPTH; i++)
		strcat(path, "/n");
	node = find_path_ok(&dtb, path);
	assert_int_equal(dtb_get_reg(&dtb, node, 0, &r), DTB_ERR_NOT_FOUND);
	free(blob.data);

	build_nested(&b, DTB_MAX_DEPTH + 1);
	expect_built(&b, RSV_FIRST, DTB_ERR_TOO_DEEP);
}

/* A root with `children` children, each with a one-cell reg <i> (#size-cells = 0). */
static void build_wide(struct builder *b, unsigned children)
{
	static const uint8_t one[4] = {0, 0, 0, 1}, zero[4] = {0};
	uint32_t reg = b_string(b, "reg");

	b_begin(b, "");
	b_prop(b, "#address-cells", one, 4);
	b_prop(b, "#size-cells", zero, 4);
	for (unsigned i = 0; i < children; i++) {
		uint8_t cell[4];

		put_be32(cell, i);
		b_begin(b, "n");
		b_prop_raw(b, reg, cell, 4);
		b_u32(b, FDT_END_NODE);
	}
	b_u32(b, FDT_END_NODE);
	b_u32(b, FDT_END);
}

/* The index holds at most DTB_INDEX_NODES nodes; a tree with one more is read by walks.
 * Both give every child, in order, with its parent's cells. */
static void test_built_wide(void **state)
{
	static const unsigned nodes[] = {DTB_INDEX_NODES, DTB_INDEX_NODES + 1};

	(void)state;
	for (size_t k = 0; k < sizeof(nodes) / sizeof(nodes[0]); k++) {
		static struct builder b;
		struct blob blob;
		struct dtb dtb;
		struct dtb_region r;
		unsigned seen = 0;
		int c;

		memset(&b, 0, sizeof(b));
		build_wide(&b, nodes[k] - 1);
		blob = b_finish(&b, RSV_FIRST);
		assert_int_equal(open_blob(&dtb, &blob), DTB_OK);
		assert_int_equal(dtb.indexed, nodes[k] <= DTB_INDEX_NODES ? nodes[k] : 0);
		for (c = dtb_next_child(&dtb, (int)dtb.root, -1); c >= 0;
		     c = dtb_next_child(&dtb, (int)dtb.root, c)) {
			assert_int_equal(dtb_get_reg(&dtb, c, 0, &r), DTB_OK);
			assert_int_equal(r.base, seen);
			assert_int_equal(r.size, 0);
			assert_int_equal(dtb_next_child(&dtb, c, -1), DTB_ERR_NOT_FOUND);
			seen++;
		}
		assert_int_equal(c, DTB_ERR_NOT_FOUND);
		assert_int_equal(seen, nodes[k] - 1);
		/* Every child is named "n": an exact match, the first settles it. */
		assert_int_equal(dtb_find_path(&dtb, "/n"),
		                 dtb_next_child(&dtb, (int)dtb.root, -1));
		assert_int_equal(dtb_find_path(&dtb, "/m"), DTB_ERR_NOT_FOUND);
		assert_int_equal(dtb_get_reg(&dtb, (int)dtb.root, 0, &r), DTB_ERR_NO_PARENT);
		free(blob.data);
	}
}

/* ---------------------------------------------------------------------------------------
 * Fuzzing: mutate valid blobs and call everything. The sanitizers are the oracle. */

static uint64_t rng_state;

static uint32_t rng(void)
{
	/* xorshift64*: deterministic across hosts. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void exercise(const struct dtb *dtb)
{
	static const char *const paths[] = {"/",
	                                    "/psci",
	                                    "/pl011",
	                                    "/memory",
	                                    "/chosen",
	                                    "/soc/dev",
	                                    "/reserved-memory/multi",
	                                    "/cpus/cpu@0",
	                                    "//a//b/",
	                                    "/uart@1000"};
	static const char *const compats[] = {"arm,pl011", "arm,gic-v3", "m6,leaf", ""};
	struct dtb_region r[8];
	const void *value;
	const char *s;
	uint32_t len, cell;
	unsigned count;
	int node, steps;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		node = dtb_find_path(dtb, paths[i]);
		if (node < 0)
			continue;
		(void)dtb_node_name(dtb, node);
		(void)dtb_node_enabled(dtb, node);
		(void)dtb_get_reg(dtb, node, 0, &r[0]);
		(void)dtb_get_reg(dtb, node, 1, &r[0]);
		(void)dtb_get_prop(dtb, node, "reg", &value, &len);
		(void)dtb_get_string(dtb, node, "stdout-path", &s);
		(void)dtb_get_cell(dtb, node, "interrupts", 2, &cell);
	}
	for (size_t i = 0; i < sizeof(compats) / sizeof(compats[0]); i++) {
		steps = 0;
		for (node = dtb_find_compatible(dtb, -1, compats[i]); node >= 0 && steps < 8;
		     node = dtb_find_compatible(dtb, node, compats[i]), steps++)
			(void)dtb_get_reg(dtb, node, 0, &r[0]);
	}
	(void)dtb_memory_regions(dtb, r, 8, &count);
	(void)dtb_reserved_regions(dtb, r, 8, &count);
	/* Arbitrary offsets must be rejected or honoured, never followed blindly. */
	for (int i = 0; i < 4; i++) {
		node = (int)(rng() % (dtb->struct_size + 16)) - 8;
		(void)dtb_get_prop(dtb, node, "compatible", &value, &len);
		(void)dtb_get_reg(dtb, node, 0, &r[0]);
		(void)dtb_find_compatible(dtb, node, "arm,pl011");
		assert_index_agrees(dtb, node);
	}
}

static const uint32_t interesting[] = {0,          1,          2,          3,          4,
                                       9,          0xd00dfeed, 0x7fffffff, 0x80000000, 0xffffffff,
                                       0xfffffffc, 16,         17,         40,         0x1000};

static void mutate(struct blob *b, size_t base_size)
{
	unsigned n = 1 + rng() % 4;

	for (unsigned k = 0; k < n; k++) {
		size_t pos = rng() % base_size;

		switch (rng() % 6) {
		case 0: /* flip a bit */
			b->data[pos] ^= (uint8_t)(1u << (rng() % 8));
			break;
		case 1: /* random byte */
			b->data[pos] = (uint8_t)rng();
			break;
		case 2: /* interesting word at an aligned spot */
			pos &= ~(size_t)3;
			if (pos + 4 <= base_size)
				put_be32(b->data + pos,
				         interesting[rng() % (sizeof(interesting) /
				                              sizeof(interesting[0]))]);
			break;
		case 3: /* header field nudged */
			pos = 4 * (rng() % 10);
			put_be32(b->data + pos, get_be32(b->data + pos) + (rng() % 9) - 4);
			break;
		case 4: /* small random word at an aligned spot (tokens, lengths, offsets) */
			pos &= ~(size_t)3;
			if (pos + 4 <= base_size)
				put_be32(b->data + pos, rng() % 64);
			break;
		default: /* truncate, keeping totalsize consistent half of the time */
			b->size = rng() % (b->size + 1);
			if ((rng() & 1) && b->size >= 8)
				put_be32(b->data + H_TOTALSIZE, (uint32_t)b->size);
			break;
		}
	}
}

static void fuzz(const struct blob *base, unsigned iterations, uint64_t seed)
{
	unsigned opened = 0;

	rng_state = seed;
	for (unsigned it = 0; it < iterations; it++) {
		struct blob work = copy_blob(base);
		struct blob exact;
		struct dtb dtb;
		int err;

		mutate(&work, base->size);
		/* Re-home into a buffer of exactly the final size so ASan sees overreads. */
		exact.size = work.size;
		exact.data = malloc(exact.size ? exact.size : 1);
		assert_non_null(exact.data);
		memcpy(exact.data, work.data, exact.size);
		free(work.data);

		err = open_blob(&dtb, &exact);
		if (err == DTB_OK) {
			opened++;
			assert_true(dtb_total_size(&dtb) <= exact.size);
			exercise(&dtb);
		} else {
			assert_true(err < 0 && err >= DTB_ERR_NO_SPACE);
			assert_null(dtb.blob);
		}
		free(exact.data);
	}
	print_message("fuzz: %u of %u mutated blobs opened\n", opened, iterations);
	/* Otherwise the queries would go untested. */
	assert_true(opened > iterations / 10);
}

static void test_fuzz_edge(void **state)
{
	(void)state;
	fuzz(&edge_blob, 14000, 0x6d36647462ull);
}

static void test_fuzz_qemu(void **state)
{
	(void)state;
	fuzz(&qemu_blob, 6000, 0x717e6d75ull);
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qemu_open),        cmocka_unit_test(test_qemu_memory),
	    cmocka_unit_test(test_qemu_pl011),       cmocka_unit_test(test_qemu_gic),
	    cmocka_unit_test(test_qemu_timer_psci),  cmocka_unit_test(test_qemu_paths),
	    cmocka_unit_test(test_qemu_padded),      cmocka_unit_test(test_edge_regions),
	    cmocka_unit_test(test_edge_v16),         cmocka_unit_test(test_edge_region_limits),
	    cmocka_unit_test(test_edge_reg),         cmocka_unit_test(test_edge_paths),
	    cmocka_unit_test(test_edge_compatible),  cmocka_unit_test(test_edge_props),
	    cmocka_unit_test(test_bad_node_offsets), cmocka_unit_test(test_corrupt_headers),
	    cmocka_unit_test(test_bad_arguments),    cmocka_unit_test(test_version_18),
	    cmocka_unit_test(test_strerror),         cmocka_unit_test(test_built_valid),
	    cmocka_unit_test(test_built_nops),       cmocka_unit_test(test_built_defects),
	    cmocka_unit_test(test_built_depth),      cmocka_unit_test(test_fuzz_edge),
	    cmocka_unit_test(test_fuzz_qemu),        cmocka_unit_test(test_index),
	    cmocka_unit_test(test_built_wide),
	};
	int failed;

	if (argc != 4) {
		fprintf(stderr, "usage: %s QEMU_VIRT_DTB EDGE_DTB EDGE_V16_DTB\n", argv[0]);
		return 2;
	}
	qemu_path = argv[1];
	edge_path = argv[2];
	edge_v16_path = argv[3];
	qemu_blob = load_file(qemu_path);
	edge_blob = load_file(edge_path);
	edge_v16_blob = load_file(edge_v16_path);
	failed = cmocka_run_group_tests_name("dtb", tests, NULL, NULL);
	free(qemu_blob.data);
	free(edge_blob.data);
	free(edge_v16_blob.data);
	return failed != 0;
}
