/* What the PCIe bus component lets a driver have (docs/devices.md, "Handing a driver its
 * device"): which functions a claim rule matches, where a function's INTx line arrives at
 * the host bridge, what a driver may write to config space, and where its MSI-X table is.
 *
 * Plain C11 with no m6 calls, like pcie_enum.c: tested on the host (unit.pcie_policy)
 * and fuzzed (fuzz.host.fuzz_pcie reaches it through the same config bytes). */
#ifndef M6_PCIE_POLICY_H
#define M6_PCIE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "pcie_enum.h"

/* What a claim rule matches (the values of <m6/spec_tables.h>'s M6_PCI_MATCH_*). */
enum pcie_rule_kind { PCIE_RULE_CLASS = 1, PCIE_RULE_VENDOR = 2, PCIE_RULE_DEVICE = 3 };

struct pcie_rule {
	uint32_t kind; /* enum pcie_rule_kind; anything else matches nothing */
	uint32_t vendor, device, class_code;
};

/* Whether `f` is one a driver may claim with `r`: bridges and the host bridge (class
 * 06 00 xx) are the bus's own and match no rule. */
bool pcie_rule_matches(const struct pcie_rule *r, const struct pcie_function *f);

/* How many of res's functions `r` matches; the index (in res->functions) of the
 * `nth` one in enumeration order, or -1. */
unsigned pcie_rule_count(const struct pcie_rule *r, const struct pcie_result *res);
int pcie_rule_nth(const struct pcie_rule *r, const struct pcie_result *res, unsigned nth);

/* Claiming a function whose holder is *holder (0: free) for `badge`: NEW (now held by
 * `badge`), AGAIN (it held it already: a restarted driver asks again), OTHER (another
 * badge holds it: refused, *holder unchanged). Badge 0 is never a claimant (OTHER). */
enum pcie_claim_verdict { PCIE_CLAIM_NEW, PCIE_CLAIM_AGAIN, PCIE_CLAIM_OTHER };
enum pcie_claim_verdict pcie_claim(uint64_t *holder, uint64_t badge);

/* INTx: pin (1..4: INTA..INTD) of `f` as it arrives at the host bridge. Each PCI-PCI
 * bridge on the way swizzles it by the device number below it ((pin - 1 + dev) % 4 + 1);
 * returns false when the pin is not 1..4 or a bridge above `f` is not in `res`. On
 * success *root_dev is the device number on bus 0 the line comes from and *root_pin its
 * pin there: the host bridge's interrupt-map takes it from there. */
bool pcie_intx_route(const struct pcie_result *res, const struct pcie_function *f, unsigned pin,
                     unsigned *root_dev, unsigned *root_pin);

/* The MSI-X capability as the driver needs it, decoded from its three dwords (message
 * control in the upper half of the first; table and PBA offset/BIR). false: no MSI-X,
 * or a table or PBA that is not inside a memory BAR of `f` (a device that lies about it
 * gets no MSI-X). */
struct pcie_msix {
	unsigned vectors; /* table size: 1..2048 */
	unsigned table_bar, pba_bar;
	uint64_t table_offset, pba_offset;
};
bool pcie_msix_decode(const struct pcie_function *f, uint32_t cap0, uint32_t table, uint32_t pba,
                      struct pcie_msix *out);

/* Config space access by a driver (offset in its function's 4 KiB). */
enum pcie_cfg_verdict {
	PCIE_CFG_OK,      /* do it (a write: with *out, the value to write) */
	PCIE_CFG_RANGE,   /* not 4-aligned, or beyond 4 KiB */
	PCIE_CFG_REFUSED, /* a write the bus does not let a driver make */
};
enum pcie_cfg_verdict pcie_config_read_check(unsigned offset);
/* A write of `value` at `offset` where the register now holds `old`: refused in the
 * header (BARs, bus numbers, windows, expansion ROM, interrupt line: the bus assigned
 * them) but for the command/status dword, where only bus mastering and INTx disable may
 * change (status bits are write-one-to-clear: passed on); refused in the MSI capability
 * and in the MSI-X capability but for its enable and function-mask bits (an MSI address
 * is a DMA write the bus must choose: with the ITS); refused when it sets Device
 * Control's Initiate FLR (PCI Express capability + 8, bit 15) or changes the PM
 * capability's PowerState (+ 4, bits 1:0), both of which stop the BARs decoding (resets
 * go through the bus's reset); refused anywhere in extended config space (from 0x100:
 * SR-IOV, Resizable BAR...). Elsewhere (the rest of the other capabilities) allowed. */
enum pcie_cfg_verdict pcie_config_write_check(const struct pcie_function *f, unsigned offset,
                                              uint32_t old, uint32_t value, uint32_t *out);

/* How a memory BAR is handed out (pci.idl's bar_frame): as frames of one size, 4 KiB
 * pages below 2 MiB, 2 MiB frames from 2 MiB on (a driver maps them as block mappings,
 * and a big BAR takes few calls and few caps). BARs are naturally aligned and sized, so
 * the frames tile the BAR exactly. The bus holds every frame of a BAR it hands out in its
 * own CNode (consecutive slots): PCIE_MAX_BAR_FRAMES bounds one BAR (1 GiB of 2 MiB
 * frames, the whole 64-bit window the specs give the bus), so a BAR cannot exhaust a
 * `cnode_bits 11` bus; beyond it the bus answers `unsupported`. */
#define PCIE_PAGE_BITS      12
#define PCIE_BLOCK_BITS     21
#define PCIE_MAX_BAR_FRAMES 512u

/* The number of frames BAR `b` is handed out as (0: an I/O BAR or none), their size in
 * *bits (0 with no frames). A memory BAR below a page still takes one whole page (the
 * enumerator gives it one). */
uint64_t pcie_bar_frames(const struct pcie_bar *b, unsigned *bits);

/* Function Level Reset (PCI Express capability, at f->cap_pcie): whether Device
 * Capabilities (cap + 4) offers it (bit 28), and the dword to write at cap + 8 to start
 * it (Device Control's Initiate FLR, bit 15) given what that dword holds now: Device
 * Control kept, Device Status written 0 (its bits are write-one-to-clear). */
bool pcie_flr_capable(uint32_t devcap);
uint32_t pcie_flr_start(uint32_t devctl_devsta);

/* What the bus writes back after an FLR returned `f` to its reset values, in order: the
 * address of every assigned BAR (both halves of a 64-bit one), then the command register
 * of a stopped function (memory and I/O decoding for the BARs it has, bus mastering off,
 * INTx disabled; the driver's m6_pci_open turns bus mastering on). Endpoints only (header
 * type 0): returns 0 for a bridge. */
struct pcie_cfg_write {
	unsigned offset;
	uint32_t value;
};
#define PCIE_FLR_MAX_WRITES (PCIE_MAX_BARS + 1)
size_t pcie_flr_restore(const struct pcie_function *f,
                        struct pcie_cfg_write out[PCIE_FLR_MAX_WRITES]);

#endif
