/* Generation-checked handle tables: see handles.h. */
#include "handles.h"

#include <string.h>

#include "vfs_errno.h"

void vfs_handles_init(struct vfs_handles *t, void *(*alloc)(void *ctx, size_t size),
                      void (*release)(void *ctx, void *p, size_t size), void *ctx)
{
	*t = (struct vfs_handles){.alloc = alloc, .release = release, .ctx = ctx};
}

int vfs_handles_reserve(struct vfs_handles *t)
{
	if (t->free < t->cap)
		return 0;
	uint32_t cap = t->cap ? t->cap * 2 : 16;
	if (cap <= t->cap || cap > UINT32_MAX / 2)
		return -(int)VFS_ENOMEM;
	struct vfs_handle *s = t->alloc(t->ctx, cap * sizeof(*s));
	if (!s)
		return -(int)VFS_ENOMEM;
	if (t->cap)
		memcpy(s, t->slots, t->cap * sizeof(*s));
	for (uint32_t i = t->cap; i < cap; i++)
		s[i] = (struct vfs_handle){.obj = NULL, .gen = 1, .next_free = i + 1};
	if (t->slots)
		t->release(t->ctx, t->slots, t->cap * sizeof(*s));
	t->slots = s;
	t->free = t->cap;
	t->cap = cap;
	return 0;
}

uint64_t vfs_handles_install(struct vfs_handles *t, void *obj)
{
	uint32_t idx = t->free;
	struct vfs_handle *h = &t->slots[idx];
	t->free = h->next_free;
	h->obj = obj;
	t->open++;
	return (uint64_t)h->gen << 32 | idx;
}

void *vfs_handles_get(const struct vfs_handles *t, uint64_t handle)
{
	uint32_t idx = (uint32_t)handle, gen = (uint32_t)(handle >> 32);
	if (idx >= t->cap || !t->slots[idx].obj || t->slots[idx].gen != gen)
		return NULL;
	return t->slots[idx].obj;
}

void *vfs_handles_remove(struct vfs_handles *t, uint64_t handle)
{
	uint32_t idx = (uint32_t)handle;
	struct vfs_handle *h = &t->slots[idx];
	void *obj = h->obj;
	h->obj = NULL;
	/* A new generation, so the old value stays invalid when the slot is taken again. */
	h->gen = h->gen == UINT32_MAX ? 1 : h->gen + 1;
	h->next_free = t->free;
	t->free = idx;
	t->open--;
	return obj;
}

void vfs_handles_fini(struct vfs_handles *t)
{
	if (t->slots)
		t->release(t->ctx, t->slots, t->cap * sizeof(*t->slots));
	t->slots = NULL;
	t->cap = t->free = t->open = 0;
}
