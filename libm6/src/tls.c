/* Thread-local storage (AArch64 "variant 1"): TPIDR_EL0 points at a 16-byte header
 * followed by the TLS block, which is a copy of the .tdata template plus zeroed .tbss.
 * local-exec code reaches a variable at tp + align_up(16, tls_align) + its offset. The
 * header's first word is the thread's IPC buffer (the toolchain never reads it: static
 * executables have no DTV). Each thread's block sits at the top of its own stack. */
#include <stdint.h>
#include <string.h>

#include <m6/syscall.h>

extern char __m6_tdata_start[], __m6_tdata_end[], __m6_tbss_end[];
extern char __m6_tls_align[], __m6_tls_size[]; /* absolute symbols: values, not addresses */

struct tls_header {
	struct m6_ipc_buffer *ipc_buffer;
	uint64_t reserved;
};

static struct m6_ipc_buffer *first_ipc_buffer; /* of the main thread */

static uintptr_t align_up(uintptr_t v, uintptr_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uintptr_t tls_align(void)
{
	uintptr_t a = (uintptr_t)__m6_tls_align;
	return a < 16 ? 16 : a;
}

/* Bytes the thread start-up takes off its stack for the header and TLS block. */
uintptr_t m6_tls_reserve(void)
{
	uintptr_t a = tls_align();
	return align_up(align_up(sizeof(struct tls_header), a) + (uintptr_t)__m6_tls_size + a, 16);
}

/* `base`: the reserved area; set up the header and block in it and point TPIDR_EL0 at
 * them. Runs before any TLS access of the thread. */
void m6_tls_init(void *base, struct m6_ipc_buffer *ipc_buffer)
{
	uintptr_t a = tls_align();
	uintptr_t tp = align_up((uintptr_t)base, a);
	struct tls_header *h = (struct tls_header *)tp;
	char *block = (char *)(tp + align_up(sizeof(struct tls_header), a));
	size_t tdata = (size_t)(__m6_tdata_end - __m6_tdata_start);
	memcpy(block, __m6_tdata_start, tdata);
	memset(block + tdata, 0, (size_t)__m6_tls_size - tdata);
	h->ipc_buffer = ipc_buffer;
	h->reserved = 0;
	if (!first_ipc_buffer)
		first_ipc_buffer = ipc_buffer;
	__asm__ volatile("msr tpidr_el0, %0" : : "r"(tp));
}

struct m6_ipc_buffer *m6_ipc_buffer(void)
{
	uintptr_t tp;
	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
	/* Threads created at run time without the runtime's start-up have no TLS: they
	 * share the main thread's buffer, as before TLS existed. */
	return tp ? ((struct tls_header *)tp)->ipc_buffer : first_ipc_buffer;
}
