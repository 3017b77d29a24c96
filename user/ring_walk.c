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

size_t ring_walk(const struct ring_view *v, ring_sample_fn fn, void *ctx,
		 struct ring_walk_stats *st)
{
	uint64_t pos = __atomic_load_n(v->consumer, __ATOMIC_ACQUIRE);
	uint64_t budget = pos + v->size, prod;
	size_t n = 0;

	if (pos & 7) { /* a header is never read misaligned, nor across the end */
		prod = __atomic_load_n(v->producer, __ATOMIC_ACQUIRE);
		if (prod > pos)
			desync(v, prod, st);
		return 0;
	}
	while ((prod = __atomic_load_n(v->producer, __ATOMIC_ACQUIRE)) > pos && pos < budget) {
		while (pos < prod && pos < budget) {
			const uint32_t *hdr = (const uint32_t *)(v->data + (pos & (v->size - 1)));
			uint32_t word = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
			uint32_t len = word & ~(BUSY_BIT | DISCARD_BIT);
			const void *s;

			if (word & BUSY_BIT)
				return n;
			if (!header_ok(v, pos, prod, len)) {
				desync(v, prod, st);
				return n;
			}
			if (!(word & DISCARD_BIT) &&
			    (s = sample_at(v, (pos + HDR_SZ) & (v->size - 1), len, st))) {
				fn(ctx, s, len);
				st->samples++;
				n++;
			}
			pos += round8((uint64_t)len + HDR_SZ);
			__atomic_store_n(v->consumer, pos, __ATOMIC_RELEASE);
		}
	}
	return n;
}
