/* SMMUv3 event queue records and queue indices, decoded without touching the SMMU
 * (arch/aarch64/smmu_event.c): the records are the device's bytes, so this is the part a
 * fuzzer checks on the host (test/fuzzers/smmu). */
#ifndef KERNEL_SMMU_EVENT_H
#define KERNEL_SMMU_EVENT_H

#include <kernel/types.h>

struct smmu_event {
	uint32_t type;  /* enum m6_io_fault, or another SMMU event type */
	uint32_t sid;   /* stream ID */
	uint32_t flags; /* M6_IO_FAULT_WRITE */
	uint64_t iova;  /* 0 for events that carry no address */
	bool has_addr;  /* F_TRANSLATION .. F_PERMISSION */
};

/* One 32-byte event record. */
void smmu_event_decode(const uint64_t record[4], struct smmu_event *out);

/* Consecutive events of one stream, type and direction in one page form a run: a device
 * that DMAs to a wrong address faults once per word. */
struct smmu_event_run {
	uint32_t sid, type, flags;
	uint64_t page;
	unsigned more; /* events added to the run since the last smmu_event_run_flush() */
	bool valid;
};

/* Add an event. true: it starts a new run (the caller reports it), and *ended is the run
 * it ended, whose `more` events since the last flush the caller reports too (0: none).
 * false: it was counted in the current run. */
bool smmu_event_run_add(struct smmu_event_run *run, const struct smmu_event *ev,
                        struct smmu_event_run *ended);
/* The count of events added since the last flush without starting a run; resets it. */
unsigned smmu_event_run_flush(struct smmu_event_run *run);

/* Queue pointers: an index of `bits` bits with a wrap bit above it (bit 31, the overflow
 * flag, is not part of it). The records waiting between CONS and PROD, at most 2^bits
 * whatever the registers say, and CONS after taking `n` of them. */
uint32_t smmu_queue_count(uint32_t prod, uint32_t cons, unsigned bits);
uint32_t smmu_queue_advance(uint32_t cons, uint32_t n, unsigned bits);

#endif
