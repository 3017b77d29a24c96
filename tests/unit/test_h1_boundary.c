// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Boundary framing's reading of a call's first bytes (bpf/h1_boundary.h),
 * run on the host: request lines and status lines it must take, bytes it
 * must leave alone, and agreement with the full framer (h1_parse.h) on
 * every request line and status line both read.
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

/* The bytes into a window whose tail is garbage, as the per-CPU scratch
 * map's is: a read past n shows up as a wrong answer. */
static __u32 load(struct h1_window *w, const char *s, size_t n)
{
	memset(w->b, 'x', sizeof(w->b));
	if (n > BT_SCAN_WINDOW)
		n = BT_SCAN_WINDOW;
	memcpy(w->b, s, n);
	return (__u32)n;
}

static int request(const char *s, struct h1b_start *st)
{
	struct h1_window w;

	return h1b_request(&w, load(&w, s, strlen(s)), st);
}

static __u16 status(const char *s)
{
	struct h1_window w;

	return h1b_status(&w, load(&w, s, strlen(s)));
}

/* The full framer's method and target at the start line's end; -1 when it
 * errs or never gets there within the bytes. */
static int full_request(const char *s, __u8 *method, char *target, __u16 *len)
{
	struct h1_dir d = { .phase = H1_IDLE };
	struct h1_target t;

	for (size_t i = 0; s[i]; i++) {
		int ev = h1_step(&d, (__u8)s[i], 1, &t, 0);

		if (ev == H1_EV_ERROR)
			return -1;
		if (ev == H1_EV_BEGIN) {
			*method = d.method;
			*len = d.target_len;
			memcpy(target, t.b, BT_PATH_MAX);
			return 0;
		}
	}
	return -1;
}

static __u16 full_status(const char *s)
{
	struct h1_dir d = { .phase = H1_IDLE };

	for (size_t i = 0; s[i]; i++) {
		int ev = h1_step(&d, (__u8)s[i], 0, NULL, 0);

		if (ev == H1_EV_ERROR)
			return 0;
		if (ev == H1_EV_BEGIN)
			return d.status;
	}
	return 0;
}

static void expect_request(const char *s, __u8 method, const char *target)
{
	struct h1b_start st;
	char seen[BT_PATH_MAX + 1] = "";

	assert_int_equal(request(s, &st), 0);
	assert_int_equal(st.method, method);
	assert_true(st.target_len <= BT_PATH_MAX);
	memcpy(seen, s + st.target_at, st.target_len);
	assert_string_equal(seen, target);
	assert_int_equal(st.truncated, 0);
}

static void test_request_lines(void **state)
{
	(void)state;
	expect_request("GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n", BT_M_GET, "/a?b=1");
	expect_request("POST /v1/chat/completions HTTP/1.1\r\n", BT_M_POST, "/v1/chat/completions");
	expect_request("OPTIONS * HTTP/1.0\r\n", BT_M_OPTIONS, "*");
	expect_request("DELETE http://h/x HTTP/1.1\r\n", BT_M_DELETE, "http://h/x");
	expect_request("PURGE /x HTTP/1.1\r\n", BT_M_OTHER, "/x");
	/* the call ends inside the line: what it shows is taken */
	expect_request("GET /abc", BT_M_GET, "/abc");
	expect_request("GET /abc HTTP/", BT_M_GET, "/abc");
}

static void test_not_request_lines(void **state)
{
	static const char *const bad[] = {
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", /* TLS ClientHello */
		"get / HTTP/1.1\r\n",
		" GET / HTTP/1.1\r\n",
		"GET  / HTTP/1.1\r\n",
		"GET ",
		"GET",
		"",
		"GET /a\x01z HTTP/1.1\r\n",
		"GET /a\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"GET / SPDY/3.1\r\n",
		"PROPPATCH / HTTP/1.1\r\n", /* longer than any method taken */
		"{\"model\":\"x\"}",
		"HTTP/1.1 200 OK\r\n",
	};
	struct h1b_start st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(request(bad[i], &st), -1);
}

static void test_long_targets(void **state)
{
	char line[400], target[300];
	struct h1b_start st;

	(void)state;
	memset(target, 'a', sizeof(target));
	target[0] = '/';
	target[BT_PATH_MAX] = '\0'; /* exactly BT_PATH_MAX bytes: kept whole */
	snprintf(line, sizeof(line), "GET %s HTTP/1.1\r\n", target);
	assert_int_equal(request(line, &st), 0);
	assert_int_equal(st.target_len, BT_PATH_MAX);
	assert_int_equal(st.truncated, 0);
	target[BT_PATH_MAX] = 'a';
	target[BT_PATH_MAX + 1] = '\0'; /* one more: cut */
	snprintf(line, sizeof(line), "GET %s HTTP/1.1\r\n", target);
	assert_int_equal(request(line, &st), 0);
	assert_int_equal(st.target_len, BT_PATH_MAX);
	assert_int_equal(st.truncated, 1);
	/* a call holding less than BT_PATH_MAX bytes of a longer target */
	line[60] = '\0';
	assert_int_equal(request(line, &st), 0);
	assert_int_equal(st.target_len, 56);
	assert_int_equal(st.truncated, 0);
}

static void test_status_lines(void **state)
{
	(void)state;
	assert_int_equal(status("HTTP/1.1 200 OK\r\n"), 200);
	assert_int_equal(status("HTTP/1.0 404 Not Found\r\n"), 404);
	assert_int_equal(status("HTTP/1.1 101 Switching Protocols\r\n"), 101);
	assert_int_equal(status("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"), 100);
	assert_int_equal(status("HTTP/1.1 599"), 599);
	assert_int_equal(status("HTTP/1.1 20"), 0); /* cut: not read */
	assert_int_equal(status("HTTP/1.1 099 x"), 0);
	assert_int_equal(status("HTTP/2 200 OK\r\n"), 0);
	assert_int_equal(status("http/1.1 200 OK\r\n"), 0);
	assert_int_equal(status("HTTP/1.1  200 OK"), 0);
	assert_int_equal(status("HTTP/1.x 200 OK"), 0);
	assert_int_equal(status("GET / HTTP/1.1\r\n"), 0);
}

/* Every request line and status line the full framer begins a message
 * on reads the same here. */
static void test_agrees_with_full_framer(void **state)
{
	static const char *const lines[] = {
		"GET / HTTP/1.1\r\n\r\n",
		"HEAD /x/y?z HTTP/1.0\r\n\r\n",
		"PATCH /items/7#frag HTTP/1.1\r\n\r\n",
		"TRACE /%20a HTTP/1.1\r\n\r\n",
		"CONNECT host:443 HTTP/1.1\r\n\r\n",
		"PUT /\xc3\xa9t\xc3\xa9 HTTP/1.1\r\n\r\n",
	};
	static const char *const statuses[] = {
		"HTTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.0 302 Found\r\n\r\n",
		"HTTP/1.1 503 \r\n\r\n",
		"HTTP/1.1 204 No Content\r\n\r\n",
	};
	char target[BT_PATH_MAX];
	struct h1b_start st;
	__u8 method;
	__u16 len;

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		assert_int_equal(full_request(lines[i], &method, target, &len), 0);
		assert_int_equal(request(lines[i], &st), 0);
		assert_int_equal(st.method, method);
		assert_int_equal(st.target_len, len);
		assert_memory_equal(lines[i] + st.target_at, target, len);
	}
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		assert_int_equal(status(statuses[i]), full_status(statuses[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_lines),
		cmocka_unit_test(test_not_request_lines),
		cmocka_unit_test(test_long_targets),
		cmocka_unit_test(test_status_lines),
		cmocka_unit_test(test_agrees_with_full_framer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
