/* Offsets into struct tcb that assembly reads (vectors.S), checked against the structure
 * by _Static_assert in tcb.h: change the structure and the build says so. */
#ifndef KERNEL_TCB_OFFSETS_H
#define KERNEL_TCB_OFFSETS_H

#define TCB_FLAGS              812 /* uint32_t flags (enum m6_tcb_flags) */
#define TCB_FLAG_LINUX_ABI_BIT 0   /* M6_TCB_FLAG_LINUX_ABI */

#endif
