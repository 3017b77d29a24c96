// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "ring_walk.h"

#include <string.h>

#define HDR_SZ 8u
#define BUSY_BIT (1u << 31)
#define DISCARD_BIT (1u << 30)

static uint64_t round8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

/* The sample at data offset off, contiguous: in place or copied out. */
static const void *sample_at(const struct ring_view *v, uint64_t off, uint32_t len,
			     struct ring_walk_stats *st)
{
	uint64_t first;

	if (off + len <= v->size)
		return v->data + off;
	if (len > v->scratch_size) {
		st->oversize++;
		return NULL;
	}
	first = v->size - off;
	memcpy(v->scratch, v->data + off, first);
	memcpy(v->scratch + first, v->data, len - first);
	st->wrapped++;
	return v->scratch;
}

/*
 * The kernel never writes a length that runs past the producer or a
 * misaligned position; if memory says otherwise, nothing after this point
 * can be framed, so the walk gives up the rest instead of reading garbage.
 */
static int header_ok(const struct ring_view *v, uint64_t pos, uint64_t prod, uint32_t len)
{
	return len <= v->size - HDR_SZ && round8((uint64_t)len + HDR_SZ) <= prod - pos;
}

static void desync(const struct ring_view *v, uint64_t prod, struct ring_walk_stats *st)
{
	st->desync++;
	__atomic_store_n(v->consumer, prod, __ATOMIC_RELEASE);
}

void ring_walk_begin(const struct ring_view *v, struct ring_cursor *c, struct ring_walk_stats *st)
{
	c->pos = __atomic_load_n(v->consumer, __ATOMIC_ACQUIRE);
	c->prod = c->pos;
	c->end = c->pos + v->size;
	c->len = 0;
	c->stop = 0;
	if (c->pos & 7) { /* a header is never read misaligned, nor across the end */
		uint64_t prod = __atomic_load_n(v->producer, __ATOMIC_ACQUIRE);

		if (prod > c->pos)
			desync(v, prod, st);
		c->stop = 1;
	}
}

/* Moves the consumer past the record at the cursor, of sample length len. */
static void skip(const struct ring_view *v, struct ring_cursor *c, uint32_t len)
{
	c->pos += round8((uint64_t)len + HDR_SZ);
	__atomic_store_n(v->consumer, c->pos, __ATOMIC_RELEASE);
}

const void *ring_walk_peek(const struct ring_view *v, struct ring_cursor *c, size_t *len,
			   struct ring_walk_stats *st)
{
	while (!c->stop && c->pos < c->end) {
		const uint32_t *hdr = (const uint32_t *)(v->data + (c->pos & (v->size - 1)));
		uint32_t word, n;
		const void *s;

		/* the producer's line is the kernel's: read again only when caught up */
		if (c->pos >= c->prod &&
		    (c->prod = __atomic_load_n(v->producer, __ATOMIC_ACQUIRE)) <= c->pos)
			return NULL;
		word = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		n = word & ~(BUSY_BIT | DISCARD_BIT);
		if (word & BUSY_BIT)
			return NULL;
		if (!header_ok(v, c->pos, c->prod, n)) {
			desync(v, c->prod, st);
			c->stop = 1;
			return NULL;
		}
		if (!(word & DISCARD_BIT) &&
		    (s = sample_at(v, (c->pos + HDR_SZ) & (v->size - 1), n, st))) {
			c->len = n;
			*len = n;
			return s;
		}
		skip(v, c, n);
	}
	return NULL;
}

void ring_walk_next(const struct ring_view *v, struct ring_cursor *c, struct ring_walk_stats *st)
{
	st->samples++;
	skip(v, c, c->len);
	c->len = 0;
}

size_t ring_walk(const struct ring_view *v, ring_sample_fn fn, void *ctx,
		 struct ring_walk_stats *st)
{
	struct ring_cursor c;
	const void *s;
	size_t n = 0, len;

	ring_walk_begin(v, &c, st);
	while ((s = ring_walk_peek(v, &c, &len, st))) {
		fn(ctx, s, len);
		ring_walk_next(v, &c, st);
		n++;
	}
	return n;
}

static void source_peek(struct ring_source *s, ring_key_fn key)
{
	s->head = ring_walk_peek(s->v, &s->c, &s->len, s->st);
	if (s->head)
		s->key = key(s->head, s->len);
}

/* The source whose next sample has the least key, or NULL when all are done. */
static struct ring_source *least(struct ring_source *src, size_t n)
{
	struct ring_source *m = NULL;

	for (size_t i = 0; i < n; i++)
		if (src[i].head && (!m || src[i].key < m->key))
			m = &src[i];
	return m;
}

size_t ring_walk_merge(struct ring_source *src, size_t n, ring_key_fn key, ring_sample_fn fn,
		       void *ctx)
{
	struct ring_source *s;
	size_t done = 0;

	for (size_t i = 0; i < n; i++) {
		ring_walk_begin(src[i].v, &src[i].c, src[i].st);
		source_peek(&src[i], key);
	}
	while ((s = least(src, n))) {
		fn(ctx, s->head, s->len);
		ring_walk_next(s->v, &s->c, s->st);
		source_peek(s, key);
		done++;
	}
	return done;
}
