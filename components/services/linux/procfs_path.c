/* The names of /proc, by text: see procfs_path.h. */
#include <string.h>

#include "procfs_path.h"

#define ENOENT_  2
#define ENOTDIR_ 20

const char *const procfs_global_names[] = {
    "meminfo", "uptime", "loadavg", "stat", "mounts", "cpuinfo", "version", "filesystems",
};
const size_t procfs_nglobal = sizeof(procfs_global_names) / sizeof(procfs_global_names[0]);
const char *const procfs_sys_names[] = {"ostype", "osrelease", "hostname"};
const size_t procfs_nsys = sizeof(procfs_sys_names) / sizeof(procfs_sys_names[0]);
const char *const procfs_pid_names[] = {"stat", "status", "cmdline", "comm",
                                        "maps", "statm",  "exe",     "cwd"};
const size_t procfs_npid = sizeof(procfs_pid_names) / sizeof(procfs_pid_names[0]);

bool procfs_pid_is_link(int index)
{
	return index >= 6; /* exe, cwd */
}

bool procfs_path(const char *path)
{
	if (strcmp(path, "/dev") == 0 || strcmp(path, "/dev/") == 0)
		return true;
	return strncmp(path, "/proc", 5) == 0 && (path[5] == '\0' || path[5] == '/');
}

/* A pid or descriptor: decimal, no sign, no leading zero, at most 9 digits; else -1. */
static long number(const char *s, size_t n)
{
	if (n == 0 || n > 9 || (n > 1 && s[0] == '0'))
		return -1;
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(s, name, n) == 0;
}

static int find(const char *s, size_t n, const char *const *names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (is(s, n, names[i]))
			return (int)i;
	return -1;
}

int procfs_parse(const char *path, bool follow_last, struct procfs_name *out)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(path, "/dev", 4) == 0) {
		out->kind = PN_DEVDIR;
		return 0;
	}
	const char *s = path + 5; /* after "/proc" */
	out->kind = PN_ROOT;
	for (;;) {
		while (*s == '/')
			s++;
		if (!*s)
			return 0;
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		const char *rest = s + n;
		while (*rest == '/')
			rest++;
		bool last = *rest == '\0';
		int i;
		switch (out->kind) {
		case PN_ROOT: {
			long pid = number(s, n);
			if (is(s, n, "self")) {
				/* a trailing slash follows the link too */
				out->kind = last && !e && !follow_last ? PN_SELF : PN_PID;
				out->pid = -1;
			} else if (pid > 0) {
				out->kind = PN_PID;
				out->pid = pid;
			} else if (is(s, n, "sys")) {
				out->kind = PN_SYS;
				out->index = 0;
			} else if ((i = find(s, n, procfs_global_names, procfs_nglobal)) >= 0) {
				out->kind = PN_GLOBAL;
				out->index = i;
			} else {
				return -ENOENT_;
			}
			break;
		}
		case PN_SYS:
			if (out->index == 0 && is(s, n, "kernel"))
				out->index = 1;
			else if (out->index == 1 &&
			         (i = find(s, n, procfs_sys_names, procfs_nsys)) >= 0)
				out->index = 2 + i;
			else
				return out->index >= 2 ? -ENOTDIR_ : -ENOENT_;
			break;
		case PN_PID:
			if (is(s, n, "fd")) {
				out->kind = PN_FDDIR;
			} else if ((i = find(s, n, procfs_pid_names, procfs_npid)) >= 0) {
				out->kind = PN_PIDF;
				out->index = i;
			} else {
				return -ENOENT_;
			}
			break;
		case PN_FDDIR: {
			long fd = number(s, n);
			if (fd < 0)
				return -ENOENT_;
			out->kind = PN_FD;
			out->index = (int)fd;
			break;
		}
		default:
			return -ENOTDIR_; /* below a file or a link to one */
		}
		s = rest;
	}
}
