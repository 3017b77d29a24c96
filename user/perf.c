// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-key latency distributions. A histogram with fixed log-scale buckets
 * costs the same whatever the traffic, merges by addition (minutes into a
 * window, routes into a service) and gives quantiles within one bucket,
 * which is all a p95 against a threshold needs. Four buckets per octave
 * from 32 us to 134 s (90 in all). A route's minute rarely spreads over
 * more than a few of them, so a slot keeps up to SLOT_INLINE (bucket,
 * count) pairs in place and takes a full 90-count array only when a
 * minute spreads wider (kept, zeroed, for that slot's later minutes):
 * a slot is 80 bytes and a key ~5 KB instead of 400 bytes and 24 KB,
 * which at the key cap is the difference between 5 and 25 MB. Keys are
 * allocated when first seen and capped.
 * Bucket edges come from frexp() and four constants, never from log(), so
 * a duration on an edge always lands in the same bucket.
 */
#include "perf.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define IX_SLOTS (2 * PERF_MAX_KEYS)

/* 2^(q/4): the edges inside one octave. */
static const double quarter[4] = { 1.0, 1.18920711500272106672, 1.41421356237309504880,
				   1.68179283050742908606 };

#define SLOT_INLINE 6

struct perf_slot {
	uint32_t tag; /* minute + 1; 0 = empty */
	uint32_t count, errors, over_warn, over_crit;
	uint8_t nb; /* pairs used in bi/bn (while full is NULL) */
	uint8_t bi[SLOT_INLINE]; /* bucket index */
	uint32_t bn[SLOT_INLINE]; /* its count */
	double sum_s, max_s;
	uint32_t *full; /* PERF_BUCKETS counts, once a minute spread wider */
};

struct perf_key {
	enum perf_kind kind;
	char a[PERF_NAME_MAX], b[PERF_NAME_MAX];
	struct perf_slot slot[PERF_MINUTES];
};

struct perf {
	size_t max, n;
	struct perf_key **keys;
	uint32_t ix[IX_SLOTS]; /* key index + 1; 0 = empty */
	struct perf_thresholds th[PERF_KIND__COUNT];
	uint64_t overflow[PERF_KIND__COUNT];
};

static const char *const kind_names[PERF_KIND__COUNT] = { "api", "upstream", "agent", "db" };

const char *perf_kind_name(enum perf_kind k)
{
	return (unsigned)k < PERF_KIND__COUNT ? kind_names[k] : "unknown";
}

/* ---- buckets ---- */

/* Upper edge of bucket i in seconds: 32 us * 2^(i/4); +inf for the last. */
static double edge(size_t i)
{
	if (i >= PERF_BUCKETS - 1)
		return INFINITY;
	return ldexp(PERF_MIN_NS * 1e-9 * quarter[i % 4], (int)(i / 4));
}

void perf_bucket_bounds(size_t i, double *lo, double *hi)
{
	if (i >= PERF_BUCKETS)
		i = PERF_BUCKETS - 1;
	*lo = i ? edge(i - 1) : 0;
	*hi = edge(i);
}

size_t perf_bucket_of(uint64_t ns)
{
	double s = (double)ns * 1e-9, base = PERF_MIN_NS * 1e-9, m;
	int e;
	size_t q = 0, i;

	if (s < base)
		return 0;
	m = frexp(s / base, &e) * 2; /* s / base = m * 2^(e - 1), m in [1, 2) */
	while (q < 3 && m >= quarter[q + 1])
		q++;
	i = 1 + 4 * (size_t)(e - 1) + q;
	if (i >= PERF_BUCKETS)
		return PERF_BUCKETS - 1;
	/* s / base rounds; the edge itself is what counts */
	if (s < edge(i - 1))
		i--;
	else if (i < PERF_BUCKETS - 1 && s >= edge(i))
		i++;
	return i;
}

void perf_dist_clear(struct perf_dist *d)
{
	memset(d, 0, sizeof(*d));
}

double perf_dist_quantile(const struct perf_dist *d, double q)
{
	uint64_t rank, cum = 0;
	double lo, hi, v;

	if (!d->count || !(q >= 0) || q > 1)
		return NAN;
	rank = (uint64_t)ceil(q * (double)d->count);
	if (rank < 1)
		rank = 1;
	for (size_t i = 0; i < PERF_BUCKETS; i++) {
		if (cum + d->b[i] < rank) {
			cum += d->b[i];
			continue;
		}
		perf_bucket_bounds(i, &lo, &hi);
		if (isinf(hi))
			return d->max_s > lo ? d->max_s : lo;
		v = lo + (hi - lo) * (double)(rank - cum) / (double)d->b[i];
		return v < d->max_s ? v : d->max_s;
	}
	return d->max_s;
}

/* ---- keys ---- */

struct perf *perf__new(size_t max_keys, const struct perf_thresholds th[PERF_KIND__COUNT])
{
	struct perf *p;

	if (!max_keys)
		max_keys = PERF_MAX_KEYS;
	if (max_keys > PERF_MAX_KEYS) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p)
		p->keys = calloc(max_keys, sizeof(*p->keys));
	if (!p || !p->keys) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->max = max_keys;
	if (th)
		memcpy(p->th, th, sizeof(p->th));
	return p;
}

void perf__free(struct perf *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		for (size_t m = 0; m < PERF_MINUTES; m++)
			free(p->keys[i]->slot[m].full);
		free(p->keys[i]);
	}
	free(p->keys);
	free(p);
}

static uint32_t hash_part(uint32_t h, const char *s)
{
	for (size_t i = 0; i < PERF_NAME_MAX - 1 && s[i]; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return (h ^ 0xff) * 16777619u; /* a separator: ("ab", "c") is not ("a", "bc") */
}

static bool same(const struct perf_key *k, enum perf_kind kind, const char *a, const char *b)
{
	return k->kind == kind && !strncmp(k->a, a, PERF_NAME_MAX - 1) &&
	       !strncmp(k->b, b, PERF_NAME_MAX - 1);
}

static uint32_t *ix_slot(const struct perf *p, enum perf_kind k, const char *a, const char *b)
{
	uint32_t i = hash_part(hash_part(2166136261u ^ (uint32_t)k, a), b) % IX_SLOTS;

	for (;; i = (i + 1) % IX_SLOTS) {
		const uint32_t *e = &p->ix[i];

		if (!*e || same(p->keys[*e - 1], k, a, b))
			return (uint32_t *)e;
	}
}

int perf__find(const struct perf *p, enum perf_kind k, const char *a, const char *b)
{
	const uint32_t *e;

	if (!p || (unsigned)k >= PERF_KIND__COUNT || !a || !b)
		return -ENOENT;
	e = ix_slot(p, k, a, b);
	return *e ? (int)(*e - 1) : -ENOENT;
}

static int key_of(struct perf *p, enum perf_kind k, const char *a, const char *b)
{
	uint32_t *e = ix_slot(p, k, a, b);
	struct perf_key *key;

	if (*e)
		return (int)(*e - 1);
	if (p->n == p->max) {
		p->overflow[k]++;
		return -ENOSPC;
	}
	key = calloc(1, sizeof(*key));
	if (!key)
		return -ENOMEM;
	key->kind = k;
	strncpy(key->a, a, sizeof(key->a) - 1);
	strncpy(key->b, b, sizeof(key->b) - 1);
	p->keys[p->n] = key;
	*e = (uint32_t)++p->n;
	return (int)(p->n - 1);
}

static void inc(uint32_t *v)
{
	if (*v < UINT32_MAX)
		(*v)++;
}

/* The count of bucket b in s, made room for: NULL only when a full array
 * was needed and could not be had. */
static uint32_t *bucket_count(struct perf_slot *s, size_t b)
{
	if (s->full)
		return &s->full[b];
	for (size_t i = 0; i < s->nb; i++)
		if (s->bi[i] == b)
			return &s->bn[i];
	if (s->nb < SLOT_INLINE) {
		s->bi[s->nb] = (uint8_t)b;
		s->bn[s->nb] = 0;
		return &s->bn[s->nb++];
	}
	s->full = calloc(PERF_BUCKETS, sizeof(*s->full));
	if (!s->full)
		return NULL;
	for (size_t i = 0; i < s->nb; i++)
		s->full[s->bi[i]] = s->bn[i];
	s->nb = 0;
	return &s->full[b];
}

/* A new minute in the slot; a full array stays, zeroed. */
static void slot_reset(struct perf_slot *s, uint32_t tag)
{
	uint32_t *full = s->full;

	memset(s, 0, sizeof(*s));
	if (full)
		memset(full, 0, PERF_BUCKETS * sizeof(*full));
	s->full = full;
	s->tag = tag;
}

int perf__add(struct perf *p, enum perf_kind k, const char *a, const char *b, int64_t minute,
	      uint64_t ns, bool error)
{
	const struct perf_thresholds *th;
	struct perf_slot *s;
	uint32_t tag = (uint32_t)minute + 1, *bn;
	double sec = (double)ns * 1e-9;
	int i;

	if (!p || (unsigned)k >= PERF_KIND__COUNT || !a || !b || minute < 0 ||
	    minute >= (int64_t)UINT32_MAX - 1)
		return -EINVAL;
	i = key_of(p, k, a, b);
	if (i < 0)
		return i;
	s = &p->keys[i]->slot[minute % PERF_MINUTES];
	if (s->tag > tag)
		return 0; /* a minute the ring has already moved past */
	if (s->tag < tag)
		slot_reset(s, tag);
	bn = bucket_count(s, perf_bucket_of(ns));
	if (!bn)
		return -ENOMEM; /* nothing of it recorded: counts and buckets agree */
	inc(bn);
	th = &p->th[k];
	inc(&s->count);
	if (error)
		inc(&s->errors);
	if (th->warn_ns && ns >= th->warn_ns)
		inc(&s->over_warn);
	if (th->crit_ns && ns >= th->crit_ns)
		inc(&s->over_crit);
	s->sum_s += sec;
	if (sec > s->max_s)
		s->max_s = sec;
	return 0;
}

size_t perf__keys(const struct perf *p)
{
	return p ? p->n : 0;
}

int perf__key(const struct perf *p, size_t i, enum perf_kind *k, const char **a, const char **b)
{
	if (!p || i >= p->n)
		return -ENOENT;
	if (k)
		*k = p->keys[i]->kind;
	if (a)
		*a = p->keys[i]->a;
	if (b)
		*b = p->keys[i]->b;
	return 0;
}

uint64_t perf__overflow(const struct perf *p, enum perf_kind k)
{
	return p && (unsigned)k < PERF_KIND__COUNT ? p->overflow[k] : 0;
}

static void merge(struct perf_dist *d, const struct perf_slot *s)
{
	d->count += s->count;
	d->errors += s->errors;
	d->over_warn += s->over_warn;
	d->over_crit += s->over_crit;
	d->sum_s += s->sum_s;
	if (s->max_s > d->max_s)
		d->max_s = s->max_s;
	if (s->full) {
		for (size_t i = 0; i < PERF_BUCKETS; i++)
			d->b[i] += s->full[i];
	} else {
		for (size_t i = 0; i < s->nb; i++)
			d->b[s->bi[i]] += s->bn[i];
	}
}

void perf__collect(const struct perf *p, size_t i, int64_t now, unsigned minutes,
		   struct perf_dist *d)
{
	const struct perf_key *key;

	if (!p || i >= p->n || now < 0 || now >= (int64_t)UINT32_MAX - 1)
		return;
	if (minutes < 1)
		minutes = 1;
	if (minutes > PERF_MINUTES)
		minutes = PERF_MINUTES;
	key = p->keys[i];
	for (int64_t m = now - minutes + 1 > 0 ? now - minutes + 1 : 0; m <= now; m++) {
		const struct perf_slot *s = &key->slot[m % PERF_MINUTES];

		if (s->tag == (uint32_t)m + 1)
			merge(d, s);
	}
}
