/* Run-time support for the stubs m6idl generates (<NAME_idl.h>): moving a word array in
 * and out of a message, and packing byte arrays. The layout is in docs/userspace.md. */
#ifndef M6_IDL_H
#define M6_IDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <m6/syscall.h>

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

#endif
