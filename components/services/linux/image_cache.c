/* The executable image cache (docs/linux.md, "Loading"). Every exec of busybox used to
 * read the whole 1.8 MB file and copy each of its pages into fresh frames, although a
 * short command touches a few dozen of them. Here the pages of a program's read-only
 * segments (text, rodata) are read once into frames the shim holds and mapped into each
 * new image lazily and copy-on-write (the first touch maps the page: mem_fault); only the
 * writable segments' file bytes are read and copied per exec.
 *
 * An entry is keyed by what identifies the file's contents (device, inode, size, mtime,
 * ctime from the VFS's fstat), so a program rewritten in place is read again, never served
 * stale. The cache is bounded (CACHE_ENTRIES programs, a quarter of the pool or
 * CACHE_MAX_PAGES at most, least recently used first out), and when the frame pool runs
 * dry mem.c drops it all before failing an allocation: the frames still mapped stay with
 * their processes (the cache's reference goes), the rest go back to the pool. */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_cache.h"
#include "shim.h"

#define MAX_IMAGE_SIZE  ((uint64_t)8 << 20)
#define HEAD_BYTES      4096u              /* read at open: headers or a #! line */
#define HEAD_MAX        ((size_t)64 << 10) /* program headers further in are refused */
#define CACHE_ENTRIES   4u
#define CACHE_MAX_PAGES 1024u /* 4 MiB */
#define LINUX_EIO       5

struct cache_entry {
	bool used;
	bool pinned; /* being mapped by image_load: a shrink leaves it */
	uint64_t dev, ino, size, mtime_ns, ctime_ns;
	uint64_t lo;     /* the image's unrelocated first page: page i is lo + i pages */
	uint32_t npages; /* (hi - lo) in pages */
	uint32_t *frame; /* per page: held frame index + 1, 0 when copied per exec */
	uint32_t held;   /* frames held */
	uint64_t last_use;
};

static struct cache_entry cache[CACHE_ENTRIES];
static uint32_t cache_pages; /* frames held by all entries */
static uint64_t use_clock;

static uint64_t ts_ns(struct timespec t)
{
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Read exactly n bytes at pos; false on a short read or an error. */
static bool read_at(int fd, void *buf, size_t n, uint64_t pos)
{
	uint8_t *b = buf;
	while (n > 0) {
		ssize_t k = pread(fd, b, n, (off_t)pos);
		if (k <= 0)
			return false;
		b += k;
		n -= (size_t)k;
		pos += (uint64_t)k;
	}
	return true;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

int image_open(const char *path, struct image_file *f)
{
	memset(f, 0, sizeof(*f));
	f->fd = open(path, O_RDONLY);
	if (f->fd < 0)
		return -LINUX_ENOENT;
	struct stat st;
	if (fstat(f->fd, &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size > MAX_IMAGE_SIZE) {
		image_close(f);
		return -LINUX_ENOEXEC;
	}
	f->size = (uint64_t)st.st_size;
	f->dev = (uint64_t)st.st_dev;
	f->ino = (uint64_t)st.st_ino;
	f->mtime_ns = ts_ns(st.st_mtim);
	f->ctime_ns = ts_ns(st.st_ctim);
	size_t n = f->size < HEAD_BYTES ? (size_t)f->size : HEAD_BYTES;
	f->head = malloc(n ? n : 1);
	if (!f->head) {
		image_close(f);
		return -LINUX_ENOMEM;
	}
	if (!read_at(f->fd, f->head, n, 0)) {
		image_close(f);
		return -LINUX_EIO;
	}
	f->head_len = n;
	/* An ELF whose program headers lie past the first page: read up to their end (the
	 * checks in elf.c say what is wrong with anything else). */
	if (n >= 64 && memcmp(f->head, "\177ELF", 4) == 0) {
		uint64_t end = le(f->head + 32, 8) + le(f->head + 56, 2) * 56u;
		if (end > n && end <= f->size && end <= HEAD_MAX &&
		    le(f->head + 32, 8) < HEAD_MAX) {
			uint8_t *more = realloc(f->head, (size_t)end);
			if (!more) {
				image_close(f);
				return -LINUX_ENOMEM;
			}
			f->head = more;
			if (!read_at(f->fd, f->head + n, (size_t)end - n, n)) {
				image_close(f);
				return -LINUX_EIO;
			}
			f->head_len = (size_t)end;
		}
	}
	return 0;
}

void image_close(struct image_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->head);
	f->fd = -1;
	f->head = NULL;
	f->head_len = 0;
}

static uint64_t page_down(uint64_t v)
{
	return v & ~(uint64_t)(PAGE_SIZE - 1);
}

static uint64_t page_up(uint64_t v)
{
	return page_down(v + PAGE_SIZE - 1);
}

/* Whether the (unrelocated) page at a belongs to segment i alone. */
static bool page_own(const struct elf_image *img, unsigned i, uint64_t a)
{
	for (unsigned j = 0; j < img->count; j++) {
		const struct elf_segment *s = &img->seg[j];
		if (j != i && a >= page_down(s->vaddr) && a < page_up(s->vaddr + s->memsz))
			return false;
	}
	return true;
}

/* The bytes of segment s that the page at a (unrelocated) holds from the file: into
 * dst (a zeroed page), *len of them from page offset *off. */
static bool seg_page_read(int fd, const struct elf_segment *s, uint64_t a, uint8_t *dst,
                          size_t *off, size_t *len)
{
	uint64_t from = s->vaddr > a ? s->vaddr : a;
	uint64_t fend = s->vaddr + s->filesz, to = fend < a + PAGE_SIZE ? fend : a + PAGE_SIZE;
	*off = (size_t)(from - a);
	*len = to > from ? (size_t)(to - from) : 0;
	return *len == 0 || read_at(fd, dst + *off, *len, s->offset + (from - s->vaddr));
}

static void entry_drop(struct cache_entry *c)
{
	for (uint32_t i = 0; i < c->npages; i++)
		if (c->frame[i])
			mem_frame_release(c->frame[i] - 1);
	cache_pages -= c->held;
	free(c->frame);
	memset(c, 0, sizeof(*c));
}

bool image_cache_shrink(void)
{
	bool any = false;
	for (unsigned i = 0; i < CACHE_ENTRIES; i++)
		if (cache[i].used && !cache[i].pinned) {
			entry_drop(&cache[i]);
			any = true;
		}
	return any;
}

static struct cache_entry *lookup(const struct image_file *f, const struct elf_image *img)
{
	if (f->ino == 0)
		return NULL; /* no identity to key on: always read */
	for (unsigned i = 0; i < CACHE_ENTRIES; i++) {
		struct cache_entry *c = &cache[i];
		if (c->used && c->dev == f->dev && c->ino == f->ino && c->size == f->size &&
		    c->mtime_ns == f->mtime_ns && c->ctime_ns == f->ctime_ns && c->lo == img->lo &&
		    c->npages == (img->hi - img->lo) / PAGE_SIZE) {
			c->last_use = ++use_clock;
			return c;
		}
	}
	return NULL;
}

/* A new entry for f holding its read-only pages, or NULL (too large, no memory, a read
 * failed): the caller then copies every page as before. */
static struct cache_entry *fill(const struct image_file *f, const struct elf_image *img)
{
	if (f->ino == 0)
		return NULL;
	uint64_t total, free_pages;
	mem_pool_pages(&total, &free_pages);
	uint32_t limit = total / 4 < CACHE_MAX_PAGES ? (uint32_t)(total / 4) : CACHE_MAX_PAGES;
	uint32_t npages = (uint32_t)((img->hi - img->lo) / PAGE_SIZE), need = 0;
	for (unsigned i = 0; i < img->count; i++) {
		const struct elf_segment *s = &img->seg[i];
		if (s->prot & ELF_PROT_WRITE)
			continue;
		for (uint64_t a = page_down(s->vaddr); a < page_up(s->vaddr + s->memsz);
		     a += PAGE_SIZE)
			need += page_own(img, i, a);
	}
	if (need == 0 || need > limit)
		return NULL;
	/* room: an entry slot and pages, least recently used out first (a stale entry for a
	 * rewritten file is never hit again, so it ages out too) */
	for (;;) {
		struct cache_entry *lru = NULL;
		unsigned used = 0;
		for (unsigned i = 0; i < CACHE_ENTRIES; i++)
			if (cache[i].used) {
				used++;
				if (!lru || cache[i].last_use < lru->last_use)
					lru = &cache[i];
			}
		if (used < CACHE_ENTRIES && cache_pages + need <= limit)
			break;
		entry_drop(lru);
	}
	/* built aside, entered when complete: a shrink while filling does not see it */
	struct cache_entry c = {.used = true,
	                        .dev = f->dev,
	                        .ino = f->ino,
	                        .size = f->size,
	                        .mtime_ns = f->mtime_ns,
	                        .ctime_ns = f->ctime_ns,
	                        .lo = img->lo,
	                        .npages = npages};
	c.frame = calloc(npages, sizeof(c.frame[0]));
	if (!c.frame)
		return NULL;
	for (unsigned i = 0; i < img->count; i++) {
		const struct elf_segment *s = &img->seg[i];
		if (s->prot & ELF_PROT_WRITE)
			continue;
		for (uint64_t a = page_down(s->vaddr); a < page_up(s->vaddr + s->memsz);
		     a += PAGE_SIZE) {
			if (!page_own(img, i, a))
				continue;
			uint32_t index;
			uint8_t *ptr;
			size_t off, len;
			if (mem_frame_hold(&index, &ptr) != 0) {
				entry_drop(&c);
				return NULL;
			}
			c.frame[(a - img->lo) / PAGE_SIZE] = index + 1;
			c.held++;
			cache_pages++;
			if (!seg_page_read(f->fd, s, a, ptr, &off, &len)) {
				entry_drop(&c);
				return NULL;
			}
			/* once, here: every process maps these very bytes */
			if (s->prot & ELF_PROT_EXEC)
				mem_frame_sync_code(index);
		}
	}
	for (unsigned i = 0; i < CACHE_ENTRIES; i++)
		if (!cache[i].used) {
			c.last_use = ++use_clock;
			cache[i] = c;
			return &cache[i];
		}
	entry_drop(&c); /* not reached: room was made above */
	return NULL;
}

static int load(struct proc *p, struct image_file *f, const struct elf_image *img, uint64_t bias,
                const struct cache_entry *c)
{
	static uint8_t buf[PAGE_SIZE];
	for (unsigned i = 0; i < img->count; i++) {
		const struct elf_segment *s = &img->seg[i];
		uint64_t start = page_down(s->vaddr + bias),
		         end = page_up(s->vaddr + bias + s->memsz);
		/* a page shared with the previous segment stays in its VMA, with both rights */
		struct vma *prev = mem_vma_find(p, start);
		if (prev) {
			prev->prot |= s->prot;
			start += PAGE_SIZE;
		}
		if (start < end) {
			int e = mem_vma_add(p, start, end, s->prot, VMA_IMAGE);
			if (e)
				return e;
		}
		for (uint64_t a = page_down(s->vaddr); a < page_up(s->vaddr + s->memsz);
		     a += PAGE_SIZE) {
			uint32_t held = c ? c->frame[(a - img->lo) / PAGE_SIZE] : 0;
			int e;
			if (held) {
				/* The entry point's page and the program headers' (the C library
				 * reads them through AT_PHDR) are touched at once: mapped now, a
				 * fault each saved; the rest on first touch. */
				bool now =
				    page_down(img->entry) == a || page_down(img->phdr_vaddr) == a;
				e = now ? mem_map_held(p, a + bias, held - 1, s->prot)
				        : mem_map_held_lazy(p, a + bias, held - 1, s->prot);
				if (e)
					return e;
				continue;
			}
			/* bytes between filesz and memsz are zero: the pages are fresh or zeroed */
			size_t off, len;
			if (!seg_page_read(f->fd, s, a, buf, &off, &len))
				return -LINUX_EIO;
			if (len == 0)
				continue;
			if ((e = mem_copy_out(p, a + bias + off, buf + off, len)) != 0)
				return e;
			if (s->prot & ELF_PROT_EXEC)
				mem_sync_code(p, a + bias, a + bias + PAGE_SIZE);
		}
	}
	return 0;
}

int image_load(struct proc *p, struct image_file *f, const struct elf_image *img, uint64_t bias)
{
	struct cache_entry *c = lookup(f, img);
	if (!c)
		c = fill(f, img);
	if (c)
		c->pinned = true; /* a shrink while copying .data must not free c->frame */
	int e = load(p, f, img, bias, c);
	if (c)
		c->pinned = false;
	return e;
}
