/* PCIe enumeration: walks the buses behind a host bridge, numbers the bridges, sizes and
 * assigns every BAR from the host bridge's windows, programs the bridges' windows and
 * enables each function (docs/devices.md).
 *
 * Plain C11 with no m6 calls: config space is reached through `struct pcie_ops`, so the
 * same code runs in the bus component (over the ECAM) and on the host (over a simulated
 * config space, test/unit/test_pcie_enum.c, test/fuzzers/fuzz_pcie.c). Everything read
 * from config space is untrusted: a function that reports something impossible is
 * recorded as a problem (what, where) and enumeration carries on with the rest. */
#ifndef M6_PCIE_ENUM_H
#define M6_PCIE_ENUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCIE_MAX_FUNCTIONS 64
#define PCIE_MAX_PROBLEMS  32
#define PCIE_MAX_BARS      6
/* Bridges between bus 0 and a function, at most: the walk recurses once per bridge level
 * (a few hundred bytes of stack each, on a component's 16 KiB stack), and real PCIe
 * topologies are a handful deep; a broken bridge that answers on its own secondary bus
 * would otherwise nest once per bus number. */
#define PCIE_MAX_BRIDGE_DEPTH 16

/* Config space accessors: aligned 32-bit reads and writes of one function's 4 KiB. */
struct pcie_ops {
	void *ctx;
	uint32_t (*read32)(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned offset);
	void (*write32)(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned offset,
	                uint32_t value);
};

/* One of the host bridge's windows, in bus (PCI) addresses; size 0: none. On QEMU virt
 * the memory windows' bus and CPU addresses are equal; the I/O window's are not. */
struct pcie_window {
	uint64_t base, size;
};

struct pcie_config {
	unsigned bus_count;        /* buses the ECAM covers (1..256), from bus 0 */
	struct pcie_window mem32;  /* non-prefetchable, below 4 GiB */
	struct pcie_window pref64; /* 64-bit prefetchable */
	struct pcie_window io;     /* I/O ports */
};

enum pcie_bar_kind { PCIE_BAR_NONE, PCIE_BAR_MEM32, PCIE_BAR_MEM64, PCIE_BAR_IO };

struct pcie_bar {
	enum pcie_bar_kind kind; /* NONE: not implemented or refused (see the problems) */
	bool prefetchable;
	uint64_t addr, size; /* bus address assigned, bytes */
};

struct pcie_function {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint32_t class_code; /* base class, subclass, programming interface */
	uint8_t header_type; /* 0 endpoint, 1 PCI-PCI bridge */
	struct pcie_bar bars[PCIE_MAX_BARS];
	/* Capabilities found in the (checked) list: offsets, 0 when absent. */
	uint8_t cap_pcie, cap_msi, cap_msix, cap_pm;
	/* Bridges: bus numbers and the windows programmed (size 0: closed). */
	uint8_t secondary, subordinate;
	struct pcie_window win_mem, win_pref, win_io;
};

enum pcie_problem_kind {
	PCIE_BAR_NO_ADDRESS_BITS,  /* the BAR's mask has no writable address bit */
	PCIE_BAR_NOT_POWER_OF_TWO, /* writable bits are not one run from the top */
	PCIE_BAR_TOO_LARGE,        /* larger than the window it must come from */
	PCIE_BAR_NO_SPACE,         /* the window has no room left for it */
	PCIE_BAR_64_AT_LAST,       /* a 64-bit BAR in the last slot: no upper half */
	PCIE_BAR_RESERVED_TYPE,    /* memory type 01 (below 1 MiB, obsolete) or 11 */
	PCIE_CAP_OUTSIDE,          /* a capability pointer into the header or past 0xff */
	PCIE_CAP_LOOP,             /* the capability list comes back to an entry */
	PCIE_BUS_BEYOND_ECAM,      /* a bridge's secondary bus is past the ECAM */
	PCIE_HEADER_UNKNOWN,       /* header type other than 0 or 1 */
	PCIE_TOO_MANY_FUNCTIONS,   /* more than PCIE_MAX_FUNCTIONS: the rest not recorded */
	PCIE_BRIDGE_TOO_DEEP,      /* a bridge below PCIE_MAX_BRIDGE_DEPTH others */
};

struct pcie_problem {
	enum pcie_problem_kind kind;
	uint8_t bus, dev, fn;
	uint8_t index;  /* BAR index, or the offending capability offset */
	uint64_t value; /* the BAR's size or mask, the bus number, the bridge's depth (1: on
	                 * bus 0): what was refused */
};

struct pcie_result {
	struct pcie_function functions[PCIE_MAX_FUNCTIONS];
	size_t count;
	struct pcie_problem problems[PCIE_MAX_PROBLEMS];
	size_t problem_count;
	size_t problems_dropped; /* beyond PCIE_MAX_PROBLEMS */
	unsigned last_bus;       /* highest bus number assigned */
};

/* Enumerates from bus 0 and fills `out` (cleared first). Returns the number of functions
 * recorded. Never fails as a whole: what it refuses is in out->problems. */
size_t pcie_enumerate(const struct pcie_ops *ops, const struct pcie_config *config,
                      struct pcie_result *out);

/* Words for a problem kind ("BAR size is not a power of two", ...). */
const char *pcie_problem_text(enum pcie_problem_kind kind);

/* One function as one line without the newline, e.g.
 * "00:02.0 1b36:0010 class 010802 bar0 mem64 0x10000000+0x4000"; bridges add
 * "bus 01-01" and their open windows ("mem 0x10200000+0x100000"). Truncated to fit
 * `size` (always terminated when size > 0); returns the length written. */
size_t pcie_format_function(const struct pcie_function *f, char *buf, size_t size);

/* A problem as one line: "00:03.0 bar1: BAR size is not a power of two (mask 0x...)". */
size_t pcie_format_problem(const struct pcie_problem *p, char *buf, size_t size);

#endif
