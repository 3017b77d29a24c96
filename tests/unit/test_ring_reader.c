// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ring_reader against a real BPF ringbuf, filled by tests/bpf/ring_emit
 * through BPF_PROG_TEST_RUN: samples of every length from 8 to 1500 bytes
 * through a one-page ring, so that many wrap past its end, with discarded
 * records between them; every sample arrives once, in order, byte-exact.
 * A wrapping sample larger than the reader accepts is skipped and counted,
 * the rest still arrive. Two rings merged by a key in their samples
 * (ring_walk_merge) give every sample once, in key order across both.
 * poll(2) wakes on a sample. The data area counts
 * once in the resident size (libbpf's reader, measured the same way,
 * counts twice). Needs BPF: fails, does not skip, without it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ring_emit.h"
#include "ring_reader.h"

struct rig {
	struct bpf_object *obj;
	int prog_fd, ring_fd;
};

struct seen {
	uint64_t next_seq; /* the sequence number the next sample must carry */
	uint64_t samples;
	uint32_t want_len[1 << 16];
	int bad;
};

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 31 + 7);
}

static void rig_open(struct rig *g, uint32_t ring_size)
{
	const char *out = getenv("OUT") ? getenv("OUT") : "build";
	struct rw_payload p;
	char path[512];
	uint32_t k = 0;

	snprintf(path, sizeof(path), "%s/tests/ring_emit.bpf.o", out);
	g->obj = bpf_object__open_file(path, NULL);
	assert_non_null(g->obj);
	assert_int_equal(bpf_map__set_max_entries(bpf_object__find_map_by_name(g->obj, "rw_ring"),
						  ring_size),
			 0);
	assert_int_equal(bpf_object__load(g->obj), 0);
	g->prog_fd = bpf_program__fd(bpf_object__find_program_by_name(g->obj, "rw_emit"));
	g->ring_fd = bpf_map__fd(bpf_object__find_map_by_name(g->obj, "rw_ring"));
	assert_true(g->prog_fd >= 0 && g->ring_fd >= 0);
	for (size_t i = 0; i < sizeof(p.b); i++)
		p.b[i] = pattern(i);
	assert_int_equal(
		bpf_map_update_elem(bpf_map__fd(bpf_object__find_map_by_name(g->obj, "rw_src")), &k,
				    &p, 0),
		0);
}

/* One sample (or a discarded record); the program's return value. */
static int emit(struct rig *g, uint32_t len, uint64_t seq, int discard)
{
	struct rw_emit_args a = { .len = len, .discard = (uint32_t)discard, .seq = seq };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &a, .ctx_size_in = sizeof(a));

	assert_int_equal(bpf_prog_test_run_opts(g->prog_fd, &o), 0);
	return (int)o.retval;
}

static void on_sample(void *ctx, const void *sample, size_t len)
{
	struct seen *s = ctx;
	const uint8_t *b = sample;
	uint64_t seq;

	if (len < sizeof(seq)) {
		s->bad++;
		return;
	}
	memcpy(&seq, b, sizeof(seq));
	if (seq != s->next_seq || len != s->want_len[seq & 0xffff])
		s->bad++;
	for (size_t i = sizeof(seq); i < len; i++)
		if (b[i] != pattern(i)) {
			s->bad++;
			break;
		}
	s->next_seq = seq + 1;
	s->samples++;
}

/* Emits a sample (or a discarded record), draining the ring first if it is full. */
static void emit_drained(struct rig *g, struct ring_reader *r, uint32_t len, uint64_t seq,
			 int discard)
{
	int ret = emit(g, len, seq, discard);

	if (ret == -EAGAIN) {
		assert_true(ring_reader__drain(r) > 0);
		ret = emit(g, len, seq, discard);
	}
	assert_int_equal(ret, 0);
}

static void test_wrapping_order_and_bytes(void **state)
{
	struct seen *s = calloc(1, sizeof(*s));
	struct ring_walk_stats st;
	struct ring_reader *r;
	struct rig g;
	uint64_t seq;
	uint32_t len = 8;

	(void)state;
	rig_open(&g, 4096);
	r = ring_reader__new(g.ring_fd, RW_MAX, on_sample, s);
	assert_non_null(r);
	assert_int_equal(ring_reader__size(r), 4096);
	for (seq = 0; seq < 3000; seq++) {
		len = 8 + (uint32_t)((seq * 397) % 1493);
		s->want_len[seq & 0xffff] = len;
		if (seq % 7 == 3)
			emit_drained(&g, r, 8, 0, 1); /* a discarded record between */
		emit_drained(&g, r, len, seq, 0);
		if (seq % 5 == 4)
			ring_reader__drain(r);
	}
	ring_reader__drain(r);
	st = ring_reader__stats(r);
	assert_int_equal(s->bad, 0);
	assert_int_equal(s->samples, 3000);
	assert_int_equal(s->next_seq, 3000);
	assert_int_equal(st.samples, 3000);
	assert_true(st.wrapped > 100); /* the copy path ran, not only in-place samples */
	assert_int_equal(st.oversize, 0);
	assert_int_equal(st.desync, 0);
	assert_int_equal(ring_reader__drain(r), 0);
	ring_reader__free(r);
	bpf_object__close(g.obj);
	free(s);
}

/* The merge's key: the sample's sequence number. */
static uint64_t seq_key(const void *sample, size_t len)
{
	uint64_t seq = 0;

	if (len >= sizeof(seq))
		memcpy(&seq, sample, sizeof(seq));
	return seq;
}

static size_t merge2(struct ring_reader **r, struct seen *s)
{
	struct ring_source src[2];

	ring_reader__source(r[0], &src[0]);
	ring_reader__source(r[1], &src[1]);
	return ring_walk_merge(src, 2, seq_key, on_sample, s);
}

/* emit_drained for two rings drained as one. */
static void emit_merged(struct rig *g, struct ring_reader **r, struct seen *s, uint32_t len,
			uint64_t seq, int discard)
{
	int ret = emit(g, len, seq, discard);

	if (ret == -EAGAIN) {
		assert_true(merge2(r, s) > 0);
		ret = emit(g, len, seq, discard);
	}
	assert_int_equal(ret, 0);
}

/*
 * Samples numbered in the order they are made, each into one of two rings
 * (runs of either, wrapping, discarded records between), drained as one:
 * they come out in number order, every one once, byte-exact.
 */
static void test_merge_by_key(void **state)
{
	struct seen *s = calloc(1, sizeof(*s));
	struct ring_reader *r[2];
	struct rig g[2];
	uint64_t seq;

	(void)state;
	for (int i = 0; i < 2; i++) {
		rig_open(&g[i], 4096);
		r[i] = ring_reader__new(g[i].ring_fd, RW_MAX, on_sample, s);
		assert_non_null(r[i]);
	}
	for (seq = 0; seq < 3000; seq++) {
		int k = (int)((seq / 3 + seq / 7) % 2);
		uint32_t len = 8 + (uint32_t)((seq * 397) % 700);

		s->want_len[seq & 0xffff] = len;
		if (seq % 11 == 5)
			emit_merged(&g[k], r, s, 8, 0, 1); /* a discarded record between */
		emit_merged(&g[k], r, s, len, seq, 0);
		if (seq % 13 == 12)
			merge2(r, s);
	}
	merge2(r, s);
	assert_int_equal(s->bad, 0);
	assert_int_equal(s->samples, 3000);
	assert_int_equal(s->next_seq, 3000);
	assert_true(ring_reader__stats(r[0]).wrapped > 10 && ring_reader__stats(r[1]).wrapped > 10);
	assert_int_equal(merge2(r, s), 0);
	for (int i = 0; i < 2; i++) {
		ring_reader__free(r[i]);
		bpf_object__close(g[i].obj);
	}
	free(s);
}

struct count {
	uint64_t n, bytes;
};

static void on_count(void *ctx, const void *sample, size_t len)
{
	struct count *c = ctx;

	(void)sample;
	c->n++;
	c->bytes += len;
}

static void test_oversize_wrap_skipped(void **state)
{
	struct count c = { 0 };
	struct ring_walk_stats st;
	struct ring_reader *r;
	struct rig g;

	(void)state;
	rig_open(&g, 4096);
	r = ring_reader__new(g.ring_fd, 100, on_count, &c); /* accepts up to 100 bytes */
	assert_non_null(r);
	for (uint64_t seq = 0; seq < 200; seq++) {
		assert_int_equal(emit(&g, 1000, seq, 0), 0);
		ring_reader__drain(r);
	}
	st = ring_reader__stats(r);
	assert_true(st.oversize > 0);
	assert_int_equal(c.n + st.oversize, 200); /* skipped, counted, nothing else lost */
	assert_int_equal(c.bytes, c.n * 1000);
	ring_reader__free(r);
	bpf_object__close(g.obj);
}

static void test_poll_wakes(void **state)
{
	struct count c = { 0 };
	struct ring_reader *r;
	struct rig g;

	(void)state;
	rig_open(&g, 4096);
	r = ring_reader__new(g.ring_fd, RW_MAX, on_count, &c);
	assert_non_null(r);
	assert_int_equal(ring_reader__poll(r, 0), 0);
	assert_int_equal(emit(&g, 64, 1, 0), 0);
	assert_int_equal(ring_reader__poll(r, 5000), 1);
	assert_int_equal(c.n, 1);
	assert_int_equal(ring_reader__poll(r, 0), 0);
	ring_reader__free(r);
	bpf_object__close(g.obj);
}

/* Resident KiB of this process's BPF map mappings. */
static long map_rss_kb(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	long kb = 0, v;
	int in_map = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in_map = strstr(line, "anon_inode:bpf-map") != NULL;
		else if (sscanf(line, "Rss: %ld kB", &v) == 1) {
			if (in_map)
				kb += v;
			in_map = 0;
		}
	}
	fclose(f);
	return kb;
}

static int libbpf_cb(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return 0;
}

static void test_mapped_once(void **state)
{
	const long ring_kb = 1024;
	struct count c = { 0 };
	struct ring_buffer *lb;
	struct ring_reader *r;
	struct rig g;
	long base, ours, theirs;

	(void)state;
	rig_open(&g, ring_kb * 1024);
	base = map_rss_kb();
	r = ring_reader__new(g.ring_fd, RW_MAX, on_count, &c);
	assert_non_null(r);
	ours = map_rss_kb() - base;
	ring_reader__free(r);
	lb = ring_buffer__new(g.ring_fd, libbpf_cb, NULL, NULL);
	assert_non_null(lb);
	theirs = map_rss_kb() - base;
	ring_buffer__free(lb);
	print_message("resident KiB for a %ld KiB ring: ring_reader %ld, libbpf %ld\n", ring_kb,
		      ours, theirs);
	assert_true(ours >= ring_kb && ours <= ring_kb + 16);
	assert_true(theirs >= 2 * ring_kb); /* the measurement sees a double mapping */
	bpf_object__close(g.obj);
}

static void test_not_a_ring(void **state)
{
	struct rig g;

	(void)state;
	rig_open(&g, 4096);
	errno = 0;
	assert_null(ring_reader__new(bpf_map__fd(bpf_object__find_map_by_name(g.obj, "rw_src")),
				     RW_MAX, on_count, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(ring_reader__new(-1, RW_MAX, on_count, NULL));
	bpf_object__close(g.obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrapping_order_and_bytes),
		cmocka_unit_test(test_merge_by_key),
		cmocka_unit_test(test_oversize_wrap_skipped),
		cmocka_unit_test(test_poll_wakes),
		cmocka_unit_test(test_mapped_once),
		cmocka_unit_test(test_not_a_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
