/* Kernel entry. QEMU (or a boot loader) jumps here with the MMU off, x0 = DTB physical
 * address, at EL2 or EL1. We drop to EL1, build a boot translation table that maps the
 * first 4 GiB of physical space both at its physical address (so the instruction after
 * "MMU on" still fetches) and at KERNEL_VA_BASE + PA, turn the MMU on and continue in the
 * upper half. Everything here is position independent: it runs before relocation. */
#include <arch/context.h>

#define KERNEL_VA_BASE 0xffff000000000000

#define MAIR_VALUE 0x44ff0400  /* idx0 nGnRnE, idx1 nGnRE, idx2 normal WB, idx3 normal NC */
#define ATTR_DEVICE (1 << 2)
#define ATTR_NORMAL (2 << 2)
#define SH_INNER (3 << 8)
#define AF (1 << 10)
#define PXN (1 << 53)
#define UXN (1 << 54)
#define BLOCK 0x1
#define TABLE 0x3

	.section .text.head, "ax"
	.global _start
_start:
	/* arm64 Image header: lets QEMU's -kernel hand us the DTB in x0. */
	b	primary_entry
	.word	0
	.quad	0x80000                  /* text_offset */
	.quad	_kernel_image_size       /* image_size, including bss */
	.quad	0x2                      /* flags: little endian, 4 KiB pages */
	.quad	0, 0, 0
	.ascii	"ARM\x64"
	.word	0

primary_entry:
	mov	x19, x0                  /* keep the DTB pointer */

	/* Only the boot CPU enters here on QEMU; others would be parked by PSCI. */
	mrs	x9, CurrentEL
	lsr	x9, x9, #2
	cmp	x9, #2
	b.ne	in_el1

	/* EL2: give EL1 the timer and the GIC system registers, then leave. */
	mov	x9, #0x80000000          /* HCR_EL2.RW: EL1 is AArch64 */
	msr	hcr_el2, x9
	mrs	x9, cnthctl_el2
	orr	x9, x9, #3               /* EL1PCTEN | EL1PCEN */
	msr	cnthctl_el2, x9
	msr	cntvoff_el2, xzr
	mrs	x9, S3_4_C12_C9_5        /* ICC_SRE_EL2 */
	mov	x10, #0x9                /* SRE | Enable (EL1 may use ICC_SRE_EL1) */
	orr	x9, x9, x10
	msr	S3_4_C12_C9_5, x9
	isb
	mov	x9, #0x33ff              /* CPTR_EL2: no FP/SIMD traps */
	msr	cptr_el2, x9
	msr	hstr_el2, xzr
	msr	vttbr_el2, xzr
	ldr	x9, =0x30d00800          /* SCTLR_EL1 RES1 bits, MMU off */
	msr	sctlr_el1, x9
	mov	x9, #0x3c5               /* EL1h, DAIF masked */
	msr	spsr_el2, x9
	adr	x9, in_el1
	msr	elr_el2, x9
	eret

in_el1:
	msr	daifset, #0xf
	/* Zero .bss (it holds the boot page tables). */
	adrp	x9, __bss_start
	add	x9, x9, :lo12:__bss_start
	adrp	x10, __bss_end
	add	x10, x10, :lo12:__bss_end
1:	cmp	x9, x10
	b.hs	2f
	stp	xzr, xzr, [x9], #16
	b	1b
2:
	/* Boot tables: L0[0] -> L1; L1[0] devices, L1[1..3] normal memory (1 GiB blocks). */
	adrp	x9, boot_l0
	adrp	x10, boot_l1
	orr	x11, x10, #TABLE
	str	x11, [x9]
	ldr	x11, =(BLOCK | ATTR_DEVICE | AF | PXN | UXN)
	str	x11, [x10]
	ldr	x11, =(BLOCK | ATTR_NORMAL | SH_INNER | AF | UXN)
	mov	x12, #1
3:	lsl	x13, x12, #30
	orr	x13, x13, x11
	str	x13, [x10, x12, lsl #3]
	add	x12, x12, #1
	cmp	x12, #4
	b.lo	3b
	dsb	ish

	ldr	x9, =MAIR_VALUE
	msr	mair_el1, x9
	/* TCR: 48-bit VA both halves, 4 KiB granule, WB cacheable inner-shareable walks, 16-bit ASIDs,
	 * IPS from the CPU's physical address range. */
	ldr	x9, =((16 << 0) | (1 << 8) | (1 << 10) | (3 << 12) | (0 << 14) | (16 << 16) | (1 << 24) | (1 << 26) | (3 << 28) | (2 << 30) | (1 << 36))
	mrs	x10, id_aa64mmfr0_el1
	and	x10, x10, #0x7
	bfi	x9, x10, #32, #3
	msr	tcr_el1, x9
	adrp	x9, boot_l0
	msr	ttbr0_el1, x9
	msr	ttbr1_el1, x9
	mov	x9, #(3 << 20)           /* CPACR_EL1.FPEN: no FP traps until threads run */
	msr	cpacr_el1, x9
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	/* SCTLR_EL1: RES1 | M | C | SA | SA0 | I | DZE | UCT | nTWE | UCI. UCI lets EL0 clean
	 * caches by VA (permission-checked like a load), which code loaders and JITs need. */
	ldr	x9, =(0x30d00800 | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 12) | (1 << 14) | (1 << 15) | (1 << 18) | (1 << 26))
	msr	sctlr_el1, x9
	isb

	ldr	x9, =upper_half
	br	x9

upper_half:
	ldr	x9, =kernel_stack_top
	mov	sp, x9
	ldr	x9, =exception_vectors
	msr	vbar_el1, x9
	/* Drop the identity map: user space gets TTBR0 from now on, and its global
	 * entries must not linger in the TLB. */
	ldr	x9, =boot_empty_l0
	ldr	x10, =KERNEL_VA_BASE
	sub	x9, x9, x10
	msr	ttbr0_el1, x9
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	mov	x0, x19
	bl	kernel_main
	b	.

	.ltorg

	.section .bss.boot_tables, "aw", %nobits
	.balign 4096
	.global boot_l0
boot_l0:
	.skip	4096
boot_l1:
	.skip	4096
	.global boot_empty_l0
boot_empty_l0:
	.skip	4096
