/* Untyped memory: retype into objects, and the kernel-held untyped caps covering free RAM
 * at boot. Objects are carved at the untyped's watermark, aligned to their own size; the
 * watermark only goes back when nothing derived from the untyped remains (revoke). */
#include <kernel/arch.h>
#include <kernel/cnode.h>
#include <kernel/delete.h>
#include <kernel/endpoint.h>
#include <kernel/invocation.h>
#include <kernel/notification.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/tcb.h>
#include <kernel/timer.h>
#include <kernel/retype.h>
#include <kernel/untyped.h>
#include <kernel/vspace.h>

#define RETYPE_MAX_COUNT 256

static uint64_t effective_watermark(const struct cte *slot)
{
	/* With nothing derived left, none of the memory is in use. */
	return cdt_has_children(slot) ? slot->cap.word : 0;
}

/* Where `count` objects of 2^bits bytes would start, or an error. */
static int fit(const struct cte *slot, unsigned bits, unsigned count, uint64_t *offset)
{
	return retype_fit(effective_watermark(slot), slot->cap.size_bits, bits, count, offset)
	           ? M6_OK
	           : M6_ERR_NOT_ENOUGH_MEMORY;
}

int untyped_decode_retype(const struct cte *slot, unsigned type, unsigned size_bits, unsigned count,
                          uint64_t *offset)
{
	const struct cap *ut = &slot->cap;
	if (ut->type != M6_OBJ_UNTYPED)
		return M6_ERR_INVALID_CAP;
	unsigned bits = object_size_bits(type, size_bits);
	if (bits == 0)
		return M6_ERR_INVALID_ARGUMENT;
	/* Device memory only ever becomes frames (MMIO) or smaller device untypeds. */
	if (ut->mapped_va && type != M6_OBJ_FRAME && type != M6_OBJ_UNTYPED)
		return M6_ERR_INVALID_ARGUMENT;
	if (type == M6_OBJ_VSPACE && asid_free_count() < count)
		return M6_ERR_NOT_ENOUGH_MEMORY;
	return fit(slot, bits, count, offset);
}

static void object_init(unsigned type, void *obj)
{
	if (type == M6_OBJ_TCB)
		tcb_register(obj);
}

void untyped_perform_retype(struct cte *slot, unsigned type, unsigned size_bits, uint64_t offset,
                            struct cap *out)
{
	struct cap *ut = &slot->cap;
	unsigned bits = object_size_bits(type, size_bits);
	bool device = ut->mapped_va != 0;
	uintptr_t obj = ut->object + offset;
	/* An untyped's contents are not objects yet: zeroing waits until they are. A frame's
	 * zeros must reach memory too, not only the cache: a device reading it by DMA, or its
	 * holder invalidating it, would otherwise see what the memory held before. */
	if (!device && type != M6_OBJ_UNTYPED) {
		arch_zero_memory((void *)obj, BIT(bits));
		if (type == M6_OBJ_FRAME)
			arch_cache_clean(obj, obj + BIT(bits));
	}
	object_init(type, (void *)obj);
	ut->word = offset + BIT(bits);

	memset(out, 0, sizeof(*out));
	out->type = (uint8_t)type;
	out->rights = M6_RIGHTS_ALL;
	out->object = obj;
	switch (type) {
	case M6_OBJ_CNODE:
		out->size_bits = (uint8_t)size_bits;
		out->guard_size = (uint8_t)(64 - size_bits);
		break;
	case M6_OBJ_UNTYPED:
		out->size_bits = (uint8_t)bits;
		out->mapped_va = device;
		break;
	case M6_OBJ_FRAME:
		out->size_bits = (uint8_t)bits;
		out->word = device;
		break;
	case M6_OBJ_VSPACE:
		out->asid = asid_assign(kernel_to_paddr((void *)obj));
		break;
	default:
		break;
	}
}

int untyped_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	int error;
	if (label != M6_UNTYPED_RETYPE)
		return M6_ERR_ILLEGAL_OPERATION;
	if (!cap_has_rights(&slot->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	/* The objects a pending deletion job still works on are out of the derivation tree:
	 * their memory must not be handed out again before the job is over. */
	if ((error = delete_job_finish()) != M6_OK)
		return error;
	if (length < 5)
		return M6_ERR_INVALID_ARGUMENT;
	word_t type = tcb_get_mr(caller, 0), size_bits = tcb_get_mr(caller, 1);
	word_t first = tcb_get_mr(caller, 3), count = tcb_get_mr(caller, 4);
	if (type >= M6_OBJ_COUNT || size_bits > 64)
		return M6_ERR_INVALID_ARGUMENT;
	if (count < 1 || count > RETYPE_MAX_COUNT)
		return M6_ERR_RANGE;
	struct cte *dest = lookup_typed_arg(caller, tcb_get_mr(caller, 2), M6_OBJ_CNODE, &error);
	if (!dest)
		return error;
	if (!cap_has_rights(&dest->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	if (first >= BIT(dest->cap.size_bits) || count > BIT(dest->cap.size_bits) - first)
		return M6_ERR_RANGE;
	struct cte *slots = cnode_slots(&dest->cap);
	for (word_t i = 0; i < count; i++) {
		if (!cap_is_null(&slots[first + i].cap))
			return M6_ERR_DELETE_FIRST;
	}
	uint64_t offset;
	error = untyped_decode_retype(slot, (unsigned)type, (unsigned)size_bits, (unsigned)count,
	                              &offset);
	if (error != M6_OK)
		return error;
	/* perform */
	if (!cdt_has_children(slot))
		slot->cap.word = 0;
	unsigned bits = object_size_bits((unsigned)type, (unsigned)size_bits);
	for (word_t i = 0; i < count; i++) {
		struct cap cap;
		untyped_perform_retype(slot, (unsigned)type, (unsigned)size_bits,
		                       offset + (i << bits), &cap);
		cdt_insert_child(slot, &slots[first + i], &cap);
	}
	return invocation_ok(caller, 0);
}

/* Kernel-held untyped caps covering all free RAM. They are the roots of the derivation
 * tree for everything the boot tables create; no component ever holds them. */
#define BOOT_UNTYPED_MAX 128
static struct cte boot_untyped[BOOT_UNTYPED_MAX];
static unsigned boot_untyped_count;

void untyped_add_boot_region(paddr_t base, paddr_t end)
{
	/* Split into naturally aligned power-of-two blocks, largest first, so that each
	 * untyped can hold objects up to its own size. */
	while (base < end && boot_untyped_count < BOOT_UNTYPED_MAX) {
		unsigned bits = base ? (unsigned)__builtin_ctzll(base) : UNTYPED_MAX_BITS;
		while (bits > UNTYPED_MAX_BITS || base + BIT(bits) > end)
			bits--;
		if (bits < PAGE_BITS)
			break;
		struct cap cap = {.type = M6_OBJ_UNTYPED,
		                  .rights = M6_RIGHTS_ALL,
		                  .size_bits = (uint8_t)bits,
		                  .object = (uintptr_t)paddr_to_kernel(base)};
		cdt_insert_root(&boot_untyped[boot_untyped_count++], &cap);
		base += BIT(bits);
	}
	if (base < end)
		printk("m6: warning: %lu bytes of RAM at %lx not usable (untyped table full)\n",
		       end - base, base);
}

int untyped_boot_retype(unsigned type, unsigned size_bits, struct cap *out, struct cte **parent)
{
	/* First fit in address order keeps boot deterministic and the memory report easy
	 * to read. Boot untypeds are never revoked, so their watermark only grows. */
	for (unsigned i = 0; i < boot_untyped_count; i++) {
		uint64_t offset;
		unsigned bits = object_size_bits(type, size_bits);
		if (bits == 0 || !retype_fit(boot_untyped[i].cap.word,
		                             boot_untyped[i].cap.size_bits, bits, 1, &offset))
			continue;
		untyped_perform_retype(&boot_untyped[i], type, size_bits, offset, out);
		*parent = &boot_untyped[i];
		return M6_OK;
	}
	return M6_ERR_NOT_ENOUGH_MEMORY;
}

struct cte *untyped_boot_parent(uintptr_t object)
{
	for (unsigned i = 0; i < boot_untyped_count; i++) {
		uintptr_t base = boot_untyped[i].cap.object;
		if (object >= base && object - base < BIT(boot_untyped[i].cap.size_bits))
			return &boot_untyped[i];
	}
	return NULL;
}

void untyped_usage(uint64_t *total, uint64_t *used, uint64_t *free)
{
	*total = *used = 0;
	for (unsigned i = 0; i < boot_untyped_count; i++) {
		*total += BIT(boot_untyped[i].cap.size_bits);
		*used += boot_untyped[i].cap.word;
	}
	*free = *total - *used;
}

void untyped_report(void)
{
	uint64_t total, used, free;
	untyped_usage(&total, &used, &free);
	printk("m6: memory: %lu KiB untyped, %lu KiB given to the system, %lu KiB unused\n",
	       total / 1024, used / 1024, (total - used) / 1024);
}
