/* Untyped memory: retype into objects, and the kernel-held untyped caps covering free RAM
 * at boot. Objects are carved at the untyped's watermark, aligned to their own size; the
 * watermark only goes back when nothing derived from the untyped remains (revoke).
 *
 * Retype is preemptible. New objects' memory is zeroed and cleaned in chunks of
 * RETYPE_CHUNK bytes with a preemption point after each; the objects are created only once
 * all of it is done, by the same invocation restarted (kernel/preempt.h). Progress lives
 * in the untyped's cap as a *zeroed range* [start, end): memory past the watermark known
 * to be zero in memory (cleaned to the point of coherency) and to hold no object. A
 * restarted retype decodes again, finds the same place (the watermark has not moved) and
 * goes on from the range's end. The range is kept as explicit bounds rather than "zeroed
 * up to" next to the watermark because the watermark is reset elsewhere (revoke): memory
 * at or above the range's start was never part of an object since it was zeroed, whatever
 * happens to the watermark, so the range stays true without anyone resetting it. Creating
 * objects moves the range's start past them; a retype starting outside the range starts
 * a new one.
 *
 * Cost between two preemption points: a 64 KiB chunk is 1,024 blocks of one DC ZVA and one
 * DC CVAC in a 5-instruction loop (arch_zero_and_clean, counted in the disassembly), about
 * 5,200 instructions;
 * after the last chunk, creating up to 256 objects (an estimate, not measured: under 100
 * instructions each, plus an ASID search for a VSpace). */
#include <kernel/arch.h>
#include <kernel/cnode.h>
#include <kernel/delete.h>
#include <kernel/endpoint.h>
#include <kernel/invocation.h>
#include <kernel/notification.h>
#include <kernel/preempt.h>
#include <kernel/printk.h>
#include <kernel/tcb.h>
#include <kernel/timer.h>
#include <kernel/retype.h>
#include <kernel/untyped.h>
#include <kernel/vspace.h>

#define RETYPE_MAX_COUNT 256
#define RETYPE_CHUNK     (64u * 1024)

/* The zeroed range of a RAM untyped: start in `asid` in 16-byte units (every object and
 * untyped is at least 16-byte aligned, and a RAM untyped is at most 2^RAM_UNTYPED_MAX_BITS
 * bytes, so any offset fits 32 bits), end in `mapped_va` above bit 0, which still says
 * "device memory" (ranges are 16-byte aligned, so bit 0 is free). */
static bool untyped_is_device(const struct cap *ut)
{
	return (ut->mapped_va & 1) != 0;
}

static uint64_t zeroed_start(const struct cap *ut)
{
	return (uint64_t)ut->asid << UNTYPED_MIN_BITS;
}

static uint64_t zeroed_end(const struct cap *ut)
{
	return ut->mapped_va & ~1ull;
}

static void set_zeroed(struct cap *ut, uint64_t start, uint64_t end)
{
	KASSERT(start <= end && (start >> UNTYPED_MIN_BITS) <= UINT32_MAX && !(start & 15) &&
	        !(end & 1));
	ut->asid = (uint32_t)(start >> UNTYPED_MIN_BITS);
	ut->mapped_va = end | (ut->mapped_va & 1);
}

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
	/* Every run-time retype (UNTYPED_RETYPE, ASID_CONTROL_MAKE_POOL) comes through here.
	 * The objects a pending deletion job still works on are out of the derivation tree,
	 * so an untyped can look empty while they still sit in its memory: that memory must
	 * not be handed out again before the job is over. Finishing it is earlier work, not
	 * this invocation's effect, and may stop at a preemption point (KERNEL_RESTART). */
	int error = delete_job_finish();
	if (error != M6_OK)
		return error;
	unsigned bits = object_size_bits(type, size_bits);
	if (bits == 0)
		return M6_ERR_INVALID_ARGUMENT;
	/* Device memory only ever becomes frames (MMIO) or smaller device untypeds. */
	if (untyped_is_device(ut) && type != M6_OBJ_FRAME && type != M6_OBJ_UNTYPED)
		return M6_ERR_INVALID_ARGUMENT;
	return fit(slot, bits, count, offset);
}

static void object_init(unsigned type, void *obj)
{
	if (type == M6_OBJ_TCB)
		tcb_register(obj);
}

/* Zero [start, end) of new objects' memory and clean it to memory: the zeros must reach
 * memory, not only the cache (a device reading a frame by DMA, or its holder invalidating
 * it, would otherwise see what the memory held before). */
static void zero_and_clean(uintptr_t start, uintptr_t end)
{
	arch_zero_and_clean(start, end);
}

int untyped_prepare_retype(struct cte *slot, unsigned type, uint64_t offset, uint64_t end)
{
	struct cap *ut = &slot->cap;
	/* An untyped's contents are not objects yet (zeroing waits until they are), and
	 * device memory is never zeroed. */
	if (untyped_is_device(ut) || type == M6_OBJ_UNTYPED)
		return M6_OK;
	uint64_t zstart = zeroed_start(ut), zend = zeroed_end(ut);
	if (offset < zstart || offset > zend)
		zstart = zend = offset; /* not next to what is zeroed: start a new range here */
	/* The range is written only where this call may stop: once all of [offset, end) is
	 * zero the objects are created at once, and the range as it was (a part of what is
	 * zero now, or unrelated memory) is still true; untyped_perform_retype() moves it
	 * past the objects either way. A single chunk (a 4 KiB frame) writes nothing. */
	while (zend < end) {
		uint64_t step = (zend + RETYPE_CHUNK) & ~(uint64_t)(RETYPE_CHUNK - 1);
		if (step >= end) {
			zero_and_clean(ut->object + zend, ut->object + end);
			break;
		}
		zero_and_clean(ut->object + zend, ut->object + step);
		zend = step;
		set_zeroed(ut, zstart, zend);
		if (preemption_pending())
			return KERNEL_RESTART;
	}
	/* A frame may be mapped executable: no instruction the memory held before (someone
	 * else's code, revoked and retyped) may still be in an instruction cache. Done here,
	 * after the last chunk, even when the zeroing was all done by earlier calls. */
	if (type == M6_OBJ_FRAME)
		arch_icache_invalidate_all();
	return M6_OK;
}

void untyped_perform_retype(struct cte *slot, unsigned type, unsigned size_bits, uint64_t offset,
                            struct cap *out)
{
	struct cap *ut = &slot->cap;
	unsigned bits = object_size_bits(type, size_bits);
	bool device = untyped_is_device(ut);
	uintptr_t obj = ut->object + offset;
	object_init(type, (void *)obj);
	ut->word = offset + BIT(bits);
	/* The new object is no longer free memory: the zeroed range begins after it. */
	if (!device && zeroed_end(ut) > zeroed_start(ut) && zeroed_start(ut) < ut->word)
		set_zeroed(ut, ut->word < zeroed_end(ut) ? ut->word : zeroed_end(ut),
		           zeroed_end(ut));

	*out = (struct cap){0}; /* stores, not a call to memset() */
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
	case M6_OBJ_MSI_DEVICE:
		out->size_bits = (uint8_t)size_bits; /* event ID bits: the ITT's size */
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
	if (length < 5)
		return M6_ERR_INVALID_ARGUMENT;
	word_t type = tcb_get_mr(caller, 0), size_bits = tcb_get_mr(caller, 1);
	word_t first = tcb_get_mr(caller, 3), count = tcb_get_mr(caller, 4);
	if (type >= M6_OBJ_COUNT || size_bits > 64)
		return M6_ERR_INVALID_ARGUMENT;
	/* A pool holds ASIDs as well as memory: only ASIDControl hands those out. */
	if (type == M6_OBJ_ASID_POOL)
		return M6_ERR_INVALID_ARGUMENT;
	if (count < 1 || count > RETYPE_MAX_COUNT)
		return M6_ERR_RANGE;
	struct cte *slots = lookup_empty_slots(caller, tcb_get_mr(caller, 2), first, count, &error);
	if (!slots)
		return error;
	uint64_t offset;
	error = untyped_decode_retype(slot, (unsigned)type, (unsigned)size_bits, (unsigned)count,
	                              &offset);
	if (error != M6_OK)
		return error;
	/* perform: prepare the memory (may stop at a preemption point and be restarted:
	 * everything above is checked again then), then create the objects. */
	unsigned bits = object_size_bits((unsigned)type, (unsigned)size_bits);
	error = untyped_prepare_retype(slot, (unsigned)type, offset, offset + (count << bits));
	if (error != M6_OK)
		return error;
	for (word_t i = 0; i < count; i++) {
		struct cap cap;
		untyped_perform_retype(slot, (unsigned)type, (unsigned)size_bits,
		                       offset + (i << bits), &cap);
		cdt_insert_child(slot, &slots[i], &cap);
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
		unsigned bits = base ? (unsigned)__builtin_ctzll(base) : RAM_UNTYPED_MAX_BITS;
		while (bits > RAM_UNTYPED_MAX_BITS || base + BIT(bits) > end)
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
		/* Boot is not preemptible: nothing else runs yet. */
		untyped_prepare_retype(&boot_untyped[i], type, offset, offset + BIT(bits));
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
