/* Checks of the boot tables, one entry at a time, before the installer acts on it
 * (kernel/core/boot.c). The tables are build output, but they are the one input that
 * decides what every component may touch, so the kernel holds them to the same rules as
 * an invocation: a frame is one page or one 2 MiB block and is mapped at that size, an
 * in-place image page stays what it is in the image (4 KiB, read-only: it is shared with
 * every other user of the same bytes and lives in the kernel's rodata), nothing is ever
 * writable and executable, and a thread's IPC buffer is a fresh page of its own.
 *
 * Pure functions of the tables, unit-tested on the host (test/unit/test_boot_check.c).
 * Each returns NULL if the entry is acceptable, or what is wrong with it. */
#ifndef KERNEL_BOOT_CHECK_H
#define KERNEL_BOOT_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <kernel/boot_tables.h>

const char *boot_check_object(const struct m6_boot_tables *bt, uint32_t index);
const char *boot_check_mapping(const struct m6_boot_tables *bt, uint32_t index);
const char *boot_check_cap(const struct m6_boot_tables *bt, uint32_t index);
const char *boot_check_thread(const struct m6_boot_tables *bt, uint32_t index);

#endif
