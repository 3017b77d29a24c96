// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cost_track: POST /costs/track/llm bodies. Good bodies become exact rows;
 * every kind of bad body is refused with a message naming the field; the
 * given cost wins over the table, and an unknown model is unpriced.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "cost_track.h"

#define NOW 1795000000 /* 2026-11-18T11:06:40Z */

static struct pricing *prices(void)
{
	static const char js[] =
		"{\"bt-m\": {\"litellm_provider\": \"openai\", \"mode\": \"chat\","
		" \"input_cost_per_token\": 2e-06, \"output_cost_per_token\": 8e-06,"
		" \"cache_read_input_token_cost\": 5e-07}}";
	struct pricing *p = pricing__new();
	char err[128];

	assert_non_null(p);
	assert_int_equal(pricing__load_json(p, "t", js, strlen(js), NULL, err, sizeof(err)), 0);
	return p;
}

static void test_good(void **state)
{
	static const char body[] =
		"{\"provider\":\"openai\",\"model\":\"bt-m\",\"input_tokens\":1000,"
		"\"output_tokens\":100,\"cache_read_tokens\":400,\"agent_type\":\"batch-1\","
		"\"service\":\"nightly\",\"timestamp\":\"2026-11-16T10:00:00Z\",\"id\":\"run-7\"}";
	struct pricing *p = prices();
	struct cost_track t;
	char why[160] = "";

	(void)state;
	assert_int_equal(cost_track_parse(body, strlen(body), NOW, &t, why, sizeof(why)), 0);
	assert_string_equal(t.row.provider, "openai");
	assert_string_equal(t.row.model, "bt-m");
	assert_string_equal(t.row.agent_type, "batch-1");
	assert_string_equal(t.row.service, "nightly");
	assert_string_equal(t.row.idem_key, "run-7");
	assert_string_equal(t.row.source, "api");
	assert_int_equal(t.when, 1794823200);
	assert_int_equal(t.row.input, 1000);
	assert_int_equal(t.row.cache_read, 400);
	cost_track_price(p, &t);
	assert_true(t.row.priced);
	assert_true(fabs(t.row.cost_usd - (600 * 2e-06 + 400 * 5e-07 + 100 * 8e-06)) < 1e-15);
	pricing__free(p);
}

static void test_defaults_and_given_cost(void **state)
{
	static const char body[] =
		"{\"provider\":\"x\",\"model\":\"nope\",\"input_tokens\":5,"
		"\"output_tokens\":0,\"cost_usd\":1.25,\"timestamp\":1794999000}";
	static const char body2[] =
		"{\"provider\":\"x\",\"model\":\"nope\",\"input_tokens\":5,\"output_tokens\":0}";
	struct pricing *p = prices();
	struct cost_track t;
	char why[160] = "";

	(void)state;
	assert_int_equal(cost_track_parse(body, strlen(body), NOW, &t, why, sizeof(why)), 0);
	assert_string_equal(t.row.agent_type, "unknown");
	assert_string_equal(t.row.service, "api");
	assert_null(t.row.idem_key);
	assert_int_equal(t.when, 1794999000);
	cost_track_price(p, &t);
	assert_true(t.row.priced);
	assert_true(t.row.cost_usd == 1.25);
	assert_int_equal(cost_track_parse(body2, strlen(body2), NOW, &t, why, sizeof(why)), 0);
	assert_int_equal(t.when, NOW);
	cost_track_price(p, &t);
	assert_false(t.row.priced);
	assert_true(t.row.cost_usd == 0);
	pricing__free(p);
}

struct bad {
	const char *body, *why;
};

static void test_bad(void **state)
{
	static const struct bad cases[] = {
		{ "", "not JSON" },
		{ "nope", "not JSON" },
		{ "[1]", "the body must be a JSON object" },
		{ "{\"provider\":\"o\"}", "model: required" },
		{ "{\"model\":\"m\",\"input_tokens\":1,\"output_tokens\":1}",
		  "provider: required" },
		{ "{\"provider\":\"o\",\"model\":\"m\",\"input_tokens\":1}",
		  "output_tokens: required" },
		{ "{\"provider\":\"o\",\"model\":\"m\",\"input_tokens\":-1,\"output_tokens\":1}",
		  "input_tokens: a whole number" },
		{ "{\"provider\":\"o\",\"model\":\"m\",\"input_tokens\":1.5,\"output_tokens\":1}",
		  "input_tokens: a whole number" },
		{ "{\"provider\":\"o\",\"model\":\"m\",\"input_tokens\":\"1\",\"output_tokens\":1}",
		  "input_tokens: a whole number" },
		{ "{\"provider\":\"o\",\"model\":\"m\",\"input_tokens\":1e300,\"output_tokens\":1}",
		  "input_tokens: a whole number" },
		{ "{\"provider\":\"o\",\"model\":\"m\",\"input_token\":1,\"output_tokens\":1}",
		  "input_token: unknown field" },
		{ "{\"provider\":\"o p\",\"model\":\"m\",\"input_tokens\":1,\"output_tokens\":1}",
		  "provider: a string" },
		{ "{\"provider\":\"o\",\"model\":\"m\\\"x\",\"input_tokens\":1,\"output_tokens\":1}",
		  "model: a string" },
		{ "{\"provider\":\"o\",\"model\":\"m\",\"input_tokens\":1,\"output_tokens\":1,"
		  "\"cache_read_tokens\":2}",
		  "cache_read_tokens: cache tokens are part of input_tokens" },
		{ "{\"provider\":\"o\",\"model\":\"m\",\"input_tokens\":1,\"output_tokens\":1,"
		  "\"cost_usd\":-1}",
		  "cost_usd: a number" },
		{ "{\"provider\":\"o\",\"model\":\"m\",\"input_tokens\":1,\"output_tokens\":1,"
		  "\"timestamp\":\"2026-11-16 10:00\"}",
		  "timestamp: Unix seconds" },
		{ "{\"provider\":\"o\",\"model\":\"m\",\"input_tokens\":1,\"output_tokens\":1,"
		  "\"timestamp\":1795001000}",
		  "timestamp: more than 5 minutes ahead" },
		{ "{\"provider\":\"o\",\"model\":\"m\",\"input_tokens\":1,\"output_tokens\":1,"
		  "\"timestamp\":1700000000}",
		  "timestamp: more than 5 minutes ahead or 400 days behind" },
		{ "{\"provider\":\"o\",\"model\":\"m\",\"input_tokens\":1,\"output_tokens\":1,"
		  "\"timestamp\":1.795e105}", /* past what a time_t holds: found by fuzz_cost_track */
		  "timestamp: more than 5 minutes ahead or 400 days behind" },
		{ "{\"provider\":\"o\",\"model\":\"m\",\"input_tokens\":1,\"output_tokens\":1,"
		  "\"timestamp\":-1e300}",
		  "timestamp: more than 5 minutes ahead or 400 days behind" },
		{ "{\"provider\":\"o\",\"provider\":\"p\",\"model\":\"m\",\"input_tokens\":1,"
		  "\"output_tokens\":1}",
		  "not JSON" },
		{ "{\"provider\":\"o\",\"model\":\"m\",\"input_tokens\":1,\"output_tokens\":1,"
		  "\"id\":\"\"}",
		  "id: a string" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cost_track t;
		char why[160] = "";
		int e = cost_track_parse(cases[i].body, strlen(cases[i].body), NOW, &t, why,
					 sizeof(why));

		if (e != -EINVAL || strncmp(why, cases[i].why, strlen(cases[i].why)))
			fail_msg("case %zu: e=%d why=\"%s\", want \"%s\"", i, e, why, cases[i].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_defaults_and_given_cost),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
