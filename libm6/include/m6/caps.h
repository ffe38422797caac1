/* Capability helpers: free slots of the component's CNode, badged copies. */
#ifndef M6_CAPS_H
#define M6_CAPS_H

#include <stdint.h>

#include <m6/layout.h> /* M6_CAP_SELF_CNODE, _VSPACE, _TCB */
#include <m6/syscall.h>

/* A free slot of the component's CNode (above every slot the spec fills), or 0 when
 * the CNode is full: one given back with m6_cap_free if there is one, else a fresh one.
 * Thread-safe. */
m6_cptr_t m6_cap_alloc(void);
/* `n` consecutive fresh slots (for a retype of `n` objects), the first, or 0. */
m6_cptr_t m6_cap_alloc_run(unsigned n);
/* `slot` (from m6_cap_alloc) is empty again: a later m6_cap_alloc may hand it out. The
 * caller deletes what was in it first. Up to 32 are kept; beyond that a slot stays
 * unused. */
void m6_cap_free(m6_cptr_t slot);
/* Copy `src` into a fresh slot with `rights` and `badge` (Endpoint/Notification: src
 * must be unbadged). Returns the new cptr, 0 on failure. */
m6_cptr_t m6_cap_mint(m6_cptr_t src, uint64_t rights, uint64_t badge);
/* A new object of `type` retyped from `untyped` into a fresh slot of this component's
 * CNode: the slot, or 0 (no slot, or the retype was refused). */
m6_cptr_t m6_cap_retype_new(m6_cptr_t untyped, uint64_t type, uint64_t size_bits);
/* The page table of `level` (1..3) over `vaddr` in this component's VSpace, made from
 * `untyped` unless one is there already: M6_OK, or the error. */
uint64_t m6_vspace_ensure_table(m6_cptr_t untyped, uint64_t vaddr, unsigned level);

#endif
