// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /logs, /logs/statistics, /logs/alerts and /logs/export. Every query
 * argument is checked before the store is asked (unknown keys and bad
 * values get a 400 that names the parameter), so a typo never silently
 * widens a search. The export streams one page of rows at a time, so its
 * memory does not grow with the store.
 */
#include "clock_ns.h"
#include "logs_api.h"
#include "logfmt.h"
#include "logstore.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIMIT_DEFAULT 100
#define OFFSET_MAX 1000000
#define ALERT_MINUTES_DEFAULT 60
#define ALERT_MINUTES_MAX 10080 /* a week */
#define STATS_WINDOW_NS (24ull * 3600 * 1000000000ull)
#define EXPORT_PAGE 100
#define NS_PER_MIN (60ull * 1000000000ull)

/* The security detectors whose events are alerts (security.c logs them with type=...). */
static const char *const alert_types[] = { "auth_failure_burst",   "scanner",
					   "rate_limit_violation", "llm_runaway_loop",
					   "data_exfiltration",	   NULL };

static void answer(struct api_reply *out, unsigned status, json_t *j)
{
	out->status = status;
	out->json = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (j && !out->json)
		out->status = 500;
	json_decref(j);
}

static void fail(struct api_reply *out, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct api_reply *out, unsigned status, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	answer(out, status, json_pack("{ss}", "error", msg));
}

static int64_t wall_ns(void)
{
	return (int64_t)wall_now_ns();
}

static json_t *time_json(int64_t ns)
{
	char ts[LOGFMT_TIME_LEN];

	if (ns <= 0)
		return json_null();
	logfmt_time((uint64_t)ns, ts);
	return json_string(ts);
}

/* ---- query arguments ---- */

static bool check_keys(const struct api_request *rq, const char *const *allowed,
		       struct api_reply *out)
{
	char bad[40];

	if (!api_query_check(rq, allowed, bad, sizeof(bad)))
		return true;
	fail(out, 400, "unknown query parameter '%s'", bad);
	return false;
}

/* key as a decimal in [lo, hi], def when absent. */
static bool arg_uint(const struct api_request *rq, const char *key, uint64_t lo, uint64_t hi,
		     uint64_t def, uint64_t *v, struct api_reply *out)
{
	const char *s = api_query(rq, key);
	uint64_t n = 0;
	size_t i;

	*v = def;
	if (!s)
		return true;
	for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 12; i++)
		n = n * 10 + (uint64_t)(s[i] - '0');
	if (!i || s[i] || n < lo || n > hi) {
		fail(out, 400, "'%s' must be a whole number from %llu to %llu", key,
		     (unsigned long long)lo, (unsigned long long)hi);
		return false;
	}
	*v = n;
	return true;
}

static bool arg_time(const struct api_request *rq, const char *key, int64_t *ns,
		     struct api_reply *out)
{
	const char *s = api_query(rq, key);

	if (!s || !logfmt_time_parse(s, ns))
		return true;
	fail(out, 400, "'%s' must be an RFC 3339 time (2026-11-26T01:50:30Z) or Unix seconds", key);
	return false;
}

static bool arg_window(const struct api_request *rq, int64_t *since, int64_t *until,
		       struct api_reply *out)
{
	if (!arg_time(rq, "since", since, out) || !arg_time(rq, "until", until, out))
		return false;
	if (*since && *until && *since > *until) {
		fail(out, 400, "'since' is after 'until'");
		return false;
	}
	return true;
}

/* category, level, since, until, text into f (text points into the request). */
static bool arg_filter(const struct api_request *rq, struct logstore_filter *f,
		       struct api_reply *out)
{
	const char *cat = api_query(rq, "category"), *lvl = api_query(rq, "level");
	enum log_category c;
	enum log_level l;

	logstore_filter_init(f);
	if (cat && logfmt_category_parse(cat, &c)) {
		fail(out, 400,
		     "'category' must be system, security, business, performance or audit");
		return false;
	}
	if (lvl && logfmt_level_parse(lvl, &l)) {
		fail(out, 400, "'level' must be debug, info, warn or error");
		return false;
	}
	f->category = cat ? (int)c : -1;
	f->min_level = lvl ? (int)l : -1;
	f->text = api_query(rq, "text");
	if (f->text && (!*f->text || strlen(f->text) > LOGSTORE_TEXT_MAX)) {
		fail(out, 400, "'text' must be 1 to %d bytes", LOGSTORE_TEXT_MAX);
		return false;
	}
	return arg_window(rq, &f->since_ns, &f->until_ns, out);
}

/* ---- rows ---- */

static json_t *row_json(const struct logstore_row *r)
{
	json_t *fields = json_loads(r->fields_json, 0, NULL);
	char ts[LOGFMT_TIME_LEN];

	if (!json_is_object(fields)) { /* a damaged row still lists */
		json_decref(fields);
		fields = json_object();
	}
	logfmt_time((uint64_t)(r->ts_ns > 0 ? r->ts_ns : 0), ts);
	return json_pack("{sI ss ss ss ss sI so sb}", "id", (json_int_t)r->id, "timestamp", ts,
			 "level", logfmt_level_name(r->level), "category",
			 logfmt_category_name(r->category), "message", r->message, "pid",
			 (json_int_t)r->pid, "fields", fields, "truncated", r->truncated);
}

static int row_append(void *arg, const struct logstore_row *r)
{
	json_t *j = row_json(r);

	return j && !json_array_append_new(arg, j) ? 0 : -ENOMEM;
}

/* ---- GET /logs ---- */

static void get_logs(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { "category", "level", "since",  "until",
					    "text",	"limit", "offset", NULL };
	struct logstore *s = ctx;
	struct logstore_filter f;
	uint64_t limit, offset, total = 0;
	json_t *rows;

	if (!check_keys(rq, keys, out) || !arg_filter(rq, &f, out) ||
	    !arg_uint(rq, "limit", 1, LOGSTORE_LIMIT_MAX, LIMIT_DEFAULT, &limit, out) ||
	    !arg_uint(rq, "offset", 0, OFFSET_MAX, 0, &offset, out))
		return;
	rows = json_array();
	if (!rows || logstore__query(s, &f, limit, offset, row_append, rows) ||
	    logstore__count(s, &f, &total)) {
		json_decref(rows);
		return fail(out, 503, "cannot read the log store");
	}
	answer(out, 200,
	       json_pack("{so sI sI sI sI}", "entries", rows, "count",
			 (json_int_t)json_array_size(rows), "total", (json_int_t)total, "limit",
			 (json_int_t)limit, "offset", (json_int_t)offset));
}

/* ---- GET /logs/statistics ---- */

static json_t *stats_json(const struct logstore_stats *st)
{
	json_t *by_cat = json_object(), *by_lvl = json_object(), *matrix = json_object();
	uint64_t lvl_tot[LOG_ERROR + 1] = { 0 };

	for (int c = 0; c < LOGC__COUNT && by_cat && matrix; c++) {
		json_t *row = json_object();
		uint64_t sum = 0;

		for (int l = 0; l <= LOG_ERROR && row; l++) {
			json_object_set_new(row, logfmt_level_name(l),
					    json_integer((json_int_t)st->by[c][l]));
			sum += st->by[c][l];
			lvl_tot[l] += st->by[c][l];
		}
		json_object_set_new(matrix, logfmt_category_name(c), row);
		json_object_set_new(by_cat, logfmt_category_name(c), json_integer((json_int_t)sum));
	}
	for (int l = 0; l <= LOG_ERROR && by_lvl; l++)
		json_object_set_new(by_lvl, logfmt_level_name(l),
				    json_integer((json_int_t)lvl_tot[l]));
	return json_pack("{sI so so so so so}", "total", (json_int_t)st->total, "by_category",
			 by_cat, "by_level", by_lvl, "by_category_level", matrix, "oldest",
			 time_json(st->oldest_ns), "newest", time_json(st->newest_ns));
}

static void get_statistics(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { "since", "until", NULL };
	struct logstore *s = ctx;
	struct logstore_stats st;
	struct logstore_counters c;
	int64_t since = 0, until = 0, now = wall_ns();
	json_t *j;

	if (!check_keys(rq, keys, out) || !arg_window(rq, &since, &until, out))
		return;
	if (!until)
		until = now;
	if (!since)
		since = until > (int64_t)STATS_WINDOW_NS ? until - (int64_t)STATS_WINDOW_NS : 1;
	if (since > until)
		return fail(out, 400, "'since' is after 'until'");
	if (logstore__stats(s, since, until, &st))
		return fail(out, 503, "cannot read the log store");
	logstore__counters(s, &c);
	j = stats_json(&st);
	if (j) {
		json_object_set_new(j, "since", time_json(since));
		json_object_set_new(j, "until", time_json(until));
		json_object_set_new(j, "store",
				    json_pack("{sI sI sI sI sI}", "queued", (json_int_t)c.queued,
					      "written", (json_int_t)c.written, "dropped",
					      (json_int_t)c.dropped, "failed", (json_int_t)c.failed,
					      "swept", (json_int_t)c.swept));
	}
	answer(out, j ? 200 : 500, j);
}

/* ---- GET /logs/alerts ---- */

static json_t *alert_counts(struct logstore *s, struct logstore_filter f)
{
	json_t *by = json_object();

	for (size_t i = 0; alert_types[i] && by; i++) {
		const char *one[] = { alert_types[i], NULL };
		uint64_t n = 0;

		f.types = one;
		if (logstore__count(s, &f, &n)) {
			json_decref(by);
			return NULL;
		}
		json_object_set_new(by, alert_types[i], json_integer((json_int_t)n));
	}
	return by;
}

static void get_alerts(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { "minutes", "limit", NULL };
	struct logstore *s = ctx;
	struct logstore_filter f;
	uint64_t minutes, limit, total = 0;
	int64_t now = wall_ns();
	json_t *rows, *by;

	if (!check_keys(rq, keys, out) ||
	    !arg_uint(rq, "minutes", 1, ALERT_MINUTES_MAX, ALERT_MINUTES_DEFAULT, &minutes, out) ||
	    !arg_uint(rq, "limit", 1, LOGSTORE_LIMIT_MAX, LIMIT_DEFAULT, &limit, out))
		return;
	logstore_filter_init(&f);
	f.category = LOGC_SECURITY;
	f.types = alert_types;
	f.since_ns = now - (int64_t)(minutes * NS_PER_MIN);
	if (f.since_ns < 0)
		f.since_ns = 0;
	rows = json_array();
	by = alert_counts(s, f);
	if (!rows || !by || logstore__query(s, &f, limit, 0, row_append, rows) ||
	    logstore__count(s, &f, &total)) {
		json_decref(rows);
		json_decref(by);
		return fail(out, 503, "cannot read the log store");
	}
	answer(out, 200,
	       json_pack("{sI so so sI sI so}", "minutes", (json_int_t)minutes, "since",
			 time_json(f.since_ns), "by_type", by, "count",
			 (json_int_t)json_array_size(rows), "total", (json_int_t)total, "alerts",
			 rows));
}

/* ---- GET /logs/export ---- */

/* One export in flight: the filter (its text copied), where paging stands, and the bytes of
 * the current page not yet handed to the client. */
struct export
{
	struct logstore *s;
	struct logstore_filter f;
	char text[LOGSTORE_TEXT_MAX + 1];
	int64_t after, max_id;
	char *buf;
	size_t len, off, cap;
	bool started, done, any;
};

static int buf_add(struct export *x, const char *s, size_t n)
{
	if (x->len + n > x->cap) {
		size_t cap = (x->len + n) * 2;
		char *b = realloc(x->buf, cap);

		if (!b)
			return -ENOMEM;
		x->buf = b;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, s, n);
	x->len += n;
	return 0;
}

static int export_row(void *arg, const struct logstore_row *r)
{
	struct export *x = arg;
	json_t *j = row_json(r);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int ret = text ? 0 : -ENOMEM;

	json_decref(j);
	if (!ret && x->any)
		ret = buf_add(x, ",", 1);
	if (!ret)
		ret = buf_add(x, text, strlen(text));
	free(text);
	x->any = true;
	x->after = r->id;
	return ret;
}

/* The next page into the buffer ("]" after the last); false on a store error. */
static bool export_fill(struct export *x)
{
	int n;

	x->len = x->off = 0;
	if (!x->started) {
		x->started = true;
		return !buf_add(x, "[", 1);
	}
	n = logstore__page(x->s, &x->f, x->after, x->max_id, EXPORT_PAGE, export_row, x);
	if (n < 0)
		return false;
	if (n < EXPORT_PAGE) {
		x->done = true;
		return !buf_add(x, "]", 1);
	}
	return true;
}

static ssize_t export_read(void *ctx, char *buf, size_t max)
{
	struct export *x = ctx;
	size_t n;

	while (x->off == x->len) {
		if (x->done)
			return 0;
		if (!export_fill(x))
			return -1; /* the client sees a cut body: invalid JSON, not a short list */
	}
	n = x->len - x->off < max ? x->len - x->off : max;
	memcpy(buf, x->buf + x->off, n);
	x->off += n;
	return (ssize_t)n;
}

static void export_free(void *ctx)
{
	struct export *x = ctx;

	free(x->buf);
	free(x);
}

static void get_export(void *ctx, const struct api_request *rq, struct api_reply *out)
{
	static const char *const keys[] = { "category", "level", "since", "until", "text", NULL };
	struct export *x;

	x = calloc(1, sizeof(*x));
	if (!x)
		return fail(out, 500, "out of memory");
	if (!check_keys(rq, keys, out) || !arg_filter(rq, &x->f, out))
		return export_free(x);
	if (x->f.text) { /* the request's strings are gone by the time pages are read */
		snprintf(x->text, sizeof(x->text), "%s", x->f.text);
		x->f.text = x->text;
	}
	x->s = ctx;
	if (logstore__max_id(x->s, &x->max_id)) {
		export_free(x);
		return fail(out, 503, "cannot read the log store");
	}
	out->status = 200;
	out->stream = export_read;
	out->stream_free = export_free;
	out->stream_ctx = x;
}

static struct api_route routes[] = {
	{ "GET", "/logs", get_logs, NULL },
	{ "GET", "/logs/statistics", get_statistics, NULL },
	{ "GET", "/logs/alerts", get_alerts, NULL },
	{ "GET", "/logs/export", get_export, NULL },
};

const struct api_route *logs_api__routes(struct logstore *s, size_t *n)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(*routes); i++)
		routes[i].ctx = s;
	*n = sizeof(routes) / sizeof(*routes);
	return routes;
}
