/* Message info word, IPC buffer layout and capability rights. */
#ifndef M6_ABI_MESSAGE_H
#define M6_ABI_MESSAGE_H

#include <stdint.h>

/* Message info word (x1):
 *   bits  0..6   length: number of message registers used (0..M6_MSG_MAX_WORDS)
 *   bits  7..8   caps transferred: 0, or 1 (the cap named by ipc_buffer->send_cap)
 *   bits 12..63  label: free for IPC, selects the operation for kernel invocations */
#define M6_MSG_MAX_WORDS       64u
#define M6_MSGINFO_LENGTH_BITS 7u
#define M6_MSGINFO_CAPS_SHIFT  7u
#define M6_MSGINFO_CAPS_BITS   2u
#define M6_MSGINFO_LABEL_SHIFT 12u

static inline uint64_t m6_msginfo(uint64_t label, uint64_t length)
{
	return (label << M6_MSGINFO_LABEL_SHIFT) | (length & ((1u << M6_MSGINFO_LENGTH_BITS) - 1));
}

static inline uint64_t m6_msginfo_label(uint64_t info)
{
	return info >> M6_MSGINFO_LABEL_SHIFT;
}

static inline uint64_t m6_msginfo_length(uint64_t info)
{
	return info & ((1u << M6_MSGINFO_LENGTH_BITS) - 1);
}

static inline uint64_t m6_msginfo_caps(uint64_t info)
{
	return (info >> M6_MSGINFO_CAPS_SHIFT) & ((1u << M6_MSGINFO_CAPS_BITS) - 1);
}

/* Per-thread IPC buffer, one 4 KiB page mapped into the thread's address space.
 * mr[0..5] are unused here (those travel in x2..x7); mr[6..] carry the rest. */
struct m6_ipc_buffer {
	uint64_t mr[M6_MSG_MAX_WORDS];
	uint64_t user_data;     /* free for the runtime (e.g. thread pointer) */
	uint64_t send_cap;      /* cptr of the cap to transfer when caps = 1 */
	uint64_t receive_cnode; /* where a received cap goes: CNode cptr (0: refuse caps), */
	uint64_t receive_index; /* slot index in it */
	uint64_t receive_depth; /* and depth (64 for a one-level CSpace) */
	uint64_t reserved[59];
};

_Static_assert(sizeof(struct m6_ipc_buffer) <= 4096, "IPC buffer must fit one page");

/* Capability rights (cap rights mask). */
enum m6_right {
	M6_RIGHT_READ = 1u << 0,
	M6_RIGHT_WRITE = 1u << 1,
	M6_RIGHT_GRANT = 1u << 2,
	M6_RIGHT_GRANT_REPLY = 1u << 3,
	M6_RIGHT_EXECUTE = 1u << 4, /* frames only */
};

#define M6_RIGHTS_ALL 0x1fu

#endif
