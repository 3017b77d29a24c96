// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Request target -> http_route label. route_template.c turns the target
 * into a template; this file keeps the route table and its per-service cap,
 * which keeps one noisy service from exhausting the metric series budget.
 * Runs once per observed request, so it allocates only when a service or a
 * route is seen for the first time and bounds every table by ROUTE_* limits.
 * Must not log, do I/O or keep state outside the table.
 */
#include "route.h"
#include "route_template.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SVC_SLOTS (2 * ROUTE_MAX_SERVICES)
#define RT_SLOTS (2 * ROUTE_MAX_ROUTES)

struct svc_entry {
	uint64_t hash;
	uint64_t collapsed;
	uint32_t n_routes;
	char name[ROUTE_SERVICE_MAX];
};

struct route_entry {
	uint64_t hash;
	uint32_t svc;
	char route[ROUTE_MAX];
};

/* Open addressing over entry indices + 1 (0 = empty), never above half full. */
struct index {
	uint32_t *slots;
	uint32_t mask;
};

struct route_table {
	struct route_pattern *pats;
	size_t n_pats;
	uint32_t max_per_svc;
	struct index svc_ix;
	struct svc_entry *svcs;
	uint32_t n_svcs, svcs_cap;
	struct index rt_ix;
	struct route_entry *routes;
	uint32_t n_routes, routes_cap;
	uint64_t collapsed_nosvc; /* requests of services beyond ROUTE_MAX_SERVICES */
};

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV_BASIS 0xcbf29ce484222325ull

/* ---- per-service cap ---- */

struct probe_key {
	const struct route_table *t;
	uint64_t hash;
	uint32_t svc;
	const char *s;
};

static bool svc_eq(const struct probe_key *k, uint32_t idx)
{
	const struct svc_entry *e = &k->t->svcs[idx];

	return e->hash == k->hash && !strcmp(e->name, k->s);
}

static bool route_eq(const struct probe_key *k, uint32_t idx)
{
	const struct route_entry *e = &k->t->routes[idx];

	return e->hash == k->hash && e->svc == k->svc && !strcmp(e->route, k->s);
}

/* Slot holding the key, or the empty slot where it belongs (tables stay half empty). */
static uint32_t *ix_probe(const struct index *ix, const struct probe_key *k,
			  bool (*eq)(const struct probe_key *, uint32_t))
{
	for (uint32_t i = (uint32_t)k->hash & ix->mask;; i = (i + 1) & ix->mask) {
		if (!ix->slots[i] || eq(k, ix->slots[i] - 1))
			return &ix->slots[i];
	}
}

/* Doubles *arr (of elem bytes) up to max entries; false when full or out of memory. */
static bool grow(void **arr, uint32_t *cap, uint32_t used, uint32_t max, size_t elem)
{
	uint32_t ncap;
	void *p;

	if (used < *cap)
		return true;
	if (used >= max)
		return false;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > max)
		ncap = max;
	p = realloc(*arr, (size_t)ncap * elem);
	if (!p)
		return false;
	*arr = p;
	*cap = ncap;
	return true;
}

static void svc_key(const struct route_table *t, const char *service, char *name,
		    struct probe_key *k)
{
	size_t n = strnlen(service, ROUTE_SERVICE_MAX - 1);

	memcpy(name, service, n);
	name[n] = '\0';
	*k = (struct probe_key){ .t = t, .hash = fnv1a(FNV_BASIS, name), .s = name };
}

/* Index of service in t->svcs, created on first sight; -1 when the table is full. */
static int svc_get(struct route_table *t, const char *service)
{
	char name[ROUTE_SERVICE_MAX];
	struct probe_key k;
	uint32_t *slot;
	struct svc_entry *e;

	svc_key(t, service, name, &k);
	slot = ix_probe(&t->svc_ix, &k, svc_eq);
	if (*slot)
		return (int)(*slot - 1);
	if (!grow((void **)&t->svcs, &t->svcs_cap, t->n_svcs, ROUTE_MAX_SERVICES, sizeof(*e)))
		return -1;
	e = &t->svcs[t->n_svcs];
	memset(e, 0, sizeof(*e));
	e->hash = k.hash;
	strcpy(e->name, name);
	*slot = ++t->n_svcs;
	return (int)(*slot - 1);
}

/* Keeps route (out[ROUTE_MAX]) if its service may add it, else rewrites it to ROUTE_OVERFLOW. */
static void route_cap(struct route_table *t, const char *service, char *route)
{
	int s = svc_get(t, service);
	struct probe_key k;
	struct svc_entry *se;
	struct route_entry *e;
	uint32_t *slot;

	if (s < 0) {
		t->collapsed_nosvc++;
		strcpy(route, ROUTE_OVERFLOW);
		return;
	}
	se = &t->svcs[s];
	k = (struct probe_key){ .t = t, .svc = (uint32_t)s, .s = route };
	k.hash = fnv1a(FNV_BASIS ^ ((uint64_t)(s + 1) * 0x9e3779b97f4a7c15ull), route);
	slot = ix_probe(&t->rt_ix, &k, route_eq);
	if (*slot)
		return;
	if (se->n_routes >= t->max_per_svc ||
	    !grow((void **)&t->routes, &t->routes_cap, t->n_routes, ROUTE_MAX_ROUTES, sizeof(*e))) {
		se->collapsed++;
		strcpy(route, ROUTE_OVERFLOW);
		return;
	}
	e = &t->routes[t->n_routes];
	e->hash = k.hash;
	e->svc = (uint32_t)s;
	strcpy(e->route, route);
	*slot = ++t->n_routes;
	se->n_routes++;
}

/* ---- public ---- */

struct route_table *route_table__new(char *const *patterns, size_t n,
				     uint32_t max_routes_per_service)
{
	struct route_table *t;
	int err = -EINVAL;

	if (n > ROUTE_MAX_PATTERNS || (n && !patterns)) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->max_per_svc = max_routes_per_service;
	t->svc_ix = (struct index){ calloc(SVC_SLOTS, sizeof(uint32_t)), SVC_SLOTS - 1 };
	t->rt_ix = (struct index){ calloc(RT_SLOTS, sizeof(uint32_t)), RT_SLOTS - 1 };
	t->pats = calloc(n ? n : 1, sizeof(*t->pats));
	if (!t->svc_ix.slots || !t->rt_ix.slots || !t->pats) {
		err = -ENOMEM;
		goto free_table;
	}
	for (t->n_pats = 0; t->n_pats < n; t->n_pats++) {
		err = route_pattern_parse(patterns[t->n_pats], &t->pats[t->n_pats], NULL, 0);
		if (err)
			goto free_table;
	}
	return t;

free_table:
	route_table__free(t);
	errno = -err;
	return NULL;
}

void route_table__free(struct route_table *t)
{
	if (!t)
		return;
	free(t->pats);
	free(t->svc_ix.slots);
	free(t->svcs);
	free(t->rt_ix.slots);
	free(t->routes);
	free(t);
}

int route_table__route(struct route_table *t, const char *service, const char *path, size_t len,
		       char *out, size_t outlen)
{
	char route[ROUTE_MAX];
	size_t n;

	if (!t || !out || !outlen || (!path && len))
		return -EINVAL;
	if (!path)
		path = "";
	if (!route_template(t->pats, t->n_pats, path, len, route))
		route_cap(t, service ? service : "", route);
	n = strlen(route);
	if (n >= outlen) {
		memcpy(out, route, outlen - 1);
		out[outlen - 1] = '\0';
		return -ENOSPC;
	}
	memcpy(out, route, n + 1);
	return 0;
}

static const struct svc_entry *svc_find(const struct route_table *t, const char *service)
{
	char name[ROUTE_SERVICE_MAX];
	struct probe_key k;
	uint32_t *slot;

	svc_key(t, service, name, &k);
	slot = ix_probe(&t->svc_ix, &k, svc_eq);
	return *slot ? &t->svcs[*slot - 1] : NULL;
}

uint64_t route_table__collapsed(const struct route_table *t, const char *service)
{
	const struct svc_entry *e;
	uint64_t sum;

	if (!t)
		return 0;
	if (service) {
		e = svc_find(t, service);
		return e ? e->collapsed : 0;
	}
	sum = t->collapsed_nosvc;
	for (uint32_t i = 0; i < t->n_svcs; i++)
		sum += t->svcs[i].collapsed;
	return sum;
}

size_t route_table__routes(const struct route_table *t, const char *service)
{
	const struct svc_entry *e = t && service ? svc_find(t, service) : NULL;

	return e ? e->n_routes : 0;
}

size_t route_table__services(const struct route_table *t)
{
	return t ? t->n_svcs : 0;
}

bool route_pattern_match(const char *pattern, const char *path, size_t len)
{
	struct route_pattern p;
	char route[ROUTE_MAX];

	if (route_pattern_parse(pattern, &p, NULL, 0) || (!path && len))
		return false;
	if (!path)
		path = "";
	if (!route_template(&p, 1, path, len, route) || strcmp(route, p.text))
		return false;
	/*
	 * An invalid target also yields a fixed route, ROUTE_INVALID; a pattern
	 * spelled like it would see it as a match. Without patterns, only such
	 * targets give a fixed route (a valid path goes to the heuristic).
	 */
	if (!strcmp(p.text, ROUTE_INVALID))
		return !route_template(NULL, 0, path, len, route);
	return true;
}
