/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The cost engine: prices each finished LLM call (pricing.h), writes it to
 * the SQLite ledger (ledger.h) as it happens, keeps today's and this month's
 * spend against the budgets (budget.h) with a logged, counted transition on
 * every status change, projects the month end, and turns served HTTP
 * requests into business events (business.h). It owns the cost metric
 * families and the /costs and /business REST routes (cost_api.c).
 * The capture loop feeds it; the API thread reads it; a mutex keeps the
 * period figures consistent between them.
 */
#ifndef BT_COST_ENGINE_H
#define BT_COST_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "api.h"
#include "budget.h"
#include "business.h"
#include "llm_usage.h"

struct metrics;

struct cost_engine_opts {
	const char *db_path; /* the ledger file */
	const char *pricing_path; /* "" or NULL: the built-in table only */
	const struct budget_cfg *budgets; /* zone already applied (budget_tz_apply) */
	const struct business_rule *biz_rules;
	size_t n_biz_rules;
	const struct business_weights *weights;
	time_t (*clock)(void); /* wall clock; NULL = time(NULL). Tests move it. */
};

struct cost_engine;

/* Loads prices and the ledger, defines the metric families. NULL + message. */
struct cost_engine *cost_engine__new(const struct cost_engine_opts *o, struct metrics *m, char *err,
				     size_t errlen);
void cost_engine__free(struct cost_engine *ce);

/* A finished, observed LLM call; returns its cost in USD (0 when nothing was billed). */
double cost_engine__llm_call(struct cost_engine *ce, const struct llm_call *c, const char *service,
			     const char *agent);
/* A served HTTP request: a business event when a rule matches. path may hold a query. */
void cost_engine__http(struct cost_engine *ce, const char *service, const char *method,
		       const char *path, size_t len, uint16_t status);
/* Day and month roll-over, budget status and projection gauges; call about once a second. */
void cost_engine__tick(struct cost_engine *ce);
/* The REST routes: /costs/summary, /costs/breakdown, /costs/projections, /costs/efficiency,
 * POST /costs/track/llm, /business/productivity. Valid while ce lives. */
const struct api_route *cost_engine__routes(struct cost_engine *ce, size_t *n);

#endif
