/* Address spaces: VSpace roots, ASIDs, and the map/unmap operations shared by the boot
 * installer and the invocations. The descriptor formats live in arch/. */
#ifndef KERNEL_VSPACE_H
#define KERNEL_VSPACE_H

#include <kernel/cap.h>

#define ASID_MAX        4096
#define USER_VA_LIMIT   BIT(48)
#define LARGE_PAGE_BITS 21

/* Give the VSpace rooted at `root` an ASID; 0 when all are taken. */
uint32_t asid_assign(paddr_t root);
unsigned asid_free_count(void);
void asid_release(uint32_t asid);
paddr_t asid_root(uint32_t asid);

/* Shared checks and actions; return an M6 error. `perform` false: decode only. */
int vspace_install_table(paddr_t root, unsigned level, vaddr_t va, paddr_t table, bool perform);
int vspace_map_frame(paddr_t root, vaddr_t va, paddr_t frame, unsigned size_bits, unsigned rights,
                     bool device, bool perform);

/* The mapping part of a copy of a Frame or PageTable cap (copy, mint, IPC transfer): a
 * frame copy starts unmapped; a page table copy shares the mapping, and an unmapped page
 * table cannot be copied (M6_ERR_ILLEGAL_OPERATION). Other caps: unchanged, M6_OK. */
int vspace_derive_cap(struct cap *copy);

/* Object finalisation: remove the mapping a cap records, if it is still in place; a page
 * table is emptied as well. */
void frame_unmap(struct cap *frame);
void page_table_unmap(struct cap *table);
void vspace_finalise(struct cap *vspace);

int page_table_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);
int frame_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);

#endif
