/* echoargs: prints its arguments and $FOO on one line, exits with argc. execve's target
 * in qemu.linux.proc (directly and as the interpreter of script.sh). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	printf("echoargs:");
	for (int i = 0; i < argc; i++)
		printf(" [%s]", argv[i]);
	const char *foo = getenv("FOO");
	printf(" FOO=%s\n", foo ? foo : "(unset)");
	return argc;
}
