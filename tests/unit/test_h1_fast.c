// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The framer's bulk path (h1_fast() in bpf/h1_parse.h) against the byte
 * by byte framer it stands in for. Each case is walked twice from H1_IDLE:
 * REF feeds every byte to h1_step, FAST walks windows as bpf/scan.bpf.h
 * does, with garbage past each window. Events, their offsets, struct
 * h1_dir and the target buffer must be identical. A few exact cases pin
 * the bulk path's reach, since its point is how few bytes it leaves to
 * h1_step. tests/fuzz/fuzz_h1_fast.c runs the same comparison on fuzzed
 * streams.
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

#define MAX_EVENTS 64
#define H1W_CHECK(cond) assert_true(cond)
#include "../h1_walk.h"

/* What lies past a window: one junk byte everywhere. */
static void fill_junk(struct side *sd, size_t n, void *ctx)
{
	memset(sd->w.b + n, *(const __u8 *)ctx, sizeof(sd->w.b) - n);
}

/*
 * Both framers over s cut into syscalls at the given lengths (the rest
 * goes in a last one); REF is left in out[0], FAST in out[1].
 */
static void diff_run(struct side out[2], const char *s, size_t len, int is_req, const size_t *cuts,
		     size_t n_cuts, __u8 junk)
{
	struct h1w_stream st = { .s = (const __u8 *)s,
				 .len = len,
				 .is_request = is_req,
				 .fill = fill_junk,
				 .ctx = &junk };
	struct ev_rec *ev0 = out[0].ev, *ev1 = out[1].ev;
	size_t done = 0;
	__u64 ts = 0;

	memset(out, 0, 2 * sizeof(*out));
	out[0].ev = ev0;
	out[1].ev = ev1;
	out[0].cap_ev = out[1].cap_ev = MAX_EVENTS;
	for (size_t c = 0; c <= n_cuts && done < len; c++) {
		size_t end = c < n_cuts && done + cuts[c] < len ? done + cuts[c] : len;

		ts++;
		h1w_ref_feed(&out[0], &st, end, ts);
		h1w_fast_feed(&out[1], &st, end, ts);
		h1w_same(&out[0], &out[1], 0);
		done = end;
	}
	assert_int_equal(out[0].off, h1w_stopped(&out[0]) ? out[0].off : len);
}

/* Two sides with room for MAX_EVENTS events each; free with sides_free(). */
static struct side *sides_new(void)
{
	struct side *sd = calloc(2, sizeof(*sd));

	assert_non_null(sd);
	sd[0].ev = calloc(2 * MAX_EVENTS, sizeof(struct ev_rec));
	assert_non_null(sd[0].ev);
	sd[1].ev = sd[0].ev + MAX_EVENTS;
	return sd;
}

static void sides_free(struct side *sd)
{
	free(sd[0].ev);
	free(sd);
}

/* Whole, then split in two at every position, with two kinds of junk. */
static void diff_all_splits(struct side *sd, const char *s, int is_req)
{
	size_t len = strlen(s);

	diff_run(sd, s, len, is_req, NULL, 0, ':');
	for (size_t cut = 1; cut < len; cut++) {
		diff_run(sd, s, len, is_req, &cut, 1, '\n');
		diff_run(sd, s, len, is_req, &cut, 1, ':');
	}
}

static const char nginx[] = "HTTP/1.1 200 OK\r\n"
			    "Server: nginx/1.22.1\r\n"
			    "Date: Thu, 26 Nov 2026 04:00:00 GMT\r\n"
			    "Content-Type: text/html\r\n"
			    "Content-Length: 612\r\n"
			    "Last-Modified: Wed, 25 Nov 2026 10:00:00 GMT\r\n"
			    "Connection: keep-alive\r\n"
			    "ETag: \"abc-264\"\r\n"
			    "Accept-Ranges: bytes\r\n"
			    "\r\n";

static void test_nginx_response_all_splits(void **state)
{
	struct side *sd = sides_new();

	(void)state;
	diff_all_splits(sd, nginx, 0);
	diff_run(sd, nginx, strlen(nginx), 0, NULL, 0, 0);
	assert_int_equal(sd[1].n_ev, 1);
	assert_int_equal(sd[1].ev[0].ev, H1_EV_BEGIN);
	assert_int_equal(sd[1].ev[0].at, strlen("HTTP/1.1 200 OK\r\n") - 1);
	assert_int_equal(sd[1].d.phase, H1_BODY_LEN);
	assert_int_equal(sd[1].d.clen, 612);
	assert_int_equal(sd[1].d.status, 200);
	sides_free(sd);
}

/* The bulk path's whole point: only line and message ends are stepped. */
static void test_nginx_response_steps_three_bytes(void **state)
{
	struct side *sd = sides_new();

	(void)state;
	diff_run(sd, nginx, strlen(nginx), 0, NULL, 0, 0);
	assert_int_equal(sd[0].steps, strlen(nginx));
	assert_int_equal(sd[1].steps, 3); /* status LF, final CR LF */
	sides_free(sd);
}

static const char curl[] = "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/7.88\r\n"
			   "Accept: */*\r\n\r\n";

static void test_curl_request_all_splits(void **state)
{
	struct side *sd = sides_new();

	(void)state;
	diff_all_splits(sd, curl, 1);
	diff_run(sd, curl, strlen(curl), 1, NULL, 0, 0);
	assert_int_equal(sd[1].n_ev, 2);
	assert_int_equal(sd[1].ev[0].ev, H1_EV_BEGIN);
	assert_int_equal(sd[1].ev[0].d.method, BT_M_GET);
	assert_int_equal(sd[1].ev[0].d.target_len, 6);
	assert_int_equal(sd[1].ev[0].d.path_end, 2);
	assert_memory_equal(sd[1].ev[0].t.b, "/a?b=1", 6);
	assert_int_equal(sd[1].ev[1].ev, H1_EV_END);
	assert_int_equal(sd[1].ev[1].at, strlen(curl) - 1);
	assert_int_equal(sd[1].ev[1].d.msg_bytes, strlen(curl));
	/* the request line's LF and the final CR LF */
	assert_int_equal(sd[1].steps, 3);
	sides_free(sd);
}

static void test_content_length_blanks(void **state)
{
	static const char s[] = "HTTP/1.1 200 OK\r\nContent-Length: \t 1 2\t \r\n\r\n"
				"abcdefghijkl"
				"HTTP/1.1 200 OK\r\nCONTENT-LENGTH:3\n\nxyz";
	struct side *sd = sides_new();

	(void)state;
	diff_all_splits(sd, s, 0);
	diff_run(sd, s, strlen(s), 0, NULL, 0, 0);
	assert_int_equal(sd[1].n_ev, 4);
	assert_int_equal(sd[1].ev[1].ev, H1_EV_END);
	assert_int_equal(sd[1].ev[1].d.clen, 12);
	assert_int_equal(sd[1].ev[3].ev, H1_EV_END);
	assert_int_equal(sd[1].ev[3].d.clen, 3);
	assert_int_equal(sd[1].ev[3].at, strlen(s) - 1);
	sides_free(sd);
}

/* An error must come from the same byte on both sides. */
static void check_error_at(const char *s, int is_req, size_t at)
{
	struct side *sd = sides_new();

	diff_all_splits(sd, s, is_req);
	diff_run(sd, s, strlen(s), is_req, NULL, 0, 0);
	assert_true(sd[1].n_ev >= 1);
	assert_int_equal(sd[1].ev[sd[1].n_ev - 1].ev, H1_EV_ERROR);
	assert_int_equal(sd[1].ev[sd[1].n_ev - 1].at, at);
	assert_int_equal(sd[1].d.phase, H1_DESYNC);
	sides_free(sd);
}

static void test_content_length_overflow(void **state)
{
	static const char s[] = "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n";
	const char *digits = strstr(s, "9999");

	(void)state;
	/* clen passes 2^60 after 19 digits; the 20th is refused */
	check_error_at(s, 0, (size_t)(digits - s) + 19);
}

/* Past 2^60 but far from wrapping: the bulk path must still refuse it. */
static void test_content_length_just_over_limit(void **state)
{
	static const char s[] = "HTTP/1.1 200 OK\r\nContent-Length: 20000000000000000000\r\n\r\n";
	const char *digits = strstr(s, "2000");

	(void)state;
	check_error_at(s, 0, (size_t)(digits - s) + 19);
}

static void test_content_length_trailing_junk(void **state)
{
	static const char s[] = "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n";

	(void)state;
	check_error_at(s, 0, (size_t)(strchr(s, 'x') - s));
}

static void test_header_without_colon(void **state)
{
	static const char s[] = "GET / HTTP/1.1\r\nHost: a\r\nServer nginx\r\n\r\n";

	(void)state;
	check_error_at(s, 1, (size_t)(strstr(s, "nginx\r\n") - s) + 6);
}

static void test_status_below_100(void **state)
{
	static const char s[] = "HTTP/1.1 099 X\r\n\r\n";

	(void)state;
	check_error_at(s, 0, 12);
}

static void test_method_of_25_bytes(void **state)
{
	struct side *sd = sides_new();
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWX / HTTP/1.1\r\n\r\n";

	(void)state;
	check_error_at("ABCDEFGHIJKLMNOPQRSTUVWXY / HTTP/1.1\r\n\r\n", 1, 24);
	diff_all_splits(sd, ok, 1);
	assert_int_equal(sd[1].n_ev, 2);
	assert_int_equal(sd[1].ev[0].d.method, BT_M_OTHER);
	sides_free(sd);
}

static void test_target_with_del(void **state)
{
	static const char s[] = "GET /a\x7f HTTP/1.1\r\n\r\n";

	(void)state;
	check_error_at(s, 1, 6);
}

/* Names as long as ours that are not ours, and ours in odd case. */
static void test_lookalike_names(void **state)
{
	static const char s[] = "HTTP/1.1 200 OK\r\nContent-Lengtz: 5\r\nAccept-Charset: a\r\n"
				"Transfer-Encodinx: chunked\r\nContent-Lengthx: 9\r\n\r\nbody"
				"\r\nHTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh: 2\r\n"
				"TRANSFER-encoding: chunked\r\n\r\n";
	struct side *sd = sides_new();

	(void)state;
	diff_all_splits(sd, s, 0);
	diff_run(sd, s, strlen(s), 0, NULL, 0, 0);
	assert_int_equal(sd[1].n_ev, 1);
	assert_int_equal(sd[1].d.phase, H1_BODY_EOF);
	assert_int_equal(sd[1].d.flags & (H1F_CL | H1F_CHUNKED), 0);
	diff_run(sd, s, strlen(s), 1, NULL, 0, 0); /* as a request: no body, then an error */
	assert_int_equal(sd[1].ev[0].ev, H1_EV_ERROR);
	sides_free(sd);
}

/* A CR that ends a window: its LF is in the next one, never in the junk. */
static void test_cr_lf_across_windows(void **state)
{
	static const __u8 junk[] = { '\n', '\r', ':', ' ', 0 };
	char s[BT_SCAN_WINDOW + 64];
	size_t cut;
	struct side *sd = sides_new();

	(void)state;
	strcpy(s, "HTTP/1.1 200 OK\r\nX-Pad: ");
	cut = BT_SCAN_WINDOW - strlen(s) - 1;
	memset(s + strlen(s), 'p', cut);
	strcat(s, "\r\nContent-Length: 1\r\n\r\nz");
	for (size_t k = 0; k < sizeof(junk); k++)
		diff_run(sd, s, strlen(s), 0, NULL, 0, junk[k]);
	assert_int_equal(sd[1].n_ev, 2);
	assert_int_equal(sd[1].ev[1].ev, H1_EV_END);
	cut = strlen("HTTP/1.1 200 OK\r\nContent-Length: 1\r");
	diff_run(sd, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz", 41, 0, &cut, 1, '\n');
	assert_int_equal(sd[1].n_ev, 2);
	cut = strlen("HTTP/1.1 200");
	diff_run(sd, "HTTP/1.1 200\r\n\r\n", 16, 0, &cut, 1, ' ');
	assert_int_equal(sd[1].n_ev, 1);
	assert_int_equal(sd[1].ev[0].d.status, 200);
	sides_free(sd);
}

/*
 * Header values are searched for any byte below 14 at once (LF, CR and
 * the other controls): a TAB, a lone CR, a NUL or a VT in a value stops
 * the bulk path for that byte only, and bytes with the top bit set (0x80
 * to 0x8d wrap to below 14 in an unsigned byte subtraction) never stop it.
 */
static void test_control_bytes_in_headers(void **state)
{
	static const char ctl[] = "HTTP/1.1 200 OK\r\n"
				  "X-Tab: a\tb\r\n"
				  "X-Cr: a\rb\r\n"
				  "X-Nul: a\0b\r\n"
				  "X-Vt: a\vb\f\r\n"
				  "X-Na\tme: v\r\n"
				  "Content-Length: 0\r\n\r\n";
	static const char high[] = "HTTP/1.1 200 OK\r\n"
				   "X-High: \x80\x81\x8a\x8d\x8e\xff\xc3\xa9\r\n"
				   "Content-Length: 0\r\n\r\n";
	struct side *sd = sides_new();
	size_t len = sizeof(ctl) - 1;

	(void)state;
	diff_run(sd, ctl, len, 0, NULL, 0, 0);
	for (size_t cut = 1; cut < len; cut++)
		diff_run(sd, ctl, len, 0, &cut, 1, '\r');
	assert_int_equal(sd[1].n_ev, 2);
	assert_int_equal(sd[1].ev[1].ev, H1_EV_END);
	diff_all_splits(sd, high, 0);
	diff_run(sd, high, strlen(high), 0, NULL, 0, 0);
	assert_int_equal(sd[1].n_ev, 2);
	assert_int_equal(sd[1].steps, 3); /* status LF, final CR LF */
	sides_free(sd);
}

/* A long target is cut at BT_PATH_MAX in t but counted whole. */
static void test_long_target(void **state)
{
	char s[700];
	struct side *sd = sides_new();

	(void)state;
	memset(s, 0, sizeof(s));
	strcpy(s, "GET /");
	memset(s + 5, 'a', 300);
	strcat(s, "?q#f HTTP/1.1\r\nHost: x\r\n\r\n");
	diff_all_splits(sd, s, 1);
	assert_int_equal(sd[1].ev[0].d.target_len, 305);
	assert_int_equal(sd[1].ev[0].d.path_end, 301);
	assert_int_equal(sd[1].ev[0].t.b[BT_PATH_MAX - 1], 'a');
	sides_free(sd);
}

/* Lines and targets past 0xffff bytes: the counters saturate alike. */
static void test_saturating_counters(void **state)
{
	const size_t big = 70000;
	char *s = malloc(3 * big + 256);
	struct side *sd = sides_new();
	size_t len;

	(void)state;
	assert_non_null(s);
	strcpy(s, "HTTP/1.1 200 OK\r\nX-Big: ");
	len = strlen(s);
	memset(s + len, 'v', big);
	len += big;
	memcpy(s + len, "\r\n", 2);
	len += 2;
	memset(s + len, 'N', big); /* a name the framer ignores, 70000 bytes long */
	len += big;
	strcpy(s + len, ": 1\r\nContent-Length: 0\r\n\r\n");
	len += strlen(s + len);
	diff_run(sd, s, len, 0, NULL, 0, ':');
	assert_int_equal(sd[1].n_ev, 2);
	assert_int_equal(sd[1].ev[1].ev, H1_EV_END);
	assert_int_equal(sd[1].ev[1].d.msg_bytes, len);

	strcpy(s, "GET /");
	memset(s + 5, 'p', big);
	strcpy(s + 5 + big, "?q HTTP/1.1\r\n\r\n");
	len = strlen(s);
	diff_run(sd, s, len, 1, NULL, 0, ' ');
	assert_int_equal(sd[1].n_ev, 2);
	assert_int_equal(sd[1].ev[0].d.target_len, 0xffff);
	assert_int_equal(sd[1].ev[0].d.path_end, 0xffff);
	sides_free(sd);
	free(s);
}

/* Phases h1_fast does not handle: the index and the state stay put. */
static void test_unhandled_phases_are_left_alone(void **state)
{
	static const __u8 phases[] = { H1_BODY_LEN, H1_CHUNK_SIZE, H1_CHUNK_DATA, H1_CHUNK_END,
				       H1_TRAILERS, H1_BODY_EOF,   H1_DESYNC,	  H1_OFF };
	static const char text[] = "Server: nginx\r\nHTTP/1.1 200 OK\r\n";
	struct h1_window w;
	struct h1_target t, t0;
	struct h1_dir d, d0;

	(void)state;
	memset(&w, 0, sizeof(w));
	memcpy(w.b, text, strlen(text));
	memset(&t0, 0x5a, sizeof(t0));
	for (size_t p = 0; p < sizeof(phases); p++) {
		for (int req = 0; req < 2; req++) {
			memset(&d0, 0, sizeof(d0));
			d0.phase = phases[p];
			d0.remaining = 7;
			d0.clen = 7;
			d = d0;
			t = t0;
			assert_int_equal(h1_fast(&d, &w, H1_SPAN(0, strlen(text), req), &t, 1), 0);
			assert_int_equal(h1_fast(&d, &w, H1_SPAN(15, strlen(text), req), &t, 1),
					 15);
			assert_memory_equal(&d, &d0, sizeof(d));
			assert_memory_equal(&t, &t0, sizeof(t));
		}
	}
	/* a Content-Length or Transfer-Encoding value in progress: byte by byte */
	memset(&d0, 0, sizeof(d0));
	d0.phase = H1_HEADERS;
	d0.line_len = 15;
	d0.hdr = HDR_VAL_CL;
	d = d0;
	assert_int_equal(h1_fast(&d, &w, H1_SPAN(0, strlen(text), 0), &t, 1), 0);
	assert_memory_equal(&d, &d0, sizeof(d));
	d0.hdr = HDR_VAL_TE;
	d = d0;
	assert_int_equal(h1_fast(&d, &w, H1_SPAN(0, strlen(text), 0), &t, 1), 0);
	assert_memory_equal(&d, &d0, sizeof(d));
	/* no window, or an index at the end */
	assert_int_equal(h1_fast(&d, NULL, H1_SPAN(3, 10, 0), &t, 1), 3);
	assert_int_equal(h1_fast(&d, &w, H1_SPAN(10, 10, 0), &t, 1), 10);
	assert_memory_equal(&d, &d0, sizeof(d));
}

/* Framing work spread over many cuts, junk of every value past windows. */
static void test_pipelined_small_calls(void **state)
{
	static const char s[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
				"POST /api/v1/items HTTP/1.1\r\nContent-Type: application/json\r\n"
				"Content-Length: 7\r\n\r\n{\"a\":1}\r\n"
				"PUT /x#y HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
				"2\r\nhi\r\n0\r\nX-T: 1\r\n\r\n"
				"DELETE /z HTTP/1.1\r\n: odd\r\nX-A: a\rb\r\n\r\n";
	static const size_t cuts[] = { 3, 1, 7, 20, 2, 2, 50, 1, 1, 1, 13, 29, 4, 5, 6, 9 };
	struct side *sd = sides_new();

	(void)state;
	diff_all_splits(sd, s, 1);
	for (int junk = 0; junk < 256; junk++)
		diff_run(sd, s, strlen(s), 1, cuts, sizeof(cuts) / sizeof(cuts[0]), junk);
	assert_int_equal(sd[1].n_ev, 8);
	assert_int_equal(sd[1].d.phase, H1_IDLE);
	sides_free(sd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nginx_response_all_splits),
		cmocka_unit_test(test_nginx_response_steps_three_bytes),
		cmocka_unit_test(test_curl_request_all_splits),
		cmocka_unit_test(test_content_length_blanks),
		cmocka_unit_test(test_content_length_overflow),
		cmocka_unit_test(test_content_length_just_over_limit),
		cmocka_unit_test(test_content_length_trailing_junk),
		cmocka_unit_test(test_header_without_colon),
		cmocka_unit_test(test_status_below_100),
		cmocka_unit_test(test_method_of_25_bytes),
		cmocka_unit_test(test_target_with_del),
		cmocka_unit_test(test_lookalike_names),
		cmocka_unit_test(test_cr_lf_across_windows),
		cmocka_unit_test(test_control_bytes_in_headers),
		cmocka_unit_test(test_long_target),
		cmocka_unit_test(test_saturating_counters),
		cmocka_unit_test(test_unhandled_phases_are_left_alone),
		cmocka_unit_test(test_pipelined_small_calls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
