/*
 * fat.h: FAT12/16/32 over block-read and block-write callbacks, in plain C11 with no m6
 * dependency, so the FAT component, the host tests and the fuzzer compile the same code.
 *
 * Every value taken from the image is untrusted: the mount validates the boot sector and
 * refuses anything inconsistent (FAT_E_BADFS); later corruption found while walking
 * (clusters out of range, loops, chains shorter than a size, broken entries) is FAT_E_IO.
 * No call reads outside the device the callback describes, and every walk is bounded.
 * Writes go only to the FSInfo sector, the FATs, the fixed root directory and the clusters
 * of the volume; a value read from the image is checked before any write depends on it.
 * See docs/fat.md ("Writing").
 */
#ifndef M6_FAT_H
#define M6_FAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fat_error {
	FAT_OK = 0,
	FAT_E_IO = -1,          /* the device failed, or the file system is corrupt there */
	FAT_E_BADFS = -2,       /* mount refused: not a FAT volume or an inconsistent one */
	FAT_E_NOENT = -3,       /* no such file or directory */
	FAT_E_NOTDIR = -4,      /* a path component is not a directory */
	FAT_E_ISDIR = -5,       /* a file operation on a directory */
	FAT_E_NAMETOOLONG = -6, /* a path component longer than FAT_NAME_MAX bytes */
	FAT_E_INVAL = -7,       /* a bad argument from the caller (not from the image) */
	FAT_E_NOSPC = -8,       /* no free cluster, or a full directory */
	FAT_E_EXIST = -9,       /* the name exists */
	FAT_E_NOTEMPTY = -10,   /* rmdir of a directory with entries */
	FAT_E_ROFS = -11,       /* a write on a device with no write callback */
	FAT_E_BUSY = -12,       /* the root directory cannot be removed or renamed */
	FAT_E_FBIG = -13,       /* past the largest file FAT holds (FAT_FILE_MAX bytes) */
};

/* A file's size is a 32-bit field. */
#define FAT_FILE_MAX 0xffffffffu

/* Largest device block the library reads through its bounce buffer. */
#define FAT_MAX_BLOCK 4096u
/* A long name is at most 255 UCS-2 units; each is at most 3 UTF-8 bytes. */
#define FAT_NAME_MAX 765u
/* The specification limits a directory to 65,536 entries (2 MiB). */
#define FAT_DIR_MAX_ENTRIES 65536u

#define FAT_ATTR_READ_ONLY  0x01u
#define FAT_ATTR_HIDDEN     0x02u
#define FAT_ATTR_SYSTEM     0x04u
#define FAT_ATTR_VOLUME_ID  0x08u
#define FAT_ATTR_DIRECTORY  0x10u
#define FAT_ATTR_ARCHIVE    0x20u
#define FAT_ATTR_LFN        0x0fu

/*
 * Reads `count` blocks starting at `block` into `buf`; returns 0 on success, anything else
 * is an I/O error. The library never asks for a block at or past block_count.
 */
typedef int (*fat_read_fn)(void *ctx, uint64_t block, uint32_t count, void *buf);
/* Writes `count` blocks from `buf` at `block`; 0 on success. Never asked for a block past
 * the volume (and so never past block_count). */
typedef int (*fat_write_fn)(void *ctx, uint64_t block, uint32_t count, const void *buf);
/* Everything written so far is on stable storage; 0 on success. */
typedef int (*fat_flush_fn)(void *ctx);
/* The current time, seconds since 1970-01-01 UTC (FAT stores it as local time = UTC). */
typedef int64_t (*fat_time_fn)(void *ctx);

struct fat_device {
	fat_read_fn read;
	void *ctx;
	uint32_t block_size; /* a power of two, 1..FAT_MAX_BLOCK */
	uint64_t block_count;
	fat_write_fn write; /* NULL: a read-only volume, every change is FAT_E_ROFS */
	fat_flush_fn flush; /* NULL: writes are stable when the write callback returns */
	fat_time_fn now;    /* NULL: times are 1980-01-01 00:00 */
};

enum fat_type { FAT_TYPE_12 = 12, FAT_TYPE_16 = 16, FAT_TYPE_32 = 32 };

struct fat_fs {
	struct fat_device dev;
	enum fat_type type;
	uint32_t bytes_per_sector;
	uint32_t sectors_per_cluster;
	uint32_t cluster_size; /* bytes */
	uint32_t reserved_sectors;
	uint32_t num_fats;
	uint32_t fat_sectors;     /* sectors in one FAT */
	uint32_t active_fat;      /* the FAT that is read (FAT32 with mirroring off) */
	bool fat_mirrored;        /* writes go to every FAT (else only to the active one) */
	uint32_t root_entries;    /* FAT12/16: entries in the fixed root directory */
	uint32_t root_dir_sector; /* FAT12/16: first sector of the fixed root directory */
	uint32_t first_data_sector;
	uint32_t total_sectors;
	uint32_t cluster_count; /* data clusters: valid cluster numbers are 2..cluster_count+1 */
	uint32_t root_cluster;  /* FAT32: first cluster of the root directory */
	uint32_t fsinfo_sector; /* FAT32: 0 when there is none */
	bool fsinfo_valid;      /* the FSInfo signatures were found */
	uint32_t fsinfo_free;   /* FSInfo hints (0xffffffff: unknown), not trusted */
	uint32_t fsinfo_next_free;
	bool clean; /* the volume-dirty bit in FAT[1] says it was unmounted cleanly */
	/* Write state: the dirty bit is cleared in FAT[1] before the first change after a mount
	 * or a sync (dirty_marked), and set again by fat_sync if the volume was clean. */
	bool dirty_marked;
	bool free_known; /* free_count was counted from the FAT (never taken from FSInfo) */
	uint32_t free_count;
	uint32_t next_free; /* where the next free-cluster search starts */
	/* Bytes [fat_dirty_lo, fat_dirty_hi) of the active FAT changed and are not yet copied
	 * to the other FATs (hi 0: nothing). */
	uint64_t fat_dirty_lo, fat_dirty_hi;
	/* A one-block write-back cache: FAT entries and directory entries are read and written
	 * a few bytes at a time. A dirty block is written before another is loaded, so blocks
	 * reach the device in the order they were changed (docs/fat.md, "Order of writes"). */
	uint64_t cached_block;
	bool cache_valid;
	bool cache_dirty;
	uint8_t cache[FAT_MAX_BLOCK];
	uint8_t bounce[FAT_MAX_BLOCK]; /* copying the FAT to its mirrors */
};

/*
 * A file or directory. A directory with first_cluster 0 is the root directory (the fixed
 * region on FAT12/16, root_cluster on FAT32). dir_cluster (the first cluster of the parent
 * directory, 0 for the fixed root) and dir_index locate its 8.3 entry; dir_index is
 * UINT32_MAX for the root, which has no entry. The write calls keep a node up to date.
 */
struct fat_node {
	uint32_t first_cluster;
	uint32_t size;
	uint8_t attr;
	uint32_t dir_cluster;
	uint32_t dir_index;
	uint16_t write_time, write_date, create_time, create_date, access_date;
};

struct fat_dirent {
	char name[FAT_NAME_MAX + 1]; /* the long name in UTF-8 when valid, else the 8.3 name */
	char short_name[13];         /* "NAME.EXT", with the lower-case flags applied */
	struct fat_node node;
	uint16_t write_time, write_date, create_time, create_date, access_date;
	uint32_t first_index; /* the entry where its long name starts (== node.dir_index if none) */
};

/*
 * A position in a cluster chain: where `index` (the n-th cluster of the chain, from 0) is.
 * Lets sequential reads and directory walks go on without starting the chain again.
 */
struct fat_cursor {
	uint32_t first_cluster;
	uint32_t index;
	uint32_t cluster;
	/* Brent's cycle detection along the walk: a loop is found within a few times its
	 * length, long before the cluster-count bound. */
	uint32_t mark, power, lap;
};

struct fat_dir {
	struct fat_fs *fs;
	struct fat_node node;
	uint32_t next_index; /* the next 32-byte entry to read */
	struct fat_cursor cursor;
};

struct fat_file {
	struct fat_fs *fs;
	struct fat_node node;
	struct fat_cursor cursor;
	bool tail_checked; /* the last cluster's entry was seen to end the chain */
};

/* Mounts the volume on `dev`: FAT_OK, FAT_E_BADFS (refused) or FAT_E_IO / FAT_E_INVAL. */
int fat_mount(struct fat_fs *fs, const struct fat_device *dev);

/* The root directory's node. */
void fat_root(const struct fat_fs *fs, struct fat_node *node);

/* Resolves an absolute or root-relative path ("/a/b", "a/b"; "" and "/" are the root). */
int fat_lookup(struct fat_fs *fs, const char *path, struct fat_node *node);

int fat_dir_open(struct fat_fs *fs, const struct fat_node *node, struct fat_dir *dir);
/* 1: `ent` holds the next entry; 0: end of directory; < 0: an error. Skips deleted
 * entries and the volume label, returns "." and "..". */
int fat_dir_next(struct fat_dir *dir, struct fat_dirent *ent);

int fat_file_open(struct fat_fs *fs, const struct fat_node *node, struct fat_file *file);
/* Reads up to `len` bytes at `offset`: the count read (0 at or past the end) or < 0. */
long fat_file_read(struct fat_file *file, uint64_t offset, void *buf, size_t len);

/*
 * Writing (docs/fat.md, "Writing"). Every call checks everything it can before it changes
 * anything, leaves the volume consistent when it fails (a full disk included), and has
 * written its changes to the device when it returns; fat_sync also writes FSInfo, sets the
 * clean bit and flushes the device. Names: 1..255 UTF-16 units of valid UTF-8, none of
 * "*:<>?\| or control characters, not ending in '.' or ' ' (FAT_E_INVAL).
 */
/* A new regular file (empty; `attr`: FAT_ATTR_READ_ONLY or 0): FAT_E_EXIST if the name is
 * taken. `node` (may be NULL) receives it. */
int fat_create(struct fat_fs *fs, const char *path, uint8_t attr, struct fat_node *node);
/* A new directory with its "." and ".." entries. */
int fat_mkdir(struct fat_fs *fs, const char *path, struct fat_node *node);
/* Writes `len` bytes at `offset` (a gap past the end reads as zeros): the count written, a
 * short count when the volume filled up, FAT_E_NOSPC when nothing fit, or an error. The
 * file's node (file->node) is updated. */
long fat_file_write(struct fat_file *file, uint64_t offset, const void *buf, size_t len);
/* Sets the size: shrinking frees clusters, growing adds zeros (FAT_E_NOSPC, unchanged, if
 * they do not fit). */
int fat_file_truncate(struct fat_file *file, uint64_t size);
/* Removes a file (FAT_E_ISDIR on a directory). */
int fat_unlink(struct fat_fs *fs, const char *path);
/* Removes an empty directory (FAT_E_NOTEMPTY, FAT_E_NOTDIR, FAT_E_BUSY for the root). */
int fat_rmdir(struct fat_fs *fs, const char *path);
/* rename(2): replaces a file by a file or an empty directory by a directory; FAT_E_INVAL
 * moving a directory below itself. `moved` (may be NULL) receives the node at its new
 * place (the entry moves: dir_cluster/dir_index change). */
int fat_rename(struct fat_fs *fs, const char *from, const char *to, struct fat_node *moved);
/* Sets the attribute bits READ_ONLY, HIDDEN, SYSTEM and ARCHIVE of a node (not the root). */
int fat_set_attr(struct fat_fs *fs, struct fat_node *node, uint8_t attr);
/* Sets the modification and/or access time (Unix seconds; NULL: unchanged). */
int fat_set_times(struct fat_fs *fs, struct fat_node *node, const int64_t *mtime,
                  const int64_t *atime);
/* FSInfo, the clean bit, the device's flush: the volume is consistent and clean on disk. */
int fat_sync(struct fat_fs *fs);
/* The number of free clusters (counted from the FAT once, then kept). */
int fat_free_clusters(struct fat_fs *fs, uint32_t *count);
/* FAT date and time <-> Unix seconds (FAT local time is taken as UTC). */
int64_t fat_time_to_unix(uint16_t date, uint16_t time);
void fat_time_from_unix(int64_t t, uint16_t *date, uint16_t *time);

/* A short text for an error code. */
const char *fat_strerror(int err);

#endif /* M6_FAT_H */
