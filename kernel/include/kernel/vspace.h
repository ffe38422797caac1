/* Address spaces: VSpace roots, ASIDs and the page-table walk shared by boot and
 * invocations. The descriptor formats live in arch/. */
#ifndef KERNEL_VSPACE_H
#define KERNEL_VSPACE_H

#include <kernel/cap.h>

#define ASID_MAX 4096

/* Give the VSpace rooted at `root` an ASID; 0 when all are taken. */
uint32_t asid_assign(paddr_t root);
uint32_t asid_of(paddr_t root);

/* Decode-and-perform helpers used by the boot installer; return an M6 error. */
int vspace_install_table(paddr_t root, unsigned level, vaddr_t va, paddr_t table);
int vspace_map_frame(paddr_t root, vaddr_t va, paddr_t frame, unsigned rights);

#endif
