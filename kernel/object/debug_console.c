/* Debug console: a kernel singleton that writes bytes to the kernel's console. Only a
 * thread holding a DebugConsole cap with the write right can use it. */
#include <kernel/printk.h>
#include <kernel/syscall.h>
#include <m6/abi/errors.h>

int debug_console_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	/* decode */
	if (label != M6_DEBUG_CONSOLE_WRITE)
		return M6_ERR_ILLEGAL_OPERATION;
	if (!cap_has_rights(&slot->cap, M6_RIGHT_WRITE))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	if (length < 1)
		return M6_ERR_INVALID_ARGUMENT;
	word_t count = tcb_get_mr(caller, 0);
	if (count > (word_t)(length - 1) * 8)
		return M6_ERR_RANGE;
	/* perform */
	for (word_t i = 0; i < count; i++) {
		word_t w = tcb_get_mr(caller, 1 + (unsigned)(i / 8));
		console_putc((char)(w >> (8 * (i % 8))));
	}
	caller->context.x[0] = M6_OK;
	caller->context.x[1] = 0;
	return M6_OK;
}
