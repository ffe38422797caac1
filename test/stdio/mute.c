/* A component with no console of any kind: printf must be dropped without harm, and
 * stdin must read as at its end. It tells `check` what it saw through the caps it
 * signals (one badge bit per finding), DONE last. */
#include <stdio.h>

#include <m6/invocations.h>
#include <m6/stdio.h>
#include <m6_caps.h>

int main(void)
{
	if (m6_stdio_get() == &m6_stdio_none)
		m6_signal(CAP_SAW_NONE);
	printf("stdio-none: mute printed this line, which must not appear\n");
	fflush(stdout);
	if (getchar() == EOF)
		m6_signal(CAP_SAW_EOF);
	m6_signal(CAP_DONE);
	return 0;
}
