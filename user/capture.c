// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Ringbuf reader. The BPF side wakes us only when a batch is waiting, so
 * every poll drains every ring, woken or not, whatever arrived without a
 * wake-up. The rings are drained as one, oldest record first by the
 * kernel's timestamps: the handlers were written for one shared ring,
 * where a server's record comes after the client calls it made (traces)
 * and a client's requests come in time order (the detectors' windows).
 * Validates the common header before anything downstream sees a record.
 * Its counters are read from the API thread, hence the atomics.
 */
#include "capture.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "ring_reader.h"

struct capture {
	struct capture_handlers h;
	uint64_t records;
	uint64_t malformed;
	uint64_t lost_seen; /* the readers' skipped samples already counted */
	size_t n;
	struct pollfd *pfd;
	struct ring_source *src;
	struct ring_reader *rb[];
};

/* The one size each record type has; 0 = not a type we know. */
static const size_t record_size[] = {
	[BT_EV_HTTP] = sizeof(struct bt_http_record),
	[BT_EV_DATA] = sizeof(struct bt_data_record),
	[BT_EV_EXEC] = sizeof(struct bt_exec_record),
	[BT_EV_PRIV] = sizeof(struct bt_priv_record),
	[BT_EV_FLOW] = sizeof(struct bt_flow_record),
	[BT_EV_DBIO] = sizeof(struct bt_dbio_record),
	[BT_EV_REQHEAD] = sizeof(struct bt_reqhead_record),
};

/* Lengths inside a record that readers index by. */
static int lengths_ok(const struct bt_event_hdr *h)
{
	const struct bt_dbio_record *d = (const void *)h;

	if (h->type == BT_EV_DATA)
		return ((const struct bt_data_record *)h)->len <= BT_DATA_MAX;
	if (h->type == BT_EV_DBIO)
		return d->head_len <= BT_DBIO_HEAD && d->tail_len <= BT_DBIO_TAIL;
	if (h->type == BT_EV_REQHEAD)
		return ((const struct bt_reqhead_record *)h)->len <=
		       h->size - offsetof(struct bt_reqhead_record, data);
	return 1;
}

/* A known type at its size (a request head may come cut short). */
static int size_ok(const struct bt_event_hdr *h)
{
	if (h->type >= sizeof(record_size) / sizeof(record_size[0]) || !record_size[h->type])
		return 0;
	return h->size == record_size[h->type] ||
	       (h->type == BT_EV_REQHEAD && h->size == BT_REQHEAD_SMALL_SIZE);
}

static size_t largest_record(void)
{
	size_t m = 0;

	for (size_t i = 0; i < sizeof(record_size) / sizeof(record_size[0]); i++)
		if (record_size[i] > m)
			m = record_size[i];
	return m;
}

static void on_sample(void *ctx, const void *data, size_t size)
{
	struct capture *c = ctx;
	const struct bt_event_hdr *h = data;

	if (size < sizeof(*h) || h->size > size) {
		__atomic_fetch_add(&c->malformed, 1, __ATOMIC_RELAXED);
		return;
	}
	if (!size_ok(h) || !lengths_ok(h)) {
		__atomic_fetch_add(&c->malformed, 1, __ATOMIC_RELAXED);
		return;
	}
	switch (h->type) {
	case BT_EV_HTTP:
		__atomic_fetch_add(&c->records, 1, __ATOMIC_RELAXED);
		c->h.on_http(c->h.ctx, data);
		break;
	case BT_EV_DATA:
		c->h.on_data(c->h.ctx, data);
		break;
	case BT_EV_EXEC:
		c->h.on_exec(c->h.ctx, data);
		break;
	case BT_EV_PRIV:
		if (c->h.on_priv)
			c->h.on_priv(c->h.ctx, data);
		break;
	case BT_EV_FLOW:
		if (c->h.on_flow)
			c->h.on_flow(c->h.ctx, data);
		break;
	case BT_EV_DBIO:
		if (c->h.on_dbio)
			c->h.on_dbio(c->h.ctx, data);
		break;
	case BT_EV_REQHEAD:
		if (c->h.on_reqhead)
			c->h.on_reqhead(c->h.ctx, data);
		break;
	}
}

struct capture *capture__new(const int *fds, size_t n, const struct capture_handlers *h)
{
	struct capture *c = calloc(1, sizeof(*c) + n * sizeof(c->rb[0]));
	int e = ENOMEM;

	if (!c || !(c->pfd = calloc(n, sizeof(*c->pfd))) || !(c->src = calloc(n, sizeof(*c->src))))
		goto fail;
	c->h = *h;
	for (; c->n < n; c->n++) {
		c->rb[c->n] = ring_reader__new(fds[c->n], largest_record(), on_sample, c);
		if (!c->rb[c->n]) {
			e = errno;
			goto fail;
		}
		c->pfd[c->n] = (struct pollfd){ .fd = fds[c->n], .events = POLLIN };
		ring_reader__source(c->rb[c->n], &c->src[c->n]);
	}
	return c;
fail:
	capture__free(c);
	errno = e;
	return NULL;
}

void capture__free(struct capture *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		ring_reader__free(c->rb[i]);
	free(c->pfd);
	free(c->src);
	free(c);
}

/* Samples the readers had to skip (too big to be ours, or a broken ring). */
static void count_lost(struct capture *c)
{
	uint64_t lost = 0;

	for (size_t i = 0; i < c->n; i++) {
		struct ring_walk_stats st = ring_reader__stats(c->rb[i]);

		lost += st.oversize + st.desync;
	}
	if (lost != c->lost_seen) {
		__atomic_fetch_add(&c->malformed, lost - c->lost_seen, __ATOMIC_RELAXED);
		c->lost_seen = lost;
	}
}

/* The merge's key: a record's kernel timestamp (0 for one too short to
 * have one: on_sample counts it). */
static uint64_t record_ts(const void *sample, size_t len)
{
	return len >= sizeof(struct bt_event_hdr) ? ((const struct bt_event_hdr *)sample)->ts_ns :
						    0;
}

int capture__poll(struct capture *c, int timeout_ms)
{
	size_t n;

	if (poll(c->pfd, c->n, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	n = ring_walk_merge(c->src, c->n, record_ts, on_sample, c);
	count_lost(c);
	return (int)n;
}

uint64_t capture__records(const struct capture *c)
{
	return __atomic_load_n(&c->records, __ATOMIC_RELAXED);
}

uint64_t capture__malformed(const struct capture *c)
{
	return __atomic_load_n(&c->malformed, __ATOMIC_RELAXED);
}
