/* test/fatguest/host: <m6/syscall.h> for the host loopback test (test_fs_proto.c). The
 * same types and wrappers as libm6's, but m6_syscall is a function of the test (it hands a
 * call straight to the server's dispatch) instead of an `svc`. Only what the generated
 * fs protocol header and remote_fs.c use. */
#ifndef M6_SYSCALL_H
#define M6_SYSCALL_H

#include <stdint.h>

#include <m6/abi/errors.h>
#include <m6/abi/message.h>
#include <m6/abi/objects.h>
#include <m6/abi/syscalls.h>

typedef uint64_t m6_cptr_t;

#define M6_CAP_NULL 0

struct m6_msg {
	uint64_t word0;
	uint64_t info;
	uint64_t mr[M6_MSG_REGISTERS];
	uint64_t badge;
};

void m6_syscall(uint64_t number, struct m6_msg *m);

static inline uint64_t m6_call(m6_cptr_t cap, struct m6_msg *m)
{
	m->word0 = cap;
	m6_syscall(M6_SYS_CALL, m);
	return m->word0;
}

static inline uint64_t m6_send(m6_cptr_t cap, struct m6_msg *m)
{
	m->word0 = cap;
	m6_syscall(M6_SYS_SEND, m);
	return m->word0;
}

struct m6_ipc_buffer *m6_ipc_buffer(void);

#endif
