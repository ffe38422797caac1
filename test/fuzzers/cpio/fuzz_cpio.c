/*
 * fuzz_cpio: libFuzzer harness for the initrd's cpio newc reader
 * (components/services/initrd). The input is the archive itself, in a buffer of exactly
 * its size, so ASan catches any read past it. It opens the archive, then iterates and
 * touches every name and every byte of data it is given, and looks up each entry's name
 * and a few fixed paths; an archive cpio_open accepted must iterate without error.
 */
#include "cpio.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpio_archive ar;
	struct cpio_entry e, found;
	size_t cursor = 0;
	int r, entries = 0;
	volatile uint32_t sink = 0;

	/* Iterating without cpio_open must be as safe as after it. */
	ar.base = data;
	ar.size = size;
	while (entries++ < 4096 && cpio_next(&ar, &cursor, &e) == CPIO_OK)
		sink += e.name[e.name_len] + (e.size ? e.data[e.size - 1] : 0);

	if (cpio_open(&ar, data, size) != CPIO_OK)
		return 0;
	cursor = 0;
	entries = 0;
	while ((r = cpio_next(&ar, &cursor, &e)) == CPIO_OK) {
		/* Every byte the reader hands out must be inside the input. */
		if (e.name < (const char *)data ||
		    e.name + e.name_len >= (const char *)data + size || e.data < data ||
		    e.size > size || e.data + e.size > data + size)
			abort();
		for (size_t i = 0; i < e.size; i++)
			sink += e.data[i];
		if (entries++ < 64 && cpio_lookup(&ar, e.name, &found) != CPIO_OK)
			abort();
	}
	if (r != CPIO_END)
		abort();
	cpio_lookup(&ar, "/", &found);
	cpio_lookup(&ar, "/bin/sh", &found);
	cpio_lookup(&ar, "./etc//motd/", &found);
	(void)sink;
	return 0;
}
