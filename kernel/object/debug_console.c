/* Debug console: a kernel singleton that writes bytes to the kernel's console. Only a
 * thread holding a DebugConsole cap with the write right can use it.
 *
 * The console is polled with interrupts masked, and a real UART takes about 87 us a byte
 * at 115200 baud: a write stops at a preemption point between any two bytes and answers
 * how many it took, and the library sends the rest. Past a rate (16 KiB at once, 8 KiB a
 * second, below what such a UART carries) a write also stops, and answers 0 when it could
 * take no byte at all: the library then yields and tries again. So a writer past its rate
 * waits, and loses nothing (dropping bytes made tests that print a lot fail whenever the
 * host was fast); the wait costs only the writer's own time. The rate is per thread (a
 * bucket in its TCB): one writer cannot keep the console for itself, nor slow another
 * thread's output. The kernel's own reports have their own limit (core/fault.c), which
 * drops and counts: the kernel cannot wait. Lines are kept whole (below). */
#include <kernel/invocation.h>
#include <kernel/preempt.h>
#include <kernel/printk.h>
#include <kernel/syscall.h>
#include <m6/abi/errors.h>

#include <kernel/arch.h>

/*
 * Whole lines. A write stops between any two bytes, and a line arrives in several writes
 * (40 bytes each at most), so two threads printing at once would mix their lines. The
 * thread whose line is half written owns the console: other threads' writes take no byte
 * (the library yields and tries again, as at the rate) until it writes its newline, or
 * for at most LINE_HOLD_MS of counter time (a thread that prints a prompt and then waits,
 * or is deleted mid-line, holds no one for longer). `line_owner` is only ever compared,
 * never followed, so a stale pointer is harmless.
 */
#define LINE_HOLD_MS 10
static const struct tcb *line_owner;
static uint64_t line_since;

static bool line_held_by_other(const struct tcb *caller)
{
	if (!line_owner || line_owner == caller)
		return false;
	if (arch_timer_now() - line_since < arch_timer_frequency() / 1000 * LINE_HOLD_MS)
		return true;
	line_owner = NULL; /* held too long: the line is given up */
	return false;
}

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
	/* perform: the words are read before MR0 is overwritten with the result */
	word_t i = 0;
	char last = '\n';
	if (!line_held_by_other(caller)) {
		for (; i < count; i++) {
			if (i > 0 && preemption_pending())
				break;
			if (!ratelimit_take(&caller->debug_output))
				break;
			word_t w = tcb_get_mr(caller, 1 + (unsigned)(i / 8));
			last = (char)(w >> (8 * (i % 8)));
			console_putc(last);
		}
	}
	if (i > 0) {
		line_owner = last == '\n' ? NULL : caller;
		line_since = arch_timer_now();
	}
	tcb_set_mr(caller, 0, i);
	return invocation_ok(caller, 1);
}
