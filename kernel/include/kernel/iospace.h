/* IOSpace, IOPageTable and IOSpaceControl (object/iospace.c): a device's I/O address
 * space, translated by the SMMU at stage 1 (docs/kernel.md, "IOSpaces"). */
#ifndef KERNEL_IOSPACE_H
#define KERNEL_IOSPACE_H

#include <kernel/cap.h>
#include <kernel/tcb.h>
#include <kernel/vspace.h>

/* An IOSpace is four pages: its level-0 table and context (page 0), and the level-1,
 * level-2 and level-3 tables that lead to the MSI doorbell page (pages 1-3). */
#define IOSPACE_SIZE_BITS 14
/* I/O addresses are 47 bits: the level-0 table has 256 entries (T0SZ 17), and the other
 * half of its page holds the context descriptor and the IOSpace's own state. */
#define IOSPACE_VA_BITS 47
/* Streams one IOSpace can serve: bounded, so that deleting it is a bounded step. */
#define IOSPACE_MAX_STREAMS 8
/* The 2 MiB the kernel's level-3 table covers, around the doorbell: no frame goes there. */
#define IOSPACE_RESERVED_BITS 21

void iospace_frame_unmap(struct cap *frame);
void io_page_table_unmap(struct cap *table);
void iospace_finalise(struct cap *iospace);
/* The SMMU reported an event for `sid` (event type, address, M6_IO_FAULT_* flags). */
void iospace_report_fault(uint32_t sid, uint32_t type, uint64_t iova, uint32_t flags);

int iospace_frame_map(struct cap *frame, struct tcb *caller, unsigned length);
int iospace_control_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);
int iospace_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);
int io_page_table_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length);

#endif
