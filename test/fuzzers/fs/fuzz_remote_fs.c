/*
 * fuzz_remote_fs: libFuzzer harness for the VFS side of the fs protocol
 * (components/services/vfs/remote_fs.c), against a hostile file system: the FAT component
 * parses whatever a disk holds, so the VFS trusts none of its answers (docs/testing.md).
 *
 * The harness is the VFS: it calls the ops of remote_fs_ops with arguments from the input,
 * and it is the "kernel" too: m6_syscall (the loopback of test/fatguest/host/m6/syscall.h)
 * checks the request remote_fs sends, then answers it with words and window bytes from the
 * input. The window is 2048 bytes, its own heap block (ASan sees a byte past it).
 *
 * The input (numbers little-endian; past the end bytes read 0) is a sequence of ops: a
 * byte (op % 15, in the order of struct vfs_fs_ops) and its arguments
 *   open: path, u32 flags, u32 mode      close, getattr, sync: u64 handle
 *   read, write: u64 handle, u64 offset, u32 len (% 65537: the buffer's size)
 *   truncate: u64 handle, u64 size       setattr: u64 handle, u32 which
 *   readdir: u64 handle, u64 cookie      stat, rmdir, unlink: path; mkdir: path, u32 mode
 *   rename: path, path                   statfs: nothing
 * where a path is a length byte and that many bytes (0xff: a path of VFS_PATH_MAX - 1
 * bytes), NUL-terminated by the harness (a NUL inside ends it early). Each call remote_fs
 * makes then takes its answer from the input: a byte for the call's error (0: M6_OK, else
 * the call fails with that value), a byte for the answer's status label, a byte whose low 7
 * bits are the answer's length in words, min(length, 16) u64 words, a u16 count and that
 * many bytes the file system writes into the window (from offset 0).
 *
 * Checks (abort() on failure):
 *  - every request is well-formed: a known label, paths and data ranges inside the window,
 *    a path shorter than VFS_PATH_MAX, a read or write no longer than the window;
 *  - every op returns a negated errno in [-4095, -1], or 0 (1 for a readdir entry), or
 *    for read and write a count no larger than asked;
 *  - read writes only into the buffer it is given (a heap block of exactly the length
 *    asked, ASan), and only its first `count` bytes; write never changes its buffer;
 *  - a readdir entry has a name of 1..VFS_NAME_MAX bytes, NUL-terminated at name_len,
 *    without '/' or NUL inside; statfs reports a type name of [a-z0-9] (the server's own,
 *    or the one remote_fs was given when the server's is not such a name).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_idl.h"
#include "remote_fs.h"

#define WINDOW    2048u
#define EP        5u
#define MAX_WORDS 16u
#define OPS       15u
#define ERRNO_MAX 4095

#define CHECK(cond, ...)                                                \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "fuzz_remote_fs: %s: ", #cond); \
			fprintf(stderr, __VA_ARGS__);                   \
			fputc('\n', stderr);                            \
			abort();                                        \
		}                                                       \
	} while (0)

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

static struct input in;
static uint8_t *window;
static unsigned calls; /* of the current op */

/* ---- the hostile file system, behind the loopback kernel -------------------------------- */

static struct m6_ipc_buffer ipc_buffer;
struct m6_ipc_buffer *m6_ipc_buffer(void)
{
	return &ipc_buffer;
}

static uint64_t req_word(const struct m6_msg *m, unsigned i)
{
	return i < M6_MSG_REGISTERS ? m->mr[i] : ipc_buffer.mr[i];
}

/* Whether [off, off + len) lies inside the window. */
static bool in_window(uint64_t off, uint64_t len)
{
	return off <= WINDOW && len <= WINDOW - off;
}

/* What remote_fs asks must be a well-formed request of fs.idl. */
static void check_request(const struct m6_msg *m)
{
	uint64_t label = m6_msginfo_label(m->info);
	static const unsigned words[16] = {0, 4, 1, 4, 4, 2, 1, 14, 4, 2, 3, 2, 2, 4, 1, 0};
	CHECK(label >= 1 && label <= 15, "label %llu", (unsigned long long)label);
	CHECK(m6_msginfo_length(m->info) == words[label], "label %llu with %llu words",
	      (unsigned long long)label, (unsigned long long)m6_msginfo_length(m->info));
	switch (label) {
	case 1:  /* open */
	case 9:  /* stat */
	case 10: /* mkdir */
	case 11: /* rmdir */
	case 12: /* unlink */
		CHECK(in_window(m->mr[0], (uint32_t)m->mr[1]) && (uint32_t)m->mr[1] < VFS_PATH_MAX,
		      "label %llu: a path at [%llu, +%llu)", (unsigned long long)label,
		      (unsigned long long)m->mr[0], (unsigned long long)m->mr[1]);
		break;
	case 13: /* rename */
		CHECK(in_window(m->mr[0], (uint32_t)m->mr[1]) &&
		          in_window(m->mr[2], (uint32_t)m->mr[3]) &&
		          (uint32_t)m->mr[1] < VFS_PATH_MAX && (uint32_t)m->mr[3] < VFS_PATH_MAX,
		      "rename: paths outside the window");
		break;
	case 3: /* read */
	case 4: /* write */
	case 8: /* readdir */
		CHECK(in_window(req_word(m, 2), (uint32_t)req_word(m, 3)),
		      "label %llu: a range [%llu, +%u) outside the window",
		      (unsigned long long)label, (unsigned long long)req_word(m, 2),
		      (uint32_t)req_word(m, 3));
		break;
	default:
		break;
	}
}

void m6_syscall(uint64_t number, struct m6_msg *m)
{
	CHECK(number == M6_SYS_CALL && m->word0 == EP, "syscall %llu on cap %llu",
	      (unsigned long long)number, (unsigned long long)m->word0);
	check_request(m);
	CHECK(++calls <= 64, "an op made %u calls", calls); /* a read of 64 KiB needs 33 */
	uint8_t err = take_u8(&in);
	uint8_t status = take_u8(&in);
	unsigned len = take_u8(&in) & 0x7fu;
	for (unsigned i = 0; i < len && i < MAX_WORDS; i++) {
		uint64_t w = take_le(&in, 8);
		if (i < M6_MSG_REGISTERS)
			m->mr[i] = w;
		else
			ipc_buffer.mr[i] = w;
	}
	size_t n = (size_t)take_le(&in, 2);
	for (size_t i = 0; i < n; i++) {
		uint8_t x = take_u8(&in);
		if (i < WINDOW)
			window[i] = x;
	}
	m->info = m6_msginfo(status, len);
	m->word0 = err;
}

/* ---- the VFS's side ------------------------------------------------------------------------ */

static char path_a[VFS_PATH_MAX + 1], path_b[VFS_PATH_MAX + 1];

static const char *take_path(char *out)
{
	uint8_t n = take_u8(&in);
	if (n == 0xff) {
		memset(out, 'a', VFS_PATH_MAX - 1);
		out[VFS_PATH_MAX - 1] = '\0';
		return out;
	}
	for (unsigned i = 0; i < n; i++)
		out[i] = (char)take_u8(&in);
	out[n] = '\0';
	return out;
}

static bool status_ok(long r)
{
	return r == 0 || (r < 0 && r >= -ERRNO_MAX);
}

static void run_op(void *fs, uint8_t op)
{
	const struct vfs_fs_ops *ops = &remote_fs_ops;
	uint64_t handle = 0;
	struct vfs_attr attr;
	long r;
	switch (op % OPS) {
	case 0: {
		const char *p = take_path(path_a);
		uint32_t flags = (uint32_t)take_le(&in, 4);
		uint32_t mode = (uint32_t)take_le(&in, 4);
		r = ops->open(fs, p, flags, mode, &handle, &attr);
		CHECK(status_ok(r), "open: %ld", r);
		break;
	}
	case 1:
		r = ops->close(fs, take_le(&in, 8));
		CHECK(status_ok(r), "close: %ld", r);
		break;
	case 2:
	case 3: {
		handle = take_le(&in, 8);
		uint64_t offset = take_le(&in, 8);
		size_t len = (size_t)(take_le(&in, 4) % 65537);
		/* Exactly `len` bytes, so ASan sees any byte past it; a pattern to see which of
		 * them changed. */
		uint8_t *buf = malloc(len ? len : 1);
		CHECK(buf, "malloc");
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)(i * 7 + 3);
		if (op % OPS == 2) {
			r = ops->read(fs, handle, offset, buf, len);
			CHECK(status_ok(r) || (r > 0 && (size_t)r <= len), "read of %zu: %ld", len,
			      r);
			for (size_t i = r > 0 ? (size_t)r : 0; i < len; i++)
				CHECK(buf[i] == (uint8_t)(i * 7 + 3),
				      "read of %zu answered %ld but wrote byte %zu", len, r, i);
		} else {
			r = ops->write(fs, handle, offset, buf, len);
			CHECK(status_ok(r) || (r > 0 && (size_t)r <= len), "write of %zu: %ld", len,
			      r);
			for (size_t i = 0; i < len; i++)
				CHECK(buf[i] == (uint8_t)(i * 7 + 3), "write changed its buffer");
		}
		free(buf);
		break;
	}
	case 4: {
		handle = take_le(&in, 8);
		r = ops->truncate(fs, handle, take_le(&in, 8));
		CHECK(status_ok(r), "truncate: %ld", r);
		break;
	}
	case 5:
		r = ops->getattr(fs, take_le(&in, 8), &attr);
		CHECK(status_ok(r), "getattr: %ld", r);
		break;
	case 6: {
		handle = take_le(&in, 8);
		uint32_t which = (uint32_t)take_le(&in, 4);
		memset(&attr, 0, sizeof attr);
		r = ops->setattr(fs, handle, which, &attr);
		CHECK(status_ok(r), "setattr: %ld", r);
		break;
	}
	case 7: {
		handle = take_le(&in, 8);
		uint64_t cookie = take_le(&in, 8);
		struct vfs_dirent ent;
		memset(&ent, 0xa5, sizeof ent);
		r = ops->readdir(fs, handle, cookie, &ent);
		CHECK(status_ok(r) || r == 1, "readdir: %ld", r);
		if (r == 1) {
			CHECK(ent.name_len >= 1 && ent.name_len <= VFS_NAME_MAX &&
			          ent.name[ent.name_len] == '\0' &&
			          strlen(ent.name) == ent.name_len &&
			          memchr(ent.name, '/', ent.name_len) == NULL,
			      "readdir: a name of %u bytes", ent.name_len);
		}
		break;
	}
	case 8:
		r = ops->stat(fs, take_path(path_a), &attr);
		CHECK(status_ok(r), "stat: %ld", r);
		break;
	case 9: {
		const char *p = take_path(path_a);
		r = ops->mkdir(fs, p, (uint32_t)take_le(&in, 4));
		CHECK(status_ok(r), "mkdir: %ld", r);
		break;
	}
	case 10:
		r = ops->rmdir(fs, take_path(path_a));
		CHECK(status_ok(r), "rmdir: %ld", r);
		break;
	case 11:
		r = ops->unlink(fs, take_path(path_a));
		CHECK(status_ok(r), "unlink: %ld", r);
		break;
	case 12: {
		const char *from = take_path(path_a);
		const char *to = take_path(path_b);
		r = ops->rename(fs, from, to);
		CHECK(status_ok(r), "rename: %ld", r);
		break;
	}
	case 13:
		r = ops->sync(fs, take_le(&in, 8));
		CHECK(status_ok(r), "sync: %ld", r);
		break;
	case 14: {
		struct vfs_statfs st;
		memset(&st, 0xa5, sizeof st);
		r = ops->statfs(fs, &st);
		CHECK(status_ok(r), "statfs: %ld", r);
		if (r == 0) {
			/* the server names its own type (fs_wire.h): any name it gives must come
			 * out NUL-terminated, non-empty and of [a-z0-9] only, else the mount's */
			size_t n = 0;
			while (n < sizeof st.type && st.type[n])
				n++;
			CHECK(n > 0 && n < sizeof st.type, "statfs: type not a string");
			for (size_t i = 0; i < n; i++)
				CHECK((st.type[i] >= 'a' && st.type[i] <= 'z') ||
				          (st.type[i] >= '0' && st.type[i] <= '9'),
				      "statfs: type '%.16s'", st.type);
		}
		break;
	}
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	window = calloc(1, WINDOW);
	CHECK(window, "malloc");
	memset(&ipc_buffer, 0, sizeof ipc_buffer);
	struct remote_fs remote;
	struct vfs_fs fs = remote_fs_init(&remote, EP, window, WINDOW, "vfat");
	in = (struct input){data, size};
	for (unsigned ops = 0; in.n > 0 && ops < 256; ops++) {
		calls = 0;
		run_op(fs.state, take_u8(&in));
	}
	free(window);
	return 0;
}
