// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ring_set against real BPF maps: an ARRAY_OF_MAPS of ringbufs laid out
 * as the loader lays out bt_rings. A CPU online at start gets a ring of
 * its own in slot 1 + cpu, one offline at start the shared ring; "auto"
 * sizes the rings by the CPUs online; 0 puts every CPU on the shared
 * ring. Also the CPU list parser the online list goes through. Needs BPF:
 * fails, does not skip, without it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cpu_list.h"
#include "ring_set.h"

#define SLOTS 4 /* CPUs the map has slots for */

struct rig {
	int shared, tmpl, outer;
};

static void rig_open(struct rig *g)
{
	LIBBPF_OPTS(bpf_map_create_opts, o);
	__u32 k = 0;

	g->shared = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "t_shared", 0, 0, 64 << 10, NULL);
	g->tmpl = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "t_tmpl", 0, 0, (__u32)sysconf(_SC_PAGESIZE),
				 NULL);
	assert_true(g->shared >= 0 && g->tmpl >= 0);
	o.inner_map_fd = g->tmpl;
	g->outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "t_rings", 4, 4, 1 + SLOTS, &o);
	assert_true(g->outer >= 0);
	assert_int_equal(bpf_map_update_elem(g->outer, &k, &g->shared, BPF_ANY), 0);
}

static void rig_close(struct rig *g)
{
	close(g->outer);
	close(g->tmpl);
	close(g->shared);
}

static struct bpf_map_info info_of(int fd)
{
	struct bpf_map_info i;
	__u32 len = sizeof(i);

	memset(&i, 0, sizeof(i));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &i, &len), 0);
	return i;
}

/* The id of the ring in a slot. */
static __u32 slot_id(const struct rig *g, __u32 slot)
{
	__u32 id = 0;

	assert_int_equal(bpf_map_lookup_elem(g->outer, &slot, &id), 0);
	return id;
}

static void test_offline_cpus_share(void **state)
{
	struct rig g;
	struct ring_set *s;
	const int *fds;
	int err;

	(void)state;
	rig_open(&g);
	s = ring_set__new(g.outer, g.shared, SLOTS, "0,2\n", RING_SET_AUTO, &err);
	assert_non_null(s);
	assert_int_equal(err, 0);
	assert_int_equal(ring_set__fds(s, &fds), 3); /* shared + CPUs 0 and 2 */
	assert_int_equal(fds[0], g.shared);
	assert_true(ring_set__ring_bytes(s) == 2u << 20);
	assert_int_equal(slot_id(&g, 1), info_of(fds[1]).id);
	assert_int_equal(slot_id(&g, 3), info_of(fds[2]).id);
	assert_int_equal(slot_id(&g, 2), info_of(g.shared).id);
	assert_int_equal(slot_id(&g, 4), info_of(g.shared).id);
	assert_int_equal(info_of(fds[1]).max_entries, 2u << 20);
	assert_string_equal(info_of(fds[2]).name, "bt_ring_cpu");
	ring_set__free(s);
	rig_close(&g);
}

static void test_sizes(void **state)
{
	struct rig g;
	struct ring_set *s;
	const int *fds;
	int err;

	(void)state;
	rig_open(&g);
	/* an online list that does not parse: every slot gets its ring */
	s = ring_set__new(g.outer, g.shared, SLOTS, "garbage", 128 << 10, &err);
	assert_non_null(s);
	assert_int_equal(ring_set__fds(s, &fds), 1 + SLOTS);
	for (__u32 cpu = 0; cpu < SLOTS; cpu++) {
		assert_int_equal(slot_id(&g, 1 + cpu), info_of(fds[1 + cpu]).id);
		assert_int_equal(info_of(fds[1 + cpu]).max_entries, 128u << 10);
	}
	ring_set__free(s);
	/* 0: the shared ring in every slot, no ring made */
	s = ring_set__new(g.outer, g.shared, SLOTS, "0-3", 0, &err);
	assert_non_null(s);
	assert_int_equal(ring_set__fds(s, &fds), 1);
	assert_true(ring_set__ring_bytes(s) == 0);
	for (__u32 slot = 1; slot <= SLOTS; slot++)
		assert_int_equal(slot_id(&g, slot), info_of(g.shared).id);
	ring_set__free(s);
	/* a size the kernel refuses: an error, nothing left behind */
	s = ring_set__new(g.outer, g.shared, SLOTS, "0-3", 3u << 20, &err);
	assert_null(s);
	assert_int_equal(err, -EINVAL);
	rig_close(&g);
}

static void test_auto_bytes(void **state)
{
	(void)state;
	assert_true(ring_set_auto_bytes(0) == 2u << 20);
	assert_true(ring_set_auto_bytes(1) == 2u << 20);
	assert_true(ring_set_auto_bytes(16) == 2u << 20);
	assert_true(ring_set_auto_bytes(17) == 1u << 20);
	assert_true(ring_set_auto_bytes(32) == 1u << 20);
	assert_true(ring_set_auto_bytes(33) == 512u << 10);
	assert_true(ring_set_auto_bytes(64) == 512u << 10);
	assert_true(ring_set_auto_bytes(4096) == 512u << 10);
}

static void test_cpu_list(void **state)
{
	uint8_t set[8];
	static const char *const bad[] = { "",	    "\n",	   "-1",  "1-",	   "3-1",
					   "1,",    ",1",	   "1 2", "1\n\n", "0x1",
					   "1-2-3", "99999999999", "a" };

	(void)state;
	assert_int_equal(cpu_list_parse("0-1\n", set, 8), 2);
	assert_true(set[0] && set[1] && !set[2]);
	assert_int_equal(cpu_list_parse("0,2-3,7", set, 8), 4);
	assert_true(set[0] && !set[1] && set[2] && set[3] && !set[4] && set[7]);
	/* past the slots: valid, not marked */
	assert_int_equal(cpu_list_parse("6-100", set, 8), 2);
	assert_int_equal(cpu_list_parse("1,1,1-2", set, 8), 2);
	assert_int_equal(cpu_list_parse("5", set, 0), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(set, 1, sizeof(set));
		assert_int_equal(cpu_list_parse(bad[i], set, 8), -EINVAL);
		for (size_t c = 0; c < sizeof(set); c++)
			assert_int_equal(set[c], 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offline_cpus_share),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_auto_bytes),
		cmocka_unit_test(test_cpu_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
