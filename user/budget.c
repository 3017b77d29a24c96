// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Budget arithmetic. Kept apart from the ledger and the API so the money
 * rules (where "warning" starts, what a month-end projection claims and
 * how sure it is) are plain functions that tests can pin down exactly.
 * Days are the budget zone's calendar days, which glibc knows through TZ;
 * the zone is checked here first because glibc silently uses UTC for a
 * name it cannot load, which would shift every day boundary unnoticed.
 */
#include "budget.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZONEINFO "/usr/share/zoneinfo/"
/* The run rate counts today's pace only after this much of the day: earlier
 * a few calls at 00:10 would extrapolate to an absurd daily figure. */
#define MIN_TODAY_FRACTION 0.05
/* warn_ratio x budget is a product of doubles: a spend the user wrote as
 * exactly that figure (160 of 200 at 0.8) must not miss it by one ulp. */
#define RATIO_SLACK 1e-12

void budget_cfg_defaults(struct budget_cfg *c)
{
	*c = (struct budget_cfg){
		.daily_usd = 200,
		.monthly_usd = 3000,
		.daily_warn_ratio = 0.8,
		.monthly_warn_ratio = 0.9,
		.daily_critical_usd = 500,
		.timezone = "UTC",
	};
}

/* ---- zones ---- */

/* A relative name inside the zoneinfo tree: no "", "." or ".." component, tame bytes. */
static bool zone_name_ok(const char *tz, size_t max)
{
	size_t n = strnlen(tz, max), seg = 0;

	if (n == 0 || n >= max || tz[0] == '/')
		return false;
	for (size_t i = 0; i <= n; i++) {
		char ch = tz[i];

		if (ch == '/' || ch == '\0') {
			if (seg == 0 || (seg == 1 && tz[i - 1] == '.') ||
			    (seg == 2 && tz[i - 1] == '.' && tz[i - 2] == '.'))
				return false;
			seg = 0;
			continue;
		}
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || strchr("_-+.", ch)))
			return false;
		seg++;
	}
	return true;
}

/* A compiled zone file (TZif magic): directories and zone.tab-like files are not zones. */
static bool zone_file_ok(const char *tz)
{
	char path[sizeof(ZONEINFO) + 64], magic[4];
	bool ok;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), ZONEINFO "%s", tz) >= sizeof(path))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
	     !memcmp(magic, "TZif", sizeof(magic));
	close(fd);
	return ok;
}

static bool zone_ok(const char *tz)
{
	const size_t max = sizeof(((struct budget_cfg *)0)->timezone);

	if (!tz)
		return false;
	if (!strcmp(tz, "UTC"))
		return true; /* glibc knows it without a file */
	return zone_name_ok(tz, max) && zone_file_ok(tz);
}

int budget_tz_apply(const char *tz)
{
	if (!zone_ok(tz))
		return -EINVAL;
	if (setenv("TZ", tz, 1))
		return -errno;
	tzset();
	return 0;
}

/* ---- configuration and status ---- */

static bool positive(double v)
{
	return isfinite(v) && v > 0;
}

static bool ratio_ok(double r)
{
	return r > 0 && r <= 1; /* false for NaN */
}

int budget_cfg_check(const struct budget_cfg *c, char *why, size_t whylen)
{
	const char *bad = NULL;

	if (!positive(c->daily_usd))
		bad = "daily budget must be a number above 0";
	else if (!positive(c->monthly_usd))
		bad = "monthly budget must be a number above 0";
	else if (!ratio_ok(c->daily_warn_ratio))
		bad = "daily warning ratio must be in (0, 1]";
	else if (!ratio_ok(c->monthly_warn_ratio))
		bad = "monthly warning ratio must be in (0, 1]";
	else if (!isfinite(c->daily_critical_usd) || c->daily_critical_usd < c->daily_usd)
		bad = "daily critical level must be at least the daily budget";
	else if (!zone_ok(c->timezone))
		bad = "unknown time zone (UTC or a name under " ZONEINFO ")";
	if (!bad)
		return 0;
	if (why && whylen)
		snprintf(why, whylen, "%s", bad);
	return -EINVAL;
}

const char *budget_period_name(enum budget_period p)
{
	return p == BUDGET_DAILY ? "daily" : p == BUDGET_MONTHLY ? "monthly" : "unknown";
}

const char *budget_status_name(enum budget_status s)
{
	static const char *const names[BUDGET_STATUS__COUNT] = { "ok", "warning", "exceeded",
								 "critical" };

	return (unsigned)s < BUDGET_STATUS__COUNT ? names[s] : "unknown";
}

double budget_limit(const struct budget_cfg *c, enum budget_period p)
{
	return p == BUDGET_DAILY ? c->daily_usd : c->monthly_usd;
}

enum budget_status budget_status_of(const struct budget_cfg *c, enum budget_period p, double spend)
{
	double limit = budget_limit(c, p);
	double ratio = p == BUDGET_DAILY ? c->daily_warn_ratio : c->monthly_warn_ratio;
	double warn = ratio * limit;

	if (p == BUDGET_DAILY && spend >= c->daily_critical_usd)
		return BUDGET_CRITICAL;
	if (spend >= limit)
		return BUDGET_EXCEEDED;
	if (spend >= warn - fabs(warn) * RATIO_SLACK)
		return BUDGET_WARNING;
	return BUDGET_OK;
}

/* ---- calendar ---- */

static unsigned month_days(int y, int m)
{
	static const unsigned char len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : len[m - 1];
}

/* Callers pass a real date of years 1..9999; the modulos only bound the text. */
static void day_str(char out[11], int y, int m, int d)
{
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000, (unsigned)m % 100,
		 (unsigned)d % 100);
}

/* Seconds of the local day holding tm (23 h or 25 h across DST); since its start in *since. */
static double local_day(const struct tm *tm, time_t t, double *since)
{
	struct tm a = *tm, b = *tm;
	time_t start, next;

	a.tm_hour = a.tm_min = a.tm_sec = 0;
	a.tm_isdst = -1;
	b.tm_hour = b.tm_min = b.tm_sec = 0;
	b.tm_mday++;
	b.tm_isdst = -1;
	start = mktime(&a);
	next = mktime(&b);
	*since = difftime(t, start);
	if (start == (time_t)-1 || next == (time_t)-1 || next <= start)
		return 86400; /* a zone whose midnight does not exist: good enough */
	return difftime(next, start);
}

int budget_day_of(time_t t, struct budget_day *out)
{
	struct tm tm;
	double len, since, f;
	int y, m;

	if (!out || !localtime_r(&t, &tm) || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999)
		return -EINVAL;
	y = tm.tm_year + 1900;
	m = tm.tm_mon + 1;
	out->day_of_month = (unsigned)tm.tm_mday;
	out->days_in_month = month_days(y, m);
	day_str(out->day, y, m, tm.tm_mday);
	day_str(out->month_first, y, m, 1);
	day_str(out->month_last, y, m, (int)out->days_in_month);
	len = local_day(&tm, t, &since);
	f = since / len;
	out->day_fraction = f < 0 ? 0 : f >= 1 ? nextafter(1, 0) : f;
	return 0;
}

static bool parse_day(const char *s, int *y, int *m, int *d)
{
	char tail;

	if (!s || strnlen(s, 11) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	}
	if (sscanf(s, "%4d-%2d-%2d%c", y, m, d, &tail) != 3)
		return false;
	return *y >= 1 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= (int)month_days(*y, *m);
}

/*
 * Calendar arithmetic through timegm/gmtime_r at noon: the day before a
 * day is the same in every zone, and UTC has no DST or skipped days that
 * mktime in the local zone could trip over.
 */
int budget_day_minus(const char *day, unsigned n, char out[11])
{
	struct tm tm = { 0 };
	time_t t;
	int y, m, d;

	if (!out || !parse_day(day, &y, &m, &d) || n > 4000000)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d - (int)n;
	tm.tm_hour = 12;
	t = timegm(&tm);
	if (t == (time_t)-1 || !gmtime_r(&t, &tm) || tm.tm_year + 1900 < 1)
		return -EINVAL;
	day_str(out, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	return 0;
}

/* ---- projection ---- */

/* Student t quantile at 0.975 for df degrees of freedom (1.96 beyond 30). */
static double t975(size_t df)
{
	static const double q[30] = { 12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469,
				      2.3646,  2.3060, 2.2622, 2.2281, 2.2010, 2.1788,
				      2.1604,  2.1448, 2.1314, 2.1199, 2.1098, 2.1009,
				      2.0930,  2.0860, 2.0796, 2.0739, 2.0687, 2.0639,
				      2.0595,  2.0555, 2.0518, 2.0484, 2.0452, 2.0423 };

	return df >= 1 && df <= 30 ? q[df - 1] : 1.96;
}

/* A daily figure as the arithmetic may use it: spend is never negative or NaN. */
static double clean(double v)
{
	return isfinite(v) && v > 0 ? v : 0;
}

struct line {
	double a, b; /* y = a + b x */
	double xbar, sxx, s2; /* s2: residual variance, SSR / (n - 2) */
};

static void ols(const double *y, size_t n, struct line *L)
{
	double ybar = 0, sxy = 0, ssr = 0;

	L->xbar = (double)(n - 1) / 2;
	L->sxx = 0;
	for (size_t i = 0; i < n; i++)
		ybar += clean(y[i]);
	ybar /= (double)n;
	for (size_t i = 0; i < n; i++) {
		double dx = (double)i - L->xbar;

		L->sxx += dx * dx;
		sxy += dx * (clean(y[i]) - ybar);
	}
	L->b = sxy / L->sxx;
	L->a = ybar - L->b * L->xbar;
	for (size_t i = 0; i < n; i++) {
		double r = clean(y[i]) - (L->a + L->b * (double)i);

		ssr += r * r;
	}
	L->s2 = ssr / (double)(n - 2);
}

/*
 * The trend: future days j are x = n (today, weight 1 - f for its rest)
 * and n+1 .. n+days_left (weight 1). The sum of w_j (a + b x_j) has the
 * prediction variance s^2 (sum w_j^2 + (sum w_j)^2 / n +
 * (sum w_j (x_j - xbar))^2 / Sxx): new noise on each day, plus the
 * uncertainty of the line's level and of its slope.
 */
static void project_trend(const double *y, size_t n, double f, double month_spend,
			  unsigned days_left, struct budget_projection *out)
{
	double sum = 0, w_sum = 0, w2_sum = 0, wdx_sum = 0, var, half;
	struct line L;

	ols(y, n, &L);
	for (unsigned j = 0; j <= days_left; j++) {
		double x = (double)n + j, w = j == 0 ? 1 - f : 1, pred = L.a + L.b * x;

		sum += w * (pred > 0 ? pred : 0);
		w_sum += w;
		w2_sum += w * w;
		wdx_sum += w * (x - L.xbar);
	}
	var = L.s2 * (w2_sum + w_sum * w_sum / (double)n + wdx_sum * wdx_sum / L.sxx);
	half = t975(n - 2) * sqrt(var);
	out->projected = month_spend + sum;
	out->low = fmax(month_spend, out->projected - half);
	out->high = out->projected + half;
	out->confidence = 0.95;
	out->daily_slope = L.b;
	out->days_used = n;
	out->method = "linear_trend";
}

/* Fewer than 3 days: the mean of the days known, today's pace counted once it means something. */
static void project_run_rate(const double *y, size_t n, double today, double f, double month_spend,
			     unsigned days_left, struct budget_projection *out)
{
	double total = 0, rest = 0;
	size_t known = n;

	for (size_t i = 0; i < n; i++)
		total += clean(y[i]);
	if (f >= MIN_TODAY_FRACTION) {
		total += clean(today) / f;
		known++;
	}
	if (known)
		rest = total / (double)known * ((1 - f) + days_left);
	out->projected = month_spend + rest;
	out->low = month_spend;
	out->high = month_spend + 2 * rest;
	out->confidence = 0;
	out->daily_slope = 0;
	out->days_used = known;
	out->method = "run_rate";
}

void budget_project_month(const double *history, size_t n, double today_spend, double day_fraction,
			  double month_spend, unsigned days_left, struct budget_projection *out)
{
	double f = isfinite(day_fraction) ? fmin(fmax(day_fraction, 0), 1) : 0;

	if (!out)
		return;
	if (!history)
		n = 0;
	if (n > BUDGET_TREND_DAYS) {
		history += n - BUDGET_TREND_DAYS; /* the most recent days */
		n = BUDGET_TREND_DAYS;
	}
	month_spend = clean(month_spend);
	if (n >= 3)
		project_trend(history, n, f, month_spend, days_left, out);
	else
		project_run_rate(history, n, today_spend, f, month_spend, days_left, out);
}
