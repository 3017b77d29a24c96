// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * POST /costs/track/llm bodies. Unknown keys are refused rather than
 * ignored: "input_token" instead of "input_tokens" would otherwise record a
 * free call. Label values are checked to the same alphabet the metrics use.
 */
#include "cost_track.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_TOKENS 100000000000ll /* 1e11, beyond any real call */

static int say(char *why, size_t n, const char *msg, const char *field)
{
	snprintf(why, n, "%s%s%s", field ? field : "", field ? ": " : "", msg);
	return -EINVAL;
}

/* [A-Za-z0-9_.:/@-], 1..len-1 bytes: the label alphabet of llm_label_copy(). */
static bool label_ok(const char *s, size_t len)
{
	size_t n = strlen(s);

	if (!n || n >= len)
		return false;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.:/@-", *s)))
			return false;
	}
	return true;
}

static int get_text(json_t *o, const char *key, bool required, char *out, size_t len, char *why,
		    size_t whylen)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return required ? say(why, whylen, "required", key) : 0;
	if (!json_is_string(v) || !label_ok(json_string_value(v), len))
		return say(why, whylen, "a string of [A-Za-z0-9_.:/@-], not too long", key);
	snprintf(out, len, "%s", json_string_value(v));
	return 0;
}

static int get_count(json_t *o, const char *key, bool required, uint64_t *out, char *why,
		     size_t whylen)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (!v)
		return required ? say(why, whylen, "required", key) : 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > MAX_TOKENS)
		return say(why, whylen, "a whole number from 0 to 1e11", key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int time_window_error(char *why, size_t whylen)
{
	return say(why, whylen, "more than 5 minutes ahead or 400 days behind", "timestamp");
}

/* Unix seconds, or RFC 3339 UTC "2026-11-26T10:00:00Z". */
static int get_time(json_t *o, time_t now, time_t *out, char *why, size_t whylen)
{
	json_t *v = json_object_get(o, "timestamp");
	double secs = json_is_number(v) ? json_number_value(v) : NAN;
	struct tm tm = { 0 };
	char *end;

	*out = now;
	if (!v)
		return 0;
	if (isfinite(secs) && fabs(secs - (double)now) > 1e9)
		return time_window_error(why, whylen); /* and past what a time_t holds */
	if (isfinite(secs))
		*out = (time_t)secs;
	else if (json_is_string(v) &&
		 (end = strptime(json_string_value(v), "%Y-%m-%dT%H:%M:%S", &tm)) &&
		 (!strcmp(end, "Z") || !strcmp(end, "+00:00")))
		*out = timegm(&tm);
	else
		return say(why, whylen, "Unix seconds or YYYY-MM-DDTHH:MM:SSZ", "timestamp");
	if (*out > now + COST_TRACK_FUTURE_S || *out < now - COST_TRACK_PAST_DAYS * 86400)
		return time_window_error(why, whylen);
	return 0;
}

static int check_keys(json_t *o, char *why, size_t whylen)
{
	static const char *const known[] = { "provider",
					     "model",
					     "input_tokens",
					     "output_tokens",
					     "cache_read_tokens",
					     "cache_creation_tokens",
					     "agent_type",
					     "service",
					     "timestamp",
					     "cost_usd",
					     "id",
					     NULL };
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v)
	{
		size_t i;

		for (i = 0; known[i] && strcmp(known[i], key); i++)
			;
		if (!known[i])
			return say(why, whylen, "unknown field", label_ok(key, 40) ? key : "?");
	}
	return 0;
}

static int get_fields(json_t *o, time_t now, struct cost_track *t, char *why, size_t whylen)
{
	struct ledger_spend *r = &t->row;
	json_t *c = json_object_get(o, "cost_usd");
	int e = check_keys(o, why, whylen);

	if (!e)
		e = get_text(o, "provider", true, t->provider, sizeof(t->provider), why, whylen);
	if (!e)
		e = get_text(o, "model", true, t->model, sizeof(t->model), why, whylen);
	if (!e)
		e = get_text(o, "agent_type", false, t->agent, sizeof(t->agent), why, whylen);
	if (!e)
		e = get_text(o, "service", false, t->service, sizeof(t->service), why, whylen);
	if (!e)
		e = get_text(o, "id", false, t->id, sizeof(t->id), why, whylen);
	if (!e)
		e = get_count(o, "input_tokens", true, &r->input, why, whylen);
	if (!e)
		e = get_count(o, "output_tokens", true, &r->output, why, whylen);
	if (!e)
		e = get_count(o, "cache_read_tokens", false, &r->cache_read, why, whylen);
	if (!e)
		e = get_count(o, "cache_creation_tokens", false, &r->cache_creation, why, whylen);
	if (!e)
		e = get_time(o, now, &t->when, why, whylen);
	if (e)
		return e;
	if (r->cache_read + r->cache_creation > r->input)
		return say(why, whylen, "cache tokens are part of input_tokens, so at most it",
			   "cache_read_tokens");
	if (c && (!json_is_number(c) || !isfinite(json_number_value(c)) ||
		  json_number_value(c) < 0 || json_number_value(c) > 1e9))
		return say(why, whylen, "a number from 0 to 1e9", "cost_usd");
	t->given_cost = c ? json_number_value(c) : -1;
	return 0;
}

int cost_track_parse(const char *body, size_t len, time_t now, struct cost_track *t, char *why,
		     size_t whylen)
{
	json_error_t je;
	json_t *o;
	int e;

	memset(t, 0, sizeof(*t));
	o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		snprintf(why, whylen, "not JSON: %s (line %d column %d)", je.text, je.line,
			 je.column);
		return -EINVAL;
	}
	e = json_is_object(o) ? get_fields(o, now, t, why, whylen) :
				say(why, whylen, "the body must be a JSON object", NULL);
	json_decref(o);
	if (e)
		return e;
	if (!t->agent[0])
		strcpy(t->agent, "unknown");
	if (!t->service[0])
		strcpy(t->service, "api");
	t->row.ts_us = (int64_t)t->when * 1000000;
	t->row.provider = t->provider;
	t->row.model = t->model;
	t->row.agent_type = t->agent;
	t->row.service = t->service;
	t->row.source = "api";
	t->row.idem_key = t->id[0] ? t->id : NULL;
	return 0;
}

void cost_track_price(const struct pricing *p, struct cost_track *t)
{
	struct llm_call c = { .usage_ok = true, .reported_cost_usd = t->given_cost };
	struct cost cost;

	snprintf(c.provider, sizeof(c.provider), "%s", t->provider);
	snprintf(c.request_model, sizeof(c.request_model), "%s", t->model);
	c.tok.input = t->row.input;
	c.tok.output = t->row.output;
	c.tok.cache_read = t->row.cache_read;
	c.tok.cache_creation = t->row.cache_creation;
	pricing__cost(p, &c, &cost);
	t->row.cost_usd = cost.usd;
	t->row.priced = cost.priced;
}
