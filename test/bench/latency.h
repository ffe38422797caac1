/* The wake-up latency benchmark (docs/performance.md, "Wake-up latency"): what the probe
 * and the adversary share through the `latshared` memory region. */
#ifndef LATENCY_H
#define LATENCY_H

#include <stdint.h>

/* What the adversary is doing; the probe charges each wake-up to the phase it finds. */
enum lat_phase {
	LAT_SETUP,       /* building the next phase's objects (long retypes count too) */
	LAT_IDLE,        /* spinning in user space: the interrupt path alone */
	LAT_TIMER_STORM, /* periodic timers at the minimum period */
	LAT_REVOKE,      /* CNODE_REVOKE of an endpoint cap with a chain of minted children */
	LAT_DELETE,      /* CNODE_DELETE of the last cap to a CNode holding such a chain */
	LAT_RETYPE,      /* UNTYPED_RETYPE of 2 MiB frames in one call, and their revoke */
	LAT_FAULTS,      /* a thread without a handler faulting, resumed by a sibling */
	LAT_CONSOLE,     /* long DEBUG_CONSOLE_WRITEs */
	LAT_PHASES,
};

static const char *const lat_phase_names[LAT_PHASES] = {
    "setup",        "idle",      "timer_storm", "revoke_chain",
    "delete_cnode", "retype_2m", "fault_storm", "console",
};

struct lat_shared {
	volatile uint64_t phase;
	volatile uint64_t storm_timers; /* how many storm timers the adversary armed */
	volatile uint64_t chain;        /* caps in the revoked / deleted chain */
	volatile uint64_t frames;       /* 2 MiB frames per retype */
	volatile uint64_t failures;     /* the adversary's own set-up failures */
};

#endif
