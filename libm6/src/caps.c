/* Free CNode slots and badged copies. */
#include <stdatomic.h>

#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6/runtime.h>

static atomic_uint next_slot;

m6_cptr_t m6_cap_alloc(void)
{
	unsigned expected = 0;
	atomic_compare_exchange_strong(&next_slot, &expected, m6_component.first_free_slot);
	unsigned slot = atomic_fetch_add(&next_slot, 1);
	return slot < (1u << m6_component.cspace_radix) ? slot : 0;
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
	if (!slot ||
	    m6_untyped_retype(untyped, type, size_bits, M6_CAP_SELF_CNODE, slot, 1) != M6_OK)
		return 0;
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
		m6_cnode_delete(M6_CAP_SELF_CNODE, table, M6_DEPTH_ROOT);
		return M6_OK;
	}
	return err;
}
