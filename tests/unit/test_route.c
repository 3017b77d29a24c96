// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * route: target clean-up, every heuristic rule, configured patterns, the
 * per-service cap and its counters, the table limits, garbage input and
 * the per-call cost.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route.h"

struct rcase {
	const char *in;
	const char *want;
};

static char out_buf[ROUTE_MAX];

static const char *route_of(struct route_table *t, const char *svc, const char *path)
{
	assert_int_equal(route_table__route(t, svc, path, strlen(path), out_buf, sizeof(out_buf)),
			 0);
	return out_buf;
}

static void check_cases(struct route_table *t, const struct rcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *got = route_of(t, "svc", c[i].in);

		if (strcmp(got, c[i].want))
			fail_msg("route(\"%s\") = \"%s\", want \"%s\"", c[i].in, got, c[i].want);
	}
}

#define CHECK(t, cases) check_cases(t, cases, sizeof(cases) / sizeof(cases[0]))

static void test_target_forms(void **state)
{
	static const struct rcase cases[] = {
		{ "/", "/" },
		{ "", "/" },
		{ "*", "*" },
		{ "?q=1", "/" },
		{ "/?q=1", "/" },
		{ "//", "/" },
		{ "///", "/" },
		{ "#top", "/" },
		{ "/api/users", "/api/users" },
		{ "/api/users/", "/api/users/" },
		{ "/api/users?sort=name", "/api/users" },
		{ "/api/users#frag", "/api/users" },
		{ "/api/users?x#y", "/api/users" },
		{ "/api/users#y?x", "/api/users" },
		{ "/api//users///list", "/api/users/list" },
		{ "//api/users", "/api/users" },
		{ "http://example.com:8080/api/v1/items/42?x=1", "/api/v1/items/{id}" },
		{ "HTTPS://h/x", "/x" },
		{ "http://example.com", "/" },
		{ "http://example.com?x=1", "/" },
		{ "http://", "/" },
		{ "example.com:443", ROUTE_INVALID },
		{ "abc", ROUTE_INVALID },
		{ "*x", ROUTE_INVALID },
		{ "ftp://h/x", ROUTE_INVALID },
		{ "**", ROUTE_INVALID },
		{ "/*", "/*" },
		{ "/a/./b/../c", "/a/./b/../c" },
	};
	struct route_table *t = route_table__new(NULL, 0, 1000);

	(void)state;
	assert_non_null(t);
	CHECK(t, cases);
	route_table__free(t);
}

static void test_heuristics(void **state)
{
	static const struct rcase cases[] = {
		/* digits */
		{ "/api/users/123", "/api/users/{id}" },
		{ "/0", "/{id}" },
		{ "/a/99999999999999999999999999", "/a/{id}" },
		/* uuid, any case */
		{ "/runs/123e4567-e89b-12d3-a456-426614174000", "/runs/{uuid}" },
		{ "/runs/123E4567-E89B-12D3-A456-426614174000/logs", "/runs/{uuid}/logs" },
		{ "/runs/123e4567-e89b-12d3-a456-42661417400", "/runs/{token}" }, /* 35 chars */
		/* hex >= 8 with a digit */
		{ "/commits/deadbeef12", "/commits/{hex}" },
		{ "/sha/0123abcd", "/sha/{hex}" },
		{ "/c/da39a3ee5e6b4b0d3255bfef95601890afd80709", "/c/{hex}" },
		{ "/a/deadbeef", "/a/deadbeef" },
		{ "/x/abc1234", "/x/abc1234" },
		/* numbers with separators */
		{ "/dates/2024-01-15", "/dates/{id}" },
		{ "/ver/1.2.3", "/ver/{id}" },
		{ "/t/12:30", "/t/{id}" },
		{ "/v1", "/v1" },
		{ "/v1.0", "/v1.0" },
		/* tokens */
		{ "/t/AbCdEf0123456789xyz", "/t/{token}" },
		{ "/u/user12345", "/u/{token}" },
		{ "/f/report2024finalx", "/f/{token}" },
		{ "/f/report2024final", "/f/report2024final" },
		{ "/f/report2024", "/f/report2024" },
		{ "/s/xkcdqwrtzplmnbv", "/s/{token}" },
		{ "/blog/this-is-a-very-long-article-slug-title", "/blog/{token}" },
		{ "/s/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0", "/s/{token}" },
		/* percent-encoded */
		{ "/q/%E4%BD%A0%E5%A5%BD", "/q/{token}" },
		{ "/hello%20world", "/hello%20world" },
		{ "/a/100%", "/a/100%" },
		/* ordinary words stay */
		{ "/docs/getting-started", "/docs/getting-started" },
		{ "/healthz", "/healthz" },
		{ "/api/v2/experiments", "/api/v2/experiments" },
		{ "/favicon.ico", "/favicon.ico" },
		{ "/static/app.min.js", "/static/app.min.js" },
		{ "/oauth2/callback", "/oauth2/callback" },
		{ "/internationalization", "/internationalization" },
		/* bytes outside printable ASCII */
		{ "/a/\x01\x02", "/a/{token}" },
		{ "/caf\xc3\xa9", "/{token}" },
		{ "/a b", "/{token}" },
		{ "/a/\x7f", "/a/{token}" },
	};
	struct route_table *t = route_table__new(NULL, 0, 1000);

	(void)state;
	assert_non_null(t);
	CHECK(t, cases);
	route_table__free(t);
}

static void test_bounds(void **state)
{
	struct route_table *t = route_table__new(NULL, 0, 1000);
	char path[512] = "", want[512] = "";
	const char *got;

	(void)state;
	assert_non_null(t);
	/* a NUL ends the target even inside len */
	assert_int_equal(route_table__route(t, "s", "/abc\0def", 8, out_buf, sizeof(out_buf)), 0);
	assert_string_equal(out_buf, "/abc");
	/* len shorter than the string */
	assert_int_equal(route_table__route(t, "s", "/abc/def", 4, out_buf, sizeof(out_buf)), 0);
	assert_string_equal(out_buf, "/abc");
	assert_int_equal(route_table__route(t, "s", NULL, 0, out_buf, sizeof(out_buf)), 0);
	assert_string_equal(out_buf, "/");
	/* too many segments */
	for (int i = 0; i < 20; i++)
		strcat(path, "/a");
	for (int i = 0; i < ROUTE_MAX_SEGS; i++)
		strcat(want, "/a");
	strcat(want, ROUTE_REST);
	assert_string_equal(route_of(t, "s", path), want);
	/* too many bytes: 5 x 29-char words = 150 bytes */
	path[0] = '\0';
	for (int i = 0; i < 5; i++)
		strcat(path, "/internationalizationabcdefgh");
	got = route_of(t, "s", path);
	assert_true(strlen(got) < ROUTE_MAX);
	assert_string_equal(
		got, "/internationalizationabcdefgh/internationalizationabcdefgh"
		     "/internationalizationabcdefgh/internationalizationabcdefgh" ROUTE_REST);
	/* a trailing slash on an exactly 16-segment path is kept */
	path[0] = '\0';
	for (int i = 0; i < ROUTE_MAX_SEGS; i++)
		strcat(path, "/b");
	strcat(path, "/");
	got = route_of(t, "s", path);
	assert_int_equal(strlen(got), 2 * ROUTE_MAX_SEGS + 1);
	route_table__free(t);
}

static void test_out_buffer(void **state)
{
	struct route_table *t = route_table__new(NULL, 0, 10);
	char small[4];

	(void)state;
	assert_non_null(t);
	assert_int_equal(route_table__route(t, "s", "/api/x", 6, small, sizeof(small)), -ENOSPC);
	assert_string_equal(small, "/ap");
	assert_int_equal(route_table__route(NULL, "s", "/", 1, small, sizeof(small)), -EINVAL);
	assert_int_equal(route_table__route(t, "s", "/", 1, NULL, 10), -EINVAL);
	assert_int_equal(route_table__route(t, "s", "/", 1, small, 0), -EINVAL);
	assert_int_equal(route_table__route(t, "s", NULL, 3, small, sizeof(small)), -EINVAL);
	/* a NULL service counts as "" */
	assert_int_equal(route_table__route(t, NULL, "/x", 2, small, sizeof(small)), 0);
	assert_int_equal(route_table__routes(t, ""), 1);
	route_table__free(t);
	route_table__free(NULL);
}

static void test_patterns(void **state)
{
	static char *const pats[] = {
		"/api/experiments/{id}",
		"/api/users/{user}/runs/{run}",
		"/static/*",
		"/files/{path*}",
		"/",
		"/health",
		"/a/{x}",
		"/a/b",
		"/exact/",
		"/deep/**",
	};
	static const struct rcase cases[] = {
		{ "/api/experiments/abc", "/api/experiments/{id}" },
		{ "/api/experiments/abc/", "/api/experiments/{id}" },
		{ "/api/experiments/abc?x=1", "/api/experiments/{id}" },
		{ "http://h:1/api/experiments/1", "/api/experiments/{id}" },
		{ "/api//experiments/7", "/api/experiments/{id}" },
		{ "/api/experiments/abc/extra", "/api/experiments/abc/extra" },
		{ "/api/experiments", "/api/experiments" },
		{ "/api/Experiments/1", "/api/Experiments/{id}" },
		{ "/api/users/bob/runs/7?x", "/api/users/{user}/runs/{run}" },
		{ "/api/users/bob/runs", "/api/users/bob/runs" },
		{ "/static/css/a.css", "/static/*" },
		{ "/static", "/static/*" },
		{ "/staticx/a", "/staticx/a" },
		{ "/files/a/b/c", "/files/{path*}" },
		{ "/deep/1/2/3", "/deep/**" },
		{ "/", "/" },
		{ "", "/" },
		{ "/health", "/health" },
		{ "/health/", "/health" },
		{ "/a/b", "/a/{x}" }, /* first match wins */
		{ "/exact", "/exact/" },
		{ "*", "*" },
		{ "/static/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s", "/static/*" },
		{ "/api/experiments/\x01\xff", "/api/experiments/{id}" },
	};
	struct route_table *t = route_table__new(pats, sizeof(pats) / sizeof(pats[0]), 1000);

	(void)state;
	assert_non_null(t);
	CHECK(t, cases);
	route_table__free(t);
}

static void test_pattern_check(void **state)
{
	static const char *const good[] = {
		"/",  "/a",  "/a/",	 "/{x}", "/a/{b_1}/c",
		"/*", "/**", "/{rest*}", "/a/*", "/v1.0/~user/a-b_c%20"
	};
	static const char *const bad[] = { "",	   "api",	"/a//b",   "/{}",  "/{a",  "/{a-b}",
					   "/*/x", "/a/{x*}/b", "/a b",	   "/a?b", "/a#b", "/{*}",
					   "/a}",  "/a*",	"/x/\x01", "/{x}y" };
	char why[128], pat[512] = "";
	char *one[1];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (route_pattern_check(good[i], why, sizeof(why)))
			fail_msg("'%s' refused: %s", good[i], why);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (!route_pattern_check(bad[i], why, sizeof(why)))
			fail_msg("'%s' accepted", bad[i]);
		assert_true(why[0] != '\0');
	}
	assert_int_equal(route_pattern_check(NULL, NULL, 0), -EINVAL);
	for (int i = 0; i < 17; i++)
		strcat(pat, "/a");
	assert_int_equal(route_pattern_check(pat, why, sizeof(why)), -EINVAL);
	memset(pat, 'a', 200);
	pat[0] = '/';
	pat[200] = '\0';
	assert_int_equal(route_pattern_check(pat, why, sizeof(why)), -EINVAL);
	one[0] = "/a//b";
	errno = 0;
	assert_null(route_table__new(one, 1, 10));
	assert_int_equal(errno, EINVAL);
	assert_null(route_table__new(NULL, 3, 10));
	assert_int_equal(errno, EINVAL);
}

static void test_cap(void **state)
{
	static char *const pats[] = { "/api/experiments/{id}" };
	static const char *const words[] = { "/one", "/two", "/three", "/four", "/five" };
	struct route_table *t = route_table__new(pats, 1, 3);

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < 3; i++)
		assert_string_equal(route_of(t, "a", words[i]), words[i]);
	assert_string_equal(route_of(t, "a", "/four"), ROUTE_OVERFLOW);
	assert_string_equal(route_of(t, "a", "/five"), ROUTE_OVERFLOW);
	assert_string_equal(route_of(t, "a", "/four?x"), ROUTE_OVERFLOW);
	/* kept routes stay kept, also when they come back spelled differently */
	assert_string_equal(route_of(t, "a", "/one"), "/one");
	assert_string_equal(route_of(t, "a", "//two?q"), "/two");
	assert_string_equal(route_of(t, "a", "/three#x"), "/three");
	/* configured patterns and constants are exempt from the cap */
	assert_string_equal(route_of(t, "a", "/api/experiments/9"), "/api/experiments/{id}");
	assert_string_equal(route_of(t, "a", "*"), "*");
	assert_string_equal(route_of(t, "a", "junk"), ROUTE_INVALID);
	/* ids collapse before the cap sees them */
	assert_string_equal(route_of(t, "b", "/u/1"), "/u/{id}");
	assert_string_equal(route_of(t, "b", "/u/2"), "/u/{id}");
	assert_int_equal(route_table__routes(t, "b"), 1);
	/* another service has its own budget */
	for (int i = 0; i < 5; i++)
		route_of(t, "b", words[i]);
	assert_int_equal(route_table__routes(t, "a"), 3);
	assert_int_equal(route_table__routes(t, "b"), 3);
	assert_int_equal(route_table__collapsed(t, "a"), 3);
	assert_int_equal(route_table__collapsed(t, "b"), 3);
	assert_int_equal(route_table__collapsed(t, NULL), 6);
	assert_int_equal(route_table__collapsed(t, "nobody"), 0);
	assert_int_equal(route_table__routes(t, "nobody"), 0);
	assert_int_equal(route_table__services(t), 2);
	assert_int_equal(route_table__collapsed(NULL, NULL), 0);
	assert_int_equal(route_table__services(NULL), 0);
	route_table__free(t);
}

static void test_cap_zero(void **state)
{
	static char *const pats[] = { "/known/{x}" };
	struct route_table *t = route_table__new(pats, 1, 0);

	(void)state;
	assert_non_null(t);
	assert_string_equal(route_of(t, "a", "/known/1"), "/known/{x}");
	assert_string_equal(route_of(t, "a", "/other"), ROUTE_OVERFLOW);
	assert_string_equal(route_of(t, "a", "/"), ROUTE_OVERFLOW);
	assert_int_equal(route_table__collapsed(t, "a"), 2);
	route_table__free(t);
}

static void test_service_limits(void **state)
{
	struct route_table *t = route_table__new(NULL, 0, 5);
	char svc[32], longa[200], longb[200];

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < ROUTE_MAX_SERVICES; i++) {
		snprintf(svc, sizeof(svc), "svc-%d", i);
		assert_string_equal(route_of(t, svc, "/x"), "/x");
	}
	assert_int_equal(route_table__services(t), ROUTE_MAX_SERVICES);
	assert_string_equal(route_of(t, "one-too-many", "/x"), ROUTE_OVERFLOW);
	assert_string_equal(route_of(t, "svc-7", "/y"), "/y");
	assert_int_equal(route_table__services(t), ROUTE_MAX_SERVICES);
	assert_int_equal(route_table__collapsed(t, NULL), 1);
	assert_int_equal(route_table__collapsed(t, "one-too-many"), 0);
	route_table__free(t);

	/* names are cut to ROUTE_SERVICE_MAX - 1 bytes: these two are one service */
	t = route_table__new(NULL, 0, 1);
	assert_non_null(t);
	memset(longa, 's', sizeof(longa));
	memcpy(longb, longa, sizeof(longb));
	longa[150] = 'a';
	longb[150] = 'b';
	longa[199] = longb[199] = '\0';
	assert_string_equal(route_of(t, longa, "/x"), "/x");
	assert_string_equal(route_of(t, longb, "/y"), ROUTE_OVERFLOW);
	assert_int_equal(route_table__services(t), 1);
	route_table__free(t);
}

static void word(unsigned n, char *buf)
{
	buf[0] = '/';
	for (int i = 1; i <= 4; i++, n /= 26)
		buf[i] = (char)('a' + n % 26);
	buf[5] = '\0';
}

static void test_global_route_limit(void **state)
{
	struct route_table *t = route_table__new(NULL, 0, 100000);
	unsigned kept = 0, over = 0;
	char p[8];

	(void)state;
	assert_non_null(t);
	for (unsigned i = 0; i < ROUTE_MAX_ROUTES + 1000; i++) {
		word(i, p);
		if (!strcmp(route_of(t, "big", p), ROUTE_OVERFLOW))
			over++;
		else
			kept++;
	}
	assert_int_equal(kept, ROUTE_MAX_ROUTES);
	assert_int_equal(over, 1000);
	assert_int_equal(route_table__collapsed(t, "big"), 1000);
	word(17, p);
	assert_string_equal(route_of(t, "big", p), p); /* still known */
	route_table__free(t);
}

static bool route_sane(const char *r)
{
	size_t n = strlen(r);

	if (n == 0 || n >= ROUTE_MAX || (r[0] != '/' && strcmp(r, "*")))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (r[i] < 0x21 || r[i] > 0x7e)
			return false;
	}
	return true;
}

static void test_garbage(void **state)
{
	static char *const pats[] = { "/api/{x}", "/s/*" };
	static const char alphabet[] = "/////?#%%*:{}09azAZ-._~\x00\x01\xff";
	struct route_table *t = route_table__new(pats, 2, 50);
	char in[600], svc[8];

	(void)state;
	assert_non_null(t);
	srand(12345);
	for (int iter = 0; iter < 200000; iter++) {
		size_t len = (size_t)rand() % sizeof(in);
		bool structured = iter & 1;

		for (size_t i = 0; i < len; i++)
			in[i] = structured ? alphabet[rand() % (sizeof(alphabet) - 1)] :
					     (char)rand();
		if (iter % 3 == 0 && len)
			in[0] = '/';
		snprintf(svc, sizeof(svc), "s%d", rand() % 40);
		assert_int_equal(route_table__route(t, svc, in, len, out_buf, sizeof(out_buf)), 0);
		if (!route_sane(out_buf))
			fail_msg("iteration %d: bad route '%s'", iter, out_buf);
	}
	assert_true(route_table__collapsed(t, NULL) > 0);
	route_table__free(t);
}

static void test_speed(void **state)
{
	static char *const pats[] = { "/api/experiments/{id}", "/api/users/{user}/runs/{run}",
				      "/static/*" };
	static const char *const paths[] = {
		"/api/experiments/42?verbose=1",
		"/api/users/bob/runs/7",
		"/api/v2/items/123e4567-e89b-12d3-a456-426614174000/history",
		"/static/js/app.min.js",
		"/healthz",
		"/search?q=dna+sequencing",
	};
	struct route_table *t = route_table__new(pats, 3, 100);
	size_t lens[6];
	struct timespec a, b;
	const int rounds = 1000000;
	double ns;

	(void)state;
	assert_non_null(t);
	for (int i = 0; i < 6; i++)
		lens[i] = strlen(paths[i]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < rounds; i++)
		route_table__route(t, "lab-api", paths[i % 6], lens[i % 6], out_buf,
				   sizeof(out_buf));
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / rounds;
	print_message("route_table__route: %.0f ns per call\n", ns);
	/* generous so sanitizer builds pass; the -O2 build is well under 1 us */
	assert_true(ns < 10000);
	route_table__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_forms),
		cmocka_unit_test(test_heuristics),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_out_buffer),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_pattern_check),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_cap_zero),
		cmocka_unit_test(test_service_limits),
		cmocka_unit_test(test_global_route_limit),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
