// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * health: the status rule (components, resources, the observer itself, a
 * service burning its error budget), what a served request counts as for
 * the SLA, history written on a tick and kept across a restart without
 * counting anything twice, transitions stored as they happen, the
 * exported gauges, and a store that cannot be opened (missing directory,
 * not a database): everything else keeps working and the failure is
 * counted. The clock is the test's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "biothings/events.h"
#include "health_int.h"
#include "metrics.h"

#define T0_NS (1767225600ll * NS_PER_S + 5 * NS_PER_S) /* 2026-01-01T00:00:05Z */

static int64_t now_ns = T0_NS;
static char dir[64];

static int64_t fake_clock(void)
{
	return now_ns;
}

static const char *path_of(const char *name)
{
	static char p[sizeof(dir) + 260];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

struct rig {
	struct metrics *m;
	struct health *h;
};

static struct rig start(const char *db)
{
	struct health_opts o = {
		.db_path = db,
		.sla_objective = 0.999,
		.sla_latency_ns = 2 * NS_PER_S,
		.api_warn_ns = NS_PER_S,
		.api_crit_ns = 3 * NS_PER_S,
		.history_interval_ns = 10 * NS_PER_S,
		.history_retention_ns = 86400ull * NS_PER_S,
		.clock_ns = fake_clock,
	};
	struct rig r;
	char err[256];

	r.m = metrics__new(10000);
	assert_non_null(r.m);
	r.h = health__new(&o, r.m, err, sizeof(err));
	if (!r.h)
		fail_msg("health__new: %s", err);
	return r;
}

static void stop(struct rig *r)
{
	health__free(r->h);
	metrics__free(r->m);
}

static struct health_verdict verdict(struct health *h)
{
	struct health_verdict v;

	health_verdict(h, now_ns / NS_PER_MS, &v);
	return v;
}

static void assert_status(struct health *h, enum health_status want, const char *reason)
{
	struct health_verdict v = verdict(h);
	bool found = !reason;

	for (size_t i = 0; i < v.n && !found; i++)
		found = strstr(v.reasons[i], reason) != NULL;
	if (v.status != want || !found)
		fail_msg("status %s (%zu reasons, first '%s'), want %s with '%s'",
			 health_status_name(v.status), v.n, v.n ? v.reasons[0] : "",
			 health_status_name(want), reason ? reason : "");
}

static struct check_result check(bool healthy, const char *error)
{
	struct check_result r = { .healthy = healthy, .latency_ns = 1000, .at = 1767225600 };

	snprintf(r.error, sizeof(r.error), "%s", error);
	return r;
}

static void test_components(void **state)
{
	struct rig r = start(path_of("components.db"));
	struct check_result ok = check(true, ""), down = check(false, "connection refused");
	struct check_result never = { 0 };

	(void)state;
	assert_status(r.h, HEALTH_HEALTHY, NULL);
	assert_int_equal(verdict(r.h).n, 0);
	health__component(r.h, "redis", &ok);
	health__component(r.h, "postgres", &ok);
	health__component(r.h, "api", &ok);
	health__component(r.h, "queue", &never); /* not run yet: neither up nor down */
	assert_status(r.h, HEALTH_HEALTHY, NULL);
	health__component(r.h, "postgres", &down);
	assert_status(r.h, HEALTH_DEGRADED, "component postgres down: connection refused");
	assert_int_equal(verdict(r.h).n, 1);
	health__component(r.h, "redis", &down); /* 2 of 3 checked: more than half */
	assert_status(r.h, HEALTH_UNHEALTHY, "2 of 3 components down");
	health__component(r.h, "redis", &ok);
	health__component(r.h, "postgres", &ok);
	assert_status(r.h, HEALTH_HEALTHY, NULL);
	/* one check of one, down: more than half */
	stop(&r);
	r = start(path_of("components1.db"));
	health__component(r.h, "only", &down);
	assert_status(r.h, HEALTH_UNHEALTHY, "1 of 1 components down");
	stop(&r);
}

static void test_resources_and_self(void **state)
{
	struct rig r = start(path_of("resources.db"));
	struct sysres_snapshot s = { .cpu_ratio = -1, .mem_ratio = 0.5, .n_disks = 1 };
	struct sysres_snapshot unread = { .cpu_ratio = 0.1, .mem_ratio = 0.99 };

	(void)state;
	health__system(r.h, &unread); /* meminfo not read (mem_total 0): memory not judged */
	assert_status(r.h, HEALTH_HEALTHY, NULL);
	s.mem_total = 1 << 30;
	snprintf(s.disks[0].mount, sizeof(s.disks[0].mount), "/");
	s.disks[0].used_ratio = 0.5;
	health__system(r.h, &s); /* the first sample has no cpu figure yet */
	assert_status(r.h, HEALTH_HEALTHY, NULL);
	s.cpu_ratio = 0.85; /* at the warning threshold: warning */
	health__system(r.h, &s);
	assert_status(r.h, HEALTH_DEGRADED, "cpu 85% >= 85% (warning)");
	s.cpu_ratio = 0.96;
	health__system(r.h, &s);
	assert_status(r.h, HEALTH_UNHEALTHY, "cpu 96% >= 95% (critical)");
	s.cpu_ratio = 0.1;
	s.mem_ratio = 0.85;
	health__system(r.h, &s);
	assert_status(r.h, HEALTH_DEGRADED, "memory 85% >= 80% (warning)");
	s.mem_ratio = 0.1;
	s.disks[0].used_ratio = 0.99;
	health__system(r.h, &s);
	assert_status(r.h, HEALTH_UNHEALTHY, "disk / 99% >= 95% (critical)");
	s.disks[0].used_ratio = 0.1;
	health__system(r.h, &s);
	assert_status(r.h, HEALTH_HEALTHY, NULL);
	health__self(r.h, false, "ringbuf dropping records");
	assert_status(r.h, HEALTH_UNHEALTHY, "observer cannot observe: ringbuf dropping records");
	health__self(r.h, true, "ignored when ok");
	assert_status(r.h, HEALTH_HEALTHY, NULL);
	stop(&r);
}

static void feed(struct health *h, const char *svc, int n, uint16_t status, double s)
{
	for (int i = 0; i < n; i++)
		health__request(h, svc, "/api/items/{id}", BT_ROLE_SERVER, status, s);
}

static struct health_sla_fig figures(struct health *h, const char *svc)
{
	struct health_sla_fig f;
	int i = sla__find(h->sla, svc);

	assert_true(i >= 0);
	health_sla_figures(h, (size_t)i, now_ns / NS_PER_S / 60, &f);
	return f;
}

/* Good: under 500 and faster than the target; a client call never counts. */
static void test_sla_feed(void **state)
{
	struct rig r = start(path_of("feed.db"));
	struct health_sla_fig f;

	(void)state;
	feed(r.h, "api", 90, 200, 0.010);
	feed(r.h, "api", 4, 404, 0.010); /* client errors are good */
	feed(r.h, "api", 3, 500, 0.010);
	feed(r.h, "api", 2, 503, 0.010);
	feed(r.h, "api", 1, 200, 2.0); /* exactly the target: not under it */
	health__request(r.h, "api", "/upstream", BT_ROLE_CLIENT, 500, 9);
	f = figures(r.h, "api");
	assert_int_equal(f.c[SLA_1H].total, 100);
	assert_int_equal(f.c[SLA_1H].good, 94);
	assert_int_equal(f.c[SLA_1H].errors, 5);
	assert_true(sla_availability(&f.c[SLA_30D]) == 0.94);
	assert_true(fabs(f.error_rate - 0.05) < 1e-15);
	assert_true(fabs(f.burn[SLA_5M] - 0.06 / (1 - 0.999)) < 1e-9);
	assert_true(fabs(f.budget - (1 - 0.06 / (1 - 0.999))) < 1e-9);
	assert_false(f.avail_ok);
	assert_false(f.error_ok);
	assert_true(f.p95_ok); /* p95 is 10 ms */
	assert_false(f.compliant);
	assert_true(f.firing[0]);
	/* a service burning its budget 60x is a reason to be degraded */
	assert_status(r.h, HEALTH_DEGRADED, "service api burns its error budget");
	/* requests without a service name count as "unknown" */
	health__request(r.h, "", "/", BT_ROLE_SERVER, 200, 0.001);
	assert_true(sla__find(r.h->sla, "unknown") >= 0);
	/* an hour later the 1h figures are clean, the 30d ones keep the history */
	now_ns += 3600 * NS_PER_S;
	feed(r.h, "api", 1000, 200, 0.010);
	f = figures(r.h, "api");
	assert_int_equal(f.c[SLA_1H].total, 1000);
	assert_true(f.error_ok && f.p95_ok);
	assert_int_equal(f.c[SLA_30D].total, 1100);
	assert_int_equal(f.c[SLA_30D].good, 1094);
	assert_false(f.avail_ok); /* 1094/1100 < 0.999 */
	assert_status(r.h, HEALTH_HEALTHY, NULL);
	stop(&r);
}

static void tick_for(struct health *h, int seconds)
{
	for (int i = 0; i < seconds; i++) {
		now_ns += NS_PER_S;
		health__tick(h);
	}
}

struct trows {
	size_t n;
	char status[8][16], previous[8][16];
};

static int keep_transition(void *arg, const struct hs_transition_row *row)
{
	struct trows *t = arg;

	if (t->n < 8) {
		snprintf(t->status[t->n], sizeof(t->status[0]), "%s", row->status);
		snprintf(t->previous[t->n], sizeof(t->previous[0]), "%s", row->previous);
		t->n++;
	}
	return 0;
}

static int sum_minutes(void *arg, const struct hs_minute *m)
{
	*(uint64_t *)arg += m->total;
	return 0;
}

static int count_points(void *arg, const struct hs_point *p)
{
	uint64_t *req = arg;

	*req += p->requests;
	return 0;
}

/* Counts written on a tick survive a restart; written again, they are not doubled. */
static void test_restart(void **state)
{
	const char *db = path_of("restart.db");
	struct rig r = start(db);
	struct health_sla_fig f;
	struct trows t = { 0 };
	uint64_t req = 0;

	(void)state;
	feed(r.h, "api", 50, 200, 0.010);
	feed(r.h, "api", 5, 500, 0.010);
	tick_for(r.h, 11); /* one history interval: minutes and a snapshot stored */
	feed(r.h, "api", 5, 200, 0.010); /* not yet stored: the clean stop writes them */
	stop(&r);
	r = start(db);
	f = figures(r.h, "api");
	assert_int_equal(f.c[SLA_30D].total, 60);
	assert_int_equal(f.c[SLA_30D].good, 55);
	assert_int_equal(f.c[SLA_1H].total, 60);
	feed(r.h, "api", 40, 200, 0.010);
	tick_for(r.h, 11);
	stop(&r);
	r = start(db);
	f = figures(r.h, "api");
	assert_int_equal(f.c[SLA_30D].total, 100);
	assert_int_equal(f.c[SLA_30D].good, 95);
	assert_int_equal(f.c[SLA_30D].errors, 5);
	/* every served request is in exactly one snapshot */
	assert_int_equal(healthstore__series(health_store(r.h), T0_NS / NS_PER_MS - 1000,
					     now_ns / NS_PER_MS, 3600 * 1000, count_points, &req),
			 0);
	assert_int_equal(req, 100);
	/* each start recorded its first status */
	tick_for(r.h, 1);
	assert_int_equal(healthstore__transitions(health_store(r.h), 0, INT64_MAX, 10,
						  keep_transition, &t),
			 0);
	assert_true(t.n >= 3);
	assert_string_equal(t.previous[0], "unknown");
	stop(&r);
}

static void test_transitions(void **state)
{
	struct rig r = start(path_of("transitions.db"));
	struct check_result down = check(false, "timeout"), ok = check(true, "");
	struct trows t = { 0 };

	(void)state;
	health__component(r.h, "a", &ok);
	health__component(r.h, "b", &ok);
	health__component(r.h, "c", &ok);
	tick_for(r.h, 1);
	health__component(r.h, "a", &down);
	tick_for(r.h, 1);
	tick_for(r.h, 1); /* no change: nothing written */
	health__component(r.h, "b", &down);
	tick_for(r.h, 1);
	health__component(r.h, "a", &ok);
	health__component(r.h, "b", &ok);
	tick_for(r.h, 1);
	assert_int_equal(healthstore__transitions(health_store(r.h), 0, INT64_MAX, 10,
						  keep_transition, &t),
			 0);
	assert_int_equal(t.n, 4);
	assert_string_equal(t.status[0], "healthy");
	assert_string_equal(t.previous[0], "unhealthy");
	assert_string_equal(t.status[1], "unhealthy");
	assert_string_equal(t.previous[1], "degraded");
	assert_string_equal(t.status[2], "degraded");
	assert_string_equal(t.status[3], "healthy");
	assert_string_equal(t.previous[3], "unknown");
	stop(&r);
}

static char *render(struct metrics *m)
{
	char *text = NULL;
	size_t len;

	assert_int_equal(metrics__render(m, &text, &len), 0);
	return text;
}

static void assert_has(const char *text, const char *line)
{
	if (!strstr(text, line))
		fail_msg("metrics lack '%s'", line);
}

static void test_metrics(void **state)
{
	struct rig r = start(path_of("metrics.db"));
	char *text;

	(void)state;
	feed(r.h, "api", 999, 200, 0.010);
	feed(r.h, "api", 1, 500, 0.010);
	tick_for(r.h, 6);
	text = render(r.m);
	assert_has(text, "biothings_health_status{status=\"healthy\"} 1\n");
	assert_has(text, "biothings_health_status{status=\"unhealthy\"} 0\n");
	assert_has(text, "biothings_sla_availability_ratio{service_name=\"api\",window=\"1h\"} "
			 "0.999\n");
	assert_has(text, "biothings_sla_error_budget_remaining_ratio{service_name=\"api\"} ");
	assert_has(text, "biothings_sla_burn_rate{service_name=\"api\",window=\"5m\"} ");
	assert_has(text, "biothings_health_store_errors_total{op=\"open\"} 0\n");
	assert_has(text, "biothings_health_untracked_total{kind=\"sla_service\"} 0\n");
	free(text);
	stop(&r);
}

/* No store: a log line and a counted error; status, SLA and metrics work as before. */
static void test_store_unavailable(void **state)
{
	static const char *const dbs[] = { "/nonexistent-bt-dir/health.db", "garbage.db" };
	FILE *g = fopen(path_of("garbage.db"), "w");
	char *text;

	(void)state;
	assert_non_null(g);
	fputs("not a database at all, just some text to fill the header bytes", g);
	fclose(g);
	for (size_t i = 0; i < 2; i++) {
		struct rig r = start(i ? path_of(dbs[i]) : dbs[i]);

		assert_null(health_store(r.h));
		feed(r.h, "api", 10, 200, 0.010);
		tick_for(r.h, 12);
		assert_int_equal(figures(r.h, "api").c[SLA_1H].total, 10);
		assert_status(r.h, HEALTH_HEALTHY, NULL);
		text = render(r.m);
		assert_has(text, "biothings_health_store_errors_total{op=\"open\"} 1\n");
		free(text);
		stop(&r);
	}
}

/* A store that appears later (a directory created, space freed) is opened within a minute,
 * and what was counted meanwhile is written. */
static void test_store_late_open(void **state)
{
	struct rig r = start(path_of("later/health.db"));
	uint64_t total = 0;
	struct healthstore *s;

	(void)state;
	assert_null(health_store(r.h));
	feed(r.h, "api", 7, 200, 0.010);
	assert_int_equal(mkdir(path_of("later"), 0700), 0);
	tick_for(r.h, 30);
	assert_null(health_store(r.h)); /* retried once a minute */
	tick_for(r.h, 31);
	assert_non_null(health_store(r.h));
	tick_for(r.h, 11);
	stop(&r);
	s = healthstore__open(path_of("later/health.db"), NULL, 0);
	assert_non_null(s);
	assert_int_equal(healthstore__load_minutes(s, 0, sum_minutes, &total), 0);
	assert_int_equal(total, 7);
	healthstore__close(s);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bt-test-health.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_components),	  cmocka_unit_test(test_resources_and_self),
		cmocka_unit_test(test_sla_feed),	  cmocka_unit_test(test_restart),
		cmocka_unit_test(test_transitions),	  cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_store_unavailable), cmocka_unit_test(test_store_late_open),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
