// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * detect: each detector fires exactly at its threshold and once per
 * window, re-arms, lets windows slide, respects the allowlist and the
 * enabled flags; the runaway baseline and repeats; eviction and bounded
 * memory under a flood of sources; time going backwards; garbage input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

#define MS(x) ((uint64_t)(x)*1000000ull)
#define SEC(x) ((uint64_t)(x)*1000000000ull)
#define MIN(x) (SEC(x) * 60)

static struct detect_alert alert;

static struct detect *new_default(void)
{
	struct detect_cfg c;
	struct detect *d;

	detect_cfg_defaults(&c);
	d = detect__new(&c);
	assert_non_null(d);
	return d;
}

static int http(struct detect *d, uint64_t t, const char *client, uint16_t status, const char *path)
{
	int rc = detect__http(d, t, client, status, path, NULL, &alert);

	assert_true(rc == 0 || rc == 1);
	return rc;
}

static int llm(struct detect *d, uint64_t t, const char *agent, double cost, uint64_t hash)
{
	int rc = detect__llm(d, t, "lab", agent, cost, hash, &alert);

	assert_true(rc == 0 || rc == 1);
	return rc;
}

static void check_alert(enum detect_type type, const char *source, uint64_t count, uint64_t window,
			const char *detail)
{
	assert_int_equal(alert.type, type);
	assert_string_equal(alert.source, source);
	assert_int_equal(alert.count, count);
	assert_int_equal(alert.window_ns, window);
	assert_string_equal(alert.detail, detail);
}

/* ---- configuration ---- */

static void test_names_and_defaults(void **state)
{
	struct detect_cfg c;

	(void)state;
	assert_string_equal(detect_type_name(DET_AUTH_FAILURE_BURST), "auth_failure_burst");
	assert_string_equal(detect_type_name(DET_SCANNER), "scanner");
	assert_string_equal(detect_type_name(DET_RATE_LIMIT_VIOLATION), "rate_limit_violation");
	assert_string_equal(detect_type_name(DET_LLM_RUNAWAY_LOOP), "llm_runaway_loop");
	assert_string_equal(detect_type_name(DET__COUNT), "unknown");
	assert_string_equal(detect_type_name((enum detect_type) - 1), "unknown");

	memset(&c, 0x5a, sizeof(c));
	detect_cfg_defaults(&c);
	for (int i = 0; i < DET__COUNT; i++)
		assert_true(c.enabled[i]);
	assert_int_equal(c.auth_fail_count, 5);
	assert_int_equal(c.auth_fail_window_ns, MIN(5));
	assert_int_equal(c.scanner_404_count, 20);
	assert_int_equal(c.scanner_distinct_paths, 50);
	assert_int_equal(c.scanner_window_ns, MIN(1));
	assert_int_equal(c.ratelimit_429_count, 10);
	assert_int_equal(c.ratelimit_window_ns, MIN(1));
	assert_true(c.llm_rate_factor == 5.0);
	assert_int_equal(c.llm_min_calls_per_min, 30);
	assert_int_equal(c.llm_baseline_ns, MIN(30));
	assert_int_equal(c.llm_repeat_count, 10);
	assert_int_equal(c.llm_repeat_window_ns, MIN(1));
	for (int i = 0; i < 16; i++)
		assert_string_equal(c.allow_sources[i], "");
	assert_int_equal(detect_cfg_check(&c, NULL, 0), 0);
}

typedef void (*cfg_edit)(struct detect_cfg *c);

static void bad_auth0(struct detect_cfg *c)
{
	c->auth_fail_count = 0;
}
static void bad_auth_big(struct detect_cfg *c)
{
	c->auth_fail_count = DETECT_COUNT_MAX + 1;
}
static void bad_auth_win(struct detect_cfg *c)
{
	c->auth_fail_window_ns = 0;
}
static void bad_paths(struct detect_cfg *c)
{
	c->scanner_distinct_paths = 0;
}
static void bad_404(struct detect_cfg *c)
{
	c->scanner_404_count = 5000;
}
static void bad_scan_win(struct detect_cfg *c)
{
	c->scanner_window_ns = 0;
}
static void bad_429(struct detect_cfg *c)
{
	c->ratelimit_429_count = 0;
}
static void bad_factor_nan(struct detect_cfg *c)
{
	c->llm_rate_factor = NAN;
}
static void bad_factor_neg(struct detect_cfg *c)
{
	c->llm_rate_factor = -1;
}
static void bad_baseline_short(struct detect_cfg *c)
{
	c->llm_baseline_ns = MIN(5) - 1;
}
static void bad_baseline_long(struct detect_cfg *c)
{
	c->llm_baseline_ns = MIN(DETECT_COUNT_MAX + 1);
}
static void bad_repeat(struct detect_cfg *c)
{
	c->llm_repeat_count = 0;
}
static void bad_repeat_win(struct detect_cfg *c)
{
	c->llm_repeat_window_ns = 0;
}

static void test_cfg_check(void **state)
{
	static const struct {
		cfg_edit edit;
		enum detect_type det;
	} bad[] = {
		{ bad_auth0, DET_AUTH_FAILURE_BURST },
		{ bad_auth_big, DET_AUTH_FAILURE_BURST },
		{ bad_auth_win, DET_AUTH_FAILURE_BURST },
		{ bad_paths, DET_SCANNER },
		{ bad_404, DET_SCANNER },
		{ bad_scan_win, DET_SCANNER },
		{ bad_429, DET_RATE_LIMIT_VIOLATION },
		{ bad_factor_nan, DET_LLM_RUNAWAY_LOOP },
		{ bad_factor_neg, DET_LLM_RUNAWAY_LOOP },
		{ bad_baseline_short, DET_LLM_RUNAWAY_LOOP },
		{ bad_baseline_long, DET_LLM_RUNAWAY_LOOP },
		{ bad_repeat, DET_LLM_RUNAWAY_LOOP },
		{ bad_repeat_win, DET_LLM_RUNAWAY_LOOP },
	};
	struct detect_cfg c;
	struct detect *d;
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		detect_cfg_defaults(&c);
		bad[i].edit(&c);
		why[0] = '\0';
		assert_int_equal(detect_cfg_check(&c, why, sizeof(why)), -EINVAL);
		assert_non_null(strstr(why, detect_type_name(bad[i].det)));
		errno = 0;
		assert_null(detect__new(&c));
		assert_int_equal(errno, EINVAL);
		/* the same values are ignored while the detector is off */
		c.enabled[bad[i].det] = false;
		assert_int_equal(detect_cfg_check(&c, NULL, 0), 0);
		d = detect__new(&c);
		assert_non_null(d);
		detect__free(d);
	}
	/* limits themselves are accepted; a tiny why buffer stays terminated */
	detect_cfg_defaults(&c);
	c.auth_fail_count = DETECT_COUNT_MAX;
	c.llm_baseline_ns = MIN(DETECT_COUNT_MAX) + SEC(59);
	assert_int_equal(detect_cfg_check(&c, NULL, 0), 0);
	c.llm_baseline_ns = MIN(DETECT_BASELINE_MIN_MINUTES);
	assert_int_equal(detect_cfg_check(&c, NULL, 0), 0);
	c.auth_fail_count = 0;
	memset(why, 'x', sizeof(why));
	assert_int_equal(detect_cfg_check(&c, why, 4), -EINVAL);
	assert_int_equal(strlen(why), 3);
	assert_int_equal(detect_cfg_check(NULL, NULL, 0), -EINVAL);
	errno = 0;
	assert_null(detect__new(NULL));
	assert_int_equal(errno, EINVAL);
	detect__free(NULL);
}

/* ---- auth_failure_burst ---- */

static void test_auth_threshold(void **state)
{
	struct detect *d = new_default();

	(void)state;
	/* other answers never count, 401 and 403 both do */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(http(d, SEC(i), "10.0.0.1", 200, NULL), 0);
		assert_int_equal(http(d, SEC(i), "10.0.0.1", 500, NULL), 0);
		assert_int_equal(http(d, SEC(i), "10.0.0.1", 402, NULL), 0);
	}
	assert_int_equal(http(d, SEC(30), "10.0.0.1", 401, "/login"), 0);
	assert_int_equal(http(d, SEC(31), "10.0.0.1", 403, "/login"), 0);
	assert_int_equal(http(d, SEC(32), "10.0.0.1", 401, "/login"), 0);
	/* another client's failures are its own */
	assert_int_equal(http(d, SEC(32), "10.0.0.2", 401, "/login"), 0);
	assert_int_equal(http(d, SEC(33), "10.0.0.1", 401, "/login"), 0);
	assert_int_equal(http(d, SEC(34), "10.0.0.1", 403, "/login"), 1);
	check_alert(DET_AUTH_FAILURE_BURST, "10.0.0.1", 5, MIN(5), "401/403x5");
	/* the same burst goes on: no alert per request */
	for (int i = 0; i < 50; i++)
		assert_int_equal(http(d, SEC(35 + i), "10.0.0.1", 401, "/login"), 0);
	assert_int_equal(http(d, SEC(90), "10.0.0.2", 401, "/login"), 0);
	detect__free(d);
}

static void test_auth_once_per_window(void **state)
{
	struct detect *d = new_default();
	uint64_t at[8];
	int n = 0;

	(void)state;
	/* a steady brute force, one try every 10 s for 20 minutes */
	for (int i = 0; i < 120; i++) {
		if (http(d, SEC(10 * i), "192.0.2.9", 401, "/login")) {
			assert_true(n < 8);
			at[n++] = SEC(10 * i);
		}
	}
	/* the 5th try, then the first try at least one window after each alert */
	assert_int_equal(n, 4);
	assert_int_equal(at[0], SEC(40));
	assert_int_equal(at[1], SEC(340));
	assert_int_equal(at[2], SEC(640));
	assert_int_equal(at[3], SEC(940));
	detect__free(d);
}

static void test_auth_rearm_and_slide(void **state)
{
	struct detect *d = new_default();

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(http(d, SEC(i), "c", 401, NULL), 0);
	/* the 1st left the window ((now - W, now]): the 5th of 5 is not within it */
	assert_int_equal(http(d, SEC(300), "c", 401, NULL), 0);
	/* now the last five are 1, 2, 3, 300, 300.5 s: within 5 min */
	assert_int_equal(http(d, SEC(300) + MS(500), "c", 401, NULL), 1);
	check_alert(DET_AUTH_FAILURE_BURST, "c", 5, MIN(5), "401/403x5");
	/* quiet, then a fresh burst after the window: re-armed */
	assert_int_equal(http(d, SEC(310), "c", 401, NULL), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(http(d, SEC(1000 + i), "c", 401, NULL), 0);
	assert_int_equal(http(d, SEC(1004), "c", 401, NULL), 1);
	/* disarmed for one window from the alert, to the nanosecond */
	for (int i = 0; i < 5; i++)
		assert_int_equal(http(d, SEC(1005 + i), "c", 403, NULL), 0);
	assert_int_equal(http(d, SEC(1304) - 1, "c", 403, NULL), 0);
	assert_int_equal(http(d, SEC(1304), "c", 403, NULL), 1);
	detect__free(d);
}

/* ---- scanner ---- */

static void test_scanner_404(void **state)
{
	struct detect *d = new_default();
	char path[32];

	(void)state;
	/* one path only, so the distinct-path count stays at 1 */
	for (int i = 0; i < 19; i++)
		assert_int_equal(http(d, MS(100 * i), "203.0.113.5", 404, "/x"), 0);
	assert_int_equal(http(d, SEC(2), "203.0.113.5", 404, "/x"), 1);
	check_alert(DET_SCANNER, "203.0.113.5", 20, MIN(1), "404x20");
	for (int i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "/p%d", i);
		assert_int_equal(http(d, SEC(3) + MS(i), "203.0.113.5", 404, path), 0);
	}
	/* re-armed one window after the alert; the 404s are still coming */
	assert_int_equal(http(d, SEC(62) - 1, "203.0.113.5", 404, "/x"), 0);
	assert_int_equal(http(d, SEC(62), "203.0.113.5", 404, "/x"), 1);
	/* 404 counted without a path too */
	for (int i = 0; i < 19; i++)
		assert_int_equal(http(d, SEC(i), "203.0.113.6", 404, NULL), 0);
	assert_int_equal(http(d, SEC(59), "203.0.113.6", 404, NULL), 1);
	check_alert(DET_SCANNER, "203.0.113.6", 20, MIN(1), "404x20");
	/* one every 4 s: 15 in any minute, never 20 */
	for (int i = 0; i < 200; i++)
		assert_int_equal(http(d, SEC(4 * i), "203.0.113.7", 404, "/y"), 0);
	detect__free(d);
}

/* A tool's User-Agent trips scanner at once, then one alert per window. */
static void test_scanner_tool(void **state)
{
	struct detect_cfg c;
	struct detect *d = new_default();

	(void)state;
	assert_int_equal(detect__http(d, SEC(1), "192.0.2.8", 200, "/", "sqlmap", &alert), 1);
	check_alert(DET_SCANNER, "192.0.2.8", 1, MIN(1), "tool=sqlmap");
	for (int i = 0; i < 30; i++)
		assert_int_equal(
			detect__http(d, SEC(2 + i), "192.0.2.8", 200, "/", "sqlmap", &alert), 0);
	assert_int_equal(detect__http(d, SEC(61) - 1, "192.0.2.8", 404, "/", "nikto", &alert), 0);
	assert_int_equal(detect__http(d, SEC(61), "192.0.2.8", 404, "/", "nikto", &alert), 1);
	check_alert(DET_SCANNER, "192.0.2.8", 1, MIN(1), "tool=nikto");
	/* no path and a 200: relevant only for the tool */
	assert_int_equal(detect__http(d, SEC(1), "192.0.2.9", 200, NULL, "gobuster", &alert), 1);
	/* a 401 with a tool: auth counts it, scanner still fires on it */
	assert_int_equal(detect__http(d, SEC(1), "192.0.2.10", 401, "/login", "hydra", &alert), 1);
	check_alert(DET_SCANNER, "192.0.2.10", 1, MIN(1), "tool=hydra");
	detect__free(d);

	detect_cfg_defaults(&c);
	c.enabled[DET_SCANNER] = false;
	strcpy(c.allow_sources[0], "192.0.2.99");
	d = detect__new(&c);
	assert_non_null(d);
	assert_int_equal(detect__http(d, SEC(1), "192.0.2.8", 200, "/", "sqlmap", &alert), 0);
	detect__free(d);
	c.enabled[DET_SCANNER] = true;
	d = detect__new(&c);
	assert_non_null(d);
	assert_int_equal(detect__http(d, SEC(1), "192.0.2.99", 200, "/", "sqlmap", &alert), 0);
	assert_int_equal(detect__http(d, SEC(1), "", 200, "/", "sqlmap", &alert), 0);
	assert_int_equal(detect__http(d, SEC(1), "192.0.2.8", 200, "/", "sqlmap", &alert), 1);
	detect__free(d);
}

static void test_scanner_distinct_paths(void **state)
{
	struct detect *d = new_default();
	char path[32];

	(void)state;
	for (int i = 0; i < 49; i++) {
		snprintf(path, sizeof(path), "/admin/%d", i);
		assert_int_equal(http(d, MS(10 * i), "198.51.100.1", 200, path), 0);
		/* repeats and NULL paths never add a distinct one */
		assert_int_equal(http(d, MS(10 * i), "198.51.100.1", 200, "/admin/0"), 0);
		assert_int_equal(http(d, MS(10 * i), "198.51.100.1", 200, NULL), 0);
	}
	assert_int_equal(http(d, SEC(1), "198.51.100.1", 301, "/new"), 1);
	check_alert(DET_SCANNER, "198.51.100.1", 50, MIN(1), "distinct_paths=50");

	/* 49 distinct paths, one seen again at 30 s, then a window later all but it expire */
	for (int i = 0; i < 49; i++) {
		snprintf(path, sizeof(path), "/q/%d", i);
		assert_int_equal(http(d, SEC(0), "198.51.100.2", 200, path), 0);
	}
	assert_int_equal(http(d, SEC(30), "198.51.100.2", 200, "/q/0"), 0);
	assert_int_equal(http(d, SEC(60), "198.51.100.2", 200, "/q/last"), 0);
	/* /q/0, /q/last, 47 more, then the 50th */
	for (int i = 1; i < 48; i++) {
		snprintf(path, sizeof(path), "/r/%d", i);
		assert_int_equal(http(d, SEC(62), "198.51.100.2", 200, path), 0);
	}
	assert_int_equal(http(d, SEC(63), "198.51.100.2", 200, "/r/48"), 1);
	check_alert(DET_SCANNER, "198.51.100.2", 50, MIN(1), "distinct_paths=50");
	detect__free(d);
}

/* ---- rate_limit_violation ---- */

static void test_rate_limit(void **state)
{
	struct detect *d = new_default();

	(void)state;
	for (int i = 0; i < 9; i++)
		assert_int_equal(http(d, SEC(i), "::1", 429, "/api"), 0);
	assert_int_equal(http(d, SEC(9), "::1", 429, "/api"), 1);
	check_alert(DET_RATE_LIMIT_VIOLATION, "::1", 10, MIN(1), "429x10");
	for (int i = 0; i < 50; i++)
		assert_int_equal(http(d, SEC(10) + MS(i), "::1", 429, "/api"), 0);
	assert_int_equal(http(d, SEC(69), "::1", 429, "/api"), 1);
	/* 9 a minute, sliding, never trips */
	for (int i = 0; i < 100; i++)
		assert_int_equal(http(d, MS(6667 * (uint64_t)i), "::2", 429, "/api"), 0);
	detect__free(d);
}

/* ---- allowlist and enabled flags ---- */

static void test_allowlist(void **state)
{
	struct detect_cfg c;
	struct detect *d;
	char longa[80];

	(void)state;
	detect_cfg_defaults(&c);
	strcpy(c.allow_sources[0], "10.0.0.1");
	strcpy(c.allow_sources[15], "lab/ci");
	/* a full 64-byte entry without a NUL is still one address */
	memset(c.allow_sources[3], 'a', sizeof(c.allow_sources[3]));
	d = detect__new(&c);
	assert_non_null(d);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(http(d, MS(i), "10.0.0.1", 401, "/x"), 0);
		assert_int_equal(http(d, MS(i), "10.0.0.1", 429, NULL), 0);
		assert_int_equal(llm(d, MS(i), "ci", 1, 42), 0);
	}
	assert_int_equal(detect__sources(d), 0);
	memset(longa, 'a', 64);
	longa[64] = '\0';
	for (int i = 0; i < 10; i++)
		assert_int_equal(http(d, MS(i), longa, 401, NULL), 0);
	assert_int_equal(detect__sources(d), 0);
	/* exact match only */
	for (int i = 0; i < 4; i++)
		assert_int_equal(http(d, MS(i), "10.0.0.10", 401, NULL), 0);
	assert_int_equal(http(d, MS(4), "10.0.0.10", 401, NULL), 1);
	longa[63] = '\0';
	for (int i = 0; i < 4; i++)
		assert_int_equal(http(d, MS(i), longa, 401, NULL), 0);
	assert_int_equal(http(d, MS(4), longa, 401, NULL), 1);
	detect__free(d);
}

static void test_disabled(void **state)
{
	struct detect_cfg c;
	struct detect *d;
	char path[16];

	(void)state;
	detect_cfg_defaults(&c);
	c.enabled[DET_AUTH_FAILURE_BURST] = false;
	c.enabled[DET_LLM_RUNAWAY_LOOP] = false;
	d = detect__new(&c);
	assert_non_null(d);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(http(d, MS(i), "a", 401, NULL), 0);
		assert_int_equal(llm(d, MS(i), "x", 1, 7), 0);
	}
	/* nothing to track for them: no source kept */
	assert_int_equal(detect__sources(d), 0);
	for (int i = 0; i < 9; i++)
		assert_int_equal(http(d, MS(i), "a", 429, NULL), 0);
	assert_int_equal(http(d, MS(9), "a", 429, NULL), 1);
	assert_int_equal(alert.type, DET_RATE_LIMIT_VIOLATION);
	detect__free(d);

	detect_cfg_defaults(&c);
	c.enabled[DET_SCANNER] = false;
	c.enabled[DET_RATE_LIMIT_VIOLATION] = false;
	d = detect__new(&c);
	assert_non_null(d);
	for (int i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "/%d", i);
		assert_int_equal(http(d, MS(i), "b", 404, path), 0);
		assert_int_equal(http(d, MS(i), "b", 429, path), 0);
	}
	assert_int_equal(detect__sources(d), 0);
	detect__free(d);
}

/* Two detectors tripped by one request: the first reports, the other on the next. */
static void test_two_at_once(void **state)
{
	struct detect_cfg c;
	struct detect *d;

	(void)state;
	detect_cfg_defaults(&c);
	c.auth_fail_count = 2;
	c.scanner_distinct_paths = 2;
	d = detect__new(&c);
	assert_non_null(d);
	assert_int_equal(http(d, SEC(1), "e", 401, "/a"), 0);
	assert_int_equal(http(d, SEC(2), "e", 401, "/b"), 1);
	check_alert(DET_AUTH_FAILURE_BURST, "e", 2, MIN(5), "401/403x2");
	assert_int_equal(http(d, SEC(3), "e", 200, "/b"), 1);
	check_alert(DET_SCANNER, "e", 2, MIN(1), "distinct_paths=2");
	assert_int_equal(http(d, SEC(4), "e", 200, "/c"), 0);
	detect__free(d);
}

/* ---- llm_runaway_loop ---- */

/* calls per minute for minutes [from, to), spread over the minute */
static int steady(struct detect *d, const char *agent, int from, int to, int per_min, double cost)
{
	int alerts = 0;

	for (int m = from; m < to; m++)
		for (int i = 0; i < per_min; i++)
			alerts += llm(d, MIN(m) + SEC(59) * (uint64_t)i / per_min, agent, cost, 0);
	return alerts;
}

static void test_runaway_rate(void **state)
{
	struct detect *d = new_default();

	(void)state;
	assert_int_equal(steady(d, "planner", 0, 30, 10, 0.01), 0);
	/* max(30, 5 x 10) = 50: the 51st call of the minute fires, once */
	for (int i = 0; i < 50; i++)
		assert_int_equal(llm(d, MIN(30) + MS(100 * i), "planner", 0.01, 0), 0);
	assert_int_equal(llm(d, MIN(30) + SEC(5), "planner", 0.01, 0), 1);
	check_alert(DET_LLM_RUNAWAY_LOOP, "lab/planner", 51, MIN(1), "rate 5.1x baseline");
	for (int i = 0; i < 29; i++)
		assert_int_equal(llm(d, MIN(30) + SEC(6) + MS(i), "planner", 0.01, 0), 0);
	/* re-armed at the next minute: baseline now (29 x 10 + 80) / 30 = 12.33, limit 61.7 */
	for (int i = 0; i < 61; i++)
		assert_int_equal(llm(d, MIN(31) + MS(100 * i), "planner", 0.01, 0), 0);
	assert_int_equal(llm(d, MIN(31) + SEC(7), "planner", 0.01, 0), 1);
	assert_int_equal(alert.count, 62);
	detect__free(d);

	/* steady 50 a minute, then 60: well within 5 x baseline */
	d = new_default();
	assert_int_equal(steady(d, "busy", 0, 30, 50, 0.01), 0);
	assert_int_equal(steady(d, "busy", 30, 31, 60, 0.01), 0);
	/* 250 is the limit: the 251st fires */
	assert_int_equal(steady(d, "busy2", 0, 30, 50, 0.01), 0);
	assert_int_equal(steady(d, "busy2", 30, 31, 250, 0.01), 0);
	assert_int_equal(llm(d, MIN(30) + SEC(59) + MS(500), "busy2", 0.01, 0), 1);
	assert_int_equal(alert.count, 251);
	detect__free(d);
}

static void test_runaway_floor_and_warmup(void **state)
{
	struct detect *d = new_default();

	(void)state;
	/* 4 minutes of history is not a baseline */
	assert_int_equal(steady(d, "new", 0, 4, 1, 0), 0);
	assert_int_equal(steady(d, "new", 4, 5, 500, 0), 0);
	/* 1 a minute: the floor of 30 a minute holds; the 31st fires */
	assert_int_equal(steady(d, "slow", 0, 10, 1, 0), 0);
	for (int i = 0; i < 30; i++)
		assert_int_equal(llm(d, MIN(10) + MS(i), "slow", 0, 0), 0);
	assert_int_equal(llm(d, MIN(10) + SEC(1), "slow", 0, 0), 1);
	check_alert(DET_LLM_RUNAWAY_LOOP, "lab/slow", 31, MIN(1), "rate 31.0x baseline");
	/* idle minutes count as 0: one call in minute 0, idle to minute 40 */
	assert_int_equal(llm(d, 0, "idle", 0, 0), 0);
	for (int i = 0; i < 30; i++)
		assert_int_equal(llm(d, MIN(40) + MS(i), "idle", 0, 0), 0);
	assert_int_equal(llm(d, MIN(40) + SEC(1), "idle", 0, 0), 1);
	check_alert(DET_LLM_RUNAWAY_LOOP, "lab/idle", 31, MIN(1), "rate 31/min, idle baseline");
	detect__free(d);
}

static void test_runaway_spend(void **state)
{
	struct detect *d = new_default();

	(void)state;
	/* 10 calls a minute at 1 cent; then 40 calls (under the call limit of 50) at $1 */
	assert_int_equal(steady(d, "writer", 0, 30, 10, 0.01), 0);
	for (int i = 0; i < 30; i++)
		assert_int_equal(llm(d, MIN(30) + MS(i), "writer", 1.0, 0), 0);
	/* spend is far past 5 x $0.10, but calls must exceed the floor of 30 */
	assert_int_equal(llm(d, MIN(30) + SEC(1), "writer", 1.0, 0), 1);
	check_alert(DET_LLM_RUNAWAY_LOOP, "lab/writer", 31, MIN(1), "spend 310.0x baseline");
	/* a free baseline: any spend above it with calls above the floor */
	assert_int_equal(steady(d, "local", 0, 30, 10, 0), 0);
	for (int i = 0; i < 30; i++)
		assert_int_equal(llm(d, MIN(30) + MS(i), "local", 0.5, 0), 0);
	assert_int_equal(llm(d, MIN(30) + SEC(1), "local", 0.5, 0), 1);
	check_alert(DET_LLM_RUNAWAY_LOOP, "lab/local", 31, MIN(1),
		    "spend $15.5000/min, free baseline");
	/* garbage costs count as 0: 40 calls (over the floor, under the call limit) */
	assert_int_equal(steady(d, "odd", 0, 30, 10, 0.01), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(llm(d, MIN(30) + MS(i), "odd", NAN, 0), 0);
		assert_int_equal(llm(d, MIN(30) + MS(i), "odd", INFINITY, 0), 0);
	}
	for (int i = 0; i < 20; i++)
		assert_int_equal(llm(d, MIN(31) + MS(i), "odd", -5, 0), 0);
	/* a huge finite cost is real: spend overflows to inf, and fires above the floor */
	for (int i = 0; i < 11; i++)
		assert_int_equal(llm(d, MIN(31) + SEC(1) + MS(i), "odd", 1e308, 0), i < 10 ? 0 : 1);
	check_alert(DET_LLM_RUNAWAY_LOOP, "lab/odd", 31, MIN(1), "spend infx baseline");
	detect__free(d);
}

static void test_runaway_repeat(void **state)
{
	struct detect *d = new_default();

	(void)state;
	/* request hash 0 (unknown) never counts */
	for (int i = 0; i < 25; i++)
		assert_int_equal(llm(d, SEC(i), "a", 0, 0), 0);
	/* 9 repeats, interleaved with 7 other requests each time */
	for (int i = 0; i < 9; i++) {
		assert_int_equal(llm(d, SEC(30) + MS(i), "b", 0, 0xfeed), 0);
		for (uint64_t h = 1; h <= 7; h++)
			assert_int_equal(llm(d, SEC(30) + MS(i), "b", 0, h), 0);
	}
	assert_int_equal(llm(d, SEC(31), "b", 0, 0xfeed), 1);
	check_alert(DET_LLM_RUNAWAY_LOOP, "lab/b", 10, MIN(1), "repeat x10");
	/* the loop goes on: once per repeat window */
	for (int i = 0; i < 100; i++)
		assert_int_equal(llm(d, SEC(32) + MS(i), "b", 0, 0xfeed), 0);
	assert_int_equal(llm(d, SEC(91), "b", 0, 0xfeed), 1);
	/* 9 of one request, then 8 others: the 8th takes the first one's slot, empty */
	for (int i = 0; i < 9; i++)
		assert_int_equal(llm(d, SEC(1), "e", 0, 1000), 0);
	for (uint64_t h = 1; h <= 8; h++)
		assert_int_equal(llm(d, SEC(2), "e", 0, h), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(llm(d, SEC(3), "e", 0, 8), 0);
	assert_int_equal(llm(d, SEC(3), "e", 0, 8), 1);
	/* and 1000 starts over too */
	for (int i = 0; i < 9; i++)
		assert_int_equal(llm(d, SEC(4), "e", 0, 1000), 0);
	/* one repeat every 7 s: 9 in a minute at most */
	for (int i = 0; i < 40; i++)
		assert_int_equal(llm(d, SEC(7 * i), "c", 0, 99), 0);
	/* per agent: two agents with 5 each do not add up */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(llm(d, SEC(i), "d1", 0, 5), 0);
		assert_int_equal(llm(d, SEC(i), "d2", 0, 5), 0);
	}
	detect__free(d);
}

/* ---- memory, eviction, time ---- */

static size_t heap_used(void)
{
	return mallinfo2().uordblks;
}

static void test_eviction_bounded(void **state)
{
	struct detect *d = new_default();
	size_t after_fill, after_flood;
	char ip[48];

	(void)state;
	/* an agent with a baseline, then a flood of clients */
	assert_int_equal(steady(d, "planner", 0, 30, 10, 0.01), 0);
	for (uint32_t i = 0; i < 100000; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		assert_int_equal(http(d, MIN(30) + i, ip, 404, "/wp-login.php"), 0);
		if (i == 2 * DETECT_MAX_SOURCES)
			after_fill = heap_used();
	}
	after_flood = heap_used();
	assert_int_equal(detect__sources(d), DETECT_MAX_SOURCES);
	/* 1 agent + 100000 clients in 16384 places */
	assert_int_equal(detect__evicted(d), 100001 - DETECT_MAX_SOURCES);
	/* slots and their rings are reused: no growth past the cap */
	assert_true(after_flood <= after_fill + 4096);
	assert_true(after_fill < 64u * 1024 * 1024);
	/* the agent (the smaller kind) kept its baseline through the flood */
	for (int i = 0; i < 50; i++)
		assert_int_equal(llm(d, MIN(30) + SEC(1) + MS(i), "planner", 0.01, 0), 0);
	assert_int_equal(llm(d, MIN(30) + SEC(2), "planner", 0.01, 0), 1);
	/* an evicted client comes back with a clean slate */
	for (int i = 0; i < 19; i++)
		assert_int_equal(http(d, MIN(30) + SEC(3), "10.0.0.0", 404, "/x"), 0);
	assert_int_equal(http(d, MIN(30) + SEC(3), "10.0.0.0", 404, "/x"), 1);
	detect__free(d);
}

/* Least recently seen goes first: a source seen again moves to the front. */
static void test_lru_order(void **state)
{
	struct detect *d = new_default();
	char ip[32];

	(void)state;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(http(d, SEC(1), "c0", 401, NULL), 0);
		assert_int_equal(http(d, SEC(1), "c1", 401, NULL), 0);
	}
	for (uint32_t i = 2; i < DETECT_MAX_SOURCES; i++) {
		snprintf(ip, sizeof(ip), "c%u", i);
		assert_int_equal(http(d, SEC(2), ip, 200, "/"), 0);
	}
	assert_int_equal(http(d, SEC(3), "c0", 200, "/"), 0);
	assert_int_equal(detect__evicted(d), 0);
	/* a newcomer pushes out c1, not c0 */
	assert_int_equal(http(d, SEC(4), "new", 200, "/"), 0);
	assert_int_equal(detect__evicted(d), 1);
	assert_int_equal(http(d, SEC(5), "c0", 401, NULL), 1);
	assert_int_equal(http(d, SEC(5), "c1", 401, NULL), 0);
	assert_int_equal(detect__evicted(d), 2);
	detect__free(d);
}

static void test_agent_flood(void **state)
{
	struct detect *d = new_default();
	char agent[32], ip[32];
	uint64_t ev;

	(void)state;
	/* clients fill the table, then agents: each kind keeps at least half */
	for (uint32_t i = 0; i < DETECT_MAX_SOURCES; i++) {
		snprintf(ip, sizeof(ip), "c%u", i);
		assert_int_equal(http(d, SEC(1), ip, 200, "/"), 0);
	}
	assert_int_equal(detect__evicted(d), 0);
	for (uint32_t i = 0; i < 50000; i++) {
		snprintf(agent, sizeof(agent), "agent-%u", i);
		assert_int_equal(llm(d, SEC(2), agent, 0, 0), 0);
	}
	assert_int_equal(detect__sources(d), DETECT_MAX_SOURCES);
	ev = detect__evicted(d);
	assert_int_equal(ev, 50000);
	/* the most recent half of the clients is still there: no new source, no eviction */
	for (uint32_t i = DETECT_MAX_SOURCES / 2; i < DETECT_MAX_SOURCES; i++) {
		snprintf(ip, sizeof(ip), "c%u", i);
		assert_int_equal(http(d, SEC(3), ip, 200, "/"), 0);
	}
	assert_int_equal(detect__evicted(d), ev);
	detect__free(d);
}

static void test_time_backwards(void **state)
{
	struct detect *d = new_default();

	(void)state;
	/* out of order by under a second: counted as the same instant */
	assert_int_equal(http(d, SEC(10), "t", 401, NULL), 0);
	assert_int_equal(http(d, SEC(9) + MS(500), "t", 401, NULL), 0);
	assert_int_equal(http(d, SEC(9) + MS(800), "t", 401, NULL), 0);
	assert_int_equal(http(d, SEC(10), "t", 401, NULL), 0);
	assert_int_equal(http(d, SEC(9) + MS(1), "t", 401, NULL), 1);
	/* a long step back forgets: 4 before it and 4 after never make 5 */
	for (int i = 0; i < 4; i++)
		assert_int_equal(http(d, SEC(1000 + i), "u", 401, NULL), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(http(d, SEC(100 + i), "u", 401, NULL), 0);
	assert_int_equal(http(d, SEC(104), "u", 401, NULL), 1);
	/* backwards past zero and the far end of the clock */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(http(d, UINT64_MAX - (uint64_t)i, "v", 429, NULL), 0);
		assert_int_equal(llm(d, UINT64_MAX - SEC(120) * (uint64_t)i, "w", 1, 3), 0);
		assert_int_equal(llm(d, (uint64_t)i, "w", 1, 3), 0);
	}
	/* at the end of the clock the quiet time saturates: still one alert */
	for (int i = 0; i < 4; i++)
		assert_int_equal(http(d, UINT64_MAX, "end", 401, NULL), 0);
	assert_int_equal(http(d, UINT64_MAX, "end", 401, NULL), 1);
	for (int i = 0; i < 20; i++)
		assert_int_equal(http(d, UINT64_MAX - MS(10 * i), "end", 401, NULL), 0);
	/* an LLM baseline survives jitter: the 51st call still fires */
	assert_int_equal(steady(d, "k", 0, 30, 10, 0), 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(llm(d, MIN(30) + SEC(2) - MS(400 * (i & 1)), "k", 0, 0), 0);
	assert_int_equal(llm(d, MIN(30) + SEC(1) + MS(700), "k", 0, 0), 1);
	/* but not a step back of an hour: 80 calls then have no baseline */
	assert_int_equal(steady(d, "j", 60, 90, 10, 0), 0);
	assert_int_equal(steady(d, "j", 30, 31, 80, 0), 0);
	detect__free(d);
}

static void test_garbage(void **state)
{
	struct detect *d = new_default();
	char big[600];

	(void)state;
	assert_int_equal(detect__http(NULL, 0, "a", 401, "/", NULL, &alert), -EINVAL);
	assert_int_equal(detect__http(d, 0, "a", 401, "/", NULL, NULL), -EINVAL);
	assert_int_equal(detect__llm(NULL, 0, "s", "a", 0, 1, &alert), -EINVAL);
	assert_int_equal(detect__llm(d, 0, "s", "a", 0, 1, NULL), -EINVAL);
	assert_int_equal(detect__evicted(NULL), 0);
	assert_int_equal(detect__sources(NULL), 0);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(http(d, SEC(i), NULL, 401, "/"), 0);
		assert_int_equal(http(d, SEC(i), "", 401, "/"), 0);
		assert_int_equal(http(d, SEC(i), "z", 0, NULL), 0);
		assert_int_equal(http(d, SEC(i), "z", 65535, NULL), 0);
	}
	assert_int_equal(detect__sources(d), 0);
	/* a long client is cut to the key size, and still one source */
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 4; i++)
		assert_int_equal(http(d, SEC(i), big, 403, big), 0);
	assert_int_equal(http(d, SEC(5), big, 403, big), 1);
	assert_int_equal(strlen(alert.source), DETECT_KEY_MAX - 1);
	assert_memory_equal(alert.source, big, DETECT_KEY_MAX - 1);
	/* NULL service and agent, long ones */
	for (int i = 0; i < 9; i++)
		assert_int_equal(detect__llm(d, SEC(i), NULL, NULL, 0, 77, &alert), 0);
	assert_int_equal(detect__llm(d, SEC(9), NULL, NULL, 0, 77, &alert), 1);
	assert_string_equal(alert.source, "/");
	for (int i = 0; i < 9; i++)
		assert_int_equal(detect__llm(d, SEC(i), big, big, 0, 77, &alert), 0);
	assert_int_equal(detect__llm(d, SEC(9), big, big, 0, 77, &alert), 1);
	assert_int_equal(strlen(alert.source), DETECT_KEY_MAX - 1);
	/* a client and an agent spelled alike are different sources */
	for (int i = 0; i < 4; i++)
		assert_int_equal(http(d, SEC(i), "lab/x", 401, NULL), 0);
	for (int i = 0; i < 9; i++)
		assert_int_equal(llm(d, SEC(i), "x", 0, 5), 0);
	assert_int_equal(detect__sources(d), 5);
	detect__free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_defaults),
		cmocka_unit_test(test_cfg_check),
		cmocka_unit_test(test_auth_threshold),
		cmocka_unit_test(test_auth_once_per_window),
		cmocka_unit_test(test_auth_rearm_and_slide),
		cmocka_unit_test(test_scanner_404),
		cmocka_unit_test(test_scanner_tool),
		cmocka_unit_test(test_scanner_distinct_paths),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_allowlist),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_two_at_once),
		cmocka_unit_test(test_runaway_rate),
		cmocka_unit_test(test_runaway_floor_and_warmup),
		cmocka_unit_test(test_runaway_spend),
		cmocka_unit_test(test_runaway_repeat),
		cmocka_unit_test(test_eviction_bounded),
		cmocka_unit_test(test_lru_order),
		cmocka_unit_test(test_agent_flood),
		cmocka_unit_test(test_time_backwards),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
