// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "ring_set.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "biothings/events.h"

struct ring_set {
	size_t n; /* fds[0] is the shared ring (not ours), then the CPUs' */
	int fds[];
};

/* Slot 1 + cpu: a ring of its own, or the shared one. */
static int fill_slot(struct ring_set *s, int outer_fd, unsigned int cpu, uint64_t bytes)
{
	__u32 slot = 1 + cpu;
	int fd = s->fds[0];

	if (bytes) {
		fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "bt_ring_cpu", 0, 0, (__u32)bytes, NULL);
		if (fd < 0)
			return -errno;
		s->fds[s->n++] = fd;
	}
	return bpf_map_update_elem(outer_fd, &slot, &fd, BPF_ANY) ? -errno : 0;
}

struct ring_set *ring_set__new(int outer_fd, int shared_fd, unsigned int ncpu,
			       uint64_t per_cpu_bytes, int *err)
{
	struct ring_set *s = calloc(1, sizeof(*s) + (1 + (size_t)ncpu) * sizeof(int));

	*err = -ENOMEM;
	if (!s)
		return NULL;
	s->fds[s->n++] = shared_fd;
	for (unsigned int cpu = 0; cpu < ncpu; cpu++) {
		*err = fill_slot(s, outer_fd, cpu, per_cpu_bytes);
		if (*err) {
			ring_set__free(s);
			return NULL;
		}
	}
	*err = 0;
	return s;
}

size_t ring_set__fds(const struct ring_set *s, const int **fds)
{
	*fds = s->fds;
	return s->n;
}

void ring_set__free(struct ring_set *s)
{
	if (!s)
		return;
	for (size_t i = 1; i < s->n; i++)
		close(s->fds[i]);
	free(s);
}
