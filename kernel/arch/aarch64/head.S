/* Kernel entry. QEMU (or a boot loader) jumps here with the MMU off, x0 = DTB physical
 * address, at EL2 or EL1, with the image loaded text_offset (0x80000) above some 2 MiB
 * boundary anywhere in RAM. We drop to EL1 and build a *boot map* just good enough to run
 * C in the upper half:
 *   - TTBR0: the 2 MiB around this code at its physical address (identity), so that the
 *     instruction after "MMU on" still fetches;
 *   - TTBR1: the kernel image at its link address (KIMAGE_VA_BASE + 0x80000) as 2 MiB
 *     blocks, and a fixmap 1 GiB higher: the DTB (two 2 MiB blocks, read-only) and the
 *     build's early UART (device memory, used only to report a panic that comes before
 *     the DTB has named the real one).
 * kernel_main() reads the DTB through the fixmap and replaces all of this by the real
 * kernel map (arch/aarch64/kmap.c): every RAM bank, the devices the kernel drives, and the
 * image with per-section permissions. Everything here is position independent: it runs
 * before the MMU is on. */
#include <arch/context.h>
#include <kernel/cpu_offsets.h>
#include <kernel/platform.h>

#define KIMAGE_VA_BASE 0xffffff8000000000
#define TEXT_OFFSET    0x80000

#define MAIR_VALUE 0x44ff0400  /* idx0 nGnRnE, idx1 nGnRE, idx2 normal WB, idx3 normal NC */
#define ATTR_DEVICE (1 << 2)
#define ATTR_NORMAL (2 << 2)
#define AP_RO (1 << 7)
#define SH_INNER (3 << 8)
#define AF (1 << 10)
#define PXN (1 << 53)
#define UXN (1 << 54)
#define BLOCK 0x1
#define TABLE 0x3
#define BLOCK_2M_MASK 0xffffffffffe00000

/* At EL2 (x9 = CurrentEL >> 2): give EL1 the timer and the GIC system registers, then
 * leave for `target` at EL1. At EL1 already: fall through. */
.macro	drop_to_el1 target
	cmp	x9, #2
	b.ne	\target
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
	adr	x9, \target
	msr	elr_el2, x9
	eret
.endm

/* SCTLR_EL1 while the MMU goes on: RES1 | M | C | SA | SA0 | I | DZE | UCT | nTWE | UCI.
 * UCI lets EL0 clean caches by VA (permission-checked like a load), which code loaders and
 * JITs need. kmap.c adds WXN (and clears SPAN) once the kernel runs on its own map. */
#define SCTLR_MMU_ON (0x30d00800 | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 12) | (1 << 14) | (1 << 15) | (1 << 18) | (1 << 26))

	.section .text.head, "ax"
	.global _start
_start:
	/* arm64 Image header: lets QEMU's -kernel hand us the DTB in x0. */
	b	primary_entry
	.word	0
	.quad	TEXT_OFFSET              /* text_offset */
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

	drop_to_el1 in_el1

in_el1:
	msr	daifset, #0xf
	/* Where we run (x20) and how far that is from where we are linked (x21). The link
	 * address is text_offset above a 2 MiB boundary; a loader that ignored text_offset
	 * would break the 2 MiB blocks below, and there is no console yet to say so. */
	adr	x20, _start
	ldr	x21, =_start
	sub	x21, x21, x20
	and	x9, x20, #0x1fffff
	cmp	x9, #TEXT_OFFSET
	b.ne	.

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
	/* Identity map: L0 -> L1 -> L2 -> the 2 MiB block holding this code. */
	adrp	x9, boot_id_l0
	adrp	x10, boot_id_l1
	adrp	x11, boot_id_l2
	lsr	x12, x20, #39
	and	x12, x12, #0x1ff
	orr	x13, x10, #TABLE
	str	x13, [x9, x12, lsl #3]
	lsr	x12, x20, #30
	and	x12, x12, #0x1ff
	orr	x13, x11, #TABLE
	str	x13, [x10, x12, lsl #3]
	lsr	x12, x20, #21
	and	x12, x12, #0x1ff
	and	x13, x20, #BLOCK_2M_MASK
	ldr	x14, =(BLOCK | ATTR_NORMAL | SH_INNER | AF | UXN)
	orr	x13, x13, x14
	str	x13, [x11, x12, lsl #3]

	/* Kernel map: L0[511] -> L1; L1[0] -> the image's L2, L1[1] -> the fixmap's L2. */
	adrp	x9, boot_k_l0
	adrp	x10, boot_k_l1
	adrp	x11, boot_k_l2
	adrp	x12, boot_fix_l2
	orr	x13, x10, #TABLE
	str	x13, [x9, #511 * 8]
	orr	x13, x11, #TABLE
	str	x13, [x10]
	orr	x13, x12, #TABLE
	str	x13, [x10, #8]
	/* The image, block by block from the 2 MiB boundary below it: writable and
	 * executable for now, until kmap.c gives each section its own permissions. */
	ldr	x13, =_kernel_end
	ldr	x14, =KIMAGE_VA_BASE
	sub	x13, x13, x14
	ldr	x14, =0x1fffff
	add	x13, x13, x14
	lsr	x13, x13, #21            /* number of blocks */
	and	x14, x20, #BLOCK_2M_MASK
	ldr	x15, =(BLOCK | ATTR_NORMAL | SH_INNER | AF | UXN)
	orr	x14, x14, x15
	mov	x15, #0
3:	str	x14, [x11, x15, lsl #3]
	add	x14, x14, #0x200000
	add	x15, x15, #1
	cmp	x15, x13
	b.lo	3b
	/* Fixmap: the DTB's 2 MiB block and the next (a DTB is at most 2 MiB), read-only and
	 * never executable; kernel_main() refuses x0 = 0 before reading anything. */
	and	x13, x19, #BLOCK_2M_MASK
	ldr	x14, =(BLOCK | ATTR_NORMAL | SH_INNER | AF | AP_RO | PXN | UXN)
	orr	x13, x13, x14
	str	x13, [x12]
	add	x13, x13, #0x200000
	str	x13, [x12, #8]
	ldr	x13, =(PLATFORM_EARLY_UART & BLOCK_2M_MASK)
	ldr	x14, =(BLOCK | ATTR_DEVICE | AF | PXN | UXN)
	orr	x13, x13, x14
	str	x13, [x12, #16]
	dsb	ish

	ldr	x9, =MAIR_VALUE
	msr	mair_el1, x9
	/* TCR: 48-bit VA both halves, 4 KiB granule, WB cacheable inner-shareable walks, 16-bit ASIDs,
	 * IPS from the CPU's physical address range (at most 48 bits: no 52-bit descriptors). */
	ldr	x9, =((16 << 0) | (1 << 8) | (1 << 10) | (3 << 12) | (0 << 14) | (16 << 16) | (1 << 24) | (1 << 26) | (3 << 28) | (2 << 30) | (1 << 36))
	mrs	x10, id_aa64mmfr0_el1
	and	x10, x10, #0x7
	cmp	x10, #5
	mov	x11, #5
	csel	x10, x10, x11, ls
	bfi	x9, x10, #32, #3
	msr	tcr_el1, x9
	adrp	x9, boot_id_l0
	msr	ttbr0_el1, x9
	adrp	x9, boot_k_l0
	msr	ttbr1_el1, x9
	mov	x9, #(3 << 20)           /* CPACR_EL1.FPEN: no FP traps until threads run */
	msr	cpacr_el1, x9
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	ldr	x9, =SCTLR_MMU_ON
	msr	sctlr_el1, x9
	isb

	ldr	x9, =upper_half
	br	x9

upper_half:
	/* CPU 0's stack is the first (cpu_offsets.h); TPIDR_EL1 names its struct cpu. */
	ldr	x9, =kernel_stacks + KERNEL_STACK_STRIDE
	mov	sp, x9
	ldr	x9, =cpus
	msr	tpidr_el1, x9
	ldr	x9, =exception_vectors
	msr	vbar_el1, x9
	ldr	x9, =kimage_voffset
	str	x21, [x9]
	/* The identity map stays until kmap_init() has switched to the real kernel map
	 * (which it does from the identity-mapped page below), then goes. */
	mov	x0, x19
	bl	kernel_main
	b	.

/* A secondary CPU, started by PSCI CPU_ON (core/smp.c) with the MMU off and x0 = the
 * physical address of its start record (struct secondary_start, arch/aarch64/smp.c),
 * which the boot CPU cleaned to memory: every value is read before the MMU goes on. It
 * runs here from the boot identity map (this code lies in the 2 MiB block head.S mapped
 * at its physical address, whose tables stay in .bss), with the kernel's own map in TTBR1,
 * then continues in the upper half on its own stack. */
	.global secondary_entry
secondary_entry:
	mov	x19, x0
	mrs	x9, CurrentEL
	lsr	x9, x9, #2
	drop_to_el1 secondary_el1
secondary_el1:
	msr	daifset, #0xf
	ldp	x1, x2, [x19, #0]        /* TTBR0 (identity), TTBR1 (the kernel map) */
	ldp	x3, x4, [x19, #16]       /* TCR, MAIR: the boot CPU's */
	ldp	x5, x6, [x19, #32]       /* struct cpu, stack top (kernel addresses) */
	ldp	x7, x8, [x19, #48]       /* final SCTLR, TTBR0 once in the upper half */
	msr	mair_el1, x4
	msr	tcr_el1, x3
	msr	ttbr0_el1, x1
	msr	ttbr1_el1, x2
	mov	x9, #(3 << 20)           /* CPACR_EL1.FPEN */
	msr	cpacr_el1, x9
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	ldr	x9, =SCTLR_MMU_ON
	msr	sctlr_el1, x9
	isb
	ldr	x9, =secondary_upper
	br	x9
secondary_upper:
	mov	sp, x6
	msr	tpidr_el1, x5
	ldr	x9, =exception_vectors
	msr	vbar_el1, x9
	/* Off the identity map, then WXN (a writable identity block could not have run with
	 * it): the same SCTLR as the boot CPU's. */
	msr	ttbr0_el1, x8
	isb
	msr	sctlr_el1, x7
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	bl	secondary_main
	b	.

/* void arch_replace_ttbr1(paddr_t root, uint64_t voffset): switch the kernel's half of
 * the address space to new tables. Run from the identity map, touching no memory, so that
 * no TTBR1 translation is in use while the old one is replaced and flushed. */
	.global arch_replace_ttbr1
arch_replace_ttbr1:
	adr	x9, 1f
	sub	x9, x9, x1
	br	x9
1:	msr	ttbr1_el1, x0
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	ret

	.ltorg

	.section .bss.page_tables, "aw", %nobits
	.balign 4096
	.global boot_id_l0
boot_id_l0:
	.skip	4096
boot_id_l1:
	.skip	4096
boot_id_l2:
	.skip	4096
boot_k_l0:
	.skip	4096
boot_k_l1:
	.skip	4096
boot_k_l2:
	.skip	4096
	.global boot_fix_l2
boot_fix_l2:
	.skip	4096
	.global boot_empty_l0
boot_empty_l0:
	.skip	4096
