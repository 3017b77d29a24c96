// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Spend and business-event ledger in SQLite. Money that was charged must
 * not be forgotten by a crash or counted twice by a retry, so every add is
 * one autocommitted INSERT in a WAL journal and the idempotency key is a
 * UNIQUE column. Readers are the budget and the API; they share the one
 * connection behind one mutex, because a SQLite connection is not safe
 * for concurrent use and one connection keeps the statement cache simple.
 * SQL is fixed at open: input only ever reaches a query as a bound value.
 */
#include "ledger.h"
#include "sqlstore.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* user_version: bump with a migration step in schema[] (see spec). */
#define SCHEMA_VERSION 1
#define APP_ID 0x42544f42 /* "BTOB": tells our file from another program's database */
/* Long enough to ride out another process's commit or checkpoint, short enough
 * that a wedged writer surfaces as -EIO rather than a hung capture loop. */
#define BUSY_MS 3000
/* Bounds that every valid day sorts between, so an open range still uses the index. */
#define DAY_FIRST "0000-00-00"
#define DAY_LAST "9999-12-31"

enum stmt_id {
	ST_ADD_SPEND,
	ST_ADD_EVENT,
	ST_SPEND,
	ST_EVENTS,
	ST_DAYS,
	ST_BY, /* + enum ledger_dim */
	ST__COUNT = ST_BY + LEDGER_DIM__COUNT
};

struct ledger {
	pthread_mutex_t lock; /* every use of db and st[] */
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT];
};

static const char *const dim_names[LEDGER_DIM__COUNT] = {
	[LEDGER_BY_PROVIDER] = "provider", [LEDGER_BY_MODEL] = "model",
	[LEDGER_BY_AGENT] = "agent_type",  [LEDGER_BY_SERVICE] = "service",
	[LEDGER_BY_DAY] = "day",
};

static const char schema_v1[] =
	"CREATE TABLE IF NOT EXISTS spend("
	" id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, day TEXT NOT NULL,"
	" provider TEXT NOT NULL, model TEXT NOT NULL, agent_type TEXT NOT NULL,"
	" service TEXT NOT NULL, input INTEGER NOT NULL, output INTEGER NOT NULL,"
	" cache_read INTEGER NOT NULL, cache_creation INTEGER NOT NULL,"
	" cost_usd REAL NOT NULL, priced INTEGER NOT NULL, source TEXT NOT NULL,"
	" idem_key TEXT UNIQUE);"
	"CREATE INDEX IF NOT EXISTS spend_day ON spend(day);"
	"CREATE TABLE IF NOT EXISTS business_event("
	" id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, day TEXT NOT NULL,"
	" event TEXT NOT NULL, category TEXT NOT NULL, outcome TEXT NOT NULL,"
	" service TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS business_event_day ON business_event(day);";

static const char sql_add_spend[] =
	"INSERT INTO spend(ts_us, day, provider, model, agent_type, service, input, output,"
	" cache_read, cache_creation, cost_usd, priced, source, idem_key)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
	" ON CONFLICT(idem_key) DO NOTHING";
static const char sql_add_event[] =
	"INSERT INTO business_event(ts_us, day, event, category, outcome, service)"
	" VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
static const char sql_spend[] =
	"SELECT TOTAL(cost_usd), COUNT(*) FROM spend WHERE day BETWEEN ?1 AND ?2";
static const char sql_events[] = "SELECT event, category, outcome, COUNT(*) FROM business_event"
				 " WHERE day BETWEEN ?1 AND ?2 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
static const char sql_days[] =
	"SELECT COUNT(*) FROM (SELECT day FROM spend WHERE day BETWEEN ?1 AND ?2"
	" UNION SELECT day FROM business_event WHERE day BETWEEN ?1 AND ?2)";
/* %s: the dimension's column (from dim_names, never from input), then the order. */
static const char sql_by_fmt[] =
	"SELECT %s, TOTAL(cost_usd), COUNT(*), SUM(input), SUM(output), SUM(cache_read),"
	" SUM(cache_creation), SUM(priced = 0) FROM spend WHERE day BETWEEN ?1 AND ?2"
	" AND (?3 IS NULL OR provider = ?3) AND (?4 IS NULL OR model = ?4)"
	" AND (?5 IS NULL OR agent_type = ?5) AND (?6 IS NULL OR service = ?6)"
	" GROUP BY 1 ORDER BY %s LIMIT ?7";

/* ---- input checks ---- */

static unsigned month_days(unsigned y, unsigned m)
{
	static const unsigned char len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : len[m - 1];
}

static bool digits(const char *s, size_t n, unsigned *out)
{
	*out = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*out = *out * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

/* A real calendar day written YYYY-MM-DD, years 0001..9999. */
static bool day_ok(const char *d)
{
	unsigned y, m, dd;

	if (!d || strnlen(d, LEDGER_DAY_LEN) != LEDGER_DAY_LEN - 1 || d[4] != '-' || d[7] != '-')
		return false;
	if (!digits(d, 4, &y) || !digits(d + 5, 2, &m) || !digits(d + 8, 2, &dd))
		return false;
	return y >= 1 && m >= 1 && m <= 12 && dd >= 1 && dd <= month_days(y, m);
}

static bool range_ok(const char *from, const char *to)
{
	return (!from || day_ok(from)) && (!to || day_ok(to));
}

/* Bytes of s kept: at most LEDGER_TEXT_MAX, never half a UTF-8 character (JSON
 * encoders refuse broken UTF-8, and the API serves these strings as JSON). */
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

static bool spend_ok(const struct ledger_spend *s)
{
	const uint64_t tok[] = { s->input, s->output, s->cache_read, s->cache_creation };

	if (!day_ok(s->day) || !isfinite(s->cost_usd) || s->cost_usd < 0)
		return false;
	for (size_t i = 0; i < sizeof(tok) / sizeof(*tok); i++) {
		if (tok[i] > LEDGER_TOKENS_MAX)
			return false;
	}
	if (!s->source || (strcmp(s->source, "observed") && strcmp(s->source, "api")))
		return false;
	/* a cut key could make two different calls one: refuse instead */
	return !s->idem_key || strnlen(s->idem_key, LEDGER_KEY_MAX + 1) <= LEDGER_KEY_MAX;
}

/* ---- statement helpers (lock held) ---- */

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return sqlite3_bind_text(st, i, s ? s : "", s ? cut_len(s, LEDGER_TEXT_MAX) : 0,
				 SQLITE_STATIC);
}

/* A filter value: NULL stays NULL (any); cut like the stored values so a long name matches. */
static int bind_filter(sqlite3_stmt *st, int i, const char *s)
{
	return s ? bind_text(st, i, s) : sqlite3_bind_null(st, i);
}

static int bind_range(sqlite3_stmt *st, const char *from, const char *to)
{
	int rc = sqlite3_bind_text(st, 1, from ? from : DAY_FIRST, -1, SQLITE_STATIC);

	return rc ? rc : sqlite3_bind_text(st, 2, to ? to : DAY_LAST, -1, SQLITE_STATIC);
}

/* Leaves st ready for the next call and drops pointers to the caller's strings. */
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

/* ---- adds ---- */

static int spend_bind(sqlite3_stmt *st, const struct ledger_spend *s)
{
	const char *key = s->idem_key && *s->idem_key ? s->idem_key : NULL;
	int rc = sqlite3_bind_int64(st, 1, s->ts_us);

	rc = rc ? rc : sqlite3_bind_text(st, 2, s->day, -1, SQLITE_STATIC);
	rc = rc ? rc : bind_text(st, 3, s->provider);
	rc = rc ? rc : bind_text(st, 4, s->model);
	rc = rc ? rc : bind_text(st, 5, s->agent_type);
	rc = rc ? rc : bind_text(st, 6, s->service);
	rc = rc ? rc : sqlite3_bind_int64(st, 7, (int64_t)s->input);
	rc = rc ? rc : sqlite3_bind_int64(st, 8, (int64_t)s->output);
	rc = rc ? rc : sqlite3_bind_int64(st, 9, (int64_t)s->cache_read);
	rc = rc ? rc : sqlite3_bind_int64(st, 10, (int64_t)s->cache_creation);
	rc = rc ? rc : sqlite3_bind_double(st, 11, s->cost_usd);
	rc = rc ? rc : sqlite3_bind_int(st, 12, s->priced);
	rc = rc ? rc : sqlite3_bind_text(st, 13, s->source, -1, SQLITE_STATIC);
	return rc ? rc : bind_filter(st, 14, key);
}

int ledger__add_spend(struct ledger *l, const struct ledger_spend *s)
{
	sqlite3_stmt *st;
	int ret = -EIO;

	if (!l || !s || !spend_ok(s))
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	st = l->st[ST_ADD_SPEND];
	if (spend_bind(st, s) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE)
		ret = sqlite3_changes(l->db) ? 0 : -EALREADY; /* DO NOTHING: the key was there */
	finish(st);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

int ledger__add_event(struct ledger *l, const struct ledger_event *e)
{
	sqlite3_stmt *st;
	int rc, ret = -EIO;

	if (!l || !e || !day_ok(e->day) || !e->event || !*e->event)
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	st = l->st[ST_ADD_EVENT];
	rc = sqlite3_bind_int64(st, 1, e->ts_us);
	rc = rc ? rc : sqlite3_bind_text(st, 2, e->day, -1, SQLITE_STATIC);
	rc = rc ? rc : bind_text(st, 3, e->event);
	rc = rc ? rc : bind_text(st, 4, e->category);
	rc = rc ? rc : bind_text(st, 5, e->outcome);
	rc = rc ? rc : bind_text(st, 6, e->service);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE)
		ret = 0;
	finish(st);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

/* ---- queries ---- */

int ledger__spend(struct ledger *l, const char *from, const char *to, double *usd, uint64_t *calls)
{
	sqlite3_stmt *st;
	int ret = -EIO;

	if (!l || !range_ok(from, to))
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	st = l->st[ST_SPEND];
	if (bind_range(st, from, to) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		if (usd)
			*usd = sqlite3_column_double(st, 0);
		if (calls)
			*calls = (uint64_t)col_u64(st, 1);
		ret = 0;
	}
	finish(st);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

const char *ledger_dim_name(enum ledger_dim d)
{
	return (unsigned)d < LEDGER_DIM__COUNT ? dim_names[d] : "unknown";
}

int ledger_dim_parse(const char *s, enum ledger_dim *out)
{
	for (int d = 0; s && d < LEDGER_DIM__COUNT; d++) {
		if (!strcmp(s, dim_names[d])) {
			if (out)
				*out = (enum ledger_dim)d;
			return 0;
		}
	}
	return -EINVAL;
}

static int breakdown_bind(sqlite3_stmt *st, const struct ledger_filter *f, size_t limit)
{
	int rc = bind_range(st, f->from, f->to);

	rc = rc ? rc : bind_filter(st, 3, f->provider);
	rc = rc ? rc : bind_filter(st, 4, f->model);
	rc = rc ? rc : bind_filter(st, 5, f->agent_type);
	rc = rc ? rc : bind_filter(st, 6, f->service);
	/* a negative LIMIT is none in SQLite */
	return rc ? rc :
		    sqlite3_bind_int64(st, 7,
				       limit && limit <= (uint64_t)INT64_MAX ? (int64_t)limit : -1);
}

static void row_of(sqlite3_stmt *st, struct ledger_row *r)
{
	r->key = (const char *)sqlite3_column_text(st, 0);
	if (!r->key)
		r->key = "";
	r->usd = sqlite3_column_double(st, 1);
	r->calls = (uint64_t)col_u64(st, 2);
	r->input = (uint64_t)col_u64(st, 3);
	r->output = (uint64_t)col_u64(st, 4);
	r->cache_read = (uint64_t)col_u64(st, 5);
	r->cache_creation = (uint64_t)col_u64(st, 6);
	r->unpriced = (uint64_t)col_u64(st, 7);
}

/* Steps st, handing each row to each(); the first non-zero of each() is returned. */
static int step_rows(sqlite3_stmt *st, int (*each)(sqlite3_stmt *st, void *ctx), void *ctx)
{
	int rc, ret;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = each(st, ctx);
		if (ret)
			return ret;
	}
	return rc == SQLITE_DONE ? 0 : -EIO;
}

struct row_cb {
	int (*fn)(void *arg, const struct ledger_row *r);
	void *arg;
};

static int each_row(sqlite3_stmt *st, void *ctx)
{
	const struct row_cb *cb = ctx;
	struct ledger_row r;

	row_of(st, &r);
	return cb->fn(cb->arg, &r);
}

int ledger__breakdown(struct ledger *l, const struct ledger_filter *f, enum ledger_dim dim,
		      size_t limit, int (*fn)(void *arg, const struct ledger_row *r), void *arg)
{
	static const struct ledger_filter none;
	struct row_cb cb = { fn, arg };
	sqlite3_stmt *st;
	int ret = -EIO;

	if (!f)
		f = &none;
	if (!l || !fn || (unsigned)dim >= LEDGER_DIM__COUNT || !range_ok(f->from, f->to))
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	st = l->st[ST_BY + dim];
	if (breakdown_bind(st, f, limit) == SQLITE_OK)
		ret = step_rows(st, each_row, &cb);
	finish(st);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

struct event_cb {
	int (*fn)(void *arg, const struct ledger_event_count *c);
	void *arg;
};

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

static int each_event(sqlite3_stmt *st, void *ctx)
{
	const struct event_cb *cb = ctx;
	struct ledger_event_count c = {
		.event = col_text(st, 0),
		.category = col_text(st, 1),
		.outcome = col_text(st, 2),
		.count = (uint64_t)col_u64(st, 3),
	};

	return cb->fn(cb->arg, &c);
}

int ledger__event_counts(struct ledger *l, const char *from, const char *to,
			 int (*fn)(void *arg, const struct ledger_event_count *c), void *arg)
{
	struct event_cb cb = { fn, arg };
	sqlite3_stmt *st;
	int ret = -EIO;

	if (!l || !fn || !range_ok(from, to))
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	st = l->st[ST_EVENTS];
	if (bind_range(st, from, to) == SQLITE_OK)
		ret = step_rows(st, each_event, &cb);
	finish(st);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

int ledger__active_days(struct ledger *l, const char *from, const char *to, uint64_t *days)
{
	sqlite3_stmt *st;
	int ret = -EIO;

	if (!l || !days || !range_ok(from, to))
		return -EINVAL;
	pthread_mutex_lock(&l->lock);
	st = l->st[ST_DAYS];
	if (bind_range(st, from, to) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		*days = (uint64_t)col_u64(st, 0);
		ret = 0;
	}
	finish(st);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

/* ---- open ---- */

/* Versions before SCHEMA_VERSION; schema[v] upgrades a file from v to v + 1. */
static const char *const schema[SCHEMA_VERSION] = { schema_v1 };

/*
 * WAL keeps readers (API) and the writer (capture) out of each other's way,
 * and a commit is durable once the WAL is written. synchronous=FULL also
 * fsyncs the WAL on every commit, so a power loss after an add returns
 * loses nothing either (NORMAL already survives a process kill). Measured
 * on this project's test VM (virtio disk, ext4): ~10 us per add with NORMAL,
 * ~210-290 us with FULL (test_add_cost prints it), under the 1 ms per add we allow, for a
 * few adds per second of LLM calls.
 */
static const struct sqlstore_spec spec = {
	.name = "ledger",
	.foreign = "a SQLite database of another program",
	.newer = "ledger schema version",
	.synchronous = "PRAGMA synchronous = FULL",
	.schema = schema,
	.version = SCHEMA_VERSION,
	.app_id = APP_ID,
	.busy_ms = BUSY_MS,
};

static int prepare_all(struct ledger *l)
{
	const char *fixed[ST_BY] = { sql_add_spend, sql_add_event, sql_spend, sql_events,
				     sql_days };
	char sql[sizeof(sql_by_fmt) + 64];
	int rc = SQLITE_OK;

	for (int i = 0; i < ST_BY && rc == SQLITE_OK; i++)
		rc = sqlite3_prepare_v3(l->db, fixed[i], -1, SQLITE_PREPARE_PERSISTENT, &l->st[i],
					NULL);
	for (int d = 0; d < LEDGER_DIM__COUNT && rc == SQLITE_OK; d++) {
		snprintf(sql, sizeof(sql), sql_by_fmt, dim_names[d],
			 d == LEDGER_BY_DAY ? "1" : "2 DESC, 1");
		rc = sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
					&l->st[ST_BY + d], NULL);
	}
	return rc;
}

static int db_open(struct ledger *l, const char *path, char *err, size_t errlen)
{
	int rc = sqlstore_open(&spec, path, true, &l->db, err, errlen);

	if (rc)
		return rc;
	if (prepare_all(l) != SQLITE_OK)
		return sqlstore_fail(err, errlen, path, EIO, sqlite3_errmsg(l->db));
	return 0;
}

struct ledger *ledger__open(const char *path, char *err, size_t errlen)
{
	struct ledger *l;
	int e;

	if (err && errlen)
		err[0] = '\0';
	if (!path || !*path)
		return errno = sqlstore_fail(err, errlen, "ledger", EINVAL, "no path"), NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return errno = sqlstore_fail(err, errlen, path, ENOMEM, "out of memory"), NULL;
	if (pthread_mutex_init(&l->lock, NULL)) {
		free(l);
		return errno = sqlstore_fail(err, errlen, path, ENOMEM, "cannot create a mutex"),
		       NULL;
	}
	e = db_open(l, path, err, errlen);
	if (e) {
		ledger__close(l);
		errno = e;
		return NULL;
	}
	return l;
}

void ledger__close(struct ledger *l)
{
	if (!l)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(l->st[i]); /* NULL-safe */
	sqlite3_close(l->db); /* NULL-safe; the last connection checkpoints the WAL */
	pthread_mutex_destroy(&l->lock);
	free(l);
}
