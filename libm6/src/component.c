/* Compiled once per component (m6_add_component adds it), with that component's
 * m6_caps.h: tells the runtime what the spec granted (heap, debug console, threads). */
#include <m6/layout.h>
#include <m6/runtime.h>
#include <m6_caps.h>

/* libm6 takes the layout from <m6/layout.h>, written from the spec compiler's constants;
 * this component's header is what the compiler wrote for it. They cannot differ unless
 * one of them is stale or the compiler breaks its own rules: then the build stops here. */
_Static_assert(M6_IPC_BUFFER_VADDR == M6_LAYOUT_IPC_BUFFER_VADDR,
               "IPC buffer: m6_caps.h != m6/layout.h");
_Static_assert(M6_STACK_TOP == M6_LAYOUT_STACK_TOP, "stack top: m6_caps.h != m6/layout.h");
_Static_assert(CAP_SELF_CNODE == M6_CAP_SELF_CNODE && CAP_SELF_VSPACE == M6_CAP_SELF_VSPACE &&
                   CAP_SELF_TCB == M6_CAP_SELF_TCB,
               "fixed slots: m6_caps.h != m6/layout.h");

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
