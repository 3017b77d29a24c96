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

#include "expo.h"
#include "metrics.h"

#define TABLE_MIN 1024 /* hash table slots, a power of two */
#define DROPPED_NAME "biothings_observer_series_dropped_total"

struct series {
	struct series *next; /* hash chain */
	uint64_t hash;
	int family;
	uint32_t nlabels;
	double value; /* counter or gauge value; histogram sum */
	uint64_t count; /* histogram observations */
	uint64_t *buckets; /* per-bound, not cumulative; +Inf is count */
	char *values[]; /* nlabels sanitized, cut label values */
};

struct family {
	char *name, *help;
	enum metric_type type;
	size_t nlabels, nbuckets;
	char **label_names;
	double *buckets;
	struct series **series; /* in creation order; sorted at render */
	size_t nseries, cap;
};

struct metrics {
	pthread_mutex_t lock;
	uint32_t max_series;
	size_t nseries;
	uint64_t dropped;
	int nfam;
	int dropped_family;
	struct family *fam[METRICS_MAX_FAMILIES];
	struct series **tab;
	size_t tab_mask;
};

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
	for (size_t i = 0; i < f->nlabels; i++)
		free(f->label_names[i]);
	free(f->label_names);
	free(f->buckets);
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
	free(m);
}

static const char *type_name(enum metric_type t)
{
	return t == METRIC_COUNTER ? "counter" : t == METRIC_GAUGE ? "gauge" : "histogram";
}

static int check_define(const char *name, enum metric_type type, const char *help)
{
	if (type != METRIC_COUNTER && type != METRIC_GAUGE && type != METRIC_HISTOGRAM)
		return -EINVAL;
	if (!name || strlen(name) > METRICS_NAME_MAX || !expo_metric_name_valid(name) ||
	    !expo_name_lint_ok(name, type_name(type)))
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
	if (!f->name || !f->help || !f->label_names || !f->buckets)
		goto err_free_f;
	for (; f->nlabels < nlabels; f->nlabels++) {
		f->label_names[f->nlabels] = strdup(label_names[f->nlabels]);
		if (!f->label_names[f->nlabels])
			goto err_free_f;
	}
	if (nbuckets)
		memcpy(f->buckets, buckets, nbuckets * sizeof(double));
	f->nbuckets = nbuckets;
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

/* One allocation: header, value pointers, bucket counts, strings. */
static struct series *series_alloc(const struct family *f, int family, const struct key *k)
{
	size_t off = sizeof(struct series) + k->n * sizeof(char *), total;
	struct series *s;
	char *str;

	off = (off + alignof(uint64_t) - 1) & ~(alignof(uint64_t) - 1);
	total = off + f->nbuckets * sizeof(uint64_t);
	for (size_t i = 0; i < k->n; i++)
		total += k->len[i] + 1;
	s = calloc(1, total);
	if (!s)
		return NULL;
	s->hash = k->hash;
	s->family = family;
	s->nlabels = (uint32_t)k->n;
	s->buckets = (uint64_t *)(void *)((char *)s + off);
	str = (char *)s + off + f->nbuckets * sizeof(uint64_t);
	for (size_t i = 0; i < k->n; i++) {
		s->values[i] = memcpy(str, k->v[i], k->len[i] + 1);
		str += k->len[i] + 1;
	}
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
	f->series[f->nseries++] = s;
	s->next = m->tab[k->hash & m->tab_mask];
	m->tab[k->hash & m->tab_mask] = s;
	m->nseries++;
	table_maybe_grow(m);
	*out = s;
	return 0;
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
	err = key_build(f, family, values, &k);
	if (err)
		return err;
	for (struct series *s = m->tab[k.hash & m->tab_mask]; s; s = s->next) {
		if (series_match(s, family, &k)) {
			*out = s;
			return 0;
		}
	}
	return series_create(m, f, family, &k, out);
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

/* Numbers copied under the lock; labels and families are immutable and
 * read in place after it. */
struct snap {
	const struct series *s;
	double value;
	uint64_t count;
	uint64_t *buckets; /* into snapshot.bk */
};

struct fam_snap {
	const struct family *f;
	struct snap *first;
	size_t n;
};

struct snapshot {
	struct fam_snap fams[METRICS_MAX_FAMILIES];
	size_t nfam;
	struct snap *ss;
	uint64_t *bk;
	uint64_t dropped;
	const struct family *dropped_f;
};

static void snapshot_copy(struct metrics *m, struct snapshot *sn)
{
	struct snap *ss = sn->ss;
	uint64_t *bk = sn->bk;

	for (int i = 0; i < m->nfam; i++) {
		const struct family *f = m->fam[i];

		sn->fams[i] = (struct fam_snap){ .f = f, .first = ss, .n = f->nseries };
		for (size_t j = 0; j < f->nseries; j++, ss++) {
			const struct series *s = f->series[j];

			*ss = (struct snap){ .s = s, .value = s->value, .count = s->count };
			ss->buckets = bk;
			memcpy(bk, s->buckets, f->nbuckets * sizeof(*bk));
			bk += f->nbuckets;
		}
	}
	sn->nfam = (size_t)m->nfam;
	sn->dropped = m->dropped;
	sn->dropped_f = m->fam[m->dropped_family];
}

static int snapshot_take(struct metrics *m, struct snapshot *sn)
{
	size_t nss = 1, nbk = 1;
	int err = 0;

	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < m->nfam; i++) {
		nss += m->fam[i]->nseries;
		nbk += m->fam[i]->nseries * m->fam[i]->nbuckets;
	}
	sn->ss = malloc(nss * sizeof(*sn->ss));
	sn->bk = malloc(nbk * sizeof(*sn->bk));
	if (sn->ss && sn->bk)
		snapshot_copy(m, sn);
	else
		err = -ENOMEM;
	pthread_mutex_unlock(&m->lock);
	return err;
}

static int fam_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fam_snap *)a)->f->name, ((const struct fam_snap *)b)->f->name);
}

static int snap_cmp(const void *a, const void *b)
{
	const struct series *x = ((const struct snap *)a)->s, *y = ((const struct snap *)b)->s;

	for (uint32_t i = 0; i < x->nlabels; i++) {
		int c = strcmp(x->values[i], y->values[i]);

		if (c)
			return c;
	}
	return 0;
}

static int put_histogram(struct dynbuf *b, const struct family *f, const struct snap *sp,
			 const struct dynbuf *lb)
{
	char le[EXPO_NUM_MAX];
	uint64_t cum = 0;
	int err = 0;

	for (size_t i = 0; !err && i < f->nbuckets; i++) {
		cum += sp->buckets[i];
		expo_format_double(le, f->buckets[i]);
		err = expo_put_sample(b, f->name, "_bucket", lb, le, (double)cum);
	}
	if (!err)
		err = expo_put_sample(b, f->name, "_bucket", lb, "+Inf", (double)sp->count);
	if (!err)
		err = expo_put_sample(b, f->name, "_sum", lb, NULL, sp->value);
	if (!err)
		err = expo_put_sample(b, f->name, "_count", lb, NULL, (double)sp->count);
	return err;
}

static int put_family(struct dynbuf *b, struct dynbuf *lb, const struct fam_snap *fs,
		      uint64_t dropped, bool is_dropped)
{
	const struct family *f = fs->f;
	int err;

	if (!fs->n && !is_dropped)
		return 0; /* like client_golang: no samples, no family */
	err = expo_put_header(b, f->name, f->help, type_name(f->type));
	if (!err && is_dropped) {
		lb->len = 0;
		return expo_put_sample(b, f->name, "", lb, NULL, (double)dropped);
	}
	qsort(fs->first, fs->n, sizeof(*fs->first), snap_cmp);
	for (size_t i = 0; !err && i < fs->n; i++) {
		lb->len = 0;
		err = expo_put_labels(lb, (const char *const *)f->label_names,
				      (const char *const *)fs->first[i].s->values, f->nlabels);
		if (err)
			break;
		if (f->type == METRIC_HISTOGRAM)
			err = put_histogram(b, f, &fs->first[i], lb);
		else
			err = expo_put_sample(b, f->name, "", lb, NULL, fs->first[i].value);
	}
	return err;
}

int metrics__render(struct metrics *m, char **out, size_t *len)
{
	struct dynbuf b, lb;
	struct snapshot *sn;
	int err;

	if (!m || !out)
		return -EINVAL;
	sn = calloc(1, sizeof(*sn));
	if (!sn)
		return -ENOMEM;
	err = snapshot_take(m, sn);
	if (err)
		goto err_free_snap;
	qsort(sn->fams, sn->nfam, sizeof(*sn->fams), fam_cmp);
	dynbuf_init(&b, METRICS_RENDER_MAX);
	dynbuf_init(&lb, METRICS_RENDER_MAX);
	for (size_t i = 0; !err && i < sn->nfam; i++)
		err = put_family(&b, &lb, &sn->fams[i], sn->dropped,
				 sn->fams[i].f == sn->dropped_f);
	dynbuf_free(&lb);
	if (!err) {
		*out = dynbuf_take(&b, len);
		err = *out ? 0 : -ENOMEM;
	}
	dynbuf_free(&b);
err_free_snap:
	free(sn->ss);
	free(sn->bk);
	free(sn);
	return err;
}
