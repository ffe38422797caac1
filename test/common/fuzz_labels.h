/* The invocation labels of the kernel objects a fuzzer makes for itself, shared by the two
 * invocation fuzzers (test/ktest/t_fuzz.c, test/fuzz/fuzzer.c), which add what else each
 * may call. test/ktest/coverage.py checks that every label in <m6/abi/objects.h> is here or
 * on its list of singleton and left-out labels, so a new invocation is fuzzed by both. */
#ifndef M6_TEST_FUZZ_LABELS_H
#define M6_TEST_FUZZ_LABELS_H

#include <m6/abi/objects.h>

/* clang-format off */
#define M6_FUZZ_OBJECT_LABELS                                                     \
	M6_TCB_CONFIGURE, M6_TCB_SUSPEND, M6_TCB_SET_PRIORITY, M6_TCB_SET_MAX_PRIORITY, \
	M6_TCB_READ_REGISTERS, M6_TCB_WRITE_REGISTERS, M6_TCB_BIND_NOTIFICATION,        \
	M6_TCB_UNBIND_NOTIFICATION, M6_TCB_SET_FLAGS, M6_TCB_SET_TIMESLICE,             \
	M6_TCB_SET_MAX_TIMESLICE, M6_TCB_READ_TLS, M6_TCB_WRITE_TLS, M6_TCB_READ_FPU,   \
	M6_TCB_WRITE_FPU, M6_TCB_SET_AFFINITY,                                          \
	M6_UNTYPED_RETYPE,                                                              \
	M6_CNODE_COPY, M6_CNODE_MINT, M6_CNODE_MOVE, M6_CNODE_MUTATE, M6_CNODE_ROTATE,  \
	M6_CNODE_DELETE, M6_CNODE_REVOKE,                                               \
	M6_PAGE_TABLE_MAP, M6_PAGE_TABLE_UNMAP,                                         \
	M6_FRAME_MAP, M6_FRAME_UNMAP, M6_FRAME_CLEAN, M6_FRAME_INVALIDATE,              \
	M6_FRAME_CLEAN_INVALIDATE, M6_FRAME_GET_ADDRESS,                                \
	M6_IRQ_CONTROL_GET, M6_IRQ_HANDLER_SET_NOTIFICATION, M6_IRQ_HANDLER_ACK,        \
	M6_IRQ_CONTROL_MSI_BIND, M6_IRQ_CONTROL_GET_MSI, M6_IRQ_HANDLER_TRIGGER,        \
	M6_TIMER_SET_NOTIFICATION, M6_TIMER_SET, M6_TIMER_CANCEL,                       \
	M6_ASID_POOL_ASSIGN,                                                            \
	M6_IOSPACE_SET_NOTIFICATION, M6_IOSPACE_READ_FAULT, M6_IO_PAGE_TABLE_MAP,       \
	M6_IO_PAGE_TABLE_UNMAP, M6_FRAME_MAP_IO
/* clang-format on */

#endif
