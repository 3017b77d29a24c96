// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * business: rules over real-looking requests (first match wins, query
 * ignored, method/status/service filters, overlapping patterns), rule and
 * status checks, route_pattern_match against the sentinels a route table
 * would return, and exact productivity and efficiency figures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "business.h"
#include "route.h"

static struct business_rule rule(const char *event, const char *method, const char *path,
				 uint16_t lo, uint16_t hi, const char *service,
				 enum business_category c, enum business_outcome o)
{
	struct business_rule r;

	memset(&r, 0, sizeof(r));
	snprintf(r.event, sizeof(r.event), "%s", event);
	snprintf(r.method, sizeof(r.method), "%s", method);
	snprintf(r.path, sizeof(r.path), "%s", path);
	snprintf(r.service, sizeof(r.service), "%s", service);
	r.status_min = lo;
	r.status_max = hi;
	r.category = c;
	r.outcome = o;
	return r;
}

/* The research API of the brief, in config order. */
static struct business *lab_rules(void)
{
	struct business_rule r[] = {
		rule("experiment_started", "POST", "/api/experiments", 201, 201, "", BIZ_EXPERIMENT,
		     BIZ_STARTED),
		rule("experiment_completed", "POST", "/api/experiments/{id}/complete", 200, 299, "",
		     BIZ_EXPERIMENT, BIZ_SUCCEEDED),
		rule("experiment_failed", "POST", "/api/experiments/{rest*}", 500, 599, "",
		     BIZ_EXPERIMENT, BIZ_FAILED),
		rule("paper_published", "PUT", "/api/papers/{id}", 200, 200, "lab-api",
		     BIZ_PUBLICATION, BIZ_SUCCEEDED),
		rule("paper_touched", "", "/api/papers/{id}", 200, 299, "", BIZ_PUBLICATION,
		     BIZ_OUTCOME_OTHER),
	};
	struct business *b = business__new(r, sizeof(r) / sizeof(r[0]));

	assert_non_null(b);
	return b;
}

static const char *ev(struct business *b, const char *svc, const char *method, const char *path,
		      uint16_t status)
{
	const struct business_rule *r = business__match(b, svc, method, path, strlen(path), status);

	return r ? r->event : "-";
}

static void test_match_requests(void **state)
{
	struct business *b = lab_rules();

	(void)state;
	assert_string_equal(ev(b, "lab-api", "POST", "/api/experiments", 201),
			    "experiment_started");
	assert_string_equal(ev(b, "lab-api", "POST", "/api/experiments?draft=1", 201),
			    "experiment_started");
	assert_string_equal(ev(b, "lab-api", "POST", "/api/experiments", 200), "-");
	assert_string_equal(ev(b, "lab-api", "GET", "/api/experiments", 201), "-");
	assert_string_equal(ev(b, "lab-api", "POST", "/api/experiments/42/complete", 200),
			    "experiment_completed");
	assert_string_equal(ev(b, "lab-api", "POST", "/api/experiments/42/complete?x=1#f", 204),
			    "experiment_completed");
	assert_string_equal(ev(b, "x", "POST", "http://h:80/api/experiments/7/complete", 200),
			    "experiment_completed");
	/* the completion pattern comes first but its status does not fit: the next rule's does */
	assert_string_equal(ev(b, "lab-api", "POST", "/api/experiments/42/complete", 500),
			    "experiment_failed");
	assert_string_equal(ev(b, "lab-api", "POST", "/api/experiments/42/abort", 503),
			    "experiment_failed");
	assert_string_equal(ev(b, "lab-api", "GET", "/api/experiments/42/complete", 200), "-");
	assert_string_equal(ev(b, "lab-api", "POST", "/api/experiments/42/complete", 404), "-");
	assert_string_equal(ev(b, "lab-api", "POST", "/api/experiments/42/complete/x", 200), "-");
	assert_string_equal(ev(b, "lab-api", "POST", "/api/experiment/42/complete", 200), "-");
	/* method names are case-sensitive, as on the wire */
	assert_string_equal(ev(b, "lab-api", "post", "/api/experiments", 201), "-");
	/* service filter; the next rule (any service, any method) catches the others */
	assert_string_equal(ev(b, "lab-api", "PUT", "/api/papers/9", 200), "paper_published");
	assert_string_equal(ev(b, "other", "PUT", "/api/papers/9", 200), "paper_touched");
	assert_string_equal(ev(b, NULL, "PUT", "/api/papers/9", 200), "paper_touched");
	assert_string_equal(ev(b, "lab-api", "PUT", "/api/papers/9", 201), "paper_touched");
	assert_string_equal(ev(b, "lab-api", "DELETE", "/api/papers/9?hard=1", 204),
			    "paper_touched");
	assert_string_equal(ev(b, "lab-api", NULL, "/api/papers/9", 204), "paper_touched");
	assert_string_equal(ev(b, "lab-api", "PUT", "/api/papers", 200), "-");
	business__free(b);
}

static void test_first_rule_wins(void **state)
{
	struct business_rule r[] = {
		rule("a", "", "/x/{id}", 200, 299, "", BIZ_OTHER, BIZ_OUTCOME_OTHER),
		rule("b", "POST", "/x/{id}", 200, 200, "", BIZ_OTHER, BIZ_OUTCOME_OTHER),
		rule("c", "", "/x/*", 100, 599, "", BIZ_OTHER, BIZ_OUTCOME_OTHER),
	};
	struct business *b = business__new(r, 3);
	const struct business_rule *m;

	(void)state;
	assert_non_null(b);
	assert_string_equal(ev(b, "", "POST", "/x/1", 200), "a");
	assert_string_equal(ev(b, "", "POST", "/x/1", 302), "c");
	assert_string_equal(ev(b, "", "POST", "/x/1/2/3", 200), "c");
	/* as in http.routes, a trailing "*" also matches no further segment */
	assert_string_equal(ev(b, "", "POST", "/x", 200), "c");
	assert_string_equal(ev(b, "", "POST", "/y/1", 200), "-");
	/* the returned rule is the table's own copy, category and outcome intact */
	m = business__match(b, "", "GET", "/x/5", 4, 250);
	assert_non_null(m);
	assert_string_equal(m->event, "a");
	assert_int_equal(m->category, BIZ_OTHER);
	assert_int_equal(m->outcome, BIZ_OUTCOME_OTHER);
	/* only len bytes count: "/x/" is one segment */
	assert_string_equal(business__match(b, "", "GET", "/x/5", 3, 250)->event, "c");
	m = business__match(b, "", "GET", "/x/5", 4, 250);
	assert_ptr_equal(m, business__match(b, "", "GET", "/x/6", 4, 299));
	business__free(b);
}

/* path is len bytes, not NUL-terminated; garbage never matches a rule of a real path. */
static void test_match_bytes_and_garbage(void **state)
{
	struct business *b = lab_rules();
	const char raw[] = "/api/experimentsXXXX";
	const char bin[] = { '/', 'a', 'p', 'i', 0, 'x' };

	(void)state;
	assert_non_null(business__match(b, "", "POST", raw, 16, 201));
	assert_null(business__match(b, "", "POST", raw, 17, 201));
	assert_null(business__match(b, "", "POST", raw, 0, 201));
	assert_null(business__match(b, "", "POST", NULL, 0, 201));
	assert_null(business__match(b, "", "POST", NULL, 5, 201));
	assert_null(business__match(NULL, "", "POST", raw, 16, 201));
	assert_null(business__match(b, "", "POST", bin, sizeof(bin), 201));
	assert_string_equal(ev(b, "", "POST", "api/experiments", 201), "-");
	assert_string_equal(ev(b, "", "POST", "*", 201), "-");
	assert_string_equal(ev(b, "", "POST", "/api/experiments", 0), "-");
	assert_string_equal(ev(b, "", "POST", "/api/experiments", 65535), "-");
	business__free(b);

	/* no rules: nothing matches, nothing allocated beyond the table */
	b = business__new(NULL, 0);
	assert_non_null(b);
	assert_null(business__match(b, "", "GET", "/", 1, 200));
	business__free(b);
	business__free(NULL);
}

/*
 * A route table with max_routes_per_service 0 answers "/{overflow}" for
 * every unmatched path and "/{invalid}" for a bad target, and only its
 * first matching pattern: route_pattern_match must do neither.
 */
static void test_pattern_match(void **state)
{
	(void)state;
	assert_true(route_pattern_match("/{overflow}", "/a", 2));
	assert_false(route_pattern_match("/{overflow}", "/a/b", 4));
	assert_false(route_pattern_match("/{invalid}", "abc", 3));
	assert_true(route_pattern_match("/{invalid}", "/abc", 4));
	assert_false(route_pattern_match("/{rest}", "*", 1));
	assert_true(route_pattern_match("/api/{rest*}", "/api/experiments/42/complete", 28));
	assert_true(route_pattern_match("/api/experiments/{id}/complete",
					"/api/experiments/42/complete", 28));
	assert_true(route_pattern_match("/", "/?q", 3));
	assert_true(route_pattern_match("/", "", 0));
	assert_false(route_pattern_match("/", "/a", 2));
	assert_false(route_pattern_match("no-slash", "/a", 2));
	assert_false(route_pattern_match(NULL, "/a", 2));
	assert_false(route_pattern_match("/a", NULL, 2));
	assert_false(route_pattern_match("/a/{id", "/a/1", 4));

	/* overlapping rules of one event family: the shadowed one still matches */
	{
		struct business_rule r[] = {
			rule("first", "", "/{overflow}", 100, 599, "", BIZ_OTHER,
			     BIZ_OUTCOME_OTHER),
			rule("bad_target", "", "/{invalid}", 100, 599, "", BIZ_OTHER,
			     BIZ_OUTCOME_OTHER),
		};
		struct business *b = business__new(r, 2);

		assert_non_null(b);
		assert_string_equal(ev(b, "", "GET", "/a/b", 200), "-");
		assert_string_equal(ev(b, "", "GET", "garbage", 200), "-");
		assert_string_equal(ev(b, "", "GET", "/z", 200), "first");
		business__free(b);
	}
}

static void expect_bad(struct business_rule r, const char *why_part)
{
	char why[128] = "";

	assert_int_equal(business_rule_check(&r, why, sizeof(why)), -EINVAL);
	if (!strstr(why, why_part))
		fail_msg("why \"%s\" lacks \"%s\"", why, why_part);
	errno = 0;
	assert_null(business__new(&r, 1));
	assert_int_equal(errno, EINVAL);
}

static void test_rule_check(void **state)
{
	struct business_rule ok = rule("experiment_started", "POST", "/api/experiments", 201, 201,
				       "", BIZ_EXPERIMENT, BIZ_STARTED);
	struct business_rule r;
	char why[128];

	(void)state;
	assert_int_equal(business_rule_check(&ok, why, sizeof(why)), 0);
	assert_int_equal(business_rule_check(&ok, NULL, 0), 0);
	r = ok;
	strcpy(r.method, "");
	assert_int_equal(business_rule_check(&r, NULL, 0), 0);
	for (const char *const *m =
		     (const char *const[]){ "GET", "HEAD", "PUT", "DELETE", "CONNECT", "OPTIONS",
					    "TRACE", "PATCH", NULL };
	     *m; m++) {
		snprintf(r.method, sizeof(r.method), "%s", *m);
		assert_int_equal(business_rule_check(&r, NULL, 0), 0);
	}
	r = ok;
	memset(r.event, 'a', 63);
	r.event[63] = '\0';
	assert_int_equal(business_rule_check(&r, NULL, 0), 0);
	r = ok;
	r.status_min = 100;
	r.status_max = 599;
	assert_int_equal(business_rule_check(&r, NULL, 0), 0);

	r = ok;
	strcpy(r.event, "");
	expect_bad(r, "event");
	strcpy(r.event, "Experiment");
	expect_bad(r, "event");
	strcpy(r.event, "exp-started");
	expect_bad(r, "event");
	strcpy(r.event, "exp started");
	expect_bad(r, "event");
	memset(r.event, 'a', sizeof(r.event)); /* 64 bytes, no NUL */
	expect_bad(r, "event");
	r = ok;
	strcpy(r.method, "post");
	expect_bad(r, "method");
	strcpy(r.method, "FETCH");
	expect_bad(r, "method");
	strcpy(r.method, "GET ");
	expect_bad(r, "method");
	r = ok;
	strcpy(r.path, "api/experiments");
	expect_bad(r, "path: must start with '/'");
	strcpy(r.path, "/api//x");
	expect_bad(r, "path");
	strcpy(r.path, "/api/{id");
	expect_bad(r, "path");
	strcpy(r.path, "/a/*/b");
	expect_bad(r, "path");
	strcpy(r.path, "");
	expect_bad(r, "path");
	memset(r.path, 'a', sizeof(r.path));
	r.path[0] = '/';
	expect_bad(r, "path");
	r = ok;
	r.status_min = 300;
	r.status_max = 299;
	expect_bad(r, "status");
	r.status_min = 99;
	r.status_max = 200;
	expect_bad(r, "status");
	r.status_min = 500;
	r.status_max = 600;
	expect_bad(r, "status");
	r.status_min = r.status_max = 0;
	expect_bad(r, "status");
	r = ok;
	memset(r.service, 's', sizeof(r.service));
	expect_bad(r, "service");
	r = ok;
	r.category = (enum business_category)BIZ_CATEGORY__COUNT;
	expect_bad(r, "category");
	r = ok;
	r.outcome = (enum business_outcome) - 1;
	expect_bad(r, "outcome");
	assert_int_equal(business_rule_check(NULL, why, sizeof(why)), -EINVAL);

	/* one bad rule among good ones refuses the whole set */
	{
		struct business_rule set[3] = { ok, ok, ok };

		strcpy(set[2].method, "get");
		errno = 0;
		assert_null(business__new(set, 3));
		assert_int_equal(errno, EINVAL);
		errno = 0;
		assert_null(business__new(NULL, 1));
		assert_int_equal(errno, EINVAL);
	}
}

static void test_too_many_rules(void **state)
{
	static struct business_rule r[BUSINESS_MAX_RULES + 1];
	struct business *b;

	(void)state;
	for (size_t i = 0; i <= BUSINESS_MAX_RULES; i++) {
		r[i] = rule("e", "", "/x/{id}", 200, 200, "", BIZ_OTHER, BIZ_OUTCOME_OTHER);
		snprintf(r[i].path, sizeof(r[i].path), "/r%zu", i);
	}
	b = business__new(r, BUSINESS_MAX_RULES);
	assert_non_null(b);
	assert_string_equal(ev(b, "", "GET", "/r255", 200), "e");
	assert_string_equal(business__match(b, "", "GET", "/r255", 5, 200)->path, "/r255");
	assert_null(business__match(b, "", "GET", "/r256", 5, 200));
	business__free(b);
	errno = 0;
	assert_null(business__new(r, BUSINESS_MAX_RULES + 1));
	assert_int_equal(errno, EINVAL);
}

static void status_ok(const char *s, uint16_t lo, uint16_t hi)
{
	uint16_t a = 1, b = 1;

	if (business_status_parse(s, &a, &b))
		fail_msg("\"%s\" refused", s);
	if (a != lo || b != hi)
		fail_msg("\"%s\" = %u..%u, want %u..%u", s, a, b, lo, hi);
}

static void test_status_parse(void **state)
{
	static const char *const bad[] = { "",	      "2",	  "20",	     "2000",	 "099",
					   "600",     "6xx",	  "0xx",     "x00",	 "2x0",
					   "20x",     " 200",	  "200 ",    "+200",	 "-200",
					   "2xx,5xx", "4xx-5xx",  "204-200", "200-2044", "200-",
					   "-204",    "200--204", "200_204", "200-600",	 "099-200",
					   "２００",  "200-20x",  "abc" };
	uint16_t a = 7, b = 9;

	(void)state;
	status_ok("201", 201, 201);
	status_ok("100", 100, 100);
	status_ok("599", 599, 599);
	status_ok("2xx", 200, 299);
	status_ok("2XX", 200, 299);
	status_ok("1xx", 100, 199);
	status_ok("5xx", 500, 599);
	status_ok("200-204", 200, 204);
	status_ok("404-404", 404, 404);
	status_ok("100-599", 100, 599);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (business_status_parse(bad[i], &a, &b) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
	}
	assert_int_equal(a, 7); /* untouched on error */
	assert_int_equal(b, 9);
	assert_int_equal(business_status_parse(NULL, &a, &b), -EINVAL);
	assert_int_equal(business_status_parse("200", NULL, &b), -EINVAL);
	assert_int_equal(business_status_parse("200", &a, NULL), -EINVAL);
}

static void test_names(void **state)
{
	enum business_category c;
	enum business_outcome o;

	(void)state;
	assert_string_equal(business_category_name(BIZ_EXPERIMENT), "experiment");
	assert_string_equal(business_category_name(BIZ_PUBLICATION), "publication");
	assert_string_equal(business_category_name(BIZ_DISCOVERY), "discovery");
	assert_string_equal(business_category_name(BIZ_OTHER), "other");
	assert_string_equal(business_category_name((enum business_category)99), "other");
	assert_string_equal(business_outcome_name(BIZ_STARTED), "started");
	assert_string_equal(business_outcome_name(BIZ_SUCCEEDED), "succeeded");
	assert_string_equal(business_outcome_name(BIZ_FAILED), "failed");
	assert_string_equal(business_outcome_name(BIZ_OUTCOME_OTHER), "other");
	for (int i = 0; i < BIZ_CATEGORY__COUNT; i++) {
		assert_int_equal(business_category_parse(business_category_name(i), &c), 0);
		assert_int_equal(c, i);
	}
	for (int i = 0; i < BIZ_OUTCOME__COUNT; i++) {
		assert_int_equal(business_outcome_parse(business_outcome_name(i), &o), 0);
		assert_int_equal(o, i);
	}
	assert_int_equal(business_category_parse("Experiment", &c), -EINVAL);
	assert_int_equal(business_category_parse("", &c), -EINVAL);
	assert_int_equal(business_category_parse(NULL, &c), -EINVAL);
	assert_int_equal(business_outcome_parse("success", &o), -EINVAL);
	assert_int_equal(business_outcome_parse("failed ", &o), -EINVAL);
}

static void test_productivity(void **state)
{
	struct business_counts c = { 0 };
	struct business_weights w;
	struct business_productivity p;

	(void)state;
	business_weights_defaults(&w);
	assert_true(w.w[BIZ_EXPERIMENT] == 1 && w.w[BIZ_PUBLICATION] == 5 &&
		    w.w[BIZ_DISCOVERY] == 3 && w.w[BIZ_OTHER] == 0);
	c.n[BIZ_EXPERIMENT][BIZ_STARTED] = 20;
	c.n[BIZ_EXPERIMENT][BIZ_SUCCEEDED] = 12;
	c.n[BIZ_EXPERIMENT][BIZ_FAILED] = 4;
	c.n[BIZ_PUBLICATION][BIZ_SUCCEEDED] = 2;
	c.n[BIZ_PUBLICATION][BIZ_FAILED] = 9; /* not in the experiment success rate */
	c.n[BIZ_DISCOVERY][BIZ_SUCCEEDED] = 1;
	c.n[BIZ_OTHER][BIZ_SUCCEEDED] = 100;
	business_productivity(&c, &w, 2.0, &p);
	assert_true(p.days == 2.0);
	assert_true(p.experiment_success_rate == 0.75);
	assert_true(p.outcomes_per_day == 57.5); /* (12+2+1+100)/2 */
	/* (1*12 + 5*2 + 3*1 + 0*100) / 2 * 0.75 = 25 / 2 * 0.75 */
	assert_true(p.score == 9.375);
	assert_int_equal(p.succeeded[BIZ_EXPERIMENT], 12);
	assert_int_equal(p.succeeded[BIZ_PUBLICATION], 2);
	assert_int_equal(p.succeeded[BIZ_DISCOVERY], 1);
	assert_int_equal(p.succeeded[BIZ_OTHER], 100);

	/* no experiment ended: rate undefined, score not scaled */
	c.n[BIZ_EXPERIMENT][BIZ_SUCCEEDED] = 0;
	c.n[BIZ_EXPERIMENT][BIZ_FAILED] = 0;
	business_productivity(&c, &w, 0.5, &p);
	assert_true(p.experiment_success_rate == -1);
	assert_true(p.score == 26.0); /* (10 + 3) / 0.5 */
	assert_true(p.outcomes_per_day == 206.0);

	/* every experiment failed: rate 0 zeroes the score */
	c.n[BIZ_EXPERIMENT][BIZ_FAILED] = 3;
	business_productivity(&c, &w, 1, &p);
	assert_true(p.experiment_success_rate == 0);
	assert_true(p.score == 0);
	assert_true(p.outcomes_per_day == 103);

	/* custom weights */
	w.w[BIZ_OTHER] = 0.5;
	c.n[BIZ_EXPERIMENT][BIZ_FAILED] = 0;
	business_productivity(&c, &w, 4, &p);
	assert_true(p.score == (10.0 + 3.0 + 50.0) / 4);
}

static void test_productivity_zero(void **state)
{
	struct business_counts c = { 0 };
	struct business_weights w;
	struct business_productivity p;

	(void)state;
	business_weights_defaults(&w);
	business_productivity(&c, &w, 7, &p);
	assert_true(p.experiment_success_rate == -1);
	assert_true(p.score == 0 && p.outcomes_per_day == 0);

	c.n[BIZ_EXPERIMENT][BIZ_SUCCEEDED] = 5;
	for (int i = 0; i < 3; i++) {
		double days = i == 0 ? 0 : i == 1 ? -1 : NAN;

		business_productivity(&c, &w, days, &p);
		assert_true(p.score == 0 && p.outcomes_per_day == 0);
		assert_true(p.experiment_success_rate == 1);
		assert_int_equal(p.succeeded[BIZ_EXPERIMENT], 5);
		assert_false(isnan(p.score) || isinf(p.score));
	}
	/* NULL weights: the defaults */
	business_productivity(&c, NULL, 1, &p);
	assert_true(p.score == 5);
	/* NULL counts: nothing happened */
	business_productivity(NULL, &w, 1, &p);
	assert_true(p.score == 0 && p.experiment_success_rate == -1 && p.succeeded[0] == 0);
	business_productivity(&c, &w, 1, NULL);
	business_weights_defaults(NULL);
}

static void test_efficiency(void **state)
{
	struct business_counts c = { 0 };
	struct business_efficiency e;

	(void)state;
	c.n[BIZ_EXPERIMENT][BIZ_SUCCEEDED] = 8;
	c.n[BIZ_EXPERIMENT][BIZ_FAILED] = 80;
	c.n[BIZ_PUBLICATION][BIZ_SUCCEEDED] = 1;
	c.n[BIZ_DISCOVERY][BIZ_STARTED] = 3;
	business_efficiency(&c, 12.5, &e);
	assert_true(e.spend_usd == 12.5);
	assert_true(e.cost_per[BIZ_EXPERIMENT] == 1.5625);
	assert_true(e.cost_per[BIZ_PUBLICATION] == 12.5);
	assert_true(e.cost_per[BIZ_DISCOVERY] == -1);
	assert_true(e.cost_per[BIZ_OTHER] == -1);

	business_efficiency(&c, 0, &e);
	assert_true(e.cost_per[BIZ_EXPERIMENT] == 0);
	assert_true(e.cost_per[BIZ_DISCOVERY] == -1);

	business_efficiency(NULL, 3, &e);
	for (int i = 0; i < BIZ_CATEGORY__COUNT; i++)
		assert_true(e.cost_per[i] == -1);
	business_efficiency(&c, 3, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_requests),
		cmocka_unit_test(test_first_rule_wins),
		cmocka_unit_test(test_match_bytes_and_garbage),
		cmocka_unit_test(test_pattern_match),
		cmocka_unit_test(test_rule_check),
		cmocka_unit_test(test_too_many_rules),
		cmocka_unit_test(test_status_parse),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_productivity),
		cmocka_unit_test(test_productivity_zero),
		cmocka_unit_test(test_efficiency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
