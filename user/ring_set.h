/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The rings of map bt_rings (biothings/events.h): one per possible CPU,
 * created here and put in their slots next to the shared ring, so that
 * CPUs under load do not contend for one ring's lock and positions. With
 * a per-CPU size of 0 every CPU's slot holds the shared ring instead.
 */
#ifndef BT_RING_SET_H
#define BT_RING_SET_H

#include <stddef.h>
#include <stdint.h>

struct ring_set;

/* Fills slots 1..ncpu of the map-in-map outer_fd (slot BT_RING_SHARED
 * holds shared_fd already). NULL with -errno in *err on failure. */
struct ring_set *ring_set__new(int outer_fd, int shared_fd, unsigned int ncpu,
			       uint64_t per_cpu_bytes, int *err);
/* The distinct rings to read: the shared one first. */
size_t ring_set__fds(const struct ring_set *s, const int **fds);
void ring_set__free(struct ring_set *s);

#endif
