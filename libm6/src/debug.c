/* Debug console client: packs bytes into message registers, eight per word. */
#include <m6/debug.h>
#include <m6/syscall.h>

uint64_t m6_debug_write(m6_cptr_t cap, const char *s, size_t n)
{
	/* Registers only (MR1..MR5 = 40 bytes per call): works before and without an IPC
	 * buffer, and a debug line is short. */
	const size_t chunk = 8 * (M6_MSG_REGISTERS - 1);
	while (n > 0) {
		size_t len = n < chunk ? n : chunk;
		struct m6_msg m = {.info = m6_msginfo(M6_DEBUG_CONSOLE_WRITE, 1 + (len + 7) / 8)};
		m.mr[0] = len;
		for (size_t i = 0; i < len; i++)
			m.mr[1 + i / 8] |= (uint64_t)(uint8_t)s[i] << (8 * (i % 8));
		uint64_t err = m6_call(cap, &m);
		if (err != M6_OK)
			return err;
		/* The kernel may take fewer bytes (it stops for a pending interrupt): MR0. None
		 * at all: this thread is past its output rate; let others run, then go on. */
		size_t done = m6_msginfo_length(m.info) >= 1 ? (size_t)m.mr[0] : len;
		if (done == 0) {
			m6_yield();
			continue;
		}
		if (done > len)
			done = len;
		s += done;
		n -= done;
	}
	return M6_OK;
}

uint64_t m6_debug_puts(m6_cptr_t cap, const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return m6_debug_write(cap, s, n);
}

char *m6_format_u64(char *buf, uint64_t v, int hex)
{
	char tmp[24];
	int n = 0;
	unsigned base = hex ? 16 : 10;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	for (int i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return buf;
}
