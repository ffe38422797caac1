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
	c->epoch = atomic_load_explicit((_Atomic uint32_t *)&g->epoch, memory_order_acquire);
	return 0;
}

static struct block_geometry *shared_geometry(const struct m6_block_client *c)
{
	return block_ring_geometry((uintptr_t)c->requests - BLOCK_RING_REQUESTS);
}

static bool outstanding(const struct m6_block_client *c, uint64_t id)
{
	for (uint32_t i = 0; i < c->out_count; i++)
		if (c->out_ids[i] == id)
			return true;
	return false;
}

static void forget_id(struct m6_block_client *c, uint64_t id)
{
	for (uint32_t i = 0; i < c->out_count; i++)
		if (c->out_ids[i] == id) {
			c->out_ids[i] = c->out_ids[--c->out_count];
			return;
		}
}

static void hold(struct m6_block_client *c, const struct block_completion *done);

/* Whether the driver restarted (or gave up) since our requests were stamped. If so, every
 * outstanding request is answered -EIO now (into the held completions, where the waits
 * and reaps find them), and their completions, should they still come, are dropped. The
 * driver publishes the geometry before the epoch (release): read after it (acquire). */
static bool check_epoch(struct m6_block_client *c)
{
	struct block_geometry *g = shared_geometry(c);
	uint32_t epoch = atomic_load_explicit((_Atomic uint32_t *)&g->epoch, memory_order_acquire);
	if (epoch == c->epoch)
		return false;
	c->epoch = epoch;
	c->restarts++;
	/* A driver that gave up, or a disk that is no longer the one we know: no more I/O. */
	if (g->magic != BLOCK_MAGIC || g->block_size != c->geometry.block_size ||
	    g->block_count != c->geometry.block_count)
		c->gone = true;
	for (uint32_t i = 0; i < c->out_count; i++) {
		struct block_completion failed = {.id = c->out_ids[i], .status = BLOCK_STATUS_EIO};
		hold(c, &failed);
	}
	c->out_count = 0;
	c->in_flight = 0;
	c->lost_below = c->next_id;
	return true;
}

int m6_block_submit(struct m6_block_client *c, uint32_t op, uint64_t block, uint32_t count,
                    uint64_t offset, uint64_t *id)
{
	/* The caller's outstanding requests, held completions included, stay within the
	 * depth: then the request queue always has room (in_flight <= depth <= its size) and
	 * the held array never overflows. */
	check_epoch(c);
	if (c->gone)
		return -BLOCK_STATUS_EIO;
	if (m6_block_outstanding(c) >= c->depth)
		return -M6_BLOCK_EAGAIN;
	struct block_request r = {.id = c->next_id++,
	                          .block = block,
	                          .offset = offset,
	                          .count = count,
	                          .op = op,
	                          .epoch = c->epoch};
	if (!block_requests_enqueue(c->requests, &r))
		return -M6_BLOCK_EPROTO; /* unreachable: the driver cannot fill our queue */
	c->in_flight++;
	c->out_ids[c->out_count++] = r.id;
	if (!c->plugged && block_requests_producer_should_signal(c->requests)) {
		m6_signal(c->driver);
		c->signals++;
	}
	if (id)
		*id = r.id;
	return 0;
}

/* Takes one completion off the shared queue, telling the driver if it waits for room.
 * Completions of requests already failed at a restart are dropped on the way (also when
 * nothing is outstanding: they take room the driver needs). */
static bool dequeue(struct m6_block_client *c, struct block_completion *out)
{
	for (;;) {
		if (!block_completions_dequeue(c->completions, out))
			return false;
		if (block_completions_consumer_should_signal(c->completions)) {
			m6_signal(c->driver);
			c->signals++;
		}
		if (out->id < c->lost_below || !outstanding(c, out->id))
			continue; /* answers a request failed at a restart, or none of ours */
		if (out->status == BLOCK_STATUS_ESTALE) {
			/* Sent before a restart we had not noticed yet: notice it now (this one
			 * fails with the rest). A driver that says so without a new epoch breaks
			 * the protocol: -EIO for the request. */
			if (check_epoch(c))
				continue;
			out->status = BLOCK_STATUS_EIO;
		}
		forget_id(c, out->id);
		c->in_flight--;
		return true;
	}
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

/* Waits until a completion is dequeued: true. False when nothing is in flight any more
 * because the driver restarted or gave up (the failed requests are then held). The
 * driver signals `done` after it changes the epoch, so the wait cannot outlast that. */
static bool dequeue_wait(struct m6_block_client *c, struct block_completion *out)
{
	if (c->plugged)
		kick(c); /* the driver must see the batch before we sleep on its answers */
	while (!dequeue(c, out)) {
		check_epoch(c);
		if (c->in_flight == 0)
			return false;
		if (block_completions_consumer_prepare_sleep(c->completions)) {
			m6_wait(c->done);
			c->waits++;
		}
	}
	return true;
}

static bool take_held(struct m6_block_client *c, struct block_completion *out)
{
	if (!c->held)
		return false;
	*out = c->held_c[0];
	c->held--;
	memmove(&c->held_c[0], &c->held_c[1], c->held * sizeof c->held_c[0]);
	return true;
}

int m6_block_reap(struct m6_block_client *c, struct block_completion *out)
{
	if (take_held(c, out))
		return 1;
	if (dequeue(c, out))
		return 1;
	/* Nothing answered: perhaps because the driver restarted (noticed here or by the
	 * dequeue: its failures are held). */
	check_epoch(c);
	return take_held(c, out) ? 1 : 0;
}

int m6_block_wait(struct m6_block_client *c, struct block_completion *out)
{
	if (m6_block_reap(c, out))
		return 1;
	if (c->in_flight == 0)
		return 0;
	if (dequeue_wait(c, out))
		return 1;
	return m6_block_reap(c, out); /* the requests a restart failed */
}

static void hold(struct m6_block_client *c, const struct block_completion *done)
{
	/* held + in_flight <= depth + 1 (the synchronous request), so it always fits. */
	if (c->held < BLOCK_COMPLETIONS_DEPTH + 1)
		c->held_c[c->held++] = *done;
}

static int sync_request(struct m6_block_client *c, uint32_t op, uint64_t block, uint32_t count,
                        uint64_t offset)
{
	/* Room for one more in the driver's view (in_flight < depth); completions taken off
	 * the queue to make it are kept for the caller. */
	struct block_completion done;
	while (c->in_flight >= c->depth && dequeue_wait(c, &done))
		hold(c, &done);
	check_epoch(c);
	if (c->gone)
		return -BLOCK_STATUS_EIO;
	struct block_request r = {.id = c->next_id++,
	                          .block = block,
	                          .offset = offset,
	                          .count = count,
	                          .op = op,
	                          .epoch = c->epoch};
	if (!block_requests_enqueue(c->requests, &r))
		return -M6_BLOCK_EPROTO;
	c->in_flight++;
	c->out_ids[c->out_count++] = r.id;
	if (block_requests_producer_should_signal(c->requests)) {
		m6_signal(c->driver);
		c->signals++;
	}
	for (;;) {
		if (!dequeue_wait(c, &done)) {
			/* A restart failed it (and the others outstanding): take ours from the
			 * held ones, leave theirs for m6_block_reap. */
			for (uint32_t i = 0; i < c->held; i++)
				if (c->held_c[i].id == r.id) {
					c->held--;
					memmove(&c->held_c[i], &c->held_c[i + 1],
					        (c->held - i) * sizeof c->held_c[0]);
					return -BLOCK_STATUS_EIO;
				}
			return -BLOCK_STATUS_EIO; /* unreachable: ours was outstanding */
		}
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
