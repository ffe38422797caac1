/* The Linux shim's ELF reader (elf.h). Fields are read byte by byte in little-endian order
 * (the file may be at any alignment in memory), and each is checked before use: the
 * header's identity, the program header table's bounds, then every PT_LOAD's sizes,
 * offsets, alignment and place, in an order where no later check relies on an unchecked
 * value. */
#include "elf.h"

#include <string.h>

#define EHDR_SIZE  64u
#define PHDR_SIZE  56u
#define EM_AARCH64 183u

#define PT_LOAD    1u
#define PT_INTERP  3u
#define PT_PHDR    6u

#define PF_X       1u
#define PF_W       2u
#define PF_R       4u

static uint64_t get(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = bytes; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static enum elf_result bad(const char **why, const char *text)
{
	if (why)
		*why = text;
	return ELF_BAD;
}

/* a + b, false on overflow */
static int add_ok(uint64_t a, uint64_t b, uint64_t *sum)
{
	*sum = a + b;
	return *sum >= a;
}

static uint64_t page_down(uint64_t v)
{
	return v & ~(uint64_t)(ELF_PAGE_SIZE - 1);
}

static enum elf_result check_header(const uint8_t *d, size_t avail, uint64_t size, const char **why)
{
	static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
	if (avail < EHDR_SIZE)
		return bad(why, "shorter than an ELF header");
	if (memcmp(d, magic, sizeof(magic)) != 0)
		return bad(why, "no ELF magic");
	if (d[4] != 2)
		return bad(why, "not ELF64");
	if (d[5] != 1)
		return bad(why, "not little-endian");
	if (d[6] != 1 || get(d + 20, 4) != 1)
		return bad(why, "unknown ELF version");
	uint64_t type = get(d + 16, 2);
	if (type != ELF_ET_EXEC && type != ELF_ET_DYN)
		return bad(why, "not an executable (ET_EXEC or ET_DYN)");
	if (get(d + 18, 2) != EM_AARCH64)
		return bad(why, "not for AArch64");
	if (get(d + 52, 2) != EHDR_SIZE)
		return bad(why, "bad e_ehsize");
	if (get(d + 54, 2) != PHDR_SIZE)
		return bad(why, "bad e_phentsize");
	uint64_t phnum = get(d + 56, 2);
	if (phnum == 0 || phnum > ELF_MAX_PHNUM)
		return bad(why, "no or too many program headers");
	uint64_t phoff = get(d + 32, 8);
	uint64_t end;
	if (phoff % 8 != 0)
		return bad(why, "program headers misaligned");
	if (!add_ok(phoff, phnum * PHDR_SIZE, &end) || end > size)
		return bad(why, "program headers outside the file");
	if (end > avail)
		return bad(why, "program headers beyond the bytes read");
	return ELF_OK;
}

static enum elf_result read_interp(const uint8_t *d, size_t avail, uint64_t size, const uint8_t *ph,
                                   struct elf_image *out, const char **why)
{
	uint64_t off = get(ph + 8, 8), len = get(ph + 32, 8), end;
	if (!add_ok(off, len, &end) || end > size)
		return bad(why, "PT_INTERP outside the file");
	/* only for the log line: what of the path lies in the bytes read (often all) */
	if (off >= avail)
		len = 0;
	else if (len > avail - off)
		len = avail - off;
	size_t n = len < sizeof(out->interp) - 1 ? (size_t)len : sizeof(out->interp) - 1;
	memcpy(out->interp, d + off, n);
	out->interp[n] = '\0';
	for (size_t i = 0; i < n; i++) /* printable text only in a log line */
		if (out->interp[i] != '\0' && (out->interp[i] < 0x20 || out->interp[i] > 0x7e))
			out->interp[i] = '?';
	if (why)
		*why = "needs an interpreter";
	return ELF_NEEDS_INTERP;
}

static enum elf_result add_load(const uint8_t *ph, uint64_t size, struct elf_image *out,
                                const char **why)
{
	uint64_t flags = get(ph + 4, 4), offset = get(ph + 8, 8), vaddr = get(ph + 16, 8);
	uint64_t filesz = get(ph + 32, 8), memsz = get(ph + 40, 8), align = get(ph + 48, 8);
	uint64_t end;
	if (filesz > memsz)
		return bad(why, "PT_LOAD with p_filesz > p_memsz");
	if (!add_ok(offset, filesz, &end) || end > size)
		return bad(why, "PT_LOAD outside the file");
	if (align > 1 && (align & (align - 1)) != 0)
		return bad(why, "PT_LOAD alignment not a power of two");
	if (vaddr % ELF_PAGE_SIZE != offset % ELF_PAGE_SIZE)
		return bad(why, "PT_LOAD address and offset disagree modulo the page size");
	if (align > ELF_PAGE_SIZE && vaddr % align != offset % align)
		return bad(why, "PT_LOAD address and offset disagree modulo p_align");
	if (align > (uint64_t)1 << 30)
		return bad(why, "PT_LOAD alignment above 1 GiB");
	if (memsz == 0)
		return ELF_OK; /* maps nothing; Linux skips it too */
	uint64_t vend;
	if (!add_ok(vaddr, memsz, &vend) || vend > UINT64_MAX - ELF_PAGE_SIZE)
		return bad(why, "PT_LOAD wraps around");
	if (out->count == ELF_MAX_SEGMENTS)
		return bad(why, "too many PT_LOAD segments");
	if (out->count > 0) {
		const struct elf_segment *prev = &out->seg[out->count - 1];
		/* In ascending order (the ELF specification's rule) and disjoint: a byte two
		 * segments claim would be loaded twice with different contents. Pages may be
		 * shared, as Linux allows. */
		if (vaddr < prev->vaddr + prev->memsz)
			return bad(why, "PT_LOAD segments overlap or are out of order");
	}
	struct elf_segment *s = &out->seg[out->count++];
	s->vaddr = vaddr;
	s->memsz = memsz;
	s->offset = offset;
	s->filesz = filesz;
	s->prot = (flags & PF_R ? ELF_PROT_READ : 0) | (flags & PF_W ? ELF_PROT_WRITE : 0) |
	          (flags & PF_X ? ELF_PROT_EXEC : 0);
	if (align > out->max_align)
		out->max_align = align;
	return ELF_OK;
}

/* Where the program headers are in memory: inside the PT_LOAD that holds their file
 * bytes (what Linux's AT_PHDR is for such files), else PT_PHDR's address if a loaded
 * segment covers it. glibc finds PT_TLS through AT_PHDR, so an image without either is
 * refused rather than started to crash. */
static enum elf_result find_phdr(const struct elf_image *img, uint64_t phoff, uint64_t pt_phdr,
                                 int have_pt_phdr, uint64_t *at, const char **why)
{
	uint64_t bytes = (uint64_t)img->phnum * PHDR_SIZE;
	for (unsigned i = 0; i < img->count; i++) {
		const struct elf_segment *s = &img->seg[i];
		if (phoff >= s->offset && phoff - s->offset <= s->filesz &&
		    bytes <= s->filesz - (phoff - s->offset)) {
			*at = s->vaddr + (phoff - s->offset);
			return ELF_OK;
		}
	}
	if (have_pt_phdr) {
		for (unsigned i = 0; i < img->count; i++) {
			const struct elf_segment *s = &img->seg[i];
			if (pt_phdr >= s->vaddr && pt_phdr - s->vaddr <= s->memsz &&
			    bytes <= s->memsz - (pt_phdr - s->vaddr)) {
				*at = pt_phdr;
				return ELF_OK;
			}
		}
	}
	return bad(why, "program headers not in a loaded segment");
}

enum elf_result elf_parse(const uint8_t *data, size_t size, uint64_t user_limit,
                          struct elf_image *out, const char **why)
{
	return elf_parse_head(data, size, size, user_limit, out, why);
}

enum elf_result elf_parse_head(const uint8_t *data, size_t avail, uint64_t size,
                               uint64_t user_limit, struct elf_image *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	if (why)
		*why = "ok";
	if (!data)
		return bad(why, "no data");
	if (avail > size)
		avail = (size_t)size;
	enum elf_result r = check_header(data, avail, size, why);
	if (r != ELF_OK)
		return r;
	out->type = (uint32_t)get(data + 16, 2);
	out->entry = get(data + 24, 8);
	out->phnum = (uint32_t)get(data + 56, 2);
	out->phentsize = PHDR_SIZE;
	out->max_align = ELF_PAGE_SIZE;
	uint64_t phoff = get(data + 32, 8), pt_phdr = 0;
	int have_pt_phdr = 0;
	for (uint32_t i = 0; i < out->phnum; i++) {
		const uint8_t *ph = data + phoff + (uint64_t)i * PHDR_SIZE;
		uint64_t type = get(ph, 4);
		if (type == PT_INTERP)
			return read_interp(data, avail, size, ph, out, why);
		if (type == PT_PHDR) {
			pt_phdr = get(ph + 16, 8);
			have_pt_phdr = 1;
		}
		if (type == PT_LOAD && (r = add_load(ph, size, out, why)) != ELF_OK)
			return r;
	}
	if (out->count == 0)
		return bad(why, "no PT_LOAD segment");
	const struct elf_segment *last = &out->seg[out->count - 1];
	out->lo = page_down(out->seg[0].vaddr);
	out->hi = page_down(last->vaddr + last->memsz + ELF_PAGE_SIZE - 1);
	if (out->type == ELF_ET_EXEC) {
		if (out->lo < ELF_MIN_ADDR)
			return bad(why, "segment below the lowest user address");
		if (out->hi > user_limit)
			return bad(why, "segment above the user address limit");
	} else if (out->hi - out->lo > user_limit / 2) {
		return bad(why, "image too large");
	}
	int entry_ok = 0;
	for (unsigned i = 0; i < out->count; i++) {
		const struct elf_segment *s = &out->seg[i];
		if (s->prot & ELF_PROT_EXEC && out->entry >= s->vaddr &&
		    out->entry - s->vaddr < s->memsz)
			entry_ok = 1;
	}
	if (!entry_ok || out->entry % 4 != 0)
		return bad(why, "entry point not in an executable segment");
	return find_phdr(out, phoff, pt_phdr, have_pt_phdr, &out->phdr_vaddr, why);
}

int elf_bias(const struct elf_image *img, uint64_t base, uint64_t user_limit, uint64_t *bias)
{
	*bias = 0;
	if (img->type != ELF_ET_DYN)
		return 1;
	uint64_t align = img->max_align, start;
	if (!add_ok(base, align - 1, &start))
		return 0;
	start &= ~(align - 1);
	if (start < ELF_MIN_ADDR || start > user_limit || img->hi - img->lo > user_limit - start)
		return 0;
	*bias = start - img->lo; /* wraps for lo > start; addresses bias + v still land right */
	return 1;
}
