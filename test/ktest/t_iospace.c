/* IOSpaces (SMMUv3): binding to stream IDs, IOPageTables, frames mapped for DMA, fault
 * records and notifications, and every refusal. The suite boots with iommu=smmuv3 (no PCIe
 * device: a stream is just a number here); test/dma makes a real device DMA through one.
 * Every IOSpace a test binds is deleted with the test's objects, which unbinds its stream,
 * so each test can use the same stream IDs again (iospace_delete_unbinds checks it). */
#include "ktest.h"

#define ROOT   M6_CAP_SELF_CNODE
#define RW     (M6_RIGHT_READ | M6_RIGHT_WRITE)
#define STREAM 0x0108 /* 01:01.0: nothing there, which is fine for the invocations */

/* QEMU virt: the ITS at 0x08080000, its GITS_TRANSLATER page 64 KiB above. */
#define DOORBELL 0x08090000ull
/* The stream table covers 2^12 stream IDs (arch/aarch64/smmuv3.c). */
#define STREAMS 4096u
/* 1 GiB up: the level-1 table the kernel installs for the doorbell has no entry there. */
#define IOVA 0x40000000ull

static uint64_t call_label(m6_cptr_t cap, uint64_t label)
{
	struct m6_msg m = {.info = m6_msginfo(label, 0)};
	return m6_call(cap, &m);
}

static m6_cptr_t new_bound(uint64_t stream)
{
	m6_cptr_t io = kt_new(M6_OBJ_IOSPACE, 0);
	if (!io || !CHECK_OK(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, io, stream)))
		return 0;
	return io;
}

/* A bound IOSpace with level-2 and level-3 tables for [IOVA, IOVA + 2 MiB). */
static m6_cptr_t new_mapped_space(uint64_t stream)
{
	m6_cptr_t io = new_bound(stream);
	m6_cptr_t l2 = kt_new(M6_OBJ_IO_PAGE_TABLE, 0), l3 = kt_new(M6_OBJ_IO_PAGE_TABLE, 0);
	if (!io || !l2 || !l3 || !CHECK_OK(m6_io_page_table_map(l2, io, IOVA, 2)) ||
	    !CHECK_OK(m6_io_page_table_map(l3, io, IOVA, 3)))
		return 0;
	return io;
}

TEST(iospace_control_info)
{
	uint64_t streams = 0, doorbell = 0;
	REQUIRE_OK(m6_iospace_control_info(CAP_IOSPACE_CONTROL, &streams, &doorbell));
	CHECK_EQ(streams, STREAMS);
	CHECK_EQ(doorbell, DOORBELL);
	m6_cptr_t ro = kt_copy(CAP_IOSPACE_CONTROL, M6_RIGHT_READ);
	REQUIRE(ro);
	CHECK_ERR(m6_iospace_control_info(ro, NULL, NULL), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(call_label(CAP_IOSPACE_CONTROL, KT_BAD_LABEL), M6_ERR_ILLEGAL_OPERATION);
}

TEST(iospace_control_bind)
{
	m6_cptr_t io = kt_new(M6_OBJ_IOSPACE, 0), other = kt_new(M6_OBJ_IOSPACE, 0);
	REQUIRE(io && other);
	CHECK_OK(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, io, STREAM));
	/* A stream once: to this IOSpace or to another. */
	CHECK_ERR(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, io, STREAM), M6_ERR_IN_USE);
	CHECK_ERR(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, other, STREAM), M6_ERR_IN_USE);
	/* Another stream of the same device (a function, a bridge's alias). */
	CHECK_OK(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, io, STREAM + 1));
	CHECK_ERR(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, other, STREAM + 1), M6_ERR_IN_USE);
	CHECK_OK(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, other, STREAM + 2));
}

/* Up to 8 streams an IOSpace, all freed with it. */
TEST(iospace_control_bind_streams_limit)
{
	m6_cptr_t io = new_bound(0x300);
	REQUIRE(io);
	for (uint64_t s = 0x301; s < 0x308; s++)
		CHECK_OK(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, io, s));
	CHECK_ERR(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, io, 0x308),
	          M6_ERR_NOT_ENOUGH_MEMORY);
	m6_cptr_t other = kt_new(M6_OBJ_IOSPACE, 0);
	REQUIRE(other);
	CHECK_ERR(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, other, 0x307), M6_ERR_IN_USE);
	REQUIRE_OK(m6_cnode_delete(ROOT, io, 64));
	for (uint64_t s = 0x300; s < 0x308; s++)
		CHECK_OK(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, other, s));
}

TEST(iospace_control_bind_refused)
{
	m6_cptr_t io = kt_new(M6_OBJ_IOSPACE, 0), ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(io && ep);
	CHECK_ERR(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, io, STREAMS), M6_ERR_RANGE);
	CHECK_ERR(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, io, ~0ull), M6_ERR_RANGE);
	CHECK_ERR(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, ep, STREAM), M6_ERR_INVALID_CAP);
	m6_cptr_t io_ro = kt_copy(io, M6_RIGHT_READ);
	m6_cptr_t ctl_ro = kt_copy(CAP_IOSPACE_CONTROL, M6_RIGHT_READ);
	REQUIRE(io_ro && ctl_ro);
	CHECK_ERR(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, io_ro, STREAM),
	          M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_iospace_control_bind(ctl_ro, io, STREAM), M6_ERR_INSUFFICIENT_RIGHTS);
	/* Only IOSpaceControl binds: not the IOSpace itself, nor another singleton. */
	CHECK_ERR(m6_iospace_control_bind(io, io, STREAM), M6_ERR_ILLEGAL_OPERATION);
	CHECK_FAILS(m6_iospace_control_bind(CAP_IRQ_CONTROL, io, STREAM));
	/* Nothing above bound it. */
	CHECK_OK(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, io, STREAM));
}

TEST(iospace_delete_unbinds)
{
	m6_cptr_t a = new_bound(STREAM);
	REQUIRE(a);
	m6_cptr_t copy = kt_copy(a, M6_RIGHTS_ALL);
	REQUIRE(copy);
	m6_cptr_t b = kt_new(M6_OBJ_IOSPACE, 0);
	REQUIRE(b);
	REQUIRE_OK(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, a, STREAM + 8));
	/* A copy going leaves the binding; the last cap going ends it, for every stream. */
	REQUIRE_OK(m6_cnode_delete(ROOT, copy, 64));
	CHECK_ERR(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, b, STREAM), M6_ERR_IN_USE);
	REQUIRE_OK(m6_cnode_delete(ROOT, a, 64));
	CHECK_OK(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, b, STREAM));
	CHECK_OK(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, b, STREAM + 8));
}

TEST(iospace_unbound_refuses_mappings)
{
	m6_cptr_t io = kt_new(M6_OBJ_IOSPACE, 0), pt = kt_new(M6_OBJ_IO_PAGE_TABLE, 0);
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(io && pt && f);
	CHECK_ERR(m6_io_page_table_map(pt, io, IOVA, 2), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_frame_map_io(f, io, IOVA, RW), M6_ERR_INVALID_CAP);
	/* And a VSpace is no IOSpace. */
	m6_cptr_t vs = kt_new_vspace();
	REQUIRE(vs);
	CHECK_ERR(m6_frame_map_io(f, vs, IOVA, RW), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_io_page_table_map(pt, vs, IOVA, 2), M6_ERR_INVALID_CAP);
}

TEST(io_page_table_map)
{
	m6_cptr_t io = new_bound(STREAM);
	REQUIRE(io);
	m6_cptr_t l1 = kt_new(M6_OBJ_IO_PAGE_TABLE, 0), l2 = kt_new(M6_OBJ_IO_PAGE_TABLE, 0);
	m6_cptr_t l3 = kt_new(M6_OBJ_IO_PAGE_TABLE, 0);
	REQUIRE(l1 && l2 && l3);
	/* 512 GiB up: a level-1 table of our own, then 2 and 3 below it. */
	uint64_t base = 1ull << 39;
	CHECK_OK(m6_io_page_table_map(l1, io, base, 1));
	CHECK_OK(m6_io_page_table_map(l2, io, base, 2));
	CHECK_OK(m6_io_page_table_map(l3, io, base + (2ull << 20), 3));
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(f);
	CHECK_OK(m6_frame_map_io(f, io, base + (2ull << 20) + 0x5000, RW));
	/* Copies share the mapping; unmapping needs the last cap, and empties the table. */
	m6_cptr_t copy = kt_copy(l3, M6_RIGHTS_ALL);
	REQUIRE(copy);
	CHECK_ERR(m6_io_page_table_unmap(l3), M6_ERR_REVOKE_FIRST);
	REQUIRE_OK(m6_cnode_delete(ROOT, copy, 64));
	CHECK_OK(m6_io_page_table_unmap(l3));
	CHECK_ERR(m6_frame_map_io(kt_copy(f, M6_RIGHTS_ALL), io, base + (2ull << 20), RW),
	          M6_ERR_FAILED_LOOKUP);
	/* Mapped again elsewhere, it is empty: the frame's old entry did not come along. */
	CHECK_OK(m6_io_page_table_map(l3, io, base, 3));
	CHECK_OK(m6_frame_map_io(kt_copy(f, M6_RIGHTS_ALL), io, base + 0x5000, RW));
	CHECK_OK(m6_frame_unmap(f)); /* its table went: the cap only forgets */
}

TEST(io_page_table_map_refused)
{
	m6_cptr_t io = new_bound(STREAM);
	REQUIRE(io);
	m6_cptr_t pt = kt_new(M6_OBJ_IO_PAGE_TABLE, 0), pt2 = kt_new(M6_OBJ_IO_PAGE_TABLE, 0);
	REQUIRE(pt && pt2);
	CHECK_ERR(m6_io_page_table_map(pt, io, IOVA, 0), M6_ERR_RANGE);
	CHECK_ERR(m6_io_page_table_map(pt, io, IOVA, 4), M6_ERR_RANGE);
	CHECK_ERR(m6_io_page_table_map(pt, io, 1ull << 47, 1), M6_ERR_RANGE);
	CHECK_ERR(m6_io_page_table_map(pt, io, IOVA + 0x1000, 2), M6_ERR_ALIGNMENT);
	/* No level-2 table above: nothing to hang a level-3 table from. */
	CHECK_ERR(m6_io_page_table_map(pt, io, IOVA, 3), M6_ERR_FAILED_LOOKUP);
	/* The kernel's tables to the doorbell are there already. */
	CHECK_ERR(m6_io_page_table_map(pt, io, 0, 1), M6_ERR_DELETE_FIRST);
	CHECK_ERR(m6_io_page_table_map(pt, io, 0, 2), M6_ERR_DELETE_FIRST);
	CHECK_ERR(m6_io_page_table_map(pt, io, DOORBELL & ~0x1fffffull, 3), M6_ERR_DELETE_FIRST);
	CHECK_OK(m6_io_page_table_map(pt, io, IOVA, 2));
	CHECK_ERR(m6_io_page_table_map(pt, io, IOVA + (1ull << 30), 2), M6_ERR_DELETE_FIRST);
	CHECK_ERR(m6_io_page_table_map(pt2, io, IOVA, 2), M6_ERR_DELETE_FIRST);
	/* An unmapped table has one cap: a copy could map it a second time. */
	CHECK_ERR(m6_cnode_copy(ROOT, kt_slot(), 64, ROOT, pt2, 64, M6_RIGHTS_ALL),
	          M6_ERR_ILLEGAL_OPERATION);
	m6_cptr_t ro = kt_copy(pt, M6_RIGHT_READ);
	REQUIRE(ro);
	CHECK_ERR(m6_io_page_table_unmap(ro), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_io_page_table_map(ro, io, IOVA, 2), M6_ERR_INSUFFICIENT_RIGHTS);
	m6_cptr_t io_ro = kt_copy(io, M6_RIGHT_READ);
	REQUIRE(io_ro);
	CHECK_ERR(m6_io_page_table_map(pt2, io_ro, 2ull << 30, 2), M6_ERR_INSUFFICIENT_RIGHTS);
	/* A VSpace's page table is not an IOSpace's, nor the other way round. */
	m6_cptr_t vpt = kt_new(M6_OBJ_PAGE_TABLE, 0);
	REQUIRE(vpt);
	CHECK_ERR(m6_io_page_table_map(vpt, io, 2ull << 30, 2), M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(m6_page_table_map(pt2, M6_CAP_SELF_VSPACE, 2ull << 30, 2),
	          M6_ERR_ILLEGAL_OPERATION);
}

TEST(frame_map_io)
{
	m6_cptr_t io = new_mapped_space(STREAM);
	REQUIRE(io);
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(f);
	CHECK_OK(m6_frame_map_io(f, io, IOVA, RW));
	/* One mapping per cap, of either kind; a copy makes another. */
	CHECK_ERR(m6_frame_map_io(f, io, IOVA + 0x1000, RW), M6_ERR_DELETE_FIRST);
	uint64_t va = kt_region();
	REQUIRE(va);
	CHECK_ERR(m6_frame_map(f, M6_CAP_SELF_VSPACE, va, RW), M6_ERR_DELETE_FIRST);
	m6_cptr_t copy = kt_copy(f, M6_RIGHTS_ALL);
	REQUIRE(copy);
	CHECK_ERR(m6_frame_map_io(copy, io, IOVA, RW), M6_ERR_DELETE_FIRST); /* taken */
	CHECK_OK(m6_frame_map_io(copy, io, IOVA + 0x1000, M6_RIGHT_READ));
	m6_cptr_t cpu = kt_copy(f, M6_RIGHTS_ALL);
	REQUIRE(cpu);
	CHECK_OK(m6_frame_map(cpu, M6_CAP_SELF_VSPACE, va, RW));
	CHECK_ERR(m6_frame_map_io(cpu, io, IOVA + 0x2000, RW), M6_ERR_DELETE_FIRST);
	/* Unmapped, the place is free again; a frame unmapped twice is no error. */
	CHECK_OK(m6_frame_unmap(f));
	CHECK_OK(m6_frame_unmap(f));
	CHECK_OK(m6_frame_map_io(f, io, IOVA, RW));
	/* A 2 MiB frame at level 2. */
	m6_cptr_t big = kt_new(M6_OBJ_FRAME, 21);
	REQUIRE(big);
	CHECK_OK(m6_frame_map_io(big, io, 3ull << 30 >> 1, RW)); /* 1.5 GiB: in the same L1 */
}

TEST(frame_map_io_refused)
{
	m6_cptr_t io = new_mapped_space(STREAM);
	REQUIRE(io);
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12), big = kt_new(M6_OBJ_FRAME, 21);
	REQUIRE(f && big);
	CHECK_ERR(m6_frame_map_io(f, io, IOVA + 0x800, RW), M6_ERR_ALIGNMENT);
	CHECK_ERR(m6_frame_map_io(big, io, IOVA + 0x1000, RW), M6_ERR_ALIGNMENT);
	CHECK_ERR(m6_frame_map_io(f, io, 1ull << 47, RW), M6_ERR_RANGE);
	CHECK_ERR(m6_frame_map_io(f, io, ~0xfffull, RW), M6_ERR_RANGE);
	/* The doorbell and the 2 MiB around it are the kernel's. */
	CHECK_ERR(m6_frame_map_io(f, io, DOORBELL, RW), M6_ERR_RANGE);
	CHECK_ERR(m6_frame_map_io(f, io, DOORBELL + 0x1000, RW), M6_ERR_RANGE);
	CHECK_ERR(m6_frame_map_io(big, io, DOORBELL & ~0x1fffffull, RW), M6_ERR_RANGE);
	/* No table there. */
	CHECK_ERR(m6_frame_map_io(f, io, 2ull << 30, RW), M6_ERR_FAILED_LOOKUP);
	CHECK_ERR(m6_frame_map_io(f, io, 1ull << 39, RW), M6_ERR_FAILED_LOOKUP);
	/* Rights: read always, write optional, nothing else; never more than the cap. */
	CHECK_ERR(m6_frame_map_io(f, io, IOVA, M6_RIGHT_WRITE), M6_ERR_INVALID_ARGUMENT);
	CHECK_ERR(m6_frame_map_io(f, io, IOVA, M6_RIGHT_READ | M6_RIGHT_EXECUTE),
	          M6_ERR_INVALID_ARGUMENT);
	CHECK_ERR(m6_frame_map_io(f, io, IOVA, 0), M6_ERR_INVALID_ARGUMENT);
	CHECK_ERR(m6_frame_map_io(f, io, IOVA, 1ull << 40), M6_ERR_INSUFFICIENT_RIGHTS);
	m6_cptr_t ro = kt_copy(f, M6_RIGHT_READ);
	REQUIRE(ro);
	CHECK_ERR(m6_frame_map_io(ro, io, IOVA, RW), M6_ERR_INSUFFICIENT_RIGHTS);
	m6_cptr_t io_ro = kt_copy(io, M6_RIGHT_READ);
	REQUIRE(io_ro);
	CHECK_ERR(m6_frame_map_io(f, io_ro, IOVA, RW), M6_ERR_INSUFFICIENT_RIGHTS);
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	CHECK_ERR(m6_frame_map_io(f, ep, IOVA, RW), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_frame_map_io(io, io, IOVA, RW), M6_ERR_ILLEGAL_OPERATION);
	/* Nothing above mapped anything: the read-only cap maps read-only. */
	CHECK_OK(m6_frame_map_io(ro, io, IOVA, M6_RIGHT_READ));
	CHECK_ERR(m6_frame_map_io(f, io, IOVA, RW), M6_ERR_DELETE_FIRST);
}

/* A copy of a mapped frame cap starts unmapped, and unmapping it leaves the original. */
TEST(frame_map_io_copy_starts_unmapped)
{
	m6_cptr_t io = new_mapped_space(STREAM);
	REQUIRE(io);
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(f);
	REQUIRE_OK(m6_frame_map_io(f, io, IOVA, RW));
	m6_cptr_t copy = kt_copy(f, M6_RIGHTS_ALL);
	REQUIRE(copy);
	CHECK_OK(m6_frame_unmap(copy));
	/* The original's entry is still there: the place is taken. */
	m6_cptr_t other = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(other);
	CHECK_ERR(m6_frame_map_io(other, io, IOVA, RW), M6_ERR_DELETE_FIRST);
	REQUIRE_OK(m6_cnode_delete(ROOT, f, 64)); /* deleting the cap unmaps */
	CHECK_OK(m6_frame_map_io(other, io, IOVA, RW));
	/* And a copy, mapped anywhere, can go to a VSpace. */
	uint64_t va = kt_region();
	REQUIRE(va);
	CHECK_OK(m6_frame_map(copy, M6_CAP_SELF_VSPACE, va, RW));
}

/* A stale mapping record: the IOSpace went and its stream was bound anew. Unmapping the
 * old cap must not touch the new IOSpace's entry for the same frame and address. */
TEST(frame_map_io_stale_cap)
{
	m6_cptr_t a = new_mapped_space(STREAM);
	REQUIRE(a);
	m6_cptr_t f = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(f);
	REQUIRE_OK(m6_frame_map_io(f, a, IOVA, RW));
	REQUIRE_OK(m6_cnode_delete(ROOT, a, 64));
	m6_cptr_t b = new_mapped_space(STREAM);
	REQUIRE(b);
	m6_cptr_t g = kt_copy(f, M6_RIGHTS_ALL);
	REQUIRE(g);
	REQUIRE_OK(m6_frame_map_io(g, b, IOVA, RW));
	CHECK_OK(m6_frame_unmap(f));
	/* g's entry is still in place. */
	m6_cptr_t other = kt_new(M6_OBJ_FRAME, 12);
	REQUIRE(other);
	CHECK_ERR(m6_frame_map_io(other, b, IOVA, RW), M6_ERR_DELETE_FIRST);
}

TEST(iospace_set_notification)
{
	m6_cptr_t io = new_bound(STREAM);
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(io && n);
	m6_cptr_t nb = kt_mint(n, M6_RIGHTS_ALL, 4);
	REQUIRE(nb);
	CHECK_OK(m6_iospace_set_notification(io, nb));
	CHECK_OK(m6_iospace_set_notification(io, 0));
	/* A notification of badge 0 would set no bit; an endpoint is no notification. */
	CHECK_ERR(m6_iospace_set_notification(io, n), M6_ERR_INVALID_CAP);
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	CHECK_ERR(m6_iospace_set_notification(io, ep), M6_ERR_INVALID_CAP);
	m6_cptr_t io_ro = kt_copy(io, M6_RIGHT_READ);
	REQUIRE(io_ro);
	CHECK_ERR(m6_iospace_set_notification(io_ro, nb), M6_ERR_INSUFFICIENT_RIGHTS);
	/* Its own copy goes with the IOSpace: deleting the notification first is fine too. */
	CHECK_OK(m6_iospace_set_notification(io, nb));
	REQUIRE_OK(m6_cnode_delete(ROOT, nb, 64));
	REQUIRE_OK(m6_cnode_delete(ROOT, io, 64));
}

TEST(iospace_read_fault)
{
	m6_cptr_t io = new_bound(STREAM);
	REQUIRE(io);
	struct m6_io_fault_info f = {.count = 99};
	/* No device behind the stream: nothing recorded. test/dma makes real faults. */
	CHECK_OK(m6_iospace_read_fault(io, &f));
	CHECK_EQ(f.count, 0);
	CHECK_EQ(f.iova, 0);
	m6_cptr_t wo = kt_copy(io, M6_RIGHT_WRITE);
	REQUIRE(wo);
	CHECK_ERR(m6_iospace_read_fault(wo, &f), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(call_label(io, KT_BAD_LABEL), M6_ERR_ILLEGAL_OPERATION);
}

TEST(iospace_control_notification_and_fault)
{
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	m6_cptr_t nb = kt_mint(n, M6_RIGHTS_ALL, 1);
	REQUIRE(nb);
	CHECK_OK(m6_iospace_control_set_notification(CAP_IOSPACE_CONTROL, nb));
	CHECK_ERR(m6_iospace_control_set_notification(CAP_IOSPACE_CONTROL, n), M6_ERR_INVALID_CAP);
	m6_cptr_t ro = kt_copy(CAP_IOSPACE_CONTROL, M6_RIGHT_READ);
	REQUIRE(ro);
	CHECK_ERR(m6_iospace_control_set_notification(ro, nb), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_iospace_control_read_fault(ro, NULL), M6_ERR_INSUFFICIENT_RIGHTS);
	struct m6_io_fault_info f = {.count = 99};
	CHECK_OK(m6_iospace_control_read_fault(CAP_IOSPACE_CONTROL, &f));
	CHECK_EQ(f.count, 0); /* no device on this machine's PCIe bus DMAs */
	CHECK_OK(m6_iospace_control_set_notification(CAP_IOSPACE_CONTROL, 0));
}

/* The SMMU's interrupts are the kernel's: no handler for them. */
TEST(iospace_smmu_irqs_not_issued)
{
	m6_cptr_t s = kt_slot();
	REQUIRE(s);
	for (uint64_t irq = 106; irq <= 109; irq += 3) /* eventq (SPI 74), gerror (SPI 77) */
		CHECK_ERR(m6_irq_control_get(CAP_IRQ_CONTROL, irq, 1, ROOT, s), M6_ERR_RANGE);
	CHECK_OK(m6_irq_control_get(CAP_IRQ_CONTROL, 107, 1, ROOT, s)); /* priq: unused */
}

/* Revoking the untyped under a bound IOSpace with tables and frames in it takes all of it
 * apart (unmap, unbind) and gives every byte back. */
TEST(iospace_revoked_with_its_untyped)
{
	m6_cptr_t ut = kt_new(M6_OBJ_UNTYPED, 20);
	REQUIRE(ut);
	m6_cptr_t first = kt_slot();
	for (unsigned i = 1; i < 5; i++)
		REQUIRE(kt_slot() == first + i);
	REQUIRE_OK(m6_untyped_retype(ut, M6_OBJ_IOSPACE, 0, ROOT, first, 1));
	REQUIRE_OK(m6_untyped_retype(ut, M6_OBJ_IO_PAGE_TABLE, 0, ROOT, first + 1, 2));
	REQUIRE_OK(m6_untyped_retype(ut, M6_OBJ_FRAME, 12, ROOT, first + 3, 2));
	REQUIRE_OK(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, first, STREAM));
	REQUIRE_OK(m6_io_page_table_map(first + 1, first, IOVA, 2));
	REQUIRE_OK(m6_io_page_table_map(first + 2, first, IOVA, 3));
	REQUIRE_OK(m6_frame_map_io(first + 3, first, IOVA, RW));
	REQUIRE_OK(m6_frame_map_io(first + 4, first, IOVA + 0x1000, M6_RIGHT_READ));
	CHECK_OK(m6_cnode_revoke(ROOT, ut, 64));
	CHECK(!kt_occupied(first));
	/* The stream is free, and the whole untyped is there again. */
	m6_cptr_t again = kt_new(M6_OBJ_IOSPACE, 0);
	REQUIRE(again);
	CHECK_OK(m6_iospace_control_bind(CAP_IOSPACE_CONTROL, again, STREAM));
	CHECK_OK(m6_untyped_retype(ut, M6_OBJ_UNTYPED, 20, ROOT, first, 1));
}

const struct kt_test kt_suite_iospace[] = {
    KT_ENTRY(iospace_control_info),
    KT_ENTRY(iospace_control_bind),
    KT_ENTRY(iospace_control_bind_streams_limit),
    KT_ENTRY(iospace_control_bind_refused),
    KT_ENTRY(iospace_delete_unbinds),
    KT_ENTRY(iospace_unbound_refuses_mappings),
    KT_ENTRY(io_page_table_map),
    KT_ENTRY(io_page_table_map_refused),
    KT_ENTRY(frame_map_io),
    KT_ENTRY(frame_map_io_refused),
    KT_ENTRY(frame_map_io_copy_starts_unmapped),
    KT_ENTRY(frame_map_io_stale_cap),
    KT_ENTRY(iospace_set_notification),
    KT_ENTRY(iospace_read_fault),
    KT_ENTRY(iospace_control_notification_and_fault),
    KT_ENTRY(iospace_smmu_irqs_not_issued),
    KT_ENTRY(iospace_revoked_with_its_untyped),
    KT_END,
};
