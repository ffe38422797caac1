/* oom: maps 1 GiB (address space only) and touches it page by page: the shim's pool runs
 * out long before, and the process is killed with a log line while the shim lives on and
 * gives the memory back (the next program still runs). */
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
	size_t size = (size_t)1 << 30;
	volatile char *p =
	    mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("oom: mmap of 1 GiB failed (wrong)\n");
		return 1;
	}
	printf("oom: mapped 1 GiB, touching it\n");
	fflush(stdout);
	for (size_t i = 0; i < size; i += 4096)
		p[i] = 1;
	printf("oom: touched 1 GiB (wrong: the pool is smaller)\n");
	return 0;
}
