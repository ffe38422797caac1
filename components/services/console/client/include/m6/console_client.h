/* stdio through the console service (components/services/console), for components that
 * link m6::console_client. Linking it is enough when the spec grants `CAP_CONSOLE` (and,
 * for input, `CAP_CONSOLE_INPUT`): the library compiles select.c into the component,
 * whose m6_stdio_choose() (<m6/stdio.h>) makes the console stdio's default.
 * m6_console_stdio() is for a component that chooses at run time or names its caps
 * otherwise. */
#ifndef M6_CONSOLE_CLIENT_H
#define M6_CONSOLE_CLIENT_H

#include <m6/stdio.h>
#include <m6/syscall.h>

/* stdio ops that write through `console` (a call cap to the console service's endpoint)
 * and read from it, waiting on `input` (the notification the console signals when input
 * arrives; 0: yield and poll instead). One console per component: a second call
 * replaces the caps. */
const struct m6_stdio_ops *m6_console_stdio(m6_cptr_t console, m6_cptr_t input);

#endif
