// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Business events from served requests, and the figures derived from
 * their counts. Runs once per served request when rules are configured, so
 * matching is a linear walk that tries the cheap fields (status, method,
 * service) before the path; paths use route.c's pattern matcher so that
 * business.events and http.routes accept and match the same patterns.
 *
 * Figures over a window of `days` days (docs/costs.md copies this):
 *
 *   succeeded_c             = n[c][succeeded]                  for each category c
 *   experiment_success_rate = succeeded_exp / (succeeded_exp + failed_exp),
 *                             -1 when no experiment ended (both 0)
 *   outcomes_per_day        = (sum_c succeeded_c) / days
 *   score                   = (sum_c w_c * succeeded_c) / days
 *                             x experiment_success_rate when it is >= 0
 *   cost_per_c              = spend_usd / succeeded_c, -1 when succeeded_c = 0
 *
 * A window that is not > 0 days has no rate: outcomes_per_day and score
 * are 0 then. Default weights: experiment 1, publication 5, discovery 3,
 * other 0.
 */
#include "business.h"
#include "route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct business {
	size_t n;
	struct business_rule rules[];
};

static const char *const category_names[BIZ_CATEGORY__COUNT] = {
	[BIZ_EXPERIMENT] = "experiment",
	[BIZ_PUBLICATION] = "publication",
	[BIZ_DISCOVERY] = "discovery",
	[BIZ_OTHER] = "other",
};

static const char *const outcome_names[BIZ_OUTCOME__COUNT] = {
	[BIZ_STARTED] = "started",
	[BIZ_SUCCEEDED] = "succeeded",
	[BIZ_FAILED] = "failed",
	[BIZ_OUTCOME_OTHER] = "other",
};

/* The methods the framer knows (bpf/h1_parse.h); a rule naming another could never match. */
static const char *const http_methods[] = { "GET",     "HEAD",	  "POST",  "PUT",  "DELETE",
					    "CONNECT", "OPTIONS", "TRACE", "PATCH" };

const char *business_category_name(enum business_category c)
{
	return (unsigned)c < BIZ_CATEGORY__COUNT ? category_names[c] : "other";
}

const char *business_outcome_name(enum business_outcome o)
{
	return (unsigned)o < BIZ_OUTCOME__COUNT ? outcome_names[o] : "other";
}

static int name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++) {
		if (!strcmp(names[i], s))
			return i;
	}
	return -1;
}

int business_category_parse(const char *s, enum business_category *out)
{
	int i = name_index(category_names, BIZ_CATEGORY__COUNT, s);

	if (i < 0 || !out)
		return -EINVAL;
	*out = (enum business_category)i;
	return 0;
}

int business_outcome_parse(const char *s, enum business_outcome *out)
{
	int i = name_index(outcome_names, BIZ_OUTCOME__COUNT, s);

	if (i < 0 || !out)
		return -EINVAL;
	*out = (enum business_outcome)i;
	return 0;
}

/* ---- rules ---- */

static int say(char *why, size_t whylen, const char *msg)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", msg);
	return -EINVAL;
}

static bool event_ok(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (!n || n == size)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static bool method_ok(const char *m, size_t size)
{
	if (strnlen(m, size) == size)
		return false;
	if (!*m)
		return true;
	return name_index(http_methods, sizeof(http_methods) / sizeof(http_methods[0]), m) >= 0;
}

int business_rule_check(const struct business_rule *r, char *why, size_t whylen)
{
	char pwhy[128];

	if (!r)
		return say(why, whylen, "no rule");
	if (!event_ok(r->event, sizeof(r->event)))
		return say(why, whylen, "event: 1 to 63 of [a-z0-9_]");
	if (!method_ok(r->method, sizeof(r->method)))
		return say(why, whylen, "method: empty (any) or an uppercase HTTP method");
	if (strnlen(r->path, sizeof(r->path)) == sizeof(r->path))
		return say(why, whylen, "path: longer than 127 bytes");
	if (route_pattern_check(r->path, pwhy, sizeof(pwhy))) {
		if (why && whylen)
			snprintf(why, whylen, "path: %s", pwhy);
		return -EINVAL;
	}
	if (r->status_min < 100 || r->status_max > 599 || r->status_min > r->status_max)
		return say(why, whylen, "status: a range within 100..599, low end first");
	if (strnlen(r->service, sizeof(r->service)) == sizeof(r->service))
		return say(why, whylen, "service: longer than 63 bytes");
	if ((unsigned)r->category >= BIZ_CATEGORY__COUNT)
		return say(why, whylen, "category: experiment, publication, discovery or other");
	if ((unsigned)r->outcome >= BIZ_OUTCOME__COUNT)
		return say(why, whylen, "outcome: started, succeeded, failed or other");
	return 0;
}

/* Exactly three digits, 100..599; -1 otherwise. */
static int status3(const char *s)
{
	int v = 0;

	for (int i = 0; i < 3; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 100 && v <= 599 ? v : -1;
}

int business_status_parse(const char *s, uint16_t *min, uint16_t *max)
{
	int lo, hi;
	size_t n = s ? strnlen(s, 8) : 0;

	if (!min || !max || (n != 3 && n != 7))
		return -EINVAL;
	if (n == 3 && (s[1] | 0x20) == 'x' && (s[2] | 0x20) == 'x' && s[0] >= '1' && s[0] <= '5') {
		lo = (s[0] - '0') * 100;
		hi = lo + 99;
	} else {
		lo = status3(s);
		hi = n == 3 ? lo : (s[3] == '-' ? status3(s + 4) : -1);
	}
	if (lo < 0 || hi < 0 || lo > hi)
		return -EINVAL;
	*min = (uint16_t)lo;
	*max = (uint16_t)hi;
	return 0;
}

struct business *business__new(const struct business_rule *rules, size_t n)
{
	struct business *b;

	if (n > BUSINESS_MAX_RULES || (n && !rules)) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (business_rule_check(&rules[i], NULL, 0)) {
			errno = EINVAL;
			return NULL;
		}
	}
	b = calloc(1, sizeof(*b) + n * sizeof(b->rules[0]));
	if (!b) {
		errno = ENOMEM;
		return NULL;
	}
	b->n = n;
	if (n)
		memcpy(b->rules, rules, n * sizeof(b->rules[0]));
	return b;
}

void business__free(struct business *b)
{
	free(b);
}

/* An empty rule field matches anything; a set one an equal value (rules are checked: terminated). */
static bool field_ok(const char *want, const char *have)
{
	return !*want || (have && !strcmp(want, have));
}

static bool rule_match(const struct business_rule *r, const char *service, const char *method,
		       const char *path, size_t len, uint16_t status)
{
	if (status < r->status_min || status > r->status_max)
		return false;
	if (!field_ok(r->method, method) || !field_ok(r->service, service))
		return false;
	return route_pattern_match(r->path, path, len);
}

const struct business_rule *business__match(struct business *b, const char *service,
					    const char *method, const char *path, size_t len,
					    uint16_t status)
{
	if (!b || (!path && len))
		return NULL;
	for (size_t i = 0; i < b->n; i++) {
		if (rule_match(&b->rules[i], service, method, path, len, status))
			return &b->rules[i];
	}
	return NULL;
}

/* ---- figures ---- */

void business_weights_defaults(struct business_weights *w)
{
	if (!w)
		return;
	w->w[BIZ_EXPERIMENT] = 1;
	w->w[BIZ_PUBLICATION] = 5;
	w->w[BIZ_DISCOVERY] = 3;
	w->w[BIZ_OTHER] = 0;
}

static double success_rate(uint64_t ok, uint64_t failed)
{
	if (!ok && !failed)
		return -1;
	return (double)ok / ((double)ok + (double)failed);
}

void business_productivity(const struct business_counts *c, const struct business_weights *w,
			   double days, struct business_productivity *out)
{
	struct business_weights def;
	double total = 0, weighted = 0;

	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	out->days = days;
	out->experiment_success_rate = -1;
	if (!w) {
		business_weights_defaults(&def);
		w = &def;
	}
	if (!c)
		return;
	for (int i = 0; i < BIZ_CATEGORY__COUNT; i++) {
		out->succeeded[i] = c->n[i][BIZ_SUCCEEDED];
		total += (double)out->succeeded[i];
		weighted += w->w[i] * (double)out->succeeded[i];
	}
	out->experiment_success_rate =
		success_rate(c->n[BIZ_EXPERIMENT][BIZ_SUCCEEDED], c->n[BIZ_EXPERIMENT][BIZ_FAILED]);
	if (!(days > 0)) /* also NaN */
		return;
	out->outcomes_per_day = total / days;
	out->score = weighted / days;
	if (out->experiment_success_rate >= 0)
		out->score *= out->experiment_success_rate;
}

void business_efficiency(const struct business_counts *c, double spend_usd,
			 struct business_efficiency *out)
{
	if (!out)
		return;
	out->spend_usd = spend_usd;
	for (int i = 0; i < BIZ_CATEGORY__COUNT; i++) {
		uint64_t ok = c ? c->n[i][BIZ_SUCCEEDED] : 0;

		out->cost_per[i] = ok ? spend_usd / (double)ok : -1;
	}
}
