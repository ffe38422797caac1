/* epoll (docs/linux.md, "Readiness"): an epoll instance is a description (OFD_EPOLL)
 * holding an interest list; epoll_pwait asks each descriptor's readiness hook (fd_poll,
 * the same as ppoll's) and parks through block.c like ppoll when nothing is ready.
 *
 * Entries are kept by descriptor number and looked up in the waiting process at each
 * scan: a descriptor closed since epoll_ctl is skipped (Linux drops the entry when the
 * file goes). Every entry is level-triggered; EPOLLET is accepted and reported as level
 * (a correct edge-triggered program reads until EAGAIN, so it sees the same data, with
 * more wake-ups), EPOLLONESHOT disables an entry once it has been reported, as Linux. */
#include <stdlib.h>
#include <string.h>

#include <m6/time.h>

#include "block.h"
#include "fd.h"
#include "shim.h"

#define EPOLL_CTL_ADD  1
#define EPOLL_CTL_DEL  2
#define EPOLL_CTL_MOD  3
#define EPOLLIN        0x001u
#define EPOLLPRI       0x002u
#define EPOLLOUT       0x004u
#define EPOLLERR       0x008u
#define EPOLLHUP       0x010u
#define EPOLLRDNORM    0x040u
#define EPOLLRDBAND    0x080u
#define EPOLLWRNORM    0x100u
#define EPOLLWRBAND    0x200u
#define EPOLLMSG       0x400u
#define EPOLLRDHUP     0x2000u
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP    (1u << 29)
#define EPOLLONESHOT   (1u << 30)
#define EPOLLET        (1u << 31)
#define EP_MAX_EVENTS  (INT32_MAX / 12)
#define LINUX_EPERM    1

/* Entries per instance: one per descriptor of the table at most. */
#define EP_MAX LINUX_MAX_FDS

struct ep_entry {
	int32_t fd;
	uint32_t events;
	uint64_t data;
	bool disabled; /* EPOLLONESHOT after its report, until EPOLL_CTL_MOD */
};

struct epoll {
	struct ep_entry e[EP_MAX];
	unsigned n;
};

/* struct epoll_event on arm64: not packed (16 bytes). */
struct linux_epoll_event {
	uint32_t events;
	uint32_t pad;
	uint64_t data;
};
_Static_assert(sizeof(struct linux_epoll_event) == 16, "struct epoll_event of arm64");

int64_t sys_epoll_create1(struct proc *p, const uint64_t a[6])
{
	if (a[0] & ~(uint64_t)L_O_CLOEXEC)
		return -LINUX_EINVAL;
	if (!fd_room(p))
		return -LINUX_EMFILE;
	struct epoll *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -LINUX_ENOMEM;
	struct ofd *f = ofd_new(OFD_EPOLL, L_O_RDWR);
	if (!f) {
		free(ep);
		return -LINUX_ENFILE;
	}
	f->epoll = ep;
	int64_t fd = fd_install(p, f, 0, (a[0] & L_O_CLOEXEC) != 0);
	if (fd < 0)
		ofd_put(f);
	return fd;
}

void epoll_release(struct ofd *f)
{
	free(f->epoll);
	f->epoll = NULL;
}

static struct ep_entry *ep_find(struct epoll *ep, int32_t fd)
{
	for (unsigned i = 0; i < ep->n; i++)
		if (ep->e[i].fd == fd)
			return &ep->e[i];
	return NULL;
}

int64_t sys_epoll_ctl(struct proc *p, const uint64_t a[6])
{
	struct ofd *ef = fd_get(p, (int64_t)a[0]);
	struct ofd *tf = fd_get(p, (int64_t)(int32_t)a[2]);
	if (!ef || !tf)
		return -LINUX_EBADF;
	if (ef->kind != OFD_EPOLL || ef == tf)
		return -LINUX_EINVAL;
	if (tf->kind == OFD_VFS)
		return -LINUX_EPERM; /* regular files and directories: no poll, as on Linux */
	if (tf->kind == OFD_EPOLL)
		return -LINUX_EINVAL; /* nested instances: not offered */
	struct epoll *ep = ef->epoll;
	int32_t fd = (int32_t)a[2];
	struct ep_entry *e = ep_find(ep, fd);
	struct linux_epoll_event ev = {0, 0, 0};
	uint64_t op = a[1];
	if (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) {
		int r = mem_copy_in(p, &ev, a[3], sizeof(ev));
		if (r)
			return r;
	}
	switch (op) {
	case EPOLL_CTL_ADD:
		if (e)
			return -LINUX_EEXIST;
		if (ep->n == EP_MAX)
			return -LINUX_ENOSPC;
		e = &ep->e[ep->n++];
		break;
	case EPOLL_CTL_MOD:
		if (!e)
			return -LINUX_ENOENT;
		if (e->events & EPOLLEXCLUSIVE)
			return -LINUX_EINVAL;
		break;
	case EPOLL_CTL_DEL:
		if (!e)
			return -LINUX_ENOENT;
		*e = ep->e[--ep->n];
		return 0;
	default:
		return -LINUX_EINVAL;
	}
	*e = (struct ep_entry){.fd = fd, .events = ev.events, .data = ev.data, .disabled = false};
	return 0;
}

static struct linux_epoll_event ready[64];

/* One scan of the instance for process p: the events written to `out` (at most max), or
 * -errno. */
static int64_t ep_scan(struct proc *p, struct epoll *ep, uint64_t out, int64_t max)
{
	int64_t n = 0;
	for (unsigned i = 0; i < ep->n && n < max; i++) {
		struct ep_entry *e = &ep->e[i];
		struct ofd *f = e->disabled ? NULL : fd_get(p, e->fd);
		if (!f)
			continue;
		uint32_t r = fd_poll(p, f);
		/* the *NORM and *BAND names are POLLIN's and POLLOUT's for these kinds */
		if (r & EPOLLIN)
			r |= EPOLLRDNORM;
		if (r & EPOLLOUT)
			r |= EPOLLWRNORM;
		r &= e->events | EPOLLERR | EPOLLHUP;
		if (!r)
			continue;
		if (e->events & EPOLLONESHOT)
			e->disabled = true;
		ready[n % 64] = (struct linux_epoll_event){r, 0, e->data};
		n++;
		if (n % 64 == 0) {
			int c =
			    mem_copy_out(p, out + (uint64_t)(n - 64) * 16, ready, sizeof(ready));
			if (c)
				return c;
		}
	}
	if (n % 64) {
		int c = mem_copy_out(p, out + (uint64_t)(n - n % 64) * 16, ready,
		                     (size_t)(n % 64) * sizeof(ready[0]));
		if (c)
			return c;
	}
	return n;
}

uint32_t epoll_poll(struct proc *p, const struct ofd *f)
{
	struct epoll *ep = f->epoll;
	for (unsigned i = 0; i < ep->n; i++) {
		const struct ep_entry *e = &ep->e[i];
		struct ofd *t = e->disabled ? NULL : fd_get(p, e->fd);
		/* an instance inside itself cannot be added (epoll_ctl): no recursion */
		if (t && t->kind != OFD_EPOLL &&
		    (fd_poll(p, t) & (e->events | EPOLLERR | EPOLLHUP)))
			return EPOLLIN;
	}
	return 0;
}

/* arg: 0 epfd, 1 events, 2 maxevents. */
static int64_t ep_check(struct blocked *b)
{
	struct ofd *f = fd_get(b->p, (int64_t)b->arg[0]);
	if (!f || f->kind != OFD_EPOLL)
		return -LINUX_EBADF; /* closed while waiting */
	int64_t r = ep_scan(b->p, f->epoll, b->arg[1], (int64_t)b->arg[2]);
	return r == 0 ? LINUX_PARKED : r;
}

static int64_t ep_wait(struct proc *p, const uint64_t a[6], uint64_t deadline, bool now_only)
{
	struct ofd *f = fd_get(p, (int64_t)a[0]);
	if (!f)
		return -LINUX_EBADF;
	if (f->kind != OFD_EPOLL || (int32_t)a[2] <= 0 || (int32_t)a[2] > EP_MAX_EVENTS)
		return -LINUX_EINVAL;
	int64_t r = ep_scan(p, f->epoll, a[1], (int32_t)a[2]);
	if (r != 0 || now_only)
		return r;
	struct blocked *b = block_park(ep_check, deadline, 0);
	if (!b)
		return -LINUX_EAGAIN;
	b->arg[0] = a[0];
	b->arg[1] = a[1];
	b->arg[2] = (uint64_t)(int32_t)a[2];
	return LINUX_PARKED;
}

/* epoll_pwait(epfd, events, maxevents, timeout ms, sigmask, sigsetsize): -1 waits for
 * ever, 0 does not wait. */
int64_t sys_epoll_pwait(struct proc *p, const uint64_t a[6])
{
	/* the mask applies for the call, as ppoll's (signal.c ends it on the way out) */
	int64_t sr = signal_temp_mask(p, a[4], a[5]);
	if (sr)
		return sr;
	int32_t ms = (int32_t)a[3];
	uint64_t deadline = ms > 0 ? block_deadline_in((uint64_t)ms * 1000000u) : 0;
	return ep_wait(p, a, deadline, ms == 0);
}

/* epoll_pwait2: the timeout as a timespec (NULL: for ever). */
int64_t sys_epoll_pwait2(struct proc *p, const uint64_t a[6])
{
	int64_t sr = signal_temp_mask(p, a[4], a[5]);
	if (sr)
		return sr;
	uint64_t deadline;
	bool now_only;
	int64_t r = block_read_timeout(p, a[3], &deadline, &now_only);
	if (r)
		return r;
	return ep_wait(p, a, deadline, now_only);
}
