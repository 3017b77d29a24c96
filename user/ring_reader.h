/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reads a BPF_MAP_TYPE_RINGBUF map from userspace with its data pages
 * mapped once (see ring_walk.h for why not libbpf's ring_buffer): the
 * consumer position page read-write, the producer position page and the
 * data area read-only, poll(2) on the map fd for wake-ups.
 */
#ifndef BT_RING_READER_H
#define BT_RING_READER_H

#include "ring_walk.h"

struct ring_reader;

/*
 * max_sample: the largest sample the caller accepts; a wrapping sample
 * larger than that is skipped and counted. errno is set on NULL.
 */
struct ring_reader *ring_reader__new(int map_fd, size_t max_sample, ring_sample_fn fn, void *ctx);
void ring_reader__free(struct ring_reader *r);
/* Waits up to timeout_ms for data, then drains. Samples handed over, or -errno. */
int ring_reader__poll(struct ring_reader *r, int timeout_ms);
/* Drains what is there without waiting. */
int ring_reader__drain(struct ring_reader *r);
/* Size of the data area in bytes. */
uint64_t ring_reader__size(const struct ring_reader *r);
/* Counters; only the reading thread may call this. */
struct ring_walk_stats ring_reader__stats(const struct ring_reader *r);
/* This ring as a source of ring_walk_merge (its view and counters). */
void ring_reader__source(struct ring_reader *r, struct ring_source *s);

#endif
