/* The Linux shim's memory (docs/linux.md, "The shim: design"): objects retyped from the
 * untyped pool and kept on free lists, the frame window through which the shim reaches
 * every frame, and each process's VMAs, page tables and demand-zero faults. */
#include <stdlib.h>
#include <string.h>

#include <m6/caps.h>
#include <m6/invocations.h>
#include <m6_caps.h>

#include "elf.h"
#include "fd.h"
#include "image_cache.h"
#include "shim.h"

/* Frame i of the pool is at FRAME_WINDOW + i * 4 KiB in the shim's own address space:
 * the second level-0 entry, which the spec's layout never uses. */
#define FRAME_WINDOW ((uint64_t)1 << 39)
#define MAX_FRAMES   ((size_t)1 << (M6_UNTYPED_POOL_BITS - 12))
#define L3_SPAN      ((uint64_t)2 << 20)
#define L2_SPAN      ((uint64_t)1 << 30)

struct frame {
	m6_cptr_t proc_cap; /* the cap of the frame's first process mapping */
	bool dirty;         /* held a process's data: zero before reuse */
	uint16_t refs;      /* process mappings (more than one: shared copy-on-write) */
};

static struct frame frames[MAX_FRAMES];
static uint32_t nframes;                 /* retyped so far */
static uint32_t free_frames[MAX_FRAMES]; /* a stack of indices */
static uint32_t nfree;
/* Unmapped page tables for reuse (a process's level-2 and level-3 tables). */
static m6_cptr_t free_tables[MAX_FRAMES / 8];
static uint32_t nfree_tables;
static m6_cptr_t window_l3[MAX_FRAMES / 512 + 1];

static int retype(uint64_t type, uint64_t bits, m6_cptr_t *out)
{
	m6_cptr_t slot = m6_cap_alloc();
	if (slot == 0)
		return -LINUX_ENOMEM; /* the CNode is full: as good as out of memory */
	uint64_t err = m6_untyped_retype(CAP_POOL, type, bits, M6_CAP_SELF_CNODE, slot, 1);
	if (err != M6_OK)
		return -LINUX_ENOMEM;
	*out = slot;
	return 0;
}

/* CNode slots of the frame cap copies that shared mappings use, kept for reuse (the
 * runtime's allocator does not take slots back). */
static m6_cptr_t spare_slots[MAX_FRAMES];
static uint32_t nspare;

static m6_cptr_t slot_alloc(void)
{
	return nspare ? spare_slots[--nspare] : m6_cap_alloc();
}

static void slot_free(m6_cptr_t slot)
{
	if (nspare < MAX_FRAMES)
		spare_slots[nspare++] = slot;
}

static uint8_t *frame_ptr(uint32_t index)
{
	return (uint8_t *)(uintptr_t)(FRAME_WINDOW + (uint64_t)index * PAGE_SIZE);
}

m6_cptr_t shim_faults, shim_fault_source;

int mem_init(void)
{
	m6_cptr_t l1, l2;
	int e;
#if defined(CAP_JOBS) && defined(CAP_JOBS_SELF)
	/* A shim that serves linux.idl receives its clients' calls and its threads' faults on
	 * its one spec endpoint (`endpoint jobs`); the spec's `call linux.jobs as JOBS_SELF
	 * grant` is the write+grant cap the fault endpoint caps are minted from. */
	shim_faults = CAP_JOBS;
	shim_fault_source = CAP_JOBS_SELF;
#else
	/* The fault endpoint is made here rather than declared in the spec: the spec gives a
	 * component only the receive right to its own endpoints, and a fault endpoint cap must
	 * carry write and grant. */
	if ((e = retype(M6_OBJ_ENDPOINT, 0, &shim_faults)))
		return e;
	shim_fault_source = shim_faults;
#endif
	if ((e = retype(M6_OBJ_PAGE_TABLE, 0, &l1)) || (e = retype(M6_OBJ_PAGE_TABLE, 0, &l2)))
		return e;
	if (m6_page_table_map(l1, M6_CAP_SELF_VSPACE, FRAME_WINDOW, 1) != M6_OK ||
	    m6_page_table_map(l2, M6_CAP_SELF_VSPACE, FRAME_WINDOW, 2) != M6_OK)
		return -LINUX_ENOMEM;
	return 0;
}

/* A new frame from the pool, mapped in the window. */
static int frame_make(uint32_t *index)
{
	if (nframes == MAX_FRAMES)
		return -LINUX_ENOMEM;
	uint32_t i = nframes;
	uint64_t va = FRAME_WINDOW + (uint64_t)i * PAGE_SIZE;
	if (window_l3[i / 512] == 0) {
		m6_cptr_t t;
		if (retype(M6_OBJ_PAGE_TABLE, 0, &t) != 0)
			return -LINUX_ENOMEM;
		if (m6_page_table_map(t, M6_CAP_SELF_VSPACE, va & ~(L3_SPAN - 1), 3) != M6_OK)
			return -LINUX_ENOMEM;
		window_l3[i / 512] = t;
	}
	m6_cptr_t cap, copy = m6_cap_alloc();
	if (copy == 0 || retype(M6_OBJ_FRAME, 12, &cap) != 0)
		return -LINUX_ENOMEM;
	if (m6_cnode_copy(M6_CAP_SELF_CNODE, copy, M6_DEPTH_ROOT, M6_CAP_SELF_CNODE, cap,
	                  M6_DEPTH_ROOT, M6_RIGHTS_ALL) != M6_OK ||
	    m6_frame_map(copy, M6_CAP_SELF_VSPACE, va, M6_RIGHT_READ | M6_RIGHT_WRITE) != M6_OK)
		return -LINUX_ENOMEM;
	frames[i].proc_cap = cap;
	frames[i].dirty = false;
	frames[i].refs = 1;
	nframes++;
	*index = i;
	return 0;
}

/* A zeroed frame: a freed one if any (zeroed now), else a new one (zero from the kernel). */
static int frame_get(uint32_t *index)
{
	if (nfree > 0) {
		uint32_t i = free_frames[--nfree];
		if (frames[i].dirty)
			memset(frame_ptr(i), 0, PAGE_SIZE);
		frames[i].dirty = false;
		frames[i].refs = 1;
		*index = i;
		return 0;
	}
	int e = frame_make(index);
	/* out of frames: the image cache's pages go (those no process maps come back free)
	 * before the allocation fails */
	if (e && image_cache_shrink())
		return frame_get(index);
	return e;
}

static void frame_put(uint32_t i)
{
	m6_frame_unmap(frames[i].proc_cap);
	frames[i].dirty = true;
	frames[i].refs = 0;
	free_frames[nfree++] = i;
}

/* The cap entry `slot` of t maps: a frame can be mapped once per cap, so each further
 * mapping of a shared frame has a copy of its own. */
static m6_cptr_t entry_cap(const struct l3 *t, unsigned slot)
{
	return t->fcap[slot] ? t->fcap[slot] : frames[t->frame[slot] - 1].proc_cap;
}

/* Unmap entry `slot` of t and drop its reference: the frame goes back to the free list
 * with its last mapping. */
static void entry_drop(struct l3 *t, unsigned slot)
{
	uint32_t f = t->frame[slot] - 1;
	if (!(t->prot[slot] & PROT_LAZY))
		m6_frame_unmap(entry_cap(t, slot));
	if (t->fcap[slot]) {
		m6_cnode_delete(M6_CAP_SELF_CNODE, t->fcap[slot], M6_DEPTH_ROOT);
		slot_free(t->fcap[slot]);
	}
	t->frame[slot] = 0;
	t->fcap[slot] = 0;
	if (frames[f].refs <= 1)
		frame_put(f);
	else
		frames[f].refs--;
}

void mem_stats(unsigned *made, unsigned *free_count)
{
	*made = nframes;
	*free_count = nfree;
}

void mem_pool_pages(uint64_t *total, uint64_t *free_pages)
{
	*total = MAX_FRAMES;
	*free_pages = (MAX_FRAMES - nframes) + nfree;
}

uint64_t mem_rss(const struct proc *p)
{
	uint64_t n = 0;
	for (const struct l3 *t = p->l3s; t; t = t->next)
		for (unsigned i = 0; i < 512; i++)
			n += t->frame[i] != 0;
	return n;
}

static int table_get(m6_cptr_t *t)
{
	if (nfree_tables > 0) {
		*t = free_tables[--nfree_tables];
		return 0;
	}
	return retype(M6_OBJ_PAGE_TABLE, 0, t);
}

static void table_put(m6_cptr_t t)
{
	m6_page_table_unmap(t);
	if (nfree_tables < sizeof(free_tables) / sizeof(free_tables[0]))
		free_tables[nfree_tables++] = t;
}

int mem_proc_make(struct proc *p)
{
	if (p->made)
		return 0;
	int e;
	/* What a failed attempt made stays in the slot for the next one (no leak when the
	 * ASIDs run out and a program retries its fork). */
	if ((!p->vspace && (e = retype(M6_OBJ_VSPACE, 0, &p->vspace))) ||
	    (!p->tcb && (e = retype(M6_OBJ_TCB, 0, &p->tcb))) ||
	    (!p->cnode && (e = retype(M6_OBJ_CNODE, 1, &p->cnode))) ||
	    (!p->l1 && (e = retype(M6_OBJ_PAGE_TABLE, 0, &p->l1))))
		return e;
	uint64_t asid;
	if (!p->has_asid) {
		if (m6_asid_pool_assign(CAP_ASID_POOL, p->vspace, &asid) != M6_OK)
			return -LINUX_ENOMEM;
		p->has_asid = true;
	}
	if (!p->l1_mapped) {
		if (m6_page_table_map(p->l1, p->vspace, 0, 1) != M6_OK)
			return -LINUX_ENOMEM;
		p->l1_mapped = true;
	}
	/* The fault endpoint: write (to send the fault) and grant-reply (to wait for the
	 * answer); the badge names the process slot. */
	p->fault_ep = m6_cap_mint(shim_fault_source,
	                          M6_RIGHT_WRITE | M6_RIGHT_GRANT | M6_RIGHT_GRANT_REPLY, p->badge);
	if (p->fault_ep == 0)
		return -LINUX_ENOMEM;
	uint64_t err = m6_tcb_configure(p->tcb, p->fault_ep, p->cnode, p->vspace, 0, 0);
	if (err == M6_OK)
		err = m6_tcb_set_flags(p->tcb, M6_TCB_FLAG_LINUX_ABI);
	if (err != M6_OK) {
		shim_log("linux: cannot configure a process thread (m6 error %llu)",
		         (unsigned long long)err);
		return -LINUX_EINVAL;
	}
	p->made = true;
	return 0;
}

/* A VMA leaves p: a shared file mapping's pages go to the file first (mmap.c), and the
 * description it held is released. */
static void vma_release(struct proc *p, const struct vma *v, uint64_t start, uint64_t end)
{
	if (!v->file)
		return;
	if (v->flags & VMA_SHARED)
		mmap_writeback(p, v, start, end);
	ofd_put(v->file);
}

void mem_proc_clear(struct proc *p)
{
	for (unsigned i = 0; i < p->nvma; i++)
		vma_release(p, &p->vma[i], p->vma[i].start, p->vma[i].end);
	p->nvma = 0;
	for (struct l3 *t = p->l3s, *next; t; t = next) {
		next = t->next;
		for (unsigned i = 0; i < 512; i++)
			if (t->frame[i])
				entry_drop(t, i);
		table_put(t->cap);
		free(t);
	}
	for (struct l2 *t = p->l2s, *next; t; t = next) {
		next = t->next;
		table_put(t->cap);
		free(t);
	}
	p->l3s = p->l3_hint = NULL;
	p->l2s = NULL;
	p->nvma = 0;
}

/* ---- VMAs: a sorted array ---- */

struct vma *mem_vma_find(struct proc *p, uint64_t addr)
{
	for (unsigned i = 0; i < p->nvma; i++)
		if (addr >= p->vma[i].start && addr < p->vma[i].end)
			return &p->vma[i];
	return NULL;
}

int mem_vma_insert(struct proc *p, const struct vma *v)
{
	if (p->nvma == LINUX_MAX_VMAS)
		return -LINUX_ENOMEM;
	unsigned i = 0;
	while (i < p->nvma && p->vma[i].start < v->start)
		i++;
	memmove(&p->vma[i + 1], &p->vma[i], (p->nvma - i) * sizeof(p->vma[0]));
	p->vma[i] = *v;
	p->nvma++;
	return 0;
}

int mem_vma_add(struct proc *p, uint64_t start, uint64_t end, uint32_t prot, uint32_t kind)
{
	struct vma v = {.start = start, .end = end, .prot = prot, .kind = kind};
	return mem_vma_insert(p, &v);
}

uint64_t mem_find_gap(struct proc *p, uint64_t len, uint64_t top)
{
	uint64_t end = top;
	for (unsigned i = p->nvma; i-- > 0;) {
		const struct vma *v = &p->vma[i];
		if (v->start >= end)
			continue;
		if (v->end <= end && end - v->end >= len)
			return end - len;
		end = v->start < end ? v->start : end;
	}
	return end >= len + ELF_MIN_ADDR ? end - len : 0;
}

/* ---- page tables and pages ---- */

static struct l3 *l3_find(struct proc *p, uint64_t addr)
{
	uint64_t base = addr & ~(L3_SPAN - 1);
	if (p->l3_hint && p->l3_hint->base == base)
		return p->l3_hint;
	for (struct l3 *t = p->l3s; t; t = t->next)
		if (t->base == base)
			return p->l3_hint = t;
	return NULL;
}

static int l3_make(struct proc *p, uint64_t addr, struct l3 **out)
{
	uint64_t base2 = addr & ~(L2_SPAN - 1);
	struct l2 *t2 = p->l2s;
	while (t2 && t2->base != base2)
		t2 = t2->next;
	if (!t2) {
		t2 = calloc(1, sizeof(*t2));
		if (!t2 || table_get(&t2->cap) != 0) {
			free(t2);
			return -LINUX_ENOMEM;
		}
		if (m6_page_table_map(t2->cap, p->vspace, base2, 2) != M6_OK) {
			table_put(t2->cap);
			free(t2);
			return -LINUX_ENOMEM;
		}
		t2->base = base2;
		t2->next = p->l2s;
		p->l2s = t2;
	}
	struct l3 *t3 = calloc(1, sizeof(*t3));
	if (!t3 || table_get(&t3->cap) != 0) {
		free(t3);
		return -LINUX_ENOMEM;
	}
	t3->base = addr & ~(L3_SPAN - 1);
	if (m6_page_table_map(t3->cap, p->vspace, t3->base, 3) != M6_OK) {
		table_put(t3->cap);
		free(t3);
		return -LINUX_ENOMEM;
	}
	t3->next = p->l3s;
	p->l3s = p->l3_hint = t3;
	*out = t3;
	return 0;
}

/* The kernel refuses W+X: such a page is mapped writable and not executable (an
 * instruction fetch from it then faults and is refused). */
static uint64_t rights_of(uint32_t prot)
{
	uint64_t r = M6_RIGHT_READ;
	if ((prot & ELF_PROT_WRITE) && !(prot & PROT_COW))
		r |= M6_RIGHT_WRITE;
	else if (prot & ELF_PROT_EXEC)
		r |= M6_RIGHT_EXECUTE;
	return r;
}

static int cow_break(struct proc *p, struct l3 *t, unsigned slot, uint64_t page, uint32_t prot);

/* Give a lazy entry its cap and its mapping (with the rights its prot says). The sole
 * user of a frame maps the frame's own cap: no other entry can be mapping it then. */
static int lazy_map(struct proc *p, struct l3 *t, unsigned slot, uint64_t page)
{
	uint32_t f = t->frame[slot] - 1;
	if (frames[f].refs > 1) {
		m6_cptr_t copy = slot_alloc();
		if (copy == 0 ||
		    m6_cnode_copy(M6_CAP_SELF_CNODE, copy, M6_DEPTH_ROOT, M6_CAP_SELF_CNODE,
		                  frames[f].proc_cap, M6_DEPTH_ROOT, M6_RIGHTS_ALL) != M6_OK) {
			if (copy)
				slot_free(copy);
			return -LINUX_ENOMEM;
		}
		t->fcap[slot] = copy;
	}
	t->prot[slot] &= ~PROT_LAZY;
	if ((t->prot[slot] & ~PROT_COW) != 0 &&
	    m6_frame_map(entry_cap(t, slot), p->vspace, page, rights_of(t->prot[slot])) != M6_OK)
		return -LINUX_EFAULT;
	return 0;
}

/* Make the page at addr present with `prot`; its shim pointer in *ptr. */
static int page_present(struct proc *p, uint64_t addr, uint32_t prot, uint8_t **ptr)
{
	struct l3 *t = l3_find(p, addr);
	int e;
	if (!t && (e = l3_make(p, addr, &t)) != 0)
		return e;
	unsigned slot = (unsigned)((addr >> 12) & 511);
	if (t->frame[slot] == 0) {
		uint32_t f;
		if ((e = frame_get(&f)) != 0)
			return e;
		if (m6_frame_map(frames[f].proc_cap, p->vspace, addr & ~(uint64_t)(PAGE_SIZE - 1),
		                 rights_of(prot)) != M6_OK) {
			frames[f].refs = 0;
			free_frames[nfree++] = f;
			return -LINUX_ENOMEM;
		}
		t->frame[slot] = f + 1;
		t->prot[slot] = prot;
	}
	*ptr = frame_ptr(t->frame[slot] - 1);
	return 0;
}

uint8_t *mem_page(struct proc *p, uint64_t addr, int *err)
{
	struct vma *v = mem_vma_find(p, addr);
	if (!v) {
		*err = -LINUX_EFAULT;
		return NULL;
	}
	uint8_t *ptr;
	int e = page_present(p, addr, v->prot, &ptr);
	if (e != 0) {
		*err = e;
		return NULL;
	}
	return ptr;
}

int mem_copy_in(struct proc *p, void *dst, uint64_t src, size_t n)
{
	uint8_t *d = dst;
	while (n > 0) {
		int e;
		uint8_t *page = mem_page(p, src, &e);
		if (!page)
			return e;
		size_t off = src & (PAGE_SIZE - 1), k = PAGE_SIZE - off < n ? PAGE_SIZE - off : n;
		memcpy(d, page + off, k);
		d += k;
		src += k;
		n -= k;
	}
	return 0;
}

int mem_copy_out(struct proc *p, uint64_t dst, const void *src, size_t n)
{
	const uint8_t *s = src;
	while (n > 0) {
		int e;
		struct vma *v = mem_vma_find(p, dst);
		if (v && !(v->prot & ELF_PROT_WRITE) && v->kind != VMA_IMAGE)
			return -LINUX_EFAULT;
		uint8_t *page = mem_page(p, dst, &e);
		if (!page)
			return e;
		/* a page shared copy-on-write gets its own frame first */
		struct l3 *t = l3_find(p, dst);
		unsigned slot = (unsigned)((dst >> 12) & 511);
		if (frames[t->frame[slot] - 1].refs > 1 && !(v->flags & VMA_SHARED)) {
			e = cow_break(p, t, slot, dst & ~(uint64_t)(PAGE_SIZE - 1), v->prot);
			if (e)
				return e;
			page = frame_ptr(t->frame[slot] - 1);
		}
		size_t off = dst & (PAGE_SIZE - 1), k = PAGE_SIZE - off < n ? PAGE_SIZE - off : n;
		memcpy(page + off, s, k);
		s += k;
		dst += k;
		n -= k;
	}
	return 0;
}

/* Clean frame i's data cache lines to the point of unification and invalidate its
 * instruction cache lines: code written through the window becomes visible to fetches. */
static void frame_sync_code(uint32_t i)
{
	uintptr_t va = (uintptr_t)frame_ptr(i);
	for (uintptr_t l = va; l < va + PAGE_SIZE; l += 64)
		__asm__ volatile("dc cvau, %0" ::"r"(l) : "memory");
	__asm__ volatile("dsb ish" ::: "memory");
	for (uintptr_t l = va; l < va + PAGE_SIZE; l += 64)
		__asm__ volatile("ic ivau, %0" ::"r"(l) : "memory");
	__asm__ volatile("dsb ish\n\tisb" ::: "memory");
}

void mem_sync_code(struct proc *p, uint64_t start, uint64_t end)
{
	for (uint64_t a = start & ~(uint64_t)(PAGE_SIZE - 1); a < end; a += PAGE_SIZE) {
		struct l3 *t = l3_find(p, a);
		unsigned slot = (unsigned)((a >> 12) & 511);
		if (t && t->frame[slot])
			frame_sync_code(t->frame[slot] - 1);
	}
}

/* Drop the pages of [start, end) that are present. */
static void pages_drop(struct proc *p, uint64_t start, uint64_t end)
{
	for (struct l3 *t = p->l3s; t; t = t->next) {
		if (t->base >= end || t->base + L3_SPAN <= start)
			continue;
		for (unsigned i = 0; i < 512; i++) {
			uint64_t a = t->base + (uint64_t)i * PAGE_SIZE;
			if (a >= start && a < end && t->frame[i])
				entry_drop(t, i);
		}
	}
}

/* Split VMAs so that none straddles `addr`. Each half of a file mapping holds a
 * reference on the description. */
static int vma_split(struct proc *p, uint64_t addr)
{
	struct vma *v = mem_vma_find(p, addr);
	if (!v || v->start == addr)
		return 0;
	struct vma right = *v;
	right.start = addr;
	right.off = v->off + (addr - v->start);
	if (p->nvma == LINUX_MAX_VMAS)
		return -LINUX_ENOMEM;
	v->end = addr;
	if (right.file)
		right.file->refs++;
	return mem_vma_insert(p, &right);
}

void mem_drop(struct proc *p, uint64_t start, uint64_t end)
{
	pages_drop(p, start, end);
}

int mem_unmap(struct proc *p, uint64_t start, uint64_t end)
{
	int e;
	if ((e = vma_split(p, start)) != 0 || (e = vma_split(p, end)) != 0)
		return e;
	unsigned j = 0;
	for (unsigned i = 0; i < p->nvma; i++)
		if (p->vma[i].start < start || p->vma[i].start >= end)
			p->vma[j++] = p->vma[i];
		else
			vma_release(p, &p->vma[i], p->vma[i].start, p->vma[i].end);
	p->nvma = j;
	pages_drop(p, start, end);
	return 0;
}

uint8_t *mem_peek(struct proc *p, uint64_t addr)
{
	struct l3 *t = l3_find(p, addr);
	unsigned slot = (unsigned)((addr >> 12) & 511);
	return t && t->frame[slot] ? frame_ptr(t->frame[slot] - 1) : NULL;
}

bool mem_shared_key(struct proc *p, uint64_t addr, uint64_t *key)
{
	struct vma *v = mem_vma_find(p, addr);
	if (!v || !(v->flags & VMA_SHARED))
		return false;
	int e;
	if (!mem_page(p, addr, &e))
		return false;
	struct l3 *t = l3_find(p, addr);
	unsigned slot = (unsigned)((addr >> 12) & 511);
	*key = (uint64_t)(t->frame[slot] - 1) * PAGE_SIZE + (addr & (PAGE_SIZE - 1));
	return true;
}

int mem_move(struct proc *p, uint64_t from, uint64_t to, uint64_t len)
{
	for (uint64_t k = 0; k < len; k += PAGE_SIZE) {
		struct l3 *t = l3_find(p, from + k);
		unsigned slot = (unsigned)(((from + k) >> 12) & 511);
		if (!t || !t->frame[slot])
			continue;
		struct l3 *u = l3_find(p, to + k);
		int e;
		if (!u && (e = l3_make(p, to + k, &u)) != 0)
			return e;
		t = l3_find(p, from + k); /* l3_make moved the hint */
		unsigned dslot = (unsigned)(((to + k) >> 12) & 511);
		m6_cptr_t cap = entry_cap(t, slot);
		m6_frame_unmap(cap);
		u->frame[dslot] = t->frame[slot];
		u->prot[dslot] = t->prot[slot];
		u->fcap[dslot] = t->fcap[slot];
		t->frame[slot] = 0;
		t->fcap[slot] = 0;
		if ((u->prot[dslot] & ~PROT_COW) != 0 &&
		    m6_frame_map(cap, p->vspace, to + k, rights_of(u->prot[dslot])) != M6_OK)
			return -LINUX_ENOMEM;
	}
	return 0;
}

int mem_protect(struct proc *p, uint64_t start, uint64_t end, uint32_t prot)
{
	/* Linux answers ENOMEM when part of the range is not mapped */
	for (uint64_t a = start; a < end;) {
		struct vma *v = mem_vma_find(p, a);
		if (!v)
			return -LINUX_ENOMEM;
		a = v->end;
	}
	int e;
	if ((e = vma_split(p, start)) != 0 || (e = vma_split(p, end)) != 0)
		return e;
	for (unsigned i = 0; i < p->nvma; i++)
		if (p->vma[i].start >= start && p->vma[i].end <= end)
			p->vma[i].prot = prot;
	for (struct l3 *t = p->l3s; t; t = t->next) {
		if (t->base >= end || t->base + L3_SPAN <= start)
			continue;
		for (unsigned i = 0; i < 512; i++) {
			uint64_t a = t->base + (uint64_t)i * PAGE_SIZE;
			if (a < start || a >= end || !t->frame[i])
				continue;
			uint32_t cow = t->prot[i] & PROT_COW;
			if (t->prot[i] & PROT_LAZY) { /* nothing mapped: the fault maps it */
				t->prot[i] = prot | cow | PROT_LAZY;
				continue;
			}
			m6_cptr_t cap = entry_cap(t, i);
			/* no access: unmap the frame but keep its contents for a later mprotect;
			 * the fault path maps it again */
			m6_frame_unmap(cap);
			if (prot != 0)
				m6_frame_map(cap, p->vspace, a, rights_of(prot | cow));
			t->prot[i] = prot | cow;
		}
	}
	return 0;
}

/* A write to a copy-on-write entry: the last user takes the frame over; otherwise the
 * page is copied into a frame of its own. */
static int cow_break(struct proc *p, struct l3 *t, unsigned slot, uint64_t page, uint32_t prot)
{
	uint32_t f = t->frame[slot] - 1;
	if (frames[f].refs > 1) {
		uint32_t g;
		int e = frame_get(&g);
		if (e)
			return e;
		memcpy(frame_ptr(g), frame_ptr(f), PAGE_SIZE);
		entry_drop(t, slot);
		t->frame[slot] = g + 1;
	} else if (!(t->prot[slot] & PROT_LAZY)) {
		m6_frame_unmap(entry_cap(t, slot));
	}
	/* a lazy entry that is the frame's last user maps the frame's own cap (fcap 0) */
	t->prot[slot] = prot;
	if (m6_frame_map(entry_cap(t, slot), p->vspace, page, rights_of(prot)) != M6_OK)
		return -LINUX_EFAULT;
	if (prot & ELF_PROT_EXEC)
		mem_sync_code(p, page, page + PAGE_SIZE);
	return 0;
}

int mem_fork(struct proc *parent, struct proc *child)
{
	child->nvma = parent->nvma;
	memcpy(child->vma, parent->vma, parent->nvma * sizeof(parent->vma[0]));
	bool any_shared = false;
	for (unsigned i = 0; i < child->nvma; i++) {
		if (child->vma[i].file)
			child->vma[i].file->refs++;
		any_shared |= (child->vma[i].flags & VMA_SHARED) != 0;
	}
	for (struct l3 *t = parent->l3s; t; t = t->next) {
		struct l3 *c;
		int e = l3_make(child, t->base, &c);
		if (e)
			return e;
		for (unsigned i = 0; i < 512; i++) {
			if (!t->frame[i])
				continue;
			uint32_t f = t->frame[i] - 1;
			if (frames[f].refs == UINT16_MAX)
				return -LINUX_ENOMEM;
			uint64_t va = t->base + (uint64_t)i * PAGE_SIZE;
			/* The parent loses write access (its first write fault copies or takes the
			 * page over); a read-only page stays as it is mapped. MAP_SHARED memory
			 * stays shared: both map the one frame with the VMA's rights. */
			const struct vma *v = any_shared ? mem_vma_find(parent, va) : NULL;
			bool shared = v && (v->flags & VMA_SHARED);
			uint32_t prot = shared ? t->prot[i] : t->prot[i] | PROT_COW;
			if (!shared && !(t->prot[i] & (PROT_COW | PROT_LAZY)) &&
			    (t->prot[i] & ELF_PROT_WRITE)) {
				m6_cptr_t cap = entry_cap(t, i);
				m6_frame_unmap(cap);
				m6_frame_map(cap, parent->vspace, va, rights_of(prot));
			}
			t->prot[i] = prot;
			/* The child shares the frame but maps nothing yet: most pages of a child
			 * that execs or exits are never touched, and a touched one costs a fault
			 * message instead of a cap copy, a map, an unmap and a delete. */
			frames[f].refs++;
			c->frame[i] = f + 1;
			c->fcap[i] = 0;
			c->prot[i] = prot | PROT_LAZY;
		}
	}
	return 0;
}

/* ESR: data abort from EL0 (EC 0x24), WnR bit 6; DFSC 0b0011xx is a permission fault. */
#define ESR_EC(esr)       (((esr) >> 26) & 0x3f)
#define ESR_WNR           (1u << 6)
#define ESR_PERMISSION(e) (((e)&0x3c) == 0x0c)

int mem_fault(struct proc *p, uint64_t addr, uint64_t esr, bool instruction)
{
	struct vma *v = mem_vma_find(p, addr);
	if (!v || v->prot == 0)
		return -LINUX_EFAULT;
	bool write = !instruction && ESR_EC(esr) == 0x24 && (esr & ESR_WNR);
	if ((write && !(v->prot & ELF_PROT_WRITE)) || (instruction && !(v->prot & ELF_PROT_EXEC)))
		return -LINUX_EFAULT;
	struct l3 *t = l3_find(p, addr);
	unsigned slot = (unsigned)((addr >> 12) & 511);
	if (t && t->frame[slot]) {
		uint32_t cow = t->prot[slot] & PROT_COW;
		uint64_t page = addr & ~(uint64_t)(PAGE_SIZE - 1);
		if (write && cow)
			return cow_break(p, t, slot, page, v->prot);
		if (t->prot[slot] & PROT_LAZY) {
			/* a fork child's first touch: map it with the VMA's rights now, less write
			 * while shared; a W+X page wanted for execution goes R-X as below */
			uint32_t prot = v->prot;
			if (instruction && (prot & ELF_PROT_WRITE))
				prot &= ~ELF_PROT_WRITE;
			t->prot[slot] = prot | cow | PROT_LAZY;
			int e = lazy_map(p, t, slot, page);
			if (e == 0 && instruction)
				mem_sync_code(p, addr, addr + 1);
			return e;
		}
		uint32_t mapped = t->prot[slot] & ~PROT_COW;
		if (ESR_PERMISSION(esr & 0x3f) || mapped != v->prot) {
			/* present with other rights: an mprotect(PROT_NONE) page coming back, or
			 * a W+X page wanted for execution now (remapped R-X until it is written) */
			uint32_t prot = v->prot;
			if (instruction && (prot & ELF_PROT_WRITE))
				prot &= ~ELF_PROT_WRITE;
			else if (ESR_PERMISSION(esr & 0x3f) && mapped == v->prot)
				return -LINUX_EFAULT;
			m6_cptr_t cap = entry_cap(t, slot);
			m6_frame_unmap(cap);
			if (m6_frame_map(cap, p->vspace, addr & ~(uint64_t)(PAGE_SIZE - 1),
			                 rights_of(prot | cow)) != M6_OK)
				return -LINUX_EFAULT;
			t->prot[slot] = prot | cow;
			if (instruction)
				mem_sync_code(p, addr, addr + 1);
		}
		return 0;
	}
	uint8_t *ptr;
	return page_present(p, addr, v->prot, &ptr);
}

/* ---- frames the shim holds for every process (the vDSO) ---- */

int mem_frame_hold(uint32_t *index, uint8_t **ptr)
{
	int e = frame_get(index);
	if (e)
		return e;
	/* refs 1 is the shim's own reference: process mappings add to it, so the frame is
	 * always shared as far as copy-on-write is concerned and never freed with a process */
	*ptr = frame_ptr(*index);
	return 0;
}

void mem_frame_release(uint32_t index)
{
	if (frames[index].refs <= 1)
		frame_put(index);
	else
		frames[index].refs--;
}

int mem_map_held(struct proc *p, uint64_t va, uint32_t index, uint32_t prot)
{
	struct l3 *t = l3_find(p, va);
	int e;
	if (!t && (e = l3_make(p, va, &t)) != 0)
		return e;
	unsigned slot = (unsigned)((va >> 12) & 511);
	if (t->frame[slot])
		entry_drop(t, slot);
	m6_cptr_t copy = slot_alloc();
	if (copy == 0 || frames[index].refs == UINT16_MAX ||
	    m6_cnode_copy(M6_CAP_SELF_CNODE, copy, M6_DEPTH_ROOT, M6_CAP_SELF_CNODE,
	                  frames[index].proc_cap, M6_DEPTH_ROOT, M6_RIGHTS_ALL) != M6_OK) {
		if (copy)
			slot_free(copy);
		return -LINUX_ENOMEM;
	}
	/* mapped copy-on-write: an mprotect that adds write, then a write, gives the process
	 * a copy instead of changing the page every process shares */
	prot |= PROT_COW;
	frames[index].refs++;
	t->frame[slot] = index + 1;
	t->fcap[slot] = copy;
	t->prot[slot] = prot;
	if (m6_frame_map(copy, p->vspace, va, rights_of(prot)) != M6_OK)
		return -LINUX_ENOMEM;
	return 0;
}

void mem_frame_sync_code(uint32_t index)
{
	frame_sync_code(index);
}

int mem_map_held_lazy(struct proc *p, uint64_t va, uint32_t index, uint32_t prot)
{
	struct l3 *t = l3_find(p, va);
	int e;
	if (!t && (e = l3_make(p, va, &t)) != 0)
		return e;
	unsigned slot = (unsigned)((va >> 12) & 511);
	if (frames[index].refs == UINT16_MAX)
		return -LINUX_ENOMEM;
	if (t->frame[slot])
		entry_drop(t, slot);
	/* As a fork child's entry: the frame is counted but nothing is mapped (no cap copy
	 * yet); the first touch maps it through mem_fault's lazy path. Copy-on-write, as
	 * every held frame: a write (after an mprotect) copies the page. */
	frames[index].refs++;
	t->frame[slot] = index + 1;
	t->fcap[slot] = 0;
	t->prot[slot] = prot | PROT_COW | PROT_LAZY;
	return 0;
}
