/* Component start-up and exit. A component provides `int main(void)`. */
#ifndef M6_RUNTIME_H
#define M6_RUNTIME_H

#include <m6/syscall.h>

/* Power the machine off through a Power cap (needs the spec's `syscap power`). */
uint64_t m6_power_off(m6_cptr_t power_cap);
/* End the calling thread: it suspends itself and never runs again. */
__attribute__((noreturn)) void m6_exit(int status);

#endif
