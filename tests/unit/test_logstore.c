// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * logstore and logs_api: add and query with every filter, pagination,
 * statistics, retention, export paging, restart, files that are not ours,
 * the queue-full drop count and the audit reserve, threads logging through
 * the sink while a reader queries, and the REST endpoints over a real
 * listener on 127.0.0.1 (400s naming the parameter, the streamed export,
 * the audit line of a REST write).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "log.h"
#include "logfmt.h"
#include "logs_api.h"
#include "logstore.h"
#include "metrics.h"

#define SEC 1000000000ll

static char dir[64], path[128];

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_logstore.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/logs.db", dir);
	log_set_level("error"); /* keep the test output readable */
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	log_set_sink(NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static struct logstore *open_store(uint64_t retention_ns, size_t queue)
{
	struct logstore_opts o = { .path = path,
				   .retention_ns = retention_ns,
				   .queue_bytes = queue };
	char err[256] = "";
	struct logstore *s = logstore__new(&o, err, sizeof(err));

	if (!s)
		fail_msg("logstore__new: %s", err);
	return s;
}

/* Adds one parsed message with the given time, level and category. */
static int add(struct logstore *s, int64_t ts, enum log_level l, enum log_category c,
	       const char *msg)
{
	static char arena[LOGFMT_ARENA_MAX];
	struct log_entry e = { .ts_ns = (uint64_t)ts, .level = l, .category = c, .pid = 77 };

	assert_int_equal(logfmt_parse(msg, strlen(msg), &e, arena, sizeof(arena)), 0);
	return logstore__add(s, &e);
}

struct rows {
	int n;
	int64_t id[LOGSTORE_LIMIT_MAX + 1];
	char msg[64][96];
	char fields[64][256];
};

static int collect(void *arg, const struct logstore_row *r)
{
	struct rows *rs = arg;

	if (rs->n < 64) {
		snprintf(rs->msg[rs->n], sizeof(rs->msg[0]), "%s", r->message);
		snprintf(rs->fields[rs->n], sizeof(rs->fields[0]), "%s", r->fields_json);
	}
	rs->id[rs->n++] = r->id;
	return 0;
}

static struct rows *query(struct logstore *s, const struct logstore_filter *f, size_t limit,
			  size_t offset)
{
	static struct rows rs;

	memset(&rs, 0, sizeof(rs));
	assert_int_equal(logstore__query(s, f, limit, offset, collect, &rs), 0);
	return &rs;
}

static uint64_t count(struct logstore *s, const struct logstore_filter *f)
{
	uint64_t n = 0;

	assert_int_equal(logstore__count(s, f, &n), 0);
	return n;
}

/* ---- store ---- */

static void fill_sample(struct logstore *s, int64_t t0)
{
	assert_int_equal(add(s, t0 + 1 * SEC, LOG_INFO, LOGC_SYSTEM, "cost engine ready models=3"),
			 0);
	assert_int_equal(add(s, t0 + 2 * SEC, LOG_WARN, LOGC_SECURITY,
			     "security event type=scanner source=10.0.0.9 count=20"),
			 0);
	assert_int_equal(add(s, t0 + 3 * SEC, LOG_ERROR, LOGC_SECURITY,
			     "security event type=sql_injection source=10.0.0.8"),
			 0);
	assert_int_equal(add(s, t0 + 4 * SEC, LOG_INFO, LOGC_AUDIT,
			     "config loaded file=/etc/x.yaml note=\"50% done_x\""),
			 0);
	assert_int_equal(add(s, t0 + 5 * SEC, LOG_DEBUG, LOGC_PERFORMANCE,
			     "slow render ms=500 note=500"),
			 0);
	assert_int_equal(add(s, t0 + 6 * SEC, LOG_WARN, LOGC_BUSINESS,
			     "budget status changed period=daily password=hunter2"),
			 0);
	assert_int_equal(logstore__flush(s), 0);
}

static void test_query_filters(void **state)
{
	struct logstore *s = open_store(0, 0);
	int64_t t0 = 1700000000 * SEC;
	struct logstore_filter f;
	const char *types[] = { "scanner", "auth_failure_burst", NULL };
	const char *bad_types[] = { "sc\"anner", NULL };
	struct rows *r;
	char long_text[LOGSTORE_TEXT_MAX + 2];

	(void)state;
	fill_sample(s, t0);
	logstore_filter_init(&f);
	r = query(s, &f, 100, 0);
	assert_int_equal(r->n, 6);
	assert_string_equal(r->msg[0], "budget status changed"); /* newest first */
	assert_string_equal(r->msg[5], "cost engine ready");
	assert_string_equal(r->fields[0], "{\"period\":\"daily\",\"password\":\"[REDACTED]\"}");
	assert_string_equal(r->fields[5], "{\"models\":3}");

	f.category = LOGC_SECURITY;
	assert_int_equal(count(s, &f), 2);
	f.types = types;
	r = query(s, &f, 100, 0);
	assert_int_equal(r->n, 1);
	assert_string_equal(r->msg[0], "security event");
	f.types = bad_types;
	assert_int_equal(logstore__count(s, &f, &(uint64_t){ 0 }), -EINVAL);

	logstore_filter_init(&f);
	f.min_level = LOG_WARN;
	assert_int_equal(count(s, &f), 3);
	f.min_level = LOG_ERROR;
	assert_int_equal(count(s, &f), 1);

	logstore_filter_init(&f);
	f.since_ns = t0 + 2 * SEC;
	f.until_ns = t0 + 4 * SEC;
	assert_int_equal(count(s, &f), 3);
	f.since_ns = t0 + 7 * SEC;
	f.until_ns = 0;
	assert_int_equal(count(s, &f), 0);

	/* text: substring of message or fields, wildcards literal, ASCII case-insensitive */
	logstore_filter_init(&f);
	f.text = "50%";
	assert_int_equal(count(s, &f), 1);
	f.text = "done_x";
	assert_int_equal(count(s, &f), 1);
	f.text = "done%x";
	assert_int_equal(count(s, &f), 0);
	f.text = "SECURITY EVENT";
	assert_int_equal(count(s, &f), 2);
	f.text = "10.0.0.9";
	assert_int_equal(count(s, &f), 1);
	f.text = "hunter2";
	assert_int_equal(count(s, &f), 0);
	f.text = "'); DROP TABLE entries; --";
	assert_int_equal(count(s, &f), 0);
	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	f.text = long_text;
	assert_int_equal(logstore__count(s, &f, &(uint64_t){ 0 }), -EINVAL);

	logstore_filter_init(&f);
	f.category = LOGC__COUNT;
	assert_int_equal(logstore__count(s, &f, &(uint64_t){ 0 }), -EINVAL);
	logstore_filter_init(&f);
	assert_int_equal(logstore__query(s, &f, 0, 0, collect, query(s, &f, 1, 0)), -EINVAL);
	assert_int_equal(logstore__query(s, &f, LOGSTORE_LIMIT_MAX + 1, 0, collect,
					 query(s, &f, 1, 0)),
			 -EINVAL);
	logstore__free(s);
}

static void test_pagination_and_export_pages(void **state)
{
	struct logstore *s = open_store(0, 0);
	int64_t t0 = now_ns() - 3600 * SEC, max_id = 0, after = 0;
	struct logstore_filter f;
	struct rows *r;
	int got = 0, pages = 0, n;

	(void)state;
	for (int i = 0; i < 250; i++)
		assert_int_equal(
			add(s, t0 + i * SEC, LOG_INFO, i % 2 ? LOGC_AUDIT : LOGC_SYSTEM, "row"), 0);
	assert_int_equal(logstore__flush(s), 0);
	logstore_filter_init(&f);
	r = query(s, &f, 10, 0);
	assert_int_equal(r->n, 10);
	assert_int_equal(r->id[0], 250);
	assert_int_equal(r->id[9], 241);
	r = query(s, &f, 10, 245);
	assert_int_equal(r->n, 5);
	assert_int_equal(r->id[4], 1);
	r = query(s, &f, 10, 1000);
	assert_int_equal(r->n, 0);

	/* pages oldest first up to a fixed max id: later rows are not exported */
	assert_int_equal(logstore__max_id(s, &max_id), 0);
	assert_int_equal(max_id, 250);
	assert_int_equal(add(s, t0, LOG_INFO, LOGC_AUDIT, "after the export began"), 0);
	assert_int_equal(logstore__flush(s), 0);
	f.category = LOGC_AUDIT;
	do {
		static struct rows page;

		memset(&page, 0, sizeof(page));
		n = logstore__page(s, &f, after, max_id, 40, collect, &page);
		assert_true(n >= 0);
		for (int i = 0; i < n; i++) {
			assert_true(page.id[i] > after);
			assert_int_equal(page.id[i] % 2, 0); /* audit rows were the odd i */
			after = page.id[i];
		}
		got += n;
		pages++;
	} while (n == 40);
	assert_int_equal(got, 125);
	assert_int_equal(pages, 4);
	assert_int_equal(logstore__page(s, &f, 0, max_id, 0, collect, NULL), -EINVAL);
	logstore__free(s);
}

static void test_statistics(void **state)
{
	struct logstore *s = open_store(0, 0);
	int64_t t0 = 1700000000 * SEC;
	struct logstore_stats st;

	(void)state;
	fill_sample(s, t0);
	assert_int_equal(logstore__stats(s, 0, 0, &st), 0);
	assert_int_equal(st.total, 6);
	assert_int_equal(st.by[LOGC_SECURITY][LOG_WARN], 1);
	assert_int_equal(st.by[LOGC_SECURITY][LOG_ERROR], 1);
	assert_int_equal(st.by[LOGC_PERFORMANCE][LOG_DEBUG], 1);
	assert_int_equal(st.by[LOGC_SYSTEM][LOG_INFO], 1);
	assert_int_equal(st.oldest_ns, t0 + SEC);
	assert_int_equal(st.newest_ns, t0 + 6 * SEC);
	assert_int_equal(logstore__stats(s, t0 + 3 * SEC, t0 + 5 * SEC, &st), 0);
	assert_int_equal(st.total, 3);
	assert_int_equal(st.by[LOGC_SECURITY][LOG_WARN], 0);
	assert_int_equal(logstore__stats(s, t0 + 7 * SEC, 0, &st), 0);
	assert_int_equal(st.total, 0);
	assert_int_equal(st.oldest_ns, 0);
	assert_int_equal(logstore__stats(s, -1, 0, &st), -EINVAL);
	logstore__free(s);
}

static void test_retention(void **state)
{
	struct logstore *s = open_store(3600 * SEC, 0);
	int64_t t0 = 1700000000 * SEC;
	struct logstore_filter f;
	struct logstore_counters c;

	(void)state;
	for (int i = 0; i < 12000; i++) /* more than two delete batches */
		assert_int_equal(add(s, t0 + i * (SEC / 1000), LOG_INFO, LOGC_SYSTEM, "old"), 0);
	assert_int_equal(add(s, t0 + 3600 * SEC, LOG_INFO, LOGC_SYSTEM, "edge"), 0);
	assert_int_equal(add(s, t0 + 7200 * SEC, LOG_INFO, LOGC_SYSTEM, "new"), 0);
	assert_int_equal(logstore__flush(s), 0);
	logstore_filter_init(&f);
	assert_int_equal(count(s, &f), 12002);
	/* now = t0 + 2 h: everything before t0 + 1 h goes, the entry at exactly 1 h stays */
	assert_int_equal(logstore__sweep(s, (uint64_t)(t0 + 7200 * SEC)), 12000);
	assert_int_equal(count(s, &f), 2);
	assert_int_equal(logstore__sweep(s, (uint64_t)(t0 + 7200 * SEC)), 0);
	logstore__counters(s, &c);
	assert_int_equal(c.swept, 12000);
	assert_int_equal(c.written, 12002);
	logstore__free(s);

	s = open_store(0, 0); /* no retention: sweep keeps all */
	assert_int_equal(logstore__sweep(s, UINT64_MAX), 0);
	assert_int_equal(count(s, &f), 2);
	logstore__free(s);
}

static void test_restart_and_foreign_files(void **state)
{
	struct logstore *s = open_store(0, 0);
	struct logstore_opts o = { .path = path };
	struct logstore_filter f;
	char err[256], other[160];
	sqlite3 *db;
	FILE *fp;

	(void)state;
	assert_int_equal(add(s, now_ns(), LOG_INFO, LOGC_AUDIT, "kept across restart k=v"), 0);
	logstore__free(s); /* no flush: free commits what is queued */
	s = open_store(0, 0);
	logstore_filter_init(&f);
	f.category = LOGC_AUDIT;
	assert_int_equal(count(s, &f), 1);
	assert_int_equal(add(s, now_ns(), LOG_INFO, LOGC_AUDIT, "second run"), 0);
	assert_int_equal(logstore__flush(s), 0);
	assert_int_equal(count(s, &f), 2);
	logstore__free(s);

	snprintf(other, sizeof(other), "%s/junk.db", dir);
	fp = fopen(other, "w");
	assert_non_null(fp);
	fputs("this is not a database, just text that is long enough to have a header........"
	      "................................................................................",
	      fp);
	fclose(fp);
	o.path = other;
	assert_null(logstore__new(&o, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);

	snprintf(other, sizeof(other), "%s/other.db", dir);
	assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x); PRAGMA application_id = 7", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_null(logstore__new(&o, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "not a log store"));

	o.path = NULL;
	assert_null(logstore__new(&o, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	logstore__free(NULL);
}

static void test_queue_full(void **state)
{
	struct logstore *s = open_store(0, LOGSTORE_QUEUE_MIN);
	struct logstore_counters c;
	struct logstore_filter f;
	sqlite3 *blocker;
	int ok = 0, refused = 0, audit_ok = 0;

	(void)state;
	/* a write lock held elsewhere keeps the writer from draining the queue */
	assert_int_equal(sqlite3_open(path, &blocker), SQLITE_OK);
	assert_int_equal(sqlite3_exec(blocker, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < 3000; i++) {
		int rc = add(s, now_ns(), LOG_INFO, LOGC_SYSTEM, "filler entry n=1 pad=xxxxxxxx");

		assert_true(rc == 0 || rc == -ENOSPC);
		ok += rc == 0;
		if (rc == -ENOSPC && !refused++) /* the audit trail has room a bit longer */
			audit_ok += add(s, now_ns(), LOG_INFO, LOGC_AUDIT, "audit still fits") == 0;
	}
	assert_true(refused > 0);
	assert_int_equal(audit_ok, 1);
	logstore__counters(s, &c);
	assert_int_equal(c.dropped, (uint64_t)refused);
	assert_int_equal(logstore__dropped(s), (uint64_t)refused);
	assert_int_equal(c.queued, (uint64_t)(ok + audit_ok));
	sqlite3_exec(blocker, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(blocker);
	assert_int_equal(logstore__flush(s), 0);
	logstore_filter_init(&f);
	assert_int_equal(count(s, &f), (uint64_t)(ok + audit_ok));
	logstore__counters(s, &c);
	assert_int_equal(c.written, (uint64_t)(ok + audit_ok));
	assert_int_equal(c.failed, 0);
	assert_int_equal(logstore__add(s, NULL), -EINVAL);
	logstore__free(s);
}

#define WRITERS 4
#define PER_WRITER 2000

static void *writer_thread(void *arg)
{
	long id = (long)(intptr_t)arg;

	for (int i = 0; i < PER_WRITER; i++)
		log_cat(LOG_ERROR, LOGC_PERFORMANCE, "load thread=%ld i=%d", id, i);
	return NULL;
}

static void test_concurrent_sink(void **state)
{
	struct logstore *s = open_store(0, 0);
	pthread_t t[WRITERS];
	struct logstore_filter f;
	struct logstore_counters c;
	uint64_t last = 0, n;

	(void)state;
	assert_int_equal(log_setup("json", "/dev/null"), 0);
	log_set_sink(logstore__sink, s);
	for (long i = 0; i < WRITERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, writer_thread, (void *)(intptr_t)i),
				 0);
	logstore_filter_init(&f);
	f.category = LOGC_PERFORMANCE;
	for (int i = 0; i < 50; i++) { /* a reader while they write: counts only grow */
		n = count(s, &f);
		assert_true(n >= last);
		last = n;
		query(s, &f, 100, 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	log_set_sink(NULL, NULL);
	log_setup("text", NULL);
	assert_int_equal(logstore__flush(s), 0);
	logstore__counters(s, &c);
	assert_int_equal(count(s, &f) + c.dropped, WRITERS * PER_WRITER);
	f.text = "\"i\":1999"; /* text matches the fields as stored JSON */
	if (!c.dropped)
		assert_int_equal(count(s, &f), WRITERS);
	logstore__free(s);
}

/* ---- REST ---- */

struct http {
	unsigned status;
	char *body;
};

static int api_port;

static struct api *start_api(struct logstore *s, struct metrics **m)
{
	size_t n;
	const struct api_route *routes = logs_api__routes(s, &n);
	char listen[32], err[128];
	struct api *a = NULL;

	*m = metrics__new(100);
	assert_non_null(*m);
	for (int i = 0; i < 50 && !a; i++) {
		api_port = 20000 + (int)((getpid() * 7 + i * 131) % 30000);
		snprintf(listen, sizeof(listen), "127.0.0.1:%d", api_port);
		a = api__start(listen, *m, NULL, NULL, routes, n, err, sizeof(err));
	}
	assert_non_null(a);
	return a;
}

/* One HTTP/1.0 exchange: the body is everything after the head (the server closes). */
static struct http request(const char *method, const char *target)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)api_port) };
	struct http h = { 0, NULL };
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap), req[1024], *body;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t n;

	assert_non_null(buf);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		     method, target);
	assert_int_equal(write(fd, req, (size_t)n), n);
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 1024) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	close(fd);
	buf[len] = '\0';
	assert_int_equal(sscanf(buf, "HTTP/1.%*d %u", &h.status), 1);
	body = strstr(buf, "\r\n\r\n");
	assert_non_null(body);
	h.body = strdup(body + 4);
	free(buf);
	return h;
}

static json_t *get_json(const char *target, unsigned want_status)
{
	struct http h = request("GET", target);
	json_error_t err;
	json_t *j = json_loads(h.body, 0, &err);

	if (h.status != want_status)
		fail_msg("GET %s: %u, want %u: %s", target, h.status, want_status, h.body);
	if (!j)
		fail_msg("GET %s: not JSON (%s): %.200s", target, err.text, h.body);
	free(h.body);
	return j;
}

/* A 400 whose error names the parameter. */
static void bad_request(const char *target, const char *param)
{
	json_t *j = get_json(target, 400);
	const char *msg = json_string_value(json_object_get(j, "error"));

	if (!msg || !strstr(msg, param))
		fail_msg("GET %s: error \"%s\" does not name '%s'", target, msg ? msg : "", param);
	json_decref(j);
}

static void test_rest(void **state)
{
	struct logstore *s = open_store(0, 0);
	struct metrics *m;
	struct api *a = start_api(s, &m);
	int64_t t = now_ns() - 30 * SEC;
	json_t *j, *e;

	(void)state;
	assert_int_equal(add(s, t, LOG_WARN, LOGC_SECURITY,
			     "security event type=scanner source=10.0.0.9 detail=404x20"),
			 0);
	assert_int_equal(add(s, t + SEC, LOG_WARN, LOGC_SECURITY,
			     "security event type=auth_failure_burst source=10.0.0.7"),
			 0);
	assert_int_equal(add(s, t + 2 * SEC, LOG_WARN, LOGC_SECURITY,
			     "security event type=sql_injection source=10.0.0.8"),
			 0);
	assert_int_equal(add(s, t - 7200 * SEC, LOG_WARN, LOGC_SECURITY,
			     "security event type=scanner source=old"),
			 0);
	assert_int_equal(add(s, t + 3 * SEC, LOG_INFO, LOGC_SYSTEM, "ready \xff ok=1"), 0);
	assert_int_equal(logstore__flush(s), 0);

	j = get_json("/logs", 200);
	assert_int_equal(json_integer_value(json_object_get(j, "total")), 5);
	assert_int_equal(json_integer_value(json_object_get(j, "limit")), 100);
	e = json_array_get(json_object_get(j, "entries"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "message")), "ready \xef\xbf\xbd");
	assert_string_equal(json_string_value(json_object_get(e, "level")), "info");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "fields"), "ok")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(e, "pid")), 77);
	json_decref(j);

	j = get_json("/logs?category=security&level=warn&limit=2&offset=1&text=source", 200);
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "total")), 4);
	e = json_array_get(json_object_get(j, "entries"), 0);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(e, "fields"), "type")),
		"auth_failure_burst");
	json_decref(j);

	j = get_json("/logs?since=2000-01-01T00:00:00Z&until=4102444800&text=10.0.0.9", 200);
	assert_int_equal(json_integer_value(json_object_get(j, "total")), 1);
	json_decref(j);

	j = get_json("/logs/alerts?minutes=60", 200);
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 2);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(j, "by_type"), "scanner")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "by_type"),
							    "data_exfiltration")),
			 0);
	json_decref(j);
	j = get_json("/logs/alerts?minutes=10080", 200);
	assert_int_equal(json_integer_value(json_object_get(j, "total")), 3);
	json_decref(j);

	j = get_json("/logs/statistics", 200);
	assert_int_equal(json_integer_value(json_object_get(j, "total")), 5); /* 24 h window */
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(j, "by_category"), "security")),
		4);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(j, "by_level"), "info")), 1);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(j, "store"), "written")), 5);
	json_decref(j);
	j = get_json("/logs/statistics?since=0", 200);
	json_decref(j);

	bad_request("/logs?bogus=1", "bogus");
	bad_request("/logs?category=nope", "category");
	bad_request("/logs?level=loud", "level");
	bad_request("/logs?limit=0", "limit");
	bad_request("/logs?limit=1001", "limit");
	bad_request("/logs?limit=1x", "limit");
	bad_request("/logs?offset=-1", "offset");
	bad_request("/logs?since=yesterday", "since");
	bad_request("/logs?until=2025-02-30T00:00:00Z", "until");
	bad_request("/logs?since=2000&until=1000", "since");
	bad_request("/logs?text=", "text");
	bad_request("/logs/alerts?minutes=0", "minutes");
	bad_request("/logs/alerts?minutes=10081", "minutes");
	bad_request("/logs/alerts?category=audit", "category");
	bad_request("/logs/statistics?limit=1", "limit");
	bad_request("/logs/export?limit=5", "limit");
	bad_request("/logs/export?offset=5", "offset");
	bad_request("/logs/export?level=x", "level");

	api__stop(a);
	metrics__free(m);
	logstore__free(s);
}

static void test_rest_export_and_audit(void **state)
{
	struct logstore *s = open_store(0, 0);
	struct metrics *m;
	struct api *a = start_api(s, &m);
	int64_t t = now_ns() - 3600 * SEC;
	struct http h;
	json_t *j;
	size_t i;

	(void)state;
	for (int k = 0; k < 1050; k++)
		assert_int_equal(add(s, t + k, LOG_INFO, k % 3 ? LOGC_SYSTEM : LOGC_AUDIT,
				     "row k=1 pad=\"a fairly long value to make pages bigger\""),
				 0);
	assert_int_equal(logstore__flush(s), 0);

	j = get_json("/logs/export", 200);
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), 1050);
	for (i = 1; i < json_array_size(j); i++) /* oldest first, each once */
		assert_int_equal(
			json_integer_value(json_object_get(json_array_get(j, i), "id")),
			json_integer_value(json_object_get(json_array_get(j, i - 1), "id")) + 1);
	json_decref(j);
	j = get_json("/logs/export?category=audit&text=fairly", 200);
	assert_int_equal(json_array_size(j), 350);
	json_decref(j);
	j = get_json("/logs/export?category=business", 200);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);

	/* a REST write lands in the audit trail, refused or not */
	log_set_level("error");
	log_set_sink(logstore__sink, s);
	h = request("POST", "/logs?x=1");
	assert_int_equal(h.status, 405);
	free(h.body);
	h = request("DELETE", "/nowhere");
	assert_int_equal(h.status, 404);
	free(h.body);
	log_set_sink(NULL, NULL);
	assert_int_equal(logstore__flush(s), 0);
	j = get_json("/logs?category=audit&text=api%20write", 200);
	assert_int_equal(json_integer_value(json_object_get(j, "total")), 2);
	{
		json_t *f =
			json_object_get(json_array_get(json_object_get(j, "entries"), 1), "fields");

		assert_string_equal(json_string_value(json_object_get(f, "method")), "POST");
		assert_string_equal(json_string_value(json_object_get(f, "path")), "/logs");
		assert_int_equal(json_integer_value(json_object_get(f, "status")), 405);
		assert_string_equal(json_string_value(json_object_get(f, "source")), "127.0.0.1");
	}
	json_decref(j);

	api__stop(a);
	metrics__free(m);
	logstore__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_query_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pagination_and_export_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statistics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_and_foreign_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_sink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rest_export_and_audit, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
