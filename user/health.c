// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Health from what the observer already sees. The capture loop feeds
 * requests, LLM calls and database operations into per-minute SLA counts
 * (sla.c) and latency distributions (perf.c); the checks runner and the
 * main loop feed component results, host resources and the observer's own
 * state. The status is decided from those on demand (so /health is never
 * stale) and on every tick (so each change is logged and stored). History
 * goes to SQLite once per history interval, off the per-request path; a
 * store that cannot be opened or written is logged and counted and
 * everything else keeps working.
 */
#include "clock_ns.h"
#include "health_int.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "biothings/events.h"
#include "log.h"
#include "logfmt.h"
#include "metrics.h"

#define GAUGE_PERIOD_MS 5000 /* SLA gauges are recomputed this often */
#define SWEEP_PERIOD_MS (3600ll * 1000) /* retention runs hourly */
#define REOPEN_PERIOD_MS (60ll * 1000) /* a store that failed to open is retried */
#define STORE_LOG_NS (60ull * 1000000000ull)
#define SLA_KEEP_MIN ((int64_t)SLA_HOURS * 60) /* minutes the SLA needs after a restart */

static const char *const status_names[HEALTH_STATUS__COUNT] = { "healthy", "degraded",
								"unhealthy" };
static const char *const level_names[] = { "ok", "warning", "critical" };

const char *health_status_name(enum health_status s)
{
	return (unsigned)s < HEALTH_STATUS__COUNT ? status_names[s] : "unknown";
}

const char *health_level_name(int level)
{
	return level >= 0 && level <= 2 ? level_names[level] : "unknown";
}

/* Per request: which minute it falls in needs no more than the last tick. */
static int64_t realtime_ns(void)
{
	return (int64_t)wall_coarse_ns();
}

int64_t health_now_ms(const struct health *h)
{
	return h->o.clock_ns() / NS_PER_MS;
}

static int64_t minute_of(int64_t ms)
{
	return ms >= 0 ? ms / 60000 : 0;
}

struct healthstore *health_store(struct health *h)
{
	return __atomic_load_n(&h->store, __ATOMIC_ACQUIRE);
}

/* At most one store complaint a minute; the counter has them all. */
static bool store_log_due(struct health *h)
{
	bool due;

	pthread_mutex_lock(&h->lock);
	due = log_every(&h->store_log_ns, STORE_LOG_NS);
	pthread_mutex_unlock(&h->lock);
	return due;
}

void health_store_error(struct health *h, const char *op, int err)
{
	const char *lv[] = { op, NULL };

	metrics__add(h->m, h->f_store_err, lv, 1);
	if (store_log_due(h))
		log_error("health store %s failed path=%s err=\"%s\"%s", op, h->db_path,
			  strerror(err),
			  err == ENOSPC ? " (disk full: history is not being kept)" :
			  err == EROFS	? " (read-only: history is not being kept)" :
					  "");
}

/* ---- feeds ---- */

static uint64_t ns_of(double s)
{
	return s > 0 && s < 1e9 ? (uint64_t)(s * 1e9) : 0;
}

static const char *name_or(const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

void health__request(struct health *h, const char *service, const char *route, int role,
		     uint16_t status, double duration_s)
{
	uint64_t ns = ns_of(duration_s);
	bool err = status >= 500;
	struct sla_counts c = { 1, 0, err };
	int64_t min;

	if (!h)
		return;
	c.good = !err && ns < h->o.sla_latency_ns;
	min = minute_of(health_now_ms(h));
	service = name_or(service, "unknown");
	route = name_or(route, "/");
	pthread_mutex_lock(&h->lock);
	if (role == BT_ROLE_SERVER) {
		sla__add(h->sla, service, min, &c);
		perf__add(h->perf, PERF_API, service, route, min, ns, err);
		h->served++;
		h->served_err += err;
	} else {
		perf__add(h->perf, PERF_UPSTREAM, service, route, min, ns, err);
	}
	pthread_mutex_unlock(&h->lock);
}

void health__llm(struct health *h, const char *service, const char *agent, double duration_s,
		 bool ok)
{
	int64_t min;

	if (!h)
		return;
	min = minute_of(health_now_ms(h));
	pthread_mutex_lock(&h->lock);
	perf__add(h->perf, PERF_AGENT, name_or(service, "unknown"), name_or(agent, "unknown"), min,
		  ns_of(duration_s), !ok);
	h->llm++;
	pthread_mutex_unlock(&h->lock);
}

void health__db(struct health *h, const char *service, const char *system, const char *server,
		double duration_s, const char *error_type)
{
	int64_t min;

	(void)service; /* per database server: what every client of it sees */
	if (!h)
		return;
	min = minute_of(health_now_ms(h));
	pthread_mutex_lock(&h->lock);
	perf__add(h->perf, PERF_DB, name_or(system, "unknown"), name_or(server, "unknown"), min,
		  ns_of(duration_s), error_type && *error_type);
	h->db++;
	pthread_mutex_unlock(&h->lock);
}

void health__component(struct health *h, const char *name, const struct check_result *r)
{
	size_t i;

	if (!h || !name || !*name || !r)
		return;
	pthread_mutex_lock(&h->lock);
	/* compared as stored: a name longer than kept is still one component */
	for (i = 0; i < h->n_comp && strncmp(h->comp[i].name, name, sizeof(h->comp[i].name) - 1);
	     i++)
		;
	if (i == h->n_comp && i < CHECKS_MAX) {
		snprintf(h->comp[i].name, sizeof(h->comp[i].name), "%s", name);
		h->n_comp++;
	}
	if (i < h->n_comp) {
		h->comp[i].r = *r;
		h->comp[i].r.error[sizeof(h->comp[i].r.error) - 1] = '\0';
	} else {
		h->comp_dropped++;
	}
	pthread_mutex_unlock(&h->lock);
}

void health__system(struct health *h, const struct sysres_snapshot *s)
{
	if (!h || !s)
		return;
	pthread_mutex_lock(&h->lock);
	h->sys = *s;
	h->have_sys = true;
	pthread_mutex_unlock(&h->lock);
}

void health__self(struct health *h, bool ok, const char *why)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->self_ok = ok;
	snprintf(h->self_why, sizeof(h->self_why), "%s", ok || !why ? "" : why);
	pthread_mutex_unlock(&h->lock);
}

/* ---- SLA figures ---- */

/* Counts, burn rates, alerts and budget: what the status and the gauges need (the p95 merges
 * histograms, so only the SLA views pay for it). */
static void sla_counts_of(struct health *h, size_t svc, int64_t now_min, struct health_sla_fig *f)
{
	double obj = h->o.sla_objective;

	for (int w = 0; w < SLA_WINDOW__COUNT; w++) {
		sla__window(h->sla, svc, now_min, w, &f->c[w]);
		f->burn[w] = sla_burn_rate(&f->c[w], obj);
	}
	for (size_t a = 0; a < SLA_ALERTS; a++)
		f->firing[a] = sla_alert_firing(&sla_alerts[a], f->burn);
	f->budget = sla_budget_remaining(&f->c[SLA_30D], obj);
	f->error_rate = sla_error_rate(&f->c[SLA_1H]);
}

/* ---- status ---- */

int health_level(double ratio, double warn, double crit)
{
	if (!(ratio >= 0))
		return -1;
	return ratio >= crit ? 2 : ratio >= warn ? 1 : 0;
}

static void reason(struct health_verdict *v, enum health_status at_least, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reason(struct health_verdict *v, enum health_status at_least, const char *fmt, ...)
{
	va_list ap;

	if (at_least > v->status)
		v->status = at_least;
	if (v->n == HEALTH_REASONS_MAX)
		return; /* the status still counts it; the list says the first ones */
	va_start(ap, fmt);
	vsnprintf(v->reasons[v->n++], HEALTH_REASON_LEN, fmt, ap);
	va_end(ap);
}

/* One resource against its thresholds: a critical one makes the host unhealthy. */
static void judge_ratio(struct health_verdict *v, const char *what, double ratio, double warn,
			double crit)
{
	int lv = health_level(ratio, warn, crit);

	if (lv == 2)
		reason(v, HEALTH_UNHEALTHY, "%s %.3g%% >= %.3g%% (critical)", what, ratio * 100,
		       crit * 100);
	else if (lv == 1)
		reason(v, HEALTH_DEGRADED, "%s %.3g%% >= %.3g%% (warning)", what, ratio * 100,
		       warn * 100);
}

static void judge_resources(struct health *h, struct health_verdict *v)
{
	const struct sysres_thresholds *t = &h->o.res;
	char what[160];

	if (!h->have_sys)
		return;
	judge_ratio(v, "cpu", h->sys.cpu_ratio, t->cpu_warn, t->cpu_crit);
	if (h->sys.mem_total) /* 0: meminfo not read */
		judge_ratio(v, "memory", h->sys.mem_ratio, t->mem_warn, t->mem_crit);
	for (size_t i = 0; i < h->sys.n_disks && i < SYSRES_MAX_DISKS; i++) {
		snprintf(what, sizeof(what), "disk %.128s", h->sys.disks[i].mount);
		judge_ratio(v, what, h->sys.disks[i].used_ratio, t->disk_warn, t->disk_crit);
	}
}

/* Any component down: degraded; more than half of those checked down: unhealthy. */
static void judge_components(struct health *h, struct health_verdict *v)
{
	size_t checked = 0, down = 0;

	for (size_t i = 0; i < h->n_comp; i++) {
		const struct check_result *r = &h->comp[i].r;

		if (!r->at)
			continue; /* not run yet: unknown, not down */
		checked++;
		if (r->healthy)
			continue;
		down++;
		reason(v, HEALTH_DEGRADED, "component %s down: %s", h->comp[i].name,
		       r->error[0] ? r->error : "unhealthy");
	}
	if (down * 2 > checked)
		reason(v, HEALTH_UNHEALTHY, "%zu of %zu components down", down, checked);
}

/* A service burning its error budget at a paging rate makes the host degraded. */
static void judge_slos(struct health *h, int64_t now_min, struct health_verdict *v)
{
	struct health_sla_fig f;

	for (size_t i = 0; i < sla__services(h->sla); i++) {
		sla_counts_of(h, i, now_min, &f);
		for (size_t a = 0; a < SLA_ALERTS; a++) {
			const struct sla_alert *al = &sla_alerts[a];

			if (!f.firing[a] || strcmp(al->severity, "page"))
				continue;
			reason(v, HEALTH_DEGRADED,
			       "service %s burns its error budget %.1fx (%s) and %.1fx (%s), over "
			       "%.1fx",
			       sla__name(h->sla, i), f.burn[al->long_w],
			       sla_window_name(al->long_w), f.burn[al->short_w],
			       sla_window_name(al->short_w), al->factor);
			break;
		}
	}
}

void health_verdict(struct health *h, int64_t now_ms, struct health_verdict *v)
{
	v->status = HEALTH_HEALTHY;
	v->n = 0;
	if (!h->self_ok)
		reason(v, HEALTH_UNHEALTHY, "observer cannot observe: %s",
		       h->self_why[0] ? h->self_why : "unknown");
	judge_resources(h, v);
	judge_components(h, v);
	judge_slos(h, minute_of(now_ms), v);
}

/* ---- SLA and performance views ---- */

void health_perf_merge(struct health *h, enum perf_kind k, const char *a, int64_t now_min,
		       unsigned minutes, struct perf_dist *d)
{
	for (size_t i = 0; i < perf__keys(h->perf); i++) {
		enum perf_kind kk;
		const char *ka;

		if (perf__key(h->perf, i, &kk, &ka, NULL) || kk != k ||
		    (a && strncmp(ka, a, PERF_NAME_MAX - 1)))
			continue;
		perf__collect(h->perf, i, now_min, minutes, d);
	}
}

void health_sla_figures(struct health *h, size_t svc, int64_t now_min, struct health_sla_fig *f)
{
	double obj = h->o.sla_objective, avail;
	struct perf_dist d;

	sla_counts_of(h, svc, now_min, f);
	perf_dist_clear(&d);
	health_perf_merge(h, PERF_API, sla__name(h->sla, svc), now_min, 60, &d);
	f->p95_s = perf_dist_quantile(&d, 0.95);
	avail = sla_availability(&f->c[SLA_30D]);
	f->avail_ok = isnan(avail) || avail >= obj;
	f->error_ok = isnan(f->error_rate) || f->error_rate <= 1.0 - obj;
	f->p95_ok = isnan(f->p95_s) || f->p95_s <= (double)h->o.sla_latency_ns * 1e-9;
	f->compliant = f->avail_ok && f->error_ok && f->p95_ok;
}

double health_window_s(const struct health *h, int64_t now_ms, unsigned minutes)
{
	double into = (double)(now_ms % 60000) / 1000.0;
	double w = (minutes ? minutes - 1 : 0) * 60.0 + into;
	double up = (double)(now_ms - h->start_ms) / 1000.0;

	if (up < w)
		w = up;
	return w < 1 ? 1 : w;
}

/* ---- metrics ---- */

static const char *const L_STATUS[] = { "status", NULL };
static const char *const L_SVC[] = { "service_name", NULL };
static const char *const L_SVC_WIN[] = { "service_name", "window", NULL };
static const char *const L_OP[] = { "op", NULL };
static const char *const L_KIND[] = { "kind", NULL };

static int define_families(struct health *h)
{
	const struct metric_def f[] = {
		{ &h->f_avail, "biothings_sla_availability_ratio", METRIC_GAUGE,
		  "Share of good served requests (not 5xx, under the latency target) over the "
		  "window; 1 without requests.",
		  L_SVC_WIN },
		{ &h->f_budget, "biothings_sla_error_budget_remaining_ratio", METRIC_GAUGE,
		  "Share of the 30-day error budget left (negative once overspent).", L_SVC },
		{ &h->f_burn, "biothings_sla_burn_rate", METRIC_GAUGE,
		  "Error budget burn rate over the window (1 spends it exactly in 30 days).",
		  L_SVC_WIN },
		{ &h->f_status, "biothings_health_status", METRIC_GAUGE,
		  "1 for the overall health status the host is in (healthy, degraded, unhealthy).",
		  L_STATUS },
		{ &h->f_store_err, "biothings_health_store_errors_total", METRIC_COUNTER,
		  "Health store operations that failed (history is then not kept).", L_OP },
		{ &h->f_untracked, "biothings_health_untracked_total", METRIC_COUNTER,
		  "Observations not aggregated because a tracking cap was reached.", L_KIND },
	};

	return metrics__define_table(h->m, f, sizeof(f) / sizeof(f[0]));
}

static void zero_series(struct health *h)
{
	static const char *const ops[] = { "open", "write", "read", "sweep" };
	const char *lv[2] = { NULL, NULL };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		lv[0] = ops[i];
		metrics__add(h->m, h->f_store_err, lv, 0);
	}
	lv[0] = "sla_service";
	metrics__add(h->m, h->f_untracked, lv, 0);
	for (int k = 0; k < PERF_KIND__COUNT; k++) {
		lv[0] = perf_kind_name(k);
		metrics__add(h->m, h->f_untracked, lv, 0);
	}
}

static void publish_status(struct health *h, enum health_status st)
{
	for (int s = 0; s < HEALTH_STATUS__COUNT; s++) {
		const char *lv[] = { status_names[s], NULL };

		metrics__set(h->m, h->f_status, lv, s == (int)st);
	}
}

static double finite_or(double v, double dflt)
{
	return isfinite(v) ? v : dflt;
}

/* SLA gauges of every service and the cap counters. Lock held. */
static void publish_slas(struct health *h, int64_t now_min)
{
	static const enum sla_window avail_w[] = { SLA_1H, SLA_24H, SLA_7D, SLA_30D };
	struct health_sla_fig f;
	const char *lv[3] = { NULL, NULL, NULL };

	for (size_t i = 0; i < sla__services(h->sla); i++) {
		sla_counts_of(h, i, now_min, &f);
		lv[0] = sla__name(h->sla, i);
		for (size_t w = 0; w < sizeof(avail_w) / sizeof(avail_w[0]); w++) {
			lv[1] = sla_window_name(avail_w[w]);
			metrics__set(h->m, h->f_avail, lv,
				     finite_or(sla_availability(&f.c[avail_w[w]]), 1));
		}
		for (int w = SLA_5M; w <= SLA_3D; w++) {
			lv[1] = sla_window_name(w);
			metrics__set(h->m, h->f_burn, lv, finite_or(f.burn[w], 1e9));
		}
		lv[1] = NULL;
		metrics__set(h->m, h->f_budget, lv, finite_or(f.budget, -1e9));
	}
	lv[0] = "sla_service";
	metrics__set(h->m, h->f_untracked, lv, (double)sla__overflow(h->sla));
	for (int k = 0; k < PERF_KIND__COUNT; k++) {
		lv[0] = perf_kind_name(k);
		metrics__set(h->m, h->f_untracked, lv, (double)perf__overflow(h->perf, k));
	}
}

/* ---- history ---- */

/* The reasons as a JSON array (malloc'd; NULL on no memory). */
static char *reasons_json(const struct health_verdict *v)
{
	json_t *a = json_array();
	char *s;

	for (size_t i = 0; a && i < v->n; i++)
		json_array_append_new(a, json_string(v->reasons[i]));
	s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return s;
}

static void log_transition(struct health *h, const struct health_verdict *v, const char *from)
{
	bool worse = h->last_known ? v->status > h->last : v->status != HEALTH_HEALTHY;
	char q[1024];

	logfmt_quote(v->n ? v->reasons[0] : "", q, sizeof(q));
	log_cat(worse ? LOG_WARN : LOG_INFO, LOGC_SYSTEM,
		"health status changed from=%s to=%s reasons=%zu first_reason=%s", from,
		health_status_name(v->status), v->n, q);
}

static void record_transition(struct health *h, const struct health_verdict *v, int64_t now_ms,
			      const char *from)
{
	struct healthstore *s = health_store(h);
	char *rj = reasons_json(v);
	struct hs_transition t = { now_ms, health_status_name(v->status), from, rj };
	int e = s ? healthstore__add_transition(s, &t) : 0;

	if (e)
		health_store_error(h, "write", -e);
	free(rj);
}

struct snap_job {
	struct hs_snapshot sn;
	struct hs_minute *rows;
	size_t n;
	int64_t upto_min;
};

/* Copies what the snapshot and the unsaved minutes need. Lock held. */
static void snap_collect(struct health *h, int64_t now_ms, enum health_status st,
			 struct snap_job *j)
{
	int64_t now_min = minute_of(now_ms), from = h->flushed_min;
	size_t cap, ns = sla__services(h->sla);
	struct perf_dist d;
	struct sla_counts c;

	if (from < now_min - SLA_MINUTES + 1)
		from = now_min - SLA_MINUTES + 1;
	if (from > now_min) /* the wall clock went back */
		from = now_min;
	perf_dist_clear(&d);
	health_perf_merge(h, PERF_API, NULL, now_min, HEALTH_PERF_WINDOW_MIN, &d);
	j->sn = (struct hs_snapshot){
		.ts_ms = now_ms,
		.span_ms = now_ms > h->last_snap_ms ? (uint32_t)(now_ms - h->last_snap_ms) : 0,
		.status = (int)st,
		.requests = h->served - h->snap_served,
		.errors = h->served_err - h->snap_err,
		.llm_calls = h->llm - h->snap_llm,
		.db_ops = h->db - h->snap_db,
		.p95_s = finite_or(perf_dist_quantile(&d, 0.95), -1),
		.cpu = h->have_sys ? h->sys.cpu_ratio : -1,
		.mem = h->have_sys && h->sys.mem_total ? h->sys.mem_ratio : -1,
	};
	for (size_t i = 0; i < h->n_comp; i++) {
		if (h->comp[i].r.at)
			*(h->comp[i].r.healthy ? &j->sn.comp_up : &j->sn.comp_down) += 1;
	}
	h->snap_served = h->served;
	h->snap_err = h->served_err;
	h->snap_llm = h->llm;
	h->snap_db = h->db;
	h->last_snap_ms = now_ms;
	j->upto_min = now_min;
	cap = ns * (size_t)(now_min - from + 1);
	j->rows = cap ? calloc(cap, sizeof(*j->rows)) : NULL;
	for (size_t i = 0; j->rows && i < ns; i++) {
		for (int64_t m = from; m <= now_min; m++) {
			if (sla__minute(h->sla, i, m, &c))
				j->rows[j->n++] = (struct hs_minute){ sla__name(h->sla, i), m,
								      c.total, c.good, c.errors };
		}
	}
}

/* Writes a collected snapshot; the minutes count as saved only once committed. */
static void snap_write(struct health *h, struct snap_job *j)
{
	struct healthstore *s = health_store(h);
	int e = s ? healthstore__put_minutes(s, j->rows, j->n) : -EIO;

	if (s && !e)
		e = healthstore__add_snapshot(s, &j->sn);
	if (!e) {
		pthread_mutex_lock(&h->lock);
		if (h->flushed_min < j->upto_min)
			h->flushed_min = j->upto_min; /* the current minute is written again */
		pthread_mutex_unlock(&h->lock);
	} else if (s) {
		health_store_error(h, "write", -e);
	}
	free(j->rows);
}

static int load_history(struct health *h, int64_t now_ms);

/* Opens the store and adds its SLA minutes to what is counted (lock not held). */
static void store_open(struct health *h, int64_t now_ms)
{
	char err[512] = "", q[600];
	struct healthstore *s = healthstore__open(h->db_path, err, sizeof(err));
	int e;

	if (!s) {
		const char *lv[] = { "open", NULL };

		metrics__add(h->m, h->f_store_err, lv, 1);
		logfmt_quote(err, q, sizeof(q));
		if (store_log_due(h))
			log_error(
				"cannot open the health store (history is not kept; retried every "
				"minute) err=%s",
				q);
		return;
	}
	__atomic_store_n(&h->store, s, __ATOMIC_RELEASE);
	log_info("health store open path=%s", h->db_path);
	pthread_mutex_lock(&h->lock);
	e = load_history(h, now_ms);
	pthread_mutex_unlock(&h->lock);
	if (e)
		health_store_error(h, "read", -e);
}

static int load_minute(void *arg, const struct hs_minute *m)
{
	struct health *h = arg;
	struct sla_counts c = { m->total, m->good, m->errors };

	sla__add(h->sla, m->service, m->minute, &c); /* a bad row or a full table: skipped */
	return 0;
}

/* The stored minutes of the last 30 days, so SLA windows continue across restarts: those of
 * an earlier run add to what this one counted. Lock held; 0 or -errno. */
static int load_history(struct health *h, int64_t now_ms)
{
	return healthstore__load_minutes(h->store, minute_of(now_ms) - SLA_KEEP_MIN + 1,
					 load_minute, h);
}

static void sweep(struct health *h, int64_t now_ms)
{
	struct healthstore *s = health_store(h);
	int64_t before = now_ms - (int64_t)(h->o.history_retention_ns / NS_PER_MS);
	int64_t n = s ? healthstore__sweep(s, before, minute_of(now_ms) - SLA_KEEP_MIN + 1) : 0;

	if (n < 0)
		health_store_error(h, "sweep", (int)-n);
	else if (n > 0)
		log_debug("health store retention deleted=%lld", (long long)n);
}

void health__tick(struct health *h)
{
	struct health_verdict v;
	struct snap_job job = { 0 };
	const char *from = NULL;
	bool snap = false, do_sweep;
	int64_t now;

	if (!h)
		return;
	now = health_now_ms(h);
	/* before the minutes are collected, so a late open merges before anything is written */
	if (!health_store(h) && now >= h->next_open_ms) {
		h->next_open_ms = now + REOPEN_PERIOD_MS; /* only this thread uses it */
		store_open(h, now);
	}
	pthread_mutex_lock(&h->lock);
	health_verdict(h, now, &v);
	if (!h->last_known || v.status != h->last) {
		from = h->last_known ? health_status_name(h->last) : "unknown";
		log_transition(h, &v, from);
		h->last = v.status;
		h->last_known = true;
	}
	publish_status(h, v.status);
	if (now >= h->next_gauges_ms) {
		publish_slas(h, minute_of(now));
		h->next_gauges_ms = now + GAUGE_PERIOD_MS;
	}
	if (now >= h->next_snap_ms) {
		snap_collect(h, now, v.status, &job);
		h->next_snap_ms = now + (int64_t)(h->o.history_interval_ns / NS_PER_MS);
		snap = true;
	}
	do_sweep = now >= h->next_sweep_ms;
	if (do_sweep)
		h->next_sweep_ms = now + SWEEP_PERIOD_MS;
	pthread_mutex_unlock(&h->lock);
	/* SQLite outside the lock: the capture loop's feeds never wait on the disk */
	if (from)
		record_transition(h, &v, now, from);
	if (snap)
		snap_write(h, &job);
	if (do_sweep)
		sweep(h, now);
}

/* ---- life cycle ---- */

static void fill_defaults(struct health_opts *o)
{
	struct sysres_thresholds *t = &o->res;

	if (!o->clock_ns)
		o->clock_ns = realtime_ns;
	if (!o->sla_latency_ns)
		o->sla_latency_ns = 2 * NS_PER_S;
	if (!o->history_interval_ns)
		o->history_interval_ns = 10 * NS_PER_S;
	if (!o->history_retention_ns)
		o->history_retention_ns = 30ull * 86400 * NS_PER_S;
	t->cpu_warn = t->cpu_warn > 0 ? t->cpu_warn : 0.85;
	t->cpu_crit = t->cpu_crit > 0 ? t->cpu_crit : 0.95;
	t->mem_warn = t->mem_warn > 0 ? t->mem_warn : 0.80;
	t->mem_crit = t->mem_crit > 0 ? t->mem_crit : 0.90;
	t->disk_warn = t->disk_warn > 0 ? t->disk_warn : 0.85;
	t->disk_crit = t->disk_crit > 0 ? t->disk_crit : 0.95;
}

static int build(struct health *h, char *err, size_t errlen)
{
	const struct perf_thresholds th[PERF_KIND__COUNT] = {
		[PERF_API] = { h->o.api_warn_ns, h->o.api_crit_ns },
		[PERF_UPSTREAM] = { h->o.api_warn_ns, h->o.api_crit_ns },
		[PERF_AGENT] = { h->o.agent_warn_ns, h->o.agent_crit_ns },
		[PERF_DB] = { h->o.db_warn_ns, h->o.db_crit_ns },
	};
	int e;

	h->sla = sla__new(SLA_MAX_SERVICES);
	h->perf = perf__new(PERF_MAX_KEYS, th);
	if (!h->sla || !h->perf) {
		snprintf(err, errlen, "health: out of memory");
		return -ENOMEM;
	}
	e = define_families(h);
	if (e) {
		snprintf(err, errlen, "health: cannot define metrics (%s)", strerror(-e));
		return e;
	}
	zero_series(h);
	publish_status(h, HEALTH_HEALTHY);
	return 0;
}

struct health *health__new(const struct health_opts *o, struct metrics *m, char *err, size_t errlen)
{
	struct health *h;
	int e;

	if (err && errlen)
		err[0] = '\0';
	if (!o || !m || !o->db_path || !*o->db_path || !(o->sla_objective > 0) ||
	    o->sla_objective > 1) {
		snprintf(err, errlen, "health: bad options (db_path, sla_objective in (0, 1])");
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h || pthread_mutex_init(&h->lock, NULL)) {
		free(h);
		snprintf(err, errlen, "health: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	h->o = *o;
	fill_defaults(&h->o);
	snprintf(h->db_path, sizeof(h->db_path), "%s", o->db_path);
	h->o.db_path = h->db_path;
	h->m = m;
	h->self_ok = true;
	e = build(h, err, errlen);
	if (e) {
		health__free(h);
		errno = -e;
		return NULL;
	}
	h->start_ms = h->last_snap_ms = health_now_ms(h);
	h->flushed_min = minute_of(h->start_ms);
	h->next_snap_ms = h->start_ms + (int64_t)(h->o.history_interval_ns / NS_PER_MS);
	h->next_sweep_ms = h->start_ms + 60000; /* not in the way of start-up */
	store_open(h, h->start_ms); /* failure is logged and counted; tick retries */
	h->next_open_ms = h->start_ms + REOPEN_PERIOD_MS;
	health_api_routes(h);
	return h;
}

/* What was counted since the last snapshot, so a clean stop loses nothing. */
static void flush_last(struct health *h)
{
	struct snap_job job = { 0 };
	int64_t now = health_now_ms(h);

	if (!health_store(h) || now <= h->last_snap_ms)
		return;
	pthread_mutex_lock(&h->lock);
	snap_collect(h, now, h->last, &job);
	pthread_mutex_unlock(&h->lock);
	snap_write(h, &job);
}

void health__free(struct health *h)
{
	if (!h)
		return;
	if (h->m && h->sla && h->perf)
		flush_last(h);
	healthstore__close(h->store);
	sla__free(h->sla);
	perf__free(h->perf);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

const struct api_route *health__routes(struct health *h, size_t *n)
{
	*n = h ? HEALTH_ROUTES : 0;
	return h ? h->routes : NULL;
}
