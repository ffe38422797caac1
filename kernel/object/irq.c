/* IRQControl and IRQHandler. Each interrupt line has one kernel record: whether a handler
 * cap exists for it, and a copy of the notification cap it signals. An arriving
 * interrupt masks its line until the handler acknowledges it, so a slow driver sees one
 * signal per event rather than an interrupt storm. */
#include <kernel/arch.h>
#include <kernel/cnode.h>
#include <kernel/delete.h>
#include <kernel/invocation.h>
#include <kernel/irq.h>
#include <kernel/msi_device.h>
#include <kernel/notification.h>
#include <kernel/platform.h>
#include <kernel/printk.h>
#include <kernel/scheduler.h>
#include <kernel/smmu.h>

struct irq_state {
	bool issued;
	struct cte notification;
};

static struct irq_state irqs[IRQ_LINES];

static bool irq_valid(word_t irq)
{
	/* PPIs and SPIs; SGIs (0..15) are inter-processor and never user business, and
	 * the kernel keeps its own timer. */
	return irq >= 16 && irq < arch_irq_line_count() && irq < IRQ_LINES &&
	       irq != platform.timer_irq && !smmu_owns_irq((unsigned)irq);
}

int irq_issue(unsigned irq, bool edge)
{
	if (!irq_valid(irq))
		return M6_ERR_RANGE;
	if (irqs[irq].issued)
		return M6_ERR_IN_USE;
	irqs[irq].issued = true;
	arch_irq_set_trigger(irq, edge);
	return M6_OK;
}

void irq_deliver(unsigned irq)
{
	if (smmu_owns_irq(irq)) { /* the kernel's own: edge-triggered, never masked */
		smmu_handle_irq(irq);
		return;
	}
	this_cpu()->device_irqs++; /* where the routing sent it (SYSTEM_INFO_CPU) */
	if (irq_is_lpi(irq)) {
		lpi_deliver(irq);
		return;
	}
	arch_irq_disable_line(irq);
	if (irq >= IRQ_LINES || !irqs[irq].issued)
		return;
	struct cap *n = &irqs[irq].notification.cap;
	if (n->type == M6_OBJ_NOTIFICATION)
		notification_signal((struct notification *)n->object, n->word);
}

void irq_handler_finalise(unsigned irq)
{
	if (irq_is_lpi(irq)) {
		lpi_handler_finalise(irq);
		return;
	}
	arch_irq_disable_line(irq);
	irqs[irq].issued = false;
	cap_delete_nested(&irqs[irq].notification);
}

int irq_control_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	int error;
	if (label != M6_IRQ_CONTROL_GET && label != M6_IRQ_CONTROL_MSI_BIND &&
	    label != M6_IRQ_CONTROL_GET_MSI)
		return M6_ERR_ILLEGAL_OPERATION;
	if (!cap_has_rights(&slot->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	if (label == M6_IRQ_CONTROL_MSI_BIND)
		return msi_control_bind(caller, length);
	if (label == M6_IRQ_CONTROL_GET_MSI)
		return msi_control_get(slot, caller, length);
	if (length < 4)
		return M6_ERR_INVALID_ARGUMENT;
	word_t irq = tcb_get_mr(caller, 0), trigger = tcb_get_mr(caller, 1);
	word_t offset = tcb_get_mr(caller, 3);
	if (!irq_valid(irq))
		return M6_ERR_RANGE;
	if (trigger > 1)
		return M6_ERR_INVALID_ARGUMENT;
	struct cte *target = lookup_empty_slots(caller, tcb_get_mr(caller, 2), offset, 1, &error);
	if (!target)
		return error;
	if (irqs[irq].issued)
		return M6_ERR_IN_USE;
	/* perform */
	irq_issue((unsigned)irq, trigger == 1);
	struct cap cap = {
	    .type = M6_OBJ_IRQ_HANDLER, .rights = M6_RIGHTS_ALL, .object = irq, .word = trigger};
	cdt_insert_child(slot, target, &cap);
	return invocation_ok(caller, 0);
}

int irq_handler_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	unsigned irq = (unsigned)slot->cap.object;
	if (!cap_has_rights(&slot->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	if (irq_is_lpi(irq))
		return lpi_handler_invoke(irq, caller, label, length);
	switch (label) {
	case M6_IRQ_HANDLER_SET_NOTIFICATION:
		return notification_set_signal_slot(&irqs[irq].notification, caller, length);
	case M6_IRQ_HANDLER_ACK:
		arch_irq_enable_line(irq);
		return invocation_ok(caller, 0);
	default:
		return M6_ERR_ILLEGAL_OPERATION;
	}
}
