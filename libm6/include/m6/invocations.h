/* Kernel object invocations: one C function per label of <m6/abi/objects.h>, plus
 * notification and IPC-buffer helpers.
 *
 * Every invocation is a CALL on the object's cap; the functions here only lay the
 * arguments out as the ABI says (MR0..MR5 in registers, MR6 and up in the IPC buffer)
 * and return the kernel's error code (M6_OK on success). Results come back through
 * pointers. Cap arguments are cptrs resolved in the caller's CSpace with depth 64; slot
 * arguments are (index, depth) pairs resolved from the invoked CNode.
 *
 * Wrappers with more than six argument words (m6_cnode_mint, m6_cnode_rotate) and with
 * more than six result words (m6_tcb_read_registers), and m6_tcb_write_registers with
 * more than three registers, use m6_ipc_buffer(): the calling thread must be the one the
 * runtime knows that buffer for, or pass its own through the *_buf variants. */
#ifndef M6_INVOCATIONS_H
#define M6_INVOCATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <m6/layout.h> /* M6_CAP_SELF_CNODE, _VSPACE, _TCB */
#include <m6/syscall.h>

/* Depth that resolves a cptr through a one-level component CSpace. */
#define M6_DEPTH_ROOT 64

/* ---- Untyped ---------------------------------------------------------------------- */

/* Carve `count` objects of `type` (and `size_bits` where the type has a size: CNode radix,
 * Untyped log2 bytes, Frame 12 or 21) from `untyped` into slots dest_slot.. of the CNode
 * `dest_cnode`. */
uint64_t m6_untyped_retype(m6_cptr_t untyped, uint64_t type, uint64_t size_bits,
                           m6_cptr_t dest_cnode, uint64_t dest_slot, uint64_t count);

/* ---- CNode ------------------------------------------------------------------------ */

/* Copy src (resolved from src_root) to dest (resolved from cnode), with `rights`
 * intersected with the source's. */
uint64_t m6_cnode_copy(m6_cptr_t cnode, uint64_t dest_index, uint64_t dest_depth,
                       m6_cptr_t src_root, uint64_t src_index, uint64_t src_depth, uint64_t rights);
/* As copy, and give the new cap `badge` (Endpoint/Notification: source must be unbadged). */
uint64_t m6_cnode_mint(m6_cptr_t cnode, uint64_t dest_index, uint64_t dest_depth,
                       m6_cptr_t src_root, uint64_t src_index, uint64_t src_depth, uint64_t rights,
                       uint64_t badge);
uint64_t m6_cnode_mint_buf(struct m6_ipc_buffer *buf, m6_cptr_t cnode, uint64_t dest_index,
                           uint64_t dest_depth, m6_cptr_t src_root, uint64_t src_index,
                           uint64_t src_depth, uint64_t rights, uint64_t badge);
/* Move src to the empty slot dest. */
uint64_t m6_cnode_move(m6_cptr_t cnode, uint64_t dest_index, uint64_t dest_depth,
                       m6_cptr_t src_root, uint64_t src_index, uint64_t src_depth);
/* Move and give the cap `badge` (only an unbadged original may be given one). */
uint64_t m6_cnode_mutate(m6_cptr_t cnode, uint64_t dest_index, uint64_t dest_depth,
                         m6_cptr_t src_root, uint64_t src_index, uint64_t src_depth,
                         uint64_t badge);
/* pivot -> dest (badge dest_badge), src -> pivot (badge pivot_badge). dest must be
 * empty unless it is src, which makes the rotate a swap. */
uint64_t m6_cnode_rotate(m6_cptr_t cnode, uint64_t dest_index, uint64_t dest_depth,
                         m6_cptr_t pivot_root, uint64_t pivot_index, uint64_t pivot_depth,
                         m6_cptr_t src_root, uint64_t src_index, uint64_t src_depth,
                         uint64_t dest_badge, uint64_t pivot_badge);
uint64_t m6_cnode_rotate_buf(struct m6_ipc_buffer *buf, m6_cptr_t cnode, uint64_t dest_index,
                             uint64_t dest_depth, m6_cptr_t pivot_root, uint64_t pivot_index,
                             uint64_t pivot_depth, m6_cptr_t src_root, uint64_t src_index,
                             uint64_t src_depth, uint64_t dest_badge, uint64_t pivot_badge);
/* Empty the slot (index, depth). */
uint64_t m6_cnode_delete(m6_cptr_t cnode, uint64_t index, uint64_t depth);
/* Delete every cap derived from the cap in (index, depth); the cap itself stays. */
uint64_t m6_cnode_revoke(m6_cptr_t cnode, uint64_t index, uint64_t depth);

/* ---- TCB -------------------------------------------------------------------------- */

/* fault_ep 0: no fault handler; ipc_buffer_frame 0: no IPC buffer. */
uint64_t m6_tcb_configure(m6_cptr_t tcb, m6_cptr_t fault_ep, m6_cptr_t cspace_root,
                          m6_cptr_t vspace_root, uint64_t ipc_buffer_vaddr,
                          m6_cptr_t ipc_buffer_frame);
uint64_t m6_tcb_suspend(m6_cptr_t tcb);
uint64_t m6_tcb_resume(m6_cptr_t tcb);
/* `authority` is a TCB whose max priority bounds `priority`. */
uint64_t m6_tcb_set_priority(m6_cptr_t tcb, m6_cptr_t authority, uint64_t priority);
uint64_t m6_tcb_set_max_priority(m6_cptr_t tcb, m6_cptr_t authority, uint64_t max_priority);

/* A thread's user registers as M6_TCB_READ_REGISTERS returns them. */
struct m6_tcb_registers {
	uint64_t pc;
	uint64_t sp;
	uint64_t spsr; /* NZCV only */
	uint64_t x[31];
};

#define M6_TCB_READ_REGISTERS_WORDS 34

uint64_t m6_tcb_read_registers(m6_cptr_t tcb, struct m6_tcb_registers *regs);
uint64_t m6_tcb_read_registers_buf(struct m6_ipc_buffer *buf, m6_cptr_t tcb,
                                   struct m6_tcb_registers *regs);
/* Set pc, sp and x0..x(nx-1) (nx <= 31), then resume the thread when `resume`. */
uint64_t m6_tcb_write_registers(m6_cptr_t tcb, bool resume, uint64_t pc, uint64_t sp,
                                const uint64_t *x, unsigned nx);
uint64_t m6_tcb_write_registers_buf(struct m6_ipc_buffer *buf, m6_cptr_t tcb, bool resume,
                                    uint64_t pc, uint64_t sp, const uint64_t *x, unsigned nx);
/* Set everything TCB_READ_REGISTERS returns: pc, sp, NZCV (regs->spsr, NZCV bits only) and
 * x0..x30; then resume the thread when `resume`. */
uint64_t m6_tcb_write_all_registers(m6_cptr_t tcb, bool resume,
                                    const struct m6_tcb_registers *regs);

/* A thread's FP/SIMD state: v0..v31 (low, high 64 bits each), FPSR and FPCR. */
struct m6_tcb_fpu {
	uint64_t v[32][2];
	uint32_t fpsr;
	uint32_t fpcr;
};

/* Read or write another thread's FP/SIMD state (READ / WRITE right), in two invocations
 * of 16 vector registers each through the caller's IPC buffer. A write takes FPSR and FPCR
 * with their architected bits only (M6_TCB_FPSR_MASK, M6_TCB_FPCR_MASK). */
uint64_t m6_tcb_read_fpu(m6_cptr_t tcb, struct m6_tcb_fpu *fpu);
uint64_t m6_tcb_write_fpu(m6_cptr_t tcb, const struct m6_tcb_fpu *fpu);
uint64_t m6_tcb_bind_notification(m6_cptr_t tcb, m6_cptr_t notification);
uint64_t m6_tcb_unbind_notification(m6_cptr_t tcb);
/* flags: enum m6_tcb_flags */
uint64_t m6_tcb_set_flags(m6_cptr_t tcb, uint64_t flags);
/* 100 .. 1,000,000 microseconds, at most `authority`'s max timeslice. */
uint64_t m6_tcb_set_timeslice(m6_cptr_t tcb, m6_cptr_t authority, uint64_t microseconds);
uint64_t m6_tcb_set_max_timeslice(m6_cptr_t tcb, m6_cptr_t authority, uint64_t microseconds);
/* Run the thread on CPU `cpu` (0 .. online CPUs - 1; m6_system_info_cpu says which);
 * running elsewhere, it has left that CPU when this returns. */
uint64_t m6_tcb_set_affinity(m6_cptr_t tcb, uint64_t cpu);
/* Another thread's TLS register (TPIDR_EL0): read (READ right) and write (WRITE right);
 * a thread's own is its mrs/msr, so naming the caller is ILLEGAL_OPERATION. */
uint64_t m6_tcb_read_tls(m6_cptr_t tcb, uint64_t *value);
uint64_t m6_tcb_write_tls(m6_cptr_t tcb, uint64_t value);

/* ---- Address spaces --------------------------------------------------------------- */

/* Install the page table at `level` (1..3) for `vaddr` in `vspace`. */
uint64_t m6_page_table_map(m6_cptr_t page_table, m6_cptr_t vspace, uint64_t vaddr, uint64_t level);
uint64_t m6_page_table_unmap(m6_cptr_t page_table);
/* rights: M6_RIGHT_READ | M6_RIGHT_WRITE | M6_RIGHT_EXECUTE (never write + execute). */
uint64_t m6_frame_map(m6_cptr_t frame, m6_cptr_t vspace, uint64_t vaddr, uint64_t rights);
uint64_t m6_frame_unmap(m6_cptr_t frame);
/* Cache maintenance over [start, end) bytes of the frame. */
uint64_t m6_frame_clean(m6_cptr_t frame, uint64_t start, uint64_t end);
uint64_t m6_frame_invalidate(m6_cptr_t frame, uint64_t start, uint64_t end);
uint64_t m6_frame_clean_invalidate(m6_cptr_t frame, uint64_t start, uint64_t end);
/* The frame's physical address (for DMA). */
uint64_t m6_frame_get_address(m6_cptr_t frame, uint64_t *paddr);

/* ---- ASIDs ------------------------------------------------------------------------ */

/* Make an ASIDPool of `count` ASIDs from `untyped` into slot `dest_slot` of `dest_cnode`;
 * *first_asid (if not NULL) is its first ASID. */
uint64_t m6_asid_control_make_pool(m6_cptr_t asid_control, m6_cptr_t untyped, uint64_t count,
                                   m6_cptr_t dest_cnode, uint64_t dest_slot, uint64_t *first_asid);
/* Give a VSpace without an ASID one from the pool (it cannot be mapped into or run
 * before); *asid (if not NULL) is the ASID. */
uint64_t m6_asid_pool_assign(m6_cptr_t pool, m6_cptr_t vspace, uint64_t *asid);

/* ---- IOSpaces (SMMU; docs/kernel.md, IOSpaces) ------------------------------------- */

/* A fault (SMMU event) as READ_FAULT reports it: count of events since the last read (0:
 * none, the rest is 0 too), and the first one's stream, event type (enum m6_io_fault),
 * I/O address and M6_IO_FAULT_WRITE. */
struct m6_io_fault_info {
	uint64_t count, stream_id, type, iova, flags;
};

/* Bind an IOSpace to a stream ID (PCIe: the requester ID) not bound yet, for life; an
 * IOSpace takes up to 8 (a device's functions, a bridge's alias). */
uint64_t m6_iospace_control_bind(m6_cptr_t control, m6_cptr_t iospace, uint64_t stream_id);
/* notification 0: none. Signalled on every SMMU event, of any stream. */
uint64_t m6_iospace_control_set_notification(m6_cptr_t control, m6_cptr_t notification);
/* The last event of any stream, and clear. */
uint64_t m6_iospace_control_read_fault(m6_cptr_t control, struct m6_io_fault_info *out);
/* Stream IDs the SMMU serves (0: no SMMU) and the MSI doorbell's I/O address (0: none). */
uint64_t m6_iospace_control_info(m6_cptr_t control, uint64_t *streams, uint64_t *doorbell);
/* notification 0: none. Signalled on a fault of the IOSpace's stream. */
uint64_t m6_iospace_set_notification(m6_cptr_t iospace, m6_cptr_t notification);
/* The IOSpace's last fault, and clear. */
uint64_t m6_iospace_read_fault(m6_cptr_t iospace, struct m6_io_fault_info *out);
/* Install an IOPageTable at `level` (1..3) for `iova` in a bound IOSpace. */
uint64_t m6_io_page_table_map(m6_cptr_t table, m6_cptr_t iospace, uint64_t iova, uint64_t level);
uint64_t m6_io_page_table_unmap(m6_cptr_t table);
/* Map a frame at `iova` of a bound IOSpace; rights M6_RIGHT_READ, optionally
 * | M6_RIGHT_WRITE (the device may write). m6_frame_unmap() removes it. */
uint64_t m6_frame_map_io(m6_cptr_t frame, m6_cptr_t iospace, uint64_t iova, uint64_t rights);

/* ---- Interrupts and timers -------------------------------------------------------- */

/* Issue the IRQHandler cap for interrupt `irq` (trigger: 0 level, 1 edge) into slot
 * `dest_slot` of the CNode `dest_cnode`. */
uint64_t m6_irq_control_get(m6_cptr_t irq_control, uint64_t irq, uint64_t trigger,
                            m6_cptr_t dest_cnode, uint64_t dest_slot);
/* notification 0: none */
uint64_t m6_irq_handler_set_notification(m6_cptr_t handler, m6_cptr_t notification);
uint64_t m6_irq_handler_ack(m6_cptr_t handler);

/* MSIs through the GICv3 ITS (docs/abi.md "MSIs"). A bus component retypes an MSI device
 * (M6_OBJ_MSI_DEVICE, size_bits = event ID bits) from its untyped, binds it to the PCIe
 * function's requester ID (bus << 8 | device << 3 | function) and gets an IRQHandler per
 * MSI-X vector; each vector's table entry is programmed with `doorbell` as its address
 * and `data` as its data. *doorbell (if not NULL): GITS_TRANSLATER's physical address. */
uint64_t m6_irq_control_msi_bind(m6_cptr_t irq_control, m6_cptr_t msi_device, uint64_t device_id,
                                 uint64_t *doorbell);
/* Issue the IRQHandler for `event` of a bound MSI device into `dest_slot` of
 * `dest_cnode`; *doorbell, *data, *intid (each if not NULL): the MSI-X entry's address
 * and data, and the LPI's interrupt ID. */
uint64_t m6_irq_control_get_msi(m6_cptr_t irq_control, m6_cptr_t msi_device, uint64_t event,
                                m6_cptr_t dest_cnode, uint64_t dest_slot, uint64_t *doorbell,
                                uint64_t *data, uint64_t *intid);
/* Raise an LPI handler's interrupt as its device would (a driver's self-test). */
uint64_t m6_irq_handler_trigger(m6_cptr_t handler);
/* The notification cap's badge is what the timer signals; 0: none. */
uint64_t m6_timer_set_notification(m6_cptr_t timer, m6_cptr_t notification);
/* deadline: absolute CNTVCT ticks; period 0: one shot. */
uint64_t m6_timer_set(m6_cptr_t timer, uint64_t deadline, uint64_t period);
uint64_t m6_timer_cancel(m6_cptr_t timer);

/* ---- Notifications ---------------------------------------------------------------- */

/* Signal, wait and poll are the send, receive and non-blocking receive system calls on a
 * notification cap, not labelled invocations: so they are named like m6_send and m6_recv
 * (m6_<verb>), not m6_<object>_<method> like the invocations above (docs/userspace.md,
 * "Names"). */

/* Signal: OR the cap's badge into the notification word; never blocks. */
static inline uint64_t m6_signal(m6_cptr_t notification)
{
	struct m6_msg m = {.info = 0};
	return m6_send(notification, &m);
}

/* Wait until the word is non-zero; returns the word (and clears it), 0 if `notification`
 * is not a notification cap with the read right (a wait never returns 0 otherwise). */
static inline uint64_t m6_wait(m6_cptr_t notification)
{
	struct m6_msg m = {0};
	return m6_recv(notification, &m) == M6_OK ? m.badge : 0;
}

/* Take the word without blocking; 0 when nothing was signalled (or the cap is unusable). */
static inline uint64_t m6_poll(m6_cptr_t notification)
{
	struct m6_msg m = {.word0 = notification};
	m6_syscall(M6_SYS_NBRECV, &m);
	return m.word0 == M6_OK ? m.badge : 0;
}

/* ---- IPC buffer helpers ----------------------------------------------------------- */

/* Message info with the caps field set: `caps` 1 transfers the cap named by
 * ipc_buffer->send_cap. */
static inline uint64_t m6_msginfo_caps_set(uint64_t label, uint64_t length, uint64_t caps)
{
	return m6_msginfo(label, length) |
	       ((caps & ((1u << M6_MSGINFO_CAPS_BITS) - 1)) << M6_MSGINFO_CAPS_SHIFT);
}

/* Message register i of a message: MR0..MR5 in `m`, the rest in the IPC buffer. */
static inline void m6_mr_set_buf(struct m6_ipc_buffer *buf, struct m6_msg *m, unsigned i,
                                 uint64_t v)
{
	if (i < M6_MSG_REGISTERS)
		m->mr[i] = v;
	else if (i < M6_MSG_MAX_WORDS)
		buf->mr[i] = v;
}

static inline uint64_t m6_mr_get_buf(const struct m6_ipc_buffer *buf, const struct m6_msg *m,
                                     unsigned i)
{
	if (i < M6_MSG_REGISTERS)
		return m->mr[i];
	return i < M6_MSG_MAX_WORDS ? buf->mr[i] : 0;
}

static inline void m6_mr_set(struct m6_msg *m, unsigned i, uint64_t v)
{
	m6_mr_set_buf(m6_ipc_buffer(), m, i, v);
}

static inline uint64_t m6_mr_get(const struct m6_msg *m, unsigned i)
{
	return m6_mr_get_buf(m6_ipc_buffer(), m, i);
}

/* Name the cap a message with caps = 1 transfers. */
static inline void m6_set_send_cap(struct m6_ipc_buffer *buf, m6_cptr_t cap)
{
	buf->send_cap = cap;
}

/* Where a received cap goes; cnode 0 refuses caps. */
static inline void m6_set_receive_slot(struct m6_ipc_buffer *buf, m6_cptr_t cnode, uint64_t index,
                                       uint64_t depth)
{
	buf->receive_cnode = cnode;
	buf->receive_index = index;
	buf->receive_depth = depth;
}

#endif
