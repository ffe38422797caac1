/* unit.linux_elf: the Linux shim's ELF reader (components/services/linux/elf.c) on real
 * static binaries built by aarch64-linux-gnu-gcc (-static and -static-pie, paths in argv)
 * and on damaged copies of them: every header field the reader checks, changed one at a
 * time, must be refused with its reason; then every truncation length must be refused
 * (or, past the last byte the image needs, accepted) without reading outside the buffer
 * (ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "elf.h"

#define LIMIT ((uint64_t)1 << 39)

static const char *static_path, *pie_path;

struct file {
	uint8_t *data;
	size_t size;
};

static struct file load(const char *path)
{
	struct file f = {0};
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	long n = ftell(fp);
	assert_true(n > 0);
	rewind(fp);
	f.size = (size_t)n;
	f.data = malloc(f.size);
	assert_non_null(f.data);
	assert_int_equal(fread(f.data, 1, f.size, fp), f.size);
	fclose(fp);
	return f;
}

static void put(uint8_t *p, unsigned bytes, uint64_t v)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;
	for (unsigned i = bytes; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* The n-th program header of type `type`. */
static uint8_t *phdr(struct file *f, uint32_t type, unsigned n)
{
	uint64_t off = get(f->data + 32, 8);
	unsigned count = (unsigned)get(f->data + 56, 2);
	for (unsigned i = 0; i < count; i++) {
		uint8_t *p = f->data + off + 56u * i;
		if (get(p, 4) == type && n-- == 0)
			return p;
	}
	fail_msg("no program header of type %u", type);
	return NULL;
}

static void test_static(void **state)
{
	(void)state;
	struct file f = load(static_path);
	struct elf_image img;
	const char *why = NULL;
	assert_int_equal(elf_parse(f.data, f.size, LIMIT, &img, &why), ELF_OK);
	assert_string_equal(why, "ok");
	assert_int_equal(img.type, ELF_ET_EXEC);
	assert_true(img.count >= 2);
	assert_int_equal(img.seg[0].prot, ELF_PROT_READ | ELF_PROT_EXEC);
	assert_int_equal(img.seg[1].prot, ELF_PROT_READ | ELF_PROT_WRITE);
	assert_true(img.lo >= ELF_MIN_ADDR);
	assert_true(img.entry >= img.seg[0].vaddr &&
	            img.entry < img.seg[0].vaddr + img.seg[0].memsz);
	/* the headers sit at the start of the first segment in such a file */
	assert_int_equal(img.phdr_vaddr, img.seg[0].vaddr + get(f.data + 32, 8));
	assert_int_equal(img.phnum, get(f.data + 56, 2));
	uint64_t bias = 1;
	assert_true(elf_bias(&img, 0x5555550000, LIMIT, &bias));
	assert_int_equal(bias, 0);
	free(f.data);
}

static void test_static_pie(void **state)
{
	(void)state;
	struct file f = load(pie_path);
	struct elf_image img;
	assert_int_equal(elf_parse(f.data, f.size, LIMIT, &img, NULL), ELF_OK);
	assert_int_equal(img.type, ELF_ET_DYN);
	assert_int_equal(img.lo, 0);
	uint64_t bias = 0;
	assert_true(elf_bias(&img, 0x5555550001, LIMIT, &bias));
	assert_int_equal(bias % img.max_align, 0);
	assert_true(bias >= 0x5555550001);
	/* an image that cannot fit above the base is refused */
	assert_false(elf_bias(&img, LIMIT - ELF_PAGE_SIZE, LIMIT, &bias));
	assert_false(elf_bias(&img, UINT64_MAX - 10, LIMIT, &bias));
	free(f.data);
}

/* One damage: apply it to a fresh copy, expect `result` and a reason containing `text`. */
typedef void (*damage_fn)(struct file *f);

static void expect_refused(damage_fn damage, enum elf_result result, const char *text)
{
	struct file f = load(static_path);
	damage(&f);
	struct elf_image img;
	const char *why = NULL;
	enum elf_result r = elf_parse(f.data, f.size, LIMIT, &img, &why);
	if (r != result || !why || !strstr(why, text))
		fail_msg("expected %d \"%s\", got %d \"%s\"", result, text, r,
		         why ? why : "(null)");
	free(f.data);
}

static void d_magic(struct file *f)
{
	f->data[1] = 'X';
}
static void d_class(struct file *f)
{
	f->data[4] = 1;
}
static void d_endian(struct file *f)
{
	f->data[5] = 2;
}
static void d_version(struct file *f)
{
	put(f->data + 20, 4, 2);
}
static void d_type(struct file *f)
{
	put(f->data + 16, 2, 1); /* ET_REL */
}
static void d_machine(struct file *f)
{
	put(f->data + 18, 2, 62); /* x86-64 */
}
static void d_ehsize(struct file *f)
{
	put(f->data + 52, 2, 52);
}
static void d_phentsize(struct file *f)
{
	put(f->data + 54, 2, 32);
}
static void d_phnum0(struct file *f)
{
	put(f->data + 56, 2, 0);
}
static void d_phnum_big(struct file *f)
{
	put(f->data + 56, 2, 0xffff);
}
static void d_phoff_big(struct file *f)
{
	put(f->data + 32, 8, f->size - 8);
}
static void d_phoff_wrap(struct file *f)
{
	put(f->data + 32, 8, UINT64_MAX - 7);
}
static void d_phoff_odd(struct file *f)
{
	put(f->data + 32, 8, get(f->data + 32, 8) + 4);
}
static void d_filesz(struct file *f)
{
	uint8_t *p = phdr(f, 1, 1);
	put(p + 32, 8, get(p + 40, 8) + 1);
}
static void d_offset(struct file *f)
{
	put(phdr(f, 1, 1) + 8, 8, f->size);
}
static void d_offset_wrap(struct file *f)
{
	put(phdr(f, 1, 1) + 8, 8, UINT64_MAX - 0x10);
}
static void d_align(struct file *f)
{
	put(phdr(f, 1, 0) + 48, 8, 0x3000);
}
static void d_congruent(struct file *f)
{
	uint8_t *p = phdr(f, 1, 1);
	put(p + 16, 8, get(p + 16, 8) + 8);
}
static void d_wrap(struct file *f)
{
	put(phdr(f, 1, 1) + 40, 8, UINT64_MAX - 0x1000);
}
static void d_overlap(struct file *f)
{
	/* the data segment moved to start inside the text segment, same page offset */
	uint8_t *p = phdr(f, 1, 1);
	put(p + 16, 8, get(phdr(f, 1, 0) + 16, 8) + (get(p + 16, 8) & 0xffff));
}
static void d_high(struct file *f)
{
	uint8_t *p = phdr(f, 1, 1);
	put(p + 16, 8, LIMIT + (get(p + 16, 8) & 0xffff));
}
static void d_low(struct file *f)
{
	uint8_t *p = phdr(f, 1, 0);
	put(p + 16, 8, 0);
	put(f->data + 24, 8, get(f->data + 24, 8) - 0x400000);
}
static void d_entry(struct file *f)
{
	put(f->data + 24, 8, get(phdr(f, 1, 1) + 16, 8));
}
static void d_noload(struct file *f)
{
	for (unsigned n = 0; n < get(f->data + 56, 2); n++) {
		uint8_t *p = f->data + get(f->data + 32, 8) + 56u * n;
		if (get(p, 4) == 1)
			put(p, 4, 4); /* PT_NOTE */
	}
}
static void d_interp(struct file *f)
{
	/* turn the note into a PT_INTERP naming a path inside the file */
	uint8_t *p = phdr(f, 4, 0);
	put(p, 4, 3);
	memcpy(f->data + 0x300, "/lib/ld-linux-aarch64.so.1", 27);
	put(p + 8, 8, 0x300);
	put(p + 32, 8, 27);
}
static void d_interp_outside(struct file *f)
{
	uint8_t *p = phdr(f, 4, 0);
	put(p, 4, 3);
	put(p + 8, 8, f->size - 2);
	put(p + 32, 8, 27);
}

static void test_damaged(void **state)
{
	(void)state;
	expect_refused(d_magic, ELF_BAD, "magic");
	expect_refused(d_class, ELF_BAD, "ELF64");
	expect_refused(d_endian, ELF_BAD, "little-endian");
	expect_refused(d_version, ELF_BAD, "version");
	expect_refused(d_type, ELF_BAD, "not an executable");
	expect_refused(d_machine, ELF_BAD, "AArch64");
	expect_refused(d_ehsize, ELF_BAD, "e_ehsize");
	expect_refused(d_phentsize, ELF_BAD, "e_phentsize");
	expect_refused(d_phnum0, ELF_BAD, "program headers");
	expect_refused(d_phnum_big, ELF_BAD, "program headers");
	expect_refused(d_phoff_big, ELF_BAD, "outside the file");
	expect_refused(d_phoff_wrap, ELF_BAD, "outside the file");
	expect_refused(d_phoff_odd, ELF_BAD, "misaligned");
	expect_refused(d_filesz, ELF_BAD, "p_filesz > p_memsz");
	expect_refused(d_offset, ELF_BAD, "outside the file");
	expect_refused(d_offset_wrap, ELF_BAD, "outside the file");
	expect_refused(d_align, ELF_BAD, "power of two");
	expect_refused(d_congruent, ELF_BAD, "modulo");
	expect_refused(d_wrap, ELF_BAD, "wraps");
	expect_refused(d_overlap, ELF_BAD, "overlap");
	expect_refused(d_high, ELF_BAD, "above the user address limit");
	expect_refused(d_low, ELF_BAD, "below the lowest");
	expect_refused(d_entry, ELF_BAD, "entry point");
	expect_refused(d_noload, ELF_BAD, "no PT_LOAD");
	expect_refused(d_interp, ELF_NEEDS_INTERP, "interpreter");
	expect_refused(d_interp_outside, ELF_BAD, "PT_INTERP outside");

	struct file f = load(static_path);
	d_interp(&f);
	struct elf_image img;
	assert_int_equal(elf_parse(f.data, f.size, LIMIT, &img, NULL), ELF_NEEDS_INTERP);
	assert_string_equal(img.interp, "/lib/ld-linux-aarch64.so.1");
	free(f.data);
}

/* Every prefix of the file: a copy of exactly that many bytes (ASan sees any read past
 * it). Short prefixes are refused; once all segments' file bytes are in, it parses. */
static void test_truncated(void **state)
{
	(void)state;
	struct file f = load(static_path);
	struct elf_image full;
	assert_int_equal(elf_parse(f.data, f.size, LIMIT, &full, NULL), ELF_OK);
	uint64_t needed = 0;
	for (unsigned i = 0; i < full.count; i++)
		if (full.seg[i].offset + full.seg[i].filesz > needed)
			needed = full.seg[i].offset + full.seg[i].filesz;
	size_t step = 1;
	for (size_t n = 0; n <= f.size; n += step) {
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, f.data, n);
		struct elf_image img;
		enum elf_result r = elf_parse(copy, n, LIMIT, &img, NULL);
		assert_int_equal(r, n >= needed ? ELF_OK : ELF_BAD);
		free(copy);
		step = n < 4096 ? 1 : 997; /* every byte of the headers, then a sample */
	}
	assert_int_equal(elf_parse(NULL, 0, LIMIT, &full, NULL), ELF_BAD);
	free(f.data);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s STATIC STATIC-PIE\n", argv[0]);
		return 2;
	}
	static_path = argv[1];
	pie_path = argv[2];
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_static),
	    cmocka_unit_test(test_static_pie),
	    cmocka_unit_test(test_damaged),
	    cmocka_unit_test(test_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
