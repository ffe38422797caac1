/* test/lbench: the Linux layer's benchmarks of `make bench` (docs/performance.md, "Linux
 * layer"). A static ARM64 Linux program that the shim runs on the benchmark kernel; it
 * reads the PMU's instruction counter (event INST_RETIRED at EL0 and EL1, which the
 * benchmark kernel lets EL0 read) around each operation. On QEMU's one CPU that counts
 * this process, its children, the shim, the VFS and the kernel alike: a figure is the
 * whole system's cost of the operation, as the native Linux figures it is compared with.
 *
 *   linux_getpid:                 one `svc` with x8 = getpid, written in asm (no libc);
 *   linux_pipe_roundtrip:         write 1 byte into a pipe, a forked child reads it and
 *                                 writes 1 byte back into a second pipe, read it here;
 *   linux_open_read4k_close:      open + read 4 KiB + close of a file on the tmpfs at /tmp;
 *   linux_mmap_touch_munmap:      mmap of one anonymous page, one store into it, munmap;
 *   linux_fork_exit_wait:         fork, the child _exits at once, waitpid here;
 *   linux_fork_exec_wait:         fork, the child execs /bin/lbench_true (no libc: exit(0)
 *                                 in 3 instructions), waitpid here;
 *   linux_busybox_sh_c:           fork, the child execs busybox's shell through its applet
 *                                 link, `/bin/sh -c true` (start-up, parse, the builtin),
 *                                 waitpid here: issue 13's start-up figure.
 *
 * Each figure: a few warm-up operations, then SAMPLES operations each between two counter
 * reads (the read pair's own instructions, measured first, subtracted), min, median, max;
 * avg is one counter pair around a loop of LOOP operations, read pair subtracted, divided.
 * Output in run_bench.py's format; argument "quick" (bench.smoke) takes few samples. A second
 * argument runs only the benchmarks whose name contains it ("none": only the start-up),
 * which is how docs/performance.md's instruction traces of one operation were taken. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SAMPLES 1001u
#define SMALL       4096u

static unsigned failures;
static uint32_t read_pair;
static uint32_t sample[MAX_SAMPLES];
static unsigned samples, loop, heavy_samples, heavy_loop;
static const char small_path[] = "/tmp/small";
static const char true_path[] = "/bin/lbench_true";
static const char sh_path[] = "/bin/sh"; /* a link to /bin/busybox */
static char buf[SMALL] __attribute__((aligned(64)));
static const char *only;

static int wanted(const char *name)
{
	return only == NULL || strstr(name, only) != NULL;
}

static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(1, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static void fail(const char *what)
{
	failures++;
	say("bench: FAIL %s\n", what);
}

static inline uint32_t counter(void)
{
	uint64_t v;
	__asm__ volatile("isb\n\tmrs %0, pmevcntr0_el0\n\tisb" : "=r"(v)::"memory");
	return (uint32_t)v;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* One operation; returns 0 when it did what it should (checked outside no window: the
 * checks are a few instructions next to thousands, and they keep a broken operation from
 * producing a figure). */
typedef int (*op_fn)(void);

static void measure(const char *name, op_fn op, unsigned n, unsigned lp)
{
	if (!wanted(name))
		return;
	for (unsigned i = 0; i < 4; i++)
		if (op() != 0) {
			fail(name);
			return;
		}
	for (unsigned i = 0; i < n; i++) {
		uint32_t t0 = counter();
		int bad = op();
		uint32_t t1 = counter();
		if (bad) {
			fail(name);
			return;
		}
		sample[i] = t1 - t0 - read_pair;
	}
	int bad = 0;
	uint32_t t0 = counter();
	for (unsigned i = 0; i < lp; i++)
		bad |= op();
	uint32_t t1 = counter();
	if (bad) {
		fail(name);
		return;
	}
	qsort(sample, n, sizeof(sample[0]), cmp_u32);
	say("bench: %s min=%u median=%u avg=%u max=%u n=%u\n", name, sample[0], sample[n / 2],
	    (t1 - t0 - read_pair) / lp, sample[n - 1], n);
}

/* getpid: the window is one asm block holding only the svc, as the kernel suite's. */
static void bench_getpid(void)
{
	if (!wanted("linux_getpid"))
		return;
	for (unsigned i = 0; i < 4; i++)
		(void)syscall(SYS_getpid);
	for (unsigned i = 0; i < samples; i++) {
		uint64_t t0, t1;
		register uint64_t x0 __asm__("x0");
		register uint64_t x8 __asm__("x8") = SYS_getpid;
		__asm__ volatile("isb\n\tmrs %0, pmevcntr0_el0\n\tisb\n\t"
		                 "svc #0\n\t"
		                 "isb\n\tmrs %1, pmevcntr0_el0"
		                 : "=&r"(t0), "=&r"(t1), "=r"(x0)
		                 : "r"(x8)
		                 : "memory");
		sample[i] = (uint32_t)t1 - (uint32_t)t0 - read_pair;
		if ((pid_t)x0 != getpid()) {
			fail("linux_getpid");
			return;
		}
	}
	uint32_t t0 = counter();
	for (unsigned i = 0; i < loop; i++) {
		register uint64_t x0 __asm__("x0");
		register uint64_t x8 __asm__("x8") = SYS_getpid;
		__asm__ volatile("svc #0" : "=r"(x0) : "r"(x8) : "memory");
	}
	uint32_t t1 = counter();
	qsort(sample, samples, sizeof(sample[0]), cmp_u32);
	say("bench: linux_getpid min=%u median=%u avg=%u max=%u n=%u\n", sample[0],
	    sample[samples / 2], (t1 - t0 - read_pair) / loop, sample[samples - 1], samples);
}

static int op_open_read_close(void)
{
	int fd = open(small_path, O_RDONLY);
	if (fd < 0)
		return 1;
	ssize_t got = read(fd, buf, SMALL);
	return close(fd) != 0 || got != SMALL;
}

static int op_mmap_touch_munmap(void)
{
	volatile char *p =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	p[0] = 1;
	return munmap((void *)p, 4096) != 0;
}

static int to_child[2], from_child[2];

static int op_pipe_roundtrip(void)
{
	char c = 'p';
	return write(to_child[1], &c, 1) != 1 || read(from_child[0], &c, 1) != 1 || c != 'c';
}

static int op_fork_exit_wait(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	int status;
	return pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	       WEXITSTATUS(status) != 7;
}

static int op_fork_exec_wait(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = {(char *)true_path, NULL}, *envp[] = {NULL};
		execve(true_path, argv, envp);
		_exit(99);
	}
	int status;
	return pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	       WEXITSTATUS(status) != 0;
}

static int op_busybox_sh_c(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = {"sh", "-c", "true", NULL}, *envp[] = {"PATH=/bin", NULL};
		execve(sh_path, argv, envp);
		_exit(99);
	}
	int status;
	return pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	       WEXITSTATUS(status) != 0;
}

static void bench_pipe(void)
{
	if (!wanted("linux_pipe_roundtrip"))
		return;
	if (pipe(to_child) != 0 || pipe(from_child) != 0) {
		fail("linux_pipe_roundtrip: pipe");
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fail("linux_pipe_roundtrip: fork");
		return;
	}
	if (pid == 0) {
		/* The partner: answer each byte until the parent closes its end. */
		close(to_child[1]);
		close(from_child[0]);
		char c;
		while (read(to_child[0], &c, 1) == 1) {
			c = 'c';
			if (write(from_child[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(to_child[0]);
	close(from_child[1]);
	measure("linux_pipe_roundtrip", op_pipe_roundtrip, samples, loop);
	close(to_child[1]);
	close(from_child[0]);
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("linux_pipe_roundtrip: the partner's exit");
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "quick") == 0;
	only = argc > 2 ? argv[2] : NULL;
	samples = quick ? 11 : 1001;
	loop = quick ? 10 : 1000;
	heavy_samples = quick ? 5 : 101;
	heavy_loop = quick ? 3 : 100;

	uint32_t best = UINT32_MAX;
	for (int i = 0; i < 16; i++) {
		uint32_t t0 = counter(), t1 = counter();
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	read_pair = best;
	say("bench: linux_pmu_read_pair_overhead value=%u\n", read_pair);

	memset(buf, 'x', sizeof(buf));
	int fd = open(small_path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0 || write(fd, buf, SMALL) != SMALL || close(fd) != 0)
		fail("set-up: /tmp/small");

	bench_getpid();
	measure("linux_open_read4k_close", op_open_read_close, samples, loop);
	measure("linux_mmap_touch_munmap", op_mmap_touch_munmap, samples, loop);
	bench_pipe();
	measure("linux_fork_exit_wait", op_fork_exit_wait, heavy_samples, heavy_loop);
	measure("linux_fork_exec_wait", op_fork_exec_wait, heavy_samples, heavy_loop);
	/* Millions of instructions each (busybox is 1.8 MB), and each run puts the shim's
	 * log lines on the console (its unsupported calls, its exit): few samples, so that
	 * the console's 16 KiB burst holds them and no write waits on the rate limit. */
	measure("linux_busybox_sh_c", op_busybox_sh_c, quick ? 3 : 7, quick ? 2 : 3);
	say("bench: done, %u failures\n", failures);
	return failures != 0;
}
