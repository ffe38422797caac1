/* The Linux shim's terminal (docs/linux.md, "Terminal"): one TTY, the console, with a line
 * discipline (canonical editing, echo, signals from ^C ^Z ^\, raw and cbreak modes) and
 * the terminal ioctls. Every OFD_CONSOLE description (fd 0-2 of programs started on the
 * console, /dev/tty, /dev/console) is this TTY. */
#ifndef LINUX_TTY_H
#define LINUX_TTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proc;
struct ofd;

/* Start-up: the default termios and window size (80x24). `input` says whether the shim
 * has the console service to read from (without it a read returns end of file, as the
 * debug console has no input); `claim` asks the console for the foreground (a system
 * whose shim runs programs of its own rather than a shell's jobs). */
void tty_init(bool input, bool claim);
/* The console signalled "input for you": take what fits and run the line discipline
 * (echo, signals, lines completed). */
void tty_input(void);
/* A session leader started on the console (a shell's job, a program of the shim's own
 * args): the TTY becomes its controlling terminal with its group in the foreground,
 * unless another live session has it. A free terminal starts over with the default
 * settings and no typed input (as a getty hands it over); the window size stays. */
void tty_attach(struct proc *p);
/* p has ended: a session leader gives its terminal up, and its foreground group gets
 * SIGHUP (then SIGCONT). */
void tty_proc_gone(struct proc *p);

/* The file calls on an OFD_CONSOLE description (fs_calls.c dispatches them). */
/* read(2): parks (block.c) while nothing can be read, unless O_NONBLOCK. */
int64_t tty_sys_read(struct proc *p, const uint64_t a[6]);
/* A read that does not wait (readv, a parked read's retry): -EAGAIN when it would. */
int64_t tty_read(struct proc *p, struct ofd *f, uint64_t buf, uint64_t n);
int64_t tty_write(struct proc *p, uint64_t buf, uint64_t n);
int64_t tty_ioctl(struct proc *p, struct ofd *f, uint64_t request, uint64_t arg);
/* POLLIN | POLLOUT as ready for p now (Linux values). */
uint32_t tty_poll(struct proc *p);

#endif
