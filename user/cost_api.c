// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The /costs and /business REST endpoints: JSON views over the ledger and
 * the engine's period figures, and POST /costs/track/llm for usage no probe
 * can see (batch jobs). Every query argument is checked (unknown keys,
 * malformed days, bad dimensions get a 400 naming the problem); values
 * reach SQLite only as bound parameters (ledger.c).
 */
#include "cost_int.h"
#include "cost_track.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BREAKDOWN_LIMIT_MAX 1000

static void answer(struct api_reply *out, unsigned status, json_t *j)
{
	out->status = status;
	out->json = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
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

/* from/to as YYYY-MM-DD, defaulting to this month so far. */
static bool day_range(const struct api_request *rq, const struct budget_day *today,
		      const char **from, const char **to, struct api_reply *out)
{
	const char *f = api_query(rq, "from"), *t = api_query(rq, "to");
	char tmp[11];

	*from = f ? f : today->month_first;
	*to = t ? t : today->day;
	if (strlen(*from) != 10 || budget_day_minus(*from, 0, tmp) || strcmp(tmp, *from)) {
		fail(out, 400, "'from' must be a day as YYYY-MM-DD");
		return false;
	}
	if (strlen(*to) != 10 || budget_day_minus(*to, 0, tmp) || strcmp(tmp, *to)) {
		fail(out, 400, "'to' must be a day as YYYY-MM-DD");
		return false;
	}
	if (strcmp(*from, *to) > 0) {
		fail(out, 400, "'from' is after 'to'");
		return false;
	}
	return true;
}

/* Calendar days in [from, to], both included. */
static double days_between(const char *from, const char *to)
{
	struct tm a = { 0 }, b = { 0 };

	if (sscanf(from, "%d-%d-%d", &a.tm_year, &a.tm_mon, &a.tm_mday) != 3 ||
	    sscanf(to, "%d-%d-%d", &b.tm_year, &b.tm_mon, &b.tm_mday) != 3)
		return 1;
	a.tm_year -= 1900;
	b.tm_year -= 1900;
	a.tm_mon--;
	b.tm_mon--;
	return (double)(timegm(&b) - timegm(&a)) / 86400.0 + 1;
}

static json_t *num_or_null(double v)
{
	return v < 0 || !isfinite(v) ? json_null() : json_real(v);
}

/* ---- GET /costs/summary ---- */

static json_t *period_json(const struct cost_engine *ce, enum budget_period p, double spend,
			   enum budget_status st)
{
	double lim = budget_limit(&ce->b, p);
	double warn = lim * (p == BUDGET_DAILY ? ce->b.daily_warn_ratio : ce->b.monthly_warn_ratio);
	json_t *j = json_pack("{sf sf sf ss sf}", "spend_usd", spend, "budget_usd", lim,
			      "utilization", spend / lim, "status", budget_status_name(st),
			      "warn_usd", warn);

	if (j && p == BUDGET_DAILY)
		json_object_set_new(j, "critical_usd", json_real(ce->b.daily_critical_usd));
	if (j)
		json_object_set_new(j, "remaining_usd", json_real(spend < lim ? lim - spend : 0));
	return j;
}

static int provider_row(void *arg, const struct ledger_row *r)
{
	json_t *o = json_pack("{sf sI sI}", "spend_usd", r->usd, "calls", (json_int_t)r->calls,
			      "unpriced_calls", (json_int_t)r->unpriced);

	return o ? json_object_set_new(arg, r->key, o) : -ENOMEM;
}

static void get_summary(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { NULL };
	struct cost_engine *ce = ctx;
	struct budget_day d;
	double spend[2];
	enum budget_status st[2];
	struct budget_projection pr;
	struct ledger_filter f = { 0 };
	json_t *j, *prov = json_object();

	if (!check_keys(rq, keys, out))
		return json_decref(prov);
	cost_snapshot(ce, &d, spend, st, &pr);
	f.from = d.month_first;
	f.to = d.day;
	if (!prov || ledger__breakdown(ce->ledger, &f, LEDGER_BY_PROVIDER, 0, provider_row, prov)) {
		json_decref(prov);
		return fail(out, 503, "cannot read the cost ledger");
	}
	j = json_pack("{ss ss ss so so so s{sf sf sf ss} s{si ss}}", "timezone", ce->b.timezone,
		      "day", d.day, "month", d.month_first, "daily",
		      period_json(ce, BUDGET_DAILY, spend[0], st[0]), "monthly",
		      period_json(ce, BUDGET_MONTHLY, spend[1], st[1]), "by_provider", prov,
		      "projection", "projected_usd", pr.projected, "low_usd", pr.low, "high_usd",
		      pr.high, "method", pr.method ? pr.method : "run_rate", "pricing", "models",
		      (int)pricing__count(ce->pricing), "builtin_date", pricing_builtin_date());
	answer(out, j ? 200 : 500, j);
}

/* ---- GET /costs/breakdown ---- */

static int breakdown_row(void *arg, const struct ledger_row *r)
{
	json_t *o = json_pack("{ss sf sI sI sI sI sI sI}", "key", r->key, "spend_usd", r->usd,
			      "calls", (json_int_t)r->calls, "input_tokens", (json_int_t)r->input,
			      "output_tokens", (json_int_t)r->output, "cache_read_tokens",
			      (json_int_t)r->cache_read, "cache_creation_tokens",
			      (json_int_t)r->cache_creation, "unpriced_calls",
			      (json_int_t)r->unpriced);

	return o ? json_array_append_new(arg, o) : -ENOMEM;
}

static void get_breakdown(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { "by",	  "from",    "to",    "provider", "model",
					    "agent_type", "service", "limit", NULL };
	struct cost_engine *ce = ctx;
	const char *by = api_query(rq, "by"), *lim = api_query(rq, "limit");
	struct ledger_filter f = { 0 };
	struct budget_day d;
	double spend[2], total = 0;
	enum budget_status st[2];
	struct budget_projection pr;
	enum ledger_dim dim = LEDGER_BY_PROVIDER;
	unsigned long limit = 100;
	char *end;
	json_t *rows;

	if (!check_keys(rq, keys, out))
		return;
	cost_snapshot(ce, &d, spend, st, &pr);
	if (by && ledger_dim_parse(by, &dim))
		return fail(out, 400, "'by' must be provider, model, agent_type, service or day");
	if (lim &&
	    (strtoul(lim, &end, 10),
	     *end || !*lim || (limit = strtoul(lim, NULL, 10)) == 0 || limit > BREAKDOWN_LIMIT_MAX))
		return fail(out, 400, "'limit' must be 1 to %d", BREAKDOWN_LIMIT_MAX);
	if (!day_range(rq, &d, &f.from, &f.to, out))
		return;
	f.provider = api_query(rq, "provider");
	f.model = api_query(rq, "model");
	f.agent_type = api_query(rq, "agent_type");
	f.service = api_query(rq, "service");
	rows = json_array();
	if (!rows || ledger__breakdown(ce->ledger, &f, dim, limit, breakdown_row, rows)) {
		json_decref(rows);
		return fail(out, 503, "cannot read the cost ledger");
	}
	for (size_t i = 0; i < json_array_size(rows); i++)
		total += json_real_value(json_object_get(json_array_get(rows, i), "spend_usd"));
	answer(out, 200,
	       json_pack("{ss ss ss sf so}", "by", ledger_dim_name(dim), "from", f.from, "to", f.to,
			 "total_usd", total, "rows", rows));
}

/* ---- GET /costs/projections ---- */

static void get_projections(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { NULL };
	struct cost_engine *ce = ctx;
	struct budget_day d;
	double spend[2];
	enum budget_status st[2];
	struct budget_projection pr;
	double lim = budget_limit(&ce->b, BUDGET_MONTHLY);

	if (!check_keys(rq, keys, out))
		return;
	cost_snapshot(ce, &d, spend, st, &pr);
	answer(out, 200,
	       json_pack(
		       "{s{ss sf sf sf sf sf ss sI sf sf sf si si ss}}", "month", "month",
		       d.month_first, "spent_usd", spend[1], "projected_usd", pr.projected,
		       "low_usd", pr.low, "high_usd", pr.high, "confidence", pr.confidence,
		       "method", pr.method ? pr.method : "run_rate", "days_used",
		       (json_int_t)pr.days_used, "daily_slope_usd", pr.daily_slope, "budget_usd",
		       lim, "projected_utilization", pr.projected / lim, "day_of_month",
		       (int)d.day_of_month, "days_in_month", (int)d.days_in_month,
		       "projected_status",
		       budget_status_name(budget_status_of(&ce->b, BUDGET_MONTHLY, pr.projected))));
}

/* ---- business counts shared by efficiency and productivity ---- */

static int count_row(void *arg, const struct ledger_event_count *c)
{
	struct business_counts *bc = arg;
	enum business_category cat;
	enum business_outcome o;

	if (business_category_parse(c->category, &cat) || business_outcome_parse(c->outcome, &o))
		return 0;
	bc->n[cat][o] += c->count;
	return 0;
}

static json_t *per_category(const double *v, bool nullable)
{
	json_t *j = json_object();

	for (int c = 0; j && c < BIZ_CATEGORY__COUNT; c++)
		json_object_set_new(j, business_category_name(c),
				    nullable ? num_or_null(v[c]) : json_real(v[c]));
	return j;
}

/* from/to of a window endpoint: only those keys, valid days; false after answering 400. */
static bool window_args(struct cost_engine *ce, const struct api_request *rq, struct api_reply *out,
			struct budget_day *d, const char **from, const char **to)
{
	static const char *const keys[] = { "from", "to", NULL };
	double spend[2];
	enum budget_status st[2];
	struct budget_projection pr;

	if (!check_keys(rq, keys, out))
		return false;
	cost_snapshot(ce, d, spend, st, &pr);
	return day_range(rq, d, from, to, out);
}

static void get_efficiency(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	struct cost_engine *ce = ctx;
	struct business_counts bc = { 0 };
	struct business_efficiency e;
	struct budget_day d;
	double succ[BIZ_CATEGORY__COUNT];
	const char *from, *to;
	double usd = 0;

	if (!window_args(ce, rq, out, &d, &from, &to))
		return;
	if (ledger__spend(ce->ledger, from, to, &usd, NULL) ||
	    ledger__event_counts(ce->ledger, from, to, count_row, &bc))
		return fail(out, 503, "cannot read the cost ledger");
	business_efficiency(&bc, usd, &e);
	for (int c = 0; c < BIZ_CATEGORY__COUNT; c++)
		succ[c] = (double)bc.n[c][BIZ_SUCCEEDED];
	answer(out, 200,
	       json_pack("{ss ss sf so so}", "from", from, "to", to, "spend_usd", usd,
			 "cost_per_usd", per_category(e.cost_per, true), "succeeded",
			 per_category(succ, false)));
}

static void get_productivity(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	struct cost_engine *ce = ctx;
	struct business_counts bc = { 0 };
	struct business_productivity p;
	struct budget_day d;
	double succ[BIZ_CATEGORY__COUNT];
	const char *from, *to;

	if (!window_args(ce, rq, out, &d, &from, &to))
		return;
	if (ledger__event_counts(ce->ledger, from, to, count_row, &bc))
		return fail(out, 503, "cannot read the cost ledger");
	business_productivity(&bc, &ce->w, days_between(from, to), &p);
	for (int c = 0; c < BIZ_CATEGORY__COUNT; c++)
		succ[c] = (double)p.succeeded[c];
	answer(out, 200,
	       json_pack("{ss ss sf so sf sf so so}", "from", from, "to", to, "days", p.days,
			 "experiment_success_rate", num_or_null(p.experiment_success_rate),
			 "outcomes_per_day", p.outcomes_per_day, "score", p.score, "succeeded",
			 per_category(succ, false), "weights", per_category(ce->w.w, false)));
}

/* ---- POST /costs/track/llm ---- */

static void post_track(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	struct cost_engine *ce = ctx;
	struct cost_track t;
	char why[160];
	int e;

	if (cost_track_parse(rq->body, rq->body_len, ce->clock(), &t, why, sizeof(why)))
		return fail(out, 400, "%s", why);
	cost_track_price(ce->pricing, &t);
	e = cost_record(ce, &t.row, t.when, true);
	if (e == -EALREADY)
		return answer(out, 200,
			      json_pack("{sb sb ss}", "recorded", 0, "duplicate", 1, "id",
					t.row.idem_key));
	if (e)
		return fail(out, 503, "not recorded: the cost ledger cannot be written");
	answer(out, 201,
	       json_pack("{sb sf sb ss ss ss}", "recorded", 1, "cost_usd", t.row.cost_usd, "priced",
			 t.row.priced, "day", t.row.day, "model", t.row.model, "agent_type",
			 t.row.agent_type));
}

void cost_api_routes(struct cost_engine *ce)
{
	const struct api_route r[COST_ROUTES] = {
		{ "GET", "/costs/summary", get_summary, ce },
		{ "GET", "/costs/breakdown", get_breakdown, ce },
		{ "GET", "/costs/projections", get_projections, ce },
		{ "GET", "/costs/efficiency", get_efficiency, ce },
		{ "POST", "/costs/track/llm", post_track, ce },
		{ "GET", "/business/productivity", get_productivity, ce },
	};

	memcpy(ce->routes, r, sizeof(r));
}
