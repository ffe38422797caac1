/*
 * cpio_tool: the initrd reader (components/services/initrd/cpio.c) on the host, for
 * test_initrd.py. Built with ASan/UBSan, so a read outside the archive aborts.
 *
 *   cpio_tool ARCHIVE list        one line per entry: mode uid gid mtime nlink size name
 *                                 [-> target]; then "end"
 *   cpio_tool ARCHIVE cat PATH    the file's bytes (cpio_lookup) on stdout
 *   cpio_tool ARCHIVE stat PATH   the entry's line as in list
 *
 * Exit status: 0, 1 bad usage or I/O, 2 a reader error (its message on stderr), 3 no
 * such path. The archive is read into a buffer of exactly its size, so ASan sees any
 * read past its end.
 */
#include "cpio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_entry(const struct cpio_entry *e)
{
	printf("%06o %u %u %u %u %zu %.*s", (unsigned)e->mode, (unsigned)e->uid, (unsigned)e->gid,
	       (unsigned)e->mtime, (unsigned)e->nlink, e->size, (int)e->name_len, e->name);
	if (cpio_is_symlink(e))
		printf(" -> %.*s", (int)e->size, (const char *)e->data);
	printf("\n");
}

static int fail(int r)
{
	fprintf(stderr, "cpio_tool: %s\n", cpio_strerror(r));
	return r == CPIO_ENOENT ? 3 : 2;
}

static int run(int argc, char **argv, const uint8_t *exact, size_t size);

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: cpio_tool ARCHIVE list|cat PATH|stat PATH\n");
		return 1;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	size_t cap = 1 << 16, size = 0, n;
	uint8_t *buf = malloc(cap);
	while (buf && (n = fread(buf + size, 1, cap - size, f)) > 0) {
		size += n;
		if (size == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (!buf)
		return 1;
	/* Exactly the archive's bytes, so one byte too far is an ASan report. */
	uint8_t *exact = malloc(size ? size : 1);
	if (!exact)
		return 1;
	memcpy(exact, buf, size);
	free(buf);

	int status = run(argc, argv, exact, size);
	free(exact);
	return status;
}

static int run(int argc, char **argv, const uint8_t *exact, size_t size)
{
	struct cpio_archive ar;
	struct cpio_entry e;
	int r = cpio_open(&ar, exact, size);
	if (r < 0)
		return fail(r);
	if (!strcmp(argv[2], "list")) {
		size_t cursor = 0;
		while ((r = cpio_next(&ar, &cursor, &e)) == CPIO_OK)
			print_entry(&e);
		if (r != CPIO_END)
			return fail(r);
		printf("end\n");
	} else if (argc == 4 && (!strcmp(argv[2], "cat") || !strcmp(argv[2], "stat"))) {
		if ((r = cpio_lookup(&ar, argv[3], &e)) < 0)
			return fail(r);
		if (!strcmp(argv[2], "stat"))
			print_entry(&e);
		else if (e.size && fwrite(e.data, 1, e.size, stdout) != e.size)
			return 1;
	} else {
		fprintf(stderr, "cpio_tool: unknown command '%s'\n", argv[2]);
		return 1;
	}
	return 0;
}
