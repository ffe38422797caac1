/* Kernel object types, invocation labels and their arguments.
 *
 * An invocation is a CALL on a cap that is not an endpoint; the label selects the
 * operation and MR0.. carry the arguments (MR6 and up in the IPC buffer). Cap arguments
 * are cptrs resolved in the caller's CSpace with depth 64. Slot arguments written
 * (index, depth) are resolved from the invoked CNode cap with that depth. The result
 * comes back in x0 (an error code) and, where noted, MR0.. with the length in x1.
 * docs/abi.md lists every label with its errors. */
#ifndef M6_ABI_OBJECTS_H
#define M6_ABI_OBJECTS_H

enum m6_object_type {
	M6_OBJ_NULL = 0,
	M6_OBJ_UNTYPED = 1,
	M6_OBJ_TCB = 2,
	M6_OBJ_ENDPOINT = 3,
	M6_OBJ_NOTIFICATION = 4,
	M6_OBJ_CNODE = 5,
	M6_OBJ_VSPACE = 6,
	M6_OBJ_PAGE_TABLE = 7,
	M6_OBJ_FRAME = 8,         /* size_bits 12 (4 KiB) or 21 (2 MiB) */
	M6_OBJ_DEBUG_CONSOLE = 9, /* kernel singleton: write bytes to the console */
	M6_OBJ_POWER = 10,        /* kernel singleton: power off / reset */
	M6_OBJ_IRQ_CONTROL = 11,  /* kernel singleton: issues IRQHandler caps */
	M6_OBJ_IRQ_HANDLER = 12,  /* one interrupt line */
	M6_OBJ_TIMER = 13,        /* a one-shot/periodic deadline that signals a notification */
	M6_OBJ_SYSTEM_INFO = 14,  /* kernel singleton: read-only introspection (threads, memory) */
	M6_OBJ_ASID_CONTROL = 15, /* kernel singleton: makes ASID pools from untyped */
	M6_OBJ_ASID_POOL = 16,    /* a block of ASIDs its holders give to VSpaces */
	/* A PCIe function's MSIs: its ITS interrupt translation table (size_bits = event ID
	 * bits, 1..11: 2..2048 vectors; 32 bytes per event, at least 512), bound to a device
	 * ID by IRQControl (issue 14) */
	M6_OBJ_MSI_DEVICE = 17,
	/* Issue 14, SMMUv3 (docs/kernel.md, "IOSpaces"): types 18-20. */
	M6_OBJ_IOSPACE = 18,         /* a device's I/O address space (16 KiB: tables + context) */
	M6_OBJ_IO_PAGE_TABLE = 19,   /* a translation table of levels 1..3 in an IOSpace */
	M6_OBJ_IOSPACE_CONTROL = 20, /* kernel singleton: binds IOSpaces to stream IDs */
	M6_OBJ_COUNT
};

enum m6_label {
	/* ---- kernel singletons ---- */
	/* MR0 = byte count (<= 8 * (length - 1)), MR1.. = bytes, little endian */
	M6_DEBUG_CONSOLE_WRITE = 1,
	/* MR0 = enum m6_power_action */
	M6_POWER_CONTROL = 2,

	/* ---- TCB ---- */
	/* MR0 = fault endpoint cptr (0: none; its badge tells the handler who faulted),
	 * MR1 = CSpace root cptr (CNode), MR2 = VSpace root cptr (VSpace),
	 * MR3 = IPC buffer vaddr, MR4 = IPC buffer frame cptr (0: none) */
	M6_TCB_CONFIGURE = 16,
	M6_TCB_SUSPEND = 17,
	M6_TCB_RESUME = 18,
	/* MR0 = authority TCB cptr, MR1 = priority (<= authority's max priority) */
	M6_TCB_SET_PRIORITY = 19,
	/* MR0 = authority TCB cptr, MR1 = max priority (<= authority's max priority) */
	M6_TCB_SET_MAX_PRIORITY = 20,
	/* result: MR0 = pc, MR1 = sp, MR2 = spsr (NZCV only), MR3..MR33 = x0..x30 */
	M6_TCB_READ_REGISTERS = 21,
	/* MR0 = flags (M6_TCB_WRITE_RESUME, M6_TCB_WRITE_NZCV), MR1 = pc, MR2 = sp; without
	 * NZCV: MR3.. = x0.. (length - 3 registers); with it: MR3 = NZCV (bits 31:28 only),
	 * MR4.. = x0.. (length - 4 registers), the layout READ_REGISTERS returns */
	M6_TCB_WRITE_REGISTERS = 22,
	/* MR0 = notification cptr */
	M6_TCB_BIND_NOTIFICATION = 23,
	M6_TCB_UNBIND_NOTIFICATION = 24,
	/* MR0 = flags (enum m6_tcb_flags) */
	M6_TCB_SET_FLAGS = 25,
	/* MR0 = authority TCB cptr, MR1 = timeslice in microseconds (100 .. 1,000,000 and
	 * <= the authority's max timeslice) */
	M6_TCB_SET_TIMESLICE = 26,
	/* MR0 = authority TCB cptr, MR1 = max timeslice in microseconds (as above) */
	M6_TCB_SET_MAX_TIMESLICE = 27,
	/* result: MR0 = the thread's TLS register (TPIDR_EL0); not the caller's own */
	M6_TCB_READ_TLS = 28,
	/* MR0 = the thread's new TLS register value; not the caller's own */
	M6_TCB_WRITE_TLS = 29,
	/* MR0 = first vector register (0..31), MR1 = count (first + count <= 32, and the
	 * result must fit the caller: 2 + 2 * count words); result: MR0 = FPSR, MR1 = FPCR,
	 * MR2 + 2i / MR3 + 2i = low / high 64 bits of V[first + i]; not the caller's own */
	M6_TCB_READ_FPU = 30,
	/* MR0 = first, MR1 = count (as READ_FPU), MR2 = FPSR, MR3 = FPCR (architected bits
	 * only), MR4 + 2i / MR5 + 2i = low / high 64 bits of V[first + i]; length >= 4 + 2 *
	 * count; not the caller's own */
	M6_TCB_WRITE_FPU = 31,
	/* (The TCB block 16..31 is full; 40..47 continue it, 33..39 stay Untyped's.)
	 * MR0 = CPU index (0 .. online CPUs - 1, SystemInfo CPU says which): the thread runs
	 * there from now on; running on another CPU, it is taken off that CPU before the
	 * call returns. M6_ERR_RANGE for a CPU that does not exist or is not online. */
	M6_TCB_SET_AFFINITY = 40,

	/* ---- Untyped ---- */
	/* MR0 = type, MR1 = size_bits (CNode: radix; Untyped: log2 bytes; Frame: 12/21),
	 * MR2 = destination CNode cptr, MR3 = first slot in it, MR4 = count (1..256) */
	M6_UNTYPED_RETYPE = 32,

	/* ---- CNode (slots relative to the invoked CNode) ---- */
	/* MR0,1 = dest index, depth; MR2 = src root cptr; MR3,4 = src index, depth;
	 * MR5 = rights mask (subset of the source's) */
	M6_CNODE_COPY = 48,
	/* as COPY, MR6 = badge (Endpoint/Notification: source must be unbadged) */
	M6_CNODE_MINT = 49,
	/* MR0,1 = dest; MR2 = src root; MR3,4 = src */
	M6_CNODE_MOVE = 50,
	/* as MOVE, MR5 = new badge (only an unbadged original may be given one) */
	M6_CNODE_MUTATE = 51,
	/* MR0,1 = dest; MR2 = pivot root; MR3,4 = pivot; MR5 = src root; MR6,7 = src;
	 * MR8 = badge for the cap moving to dest, MR9 = badge for the cap moving to pivot.
	 * pivot -> dest, src -> pivot; dest must be empty unless it is src (a swap). */
	M6_CNODE_ROTATE = 52,
	/* MR0,1 = slot */
	M6_CNODE_DELETE = 53,
	/* MR0,1 = slot: delete every cap derived from it */
	M6_CNODE_REVOKE = 54,

	/* ---- Address spaces ---- */
	/* PageTable: MR0 = VSpace cptr, MR1 = vaddr, MR2 = level (1..3) */
	M6_PAGE_TABLE_MAP = 64,
	M6_PAGE_TABLE_UNMAP = 65,
	/* Frame: MR0 = VSpace cptr, MR1 = vaddr, MR2 = rights (R, W, X; never W+X).
	 * Mapping an already mapped frame at the same place changes its rights (remap). */
	M6_FRAME_MAP = 66,
	M6_FRAME_UNMAP = 67,
	/* MR0 = start offset, MR1 = end offset (exclusive) within the frame */
	M6_FRAME_CLEAN = 68,
	M6_FRAME_INVALIDATE = 69,
	M6_FRAME_CLEAN_INVALIDATE = 70,
	/* result: MR0 = physical address (for DMA) */
	M6_FRAME_GET_ADDRESS = 71,

	/* ---- Interrupts ---- */
	/* IRQControl: MR0 = interrupt ID, MR1 = trigger (0 level, 1 edge),
	 * MR2 = destination CNode cptr, MR3 = slot in it */
	M6_IRQ_CONTROL_GET = 80,
	/* IRQHandler: MR0 = notification cptr (0: none) */
	M6_IRQ_HANDLER_SET_NOTIFICATION = 81,
	M6_IRQ_HANDLER_ACK = 82,
	/* ---- MSIs through the GICv3 ITS (issue 14; docs/abi.md "MSIs") ---- */
	/* IRQControl: MR0 = MSI device cptr (unbound), MR1 = device ID (PCIe requester ID,
	 * bus << 8 | device << 3 | function) -> MR0 = doorbell physical address */
	M6_IRQ_CONTROL_MSI_BIND = 83,
	/* IRQControl: MR0 = MSI device cptr (bound), MR1 = event ID, MR2 = destination CNode
	 * cptr, MR3 = slot -> MR0 = doorbell physical address (the MSI-X entry's address),
	 * MR1 = message data (the event ID), MR2 = the LPI's interrupt ID */
	M6_IRQ_CONTROL_GET_MSI = 84,
	/* IRQHandler of an LPI: raise it as its device would (ITS INT command) */
	M6_IRQ_HANDLER_TRIGGER = 85,

	/* ---- Timer ---- */
	/* MR0 = notification cptr (0: none); the cap's badge is what is signalled */
	M6_TIMER_SET_NOTIFICATION = 96,
	/* MR0 = deadline (absolute, counter ticks of CNTVCT), MR1 = period (0: one shot);
	 * expires at the caller's priority at this call */
	M6_TIMER_SET = 97,
	M6_TIMER_CANCEL = 98,

	/* ---- SystemInfo (read right) ---- */
	/* result: MR0 = bytes of RAM handed to untyped at boot, MR1 = bytes the boot
	 * tables used, MR2 = bytes still free in the kernel-held untyped */
	M6_SYSTEM_INFO_MEMORY = 112,
	/* MR0 = thread index (0..) -> MR0 = state (enum m6_thread_state), MR1 = priority,
	 * MR2 = max priority, MR3 = flags, MR4..MR6 = name (24 bytes, NUL padded);
	 * M6_ERR_RANGE past the last thread */
	M6_SYSTEM_INFO_THREAD = 113,
	/* result: MR0 = system counter (CNTVCT) when the kernel had started every component
	 * and entered the scheduler, MR1 = counter frequency */
	M6_SYSTEM_INFO_BOOT = 114,
	/* MR0 = CRm * 8 + op2 of an ID register (op0 3, op1 0, CRn 0: MIDR_EL1 is 0,
	 * ID_AA64PFR0_EL1 is 32, ID_AA64ISAR0_EL1 48, ...) -> MR0 = its raw value, as EL1
	 * reads it (EL0 cannot); M6_ERR_RANGE for 64 and above and for CRm 0 encodings other
	 * than MIDR (0), MPIDR (5) and REVIDR (6) */
	M6_SYSTEM_INFO_CPU_ID = 115,
	/* MR0 = CPU index -> MR0 = 1 if online (0: listed but never checked in), MR1 = MPIDR
	 * affinity, MR2 = counter ticks spent idle, MR3 = CPUs (indices) in the system,
	 * MR4 = counter value when it came online (0 if never); M6_ERR_RANGE past the last */
	M6_SYSTEM_INFO_CPU = 116,

	/* ---- ASIDs (docs/kernel.md: why pools) ---- */
	/* ASIDControl: MR0 = untyped cptr (the pool's memory), MR1 = number of ASIDs,
	 * MR2 = destination CNode cptr, MR3 = slot in it -> MR0 = first ASID, MR1 = count */
	M6_ASID_CONTROL_MAKE_POOL = 128,
	/* ASIDPool: MR0 = VSpace cptr (one without an ASID) -> MR0 = the ASID given */
	M6_ASID_POOL_ASSIGN = 129,

	/* ---- IOSpaces and the SMMU (docs/kernel.md, "IOSpaces"): labels 160-191 ---- */
	/* IOSpaceControl: MR0 = IOSpace cptr, MR1 = stream ID (PCIe: the requester ID,
	 * bus << 8 | dev << 3 | fn) not bound yet; an IOSpace takes up to 8 streams, for life */
	M6_IOSPACE_CONTROL_BIND = 160,
	/* IOSpaceControl: MR0 = notification cptr (0: none), signalled on every SMMU event */
	M6_IOSPACE_CONTROL_SET_NOTIFICATION = 161,
	/* IOSpaceControl: -> MR0 = events since the last read (0: none), MR1 = stream ID,
	 * MR2 = event type (enum m6_io_fault), MR3 = I/O address, MR4 = flags
	 * (M6_IO_FAULT_WRITE): the first event of any stream since the last read, then
	 * cleared */
	M6_IOSPACE_CONTROL_READ_FAULT = 162,
	/* IOSpaceControl: -> MR0 = number of stream IDs the SMMU serves (0: no SMMU),
	 * MR1 = I/O address of the MSI doorbell page in every IOSpace (0: none) */
	M6_IOSPACE_CONTROL_INFO = 163,
	/* IOSpace: MR0 = notification cptr (0: none), signalled on a fault of its stream */
	M6_IOSPACE_SET_NOTIFICATION = 164,
	/* IOSpace: -> as IOSPACE_CONTROL_READ_FAULT, for its own streams' faults */
	M6_IOSPACE_READ_FAULT = 165,
	/* IOPageTable: MR0 = IOSpace cptr (bound), MR1 = I/O address, MR2 = level (1..3) */
	M6_IO_PAGE_TABLE_MAP = 166,
	M6_IO_PAGE_TABLE_UNMAP = 167,
	/* Frame: MR0 = IOSpace cptr (bound), MR1 = I/O address, MR2 = rights (R, or R + W);
	 * a cap maps once (VSpace or IOSpace): copy the cap for another mapping. FRAME_UNMAP
	 * removes either kind. */
	M6_FRAME_MAP_IO = 168,
};

/* SMMU event types an IOSpace fault reports (the SMMUv3 event record's type). */
enum m6_io_fault {
	M6_IO_FAULT_BAD_STREAM = 0x02,  /* C_BAD_STREAMID: beyond the stream table */
	M6_IO_FAULT_NOT_BOUND = 0x04,   /* C_BAD_STE: no IOSpace bound to the stream */
	M6_IO_FAULT_TRANSLATION = 0x10, /* F_TRANSLATION: nothing mapped at the address */
	M6_IO_FAULT_ADDR_SIZE = 0x11,   /* F_ADDR_SIZE */
	M6_IO_FAULT_ACCESS = 0x12,      /* F_ACCESS */
	M6_IO_FAULT_PERMISSION = 0x13,  /* F_PERMISSION: a write to a read-only mapping */
};
#define M6_IO_FAULT_WRITE 1u /* READ_FAULT flags: the access was a write */

enum m6_thread_state {
	M6_THREAD_INACTIVE = 0,
	M6_THREAD_RUNNING = 1, /* running or ready */
	M6_THREAD_BLOCKED_SEND = 2,
	M6_THREAD_BLOCKED_RECV = 3,
	M6_THREAD_BLOCKED_REPLY = 4,
	M6_THREAD_BLOCKED_NOTIFICATION = 5,
};

enum m6_power_action {
	M6_POWER_OFF = 0,
	M6_POWER_RESET = 1,
};

enum m6_tcb_flags {
	/* Every svc of the thread is delivered to its fault handler as a Linux syscall. */
	M6_TCB_FLAG_LINUX_ABI = 1u << 0,
};

/* TCB_WRITE_REGISTERS's MR0. */
enum m6_tcb_write_flags {
	M6_TCB_WRITE_RESUME = 1u << 0, /* resume the thread afterwards */
	M6_TCB_WRITE_NZCV = 1u << 1,   /* MR3 is the new NZCV; x0.. follow from MR4 */
};

/* The bits of NZCV in SPSR, the only ones TCB_READ/WRITE_REGISTERS pass. */
#define M6_TCB_NZCV_MASK (0xfull << 28)
/* The architected bits of FPSR (N Z C V QC, IDC IXC UFC OFC DZC IOC) and FPCR (AHP DN FZ
 * RMode Stride FZ16 Len, IDE IXE UFE OFE DZE IOE) that TCB_WRITE_FPU accepts. */
#define M6_TCB_FPSR_MASK 0xf800009full
#define M6_TCB_FPCR_MASK 0x07ff9f00ull

/* Fault messages: the label of the message a fault handler receives. */
enum m6_fault {
	/* MR0 = pc, MR1 = fault address, MR2 = ESR, MR3 = 1 for instruction fetch */
	M6_FAULT_VM = 1,
	/* MR0 = pc, MR1 = ESR: undefined instruction, alignment, breakpoint, ... */
	M6_FAULT_EXCEPTION = 2,
	/* MR0..MR7 = x0..x7, MR8 = x8 (syscall number), MR9 = pc, MR10 = sp */
	M6_FAULT_UNKNOWN_SYSCALL = 3,
	/* Linux-ABI thread's svc: same layout as M6_FAULT_UNKNOWN_SYSCALL */
	M6_FAULT_LINUX_SYSCALL = 4,
};

/* Labels of a fault handler's reply. */
enum m6_fault_reply {
	/* Resume. Syscall faults: x0 = MR0 if length >= 1, continue after the svc.
	 * Other faults: pc = MR0 if length >= 1, sp = MR1 if length >= 2; else retry. */
	M6_FAULT_REPLY_RESUME = 0,
	/* Leave the thread stopped (inactive) */
	M6_FAULT_REPLY_STOP = 1,
};

/* Label with which a thread blocked in RECV on an endpoint learns that its bound
 * notification was signalled instead: x0 = the notification word. */
#define M6_LABEL_NOTIFICATION 0xfffffffffffffull

#endif
