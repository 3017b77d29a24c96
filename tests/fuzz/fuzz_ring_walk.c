// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for ring_walk() (user/ring_walk.c), the reader of a
 * BPF ringbuf whose data area is mapped once. Two modes, by the first
 * byte:
 *  - raw: the input is the ring's memory and positions as they come; the
 *    walk must stay inside the data area and the scratch buffer (ASan), end,
 *    and never move the consumer past the producer.
 *  - laid out: records are written the way the kernel writes them (header,
 *    sample, 8-byte alignment, some discarded, the last maybe still busy),
 *    from any start position, so many wrap; every committed sample must
 *    arrive once, in order, byte-exact, except wrapping ones larger than
 *    the scratch buffer, which are counted instead.
 *  - merged: three rings laid out as above, each with its own scratch
 *    buffer, walked at once by ring_walk_merge with a key read from each
 *    sample: every ring's samples arrive as they would alone (once, in
 *    their ring's order, byte-exact), and each one handed over has the
 *    least key of the rings' next samples, the lowest ring on a tie.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ring_walk.h"

#include "fuzz_util.h"

#define RING 4096u
#define BUSY (1u << 31)
#define DISCARD (1u << 30)
#define MAXREC 64

#define MERGED 3 /* rings in the merged mode */

static uint8_t rings[MERGED][RING], scratches[MERGED][RING];
static uint8_t *const ring = rings[0], *const scratch = scratches[0];

struct rec {
	uint32_t len, flags;
	uint64_t pos;
	int wraps;
};

struct expect {
	const struct rec *recs;
	size_t n, next, scratch_size;
};

static uint8_t byte_of(uint64_t pos, size_t i)
{
	return (uint8_t)(pos * 131 + i * 7 + 1);
}

static void check_sample(void *ctx, const void *sample, size_t len)
{
	struct expect *e = ctx;
	const struct rec *r;

	while (e->next < e->n &&
	       (e->recs[e->next].flags & DISCARD ||
		(e->recs[e->next].wraps && e->recs[e->next].len > e->scratch_size)))
		e->next++;
	FUZZ_CHECK(e->next < e->n);
	r = &e->recs[e->next++];
	FUZZ_CHECK(len == r->len && !(r->flags & BUSY));
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(((const uint8_t *)sample)[i] == byte_of(r->pos, i));
}

static void any_sample(void *ctx, const void *sample, size_t len)
{
	const uint8_t *b = sample;
	volatile uint8_t sink = 0;

	(void)ctx;
	FUZZ_CHECK((b >= ring && b + len <= ring + RING) ||
		   (b >= scratch && b + len <= scratch + RING));
	for (size_t i = 0; i < len; i++)
		sink ^= b[i]; /* ASan checks every byte handed over */
	(void)sink;
}

static void put(uint8_t *r, uint64_t pos, const void *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		r[(pos + i) & (RING - 1)] = ((const uint8_t *)src)[i];
}

/* Lays records out from the input; returns how many, sets *prod. */
static size_t lay_out(uint8_t *ring, const uint8_t *d, size_t n, uint64_t start, struct rec *recs,
		      uint64_t *prod)
{
	uint64_t pos = start;
	size_t k = 0;

	for (size_t i = 0; i + 1 < n && k < MAXREC; i += 2) {
		struct rec r = { .len = 1 + ((d[i] | (uint32_t)d[i + 1] << 8) % 1200), .pos = pos };
		uint64_t next = pos + ((r.len + 8 + 7) & ~7u);
		uint32_t word;

		if (next - start > RING)
			break;
		r.flags = (d[i + 1] & 0xc0) == 0x40 ? DISCARD : 0;
		if (i + 3 >= n && (d[i] & 1))
			r.flags = BUSY; /* the last one still being written */
		r.wraps = ((pos + 8) & (RING - 1)) + r.len > RING;
		word = r.len | r.flags;
		put(ring, pos, &word, 4);
		put(ring, pos + 4, "\0\0\0\0", 4);
		for (size_t j = 0; j < r.len; j++)
			ring[(pos + 8 + j) & (RING - 1)] = byte_of(pos, j);
		recs[k++] = r;
		pos = next;
	}
	*prod = pos;
	return k;
}

static void laid_out(const uint8_t *d, size_t n)
{
	struct rec recs[MAXREC];
	struct ring_walk_stats st = { 0 };
	uint64_t cons, prod, start;
	struct expect e = { .recs = recs };
	struct ring_view v = { .data = ring, .size = RING, .scratch = scratch };
	size_t k;

	if (n < 4)
		return;
	start = ((uint64_t)d[0] << 40 | (uint64_t)d[1] << 3) & ~(uint64_t)7;
	e.scratch_size = v.scratch_size = (size_t)d[2] * 8;
	memset(ring, 0xee, RING);
	k = lay_out(ring, d + 3, n - 3, start, recs, &prod);
	e.n = k;
	cons = start;
	v.consumer = &cons;
	v.producer = &prod;
	ring_walk(&v, check_sample, &e, &st);
	/* Caught up, or stopped at the busy record. */
	if (k && recs[k - 1].flags & BUSY)
		FUZZ_CHECK(cons == recs[k - 1].pos);
	else
		FUZZ_CHECK(cons == prod);
	FUZZ_CHECK(st.desync == 0);
	while (e.next < e.n && (recs[e.next].flags & DISCARD ||
				(recs[e.next].wraps && recs[e.next].len > e.scratch_size)))
		e.next++;
	FUZZ_CHECK(e.next == k || (recs[e.next].flags & BUSY));
}

static void raw(const uint8_t *d, size_t n)
{
	struct ring_walk_stats st = { 0 };
	uint64_t cons = 0, prod = 0;
	struct ring_view v = { .data = ring, .size = RING, .scratch = scratch };

	if (n < 18)
		return;
	memcpy(&cons, d, 8);
	memcpy(&prod, d + 8, 8);
	v.scratch_size = (size_t)d[16] * 16;
	memset(ring, 0, RING);
	memcpy(ring, d + 17, n - 17 < RING ? n - 17 : RING);
	v.consumer = &cons;
	v.producer = &prod;
	ring_walk(&v, any_sample, NULL, &st);
	FUZZ_CHECK(cons <= prod || st.samples == 0);
}

struct merged {
	struct expect e[MERGED];
	uint64_t handed;
};

/* Few distinct keys, so that ties are common. */
static uint64_t key_of(const void *sample, size_t len)
{
	(void)len;
	return ((const uint8_t *)sample)[0] >> 5;
}

/* The next sample ring i will hand over, or NULL at its end. */
static const struct rec *next_of(struct expect *e)
{
	while (e->next < e->n &&
	       (e->recs[e->next].flags & DISCARD ||
		(e->recs[e->next].wraps && e->recs[e->next].len > e->scratch_size)))
		e->next++;
	return e->next < e->n && !(e->recs[e->next].flags & BUSY) ? &e->recs[e->next] : NULL;
}

static int in(const void *p, size_t len, const uint8_t *area)
{
	const uint8_t *b = p;

	return b >= area && b + len <= area + RING;
}

static void merged_sample(void *ctx, const void *sample, size_t len)
{
	struct merged *m = ctx;
	const struct rec *head[MERGED];
	size_t from = MERGED;
	uint64_t k = key_of(sample, len);

	for (size_t i = 0; i < MERGED; i++) {
		head[i] = next_of(&m->e[i]);
		if (in(sample, len, rings[i]) || in(sample, len, scratches[i]))
			from = i; /* the memory it is in says which ring it came from */
	}
	FUZZ_CHECK(from < MERGED && head[from]);
	for (size_t i = 0; i < MERGED; i++) {
		if (!head[i])
			continue;
		FUZZ_CHECK(byte_of(head[i]->pos, 0) >> 5 >= k);
		FUZZ_CHECK(i >= from || byte_of(head[i]->pos, 0) >> 5 > k);
	}
	check_sample(&m->e[from], sample, len);
	m->handed++;
}

static void merged(const uint8_t *d, size_t n)
{
	struct rec recs[MERGED][MAXREC];
	struct ring_walk_stats st[MERGED] = { 0 };
	struct ring_view v[MERGED];
	struct ring_source src[MERGED];
	uint64_t cons[MERGED], prod[MERGED];
	struct merged m = { 0 };
	size_t part = n / MERGED, want = 0;

	for (size_t i = 0; i < MERGED; i++) {
		const uint8_t *p = d + i * part;
		uint64_t start;

		if (part < 4)
			return;
		start = ((uint64_t)p[0] << 40 | (uint64_t)p[1] << 3) & ~(uint64_t)7;
		v[i] = (struct ring_view){ .data = rings[i],
					   .size = RING,
					   .scratch = scratches[i],
					   .scratch_size = (size_t)p[2] * 8,
					   .consumer = &cons[i],
					   .producer = &prod[i] };
		memset(rings[i], 0xee, RING);
		m.e[i] = (struct expect){ .recs = recs[i], .scratch_size = v[i].scratch_size };
		m.e[i].n = lay_out(rings[i], p + 3, part - 3, start, recs[i], &prod[i]);
		cons[i] = start;
		src[i] = (struct ring_source){ .v = &v[i], .st = &st[i] };
	}
	FUZZ_CHECK(ring_walk_merge(src, MERGED, key_of, merged_sample, &m) == m.handed);
	for (size_t i = 0; i < MERGED; i++) {
		FUZZ_CHECK(next_of(&m.e[i]) == NULL); /* all of each ring handed over */
		FUZZ_CHECK(st[i].desync == 0);
		want += st[i].samples;
	}
	FUZZ_CHECK(want == m.handed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		raw(data + 1, size - 1);
	else if (data[0] & 2)
		merged(data + 1, size - 1);
	else
		laid_out(data + 1, size - 1);
	return 0;
}
