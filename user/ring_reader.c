// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "ring_reader.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

struct ring_reader {
	int fd;
	size_t page;
	void *cons_map; /* one page */
	void *prod_map; /* producer page + data area */
	struct ring_view view;
	struct ring_walk_stats stats;
	ring_sample_fn fn;
	void *ctx;
};

static int map_size(int fd, uint64_t *size)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	*size = info.max_entries;
	return 0;
}

static int map_ring(struct ring_reader *r)
{
	r->cons_map = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->cons_map == MAP_FAILED) {
		r->cons_map = NULL;
		return -errno;
	}
	/* Once: page + size, where libbpf maps page + 2 * size. */
	r->prod_map = mmap(NULL, r->page + r->view.size, PROT_READ, MAP_SHARED, r->fd, r->page);
	if (r->prod_map == MAP_FAILED) {
		r->prod_map = NULL;
		return -errno;
	}
	r->view.consumer = r->cons_map;
	r->view.producer = r->prod_map;
	r->view.data = (const uint8_t *)r->prod_map + r->page;
	return 0;
}

struct ring_reader *ring_reader__new(int map_fd, size_t max_sample, ring_sample_fn fn, void *ctx)
{
	struct ring_reader *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return NULL;
	r->fd = map_fd;
	r->fn = fn;
	r->ctx = ctx;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	err = map_size(map_fd, &r->view.size);
	if (!err && !(r->view.scratch = malloc(max_sample ? max_sample : 1)))
		err = -ENOMEM;
	r->view.scratch_size = max_sample;
	if (!err)
		err = map_ring(r);
	if (err) {
		ring_reader__free(r);
		errno = -err;
		return NULL;
	}
	return r;
}

void ring_reader__free(struct ring_reader *r)
{
	if (!r)
		return;
	if (r->prod_map)
		munmap(r->prod_map, r->page + r->view.size);
	if (r->cons_map)
		munmap(r->cons_map, r->page);
	free(r->view.scratch);
	free(r);
}

int ring_reader__drain(struct ring_reader *r)
{
	return (int)ring_walk(&r->view, r->fn, r->ctx, &r->stats);
}

int ring_reader__poll(struct ring_reader *r, int timeout_ms)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	return ring_reader__drain(r);
}

uint64_t ring_reader__size(const struct ring_reader *r)
{
	return r->view.size;
}

struct ring_walk_stats ring_reader__stats(const struct ring_reader *r)
{
	return r->stats;
}

void ring_reader__source(struct ring_reader *r, struct ring_source *s)
{
	*s = (struct ring_source){ .v = &r->view, .st = &r->stats };
}
