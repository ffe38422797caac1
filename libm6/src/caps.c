/* Free CNode slots and badged copies. */
#include <stdatomic.h>

#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6/runtime.h>

static atomic_uint next_slot;

/* Slots given back (m6_cap_free), taken first by m6_cap_alloc. Each entry is claimed and
 * emptied with one atomic exchange, so threads need no lock and an entry is never handed
 * out twice; `spares` only lets a call skip the scan when there are none (a race makes
 * it fall back to a fresh slot, never hand out a used one). Full: the slot stays unused,
 * as every slot did before there was a free. */
#define SPARE_SLOTS 32u
static _Atomic m6_cptr_t spare[SPARE_SLOTS];
static atomic_uint spares;

static m6_cptr_t fresh_slots(unsigned n)
{
	unsigned expected = 0;
	atomic_compare_exchange_strong(&next_slot, &expected, m6_component.first_free_slot);
	unsigned first = atomic_fetch_add(&next_slot, n);
	return n && first + n <= (1u << m6_component.cspace_radix) ? first : 0;
}

m6_cptr_t m6_cap_alloc(void)
{
	if (atomic_load(&spares)) {
		for (unsigned i = 0; i < SPARE_SLOTS; i++) {
			m6_cptr_t slot = atomic_exchange(&spare[i], 0);
			if (slot) {
				atomic_fetch_sub(&spares, 1);
				return slot;
			}
		}
	}
	return fresh_slots(1);
}

m6_cptr_t m6_cap_alloc_run(unsigned n)
{
	return fresh_slots(n);
}

void m6_cap_free(m6_cptr_t slot)
{
	if (!slot)
		return;
	for (unsigned i = 0; i < SPARE_SLOTS; i++) {
		m6_cptr_t empty = 0;
		if (atomic_compare_exchange_strong(&spare[i], &empty, slot)) {
			atomic_fetch_add(&spares, 1);
			return;
		}
	}
}

m6_cptr_t m6_cap_mint(m6_cptr_t src, uint64_t rights, uint64_t badge)
{
	m6_cptr_t slot = m6_cap_alloc();
	if (!slot)
		return 0;
	uint64_t err = m6_cnode_mint(M6_CAP_SELF_CNODE, slot, M6_DEPTH_ROOT, M6_CAP_SELF_CNODE, src,
	                             M6_DEPTH_ROOT, rights, badge);
	return err == M6_OK ? slot : 0;
}

m6_cptr_t m6_cap_retype_new(m6_cptr_t untyped, uint64_t type, uint64_t size_bits)
{
	m6_cptr_t slot = m6_cap_alloc();
	if (!slot)
		return 0;
	if (m6_untyped_retype(untyped, type, size_bits, M6_CAP_SELF_CNODE, slot, 1) != M6_OK) {
		m6_cap_free(slot); /* nothing was made in it */
		return 0;
	}
	return slot;
}

uint64_t m6_vspace_ensure_table(m6_cptr_t untyped, uint64_t vaddr, unsigned level)
{
	/* A table at `level` covers 512 GiB, 1 GiB or 2 MiB: the kernel wants its base. */
	unsigned shift = 12 + 9 * (4 - level);
	m6_cptr_t table = m6_cap_retype_new(untyped, M6_OBJ_PAGE_TABLE, 0);
	if (!table)
		return M6_ERR_NOT_ENOUGH_MEMORY;
	uint64_t err = m6_page_table_map(table, M6_CAP_SELF_VSPACE, vaddr >> shift << shift, level);
	if (err == M6_ERR_DELETE_FIRST) {
		/* A table already there serves as well; the new one's memory stays spent (retype
		 * does not take memory back), its slot is freed for the caller's next cap. */
		if (m6_cnode_delete(M6_CAP_SELF_CNODE, table, M6_DEPTH_ROOT) == M6_OK)
			m6_cap_free(table);
		return M6_OK;
	}
	return err;
}
