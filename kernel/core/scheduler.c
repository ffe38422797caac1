/* Scheduler: strict priorities, round robin within a priority.
 *
 * Invariant: the thread in cpu->current is never in a ready queue; every other RUNNING
 * thread is in exactly one. The choice of who runs is made once per kernel exit, in
 * scheduler_exit_to_user(), so IPC paths only change states and queues. */
#include <kernel/arch.h>
#include <kernel/cpu_offsets.h>
#include <kernel/printk.h>
#include <kernel/scheduler.h>
#include <kernel/smp.h>
#include <kernel/timer.h>

struct cpu cpus[MAX_CPUS];
unsigned cpu_count = 1;

extern char kernel_stacks[];

void scheduler_init(uint64_t timeslice_ticks)
{
	struct cpu *cpu = this_cpu(); /* the boot CPU: cpus[0] (head.S) */
	cpu->index = 0;
	cpu->online = true;
	cpu->stack_top = (uintptr_t)kernel_stacks + KERNEL_STACK_STRIDE;
	cpu->fpu_enabled = true;
	cpu->timer_programmed = UINT64_MAX;
	cpu->timeslice_ticks = timeslice_ticks;
	cpu->slice_end = UINT64_MAX;
	cpu->online_since = arch_timer_now();
}

static void ready_append(struct cpu *cpu, struct tcb *t)
{
	thread_queue_append(&cpu->ready[t->priority], t);
	cpu->ready_bitmap[t->priority / 64] |= BIT(t->priority % 64);
	cpu->ready_words |= BIT(t->priority / 64);
	t->in_ready_queue = true;
}

/* `t` became ready on `cpu`, which is not the CPU we run on: if it should run there
 * before what runs there now, that CPU is told at once (a reschedule SGI); otherwise it
 * finds the thread at its next scheduling decision. */
static void kick_if_preempts(struct cpu *cpu, const struct tcb *t)
{
	if (cpu == this_cpu())
		return;
	if (!cpu->current || t->priority > cpu->current->priority)
		smp_send_reschedule(cpu);
}

void scheduler_dequeue(struct tcb *t)
{
	struct cpu *cpu = &cpus[t->cpu];
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
	if (queued) {
		ready_append(&cpus[t->cpu], t);
		kick_if_preempts(&cpus[t->cpu], t);
	}
	/* A lowered current thread may now have to give way: decided at kernel exit (of the
	 * CPU it runs on, which is told if it is another). */
	struct cpu *home = &cpus[t->cpu];
	if (home != this_cpu() && home->current == t)
		smp_send_reschedule(home);
}

void scheduler_forget(struct tcb *t)
{
	/* Running on another CPU, it is taken off first (synchronously: smp_unload). */
	smp_unload(t, false);
	scheduler_dequeue(t);
	arch_thread_forget(t);
	if (this_cpu()->current == t)
		this_cpu()->current = NULL;
}

void scheduler_make_runnable(struct tcb *t)
{
	struct cpu *cpu = &cpus[t->cpu];
	t->state = THREAD_RUNNING;
	if (t != cpu->current && !t->in_ready_queue) {
		ready_append(cpu, t);
		kick_if_preempts(cpu, t);
	}
}

void scheduler_set_cpu(struct tcb *t, unsigned index)
{
	if (t->cpu == index)
		return;
	/* Off every CPU, its whole state in its TCB (a thread moving itself included), then
	 * queued on the new CPU's ready queue if it is runnable. */
	smp_unload(t, true);
	scheduler_dequeue(t);
	t->cpu = (uint8_t)index;
	if (t->state == THREAD_RUNNING) {
		ready_append(&cpus[index], t);
		kick_if_preempts(&cpus[index], t);
	}
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
	/* With nobody else ready on this CPU, a yield changes nothing: the flag stays clear
	 * and the exit takes its common path (back to t) instead of running the whole
	 * scheduling decision to reach the same answer. (Only the cheapest test, one word:
	 * with anyone ready, choose_thread decides, as before.) */
	struct cpu *cpu = this_cpu();
	if (cpu->ready_words)
		cpu->reschedule = true;
}

static struct tcb *choose_thread(struct cpu *cpu)
{
	struct tcb *cur = cpu->current;
	int top = cpu_highest_ready(cpu);
	bool cur_runs = cur && cur->state == THREAD_RUNNING;

	if (cur_runs) {
		bool preempt = top > cur->priority || (cpu->reschedule && top == cur->priority);
		if (!preempt) {
			cpu->reschedule = false;
			return cur;
		}
		ready_append(cpu, cur);
		top = cpu_highest_ready(cpu);
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
		cpu->idle_since = arch_timer_now();
		arch_idle();
		cpu->idle_ticks += arch_timer_now() - cpu->idle_since;
		cpu->idle_since = 0;
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
	    cpu_highest_ready(cpu) <= cur->priority)
		arch_return_to_user(cur);
	schedule_and_exit(cpu);
}

struct tcb *scheduler_switch_from_blocked(struct tcb *t)
{
	struct cpu *cpu = this_cpu();
	int top = cpu_highest_ready(cpu);
	if (top < 0)
		return NULL;
	struct tcb *next = cpu->ready[top].head;
	scheduler_dequeue(next);
	clock_start_slice(next->timeslice_ticks ? next->timeslice_ticks : cpu->timeslice_ticks);
	cpu->current = next;
	return arch_switch_threads(t, next);
}

struct tcb *scheduler_switch_to_woken(struct tcb *t, struct tcb *woken)
{
	struct cpu *cpu = this_cpu();
	woken->state = THREAD_RUNNING;
	if (woken->priority <= t->priority || cpu_highest_ready(cpu) >= woken->priority) {
		/* The general rule applies: the woken thread just becomes ready. */
		ready_append(cpu, woken);
		return t;
	}
	ready_append(cpu, t);
	clock_start_slice(woken->timeslice_ticks ? woken->timeslice_ticks : cpu->timeslice_ticks);
	cpu->current = woken;
	return arch_switch_threads(t, woken);
}
