/* libFuzzer harness: the kernel's DTB reader (kernel/lib/dtb.c) and the memory map it feeds
 * (kernel/lib/memory_map.c), on arbitrary bytes.
 *
 * The input is the blob itself. After dtb_open() it makes every query the kernel makes at
 * boot (kernel/core/main.c: compatible searches, reg, cells, strings, status, memory and
 * reserved regions, the memory-map computation), then the ones it could make: every path
 * component the tree names, and every offset that looks like a node (an FDT_BEGIN_NODE
 * word, including look-alikes inside property values), plus offsets that are not nodes.
 * ASan and UBSan catch any read outside the input and any undefined behaviour; the
 * invariants the callers rely on (regions never wrap, the free map lies in RAM and outside
 * every reservation) abort when broken, so libFuzzer reports them as crashes too. So does
 * any difference between the answers of the node index dtb_open() builds and those of the
 * walks from the start that a tree too big for the index gets (the same tree with its index
 * dropped). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kernel/dtb.h>
#include <kernel/memory_map.h>

#define MAX_REGIONS 16
/* What arch_phys_limit() gives on a 44-bit CPU, the kernel's largest. */
#define PHYS_LIMIT (1ull << 44)
/* Offsets tried as nodes, at most: each compares the index with walks from the start. */
#define MAX_NODE_PROBES 24
#define PAGE_MASK       0xfffull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_dtb: invariant broken: %s\n", what);
		abort();
	}
}

static void check_error(int err)
{
	require(dtb_strerror(err) != NULL, "dtb_strerror returns a string");
}

static void check_regions(const struct dtb_region *r, unsigned count, unsigned max)
{
	require(count <= max, "no more regions than the array holds");
	for (unsigned i = 0; i < count; i++) {
		require(r[i].size != 0, "no empty region");
		require(r[i].base + (r[i].size - 1) >= r[i].base, "no region wraps");
	}
}

/* The open tree with its node index dropped: the reference the index must agree with. */
static struct dtb walked;

/* Each offset the harness probes as a node (every FDT_BEGIN_NODE word, up to
 * MAX_NODE_PROBES, and the bad offsets): the index and the walks agree about it. */
static void check_index(const struct dtb *d, int node)
{
	struct dtb_region a, b;
	if (d->indexed == 0)
		return;
	require(dtb_node_name(d, node) == dtb_node_name(&walked, node), "index: node check");
	int ea = dtb_get_reg(d, node, 0, &a), eb = dtb_get_reg(&walked, node, 0, &b);
	require(ea == eb && (ea != DTB_OK || (a.base == b.base && a.size == b.size)),
	        "index: parent");
	require(dtb_next_child(d, node, -1) == dtb_next_child(&walked, node, -1),
	        "index: first child");
	require(dtb_next_child(d, (int)d->root, node) ==
	            dtb_next_child(&walked, (int)d->root, node),
	        "index: next child");
	require(dtb_find_compatible(d, node, "arm,pl011") ==
	            dtb_find_compatible(&walked, node, "arm,pl011"),
	        "index: compatible search");
}

/* What the kernel asks of one node (main.c's mmio_region, timer and PSCI reads). */
static void query_node(const struct dtb *d, int node)
{
	static const char *const props[] = {"compatible",      "status", "reg",
	                                    "interrupts",      "method", "device_type",
	                                    "interrupt-names", ""};
	/* The timer's cells the kernel reads, the first, and one past any real property. */
	static const unsigned cells[] = {0, 6, 7, 1u << 30};
	const char *name = dtb_node_name(d, node);
	if (name == NULL)
		return;
	(void)strlen(name); /* terminated inside the blob */
	(void)dtb_node_enabled(d, node);
	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		const void *value;
		uint32_t len;
		const char *s;
		uint32_t cell;
		int err = dtb_get_prop(d, node, props[i], &value, &len);
		check_error(err);
		if (err == DTB_OK && len > 0) {
			volatile uint8_t last = ((const uint8_t *)value)[len - 1];
			(void)last;
		}
		if (dtb_get_string(d, node, props[i], &s) == DTB_OK)
			(void)strlen(s);
		/* The SMMU's interrupt-names lookup: an index, or an error, never a read past. */
		int at = dtb_string_index(d, node, props[i], "eventq");
		check_error(at);
		if (at >= 0) {
			require(err == DTB_OK, "an index only into a property that exists");
			const char *p = value, *end = p + len;
			for (int k = 0; k < at && p < end; k++)
				p += strlen(p) + 1;
			require(p < end && strcmp(p, "eventq") == 0, "the index names that string");
		}
		for (size_t c = 0; c < sizeof(cells) / sizeof(cells[0]); c++)
			check_error(dtb_get_cell(d, node, props[i], cells[c], &cell));
	}
	for (unsigned i = 0; i < 3; i++) {
		struct dtb_region r;
		int err = dtb_get_reg(d, node, i, &r);
		check_error(err);
		if (err == DTB_OK)
			require(r.size == 0 || r.base + (r.size - 1) >= r.base, "reg never wraps");
	}
}

/* dtb_find_path, checked against the walks when the tree has an index. */
static int find_path(const struct dtb *d, const char *path)
{
	int node = dtb_find_path(d, path);
	require(d->indexed == 0 || node == dtb_find_path(&walked, path), "index: path lookup");
	return node;
}

/* "/" + name, and "/" + the name before its '@': the paths a caller could ask for. */
static void query_paths_from(const struct dtb *d, const char *name)
{
	char path[128];
	size_t len = strlen(name);
	if (len + 2 > sizeof(path))
		return;
	path[0] = '/';
	memcpy(path + 1, name, len + 1);
	check_error(find_path(d, path));
	char *at = strchr(path, '@');
	if (at != NULL) {
		*at = '\0';
		check_error(find_path(d, path));
	}
}

static int find_enabled(const struct dtb *d, const char *compatible)
{
	int first = DTB_ERR_NOT_FOUND;
	unsigned steps = 0;
	for (int node = dtb_find_compatible(d, -1, compatible); node >= 0;
	     node = dtb_find_compatible(d, node, compatible)) {
		require(++steps <= 1u << 20, "find_compatible always moves forward");
		query_node(d, node);
		if (first < 0 && dtb_node_enabled(d, node))
			first = node;
	}
	return first;
}

/* main.c's read_ram and add_free_memory, with the DTB and kernel placed at RAM's start. */
static void memory_map(const struct dtb *d)
{
	struct dtb_region regions[MAX_REGIONS];
	struct mem_range ram[MAX_REGIONS], used[MAX_REGIONS + 2], out[MAX_REGIONS * 2 + 4];
	unsigned count;

	int err = dtb_memory_regions(d, regions, MAX_REGIONS, &count);
	check_error(err);
	if (err != DTB_OK)
		return;
	check_regions(regions, count, MAX_REGIONS);
	for (unsigned i = 0; i < count; i++)
		ram[i] = (struct mem_range){regions[i].base, regions[i].base + regions[i].size};
	unsigned ram_count = memory_map_usable_ram(ram, count, (struct mem_range){0, PHYS_LIMIT});
	require(ram_count <= count, "usable RAM never grows");
	for (unsigned i = 0; i < ram_count; i++) {
		require(ram[i].base < ram[i].end, "usable RAM ranges are not empty");
		require(((ram[i].base | ram[i].end) & PAGE_MASK) == 0, "usable RAM is whole pages");
		require(ram[i].end <= PHYS_LIMIT, "usable RAM is below the limit");
		require(i == 0 || ram[i - 1].end < ram[i].base, "usable RAM sorted and merged");
	}
	(void)memory_map_total(ram, ram_count);
	if (ram_count == 0)
		return;

	uint64_t dtb_pa = ram[0].base;
	(void)memory_map_covers(ram, ram_count, dtb_pa, dtb_pa + dtb_total_size(d));
	unsigned reserved;
	err = dtb_reserved_regions(d, regions, MAX_REGIONS, &reserved);
	check_error(err);
	if (err != DTB_OK)
		return;
	check_regions(regions, reserved, MAX_REGIONS);
	for (unsigned i = 0; i < reserved; i++) {
		used[i] = (struct mem_range){regions[i].base, regions[i].base + regions[i].size};
		(void)memory_map_overlaps(ram, ram_count, used[i].base, used[i].end);
	}
	used[reserved] = (struct mem_range){dtb_pa + 0x200000, dtb_pa + 0x400000};
	used[reserved + 1] = (struct mem_range){dtb_pa, dtb_pa + dtb_total_size(d)};
	unsigned used_count = reserved + 2;
	int n = memory_map_free(ram, ram_count, used, used_count, out, MAX_REGIONS * 2 + 4);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		require(out[i].base < out[i].end && ((out[i].base | out[i].end) & PAGE_MASK) == 0,
		        "free ranges are whole pages");
		require(memory_map_covers(ram, ram_count, out[i].base, out[i].end),
		        "free ranges lie in RAM");
		require(i == 0 || out[i - 1].end <= out[i].base, "free ranges sorted, disjoint");
		for (unsigned u = 0; u < used_count; u++) {
			uint64_t end = used[u].end < used[u].base ? UINT64_MAX : used[u].end;
			require(!(out[i].base < end && out[i].end > used[u].base),
			        "free ranges miss every reservation");
		}
	}
	(void)memory_map_total(out, (unsigned)n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dtb d;
	int err = dtb_open(&d, data, size);
	check_error(err);
	if (err != DTB_OK) {
		require(dtb_find_path(&d, "/") == DTB_ERR_NULL, "a refused tree answers nothing");
		return 0;
	}
	require(dtb_total_size(&d) <= size, "totalsize within the buffer");
	walked = d;
	walked.indexed = 0;

	/* The kernel's boot reads, in its order. */
	static const char *const compatibles[] = {"arm,pl011",    "arm,gic-v3",   "arm,armv8-timer",
	                                          "arm,psci-1.0", "arm,psci-0.2", ""};
	for (size_t i = 0; i < sizeof(compatibles) / sizeof(compatibles[0]); i++)
		(void)find_enabled(&d, compatibles[i]);
	memory_map(&d);

	/* Small arrays: the NO_SPACE paths. */
	struct dtb_region one[1];
	unsigned count;
	check_error(dtb_memory_regions(&d, one, 1, &count));
	check_error(dtb_reserved_regions(&d, one, 1, &count));
	check_error(dtb_memory_regions(&d, NULL, 0, &count));

	static const char *const paths[] = {"/",       "//",     "/psci",       "/memory",
	                                    "/chosen", "/cpus",  "/cpus/cpu@0", "/reserved-memory",
	                                    "/intc",   "/a/b/c", "relative",    ""};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int node = find_path(&d, paths[i]);
		check_error(node);
		if (node >= 0)
			query_node(&d, node);
		/* The kernel's CPU enumeration (core/smp.c): every child, each after the last. */
		unsigned children = 0;
		int prev = -1;
		for (int c = dtb_next_child(&d, node, -1); node >= 0 && c >= 0;
		     prev = c, c = dtb_next_child(&d, node, c)) {
			require(++children <= 1u << 20, "next_child always moves forward");
			require(c > node, "a child follows its parent");
			require(d.indexed == 0 || c == dtb_next_child(&walked, node, prev),
			        "index: the same children");
			query_node(&d, c);
		}
		check_error(dtb_next_child(&d, node, -1));
	}

	/* Every offset whose word is FDT_BEGIN_NODE (real nodes and look-alikes in values),
	 * then offsets that cannot be nodes. */
	unsigned probes = 0;
	for (uint32_t off = 0; off + 4 <= d.struct_size && probes < MAX_NODE_PROBES; off += 4) {
		const uint8_t *p = d.blob + d.struct_off + off;
		if (p[0] != 0 || p[1] != 0 || p[2] != 0 || p[3] != 1)
			continue;
		probes++;
		check_index(&d, (int)off);
		const char *name = dtb_node_name(&d, (int)off);
		if (name == NULL)
			continue;
		query_node(&d, (int)off);
		query_paths_from(&d, name);
	}
	static const int bad[] = {-1, -4, 1, 2, 0x7ffffffc, 0x7fffffff};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		check_index(&d, bad[i]);
		query_node(&d, bad[i]);
		check_error(dtb_find_compatible(&d, bad[i], "arm,pl011"));
		check_error(dtb_next_child(&d, bad[i], -1));
	}
	query_node(&d, (int)d.struct_size);
	query_node(&d, (int)d.struct_size - 4);
	return 0;
}
