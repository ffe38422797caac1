/* The Linux side of the NVMe read benchmark (test/nvme/linux_nvme_bench.py; figures in
 * docs/performance.md): /init of an initramfs on Debian's arm64 Linux in QEMU, on the same
 * QEMU NVMe controller and 64 MiB disk as m6's nvmebench, under -icount shift=0.
 *
 * It loads the NVMe modules (Debian builds NVMe as modules; the runner puts them and their
 * dependencies at /m0.ko, /m1.ko ... in load order), waits for
 * /dev/nvme0n1, and for each I/O scheduler named on the command line (`none`,
 * `mq-deadline`) measures 4 KiB random reads with O_DIRECT, at the same 4 KiB-aligned
 * offsets as m6's benchmark (xorshift64*, the same seed):
 *   - QD1: 1001 single preads after 64 warm-up reads, each between two reads of the
 *     counter; the median, minimum and mean, less the cost of an empty counter-read pair;
 *     then the same count of preads in one loop, the counter's total divided by them
 *     (`_loop`: no per-sample counter reads, which cost thousands of instructions each);
 *   - QD32: 8192 reads with 32 in flight through Linux AIO (io_submit/io_getevents, as
 *     fio's libaio engine), the counter's total over the run divided by the reads.
 * The counter is PERF_COUNT_HW_INSTRUCTIONS for the whole of CPU 0 (pid -1), user and
 * kernel: QEMU's one CPU, so every instruction of the path, interrupts included, as m6's
 * figures count the client, the driver and the kernel. Idle retires nothing under -icount,
 * but entering and leaving it does. `task_only=` is the same span counted for this process
 * alone (its user and kernel time, not the idle loop or interrupts that land elsewhere).
 * Output lines: `linux-bench: SCHED NAME key=value ...`; then power off. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define QD1_SAMPLES 1001u
#define WARMUP      64u
#define QD32_READS  8192u
#define QD32        32u
#define READ_BYTES  4096u
#define DEVICE      "/dev/nvme0n1"

static int counter_fd = -1; /* CPU 0, every context: the figures */
static int task_fd = -1;    /* this process only (user and kernel): for comparison */
static uint64_t slots;
static uint64_t rng;

static void die(const char *what)
{
	printf("linux-bench: FAIL: %s: %s\n", what, strerror(errno));
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	exit(1);
}

static uint64_t read_counter(int fd)
{
	uint64_t v;
	if (read(fd, &v, sizeof v) != sizeof v)
		die("read the instruction counter");
	return v;
}

static uint64_t counter(void)
{
	return read_counter(counter_fd);
}

/* The same generator and seed as test/blkbench/blk_bench.c. */
static uint64_t random_offset(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (rng * 0x2545f4914f6cdd1dull) % slots * READ_BYTES;
}

static void load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)
		die("finit_module");
	close(fd);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int disk;
static void *buffers;

static long io_setup(unsigned n, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, n, ctx);
}

static long io_submit(aio_context_t ctx, long n, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, n, iocbs);
}

static long io_getevents(aio_context_t ctx, long min, long max, struct io_event *events)
{
	return syscall(SYS_io_getevents, ctx, min, max, events, NULL);
}

/* QD32 with Linux AIO (io_submit / io_getevents on the O_DIRECT file, as fio's libaio
 * engine): 32 reads in flight; each batch of answers is replaced by as many new reads,
 * submitted in one call. */
static uint64_t qd32(void)
{
	static struct iocb cb[QD32];
	struct iocb *list[QD32];
	struct io_event ev[QD32];
	aio_context_t ctx = 0;
	if (io_setup(QD32, &ctx) != 0)
		die("io_setup");
	unsigned sent = 0, done = 0;
	for (unsigned i = 0; i < QD32; i++) {
		memset(&cb[i], 0, sizeof cb[i]);
		cb[i].aio_fildes = (uint32_t)disk;
		cb[i].aio_lio_opcode = IOCB_CMD_PREAD;
		cb[i].aio_buf = (uint64_t)(uintptr_t)((char *)buffers + i * READ_BYTES);
		cb[i].aio_nbytes = READ_BYTES;
		cb[i].aio_data = i;
	}
	uint64_t t0 = counter();
	for (unsigned i = 0; i < QD32; i++) {
		cb[i].aio_offset = (int64_t)random_offset();
		list[i] = &cb[i];
	}
	if (io_submit(ctx, QD32, list) != QD32)
		die("io_submit");
	sent = QD32;
	while (done < QD32_READS) {
		long n = io_getevents(ctx, 1, QD32, ev);
		if (n <= 0)
			die("io_getevents");
		long again = 0;
		for (long k = 0; k < n; k++) {
			if (ev[k].res != READ_BYTES)
				die("an AIO read failed");
			done++;
			if (sent < QD32_READS) {
				struct iocb *c = &cb[ev[k].data];
				c->aio_offset = (int64_t)random_offset();
				list[again++] = c;
				sent++;
			}
		}
		if (again && io_submit(ctx, again, list) != again)
			die("io_submit");
	}
	uint64_t t1 = counter();
	syscall(SYS_io_destroy, ctx);
	return (t1 - t0) / QD32_READS;
}

static void run(const char *sched)
{
	FILE *f = fopen("/sys/block/nvme0n1/queue/scheduler", "w");
	if (!f || fputs(sched, f) < 0 || fclose(f) != 0)
		die("set the I/O scheduler");
	rng = 0x9e3779b97f4a7c15ull;
	static uint64_t sample[QD1_SAMPLES];
	for (unsigned i = 0; i < WARMUP; i++)
		if (pread(disk, buffers, READ_BYTES, (off_t)random_offset()) != READ_BYTES)
			die("pread (warm-up)");
	/* The cost of the measurement itself: an empty counter-read pair, its minimum. */
	uint64_t pair = UINT64_MAX;
	for (unsigned i = 0; i < 101; i++) {
		uint64_t t0 = counter(), t1 = counter();
		if (t1 - t0 < pair)
			pair = t1 - t0;
	}
	uint64_t total = 0;
	for (unsigned i = 0; i < QD1_SAMPLES; i++) {
		uint64_t off = random_offset();
		uint64_t t0 = counter();
		ssize_t r = pread(disk, buffers, READ_BYTES, (off_t)off);
		uint64_t t1 = counter();
		if (r != READ_BYTES)
			die("pread (qd1)");
		sample[i] = t1 - t0 > pair ? t1 - t0 - pair : 0;
		total += sample[i];
	}
	qsort(sample, QD1_SAMPLES, sizeof sample[0], cmp_u64);
	printf("linux-bench: %s nvme_read_4k_qd1 median=%llu min=%llu avg=%llu max=%llu "
	       "pair=%llu n=%u\n",
	       sched, (unsigned long long)sample[QD1_SAMPLES / 2], (unsigned long long)sample[0],
	       (unsigned long long)(total / QD1_SAMPLES),
	       (unsigned long long)sample[QD1_SAMPLES - 1], (unsigned long long)pair, QD1_SAMPLES);

	/* The same reads with one counter-read pair around them all: no per-sample cost. */
	uint64_t k0 = read_counter(task_fd), t0 = counter();
	for (unsigned i = 0; i < QD1_SAMPLES; i++)
		if (pread(disk, buffers, READ_BYTES, (off_t)random_offset()) != READ_BYTES)
			die("pread (qd1 loop)");
	uint64_t t1 = counter(), k1 = read_counter(task_fd);
	printf("linux-bench: %s nvme_read_4k_qd1_loop value=%llu task_only=%llu\n", sched,
	       (unsigned long long)((t1 - t0) / QD1_SAMPLES),
	       (unsigned long long)((k1 - k0) / QD1_SAMPLES));
	k0 = read_counter(task_fd);
	uint64_t v = qd32();
	k1 = read_counter(task_fd);
	printf("linux-bench: %s nvme_read_4k_qd32 value=%llu task_only=%llu\n", sched,
	       (unsigned long long)v, (unsigned long long)((k1 - k0) / QD32_READS));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	mkdir("/dev", 0755);
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0 && errno != EBUSY)
		die("mount /dev");
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0)
		die("mount /sys");
	/* /m0.ko, /m1.ko ...: NVMe and its dependencies in load order (the runner's). */
	for (unsigned i = 0;; i++) {
		char path[32];
		snprintf(path, sizeof path, "/m%u.ko", i);
		if (access(path, R_OK) != 0)
			break;
		load_module(path);
	}
	for (unsigned i = 0; access(DEVICE, R_OK) != 0; i++) {
		if (i == 1000)
			die("no " DEVICE " after 10 s");
		usleep(10000);
	}
	disk = open(DEVICE, O_RDONLY | O_DIRECT);
	if (disk < 0)
		die("open " DEVICE);
	off_t size = lseek(disk, 0, SEEK_END);
	if (size < (off_t)(64 << 20))
		die("the disk is smaller than 64 MiB");
	slots = (uint64_t)size / READ_BYTES;
	if (posix_memalign(&buffers, 4096, QD32 * READ_BYTES) != 0)
		die("posix_memalign");

	struct perf_event_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.size = sizeof attr;
	attr.type = PERF_TYPE_HARDWARE;
	attr.config = PERF_COUNT_HW_INSTRUCTIONS;
	counter_fd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, 0);
	if (counter_fd < 0)
		die("perf_event_open (instructions, CPU 0)");
	task_fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	if (task_fd < 0)
		die("perf_event_open (instructions, this process)");

	/* Let the boot's deferred work (the device's async probe, partition scan, udev-less
	 * uevents, RCU) finish, so it does not land inside the figures. */
	sleep(3);
	for (int i = 1; i < argc; i++)
		run(argv[i]);
	printf("linux-bench: done\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
