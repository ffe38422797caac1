/* The pages a fork child shares with its parent before it touches them (mem.c maps a
 * child's page at its first touch): read by the child after the parent wrote its own copy,
 * written by the child when it is the last user, taken away and given back by mprotect
 * while still untouched, and the vDSO's page made writable and written by the child, which
 * must get a copy of its own. The parent's memory, and its vDSO, stay as they were.
 * Prints "forklazy: ok" and exits 0, or names what went wrong and exits 1. */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char data[4 * 4096] __attribute__((aligned(4096))) = {'P'};

static int child(int go)
{
	char c;
	if (read(go, &c, 1) != 1) /* the parent has written its own copies by now */
		return 10;
	if (data[0] != 'P' || data[4096] != 0)
		return 11; /* the parent's later writes must not show here */
	data[8192] = 'c';  /* the parent made its own copy: this child is the last user */
	if (data[8192] != 'c')
		return 12;
	/* an untouched page taken away and given back */
	if (mprotect(data + 12288, 4096, PROT_NONE) != 0 ||
	    mprotect(data + 12288, 4096, PROT_READ) != 0)
		return 13;
	if (data[12288] != 'U')
		return 14;
	/* the vDSO's first page made writable and written: a copy for this process only */
	unsigned char *vdso = (unsigned char *)getauxval(AT_SYSINFO_EHDR);
	if (!vdso || mprotect(vdso, 4096, PROT_READ | PROT_WRITE) != 0)
		return 15;
	vdso[0] = 'X';
	if (vdso[0] != 'X')
		return 16;
	return 7;
}

int main(void)
{
	int go[2];
	if (pipe(go) != 0)
		return 1;
	data[12288] = 'U';
	pid_t pid = fork();
	if (pid == 0)
		_exit(child(go[0]));
	/* the parent writes its copies of two pages shared with the untouched child */
	data[0] = 'P';
	data[4096] = 'Q';
	data[8192] = 'R';
	if (write(go[1], "g", 1) != 1)
		return 1;
	int status = 0;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7) {
		printf("forklazy: child status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return 1;
	}
	const unsigned char *vdso = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	struct timespec ts;
	if (data[0] != 'P' || data[4096] != 'Q' || data[8192] != 'R' ||
	    memcmp(vdso, ELFMAG, SELFMAG) != 0 || clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		printf("forklazy: parent memory or vDSO changed\n");
		return 1;
	}
	printf("forklazy: ok\n");
	return 0;
}
