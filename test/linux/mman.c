/*
 * The mmap family: private and shared anonymous memory, a file mapped private (copied
 * on write, the file unchanged) and shared (changes reach the file at msync and munmap),
 * shared anonymous memory as a futex-guarded counter between a parent and its child,
 * mremap (grow, shrink, move), madvise(MADV_DONTNEED), mincore, and the errors of the
 * obvious misuses. Every step prints one line; a failed step makes the exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static long page;

/* A shared (not FUTEX_PRIVATE) futex: it must meet across processes. */
static long futex(atomic_int *uaddr, int op, int val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

/* A lock in shared memory: 0 free, 1 held, 2 held with waiters. */
static void lock(atomic_int *l)
{
	int c = 0;
	if (atomic_compare_exchange_strong(l, &c, 1))
		return;
	if (c != 2)
		c = atomic_exchange(l, 2);
	while (c != 0) {
		futex(l, FUTEX_WAIT, 2);
		c = atomic_exchange(l, 2);
	}
}

static void unlock(atomic_int *l)
{
	if (atomic_exchange(l, 0) == 2)
		futex(l, FUTEX_WAKE, 1);
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + i / 251);
}

static int all(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* Whether /proc/self/maps has the line of the mapping at `addr` with `perms` in it and
 * `name` at its end. */
static int maps_has(const void *addr, const char *perms, const char *name)
{
	char want[32], line[512];
	snprintf(want, sizeof(want), "%08lx-", (unsigned long)addr);
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;
	while (f && fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		size_t k = strlen(name);
		if (strncmp(line, want, strlen(want)) == 0 && strstr(line, perms) && n >= k &&
		    strcmp(line + n - k, name) == 0)
			found = 1;
	}
	if (f)
		fclose(f);
	return found;
}

#define FILE_SIZE 10000

static void anon(void)
{
	unsigned char *m =
	    mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(m != MAP_FAILED && all(m, 3 * page, 0), "anonymous private: zero-filled");
	memset(m, 0x5a, 3 * page);
	check(all(m + 2 * page, page, 0x5a), "anonymous private: written");
	check(munmap(m, 3 * page) == 0, "munmap");
	errno = 0;
	check(mmap(NULL, page, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL,
	      "neither MAP_SHARED nor MAP_PRIVATE: EINVAL");
	errno = 0;
	check(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED &&
	          errno == EINVAL,
	      "length 0: EINVAL");
}

static void file_private(void)
{
	static unsigned char buf[FILE_SIZE];
	for (size_t i = 0; i < FILE_SIZE; i++)
		buf[i] = pattern(i);
	int fd = open("/tmp/mman.dat", O_CREAT | O_TRUNC | O_RDWR, 0644);
	check(fd >= 0 && write(fd, buf, FILE_SIZE) == FILE_SIZE, "a 10000-byte file");
	unsigned char *m = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	check(m != MAP_FAILED, "mmap the file MAP_PRIVATE");
	check(maps_has(m, " rw-p 00000000 ", "/tmp/mman.dat"),
	      "/proc/self/maps: rw-p, the file's path");
	check(memcmp(m, buf, FILE_SIZE) == 0, "the mapping holds the file");
	check(all(m + FILE_SIZE, 3 * page - FILE_SIZE, 0), "past the end of file: zeros");
	memset(m, 0xee, 100);
	unsigned char first[100];
	check(pread(fd, first, 100, 0) == 100 && memcmp(first, buf, 100) == 0,
	      "a private write leaves the file alone");
	check(munmap(m, 3 * page) == 0, "munmap the private mapping");
	m = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, page);
	check(m != MAP_FAILED && memcmp(m, buf + page, page) == 0, "offset one page");
	munmap(m, page);
	errno = 0;
	check(mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED && errno == EINVAL,
	      "unaligned offset: EINVAL");
	close(fd);
}

static void file_shared(void)
{
	int fd = open("/tmp/mman.dat", O_RDWR);
	unsigned char *m = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED && m[1] == pattern(1), "mmap the file MAP_SHARED");
	check(maps_has(m, " rw-s 00000000 ", "/tmp/mman.dat"),
	      "/proc/self/maps: rw-s, offset 0, the file's path");
	memcpy(m, "written through the mapping", 27);
	memset(m + 9000, 'z', 1000);
	check(msync(m, FILE_SIZE, MS_SYNC) == 0, "msync MS_SYNC");
	unsigned char back[FILE_SIZE];
	check(pread(fd, back, FILE_SIZE, 0) == FILE_SIZE &&
	          memcmp(back, "written through the mapping", 27) == 0 &&
	          all(back + 9000, 1000, 'z') && back[5000] == pattern(5000),
	      "read(2) sees what was written through the mapping");
	pid_t pid = fork();
	if (pid == 0) {
		memcpy(m + 200, "child was here", 14);
		_exit(0); /* no msync: the exit writes it */
	}
	waitpid(pid, NULL, 0);
	check(memcmp(m + 200, "child was here", 14) == 0, "a fork child's write is in the mapping");
	check(pread(fd, back, 14, 200) == 14 && memcmp(back, "child was here", 14) == 0,
	      "and in the file once the child has exited");
	memcpy(m + 4096, "at munmap", 9);
	check(munmap(m, FILE_SIZE) == 0, "munmap the shared mapping");
	check(pread(fd, back, 9, 4096) == 9 && memcmp(back, "at munmap", 9) == 0,
	      "munmap writes the mapping's changes");
	struct stat st;
	check(fstat(fd, &st) == 0 && st.st_size == FILE_SIZE, "the file keeps its size");
	close(fd);

	fd = open("/tmp/mman.dat", O_RDONLY);
	errno = 0;
	check(mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
	          errno == EACCES,
	      "MAP_SHARED writable on a read-only descriptor: EACCES");
	m = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED && memcmp(m, "written", 7) == 0, "MAP_SHARED read-only");
	munmap(m, page);
	close(fd);
	fd = open("/tmp/mman.dat", O_WRONLY);
	errno = 0;
	check(mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED && errno == EACCES,
	      "a write-only descriptor: EACCES");
	close(fd);
	int p[2];
	check(pipe(p) == 0, "pipe");
	errno = 0;
	check(mmap(NULL, page, PROT_READ, MAP_PRIVATE, p[0], 0) == MAP_FAILED && errno == ENODEV,
	      "a pipe: ENODEV");
	close(p[0]);
	close(p[1]);
	errno = 0;
	check(mmap(NULL, page, PROT_READ, MAP_PRIVATE, 99, 0) == MAP_FAILED && errno == EBADF,
	      "a closed descriptor: EBADF");
	unlink("/tmp/mman.dat");
}

/* Parent and child each add 1 to a counter in shared anonymous memory 20000 times under
 * a futex lock; the child then waits on a futex word the parent sets and wakes. */
static void shared_fork(void)
{
	struct shared {
		atomic_int lock, flag, seen;
		int counter;
	} *s = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int *priv = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(s != MAP_FAILED && priv != MAP_FAILED, "MAP_SHARED|MAP_ANONYMOUS");
	*priv = 1;
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 20000; i++) {
			lock(&s->lock);
			s->counter++;
			unlock(&s->lock);
			if (i % 1000 == 0)
				sched_yield();
		}
		*priv = 2; /* private: the parent keeps its 1 */
		while (atomic_load(&s->flag) == 0)
			futex(&s->flag, FUTEX_WAIT, 0);
		atomic_store(&s->seen, 1);
		_exit(0);
	}
	for (int i = 0; i < 20000; i++) {
		lock(&s->lock);
		s->counter++;
		unlock(&s->lock);
		if (i % 1000 == 0)
			sched_yield();
	}
	atomic_store(&s->flag, 1);
	futex(&s->flag, FUTEX_WAKE, 1);
	int status = -1;
	check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child exits 0");
	check(s->counter == 40000, "the shared counter is 40000");
	check(atomic_load(&s->seen) == 1, "the child saw the flag (futex across processes)");
	check(*priv == 1, "private memory stays the parent's");
	munmap(s, page);
	munmap(priv, page);
}

static void remap(void)
{
	unsigned char *m =
	    mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (long i = 0; i < 2 * page; i++)
		m[i] = pattern((size_t)i);
	/* something right after it, so that growing has to move */
	void *block = mmap(m + 2 * page, page, PROT_READ,
	                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	errno = 0;
	check(mremap(m, 2 * page, 8 * page, 0) == MAP_FAILED && errno == ENOMEM,
	      "mremap grow without MREMAP_MAYMOVE: ENOMEM");
	unsigned char *g = mremap(m, 2 * page, 8 * page, MREMAP_MAYMOVE);
	int same = g != MAP_FAILED;
	for (long i = 0; same && i < 2 * page; i++)
		same = g[i] == pattern((size_t)i);
	check(same && all(g + 2 * page, 6 * page, 0), "mremap grow: moved, contents kept");
	unsigned char *s = mremap(g, 8 * page, page, 0);
	check(s == g && s[10] == pattern(10), "mremap shrink in place");
	unsigned char *target = mmap(NULL, 4 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *f = mremap(s, page, 2 * page, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	check(f == target && f[10] == pattern(10) && f[page] == 0, "mremap MREMAP_FIXED");
	void *hole = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, page);
	errno = 0;
	check(mremap(hole, page, page, 0) == MAP_FAILED && errno == EFAULT,
	      "mremap of nothing: EFAULT");
	errno = 0;
	check(mremap(f, page, 2 * page, MREMAP_FIXED, target) == MAP_FAILED && errno == EINVAL,
	      "MREMAP_FIXED without MREMAP_MAYMOVE: EINVAL");
	munmap(f, 4 * page);
	munmap(block, page);
}

static void advise(void)
{
	unsigned char *m =
	    mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	m[0] = 1;
	m[3 * page] = 3;
	unsigned char vec[4] = {9, 9, 9, 9};
	check(mincore(m, 4 * page, vec) == 0 && vec[0] == 1 && vec[1] == 0 && vec[2] == 0 &&
	          vec[3] == 1,
	      "mincore: pages 0 and 3 resident");
	check(madvise(m, 4 * page, MADV_DONTNEED) == 0 && m[0] == 0 && m[3 * page] == 0,
	      "MADV_DONTNEED zeroes private pages");
	check(madvise(m, page, MADV_WILLNEED) == 0 && madvise(m, page, MADV_SEQUENTIAL) == 0,
	      "hints are accepted");
	errno = 0;
	check(madvise(m, page, 12345) == -1 && errno == EINVAL, "unknown advice: EINVAL");
	errno = 0;
	check(madvise(m + 1, page, MADV_DONTNEED) == -1 && errno == EINVAL,
	      "unaligned madvise: EINVAL");
	munmap(m, 4 * page);
	errno = 0;
	check(madvise(m, page, MADV_DONTNEED) == -1 && errno == ENOMEM, "unmapped madvise: ENOMEM");
	errno = 0;
	check(mincore(m, page, vec) == -1 && errno == ENOMEM, "unmapped mincore: ENOMEM");

	unsigned char *sh =
	    mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	sh[0] = 42;
	check(madvise(sh, page, MADV_DONTNEED) == 0 && sh[0] == 42,
	      "MADV_DONTNEED keeps shared memory");
	errno = 0;
	check(msync(sh + 1, page, MS_SYNC) == -1 && errno == EINVAL, "unaligned msync: EINVAL");
	errno = 0;
	check(msync(sh, page, MS_SYNC | MS_ASYNC) == -1 && errno == EINVAL,
	      "MS_SYNC|MS_ASYNC: EINVAL");
	check(msync(sh, page, MS_ASYNC) == 0, "msync of anonymous memory");
	munmap(sh, page);
	errno = 0;
	check(msync(sh, page, MS_SYNC) == -1 && errno == ENOMEM, "unmapped msync: ENOMEM");
}

int main(void)
{
	page = sysconf(_SC_PAGESIZE);
	anon();
	file_private();
	file_shared();
	shared_fork();
	remap();
	advise();
	printf("%s\n", failures ? "some checks failed" : "all checks passed");
	return failures ? 1 : 0;
}
