/* Flattened device tree reader; see kernel/include/kernel/dtb.h for the contract.
 *
 * Layout reminder (Devicetree Specification v0.4, chapter 5): a 40-byte big-endian header
 * (36 bytes in version 16, which lacks size_dt_struct), a memory reservation block of
 * (address, size) u64 pairs ended by a (0, 0) pair, a structure block of 4-byte aligned
 * tokens, and a strings block holding the property names. */
#include <kernel/dtb.h>

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 0x1u
#define FDT_END_NODE   0x2u
#define FDT_PROP       0x3u
#define FDT_NOP        0x4u
#define FDT_END        0x9u

/* Header field offsets. */
#define HDR_MAGIC             0u
#define HDR_TOTALSIZE         4u
#define HDR_OFF_DT_STRUCT     8u
#define HDR_OFF_DT_STRINGS    12u
#define HDR_OFF_MEM_RSVMAP    16u
#define HDR_VERSION           20u
#define HDR_LAST_COMP_VERSION 24u
#define HDR_SIZE_DT_STRINGS   32u
#define HDR_SIZE_DT_STRUCT    36u

#define HDR_SIZE_V16          36u
#define HDR_SIZE_V17          40u
#define RSVMAP_ENTRY_SIZE     16u

/* The oldest layout we read (16 is the first with a strings-block size, which the bounds
 * checks need) and the newest we understand (a blob may be newer if it says it stays
 * readable as 17). */
#define DTB_MIN_VERSION      16u
#define DTB_MAX_COMP_VERSION 17u

/* Node offsets are returned as int, so every offset must fit in one. */
#define DTB_MAX_TOTALSIZE 0x7fffffffu

/* One decoded structure-block token. */
struct token {
	uint32_t tag;
	const char *name;     /* BEGIN_NODE: node name; PROP: property name */
	const uint8_t *value; /* PROP only */
	uint32_t len;         /* PROP only */
};

/* Byte loads only: the blob has no alignment guarantee in memory, and an unaligned wide
 * load may fault on device memory or before the MMU is on. */
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* Offsets are <= DTB_MAX_TOTALSIZE, so adding 3 cannot wrap. */
static uint32_t align4(uint32_t x)
{
	return (x + 3u) & ~3u;
}

/* Index of the first NUL in p[0..n), or n if there is none; never looks past p[n - 1]. */
static uint32_t find_nul(const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;

	while (i < n && p[i] != 0)
		i++;
	return i;
}

static size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

/* Both strings are NUL-terminated (blob names were checked by dtb_open), so the loop stops
 * at the shorter one's terminator at the latest. */
static bool str_eq(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static bool bytes_eq(const uint8_t *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != (uint8_t)b[i])
			return false;
	return true;
}

/* Ends of ranges inside a validated blob are <= 2^31, so the sums cannot wrap. Empty
 * ranges share no bytes with anything. */
static bool ranges_overlap(uint32_t a_off, uint32_t a_size, uint32_t b_off, uint32_t b_size)
{
	if (a_size == 0 || b_size == 0)
		return false;
	return a_off < b_off + b_size && b_off < a_off + a_size;
}

/* Decode the token at *pos (an offset into the structure block) and advance *pos past it
 * and its payload. This is the only place that reads the structure block, and it checks
 * every bound itself, so the queries stay in bounds even when handed a bogus offset. */
static int next_token(const struct dtb *dtb, uint32_t *pos, struct token *tok)
{
	const uint8_t *base = dtb->blob + dtb->struct_off;
	uint32_t size = dtb->struct_size;
	uint32_t p = *pos;

	if ((p & 3u) != 0 || p > size || size - p < 4)
		return DTB_ERR_NO_END;
	tok->tag = be32(base + p);
	p += 4;

	switch (tok->tag) {
	case FDT_BEGIN_NODE: {
		uint32_t n = find_nul(base + p, size - p);

		if (n == size - p)
			return DTB_ERR_BAD_NODE_NAME;
		tok->name = (const char *)(base + p);
		p = align4(p + n + 1);
		/* Padding past the block: only possible if size were not a multiple of 4. */
		if (p > size)
			return DTB_ERR_BAD_NODE_NAME;
		break;
	}
	case FDT_PROP: {
		uint32_t len, nameoff;

		if (size - p < 8)
			return DTB_ERR_PROP_TRUNCATED;
		len = be32(base + p);
		nameoff = be32(base + p + 4);
		p += 8;
		if (len > size - p)
			return DTB_ERR_PROP_TRUNCATED;
		if (nameoff >= dtb->strings_size)
			return DTB_ERR_BAD_NAME_OFFSET;
		/* A NUL at or after nameoff inside the block: the same test as scanning for
		 * one, answered by where the block's last NUL is. */
		if (nameoff >= dtb->strings_named)
			return DTB_ERR_BAD_PROP_NAME;
		tok->name = (const char *)(dtb->blob + dtb->strings_off + nameoff);
		tok->value = base + p;
		tok->len = len;
		p = align4(p + len);
		if (p > size)
			return DTB_ERR_PROP_TRUNCATED;
		break;
	}
	case FDT_END_NODE:
	case FDT_NOP:
	case FDT_END:
		break;
	default:
		return DTB_ERR_BAD_TOKEN;
	}
	*pos = p;
	return DTB_OK;
}

/* Record the node that begins at `start` in the index, `depth` levels below the root.
 * open[d] is the index of the node open at depth d, last[d] that of the last node seen so far
 * at depth d under the current open[d - 1] (0: none yet; the root is nobody's sibling).
 * Past DTB_INDEX_NODES nodes only the count goes on, and dtb_open() drops the index. */
static void index_node(struct dtb *dtb, uint32_t start, uint32_t depth, uint32_t count,
                       uint16_t *open, uint16_t *last)
{
	struct dtb_index_node *n;

	if (count >= DTB_INDEX_NODES)
		return;
	n = &dtb->nodes[count];
	n->node = start;
	n->parent = depth == 0 ? 0 : open[depth - 1];
	n->next = 0;
	if (last[depth] != 0)
		dtb->nodes[last[depth]].next = (uint16_t)count;
	last[depth] = (uint16_t)count;
	open[depth] = (uint16_t)count;
	/* Its children start a new sibling chain. */
	if (depth + 1 < DTB_MAX_DEPTH)
		last[depth + 1] = 0;
}

/* Walk the whole structure block once, checking the token grammar: NOPs anywhere, exactly
 * one top-level node, properties only inside nodes, balanced nesting no deeper than
 * DTB_MAX_DEPTH, and FDT_END at the top level. On success dtb->struct_size is trimmed to
 * end just after FDT_END, so no later walk can wander into whatever follows it, and the
 * node index is filled in (or dropped if the tree has too many nodes for it). */
static int check_structure(struct dtb *dtb)
{
	uint16_t open[DTB_MAX_DEPTH], last[DTB_MAX_DEPTH];
	uint32_t pos = 0, depth = 0, count = 0;
	bool root_seen = false;

	last[0] = 0;

	/* Terminates: every token advances pos by at least 4 within a bounded block. */
	for (;;) {
		uint32_t start = pos;
		struct token tok;
		int err = next_token(dtb, &pos, &tok);

		if (err != DTB_OK)
			return err;
		switch (tok.tag) {
		case FDT_BEGIN_NODE:
			if (depth == 0) {
				if (root_seen)
					return DTB_ERR_MULTIPLE_ROOTS;
				root_seen = true;
				dtb->root = start;
			}
			if (depth == DTB_MAX_DEPTH)
				return DTB_ERR_TOO_DEEP;
			index_node(dtb, start, depth, count, open, last);
			count++;
			depth++;
			break;
		case FDT_END_NODE:
			if (depth == 0)
				return DTB_ERR_UNBALANCED;
			depth--;
			break;
		case FDT_PROP:
			if (depth == 0)
				return DTB_ERR_PROP_OUTSIDE_NODE;
			break;
		case FDT_END:
			if (depth != 0)
				return DTB_ERR_UNBALANCED;
			if (!root_seen)
				return DTB_ERR_NO_ROOT;
			dtb->struct_size = pos;
			dtb->indexed = count <= DTB_INDEX_NODES ? count : 0;
			return DTB_OK;
		default: /* FDT_NOP */
			break;
		}
	}
}

/* Blocks must not share bytes: a structure block running into the strings it names, or a
 * reservation list running into either, is a sign of a mangled blob. */
static int check_overlaps(const struct dtb *dtb, uint32_t struct_extent)
{
	uint32_t rsv_size = (dtb->rsvmap_count + 1) * RSVMAP_ENTRY_SIZE;

	if (ranges_overlap(dtb->struct_off, struct_extent, dtb->strings_off, dtb->strings_size) ||
	    ranges_overlap(dtb->rsvmap_off, rsv_size, dtb->struct_off, struct_extent) ||
	    ranges_overlap(dtb->rsvmap_off, rsv_size, dtb->strings_off, dtb->strings_size))
		return DTB_ERR_BLOCK_OVERLAP;
	return DTB_OK;
}

/* Fields are set one by one (here and in dtb_open) rather than by struct assignment so that
 * the compiler has no reason to call memcpy/memset, which early boot code may lack. */
static void clear(struct dtb *d)
{
	d->blob = NULL;
	d->size = 0;
	d->struct_off = 0;
	d->struct_size = 0;
	d->strings_off = 0;
	d->strings_size = 0;
	d->strings_named = 0;
	d->rsvmap_off = 0;
	d->rsvmap_count = 0;
	d->root = 0;
	d->indexed = 0; /* nodes[] means nothing without it */
}

/* dtb_open() proper: fills *d as it goes; the caller clears it on failure. */
static int open_blob(struct dtb *d, const uint8_t *b, size_t max_size)
{
	uint32_t version, hdr_size, total, off, size;
	int err;

	/* Reading the whole v17 header up front keeps the field checks simple; no valid v16
	 * blob is smaller than that anyway (header, reservation terminator, root node). */
	if (max_size < HDR_SIZE_V17)
		return DTB_ERR_TRUNCATED;
	if (be32(b + HDR_MAGIC) != FDT_MAGIC)
		return DTB_ERR_BAD_MAGIC;
	version = be32(b + HDR_VERSION);
	if (version < DTB_MIN_VERSION || be32(b + HDR_LAST_COMP_VERSION) > DTB_MAX_COMP_VERSION)
		return DTB_ERR_VERSION;
	hdr_size = version >= 17 ? HDR_SIZE_V17 : HDR_SIZE_V16;
	total = be32(b + HDR_TOTALSIZE);
	if (total < hdr_size)
		return DTB_ERR_TOTALSIZE_TOO_SMALL;
	if (total > max_size || total > DTB_MAX_TOTALSIZE)
		return DTB_ERR_TOTALSIZE_TOO_BIG;
	d->blob = b;
	d->size = total;

	/* Memory reservation block: 8-byte aligned (spec 5.3), and its terminator must be
	 * inside the blob. */
	off = be32(b + HDR_OFF_MEM_RSVMAP);
	if (off < hdr_size || off > total)
		return DTB_ERR_RSVMAP_RANGE;
	if ((off & 7u) != 0)
		return DTB_ERR_MISALIGNED;
	d->rsvmap_off = off;
	for (;;) {
		if (total - off < RSVMAP_ENTRY_SIZE)
			return DTB_ERR_RSVMAP_UNTERMINATED;
		if (be64(b + off) == 0 && be64(b + off + 8) == 0)
			break;
		d->rsvmap_count++;
		off += RSVMAP_ENTRY_SIZE;
	}

	/* Structure block: 4-byte aligned (spec 5.4). Version 16 does not record its size, so
	 * the walk may use the rest of the blob and the real end is learned from FDT_END. */
	off = be32(b + HDR_OFF_DT_STRUCT);
	if (off < hdr_size || off > total)
		return DTB_ERR_STRUCT_RANGE;
	if ((off & 3u) != 0)
		return DTB_ERR_MISALIGNED;
	if (version >= 17) {
		size = be32(b + HDR_SIZE_DT_STRUCT);
		if (size > total - off)
			return DTB_ERR_STRUCT_RANGE;
		if ((size & 3u) != 0)
			return DTB_ERR_MISALIGNED;
	} else {
		size = (total - off) & ~3u;
	}
	d->struct_off = off;
	d->struct_size = size;

	/* Strings block: any alignment, any size (empty if there are no properties). */
	off = be32(b + HDR_OFF_DT_STRINGS);
	size = be32(b + HDR_SIZE_DT_STRINGS);
	if (off < hdr_size || off > total || size > total - off)
		return DTB_ERR_STRINGS_RANGE;
	d->strings_off = off;
	d->strings_size = size;
	/* Scanned backwards: in any real blob the last byte is already the NUL. */
	d->strings_named = size;
	while (d->strings_named > 0 && b[off + d->strings_named - 1] != 0)
		d->strings_named--;

	/* With a declared struct size the layout can be checked before the walk, so that a
	 * structure block overlapping the strings is reported as such rather than as whatever
	 * token error the overlap happens to produce. */
	if (version >= 17) {
		err = check_overlaps(d, d->struct_size);
		if (err != DTB_OK)
			return err;
	}
	err = check_structure(d);
	if (err != DTB_OK)
		return err;
	if (version < 17) {
		err = check_overlaps(d, d->struct_size);
		if (err != DTB_OK)
			return err;
	}
	return DTB_OK;
}

int dtb_open(struct dtb *dtb, const void *blob, size_t max_size)
{
	int err;

	if (dtb == NULL)
		return DTB_ERR_NULL;
	/* Cleared first so that a failed open leaves nothing a query could mistake for a tree. */
	clear(dtb);
	if (blob == NULL)
		return DTB_ERR_NULL;
	err = open_blob(dtb, blob, max_size);
	if (err != DTB_OK)
		clear(dtb);
	return err;
}

uint32_t dtb_total_size(const struct dtb *dtb)
{
	return dtb != NULL ? dtb->size : 0;
}

static bool is_open(const struct dtb *dtb)
{
	return dtb != NULL && dtb->blob != NULL;
}

/* Is `node` the offset of an FDT_BEGIN_NODE token of this tree? Only a walk from the start
 * can tell a token boundary from look-alike bytes inside a property value; the trees are a
 * few KiB, so the cost is negligible next to the safety. */
static int check_node_range(const struct dtb *dtb, int node)
{
	if (!is_open(dtb))
		return DTB_ERR_NULL;
	if (node < 0 || (uint32_t)node >= dtb->struct_size || (node & 3) != 0)
		return DTB_ERR_BAD_NODE;
	return DTB_OK;
}

/* Position of `node` in the index (dtb->indexed != 0), or -1 if no node begins there: a
 * binary search, the entries being in document order and so sorted by offset. */
static int index_find(const struct dtb *dtb, uint32_t node)
{
	uint32_t lo = 0, hi = dtb->indexed;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (dtb->nodes[mid].node == node)
			return (int)mid;
		if (dtb->nodes[mid].node < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int check_node(const struct dtb *dtb, int node)
{
	uint32_t pos = 0;
	int err = check_node_range(dtb, node);

	if (err != DTB_OK)
		return err;
	/* The index lists exactly the offsets the walk below would accept. */
	if (dtb->indexed != 0)
		return index_find(dtb, (uint32_t)node) >= 0 ? DTB_OK : DTB_ERR_BAD_NODE;
	while (pos <= (uint32_t)node) {
		uint32_t start = pos;
		struct token tok;

		err = next_token(dtb, &pos, &tok);
		if (err != DTB_OK)
			return err;
		if (start == (uint32_t)node)
			return tok.tag == FDT_BEGIN_NODE ? DTB_OK : DTB_ERR_BAD_NODE;
		if (tok.tag == FDT_END)
			break;
	}
	return DTB_ERR_BAD_NODE;
}

/* Property `name` of a node known to be valid. Properties precede subnodes (spec 5.4.1),
 * so the search stops at the first child or at the node's end. */
static int find_prop(const struct dtb *dtb, uint32_t node, const char *name, struct token *tok)
{
	uint32_t pos = node;
	int err = next_token(dtb, &pos, tok);

	if (err != DTB_OK)
		return err;
	if (tok->tag != FDT_BEGIN_NODE)
		return DTB_ERR_BAD_NODE;
	for (;;) {
		err = next_token(dtb, &pos, tok);
		if (err != DTB_OK)
			return err;
		if (tok->tag == FDT_PROP && str_eq(tok->name, name))
			return DTB_OK;
		if (tok->tag != FDT_PROP && tok->tag != FDT_NOP)
			return DTB_ERR_NOT_FOUND;
	}
}

/* Does the string list v[0..len) hold `s`? An unterminated tail is not a string. */
static bool stringlist_contains(const uint8_t *v, uint32_t len, const char *s)
{
	size_t slen = str_len(s);
	uint32_t i = 0;

	while (i < len) {
		uint32_t n = find_nul(v + i, len - i);

		if (n == len - i)
			return false;
		if (n == slen && bytes_eq(v + i, s, n))
			return true;
		i += n + 1;
	}
	return false;
}

/* First string of a property value, if it is NUL-terminated inside the value. */
static const char *prop_string(const struct token *tok)
{
	if (find_nul(tok->value, tok->len) == tok->len)
		return NULL;
	return (const char *)tok->value;
}

/* The parent of `node` (the node open one level up when it begins), read from the index,
 * or without one in one walk from the start that also proves `node` is a node of this
 * tree: DTB_ERR_BAD_NODE if the walk does not meet a BEGIN_NODE exactly there. The open
 * nodes are kept on a stack of at most DTB_MAX_DEPTH offsets (dtb_open refused deeper
 * trees), so memory stays O(1) and there is no recursion. */
static int node_parent(const struct dtb *dtb, uint32_t node, uint32_t *parent)
{
	uint32_t open[DTB_MAX_DEPTH];
	uint32_t pos = 0, depth = 0;
	struct token tok;

	if (dtb->indexed != 0) {
		int i = index_find(dtb, node);

		if (i < 0)
			return DTB_ERR_BAD_NODE;
		if (i == 0)
			return DTB_ERR_NO_PARENT;
		*parent = dtb->nodes[dtb->nodes[i].parent].node;
		return DTB_OK;
	}
	while (pos <= node) {
		uint32_t start = pos;
		int err = next_token(dtb, &pos, &tok);

		if (err != DTB_OK)
			return err;
		if (start == node) {
			if (tok.tag != FDT_BEGIN_NODE)
				return DTB_ERR_BAD_NODE;
			if (depth == 0)
				return DTB_ERR_NO_PARENT;
			*parent = open[depth - 1];
			return DTB_OK;
		}
		if (tok.tag == FDT_BEGIN_NODE) {
			if (depth == DTB_MAX_DEPTH)
				return DTB_ERR_TOO_DEEP;
			open[depth++] = start;
		} else if (tok.tag == FDT_END_NODE) {
			if (depth == 0)
				return DTB_ERR_UNBALANCED;
			depth--;
		} else if (tok.tag == FDT_END) {
			break;
		}
	}
	return DTB_ERR_BAD_NODE;
}

/* A #address-cells / #size-cells value of `node`, or `dflt` if the property is absent. */
static int cells_prop(const struct dtb *dtb, uint32_t node, const char *name, uint32_t dflt,
                      uint32_t *out)
{
	struct token tok;
	int err = find_prop(dtb, node, name, &tok);

	if (err == DTB_ERR_NOT_FOUND) {
		*out = dflt;
		return DTB_OK;
	}
	if (err != DTB_OK)
		return err;
	if (tok.len != 4)
		return DTB_ERR_BAD_VALUE;
	*out = be32(tok.value);
	return DTB_OK;
}

static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < cells; i++)
		v = v << 32 | be32(p + 4 * i);
	return v;
}

/* Entry `index` of the "reg" of a valid node whose parent is `parent`. Defaults 2/1 come
 * from spec 2.3.5. Only what fits in 64 bits is supported, and a size-less reg (e.g. CPU
 * nodes) reads as size 0. */
static int reg_entry(const struct dtb *dtb, uint32_t node, uint32_t parent, unsigned index,
                     struct dtb_region *out)
{
	uint32_t ac, sc, entry;
	struct token tok;
	const uint8_t *p;
	uint64_t base, size;
	int err;

	err = cells_prop(dtb, parent, "#address-cells", 2, &ac);
	if (err != DTB_OK)
		return err;
	err = cells_prop(dtb, parent, "#size-cells", 1, &sc);
	if (err != DTB_OK)
		return err;
	if (ac < 1 || ac > 2 || sc > 2)
		return DTB_ERR_UNSUPPORTED_CELLS;
	err = find_prop(dtb, node, "reg", &tok);
	if (err != DTB_OK)
		return err;
	entry = 4 * (ac + sc);
	if (tok.len % entry != 0)
		return DTB_ERR_BAD_VALUE;
	if (index >= tok.len / entry)
		return DTB_ERR_INDEX_RANGE;
	/* index < len / entry, so the product stays below len. */
	p = tok.value + (uint32_t)index * entry;
	base = read_cells(p, ac);
	size = read_cells(p + 4 * ac, sc);
	/* A region ending exactly at 2^64 is fine; one that would wrap is not. */
	if (size != 0 && base + (size - 1) < base)
		return DTB_ERR_REGION_WRAPS;
	out->base = base;
	out->size = size;
	return DTB_OK;
}

/* Status check of a valid node (spec 2.3.4: absent means enabled). */
static bool node_enabled(const struct dtb *dtb, uint32_t node)
{
	struct token tok;
	const char *s;
	int err = find_prop(dtb, node, "status", &tok);

	if (err == DTB_ERR_NOT_FOUND)
		return true;
	if (err != DTB_OK)
		return false;
	s = prop_string(&tok);
	return s != NULL && (str_eq(s, "okay") || str_eq(s, "ok"));
}

enum name_match { MATCH_NONE, MATCH_EXACT, MATCH_UNIT };

/* Compare a node name (NUL-terminated in the blob) with path component comp[0..len), which
 * holds no NUL: a mismatch at the name's terminator stops the loop before it reads past. */
static enum name_match match_name(const char *name, const char *comp, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (name[i] != comp[i])
			return MATCH_NONE;
	if (name[len] == '\0')
		return MATCH_EXACT;
	return name[len] == '@' ? MATCH_UNIT : MATCH_NONE;
}

/* What a search of the children for a path component found: the exact match returns early,
 * so this is the one child matching by the name before its '@', or none, or several. */
static int unit_match(uint32_t found, uint32_t matches)
{
	if (matches == 1)
		return (int)found;
	return matches == 0 ? DTB_ERR_NOT_FOUND : DTB_ERR_AMBIGUOUS;
}

/* find_child() on the index: only the children are looked at (their sibling chain). */
static int find_child_indexed(const struct dtb *dtb, uint32_t parent, const char *comp, size_t len,
                              bool has_unit)
{
	uint32_t found = 0, matches = 0, c;
	int p = index_find(dtb, parent);

	if (p < 0)
		return DTB_ERR_BAD_NODE;
	c = (uint32_t)p + 1;
	if (c >= dtb->indexed || dtb->nodes[c].parent != (uint32_t)p)
		c = 0;
	for (; c != 0; c = dtb->nodes[c].next) {
		uint32_t pos = dtb->nodes[c].node;
		struct token tok;
		enum name_match m;
		int err = next_token(dtb, &pos, &tok);

		if (err != DTB_OK)
			return err;
		m = match_name(tok.name, comp, len);
		/* Sibling names are unique, so an exact match settles it. */
		if (m == MATCH_EXACT)
			return (int)dtb->nodes[c].node;
		if (m == MATCH_UNIT && !has_unit) {
			found = dtb->nodes[c].node;
			matches++;
		}
	}
	return unit_match(found, matches);
}

/* Child of a valid node matching path component comp[0..len); see dtb_find_path(). Without
 * the index, a walk passes the parent's whole subtree. */
static int find_child(const struct dtb *dtb, uint32_t parent, const char *comp, size_t len)
{
	uint32_t pos = parent, depth = 0, found = 0, matches = 0;
	bool has_unit = false;

	for (size_t i = 0; i < len; i++)
		if (comp[i] == '@')
			has_unit = true;
	if (dtb->indexed != 0)
		return find_child_indexed(dtb, parent, comp, len, has_unit);
	for (;;) {
		uint32_t start = pos;
		struct token tok;
		int err = next_token(dtb, &pos, &tok);

		if (err != DTB_OK)
			return err;
		if (tok.tag == FDT_BEGIN_NODE) {
			depth++;
			if (depth == 2) {
				enum name_match m = match_name(tok.name, comp, len);

				/* Sibling names are unique, so an exact match settles it. */
				if (m == MATCH_EXACT)
					return (int)start;
				if (m == MATCH_UNIT && !has_unit) {
					found = start;
					matches++;
				}
			}
		} else if (tok.tag == FDT_END_NODE) {
			if (depth <= 1)
				break;
			depth--;
		} else if (tok.tag == FDT_END) {
			break;
		}
	}
	return unit_match(found, matches);
}

int dtb_find_path(const struct dtb *dtb, const char *path)
{
	uint32_t node;

	if (!is_open(dtb) || path == NULL)
		return DTB_ERR_NULL;
	if (path[0] != '/')
		return DTB_ERR_BAD_PATH;
	node = dtb->root;
	for (;;) {
		size_t len = 0;
		int child;

		while (*path == '/')
			path++;
		if (*path == '\0')
			return (int)node;
		while (path[len] != '\0' && path[len] != '/')
			len++;
		child = find_child(dtb, node, path, len);
		if (child < 0)
			return child;
		node = (uint32_t)child;
		path += len;
	}
}

/* dtb_next_child() on the index: the children of node p are a chain of next links from
 * p + 1 (the node after p in document order is its first child, if p has any). When `after`
 * is one of them, which is how callers iterate, the answer is its link; otherwise the
 * chain is followed past `after`. The links only go forward, so the loop ends. */
static int index_next_child(const struct dtb *dtb, int parent, int after)
{
	int p = index_find(dtb, (uint32_t)parent);
	uint32_t c;

	if (p < 0)
		return DTB_ERR_BAD_NODE;
	c = (uint32_t)p + 1;
	if (c >= dtb->indexed || dtb->nodes[c].parent != (uint32_t)p)
		return DTB_ERR_NOT_FOUND;
	if (after >= 0) {
		int a = index_find(dtb, (uint32_t)after);

		if (a > 0 && dtb->nodes[a].parent == (uint32_t)p)
			c = dtb->nodes[a].next;
		else
			while (c != 0 && dtb->nodes[c].node <= (uint32_t)after)
				c = dtb->nodes[c].next;
	}
	return c != 0 ? (int)dtb->nodes[c].node : DTB_ERR_NOT_FOUND;
}

int dtb_next_child(const struct dtb *dtb, int parent, int after)
{
	uint32_t pos = 0, depth = 0, parent_depth = 0;
	bool in_parent = false;
	struct token tok;

	if (!is_open(dtb))
		return DTB_ERR_NULL;
	if (parent < 0)
		return DTB_ERR_BAD_NODE;
	if (dtb->indexed != 0)
		return index_next_child(dtb, parent, after);
	/* One walk: find `parent` (proving it is a node), then its children are the nodes
	 * that begin one level below it before it ends. Every token advances pos, and the
	 * block ends in FDT_END (dtb_open checked), so the walk ends. */
	for (;;) {
		uint32_t start = pos;
		int err = next_token(dtb, &pos, &tok);

		if (err != DTB_OK)
			return err;
		switch (tok.tag) {
		case FDT_BEGIN_NODE:
			if (in_parent && depth == parent_depth + 1 &&
			    (after < 0 || start > (uint32_t)after))
				return (int)start;
			if (!in_parent && start == (uint32_t)parent) {
				in_parent = true;
				parent_depth = depth;
			}
			if (depth == DTB_MAX_DEPTH)
				return DTB_ERR_TOO_DEEP;
			depth++;
			break;
		case FDT_END_NODE:
			if (depth == 0)
				return DTB_ERR_UNBALANCED;
			depth--;
			if (in_parent && depth == parent_depth)
				return DTB_ERR_NOT_FOUND;
			break;
		case FDT_END:
			return in_parent ? DTB_ERR_NOT_FOUND : DTB_ERR_BAD_NODE;
		default:
			break;
		}
	}
}

int dtb_find_compatible(const struct dtb *dtb, int start_after, const char *compatible)
{
	uint32_t pos = 0, node = 0;
	/* In the properties of `node` that precede its first subnode, its first "compatible"
	 * not yet seen. */
	bool in_props = false;
	struct token tok;
	int err;

	if (!is_open(dtb) || compatible == NULL)
		return DTB_ERR_NULL;
	if (start_after != -1) {
		/* The search starts past start_after's own BEGIN_NODE: its own properties are
		 * not looked at. */
		err = check_node(dtb, start_after);
		if (err != DTB_OK)
			return err;
		pos = (uint32_t)start_after;
		err = next_token(dtb, &pos, &tok);
		if (err != DTB_OK)
			return err;
	}
	/* One walk to the end, which looks at each node's properties as it passes them (what
	 * find_prop would find: the first "compatible" among the properties before the first
	 * subnode). */
	for (;;) {
		uint32_t start = pos;

		err = next_token(dtb, &pos, &tok);
		if (err != DTB_OK)
			return err;
		switch (tok.tag) {
		case FDT_END:
			return DTB_ERR_NOT_FOUND;
		case FDT_BEGIN_NODE:
			node = start;
			in_props = true;
			break;
		case FDT_PROP:
			if (in_props && str_eq(tok.name, "compatible")) {
				if (stringlist_contains(tok.value, tok.len, compatible))
					return (int)node;
				in_props = false;
			}
			break;
		case FDT_NOP:
			break;
		default: /* FDT_END_NODE */
			in_props = false;
			break;
		}
	}
}

const char *dtb_node_name(const struct dtb *dtb, int node)
{
	uint32_t pos;
	struct token tok;

	if (check_node(dtb, node) != DTB_OK)
		return NULL;
	pos = (uint32_t)node;
	if (next_token(dtb, &pos, &tok) != DTB_OK)
		return NULL;
	return tok.name;
}

int dtb_get_prop(const struct dtb *dtb, int node, const char *name, const void **value,
                 uint32_t *len)
{
	struct token tok;
	int err;

	if (name == NULL)
		return DTB_ERR_NULL;
	err = check_node(dtb, node);
	if (err != DTB_OK)
		return err;
	err = find_prop(dtb, (uint32_t)node, name, &tok);
	if (err != DTB_OK)
		return err;
	if (value != NULL)
		*value = tok.value;
	if (len != NULL)
		*len = tok.len;
	return DTB_OK;
}

int dtb_get_cell(const struct dtb *dtb, int node, const char *name, unsigned index, uint32_t *out)
{
	const void *value;
	uint32_t len;
	int err;

	if (out == NULL)
		return DTB_ERR_NULL;
	err = dtb_get_prop(dtb, node, name, &value, &len);
	if (err != DTB_OK)
		return err;
	if (len % 4 != 0)
		return DTB_ERR_BAD_VALUE;
	if (index >= len / 4)
		return DTB_ERR_INDEX_RANGE;
	*out = be32((const uint8_t *)value + 4 * (uint32_t)index);
	return DTB_OK;
}

int dtb_get_string(const struct dtb *dtb, int node, const char *name, const char **out)
{
	struct token tok;
	const void *value;
	int err;

	if (out == NULL)
		return DTB_ERR_NULL;
	err = dtb_get_prop(dtb, node, name, &value, &tok.len);
	if (err != DTB_OK)
		return err;
	tok.value = value;
	*out = prop_string(&tok);
	return *out != NULL ? DTB_OK : DTB_ERR_BAD_VALUE;
}

int dtb_string_index(const struct dtb *dtb, int node, const char *name, const char *want)
{
	const void *value;
	uint32_t len;
	if (want == NULL)
		return DTB_ERR_NULL;
	int err = dtb_get_prop(dtb, node, name, &value, &len);
	if (err != DTB_OK)
		return err;
	const uint8_t *s = value;
	/* Every string, the last included, ends inside the value: one look at its last byte. */
	if (len == 0 || s[len - 1] != '\0')
		return DTB_ERR_BAD_VALUE;
	for (uint32_t at = 0, index = 0; at < len; index++) {
		uint32_t n = find_nul(s + at, len - at);
		if (str_eq((const char *)s + at, want))
			return (int)index;
		at += n + 1;
	}
	return DTB_ERR_NOT_FOUND;
}

bool dtb_node_enabled(const struct dtb *dtb, int node)
{
	return check_node(dtb, node) == DTB_OK && node_enabled(dtb, (uint32_t)node);
}

int dtb_get_reg(const struct dtb *dtb, int node, unsigned index, struct dtb_region *out)
{
	uint32_t parent;
	int err;

	if (out == NULL)
		return DTB_ERR_NULL;
	err = check_node_range(dtb, node);
	if (err != DTB_OK)
		return err;
	/* Its walk makes the same checks as check_node's, which would be a second one. */
	err = node_parent(dtb, (uint32_t)node, &parent);
	if (err != DTB_OK)
		return err;
	return reg_entry(dtb, (uint32_t)node, parent, index, out);
}

/* Append a region; on overflow the array stays full and the caller learns it. */
static int push_region(struct dtb_region *out, unsigned max, unsigned *count,
                       const struct dtb_region *r)
{
	if (*count >= max)
		return DTB_ERR_NO_SPACE;
	out[*count] = *r;
	(*count)++;
	return DTB_OK;
}

/* Append every non-empty reg entry of a valid node. A node without reg adds nothing; a
 * malformed reg is an error, since silently dropping a reserved range could let the
 * kernel hand out memory that is in use. */
static int push_reg(const struct dtb *dtb, uint32_t node, uint32_t parent, struct dtb_region *out,
                    unsigned max, unsigned *count)
{
	for (unsigned i = 0;; i++) {
		struct dtb_region r;
		int err = reg_entry(dtb, node, parent, i, &r);

		if (err == DTB_ERR_INDEX_RANGE || err == DTB_ERR_NOT_FOUND)
			return DTB_OK;
		if (err != DTB_OK)
			return err;
		if (r.size == 0)
			continue;
		err = push_region(out, max, count, &r);
		if (err != DTB_OK)
			return err;
	}
}

static bool is_memory_node(const struct dtb *dtb, uint32_t node)
{
	struct token tok;
	const char *s;

	if (find_prop(dtb, node, "device_type", &tok) != DTB_OK)
		return false;
	s = prop_string(&tok);
	return s != NULL && str_eq(s, "memory");
}

int dtb_memory_regions(const struct dtb *dtb, struct dtb_region *out, unsigned max, unsigned *count)
{
	uint32_t open[DTB_MAX_DEPTH];
	uint32_t pos = 0, depth = 0;

	if (!is_open(dtb) || count == NULL || (out == NULL && max != 0))
		return DTB_ERR_NULL;
	*count = 0;
	for (;;) {
		uint32_t start = pos;
		struct token tok;
		int err = next_token(dtb, &pos, &tok);

		if (err != DTB_OK)
			return err;
		if (tok.tag == FDT_END)
			return DTB_OK;
		/* The walk keeps the open nodes, so a memory node's parent is at hand (what
		 * node_parent would find with a walk of its own). */
		if (tok.tag == FDT_END_NODE) {
			if (depth == 0)
				return DTB_ERR_UNBALANCED;
			depth--;
			continue;
		}
		if (tok.tag != FDT_BEGIN_NODE)
			continue;
		if (depth == DTB_MAX_DEPTH)
			return DTB_ERR_TOO_DEEP;
		open[depth++] = start;
		if (!is_memory_node(dtb, start) || !node_enabled(dtb, start))
			continue;
		if (depth == 1)
			return DTB_ERR_NO_PARENT;
		err = push_reg(dtb, start, open[depth - 2], out, max, count);
		if (err != DTB_OK)
			return err;
	}
}

int dtb_reserved_regions(const struct dtb *dtb, struct dtb_region *out, unsigned max,
                         unsigned *count)
{
	uint32_t pos, depth = 0;
	int rm;

	if (!is_open(dtb) || count == NULL || (out == NULL && max != 0))
		return DTB_ERR_NULL;
	*count = 0;
	for (uint32_t i = 0; i < dtb->rsvmap_count; i++) {
		uint32_t off = dtb->rsvmap_off + i * RSVMAP_ENTRY_SIZE;
		struct dtb_region r;
		int err;

		/* dtb_open() proved the entries lie inside the blob; re-checking is cheap. */
		if (off > dtb->size || dtb->size - off < RSVMAP_ENTRY_SIZE)
			return DTB_ERR_RSVMAP_UNTERMINATED;
		r.base = be64(dtb->blob + off);
		r.size = be64(dtb->blob + off + 8);
		if (r.size == 0)
			continue;
		if (r.base + (r.size - 1) < r.base)
			return DTB_ERR_REGION_WRAPS;
		err = push_region(out, max, count, &r);
		if (err != DTB_OK)
			return err;
	}

	rm = dtb_find_path(dtb, "/reserved-memory");
	if (rm == DTB_ERR_NOT_FOUND)
		return DTB_OK;
	if (rm < 0)
		return rm;
	pos = (uint32_t)rm;
	for (;;) {
		uint32_t start = pos;
		struct token tok;
		int err = next_token(dtb, &pos, &tok);

		if (err != DTB_OK)
			return err;
		if (tok.tag == FDT_BEGIN_NODE) {
			depth++;
			/* Only direct children describe regions (reserved-memory binding). */
			if (depth == 2 && node_enabled(dtb, start)) {
				err = push_reg(dtb, start, (uint32_t)rm, out, max, count);
				if (err != DTB_OK)
					return err;
			}
		} else if (tok.tag == FDT_END_NODE) {
			if (depth <= 1)
				return DTB_OK;
			depth--;
		} else if (tok.tag == FDT_END) {
			return DTB_OK;
		}
	}
}

const char *dtb_strerror(int err)
{
	switch (err) {
	case DTB_OK:
		return "success";
	case DTB_ERR_NULL:
		return "NULL blob or tree not opened";
	case DTB_ERR_TRUNCATED:
		return "buffer smaller than the header";
	case DTB_ERR_BAD_MAGIC:
		return "bad magic";
	case DTB_ERR_TOTALSIZE_TOO_BIG:
		return "totalsize larger than the buffer";
	case DTB_ERR_TOTALSIZE_TOO_SMALL:
		return "totalsize smaller than the header";
	case DTB_ERR_VERSION:
		return "unsupported version";
	case DTB_ERR_MISALIGNED:
		return "misaligned block offset or size";
	case DTB_ERR_RSVMAP_RANGE:
		return "memory reservation block out of range";
	case DTB_ERR_RSVMAP_UNTERMINATED:
		return "memory reservation block unterminated";
	case DTB_ERR_STRUCT_RANGE:
		return "structure block out of range";
	case DTB_ERR_STRINGS_RANGE:
		return "strings block out of range";
	case DTB_ERR_BLOCK_OVERLAP:
		return "blocks overlap";
	case DTB_ERR_BAD_NODE_NAME:
		return "unterminated node name";
	case DTB_ERR_PROP_TRUNCATED:
		return "property runs past the structure block";
	case DTB_ERR_BAD_NAME_OFFSET:
		return "property name offset out of range";
	case DTB_ERR_BAD_PROP_NAME:
		return "unterminated property name";
	case DTB_ERR_BAD_TOKEN:
		return "unknown token";
	case DTB_ERR_NO_END:
		return "structure block ends without FDT_END";
	case DTB_ERR_UNBALANCED:
		return "unbalanced nodes";
	case DTB_ERR_TOO_DEEP:
		return "nodes nested too deeply";
	case DTB_ERR_NO_ROOT:
		return "no root node";
	case DTB_ERR_MULTIPLE_ROOTS:
		return "more than one root node";
	case DTB_ERR_PROP_OUTSIDE_NODE:
		return "property outside any node";
	case DTB_ERR_NOT_FOUND:
		return "not found";
	case DTB_ERR_BAD_NODE:
		return "not a node offset";
	case DTB_ERR_BAD_PATH:
		return "path not absolute";
	case DTB_ERR_AMBIGUOUS:
		return "ambiguous path component";
	case DTB_ERR_BAD_VALUE:
		return "malformed property value";
	case DTB_ERR_INDEX_RANGE:
		return "index out of range";
	case DTB_ERR_UNSUPPORTED_CELLS:
		return "unsupported #address-cells or #size-cells";
	case DTB_ERR_NO_PARENT:
		return "root node has no parent";
	case DTB_ERR_REGION_WRAPS:
		return "region wraps the address space";
	case DTB_ERR_NO_SPACE:
		return "too many regions for the array";
	default:
		return "unknown error";
	}
}
