/* The Linux shim's ELF reader: which bytes of a static AArch64 Linux executable go where.
 *
 * Plain C11 with no m6 dependency, so the shim, the host unit test (unit.linux_elf) and
 * the libFuzzer harness (fuzz_elf) compile the same code. The file is untrusted: every
 * header field is checked before anything is derived from it, and a refusal says why. */
#ifndef LINUX_ELF_H
#define LINUX_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 16u
#define ELF_MAX_PHNUM    64u
#define ELF_PAGE_SIZE    4096u
/* Lowest address a segment may use (Linux's default mmap_min_addr): page 0 stays unmapped
 * so that NULL faults. */
#define ELF_MIN_ADDR 0x10000u

/* Segment protection, as mmap's PROT_* bits. */
#define ELF_PROT_READ  1u
#define ELF_PROT_WRITE 2u
#define ELF_PROT_EXEC  4u

#define ELF_ET_EXEC    2u
#define ELF_ET_DYN     3u

struct elf_segment {
	uint64_t vaddr;  /* unrelocated (ET_DYN: add the bias) */
	uint64_t memsz;  /* > 0 */
	uint64_t offset; /* in the file */
	uint64_t filesz; /* <= memsz; offset + filesz <= file size */
	uint32_t prot;   /* ELF_PROT_* */
};

struct elf_image {
	uint32_t type;       /* ELF_ET_EXEC or ELF_ET_DYN (static-PIE) */
	uint64_t entry;      /* unrelocated, inside an executable segment */
	uint64_t phdr_vaddr; /* unrelocated address of the program headers in memory */
	uint32_t phnum;
	uint32_t phentsize;
	uint64_t lo, hi;    /* page-aligned span of all segments, unrelocated */
	uint64_t max_align; /* the largest PT_LOAD p_align (at least a page) */
	unsigned count;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
	/* PT_INTERP's path when the result is ELF_NEEDS_INTERP (NUL-terminated, cut short) */
	char interp[64];
};

enum elf_result {
	ELF_OK = 0,
	ELF_BAD = 1,         /* not a valid executable for us: ENOEXEC, the reason says why */
	ELF_NEEDS_INTERP = 2 /* dynamically linked: ENOEXEC, "needs an interpreter ..." */
};

/* Check `size` bytes at `data` and describe the image in *out. `user_limit` is the first
 * address a process may not use: an ET_EXEC must lie below it, an ET_DYN must fit below
 * it. On failure *why (if not NULL) is a static text naming the first check that failed. */
enum elf_result elf_parse(const uint8_t *data, size_t size, uint64_t user_limit,
                          struct elf_image *out, const char **why);

/* As elf_parse, for a file of `size` bytes of which the first `avail` are at `data` (the
 * loader reads the headers, not the whole file): the program headers must lie in those
 * bytes, the PT_LOAD ranges in the file. */
enum elf_result elf_parse_head(const uint8_t *data, size_t avail, uint64_t size,
                               uint64_t user_limit, struct elf_image *out, const char **why);

/* The bias at which an ET_DYN image whose span is [lo, hi) goes at or above `base` (0 for
 * ET_EXEC): base rounded up to the image's alignment, minus lo, in *bias. False when it
 * would not fit below user_limit (the caller refuses). */
int elf_bias(const struct elf_image *img, uint64_t base, uint64_t user_limit, uint64_t *bias);

#endif
