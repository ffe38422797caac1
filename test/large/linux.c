/* large_linux: a Linux-ABI component. Its svc instructions are Linux system calls that the
 * kernel delivers to its fault handler (the sink's thread faultd): write(1, ...), checked
 * against the handler's answer, then exit_group(status). */
#include <stdint.h>

static const char greeting[] = "lx: hello from a Linux-ABI thread\n";

static uint64_t linux_syscall3(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	register uint64_t x0 __asm__("x0") = a0;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x8 __asm__("x8") = nr;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x8) : "memory");
	return x0;
}

int main(void)
{
	uint64_t n = linux_syscall3(64 /* write */, 1, (uint64_t)greeting, sizeof(greeting) - 1);
	linux_syscall3(94 /* exit_group */, n == sizeof(greeting) - 1 ? 0 : 1, 0, 0);
	for (;;) {
	}
}
