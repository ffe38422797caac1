/* libFuzzer harness for the NVMe driver core (components/drivers/nvme/nvme_core.c): what
 * the device writes, completion entries and Identify pages, is the fuzzer's.
 *
 * Input: byte 0 picks the queue depth (2 .. 64), byte 1 how many operations follow; each
 * operation is OP bytes: a selector and 16 bytes of payload. Selector % 4: 0 submits a
 * command, 1 has the "device" write the payload as the next completion entry (phase bit
 * and all), 2 polls, 3 builds a PRP list from the payload (offset, length, page count)
 * and maps the payload's status field. What is left (zero padded to 4 KiB) is parsed as
 * an Identify Controller and an Identify Namespace page.
 *
 * Checked, beyond "no crash, no UB": every completion the core accepts names a command the
 * harness had in flight, with its cookie, and each at most once; command ids in flight are
 * never handed out again; the free ids and those in flight add up to depth - 1; PRPs
 * describe exactly the pages given; parsed Identify fields are in their ranges. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_core.h"

#define OP 17

static struct nvme_queue q;
static struct nvme_sqe sq[64];
static struct nvme_cqe cq[64];
static bool shadow_busy[64];
static uint64_t shadow_cookie[64];
static uint64_t pages[1600];
static uint64_t list_mem[3][NVME_PRP_PER_PAGE];

static void check(bool ok)
{
	if (!ok)
		abort();
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void do_prp(const uint8_t *p)
{
	uint32_t offset = (uint32_t)le(p, 2) & 0x1fffu; /* sometimes invalid */
	uint64_t bytes = le(p + 2, 4) & 0x7fffffu;
	size_t count = (size_t)(le(p + 6, 2) % 1600);
	size_t lists = p[8] % 4;
	uint64_t *lp[3] = {list_mem[0], list_mem[1], list_mem[2]};
	uint64_t iovas[3] = {0x80000000u, 0x80001000u, 0x80002000u + (p[9] & 8u)};
	struct nvme_prp r;
	int rc = nvme_build_prp(pages, count, offset, bytes, lp, iovas, lists, &r);
	if (rc != NVME_OK)
		return;
	uint64_t needed = (offset + bytes + NVME_PAGE_SIZE - 1) / NVME_PAGE_SIZE;
	check(needed <= count && offset < NVME_PAGE_SIZE && offset % 4 == 0);
	check(r.prp1 == pages[0] + offset);
	if (needed == 1)
		check(r.prp2 == 0);
	else if (needed == 2)
		check(r.prp2 == pages[1]);
	else {
		/* Walk the list as a device would. */
		check(r.prp2 == iovas[0] && r.list_pages_used >= 1 && r.list_pages_used <= lists);
		unsigned lpage = 0, slot = 0;
		for (uint64_t i = 1; i < needed; i++) {
			if (slot == NVME_PRP_PER_PAGE - 1 && i != needed - 1) {
				check(lp[lpage][slot] == iovas[lpage + 1]);
				lpage++;
				slot = 0;
			}
			check(lp[lpage][slot] == pages[i]);
			slot++;
		}
		check(lpage + 1 == r.list_pages_used);
	}
	struct nvme_status_map m = nvme_map_status((uint16_t)le(p + 10, 2));
	check(m.status == NVME_BLOCK_OK || m.status == NVME_BLOCK_EIO ||
	      m.status == NVME_BLOCK_ENXIO || m.status == NVME_BLOCK_EINVAL ||
	      m.status == NVME_BLOCK_EROFS || m.status == NVME_BLOCK_EOPNOTSUPP);
	if (le(p + 10, 2) & NVME_STATUS_DNR)
		check(!m.retry);
}

static void check_ascii(const char *s, size_t cap)
{
	size_t n = 0;
	while (n < cap && s[n])
		n++;
	check(n < cap);
	for (size_t i = 0; i < n; i++)
		check(s[i] >= 0x20 && s[i] < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint16_t depth = (uint16_t)(2 + data[0] % 63);
	size_t nops = data[1];
	data += 2;
	size -= 2;
	if (nops * OP > size)
		nops = size / OP;

	for (size_t i = 0; i < 1600; i++)
		pages[i] = 0x40000000u + (uint64_t)i * NVME_PAGE_SIZE;
	if (nvme_queue_init(&q, 1, sq, cq, depth) != NVME_OK)
		abort();
	memset(shadow_busy, 0, sizeof(shadow_busy));
	uint16_t dev_tail = 0;
	uint64_t next_cookie = 1;

	for (size_t i = 0; i < nops; i++, data += OP, size -= OP) {
		const uint8_t *p = data + 1;
		switch (data[0] % 4) {
		case 0: {
			struct nvme_sqe c;
			nvme_cmd_flush(&c, 1);
			uint16_t cid;
			int tail = nvme_submit(&q, &c, next_cookie, &cid);
			if (tail == NVME_E_FULL)
				break;
			check(tail >= 0 && tail < depth && cid < depth - 1 && !shadow_busy[cid]);
			shadow_busy[cid] = true;
			shadow_cookie[cid] = next_cookie++;
			break;
		}
		case 1:
			memcpy(&cq[dev_tail], p, sizeof(struct nvme_cqe));
			dev_tail = (uint16_t)((dev_tail + 1) % depth);
			break;
		case 2: {
			struct nvme_done done[64];
			uint16_t head;
			unsigned consumed;
			unsigned n = nvme_poll(&q, done, p[0] % 65, &head, &consumed);
			check(n <= consumed && consumed <= depth && head < depth);
			for (unsigned k = 0; k < n; k++) {
				check(done[k].cid < depth - 1 && shadow_busy[done[k].cid]);
				check(done[k].cookie == shadow_cookie[done[k].cid]);
				check((done[k].status & 1u) == 0);
				shadow_busy[done[k].cid] = false;
			}
			break;
		}
		default:
			do_prp(p);
			break;
		}
		unsigned busy = 0;
		for (unsigned c = 0; c < 64; c++) {
			check(shadow_busy[c] == (c < depth - 1 && q.busy[c]));
			busy += shadow_busy[c];
		}
		check(busy == q.in_flight && busy + q.free_count == (unsigned)depth - 1);
		check(q.sq_head < depth && q.sq_tail < depth && q.cq_head < depth);
	}

	static uint8_t page[4096];
	memset(page, 0, sizeof(page));
	memcpy(page, data, size < sizeof(page) ? size : sizeof(page));
	struct nvme_ctrl_info ci;
	const char *why = NULL;
	if (nvme_parse_identify_ctrl(page, 4096, &ci, &why) == NVME_OK) {
		check(ci.namespaces != 0);
		check(ci.max_transfer == 0 || ci.max_transfer >= 2 * 4096);
		check_ascii(ci.serial, sizeof(ci.serial));
		check_ascii(ci.model, sizeof(ci.model));
		check_ascii(ci.firmware, sizeof(ci.firmware));
	} else {
		check(why != NULL);
	}
	struct nvme_ns_info ni;
	why = NULL;
	if (nvme_parse_identify_ns(page, &ni, &why) == NVME_OK) {
		check(ni.block_size >= 512 && ni.block_size <= 4096 &&
		      (ni.block_size & (ni.block_size - 1)) == 0);
		check(ni.blocks != 0 && ni.blocks <= UINT64_MAX / ni.block_size);
	} else {
		check(why != NULL);
	}
	return 0;
}
