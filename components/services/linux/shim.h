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
#define LINUX_MMAP_TOP    (LINUX_STACK_TOP - LINUX_STACK_SIZE - 0x10000000u)
#define LINUX_PIE_BASE    0x5555550000u
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

enum vma_kind { VMA_IMAGE, VMA_HEAP, VMA_ANON, VMA_STACK };

struct vma {
	uint64_t start, end; /* page-aligned, start < end */
	uint32_t prot;       /* ELF_PROT_* = PROT_* */
	uint32_t kind;
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

#endif
