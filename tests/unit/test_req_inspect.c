// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * req_inspect: served-request bytes gathered from BT_EV_REQHEAD records,
 * split anywhere, and the parts the request detectors read (target,
 * selected headers never holding Authorization, Content-Type, the body
 * de-chunked and inflated). Also the table's edges: unknown and evicted
 * connections, lost bytes, garbage, pipelining and the byte budget, and
 * one pass through http_threat_scan as observe.c does it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "http_threat.h"
#include "req_inspect.h"

static struct bt_reqhead_record rec;

/* One record of len bytes (at most BT_REQHEAD_MAX of them copied). */
static void feed_n(struct req_inspect *ri, uint64_t conn, uint8_t flags, const void *p, size_t n)
{
	memset(&rec, 0, sizeof(rec));
	rec.conn_id = conn;
	rec.flags = flags;
	rec.len = (uint32_t)n;
	memcpy(rec.data, p, n < BT_REQHEAD_MAX ? n : BT_REQHEAD_MAX);
	req_inspect__data(ri, &rec);
}

static void feed(struct req_inspect *ri, uint64_t conn, uint8_t flags, const char *s)
{
	feed_n(ri, conn, flags, s, strlen(s));
}

/* A request cut into records of at most step bytes, the first flagged FIRST. */
static void feed_steps(struct req_inspect *ri, uint64_t conn, const void *p, size_t n, size_t step)
{
	const uint8_t *b = p;

	for (size_t off = 0; off < n; off += step)
		feed_n(ri, conn, off ? 0 : BT_DATA_FIRST, b + off, n - off < step ? n - off : step);
}

static void mem_eq(const char *got, size_t got_len, const char *want)
{
	assert_non_null(got);
	assert_int_equal(got_len, strlen(want));
	assert_memory_equal(got, want, got_len);
}

static void stats_eq(const struct req_inspect *ri, uint64_t seen, uint64_t no_bytes,
		     uint64_t evicted, uint64_t not_http)
{
	assert_int_equal(req_inspect__stat(ri, REQ_INSPECT_SEEN), seen);
	assert_int_equal(req_inspect__stat(ri, REQ_INSPECT_NO_BYTES), no_bytes);
	assert_int_equal(req_inspect__stat(ri, REQ_INSPECT_EVICTED), evicted);
	assert_int_equal(req_inspect__stat(ri, REQ_INSPECT_NOT_HTTP), not_http);
}

static const char full_req[] = "POST /search?q=abc HTTP/1.1\r\n"
			       "Host: shop.example\r\n"
			       "Origin: https://o.example\r\n"
			       "Authorization: Bearer top-secret-token\r\n"
			       "X-Real-IP: 10.0.0.9\r\n"
			       "cookie: sid=42; theme=dark\r\n"
			       "Accept: */*\r\n"
			       "X-Forwarded-For: 1.2.3.4, 10.0.0.1\r\n"
			       "REFERER: https://r.example/page\r\n"
			       "User-Agent:   curl/8.5.0  \r\n"
			       "X-Api-Key: another-secret\r\n"
			       "Content-Type: application/x-www-form-urlencoded\r\n"
			       "Content-Length: 7\r\n"
			       "\r\n"
			       "a=1&b=2";

static void check_full(const struct req_view *v)
{
	static const char *const want[] = {
		"curl/8.5.0", "https://r.example/page", "sid=42; theme=dark", "1.2.3.4, 10.0.0.1",
		"10.0.0.9",   "https://o.example",
	};

	mem_eq(v->target, v->target_len, "/search?q=abc");
	assert_non_null(v->content_type);
	assert_string_equal(v->content_type, "application/x-www-form-urlencoded");
	mem_eq(v->body, v->body_len, "a=1&b=2");
	for (size_t i = 0; i < REQ_INSPECT_HEADERS; i++) {
		assert_non_null(v->header_values[i]);
		assert_string_equal(v->header_values[i], want[i]);
	}
	assert_null(v->header_values[REQ_INSPECT_HEADERS]);
	assert_ptr_equal(v->user_agent, v->header_values[0]);
}

/* No header value may hold a credential or a header not asked for. */
static void check_no_secret(const struct req_view *v)
{
	for (size_t i = 0; v->header_values[i]; i++) {
		assert_null(strstr(v->header_values[i], "secret"));
		assert_null(strstr(v->header_values[i], "Bearer"));
		assert_string_not_equal(v->header_values[i], "shop.example");
		assert_string_not_equal(v->header_values[i], "*/*");
	}
}

static void test_one_record(void **state)
{
	struct req_inspect *ri = req_inspect__new(64, BT_INSPECT_MAX);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	feed(ri, 11, BT_DATA_FIRST, full_req);
	assert_true(req_inspect__take(ri, 11, &v));
	check_full(&v);
	check_no_secret(&v);
	stats_eq(ri, 1, 0, 0, 0);
	req_inspect__free(ri);
}

/* Missing and empty headers leave no hole: the list stays in order and NULL-terminated. */
static void test_some_headers(void **state)
{
	struct req_inspect *ri = req_inspect__new(64, BT_INSPECT_MAX);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	feed(ri, 3, BT_DATA_FIRST,
	     "GET /x HTTP/1.1\r\nOrigin: o\r\nReferer:\r\nUser-Agent:  \r\n"
	     "Authorization: Basic c2VjcmV0\r\nCookie: c=1\r\nCookie: c=2\r\n\r\n");
	assert_true(req_inspect__take(ri, 3, &v));
	mem_eq(v.target, v.target_len, "/x");
	assert_null(v.content_type);
	assert_null(v.body);
	assert_int_equal(v.body_len, 0);
	assert_string_equal(v.header_values[0], "c=1"); /* the first Cookie line */
	assert_string_equal(v.header_values[1], "o");
	assert_null(v.header_values[2]);
	assert_null(v.user_agent); /* blank: not handed out */

	/* only Authorization: nothing handed out */
	feed(ri, 3, BT_DATA_FIRST, "GET / HTTP/1.1\r\nAuthorization: Bearer secret\r\n\r\n");
	assert_true(req_inspect__take(ri, 3, &v));
	mem_eq(v.target, v.target_len, "/");
	assert_null(v.header_values[0]);
	stats_eq(ri, 2, 0, 0, 0);
	req_inspect__free(ri);
}

static void test_split_records(void **state)
{
	struct req_inspect *ri = req_inspect__new(64, BT_INSPECT_MAX);
	size_t n = strlen(full_req), hdr = (size_t)(strstr(full_req, "\r\n\r\n") + 4 - full_req);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	/* headers in one record, the body in a later one */
	feed_n(ri, 5, BT_DATA_FIRST, full_req, hdr);
	feed_n(ri, 5, 0, full_req + hdr, n - hdr);
	assert_true(req_inspect__take(ri, 5, &v));
	check_full(&v);
	check_no_secret(&v);

	/* cut everywhere, a few bytes at a time, with another conn in between */
	for (size_t step = 1; step <= 13; step += 3) {
		for (size_t off = 0; off < n; off += step) {
			size_t k = n - off < step ? n - off : step;

			feed_n(ri, 5, off ? 0 : BT_DATA_FIRST, full_req + off, k);
			feed(ri, 6, off ? 0 : BT_DATA_FIRST,
			     off ? "X-A: b\r\n" : "GET /six HTTP/1.1\r\n");
		}
		assert_true(req_inspect__take(ri, 5, &v));
		check_full(&v);
		assert_true(req_inspect__take(ri, 6, &v));
		assert_int_equal(v.target_len, 4);
	}
	stats_eq(ri, 11, 0, 0, 0);
	req_inspect__free(ri);
}

/* A record of a request whose start was not kept is dropped. */
static void test_not_first_ignored(void **state)
{
	struct req_inspect *ri = req_inspect__new(1, BT_INSPECT_MAX);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	feed(ri, 7, 0, "GET /late HTTP/1.1\r\n\r\n");
	assert_false(req_inspect__take(ri, 7, &v));
	assert_null(v.target);
	stats_eq(ri, 0, 1, 0, 0);

	/* a stray record of another conn does not land in the held request */
	feed(ri, 8, BT_DATA_FIRST, "GET /eight HTTP/1.1\r\n");
	feed(ri, 9, 0, "X-Injected: 1\r\nCookie: stolen\r\n");
	feed(ri, 8, 0, "Cookie: mine\r\n\r\n");
	assert_true(req_inspect__take(ri, 8, &v));
	mem_eq(v.target, v.target_len, "/eight");
	assert_string_equal(v.header_values[0], "mine");
	assert_null(v.header_values[1]);
	stats_eq(ri, 1, 1, 0, 0);
	req_inspect__free(ri);
}

/* BT_DATA_FIRST on a followed conn: the next request on a kept-alive connection. */
static void test_first_restarts(void **state)
{
	struct req_inspect *ri = req_inspect__new(8, BT_INSPECT_MAX);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	feed(ri, 4, BT_DATA_FIRST, "POST /old HTTP/1.1\r\nCookie: old=1\r\nContent-Length: 50\r\n");
	feed(ri, 4, BT_DATA_FIRST, "GET /new HTTP/1.1\r\n");
	feed(ri, 4, 0, "User-Agent: ua\r\n\r\n");
	assert_true(req_inspect__take(ri, 4, &v));
	mem_eq(v.target, v.target_len, "/new");
	assert_string_equal(v.header_values[0], "ua");
	assert_null(v.header_values[1]);
	assert_null(v.body);
	stats_eq(ri, 1, 0, 0, 0);
	req_inspect__free(ri);
}

static void test_lost(void **state)
{
	struct req_inspect *ri = req_inspect__new(8, BT_INSPECT_MAX);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	feed(ri, 1, BT_DATA_FIRST, "POST /a HTTP/1.1\r\nContent-Length: 4\r\n\r\n");
	feed(ri, 1, BT_DATA_LOST, "abcd");
	assert_false(req_inspect__take(ri, 1, &v));
	assert_null(v.target);
	assert_null(v.header_values[0]);
	stats_eq(ri, 0, 1, 0, 0);
	/* forgotten: nothing on a second take */
	assert_false(req_inspect__take(ri, 1, &v));
	stats_eq(ri, 0, 2, 0, 0);

	/* the first record itself says bytes before it were lost */
	feed(ri, 2, BT_DATA_FIRST | BT_DATA_LOST, "GET /b HTTP/1.1\r\n\r\n");
	assert_false(req_inspect__take(ri, 2, &v));
	stats_eq(ri, 0, 3, 0, 0);

	/* a later FIRST starts clean */
	feed(ri, 2, BT_DATA_FIRST, "GET /c HTTP/1.1\r\n\r\n");
	assert_true(req_inspect__take(ri, 2, &v));
	mem_eq(v.target, v.target_len, "/c");
	stats_eq(ri, 1, 3, 0, 0);
	req_inspect__free(ri);
}

static void test_unknown_take(void **state)
{
	struct req_inspect *ri = req_inspect__new(16, BT_INSPECT_MAX);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	memset(&v, 0xa5, sizeof(v));
	assert_false(req_inspect__take(ri, 12345, &v));
	assert_null(v.target);
	assert_int_equal(v.target_len, 0);
	assert_null(v.content_type);
	assert_null(v.body);
	assert_null(v.header_values[0]);
	stats_eq(ri, 0, 1, 0, 0);
	/* an empty FIRST record keeps nothing */
	feed_n(ri, 9, BT_DATA_FIRST, "", 0);
	assert_false(req_inspect__take(ri, 9, &v));
	stats_eq(ri, 0, 2, 0, 0);
	req_inspect__free(ri);
}

static void test_evict(void **state)
{
	struct req_inspect *ri = req_inspect__new(1, BT_INSPECT_MAX);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	feed(ri, 100, BT_DATA_FIRST, "GET /first HTTP/1.1\r\nCookie: a=1\r\n");
	feed(ri, 200, BT_DATA_FIRST, "GET /second HTTP/1.1\r\n");
	stats_eq(ri, 0, 0, 1, 0);
	/* the evicted conn's later bytes are not appended to the newcomer's */
	feed(ri, 100, 0, "Cookie: evil\r\n\r\n");
	feed(ri, 200, 0, "Referer: r\r\n\r\n");
	assert_false(req_inspect__take(ri, 100, &v));
	stats_eq(ri, 0, 1, 1, 0);
	assert_true(req_inspect__take(ri, 200, &v));
	mem_eq(v.target, v.target_len, "/second");
	assert_string_equal(v.header_values[0], "r");
	assert_null(v.header_values[1]);
	stats_eq(ri, 1, 1, 1, 0);

	/* the slot is free again: no eviction for the next conn */
	feed(ri, 300, BT_DATA_FIRST, "GET /third HTTP/1.1\r\n\r\n");
	stats_eq(ri, 1, 1, 1, 0);
	assert_true(req_inspect__take(ri, 300, &v));
	req_inspect__free(ri);
}

static void test_garbage(void **state)
{
	static const uint8_t junk[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01,
					0xfc, 0x03, 0x03, 0xff, 0x00, 0x0a, 0x0d, 0x0a };
	static const char *const texts[] = {
		"HELLO\r\n\r\n",
		"GET\r\n\r\n",
		"\x01\x02\x03 / HTTP/1.1\r\n\r\n",
		"GET / HTTP/9.9\r\n\r\n",
	};
	struct req_inspect *ri = req_inspect__new(4, BT_INSPECT_MAX);
	struct req_view v;
	uint64_t n = 0;

	(void)state;
	assert_non_null(ri);
	feed_n(ri, 1, BT_DATA_FIRST, junk, sizeof(junk));
	assert_false(req_inspect__take(ri, 1, &v));
	assert_null(v.target);
	assert_null(v.header_values[0]);
	stats_eq(ri, 0, 0, 0, ++n);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		feed(ri, 2, BT_DATA_FIRST, texts[i]);
		if (req_inspect__take(ri, 2, &v))
			fail_msg("\"%s\" read as a request", texts[i]);
		stats_eq(ri, 0, 0, 0, ++n);
	}
	/* the bytes were forgotten */
	assert_false(req_inspect__take(ri, 2, &v));
	stats_eq(ri, 0, 1, 0, n);
	req_inspect__free(ri);
}

/* The kernel's record keeps 128 bytes of target; the inspected bytes keep it all. */
static void test_long_target(void **state)
{
	struct req_inspect *ri = req_inspect__new(8, BT_INSPECT_MAX);
	char target[701], req[1024];
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	target[0] = '/';
	for (size_t i = 1; i < sizeof(target) - 1; i++)
		target[i] = (char)('a' + i % 26);
	target[sizeof(target) - 1] = '\0';
	memcpy(target + 600, "?q=end", 6);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", target);
	feed_steps(ri, 1, req, strlen(req), 100);
	assert_true(req_inspect__take(ri, 1, &v));
	mem_eq(v.target, v.target_len, target);
	assert_int_equal(v.target_len, 700);
	req_inspect__free(ri);
}

static void test_chunked(void **state)
{
	static const char req[] = "POST /c HTTP/1.1\r\n"
				  "Transfer-Encoding: chunked\r\n"
				  "Content-Type: text/plain\r\n\r\n"
				  "5\r\nhello\r\n"
				  "6;ext=1\r\n world\r\n"
				  "a\r\n, chunked!\r\n"
				  "0\r\n\r\n";
	struct req_inspect *ri = req_inspect__new(8, BT_INSPECT_MAX);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	for (size_t step = 1; step <= sizeof(req); step += 7) {
		feed_steps(ri, 77, req, strlen(req), step);
		assert_true(req_inspect__take(ri, 77, &v));
		mem_eq(v.body, v.body_len, "hello world, chunked!");
		assert_string_equal(v.content_type, "text/plain");
	}
	/* cut inside the second chunk: what arrived, de-chunked */
	feed_n(ri, 77, BT_DATA_FIRST, req, (size_t)(strstr(req, "orld") - req));
	assert_true(req_inspect__take(ri, 77, &v));
	mem_eq(v.body, v.body_len, "hello w");
	req_inspect__free(ri);
}

static void *gzip_of(const char *s, size_t n, size_t *out_len)
{
	z_stream z = { 0 };
	size_t cap = compressBound(n) + 64;
	unsigned char *o = malloc(cap);

	assert_non_null(o);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (unsigned char *)(uintptr_t)s;
	z.avail_in = (uInt)n;
	z.next_out = o;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	return o;
}

/* Headers, then a body of n bytes, into one buffer; returns its length. */
static size_t build(char *buf, size_t cap, const char *head, const void *body, size_t n)
{
	size_t h = strlen(head);

	assert_true(h + n <= cap);
	memcpy(buf, head, h);
	memcpy(buf + h, body, n);
	return h + n;
}

static void test_gzip(void **state)
{
	static const char plain[] =
		"{\"query\":\"select name from items where id = 1\","
		"\"pad\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}";
	struct req_inspect *ri = req_inspect__new(8, BT_INSPECT_MAX);
	char head[256], buf[2048];
	size_t zn, n;
	void *z = gzip_of(plain, strlen(plain), &zn);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	assert_int_not_equal(zn, strlen(plain));
	snprintf(head, sizeof(head),
		 "POST /g HTTP/1.1\r\nContent-Type: application/json\r\n"
		 "Content-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n",
		 zn);
	n = build(buf, sizeof(buf), head, z, zn);
	feed_steps(ri, 1, buf, n, 37);
	assert_true(req_inspect__take(ri, 1, &v));
	mem_eq(v.body, v.body_len, plain);
	assert_string_equal(v.content_type, "application/json");

	/* cut short: the request still reads, the body is not guessed */
	feed_n(ri, 1, BT_DATA_FIRST, buf, n - zn / 2);
	assert_true(req_inspect__take(ri, 1, &v));
	mem_eq(v.target, v.target_len, "/g");
	assert_null(v.body);
	assert_int_equal(v.body_len, 0);

	/* an encoding not undone: no body either */
	snprintf(head, sizeof(head),
		 "POST /b HTTP/1.1\r\nContent-Encoding: br\r\nContent-Length: 4\r\n\r\n");
	n = build(buf, sizeof(buf), head, "abcd", 4);
	feed_n(ri, 1, BT_DATA_FIRST, buf, n);
	assert_true(req_inspect__take(ri, 1, &v));
	assert_null(v.body);
	stats_eq(ri, 3, 0, 0, 0);
	free(z);
	req_inspect__free(ri);
}

/* gzip of nothing: a true take with no body, and nothing left allocated (valgrind/ASan). */
static void test_gzip_empty(void **state)
{
	struct req_inspect *ri = req_inspect__new(8, BT_INSPECT_MAX);
	char head[256], buf[512];
	size_t zn, n;
	void *z = gzip_of("", 0, &zn);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	snprintf(head, sizeof(head),
		 "POST /e HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
	n = build(buf, sizeof(buf), head, z, zn);
	for (int i = 0; i < 3; i++) {
		feed_n(ri, 1, BT_DATA_FIRST, buf, n);
		assert_true(req_inspect__take(ri, 1, &v));
		mem_eq(v.target, v.target_len, "/e");
		assert_null(v.body);
		assert_int_equal(v.body_len, 0);
	}
	free(z);
	req_inspect__free(ri);
}

/* Content-Length beyond what arrived (the budget ran out): the part that did. */
static void test_partial_body(void **state)
{
	struct req_inspect *ri = req_inspect__new(8, BT_INSPECT_MAX);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	feed(ri, 1, BT_DATA_FIRST,
	     "POST /p HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	     "Content-Length: 100000\r\n\r\nq=first");
	feed(ri, 1, 0, "&r=second");
	assert_true(req_inspect__take(ri, 1, &v));
	mem_eq(v.body, v.body_len, "q=first&r=second");
	stats_eq(ri, 1, 0, 0, 0);
	req_inspect__free(ri);
}

/* A small budget keeps the request's first max_bytes and no more. */
static void test_budget(void **state)
{
	static const char req[] =
		"POST /p HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
		"Content-Length: 100\r\n\r\nq=first&r=second";
	size_t head = strlen(req) - strlen("q=first&r=second");
	struct req_inspect *ri = req_inspect__new(8, head + 7);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	feed(ri, 5, BT_DATA_FIRST, req);
	feed(ri, 5, 0, "&more=ignored");
	assert_true(req_inspect__take(ri, 5, &v));
	mem_eq(v.body, v.body_len, "q=first");
	mem_eq(v.target, v.target_len, "/p");
	req_inspect__free(ri);
}

/* A second request in the same bytes is not the first one's body. */
static void test_pipelined(void **state)
{
	struct req_inspect *ri = req_inspect__new(8, BT_INSPECT_MAX);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	feed(ri, 1, BT_DATA_FIRST,
	     "POST /a HTTP/1.1\r\nContent-Length: 3\r\nCookie: one\r\n\r\nabc"
	     "POST /b HTTP/1.1\r\nCookie: two\r\nContent-Length: 3\r\n\r\nxyz");
	assert_true(req_inspect__take(ri, 1, &v));
	mem_eq(v.target, v.target_len, "/a");
	mem_eq(v.body, v.body_len, "abc");
	assert_string_equal(v.header_values[0], "one");
	assert_null(v.header_values[1]);

	/* a GET has no body: the next request is not one */
	feed(ri, 1, BT_DATA_FIRST, "GET /c HTTP/1.1\r\n\r\nGET /d HTTP/1.1\r\n\r\n");
	assert_true(req_inspect__take(ri, 1, &v));
	mem_eq(v.target, v.target_len, "/c");
	assert_null(v.body);
	/* a chunked body ends at its last chunk */
	feed(ri, 1, BT_DATA_FIRST,
	     "POST /e HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nGET /f HTTP/1.1\r\n\r\n");
	assert_true(req_inspect__take(ri, 1, &v));
	mem_eq(v.body, v.body_len, "ok");
	stats_eq(ri, 3, 0, 0, 0);
	req_inspect__free(ri);
}

/* More bytes than a request may keep: no overflow, the first BT_INSPECT_MAX kept. */
static void test_overflow(void **state)
{
	static const char head[] = "POST /big HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n";
	struct req_inspect *ri = req_inspect__new(2, BT_INSPECT_MAX);
	uint8_t chunk[BT_REQHEAD_MAX];
	struct req_view v;
	size_t hn = strlen(head);

	(void)state;
	assert_non_null(ri);
	feed(ri, 1, BT_DATA_FIRST, head);
	for (int i = 0; i < 3 * BT_INSPECT_MAX / BT_REQHEAD_MAX; i++) {
		memset(chunk, 'a' + i % 26, sizeof(chunk));
		feed_n(ri, 1, 0, chunk, sizeof(chunk));
	}
	assert_true(req_inspect__take(ri, 1, &v));
	assert_non_null(v.body);
	assert_int_equal(v.body_len, BT_INSPECT_MAX - hn);
	for (size_t i = 0; i < v.body_len; i++)
		assert_int_equal(v.body[i], 'a' + (int)((i / BT_REQHEAD_MAX) % 26));

	/* a record claiming more than it can hold is read to BT_REQHEAD_MAX */
	memset(chunk, 'z', sizeof(chunk));
	memcpy(chunk, head, hn);
	feed_n(ri, 1, BT_DATA_FIRST, chunk, UINT32_MAX);
	assert_true(req_inspect__take(ri, 1, &v));
	assert_int_equal(v.body_len, BT_REQHEAD_MAX - hn);
	assert_int_equal(v.body[0], 'z');
	assert_int_equal(v.body[v.body_len - 1], 'z');

	/* headers alone past the budget: the target still reads */
	feed(ri, 1, BT_DATA_FIRST, "GET /h HTTP/1.1\r\n");
	for (size_t i = 0; i < sizeof(chunk); i += 32)
		memcpy(chunk + i, "X-Pad: hhhhhhhhhhhhhhhhhhhhhhh\r\n", 32);
	for (int i = 0; i < 12; i++)
		feed_n(ri, 1, 0, chunk, sizeof(chunk));
	assert_true(req_inspect__take(ri, 1, &v));
	mem_eq(v.target, v.target_len, "/h");
	assert_null(v.body);
	stats_eq(ri, 3, 0, 0, 0);
	req_inspect__free(ri);
}

static void test_take_forgets(void **state)
{
	struct req_inspect *ri = req_inspect__new(8, BT_INSPECT_MAX);
	struct req_view v;

	(void)state;
	assert_non_null(ri);
	feed(ri, 42, BT_DATA_FIRST, full_req);
	assert_true(req_inspect__take(ri, 42, &v));
	assert_false(req_inspect__take(ri, 42, &v));
	assert_null(v.target);
	/* a non-first record after the take does not revive it */
	feed(ri, 42, 0, "GET /zombie HTTP/1.1\r\n\r\n");
	assert_false(req_inspect__take(ri, 42, &v));
	stats_eq(ri, 1, 2, 0, 0);
	req_inspect__free(ri);
}

/* raw hands out exactly what take would read, leaves it; drop forgets it. */
static void test_raw_and_drop(void **state)
{
	struct req_inspect *ri = req_inspect__new(8, BT_INSPECT_MAX);
	struct req_view v;
	const uint8_t *b;
	size_t n;

	(void)state;
	assert_non_null(ri);
	assert_false(req_inspect__raw(ri, 5, &b, &n));
	feed_steps(ri, 5, full_req, strlen(full_req), 10);
	assert_true(req_inspect__raw(ri, 5, &b, &n));
	mem_eq((const char *)b, n, full_req);
	assert_true(req_inspect__raw(ri, 5, &b, &n)); /* still there */
	assert_false(req_inspect__raw(ri, 6, &b, &n));
	assert_false(req_inspect__raw(NULL, 5, &b, &n));
	assert_false(req_inspect__raw(ri, 5, NULL, &n));
	req_inspect__drop(ri, 5);
	assert_false(req_inspect__raw(ri, 5, &b, &n));
	assert_false(req_inspect__take(ri, 5, &v));
	assert_int_equal(req_inspect__stat(ri, REQ_INSPECT_KNOWN), 1);
	/* dropping what is not there counts nothing */
	req_inspect__drop(ri, 5);
	req_inspect__drop(NULL, 5);
	assert_int_equal(req_inspect__stat(ri, REQ_INSPECT_KNOWN), 1);
	/* lost bytes are not handed out: take would not read them either */
	feed(ri, 7, BT_DATA_FIRST | BT_DATA_LOST, "GET / HTTP/1.1\r\n\r\n");
	assert_false(req_inspect__raw(ri, 7, &b, &n));
	stats_eq(ri, 0, 1, 0, 0);
	req_inspect__free(ri);
}

static void test_null_and_stats(void **state)
{
	struct req_inspect *ri = req_inspect__new(0, BT_INSPECT_MAX);
	struct req_view v;

	(void)state;
	req_inspect__free(NULL);
	req_inspect__data(NULL, &rec);
	assert_false(req_inspect__take(NULL, 1, &v));
	assert_int_equal(req_inspect__stat(NULL, REQ_INSPECT_SEEN), 0);
	assert_non_null(ri);
	req_inspect__data(ri, NULL);
	assert_false(req_inspect__take(ri, 1, NULL));
	assert_int_equal(req_inspect__stat(ri, REQ_INSPECT__COUNT), 0);
	/* zero slots is one slot */
	for (uint64_t c = 1; c <= 5; c++) {
		feed(ri, c, BT_DATA_FIRST, "GET / HTTP/1.1\r\n\r\n");
		assert_true(req_inspect__take(ri, c, &v));
		assert_int_equal(req_inspect__stat(ri, REQ_INSPECT_SEEN), c);
	}
	stats_eq(ri, 5, 0, 0, 0);
	req_inspect__free(ri);
}

/* conn_id as the kernel makes it: ktime_ns << 6 | cpu. */
static uint64_t conn_of(uint64_t c)
{
	return ((1700000000000000000ull + c * 1234567) << 6) | (c % 8);
}

/* Many conns through a large table: each reads back its own request. */
static void test_many_conns(void **state)
{
	struct req_inspect *ri = req_inspect__new(1000, BT_INSPECT_MAX);
	struct req_view v;
	char req[64], want[16];

	(void)state;
	assert_non_null(ri);
	for (uint64_t c = 1; c <= 50; c++) {
		snprintf(req, sizeof(req), "GET /c%llu HTTP/1.1\r\n", (unsigned long long)c);
		feed(ri, conn_of(c), BT_DATA_FIRST, req);
	}
	for (uint64_t c = 1; c <= 50; c++)
		feed(ri, conn_of(c), 0, "\r\n");
	for (uint64_t c = 1; c <= 50; c++) {
		bool ok = req_inspect__take(ri, conn_of(c), &v);

		snprintf(want, sizeof(want), "/c%llu", (unsigned long long)c);
		if (ok)
			mem_eq(v.target, v.target_len, want);
	}
	assert_int_equal(req_inspect__stat(ri, REQ_INSPECT_SEEN) +
				 req_inspect__stat(ri, REQ_INSPECT_NO_BYTES),
			 50);
	assert_int_equal(req_inspect__stat(ri, REQ_INSPECT_NO_BYTES),
			 req_inspect__stat(ri, REQ_INSPECT_EVICTED));
	assert_true(req_inspect__stat(ri, REQ_INSPECT_SEEN) >= 45);
	req_inspect__free(ri);
}

static struct threat_input input_of(const struct req_view *v)
{
	return (struct threat_input){ .target = v->target,
				      .target_len = v->target_len,
				      .content_type = v->content_type,
				      .body = v->body,
				      .body_len = v->body_len,
				      .header_values = v->header_values };
}

static const struct threat_hit *hit_of(const struct threat_hit *h, size_t n, enum threat_type t)
{
	for (size_t i = 0; i < n; i++)
		if (h[i].type == t)
			return &h[i];
	return NULL;
}

/* What observe.c's on_served does with a view, down to the detector's verdict. */
static void test_threat_end_to_end(void **state)
{
	struct req_inspect *ri = req_inspect__new(8, BT_INSPECT_MAX);
	struct threat_hit hits[THREAT__COUNT];
	const struct threat_hit *h;
	struct threat_input in;
	struct req_view v;
	size_t n;

	(void)state;
	assert_non_null(ri);
	feed(ri, 1, BT_DATA_FIRST,
	     "POST /login HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	     "Content-Length: 28\r\n\r\n");
	feed(ri, 1, 0, "q=1%27%20OR%20%271%27%3D%271");
	assert_true(req_inspect__take(ri, 1, &v));
	mem_eq(v.body, v.body_len, "q=1%27%20OR%20%271%27%3D%271");
	in = input_of(&v);
	n = http_threat_scan(&in, hits, THREAT__COUNT);
	h = hit_of(hits, n < THREAT__COUNT ? n : THREAT__COUNT, THREAT_SQL_INJECTION);
	assert_non_null(h);
	assert_string_equal(h->where, "body");

	feed(ri, 2, BT_DATA_FIRST,
	     "GET /profile HTTP/1.1\r\nHost: h\r\nCookie: id=1' UNION SELECT password FROM users--\r\n\r\n");
	assert_true(req_inspect__take(ri, 2, &v));
	in = input_of(&v);
	n = http_threat_scan(&in, hits, THREAT__COUNT);
	h = hit_of(hits, n < THREAT__COUNT ? n : THREAT__COUNT, THREAT_SQL_INJECTION);
	assert_non_null(h);
	assert_string_equal(h->where, "header");

	/* the same request without the attack: nothing */
	feed(ri, 3, BT_DATA_FIRST,
	     "POST /login HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	     "Cookie: id=1\r\nContent-Length: 7\r\n\r\nq=hello");
	assert_true(req_inspect__take(ri, 3, &v));
	in = input_of(&v);
	assert_int_equal(http_threat_scan(&in, hits, THREAT__COUNT), 0);
	req_inspect__free(ri);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_record),     cmocka_unit_test(test_some_headers),
		cmocka_unit_test(test_split_records),  cmocka_unit_test(test_not_first_ignored),
		cmocka_unit_test(test_first_restarts), cmocka_unit_test(test_lost),
		cmocka_unit_test(test_unknown_take),   cmocka_unit_test(test_evict),
		cmocka_unit_test(test_garbage),	       cmocka_unit_test(test_long_target),
		cmocka_unit_test(test_chunked),	       cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_gzip_empty),     cmocka_unit_test(test_partial_body),
		cmocka_unit_test(test_pipelined),      cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_take_forgets),   cmocka_unit_test(test_null_and_stats),
		cmocka_unit_test(test_many_conns),     cmocka_unit_test(test_threat_end_to_end),
		cmocka_unit_test(test_budget),	       cmocka_unit_test(test_raw_and_drop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
