/* SystemInfo invocations. */
#include <string.h>

#include <m6/sysinfo.h>

uint64_t m6_sysinfo_thread(m6_cptr_t info, uint64_t index, struct m6_thread_info *out)
{
	struct m6_msg m = {.info = m6_msginfo(M6_SYSTEM_INFO_THREAD, 1), .mr = {index}};
	uint64_t err = m6_call(info, &m);
	if (err != M6_OK)
		return err;
	out->state = m.mr[0];
	out->priority = m.mr[1];
	out->max_priority = m.mr[2];
	out->flags = m.mr[3];
	/* MR6 (the name's last 8 bytes) and MR7 (the CPU) come in the IPC buffer. */
	unsigned length = (unsigned)m6_msginfo_length(m.info);
	const struct m6_ipc_buffer *buf = m6_ipc_buffer();
	uint64_t name[3] = {m.mr[4], m.mr[5], length > 6 && buf ? buf->mr[6] : 0};
	out->cpu = length > 7 && buf ? buf->mr[7] : 0;
	memcpy(out->name, name, 24);
	out->name[24] = '\0';
	return M6_OK;
}

uint64_t m6_sysinfo_memory(m6_cptr_t info, struct m6_memory_info *out)
{
	struct m6_msg m = {.info = m6_msginfo(M6_SYSTEM_INFO_MEMORY, 0)};
	uint64_t err = m6_call(info, &m);
	if (err != M6_OK)
		return err;
	out->ram_bytes = m.mr[0];
	out->boot_bytes = m.mr[1];
	out->free_bytes = m.mr[2];
	return M6_OK;
}

uint64_t m6_sysinfo_boot(m6_cptr_t info, uint64_t *boot_counter, uint64_t *frequency)
{
	struct m6_msg m = {.info = m6_msginfo(M6_SYSTEM_INFO_BOOT, 0)};
	uint64_t err = m6_call(info, &m);
	if (err != M6_OK)
		return err;
	*boot_counter = m.mr[0];
	*frequency = m.mr[1];
	return M6_OK;
}

uint64_t m6_sysinfo_cpu_id(m6_cptr_t info, unsigned crm, unsigned op2, uint64_t *value)
{
	/* op2 above 7 would alias another register: refused as the kernel refuses CRm > 7 */
	uint64_t index = op2 < 8 ? (uint64_t)crm * 8 + op2 : UINT64_MAX;
	struct m6_msg m = {.info = m6_msginfo(M6_SYSTEM_INFO_CPU_ID, 1), .mr = {index}};
	uint64_t err = m6_call(info, &m);
	if (err != M6_OK)
		return err;
	*value = m.mr[0];
	return M6_OK;
}

uint64_t m6_sysinfo_cpu(m6_cptr_t info, uint64_t index, struct m6_cpu_info *out)
{
	struct m6_msg m = {.info = m6_msginfo(M6_SYSTEM_INFO_CPU, 1), .mr = {index}};
	uint64_t err = m6_call(info, &m);
	if (err != M6_OK)
		return err;
	out->online = m.mr[0];
	out->mpidr = m.mr[1];
	out->idle_ticks = m.mr[2];
	out->cpu_count = m.mr[3];
	out->online_since = m.mr[4];
	out->device_irqs = m.mr[5];
	return M6_OK;
}

const char *m6_thread_state_name(uint64_t state)
{
	static const char *const names[] = {
	    [M6_THREAD_INACTIVE] = "inactive",   [M6_THREAD_RUNNING] = "running",
	    [M6_THREAD_BLOCKED_SEND] = "send",   [M6_THREAD_BLOCKED_RECV] = "recv",
	    [M6_THREAD_BLOCKED_REPLY] = "reply", [M6_THREAD_BLOCKED_NOTIFICATION] = "wait",
	};
	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}
