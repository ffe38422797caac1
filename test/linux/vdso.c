/*
 * The vDSO, as a program finds it: AT_SYSINFO_EHDR names an ELF whose dynamic symbols
 * (looked up here through DT_HASH, DT_SYMTAB, DT_STRTAB and the version tables, as glibc
 * does) include __kernel_clock_gettime, __kernel_gettimeofday, __kernel_clock_getres and
 * __kernel_rt_sigreturn under version LINUX_2.6.39. Each time function is called directly
 * and checked against the system call for the same clock: a system-call reading taken
 * between two vDSO readings lies between them (same clock, same epoch). A vDSO reading is
 * taken without the kernel: a bad pointer kills the caller with SIGSEGV where the system
 * call answers EFAULT. Prints checks, never times, so the output is the same everywhere.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef int (*gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);

static int failures;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

/* The vDSO's symbol `name` of version `version`, or NULL. */
static void *vdso_sym(uintptr_t base, const char *name, const char *version)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	uintptr_t load = 0;
	const Elf64_Dyn *dyn = NULL;
	int have_load = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			load = base + ph[i].p_offset - ph[i].p_vaddr;
			have_load = 1;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
		}
	}
	if (!dyn || !have_load)
		return NULL;
	const Elf64_Sym *sym = NULL;
	const char *str = NULL;
	const Elf32_Word *hash = NULL;
	const Elf64_Half *versym = NULL;
	const Elf64_Verdef *verdef = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			sym = (const Elf64_Sym *)(load + dyn->d_un.d_ptr);
			break;
		case DT_STRTAB:
			str = (const char *)(load + dyn->d_un.d_ptr);
			break;
		case DT_HASH:
			hash = (const Elf32_Word *)(load + dyn->d_un.d_ptr);
			break;
		case DT_VERSYM:
			versym = (const Elf64_Half *)(load + dyn->d_un.d_ptr);
			break;
		case DT_VERDEF:
			verdef = (const Elf64_Verdef *)(load + dyn->d_un.d_ptr);
			break;
		}
	}
	if (!sym || !str || !hash || !versym || !verdef)
		return NULL;
	for (Elf32_Word i = 0; i < hash[1]; i++) { /* nchain: the number of symbols */
		if (sym[i].st_shndx == SHN_UNDEF || strcmp(str + sym[i].st_name, name) != 0)
			continue;
		const Elf64_Verdef *d = verdef;
		for (;;) {
			if (d->vd_ndx == (versym[i] & 0x7fff)) {
				const Elf64_Verdaux *a =
				    (const Elf64_Verdaux *)((const char *)d + d->vd_aux);
				if (strcmp(str + a->vda_name, version) == 0)
					return (void *)(load + sym[i].st_value);
				break;
			}
			if (!d->vd_next)
				break;
			d = (const Elf64_Verdef *)((const char *)d + d->vd_next);
		}
	}
	return NULL;
}

static long long ns_of(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(void)
{
	uintptr_t base = getauxval(AT_SYSINFO_EHDR);
	check(base != 0 && memcmp((const void *)base, ELFMAG, SELFMAG) == 0,
	      "AT_SYSINFO_EHDR is an ELF");
	if (!base)
		return 1;
	gettime_fn gettime = vdso_sym(base, "__kernel_clock_gettime", "LINUX_2.6.39");
	gettimeofday_fn gtod = vdso_sym(base, "__kernel_gettimeofday", "LINUX_2.6.39");
	gettime_fn getres = vdso_sym(base, "__kernel_clock_getres", "LINUX_2.6.39");
	const uint32_t *sigret = vdso_sym(base, "__kernel_rt_sigreturn", "LINUX_2.6.39");
	check(gettime && gtod && getres && sigret, "four symbols at LINUX_2.6.39");
	if (!gettime || !gtod || !getres || !sigret)
		return 1;
	check(vdso_sym(base, "__kernel_clock_gettime", "LINUX_2.6") == NULL,
	      "no symbol under another version");
	/* mov x8, #139 (rt_sigreturn); svc #0 */
	check(sigret[0] == 0xd2801168u && sigret[1] == 0xd4000001u,
	      "__kernel_rt_sigreturn is rt_sigreturn");

	static const struct {
		clockid_t id;
		const char *name;
	} clocks[] = {
	    {CLOCK_REALTIME, "CLOCK_REALTIME"},
	    {CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
	    {CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"},
	    {CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
	};
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		struct timespec a, b, c;
		int ra = gettime(clocks[i].id, &a);
		int rb = (int)syscall(SYS_clock_gettime, clocks[i].id, &b);
		int rc = gettime(clocks[i].id, &c);
		char what[96];
		snprintf(what, sizeof(what), "%s: vDSO, syscall, vDSO in order", clocks[i].name);
		check(ra == 0 && rb == 0 && rc == 0 && ns_of(&a) <= ns_of(&b) &&
		          ns_of(&b) <= ns_of(&c) && a.tv_nsec >= 0 && a.tv_nsec < 1000000000,
		      what);
		struct timespec r1, r2;
		snprintf(what, sizeof(what), "%s: resolution as the syscall's", clocks[i].name);
		check(getres(clocks[i].id, &r1) == 0 &&
		          syscall(SYS_clock_getres, clocks[i].id, &r2) == 0 &&
		          r1.tv_sec == r2.tv_sec && r1.tv_nsec == r2.tv_nsec && r1.tv_sec == 0 &&
		          r1.tv_nsec > 0,
		      what);
	}
	/* The coarse clocks may lag the precise ones by a tick: only their order is checked. */
	struct timespec c1, c2;
	check(gettime(CLOCK_MONOTONIC_COARSE, &c1) == 0 &&
	          gettime(CLOCK_MONOTONIC_COARSE, &c2) == 0 && ns_of(&c1) <= ns_of(&c2) &&
	          gettime(CLOCK_REALTIME_COARSE, &c1) == 0,
	      "coarse clocks read");

	/* gettimeofday and CLOCK_REALTIME are one clock */
	struct timespec t1, t2;
	struct timeval tv;
	struct timezone tz = {123, 456};
	int r1 = gettime(CLOCK_REALTIME, &t1);
	int r2 = gtod(&tv, &tz);
	int r3 = gettime(CLOCK_REALTIME, &t2);
	long long us = (long long)tv.tv_sec * 1000000LL + tv.tv_usec;
	check(r1 == 0 && r2 == 0 && r3 == 0 && ns_of(&t1) / 1000 <= us && us <= ns_of(&t2) / 1000,
	      "gettimeofday within CLOCK_REALTIME");
	check(tz.tz_minuteswest == 0 && tz.tz_dsttime == 0, "time zone UTC");

	/* glibc's own calls go through the vDSO too, monotonic across many reads */
	struct timespec prev, now;
	int ordered = clock_gettime(CLOCK_MONOTONIC, &prev) == 0;
	for (int i = 0; i < 1000 && ordered; i++) {
		ordered = clock_gettime(CLOCK_MONOTONIC, &now) == 0 && ns_of(&prev) <= ns_of(&now);
		prev = now;
	}
	check(ordered, "glibc clock_gettime monotonic over 1000 reads");

	/* clocks it does not serve go to the system call, errors included */
	struct timespec cpu;
	check(gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0 && cpu.tv_nsec >= 0,
	      "CLOCK_PROCESS_CPUTIME_ID through the syscall");
	check(gettime(99, &cpu) == -EINVAL, "clock 99: -EINVAL from the syscall");
	check(gettime(CLOCK_PROCESS_CPUTIME_ID, (struct timespec *)8) == -EFAULT,
	      "CPU-time clock, bad pointer: -EFAULT from the syscall");

	/* a served clock is written by the vDSO itself: a bad pointer is a fault in the
	 * caller, not an EFAULT from a kernel */
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		gettime(CLOCK_MONOTONIC, (struct timespec *)8);
		_exit(0);
	}
	int status = 0;
	check(child > 0 && waitpid(child, &status, 0) == child && WIFSIGNALED(status) &&
	          WTERMSIG(status) == SIGSEGV,
	      "CLOCK_MONOTONIC, bad pointer: SIGSEGV in user space");
	/* and a fork child has the vDSO at the same place */
	child = fork();
	if (child == 0) {
		struct timespec t;
		_exit(gettime(CLOCK_MONOTONIC, &t) == 0 && t.tv_sec >= 0 ? 7 : 1);
	}
	check(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	          WEXITSTATUS(status) == 7,
	      "a fork child's vDSO works");

	/* clock_nanosleep's errors: the raw call answers -errno, glibc returns it positive */
	struct timespec short_sleep = {0, 1000};
	check(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &short_sleep, NULL) == -1 &&
	          errno == EOPNOTSUPP,
	      "clock_nanosleep(CLOCK_THREAD_CPUTIME_ID): -1, EOPNOTSUPP (no sleep on it)");
	check(clock_nanosleep(CLOCK_MONOTONIC, 0x100, &short_sleep, NULL) == 0,
	      "clock_nanosleep, unknown flag bits ignored: 0");
	check(clock_nanosleep(CLOCK_MONOTONIC, 0, (struct timespec *)8, NULL) == EFAULT,
	      "clock_nanosleep, bad pointer: EFAULT");
	check(clock_nanosleep(CLOCK_MONOTONIC, 0, &short_sleep, NULL) == 0,
	      "clock_nanosleep of 1 us: 0");
	printf("%d failures\n", failures);
	return failures != 0;
}
