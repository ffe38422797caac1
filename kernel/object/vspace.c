/* VSpace, PageTable and Frame objects: generic checks around the arch page-table code.
 * A VSpace is a level-0 table; user addresses are 48 bits (TTBR0). */
#include <kernel/arch.h>
#include <kernel/vspace.h>
#include <m6/abi/errors.h>

#define USER_VA_LIMIT BIT(48)

/* ASID -> VSpace root. Index 0 is reserved for "no address space" (the kernel's). */
static paddr_t asid_table[ASID_MAX];

uint32_t asid_assign(paddr_t root)
{
	for (uint32_t asid = 1; asid < ASID_MAX; asid++) {
		if (!asid_table[asid]) {
			asid_table[asid] = root;
			return asid;
		}
	}
	return 0;
}

uint32_t asid_of(paddr_t root)
{
	for (uint32_t asid = 1; asid < ASID_MAX; asid++) {
		if (asid_table[asid] == root)
			return asid;
	}
	return 0;
}

static unsigned level_shift(unsigned level)
{
	return PAGE_BITS + 9 * (3 - level);
}

int vspace_install_table(paddr_t root, unsigned level, vaddr_t va, paddr_t table)
{
	/* decode: a level-N table covers 2^(shift of level N-1) bytes */
	if (level < 1 || level > 3)
		return M6_ERR_RANGE;
	if (va >= USER_VA_LIMIT || !IS_ALIGNED(va, level_shift(level - 1)))
		return M6_ERR_ALIGNMENT;
	paddr_t parent = arch_vspace_lookup_table(root, va, level - 1);
	if (!parent)
		return M6_ERR_FAILED_LOOKUP;
	if (arch_vspace_entry_present(parent, level - 1, va))
		return M6_ERR_DELETE_FIRST;
	/* perform */
	arch_vspace_install_table(parent, level - 1, va, table);
	return M6_OK;
}

int vspace_map_frame(paddr_t root, vaddr_t va, paddr_t frame, unsigned rights)
{
	/* decode */
	if (va >= USER_VA_LIMIT || !IS_ALIGNED(va, PAGE_BITS))
		return M6_ERR_ALIGNMENT;
	if ((rights & M6_RIGHT_WRITE) && (rights & M6_RIGHT_EXECUTE))
		return M6_ERR_INVALID_ARGUMENT; /* W^X */
	if (!(rights & M6_RIGHT_READ))
		return M6_ERR_INVALID_ARGUMENT;
	paddr_t l3 = arch_vspace_lookup_table(root, va, 3);
	if (!l3)
		return M6_ERR_FAILED_LOOKUP;
	if (arch_vspace_entry_present(l3, 3, va))
		return M6_ERR_DELETE_FIRST;
	/* perform */
	arch_vspace_map_page(l3, va, frame, rights);
	return M6_OK;
}
