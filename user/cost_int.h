/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Internal to cost_engine.c and cost_api.c: the engine's state and the few
 * calls the REST handlers make into it.
 */
#ifndef BT_COST_INT_H
#define BT_COST_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "cost_engine.h"
#include "ledger.h"
#include "pricing.h"

#define COST_ROUTES 6
#define COST_UNPRICED_LOGGED 256 /* models whose missing price was logged */

struct cost_engine {
	pthread_mutex_t mu; /* guards the period figures below */
	struct budget_cfg b;
	struct budget_day today;
	double spend[BUDGET_PERIOD__COUNT];
	enum budget_status status[BUDGET_PERIOD__COUNT];
	struct budget_projection proj;
	time_t next_projection;

	struct pricing *pricing;
	struct ledger *ledger;
	struct business *biz;
	struct business_weights w;
	struct metrics *m;
	time_t (*clock)(void);
	int f_cost, f_unpriced, f_budget, f_spend, f_util, f_proj, f_proj_bound, f_status, f_trans,
		f_biz, f_ledger_err;
	char unpriced[COST_UNPRICED_LOGGED][64];
	size_t n_unpriced;
	uint64_t log_ns;
	struct api_route routes[COST_ROUTES];
};

/*
 * One priced row into the ledger, the cost counter and the period figures
 * (either thread). 0, -EALREADY (idempotency key seen: nothing counted),
 * -EIO (write failed: counted in memory unless must_persist, when nothing
 * is counted so the caller can retry).
 */
int cost_record(struct cost_engine *ce, struct ledger_spend *s, time_t when, bool must_persist);
/* Current figures under the lock. */
void cost_snapshot(struct cost_engine *ce, struct budget_day *today, double spend[2],
		   enum budget_status status[2], struct budget_projection *proj);
/* Fills routes[] (cost_api.c). */
void cost_api_routes(struct cost_engine *ce);

#endif
