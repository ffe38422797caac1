/* MSI devices and LPI handlers (issue 14): a PCIe function's MSI-X vectors delivered as
 * LPIs through the GICv3 ITS.
 *
 * An MSI device is an object retyped from its caller's untyped: its first half is the
 * function's interrupt translation table (ITT), which the ITS reads and writes, its second
 * half the kernel's record of it. IRQControl binds it to a device ID (MAPD) and issues an
 * IRQHandler for one of its events (an LPI, MAPTI): from then on that LPI behaves as an
 * SPI does (masked when it arrives, signalled, unmasked by ACK). Deleting the handler
 * discards the event's translation; deleting the device unmaps it (its handlers stay, but
 * can never fire again and refuse ACK and TRIGGER). The per-LPI records live in the ITS
 * region carved at boot (gicv3_its.c). */
#include <kernel/arch.h>
#include <kernel/cnode.h>
#include <kernel/delete.h>
#include <kernel/invocation.h>
#include <kernel/irq.h>
#include <kernel/its.h>
#include <kernel/msi_device.h>
#include <kernel/notification.h>
#include <kernel/scheduler.h>

/* A new LPI is routed to collection 0, the boot CPU's redistributor; each ACK moves it
 * (MOVI) to the acknowledging thread's CPU, as an SPI's ACK routes its line there
 * (docs/kernel.md, "Concurrency": Interrupts). */
#define LPI_COLLECTION 0

struct msi_device {
	uint32_t device_id;
	bool bound;
	uint16_t lpi[]; /* per event: its LPI's index + 1, 0 = none */
};

static struct msi_device *record(const struct cap *cap)
{
	return (struct msi_device *)(cap->object + BIT(msi_device_size_bits(cap->size_bits) - 1));
}

static paddr_t itt_address(const struct cap *cap)
{
	return kernel_to_paddr((void *)cap->object);
}

static struct lpi *lpi_of(unsigned intid)
{
	return &its_state->lpis[intid - LPI_BASE];
}

bool irq_is_lpi(word_t intid)
{
	return its_state && intid >= LPI_BASE && intid < LPI_BASE + LPI_COUNT;
}

/* Look up MR0's MSI device with WRITE (binding and issuing use it). */
static struct cte *msi_arg(struct tcb *caller, int *error)
{
	struct cte *slot =
	    lookup_typed_arg(caller, tcb_get_mr(caller, 0), M6_OBJ_MSI_DEVICE, error);
	if (slot && !cap_has_rights(&slot->cap, M6_RIGHT_WRITE)) {
		*error = M6_ERR_INSUFFICIENT_RIGHTS;
		return NULL;
	}
	return slot;
}

static bool device_id_bound(word_t id)
{
	return its_state->bound[id / 64] & BIT(id % 64);
}

int msi_control_bind(struct tcb *caller, unsigned length)
{
	int error;
	if (!its_usable())
		return M6_ERR_ILLEGAL_OPERATION; /* the platform has no ITS, or it failed */
	if (length < 2)
		return M6_ERR_INVALID_ARGUMENT;
	struct cte *dev = msi_arg(caller, &error);
	if (!dev)
		return error;
	word_t id = tcb_get_mr(caller, 1);
	if (id >= BIT(its_device_id_bits()) || dev->cap.size_bits > its_event_id_bits())
		return M6_ERR_RANGE;
	struct msi_device *m = record(&dev->cap);
	if (m->bound)
		return M6_ERR_ILLEGAL_OPERATION; /* bound once, for life */
	if (device_id_bound(id))
		return M6_ERR_IN_USE;
	/* perform */
	m->device_id = (uint32_t)id;
	m->bound = true;
	its_state->bound[id / 64] |= BIT(id % 64);
	its_map_device((uint32_t)id, itt_address(&dev->cap), dev->cap.size_bits);
	tcb_set_mr(caller, 0, its_doorbell());
	return invocation_ok(caller, 1);
}

int msi_control_get(struct cte *control, struct tcb *caller, unsigned length)
{
	int error;
	if (!its_usable())
		return M6_ERR_ILLEGAL_OPERATION;
	if (length < 4)
		return M6_ERR_INVALID_ARGUMENT;
	struct cte *dev = msi_arg(caller, &error);
	if (!dev)
		return error;
	struct msi_device *m = record(&dev->cap);
	word_t event = tcb_get_mr(caller, 1);
	if (!m->bound)
		return M6_ERR_ILLEGAL_OPERATION; /* no device ID yet: MSI_BIND first */
	if (event >= BIT(dev->cap.size_bits))
		return M6_ERR_RANGE;
	if (m->lpi[event])
		return M6_ERR_IN_USE;
	struct cte *target =
	    lookup_empty_slots(caller, tcb_get_mr(caller, 2), tcb_get_mr(caller, 3), 1, &error);
	if (!target)
		return error;
	unsigned index = 0;
	while (index < LPI_COUNT && its_state->lpis[index].issued)
		index++;
	if (index == LPI_COUNT)
		return M6_ERR_NOT_ENOUGH_MEMORY; /* every LPI is handed out */
	/* perform */
	unsigned intid = LPI_BASE + index;
	struct lpi *l = lpi_of(intid);
	l->issued = true;
	l->device = m;
	l->event = (uint32_t)event;
	l->collection = LPI_COLLECTION;
	m->lpi[event] = (uint16_t)(index + 1);
	/* Mapped disabled (a free LPI's configuration byte is): like an SPI, it is
	 * enabled by the first ACK, and one arriving before that waits pending. */
	its_map_event(m->device_id, (uint32_t)event, intid, LPI_COLLECTION);
	struct cap cap = {
	    .type = M6_OBJ_IRQ_HANDLER, .rights = M6_RIGHTS_ALL, .object = intid, .word = 1};
	cdt_insert_child(control, target, &cap);
	tcb_set_mr(caller, 0, its_doorbell());
	tcb_set_mr(caller, 1, event);
	tcb_set_mr(caller, 2, intid);
	return invocation_ok(caller, 3);
}

void lpi_deliver(unsigned intid)
{
	struct lpi *l = lpi_of(intid);
	if (!l->issued || !l->device)
		return; /* not expected: its translation is gone. Nothing to signal. */
	/* Mask it until ACK, as an SPI's line is masked. Not waited for: one more arrival
	 * before the INV lands only signals a bit the notification already has. */
	its_lpi_set_enabled(intid, l->device->device_id, l->event, false, false);
	struct cap *n = &l->notification.cap;
	if (n->type == M6_OBJ_NOTIFICATION)
		notification_signal((struct notification *)n->object, n->word);
}

int lpi_handler_invoke(unsigned intid, struct tcb *caller, uint64_t label, unsigned length)
{
	struct lpi *l = lpi_of(intid);
	switch (label) {
	case M6_IRQ_HANDLER_SET_NOTIFICATION:
		return notification_set_signal_slot(&l->notification, caller, length);
	case M6_IRQ_HANDLER_ACK: {
		/* A failed ITS is not asked anything again (gicv3_its.c, its_give_up). */
		if (!l->device || !its_usable())
			return M6_ERR_ILLEGAL_OPERATION; /* its MSI device was deleted */
		/* The next one comes where the driver runs: its wake-up then needs no SGI. A CPU
		 * whose redistributor takes no LPIs (logged at boot) leaves it where it is. The
		 * MOVI is before the INV that enables it, and the ITS keeps their order. */
		unsigned cpu = this_cpu()->index;
		if (cpu != l->collection && its_cpu_takes_lpis(cpu)) {
			its_move_event(l->device->device_id, l->event, l->collection, cpu);
			l->collection = (uint8_t)cpu;
		}
		its_lpi_set_enabled(intid, l->device->device_id, l->event, true, true);
		/* The ITS failed this very command: the LPI was not enabled, say so (nothing
		 * else of the kernel's records depends on it). */
		return its_usable() ? invocation_ok(caller, 0) : M6_ERR_ILLEGAL_OPERATION;
	}
	case M6_IRQ_HANDLER_TRIGGER:
		if (!l->device || !its_usable())
			return M6_ERR_ILLEGAL_OPERATION;
		its_raise(l->device->device_id, l->event);
		/* Likewise: an INT the ITS did not complete raised nothing. */
		return its_usable() ? invocation_ok(caller, 0) : M6_ERR_ILLEGAL_OPERATION;
	default:
		return M6_ERR_ILLEGAL_OPERATION;
	}
}

void lpi_handler_finalise(unsigned intid)
{
	struct lpi *l = lpi_of(intid);
	if (l->device) {
		/* DISCARD drops the translation and any pending state: the LPI is clean for its
		 * next owner. Its configuration byte goes back to disabled for the same reason. */
		its_lpi_config(intid, false);
		its_discard(l->device->device_id, l->event, true);
		l->device->lpi[l->event] = 0;
		l->device = NULL;
	}
	l->issued = false;
	cap_delete_nested(&l->notification);
}

void msi_device_finalise(const struct cap *cap)
{
	struct msi_device *m = record(cap);
	if (!m->bound)
		return;
	/* Every event that still has a handler: its LPI disabled and discarded (not waited
	 * for: the MAPD's wait covers them, the queue is processed in order), its handler
	 * orphaned (it can never fire again, and its ACK and TRIGGER are refused). At most
	 * 2,048 commands of a few dozen instructions each. */
	for (word_t e = 0; e < BIT(cap->size_bits); e++) {
		if (!m->lpi[e])
			continue;
		unsigned intid = LPI_BASE + m->lpi[e] - 1;
		its_lpi_config(intid, false);
		its_discard(m->device_id, (uint32_t)e, false);
		lpi_of(intid)->device = NULL;
		m->lpi[e] = 0;
	}
	its_unmap_device(m->device_id);
	its_state->bound[m->device_id / 64] &= ~BIT(m->device_id % 64);
	m->bound = false;
}
