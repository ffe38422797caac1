/* Compiled once per component (m6_add_component adds it), with that component's
 * m6_caps.h: tells the runtime what the spec granted (heap, debug console, threads). */
#include <m6/layout.h>
#include <m6/runtime.h>
#include <m6_caps.h>

/* The fixed slots (M6_CAP_SELF_*) and the main thread's stack and IPC buffer have one
 * name and one value, <m6/layout.h>'s: m6_caps.h includes it and repeats none of them. */

static const m6_cptr_t thread_caps[] = M6_THREAD_CAPS;

const struct m6_component_info m6_component = {
#ifdef M6_COMPONENT_NAME
    .name = M6_COMPONENT_NAME,
#else
    .name = M6_BINARY_NAME,
#endif
#ifdef M6_HEAP_VADDR
    .heap_base = M6_HEAP_VADDR,
    .heap_size = M6_HEAP_SIZE,
#endif
#ifdef CAP_DEBUG_CONSOLE
    .debug_console = CAP_DEBUG_CONSOLE,
#endif
    .cspace_radix = M6_CSPACE_RADIX,
    .first_free_slot = M6_CSPACE_FIRST_FREE,
    .thread_count = M6_THREAD_COUNT,
    .thread_caps = thread_caps,
};
