/* Blocking system calls: park, complete, cancel, time out (block.h). */
#include <stddef.h>

#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6/time.h>
#include <m6_caps.h>

#include "block.h"
#include "shim.h"
#include "signal.h"

struct linux_call shim_call;

static struct blocked parked[BLOCK_MAX];
static unsigned nparked;
static bool have_timer;
static uint64_t armed; /* the deadline the timer is set to; 0: none */
static bool again;     /* a check asked for one more pass (block_run_again) */

bool block_init(void)
{
#if defined(CAP_TICK) && defined(CAP_WAKE)
	/* The timer signals a badged copy of the loop's notification, which is bound to the
	 * shim's thread: a deadline wakes the receive on the fault endpoint. */
	m6_cptr_t badged = m6_cap_mint(CAP_WAKE, M6_RIGHT_WRITE, 1);
	if (badged == 0 || m6_timer_set_notification(CAP_TICK, badged) != M6_OK ||
	    m6_tcb_bind_notification(M6_CAP_SELF_TCB, CAP_WAKE) != M6_OK)
		return false;
	have_timer = true;
#endif
	return have_timer;
}

uint64_t block_deadline_in(uint64_t ns)
{
	uint64_t now = m6_counter(), d = m6_ns_to_ticks(ns);
	return d > UINT64_MAX - now ? UINT64_MAX : now + d;
}

int64_t block_read_timespec(struct proc *p, uint64_t addr, uint64_t *ns)
{
	int64_t ts[2];
	int e = mem_copy_in(p, ts, addr, sizeof(ts));
	if (e)
		return e;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
		return -LINUX_EINVAL;
	/* past about 584 years: saturate (block_deadline_in does too) */
	*ns = (uint64_t)ts[0] > UINT64_MAX / 1000000000u - 1
	          ? UINT64_MAX
	          : (uint64_t)ts[0] * 1000000000u + (uint64_t)ts[1];
	return 0;
}

int64_t block_read_timeout(struct proc *p, uint64_t addr, uint64_t *deadline, bool *now_only)
{
	*deadline = 0;
	*now_only = false;
	if (!addr)
		return 0;
	uint64_t ns;
	int64_t e = block_read_timespec(p, addr, &ns);
	if (e)
		return e;
	if (ns == 0)
		*now_only = true;
	else
		*deadline = block_deadline_in(ns);
	return 0;
}

struct blocked *block_park(block_check_fn check, uint64_t deadline, int64_t on_timeout)
{
	if (deadline && !have_timer)
		return NULL;
	struct blocked *b = NULL;
	for (unsigned i = 0; i < BLOCK_MAX && !b; i++)
		if (!parked[i].used)
			b = &parked[i];
	if (!b)
		return NULL;
	*b = (struct blocked){.used = true,
	                      .p = shim_call.p,
	                      .tcb = shim_call.tcb,
	                      .pc = shim_call.pc,
	                      .sp = shim_call.sp,
	                      .nr = shim_call.nr,
	                      .check = check,
	                      .deadline = deadline,
	                      .on_timeout = on_timeout};
	/* Suspended, the thread no longer waits for the shim's reply; its registers stay as
	 * the svc left them (the kernel has moved pc past the svc already). */
	m6_tcb_suspend(b->tcb);
	nparked++;
	return b;
}

void block_complete(struct blocked *b, int64_t result)
{
	if (!b->used)
		return;
	/* Signals that became deliverable (or a stop) are handled on the way out. */
	if (signal_resume_parked(b, result))
		return;
	b->used = false;
	nparked--;
	uint64_t x0 = (uint64_t)result;
	m6_tcb_write_registers(b->tcb, true, b->pc, b->sp, &x0, 1);
}

void block_forget(struct blocked *b)
{
	if (b->used) {
		b->used = false;
		nparked--;
	}
}

void block_cancel(struct proc *p, m6_cptr_t tcb)
{
	for (unsigned i = 0; i < BLOCK_MAX; i++)
		if (parked[i].used && parked[i].p == p && (tcb == 0 || parked[i].tcb == tcb)) {
			parked[i].used = false;
			nparked--;
		}
}

struct blocked *block_next(struct blocked *after)
{
	for (unsigned i = after ? (unsigned)(after - parked) + 1 : 0; i < BLOCK_MAX; i++)
		if (parked[i].used)
			return &parked[i];
	return NULL;
}

/* The parked call with the earliest deadline at or before `now`, if any. */
static struct blocked *earliest_expired(uint64_t now)
{
	struct blocked *best = NULL;
	for (unsigned i = 0; i < BLOCK_MAX; i++) {
		struct blocked *b = &parked[i];
		if (b->used && b->deadline && b->deadline <= now && !signal_proc_stopped(b->p) &&
		    (!best || b->deadline < best->deadline))
			best = b;
	}
	return best;
}

void block_run_again(void)
{
	again = true;
}

void block_run(void)
{
	if (nparked == 0 && armed == 0)
		return;
	/* One pass, and another while a check asks for it (block_run_again): what it did
	 * (a signal sent from a terminal read's check stops a process) may end waits that
	 * were looked at earlier in the pass (its parent's wait4). */
	for (unsigned pass = 0; pass == 0 || (again && pass < 4); pass++) {
		again = false;
		for (unsigned i = 0; i < BLOCK_MAX; i++) {
			struct blocked *b = &parked[i];
			if (b->used && b->check && !signal_proc_stopped(b->p)) {
				int64_t r = b->check(b);
				if (r != LINUX_PARKED)
					block_complete(b, r);
			}
		}
	}
	/* Timed-out calls resume in deadline order: two sleeps that ended during one pass
	 * run in the order they were due (equal priorities run first come, first served). */
	uint64_t now = m6_counter(), next = 0;
	for (struct blocked *b; (b = earliest_expired(now)) != NULL;)
		block_complete(b, b->on_timeout);
	for (unsigned i = 0; i < BLOCK_MAX; i++)
		if (parked[i].used && parked[i].deadline &&
		    (next == 0 || parked[i].deadline < next))
			next = parked[i].deadline;
#if defined(CAP_TICK)
	if (next != armed) {
		/* A timer bit left from a cancelled deadline only costs one extra pass. */
		if (next)
			m6_timer_set(CAP_TICK, next, 0);
		else
			m6_timer_cancel(CAP_TICK);
		armed = next;
	}
#endif
}
