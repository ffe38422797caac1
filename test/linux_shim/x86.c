/* x86: a static x86-64 Linux program (built with the host's gcc -static -nostdlib): the
 * shim must refuse it, an ELF for another machine, with ENOEXEC and a log line naming the
 * check, and go on (ctest qemu.linux.hello). Were it ever run, it would exit 42. */
void _start(void)
{
	__asm__ volatile("mov $60, %eax\n\tmov $42, %edi\n\tsyscall");
	for (;;) {
	}
}
