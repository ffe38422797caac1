/* The vDSO in every Linux process (docs/linux.md, "vDSO"). At start-up the shim copies the
 * embedded vDSO (vdso/, checked and embedded at build time) into frames of its own and
 * writes the data page its time functions read: the counter's frequency and the offset of
 * CLOCK_REALTIME from counter time, taken from the PL031 real-time clock when the spec
 * grants the device (`device rtc compatible "arm,pl031"`). Every exec then maps the same
 * frames into the process, copy-on-write like pages shared by fork: the data page
 * read-only at LINUX_VDSO_BASE, the vDSO read-execute after it, and AT_SYSINFO_EHDR points
 * at the vDSO's ELF header. */
#include <string.h>

#include <m6/time.h>
#include <m6_caps.h>

#include "elf.h"
#include "shim.h"
#include "vdso_blob.h"
#include "vdso_data.h"

#define VDSO_MAX_PAGES 4u

static uint32_t data_frame;
static uint32_t text_frames[VDSO_MAX_PAGES];
static unsigned text_pages; /* 0: not set up (then no process gets a vDSO) */
static int64_t realtime_offset;

/* The PL031's data register: seconds since 1970 (QEMU starts it at the host's UTC). */
#define PL031_DR 0x000

static int64_t read_realtime_offset(void)
{
#ifdef M6_DEVICE_RTC_VADDR
	volatile const uint32_t *dr =
	    (volatile const uint32_t *)(uintptr_t)(M6_DEVICE_RTC_VADDR + PL031_DR);
	/* The register counts whole seconds: read it twice around the counter so the pair
	 * belongs to one second (a tick between the reads is retried once). */
	uint32_t before = *dr;
	uint64_t now = vdso_ticks_to_ns(m6_counter(), m6_counter_frequency());
	uint32_t after = *dr;
	if (after != before) {
		before = after;
		now = vdso_ticks_to_ns(m6_counter(), m6_counter_frequency());
	}
	shim_log("linux: wall clock from the PL031: %u s since 1970", before);
	return (int64_t)before * 1000000000 - (int64_t)now;
#else
	return 0; /* no wall clock: CLOCK_REALTIME counts from boot, as the monotonic clock */
#endif
}

uint64_t vdso_abs_to_ticks(uint64_t ns, bool realtime)
{
	if (realtime && realtime_offset > 0)
		ns = ns > (uint64_t)realtime_offset ? ns - (uint64_t)realtime_offset : 0;
	else if (realtime && realtime_offset < 0)
		ns = ns > UINT64_MAX - (uint64_t)-realtime_offset ? UINT64_MAX
		                                                  : ns + (uint64_t)-realtime_offset;
	return m6_ns_to_ticks(ns);
}

uint64_t vdso_clock_ns(bool realtime)
{
	uint64_t ns = vdso_ticks_to_ns(m6_counter(), m6_counter_frequency());
	return realtime ? ns + (uint64_t)realtime_offset : ns;
}

int vdso_init(void)
{
	unsigned pages = (unsigned)((vdso_blob_size + PAGE_SIZE - 1) / PAGE_SIZE);
	if (pages == 0 || pages > VDSO_MAX_PAGES)
		return -LINUX_ENOEXEC;
	uint8_t *ptr;
	int e = mem_frame_hold(&data_frame, &ptr);
	if (e)
		return e;
	realtime_offset = read_realtime_offset();
	struct vdso_data d = {.version = VDSO_DATA_VERSION,
	                      .frequency = m6_counter_frequency(),
	                      .realtime_offset_ns = realtime_offset};
	memcpy(ptr, &d, sizeof(d));
	for (unsigned i = 0; i < pages; i++) {
		if ((e = mem_frame_hold(&text_frames[i], &ptr)) != 0)
			return e;
		size_t off = (size_t)i * PAGE_SIZE;
		size_t n = vdso_blob_size - off < PAGE_SIZE ? vdso_blob_size - off : PAGE_SIZE;
		memcpy(ptr, vdso_blob + off, n);
		/* code written through the shim's window: visible to fetches before any process
		 * runs it */
		mem_frame_sync_code(text_frames[i]);
		text_pages = i + 1;
	}
	return 0;
}

void vdso_release(void)
{
	if (text_pages == 0)
		return;
	mem_frame_release(data_frame);
	for (unsigned i = 0; i < text_pages; i++)
		mem_frame_release(text_frames[i]);
	text_pages = 0;
}

uint64_t vdso_base(struct proc *p)
{
	(void)p; /* one place for every process: no randomisation yet */
	return text_pages ? LINUX_VDSO_BASE + PAGE_SIZE : 0;
}

int vdso_map(struct proc *p)
{
	if (text_pages == 0)
		return 0;
	const uint64_t text = LINUX_VDSO_BASE + PAGE_SIZE, end = text + text_pages * PAGE_SIZE;
	int e;
	if ((e = mem_vma_add(p, LINUX_VDSO_BASE, text, ELF_PROT_READ, VMA_VDSO)) != 0 ||
	    (e = mem_vma_add(p, text, end, ELF_PROT_READ | ELF_PROT_EXEC, VMA_VDSO)) != 0)
		return e;
	if ((e = mem_map_held(p, LINUX_VDSO_BASE, data_frame, ELF_PROT_READ)) != 0)
		return e;
	for (unsigned i = 0; i < text_pages; i++)
		if ((e = mem_map_held(p, text + (uint64_t)i * PAGE_SIZE, text_frames[i],
		                      ELF_PROT_READ | ELF_PROT_EXEC)) != 0)
			return e;
	return 0;
}

uint64_t vdso_symbol(struct proc *p, const char *name)
{
	uint64_t base = vdso_base(p);
	if (base == 0)
		return 0;
	for (const struct vdso_blob_symbol *s = vdso_blob_symbols; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return base + s->offset;
	return 0;
}
