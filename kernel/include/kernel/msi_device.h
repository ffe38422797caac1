/* MSI devices (object type 17) and LPI handlers: object/msi_device.c. */
#ifndef KERNEL_MSI_DEVICE_H
#define KERNEL_MSI_DEVICE_H

#include <kernel/tcb.h>

/* Event ID bits an MSI device may have: 2..2048 events (MSI-X's maximum is 2048). */
#define MSI_DEVICE_MIN_EVENT_BITS 1u
#define MSI_DEVICE_MAX_EVENT_BITS 11u

/* Object size: 32 bytes per event (the ITT in the first half, at most 16 bytes an entry
 * by the architecture; the kernel's record in the second), at least 512 bytes (an ITT is
 * 256-byte aligned). 0 for event bits out of range. */
static inline unsigned msi_device_size_bits(unsigned event_bits)
{
	if (event_bits < MSI_DEVICE_MIN_EVENT_BITS || event_bits > MSI_DEVICE_MAX_EVENT_BITS)
		return 0;
	return event_bits + 5 < 9 ? 9 : event_bits + 5;
}

/* Whether interrupt ID `intid` is an LPI the kernel hands out (and the platform has an
 * ITS). */
bool irq_is_lpi(word_t intid);
/* IRQControl's MSI_BIND and GET_MSI (irq.c dispatches). */
int msi_control_bind(struct tcb *caller, unsigned length);
int msi_control_get(struct cte *control, struct tcb *caller, unsigned length);
/* The IRQHandler side for LPIs. */
void lpi_deliver(unsigned intid);
int lpi_handler_invoke(unsigned intid, struct tcb *caller, uint64_t label, unsigned length);
void lpi_handler_finalise(unsigned intid);
/* The last cap to an MSI device goes. */
void msi_device_finalise(const struct cap *cap);

#endif
