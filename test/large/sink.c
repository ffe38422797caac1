/* large_sink: waits until every component of the large system has reported, checks each
 * report once, prints a summary and powers off.
 *
 * Reports arrive on the endpoint `done` (label = what happened, see large_counts.h):
 * servers call (SERVED) and send (KICKED, from their thread `waiter`), clients call
 * (CLIENT). The thread `faultd` receives the clients' deliberate VM faults and the Linux
 * system calls of lx on the endpoint `faults`, answers them, and reports them through the
 * component's own `call sink.done` cap (FAULT, LINUX). */
#include <stdbool.h>

#include <m6/caps.h>
#include <m6/debug.h>
#include <m6/fault.h>
#include <m6/runtime.h>
#include <m6_caps.h>

#include "large_counts.h"

#define LINUX_WRITE      64
#define LINUX_EXIT_GROUP 94

static struct {
	uint8_t served[LARGE_PAIRS], kicked[LARGE_PAIRS], client[LARGE_PAIRS], fault[LARGE_PAIRS];
	uint8_t linux_exit[LARGE_LINUX];
} seen;
static unsigned reports, bad;

static void puts_num(const char *before, uint64_t v, const char *after)
{
	char num[24];
	m6_debug_puts(CAP_DEBUG_CONSOLE, before);
	m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, v, 0));
	m6_debug_puts(CAP_DEBUG_CONSOLE, after);
}

static uint64_t counter(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static uint64_t counter_frequency(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

/* Mark `table[index]` seen: each report must come exactly once, from a known sender. */
static void mark(uint8_t *table, uint64_t index, uint64_t size, bool ok)
{
	if (index >= size || table[index] || !ok) {
		bad++;
		return;
	}
	table[index] = 1;
	reports++;
}

static void account(uint64_t label, uint64_t badge, const uint64_t *mr)
{
	switch (label) {
	case LARGE_LABEL_SERVED:
		mark(seen.served, badge - LARGE_SERVER_BADGE, LARGE_PAIRS,
		     mr[0] == 1 && mr[1] == badge - LARGE_SERVER_BADGE);
		break;
	case LARGE_LABEL_KICKED:
		mark(seen.kicked, badge - LARGE_SERVER_BADGE, LARGE_PAIRS, mr[0] == 1);
		break;
	case LARGE_LABEL_CLIENT:
		mark(seen.client, badge - LARGE_CLIENT_BADGE, LARGE_PAIRS,
		     mr[0] == 1 && mr[1] == badge - LARGE_CLIENT_BADGE);
		break;
	case LARGE_LABEL_FAULT:
		mark(seen.fault, mr[1] - LARGE_CLIENT_BADGE, LARGE_PAIRS, mr[0] == 1);
		break;
	case LARGE_LABEL_LINUX:
		mark(seen.linux_exit, mr[1] - LARGE_LINUX_BADGE, LARGE_LINUX, mr[0] == 1);
		break;
	default:
		bad++;
	}
}

__attribute__((noreturn)) void faultd_main(void);

void faultd_main(void)
{
	struct m6_ipc_buffer *ipc = (struct m6_ipc_buffer *)M6_THREAD_FAULTD_IPC_BUFFER_VADDR;
	struct m6_msg m = {0};
	for (;;) {
		m6_recv(CAP_FAULTS, &m);
		struct m6_fault_info f;
		bool decoded = m6_fault_decode_buf(ipc, &m, &f);
		struct m6_msg report = {.info = m6_msginfo(0, 2), .mr = {0, m.badge}};
		if (decoded && f.kind == M6_FAULT_VM) {
			/* A client's deliberate fault: leave it stopped. */
			report.info = m6_msginfo(LARGE_LABEL_FAULT, 2);
			report.mr[0] = f.vm.address == LARGE_FAULT_ADDRESS;
			m6_fault_reply_stop(&m);
			m6_reply(&m);
		} else if (decoded && f.kind == M6_FAULT_LINUX_SYSCALL &&
		           f.syscall.number == LINUX_WRITE) {
			m6_fault_reply_set_x0(&m, f.syscall.x[2]); /* "wrote" all x2 bytes */
			m6_reply(&m);
			continue;
		} else if (decoded && f.kind == M6_FAULT_LINUX_SYSCALL &&
		           f.syscall.number == LINUX_EXIT_GROUP) {
			report.info = m6_msginfo(LARGE_LABEL_LINUX, 2);
			report.mr[0] =
			    f.syscall.x[0] == 0; /* exit status 0: write returned its length */
			m6_fault_reply_stop(&m);
			m6_reply(&m);
		} else {
			puts_num("sink: unexpected fault, label ", m6_msginfo_label(m.info), "\n");
			m6_fault_reply_stop(&m);
			m6_reply(&m);
		}
		m6_call(CAP_SELF_DONE, &report);
	}
}

/* Exercise the sink's own objects: its device, its untyped pool, its IRQ handler. */
static void self_test(void)
{
	/* PL031 RTC data register: seconds since the epoch, from the host clock. */
	uint32_t rtc = *(const volatile uint32_t *)M6_DEVICE_RTC_VADDR;
	if (rtc == 0)
		bad++;
	/* A notification from the pool into the last slot of the CNode. */
	struct m6_msg m = {
	    .info = m6_msginfo(M6_UNTYPED_RETYPE, 5),
	    .mr = {M6_OBJ_NOTIFICATION, 0, M6_CAP_SELF_CNODE, (1u << M6_CSPACE_RADIX) - 1, 1}};
	if (m6_call(CAP_POOL, &m) != M6_OK)
		bad++;
	/* The handler signals through the cap it is given: that needs a badge. */
	m6_cptr_t spare = m6_cap_mint(CAP_SPARE, M6_RIGHT_WRITE, 1);
	struct m6_msg irq = {.info = m6_msginfo(M6_IRQ_HANDLER_SET_NOTIFICATION, 1), .mr = {spare}};
	if (!spare || m6_call(CAP_SPARE_IRQ, &irq) != M6_OK)
		bad++;
	if (bad)
		m6_debug_puts(CAP_DEBUG_CONSOLE, "sink: self test failed\n");
}

int main(void)
{
	const unsigned expected = 4 * LARGE_PAIRS + LARGE_LINUX;
	uint64_t start = counter();
	puts_num("sink: waiting for ", expected, " reports from ");
	puts_num("", LARGE_COMPONENTS - 1, " components\n");
	self_test();

	struct m6_msg m = {0};
	m6_recv(CAP_DONE, &m);
	for (;;) {
		account(m6_msginfo_label(m.info), m.badge, m.mr);
		if (reports + bad >= expected)
			break;
		m.info = m6_msginfo(0, 0);
		m6_reply_recv(CAP_DONE, &m);
	}
	uint64_t now = counter(), hz = counter_frequency();
	puts_num("sink: ", reports, " reports, ");
	puts_num("", bad, " bad\n");
	puts_num("sink: all components ran; counter at ", now * 1000 / hz, " ms since reset, ");
	puts_num("", (now - start) * 1000 / hz, " ms since the sink started\n");
	m6_debug_puts(CAP_DEBUG_CONSOLE, bad == 0 ? "sink: PASS\n" : "sink: FAIL\n");
	m6_power_off(CAP_POWER);
	return 1;
}
