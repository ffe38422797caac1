/* Compiled into a component built once and bound per system (m6_add_component(...
 * MANIFEST file)) instead of component.c: what the runtime needs to know (heap, debug
 * console, CSpace size, threads, name) is not compiled in from an m6_caps.h but written
 * by the spec compiler into the config section, per system (capdl/m6capdl/bind.py knows
 * these symbols and the offsets checked below). */
#include <stddef.h>

#include <m6/layout.h>
#include <m6/runtime.h>

#define NAME_MAX_BYTES 64

__attribute__((section(".m6.config"), used)) const char m6_bound_name[NAME_MAX_BYTES] = {0};
__attribute__((section(".m6.config"), used))
const m6_cptr_t m6_bound_thread_caps[M6_LAYOUT_MAX_THREADS] = {0};

/* Nothing in this file reads it; other files see only the extern declaration, so they
 * read the bytes the compiler wrote, never a folded 0. */
__attribute__((section(".m6.config"), used)) const struct m6_component_info m6_component = {
    .name = m6_bound_name,
    .thread_caps = m6_bound_thread_caps,
};

/* bind.py's RUNTIME_FIELDS and RUNTIME_SIZE */
_Static_assert(sizeof(struct m6_component_info) == 56, "m6_component_info: size");
_Static_assert(offsetof(struct m6_component_info, heap_base) == 8 &&
                   offsetof(struct m6_component_info, heap_size) == 16 &&
                   offsetof(struct m6_component_info, debug_console) == 24 &&
                   offsetof(struct m6_component_info, cspace_radix) == 32 &&
                   offsetof(struct m6_component_info, first_free_slot) == 36 &&
                   offsetof(struct m6_component_info, thread_count) == 40,
               "m6_component_info: the offsets bind.py writes");
