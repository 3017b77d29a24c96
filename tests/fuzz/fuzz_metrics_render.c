// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the exposition writer (user/metrics_render.c):
 * label values come from request targets and process names, and each
 * series' lines are written with memcpy into room sized beforehand, so
 * a wrong size is a heap overflow ASan catches here. Also: a streamed
 * render in pieces of any size gives the whole render's text, and what
 * a render keeps for the next (sorted order, value text) never shows —
 * after new series and changed values, a registry rendered before
 * renders like one that never was.
 *
 * Input: [0] the piece size - 1, [1] bits 0-6 a value scale; then label
 * values separated by NUL, taken in pairs (route, method); the first
 * half is added, rendered, then the second half and a value change.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"
#include "metrics.h"

#include "fuzz_util.h"

#define CTL_BYTES 2
#define MAX_VALUES 64

struct reg {
	struct metrics *m;
	int hist, counter;
};

static bool reg_init(struct reg *r)
{
	static const char *const hl[] = { "route", "method", NULL };
	static const char *const cl[] = { "route", NULL };
	size_t nb;
	const double *b = metrics_otel_duration_buckets(&nb);

	r->m = metrics__new(4 * MAX_VALUES);
	FUZZ_CHECK(r->m);
	r->hist = metrics__define(r->m, "fz_duration_seconds", METRIC_HISTOGRAM, "D.", hl, b, nb);
	r->counter = metrics__define(r->m, "fz_events_total", METRIC_COUNTER, "E.", cl, NULL, 0);
	FUZZ_CHECK(r->hist >= 0 && r->counter >= 0);
	return true;
}

static void feed(struct reg *r, char **vals, size_t from, size_t to, double v)
{
	for (size_t i = from; i + 1 < to; i += 2) {
		const char *const hv[] = { vals[i], vals[i + 1] }, *const cv[] = { vals[i] };

		FUZZ_CHECK(metrics__observe(r->m, r->hist, hv, v * (double)i) == 0);
		FUZZ_CHECK(metrics__add(r->m, r->counter, cv, v) == 0);
	}
}

/* The streamed text in pieces of piece bytes equals the whole one. */
static char *render_checked(struct metrics *m, size_t piece, size_t *len)
{
	struct metrics_render *r;
	char *whole, *buf = malloc(piece);
	size_t off = 0;
	ssize_t n;

	FUZZ_CHECK(buf && metrics__render(m, &whole, len) == 0);
	FUZZ_CHECK(metrics__render_begin(m, &r) == 0);
	while ((n = metrics__render_next(r, buf, piece)) > 0) {
		FUZZ_CHECK((size_t)n <= piece && off + (size_t)n <= *len);
		FUZZ_CHECK(!memcmp(whole + off, buf, (size_t)n));
		off += (size_t)n;
	}
	FUZZ_CHECK(n == 0 && off == *len);
	metrics__render_end(r);
	free(buf);
	return whole;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *vals[MAX_VALUES], *text, *a, *b;
	size_t n = 0, half, la, lb, piece;
	struct reg seen, fresh;
	double scale;

	if (size < CTL_BYTES)
		return 0;
	piece = (size_t)data[0] + 1;
	scale = (double)(data[1] & 0x7f) / 7.0 + 0.001;
	text = fuzz_strdup(data + CTL_BYTES, size - CTL_BYTES);
	FUZZ_CHECK(text);
	for (char *p = text; n < MAX_VALUES && p < text + (size - CTL_BYTES); p += strlen(p) + 1)
		vals[n++] = p;
	n &= ~(size_t)1;
	half = (n / 2) & ~(size_t)1;
	reg_init(&seen);
	reg_init(&fresh);
	feed(&seen, vals, 0, half, scale);
	feed(&fresh, vals, 0, half, scale);
	free(render_checked(seen.m, piece, &la));
	feed(&seen, vals, half, n, scale);
	feed(&fresh, vals, half, n, scale);
	feed(&seen, vals, 0, n, 1.0 / 3);
	feed(&fresh, vals, 0, n, 1.0 / 3);
	a = render_checked(seen.m, piece, &la);
	b = render_checked(fresh.m, piece, &lb);
	FUZZ_CHECK(la == lb && !memcmp(a, b, la));
	free(a);
	free(b);
	metrics__free(seen.m);
	metrics__free(fresh.m);
	free(text);
	return 0;
}
