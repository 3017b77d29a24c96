// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Health history in SQLite. What must survive a restart is the SLA's
 * per-minute counts (30-day windows) and the history the API shows; what
 * may be lost is the last few seconds of counting, so writes are batched
 * by the caller and each batch is one transaction. WAL with
 * synchronous=NORMAL: a commit survives a process kill (the WAL is in the
 * page cache), and the API's reads never wait for the writer. Disk-full
 * and read-only errors are reported as such so the caller can say so.
 * SQL is fixed at open; input only reaches a query as a bound value.
 */
#include "healthstore.h"
#include "sqlstore.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_VERSION 1
#define APP_ID 0x4254484c /* "BTHL": tells our file from another program's database */
/* Short: the writer runs on the capture loop, which must not hang on a lock. */
#define BUSY_MS 1000
#define TEXT_MAX 256 /* bytes of a service or status text kept */

enum stmt_id {
	ST_ADD_TRANSITION,
	ST_ADD_SNAPSHOT,
	ST_PUT_MINUTE,
	ST_LOAD_MINUTES,
	ST_TRANSITIONS,
	ST_SERIES,
	ST_SWEEP_HISTORY,
	ST_SWEEP_SNAPSHOTS,
	ST_SWEEP_MINUTES,
	ST__COUNT
};

struct healthstore {
	pthread_mutex_t lock; /* every use of db and st[] */
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT];
};

static const char schema_v1[] =
	"CREATE TABLE IF NOT EXISTS transition("
	" id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, status TEXT NOT NULL,"
	" previous TEXT NOT NULL, reasons TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS transition_ts ON transition(ts_ms);"
	"CREATE TABLE IF NOT EXISTS snapshot("
	" ts_ms INTEGER PRIMARY KEY, span_ms INTEGER NOT NULL, status INTEGER NOT NULL,"
	" requests INTEGER NOT NULL, errors INTEGER NOT NULL, llm_calls INTEGER NOT NULL,"
	" db_ops INTEGER NOT NULL, p95_s REAL, cpu REAL, mem REAL,"
	" comp_up INTEGER NOT NULL, comp_down INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS sla_minute("
	" service TEXT NOT NULL, minute INTEGER NOT NULL, total INTEGER NOT NULL,"
	" good INTEGER NOT NULL, errors INTEGER NOT NULL, PRIMARY KEY(service, minute))"
	" WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS sla_minute_minute ON sla_minute(minute);";

static const char *const sql[ST__COUNT] = {
	[ST_ADD_TRANSITION] = "INSERT INTO transition(ts_ms, status, previous, reasons)"
			      " VALUES(?1, ?2, ?3, ?4)",
	[ST_ADD_SNAPSHOT] = "INSERT OR REPLACE INTO snapshot(ts_ms, span_ms, status, requests,"
			    " errors, llm_calls, db_ops, p95_s, cpu, mem, comp_up, comp_down)"
			    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_PUT_MINUTE] = "INSERT OR REPLACE INTO sla_minute(service, minute, total, good, errors)"
			  " VALUES(?1, ?2, ?3, ?4, ?5)",
	[ST_LOAD_MINUTES] = "SELECT service, minute, total, good, errors FROM sla_minute"
			    " WHERE minute >= ?1 ORDER BY minute, service",
	[ST_TRANSITIONS] = "SELECT id, ts_ms, status, previous, reasons FROM transition"
			   " WHERE ts_ms BETWEEN ?1 AND ?2 ORDER BY ts_ms DESC, id DESC LIMIT ?3",
	/* p95, cpu and mem are NULL when not measured, so MAX/AVG skip them */
	[ST_SERIES] = "SELECT (ts_ms - ?1) / ?3, COUNT(*), TOTAL(span_ms), MAX(status),"
		      " TOTAL(requests), TOTAL(errors), TOTAL(llm_calls), TOTAL(db_ops),"
		      " MAX(p95_s), AVG(cpu), AVG(mem), MIN(comp_up), MAX(comp_down)"
		      " FROM snapshot WHERE ts_ms BETWEEN ?1 AND ?2 GROUP BY 1 ORDER BY 1",
	[ST_SWEEP_HISTORY] = "DELETE FROM transition WHERE ts_ms < ?1",
	[ST_SWEEP_SNAPSHOTS] = "DELETE FROM snapshot WHERE ts_ms < ?1",
	[ST_SWEEP_MINUTES] = "DELETE FROM sla_minute WHERE minute < ?1",
};

/* Bytes of s kept: at most max, never half a UTF-8 character (the API serves them as JSON). */
static int cut_len(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return (int)n;
}

static int bind_text(sqlite3_stmt *st, int i, const char *s, size_t max)
{
	return sqlite3_bind_text(st, i, s ? s : "", s ? cut_len(s, max) : 0, SQLITE_STATIC);
}

/* A gauge: NULL when not measured (negative), so aggregates skip it. */
static int bind_gauge(sqlite3_stmt *st, int i, double v)
{
	return v >= 0 ? sqlite3_bind_double(st, i, v) : sqlite3_bind_null(st, i);
}

static void finish(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int64_t col_u64(sqlite3_stmt *st, int i)
{
	int64_t v = sqlite3_column_int64(st, i);

	return v < 0 ? 0 : v;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

static double col_gauge(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_double(st, i);
}

/* Steps a write statement once; 0 or -errno. Lock held. */
static int step_done(sqlite3_stmt *st, int bind_rc)
{
	int rc = bind_rc == SQLITE_OK ? sqlite3_step(st) : bind_rc;

	finish(st);
	return rc == SQLITE_DONE ? 0 : -sqlstore_errno(rc);
}

/* ---- writes ---- */

int healthstore__add_transition(struct healthstore *s, const struct hs_transition *t)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (!s || !t || !t->status)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->st[ST_ADD_TRANSITION];
	rc = sqlite3_bind_int64(st, 1, t->ts_ms);
	rc = rc ? rc : bind_text(st, 2, t->status, TEXT_MAX);
	rc = rc ? rc : bind_text(st, 3, t->previous, TEXT_MAX);
	rc = rc ? rc :
		  bind_text(st, 4, t->reasons_json ? t->reasons_json : "[]",
			    HEALTHSTORE_REASONS_MAX);
	ret = step_done(st, rc);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int snapshot_bind(sqlite3_stmt *st, const struct hs_snapshot *sn)
{
	int rc = sqlite3_bind_int64(st, 1, sn->ts_ms);

	rc = rc ? rc : sqlite3_bind_int64(st, 2, sn->span_ms);
	rc = rc ? rc : sqlite3_bind_int(st, 3, sn->status);
	rc = rc ? rc : sqlite3_bind_int64(st, 4, (int64_t)sn->requests);
	rc = rc ? rc : sqlite3_bind_int64(st, 5, (int64_t)sn->errors);
	rc = rc ? rc : sqlite3_bind_int64(st, 6, (int64_t)sn->llm_calls);
	rc = rc ? rc : sqlite3_bind_int64(st, 7, (int64_t)sn->db_ops);
	rc = rc ? rc : bind_gauge(st, 8, sn->p95_s);
	rc = rc ? rc : bind_gauge(st, 9, sn->cpu);
	rc = rc ? rc : bind_gauge(st, 10, sn->mem);
	rc = rc ? rc : sqlite3_bind_int64(st, 11, sn->comp_up);
	return rc ? rc : sqlite3_bind_int64(st, 12, sn->comp_down);
}

int healthstore__add_snapshot(struct healthstore *s, const struct hs_snapshot *sn)
{
	int ret;

	if (!s || !sn || sn->requests > INT64_MAX || sn->errors > INT64_MAX ||
	    sn->llm_calls > INT64_MAX || sn->db_ops > INT64_MAX)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	ret = step_done(s->st[ST_ADD_SNAPSHOT], snapshot_bind(s->st[ST_ADD_SNAPSHOT], sn));
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static bool minute_ok(const struct hs_minute *m)
{
	return m->service && *m->service && m->minute >= 0 && m->total <= INT64_MAX &&
	       m->good <= m->total && m->errors <= m->total - m->good;
}

static int put_minute(sqlite3_stmt *st, const struct hs_minute *m)
{
	int rc = bind_text(st, 1, m->service, TEXT_MAX);

	rc = rc ? rc : sqlite3_bind_int64(st, 2, m->minute);
	rc = rc ? rc : sqlite3_bind_int64(st, 3, (int64_t)m->total);
	rc = rc ? rc : sqlite3_bind_int64(st, 4, (int64_t)m->good);
	rc = rc ? rc : sqlite3_bind_int64(st, 5, (int64_t)m->errors);
	rc = rc ? rc : sqlite3_step(st);
	finish(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int healthstore__put_minutes(struct healthstore *s, const struct hs_minute *m, size_t n)
{
	int rc;

	if (!s || (!m && n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!minute_ok(&m[i]))
			return -EINVAL;
	}
	if (!n)
		return 0;
	pthread_mutex_lock(&s->lock);
	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
		rc = put_minute(s->st[ST_PUT_MINUTE], &m[i]);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_OK ? 0 : -sqlstore_errno(rc);
}

/* ---- reads ---- */

int healthstore__load_minutes(struct healthstore *s, int64_t since,
			      int (*fn)(void *arg, const struct hs_minute *m), void *arg)
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (!s || !fn)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->st[ST_LOAD_MINUTES];
	rc = sqlite3_bind_int64(st, 1, since);
	while (rc == SQLITE_OK && !ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct hs_minute m = { col_text(st, 0), sqlite3_column_int64(st, 1),
				       (uint64_t)col_u64(st, 2), (uint64_t)col_u64(st, 3),
				       (uint64_t)col_u64(st, 4) };

		ret = fn(arg, &m);
		rc = SQLITE_OK;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = -sqlstore_errno(rc);
	finish(st);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int healthstore__transitions(struct healthstore *s, int64_t from_ms, int64_t to_ms, size_t limit,
			     int (*fn)(void *arg, const struct hs_transition_row *r), void *arg)
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (!s || !fn || !limit || limit > HEALTHSTORE_LIMIT_MAX)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	st = s->st[ST_TRANSITIONS];
	rc = sqlite3_bind_int64(st, 1, from_ms);
	rc = rc ? rc : sqlite3_bind_int64(st, 2, to_ms);
	rc = rc ? rc : sqlite3_bind_int64(st, 3, (int64_t)limit);
	while (rc == SQLITE_OK && !ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct hs_transition_row r = { sqlite3_column_int64(st, 0),
					       sqlite3_column_int64(st, 1), col_text(st, 2),
					       col_text(st, 3), col_text(st, 4) };

		ret = fn(arg, &r);
		rc = SQLITE_OK;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = -sqlstore_errno(rc);
	finish(st);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static void point_of(sqlite3_stmt *st, int64_t from_ms, int64_t step_ms, struct hs_point *p)
{
	p->ts_ms = from_ms + sqlite3_column_int64(st, 0) * step_ms;
	p->samples = (uint32_t)col_u64(st, 1);
	p->span_ms = (uint64_t)sqlite3_column_double(st, 2);
	p->status = sqlite3_column_int(st, 3);
	p->requests = (uint64_t)sqlite3_column_double(st, 4);
	p->errors = (uint64_t)sqlite3_column_double(st, 5);
	p->llm_calls = (uint64_t)sqlite3_column_double(st, 6);
	p->db_ops = (uint64_t)sqlite3_column_double(st, 7);
	p->p95_s = col_gauge(st, 8);
	p->cpu = col_gauge(st, 9);
	p->mem = col_gauge(st, 10);
	p->comp_up = (uint32_t)col_u64(st, 11);
	p->comp_down = (uint32_t)col_u64(st, 12);
}

int healthstore__series(struct healthstore *s, int64_t from_ms, int64_t to_ms, int64_t step_ms,
			int (*fn)(void *arg, const struct hs_point *p), void *arg)
{
	sqlite3_stmt *st;
	struct hs_point p;
	int rc, ret = 0;

	if (!s || !fn || step_ms <= 0 || from_ms > to_ms)
		return -EINVAL;
	if ((to_ms - from_ms) / step_ms >= HEALTHSTORE_POINTS_MAX)
		return -E2BIG;
	pthread_mutex_lock(&s->lock);
	st = s->st[ST_SERIES];
	rc = sqlite3_bind_int64(st, 1, from_ms);
	rc = rc ? rc : sqlite3_bind_int64(st, 2, to_ms);
	rc = rc ? rc : sqlite3_bind_int64(st, 3, step_ms);
	while (rc == SQLITE_OK && !ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		point_of(st, from_ms, step_ms, &p);
		ret = fn(arg, &p);
		rc = SQLITE_OK;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = -sqlstore_errno(rc);
	finish(st);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/* ---- retention ---- */

static int sweep_one(struct healthstore *s, enum stmt_id id, int64_t before, int64_t *deleted)
{
	sqlite3_stmt *st = s->st[id];
	int rc = sqlite3_bind_int64(st, 1, before);

	rc = rc ? rc : sqlite3_step(st);
	finish(st);
	if (rc != SQLITE_DONE)
		return -sqlstore_errno(rc);
	*deleted += sqlite3_changes(s->db);
	return 0;
}

int64_t healthstore__sweep(struct healthstore *s, int64_t before_ms, int64_t before_minute)
{
	int64_t deleted = 0;
	int e;

	if (!s)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	e = sweep_one(s, ST_SWEEP_HISTORY, before_ms, &deleted);
	if (!e)
		e = sweep_one(s, ST_SWEEP_SNAPSHOTS, before_ms, &deleted);
	if (!e)
		e = sweep_one(s, ST_SWEEP_MINUTES, before_minute, &deleted);
	pthread_mutex_unlock(&s->lock);
	return e ? e : deleted;
}

/* ---- open ---- */

static const char *const schema[SCHEMA_VERSION] = { schema_v1 };

/*
 * WAL: the API reads while the loop writes. synchronous=NORMAL: a commit
 * is in the WAL before the call returns, so a process kill loses nothing
 * committed; a power loss may lose the last commits, which for history
 * sampled every few seconds is the same order as what is not yet written.
 * Disk-full and read-only come back as ENOSPC and EROFS, not EIO.
 */
static const struct sqlstore_spec spec = {
	.name = "health store",
	.foreign = "a SQLite database of another program",
	.newer = "health schema version",
	.synchronous = "PRAGMA synchronous = NORMAL",
	.schema = schema,
	.version = SCHEMA_VERSION,
	.app_id = APP_ID,
	.busy_ms = BUSY_MS,
	.sqlite_errno = true,
};

static int db_open(struct healthstore *s, const char *path, char *err, size_t errlen)
{
	int rc = sqlstore_open(&spec, path, true, &s->db, err, errlen);

	if (rc)
		return rc;
	for (int i = 0; i < ST__COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
					NULL);
		if (rc != SQLITE_OK)
			return sqlstore_fail(err, errlen, path, sqlstore_errno(rc),
					     sqlite3_errmsg(s->db));
	}
	return 0;
}

struct healthstore *healthstore__open(const char *path, char *err, size_t errlen)
{
	struct healthstore *s;
	int e;

	if (err && errlen)
		err[0] = '\0';
	if (!path || !*path)
		return errno = sqlstore_fail(err, errlen, "health store", EINVAL, "no path"), NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return errno = sqlstore_fail(err, errlen, path, ENOMEM, "out of memory"), NULL;
	if (pthread_mutex_init(&s->lock, NULL)) {
		free(s);
		return errno = sqlstore_fail(err, errlen, path, ENOMEM, "cannot create a mutex"),
		       NULL;
	}
	e = db_open(s, path, err, errlen);
	if (e) {
		healthstore__close(s);
		errno = e;
		return NULL;
	}
	return s;
}

void healthstore__close(struct healthstore *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db); /* the last connection checkpoints the WAL */
	pthread_mutex_destroy(&s->lock);
	free(s);
}
