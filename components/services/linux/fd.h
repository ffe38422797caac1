/* The Linux shim's file descriptors (docs/linux.md, "Files and descriptors"): each process
 * has a table of descriptors; a descriptor names an open-file description, which dup,
 * fcntl(F_DUPFD) and fork share (one offset, one set of status flags), as on Linux. A
 * description is a VFS descriptor of the shim (the shim is one VFS client), a device the
 * shim itself serves (/dev/null, /dev/zero, /dev/urandom, the console), or one end of a
 * pipe the shim keeps. */
#ifndef LINUX_FD_H
#define LINUX_FD_H

#include <stdbool.h>
#include <stdint.h>

struct proc;

/* Descriptors per process: RLIMIT_NOFILE, as prlimit64 reports it. */
#define LINUX_MAX_FDS 256u
/* PATH_MAX, with its NUL. */
#define LINUX_PATH_MAX 4096u
/* A pipe's capacity: Linux's default. */
#define LINUX_PIPE_SIZE 65536u

enum ofd_kind {
	OFD_CONSOLE, /* fd 0-2, /dev/tty, /dev/console: the terminal (tty.c) */
	OFD_NULL,
	OFD_ZERO,
	OFD_URANDOM,
	OFD_VFS,    /* a file or directory of the VFS */
	OFD_PIPE_R, /* the read end of a pipe */
	OFD_PIPE_W,
	OFD_PROC,  /* a /proc file or directory, or /dev: generated at open (procfs.c) */
	OFD_EPOLL, /* an epoll instance (epoll.c) */
};

struct pipe;
struct procfs_file;
struct epoll;

/* An open-file description. */
struct ofd {
	unsigned refs; /* descriptors (of every process) naming it; 0: free */
	uint8_t kind;
	uint32_t flags; /* O_ACCMODE | O_APPEND | O_NONBLOCK (Linux values) */
	uint32_t vfd;   /* OFD_VFS: the shim's VFS descriptor */
	char *path;     /* OFD_VFS: the absolute path it was opened by (for *at, fchmod) */
	struct pipe *pipe;
	struct procfs_file *gen; /* OFD_PROC: the generated text (path: what was opened) */
	struct epoll *epoll;     /* OFD_EPOLL: the interest list */
};

/* The per-process part (struct proc holds one). */
struct fd_table {
	struct ofd *fd[LINUX_MAX_FDS];
	bool cloexec[LINUX_MAX_FDS];
	char *cwd; /* absolute, no trailing slash but for "/"; NULL: "/" */
};

/* errno values the file calls use (Linux's; identical redefinitions of shim.h's are
 * harmless). */
#define LINUX_EAGAIN       11
#define LINUX_EACCES       13
#define LINUX_ENOTDIR      20
#define LINUX_EISDIR       21
#define LINUX_ENFILE       23
#define LINUX_EMFILE       24
#define LINUX_ESPIPE       29
#define LINUX_EPIPE        32
#define LINUX_ERANGE       34
#define LINUX_ENOSPC       28
#define LINUX_ENAMETOOLONG 36
#define LINUX_EOPNOTSUPP   95

/* open flags (Linux arm64) */
#define L_O_ACCMODE   03u
#define L_O_RDONLY    00u
#define L_O_WRONLY    01u
#define L_O_RDWR      02u
#define L_O_CREAT     0100u
#define L_O_EXCL      0200u
#define L_O_TRUNC     01000u
#define L_O_APPEND    02000u
#define L_O_NONBLOCK  04000u
#define L_O_DIRECTORY 040000u
#define L_O_LARGEFILE 0400000u
#define L_O_CLOEXEC   02000000u
#define L_O_PATH      010000000u
#define L_O_TMPFILE   020000000u

/* ---- fd.c: hooks for the process life cycle ---- */
/* A new process: 0, 1, 2 the console, cwd "/". 0 or -ENOMEM. */
int fd_proc_init(struct proc *p);
/* fork: the child's table names the parent's descriptions (shared, as Linux), cwd copied. */
int fd_fork(struct proc *parent, struct proc *child);
/* execve: descriptors marked close-on-exec are closed. */
void fd_exec(struct proc *p);
/* The process ends: every descriptor closed, cwd freed. */
void fd_proc_exit(struct proc *p);

/* ---- fd.c: descriptors ---- */
struct ofd *fd_get(struct proc *p, int64_t fd);
/* A free description (refs 0 -> 1), or NULL (-ENFILE). */
struct ofd *ofd_new(uint8_t kind, uint32_t flags);
/* One reference fewer; the last one closes the VFS descriptor or the pipe end. */
void ofd_put(struct ofd *f);
/* Install f at the lowest free descriptor >= min: the descriptor, or -EMFILE. Takes over
 * the caller's reference on success. */
int64_t fd_install(struct proc *p, struct ofd *f, uint64_t min, bool cloexec);
/* Whether one more descriptor is free (before doing anything that cannot be undone). */
bool fd_room(struct proc *p);

/* ---- pipes (fd.c) ---- */
/* New pipe: two descriptions (read end, write end). 0 or -errno. */
int pipe_new(uint32_t status_flags, struct ofd **r, struct ofd **w);
/* Move up to n bytes: >0 count, 0 EOF (read, no writers), -EAGAIN when it would have to
 * wait, -EPIPE (write, no readers). */
int64_t pipe_read(struct proc *p, struct pipe *pp, uint64_t buf, uint64_t n);
int64_t pipe_write(struct proc *p, struct pipe *pp, uint64_t buf, uint64_t n);
/* The poll events ready on pipe end f (POLLIN|POLLHUP, or POLLOUT|POLLERR; Linux values). */
uint32_t pipe_poll(const struct ofd *f);
/* The pipe's inode number: fstat's st_ino and /proc/N/fd/M's "pipe:[N]" must agree. */
uint64_t pipe_ino(const struct pipe *pp);

/* ---- readiness (fs_calls.c): poll, ppoll, pselect6, epoll ----
 * Each kind of description has one readiness hook, fd_poll_kind[OFD_*]: it answers the
 * poll events ready now for process p (POLLIN 0x1, POLLPRI 0x2, POLLOUT 0x4, POLLERR 0x8,
 * POLLHUP 0x10; Linux's values); p is the process asking (a terminal answers a background
 * process differently, an epoll instance looks its descriptors up in it). A kind without a
 * hook (NULL) is always readable and writable. ppoll, pselect6 and epoll_pwait ask
 * fd_poll after every message the shim serves while they wait, so a hook only has to
 * tell the truth about now: a new kind (the terminal) fills in its entry in the table's
 * initializer (fs_calls.c), e.g. `[OFD_CONSOLE] = poll_console` with
 * `static uint32_t poll_console(struct proc *p, const struct ofd *f)`. */
#define OFD_KIND_MAX 16
typedef uint32_t (*fd_poll_fn)(struct proc *p, const struct ofd *f);
extern fd_poll_fn fd_poll_kind[OFD_KIND_MAX];
uint32_t fd_poll(struct proc *p, const struct ofd *f);

/* ---- fs_calls.c: the file system calls (dispatched by syscalls.c) ---- */
int64_t sys_getcwd(struct proc *p, const uint64_t a[6]);
int64_t sys_dup(struct proc *p, const uint64_t a[6]);
int64_t sys_dup3(struct proc *p, const uint64_t a[6]);
int64_t sys_fcntl(struct proc *p, const uint64_t a[6]);
int64_t sys_ioctl(struct proc *p, const uint64_t a[6]);
int64_t sys_mkdirat(struct proc *p, const uint64_t a[6]);
int64_t sys_unlinkat(struct proc *p, const uint64_t a[6]);
int64_t sys_truncate(struct proc *p, const uint64_t a[6]);
int64_t sys_ftruncate(struct proc *p, const uint64_t a[6]);
int64_t sys_faccessat(struct proc *p, const uint64_t a[6]);
int64_t sys_chdir(struct proc *p, const uint64_t a[6]);
int64_t sys_fchdir(struct proc *p, const uint64_t a[6]);
int64_t sys_fchmod(struct proc *p, const uint64_t a[6]);
int64_t sys_fchmodat(struct proc *p, const uint64_t a[6]);
int64_t sys_fchownat(struct proc *p, const uint64_t a[6]);
int64_t sys_fchown(struct proc *p, const uint64_t a[6]);
int64_t sys_openat(struct proc *p, const uint64_t a[6]);
int64_t sys_close(struct proc *p, const uint64_t a[6]);
int64_t sys_pipe2(struct proc *p, const uint64_t a[6]);
int64_t sys_getdents64(struct proc *p, const uint64_t a[6]);
int64_t sys_lseek(struct proc *p, const uint64_t a[6]);
int64_t sys_read(struct proc *p, const uint64_t a[6]);
int64_t sys_write(struct proc *p, const uint64_t a[6]);
int64_t sys_readv(struct proc *p, const uint64_t a[6]);
int64_t sys_writev(struct proc *p, const uint64_t a[6]);
int64_t sys_pread64(struct proc *p, const uint64_t a[6]);
int64_t sys_pwrite64(struct proc *p, const uint64_t a[6]);
int64_t sys_readlinkat(struct proc *p, const uint64_t a[6]);
int64_t sys_symlinkat(struct proc *p, const uint64_t a[6]);
int64_t sys_statfs(struct proc *p, const uint64_t a[6]);
int64_t sys_fstatfs(struct proc *p, const uint64_t a[6]);
int64_t sys_sync(struct proc *p, const uint64_t a[6]);
int64_t sys_syncfs(struct proc *p, const uint64_t a[6]);
int64_t sys_utimensat(struct proc *p, const uint64_t a[6]);
int64_t sys_newfstatat(struct proc *p, const uint64_t a[6]);
int64_t sys_fstat(struct proc *p, const uint64_t a[6]);
int64_t sys_fsync(struct proc *p, const uint64_t a[6]);
int64_t sys_renameat(struct proc *p, const uint64_t a[6]);
int64_t sys_renameat2(struct proc *p, const uint64_t a[6]);
int64_t sys_statx(struct proc *p, const uint64_t a[6]);
int64_t sys_faccessat2(struct proc *p, const uint64_t a[6]);
int64_t sys_mount(struct proc *p, const uint64_t a[6]);
int64_t sys_ppoll(struct proc *p, const uint64_t a[6]);
int64_t sys_pselect6(struct proc *p, const uint64_t a[6]);

/* ---- epoll.c ---- */
int64_t sys_epoll_create1(struct proc *p, const uint64_t a[6]);
int64_t sys_epoll_ctl(struct proc *p, const uint64_t a[6]);
int64_t sys_epoll_pwait(struct proc *p, const uint64_t a[6]);
int64_t sys_epoll_pwait2(struct proc *p, const uint64_t a[6]);
/* The description's last reference went: free the interest list. */
void epoll_release(struct ofd *f);
/* The readiness of an epoll instance for p: POLLIN when one of its entries is ready. */
uint32_t epoll_poll(struct proc *p, const struct ofd *f);

#endif
