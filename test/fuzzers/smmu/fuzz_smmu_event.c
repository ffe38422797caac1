/* SMMUv3 event records and queue pointers (kernel/arch/aarch64/smmu_event.c): the records
 * and the PROD register are the device's word. The input is PROD, CONS and the queue size,
 * then the records; the harness drains the queue as smmuv3.c does and checks that it takes
 * at most one queue's worth, ends with CONS == PROD when PROD was sane, decodes only what
 * a record says, and that runs account for every event. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kernel/smmu_event.h>
#include <m6/abi/objects.h>

static void require(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_smmu_event: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 9)
		return 0;
	uint32_t prod, cons;
	memcpy(&prod, data, 4);
	memcpy(&cons, data + 4, 4);
	unsigned bits = data[8] % 20; /* IDR1.EVENTQS is 5 bits; the kernel uses up to 7 */
	data += 9;
	size -= 9;
	size_t records = size / 32;
	uint32_t n = smmu_queue_count(prod, cons, bits);
	require(n <= (1u << bits), "at most one queue's worth");
	uint32_t mask = (uint32_t)((1ull << (bits + 1)) - 1);
	uint32_t new_cons = smmu_queue_advance(cons, n, bits);
	require((new_cons & ~mask) == (cons & ~mask), "advance keeps the bits above the wrap");
	uint32_t dist = ((prod & mask) - (cons & mask)) & mask;
	if (dist <= (1u << bits))
		require((new_cons & mask) == (prod & mask), "a sane PROD is reached");
	struct smmu_event_run run = {0}, ended;
	unsigned started = 0, counted = 0;
	for (uint32_t i = 0; i < n && records; i++) {
		uint64_t rec[4];
		memcpy(rec, data + (((cons + i) & ((1u << bits) - 1)) % records) * 32, 32);
		struct smmu_event ev;
		smmu_event_decode(rec, &ev);
		require(ev.type == (rec[0] & 0xff) && ev.sid == rec[0] >> 32, "type and stream");
		require(ev.has_addr == (ev.type >= M6_IO_FAULT_TRANSLATION &&
		                        ev.type <= M6_IO_FAULT_PERMISSION),
		        "an address only for the faults that carry one");
		require(ev.has_addr ? ev.iova == rec[2] : (ev.iova == 0 && ev.flags == 0),
		        "address and flags only from those");
		require((ev.flags & ~M6_IO_FAULT_WRITE) == 0, "known flags only");
		if (smmu_event_run_add(&run, &ev, &ended)) {
			started++;
			counted += ended.more;
		}
	}
	counted += smmu_event_run_flush(&run);
	require(started + counted == (records ? n : 0), "every event reported or counted");
	return 0;
}
