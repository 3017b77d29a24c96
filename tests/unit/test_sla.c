// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sla: window edges (minute windows and hour windows), exact availability,
 * error budget and burn rates on crafted request streams, the SRE
 * workbook's multiwindow alerts, ring reuse and late adds, the service cap,
 * long names, empty windows, objective 1 and bad input.
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

#include "sla.h"

/* 2026-01-01T00:00Z in Unix minutes: a whole day, so hour and day edges are exact. */
#define T0 29453760ll

static void add(struct sla *s, const char *svc, int64_t minute, uint64_t total, uint64_t good,
		uint64_t errors)
{
	struct sla_counts c = { total, good, errors };

	assert_int_equal(sla__add(s, svc, minute, &c), 0);
}

static struct sla_counts window(struct sla *s, const char *svc, int64_t now, enum sla_window w)
{
	struct sla_counts c;
	int i = sla__find(s, svc);

	assert_true(i >= 0);
	sla__window(s, (size_t)i, now, w, &c);
	return c;
}

static void assert_counts(struct sla_counts c, uint64_t total, uint64_t good, uint64_t errors)
{
	if (c.total != total || c.good != good || c.errors != errors)
		fail_msg("counts %llu/%llu/%llu, want %llu/%llu/%llu", (unsigned long long)c.total,
			 (unsigned long long)c.good, (unsigned long long)c.errors,
			 (unsigned long long)total, (unsigned long long)good,
			 (unsigned long long)errors);
}

static void assert_near(double got, double want)
{
	if (!(fabs(got - want) <= 1e-12 * fmax(1, fabs(want))))
		fail_msg("got %.17g, want %.17g", got, want);
}

static void test_window_names(void **state)
{
	static const char *const names[] = {
		"5m", "30m", "1h", "2h", "6h", "24h", "3d", "7d", "30d"
	};
	static const uint32_t mins[] = { 5, 30, 60, 120, 360, 1440, 4320, 10080, 43200 };

	(void)state;
	for (int w = 0; w < SLA_WINDOW__COUNT; w++) {
		assert_string_equal(sla_window_name(w), names[w]);
		assert_int_equal(sla_window_minutes(w), mins[w]);
	}
	assert_string_equal(sla_window_name(SLA_WINDOW__COUNT), "unknown");
	assert_int_equal(sla_window_minutes(SLA_WINDOW__COUNT), 0);
}

/* Minute windows cover (now - W, now]: the minute W back is out, the one after it in. */
static void test_minute_window_edges(void **state)
{
	struct sla *s = sla__new(0);
	int64_t now = T0 + 5000;

	(void)state;
	add(s, "api", now, 1, 1, 0);
	add(s, "api", now - 4, 10, 9, 1); /* in 5m */
	add(s, "api", now - 5, 100, 100, 0); /* out of 5m, in 30m */
	add(s, "api", now - 29, 1000, 990, 5); /* in 30m */
	add(s, "api", now - 30, 10000, 10000, 0); /* out of 30m, in 1h */
	add(s, "api", now - 59, 7, 0, 7); /* in 1h */
	add(s, "api", now - 60, 100000, 0, 0); /* out of 1h */
	assert_counts(window(s, "api", now, SLA_5M), 11, 10, 1);
	assert_counts(window(s, "api", now, SLA_30M), 1111, 1100, 6);
	assert_counts(window(s, "api", now, SLA_1H), 11118, 11100, 13);
	assert_counts(window(s, "api", now, SLA_2H), 111118, 11100, 13);
	/* the same data seen a minute later: now - 4 and now - 59 drop out */
	assert_counts(window(s, "api", now + 1, SLA_5M), 1, 1, 0);
	assert_counts(window(s, "api", now + 1, SLA_1H), 1111 + 10000, 11100, 6);
	/* 24h is minute-exact too */
	add(s, "api", now - 1439, 3, 3, 0);
	add(s, "api", now - 1440, 1000000, 0, 0); /* 1440 back: not in 24h (and evicts nothing) */
	assert_counts(window(s, "api", now, SLA_24H), 111121, 11103, 13);
	sla__free(s);
}

/* 3d, 7d and 30d sum whole hours: the current hour and W/60 - 1 before it. */
static void test_hour_window_edges(void **state)
{
	struct sla *s = sla__new(0);
	int64_t now = T0 + 30 * 1440 + 17; /* 17 minutes into an hour */

	(void)state;
	add(s, "api", now, 1, 1, 0);
	add(s, "api", now - 17, 2, 2, 0); /* first minute of this hour */
	add(s, "api", now - 18, 4, 0, 4); /* last minute of the previous hour */
	add(s, "api", now - 17 - 167 * 60, 8, 8, 0); /* first minute of the oldest hour of 7d */
	add(s, "api", now - 18 - 167 * 60, 16, 16, 0); /* the hour before: only in 30d */
	add(s, "api", now - 17 - 719 * 60, 32, 0, 0); /* oldest hour of 30d */
	add(s, "api", now - 18 - 719 * 60, 64, 64, 0); /* 721 hours back: out */
	assert_counts(window(s, "api", now, SLA_7D), 15, 11, 4);
	assert_counts(window(s, "api", now, SLA_30D), 63, 27, 4);
	assert_counts(window(s, "api", now, SLA_3D), 7, 3, 4);
	/* 30 days on, with nothing new: every slot holds an older hour (minute) than asked */
	assert_counts(window(s, "api", now + 30 * 1440, SLA_30D), 0, 0, 0);
	assert_counts(window(s, "api", now + 1440, SLA_24H), 0, 0, 0);
	sla__free(s);
}

/* A synthetic stream whose availability, budget and burn rates are known exactly. */
static void test_stream_figures(void **state)
{
	struct sla *s = sla__new(0);
	int64_t now = T0 + 3 * 1440 + 59; /* the last minute of an hour: 30d is 43200 minutes */
	struct sla_counts c;
	double obj = 0.999;

	(void)state;
	/* 30 days, 1000 requests a minute, 1 bad per minute on average: 0.1 % exactly */
	for (int64_t m = now - 30 * 1440 + 1; m <= now; m++)
		add(s, "api", m, 1000, m % 2 ? 998 : 1000, m % 2 ? 1 : 0);
	c = window(s, "api", now, SLA_30D);
	/* half the minutes odd: 2 bad and 1 error each */
	assert_counts(c, 30 * 1440 * 1000ull, 30 * 1440 * 1000ull - 30 * 720 * 2, 30 * 720);
	assert_near(sla_availability(&c), 0.999);
	assert_near(sla_burn_rate(&c, obj), 0.001 / (1 - obj));
	assert_near(sla_budget_remaining(&c, obj), 1 - 0.001 / (1 - obj));
	assert_near(sla_error_rate(&c), 0.0005);
	c = window(s, "api", now, SLA_5M); /* now is odd: now, -2, -4 odd; -1, -3 even */
	assert_counts(c, 5000, 4994, 3);
	assert_true(sla_availability(&c) == 4994.0 / 5000.0);
	assert_near(sla_burn_rate(&c, obj), (6.0 / 5000.0) / (1 - obj));
	assert_near(sla_budget_remaining(&c, 0.99), 1 - (6.0 / 5000.0) / (1 - 0.99));
	sla__free(s);
}

static void burns(struct sla *s, int64_t now, double *b, double obj)
{
	for (int w = 0; w < SLA_WINDOW__COUNT; w++) {
		struct sla_counts c = window(s, "api", now, w);

		b[w] = sla_burn_rate(&c, obj);
	}
}

/* Page at 14.4x over 1h and 5m: both windows must burn, so a recovered service stops paging. */
static void test_alerts(void **state)
{
	struct sla *s = sla__new(0);
	int64_t now = T0 + 10000;
	double b[SLA_WINDOW__COUNT];

	(void)state;
	assert_string_equal(sla_alerts[0].severity, "page");
	assert_int_equal(sla_alerts[0].long_w, SLA_1H);
	assert_int_equal(sla_alerts[0].short_w, SLA_5M);
	assert_true(sla_alerts[0].factor == 14.4);
	assert_true(sla_alerts[1].factor == 6 && sla_alerts[1].long_w == SLA_6H &&
		    sla_alerts[1].short_w == SLA_30M);
	assert_true(sla_alerts[2].factor == 3 && sla_alerts[2].long_w == SLA_24H &&
		    sla_alerts[2].short_w == SLA_2H);
	assert_true(sla_alerts[3].factor == 1 && sla_alerts[3].long_w == SLA_3D &&
		    sla_alerts[3].short_w == SLA_6H);
	/* 2 % bad for the last hour: burn 20 everywhere up to 1h */
	for (int64_t m = now - 59; m <= now; m++)
		add(s, "api", m, 100, 98, 2);
	burns(s, now, b, 0.999);
	assert_near(b[SLA_1H], 0.02 / (1 - 0.999));
	assert_true(sla_alert_firing(&sla_alerts[0], b));
	/* 6h holds only this hour's requests: the same 20x, so the second page fires too */
	assert_near(b[SLA_6H], 0.02 / (1 - 0.999));
	assert_true(sla_alert_firing(&sla_alerts[1], b));
	assert_true(sla_alert_firing(&sla_alerts[2], b) && sla_alert_firing(&sla_alerts[3], b));
	burns(s, now, b, 0.9); /* a looser objective: 0.2x, nothing fires */
	for (int a = 0; a < SLA_ALERTS; a++)
		assert_false(sla_alert_firing(&sla_alerts[a], b));
	/* five clean minutes later the short window is clean: the page stops */
	for (int64_t m = now + 1; m <= now + 5; m++)
		add(s, "api", m, 100, 100, 0);
	burns(s, now + 5, b, 0.999);
	assert_true(b[SLA_5M] == 0);
	assert_true(b[SLA_1H] > 14.4);
	assert_false(sla_alert_firing(&sla_alerts[0], b));
	/* exactly at the factor does not fire: "faster than" */
	b[SLA_1H] = b[SLA_5M] = 14.4;
	assert_false(sla_alert_firing(&sla_alerts[0], b));
	sla__free(s);
}

/* The minute ring forgets a minute 1440 later; the hour ring still has it; late adds drop. */
static void test_ring_reuse(void **state)
{
	struct sla *s = sla__new(0);
	int64_t m0 = T0 + 100;
	struct sla_counts c;

	(void)state;
	add(s, "api", m0, 5, 5, 0);
	assert_true(sla__minute(s, 0, m0, &c));
	assert_counts(c, 5, 5, 0);
	add(s, "api", m0 + SLA_MINUTES, 7, 6, 1); /* same slot, a day later */
	assert_false(sla__minute(s, 0, m0, &c));
	assert_true(sla__minute(s, 0, m0 + SLA_MINUTES, &c));
	assert_counts(c, 7, 6, 1);
	add(s, "api", m0, 1000, 0, 0); /* too late for the minute ring, fine for the hours */
	assert_true(sla__minute(s, 0, m0 + SLA_MINUTES, &c));
	assert_counts(c, 7, 6, 1);
	assert_counts(window(s, "api", m0 + SLA_MINUTES, SLA_3D), 1012, 11, 1);
	assert_counts(window(s, "api", m0 + SLA_MINUTES, SLA_24H), 7, 6, 1);
	/* an hour 720 hours later reuses m0's hour slot; the day after m0 is still in 30d */
	add(s, "api", m0 + SLA_HOURS * 60, 1, 1, 0);
	assert_counts(window(s, "api", m0 + SLA_HOURS * 60, SLA_30D), 8, 7, 1);
	assert_false(sla__minute(s, 0, m0 + 1, &c)); /* never written */
	assert_false(sla__minute(s, 7, m0, &c)); /* no such service */
	sla__free(s);
}

static void test_service_cap(void **state)
{
	struct sla *s = sla__new(2);
	struct sla_counts c = { 10, 10, 0 };
	char name[32];

	(void)state;
	assert_int_equal(sla__add(s, "a", T0, &c), 0);
	assert_int_equal(sla__add(s, "b", T0, &c), 0);
	assert_int_equal(sla__add(s, "c", T0, &c), -ENOSPC);
	assert_int_equal(sla__add(s, "c", T0, &c), -ENOSPC);
	assert_int_equal(sla__add(s, "a", T0, &c), 0); /* known ones still count */
	assert_int_equal(sla__overflow(s), 20);
	assert_int_equal(sla__services(s), 2);
	assert_string_equal(sla__name(s, 1), "b");
	assert_null(sla__name(s, 2));
	assert_int_equal(sla__find(s, "c"), -ENOENT);
	assert_counts(window(s, "a", T0, SLA_5M), 20, 20, 0);
	sla__free(s);
	/* the full table: every service found again through the index */
	s = sla__new(0);
	for (int i = 0; i < SLA_MAX_SERVICES; i++) {
		snprintf(name, sizeof(name), "svc-%d", i);
		assert_int_equal(sla__add(s, name, T0, &c), 0);
	}
	assert_int_equal(sla__add(s, "one-more", T0, &c), -ENOSPC);
	for (int i = 0; i < SLA_MAX_SERVICES; i++) {
		snprintf(name, sizeof(name), "svc-%d", i);
		assert_int_equal(sla__find(s, name), i);
	}
	sla__free(s);
	assert_null(sla__new(SLA_MAX_SERVICES + 1));
	assert_int_equal(errno, EINVAL);
}

static void test_long_names(void **state)
{
	struct sla *s = sla__new(0);
	char a[200], b[200];

	(void)state;
	memset(a, 'x', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[150] = 'y'; /* differs only past the kept bytes: the same service */
	add(s, a, T0, 1, 1, 0);
	add(s, b, T0, 1, 1, 0);
	assert_int_equal(sla__services(s), 1);
	assert_int_equal(strlen(sla__name(s, 0)), SLA_SERVICE_MAX - 1);
	assert_counts(window(s, a, T0, SLA_5M), 2, 2, 0);
	sla__free(s);
}

static void test_empty_and_edges(void **state)
{
	struct sla *s = sla__new(0);
	struct sla_counts none = { 0 }, all_bad = { 10, 0, 10 }, c;

	(void)state;
	assert_true(isnan(sla_availability(&none)));
	assert_true(isnan(sla_error_rate(&none)));
	assert_true(sla_burn_rate(&none, 0.999) == 0);
	assert_true(sla_budget_remaining(&none, 0.999) == 1);
	assert_true(isinf(sla_burn_rate(&all_bad, 1.0)));
	assert_true(sla_burn_rate(&(struct sla_counts){ 10, 10, 0 }, 1.0) == 0);
	assert_near(sla_burn_rate(&all_bad, 0.9), 10);
	assert_near(sla_budget_remaining(&all_bad, 0.9), -9);
	/* a window over minute 0: nothing negative is read */
	add(s, "api", 0, 3, 3, 0);
	assert_counts(window(s, "api", 2, SLA_30D), 3, 3, 0);
	assert_counts(window(s, "api", 2, SLA_5M), 3, 3, 0);
	sla__window(s, 5, 2, SLA_5M, &c); /* bad index: zeros */
	assert_counts(c, 0, 0, 0);
	sla__window(s, 0, 2, SLA_WINDOW__COUNT, &c);
	assert_counts(c, 0, 0, 0);
	sla__free(s);
	sla__free(NULL);
}

static void test_bad_input(void **state)
{
	struct sla *s = sla__new(0);
	struct sla_counts ok = { 2, 1, 1 }, over = { 2, 2, 1 }, good_over = { 1, 2, 0 };

	(void)state;
	assert_int_equal(sla__add(s, "api", T0, &over), -EINVAL);
	assert_int_equal(sla__add(s, "api", T0, &good_over), -EINVAL);
	assert_int_equal(sla__add(s, "", T0, &ok), -EINVAL);
	assert_int_equal(sla__add(s, NULL, T0, &ok), -EINVAL);
	assert_int_equal(sla__add(s, "api", -1, &ok), -EINVAL);
	assert_int_equal(sla__add(s, "api", (int64_t)UINT32_MAX, &ok), -EINVAL);
	assert_int_equal(sla__add(s, "api", T0, NULL), -EINVAL);
	assert_int_equal(sla__add(NULL, "api", T0, &ok), -EINVAL);
	assert_int_equal(sla__services(s), 0);
	assert_int_equal(sla__find(s, NULL), -ENOENT);
	sla__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_names),
		cmocka_unit_test(test_minute_window_edges),
		cmocka_unit_test(test_hour_window_edges),
		cmocka_unit_test(test_stream_figures),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_ring_reuse),
		cmocka_unit_test(test_service_cap),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_empty_and_edges),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
