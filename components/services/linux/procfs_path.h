/* The names of /proc (procfs.c), parsed by text alone: which entry a path names, before
 * anything looks at the process table. Plain C11 with no m6 dependency, so that the
 * parser of what processes send is fuzzed on the host (test/linux_shim/fuzz_procfs.c). */
#ifndef LINUX_PROCFS_PATH_H
#define LINUX_PROCFS_PATH_H

#include <stdbool.h>
#include <stddef.h>

enum procfs_kind {
	PN_NONE,
	PN_ROOT,   /* /proc */
	PN_SELF,   /* /proc/self as a link (not followed) */
	PN_GLOBAL, /* /proc/meminfo, ...: index into procfs_global_names */
	PN_SYS,    /* index 0 /proc/sys, 1 /proc/sys/kernel, 2.. its files (procfs_sys_names) */
	PN_PID,    /* /proc/N or /proc/self followed */
	PN_PIDF,   /* /proc/N/stat, ...: index into procfs_pid_names */
	PN_FDDIR,  /* /proc/N/fd */
	PN_FD,     /* /proc/N/fd/M: index M */
	PN_DEVDIR, /* /dev */
};

struct procfs_name {
	enum procfs_kind kind;
	long pid; /* PN_PID, PN_PIDF, PN_FDDIR, PN_FD: the pid, or -1 for "self" */
	int index;
};

/* The files of /proc, /proc/sys/kernel and /proc/N (in the order directories list them). */
extern const char *const procfs_global_names[];
extern const size_t procfs_nglobal;
extern const char *const procfs_sys_names[];
extern const size_t procfs_nsys;
extern const char *const procfs_pid_names[];
extern const size_t procfs_npid;
/* Which of procfs_pid_names are links (exe, cwd). */
bool procfs_pid_is_link(int index);

/* Whether procfs.c serves this absolute path: /proc and below, and /dev itself. */
bool procfs_path(const char *path);
/* Parse a path procfs_path accepted. `follow_last`: a final "self" is the pid directory,
 * else the link; "self" inside a path is always followed (the kernel's walk would). 0, or
 * -2 (ENOENT: no such entry) or -20 (ENOTDIR: below a file or link). */
int procfs_parse(const char *path, bool follow_last, struct procfs_name *out);

#endif
