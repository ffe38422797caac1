/*
 * fuzz_vfs: libFuzzer harness for the VFS protocol (components/services/vfs/vfs_core.c),
 * whose every argument comes from a client the VFS does not trust (docs/testing.md).
 *
 * The VFS is set up as a system would have it: a tmpfs at "/", a tmpfs at "/tmp", the
 * initrd (a small archive mkinitrd.py packs at build time, compiled in) at "/rom" and a
 * read-only tmpfs holding one file at "/rom/mnt" (a mount point its parent does not list).
 * Three clients have windows of different sizes (4096, 300 and 9000 bytes, each its own
 * heap block so ASan sees a byte past it); a fourth badge has none.
 *
 * The input is a sequence of steps (all numbers little-endian; past the end every byte
 * reads 0):
 *   op >= 0xe0:  the client (byte % 3) writes into its window: u16 offset, u8 count, the
 *                bytes. Windows are shared memory: what a client leaves there is input.
 *   op < 0xe0:   vfs.idl method op % 30 (the order of vfs.idl), a client byte (0xff: the
 *                badge with no window, else byte % 3), then the method's arguments, each
 *                decoded by one of the take_* functions below: a path is usually written
 *                into the caller's window by the harness first (bytes from the input, or
 *                one of a dictionary of useful paths), a window range is usually inside
 *                the window, and an escape byte gives raw 64-bit values instead.
 *
 * After every call it checks (abort() on failure):
 *  - ret is >= 0 or a negated errno the VFS knows, within the method's range (a count no
 *    larger than asked, a descriptor below 64, getcwd's length with its NUL, ...);
 *  - tmpfs_check() holds for every tmpfs (after each call that changed its listing, and
 *    at the end: the walk costs more than the call);
 *  - descriptors: every open file description is referenced by descriptors of one client
 *    only, its reference count is the number of them, each mount's count of open
 *    descriptions is right;
 *  - memory: no other client's window changed, and the caller's only inside the range
 *    the method may write (read, pread, readdir, getcwd, mounts: [win_off, win_off + ret));
 *  - a call that failed changed nothing visible: the listing of every tmpfs (names, types,
 *    modes, owners, sizes, mtime/ctime, contents) and the clients' descriptors, positions
 *    and working directories hash the same as before it; calls that only look (stat,
 *    fstat, statfs, getcwd, mounts, pread) change nothing even when they succeed; the
 *    read-only tmpfs never changes.
 * tmpfs's clock is the number of calls made, so a time set by a failed call shows.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initrd_fs.h"
#include "tmpfs.h"
#include "vfs_core.h"

#include "fuzz_vfs_initrd.h" /* generated: fuzz_vfs_initrd[] */

#define CLIENTS       3u
#define UNKNOWN_BADGE UINT64_C(99)
#define MAX_CALLS     256u

static const uint64_t badges[CLIENTS] = {1, 2, UINT64_C(0x8000000000000001)};
static const size_t window_sizes[CLIENTS] = {4096, 300, 9000};

/* The methods, in vfs.idl's order. */
enum method {
	M_OPEN,
	M_CLOSE,
	M_READ,
	M_WRITE,
	M_PREAD,
	M_PWRITE,
	M_SEEK,
	M_STAT,
	M_FSTAT,
	M_READDIR,
	M_MKDIR,
	M_RMDIR,
	M_UNLINK,
	M_RENAME,
	M_TRUNCATE,
	M_FTRUNCATE,
	M_FSYNC,
	M_STATFS,
	M_CHDIR,
	M_GETCWD,
	M_DUP,
	M_CHMOD,
	M_CHOWN,
	M_MOUNTS,
	M_SYNC,
	M_LSTAT,
	M_SYMLINK,
	M_READLINK,
	M_REALPATH,
	M_UTIMENS,
	METHODS
};

#define OP_WINDOW 0xe0u

static const char *const method_names[METHODS] = {
    "open",  "close",   "read",    "write",    "pread",    "pwrite",  "seek",     "stat",
    "fstat", "readdir", "mkdir",   "rmdir",    "unlink",   "rename",  "truncate", "ftruncate",
    "fsync", "statfs",  "chdir",   "getcwd",   "dup",      "chmod",   "chown",    "mounts",
    "sync",  "lstat",   "symlink", "readlink", "realpath", "utimens",
};

/* FUZZ_VFS_TRACE=1 in the environment: every call and its answer on stderr (to read what
 * a crash input or a seed does). */
static bool trace;

/* ---- the input ---------------------------------------------------------------------------- */

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t take_u8(struct input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t take_le(struct input *in, unsigned bytes)
{
	uint64_t x = 0;
	for (unsigned i = 0; i < bytes; i++)
		x |= (uint64_t)take_u8(in) << (8 * i);
	return x;
}

static uint16_t take_u16(struct input *in)
{
	return (uint16_t)take_le(in, 2);
}

static uint32_t take_u32(struct input *in)
{
	return (uint32_t)take_le(in, 4);
}

static uint64_t take_u64(struct input *in)
{
	return take_le(in, 8);
}

/* ---- the system under test ---------------------------------------------------------------- */

static struct vfs vfs; /* static: it is large */
static struct tmpfs root_fs, tmp_fs, ro_fs;
static struct initrd_fs rom_fs;
static uint8_t *windows[CLIENTS];
static uint8_t *before[CLIENTS]; /* each window as it was before the call */
static uint64_t clock_now;

static uint64_t fuzz_clock(void *ctx)
{
	(void)ctx;
	return clock_now;
}

/* The harness's own checking is left out of the coverage libFuzzer steers by: it is not
 * code under test, and its loops over windows and trees would cost most of the time. */
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))

#define CHECK(cond, ...)                                          \
	do {                                                      \
		if (!(cond)) {                                    \
			fprintf(stderr, "fuzz_vfs: %s: ", #cond); \
			fprintf(stderr, __VA_ARGS__);             \
			fputc('\n', stderr);                      \
			abort();                                  \
		}                                                 \
	} while (0)

static void make_tmpfs(struct tmpfs *fs, uint64_t max_bytes, uint64_t max_inodes)
{
	struct tmpfs_config cfg = {
	    .max_bytes = max_bytes,
	    .max_inodes = max_inodes,
	    .now = fuzz_clock,
	    .root_mode = 01777,
	};
	CHECK(tmpfs_init(fs, &cfg) == 0, "tmpfs_init");
}

static void set_up(void)
{
	vfs_core_init(&vfs);
	clock_now = 1;
	/* Small limits: a write that fills them is reached in a few steps. */
	make_tmpfs(&root_fs, 96 * 1024, 64);
	make_tmpfs(&tmp_fs, 32 * 1024, 32);
	make_tmpfs(&ro_fs, 0, 0);
	struct initrd_fs_config icfg = {.base = fuzz_vfs_initrd, .size = sizeof fuzz_vfs_initrd};
	CHECK(initrd_fs_init(&rom_fs, &icfg) == 0, "initrd_fs_init: %s",
	      rom_fs.why ? rom_fs.why : "");

	/* A file in the read-only tmpfs, made before it is mounted read-only. */
	uint64_t h;
	struct vfs_attr attr;
	CHECK(tmpfs_ops.open(&ro_fs, "f", VFS_O_CREAT | VFS_O_RDWR, 0644, &h, &attr) == 0, "ro f");
	CHECK(tmpfs_ops.write(&ro_fs, h, 0, "read-only", 9) == 9, "ro f write");
	CHECK(tmpfs_ops.close(&ro_fs, h) == 0, "ro f close");

	struct vfs_fs fs = tmpfs_vfs(&root_fs);
	CHECK(vfs_core_mount(&vfs, "/", &fs, "tmpfs", false) >= 0, "mount /");
	fs = tmpfs_vfs(&tmp_fs);
	CHECK(vfs_core_mount(&vfs, "/tmp", &fs, "tmpfs", false) >= 0, "mount /tmp");
	fs = initrd_fs_vfs(&rom_fs);
	CHECK(vfs_core_mount(&vfs, "/rom", &fs, "initrd", true) >= 0, "mount /rom");
	fs = tmpfs_vfs(&ro_fs);
	CHECK(vfs_core_mount(&vfs, "/rom/mnt", &fs, NULL, true) >= 0, "mount /rom/mnt");

	for (unsigned i = 0; i < CLIENTS; i++) {
		/* Zeroed, so that what the VFS reads of a window is defined. */
		windows[i] = calloc(1, window_sizes[i]);
		before[i] = malloc(window_sizes[i]);
		CHECK(windows[i] && before[i], "malloc");
		CHECK(vfs_core_add_client(&vfs, badges[i], windows[i], window_sizes[i]) == 0,
		      "add client %u", i);
	}
}

static void tear_down(void)
{
	for (unsigned i = 0; i < CLIENTS; i++) {
		free(windows[i]);
		free(before[i]);
	}
	tmpfs_destroy(&root_fs);
	tmpfs_destroy(&tmp_fs);
	tmpfs_destroy(&ro_fs);
	initrd_fs_destroy(&rom_fs);
}

/* ---- arguments ---------------------------------------------------------------------------- */

/* Paths the fuzzer may pick by number: the mounts, their edges, names that exist. */
static const char *const dictionary[] = {
    "/",
    "/tmp",
    "/tmp/a",
    "/tmp/b",
    "/tmp/d",
    "/tmp/d/e",
    "a",
    "b",
    "d",
    "d/e",
    "..",
    ".",
    "",
    "/rom",
    "/rom/etc/motd",
    "/rom/etc",
    "/rom/bin/hello",
    "/rom/mnt",
    "/rom/mnt/f",
    "/rom/mnt/g",
    "/f",
    "/d",
    "/d/",
    "/tmp/a/",
    "/../tmp/./a",
    "/tmp/d/..",
    "//tmp//d/e/",
    "/rom/etc/motd/",
    "/rom/nope",
    "tmp",
    "/tmp/ro",
    "/rom/..",
    "/rom/bin/sh",
    "/rom/etc/up/hello",
    "/rom/etc/up/../etc/motd",
    "/rom/loop/x",
    "/rom/abs/a",
    "/tmp/l",
    "/tmp/l/",
    "/tmp/l/../a",
    "l",
    "../rom/bin",
};
#define DICTIONARY (sizeof dictionary / sizeof dictionary[0])

/* Two paths made at start-up: a name over VFS_NAME_MAX, a path of VFS_PATH_MAX bytes. */
static char long_name[VFS_NAME_MAX + 8];
static char long_path[VFS_PATH_MAX + 1];

static void make_long_paths(void)
{
	memset(long_name, 0, sizeof long_name);
	long_name[0] = '/';
	memset(long_name + 1, 'n', VFS_NAME_MAX + 1);
	for (size_t i = 0; i < VFS_PATH_MAX; i++)
		long_path[i] = (i % 2) ? '/' : 'p';
	long_path[VFS_PATH_MAX] = '\0';
}

struct range {
	uint64_t off;
	uint32_t len;
};

/*
 * A path argument of client `c` (slot 0 or 1: rename's two paths go to the two halves of
 * the window). Mode byte m: < 0x80 m bytes of the input; 0x80..0xbf a dictionary path
 * (0xbe: the long name, 0xbf: the long path); >= 0xc0 a raw u64 offset and u32 length.
 * A path longer than the room left is cut to fit.
 */
static struct range take_path(struct input *in, unsigned c, int slot)
{
	uint8_t m = take_u8(in);
	size_t size = window_sizes[c];
	if (m >= 0xc0) {
		struct range r = {take_u64(in), 0};
		r.len = take_u32(in);
		return r;
	}
	size_t at = slot ? size / 2 : 0;
	size_t room = size - at;
	const char *src;
	size_t len;
	uint8_t bytes[0x80];
	if (m < 0x80) {
		len = m;
		for (size_t i = 0; i < len; i++)
			bytes[i] = take_u8(in);
		src = (const char *)bytes;
	} else if (m == 0xbe) {
		src = long_name;
		len = strlen(long_name);
	} else if (m == 0xbf) {
		src = long_path;
		len = VFS_PATH_MAX;
	} else {
		src = dictionary[(m - 0x80u) % DICTIONARY];
		len = strlen(src);
	}
	if (len > room)
		len = room;
	memcpy(windows[c] + at, src, len);
	return (struct range){at, (uint32_t)len};
}

/* A window range for data: inside the window unless the mode byte is >= 0xc0. */
static struct range take_range(struct input *in, unsigned c)
{
	uint8_t m = take_u8(in);
	if (m >= 0xc0) {
		struct range r = {take_u64(in), 0};
		r.len = take_u32(in);
		return r;
	}
	size_t size = window_sizes[c];
	uint64_t off = take_u16(in) % (size + 1);
	uint32_t len = (uint32_t)(take_u16(in) % (size - off + 1));
	return (struct range){off, len};
}

/* A descriptor: mostly 0..7, else a raw u32 (past the table, huge). */
static uint32_t take_fd(struct input *in)
{
	uint8_t b = take_u8(in);
	return b < 0xf0 ? b % 8u : take_u32(in);
}

/* Open flags: bits of one byte (access mode, CREAT, EXCL, TRUNC, APPEND, DIRECTORY), or
 * with bit 7 a raw u32. */
static uint32_t take_flags(struct input *in)
{
	uint8_t b = take_u8(in);
	if (b & 0x80)
		return take_u32(in);
	uint32_t f = b & 3u;
	if (f == 3u)
		f = VFS_O_NOFOLLOW; /* access mode 3 only as a raw value: this byte means this */
	if (b & 0x04)
		f |= VFS_O_CREAT;
	if (b & 0x08)
		f |= VFS_O_EXCL;
	if (b & 0x10)
		f |= VFS_O_TRUNC;
	if (b & 0x20)
		f |= VFS_O_APPEND;
	if (b & 0x40)
		f |= VFS_O_DIRECTORY;
	return f;
}

/* A size or position: a u16, or after 0xff a raw u64 (huge, negative as off_t). */
static uint64_t take_size(struct input *in)
{
	uint8_t b = take_u8(in);
	return b == 0xff ? take_u64(in) : take_u16(in);
}

/* ---- invariants --------------------------------------------------------------------------- */

static bool known_errno(int64_t e)
{
	switch (e) {
	case VFS_EPERM:
	case VFS_ENOENT:
	case VFS_EIO:
	case VFS_EBADF:
	case VFS_ENOMEM:
	case VFS_EACCES:
	case VFS_EFAULT:
	case VFS_EBUSY:
	case VFS_EEXIST:
	case VFS_EXDEV:
	case VFS_ENOTDIR:
	case VFS_EISDIR:
	case VFS_EINVAL:
	case VFS_CORE_ENFILE:
	case VFS_EMFILE:
	case VFS_EFBIG:
	case VFS_ENOSPC:
	case VFS_ESPIPE:
	case VFS_EROFS:
	case VFS_CORE_ERANGE:
	case VFS_ENAMETOOLONG:
	case VFS_ENOSYS:
	case VFS_ENOTEMPTY:
	case VFS_EOVERFLOW:
	case VFS_ELOOP:
		return true;
	default:
		return false;
	}
}

/* FNV-1a, 64 bits. */
NO_COVERAGE static void mix(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		*h ^= b[i];
		*h *= UINT64_C(0x100000001b3);
	}
}

NO_COVERAGE static void mix_u64(uint64_t *h, uint64_t x)
{
	mix(h, &x, sizeof x);
}

/* What a client could learn of a file: everything but atime (reading sets it). */
NO_COVERAGE static void mix_attr(uint64_t *h, const struct vfs_attr *a)
{
	mix_u64(h, a->ino);
	mix_u64(h, a->mode);
	mix_u64(h, a->nlink);
	mix_u64(h, a->uid);
	mix_u64(h, a->gid);
	mix_u64(h, a->size);
	mix_u64(h, a->blocks);
	mix_u64(h, a->mtime_ns);
	mix_u64(h, a->ctime_ns);
}

static char walk_path[VFS_PATH_MAX + VFS_NAME_MAX + 2];
static uint8_t walk_buf[4096];

/* Hashes the tree below walk_path (`len` bytes of it) through the ops, as a client would
 * see it: every name, its attributes, every file's bytes. */
NO_COVERAGE static void mix_tree(uint64_t *h, struct tmpfs *fs, size_t len, unsigned depth)
{
	struct vfs_attr attr;
	CHECK(tmpfs_ops.stat(fs, walk_path, &attr) == 0, "stat %s", walk_path);
	mix(h, walk_path, len + 1);
	mix_attr(h, &attr);
	if (VFS_S_ISLNK(attr.mode)) {
		/* A link is not opened (ELOOP): what it holds is its target. */
		long n = tmpfs_ops.readlink(fs, walk_path, (char *)walk_buf, sizeof walk_buf);
		CHECK(n > 0, "readlink %s", walk_path);
		mix(h, walk_buf, (size_t)n);
		return;
	}
	uint64_t handle;
	CHECK(tmpfs_ops.open(fs, walk_path, 0, 0, &handle, &attr) == 0, "open %s", walk_path);
	if (!VFS_S_ISDIR(attr.mode)) {
		/* Files may be sparse and huge (truncate to 2^47): the first 64 KiB and the
		 * last 4 KiB; the byte count (used_bytes) covers pages elsewhere. */
		for (uint64_t off = 0;;) {
			if (off == 16 * sizeof walk_buf && attr.size > off + sizeof walk_buf)
				off = attr.size - sizeof walk_buf;
			long n = tmpfs_ops.read(fs, handle, off, walk_buf, sizeof walk_buf);
			CHECK(n >= 0, "read %s", walk_path);
			if (n == 0)
				break;
			mix(h, walk_buf, (size_t)n);
			off += (uint64_t)n;
		}
	} else if (depth < 300) {
		struct vfs_dirent ent;
		uint64_t cookie = 0;
		unsigned entries = 0;
		int r;
		while ((r = tmpfs_ops.readdir(fs, handle, cookie, &ent)) == 1) {
			CHECK(++entries < 10000, "readdir of %s does not end", walk_path);
			CHECK(ent.next > cookie, "readdir cookie of %s goes back", walk_path);
			cookie = ent.next;
			if (strcmp(ent.name, ".") == 0 || strcmp(ent.name, "..") == 0)
				continue;
			size_t at = len;
			if (at > 0)
				walk_path[at++] = '/';
			memcpy(walk_path + at, ent.name, ent.name_len + 1);
			mix_tree(h, fs, at + ent.name_len, depth + 1);
			walk_path[len] = '\0';
		}
		CHECK(r == 0, "readdir %s: %d", walk_path, r);
	}
	CHECK(tmpfs_ops.close(fs, handle) == 0, "close %s", walk_path);
}

NO_COVERAGE static uint64_t tree_hash(struct tmpfs *fs)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	walk_path[0] = '\0';
	mix_tree(&h, fs, 0, 0);
	/* What the tree holds, unlinked-but-open files included. */
	mix_u64(&h, fs->used_bytes);
	mix_u64(&h, fs->inodes);
	return h;
}

/* The clients' view of the VFS's tables: descriptors (by description), descriptions,
 * working directories. */
NO_COVERAGE static uint64_t table_hash(void)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < VFS_CORE_CLIENT_MAX; i++) {
		const struct vfs_client *c = &vfs.clients[i];
		if (!c->used)
			continue;
		mix(&h, c->cwd.path, strlen(c->cwd.path) + 1);
		for (size_t fd = 0; fd < VFS_CORE_FD_MAX; fd++)
			mix_u64(&h, c->fds[fd] ? (uint64_t)(c->fds[fd] - vfs.files) : UINT64_MAX);
	}
	for (size_t i = 0; i < VFS_CORE_OPEN_MAX; i++) {
		const struct vfs_open_file *f = &vfs.files[i];
		if (f->refs == 0)
			continue;
		mix_u64(&h, i);
		mix_u64(&h, f->refs);
		mix_u64(&h, f->mount);
		mix_u64(&h, f->handle);
		mix_u64(&h, f->pos);
		mix_u64(&h, f->flags);
		mix_u64(&h, f->is_dir);
		mix_u64(&h, f->mount_children);
	}
	for (size_t i = 0; i < VFS_MOUNT_MAX; i++)
		mix_u64(&h, vfs.mounts[i].open);
	return h;
}

struct state {
	uint64_t root, tmp, ro, tables;
};

NO_COVERAGE static struct state state_now(void)
{
	return (struct state){tree_hash(&root_fs), tree_hash(&tmp_fs), tree_hash(&ro_fs),
	                      table_hash()};
}

NO_COVERAGE static bool state_equal(const struct state *a, const struct state *b)
{
	return a->root == b->root && a->tmp == b->tmp && a->ro == b->ro && a->tables == b->tables;
}

/* Descriptors belong to one client each, and every count agrees with them. */
NO_COVERAGE static void check_descriptors(void)
{
	int owner[VFS_CORE_OPEN_MAX];
	uint32_t refs[VFS_CORE_OPEN_MAX];
	uint32_t open[VFS_MOUNT_MAX];
	memset(owner, -1, sizeof owner);
	memset(refs, 0, sizeof refs);
	memset(open, 0, sizeof open);
	for (size_t i = 0; i < VFS_CORE_CLIENT_MAX; i++) {
		const struct vfs_client *c = &vfs.clients[i];
		for (size_t fd = 0; fd < VFS_CORE_FD_MAX; fd++) {
			const struct vfs_open_file *f = c->fds[fd];
			if (f == NULL)
				continue;
			CHECK(c->used, "client slot %zu unused but has fd %zu", i, fd);
			CHECK(f >= vfs.files && f < vfs.files + VFS_CORE_OPEN_MAX,
			      "fd %zu of client %zu points outside the descriptions", fd, i);
			size_t k = (size_t)(f - vfs.files);
			CHECK(owner[k] < 0 || owner[k] == (int)i,
			      "description %zu reached by clients %d and %zu", k, owner[k], i);
			owner[k] = (int)i;
			refs[k]++;
		}
	}
	for (size_t k = 0; k < VFS_CORE_OPEN_MAX; k++) {
		const struct vfs_open_file *f = &vfs.files[k];
		CHECK(f->refs == refs[k], "description %zu: refs %u, descriptors %u", k, f->refs,
		      refs[k]);
		if (f->refs == 0)
			continue;
		CHECK(f->mount < VFS_MOUNT_MAX && vfs.mounts[f->mount].used,
		      "description %zu on mount %u", k, f->mount);
		open[f->mount]++;
	}
	for (size_t m = 0; m < VFS_MOUNT_MAX; m++)
		CHECK(vfs.mounts[m].open == open[m], "mount %zu: open %u, descriptions %u", m,
		      vfs.mounts[m].open, open[m]);
}

static void check_tmpfs(struct tmpfs *fs, const char *name)
{
	char why[256];
	CHECK(tmpfs_check(fs, why, sizeof why) == 0, "tmpfs %s: %s", name, why);
}

/* ---- one step ----------------------------------------------------------------------------- */

struct call {
	enum method method;
	unsigned client; /* CLIENTS: the badge without a window */
	int64_t ret;
	struct range out;   /* where the method may write into the caller's window */
	uint32_t asked;     /* a count's upper bound (read, write, ...) */
	bool closes;        /* a close of an open descriptor: it goes even if close fails */
	int open_fd_before; /* open/dup: the lowest free descriptor before */
};

static int lowest_free(unsigned c)
{
	for (int fd = 0; fd < (int)VFS_CORE_FD_MAX; fd++) {
		if (vfs.clients[c].fds[fd] == NULL)
			return fd;
	}
	return -1;
}

/* A call's arguments, decoded before it is made (paths are written into the window then). */
struct args {
	struct range p, q;
	uint32_t fd, flags, mode, whence, uid, gid;
	uint64_t size; /* truncate, ftruncate; pread/pwrite's position */
	int64_t offset;
};

static void decode(struct input *in, struct call *k, struct args *a)
{
	unsigned c = k->client < CLIENTS ? k->client : 0; /* whose window paths go to */
	switch (k->method) {
	case M_OPEN:
		a->p = take_path(in, c, 0);
		a->flags = take_flags(in);
		a->mode = take_u16(in);
		break;
	case M_CLOSE:
	case M_FSTAT:
	case M_FSYNC:
	case M_DUP:
		a->fd = take_fd(in);
		break;
	case M_READ:
	case M_WRITE:
	case M_READDIR:
		a->fd = take_fd(in);
		a->p = take_range(in, c);
		break;
	case M_PREAD:
	case M_PWRITE:
		a->fd = take_fd(in);
		a->p = take_range(in, c);
		a->size = take_size(in);
		break;
	case M_SEEK: {
		a->fd = take_fd(in);
		uint8_t m = take_u8(in);
		a->offset = m == 0xff ? (int64_t)take_u64(in) : (int16_t)take_u16(in);
		a->whence = take_u8(in);
		if (a->whence >= 0xf0)
			a->whence = take_u32(in);
		break;
	}
	case M_STAT:
	case M_RMDIR:
	case M_UNLINK:
	case M_STATFS:
	case M_CHDIR:
	case M_LSTAT:
		a->p = take_path(in, c, 0);
		break;
	case M_SYMLINK: /* q the target, p the link's path */
		a->q = take_path(in, c, 1);
		a->p = take_path(in, c, 0);
		break;
	case M_READLINK:
	case M_REALPATH: /* p the path, q where the answer goes */
		a->p = take_path(in, c, 0);
		a->q = take_range(in, c);
		break;
	case M_UTIMENS: /* size and offset the two times, mode which (a byte, or raw) */
		a->p = take_path(in, c, 0);
		a->size = take_size(in);
		a->offset = (int64_t)take_size(in);
		a->mode = take_u8(in);
		if (a->mode == 0xff)
			a->mode = take_u32(in);
		else
			a->mode &= VFS_SET_ATIME | VFS_SET_MTIME;
		break;
	case M_MKDIR:
		a->p = take_path(in, c, 0);
		a->mode = take_u16(in);
		break;
	case M_RENAME:
		a->p = take_path(in, c, 0);
		a->q = take_path(in, c, 1);
		break;
	case M_TRUNCATE:
		a->p = take_path(in, c, 0);
		a->size = take_size(in);
		break;
	case M_FTRUNCATE:
		a->fd = take_fd(in);
		a->size = take_size(in);
		break;
	case M_GETCWD:
	case M_MOUNTS:
		a->p = take_range(in, c);
		break;
	case M_CHMOD:
		a->p = take_path(in, c, 0);
		a->mode = take_u32(in);
		break;
	case M_SYNC:
		break;
	case M_CHOWN: {
		a->p = take_path(in, c, 0);
		uint8_t m = take_u8(in);
		a->uid = (m & 1) ? UINT32_MAX : take_u16(in);
		a->gid = (m & 2) ? UINT32_MAX : take_u16(in);
		break;
	}
	default:
		abort();
	}
}

static void run_call(struct call *k, const struct args *a)
{
	uint64_t b = k->client < CLIENTS ? badges[k->client] : UNKNOWN_BADGE;
	struct vfs *v = &vfs;
	struct vfs_core_stat st;
	struct vfs_statfs sfs;
	switch (k->method) {
	case M_OPEN:
		k->ret = vfs_core_open(v, b, a->p.off, a->p.len, a->flags, a->mode);
		break;
	case M_CLOSE:
		k->closes = k->client < CLIENTS && a->fd < VFS_CORE_FD_MAX &&
		            vfs.clients[k->client].fds[a->fd] != NULL;
		k->ret = vfs_core_close(v, b, a->fd);
		break;
	case M_READ:
		k->out = a->p;
		k->ret = vfs_core_read(v, b, a->fd, a->p.off, a->p.len);
		break;
	case M_WRITE:
		k->ret = vfs_core_write(v, b, a->fd, a->p.off, a->p.len);
		break;
	case M_PREAD:
		k->out = a->p;
		k->ret = vfs_core_pread(v, b, a->fd, a->p.off, a->p.len, a->size);
		break;
	case M_PWRITE:
		k->ret = vfs_core_pwrite(v, b, a->fd, a->p.off, a->p.len, a->size);
		break;
	case M_SEEK:
		k->ret = vfs_core_seek(v, b, a->fd, a->offset, a->whence);
		break;
	case M_STAT:
		k->ret = vfs_core_stat(v, b, a->p.off, a->p.len, &st);
		break;
	case M_FSTAT:
		k->ret = vfs_core_fstat(v, b, a->fd, &st);
		break;
	case M_READDIR:
		k->out = a->p;
		k->ret = vfs_core_readdir(v, b, a->fd, a->p.off, a->p.len);
		break;
	case M_MKDIR:
		k->ret = vfs_core_mkdir(v, b, a->p.off, a->p.len, a->mode);
		break;
	case M_RMDIR:
		k->ret = vfs_core_rmdir(v, b, a->p.off, a->p.len);
		break;
	case M_UNLINK:
		k->ret = vfs_core_unlink(v, b, a->p.off, a->p.len);
		break;
	case M_RENAME:
		k->ret = vfs_core_rename(v, b, a->p.off, a->p.len, a->q.off, a->q.len);
		break;
	case M_TRUNCATE:
		k->ret = vfs_core_truncate(v, b, a->p.off, a->p.len, a->size);
		break;
	case M_FTRUNCATE:
		k->ret = vfs_core_ftruncate(v, b, a->fd, a->size);
		break;
	case M_FSYNC:
		k->ret = vfs_core_fsync(v, b, a->fd);
		break;
	case M_STATFS:
		k->ret = vfs_core_statfs(v, b, a->p.off, a->p.len, &sfs);
		break;
	case M_CHDIR:
		k->ret = vfs_core_chdir(v, b, a->p.off, a->p.len);
		break;
	case M_GETCWD:
		k->out = a->p;
		k->ret = vfs_core_getcwd(v, b, a->p.off, a->p.len);
		break;
	case M_DUP:
		k->ret = vfs_core_dup(v, b, a->fd);
		break;
	case M_CHMOD:
		k->ret = vfs_core_chmod(v, b, a->p.off, a->p.len, a->mode);
		break;
	case M_CHOWN:
		k->ret = vfs_core_chown(v, b, a->p.off, a->p.len, a->uid, a->gid);
		break;
	case M_MOUNTS:
		k->out = a->p;
		k->ret = vfs_core_mounts(v, b, a->p.off, a->p.len);
		break;
	case M_SYNC:
		k->ret = vfs_core_sync(v, b);
		break;
	case M_LSTAT:
		k->ret = vfs_core_lstat(v, b, a->p.off, a->p.len, &st);
		break;
	case M_SYMLINK:
		k->ret = vfs_core_symlink(v, b, a->q.off, a->q.len, a->p.off, a->p.len);
		break;
	case M_READLINK:
		k->out = a->q;
		k->ret = vfs_core_readlink(v, b, a->p.off, a->p.len, a->q.off, a->q.len);
		break;
	case M_REALPATH:
		k->out = a->q;
		k->ret = vfs_core_realpath(v, b, a->p.off, a->p.len, a->q.off, a->q.len);
		break;
	case M_UTIMENS:
		k->ret = vfs_core_utimens(v, b, a->p.off, a->p.len, a->size, (uint64_t)a->offset,
		                          a->mode);
		break;
	default:
		abort();
	}
	k->asked = k->method == M_READLINK || k->method == M_REALPATH ? a->q.len : a->p.len;
}

/* The method's own range for a successful answer. */
static void check_result(const struct call *k)
{
	int64_t r = k->ret;
	if (r < 0) {
		CHECK(known_errno(-r), "method %d returned %lld", k->method, (long long)r);
		return;
	}
	CHECK(k->client < CLIENTS, "the badge without a window got %lld from method %d",
	      (long long)r, k->method);
	switch (k->method) {
	case M_OPEN:
	case M_DUP:
		CHECK(r == k->open_fd_before, "method %d gave fd %lld, the lowest free was %d",
		      k->method, (long long)r, k->open_fd_before);
		CHECK(vfs.clients[k->client].fds[r] != NULL, "fd %lld not open", (long long)r);
		break;
	case M_READ:
	case M_WRITE:
	case M_PREAD:
	case M_PWRITE:
	case M_READDIR:
	case M_MOUNTS:
		CHECK((uint64_t)r <= k->asked, "method %d: count %lld of %u", k->method,
		      (long long)r, k->asked);
		break;
	case M_READLINK: {
		/* A link's target: 1 or more bytes, no NUL. */
		const uint8_t *w = windows[k->client] + k->out.off;
		CHECK(r >= 1 && (uint64_t)r <= k->asked && memchr(w, '\0', (size_t)r) == NULL,
		      "readlink %lld of %u", (long long)r, k->asked);
		break;
	}
	case M_REALPATH:
	case M_GETCWD: {
		const uint8_t *w = windows[k->client] + k->out.off;
		CHECK(r >= 2 && (uint64_t)r <= k->asked && w[r - 1] == '\0' && w[0] == '/' &&
		          memchr(w, '\0', (size_t)r - 1) == NULL,
		      "getcwd %lld", (long long)r);
		break;
	}
	case M_SEEK:
		break;
	default:
		CHECK(r == 0, "method %d returned %lld", k->method, (long long)r);
	}
}

/* No window but the caller's changed, and the caller's only where the method writes. */
NO_COVERAGE static void check_windows(const struct call *k)
{
	for (unsigned i = 0; i < CLIENTS; i++) {
		size_t size = window_sizes[i];
		size_t from = size, to = size;
		if (i == k->client && k->out.len > 0 && k->ret > 0 && k->out.off <= size) {
			from = (size_t)k->out.off;
			to = from + (size_t)k->ret;
			CHECK(to <= size, "write past the window");
		}
		CHECK(memcmp(windows[i], before[i], from) == 0 &&
		          memcmp(windows[i] + to, before[i] + to, size - to) == 0,
		      "method %d of client %u changed window %u outside [%zu, %zu)", k->method,
		      k->client, i, from, to);
	}
}

static bool only_looks(enum method m)
{
	return m == M_STAT || m == M_FSTAT || m == M_STATFS || m == M_GETCWD || m == M_MOUNTS ||
	       m == M_PREAD || m == M_SYNC || m == M_LSTAT || m == M_READLINK || m == M_REALPATH;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool once;
	if (!once) {
		make_long_paths();
		trace = getenv("FUZZ_VFS_TRACE") != NULL;
		once = true;
	}
	set_up();
	struct input in = {data, size};
	struct state prev = state_now();
	const uint64_t ro = prev.ro;
	unsigned calls = 0;
	while (in.n > 0 && calls < MAX_CALLS) {
		uint8_t op = take_u8(&in);
		if (op >= OP_WINDOW) {
			unsigned c = take_u8(&in) % CLIENTS;
			size_t at = take_u16(&in) % window_sizes[c];
			size_t n = take_u8(&in);
			for (size_t i = 0; i < n; i++) {
				uint8_t x = take_u8(&in);
				if (at + i < window_sizes[c])
					windows[c][at + i] = x;
			}
			continue;
		}
		calls++;
		clock_now++;
		struct call k = {.method = (enum method)(op % METHODS)};
		uint8_t cb = take_u8(&in);
		k.client = cb == 0xff ? CLIENTS : cb % CLIENTS;
		k.open_fd_before = k.client < CLIENTS ? lowest_free(k.client) : -1;
		struct args a = {0};
		decode(&in, &k, &a);
		/* The windows as the client left them, arguments included. */
		for (unsigned i = 0; i < CLIENTS; i++)
			memcpy(before[i], windows[i], window_sizes[i]);
		run_call(&k, &a);
		if (trace)
			fprintf(stderr, "client %u %s(fd %u, [%llu, +%u), [%llu, +%u)) = %lld\n",
			        k.client, method_names[k.method], a.fd, (unsigned long long)a.p.off,
			        a.p.len, (unsigned long long)a.q.off, a.q.len, (long long)k.ret);
		check_result(&k);
		check_windows(&k);
		check_descriptors();
		struct state now = state_now();
		CHECK(now.ro == ro, "the read-only tmpfs changed (method %d)", k.method);
		/* A walk of everything: only where the call changed something visible (the
		 * hash covers the byte and inode counts too), and at the end. */
		if (now.root != prev.root)
			check_tmpfs(&root_fs, "/");
		if (now.tmp != prev.tmp)
			check_tmpfs(&tmp_fs, "/tmp");
		if ((k.ret < 0 && !k.closes) || only_looks(k.method))
			CHECK(state_equal(&now, &prev),
			      "method %d of client %u returned %lld but changed the state",
			      k.method, k.client, (long long)k.ret);
		prev = now;
	}
	check_tmpfs(&root_fs, "/");
	check_tmpfs(&tmp_fs, "/tmp");
	check_tmpfs(&ro_fs, "/rom/mnt");
	tear_down();
	return 0;
}
