/* SMMUv3 event records and queue arithmetic: pure, host-tested (test/unit/test_smmu_event.c)
 * and fuzzed (test/fuzzers/smmu). smmuv3.c reads the records and registers. */
#include <kernel/smmu_event.h>
#include <m6/abi/objects.h>

#define PAGE_MASK_4K 0xfffull

void smmu_event_decode(const uint64_t record[4], struct smmu_event *out)
{
	/* Dword 0: type in bits 7:0, StreamID in 63:32. Translation, address size, access
	 * and permission faults also carry the input address (dword 2) and RnW (dword 1,
	 * bit 35: 1 for a read). Nothing else of the record is believed. */
	uint32_t type = (uint32_t)(record[0] & 0xff);
	bool has_addr = type >= M6_IO_FAULT_TRANSLATION && type <= M6_IO_FAULT_PERMISSION;
	*out = (struct smmu_event){
	    .type = type,
	    .sid = (uint32_t)(record[0] >> 32),
	    .flags = has_addr && !(record[1] & (1ull << 35)) ? M6_IO_FAULT_WRITE : 0,
	    .iova = has_addr ? record[2] : 0,
	    .has_addr = has_addr,
	};
}

bool smmu_event_run_add(struct smmu_event_run *run, const struct smmu_event *ev,
                        struct smmu_event_run *ended)
{
	uint64_t page = ev->iova & ~PAGE_MASK_4K;
	if (run->valid && run->sid == ev->sid && run->type == ev->type && run->flags == ev->flags &&
	    run->page == page) {
		run->more++;
		return false;
	}
	*ended = *run;
	run->more = 0;
	run->valid = true;
	run->sid = ev->sid;
	run->type = ev->type;
	run->flags = ev->flags;
	run->page = page;
	return true;
}

unsigned smmu_event_run_flush(struct smmu_event_run *run)
{
	unsigned more = run->more;
	run->more = 0;
	return more;
}

uint32_t smmu_queue_count(uint32_t prod, uint32_t cons, unsigned bits)
{
	/* Index and wrap bit together count modulo 2^(bits + 1); more than a queue's worth
	 * is an SMMU out of step, and taking one queue's worth bounds the work. */
	uint32_t mask = (uint32_t)((1ull << (bits + 1)) - 1);
	uint32_t n = ((prod & mask) - (cons & mask)) & mask;
	return n > (1u << bits) ? (1u << bits) : n;
}

uint32_t smmu_queue_advance(uint32_t cons, uint32_t n, unsigned bits)
{
	uint32_t mask = (uint32_t)((1ull << (bits + 1)) - 1);
	return (cons & ~mask) | ((cons + n) & mask);
}
