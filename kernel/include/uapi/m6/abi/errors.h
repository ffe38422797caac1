/* m6 error codes returned in x0 by every syscall and invocation. */
#ifndef M6_ABI_ERRORS_H
#define M6_ABI_ERRORS_H

enum m6_error {
	M6_OK = 0,
	M6_ERR_INVALID_CAP = 1,         /* slot empty, or cap of the wrong type */
	M6_ERR_INSUFFICIENT_RIGHTS = 2, /* cap lacks a right the operation needs */
	M6_ERR_ILLEGAL_OPERATION = 3,   /* label not understood by this object */
	M6_ERR_INVALID_ARGUMENT = 4,    /* an argument is malformed */
	M6_ERR_RANGE = 5,               /* an argument is out of its allowed range */
	M6_ERR_ALIGNMENT = 6,           /* address or size not suitably aligned */
	M6_ERR_FAILED_LOOKUP = 7,       /* cptr does not resolve to a slot */
	M6_ERR_DELETE_FIRST = 8,        /* destination slot is occupied */
	M6_ERR_REVOKE_FIRST = 9,        /* object still has derived caps */
	M6_ERR_NOT_ENOUGH_MEMORY = 10,  /* untyped exhausted */
	M6_ERR_NO_REPLY = 11,           /* reply with no caller waiting */
	M6_ERR_WOULD_BLOCK = 12,        /* non-blocking operation found no partner */
	M6_ERR_INVALID_SYSCALL = 13,    /* unknown syscall number */
	M6_ERR_IN_USE = 14,    /* resource already taken (an IRQ line, an MSI event or device ID) */
	M6_ERR_CANCELLED = 15, /* a blocking operation was cut short (suspended) */
	M6_ERR_COUNT
};

#endif
