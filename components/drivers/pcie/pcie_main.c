/* The PCIe bus component: holds the host bridge's ECAM and memory windows, enumerates
 * every bus behind the root complex at boot (pcie_enum.c), prints one line per function
 * and one per thing it refused, then serves the claim protocol (libm6/interfaces/pci.idl)
 * for as long as the system runs: a driver gets exactly the function(s) the spec lets it
 * claim, their BARs as frames and their interrupt (docs/devices.md).
 *
 * What the spec gives it (test/pcie/pcie_boot.m6):
 * - `untyped ecam SIZE at PADDR`: the ECAM as a device untyped (QEMU virt's is 256 MiB at
 *   0x4010000000, too large for a `device` statement), mapped as 2 MiB frames;
 * - `untyped tables 16 KiB`: normal memory for the page tables that map it;
 * - `untyped mem32 SIZE at PADDR` and `untyped mem64 SIZE at PADDR` (optional): device
 *   untyped over the start of the host bridge's 32-bit and 64-bit memory windows. BARs
 *   are assigned only inside them (the rest of each window is left unused), so every BAR
 *   can be handed out as frames; their positions must be the device tree's windows
 *   (pcie_dt.h, checked at compile time);
 * - `endpoint pci` and `pci_bus pci`: where claims arrive, M6_PCI_CLAIMS the table badge
 *   -> rule the spec compiler wrote (docs/spec-language.md, "PCI");
 * - `syscap irq_control`: for the INTx lines (the host bridge's interrupt-map, pcie_dt.h)
 *   and the MSI-X vectors (LPIs through the GICv3 ITS);
 * - `untyped msi SIZE` (optional): RAM for the ITS's MSI devices, one per function that
 *   asks for MSI-X (32 bytes per event, at least 512);
 * - `syscap iospace_control`, `untyped iospaces SIZE` and `notification faults`
 *   (optional, together): an IOSpace (16 KiB) per function whose driver asks for one,
 *   bound to its requester ID; the SMMU's fault signals arrive on `faults`, bound to the
 *   bus's thread, and each is logged naming the device. Without them the bus hands no
 *   IOSpace (`unsupported`), and on a system with an SMMU its drivers' devices reach no
 *   memory at all;
 * - `timer clock` and `notification sleep` (optional, together): the 100 ms a Function
 *   Level Reset takes are slept on them; without, the bus waits on the system counter;
 * - `syscap debug_console`; in a test system without claims, `syscap power`.
 *
 * The bus never powers off a system that has drivers: it keeps serving. */
#include <stdint.h>

#include <m6/caps.h>
#include <m6/debug.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6/time.h>
#include <m6_caps.h>

#include "pcie_dt.h"
#include "pcie_enum.h"
#include "pcie_policy.h"

#ifdef M6_PCI_BUS_ENDPOINT
#include <m6/spec_tables.h>

#include "pci_idl.h"
#endif

/* Where the ECAM is mapped: a 1 GiB slot of its own, above the spec's regions. */
#define ECAM_VADDR      0x5000000000ull
#define ECAM_FRAME_BITS 21           /* 2 MiB frames: 128 caps for the whole 256 MiB */
#define ECAM_BUS_BYTES  (1ull << 20) /* 32 devices x 8 functions x 4 KiB */
#define PAGE_BITS       12

_Static_assert(PCIE_DT_BUS_FIRST == 0, "enumeration starts at bus 0");
_Static_assert((1ull << M6_UNTYPED_ECAM_BITS) <= PCIE_DT_ECAM_SIZE,
               "the spec's ECAM untyped lies within the device tree's ECAM");
_Static_assert((1ull << M6_UNTYPED_ECAM_BITS) <= (1ull << 30), "the ECAM fits one 1 GiB slot");
_Static_assert(M6_UNTYPED_ECAM_BITS >= ECAM_FRAME_BITS, "at least one 2 MiB frame of ECAM");
#ifdef CAP_MEM32
_Static_assert(M6_UNTYPED_MEM32_PADDR == PCIE_DT_MEM32_CPU &&
                   (1ull << M6_UNTYPED_MEM32_BITS) <= PCIE_DT_MEM32_SIZE,
               "the spec's mem32 untyped is the start of the device tree's 32-bit window");
_Static_assert(PCIE_DT_MEM32_BUS == PCIE_DT_MEM32_CPU, "32-bit window: bus address = CPU address");
#endif
#ifdef CAP_MEM64
_Static_assert(M6_UNTYPED_MEM64_PADDR == PCIE_DT_MEM64_CPU &&
                   (1ull << M6_UNTYPED_MEM64_BITS) <= PCIE_DT_MEM64_SIZE,
               "the spec's mem64 untyped is the start of the device tree's 64-bit window");
_Static_assert(PCIE_DT_MEM64_BUS == PCIE_DT_MEM64_CPU, "64-bit window: bus address = CPU address");
#endif

static void say(const char *s)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, s);
}

static _Noreturn void fail(const char *why)
{
	say("pcie: ");
	say(why);
	say("\n");
	for (;;)
		m6_yield();
}

static void map_table(uint64_t vaddr, unsigned level)
{
	m6_cptr_t slot = m6_cap_alloc();
	if (slot == 0 ||
	    m6_untyped_retype(CAP_TABLES, M6_OBJ_PAGE_TABLE, 0, M6_CAP_SELF_CNODE, slot, 1))
		fail("cannot make a page table for the ECAM");
	uint64_t span = 1ull << (12 + 9 * (4 - level));
	uint64_t err = m6_page_table_map(slot, M6_CAP_SELF_VSPACE, vaddr & ~(span - 1), level);
	if (err && err != M6_ERR_DELETE_FIRST)
		fail("cannot map a page table for the ECAM");
}

/* Maps the ECAM untyped as 2 MiB device frames; returns how many buses it covers. */
static unsigned map_ecam(void)
{
	uint64_t bytes = 1ull << M6_UNTYPED_ECAM_BITS;
	map_table(ECAM_VADDR, 1);
	map_table(ECAM_VADDR, 2);
	for (uint64_t off = 0; off < bytes; off += 1ull << ECAM_FRAME_BITS) {
		m6_cptr_t frame = m6_cap_alloc();
		if (frame == 0 || m6_untyped_retype(CAP_ECAM, M6_OBJ_FRAME, ECAM_FRAME_BITS,
		                                    M6_CAP_SELF_CNODE, frame, 1))
			fail("cannot make frames of the ECAM untyped");
		if (m6_frame_map(frame, M6_CAP_SELF_VSPACE, ECAM_VADDR + off,
		                 M6_RIGHT_READ | M6_RIGHT_WRITE))
			fail("cannot map the ECAM");
	}
	uint64_t buses = bytes / ECAM_BUS_BYTES;
	return buses > 256 ? 256 : (unsigned)buses;
}

static volatile uint32_t *cfg(unsigned bus, unsigned dev, unsigned fn, unsigned offset)
{
	return (volatile uint32_t *)(uintptr_t)(ECAM_VADDR + ((uint64_t)bus << 20) +
	                                        ((uint64_t)dev << 15) + ((uint64_t)fn << 12) +
	                                        offset);
}

static uint32_t ecam_read(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned offset)
{
	(void)ctx;
	return *cfg(bus, dev, fn, offset);
}

static void ecam_write(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned offset,
                       uint32_t value)
{
	(void)ctx;
	*cfg(bus, dev, fn, offset) = value;
	/* A config write must reach the device before the next access that depends on it
	 * (a BAR read back while sizing, a bus number before a scan of that bus). */
	__asm__ volatile("dsb sy" ::: "memory");
}

static void put_dec(unsigned long v)
{
	char buf[24];
	unsigned n = sizeof buf;
	buf[--n] = 0;
	do {
		buf[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	say(buf + n);
}

static void put_hex(uint64_t v, unsigned digits)
{
	char buf[19];
	unsigned n = 0;
	for (unsigned i = digits; i-- > 0;)
		buf[n++] = "0123456789abcdef"[(v >> (4 * i)) & 0xf];
	buf[n] = 0;
	say(buf);
}

static struct pcie_result result;

#ifdef M6_PCI_BUS_ENDPOINT
/* ---- Handing drivers their devices ------------------------------------------------ */

/* A BAR is handed out as frames of one size (pcie_bar_frames: 4 KiB pages below 2 MiB,
 * 2 MiB frames from there on), at most PCIE_MAX_BAR_FRAMES of them, made by one retype
 * per 256 (the kernel's most per call) into consecutive slots. */
#define RETYPE_MAX 256u

/* The window untyped, split in halves down to each BAR it hands out: a binary tree of
 * untyped caps (the kernel retypes an untyped from its start, so the only way to reach a
 * BAR's address is to split the window around it). Each BAR's node is exactly its
 * naturally aligned size; at most (window bits - 12) levels, two caps each. */
struct unode {
	m6_cptr_t cap;
	uint64_t base;
	uint8_t bits;
	bool split, frames;
	uint16_t child; /* the first of two, when split */
};
#define MAX_NODES 1024u
static struct unode nodes[MAX_NODES];
static unsigned node_count;

struct fstate {
	uint64_t claimed_by;             /* badge; 0: free */
	m6_cptr_t frames[PCIE_MAX_BARS]; /* the first of the BAR's frame caps; 0: not made */
	m6_cptr_t msi_device;            /* bound to its requester ID, once MSI-X is asked for */
	bool msix_enabled;
	/* What making a BAR's frames, the MSI device or the IOSpace's untyped answered when it
	 * failed (0: it did not). Each takes from an untyped that gives nothing back (a
	 * failed MSI device's memory stays taken from the shared `untyped msi`): a driver
	 * that repeats the request gets the same answer, and the bus's untyped stays for
	 * everyone else. (Slots a failure leaves empty go back with m6_cap_free.) */
	uint64_t frames_err[PCIE_MAX_BARS];
	uint64_t msi_err, io_err;
	/* The function's 16 KiB of `untyped iospaces` (split off once, on its first
	 * IOSpace), and the IOSpace made from it (0: none now). A reset deletes the IOSpace;
	 * with nothing derived left, the untyped is whole again for the next one. */
	m6_cptr_t io_untyped;
	m6_cptr_t iospace;
};
static struct fstate fstate[PCIE_MAX_FUNCTIONS];

/* INTx: one handler per line of the interrupt-map, owned by the first function to ask. */
static const unsigned intx_intids[4][4] = PCIE_DT_INTX_INTIDS;
struct intx_line {
	unsigned intid;
	int owner; /* function index */
	m6_cptr_t handler;
};
static struct intx_line lines[16];
static unsigned line_count;

/* MSI-X vectors handed out: the handler of (function, vector), kept so that asking again
 * answers the same handler. */
struct msix_vector {
	int fi;
	unsigned vector;
	m6_cptr_t handler;
	uint32_t intid;
	uint64_t doorbell; /* what the table entry holds: written again after an FLR */
	uint32_t data;
};
#define MAX_MSIX_VECTORS 256u
static struct msix_vector msix_vectors[MAX_MSIX_VECTORS];
static unsigned msix_count;

/* The pages of MSI-X tables the bus maps to program them (its own copies of the frames it
 * hands out): from MSIX_VADDR on, in one 2 MiB span (one last-level table). A table in a
 * BAR handed out as 2 MiB frames is reached through its whole frame, one of the 2 MiB
 * slots from MSIX_BLOCK_VADDR on (a level-2 table of their own). */
#define MSIX_VADDR       0x6000000000ull
#define MAX_MSIX_PAGES   512u
#define MSIX_BLOCK_VADDR 0x6040000000ull
#define MAX_MSIX_BLOCKS  16u
static m6_cptr_t msix_pages[MAX_MSIX_PAGES];
static unsigned msix_page_count;
static m6_cptr_t msix_blocks[MAX_MSIX_BLOCKS];
static unsigned msix_block_count;

static const struct m6_pci_claim claims[M6_PCI_CLAIMS_COUNT > 0 ? M6_PCI_CLAIMS_COUNT : 1] =
    M6_PCI_CLAIMS;
static struct m6_idl_allow allow[M6_PCI_CLAIMS_COUNT > 0 ? M6_PCI_CLAIMS_COUNT : 1];

_Static_assert(PCIE_RULE_CLASS == M6_PCI_MATCH_CLASS && PCIE_RULE_VENDOR == M6_PCI_MATCH_VENDOR &&
                   PCIE_RULE_DEVICE == M6_PCI_MATCH_DEVICE,
               "the bus's rule kinds are the spec compiler's");

static int add_root(m6_cptr_t cap, uint64_t base, unsigned bits)
{
	if (node_count >= MAX_NODES)
		return -1;
	nodes[node_count] = (struct unode){.cap = cap, .base = base, .bits = (uint8_t)bits};
	return (int)node_count++;
}

/* The node of exactly [addr, addr + 2^bits) under root `n`, splitting on the way; -1 when
 * it lies outside, or a BAR's frames were made from an ancestor (cannot happen: BARs do
 * not overlap), or caps ran out. */
static int carve(int n, uint64_t addr, unsigned bits)
{
	if (addr < nodes[n].base || addr - nodes[n].base >= (1ull << nodes[n].bits) ||
	    bits > nodes[n].bits)
		return -1;
	while (nodes[n].bits > bits) {
		struct unode *u = &nodes[n];
		if (u->frames)
			return -1;
		if (!u->split) {
			unsigned half = u->bits - 1u;
			m6_cptr_t slots = node_count + 2 <= MAX_NODES ? m6_cap_alloc_run(2) : 0;
			if (!slots)
				return -1;
			if (m6_untyped_retype(u->cap, M6_OBJ_UNTYPED, half, M6_CAP_SELF_CNODE,
			                      slots, 2) != M6_OK) {
				m6_cap_free(slots);
				m6_cap_free(slots + 1);
				return -1;
			}
			u->child = (uint16_t)node_count;
			nodes[node_count++] =
			    (struct unode){.cap = slots, .base = u->base, .bits = (uint8_t)half};
			nodes[node_count++] = (struct unode){.cap = slots + 1,
			                                     .base = u->base + (1ull << half),
			                                     .bits = (uint8_t)half};
			u->split = true;
		}
		uint64_t half_size = 1ull << (u->bits - 1u);
		n = u->child + (addr - u->base >= half_size ? 1 : 0);
	}
	return nodes[n].split || nodes[n].frames || nodes[n].base != addr ? -1 : n;
}

static int root32 = -1, root64 = -1;

static void say_bdf(const struct pcie_function *f);

/* How many frames BAR `bar` of function `fi` is handed out as (0: none), their size in
 * *bits; 0 too for a BAR beyond PCIE_MAX_BAR_FRAMES (*too_large set). */
static unsigned bar_frames(int fi, unsigned bar, unsigned *bits, bool *too_large)
{
	uint64_t n = pcie_bar_frames(&result.functions[fi].bars[bar], bits);
	*too_large = n > PCIE_MAX_BAR_FRAMES;
	return *too_large ? 0 : (unsigned)n;
}

/* Make the frames of memory BAR `bar` of function `fi` (once). */
static uint64_t make_frames(int fi, unsigned bar)
{
	if (fstate[fi].frames[bar])
		return M6_OK;
	if (fstate[fi].frames_err[bar])
		return fstate[fi].frames_err[bar];
	const struct pcie_bar *b = &result.functions[fi].bars[bar];
	unsigned fbits;
	bool too_large;
	unsigned count = bar_frames(fi, bar, &fbits, &too_large);
	if (too_large) {
		/* Say why, so that whoever sees the driver fail knows what to change. */
		say("pcie: ");
		say_bdf(&result.functions[fi]);
		say(" bar");
		put_dec(bar);
		say(": more than 512 frames (1 GiB): the bus does not hand it out\n");
		return PCI_ERR_UNSUPPORTED;
	}
	if (count == 0)
		return PCI_ERR_NO_BAR;
	unsigned bits = fbits;
	while ((1ull << bits) < (uint64_t)count << fbits)
		bits++;
	int n = -1;
	if (root32 >= 0)
		n = carve(root32, b->addr, bits);
	if (n < 0 && root64 >= 0)
		n = carve(root64, b->addr, bits);
	if (n < 0) {
		/* Outside the windows the spec gave us, or the splits' slots ran out. */
		fstate[fi].frames_err[bar] = PCI_ERR_UNSUPPORTED;
		return PCI_ERR_UNSUPPORTED;
	}
	m6_cptr_t first = m6_cap_alloc_run(count);
	if (!first) {
		/* The CNode has no run of `count` free slots. */
		fstate[fi].frames_err[bar] = M6_ERR_NOT_ENOUGH_MEMORY;
		return M6_ERR_NOT_ENOUGH_MEMORY;
	}
	for (unsigned done = 0; done < count; done += RETYPE_MAX) {
		unsigned chunk = count - done < RETYPE_MAX ? count - done : RETYPE_MAX;
		if (m6_untyped_retype(nodes[n].cap, M6_OBJ_FRAME, fbits, M6_CAP_SELF_CNODE,
		                      first + done, chunk) != M6_OK) {
			/* Half a BAR is no use to a driver: the frames made go again. */
			for (unsigned i = 0; i < count; i++) {
				if (i < done)
					m6_cnode_delete(M6_CAP_SELF_CNODE, first + i,
					                M6_DEPTH_ROOT);
				m6_cap_free(first + i);
			}
			fstate[fi].frames_err[bar] = M6_ERR_NOT_ENOUGH_MEMORY;
			return M6_ERR_NOT_ENOUGH_MEMORY;
		}
	}
	nodes[n].frames = true;
	fstate[fi].frames[bar] = first;
	return M6_OK;
}

static const struct m6_pci_claim *claim_of(uint64_t badge)
{
	for (size_t i = 0; i < M6_PCI_CLAIMS_COUNT; i++) {
		if (claims[i].badge == badge)
			return &claims[i];
	}
	return NULL;
}

static struct pcie_rule rule_of(const struct m6_pci_claim *c)
{
	return (struct pcie_rule){c->kind, c->vendor, c->device, c->class_code};
}

/* The function `index` of the caller's rule, in *fi; the caller must hold it unless
 * `any`. */
static uint64_t lookup(uint64_t badge, uint32_t index, bool any, int *fi)
{
	const struct m6_pci_claim *c = claim_of(badge);
	if (!c) /* the generated server admits table badges only */
		return M6_ERR_INSUFFICIENT_RIGHTS;
	struct pcie_rule r = rule_of(c);
	int i = pcie_rule_nth(&r, &result, index);
	if (i < 0)
		return PCI_ERR_NO_DEVICE;
	if (!any && fstate[i].claimed_by != badge)
		return PCI_ERR_NOT_CLAIMED;
	*fi = i;
	return M6_OK;
}

static uint32_t cfg_of(int fi, unsigned offset)
{
	const struct pcie_function *f = &result.functions[fi];
	return ecam_read(NULL, f->bus, f->dev, f->fn, offset);
}

static void say_bdf(const struct pcie_function *f)
{
	put_hex(f->bus, 2);
	say(":");
	put_hex(f->dev, 2);
	say(".");
	put_hex(f->fn, 1);
}

static uint64_t op_count(void *state, uint64_t badge, uint32_t *functions)
{
	(void)state;
	const struct m6_pci_claim *c = claim_of(badge);
	if (!c)
		return M6_ERR_INSUFFICIENT_RIGHTS;
	struct pcie_rule r = rule_of(c);
	*functions = pcie_rule_count(&r, &result);
	return M6_OK;
}

static uint64_t op_claim(void *state, uint64_t badge, uint32_t index, struct pci_identity *id)
{
	(void)state;
	int fi;
	uint64_t err = lookup(badge, index, true, &fi);
	if (err != M6_OK)
		return err;
	const struct pcie_function *f = &result.functions[fi];
	enum pcie_claim_verdict v = pcie_claim(&fstate[fi].claimed_by, badge);
	if (v == PCIE_CLAIM_OTHER)
		return PCI_ERR_CLAIMED;
	if (v == PCIE_CLAIM_NEW) {
		say("pcie: badge ");
		put_dec(badge);
		say(" claims ");
		say_bdf(f);
		say("\n");
	}
	*id = (struct pci_identity){
	    .vendor = f->vendor,
	    .device = f->device,
	    .class_code = f->class_code,
	    .requester_id = (uint32_t)f->bus << 8 | (uint32_t)f->dev << 3 | f->fn,
	};
	for (unsigned b = 0; b < PCIE_MAX_BARS; b++) {
		if (f->bars[b].kind != PCIE_BAR_NONE)
			id->bars |= 1u << b;
	}
	unsigned pin = (cfg_of(fi, 0x3c) >> 8) & 0xffu;
	id->interrupt_pin = pin <= 4 ? pin : 0;
	struct pcie_msix m;
	if (f->cap_msix &&
	    pcie_msix_decode(f, cfg_of(fi, f->cap_msix), cfg_of(fi, f->cap_msix + 4u),
	                     cfg_of(fi, f->cap_msix + 8u), &m)) {
		id->msix_vectors = m.vectors;
		id->msix_table_bar = m.table_bar;
		id->msix_table_offset = m.table_offset;
		id->msix_pba_bar = m.pba_bar;
		id->msix_pba_offset = m.pba_offset;
	}
	return M6_OK;
}

static uint64_t op_bar(void *state, uint64_t badge, uint32_t index, uint32_t bar,
                       struct pci_bar_info *info)
{
	(void)state;
	int fi;
	uint64_t err = lookup(badge, index, false, &fi);
	if (err != M6_OK)
		return err;
	if (bar >= PCIE_MAX_BARS || result.functions[fi].bars[bar].kind == PCIE_BAR_NONE)
		return PCI_ERR_NO_BAR;
	const struct pcie_bar *b = &result.functions[fi].bars[bar];
	unsigned bits;
	uint64_t frames = pcie_bar_frames(b, &bits);
	*info = (struct pci_bar_info){
	    .kind = b->kind == PCIE_BAR_MEM32   ? PCI_BAR_KIND_MEM32
	            : b->kind == PCIE_BAR_MEM64 ? PCI_BAR_KIND_MEM64
	                                        : PCI_BAR_KIND_IO,
	    .prefetchable = b->prefetchable,
	    .address = b->addr,
	    .size = b->size,
	    /* Beyond PCIE_MAX_BAR_FRAMES the count still tells the truth (bar_frame
	     * answers unsupported). */
	    .frames = frames > UINT32_MAX ? UINT32_MAX : (uint32_t)frames,
	    .frame_bits = bits,
	};
	return M6_OK;
}

static uint64_t op_bar_frame(void *state, uint64_t badge, uint32_t index, uint32_t bar, uint32_t n,
                             m6_cptr_t *frame)
{
	(void)state;
	int fi;
	uint64_t err = lookup(badge, index, false, &fi);
	if (err != M6_OK)
		return err;
	if (bar >= PCIE_MAX_BARS)
		return PCI_ERR_NO_BAR;
	unsigned bits;
	uint64_t frames = pcie_bar_frames(&result.functions[fi].bars[bar], &bits);
	if (frames == 0)
		return PCI_ERR_NO_BAR;
	if (n >= frames)
		return M6_ERR_RANGE;
	err = make_frames(fi, bar);
	if (err != M6_OK)
		return err;
	*frame = fstate[fi].frames[bar] + n;
	return M6_OK;
}

#if defined(CAP_IRQ_CONTROL) && defined(CAP_MSI)
/* The bus's mapping of the page of memory BAR `bar` at `offset` (its own frame cap: the
 * driver holds a copy), made once; NULL when it cannot be made. */
static volatile uint32_t *map_bar_page(int fi, unsigned bar, uint64_t offset)
{
	if (make_frames(fi, bar) != M6_OK)
		return NULL;
	unsigned fbits;
	pcie_bar_frames(&result.functions[fi].bars[bar], &fbits);
	if (fbits != PAGE_BITS) {
		m6_cptr_t block = fstate[fi].frames[bar] + (m6_cptr_t)(offset >> fbits);
		unsigned i = 0;
		while (i < msix_block_count && msix_blocks[i] != block)
			i++;
		if (i == msix_block_count) {
			if (msix_block_count == MAX_MSIX_BLOCKS)
				return NULL;
			if (msix_block_count == 0) {
				map_table(MSIX_BLOCK_VADDR, 1);
				map_table(MSIX_BLOCK_VADDR, 2);
			}
			if (m6_frame_map(block, M6_CAP_SELF_VSPACE,
			                 MSIX_BLOCK_VADDR + ((uint64_t)i << fbits),
			                 M6_RIGHT_READ | M6_RIGHT_WRITE) != M6_OK)
				return NULL;
			msix_blocks[msix_block_count++] = block;
		}
		return (volatile uint32_t *)(uintptr_t)(MSIX_BLOCK_VADDR + ((uint64_t)i << fbits) +
		                                        (offset & ((1ull << fbits) - 1)));
	}
	m6_cptr_t frame = fstate[fi].frames[bar] + (m6_cptr_t)(offset >> PAGE_BITS);
	unsigned i = 0;
	while (i < msix_page_count && msix_pages[i] != frame)
		i++;
	if (i == msix_page_count) {
		if (msix_page_count == MAX_MSIX_PAGES)
			return NULL;
		if (msix_page_count == 0) {
			map_table(MSIX_VADDR, 1);
			map_table(MSIX_VADDR, 2);
			map_table(MSIX_VADDR, 3);
		}
		if (m6_frame_map(frame, M6_CAP_SELF_VSPACE, MSIX_VADDR + ((uint64_t)i << PAGE_BITS),
		                 M6_RIGHT_READ | M6_RIGHT_WRITE) != M6_OK)
			return NULL;
		msix_pages[msix_page_count++] = frame;
	}
	return (volatile uint32_t *)(uintptr_t)(MSIX_VADDR + ((uint64_t)i << PAGE_BITS) +
	                                        (offset & ((1u << PAGE_BITS) - 1)));
}

/* Table entry `entry` to send `data` to `doorbell`: masked while the address and data
 * change, then unmasked (the handler itself starts masked until the driver acks it). */
static void msix_program(volatile uint32_t *entry, uint64_t doorbell, uint32_t data)
{
	entry[3] |= 1u;
	entry[0] = (uint32_t)doorbell;
	entry[1] = (uint32_t)(doorbell >> 32);
	entry[2] = data;
	__asm__ volatile("dsb sy" ::: "memory");
	entry[3] &= ~1u;
}

/* MSI-X on (function mask off) and INTx off for function `fi`: at its first vector, and
 * again at the first one a driver asks for after a reset (op_reset turns MSI-X off). */
static void msix_enable(int fi)
{
	const struct pcie_function *f = &result.functions[fi];
	if (fstate[fi].msix_enabled)
		return;
	uint32_t control = cfg_of(fi, f->cap_msix);
	ecam_write(NULL, f->bus, f->dev, f->fn, f->cap_msix, (control | 1u << 31) & ~(1u << 30));
	ecam_write(NULL, f->bus, f->dev, f->fn, 4, (cfg_of(fi, 4) & 0xffffu) | 1u << 10);
	fstate[fi].msix_enabled = true;
}

/* MSI-X vector `vector` of function `fi`: an LPI through the ITS (an MSI device bound to
 * the function's requester ID, docs/abi.md "MSIs"), its table entry programmed by the bus
 * (a driver never chooses an MSI address), MSI-X enabled and INTx disabled. */
static uint64_t msix_vector(int fi, uint32_t vector, m6_cptr_t *handler, uint32_t *intid)
{
	const struct pcie_function *f = &result.functions[fi];
	struct pcie_msix m;
	if (!f->cap_msix ||
	    !pcie_msix_decode(f, cfg_of(fi, f->cap_msix), cfg_of(fi, f->cap_msix + 4u),
	                      cfg_of(fi, f->cap_msix + 8u), &m) ||
	    vector >= m.vectors)
		return PCI_ERR_NO_INTERRUPT;
	for (unsigned i = 0; i < msix_count; i++) {
		if (msix_vectors[i].fi == fi && msix_vectors[i].vector == vector) {
			/* A restarted driver asks again for what it had: the reset turned MSI-X
			 * off, and an FLR cleared the table entry too: write it again. */
			volatile uint32_t *entry =
			    map_bar_page(fi, m.table_bar, m.table_offset + 16ull * vector);
			if (!entry)
				return M6_ERR_NOT_ENOUGH_MEMORY;
			msix_program(entry, msix_vectors[i].doorbell, msix_vectors[i].data);
			msix_enable(fi);
			*handler = msix_vectors[i].handler;
			*intid = msix_vectors[i].intid;
			return M6_OK;
		}
	}
	if (msix_count == MAX_MSIX_VECTORS)
		return M6_ERR_NOT_ENOUGH_MEMORY;
	uint64_t err;
	if (!fstate[fi].msi_device) {
		if (fstate[fi].msi_err)
			return fstate[fi].msi_err;
		unsigned bits = 1;
		while ((1u << bits) < m.vectors)
			bits++;
		m6_cptr_t dev = m6_cap_alloc();
		if (!dev)
			return M6_ERR_NOT_ENOUGH_MEMORY;
		err =
		    m6_untyped_retype(CAP_MSI, M6_OBJ_MSI_DEVICE, bits, M6_CAP_SELF_CNODE, dev, 1);
		if (err == M6_OK) {
			uint32_t rid = (uint32_t)f->bus << 8 | (uint32_t)f->dev << 3 | f->fn;
			err = m6_irq_control_msi_bind(CAP_IRQ_CONTROL, dev, rid, NULL);
			if (err != M6_OK)
				m6_cnode_delete(M6_CAP_SELF_CNODE, dev, M6_DEPTH_ROOT);
		}
		if (err != M6_OK) {
			m6_cap_free(dev);
			fstate[fi].msi_err = err;
			return err;
		}
		fstate[fi].msi_device = dev;
	}
	volatile uint32_t *entry = map_bar_page(fi, m.table_bar, m.table_offset + 16ull * vector);
	if (!entry)
		return M6_ERR_NOT_ENOUGH_MEMORY;
	m6_cptr_t slot = m6_cap_alloc();
	if (!slot)
		return M6_ERR_NOT_ENOUGH_MEMORY;
	uint64_t doorbell, data, lpi;
	err = m6_irq_control_get_msi(CAP_IRQ_CONTROL, fstate[fi].msi_device, vector,
	                             M6_CAP_SELF_CNODE, slot, &doorbell, &data, &lpi);
	if (err != M6_OK) {
		m6_cap_free(slot);
		return err;
	}
	msix_program(entry, doorbell, (uint32_t)data);
	msix_enable(fi);
	msix_vectors[msix_count++] =
	    (struct msix_vector){fi, vector, slot, (uint32_t)lpi, doorbell, (uint32_t)data};
	*handler = slot;
	*intid = (uint32_t)lpi;
	return M6_OK;
}
#endif

static uint64_t op_interrupt(void *state, uint64_t badge, uint32_t index, uint32_t kind,
                             uint32_t vector, m6_cptr_t *handler, uint32_t *intid)
{
	(void)state;
	int fi;
	uint64_t err = lookup(badge, index, false, &fi);
	if (err != M6_OK)
		return err;
	if (kind == PCI_IRQ_KIND_MSIX) {
#if defined(CAP_IRQ_CONTROL) && defined(CAP_MSI)
		return msix_vector(fi, vector, handler, intid);
#else
		return PCI_ERR_UNSUPPORTED; /* no `untyped msi` or `syscap irq_control` */
#endif
	}
	if (kind != PCI_IRQ_KIND_INTX)
		return M6_ERR_INVALID_ARGUMENT;
	const struct pcie_function *f = &result.functions[fi];
	unsigned pin = (cfg_of(fi, 0x3c) >> 8) & 0xffu, root_dev, root_pin;
	if (vector != 0 || !pcie_intx_route(&result, f, pin, &root_dev, &root_pin))
		return PCI_ERR_NO_INTERRUPT;
	unsigned id = intx_intids[root_dev % 4][root_pin - 1];
	unsigned l = 0;
	while (l < line_count && lines[l].intid != id)
		l++;
	if (l < line_count && lines[l].owner != fi)
		return PCI_ERR_SHARED;
	if (l == line_count) {
#ifndef CAP_IRQ_CONTROL
		return PCI_ERR_UNSUPPORTED; /* the spec gave the bus no `syscap irq_control` */
#else
		if (line_count == sizeof lines / sizeof lines[0])
			return M6_ERR_NOT_ENOUGH_MEMORY;
		m6_cptr_t slot = m6_cap_alloc();
		if (!slot)
			return M6_ERR_NOT_ENOUGH_MEMORY;
		err =
		    m6_irq_control_get(CAP_IRQ_CONTROL, id, 0 /* level */, M6_CAP_SELF_CNODE, slot);
		if (err != M6_OK) {
			m6_cap_free(slot);
			return err;
		}
		lines[line_count++] = (struct intx_line){id, fi, slot};
#endif
	}
	if (!fstate[fi].msix_enabled) {
		/* A reset masked INTx: the driver asking for it again wants it. */
		uint32_t cmd = cfg_of(fi, 4) & 0xffffu;
		if (cmd & 1u << 10)
			ecam_write(NULL, f->bus, f->dev, f->fn, 4, cmd & ~(1u << 10));
	}
	*handler = lines[l].handler;
	*intid = id;
	return M6_OK;
}

static uint64_t op_config_read(void *state, uint64_t badge, uint32_t index, uint32_t offset,
                               uint32_t *value)
{
	(void)state;
	int fi;
	uint64_t err = lookup(badge, index, false, &fi);
	if (err != M6_OK)
		return err;
	if (pcie_config_read_check(offset) != PCIE_CFG_OK)
		return M6_ERR_RANGE;
	*value = cfg_of(fi, offset);
	return M6_OK;
}

static uint64_t op_config_write(void *state, uint64_t badge, uint32_t index, uint32_t offset,
                                uint32_t value)
{
	(void)state;
	int fi;
	uint64_t err = lookup(badge, index, false, &fi);
	if (err != M6_OK)
		return err;
	const struct pcie_function *f = &result.functions[fi];
	uint32_t out;
	switch (pcie_config_write_check(f, offset, offset < 4096 ? cfg_of(fi, offset & ~3u) : 0,
	                                value, &out)) {
	case PCIE_CFG_OK:
		ecam_write(NULL, f->bus, f->dev, f->fn, offset, out);
		return M6_OK;
	case PCIE_CFG_RANGE:
		return M6_ERR_RANGE;
	default:
		/* Logged: a driver writing there is broken or hostile, and the log says which. */
		say("pcie: config write refused: ");
		say_bdf(f);
		say(" offset 0x");
		put_hex(offset, 3);
		say(" value 0x");
		put_hex(value, 8);
		say("\n");
		return PCI_ERR_REFUSED;
	}
}

/* Revoke every copy of `cap` the bus handed out (the original stays). */
static void take_back(m6_cptr_t cap)
{
	m6_cnode_revoke(M6_CAP_SELF_CNODE, cap, M6_DEPTH_ROOT);
}

/* Waiting out a reset: on the bus's Timer when its spec gives it one (`timer clock` and
 * `notification sleep`), else on the system counter, yielding (bounded by the time, at
 * the cost of its CPU for that long: the spec should give the bus the timer). */
#if defined(CAP_CLOCK) && defined(CAP_SLEEP)
static struct m6_timer clock;
static bool clock_ready;
#endif

static void wait_ms(unsigned ms)
{
#if defined(CAP_CLOCK) && defined(CAP_SLEEP)
	if (!clock_ready && m6_timer_init(&clock, CAP_CLOCK, CAP_SLEEP, 1) == M6_OK)
		clock_ready = true;
	if (clock_ready) {
		m6_sleep_ms(&clock, ms);
		return;
	}
#endif
	uint64_t until = m6_time_ns() + (uint64_t)ms * 1000000ull;
	while (m6_time_ns() < until)
		m6_yield();
}

/* A Function Level Reset of function `fi`, when its PCI Express capability offers one
 * (an endpoint's only: a bridge's state is the bus's, and is never reset here). Bus
 * mastering is off already. Returns whether it was done. */
static bool function_level_reset(int fi)
{
	const struct pcie_function *f = &result.functions[fi];
	unsigned cap = f->cap_pcie;
	if (!cap || f->header_type != 0 || !pcie_flr_capable(cfg_of(fi, cap + 4u)))
		return false;
	/* Transactions Pending (Device Status bit 5): requests the function issued before
	 * bus mastering went off may still be completing. Give them up to 100 ms; the spec
	 * lets the reset go ahead after that (their completions are then discarded). */
	for (unsigned i = 0; i < 10 && (cfg_of(fi, cap + 8u) & 1u << 21); i++)
		wait_ms(10);
	ecam_write(NULL, f->bus, f->dev, f->fn, cap + 8u, pcie_flr_start(cfg_of(fi, cap + 8u)));
	/* PCIe: software may not expect the function to answer for 100 ms after an FLR. */
	wait_ms(100);
	/* A slower function answers config reads with all ones (or a retry) for a while
	 * longer: up to 1 s more, then it is restored anyway and its driver finds out. */
	for (unsigned i = 0; i < 10 && (cfg_of(fi, 0) & 0xffffu) != f->vendor; i++)
		wait_ms(100);
	struct pcie_cfg_write w[PCIE_FLR_MAX_WRITES];
	size_t n = pcie_flr_restore(f, w);
	for (size_t i = 0; i < n; i++)
		ecam_write(NULL, f->bus, f->dev, f->fn, w[i].offset, w[i].value);
	fstate[fi].msix_enabled = false; /* the FLR cleared MSI-X enable and the table */
	return true;
}

static uint64_t op_reset(void *state, uint64_t badge, uint32_t index)
{
	(void)state;
	int fi;
	uint64_t err = lookup(badge, index, false, &fi);
	if (err != M6_OK)
		return err;
	const struct pcie_function *f = &result.functions[fi];
	/* First stop the device (no more DMA, no more interrupts), then take the caps. */
	uint32_t cmd = cfg_of(fi, 4) & 0xffffu;
	ecam_write(NULL, f->bus, f->dev, f->fn, 4, (cmd & ~(1u << 2)) | 1u << 10);
	if (f->cap_msix) {
		uint32_t control = cfg_of(fi, f->cap_msix);
		ecam_write(NULL, f->bus, f->dev, f->fn, f->cap_msix,
		           (control | 1u << 30) & ~(1u << 31));
		fstate[fi].msix_enabled = false;
	}
	for (unsigned b = 0; b < PCIE_MAX_BARS; b++) {
		unsigned bits;
		bool too_large;
		unsigned frames = fstate[fi].frames[b] ? bar_frames(fi, b, &bits, &too_large) : 0;
		for (unsigned p = 0; p < frames; p++)
			take_back(fstate[fi].frames[b] + p);
	}
#if defined(CAP_IRQ_CONTROL) && defined(CAP_MSI)
	for (unsigned i = 0; i < msix_count; i++) {
		if (msix_vectors[i].fi == fi)
			take_back(msix_vectors[i].handler);
	}
#endif
	for (unsigned l = 0; l < line_count; l++) {
		if (lines[l].owner == fi)
			take_back(lines[l].handler);
	}
	if (fstate[fi].iospace) {
		/* Deleting the last cap unbinds the stream before it returns: from here the
		 * device reaches nothing, whatever mapping caps its driver still holds. */
		take_back(fstate[fi].iospace);
		m6_cnode_delete(M6_CAP_SELF_CNODE, fstate[fi].iospace, M6_DEPTH_ROOT);
		m6_cap_free(fstate[fi].iospace);
		fstate[fi].iospace = 0;
	}
	/* Nobody holds the device any more: now reset it, if it can be. */
	bool flr = function_level_reset(fi);
	say("pcie: badge ");
	put_dec(badge);
	say(" resets ");
	say_bdf(f);
	say(flr ? " (function level reset)\n" : " (stopped: no FLR)\n");
	return M6_OK;
}

#if defined(CAP_IOSPACE_CONTROL) && defined(CAP_IOSPACES) && defined(CAP_FAULTS)
#define IOSPACE_BITS 14 /* an IOSpace is 16 KiB (docs/kernel.md, "IOSpaces") */
static bool smmu_present;

static uint32_t rid_of(const struct pcie_function *f)
{
	return (uint32_t)f->bus << 8 | (uint32_t)f->dev << 3 | f->fn;
}

static uint64_t op_iospace(void *state, uint64_t badge, uint32_t index, m6_cptr_t *iospace)
{
	(void)state;
	int fi;
	uint64_t err = lookup(badge, index, false, &fi);
	if (err != M6_OK)
		return err;
	if (!smmu_present)
		return PCI_ERR_UNSUPPORTED;
	struct fstate *st = &fstate[fi];
	if (!st->iospace) {
		if (st->io_err)
			return st->io_err;
		if (!st->io_untyped) {
			m6_cptr_t ut = m6_cap_alloc();
			if (!ut)
				return M6_ERR_NOT_ENOUGH_MEMORY;
			err = m6_untyped_retype(CAP_IOSPACES, M6_OBJ_UNTYPED, IOSPACE_BITS,
			                        M6_CAP_SELF_CNODE, ut, 1);
			if (err != M6_OK) {
				/* `untyped iospaces` too small for this many functions */
				m6_cap_free(ut);
				st->io_err = err;
				return err;
			}
			st->io_untyped = ut;
		}
		/* The IOSpace is made from the function's own untyped, whole again once the
		 * last one is deleted: a failure here takes nothing for good, and its slot
		 * goes back. */
		m6_cptr_t io = m6_cap_alloc();
		if (!io)
			return M6_ERR_NOT_ENOUGH_MEMORY;
		err =
		    m6_untyped_retype(st->io_untyped, M6_OBJ_IOSPACE, 0, M6_CAP_SELF_CNODE, io, 1);
		if (err == M6_OK) {
			err = m6_iospace_control_bind(CAP_IOSPACE_CONTROL, io,
			                              rid_of(&result.functions[fi]));
			if (err != M6_OK)
				m6_cnode_delete(M6_CAP_SELF_CNODE, io, M6_DEPTH_ROOT);
		}
		if (err != M6_OK) {
			m6_cap_free(io);
			return err == M6_ERR_ILLEGAL_OPERATION ? PCI_ERR_UNSUPPORTED : err;
		}
		st->iospace = io;
		say("pcie: badge ");
		put_dec(badge);
		say(" gets an IOSpace for ");
		say_bdf(&result.functions[fi]);
		say(" (stream 0x");
		put_hex(rid_of(&result.functions[fi]), 4);
		say(")\n");
	}
	*iospace = st->iospace;
	return M6_OK;
}

static const char *fault_name(uint64_t type)
{
	switch (type) {
	case M6_IO_FAULT_BAD_STREAM:
		return "a stream beyond the SMMU's table";
	case M6_IO_FAULT_NOT_BOUND:
		return "no IOSpace";
	case M6_IO_FAULT_TRANSLATION:
		return "nothing mapped";
	case M6_IO_FAULT_PERMISSION:
		return "a read-only mapping";
	default:
		return "an SMMU fault";
	}
}

/* The SMMU reported DMA the IOSpaces did not allow: name the device, so whoever reads
 * the log knows which function (and, through the claim, which driver) misbehaved. The
 * driver learns it from its IOSpace's own notification. */
static void on_faults(void *state, uint64_t word)
{
	(void)state;
	(void)word;
	struct m6_io_fault_info f;
	if (m6_iospace_control_read_fault(CAP_IOSPACE_CONTROL, &f) != M6_OK || f.count == 0)
		return;
	say("pcie: DMA fault: ");
	int fi = -1;
	for (size_t i = 0; i < result.count && fi < 0; i++) {
		if (rid_of(&result.functions[i]) == f.stream_id)
			fi = (int)i;
	}
	if (fi >= 0) {
		const struct pcie_function *dev = &result.functions[fi];
		say_bdf(dev);
		say(" (");
		put_hex(dev->vendor, 4);
		say(":");
		put_hex(dev->device, 4);
		say(")");
		if (fstate[fi].claimed_by) {
			say(", claimed by badge ");
			put_dec(fstate[fi].claimed_by);
		}
	} else {
		say("stream ");
		put_hex(f.stream_id, 4);
		say(" (no function of that requester ID)");
	}
	say(f.flags & M6_IO_FAULT_WRITE ? ": write to iova 0x" : ": read from iova 0x");
	put_hex(f.iova, 12);
	say(" blocked (");
	say(fault_name(f.type));
	say("), ");
	put_dec(f.count);
	say(" event(s)\n");
}

static void setup_iospaces(void)
{
	uint64_t streams = 0, doorbell = 0;
	if (m6_iospace_control_info(CAP_IOSPACE_CONTROL, &streams, &doorbell) != M6_OK ||
	    streams == 0) {
		say("pcie: no SMMU: drivers' devices DMA to physical addresses, unchecked\n");
		return;
	}
	m6_cptr_t signal = m6_cap_mint(CAP_FAULTS, M6_RIGHT_WRITE, 1);
	if (!signal || m6_tcb_bind_notification(M6_CAP_SELF_TCB, CAP_FAULTS) != M6_OK ||
	    m6_iospace_control_set_notification(CAP_IOSPACE_CONTROL, signal) != M6_OK)
		fail("cannot take the SMMU's fault signals");
	smmu_present = true;
}
#else
static uint64_t op_iospace(void *state, uint64_t badge, uint32_t index, m6_cptr_t *iospace)
{
	(void)state;
	(void)iospace;
	int fi;
	uint64_t err = lookup(badge, index, false, &fi);
	/* No `syscap iospace_control` (with `untyped iospaces` and `notification faults`):
	 * the bus cannot give the device an IOSpace. */
	return err != M6_OK ? err : PCI_ERR_UNSUPPORTED;
}
#endif

static const struct pci_ops ops = {
    .count = op_count,
    .claim = op_claim,
    .bar = op_bar,
    .bar_frame = op_bar_frame,
    .interrupt = op_interrupt,
    .config_read = op_config_read,
    .config_write = op_config_write,
    .reset = op_reset,
    .iospace = op_iospace,
};

static _Noreturn void serve(void)
{
#ifdef CAP_MEM32
	root32 = add_root(CAP_MEM32, M6_UNTYPED_MEM32_PADDR, M6_UNTYPED_MEM32_BITS);
#endif
#ifdef CAP_MEM64
	root64 = add_root(CAP_MEM64, M6_UNTYPED_MEM64_PADDR, M6_UNTYPED_MEM64_BITS);
#endif
	for (size_t i = 0; i < M6_PCI_CLAIMS_COUNT; i++)
		allow[i] = (struct m6_idl_allow){claims[i].badge, claims[i].badge, PCI_METHODS_ALL};
	struct pci_server server = {
	    .ops = &ops,
	    .allow = allow,
	    .allow_count = M6_PCI_CLAIMS_COUNT,
	};
#if defined(CAP_IOSPACE_CONTROL) && defined(CAP_IOSPACES) && defined(CAP_FAULTS)
	setup_iospaces();
	server.on_notification = on_faults;
#endif
	pci_serve(M6_PCI_BUS_ENDPOINT, &server);
}
#endif

int main(void)
{
	struct pcie_config config = {
	    .bus_count = map_ecam(),
	    .mem32 = {PCIE_DT_MEM32_BUS, PCIE_DT_MEM32_SIZE},
	    .pref64 = {PCIE_DT_MEM64_BUS, PCIE_DT_MEM64_SIZE},
	    .io = {PCIE_DT_IO_BUS, PCIE_DT_IO_SIZE},
	};
	/* With the windows as untyped, assign only what can be handed out as frames. */
#ifdef CAP_MEM32
	config.mem32.size = 1ull << M6_UNTYPED_MEM32_BITS;
#endif
#ifdef CAP_MEM64
	config.pref64.size = 1ull << M6_UNTYPED_MEM64_BITS;
#endif
	const struct pcie_ops ops_ecam = {NULL, ecam_read, ecam_write};
	pcie_enumerate(&ops_ecam, &config, &result);

	char line[200];
	for (size_t i = 0; i < result.count; i++) {
		pcie_format_function(&result.functions[i], line, sizeof line);
		say("pcie: ");
		say(line);
		say("\n");
	}
	for (size_t i = 0; i < result.problem_count; i++) {
		pcie_format_problem(&result.problems[i], line, sizeof line);
		say("pcie: refused ");
		say(line);
		say("\n");
	}
	say("pcie: ");
	put_dec(result.count);
	say(" functions on buses 0-");
	put_dec(result.last_bus);
	say(" of ");
	put_dec(config.bus_count);
	say(", ");
	put_dec(result.problem_count + result.problems_dropped);
	say(" refused\n");
#ifdef M6_PCI_BUS_ENDPOINT
	serve();
#else
	(void)put_hex;
#ifdef CAP_POWER
	m6_power_off(CAP_POWER);
#endif
	return 0;
#endif
}
