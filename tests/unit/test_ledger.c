// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ledger: the schema on disk, adds and sums over day ranges, breakdowns
 * with filters, order and limits, idempotency keys, bad input, text cuts,
 * business events and active days, reopening, a writer process killed
 * with SIGKILL right after its adds, two threads on one ledger, and files
 * it must refuse or survive: garbage, another program's database, a newer
 * schema, read-only, locked by another writer, corrupt. Each test uses
 * its own file in one mkdtemp directory under /tmp.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ledger.h"

static char dir[64];

static const char *path_of(const char *name)
{
	static char p[sizeof(dir) + 260];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static struct ledger *open_ok(const char *name)
{
	char err[256];
	struct ledger *l = ledger__open(path_of(name), err, sizeof(err));

	if (!l)
		fail_msg("open %s: %s", name, err);
	return l;
}

static struct ledger_spend spend(const char *day, const char *provider, const char *model,
				 double usd)
{
	struct ledger_spend s = {
		.ts_us = 1767225600000000,
		.provider = provider,
		.model = model,
		.agent_type = "chat",
		.service = "lab-api",
		.input = 100,
		.output = 20,
		.cache_read = 5,
		.cache_creation = 1,
		.cost_usd = usd,
		.priced = true,
		.source = "observed",
	};

	snprintf(s.day, sizeof(s.day), "%s", day);
	return s;
}

static void add_ok(struct ledger *l, struct ledger_spend s)
{
	int rc = ledger__add_spend(l, &s);

	if (rc)
		fail_msg("add_spend(%s, %s, %g) = %d", s.day, s.model ? s.model : "-", s.cost_usd,
			 rc);
}

static void expect_spend(struct ledger *l, const char *from, const char *to, double usd,
			 uint64_t calls)
{
	double got = -1;
	uint64_t n = 999;

	assert_int_equal(ledger__spend(l, from, to, &got, &n), 0);
	if (got != usd || n != calls)
		fail_msg("spend [%s, %s] = %.17g / %llu, want %.17g / %llu", from ? from : "-",
			 to ? to : "-", got, (unsigned long long)n, usd, (unsigned long long)calls);
}

/* Breakdown rows copied out, since keys live only during the callback. */
struct rows {
	size_t n;
	char key[16][LEDGER_TEXT_MAX + 1];
	struct ledger_row r[16];
	int stop_after; /* 0: never */
};

static int collect(void *arg, const struct ledger_row *r)
{
	struct rows *rs = arg;

	assert_true(rs->n < 16);
	snprintf(rs->key[rs->n], sizeof(rs->key[0]), "%s", r->key);
	rs->r[rs->n++] = *r;
	return rs->stop_after && (int)rs->n >= rs->stop_after ? 42 : 0;
}

static void by(struct ledger *l, const struct ledger_filter *f, enum ledger_dim d, size_t limit,
	       struct rows *rs)
{
	memset(rs, 0, sizeof(*rs));
	assert_int_equal(ledger__breakdown(l, f, d, limit, collect, rs), 0);
}

/* ---- setup ---- */

static int dir_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bt-ledger-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int dir_teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	(void)state;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(path_of(e->d_name));
	}
	closedir(d);
	return rmdir(dir);
}

/* ---- tests ---- */

static int sql_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void test_schema_on_disk(void **state)
{
	struct ledger *l = open_ok("schema.db");
	sqlite3 *db;

	(void)state;
	add_ok(l, spend("2026-03-01", "openai", "gpt-4o", 1.5));
	assert_int_equal(sqlite3_open_v2(path_of("schema.db"), &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sql_int(db, "PRAGMA user_version"), 1);
	assert_int_equal(sql_int(db, "PRAGMA application_id"), 0x42544f42);
	assert_int_equal(sql_int(db, "SELECT COUNT(*) FROM pragma_journal_mode"
				     " WHERE journal_mode = 'wal'"),
			 1);
	assert_int_equal(sql_int(db, "SELECT COUNT(*) FROM pragma_table_info('spend')"), 15);
	assert_int_equal(sql_int(db, "SELECT COUNT(*) FROM pragma_table_info('business_event')"),
			 7);
	assert_int_equal(sql_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'"
				     " AND name IN ('spend_day', 'business_event_day')"),
			 2);
	assert_int_equal(sql_int(db, "SELECT input + output + cache_read + cache_creation"
				     " FROM spend"),
			 126);
	sqlite3_close(db);
	ledger__close(l);
	ledger__close(NULL);
}

static void test_sum_ranges(void **state)
{
	struct ledger *l = open_ok("sum.db");

	(void)state;
	expect_spend(l, NULL, NULL, 0, 0);
	add_ok(l, spend("2026-02-28", "openai", "gpt-4o", 0.25));
	add_ok(l, spend("2026-03-01", "openai", "gpt-4o", 1.5));
	add_ok(l, spend("2026-03-01", "anthropic", "claude", 2));
	add_ok(l, spend("2026-03-31", "openai", "gpt-4o", 4));
	add_ok(l, spend("2026-04-01", "openai", "gpt-4o", 8));
	expect_spend(l, NULL, NULL, 15.75, 5);
	expect_spend(l, "2026-03-01", "2026-03-31", 7.5, 3); /* both ends inclusive */
	expect_spend(l, "2026-03-01", "2026-03-01", 3.5, 2);
	expect_spend(l, "2026-03-02", "2026-03-30", 0, 0);
	expect_spend(l, NULL, "2026-03-01", 3.75, 3);
	expect_spend(l, "2026-03-31", NULL, 12, 2);
	expect_spend(l, "2026-04-01", "2026-03-01", 0, 0); /* from after to: nothing */
	expect_spend(l, "0001-01-01", "9999-12-31", 15.75, 5);
	assert_int_equal(ledger__spend(l, NULL, NULL, NULL, NULL), 0);
	ledger__close(l);
}

static void test_breakdown(void **state)
{
	struct ledger *l = open_ok("by.db");
	struct ledger_filter f = { 0 };
	struct ledger_spend s;
	struct rows rs;

	(void)state;
	add_ok(l, spend("2026-03-02", "openai", "gpt-4o", 3));
	add_ok(l, spend("2026-03-01", "openai", "gpt-4o-mini", 0.5));
	add_ok(l, spend("2026-03-01", "anthropic", "claude", 3.25));
	add_ok(l, spend("2026-03-03", "gemini", "flash", 1));
	add_ok(l, spend("2026-03-03", "cohere", "command", 1)); /* ties gemini on usd */
	s = spend("2026-03-03", "ollama", "llama", 0);
	s.priced = false;
	s.agent_type = "batch";
	s.service = "worker";
	s.input = 1000;
	add_ok(l, s);

	/* by usd descending, then key ascending */
	by(l, NULL, LEDGER_BY_PROVIDER, 0, &rs);
	assert_int_equal(rs.n, 5);
	assert_string_equal(rs.key[0], "openai");
	assert_true(rs.r[0].usd == 3.5 && rs.r[0].calls == 2);
	assert_string_equal(rs.key[1], "anthropic");
	assert_string_equal(rs.key[2], "cohere");
	assert_string_equal(rs.key[3], "gemini");
	assert_string_equal(rs.key[4], "ollama");
	assert_true(rs.r[4].usd == 0 && rs.r[4].unpriced == 1 && rs.r[4].input == 1000);
	assert_true(rs.r[0].input == 200 && rs.r[0].output == 40 && rs.r[0].cache_read == 10 &&
		    rs.r[0].cache_creation == 2 && rs.r[0].unpriced == 0);

	/* by day ascending, whatever the spend */
	by(l, NULL, LEDGER_BY_DAY, 0, &rs);
	assert_int_equal(rs.n, 3);
	assert_string_equal(rs.key[0], "2026-03-01");
	assert_true(rs.r[0].usd == 3.75 && rs.r[0].calls == 2);
	assert_string_equal(rs.key[1], "2026-03-02");
	assert_string_equal(rs.key[2], "2026-03-03");
	assert_true(rs.r[2].calls == 3 && rs.r[2].unpriced == 1);

	/* limit */
	by(l, NULL, LEDGER_BY_MODEL, 2, &rs);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.key[0], "claude");
	assert_string_equal(rs.key[1], "gpt-4o");

	/* filters: exact matches and a day range together */
	f.provider = "openai";
	by(l, &f, LEDGER_BY_MODEL, 0, &rs);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.key[0], "gpt-4o");
	assert_string_equal(rs.key[1], "gpt-4o-mini");
	f.from = "2026-03-02";
	by(l, &f, LEDGER_BY_MODEL, 0, &rs);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.key[0], "gpt-4o");
	f = (struct ledger_filter){ .agent_type = "batch" };
	by(l, &f, LEDGER_BY_SERVICE, 0, &rs);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.key[0], "worker");
	f = (struct ledger_filter){ .service = "lab-api", .to = "2026-03-01" };
	by(l, &f, LEDGER_BY_AGENT, 0, &rs);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.key[0], "chat");
	assert_true(rs.r[0].usd == 3.75 && rs.r[0].calls == 2);
	f = (struct ledger_filter){ .model = "gpt-4o", .provider = "anthropic" };
	by(l, &f, LEDGER_BY_PROVIDER, 0, &rs);
	assert_int_equal(rs.n, 0);
	/* filter values are data, never SQL */
	f = (struct ledger_filter){ .provider = "openai' OR '1'='1" };
	by(l, &f, LEDGER_BY_PROVIDER, 0, &rs);
	assert_int_equal(rs.n, 0);

	/* the callback's non-zero stops and is returned */
	memset(&rs, 0, sizeof(rs));
	rs.stop_after = 2;
	assert_int_equal(ledger__breakdown(l, NULL, LEDGER_BY_PROVIDER, 0, collect, &rs), 42);
	assert_int_equal(rs.n, 2);
	ledger__close(l);
}

static void test_dim_names(void **state)
{
	static const char *const names[] = { "provider", "model", "agent_type", "service", "day" };
	enum ledger_dim d;

	(void)state;
	for (int i = 0; i < LEDGER_DIM__COUNT; i++) {
		assert_string_equal(ledger_dim_name((enum ledger_dim)i), names[i]);
		assert_int_equal(ledger_dim_parse(names[i], &d), 0);
		assert_int_equal(d, i);
	}
	assert_int_equal(ledger_dim_parse("agent", &d), -EINVAL);
	assert_int_equal(ledger_dim_parse("Provider", &d), -EINVAL);
	assert_int_equal(ledger_dim_parse("", &d), -EINVAL);
	assert_int_equal(ledger_dim_parse(NULL, &d), -EINVAL);
	assert_string_equal(ledger_dim_name(LEDGER_DIM__COUNT), "unknown");
}

static void test_idempotency(void **state)
{
	struct ledger *l = open_ok("idem.db");
	char key[LEDGER_KEY_MAX + 2];
	struct ledger_spend s = spend("2026-03-01", "openai", "gpt-4o", 2);

	(void)state;
	s.idem_key = "req-1";
	assert_int_equal(ledger__add_spend(l, &s), 0);
	s.cost_usd = 100; /* a retry that differs changes nothing either */
	assert_int_equal(ledger__add_spend(l, &s), -EALREADY);
	expect_spend(l, NULL, NULL, 2, 1);
	s.idem_key = "req-2";
	assert_int_equal(ledger__add_spend(l, &s), 0);
	/* no key: every add counts */
	s.cost_usd = 1;
	s.idem_key = "";
	assert_int_equal(ledger__add_spend(l, &s), 0);
	assert_int_equal(ledger__add_spend(l, &s), 0);
	s.idem_key = NULL;
	assert_int_equal(ledger__add_spend(l, &s), 0);
	expect_spend(l, NULL, NULL, 105, 5);
	/* keys up to LEDGER_KEY_MAX bytes; longer is refused, not cut */
	memset(key, 'k', sizeof(key));
	key[LEDGER_KEY_MAX] = '\0';
	s.idem_key = key;
	assert_int_equal(ledger__add_spend(l, &s), 0);
	key[LEDGER_KEY_MAX] = 'x';
	key[LEDGER_KEY_MAX + 1] = '\0';
	assert_int_equal(ledger__add_spend(l, &s), -EINVAL);
	expect_spend(l, NULL, NULL, 106, 6);
	ledger__close(l);
	/* the key outlives the process's connection */
	l = open_ok("idem.db");
	s.idem_key = "req-1";
	assert_int_equal(ledger__add_spend(l, &s), -EALREADY);
	expect_spend(l, NULL, NULL, 106, 6);
	ledger__close(l);
}

static void test_bad_input(void **state)
{
	static const char *const bad_days[] = { "2026-1-01",  "2026-02-30", "2026-13-01",
						"2026-00-01", "2026-01-00", "20260101",
						"",	      "2026-01-0a", "0000-01-01",
						"2026/01/01", " 2026-01-0", "2027-02-29" };
	static const double bad_costs[] = { NAN, INFINITY, -INFINITY, -1, -1e-300 };
	struct ledger *l = open_ok("bad.db");
	struct ledger_spend s = spend("2026-03-01", "openai", "gpt-4o", 1), b;
	struct ledger_event e = { .day = "2026-03-01", .event = "x" };
	struct rows rs;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_days) / sizeof(*bad_days); i++) {
		b = spend(bad_days[i], "openai", "gpt-4o", 1);
		if (ledger__add_spend(l, &b) != -EINVAL)
			fail_msg("day \"%s\" accepted", bad_days[i]);
		if (ledger__spend(l, bad_days[i], NULL, NULL, NULL) != -EINVAL ||
		    ledger__spend(l, NULL, bad_days[i], NULL, NULL) != -EINVAL)
			fail_msg("range day \"%s\" accepted", bad_days[i]);
	}
	b = s;
	memset(b.day, '1', sizeof(b.day)); /* no NUL at all */
	assert_int_equal(ledger__add_spend(l, &b), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_costs) / sizeof(*bad_costs); i++) {
		b = s;
		b.cost_usd = bad_costs[i];
		assert_int_equal(ledger__add_spend(l, &b), -EINVAL);
	}
	b = s;
	b.output = LEDGER_TOKENS_MAX + 1;
	assert_int_equal(ledger__add_spend(l, &b), -EINVAL);
	b.output = UINT64_MAX;
	assert_int_equal(ledger__add_spend(l, &b), -EINVAL);
	b = s;
	b.source = NULL;
	assert_int_equal(ledger__add_spend(l, &b), -EINVAL);
	b.source = "guess";
	assert_int_equal(ledger__add_spend(l, &b), -EINVAL);
	assert_int_equal(ledger__add_spend(NULL, &s), -EINVAL);
	assert_int_equal(ledger__add_spend(l, NULL), -EINVAL);
	e.event = "";
	assert_int_equal(ledger__add_event(l, &e), -EINVAL);
	e.event = NULL;
	assert_int_equal(ledger__add_event(l, &e), -EINVAL);
	e.event = "x";
	memcpy(e.day, "2026-02-29", sizeof(e.day));
	assert_int_equal(ledger__add_event(l, &e), -EINVAL);
	assert_int_equal(ledger__add_event(l, NULL), -EINVAL);
	assert_int_equal(ledger__breakdown(l, NULL, LEDGER_DIM__COUNT, 0, collect, &rs), -EINVAL);
	assert_int_equal(ledger__breakdown(l, NULL, LEDGER_BY_DAY, 0, NULL, NULL), -EINVAL);
	assert_int_equal(ledger__breakdown(l, &(struct ledger_filter){ .to = "x" }, LEDGER_BY_DAY,
					   0, collect, &rs),
			 -EINVAL);
	assert_int_equal(ledger__active_days(l, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(ledger__event_counts(l, "2026-3-1", NULL, NULL, NULL), -EINVAL);
	/* nothing of that was stored; edge values that are valid are */
	expect_spend(l, NULL, NULL, 0, 0);
	b = s;
	b.cost_usd = 0;
	b.output = LEDGER_TOKENS_MAX;
	b.source = "api";
	b.provider = b.model = b.agent_type = b.service = NULL;
	memcpy(b.day, "2028-02-29", sizeof(b.day));
	add_ok(l, b);
	by(l, NULL, LEDGER_BY_MODEL, 0, &rs);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.key[0], ""); /* NULL stored as "" */
	assert_true(rs.r[0].output == LEDGER_TOKENS_MAX);
	expect_spend(l, NULL, NULL, 0, 1);
	ledger__close(l);
	errno = 0;
	assert_null(ledger__open(NULL, NULL, 0));
	assert_int_equal(errno, EINVAL);
}

static void test_text_cut(void **state)
{
	struct ledger *l = open_ok("cut.db");
	char longname[300], utf[LEDGER_TEXT_MAX + 8];
	struct ledger_filter f = { 0 };
	struct rows rs;

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	add_ok(l, spend("2026-03-01", longname, "m", 1));
	by(l, NULL, LEDGER_BY_PROVIDER, 0, &rs);
	assert_int_equal(strlen(rs.key[0]), LEDGER_TEXT_MAX);
	/* a filter with the uncut name finds the cut one */
	f.provider = longname;
	by(l, &f, LEDGER_BY_PROVIDER, 0, &rs);
	assert_int_equal(rs.n, 1);
	/* never half a UTF-8 character: "é" would straddle byte LEDGER_TEXT_MAX */
	memset(utf, 'b', LEDGER_TEXT_MAX - 1);
	strcpy(utf + LEDGER_TEXT_MAX - 1, "\xc3\xa9xyz");
	add_ok(l, spend("2026-03-01", "p", utf, 1));
	f = (struct ledger_filter){ .provider = "p" };
	by(l, &f, LEDGER_BY_MODEL, 0, &rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(strlen(rs.key[0]), LEDGER_TEXT_MAX - 1);
	/* exactly LEDGER_TEXT_MAX bytes with a whole "é" at the end stays whole */
	utf[LEDGER_TEXT_MAX - 2] = 'b';
	strcpy(utf + LEDGER_TEXT_MAX - 2, "\xc3\xa9");
	add_ok(l, spend("2026-03-01", "q", utf, 1));
	f.provider = "q";
	by(l, &f, LEDGER_BY_MODEL, 0, &rs);
	assert_int_equal(strlen(rs.key[0]), LEDGER_TEXT_MAX);
	assert_string_equal(rs.key[0], utf);
	ledger__close(l);
}

struct evs {
	size_t n;
	char line[8][96];
};

static int collect_event(void *arg, const struct ledger_event_count *c)
{
	struct evs *v = arg;

	assert_true(v->n < 8);
	snprintf(v->line[v->n++], sizeof(v->line[0]), "%s/%s/%s=%llu", c->event, c->category,
		 c->outcome, (unsigned long long)c->count);
	return 0;
}

static void add_event(struct ledger *l, const char *day, const char *ev, const char *cat,
		      const char *out)
{
	struct ledger_event e = {
		.ts_us = 1, .event = ev, .category = cat, .outcome = out, .service = "lab-api"
	};

	snprintf(e.day, sizeof(e.day), "%s", day);
	assert_int_equal(ledger__add_event(l, &e), 0);
}

static void test_events_and_days(void **state)
{
	struct ledger *l = open_ok("events.db");
	struct evs v = { 0 };
	uint64_t days = 99;

	(void)state;
	add_event(l, "2026-03-01", "experiment_completed", "experiment", "succeeded");
	add_event(l, "2026-03-01", "experiment_completed", "experiment", "succeeded");
	add_event(l, "2026-03-02", "experiment_failed", "experiment", "failed");
	add_event(l, "2026-03-05", "paper_published", "publication", "succeeded");
	add_event(l, "2026-03-05", "experiment_completed", "experiment", "succeeded");
	add_event(l, "2026-04-01", "experiment_completed", "experiment", "succeeded");
	add_ok(l, spend("2026-03-02", "openai", "gpt-4o", 1));
	add_ok(l, spend("2026-03-03", "openai", "gpt-4o", 1));
	add_ok(l, spend("2026-03-31", "openai", "gpt-4o", 1));

	assert_int_equal(ledger__event_counts(l, "2026-03-01", "2026-03-31", collect_event, &v), 0);
	assert_int_equal(v.n, 3);
	assert_string_equal(v.line[0], "experiment_completed/experiment/succeeded=3");
	assert_string_equal(v.line[1], "experiment_failed/experiment/failed=1");
	assert_string_equal(v.line[2], "paper_published/publication/succeeded=1");
	memset(&v, 0, sizeof(v));
	assert_int_equal(ledger__event_counts(l, "2026-03-02", "2026-03-04", collect_event, &v), 0);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.line[0], "experiment_failed/experiment/failed=1");

	/* events on 1, 2, 5; spend on 2, 3, 31: days 1, 2, 3, 5, 31 */
	assert_int_equal(ledger__active_days(l, "2026-03-01", "2026-03-31", &days), 0);
	assert_int_equal(days, 5);
	assert_int_equal(ledger__active_days(l, NULL, NULL, &days), 0);
	assert_int_equal(days, 6);
	assert_int_equal(ledger__active_days(l, "2026-03-06", "2026-03-30", &days), 0);
	assert_int_equal(days, 0);
	ledger__close(l);
}

static void test_reopen_keeps_everything(void **state)
{
	struct ledger *l = open_ok("reopen.db");
	uint64_t days;

	(void)state;
	for (int i = 0; i < 20; i++)
		add_ok(l,
		       spend(i < 10 ? "2026-03-01" : "2026-03-02", "openai", "gpt-4o", 0.125 * i));
	add_event(l, "2026-03-03", "e", "other", "other");
	ledger__close(l);
	for (int round = 0; round < 2; round++) {
		l = open_ok("reopen.db");
		expect_spend(l, NULL, NULL, 0.125 * 190, 20);
		expect_spend(l, "2026-03-02", NULL, 0.125 * 145, 10);
		assert_int_equal(ledger__active_days(l, NULL, NULL, &days), 0);
		assert_int_equal(days, 3);
		ledger__close(l);
	}
}

/*
 * A writer in another process that dies by SIGKILL right after its last
 * add returned: every add it saw succeed is there, for a reader that had
 * the file open all along and after a reopen.
 */
static void test_sigkill_writer(void **state)
{
	const int n = 40;
	struct ledger *l = open_ok("kill.db");
	int status;
	pid_t pid;

	(void)state;
	add_ok(l, spend("2026-03-01", "openai", "gpt-4o", 1));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the parent's connection is not touched here: a forked SQLite handle is unusable */
		struct ledger *c = ledger__open(path_of("kill.db"), NULL, 0);

		for (int i = 0; c && i < n; i++) {
			struct ledger_spend s = spend("2026-03-02", "anthropic", "claude", 0.5 * i);

			if (ledger__add_spend(c, &s))
				_exit(2);
		}
		if (c)
			raise(SIGKILL);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	expect_spend(l, "2026-03-02", "2026-03-02", 0.5 * (n * (n - 1) / 2), n);
	ledger__close(l);
	l = open_ok("kill.db");
	expect_spend(l, NULL, NULL, 1 + 0.5 * (n * (n - 1) / 2), n + 1);
	ledger__close(l);
}

struct writer {
	struct ledger *l;
	int id, failures;
};

static void *write_rows(void *arg)
{
	struct writer *w = arg;
	char key[32];

	for (int i = 0; i < 1000; i++) {
		struct ledger_spend s = spend(i % 2 ? "2026-03-01" : "2026-03-02", "openai",
					      w->id ? "a" : "b", 0.25);

		snprintf(key, sizeof(key), "t%d-%d", w->id, i);
		s.idem_key = key;
		w->failures += ledger__add_spend(w->l, &s) != 0;
		if (i % 100 == 0)
			w->failures += ledger__spend(w->l, NULL, NULL, NULL, NULL) != 0;
	}
	return NULL;
}

static void test_two_threads(void **state)
{
	struct ledger *l = open_ok("threads.db");
	struct writer w[2] = { { l, 0, 0 }, { l, 1, 0 } };
	pthread_t t[2];
	struct rows rs;

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, write_rows, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(w[0].failures + w[1].failures, 0);
	expect_spend(l, NULL, NULL, 500, 2000);
	by(l, NULL, LEDGER_BY_MODEL, 0, &rs);
	assert_int_equal(rs.n, 2);
	assert_true(rs.r[0].calls == 1000 && rs.r[1].calls == 1000);
	ledger__close(l);
}

static void write_file(const char *name, const void *data, size_t len)
{
	int fd = open(path_of(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void expect_refused(const char *name, int eno, const char *why_part)
{
	char err[256] = "";

	errno = 0;
	assert_null(ledger__open(path_of(name), err, sizeof(err)));
	assert_int_equal(errno, eno);
	if (!strstr(err, why_part) || !strstr(err, name))
		fail_msg("error \"%s\" lacks \"%s\" or the file name", err, why_part);
}

static void test_garbage_file(void **state)
{
	char junk[8192], back[8192];
	int fd;

	(void)state;
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)("hello, not a database\n"[i % 22]);
	write_file("junk.db", junk, sizeof(junk));
	expect_refused("junk.db", EINVAL, "not a SQLite database");
	/* and left as it was */
	fd = open(path_of("junk.db"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, back, sizeof(back)), (ssize_t)sizeof(back));
	close(fd);
	assert_memory_equal(junk, back, sizeof(junk));
	/* a short file starting like SQLite is still not one */
	write_file("short.db", "SQLite format 3\0garbage", 24);
	expect_refused("short.db", EINVAL, "not a SQLite database");
}

static void make_db(const char *name, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path_of(name), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_foreign_and_newer(void **state)
{
	(void)state;
	make_db("other.db", "CREATE TABLE notes(x)");
	expect_refused("other.db", EINVAL, "another program");
	make_db("otherapp.db", "PRAGMA application_id = 7");
	expect_refused("otherapp.db", EINVAL, "another program");
	ledger__close(open_ok("newer.db"));
	make_db("newer.db", "PRAGMA user_version = 2");
	expect_refused("newer.db", EINVAL, "newer than this build");
	/* an empty file is a new database */
	write_file("empty.db", "", 0);
	ledger__close(open_ok("empty.db"));
}

/* root writes through any mode bits, so the refusal is checked as nobody. */
static void test_read_only(void **state)
{
	struct ledger *l = open_ok("ro.db");
	int status;
	pid_t pid;

	(void)state;
	add_ok(l, spend("2026-03-01", "openai", "gpt-4o", 1));
	ledger__close(l);
	assert_int_equal(chmod(path_of("ro.db"), 0444), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[256] = "";

		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(3);
		errno = 0;
		l = ledger__open(path_of("ro.db"), err, sizeof(err));
		_exit(!l && errno == EROFS && strstr(err, "read-only") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	chmod(dir, 0700);
	chmod(path_of("ro.db"), 0644);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* still whole for a writer */
	l = open_ok("ro.db");
	expect_spend(l, NULL, NULL, 1, 1);
	ledger__close(l);
}

/* Another writer holds the lock past the busy timeout: -EIO, nothing lost, then it works. */
static void test_locked_is_eio(void **state)
{
	struct ledger *l = open_ok("locked.db");
	struct ledger_spend s = spend("2026-03-01", "openai", "gpt-4o", 1);
	sqlite3 *db;

	(void)state;
	add_ok(l, s);
	add_ok(l, s);
	assert_int_equal(sqlite3_open(path_of("locked.db"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(ledger__add_spend(l, &s), -EIO);
	expect_spend(l, NULL, NULL, 2, 2); /* WAL readers are not blocked */
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	add_ok(l, s);
	expect_spend(l, NULL, NULL, 3, 3);
	ledger__close(l);
}

/* Pages after the first overwritten: the schema still reads, the data does not. */
static void test_corrupt_is_eio(void **state)
{
	struct ledger *l = open_ok("corrupt.db");
	char junk[4096], err[256];
	struct rows rs;
	int fd;

	(void)state;
	for (int i = 0; i < 300; i++)
		add_ok(l, spend("2026-03-01", "openai", "gpt-4o", 1));
	ledger__close(l);
	memset(junk, 0xa5, sizeof(junk));
	fd = open(path_of("corrupt.db"), O_WRONLY);
	assert_true(fd >= 0);
	for (off_t off = 4096; off < 4096 * 8; off += 4096)
		assert_int_equal(pwrite(fd, junk, sizeof(junk), off), (ssize_t)sizeof(junk));
	close(fd);
	l = ledger__open(path_of("corrupt.db"), err, sizeof(err));
	if (!l) {
		print_message("corrupt file refused at open: %s\n", err);
		return;
	}
	assert_int_equal(ledger__spend(l, NULL, NULL, NULL, NULL), -EIO);
	assert_int_equal(ledger__breakdown(l, NULL, LEDGER_BY_DAY, 0, collect, &rs), -EIO);
	ledger__close(l);
}

/* The cost of one durable add (synchronous=FULL), for the comment in ledger.c; no limit. */
static void test_add_cost(void **state)
{
	struct ledger *l = open_ok("cost.db");
	struct timespec a, b;
	const int n = 200;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++)
		add_ok(l, spend("2026-03-01", "openai", "gpt-4o", 1));
	clock_gettime(CLOCK_MONOTONIC, &b);
	print_message("ledger__add_spend: %.0f us per add\n",
		      ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n /
			      1e3);
	ledger__close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schema_on_disk),
		cmocka_unit_test(test_sum_ranges),
		cmocka_unit_test(test_breakdown),
		cmocka_unit_test(test_dim_names),
		cmocka_unit_test(test_idempotency),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_text_cut),
		cmocka_unit_test(test_events_and_days),
		cmocka_unit_test(test_reopen_keeps_everything),
		cmocka_unit_test(test_sigkill_writer),
		cmocka_unit_test(test_two_threads),
		cmocka_unit_test(test_garbage_file),
		cmocka_unit_test(test_foreign_and_newer),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_locked_is_eio),
		cmocka_unit_test(test_corrupt_is_eio),
		cmocka_unit_test(test_add_cost),
	};

	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
