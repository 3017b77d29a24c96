/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The registry's insides, shared by metrics.c (definitions, updates)
 * and metrics_render.c (snapshots, exposition). Nothing else includes
 * this.
 */
#ifndef BIOTHINGS_METRICS_INT_H
#define BIOTHINGS_METRICS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "expo.h"
#include "metrics.h"

struct series {
	struct series *next; /* hash chain */
	uint64_t hash;
	int family;
	uint32_t nlabels;
	double value; /* counter or gauge value; histogram sum */
	uint64_t count; /* histogram observations */
	uint64_t *buckets; /* per-bound, not cumulative; +Inf is count */
	const char *labels; /* name="value",... as exposed, made once */
	size_t labels_len;
	uint32_t idx; /* position in its family's series, i.e. creation order */
	/* The last value rendered and its text, for a value that did not
	 * change since (most, between two scrapes). Render's, under
	 * render_lock. */
	double memo_v;
	uint8_t memo_len;
	char memo[EXPO_NUM_MAX];
	char *values[]; /* nlabels sanitized, cut label values */
};

struct family {
	char *name, *help;
	enum metric_type type;
	size_t nlabels, nbuckets;
	char **label_names;
	double *buckets;
	char (*le)[EXPO_NUM_MAX]; /* the bounds as exposed, made once */
	size_t *le_len, le_max;
	size_t name_len;
	struct series **series; /* in creation order */
	size_t nseries, cap;
	struct series *last; /* the series last found or made, checked first */
	/* Render's, under render_lock: series indexes sorted by label
	 * values, as of the last render (series are never removed, so a
	 * render only sorts the new ones and merges). */
	uint32_t *order;
	size_t norder;
};

struct metrics {
	pthread_mutex_t lock;
	pthread_mutex_t render_lock; /* the render caches; taken before lock */
	uint32_t max_series;
	size_t nseries;
	uint64_t dropped;
	int nfam;
	int dropped_family;
	struct family *fam[METRICS_MAX_FAMILIES];
	struct series **tab;
	size_t tab_mask;
};

static inline const char *metric_type_name(enum metric_type t)
{
	return t == METRIC_COUNTER ? "counter" : t == METRIC_GAUGE ? "gauge" : "histogram";
}

#endif
