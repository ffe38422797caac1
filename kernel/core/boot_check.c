/* Boot table checks (see kernel/boot_check.h). */
#include <kernel/boot_check.h>
#include <m6/abi/message.h>
#include <m6/abi/objects.h>

#define PAGE_BITS_4K  12u
#define BLOCK_BITS_2M 21u
#define USER_VA_TOP   (1ull << 48)
#define FRAME_RIGHTS  (M6_RIGHT_READ | M6_RIGHT_WRITE | M6_RIGHT_EXECUTE)

static bool aligned(uint64_t x, unsigned bits)
{
	return (x & ((1ull << bits) - 1)) == 0;
}

static const struct m6_bt_object *get(const struct m6_boot_tables *bt, uint32_t index)
{
	return index < bt->object_count ? &bt->objects[index] : NULL;
}

const char *boot_check_object(const struct m6_boot_tables *bt, uint32_t index)
{
	const struct m6_bt_object *o = get(bt, index);
	if (!o)
		return "no such object";
	if (o->type == M6_OBJ_NULL || o->type >= M6_OBJ_COUNT)
		return "unknown object type";
	if (o->type == M6_OBJ_UNTYPED)
		return o->source == M6_BT_FRAME_ZERO || o->source == M6_BT_FRAME_DEVICE
		           ? NULL
		           : "an untyped is fresh memory or device memory";
	if (o->type == M6_OBJ_VSPACE) {
		/* Its source names the pool its ASID comes from, created before it (boot.c). */
		const struct m6_bt_object *pool = get(bt, o->source);
		return pool && pool->type == M6_OBJ_ASID_POOL && o->source < index
		           ? NULL
		           : "a VSpace's ASID pool must be an ASID pool declared before it";
	}
	if (o->type != M6_OBJ_FRAME)
		return o->source == 0 ? NULL : "only frames, untypeds and VSpaces have a source";
	if (o->size_bits != PAGE_BITS_4K && o->size_bits != BLOCK_BITS_2M)
		return "a frame is 4 KiB or 2 MiB";
	switch (o->source) {
	case M6_BT_FRAME_ZERO:
		return NULL;
	case M6_BT_FRAME_COPY:
	case M6_BT_FRAME_IN_PLACE:
		if (o->source_page >= bt->image_pages)
			return "image page out of range";
		/* One image page each: a larger frame would take in (or, mapped, expose) the
		 * pages after it, which belong to other components or to the kernel. */
		if (o->size_bits != PAGE_BITS_4K)
			return "a frame made from the boot image is one 4 KiB page";
		return NULL;
	case M6_BT_FRAME_DEVICE:
		return aligned(o->paddr, o->size_bits) ? NULL
		                                       : "device frame not aligned to its size";
	default:
		return "unknown frame source";
	}
}

const char *boot_check_mapping(const struct m6_boot_tables *bt, uint32_t index)
{
	if (index >= bt->mapping_count)
		return "no such mapping";
	const struct m6_bt_mapping *m = &bt->mappings[index];
	const struct m6_bt_object *vs = get(bt, m->vspace), *o = get(bt, m->object);
	if (!vs || vs->type != M6_OBJ_VSPACE)
		return "not mapped into a VSpace";
	if (!o)
		return "no such object";
	if (m->vaddr >= USER_VA_TOP)
		return "address outside user space";
	if (o->type == M6_OBJ_PAGE_TABLE)
		return m->level >= 1 && m->level <= 3 ? NULL : "page table level not 1..3";
	if (o->type != M6_OBJ_FRAME)
		return "only page tables and frames are mapped";
	/* Checked here too, not only by boot_check_object(): this check must hold on its own,
	 * and the size is a shift count below. */
	if (o->size_bits != PAGE_BITS_4K && o->size_bits != BLOCK_BITS_2M)
		return "a frame is 4 KiB or 2 MiB";
	/* A frame is mapped at exactly its own size: a 4 KiB page at level 3, a 2 MiB block
	 * at level 2. */
	if (m->level != (o->size_bits == BLOCK_BITS_2M ? 2u : 3u))
		return "frame mapped at a level other than its size's";
	if (!aligned(m->vaddr, o->size_bits))
		return "frame mapped at an address not aligned to its size";
	if (!(m->rights & M6_RIGHT_READ) || (m->rights & ~(uint32_t)FRAME_RIGHTS))
		return "frame rights not read plus write or execute";
	if ((m->rights & M6_RIGHT_WRITE) && (m->rights & M6_RIGHT_EXECUTE))
		return "frame mapped writable and executable";
	if (o->source == M6_BT_FRAME_IN_PLACE && (m->rights & M6_RIGHT_WRITE))
		return "in-place image page mapped writable (only copies may be written)";
	if (o->source == M6_BT_FRAME_DEVICE && (m->rights & M6_RIGHT_EXECUTE))
		return "device memory mapped executable";
	return NULL;
}

const char *boot_check_cap(const struct m6_boot_tables *bt, uint32_t index)
{
	if (index >= bt->cap_count)
		return "no such cap";
	const struct m6_bt_cap *c = &bt->caps[index];
	if (c->rights & ~(uint32_t)M6_RIGHTS_ALL)
		return "unknown rights";
	if (c->type != M6_OBJ_FRAME)
		return NULL;
	const struct m6_bt_object *o = get(bt, c->object);
	if (!o || o->type != M6_OBJ_FRAME)
		return "frame cap to something else";
	/* With the write right its holder could map the page writable later. */
	if (o->source == M6_BT_FRAME_IN_PLACE && (c->rights & M6_RIGHT_WRITE))
		return "write right to an in-place image page";
	if ((c->rights & M6_RIGHT_EXECUTE) && o->source == M6_BT_FRAME_DEVICE)
		return "execute right to device memory";
	return NULL;
}

const char *boot_check_thread(const struct m6_boot_tables *bt, uint32_t index)
{
	if (index >= bt->thread_count)
		return "no such thread";
	const struct m6_bt_thread *th = &bt->threads[index];
	const struct m6_bt_object *ipc = get(bt, th->ipc_buffer_frame);
	/* The kernel writes message registers there through its own mapping: an in-place
	 * page is read-only kernel data, a device frame is not memory, and a 2 MiB block is
	 * not what the thread's x0 describes. */
	if (!ipc || ipc->type != M6_OBJ_FRAME)
		return "IPC buffer is not a frame";
	if (ipc->size_bits != PAGE_BITS_4K)
		return "IPC buffer is not one 4 KiB page";
	if (ipc->source != M6_BT_FRAME_ZERO && ipc->source != M6_BT_FRAME_COPY)
		return "IPC buffer is not fresh memory (in-place image page or device)";
	if (!aligned(th->ipc_buffer_vaddr, PAGE_BITS_4K) || th->ipc_buffer_vaddr >= USER_VA_TOP)
		return "IPC buffer address not a user page";
	if (!aligned(th->stack_pointer, 4) || th->stack_pointer > USER_VA_TOP ||
	    th->entry >= USER_VA_TOP)
		return "entry or stack pointer outside user space, or sp not 16-byte aligned";
	return NULL;
}
