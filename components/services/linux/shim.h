/* The Linux shim's internal interface (docs/linux.md, "The shim: design"): processes,
 * their memory (mem.c), their system calls (syscalls.c), start-up (main.c). */
#ifndef LINUX_SHIM_H
#define LINUX_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <m6/syscall.h>

#include "fd.h"
#include "signal.h"

#define PAGE_SIZE 4096u
/* A Linux process may use addresses below this: one level-1 table's 512 GiB. */
#define LINUX_USER_LIMIT ((uint64_t)1 << 39)
#define LINUX_STACK_TOP  (LINUX_USER_LIMIT - 0x10000000u)
#define LINUX_STACK_SIZE ((uint64_t)8 << 20)
/* mmap places regions top-down from here; static-PIE images go at LINUX_PIE_BASE. */
#define LINUX_MMAP_TOP (LINUX_STACK_TOP - LINUX_STACK_SIZE - 0x10000000u)
#define LINUX_PIE_BASE 0x5555550000u
/* The vDSO's data page, then its text (vdso.c): in the gap between the mmap area and the
 * stack, so that neither moves. */
#define LINUX_VDSO_BASE   (LINUX_STACK_TOP - LINUX_STACK_SIZE - 0x8000000u)
#define LINUX_MAX_VMAS    256u
#define LINUX_MAX_PROCS   16u /* slots; the spec's asid_pool bounds them too */
#define LINUX_MAX_THREADS 32u /* threads beyond each process's main one, all together */
/* Linux threads run below the shim, which serves them (at most the shim's maximum). */
#ifndef LINUX_PROCESS_PRIORITY
#define LINUX_PROCESS_PRIORITY 90
#endif

#define LINUX_ENOENT  2
#define LINUX_EBADF   9
#define LINUX_ENOMEM  12
#define LINUX_EFAULT  14
#define LINUX_EEXIST  17
#define LINUX_EINVAL  22
#define LINUX_ENOTTY  25
#define LINUX_ENOSYS  38
#define LINUX_ENOEXEC 8
#define LINUX_ENODEV  19
#define LINUX_EAGAIN  11

/* In an l3 entry's prot: the frame is shared copy-on-write, mapped without write. */
#define PROT_COW 0x100u
/* In an l3 entry's prot: the entry holds a reference to its frame but nothing is mapped
 * and it has no cap of its own yet (a fork child's page until the child touches it). */
#define PROT_LAZY 0x200u

enum vma_kind { VMA_IMAGE, VMA_HEAP, VMA_ANON, VMA_STACK, VMA_VDSO, VMA_FILE };

/* A VMA's flags: MAP_SHARED memory is shared with fork children (never copy-on-write);
 * a file-backed one holds a reference on the description it maps (mmap.c). */
#define VMA_SHARED 0x1u

struct ofd;

struct vma {
	uint64_t start, end; /* page-aligned, start < end */
	uint32_t prot;       /* ELF_PROT_* = PROT_* */
	uint32_t kind;
	uint32_t flags;   /* VMA_SHARED */
	struct ofd *file; /* a file mapping: the description (one reference), else NULL */
	uint64_t off;     /* the file offset of `start` */
};

/* A level-3 page table of a process and the shadow of its entries. */
struct l3 {
	uint64_t base; /* 2 MiB-aligned */
	m6_cptr_t cap;
	uint32_t frame[512]; /* frame index + 1 of each entry, 0: not present */
	uint32_t prot[512];  /* rights the entry is mapped with (ELF_PROT_*, PROT_COW) */
	m6_cptr_t fcap[512]; /* the frame cap this entry maps; 0: the frame's own */
	struct l3 *next;
};

struct l2 {
	uint64_t base; /* 1 GiB-aligned */
	m6_cptr_t cap;
	struct l2 *next;
};

struct proc {
	bool used, made, has_asid, l1_mapped;
	uint64_t badge; /* of its fault endpoint cap: index + 1 */
	int pid;
	char name[32];
	char exe[128]; /* the path it was started from (/proc/self/exe) */
	bool exe_real; /* exe has its links resolved (proc_exe does that at first use) */
	/* kernel objects, made once per slot and kept for the next process */
	m6_cptr_t tcb, vspace, cnode, l1, fault_ep;
	struct l2 *l2s;
	struct l3 *l3s, *l3_hint;
	struct vma vma[LINUX_MAX_VMAS];
	unsigned nvma;
	uint64_t brk_start, brk;
	uint64_t clear_tid;
	struct fd_table files;  /* descriptors and cwd (fd.c) */
	int ppid, pgid, sid;    /* ppid 0: started by the shim, nobody waits for it */
	bool zombie;            /* exited, its slot kept until its parent waits */
	int wstatus;            /* as wait4 reports it: code << 8, or the signal */
	int nthreads;           /* its threads alive, the main one (tcb above) included */
	bool main_exited;       /* the main thread called exit(2) while others go on */
	struct sig_proc sig;    /* handlers, process-directed signals, stop state (signal.c) */
	struct sig_thread sigt; /* the main thread's mask, pending set, alternate stack */
	char comm[16];          /* Linux's comm: exec's file name, prctl(PR_SET_NAME) */
	char *cmdline;          /* argv at exec, each with its NUL (malloc'd; NULL: none) */
	uint32_t cmdline_len;
	uint32_t umask;
	uint64_t start_ns; /* when fork or the shim made it (from boot) */
};

/* A thread beyond a process's main one (clone with CLONE_THREAD): its own TCB in the
 * process's VSpace, its fault endpoint cap badged LINUX_MAX_PROCS + 1 + its index. */
struct lthread {
	bool used;
	struct proc *p;
	m6_cptr_t tcb, cnode, fault_ep; /* made once per slot, kept for the next thread */
	int tid;
	uint64_t clear_tid;     /* CLONE_CHILD_CLEARTID / set_tid_address */
	struct sig_thread sigt; /* its mask, pending set, alternate stack (signal.c) */
};

/* ---- mem.c: the pool, the frame window, process memory ---- */
/* The endpoint every Linux thread faults to (made from the pool by mem_init, or the
 * spec's `endpoint jobs` when the shim serves linux.idl: then client calls arrive there
 * too), and the cap with write and grant that threads' fault endpoint caps are minted
 * from. */
extern m6_cptr_t shim_faults, shim_fault_source;
int mem_init(void);
/* Make (or reuse) the kernel objects of p; 0 or -errno. */
int mem_proc_make(struct proc *p);
/* Give back every frame and table of p's address space (VMAs forgotten too). */
void mem_proc_clear(struct proc *p);
/* Add a VMA [start, end); fails (-ENOMEM) when the list is full. Overlaps must be removed
 * first (mem_unmap). */
int mem_vma_add(struct proc *p, uint64_t start, uint64_t end, uint32_t prot, uint32_t kind);
struct vma *mem_vma_find(struct proc *p, uint64_t addr);
/* Add a VMA with every field given (a file mapping's reference is the caller's, taken
 * over). */
int mem_vma_insert(struct proc *p, const struct vma *v);
/* Drop the present pages of [start, end), keeping the VMAs (madvise DONTNEED). */
void mem_drop(struct proc *p, uint64_t start, uint64_t end);
/* The shim's pointer to the page at addr if it is present, else NULL (nothing made). */
uint8_t *mem_peek(struct proc *p, uint64_t addr);
/* A futex key for addr in MAP_SHARED memory: the frame and offset (the same in every
 * process mapping it); false for private memory. */
bool mem_shared_key(struct proc *p, uint64_t addr, uint64_t *key);
/* Move the present pages of [from, from + len) to `to` (mremap; VMAs are the caller's). */
int mem_move(struct proc *p, uint64_t from, uint64_t to, uint64_t len);
/* Unmap [start, end): frames back to the free list, VMAs trimmed or split. */
int mem_unmap(struct proc *p, uint64_t start, uint64_t end);
/* Copy parent's VMAs and pages into child (made, empty): every page shared copy-on-write;
 * 0 or -ENOMEM (the child is then cleared by the caller). */
int mem_fork(struct proc *parent, struct proc *child);
int mem_protect(struct proc *p, uint64_t start, uint64_t end, uint32_t prot);
/* A free range of `len` bytes below `top` (0 if none). */
uint64_t mem_find_gap(struct proc *p, uint64_t len, uint64_t top);
/* The shim's pointer to the page holding addr, made present (zero-filled) if it lies in
 * a VMA; NULL outside every VMA or when memory ran out (*err says which). */
uint8_t *mem_page(struct proc *p, uint64_t addr, int *err);
int mem_copy_in(struct proc *p, void *dst, uint64_t src, size_t n);
int mem_copy_out(struct proc *p, uint64_t dst, const void *src, size_t n);
/* After writing code into p's pages through the shim: clean and invalidate. */
void mem_sync_code(struct proc *p, uint64_t start, uint64_t end);
/* A VM fault at addr: 0 resolved, else -errno (the process must die). */
int mem_fault(struct proc *p, uint64_t addr, uint64_t esr, bool instruction);
/* Frames in use and free, for the log. */
void mem_stats(unsigned *made, unsigned *free_count);
/* A zeroed frame the shim keeps (a reference of its own) to map into processes: its
 * index and the shim's pointer to it; 0 or -ENOMEM. */
int mem_frame_hold(uint32_t *index, uint8_t **ptr);
/* Drop the shim's reference: the frame is freed with its last mapping. */
void mem_frame_release(uint32_t index);
/* Map held frame `index` at va in p, copy-on-write with `prot` (a page already there is
 * dropped); 0 or -ENOMEM. */
int mem_map_held(struct proc *p, uint64_t va, uint32_t index, uint32_t prot);
/* As mem_map_held, but mapped on first touch (the exec image cache); 0 or -ENOMEM. */
int mem_map_held_lazy(struct proc *p, uint64_t va, uint32_t index, uint32_t prot);
/* Make the code written into held frame `index` visible to instruction fetches. */
void mem_frame_sync_code(uint32_t index);

/* ---- cpu.c: AT_HWCAP and the ID registers a program reads ---- */
/* Read the CPU's ID registers through the kernel (needs `syscap system_info`). */
void cpu_init(void);
uint64_t cpu_hwcap(void);
uint64_t cpu_hwcap2(void);
/* MIDR_EL1 as read at start-up (0 without `syscap system_info`). */
uint64_t cpu_midr(void);
/* The /proc/cpuinfo name of AT_HWCAP bit `bit`, NULL past the known ones. */
const char *cpu_hwcap_name(unsigned bit);
/* An exception of p's thread `tcb` at pc with syndrome esr: an MRS of an ID register is
 * answered (the destination register written, `m` made the reply that resumes after it)
 * and 0 returned; anything else is -EINVAL (the caller kills: SIGILL). */
int cpu_emulate(struct proc *p, m6_cptr_t tcb, uint64_t pc, uint64_t esr, struct m6_msg *m);

/* ---- vdso.c: the vDSO mapped into every process ---- */
/* Copy the vDSO into held frames and write its data page (once, at start-up); 0 or -errno
 * (then processes run without a vDSO). */
int vdso_init(void);
/* Give the vDSO's frames back (the end of the shim's run, for the frame count). */
void vdso_release(void);
/* Map the data page and the vDSO into p (exec); 0 or -errno. */
int vdso_map(struct proc *p);
/* The address of the vDSO's ELF header in p (AT_SYSINFO_EHDR), 0 if none. */
uint64_t vdso_base(struct proc *p);
/* The address in p of the vDSO function `name` (e.g. "__kernel_rt_sigreturn"), 0 if none:
 * where a signal frame's return address should point. */
uint64_t vdso_symbol(struct proc *p, const char *name);
/* Nanoseconds of the clocks the vDSO serves, as it computes them: counter time since the
 * counter started, plus the wall-clock offset when `realtime`. */
uint64_t vdso_clock_ns(bool realtime);
/* Counter ticks of an absolute time `ns` of CLOCK_MONOTONIC, or of CLOCK_REALTIME when
 * `realtime` (a time before the counter started is 0). */
uint64_t vdso_abs_to_ticks(uint64_t ns, bool realtime);

/* The pool in pages, and how many of them are free (never retyped, or on the free list):
 * /proc/meminfo, sysinfo. */
void mem_pool_pages(uint64_t *total, uint64_t *free_pages);
/* Pages present in p's address space (VmRSS). */
uint64_t mem_rss(const struct proc *p);

/* ---- mmap.c: file-backed and shared mappings, msync, madvise, mremap, mincore ---- */
/* Write the present pages of the shared file mapping v within [start, end) to its file
 * (up to the file's end). */
void mmap_writeback(struct proc *p, const struct vma *v, uint64_t start, uint64_t end);
int64_t mmap_sys_mmap(struct proc *p, const uint64_t a[6]);
int64_t mmap_sys_msync(struct proc *p, const uint64_t a[6]);
int64_t mmap_sys_madvise(struct proc *p, const uint64_t a[6]);
int64_t mmap_sys_mremap(struct proc *p, const uint64_t a[6]);
int64_t mmap_sys_mincore(struct proc *p, const uint64_t a[6]);

/* ---- syscalls.c ---- */
/* Handle one syscall; false when the thread must not be resumed (it exited). */
bool linux_syscall(struct proc *p, uint64_t nr, const uint64_t a[6], uint64_t *ret);
const char *linux_syscall_name(uint64_t nr);

/* ---- main.c ---- */
void shim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The shim serves a shell's jobs on a terminal: routine lines (exits, a repeated
 * unsupported call) are left out of the user's session. */
extern bool shim_interactive;
void shim_console_write(const char *s, size_t n);

/* ---- proc.c: the process table ---- */
extern struct proc procs[LINUX_MAX_PROCS];
extern int live; /* processes running (not zombies) */
/* A free slot with a new pid, parent 0, its own group and session; NULL if none. The
 * caller sets used once the process exists. */
struct proc *proc_alloc(void);
/* The running process whose fault endpoint badge this is. */
struct proc *proc_of(uint64_t badge);
struct proc *proc_by_pid(int pid);
/* End p: log "linux: NAME exited N" (status >= 0) and give its memory back; it stays a
 * zombie for its parent's wait. */
void proc_exit(struct proc *p, int status);
void proc_kill(struct proc *p, const char *why, uint64_t addr, uint64_t pc);
/* End p killed by signal sig (wait status sig; the caller logs why). */
void proc_end_signal(struct proc *p, int sig);
/* main.c: p has ended with wait status `wstatus` (called by proc.c once p is gone): its
 * terminal and its job, if it is one, learn of it. */
void shim_proc_ended(struct proc *p, int wstatus);
int64_t proc_sys_clone(struct proc *p, const uint64_t a[6]);
int64_t proc_sys_clone3(struct proc *p, const uint64_t a[6]);
int64_t proc_sys_wait4(struct proc *p, const uint64_t a[6]);
int64_t proc_sys_waitid(struct proc *p, const uint64_t a[6]);
int64_t proc_sys_getppid(struct proc *p, const uint64_t a[6]);
int64_t proc_sys_setpgid(struct proc *p, const uint64_t a[6]);
int64_t proc_sys_getpgid(struct proc *p, const uint64_t a[6]);
int64_t proc_sys_getsid(struct proc *p, const uint64_t a[6]);
int64_t proc_sys_setsid(struct proc *p, const uint64_t a[6]);
/* After execve has replaced p's image: what else a new image resets (close-on-exec file
 * descriptors: the file layer's hook goes here). */
void proc_on_exec(struct proc *p);
/* A new process or thread id (one number space, as Linux's). */
int proc_new_pid(void);

/* ---- thread.c: threads and futexes ---- */
extern struct lthread threads[LINUX_MAX_THREADS];
/* The running thread whose fault endpoint badge this is (not a main thread). */
struct lthread *thread_of(uint64_t badge);
int64_t thread_clone(struct proc *p, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t tls,
                     uint64_t ctid);
int64_t thread_sys_futex(struct proc *p, const uint64_t a[6]);
/* Wake up to n threads of p waiting on the futex at uaddr; how many were woken. */
int futex_wake(struct proc *p, uint64_t uaddr, uint64_t n, uint32_t bits);
/* exit(2) of the calling thread; the process ends with its last thread. */
void thread_exit(struct proc *p, int status);
/* Stop and forget p's threads but the one whose TCB is `except` (0: all). */
void thread_end_all(struct proc *p, m6_cptr_t except);
/* main.c: execve (the loader lives there). */
int64_t linux_sys_execve(struct proc *p, const uint64_t a[6]);
/* The program's path with its links resolved (/proc/N/exe, maps: /bin/busybox for an
 * applet link), asked of the VFS at first use, not at every exec (about 3,800
 * instructions that few programs need). */
const char *proc_exe(struct proc *p);

#endif
