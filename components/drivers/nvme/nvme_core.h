/* The host-testable core of the NVMe driver (docs/devices.md, "NVMe driver core"):
 * submission/completion queue pairs in caller-given memory, command builders, PRP
 * construction, status mapping to the block protocol, and Identify parsing.
 *
 * Plain C11 with no m6 calls: the queues live in memory the caller hands in (the
 * component's DMA frames, or a test's arrays) and the doorbell values are returned, never
 * written, so the same code runs in the driver and on the host over a simulated
 * controller (test/unit/test_nvme_core.c, test/fuzzers/nvme/fuzz_nvme.c).
 *
 * Everything the device writes (completion entries, Identify pages) is untrusted: an
 * entry naming a command that is not in flight, or an SQ head the queue cannot have, is
 * refused with a reason and counted; an Identify page with an impossible field is refused.
 * Entries are little-endian as the spec says; the driver only runs on little-endian hosts
 * (ARM64, and the x86 host the tests run on). */
#ifndef M6_NVME_CORE_H
#define M6_NVME_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NVME_PAGE_SIZE    4096u /* CC.MPS = 0: the memory page size the driver sets */
#define NVME_PRP_PER_PAGE (NVME_PAGE_SIZE / 8u)
#define NVME_MAX_DEPTH    1024u /* entries per queue this core tracks (CAP.MQES may be more) */
#define NVME_MIN_DEPTH    2u

/* Results of the core's calls: 0 or one of these (negative). */
enum nvme_err {
	NVME_OK = 0,
	NVME_E_INVAL = -1, /* a bad argument from the caller */
	NVME_E_FULL = -2,  /* no free slot or command id: wait for completions */
	NVME_E_RANGE = -3, /* a transfer the given pages or PRP list cannot describe */
	NVME_E_DEVICE = -4 /* the device reported something impossible */
};

/* The block protocol's answers (libm6/interfaces/block.idl, enum block_status): the same
 * numbers, so the component passes them through; it asserts they match the generated
 * header. */
enum nvme_block_status {
	NVME_BLOCK_OK = 0,
	NVME_BLOCK_EIO = 5,
	NVME_BLOCK_ENXIO = 6,
	NVME_BLOCK_EINVAL = 22,
	NVME_BLOCK_EROFS = 30,
	NVME_BLOCK_EOPNOTSUPP = 95
};

/* Opcodes (admin and NVM command sets). */
enum {
	NVME_ADMIN_CREATE_IO_SQ = 0x01,
	NVME_ADMIN_CREATE_IO_CQ = 0x05,
	NVME_ADMIN_IDENTIFY = 0x06,
	NVME_ADMIN_GET_FEATURES = 0x0a,
	NVME_CMD_FLUSH = 0x00,
	NVME_CMD_WRITE = 0x01,
	NVME_CMD_READ = 0x02
};

/* Identify CNS values. */
enum { NVME_CNS_NAMESPACE = 0x00, NVME_CNS_CONTROLLER = 0x01 };

/* A submission queue entry (64 bytes). `cid` is filled in by nvme_submit. */
struct nvme_sqe {
	uint8_t opcode;
	uint8_t flags; /* FUSE and PSDT: 0, PRPs */
	uint16_t cid;
	uint32_t nsid;
	uint32_t cdw2, cdw3;
	uint64_t mptr;
	uint64_t prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

/* A completion queue entry (16 bytes). status: bit 0 the phase tag, bits 1-8 the status
 * code, 9-11 the status code type, 12-13 CRD, 14 More, 15 Do Not Retry. */
struct nvme_cqe {
	uint32_t dw0;
	uint32_t dw1;
	uint16_t sq_head;
	uint16_t sq_id;
	uint16_t cid;
	uint16_t status;
};

_Static_assert(sizeof(struct nvme_sqe) == 64, "an SQ entry is 64 bytes");
_Static_assert(sizeof(struct nvme_cqe) == 16, "a CQ entry is 16 bytes");

/* Why a completion entry was refused. */
enum nvme_refusal {
	NVME_REFUSE_NONE = 0,
	NVME_REFUSE_CID_UNKNOWN, /* a command id beyond the queue's */
	NVME_REFUSE_CID_IDLE,    /* a command id not in flight (never sent, or already done) */
	NVME_REFUSE_SQ_HEAD,     /* an SQ head beyond the queue, or outside what was submitted */
	NVME_REFUSE_SQ_ID,       /* an entry naming another submission queue */
	NVME_REFUSE_COUNT
};

const char *nvme_refusal_name(enum nvme_refusal r);

/* One submission/completion queue pair (the admin pair, or an I/O pair) with one SQ per
 * CQ. The queue holds depth - 1 commands (a full ring has tail one behind head), so there
 * are depth - 1 command ids, 0 .. depth - 2. */
struct nvme_queue {
	struct nvme_sqe *sq;
	volatile struct nvme_cqe *cq;
	uint16_t qid;
	uint16_t depth;
	uint16_t sq_tail;    /* next slot to fill: the SQ tail doorbell value */
	uint16_t sq_head;    /* the device's consumption point, from the last accepted entry */
	uint16_t cq_head;    /* next entry to look at: the CQ head doorbell value */
	uint8_t phase;       /* the phase tag a new entry carries (1 on the first pass) */
	uint16_t free_head;  /* the free list is a FIFO ring: a freed id goes to the back, */
	uint16_t free_count; /* so a late duplicate completion rarely meets a reused id */
	uint16_t in_flight;
	uint16_t free_cids[NVME_MAX_DEPTH];
	bool busy[NVME_MAX_DEPTH];
	uint64_t cookie[NVME_MAX_DEPTH]; /* the caller's, per command id */
	/* Refused completion entries, by reason, and the last one's reason. */
	uint32_t refused[NVME_REFUSE_COUNT];
	enum nvme_refusal last_refusal;
};

/* A completed command as nvme_poll reports it. */
struct nvme_done {
	uint64_t cookie; /* what nvme_submit was given */
	uint16_t cid;
	uint16_t status; /* the entry's status field without the phase bit (SC, SCT, CRD, M, DNR) */
	uint32_t dw0;    /* command specific */
};

/* Sets up a queue pair over `sq` (depth * 64 bytes) and `cq` (depth * 16 bytes), which
 * the caller keeps for the queue's life; clears the CQ so no stale entry has phase 1.
 * depth: NVME_MIN_DEPTH .. NVME_MAX_DEPTH. */
int nvme_queue_init(struct nvme_queue *q, uint16_t qid, struct nvme_sqe *sq, struct nvme_cqe *cq,
                    uint16_t depth);

/* Copies `cmd` into the next SQ slot with a fresh command id (*cid_out if not NULL);
 * `cookie` comes back in its nvme_done. Returns the new SQ tail (the value for the tail
 * doorbell, >= 0) or NVME_E_FULL. */
int nvme_submit(struct nvme_queue *q, const struct nvme_sqe *cmd, uint64_t cookie,
                uint16_t *cid_out);

/* Takes up to `max` new completion entries (those carrying the current phase tag), each
 * read once. Accepted ones free their command id and go to `out`; refused ones are
 * counted in q->refused and dropped (the slot is still consumed so the queue moves on).
 * *cq_head_out: the value for the CQ head doorbell (ring it when anything was consumed,
 * *consumed_out > 0 if not NULL). Returns how many went to `out`. */
unsigned nvme_poll(struct nvme_queue *q, struct nvme_done *out, unsigned max, uint16_t *cq_head_out,
                   unsigned *consumed_out);

/* Free SQ slots (what nvme_submit can still take). */
unsigned nvme_queue_space(const struct nvme_queue *q);

/* For a controller reset: hands every command in flight to `out` (its cookie and command
 * id, status 0) and forgets it, freeing its id; returns how many (at most `max`; the
 * queue must then be re-initialised with nvme_queue_init before it is used again, which
 * a reset needs anyway since the controller forgets its queues). */
unsigned nvme_queue_abandon(struct nvme_queue *q, struct nvme_done *out, unsigned max);

/* Command builders: fill *cmd (cleared first). cid is left to nvme_submit. */
void nvme_cmd_identify(struct nvme_sqe *cmd, uint8_t cns, uint32_t nsid, uint64_t prp1);
/* An I/O CQ of `depth` entries at `iova` (physically contiguous, page aligned),
 * interrupting on MSI-X `vector` when `irq`. */
int nvme_cmd_create_io_cq(struct nvme_sqe *cmd, uint16_t qid, uint16_t depth, uint64_t iova,
                          uint16_t vector, bool irq);
int nvme_cmd_create_io_sq(struct nvme_sqe *cmd, uint16_t qid, uint16_t depth, uint64_t iova,
                          uint16_t cqid);
/* blocks: 1 .. 65536 (the command carries blocks - 1). */
int nvme_cmd_rw(struct nvme_sqe *cmd, bool write, uint32_t nsid, uint64_t lba, uint32_t blocks,
                uint64_t prp1, uint64_t prp2);
void nvme_cmd_flush(struct nvme_sqe *cmd, uint32_t nsid);

/* PRP construction for `bytes` (> 0) starting `offset` bytes into the first of `pages`
 * (page-aligned I/O addresses, one per NVME_PAGE_SIZE page the transfer touches; offset
 * dword aligned and below the page size). One or two pages: PRP1 (+ PRP2). More: PRP2
 * points at a PRP list written into `lists` (list_count pages the caller owns, at the
 * I/O addresses `list_iovas`); when one list page is not enough its last entry chains to
 * the next. Returns NVME_OK, NVME_E_INVAL (misaligned) or NVME_E_RANGE (too few pages
 * given, or more than the list pages can describe). */
struct nvme_prp {
	uint64_t prp1, prp2;
	unsigned list_pages_used;
};
int nvme_build_prp(const uint64_t *pages, size_t page_count, uint32_t offset, uint64_t bytes,
                   uint64_t *const *lists, const uint64_t *list_iovas, size_t list_count,
                   struct nvme_prp *out);

/* Status mapping: a completion's status field (with or without the phase bit) to a block
 * protocol answer, and whether the command may be sent again: never when the device set
 * Do Not Retry, never for answers that would come out the same (bad field, out of range,
 * read-only, unsupported). */
struct nvme_status_map {
	enum nvme_block_status status;
	bool retry;
};
struct nvme_status_map nvme_map_status(uint16_t status_field);

#define NVME_STATUS_SC(s)  (((s) >> 1) & 0xffu)
#define NVME_STATUS_SCT(s) (((s) >> 9) & 0x7u)
#define NVME_STATUS_DNR    0x8000u

/* Identify Controller (CNS 1), the fields the driver uses. */
struct nvme_ctrl_info {
	uint16_t vid;
	char serial[21], model[41], firmware[9]; /* printable ASCII, trailing blanks cut */
	uint64_t max_transfer; /* bytes; 0: the controller sets no limit (MDTS 0) */
	uint32_t namespaces;   /* NN */
	bool volatile_cache;   /* VWC: flush reaches a write cache */
};
/* page: the 4096-byte Identify page; min_page: CAP.MPSMIN's page size in bytes (MDTS's
 * unit, a power of two 4 KiB .. 128 MiB). Refuses (NVME_E_DEVICE, *why set) SQES/CQES
 * that do not allow 64/16-byte entries and a controller with no namespaces. */
int nvme_parse_identify_ctrl(const uint8_t *page, uint32_t min_page, struct nvme_ctrl_info *out,
                             const char **why);

/* Identify Namespace (CNS 0). */
struct nvme_ns_info {
	uint64_t blocks;     /* NSZE */
	uint32_t block_size; /* from the format FLBAS selects */
};
/* Refuses a zero size, NCAP above NSZE, a format index beyond NLBAF, block sizes outside
 * 512 .. NVME_PAGE_SIZE, metadata formats, a size whose bytes overflow 64 bits. */
int nvme_parse_identify_ns(const uint8_t *page, struct nvme_ns_info *out, const char **why);

#endif
