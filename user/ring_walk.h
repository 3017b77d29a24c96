/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Walks the records of a BPF ringbuf as the kernel lays them out: at each
 * 8-aligned position an 8-byte header (sample length with the busy and
 * discard bits, then a page offset), the sample after it, the next record
 * 8-aligned past that. Positions grow without bound; the data area is
 * indexed by position & (size - 1).
 *
 * libbpf maps the data area twice, back to back, so that a sample running
 * past its end reads on into the second copy; every page then counts twice
 * in the process's resident size (a 32 MiB ring shows as 64 MiB). Here the
 * area is mapped once, and the rare sample that wraps is copied into a
 * scratch buffer instead.
 *
 * Pure: the caller hands in the memory and the two positions (shared with
 * the kernel in the daemon, plain memory in tests and fuzz_ring_walk).
 */
#ifndef BT_RING_WALK_H
#define BT_RING_WALK_H

#include <stddef.h>
#include <stdint.h>

typedef void (*ring_sample_fn)(void *ctx, const void *sample, size_t len);

struct ring_view {
	const uint8_t *data; /* the data area, size bytes */
	uint64_t size; /* a power of two, a multiple of 8 */
	uint64_t *consumer; /* written (release) after each record */
	const uint64_t *producer; /* read (acquire) */
	uint8_t *scratch; /* room for one wrapping sample */
	size_t scratch_size;
};

struct ring_walk_stats {
	uint64_t samples; /* handed to the callback */
	uint64_t wrapped; /* of those, copied out because they wrapped */
	uint64_t oversize; /* wrapped and larger than scratch: skipped */
	uint64_t desync; /* a header that cannot be right: skipped to producer */
};

/*
 * Hands every committed, not discarded sample between the consumer and
 * producer positions to fn, oldest first, and moves the consumer past each.
 * Stops at a record still being written, when caught up, or after one
 * ring's worth of bytes (so a producer that never pauses cannot keep the
 * caller here). Returns the number of samples handed over.
 */
size_t ring_walk(const struct ring_view *v, ring_sample_fn fn, void *ctx,
		 struct ring_walk_stats *st);

/*
 * The same walk a sample at a time, for a reader that merges several
 * rings: ring_walk_begin, then ring_walk_peek for the next sample (left
 * in place, valid until ring_walk_next) and ring_walk_next to move the
 * consumer past it. Peek returns NULL where ring_walk would stop.
 */
struct ring_cursor {
	uint64_t pos; /* the consumer's position */
	uint64_t prod; /* the producer's, as last read */
	uint64_t end; /* one ring's worth past where the walk began */
	uint32_t len; /* of the sample peeked */
	int stop; /* the walk gave up (a broken header) */
};

void ring_walk_begin(const struct ring_view *v, struct ring_cursor *c, struct ring_walk_stats *st);
const void *ring_walk_peek(const struct ring_view *v, struct ring_cursor *c, size_t *len,
			   struct ring_walk_stats *st);
void ring_walk_next(const struct ring_view *v, struct ring_cursor *c, struct ring_walk_stats *st);

/* The order key of a sample (a timestamp in it). */
typedef uint64_t (*ring_key_fn)(const void *sample, size_t len);

/* One ring of a merge; only v and st are the caller's to set. */
struct ring_source {
	const struct ring_view *v;
	struct ring_walk_stats *st;
	struct ring_cursor c;
	const void *head; /* the sample peeked, or NULL */
	size_t len;
	uint64_t key;
};

/*
 * Walks the rings src[0..n) at once, handing fn the sample of least key
 * among their next ones each time (the first ring's on a tie), so that
 * samples keyed by the time they were made come out in about that order
 * whichever ring they travelled in; each ring's own order is kept. Each
 * ring stops as ring_walk does. Returns the samples handed over.
 */
size_t ring_walk_merge(struct ring_source *src, size_t n, ring_key_fn key, ring_sample_fn fn,
		       void *ctx);

#endif
