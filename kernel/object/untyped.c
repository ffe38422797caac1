/* Untyped memory: retype arithmetic, and the kernel-held untyped caps covering free RAM at
 * boot. Objects are carved at the untyped's watermark, aligned to their own size. */
#include <kernel/cnode.h>
#include <kernel/endpoint.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/tcb.h>
#include <kernel/untyped.h>
#include <m6/abi/errors.h>

unsigned object_size_bits(unsigned type, unsigned size_bits)
{
	switch (type) {
	case M6_OBJ_UNTYPED:
		return (size_bits >= UNTYPED_MIN_BITS && size_bits <= UNTYPED_MAX_BITS) ? size_bits
		                                                                        : 0;
	case M6_OBJ_TCB:
		return TCB_SIZE_BITS;
	case M6_OBJ_ENDPOINT:
		return ENDPOINT_SIZE_BITS;
	case M6_OBJ_CNODE:
		return (size_bits >= 1 && size_bits <= 24) ? size_bits + CTE_SIZE_BITS : 0;
	case M6_OBJ_VSPACE:
	case M6_OBJ_PAGE_TABLE:
	case M6_OBJ_FRAME:
		return PAGE_BITS;
	default:
		return 0;
	}
}

int untyped_decode_retype(const struct cap *untyped, unsigned type, unsigned size_bits,
                          uint64_t *offset)
{
	if (untyped->type != M6_OBJ_UNTYPED)
		return M6_ERR_INVALID_CAP;
	unsigned bits = object_size_bits(type, size_bits);
	if (bits == 0)
		return M6_ERR_INVALID_ARGUMENT;
	if (bits > untyped->size_bits)
		return M6_ERR_NOT_ENOUGH_MEMORY;
	uint64_t start = ALIGN_UP(untyped->word, BIT(bits));
	if (start + BIT(bits) > BIT(untyped->size_bits))
		return M6_ERR_NOT_ENOUGH_MEMORY;
	*offset = start;
	return M6_OK;
}

static void object_init(unsigned type, void *obj)
{
	if (type == M6_OBJ_TCB) {
		struct tcb *t = obj;
		t->max_priority = 0;
	}
}

void untyped_perform_retype(struct cte *untyped_slot, unsigned type, unsigned size_bits,
                            uint64_t offset, struct cap *out)
{
	struct cap *ut = &untyped_slot->cap;
	unsigned bits = object_size_bits(type, size_bits);
	void *obj = (void *)(ut->object + offset);
	memset(obj, 0, BIT(bits));
	object_init(type, obj);
	ut->word = offset + BIT(bits);

	memset(out, 0, sizeof(*out));
	out->type = (uint8_t)type;
	out->rights = M6_RIGHTS_ALL;
	out->object = (uintptr_t)obj;
	if (type == M6_OBJ_CNODE) {
		out->size_bits = (uint8_t)size_bits;
	} else if (type == M6_OBJ_UNTYPED || type == M6_OBJ_FRAME) {
		out->size_bits = (uint8_t)bits;
	}
}

/* Kernel-held untyped caps covering all free RAM. They are the roots of the derivation
 * tree for everything the boot tables create; no component ever holds them unless the
 * spec grants an untyped pool carved from them. */
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
		if (bits < PAGE_BITS) {
			break;
		}
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
	/* Best fit would waste less; first fit in address order keeps boot deterministic
	 * and the layout easy to read in the memory report. */
	for (unsigned i = 0; i < boot_untyped_count; i++) {
		uint64_t offset;
		if (untyped_decode_retype(&boot_untyped[i].cap, type, size_bits, &offset) != M6_OK)
			continue;
		untyped_perform_retype(&boot_untyped[i], type, size_bits, offset, out);
		*parent = &boot_untyped[i];
		return M6_OK;
	}
	return M6_ERR_NOT_ENOUGH_MEMORY;
}

void untyped_report(void)
{
	uint64_t total = 0, used = 0;
	for (unsigned i = 0; i < boot_untyped_count; i++) {
		total += BIT(boot_untyped[i].cap.size_bits);
		used += boot_untyped[i].cap.word;
	}
	printk("m6: memory: %lu KiB untyped, %lu KiB given to the system, %lu KiB unused\n",
	       total / 1024, used / 1024, (total - used) / 1024);
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
