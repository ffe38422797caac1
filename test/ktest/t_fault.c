/* Faults: VM faults, undefined instruction, alignment, breakpoint and unknown syscalls
 * arrive at the thread's fault endpoint with the documented label and MRs; the handler's
 * reply resumes (with a new pc/sp, or x0 for syscalls) or stops the thread. Also the
 * Linux-ABI flag. */
#include "ktest.h"

#define FAULT_BADGE 0xfa0

static volatile uint64_t recovered;

/* Fault according to arg[0]; a resumed thread records it in out[0]. */
static uint64_t fn_fault(struct kt_thread *self)
{
	switch (self->arg[0]) {
	case 0: /* read of unmapped memory */
		self->out[0] = *(volatile uint64_t *)(uintptr_t)self->arg[1];
		break;
	case 1: /* write to unmapped memory */
		*(volatile uint64_t *)(uintptr_t)self->arg[1] = 1;
		break;
	case 2: /* undefined instruction */
		__asm__ volatile("udf #0x42");
		break;
	case 3: /* breakpoint */
		__asm__ volatile("brk #0x17");
		break;
	case 4: /* pc alignment: branch to a misaligned address */
		((void (*)(void))(uintptr_t)(self->arg[1] | 2))();
		break;
	case 5: /* exclusive load from a misaligned address */
		__asm__ volatile("ldxr %0, [%1]"
		                 : "=r"(self->out[3])
		                 : "r"(self->arg[1])
		                 : "memory");
		break;
	}
	self->out[1] = 1;
	return 0;
}

/* Start fn_fault with a badged fault endpoint; the fault message lands in *m. Returns
 * the fault label, or ~0 when no fault came. */
static uint64_t provoke(struct kt_thread *t, uint64_t kind, uint64_t addr, m6_cptr_t *ep_out,
                        struct m6_msg *m, uint64_t *badge)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	if (!ep)
		return ~0ull;
	m6_cptr_t fep = kt_mint(ep, M6_RIGHTS_ALL, FAULT_BADGE);
	if (!fep)
		return ~0ull;
	*ep_out = ep;
	t->arg[0] = kind;
	t->arg[1] = addr;
	if (!kt_thread_create(t, fn_fault, KT_HELPER_PRIO))
		return ~0ull;
	if (kt_thread_set_fault_ep(t, fep) != M6_OK)
		return ~0ull;
	if (m6_tcb_resume(t->tcb) != M6_OK)
		return ~0ull;
	bool ok;
	*badge = kt_recv_poll(ep, m, 50, &ok);
	return ok ? m6_msginfo_label(m->info) : ~0ull;
}

static void stop(void)
{
	struct m6_msg r = {.info = m6_msginfo(M6_FAULT_REPLY_STOP, 0)};
	m6_reply(&r);
}

static uint64_t esr_class(uint64_t esr)
{
	return (esr >> 26) & 0x3f;
}

TEST(fault_vm_read)
{
	struct kt_thread t;
	struct m6_msg m;
	uint64_t badge;
	m6_cptr_t ep;
	REQUIRE_EQ(provoke(&t, 0, 0x8, &ep, &m, &badge), M6_FAULT_VM);
	CHECK_EQ(badge, FAULT_BADGE);
	CHECK_EQ(m.mr[1], 0x8);
	CHECK_EQ(m.mr[3], 0);
	CHECK_EQ(esr_class(m.mr[2]), 0x24); /* data abort from EL0 */
	CHECK(m.mr[0] >= M6_LAYOUT_IMAGE_BASE && m.mr[0] < M6_LAYOUT_IMAGE_LIMIT);
	stop();
	CHECK(!t.done);
}

TEST(fault_vm_write)
{
	struct kt_thread t;
	struct m6_msg m;
	uint64_t badge;
	m6_cptr_t ep;
	REQUIRE_EQ(provoke(&t, 1, 0x7000000008ull, &ep, &m, &badge), M6_FAULT_VM);
	CHECK_EQ(m.mr[1], 0x7000000008ull);
	CHECK_EQ((m.mr[2] >> 6) & 1, 1); /* ESR WnR: a write */
	stop();
}

TEST(fault_vm_write_to_code)
{
	struct kt_thread t;
	struct m6_msg m;
	uint64_t badge;
	m6_cptr_t ep;
	uint64_t before = *(volatile uint64_t *)(uintptr_t)M6_LAYOUT_IMAGE_BASE;
	REQUIRE_EQ(provoke(&t, 1, M6_LAYOUT_IMAGE_BASE, &ep, &m, &badge), M6_FAULT_VM);
	CHECK_EQ(m.mr[1], M6_LAYOUT_IMAGE_BASE);
	stop();
	CHECK_EQ(*(volatile uint64_t *)(uintptr_t)M6_LAYOUT_IMAGE_BASE, before);
}

TEST(fault_vm_kernel_address)
{
	struct kt_thread t;
	struct m6_msg m;
	uint64_t badge;
	m6_cptr_t ep;
	REQUIRE_EQ(provoke(&t, 0, 0xffff000000000000ull, &ep, &m, &badge), M6_FAULT_VM);
	CHECK_EQ(m.mr[1], 0xffff000000000000ull);
	stop();
}

TEST(fault_undefined_instruction)
{
	struct kt_thread t;
	struct m6_msg m;
	uint64_t badge;
	m6_cptr_t ep;
	REQUIRE_EQ(provoke(&t, 2, 0, &ep, &m, &badge), M6_FAULT_EXCEPTION);
	CHECK_EQ(esr_class(m.mr[1]), 0);
	CHECK_EQ(*(volatile uint32_t *)(uintptr_t)m.mr[0], 0x42); /* pc points at the udf */
	stop();
}

TEST(fault_breakpoint)
{
	struct kt_thread t;
	struct m6_msg m;
	uint64_t badge;
	m6_cptr_t ep;
	REQUIRE_EQ(provoke(&t, 3, 0, &ep, &m, &badge), M6_FAULT_EXCEPTION);
	CHECK_EQ(esr_class(m.mr[1]), 0x3c);
	CHECK_EQ(m.mr[1] & 0xffff, 0x17);
	stop();
}

TEST(fault_pc_alignment)
{
	struct kt_thread t;
	struct m6_msg m;
	uint64_t badge;
	m6_cptr_t ep;
	uint64_t target = kt_thread_entry_pc();
	REQUIRE_EQ(provoke(&t, 4, target, &ep, &m, &badge), M6_FAULT_EXCEPTION);
	CHECK_EQ(esr_class(m.mr[1]), 0x22);
	CHECK_EQ(m.mr[0], target | 2);
	stop();
}

TEST(fault_data_alignment)
{
	struct kt_thread t;
	struct m6_msg m;
	uint64_t badge;
	m6_cptr_t ep;
	uint64_t addr = (uint64_t)(uintptr_t)&recovered + 1;
	uint64_t label = provoke(&t, 5, addr, &ep, &m, &badge);
	/* an alignment fault is a data abort: either label is a fair report of it */
	CHECK(label == M6_FAULT_VM || label == M6_FAULT_EXCEPTION);
	if (label == M6_FAULT_VM)
		CHECK_EQ(m.mr[1], addr);
	if (label != ~0ull)
		stop();
}

static volatile m6_cptr_t recover_tcb;

/* Where the handler resumes a faulted helper; it outranks main, so it must stop. */
static void recover_here(void)
{
	recovered = 1;
	for (;;)
		m6_tcb_suspend(recover_tcb);
}

static uint64_t recovery_stack[256] __attribute__((aligned(16)));

TEST(fault_resume_new_pc_sp)
{
	struct kt_thread t;
	struct m6_msg m;
	uint64_t badge;
	m6_cptr_t ep;
	recovered = 0;
	REQUIRE_EQ(provoke(&t, 0, 0x10, &ep, &m, &badge), M6_FAULT_VM);
	recover_tcb = t.tcb;
	struct m6_msg r = {
	    .info = m6_msginfo(M6_FAULT_REPLY_RESUME, 2),
	    .mr = {(uint64_t)(uintptr_t)recover_here, (uint64_t)(uintptr_t)&recovery_stack[256]}};
	CHECK_OK(m6_reply(&r));
	CHECK(kt_wait_flag(&recovered, 100));
	struct m6_tcb_registers regs;
	REQUIRE_OK(m6_tcb_suspend(t.tcb));
	REQUIRE_OK(m6_tcb_read_registers(t.tcb, &regs));
	CHECK(regs.sp <= (uint64_t)(uintptr_t)&recovery_stack[256] &&
	      regs.sp > (uint64_t)(uintptr_t)&recovery_stack[0]);
}

TEST(fault_resume_retry_after_map)
{
	/* demand paging: the handler maps the page and lets the access run again */
	uint64_t va = kt_region();
	REQUIRE(va);
	struct kt_thread t;
	struct m6_msg m;
	uint64_t badge;
	m6_cptr_t ep;
	REQUIRE_EQ(provoke(&t, 0, va + 0x10, &ep, &m, &badge), M6_FAULT_VM);
	m6_cptr_t f = kt_map_new_frame(va, M6_RIGHT_READ | M6_RIGHT_WRITE);
	REQUIRE(f);
	*(volatile uint64_t *)(uintptr_t)(va + 0x10) = 0xabcabc;
	struct m6_msg r = {.info = m6_msginfo(M6_FAULT_REPLY_RESUME, 0)};
	CHECK_OK(m6_reply(&r));
	CHECK(kt_join(&t, 100));
	CHECK_EQ(t.out[0], 0xabcabc);
}

TEST(fault_stop_leaves_thread_stopped)
{
	struct kt_thread t;
	struct m6_msg m;
	uint64_t badge;
	m6_cptr_t ep;
	REQUIRE_EQ(provoke(&t, 0, 0x18, &ep, &m, &badge), M6_FAULT_VM);
	uint64_t pc = m.mr[0];
	stop();
	for (unsigned i = 0; i < 20; i++)
		m6_yield();
	CHECK(!t.done);
	struct m6_tcb_registers regs;
	CHECK_OK(m6_tcb_read_registers(t.tcb, &regs));
	CHECK_EQ(regs.pc, pc);
	/* no second fault message: the thread did not retry */
	struct m6_msg m2;
	CHECK_ERR(kt_nbrecv(ep, &m2), M6_ERR_WOULD_BLOCK);
}

TEST(fault_two_threads_badges)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t[2];
	for (unsigned i = 0; i < 2; i++) {
		m6_cptr_t fep = kt_mint(ep, M6_RIGHTS_ALL, 0xb0 + i);
		REQUIRE(fep);
		t[i].arg[0] = 0;
		t[i].arg[1] = 0x100 * (i + 1);
		REQUIRE(kt_thread_create(&t[i], fn_fault, KT_HELPER_PRIO));
		REQUIRE_OK(
		    m6_tcb_configure(t[i].tcb, fep, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0));
		REQUIRE_OK(m6_tcb_resume(t[i].tcb));
	}
	for (unsigned i = 0; i < 2; i++) {
		struct m6_msg m;
		bool ok;
		uint64_t badge = kt_recv_poll(ep, &m, 50, &ok);
		REQUIRE(ok);
		CHECK_EQ(badge, 0xb0 + i);
		CHECK_EQ(m.mr[1], 0x100 * (i + 1));
		stop();
	}
}

/* x8 = arg[0]; x0..x5 = arg[1] + i; out[0] = x0 after the svc, out[1] = svc address. */
static uint64_t fn_svc(struct kt_thread *self)
{
	register uint64_t x0 __asm__("x0") = self->arg[1];
	register uint64_t x1 __asm__("x1") = self->arg[1] + 1;
	register uint64_t x2 __asm__("x2") = self->arg[1] + 2;
	register uint64_t x3 __asm__("x3") = self->arg[1] + 3;
	register uint64_t x4 __asm__("x4") = self->arg[1] + 4;
	register uint64_t x5 __asm__("x5") = self->arg[1] + 5;
	register uint64_t x8 __asm__("x8") = self->arg[0];
	uint64_t at;
	__asm__ volatile("adr %[at], 1f\n1:\tsvc #0"
	                 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4),
	                   "+r"(x5), [at] "=&r"(at)
	                 : "r"(x8)
	                 : "x6", "x7", "memory");
	self->out[1] = at;
	self->out[0] = x0;
	self->out[2] = 1;
	return 0;
}

static bool start_svc(struct kt_thread *t, uint64_t number, m6_cptr_t fep, uint64_t flags)
{
	t->arg[0] = number;
	t->arg[1] = 0x1000;
	if (!kt_thread_create(t, fn_svc, KT_HELPER_PRIO))
		return false;
	if (m6_tcb_configure(t->tcb, fep, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0) != M6_OK)
		return false;
	if (flags && m6_tcb_set_flags(t->tcb, flags) != M6_OK)
		return false;
	return m6_tcb_resume(t->tcb) == M6_OK;
}

static uint64_t last_fault_pc;

/* The fault message's pc is the address after the svc (where the thread resumes). */
static void check_fault_pc(const struct kt_thread *t)
{
	CHECK_EQ(last_fault_pc - t->out[1], 4);
}

static void check_syscall_message(const struct m6_msg *m, const struct kt_thread *t,
                                  uint64_t number)
{
	CHECK_EQ(m6_msginfo_length(m->info), 11);
	CHECK_EQ(m->mr[0], 0x1000);
	CHECK_EQ(m->mr[5], 0x1005);
	CHECK_EQ(m6_mr_get(m, 8), number);
	/* pc: checked against the svc's address once the thread has resumed and recorded
	 * it (see check_fault_pc) */
	last_fault_pc = m6_mr_get(m, 9);
	uint64_t sp = m6_mr_get(m, 10);
	CHECK(sp < kt_thread_stack_top(t) && sp > kt_thread_stack_top(t) - KT_STACK_SIZE);
}

TEST(fault_unknown_syscall)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	REQUIRE(start_svc(&t, 99, ep, 0));
	struct m6_msg m;
	bool ok;
	kt_recv_poll(ep, &m, 50, &ok);
	REQUIRE(ok);
	CHECK_EQ(m6_msginfo_label(m.info), M6_FAULT_UNKNOWN_SYSCALL);
	check_syscall_message(&m, &t, 99);
	/* the reply's MR0 becomes x0 and the thread continues after the svc */
	struct m6_msg r = {.info = m6_msginfo(M6_FAULT_REPLY_RESUME, 1), .mr = {77}};
	CHECK_OK(m6_reply(&r));
	CHECK(kt_join(&t, 100));
	check_fault_pc(&t);
	CHECK_EQ(t.out[0], 77);
}

TEST(fault_unknown_syscall_without_handler)
{
	struct kt_thread t;
	REQUIRE(start_svc(&t, 1000, 0, 0));
	CHECK(kt_join(&t, 100));
	CHECK_ERR(t.out[0], M6_ERR_INVALID_SYSCALL);
}

TEST(fault_linux_abi_syscall)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t fep = kt_mint(ep, M6_RIGHTS_ALL, 0x11);
	REQUIRE(fep);
	struct kt_thread t;
	/* 64 is Linux write; an m6 number (yield) must go to the handler just the same */
	REQUIRE(start_svc(&t, M6_SYS_YIELD, fep, M6_TCB_FLAG_LINUX_ABI));
	struct m6_msg m;
	bool ok;
	uint64_t badge = kt_recv_poll(ep, &m, 50, &ok);
	REQUIRE(ok);
	CHECK_EQ(badge, 0x11);
	CHECK_EQ(m6_msginfo_label(m.info), M6_FAULT_LINUX_SYSCALL);
	check_syscall_message(&m, &t, M6_SYS_YIELD);
	struct m6_msg r = {.info = m6_msginfo(M6_FAULT_REPLY_RESUME, 1), .mr = {(uint64_t)-14}};
	CHECK_OK(m6_reply(&r));
	CHECK(kt_join(&t, 100));
	check_fault_pc(&t);
	CHECK_EQ(t.out[0], (uint64_t)-14);
}

TEST(fault_linux_abi_write_number)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	REQUIRE(start_svc(&t, 64, ep, M6_TCB_FLAG_LINUX_ABI));
	struct m6_msg m;
	bool ok;
	kt_recv_poll(ep, &m, 50, &ok);
	REQUIRE(ok);
	CHECK_EQ(m6_msginfo_label(m.info), M6_FAULT_LINUX_SYSCALL);
	check_syscall_message(&m, &t, 64);
	struct m6_msg r = {.info = m6_msginfo(M6_FAULT_REPLY_STOP, 0)};
	CHECK_OK(m6_reply(&r));
	for (unsigned i = 0; i < 10; i++)
		m6_yield();
	CHECK(!t.done);
}

TEST(fault_linux_abi_suspended_while_queued)
{
	/* the svc is queued on an endpoint nobody receives from yet */
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	REQUIRE(start_svc(&t, 64, ep, M6_TCB_FLAG_LINUX_ABI));
	for (unsigned i = 0; i < 10; i++)
		m6_yield();
	REQUIRE_OK(m6_tcb_suspend(t.tcb));
	struct m6_tcb_registers r = {0};
	REQUIRE_OK(m6_tcb_read_registers(t.tcb, &r));
	struct m6_msg m;
	CHECK_ERR(kt_nbrecv(ep, &m), M6_ERR_WOULD_BLOCK); /* the message is gone */
	/* resumed, the thread issues the same svc again: the handler gets it once */
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	bool ok;
	kt_recv_poll(ep, &m, 50, &ok);
	REQUIRE(ok);
	CHECK_EQ(m6_msginfo_label(m.info), M6_FAULT_LINUX_SYSCALL);
	check_syscall_message(&m, &t, 64);
	struct m6_msg rep = {.info = m6_msginfo(M6_FAULT_REPLY_RESUME, 1), .mr = {77}};
	CHECK_OK(m6_reply(&rep));
	CHECK(kt_join(&t, 100));
	check_fault_pc(&t);
	CHECK_EQ(t.out[0], 77);
	/* the suspended thread's pc was the svc itself */
	CHECK_EQ(r.pc, t.out[1]);
	CHECK_EQ(r.x[0], 0x1000);
}

TEST(fault_linux_abi_cleared)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = M6_SYS_YIELD;
	t.arg[1] = 0x1000;
	REQUIRE(kt_thread_create(&t, fn_svc, KT_HELPER_PRIO));
	REQUIRE_OK(m6_tcb_configure(t.tcb, ep, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0));
	REQUIRE_OK(m6_tcb_set_flags(t.tcb, M6_TCB_FLAG_LINUX_ABI));
	REQUIRE_OK(m6_tcb_set_flags(t.tcb, 0));
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	/* a plain yield again: returns M6_OK in x0 without any fault message */
	CHECK(kt_join(&t, 100));
	check_fault_pc(&t);
	CHECK_OK(t.out[0]);
	struct m6_msg m;
	CHECK_ERR(kt_nbrecv(ep, &m), M6_ERR_WOULD_BLOCK);
}

static volatile m6_cptr_t stale_server, stale_tcb;
static volatile uint64_t stale_err, stale_mr0, stale_done;
static uint64_t stale_stack[1024] __attribute__((aligned(16)));

/* Where a faulted, stopped, then restarted thread goes on: an ordinary call. */
static void stale_client(void)
{
	struct m6_msg m = {.info = m6_msginfo(0x77, 1), .mr = {0x55}};
	stale_err = m6_call(stale_server, &m);
	stale_mr0 = m.mr[0];
	stale_done = 1;
	for (;;)
		m6_tcb_suspend(stale_tcb);
}

static uint64_t fn_udf(struct kt_thread *self)
{
	(void)self;
	__asm__ volatile("udf #1");
	return 0;
}

TEST(fault_dropped_with_its_handler_leaves_no_trace)
{
	/* A thread faults; its fault endpoint goes away before anyone answers. Restarted
	 * elsewhere, its next call must be an ordinary call: the server sees the message,
	 * and a plain reply answers it (it must not be taken for a fault reply that sets
	 * pc and sp). */
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	m6_cptr_t fep = kt_mint(ep, M6_RIGHTS_ALL, 0x11);
	REQUIRE(fep);
	struct kt_thread t;
	REQUIRE(kt_thread_create(&t, fn_udf, KT_HELPER_PRIO));
	REQUIRE_OK(kt_thread_set_fault_ep(&t, fep));
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	REQUIRE_OK(m6_cnode_revoke(M6_CAP_SELF_CNODE, ep, 64));
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, ep, 64));
	stale_server = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(stale_server);
	stale_done = 0;
	stale_tcb = t.tcb;
	REQUIRE_OK(m6_tcb_write_registers(t.tcb, true, (uint64_t)(uintptr_t)stale_client,
	                                  (uint64_t)(uintptr_t)&stale_stack[1024], NULL, 0));
	struct m6_msg m;
	bool ok;
	kt_recv_poll(stale_server, &m, 50, &ok);
	REQUIRE(ok);
	CHECK_EQ(m6_msginfo_label(m.info), 0x77);
	CHECK_EQ(m.mr[0], 0x55);
	struct m6_msg r = {.info = m6_msginfo(0, 1), .mr = {0x99}};
	CHECK_OK(m6_reply(&r));
	CHECK(kt_wait_flag(&stale_done, 100));
	CHECK_EQ(stale_err, M6_OK);
	CHECK_EQ(stale_mr0, 0x99);
}

static uint64_t fn_serve_then_fault(struct kt_thread *self)
{
	struct m6_msg m = {0};
	m6_recv(self->arg[0], &m);
	__asm__ volatile("udf #2");
	return 0;
}

TEST(fault_stop_releases_the_stopped_threads_caller)
{
	/* Server S takes client C's call, then faults; its handler (main) stops it. C must
	 * not wait for ever for a reply S will never send. */
	m6_cptr_t srv = kt_new(M6_OBJ_ENDPOINT, 0), e = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(srv && e);
	m6_cptr_t fep = kt_mint(e, M6_RIGHTS_ALL, 0x22);
	REQUIRE(fep);
	struct kt_thread s, c;
	s.arg[0] = srv;
	REQUIRE(kt_thread_create(&s, fn_serve_then_fault, KT_HELPER_PRIO));
	REQUIRE_OK(kt_thread_set_fault_ep(&s, fep));
	REQUIRE_OK(m6_tcb_resume(s.tcb));
	c.arg[0] = srv;
	REQUIRE(kt_thread_start(&c, kt_fn_call, KT_HELPER_PRIO));
	struct m6_msg m;
	bool ok;
	kt_recv_poll(e, &m, 50, &ok);
	REQUIRE(ok);
	CHECK_EQ(m6_msginfo_label(m.info), M6_FAULT_EXCEPTION);
	struct m6_msg r = {.info = m6_msginfo(M6_FAULT_REPLY_STOP, 0)};
	CHECK_OK(m6_reply(&r));
	CHECK(kt_join(&c, 50));
	CHECK_EQ(c.out[0], M6_ERR_NO_REPLY);
}

const struct kt_test kt_suite_fault[] = {
    KT_ENTRY(fault_vm_read),
    KT_ENTRY(fault_vm_write),
    KT_ENTRY(fault_vm_write_to_code),
    KT_ENTRY(fault_vm_kernel_address),
    KT_ENTRY(fault_undefined_instruction),
    KT_ENTRY(fault_breakpoint),
    KT_ENTRY(fault_pc_alignment),
    KT_ENTRY(fault_data_alignment),
    KT_ENTRY(fault_resume_new_pc_sp),
    KT_ENTRY(fault_resume_retry_after_map),
    KT_ENTRY(fault_stop_leaves_thread_stopped),
    KT_ENTRY(fault_two_threads_badges),
    KT_ENTRY(fault_unknown_syscall),
    KT_ENTRY(fault_unknown_syscall_without_handler),
    KT_ENTRY(fault_linux_abi_syscall),
    KT_ENTRY(fault_linux_abi_write_number),
    KT_ENTRY(fault_linux_abi_suspended_while_queued),
    KT_ENTRY(fault_linux_abi_cleared),
    KT_ENTRY(fault_dropped_with_its_handler_leaves_no_trace),
    KT_ENTRY(fault_stop_releases_the_stopped_threads_caller),
    KT_END,
};
