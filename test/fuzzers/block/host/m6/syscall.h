/* test/fuzzers/block/host: <m6/syscall.h> for fuzz_block_client. The block client needs only
 * the cap type; its two system calls (<m6/invocations.h> here) are functions of the harness,
 * which plays the driver. */
#ifndef M6_SYSCALL_H
#define M6_SYSCALL_H

#include <stdint.h>

typedef uint64_t m6_cptr_t;

#endif
