/* test/fuzzers/block/host: the two calls the block client makes, as functions of the
 * harness (fuzz_block_client.c): signalling the driver, and waiting for it, which is where
 * the harness lets its hostile driver act. */
#ifndef M6_INVOCATIONS_H
#define M6_INVOCATIONS_H

#include <m6/syscall.h>

uint64_t m6_signal(m6_cptr_t notification);
uint64_t m6_wait(m6_cptr_t notification);

#endif
