/* TCB: configure, suspend/resume, registers, priorities and the max-priority authority,
 * notification binding, flags and timeslice. */
#include "ktest.h"

static uint64_t fn_set_flag(struct kt_thread *self)
{
	self->out[0] = 1;
	return 0;
}

/* Count until told to stop, yielding so that equal-priority threads interleave. */
static uint64_t fn_count(struct kt_thread *self)
{
	while (!self->arg[0]) {
		self->out[0]++;
		m6_yield();
	}
	return 0;
}

/* Started by write_registers with x0..x5 set: records them. */
__attribute__((noreturn)) static void entry_args(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                                                 uint64_t a4, uint64_t a5)
{
	volatile uint64_t *out = (volatile uint64_t *)(uintptr_t)a0;
	out[0] = a1;
	out[1] = a2;
	out[2] = a3;
	out[3] = a4;
	out[4] = a5;
	out[5] = 1;
	for (;;)
		m6_tcb_suspend(a5);
}

static m6_cptr_t configured_tcb(void)
{
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0);
	if (t && m6_tcb_configure(t, KT_SLOT_FAULT_EP, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0,
	                          0) != M6_OK)
		return 0;
	return t;
}

TEST(tcb_configure)
{
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0);
	REQUIRE(t);
	CHECK_OK(
	    m6_tcb_configure(t, KT_SLOT_FAULT_EP, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0));
	CHECK_OK(m6_tcb_configure(t, 0, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE,
	                          KT_IPC_REGION + 7 * 4096, KT_SLOT_IPC_FRAME0 + 7));
}

TEST(tcb_configure_bad_cspace)
{
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0), ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(t && ep);
	CHECK_ERR(m6_tcb_configure(t, 0, ep, M6_CAP_SELF_VSPACE, 0, 0), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_tcb_configure(t, 0, kt_slot(), M6_CAP_SELF_VSPACE, 0, 0), M6_ERR_INVALID_CAP);
}

TEST(tcb_configure_bad_vspace)
{
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0), ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(t && ep);
	CHECK_ERR(m6_tcb_configure(t, 0, M6_CAP_SELF_CNODE, ep, 0, 0), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_tcb_configure(t, 0, M6_CAP_SELF_CNODE, M6_CAP_SELF_CNODE, 0, 0),
	          M6_ERR_INVALID_CAP);
}

TEST(tcb_configure_bad_fault_ep)
{
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(t && n);
	CHECK_ERR(m6_tcb_configure(t, n, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0),
	          M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_tcb_configure(t, kt_slot(), M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0),
	          M6_ERR_INVALID_CAP);
}

TEST(tcb_configure_fault_ep_needs_grant)
{
	/* A call cap (write and grant-reply) is not enough to name a fault handler: the
	 * handler would control the thread, which only a cap that may pass caps can give. */
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0), ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(t && ep);
	m6_cptr_t call = kt_copy(ep, M6_RIGHT_WRITE | M6_RIGHT_GRANT_REPLY);
	m6_cptr_t grant_only = kt_copy(ep, M6_RIGHT_GRANT);
	m6_cptr_t send = kt_copy(ep, M6_RIGHT_WRITE | M6_RIGHT_GRANT);
	REQUIRE(call && grant_only && send);
	CHECK_ERR(m6_tcb_configure(t, call, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0),
	          M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_tcb_configure(t, grant_only, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0),
	          M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_OK(m6_tcb_configure(t, send, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0));
}

TEST(tcb_configure_bad_ipc_buffer)
{
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0), ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(t && ep);
	CHECK_ERR(m6_tcb_configure(t, 0, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE,
	                           KT_IPC_REGION + 7 * 4096, ep),
	          M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_tcb_configure(t, 0, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE,
	                           KT_IPC_REGION + 7 * 4096 + 8, KT_SLOT_IPC_FRAME0 + 7),
	          M6_ERR_ALIGNMENT);
}

TEST(tcb_configure_needs_write)
{
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0);
	REQUIRE(t);
	m6_cptr_t ro = kt_copy(t, M6_RIGHT_READ);
	REQUIRE(ro);
	CHECK_ERR(m6_tcb_configure(ro, 0, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0),
	          M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_tcb_suspend(ro), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_tcb_resume(ro), M6_ERR_INSUFFICIENT_RIGHTS);
	struct m6_tcb_registers r;
	CHECK_ERR(m6_tcb_write_registers(ro, false, 0, 0, NULL, 0), M6_ERR_INSUFFICIENT_RIGHTS);
	(void)r;
}

TEST(tcb_resume_runs_thread)
{
	struct kt_thread t;
	REQUIRE(kt_thread_start(&t, fn_set_flag, KT_HELPER_PRIO));
	CHECK(kt_join(&t, 100));
	CHECK_EQ(t.out[0], 1);
}

TEST(tcb_resume_unstarted_is_not_running)
{
	struct kt_thread t;
	REQUIRE(kt_thread_create(&t, fn_set_flag, KT_HELPER_PRIO));
	for (unsigned i = 0; i < 10; i++)
		m6_yield();
	CHECK_EQ(t.out[0], 0);
	CHECK_OK(m6_tcb_resume(t.tcb));
	CHECK(kt_join(&t, 100));
}

TEST(tcb_suspend_stops_thread)
{
	struct kt_thread t;
	REQUIRE(kt_thread_start(&t, fn_count, KT_MAIN_PRIO));
	CHECK(kt_wait_flag(&t.out[0], 100));
	REQUIRE_OK(m6_tcb_suspend(t.tcb));
	uint64_t before = t.out[0];
	for (unsigned i = 0; i < 20; i++)
		m6_yield();
	CHECK_EQ(t.out[0], before);
	/* resume continues where it stopped */
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	for (unsigned i = 0; i < 20; i++)
		m6_yield();
	CHECK(t.out[0] > before);
	t.arg[0] = 1;
	CHECK(kt_join(&t, 100));
}

TEST(tcb_suspend_twice_and_resume_running)
{
	struct kt_thread t;
	REQUIRE(kt_thread_start(&t, fn_count, KT_MAIN_PRIO));
	CHECK_OK(m6_tcb_resume(t.tcb));
	CHECK_OK(m6_tcb_suspend(t.tcb));
	CHECK_OK(m6_tcb_suspend(t.tcb));
}

TEST(tcb_write_registers_args)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	REQUIRE_OK(m6_tcb_set_priority(t, M6_CAP_SELF_TCB, KT_HELPER_PRIO));
	static uint64_t out[6];
	static uint64_t stack[512] __attribute__((aligned(16)));
	uint64_t x[6] = {(uint64_t)(uintptr_t)out, 0x1111, 0x2222, 0x3333, 0x4444, t};
	REQUIRE_OK(m6_tcb_write_registers(t, true, (uint64_t)(uintptr_t)entry_args,
	                                  (uint64_t)(uintptr_t)&stack[512], x, 6));
	kt_wait_flag(&out[5], 100);
	CHECK_EQ(out[5], 1);
	CHECK_EQ(out[0], 0x1111);
	CHECK_EQ(out[3], 0x4444);
	CHECK_EQ(out[4], t);
}

TEST(tcb_read_registers)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	uint64_t x[31];
	for (unsigned i = 0; i < 31; i++)
		x[i] = 0x1000000000000000ull + i * 0x101;
	REQUIRE_OK(m6_tcb_write_registers(t, false, 0x400123, 0x7ff0, x, 31));
	struct m6_tcb_registers r = {0};
	REQUIRE_OK(m6_tcb_read_registers(t, &r));
	CHECK_EQ(r.pc, 0x400123);
	CHECK_EQ(r.sp, 0x7ff0);
	unsigned wrong = 0;
	for (unsigned i = 0; i < 31; i++)
		wrong += r.x[i] != x[i];
	CHECK_EQ(wrong, 0);
	CHECK_EQ(r.x[0], x[0]);
	CHECK_EQ(r.x[30], x[30]);
}

TEST(tcb_read_registers_length)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	struct m6_msg m = {.info = m6_msginfo(M6_TCB_READ_REGISTERS, 0)};
	REQUIRE_OK(m6_call(t, &m));
	CHECK_EQ(m6_msginfo_length(m.info), M6_TCB_READ_REGISTERS_WORDS);
}

TEST(tcb_write_registers_partial)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	uint64_t x[31] = {0};
	for (unsigned i = 0; i < 31; i++)
		x[i] = 0xabc0 + i;
	REQUIRE_OK(m6_tcb_write_registers(t, false, 0x400000, 0x8000, x, 31));
	uint64_t y[2] = {5, 6};
	REQUIRE_OK(m6_tcb_write_registers(t, false, 0x400004, 0x9000, y, 2));
	struct m6_tcb_registers r = {0};
	REQUIRE_OK(m6_tcb_read_registers(t, &r));
	/* only x0, x1 change; the rest keep their values */
	CHECK_EQ(r.x[0], 5);
	CHECK_EQ(r.x[1], 6);
	CHECK_EQ(r.x[2], 0xabc2);
	CHECK_EQ(r.pc, 0x400004);
}

/* Records its TLS register, sets its own, and waits to be read. */
static uint64_t fn_tls(struct kt_thread *self)
{
	uint64_t tp;
	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
	self->out[0] = tp;
	__asm__ volatile("msr tpidr_el0, %0" ::"r"((uint64_t)0x5eedf00dull));
	self->out[1] = 1;
	while (!self->arg[0])
		m6_yield();
	return 0;
}

TEST(tcb_tls_read_write)
{
	/* written before the thread runs: it starts with it (the kernel loads it on switch) */
	struct kt_thread t;
	REQUIRE(kt_thread_create(&t, fn_tls, KT_MAIN_PRIO));
	CHECK_OK(m6_tcb_write_tls(t.tcb, 0x7fff12345670ull));
	uint64_t v = 0;
	CHECK_OK(m6_tcb_read_tls(t.tcb, &v));
	CHECK_EQ(v, 0x7fff12345670ull);
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	CHECK(kt_wait_flag(&t.out[1], 100));
	CHECK_EQ(t.out[0], 0x7fff12345670ull);
	/* what the thread set itself is read while it is off the CPU */
	CHECK_OK(m6_tcb_read_tls(t.tcb, &v));
	CHECK_EQ(v, 0x5eedf00dull);
	t.arg[0] = 1;
	CHECK(kt_join(&t, 100));
}

TEST(tcb_tls_checks)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	uint64_t v = 0;
	/* a thread's own TLS register is its mrs/msr */
	CHECK_ERR(m6_tcb_read_tls(M6_CAP_SELF_TCB, &v), M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(m6_tcb_write_tls(M6_CAP_SELF_TCB, 1), M6_ERR_ILLEGAL_OPERATION);
	/* read needs READ, write needs WRITE */
	m6_cptr_t ro = kt_copy(t, M6_RIGHT_READ), wo = kt_copy(t, M6_RIGHT_WRITE);
	REQUIRE(ro);
	REQUIRE(wo);
	CHECK_ERR(m6_tcb_write_tls(ro, 1), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_tcb_read_tls(wo, &v), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_OK(m6_tcb_read_tls(ro, &v));
	/* a write without its argument */
	struct m6_msg m = {.info = m6_msginfo(M6_TCB_WRITE_TLS, 0)};
	CHECK_ERR(m6_call(t, &m), M6_ERR_INVALID_ARGUMENT);
	/* another object type */
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	CHECK_ERR(m6_tcb_read_tls(n, &v), M6_ERR_ILLEGAL_OPERATION);
}

TEST(tcb_write_registers_nzcv)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	struct m6_tcb_registers w = {.pc = 0x400100, .sp = 0x8000, .spsr = 0xa0000000ull};
	for (unsigned i = 0; i < 31; i++)
		w.x[i] = 0x77000 + i;
	REQUIRE_OK(m6_tcb_write_all_registers(t, false, &w));
	struct m6_tcb_registers r = {0};
	REQUIRE_OK(m6_tcb_read_registers(t, &r));
	CHECK_EQ(r.spsr, 0xa0000000ull);
	CHECK_EQ(r.pc, 0x400100);
	CHECK_EQ(r.x[0], 0x77000);
	CHECK_EQ(r.x[30], 0x77000 + 30);
	/* without the flag NZCV stays, and x0 comes from MR3 as before */
	uint64_t x0 = 9;
	REQUIRE_OK(m6_tcb_write_registers(t, false, 0x400200, 0x9000, &x0, 1));
	REQUIRE_OK(m6_tcb_read_registers(t, &r));
	CHECK_EQ(r.spsr, 0xa0000000ull);
	CHECK_EQ(r.x[0], 9);
	CHECK_EQ(r.x[1], 0x77001);
	/* all four flags set and cleared again */
	w.spsr = 0xf0000000ull;
	REQUIRE_OK(m6_tcb_write_all_registers(t, false, &w));
	REQUIRE_OK(m6_tcb_read_registers(t, &r));
	CHECK_EQ(r.spsr, 0xf0000000ull);
	w.spsr = 0;
	REQUIRE_OK(m6_tcb_write_all_registers(t, false, &w));
	REQUIRE_OK(m6_tcb_read_registers(t, &r));
	CHECK_EQ(r.spsr, 0);
}

TEST(tcb_write_registers_nzcv_checks)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	struct m6_tcb_registers w = {.pc = 0x400100, .sp = 0x8000, .spsr = 0x40000000ull};
	REQUIRE_OK(m6_tcb_write_all_registers(t, false, &w));
	/* anything beyond NZCV (mode, DAIF masks) is refused and nothing changes */
	struct m6_msg m = {.info = m6_msginfo(M6_TCB_WRITE_REGISTERS, 5)};
	m.mr[0] = M6_TCB_WRITE_NZCV;
	m.mr[1] = 0x500000;
	m.mr[2] = 0x1000;
	m.mr[3] = 0x3c5; /* EL1h with every exception masked */
	m.mr[4] = 1;
	CHECK_ERR(m6_call(t, &m), M6_ERR_INVALID_ARGUMENT);
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_WRITE_REGISTERS, 4)};
	m.mr[0] = M6_TCB_WRITE_NZCV;
	m.mr[3] = 1ull << 27; /* Q: not a flag of NZCV */
	CHECK_ERR(m6_call(t, &m), M6_ERR_INVALID_ARGUMENT);
	/* the flag needs its word */
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_WRITE_REGISTERS, 3)};
	m.mr[0] = M6_TCB_WRITE_NZCV;
	CHECK_ERR(m6_call(t, &m), M6_ERR_INVALID_ARGUMENT);
	/* an unknown flag */
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_WRITE_REGISTERS, 3)};
	m.mr[0] = 4;
	CHECK_ERR(m6_call(t, &m), M6_ERR_INVALID_ARGUMENT);
	struct m6_tcb_registers r = {0};
	REQUIRE_OK(m6_tcb_read_registers(t, &r));
	CHECK_EQ(r.pc, 0x400100);
	CHECK_EQ(r.spsr, 0x40000000ull);
	/* its own registers: refused as without the flag */
	CHECK_ERR(m6_tcb_write_all_registers(M6_CAP_SELF_TCB, false, &w), M6_ERR_ILLEGAL_OPERATION);
}

/* Loads v0..v31 from arg[1] (32 x 16 bytes) and FPCR from arg[2], says so (out[1]), and
 * yields until arg[0]; then stores v0..v31 to arg[3], and FPSR, FPCR to out[2], out[3].
 * In one asm block: no compiler-made code may touch the vector registers between. */
static uint64_t fn_fpu(struct kt_thread *self)
{
	volatile uint64_t *go = &self->arg[0];
	uint64_t in = self->arg[1], fpcr = self->arg[2], out = self->arg[3], fpsr_out, fpcr_out;
	__asm__ volatile(
	    "ld1 {v0.2d-v3.2d}, [%[in]], #64\n"
	    "ld1 {v4.2d-v7.2d}, [%[in]], #64\n"
	    "ld1 {v8.2d-v11.2d}, [%[in]], #64\n"
	    "ld1 {v12.2d-v15.2d}, [%[in]], #64\n"
	    "ld1 {v16.2d-v19.2d}, [%[in]], #64\n"
	    "ld1 {v20.2d-v23.2d}, [%[in]], #64\n"
	    "ld1 {v24.2d-v27.2d}, [%[in]], #64\n"
	    "ld1 {v28.2d-v31.2d}, [%[in]], #64\n"
	    "msr fpcr, %[fpcr]\n"
	    "mov x9, #1\n"
	    "str x9, [%[flag]]\n"
	    "1: mov x8, %[yield]\n"
	    "svc #0\n"
	    "ldr x9, [%[go]]\n"
	    "cbz x9, 1b\n"
	    "st1 {v0.2d-v3.2d}, [%[out]], #64\n"
	    "st1 {v4.2d-v7.2d}, [%[out]], #64\n"
	    "st1 {v8.2d-v11.2d}, [%[out]], #64\n"
	    "st1 {v12.2d-v15.2d}, [%[out]], #64\n"
	    "st1 {v16.2d-v19.2d}, [%[out]], #64\n"
	    "st1 {v20.2d-v23.2d}, [%[out]], #64\n"
	    "st1 {v24.2d-v27.2d}, [%[out]], #64\n"
	    "st1 {v28.2d-v31.2d}, [%[out]], #64\n"
	    "mrs %[fpsr_out], fpsr\n"
	    "mrs %[fpcr_out], fpcr\n"
	    : [in] "+r"(in), [out] "+r"(out), [fpsr_out] "=&r"(fpsr_out), [fpcr_out] "=&r"(fpcr_out)
	    : [fpcr] "r"(fpcr), [flag] "r"(&self->out[1]), [go] "r"(go), [yield] "i"(M6_SYS_YIELD)
	    : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "v0", "v1", "v2", "v3",
	      "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16",
	      "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28",
	      "v29", "v30", "v31", "memory");
	self->out[2] = fpsr_out;
	self->out[3] = fpcr_out;
	return 0;
}

TEST(tcb_fpu_read_write)
{
	static uint64_t in[32][2], out[32][2];
	for (unsigned i = 0; i < 32; i++) {
		in[i][0] = 0x0123456789abcdefull ^ (i * 0x1111111111111111ull);
		in[i][1] = ~in[i][0] + i;
	}
	struct kt_thread t;
	REQUIRE(kt_thread_create(&t, fn_fpu, KT_MAIN_PRIO));
	t.arg[1] = (uint64_t)(uintptr_t)in;
	t.arg[2] = 1ull << 24; /* FZ */
	t.arg[3] = (uint64_t)(uintptr_t)out;
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	REQUIRE(kt_wait_flag(&t.out[1], 100));
	/* what the thread loaded, read while it yields (its state may still be in the
	 * registers: the kernel saves it first) */
	struct m6_tcb_fpu f = {0};
	REQUIRE_OK(m6_tcb_read_fpu(t.tcb, &f));
	unsigned wrong = 0;
	for (unsigned i = 0; i < 32; i++)
		wrong += f.v[i][0] != in[i][0] || f.v[i][1] != in[i][1];
	CHECK_EQ(wrong, 0);
	CHECK_EQ(f.fpcr, 1u << 24);
	/* a range: v30, v31 only */
	struct m6_msg m = {.info = m6_msginfo(M6_TCB_READ_FPU, 2), .mr = {30, 2}};
	REQUIRE_OK(m6_call(t.tcb, &m));
	CHECK_EQ(m6_msginfo_length(m.info), 6);
	CHECK_EQ(m.mr[2], in[30][0]);
	CHECK_EQ(m.mr[5], in[31][1]);
	/* new values: the thread finds them in its registers */
	for (unsigned i = 0; i < 32; i++) {
		f.v[i][0] = 0xfeed000000000000ull + i;
		f.v[i][1] = 0xbeef000000000000ull + i;
	}
	f.fpsr = 0x08000010u; /* QC, IXC */
	f.fpcr = 2u << 22;    /* round towards minus infinity */
	REQUIRE_OK(m6_tcb_write_fpu(t.tcb, &f));
	t.arg[0] = 1;
	REQUIRE(kt_join(&t, 100));
	wrong = 0;
	for (unsigned i = 0; i < 32; i++)
		wrong += out[i][0] != f.v[i][0] || out[i][1] != f.v[i][1];
	CHECK_EQ(wrong, 0);
	CHECK_EQ(t.out[2], 0x08000010u);
	CHECK_EQ(t.out[3], 2u << 22);
}

TEST(tcb_fpu_checks)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	struct m6_tcb_fpu f = {0};
	f.v[3][1] = 0x33;
	REQUIRE_OK(m6_tcb_write_fpu(t, &f));
	/* a thread's own FP registers are its registers */
	CHECK_ERR(m6_tcb_read_fpu(M6_CAP_SELF_TCB, &f), M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(m6_tcb_write_fpu(M6_CAP_SELF_TCB, &f), M6_ERR_ILLEGAL_OPERATION);
	/* read needs READ, write needs WRITE */
	m6_cptr_t ro = kt_copy(t, M6_RIGHT_READ), wo = kt_copy(t, M6_RIGHT_WRITE);
	REQUIRE(ro);
	REQUIRE(wo);
	CHECK_ERR(m6_tcb_write_fpu(ro, &f), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_ERR(m6_tcb_read_fpu(wo, &f), M6_ERR_INSUFFICIENT_RIGHTS);
	CHECK_OK(m6_tcb_read_fpu(ro, &f));
	/* another object type */
	m6_cptr_t n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(n);
	CHECK_ERR(m6_tcb_read_fpu(n, &f), M6_ERR_ILLEGAL_OPERATION);
	/* ranges: past v31, and an answer longer than a message (2 + 2 * 32 words) */
	struct m6_msg m = {.info = m6_msginfo(M6_TCB_READ_FPU, 2), .mr = {33, 0}};
	CHECK_ERR(m6_call(t, &m), M6_ERR_RANGE);
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_READ_FPU, 2), .mr = {16, 17}};
	CHECK_ERR(m6_call(t, &m), M6_ERR_RANGE);
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_READ_FPU, 2), .mr = {0, 32}};
	CHECK_ERR(m6_call(t, &m), M6_ERR_RANGE);
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_READ_FPU, 2), .mr = {1, ~0ull}};
	CHECK_ERR(m6_call(t, &m), M6_ERR_RANGE);
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_READ_FPU, 2), .mr = {0, 31}};
	CHECK_OK(m6_call(t, &m));
	CHECK_EQ(m6_msginfo_length(m.info), 64);
	/* lengths: a read without its count, a write shorter than its registers */
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_READ_FPU, 1)};
	CHECK_ERR(m6_call(t, &m), M6_ERR_INVALID_ARGUMENT);
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_WRITE_FPU, 3), .mr = {0, 0, 0}};
	CHECK_ERR(m6_call(t, &m), M6_ERR_INVALID_ARGUMENT);
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_WRITE_FPU, 5), .mr = {3, 1, 0, 0, 7}};
	CHECK_ERR(m6_call(t, &m), M6_ERR_INVALID_ARGUMENT);
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_WRITE_FPU, 6), .mr = {31, 2, 0, 0, 7, 7}};
	CHECK_ERR(m6_call(t, &m), M6_ERR_RANGE);
	/* FPSR and FPCR bits that are not architected */
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_WRITE_FPU, 6),
	                    .mr = {3, 1, 1u << 8, 0, 7, 7}};
	CHECK_ERR(m6_call(t, &m), M6_ERR_INVALID_ARGUMENT);
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_WRITE_FPU, 6),
	                    .mr = {3, 1, 0, 1u << 27, 7, 7}};
	CHECK_ERR(m6_call(t, &m), M6_ERR_INVALID_ARGUMENT);
	/* none of the refused writes changed anything; a valid one of v3 only does */
	REQUIRE_OK(m6_tcb_read_fpu(t, &f));
	CHECK_EQ(f.v[3][0], 0);
	CHECK_EQ(f.v[3][1], 0x33);
	m = (struct m6_msg){.info = m6_msginfo(M6_TCB_WRITE_FPU, 6), .mr = {3, 1, 0, 0, 7, 8}};
	CHECK_OK(m6_call(t, &m));
	REQUIRE_OK(m6_tcb_read_fpu(t, &f));
	CHECK_EQ(f.v[3][0], 7);
	CHECK_EQ(f.v[3][1], 8);
	CHECK_EQ(f.v[2][1], 0);
}

TEST(tcb_write_registers_too_short)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	struct m6_msg m = {.info = m6_msginfo(M6_TCB_WRITE_REGISTERS, 2)};
	CHECK_ERR(m6_call(t, &m), M6_ERR_INVALID_ARGUMENT);
}

TEST(tcb_write_registers_kernel_pc_harmless)
{
	/* a kernel address as pc must only fault the thread, never run kernel code */
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	REQUIRE_OK(m6_tcb_set_priority(t, M6_CAP_SELF_TCB, KT_HELPER_PRIO));
	REQUIRE_OK(m6_tcb_write_registers(t, true, 0xffff000000080000ull, 0x1000, NULL, 0));
	struct m6_msg m;
	bool ok;
	kt_recv_poll(KT_SLOT_FAULT_EP, &m, 100, &ok);
	CHECK(ok);
	if (ok) {
		CHECK_EQ(m6_msginfo_label(m.info), M6_FAULT_VM);
		CHECK_EQ(m.mr[3], 1);
		m.info = m6_msginfo(M6_FAULT_REPLY_STOP, 0);
		m6_reply(&m);
	}
}

TEST(tcb_set_priority)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	CHECK_OK(m6_tcb_set_priority(t, M6_CAP_SELF_TCB, 0));
	CHECK_OK(m6_tcb_set_priority(t, M6_CAP_SELF_TCB, KT_MCP));
	CHECK_ERR(m6_tcb_set_priority(t, M6_CAP_SELF_TCB, KT_MCP + 1), M6_ERR_RANGE);
	CHECK_ERR(m6_tcb_set_priority(t, M6_CAP_SELF_TCB, 256), M6_ERR_RANGE);
	CHECK_ERR(m6_tcb_set_priority(t, M6_CAP_SELF_TCB, ~0ull), M6_ERR_RANGE);
}

TEST(tcb_set_priority_authority_mcp)
{
	m6_cptr_t t = configured_tcb(), a = configured_tcb();
	REQUIRE(t && a);
	/* a fresh TCB has max priority 0: as authority it allows priority 0 only */
	CHECK_OK(m6_tcb_set_priority(t, a, 0));
	CHECK_ERR(m6_tcb_set_priority(t, a, 1), M6_ERR_RANGE);
	REQUIRE_OK(m6_tcb_set_max_priority(a, M6_CAP_SELF_TCB, 50));
	CHECK_OK(m6_tcb_set_priority(t, a, 50));
	CHECK_ERR(m6_tcb_set_priority(t, a, 51), M6_ERR_RANGE);
}

TEST(tcb_set_priority_bad_authority)
{
	m6_cptr_t t = configured_tcb(), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(t && n);
	CHECK_ERR(m6_tcb_set_priority(t, n, 1), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_tcb_set_priority(t, kt_slot(), 1), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_tcb_set_max_priority(t, n, 1), M6_ERR_INVALID_CAP);
}

TEST(tcb_set_max_priority)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	CHECK_OK(m6_tcb_set_max_priority(t, M6_CAP_SELF_TCB, KT_MCP));
	CHECK_ERR(m6_tcb_set_max_priority(t, M6_CAP_SELF_TCB, KT_MCP + 1), M6_ERR_RANGE);
	CHECK_ERR(m6_tcb_set_max_priority(t, M6_CAP_SELF_TCB, 1000), M6_ERR_RANGE);
	/* authority passes on: t (max 200) may now authorise up to 200 */
	m6_cptr_t u = configured_tcb();
	REQUIRE(u);
	CHECK_OK(m6_tcb_set_priority(u, t, KT_MCP));
}

static uint64_t fn_raise_self(struct kt_thread *self)
{
	/* my own max priority is arg[1]: nothing above it, not even for myself */
	self->out[0] = m6_tcb_set_priority(self->tcb, self->tcb, self->arg[1] + 1);
	self->out[1] = m6_tcb_set_max_priority(self->tcb, self->tcb, self->arg[1] + 1);
	self->out[2] = m6_tcb_set_priority(self->tcb, self->tcb, self->arg[1]);
	return 0;
}

TEST(tcb_cannot_raise_above_own_authority)
{
	struct kt_thread t;
	t.arg[1] = KT_HELPER_PRIO;
	REQUIRE(kt_thread_create(&t, fn_raise_self, KT_HELPER_PRIO));
	REQUIRE_OK(m6_tcb_set_max_priority(t.tcb, M6_CAP_SELF_TCB, KT_HELPER_PRIO));
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	REQUIRE(kt_join(&t, 100));
	CHECK_ERR(t.out[0], M6_ERR_RANGE);
	CHECK_ERR(t.out[1], M6_ERR_RANGE);
	CHECK_ERR(t.out[2], M6_OK);
}

TEST(tcb_main_cannot_exceed_spec_mcp)
{
	CHECK_ERR(m6_tcb_set_priority(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, KT_MCP + 1), M6_ERR_RANGE);
	CHECK_ERR(m6_tcb_set_max_priority(M6_CAP_SELF_TCB, M6_CAP_SELF_TCB, KT_MCP + 1),
	          M6_ERR_RANGE);
}

TEST(tcb_bind_notification)
{
	m6_cptr_t t = configured_tcb(), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	m6_cptr_t n2 = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(t && n && n2);
	CHECK_OK(m6_tcb_bind_notification(t, n));
	/* one bound notification per thread */
	CHECK_FAILS(m6_tcb_bind_notification(t, n2));
	CHECK_OK(m6_tcb_unbind_notification(t));
	CHECK_OK(m6_tcb_bind_notification(t, n2));
}

TEST(tcb_bind_notification_twice_to_threads)
{
	m6_cptr_t t = configured_tcb(), u = configured_tcb(), n = kt_new(M6_OBJ_NOTIFICATION, 0);
	REQUIRE(t && u && n);
	CHECK_OK(m6_tcb_bind_notification(t, n));
	/* a notification is bound to one thread at most */
	CHECK_FAILS(m6_tcb_bind_notification(u, n));
}

TEST(tcb_bind_bad_cap)
{
	m6_cptr_t t = configured_tcb(), ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(t && ep);
	CHECK_ERR(m6_tcb_bind_notification(t, ep), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_tcb_bind_notification(t, kt_slot()), M6_ERR_INVALID_CAP);
}

TEST(tcb_unbind_unbound)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	CHECK_FAILS(m6_tcb_unbind_notification(t));
}

TEST(tcb_set_flags)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	CHECK_OK(m6_tcb_set_flags(t, M6_TCB_FLAG_LINUX_ABI));
	CHECK_OK(m6_tcb_set_flags(t, 0));
	CHECK_ERR(m6_tcb_set_flags(t, 1ull << 40), M6_ERR_INVALID_ARGUMENT);
}

TEST(tcb_set_timeslice)
{
	/* ktest's main thread has the spec's default maximum, the kernel's 10 ms slice */
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	CHECK_OK(m6_tcb_set_timeslice(t, M6_CAP_SELF_TCB, 100));
	CHECK_OK(m6_tcb_set_timeslice(t, M6_CAP_SELF_TCB, 10000));
	CHECK_ERR(m6_tcb_set_timeslice(t, M6_CAP_SELF_TCB, 99), M6_ERR_RANGE);
	CHECK_ERR(m6_tcb_set_timeslice(t, M6_CAP_SELF_TCB, 10001), M6_ERR_RANGE);
	CHECK_ERR(m6_tcb_set_timeslice(t, M6_CAP_SELF_TCB, 0), M6_ERR_RANGE);
	CHECK_ERR(m6_tcb_set_timeslice(t, CAP_DEBUG_CONSOLE, 100), M6_ERR_INVALID_CAP);
}

TEST(tcb_unknown_label)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	struct m6_msg m = {.info = m6_msginfo(KT_BAD_LABEL, 0)};
	CHECK_ERR(m6_call(t, &m), M6_ERR_ILLEGAL_OPERATION);
	/* TCB labels on a CNode */
	CHECK_ERR(m6_tcb_resume(M6_CAP_SELF_CNODE), M6_ERR_ILLEGAL_OPERATION);
	CHECK_ERR(m6_tcb_suspend(CAP_DEBUG_CONSOLE), M6_ERR_ILLEGAL_OPERATION);
}

TEST(tcb_deleted_cap)
{
	m6_cptr_t t = configured_tcb();
	REQUIRE(t);
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, t, 64));
	CHECK_ERR(m6_tcb_resume(t), M6_ERR_INVALID_CAP);
	CHECK_ERR(m6_tcb_set_priority(t, M6_CAP_SELF_TCB, 1), M6_ERR_INVALID_CAP);
}

static uint64_t fn_recv(struct kt_thread *self)
{
	struct m6_msg m = {0};
	self->out[1] = 1;
	m6_recv(self->arg[0], &m);
	self->out[0] = m.badge;
	return 0;
}

TEST(tcb_delete_blocked_thread)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, fn_recv, KT_HELPER_PRIO));
	REQUIRE(t.out[1]);
	/* the thread waits in the endpoint's queue; deleting its TCB must take it out */
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, t.tcb, 64));
	CHECK_ERR(kt_nbsend(ep), M6_ERR_WOULD_BLOCK);
	CHECK(!t.done);
}

TEST(tcb_suspend_blocked_thread)
{
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, fn_recv, KT_HELPER_PRIO));
	REQUIRE_OK(m6_tcb_suspend(t.tcb));
	CHECK_ERR(kt_nbsend(ep), M6_ERR_WOULD_BLOCK);
}

static uint64_t fn_read(struct kt_thread *self)
{
	self->out[0] = *(volatile uint64_t *)(uintptr_t)self->arg[0];
	return 0;
}

TEST(tcb_delete_keeps_ipc_buffer_mapping)
{
	/* The TCB keeps its own copy of the IPC buffer frame cap; deleting the TCB deletes
	 * that copy, which must not unmap the mapping made through the caller's cap. */
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t f = kt_map_new_frame(va, M6_RIGHT_READ | M6_RIGHT_WRITE);
	m6_cptr_t t = kt_new(M6_OBJ_TCB, 0), ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(f && t && ep);
	*(volatile uint64_t *)(uintptr_t)va = 0x77;
	REQUIRE_OK(m6_tcb_configure(t, 0, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, va, f));
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, t, 64));
	/* read it from a helper: if the page went away, the helper faults, not main */
	struct kt_thread r;
	r.arg[0] = va;
	REQUIRE(kt_thread_create(&r, fn_read, KT_HELPER_PRIO));
	REQUIRE_OK(m6_tcb_configure(r.tcb, ep, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 0, 0));
	REQUIRE_OK(m6_tcb_resume(r.tcb));
	struct m6_msg m;
	bool faulted;
	kt_recv_poll(ep, &m, 5, &faulted);
	CHECK(!faulted);
	if (faulted) {
		m.info = m6_msginfo(M6_FAULT_REPLY_STOP, 0);
		m6_reply(&m);
	}
	CHECK(kt_join(&r, 10));
	CHECK_EQ(r.out[0], 0x77);
}

TEST(tcb_configure_that_finalises_the_tcb_inserts_nothing)
{
	/* Thread h's CSpace root C is the only cap to C; C holds the only cap to CNode E,
	 * and E the only cap to h. D, which ktest shares, holds the caps h configures itself
	 * with. Deleting h's old root finalises C, E and h itself, before anything is
	 * inserted: inserting now would leave caps, linked into the derivation tree, in
	 * the memory of a dead TCB, which can be retyped as a frame. */
	m6_cptr_t ut = kt_new(M6_OBJ_UNTYPED, 12), ep = kt_new(M6_OBJ_ENDPOINT, 0);
	m6_cptr_t c = kt_new(M6_OBJ_CNODE, 2), e = kt_new(M6_OBJ_CNODE, 4),
	          d = kt_new(M6_OBJ_CNODE, 4);
	m6_cptr_t h = kt_slot();
	REQUIRE(ut && ep && c && e && d && h);
	REQUIRE_OK(m6_untyped_retype(ut, M6_OBJ_TCB, 0, M6_CAP_SELF_CNODE, h, 1));
	/* in h's CSpace: C (guard 57, radix 2) then E or D (guard 1, radix 4), so that
	 * E[1] is cptr 1 and D[k] is cptr 32 + k */
	REQUIRE_OK(m6_cnode_mint(c, 0, 64, M6_CAP_SELF_CNODE, e, 64, M6_RIGHTS_ALL, 1));
	REQUIRE_OK(m6_cnode_mint(c, 1, 64, M6_CAP_SELF_CNODE, d, 64, M6_RIGHTS_ALL, 1));
	REQUIRE_OK(m6_cnode_copy(e, 1, 64, M6_CAP_SELF_CNODE, h, 64, M6_RIGHTS_ALL));
	REQUIRE_OK(
	    m6_cnode_copy(d, 0, 64, M6_CAP_SELF_CNODE, M6_CAP_SELF_CNODE, 64, M6_RIGHTS_ALL));
	REQUIRE_OK(
	    m6_cnode_copy(d, 1, 64, M6_CAP_SELF_CNODE, M6_CAP_SELF_VSPACE, 64, M6_RIGHTS_ALL));
	REQUIRE_OK(m6_cnode_copy(d, 2, 64, M6_CAP_SELF_CNODE, ep, 64, M6_RIGHTS_ALL));
	m6_cptr_t cg = kt_mint(c, M6_RIGHTS_ALL, 57);
	REQUIRE(cg);
	/* h's program: TCB_CONFIGURE(E[1], fault D[2], cspace D[0], vspace D[1]) */
	uint64_t va = kt_region();
	REQUIRE(va);
	m6_cptr_t code = kt_map_new_frame(va, M6_RIGHT_READ | M6_RIGHT_WRITE);
	REQUIRE(code);
	((volatile uint32_t *)(uintptr_t)va)[0] = 0xd4000001; /* svc #0 */
	((volatile uint32_t *)(uintptr_t)va)[1] = 0x14000000; /* b . */
	REQUIRE_OK(m6_frame_clean_invalidate(code, 0, 4096));
	m6_cptr_t code_rx = kt_copy(code, M6_RIGHTS_ALL);
	REQUIRE(code_rx);
	REQUIRE_OK(m6_frame_map(code_rx, M6_CAP_SELF_VSPACE, va + 0x1000,
	                        M6_RIGHT_READ | M6_RIGHT_EXECUTE));
	REQUIRE_OK(m6_tcb_configure(h, 0, cg, M6_CAP_SELF_VSPACE, 0, 0));
	REQUIRE_OK(m6_tcb_set_priority(h, M6_CAP_SELF_TCB, KT_MAIN_PRIO - 10));
	uint64_t regs[9] = {1, m6_msginfo(M6_TCB_CONFIGURE, 5), 34, 32, 33, 0, 0, 0, M6_SYS_CALL};
	REQUIRE_OK(m6_tcb_write_registers(h, true, va + 0x1000, 0, regs, 9));
	/* leave h's TCB slot as the only cap to C, and E[1] as the only cap to h */
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, cg, 64));
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, c, 64));
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, e, 64));
	REQUIRE_OK(m6_cnode_delete(M6_CAP_SELF_CNODE, h, 64));
	REQUIRE(kt_sleep_ms(2)); /* h (below main) runs now */
	/* h's memory as a frame: it reads zero, and stays zero when the caps h was to get
	 * lose their neighbours in the derivation tree */
	REQUIRE_OK(m6_cnode_revoke(M6_CAP_SELF_CNODE, ut, 64));
	m6_cptr_t f = kt_slot();
	REQUIRE(f);
	REQUIRE_OK(m6_untyped_retype(ut, M6_OBJ_FRAME, 12, M6_CAP_SELF_CNODE, f, 1));
	uint64_t fva = kt_region();
	REQUIRE(fva);
	REQUIRE_OK(m6_frame_map(f, M6_CAP_SELF_VSPACE, fva, M6_RIGHT_READ | M6_RIGHT_WRITE));
	REQUIRE_OK(m6_cnode_revoke(d, 0, 64));
	REQUIRE_OK(m6_cnode_revoke(d, 1, 64));
	REQUIRE_OK(m6_cnode_revoke(d, 2, 64));
	REQUIRE_OK(m6_cnode_delete(d, 0, 64));
	REQUIRE_OK(m6_cnode_delete(d, 1, 64));
	REQUIRE_OK(m6_cnode_delete(d, 2, 64));
	unsigned nonzero = 0;
	for (unsigned i = 0; i < 512; i++)
		nonzero += ((volatile uint64_t *)(uintptr_t)fva)[i] != 0;
	CHECK_EQ(nonzero, 0);
}

TEST(tcb_suspend_cuts_a_blocked_call_short)
{
	/* Suspended while its call waits for a receiver, a thread resumed finds the call
	 * cancelled, not a made-up success with its own request as the answer. */
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, kt_fn_call, KT_HELPER_PRIO));
	REQUIRE(t.out[1] && !t.done);
	REQUIRE_OK(m6_tcb_suspend(t.tcb));
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	REQUIRE(kt_join(&t, 50));
	CHECK_EQ(t.out[0], M6_ERR_CANCELLED);
	CHECK_EQ(t.out[2], 0);
	/* its request never reached the endpoint */
	CHECK_ERR(kt_nbsend(ep), M6_ERR_WOULD_BLOCK);
}

TEST(tcb_suspend_of_a_caller_awaiting_reply_gives_no_reply)
{
	/* The call was delivered (main received it), then the caller is suspended: resumed,
	 * it learns that no reply will come; main's late reply finds no caller. */
	m6_cptr_t ep = kt_new(M6_OBJ_ENDPOINT, 0);
	REQUIRE(ep);
	struct kt_thread t;
	t.arg[0] = ep;
	REQUIRE(kt_thread_start(&t, kt_fn_call, KT_HELPER_PRIO));
	struct m6_msg m;
	bool ok;
	kt_recv_poll(ep, &m, 50, &ok);
	REQUIRE(ok);
	REQUIRE_OK(m6_tcb_suspend(t.tcb));
	REQUIRE_OK(m6_tcb_resume(t.tcb));
	REQUIRE(kt_join(&t, 50));
	CHECK_EQ(t.out[0], M6_ERR_NO_REPLY);
	struct m6_msg r = {.info = m6_msginfo(0, 0)};
	CHECK_ERR(m6_reply(&r), M6_ERR_NO_REPLY);
}

const struct kt_test kt_suite_tcb[] = {
    KT_ENTRY(tcb_configure),
    KT_ENTRY(tcb_configure_that_finalises_the_tcb_inserts_nothing),
    KT_ENTRY(tcb_delete_keeps_ipc_buffer_mapping),
    KT_ENTRY(tcb_configure_bad_cspace),
    KT_ENTRY(tcb_configure_bad_vspace),
    KT_ENTRY(tcb_configure_bad_fault_ep),
    KT_ENTRY(tcb_configure_fault_ep_needs_grant),
    KT_ENTRY(tcb_configure_bad_ipc_buffer),
    KT_ENTRY(tcb_configure_needs_write),
    KT_ENTRY(tcb_resume_runs_thread),
    KT_ENTRY(tcb_resume_unstarted_is_not_running),
    KT_ENTRY(tcb_suspend_stops_thread),
    KT_ENTRY(tcb_suspend_twice_and_resume_running),
    KT_ENTRY(tcb_write_registers_args),
    KT_ENTRY(tcb_read_registers),
    KT_ENTRY(tcb_read_registers_length),
    KT_ENTRY(tcb_write_registers_partial),
    KT_ENTRY(tcb_tls_read_write),
    KT_ENTRY(tcb_tls_checks),
    KT_ENTRY(tcb_write_registers_nzcv),
    KT_ENTRY(tcb_write_registers_nzcv_checks),
    KT_ENTRY(tcb_fpu_read_write),
    KT_ENTRY(tcb_fpu_checks),
    KT_ENTRY(tcb_write_registers_too_short),
    KT_ENTRY(tcb_write_registers_kernel_pc_harmless),
    KT_ENTRY(tcb_set_priority),
    KT_ENTRY(tcb_set_priority_authority_mcp),
    KT_ENTRY(tcb_set_priority_bad_authority),
    KT_ENTRY(tcb_set_max_priority),
    KT_ENTRY(tcb_cannot_raise_above_own_authority),
    KT_ENTRY(tcb_main_cannot_exceed_spec_mcp),
    KT_ENTRY(tcb_bind_notification),
    KT_ENTRY(tcb_bind_notification_twice_to_threads),
    KT_ENTRY(tcb_bind_bad_cap),
    KT_ENTRY(tcb_unbind_unbound),
    KT_ENTRY(tcb_set_flags),
    KT_ENTRY(tcb_set_timeslice),
    KT_ENTRY(tcb_unknown_label),
    KT_ENTRY(tcb_deleted_cap),
    KT_ENTRY(tcb_delete_blocked_thread),
    KT_ENTRY(tcb_suspend_blocked_thread),
    KT_ENTRY(tcb_suspend_cuts_a_blocked_call_short),
    KT_ENTRY(tcb_suspend_of_a_caller_awaiting_reply_gives_no_reply),
    KT_END,
};
