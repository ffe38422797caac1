/* Start-up and exit of a component; the C library's system layer (sbrk, _exit, locks). */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <m6/debug.h>
#include <m6/layout.h>
#include <m6/runtime.h>
#include <m6/supervision.h>
#include <m6/sync.h>
#include <m6/thread.h>

/* `int main(void)` and `int main(int, char **)` are both fine: the extra arguments of the
 * call below are ignored by the first, as with every C start-up code. */
extern int main(int argc, char **argv);
extern void __libc_init_array(void);
void m6_stdio_init(void); /* stdio.c: resolve the component's default stdio */

/* Written by crt0's _start (x2) before any C code runs: in .data, not .bss, so that no
 * start-up code clearing .bss could ever wipe it (none does today). */
uint64_t m6_restart_word_saved __attribute__((section(".data"))) = 0;

uint64_t m6_restart_word(void)
{
	return m6_restart_word_saved;
}

__attribute__((noreturn)) void m6_runtime_start(struct m6_ipc_buffer *buffer, uint64_t arg)
{
	(void)buffer;
	/* The main thread's argument is the address of the block the spec compiler laid out
	 * at the top of its stack (struct m6_args), or 0 when the spec gives no `args`. */
	static char *name_only[2];
	struct m6_args *args = (struct m6_args *)(uintptr_t)arg;
	name_only[0] = (char *)m6_component.name;
	m6_stdio_init(); /* before the constructors, which may print */
	__libc_init_array();
	exit(args ? main((int)args->argc, args->argv) : main(1, name_only));
}

uint64_t m6_power_off(m6_cptr_t power_cap)
{
	m6_stdio_flush();
	struct m6_msg m = {.info = m6_msginfo(M6_POWER_CONTROL, 1), .mr = {M6_POWER_OFF}};
	return m6_call(power_cap, &m);
}

uint64_t m6_power_reset(m6_cptr_t power_cap)
{
	m6_stdio_flush();
	struct m6_msg m = {.info = m6_msginfo(M6_POWER_CONTROL, 1), .mr = {M6_POWER_RESET}};
	return m6_call(power_cap, &m);
}

/* ---- heap: malloc's sbrk over the spec's `heap` region ---- */

void *sbrk(ptrdiff_t increment)
{
	static uintptr_t brk;
	if (!brk)
		brk = m6_component.heap_base;
	uintptr_t end = m6_component.heap_base + m6_component.heap_size;
	if (increment < 0 || (uintptr_t)increment > end - brk) {
		errno = ENOMEM;
		return (void *)-1;
	}
	uintptr_t old = brk;
	brk += (uintptr_t)increment;
	return (void *)old;
}

/* ---- exit ---- */

static void suspend_all_but(unsigned self)
{
	for (unsigned i = 0; i < m6_component.thread_count; i++) {
		if (i == self)
			continue;
		struct m6_msg m = {.info = m6_msginfo(M6_TCB_SUSPEND, 0)};
		m6_call(m6_component.thread_caps[i], &m);
	}
}

__attribute__((noreturn)) static void suspend_self(void)
{
	unsigned self = m6_thread_index();
	m6_cptr_t tcb =
	    self < m6_component.thread_count ? m6_component.thread_caps[self] : M6_CAP_SELF_TCB;
	for (;;) {
		struct m6_msg m = {.info = m6_msginfo(M6_TCB_SUSPEND, 0)};
		m6_call(tcb, &m);
	}
}

void m6_exit(int status)
{
	m6_stdio_flush();
	if (m6_component.debug_console && status != 0) {
		char num[24];
		m6_debug_puts(m6_component.debug_console, m6_component.name);
		m6_debug_puts(m6_component.debug_console, ": exit status ");
		m6_debug_puts(m6_component.debug_console, m6_format_u64(num, (uint64_t)status, 0));
		m6_debug_puts(m6_component.debug_console, "\n");
	}
	/* Tell the supervisor, if the thread has one (see M6_EXIT_SYSCALL). */
	struct m6_msg m = {.word0 = (uint64_t)(int64_t)status};
	m6_syscall(M6_EXIT_SYSCALL, &m);
	suspend_all_but(m6_thread_index());
	suspend_self();
}

void _exit(int status)
{
	m6_exit(status);
}

void m6_thread_exit(void)
{
	m6_stdio_flush();
	suspend_self();
}

unsigned m6_thread_index(void)
{
	/* Thread k's IPC buffer is k thread windows below the main thread's
	 * (docs/spec-language.md). */
	uintptr_t ipc = (uintptr_t)m6_ipc_buffer();
	const uintptr_t main_ipc = M6_LAYOUT_IPC_BUFFER_VADDR, window = M6_LAYOUT_THREAD_WINDOW;
	return ipc <= main_ipc ? (unsigned)((main_ipc - ipc) / window) : 0;
}

__attribute__((noreturn)) void m6_thread_run(uint64_t arg, void (*function)(uint64_t))
{
	function(arg);
	m6_thread_exit();
}

/* ---- the C library's lock (picolibc retargetable locking) ----
 *
 * One recursive lock for all of the library: malloc and stdio are short critical
 * sections, and one lock cannot deadlock against itself. */

struct __lock {
	int unused;
};
struct __lock __lock___libc_recursive_mutex;

static atomic_uintptr_t libc_owner;
static unsigned libc_depth;
static struct m6_mutex libc_mutex;
static m6_cptr_t libc_notification;

uint64_t m6_runtime_set_lock_notification(m6_cptr_t notification)
{
	/* m6_mutex_init signals through a badged copy: an unlock between a contender's
	 * increment and its wait must not be lost (the spec's cap has badge 0). */
	uint64_t err = m6_mutex_init(&libc_mutex, notification);
	libc_notification = notification;
	return err;
}

static uintptr_t self_id(void)
{
	return (uintptr_t)m6_ipc_buffer(); /* unique per thread */
}

static int libc_lock(int block)
{
	uintptr_t self = self_id();
	if (atomic_load(&libc_owner) == self) {
		libc_depth++;
		return 1;
	}
	if (libc_notification) {
		if (!block && !m6_mutex_trylock(&libc_mutex))
			return 0;
		if (block)
			m6_mutex_lock(&libc_mutex);
		atomic_store(&libc_owner, self);
	} else {
		uintptr_t free_value = 0;
		while (!atomic_compare_exchange_weak(&libc_owner, &free_value, self)) {
			if (!block)
				return 0;
			free_value = 0;
			m6_yield();
		}
	}
	libc_depth = 1;
	return 1;
}

static void libc_unlock(void)
{
	if (atomic_load(&libc_owner) != self_id() || --libc_depth)
		return;
	atomic_store(&libc_owner, 0);
	if (libc_notification)
		m6_mutex_unlock(&libc_mutex);
}

void __retarget_lock_init(struct __lock **lock)
{
	*lock = &__lock___libc_recursive_mutex;
}
void __retarget_lock_init_recursive(struct __lock **lock)
{
	*lock = &__lock___libc_recursive_mutex;
}
void __retarget_lock_close(struct __lock *lock)
{
	(void)lock;
}
void __retarget_lock_close_recursive(struct __lock *lock)
{
	(void)lock;
}
void __retarget_lock_acquire(struct __lock *lock)
{
	(void)lock;
	libc_lock(1);
}
void __retarget_lock_acquire_recursive(struct __lock *lock)
{
	(void)lock;
	libc_lock(1);
}
int __retarget_lock_try_acquire(struct __lock *lock)
{
	(void)lock;
	return libc_lock(0);
}
int __retarget_lock_try_acquire_recursive(struct __lock *lock)
{
	(void)lock;
	return libc_lock(0);
}
void __retarget_lock_release(struct __lock *lock)
{
	(void)lock;
	libc_unlock();
}
void __retarget_lock_release_recursive(struct __lock *lock)
{
	(void)lock;
	libc_unlock();
}
