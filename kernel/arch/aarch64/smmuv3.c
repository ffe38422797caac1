/* SMMUv3 driver: the stream table, the command queue and the event queue, at stage 1.
 *
 * Memory: all three are retyped at boot from the kernel-held untyped (like every object
 * the boot tables create), so the kernel still owns no memory of its own. Sizes: the
 * stream table is linear, one 64-byte STE per stream ID below 2^min(SIDSIZE, 12) (4,096
 * streams, 256 KiB: PCIe buses 0-15, enough for QEMU virt's buses and ample for a small
 * board); the command queue 256 entries (4 KiB), the event queue 128 (4 KiB), each capped
 * by what IDR1 says the SMMU supports.
 *
 * Commands are issued one batch at a time and completed with CMD_SYNC before the caller
 * goes on, so invalidations are over when an unmap returns. Every wait on the SMMU has a
 * bound (SMMU_WAIT_MS of the system counter): an SMMU that does not answer is reported,
 * turned off with GBPA set to abort (every device's DMA is refused), and the IOSpace
 * invocations answer as if there were none. TLB maintenance is by SMMU command only (CR2.PTM
 * and CD.ASET: the CPUs' broadcast TLBIs never reach it), so nothing here is per-CPU.
 *
 * Events (faults) arrive by the event queue's wired interrupt (an SPI from the DTB, edge on
 * QEMU):
 * each is logged (rate-limited), and iospace_report_fault() records and signals it. */
#include <kernel/arch.h>
#include <kernel/iospace.h>
#include <kernel/printk.h>
#include <kernel/smmu.h>
#include <kernel/smmu_event.h>
#include <kernel/string.h>
#include <kernel/untyped.h>
#include <m6/abi/errors.h>
#include <m6/abi/objects.h>

#define SMMU_IDR0        0x0000
#define SMMU_IDR1        0x0004
#define SMMU_IDR5        0x0014
#define SMMU_CR0         0x0020
#define SMMU_CR0ACK      0x0024
#define SMMU_CR1         0x0028
#define SMMU_CR2         0x002c
#define SMMU_GBPA        0x0044
#define SMMU_IRQ_CTRL    0x0050
#define SMMU_IRQ_ACK     0x0054
#define SMMU_GERROR      0x0060
#define SMMU_GERRORN     0x0064
#define SMMU_GERROR_CFG0 0x0068
#define SMMU_STRTAB      0x0080
#define SMMU_STRTAB_CFG  0x0088
#define SMMU_CMDQ_BASE   0x0090
#define SMMU_CMDQ_PROD   0x0098
#define SMMU_CMDQ_CONS   0x009c
#define SMMU_EVTQ_BASE   0x00a0
#define SMMU_EVTQ_CFG0   0x00b0
#define SMMU_EVTQ_PROD   0x100a8 /* page 1 */
#define SMMU_EVTQ_CONS   0x100ac
#define SMMU_MMIO_SIZE   0x20000

#define IDR0_S1P         BIT(1)
#define IDR0_TTF_AA64    BIT(3)
#define IDR0_COHACC      BIT(4)
#define IDR0_ASID16      BIT(12)
#define IDR0_ST_LEVEL    (3u << 27)
#define IDR5_GRAN4K      BIT(4)

#define CR0_SMMUEN       BIT(0)
#define CR0_EVTQEN       BIT(2)
#define CR0_CMDQEN       BIT(3)
#define GBPA_ABORT       BIT(20)
#define GBPA_UPDATE      BIT(31)
#define IRQ_GERROR       BIT(0)
#define IRQ_EVTQ         BIT(2)
#define GERROR_CMDQ      BIT(0)
#define GERROR_EVTQ_ABT  BIT(2)
#define GERROR_SFM       BIT(8)
#define CR2_RECINVSID    BIT(1)
#define CR2_PTM          BIT(2)
/* CR1: tables and queues inner shareable, write-back cacheable inside and out. */
#define CR1_VALUE         ((3u << 10) | (1u << 8) | (1u << 6) | (3u << 4) | (1u << 2) | 1u)
#define BASE_RA           BIT(62) /* read-allocate (stream table, command queue) */
#define BASE_WA           BIT(62) /* write-allocate (event queue) */
#define Q_OVFLG           BIT(31)
#define CMDQ_ERR(cons)    (((cons) >> 24) & 0x7f)

#define CMD_CFGI_STE      0x03
#define CMD_CFGI_ALL      0x04 /* CFGI_STE_RANGE with range 31 */
#define CMD_CFGI_CD       0x05
#define CMD_TLBI_NH_ASID  0x11
#define CMD_TLBI_NH_VA    0x12
#define CMD_TLBI_NSNH_ALL 0x30
#define CMD_SYNC          0x46

#define STE_VALID         BIT(0)
#define STE_CFG_S1        (5ull << 1)
#define STE_CTX_MASK      0x000fffffffffffc0ull
#define STE1_CIR_WB       (1ull << 2)
#define STE1_COR_WB       (1ull << 4)
#define STE1_CSH_IS       (3ull << 6)
#define STE1_SHCFG_IN     (1ull << 44) /* incoming shareability */

#define STREAM_BITS_MAX   12
#define CMDQ_BITS_MAX     8
#define EVTQ_BITS_MAX     7
#define SMMU_WAIT_MS      10

static struct {
	paddr_t base; /* registers; 0: no SMMU in the DTB */
	unsigned evtq_irq, gerror_irq;
	bool evtq_edge, gerror_edge; /* else level: both work, the handler drains the cause */
	paddr_t doorbell;            /* ITS GITS_TRANSLATER page, 0: none */
	uint64_t *strtab;            /* kernel address */
	uint64_t *cmdq, *evtq;
	unsigned stream_bits, cmdq_bits, evtq_bits;
	uint32_t cmdq_prod; /* our copy: index and wrap bit */
	bool live;          /* enabled and answering */
} smmu;

/* As the kernel's fault reports (core/fault.c): a burst of 10 lines, then 5 a second. */
static struct ratelimit smmu_reports = RATELIMIT_INIT("SMMU event lines", 10, 5);

static volatile uint32_t *reg32(unsigned off)
{
	return (volatile uint32_t *)((uintptr_t)paddr_to_kernel(smmu.base) + off);
}

static void write64(unsigned off, uint64_t v)
{
	*(volatile uint64_t *)reg32(off) = v;
}

static void dsb_sy(void)
{
	__asm__ volatile("dsb sy" ::: "memory");
}

/* Wait until (*reg & mask) == want, at most SMMU_WAIT_MS. */
static bool wait_reg(unsigned off, uint32_t mask, uint32_t want)
{
	uint64_t deadline = arch_timer_now() + arch_timer_frequency() * SMMU_WAIT_MS / 1000;
	while ((*reg32(off) & mask) != want) {
		if (arch_timer_now() > deadline)
			return (*reg32(off) & mask) == want;
	}
	return true;
}

/* The SMMU stopped answering (or reported a command error): refuse all DMA and never
 * touch it again. GBPA decides what happens to transactions once SMMUEN is clear.
 * Neither write takes effect when it is made, only when the SMMU acknowledges it
 * (GBPA.Update clear, CR0ACK.SMMUEN clear): until then it may still translate through
 * what it cached, and our callers free memory (a frame being unmapped, an IOSpace being
 * deleted) as soon as we return. So the acknowledgements are waited for, with the usual
 * bound; one that does not come is said, as nothing more can be done. */
static void smmu_fail(const char *what)
{
	printk("smmu: %s; SMMU turned off, all DMA aborted, IOSpaces unavailable\n", what);
	smmu.live = false;
	*reg32(SMMU_GBPA) = GBPA_ABORT | GBPA_UPDATE;
	bool gbpa = wait_reg(SMMU_GBPA, GBPA_UPDATE, 0);
	*reg32(SMMU_CR0) = 0;
	if (!wait_reg(SMMU_CR0ACK, CR0_SMMUEN, 0) || !gbpa)
		printk("smmu: the SMMU did not acknowledge being turned off\n");
}

/* SPI `name` of the node as an INTID (0 if absent or not an SPI), and whether it is
 * edge-triggered (flags cell: 1 rising edge; level otherwise). */
static unsigned spi_named(const struct dtb *dtb, int node, const char *name, bool *edge)
{
	int i = dtb_string_index(dtb, node, "interrupt-names", name);
	uint32_t type, num, flags;
	if (i < 0 || dtb_get_cell(dtb, node, "interrupts", (unsigned)i * 3, &type) != DTB_OK ||
	    dtb_get_cell(dtb, node, "interrupts", (unsigned)i * 3 + 1, &num) != DTB_OK ||
	    dtb_get_cell(dtb, node, "interrupts", (unsigned)i * 3 + 2, &flags) != DTB_OK ||
	    type != 0 || num >= 988)
		return 0;
	*edge = (flags & 0xf) == 1;
	return 32 + num;
}

void smmu_probe(const struct dtb *dtb, bool (*overlaps_ram)(paddr_t base, uint64_t size))
{
	int node;
	for (node = dtb_find_compatible(dtb, -1, "arm,smmu-v3"); node >= 0;
	     node = dtb_find_compatible(dtb, node, "arm,smmu-v3"))
		if (dtb_node_enabled(dtb, node))
			break;
	if (node < 0) {
		printk("m6: SMMUv3: none in the DTB: devices DMA untranslated, IOSpaces "
		       "unavailable\n");
		return;
	}
	struct dtb_region r;
	const char *name = dtb_node_name(dtb, node);
	if (dtb_get_reg(dtb, node, 0, &r) != DTB_OK || r.size < SMMU_MMIO_SIZE ||
	    !IS_ALIGNED(r.base, 16) || r.base >= arch_phys_limit() ||
	    r.size > arch_phys_limit() - r.base || overlaps_ram(r.base, r.size)) {
		printk("m6: SMMUv3 %s: register window unusable: not used\n", name);
		return;
	}
	bool evtq_edge = true, gerror_edge = true;
	unsigned evtq = spi_named(dtb, node, "eventq", &evtq_edge);
	unsigned gerror = spi_named(dtb, node, "gerror", &gerror_edge);
	if (!evtq || !gerror) {
		printk("m6: SMMUv3 %s: no eventq/gerror SPI: not used\n", name);
		return;
	}
	smmu.base = r.base;
	smmu.evtq_irq = evtq;
	smmu.gerror_irq = gerror;
	smmu.evtq_edge = evtq_edge;
	smmu.gerror_edge = gerror_edge;
	/* The ITS's second 64 KiB frame holds GITS_TRANSLATER (offset 0x10040): the page a
	 * device writes an MSI to. */
	for (node = dtb_find_compatible(dtb, -1, "arm,gic-v3-its"); node >= 0;
	     node = dtb_find_compatible(dtb, node, "arm,gic-v3-its")) {
		if (dtb_node_enabled(dtb, node) && dtb_get_reg(dtb, node, 0, &r) == DTB_OK &&
		    r.size >= 0x20000 && IS_ALIGNED(r.base, 16) && !overlaps_ram(r.base, r.size)) {
			/* Identity-mapped in every IOSpace: it must be an I/O address. */
			if (r.base + 0x10000 < BIT(IOSPACE_VA_BITS))
				smmu.doorbell = r.base + 0x10000;
			else
				printk(
				    "m6: SMMUv3: the ITS at %lx is beyond the 47-bit I/O address "
				    "space: MSIs will not pass\n",
				    r.base);
			break;
		}
	}
}

void smmu_mmio(paddr_t *base, uint64_t *size)
{
	*base = smmu.base;
	*size = smmu.base ? SMMU_MMIO_SIZE : 0;
}

static void *boot_memory(unsigned bits)
{
	struct cap cap;
	struct cte *parent;
	if (untyped_boot_retype(M6_OBJ_UNTYPED, bits, &cap, &parent) != M6_OK)
		return NULL;
	return (void *)cap.object; /* zeroed and cleaned by the retype */
}

static bool cmd_issue(uint64_t w0, uint64_t w1)
{
	if (!smmu.live)
		return false;
	uint32_t prod = smmu.cmdq_prod, size = (uint32_t)BIT(smmu.cmdq_bits);
	/* Full: every batch ends in a sync, so this is only ever the SMMU falling behind.
	 * Wait a bounded time for it to take everything. */
	if (smmu_queue_count(prod, *reg32(SMMU_CMDQ_CONS), smmu.cmdq_bits) == size &&
	    !wait_reg(SMMU_CMDQ_CONS, (uint32_t)MASK(smmu.cmdq_bits + 1), prod)) {
		smmu_fail("command queue full and not moving");
		return false;
	}
	uint64_t *slot = &smmu.cmdq[(prod & (size - 1)) * 2];
	slot[0] = w0;
	slot[1] = w1;
	smmu.cmdq_prod = smmu_queue_advance(prod, 1, smmu.cmdq_bits);
	dsb_sy(); /* the command is in memory before PROD says so */
	*reg32(SMMU_CMDQ_PROD) = smmu.cmdq_prod;
	return true;
}

/* CMD_SYNC and wait until the SMMU has consumed everything before it. */
static bool cmd_sync(void)
{
	if (!cmd_issue(CMD_SYNC, 0))
		return false;
	uint32_t want = smmu.cmdq_prod, mask = (uint32_t)MASK(smmu.cmdq_bits + 1);
	uint64_t deadline = arch_timer_now() + arch_timer_frequency() * SMMU_WAIT_MS / 1000;
	for (;;) {
		uint32_t cons = *reg32(SMMU_CMDQ_CONS);
		if (CMDQ_ERR(cons)) {
			printk("smmu: command error %u at queue index %u\n", CMDQ_ERR(cons),
			       cons & (uint32_t)MASK(smmu.cmdq_bits));
			smmu_fail("the command queue stopped on an error");
			return false;
		}
		if ((cons & mask) == want)
			return true;
		if (arch_timer_now() > deadline) {
			smmu_fail("no answer to CMD_SYNC within 10 ms");
			return false;
		}
	}
}

static bool cfgi_ste(uint32_t sid)
{
	return cmd_issue(CMD_CFGI_STE | ((uint64_t)sid << 32), 1 /* leaf */);
}

static bool tlbi_asid(uint16_t asid)
{
	return cmd_issue(CMD_TLBI_NH_ASID | ((uint64_t)asid << 48), 0);
}

bool smmu_invalidate_page(uint16_t asid, uint64_t iova)
{
	return cmd_issue(CMD_TLBI_NH_VA | ((uint64_t)asid << 48),
	                 (iova & ~(uint64_t)MASK(PAGE_BITS)) | 1 /* leaf */) &&
	       cmd_sync();
}

bool smmu_invalidate_asid(uint16_t asid)
{
	return tlbi_asid(asid) && cmd_sync();
}

bool smmu_reload_cd(const uint32_t *sids, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		if (sids[i] >= smmu_stream_count())
			return false;
		/* SSID 0 (the one CD), non-secure; leaf: only the CD itself changed. */
		if (!cmd_issue(CMD_CFGI_CD | ((uint64_t)sids[i] << 32), 1))
			return false;
	}
	return cmd_sync();
}

uint32_t smmu_stream_count(void)
{
	return smmu.live ? (uint32_t)BIT(smmu.stream_bits) : 0;
}

paddr_t smmu_doorbell_page(void)
{
	return smmu.doorbell;
}

paddr_t smmu_stream_cd(uint32_t sid)
{
	if (sid >= smmu_stream_count())
		return 0;
	const volatile uint64_t *ste = &smmu.strtab[sid * 8];
	if ((ste[0] & (STE_VALID | (7ull << 1))) != (STE_VALID | STE_CFG_S1))
		return 0;
	return ste[0] & STE_CTX_MASK;
}

bool smmu_bind_stream(uint32_t sid, paddr_t cd)
{
	volatile uint64_t *ste = &smmu.strtab[sid * 8];
	/* Dword 1 first, the valid bit last: the SMMU may fetch the STE at any moment. */
	ste[1] = STE1_CIR_WB | STE1_COR_WB | STE1_CSH_IS | STE1_SHCFG_IN;
	dsb_sy();
	ste[0] = STE_VALID | STE_CFG_S1 | (cd & STE_CTX_MASK); /* S1Fmt 0: one CD, CDMax 0 */
	dsb_sy();
	return cfgi_ste(sid) && cmd_sync();
}

bool smmu_unbind_streams(const uint32_t *sids, unsigned count, uint16_t asid)
{
	for (unsigned i = 0; i < count; i++) {
		if (sids[i] >= smmu_stream_count())
			return false;
		/* Invalid: the stream's transactions abort (and are reported). */
		smmu.strtab[sids[i] * 8] = 0;
	}
	dsb_sy();
	for (unsigned i = 0; i < count; i++)
		if (!cfgi_ste(sids[i]))
			return false;
	return tlbi_asid(asid) && cmd_sync();
}

void smmu_init(void)
{
	if (!smmu.base)
		return;
	uint32_t idr0 = *reg32(SMMU_IDR0), idr1 = *reg32(SMMU_IDR1), idr5 = *reg32(SMMU_IDR5);
	/* Stage 1 with AArch64 tables and 4 KiB pages, walking coherently (the kernel does
	 * no cache maintenance on tables), linear stream tables (every SMMUv3 has them). */
	if (!(idr0 & IDR0_S1P) || !(idr0 & IDR0_TTF_AA64) || !(idr5 & IDR5_GRAN4K) ||
	    !(idr0 & IDR0_COHACC)) {
		printk("m6: SMMUv3 at %lx: no coherent stage 1 with 4 KiB AArch64 tables (IDR0 "
		       "%x, IDR5 %x): not used\n",
		       smmu.base, idr0, idr5);
		return;
	}
	unsigned sid_bits = idr1 & 0x3f, asid_bits = (idr0 & IDR0_ASID16) ? 16 : 8;
	smmu.stream_bits = sid_bits < STREAM_BITS_MAX ? sid_bits : STREAM_BITS_MAX;
	/* ASID = key of the bound IOSpace, which holds the stream ID + 1 (iospace.c). */
	if (smmu.stream_bits >= asid_bits)
		smmu.stream_bits = asid_bits - 1;
	unsigned cmdqs = (idr1 >> 21) & 0x1f, evtqs = (idr1 >> 16) & 0x1f;
	smmu.cmdq_bits = cmdqs < CMDQ_BITS_MAX ? cmdqs : CMDQ_BITS_MAX;
	smmu.evtq_bits = evtqs < EVTQ_BITS_MAX ? evtqs : EVTQ_BITS_MAX;
	unsigned st_bytes_bits = smmu.stream_bits + 6;
	smmu.strtab = boot_memory(st_bytes_bits < PAGE_BITS ? PAGE_BITS : st_bytes_bits);
	smmu.cmdq = boot_memory(PAGE_BITS);
	smmu.evtq = boot_memory(PAGE_BITS);
	if (!smmu.strtab || !smmu.cmdq || !smmu.evtq)
		panic("SMMUv3: no memory for its tables");

	/* Off, with abort for whatever is not translated meanwhile. */
	*reg32(SMMU_CR0) = 0;
	if (!wait_reg(SMMU_CR0ACK, ~0u, 0))
		return smmu_fail("CR0 not acknowledged");
	*reg32(SMMU_GBPA) = GBPA_ABORT | GBPA_UPDATE;
	if (!wait_reg(SMMU_GBPA, GBPA_UPDATE, 0))
		return smmu_fail("GBPA update not taken");
	*reg32(SMMU_IRQ_CTRL) = 0;
	wait_reg(SMMU_IRQ_ACK, ~0u, 0);
	*reg32(SMMU_CR1) = CR1_VALUE;
	*reg32(SMMU_CR2) = CR2_RECINVSID | CR2_PTM;
	write64(SMMU_STRTAB, kernel_to_paddr(smmu.strtab) | BASE_RA);
	*reg32(SMMU_STRTAB_CFG) = smmu.stream_bits; /* linear format, LOG2SIZE */
	write64(SMMU_CMDQ_BASE, kernel_to_paddr(smmu.cmdq) | BASE_RA | smmu.cmdq_bits);
	*reg32(SMMU_CMDQ_PROD) = 0;
	*reg32(SMMU_CMDQ_CONS) = 0;
	smmu.cmdq_prod = 0;
	write64(SMMU_EVTQ_BASE, kernel_to_paddr(smmu.evtq) | BASE_WA | smmu.evtq_bits);
	/* Wired interrupts, not MSIs: a stale MSI address left by firmware (the registers
	 * reset to UNKNOWN) would have the SMMU write wherever it points. */
	write64(SMMU_EVTQ_CFG0, 0);
	write64(SMMU_GERROR_CFG0, 0);
	*reg32(SMMU_EVTQ_PROD) = 0;
	*reg32(SMMU_EVTQ_CONS) = 0;
	dsb_sy();

	*reg32(SMMU_CR0) = CR0_CMDQEN;
	if (!wait_reg(SMMU_CR0ACK, ~0u, CR0_CMDQEN))
		return smmu_fail("command queue not enabled");
	smmu.live = true;
	/* Forget anything cached from before (firmware, a previous kernel). */
	if (!cmd_issue(CMD_CFGI_ALL, 31) || !cmd_issue(CMD_TLBI_NSNH_ALL, 0) || !cmd_sync())
		return;
	*reg32(SMMU_IRQ_CTRL) = IRQ_GERROR | IRQ_EVTQ;
	if (!wait_reg(SMMU_IRQ_ACK, ~0u, IRQ_GERROR | IRQ_EVTQ))
		return smmu_fail("interrupts not enabled");
	*reg32(SMMU_CR0) = CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN;
	if (!wait_reg(SMMU_CR0ACK, ~0u, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN))
		return smmu_fail("translation not enabled");
	arch_irq_set_trigger(smmu.evtq_irq, smmu.evtq_edge);
	arch_irq_set_trigger(smmu.gerror_irq, smmu.gerror_edge);
	arch_irq_enable_line(smmu.evtq_irq);
	arch_irq_enable_line(smmu.gerror_irq);
	printk("m6: SMMUv3 at %lx: %u streams, unbound streams abort, MSI doorbell %lx, "
	       "events on interrupt %u\n",
	       smmu.base, smmu_stream_count(), smmu.doorbell, smmu.evtq_irq);
}

bool smmu_owns_irq(unsigned irq)
{
	return smmu.base && (irq == smmu.evtq_irq || irq == smmu.gerror_irq);
}

static const char *event_name(uint32_t type)
{
	switch (type) {
	case M6_IO_FAULT_BAD_STREAM:
		return "stream ID beyond the stream table";
	case M6_IO_FAULT_NOT_BOUND:
		return "no IOSpace bound";
	case M6_IO_FAULT_TRANSLATION:
		return "translation fault";
	case M6_IO_FAULT_ADDR_SIZE:
		return "address size fault";
	case M6_IO_FAULT_ACCESS:
		return "access flag fault";
	case M6_IO_FAULT_PERMISSION:
		return "permission fault";
	default:
		return "event";
	}
}

/* A blocked transfer is often a fault per word (QEMU's NVMe writes 4 bytes at a time):
 * the first event of a run (smmu_event.h) is printed, how many more there were once per
 * interrupt. */
static struct smmu_event_run run;

static void print_event(const struct smmu_event *ev)
{
	uint32_t sid = ev->sid;
	if (ev->has_addr)
		printk("smmu: stream 0x%04x (%02x:%02x.%x): %s at iova 0x%lx (%s), blocked\n", sid,
		       sid >> 8, (sid >> 3) & 0x1f, sid & 7, event_name(ev->type), ev->iova,
		       ev->flags ? "write" : "read");
	else
		printk("smmu: stream 0x%04x (%02x:%02x.%x): %s (event 0x%02x), blocked\n", sid,
		       sid >> 8, (sid >> 3) & 0x1f, sid & 7, event_name(ev->type), ev->type);
}

static void report_more(uint32_t sid, unsigned more)
{
	if (more && ratelimit_allow(&smmu_reports))
		printk("smmu: stream 0x%04x: %u more in the same page, blocked\n", sid, more);
}

static void drain_events(void)
{
	uint32_t prod = *reg32(SMMU_EVTQ_PROD), cons = *reg32(SMMU_EVTQ_CONS);
	dsb_sy(); /* the records are read after PROD */
	/* Bounded: at most one queue's worth (128 records) per interrupt. */
	uint32_t n = smmu_queue_count(prod, cons, smmu.evtq_bits);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t at = (cons + i) & (uint32_t)MASK(smmu.evtq_bits);
		uint64_t record[4];
		for (unsigned w = 0; w < 4; w++)
			record[w] = ((volatile uint64_t *)smmu.evtq)[at * 4 + w];
		struct smmu_event ev;
		smmu_event_decode(record, &ev);
		iospace_report_fault(ev.sid, ev.type, ev.iova, ev.flags);
		struct smmu_event_run ended;
		if (smmu_event_run_add(&run, &ev, &ended)) {
			report_more(ended.sid, ended.more);
			if (ratelimit_allow(&smmu_reports))
				print_event(&ev);
		}
	}
	report_more(run.sid, smmu_event_run_flush(&run));
	cons = smmu_queue_advance(cons, n, smmu.evtq_bits);
	if ((prod ^ cons) & Q_OVFLG) {
		printk("smmu: event queue overflowed: some events were lost\n");
		cons ^= Q_OVFLG; /* acknowledged */
	}
	dsb_sy();
	*reg32(SMMU_EVTQ_CONS) = cons;
}

void smmu_drain_events(void)
{
	if (smmu.live)
		drain_events();
}

void smmu_handle_irq(unsigned irq)
{
	if (!smmu.live)
		return;
	if (irq == smmu.evtq_irq) {
		drain_events();
		return;
	}
	uint32_t active = *reg32(SMMU_GERROR) ^ *reg32(SMMU_GERRORN);
	if (!active)
		return;
	*reg32(SMMU_GERRORN) = *reg32(SMMU_GERRORN) ^ active; /* acknowledged */
	/* EVTQ_ABT_ERR: an event could not be written, which QEMU also reports for a full
	 * queue. The faults themselves were still blocked; only their records are lost. */
	if (active & GERROR_EVTQ_ABT) {
		if (ratelimit_allow(&smmu_reports))
			printk("smmu: event queue full: some events were not recorded\n");
		drain_events();
	}
	if (active & ~(uint32_t)GERROR_EVTQ_ABT)
		printk("smmu: global error %x\n", active & ~(uint32_t)GERROR_EVTQ_ABT);
	if (active & GERROR_CMDQ)
		smmu_fail("command queue error");
	else if (active & GERROR_SFM)
		smmu_fail("the SMMU entered service failure mode");
}
