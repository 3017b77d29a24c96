// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * budget: status boundaries, configuration checks, zone names, calendar
 * days and day fractions across DST in Europe/Berlin, month lengths, day
 * arithmetic, and the month-end projection: exact lines, hand-computed
 * intervals, the interval's coverage on noisy trends, and the run rate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budget.h"

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900,
			 .tm_mon = mo - 1,
			 .tm_mday = d,
			 .tm_hour = h,
			 .tm_min = mi,
			 .tm_sec = s };

	return timegm(&tm);
}

static void test_defaults_names(void **state)
{
	struct budget_cfg c;

	(void)state;
	memset(&c, 0x55, sizeof(c));
	budget_cfg_defaults(&c);
	assert_true(c.daily_usd == 200 && c.monthly_usd == 3000);
	assert_true(c.daily_warn_ratio == 0.8 && c.monthly_warn_ratio == 0.9);
	assert_true(c.daily_critical_usd == 500);
	assert_string_equal(c.timezone, "UTC");
	assert_int_equal(budget_cfg_check(&c, NULL, 0), 0);
	assert_string_equal(budget_period_name(BUDGET_DAILY), "daily");
	assert_string_equal(budget_period_name(BUDGET_MONTHLY), "monthly");
	assert_string_equal(budget_period_name(BUDGET_PERIOD__COUNT), "unknown");
	assert_string_equal(budget_status_name(BUDGET_OK), "ok");
	assert_string_equal(budget_status_name(BUDGET_WARNING), "warning");
	assert_string_equal(budget_status_name(BUDGET_EXCEEDED), "exceeded");
	assert_string_equal(budget_status_name(BUDGET_CRITICAL), "critical");
	assert_string_equal(budget_status_name((enum budget_status)99), "unknown");
	assert_true(budget_limit(&c, BUDGET_DAILY) == 200);
	assert_true(budget_limit(&c, BUDGET_MONTHLY) == 3000);
}

static void test_status_boundaries(void **state)
{
	struct budget_cfg c;

	(void)state;
	budget_cfg_defaults(&c);
	assert_int_equal(budget_status_of(&c, BUDGET_DAILY, 0), BUDGET_OK);
	/* the warning line forgives 1e-12 relative (a product of doubles), not a micro-dollar */
	assert_int_equal(budget_status_of(&c, BUDGET_DAILY, 160 - 1e-6), BUDGET_OK);
	assert_int_equal(budget_status_of(&c, BUDGET_DAILY, 160 - 1e-12), BUDGET_WARNING);
	assert_int_equal(budget_status_of(&c, BUDGET_DAILY, 160), BUDGET_WARNING);
	assert_int_equal(budget_status_of(&c, BUDGET_DAILY, nextafter(200, 0)), BUDGET_WARNING);
	assert_int_equal(budget_status_of(&c, BUDGET_DAILY, 200), BUDGET_EXCEEDED);
	assert_int_equal(budget_status_of(&c, BUDGET_DAILY, nextafter(500, 0)), BUDGET_EXCEEDED);
	assert_int_equal(budget_status_of(&c, BUDGET_DAILY, 500), BUDGET_CRITICAL);
	assert_int_equal(budget_status_of(&c, BUDGET_DAILY, 1e12), BUDGET_CRITICAL);
	assert_int_equal(budget_status_of(&c, BUDGET_MONTHLY, 2699.99), BUDGET_OK);
	assert_int_equal(budget_status_of(&c, BUDGET_MONTHLY, 2700), BUDGET_WARNING);
	assert_int_equal(budget_status_of(&c, BUDGET_MONTHLY, 3000), BUDGET_EXCEEDED);
	/* monthly is never critical, however far over */
	assert_int_equal(budget_status_of(&c, BUDGET_MONTHLY, 1e12), BUDGET_EXCEEDED);

	/* 0.1 x 3 is 0.30000000000000004 in doubles: a spend of 0.3 is still the warning line */
	c.daily_usd = 3;
	c.daily_warn_ratio = 0.1;
	assert_int_equal(budget_status_of(&c, BUDGET_DAILY, 0.3), BUDGET_WARNING);
	assert_int_equal(budget_status_of(&c, BUDGET_DAILY, 0.2999), BUDGET_OK);
	/* ratio 1: the warning line is the budget itself */
	c.daily_warn_ratio = 1;
	assert_int_equal(budget_status_of(&c, BUDGET_DAILY, 3 - 1e-6), BUDGET_OK);
	assert_int_equal(budget_status_of(&c, BUDGET_DAILY, 3), BUDGET_EXCEEDED);
	/* critical equal to the budget: critical wins */
	c.daily_critical_usd = 3;
	assert_int_equal(budget_status_of(&c, BUDGET_DAILY, 3), BUDGET_CRITICAL);
}

static void expect_bad(const struct budget_cfg *c, const char *why_part)
{
	char why[128] = "";

	assert_int_equal(budget_cfg_check(c, why, sizeof(why)), -EINVAL);
	if (!strstr(why, why_part))
		fail_msg("why \"%s\" lacks \"%s\"", why, why_part);
}

static void test_cfg_check(void **state)
{
	const double bad_amounts[] = { 0, -1, NAN, INFINITY, -INFINITY };
	const double bad_ratios[] = { 0, -0.5, 1.0000001, NAN, INFINITY };
	struct budget_cfg d, c;
	char why[8];

	(void)state;
	budget_cfg_defaults(&d);
	for (size_t i = 0; i < sizeof(bad_amounts) / sizeof(*bad_amounts); i++) {
		c = d;
		c.daily_usd = bad_amounts[i];
		expect_bad(&c, "daily budget");
		c = d;
		c.monthly_usd = bad_amounts[i];
		expect_bad(&c, "monthly budget");
	}
	for (size_t i = 0; i < sizeof(bad_ratios) / sizeof(*bad_ratios); i++) {
		c = d;
		c.daily_warn_ratio = bad_ratios[i];
		expect_bad(&c, "daily warning ratio");
		c = d;
		c.monthly_warn_ratio = bad_ratios[i];
		expect_bad(&c, "monthly warning ratio");
	}
	c = d;
	c.daily_warn_ratio = 1;
	c.monthly_warn_ratio = 1e-9;
	assert_int_equal(budget_cfg_check(&c, NULL, 0), 0);
	c = d;
	c.daily_critical_usd = 199.99;
	expect_bad(&c, "critical");
	c.daily_critical_usd = INFINITY;
	expect_bad(&c, "critical");
	c.daily_critical_usd = NAN;
	expect_bad(&c, "critical");
	c.daily_critical_usd = 200;
	assert_int_equal(budget_cfg_check(&c, NULL, 0), 0);
	/* a short why buffer is cut, terminated */
	c.daily_critical_usd = 1;
	assert_int_equal(budget_cfg_check(&c, why, sizeof(why)), -EINVAL);
	assert_int_equal(strlen(why), sizeof(why) - 1);
}

static void test_zones(void **state)
{
	static const char *const good[] = { "UTC", "Europe/Berlin", "America/New_York", "Etc/GMT+5",
					    "Asia/Kolkata" };
	static const char *const bad[] = {
		"",
		"Mars/Olympus",
		"utc ",
		"/usr/share/zoneinfo/Europe/Berlin",
		"/etc/localtime",
		"../zoneinfo/UTC",
		"Europe/../UTC",
		"Europe/./Berlin",
		"Europe//Berlin",
		"Europe/Berlin/",
		"./UTC",
		"..",
		"Europe", /* a directory */
		"zone.tab", /* a file, but not a zone */
		"Europe/Berlin\n",
		"Europe/Ber lin",
		"EST5EDT,M3.2.0,M11.1.0", /* a POSIX TZ rule, not a name */
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	struct budget_cfg c;

	(void)state;
	budget_cfg_defaults(&c);
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		snprintf(c.timezone, sizeof(c.timezone), "%s", good[i]);
		if (budget_cfg_check(&c, NULL, 0))
			fail_msg("zone \"%s\" refused", good[i]);
		assert_int_equal(budget_tz_apply(good[i]), 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(c.timezone, sizeof(c.timezone), "%s", bad[i]);
		if (strlen(bad[i]) < sizeof(c.timezone))
			expect_bad(&c, "time zone");
		if (budget_tz_apply(bad[i]) != -EINVAL)
			fail_msg("zone \"%s\" applied", bad[i]);
	}
	assert_int_equal(budget_tz_apply(NULL), -EINVAL);
}

/* A refused zone leaves the one applied before in force. */
static void test_tz_refused_keeps_zone(void **state)
{
	struct budget_day d;

	(void)state;
	assert_int_equal(budget_tz_apply("Asia/Tokyo"), 0);
	assert_int_equal(budget_tz_apply("Mars/Olympus"), -EINVAL);
	/* 2026-01-31 20:00 UTC is 2026-02-01 05:00 in Tokyo */
	assert_int_equal(budget_day_of(utc(2026, 1, 31, 20, 0, 0), &d), 0);
	assert_string_equal(d.day, "2026-02-01");
	assert_true(d.day_fraction == 5.0 / 24);
	assert_int_equal(budget_tz_apply("UTC"), 0);
	assert_int_equal(budget_day_of(utc(2026, 1, 31, 20, 0, 0), &d), 0);
	assert_string_equal(d.day, "2026-01-31");
}

static void test_day_of_utc(void **state)
{
	struct budget_day d;

	(void)state;
	assert_int_equal(budget_tz_apply("UTC"), 0);
	assert_int_equal(budget_day_of(utc(2026, 3, 15, 6, 0, 0), &d), 0);
	assert_string_equal(d.day, "2026-03-15");
	assert_string_equal(d.month_first, "2026-03-01");
	assert_string_equal(d.month_last, "2026-03-31");
	assert_int_equal(d.day_of_month, 15);
	assert_int_equal(d.days_in_month, 31);
	assert_true(d.day_fraction == 0.25);
	assert_int_equal(budget_day_of(utc(2026, 3, 15, 0, 0, 0), &d), 0);
	assert_true(d.day_fraction == 0);
	assert_int_equal(budget_day_of(utc(2026, 3, 15, 23, 59, 59), &d), 0);
	assert_true(d.day_fraction == 86399.0 / 86400);
	assert_int_equal(budget_day_of(utc(2026, 1, 1, 0, 0, 0), NULL), -EINVAL);
}

static void expect_day(time_t t, const char *day, double frac)
{
	struct budget_day d;

	assert_int_equal(budget_day_of(t, &d), 0);
	assert_string_equal(d.day, day);
	if (d.day_fraction != frac)
		fail_msg("%s: fraction %.17g, want %.17g", day, d.day_fraction, frac);
}

/* Europe/Berlin: 23 h on 2026-03-29 (02:00 CET -> 03:00 CEST), 25 h on 2026-10-25. */
static void test_dst_berlin(void **state)
{
	const double h = 3600;

	(void)state;
	assert_int_equal(budget_tz_apply("Europe/Berlin"), 0);
	/* spring: local midnight is 23:00 UTC the day before */
	expect_day(utc(2026, 3, 28, 23, 0, 0), "2026-03-29", 0);
	expect_day(utc(2026, 3, 29, 1, 0, 0), "2026-03-29", 2 * h / (23 * h)); /* 03:00 CEST */
	expect_day(utc(2026, 3, 29, 10, 0, 0), "2026-03-29", 11 * h / (23 * h)); /* noon */
	expect_day(utc(2026, 3, 29, 21, 59, 59), "2026-03-29", (23 * h - 1) / (23 * h));
	expect_day(utc(2026, 3, 29, 22, 0, 0), "2026-03-30", 0);
	/* autumn: midnight 22:00 UTC the day before; 02:30 happens twice */
	expect_day(utc(2026, 10, 24, 22, 0, 0), "2026-10-25", 0);
	expect_day(utc(2026, 10, 25, 0, 30, 0), "2026-10-25", 2.5 * h / (25 * h)); /* CEST */
	expect_day(utc(2026, 10, 25, 1, 30, 0), "2026-10-25", 3.5 * h / (25 * h)); /* CET */
	expect_day(utc(2026, 10, 25, 11, 0, 0), "2026-10-25", 13 * h / (25 * h)); /* noon */
	expect_day(utc(2026, 10, 25, 22, 59, 59), "2026-10-25", (25 * h - 1) / (25 * h));
	expect_day(utc(2026, 10, 25, 23, 0, 0), "2026-10-26", 0);
	/* an ordinary day either side */
	expect_day(utc(2026, 7, 1, 4, 0, 0), "2026-07-01", 6 * h / (24 * h));
	expect_day(utc(2026, 12, 31, 22, 59, 59), "2026-12-31", (24 * h - 1) / (24 * h));
	expect_day(utc(2026, 12, 31, 23, 0, 0), "2027-01-01", 0);
	assert_int_equal(budget_tz_apply("UTC"), 0);
}

static void expect_month(int y, int m, unsigned days, const char *last)
{
	struct budget_day d;

	assert_int_equal(budget_day_of(utc(y, m, 1, 12, 0, 0), &d), 0);
	assert_int_equal(d.days_in_month, days);
	assert_string_equal(d.month_last, last);
	assert_int_equal(d.day_of_month, 1);
	assert_int_equal(budget_day_of(utc(y, m, (int)days, 12, 0, 0), &d), 0);
	assert_int_equal(d.day_of_month, days);
	assert_string_equal(d.day, last);
}

static void test_month_lengths(void **state)
{
	(void)state;
	assert_int_equal(budget_tz_apply("UTC"), 0);
	expect_month(2028, 2, 29, "2028-02-29");
	expect_month(2026, 2, 28, "2026-02-28");
	expect_month(2000, 2, 29, "2000-02-29");
	expect_month(2100, 2, 28, "2100-02-28");
	expect_month(2026, 4, 30, "2026-04-30");
	expect_month(2026, 12, 31, "2026-12-31");
	expect_month(2026, 1, 31, "2026-01-31");
	/* in Berlin, the month of 2028-02-29 23:30 UTC is already March */
	assert_int_equal(budget_tz_apply("Europe/Berlin"), 0);
	expect_day(utc(2028, 2, 29, 23, 30, 0), "2028-03-01", 0.5 / 24);
	assert_int_equal(budget_tz_apply("UTC"), 0);
}

static void test_day_minus(void **state)
{
	static const struct {
		const char *day;
		unsigned n;
		const char *want;
	} ok[] = {
		{ "2026-03-15", 0, "2026-03-15" },   { "2026-03-15", 1, "2026-03-14" },
		{ "2028-03-01", 1, "2028-02-29" },   { "2026-03-01", 1, "2026-02-28" },
		{ "2026-01-01", 1, "2025-12-31" },   { "2026-01-01", 365, "2025-01-01" },
		{ "2025-01-01", 366, "2024-01-01" }, { "2025-01-01", 367, "2023-12-31" },
		{ "2026-03-29", 27, "2026-03-02" },  { "2026-10-26", 1, "2026-10-25" },
		{ "0001-01-02", 1, "0001-01-01" },
	};
	static const char *const bad[] = {
		"2026-02-30",  "2026-13-01", "2026-00-10", "2026-1-01",	 "20260101",   "2026-01-1a",
		"2026-01-011", "",	     "abcd-ef-gh", "0000-01-01", "2026/01/01", "-026-01-01"
	};
	char out[11];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		assert_int_equal(budget_day_minus(ok[i].day, ok[i].n, out), 0);
		if (strcmp(out, ok[i].want))
			fail_msg("%s - %u = %s, want %s", ok[i].day, ok[i].n, out, ok[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (budget_day_minus(bad[i], 1, out) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
	}
	assert_int_equal(budget_day_minus(NULL, 1, out), -EINVAL);
	assert_int_equal(budget_day_minus("0001-01-01", 1, out), -EINVAL);
	assert_int_equal(budget_day_minus("2026-01-01", 4000000000u, out), -EINVAL);
}

/* ---- projection ---- */

static void test_trend_exact_line(void **state)
{
	double h[40];
	struct budget_projection p;

	(void)state;
	for (int i = 0; i < 40; i++)
		h[i] = 10 + 2 * i;
	/* 10 days; today x=10 -> 30 for half a day; x=11..15 -> 32+34+36+38+40 */
	budget_project_month(h, 10, 99, 0.5, 123, 5, &p);
	assert_string_equal(p.method, "linear_trend");
	assert_true(p.confidence == 0.95);
	assert_true(p.daily_slope == 2);
	assert_int_equal(p.days_used, 10);
	assert_true(p.projected == 123 + 15 + 180);
	assert_true(p.low == p.projected);
	assert_true(p.high == p.projected);
	/* more history than BUDGET_TREND_DAYS: the last 28 (x=12..39 -> next 90, 92) */
	budget_project_month(h, 40, 0, 0, 0, 1, &p);
	assert_int_equal(p.days_used, BUDGET_TREND_DAYS);
	assert_true(p.projected == 90 + 92);
	assert_true(p.high - p.low == 0);
	/* last day of the month, day nearly over: only the sliver of today is left */
	budget_project_month(h, 3, 0, 0.75, 50, 0, &p);
	assert_true(p.projected == 50 + 0.25 * 16);
}

/* A falling line contributes 0 per day once below zero, and never lowers the month. */
static void test_trend_clamped(void **state)
{
	const double h[] = { 30, 25, 20, 15, 10 };
	struct budget_projection p;

	(void)state;
	budget_project_month(h, 5, 0, 0, 40, 3, &p); /* x=5 -> 5, x=6 -> 0, x=7,8 -> < 0 */
	assert_string_equal(p.method, "linear_trend");
	assert_true(p.daily_slope == -5);
	assert_true(p.projected == 45);
	assert_true(p.low == 45 && p.high == 45);
	budget_project_month(h, 5, 0, 0.5, 40, 30, &p);
	assert_true(p.projected == 42.5);
}

/* Three points by hand: y = 1, 3, 2 -> a = 1.5, b = 0.5, s^2 = 1.5, xbar = 1, Sxx = 2. */
static void test_trend_interval_by_hand(void **state)
{
	const double h[] = { 1, 3, 2 };
	const double t1 = 12.7062; /* t(0.975, 1 df) */
	struct budget_projection p;

	(void)state;
	/* x=3 only, weight 1: Var = 1.5 (1 + 1/3 + 4/2) = 5 */
	budget_project_month(h, 3, 0, 0, 10, 0, &p);
	assert_true(p.daily_slope == 0.5);
	assert_true(p.projected == 13);
	assert_true(p.low == 10); /* 13 - 28.4 is below what was spent */
	assert_true(fabs(p.high - (13 + t1 * sqrt(5))) < 1e-9);
	/* x=3 weight 0.5, x=4 weight 1: sum 1.5 + 3.5; Var = 1.5 (1.25 + 2.25/3 + 16/2) = 15 */
	budget_project_month(h, 3, 0, 0.5, 100, 1, &p);
	assert_true(p.projected == 105);
	assert_true(fabs(p.high - (105 + t1 * sqrt(15))) < 1e-9);
	assert_true(p.low == 100); /* 105 - 49.2 */
}

/* Deterministic standard normal draws (xorshift64*, Box-Muller). */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static double uniform(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return ((double)((rng * 0x2545f4914f6cdd1dull) >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
	return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

/*
 * Many noisy linear histories, each with its own future drawn from the
 * same line: the 95 % interval for the rest of the month must hold the
 * true total about 95 % of the time, for every history length and
 * horizon. A missing variance term or z in place of t shows up here.
 */
static void test_trend_coverage(void **state)
{
	const int trials = 4000;
	int inside = 0;

	(void)state;
	for (int k = 0; k < trials; k++) {
		size_t n = 3 + (size_t)k % 26;
		unsigned left = (unsigned)(k * 7) % 31;
		double h[BUDGET_TREND_DAYS], f = (k % 10) / 10.0, a = 100, b = 3, sd = 8, truth;
		struct budget_projection p;

		for (size_t i = 0; i < n; i++)
			h[i] = a + b * (double)i + sd * normal();
		truth = 50 + (1 - f) * (a + b * (double)n + sd * normal());
		for (unsigned j = 1; j <= left; j++)
			truth += a + b * (double)(n + j) + sd * normal();
		budget_project_month(h, n, 0, f, 50, left, &p);
		assert_true(p.low <= p.projected && p.projected <= p.high);
		inside += p.low <= truth && truth <= p.high;
	}
	print_message("trend interval held the true total in %d of %d\n", inside, trials);
	assert_in_range(inside, trials * 935 / 1000, trials * 965 / 1000);
}

static void test_trend_noisy_one(void **state)
{
	const double h[] = { 12, 9, 15, 14, 18, 16, 21, 19, 24, 22 };
	struct budget_projection p;

	(void)state;
	/* truth from the continuing pattern: about 25, 27, 26, 29 */
	budget_project_month(h, 10, 0, 0, 200, 3, &p);
	assert_string_equal(p.method, "linear_trend");
	assert_true(p.daily_slope > 1 && p.daily_slope < 2);
	assert_true(p.high - p.low > 1);
	assert_true(p.low <= 200 + 25 + 27 + 26 + 29 && 200 + 25 + 27 + 26 + 29 <= p.high);
}

static void test_run_rate(void **state)
{
	const double h[] = { 10, 30 };
	struct budget_projection p;

	(void)state;
	/* nothing but today: pace 40 / 0.5 = 80 a day, for 0.5 + 10 days */
	budget_project_month(NULL, 0, 40, 0.5, 40, 10, &p);
	assert_string_equal(p.method, "run_rate");
	assert_true(p.confidence == 0 && p.daily_slope == 0);
	assert_int_equal(p.days_used, 1);
	assert_true(p.projected == 40 + 840);
	assert_true(p.low == 40 && p.high == 40 + 1680);
	/* today too young to count (< 0.05): the mean of 10 and 30 */
	budget_project_month(h, 2, 1000, 0.01, 1040, 3, &p);
	assert_int_equal(p.days_used, 2);
	assert_true(p.projected == 1040 + 20 * (0.99 + 3));
	/* exactly 0.05 counts */
	budget_project_month(h, 2, 5, 0.05, 45, 3, &p);
	assert_int_equal(p.days_used, 3);
	assert_true(p.projected == 45 + (10 + 30 + 5 / 0.05) / 3 * (0.95 + 3));
	/* nothing known */
	budget_project_month(NULL, 0, 3, 0.01, 3, 20, &p);
	assert_string_equal(p.method, "run_rate");
	assert_int_equal(p.days_used, 0);
	assert_true(p.projected == 3 && p.low == 3 && p.high == 3);
	/* n < 3 with a history pointer: still the run rate */
	budget_project_month(h, 1, 0, 0, 0, 9, &p);
	assert_string_equal(p.method, "run_rate");
	assert_true(p.projected == 10 * 10);
}

static void test_projection_garbage(void **state)
{
	const double h[] = { NAN, -5, INFINITY, 4 };
	struct budget_projection p;

	(void)state;
	/* read as 0, 0, 0, 4 */
	budget_project_month(h, 4, 0, NAN, -7, 0, &p);
	assert_string_equal(p.method, "linear_trend");
	assert_true(isfinite(p.projected) && isfinite(p.low) && isfinite(p.high));
	assert_true(p.projected >= 0 && p.low >= 0 && p.low <= p.projected);
	budget_project_month(h, 2, NAN, 2, 1, 5, &p); /* day_fraction 2 -> 1: no today left */
	assert_true(p.projected == 1 + 0 * 5);
	budget_project_month(h, 0, 0, 0, 0, 0, NULL); /* no crash */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_names),
		cmocka_unit_test(test_status_boundaries),
		cmocka_unit_test(test_cfg_check),
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_tz_refused_keeps_zone),
		cmocka_unit_test(test_day_of_utc),
		cmocka_unit_test(test_dst_berlin),
		cmocka_unit_test(test_month_lengths),
		cmocka_unit_test(test_day_minus),
		cmocka_unit_test(test_trend_exact_line),
		cmocka_unit_test(test_trend_clamped),
		cmocka_unit_test(test_trend_interval_by_hand),
		cmocka_unit_test(test_trend_coverage),
		cmocka_unit_test(test_trend_noisy_one),
		cmocka_unit_test(test_run_rate),
		cmocka_unit_test(test_projection_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
