/* null: writes through a null pointer after printing (and flushing) one line. The shim
 * kills it with a log line and goes on with the next program. */
#include <stdio.h>

int main(void)
{
	printf("null: about to dereference NULL\n");
	fflush(stdout);
	*(volatile int *)0 = 42;
	printf("null: still alive (wrong)\n");
	return 0;
}
