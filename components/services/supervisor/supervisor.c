/* The supervisor (docs/supervision.md): receives the faults of the components the spec
 * marks `restart by THIS.faults` and restarts each from a clean state.
 *
 * What the spec compiler gives it, per restarted component (<m6/supervision.h>): a
 * restart plan (its name, its fault badge, its threads' start state, which of its slots
 * hold which caps), caps to its CNode and TCBs and the originals of its caps, and its
 * writable private pages mapped here next to their contents at boot. From its own spec:
 * `endpoint faults` (CAP_FAULTS), where those faults arrive, and `syscap debug_console`.
 *
 * A restart: the faulted thread is left stopped and the others suspended (a caller
 * waiting for one of them gets NO_REPLY from the kernel); every cap the component derived
 * from its spec caps is revoked, what it put in other slots deleted, each spec cap
 * reissued from the original here (an untyped pool or an IRQ handler, which exist once,
 * is revoked in place: its objects are gone and its memory free again); its memory is
 * copied back from the boot contents (data, zeroed bss, stacks, IPC buffers, heap); its
 * threads get their start registers (and zeroed FP/SIMD state) and run. Its device is reset by its
 * own start-up.
 *
 * Restart limit: a component that faults again within RESTART_QUIET_NS of its restart has
 * made no progress; after RESTART_LIMIT such restarts in a row the supervisor gives up:
 * it starts the component once more with M6_RESTART_FINAL, a run that only tells its
 * clients it is gone, and stops it for good if that run faults too. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <m6/debug.h>
#include <m6/fault.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6/supervision.h>
#include <m6/syscall.h>
#include <m6/time.h>
#include <m6_caps.h>

#ifndef M6_SUPERVISED_COUNT
#error "this component restarts nothing: its spec needs a component with `restart by THIS.faults`"
#endif

#define RESTART_LIMIT    3u
#define RESTART_QUIET_NS 1000000000ull /* a run this long counts as progress */
#define PAGE             4096u

struct state {
	uint32_t restarts;   /* in all */
	uint32_t in_a_row;   /* each within RESTART_QUIET_NS of the previous restart */
	uint64_t started_ns; /* when it was last (re)started */
	bool final;          /* running its last, wind-down run */
	bool stopped;        /* stopped for good */
};

static struct state states[M6_SUPERVISED_COUNT];

static void say(const char *s)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, s);
}

static void say_num(uint64_t v, int hex)
{
	char buf[24];
	if (hex)
		say("0x");
	say(m6_format_u64(buf, v, hex));
}

/* The plan for `badge`, or NULL if no component faults with that badge. */
static const struct m6_restart_plan *plan_of(uint64_t badge, unsigned *index)
{
	if (badge == 0 || badge > M6_SUPERVISED_COUNT)
		return NULL;
	const struct m6_restart_plan *p = m6_restart_plan((unsigned)(badge - 1));
	if (p->magic != M6_RESTART_PLAN_MAGIC || p->badge != badge)
		return NULL;
	*index = (unsigned)(badge - 1);
	return p;
}

/* Its caps as the spec gave them: what it derived revoked, what it added deleted, each
 * spec cap reissued from our original. Errors are expected and harmless (a slot already
 * empty, nothing derived): each step is a clean-up whose outcome the next step needs
 * only where it says so. */
static bool reissue_caps(const struct m6_restart_plan *p)
{
	m6_cptr_t cnode = (m6_cptr_t)p->cnode;
	bool ok = true;
	for (uint64_t i = 0; i < p->slot_count; i++) {
		uint64_t slot = M6_RESTART_SLOT(p->slots[i]),
		         original = M6_RESTART_ORIGINAL(p->slots[i]);
		m6_cnode_revoke(cnode, slot, 64);
		if (!original)
			continue; /* exists once (untyped, IRQ handler): revoked in place */
		if (p->slots[i] & M6_RESTART_SLOT_TIMER) {
			/* A timer is an object, not only a cap: one the last run armed would
			 * still fire into the next run's notification. As at boot: disarmed and
			 * connected to nothing. */
			m6_timer_cancel((m6_cptr_t)original);
			m6_timer_set_notification((m6_cptr_t)original, 0);
		}
		m6_cnode_delete(cnode, slot, 64);
		/* After the first restart its cap is a copy of ours: revoking ours takes it
		 * and everything derived from it, wherever that went. */
		m6_cnode_revoke(M6_CAP_SELF_CNODE, original, 64);
		if (m6_cnode_copy(cnode, slot, 64, M6_CAP_SELF_CNODE, original, 64,
		                  M6_RIGHTS_ALL) != M6_OK)
			ok = false;
	}
	for (uint64_t slot = p->slot_count + 1; slot < p->cnode_slots; slot++) {
		m6_cnode_revoke(cnode, slot, 64);
		m6_cnode_delete(cnode, slot, 64);
	}
	/* Last, with its timers disarmed and its threads stopped (so nobody waits on them):
	 * its own notifications' words, which may hold signals meant for the last run. */
	for (uint64_t i = 0; i < p->slot_count; i++)
		if (p->slots[i] & M6_RESTART_SLOT_NOTIFICATION)
			m6_poll((m6_cptr_t)M6_RESTART_ORIGINAL(p->slots[i]));
	return ok;
}

static void reset_memory(unsigned index, const struct m6_restart_plan *p)
{
	memcpy((void *)m6_restart_writable(index), (const void *)m6_restart_pristine(index),
	       (size_t)p->pages * PAGE);
}

/* Its threads stopped, and unbound from any notification they bound at run time (as at
 * boot: the spec binds none), so that the next run can bind again. */
static void stop_threads(const struct m6_restart_plan *p)
{
	for (uint64_t t = 0; t < p->thread_count; t++) {
		m6_tcb_suspend((m6_cptr_t)p->threads[t].tcb);
		m6_tcb_unbind_notification((m6_cptr_t)p->threads[t].tcb); /* (none: harmless) */
	}
}

static bool start_threads(const struct m6_restart_plan *p, uint64_t word)
{
	bool ok = true;
	for (uint64_t t = 0; t < p->thread_count; t++) {
		const struct m6_restart_thread *th = &p->threads[t];
		struct m6_tcb_registers regs = {.pc = th->pc, .sp = th->sp};
		regs.x[0] = th->x0;
		regs.x[1] = th->x1;
		regs.x[2] = word;
		/* FP/SIMD state as at boot too (zero: FPCR's rounding mode and flush-to-zero
		 * included), before the registers, which resume the thread. */
		static const struct m6_tcb_fpu zero_fpu;
		if (m6_tcb_write_fpu((m6_cptr_t)th->tcb, &zero_fpu) != M6_OK ||
		    m6_tcb_write_all_registers((m6_cptr_t)th->tcb, true, &regs) != M6_OK)
			ok = false;
	}
	return ok;
}

static void restart(unsigned index, const struct m6_restart_plan *p, uint64_t word)
{
	stop_threads(p);
	bool caps = reissue_caps(p);
	reset_memory(index, p);
	if (!caps || !start_threads(p, word)) {
		say("supervisor: cannot rebuild component ");
		say(p->name);
		say(": stopped for good\n");
		stop_threads(p);
		states[index].stopped = true;
	}
}

static void handle(const struct m6_fault_info *f, unsigned index, const struct m6_restart_plan *p)
{
	struct state *s = &states[index];
	bool exited = f->kind == M6_FAULT_UNKNOWN_SYSCALL && f->syscall.number == M6_EXIT_SYSCALL;
	say("supervisor: component ");
	say(p->name);
	if (exited) {
		say(" exited with status ");
		say_num((uint64_t)(int64_t)(int32_t)f->syscall.x[0], 0);
	} else {
		say(" faulted (pc ");
		say_num(f->pc, 1);
		if (f->kind == M6_FAULT_VM) {
			say(", address ");
			say_num(f->vm.address, 1);
		}
		say(")");
	}
	if (s->stopped || s->final) {
		say(s->final ? " in its last run: stopped for good\n" : "\n");
		s->final = false;
		s->stopped = true;
		stop_threads(p);
		return;
	}
	uint64_t now = m6_time_ns();
	s->in_a_row = now - s->started_ns < RESTART_QUIET_NS ? s->in_a_row + 1 : 1;
	if (s->in_a_row > RESTART_LIMIT) {
		say(": no progress in ");
		say_num(RESTART_LIMIT, 0);
		say(" restarts: giving up, its clients get errors from now on\n");
		s->final = true;
		restart(index, p, M6_RESTART_FINAL | s->restarts);
		return;
	}
	s->restarts++;
	say(" \xe2\x80\x94 restarting (");
	say_num(s->restarts, 0);
	say(")\n");
	s->started_ns = now;
	restart(index, p, s->restarts);
}

int main(void)
{
	uint64_t boot = m6_time_ns();
	for (unsigned i = 0; i < M6_SUPERVISED_COUNT; i++)
		states[i].started_ns = boot;
	struct m6_msg m;
	for (;;) {
		m6_recv(CAP_FAULTS, &m);
		struct m6_fault_info f;
		unsigned index;
		const struct m6_restart_plan *p = plan_of(m.badge, &index);
		if (!p || !m6_fault_decode(&m, &f))
			continue; /* nobody we restart (receiving again drops it: NO_REPLY) */
		/* Leave the faulted thread stopped; handle() suspends the others. */
		m6_fault_reply_stop(&m);
		m6_reply(&m);
		handle(&f, index, p);
	}
}
