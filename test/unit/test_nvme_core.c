/* The NVMe driver's core (components/drivers/nvme/nvme_core.c) against a simulated
 * controller that writes completion entries the way a device does (its own tail and phase
 * tag), and against hand-made Identify pages, valid and hostile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nvme_core.h"

/* The device's side of one completion queue. */
struct fake_dev {
	struct nvme_cqe *cq;
	uint16_t depth, tail;
	uint8_t phase;
};

static void dev_init(struct fake_dev *d, struct nvme_cqe *cq, uint16_t depth)
{
	d->cq = cq;
	d->depth = depth;
	d->tail = 0;
	d->phase = 1;
}

static void dev_post(struct fake_dev *d, uint16_t qid, uint16_t cid, uint16_t sq_head,
                     uint16_t status, uint32_t dw0)
{
	struct nvme_cqe *e = &d->cq[d->tail];
	e->dw0 = dw0;
	e->dw1 = 0;
	e->sq_head = sq_head;
	e->sq_id = qid;
	e->cid = cid;
	e->status = (uint16_t)((status & ~1u) | d->phase);
	if (++d->tail == d->depth) {
		d->tail = 0;
		d->phase ^= 1u;
	}
}

static struct nvme_queue q;
static struct nvme_sqe sq[64];
static struct nvme_cqe cq[64];

static struct nvme_sqe read_cmd(uint64_t lba)
{
	struct nvme_sqe c;
	assert_int_equal(nvme_cmd_rw(&c, false, 1, lba, 8, 0x1000, 0), NVME_OK);
	return c;
}

static void test_init_refuses_bad_depth(void **state)
{
	(void)state;
	assert_int_equal(nvme_queue_init(&q, 0, sq, cq, 1), NVME_E_INVAL);
	assert_int_equal(nvme_queue_init(&q, 0, sq, cq, NVME_MAX_DEPTH + 1), NVME_E_INVAL);
	assert_int_equal(nvme_queue_init(&q, 0, NULL, cq, 4), NVME_E_INVAL);
	assert_int_equal(nvme_queue_init(&q, 0, sq, cq, 4), NVME_OK);
	assert_int_equal(nvme_queue_space(&q), 3);
}

static void test_full_queue(void **state)
{
	(void)state;
	struct fake_dev d;
	assert_int_equal(nvme_queue_init(&q, 1, sq, cq, 4), NVME_OK);
	dev_init(&d, cq, 4);
	struct nvme_sqe c = read_cmd(7);
	uint16_t cids[3];
	for (int i = 0; i < 3; i++) {
		/* The return value is the tail doorbell's. */
		assert_int_equal(nvme_submit(&q, &c, 100 + i, &cids[i]), i + 1);
		assert_int_equal(sq[i].cid, cids[i]);
		assert_int_equal(sq[i].opcode, NVME_CMD_READ);
		assert_int_equal(sq[i].cdw10, 7);
	}
	assert_int_not_equal(cids[0], cids[1]);
	assert_int_not_equal(cids[1], cids[2]);
	assert_int_equal(nvme_queue_space(&q), 0);
	assert_int_equal(nvme_submit(&q, &c, 9, NULL), NVME_E_FULL);
	assert_int_equal(q.in_flight, 3);

	/* The device finishes the second one first: the slot and id come back. */
	dev_post(&d, 1, cids[1], 2, 0, 0xabc);
	struct nvme_done done[4];
	uint16_t head;
	unsigned consumed;
	assert_int_equal(nvme_poll(&q, done, 4, &head, &consumed), 1);
	assert_int_equal(consumed, 1);
	assert_int_equal(head, 1);
	assert_int_equal(done[0].cookie, 101);
	assert_int_equal(done[0].cid, cids[1]);
	assert_int_equal(done[0].status, 0);
	assert_int_equal(done[0].dw0, 0xabc);
	assert_int_equal(nvme_queue_space(&q), 1);
	assert_int_equal(nvme_submit(&q, &c, 103, NULL), 0); /* the tail wraps to 0 */
	assert_int_equal(nvme_submit(&q, &c, 104, NULL), NVME_E_FULL);
	/* Nothing new: the poll takes nothing. */
	assert_int_equal(nvme_poll(&q, done, 4, &head, &consumed), 0);
	assert_int_equal(consumed, 0);
}

/* A controller that completes every command but always reports SQ head 0 (never beyond
 * what was submitted, so each entry is believed): room is counted by the commands in
 * flight, so the queue goes on taking commands instead of filling up for good. */
static void test_stuck_sq_head(void **state)
{
	(void)state;
	struct fake_dev d;
	assert_int_equal(nvme_queue_init(&q, 1, sq, cq, 8), NVME_OK);
	dev_init(&d, cq, 8);
	struct nvme_sqe c = read_cmd(3);
	struct nvme_done done[8];
	uint16_t head, cid;
	unsigned consumed;
	for (unsigned i = 0; i < 40; i++) {
		assert_true(nvme_queue_space(&q) > 0);
		assert_true(nvme_submit(&q, &c, i, &cid) >= 0);
		dev_post(&d, 1, cid, 0, 0, 0);
		assert_int_equal(nvme_poll(&q, done, 8, &head, &consumed), 1);
		assert_int_equal(done[0].cookie, i);
	}
	assert_int_equal(q.in_flight, 0);
	assert_int_equal(nvme_queue_space(&q), 7);
	/* Seven in flight fill it; each completion makes room for one more. */
	uint16_t cids[7];
	for (unsigned i = 0; i < 7; i++)
		assert_true(nvme_submit(&q, &c, 100 + i, &cids[i]) >= 0);
	assert_int_equal(nvme_queue_space(&q), 0);
	assert_int_equal(nvme_submit(&q, &c, 9, NULL), NVME_E_FULL);
	dev_post(&d, 1, cids[3], 0, 0, 0);
	assert_int_equal(nvme_poll(&q, done, 8, &head, &consumed), 1);
	assert_int_equal(done[0].cookie, 103);
	assert_int_equal(nvme_queue_space(&q), 1);
	assert_int_equal(q.sq_head, 0);
}

static void test_wrap_and_phase_flip(void **state)
{
	(void)state;
	struct fake_dev d;
	assert_int_equal(nvme_queue_init(&q, 2, sq, cq, 4), NVME_OK);
	dev_init(&d, cq, 4);
	struct nvme_sqe c = read_cmd(0);
	struct nvme_done done[4];
	uint16_t head;
	for (unsigned round = 0; round < 11; round++) {
		uint16_t cid;
		int tail = nvme_submit(&q, &c, round, &cid);
		assert_int_equal(tail, (round + 1) % 4);
		dev_post(&d, 2, cid, (uint16_t)tail, 0, round);
		assert_int_equal(nvme_poll(&q, done, 4, &head, NULL), 1);
		assert_int_equal(done[0].cookie, round);
		assert_int_equal(head, (round + 1) % 4);
		/* The phase we wait for flips each time the CQ head wraps. */
		assert_int_equal(q.phase, ((round + 1) / 4) % 2 ? 0 : 1);
		/* The old entries (previous phase) are not taken again. */
		assert_int_equal(nvme_poll(&q, done, 4, &head, NULL), 0);
	}
	/* Three at once across the wrap. */
	uint16_t cids[3];
	for (int i = 0; i < 3; i++)
		assert_true(nvme_submit(&q, &c, 50 + i, &cids[i]) >= 0);
	for (int i = 0; i < 3; i++)
		dev_post(&d, 2, cids[i], q.sq_tail, 0, 0);
	assert_int_equal(nvme_poll(&q, done, 2, &head, NULL), 2); /* max respected */
	assert_int_equal(nvme_poll(&q, done + 2, 2, &head, NULL), 1);
	assert_int_equal(done[0].cookie + done[1].cookie + done[2].cookie, 50 + 51 + 52);
	assert_int_equal(q.in_flight, 0);
	assert_int_equal(q.refused[NVME_REFUSE_CID_IDLE] + q.refused[NVME_REFUSE_SQ_HEAD], 0);
}

static void test_cid_reuse_fifo(void **state)
{
	(void)state;
	struct fake_dev d;
	assert_int_equal(nvme_queue_init(&q, 1, sq, cq, 8), NVME_OK);
	dev_init(&d, cq, 8);
	struct nvme_sqe c = read_cmd(0);
	struct nvme_done done[8];
	uint16_t first, cid, head;
	int tail = nvme_submit(&q, &c, 1, &first);
	dev_post(&d, 1, first, (uint16_t)tail, 0, 0);
	assert_int_equal(nvme_poll(&q, done, 8, &head, NULL), 1);
	/* A freed id goes to the back: the other six come first, then it is reused. */
	for (int i = 0; i < 6; i++) {
		tail = nvme_submit(&q, &c, 2, &cid);
		assert_int_not_equal(cid, first);
		dev_post(&d, 1, cid, (uint16_t)tail, 0, 0);
		assert_int_equal(nvme_poll(&q, done, 8, &head, NULL), 1);
	}
	nvme_submit(&q, &c, 3, &cid);
	assert_int_equal(cid, first);
}

static void test_refused_completions(void **state)
{
	(void)state;
	struct fake_dev d;
	assert_int_equal(nvme_queue_init(&q, 3, sq, cq, 8), NVME_OK);
	dev_init(&d, cq, 8);
	struct nvme_sqe c = read_cmd(0);
	struct nvme_done done[8];
	uint16_t cid, other, head;
	unsigned consumed;
	nvme_submit(&q, &c, 77, &cid);
	nvme_submit(&q, &c, 78, &other);

	dev_post(&d, 3, 7, 1, 0, 0);   /* id 7: beyond the 7 ids (0..6) of depth 8 */
	dev_post(&d, 3, 5, 1, 0, 0);   /* id 5: never sent */
	dev_post(&d, 3, cid, 8, 0, 0); /* SQ head beyond the queue */
	dev_post(&d, 3, cid, 5, 0, 0); /* SQ head past what was submitted (2) */
	dev_post(&d, 4, cid, 1, 0, 0); /* another queue's entry */
	assert_int_equal(nvme_poll(&q, done, 8, &head, &consumed), 0);
	assert_int_equal(consumed, 5);
	assert_int_equal(head, 5); /* consumed all the same, so the queue moves on */
	assert_int_equal(q.refused[NVME_REFUSE_CID_UNKNOWN], 1);
	assert_int_equal(q.refused[NVME_REFUSE_CID_IDLE], 1);
	assert_int_equal(q.refused[NVME_REFUSE_SQ_HEAD], 2);
	assert_int_equal(q.refused[NVME_REFUSE_SQ_ID], 1);
	assert_int_equal(q.last_refusal, NVME_REFUSE_SQ_ID);
	assert_string_equal(nvme_refusal_name(NVME_REFUSE_CID_UNKNOWN), "unknown command id");
	/* Neither command was completed by any of that. */
	assert_int_equal(q.in_flight, 2);
	assert_int_equal(q.sq_head, 0);

	/* The real completion, then the same one again: the second is refused. */
	dev_post(&d, 3, cid, 1, 0, 0);
	dev_post(&d, 3, cid, 2, 0, 0);
	assert_int_equal(nvme_poll(&q, done, 8, &head, NULL), 1);
	assert_int_equal(done[0].cookie, 77);
	assert_int_equal(q.refused[NVME_REFUSE_CID_IDLE], 2);
	/* A head going backwards (2 -> 1 would mean a full lap) is refused too. */
	dev_post(&d, 3, other, 0, 0, 0);
	assert_int_equal(nvme_poll(&q, done, 8, &head, NULL), 0);
	assert_int_equal(q.refused[NVME_REFUSE_SQ_HEAD], 3);
	dev_post(&d, 3, other, 2, 0, 0);
	assert_int_equal(nvme_poll(&q, done, 8, &head, NULL), 1);
	assert_int_equal(done[0].cookie, 78);
}

static void test_poll_bounded(void **state)
{
	(void)state;
	/* A device that fills the whole ring with garbage of the right phase: one call
	 * takes at most one lap. */
	assert_int_equal(nvme_queue_init(&q, 1, sq, cq, 4), NVME_OK);
	struct fake_dev d;
	dev_init(&d, cq, 4);
	for (int i = 0; i < 4; i++)
		dev_post(&d, 1, 200, 0, 0, 0);
	struct nvme_done done[4];
	unsigned consumed;
	uint16_t head;
	assert_int_equal(nvme_poll(&q, done, 4, &head, &consumed), 0);
	assert_int_equal(consumed, 4);
	assert_int_equal(head, 0);
	assert_int_equal(q.phase, 0);
}

/* A controller reset: every command still in flight comes back once, its id is free
 * again, a late completion of an abandoned command is refused rather than answered
 * twice, and the queue works after it is set up again. */
static void test_reset(void **state)
{
	(void)state;
	struct fake_dev d;
	assert_int_equal(nvme_queue_init(&q, 1, sq, cq, 8), NVME_OK);
	dev_init(&d, cq, 8);
	struct nvme_sqe c = read_cmd(0);
	struct nvme_done done[8];
	uint16_t a, b, e, head;

	nvme_submit(&q, &c, 11, &a);
	nvme_submit(&q, &c, 12, &b);
	nvme_submit(&q, &c, 13, &e);
	dev_post(&d, 1, a, 1, 0, 0);
	assert_int_equal(nvme_poll(&q, done, 8, &head, NULL), 1);
	/* A completion the core refuses leaves its command in flight. */
	dev_post(&d, 1, 6, 2, 0, 0);
	assert_int_equal(nvme_poll(&q, done, 8, &head, NULL), 0);
	assert_int_equal(q.in_flight, 2);

	assert_int_equal(nvme_queue_abandon(&q, done, 8), 2);
	assert_true((done[0].cookie == 12 && done[1].cookie == 13) ||
	            (done[0].cookie == 13 && done[1].cookie == 12));
	assert_int_equal(q.in_flight, 0);
	assert_int_equal(nvme_queue_abandon(&q, done, 8), 0);
	dev_post(&d, 1, b, 2, 0, 0);
	assert_int_equal(nvme_poll(&q, done, 8, &head, NULL), 0);
	assert_int_equal(q.last_refusal, NVME_REFUSE_CID_IDLE);

	/* After re-initialising (the controller forgot its queues), the queue works again. */
	assert_int_equal(nvme_queue_init(&q, 1, sq, cq, 8), NVME_OK);
	dev_init(&d, cq, 8);
	nvme_submit(&q, &c, 21, &a);
	dev_post(&d, 1, a, 1, 0, 0);
	assert_int_equal(nvme_poll(&q, done, 8, &head, NULL), 1);
	assert_int_equal(done[0].cookie, 21);

	/* abandon gives at most `max`, and the rest stay in flight for another call. */
	nvme_submit(&q, &c, 31, NULL);
	nvme_submit(&q, &c, 32, NULL);
	nvme_submit(&q, &c, 33, NULL);
	assert_int_equal(nvme_queue_abandon(&q, done, 2), 2);
	assert_int_equal(q.in_flight, 1);
	assert_int_equal(nvme_queue_abandon(&q, done, 2), 1);
	assert_int_equal(q.in_flight, 0);
}

#define P(n) ((uint64_t)(n)*NVME_PAGE_SIZE + 0x40000000u)

static void test_prp(void **state)
{
	(void)state;
	static uint64_t pages[1600];
	static uint64_t list0[NVME_PRP_PER_PAGE], list1[NVME_PRP_PER_PAGE],
	    list2[NVME_PRP_PER_PAGE];
	uint64_t *lists[3] = {list0, list1, list2};
	uint64_t list_iovas[3] = {0x9000000, 0x9001000, 0x9002000};
	for (size_t i = 0; i < 1600; i++)
		pages[i] = P(i);
	struct nvme_prp r;

	/* One page exactly: PRP1 only. */
	assert_int_equal(nvme_build_prp(pages, 1, 0, 4096, lists, list_iovas, 3, &r), NVME_OK);
	assert_int_equal(r.prp1, P(0));
	assert_int_equal(r.prp2, 0);
	/* An unaligned start that still ends in its page. */
	assert_int_equal(nvme_build_prp(pages, 1, 512, 3584, lists, list_iovas, 3, &r), NVME_OK);
	assert_int_equal(r.prp1, P(0) + 512);
	assert_int_equal(r.prp2, 0);
	/* One byte more crosses into the second page: PRP2 is that page, not a list. */
	assert_int_equal(nvme_build_prp(pages, 2, 512, 3588, lists, list_iovas, 3, &r), NVME_OK);
	assert_int_equal(r.prp2, P(1));
	assert_int_equal(r.list_pages_used, 0);
	/* Two whole pages. */
	assert_int_equal(nvme_build_prp(pages, 2, 0, 8192, lists, list_iovas, 3, &r), NVME_OK);
	assert_int_equal(r.prp2, P(1));
	/* 8 KiB at offset 4092: three pages, so a list of two entries. */
	memset(list0, 0, sizeof(list0));
	assert_int_equal(nvme_build_prp(pages, 3, 4092, 8192, lists, list_iovas, 3, &r), NVME_OK);
	assert_int_equal(r.prp1, P(0) + 4092);
	assert_int_equal(r.prp2, list_iovas[0]);
	assert_int_equal(r.list_pages_used, 1);
	assert_int_equal(list0[0], P(1));
	assert_int_equal(list0[1], P(2));
	assert_int_equal(list0[2], 0);
	/* 513 pages: the list's 512 entries exactly, no chain. */
	assert_int_equal(nvme_build_prp(pages, 513, 0, 513ull * 4096, lists, list_iovas, 3, &r),
	                 NVME_OK);
	assert_int_equal(r.list_pages_used, 1);
	assert_int_equal(list0[511], P(512));
	/* 514 pages with one list page: refused; with two: chained after 511 entries. */
	memset(list0, 0, sizeof(list0));
	assert_int_equal(nvme_build_prp(pages, 514, 0, 514ull * 4096, lists, list_iovas, 1, &r),
	                 NVME_E_RANGE);
	assert_int_equal(list0[0], 0); /* nothing written for a refused transfer */
	assert_int_equal(nvme_build_prp(pages, 514, 0, 514ull * 4096, lists, list_iovas, 3, &r),
	                 NVME_OK);
	assert_int_equal(r.list_pages_used, 2);
	assert_int_equal(list0[510], P(511));
	assert_int_equal(list0[511], list_iovas[1]);
	assert_int_equal(list1[0], P(512));
	assert_int_equal(list1[1], P(513));
	/* The most three list pages hold: 3 * 511 + 1 entries, plus PRP1's page. */
	size_t most = 3 * 511 + 1 + 1;
	assert_true(most + 1 <= 1600);
	assert_int_equal(nvme_build_prp(pages, most, 0, most * 4096ull, lists, list_iovas, 3, &r),
	                 NVME_OK);
	assert_int_equal(r.list_pages_used, 3);
	assert_int_equal(list1[511], list_iovas[2]);
	assert_int_equal(list2[511], P(most - 1));
	assert_int_equal(
	    nvme_build_prp(pages, most + 1, 0, (most + 1) * 4096ull, lists, list_iovas, 3, &r),
	    NVME_E_RANGE);

	/* Refusals. */
	assert_int_equal(nvme_build_prp(pages, 1, 0, 0, lists, list_iovas, 3, &r), NVME_E_INVAL);
	assert_int_equal(nvme_build_prp(pages, 1, 2, 16, lists, list_iovas, 3, &r), NVME_E_INVAL);
	assert_int_equal(nvme_build_prp(pages, 1, 4096, 16, lists, list_iovas, 3, &r),
	                 NVME_E_INVAL);
	assert_int_equal(nvme_build_prp(pages, 1, 4, 4096, lists, list_iovas, 3, &r), NVME_E_RANGE);
	assert_int_equal(nvme_build_prp(pages, 2, 0, UINT64_MAX, lists, list_iovas, 3, &r),
	                 NVME_E_RANGE);
	assert_int_equal(nvme_build_prp(pages, 3, 0, 12288, NULL, NULL, 0, &r), NVME_E_RANGE);
	uint64_t odd[2] = {P(0), P(1) + 8};
	assert_int_equal(nvme_build_prp(odd, 2, 0, 8192, lists, list_iovas, 3, &r), NVME_E_INVAL);
	uint64_t odd_list[1] = {0x9000008};
	assert_int_equal(nvme_build_prp(pages, 3, 0, 12288, lists, odd_list, 1, &r), NVME_E_INVAL);
}

static uint16_t st(unsigned sct, unsigned sc, bool dnr)
{
	return (uint16_t)((dnr ? NVME_STATUS_DNR : 0) | sct << 9 | sc << 1);
}

static void test_status_mapping(void **state)
{
	(void)state;
	struct {
		uint16_t field;
		enum nvme_block_status status;
		bool retry;
	} cases[] = {
	    {st(0, 0, false), NVME_BLOCK_OK, false},
	    {st(0, 0, false) | 1u, NVME_BLOCK_OK, false}, /* the phase bit is not status */
	    {st(0, 0x01, false), NVME_BLOCK_EOPNOTSUPP, false},
	    {st(0, 0x02, false), NVME_BLOCK_EINVAL, false},
	    {st(0, 0x13, false), NVME_BLOCK_EINVAL, false},
	    {st(0, 0x80, false), NVME_BLOCK_ENXIO, false},
	    {st(0, 0x0b, false), NVME_BLOCK_ENXIO, false},
	    {st(0, 0x20, false), NVME_BLOCK_EROFS, false},
	    {st(1, 0x82, false), NVME_BLOCK_EROFS, false},
	    {st(0, 0x04, false), NVME_BLOCK_EIO, true}, /* data transfer error */
	    {st(0, 0x04, true), NVME_BLOCK_EIO, false}, /* ... the device says do not retry */
	    {st(0, 0x06, false), NVME_BLOCK_EIO, true}, /* internal error */
	    {st(2, 0x81, false), NVME_BLOCK_EIO, true}, /* unrecovered read error */
	    {st(2, 0x81, true), NVME_BLOCK_EIO, false},
	    {st(3, 0x00, false), NVME_BLOCK_EIO, true}, /* path error */
	    {st(7, 0x12, false), NVME_BLOCK_EIO, true}, /* vendor specific */
	    {st(1, 0x00, true), NVME_BLOCK_EIO, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nvme_status_map m = nvme_map_status(cases[i].field);
		assert_int_equal(m.status, cases[i].status);
		assert_int_equal(m.retry, cases[i].retry);
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void make_ctrl(uint8_t *page)
{
	memset(page, 0, 4096);
	page[0] = 0x36;
	page[1] = 0x1b;
	memset(page + 4, ' ', 20);
	memcpy(page + 4, "deadbeef", 8);
	memset(page + 24, ' ', 40);
	memcpy(page + 24, "QEMU NVMe Ctrl", 14);
	memcpy(page + 64, "8.2.0   ", 8);
	page[77] = 7;
	page[512] = 0x66;
	page[513] = 0x44;
	put32(page + 516, 1);
	page[525] = 1;
}

static void test_identify_ctrl(void **state)
{
	(void)state;
	uint8_t page[4096];
	struct nvme_ctrl_info info;
	const char *why = NULL;
	make_ctrl(page);
	assert_int_equal(nvme_parse_identify_ctrl(page, 4096, &info, &why), NVME_OK);
	assert_int_equal(info.vid, 0x1b36);
	assert_string_equal(info.serial, "deadbeef");
	assert_string_equal(info.model, "QEMU NVMe Ctrl");
	assert_string_equal(info.firmware, "8.2.0");
	assert_int_equal(info.max_transfer, 512 * 1024);
	assert_int_equal(info.namespaces, 1);
	assert_true(info.volatile_cache);

	page[77] = 0;    /* no limit */
	page[26] = 0x01; /* a control byte in the model: printed as '?' */
	page[24] = 0x07;
	assert_int_equal(nvme_parse_identify_ctrl(page, 4096, &info, &why), NVME_OK);
	assert_int_equal(info.max_transfer, 0);
	assert_string_equal(info.model, "?E?U NVMe Ctrl");
	page[77] = 0xff; /* a huge MDTS does not overflow */
	assert_int_equal(nvme_parse_identify_ctrl(page, 1u << 27, &info, &why), NVME_OK);
	assert_int_equal(info.max_transfer, (uint64_t)1 << 47);

	struct {
		unsigned off;
		uint8_t value;
		const char *why;
	} bad[] = {
	    {512, 0x77, "SQES does not allow 64-byte entries"},
	    {512, 0x55, "SQES does not allow 64-byte entries"},
	    {513, 0x55, "CQES does not allow 16-byte entries"},
	    {513, 0x33, "CQES does not allow 16-byte entries"},
	    {516, 0, "no namespaces (NN 0)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make_ctrl(page);
		page[bad[i].off] = bad[i].value;
		why = NULL;
		assert_int_equal(nvme_parse_identify_ctrl(page, 4096, &info, &why), NVME_E_DEVICE);
		assert_string_equal(why, bad[i].why);
	}
	make_ctrl(page);
	assert_int_equal(nvme_parse_identify_ctrl(page, 2048, &info, &why), NVME_E_INVAL);
	assert_int_equal(nvme_parse_identify_ctrl(page, 12288, &info, &why), NVME_E_INVAL);
}

static void make_ns(uint8_t *page, uint64_t nsze, unsigned nlbaf, unsigned flbas)
{
	memset(page, 0, 4096);
	put64(page, nsze);
	put64(page + 8, nsze);
	page[25] = (uint8_t)nlbaf;
	page[26] = (uint8_t)flbas;
	put32(page + 128, 9u << 16);           /* format 0: 512 */
	put32(page + 132, 12u << 16);          /* format 1: 4096 */
	put32(page + 136, 9u << 16 | 8);       /* format 2: 512 + 8 metadata */
	put32(page + 140, 13u << 16);          /* format 3: 8192 */
	put32(page + 128 + 4 * 17, 12u << 16); /* format 17: 4096 */
}

static void test_identify_ns(void **state)
{
	(void)state;
	uint8_t page[4096];
	struct nvme_ns_info info;
	const char *why = NULL;
	make_ns(page, 2048, 3, 0);
	assert_int_equal(nvme_parse_identify_ns(page, &info, &why), NVME_OK);
	assert_int_equal(info.blocks, 2048);
	assert_int_equal(info.block_size, 512);
	make_ns(page, 1000, 3, 1 | 0x10); /* bit 4 (extended metadata) is not the index */
	assert_int_equal(nvme_parse_identify_ns(page, &info, &why), NVME_OK);
	assert_int_equal(info.block_size, 4096);
	make_ns(page, 1000, 20, 1 | 1u << 5); /* index 17 from FLBAS's high bits */
	assert_int_equal(nvme_parse_identify_ns(page, &info, &why), NVME_OK);
	assert_int_equal(info.block_size, 4096);

	struct {
		uint64_t nsze;
		unsigned nlbaf, flbas;
		const char *why;
	} bad[] = {
	    {0, 3, 0, "namespace size 0"},
	    {100, 64, 0, "NLBAF beyond 64 formats"},
	    {100, 0, 1, "FLBAS names a format beyond NLBAF"},
	    {100, 10, 1u << 5 | 3, "block size outside 512 .. 4096"}, /* high bits ignored <16 */
	    {100, 3, 2, "metadata formats are not supported"},
	    {100, 3, 3, "block size outside 512 .. 4096"},
	    {100, 5, 4, "block size outside 512 .. 4096"}, /* lbads 0: format absent */
	    {UINT64_MAX >> 8, 3, 1, "namespace bytes overflow"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make_ns(page, bad[i].nsze, bad[i].nlbaf, bad[i].flbas);
		why = NULL;
		assert_int_equal(nvme_parse_identify_ns(page, &info, &why), NVME_E_DEVICE);
		assert_string_equal(why, bad[i].why);
	}
	make_ns(page, 100, 3, 0);
	put64(page + 8, 101);
	assert_int_equal(nvme_parse_identify_ns(page, &info, &why), NVME_E_DEVICE);
	assert_string_equal(why, "NCAP above NSZE");
}

static void test_command_builders(void **state)
{
	(void)state;
	struct nvme_sqe c;
	nvme_cmd_identify(&c, NVME_CNS_CONTROLLER, 0, 0x5000);
	assert_int_equal(c.opcode, NVME_ADMIN_IDENTIFY);
	assert_int_equal(c.cdw10, 1);
	assert_int_equal(c.prp1, 0x5000);
	nvme_cmd_identify(&c, NVME_CNS_NAMESPACE, 1, 0x6000);
	assert_int_equal(c.nsid, 1);
	assert_int_equal(c.cdw10, 0);

	assert_int_equal(nvme_cmd_create_io_cq(&c, 1, 64, 0x7000, 3, true), NVME_OK);
	assert_int_equal(c.opcode, NVME_ADMIN_CREATE_IO_CQ);
	assert_int_equal(c.cdw10, 63u << 16 | 1);
	assert_int_equal(c.cdw11, 3u << 16 | 3);
	assert_int_equal(nvme_cmd_create_io_cq(&c, 0, 64, 0x7000, 3, true), NVME_E_INVAL);
	assert_int_equal(nvme_cmd_create_io_cq(&c, 1, 64, 0x7008, 3, true), NVME_E_INVAL);
	assert_int_equal(nvme_cmd_create_io_sq(&c, 1, 64, 0x8000, 1), NVME_OK);
	assert_int_equal(c.opcode, NVME_ADMIN_CREATE_IO_SQ);
	assert_int_equal(c.cdw10, 63u << 16 | 1);
	assert_int_equal(c.cdw11, 1u << 16 | 1);
	assert_int_equal(nvme_cmd_create_io_sq(&c, 1, 1, 0x8000, 1), NVME_E_INVAL);
	assert_int_equal(nvme_cmd_create_io_sq(&c, 1, 64, 0x8000, 0), NVME_E_INVAL);

	assert_int_equal(nvme_cmd_rw(&c, true, 1, 0x123456789ull, 65536, 0x1000, 0x2000), NVME_OK);
	assert_int_equal(c.opcode, NVME_CMD_WRITE);
	assert_int_equal(c.cdw10, 0x23456789u);
	assert_int_equal(c.cdw11, 0x1);
	assert_int_equal(c.cdw12, 65535);
	assert_int_equal(c.prp2, 0x2000);
	assert_int_equal(nvme_cmd_rw(&c, false, 1, 0, 0, 0, 0), NVME_E_INVAL);
	assert_int_equal(nvme_cmd_rw(&c, false, 1, 0, 65537, 0, 0), NVME_E_INVAL);
	assert_int_equal(nvme_cmd_rw(&c, false, 0, 0, 1, 0, 0), NVME_E_INVAL);
	assert_int_equal(nvme_cmd_rw(&c, false, 1, UINT64_MAX, 2, 0, 0), NVME_E_INVAL);
	nvme_cmd_flush(&c, 1);
	assert_int_equal(c.opcode, NVME_CMD_FLUSH);
	assert_int_equal(c.nsid, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_refuses_bad_depth),
	    cmocka_unit_test(test_full_queue),
	    cmocka_unit_test(test_stuck_sq_head),
	    cmocka_unit_test(test_wrap_and_phase_flip),
	    cmocka_unit_test(test_cid_reuse_fifo),
	    cmocka_unit_test(test_refused_completions),
	    cmocka_unit_test(test_poll_bounded),
	    cmocka_unit_test(test_reset),
	    cmocka_unit_test(test_prp),
	    cmocka_unit_test(test_status_mapping),
	    cmocka_unit_test(test_identify_ctrl),
	    cmocka_unit_test(test_identify_ns),
	    cmocka_unit_test(test_command_builders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
