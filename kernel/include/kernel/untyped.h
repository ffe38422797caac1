/* Untyped memory: the only source of kernel objects. */
#ifndef KERNEL_UNTYPED_H
#define KERNEL_UNTYPED_H

#include <kernel/cap.h>

#define UNTYPED_MIN_BITS 4
#define UNTYPED_MAX_BITS 47
/* RAM untypeds are at most 64 GiB (boot splits larger RAM), so the zeroed range a retype
 * keeps in the cap fits (object/untyped.c). Device untypeds may be larger. */
#define RAM_UNTYPED_MAX_BITS 36

/* Size in bits of one object of `type` (size_bits is the user parameter: CNode radix,
 * Untyped size, Frame page size). Returns 0 for types that cannot be retyped or a bad
 * parameter. */
unsigned object_size_bits(unsigned type, unsigned size_bits);

/* Decode a retype of `count` objects from the untyped in `slot`: 0 or an M6 error. On
 * success *offset is where in the untyped the first object goes. Its only effect is to
 * finish a pending deletion job first (kernel/delete.h), which may return KERNEL_RESTART. */
int untyped_decode_retype(const struct cte *slot, unsigned type, unsigned size_bits, unsigned count,
                          uint64_t *offset);
/* Perform, part one: zero and clean the memory of objects [offset, end) of the untyped,
 * in chunks, with a preemption point after each (M6_OK or KERNEL_RESTART; progress is
 * kept in the untyped's cap, see untyped.c). */
int untyped_prepare_retype(struct cte *slot, unsigned type, uint64_t offset, uint64_t end);
/* Part two, once prepared: advance the watermark and build the new object's cap. */
void untyped_perform_retype(struct cte *slot, unsigned type, unsigned size_bits, uint64_t offset,
                            struct cap *out);

/* Boot: turn a free physical range into untyped caps (kernel-held, in boot_untyped[]). */
void untyped_add_boot_region(paddr_t base, paddr_t end);
/* Boot: retype one object from the first kernel-held untyped with room for it. */
int untyped_boot_retype(unsigned type, unsigned size_bits, struct cap *out, struct cte **parent);
/* Boot: the kernel-held untyped an object was carved from (its derivation parent). */
struct cte *untyped_boot_parent(uintptr_t object);
void untyped_report(void);
/* Kernel-held untyped: total bytes, bytes used by the boot tables, bytes left. */
void untyped_usage(uint64_t *total, uint64_t *used, uint64_t *free);

#endif
