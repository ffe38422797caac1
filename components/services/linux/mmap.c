/* mmap and its family (docs/linux.md, "Memory"): anonymous and file-backed mappings,
 * private and shared, msync, madvise, mremap, mincore.
 *
 * A file mapping reads the file's pages through the VFS window when it is made (up to
 * the file's end; pages past it are demand-zero), so the shim never has to fault a file
 * page in later. MAP_SHARED memory (a file's or anonymous) is made present whole at mmap
 * time: fork then gives the child the very frames (mem.c never makes them copy-on-write),
 * which is what "shared with fork children" needs without a separate page cache. A
 * shared file mapping's pages reach the file at msync, munmap, exit and exec (mem.c calls
 * mmap_writeback before a VMA goes); read(2) and write(2) on the file see the mapping's
 * changes only from then on, and a mapping does not see later writes: coherent at msync,
 * not at every store (docs/linux.md says so). */
#include <stdlib.h>
#include <string.h>

#include <m6_caps.h>

#include "elf.h"
#include "fd.h"
#include "shim.h"
#include "vfs_idl.h"

#define PAGE_UP(x)          (((x) + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1))

#define MAP_SHARED          0x01
#define MAP_PRIVATE         0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE            0x0f
#define MAP_FIXED           0x10
#define MAP_ANONYMOUS       0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define LINUX_EACCES        13
#define LINUX_EOVERFLOW     75
#define S_IFMT              0170000u
#define S_IFREG             0100000u

static uint8_t *const win = (uint8_t *)(uintptr_t)M6_WINDOW_VFS_VADDR;

/* The size of the VFS file behind f, or -errno. */
static int64_t file_size(const struct ofd *f, uint32_t *mode)
{
	struct vfs_stat st;
	int64_t ret = 0;
	if (vfs_fstat(CAP_VFS, f->vfd, &ret, &st) != M6_OK)
		return -5; /* EIO */
	if (ret < 0)
		return ret;
	if (mode)
		*mode = st.mode;
	return (int64_t)st.size;
}

void mmap_writeback(struct proc *p, const struct vma *v, uint64_t start, uint64_t end)
{
	if ((v->file->flags & L_O_ACCMODE) != L_O_RDWR)
		return; /* a read-only description cannot have been written through */
	int64_t size = file_size(v->file, NULL);
	if (start < v->start)
		start = v->start;
	if (end > v->end)
		end = v->end;
	for (uint64_t a = start; a < end && size > 0; a += PAGE_SIZE) {
		uint64_t pos = v->off + (a - v->start);
		uint8_t *page = mem_peek(p, a);
		if (!page || pos >= (uint64_t)size)
			continue;
		/* only up to the file's end: a mapping never makes its file longer */
		uint32_t n =
		    (uint64_t)size - pos < PAGE_SIZE ? (uint32_t)((uint64_t)size - pos) : PAGE_SIZE;
		int64_t ret = 0;
		memcpy(win, page, n);
		vfs_pwrite(CAP_VFS, v->file->vfd, 0, n, pos, &ret);
	}
}

/* Read the file pages of v within [start, end) into present frames (past the file's end
 * they stay zero). */
static int load_file(struct proc *p, const struct vma *v, uint64_t start, uint64_t end)
{
	int64_t size = file_size(v->file, NULL);
	if (size < 0)
		return (int)size;
	for (uint64_t a = start; a < end; a += PAGE_SIZE) {
		uint64_t pos = v->off + (a - v->start);
		if (pos >= (uint64_t)size)
			break;
		int e;
		uint8_t *page = mem_page(p, a, &e);
		if (!page)
			return e;
		uint32_t n =
		    (uint64_t)size - pos < PAGE_SIZE ? (uint32_t)((uint64_t)size - pos) : PAGE_SIZE;
		int64_t ret = 0;
		if (vfs_pread(CAP_VFS, v->file->vfd, 0, n, pos, &ret) != M6_OK)
			return -5;
		if (ret < 0)
			return (int)ret;
		memcpy(page, win, (size_t)ret);
		memset(page + ret, 0, PAGE_SIZE - (size_t)ret);
	}
	return 0;
}

/* Make every page of [start, end) present (shared memory: see the top). */
static int populate(struct proc *p, uint64_t start, uint64_t end)
{
	for (uint64_t a = start; a < end; a += PAGE_SIZE) {
		int e;
		if (!mem_page(p, a, &e))
			return e;
	}
	return 0;
}

/* Fill a new VMA: file pages, all pages of shared memory, the rights PROT_NONE asks. */
static int fill(struct proc *p, const struct vma *v, uint64_t start, uint64_t end)
{
	int e = 0;
	if (v->file)
		e = load_file(p, v, start, end);
	if (!e && (v->flags & VMA_SHARED))
		e = populate(p, start, end);
	if (!e && v->prot == 0)
		e = mem_protect(p, start, end, 0); /* mem_page mapped them readable */
	if (!e && (v->prot & ELF_PROT_EXEC))
		mem_sync_code(p, start, end);
	return e;
}

int64_t mmap_sys_mmap(struct proc *p, const uint64_t a[6])
{
	uint64_t addr = a[0], len = a[1], prot = a[2], flags = a[3], off = a[5];
	if (len == 0 || len > LINUX_USER_LIMIT || (addr & (PAGE_SIZE - 1)) || prot > 7 ||
	    (off & (PAGE_SIZE - 1)))
		return -LINUX_EINVAL;
	uint64_t type = flags & MAP_TYPE;
	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
		return -LINUX_EINVAL;
	len = PAGE_UP(len);
	struct vma v = {.prot = (uint32_t)prot, .kind = VMA_ANON};
	if (type != MAP_PRIVATE)
		v.flags |= VMA_SHARED;
	struct ofd *f = NULL;
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_get(p, (int64_t)(int32_t)a[4]);
		if (!f)
			return -LINUX_EBADF;
		if (off > UINT64_MAX - len || (int64_t)(off + len) < 0)
			return -LINUX_EOVERFLOW;
		if (f->kind == OFD_ZERO) {
			f = NULL; /* /dev/zero: anonymous memory, as on Linux */
		} else if (f->kind != OFD_VFS) {
			return -LINUX_ENODEV;
		} else {
			uint32_t mode = 0;
			int64_t r = file_size(f, &mode);
			if (r < 0)
				return r;
			if ((mode & S_IFMT) != S_IFREG)
				return -LINUX_ENODEV;
			uint32_t acc = f->flags & L_O_ACCMODE;
			if (acc == L_O_WRONLY || (f->flags & L_O_PATH) ||
			    ((v.flags & VMA_SHARED) && (prot & ELF_PROT_WRITE) && acc != L_O_RDWR))
				return -LINUX_EACCES;
			v.kind = VMA_FILE;
			v.off = off;
		}
	}
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr < ELF_MIN_ADDR || addr > LINUX_USER_LIMIT - len)
			return -LINUX_EINVAL;
		if (flags & MAP_FIXED_NOREPLACE) {
			for (unsigned i = 0; i < p->nvma; i++)
				if (p->vma[i].start < addr + len && p->vma[i].end > addr)
					return -LINUX_EEXIST;
		}
		int e = mem_unmap(p, addr, addr + len);
		if (e)
			return e;
	} else {
		addr = mem_find_gap(p, len, LINUX_MMAP_TOP);
		if (addr == 0)
			return -LINUX_ENOMEM;
	}
	v.start = addr;
	v.end = addr + len;
	v.file = f;
	if (f)
		f->refs++; /* the mapping holds the description, as Linux holds the file */
	int e = mem_vma_insert(p, &v);
	if (e) {
		ofd_put(f);
		return e;
	}
	e = fill(p, &v, v.start, v.end);
	if (e) {
		mem_unmap(p, v.start, v.end);
		return e == -LINUX_EFAULT ? -LINUX_ENOMEM : e;
	}
	return (int64_t)addr;
}

/* Whether [start, end) is mapped throughout (Linux answers ENOMEM otherwise). */
static bool mapped(struct proc *p, uint64_t start, uint64_t end)
{
	for (uint64_t a = start; a < end;) {
		struct vma *v = mem_vma_find(p, a);
		if (!v)
			return false;
		a = v->end;
	}
	return true;
}

/* The common checks of msync, madvise, mincore: 0, or -errno; *end set. */
static int64_t range(struct proc *p, uint64_t addr, uint64_t len, uint64_t *end)
{
	if ((addr & (PAGE_SIZE - 1)) || addr >= LINUX_USER_LIMIT || len > LINUX_USER_LIMIT - addr)
		return -LINUX_EINVAL;
	*end = addr + PAGE_UP(len);
	return mapped(p, addr, *end) ? 0 : -LINUX_ENOMEM;
}

#define MS_ASYNC      1
#define MS_INVALIDATE 2
#define MS_SYNC       4

int64_t mmap_sys_msync(struct proc *p, const uint64_t a[6])
{
	if ((a[2] & ~(uint64_t)(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
	    (a[2] & (MS_ASYNC | MS_SYNC)) == (MS_ASYNC | MS_SYNC))
		return -LINUX_EINVAL;
	uint64_t end;
	int64_t e = range(p, a[0], a[1], &end);
	if (e)
		return e;
	/* MS_ASYNC writes at once too: the shim has nothing to schedule it with */
	for (unsigned i = 0; i < p->nvma; i++) {
		const struct vma *v = &p->vma[i];
		if (v->file && (v->flags & VMA_SHARED) && v->start < end && v->end > a[0])
			mmap_writeback(p, v, a[0], end);
	}
	return 0;
}

#define MADV_NORMAL     0
#define MADV_RANDOM     1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED   3
#define MADV_DONTNEED   4
#define MADV_FREE       8

int64_t mmap_sys_madvise(struct proc *p, const uint64_t a[6])
{
	uint64_t advice = a[2];
	/* the hints (NORMAL .. WILLNEED, DONTFORK/DOFORK, MERGEABLE, HUGEPAGE, DONTDUMP,
	 * ...) change nothing here; the two that drop pages do */
	bool drop = advice == MADV_DONTNEED || advice == MADV_FREE;
	if (!drop && advice > MADV_WILLNEED && !(advice >= 9 && advice <= 17))
		return -LINUX_EINVAL;
	uint64_t end;
	int64_t e = range(p, a[0], a[1], &end);
	if (e || !drop)
		return e;
	for (uint64_t s = a[0]; s < end;) {
		struct vma *v = mem_vma_find(p, s);
		uint64_t stop = v->end < end ? v->end : end;
		struct vma copy = *v;
		/* shared memory keeps its data (Linux refaults it from the shared object);
		 * the program image is not re-read: kept */
		if (!(v->flags & VMA_SHARED) && v->kind != VMA_IMAGE) {
			mem_drop(p, s, stop);
			/* a private file page comes back as the file has it, the rest as zeros */
			if (copy.file && (e = load_file(p, &copy, s, stop)) != 0)
				return e;
		}
		s = stop;
	}
	return 0;
}

#define MREMAP_MAYMOVE   1
#define MREMAP_FIXED     2
#define MREMAP_DONTUNMAP 4

int64_t mmap_sys_mremap(struct proc *p, const uint64_t a[6])
{
	uint64_t old = a[0], flags = a[3], to = a[4];
	if ((old & (PAGE_SIZE - 1)) || (flags & ~(uint64_t)(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) || a[2] == 0 ||
	    a[1] > LINUX_USER_LIMIT || a[2] > LINUX_USER_LIMIT)
		return -LINUX_EINVAL; /* MREMAP_DONTUNMAP: not offered */
	uint64_t old_len = PAGE_UP(a[1]), new_len = PAGE_UP(a[2]);
	struct vma *v = mem_vma_find(p, old);
	if (!v || old_len == 0 || old + old_len > v->end)
		return -LINUX_EFAULT; /* not one mapping (old_len 0, a shared copy: not offered) */
	if (v->kind != VMA_ANON)
		return -LINUX_EINVAL; /* anonymous memory only (docs/linux.md) */
	if (!(flags & MREMAP_FIXED)) {
		if (new_len <= old_len) {
			if (new_len < old_len) {
				int e = mem_unmap(p, old + new_len, old + old_len);
				if (e)
					return e;
			}
			return (int64_t)old;
		}
		/* grow in place when the VMA ends here and nothing follows */
		bool room = v->end == old + old_len && old + new_len <= LINUX_MMAP_TOP;
		for (unsigned i = 0; room && i < p->nvma; i++)
			if (p->vma[i].start < old + new_len && p->vma[i].end > v->end)
				room = false;
		if (room) {
			uint64_t was = v->end;
			v->end = old + new_len;
			struct vma copy = *v;
			int e = fill(p, &copy, was, copy.end);
			if (e) {
				mem_unmap(p, was, copy.end);
				return e;
			}
			return (int64_t)old;
		}
		if (!(flags & MREMAP_MAYMOVE))
			return -LINUX_ENOMEM;
		to = mem_find_gap(p, new_len, LINUX_MMAP_TOP);
		if (to == 0)
			return -LINUX_ENOMEM;
	} else {
		if ((to & (PAGE_SIZE - 1)) || to < ELF_MIN_ADDR ||
		    to > LINUX_USER_LIMIT - new_len || (to < old + old_len && old < to + new_len))
			return -LINUX_EINVAL;
		int e = mem_unmap(p, to, to + new_len);
		if (e)
			return e;
		v = mem_vma_find(p, old);
	}
	/* move: the frames go to the new place, the old range is unmapped */
	struct vma nv = *v;
	nv.start = to;
	nv.end = to + new_len;
	uint64_t keep = old_len < new_len ? old_len : new_len;
	int e = mem_move(p, old, to, keep);
	if (!e)
		e = mem_unmap(p, old, old + old_len);
	if (!e)
		e = mem_vma_insert(p, &nv);
	if (!e && new_len > keep)
		e = fill(p, &nv, to + keep, nv.end);
	return e ? e : (int64_t)to;
}

int64_t mmap_sys_mincore(struct proc *p, const uint64_t a[6])
{
	uint64_t end;
	int64_t e = range(p, a[0], a[1], &end);
	if (e)
		return e;
	uint8_t vec[256];
	for (uint64_t s = a[0], k = 0; s < end;) {
		size_t n = 0;
		for (; n < sizeof(vec) && s < end; n++, s += PAGE_SIZE)
			vec[n] = mem_peek(p, s) != NULL;
		int r = mem_copy_out(p, a[2] + k, vec, n);
		if (r)
			return r;
		k += n;
	}
	return 0;
}
