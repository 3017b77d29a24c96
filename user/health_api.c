// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The health, SLA and performance REST endpoints. Every query argument is
 * checked first (unknown keys and bad values get a 400 naming the
 * parameter), so a typo never silently widens or narrows an answer.
 * Figures are computed under the health lock from the in-memory
 * aggregates; history comes from the store, which has its own lock.
 * Numbers that do not exist (a quantile of nothing) are JSON null.
 */
#include "health_int.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logfmt.h"
#include "route.h"
#include "units.h"

#define HISTORY_LIMIT_DEFAULT 100
#define SERIES_SPAN_DEFAULT_MS (3600ll * 1000)
#define MS_MAX (INT64_MAX / NS_PER_MS)

/* ---- replies ---- */

static void answer(struct api_reply *out, unsigned status, json_t *j)
{
	out->status = status;
	out->json = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	if (!out->json)
		out->status = 500;
	json_decref(j);
}

static void fail(struct api_reply *out, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct api_reply *out, unsigned status, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	answer(out, status, json_pack("{ss}", "error", msg));
}

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* 1 - 0.999 is 0.0010000000000000009 in binary: a configured target reads better rounded. */
static double tidy(double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.15g", v);
	return strtod(buf, NULL);
}

static json_t *jms(double s)
{
	return isfinite(s) ? json_real(s * 1000.0) : json_null();
}

static json_t *jtime(int64_t ms)
{
	char ts[LOGFMT_TIME_LEN];

	if (ms <= 0)
		return json_null();
	logfmt_time((uint64_t)ms * NS_PER_MS, ts);
	return json_string(ts);
}

static json_t *jcount(uint64_t n)
{
	return json_integer(n > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)n);
}

/* ---- query arguments ---- */

static bool check_keys(const struct api_request *rq, const char *const *allowed,
		       struct api_reply *out)
{
	char bad[40];

	if (!api_query_check(rq, allowed, bad, sizeof(bad)))
		return true;
	fail(out, 400, "unknown query parameter '%s'", bad);
	return false;
}

/* An RFC 3339 time or Unix seconds, in ms; def when absent. */
static bool arg_time(const struct api_request *rq, const char *key, int64_t def, int64_t *ms,
		     struct api_reply *out)
{
	const char *s = api_query(rq, key);
	int64_t ns;

	*ms = def;
	if (!s)
		return true;
	if (logfmt_time_parse(s, &ns)) {
		fail(out, 400,
		     "'%s' must be an RFC 3339 time (2026-11-26T01:50:30Z) or Unix seconds", key);
		return false;
	}
	*ms = ns / NS_PER_MS;
	return true;
}

static bool arg_range(const struct api_request *rq, int64_t def_from, int64_t def_to, int64_t *from,
		      int64_t *to, struct api_reply *out)
{
	if (!arg_time(rq, "from", def_from, from, out) || !arg_time(rq, "to", def_to, to, out))
		return false;
	if (*from > *to) {
		fail(out, 400, "'from' is after 'to'");
		return false;
	}
	return true;
}

/* A duration ("5m", "90s") or whole seconds, in ms within [lo, hi]; def when absent. */
static bool arg_duration(const struct api_request *rq, const char *key, int64_t lo, int64_t hi,
			 int64_t def, int64_t *ms, struct api_reply *out)
{
	const char *s = api_query(rq, key);
	uint64_t ns = 0, secs = 0;
	size_t i;
	bool ok;

	*ms = def;
	if (!s)
		return true;
	for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 12; i++)
		secs = secs * 10 + (uint64_t)(s[i] - '0');
	if (i && !s[i])
		ns = secs * (uint64_t)NS_PER_S;
	ok = (i && !s[i]) || !units_parse_duration(s, &ns);
	if (!ok || (int64_t)(ns / NS_PER_MS) < lo || (int64_t)(ns / NS_PER_MS) > hi) {
		fail(out, 400, "'%s' must be a duration from %llds to %llds (e.g. 5m or 300)", key,
		     (long long)(lo / 1000), (long long)(hi / 1000));
		return false;
	}
	*ms = (int64_t)(ns / NS_PER_MS);
	return true;
}

/* window: 1m..PERF_MINUTES, rounded up to whole minutes. */
static bool arg_window(const struct api_request *rq, unsigned *minutes, struct api_reply *out)
{
	int64_t ms;

	if (!arg_duration(rq, "window", 60000, PERF_MINUTES * 60000ll,
			  HEALTH_PERF_WINDOW_MIN * 60000ll, &ms, out))
		return false;
	*minutes = (unsigned)((ms + 59999) / 60000);
	return true;
}

static bool arg_limit(const struct api_request *rq, size_t *limit, struct api_reply *out)
{
	const char *s = api_query(rq, "limit");
	uint64_t n = 0;
	size_t i;

	*limit = HISTORY_LIMIT_DEFAULT;
	if (!s)
		return true;
	for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 6; i++)
		n = n * 10 + (uint64_t)(s[i] - '0');
	if (!i || s[i] || n < 1 || n > HEALTHSTORE_LIMIT_MAX) {
		fail(out, 400, "'limit' must be a whole number from 1 to %d",
		     HEALTHSTORE_LIMIT_MAX);
		return false;
	}
	*limit = (size_t)n;
	return true;
}

/* ---- GET /health ---- */

static json_t *reasons_of(const struct health_verdict *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < v->n; i++)
		json_array_append_new(a, json_string(v->reasons[i]));
	return a;
}

static void get_health(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { NULL };
	struct health *h = ctx;
	struct health_verdict v;
	int64_t now = health_now_ms(h);

	if (!check_keys(rq, keys, out))
		return;
	pthread_mutex_lock(&h->lock);
	health_verdict(h, now, &v);
	pthread_mutex_unlock(&h->lock);
	answer(out, v.status == HEALTH_UNHEALTHY ? 503 : 200,
	       json_pack("{ss so so}", "status", health_status_name(v.status), "reasons",
			 reasons_of(&v), "checked_at", jtime(now)));
}

/* ---- GET /health/detailed ---- */

static json_t *components_json(struct health *h)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < h->n_comp; i++) {
		const struct check_result *r = &h->comp[i].r;
		const char *st = !r->at ? "unknown" : r->healthy ? "healthy" : "unhealthy";

		json_array_append_new(
			a, json_pack("{ss ss so so so}", "name", h->comp[i].name, "status", st,
				     "latency_ms",
				     r->at ? json_real((double)r->latency_ns / 1e6) : json_null(),
				     "error", r->error[0] ? json_string(r->error) : json_null(),
				     "last_check", jtime(r->at * 1000)));
	}
	return a;
}

static json_t *ratio_json(double ratio, double warn, double crit)
{
	return json_pack("{so ss sf sf}", "ratio", jnum(ratio >= 0 ? ratio : NAN), "level",
			 health_level_name(health_level(ratio, warn, crit)), "warning", warn,
			 "critical", crit);
}

static json_t *resources_json(struct health *h)
{
	const struct sysres_snapshot *s = &h->sys;
	const struct sysres_thresholds *t = &h->o.res;
	json_t *disks = json_array(), *mem, *j;

	if (!h->have_sys) {
		json_decref(disks);
		return json_null();
	}
	for (size_t i = 0; disks && i < s->n_disks && i < SYSRES_MAX_DISKS; i++) {
		const struct sysres_disk *d = &s->disks[i];
		json_t *o = ratio_json(d->used_ratio, t->disk_warn, t->disk_crit);

		json_object_set_new(o, "mount", json_string(d->mount));
		json_object_set_new(o, "total_bytes", jcount(d->total_bytes));
		json_object_set_new(o, "free_bytes", jcount(d->free_bytes));
		json_array_append_new(disks, o);
	}
	mem = ratio_json(s->mem_total ? s->mem_ratio : -1, t->mem_warn, t->mem_crit);
	json_object_set_new(mem, "total_bytes", jcount(s->mem_total));
	json_object_set_new(mem, "available_bytes", jcount(s->mem_available));
	j = json_pack("{so so so si s[fff]}", "cpu",
		      ratio_json(s->cpu_ratio, t->cpu_warn, t->cpu_crit), "memory", mem, "disks",
		      disks, "ncpu", (int)s->ncpu, "load", s->load1, s->load5, s->load15);
	return j;
}

static json_t *sla_brief(struct health *h, size_t i, int64_t now_min)
{
	struct health_sla_fig f;

	health_sla_figures(h, i, now_min, &f);
	return json_pack("{ss so so so sb}", "service", sla__name(h->sla, i), "availability_1h",
			 jnum(sla_availability(&f.c[SLA_1H])), "availability_30d",
			 jnum(sla_availability(&f.c[SLA_30D])), "error_budget_remaining",
			 jnum(f.budget), "compliant", f.compliant);
}

static json_t *observer_json(struct health *h)
{
	return json_pack("{sb so ss si si sI sI}", "ok", h->self_ok, "reason",
			 h->self_ok ? json_null() : json_string(h->self_why), "history_store",
			 health_store(h) ? "ok" : "unavailable", "services_tracked",
			 (int)sla__services(h->sla), "keys_tracked", (int)perf__keys(h->perf),
			 "services_untracked_requests", (json_int_t)sla__overflow(h->sla),
			 "components_untracked", (json_int_t)h->comp_dropped);
}

static void get_detailed(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { NULL };
	struct health *h = ctx;
	struct health_verdict v;
	int64_t now = health_now_ms(h);
	json_t *svcs = json_array(), *j;

	if (!check_keys(rq, keys, out))
		return json_decref(svcs);
	pthread_mutex_lock(&h->lock);
	health_verdict(h, now, &v);
	for (size_t i = 0; svcs && i < sla__services(h->sla); i++)
		json_array_append_new(svcs, sla_brief(h, i, now / 60000));
	j = json_pack("{ss so so so so so so}", "status", health_status_name(v.status), "reasons",
		      reasons_of(&v), "checked_at", jtime(now), "components", components_json(h),
		      "resources", resources_json(h), "observer", observer_json(h), "services",
		      svcs);
	pthread_mutex_unlock(&h->lock);
	answer(out, 200, j);
}

/* ---- GET /health/history ---- */

static int transition_row(void *arg, const struct hs_transition_row *r)
{
	json_t *reasons = json_loads(r->reasons_json, 0, NULL);

	if (!json_is_array(reasons)) { /* a damaged row still lists */
		json_decref(reasons);
		reasons = json_array();
	}
	return json_array_append_new(arg, json_pack("{so ss ss so}", "time", jtime(r->ts_ms),
						    "status", r->status, "previous", r->previous,
						    "reasons", reasons)) ?
		       -ENOMEM :
		       0;
}

static void get_history(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { "from", "to", "limit", NULL };
	struct health *h = ctx;
	struct healthstore *s = health_store(h);
	int64_t from, to;
	size_t limit;
	json_t *rows;
	int e;

	if (!check_keys(rq, keys, out) || !arg_range(rq, 0, MS_MAX, &from, &to, out) ||
	    !arg_limit(rq, &limit, out))
		return;
	if (!s)
		return fail(out, 503, "the health history store is unavailable (see the log)");
	rows = json_array();
	e = rows ? healthstore__transitions(s, from, to, limit, transition_row, rows) : -ENOMEM;
	if (e) {
		json_decref(rows);
		health_store_error(h, "read", -e);
		return fail(out, 503, "cannot read the health history store");
	}
	answer(out, 200,
	       json_pack("{so so si so}", "from", jtime(from), "to",
			 to == MS_MAX ? json_null() : jtime(to), "count",
			 (int)json_array_size(rows), "transitions", rows));
}

/* ---- GET /health/sla ---- */

static json_t *per_window(const struct health_sla_fig *f, const enum sla_window *w, size_t n,
			  bool burn)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < n; i++)
		json_object_set_new(o, sla_window_name(w[i]),
				    burn ? jnum(f->burn[w[i]]) :
					   jnum(sla_availability(&f->c[w[i]])));
	return o;
}

static json_t *alerts_json(const struct health_sla_fig *f)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < SLA_ALERTS; i++) {
		const struct sla_alert *al = &sla_alerts[i];

		json_array_append_new(a, json_pack("{ss s[ss] sf sb}", "severity", al->severity,
						   "windows", sla_window_name(al->long_w),
						   sla_window_name(al->short_w), "burn_rate_over",
						   al->factor, "firing", f->firing[i]));
	}
	return a;
}

static json_t *sla_service(struct health *h, size_t i, int64_t now_min)
{
	static const enum sla_window avail_w[] = { SLA_1H, SLA_24H, SLA_7D, SLA_30D };
	static const enum sla_window burn_w[] = { SLA_5M, SLA_30M, SLA_1H, SLA_2H,
						  SLA_6H, SLA_24H, SLA_3D };
	struct health_sla_fig f;
	json_t *req = json_object(), *good = json_object();
	double obj = h->o.sla_objective;

	health_sla_figures(h, i, now_min, &f);
	for (size_t w = 0; w < sizeof(avail_w) / sizeof(avail_w[0]); w++) {
		json_object_set_new(req, sla_window_name(avail_w[w]),
				    jcount(f.c[avail_w[w]].total));
		json_object_set_new(good, sla_window_name(avail_w[w]),
				    jcount(f.c[avail_w[w]].good));
	}
	return json_pack("{ss so so so so so so s{ss so sf sb} s{ss so sf sb} sb sb}", "service",
			 sla__name(h->sla, i), "requests", req, "good", good, "availability",
			 per_window(&f, avail_w, 4, false), "error_budget_remaining",
			 jnum(f.budget), "burn_rates", per_window(&f, burn_w, 7, true), "alerts",
			 alerts_json(&f), "error_rate", "window", "1h", "value", jnum(f.error_rate),
			 "target", tidy(1.0 - obj), "ok", f.error_ok, "p95_ms", "window", "1h",
			 "value", jms(f.p95_s), "target", (double)h->o.sla_latency_ns / 1e6, "ok",
			 f.p95_ok, "availability_ok", f.avail_ok, "compliant", f.compliant);
}

static void get_sla(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { "service", NULL };
	struct health *h = ctx;
	const char *only = api_query(rq, "service");
	int64_t now_min = health_now_ms(h) / 60000;
	json_t *svcs = json_array(), *j;
	int one = -1;

	if (!check_keys(rq, keys, out))
		return json_decref(svcs);
	pthread_mutex_lock(&h->lock);
	if (only)
		one = sla__find(h->sla, only);
	for (size_t i = 0; svcs && i < sla__services(h->sla); i++) {
		if (!only || (int)i == one)
			json_array_append_new(svcs, sla_service(h, i, now_min));
	}
	pthread_mutex_unlock(&h->lock);
	if (only && one < 0) {
		json_decref(svcs);
		return fail(out, 404, "no requests seen for service '%.64s'", only);
	}
	j = json_pack("{sf sf sf ss so}", "objective", h->o.sla_objective, "latency_target_ms",
		      (double)h->o.sla_latency_ns / 1e6, "error_rate_target",
		      tidy(1.0 - h->o.sla_objective), "budget_window", "30d", "services", svcs);
	answer(out, 200, j);
}

/* ---- GET /business/sla-compliance ---- */

static void get_compliance(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { NULL };
	struct health *h = ctx;
	int64_t now_min = health_now_ms(h) / 60000;
	struct sla_counts all = { 0 };
	struct health_sla_fig f;
	json_t *svcs = json_array(), *worst = json_null();
	double worst_budget = INFINITY;
	size_t n, ok = 0;

	if (!check_keys(rq, keys, out))
		return json_decref(svcs);
	pthread_mutex_lock(&h->lock);
	n = sla__services(h->sla);
	for (size_t i = 0; svcs && i < n; i++) {
		health_sla_figures(h, i, now_min, &f);
		ok += f.compliant;
		all.total += f.c[SLA_30D].total;
		all.good += f.c[SLA_30D].good;
		all.errors += f.c[SLA_30D].errors;
		json_array_append_new(svcs, sla_brief(h, i, now_min));
		if (f.budget < worst_budget) {
			worst_budget = f.budget;
			json_decref(worst);
			worst = sla_brief(h, i, now_min);
		}
	}
	pthread_mutex_unlock(&h->lock);
	answer(out, 200,
	       json_pack("{sf si si so sb so s{so so sI} so}", "objective", h->o.sla_objective,
			 "services_total", (int)n, "services_compliant", (int)ok,
			 "compliance_ratio", n ? json_real((double)ok / (double)n) : json_null(),
			 "compliant", ok == n, "worst", worst, "overall", "availability_30d",
			 jnum(sla_availability(&all)), "error_budget_remaining",
			 jnum(sla_budget_remaining(&all, h->o.sla_objective)), "requests_30d",
			 (json_int_t)all.total, "services", svcs));
}

/* ---- performance ---- */

static const struct perf_thresholds *thresholds_of(struct health *h, enum perf_kind k,
						   struct perf_thresholds *t)
{
	switch (k) {
	case PERF_AGENT:
		*t = (struct perf_thresholds){ h->o.agent_warn_ns, h->o.agent_crit_ns };
		break;
	case PERF_DB:
		*t = (struct perf_thresholds){ h->o.db_warn_ns, h->o.db_crit_ns };
		break;
	default:
		*t = (struct perf_thresholds){ h->o.api_warn_ns, h->o.api_crit_ns };
	}
	return t;
}

static const char *level_of(double p95_s, const struct perf_thresholds *t)
{
	if (!isfinite(p95_s))
		return "ok";
	if (t->crit_ns && p95_s * 1e9 >= (double)t->crit_ns)
		return "critical";
	if (t->warn_ns && p95_s * 1e9 >= (double)t->warn_ns)
		return "warning";
	return "ok";
}

/* The figures of one merged distribution over window_s seconds. */
static json_t *dist_json(const struct perf_dist *d, double window_s,
			 const struct perf_thresholds *t)
{
	double p95 = perf_dist_quantile(d, 0.95);

	return json_pack("{sI sf so so so so so so so sI sI ss}", "requests", (json_int_t)d->count,
			 "rate_per_s", (double)d->count / window_s, "error_rate",
			 d->count ? json_real((double)d->errors / (double)d->count) : json_null(),
			 "p50_ms", jms(perf_dist_quantile(d, 0.5)), "p95_ms", jms(p95), "p99_ms",
			 jms(perf_dist_quantile(d, 0.99)), "mean_ms",
			 d->count ? jms(d->sum_s / (double)d->count) : json_null(), "max_ms",
			 d->count ? jms(d->max_s) : json_null(), "errors", jcount(d->errors),
			 "over_warning", (json_int_t)d->over_warn, "over_critical",
			 (json_int_t)d->over_crit, "level", level_of(p95, t));
}

static const char *const part_names[PERF_KIND__COUNT][2] = {
	[PERF_API] = { "service", "route" },
	[PERF_UPSTREAM] = { "service", "upstream" },
	[PERF_AGENT] = { "service", "agent" },
	[PERF_DB] = { "system", "server" },
};

static json_t *key_json(struct health *h, size_t i, int64_t now_min, unsigned minutes,
			double window_s)
{
	struct perf_thresholds t;
	struct perf_dist d;
	enum perf_kind k;
	const char *a, *b;
	json_t *o;

	perf__key(h->perf, i, &k, &a, &b);
	perf_dist_clear(&d);
	perf__collect(h->perf, i, now_min, minutes, &d);
	if (!d.count)
		return NULL;
	o = dist_json(&d, window_s, thresholds_of(h, k, &t));
	json_object_set_new(o, part_names[k][0], json_string(a));
	json_object_set_new(o, part_names[k][1], json_string(b));
	return o;
}

static json_t *thresholds_json(struct health *h)
{
	json_t *o = json_object();
	static const char *const names[] = { "api", "agent", "db" };
	static const enum perf_kind kinds[] = { PERF_API, PERF_AGENT, PERF_DB };
	struct perf_thresholds t;

	for (size_t i = 0; o && i < 3; i++) {
		thresholds_of(h, kinds[i], &t);
		json_object_set_new(o, names[i],
				    json_pack("{sf sf}", "warning_ms", (double)t.warn_ns / 1e6,
					      "critical_ms", (double)t.crit_ns / 1e6));
	}
	return o;
}

static void get_perf_summary(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { "window", "service", NULL };
	static const char *const lists[PERF_KIND__COUNT] = { "routes", "upstreams", "agents",
							     "databases" };
	struct health *h = ctx;
	const char *only = api_query(rq, "service");
	int64_t now = health_now_ms(h);
	json_t *j = json_object(), *l[PERF_KIND__COUNT], *o;
	unsigned minutes;
	double window_s;

	if (!check_keys(rq, keys, out) || !arg_window(rq, &minutes, out))
		return json_decref(j);
	window_s = health_window_s(h, now, minutes);
	for (int k = 0; k < PERF_KIND__COUNT; k++)
		json_object_set_new(j, lists[k], l[k] = json_array());
	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < perf__keys(h->perf); i++) {
		enum perf_kind k;
		const char *a;

		perf__key(h->perf, i, &k, &a, NULL);
		if (only && k != PERF_DB && strncmp(a, only, PERF_NAME_MAX - 1))
			continue;
		o = key_json(h, i, now / 60000, minutes, window_s);
		if (o)
			json_array_append_new(l[k], o);
	}
	json_object_set_new(j, "keys_untracked",
			    json_pack("{sI sI sI sI}", "api",
				      (json_int_t)perf__overflow(h->perf, PERF_API), "upstream",
				      (json_int_t)perf__overflow(h->perf, PERF_UPSTREAM), "agent",
				      (json_int_t)perf__overflow(h->perf, PERF_AGENT), "db",
				      (json_int_t)perf__overflow(h->perf, PERF_DB)));
	pthread_mutex_unlock(&h->lock);
	json_object_set_new(j, "window_s", json_real(window_s));
	json_object_set_new(j, "thresholds", thresholds_json(h));
	answer(out, 200, j);
}

/* Literal bytes of a route (outside {...}): the most specific of several matches wins. */
static size_t literal_len(const char *route)
{
	size_t n = 0;
	int depth = 0;

	for (; *route; route++) {
		depth += *route == '{' ? 1 : *route == '}' ? -1 : 0;
		n += !depth && *route != '}';
	}
	return n;
}

/* The served route path names: itself when known, else the known route that matches it. */
static bool find_route(struct health *h, const char *path, char *route, size_t len)
{
	size_t best = 0;
	bool found = false;

	for (size_t i = 0; i < perf__keys(h->perf); i++) {
		enum perf_kind k;
		const char *b;

		if (perf__key(h->perf, i, &k, NULL, &b) || k != PERF_API)
			continue;
		if (!strcmp(b, path)) {
			snprintf(route, len, "%s", b);
			return true;
		}
		if (route_pattern_match(b, path, strlen(path)) &&
		    (!found || literal_len(b) > best)) {
			best = literal_len(b);
			snprintf(route, len, "%s", b);
			found = true;
		}
	}
	return found;
}

static json_t *per_minute(struct health *h, size_t i, int64_t now_min, unsigned minutes)
{
	json_t *a = json_array();
	struct perf_dist d;

	for (int64_t m = now_min - minutes + 1; a && m <= now_min; m++) {
		perf_dist_clear(&d);
		perf__collect(h->perf, i, m, 1, &d);
		if (!d.count)
			continue;
		json_array_append_new(a, json_pack("{so sI sI so}", "minute", jtime(m * 60000),
						   "requests", (json_int_t)d.count, "errors",
						   (json_int_t)d.errors, "p95_ms",
						   jms(perf_dist_quantile(&d, 0.95))));
	}
	return a;
}

static json_t *endpoint_json(struct health *h, const char *route, const char *only, int64_t now,
			     unsigned minutes)
{
	double window_s = health_window_s(h, now, minutes);
	json_t *svcs = json_array(), *o;
	struct perf_thresholds t;
	struct perf_dist all;

	perf_dist_clear(&all);
	for (size_t i = 0; svcs && i < perf__keys(h->perf); i++) {
		enum perf_kind k;
		const char *a, *b;

		perf__key(h->perf, i, &k, &a, &b);
		if (k != PERF_API || strcmp(b, route) ||
		    (only && strncmp(a, only, PERF_NAME_MAX - 1)))
			continue;
		perf__collect(h->perf, i, now / 60000, minutes, &all);
		o = key_json(h, i, now / 60000, minutes, window_s);
		if (!o)
			continue;
		json_object_set_new(o, "per_minute", per_minute(h, i, now / 60000, minutes));
		json_array_append_new(svcs, o);
	}
	o = dist_json(&all, window_s, thresholds_of(h, PERF_API, &t));
	json_object_set_new(o, "route", json_string(route));
	json_object_set_new(o, "window_s", json_real(window_s));
	json_object_set_new(o, "services", svcs);
	return o;
}

static void get_perf_endpoint(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { "window", "service", NULL };
	static const char prefix[] = "/performance/endpoint/";
	struct health *h = ctx;
	const char *tail = rq->path + sizeof(prefix) - 1, *only = api_query(rq, "service");
	char path[ROUTE_MAX * 2], route[ROUTE_MAX];
	int64_t now = health_now_ms(h);
	unsigned minutes;
	json_t *j = NULL;

	if (!check_keys(rq, keys, out) || !arg_window(rq, &minutes, out))
		return;
	if (strncmp(rq->path, prefix, sizeof(prefix) - 1) || !*tail)
		return fail(out, 400, "give a route or a path: /performance/endpoint/{path}");
	if (strlen(tail) >= sizeof(path) - 1)
		return fail(out, 400, "path longer than %d bytes", (int)sizeof(path) - 2);
	snprintf(path, sizeof(path), "%s%s", *tail == '/' ? "" : "/", tail);
	pthread_mutex_lock(&h->lock);
	if (find_route(h, path, route, sizeof(route)))
		j = endpoint_json(h, route, only, now, minutes);
	pthread_mutex_unlock(&h->lock);
	if (!j)
		return fail(out, 404, "no served route matches this path");
	json_object_set_new(j, "path", json_string(path));
	answer(out, 200, j);
}

/* ---- GET /metrics/current ---- */

static json_t *kind_rates(struct health *h, enum perf_kind k, int64_t now_min, double window_s)
{
	struct perf_dist d;

	perf_dist_clear(&d);
	health_perf_merge(h, k, NULL, now_min, HEALTH_PERF_WINDOW_MIN, &d);
	return json_pack("{sI sf so so}", "count", (json_int_t)d.count, "per_s",
			 (double)d.count / window_s, "error_rate",
			 d.count ? json_real((double)d.errors / (double)d.count) : json_null(),
			 "p95_ms", jms(perf_dist_quantile(&d, 0.95)));
}

static json_t *host_json(struct health *h)
{
	double disk = -1;

	if (!h->have_sys)
		return json_pack("{sn sn sn sn}", "cpu_ratio", "memory_ratio", "load1",
				 "disk_max_used_ratio");
	for (size_t i = 0; i < h->sys.n_disks && i < SYSRES_MAX_DISKS; i++)
		disk = h->sys.disks[i].used_ratio > disk ? h->sys.disks[i].used_ratio : disk;
	return json_pack("{so so sf so}", "cpu_ratio",
			 jnum(h->sys.cpu_ratio >= 0 ? h->sys.cpu_ratio : NAN), "memory_ratio",
			 jnum(h->sys.mem_total ? h->sys.mem_ratio : NAN), "load1", h->sys.load1,
			 "disk_max_used_ratio", jnum(disk >= 0 ? disk : NAN));
}

static void get_current(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { NULL };
	struct health *h = ctx;
	int64_t now = health_now_ms(h), now_min = now / 60000;
	double window_s = health_window_s(h, now, HEALTH_PERF_WINDOW_MIN);
	struct health_verdict v;
	size_t up = 0, down = 0;
	json_t *j;

	if (!check_keys(rq, keys, out))
		return;
	pthread_mutex_lock(&h->lock);
	health_verdict(h, now, &v);
	for (size_t i = 0; i < h->n_comp; i++) {
		up += h->comp[i].r.at && h->comp[i].r.healthy;
		down += h->comp[i].r.at && !h->comp[i].r.healthy;
	}
	j = json_pack("{so ss sf so so so so so s{si si si} si}", "time", jtime(now), "status",
		      health_status_name(v.status), "window_s", window_s, "requests",
		      kind_rates(h, PERF_API, now_min, window_s), "upstreams",
		      kind_rates(h, PERF_UPSTREAM, now_min, window_s), "llm_calls",
		      kind_rates(h, PERF_AGENT, now_min, window_s), "db_operations",
		      kind_rates(h, PERF_DB, now_min, window_s), "host", host_json(h), "components",
		      "up", (int)up, "down", (int)down, "total", (int)h->n_comp, "services",
		      (int)sla__services(h->sla));
	pthread_mutex_unlock(&h->lock);
	answer(out, 200, j);
}

/* ---- GET /metrics/history ---- */

static int point_row(void *arg, const struct hs_point *p)
{
	double span = p->span_ms ? (double)p->span_ms / 1000.0 : NAN;

	return json_array_append_new(
		       arg,
		       json_pack("{so si ss sI sI so so so so so sI sI si si}", "time",
				 jtime(p->ts_ms), "samples", (int)p->samples, "status",
				 health_status_name(p->status), "requests", (json_int_t)p->requests,
				 "errors", (json_int_t)p->errors, "requests_per_s",
				 jnum((double)p->requests / span), "error_rate",
				 p->requests ? json_real((double)p->errors / (double)p->requests) :
					       json_null(),
				 "p95_ms", p->p95_s >= 0 ? jms(p->p95_s) : json_null(), "cpu_ratio",
				 p->cpu >= 0 ? json_real(p->cpu) : json_null(), "memory_ratio",
				 p->mem >= 0 ? json_real(p->mem) : json_null(), "llm_calls",
				 (json_int_t)p->llm_calls, "db_operations", (json_int_t)p->db_ops,
				 "components_up", (int)p->comp_up, "components_down",
				 (int)p->comp_down)) ?
		       -ENOMEM :
		       0;
}

static void get_series(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { "from", "to", "step", NULL };
	struct health *h = ctx;
	struct healthstore *s = health_store(h);
	int64_t now = health_now_ms(h), from, to, step;
	int64_t min_step = (int64_t)(h->o.history_interval_ns / NS_PER_MS);
	json_t *pts;
	int e;

	if (!check_keys(rq, keys, out) ||
	    !arg_range(rq, now - SERIES_SPAN_DEFAULT_MS, now, &from, &to, out) ||
	    !arg_duration(rq, "step", min_step, 366ll * 86400 * 1000, min_step, &step, out))
		return;
	if ((to - from) / step >= HEALTHSTORE_POINTS_MAX)
		return fail(out, 400, "more than %d points: raise 'step' or narrow from/to",
			    HEALTHSTORE_POINTS_MAX);
	if (!s)
		return fail(out, 503, "the health history store is unavailable (see the log)");
	pts = json_array();
	e = pts ? healthstore__series(s, from, to, step, point_row, pts) : -ENOMEM;
	if (e) {
		json_decref(pts);
		health_store_error(h, "read", -e);
		return fail(out, 503, "cannot read the health history store");
	}
	answer(out, 200,
	       json_pack("{so so sf sf so}", "from", jtime(from), "to", jtime(to), "step_s",
			 (double)step / 1000.0, "interval_s", (double)min_step / 1000.0, "points",
			 pts));
}

/* ---- POST /health/component/{name}/test ---- */

static bool name_ok(const char *s, size_t n)
{
	if (!n || n >= sizeof(((struct check_rule *)0)->name))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static void post_component(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { NULL };
	static const char prefix[] = "/health/component/", suffix[] = "/test";
	struct health *h = ctx;
	const char *name = rq->path + sizeof(prefix) - 1;
	size_t n = strlen(name);
	struct check_result r = { 0 };
	char nm[64];
	int e;

	if (!check_keys(rq, keys, out))
		return;
	if (n <= sizeof(suffix) - 1 || strcmp(name + n - (sizeof(suffix) - 1), suffix) ||
	    !name_ok(name, n - (sizeof(suffix) - 1)))
		return fail(out, 404, "use POST /health/component/{name}/test");
	snprintf(nm, sizeof(nm), "%.*s", (int)(n - (sizeof(suffix) - 1)), name);
	if (!h->o.run_check)
		return fail(out, 404, "no component checks are configured");
	e = h->o.run_check(h->o.run_check_ctx, nm, &r); /* no lock: a check may take its timeout */
	if (e == -ENOENT)
		return fail(out, 404, "no component check named '%s'", nm);
	if (e)
		return fail(out, 500, "the check could not be run (%s)", strerror(-e));
	health__component(h, nm, &r);
	answer(out, 200,
	       json_pack("{ss ss sf so so}", "component", nm, "status",
			 r.healthy ? "healthy" : "unhealthy", "latency_ms",
			 (double)r.latency_ns / 1e6, "error",
			 r.error[0] ? json_stringn(r.error, strnlen(r.error, sizeof(r.error))) :
				      json_null(),
			 "checked_at", jtime(r.at > 0 ? r.at * 1000 : health_now_ms(h))));
}

void health_api_routes(struct health *h)
{
	const struct api_route r[HEALTH_ROUTES] = {
		{ "GET", "/health", get_health, h },
		{ "GET", "/health/detailed", get_detailed, h },
		{ "GET", "/health/history", get_history, h },
		{ "GET", "/health/sla", get_sla, h },
		{ "POST", "/health/component/", post_component, h },
		{ "GET", "/business/sla-compliance", get_compliance, h },
		{ "GET", "/performance/summary", get_perf_summary, h },
		{ "GET", "/performance/endpoint/", get_perf_endpoint, h },
		{ "GET", "/metrics/current", get_current, h },
		{ "GET", "/metrics/history", get_series, h },
	};

	memcpy(h->routes, r, sizeof(r));
}
