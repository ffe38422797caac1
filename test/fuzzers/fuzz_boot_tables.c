/* libFuzzer harness: the kernel's boot table checks (kernel/core/boot_check.c).
 *
 * The input is decoded into a struct m6_boot_tables: a few count bytes, then every entry's
 * fields. Each array is its own heap block of exactly its count, so ASan reports any index
 * a check follows without bounding it. Every boot_check_* function then runs on every
 * entry, and on indices past the end.
 *
 * Fields are drawn with a bias so that the checks' interesting paths are reachable: a
 * field byte below 0xf0 picks a value from a small range that matters (an object index
 * near the count, a type, a frame size, a rights mask, a page-aligned address), a byte of
 * 0xf0 or more takes the next 4 or 8 bytes raw. Past the end of the input every byte reads
 * as 0. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <kernel/boot_check.h>
#include <m6/abi/objects.h>

#define MAX_ENTRIES 48

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t byte(struct input *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static uint64_t raw(struct input *in, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v = v << 8 | byte(in);
	return v;
}

/* A value below `range` (a small one that matters) or, rarely, a raw 32-bit one. */
static uint32_t small(struct input *in, uint32_t range)
{
	uint8_t b = byte(in);
	return b >= 0xf0 ? (uint32_t)raw(in, 4) : b % range;
}

/* An index into a table of `count` entries: mostly valid, sometimes one past or beyond. */
static uint32_t index_of(struct input *in, uint32_t count)
{
	uint8_t b = byte(in);
	if (b >= 0xf0)
		return (uint32_t)raw(in, 4);
	if (b >= 0xe0)
		return M6_BT_NO_OBJECT;
	return (uint32_t)(b % ((uint64_t)count + 2));
}

static uint32_t size_bits(struct input *in)
{
	static const uint32_t common[] = {0, 12, 21, 30};
	uint8_t b = byte(in);
	return b >= 0xf0 ? (uint32_t)raw(in, 4) : b < 0x80 ? common[b & 3] : b % 64;
}

/* A 64-bit address: a page or block number near interesting edges, or raw. */
static uint64_t address(struct input *in)
{
	uint8_t b = byte(in);
	if (b >= 0xf0)
		return raw(in, 8);
	uint64_t v = raw(in, 2);
	switch (b & 3) {
	case 0:
		return v << 12;
	case 1:
		return v << 21;
	case 2:
		return (1ull << 48) - (v << 12) + (b >> 2 & 3); /* around the top of user space */
	default:
		return v << (b >> 2 & 63);
	}
}

static void *table(size_t count, size_t entry)
{
	/* At least one byte, so that an empty table is still a distinct block ASan knows. */
	void *t = calloc(count ? count : 1, entry);
	if (t == NULL)
		abort();
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct m6_boot_tables bt = {
	    .magic = M6_BOOT_TABLES_MAGIC,
	    .version = M6_BOOT_TABLES_VERSION,
	    .system_name = "fuzz",
	};
	bt.object_count = byte(&in) % MAX_ENTRIES;
	bt.mapping_count = byte(&in) % MAX_ENTRIES;
	bt.cap_count = byte(&in) % MAX_ENTRIES;
	bt.thread_count = byte(&in) % MAX_ENTRIES;
	bt.image_pages = small(&in, 16);

	struct m6_bt_object *objects = table(bt.object_count, sizeof(*objects));
	for (uint32_t i = 0; i < bt.object_count; i++) {
		objects[i] = (struct m6_bt_object){
		    .name = "object",
		    .type = small(&in, M6_OBJ_COUNT + 1),
		    .size_bits = size_bits(&in),
		    .source = index_of(&in, bt.object_count), /* a frame source or a pool index */
		    .source_page = index_of(&in, bt.image_pages),
		    .paddr = address(&in),
		};
	}
	struct m6_bt_mapping *mappings = table(bt.mapping_count, sizeof(*mappings));
	for (uint32_t i = 0; i < bt.mapping_count; i++) {
		mappings[i] = (struct m6_bt_mapping){
		    .vspace = index_of(&in, bt.object_count),
		    .object = index_of(&in, bt.object_count),
		    .vaddr = address(&in),
		    .level = small(&in, 5),
		    .rights = small(&in, 16),
		};
	}
	struct m6_bt_cap *caps = table(bt.cap_count, sizeof(*caps));
	for (uint32_t i = 0; i < bt.cap_count; i++) {
		caps[i] = (struct m6_bt_cap){
		    .cnode = index_of(&in, bt.object_count),
		    .slot = small(&in, 64),
		    .type = small(&in, M6_OBJ_COUNT + 1),
		    .object = index_of(&in, bt.object_count),
		    .rights = small(&in, 64),
		    .guard_size = small(&in, 65),
		    .badge = address(&in),
		};
	}
	struct m6_bt_thread *threads = table(bt.thread_count, sizeof(*threads));
	for (uint32_t i = 0; i < bt.thread_count; i++) {
		threads[i] = (struct m6_bt_thread){
		    .name = "thread",
		    .tcb = index_of(&in, bt.object_count),
		    .cspace = index_of(&in, bt.object_count),
		    .vspace = index_of(&in, bt.object_count),
		    .ipc_buffer_frame = index_of(&in, bt.object_count),
		    .priority = small(&in, 257),
		    .ipc_buffer_vaddr = address(&in),
		    .entry = address(&in),
		    .stack_pointer = address(&in),
		    .max_priority = small(&in, 257),
		    .fault_ep = index_of(&in, bt.object_count),
		    .start = small(&in, 2),
		};
	}
	bt.objects = objects;
	bt.mappings = mappings;
	bt.caps = caps;
	bt.threads = threads;

	/* Every entry, one past the end, and the largest index. Each answer is NULL or a
	 * message, which is read to the end (a dangling message would be caught). */
	for (uint32_t i = 0; i <= MAX_ENTRIES; i++) {
		uint32_t index = i == MAX_ENTRIES ? UINT32_MAX : i;
		const char *problem[] = {
		    boot_check_object(&bt, index),
		    boot_check_mapping(&bt, index),
		    boot_check_cap(&bt, index),
		    boot_check_thread(&bt, index),
		};
		for (size_t k = 0; k < sizeof(problem) / sizeof(problem[0]); k++) {
			if (problem[k] != NULL)
				(void)strlen(problem[k]);
		}
	}
	free(objects);
	free(mappings);
	free(caps);
	free(threads);
	return 0;
}
