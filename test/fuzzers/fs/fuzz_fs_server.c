/*
 * fuzz_fs_server: libFuzzer harness for the file-system side of the fs protocol
 * (components/services/vfs/fs_server.c) as the FAT component runs it: requests decoded by
 * the generated fs_dispatch (libm6/interfaces/fs.idl) from raw message words, over a
 * tmpfs, with a window shared with the caller (docs/testing.md). The caller is the VFS,
 * which the file system trusts no further than the protocol: ranges, paths and handles are
 * whatever the input says.
 *
 * The input is a sequence of steps (numbers little-endian; past the end bytes read 0):
 *   0xf0..0xff:  the caller writes into the window: u16 offset, u8 count, the bytes.
 *   else:        a message: that byte is the label (1..15 the methods in fs.idl's order,
 *                anything else no method), a byte whose low 7 bits are the message length
 *                in words, then min(length, 16) u64 words (the words past 6 go to the IPC
 *                buffer, whose later words keep what earlier messages left). As word 0
 *                of a method that takes a handle, 0xffffffffffffff00 + k (k < 0xff)
 *                stands for the k-th handle open answered (modulo their number), so
 *                that inputs can name the handles tmpfs makes up.
 *
 * Checks after every message (abort() on failure):
 *  - the answer is M6_OK for a method with enough words, M6_ERR_INVALID_ARGUMENT for one
 *    too short, M6_ERR_ILLEGAL_OPERATION for no method;
 *  - ret is >= 0 or a negated errno of vfs_errno.h; read and write counts are at most the
 *    length asked; readdir is 1 (with a name of 1..VFS_NAME_MAX bytes, NUL-terminated in
 *    the window at win_off, within len), 0 or an error;
 *  - the file system below saw only what fs_server.h promises it: paths normal and
 *    relative, shorter than VFS_PATH_MAX, names within VFS_NAME_MAX; data buffers inside
 *    the window (the window is its own heap block: ASan sees a byte past it);
 *  - the window changed only where read and readdir may write ([win_off, win_off + len));
 *  - tmpfs_check() holds.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_idl.h"
#include "fs_server.h"
#include "tmpfs.h"

#define WINDOW    8192u
#define OP_WINDOW 0xf0u
#define MAX_WORDS 16u

#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "fuzz_fs_server: %s: ", #cond); \
			fprintf(stderr, __VA_ARGS__);                   \
			fputc('\n', stderr);                            \
			abort();                                        \
		}                                                       \
	} while (0)

/* ---- the loopback "kernel": only the IPC buffer is needed by the dispatch -------------- */

static struct m6_ipc_buffer ipc_buffer;
struct m6_ipc_buffer *m6_ipc_buffer(void)
{
	return &ipc_buffer;
}

/* The dispatch never calls; a stub that does would be a harness bug. */
void m6_syscall(uint64_t number, struct m6_msg *m)
{
	(void)number;
	(void)m;
	abort();
}

/* ---- tmpfs, seen through a checker of what fs_server hands it ---------------------------- */

static struct tmpfs tmp;
static uint8_t *window;
static uint64_t clock_now;

static uint64_t fuzz_clock(void *ctx)
{
	(void)ctx;
	return clock_now;
}

/* fs.h's conventions for a path, which fs_server promises to check before any op. */
static void check_path(const char *path)
{
	size_t len = strlen(path);
	CHECK(len < VFS_PATH_MAX, "path of %zu bytes", len);
	if (len == 0)
		return;
	CHECK(path[0] != '/' && path[len - 1] != '/', "path '%s'", path);
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		size_t n = i - start;
		CHECK(n > 0 && n <= VFS_NAME_MAX, "path '%s': a component of %zu bytes", path, n);
		CHECK(!(n == 1 && path[start] == '.') &&
		          !(n == 2 && path[start] == '.' && path[start + 1] == '.'),
		      "path '%s': a '.' or '..' component", path);
		start = i + 1;
	}
}

static void check_buffer(const void *buf, size_t len)
{
	const uint8_t *b = buf;
	CHECK(b >= window && b <= window + WINDOW && len <= (size_t)(window + WINDOW - b),
	      "a buffer of %zu bytes at window%+td", len, b - window);
}

static int c_open(void *fs, const char *path, uint32_t flags, uint32_t mode, uint64_t *handle,
                  struct vfs_attr *attr)
{
	check_path(path);
	return tmpfs_ops.open(fs, path, flags, mode, handle, attr);
}

static long c_read(void *fs, uint64_t handle, uint64_t offset, void *buf, size_t len)
{
	check_buffer(buf, len);
	return tmpfs_ops.read(fs, handle, offset, buf, len);
}

static long c_write(void *fs, uint64_t handle, uint64_t offset, const void *buf, size_t len)
{
	check_buffer(buf, len);
	return tmpfs_ops.write(fs, handle, offset, buf, len);
}

static int c_stat(void *fs, const char *path, struct vfs_attr *attr)
{
	check_path(path);
	return tmpfs_ops.stat(fs, path, attr);
}

static int c_mkdir(void *fs, const char *path, uint32_t mode)
{
	check_path(path);
	return tmpfs_ops.mkdir(fs, path, mode);
}

static int c_rmdir(void *fs, const char *path)
{
	check_path(path);
	return tmpfs_ops.rmdir(fs, path);
}

static int c_unlink(void *fs, const char *path)
{
	check_path(path);
	return tmpfs_ops.unlink(fs, path);
}

static int c_rename(void *fs, const char *from, const char *to)
{
	check_path(from);
	check_path(to);
	return tmpfs_ops.rename(fs, from, to);
}

static struct vfs_fs_ops checked_ops; /* tmpfs_ops with the checks above in front */

static void set_up(void)
{
	checked_ops = tmpfs_ops;
	checked_ops.open = c_open;
	checked_ops.read = c_read;
	checked_ops.write = c_write;
	checked_ops.stat = c_stat;
	checked_ops.mkdir = c_mkdir;
	checked_ops.rmdir = c_rmdir;
	checked_ops.unlink = c_unlink;
	checked_ops.rename = c_rename;
}

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

static uint64_t take_u64(struct input *in)
{
	uint64_t x = 0;
	for (unsigned i = 0; i < 8; i++)
		x |= (uint64_t)take_u8(in) << (8 * i);
	return x;
}

/* Handles open answered, for inputs to name (see the top of this file). */
#define HANDLE_ALIAS UINT64_C(0xffffffffffffff00)
#define MAX_HANDLES  64u
static uint64_t handles[MAX_HANDLES];
static unsigned handle_count;

/* close, read, write, truncate, getattr, setattr, readdir, sync: word 0 is a handle. */
static bool takes_handle(unsigned label)
{
	return (label >= 2 && label <= 8) || label == 14;
}

/* ---- checks ------------------------------------------------------------------------------- */

/* Input words of each method (fs.idl), index = label. */
static const unsigned in_words[16] = {0, 4, 1, 4, 4, 2, 1, 14, 4, 2, 3, 2, 2, 4, 1, 0};

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
	case VFS_EMFILE:
	case VFS_EFBIG:
	case VFS_ENOSPC:
	case VFS_ESPIPE:
	case VFS_EROFS:
	case VFS_ENAMETOOLONG:
	case VFS_ENOSYS:
	case VFS_ENOTEMPTY:
	case VFS_EOVERFLOW:
		return true;
	default:
		return false;
	}
}

static uint64_t word(const struct m6_msg *m, unsigned i)
{
	return i < M6_MSG_REGISTERS ? m->mr[i] : ipc_buffer.mr[i];
}

/* FUZZ_TRACE=1 in the environment: every message and its answer on stderr. */
static bool trace;

static void check_answer(uint64_t label, const uint64_t *req, unsigned req_len,
                         const struct m6_msg *m, const uint8_t *before)
{
	uint64_t status = m6_msginfo_label(m->info);
	/* Where the method may write the window: read's and readdir's range. */
	uint64_t from = WINDOW, to = WINDOW;
	if (label < 1 || label > 15) {
		CHECK(status == M6_ERR_ILLEGAL_OPERATION, "label %llu answered %llu",
		      (unsigned long long)label, (unsigned long long)status);
	} else if (req_len < in_words[label]) {
		CHECK(status == M6_ERR_INVALID_ARGUMENT, "label %llu with %u words answered %llu",
		      (unsigned long long)label, req_len, (unsigned long long)status);
	} else {
		CHECK(status == M6_OK, "label %llu answered %llu", (unsigned long long)label,
		      (unsigned long long)status);
		int64_t ret = (int64_t)word(m, 0);
		CHECK(ret >= 0 || known_errno(-ret), "label %llu: ret %lld",
		      (unsigned long long)label, (long long)ret);
		uint64_t win_off = req[2];
		uint32_t len = (uint32_t)req[3];
		switch (label) {
		case 3: /* read */
		case 4: /* write */
			CHECK(ret <= (int64_t)len, "label %llu: count %lld of %u",
			      (unsigned long long)label, (long long)ret, len);
			if (label == 3 && ret > 0) {
				from = win_off;
				to = win_off + (uint64_t)ret;
			}
			break;
		case 8: { /* readdir */
			CHECK(ret <= 1, "readdir: ret %lld", (long long)ret);
			if (ret != 1)
				break;
			uint64_t name_len = word(m, 4);
			CHECK(name_len >= 1 && name_len <= VFS_NAME_MAX && name_len + 1 <= len &&
			          win_off + name_len < WINDOW,
			      "readdir: a name of %llu bytes in %u", (unsigned long long)name_len,
			      len);
			const uint8_t *name = window + win_off;
			CHECK(name[name_len] == '\0' && memchr(name, '\0', name_len) == NULL &&
			          memchr(name, '/', name_len) == NULL,
			      "readdir: a bad name");
			from = win_off;
			to = win_off + name_len + 1;
			break;
		}
		default:
			CHECK(ret <= 0, "label %llu: ret %lld", (unsigned long long)label,
			      (long long)ret);
		}
	}
	CHECK(from <= to && to <= WINDOW, "label %llu wrote [%llu, %llu) of the window",
	      (unsigned long long)label, (unsigned long long)from, (unsigned long long)to);
	CHECK(memcmp(window, before, from) == 0 &&
	          memcmp(window + to, before + to, WINDOW - to) == 0,
	      "label %llu changed the window outside [%llu, %llu)", (unsigned long long)label,
	      (unsigned long long)from, (unsigned long long)to);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool once;
	if (!once) {
		set_up();
		trace = getenv("FUZZ_TRACE") != NULL;
		once = true;
	}
	struct tmpfs_config cfg = {
	    .max_bytes = 64 * 1024,
	    .max_inodes = 64,
	    .now = fuzz_clock,
	    .root_mode = 0755,
	};
	clock_now = 1;
	CHECK(tmpfs_init(&tmp, &cfg) == 0, "tmpfs_init");
	window = calloc(1, WINDOW);
	uint8_t *before = malloc(WINDOW);
	CHECK(window && before, "malloc");
	memset(&ipc_buffer, 0, sizeof ipc_buffer);
	struct fs_server_state *server = malloc(sizeof *server);
	CHECK(server, "malloc");
	struct vfs_fs fs = {&checked_ops, &tmp};
	fs_server_init(server, &fs, window, WINDOW);

	struct input in = {data, size};
	unsigned messages = 0;
	handle_count = 0;
	while (in.n > 0 && messages < 512) {
		uint8_t op = take_u8(&in);
		if (op >= OP_WINDOW) {
			size_t at = (size_t)(take_u8(&in) | take_u8(&in) << 8) % WINDOW;
			size_t n = take_u8(&in);
			for (size_t i = 0; i < n; i++) {
				uint8_t x = take_u8(&in);
				if (at + i < WINDOW)
					window[at + i] = x;
			}
			continue;
		}
		messages++;
		clock_now++;
		struct m6_msg m;
		memset(&m, 0, sizeof m);
		unsigned len = take_u8(&in) & 0x7fu;
		uint64_t req[MAX_WORDS] = {0};
		for (unsigned i = 0; i < len && i < MAX_WORDS; i++) {
			req[i] = take_u64(&in);
			if (i < M6_MSG_REGISTERS)
				m.mr[i] = req[i];
			else
				ipc_buffer.mr[i] = req[i];
		}
		/* Words past MAX_WORDS (no method reads them) keep the IPC buffer's. */
		if (len > 0 && takes_handle(op) && req[0] >= HANDLE_ALIAS && req[0] != UINT64_MAX &&
		    handle_count > 0) {
			req[0] = handles[(req[0] - HANDLE_ALIAS) % handle_count];
			m.mr[0] = req[0];
		}
		m.info = m6_msginfo(op, len);
		m.badge = 1;
		memcpy(before, window, WINDOW);
		CHECK(fs_dispatch(&fs_server_ops, server, &m) == 0, "a oneway answer");
		if (trace)
			fprintf(
			    stderr,
			    "label %u (%u words: %llu %llu %llu %llu) -> status %llu ret %lld\n",
			    op, len, (unsigned long long)req[0], (unsigned long long)req[1],
			    (unsigned long long)req[2], (unsigned long long)req[3],
			    (unsigned long long)m6_msginfo_label(m.info), (long long)word(&m, 0));
		check_answer(op, req, len, &m, before);
		if (op == 1 && len >= in_words[1] && word(&m, 0) == 0 && handle_count < MAX_HANDLES)
			handles[handle_count++] = word(&m, 1);
		char why[256];
		CHECK(tmpfs_check(&tmp, why, sizeof why) == 0, "tmpfs: %s", why);
	}
	free(server);
	free(before);
	free(window);
	tmpfs_destroy(&tmp);
	return 0;
}
