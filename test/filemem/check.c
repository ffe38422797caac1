/* test/filemem: the spec maps file "text" (data.txt) twice and file "archive" (a cpio
 * archive holding data.txt) once, all read-only. Each mapping must hold the file's bytes
 * (M6_MEM_X_BYTES of them) and zeros up to M6_MEM_X_SIZE; the archive's copy of data.txt
 * must equal the mapped file. Prints PASS or FAIL, then powers off. */
#include <string.h>

#include <m6/debug.h>
#include <m6/runtime.h>

#include "cpio.h"
#include <m6_caps.h>

static const char first_line[] = "m6 filemem: a file of the build, mapped read-only in place\n";

static unsigned failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		failures++;
		m6_debug_puts(CAP_DEBUG_CONSOLE, "filemem: FAILED: ");
		m6_debug_puts(CAP_DEBUG_CONSOLE, what);
		m6_debug_puts(CAP_DEBUG_CONSOLE, "\n");
	}
}

/* The bytes from `bytes` to `size` are the last page's padding: zero. */
static int zero_after(const unsigned char *base, size_t bytes, size_t size)
{
	for (size_t i = bytes; i < size; i++)
		if (base[i] != 0)
			return 0;
	return 1;
}

int main(void)
{
	const unsigned char *text = (const unsigned char *)M6_MEM_TEXT_VADDR;
	const unsigned char *again = (const unsigned char *)M6_MEM_AGAIN_VADDR;
	const unsigned char *cpio = (const unsigned char *)M6_MEM_CPIO_VADDR;
	char num[24];

	/* The sizes are the file's, rounded up to whole pages. */
	check(M6_MEM_TEXT_SIZE == ((M6_MEM_TEXT_BYTES + 4095) & ~(size_t)4095), "text size");
	check(M6_MEM_CPIO_SIZE == ((M6_MEM_CPIO_BYTES + 4095) & ~(size_t)4095), "archive size");
	check(M6_MEM_TEXT_BYTES > 4096, "data.txt spans more than a page");
	check(memcmp(text, first_line, sizeof(first_line) - 1) == 0, "first line of text");
	check(zero_after(text, M6_MEM_TEXT_BYTES, M6_MEM_TEXT_SIZE), "zeros after text");
	check(zero_after(cpio, M6_MEM_CPIO_BYTES, M6_MEM_CPIO_SIZE), "zeros after the archive");
	check(again != text && memcmp(again, text, M6_MEM_TEXT_SIZE) == 0, "text mapped twice");

	struct cpio_archive ar;
	struct cpio_entry e;
	int rc = cpio_open(&ar, cpio, M6_MEM_CPIO_BYTES);
	check(rc == CPIO_OK, "cpio_open");
	if (rc == CPIO_OK) {
		rc = cpio_lookup(&ar, "data.txt", &e);
		check(rc == CPIO_OK, "data.txt in the archive");
		if (rc == CPIO_OK) {
			check(e.size == M6_MEM_TEXT_BYTES,
			      "archive's data.txt has the file's length");
			check(e.size == M6_MEM_TEXT_BYTES && memcmp(e.data, text, e.size) == 0,
			      "archive's data.txt equals the mapped file");
		}
	}
	m6_debug_puts(CAP_DEBUG_CONSOLE, "filemem: text ");
	m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, M6_MEM_TEXT_BYTES, 0));
	m6_debug_puts(CAP_DEBUG_CONSOLE, " bytes, archive ");
	m6_debug_puts(CAP_DEBUG_CONSOLE, m6_format_u64(num, M6_MEM_CPIO_BYTES, 0));
	m6_debug_puts(CAP_DEBUG_CONSOLE, " bytes\n");
	m6_debug_puts(CAP_DEBUG_CONSOLE, failures == 0 ? "filemem: PASS\n" : "filemem: FAIL\n");
	m6_power_off(CAP_POWER);
	return 0;
}
