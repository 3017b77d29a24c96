// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tests of the metrics registry and the exposition pieces: values,
 * histogram cumulativity, define-time validation, hostile label values,
 * the series cap, ordering, concurrency, and promtool's verdict on a
 * rendered registry (exit 0 and no output at all, i.e. no lint).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "expo.h"
#include "metrics.h"
#include "expo_lines.h"

/* true when line is a whole line of text */
static void test_counter_gauge_values(void **state)
{
	static const char *const ln[] = { "kind", NULL };
	const char *const a[] = { "a" }, *const b[] = { "b" };
	struct metrics *m = metrics__new(100);
	int c, g;
	char *out;

	(void)state;
	assert_non_null(m);
	c = metrics__define(m, "test_events_total", METRIC_COUNTER, "Events.", ln, NULL, 0);
	g = metrics__define(m, "test_queue_depth", METRIC_GAUGE, "Depth.", NULL, NULL, 0);
	assert_true(c >= 0 && g >= 0 && c != g);
	assert_int_equal(metrics__add(m, c, a, 1), 0);
	assert_int_equal(metrics__add(m, c, a, 2.5), 0);
	assert_int_equal(metrics__add(m, c, b, 0), 0);
	assert_int_equal(metrics__add(m, c, a, -1), -EINVAL);
	assert_int_equal(metrics__add(m, c, a, NAN), -EINVAL);
	assert_int_equal(metrics__set(m, c, b, 42), 0); /* mirrored kernel counter */
	assert_int_equal(metrics__set(m, c, b, -1), -EINVAL);
	assert_int_equal(metrics__observe(m, c, a, 1), -EINVAL);
	assert_int_equal(metrics__add(m, c, NULL, 1), -EINVAL);
	assert_int_equal(metrics__add(m, 99, a, 1), -EINVAL);
	assert_int_equal(metrics__add(m, -1, a, 1), -EINVAL);
	assert_int_equal(metrics__set(m, g, NULL, 7), 0);
	assert_int_equal(metrics__add(m, g, NULL, -9.5), 0);
	assert_int_equal(metrics__series(m), 3);

	out = render(m);
	assert_line(out, "# HELP test_events_total Events.");
	assert_line(out, "# TYPE test_events_total counter");
	assert_line(out, "test_events_total{kind=\"a\"} 3.5");
	assert_line(out, "test_events_total{kind=\"b\"} 42");
	assert_line(out, "# TYPE test_queue_depth gauge");
	assert_line(out, "test_queue_depth -2.5");
	assert_line(out, "biothings_observer_series_dropped_total 0");
	free(out);
	metrics__free(m);
}

/* A table defines its families in order and stops at the first refusal. */
static void test_define_table(void **state)
{
	static const char *const ln[] = { "kind", NULL };
	int a = -1, b = -1, c = 12345;
	const struct metric_def defs[] = {
		{ &a, "test_table_total", METRIC_COUNTER, "A.", ln },
		{ &b, "test_table_depth", METRIC_GAUGE, "B.", NULL },
		{ &c, "test_table_depth", METRIC_GAUGE, "Taken.", NULL },
	};
	struct metrics *m = metrics__new(100);

	(void)state;
	assert_non_null(m);
	assert_int_equal(metrics__define_table(m, defs, 2), 0);
	assert_true(a >= 0 && b >= 0 && a != b);
	assert_int_equal(metrics__define_table(m, defs + 2, 1), -EEXIST);
	assert_int_equal(c, -EEXIST);
	metrics__free(m);
}

static void test_histogram_cumulative(void **state)
{
	static const char *const ln[] = { "op", NULL };
	static const double bk[] = { 0.1, 1, 10 };
	const char *const v[] = { "read" };
	static const double obs[] = { 0.05, 0.1, 0.5, 1, 1, 5, 50, INFINITY };
	struct metrics *m = metrics__new(10);
	char *out;
	int h;

	(void)state;
	h = metrics__define(m, "test_op_duration_seconds", METRIC_HISTOGRAM, "Op time.", ln, bk, 3);
	assert_true(h >= 0);
	for (size_t i = 0; i < sizeof(obs) / sizeof(*obs); i++)
		assert_int_equal(metrics__observe(m, h, v, obs[i]), 0);
	assert_int_equal(metrics__observe(m, h, v, NAN), -EINVAL);
	assert_int_equal(metrics__add(m, h, v, 1), -EINVAL);

	out = render(m);
	/* le is inclusive: 0.1 lands in le="0.1", 1 and 1 in le="1" */
	assert_line(out, "# TYPE test_op_duration_seconds histogram");
	assert_line(out, "test_op_duration_seconds_bucket{op=\"read\",le=\"0.1\"} 2");
	assert_line(out, "test_op_duration_seconds_bucket{op=\"read\",le=\"1\"} 5");
	assert_line(out, "test_op_duration_seconds_bucket{op=\"read\",le=\"10\"} 6");
	assert_line(out, "test_op_duration_seconds_bucket{op=\"read\",le=\"+Inf\"} 8");
	assert_line(out, "test_op_duration_seconds_count{op=\"read\"} 8");
	assert_line(out, "test_op_duration_seconds_sum{op=\"read\"} +Inf");
	free(out);
	metrics__free(m);
}

static void test_histogram_sum_and_otel_buckets(void **state)
{
	size_t n = 0;
	const double *b = metrics_otel_duration_buckets(&n);
	struct metrics *m = metrics__new(10);
	char *out;
	int h;

	(void)state;
	assert_int_equal(n, 14);
	assert_true(b[0] == 0.005 && b[5] == 0.1 && b[9] == 1 && b[13] == 10);
	h = metrics__define(m, "test_wait_seconds", METRIC_HISTOGRAM, "Wait.", NULL, b, n);
	assert_true(h >= 0);
	assert_int_equal(metrics__observe(m, h, NULL, 0.1), 0);
	assert_int_equal(metrics__observe(m, h, NULL, 0.2), 0);
	out = render(m);
	assert_line(out, "test_wait_seconds_bucket{le=\"0.005\"} 0");
	assert_line(out, "test_wait_seconds_bucket{le=\"0.075\"} 0");
	assert_line(out, "test_wait_seconds_bucket{le=\"0.1\"} 1");
	assert_line(out, "test_wait_seconds_bucket{le=\"0.25\"} 2");
	assert_line(out, "test_wait_seconds_bucket{le=\"7.5\"} 2");
	/* 0.1 + 0.2 is not 0.3 in binary: the shortest exact form is kept */
	assert_line(out, "test_wait_seconds_sum 0.30000000000000004");
	assert_line(out, "test_wait_seconds_count 2");
	free(out);
	metrics__free(m);
}

static void test_define_validation(void **state)
{
	static const double bk[] = { 1, 2 };
	struct metrics *m = metrics__new(10);

	(void)state;
	assert_int_equal(metrics__define(m, "x_requests", METRIC_COUNTER, "h", NULL, NULL, 0),
			 -EINVAL);
	assert_int_equal(metrics__define(m, "x_depth_total", METRIC_GAUGE, "h", NULL, NULL, 0),
			 -EINVAL);
	assert_int_equal(metrics__define(m, "x_seconds_total", METRIC_HISTOGRAM, "h", NULL, bk, 2),
			 -EINVAL);
	assert_int_equal(metrics__define(m, "x_depth_count", METRIC_GAUGE, "h", NULL, NULL, 0),
			 -EINVAL);
	assert_int_equal(metrics__define(m, "x_depth_bucket", METRIC_GAUGE, "h", NULL, NULL, 0),
			 -EINVAL);
	assert_int_equal(metrics__define(m, "1x", METRIC_GAUGE, "h", NULL, NULL, 0), -EINVAL);
	assert_int_equal(metrics__define(m, "x-y", METRIC_GAUGE, "h", NULL, NULL, 0), -EINVAL);
	assert_int_equal(metrics__define(m, "xDepth", METRIC_GAUGE, "h", NULL, NULL, 0), -EINVAL);
	assert_int_equal(metrics__define(m, "x:depth", METRIC_GAUGE, "h", NULL, NULL, 0), -EINVAL);
	assert_int_equal(metrics__define(m, "x_latency_ms", METRIC_GAUGE, "h", NULL, NULL, 0),
			 -EINVAL);
	assert_int_equal(metrics__define(m, "x_latency_milliseconds", METRIC_GAUGE, "h", NULL, NULL,
					 0),
			 -EINVAL);
	assert_int_equal(metrics__define(m, "x_queue_gauge", METRIC_GAUGE, "h", NULL, NULL, 0),
			 -EINVAL);
	assert_int_equal(metrics__define(m, "x_depth", METRIC_GAUGE, "", NULL, NULL, 0), -EINVAL);
	assert_int_equal(metrics__define(m, "x_depth", METRIC_GAUGE, NULL, NULL, NULL, 0), -EINVAL);
	metrics__free(m);
}

static void test_define_labels_buckets(void **state)
{
	static const double bk[] = { 1, 2 }, bad_bk[] = { 2, 1 }, inf_bk[] = { 1, INFINITY };
	static const char *const le[] = { "le", NULL }, *const dunder[] = { "__x", NULL };
	static const char *const dup[] = { "a", "a", NULL }, *const camel[] = { "fooBar", NULL };
	static const char *const many[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", NULL };
	struct metrics *m = metrics__new(10);

	(void)state;
	assert_int_equal(metrics__define(m, "x_depth", METRIC_GAUGE, "h", le, NULL, 0), -EINVAL);
	assert_int_equal(metrics__define(m, "x_depth", METRIC_GAUGE, "h", dunder, NULL, 0),
			 -EINVAL);
	assert_int_equal(metrics__define(m, "x_depth", METRIC_GAUGE, "h", dup, NULL, 0), -EINVAL);
	assert_int_equal(metrics__define(m, "x_depth", METRIC_GAUGE, "h", camel, NULL, 0), -EINVAL);
	assert_int_equal(metrics__define(m, "x_depth", METRIC_GAUGE, "h", many, NULL, 0), -EINVAL);
	assert_int_equal(metrics__define(m, "x_depth", METRIC_GAUGE, "h", NULL, bk, 2), -EINVAL);
	assert_int_equal(metrics__define(m, "x_seconds", METRIC_HISTOGRAM, "h", NULL, NULL, 0),
			 -EINVAL);
	assert_int_equal(metrics__define(m, "x_seconds", METRIC_HISTOGRAM, "h", NULL, bad_bk, 2),
			 -EINVAL);
	assert_int_equal(metrics__define(m, "x_seconds", METRIC_HISTOGRAM, "h", NULL, inf_bk, 2),
			 -EINVAL);
	assert_int_equal(metrics__define(m, "x_seconds", METRIC_HISTOGRAM, "h", le, bk, 2),
			 -EINVAL);
	assert_true(metrics__define(m, "x_seconds", METRIC_HISTOGRAM, "h", NULL, bk, 2) >= 0);
	assert_int_equal(metrics__define(m, "x_seconds", METRIC_GAUGE, "h", NULL, NULL, 0),
			 -EEXIST);
	assert_int_equal(metrics__define(m, "biothings_observer_series_dropped_total",
					 METRIC_COUNTER, "h", NULL, NULL, 0),
			 -EEXIST);
	metrics__free(m);
}

static void test_hostile_label_values(void **state)
{
	static const char *const ln[] = { "v", NULL };
	struct metrics *m = metrics__new(100);
	char *big = malloc(10240 + 1), *big2 = malloc(10240 + 1), *utf = malloc(10240 + 1);
	char *out, want[1024];
	int g;

	(void)state;
	g = metrics__define(m, "test_hostile", METRIC_GAUGE, "Help with \\ and\nnewline.", ln, NULL,
			    0);
	assert_true(g >= 0);
	assert_int_equal(metrics__set(m, g, (const char *const[]){ "q\"b\\n\nl" }, 1), 0);
	assert_int_equal(
		metrics__set(m, g, (const char *const[]){ "x\xff\xc0\xaf\xed\xa0\x80y" }, 2), 0);
	assert_int_equal(metrics__set(m, g, (const char *const[]){ "cut\xe2\x82" }, 3), 0);
	memset(big, 'A', 10240);
	big[10240] = '\0';
	memcpy(big2, big, 10241);
	big2[5000] = 'B'; /* differs only past the cut: the same series */
	assert_int_equal(metrics__set(m, g, (const char *const[]){ big }, 4), 0);
	assert_int_equal(metrics__set(m, g, (const char *const[]){ big2 }, 5), 0);
	utf[0] = 'a';
	for (int i = 1; i < 10239; i += 2)
		memcpy(utf + i, "\xc3\xa9", 2); /* U+00E9, never cut in half */
	utf[10239] = '\0';
	assert_int_equal(metrics__set(m, g, (const char *const[]){ utf }, 6), 0);
	assert_int_equal(metrics__series(m), 5);

	out = render(m);
	assert_line(out, "# HELP test_hostile Help with \\\\ and\\nnewline.");
	assert_line(out, "test_hostile{v=\"q\\\"b\\\\n\\nl\"} 1");
	/* each invalid byte (overlong C0 AF, surrogate ED A0 80, FF) -> U+FFFD */
	snprintf(want, sizeof(want), "test_hostile{v=\"x%s%s%s%s%s%sy\"} 2", EXPO_REPLACEMENT,
		 EXPO_REPLACEMENT, EXPO_REPLACEMENT, EXPO_REPLACEMENT, EXPO_REPLACEMENT,
		 EXPO_REPLACEMENT);
	assert_line(out, want);
	snprintf(want, sizeof(want), "test_hostile{v=\"cut%s%s\"} 3", EXPO_REPLACEMENT,
		 EXPO_REPLACEMENT);
	assert_line(out, want);
	snprintf(want, sizeof(want), "test_hostile{v=\"%.*s\"} 5", METRICS_LABEL_VALUE_MAX, big);
	assert_line(out, want);
	/* 'a' then whole U+00E9 pairs: 255 bytes, the half pair is dropped */
	snprintf(want, sizeof(want), "test_hostile{v=\"%.*s\"} 6", METRICS_LABEL_VALUE_MAX - 1,
		 utf);
	assert_line(out, want);
	free(out);
	free(big);
	free(big2);
	free(utf);
	metrics__free(m);
}

static void test_series_cap(void **state)
{
	static const char *const ln[] = { "k", NULL };
	struct metrics *m = metrics__new(3);
	char *out;
	int c;

	(void)state;
	c = metrics__define(m, "test_capped_total", METRIC_COUNTER, "Capped.", ln, NULL, 0);
	assert_int_equal(metrics__add(m, c, (const char *const[]){ "a" }, 1), 0);
	assert_int_equal(metrics__add(m, c, (const char *const[]){ "b" }, 1), 0);
	assert_int_equal(metrics__add(m, c, (const char *const[]){ "c" }, 1), 0);
	assert_int_equal(metrics__add(m, c, (const char *const[]){ "d" }, 1), -ENOSPC);
	assert_int_equal(metrics__add(m, c, (const char *const[]){ "e" }, 1), -ENOSPC);
	assert_int_equal(metrics__add(m, c, (const char *const[]){ "a" }, 1), 0);
	assert_int_equal(metrics__series(m), 3);
	assert_int_equal(metrics__series_dropped(m), 2);
	out = render(m);
	assert_line(out, "biothings_observer_series_dropped_total 2");
	assert_line(out, "test_capped_total{k=\"a\"} 2");
	assert_null(strstr(out, "k=\"d\""));
	free(out);
	metrics__free(m);
}

static void test_render_order(void **state)
{
	static const char *const ln[] = { "x", "y", NULL };
	struct metrics *m = metrics__new(100);
	char *out, *p1, *p2, *p3, *fa, *fb;
	int b, a;

	(void)state;
	b = metrics__define(m, "test_beta_depth", METRIC_GAUGE, "B.", ln, NULL, 0);
	a = metrics__define(m, "test_alpha_depth", METRIC_GAUGE, "A.", NULL, NULL, 0);
	assert_int_equal(metrics__set(m, b, (const char *const[]){ "2", "a" }, 1), 0);
	assert_int_equal(metrics__set(m, b, (const char *const[]){ "1", "b" }, 1), 0);
	assert_int_equal(metrics__set(m, b, (const char *const[]){ "1", "a" }, 1), 0);
	assert_int_equal(metrics__set(m, a, NULL, 1), 0);
	out = render(m);
	fa = strstr(out, "# HELP test_alpha_depth");
	fb = strstr(out, "# HELP test_beta_depth");
	p1 = strstr(out, "test_beta_depth{x=\"1\",y=\"a\"}");
	p2 = strstr(out, "test_beta_depth{x=\"1\",y=\"b\"}");
	p3 = strstr(out, "test_beta_depth{x=\"2\",y=\"a\"}");
	assert_true(strstr(out, "# HELP biothings_observer") < fa);
	assert_true(fa && fb && fa < fb);
	assert_true(p1 && p2 && p3 && fb < p1 && p1 < p2 && p2 < p3);
	free(out);
	metrics__free(m);
}

static void test_expo_pieces(void **state)
{
	char num[EXPO_NUM_MAX], tiny[8];
	struct dynbuf b;
	bool cut;

	(void)state;
	expo_format_double(num, 0.1);
	assert_string_equal(num, "0.1");
	expo_format_double(num, 1.0 / 3);
	assert_true(strtod(num, NULL) == 1.0 / 3);
	expo_format_double(num, -0.0);
	assert_string_equal(num, "0");
	expo_format_double(num, 1e300);
	assert_string_equal(num, "1e+300");
	expo_format_double(num, 18446744073709551615.0);
	assert_true(strtod(num, NULL) == 18446744073709551615.0);
	expo_format_double(num, NAN);
	assert_string_equal(num, "NaN");
	expo_format_double(num, -INFINITY);
	assert_string_equal(num, "-Inf");
	assert_true(expo_metric_name_valid("a:b_c9"));
	assert_false(expo_metric_name_valid("9a"));
	assert_false(expo_metric_name_valid(""));
	assert_true(expo_label_name_valid("_a"));
	assert_false(expo_label_name_valid("__a"));
	assert_false(expo_label_name_valid("a:b"));
	assert_int_equal(expo_utf8_sanitize("ab\xf4\x90\x80\x80", tiny, sizeof(tiny), &cut), 5);
	assert_true(cut); /* the second U+FFFD would not fit in 8 bytes */
	assert_memory_equal(tiny, "ab" EXPO_REPLACEMENT, 6);
	assert_int_equal(expo_format_u64(num, 0), 1);
	assert_string_equal(num, "0");
	assert_int_equal(expo_format_u64(num, UINT64_MAX), 20);
	assert_string_equal(num, "18446744073709551615");
	expo_format_double(num, -42.0);
	assert_string_equal(num, "-42");
	expo_format_double(num, -9007199254740992.0);
	assert_string_equal(num, "-9007199254740992");
	expo_format_double(num, 9007199254740994.0); /* past 2^53: %g */
	assert_true(strtod(num, NULL) == 9007199254740994.0);
	dynbuf_init(&b, 8);
	assert_int_equal(dynbuf_addstr(&b, "1234567"), 0);
	assert_int_equal(dynbuf_addstr(&b, "8"), -E2BIG);
	assert_int_equal(dynbuf_printf(&b, "%d", 9), -E2BIG);
	assert_string_equal(b.p, "1234567");
	dynbuf_free(&b);
}

#define FIXTURE_HIST 1 /* stream_fixture's histogram: the first family after the registry's own */

/* Series "/r/<i>" for i in [from, to) by steps of step, each observing v. */
static void grow(struct metrics *m, int from, int to, int step, double v)
{
	char route[40];

	for (int i = from; i < to; i += step) {
		const char *const vals[] = { "svc", "GET", "200", route };

		snprintf(route, sizeof(route), "/r/%d", i);
		assert_int_equal(metrics__observe(m, FIXTURE_HIST, vals, v), 0);
	}
}

static void grow_both(struct metrics *a, struct metrics *b, int from, int to, int step, double v)
{
	grow(a, from, to, step, v);
	grow(b, from, to, step, v);
}

/* The next piece of r (up to max bytes) onto b; its size. */
static ssize_t pull(struct metrics_render *r, struct dynbuf *b, size_t max)
{
	char *at;
	ssize_t n;

	assert_int_equal(dynbuf_room(b, max, &at), 0);
	n = metrics__render_next(r, at, max);
	assert_true(n >= 0);
	dynbuf_commit(b, (size_t)n);
	return n;
}

/* A registry of n 4-label histogram series and a counter with a
 * label value that needs escaping. */
static struct metrics *stream_fixture(int n)
{
	static const char *const ln[] = { "svc", "method", "code", "route", NULL };
	static const char *const cl[] = { "kind", NULL };
	const char *const esc[] = { "a\"b\\c\nd" };
	size_t nb;
	const double *bounds = metrics_otel_duration_buckets(&nb);
	struct metrics *m = metrics__new((uint32_t)n + 1000);
	int h, c;
	char route[40];

	assert_non_null(m);
	h = metrics__define(m, "test_stream_duration_seconds", METRIC_HISTOGRAM, "Durations.", ln,
			    bounds, nb);
	c = metrics__define(m, "test_stream_events_total", METRIC_COUNTER, "Events.", cl, NULL, 0);
	assert_int_equal(h, FIXTURE_HIST);
	assert_true(c >= 0);
	assert_int_equal(metrics__add(m, c, esc, 3), 0);
	for (int i = 0; i < n; i++) {
		const char *const v[] = { "svc", "GET", "200", route };

		snprintf(route, sizeof(route), "/r/%d", i);
		assert_int_equal(metrics__observe(m, h, v, 0.001 * (i % 13)), 0);
		assert_int_equal(metrics__observe(m, h, v, 3.25), 0);
	}
	return m;
}

/* Streams the exposition through buffers of size chunk into one text. */
static char *stream_all(struct metrics *m, size_t chunk, size_t *len)
{
	struct metrics_render *r;
	struct dynbuf b;
	char *at;

	assert_int_equal(metrics__render_begin(m, &r), 0);
	dynbuf_init(&b, SIZE_MAX);
	while (pull(r, &b, chunk) > 0)
		;
	assert_int_equal(dynbuf_room(&b, chunk, &at), 0);
	assert_int_equal(metrics__render_next(r, at, chunk), 0); /* stays at the end */
	metrics__render_end(r);
	return dynbuf_take(&b, len);
}

/* Any chunking gives the same text as the whole render, and a chunk
 * boundary inside a line, an escape or a number loses nothing. */
static void test_render_stream_chunks(void **state)
{
	static const size_t chunks[] = { 1, 7, 100, 4096, 1 << 20 };
	struct metrics *m = stream_fixture(300);
	char *whole, *streamed;
	size_t wlen, slen;

	(void)state;
	assert_int_equal(metrics__render(m, &whole, &wlen), 0);
	assert_non_null(strstr(whole, "test_stream_events_total{kind=\"a\\\"b\\\\c\\nd\"} 3\n"));
	assert_non_null(strstr(whole,
			       "test_stream_duration_seconds_bucket{svc=\"svc\",method=\"GET\","
			       "code=\"200\",route=\"/r/12\",le=\"0.025\"} 1\n"));
	assert_non_null(strstr(whole, "test_stream_duration_seconds_sum{svc=\"svc\",method=\"GET\","
				      "code=\"200\",route=\"/r/12\"} 3.262\n"));
	for (size_t i = 0; i < sizeof(chunks) / sizeof(*chunks); i++) {
		streamed = stream_all(m, chunks[i], &slen);
		assert_int_equal(slen, wlen);
		assert_memory_equal(streamed, whole, wlen);
		free(streamed);
	}
	free(whole);
	metrics__free(m);
}

/* What a render keeps for the next one (sorted order, value text) never
 * shows: after new series that sort between old ones and changed values,
 * a registry rendered before gives the text of one never rendered. */
static void test_render_caches(void **state)
{
	struct metrics *seen = stream_fixture(0), *fresh = stream_fixture(0);
	char *a, *b;
	size_t alen, blen;

	(void)state;
	grow_both(seen, fresh, 0, 400, 2, 0.25);
	for (int round = 0; round < 3; round++) {
		assert_int_equal(metrics__render(seen, &a, &alen), 0);
		free(a);
		grow_both(seen, fresh, 1 + round, 400, 4, 1.0 / 3); /* between the old ones */
		grow_both(seen, fresh, 0, 400, 10, 0.5); /* changes existing sums */
	}
	assert_int_equal(metrics__render(seen, &a, &alen), 0);
	assert_int_equal(metrics__render(fresh, &b, &blen), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
	metrics__free(seen);
	metrics__free(fresh);
}

/* Two renders interleaved, the later one taken after new series came:
 * each gives exactly its own snapshot, in order. */
static void test_render_interleaved(void **state)
{
	struct metrics *m = stream_fixture(0), *before = stream_fixture(0);
	struct metrics *after = stream_fixture(0);
	struct metrics_render *ra, *rb;
	bool done_a = false, done_b = false;
	char *want_a, *want_b;
	struct dynbuf a, b;
	size_t la, lb;

	(void)state;
	grow_both(m, before, 0, 200, 2, 0.125);
	grow(after, 0, 200, 2, 0.125);
	assert_int_equal(metrics__render_begin(m, &ra), 0);
	grow_both(m, after, 1, 200, 2, 2.5);
	assert_int_equal(metrics__render_begin(m, &rb), 0); /* sorts the newer series too */
	dynbuf_init(&a, SIZE_MAX);
	dynbuf_init(&b, SIZE_MAX);
	while (!done_a || !done_b) {
		if (!done_a)
			done_a = pull(ra, &a, 1000) == 0;
		if (!done_b)
			done_b = pull(rb, &b, 1000) == 0;
	}
	metrics__render_end(ra);
	metrics__render_end(rb);
	assert_int_equal(metrics__render(before, &want_a, &la), 0);
	assert_int_equal(metrics__render(after, &want_b, &lb), 0);
	assert_int_equal(a.len, la);
	assert_memory_equal(a.p, want_a, la);
	assert_int_equal(b.len, lb);
	assert_memory_equal(b.p, want_b, lb);
	free(want_a);
	free(want_b);
	dynbuf_free(&a);
	dynbuf_free(&b);
	metrics__free(m);
	metrics__free(before);
	metrics__free(after);
}

/* Lines of text that start with prefix */
static size_t count_lines(const char *text, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += !strncmp(p, prefix, plen);
	return n;
}

/* An exposition past the whole-text cap is refused by metrics__render
 * but streams whole: a scrape of a large registry is not an error. */
static void test_render_stream_past_cap(void **state)
{
	struct metrics *m = stream_fixture(60000);
	char *whole = NULL, *streamed;
	size_t len = 0;

	(void)state;
	assert_int_equal(metrics__render(m, &whole, &len), -E2BIG);
	assert_null(whole);
	streamed = stream_all(m, 256 * 1024, &len);
	assert_true(len > METRICS_RENDER_MAX);
	assert_int_equal(count_lines(streamed, "test_stream_duration_seconds_count{"), 60000);
	assert_non_null(strstr(streamed, "biothings_observer_series_dropped_total 0\n"));
	free(streamed);
	metrics__free(m);
}

/* The last series of a family is checked first, on the raw values: it
 * must give the series the full lookup gives, also for values the
 * registry repairs or cuts. */
static void test_last_series_shortcut(void **state)
{
	static const char *const ln[] = { "v", NULL };
	struct metrics *m = metrics__new(100);
	char longv[301], cut[METRICS_LABEL_VALUE_MAX + 1], *text;
	const char *const a[] = { "a" }, *const b[] = { "b" }, *const bad[] = { "x\xff" },
			  *const repaired[] = { "x" EXPO_REPLACEMENT }, *const lv[] = { longv },
			  *const cv[] = { cut }, *const none[] = { NULL };
	int c;

	(void)state;
	memset(longv, 'l', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	memcpy(cut, longv, sizeof(cut) - 1);
	cut[sizeof(cut) - 1] = '\0';
	c = metrics__define(m, "test_shortcut_total", METRIC_COUNTER, "S.", ln, NULL, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(metrics__add(m, c, a, 1), 0);
	assert_int_equal(metrics__add(m, c, b, 1), 0);
	assert_int_equal(metrics__add(m, c, a, 1), 0);
	assert_int_equal(metrics__add(m, c, bad, 1), 0);
	assert_int_equal(metrics__add(m, c, bad, 1), 0); /* raw differs from stored: full lookup */
	assert_int_equal(metrics__add(m, c, repaired, 1), 0); /* raw equals stored: shortcut */
	assert_int_equal(metrics__add(m, c, lv, 1), 0);
	assert_int_equal(metrics__add(m, c, cv, 1), 0);
	assert_int_equal(metrics__add(m, c, lv, 1), 0);
	assert_int_equal(metrics__add(m, c, none, 1), -EINVAL);
	assert_int_equal(metrics__series(m), 4);
	text = render(m);
	assert_line(text, "test_shortcut_total{v=\"a\"} 4");
	assert_line(text, "test_shortcut_total{v=\"b\"} 1");
	assert_line(text, "test_shortcut_total{v=\"x" EXPO_REPLACEMENT "\"} 3");
	assert_non_null(strstr(text, "lll\"} 3\n"));
	free(text);
	metrics__free(m);
}

struct hammer {
	struct metrics *m;
	int fam;
};

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	char label[16];

	for (int i = 0; i < 100000; i++) {
		snprintf(label, sizeof(label), "s%d", i % 50);
		if (metrics__add(h->m, h->fam, (const char *const[]){ label }, 1))
			return (void *)1;
	}
	return NULL;
}

/* The capture thread updates while the HTTP thread renders. */
static void test_concurrent_render(void **state)
{
	static const char *const ln[] = { "s", NULL };
	struct hammer h = { .m = metrics__new(1000) };
	pthread_t t;
	void *ret;
	char *out;

	(void)state;
	h.fam = metrics__define(h.m, "test_hammer_total", METRIC_COUNTER, "Hammer.", ln, NULL, 0);
	assert_int_equal(pthread_create(&t, NULL, hammer_run, &h), 0);
	for (int i = 0; i < 50; i++)
		free(render(h.m));
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);
	out = render(h.m);
	assert_line(out, "test_hammer_total{s=\"s0\"} 2000");
	assert_line(out, "test_hammer_total{s=\"s49\"} 2000");
	free(out);
	metrics__free(h.m);
}

/* Runs promtool on text; returns its exit status, *output what it said. */
static int promtool_check(const char *text, char *output, size_t cap)
{
	char path[] = "/tmp/test_metrics_XXXXXX", cmd[256];
	int fd = mkstemp(path), status;
	size_t n = 0, len = strlen(text);
	FILE *p;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(output, 1, cap - 1, p);
	output[n] = '\0';
	status = pclose(p);
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_promtool_clean(void **state)
{
	static const char *const ln[] = { "service_name", "path", NULL };
	const char *const hostile[] = { "q\"\\\n\xff\xfe\xc0\xaf", "\xe2\x82" };
	struct metrics *m = metrics__new(100);
	char big[10241], said[4096], *out;
	size_t nb;
	const double *b = metrics_otel_duration_buckets(&nb);
	int c, g, h;

	(void)state;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	c = metrics__define(m, "test_requests_total", METRIC_COUNTER, "Requests \\ seen\n.", ln,
			    NULL, 0);
	g = metrics__define(m, "test_inflight_requests", METRIC_GAUGE, "In flight.", ln, NULL, 0);
	h = metrics__define(m, "test_request_duration_seconds", METRIC_HISTOGRAM, "Durations.", ln,
			    b, nb);
	assert_true(c >= 0 && g >= 0 && h >= 0);
	assert_int_equal(metrics__add(m, c, hostile, 3), 0);
	assert_int_equal(metrics__add(m, c, (const char *const[]){ big, "/" }, 1e20), 0);
	assert_int_equal(metrics__set(m, g, hostile, -1.5), 0);
	assert_int_equal(metrics__set(m, g, (const char *const[]){ "svc", "" }, NAN), 0);
	assert_int_equal(metrics__observe(m, h, hostile, 0.0042), 0);
	assert_int_equal(metrics__observe(m, h, hostile, 11), 0);
	assert_int_equal(metrics__observe(m, h, (const char *const[]){ "svc", big }, 1.0 / 3), 0);
	out = render(m);
	assert_int_equal(promtool_check(out, said, sizeof(said)), 0);
	if (said[0])
		fail_msg("promtool said: %s", said);
	free(out);
	metrics__free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_gauge_values),
		cmocka_unit_test(test_define_table),
		cmocka_unit_test(test_histogram_cumulative),
		cmocka_unit_test(test_histogram_sum_and_otel_buckets),
		cmocka_unit_test(test_define_validation),
		cmocka_unit_test(test_define_labels_buckets),
		cmocka_unit_test(test_hostile_label_values),
		cmocka_unit_test(test_series_cap),
		cmocka_unit_test(test_render_order),
		cmocka_unit_test(test_expo_pieces),
		cmocka_unit_test(test_render_stream_chunks),
		cmocka_unit_test(test_render_stream_past_cap),
		cmocka_unit_test(test_render_caches),
		cmocka_unit_test(test_render_interleaved),
		cmocka_unit_test(test_last_series_shortcut),
		cmocka_unit_test(test_concurrent_render),
		cmocka_unit_test(test_promtool_clean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
