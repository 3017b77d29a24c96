/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Latency distributions with bounded memory, for the performance views:
 * per key (a served route, an upstream, an LLM agent, a database server)
 * a ring of PERF_MINUTES one-minute slots, each with counts, errors,
 * requests over the warning and critical thresholds of the key's kind,
 * and a histogram of PERF_BUCKETS fixed log-scale buckets (four per
 * octave, so a quantile is within one bucket: about 19 %). Windows and
 * quantiles are read by merging slots into a perf_dist. Keys are capped;
 * what does not fit is counted. Time is Unix minutes from the caller.
 * Pure and single-threaded: no I/O, no locks, no clock.
 */
#ifndef BT_PERF_H
#define BT_PERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PERF_MINUTES 60 /* longest window, minutes */
#define PERF_BUCKETS 90
#define PERF_MIN_NS 32000ull /* upper bound of the first bucket (32 us) */
#define PERF_MAX_KEYS 1024
#define PERF_NAME_MAX 128 /* bytes of each key part kept, NUL included */

enum perf_kind {
	PERF_API, /* a route this host serves: (service, route) */
	PERF_UPSTREAM, /* an HTTP call it makes: (service, route) */
	PERF_AGENT, /* LLM calls: (service, agent) */
	PERF_DB, /* database operations: (system, server) */
	PERF_KIND__COUNT
};
const char *perf_kind_name(enum perf_kind k); /* api, upstream, agent, db */

struct perf_thresholds {
	uint64_t warn_ns, crit_ns;
};

/* A merged distribution: one window of one key, or of many keys. */
struct perf_dist {
	uint64_t count, errors, over_warn, over_crit;
	double sum_s, max_s;
	uint64_t b[PERF_BUCKETS];
};
void perf_dist_clear(struct perf_dist *d);
/* q in [0, 1]: seconds, interpolated inside the bucket holding rank ceil(q * count), never
 * above the largest value seen; NaN when empty. */
double perf_dist_quantile(const struct perf_dist *d, double q);
/* Lower and upper bound of bucket i in seconds (the last bucket's upper bound is +inf). */
void perf_bucket_bounds(size_t i, double *lo, double *hi);
/* The bucket a duration falls in. */
size_t perf_bucket_of(uint64_t ns);

struct perf;
/* th: per kind (NULL: no threshold counting). max_keys 1..PERF_MAX_KEYS (0: the max). */
struct perf *perf__new(size_t max_keys, const struct perf_thresholds th[PERF_KIND__COUNT]);
void perf__free(struct perf *p); /* NULL-safe */

/*
 * One observation of key (kind, a, b) at Unix minute `minute`. 0; -ENOSPC
 * when the key is new and the cap is reached (counted); -EINVAL (NULL,
 * a bad kind, a negative minute); -ENOMEM. A minute older than the one
 * its slot holds is dropped.
 */
int perf__add(struct perf *p, enum perf_kind k, const char *a, const char *b, int64_t minute,
	      uint64_t ns, bool error);
size_t perf__keys(const struct perf *p);
/* Key i's parts; -ENOENT past the end. */
int perf__key(const struct perf *p, size_t i, enum perf_kind *k, const char **a, const char **b);
/* Index of a key or -ENOENT. */
int perf__find(const struct perf *p, enum perf_kind k, const char *a, const char *b);
/* Observations refused at the cap, per kind. */
uint64_t perf__overflow(const struct perf *p, enum perf_kind k);
/* Adds key i's minutes (now - minutes, now] into d (minutes 1..PERF_MINUTES, else clamped). */
void perf__collect(const struct perf *p, size_t i, int64_t now, unsigned minutes,
		   struct perf_dist *d);

#endif
