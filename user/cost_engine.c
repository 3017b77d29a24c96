// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Spend as it happens: each call is priced, written to the ledger in its
 * own transaction, then added to the cached day and month totals that the
 * budget status and gauges read. The cache is rebuilt from the ledger at
 * start and at every day change, so a restart (even after SIGKILL) resumes
 * from what was committed, and nothing is counted twice.
 */
#include "cost_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"

#define PROJECTION_PERIOD_S 30

static time_t wall_now(void)
{
	return time(NULL);
}

static const char *const L_COST[] = { "service_name", "agent_type", "provider", "model", NULL };
static const char *const L_MODEL[] = { "model", NULL };
static const char *const L_PERIOD[] = { "period", NULL };
static const char *const L_BOUND[] = { "period", "bound", NULL };
static const char *const L_STATUS[] = { "period", "status", NULL };
static const char *const L_EVENT[] = { "event", NULL };

static int define_families(struct cost_engine *ce)
{
	const struct metric_def f[] = {
		{ &ce->f_cost, "biothings_llm_cost_usd_total", METRIC_COUNTER,
		  "LLM spend in US dollars, priced from observed token usage.", L_COST },
		{ &ce->f_unpriced, "biothings_llm_unpriced_requests_total", METRIC_COUNTER,
		  "LLM calls whose model has no price (costed at 0).", L_MODEL },
		{ &ce->f_budget, "biothings_llm_budget_usd", METRIC_GAUGE,
		  "Configured LLM budget per period.", L_PERIOD },
		{ &ce->f_spend, "biothings_llm_spend_usd", METRIC_GAUGE,
		  "LLM spend so far in the current day or month (from the ledger).", L_PERIOD },
		{ &ce->f_util, "biothings_llm_budget_utilization_ratio", METRIC_GAUGE,
		  "Spend divided by budget for the current period.", L_PERIOD },
		{ &ce->f_proj, "biothings_llm_cost_projection_usd", METRIC_GAUGE,
		  "Projected LLM spend at the end of the period.", L_PERIOD },
		{ &ce->f_proj_bound, "biothings_llm_cost_projection_bound_usd", METRIC_GAUGE,
		  "Low and high bound of the projection's interval.", L_BOUND },
		{ &ce->f_status, "biothings_llm_budget_status", METRIC_GAUGE,
		  "1 for the budget status the period is in (ok, warning, exceeded, critical).",
		  L_STATUS },
		{ &ce->f_trans, "biothings_llm_budget_transitions_total", METRIC_COUNTER,
		  "Budget status changes, by the status entered.", L_STATUS },
		{ &ce->f_biz, "biothings_business_events_total", METRIC_COUNTER,
		  "Business events recognised in served HTTP requests.", L_EVENT },
		{ &ce->f_ledger_err, "biothings_cost_ledger_errors_total", METRIC_COUNTER,
		  "Ledger writes that failed (the spend still counts in memory).", NULL },
	};

	return metrics__define_table(ce->m, f, sizeof(f) / sizeof(f[0]));
}

/* Reloads today's and this month's totals from the ledger (start, day change). */
static int reload_periods(struct cost_engine *ce, const struct budget_day *d)
{
	double day = 0, month = 0;
	int err = ledger__spend(ce->ledger, d->day, d->day, &day, NULL);

	if (!err)
		err = ledger__spend(ce->ledger, d->month_first, d->month_last, &month, NULL);
	if (err)
		return err;
	ce->today = *d;
	ce->spend[BUDGET_DAILY] = day;
	ce->spend[BUDGET_MONTHLY] = month;
	return 0;
}

/* Gauges and status for both periods; logs and counts each change. Lock held. */
static void publish(struct cost_engine *ce, bool count_changes)
{
	for (int p = 0; p < BUDGET_PERIOD__COUNT; p++) {
		const char *pn = budget_period_name(p);
		double lim = budget_limit(&ce->b, p);
		enum budget_status st = budget_status_of(&ce->b, p, ce->spend[p]);
		const char *lv[] = { pn, NULL };

		metrics__set(ce->m, ce->f_budget, lv, lim);
		metrics__set(ce->m, ce->f_spend, lv, ce->spend[p]);
		metrics__set(ce->m, ce->f_util, lv, ce->spend[p] / lim);
		for (int s = 0; s < BUDGET_STATUS__COUNT; s++) {
			const char *sv[] = { pn, budget_status_name(s) };

			if (p == BUDGET_MONTHLY && s == BUDGET_CRITICAL)
				continue;
			metrics__set(ce->m, ce->f_status, sv, s == (int)st);
			metrics__add(ce->m, ce->f_trans, sv, 0); /* every series exists from 0 */
		}
		if (st == ce->status[p])
			continue;
		if (count_changes) {
			const char *sv[] = { pn, budget_status_name(st) };

			metrics__add(ce->m, ce->f_trans, sv, 1);
		}
		log_cat(st > ce->status[p] ? LOG_WARN : LOG_INFO, LOGC_AUDIT,
			"budget status changed period=%s from=%s to=%s spend_usd=%.4f budget_usd=%.2f "
			"day=%s",
			pn, budget_status_name(ce->status[p]), budget_status_name(st), ce->spend[p],
			lim, ce->today.day);
		ce->status[p] = st;
	}
}

struct trend {
	char days[BUDGET_TREND_DAYS][11]; /* oldest first, the last one yesterday */
	double usd[BUDGET_TREND_DAYS];
};

static int trend_row(void *arg, const struct ledger_row *r)
{
	struct trend *t = arg;

	for (int i = 0; i < BUDGET_TREND_DAYS; i++) {
		if (!strcmp(t->days[i], r->key))
			t->usd[i] = r->usd;
	}
	return 0;
}

static void project(struct cost_engine *ce, time_t now)
{
	struct trend t = { 0 };
	struct ledger_filter f = { 0 };
	struct budget_day d;
	size_t skip = 0;

	pthread_mutex_lock(&ce->mu);
	d = ce->today;
	pthread_mutex_unlock(&ce->mu);
	for (int i = 0; i < BUDGET_TREND_DAYS; i++) {
		if (budget_day_minus(d.day, BUDGET_TREND_DAYS - i, t.days[i]))
			return;
	}
	f.from = t.days[0];
	f.to = t.days[BUDGET_TREND_DAYS - 1];
	if (ledger__breakdown(ce->ledger, &f, LEDGER_BY_DAY, 0, trend_row, &t))
		return;
	/* days before the first spend ever recorded say nothing about the trend */
	while (skip < BUDGET_TREND_DAYS && t.usd[skip] == 0)
		skip++;
	pthread_mutex_lock(&ce->mu);
	budget_project_month(t.usd + skip, BUDGET_TREND_DAYS - skip, ce->spend[BUDGET_DAILY],
			     ce->today.day_fraction, ce->spend[BUDGET_MONTHLY],
			     ce->today.days_in_month - ce->today.day_of_month, &ce->proj);
	const char *lv[] = { "month", NULL }, *lo[] = { "month", "low" },
		   *hi[] = { "month", "high" };
	metrics__set(ce->m, ce->f_proj, lv, ce->proj.projected);
	metrics__set(ce->m, ce->f_proj_bound, lo, ce->proj.low);
	metrics__set(ce->m, ce->f_proj_bound, hi, ce->proj.high);
	ce->next_projection = now + PROJECTION_PERIOD_S;
	pthread_mutex_unlock(&ce->mu);
}

void cost_engine__tick(struct cost_engine *ce)
{
	time_t now = ce->clock();
	struct budget_day d;
	bool rolled;

	if (budget_day_of(now, &d))
		return;
	pthread_mutex_lock(&ce->mu);
	rolled = strcmp(d.day, ce->today.day) != 0;
	if (rolled && reload_periods(ce, &d))
		log_error("cannot read the cost ledger at day change day=%s", d.day);
	ce->today.day_fraction = d.day_fraction;
	if (rolled)
		publish(ce, true);
	pthread_mutex_unlock(&ce->mu);
	if (rolled || now >= ce->next_projection)
		project(ce, now);
}

int cost_record(struct cost_engine *ce, struct ledger_spend *s, time_t when, bool must_persist)
{
	const char *lv[] = { s->service, s->agent_type, s->provider, s->model, NULL };
	struct budget_day d;
	int err;

	if (budget_day_of(when, &d))
		return -EINVAL;
	memcpy(s->day, d.day, sizeof(s->day));
	err = ledger__add_spend(ce->ledger, s);
	if (err == -EALREADY)
		return err;
	if (err) {
		metrics__add(ce->m, ce->f_ledger_err, NULL, 1);
		if (log_every(&ce->log_ns, 60ull * 1000000000ull))
			log_error("cost ledger write failed err=%d source=%s", err, s->source);
		if (must_persist)
			return -EIO;
	}
	metrics__add(ce->m, ce->f_cost, lv, s->cost_usd);
	pthread_mutex_lock(&ce->mu);
	if (!strcmp(d.day, ce->today.day))
		ce->spend[BUDGET_DAILY] += s->cost_usd;
	else
		ce->next_projection = 0; /* a back-dated row changes the trend: project at once */
	if (!strcmp(d.month_first, ce->today.month_first))
		ce->spend[BUDGET_MONTHLY] += s->cost_usd;
	publish(ce, true);
	pthread_mutex_unlock(&ce->mu);
	return err ? -EIO : 0;
}

/* Logged once per model (bounded), counted always. */
static void note_unpriced(struct cost_engine *ce, const char *provider, const char *model)
{
	const char *lv[] = { model && model[0] ? model : "unknown", NULL };

	metrics__add(ce->m, ce->f_unpriced, lv, 1);
	for (size_t i = 0; i < ce->n_unpriced; i++) {
		if (!strncmp(ce->unpriced[i], lv[0], sizeof(ce->unpriced[i]) - 1))
			return;
	}
	if (ce->n_unpriced < COST_UNPRICED_LOGGED) {
		snprintf(ce->unpriced[ce->n_unpriced++], sizeof(ce->unpriced[0]), "%s", lv[0]);
		log_warn(
			"no price for model, costed at 0 provider=%s model=%s (add it with --pricing)",
			provider, lv[0]);
	}
}

double cost_engine__llm_call(struct cost_engine *ce, const struct llm_call *c, const char *service,
			     const char *agent)
{
	struct cost cost;
	struct ledger_spend s = { 0 };

	if (!ce || (!c->usage_ok && c->reported_cost_usd < 0))
		return 0; /* nothing was billed that we can see */
	pricing__cost(ce->pricing, c, &cost);
	if (!cost.priced)
		note_unpriced(ce, c->provider, cost.model);
	s.ts_us = (int64_t)ce->clock() * 1000000;
	s.provider = c->provider;
	s.model = cost.model && cost.model[0] ? cost.model : "unknown";
	s.agent_type = agent;
	s.service = service;
	s.input = c->tok.input;
	s.output = c->tok.output;
	s.cache_read = c->tok.cache_read;
	s.cache_creation = c->tok.cache_creation;
	s.cost_usd = cost.usd;
	s.priced = cost.priced;
	s.source = "observed";
	cost_record(ce, &s, ce->clock(), false);
	return cost.usd;
}

void cost_engine__http(struct cost_engine *ce, const char *service, const char *method,
		       const char *path, size_t len, uint16_t status)
{
	const struct business_rule *r;
	struct ledger_event e = { 0 };
	struct budget_day d;
	time_t now;

	if (!ce || !ce->biz)
		return;
	r = business__match(ce->biz, service, method, path, len, status);
	if (!r)
		return;
	const char *lv[] = { r->event, NULL };
	metrics__add(ce->m, ce->f_biz, lv, 1);
	now = ce->clock();
	if (budget_day_of(now, &d))
		return;
	e.ts_us = (int64_t)now * 1000000;
	memcpy(e.day, d.day, sizeof(e.day));
	e.event = r->event;
	e.category = business_category_name(r->category);
	e.outcome = business_outcome_name(r->outcome);
	e.service = service;
	if (ledger__add_event(ce->ledger, &e)) {
		metrics__add(ce->m, ce->f_ledger_err, NULL, 1);
		if (log_every(&ce->log_ns, 60ull * 1000000000ull))
			log_error("cost ledger write failed (business event) event=%s", r->event);
	}
}

void cost_snapshot(struct cost_engine *ce, struct budget_day *today, double spend[2],
		   enum budget_status status[2], struct budget_projection *proj)
{
	pthread_mutex_lock(&ce->mu);
	*today = ce->today;
	memcpy(spend, ce->spend, sizeof(ce->spend));
	memcpy(status, ce->status, sizeof(ce->status));
	*proj = ce->proj;
	pthread_mutex_unlock(&ce->mu);
}

static int load_prices(struct cost_engine *ce, const char *path, char *err, size_t errlen)
{
	size_t skipped = 0;
	int e;

	ce->pricing = pricing__new();
	if (!ce->pricing)
		return -ENOMEM;
	e = pricing__load_builtin(ce->pricing, err, errlen);
	if (e || !path || !path[0])
		return e;
	e = pricing__load_file(ce->pricing, path, &skipped, err, errlen);
	if (!e)
		log_info("prices loaded file=%s models=%zu skipped=%zu", path,
			 pricing__count(ce->pricing), skipped);
	return e;
}

static int start(struct cost_engine *ce, const struct cost_engine_opts *o, char *err, size_t errlen)
{
	struct budget_day d;
	int e = load_prices(ce, o->pricing_path, err, errlen);

	if (e)
		return e;
	ce->ledger = ledger__open(o->db_path, err, errlen);
	if (!ce->ledger)
		return -errno;
	ce->biz = business__new(o->biz_rules, o->n_biz_rules);
	if (!ce->biz)
		return -errno;
	e = define_families(ce);
	if (e) {
		snprintf(err, errlen, "cost metrics: %s", strerror(-e));
		return e;
	}
	if (budget_day_of(ce->clock(), &d) || reload_periods(ce, &d)) {
		snprintf(err, errlen, "cannot read spend from %s", o->db_path);
		return -EIO;
	}
	pthread_mutex_lock(&ce->mu);
	publish(ce, false);
	pthread_mutex_unlock(&ce->mu);
	project(ce, ce->clock());
	cost_api_routes(ce);
	return 0;
}

struct cost_engine *cost_engine__new(const struct cost_engine_opts *o, struct metrics *m, char *err,
				     size_t errlen)
{
	struct cost_engine *ce = calloc(1, sizeof(*ce));
	int e;

	if (!ce) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&ce->mu, NULL);
	ce->b = *o->budgets;
	ce->w = *o->weights;
	ce->m = m;
	ce->clock = o->clock ? o->clock : wall_now;
	e = start(ce, o, err, errlen);
	if (e) {
		cost_engine__free(ce);
		errno = -e;
		return NULL;
	}
	log_info("cost engine ready ledger=%s models=%zu prices_of=%s day_spend_usd=%.4f "
		 "month_spend_usd=%.4f timezone=%s",
		 o->db_path, pricing__count(ce->pricing), pricing_builtin_date(),
		 ce->spend[BUDGET_DAILY], ce->spend[BUDGET_MONTHLY], ce->b.timezone);
	return ce;
}

void cost_engine__free(struct cost_engine *ce)
{
	if (!ce)
		return;
	ledger__close(ce->ledger);
	pricing__free(ce->pricing);
	business__free(ce->biz);
	pthread_mutex_destroy(&ce->mu);
	free(ce);
}

const struct api_route *cost_engine__routes(struct cost_engine *ce, size_t *n)
{
	*n = COST_ROUTES;
	return ce->routes;
}
