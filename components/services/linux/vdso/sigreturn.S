/* __kernel_rt_sigreturn: where a signal handler returns to (its x30 points here), as on
 * arm64 Linux: rt_sigreturn (139) with no arguments, the shim restoring the interrupted
 * context from the signal frame at sp.
 *
 * The call-frame notes let an unwinder (libgcc's, for a backtrace or a C++ exception out
 * of a handler) step from the handler into the interrupted code: the frame is a signal
 * frame, and the canonical frame address is x29, which the signal frame's code must make
 * point at a frame record {x29, x30} of the interrupted code (as arm64 Linux's does).
 * The nop before the label keeps the notes covering pc - 1 of a return here. Without an
 * FDE, libgcc recognises the two instructions themselves (mov x8, #139; svc #0). */
	.text
	.cfi_startproc
	.cfi_signal_frame
	.cfi_def_cfa x29, 0
	.cfi_offset x29, 0
	.cfi_offset x30, 8
	nop
	.globl __kernel_rt_sigreturn
	.type __kernel_rt_sigreturn, %function
__kernel_rt_sigreturn:
	mov x8, #139
	svc #0
	.cfi_endproc
	.size __kernel_rt_sigreturn, . - __kernel_rt_sigreturn

	.section .note.GNU-stack, "", %progbits
