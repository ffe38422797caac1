/* The SMMUv3 driver (arch/aarch64/smmuv3.c): stream table, command queue and event queue,
 * all in memory retyped from the kernel-held untyped at boot. The IOSpace objects
 * (object/iospace.c) are its only users. Everything here works on stage 1 only (QEMU 7.2
 * offers nothing else): an IOSpace is a context descriptor and stage-1 tables. */
#ifndef KERNEL_SMMU_H
#define KERNEL_SMMU_H

#include <kernel/dtb.h>
#include <kernel/types.h>

/* Boot, before kmap_init(): find the DTB's enabled "arm,smmu-v3" node, check its
 * registers and interrupts (the kernel maps them next), and the ITS doorbell page. */
void smmu_probe(const struct dtb *dtb, bool (*overlaps_ram)(paddr_t base, uint64_t size));
/* The register window to map (size 0: no SMMU). */
void smmu_mmio(paddr_t *base, uint64_t *size);
/* Boot, after the GIC and untyped are up: take the tables' memory and enable the SMMU
 * (unbound streams abort). Without an SMMU, or one that does not answer, it stays off and
 * smmu_stream_count() is 0. */
void smmu_init(void);

/* Stream IDs the stream table covers (0: no SMMU in use). */
uint32_t smmu_stream_count(void);
/* The physical (= I/O) address of the MSI doorbell page every IOSpace maps, 0 if none. */
paddr_t smmu_doorbell_page(void);

/* Stream table entries. A stream is bound when its STE translates through a context
 * descriptor; smmu_stream_cd() returns that descriptor's physical address (0 if not). */
paddr_t smmu_stream_cd(uint32_t sid);
/* Make `sid` translate through the CD at `cd` (64-byte aligned), then make the SMMU
 * forget what it cached about the stream. false: the SMMU did not answer. */
bool smmu_bind_stream(uint32_t sid, paddr_t cd);
/* Make the streams abort again, then invalidate their configuration and every translation
 * tagged with `asid`, and wait until the SMMU has done so. */
bool smmu_unbind_streams(const uint32_t *sids, unsigned count, uint16_t asid);
/* The CD the streams translate through was changed (one of its fields, in place): make the
 * SMMU read it again (CFGI_CD per stream, then CMD_SYNC). false: the SMMU did not answer. */
bool smmu_reload_cd(const uint32_t *sids, unsigned count);

/* TLB maintenance, each completed (CMD_SYNC) before it returns: once these return, no
 * translation of the old entry is left in the SMMU. false: the SMMU did not answer (it
 * has then been turned off, all DMA aborted). */
bool smmu_invalidate_page(uint16_t asid, uint64_t iova);
bool smmu_invalidate_asid(uint16_t asid);

/* Interrupts the SMMU uses (event queue, global errors): the kernel's own lines, never
 * issued to user space. */
bool smmu_owns_irq(unsigned irq);
void smmu_handle_irq(unsigned irq);
/* Handle the events queued so far (at most one queue's worth), as the interrupt would. */
void smmu_drain_events(void);

#endif
