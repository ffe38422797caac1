/* Thread entry points. The kernel starts every thread with sp = its stack top, x0 = its
 * IPC buffer and x1 = the spec's argument (and a supervisor restarts it so, with x2 =
 * what it says, <m6/supervision.h>). Each thread first carves its TLS block from
 * the top of its own stack (no allocator involved), then enters C. */
	.section .text.start, "ax"
	.global	_start
	.type	_start, %function
_start:
	mov	x29, #0
	mov	x30, #0
	/* x2: what a supervisor tells a restarted component (<m6/supervision.h>), 0 at boot.
	 * Kept before any C runs: the memory it lands in was reset with the rest. */
	adrp	x9, m6_restart_word_saved
	str	x2, [x9, :lo12:m6_restart_word_saved]
	mov	x19, x0			/* IPC buffer */
	mov	x20, x1			/* argument */
	bl	m6_tls_reserve		/* x0 = bytes to reserve, a multiple of 16 */
	sub	sp, sp, x0
	mov	x0, sp			/* the thread pointer: TLS header + block */
	mov	x1, x19
	bl	m6_tls_init
	mov	x0, x19
	mov	x1, x20
	bl	m6_runtime_start	/* never returns */
1:	b	1b

/* Extra threads: M6_THREAD_ENTRY(symbol, function) makes `symbol` load x2 = function
 * and branch here. */
	.text
	.global	m6_thread_start
	.type	m6_thread_start, %function
m6_thread_start:
	mov	x29, #0
	mov	x30, #0
	mov	x19, x0
	mov	x20, x1
	mov	x21, x2
	bl	m6_tls_reserve
	sub	sp, sp, x0
	mov	x0, sp
	mov	x1, x19
	bl	m6_tls_init
	mov	x0, x20
	mov	x1, x21
	bl	m6_thread_run		/* never returns */
1:	b	1b
