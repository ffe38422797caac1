/* The GICv3 ITS: message-signalled interrupts (MSI/MSI-X) become LPIs. The kernel owns the
 * ITS; user space reaches it only through IRQControl (binding an MSI device to a device ID,
 * issuing an LPI handler for one of its events) and IRQHandler caps. docs/kernel.md
 * ("MSIs through the ITS") explains where each table's memory comes from. */
#ifndef KERNEL_ITS_H
#define KERNEL_ITS_H

#include <kernel/cap.h>
#include <kernel/types.h>

/* LPIs are INTIDs from 8192. The kernel hands out LPI_COUNT of them: the configuration
 * table covers 14 ID bits (INTIDs below 16384, the architectural minimum for LPIs), and
 * 2,048 vectors is MSI-X's maximum for one function, enough for a system's drivers. */
#define LPI_BASE    8192u
#define LPI_COUNT   2048u
#define LPI_ID_BITS 14u
/* Device IDs the kernel accepts: the whole PCIe requester ID space (bus << 8 | devfn),
 * fewer if the ITS implements fewer (GITS_TYPER.Devbits). */
#define ITS_MAX_DEVICE_BITS 16u
/* Redistributors the kernel gives LPI pending tables to: the most CPUs m6 runs on. */
#define ITS_MAX_CPUS 8u

struct msi_device;

/* One per LPI the kernel can hand out, in the ITS region carved from untyped at boot. */
struct lpi {
	struct cte notification;   /* copy of the notification cap it signals */
	struct msi_device *device; /* whose event it is; NULL once that device is deleted */
	uint32_t event;            /* the event ID it is mapped from */
	uint8_t collection;        /* the CPU (collection) it is routed to */
	bool issued;               /* an IRQHandler cap for it exists */
};

/* Kernel state for MSIs, in the ITS region (not in the kernel image: the kernel has no
 * memory of its own, and a machine without an ITS pays nothing). */
struct its_state {
	struct lpi lpis[LPI_COUNT];
	uint64_t bound[BIT(ITS_MAX_DEVICE_BITS) / 64]; /* device IDs with an MSI device */
};

/* NULL when the platform has no ITS (then every MSI invocation is refused). */
extern struct its_state *its_state;
/* An ITS the kernel may send commands to: present, and it has not failed one (a command
 * not completed within the poll bound, a stalled queue: then the kernel gives up on it
 * for good, logged once). Otherwise MSI_BIND, GET_MSI, and an LPI handler's ACK and
 * TRIGGER are refused with ILLEGAL_OPERATION. */
bool its_usable(void);

/* Boot, from gic_init() before any CPU's redistributor is set up: find the ITS's limits,
 * carve its tables from untyped, enable it. */
void its_init(void);
/* Each CPU's redistributor (rd: its RD_base frame), after its_init(): LPI tables, LPIs
 * on, and collection `cpu` mapped to it. Called by the GIC's per-CPU set-up for every CPU
 * (the boot CPU's is 0, where every LPI starts: if it fails, there are no MSIs). */
bool its_cpu_init(unsigned cpu, paddr_t rd); /* false: this CPU takes no LPIs (logged) */

unsigned its_device_id_bits(void);
unsigned its_event_id_bits(void);
/* The doorbell: GITS_TRANSLATER's physical address, where a device writes its event ID. */
paddr_t its_doorbell(void);

/* ITS commands. Each is written to the command queue and waited for with a bound (a
 * timeout or a stalled queue is logged, never waited for forever, and the ITS is given
 * up: no command is sent after it, see its_usable). Callers have checked every argument:
 * the ITS is never asked something it could refuse. */
void its_map_device(uint32_t device_id, paddr_t itt, unsigned event_bits);
void its_unmap_device(uint32_t device_id);
void its_map_event(uint32_t device_id, uint32_t event, unsigned intid, unsigned collection);
/* `wait`: false to batch: queued but not yet published; the next command that is
 * published (and waited for) carries it. */
void its_discard(uint32_t device_id, uint32_t event, bool wait);
/* Whether CPU `cpu`'s redistributor takes LPIs (collection `cpu` is mapped to it). */
bool its_cpu_takes_lpis(unsigned cpu);
/* MOVI: the event's LPI from collection `from` to `to` (both CPUs that take LPIs), its
 * pending state with it; waited for. */
void its_move_event(uint32_t device_id, uint32_t event, unsigned from, unsigned to);
void its_raise(uint32_t device_id, uint32_t event);
/* Set an LPI's enable bit in the configuration table and make the redistributor see it
 * (INV). `wait`: false from the interrupt path, where the INV need not have completed
 * (an LPI that slips through before it does only signals an already-set bit again). */
/* Only the configuration byte, no INV: for an LPI whose translation is about to go. */
void its_lpi_config(unsigned intid, bool enabled);
void its_lpi_set_enabled(unsigned intid, uint32_t device_id, uint32_t event, bool enabled,
                         bool wait);

#endif
