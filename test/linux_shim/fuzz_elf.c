/* fuzz_elf: libFuzzer harness of the Linux shim's ELF reader
 * (components/services/linux/elf.c). Any input must be refused or described by an image
 * whose every segment lies inside the input and the user limit, in order and disjoint,
 * with the entry in an executable segment; elf_bias must keep an ET_DYN below the limit.
 * elf_parse_head (the loader's headers-only parse) is given a prefix of the input in a
 * buffer of exactly that length (ASan catches a read past it): when it accepts, the whole
 * input must be accepted with the same image. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"

#define LIMIT ((uint64_t)1 << 39)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_image img;
	const char *why = NULL;
	enum elf_result r = elf_parse(data, size, LIMIT, &img, &why);
	if (!why)
		abort();
	/* a prefix: the last input byte picks its length */
	size_t avail = size ? (size * (size_t)data[size - 1]) / 255 : 0;
	uint8_t *head = malloc(avail ? avail : 1);
	if (!head)
		return 0;
	memcpy(head, data, avail);
	struct elf_image part;
	const char *part_why = NULL;
	enum elf_result rp = elf_parse_head(head, avail, size, LIMIT, &part, &part_why);
	free(head);
	if (!part_why || (rp == ELF_OK && (r != ELF_OK || memcmp(&part, &img, sizeof(img)) != 0)))
		abort();
	if (r != ELF_OK)
		return 0;
	if (img.count == 0 || img.count > ELF_MAX_SEGMENTS)
		abort();
	int entry_ok = 0;
	for (unsigned i = 0; i < img.count; i++) {
		const struct elf_segment *s = &img.seg[i];
		if (s->filesz > s->memsz || s->offset > size || s->filesz > size - s->offset)
			abort();
		if (i > 0 && s->vaddr < img.seg[i - 1].vaddr + img.seg[i - 1].memsz)
			abort();
		if (s->vaddr < img.lo || s->vaddr + s->memsz > img.hi)
			abort();
		if (s->prot & ELF_PROT_EXEC && img.entry >= s->vaddr &&
		    img.entry - s->vaddr < s->memsz)
			entry_ok = 1;
	}
	if (!entry_ok)
		abort();
	if (img.type == ELF_ET_EXEC && (img.lo < ELF_MIN_ADDR || img.hi > LIMIT))
		abort();
	uint64_t bias;
	if (elf_bias(&img, 0x5555550000, LIMIT, &bias) && img.hi + bias > LIMIT)
		abort();
	return 0;
}
