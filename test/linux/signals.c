/*
 * Signals: a handler with SA_SIGINFO (signal number, code, sender), a blocked signal held
 * pending and delivered when unblocked, SIGSEGV from a bad access caught with the faulting
 * address, a handler running on an alternate stack, and SA_RESETHAND. With the argument
 * "die" the program instead kills itself with SIGTERM (default action), for the record's
 * "status signal" path.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got_signo, got_code, got_pid_ok, on_alt_stack, usr2_count;
static volatile uintptr_t fault_addr;
static sigjmp_buf recover;
static char alt_stack[64 * 1024];

static void on_usr1(int sig, siginfo_t *info, void *ctx)
{
	(void)ctx;
	got_signo = sig;
	got_code = info->si_code;
	got_pid_ok = info->si_pid == getpid();
	char here;
	on_alt_stack = &here >= alt_stack && &here < alt_stack + sizeof(alt_stack);
}

static void on_usr2(int sig)
{
	(void)sig;
	usr2_count++;
}

static void on_segv(int sig, siginfo_t *info, void *ctx)
{
	(void)sig;
	(void)ctx;
	fault_addr = (uintptr_t)info->si_addr;
	siglongjmp(recover, 1);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "die") == 0) {
		printf("about to die by SIGTERM\n");
		fflush(stdout);
		kill(getpid(), SIGTERM);
		printf("still alive: WRONG\n");
		return 0;
	}

	struct sigaction sa = {0};
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("SIGUSR1 handled: signo %d, code %s, sender %s\n", (int)got_signo,
	       got_code == SI_TKILL ? "SI_TKILL" : "other", got_pid_ok ? "self" : "other");
	kill(getpid(), SIGUSR1);
	printf("kill(self): code %s\n", got_code == SI_USER ? "SI_USER" : "other");

	struct sigaction sa2 = {0};
	sa2.sa_handler = on_usr2;
	sigemptyset(&sa2.sa_mask);
	sigaction(SIGUSR2, &sa2, NULL);
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR2);
	raise(SIGUSR2); /* standard signals do not queue: one delivery */
	sigpending(&pending);
	printf("blocked SIGUSR2: pending %s, handled %d times\n",
	       sigismember(&pending, SIGUSR2) ? "yes" : "no", (int)usr2_count);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	printf("unblocked SIGUSR2: handled %d times\n", (int)usr2_count);

	struct sigaction sv = {0};
	sv.sa_sigaction = on_segv;
	sv.sa_flags = SA_SIGINFO;
	sigemptyset(&sv.sa_mask);
	sigaction(SIGSEGV, &sv, NULL);
	if (sigsetjmp(recover, 1) == 0) {
		/* Through a volatile pointer, which the compiler cannot prove bad. */
		volatile int *volatile bad = (volatile int *)(uintptr_t)0x10;
		*bad = 1;
		printf("store to 0x10 did not fault: WRONG\n");
	} else {
		printf("SIGSEGV caught, fault address 0x%lx\n", (unsigned long)fault_addr);
	}

	stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof(alt_stack)};
	sigaltstack(&ss, NULL);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
	sigaction(SIGUSR1, &sa, NULL);
	on_alt_stack = 0;
	raise(SIGUSR1);
	printf("SA_ONSTACK handler on the alternate stack: %s\n", on_alt_stack ? "yes" : "no");
	struct sigaction now;
	sigaction(SIGUSR1, NULL, &now);
	printf("SA_RESETHAND: handler is now %s\n", now.sa_handler == SIG_DFL ? "SIG_DFL" : "set");
	return 0;
}
