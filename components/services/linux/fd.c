/* The Linux shim's descriptor tables, open-file descriptions and pipes (docs/linux.md,
 * "Files and descriptors"). Descriptions live in one pool shared by every process, so
 * that fork and dup share them as Linux does: a description's offset and status flags
 * are one for every descriptor naming it, and it closes when the last one goes. */
#define _DEFAULT_SOURCE
#include <stdlib.h>
#include <string.h>

#include <m6_caps.h>

#include "fd.h"
#include "procfs.h"
#include "shim.h"
#include "vfs_idl.h"

/* Descriptions of all processes together; the VFS bounds VFS ones further (64 per
 * client: the shim is one client). */
#define LINUX_MAX_OFDS 512u
/* Pipes alive at once: each ring is 64 KiB of the shim's heap. */
#define LINUX_MAX_PIPES 16u

struct pipe {
	uint8_t *ring;
	uint32_t head, count; /* bytes at ring[head .. head+count) modulo the size */
	unsigned readers, writers;
};

static struct ofd ofds[LINUX_MAX_OFDS];
static struct pipe pipes[LINUX_MAX_PIPES];
/* The console description every process starts with (never freed: refs never reach 0
 * while a process is alive, and a fresh one is made when they do). */
static struct ofd *console;

struct ofd *ofd_new(uint8_t kind, uint32_t flags)
{
	for (unsigned i = 0; i < LINUX_MAX_OFDS; i++) {
		if (ofds[i].refs == 0) {
			struct ofd *f = &ofds[i];
			memset(f, 0, sizeof(*f));
			f->refs = 1;
			f->kind = kind;
			f->flags = flags;
			return f;
		}
	}
	return NULL;
}

static void pipe_end_closed(struct pipe *pp, bool reader)
{
	if (reader)
		pp->readers--;
	else
		pp->writers--;
	if (pp->readers == 0 && pp->writers == 0) {
		free(pp->ring);
		memset(pp, 0, sizeof(*pp));
	}
}

void ofd_put(struct ofd *f)
{
	if (!f || f->refs == 0 || --f->refs > 0)
		return;
	if (f->kind == OFD_VFS) {
		int64_t ret;
		vfs_close(CAP_VFS, f->vfd, &ret);
		free(f->path);
	} else if (f->kind == OFD_PIPE_R || f->kind == OFD_PIPE_W) {
		pipe_end_closed(f->pipe, f->kind == OFD_PIPE_R);
	} else if (f->kind == OFD_PROC) {
		procfs_release(f);
	} else if (f->kind == OFD_EPOLL) {
		epoll_release(f);
	}
	if (f == console)
		console = NULL;
	memset(f, 0, sizeof(*f));
}

struct ofd *fd_get(struct proc *p, int64_t fd)
{
	if (fd < 0 || fd >= (int64_t)LINUX_MAX_FDS)
		return NULL;
	return p->files.fd[fd];
}

bool fd_room(struct proc *p)
{
	for (unsigned i = 0; i < LINUX_MAX_FDS; i++)
		if (!p->files.fd[i])
			return true;
	return false;
}

int64_t fd_install(struct proc *p, struct ofd *f, uint64_t min, bool cloexec)
{
	for (uint64_t i = min; i < LINUX_MAX_FDS; i++) {
		if (!p->files.fd[i]) {
			p->files.fd[i] = f;
			p->files.cloexec[i] = cloexec;
			return (int64_t)i;
		}
	}
	return -LINUX_EMFILE;
}

int fd_proc_init(struct proc *p)
{
	memset(&p->files, 0, sizeof(p->files));
	if (console) {
		console->refs++;
	} else if (!(console = ofd_new(OFD_CONSOLE, L_O_RDWR))) {
		return -LINUX_ENOMEM;
	}
	/* one description for 0, 1 and 2, as a shell's terminal is */
	console->refs += 2;
	for (unsigned i = 0; i < 3; i++)
		p->files.fd[i] = console;
	return 0;
}

int fd_fork(struct proc *parent, struct proc *child)
{
	memset(&child->files, 0, sizeof(child->files));
	if (parent->files.cwd && !(child->files.cwd = strdup(parent->files.cwd)))
		return -LINUX_ENOMEM;
	for (unsigned i = 0; i < LINUX_MAX_FDS; i++) {
		struct ofd *f = parent->files.fd[i];
		if (!f)
			continue;
		f->refs++;
		child->files.fd[i] = f;
		child->files.cloexec[i] = parent->files.cloexec[i];
	}
	return 0;
}

void fd_exec(struct proc *p)
{
	for (unsigned i = 0; i < LINUX_MAX_FDS; i++) {
		if (p->files.fd[i] && p->files.cloexec[i]) {
			ofd_put(p->files.fd[i]);
			p->files.fd[i] = NULL;
			p->files.cloexec[i] = false;
		}
	}
}

void fd_proc_exit(struct proc *p)
{
	for (unsigned i = 0; i < LINUX_MAX_FDS; i++) {
		ofd_put(p->files.fd[i]);
		p->files.fd[i] = NULL;
	}
	free(p->files.cwd);
	p->files.cwd = NULL;
}

/* ---- pipes ---- */

int pipe_new(uint32_t status_flags, struct ofd **r, struct ofd **w)
{
	struct pipe *pp = NULL;
	for (unsigned i = 0; i < LINUX_MAX_PIPES && !pp; i++)
		if (pipes[i].readers == 0 && pipes[i].writers == 0)
			pp = &pipes[i];
	if (!pp)
		return -LINUX_ENFILE;
	struct ofd *fr = ofd_new(OFD_PIPE_R, L_O_RDONLY | status_flags);
	struct ofd *fw = fr ? ofd_new(OFD_PIPE_W, L_O_WRONLY | status_flags) : NULL;
	uint8_t *ring = fw ? malloc(LINUX_PIPE_SIZE) : NULL;
	if (!ring) {
		if (fr)
			memset(fr, 0, sizeof(*fr));
		if (fw)
			memset(fw, 0, sizeof(*fw));
		return fr && fw ? -LINUX_ENOMEM : -LINUX_ENFILE;
	}
	pp->ring = ring;
	pp->head = pp->count = 0;
	pp->readers = pp->writers = 1;
	fr->pipe = fw->pipe = pp;
	*r = fr;
	*w = fw;
	return 0;
}

int64_t pipe_read(struct proc *p, struct pipe *pp, uint64_t buf, uint64_t n)
{
	if (n == 0)
		return 0;
	if (pp->count == 0)
		return pp->writers ? -LINUX_EAGAIN : 0;
	uint64_t want = n < pp->count ? n : pp->count;
	/* at most two pieces: to the ring's end, then from its start */
	uint32_t first = LINUX_PIPE_SIZE - pp->head;
	if (first > want)
		first = (uint32_t)want;
	int e = mem_copy_out(p, buf, pp->ring + pp->head, first);
	if (e)
		return e;
	if (want > first) {
		e = mem_copy_out(p, buf + first, pp->ring, (size_t)(want - first));
		if (e)
			want = first; /* what reached the process is consumed, nothing more */
	}
	pp->head = (uint32_t)((pp->head + want) % LINUX_PIPE_SIZE);
	pp->count -= (uint32_t)want;
	if (pp->count == 0)
		pp->head = 0;
	return (int64_t)want;
}

uint32_t pipe_poll(const struct ofd *f)
{
	const struct pipe *pp = f->pipe;
	if (f->kind == OFD_PIPE_R) /* POLLIN with data, POLLHUP once no writer is left */
		return (pp->count ? 0x001u : 0) | (pp->writers ? 0 : 0x010u);
	/* POLLERR without readers; POLLOUT when an atomic write fits, as Linux says */
	return pp->readers == 0 ? 0x008u : LINUX_PIPE_SIZE - pp->count >= 4096u ? 0x004u : 0;
}

uint64_t pipe_ino(const struct pipe *pp)
{
	return 0x1000 + (uint64_t)(uintptr_t)pp % 0x100000;
}

/* Writes of at most this many bytes are atomic (POSIX's PIPE_BUF, Linux's 4096). */
#define PIPE_BUF 4096u

int64_t pipe_write(struct proc *p, struct pipe *pp, uint64_t buf, uint64_t n)
{
	if (n == 0)
		return 0;
	if (pp->readers == 0) {
		signal_pipe(p); /* SIGPIPE (process-directed, the caller first), then EPIPE */
		return -LINUX_EPIPE;
	}
	uint32_t space = LINUX_PIPE_SIZE - pp->count;
	if (space == 0 || (n <= PIPE_BUF && space < n))
		return -LINUX_EAGAIN;
	uint64_t done = 0, want = n < space ? n : space;
	while (done < want) {
		uint32_t tail = (pp->head + pp->count) % LINUX_PIPE_SIZE;
		uint32_t k = LINUX_PIPE_SIZE - tail;
		if (k > want - done)
			k = (uint32_t)(want - done);
		int e = mem_copy_in(p, pp->ring + tail, buf + done, k);
		if (e)
			return done ? (int64_t)done : e;
		pp->count += k;
		done += k;
	}
	return (int64_t)done;
}
