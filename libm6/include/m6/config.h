/* Values a component built once receives from each system it is part of (docs/sdk.md,
 * "Components built once"). The component declares each one here, in the section
 * .m6.config; its manifest says which role of the spec binds it ("endpoint serial",
 * "irq uart", "device uart", ...); the spec compiler writes the system's value (a cap
 * slot, a badge, an address, a size) into that system's copy of the image page.
 *
 *     M6_CONFIG(m6_cptr_t, pl011_serial);      // manifest: "pl011_serial": "endpoint serial"
 *
 * The values are read-only at run time. `volatile` keeps the C compiler from folding the
 * placeholder 0 it sees into the code: the real value only exists in the boot image. */
#ifndef M6_CONFIG_H
#define M6_CONFIG_H

#include <stdint.h>

#include <m6/syscall.h>

#define M6_CONFIG(type, name)                                                   \
	_Static_assert(sizeof(type) == 8, "a config value is 8 bytes: " #name); \
	__attribute__((section(".m6.config"), used)) const volatile type name

#endif
