// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The registry as Prometheus text: a snapshot of the numbers taken
 * under the registry's lock, then text made piece by piece as the
 * reader asks, outside it. What does not change between scrapes is
 * kept from one render to the next under render_lock: the label text
 * (made when a series is created), the series' sorted order (only new
 * series are sorted, then merged) and the text of values that did not
 * change. Must not do I/O.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "metrics_int.h"

/* Numbers copied under the lock; labels and families are immutable and
 * read in place after it. */
struct snap {
	struct series *s;
	double value;
	uint64_t count;
	uint64_t *buckets; /* into snapshot.bk */
};

struct fam_snap {
	struct family *f;
	struct snap *first;
	size_t n;
};

/* A scrape's short-lived arrays (~2 MB at 10k series) come from the
 * kernel and go back to it: from malloc they would stay resident between
 * scrapes in the arena of whichever API thread served the scrape. */
static void *scratch_get(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void scratch_put(void *p, size_t n)
{
	if (p)
		munmap(p, n);
}

struct snapshot {
	struct fam_snap fams[METRICS_MAX_FAMILIES];
	size_t nfam;
	struct snap *ss;
	uint64_t *bk;
	size_t ss_size, bk_size; /* bytes mapped */
	uint64_t dropped;
	const struct family *dropped_f;
};

static void snapshot_copy(struct metrics *m, struct snapshot *sn)
{
	struct snap *ss = sn->ss;
	uint64_t *bk = sn->bk;

	for (int i = 0; i < m->nfam; i++) {
		struct family *f = m->fam[i];

		sn->fams[i] = (struct fam_snap){ .f = f, .first = ss, .n = f->nseries };
		for (size_t j = 0; j < f->nseries; j++, ss++) {
			struct series *s = f->series[j];

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
	sn->ss_size = nss * sizeof(*sn->ss);
	sn->bk_size = nbk * sizeof(*sn->bk);
	sn->ss = scratch_get(sn->ss_size);
	sn->bk = scratch_get(sn->bk_size);
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

/* Puts fs's snaps (in creation order) in label order: the new series
 * (past the family's cached order) are sorted, then merged with the
 * cached order, which becomes the new one. Under render_lock. A render
 * that took its snapshot before another render's may see a cached
 * order longer than its snapshot; those entries are skipped. */
static int family_sort(struct fam_snap *fs)
{
	struct family *f = fs->f;
	size_t old = f->norder < fs->n ? f->norder : fs->n, o = 0, k = 0, nw = old;
	size_t tmp_size = (fs->n + 1) * sizeof(struct snap);
	struct snap *tmp = scratch_get(tmp_size);
	bool grown = fs->n > f->norder; /* else the cached order stays as it is */
	uint32_t *order = grown ? malloc(fs->n * sizeof(*order)) : NULL;

	if (!tmp || (grown && !order)) {
		scratch_put(tmp, tmp_size);
		free(order);
		return -ENOMEM;
	}
	qsort(fs->first + old, fs->n - old, sizeof(*fs->first), snap_cmp);
	while (k < fs->n) {
		while (o < f->norder && f->order[o] >= fs->n)
			o++; /* newer than this snapshot */
		if (o < f->norder &&
		    (nw >= fs->n || snap_cmp(&fs->first[f->order[o]], &fs->first[nw]) <= 0))
			tmp[k++] = fs->first[f->order[o++]];
		else
			tmp[k++] = fs->first[nw++];
	}
	memcpy(fs->first, tmp, fs->n * sizeof(*tmp));
	scratch_put(tmp, tmp_size);
	if (grown) {
		for (k = 0; k < fs->n; k++)
			order[k] = fs->first[k].s->idx;
		free(f->order);
		f->order = order;
		f->norder = fs->n;
	}
	return 0;
}

/* v's text into num: kept from the last render when v did not change. */
static size_t format_value(struct series *s, double v, char num[EXPO_NUM_MAX])
{
	if (s->memo_len && s->memo_v == v) {
		memcpy(num, s->memo, s->memo_len + 1u);
		return s->memo_len;
	}
	s->memo_len = (uint8_t)expo_format_double(num, v);
	s->memo_v = v;
	memcpy(s->memo, num, s->memo_len + 1u);
	return s->memo_len;
}

/* Most of a large exposition is histogram lines: each series is
 * written with memcpy into room sized beforehand, so no line is
 * formatted or bounds-checked on its own. */
static size_t series_room(const struct family *f, const struct series *s)
{
	struct expo_line l = { f->name, f->name_len, s->labels, s->labels_len };

	if (f->type != METRIC_HISTOGRAM)
		return expo_sample_max(&l, "", 0);
	return (f->nbuckets + 1) * expo_sample_max(&l, "_bucket", f->le_max > 4 ? f->le_max : 4) +
	       expo_sample_max(&l, "_count", 0) + expo_sample_max(&l, "_sum", 0);
}

/* Writes sp's lines at p (series_room() bytes free); returns the end. */
static char *write_series(char *p, const struct family *f, const struct snap *sp)
{
	struct expo_line l = { f->name, f->name_len, sp->s->labels, sp->s->labels_len };
	char num[EXPO_NUM_MAX];
	uint64_t cum = 0;

	if (f->type != METRIC_HISTOGRAM)
		return expo_write_sample(p, &l, "", NULL, 0, num,
					 format_value(sp->s, sp->value, num));
	for (size_t i = 0; i < f->nbuckets; i++) {
		cum += sp->buckets[i];
		p = expo_write_sample(p, &l, "_bucket", f->le[i], f->le_len[i], num,
				      expo_format_u64(num, cum));
	}
	p = expo_write_sample(p, &l, "_bucket", "+Inf", 4, num, expo_format_u64(num, sp->count));
	p = expo_write_sample(p, &l, "_sum", NULL, 0, num, format_value(sp->s, sp->value, num));
	return expo_write_sample(p, &l, "_count", NULL, 0, num, expo_format_u64(num, sp->count));
}

/* A render in progress: the snapshot, where it is, and text made but
 * not yet handed out (a header, or a series too large for what was
 * left of the reader's buffer), so memory stays small whatever the
 * number of series. */
struct metrics_render {
	struct metrics *m;
	struct snapshot sn;
	size_t fi, si; /* family, series within it */
	bool header_done;
	struct dynbuf pend;
	size_t pend_off;
};

int metrics__render_begin(struct metrics *m, struct metrics_render **out)
{
	struct metrics_render *r;
	int err;

	if (!m || !out)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	dynbuf_init(&r->pend, METRICS_RENDER_MAX);
	err = snapshot_take(m, &r->sn);
	if (err) {
		metrics__render_end(r);
		return err;
	}
	r->m = m;
	qsort(r->sn.fams, r->sn.nfam, sizeof(*r->sn.fams), fam_cmp);
	pthread_mutex_lock(&m->render_lock);
	for (size_t i = 0; !err && i < r->sn.nfam; i++)
		err = family_sort(&r->sn.fams[i]);
	pthread_mutex_unlock(&m->render_lock);
	if (err) {
		metrics__render_end(r);
		return err;
	}
	*out = r;
	return 0;
}

void metrics__render_end(struct metrics_render *r)
{
	if (!r)
		return;
	dynbuf_free(&r->pend);
	scratch_put(r->sn.ss, r->sn.ss_size);
	scratch_put(r->sn.bk, r->sn.bk_size);
	free(r);
}

enum item { ITEM_END, ITEM_HEADER, ITEM_DROPPED, ITEM_SERIES };

/* What comes next, skipping families without samples (left out, like
 * client_golang does); the registry's own dropped counter is always
 * there, its one sample right after its header. */
static enum item next_item(struct metrics_render *r)
{
	for (; r->fi < r->sn.nfam; r->fi++, r->si = 0, r->header_done = false) {
		const struct fam_snap *fs = &r->sn.fams[r->fi];

		if (fs->f == r->sn.dropped_f)
			return r->header_done ? ITEM_DROPPED : ITEM_HEADER;
		if (r->si < fs->n)
			return r->header_done ? ITEM_SERIES : ITEM_HEADER;
	}
	return ITEM_END;
}

/* The next item: a series straight into buf when it fits in free bytes,
 * anything else into r->pend. 0 or -errno. */
static int put_item(struct metrics_render *r, enum item it, char *buf, size_t *n, size_t max)
{
	const struct fam_snap *fs = &r->sn.fams[r->fi];
	const struct family *f = fs->f;
	const struct snap *sp;
	size_t room;
	char *at;
	int err;

	if (it == ITEM_HEADER) {
		r->header_done = true;
		return expo_put_header(&r->pend, f->name, f->help, metric_type_name(f->type));
	}
	if (it == ITEM_DROPPED) {
		struct dynbuf none = { 0 };

		r->fi++;
		r->header_done = false;
		return expo_put_sample(&r->pend, f->name, "", &none, NULL, (double)r->sn.dropped);
	}
	sp = &fs->first[r->si++];
	room = series_room(f, sp->s);
	if (room <= max - *n) {
		*n += (size_t)(write_series(buf + *n, f, sp) - (buf + *n));
		return 0;
	}
	err = dynbuf_room(&r->pend, room, &at);
	if (!err)
		dynbuf_commit(&r->pend, (size_t)(write_series(at, f, sp) - at));
	return err;
}

ssize_t metrics__render_next(struct metrics_render *r, char *buf, size_t max)
{
	size_t n = 0;

	if (!r || !buf)
		return -EINVAL;
	pthread_mutex_lock(&r->m->render_lock);
	while (n < max) {
		size_t left = r->pend.len - r->pend_off, take = left < max - n ? left : max - n;
		enum item it;
		int err;

		if (take) {
			memcpy(buf + n, r->pend.p + r->pend_off, take);
			r->pend_off += take;
			n += take;
			continue;
		}
		r->pend.len = 0;
		r->pend_off = 0;
		it = next_item(r);
		if (it == ITEM_END)
			break;
		err = put_item(r, it, buf, &n, max);
		if (err) {
			pthread_mutex_unlock(&r->m->render_lock);
			return err;
		}
	}
	pthread_mutex_unlock(&r->m->render_lock);
	return (ssize_t)n;
}

int metrics__render(struct metrics *m, char **out, size_t *len)
{
	struct metrics_render *r;
	struct dynbuf b;
	ssize_t n = 0;
	char *at;
	int err;

	if (!out)
		return -EINVAL;
	err = metrics__render_begin(m, &r);
	if (err)
		return err;
	dynbuf_init(&b, METRICS_RENDER_MAX);
	do {
		err = dynbuf_room(&b, 64 * 1024, &at);
		if (!err)
			n = metrics__render_next(r, at, 64 * 1024);
		if (!err && n < 0)
			err = (int)n;
		if (!err)
			dynbuf_commit(&b, (size_t)n);
	} while (!err && n > 0);
	metrics__render_end(r);
	if (!err) {
		*out = dynbuf_take(&b, len);
		err = *out ? 0 : -ENOMEM;
	}
	dynbuf_free(&b);
	return err;
}
