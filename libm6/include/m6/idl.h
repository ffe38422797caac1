/* Run-time support for the stubs m6idl generates (<NAME_idl.h>): moving a word array in
 * and out of a message, and packing byte arrays. The layout is in docs/userspace.md. */
#ifndef M6_IDL_H
#define M6_IDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <m6/syscall.h>

/* Interface errors (an IDL `errors { ... }` block) are numbered from here, clear of the
 * m6 error codes, so a status says unambiguously which of the two it is. */
#define M6_IDL_ERROR_BASE 0x1000u

/* The bit of method `label` in an allow mask (labels are 1..63). */
#define M6_IDL_METHOD(label) (1ull << (label))

/* One row of a server's allow table: badges first_badge..last_badge may call the methods
 * whose bits are set in `methods`. A badge in several rows gets the union. */
struct m6_idl_allow {
	uint64_t first_badge;
	uint64_t last_badge;
	uint64_t methods;
};

/* What a server's on_refused hook did with a refused message. */
enum {
	M6_IDL_REFUSE = 0,    /* nothing: answer M6_ERR_INSUFFICIENT_RIGHTS */
	M6_IDL_ANSWERED = 1,  /* the hook put the answer in the message */
	M6_IDL_NO_ANSWER = 2, /* leave the sender unanswered */
};

/* Put words[0..n) into the message registers of `m` (MR6 and up in the caller's IPC
 * buffer) with `label`. */
static inline void m6_idl_put(struct m6_msg *m, uint64_t label, const uint64_t *words, unsigned n)
{
	struct m6_ipc_buffer *buf = n > M6_MSG_REGISTERS ? m6_ipc_buffer() : NULL;
	for (unsigned i = 0; i < n; i++) {
		if (i < M6_MSG_REGISTERS)
			m->mr[i] = words[i];
		else
			buf->mr[i] = words[i];
	}
	m->info = m6_msginfo(label, n);
}

/* Copy the first n words of received message `m` into `words`; false if it is shorter. */
static inline bool m6_idl_take(const struct m6_msg *m, uint64_t *words, unsigned n)
{
	if (m6_msginfo_length(m->info) < n)
		return false;
	const struct m6_ipc_buffer *buf = n > M6_MSG_REGISTERS ? m6_ipc_buffer() : NULL;
	for (unsigned i = 0; i < n; i++)
		words[i] = i < M6_MSG_REGISTERS ? m->mr[i] : buf->mr[i];
	return true;
}

/* Call `ep` with method `label` and in_words of `words`; on success the out_words of
 * the answer replace them. Returns the call's error, else the server's status, else
 * M6_ERR_INVALID_ARGUMENT for an answer too short to be one of this method. */
static inline uint64_t m6_idl_call(m6_cptr_t ep, uint64_t label, uint64_t *words, unsigned in_words,
                                   unsigned out_words, struct m6_msg *m)
{
	m6_idl_put(m, label, words, in_words);
	uint64_t err = m6_call(ep, m);
	if (err != M6_OK)
		return err;
	uint64_t status = m6_msginfo_label(m->info);
	if (status != M6_OK)
		return status;
	return m6_idl_take(m, words, out_words) ? M6_OK : M6_ERR_INVALID_ARGUMENT;
}

/* Send (no answer expected: a oneway method) label and words[0..n) to `ep`. */
static inline uint64_t m6_idl_send(m6_cptr_t ep, uint64_t label, const uint64_t *words, unsigned n)
{
	struct m6_msg m = {0};
	m6_idl_put(&m, label, words, n);
	return m6_send(ep, &m);
}

/* Make `m` an answer with status `status` and no words; returns the status. */
static inline uint64_t m6_idl_answer(struct m6_msg *m, uint64_t status)
{
	m->info = m6_msginfo(status, 0);
	return status;
}

/* Make `m` a successful answer carrying words[0..n). */
static inline uint64_t m6_idl_reply(struct m6_msg *m, const uint64_t *words, unsigned n)
{
	m6_idl_put(m, M6_OK, words, n);
	return M6_OK;
}

/* Make `m` a successful answer carrying words[0..n) and the cap `cap` (a cptr in the
 * server's CSpace; the kernel moves a copy into the slot the client named). The server
 * needs GRANT on the endpoint cap it received the call through (docs/abi.md). */
static inline uint64_t m6_idl_reply_cap(struct m6_msg *m, const uint64_t *words, unsigned n,
                                        m6_cptr_t cap)
{
	m6_idl_put(m, M6_OK, words, n);
	m6_ipc_buffer()->send_cap = cap;
	m->info |= (uint64_t)1 << M6_MSGINFO_CAPS_SHIFT;
	return M6_OK;
}

/* bytes[N] travel as ceil(N/8) words: copy `len` bytes in, the rest of the words zero. */
static inline void m6_idl_pack_bytes(uint64_t *words, const void *src, size_t len, unsigned nwords)
{
	memset(words, 0, (size_t)nwords * 8);
	memcpy(words, src, len);
}

static inline void m6_idl_unpack_bytes(void *dst, const uint64_t *words, size_t len)
{
	memcpy(dst, words, len);
}

/* Badge check of a serve loop: 0 when `badge` may call method `label`; -1 when the badge
 * is in the table but the label is no method (`known` false); 1 when it is refused (a
 * badge in no row, or a method its rows do not allow). */
static inline int m6_idl_check_badge(const struct m6_idl_allow *table, size_t n, uint64_t badge,
                                     uint64_t label, int known)
{
	uint64_t methods = 0;
	bool listed = false;
	for (size_t i = 0; i < n; i++) {
		if (badge >= table[i].first_badge && badge <= table[i].last_badge) {
			listed = true;
			methods |= table[i].methods;
		}
	}
	if (!listed)
		return 1;
	if (!known)
		return -1;
	return (methods & M6_IDL_METHOD(label)) ? 0 : 1;
}

/* Carry out an on_refused verdict; returns what an m6_request_handler returns. */
static inline int m6_idl_refused(int verdict, struct m6_msg *m)
{
	if (verdict == M6_IDL_ANSWERED)
		return 0;
	if (verdict == M6_IDL_NO_ANSWER)
		return 1;
	m6_idl_answer(m, M6_ERR_INSUFFICIENT_RIGHTS);
	return 0;
}

/* A name for an m6 status (M6_OK or an M6_ERR_*), for messages. */
static inline const char *m6_idl_status_name(uint64_t status)
{
	static const char *const names[] = {
	    "ok",
	    "invalid cap",
	    "insufficient rights",
	    "illegal operation",
	    "invalid argument",
	    "range",
	    "alignment",
	    "failed lookup",
	    "delete first",
	    "revoke first",
	    "not enough memory",
	    "no reply",
	    "would block",
	    "invalid syscall",
	    "in use",
	    "cancelled",
	};
	if (status < sizeof(names) / sizeof(names[0]))
		return names[status];
	return status >= M6_IDL_ERROR_BASE ? "interface error" : "unknown error";
}

#endif
