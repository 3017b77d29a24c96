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

#endif
