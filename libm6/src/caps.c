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
