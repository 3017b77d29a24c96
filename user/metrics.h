/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A thread-safe registry of metric families and their series, rendered
 * as Prometheus text exposition 0.0.4. The capture thread updates while
 * the HTTP thread renders; one mutex guards the registry and is held
 * only for lookups, updates and a copy of the numbers at render time.
 * The registry refuses, at define time, any name that promtool's linter
 * would complain about, so its output is lint-clean by construction.
 * It knows nothing about HTTP, BPF or sockets, and never deletes a
 * series (series cardinality is bounded by max_series instead).
 */
#ifndef BIOTHINGS_METRICS_H
#define BIOTHINGS_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

#define METRICS_MAX_FAMILIES 256
#define METRICS_MAX_LABELS 8
#define METRICS_MAX_BUCKETS 64
#define METRICS_NAME_MAX 128 /* metric and label names, NUL excluded */
#define METRICS_HELP_MAX 1024 /* help text is cut here */
#define METRICS_LABEL_VALUE_MAX 256 /* bytes; longer values are cut */
#define METRICS_RENDER_MAX (64u << 20) /* render gives -E2BIG past this */

struct metrics;

/* max_series caps the series of all families together. NULL + errno. */
struct metrics *metrics__new(uint32_t max_series);
void metrics__free(struct metrics *m);

/*
 * Returns the family id (>= 0) or -EINVAL (bad name, help, labels or
 * buckets, or a name promtool would lint), -EEXIST (name taken),
 * -ENOSPC (METRICS_MAX_FAMILIES reached), -ENOMEM.
 * Counters pass their full exposed name, ending in "_total"; histograms
 * their base name (e.g. "http_server_request_duration_seconds").
 * label_names is NULL-terminated (or NULL for none); buckets are finite,
 * strictly ascending upper bounds for histograms (+Inf is added), else
 * NULL/0. Everything kept is copied.
 */
int metrics__define(struct metrics *m, const char *name, enum metric_type type, const char *help,
		    const char *const *label_names, const double *buckets, size_t nbuckets);

/* One family of a module's table of families (no histograms: no buckets). */
struct metric_def {
	int *id; /* receives the family id */
	const char *name;
	enum metric_type type;
	const char *help;
	const char *const *label_names;
};

/* metrics__define() for each entry in turn; 0, or the first error. */
int metrics__define_table(struct metrics *m, const struct metric_def *defs, size_t n);

/*
 * label_values holds one string per label name of the family, in the
 * same order. Values may be any bytes: invalid UTF-8 becomes U+FFFD and
 * values are cut at METRICS_LABEL_VALUE_MAX bytes. All return 0 or
 * -EINVAL (bad family, wrong type, NULL value, bad v), -ENOSPC (a new
 * series past max_series; counted), -ENOMEM.
 */
/* counter += v (finite, >= 0); also gauge += v (finite) */
int metrics__add(struct metrics *m, int family, const char *const *label_values, double v);
/* gauge = v; also counter = v for values mirrored from a monotonic
 * source such as a kernel counter */
int metrics__set(struct metrics *m, int family, const char *const *label_values, double v);
/* histogram: v not NaN */
int metrics__observe(struct metrics *m, int family, const char *const *label_values, double v);

/*
 * The exposition, families sorted by name and series by label values,
 * as of one instant: the numbers are copied under the lock at begin,
 * then formatted piecewise as the reader asks, so a scrape of any size
 * needs no buffer of its size. begin: 0, -EINVAL, -ENOMEM. next: fills
 * buf with up to max bytes and returns how many, 0 once everything was
 * handed out, or -ENOMEM / -E2BIG (a series' text past
 * METRICS_RENDER_MAX). end frees; the registry must outlive the render.
 */
struct metrics_render;
int metrics__render_begin(struct metrics *m, struct metrics_render **out);
ssize_t metrics__render_next(struct metrics_render *r, char *buf, size_t max);
void metrics__render_end(struct metrics_render *r);

/* The whole exposition at once: *out is malloc'd, NUL-terminated text
 * the caller frees. 0, -ENOMEM, -E2BIG (past METRICS_RENDER_MAX). */
int metrics__render(struct metrics *m, char **out, size_t *len);

/* Series stored, the registry's own series_dropped counter excluded */
size_t metrics__series(const struct metrics *m);
/* Observations refused because max_series was reached; also exported as
 * biothings_observer_series_dropped_total */
uint64_t metrics__series_dropped(const struct metrics *m);

/* OpenTelemetry's default explicit bucket boundaries for
 * http.server.request.duration, in seconds (14 bounds). */
const double *metrics_otel_duration_buckets(size_t *n);

#endif
