/* A byte ring buffer of fixed capacity (a power of two), for driver and service queues.
 * Single producer and single consumer in one thread; no locking and no memory ordering,
 * so never for memory another component or thread sees: rings between components are
 * generated from an IDL `queue` declaration (docs/userspace.md). Pure C: unit tested on
 * the host (test/unit/test_libm6.c). */
#ifndef M6_RING_H
#define M6_RING_H

#include <stddef.h>
#include <stdint.h>

#define M6_RING_CAPACITY 4096u

struct m6_ring {
	uint8_t data[M6_RING_CAPACITY];
	uint32_t head; /* next byte to take; free-running, wraps at 2^32 */
	uint32_t tail; /* next byte to put */
};

static inline size_t m6_ring_used(const struct m6_ring *r)
{
	return (uint32_t)(r->tail - r->head);
}

static inline size_t m6_ring_free(const struct m6_ring *r)
{
	return M6_RING_CAPACITY - m6_ring_used(r);
}

/* Append up to n bytes; returns how many fitted. */
static inline size_t m6_ring_put(struct m6_ring *r, const void *src, size_t n)
{
	const uint8_t *s = src;
	size_t room = m6_ring_free(r);
	if (n > room)
		n = room;
	for (size_t i = 0; i < n; i++)
		r->data[(r->tail + i) & (M6_RING_CAPACITY - 1)] = s[i];
	r->tail += (uint32_t)n;
	return n;
}

/* Take up to n bytes; returns how many were taken. */
static inline size_t m6_ring_get(struct m6_ring *r, void *dst, size_t n)
{
	uint8_t *d = dst;
	size_t used = m6_ring_used(r);
	if (n > used)
		n = used;
	for (size_t i = 0; i < n; i++)
		d[i] = r->data[(r->head + i) & (M6_RING_CAPACITY - 1)];
	r->head += (uint32_t)n;
	return n;
}

#endif
