/* What the Linux shim's vDSO shares with the shim (docs/linux.md, "vDSO"): the layout of
 * the read-only data page mapped just below the vDSO's text, and the one conversion from
 * counter ticks to nanoseconds that both the vDSO and the shim's clock_gettime use, so a
 * clock read either way is the same clock with the same epoch.
 *
 * Freestanding C11: compiled into the vDSO (no libc) and into the shim. */
#ifndef LINUX_VDSO_DATA_H
#define LINUX_VDSO_DATA_H

#include <stdint.h>

/* Bumped when the layout changes: the shim and the vDSO are built together, so this only
 * guards against a stale blob. */
#define VDSO_DATA_VERSION 1u

struct vdso_data {
	uint32_t version;  /* VDSO_DATA_VERSION */
	uint32_t reserved; /* 0 */
	/* CNTFRQ_EL0: the virtual counter's frequency in Hz (never 0 once written). */
	uint64_t frequency;
	/* CLOCK_REALTIME in nanoseconds is counter time (vdso_ticks_to_ns) plus this; 0 when
	 * the shim has no wall-clock source (then the real-time clock counts from boot). */
	int64_t realtime_offset_ns;
};

/* ticks * 10^9 / frequency, rounded down, without 128-bit arithmetic (the vDSO has no
 * runtime library): ticks = s * f + r gives s * 10^9 + r * 10^9 / f exactly, and
 * r * 10^9 < f * 10^9 fits 64 bits for any counter below 18 GHz. */
static inline uint64_t vdso_ticks_to_ns(uint64_t ticks, uint64_t frequency)
{
	uint64_t s = ticks / frequency, r = ticks % frequency;
	return s * 1000000000u + r * 1000000000u / frequency;
}

#endif
