/* Scheduler: strict priorities, round robin within a priority.
 *
 * Invariant: the thread in cpu->current is never in a ready queue; every other RUNNING
 * thread is in exactly one. The choice of who runs is made once per kernel exit, in
 * scheduler_exit_to_user(), so IPC paths only change states and queues. */
#include <kernel/arch.h>
#include <kernel/printk.h>
#include <kernel/scheduler.h>
#include <kernel/timer.h>

struct cpu cpus[MAX_CPUS];

void scheduler_init(uint64_t timeslice_ticks)
{
	this_cpu()->timeslice_ticks = timeslice_ticks;
	this_cpu()->slice_end = UINT64_MAX;
}

static void ready_append(struct cpu *cpu, struct tcb *t)
{
	thread_queue_append(&cpu->ready[t->priority], t);
	cpu->ready_bitmap[t->priority / 64] |= BIT(t->priority % 64);
	cpu->ready_words |= BIT(t->priority / 64);
	t->in_ready_queue = true;
}

void scheduler_dequeue(struct tcb *t)
{
	struct cpu *cpu = this_cpu();
	if (!t->in_ready_queue)
		return;
	struct thread_queue *q = &cpu->ready[t->priority];
	thread_queue_remove(q, t);
	if (!q->head) {
		cpu->ready_bitmap[t->priority / 64] &= ~BIT(t->priority % 64);
		if (!cpu->ready_bitmap[t->priority / 64])
			cpu->ready_words &= ~BIT(t->priority / 64);
	}
	t->in_ready_queue = false;
}

void scheduler_set_priority(struct tcb *t, uint8_t priority)
{
	bool queued = t->in_ready_queue;
	if (queued)
		scheduler_dequeue(t);
	t->priority = priority;
	if (queued)
		ready_append(this_cpu(), t);
	/* A lowered current thread may now have to give way: decided at kernel exit. */
}

void scheduler_forget(struct tcb *t)
{
	scheduler_dequeue(t);
	arch_thread_forget(t);
	if (this_cpu()->current == t)
		this_cpu()->current = NULL;
}

void scheduler_make_runnable(struct tcb *t)
{
	t->state = THREAD_RUNNING;
	if (t != this_cpu()->current && !t->in_ready_queue)
		ready_append(this_cpu(), t);
}

void scheduler_timeslice_end(void)
{
	struct cpu *cpu = this_cpu();
	cpu->reschedule = true;
	/* Start a new slice even if current keeps running (nobody else at its level). */
	cpu->slice_end = UINT64_MAX;
}

void scheduler_yield(void)
{
	this_cpu()->reschedule = true;
}

static struct tcb *choose_thread(struct cpu *cpu)
{
	struct tcb *cur = cpu->current;
	int top = scheduler_highest_ready();
	bool cur_runs = cur && cur->state == THREAD_RUNNING;

	if (cur_runs) {
		bool preempt = top > cur->priority || (cpu->reschedule && top == cur->priority);
		if (!preempt) {
			cpu->reschedule = false;
			return cur;
		}
		ready_append(cpu, cur);
		top = scheduler_highest_ready();
	}
	cpu->reschedule = false;
	if (top < 0)
		return NULL;
	struct tcb *next = cpu->ready[top].head;
	scheduler_dequeue(next);
	return next;
}

/* Kept out of line so that the common exit below needs no stack frame. */
static NORETURN __attribute__((noinline)) void schedule_and_exit(struct cpu *cpu)
{
	struct tcb *next;
	while ((next = choose_thread(cpu)) == NULL) {
		/* Nobody can run: wait for an interrupt to make someone runnable. */
		if (cpu->current)
			arch_switch_to(cpu->current, NULL);
		cpu->current = NULL;
		cpu->slice_end = UINT64_MAX;
		clock_update();
		arch_idle();
	}
	if (next != cpu->current || cpu->slice_end == UINT64_MAX) {
		uint64_t slice =
		    next->timeslice_ticks ? next->timeslice_ticks : cpu->timeslice_ticks;
		clock_start_slice(slice);
	}
	if (next != cpu->current)
		arch_switch_to(cpu->current, next);
	cpu->current = next;
	arch_return_to_user(next);
}

void scheduler_exit_to_user(void)
{
	struct cpu *cpu = this_cpu();
	struct tcb *cur = cpu->current;
	/* The common case first: the thread that entered the kernel goes on running. */
	if (cur && cur->state == THREAD_RUNNING && !cpu->reschedule &&
	    scheduler_highest_ready() <= cur->priority)
		arch_return_to_user(cur);
	schedule_and_exit(cpu);
}

struct tcb *scheduler_switch_from_blocked(struct tcb *t)
{
	struct cpu *cpu = this_cpu();
	int top = scheduler_highest_ready();
	if (top < 0)
		return NULL;
	struct tcb *next = cpu->ready[top].head;
	scheduler_dequeue(next);
	clock_start_slice(next->timeslice_ticks ? next->timeslice_ticks : cpu->timeslice_ticks);
	arch_switch_to(t, next);
	cpu->current = next;
	return next;
}

struct tcb *scheduler_switch_to_woken(struct tcb *t, struct tcb *woken)
{
	struct cpu *cpu = this_cpu();
	woken->state = THREAD_RUNNING;
	if (woken->priority <= t->priority || scheduler_highest_ready() >= woken->priority) {
		/* The general rule applies: the woken thread just becomes ready. */
		ready_append(cpu, woken);
		return t;
	}
	ready_append(cpu, t);
	clock_start_slice(woken->timeslice_ticks ? woken->timeslice_ticks : cpu->timeslice_ticks);
	arch_switch_to(t, woken);
	cpu->current = woken;
	return woken;
}
