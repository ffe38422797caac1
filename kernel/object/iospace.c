/* IOSpace, IOPageTable and IOSpaceControl: a device's I/O address space, translated by
 * the SMMU at stage 1 (docs/kernel.md, "IOSpaces"; the driver is arch/aarch64/smmuv3.c).
 *
 * An IOSpace is 16 KiB retyped from untyped like any object. Page 0 holds its level-0
 * table (256 entries: 47-bit I/O addresses) and, in the other half of the page, its
 * context descriptor (what the stream table entry points at) and its state: the stream it
 * is bound to, the last fault, the notification its faults signal. Pages 1-3 are the
 * level-1..3 tables that lead to the MSI doorbell page, which every bound IOSpace maps at
 * its own physical address (identity), so a driver programs the ITS doorbell's physical
 * address into MSI-X as it would without an SMMU. The 2 MiB around the doorbell is the
 * kernel's: no frame is mapped there.
 *
 * Binding: only IOSpaceControl binds, a stream once, to one IOSpace, for the life of the
 * IOSpace; an IOSpace takes up to IOSPACE_MAX_STREAMS streams (a device's functions, or
 * the alias a PCIe-to-PCI bridge gives the devices behind it), all through its one CD.
 * Deleting its last cap unbinds them (they abort again) and invalidates everything the
 * SMMU cached for it before the memory can be reused. An IOSpace is used only bound, as a
 * VSpace only with its ASID: mapping into an unbound one is refused.
 *
 * Mapping records: a frame cap (one mapping per cap, as with VSpaces) or an IOPageTable
 * cap records the IOSpace's *key*: (bind generation << 16) | (stream ID + 1). Unmapping
 * finds the IOSpace from the stream table (kernel memory) and checks that its key is the
 * same, and that the entry still points at the frame or table, so a stale cap (its IOSpace
 * gone, the stream bound anew) never touches another IOSpace's entries. The SMMU ASID is
 * its first stream's ID + 1: a stream belongs to one IOSpace at most. */
#include <kernel/arch.h>
#include <kernel/cnode.h>
#include <kernel/delete.h>
#include <kernel/invocation.h>
#include <kernel/iospace.h>
#include <kernel/notification.h>
#include <kernel/smmu.h>
#include <kernel/string.h>
#include <kernel/vspace.h>
#include <m6/abi/errors.h>

#define L0_ENTRIES 256

struct fault_record {
	uint64_t count; /* since the last read */
	uint64_t iova;
	uint32_t type, flags, sid;
};

struct iospace {
	uint64_t l0[L0_ENTRIES];
	uint64_t cd[8]; /* context descriptor: 64-byte aligned, at offset 2048 */
	struct cte notification;
	uint32_t key; /* 0: never bound, or unbound */
	uint32_t stream_count;
	uint32_t sids[IOSPACE_MAX_STREAMS]; /* the first one's ID + 1 is the key's and ASID */
	struct fault_record fault;
};
_Static_assert(sizeof(struct iospace) <= PAGE_SIZE, "IOSpace state fits its first page");
_Static_assert(offsetof(struct iospace, cd) % 64 == 0, "CD alignment");

/* The MAIR the kernel runs with (head.S): index 1 device nGnRE, 2 normal write-back. */
#define CD_MAIR   0x44ff0400ull
#define CD_T0SZ   (64 - IOSPACE_VA_BITS)
#define CD_IR0_WB (1ull << 8)
#define CD_OR0_WB (1ull << 10)
#define CD_SH0_IS (3ull << 12)
#define CD_EPD1   BIT(30)
#define CD_VALID  BIT(31)
#define CD_IPS_48 (5ull << 32)
#define CD_AFFD   BIT(35)
#define CD_AA64   BIT(41)
#define CD_R      BIT(45) /* record faults in the event queue */
#define CD_A      BIT(46) /* abort (never stall) faulting transactions */
#define CD_ASET   BIT(47) /* not affected by the CPUs' broadcast TLB invalidation */

static struct cte control_notification; /* the bus component's: every event */
static struct fault_record control_fault;
static uint16_t bind_generation;

static paddr_t iospace_root(const struct iospace *io)
{
	return kernel_to_paddr((void *)io);
}

static uint16_t key_asid(uint32_t key)
{
	return (uint16_t)(key & 0xffff); /* stream ID + 1 */
}

/* The live IOSpace a mapping record names, or NULL. */
static struct iospace *iospace_from_key(uint32_t key)
{
	if (!key_asid(key))
		return NULL;
	paddr_t cd = smmu_stream_cd(key_asid(key) - 1u);
	if (!cd)
		return NULL;
	struct iospace *io =
	    (struct iospace *)((uintptr_t)paddr_to_kernel(cd) - offsetof(struct iospace, cd));
	return io->key == key ? io : NULL;
}

static bool iospace_bound(const struct iospace *io)
{
	return io->key && iospace_from_key(io->key) == io;
}

static bool overlaps_reserved(uint64_t iova, uint64_t size)
{
	paddr_t db = smmu_doorbell_page();
	if (!db)
		return false;
	uint64_t start = db & ~(uint64_t)MASK(IOSPACE_RESERVED_BITS);
	return iova < start + BIT(IOSPACE_RESERVED_BITS) && iova + size > start;
}

/* Resolve an IOSpace argument: a cap with the write right to a bound IOSpace. */
static int iospace_arg(struct tcb *caller, word_t cptr, struct iospace **out)
{
	int error;
	struct cte *s = lookup_typed_arg(caller, cptr, M6_OBJ_IOSPACE, &error);
	if (!s)
		return error;
	if (!cap_has_rights(&s->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	struct iospace *io = (struct iospace *)s->cap.object;
	if (!iospace_bound(io))
		return M6_ERR_INVALID_CAP; /* never bound, or the SMMU is gone */
	*out = io;
	return M6_OK;
}

/* The first fault since the last read is kept, later ones only counted: the first is the
 * cause (a device that DMAs to a wrong address usually faults on every word after). */
static void record_fault(struct fault_record *r, uint32_t sid, uint32_t type, uint64_t iova,
                         uint32_t flags)
{
	if (r->count) {
		if (r->count < UINT64_MAX)
			r->count++;
		return;
	}
	r->count = 1;
	r->sid = sid;
	r->type = type;
	r->iova = iova;
	r->flags = flags;
}

static void signal_slot(struct cte *slot)
{
	if (slot->cap.type == M6_OBJ_NOTIFICATION)
		notification_signal((struct notification *)slot->cap.object, slot->cap.word);
}

/* Whether the SMMU records this IOSpace's faults in the event queue (CD.R): cleared from
 * a recorded fault until its record is read (below). */
static bool recording(const struct iospace *io)
{
	return io->cd[0] & CD_R;
}

/* Its faulting transactions abort either way (CD.A); only the records and the interrupts
 * stop. */
static void set_recording(struct iospace *io, bool on)
{
	io->cd[0] = on ? io->cd[0] | CD_R : io->cd[0] & ~CD_R;
	arch_barrier_tables();
	/* false: the SMMU stopped answering and is off (smmu_fail), every DMA aborted. */
	(void)smmu_reload_cd(io->sids, io->stream_count);
}

/* A fault of a bound IOSpace: recorded for it and for IOSpaceControl, both signalled. Then
 * its device's further faults go unrecorded until the record is read (IOSPACE_READ_FAULT),
 * as a device interrupt line stays masked until ACK: a device that keeps DMAing where it
 * may not (a driver can make it) would otherwise keep the SMMU's event interrupt firing,
 * and the kernel decoding its records, for as long as it likes. So each read costs the
 * kernel at most the records already queued (one event queue, 128). */
void iospace_report_fault(uint32_t sid, uint32_t type, uint64_t iova, uint32_t flags)
{
	record_fault(&control_fault, sid, type, iova, flags);
	signal_slot(&control_notification);
	paddr_t cd = smmu_stream_cd(sid);
	if (!cd)
		return;
	struct iospace *io =
	    (struct iospace *)((uintptr_t)paddr_to_kernel(cd) - offsetof(struct iospace, cd));
	record_fault(&io->fault, sid, type, iova, flags);
	signal_slot(&io->notification);
	if (recording(io))
		set_recording(io, false);
}

static int read_fault(struct fault_record *r, struct tcb *caller)
{
	tcb_set_mr(caller, 0, r->count);
	tcb_set_mr(caller, 1, r->count ? r->sid : 0);
	tcb_set_mr(caller, 2, r->count ? r->type : 0);
	tcb_set_mr(caller, 3, r->count ? r->iova : 0);
	tcb_set_mr(caller, 4, r->count ? r->flags : 0);
	*r = (struct fault_record){0};
	return invocation_ok(caller, 5);
}

/* Build the kernel's part of a first binding: the tables to the doorbell page and the CD. */
static void iospace_prepare(struct iospace *io, uint32_t sid, uint32_t key)
{
	paddr_t root = iospace_root(io), db = smmu_doorbell_page();
	if (db) {
		for (unsigned level = 1; level <= 3; level++)
			arch_vspace_install_table(arch_vspace_lookup_table(root, db, level - 1),
			                          level - 1, db, root + (paddr_t)level * PAGE_SIZE);
		arch_vspace_map_leaf(arch_vspace_lookup_table(root, db, 3), 3, db, db,
		                     M6_RIGHT_READ | M6_RIGHT_WRITE, true);
	}
	io->cd[1] = root & 0x000ffffffffffff0ull; /* TTB0 */
	io->cd[2] = 0;
	io->cd[3] = CD_MAIR;
	io->cd[0] = CD_T0SZ | CD_IR0_WB | CD_OR0_WB | CD_SH0_IS | CD_EPD1 | CD_VALID | CD_IPS_48 |
	            CD_AFFD | CD_AA64 | CD_R | CD_A | CD_ASET | ((uint64_t)key_asid(key) << 48);
	io->key = key;
	io->sids[0] = sid;
	io->stream_count = 1;
	io->fault = (struct fault_record){0};
	arch_barrier_tables();
}

static int control_bind(struct tcb *caller, unsigned length)
{
	if (length < 2)
		return M6_ERR_INVALID_ARGUMENT;
	if (!smmu_stream_count())
		return M6_ERR_ILLEGAL_OPERATION; /* no SMMU (or it stopped answering) */
	int error;
	struct cte *s = lookup_typed_arg(caller, tcb_get_mr(caller, 0), M6_OBJ_IOSPACE, &error);
	if (!s)
		return error;
	if (!cap_has_rights(&s->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	word_t sid = tcb_get_mr(caller, 1);
	if (sid >= smmu_stream_count())
		return M6_ERR_RANGE;
	struct iospace *io = (struct iospace *)s->cap.object;
	if (smmu_stream_cd((uint32_t)sid))
		return M6_ERR_IN_USE; /* the stream has its IOSpace (this one, or another) */
	if (io->key) {
		/* Another stream of the same device (a function, an alias): same CD, same
		 * tables, same ASID. */
		if (!iospace_bound(io))
			return M6_ERR_INVALID_CAP; /* bound to an SMMU that stopped answering */
		if (io->stream_count == IOSPACE_MAX_STREAMS)
			return M6_ERR_NOT_ENOUGH_MEMORY;
		/* perform */
		if (!smmu_bind_stream((uint32_t)sid, kernel_to_paddr(io->cd)))
			return M6_ERR_ILLEGAL_OPERATION; /* the SMMU stopped answering: now off */
		io->sids[io->stream_count++] = (uint32_t)sid;
		return invocation_ok(caller, 0);
	}
	/* perform */
	bind_generation++;
	uint32_t key = ((uint32_t)bind_generation << 16) | (uint32_t)(sid + 1);
	iospace_prepare(io, (uint32_t)sid, key);
	if (!smmu_bind_stream((uint32_t)sid, kernel_to_paddr(io->cd))) {
		io->key = 0;
		return M6_ERR_ILLEGAL_OPERATION; /* the SMMU stopped answering: now off */
	}
	return invocation_ok(caller, 0);
}

int iospace_control_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	if (!cap_has_rights(&slot->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	switch (label) {
	case M6_IOSPACE_CONTROL_BIND:
		return control_bind(caller, length);
	case M6_IOSPACE_CONTROL_SET_NOTIFICATION:
		return notification_set_signal_slot(&control_notification, caller, length);
	case M6_IOSPACE_CONTROL_READ_FAULT:
		return read_fault(&control_fault, caller);
	case M6_IOSPACE_CONTROL_INFO:
		tcb_set_mr(caller, 0, smmu_stream_count());
		tcb_set_mr(caller, 1, smmu_stream_count() ? smmu_doorbell_page() : 0);
		return invocation_ok(caller, 2);
	default:
		return M6_ERR_ILLEGAL_OPERATION;
	}
}

int iospace_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	struct iospace *io = (struct iospace *)slot->cap.object;
	switch (label) {
	case M6_IOSPACE_SET_NOTIFICATION:
		if (!cap_has_rights(&slot->cap, M6_RIGHT_WRITE))
			return M6_ERR_INSUFFICIENT_RIGHTS;
		return notification_set_signal_slot(&io->notification, caller, length);
	case M6_IOSPACE_READ_FAULT:
		if (!cap_has_rights(&slot->cap, M6_RIGHT_READ))
			return M6_ERR_INSUFFICIENT_RIGHTS;
		if (iospace_bound(io) && !recording(io))
			set_recording(io, true); /* the fault was seen: record the next */
		return read_fault(&io->fault, caller);
	default:
		return M6_ERR_ILLEGAL_OPERATION;
	}
}

void iospace_finalise(struct cap *cap)
{
	struct iospace *io = (struct iospace *)cap->object;
	/* Its streams abort, and the SMMU forgets the CD and every translation of it, before
	 * this memory can be retyped (smmu_unbind_streams waits for CMD_SYNC). */
	if (iospace_bound(io)) {
		smmu_unbind_streams(io->sids, io->stream_count, key_asid(io->key));
		/* Its events still queued are its own: handled now, while its streams are bound
		 * to nothing (IOSpaceControl's record only), not after the bus has bound them
		 * anew, when they would be charged to the next IOSpace. */
		smmu_drain_events();
	}
	io->key = 0;
	cap_delete_nested(&io->notification);
}

void iospace_frame_unmap(struct cap *frame)
{
	struct iospace *io = iospace_from_key(frame->asid);
	unsigned level = frame->size_bits == LARGE_PAGE_BITS ? 2 : 3;
	paddr_t table =
	    io ? arch_vspace_lookup_table(iospace_root(io), frame->mapped_va, level) : 0;
	if (table && arch_vspace_entry_target(table, level, frame->mapped_va) ==
	                 kernel_to_paddr((void *)frame->object)) {
		arch_vspace_clear_entry(table, level, frame->mapped_va);
		/* Completed before the frame's memory can go anywhere else. */
		smmu_invalidate_page(key_asid(frame->asid), frame->mapped_va);
	}
	frame->asid = 0;
	frame->mapped_va = 0;
	frame->word &= ~(uint64_t)FRAME_WORD_IO;
}

int iospace_frame_map(struct cap *frame, struct tcb *caller, unsigned length)
{
	if (length < 3)
		return M6_ERR_INVALID_ARGUMENT;
	struct iospace *io;
	int error = iospace_arg(caller, tcb_get_mr(caller, 0), &io);
	if (error != M6_OK)
		return error;
	uint64_t iova = tcb_get_mr(caller, 1);
	word_t rights = tcb_get_mr(caller, 2);
	if (rights > M6_RIGHTS_ALL || (rights & ~(word_t)frame->rights))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	/* Stage 1 cannot take reading away, and devices do not execute. */
	if (!(rights & M6_RIGHT_READ) || (rights & ~(word_t)(M6_RIGHT_READ | M6_RIGHT_WRITE)))
		return M6_ERR_INVALID_ARGUMENT;
	if (frame->asid)
		return M6_ERR_DELETE_FIRST; /* this cap maps once: copy it for another mapping */
	uint64_t size = BIT(frame->size_bits);
	if (iova >= BIT(IOSPACE_VA_BITS) || size > BIT(IOSPACE_VA_BITS) - iova ||
	    overlaps_reserved(iova, size))
		return M6_ERR_RANGE;
	paddr_t pa = kernel_to_paddr((void *)frame->object);
	bool device = frame->word & FRAME_WORD_DEVICE;
	error = vspace_map_frame(iospace_root(io), iova, pa, frame->size_bits, (unsigned)rights,
	                         device, false);
	if (error != M6_OK)
		return error;
	/* perform: a new entry where there was none, so nothing cached to invalidate (the
	 * SMMU caches no translation faults). */
	vspace_map_frame(iospace_root(io), iova, pa, frame->size_bits, (unsigned)rights, device,
	                 true);
	frame->asid = io->key;
	frame->mapped_va = iova;
	frame->word |= FRAME_WORD_IO;
	return invocation_ok(caller, 0);
}

void io_page_table_unmap(struct cap *pt)
{
	if (!pt->asid)
		return;
	struct iospace *io = iospace_from_key(pt->asid);
	unsigned level = (unsigned)pt->word;
	paddr_t parent =
	    io ? arch_vspace_lookup_table(iospace_root(io), pt->mapped_va, level - 1) : 0;
	if (parent && arch_vspace_entry_target(parent, level - 1, pt->mapped_va) ==
	                  kernel_to_paddr((void *)pt->object)) {
		arch_vspace_clear_entry(parent, level - 1, pt->mapped_va);
		smmu_invalidate_asid(key_asid(pt->asid));
	}
	/* Its entries must not survive into its next mapping (vspace.c says why). */
	arch_zero_memory((void *)pt->object, BIT(PAGE_BITS));
	pt->asid = 0;
	pt->mapped_va = 0;
	pt->word = 0;
}

int io_page_table_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	struct cap *pt = &slot->cap;
	if (!cap_has_rights(pt, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	if (label == M6_IO_PAGE_TABLE_UNMAP) {
		if (pt->asid && !cdt_is_final(slot))
			return M6_ERR_REVOKE_FIRST; /* copies share the mapping */
		io_page_table_unmap(pt);
		return invocation_ok(caller, 0);
	}
	if (label != M6_IO_PAGE_TABLE_MAP)
		return M6_ERR_ILLEGAL_OPERATION;
	if (length < 3)
		return M6_ERR_INVALID_ARGUMENT;
	if (pt->asid)
		return M6_ERR_DELETE_FIRST;
	struct iospace *io;
	int error = iospace_arg(caller, tcb_get_mr(caller, 0), &io);
	if (error != M6_OK)
		return error;
	uint64_t iova = tcb_get_mr(caller, 1);
	word_t level = tcb_get_mr(caller, 2);
	if (level < 1 || level > 3 || iova >= BIT(IOSPACE_VA_BITS))
		return M6_ERR_RANGE;
	paddr_t table = kernel_to_paddr((void *)pt->object);
	error = vspace_install_table(iospace_root(io), (unsigned)level, iova, table, false);
	if (error != M6_OK)
		return error;
	/* perform */
	vspace_install_table(iospace_root(io), (unsigned)level, iova, table, true);
	pt->asid = io->key;
	pt->mapped_va = iova;
	pt->word = level;
	return invocation_ok(caller, 0);
}
