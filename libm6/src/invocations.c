/* Kernel object invocations: argument layout only; the kernel does every check. */
#include <m6/invocations.h>

/* Invoke `cap` with `label` and `n` argument words (n <= 6 fit in registers; the rest go
 * to `buf`). Returns the error code; `m` holds the answer. */
static uint64_t invoke(struct m6_ipc_buffer *buf, m6_cptr_t cap, uint64_t label,
                       const uint64_t *args, unsigned n, struct m6_msg *m)
{
	m->info = m6_msginfo(label, n);
	for (unsigned i = 0; i < M6_MSG_REGISTERS; i++)
		m->mr[i] = i < n ? args[i] : 0;
	for (unsigned i = M6_MSG_REGISTERS; i < n; i++)
		buf->mr[i] = args[i];
	return m6_call(cap, m);
}

static uint64_t invoke_simple(m6_cptr_t cap, uint64_t label, const uint64_t *args, unsigned n)
{
	struct m6_msg m;
	return invoke(m6_ipc_buffer(), cap, label, args, n, &m);
}

uint64_t m6_untyped_retype(m6_cptr_t untyped, uint64_t type, uint64_t size_bits,
                           m6_cptr_t dest_cnode, uint64_t dest_slot, uint64_t count)
{
	const uint64_t a[] = {type, size_bits, dest_cnode, dest_slot, count};
	return invoke_simple(untyped, M6_UNTYPED_RETYPE, a, 5);
}

uint64_t m6_cnode_copy(m6_cptr_t cnode, uint64_t dest_index, uint64_t dest_depth,
                       m6_cptr_t src_root, uint64_t src_index, uint64_t src_depth, uint64_t rights)
{
	const uint64_t a[] = {dest_index, dest_depth, src_root, src_index, src_depth, rights};
	return invoke_simple(cnode, M6_CNODE_COPY, a, 6);
}

uint64_t m6_cnode_mint_buf(struct m6_ipc_buffer *buf, m6_cptr_t cnode, uint64_t dest_index,
                           uint64_t dest_depth, m6_cptr_t src_root, uint64_t src_index,
                           uint64_t src_depth, uint64_t rights, uint64_t badge)
{
	const uint64_t a[] = {dest_index, dest_depth, src_root, src_index,
	                      src_depth,  rights,     badge};
	struct m6_msg m;
	return invoke(buf, cnode, M6_CNODE_MINT, a, 7, &m);
}

uint64_t m6_cnode_mint(m6_cptr_t cnode, uint64_t dest_index, uint64_t dest_depth,
                       m6_cptr_t src_root, uint64_t src_index, uint64_t src_depth, uint64_t rights,
                       uint64_t badge)
{
	return m6_cnode_mint_buf(m6_ipc_buffer(), cnode, dest_index, dest_depth, src_root,
	                         src_index, src_depth, rights, badge);
}

uint64_t m6_cnode_move(m6_cptr_t cnode, uint64_t dest_index, uint64_t dest_depth,
                       m6_cptr_t src_root, uint64_t src_index, uint64_t src_depth)
{
	const uint64_t a[] = {dest_index, dest_depth, src_root, src_index, src_depth};
	return invoke_simple(cnode, M6_CNODE_MOVE, a, 5);
}

uint64_t m6_cnode_mutate(m6_cptr_t cnode, uint64_t dest_index, uint64_t dest_depth,
                         m6_cptr_t src_root, uint64_t src_index, uint64_t src_depth, uint64_t badge)
{
	const uint64_t a[] = {dest_index, dest_depth, src_root, src_index, src_depth, badge};
	return invoke_simple(cnode, M6_CNODE_MUTATE, a, 6);
}

uint64_t m6_cnode_rotate_buf(struct m6_ipc_buffer *buf, m6_cptr_t cnode, uint64_t dest_index,
                             uint64_t dest_depth, m6_cptr_t pivot_root, uint64_t pivot_index,
                             uint64_t pivot_depth, m6_cptr_t src_root, uint64_t src_index,
                             uint64_t src_depth, uint64_t dest_badge, uint64_t pivot_badge)
{
	const uint64_t a[] = {dest_index, dest_depth, pivot_root, pivot_index, pivot_depth,
	                      src_root,   src_index,  src_depth,  dest_badge,  pivot_badge};
	struct m6_msg m;
	return invoke(buf, cnode, M6_CNODE_ROTATE, a, 10, &m);
}

uint64_t m6_cnode_rotate(m6_cptr_t cnode, uint64_t dest_index, uint64_t dest_depth,
                         m6_cptr_t pivot_root, uint64_t pivot_index, uint64_t pivot_depth,
                         m6_cptr_t src_root, uint64_t src_index, uint64_t src_depth,
                         uint64_t dest_badge, uint64_t pivot_badge)
{
	return m6_cnode_rotate_buf(m6_ipc_buffer(), cnode, dest_index, dest_depth, pivot_root,
	                           pivot_index, pivot_depth, src_root, src_index, src_depth,
	                           dest_badge, pivot_badge);
}

uint64_t m6_cnode_delete(m6_cptr_t cnode, uint64_t index, uint64_t depth)
{
	const uint64_t a[] = {index, depth};
	return invoke_simple(cnode, M6_CNODE_DELETE, a, 2);
}

uint64_t m6_cnode_revoke(m6_cptr_t cnode, uint64_t index, uint64_t depth)
{
	const uint64_t a[] = {index, depth};
	return invoke_simple(cnode, M6_CNODE_REVOKE, a, 2);
}

uint64_t m6_tcb_configure(m6_cptr_t tcb, m6_cptr_t fault_ep, m6_cptr_t cspace_root,
                          m6_cptr_t vspace_root, uint64_t ipc_buffer_vaddr,
                          m6_cptr_t ipc_buffer_frame)
{
	const uint64_t a[] = {fault_ep, cspace_root, vspace_root, ipc_buffer_vaddr,
	                      ipc_buffer_frame};
	return invoke_simple(tcb, M6_TCB_CONFIGURE, a, 5);
}

uint64_t m6_tcb_suspend(m6_cptr_t tcb)
{
	return invoke_simple(tcb, M6_TCB_SUSPEND, NULL, 0);
}

uint64_t m6_tcb_resume(m6_cptr_t tcb)
{
	return invoke_simple(tcb, M6_TCB_RESUME, NULL, 0);
}

uint64_t m6_tcb_set_priority(m6_cptr_t tcb, m6_cptr_t authority, uint64_t priority)
{
	const uint64_t a[] = {authority, priority};
	return invoke_simple(tcb, M6_TCB_SET_PRIORITY, a, 2);
}

uint64_t m6_tcb_set_max_priority(m6_cptr_t tcb, m6_cptr_t authority, uint64_t max_priority)
{
	const uint64_t a[] = {authority, max_priority};
	return invoke_simple(tcb, M6_TCB_SET_MAX_PRIORITY, a, 2);
}

uint64_t m6_tcb_read_registers_buf(struct m6_ipc_buffer *buf, m6_cptr_t tcb,
                                   struct m6_tcb_registers *regs)
{
	struct m6_msg m;
	uint64_t err = invoke(buf, tcb, M6_TCB_READ_REGISTERS, NULL, 0, &m);
	if (err != M6_OK)
		return err;
	uint64_t words[M6_TCB_READ_REGISTERS_WORDS] = {0};
	uint64_t length = m6_msginfo_length(m.info);
	for (unsigned i = 0; i < M6_TCB_READ_REGISTERS_WORDS && i < length; i++)
		words[i] = m6_mr_get_buf(buf, &m, i);
	regs->pc = words[0];
	regs->sp = words[1];
	regs->spsr = words[2];
	for (unsigned i = 0; i < 31; i++)
		regs->x[i] = words[3 + i];
	return M6_OK;
}

uint64_t m6_tcb_read_registers(m6_cptr_t tcb, struct m6_tcb_registers *regs)
{
	return m6_tcb_read_registers_buf(m6_ipc_buffer(), tcb, regs);
}

uint64_t m6_tcb_write_registers_buf(struct m6_ipc_buffer *buf, m6_cptr_t tcb, bool resume,
                                    uint64_t pc, uint64_t sp, const uint64_t *x, unsigned nx)
{
	uint64_t a[3 + 31];
	if (nx > 31)
		nx = 31;
	a[0] = resume;
	a[1] = pc;
	a[2] = sp;
	for (unsigned i = 0; i < nx; i++)
		a[3 + i] = x[i];
	struct m6_msg m;
	return invoke(buf, tcb, M6_TCB_WRITE_REGISTERS, a, 3 + nx, &m);
}

uint64_t m6_tcb_write_registers(m6_cptr_t tcb, bool resume, uint64_t pc, uint64_t sp,
                                const uint64_t *x, unsigned nx)
{
	return m6_tcb_write_registers_buf(m6_ipc_buffer(), tcb, resume, pc, sp, x, nx);
}

uint64_t m6_tcb_write_all_registers(m6_cptr_t tcb, bool resume, const struct m6_tcb_registers *regs)
{
	uint64_t a[4 + 31];
	a[0] = (resume ? M6_TCB_WRITE_RESUME : 0) | M6_TCB_WRITE_NZCV;
	a[1] = regs->pc;
	a[2] = regs->sp;
	a[3] = regs->spsr & M6_TCB_NZCV_MASK;
	for (unsigned i = 0; i < 31; i++)
		a[4 + i] = regs->x[i];
	struct m6_msg m;
	return invoke(m6_ipc_buffer(), tcb, M6_TCB_WRITE_REGISTERS, a, 4 + 31, &m);
}

uint64_t m6_tcb_read_fpu(m6_cptr_t tcb, struct m6_tcb_fpu *fpu)
{
	struct m6_ipc_buffer *buf = m6_ipc_buffer();
	for (unsigned half = 0; half < 2; half++) {
		const uint64_t a[] = {16 * half, 16};
		struct m6_msg m;
		uint64_t err = invoke(buf, tcb, M6_TCB_READ_FPU, a, 2, &m);
		if (err != M6_OK)
			return err;
		fpu->fpsr = (uint32_t)m6_mr_get_buf(buf, &m, 0);
		fpu->fpcr = (uint32_t)m6_mr_get_buf(buf, &m, 1);
		for (unsigned i = 0; i < 16; i++) {
			fpu->v[16 * half + i][0] = m6_mr_get_buf(buf, &m, 2 + 2 * i);
			fpu->v[16 * half + i][1] = m6_mr_get_buf(buf, &m, 3 + 2 * i);
		}
	}
	return M6_OK;
}

uint64_t m6_tcb_write_fpu(m6_cptr_t tcb, const struct m6_tcb_fpu *fpu)
{
	for (unsigned half = 0; half < 2; half++) {
		uint64_t a[4 + 32];
		a[0] = 16 * half;
		a[1] = 16;
		a[2] = fpu->fpsr;
		a[3] = fpu->fpcr;
		for (unsigned i = 0; i < 16; i++) {
			a[4 + 2 * i] = fpu->v[16 * half + i][0];
			a[5 + 2 * i] = fpu->v[16 * half + i][1];
		}
		struct m6_msg m;
		uint64_t err = invoke(m6_ipc_buffer(), tcb, M6_TCB_WRITE_FPU, a, 4 + 32, &m);
		if (err != M6_OK)
			return err;
	}
	return M6_OK;
}

uint64_t m6_tcb_bind_notification(m6_cptr_t tcb, m6_cptr_t notification)
{
	const uint64_t a[] = {notification};
	return invoke_simple(tcb, M6_TCB_BIND_NOTIFICATION, a, 1);
}

uint64_t m6_tcb_unbind_notification(m6_cptr_t tcb)
{
	return invoke_simple(tcb, M6_TCB_UNBIND_NOTIFICATION, NULL, 0);
}

uint64_t m6_tcb_set_flags(m6_cptr_t tcb, uint64_t flags)
{
	const uint64_t a[] = {flags};
	return invoke_simple(tcb, M6_TCB_SET_FLAGS, a, 1);
}

uint64_t m6_tcb_set_timeslice(m6_cptr_t tcb, m6_cptr_t authority, uint64_t microseconds)
{
	const uint64_t a[] = {authority, microseconds};
	return invoke_simple(tcb, M6_TCB_SET_TIMESLICE, a, 2);
}

uint64_t m6_tcb_set_max_timeslice(m6_cptr_t tcb, m6_cptr_t authority, uint64_t microseconds)
{
	const uint64_t a[] = {authority, microseconds};
	return invoke_simple(tcb, M6_TCB_SET_MAX_TIMESLICE, a, 2);
}

uint64_t m6_tcb_set_affinity(m6_cptr_t tcb, uint64_t cpu)
{
	const uint64_t a[] = {cpu};
	return invoke_simple(tcb, M6_TCB_SET_AFFINITY, a, 1);
}

uint64_t m6_tcb_read_tls(m6_cptr_t tcb, uint64_t *value)
{
	struct m6_msg m;
	uint64_t err = invoke(m6_ipc_buffer(), tcb, M6_TCB_READ_TLS, NULL, 0, &m);
	if (err == M6_OK)
		*value = m.mr[0];
	return err;
}

uint64_t m6_tcb_write_tls(m6_cptr_t tcb, uint64_t value)
{
	const uint64_t a[] = {value};
	return invoke_simple(tcb, M6_TCB_WRITE_TLS, a, 1);
}

uint64_t m6_page_table_map(m6_cptr_t page_table, m6_cptr_t vspace, uint64_t vaddr, uint64_t level)
{
	const uint64_t a[] = {vspace, vaddr, level};
	return invoke_simple(page_table, M6_PAGE_TABLE_MAP, a, 3);
}

uint64_t m6_page_table_unmap(m6_cptr_t page_table)
{
	return invoke_simple(page_table, M6_PAGE_TABLE_UNMAP, NULL, 0);
}

uint64_t m6_frame_map(m6_cptr_t frame, m6_cptr_t vspace, uint64_t vaddr, uint64_t rights)
{
	const uint64_t a[] = {vspace, vaddr, rights};
	return invoke_simple(frame, M6_FRAME_MAP, a, 3);
}

uint64_t m6_frame_unmap(m6_cptr_t frame)
{
	return invoke_simple(frame, M6_FRAME_UNMAP, NULL, 0);
}

/* The kernel stops a long cache operation at a pending interrupt and answers how far it
 * got (MR0): go on from there until the range is done. */
static uint64_t frame_cache_op(m6_cptr_t frame, uint64_t label, uint64_t start, uint64_t end)
{
	for (;;) {
		const uint64_t a[] = {start, end};
		struct m6_msg m;
		uint64_t err = invoke(m6_ipc_buffer(), frame, label, a, 2, &m);
		if (err != M6_OK)
			return err;
		uint64_t done = m6_msginfo_length(m.info) >= 1 ? m.mr[0] : end;
		if (done >= end || done <= start)
			return M6_OK;
		start = done;
	}
}

uint64_t m6_frame_clean(m6_cptr_t frame, uint64_t start, uint64_t end)
{
	return frame_cache_op(frame, M6_FRAME_CLEAN, start, end);
}

uint64_t m6_frame_invalidate(m6_cptr_t frame, uint64_t start, uint64_t end)
{
	return frame_cache_op(frame, M6_FRAME_INVALIDATE, start, end);
}

uint64_t m6_frame_clean_invalidate(m6_cptr_t frame, uint64_t start, uint64_t end)
{
	return frame_cache_op(frame, M6_FRAME_CLEAN_INVALIDATE, start, end);
}

uint64_t m6_frame_get_address(m6_cptr_t frame, uint64_t *paddr)
{
	struct m6_msg m;
	uint64_t err = invoke(m6_ipc_buffer(), frame, M6_FRAME_GET_ADDRESS, NULL, 0, &m);
	if (err == M6_OK)
		*paddr = m.mr[0];
	return err;
}

uint64_t m6_irq_control_get(m6_cptr_t irq_control, uint64_t irq, uint64_t trigger,
                            m6_cptr_t dest_cnode, uint64_t dest_slot)
{
	const uint64_t a[] = {irq, trigger, dest_cnode, dest_slot};
	return invoke_simple(irq_control, M6_IRQ_CONTROL_GET, a, 4);
}

uint64_t m6_irq_handler_set_notification(m6_cptr_t handler, m6_cptr_t notification)
{
	const uint64_t a[] = {notification};
	return invoke_simple(handler, M6_IRQ_HANDLER_SET_NOTIFICATION, a, 1);
}

uint64_t m6_irq_handler_ack(m6_cptr_t handler)
{
	return invoke_simple(handler, M6_IRQ_HANDLER_ACK, NULL, 0);
}

uint64_t m6_irq_control_msi_bind(m6_cptr_t irq_control, m6_cptr_t msi_device, uint64_t device_id,
                                 uint64_t *doorbell)
{
	const uint64_t a[] = {msi_device, device_id};
	struct m6_msg m;
	uint64_t err = invoke(m6_ipc_buffer(), irq_control, M6_IRQ_CONTROL_MSI_BIND, a, 2, &m);
	if (err == M6_OK && doorbell)
		*doorbell = m.mr[0];
	return err;
}

uint64_t m6_irq_control_get_msi(m6_cptr_t irq_control, m6_cptr_t msi_device, uint64_t event,
                                m6_cptr_t dest_cnode, uint64_t dest_slot, uint64_t *doorbell,
                                uint64_t *data, uint64_t *intid)
{
	const uint64_t a[] = {msi_device, event, dest_cnode, dest_slot};
	struct m6_msg m;
	uint64_t err = invoke(m6_ipc_buffer(), irq_control, M6_IRQ_CONTROL_GET_MSI, a, 4, &m);
	if (err == M6_OK) {
		if (doorbell)
			*doorbell = m.mr[0];
		if (data)
			*data = m.mr[1];
		if (intid)
			*intid = m.mr[2];
	}
	return err;
}

uint64_t m6_irq_handler_trigger(m6_cptr_t handler)
{
	return invoke_simple(handler, M6_IRQ_HANDLER_TRIGGER, NULL, 0);
}

uint64_t m6_timer_set_notification(m6_cptr_t timer, m6_cptr_t notification)
{
	const uint64_t a[] = {notification};
	return invoke_simple(timer, M6_TIMER_SET_NOTIFICATION, a, 1);
}

uint64_t m6_timer_set(m6_cptr_t timer, uint64_t deadline, uint64_t period)
{
	const uint64_t a[] = {deadline, period};
	return invoke_simple(timer, M6_TIMER_SET, a, 2);
}

uint64_t m6_timer_cancel(m6_cptr_t timer)
{
	return invoke_simple(timer, M6_TIMER_CANCEL, NULL, 0);
}

uint64_t m6_asid_control_make_pool(m6_cptr_t asid_control, m6_cptr_t untyped, uint64_t count,
                                   m6_cptr_t dest_cnode, uint64_t dest_slot, uint64_t *first_asid)
{
	const uint64_t a[] = {untyped, count, dest_cnode, dest_slot};
	struct m6_msg m;
	uint64_t err = invoke(m6_ipc_buffer(), asid_control, M6_ASID_CONTROL_MAKE_POOL, a, 4, &m);
	if (err == M6_OK && first_asid)
		*first_asid = m.mr[0];
	return err;
}

uint64_t m6_asid_pool_assign(m6_cptr_t pool, m6_cptr_t vspace, uint64_t *asid)
{
	const uint64_t a[] = {vspace};
	struct m6_msg m;
	uint64_t err = invoke(m6_ipc_buffer(), pool, M6_ASID_POOL_ASSIGN, a, 1, &m);
	if (err == M6_OK && asid)
		*asid = m.mr[0];
	return err;
}

uint64_t m6_iospace_control_bind(m6_cptr_t control, m6_cptr_t iospace, uint64_t stream_id)
{
	const uint64_t a[] = {iospace, stream_id};
	return invoke_simple(control, M6_IOSPACE_CONTROL_BIND, a, 2);
}

uint64_t m6_iospace_control_set_notification(m6_cptr_t control, m6_cptr_t notification)
{
	const uint64_t a[] = {notification};
	return invoke_simple(control, M6_IOSPACE_CONTROL_SET_NOTIFICATION, a, 1);
}

uint64_t m6_iospace_control_read_fault(m6_cptr_t control, struct m6_io_fault_info *out)
{
	struct m6_msg m;
	uint64_t err = invoke(m6_ipc_buffer(), control, M6_IOSPACE_CONTROL_READ_FAULT, NULL, 0, &m);
	if (err == M6_OK && out)
		*out = (struct m6_io_fault_info){.count = m.mr[0],
		                                 .stream_id = m.mr[1],
		                                 .type = m.mr[2],
		                                 .iova = m.mr[3],
		                                 .flags = m.mr[4]};
	return err;
}

uint64_t m6_iospace_control_info(m6_cptr_t control, uint64_t *streams, uint64_t *doorbell)
{
	struct m6_msg m;
	uint64_t err = invoke(m6_ipc_buffer(), control, M6_IOSPACE_CONTROL_INFO, NULL, 0, &m);
	if (err == M6_OK) {
		if (streams)
			*streams = m.mr[0];
		if (doorbell)
			*doorbell = m.mr[1];
	}
	return err;
}

uint64_t m6_iospace_set_notification(m6_cptr_t iospace, m6_cptr_t notification)
{
	const uint64_t a[] = {notification};
	return invoke_simple(iospace, M6_IOSPACE_SET_NOTIFICATION, a, 1);
}

uint64_t m6_iospace_read_fault(m6_cptr_t iospace, struct m6_io_fault_info *out)
{
	struct m6_msg m;
	uint64_t err = invoke(m6_ipc_buffer(), iospace, M6_IOSPACE_READ_FAULT, NULL, 0, &m);
	if (err == M6_OK && out)
		*out = (struct m6_io_fault_info){.count = m.mr[0],
		                                 .stream_id = m.mr[1],
		                                 .type = m.mr[2],
		                                 .iova = m.mr[3],
		                                 .flags = m.mr[4]};
	return err;
}

uint64_t m6_io_page_table_map(m6_cptr_t table, m6_cptr_t iospace, uint64_t iova, uint64_t level)
{
	const uint64_t a[] = {iospace, iova, level};
	return invoke_simple(table, M6_IO_PAGE_TABLE_MAP, a, 3);
}

uint64_t m6_io_page_table_unmap(m6_cptr_t table)
{
	return invoke_simple(table, M6_IO_PAGE_TABLE_UNMAP, NULL, 0);
}

uint64_t m6_frame_map_io(m6_cptr_t frame, m6_cptr_t iospace, uint64_t iova, uint64_t rights)
{
	const uint64_t a[] = {iospace, iova, rights};
	return invoke_simple(frame, M6_FRAME_MAP_IO, a, 3);
}
