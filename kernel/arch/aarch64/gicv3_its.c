/* GICv3 ITS driver and the redistributors' LPI state.
 *
 * All of the ITS's memory is one 2 MiB region carved from the boot untyped when the DTB
 * lists an ITS (docs/kernel.md says why not from an invocation):
 *
 *   0x000000  device table (flat, one entry per device ID, at most 1 MiB)
 *   0x100000  command queue, 64 KiB (2,048 commands)
 *   0x110000  LPI configuration table, one byte per INTID 8192..16383
 *   0x112000  collection table, one page (collection N = CPU N)
 *   0x120000  struct its_state: per-LPI records and the bound-device-ID bitmap
 *   0x180000  LPI pending tables, 64 KiB apart (their alignment), one per CPU
 *
 * Per-device interrupt translation tables (ITTs) are not here: each is the memory of an
 * MSI device object its holder retyped from an untyped of its own (object/msi_device.c). */
#include <arch/sysreg.h>
#include <kernel/arch.h>
#include <kernel/its.h>
#include <m6/abi/errors.h>
#include <kernel/platform.h>
#include <kernel/printk.h>
#include <kernel/untyped.h>

#define GITS_CTLR           0x0000
#define GITS_TYPER          0x0008
#define GITS_CBASER         0x0080
#define GITS_CWRITER        0x0088
#define GITS_CREADR         0x0090
#define GITS_BASER(n)       (0x0100 + 8 * (n))
#define GITS_TRANSLATER     0x10040
#define GITS_CTLR_ENABLED   (1u << 0)
#define GITS_CTLR_QUIESCENT (1u << 31)
#define GITS_CREADR_STALLED 1u

#define BASER_VALID         (1ull << 63)
#define BASER_TYPE(v)       (((v) >> 56) & 7)
#define BASER_TYPE_DEVICE   1
#define BASER_TYPE_COLL     4
#define BASER_ENTRY_SIZE(v) ((unsigned)(((v) >> 48) & 0x1f) + 1)
#define BASER_PAGE_4K       (0ull << 8)
/* Inner shareable, inner and outer write-back read/write-allocate: the tables are ordinary
 * cached kernel memory. An ITS that cannot snoop says so by reading back non-shareable,
 * and then every write the ITS reads is cleaned to memory (its_sync_mem). */
#define ATTR_INNER_WB         (7ull << 59)
#define ATTR_SHARE_INNER      (1ull << 10)
#define ATTR_SHARE_MASK       (3ull << 10)
#define RD_INNER_WB           (7ull << 7)

#define GICR_CTLR             0x0000
#define GICR_TYPER            0x0008
#define GICR_PROPBASER        0x0070
#define GICR_PENDBASER        0x0078
#define GICR_CTLR_ENABLE_LPIS (1u << 0)
#define GICR_TYPER_PLPIS      (1ull << 0)
#define PENDBASER_PTZ         (1ull << 62)
#define GICD_TYPER            0x0004
#define GICD_TYPER_LPIS       (1u << 17)

#define CMD_MOVI              0x01
#define CMD_INT               0x03
#define CMD_SYNC              0x05
#define CMD_MAPD              0x08
#define CMD_MAPC              0x09
#define CMD_MAPTI             0x0a
#define CMD_INV               0x0c
#define CMD_DISCARD           0x0f

#define REGION_BITS           21
#define OFF_DEVICES           0x000000ull
#define DEVICE_TABLE_MAX      0x100000ull
#define OFF_QUEUE             0x100000ull
#define QUEUE_SIZE            0x10000ull
#define OFF_CONFIG            0x110000ull
#define CONFIG_SIZE           (BIT(LPI_ID_BITS) - LPI_BASE)
#define OFF_COLLECTIONS       0x112000ull
#define OFF_STATE             0x120000ull
#define OFF_PENDING           0x180000ull
#define PENDING_STRIDE        0x10000ull
#define PENDING_SIZE          (BIT(LPI_ID_BITS) / 8)

_Static_assert(OFF_CONFIG + CONFIG_SIZE <= OFF_COLLECTIONS, "LPI config table overlaps");
_Static_assert(OFF_STATE + sizeof(struct its_state) <= OFF_PENDING, "its_state too large");
_Static_assert(OFF_PENDING + ITS_MAX_CPUS * PENDING_STRIDE <= BIT(REGION_BITS),
               "pending tables beyond the ITS region");
_Static_assert(LPI_BASE + LPI_COUNT <= BIT(LPI_ID_BITS), "LPIs beyond the config table");

/* How many reads of GITS_CREADR the kernel spends on one command (the read pointer not
 * moving on) before it gives up on the ITS for good (its_give_up). A command costs a
 * working ITS a few memory accesses, a microsecond or two; a poll is an MMIO read of tens
 * to hundreds of nanoseconds, so 10,000 polls (about 1 to 5 ms) is far beyond any ITS
 * that works, and bounds what a broken one costs: once, since it is not asked again. The
 * count starts again whenever the ITS moves on, so a long batch (a device's DISCARDs)
 * is not mistaken for a stuck command. */
#define ITS_POLL_BOUND 10000u
/* Disabling an ITS someone left enabled: how long to wait for it to go quiescent. */
#define ITS_QUIESCE_POLLS 1000000u
/* LPI priority: the SPIs' (gicv3.c), bit 1 is RES1. */
#define LPI_CONFIG_PRIO 0xa2u

struct its_state *its_state;

static bool lpi_cpu_init(unsigned cpu, paddr_t rd);

static uintptr_t region;       /* kernel address of the ITS region */
static unsigned device_bits;   /* device IDs the kernel accepts */
static unsigned event_bits;    /* event ID bits the ITS implements */
static bool target_is_address; /* GITS_TYPER.PTA: MAPC/SYNC name a redistributor by address */
static bool noncoherent;       /* the ITS does not snoop: clean what it reads */
static uint64_t cwriter;       /* our copy of GITS_CWRITER's offset */
/* The ITS failed a command (no progress within ITS_POLL_BOUND polls, a stalled queue):
 * never written to again, and the invocations that need it are refused (its_usable). */
static bool given_up;
/* Per CPU (= collection): whether its redistributor takes LPIs, and the target field its
 * MAPC named (what a SYNC for that redistributor names too). Set at its bring-up. */
static bool takes_lpis[ITS_MAX_CPUS];
static uint64_t collection_target[ITS_MAX_CPUS];

static volatile uint32_t *its32(unsigned off)
{
	return (volatile uint32_t *)((uintptr_t)paddr_to_kernel(platform.its_base) + off);
}

static volatile uint64_t *its64(unsigned off)
{
	return (volatile uint64_t *)((uintptr_t)paddr_to_kernel(platform.its_base) + off);
}

static volatile uint64_t *rd64(paddr_t rd, unsigned off)
{
	return (volatile uint64_t *)((uintptr_t)paddr_to_kernel(rd) + off);
}

static void its_sync_mem(const void *p, size_t len)
{
	if (noncoherent) {
		uintptr_t a = (uintptr_t)p & ~(uintptr_t)63, end = (uintptr_t)p + len;
		for (; a < end; a += 64)
			__asm__ volatile("dc civac, %0" ::"r"(a) : "memory");
	}
	DSB(ish);
}

unsigned its_device_id_bits(void)
{
	return device_bits;
}

unsigned its_event_id_bits(void)
{
	return event_bits;
}

paddr_t its_doorbell(void)
{
	return platform.its_base + GITS_TRANSLATER;
}

bool its_usable(void)
{
	return its_state && !given_up;
}

/* A command the ITS did not carry out: its state is no longer what the kernel's records
 * say, and waiting longer or sending more could only hang the kernel or act on tables
 * the ITS may never read. Said once; the kernel's own records stay, so deleting handlers
 * and devices still works (without commands). */
static void its_give_up(const char *what, const char *why)
{
	if (given_up)
		return;
	given_up = true;
	printk("m6: ITS: %s %s (bound: %u polls): ITS given up, MSI_BIND, GET_MSI, ACK and "
	       "TRIGGER of LPIs refused from now on\n",
	       what, why, ITS_POLL_BOUND);
}

/* Wait until the ITS has read everything up to our CWRITER, with a bound per command. */
static void its_wait(const char *what)
{
	uint64_t last = cwriter;
	for (unsigned i = 0; i < ITS_POLL_BOUND; i++) {
		uint64_t r = *its64(GITS_CREADR);
		if (r & GITS_CREADR_STALLED) {
			printk("m6: ITS: command queue stalled at %lx\n", r & ~(uint64_t)31);
			its_give_up(what, "stalled the queue (command error)");
			return;
		}
		uint64_t at = r & (QUEUE_SIZE - 32);
		if (at == cwriter)
			return;
		if (at != last) {
			last = at; /* progress: the bound is per command */
			i = 0;
		}
	}
	its_give_up(what, "not completed");
}

enum its_mode {
	ITS_QUEUE, /* append only: the next published command carries it (batches) */
	ITS_POST,  /* append and publish (GITS_CWRITER), do not wait */
	ITS_WAIT,  /* append, publish and wait for it and everything before it */
};

static uint64_t free_slots; /* slots known free behind CREADR: reread only at 0 */

static uint64_t read_free_slots(void)
{
	uint64_t r = *its64(GITS_CREADR) & (QUEUE_SIZE - 32);
	/* One slot stays empty: CWRITER == CREADR means "nothing to do", never "full". */
	return ((r - cwriter - 32) % QUEUE_SIZE) / 32;
}

/* Append one command. A full queue is published and waited for, bounded; if the ITS
 * never makes room the command is dropped with a log line, never written over one the
 * ITS has still to read. */
static void its_command(const uint64_t cmd[4], enum its_mode mode, const char *what)
{
	if (given_up)
		return;
	if (free_slots == 0) {
		free_slots = read_free_slots();
		if (free_slots == 0) {
			*its64(GITS_CWRITER) = cwriter;
			for (unsigned i = 0; i < ITS_POLL_BOUND && free_slots == 0; i++)
				free_slots = read_free_slots();
			if (free_slots == 0) {
				its_give_up(what, "dropped: the queue stayed full");
				return;
			}
		}
	}
	volatile uint64_t *slot = (volatile uint64_t *)(region + OFF_QUEUE + cwriter);
	for (unsigned i = 0; i < 4; i++)
		slot[i] = cmd[i];
	its_sync_mem((const void *)slot, 32);
	cwriter = (cwriter + 32) % QUEUE_SIZE;
	free_slots--;
	if (mode != ITS_QUEUE)
		*its64(GITS_CWRITER) = cwriter;
	if (mode == ITS_WAIT)
		its_wait(what);
}

static void send(uint64_t op, uint32_t device_id, uint64_t dw1, uint64_t dw2, enum its_mode mode,
                 const char *what)
{
	uint64_t cmd[4] = {op | (uint64_t)device_id << 32, dw1, dw2, 0};
	its_command(cmd, mode, what);
}

void its_map_device(uint32_t device_id, paddr_t itt, unsigned bits)
{
	/* Size: event ID bits minus one; ITT_addr bits 51:8 in place. */
	send(CMD_MAPD, device_id, bits - 1, BIT(63) | (itt & (MASK(52) & ~MASK(8))), ITS_WAIT,
	     "MAPD");
}

void its_unmap_device(uint32_t device_id)
{
	send(CMD_MAPD, device_id, 0, 0, ITS_WAIT, "MAPD V=0");
}

void its_map_event(uint32_t device_id, uint32_t event, unsigned intid, unsigned collection)
{
	send(CMD_MAPTI, device_id, event | (uint64_t)intid << 32, collection, ITS_WAIT, "MAPTI");
}

bool its_cpu_takes_lpis(unsigned cpu)
{
	return cpu < ITS_MAX_CPUS && takes_lpis[cpu];
}

void its_move_event(uint32_t device_id, uint32_t event, unsigned from, unsigned to)
{
	/* MOVI carries a pending LPI over to the new redistributor; the SYNC on the old one
	 * waits until it has let go of it, so it is neither lost nor taken twice. */
	send(CMD_MOVI, device_id, event, to, ITS_QUEUE, "MOVI");
	send(CMD_SYNC, 0, 0, collection_target[from] << 16, ITS_WAIT, "MOVI/SYNC");
}

void its_discard(uint32_t device_id, uint32_t event, bool wait)
{
	send(CMD_DISCARD, device_id, event, 0, wait ? ITS_WAIT : ITS_QUEUE, "DISCARD");
}

void its_raise(uint32_t device_id, uint32_t event)
{
	send(CMD_INT, device_id, event, 0, ITS_WAIT, "INT");
}

void its_lpi_config(unsigned intid, bool enabled)
{
	volatile uint8_t *cfg = (volatile uint8_t *)(region + OFF_CONFIG + (intid - LPI_BASE));
	*cfg = (uint8_t)(LPI_CONFIG_PRIO | (enabled ? 1 : 0));
	its_sync_mem((const void *)cfg, 1);
}

void its_lpi_set_enabled(unsigned intid, uint32_t device_id, uint32_t event, bool enabled,
                         bool wait)
{
	its_lpi_config(intid, enabled);
	/* The redistributor may cache the configuration: INV makes it read the byte again. */
	send(CMD_INV, device_id, event, 0, wait ? ITS_WAIT : ITS_POST, "INV");
}

/* Program one GITS_BASER of `type` with the table at `off` of `size` bytes; returns the
 * entry size the ITS reports, 0 if it has no such table. */
static unsigned setup_baser(unsigned type, uint64_t off, uint64_t size)
{
	for (unsigned n = 0; n < 8; n++) {
		uint64_t v = *its64(GITS_BASER(n));
		if (BASER_TYPE(v) != type)
			continue;
		uint64_t pa = kernel_to_paddr((void *)(region + off));
		uint64_t pages = size / PAGE_SIZE;
		*its64(GITS_BASER(n)) = BASER_VALID | ATTR_INNER_WB | (v & (0x7full << 56)) |
		                        (v & (0x1full << 48)) | pa | ATTR_SHARE_INNER |
		                        BASER_PAGE_4K | (pages - 1);
		uint64_t back = *its64(GITS_BASER(n));
		if (!(back & BASER_VALID) || (back & (3ull << 8)) != BASER_PAGE_4K)
			return 0; /* an ITS without 4 KiB pages for this table */
		if (!(back & ATTR_SHARE_MASK))
			noncoherent = true;
		return BASER_ENTRY_SIZE(v);
	}
	return 0;
}

void its_init(void)
{
	if (!platform.its_base)
		return;
	if (!(*(volatile uint32_t *)((uintptr_t)paddr_to_kernel(platform.gicd_base) + GICD_TYPER) &
	      GICD_TYPER_LPIS)) {
		printk("m6: GICv3 ITS listed, but the distributor has no LPIs: MSIs unavailable\n");
		return;
	}
	uint64_t typer = *its64(GITS_TYPER);
	unsigned dev_bits = (unsigned)((typer >> 13) & 0x1f) + 1;
	unsigned id_bits = (unsigned)((typer >> 8) & 0x1f) + 1;
	event_bits = id_bits;
	target_is_address = (typer >> 19) & 1;
	if (id_bits < LPI_ID_BITS) {
		printk("m6: GICv3 ITS: only %u ID bits: MSIs unavailable\n", id_bits);
		return;
	}

	struct cap cap;
	struct cte *parent;
	if (untyped_boot_retype(M6_OBJ_UNTYPED, REGION_BITS, &cap, &parent) != M6_OK)
		panic("boot: out of memory for the GICv3 ITS tables (%lu bytes)",
		      (uint64_t)BIT(REGION_BITS));
	region = cap.object;
	/* Only what must start zero is zeroed (the whole region would be a third of the
	 * kernel's boot): the tables the ITS and the redistributors read before anyone
	 * writes them (device and collection tables' valid bits, pending tables, which PTZ
	 * declares zero) and the kernel's records. The queue is written before it is read, the
	 * configuration table below, the gaps never read. */
	arch_zero_and_clean(region + OFF_COLLECTIONS, region + OFF_COLLECTIONS + PAGE_SIZE);
	arch_zero_and_clean(region + OFF_STATE,
	                    region + OFF_STATE + ALIGN_UP(sizeof(struct its_state), PAGE_SIZE));
	for (unsigned cpu = 0; cpu < ITS_MAX_CPUS; cpu++) {
		uintptr_t p = region + OFF_PENDING + cpu * PENDING_STRIDE;
		arch_zero_and_clean(p, p + PENDING_SIZE);
	}

	*its32(GITS_CTLR) = 0;
	for (unsigned i = 0; i < ITS_QUIESCE_POLLS && !(*its32(GITS_CTLR) & GITS_CTLR_QUIESCENT);
	     i++)
		;

	/* The device table: one entry per device ID, flat, as many IDs as fit in 1 MiB. */
	unsigned esize = 8;
	for (unsigned n = 0; n < 8; n++)
		if (BASER_TYPE(*its64(GITS_BASER(n))) == BASER_TYPE_DEVICE)
			esize = BASER_ENTRY_SIZE(*its64(GITS_BASER(n)));
	device_bits = dev_bits < ITS_MAX_DEVICE_BITS ? dev_bits : ITS_MAX_DEVICE_BITS;
	while (BIT(device_bits) * esize > DEVICE_TABLE_MAX)
		device_bits--;
	uint64_t dt_size = ALIGN_UP(BIT(device_bits) * esize, PAGE_SIZE);
	arch_zero_and_clean(region + OFF_DEVICES, region + OFF_DEVICES + dt_size);
	/* Collections live in memory unless the ITS holds enough itself (GITS_TYPER.HCC). */
	if (!setup_baser(BASER_TYPE_DEVICE, OFF_DEVICES, dt_size) ||
	    (((typer >> 24) & 0xff) < ITS_MAX_CPUS &&
	     !setup_baser(BASER_TYPE_COLL, OFF_COLLECTIONS, PAGE_SIZE))) {
		/* The kernel still runs, without MSIs; the region stays unused. */
		printk("m6: GICv3 ITS: no usable device or collection table: MSIs unavailable\n");
		return;
	}

	uint64_t q = kernel_to_paddr((void *)(region + OFF_QUEUE));
	*its64(GITS_CBASER) =
	    BIT(63) | ATTR_INNER_WB | q | ATTR_SHARE_INNER | (QUEUE_SIZE / PAGE_SIZE - 1);
	if (!(*its64(GITS_CBASER) & ATTR_SHARE_MASK))
		noncoherent = true;
	cwriter = 0;
	free_slots = QUEUE_SIZE / 32 - 1;
	*its64(GITS_CWRITER) = 0;
	*its32(GITS_CTLR) = GITS_CTLR_ENABLED;

	/* Every LPI starts disabled at the SPIs' priority; those the kernel never hands out
	 * (above LPI_COUNT) disabled too. Eight bytes a store. */
	for (unsigned i = 0; i < CONFIG_SIZE / 8; i++)
		((volatile uint64_t *)(region + OFF_CONFIG))[i] =
		    LPI_CONFIG_PRIO * 0x0101010101010101ull;
	its_sync_mem((const void *)(region + OFF_CONFIG), CONFIG_SIZE);

	its_state = (struct its_state *)(region + OFF_STATE); /* MSIs from here on */
	printk("m6: GICv3 ITS at %lx: %u LPIs, %u-bit device IDs, %u-bit event IDs, tables "
	       "%lu KiB from untyped\n",
	       platform.its_base, LPI_COUNT, device_bits, event_bits,
	       (uint64_t)BIT(REGION_BITS) / 1024);
}

bool its_cpu_init(unsigned cpu, paddr_t rd)
{
	bool ok = its_state && cpu < ITS_MAX_CPUS && lpi_cpu_init(cpu, rd);
	/* Every LPI starts at collection 0, the boot CPU's: without it, no MSIs at all. */
	if (!ok && cpu == 0 && its_state) {
		printk("m6: GICv3 ITS: the boot CPU takes no LPIs: MSIs unavailable\n");
		its_state = NULL;
	}
	return ok;
}

static bool lpi_cpu_init(unsigned cpu, paddr_t rd)
{
	if (!(*rd64(rd, GICR_TYPER) & GICR_TYPER_PLPIS)) {
		printk("m6: GICv3: CPU %u's redistributor has no LPIs\n", cpu);
		return false;
	}
	/* Tables may be set only while LPIs are off, and turning them off may be impossible:
	 * a redistributor someone else enabled (a previous kernel) keeps tables we do not
	 * know, so this CPU takes no LPIs. */
	volatile uint32_t *ctlr = (volatile uint32_t *)((uintptr_t)paddr_to_kernel(rd) + GICR_CTLR);
	if (*ctlr & GICR_CTLR_ENABLE_LPIS) {
		printk("m6: GICv3: CPU %u's redistributor has LPIs on already: none for it\n", cpu);
		return false;
	}
	uint64_t prop = kernel_to_paddr((void *)(region + OFF_CONFIG));
	uint64_t pend = kernel_to_paddr((void *)(region + OFF_PENDING + cpu * PENDING_STRIDE));
	*rd64(rd, GICR_PROPBASER) = prop | RD_INNER_WB | ATTR_SHARE_INNER | (LPI_ID_BITS - 1);
	if (!(*rd64(rd, GICR_PROPBASER) & ATTR_SHARE_MASK))
		noncoherent = true; /* the redistributor reads the configuration from memory */
	/* PTZ: the table is zero (the region was zeroed), nothing pending yet. */
	*rd64(rd, GICR_PENDBASER) = PENDBASER_PTZ | pend | RD_INNER_WB | ATTR_SHARE_INNER;
	DSB(sy);
	*ctlr |= GICR_CTLR_ENABLE_LPIS;
	DSB(sy);

	/* Collection `cpu` targets this redistributor: by address or by processor number. */
	uint64_t target = target_is_address ? (rd >> 16) : ((*rd64(rd, GICR_TYPER) >> 8) & 0xffff);
	send(CMD_MAPC, 0, 0, BIT(63) | target << 16 | cpu, ITS_QUEUE, "MAPC");
	send(CMD_SYNC, 0, 0, target << 16, ITS_WAIT, "MAPC/SYNC");
	collection_target[cpu] = target;
	takes_lpis[cpu] = true;
	return true;
}
