/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What health.c (aggregates, status, history writes) and health_api.c
 * (REST) share. Not for other modules: they use health.h.
 */
#ifndef BT_HEALTH_INT_H
#define BT_HEALTH_INT_H

#include <pthread.h>

#include "health.h"
#include "healthstore.h"
#include "perf.h"
#include "sla.h"

#define HEALTH_ROUTES 10
#define HEALTH_REASONS_MAX 16
#define HEALTH_REASON_LEN 192
#define HEALTH_PERF_WINDOW_MIN 5 /* default window of the performance views, minutes */
#define NS_PER_S 1000000000ll
#define NS_PER_MS 1000000ll

enum health_status { HEALTH_HEALTHY, HEALTH_DEGRADED, HEALTH_UNHEALTHY, HEALTH_STATUS__COUNT };
const char *health_status_name(enum health_status s); /* healthy, degraded, unhealthy */

struct health_verdict {
	enum health_status status;
	size_t n; /* reasons */
	char reasons[HEALTH_REASONS_MAX][HEALTH_REASON_LEN];
};

struct health_comp {
	char name[64];
	struct check_result r;
};

/* One service's SLA view at one minute. */
struct health_sla_fig {
	struct sla_counts c[SLA_WINDOW__COUNT];
	double burn[SLA_WINDOW__COUNT];
	bool firing[SLA_ALERTS];
	double budget; /* remaining over 30 d */
	double error_rate; /* 5xx share over 1 h; NaN without requests */
	double p95_s; /* served requests over 1 h; NaN without */
	bool avail_ok, error_ok, p95_ok, compliant;
};

struct health {
	pthread_mutex_t lock; /* everything below that changes after health__new */
	struct health_opts o;
	char db_path[512];
	struct metrics *m;
	int f_avail, f_budget, f_burn, f_status, f_store_err, f_untracked;
	struct sla *sla;
	struct perf *perf;
	struct health_comp comp[CHECKS_MAX];
	size_t n_comp;
	uint64_t comp_dropped;
	struct sysres_snapshot sys;
	bool have_sys;
	bool self_ok;
	char self_why[128];
	/* totals since start, and their values at the last snapshot */
	uint64_t served, served_err, llm, db, snap_served, snap_err, snap_llm, snap_db;
	int64_t start_ms, last_snap_ms, next_snap_ms, next_gauges_ms, next_sweep_ms, next_open_ms;
	int64_t flushed_min; /* the oldest minute that may hold counts not yet stored */
	enum health_status last;
	bool last_known;
	struct healthstore *store; /* NULL while the file cannot be opened; then set once */
	uint64_t store_log_ns;
	struct api_route routes[HEALTH_ROUTES];
};

int64_t health_now_ms(const struct health *h);
/* Lock held. */
void health_verdict(struct health *h, int64_t now_ms, struct health_verdict *v);
void health_sla_figures(struct health *h, size_t svc, int64_t now_min, struct health_sla_fig *f);
/* Merges the perf keys of kind k (and service a, NULL: any) over the window into d. */
void health_perf_merge(struct health *h, enum perf_kind k, const char *a, int64_t now_min,
		       unsigned minutes, struct perf_dist *d);
/* Seconds a window of `minutes` ending now covers, never more than the observer has run. */
double health_window_s(const struct health *h, int64_t now_ms, unsigned minutes);
/* Resource level of one ratio against warn/crit; -1 when not measured. */
int health_level(double ratio, double warn, double crit);
const char *health_level_name(int level); /* ok, warning, critical, unknown */
/* The store when open (no lock needed: set once, freed with h). */
struct healthstore *health_store(struct health *h);
/* Counts and logs a store failure (rate-limited). */
void health_store_error(struct health *h, const char *op, int err);

void health_api_routes(struct health *h);

#endif
