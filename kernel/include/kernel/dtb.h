/* Flattened device tree (DTB) reader, following the Devicetree Specification v0.4, chapter 5.
 *
 * The kernel gets the blob from the boot loader and trusts nothing in it: dtb_open() checks
 * the header, every block's placement and the whole structure block before anything else
 * looks at it, so that a damaged tree is refused at boot with a precise reason instead of
 * sending the kernel off to read wild memory. The queries re-check every bound they cross
 * as well (a node offset handed in by a caller is verified too), so no call ever reads
 * outside the blob.
 *
 * Freestanding: no allocation, no recursion, no hidden state. Every multi-byte field is
 * read big-endian with byte loads, since the blob need not be aligned in memory.
 *
 * dtb_open() also records every node's offset, parent and next sibling in struct dtb (the
 * node index), so that checking a node offset, finding a parent and stepping to the next
 * child cost a binary search or one array read instead of a walk from the start of the
 * structure block. A tree with more than DTB_INDEX_NODES nodes is read all the same, by
 * those walks.
 *
 * Nodes are named by their offset inside the structure block (as in libfdt); an offset is
 * only meaningful for the struct dtb it came from. */
#ifndef KERNEL_DTB_H
#define KERNEL_DTB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest node nesting accepted; the root is depth 1. Real trees use well under 10. */
#define DTB_MAX_DEPTH 64

/* Nodes the index in struct dtb holds, 8 bytes each (QEMU's virt board with 4 CPUs, the
 * ITS and the SMMU has 63). */
#define DTB_INDEX_NODES 256

/* Every failure has its own code so that a boot log names the exact defect. */
enum dtb_error {
	DTB_OK = 0,
	/* dtb_open(): header and block layout */
	DTB_ERR_NULL = -1,                /* NULL blob or struct dtb, or dtb not opened */
	DTB_ERR_TRUNCATED = -2,           /* buffer smaller than a header */
	DTB_ERR_BAD_MAGIC = -3,           /* magic is not 0xd00dfeed */
	DTB_ERR_TOTALSIZE_TOO_BIG = -4,   /* totalsize exceeds the buffer (or 2^31 - 1) */
	DTB_ERR_TOTALSIZE_TOO_SMALL = -5, /* totalsize smaller than the header */
	DTB_ERR_VERSION = -6,             /* version < 16 or last_comp_version > 17 */
	DTB_ERR_MISALIGNED = -7,          /* block offset or struct size not suitably aligned */
	DTB_ERR_RSVMAP_RANGE = -8,        /* memory reservation block outside the blob */
	DTB_ERR_RSVMAP_UNTERMINATED = -9, /* no terminating entry before the end of the blob */
	DTB_ERR_STRUCT_RANGE = -10,       /* structure block outside the blob */
	DTB_ERR_STRINGS_RANGE = -11,      /* strings block outside the blob */
	DTB_ERR_BLOCK_OVERLAP = -12,      /* two blocks share bytes */
	/* dtb_open(): structure block contents */
	DTB_ERR_BAD_NODE_NAME = -13,     /* node name not NUL-terminated inside the block */
	DTB_ERR_PROP_TRUNCATED = -14,    /* property header or value runs past the block */
	DTB_ERR_BAD_NAME_OFFSET = -15,   /* property name offset outside the strings block */
	DTB_ERR_BAD_PROP_NAME = -16,     /* property name not NUL-terminated in strings block */
	DTB_ERR_BAD_TOKEN = -17,         /* unknown token */
	DTB_ERR_NO_END = -18,            /* structure block ends without FDT_END */
	DTB_ERR_UNBALANCED = -19,        /* END_NODE without a node, or FDT_END inside one */
	DTB_ERR_TOO_DEEP = -20,          /* nesting deeper than DTB_MAX_DEPTH */
	DTB_ERR_NO_ROOT = -21,           /* no root node */
	DTB_ERR_MULTIPLE_ROOTS = -22,    /* a second node at the top level */
	DTB_ERR_PROP_OUTSIDE_NODE = -23, /* property at the top level */
	/* queries */
	DTB_ERR_NOT_FOUND = -24,         /* no such node or property */
	DTB_ERR_BAD_NODE = -25,          /* offset does not name a node of this tree */
	DTB_ERR_BAD_PATH = -26,          /* path is not absolute */
	DTB_ERR_AMBIGUOUS = -27,         /* unit-less path component matches several nodes */
	DTB_ERR_BAD_VALUE = -28,         /* property value malformed (length, terminator) */
	DTB_ERR_INDEX_RANGE = -29,       /* index past the last entry of a property */
	DTB_ERR_UNSUPPORTED_CELLS = -30, /* #address-cells not 1..2 or #size-cells not 0..2 */
	DTB_ERR_NO_PARENT = -31,         /* reg asked of the root node */
	DTB_ERR_REGION_WRAPS = -32,      /* base + size passes the end of the address space */
	DTB_ERR_NO_SPACE = -33,          /* more regions than the caller's array holds */
};

/* One node of the index, in document order: nodes[0] is the root. */
struct dtb_index_node {
	uint32_t node;   /* offset of its FDT_BEGIN_NODE token */
	uint16_t parent; /* index of its parent (0 for the root itself) */
	uint16_t next;   /* index of its next sibling; 0 (the root, nobody's sibling) if none */
};

/* An opened, validated tree. Filled by dtb_open(); treat as read-only. */
struct dtb {
	const uint8_t *blob;  /* start of the header */
	uint32_t size;        /* totalsize */
	uint32_t struct_off;  /* structure block, from the blob start */
	uint32_t struct_size; /* up to and including FDT_END */
	uint32_t strings_off; /* strings block */
	uint32_t strings_size;
	/* One past the strings block's last NUL: exactly the name offsets below it are
	 * terminated inside the block (found once by dtb_open, so that every walk checks a
	 * property name with one comparison instead of a scan). */
	uint32_t strings_named;
	uint32_t rsvmap_off;   /* memory reservation block */
	uint32_t rsvmap_count; /* entries before the terminator */
	uint32_t root;         /* node offset of the root node */
	/* Entries of nodes[]: the number of nodes, or 0 if there are more than
	 * DTB_INDEX_NODES (the queries then walk the structure block instead). */
	uint32_t indexed;
	struct dtb_index_node nodes[DTB_INDEX_NODES];
};

/* A physical range [base, base + size); never wraps past 2^64. */
struct dtb_region {
	uint64_t base;
	uint64_t size;
};

/* Validate the blob at `blob` (at most max_size readable bytes) and fill *dtb.
 * Returns DTB_OK or a negative enum dtb_error; on failure *dtb is cleared so that any later
 * query on it fails with DTB_ERR_NULL. */
int dtb_open(struct dtb *dtb, const void *blob, size_t max_size);

/* Size of the blob in bytes (the header's totalsize), e.g. to reserve its memory. */
uint32_t dtb_total_size(const struct dtb *dtb);

/* Node at an absolute path such as "/", "/psci" or "/pl011@9000000". Each component
 * matches a child whose full name equals it; a component without '@' also matches a child
 * whose name before the '@' equals it, provided exactly one child does (otherwise
 * DTB_ERR_AMBIGUOUS). Repeated and trailing '/' are ignored. Returns a node offset >= 0. */
int dtb_find_path(const struct dtb *dtb, const char *path);

/* First node after `start_after` in document order (-1: from the root, inclusive) whose
 * "compatible" string list contains `compatible`. Returns a node offset or
 * DTB_ERR_NOT_FOUND. */
int dtb_find_compatible(const struct dtb *dtb, int start_after, const char *compatible);

/* The first child of `parent` whose offset is greater than `after` (-1: the first child),
 * in document order: iterate with the previous answer as `after`. DTB_ERR_NOT_FOUND after
 * the last; DTB_ERR_BAD_NODE if `parent` is not a node. */
int dtb_next_child(const struct dtb *dtb, int parent, int after);

/* The node's full name ("" for the root, "pl011@9000000"), NUL-terminated inside the blob;
 * NULL if `node` is not a node of this tree. */
const char *dtb_node_name(const struct dtb *dtb, int node);

/* Raw value of property `name` of `node`. The value points into the blob and is not
 * aligned; `len` may be 0. */
int dtb_get_prop(const struct dtb *dtb, int node, const char *name, const void **value,
                 uint32_t *len);

/* Cell `index` (big-endian u32) of property `name`, e.g. one word of "interrupts". */
int dtb_get_cell(const struct dtb *dtb, int node, const char *name, unsigned index, uint32_t *out);

/* Property `name` as a single string: the value must be NUL-terminated, and only the first
 * string of a string list is returned. */
int dtb_get_string(const struct dtb *dtb, int node, const char *name, const char **out);

/* The position of `want` in the string list `name` of `node` (e.g. "interrupt-names":
 * 0 for the first string), DTB_ERR_NOT_FOUND if it is not there, DTB_ERR_BAD_VALUE if the
 * list does not end in a NUL. */
int dtb_string_index(const struct dtb *dtb, int node, const char *name, const char *want);

/* Whether "status" is absent, "okay" or "ok" (the spec's meaning of an enabled device).
 * False for anything else, including a node offset that is not valid. */
bool dtb_node_enabled(const struct dtb *dtb, int node);

/* Entry `index` of the node's "reg", decoded with the parent's #address-cells (default 2,
 * 1..2 supported) and #size-cells (default 1, 0..2 supported). The address is in the
 * parent's address space: "ranges" are not applied. DTB_ERR_INDEX_RANGE past the last. */
int dtb_get_reg(const struct dtb *dtb, int node, unsigned index, struct dtb_region *out);

/* Every "reg" entry of every enabled node with device_type = "memory", in document order;
 * entries of size 0 are left out. Writes at most `max` regions and sets *count to the number
 * written; returns DTB_ERR_NO_SPACE (with the array full) if there are more. */
int dtb_memory_regions(const struct dtb *dtb, struct dtb_region *out, unsigned max,
                       unsigned *count);

/* The memory reservation block's entries, then the "reg" entries of every enabled child of
 * /reserved-memory (children without "reg" are dynamic pools and are skipped). Same `max`
 * and *count convention as dtb_memory_regions(). */
int dtb_reserved_regions(const struct dtb *dtb, struct dtb_region *out, unsigned max,
                         unsigned *count);

/* Short description of an enum dtb_error value; "unknown error" for anything else. */
const char *dtb_strerror(int err);

#endif
