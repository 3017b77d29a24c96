// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * perf: bucket edges (every duration in the bucket whose bounds hold it,
 * edges exact), quantiles of known distributions within one bucket,
 * constant and overflowing values, windows over the minute ring and its
 * reuse, threshold and error counts, merging keys, the key cap and its
 * per-kind overflow, kinds as part of the key, and bad input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "perf.h"

#define T0 29453760ll /* 2026-01-01T00:00Z in Unix minutes */
#define MS 1000000ull

static const struct perf_thresholds th[PERF_KIND__COUNT] = {
	[PERF_API] = { 1000 * MS, 3000 * MS },
	[PERF_UPSTREAM] = { 1000 * MS, 3000 * MS },
	[PERF_AGENT] = { 5000 * MS, 15000 * MS },
	[PERF_DB] = { 500 * MS, 2000 * MS },
};

/* The true quantile of sorted values (rank ceil(q n)), like perf_dist_quantile's rank. */
static double true_q(const double *sorted, size_t n, double q)
{
	size_t r = (size_t)ceil(q * (double)n);

	return sorted[(r ? r : 1) - 1];
}

/* got must lie in the bucket that holds want. */
static void assert_same_bucket(double got, double want)
{
	size_t b = perf_bucket_of((uint64_t)llround(want * 1e9));
	double lo, hi;

	perf_bucket_bounds(b, &lo, &hi);
	if (!(got >= lo && got <= hi))
		fail_msg("quantile %.9g s is not in [%.9g, %.9g], the bucket of %.9g s", got, lo,
			 hi, want);
}

static void test_bucket_edges(void **state)
{
	double lo, hi, prev_hi = 0;

	(void)state;
	for (size_t i = 0; i < PERF_BUCKETS; i++) {
		perf_bucket_bounds(i, &lo, &hi);
		assert_true(lo == prev_hi);
		assert_true(hi > lo);
		if (i + 1 < PERF_BUCKETS) {
			/* the ns around the edge: each in the bucket its value falls in */
			uint64_t e = (uint64_t)floor(hi * 1e9);

			for (uint64_t n = e - 1; n <= e + 1; n++)
				assert_int_equal(perf_bucket_of(n),
						 (double)n * 1e-9 >= hi ? i + 1 : i);
			assert_int_equal(perf_bucket_of(e + 1), i + 1);
			assert_int_equal(perf_bucket_of(e - 1), i);
			if (i > 0)
				assert_true(fabs(hi / lo - pow(2, 0.25)) < 1e-12);
		}
		prev_hi = hi;
	}
	assert_true(isinf(prev_hi));
	perf_bucket_bounds(0, &lo, &hi);
	assert_true(lo == 0 && fabs(hi - 32e-6) < 1e-18);
	assert_int_equal(perf_bucket_of(0), 0);
	assert_int_equal(perf_bucket_of(31999), 0);
	assert_int_equal(perf_bucket_of(32000), 1);
	assert_int_equal(perf_bucket_of(64000), 5); /* one octave: four buckets on */
	assert_int_equal(perf_bucket_of(UINT64_MAX), PERF_BUCKETS - 1);
	perf_bucket_bounds(PERF_BUCKETS - 1, &lo, &hi);
	assert_true(fabs(lo - 32e-6 * pow(2, 22)) < 1e-9); /* 134 s */
}

static struct perf *new_perf(void)
{
	struct perf *p = perf__new(0, th);

	assert_non_null(p);
	return p;
}

static struct perf_dist collect(struct perf *p, enum perf_kind k, const char *a, const char *b,
				int64_t now, unsigned minutes)
{
	struct perf_dist d;
	int i = perf__find(p, k, a, b);

	perf_dist_clear(&d);
	assert_true(i >= 0);
	perf__collect(p, (size_t)i, now, minutes, &d);
	return d;
}

/* 1..1000 ms, one each: quantiles within one bucket of the true ones. */
static void test_uniform(void **state)
{
	struct perf *p = new_perf();
	double v[1000];
	struct perf_dist d;
	static const double qs[] = { 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1 };

	(void)state;
	for (int i = 0; i < 1000; i++) {
		v[i] = (i + 1) * 1e-3;
		assert_int_equal(
			perf__add(p, PERF_API, "svc", "/r", T0, (uint64_t)(i + 1) * MS, false), 0);
	}
	d = collect(p, PERF_API, "svc", "/r", T0, 1);
	assert_int_equal(d.count, 1000);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		assert_same_bucket(perf_dist_quantile(&d, qs[i]), true_q(v, 1000, qs[i]));
	assert_true(perf_dist_quantile(&d, 1) <= 1.0 + 1e-12);
	assert_true(fabs(d.max_s - 1.0) < 1e-12);
	assert_true(fabs(d.sum_s - 500.5) < 1e-9);
	/* API thresholds 1 s / 3 s: only the 1000 ms request is at the warning */
	assert_int_equal(d.over_warn, 1);
	assert_int_equal(d.over_crit, 0);
	perf__free(p);
}

/* 90 % fast, 10 % slow: p50 is fast, p95 and p99 are slow and never above the largest. */
static void test_bimodal(void **state)
{
	struct perf *p = new_perf();
	struct perf_dist d;

	(void)state;
	for (int i = 0; i < 900; i++)
		perf__add(p, PERF_API, "svc", "/r", T0, 10 * MS, false);
	for (int i = 0; i < 100; i++)
		perf__add(p, PERF_API, "svc", "/r", T0, 2000 * MS, true);
	d = collect(p, PERF_API, "svc", "/r", T0, 1);
	assert_same_bucket(perf_dist_quantile(&d, 0.5), 0.010);
	assert_same_bucket(perf_dist_quantile(&d, 0.9), 0.010); /* rank 900: the last fast one */
	assert_same_bucket(perf_dist_quantile(&d, 0.901), 2.0);
	assert_same_bucket(perf_dist_quantile(&d, 0.95), 2.0);
	assert_true(perf_dist_quantile(&d, 0.99) <= 2.0);
	assert_int_equal(d.errors, 100);
	assert_int_equal(d.over_warn, 100);
	assert_int_equal(d.over_crit, 0);
	perf__free(p);
}

/* All one value: every quantile in its bucket, the top ones exactly the value. */
static void test_constant_and_overflow(void **state)
{
	struct perf *p = new_perf();
	struct perf_dist d;

	(void)state;
	for (int i = 0; i < 50; i++)
		perf__add(p, PERF_DB, "redis", "127.0.0.1:6379", T0, 700 * MS, false);
	d = collect(p, PERF_DB, "redis", "127.0.0.1:6379", T0, 1);
	assert_same_bucket(perf_dist_quantile(&d, 0.5), 0.7);
	assert_true(fabs(perf_dist_quantile(&d, 0.99) - 0.7) < 1e-12);
	assert_true(fabs(perf_dist_quantile(&d, 1) - 0.7) < 1e-12);
	assert_int_equal(d.over_warn, 50); /* db warning 500 ms */
	assert_int_equal(d.over_crit, 0);
	/* beyond the last edge (134 s): the quantile is the largest seen, not an edge */
	perf__add(p, PERF_AGENT, "svc", "planner", T0, 500000 * MS, false);
	perf__add(p, PERF_AGENT, "svc", "planner", T0, 300000 * MS, false);
	d = collect(p, PERF_AGENT, "svc", "planner", T0, 1);
	assert_true(fabs(perf_dist_quantile(&d, 0.99) - 500) < 1e-9);
	assert_int_equal(d.over_crit, 2);
	/* zero and sub-32-us durations: the first bucket */
	perf__add(p, PERF_API, "svc", "/fast", T0, 0, false);
	perf__add(p, PERF_API, "svc", "/fast", T0, 20000, false);
	d = collect(p, PERF_API, "svc", "/fast", T0, 1);
	assert_int_equal(d.b[0], 2);
	assert_true(perf_dist_quantile(&d, 1) <= 20e-6 + 1e-15);
	/* ranks are ceil(q n): of three, the median is the second */
	perf__add(p, PERF_API, "svc", "/three", T0, 1 * MS, false);
	perf__add(p, PERF_API, "svc", "/three", T0, 100 * MS, false);
	perf__add(p, PERF_API, "svc", "/three", T0, 10000 * MS, false);
	d = collect(p, PERF_API, "svc", "/three", T0, 1);
	assert_same_bucket(perf_dist_quantile(&d, 0.5), 0.1);
	assert_same_bucket(perf_dist_quantile(&d, 0.34), 0.1);
	assert_same_bucket(perf_dist_quantile(&d, 0.33), 0.001);
	assert_same_bucket(perf_dist_quantile(&d, 0), 0.001);
	perf_dist_clear(&d);
	assert_true(isnan(perf_dist_quantile(&d, 0.5)));
	d.count = 1;
	assert_true(isnan(perf_dist_quantile(&d, 1.5)));
	assert_true(isnan(perf_dist_quantile(&d, -0.1)));
	perf__free(p);
}

/* Windows are (now - W, now]; a slot is reused 60 minutes later. */
static void test_windows(void **state)
{
	struct perf *p = new_perf();
	struct perf_dist d;

	(void)state;
	perf__add(p, PERF_API, "svc", "/r", T0, 5 * MS, false);
	perf__add(p, PERF_API, "svc", "/r", T0 + 4, 5 * MS, false);
	perf__add(p, PERF_API, "svc", "/r", T0 + 5, 5 * MS, true);
	assert_int_equal(collect(p, PERF_API, "svc", "/r", T0 + 5, 5).count, 2);
	assert_int_equal(collect(p, PERF_API, "svc", "/r", T0 + 5, 6).count, 3);
	assert_int_equal(collect(p, PERF_API, "svc", "/r", T0 + 5, 1).count, 1);
	assert_int_equal(collect(p, PERF_API, "svc", "/r", T0 + 5, 0).count, 1); /* 0: 1 */
	assert_int_equal(collect(p, PERF_API, "svc", "/r", T0 + 5, 999).count, 3); /* cut at 60 */
	assert_int_equal(collect(p, PERF_API, "svc", "/r", T0 + 64, 60).count, 1);
	assert_int_equal(collect(p, PERF_API, "svc", "/r", T0 + 65, 60).count, 0);
	/* 60 minutes on, the slot of T0 is reused; a late add for T0 is then dropped */
	perf__add(p, PERF_API, "svc", "/r", T0 + 60, 7 * MS, false);
	perf__add(p, PERF_API, "svc", "/r", T0, 9 * MS, false);
	d = collect(p, PERF_API, "svc", "/r", T0 + 60, 60);
	assert_int_equal(d.count, 3);
	assert_int_equal(d.errors, 1);
	assert_true(fabs(d.max_s - 0.007) < 1e-12);
	/* reading an old minute sees nothing of the new one */
	assert_int_equal(collect(p, PERF_API, "svc", "/r", T0, 1).count, 0);
	perf__free(p);
}

/* Minutes spread over 1..12 buckets (a slot keeps 6 in place, then a
 * full array that stays for the slot's later minutes), over two turns
 * of the ring: every minute and every hour reads back bucket for
 * bucket what went in. */
static void test_sparse_slots(void **state)
{
	static uint64_t want[130][PERF_BUCKETS];
	struct perf *p = new_perf();
	struct perf_dist d, hour;

	(void)state;
	memset(want, 0, sizeof(want));
	for (int m = 0; m < 130; m++) {
		for (int j = 0; j <= m % 12; j++) {
			uint64_t ns = (uint64_t)(40000.0 * pow(1.19, 3 * j + m % 5));

			for (int r = 0; r <= j; r++) {
				assert_int_equal(perf__add(p, PERF_API, "svc", "/s", T0 + m, ns, false), 0);
				want[m][perf_bucket_of(ns)]++;
			}
		}
		d = collect(p, PERF_API, "svc", "/s", T0 + m, 1);
		assert_memory_equal(d.b, want[m], sizeof(d.b));
	}
	hour = collect(p, PERF_API, "svc", "/s", T0 + 129, 60);
	for (int m = 70; m < 130; m++)
		for (size_t i = 0; i < PERF_BUCKETS; i++)
			hour.b[i] -= want[m][i];
	for (size_t i = 0; i < PERF_BUCKETS; i++)
		assert_int_equal(hour.b[i], 0);
	perf__free(p);
}

static void test_thresholds_and_merge(void **state)
{
	struct perf *p = new_perf();
	struct perf_dist d;
	int a, b;

	(void)state;
	/* equality counts: >= */
	perf__add(p, PERF_API, "svc", "/a", T0, 1000 * MS, false);
	perf__add(p, PERF_API, "svc", "/a", T0, 3000 * MS, true);
	perf__add(p, PERF_API, "svc", "/a", T0, 999 * MS, false);
	perf__add(p, PERF_API, "svc", "/b", T0 + 1, 3001 * MS, false);
	a = perf__find(p, PERF_API, "svc", "/a");
	b = perf__find(p, PERF_API, "svc", "/b");
	assert_true(a >= 0 && b >= 0 && a != b);
	perf_dist_clear(&d);
	perf__collect(p, (size_t)a, T0 + 1, 5, &d);
	perf__collect(p, (size_t)b, T0 + 1, 5, &d);
	assert_int_equal(d.count, 4);
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.over_warn, 3);
	assert_int_equal(d.over_crit, 2);
	assert_true(fabs(d.sum_s - 8.0) < 1e-9);
	assert_true(fabs(d.max_s - 3.001) < 1e-12);
	/* without thresholds nothing is over */
	perf__free(p);
	p = perf__new(4, NULL);
	perf__add(p, PERF_API, "svc", "/a", T0, 5000 * MS, false);
	assert_int_equal(collect(p, PERF_API, "svc", "/a", T0, 1).over_warn, 0);
	perf__free(p);
}

static void test_keys_and_cap(void **state)
{
	struct perf *p = perf__new(3, th);
	enum perf_kind k;
	const char *a, *b;
	char long_a[300];

	(void)state;
	assert_int_equal(perf__add(p, PERF_API, "svc", "/x", T0, MS, false), 0);
	assert_int_equal(perf__add(p, PERF_UPSTREAM, "svc", "/x", T0, MS, false), 0);
	assert_int_equal(perf__add(p, PERF_API, "sv", "c/x", T0, MS, false), 0); /* not "svc/x" */
	assert_int_equal(perf__keys(p), 3);
	assert_int_equal(perf__add(p, PERF_DB, "redis", "h:1", T0, MS, false), -ENOSPC);
	assert_int_equal(perf__add(p, PERF_DB, "redis", "h:1", T0, MS, false), -ENOSPC);
	assert_int_equal(perf__add(p, PERF_AGENT, "svc", "x", T0, MS, false), -ENOSPC);
	assert_int_equal(perf__add(p, PERF_API, "svc", "/x", T0, MS, false), 0);
	assert_int_equal(perf__overflow(p, PERF_DB), 2);
	assert_int_equal(perf__overflow(p, PERF_AGENT), 1);
	assert_int_equal(perf__overflow(p, PERF_API), 0);
	assert_int_equal(perf__key(p, 1, &k, &a, &b), 0);
	assert_int_equal(k, PERF_UPSTREAM);
	assert_string_equal(a, "svc");
	assert_string_equal(b, "/x");
	assert_int_equal(perf__key(p, 3, &k, &a, &b), -ENOENT);
	assert_int_equal(collect(p, PERF_API, "svc", "/x", T0, 1).count, 2);
	assert_int_equal(perf__find(p, PERF_DB, "redis", "h:1"), -ENOENT);
	perf__free(p);
	/* long parts are cut; names equal up to the cut are one key */
	p = perf__new(0, th);
	memset(long_a, 'a', sizeof(long_a) - 1);
	long_a[sizeof(long_a) - 1] = '\0';
	perf__add(p, PERF_API, long_a, "/r", T0, MS, false);
	long_a[200] = 'b';
	perf__add(p, PERF_API, long_a, "/r", T0, MS, false);
	assert_int_equal(perf__keys(p), 1);
	perf__key(p, 0, NULL, &a, NULL);
	assert_int_equal(strlen(a), PERF_NAME_MAX - 1);
	/* a full table still finds every key */
	perf__free(p);
	p = perf__new(0, th);
	for (int i = 0; i < PERF_MAX_KEYS; i++) {
		snprintf(long_a, sizeof(long_a), "/route/%d", i);
		assert_int_equal(perf__add(p, PERF_API, "svc", long_a, T0, MS, false), 0);
	}
	for (int i = 0; i < PERF_MAX_KEYS; i++) {
		snprintf(long_a, sizeof(long_a), "/route/%d", i);
		assert_int_equal(perf__find(p, PERF_API, "svc", long_a), i);
	}
	assert_int_equal(perf__add(p, PERF_API, "svc", "/one-more", T0, MS, false), -ENOSPC);
	perf__free(p);
	assert_null(perf__new(PERF_MAX_KEYS + 1, th));
	perf__free(NULL);
}

static void test_bad_input(void **state)
{
	struct perf *p = new_perf();

	(void)state;
	assert_int_equal(perf__add(p, PERF_KIND__COUNT, "a", "b", T0, MS, false), -EINVAL);
	assert_int_equal(perf__add(p, PERF_API, NULL, "b", T0, MS, false), -EINVAL);
	assert_int_equal(perf__add(p, PERF_API, "a", NULL, T0, MS, false), -EINVAL);
	assert_int_equal(perf__add(p, PERF_API, "a", "b", -1, MS, false), -EINVAL);
	assert_int_equal(perf__add(NULL, PERF_API, "a", "b", T0, MS, false), -EINVAL);
	assert_int_equal(perf__keys(p), 0);
	assert_string_equal(perf_kind_name(PERF_DB), "db");
	assert_string_equal(perf_kind_name(PERF_KIND__COUNT), "unknown");
	perf__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_edges), cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_bimodal),	     cmocka_unit_test(test_constant_and_overflow),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_sparse_slots),	     cmocka_unit_test(test_thresholds_and_merge),
		cmocka_unit_test(test_keys_and_cap), cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
