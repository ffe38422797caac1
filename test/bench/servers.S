/* The far side of measured operations: servers, partners and handlers as tight loops.
 *
 * Written in assembly so that the user-level instructions inside a measured window are
 * few and fixed (a handful per loop iteration, listed with each loop), and so that they
 * run unchanged in the second VSpace, whose copy of this program's image is read-only:
 * they use only registers and their arguments (x0.. as the thread starts). The numbers
 * below are checked against the ABI headers in bench.c. */

#define SYS_SEND          2
#define SYS_RECV          4
#define SYS_REPLY_RECV    7
#define SYS_YIELD         8
#define IPC_RECEIVE_CNODE 528 /* offsetof(struct m6_ipc_buffer, receive_cnode) */
#define IPC_RECEIVE_INDEX 536 /* ... receive_index */
#define IPC_RECEIVE_DEPTH 544 /* ... receive_depth */

	.text
	.balign	16

/* x0 = endpoint, x1 = info word of every reply. Per round trip: 5 instructions. */
	.global	bench_server_loop
bench_server_loop:
	mov	x19, x0
	mov	x20, x1
	mov	x8, #SYS_RECV
	svc	#0
1:	mov	x0, x19
	mov	x1, x20
	mov	x8, #SYS_REPLY_RECV
	svc	#0
	b	1b

/* As bench_server_loop, receiving every transferred cap in a fresh slot: x2 = the
 * thread's IPC buffer, x3 = first slot index, x4 = receive CNode, x5 = its depth.
 * Per round trip: 7 instructions. */
	.global	bench_server_grant_loop
bench_server_grant_loop:
	mov	x19, x0
	mov	x20, x1
	mov	x21, x2
	mov	x22, x3
	str	x4, [x21, #IPC_RECEIVE_CNODE]
	str	x5, [x21, #IPC_RECEIVE_DEPTH]
	str	x22, [x21, #IPC_RECEIVE_INDEX]
	add	x22, x22, #1
	mov	x8, #SYS_RECV
	svc	#0
1:	str	x22, [x21, #IPC_RECEIVE_INDEX]
	add	x22, x22, #1
	mov	x0, x19
	mov	x1, x20
	mov	x8, #SYS_REPLY_RECV
	svc	#0
	b	1b

/* Yield forever. Per iteration: 3 instructions. */
	.global	bench_yield_loop
bench_yield_loop:
	mov	x8, #SYS_YIELD
	svc	#0
	b	bench_yield_loop

/* x0 = fault endpoint. Resume every faulting thread at the instruction after the fault
 * (MR0 = its pc, 4 added). Per fault: 6 instructions. */
	.global	bench_fault_handler_loop
bench_fault_handler_loop:
	mov	x19, x0
	mov	x8, #SYS_RECV
	svc	#0
1:	add	x2, x2, #4
	mov	x0, x19
	mov	x1, #1 /* label M6_FAULT_REPLY_RESUME (0), length 1 */
	mov	x8, #SYS_REPLY_RECV
	svc	#0
	b	1b

/* x0 = notification to wait on, x1 = notification to signal back. Per round trip:
 * 8 instructions. */
	.global	bench_ntfn_partner_loop
bench_ntfn_partner_loop:
	mov	x19, x0
	mov	x20, x1
1:	mov	x0, x19
	mov	x8, #SYS_RECV
	svc	#0
	mov	x0, x20
	mov	x1, #0
	mov	x8, #SYS_SEND
	svc	#0
	b	1b

/* x0 = address: store the instruction counter there, forever. 3 instructions a turn, so
 * an interrupt finds the stored value at most 2 instructions old. */
	.global	bench_spin_loop
bench_spin_loop:
1:	mrs	x9, pmevcntr0_el0
	str	x9, [x0]
	b	1b
