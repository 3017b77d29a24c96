/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The body of POST /costs/track/llm: usage no probe can see (batch jobs,
 * other hosts), validated strictly so a typo is a 400, not a silent zero.
 * Pure: JSON text in, a priced ledger row out (docs/costs.md, "Tracking
 * usage by hand").
 */
#ifndef BT_COST_TRACK_H
#define BT_COST_TRACK_H

#include <stddef.h>
#include <time.h>

#include "ledger.h"
#include "pricing.h"

#define COST_TRACK_PAST_DAYS 400 /* older timestamps are refused */
#define COST_TRACK_FUTURE_S 300 /* clock skew allowed */

struct cost_track {
	struct ledger_spend row; /* its strings point into the buffers below */
	time_t when;
	double given_cost; /* cost_usd from the body, -1 when absent */
	char provider[32], model[LEDGER_TEXT_MAX], agent[64], service[LEDGER_TEXT_MAX];
	char id[LEDGER_KEY_MAX];
};

/* 0, or -EINVAL with a message naming the field in why. */
int cost_track_parse(const char *body, size_t len, time_t now, struct cost_track *t, char *why,
		     size_t whylen);
/* Fills row.cost_usd and row.priced: the given cost, else the table's price. */
void cost_track_price(const struct pricing *p, struct cost_track *t);

#endif
