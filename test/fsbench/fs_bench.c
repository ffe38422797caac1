/* test/fsbench: the file benchmarks of `make bench` (docs/performance.md, "Files").
 *
 *   fs_tmpfs_open_read4k_close_{idl,posix}: open + read 4 KiB + close of a tmpfs file
 *       through the VFS, with the generated vfs.idl stubs (the path written into the
 *       window, the data left there) and with libm6's POSIX calls (open/read/close: the
 *       path copied in, the data copied out of the window into a buffer);
 *   fs_fat_seq_read_{cold,warm}_per_mib: a 16 MiB file on a FAT32 volume (4 KiB clusters)
 *       on virtio-blk read from start to end in 128 KiB reads, client -> VFS -> FAT
 *       component -> virtio-blk driver, instructions per MiB: the first time (nothing of
 *       it in the FAT component's block cache) and again (all of it there); the warm
 *       read once more through POSIX read() (`..._warm_posix_per_mib`).
 *
 * The counter is the PMU's instruction counter (event INST_RETIRED at EL0 and EL1, which
 * the benchmark kernel lets EL0 read): on QEMU's one CPU it counts the client, the VFS,
 * the FAT component, the driver and the kernel alike, so a figure is the whole system's
 * cost, as Linux's figures are. Under -icount shift=0 the CPU retires nothing while the
 * disk works. Output in run_bench.py's format. The disk (run_bench.py --fs) holds
 * big.bin, whose every 8-byte word is its own offset: each read is checked, outside the
 * counted windows. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <m6/debug.h>
#include <m6/files.h>
#include <m6/format.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6_caps.h>

#include "bench_util.h"

#include "path.h" /* before fs.h */

#include "fs.h"
#include "vfs_idl.h"

#ifdef BENCH_QUICK
#define SAMPLES    11u
#define LOOP       10u
#define FILE_BYTES (2u << 20) /* of big.bin's 16 MiB */
#else
#define SAMPLES    1001u /* odd: the median is one sample */
#define LOOP       1000u
#define FILE_BYTES (16u << 20)
#endif
#define WARMUP     4u
#define SMALL      4096u
#define READ_BYTES (128u * 1024u)

#define WIN        ((uint8_t *)M6_WINDOW_VFS_VADDR)
#define WIN_DATA   4096u /* where data goes in the window; paths go at 0 */
_Static_assert(M6_WINDOW_VFS_SIZE >= WIN_DATA + READ_BYTES, "the window holds one read");

static const char small_path[] = "/tmp/small";
static const char big_path[] = "/disk/big.bin";
static uint32_t read_pair; /* the counter read pair's own instructions */
static uint8_t posix_buf[READ_BYTES] __attribute__((aligned(64)));
static uint32_t sample[SAMPLES];

/* ---- open + read 4 KiB + close of a tmpfs file ---- */

/* Through the stubs: the path into the window (part of the operation, as a system call
 * reads its path from the caller's memory), then the three calls. 0 or a failure. */
static int idl_once(void)
{
	int64_t fd = -1, n = -1, r = -1;
	memcpy(WIN, small_path, sizeof(small_path) - 1);
	if (vfs_open(CAP_VFS, 0, sizeof(small_path) - 1, VFS_O_RDONLY, 0, &fd) != M6_OK || fd < 0)
		return -1;
	uint64_t e = vfs_read(CAP_VFS, (uint32_t)fd, WIN_DATA, SMALL, &n);
	if (vfs_close(CAP_VFS, (uint32_t)fd, &r) != M6_OK || e != M6_OK || n != SMALL || r != 0)
		return -1;
	return 0;
}

static int posix_once(void)
{
	int fd = open(small_path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, posix_buf, SMALL);
	if (close(fd) != 0 || n != SMALL)
		return -1;
	return 0;
}

static void small_file(const char *name, int (*once)(void))
{
	for (unsigned i = 0; i < WARMUP; i++)
		if (once() != 0)
			bench_fail(name);
	for (unsigned i = 0; i < SAMPLES; i++) {
		uint32_t t0 = bench_counter();
		int r = once();
		uint32_t t1 = bench_counter();
		if (r != 0)
			bench_fail(name);
		sample[i] = t1 - t0 - read_pair;
	}
	unsigned bad = 0;
	uint32_t t0 = bench_counter();
	for (unsigned i = 0; i < LOOP; i++)
		bad += once() != 0;
	uint32_t t1 = bench_counter();
	if (bad)
		bench_fail(name);
	bench_report(name, sample, SAMPLES, (t1 - t0 - read_pair) / LOOP);
}

static bool make_small_file(void)
{
	int fd = open(small_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return false;
	for (unsigned i = 0; i < SMALL; i++)
		posix_buf[i] = (uint8_t)(i * 13);
	ssize_t n = write(fd, posix_buf, SMALL);
	return close(fd) == 0 && n == SMALL;
}

/* ---- sequential read of a FAT32 file ---- */

/* Every 8-byte word of big.bin is its own offset. */
static bool contents_ok(const uint8_t *p, uint64_t offset, uint32_t len)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	for (uint32_t i = 0; i < len / 8; i++)
		if (w[i] != offset + 8u * i)
			return false;
	return true;
}

/* Reads FILE_BYTES of big.bin from the start, each call counted alone (the check between
 * calls is not): instructions per MiB, or 0 after a failure. */
static uint64_t seq_read(bool posix)
{
	uint64_t total = 0;
	uint32_t t0, t1;
	int64_t fd = -1, r = -1;
	bool ok = true;

	t0 = bench_counter();
	if (posix) {
		fd = open(big_path, O_RDONLY);
	} else {
		memcpy(WIN, big_path, sizeof(big_path) - 1);
		if (vfs_open(CAP_VFS, 0, sizeof(big_path) - 1, VFS_O_RDONLY, 0, &fd) != M6_OK)
			fd = -1;
	}
	t1 = bench_counter();
	total += t1 - t0 - read_pair;
	if (fd < 0) {
		bench_fail("open /disk/big.bin");
		return 0;
	}
	for (uint64_t off = 0; off < FILE_BYTES && ok; off += READ_BYTES) {
		int64_t n = -1;
		const uint8_t *at = posix ? posix_buf : WIN + WIN_DATA;
		t0 = bench_counter();
		if (posix)
			n = read((int)fd, posix_buf, READ_BYTES);
		else if (vfs_read(CAP_VFS, (uint32_t)fd, WIN_DATA, READ_BYTES, &n) != M6_OK)
			n = -1;
		t1 = bench_counter();
		total += t1 - t0 - read_pair;
		ok = n == READ_BYTES && contents_ok(at, off, READ_BYTES);
	}
	t0 = bench_counter();
	if (posix)
		r = close((int)fd);
	else if (vfs_close(CAP_VFS, (uint32_t)fd, &r) != M6_OK)
		r = -1;
	t1 = bench_counter();
	total += t1 - t0 - read_pair;
	if (!ok || r != 0) {
		bench_fail("reading /disk/big.bin: a short read, wrong bytes or a failed close");
		return 0;
	}
	return total * (1u << 20) / FILE_BYTES;
}

int main(void)
{
	/* The smallest of several tries: one pair can straddle an interrupt (and did, once
	 * the code moved by a few instructions), which would be subtracted from every sample. */
	read_pair = UINT32_MAX;
	for (int i = 0; i < 16; i++) {
		uint32_t t0 = bench_counter();
		uint32_t t1 = bench_counter();
		if (t1 - t0 < read_pair)
			read_pair = t1 - t0;
	}
	if (!m6_files_ready()) {
		bench_fail("m6::files has no VFS");
	} else if (!make_small_file()) {
		bench_fail("making /tmp/small");
	} else {
		small_file("fs_tmpfs_open_read4k_close_idl", idl_once);
		small_file("fs_tmpfs_open_read4k_close_posix", posix_once);
		bench_value("fs_fat_seq_read_cold_per_mib", seq_read(false));
		bench_value("fs_fat_seq_read_warm_per_mib", seq_read(false));
		bench_value("fs_fat_seq_read_warm_posix_per_mib", seq_read(true));
	}
	bench_say("bench: done, ");
	bench_say_u64(bench_failures);
	bench_say(" failures\n");
	m6_power_off(CAP_POWER);
	return 0;
}
