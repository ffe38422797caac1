/* Start-up and exit for components. */
#include <m6/runtime.h>

extern int main(void);

static struct m6_ipc_buffer *ipc_buffer;

struct m6_ipc_buffer *m6_ipc_buffer(void)
{
	return ipc_buffer;
}

__attribute__((noreturn)) void m6_runtime_start(struct m6_ipc_buffer *buffer, uint64_t arg)
{
	(void)arg;
	ipc_buffer = buffer;
	m6_exit(main());
}

uint64_t m6_power_off(m6_cptr_t power_cap)
{
	struct m6_msg m = {.info = m6_msginfo(M6_POWER_CONTROL, 1), .mr = {M6_POWER_OFF}};
	return m6_call(power_cap, &m);
}

void m6_exit(int status)
{
	(void)status; /* reported to a supervisor once the spec can name one */
	for (;;) {
		struct m6_msg m = {.info = m6_msginfo(M6_TCB_SUSPEND, 0)};
		m6_call(M6_CAP_SELF_TCB, &m);
	}
}
