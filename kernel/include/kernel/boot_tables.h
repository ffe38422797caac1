/* Boot tables: the contract between the spec compiler (capdl/, which writes them as C)
 * and the kernel (kernel/core/boot.c, which installs them). Everything a system holds at
 * start is listed here; the kernel adds nothing of its own.
 *
 * Objects are referred to by their index in `objects`. Every table is ordered so that it
 * can be applied front to back: page tables come before the frames mapped through them,
 * parents before children. */
#ifndef KERNEL_BOOT_TABLES_H
#define KERNEL_BOOT_TABLES_H

#include <stdint.h>

#define M6_BOOT_TABLES_MAGIC   0x746f6f6236366d00ull /* "\0m66boot" read as little endian */
#define M6_BOOT_TABLES_VERSION 3u
#define M6_BT_NO_OBJECT        0xffffffffu

/* Where a frame's initial contents come from. */
enum m6_bt_frame_source {
	M6_BT_FRAME_ZERO = 0,     /* fresh memory from untyped, zero-filled */
	M6_BT_FRAME_COPY = 1,     /* fresh memory from untyped, copied from boot image page */
	M6_BT_FRAME_IN_PLACE = 2, /* the boot image page itself (read-only data and code) */
	M6_BT_FRAME_DEVICE = 3,   /* device memory at `paddr` (MMIO); must lie outside RAM */
};

struct m6_bt_object {
	const char *name;     /* for diagnostics: "ping.tcb", "pong.ep", ... */
	uint32_t type;        /* enum m6_object_type */
	uint32_t size_bits;   /* CNode: radix (2^size_bits slots); Frame: 12 or 21;
	                         Untyped: log2 of its size in bytes (12..30);
	                         ASIDPool: the number of ASIDs it covers; else 0 */
	uint32_t source;      /* Frame: enum m6_bt_frame_source; VSpace: object index of the
	                         ASIDPool (listed before it) that gives it its ASID; else 0 */
	uint32_t source_page; /* Frame with COPY/IN_PLACE: page index into the boot image */
	uint64_t paddr;       /* Frame with DEVICE: physical address (aligned to its size) */
};

/* Install a PageTable (level 1..3, hung from the level-1 table above it that covers
 * vaddr; level 0 is the VSpace itself) or map a 4 KiB Frame (level 3 leaf) at vaddr. */
struct m6_bt_mapping {
	uint32_t vspace; /* object index of the VSpace */
	uint32_t object; /* object index of the PageTable or Frame */
	uint64_t vaddr;  /* aligned to what the object covers */
	uint32_t level;  /* PageTable: its level 1, 2 or 3; Frame: 3 */
	uint32_t rights; /* Frame: M6_RIGHT_READ | WRITE | EXECUTE (never W and X together) */
};

/* Place a capability in a CNode slot. */
struct m6_bt_cap {
	uint32_t cnode;      /* object index of the CNode */
	uint32_t slot;       /* slot index, < 2^radix of that CNode */
	uint32_t type;       /* enum m6_object_type of the cap */
	uint32_t object;     /* object index, or M6_BT_NO_OBJECT for caps without one
	                        (DEBUG_CONSOLE, POWER, IRQ_CONTROL, IRQ_HANDLER,
	                        SYSTEM_INFO, ASID_CONTROL) */
	uint32_t rights;     /* enum m6_right mask */
	uint32_t guard_size; /* CNode caps: guard bits (64 - radix for a one-level CSpace) */
	uint64_t badge;      /* Endpoint/Notification/Timer caps: badge delivered;
	                        IRQ_HANDLER: the interrupt ID (bit 32 set: edge-triggered) */
};

struct m6_bt_thread {
	const char *name;          /* "ping.main" */
	uint32_t component;        /* index into components */
	uint32_t tcb;              /* object index of the TCB */
	uint32_t cspace;           /* object index of the CSpace root CNode */
	uint32_t vspace;           /* object index of the VSpace */
	uint32_t ipc_buffer_frame; /* object index of the Frame backing the IPC buffer */
	uint32_t priority;         /* 0..255, higher runs first */
	uint64_t ipc_buffer_vaddr; /* where that frame is mapped (passed in x0) */
	uint64_t entry;            /* initial pc */
	uint64_t stack_pointer;    /* initial sp, 16-byte aligned */
	uint64_t arg;              /* passed in x1 */
	uint32_t max_priority;     /* highest priority it may give (<= 255) */
	uint32_t flags;            /* enum m6_tcb_flags (M6_TCB_FLAG_LINUX_ABI) */
	uint32_t fault_ep;         /* object index of the fault handler's Endpoint, or
	                              M6_BT_NO_OBJECT: faults are reported and stop it */
	uint32_t max_timeslice_us; /* longest timeslice it may give, in microseconds
	                              (100 .. 1,000,000); 0: the kernel's default slice */
	uint64_t fault_badge;      /* badge on the fault endpoint cap (tells who faulted) */
	uint32_t start;            /* 1: runnable at boot; 0: waits for a TCB_RESUME */
	uint32_t cpu;              /* CPU index it runs on; one the machine did not bring up
	                              is reported at boot and CPU 0 runs the thread */
};

struct m6_bt_component {
	const char *name;
	uint32_t first_thread; /* index into threads */
	uint32_t thread_count;
};

/* Per-object scratch the kernel fills while installing the tables. */
struct m6_bt_object_state {
	uintptr_t addr; /* kernel address of the object */
	void *last_cap; /* the slot most recently given a cap to it (struct cte *) */
	uint64_t asid;  /* VSpace: its ASID */
};

struct m6_boot_tables {
	uint64_t magic;   /* M6_BOOT_TABLES_MAGIC */
	uint32_t version; /* M6_BOOT_TABLES_VERSION */
	uint32_t object_count;
	uint32_t mapping_count;
	uint32_t cap_count;
	uint32_t thread_count;
	uint32_t component_count;
	const char *system_name;
	const struct m6_bt_object *objects;
	const struct m6_bt_mapping *mappings;
	const struct m6_bt_cap *caps;
	const struct m6_bt_thread *threads;
	const struct m6_bt_component *components;
	const uint8_t *image; /* boot image: image_pages pages, 4 KiB aligned */
	uint32_t image_pages;
	/* object_count entries of writable scratch (.bss), emitted with the tables so the
	 * kernel needs no fixed-size table of its own. */
	struct m6_bt_object_state *object_state;
};

/* Emitted by the spec compiler (boot_tables.c) and linked into the kernel image. */
extern const struct m6_boot_tables m6_boot_tables;

#endif
