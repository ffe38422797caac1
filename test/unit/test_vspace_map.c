/* Host tests for the checks vspace_map_frame() makes before a frame is mapped (the boot
 * installer and the Frame MAP invocation share it). The host build maps "physical"
 * addresses 1:1 (M6_HOST_TEST), so page tables are host memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <kernel/arch.h>
#include <kernel/asid_pool.h>
#include <kernel/invocation.h>
#include <kernel/iospace.h>
#include <kernel/preempt.h>
#include <kernel/vspace.h>
#include <m6/abi/errors.h>

/* What vspace.c needs from the rest of the kernel; none of it runs in these tests. */
void arch_barrier_tables(void)
{
}
void arch_tlb_flush_page(uint32_t asid, vaddr_t va)
{
	(void)asid;
	(void)va;
}
void arch_tlb_flush_asid(uint32_t asid)
{
	(void)asid;
}
void arch_zero_memory(void *p, size_t n)
{
	memset(p, 0, n);
}
void arch_cache_clean(uintptr_t start, uintptr_t end)
{
	(void)start;
	(void)end;
}
void arch_cache_invalidate(uintptr_t start, uintptr_t end)
{
	(void)start;
	(void)end;
}
void arch_cache_clean_invalidate(uintptr_t start, uintptr_t end)
{
	(void)start;
	(void)end;
}
/* No interrupt is ever pending on the host. */
bool preemption_pending(void)
{
	return false;
}

/* ASID pools are not under test here: every ASID maps to no pool. */
struct asid_pool *asid_directory[ASID_CHUNKS_MAX];

void asid_release(uint32_t asid, paddr_t root)
{
	(void)asid;
	(void)root;
}

void smp_vspace_forget(paddr_t root)
{
	(void)root;
}
bool cdt_is_final(const struct cte *slot)
{
	(void)slot;
	return true;
}
struct cte *lookup_typed_arg(struct tcb *caller, word_t cptr, unsigned type, int *error)
{
	(void)caller;
	(void)cptr;
	(void)type;
	*error = M6_ERR_INVALID_CAP;
	return NULL;
}
/* IOSpace mappings (object/iospace.c) are not under test here. */
void iospace_frame_unmap(struct cap *frame)
{
	(void)frame;
}
int iospace_frame_map(struct cap *frame, struct tcb *caller, unsigned length)
{
	(void)frame;
	(void)caller;
	(void)length;
	return M6_ERR_ILLEGAL_OPERATION;
}

#define RW (M6_RIGHT_READ | M6_RIGHT_WRITE)

static uint64_t tables[16][512] __attribute__((aligned(4096)));
static unsigned tables_used;

static paddr_t new_table(void)
{
	assert_true(tables_used < 16);
	memset(tables[tables_used], 0, sizeof(tables[0]));
	return (paddr_t)(uintptr_t)tables[tables_used++];
}

/* A VSpace with tables down to level 3 for the 2 MiB at `va`, and to level 2 for the
 * 2 MiB above it. */
static paddr_t vspace_for(uint64_t va)
{
	tables_used = 0;
	paddr_t root = new_table();
	/* A table of level N is installed at an address aligned to what it covers. */
	assert_int_equal(vspace_install_table(root, 1, va & ~MASK(39), new_table(), true), M6_OK);
	assert_int_equal(vspace_install_table(root, 2, va & ~MASK(30), new_table(), true), M6_OK);
	assert_int_equal(vspace_install_table(root, 3, va & ~MASK(21), new_table(), true), M6_OK);
	return root;
}

static void test_small_frame_alignment(void **state)
{
	(void)state;
	uint64_t va = 0x40000000;
	paddr_t root = vspace_for(va);
	assert_int_equal(vspace_map_frame(root, va, 0x80001000, PAGE_BITS, RW, false, false),
	                 M6_OK);
	/* A frame address inside a page: the descriptor would drop the low bits. */
	assert_int_equal(vspace_map_frame(root, va, 0x80001800, PAGE_BITS, RW, false, false),
	                 M6_ERR_ALIGNMENT);
	assert_int_equal(
	    vspace_map_frame(root, va + 0x800, 0x80001000, PAGE_BITS, RW, false, false),
	    M6_ERR_ALIGNMENT);
}

static void test_large_frame_alignment(void **state)
{
	(void)state;
	uint64_t va = 0x40000000;
	paddr_t root = vspace_for(va);
	uint64_t block_va = va + 0x200000; /* level-2 entry free there */
	assert_int_equal(
	    vspace_map_frame(root, block_va, 0x80200000, LARGE_PAGE_BITS, RW, false, false), M6_OK);
	/* A 4 KiB-aligned address as a 2 MiB block would map the 2 MiB around it. */
	assert_int_equal(
	    vspace_map_frame(root, block_va, 0x80201000, LARGE_PAGE_BITS, RW, false, false),
	    M6_ERR_ALIGNMENT);
}

static void test_frame_size_and_rights(void **state)
{
	(void)state;
	uint64_t va = 0x40000000;
	paddr_t root = vspace_for(va);
	assert_int_equal(vspace_map_frame(root, va, 0x80000000, 16, RW, false, false),
	                 M6_ERR_INVALID_ARGUMENT);
	assert_int_equal(
	    vspace_map_frame(root, va, 0x80000000, PAGE_BITS, RW | M6_RIGHT_EXECUTE, false, false),
	    M6_ERR_INVALID_ARGUMENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_small_frame_alignment),
	    cmocka_unit_test(test_large_frame_alignment),
	    cmocka_unit_test(test_frame_size_and_rights),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
