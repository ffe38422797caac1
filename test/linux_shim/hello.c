/* hello: the first Linux program on m6 (ctest qemu.linux.hello): printf through glibc's
 * stdio, its arguments and a few environment variables, exit status 0. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	printf("hello from Linux: argc=%d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d]=%s\n", i, argv[i]);
	const char *names[] = {"HOME", "PATH", "TERM"};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = getenv(names[i]);
		printf("env %s=%s\n", names[i], v ? v : "(unset)");
	}
	return 0;
}
