/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The pieces of the Prometheus text exposition format 0.0.4: name
 * validation, UTF-8 repair, escaping of label values and help text,
 * number formatting, and a growable buffer with a hard maximum size
 * (curl dynbuf style). Pure functions: no locking, no global state, no
 * knowledge of metric families; metrics.c puts the pieces together.
 */
#ifndef BIOTHINGS_EXPO_H
#define BIOTHINGS_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A buffer that grows on demand up to max bytes (the terminating NUL
 * included). p is always NUL-terminated once anything was added. */
struct dynbuf {
	char *p;
	size_t len, cap, max;
};

void dynbuf_init(struct dynbuf *b, size_t max);
void dynbuf_free(struct dynbuf *b);
/* 0, -E2BIG when len would pass max (nothing is added), -ENOMEM */
int dynbuf_add(struct dynbuf *b, const void *mem, size_t len);
int dynbuf_addstr(struct dynbuf *b, const char *s);
/* Room for extra more bytes (and the NUL): *at is where they go, to be
 * written by the caller and kept with dynbuf_commit(). 0, -E2BIG, -ENOMEM;
 * *at is NULL on error. */
int dynbuf_room(struct dynbuf *b, size_t extra, char **at);
/* Keeps n of the bytes written after dynbuf_room(); n <= the room asked. */
void dynbuf_commit(struct dynbuf *b, size_t n);
int dynbuf_printf(struct dynbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the contents to the caller (malloc'd, NUL-terminated, never NULL
 * on success) and leaves b empty. NULL + errno on allocation failure. */
char *dynbuf_take(struct dynbuf *b, size_t *len);

/* Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*  */
bool expo_metric_name_valid(const char *name);
/* Label names: [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved) */
bool expo_label_name_valid(const char *name);

/*
 * What promtool's linter (client_golang promlint) would flag in a family
 * named name of type ("counter", "gauge", "histogram"): camelCase, ':',
 * the type in the name, non-base or abbreviated units, "_total" on
 * anything but a counter or missing on a counter, "_bucket", "_count" and
 * "_sum" suffixes on non-histograms. True when the name is clean.
 */
bool expo_name_lint_ok(const char *name, const char *type);
/* Label names promlint flags: camelCase, and "le"/"quantile", reserved
 * for histograms and summaries. */
bool expo_label_lint_ok(const char *label);

/* Checks a NULL-terminated (or NULL) list of label names: valid, lint
 * clean, no duplicates, at most max of them, each at most maxlen bytes.
 * 0 and *n set, or -EINVAL. */
int expo_check_label_names(const char *const *names, size_t max, size_t maxlen, size_t *n);
/* Histogram bounds: 1..max of them, finite, strictly ascending (the
 * "+Inf" bucket is implicit). 0 or -EINVAL. */
int expo_check_buckets(const double *b, size_t n, size_t max);

/* U+FFFD, what an invalid byte becomes */
#define EXPO_REPLACEMENT "\xef\xbf\xbd"

/*
 * Copies the NUL-terminated string in into out (outcap bytes, NUL
 * included), replacing every byte that does not start a valid UTF-8
 * sequence (overlongs, surrogates and values past U+10FFFF included) by
 * U+FFFD. Stops before a character that would not fit whole, so a cut
 * never leaves a partial sequence. Returns the bytes written, NUL
 * excluded; sets *truncated when input was left over.
 */
size_t expo_utf8_sanitize(const char *in, char *out, size_t outcap, bool *truncated);

/* Appends v with backslash, double quote and newline escaped. v must
 * already be valid UTF-8 (see expo_utf8_sanitize). */
int expo_escape_label_value(struct dynbuf *b, const char *v);
/* Appends help text with backslash and newline escaped. */
int expo_escape_help(struct dynbuf *b, const char *help);

/* Enough for any double printed by expo_format_double, NUL included */
#define EXPO_NUM_MAX 32
/*
 * Writes v as Prometheus (Go ParseFloat) accepts it: the shortest of
 * %.15g..%.17g that reads back as v, integers without exponent up to
 * 2^53, and "NaN", "+Inf", "-Inf". Returns the length.
 */
size_t expo_format_double(char out[EXPO_NUM_MAX], double v);
/* v in decimal; the length. */
size_t expo_format_u64(char out[EXPO_NUM_MAX], uint64_t v);

/* "# HELP name help\n# TYPE name type\n", help escaped */
int expo_put_header(struct dynbuf *b, const char *name, const char *help, const char *type);
/* Appends n pairs name="value" joined by ',' (no braces); values valid
 * UTF-8, escaped here. */
int expo_put_labels(struct dynbuf *b, const char *const *names, const char *const *values,
		    size_t n);
/* One exposed line's fixed parts: the family name and its series' labels
 * as built by expo_put_labels (escaped, no braces; may be empty). */
struct expo_line {
	const char *name;
	size_t name_len;
	const char *labels;
	size_t labels_len;
};

/* Bytes expo_write_sample() may write for l, suffix and an le of
 * le_len bytes (0 for none), number included. */
size_t expo_sample_max(const struct expo_line *l, const char *suffix, size_t le_len);
/* Writes "name suffix{labels[,le="le"]} num\n" at p, which has room for
 * expo_sample_max() bytes; le NULL outside histogram buckets. Returns
 * the end of what was written (no NUL). */
char *expo_write_sample(char *p, const struct expo_line *l, const char *suffix, const char *le,
			size_t le_len, const char *num, size_t num_len);

/* "name suffix{labels[,le="le"]} v\n"; labels as built by
 * expo_put_labels (may be empty), le NULL outside histogram buckets. */
int expo_put_sample(struct dynbuf *b, const char *name, const char *suffix,
		    const struct dynbuf *labels, const char *le, double v);

#endif
