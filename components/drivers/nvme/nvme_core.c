/* The NVMe driver's host-testable core (nvme_core.h, docs/devices.md). */
#include "nvme_core.h"

#include <stdatomic.h>
#include <string.h>

const char *nvme_refusal_name(enum nvme_refusal r)
{
	switch (r) {
	case NVME_REFUSE_NONE:
		return "none";
	case NVME_REFUSE_CID_UNKNOWN:
		return "unknown command id";
	case NVME_REFUSE_CID_IDLE:
		return "command id not in flight";
	case NVME_REFUSE_SQ_HEAD:
		return "impossible SQ head";
	case NVME_REFUSE_SQ_ID:
		return "wrong SQ id";
	case NVME_REFUSE_COUNT:
		break;
	}
	return "?";
}

int nvme_queue_init(struct nvme_queue *q, uint16_t qid, struct nvme_sqe *sq, struct nvme_cqe *cq,
                    uint16_t depth)
{
	if (!q || !sq || !cq || depth < NVME_MIN_DEPTH || depth > NVME_MAX_DEPTH)
		return NVME_E_INVAL;
	memset(q, 0, sizeof(*q));
	q->sq = sq;
	q->cq = cq;
	q->qid = qid;
	q->depth = depth;
	q->phase = 1;
	/* A cleared CQ has phase 0 everywhere, so nothing looks new until the device writes. */
	memset(cq, 0, (size_t)depth * sizeof(*cq));
	/* One slot of the ring always stays empty, so depth - 1 commands can be in flight. */
	q->free_count = (uint16_t)(depth - 1);
	for (uint16_t i = 0; i < q->free_count; i++)
		q->free_cids[i] = i;
	return NVME_OK;
}

static uint16_t ring_dist(uint16_t from, uint16_t to, uint16_t depth)
{
	return (uint16_t)((to + depth - from) % depth);
}

/* Room is counted by the commands in flight, not by the SQ head the controller reports:
 * an entry not yet fetched is a command in flight, and at most depth - 1 are (the ids),
 * so the tail never reaches an unfetched entry. The reported head is only checked. Were
 * room counted from it, a controller that kept reporting a stale head would fill the
 * queue with nothing in flight, and nothing would ever free it. */
unsigned nvme_queue_space(const struct nvme_queue *q)
{
	return q->free_count;
}

int nvme_submit(struct nvme_queue *q, const struct nvme_sqe *cmd, uint64_t cookie,
                uint16_t *cid_out)
{
	if (!q || !cmd)
		return NVME_E_INVAL;
	if (nvme_queue_space(q) == 0)
		return NVME_E_FULL;
	uint16_t cid = q->free_cids[q->free_head];
	q->free_head = (uint16_t)((q->free_head + 1) % (q->depth - 1));
	q->free_count--;
	q->busy[cid] = true;
	q->cookie[cid] = cookie;
	q->in_flight++;

	struct nvme_sqe *slot = &q->sq[q->sq_tail];
	*slot = *cmd;
	slot->cid = cid;
	q->sq_tail = (uint16_t)((q->sq_tail + 1) % q->depth);
	if (cid_out)
		*cid_out = cid;
	return q->sq_tail;
}

static void free_cid(struct nvme_queue *q, uint16_t cid)
{
	uint16_t ids = (uint16_t)(q->depth - 1);
	q->free_cids[(q->free_head + q->free_count) % ids] = cid;
	q->free_count++;
	q->busy[cid] = false;
	q->in_flight--;
}

/* Why the entry cannot be believed, or NVME_REFUSE_NONE. */
static enum nvme_refusal check_entry(const struct nvme_queue *q, const struct nvme_cqe *e)
{
	/* The device can only have consumed what was submitted: the new head lies between
	 * the last one it reported and our tail, going round the ring. */
	if (e->sq_head >= q->depth || ring_dist(q->sq_head, e->sq_head, q->depth) >
	                                  ring_dist(q->sq_head, q->sq_tail, q->depth))
		return NVME_REFUSE_SQ_HEAD;
	if (e->sq_id != q->qid)
		return NVME_REFUSE_SQ_ID;
	if (e->cid >= q->depth - 1)
		return NVME_REFUSE_CID_UNKNOWN;
	if (!q->busy[e->cid])
		return NVME_REFUSE_CID_IDLE;
	return NVME_REFUSE_NONE;
}

unsigned nvme_poll(struct nvme_queue *q, struct nvme_done *out, unsigned max, uint16_t *cq_head_out,
                   unsigned *consumed_out)
{
	unsigned taken = 0, consumed = 0;
	/* At most one pass round the ring per call: a device that keeps writing entries
	 * cannot hold the driver here. */
	while (taken < max && consumed < q->depth) {
		volatile struct nvme_cqe *slot = &q->cq[q->cq_head];
		uint16_t status = slot->status;
		if ((status & 1u) != q->phase)
			break;
		/* The rest of the entry is read only after its phase tag says it is new. */
		atomic_thread_fence(memory_order_acquire);
		struct nvme_cqe e = {
		    .dw0 = slot->dw0,
		    .dw1 = slot->dw1,
		    .sq_head = slot->sq_head,
		    .sq_id = slot->sq_id,
		    .cid = slot->cid,
		    .status = status,
		};
		q->cq_head = (uint16_t)(q->cq_head + 1);
		if (q->cq_head == q->depth) {
			q->cq_head = 0;
			q->phase ^= 1u;
		}
		consumed++;

		enum nvme_refusal why = check_entry(q, &e);
		if (why != NVME_REFUSE_NONE) {
			q->refused[why]++;
			q->last_refusal = why;
			continue;
		}
		q->sq_head = e.sq_head;
		out[taken].cookie = q->cookie[e.cid];
		out[taken].cid = e.cid;
		out[taken].status = (uint16_t)(e.status & ~1u);
		out[taken].dw0 = e.dw0;
		taken++;
		free_cid(q, e.cid);
	}
	if (cq_head_out)
		*cq_head_out = q->cq_head;
	if (consumed_out)
		*consumed_out = consumed;
	return taken;
}

unsigned nvme_queue_abandon(struct nvme_queue *q, struct nvme_done *out, unsigned max)
{
	unsigned n = 0;
	for (uint16_t cid = 0; cid + 1 < q->depth && n < max; cid++) {
		if (!q->busy[cid])
			continue;
		out[n++] = (struct nvme_done){.cookie = q->cookie[cid], .cid = cid};
		free_cid(q, cid);
	}
	return n;
}

void nvme_cmd_identify(struct nvme_sqe *cmd, uint8_t cns, uint32_t nsid, uint64_t prp1)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = NVME_ADMIN_IDENTIFY;
	cmd->nsid = nsid;
	cmd->prp1 = prp1;
	cmd->cdw10 = cns;
}

int nvme_cmd_create_io_cq(struct nvme_sqe *cmd, uint16_t qid, uint16_t depth, uint64_t iova,
                          uint16_t vector, bool irq)
{
	if (qid == 0 || depth < NVME_MIN_DEPTH || iova % NVME_PAGE_SIZE)
		return NVME_E_INVAL;
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = NVME_ADMIN_CREATE_IO_CQ;
	cmd->prp1 = iova;
	cmd->cdw10 = (uint32_t)(depth - 1) << 16 | qid; /* QSIZE is zero-based */
	/* PC (physically contiguous) always; IEN when interrupts are wanted. */
	cmd->cdw11 = (uint32_t)vector << 16 | (irq ? 2u : 0u) | 1u;
	return NVME_OK;
}

int nvme_cmd_create_io_sq(struct nvme_sqe *cmd, uint16_t qid, uint16_t depth, uint64_t iova,
                          uint16_t cqid)
{
	if (qid == 0 || cqid == 0 || depth < NVME_MIN_DEPTH || iova % NVME_PAGE_SIZE)
		return NVME_E_INVAL;
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = NVME_ADMIN_CREATE_IO_SQ;
	cmd->prp1 = iova;
	cmd->cdw10 = (uint32_t)(depth - 1) << 16 | qid;
	cmd->cdw11 = (uint32_t)cqid << 16 | 1u; /* medium priority (0), contiguous */
	return NVME_OK;
}

int nvme_cmd_rw(struct nvme_sqe *cmd, bool write, uint32_t nsid, uint64_t lba, uint32_t blocks,
                uint64_t prp1, uint64_t prp2)
{
	if (blocks == 0 || blocks > 65536u || nsid == 0 || nsid == 0xffffffffu ||
	    lba > UINT64_MAX - (blocks - 1))
		return NVME_E_INVAL;
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = write ? NVME_CMD_WRITE : NVME_CMD_READ;
	cmd->nsid = nsid;
	cmd->prp1 = prp1;
	cmd->prp2 = prp2;
	cmd->cdw10 = (uint32_t)lba;
	cmd->cdw11 = (uint32_t)(lba >> 32);
	cmd->cdw12 = blocks - 1; /* NLB is zero-based */
	return NVME_OK;
}

void nvme_cmd_flush(struct nvme_sqe *cmd, uint32_t nsid)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = NVME_CMD_FLUSH;
	cmd->nsid = nsid;
}

int nvme_build_prp(const uint64_t *pages, size_t page_count, uint32_t offset, uint64_t bytes,
                   uint64_t *const *lists, const uint64_t *list_iovas, size_t list_count,
                   struct nvme_prp *out)
{
	if (!pages || !out || bytes == 0 || offset >= NVME_PAGE_SIZE || offset % 4)
		return NVME_E_INVAL;
	/* Checked before adding, so the sum cannot wrap. */
	if (bytes > (uint64_t)page_count * NVME_PAGE_SIZE)
		return NVME_E_RANGE;
	uint64_t needed = (offset + bytes + NVME_PAGE_SIZE - 1) / NVME_PAGE_SIZE;
	if (needed > page_count)
		return NVME_E_RANGE;
	for (uint64_t i = 0; i < needed; i++)
		if (pages[i] % NVME_PAGE_SIZE)
			return NVME_E_INVAL;

	out->prp1 = pages[0] + offset;
	out->prp2 = 0;
	out->list_pages_used = 0;
	if (needed == 1)
		return NVME_OK;
	if (needed == 2) {
		out->prp2 = pages[1];
		return NVME_OK;
	}

	/* A list: every page but the first. A page that is not the last list page gives its
	 * final entry to the pointer to the next one. Work out how many list pages it takes
	 * before writing anything, so a refused transfer leaves the lists as they were. */
	uint64_t entries = needed - 1;
	uint64_t list_pages =
	    entries <= NVME_PRP_PER_PAGE ? 1 : 1 + (entries - 2) / (NVME_PRP_PER_PAGE - 1);
	if (list_pages > list_count || !lists || !list_iovas)
		return NVME_E_RANGE;
	for (uint64_t p = 0; p < list_pages; p++)
		if (!lists[p] || list_iovas[p] % NVME_PAGE_SIZE)
			return NVME_E_INVAL;

	uint64_t next = 1;
	for (uint64_t p = 0; p < list_pages; p++) {
		uint64_t *list = lists[p];
		uint64_t left = needed - next;
		if (left <= NVME_PRP_PER_PAGE) {
			for (uint64_t i = 0; i < left; i++)
				list[i] = pages[next++];
		} else {
			for (uint64_t i = 0; i < NVME_PRP_PER_PAGE - 1; i++)
				list[i] = pages[next++];
			list[NVME_PRP_PER_PAGE - 1] = list_iovas[p + 1];
		}
	}
	out->prp2 = list_iovas[0];
	out->list_pages_used = (unsigned)list_pages;
	return NVME_OK;
}

struct nvme_status_map nvme_map_status(uint16_t status_field)
{
	unsigned sc = NVME_STATUS_SC(status_field), sct = NVME_STATUS_SCT(status_field);
	bool dnr = (status_field & NVME_STATUS_DNR) != 0;
	struct nvme_status_map m = {NVME_BLOCK_EIO, false};

	if (sct == 0 && sc == 0)
		return (struct nvme_status_map){NVME_BLOCK_OK, false};
	switch (sct) {
	case 0: /* generic command status */
		switch (sc) {
		case 0x01: /* invalid command opcode */
			m.status = NVME_BLOCK_EOPNOTSUPP;
			return m;
		case 0x02: /* invalid field in command */
		case 0x0f: /* SGL / PRP offset invalid */
		case 0x13: /* invalid PRP offset */
			m.status = NVME_BLOCK_EINVAL;
			return m;
		case 0x0b: /* invalid namespace or format */
		case 0x80: /* LBA out of range */
			m.status = NVME_BLOCK_ENXIO;
			return m;
		case 0x20: /* namespace is write protected */
			m.status = NVME_BLOCK_EROFS;
			return m;
		default: /* data transfer error, internal error, aborted, not ready ... */
			break;
		}
		break;
	case 1:                   /* command specific */
		if (sc == 0x82) { /* attempted write to a read-only range */
			m.status = NVME_BLOCK_EROFS;
			return m;
		}
		break;
	case 2: /* media and data integrity errors */
	case 3: /* path related */
	default:
		break;
	}
	/* An I/O error may pass on a second try unless the device says it will not. */
	m.retry = !dnr;
	return m;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* An ASCII field padded with blanks: control and non-ASCII bytes become '?', so the string
 * prints safely in a log line. */
static void copy_ascii(char *dst, const uint8_t *src, size_t len)
{
	size_t end = len;
	while (end > 0 && (src[end - 1] == ' ' || src[end - 1] == 0))
		end--;
	for (size_t i = 0; i < end; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
	dst[end] = 0;
}

static int refuse(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return NVME_E_DEVICE;
}

int nvme_parse_identify_ctrl(const uint8_t *page, uint32_t min_page, struct nvme_ctrl_info *out,
                             const char **why)
{
	if (!page || !out || min_page < 4096u || min_page > (1u << 27) ||
	    (min_page & (min_page - 1)))
		return NVME_E_INVAL;
	memset(out, 0, sizeof(*out));
	out->vid = (uint16_t)(page[0] | page[1] << 8);
	copy_ascii(out->serial, page + 4, 20);
	copy_ascii(out->model, page + 24, 40);
	copy_ascii(out->firmware, page + 64, 8);

	uint8_t sqes = page[512], cqes = page[513];
	/* Low nibble: the entry size the controller requires; high: the largest it takes
	 * (log2 bytes). The driver's entries are 64 and 16 bytes. */
	if ((sqes & 0xf) > 6 || (sqes >> 4) < 6)
		return refuse(why, "SQES does not allow 64-byte entries");
	if ((cqes & 0xf) > 4 || (cqes >> 4) < 4)
		return refuse(why, "CQES does not allow 16-byte entries");
	out->namespaces = le32(page + 516);
	if (out->namespaces == 0)
		return refuse(why, "no namespaces (NN 0)");

	unsigned mdts = page[77];
	/* MDTS is log2 of min_page units; above 2^20 pages (4 GiB at 4 KiB) no request the
	 * driver makes comes near it, and the shift stays in range. */
	if (mdts > 20)
		mdts = 20;
	out->max_transfer = mdts ? (uint64_t)min_page << mdts : 0;
	out->volatile_cache = (page[525] & 1u) != 0;
	return NVME_OK;
}

int nvme_parse_identify_ns(const uint8_t *page, struct nvme_ns_info *out, const char **why)
{
	if (!page || !out)
		return NVME_E_INVAL;
	memset(out, 0, sizeof(*out));
	uint64_t nsze = le64(page), ncap = le64(page + 8);
	unsigned nlbaf = page[25], flbas = page[26];
	if (nsze == 0)
		return refuse(why, "namespace size 0");
	if (ncap > nsze)
		return refuse(why, "NCAP above NSZE");
	if (nlbaf > 63)
		return refuse(why, "NLBAF beyond 64 formats");
	/* FLBAS bits 3:0 are the index's low bits; bits 6:5 its high bits past 16 formats. */
	unsigned index = (flbas & 0xfu) | (nlbaf >= 16 ? ((flbas >> 5) & 3u) << 4 : 0u);
	if (index > nlbaf)
		return refuse(why, "FLBAS names a format beyond NLBAF");
	uint32_t lbaf = le32(page + 128 + 4 * index);
	unsigned ms = lbaf & 0xffffu, lbads = (lbaf >> 16) & 0xffu;
	if (lbads < 9 || lbads > 12)
		return refuse(why, "block size outside 512 .. 4096");
	if (ms != 0)
		return refuse(why, "metadata formats are not supported");
	if (nsze > (UINT64_MAX >> lbads))
		return refuse(why, "namespace bytes overflow");
	out->blocks = nsze;
	out->block_size = 1u << lbads;
	return NVME_OK;
}
