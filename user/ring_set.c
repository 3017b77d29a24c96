// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "ring_set.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "biothings/events.h"
#include "cpu_list.h"

#define ONLINE_PATH "/sys/devices/system/cpu/online"

struct ring_set {
	uint64_t ring_bytes; /* each CPU's own ring; 0: none */
	size_t n; /* fds[0] is the shared ring (not ours), then the CPUs' */
	int fds[];
};

uint64_t ring_set_auto_bytes(unsigned int online)
{
	uint64_t share = RING_SET_AUTO_TOTAL / (online ? online : 1);
	uint64_t b = RING_SET_AUTO_MAX;

	while (b > RING_SET_AUTO_MIN && b > share)
		b >>= 1;
	return b;
}

/* The CPUs online now, as the kernel lists them; "" when unreadable. */
static void read_online(char *buf, size_t len)
{
	int fd = open(ONLINE_PATH, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* online[cpu] for the ncpu slots; all 1 when the list cannot be read. */
static unsigned int mark_online(const char *list, uint8_t *online, unsigned int ncpu)
{
	char buf[4096];
	int n;

	if (!list) {
		read_online(buf, sizeof(buf));
		list = buf;
	}
	n = cpu_list_parse(list, online, ncpu);
	if (n > 0)
		return (unsigned int)n;
	memset(online, 1, ncpu);
	return ncpu;
}

/* Slot 1 + cpu: a ring of its own, or the shared one. */
static int fill_slot(struct ring_set *s, int outer_fd, unsigned int cpu, int own)
{
	__u32 slot = 1 + cpu;
	int fd = s->fds[0];

	if (own) {
		fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "bt_ring_cpu", 0, 0, (__u32)s->ring_bytes,
				    NULL);
		if (fd < 0)
			return -errno;
		s->fds[s->n++] = fd;
	}
	return bpf_map_update_elem(outer_fd, &slot, &fd, BPF_ANY) ? -errno : 0;
}

static int fill_slots(struct ring_set *s, int outer_fd, unsigned int ncpu, const char *list,
		      uint64_t per_cpu_bytes)
{
	uint8_t *online = calloc(ncpu ? ncpu : 1, 1);
	unsigned int up;
	int err = 0;

	if (!online)
		return -ENOMEM;
	up = mark_online(list, online, ncpu);
	s->ring_bytes = per_cpu_bytes == RING_SET_AUTO ? ring_set_auto_bytes(up) : per_cpu_bytes;
	for (unsigned int cpu = 0; cpu < ncpu && !err; cpu++)
		err = fill_slot(s, outer_fd, cpu, s->ring_bytes && online[cpu]);
	free(online);
	return err;
}

struct ring_set *ring_set__new(int outer_fd, int shared_fd, unsigned int ncpu, const char *online,
			       uint64_t per_cpu_bytes, int *err)
{
	struct ring_set *s = calloc(1, sizeof(*s) + (1 + (size_t)ncpu) * sizeof(int));

	*err = -ENOMEM;
	if (!s)
		return NULL;
	s->fds[s->n++] = shared_fd;
	*err = fill_slots(s, outer_fd, ncpu, online, per_cpu_bytes);
	if (*err) {
		ring_set__free(s);
		return NULL;
	}
	return s;
}

size_t ring_set__fds(const struct ring_set *s, const int **fds)
{
	*fds = s->fds;
	return s->n;
}

uint64_t ring_set__ring_bytes(const struct ring_set *s)
{
	return s->n > 1 ? s->ring_bytes : 0;
}

void ring_set__free(struct ring_set *s)
{
	if (!s)
		return;
	for (size_t i = 1; i < s->n; i++)
		close(s->fds[i]);
	free(s);
}
