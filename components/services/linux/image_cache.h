/* The Linux shim's executable image cache (docs/linux.md, "Loading"): an opened program
 * file, and the loader that maps its read-only pages from frames the shim keeps. */
#ifndef LINUX_IMAGE_CACHE_H
#define LINUX_IMAGE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf.h"

struct proc;

/* A program file opened for exec: its first bytes (the ELF and program headers, or a #!
 * line) and what identifies its contents. */
struct image_file {
	int fd;
	uint64_t size;
	uint8_t *head;
	size_t head_len;
	uint64_t dev, ino, mtime_ns, ctime_ns;
};

/* Open `path` and read its head; 0, or -ENOENT (cannot open), -ENOEXEC (too large, not a
 * regular size), -ENOMEM / -EIO. */
int image_open(const char *path, struct image_file *f);
void image_close(struct image_file *f);
/* Give p the segments of img (parsed from f's head) at `bias`: VMAs, the read-only pages
 * from the cache (filled on a miss), the others read from the file. 0 or -errno. */
int image_load(struct proc *p, struct image_file *f, const struct elf_image *img, uint64_t bias);
/* Drop every cache entry (the pool ran dry): true if there was one to drop. */
bool image_cache_shrink(void);

#endif
