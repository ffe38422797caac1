/* SystemInfo: a kernel singleton for read-only introspection — the threads that exist and
 * how memory is used. It reveals no authority, but it does reveal what other components
 * are doing, so it is a capability the spec grants (to a shell, a monitor), not ambient. */
#include <kernel/arch.h>
#include <kernel/boot.h>
#include <kernel/invocation.h>
#include <kernel/scheduler.h>
#include <kernel/syscall.h>
#include <kernel/untyped.h>

int system_info_invoke(struct cte *slot, struct tcb *caller, uint64_t label, unsigned length)
{
	if (!cap_has_rights(&slot->cap, M6_RIGHT_READ))
		return M6_ERR_INSUFFICIENT_RIGHTS;
	switch (label) {
	case M6_SYSTEM_INFO_MEMORY: {
		uint64_t total, used, free;
		untyped_usage(&total, &used, &free);
		tcb_set_mr(caller, 0, total);
		tcb_set_mr(caller, 1, used);
		tcb_set_mr(caller, 2, free);
		return invocation_ok(caller, 3);
	}
	case M6_SYSTEM_INFO_THREAD: {
		if (length < 1)
			return M6_ERR_INVALID_ARGUMENT;
		word_t index = tcb_get_mr(caller, 0);
		struct tcb *t = index < UINT32_MAX ? tcb_nth((unsigned)index) : NULL;
		if (!t)
			return M6_ERR_RANGE;
		word_t name[3] = {0, 0, 0};
		for (unsigned i = 0; i < TCB_NAME_LEN && t->name[i]; i++)
			name[i / 8] |= (word_t)(uint8_t)t->name[i] << (8 * (i % 8));
		tcb_set_mr(caller, 0, (word_t)t->state);
		tcb_set_mr(caller, 1, t->priority);
		tcb_set_mr(caller, 2, t->max_priority);
		tcb_set_mr(caller, 3, t->flags);
		for (unsigned i = 0; i < 3; i++)
			tcb_set_mr(caller, 4 + i, name[i]);
		tcb_set_mr(caller, 7, t->cpu);
		/* MR6 and MR7 need an IPC buffer; without one the name is cut to 16 bytes. */
		return invocation_ok(caller, tcb_max_mrs(caller) < 8 ? tcb_max_mrs(caller) : 8);
	}
	case M6_SYSTEM_INFO_BOOT:
		tcb_set_mr(caller, 0, boot_finished_at);
		tcb_set_mr(caller, 1, arch_timer_frequency());
		return invocation_ok(caller, 2);
	case M6_SYSTEM_INFO_CPU_ID: {
		if (length < 1)
			return M6_ERR_INVALID_ARGUMENT;
		word_t index = tcb_get_mr(caller, 0);
		uint64_t value;
		if (index >= 64 || !arch_read_id_register((unsigned)index, &value))
			return M6_ERR_RANGE;
		tcb_set_mr(caller, 0, value);
		return invocation_ok(caller, 1);
	}
	case M6_SYSTEM_INFO_CPU: {
		if (length < 1)
			return M6_ERR_INVALID_ARGUMENT;
		word_t index = tcb_get_mr(caller, 0);
		if (index >= cpu_count)
			return M6_ERR_RANGE;
		const struct cpu *c = &cpus[index];
		/* An idle CPU's current stretch counts too (idle_since: under the lock). */
		uint64_t idle =
		    c->idle_ticks + (c->idle_since ? arch_timer_now() - c->idle_since : 0);
		tcb_set_mr(caller, 0, c->online);
		tcb_set_mr(caller, 1, c->mpidr);
		tcb_set_mr(caller, 2, idle);
		tcb_set_mr(caller, 3, cpu_count);
		tcb_set_mr(caller, 4, c->online_since);
		tcb_set_mr(caller, 5, c->device_irqs);
		return invocation_ok(caller, 6);
	}
	default:
		return M6_ERR_ILLEGAL_OPERATION;
	}
}

_Static_assert(THREAD_INACTIVE == M6_THREAD_INACTIVE && THREAD_RUNNING == M6_THREAD_RUNNING &&
                   THREAD_BLOCKED_SEND == M6_THREAD_BLOCKED_SEND &&
                   THREAD_BLOCKED_RECV == M6_THREAD_BLOCKED_RECV &&
                   THREAD_BLOCKED_REPLY == M6_THREAD_BLOCKED_REPLY &&
                   THREAD_BLOCKED_NOTIFICATION == M6_THREAD_BLOCKED_NOTIFICATION,
               "thread states are ABI");
