/* Component entry. The kernel starts the main thread with sp set, x0 = the IPC buffer's
 * address and x1 = the spec's argument. */
	.section .text.start, "ax"
	.global	_start
_start:
	mov	x29, #0
	mov	x30, #0
	bl	m6_runtime_start
1:	b	1b
