/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Service level objectives from counted requests: per service, per minute
 * good/total/error counts in two rings (minutes for windows up to a day,
 * hours for windows up to 30 days), availability over a window, error
 * budget remaining, burn rates and the multiwindow burn-rate alerts of the
 * Google SRE workbook. Time is whole Unix minutes passed in by the caller,
 * so the arithmetic is exact and testable. Pure and single-threaded: no
 * I/O, no locks, no clock.
 */
#ifndef BT_SLA_H
#define BT_SLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Minute buckets kept: windows up to one day are minute-exact. */
#define SLA_MINUTES 1440
/* Hour buckets kept: windows of 3 d, 7 d and 30 d sum whole hours. */
#define SLA_HOURS 720
/* Bytes of a service name kept, NUL included (longer names are cut). */
#define SLA_SERVICE_MAX 64
/* Services tracked at most; further services are counted, not tracked. */
#define SLA_MAX_SERVICES 256

enum sla_window {
	SLA_5M,
	SLA_30M,
	SLA_1H,
	SLA_2H,
	SLA_6H,
	SLA_24H,
	SLA_3D,
	SLA_7D,
	SLA_30D,
	SLA_WINDOW__COUNT
};
const char *
sla_window_name(enum sla_window w); /* "5m" "30m" "1h" "2h" "6h" "24h" "3d" "7d" "30d" */
uint32_t sla_window_minutes(enum sla_window w);

/* good: not 5xx and under the latency target; errors: 5xx. good + errors <= total. */
struct sla_counts {
	uint64_t total, good, errors;
};

struct sla;
/* max_services 1..SLA_MAX_SERVICES (0: SLA_MAX_SERVICES). NULL + errno. */
struct sla *sla__new(size_t max_services);
void sla__free(struct sla *s); /* NULL-safe */

/*
 * Adds c to service's bucket of Unix minute `minute`. A minute older than
 * its ring still keeps (the minute ring holds the last SLA_MINUTES minutes
 * seen, the hour ring the last SLA_HOURS hours) is dropped for that ring.
 * 0; -ENOSPC when the service is new and the cap is reached (counted);
 * -EINVAL on NULL, an empty service or good + errors > total.
 */
int sla__add(struct sla *s, const char *service, int64_t minute, const struct sla_counts *c);
/* Services tracked, in order of arrival (indices stay valid). */
size_t sla__services(const struct sla *s);
const char *sla__name(const struct sla *s, size_t i);
/* Index of service, or -ENOENT. */
int sla__find(const struct sla *s, const char *service);
/* Requests of services that did not fit the cap. */
uint64_t sla__overflow(const struct sla *s);

/*
 * Counts of service i over window w ending with minute now (included):
 * minutes (now - W, now] for windows up to one day, else hours
 * (hour(now) - W/60, hour(now)]. Zero counts for a bad index.
 */
void sla__window(const struct sla *s, size_t i, int64_t now, enum sla_window w,
		 struct sla_counts *out);
/* One minute's counts of service i; false when the minute is not in the ring (or empty). */
bool sla__minute(const struct sla *s, size_t i, int64_t minute, struct sla_counts *out);

/* good/total; NaN when total is 0 (no requests: undefined). */
double sla_availability(const struct sla_counts *c);
/* Error rate (5xx share); NaN when total is 0. */
double sla_error_rate(const struct sla_counts *c);
/*
 * (bad/total) / (1 - objective): 1 spends the budget exactly at the end of
 * the period. 0 without requests; +inf for objective 1 with a bad request.
 */
double sla_burn_rate(const struct sla_counts *c, double objective);
/*
 * Share of the error budget of the period c covers that is left:
 * 1 - bad / ((1 - objective) * total). 1 without requests; negative once
 * overspent (-inf for objective 1 with a bad request).
 */
double sla_budget_remaining(const struct sla_counts *c, double objective);

/* A multiwindow burn-rate alert: fires when both windows burn faster than factor. */
struct sla_alert {
	const char *severity; /* page or ticket */
	enum sla_window long_w, short_w;
	double factor;
};
#define SLA_ALERTS 4
/* The SRE workbook's: page 14.4x (1h, 5m) and 6x (6h, 30m); ticket 3x (24h, 2h), 1x (3d, 6h). */
extern const struct sla_alert sla_alerts[SLA_ALERTS];
/* burn: per window (sla_burn_rate of each). */
bool sla_alert_firing(const struct sla_alert *a, const double burn[SLA_WINDOW__COUNT]);

#endif
