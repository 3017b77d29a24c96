/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Business outcomes from observed HTTP traffic: ordered rules turn a
 * served request (service, method, path, status) into a named event such
 * as experiment_completed, and counts of those events into research
 * productivity and cost efficiency figures (docs/costs.md defines them).
 * Pure: no I/O, no locks; the rules are fixed after business__new().
 */
#ifndef BT_BUSINESS_H
#define BT_BUSINESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUSINESS_MAX_RULES 256

enum business_category {
	BIZ_EXPERIMENT,
	BIZ_PUBLICATION,
	BIZ_DISCOVERY,
	BIZ_OTHER,
	BIZ_CATEGORY__COUNT
};
enum business_outcome {
	BIZ_STARTED,
	BIZ_SUCCEEDED,
	BIZ_FAILED,
	BIZ_OUTCOME_OTHER,
	BIZ_OUTCOME__COUNT
};

/* experiment, publication, discovery, other */
const char *business_category_name(enum business_category c);
/* started, succeeded, failed, other */
const char *business_outcome_name(enum business_outcome o);
int business_category_parse(const char *s, enum business_category *out); /* 0 / -EINVAL */
int business_outcome_parse(const char *s, enum business_outcome *out);

/*
 * One rule (config "business.events"). method "" = any; path a route
 * pattern as in http.routes ("/api/experiments/{id}/complete"), matched
 * against the request path without its query; status_min..status_max
 * inclusive (a "2xx" in the config is 200..299); service "" = any.
 */
struct business_rule {
	char event[64]; /* [a-z0-9_], the metric label value */
	char method[16];
	char path[128];
	uint16_t status_min, status_max;
	char service[64];
	enum business_category category;
	enum business_outcome outcome;
};

/* 0 or -EINVAL with why: event name, method, path pattern, status range. */
int business_rule_check(const struct business_rule *r, char *why, size_t whylen);
/* "201", "2xx", "4xx,5xx"-style lists are not rules: one range per rule. "200-204" too. */
int business_status_parse(const char *s, uint16_t *min, uint16_t *max);

struct business;
struct business *business__new(const struct business_rule *rules, size_t n); /* NULL + errno */
void business__free(struct business *b);
/* The first rule that matches, or NULL. path may hold a query; len bytes, not NUL-terminated. */
const struct business_rule *business__match(struct business *b, const char *service,
					    const char *method, const char *path, size_t len,
					    uint16_t status);

/* Weights of the productivity score per category's succeeded events (config business.weights). */
struct business_weights {
	double w[BIZ_CATEGORY__COUNT]; /* defaults: experiment 1, publication 5, discovery 3, other 0 */
};
void business_weights_defaults(struct business_weights *w);

/* Counts over a window, by category and outcome. */
struct business_counts {
	uint64_t n[BIZ_CATEGORY__COUNT][BIZ_OUTCOME__COUNT];
};

struct business_productivity {
	double days; /* window length in days (> 0) */
	double experiment_success_rate; /* succeeded / (succeeded + failed); -1 when none ended */
	double outcomes_per_day; /* succeeded events of every category per day */
	double score; /* sum of weight x succeeded per day, x success rate when defined */
	uint64_t succeeded[BIZ_CATEGORY__COUNT];
};
void business_productivity(const struct business_counts *c, const struct business_weights *w,
			   double days, struct business_productivity *out);

/* Cost per succeeded event of each category; -1 where there were none. */
struct business_efficiency {
	double spend_usd;
	double cost_per[BIZ_CATEGORY__COUNT];
};
void business_efficiency(const struct business_counts *c, double spend_usd,
			 struct business_efficiency *out);

#endif
