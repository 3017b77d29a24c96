// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Metric registry: families, series found by hash in O(1), values, and
 * rendering to Prometheus text. Updates come from the capture thread on
 * the per-request path, renders from the HTTP thread, so one mutex
 * guards everything and render only copies numbers under it; the text is
 * formatted after unlocking. Family definitions and series label values
 * are immutable once published, which is what makes reading them outside
 * the lock safe. Must not do I/O or know any metric by meaning, except
 * its own series_dropped counter.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_int.h"

#define DROPPED_NAME "biothings_observer_series_dropped_total"
#define TABLE_MIN 1024 /* hash table slots, a power of two */

/* Label values after repair, ready for hashing and comparison. */
struct key {
	uint64_t hash;
	size_t n;
	size_t len[METRICS_MAX_LABELS];
	char v[METRICS_MAX_LABELS][METRICS_LABEL_VALUE_MAX + 1];
};

static const double otel_duration_buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
						0.5,   0.75, 1,	    2.5,  5,	 7.5, 10 };

const double *metrics_otel_duration_buckets(size_t *n)
{
	if (n)
		*n = sizeof(otel_duration_buckets) / sizeof(*otel_duration_buckets);
	return otel_duration_buckets;
}

static void family_free(struct family *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nseries; i++)
		free(f->series[i]);
	free(f->series);
	free(f->order);
	for (size_t i = 0; i < f->nlabels; i++)
		free(f->label_names[i]);
	free(f->label_names);
	free(f->buckets);
	free(f->le);
	free(f->le_len);
	free(f->name);
	free(f->help);
	free(f);
}

struct metrics *metrics__new(uint32_t max_series)
{
	static const char help[] = "Observations refused because the series limit was reached.";
	struct metrics *m = calloc(1, sizeof(*m));
	int id;

	if (!m)
		return errno = ENOMEM, NULL;
	m->max_series = max_series;
	m->tab = calloc(TABLE_MIN, sizeof(*m->tab));
	if (!m->tab)
		goto err_free_m;
	m->tab_mask = TABLE_MIN - 1;
	if (pthread_mutex_init(&m->lock, NULL))
		goto err_free_tab;
	if (pthread_mutex_init(&m->render_lock, NULL)) {
		pthread_mutex_destroy(&m->lock);
		goto err_free_tab;
	}
	id = metrics__define(m, DROPPED_NAME, METRIC_COUNTER, help, NULL, NULL, 0);
	if (id < 0) {
		metrics__free(m);
		return errno = -id, NULL;
	}
	m->dropped_family = id;
	return m;

err_free_tab:
	free(m->tab);
err_free_m:
	free(m);
	errno = ENOMEM;
	return NULL;
}

void metrics__free(struct metrics *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->nfam; i++)
		family_free(m->fam[i]); /* frees the series the table points to */
	free(m->tab);
	pthread_mutex_destroy(&m->lock);
	pthread_mutex_destroy(&m->render_lock);
	free(m);
}

static int check_define(const char *name, enum metric_type type, const char *help)
{
	if (type != METRIC_COUNTER && type != METRIC_GAUGE && type != METRIC_HISTOGRAM)
		return -EINVAL;
	if (!name || strlen(name) > METRICS_NAME_MAX || !expo_metric_name_valid(name) ||
	    !expo_name_lint_ok(name, metric_type_name(type)))
		return -EINVAL;
	if (!help || !*help)
		return -EINVAL; /* promtool: "no help text" */
	return 0;
}

static struct family *family_new(const char *name, enum metric_type type, const char *help,
				 const char *const *label_names, size_t nlabels,
				 const double *buckets, size_t nbuckets)
{
	struct family *f = calloc(1, sizeof(*f));
	char hbuf[METRICS_HELP_MAX + 1];

	if (!f)
		return NULL;
	f->type = type;
	expo_utf8_sanitize(help, hbuf, sizeof(hbuf), NULL);
	f->name = strdup(name);
	f->help = strdup(hbuf);
	f->label_names = calloc(nlabels + 1, sizeof(char *));
	f->buckets = calloc(nbuckets + 1, sizeof(double));
	f->le = calloc(nbuckets + 1, sizeof(*f->le));
	f->le_len = calloc(nbuckets + 1, sizeof(*f->le_len));
	if (!f->name || !f->help || !f->label_names || !f->buckets || !f->le || !f->le_len)
		goto err_free_f;
	f->name_len = strlen(name);
	for (; f->nlabels < nlabels; f->nlabels++) {
		f->label_names[f->nlabels] = strdup(label_names[f->nlabels]);
		if (!f->label_names[f->nlabels])
			goto err_free_f;
	}
	if (nbuckets)
		memcpy(f->buckets, buckets, nbuckets * sizeof(double));
	f->nbuckets = nbuckets;
	for (size_t i = 0; i < nbuckets; i++) {
		f->le_len[i] = expo_format_double(f->le[i], buckets[i]);
		if (f->le_len[i] > f->le_max)
			f->le_max = f->le_len[i];
	}
	return f;

err_free_f:
	family_free(f);
	return NULL;
}

int metrics__define(struct metrics *m, const char *name, enum metric_type type, const char *help,
		    const char *const *label_names, const double *buckets, size_t nbuckets)
{
	struct family *f;
	size_t nlabels = 0;
	int err;

	if (!m)
		return -EINVAL;
	err = check_define(name, type, help);
	if (!err)
		err = expo_check_label_names(label_names, METRICS_MAX_LABELS, METRICS_NAME_MAX,
					     &nlabels);
	if (!err && type == METRIC_HISTOGRAM)
		err = expo_check_buckets(buckets, nbuckets, METRICS_MAX_BUCKETS);
	else if (!err && (buckets || nbuckets))
		err = -EINVAL;
	if (err)
		return err;
	f = family_new(name, type, help, label_names, nlabels, buckets, nbuckets);
	if (!f)
		return -ENOMEM;
	pthread_mutex_lock(&m->lock);
	err = m->nfam >= METRICS_MAX_FAMILIES ? -ENOSPC : 0;
	for (int i = 0; !err && i < m->nfam; i++)
		if (!strcmp(m->fam[i]->name, name))
			err = -EEXIST;
	if (!err) {
		err = m->nfam;
		m->fam[m->nfam++] = f;
	}
	pthread_mutex_unlock(&m->lock);
	if (err < 0)
		family_free(f);
	return err;
}

int metrics__define_table(struct metrics *m, const struct metric_def *defs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		*defs[i].id = metrics__define(m, defs[i].name, defs[i].type, defs[i].help,
					      defs[i].label_names, NULL, 0);
		if (*defs[i].id < 0)
			return *defs[i].id;
	}
	return 0;
}

/* FNV-1a over the family id and the values; 0xff, which valid UTF-8
 * never contains, separates values so ("ab","c") != ("a","bc"). */
static int key_build(const struct family *f, int family, const char *const *values, struct key *k)
{
	uint64_t h = 0xcbf29ce484222325ull;

	if (f->nlabels && !values)
		return -EINVAL;
	h = (h ^ (uint64_t)family) * 0x100000001b3ull;
	k->n = f->nlabels;
	for (size_t i = 0; i < k->n; i++) {
		if (!values[i])
			return -EINVAL;
		k->len[i] = expo_utf8_sanitize(values[i], k->v[i], sizeof(k->v[i]), NULL);
		for (const unsigned char *p = (const unsigned char *)k->v[i]; *p; p++)
			h = (h ^ *p) * 0x100000001b3ull;
		h = (h ^ 0xff) * 0x100000001b3ull;
	}
	k->hash = h;
	return 0;
}

static bool series_match(const struct series *s, int family, const struct key *k)
{
	if (s->hash != k->hash || s->family != family)
		return false;
	for (size_t i = 0; i < k->n; i++)
		if (memcmp(s->values[i], k->v[i], k->len[i] + 1))
			return false;
	return true;
}

/* Doubles the table when it holds as many series as slots. Failure only
 * keeps chains longer, so it is not an error. */
static void table_maybe_grow(struct metrics *m)
{
	size_t nslots = (m->tab_mask + 1) * 2;
	struct series **nt;

	if (m->nseries <= m->tab_mask + 1 || nslots > SIZE_MAX / sizeof(*nt))
		return;
	nt = calloc(nslots, sizeof(*nt));
	if (!nt)
		return;
	for (size_t i = 0; i <= m->tab_mask; i++) {
		for (struct series *s = m->tab[i], *next; s; s = next) {
			next = s->next;
			s->next = nt[s->hash & (nslots - 1)];
			nt[s->hash & (nslots - 1)] = s;
		}
	}
	free(m->tab);
	m->tab = nt;
	m->tab_mask = nslots - 1;
}

/* One allocation: header, value pointers, bucket counts, strings and
 * the exposed label text, which never changes and so is escaped once
 * here rather than at every scrape. */
static struct series *series_alloc(const struct family *f, int family, const struct key *k)
{
	size_t off = sizeof(struct series) + k->n * sizeof(char *), total;
	const char *vals[METRICS_MAX_LABELS];
	struct dynbuf lb;
	struct series *s = NULL;
	char *str;

	for (size_t i = 0; i < k->n; i++)
		vals[i] = k->v[i];
	dynbuf_init(&lb, SIZE_MAX);
	if (expo_put_labels(&lb, (const char *const *)f->label_names, vals, k->n))
		goto out;
	off = (off + alignof(uint64_t) - 1) & ~(alignof(uint64_t) - 1);
	total = off + f->nbuckets * sizeof(uint64_t) + lb.len + 1;
	for (size_t i = 0; i < k->n; i++)
		total += k->len[i] + 1;
	s = calloc(1, total);
	if (!s)
		goto out;
	s->hash = k->hash;
	s->family = family;
	s->nlabels = (uint32_t)k->n;
	s->buckets = (uint64_t *)(void *)((char *)s + off);
	str = (char *)s + off + f->nbuckets * sizeof(uint64_t);
	for (size_t i = 0; i < k->n; i++) {
		s->values[i] = memcpy(str, k->v[i], k->len[i] + 1);
		str += k->len[i] + 1;
	}
	s->labels = str;
	s->labels_len = lb.len;
	if (lb.len)
		memcpy(str, lb.p, lb.len);
	str[lb.len] = '\0';
out:
	dynbuf_free(&lb);
	return s;
}

static int series_create(struct metrics *m, struct family *f, int family, const struct key *k,
			 struct series **out)
{
	struct series *s;

	if (m->nseries >= m->max_series) {
		m->dropped++;
		return -ENOSPC;
	}
	if (f->nseries == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 16;
		struct series **ns = realloc(f->series, ncap * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		f->series = ns;
		f->cap = ncap;
	}
	s = series_alloc(f, family, k);
	if (!s)
		return -ENOMEM;
	s->idx = (uint32_t)f->nseries;
	f->series[f->nseries++] = s;
	s->next = m->tab[k->hash & m->tab_mask];
	m->tab[k->hash & m->tab_mask] = s;
	m->nseries++;
	table_maybe_grow(m);
	*out = s;
	return 0;
}

/* Raw label values byte-equal to a series' stored ones are that series:
 * stored values are valid UTF-8 and within the length cap, so repairing
 * the raw ones would change nothing. Saves the repair and the hash when
 * a family sees the same labels again (one route hammered). */
static bool same_values(const struct series *s, const char *const *values)
{
	if (s->nlabels && !values)
		return false;
	for (uint32_t i = 0; i < s->nlabels; i++)
		if (!values[i] || strcmp(values[i], s->values[i]))
			return false;
	return true;
}

/* Finds or creates the series; called and returns with the lock held. */
static int series_get(struct metrics *m, int family, const char *const *values, struct series **out)
{
	struct family *f;
	struct key k;
	int err;

	if (family < 0 || family >= m->nfam || family == m->dropped_family)
		return -EINVAL;
	f = m->fam[family];
	if (f->last && same_values(f->last, values)) {
		*out = f->last;
		return 0;
	}
	err = key_build(f, family, values, &k);
	if (err)
		return err;
	for (struct series *s = m->tab[k.hash & m->tab_mask]; s; s = s->next) {
		if (series_match(s, family, &k)) {
			*out = f->last = s;
			return 0;
		}
	}
	err = series_create(m, f, family, &k, out);
	if (!err)
		f->last = *out;
	return err;
}

enum op { OP_ADD, OP_SET, OP_OBSERVE };

/* Counters only go up (a mirrored value is set, never negative); NaN
 * is refused everywhere except gauge set, where it can mean "unknown". */
static bool op_allowed(enum op op, enum metric_type t, double v)
{
	if (op == OP_ADD)
		return isfinite(v) && (t == METRIC_GAUGE || (t == METRIC_COUNTER && v >= 0));
	if (op == OP_SET)
		return t == METRIC_GAUGE || (t == METRIC_COUNTER && v >= 0);
	return t == METRIC_HISTOGRAM && !isnan(v);
}

static void apply(const struct family *f, struct series *s, enum op op, double v)
{
	if (op == OP_ADD) {
		s->value += v;
	} else if (op == OP_SET) {
		s->value = v;
	} else {
		for (size_t i = 0; i < f->nbuckets; i++) {
			if (v <= f->buckets[i]) {
				s->buckets[i]++;
				break;
			}
		}
		s->count++;
		s->value += v;
	}
}

static int update(struct metrics *m, int family, const char *const *values, enum op op, double v)
{
	struct series *s = NULL;
	int err = -EINVAL;

	if (!m)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	if (family >= 0 && family < m->nfam && op_allowed(op, m->fam[family]->type, v))
		err = series_get(m, family, values, &s);
	if (!err)
		apply(m->fam[family], s, op, v);
	pthread_mutex_unlock(&m->lock);
	return err;
}

int metrics__add(struct metrics *m, int family, const char *const *label_values, double v)
{
	return update(m, family, label_values, OP_ADD, v);
}

int metrics__set(struct metrics *m, int family, const char *const *label_values, double v)
{
	return update(m, family, label_values, OP_SET, v);
}

int metrics__observe(struct metrics *m, int family, const char *const *label_values, double v)
{
	return update(m, family, label_values, OP_OBSERVE, v);
}

/* The lock is not part of the registry's value, hence the casts. */
size_t metrics__series(const struct metrics *m)
{
	size_t n = 0;

	if (m) {
		pthread_mutex_lock((pthread_mutex_t *)&m->lock);
		n = m->nseries;
		pthread_mutex_unlock((pthread_mutex_t *)&m->lock);
	}
	return n;
}

uint64_t metrics__series_dropped(const struct metrics *m)
{
	uint64_t n = 0;

	if (m) {
		pthread_mutex_lock((pthread_mutex_t *)&m->lock);
		n = m->dropped;
		pthread_mutex_unlock((pthread_mutex_t *)&m->lock);
	}
	return n;
}
