// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SLO arithmetic over per-minute request counts. A 30-day window at minute
 * resolution would cost 43200 buckets per service, so windows up to a day
 * read minute buckets and longer ones read hour buckets: ~46 KB per
 * service, allocated when the service is first seen. Each bucket carries
 * the minute (hour) it counts as a tag, so a ring never needs sweeping: a
 * slot whose tag is not the minute asked for is simply empty, and a late
 * add for a minute already overwritten is dropped.
 */
#include "sla.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define IX_SLOTS (2 * SLA_MAX_SERVICES) /* open addressing, never above half full */

struct min_slot {
	uint32_t tag; /* minute + 1; 0 = empty */
	uint32_t total, good, errors;
};

struct hour_slot {
	uint32_t tag; /* hour + 1; 0 = empty */
	uint64_t total, good, errors;
};

struct sla_service {
	char name[SLA_SERVICE_MAX];
	struct min_slot min[SLA_MINUTES];
	struct hour_slot hour[SLA_HOURS];
};

struct sla {
	size_t max, n;
	struct sla_service **svc;
	uint32_t ix[IX_SLOTS]; /* service index + 1; 0 = empty */
	uint64_t overflow;
};

static const struct {
	const char *name;
	uint32_t minutes;
} windows[SLA_WINDOW__COUNT] = {
	[SLA_5M] = { "5m", 5 },		  [SLA_30M] = { "30m", 30 },
	[SLA_1H] = { "1h", 60 },	  [SLA_2H] = { "2h", 120 },
	[SLA_6H] = { "6h", 360 },	  [SLA_24H] = { "24h", 1440 },
	[SLA_3D] = { "3d", 3 * 1440 },	  [SLA_7D] = { "7d", 7 * 1440 },
	[SLA_30D] = { "30d", 30 * 1440 },
};

const struct sla_alert sla_alerts[SLA_ALERTS] = {
	{ "page", SLA_1H, SLA_5M, 14.4 },
	{ "page", SLA_6H, SLA_30M, 6 },
	{ "ticket", SLA_24H, SLA_2H, 3 },
	{ "ticket", SLA_3D, SLA_6H, 1 },
};

const char *sla_window_name(enum sla_window w)
{
	return (unsigned)w < SLA_WINDOW__COUNT ? windows[w].name : "unknown";
}

uint32_t sla_window_minutes(enum sla_window w)
{
	return (unsigned)w < SLA_WINDOW__COUNT ? windows[w].minutes : 0;
}

struct sla *sla__new(size_t max_services)
{
	struct sla *s;

	if (!max_services)
		max_services = SLA_MAX_SERVICES;
	if (max_services > SLA_MAX_SERVICES) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s)
		s->svc = calloc(max_services, sizeof(*s->svc));
	if (!s || !s->svc) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	s->max = max_services;
	return s;
}

void sla__free(struct sla *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->svc[i]);
	free(s->svc);
	free(s);
}

static uint32_t hash_name(const char *name)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < SLA_SERVICE_MAX - 1 && name[i]; i++) {
		h ^= (unsigned char)name[i];
		h *= 16777619u;
	}
	return h;
}

/* The slot of name in the index: its entry, or the empty slot where it would go. */
static uint32_t *ix_slot(const struct sla *s, const char *name)
{
	uint32_t i = hash_name(name) % IX_SLOTS;

	for (;; i = (i + 1) % IX_SLOTS) {
		const uint32_t *e = &s->ix[i];

		if (!*e || !strncmp(s->svc[*e - 1]->name, name, SLA_SERVICE_MAX - 1))
			return (uint32_t *)e;
	}
}

int sla__find(const struct sla *s, const char *service)
{
	const uint32_t *e;

	if (!s || !service)
		return -ENOENT;
	e = ix_slot(s, service);
	return *e ? (int)(*e - 1) : -ENOENT;
}

/* Index of service, created when new; -ENOSPC at the cap, -ENOMEM. */
static int service_of(struct sla *s, const char *service, uint64_t total)
{
	uint32_t *e = ix_slot(s, service);
	struct sla_service *v;

	if (*e)
		return (int)(*e - 1);
	if (s->n == s->max) {
		s->overflow += total;
		return -ENOSPC;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	strncpy(v->name, service, sizeof(v->name) - 1);
	s->svc[s->n] = v;
	*e = (uint32_t)++s->n;
	return (int)(s->n - 1);
}

static uint32_t sat32(uint32_t a, uint64_t b)
{
	return b >= UINT32_MAX - a ? UINT32_MAX : (uint32_t)(a + b);
}

static void add_minute(struct sla_service *v, int64_t minute, const struct sla_counts *c)
{
	struct min_slot *m = &v->min[minute % SLA_MINUTES];
	uint32_t tag = (uint32_t)minute + 1;

	if (m->tag > tag)
		return; /* the slot already counts a later minute */
	if (m->tag < tag)
		*m = (struct min_slot){ .tag = tag };
	m->total = sat32(m->total, c->total);
	m->good = sat32(m->good, c->good);
	m->errors = sat32(m->errors, c->errors);
}

static void add_hour(struct sla_service *v, int64_t hour, const struct sla_counts *c)
{
	struct hour_slot *h = &v->hour[hour % SLA_HOURS];
	uint32_t tag = (uint32_t)hour + 1;

	if (h->tag > tag)
		return;
	if (h->tag < tag)
		*h = (struct hour_slot){ .tag = tag };
	h->total += c->total;
	h->good += c->good;
	h->errors += c->errors;
}

int sla__add(struct sla *s, const char *service, int64_t minute, const struct sla_counts *c)
{
	int i;

	if (!s || !service || !*service || !c || minute < 0 || minute >= (int64_t)UINT32_MAX - 1 ||
	    c->good > c->total || c->errors > c->total - c->good)
		return -EINVAL;
	i = service_of(s, service, c->total);
	if (i < 0)
		return i;
	add_minute(s->svc[i], minute, c);
	add_hour(s->svc[i], minute / 60, c);
	return 0;
}

size_t sla__services(const struct sla *s)
{
	return s ? s->n : 0;
}

const char *sla__name(const struct sla *s, size_t i)
{
	return s && i < s->n ? s->svc[i]->name : NULL;
}

uint64_t sla__overflow(const struct sla *s)
{
	return s ? s->overflow : 0;
}

static void sum_minutes(const struct sla_service *v, int64_t now, uint32_t w,
			struct sla_counts *out)
{
	for (int64_t m = now - w + 1 > 0 ? now - w + 1 : 0; m <= now; m++) {
		const struct min_slot *b = &v->min[m % SLA_MINUTES];

		if (b->tag != (uint32_t)m + 1)
			continue;
		out->total += b->total;
		out->good += b->good;
		out->errors += b->errors;
	}
}

static void sum_hours(const struct sla_service *v, int64_t now_hour, uint32_t w,
		      struct sla_counts *out)
{
	for (int64_t h = now_hour - w + 1 > 0 ? now_hour - w + 1 : 0; h <= now_hour; h++) {
		const struct hour_slot *b = &v->hour[h % SLA_HOURS];

		if (b->tag != (uint32_t)h + 1)
			continue;
		out->total += b->total;
		out->good += b->good;
		out->errors += b->errors;
	}
}

void sla__window(const struct sla *s, size_t i, int64_t now, enum sla_window w,
		 struct sla_counts *out)
{
	uint32_t mins = sla_window_minutes(w);

	*out = (struct sla_counts){ 0 };
	if (!s || i >= s->n || !mins || now < 0 || now >= (int64_t)UINT32_MAX - 1)
		return;
	if (mins <= SLA_MINUTES)
		sum_minutes(s->svc[i], now, mins, out);
	else
		sum_hours(s->svc[i], now / 60, mins / 60, out);
}

bool sla__minute(const struct sla *s, size_t i, int64_t minute, struct sla_counts *out)
{
	const struct min_slot *b;

	*out = (struct sla_counts){ 0 };
	if (!s || i >= s->n || minute < 0 || minute >= (int64_t)UINT32_MAX - 1)
		return false;
	b = &s->svc[i]->min[minute % SLA_MINUTES];
	if (b->tag != (uint32_t)minute + 1 || !b->total)
		return false;
	*out = (struct sla_counts){ b->total, b->good, b->errors };
	return true;
}

double sla_availability(const struct sla_counts *c)
{
	return c->total ? (double)c->good / (double)c->total : NAN;
}

double sla_error_rate(const struct sla_counts *c)
{
	return c->total ? (double)c->errors / (double)c->total : NAN;
}

double sla_burn_rate(const struct sla_counts *c, double objective)
{
	uint64_t bad = c->total - c->good;
	double allowed = 1.0 - objective;

	if (!c->total || !bad)
		return 0;
	if (!(allowed > 0))
		return INFINITY;
	return (double)bad / (double)c->total / allowed;
}

double sla_budget_remaining(const struct sla_counts *c, double objective)
{
	return 1.0 - sla_burn_rate(c, objective);
}

bool sla_alert_firing(const struct sla_alert *a, const double burn[SLA_WINDOW__COUNT])
{
	return burn[a->long_w] > a->factor && burn[a->short_w] > a->factor;
}
