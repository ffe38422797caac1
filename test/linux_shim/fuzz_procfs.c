/* fuzz_procfs: libFuzzer harness of the Linux shim's /proc name parser
 * (components/services/linux/procfs_path.c), which reads paths a process sends. Any
 * input must be answered 0, ENOENT or ENOTDIR; a name it accepts must be in range for its
 * kind, a link only when not followed, and the canonical path of the name must parse back
 * to the same name. The first byte picks whether "/proc/" is put in front (to reach deep
 * names quickly) and whether the last component is followed. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procfs_path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void canonical(const struct procfs_name *n, char *out, size_t size)
{
	char pid[16];
	if (n->pid < 0)
		snprintf(pid, sizeof(pid), "self");
	else
		snprintf(pid, sizeof(pid), "%ld", n->pid);
	switch (n->kind) {
	case PN_ROOT:
		snprintf(out, size, "/proc");
		break;
	case PN_SELF:
		snprintf(out, size, "/proc/self");
		break;
	case PN_GLOBAL:
		snprintf(out, size, "/proc/%s", procfs_global_names[n->index]);
		break;
	case PN_SYS:
		snprintf(out, size,
		         n->index == 0   ? "/proc/sys"
		         : n->index == 1 ? "/proc/sys/kernel"
		                         : "/proc/sys/kernel/%s",
		         n->index >= 2 ? procfs_sys_names[n->index - 2] : "");
		break;
	case PN_PID:
		/* with a trailing slash: "self/" is the directory even when not following */
		snprintf(out, size, "/proc/%s/", pid);
		break;
	case PN_PIDF:
		snprintf(out, size, "/proc/%s/%s", pid, procfs_pid_names[n->index]);
		break;
	case PN_FDDIR:
		snprintf(out, size, "/proc/%s/fd", pid);
		break;
	case PN_FD:
		snprintf(out, size, "/proc/%s/fd/%d", pid, n->index);
		break;
	case PN_DEVDIR:
		snprintf(out, size, "/dev");
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[4200];
	if (size == 0 || size > 4096)
		return 0;
	bool prefix = data[0] & 1, follow = data[0] & 2;
	size_t k = 0;
	if (prefix) {
		memcpy(path, "/proc/", 6);
		k = 6;
	}
	for (size_t i = 1; i < size && data[i]; i++)
		path[k++] = (char)data[i];
	path[k] = '\0';
	if (!procfs_path(path))
		return 0;
	struct procfs_name n, again;
	int r = procfs_parse(path, follow, &n);
	if (r != 0 && r != -2 && r != -20)
		abort();
	if (r != 0)
		return 0;
	bool pid_kind =
	    n.kind == PN_PID || n.kind == PN_PIDF || n.kind == PN_FDDIR || n.kind == PN_FD;
	if (pid_kind && !(n.pid == -1 || (n.pid >= 1 && n.pid <= 999999999)))
		abort();
	if ((n.kind == PN_GLOBAL && (size_t)n.index >= procfs_nglobal) ||
	    (n.kind == PN_SYS && (size_t)n.index >= 2 + procfs_nsys) ||
	    (n.kind == PN_PIDF && (size_t)n.index >= procfs_npid) ||
	    (n.kind == PN_FD && (n.index < 0 || n.index > 999999999)) ||
	    (n.kind == PN_SELF && follow))
		abort();
	char canon[128];
	canonical(&n, canon, sizeof(canon));
	if (procfs_parse(canon, follow, &again) != 0 || again.kind != n.kind ||
	    again.index != n.index || (pid_kind && again.pid != n.pid))
		abort();
	return 0;
}
