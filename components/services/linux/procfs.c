/* /proc and the /dev directory (docs/linux.md, "/proc"): see procfs.h. Every file's
 * text is made at open from the shim's own tables (processes, VMAs, the pool, the VFS's
 * mount table), in Linux's formats, so that ps, free, uptime and friends read what they
 * expect. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <m6/time.h>
#include <m6_caps.h>

#include "block.h"
#include "fd.h"
#include "procfs.h"
#include "procfs_path.h"
#include "shim.h"
#include "vfs_idl.h"

#define S_IFDIR 0040000u
#define S_IFREG 0100000u
#define S_IFLNK 0120000u
#define DT_DIR  4
#define DT_REG  8
#define DT_LNK  10
#define DT_CHR  2
/* USER_HZ: the unit of the tick counts in stat files (AT_CLKTCK says 100 too). */
#define CLK_TCK 100u

/* An open generated file: its bytes (a directory's: getdents64 records) and position. */
struct procfs_file {
	uint8_t *data;
	size_t len, cap;
	uint64_t pos;
	struct procfs_stat st;
	bool dir;
	bool failed; /* out of memory while generating */
};

/* ---- a growing buffer ---- */

static void put_bytes(struct procfs_file *f, const void *s, size_t n)
{
	if (f->failed)
		return;
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap : 512;
		while (cap < f->len + n)
			cap *= 2;
		uint8_t *d = realloc(f->data, cap);
		if (!d) {
			f->failed = true;
			return;
		}
		f->data = d;
		f->cap = cap;
	}
	memcpy(f->data + f->len, s, n);
	f->len += n;
}

static void put(struct procfs_file *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct procfs_file *f, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		put_bytes(f, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* One getdents64 record: ino, the offset of the next record, length, type, name, padded
 * to 8 bytes. */
static void put_dirent(struct procfs_file *f, uint64_t ino, uint8_t type, const char *name)
{
	size_t nlen = strlen(name);
	uint16_t reclen = (uint16_t)((19 + nlen + 1 + 7) & ~(size_t)7);
	uint8_t rec[19 + 256 + 8];
	memset(rec, 0, sizeof(rec));
	int64_t next = (int64_t)(f->len + reclen);
	memcpy(rec, &ino, 8);
	memcpy(rec + 8, &next, 8);
	memcpy(rec + 16, &reclen, 2);
	rec[18] = type;
	memcpy(rec + 19, name, nlen);
	put_bytes(f, rec, reclen);
}

/* ---- what a path names ---- */

/* A parsed name (procfs_path.c) with its process found. */
struct node {
	enum procfs_kind kind;
	struct proc *p; /* PN_PID, PN_PIDF, PN_FDDIR, PN_FD */
	int index;      /* which file of its directory; PN_FD: the descriptor */
};

enum { G_MEMINFO, G_UPTIME, G_LOADAVG, G_STAT, G_MOUNTS, G_CPUINFO, G_VERSION, G_FS };
enum { P_STAT, P_STATUS, P_CMDLINE, P_COMM, P_MAPS, P_STATM, P_EXE, P_CWD };

/* The uname strings the shim reports (syscalls.c's uname says the same). */
const char linux_sysname[] = "Linux";
const char linux_release[] = "6.1.0-m6";
const char linux_version[] = "#1 SMP m6 Linux shim";
const char linux_nodename[] = "m6";

/* Look `path` up: its name, then the process it names (-ENOENT when gone) and, for
 * fd/M, the descriptor (-ENOENT when closed). */
static int lookup(struct proc *caller, const char *path, bool follow_last, struct node *out)
{
	struct procfs_name nm;
	int e = procfs_parse(path, follow_last, &nm);
	if (e)
		return e;
	out->kind = nm.kind;
	out->index = nm.index;
	out->p = NULL;
	if (nm.kind == PN_PID || nm.kind == PN_PIDF || nm.kind == PN_FDDIR || nm.kind == PN_FD) {
		out->p = nm.pid < 0 ? caller : proc_by_pid((int)nm.pid);
		if (!out->p)
			return -LINUX_ENOENT;
		if (nm.kind == PN_FD && !fd_get(out->p, nm.index))
			return -LINUX_ENOENT;
	}
	return 0;
}

static bool node_is_dir(const struct node *nd)
{
	return nd->kind == PN_ROOT || nd->kind == PN_PID || nd->kind == PN_FDDIR ||
	       nd->kind == PN_DEVDIR || (nd->kind == PN_SYS && nd->index < 2);
}

static bool node_is_link(const struct node *nd)
{
	return nd->kind == PN_SELF || nd->kind == PN_FD ||
	       (nd->kind == PN_PIDF && (nd->index == P_EXE || nd->index == P_CWD));
}

/* Inode numbers: fixed for the global entries, pid-based below a pid. */
static uint64_t node_ino(const struct node *nd)
{
	uint64_t pid = nd->p ? (uint64_t)nd->p->pid : 0;
	switch (nd->kind) {
	case PN_ROOT:
		return 1;
	case PN_SELF:
		return 2;
	case PN_GLOBAL:
		return 16 + (uint64_t)nd->index;
	case PN_SYS:
		return 48 + (uint64_t)nd->index;
	case PN_DEVDIR:
		return 1; /* devtmpfs's root */
	case PN_PID:
		return pid << 16;
	case PN_PIDF:
		return (pid << 16) + 1 + (uint64_t)nd->index;
	case PN_FDDIR:
		return (pid << 16) + 64;
	case PN_FD:
		return (pid << 16) + 1024 + (uint64_t)nd->index;
	default:
		return 0;
	}
}

static void node_stat(const struct node *nd, struct procfs_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->dev = nd->kind == PN_DEVDIR ? 5 : PROCFS_DEV;
	st->ino = node_ino(nd);
	st->nlink = 1;
	if (node_is_dir(nd)) {
		st->mode = S_IFDIR | (nd->kind == PN_DEVDIR ? 0755 : 0555);
		st->nlink = 2;
	} else if (node_is_link(nd)) {
		st->mode = S_IFLNK | 0777;
	} else {
		st->mode = S_IFREG | 0444; /* size 0, as Linux: the text is made when read */
		if (nd->kind == PN_SYS && nd->index == 4)
			st->mode = S_IFREG | 0644; /* hostname: writable on Linux */
	}
}

/* ---- links ---- */

/* The path a description was opened by, as /proc/N/fd/M shows it. */
static void ofd_name(const struct ofd *f, char *out, size_t size)
{
	switch (f->kind) {
	case OFD_VFS:
	case OFD_PROC:
		snprintf(out, size, "%s", f->path ? f->path : "/");
		return;
	case OFD_PIPE_R:
	case OFD_PIPE_W:
		snprintf(out, size, "pipe:[%llu]", (unsigned long long)pipe_ino(f->pipe));
		return;
	case OFD_NULL:
		snprintf(out, size, "/dev/null");
		return;
	case OFD_ZERO:
		snprintf(out, size, "/dev/zero");
		return;
	case OFD_URANDOM:
		snprintf(out, size, "/dev/urandom");
		return;
	case OFD_EPOLL:
		snprintf(out, size, "anon_inode:[eventpoll]");
		return;
	default:
		snprintf(out, size, "/dev/console");
		return;
	}
}

static int64_t link_target(struct proc *caller, const struct node *nd, char *out, size_t size)
{
	switch (nd->kind) {
	case PN_SELF:
		snprintf(out, size, "%d", caller->pid);
		break;
	case PN_FD:
		ofd_name(fd_get(nd->p, nd->index), out, size);
		break;
	case PN_PIDF:
		if (nd->p->zombie)
			return -LINUX_ENOENT; /* Linux: a zombie has no mm, no fs */
		if (nd->index == P_EXE)
			snprintf(out, size, "%s", proc_exe(nd->p));
		else
			snprintf(out, size, "%s", nd->p->files.cwd ? nd->p->files.cwd : "/");
		break;
	default:
		return -LINUX_EINVAL;
	}
	return (int64_t)strlen(out);
}

int64_t procfs_readlink(struct proc *p, const char *path, char *out, size_t size)
{
	struct node nd;
	int e = lookup(p, path, false, &nd);
	if (e)
		return e;
	return link_target(p, &nd, out, size);
}

int procfs_stat(struct proc *p, const char *path, bool follow, struct procfs_stat *st)
{
	struct node nd;
	int e = lookup(p, path, follow, &nd);
	if (e)
		return e;
	if (follow && node_is_link(&nd) && nd.kind != PN_SELF)
		return -LINUX_ELOOP; /* a VFS path: the caller stats the target */
	node_stat(&nd, st);
	return 0;
}

/* ---- the files ---- */

static char state_of(const struct proc *q)
{
	if (q->zombie)
		return 'Z';
	if (q == shim_call.p)
		return 'R';
	/* a process whose main thread is parked in a call (wait4, read, nanosleep) sleeps */
	for (struct blocked *b = block_next(NULL); b; b = block_next(b))
		if (b->p == q && b->tcb == q->tcb)
			return 'S';
	return 'R';
}

static const char *state_name(char s)
{
	return s == 'Z' ? "Z (zombie)" : s == 'S' ? "S (sleeping)" : "R (running)";
}

static uint64_t vm_size(const struct proc *q)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < q->nvma; i++)
		n += q->vma[i].end - q->vma[i].start;
	return n;
}

static uint64_t vma_lo(const struct proc *q, unsigned kind, bool hi)
{
	for (unsigned i = 0; i < q->nvma; i++)
		if (q->vma[i].kind == kind)
			return hi ? q->vma[i].end : q->vma[i].start;
	return 0;
}

static void gen_stat(struct procfs_file *f, struct proc *q)
{
	char s = state_of(q);
	bool z = q->zombie;
	uint64_t start = q->start_ns / (1000000000u / CLK_TCK);
	put(f,
	    "%d (%s) %c %d %d %d 0 -1 %u 0 0 0 0 0 0 0 0 20 0 %d 0 %llu %llu %llu "
	    "18446744073709551615 %llu %llu %llu 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 %llu %llu "
	    "%llu 0 0 0 0 %d\n",
	    q->pid, q->comm, s, q->ppid, q->pgid, q->sid, 0x400000u, z ? 1 : q->nthreads,
	    (unsigned long long)start, (unsigned long long)(z ? 0 : vm_size(q)),
	    (unsigned long long)(z ? 0 : mem_rss(q)),
	    (unsigned long long)(z ? 0 : vma_lo(q, VMA_IMAGE, false)),
	    (unsigned long long)(z ? 0 : vma_lo(q, VMA_IMAGE, true)),
	    (unsigned long long)(z ? 0 : LINUX_STACK_TOP),
	    (unsigned long long)(z ? 0 : q->brk_start), (unsigned long long)(z ? 0 : q->brk_start),
	    (unsigned long long)(z ? 0 : q->brk), z ? q->wstatus : 0);
}

static void gen_status(struct procfs_file *f, struct proc *q)
{
	char s = state_of(q);
	put(f,
	    "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
	    "TracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t%u\nGroups:\t\n",
	    q->comm, q->umask, state_name(s), q->pid, q->pid, q->ppid, LINUX_MAX_FDS);
	if (!q->zombie) {
		uint64_t kb = vm_size(q) / 1024, rss = mem_rss(q) * (PAGE_SIZE / 1024);
		put(f,
		    "VmPeak:\t%8llu kB\nVmSize:\t%8llu kB\nVmLck:\t%8u kB\nVmHWM:\t%8llu kB\n"
		    "VmRSS:\t%8llu kB\nVmStk:\t%8llu kB\n",
		    (unsigned long long)kb, (unsigned long long)kb, 0u, (unsigned long long)rss,
		    (unsigned long long)rss, (unsigned long long)(LINUX_STACK_SIZE / 1024));
	}
	put(f,
	    "Threads:\t%d\nSigQ:\t0/0\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n"
	    "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n"
	    "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n"
	    "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n"
	    "Cpus_allowed:\t1\nCpus_allowed_list:\t0\n",
	    q->zombie ? 1 : q->nthreads);
}

static void gen_maps(struct procfs_file *f, struct proc *q)
{
	if (q->zombie)
		return;
	for (unsigned i = 0; i < q->nvma; i++) {
		const struct vma *v = &q->vma[i];
		const char *name = NULL;
		unsigned long long dev = 0, ino = 0;
		if (v->kind == VMA_IMAGE)
			name = proc_exe(q);
		else if (v->kind == VMA_HEAP)
			name = "[heap]";
		else if (v->kind == VMA_STACK)
			name = "[stack]";
		else if (v->file)
			name = v->file->path;
		if (v->file) {
			/* the file's device and inode, as the VFS reports them */
			struct vfs_stat st;
			int64_t ret = 0;
			if (vfs_fstat(CAP_VFS, v->file->vfd, &ret, &st) == M6_OK && ret == 0) {
				dev = st.dev;
				ino = st.ino;
			}
		}
		char line[160];
		int n = snprintf(line, sizeof(line),
		                 "%08llx-%08llx %c%c%c%c %08llx %02llx:%02llx %llu ",
		                 (unsigned long long)v->start, (unsigned long long)v->end,
		                 (v->prot & 1) ? 'r' : '-', (v->prot & 2) ? 'w' : '-',
		                 (v->prot & 4) ? 'x' : '-', (v->flags & VMA_SHARED) ? 's' : 'p',
		                 (unsigned long long)v->off, dev >> 8, dev & 0xff, ino);
		put_bytes(f, line, (size_t)n);
		if (name) {
			/* Linux pads the name to column 73 */
			for (; n < 73; n++)
				put_bytes(f, " ", 1);
			put_bytes(f, name, strlen(name));
		}
		put_bytes(f, "\n", 1);
	}
}

static void gen_pid_file(struct procfs_file *f, struct proc *q, int index)
{
	switch (index) {
	case P_STAT:
		gen_stat(f, q);
		break;
	case P_STATUS:
		gen_status(f, q);
		break;
	case P_CMDLINE:
		if (!q->zombie && q->cmdline)
			put_bytes(f, q->cmdline, q->cmdline_len);
		break;
	case P_COMM:
		put(f, "%s\n", q->comm);
		break;
	case P_MAPS:
		gen_maps(f, q);
		break;
	case P_STATM: {
		unsigned long long pages = q->zombie ? 0 : vm_size(q) / PAGE_SIZE,
		                   rss = q->zombie ? 0 : mem_rss(q);
		put(f, "%llu %llu 0 0 0 0 0\n", pages, rss);
		break;
	}
	}
}

static int last_pid(void)
{
	int m = 0;
	for (unsigned i = 0; i < LINUX_MAX_PROCS; i++)
		if (procs[i].used && procs[i].pid > m)
			m = procs[i].pid;
	for (unsigned i = 0; i < LINUX_MAX_THREADS; i++)
		if (threads[i].used && threads[i].tid > m)
			m = threads[i].tid;
	return m;
}

static void gen_global(struct procfs_file *f, int index)
{
	uint64_t now = m6_time_ns();
	unsigned long long cs = now / 10000000u; /* hundredths of a second */
	switch (index) {
	case G_MEMINFO: {
		uint64_t total, free_pages;
		mem_pool_pages(&total, &free_pages);
		const struct {
			const char *name;
			uint64_t kb;
		} rows[] = {
		    {"MemTotal:", total * 4},
		    {"MemFree:", free_pages * 4},
		    {"MemAvailable:", free_pages * 4},
		    {"Buffers:", 0},
		    {"Cached:", 0},
		    {"SwapCached:", 0},
		    {"Active:", (total - free_pages) * 4},
		    {"Inactive:", 0},
		    {"SwapTotal:", 0},
		    {"SwapFree:", 0},
		    {"Dirty:", 0},
		    {"Shmem:", 0},
		};
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			put(f, "%-16s%8llu kB\n", rows[i].name, (unsigned long long)rows[i].kb);
		break;
	}
	case G_UPTIME:
		/* idle time: not counted, reported as 0 */
		put(f, "%llu.%02llu 0.00\n", cs / 100, cs % 100);
		break;
	case G_LOADAVG: {
		int running = 0, total = 0;
		for (unsigned i = 0; i < LINUX_MAX_PROCS; i++)
			if (procs[i].used && !procs[i].zombie) {
				total += procs[i].nthreads;
				running += state_of(&procs[i]) == 'R';
			}
		put(f, "0.00 0.00 0.00 %d/%d %d\n", running, total, last_pid());
		break;
	}
	case G_STAT: {
		int running = 0, blocked = 0;
		for (unsigned i = 0; i < LINUX_MAX_PROCS; i++)
			if (procs[i].used && !procs[i].zombie) {
				if (state_of(&procs[i]) == 'R')
					running++;
			}
		/* time is not counted per process: all of it shows as idle */
		put(f,
		    "cpu  0 0 0 %llu 0 0 0 0 0 0\ncpu0 0 0 0 %llu 0 0 0 0 0 0\nintr 0\nctxt 0\n"
		    "btime 0\nprocesses %d\nprocs_running %d\nprocs_blocked %d\nsoftirq 0 0 0 0 0 "
		    "0 "
		    "0 0 0 0 0\n",
		    cs, cs, last_pid(), running, blocked);
		break;
	}
	case G_MOUNTS: {
		/* the VFS's table ("POINT TYPE rw|ro" per line), then the shim's own two */
		static uint8_t *const win = (uint8_t *)(uintptr_t)M6_WINDOW_VFS_VADDR;
		int64_t ret = 0;
		uint32_t len = M6_WINDOW_VFS_SIZE < 8192 ? M6_WINDOW_VFS_SIZE : 8192;
		if (vfs_mounts(CAP_VFS, 0, len, &ret) == M6_OK && ret > 0) {
			char *text = malloc((size_t)ret + 1);
			if (text) {
				memcpy(text, win, (size_t)ret);
				text[ret] = '\0';
				for (char *l = text, *nl; *l; l = nl) {
					nl = strchr(l, '\n');
					nl = nl ? (*nl = '\0', nl + 1) : l + strlen(l);
					char point[256], type[32], mode[8];
					if (sscanf(l, "%255s %31s %7s", point, type, mode) == 3)
						put(f, "%s %s %s %s 0 0\n", type, point, type,
						    mode);
				}
				free(text);
			}
		}
		put(f,
		    "devtmpfs /dev devtmpfs rw 0 0\nproc /proc proc rw,nosuid,nodev,noexec 0 0\n");
		break;
	}
	case G_CPUINFO: {
		/* As Linux prints it: the features are AT_HWCAP's (cpu.c), the identity MIDR_EL1
		 * as the kernel read it for the shim; without `syscap system_info`, qemu-virt's
		 * cortex-a72. BogoMIPS is Linux's figure from the timer frequency. */
		uint64_t freq;
		__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
		unsigned long long bogo = freq * 2 / 10000u; /* BogoMIPS x 100 */
		uint64_t midr = cpu_midr() ? cpu_midr() : 0x410fd083u;
		put(f, "processor\t: 0\nBogoMIPS\t: %llu.%02llu\nFeatures\t:", bogo / 100,
		    bogo % 100);
		uint64_t caps = cpu_hwcap();
		for (unsigned bit = 0; bit < 64; bit++)
			if ((caps >> bit) & 1 && cpu_hwcap_name(bit))
				put(f, " %s", cpu_hwcap_name(bit));
		put(f,
		    "\nCPU implementer\t: 0x%02llx\nCPU architecture: 8\nCPU variant\t: 0x%llx\n"
		    "CPU part\t: 0x%03llx\nCPU revision\t: %llu\n\n",
		    (unsigned long long)(midr >> 24 & 0xff), (unsigned long long)(midr >> 20 & 0xf),
		    (unsigned long long)(midr >> 4 & 0xfff), (unsigned long long)(midr & 0xf));
		break;
	}
	case G_VERSION:
		put(f, "%s version %s (m6) %s\n", linux_sysname, linux_release, linux_version);
		break;
	case G_FS:
		put(f, "nodev\tproc\nnodev\tdevtmpfs\nnodev\ttmpfs\n\tinitrd\n");
		break;
	}
}

static void gen_dir(struct procfs_file *f, struct proc *caller, const struct node *nd)
{
	struct node self = *nd;
	put_dirent(f, node_ino(nd), DT_DIR, ".");
	put_dirent(f, nd->kind == PN_ROOT || nd->kind == PN_DEVDIR ? 1 : node_ino(nd) - 1, DT_DIR,
	           "..");
	switch (nd->kind) {
	case PN_ROOT:
		for (size_t i = 0; i < procfs_nglobal; i++) {
			struct node g = {PN_GLOBAL, NULL, (int)i};
			put_dirent(f, node_ino(&g), DT_REG, procfs_global_names[i]);
		}
		put_dirent(f, 48, DT_DIR, "sys");
		put_dirent(f, 2, DT_LNK, "self");
		for (unsigned i = 0; i < LINUX_MAX_PROCS; i++) {
			if (!procs[i].used)
				continue;
			struct node pn = {PN_PID, &procs[i], 0};
			char name[16];
			snprintf(name, sizeof(name), "%d", procs[i].pid);
			put_dirent(f, node_ino(&pn), DT_DIR, name);
		}
		break;
	case PN_SYS:
		if (nd->index == 0) {
			put_dirent(f, 49, DT_DIR, "kernel");
		} else {
			for (size_t i = 0; i < procfs_nsys; i++)
				put_dirent(f, 50 + i, DT_REG, procfs_sys_names[i]);
		}
		break;
	case PN_PID:
		self.kind = PN_FDDIR;
		put_dirent(f, node_ino(&self), DT_DIR, "fd");
		for (size_t i = 0; i < procfs_npid; i++) {
			self.kind = PN_PIDF;
			self.index = (int)i;
			put_dirent(f, node_ino(&self), i >= P_EXE ? DT_LNK : DT_REG,
			           procfs_pid_names[i]);
		}
		break;
	case PN_FDDIR:
		for (unsigned i = 0; i < LINUX_MAX_FDS; i++) {
			if (!nd->p->files.fd[i])
				continue;
			char name[16];
			snprintf(name, sizeof(name), "%u", i);
			self.kind = PN_FD;
			self.index = (int)i;
			put_dirent(f, node_ino(&self), DT_LNK, name);
		}
		break;
	case PN_DEVDIR: {
		uint32_t ino;
		bool link;
		const char *name;
		for (size_t i = 0; (name = fs_dev_entry(i, &ino, &link)) != NULL; i++)
			put_dirent(f, ino, link ? DT_LNK : DT_CHR, name);
		break;
	}
	default:
		break;
	}
	(void)caller;
}

int64_t procfs_open(struct proc *p, const char *path, uint32_t flags, struct ofd **out,
                    char *target, size_t target_size)
{
	struct node nd;
	int e = lookup(p, path, true, &nd);
	if (e)
		return e;
	if (nd.kind == PN_FD) {
		/* Linux opens the file anew; a pipe or device here is shared as the
		 * description itself (as /dev/stdin is, fs_calls.c), a VFS file by its path */
		struct ofd *f = fd_get(nd.p, nd.index);
		if (f->kind != OFD_VFS) {
			f->refs++;
			*out = f;
			return 0;
		}
	}
	if (node_is_link(&nd) && nd.kind != PN_SELF) {
		int64_t n = link_target(p, &nd, target, target_size);
		return n < 0 ? n : -LINUX_ELOOP;
	}
	bool dir = node_is_dir(&nd);
	if ((flags & L_O_DIRECTORY) && !dir)
		return -LINUX_ENOTDIR;
	if ((flags & L_O_ACCMODE) != L_O_RDONLY || (flags & (L_O_CREAT | L_O_TRUNC)))
		return dir ? -LINUX_EISDIR : -LINUX_EACCES;
	struct procfs_file *g = calloc(1, sizeof(*g));
	char *copy = g ? malloc(strlen(path) + 1) : NULL;
	struct ofd *f = copy ? ofd_new(OFD_PROC, (flags & (L_O_ACCMODE | L_O_NONBLOCK | L_O_PATH)) |
	                                             L_O_LARGEFILE)
	                     : NULL;
	if (!f) {
		free(copy);
		free(g);
		return copy ? -LINUX_ENFILE : -LINUX_ENOMEM;
	}
	strcpy(copy, path);
	/* kept without a trailing slash, as fs_calls.c keeps VFS paths */
	for (size_t n = strlen(copy); n > 1 && copy[n - 1] == '/';)
		copy[--n] = '\0';
	f->path = copy;
	f->gen = g;
	g->dir = dir;
	node_stat(&nd, &g->st);
	if (dir)
		gen_dir(g, p, &nd);
	else if (nd.kind == PN_GLOBAL)
		gen_global(g, nd.index);
	else if (nd.kind == PN_PIDF)
		gen_pid_file(g, nd.p, nd.index);
	else if (nd.kind == PN_SYS)
		put(g, "%s\n",
		    nd.index == 2   ? linux_sysname
		    : nd.index == 3 ? linux_release
		                    : linux_nodename);
	if (g->failed) {
		ofd_put(f);
		return -LINUX_ENOMEM;
	}
	*out = f;
	return 0;
}

int64_t procfs_read(struct proc *p, struct ofd *f, uint64_t buf, uint64_t n, int64_t pos)
{
	struct procfs_file *g = f->gen;
	if (g->dir)
		return -LINUX_EISDIR;
	uint64_t at = pos >= 0 ? (uint64_t)pos : g->pos;
	if (at >= g->len)
		return 0;
	if (n > g->len - at)
		n = g->len - at;
	int e = mem_copy_out(p, buf, g->data + at, (size_t)n);
	if (e)
		return e;
	if (pos < 0)
		g->pos = at + n;
	return (int64_t)n;
}

int64_t procfs_getdents(struct proc *p, struct ofd *f, uint64_t buf, uint64_t n)
{
	struct procfs_file *g = f->gen;
	if (!g->dir)
		return -LINUX_ENOTDIR;
	/* whole records that fit; none fitting at all is EINVAL, as Linux says */
	uint64_t end = g->pos;
	while (end < g->len) {
		uint16_t reclen;
		memcpy(&reclen, g->data + end + 16, 2); /* pos is a record's start: procfs_seek */
		if (end + reclen - g->pos > n)
			break;
		end += reclen;
	}
	if (end == g->pos)
		return g->pos < g->len ? -LINUX_EINVAL : 0;
	int e = mem_copy_out(p, buf, g->data + g->pos, (size_t)(end - g->pos));
	if (e)
		return e;
	int64_t r = (int64_t)(end - g->pos);
	g->pos = end;
	return r;
}

int64_t procfs_seek(struct ofd *f, int64_t off, uint32_t whence)
{
	struct procfs_file *g = f->gen;
	int64_t base = whence == 0 ? 0 : whence == 1 ? (int64_t)g->pos : (int64_t)g->len;
	if (whence > 2)
		return -LINUX_EINVAL; /* SEEK_DATA, SEEK_HOLE */
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -LINUX_EINVAL;
	uint64_t to = (uint64_t)(base + off);
	if (g->dir) {
		/* a directory's offsets are its records' starts (each d_off), or its end */
		uint64_t at = 0;
		while (at < to && at < g->len) {
			uint16_t reclen;
			memcpy(&reclen, g->data + at + 16, 2);
			at += reclen;
		}
		if (at != to && to < g->len)
			return -LINUX_EINVAL;
		if (to > g->len)
			to = g->len;
	}
	g->pos = to;
	return (int64_t)g->pos;
}

void procfs_fstat(const struct ofd *f, struct procfs_stat *st)
{
	*st = ((const struct procfs_file *)f->gen)->st;
}

void procfs_release(struct ofd *f)
{
	struct procfs_file *g = f->gen;
	if (g)
		free(g->data);
	free(g);
	free(f->path);
	f->gen = NULL;
	f->path = NULL;
}
