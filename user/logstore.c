// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Log entries in SQLite, written behind the caller's back. A log call can
 * come from the capture loop, so it must cost a memcpy and never a disk
 * write: entries go into one of two fixed buffers and a writer thread
 * swaps them and commits the full one in a single transaction. The swap
 * is the only time the writer holds the queue lock. Readers (the API)
 * have their own connection, so WAL lets them read while the writer
 * commits. SQL is fixed at open; filter values only ever reach a query as
 * bound parameters, LIKE wildcards escaped.
 */
#include "clock_ns.h"
#include "logstore.h"
#include "logfmt.h"
#include "sqlstore.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* user_version: bump with a migration step in schema[] (see spec). */
#define SCHEMA_VERSION 1
#define APP_ID 0x42544c47 /* "BTLG": not the ledger's, so the two files cannot be swapped */
/* Rides out the other connection's commit or checkpoint; a wedged one becomes an error. */
#define BUSY_MS 3000
/* Rows per retention DELETE: readers wait for one batch at most. */
#define SWEEP_BATCH 5000
/* Types in a filter and bytes of each (they are identifiers). */
#define TYPES_MAX 16
#define TYPE_LEN_MAX 48

/* One queued entry; message, NUL, fields JSON, NUL follow. 8-aligned. */
struct qhdr {
	uint32_t size;
	uint32_t pid;
	int64_t ts_ns;
	uint32_t msg_len, fields_len;
	uint8_t level, category, truncated;
};

struct qbuf {
	char *p;
	size_t len;
	uint64_t n;
};

enum rstmt { RS_QUERY, RS_COUNT, RS_PAGE, RS_MAX_ID, RS_STATS, RS_SWEEP, RS__COUNT };

struct logstore {
	uint64_t retention_ns, flush_ns, sweep_every_ns;
	size_t cap;

	pthread_mutex_t q_lock; /* bufs, active, appended, committed, kick, stop */
	pthread_cond_t q_wake; /* the writer: kicked or stopping */
	pthread_cond_t q_done; /* flushers: committed moved */
	struct qbuf bufs[2];
	struct qbuf *active;
	uint64_t appended, committed;
	bool kick, stop;
	pthread_t writer;
	bool writer_started;

	sqlite3 *wdb; /* the writer thread's alone once it runs */
	sqlite3_stmt *ins, *wsweep;

	pthread_mutex_t r_lock; /* rdb and rs[] */
	sqlite3 *rdb;
	sqlite3_stmt *rs[RS__COUNT];

	atomic_uint_least64_t dropped, written, failed, swept;
	uint64_t err_log_ns;
};

static const char schema_v1[] =
	"CREATE TABLE IF NOT EXISTS entries("
	" id INTEGER PRIMARY KEY, ts_ns INTEGER NOT NULL, level INTEGER NOT NULL,"
	" category TEXT NOT NULL, message TEXT NOT NULL, fields_json TEXT NOT NULL,"
	" pid INTEGER NOT NULL, truncated INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS entries_ts ON entries(ts_ns);"
	"CREATE INDEX IF NOT EXISTS entries_cat_ts ON entries(category, ts_ns);";

static const char sql_insert[] =
	"INSERT INTO entries(ts_ns, level, category, message, fields_json, pid, truncated)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/* ?1..?6: the filter (bind_filter()). json_extract only on valid JSON: a damaged row must not
 * fail the whole query. */
#define WHERE                                                                                 \
	" WHERE ts_ns BETWEEN ?1 AND ?2 AND (?3 IS NULL OR category = ?3) AND level >= ?4"    \
	" AND (?5 IS NULL OR message LIKE ?5 ESCAPE '\\' OR fields_json LIKE ?5 ESCAPE '\\')" \
	" AND (?6 IS NULL OR (CASE WHEN json_valid(fields_json)"                              \
	" THEN json_extract(fields_json, '$.type') END) IN (SELECT value FROM json_each(?6)))"
#define COLS "SELECT id, ts_ns, level, category, message, fields_json, pid, truncated FROM entries"

static const char *const rsql[RS__COUNT] = {
	[RS_QUERY] = COLS WHERE " ORDER BY ts_ns DESC, id DESC LIMIT ?7 OFFSET ?8",
	[RS_COUNT] = "SELECT COUNT(*) FROM entries" WHERE,
	[RS_PAGE] = COLS WHERE " AND id > ?7 AND id <= ?8 ORDER BY id LIMIT ?9",
	[RS_MAX_ID] = "SELECT COALESCE(MAX(id), 0) FROM entries",
	[RS_STATS] = "SELECT category, level, COUNT(*), MIN(ts_ns), MAX(ts_ns) FROM entries"
		     " WHERE ts_ns BETWEEN ?1 AND ?2 GROUP BY 1, 2",
	[RS_SWEEP] = "DELETE FROM entries WHERE id IN"
		     " (SELECT id FROM entries WHERE ts_ns < ?1 ORDER BY ts_ns LIMIT 5000)",
};

_Static_assert(SWEEP_BATCH == 5000, "RS_SWEEP's LIMIT");

void logstore_filter_init(struct logstore_filter *f)
{
	*f = (struct logstore_filter){ .category = -1, .min_level = -1 };
}

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* ---- queue (any thread) ---- */

int logstore__add(struct logstore *s, const struct log_entry *e)
{
	const char *msg;
	size_t mlen, room, flen;
	struct qbuf *b;
	struct qhdr *h;
	char *p;
	bool reserved;

	if (!s || !e)
		return -EINVAL;
	msg = e->message ? e->message : "";
	mlen = strnlen(msg, LOGFMT_ARENA_MAX);
	reserved = e->category == LOGC_AUDIT || e->category == LOGC_SECURITY;
	pthread_mutex_lock(&s->q_lock);
	b = s->active;
	room = s->cap - b->len;
	if (!reserved) /* the last eighth is kept for the audit trail */
		room = room > s->cap / 8 ? room - s->cap / 8 : 0;
	if (room < sizeof(*h) + mlen + 1 + LOGFMT_LINE_MAX + 8) {
		pthread_mutex_unlock(&s->q_lock);
		atomic_fetch_add(&s->dropped, 1);
		return -ENOSPC;
	}
	h = (struct qhdr *)(b->p + b->len);
	p = (char *)(h + 1);
	memcpy(p, msg, mlen);
	p[mlen] = '\0';
	flen = logfmt_fields_json(e, p + mlen + 1, LOGFMT_LINE_MAX);
	*h = (struct qhdr){
		.size = (uint32_t)align8(sizeof(*h) + mlen + 1 + flen + 1),
		.pid = e->pid,
		.ts_ns = (int64_t)(e->ts_ns > INT64_MAX ? INT64_MAX : e->ts_ns),
		.msg_len = (uint32_t)mlen,
		.fields_len = (uint32_t)flen,
		.level = (uint8_t)e->level,
		.category = (uint8_t)e->category,
		.truncated = e->truncated,
	};
	b->len += h->size;
	b->n++;
	s->appended++;
	if (b->len > s->cap / 2 && !s->kick) { /* do not wait for the timer */
		s->kick = true;
		pthread_cond_signal(&s->q_wake);
	}
	pthread_mutex_unlock(&s->q_lock);
	return 0;
}

void logstore__sink(void *ctx, const struct log_entry *e)
{
	logstore__add(ctx, e);
}

int logstore__flush(struct logstore *s)
{
	uint64_t target, failed;

	if (!s)
		return -EINVAL;
	failed = atomic_load(&s->failed);
	pthread_mutex_lock(&s->q_lock);
	target = s->appended;
	s->kick = true;
	pthread_cond_signal(&s->q_wake);
	while (s->committed < target && s->writer_started)
		pthread_cond_wait(&s->q_done, &s->q_lock);
	pthread_mutex_unlock(&s->q_lock);
	return atomic_load(&s->failed) != failed ? -EIO : 0;
}

void logstore__counters(struct logstore *s, struct logstore_counters *out)
{
	pthread_mutex_lock(&s->q_lock);
	out->queued = s->appended;
	pthread_mutex_unlock(&s->q_lock);
	out->written = atomic_load(&s->written);
	out->dropped = atomic_load(&s->dropped);
	out->failed = atomic_load(&s->failed);
	out->swept = atomic_load(&s->swept);
}

uint64_t logstore__dropped(struct logstore *s)
{
	return s ? atomic_load(&s->dropped) : 0;
}

/* ---- writer thread ---- */

static int insert_one(struct logstore *s, const struct qhdr *h)
{
	const char *msg = (const char *)(h + 1), *fields = msg + h->msg_len + 1;
	sqlite3_stmt *st = s->ins;
	int rc = sqlite3_bind_int64(st, 1, h->ts_ns);

	rc = rc ? rc : sqlite3_bind_int(st, 2, h->level);
	rc = rc ? rc :
		  sqlite3_bind_text(st, 3, logfmt_category_name(h->category), -1, SQLITE_STATIC);
	rc = rc ? rc : sqlite3_bind_text(st, 4, msg, (int)h->msg_len, SQLITE_STATIC);
	rc = rc ? rc : sqlite3_bind_text(st, 5, fields, (int)h->fields_len, SQLITE_STATIC);
	rc = rc ? rc : sqlite3_bind_int64(st, 6, h->pid);
	rc = rc ? rc : sqlite3_bind_int(st, 7, h->truncated);
	rc = rc ? rc : sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* One transaction for the whole buffer; on any failure none of it is kept. */
static void write_batch(struct logstore *s, struct qbuf *b)
{
	uint64_t ok = 0;
	int rc;

	if (!b->n)
		return;
	rc = sqlite3_exec(s->wdb, "BEGIN", NULL, NULL, NULL);
	for (size_t off = 0; rc == SQLITE_OK && off < b->len;) {
		const struct qhdr *h = (const struct qhdr *)(b->p + off);

		ok += insert_one(s, h) == 0;
		off += h->size;
	}
	if (rc == SQLITE_OK && ok == b->n)
		rc = sqlite3_exec(s->wdb, "COMMIT", NULL, NULL, NULL);
	else if (rc == SQLITE_OK)
		rc = SQLITE_ERROR;
	if (rc == SQLITE_OK) {
		atomic_fetch_add(&s->written, b->n);
	} else {
		sqlite3_exec(s->wdb, "ROLLBACK", NULL, NULL, NULL);
		atomic_fetch_add(&s->failed, b->n);
		/* this line is queued too: it may well be written next time */
		if (log_every(&s->err_log_ns, 60ull * 1000000000ull))
			log_error("log store write failed entries=%llu err=\"%s\"",
				  (unsigned long long)b->n, sqlite3_errmsg(s->wdb));
	}
	b->len = 0;
	b->n = 0;
}

/* Deletes in batches with stmt st on db; rows deleted or -EIO. */
static int64_t sweep_with(sqlite3 *db, sqlite3_stmt *st, int64_t cutoff, pthread_mutex_t *lock)
{
	int64_t total = 0;
	int rc, changes;

	do {
		if (lock)
			pthread_mutex_lock(lock);
		rc = sqlite3_bind_int64(st, 1, cutoff);
		rc = rc ? rc : sqlite3_step(st);
		changes = rc == SQLITE_DONE ? sqlite3_changes(db) : 0;
		sqlite3_reset(st);
		if (lock)
			pthread_mutex_unlock(lock);
		total += changes;
	} while (rc == SQLITE_DONE && changes == SWEEP_BATCH);
	return rc == SQLITE_DONE ? total : -EIO;
}

static int64_t cutoff_of(const struct logstore *s, uint64_t now)
{
	if (now <= s->retention_ns)
		return 0;
	now -= s->retention_ns;
	return now > INT64_MAX ? INT64_MAX : (int64_t)now;
}

static void auto_sweep(struct logstore *s, uint64_t *last)
{
	uint64_t t = clock_now_ns(CLOCK_MONOTONIC);
	int64_t n;

	if (!s->sweep_every_ns || !s->retention_ns || (*last && t - *last < s->sweep_every_ns))
		return;
	*last = t;
	n = sweep_with(s->wdb, s->wsweep, cutoff_of(s, clock_now_ns(CLOCK_REALTIME)), NULL);
	if (n > 0)
		atomic_fetch_add(&s->swept, (uint64_t)n);
}

static void wait_for_work(struct logstore *s)
{
	struct timespec until;
	uint64_t t = clock_now_ns(CLOCK_MONOTONIC) + s->flush_ns;

	until.tv_sec = (time_t)(t / 1000000000ull);
	until.tv_nsec = (long)(t % 1000000000ull);
	while (!s->kick && !s->stop) {
		if (pthread_cond_timedwait(&s->q_wake, &s->q_lock, &until) == ETIMEDOUT)
			break;
	}
}

static void *writer_main(void *arg)
{
	struct logstore *s = arg;
	uint64_t last_sweep = 0;

	pthread_mutex_lock(&s->q_lock);
	for (;;) {
		struct qbuf *full;
		uint64_t upto;
		bool stop;

		wait_for_work(s);
		stop = s->stop;
		full = s->active;
		s->active = full == &s->bufs[0] ? &s->bufs[1] : &s->bufs[0];
		upto = s->appended;
		s->kick = false;
		pthread_mutex_unlock(&s->q_lock);

		write_batch(s, full);
		auto_sweep(s, &last_sweep);

		pthread_mutex_lock(&s->q_lock);
		s->committed = upto;
		pthread_cond_broadcast(&s->q_done);
		if (stop && !s->active->n)
			break;
	}
	pthread_mutex_unlock(&s->q_lock);
	return NULL;
}

/* ---- reads (API thread) ---- */

/* "%text%" with LIKE's wildcards and the escape itself escaped. */
static int like_pattern(const char *text, char *out, size_t outlen)
{
	size_t n = 0;

	if (strnlen(text, LOGSTORE_TEXT_MAX + 1) > LOGSTORE_TEXT_MAX)
		return -EINVAL;
	out[n++] = '%';
	for (const char *c = text; *c && n + 3 < outlen; c++) {
		if (*c == '%' || *c == '_' || *c == '\\')
			out[n++] = '\\';
		out[n++] = *c;
	}
	out[n++] = '%';
	out[n] = '\0';
	return 0;
}

static bool type_ok(const char *t)
{
	size_t n = strnlen(t, TYPE_LEN_MAX + 1);

	if (!n || n > TYPE_LEN_MAX)
		return false;
	for (; *t; t++) {
		if (!((*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') || *t == '_'))
			return false;
	}
	return true;
}

/* ["a","b"] of identifier-like types (so no quoting is needed). */
static int types_json(const char *const *types, char *out, size_t outlen)
{
	size_t n = 0, k;

	out[n++] = '[';
	for (size_t i = 0; types[i]; i++) {
		if (i >= TYPES_MAX || !type_ok(types[i]))
			return -EINVAL;
		k = strlen(types[i]);
		if (n + k + 4 >= outlen)
			return -EINVAL;
		n += (size_t)snprintf(out + n, outlen - n, "%s\"%s\"", i ? "," : "", types[i]);
	}
	out[n++] = ']';
	out[n] = '\0';
	return 0;
}

/* Scratch a filter binds from (SQLITE_STATIC: lives until the statement is reset). */
struct fbuf {
	char like[2 * LOGSTORE_TEXT_MAX + 3];
	char types[TYPES_MAX * (TYPE_LEN_MAX + 3) + 3];
};

static int bind_filter(sqlite3_stmt *st, const struct logstore_filter *f, struct fbuf *fb)
{
	int rc;

	if (f->category < -1 || f->category >= LOGC__COUNT || f->min_level < -1 ||
	    f->min_level > LOG_ERROR || f->since_ns < 0 || f->until_ns < 0)
		return -EINVAL;
	if ((f->text && like_pattern(f->text, fb->like, sizeof(fb->like))) ||
	    (f->types && types_json(f->types, fb->types, sizeof(fb->types))))
		return -EINVAL;
	rc = sqlite3_bind_int64(st, 1, f->since_ns);
	rc = rc ? rc : sqlite3_bind_int64(st, 2, f->until_ns ? f->until_ns : INT64_MAX);
	rc = rc ? rc :
	     f->category < 0 ?
		  sqlite3_bind_null(st, 3) :
		  sqlite3_bind_text(st, 3, logfmt_category_name(f->category), -1, SQLITE_STATIC);
	rc = rc ? rc : sqlite3_bind_int(st, 4, f->min_level < 0 ? 0 : f->min_level);
	rc = rc	     ? rc :
	     f->text ? sqlite3_bind_text(st, 5, fb->like, -1, SQLITE_STATIC) :
		       sqlite3_bind_null(st, 5);
	rc = rc	      ? rc :
	     f->types ? sqlite3_bind_text(st, 6, fb->types, -1, SQLITE_STATIC) :
			sqlite3_bind_null(st, 6);
	return rc == SQLITE_OK ? 0 : -EIO;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

static void row_of(sqlite3_stmt *st, struct logstore_row *r)
{
	int lvl = sqlite3_column_int(st, 2);
	enum log_category c = LOGC_SYSTEM;

	logfmt_category_parse(col_text(st, 3), &c);
	r->id = sqlite3_column_int64(st, 0);
	r->ts_ns = sqlite3_column_int64(st, 1);
	r->level = lvl >= LOG_DEBUG && lvl <= LOG_ERROR ? (enum log_level)lvl : LOG_ERROR;
	r->category = c;
	r->message = col_text(st, 4);
	r->fields_json = col_text(st, 5);
	r->pid = (uint32_t)sqlite3_column_int64(st, 6);
	r->truncated = sqlite3_column_int(st, 7) != 0;
}

/* Rows of st to fn, counted in *n: 0, fn's non-zero return, or -EIO. */
static int step_rows(sqlite3_stmt *st, logstore_row_fn fn, void *arg, int *n)
{
	struct logstore_row r;
	int rc, ret;

	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_of(st, &r);
		ret = fn(arg, &r);
		if (ret)
			return ret;
		(*n)++;
	}
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static void finish(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int64_t clamp64(size_t v)
{
	return v > (size_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

int logstore__query(struct logstore *s, const struct logstore_filter *f, size_t limit,
		    size_t offset, logstore_row_fn fn, void *arg)
{
	struct fbuf fb;
	sqlite3_stmt *st;
	int ret, n;

	if (!s || !f || !fn || !limit || limit > LOGSTORE_LIMIT_MAX)
		return -EINVAL;
	pthread_mutex_lock(&s->r_lock);
	st = s->rs[RS_QUERY];
	ret = bind_filter(st, f, &fb);
	if (!ret && (sqlite3_bind_int64(st, 7, clamp64(limit)) ||
		     sqlite3_bind_int64(st, 8, clamp64(offset))))
		ret = -EIO;
	if (!ret)
		ret = step_rows(st, fn, arg, &n);
	finish(st);
	pthread_mutex_unlock(&s->r_lock);
	return ret;
}

int logstore__count(struct logstore *s, const struct logstore_filter *f, uint64_t *n)
{
	struct fbuf fb;
	sqlite3_stmt *st;
	int ret;

	if (!s || !f || !n)
		return -EINVAL;
	pthread_mutex_lock(&s->r_lock);
	st = s->rs[RS_COUNT];
	ret = bind_filter(st, f, &fb);
	if (!ret)
		ret = sqlite3_step(st) == SQLITE_ROW ? 0 : -EIO;
	if (!ret)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	finish(st);
	pthread_mutex_unlock(&s->r_lock);
	return ret;
}

int logstore__max_id(struct logstore *s, int64_t *id)
{
	sqlite3_stmt *st;
	int ret;

	if (!s || !id)
		return -EINVAL;
	pthread_mutex_lock(&s->r_lock);
	st = s->rs[RS_MAX_ID];
	ret = sqlite3_step(st) == SQLITE_ROW ? 0 : -EIO;
	if (!ret)
		*id = sqlite3_column_int64(st, 0);
	finish(st);
	pthread_mutex_unlock(&s->r_lock);
	return ret;
}

int logstore__page(struct logstore *s, const struct logstore_filter *f, int64_t after_id,
		   int64_t max_id, size_t n, logstore_row_fn fn, void *arg)
{
	struct fbuf fb;
	sqlite3_stmt *st;
	int ret, got = 0;

	if (!s || !f || !fn || !n || n > LOGSTORE_LIMIT_MAX)
		return -EINVAL;
	pthread_mutex_lock(&s->r_lock);
	st = s->rs[RS_PAGE];
	ret = bind_filter(st, f, &fb);
	if (!ret && (sqlite3_bind_int64(st, 7, after_id) || sqlite3_bind_int64(st, 8, max_id) ||
		     sqlite3_bind_int64(st, 9, clamp64(n))))
		ret = -EIO;
	if (!ret)
		ret = step_rows(st, fn, arg, &got);
	finish(st);
	pthread_mutex_unlock(&s->r_lock);
	return ret ? ret : got;
}

static void stats_row(sqlite3_stmt *st, struct logstore_stats *out)
{
	enum log_category c;
	int lvl = sqlite3_column_int(st, 1);
	uint64_t n = (uint64_t)sqlite3_column_int64(st, 2);
	int64_t lo = sqlite3_column_int64(st, 3), hi = sqlite3_column_int64(st, 4);

	if (!logfmt_category_parse(col_text(st, 0), &c) && lvl >= LOG_DEBUG && lvl <= LOG_ERROR)
		out->by[c][lvl] += n;
	out->total += n;
	if (!out->oldest_ns || lo < out->oldest_ns)
		out->oldest_ns = lo;
	if (hi > out->newest_ns)
		out->newest_ns = hi;
}

int logstore__stats(struct logstore *s, int64_t since_ns, int64_t until_ns,
		    struct logstore_stats *out)
{
	sqlite3_stmt *st;
	int rc;

	if (!s || !out || since_ns < 0 || until_ns < 0)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->r_lock);
	st = s->rs[RS_STATS];
	rc = sqlite3_bind_int64(st, 1, since_ns);
	rc = rc ? rc : sqlite3_bind_int64(st, 2, until_ns ? until_ns : INT64_MAX);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		stats_row(st, out);
		rc = SQLITE_OK;
	}
	finish(st);
	pthread_mutex_unlock(&s->r_lock);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int64_t logstore__sweep(struct logstore *s, uint64_t now)
{
	int64_t n;

	if (!s)
		return -EINVAL;
	if (!s->retention_ns)
		return 0;
	n = sweep_with(s->rdb, s->rs[RS_SWEEP], cutoff_of(s, now), &s->r_lock);
	if (n > 0)
		atomic_fetch_add(&s->swept, (uint64_t)n);
	return n;
}

/* ---- open ---- */

static const char *const schema[SCHEMA_VERSION] = { schema_v1 };

/*
 * WAL: the reader connection never blocks the writer. synchronous=NORMAL:
 * a commit survives the process dying (the WAL is written), only a power
 * loss can take the last ones; FULL would fsync every 100 ms batch for
 * entries that are diagnostics, not money.
 */
static const struct sqlstore_spec spec = {
	.name = "log store",
	.foreign = "not a log store",
	.newer = "log store schema",
	.synchronous = "PRAGMA synchronous = NORMAL",
	.schema = schema,
	.version = SCHEMA_VERSION,
	.app_id = APP_ID,
	.busy_ms = BUSY_MS,
};

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
}

static int open_all(struct logstore *s, const char *path, char *err, size_t errlen)
{
	int rc = sqlstore_open(&spec, path, true, &s->wdb, err, errlen);

	rc = rc ? rc : sqlstore_open(&spec, path, false, &s->rdb, err, errlen);
	if (rc)
		return rc;
	rc = prepare(s->wdb, sql_insert, &s->ins);
	rc = rc ? rc : prepare(s->wdb, rsql[RS_SWEEP], &s->wsweep);
	for (int i = 0; i < RS__COUNT && rc == SQLITE_OK; i++)
		rc = prepare(s->rdb, rsql[i], &s->rs[i]);
	if (rc != SQLITE_OK)
		return sqlstore_fail(err, errlen, path, EIO, sqlite3_errmsg(s->wdb));
	return 0;
}

static int init_sync(struct logstore *s)
{
	pthread_condattr_t ca;
	int rc = pthread_condattr_init(&ca);

	rc = rc ? rc : pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = rc ? rc : pthread_cond_init(&s->q_wake, &ca);
	rc = rc ? rc : pthread_cond_init(&s->q_done, NULL);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->q_lock, NULL);
	pthread_mutex_init(&s->r_lock, NULL);
	return rc ? -rc : 0;
}

static void close_all(struct logstore *s)
{
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->wsweep);
	for (int i = 0; i < RS__COUNT; i++)
		sqlite3_finalize(s->rs[i]);
	sqlite3_close_v2(s->rdb);
	sqlite3_close_v2(s->wdb);
	free(s->bufs[0].p);
	free(s->bufs[1].p);
	pthread_cond_destroy(&s->q_wake);
	pthread_cond_destroy(&s->q_done);
	pthread_mutex_destroy(&s->q_lock);
	pthread_mutex_destroy(&s->r_lock);
	free(s);
}

struct logstore *logstore__new(const struct logstore_opts *o, char *err, size_t errlen)
{
	struct logstore *s;
	int e;

	if (!o || !o->path || !*o->path) {
		sqlstore_fail(err, errlen, "", EINVAL, "no log store path");
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || init_sync(s)) {
		free(s);
		sqlstore_fail(err, errlen, o->path, ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	s->retention_ns = o->retention_ns;
	s->flush_ns = o->flush_ns ? o->flush_ns : LOGSTORE_FLUSH_DEFAULT_NS;
	s->sweep_every_ns = o->sweep_every_ns;
	s->cap = o->queue_bytes ? o->queue_bytes : LOGSTORE_QUEUE_DEFAULT;
	if (s->cap < LOGSTORE_QUEUE_MIN)
		s->cap = LOGSTORE_QUEUE_MIN;
	s->bufs[0].p = malloc(s->cap);
	s->bufs[1].p = malloc(s->cap);
	s->active = &s->bufs[0];
	e = !s->bufs[0].p || !s->bufs[1].p ?
		    sqlstore_fail(err, errlen, o->path, ENOMEM, "out of memory") :
		    open_all(s, o->path, err, errlen);
	if (!e) {
		e = pthread_create(&s->writer, NULL, writer_main, s);
		if (e)
			sqlstore_fail(err, errlen, o->path, e, "cannot start the writer thread");
	}
	if (e) {
		close_all(s);
		errno = e;
		return NULL;
	}
	s->writer_started = true;
	return s;
}

void logstore__free(struct logstore *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->q_lock);
	s->stop = true;
	pthread_cond_signal(&s->q_wake);
	pthread_mutex_unlock(&s->q_lock);
	pthread_join(s->writer, NULL);
	close_all(s);
}
