/*
 * /proc as programs read it: /proc/self and its files (stat, status, cmdline, comm, exe,
 * fd/, maps), the system-wide files (meminfo, uptime, loadavg, stat, mounts, cpuinfo,
 * version, sys/kernel), directory listings of /proc and /dev, stat of the entries, a
 * zombie's state and ENOENT once it is reaped; and the identity calls (sysinfo, umask,
 * getresuid, setuid, getgroups, personality, sched_getaffinity, getcpu, prctl names,
 * capget). Values that differ per boot are printed as checks. Run as
 * `procfs one "two words"`.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* The whole file, NUL-terminated (in a static buffer); its length, or -1. */
static char text[65536];
static long slurp(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long n = 0, r;
	while ((r = read(fd, text + n, sizeof(text) - 1 - (size_t)n)) > 0)
		n += r;
	close(fd);
	text[n] = '\0';
	return r < 0 ? -1 : n;
}

/* The value after "Key:" on its line of `text`, or NULL. */
static const char *field(const char *key)
{
	size_t k = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, key, k) == 0 && l[k] == ':') {
			const char *v = l + k + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
	return NULL;
}

static int line_is(const char *key, const char *want)
{
	const char *v = field(key);
	return v && strncmp(v, want, strlen(want)) == 0 && v[strlen(want)] == '\n';
}

static int has_line(const char *start)
{
	size_t k = strlen(start);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, start, k) == 0)
			return 1;
	return 0;
}

static int dir_has(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int found = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		found |= strcmp(e->d_name, name) == 0;
	closedir(d);
	return found;
}

static void self_files(int argc, char **argv)
{
	char buf[4096], want[64];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
	snprintf(want, sizeof(want), "%d", getpid());
	check(n > 0 && (buf[n] = '\0', strcmp(buf, want) == 0), "readlink /proc/self is the pid");
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	check(n > 0 && (buf[n] = '\0', strcmp(buf, "/bin/procfs") == 0),
	      "readlink /proc/self/exe is /bin/procfs");

	check(slurp("/proc/self/stat") > 0, "read /proc/self/stat");
	int pid = 0, ppid = 0, pgrp = 0, sid = 0;
	char comm[64] = "", state = 0;
	long threads = 0;
	unsigned long vsize = 0;
	long rss = 0;
	int got = sscanf(text,
	                 "%d (%63[^)]) %c %d %d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
	                 "%*d %*d %ld %*d %*u %lu %ld",
	                 &pid, comm, &state, &ppid, &pgrp, &sid, &threads, &vsize, &rss);
	check(got == 9, "stat: 24 fields parsed");
	check(pid == getpid() && strcmp(comm, "procfs") == 0 && state == 'R',
	      "stat: pid, (procfs), R");
	check(ppid == getppid() && pgrp == getpgrp() && sid == getsid(0),
	      "stat: ppid, pgrp, session");
	check(threads == 1 && vsize > 0 && rss > 0, "stat: 1 thread, vsize and rss");
	int fields = 2; /* pid and (comm), then one per space */
	for (const char *c = strrchr(text, ')'); c && *c; c++)
		fields += *c == ' ';
	check(fields >= 52, "stat: at least 52 fields");

	check(slurp("/proc/self/status") > 0, "read /proc/self/status");
	snprintf(want, sizeof(want), "%d", getpid());
	check(line_is("Name", "procfs") && line_is("State", "R (running)") &&
	          line_is("Pid", want) && line_is("Tgid", want),
	      "status: Name, State, Pid, Tgid");
	snprintf(want, sizeof(want), "%d", getppid());
	check(line_is("PPid", want) && line_is("Uid", "0\t0\t0\t0") &&
	          line_is("Gid", "0\t0\t0\t0") && line_is("Threads", "1"),
	      "status: PPid, Uid, Gid, Threads");
	check(field("VmSize") && field("VmRSS") && strstr(field("VmRSS"), " kB"),
	      "status: VmSize, VmRSS in kB");

	long len = slurp("/proc/self/cmdline");
	char expect[256];
	size_t k = 0;
	for (int i = 0; i < argc; i++) {
		memcpy(expect + k, argv[i], strlen(argv[i]) + 1);
		k += strlen(argv[i]) + 1;
	}
	check(len == (long)k && memcmp(text, expect, k) == 0, "cmdline: argv, NUL-separated");
	check(slurp("/proc/self/comm") > 0 && strcmp(text, "procfs\n") == 0, "comm: procfs");
	check(prctl(PR_SET_NAME, "renamed-process-long") == 0, "prctl PR_SET_NAME");
	char name[16] = "";
	check(prctl(PR_GET_NAME, name) == 0 && strcmp(name, "renamed-process") == 0,
	      "prctl PR_GET_NAME: 15 bytes kept");
	check(slurp("/proc/self/comm") > 0 && strcmp(text, "renamed-process\n") == 0,
	      "comm follows PR_SET_NAME");
	check(slurp("/proc/self/status") > 0 && line_is("Name", "renamed-process"),
	      "status Name follows PR_SET_NAME");
	prctl(PR_SET_NAME, "procfs");

	int fd = open("/proc/version", O_RDONLY);
	check(fd >= 3, "open /proc/version");
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	check(n > 0 && (buf[n] = '\0', strcmp(buf, "/proc/version") == 0),
	      "readlink /proc/self/fd/N names the file");
	snprintf(want, sizeof(want), "%d", fd);
	check(dir_has("/proc/self/fd", "0") && dir_has("/proc/self/fd", "1") &&
	          dir_has("/proc/self/fd", want),
	      "/proc/self/fd lists 0, 1 and the new descriptor");
	n = readlink("/proc/self/fd/1", buf, sizeof(buf) - 1);
	check(n > 6 && strncmp(buf, "pipe:[", 6) == 0, "stdout is a pipe: pipe:[N]");
	/* the text is made once per open: small reads and pread agree with one read */
	char small[4096] = "", whole[4096] = "";
	size_t got_small = 0;
	for (ssize_t r; (r = read(fd, small + got_small, 7)) > 0;)
		got_small += (size_t)r;
	ssize_t w = pread(fd, whole, sizeof(whole), 0);
	check(got_small > 20 && (size_t)w == got_small && memcmp(small, whole, got_small) == 0,
	      "read in 7-byte pieces equals pread from 0");
	check(strncmp(whole, "Linux version ", 14) == 0, "/proc/version: Linux version ...");
	check(lseek(fd, 6, SEEK_SET) == 6 && read(fd, small, 7) == 7 &&
	          memcmp(small, "version", 7) == 0,
	      "lseek then read");
	close(fd);

	/* read-only: nothing next to it can merge with it */
	void *m = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char line[64];
	snprintf(line, sizeof(line), "%08lx-%08lx r--p 00000000 00:00 0", (unsigned long)m,
	         (unsigned long)m + 8192);
	check(slurp("/proc/self/maps") > 0 && strstr(text, line) != NULL,
	      "maps: the anonymous mapping, r--p");
	check(strstr(text, "[stack]\n") && strstr(text, " r-xp ") && strstr(text, "/bin/procfs\n"),
	      "maps: [stack], the program's r-xp text");
	munmap(m, 8192);
}

static void system_files(void)
{
	check(slurp("/proc/meminfo") > 0, "read /proc/meminfo");
	unsigned long total = 0, free_kb = 0;
	sscanf(field("MemTotal") ? field("MemTotal") : "0", "%lu", &total);
	sscanf(field("MemFree") ? field("MemFree") : "0", "%lu", &free_kb);
	check(total > 0 && free_kb > 0 && free_kb <= total, "meminfo: MemTotal >= MemFree > 0");
	check(field("MemAvailable") && field("Buffers") && field("Cached") && field("SwapTotal") &&
	          field("SwapFree"),
	      "meminfo: MemAvailable, Buffers, Cached, SwapTotal, SwapFree");
	double up = 0, idle = -1;
	check(slurp("/proc/uptime") > 0 && sscanf(text, "%lf %lf", &up, &idle) == 2 && up > 0 &&
	          idle >= 0,
	      "uptime: two numbers");
	double l1, l5, l15;
	int run, all, last;
	check(slurp("/proc/loadavg") > 0 &&
	          sscanf(text, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &run, &all, &last) == 6 &&
	          run >= 1 && all >= run && last >= getpid(),
	      "loadavg: three loads, running/total, last pid");
	check(slurp("/proc/stat") > 0 && has_line("cpu ") && has_line("cpu0 ") &&
	          has_line("btime ") && has_line("processes "),
	      "stat: cpu, cpu0, btime, processes");
	check(slurp("/proc/mounts") > 0 && strstr(text, "proc /proc proc ") &&
	          strstr(text, " /tmp tmpfs ") && has_line("devtmpfs /dev devtmpfs "),
	      "mounts: proc, devtmpfs, the tmpfs");
	check(slurp("/proc/cpuinfo") > 0 && has_line("processor\t: 0") &&
	          line_is("CPU implementer\t", "0x41") && line_is("CPU part\t", "0xd08"),
	      "cpuinfo: processor 0, a Cortex-A72 (0x41, 0xd08)");
	/* the features are AT_HWCAP's, named as Linux names them */
	check(has_line("Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid\n"),
	      "cpuinfo: the Cortex-A72's features, as AT_HWCAP");
	struct utsname u;
	uname(&u);
	char want[128];
	check(slurp("/proc/sys/kernel/ostype") > 0 && strcmp(text, "Linux\n") == 0,
	      "sys/kernel/ostype: Linux");
	snprintf(want, sizeof(want), "%s\n", u.release);
	check(slurp("/proc/sys/kernel/osrelease") > 0 && strcmp(text, want) == 0,
	      "sys/kernel/osrelease is uname's release");
	snprintf(want, sizeof(want), "%s\n", u.nodename);
	check(slurp("/proc/sys/kernel/hostname") > 0 && strcmp(text, want) == 0,
	      "sys/kernel/hostname is uname's nodename");
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", getpid());
	check(dir_has("/proc", pid) && dir_has("/proc", "self") && dir_has("/proc", "meminfo") &&
	          dir_has("/proc", "sys"),
	      "/proc lists the pid, self, meminfo, sys");
	check(dir_has("/proc/self", "status") && dir_has("/proc/self", "fd") &&
	          dir_has("/proc/self", "exe"),
	      "/proc/self lists status, fd, exe");
	DIR *d = opendir("/proc");
	for (int i = 0; d && i < 3; i++)
		readdir(d);
	long at = d ? telldir(d) : -1;
	struct dirent *de = d ? readdir(d) : NULL;
	char third[256] = "";
	if (de)
		snprintf(third, sizeof(third), "%s", de->d_name);
	if (d)
		seekdir(d, at);
	de = d ? readdir(d) : NULL;
	check(de && third[0] && strcmp(de->d_name, third) == 0, "telldir/seekdir on /proc");
	if (d)
		rewinddir(d);
	de = d ? readdir(d) : NULL;
	check(de && strcmp(de->d_name, ".") == 0, "rewinddir: . first");
	if (d)
		closedir(d);
	check(dir_has("/dev", "null") && dir_has("/dev", "zero") && dir_has("/dev", "urandom"),
	      "/dev lists null, zero, urandom");

	struct stat sp, sf, sr, sl;
	check(stat("/proc", &sp) == 0 && S_ISDIR(sp.st_mode) && (sp.st_mode & 07777) == 0555,
	      "stat /proc: a directory, 0555");
	check(stat("/proc/self/status", &sf) == 0 && S_ISREG(sf.st_mode) &&
	          (sf.st_mode & 07777) == 0444,
	      "stat /proc/self/status: a file, 0444");
	check(stat("/", &sr) == 0 && sp.st_dev == sf.st_dev && sp.st_dev != sr.st_dev,
	      "procfs has a device of its own");
	check(lstat("/proc/self", &sl) == 0 && S_ISLNK(sl.st_mode), "lstat /proc/self: a link");
	check(stat("/proc/self", &sl) == 0 && S_ISDIR(sl.st_mode), "stat /proc/self: a directory");
	errno = 0;
	check(open("/proc/nonexistent", O_RDONLY) == -1 && errno == ENOENT,
	      "/proc/nonexistent: ENOENT");
	errno = 0;
	check(mkdir("/proc/new", 0755) == -1, "mkdir in /proc fails");
	errno = 0;
	check(symlink("x", "/proc/new") == -1 && errno == ENOENT, "symlink in /proc: ENOENT");
	errno = 0;
	check(symlink("x", "/proc/self") == -1 && errno == EEXIST,
	      "symlink over /proc/self: EEXIST");
}

static void zombie(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	siginfo_t si;
	check(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == 0, "waitid WNOWAIT");
	char path[64], want[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	snprintf(want, sizeof(want), "%d (procfs) Z %d ", pid, getpid());
	check(slurp(path) > 0 && strncmp(text, want, strlen(want)) == 0,
	      "the exited child is Z, its parent us");
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	check(slurp(path) > 0 && line_is("State", "Z (zombie)"), "status: Z (zombie)");
	int status;
	check(waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 7, "reaped: exit 7");
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	errno = 0;
	check(open(path, O_RDONLY) == -1 && errno == ENOENT, "a reaped pid: ENOENT");
	snprintf(path, sizeof(path), "/proc/%d", pid);
	char pidname[16];
	snprintf(pidname, sizeof(pidname), "%d", pid);
	check(!dir_has("/proc", pidname), "and not listed");
}

static void identity(void)
{
	struct sysinfo si;
	check(sysinfo(&si) == 0 && si.totalram > 0 && si.freeram <= si.totalram && si.procs >= 1 &&
	          si.mem_unit >= 1,
	      "sysinfo: RAM, free RAM, processes");
	struct rusage ru;
	check(getrusage(RUSAGE_SELF, &ru) == 0, "getrusage");
	errno = 0;
	check(getrusage(5, &ru) == -1 && errno == EINVAL, "getrusage(5): EINVAL");
	struct tms t;
	check(times(&t) != (clock_t)-1, "times");
	check(umask(027) == 022 && umask(022) == 027, "umask: 022 at start, then 027");
	umask(077);
	int fd = open("/tmp/umask-file", O_CREAT | O_EXCL | O_WRONLY, 0666);
	struct stat st;
	check(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0600,
	      "umask 077: a file made 0666 is 0600");
	check(mkdir("/tmp/umask-dir", 0777) == 0 && stat("/tmp/umask-dir", &st) == 0 &&
	          (st.st_mode & 0777) == 0700,
	      "umask 077: a directory made 0777 is 0700");
	close(fd);
	unlink("/tmp/umask-file");
	rmdir("/tmp/umask-dir");
	umask(022);
	uid_t r = 1, e = 1, s = 1;
	check(getresuid(&r, &e, &s) == 0 && r == 0 && e == 0 && s == 0, "getresuid: 0 0 0");
	gid_t gr = 1, ge = 1, gs = 1;
	check(getresgid(&gr, &ge, &gs) == 0 && gr == 0 && ge == 0 && gs == 0, "getresgid: 0 0 0");
	check(setuid(0) == 0 && setgid(0) == 0 && setresuid(-1, 0, -1) == 0,
	      "setuid(0), setgid(0), setresuid(-1, 0, -1)");
	check(getgroups(0, NULL) >= 0, "getgroups");
	check(personality(0xffffffff) == PER_LINUX, "personality query: PER_LINUX");
	cpu_set_t set;
	CPU_ZERO(&set);
	check(sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_ISSET(0, &set),
	      "sched_getaffinity: CPU 0");
	unsigned cpu = 99;
	check(syscall(SYS_getcpu, &cpu, NULL, NULL) == 0 && cpu < (unsigned)CPU_COUNT(&set) + 1,
	      "getcpu");
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	check(syscall(SYS_capget, &hdr, data) == 0 && data[0].effective == 0xffffffffu,
	      "capget: root has the capabilities");
	struct utsname u;
	check(uname(&u) == 0 && strcmp(u.sysname, "Linux") == 0 &&
	          strcmp(u.machine, "aarch64") == 0,
	      "uname: Linux, aarch64");
}

int main(int argc, char **argv)
{
	self_files(argc, argv);
	system_files();
	zombie();
	identity();
	printf("%s\n", failures ? "some checks failed" : "all checks passed");
	return failures ? 1 : 0;
}
