/* Address spaces: VSpace roots and the map/unmap operations shared by the boot installer
 * and the invocations. ASIDs: kernel/asid_pool.h. The descriptor formats live in arch/. */
#ifndef KERNEL_VSPACE_H
#define KERNEL_VSPACE_H

#include <kernel/arch.h>
#include <kernel/cap.h>

/* 48-bit VAs but the last 512 GiB: the root table's last entry holds the ASID (arch.h). */
#define USER_VA_LIMIT   ((uint64_t)ARCH_VSPACE_ASID_ENTRY << 39)
#define LARGE_PAGE_BITS 21

/* A Frame cap's `word`: bit 0 says device memory; bit 1 that the cap's mapping is in an
 * IOSpace (kernel/iospace.h: `asid` is then the IOSpace's key, `mapped_va` the I/O
 * address), not a VSpace. */
#define FRAME_WORD_DEVICE 1u
#define FRAME_WORD_IO     2u

/* Whether the VSpace cap's ASID is its own: it has been assigned one and its pool has not
 * gone since. Only then may it be mapped into, or a thread run in it. */
bool vspace_has_asid(const struct cap *vspace);

/* Shared checks and actions; return an M6 error. `perform` false: decode only. */
int vspace_install_table(paddr_t root, unsigned level, vaddr_t va, paddr_t table, bool perform);
int vspace_map_frame(paddr_t root, vaddr_t va, paddr_t frame, unsigned size_bits, unsigned rights,
                     bool device, bool perform);

/* The mapping part of a copy of a Frame or PageTable cap (copy, mint, IPC transfer): a
 * frame copy starts unmapped; a page table copy shares the mapping, and an unmapped page
 * table cannot be copied (M6_ERR_ILLEGAL_OPERATION), nor can a VSpace without an ASID.
 * Other caps: unchanged, M6_OK. */
int vspace_derive_cap(struct cap *copy);

/* Object finalisation: remove the mapping a cap records, if it is still in place; a page
 * table is emptied as well. */
void frame_unmap(struct cap *frame);
void page_table_unmap(struct cap *table);
void vspace_finalise(struct cap *vspace);

int page_table_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);
int frame_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);

#endif
