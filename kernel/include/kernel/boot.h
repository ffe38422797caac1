/* Boot: install the system described by the boot tables. */
#ifndef KERNEL_BOOT_H
#define KERNEL_BOOT_H

#include <kernel/boot_tables.h>

/* Create every object, mapping, cap and thread the tables describe, or panic with the
 * first inconsistency found (the tables are build output; a mismatch is a build bug). */
void boot_install_tables(const struct m6_boot_tables *bt);

/* System counter value when boot handed over to the scheduler. */
extern uint64_t boot_finished_at;

#endif
