// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel's HTTP/1.x framer (bpf/h1_parse.h), run on the host. Every
 * case is fed whole, byte by byte and in every two-way split, and must
 * give the same events: the BPF side sees messages cut at arbitrary
 * syscall boundaries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h1_user.h"

#define MAX_MSGS 64

struct msg {
	int begun, ended;
	__u8 method;
	__u16 status;
	char target[BT_PATH_MAX + 1];
	__u16 target_len;
	__u64 bytes;
};

struct run {
	struct h1_dir d;
	struct h1_target t;
	struct msg m[MAX_MSGS];
	int n; /* messages begun */
	int errors;
	int head_method; /* answer HEAD-style: no body */
};

static void on_event(struct run *r, int ev)
{
	struct msg *m;

	if (ev == H1_EV_ERROR) {
		r->errors++;
		return;
	}
	if (ev == H1_EV_BEGIN) {
		assert_true(r->n < MAX_MSGS);
		m = &r->m[r->n++];
		m->begun = 1;
		m->method = r->d.method;
		m->status = r->d.status;
		m->target_len = r->d.target_len;
		size_t n = r->d.target_len < BT_PATH_MAX ? r->d.target_len : BT_PATH_MAX;
		memcpy(m->target, r->t.b, n);
		m->target[n] = '\0';
		if (r->head_method)
			r->d.flags |= H1F_NO_BODY;
		return;
	}
	assert_int_equal(ev, H1_EV_END);
	assert_true(r->n > 0);
	m = &r->m[r->n - 1];
	m->ended = 1;
	m->bytes = r->d.msg_bytes;
}

/* What the BPF driver does with one syscall's bytes. */
static void feed(struct run *r, const char *buf, size_t len, int is_req)
{
	size_t off = 0;

	while (off < len) {
		int ev = H1_EV_NONE;

		if (r->d.phase == H1_DESYNC || r->d.phase == H1_OFF)
			return;
		if (!h1_reads_bytes(&r->d)) {
			off += h1_skip(&r->d, len - off, &ev);
		} else {
			ev = h1_step(&r->d, (__u8)buf[off], is_req, &r->t, 1);
			off++;
		}
		if (ev != H1_EV_NONE)
			on_event(r, ev);
	}
}

typedef void (*check_fn)(const struct run *r);

/* Whole, byte by byte, and every split in two: all must agree. */
static void run_all_ways(const char *s, int is_req, int head, check_fn check)
{
	size_t len = strlen(s);
	struct run *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->head_method = head;
	feed(r, s, len, is_req);
	check(r);
	memset(r, 0, sizeof(*r));
	r->head_method = head;
	for (size_t i = 0; i < len; i++)
		feed(r, s + i, 1, is_req);
	check(r);
	for (size_t cut = 1; cut < len; cut++) {
		memset(r, 0, sizeof(*r));
		r->head_method = head;
		feed(r, s, cut, is_req);
		feed(r, s + cut, len - cut, is_req);
		check(r);
	}
	free(r);
}

static const char get_req[] = "GET /api/x?y=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";

static void check_get(const struct run *r)
{
	assert_int_equal(r->errors, 0);
	assert_int_equal(r->n, 1);
	assert_true(r->m[0].ended);
	assert_int_equal(r->m[0].method, BT_M_GET);
	assert_string_equal(r->m[0].target, "/api/x?y=1");
	assert_int_equal(r->m[0].bytes, strlen(get_req));
	assert_int_equal(r->d.phase, H1_IDLE);
}

static void test_simple_get(void **state)
{
	(void)state;
	run_all_ways(get_req, 1, 0, check_get);
}

static const char pipelined[] = "POST /a HTTP/1.1\r\ncontent-LENGTH: 5\r\n\r\nhello"
				"PUT /b HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
				"5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n"
				"\r\nDELETE /c HTTP/1.0\r\n\r\n";

static void check_pipelined(const struct run *r)
{
	assert_int_equal(r->errors, 0);
	assert_int_equal(r->n, 3);
	assert_int_equal(r->m[0].method, BT_M_POST);
	assert_string_equal(r->m[0].target, "/a");
	assert_int_equal(r->m[0].bytes,
			 strlen("POST /a HTTP/1.1\r\ncontent-LENGTH: 5\r\n\r\nhello"));
	assert_int_equal(r->m[1].method, BT_M_PUT);
	assert_true(r->m[1].ended);
	assert_int_equal(r->m[2].method, BT_M_DELETE);
	assert_true(r->m[2].ended);
}

static void test_pipelined_bodies(void **state)
{
	(void)state;
	run_all_ways(pipelined, 1, 0, check_pipelined);
}

static const char responses[] = "HTTP/1.1 100 Continue\r\n\r\n"
				"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
				"HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n"
				"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
				"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
				"a\r\n0123456789\r\n0\r\n\r\n"
				"HTTP/1.1 500\r\nContent-Length: 0\r\n\r\n";

static void check_responses(const struct run *r)
{
	static const __u16 want[] = { 100, 200, 204, 304, 404, 500 };

	assert_int_equal(r->errors, 0);
	assert_int_equal(r->n, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(r->m[i].status, want[i]);
		assert_true(r->m[i].ended);
	}
	assert_int_equal(r->m[1].bytes, strlen("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"));
}

static void test_response_framing(void **state)
{
	(void)state;
	run_all_ways(responses, 0, 0, check_responses);
}

static const char head_resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
				"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";

static void check_head(const struct run *r)
{
	assert_int_equal(r->errors, 0);
	assert_int_equal(r->n, 2);
	assert_true(r->m[0].ended && r->m[1].ended);
}

static void test_head_answers_have_no_body(void **state)
{
	(void)state;
	run_all_ways(head_resp, 0, 1, check_head);
}

static const char close_delim[] = "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody until close";

static void check_close_delim(const struct run *r)
{
	assert_int_equal(r->errors, 0);
	assert_int_equal(r->n, 1);
	assert_false(r->m[0].ended);
	assert_int_equal(r->d.phase, H1_BODY_EOF);
	assert_int_equal(r->d.msg_bytes, strlen(close_delim));
}

static void test_close_delimited(void **state)
{
	(void)state;
	run_all_ways(close_delim, 0, 0, check_close_delim);
}

static void expect_error(const char *s, int is_req)
{
	struct run *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	feed(r, s, strlen(s), is_req);
	assert_int_equal(r->errors, 1);
	assert_int_equal(r->d.phase, H1_DESYNC);
	free(r);
}

static void test_garbage_is_an_error(void **state)
{
	(void)state;
	expect_error("get / HTTP/1.1\r\n\r\n", 1);
	expect_error("GET / HTTP/2.0\r\n\r\n", 1);
	expect_error("GET /\r\n\r\n", 1);
	expect_error("GET  / HTTP/1.1\r\n\r\n", 1);
	expect_error("GET / HTTP/1.1\r\nNoColonHere\r\n\r\n", 1);
	expect_error("GET / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n", 1);
	expect_error("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 1);
	expect_error("HTTP/1.1 20 OK\r\n\r\n", 0);
	expect_error("HTTP/1.1 200 OK\r\n\r\n", 1);
	expect_error("GET / HTTP/1.1\r\n\r\n", 0);
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0);
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 0);
}

static void test_long_target_is_cut_not_lost(void **state)
{
	char req[600];
	struct run *r = calloc(1, sizeof(*r));

	(void)state;
	assert_non_null(r);
	memset(req, 0, sizeof(req));
	strcpy(req, "OPTIONS /");
	memset(req + 9, 'a', 300);
	strcat(req, " HTTP/1.1\r\n\r\n");
	feed(r, req, strlen(req), 1);
	assert_int_equal(r->errors, 0);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->m[0].method, BT_M_OPTIONS);
	assert_int_equal(r->m[0].target_len, 301);
	assert_int_equal(strlen(r->m[0].target), BT_PATH_MAX);
	free(r);
}

static void test_random_bytes_never_escape_bounds(void **state)
{
	struct run *r = calloc(1, sizeof(*r));
	char buf[256];

	(void)state;
	assert_non_null(r);
	srand(42);
	for (int round = 0; round < 20000; round++) {
		size_t n = rand() % sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = (round & 1) ? "GET /HTP1.\r\n:0a;cCl-"[rand() % 21] : rand();
		memset(r, 0, sizeof(*r));
		r->d.phase = H1_IDLE;
		feed(r, buf, n, round & 2);
		assert_true(r->d.target_len <= 0xffff);
		assert_true(r->d.phase <= H1_OFF);
	}
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_get),
		cmocka_unit_test(test_pipelined_bodies),
		cmocka_unit_test(test_response_framing),
		cmocka_unit_test(test_head_answers_have_no_body),
		cmocka_unit_test(test_close_delimited),
		cmocka_unit_test(test_garbage_is_an_error),
		cmocka_unit_test(test_long_target_is_cut_not_lost),
		cmocka_unit_test(test_random_bytes_never_escape_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
