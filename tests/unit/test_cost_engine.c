// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cost_engine: the glue of prices, ledger, budgets and business rules, on
 * a moving clock. Calls priced from the built-in table move the day through
 * its statuses with one counted transition each; midnight resets the day
 * (a counted transition back to ok) but not the month; a new engine on the
 * same ledger resumes the month; an unpriced model counts 0 and is
 * counted; calls without usage are not spend; business rules count events.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cost_engine.h"
#include "metrics.h"

static time_t fake_now;
static time_t clock_fn(void)
{
	return fake_now;
}

struct rig {
	char dir[64], db[96];
	struct metrics *m;
	struct cost_engine *ce;
	struct budget_cfg b;
	struct business_weights w;
	struct business_rule rule;
};

static void rig_start(struct rig *r)
{
	struct cost_engine_opts o = { .db_path = r->db,
				      .budgets = &r->b,
				      .biz_rules = &r->rule,
				      .n_biz_rules = 1,
				      .weights = &r->w,
				      .clock = clock_fn };
	char err[256] = "";

	r->m = metrics__new(10000);
	assert_non_null(r->m);
	r->ce = cost_engine__new(&o, r->m, err, sizeof(err));
	if (!r->ce)
		fail_msg("cost_engine__new: %s", err);
}

static void rig_stop(struct rig *r)
{
	cost_engine__free(r->ce);
	metrics__free(r->m);
}

static int setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));

	strcpy(r->dir, "/tmp/bt-cost-engine.XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->db, sizeof(r->db), "%s/observer.db", r->dir);
	budget_cfg_defaults(&r->b);
	r->b.daily_usd = 10;
	r->b.daily_critical_usd = 15;
	r->b.monthly_usd = 100;
	assert_int_equal(budget_tz_apply("UTC"), 0);
	business_weights_defaults(&r->w);
	strcpy(r->rule.event, "experiment_completed");
	strcpy(r->rule.path, "/api/experiments/{id}/complete");
	r->rule.status_min = 200;
	r->rule.status_max = 299;
	r->rule.category = BIZ_EXPERIMENT;
	r->rule.outcome = BIZ_SUCCEEDED;
	fake_now = 1795000000; /* 2026-11-18T11:06:40Z */
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", r->dir);
	assert_int_equal(system(cmd), 0);
	free(r);
	return 0;
}

/* The value of the exposition line that starts with series (name{labels}). */
static double metric(struct rig *r, const char *series)
{
	char *text, *p;
	size_t len;
	double v = -1;

	assert_int_equal(metrics__render(r->m, &text, &len), 0);
	p = strstr(text, series);
	if (p)
		v = strtod(p + strlen(series), NULL);
	free(text);
	return v;
}

/* A gpt-4o call of in input tokens: $2.50 per million at the built-in price. */
static void call(struct rig *r, const char *model, uint64_t in, bool usage)
{
	struct llm_call c = { .usage_ok = usage, .reported_cost_usd = -1, .status = 200 };

	strcpy(c.provider, "openai");
	snprintf(c.response_model, sizeof(c.response_model), "%s", model);
	c.tok.input = in;
	cost_engine__llm_call(r->ce, &c, "svc", "agent");
}

static void test_day_statuses_and_midnight(void **state)
{
	struct rig *r = *state;

	rig_start(r);
	call(r, "gpt-4o-2024-08-06", 2000000, true); /* $5 */
	assert_true(metric(r, "biothings_llm_budget_status{period=\"daily\",status=\"ok\"}") == 1);
	call(r, "gpt-4o", 1200000, true); /* $8: warning */
	assert_true(metric(r, "biothings_llm_budget_status{period=\"daily\",status=\"warning\"}") ==
		    1);
	call(r, "gpt-4o", 1000000, false); /* no usage: nothing billed */
	call(r, "gpt-4o", 1200000, true); /* $11: exceeded */
	call(r, "gpt-4o", 2000000, true); /* $16: critical */
	assert_true(metric(r, "biothings_llm_spend_usd{period=\"daily\"}") == 16);
	assert_true(metric(r, "biothings_llm_budget_utilization_ratio{period=\"daily\"}") == 1.6);
	assert_true(
		metric(r,
		       "biothings_llm_budget_transitions_total{period=\"daily\",status=\"warning\"}") ==
		1);
	assert_true(
		metric(r,
		       "biothings_llm_budget_transitions_total{period=\"daily\",status=\"exceeded\"}") ==
		1);
	assert_true(
		metric(r,
		       "biothings_llm_budget_transitions_total{period=\"daily\",status=\"critical\"}") ==
		1);
	assert_true(
		metric(r,
		       "biothings_llm_cost_usd_total{service_name=\"svc\",agent_type=\"agent\",provider=\"openai\",model=\"gpt-4o\"}") ==
		11);
	assert_true(metric(r, "biothings_llm_budget_status{period=\"monthly\",status=\"ok\"}") ==
		    1);

	fake_now += 86400; /* the next day */
	cost_engine__tick(r->ce);
	assert_true(metric(r, "biothings_llm_spend_usd{period=\"daily\"}") == 0);
	assert_true(metric(r, "biothings_llm_spend_usd{period=\"monthly\"}") == 16);
	assert_true(
		metric(r,
		       "biothings_llm_budget_transitions_total{period=\"daily\",status=\"ok\"}") ==
		1);
	assert_true(metric(r, "biothings_llm_budget_status{period=\"daily\",status=\"ok\"}") == 1);
	rig_stop(r);

	/* a new process on the same ledger resumes the month and the day */
	rig_start(r);
	assert_true(metric(r, "biothings_llm_spend_usd{period=\"monthly\"}") == 16);
	assert_true(metric(r, "biothings_llm_spend_usd{period=\"daily\"}") == 0);
	call(r, "gpt-4o", 4000000, true); /* $10 today */
	assert_true(metric(r, "biothings_llm_spend_usd{period=\"monthly\"}") == 26);
	assert_true(
		metric(r, "biothings_llm_budget_status{period=\"daily\",status=\"exceeded\"}") ==
		1);
	rig_stop(r);

	fake_now += 20 * 86400; /* next month: the month starts from 0 */
	rig_start(r);
	assert_true(metric(r, "biothings_llm_spend_usd{period=\"monthly\"}") == 0);
	rig_stop(r);
}

static void test_unpriced_and_business(void **state)
{
	struct rig *r = *state;
	static const char p1[] = "/api/experiments/7/complete?x=1";

	rig_start(r);
	call(r, "mystery-model-9", 1000, true);
	call(r, "mystery-model-9", 1000, true);
	assert_true(metric(r, "biothings_llm_unpriced_requests_total{model=\"mystery-model-9\"}") ==
		    2);
	assert_true(metric(r, "biothings_llm_spend_usd{period=\"daily\"}") == 0);
	cost_engine__http(r->ce, "lab", "POST", p1, strlen(p1), 200);
	cost_engine__http(r->ce, "lab", "POST", p1, strlen(p1), 500);
	cost_engine__http(r->ce, "lab", "POST", "/api/other", 10, 200);
	assert_true(metric(r, "biothings_business_events_total{event=\"experiment_completed\"}") ==
		    1);
	rig_stop(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_day_statuses_and_midnight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpriced_and_business, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
