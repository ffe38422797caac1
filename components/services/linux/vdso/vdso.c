/* The Linux shim's vDSO (docs/linux.md, "vDSO"): the time functions glibc calls instead of
 * the clock_gettime, gettimeofday and clock_getres system calls. They read the virtual
 * counter (CNTVCT_EL0: the kernel lets EL0 read it, CNTKCTL_EL1.EL0VCTEN) and the shim's
 * data page below the vDSO, so the clocks they serve need no kernel entry at all; any
 * other clock (the CPU-time clocks, an invalid id) goes to the real system call, whose
 * answer and errors are the shim's.
 *
 * Built freestanding and position independent, with no data of its own and no
 * relocations (vdso.lds, the CMake rule checks): the same pages serve every process. */
#include <stddef.h>
#include <stdint.h>

#include "vdso_data.h"

/* The data page: the page before the vDSO's first byte (vdso.lds). Hidden, so the
 * reference is PC-relative (adrp/add), never through a GOT. */
extern const struct vdso_data vdso_data __attribute__((visibility("hidden")));

#define CLOCK_REALTIME         0
#define CLOCK_MONOTONIC        1
#define CLOCK_MONOTONIC_RAW    4
#define CLOCK_REALTIME_COARSE  5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME         7

#define NR_gettimeofday        169
#define NR_clock_gettime       113
#define NR_clock_getres        114

struct vdso_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct vdso_timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};

struct vdso_timezone {
	int32_t tz_minuteswest;
	int32_t tz_dsttime;
};

static long syscall2(long nr, long a0, long a1)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a0;
	register long x1 __asm__("x1") = a1;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x1), "r"(x8) : "memory");
	return x0;
}

static uint64_t counter(void)
{
	uint64_t v;
	/* The isb keeps the read from being taken before earlier instructions (a clock read
	 * must not run ahead of the code that asked for it), as m6_counter() does. */
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
}

/* Nanoseconds of `clock`, or -1 for a clock the vDSO does not serve. */
static int64_t clock_ns(long clock)
{
	const volatile struct vdso_data *d = &vdso_data;
	if (d->frequency == 0)
		return -1; /* no data page written: let the shim answer */
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		return (int64_t)vdso_ticks_to_ns(counter(), d->frequency) + d->realtime_offset_ns;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		/* One counter that never stops: monotonic, raw and boot time are the same. */
		return (int64_t)vdso_ticks_to_ns(counter(), d->frequency);
	default:
		return -1;
	}
}

int __kernel_clock_gettime(long clock, struct vdso_timespec *ts)
{
	int64_t ns = clock_ns(clock);
	if (ns < 0)
		return (int)syscall2(NR_clock_gettime, clock, (long)ts);
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
	return 0;
}

int __kernel_gettimeofday(struct vdso_timeval *tv, struct vdso_timezone *tz)
{
	int64_t ns = clock_ns(CLOCK_REALTIME);
	if (ns < 0)
		return (int)syscall2(NR_gettimeofday, (long)tv, (long)tz);
	if (tv) {
		tv->tv_sec = ns / 1000000000;
		tv->tv_usec = ns % 1000000000 / 1000;
	}
	if (tz) {
		/* UTC, no daylight saving: what the shim's gettimeofday answers too */
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

int __kernel_clock_getres(long clock, struct vdso_timespec *res)
{
	if (clock_ns(clock) < 0)
		return (int)syscall2(NR_clock_getres, clock, (long)res);
	if (res) {
		/* One counter tick, rounded up to a whole nanosecond: every served clock,
		 * the coarse ones included, reads the counter itself. */
		res->tv_sec = 0;
		res->tv_nsec =
		    (int64_t)((1000000000u + vdso_data.frequency - 1) / vdso_data.frequency);
	}
	return 0;
}
