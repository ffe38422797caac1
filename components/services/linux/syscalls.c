/* The Linux shim's system calls: a table indexed by the AArch64 (generic) syscall number.
 * Each handler gets the process and x0..x5 and returns the value for x0 (-errno on
 * failure). Every number without a handler answers -ENOSYS with one log line.
 *
 * Each number's state (full, partial: what is missing, ENOSYS) is in syscall_states.txt
 * next to this file: adding or changing a handler means updating its line there and
 * running scripts/linux_syscall_table.py --write (ctest linux.syscall_table checks). */
#include <string.h>

#include <m6/runtime.h>
#include <m6/time.h>
#include <m6_caps.h>

#include "block.h"
#include "elf.h"
#include "fd.h"
#include "procfs.h"
#include "shim.h"

typedef int64_t (*handler_fn)(struct proc *p, const uint64_t a[6]);

#define PAGE_UP(x) (((x) + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1))

static int64_t sys_exit(struct proc *p, const uint64_t a[6])
{
	thread_exit(p, (int)a[0]);
	return 0;
}

static int64_t sys_exit_group(struct proc *p, const uint64_t a[6])
{
	proc_exit(p, (int)a[0]);
	return 0;
}

/* The calling thread's id: its own, or the process's for the main thread. */
static int64_t caller_tid(struct proc *p)
{
	return shim_call.thr ? shim_call.thr->tid : p->pid;
}

static int64_t sys_set_tid_address(struct proc *p, const uint64_t a[6])
{
	if (shim_call.thr)
		shim_call.thr->clear_tid = a[0];
	else
		p->clear_tid = a[0];
	return caller_tid(p);
}

static int64_t sys_gettid(struct proc *p, const uint64_t a[6])
{
	(void)a;
	return caller_tid(p);
}

static int64_t sys_zero(struct proc *p, const uint64_t a[6])
{
	(void)p;
	(void)a;
	return 0;
}

static int64_t sys_getpid(struct proc *p, const uint64_t a[6])
{
	(void)a;
	return p->pid;
}

static int64_t sys_uname(struct proc *p, const uint64_t a[6])
{
	char u[6][65];
	memset(u, 0, sizeof(u));
	/* nodename "m6" (/proc/sys/kernel/hostname); no NIS domain, as Linux says it */
	strcpy(u[0], linux_sysname);
	strcpy(u[1], linux_nodename);
	strcpy(u[2], linux_release);
	strcpy(u[3], linux_version);
	strcpy(u[4], "aarch64");
	strcpy(u[5], "(none)");
	return mem_copy_out(p, a[0], u, sizeof(u));
}

#define CLOCK_REALTIME           0
#define CLOCK_MONOTONIC          1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID  3
#define CLOCK_MONOTONIC_RAW      4
#define CLOCK_REALTIME_COARSE    5
#define CLOCK_MONOTONIC_COARSE   6
#define CLOCK_BOOTTIME           7

/* The same clocks as the vDSO's (vdso.c), read the same way: counter time since the counter
 * started, CLOCK_REALTIME plus the wall-clock offset. The CPU-time clocks, which the vDSO
 * sends here, count the same (the shim does not account CPU time per thread yet). */
static int64_t clock_now(uint64_t clock, uint64_t *ns)
{
	if (clock > CLOCK_BOOTTIME)
		return -LINUX_EINVAL;
	*ns = vdso_clock_ns(clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE);
	return 0;
}

static int64_t sys_clock_gettime(struct proc *p, const uint64_t a[6])
{
	uint64_t ns;
	int64_t e = clock_now(a[0], &ns);
	if (e)
		return e;
	int64_t ts[2] = {(int64_t)(ns / 1000000000u), (int64_t)(ns % 1000000000u)};
	return mem_copy_out(p, a[1], ts, sizeof(ts));
}

static int64_t sys_clock_getres(struct proc *p, const uint64_t a[6])
{
	uint64_t ns;
	int64_t e = clock_now(a[0], &ns);
	if (e || a[1] == 0)
		return e;
	/* one counter tick, rounded up to a nanosecond, as the vDSO answers */
	uint64_t f = m6_counter_frequency();
	int64_t ts[2] = {0, (int64_t)((1000000000u + f - 1) / f)};
	return mem_copy_out(p, a[1], ts, sizeof(ts));
}

static int64_t sys_gettimeofday(struct proc *p, const uint64_t a[6])
{
	uint64_t ns = vdso_clock_ns(true);
	if (a[0]) {
		int64_t tv[2] = {(int64_t)(ns / 1000000000u), (int64_t)(ns % 1000000000u / 1000u)};
		int e = mem_copy_out(p, a[0], tv, sizeof(tv));
		if (e)
			return e;
	}
	if (a[1]) {
		int32_t tz[2] = {0, 0}; /* UTC */
		return mem_copy_out(p, a[1], tz, sizeof(tz));
	}
	return 0;
}

#define TIMER_ABSTIME 1

/* reboot(magic, magic2, cmd, arg): Linux's magic numbers and commands. */
#define LINUX_EPERM       1
#define REBOOT_MAGIC1     0xfee1deadu
#define REBOOT_CMD_CAD_ON 0x89abcdefu
#define REBOOT_CMD_HALT   0xcdef0123u
#define REBOOT_CMD_POWER  0x4321fedcu

/* Power off (or halt: the same here) the whole machine, as a Linux init ends a run; only
 * a shim whose spec gives it `syscap power` may, others answer EPERM as Linux does to a
 * caller without CAP_SYS_BOOT. Other commands (restart, kexec) are not offered: EINVAL. */
static int64_t sys_reboot(struct proc *p, const uint64_t a[6])
{
	uint32_t m2 = (uint32_t)a[1];
	if ((uint32_t)a[0] != REBOOT_MAGIC1 ||
	    (m2 != 672274793u && m2 != 85072278u && m2 != 369367448u && m2 != 537993216u))
		return -LINUX_EINVAL;
	uint32_t cmd = (uint32_t)a[2];
	if (cmd == REBOOT_CMD_CAD_ON || cmd == 0)
		return 0; /* Ctrl-Alt-Del on or off: there is no such key here */
	if (cmd != REBOOT_CMD_POWER && cmd != REBOOT_CMD_HALT)
		return -LINUX_EINVAL;
#ifdef CAP_POWER
	shim_log("linux: %s: reboot: power off", p->name);
	m6_power_off(CAP_POWER);
#endif
	(void)p;
	return -LINUX_EPERM;
}

/* Sleep until `deadline` (counter ticks): parked, woken by the shim's timer. */
static int64_t sleep_until(uint64_t deadline)
{
	if (deadline <= m6_counter())
		return 0;
	if (!block_park(NULL, deadline, 0))
		return -LINUX_EAGAIN; /* no timer, or too many waiting threads */
	return LINUX_PARKED;
}

/* The remaining time (a[1]) is never written: only a signal could cut a sleep short. */
static int64_t sys_nanosleep(struct proc *p, const uint64_t a[6])
{
	uint64_t ns;
	int64_t e = block_read_timespec(p, a[0], &ns);
	return e ? e : sleep_until(block_deadline_in(ns));
}

static int64_t sys_clock_nanosleep(struct proc *p, const uint64_t a[6])
{
	/* The raw system call answers -errno like every other (glibc's wrapper turns it
	 * into clock_nanosleep's positive error number). */
	if (a[0] == CLOCK_THREAD_CPUTIME_ID)
		return -95; /* EOPNOTSUPP: Linux has no sleep on a thread's CPU clock */
	if (a[0] > CLOCK_BOOTTIME)
		return -LINUX_EINVAL;
	/* flag bits other than TIMER_ABSTIME are ignored, as Linux ignores them */
	uint64_t ns;
	int64_t e = block_read_timespec(p, a[2], &ns);
	if (e)
		return e;
	if (!(a[1] & TIMER_ABSTIME))
		return sleep_until(block_deadline_in(ns));
	return sleep_until(
	    vdso_abs_to_ticks(ns, a[0] == CLOCK_REALTIME || a[0] == CLOCK_REALTIME_COARSE));
}

static int64_t sys_getrandom(struct proc *p, const uint64_t a[6])
{
	/* Not cryptographic: a counter-seeded generator until m6 has an entropy source. */
	static uint64_t state;
	if (state == 0)
		state = m6_time_ns() | 1;
	uint64_t len = a[1] > 4096 ? 4096 : a[1];
	uint8_t buf[256];
	for (uint64_t done = 0; done < len;) {
		size_t k = len - done < sizeof(buf) ? (size_t)(len - done) : sizeof(buf);
		for (size_t i = 0; i < k; i++) {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			buf[i] = (uint8_t)state;
		}
		int e = mem_copy_out(p, a[0] + done, buf, k);
		if (e)
			return done ? (int64_t)done : e;
		done += k;
	}
	return (int64_t)len;
}

#define RLIMIT_STACK  3
#define RLIMIT_NOFILE 7
#define RLIM_INFINITY UINT64_MAX

static int64_t sys_prlimit64(struct proc *p, const uint64_t a[6])
{
	if (a[0] != 0 && a[0] != (uint64_t)p->pid)
		return -3; /* ESRCH */
	if (a[1] >= 16)
		return -LINUX_EINVAL;
	if (a[3]) {
		uint64_t old[2] = {RLIM_INFINITY, RLIM_INFINITY};
		if (a[1] == RLIMIT_STACK)
			old[0] = LINUX_STACK_SIZE;
		if (a[1] == RLIMIT_NOFILE) /* the size of the descriptor table (fd.h) */
			old[0] = old[1] = LINUX_MAX_FDS;
		int e = mem_copy_out(p, a[3], old, sizeof(old));
		if (e)
			return e;
	}
	return 0; /* new limits are accepted and not enforced */
}

static int64_t sys_brk(struct proc *p, const uint64_t a[6])
{
	uint64_t want = a[0];
	if (want < p->brk_start || want > LINUX_MMAP_TOP)
		return (int64_t)p->brk;
	uint64_t old_end = PAGE_UP(p->brk), new_end = PAGE_UP(want);
	if (new_end > old_end) {
		for (unsigned i = 0; i < p->nvma; i++)
			if (p->vma[i].start < new_end && p->vma[i].end > old_end)
				return (int64_t)p->brk; /* would run into another mapping */
		struct vma *heap = old_end > p->brk_start ? mem_vma_find(p, old_end - 1) : NULL;
		if (heap && heap->kind == VMA_HEAP && heap->end == old_end)
			heap->end = new_end;
		else if (mem_vma_add(p, old_end, new_end, ELF_PROT_READ | ELF_PROT_WRITE, VMA_HEAP))
			return (int64_t)p->brk;
	} else if (new_end < old_end) {
		mem_unmap(p, new_end, old_end);
	}
	p->brk = want;
	return (int64_t)p->brk;
}

static int64_t sys_munmap(struct proc *p, const uint64_t a[6])
{
	if ((a[0] & (PAGE_SIZE - 1)) || a[1] == 0 || a[0] >= LINUX_USER_LIMIT ||
	    a[1] > LINUX_USER_LIMIT - a[0])
		return -LINUX_EINVAL;
	return mem_unmap(p, a[0], a[0] + PAGE_UP(a[1]));
}

static int64_t sys_mprotect(struct proc *p, const uint64_t a[6])
{
	if ((a[0] & (PAGE_SIZE - 1)) || a[2] > 7 || a[0] >= LINUX_USER_LIMIT ||
	    a[1] > LINUX_USER_LIMIT - a[0])
		return -LINUX_EINVAL;
	if (a[1] == 0)
		return 0;
	return mem_protect(p, a[0], a[0] + PAGE_UP(a[1]), (uint32_t)a[2]);
}

/* ---- identity and accounting (docs/linux.md, "Identity") ----
 * One user, root (0): every get call answers 0, and a set call accepts 0 (and -1, "keep",
 * where Linux takes it). Another id is EPERM: nobody else exists to become, and answering
 * 0 for a call that changed nothing would be a lie the next getuid exposes. */

static int64_t set_ids(const uint64_t a[6], int n, bool keep_ok)
{
	for (int i = 0; i < n; i++) {
		uint32_t id = (uint32_t)a[i];
		if (id == 0xffffffffu && !keep_ok)
			return -LINUX_EINVAL;
		if (id != 0 && id != 0xffffffffu)
			return -LINUX_EPERM;
	}
	return 0;
}

static int64_t sys_setuid(struct proc *p, const uint64_t a[6])
{
	(void)p;
	return set_ids(a, 1, false); /* setuid, setgid */
}

static int64_t sys_setreuid(struct proc *p, const uint64_t a[6])
{
	(void)p;
	return set_ids(a, 2, true); /* setreuid, setregid */
}

static int64_t sys_setresuid(struct proc *p, const uint64_t a[6])
{
	(void)p;
	return set_ids(a, 3, true); /* setresuid, setresgid */
}

/* getresuid/getresgid(ruid, euid, suid): three zeros. */
static int64_t sys_getres(struct proc *p, const uint64_t a[6])
{
	uint32_t zero = 0;
	for (int i = 0; i < 3; i++) {
		int e = mem_copy_out(p, a[i], &zero, sizeof(zero));
		if (e)
			return e;
	}
	return 0;
}

/* getgroups(size, list): root has no supplementary groups. */
static int64_t sys_getgroups(struct proc *p, const uint64_t a[6])
{
	(void)p;
	if ((int32_t)a[0] < 0)
		return -LINUX_EINVAL;
	return 0;
}

static int64_t sys_setgroups(struct proc *p, const uint64_t a[6])
{
	(void)p;
	if (a[0] > 65536)
		return -LINUX_EINVAL;
	return 0; /* accepted: nothing checks groups */
}

static int64_t sys_umask(struct proc *p, const uint64_t a[6])
{
	uint32_t old = p->umask;
	p->umask = (uint32_t)a[0] & 0777;
	return old;
}

/* struct sysinfo (arm64): the pool as RAM, no swap, the processes alive. */
static int64_t sys_sysinfo(struct proc *p, const uint64_t a[6])
{
	struct {
		int64_t uptime;
		uint64_t loads[3];
		uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
		uint16_t procs, pad;
		uint32_t pad2;
		uint64_t totalhigh, freehigh;
		uint32_t mem_unit;
		char reserved[4];
	} si;
	_Static_assert(sizeof(si) == 112, "struct sysinfo of arm64 is 112 bytes");
	memset(&si, 0, sizeof(si));
	uint64_t total, free_pages;
	mem_pool_pages(&total, &free_pages);
	si.uptime = (int64_t)(m6_time_ns() / 1000000000u);
	si.totalram = total * PAGE_SIZE;
	si.freeram = free_pages * PAGE_SIZE;
	si.mem_unit = 1;
	for (unsigned i = 0; i < LINUX_MAX_PROCS; i++)
		si.procs += procs[i].used && !procs[i].zombie ? (uint16_t)procs[i].nthreads : 0;
	return mem_copy_out(p, a[0], &si, sizeof(si));
}

/* getrusage(who, usage): no time or faults are counted per process yet: zeros (144
 * bytes), as wait4's rusage. */
static int64_t sys_getrusage(struct proc *p, const uint64_t a[6])
{
	int32_t who = (int32_t)a[0];
	if (who != 0 && who != -1 && who != 1) /* SELF, CHILDREN, THREAD */
		return -LINUX_EINVAL;
	uint8_t ru[144];
	memset(ru, 0, sizeof(ru));
	return mem_copy_out(p, a[1], ru, sizeof(ru));
}

/* times(buf): zeros for the four times; the result is the clock ticks since boot. */
static int64_t sys_times(struct proc *p, const uint64_t a[6])
{
	if (a[0]) {
		int64_t t[4] = {0, 0, 0, 0};
		int e = mem_copy_out(p, a[0], t, sizeof(t));
		if (e)
			return e;
	}
	return (int64_t)(m6_time_ns() / 10000000u);
}

/* personality(persona): PER_LINUX (0) only; 0xffffffff queries. */
static int64_t sys_personality(struct proc *p, const uint64_t a[6])
{
	(void)p;
	if ((uint32_t)a[0] == 0xffffffffu || (uint32_t)a[0] == 0)
		return 0;
	return -LINUX_EINVAL;
}

/* getcpu(cpu, node, cache): one CPU, one node. */
static int64_t sys_getcpu(struct proc *p, const uint64_t a[6])
{
	uint32_t zero = 0;
	for (int i = 0; i < 2; i++)
		if (a[i]) {
			int e = mem_copy_out(p, a[i], &zero, sizeof(zero));
			if (e)
				return e;
		}
	return 0;
}

/* sched_getaffinity(pid, size, mask): CPU 0; the bytes written (a long's worth). */
static int64_t sys_sched_getaffinity(struct proc *p, const uint64_t a[6])
{
	if (a[0] != 0 && !proc_by_pid((int)a[0]))
		return -3; /* ESRCH */
	if (a[1] < 8 || (a[1] & 7))
		return -LINUX_EINVAL;
	uint64_t mask = 1;
	int e = mem_copy_out(p, a[2], &mask, sizeof(mask));
	return e ? e : 8;
}

static int64_t sys_sched_setaffinity(struct proc *p, const uint64_t a[6])
{
	uint64_t mask = 0;
	if (a[0] != 0 && !proc_by_pid((int)a[0]))
		return -3;
	int e = mem_copy_in(p, &mask, a[2], a[1] < 8 ? (size_t)a[1] : 8);
	if (e)
		return e;
	return (mask & 1) ? 0 : -LINUX_EINVAL; /* only CPU 0 exists */
}

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE  3
#define PR_SET_DUMPABLE  4
#define PR_SET_NAME      15
#define PR_GET_NAME      16

/* prctl: the name (comm, as /proc/N/comm shows: 15 bytes), and the harmless flags. */
static int64_t sys_prctl(struct proc *p, const uint64_t a[6])
{
	switch (a[0]) {
	case PR_SET_NAME: {
		char name[16];
		for (size_t i = 0; i < sizeof(name); i++) {
			int e = mem_copy_in(p, &name[i], a[1] + i, 1);
			if (e)
				return e;
			if (name[i] == '\0')
				break;
		}
		name[15] = '\0';
		memcpy(p->comm, name, sizeof(name));
		return 0;
	}
	case PR_GET_NAME:
		return mem_copy_out(p, a[1], p->comm, sizeof(p->comm));
	case PR_SET_PDEATHSIG:
		return a[1] > 64 ? -LINUX_EINVAL : 0; /* accepted: no signals yet */
	case PR_GET_PDEATHSIG: {
		int32_t zero = 0;
		return mem_copy_out(p, a[1], &zero, sizeof(zero));
	}
	case PR_GET_DUMPABLE:
		return 1;
	case PR_SET_DUMPABLE:
		return a[1] > 1 ? -LINUX_EINVAL : 0;
	default:
		return -LINUX_EINVAL;
	}
}

/* capget(header, data): version 3 (two data words); root holds every capability. */
static int64_t sys_capget(struct proc *p, const uint64_t a[6])
{
	uint32_t hdr[2];
	int e = mem_copy_in(p, hdr, a[0], sizeof(hdr));
	if (e)
		return e;
	const uint32_t v1 = 0x19980330u, v2 = 0x20071026u, v3 = 0x20080522u;
	if (hdr[0] != v1 && hdr[0] != v2 && hdr[0] != v3) {
		hdr[0] = v3; /* Linux writes the version it prefers and answers EINVAL */
		e = mem_copy_out(p, a[0], hdr, sizeof(hdr));
		return e ? e : -LINUX_EINVAL;
	}
	if ((int32_t)hdr[1] < 0 || (hdr[1] != 0 && !proc_by_pid((int)hdr[1])))
		return hdr[1] ? -3 : -LINUX_EINVAL;
	if (!a[1])
		return 0;
	/* effective, permitted, inheritable per word; capabilities 0..40 */
	uint32_t data[6] = {0xffffffffu, 0xffffffffu, 0, 0x1ffu, 0x1ffu, 0};
	return mem_copy_out(p, a[1], data, hdr[0] == v1 ? 12 : sizeof(data));
}

/* AArch64 numbers (asm-generic/unistd.h). */
enum {
	NR_getcwd = 17,
	NR_dup = 23,
	NR_dup3 = 24,
	NR_fcntl = 25,
	NR_ioctl = 29,
	NR_mkdirat = 34,
	NR_unlinkat = 35,
	NR_symlinkat = 36,
	NR_statfs = 43,
	NR_fstatfs = 44,
	NR_renameat = 38,
	NR_truncate = 45,
	NR_ftruncate = 46,
	NR_faccessat = 48,
	NR_chdir = 49,
	NR_fchdir = 50,
	NR_fchmod = 52,
	NR_fchmodat = 53,
	NR_fchownat = 54,
	NR_fchown = 55,
	NR_openat = 56,
	NR_close = 57,
	NR_pipe2 = 59,
	NR_getdents64 = 61,
	NR_lseek = 62,
	NR_read = 63,
	NR_write = 64,
	NR_readv = 65,
	NR_writev = 66,
	NR_pread64 = 67,
	NR_pwrite64 = 68,
	NR_readlinkat = 78,
	NR_newfstatat = 79,
	NR_mount = 40,
	NR_reboot = 142,
	NR_ppoll = 73,
	NR_fstat = 80,
	NR_sync = 81,
	NR_fsync = 82,
	NR_fdatasync = 83,
	NR_utimensat = 88,
	NR_exit = 93,
	NR_exit_group = 94,
	NR_waitid = 95,
	NR_set_tid_address = 96,
	NR_futex = 98,
	NR_set_robust_list = 99,
	NR_nanosleep = 101,
	NR_clock_gettime = 113,
	NR_clock_getres = 114,
	NR_clock_nanosleep = 115,
	NR_sched_yield = 124,
	NR_setpgid = 154,
	NR_getpgid = 155,
	NR_getsid = 156,
	NR_setsid = 157,
	NR_uname = 160,
	NR_gettimeofday = 169,
	NR_getpid = 172,
	NR_getppid = 173,
	NR_getuid = 174,
	NR_geteuid = 175,
	NR_getgid = 176,
	NR_getegid = 177,
	NR_gettid = 178,
	NR_brk = 214,
	NR_munmap = 215,
	NR_clone = 220,
	NR_execve = 221,
	NR_mmap = 222,
	NR_mprotect = 226,
	NR_wait4 = 260,
	NR_prlimit64 = 261,
	NR_syncfs = 267,
	NR_renameat2 = 276,
	NR_getrandom = 278,
	NR_statx = 291,
	NR_faccessat2 = 439,
	NR_clone3 = 435,
	NR_kill = 129,
	NR_tkill = 130,
	NR_tgkill = 131,
	NR_sigaltstack = 132,
	NR_rt_sigsuspend = 133,
	NR_rt_sigaction = 134,
	NR_rt_sigprocmask = 135,
	NR_rt_sigpending = 136,
	NR_rt_sigtimedwait = 137,
	NR_rt_sigreturn = 139,
	NR_pselect6 = 72,
	NR_epoll_create1 = 20,
	NR_epoll_ctl = 21,
	NR_epoll_pwait = 22,
	NR_epoll_pwait2 = 441,
	NR_capget = 90,
	NR_personality = 92,
	NR_sched_setaffinity = 122,
	NR_sched_getaffinity = 123,
	NR_setregid = 143,
	NR_setgid = 144,
	NR_setreuid = 145,
	NR_setuid = 146,
	NR_setresuid = 147,
	NR_getresuid = 148,
	NR_setresgid = 149,
	NR_getresgid = 150,
	NR_setfsuid = 151,
	NR_setfsgid = 152,
	NR_times = 153,
	NR_getgroups = 158,
	NR_setgroups = 159,
	NR_getrusage = 165,
	NR_umask = 166,
	NR_prctl = 167,
	NR_getcpu = 168,
	NR_sysinfo = 179,
	NR_mremap = 216,
	NR_msync = 227,
	NR_mincore = 232,
	NR_madvise = 233,
	NR_COUNT = 512,
};

static const handler_fn handlers[NR_COUNT] = {
    [NR_getcwd] = sys_getcwd,
    [NR_dup] = sys_dup,
    [NR_dup3] = sys_dup3,
    [NR_fcntl] = sys_fcntl,
    [NR_ioctl] = sys_ioctl,
    [NR_mkdirat] = sys_mkdirat,
    [NR_unlinkat] = sys_unlinkat,
    [NR_symlinkat] = sys_symlinkat,
    [NR_statfs] = sys_statfs,
    [NR_fstatfs] = sys_fstatfs,
    [NR_sync] = sys_sync,
    [NR_utimensat] = sys_utimensat,
    [NR_syncfs] = sys_syncfs,
    [NR_renameat] = sys_renameat,
    [NR_truncate] = sys_truncate,
    [NR_ftruncate] = sys_ftruncate,
    [NR_faccessat] = sys_faccessat,
    [NR_chdir] = sys_chdir,
    [NR_fchdir] = sys_fchdir,
    [NR_fchmod] = sys_fchmod,
    [NR_fchmodat] = sys_fchmodat,
    [NR_fchownat] = sys_fchownat,
    [NR_fchown] = sys_fchown,
    [NR_openat] = sys_openat,
    [NR_close] = sys_close,
    [NR_pipe2] = sys_pipe2,
    [NR_getdents64] = sys_getdents64,
    [NR_lseek] = sys_lseek,
    [NR_read] = sys_read,
    [NR_write] = sys_write,
    [NR_readv] = sys_readv,
    [NR_writev] = sys_writev,
    [NR_pread64] = sys_pread64,
    [NR_pwrite64] = sys_pwrite64,
    [NR_readlinkat] = sys_readlinkat,
    [NR_newfstatat] = sys_newfstatat,
    [NR_fstat] = sys_fstat,
    [NR_fsync] = sys_fsync,
    [NR_fdatasync] = sys_fsync,
    [NR_exit] = sys_exit,
    [NR_exit_group] = sys_exit_group,
    [NR_waitid] = proc_sys_waitid,
    [NR_set_tid_address] = sys_set_tid_address,
    [NR_futex] = thread_sys_futex,
    [NR_set_robust_list] = sys_zero,
    [NR_nanosleep] = sys_nanosleep,
    [NR_clock_gettime] = sys_clock_gettime,
    [NR_clock_getres] = sys_clock_getres,
    [NR_clock_nanosleep] = sys_clock_nanosleep,
    [NR_sched_yield] = sys_zero,
    [NR_setpgid] = proc_sys_setpgid,
    [NR_getpgid] = proc_sys_getpgid,
    [NR_getsid] = proc_sys_getsid,
    [NR_setsid] = proc_sys_setsid,
    [NR_uname] = sys_uname,
    [NR_mount] = sys_mount,
    [NR_reboot] = sys_reboot,
    [NR_ppoll] = sys_ppoll,
    [NR_gettimeofday] = sys_gettimeofday,
    [NR_getpid] = sys_getpid,
    [NR_getppid] = proc_sys_getppid,
    [NR_getuid] = sys_zero,
    [NR_geteuid] = sys_zero,
    [NR_getgid] = sys_zero,
    [NR_getegid] = sys_zero,
    [NR_gettid] = sys_gettid,
    [NR_brk] = sys_brk,
    [NR_munmap] = sys_munmap,
    [NR_clone] = proc_sys_clone,
    [NR_execve] = linux_sys_execve,
    [NR_mmap] = mmap_sys_mmap,
    [NR_mremap] = mmap_sys_mremap,
    [NR_msync] = mmap_sys_msync,
    [NR_mincore] = mmap_sys_mincore,
    [NR_madvise] = mmap_sys_madvise,
    [NR_pselect6] = sys_pselect6,
    [NR_epoll_create1] = sys_epoll_create1,
    [NR_epoll_ctl] = sys_epoll_ctl,
    [NR_epoll_pwait] = sys_epoll_pwait,
    [NR_epoll_pwait2] = sys_epoll_pwait2,
    [NR_capget] = sys_capget,
    [NR_personality] = sys_personality,
    [NR_sched_setaffinity] = sys_sched_setaffinity,
    [NR_sched_getaffinity] = sys_sched_getaffinity,
    [NR_setregid] = sys_setreuid,
    [NR_setgid] = sys_setuid,
    [NR_setreuid] = sys_setreuid,
    [NR_setuid] = sys_setuid,
    [NR_setresuid] = sys_setresuid,
    [NR_getresuid] = sys_getres,
    [NR_setresgid] = sys_setresuid,
    [NR_getresgid] = sys_getres,
    [NR_setfsuid] = sys_zero,
    [NR_setfsgid] = sys_zero,
    [NR_times] = sys_times,
    [NR_getgroups] = sys_getgroups,
    [NR_setgroups] = sys_setgroups,
    [NR_getrusage] = sys_getrusage,
    [NR_umask] = sys_umask,
    [NR_prctl] = sys_prctl,
    [NR_getcpu] = sys_getcpu,
    [NR_sysinfo] = sys_sysinfo,
    [NR_mprotect] = sys_mprotect,
    [NR_wait4] = proc_sys_wait4,
    [NR_prlimit64] = sys_prlimit64,
    [NR_renameat2] = sys_renameat2,
    [NR_getrandom] = sys_getrandom,
    [NR_statx] = sys_statx,
    [NR_faccessat2] = sys_faccessat2,
    [NR_clone3] = proc_sys_clone3,
    [NR_kill] = signal_sys_kill,
    [NR_tkill] = signal_sys_tkill,
    [NR_tgkill] = signal_sys_tgkill,
    [NR_sigaltstack] = signal_sys_sigaltstack,
    [NR_rt_sigsuspend] = signal_sys_rt_sigsuspend,
    [NR_rt_sigaction] = signal_sys_rt_sigaction,
    [NR_rt_sigprocmask] = signal_sys_rt_sigprocmask,
    [NR_rt_sigpending] = signal_sys_rt_sigpending,
    [NR_rt_sigtimedwait] = signal_sys_rt_sigtimedwait,
    [NR_rt_sigreturn] = signal_sys_rt_sigreturn,
};

/* Names for the log line of an unsupported call: the common ones a static program may
 * make. */
static const struct {
	uint16_t nr;
	const char *name;
} names[] = {
    {17, "getcwd"},         {23, "dup"},
    {24, "dup3"},           {25, "fcntl"},
    {29, "ioctl"},          {34, "mkdirat"},
    {35, "unlinkat"},       {38, "renameat"},
    {40, "mount"},          {45, "truncate"},
    {46, "ftruncate"},      {48, "faccessat"},
    {49, "chdir"},          {50, "fchdir"},
    {52, "fchmod"},         {53, "fchmodat"},
    {54, "fchownat"},       {55, "fchown"},
    {56, "openat"},         {57, "close"},
    {59, "pipe2"},          {61, "getdents64"},
    {62, "lseek"},          {63, "read"},
    {64, "write"},          {65, "readv"},
    {66, "writev"},         {67, "pread64"},
    {68, "pwrite64"},       {72, "pselect6"},
    {73, "ppoll"},          {78, "readlinkat"},
    {79, "newfstatat"},     {80, "fstat"},
    {82, "fsync"},          {83, "fdatasync"},
    {93, "exit"},           {94, "exit_group"},
    {95, "waitid"},         {96, "set_tid_address"},
    {98, "futex"},          {99, "set_robust_list"},
    {101, "nanosleep"},     {113, "clock_gettime"},
    {114, "clock_getres"},  {115, "clock_nanosleep"},
    {124, "sched_yield"},   {129, "kill"},
    {130, "tkill"},         {131, "tgkill"},
    {132, "sigaltstack"},   {133, "rt_sigsuspend"},
    {134, "rt_sigaction"},  {135, "rt_sigprocmask"},
    {136, "rt_sigpending"}, {137, "rt_sigtimedwait"},
    {139, "rt_sigreturn"},  {142, "reboot"},
    {160, "uname"},         {167, "prctl"},
    {169, "gettimeofday"},  {172, "getpid"},
    {173, "getppid"},       {178, "gettid"},
    {179, "sysinfo"},       {214, "brk"},
    {215, "munmap"},        {216, "mremap"},
    {220, "clone"},         {221, "execve"},
    {222, "mmap"},          {226, "mprotect"},
    {233, "madvise"},       {260, "wait4"},
    {261, "prlimit64"},     {276, "renameat2"},
    {278, "getrandom"},     {291, "statx"},
    {293, "rseq"},          {435, "clone3"},
    {439, "faccessat2"},
};

#include "linux_syscall_names.h" /* every number's name, from syscall_states.txt */

const char *linux_syscall_name(uint64_t nr)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nr == nr)
			return names[i].name;
	if (nr < sizeof(linux_syscall_names) / sizeof(linux_syscall_names[0]) &&
	    linux_syscall_names[nr])
		return linux_syscall_names[nr];
	return "?";
}

bool linux_syscall(struct proc *p, uint64_t nr, const uint64_t a[6], uint64_t *ret)
{
	handler_fn h = nr < NR_COUNT ? handlers[nr] : NULL;
	if (!h) {
		/* On a terminal (the shim serves a shell's jobs) each number is named once:
		 * the same line after every prompt would bury what the user types. */
		static uint8_t named[(NR_COUNT + 7) / 8];
		bool first = nr >= NR_COUNT || !(named[nr / 8] & (1u << (nr % 8)));
		if (nr < NR_COUNT)
			named[nr / 8] |= (uint8_t)(1u << (nr % 8));
		if (first || !shim_interactive)
			shim_log("linux: %s: unsupported syscall %llu (%s)", p->name,
			         (unsigned long long)nr, linux_syscall_name(nr));
		*ret = (uint64_t)(int64_t)-LINUX_ENOSYS;
		return true;
	}
	int64_t r = h(p, a);
	if (r == LINUX_PARKED)
		return false; /* block.c answers later */
	*ret = (uint64_t)r;
	return nr != NR_exit && nr != NR_exit_group;
}
