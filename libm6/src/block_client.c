/* The block protocol's client (<m6/block_client.h>, docs/files.md). */
#include <stdatomic.h>
#include <string.h>

#include <m6/block_client.h>
#include <m6/invocations.h>

static bool geometry_sane(const struct block_geometry *g)
{
	return g->magic == BLOCK_MAGIC && g->block_size >= 512 && g->block_size <= 65536 &&
	       (g->block_size & (g->block_size - 1)) == 0 && g->queue_depth >= 1 &&
	       g->queue_depth <= BLOCK_REQUESTS_DEPTH && g->max_bytes >= g->block_size;
}

int m6_block_client_init(struct m6_block_client *c, void *ring, void *data, size_t data_size,
                         m6_cptr_t done, m6_cptr_t driver)
{
	memset(c, 0, sizeof *c);
	uintptr_t r = (uintptr_t)ring;
	struct block_geometry *g = block_ring_geometry(r);
	c->requests = block_ring_requests(r);
	c->completions = block_ring_completions(r);
	c->data = data;
	c->data_size = data_size;
	c->done = done;
	c->driver = driver;
	c->next_id = 1;
	/* The driver stores `ready` last with release order and then signals `done`. */
	while (!atomic_load_explicit((_Atomic uint32_t *)&g->ready, memory_order_acquire)) {
		m6_wait(done);
		c->waits++;
	}
	c->geometry = *g;
	if (!geometry_sane(&c->geometry))
		return -M6_BLOCK_EPROTO;
	c->depth = c->geometry.queue_depth;
	return 0;
}

int m6_block_submit(struct m6_block_client *c, uint32_t op, uint64_t block, uint32_t count,
                    uint64_t offset, uint64_t *id)
{
	/* The caller's outstanding requests, held completions included, stay within the
	 * depth: then the request queue always has room (in_flight <= depth <= its size) and
	 * the held array never overflows. */
	if (m6_block_outstanding(c) >= c->depth)
		return -M6_BLOCK_EAGAIN;
	struct block_request r = {
	    .id = c->next_id++, .block = block, .offset = offset, .count = count, .op = op};
	if (!block_requests_enqueue(c->requests, &r))
		return -M6_BLOCK_EPROTO; /* unreachable: the driver cannot fill our queue */
	c->in_flight++;
	if (!c->plugged && block_requests_producer_should_signal(c->requests)) {
		m6_signal(c->driver);
		c->signals++;
	}
	if (id)
		*id = r.id;
	return 0;
}

/* Takes one completion off the shared queue, telling the driver if it waits for room. */
static bool dequeue(struct m6_block_client *c, struct block_completion *out)
{
	if (c->in_flight == 0 || !block_completions_dequeue(c->completions, out))
		return false;
	c->in_flight--;
	if (block_completions_consumer_should_signal(c->completions)) {
		m6_signal(c->driver);
		c->signals++;
	}
	return true;
}

/* Signals the driver if it sleeps: after a batch (one entry or many) was queued. */
static void kick(struct m6_block_client *c)
{
	if (block_requests_producer_should_signal(c->requests)) {
		m6_signal(c->driver);
		c->signals++;
	}
}

void m6_block_plug(struct m6_block_client *c)
{
	c->plugged = true;
}

void m6_block_unplug(struct m6_block_client *c)
{
	c->plugged = false;
	kick(c);
}

/* Waits until a completion is dequeued (in_flight > 0). */
static void dequeue_wait(struct m6_block_client *c, struct block_completion *out)
{
	if (c->plugged)
		kick(c); /* the driver must see the batch before we sleep on its answers */
	while (!dequeue(c, out)) {
		if (block_completions_consumer_prepare_sleep(c->completions)) {
			m6_wait(c->done);
			c->waits++;
		}
	}
}

int m6_block_reap(struct m6_block_client *c, struct block_completion *out)
{
	if (c->held) {
		*out = c->held_c[0];
		c->held--;
		memmove(&c->held_c[0], &c->held_c[1], c->held * sizeof c->held_c[0]);
		return 1;
	}
	return dequeue(c, out) ? 1 : 0;
}

int m6_block_wait(struct m6_block_client *c, struct block_completion *out)
{
	if (m6_block_reap(c, out))
		return 1;
	if (c->in_flight == 0)
		return 0;
	dequeue_wait(c, out);
	return 1;
}

static void hold(struct m6_block_client *c, const struct block_completion *done)
{
	/* held + in_flight <= depth + 1 (the synchronous request), and ours is in flight. */
	if (c->held < BLOCK_COMPLETIONS_DEPTH)
		c->held_c[c->held++] = *done;
}

static int sync_request(struct m6_block_client *c, uint32_t op, uint64_t block, uint32_t count,
                        uint64_t offset)
{
	/* Room for one more in the driver's view (in_flight < depth); completions taken off
	 * the queue to make it are kept for the caller. */
	struct block_completion done;
	while (c->in_flight >= c->depth) {
		dequeue_wait(c, &done);
		hold(c, &done);
	}
	struct block_request r = {
	    .id = c->next_id++, .block = block, .offset = offset, .count = count, .op = op};
	if (!block_requests_enqueue(c->requests, &r))
		return -M6_BLOCK_EPROTO;
	c->in_flight++;
	if (block_requests_producer_should_signal(c->requests)) {
		m6_signal(c->driver);
		c->signals++;
	}
	for (;;) {
		dequeue_wait(c, &done);
		if (done.id == r.id)
			/* A status no errno could be is the driver's fault: -EIO. */
			return done.status < 4096 ? -(int)done.status : -BLOCK_STATUS_EIO;
		hold(c, &done);
	}
}

int m6_block_read(struct m6_block_client *c, uint64_t block, uint32_t count, uint64_t offset)
{
	return sync_request(c, BLOCK_OP_READ, block, count, offset);
}

int m6_block_write(struct m6_block_client *c, uint64_t block, uint32_t count, uint64_t offset)
{
	return sync_request(c, BLOCK_OP_WRITE, block, count, offset);
}

int m6_block_flush(struct m6_block_client *c)
{
	return sync_request(c, BLOCK_OP_FLUSH, 0, 0, 0);
}
