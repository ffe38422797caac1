/* Compiled into every component that links m6::console_client, with that component's
 * m6_caps.h: the console service is the component's stdio when the spec grants the cap
 * (libm6 asks m6_stdio_choose() once, before the constructors). */
#include <m6/console_client.h>
#include <m6_caps.h>

const struct m6_stdio_ops *m6_stdio_choose(void)
{
#ifdef CAP_CONSOLE
#ifndef CAP_CONSOLE_INPUT
#define CAP_CONSOLE_INPUT 0 /* no input notification: the client polls */
#endif
	return m6_console_stdio(CAP_CONSOLE, CAP_CONSOLE_INPUT);
#else
	return NULL; /* no console granted: libm6's default */
#endif
}
