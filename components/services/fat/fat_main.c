/*
 * The FAT component (docs/files.md, "The FAT component"): the FAT library on a block device,
 * served to the VFS through the fs protocol. It runs apart from the VFS because it parses
 * bytes from a disk anyone may have written: a bug it hits is contained here, and all it
 * can reach is its disk's shared regions and its one caller's window.
 *
 * Start-up: the block client waits for the driver's geometry; the FAT library mounts the
 * volume through read/write/flush callbacks over the block protocol (below), which go
 * through a write-through block cache in the component's heap (block_cache.h; docs/files.md,
 * "The FAT component's block cache"); fs_server.c then serves fs.idl over the library's `struct
 * vfs_fs` adapter (fat_vfs.c). A refused mount is one line on the debug console, and the component
 * serves anyway: every call then answers -EIO, so the VFS sees a broken disk, not a dead component.
 *
 * Caps and regions come from the system's m6_caps.h (built per system, like virtio_blk):
 *   CAP_FS      the endpoint fs.idl is served on (`endpoint fs`); its callers' windows
 *               are M6_WINDOWS_FS (`call fat.fs as N badge B window SIZE`);
 *   CAP_DONE    the notification the block driver signals; CAP_DRIVER its signal cap;
 *   M6_MEM_RING_* / M6_MEM_DATA_*  the block protocol's regions (`memory ring`, `data`).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <m6/block_client.h>
#include <m6/debug.h>
#include <m6/format.h>
#include <m6/runtime.h>
#include <m6/spec_tables.h>
#include <m6/time.h>
#include <m6_caps.h>

#include "block_cache.h"
#include "fat.h"
#include "fat_vfs.h"
#include "fs_server.h"

#ifndef M6_WINDOWS_FS
#error \
    "the FAT component needs a caller with a window on its endpoint fs (call fat.fs ... window SIZE)"
#endif

static struct m6_block_client blk;
static uint8_t *const data = (uint8_t *)M6_MEM_DATA_VADDR;
/* The largest request the callbacks send: the data region, the driver's limit. */
static uint64_t chunk_bytes;
static struct block_cache cache;
static struct fat_vfs fat;
static struct fs_server_state server;
static const struct m6_window windows[M6_WINDOWS_FS_COUNT] = M6_WINDOWS_FS;

static void say(const char *a, const char *b)
{
	m6_debug_puts(CAP_DEBUG_CONSOLE, a);
	m6_debug_puts(CAP_DEBUG_CONSOLE, b);
	m6_debug_puts(CAP_DEBUG_CONSOLE, "\n");
}

/*
 * The device under the block cache (block_cache.h): requests over the block protocol. The
 * data region is the bounce buffer: the driver reads into it and the cache copies out of it
 * (into its lines and the caller's buffer at once); writes are copied in first. The cache
 * never asks for more than chunk_bytes at once.
 */
static const void *blk_read(void *ctx, uint64_t block, uint32_t count)
{
	(void)ctx;
	return m6_block_read(&blk, block, count, 0) == 0 ? data : NULL;
}

static int blk_write(void *ctx, uint64_t block, uint32_t count, const void *buf)
{
	(void)ctx;
	memcpy(data, buf, (size_t)count * blk.geometry.block_size);
	return m6_block_write(&blk, block, count, 0) == 0 ? 0 : -1;
}

/*
 * The library's device callbacks, through the cache. The library asks for as many blocks
 * as it can use at once (runs of clusters), so a miss is usually one block-protocol request
 * for the whole run; a longer one is split at the data region's size.
 */
static int dev_read(void *ctx, uint64_t block, uint32_t count, void *buf)
{
	(void)ctx;
	return block_cache_read(&cache, block, count, buf);
}

static int dev_write(void *ctx, uint64_t block, uint32_t count, const void *buf)
{
	(void)ctx;
	return block_cache_write(&cache, block, count, buf);
}

/*
 * The cache's memory: the component's heap (the spec's `heap`), all of it but HEAP_KEEP
 * for the C library (nothing else here allocates). A smaller heap gets a smaller cache; a
 * heap too small for one line, none (every read then goes to the disk).
 */
#define HEAP_KEEP (32u * 1024u)

static void cache_setup(void)
{
	struct block_cache_dev dev = {
	    .read = blk_read,
	    .write = blk_write,
	    .ctx = NULL,
	    .block_size = blk.geometry.block_size,
	    .block_count = blk.geometry.block_count,
	    .max_blocks = (uint32_t)(chunk_bytes / blk.geometry.block_size),
	};
	size_t heap = m6_component.heap_size;
	size_t want = heap > 2 * HEAP_KEEP ? heap - HEAP_KEEP : heap / 2;
	void *mem = NULL;
	while (want >= BLOCK_CACHE_LINE && (mem = malloc(want)) == NULL)
		want /= 2;
	block_cache_init(&cache, &dev, mem, mem ? want : 0);
}

static int dev_flush(void *ctx)
{
	(void)ctx;
	return m6_block_flush(&blk) == 0 ? 0 : -1;
}

static int64_t dev_now(void *ctx)
{
	(void)ctx;
	/* No wall clock yet: the counter since boot would date files 1970. FAT cannot store
	 * dates before 1980, so the library's default applies. */
	return 0;
}

/* Mounts the volume; false (and a line saying why) when it is refused. */
static bool mount(struct vfs_fs *out)
{
	if (m6_block_client_init(&blk, (void *)M6_MEM_RING_VADDR, data, M6_MEM_DATA_SIZE, CAP_DONE,
	                         CAP_DRIVER) != 0) {
		say("fat: ", "the block driver's geometry makes no sense; not mounted");
		return false;
	}
	chunk_bytes =
	    blk.geometry.max_bytes < M6_MEM_DATA_SIZE ? blk.geometry.max_bytes : M6_MEM_DATA_SIZE;
	/* The cache's lines are 4 KiB (FAT_MAX_BLOCK): a request must hold one. */
	if (blk.geometry.block_size > FAT_MAX_BLOCK || chunk_bytes < BLOCK_CACHE_LINE) {
		say("fat: ", "the disk's block size is larger than the FAT library takes, or its "
		             "requests smaller than 4 KiB; not mounted");
		return false;
	}
	cache_setup();
	struct fat_device dev = {
	    .read = dev_read,
	    .write = blk.geometry.read_only ? NULL : dev_write,
	    .flush = blk.geometry.flush ? dev_flush : NULL,
	    .now = dev_now,
	    .ctx = NULL,
	    .block_size = blk.geometry.block_size,
	    .block_count = blk.geometry.block_count,
	};
	if (fat_vfs_mount(&fat, &dev) != 0) {
		say("fat: mount refused: ", "not a FAT volume, or an inconsistent one");
		return false;
	}
	fat_vfs_as_fs(&fat, out);
	return true;
}

int main(void)
{
	struct vfs_fs fs;
	bool mounted = mount(&fs);
	/* One caller, the VFS: the first window on our endpoint, and only its badge may call. */
	const struct m6_window *w = &windows[0];
	fs_server_init(&server, mounted ? &fs : NULL, (void *)w->vaddr, w->size);
	const struct m6_idl_allow allow[] = {{w->badge, w->badge, FS_METHODS_ALL}};
	const struct fs_server srv = {
	    .ops = &fs_server_ops, .state = &server, .allow = allow, .allow_count = 1};
	if (mounted)
		say("fat: ", "mounted; serving");
	fs_serve(CAP_FS, &srv);
}
