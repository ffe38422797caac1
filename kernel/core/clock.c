/* The scheduler's clock: one hardware deadline, the earliest of the running thread's
 * timeslice end and the next timer object. It is only ever moved earlier between
 * interrupts, so IPC paths never touch the timer; an interrupt that comes before anything
 * is due just programs the next deadline (at most one such per timeslice). */
#include <kernel/arch.h>
#include <kernel/scheduler.h>
#include <kernel/timer.h>

/* Each CPU has its own timer: its deadline is the earlier of its thread's timeslice end
 * and the first timer object as that CPU last saw it. Timer objects are one system-wide
 * queue (under the big lock): whichever CPU's interrupt comes first expires them. A CPU
 * that arms a timer pulls its own deadline in; the others may wake for a deadline already
 * handled, find nothing due and program the next. */

uint64_t clock_now(void)
{
	return arch_timer_now();
}

void clock_update(void)
{
	struct cpu *cpu = this_cpu();
	uint64_t deadline = cpu->slice_end;
	uint64_t next_timer = timers_next_deadline();
	if (next_timer < deadline)
		deadline = next_timer;
	/* Only ever pull the hardware deadline earlier. A later one (every thread switch
	 * starts a new slice) is caught when the programmed one fires and clock_tick()
	 * looks again, so switching threads never writes the timer. */
	if (deadline < cpu->timer_programmed) {
		arch_timer_set_deadline(deadline);
		cpu->timer_programmed = deadline;
	}
}

void clock_start_slice(uint64_t ticks)
{
	struct cpu *cpu = this_cpu();
	cpu->slice_end = clock_now() + ticks;
	/* Whatever is programmed is already no later than the next timer object's
	 * deadline (setting a timer pulls it in), so only the slice can matter here. */
	if (cpu->slice_end < cpu->timer_programmed) {
		arch_timer_set_deadline(cpu->slice_end);
		cpu->timer_programmed = cpu->slice_end;
	}
}

void clock_tick(void)
{
	struct cpu *cpu = this_cpu();
	uint64_t now = clock_now();
	cpu->timer_programmed = UINT64_MAX; /* the interrupt consumed the deadline */
	timers_expire(now);
	if (now >= cpu->slice_end)
		scheduler_timeslice_end();
	/* The compare register still holds the deadline that fired (the line stays raised,
	 * which does not matter with interrupts masked): clock_update() replaces it before
	 * the interrupt is acknowledged, and only when nothing at all is due is "never"
	 * written here instead. One write per interrupt, not two. */
	clock_update();
	if (cpu->timer_programmed == UINT64_MAX)
		arch_timer_set_deadline(UINT64_MAX);
}
