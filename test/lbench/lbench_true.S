/* test/lbench: the smallest static program for linux_fork_exec_wait: exit(0) and nothing
 * else (no libc start-up), so the figure is the cost of fork, exec and wait themselves. */
	.text
	.global _start
_start:
	mov	x0, #0
	mov	x8, #93		/* exit */
	svc	#0
