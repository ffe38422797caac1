/* Power control: a kernel singleton; the holder of a Power cap may switch the machine off
 * or reset it. Tests end this way, so QEMU exits by itself. */
#include <kernel/arch.h>
#include <kernel/printk.h>
#include <kernel/syscall.h>
#include <m6/abi/errors.h>

int power_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	/* decode */
	if (label != M6_POWER_CONTROL)
		return M6_ERR_ILLEGAL_OPERATION;
	if (!cap_has_rights(&slot->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	if (length < 1)
		return M6_ERR_INVALID_ARGUMENT;
	word_t action = tcb_get_mr(caller, 0);
	if (action != M6_POWER_OFF && action != M6_POWER_RESET)
		return M6_ERR_INVALID_ARGUMENT;
	/* perform */
	printk("m6: power %s requested by %s\n", action == M6_POWER_OFF ? "off" : "reset",
	       caller->name);
	if (action == M6_POWER_OFF)
		arch_power_off();
	arch_reset();
}
