/* Retype arithmetic: object sizes and where objects fit in an untyped. Pure logic,
 * unit-tested on the host. */
#include <kernel/asid_pool.h>
#include <kernel/endpoint.h>
#include <kernel/msi_device.h>
#include <kernel/notification.h>
#include <kernel/retype.h>
#include <kernel/tcb.h>
#include <kernel/timer.h>
#include <kernel/untyped.h>
#include <kernel/vspace.h>

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
	case M6_OBJ_NOTIFICATION:
		return NOTIFICATION_SIZE_BITS;
	case M6_OBJ_TIMER:
		return TIMER_SIZE_BITS;
	case M6_OBJ_CNODE:
		return (size_bits >= 1 && size_bits <= 24) ? size_bits + CTE_SIZE_BITS : 0;
	case M6_OBJ_VSPACE:
	case M6_OBJ_PAGE_TABLE:
		return PAGE_BITS;
	case M6_OBJ_FRAME:
		return (size_bits == PAGE_BITS || size_bits == LARGE_PAGE_BITS) ? size_bits : 0;
	case M6_OBJ_ASID_POOL:
		return asid_pool_size_bits(size_bits); /* size_bits: the number of ASIDs */
	case M6_OBJ_MSI_DEVICE:
		return msi_device_size_bits(size_bits); /* size_bits: event ID bits */
	default:
		return 0;
	}
}

bool retype_fit(uint64_t watermark, unsigned untyped_bits, unsigned bits, unsigned count,
                uint64_t *offset)
{
	if (bits > untyped_bits || bits >= 64)
		return false;
	uint64_t capacity = BIT(untyped_bits);
	uint64_t start = ALIGN_UP(watermark, BIT(bits));
	/* Compare in units of objects: start + count * size could overflow. */
	if (start < watermark || start > capacity || ((capacity - start) >> bits) < count)
		return false;
	*offset = start;
	return true;
}
