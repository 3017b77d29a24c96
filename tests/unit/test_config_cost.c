// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * config: the cost engine's keys (budgets, pricing, llm.agent_types,
 * business.events and weights): defaults, a full file, flags, every error
 * with its position, and the whole-config validation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "config.h"

static int load(struct obs_config *c, const char *yaml, char *err, size_t n)
{
	obs_config_defaults(c);
	return obs_config_load_buffer(c, "t.yaml", yaml, strlen(yaml), err, n);
}

static void test_defaults(void **state)
{
	struct obs_config c;
	char err[256] = "";

	(void)state;
	obs_config_defaults(&c);
	assert_true(c.budgets.daily_usd == 200 && c.budgets.monthly_usd == 3000);
	assert_true(c.budgets.daily_warn_ratio == 0.8 && c.budgets.monthly_warn_ratio == 0.9);
	assert_true(c.budgets.daily_critical_usd == 500);
	assert_string_equal(c.budgets.timezone, "UTC");
	assert_int_equal(c.max_agent_types, 50);
	assert_string_equal(c.pricing_path, "");
	assert_int_equal(c.n_agent_rules, 0);
	assert_int_equal(c.n_biz_rules, 0);
	assert_true(c.biz_weights.w[BIZ_PUBLICATION] == 5 && c.biz_weights.w[BIZ_EXPERIMENT] == 1);
	assert_int_equal(obs_config_validate(&c, err, sizeof(err)), 0);
	obs_config_free(&c);
}

static const char full[] =
	"pricing: /etc/bt/prices.json\n"
	"budgets:\n"
	"  daily_usd: 12.5\n"
	"  monthly_usd: 300\n"
	"  daily_warn_ratio: 0.5\n"
	"  monthly_warn_ratio: 1\n"
	"  daily_critical_usd: 20\n"
	"  timezone: Europe/Berlin\n"
	"llm:\n"
	"  max_agent_types: 7\n"
	"  agent_types:\n"
	"    - header: X-Agent-Type\n"
	"    - env: BIOTHINGS_AGENT\n"
	"    - comm: 'lit-*'\n"
	"      agent_type: literature\n"
	"    - cgroup: '*/review.slice/*'\n"
	"      agent_type: reviewer\n"
	"business:\n"
	"  weights: {publication: 10, other: 0.5}\n"
	"  events:\n"
	"    - {event: experiment_started, method: POST, path: /api/experiments, status: 201}\n"
	"    - {event: experiment_failed, path: '/api/experiments/{id}/complete', status: 5xx}\n"
	"    - {event: paper_out, path: /api/papers, status: 200-204, category: publication,\n"
	"       outcome: succeeded, service: lab-api}\n";

static void test_full(void **state)
{
	struct obs_config c;
	char err[256] = "";

	(void)state;
	assert_int_equal(load(&c, full, err, sizeof(err)), 0);
	assert_string_equal(c.pricing_path, "/etc/bt/prices.json");
	assert_true(c.budgets.daily_usd == 12.5 && c.budgets.monthly_usd == 300);
	assert_true(c.budgets.daily_warn_ratio == 0.5 && c.budgets.monthly_warn_ratio == 1);
	assert_string_equal(c.budgets.timezone, "Europe/Berlin");
	assert_int_equal(c.max_agent_types, 7);
	assert_int_equal(c.n_agent_rules, 4);
	assert_int_equal(c.agent_rules[0].source, ATTR_HEADER);
	assert_string_equal(c.agent_rules[0].name, "X-Agent-Type");
	assert_int_equal(c.agent_rules[1].source, ATTR_ENV);
	assert_int_equal(c.agent_rules[2].source, ATTR_COMM);
	assert_string_equal(c.agent_rules[2].agent_type, "literature");
	assert_int_equal(c.agent_rules[3].source, ATTR_CGROUP);
	assert_int_equal(c.n_biz_rules, 3);
	assert_string_equal(c.biz_rules[0].method, "POST");
	assert_int_equal(c.biz_rules[0].status_min, 201);
	assert_int_equal(c.biz_rules[0].status_max, 201);
	assert_int_equal(c.biz_rules[0].category, BIZ_EXPERIMENT);
	assert_int_equal(c.biz_rules[0].outcome, BIZ_STARTED);
	assert_int_equal(c.biz_rules[1].outcome, BIZ_FAILED);
	assert_int_equal(c.biz_rules[1].status_min, 500);
	assert_int_equal(c.biz_rules[1].status_max, 599);
	assert_int_equal(c.biz_rules[2].category, BIZ_PUBLICATION);
	assert_int_equal(c.biz_rules[2].outcome, BIZ_SUCCEEDED);
	assert_string_equal(c.biz_rules[2].service, "lab-api");
	assert_int_equal(c.biz_rules[2].status_max, 204);
	assert_true(c.biz_weights.w[BIZ_PUBLICATION] == 10 && c.biz_weights.w[BIZ_OTHER] == 0.5);
	assert_true(c.biz_weights.w[BIZ_EXPERIMENT] == 1); /* untouched */
	assert_int_equal(obs_config_validate(&c, err, sizeof(err)), 0);
	obs_config_free(&c);
}

struct bad {
	const char *yaml, *msg;
};

static void test_errors(void **state)
{
	static const struct bad cases[] = {
		{ "budgets:\n  daily_usd: 0\n",
		  "t.yaml:2:14: budgets.daily_usd: '0' is out of range" },
		{ "budgets:\n  daily_usd: -3\n",
		  "t.yaml:2:14: budgets.daily_usd: '-3' is out of range" },
		{ "budgets:\n  daily_usd: ten\n", "t.yaml:2:14: budgets.daily_usd: 'ten' is not" },
		{ "budgets:\n  daily_usd: nan\n", "t.yaml:2:14: budgets.daily_usd: 'nan' is not" },
		{ "budgets:\n  daily_usd: 1e400\n",
		  "t.yaml:2:14: budgets.daily_usd: '1e400' is not" },
		{ "budgets:\n  daily_usd: 0x10\n",
		  "t.yaml:2:14: budgets.daily_usd: '0x10' is not" },
		{ "budgets:\n  daily_warn_ratio: 1.5\n",
		  "t.yaml:2:21: budgets.daily_warn_ratio: '1.5' is out of range" },
		{ "budgets:\n  timezone: ../../etc/passwd\n",
		  "t.yaml:2:13: budgets.timezone: '../../etc/passwd' is not a time zone" },
		{ "budgets:\n  weekly_usd: 5\n", "t.yaml:2:3: unknown key 'budgets.weekly_usd'" },
		{ "pricing: prices.json\n",
		  "t.yaml:1:10: pricing: 'prices.json' is not an absolute" },
		{ "llm:\n  agent_types: {header: x}\n",
		  "t.yaml:2:16: llm.agent_types: expected a list" },
		{ "llm:\n  agent_types:\n    - {header: X-A, env: B}\n",
		  "t.yaml:3:26: llm.agent_types: one of header, env, comm, exe, cgroup per entry" },
		{ "llm:\n  agent_types:\n    - {agent_type: x}\n",
		  "t.yaml:3:7: llm.agent_types: entry needs header" },
		{ "llm:\n  agent_types:\n    - {comm: 'py*'}\n", "t.yaml:3:7: llm.agent_types: " },
		{ "llm:\n  agent_types:\n    - {header: 'X A'}\n",
		  "t.yaml:3:7: llm.agent_types: " },
		{ "llm:\n  agent_types:\n    - {header: X, color: red}\n",
		  "t.yaml:3:19: llm.agent_types: unknown key 'color'" },
		{ "business:\n  events:\n    - {path: /a}\n",
		  "t.yaml:3:7: business.events: each entry needs event and path" },
		{ "business:\n  events:\n    - {event: x, path: /a, status: 2xy}\n",
		  "t.yaml:3:36: business.events: status '2xy' is not like" },
		{ "business:\n  events:\n    - {event: Bad-Name, path: /a}\n",
		  "t.yaml:3:7: business.events: " },
		{ "business:\n  events:\n    - {event: x, path: 'no-slash'}\n",
		  "t.yaml:3:7: business.events: " },
		{ "business:\n  events:\n    - {event: x, path: /a, category: poem}\n",
		  "t.yaml:3:38: business.events.category: 'poem' is not one of" },
		{ "business:\n  weights: {experiment: -1}\n",
		  "t.yaml:2:25: business.weights.experiment: '-1' is not a number" },
		{ "business:\n  weights: {lab: 1}\n",
		  "t.yaml:2:13: business.weights: unknown key 'lab'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct obs_config c;
		char err[256] = "";

		assert_int_equal(load(&c, cases[i].yaml, err, sizeof(err)), -EINVAL);
		if (strncmp(err, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("case %zu: got \"%s\", want prefix \"%s\"", i, err, cases[i].msg);
		/* all or nothing: nothing of the bad file was kept */
		assert_int_equal(c.n_agent_rules + c.n_biz_rules, 0);
		assert_true(c.budgets.daily_usd == 200);
		obs_config_free(&c);
	}
}

static void test_validate(void **state)
{
	struct obs_config c;
	char err[256] = "";

	(void)state;
	assert_int_equal(load(&c, "budgets: {daily_usd: 300, daily_critical_usd: 250}\n", err,
			      sizeof(err)),
			 0);
	assert_int_equal(obs_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "budgets: "));
	obs_config_free(&c);
	assert_int_equal(load(&c, "budgets: {timezone: Mars/Olympus_Mons}\n", err, sizeof(err)), 0);
	assert_int_equal(obs_config_validate(&c, err, sizeof(err)), -EINVAL);
	obs_config_free(&c);
}

static void test_flags_and_replace(void **state)
{
	char *argv[] = { "obs",
			 "--daily-budget",
			 "50",
			 "--monthly-budget=900",
			 "--daily-critical",
			 "75",
			 "--budget-timezone",
			 "America/New_York",
			 "--max-agent-types",
			 "3",
			 "--pricing",
			 "/x/p.json" };
	struct obs_config c;
	char err[256] = "";
	int action = 0;

	(void)state;
	obs_config_defaults(&c);
	assert_int_equal(obs_config_parse_args(&c, 12, argv, &action, err, sizeof(err)), 0);
	assert_true(c.budgets.daily_usd == 50 && c.budgets.monthly_usd == 900);
	assert_true(c.budgets.daily_critical_usd == 75);
	assert_string_equal(c.budgets.timezone, "America/New_York");
	assert_int_equal(c.max_agent_types, 3);
	assert_string_equal(c.pricing_path, "/x/p.json");
	/* a second file replaces the lists the first set, and keeps what it does not name */
	assert_int_equal(obs_config_load_buffer(&c, "a", full, strlen(full), err, sizeof(err)), 0);
	assert_int_equal(obs_config_load_buffer(&c, "b", "llm:\n  agent_types:\n    - env: ONLY\n",
						36, err, sizeof(err)),
			 0);
	assert_int_equal(c.n_agent_rules, 1);
	assert_int_equal(c.n_biz_rules, 3);
	obs_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_flags_and_replace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
