/* The Linux shim (docs/linux.md, "The shim: design"): runs each program its arguments name
 * ("PATH [ARG...]", one argument per program) in turn as a Linux process, serving its
 * system calls and page faults from the fault endpoint, then powers off if it may. */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <m6/debug.h>
#include <m6/fault.h>
#include <m6/invocations.h>
#include <m6/runtime.h>
#include <m6/time.h>
#include <m6_caps.h>

#include "block.h"
#include "elf.h"
#include "image_cache.h"
#include "jobargs.h"
#include "shim.h"
#include "tty.h"
#ifdef CAP_TTY
#include "console_idl.h"
#endif
#ifdef CAP_JOBS
#include "linux_idl.h"
#endif

#define MAX_ARGS 32 /* argv entries (a #! script adds two) */
#define MAX_ENV  32

/* The shim's own lines (shim_log): to the console service when the spec gives one (as a
 * client of its own, whole lines: never cut into by a program's output), else to the
 * kernel's debug console. */
void shim_console_write(const char *s, size_t n)
{
#ifdef CAP_TTY
	while (n > 0) {
		size_t k = n < CONSOLE_WRITE_TEXT_MAX ? n : CONSOLE_WRITE_TEXT_MAX;
		for (int tries = 0; tries < 1000; tries++)
			if (console_write(CAP_TTY, s, k, 0) != M6_ERR_WOULD_BLOCK)
				break;
		s += k;
		n -= k;
	}
#else
	m6_debug_write(CAP_DEBUG_CONSOLE, s, n);
#endif
}

void shim_log(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	shim_console_write(line, (size_t)n);
}

struct stack_builder {
	uint8_t buf[8192];
	size_t top; /* bytes used from the end of buf */
};

static uint64_t push_bytes(struct stack_builder *b, const void *data, size_t n, uint64_t sp_top)
{
	if (b->top + n > sizeof(b->buf))
		return 0;
	b->top += n;
	memcpy(b->buf + sizeof(b->buf) - b->top, data, n);
	return sp_top - b->top;
}

#define AT_NULL         0
#define AT_PHDR         3
#define AT_PHENT        4
#define AT_PHNUM        5
#define AT_PAGESZ       6
#define AT_BASE         7
#define AT_FLAGS        8
#define AT_ENTRY        9
#define AT_UID          11
#define AT_EUID         12
#define AT_GID          13
#define AT_EGID         14
#define AT_PLATFORM     15
#define AT_HWCAP        16
#define AT_CLKTCK       17
#define AT_SECURE       23
#define AT_RANDOM       25
#define AT_HWCAP2       26
#define AT_EXECFN       31
#define AT_SYSINFO_EHDR 33
#define AT_MINSIGSTKSZ  51
/* What arm64 Linux 6.1 reports on a CPU without SVE or SME (Debian's kernel on QEMU's
 * cortex-a72 says 4720): the smallest stack a signal frame with its FP/SIMD record fits
 * on. */
#define LINUX_MINSIGSTKSZ 4720

/* Lay out argc, argv, envp, auxv and their strings at the top of the stack as Linux
 * does; the initial sp (16-byte aligned, pointing at argc) in *sp. */
static int build_stack(struct proc *p, int argc, char *const *argv, int envc, char *const *envp,
                       const struct elf_image *img, uint64_t bias, uint64_t *sp)
{
	static struct stack_builder b;
	b.top = 0;
	const uint64_t top = LINUX_STACK_TOP;
	uint64_t execfn = push_bytes(&b, argv[0], strlen(argv[0]) + 1, top);
	uint64_t platform = push_bytes(&b, "aarch64", 8, top);
	uint64_t envs[MAX_ENV], args[MAX_ARGS];
	for (int i = envc; i-- > 0;)
		envs[i] = push_bytes(&b, envp[i], strlen(envp[i]) + 1, top);
	for (int i = argc; i-- > 0;)
		args[i] = push_bytes(&b, argv[i], strlen(argv[i]) + 1, top);
	uint64_t rnd[2] = {m6_time_ns() * 0x9e3779b97f4a7c15u,
	                   (uint64_t)p->pid * 0xbf58476d1ce4e5b9u};
	uint64_t random = push_bytes(&b, rnd, sizeof(rnd), top);
	if (!execfn || !platform || !random)
		return -LINUX_ENOMEM;
	for (int i = 0; i < envc; i++)
		if (!envs[i])
			return -LINUX_ENOMEM;
	for (int i = 0; i < argc; i++)
		if (!args[i])
			return -LINUX_ENOMEM;
	const uint64_t aux[][2] = {
	    {AT_PHDR, img->phdr_vaddr + bias},
	    {AT_PHENT, img->phentsize},
	    {AT_PHNUM, img->phnum},
	    {AT_PAGESZ, PAGE_SIZE},
	    {AT_BASE, 0},
	    {AT_FLAGS, 0},
	    {AT_ENTRY, img->entry + bias},
	    {AT_UID, 0},
	    {AT_EUID, 0},
	    {AT_GID, 0},
	    {AT_EGID, 0},
	    {AT_PLATFORM, platform},
	    {AT_HWCAP, cpu_hwcap()},
	    {AT_HWCAP2, cpu_hwcap2()},
	    {AT_CLKTCK, 100},
	    {AT_SECURE, 0},
	    {AT_RANDOM, random},
	    {AT_EXECFN, execfn},
	    {AT_MINSIGSTKSZ, LINUX_MINSIGSTKSZ},
	    /* last, and only when there is one: AT_NULL ends the vector early otherwise */
	    {vdso_base(p) ? AT_SYSINFO_EHDR : AT_NULL, vdso_base(p)},
	    {AT_NULL, 0},
	};
	size_t words = 1 + (size_t)argc + 1 + (size_t)envc + 1 + 2 * (sizeof(aux) / sizeof(aux[0]));
	/* align so that argc ends 16-byte aligned */
	size_t pad = (b.top + words * 8) % 16 ? 16 - (b.top + words * 8) % 16 : 0;
	b.top += pad;
	memset(b.buf + sizeof(b.buf) - b.top, 0, pad);
	uint64_t vec[1 + MAX_ARGS + 1 + MAX_ENV + 1 + 64];
	size_t n = 0;
	vec[n++] = (uint64_t)argc;
	for (int i = 0; i < argc; i++)
		vec[n++] = args[i];
	vec[n++] = 0;
	for (int i = 0; i < envc; i++)
		vec[n++] = envs[i];
	vec[n++] = 0;
	for (size_t i = 0; i < sizeof(aux) / sizeof(aux[0]); i++) {
		vec[n++] = aux[i][0];
		vec[n++] = aux[i][1];
	}
	uint64_t start = push_bytes(&b, vec, n * 8, top);
	if (!start || start % 16 != 0)
		return -LINUX_ENOMEM;
	int e = mem_copy_out(p, start, b.buf + sizeof(b.buf) - b.top, b.top);
	if (e)
		return e;
	*sp = start;
	return 0;
}

#define LINUX_E2BIG 7

/* /proc/N/cmdline: argv as the new image gets it, each string with its NUL. */
static void set_cmdline(struct proc *p, int argc, char *const *argv)
{
	size_t n = 0;
	for (int i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1;
	free(p->cmdline);
	p->cmdline = malloc(n ? n : 1);
	p->cmdline_len = 0;
	if (!p->cmdline)
		return; /* reads empty: nothing else depends on it */
	for (int i = 0; i < argc; i++) {
		size_t k = strlen(argv[i]) + 1;
		memcpy(p->cmdline + p->cmdline_len, argv[i], k);
		p->cmdline_len += (uint32_t)k;
	}
}

/* Load the program at `path` into p with these arguments and environment: its thread's
 * first pc and sp in *pc, *sp. A "#!" script runs its interpreter with (optionally) the
 * one argument of that line, the script's path and argv[1...]. Everything is read and
 * checked before p changes: an error then is returned with p untouched, and `*changed`
 * says whether p's memory was replaced already (an execve past that point kills). */
static int proc_load(struct proc *p, const char *path, int argc, char *const *argv, int envc,
                     char *const *envp, uint64_t *pc, uint64_t *sp, bool *changed)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *args[MAX_ARGS + 3];
	char line[128];
	const char *exe = path;
	*changed = false;
	struct image_file file;
	int e = image_open(path, &file);
	if (e) {
		/* the caller gets the error; on a terminal a shell's PATH search would fill
		 * the screen with these */
		if (!shim_interactive)
			shim_log("linux: %s: cannot read %s (%d)", base, path, -e);
		return e;
	}
	if (file.head_len >= 2 && file.head[0] == '#' && file.head[1] == '!') {
		/* "#!INTERP [ARG]": one optional argument, the rest of the line */
		size_t n = 0;
		while (n + 2 < file.head_len && n < sizeof(line) - 1 && file.head[n + 2] != '\n')
			n++;
		memcpy(line, file.head + 2, n);
		line[n] = '\0';
		image_close(&file);
		char *interp = line;
		while (*interp == ' ' || *interp == '\t')
			interp++;
		char *arg = interp;
		while (*arg && *arg != ' ' && *arg != '\t')
			arg++;
		if (*arg)
			*arg++ = '\0';
		while (*arg == ' ' || *arg == '\t')
			arg++;
		for (size_t k = strlen(arg); k > 0 && (arg[k - 1] == ' ' || arg[k - 1] == '\t');)
			arg[--k] = '\0';
		if (!*interp || argc + 2 > MAX_ARGS) {
			shim_log("linux: %s: bad #! line: ENOEXEC", base);
			return -LINUX_ENOEXEC;
		}
		int k = 0;
		args[k++] = interp;
		if (*arg)
			args[k++] = arg;
		args[k++] = (char *)path;
		for (int i = 1; i < argc; i++)
			args[k++] = argv[i];
		argc = k;
		argv = args;
		exe = interp;
		if ((e = image_open(interp, &file)) != 0) {
			shim_log("linux: %s: cannot read its interpreter %s (%d)", base, interp,
			         -e);
			return e;
		}
	}
	struct elf_image img;
	const char *why = NULL;
	enum elf_result r =
	    elf_parse_head(file.head, file.head_len, file.size, LINUX_USER_LIMIT, &img, &why);
	uint64_t bias = 0;
	if (r == ELF_NEEDS_INTERP) {
		shim_log("linux: %s: needs an interpreter (%s): ENOEXEC", base, img.interp);
	} else if (r != ELF_OK) {
		shim_log("linux: %s: not a valid executable: %s: ENOEXEC", base, why);
	} else if (!elf_bias(&img, LINUX_PIE_BASE, LINUX_USER_LIMIT, &bias)) {
		shim_log("linux: %s: image does not fit: ENOEXEC", base);
		r = ELF_BAD;
	}
	if (r != ELF_OK) {
		image_close(&file);
		return -LINUX_ENOEXEC;
	}
	/* the point of no return: the old image goes */
	*changed = true;
	thread_end_all(p, shim_call.tcb);
	mem_proc_clear(p);
	snprintf(p->name, sizeof(p->name), "%s", base);
	/* As given; proc_exe resolves its links when /proc asks (argv[0] and AT_EXECFN keep
	 * the name used). */
	snprintf(p->exe, sizeof(p->exe), "%s", exe);
	p->exe_real = false;
	snprintf(p->comm, sizeof(p->comm), "%s", base); /* Linux's comm: 15 bytes */
	set_cmdline(p, argc, argv);
	if ((e = mem_proc_make(p)) == 0 && (e = image_load(p, &file, &img, bias)) == 0 &&
	    (e = mem_vma_add(p, LINUX_STACK_TOP - LINUX_STACK_SIZE, LINUX_STACK_TOP,
	                     ELF_PROT_READ | ELF_PROT_WRITE, VMA_STACK)) == 0 &&
	    (e = vdso_map(p)) == 0 && (e = signal_map_sigpage(p)) == 0)
		e = build_stack(p, argc, argv, envc, envp, &img, bias, sp);
	image_close(&file);
	if (e)
		return e;
	p->brk_start = p->brk = img.hi + bias;
	*pc = img.entry + bias;
	return 0;
}

/* Start argv as a new process, the leader of a new session whose controlling terminal is
 * the console's TTY if no other session has it: its pid, or -errno with a log line. */
static int spawn_argv(int argc, char **argv)
{
	static char *const envp[] = {"HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=linux"};
	if (argc == 0)
		return -LINUX_EINVAL;
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	struct proc *p = proc_alloc();
	if (!p) {
		shim_log("linux: %s: no process slot (EAGAIN)", base);
		return -11;
	}
	uint64_t pc = 0, sp = 0;
	bool changed;
	int e = fd_proc_init(p);
	if (e) {
		shim_log("linux: %s: cannot start: out of descriptions (%d)", base, -e);
		return e;
	}
	e = proc_load(p, argv[0], argc, argv, 3, envp, &pc, &sp, &changed);
	if (e) {
		if (changed)
			shim_log("linux: %s: cannot start: out of memory (%d)", base, -e);
		fd_proc_exit(p);
		mem_proc_clear(p);
		return e;
	}
	p->used = true;
	live++;
	uint64_t x[1] = {0};
	if (m6_tcb_set_priority(p->tcb, M6_CAP_SELF_TCB, LINUX_PROCESS_PRIORITY) != M6_OK ||
	    m6_tcb_write_tls(p->tcb, 0) != M6_OK ||
	    m6_tcb_write_registers(p->tcb, true, pc, sp, x, 1) != M6_OK) {
		proc_kill(p, "cannot start its thread", 0, 0);
		return -LINUX_EINVAL;
	}
	tty_attach(p);
	return p->pid;
}

/* Start "PATH ARG..." (words split at spaces) as a new process; as spawn_argv. */
static int spawn(char *line)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	for (char *t = strtok(line, " "); t && argc < MAX_ARGS; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	return spawn_argv(argc, argv);
}

/* ---- jobs: programs a client (the m6 shell) starts through linux.idl ---- */

#define MAX_JOBS 4
/* Clients of linux.idl call the shim's endpoint with badges from here up; lower badges are
 * its threads' faults (the spec must give clients such badges: docs/linux.md). */
#define JOB_CLIENT_BADGE 0x10000u

static struct job {
	bool used, done;
	int pid;
	int status; /* wait status, once done */
} jobs[MAX_JOBS];
static bool serving_jobs;
bool shim_interactive;

void shim_proc_ended(struct proc *p, int wstatus)
{
	tty_proc_gone(p);
	for (unsigned i = 0; i < MAX_JOBS; i++) {
		struct job *j = &jobs[i];
		if (j->used && !j->done && j->pid == p->pid) {
			j->done = true;
			j->status = wstatus;
#ifdef CAP_JOBS_DONE
			m6_signal(CAP_JOBS_DONE); /* the client asks `wait` */
#endif
		}
	}
}

#ifdef CAP_JOBS
static uint64_t job_run(void *ctx, uint64_t badge, const void *words, size_t len, uint32_t *job,
                        int32_t *error)
{
	(void)ctx;
	(void)badge;
	static char buf[LINUX_RUN_ARGV_MAX + 1];
	char *argv[MAX_ARGS + 1];
	*job = 0;
	int argc = jobargs_split(words, len, buf, sizeof(buf), argv, MAX_ARGS);
	if (argc < 0) {
		*error = argc;
		return M6_OK;
	}
	struct job *j = NULL;
	for (unsigned i = 0; i < MAX_JOBS && !j; i++)
		if (!jobs[i].used)
			j = &jobs[i];
	if (!j) {
		*error = -LINUX_EAGAIN;
		return M6_OK;
	}
	int pid = spawn_argv(argc, argv);
	if (pid < 0) {
		*error = pid;
		return M6_OK;
	}
	*j = (struct job){.used = true, .pid = pid};
	*job = (uint32_t)(j - jobs) + 1;
	*error = 0;
	return M6_OK;
}

static uint64_t job_wait(void *ctx, uint64_t badge, uint32_t job, uint32_t *done, int32_t *status)
{
	(void)ctx;
	(void)badge;
	if (job == 0 || job > MAX_JOBS || !jobs[job - 1].used)
		return M6_ERR_INVALID_ARGUMENT;
	struct job *j = &jobs[job - 1];
	*done = j->done;
	*status = j->done ? j->status : 0;
	if (j->done)
		j->used = false;
	return M6_OK;
}

static const struct linux_ops job_ops = {.run = job_run, .wait = job_wait};
#endif

/* Copy a NULL-terminated array of strings from p into `pool`; the count, or -errno. */
static int copy_strings(struct proc *p, uint64_t array, char **out, int max, char *pool,
                        size_t pool_size, size_t *used)
{
	int n = 0;
	if (array == 0)
		return 0;
	for (;; n++) {
		uint64_t ptr;
		int e = mem_copy_in(p, &ptr, array + (uint64_t)n * 8, sizeof(ptr));
		if (e)
			return e;
		if (ptr == 0)
			return n;
		if (n == max)
			return -LINUX_E2BIG;
		out[n] = pool + *used;
		for (;;) {
			if (*used == pool_size)
				return -LINUX_E2BIG;
			if ((e = mem_copy_in(p, pool + *used, ptr++, 1)) != 0)
				return e;
			if (pool[(*used)++] == '\0')
				break;
		}
	}
}

const char *proc_exe(struct proc *p)
{
	if (!p->exe_real) {
		static char real[LINUX_PATH_MAX];
		if (realpath(p->exe, real))
			snprintf(p->exe, sizeof(p->exe), "%s", real);
		p->exe_real = true;
	}
	return p->exe;
}

int64_t linux_sys_execve(struct proc *p, const uint64_t a[6])
{
	static char pool[6144];
	static char path[256];
	char *argv[MAX_ARGS + 1], *envp[MAX_ENV + 1];
	size_t used = 0;
	int e = copy_strings(p, a[1], argv, MAX_ARGS, pool, sizeof(pool), &used);
	if (e < 0)
		return e;
	int argc = e;
	if ((e = copy_strings(p, a[2], envp, MAX_ENV, pool, sizeof(pool), &used)) < 0)
		return e;
	int envc = e;
	for (size_t i = 0;; i++) {
		if (i == sizeof(path))
			return -36; /* ENAMETOOLONG */
		if ((e = mem_copy_in(p, &path[i], a[0] + i, 1)) != 0)
			return e;
		if (path[i] == '\0')
			break;
	}
	if (path[0] == '\0')
		return -LINUX_ENOENT;
	if (strcmp(path, "/proc/self/exe") == 0) {
		/* The running program again (busybox's shell runs its applets so). */
		snprintf(path, sizeof(path), "%s", p->exe);
	} else if (path[0] != '/') {
		/* Relative to the process's working directory, not the shim's. */
		static char rel[sizeof(path)];
		const char *cwd = p->files.cwd ? p->files.cwd : "/";
		memcpy(rel, path, sizeof(rel));
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", strcmp(cwd, "/") ? cwd : "",
		                     rel) >= sizeof(path))
			return -36; /* ENAMETOOLONG */
	}
	if (shim_call.thr)
		return -LINUX_ENOSYS; /* only the main thread may exec (docs/linux.md) */
	static char *const none[] = {""};
	if (argc == 0) {
		argv[0] = none[0]; /* Linux passes an empty argv[0] then */
		argc = 1;
	}
	uint64_t pc, sp;
	bool changed;
	e = proc_load(p, path, argc, argv, envc, envp, &pc, &sp, &changed);
	if (e && !changed)
		return e; /* the old image goes on, with the error */
	if (e) {
		proc_kill(p, "exec failed: out of memory", 0, 0);
		return LINUX_PARKED; /* nobody to answer */
	}
	proc_on_exec(p);
	/* A new image: every register 0 but pc and sp, TLS 0. The thread owes no answer:
	 * suspending it drops the pending reply, and it starts afresh. */
	uint64_t x[31] = {0};
	m6_tcb_suspend(p->tcb);
	m6_tcb_write_tls(p->tcb, 0);
	m6_tcb_write_registers(p->tcb, true, pc, sp, x, 31);
	return LINUX_PARKED;
}

#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRALN  1
#define ILL_ILLOPC  1
#define FPE_FLTUNK  14
#define TRAP_BRKPT  1
#define DFSC_ALIGN  0x21

/* A fault the shim cannot resolve: the signal Linux raises for it (its default action
 * kills with the log line "killed: bad access at ADDR (pc PC): SIGSEGV"). */
static void fault_to_signal(struct proc *p, const struct m6_fault_info *f)
{
	if (f->kind == M6_FAULT_VM) {
		uint64_t esr = f->vm.esr;
		if ((esr & 0x3f) == DFSC_ALIGN) {
			signal_fault(LINUX_SIGBUS, BUS_ADRALN, f->vm.address, esr, f->pc,
			             "alignment");
			return;
		}
		int code = mem_vma_find(p, f->vm.address) ? SEGV_ACCERR : SEGV_MAPERR;
		signal_fault(LINUX_SIGSEGV, code, f->vm.address, esr, f->pc, "bad access");
		return;
	}
	uint64_t esr = f->exception.esr;
	switch (esr >> 26) {
	case 0x22: /* pc alignment */
	case 0x26: /* sp alignment */
		signal_fault(LINUX_SIGBUS, BUS_ADRALN, f->pc, esr, f->pc, "alignment");
		break;
	case 0x2c: /* trapped floating-point exception */
		signal_fault(LINUX_SIGFPE, FPE_FLTUNK, f->pc, esr, f->pc, "fp exception");
		break;
	case 0x3c: /* brk */
		signal_fault(LINUX_SIGTRAP, TRAP_BRKPT, f->pc, esr, f->pc, "breakpoint");
		break;
	default: /* undefined instruction, illegal execution state, ... */
		signal_fault(LINUX_SIGILL, ILL_ILLOPC, f->pc, esr, f->pc, "illegal instruction");
		break;
	}
}

/* Serve faults until no process is left. */
static void serve(void)
{
	struct m6_msg m;
	bool answer = false;
	/* the shim's one thread keeps its IPC buffer: looked up once, not per message */
	const struct m6_ipc_buffer *buf = m6_ipc_buffer();
	while (live > 0 || serving_jobs) {
		uint64_t err = answer ? m6_reply_recv(shim_faults, &m) : m6_recv(shim_faults, &m);
		answer = false;
		if (err != M6_OK)
			continue;
		if (m6_msginfo_label(m.info) == M6_LABEL_NOTIFICATION) {
			/* badge 1: a deadline passed (block.c); 2: the console has input */
			if (m.badge & 2)
				tty_input();
			block_run();
			continue;
		}
#ifdef CAP_JOBS
		if (m.badge >= JOB_CLIENT_BADGE) {
			/* a client's call (linux.idl): answered at once, never held */
			answer = linux_dispatch(&job_ops, NULL, &m) == 0;
			block_run();
			continue;
		}
#endif
		struct m6_fault_info f;
		struct proc *p = proc_of(m.badge);
		struct lthread *thr = p ? NULL : thread_of(m.badge);
		if (thr)
			p = thr->p;
		if (!p)
			continue; /* not ours: no answer, the thread stays stopped */
		/* The common message, a Linux syscall, is taken apart in place: x0..x5 are the
		 * first words (in registers), the number, pc and sp in the IPC buffer, read
		 * before the handler's own calls reuse it. Any other is decoded (a syscall
		 * message too short to decode is no fault: left unanswered). */
		bool syscall = m6_msginfo_label(m.info) == M6_FAULT_LINUX_SYSCALL &&
		               m6_msginfo_length(m.info) >= M6_FAULT_SYSCALL_WORDS;
		if (!syscall && !m6_fault_decode_buf(buf, &m, &f))
			continue;
		shim_call = (struct linux_call){.p = p,
		                                .tcb = thr ? thr->tcb : p->tcb,
		                                .thr = thr,
		                                .pc = syscall ? buf->mr[9] : f.pc,
		                                .sp = syscall ? buf->mr[10] : 0,
		                                .nr = syscall ? buf->mr[8] : 0,
		                                .busy = true};
		if (syscall) {
			uint64_t ret = 0;
			/* signals due now are delivered instead of a plain answer (signal.c) */
			if (linux_syscall(p, shim_call.nr, m.mr, &ret) &&
			    !signal_syscall_return(ret)) {
				m6_fault_reply_set_x0(&m, ret);
				answer = true;
			}
		} else if (f.kind == M6_FAULT_VM && (f.vm.esr & 0x3f) != DFSC_ALIGN) {
			int e = mem_fault(p, f.vm.address, f.vm.esr, f.vm.instruction);
			if (e == 0) {
				m6_fault_reply_resume(&m);
				answer = true;
			} else if (e == -LINUX_ENOMEM) {
				proc_kill(p, "out of memory", f.vm.address, f.pc);
			} else {
				fault_to_signal(p, &f);
			}
		} else if (f.kind == M6_FAULT_EXCEPTION &&
		           cpu_emulate(p, shim_call.tcb, f.pc, f.exception.esr, &m) == 0) {
			answer = true; /* an MRS of an ID register, answered as Linux does */
		} else {
			fault_to_signal(p, &f);
		}
		shim_call.busy = false;
		/* What this message made ready (an exit a parent waits for, a futex wake, ...)
		 * is completed now, before the answer. */
		block_run();
	}
}

int main(int argc, char **argv)
{
	int e = mem_init();
	if (e) {
		shim_log("linux: cannot map the frame window (%d)", -e);
		return 1;
	}
	block_init();
#ifdef CAP_JOBS
	serving_jobs = true; /* a client may start programs at any time: never done */
	shim_interactive = true;
	/* No job is pid 1: as on Linux, where the user's shell is not init, a shell's
	 * stopped jobs are not in orphaned groups (whose ^Z would be dropped), and orphans
	 * are reaped by the shim rather than left to a job. */
	(void)proc_new_pid();
#endif
#ifdef CAP_TTY
	/* the console's input: lent by the shell while a job runs, or claimed here when the
	 * shim runs programs of its own (its args) */
	tty_init(true, !serving_jobs && argc > 1);
#else
	tty_init(false, false);
#endif
	cpu_init();
	if ((e = vdso_init()) != 0)
		shim_log("linux: no vDSO (%d): time calls go to the shim", -e);
	/* "&PATH ARG..." starts a program without waiting for it: it runs beside the next. */
	for (int i = 1; i < argc; i++) {
		char line[256];
		bool background = argv[i][0] == '&';
		snprintf(line, sizeof(line), "%s", argv[i] + (background ? 1 : 0));
		if (spawn(line) > 0 && !background)
			serve();
	}
	serve();
	unsigned made, free_count;
	vdso_release();
	image_cache_shrink();
	mem_stats(&made, &free_count);
	shim_log("linux: all programs done (%u frames made, %u free)", made, free_count);
#ifdef CAP_POWER
	m6_power_off(CAP_POWER);
#endif
	return 0;
}
