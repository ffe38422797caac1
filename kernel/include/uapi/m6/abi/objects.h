/* Kernel object types and invocation labels. */
#ifndef M6_ABI_OBJECTS_H
#define M6_ABI_OBJECTS_H

enum m6_object_type {
	M6_OBJ_NULL = 0,
	M6_OBJ_UNTYPED = 1,
	M6_OBJ_TCB = 2,
	M6_OBJ_ENDPOINT = 3,
	M6_OBJ_NOTIFICATION = 4,
	M6_OBJ_CNODE = 5,
	M6_OBJ_VSPACE = 6,
	M6_OBJ_PAGE_TABLE = 7,
	M6_OBJ_FRAME = 8,
	M6_OBJ_DEBUG_CONSOLE = 9, /* kernel console: write bytes */
	M6_OBJ_POWER = 10,        /* system power control */
	M6_OBJ_COUNT
};

/* Invocation labels (label field of the message info of a CALL on an object cap). */
enum m6_label {
	/* Debug console: MR0 = byte count (<= 8 * (length - 1)), MR1.. = bytes, little endian */
	M6_DEBUG_CONSOLE_WRITE = 1,
	/* Power: MR0 = M6_POWER_OFF or M6_POWER_RESET */
	M6_POWER_CONTROL = 2,
	/* TCB */
	M6_TCB_SUSPEND = 16,
};

enum m6_power_action {
	M6_POWER_OFF = 0,
	M6_POWER_RESET = 1,
};

#endif
