/* The PCIe bus component's rules for drivers (components/drivers/pcie/pcie_policy.c):
 * which functions a claim rule matches, INTx swizzling through bridges, MSI-X decoding
 * from untrusted capability words, and what a driver may write to config space. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pcie_policy.h"

/* QEMU's test/pcie machine as the enumerator records it (the fields the rules read). */
static struct pcie_result machine(void)
{
	struct pcie_result r;
	memset(&r, 0, sizeof r);
	struct pcie_function f[] = {
	    {.bus = 0, .dev = 0, .vendor = 0x1b36, .device = 0x0008, .class_code = 0x060000},
	    {.bus = 0, .dev = 1, .vendor = 0x1b36, .device = 0x0010, .class_code = 0x010802},
	    {.bus = 0,
	     .dev = 2,
	     .vendor = 0x1b36,
	     .device = 0x000c,
	     .class_code = 0x060400,
	     .header_type = 1,
	     .secondary = 1,
	     .subordinate = 1},
	    {.bus = 1, .dev = 0, .vendor = 0x1af4, .device = 0x1044, .class_code = 0x00ff00},
	    {.bus = 0,
	     .dev = 5,
	     .vendor = 0x1b36,
	     .device = 0x000c,
	     .class_code = 0x060400,
	     .header_type = 1,
	     .secondary = 3,
	     .subordinate = 4},
	    {.bus = 3,
	     .dev = 0,
	     .vendor = 0x1b36,
	     .device = 0x000e,
	     .class_code = 0x060400,
	     .header_type = 1,
	     .secondary = 4,
	     .subordinate = 4},
	    {.bus = 4, .dev = 1, .vendor = 0x1af4, .device = 0x1005, .class_code = 0x00ff00},
	};
	memcpy(r.functions, f, sizeof f);
	r.count = sizeof f / sizeof f[0];
	return r;
}

static void test_rules(void **state)
{
	(void)state;
	struct pcie_result r = machine();
	struct pcie_rule nvme = {PCIE_RULE_CLASS, 0, 0, 0x010802};
	struct pcie_rule rng = {PCIE_RULE_CLASS, 0, 0, 0x00ff00};
	struct pcie_rule virtio = {PCIE_RULE_VENDOR, 0x1af4, 0, 0};
	struct pcie_rule modern = {PCIE_RULE_DEVICE, 0x1af4, 0x1044, 0};
	struct pcie_rule qemu = {PCIE_RULE_VENDOR, 0x1b36, 0, 0};
	struct pcie_rule bridges = {PCIE_RULE_CLASS, 0, 0, 0x060400};
	struct pcie_rule host = {PCIE_RULE_CLASS, 0, 0, 0x060000};
	struct pcie_rule unknown = {7, 0x1af4, 0x1044, 0x00ff00};
	assert_int_equal(pcie_rule_count(&nvme, &r), 1);
	assert_int_equal(pcie_rule_nth(&nvme, &r, 0), 1);
	assert_int_equal(pcie_rule_nth(&nvme, &r, 1), -1);
	/* several matches: in enumeration order */
	assert_int_equal(pcie_rule_count(&rng, &r), 2);
	assert_int_equal(pcie_rule_nth(&rng, &r, 0), 3);
	assert_int_equal(pcie_rule_nth(&rng, &r, 1), 6);
	assert_int_equal(pcie_rule_count(&virtio, &r), 2);
	assert_int_equal(pcie_rule_count(&modern, &r), 1);
	assert_int_equal(pcie_rule_nth(&modern, &r, 0), 3);
	/* bridges and the host bridge are the bus's: no rule reaches them */
	assert_int_equal(pcie_rule_count(&qemu, &r), 1);
	assert_int_equal(pcie_rule_count(&bridges, &r), 0);
	assert_int_equal(pcie_rule_count(&host, &r), 0);
	assert_int_equal(pcie_rule_count(&unknown, &r), 0);
}

static void test_claims(void **state)
{
	(void)state;
	uint64_t holder = 0;
	assert_int_equal(pcie_claim(&holder, 0), PCIE_CLAIM_OTHER);
	assert_int_equal(holder, 0);
	assert_int_equal(pcie_claim(&holder, 3), PCIE_CLAIM_NEW);
	assert_int_equal(holder, 3);
	assert_int_equal(pcie_claim(&holder, 3), PCIE_CLAIM_AGAIN);
	/* a second claimant of a claimed function is refused and changes nothing */
	assert_int_equal(pcie_claim(&holder, 4), PCIE_CLAIM_OTHER);
	assert_int_equal(holder, 3);
}

static void test_intx_swizzle(void **state)
{
	(void)state;
	struct pcie_result r = machine();
	unsigned dev = 99, pin = 99;
	/* on bus 0: as it is */
	assert_true(pcie_intx_route(&r, &r.functions[1], 1, &dev, &pin));
	assert_int_equal(dev, 1);
	assert_int_equal(pin, 1);
	assert_true(pcie_intx_route(&r, &r.functions[1], 4, &dev, &pin));
	assert_int_equal(pin, 4);
	/* 01:00.0 pin A behind root port 00:02.0: device 0 below, so pin A at 00:02 */
	assert_true(pcie_intx_route(&r, &r.functions[3], 1, &dev, &pin));
	assert_int_equal(dev, 2);
	assert_int_equal(pin, 1);
	/* 04:01.0 pin A: B at bridge 03:00.0 (device 1 below it), B at 00:05.0 (device 0) */
	assert_true(pcie_intx_route(&r, &r.functions[6], 1, &dev, &pin));
	assert_int_equal(dev, 5);
	assert_int_equal(pin, 2);
	/* pin D wraps to A */
	assert_true(pcie_intx_route(&r, &r.functions[6], 4, &dev, &pin));
	assert_int_equal(pin, 1);
	/* no pin, a pin the spec does not have */
	assert_false(pcie_intx_route(&r, &r.functions[1], 0, &dev, &pin));
	assert_false(pcie_intx_route(&r, &r.functions[1], 5, &dev, &pin));
	/* a function on a bus no bridge leads to */
	struct pcie_function orphan = {.bus = 9, .dev = 0};
	assert_false(pcie_intx_route(&r, &orphan, 1, &dev, &pin));
	/* bridges that lead to each other (a broken result): the walk ends */
	struct pcie_result loop;
	memset(&loop, 0, sizeof loop);
	loop.functions[0] = (struct pcie_function){.bus = 1, .header_type = 1, .secondary = 2};
	loop.functions[1] = (struct pcie_function){.bus = 2, .header_type = 1, .secondary = 1};
	loop.count = 2;
	struct pcie_function behind = {.bus = 2, .dev = 3};
	assert_false(pcie_intx_route(&loop, &behind, 1, &dev, &pin));
}

static void test_msix(void **state)
{
	(void)state;
	struct pcie_function f = {.cap_msix = 0x40};
	f.bars[0] = (struct pcie_bar){PCIE_BAR_MEM64, false, 0x10000000, 0x4000};
	f.bars[2] = (struct pcie_bar){PCIE_BAR_IO, false, 0x1000, 0x20};
	struct pcie_msix m;
	/* QEMU's NVMe: 65 vectors, table at 0x2000 and PBA at 0x3000 of BAR0 */
	assert_true(pcie_msix_decode(&f, 64u << 16 | 0x11, 0x2000, 0x3000, &m));
	assert_int_equal(m.vectors, 65);
	assert_int_equal(m.table_bar, 0);
	assert_int_equal(m.table_offset, 0x2000);
	assert_int_equal(m.pba_offset, 0x3000);
	/* a table running past its BAR, or in a BAR that is not memory, or a BIR past 5 */
	assert_false(pcie_msix_decode(&f, 0x7ffu << 16, 0x2000, 0x3000, &m));
	assert_false(pcie_msix_decode(&f, 0, 0x3ff8, 0x3000, &m));
	assert_false(pcie_msix_decode(&f, 0, 0x2000 | 2, 0x3000, &m));
	assert_false(pcie_msix_decode(&f, 0, 0x2000 | 7, 0x3000, &m));
	assert_false(pcie_msix_decode(&f, 0, 0x2000, 0x4000, &m));
	assert_false(pcie_msix_decode(&f, 0, 0x2000 | 1, 0x3000, &m)); /* BAR1: upper half */
	/* no capability */
	f.cap_msix = 0;
	assert_false(pcie_msix_decode(&f, 0, 0x2000, 0x3000, &m));
}

static void test_config_rules(void **state)
{
	(void)state;
	struct pcie_function f = {.cap_msi = 0x50, .cap_msix = 0x70, .cap_pcie = 0x80};
	uint32_t out = 0;
	const uint32_t cmd = 0x00100006; /* status: capability list; memory + bus master */
	/* reads: aligned, in 4 KiB */
	assert_int_equal(pcie_config_read_check(0), PCIE_CFG_OK);
	assert_int_equal(pcie_config_read_check(0xffc), PCIE_CFG_OK);
	assert_int_equal(pcie_config_read_check(2), PCIE_CFG_RANGE);
	assert_int_equal(pcie_config_read_check(0x1000), PCIE_CFG_RANGE);
	/* command: bus mastering and INTx disable only; status passed on (write-one-clear) */
	assert_int_equal(pcie_config_write_check(&f, 4, cmd, cmd & ~4u, &out), PCIE_CFG_OK);
	assert_int_equal(out, cmd & ~4u);
	assert_int_equal(pcie_config_write_check(&f, 4, cmd, cmd | 0x400, &out), PCIE_CFG_OK);
	assert_int_equal(pcie_config_write_check(&f, 4, cmd, 0xf9000006, &out), PCIE_CFG_OK);
	assert_int_equal(pcie_config_write_check(&f, 4, cmd, cmd & ~2u, &out), PCIE_CFG_REFUSED);
	assert_int_equal(pcie_config_write_check(&f, 4, cmd, cmd | 1u, &out), PCIE_CFG_REFUSED);
	assert_int_equal(pcie_config_write_check(&f, 4, cmd, cmd | 0x100u, &out), PCIE_CFG_REFUSED);
	/* the rest of the header: IDs, BARs, bus numbers, ROM, interrupt line */
	for (unsigned off = 0; off < 0x40; off += 4) {
		if (off != 4)
			assert_int_equal(pcie_config_write_check(&f, off, 0, 0, &out),
			                 PCIE_CFG_REFUSED);
	}
	/* MSI: all of it; MSI-X: its enable and mask bits only */
	assert_int_equal(pcie_config_write_check(&f, 0x54, 0, 0xfee00000, &out), PCIE_CFG_REFUSED);
	assert_int_equal(pcie_config_write_check(&f, 0x50, 0x00807005, 0x00817005, &out),
	                 PCIE_CFG_REFUSED);
	assert_int_equal(pcie_config_write_check(&f, 0x70, 0x00408011, 0xc0408011, &out),
	                 PCIE_CFG_OK);
	assert_int_equal(out, 0xc0408011);
	assert_int_equal(pcie_config_write_check(&f, 0x70, 0x00408011, 0x00418011, &out),
	                 PCIE_CFG_REFUSED);
	assert_int_equal(pcie_config_write_check(&f, 0x74, 0x2000, 0x0, &out), PCIE_CFG_REFUSED);
	assert_int_equal(pcie_config_write_check(&f, 0x78, 0x3000, 0x0, &out), PCIE_CFG_REFUSED);
	/* other capabilities: the driver's, but Device Control's Initiate FLR (bit 15) and the
	 * PM capability's PowerState (bits 1:0), which stop the BARs decoding */
	assert_int_equal(pcie_config_write_check(&f, 0x88, 0, 0x8000, &out), PCIE_CFG_REFUSED);
	assert_int_equal(pcie_config_write_check(&f, 0x88, 0x2810, 0x2810 | 0x8000, &out),
	                 PCIE_CFG_REFUSED);
	assert_int_equal(pcie_config_write_check(&f, 0x88, 0x2810, 0x2811, &out), PCIE_CFG_OK);
	assert_int_equal(out, 0x2811);
	assert_int_equal(pcie_config_write_check(&f, 0x84, 0, 0x8000, &out), PCIE_CFG_OK);
	assert_int_equal(pcie_config_write_check(&f, 0x7c, 0, 1, &out), PCIE_CFG_OK);
	f.cap_pm = 0xc0; /* past MSI (0x50 + 24) */
	assert_int_equal(pcie_config_write_check(&f, 0xc4, 0x0008, 0x000b, &out), PCIE_CFG_REFUSED);
	assert_int_equal(pcie_config_write_check(&f, 0xc4, 0x0008, 0x0009, &out), PCIE_CFG_REFUSED);
	assert_int_equal(pcie_config_write_check(&f, 0xc4, 0x0003, 0x0000, &out), PCIE_CFG_REFUSED);
	/* PME status (write-one-to-clear) and PME enable, PowerState as it is: allowed */
	assert_int_equal(pcie_config_write_check(&f, 0xc4, 0x8008, 0x8108, &out), PCIE_CFG_OK);
	assert_int_equal(pcie_config_write_check(&f, 0xc0, 0, 0, &out), PCIE_CFG_OK);
	/* extended config space (SR-IOV, Resizable BAR, ATS...): none of it */
	for (unsigned off = 0x100; off < 0x1000; off += 4)
		assert_int_equal(pcie_config_write_check(&f, off, 0, 1, &out), PCIE_CFG_REFUSED);
	/* without the PCIe or PM capability, their usual places are ordinary */
	struct pcie_function bare = {0};
	assert_int_equal(pcie_config_write_check(&bare, 0x88, 0, 0x8000, &out), PCIE_CFG_OK);
	assert_int_equal(pcie_config_write_check(&bare, 0x64, 0, 3, &out), PCIE_CFG_OK);
	/* misaligned or beyond */
	assert_int_equal(pcie_config_write_check(&f, 0x89, 0, 0, &out), PCIE_CFG_RANGE);
	assert_int_equal(pcie_config_write_check(&f, 0x1000, 0, 0, &out), PCIE_CFG_RANGE);
	/* without MSI or MSI-X, their usual places are ordinary */
	struct pcie_function plain = {0};
	assert_int_equal(pcie_config_write_check(&plain, 0x50, 0, 1, &out), PCIE_CFG_OK);
}

static void test_bar_frames(void **state)
{
	(void)state;
	unsigned bits = 99;
	struct pcie_bar io = {.kind = PCIE_BAR_IO, .addr = 0x1000, .size = 0x20};
	assert_int_equal(pcie_bar_frames(&io, &bits), 0);
	assert_int_equal(bits, 0);
	struct pcie_bar none = {0};
	assert_int_equal(pcie_bar_frames(&none, &bits), 0);
	/* below a page: one page (the enumerator gave it a whole one) */
	struct pcie_bar tiny = {.kind = PCIE_BAR_MEM32, .addr = 0x10300000, .size = 0x100};
	assert_int_equal(pcie_bar_frames(&tiny, &bits), 1);
	assert_int_equal(bits, 12);
	struct pcie_bar nvme = {.kind = PCIE_BAR_MEM64, .addr = 0x10000000, .size = 0x4000};
	assert_int_equal(pcie_bar_frames(&nvme, &bits), 4);
	assert_int_equal(bits, 12);
	/* just below 2 MiB: still pages; from 2 MiB on: 2 MiB frames */
	struct pcie_bar mib1 = {.kind = PCIE_BAR_MEM32, .addr = 0x10100000, .size = 1u << 20};
	assert_int_equal(pcie_bar_frames(&mib1, &bits), 256);
	assert_int_equal(bits, 12);
	struct pcie_bar mib2 = {.kind = PCIE_BAR_MEM32, .addr = 0x10200000, .size = 2u << 20};
	assert_int_equal(pcie_bar_frames(&mib2, &bits), 1);
	assert_int_equal(bits, 21);
	struct pcie_bar ivshmem = {
	    .kind = PCIE_BAR_MEM64, .prefetchable = true, .addr = 0x8004000000, .size = 64u << 20};
	assert_int_equal(pcie_bar_frames(&ivshmem, &bits), 32);
	assert_int_equal(bits, 21);
	/* 1 GiB is the most the bus hands out; 2 GiB counts beyond it (the bus refuses) */
	struct pcie_bar gib = {.kind = PCIE_BAR_MEM64, .addr = 0x8040000000, .size = 1ull << 30};
	assert_int_equal(pcie_bar_frames(&gib, &bits), PCIE_MAX_BAR_FRAMES);
	struct pcie_bar gib2 = {.kind = PCIE_BAR_MEM64, .addr = 0x8080000000, .size = 2ull << 30};
	assert_true(pcie_bar_frames(&gib2, &bits) > PCIE_MAX_BAR_FRAMES);
	/* a 64-bit BAR of 2^40 bytes does not wrap the count */
	struct pcie_bar huge = {.kind = PCIE_BAR_MEM64, .addr = 1ull << 40, .size = 1ull << 40};
	assert_true(pcie_bar_frames(&huge, &bits) == 1ull << 19);
}

static void test_flr(void **state)
{
	(void)state;
	/* QEMU's NVMe: DevCap with FLR (bit 28); one without */
	assert_true(pcie_flr_capable(0x10008fc0u | 1u << 28));
	assert_false(pcie_flr_capable(0x00008fc0u));
	/* Initiate FLR kept with Device Control; Device Status (RW1C) written 0 */
	assert_int_equal(pcie_flr_start(0x002f2810u), 0x0000a810u);
	assert_int_equal(pcie_flr_start(0x00000000u), 0x00008000u);

	/* An endpoint with a 64-bit prefetchable BAR0, an I/O BAR2, a 32-bit BAR3 */
	struct pcie_function f = {.header_type = 0};
	f.bars[0] = (struct pcie_bar){PCIE_BAR_MEM64, true, 0x8004000000ull, 64u << 20};
	f.bars[2] = (struct pcie_bar){PCIE_BAR_IO, false, 0x2000, 0x20};
	f.bars[3] = (struct pcie_bar){PCIE_BAR_MEM32, false, 0x10500000, 0x100};
	struct pcie_cfg_write w[PCIE_FLR_MAX_WRITES];
	size_t n = pcie_flr_restore(&f, w);
	assert_int_equal(n, 5);
	assert_int_equal(w[0].offset, 0x10);
	assert_int_equal(w[0].value, 0x0400000cu);
	assert_int_equal(w[1].offset, 0x14);
	assert_int_equal(w[1].value, 0x80u);
	assert_int_equal(w[2].offset, 0x18);
	assert_int_equal(w[2].value, 0x2001u);
	assert_int_equal(w[3].offset, 0x1c);
	assert_int_equal(w[3].value, 0x10500000u);
	/* last, the command: memory and I/O decoding, INTx off, no bus mastering */
	assert_int_equal(w[4].offset, 0x04);
	assert_int_equal(w[4].value, 1u << 10 | 3u);

	/* memory BARs only: no I/O decoding; no BARs at all: only INTx disabled */
	struct pcie_function nvme = {.header_type = 0};
	nvme.bars[0] = (struct pcie_bar){PCIE_BAR_MEM64, false, 0x10000000, 0x4000};
	n = pcie_flr_restore(&nvme, w);
	assert_int_equal(n, 3);
	assert_int_equal(w[0].value, 0x10000004u);
	assert_int_equal(w[1].value, 0);
	assert_int_equal(w[2].value, 1u << 10 | 2u);
	struct pcie_function bare = {.header_type = 0};
	assert_int_equal(pcie_flr_restore(&bare, w), 1);
	assert_int_equal(w[0].value, 1u << 10);

	/* six 32-bit BARs: the most writes there can be */
	struct pcie_function six = {.header_type = 0};
	for (unsigned i = 0; i < PCIE_MAX_BARS; i++)
		six.bars[i] =
		    (struct pcie_bar){PCIE_BAR_MEM32, false, 0x10000000 + 0x1000 * i, 0x1000};
	assert_int_equal(pcie_flr_restore(&six, w), PCIE_FLR_MAX_WRITES);

	/* a bridge is never reset this way */
	struct pcie_function bridge = {.header_type = 1};
	bridge.bars[0] = (struct pcie_bar){PCIE_BAR_MEM32, false, 0x10004000, 0x1000};
	assert_int_equal(pcie_flr_restore(&bridge, w), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rules),        cmocka_unit_test(test_claims),
	    cmocka_unit_test(test_intx_swizzle), cmocka_unit_test(test_msix),
	    cmocka_unit_test(test_config_rules), cmocka_unit_test(test_bar_frames),
	    cmocka_unit_test(test_flr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
