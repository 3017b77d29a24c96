/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The rings of map bt_rings (biothings/events.h): one per CPU online at
 * start, created here and put in their slots next to the shared ring, so
 * that CPUs under load do not contend for one ring's lock and positions.
 * The slot of a CPU offline at start, and with a per-CPU size of 0 every
 * CPU's slot, holds the shared ring instead.
 */
#ifndef BT_RING_SET_H
#define BT_RING_SET_H

#include <stddef.h>
#include <stdint.h>

/* capture.ringbuf_per_cpu: auto. RING_SET_AUTO_TOTAL over the CPUs online,
 * rounded down to a power of two, within [RING_SET_AUTO_MIN, _MAX]: 2 MiB
 * up to 16 CPUs, 1 MiB up to 32, 512 KiB from 33. */
#define RING_SET_AUTO UINT64_MAX
#define RING_SET_AUTO_TOTAL (32ull << 20)
#define RING_SET_AUTO_MIN (512ull << 10)
#define RING_SET_AUTO_MAX (2ull << 20)

struct ring_set;

/* The per-CPU ring size "auto" means with this many CPUs online. */
uint64_t ring_set_auto_bytes(unsigned int online);

/* Fills slots 1..ncpu of the map-in-map outer_fd (slot BT_RING_SHARED
 * holds shared_fd already). online is the kernel's list of CPUs online
 * (NULL: read from sysfs; unreadable or malformed: all are taken as
 * online). per_cpu_bytes: a ring's size, 0 or RING_SET_AUTO. NULL with
 * -errno in *err on failure. */
struct ring_set *ring_set__new(int outer_fd, int shared_fd, unsigned int ncpu, const char *online,
			       uint64_t per_cpu_bytes, int *err);
/* The distinct rings to read: the shared one first. */
size_t ring_set__fds(const struct ring_set *s, const int **fds);
/* The size of each CPU's own ring (0: none made). */
uint64_t ring_set__ring_bytes(const struct ring_set *s);
void ring_set__free(struct ring_set *s);

#endif
