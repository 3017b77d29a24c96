/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Budget arithmetic: the status of a period's spend against its budget,
 * the month-end projection from the trend of daily spend, and calendar
 * days in the budget's time zone. Pure: figures in, figures out; the
 * zone is the process's (budget_tz_apply).
 */
#ifndef BT_BUDGET_H
#define BT_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct budget_cfg {
	double daily_usd, monthly_usd; /* > 0 */
	double daily_warn_ratio, monthly_warn_ratio; /* (0, 1] */
	double daily_critical_usd; /* >= daily_usd */
	char timezone[64]; /* IANA name such as UTC or Europe/Berlin */
};

void budget_cfg_defaults(struct budget_cfg *c); /* 200, 3000, 0.8, 0.9, 500, UTC */
/* 0 or -EINVAL with the reason in why (ratios, critical below daily, unknown zone). */
int budget_cfg_check(const struct budget_cfg *c, char *why, size_t whylen);

enum budget_period { BUDGET_DAILY, BUDGET_MONTHLY, BUDGET_PERIOD__COUNT };
enum budget_status {
	BUDGET_OK,
	BUDGET_WARNING,
	BUDGET_EXCEEDED,
	BUDGET_CRITICAL,
	BUDGET_STATUS__COUNT
};

const char *budget_period_name(enum budget_period p); /* daily, monthly */
const char *budget_status_name(enum budget_status s); /* ok, warning, exceeded, critical */
double budget_limit(const struct budget_cfg *c, enum budget_period p);
/* ok below warn_ratio x budget; warning from there; exceeded from the budget on;
 * critical (daily only) from daily_critical_usd on. */
enum budget_status budget_status_of(const struct budget_cfg *c, enum budget_period p, double spend);

/* Calendar facts of a Unix time in a zone. */
struct budget_day {
	char day[11]; /* YYYY-MM-DD */
	char month_first[11]; /* YYYY-MM-01 */
	char month_last[11]; /* YYYY-MM-DD of the month's last day */
	unsigned day_of_month; /* 1.. */
	unsigned days_in_month;
	double day_fraction; /* of today elapsed, [0, 1) (DST days have 23 or 25 h) */
};
/*
 * Makes tz the process's local zone (TZ, tzset). glibc falls back to UTC
 * silently on a name it cannot find, so the zone file is checked first:
 * -EINVAL for a name outside /usr/share/zoneinfo (UTC always works). Call
 * once at start, before threads: the zone is process-wide (logs use UTC
 * and are unaffected).
 */
int budget_tz_apply(const char *tz);
/* Calendar facts of t in the applied zone; 0 or -EINVAL. Thread-safe. */
int budget_day_of(time_t t, struct budget_day *out);
/* The day n days before day ("YYYY-MM-DD"); 0 or -EINVAL. */
int budget_day_minus(const char *day, unsigned n, char out[11]);

/*
 * Month-end projection. history: spend of the complete days before today,
 * oldest first, the last of them yesterday (up to BUDGET_TREND_DAYS; they
 * may reach into the previous month); today_spend and day_fraction: today
 * so far; month_spend: this month so far, today included; days_left: whole
 * days after today in this month. Method (docs/costs.md): with at least 3
 * days of history, an ordinary least-squares line through the daily
 * spend, extended over the rest of today and the days left, with a
 * 95 % prediction interval for the sum of those days (Student t, n-2
 * degrees of freedom); with fewer, the run rate (mean of the days known,
 * today's pace today_spend / day_fraction included once day_fraction >=
 * 0.05) with low = month_spend and high = month_spend + 2 x the projected
 * remainder. Never below month_spend; a line falling below 0 contributes 0
 * per day. More than BUDGET_TREND_DAYS of history: the most recent are used.
 */
#define BUDGET_TREND_DAYS 28
struct budget_projection {
	double projected, low, high; /* USD at month end */
	double confidence; /* 0.95 for the trend, 0 for the run rate */
	double daily_slope; /* USD per day per day (trend), 0 for the run rate */
	size_t days_used; /* history days (trend); days in the mean, today included (run rate) */
	const char *method; /* "linear_trend" or "run_rate" */
};
void budget_project_month(const double *history, size_t n, double today_spend, double day_fraction,
			  double month_spend, unsigned days_left, struct budget_projection *out);

#endif
