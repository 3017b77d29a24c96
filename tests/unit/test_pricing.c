// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pricing: the built-in table (every entry complete, loads whole), exact
 * costs per provider from hand-computed figures (cache reads, 5 min and
 * 1 h writes, reasoning, long-context tiers, reported costs), the lookup
 * ladder with its negatives (no similar-name guessing), user files that
 * override and add, and garbage that must be refused or skipped without
 * touching the loaded table.
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
#include <unistd.h>

#include <jansson.h>

#include "pricing.h"
#include "pricing_data.h"

static char err[256];

static void near(double got, double want)
{
	double tol = 1e-12 * fabs(want);

	if (!(fabs(got - want) <= tol))
		fail_msg("cost %.17g, want %.17g", got, want);
}

static struct pricing *builtin(void)
{
	struct pricing *p = pricing__new();

	assert_non_null(p);
	assert_int_equal(pricing__load_builtin(p, err, sizeof(err)), 0);
	return p;
}

static struct llm_call call(const char *provider, const char *req, const char *resp)
{
	struct llm_call c;

	memset(&c, 0, sizeof(c));
	snprintf(c.provider, sizeof(c.provider), "%s", provider);
	snprintf(c.request_model, sizeof(c.request_model), "%s", req);
	snprintf(c.response_model, sizeof(c.response_model), "%s", resp);
	c.usage_ok = true;
	c.reported_cost_usd = -1;
	c.retry_after_s = -1;
	return c;
}

static struct cost cost_of(const struct pricing *p, const struct llm_call *c)
{
	struct cost k;

	pricing__cost(p, c, &k);
	return k;
}

static int load(struct pricing *p, const char *json, size_t *skipped)
{
	return pricing__load_json(p, "test.json", json, strlen(json), skipped, err, sizeof(err));
}

/* ---- the built-in table ---- */

static void test_builtin_complete(void **state)
{
	struct pricing *p = pricing__new();
	json_t *root = json_loadb(bt_pricing_json, bt_pricing_json_len, 0, NULL);
	size_t skipped = 99, models = 0;
	const char *key;
	json_t *v;

	(void)state;
	assert_non_null(root);
	assert_int_equal(bt_pricing_json[bt_pricing_json_len], '\0');
	assert_int_equal(pricing__load_json(p, "b", bt_pricing_json, bt_pricing_json_len, &skipped,
					    err, sizeof(err)),
			 0);
	assert_int_equal(skipped, 0);
	assert_string_equal(pricing_builtin_date(), "2026-07-24");
	assert_string_equal(json_string_value(json_object_get(root, "_snapshot_date")),
			    pricing_builtin_date());
	json_object_foreach(root, key, v)
	{
		const struct price *pr;
		char used[PRICING_KEY_MAX];

		if (key[0] == '_' || !strcmp(key, "sample_spec"))
			continue;
		models++;
		if (!json_is_string(json_object_get(v, "litellm_provider")) ||
		    !json_is_string(json_object_get(v, "mode")) ||
		    !json_is_number(json_object_get(v, "input_cost_per_token")) ||
		    !json_is_number(json_object_get(v, "output_cost_per_token")))
			fail_msg("%s: litellm_provider, mode, input and output prices needed", key);
		pr = pricing__lookup(p, NULL, key, used, sizeof(used));
		assert_non_null(pr);
		assert_string_equal(used, key);
		assert_true(pr->input ==
			    json_number_value(json_object_get(v, "input_cost_per_token")));
		assert_true(pr->output ==
			    json_number_value(json_object_get(v, "output_cost_per_token")));
		assert_string_equal(pr->litellm_provider,
				    json_string_value(json_object_get(v, "litellm_provider")));
		assert_string_equal(pr->mode, json_string_value(json_object_get(v, "mode")));
	}
	assert_true(models >= 30);
	assert_int_equal(pricing__count(p), models);
	/* the malformed LiteLLM entry (embedding mode) is not copied */
	assert_string_equal(pricing__lookup(p, "gemini", "gemini-1.5-flash", NULL, 0)->mode,
			    "chat");
	/* loading it twice replaces, never duplicates */
	assert_int_equal(pricing__load_builtin(p, err, sizeof(err)), 0);
	assert_int_equal(pricing__count(p), models);
	json_decref(root);
	pricing__free(p);
}

/* ---- exact costs ---- */

static void test_openai_cached(void **state)
{
	struct pricing *p = builtin();
	struct llm_call c = call("openai", "gpt-4o", "gpt-4o-2024-08-06");
	struct cost k;

	(void)state;
	/* prompt 1486 of which 1408 cached; completion 651 of which 512 reasoning */
	c.tok = (struct llm_tokens){
		.input = 1486, .output = 651, .cache_read = 1408, .reasoning = 512
	};
	k = cost_of(p, &c);
	assert_true(k.priced);
	assert_false(k.from_provider);
	assert_string_equal(k.key, "gpt-4o");
	assert_ptr_equal(k.model, c.response_model);
	near(k.usd, 78 * 2.5e-06 + 1408 * 1.25e-06 + 651 * 1e-05);
	/* gpt-4: no cache price, so cached tokens cost the input rate */
	c = call("openai", "gpt-4", "gpt-4-0613");
	c.tok = (struct llm_tokens){ .input = 1000, .output = 10, .cache_read = 400 };
	k = cost_of(p, &c);
	assert_string_equal(k.key, "gpt-4");
	near(k.usd, 1000 * 3e-05 + 10 * 6e-05);
	/* the first gpt-4o snapshot has its own (higher) price */
	c = call("openai", "gpt-4o", "gpt-4o-2024-05-13");
	c.tok = (struct llm_tokens){ .input = 100, .output = 100 };
	near(cost_of(p, &c).usd, 100 * 5e-06 + 100 * 1.5e-05);
	/* embeddings: output price 0 */
	c = call("openai", "text-embedding-3-small", "text-embedding-3-small");
	c.tok = (struct llm_tokens){ .input = 8 };
	near(cost_of(p, &c).usd, 8 * 2e-08);
	pricing__free(p);
}

static void test_anthropic_cache_ttl(void **state)
{
	struct pricing *p = builtin();
	struct llm_call c = call("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929");
	struct cost k;

	(void)state;
	/* input_tokens 25 + cache read 2000 + writes 100 (60 for 5 min, 40 for 1 h) */
	c.tok = (struct llm_tokens){ .input = 2125,
				     .output = 15,
				     .cache_read = 2000,
				     .cache_creation = 100,
				     .cache_creation_1h = 40 };
	k = cost_of(p, &c);
	assert_true(k.priced);
	assert_string_equal(k.key, "claude-sonnet-4-5-20250929");
	near(k.usd, 25 * 3e-06 + 2000 * 3e-07 + 60 * 3.75e-06 + 40 * 6e-06 + 15 * 1.5e-05);
	/* no response model: the request model (an alias) is priced */
	c.response_model[0] = '\0';
	k = cost_of(p, &c);
	assert_string_equal(k.key, "claude-sonnet-4-5-20250929");
	assert_ptr_equal(k.model, c.request_model);
	near(k.usd, 25 * 3e-06 + 2000 * 3e-07 + 60 * 3.75e-06 + 40 * 6e-06 + 15 * 1.5e-05);
	/* above 200k prompt tokens: the long-context rates, cache rates included */
	c = call("anthropic", "claude-sonnet-4-20250514", "claude-sonnet-4-20250514");
	c.tok = (struct llm_tokens){ .input = 250000,
				     .output = 1000,
				     .cache_read = 50000,
				     .cache_creation = 10000,
				     .cache_creation_1h = 4000 };
	near(cost_of(p, &c).usd,
	     190000 * 6e-06 + 50000 * 6e-07 + 6000 * 7.5e-06 + 4000 * 6e-06 + 1000 * 2.25e-05);
	/* exactly 200k is not above it */
	c.tok = (struct llm_tokens){ .input = 200000, .output = 1000 };
	near(cost_of(p, &c).usd, 200000 * 3e-06 + 1000 * 1.5e-05);
	/* a model without a long-context tier keeps its rates */
	c = call("anthropic", "claude-opus-4-1", "claude-opus-4-1-20250805");
	c.tok = (struct llm_tokens){ .input = 300000, .output = 10 };
	near(cost_of(p, &c).usd, 300000 * 1.5e-05 + 10 * 7.5e-05);
	pricing__free(p);
}

static void test_cache_rate_fallbacks(void **state)
{
	struct pricing *p = pricing__new();
	struct llm_call c = call("anthropic", "m-5m", "");
	struct llm_tokens t = { .input = 1000,
				.output = 10,
				.cache_read = 100,
				.cache_creation = 300,
				.cache_creation_1h = 200 };

	(void)state;
	assert_int_equal(
		load(p,
		     "{\"m-5m\":{\"input_cost_per_token\":1e-06,\"output_cost_per_token\":2e-06,"
		     "\"cache_creation_input_token_cost\":1.25e-06},"
		     "\"m-none\":{\"input_cost_per_token\":1e-06,\"output_cost_per_token\":2e-06}}",
		     NULL),
		0);
	c.tok = t;
	/* 1 h writes at the 5 min rate, reads at the input rate */
	near(cost_of(p, &c).usd, 600 * 1e-06 + 100 * 1e-06 + 300 * 1.25e-06 + 10 * 2e-06);
	c = call("anthropic", "m-none", "");
	c.tok = t;
	near(cost_of(p, &c).usd, 1000 * 1e-06 + 10 * 2e-06);
	pricing__free(p);
}

static void test_gemini(void **state)
{
	struct pricing *p = builtin();
	struct llm_call c = call("gemini", "gemini-2.5-flash", "gemini-2.5-flash");
	struct cost k;

	(void)state;
	/* promptTokenCount 12 (4 cached), candidates 7 + thoughts 100 */
	c.tok = (struct llm_tokens){ .input = 12, .output = 107, .cache_read = 4, .reasoning = 100 };
	k = cost_of(p, &c);
	assert_string_equal(k.key, "gemini/gemini-2.5-flash");
	near(k.usd, 8 * 3e-07 + 4 * 3e-08 + 7 * 2.5e-06 + 100 * 2.5e-06);
	/* over 200k: 2.5-pro's tier, cache read included */
	c = call("gemini", "gemini-2.5-pro", "gemini-2.5-pro");
	c.tok = (struct llm_tokens){
		.input = 300000, .output = 1000, .cache_read = 100000, .reasoning = 600
	};
	k = cost_of(p, &c);
	assert_string_equal(k.key, "gemini/gemini-2.5-pro");
	near(k.usd, 200000 * 2.5e-06 + 100000 * 2.5e-07 + 1000 * 1.5e-05);
	/* the same on Vertex: the bare key */
	snprintf(c.provider, sizeof(c.provider), "vertex_ai");
	k = cost_of(p, &c);
	assert_string_equal(k.key, "gemini-2.5-pro");
	near(k.usd, 200000 * 2.5e-06 + 100000 * 2.5e-07 + 1000 * 1.5e-05);
	/* 1.5 Pro: the 128k tier, AI Studio and Vertex prices differ */
	c = call("gemini", "gemini-1.5-pro", "gemini-1.5-pro-002");
	c.tok = (struct llm_tokens){ .input = 150000, .output = 100 };
	near(cost_of(p, &c).usd, 150000 * 7e-06 + 100 * 2.1e-05);
	snprintf(c.provider, sizeof(c.provider), "vertex_ai");
	near(cost_of(p, &c).usd, 150000 * 2.5e-06 + 100 * 1e-05);
	c.tok.input = 128000;
	near(cost_of(p, &c).usd, 128000 * 1.25e-06 + 100 * 5e-06);
	/* a reasoning rate distinct from the output rate */
	assert_int_equal(
		load(p,
		     "{\"gemini/think\":{\"input_cost_per_token\":1e-06,"
		     "\"output_cost_per_token\":2e-06,\"output_cost_per_reasoning_token\":5e-06,"
		     "\"litellm_provider\":\"gemini\",\"mode\":\"chat\"}}",
		     NULL),
		0);
	c = call("gemini", "models/think", "");
	c.tok = (struct llm_tokens){ .input = 10, .output = 30, .reasoning = 20 };
	near(cost_of(p, &c).usd, 10 * 1e-06 + 10 * 2e-06 + 20 * 5e-06);
	pricing__free(p);
}

static void test_cohere_azure(void **state)
{
	struct pricing *p = builtin();
	struct llm_call c = call("cohere", "command-r-plus-08-2024", "");
	struct cost k;

	(void)state;
	c.tok = (struct llm_tokens){ .input = 9, .output = 20 };
	k = cost_of(p, &c);
	assert_string_equal(k.key, "command-r-plus-08-2024");
	assert_ptr_equal(k.model, c.request_model);
	near(k.usd, 9 * 2.5e-06 + 20 * 1e-05);
	c = call("cohere", "command-a-03-2025", "");
	c.tok = (struct llm_tokens){ .input = 1000, .output = 1000 };
	near(cost_of(p, &c).usd, 1000 * 2.5e-06 + 1000 * 1e-05);
	/* Azure: the deployment name is the request model, the response says the model */
	c = call("azure_openai", "prod-chat", "gpt-4o-2024-11-20");
	c.tok = (struct llm_tokens){ .input = 1000, .output = 200, .cache_read = 600 };
	k = cost_of(p, &c);
	assert_string_equal(k.key, "azure/gpt-4o");
	near(k.usd, 400 * 2.5e-06 + 600 * 1.25e-06 + 200 * 1e-05);
	c = call("azure_openai", "prod-chat", "gpt-4.1");
	c.tok = (struct llm_tokens){ .input = 1000, .output = 200 };
	assert_string_equal(cost_of(p, &c).key, "azure/gpt-4.1");
	/* no azure/ key for it: the OpenAI one */
	c = call("azure_openai", "prod-mini", "gpt-4o-mini");
	c.tok = (struct llm_tokens){ .input = 1000, .output = 200 };
	k = cost_of(p, &c);
	assert_string_equal(k.key, "gpt-4o-mini");
	near(k.usd, 1000 * 1.5e-07 + 200 * 6e-07);
	pricing__free(p);
}

static void test_openrouter(void **state)
{
	struct pricing *p = builtin();
	struct llm_call c = call("openrouter", "openai/gpt-4o-mini", "openai/gpt-4o-mini");
	struct cost k;

	(void)state;
	c.tok = (struct llm_tokens){ .input = 14, .output = 2 };
	c.reported_cost_usd = 0.00042;
	k = cost_of(p, &c);
	assert_true(k.priced);
	assert_true(k.from_provider);
	assert_true(k.usd == 0.00042);
	assert_string_equal(k.key, "");
	/* a reported 0 is a price too */
	c.reported_cost_usd = 0;
	k = cost_of(p, &c);
	assert_true(k.priced && k.from_provider && k.usd == 0);
	/* without it: the table, through the org's provider */
	c.reported_cost_usd = -1;
	k = cost_of(p, &c);
	assert_false(k.from_provider);
	assert_string_equal(k.key, "gpt-4o-mini");
	near(k.usd, 14 * 1.5e-07 + 2 * 6e-07);
	c = call("openrouter", "openai/gpt-4o", "openai/gpt-4o-2024-08-06");
	c.tok = (struct llm_tokens){ .input = 100, .output = 10 };
	k = cost_of(p, &c);
	assert_string_equal(k.key, "openrouter/openai/gpt-4o");
	near(k.usd, 100 * 2.5e-06 + 10 * 1e-05);
	pricing__free(p);
}

static void test_no_usage_and_unknown(void **state)
{
	struct pricing *p = builtin();
	struct llm_call c = call("openai", "gpt-4o", "gpt-4o");
	struct cost k;

	(void)state;
	c.usage_ok = false;
	c.tok.input = 1000;
	k = cost_of(p, &c);
	assert_true(k.priced);
	assert_true(k.usd == 0);
	c = call("openai", "gpt-9-ultra", "gpt-9-ultra-2030-01-01");
	c.tok = (struct llm_tokens){ .input = 1000, .output = 1000 };
	k = cost_of(p, &c);
	assert_false(k.priced);
	assert_true(k.usd == 0);
	assert_string_equal(k.key, "");
	assert_ptr_equal(k.model, c.response_model);
	/* an unknown served snapshot: the requested model prices it */
	c = call("openai", "gpt-4.1-mini", "gpt-4.1-mini-turbo-x");
	c.tok = (struct llm_tokens){ .input = 1000, .output = 1000 };
	k = cost_of(p, &c);
	assert_true(k.priced);
	assert_string_equal(k.key, "gpt-4.1-mini");
	assert_ptr_equal(k.model, c.request_model);
	/* an empty table prices nothing; NULL table and call are survived */
	pricing__cost(NULL, &c, &k);
	assert_false(k.priced);
	pricing__cost(p, NULL, &k);
	assert_false(k.priced);
	assert_string_equal(k.model, "");
	pricing__free(p);
}

static void test_garbage_tokens(void **state)
{
	struct pricing *p = builtin();
	struct llm_call c = call("openai", "gpt-4o", "");
	double usd;

	(void)state;
	/* counts that contradict each other: nothing goes negative or wraps */
	c.tok = (struct llm_tokens){ .input = 10,
				     .output = 5,
				     .cache_read = 50,
				     .cache_creation = 20,
				     .cache_creation_1h = 90,
				     .reasoning = 9 };
	near(cost_of(p, &c).usd, 50 * 1.25e-06 + 20 * 2.5e-06 + 5 * 1e-05);
	c.tok = (struct llm_tokens){ .input = UINT64_MAX,
				     .output = UINT64_MAX,
				     .cache_read = UINT64_MAX,
				     .cache_creation = UINT64_MAX,
				     .cache_creation_1h = UINT64_MAX,
				     .reasoning = UINT64_MAX };
	usd = cost_of(p, &c).usd;
	assert_true(isfinite(usd) && usd > 0);
	pricing__free(p);
}

/* ---- lookup ---- */

struct lcase {
	const char *provider, *model, *want; /* want NULL: no price */
};

static void test_lookup_ladder(void **state)
{
	static const struct lcase cases[] = {
		{ "openai", "gpt-4o", "gpt-4o" },
		{ "openai", "gpt-4o-2024-08-06", "gpt-4o" },
		{ "openai", "gpt-4o-2024-05-13", "gpt-4o-2024-05-13" },
		{ "openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini" },
		{ "openai", "gpt-3.5-turbo-0125", "gpt-3.5-turbo" },
		{ "openai", "o3-2025-04-16", "o3" },
		{ "openai", "gpt-5-2025-08-07", "gpt-5" },
		{ "openai", "gpt-5.1", "gpt-5.1" },
		{ "anthropic", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet-20241022" },
		{ "anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929" },
		{ "anthropic", "claude-sonnet-4", "claude-sonnet-4-20250514" },
		{ "anthropic", "claude-opus-4-1", "claude-opus-4-1-20250805" },
		{ "anthropic", "claude-3-7-sonnet-latest", "claude-3-7-sonnet-20250219" },
		{ "anthropic", "claude-opus-4-5-20251101", "claude-opus-4-5-20251101" },
		{ "anthropic", "claude-opus-4-5", "claude-opus-4-5-20251101" },
		{ "anthropic", "claude-opus-4-7", "claude-opus-4-7" },
		{ "gemini", "gemini-2.5-pro", "gemini/gemini-2.5-pro" },
		{ "gemini", "models/gemini-2.5-flash", "gemini/gemini-2.5-flash" },
		{ "gemini", "gemini-2.5-pro-preview-05-06", "gemini/gemini-2.5-pro" },
		{ "gemini", "gemini-2.0-flash-001", "gemini/gemini-2.0-flash" },
		{ "gemini", "gemini-2.0-flash-exp", "gemini/gemini-2.0-flash" },
		{ "gemini", "gemini-2.5-flash-latest", "gemini/gemini-2.5-flash" },
		{ "gemini", "gemini-3-pro-preview", "gemini/gemini-3-pro-preview" },
		{ "gemini", "gemini/gemini-2.5-pro", "gemini/gemini-2.5-pro" },
		{ "vertex_ai", "gemini-2.0-flash-001", "gemini-2.0-flash" },
		{ "vertex_ai", "gemini-3-pro-preview", "gemini-3-pro-preview" },
		{ "vertex_ai", "gemini-3.1-pro-preview", "gemini-3.1-pro-preview" },
		{ "vertex_ai", "claude-sonnet-4@20250514", "vertex_ai/claude-sonnet-4@20250514" },
		{ "vertex_ai", "claude-sonnet-4", "vertex_ai/claude-sonnet-4@20250514" },
		{ "vertex_ai", "claude-opus-4-1@20250805", "claude-opus-4-1-20250805" },
		{ "azure_openai", "gpt-4o", "azure/gpt-4o" },
		{ "azure", "gpt-4o-2024-08-06", "azure/gpt-4o" },
		{ "openrouter", "openai/gpt-4o", "openrouter/openai/gpt-4o" },
		{ "openrouter", "openai/gpt-4o-mini", "gpt-4o-mini" },
		{ "openrouter", "google/gemini-2.5-pro", "gemini/gemini-2.5-pro" },
		{ "openrouter", "anthropic/claude-sonnet-4-5", "claude-sonnet-4-5-20250929" },
		{ "openrouter", "deepseek/deepseek-chat", "deepseek/deepseek-chat" },
		{ "deepseek", "deepseek-chat", "deepseek/deepseek-chat" },
		{ "cohere", "command-r", "command-r" },
		{ "cohere", "command-r-08-2024", "command-r-08-2024" },
		{ "cohere", "embed-english-v3.0", "embed-english-v3.0" },
		{ NULL, "gpt-4o", "gpt-4o" },
		{ "", "gpt-4o", "gpt-4o" },
		/* never a similar name */
		{ "openai", "gpt-4o-mini-foo", NULL },
		{ "openai", "gpt-4o-foo", NULL },
		{ "openai", "gpt-4o-", NULL },
		{ "openai", "gpt-4o-2024-13-45", NULL },
		{ "openai", "gpt-4-1106-preview", NULL },
		{ "openai", "gpt-4o2024-08-06", NULL },
		{ "openai", "GPT-4O", NULL },
		{ "openai", "gpt", NULL },
		{ "openai", "models/", NULL },
		{ "openai", "-latest", NULL },
		{ "anthropic", "claude-sonnet", NULL },
		{ "anthropic", "claude", NULL },
		{ "openai_compatible", "deepseek-chat", NULL },
		{ "openai_compatible", "meta-llama/Llama-3-8B", NULL },
		{ "openrouter", "openai/", NULL },
		{ "openrouter", "/gpt-4o", NULL },
		{ "openrouter", "acme/unknown-model", NULL },
		{ "ollama", "llama3:8b", NULL },
		{ "gemini", "gemini-2.5-pro-tts", NULL },
	};
	struct pricing *p = builtin();
	char key[PRICING_KEY_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct lcase *t = &cases[i];
		const struct price *pr =
			pricing__lookup(p, t->provider, t->model, key, sizeof(key));

		if (!t->want && pr)
			fail_msg("%s %s: priced as %s", t->provider, t->model, key);
		if (t->want && (!pr || strcmp(key, t->want)))
			fail_msg("%s %s: got \"%s\", want %s", t->provider, t->model,
				 pr ? key : "(none)", t->want);
		if (!pr)
			assert_string_equal(key, "");
	}
	pricing__free(p);
}

static void test_lookup_edges(void **state)
{
	struct pricing *p = builtin();
	char key[PRICING_KEY_MAX], small[4], lng[600];

	(void)state;
	assert_null(pricing__lookup(NULL, "openai", "gpt-4o", key, sizeof(key)));
	assert_null(pricing__lookup(p, "openai", NULL, key, sizeof(key)));
	assert_null(pricing__lookup(p, "openai", "", key, sizeof(key)));
	assert_non_null(pricing__lookup(p, "openai", "gpt-4o", NULL, 0));
	/* a short key buffer gets a cut, terminated key */
	assert_non_null(pricing__lookup(p, "openai", "gpt-4o", small, sizeof(small)));
	assert_string_equal(small, "gpt");
	memset(lng, 'a', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	assert_null(pricing__lookup(p, "openai", lng, key, sizeof(key)));
	/* an alias names the newest of its dated keys, whatever the date format */
	assert_int_equal(load(p,
			      "{\"acme-x-20240101\":{\"input_cost_per_token\":1e-06},"
			      "\"acme-x-20250301\":{\"input_cost_per_token\":2e-06},"
			      "\"acme-x-2024-12-31\":{\"input_cost_per_token\":3e-06},"
			      "\"acme-x-20991340\":{\"input_cost_per_token\":4e-06}}",
			      NULL),
			 0);
	assert_non_null(pricing__lookup(p, "acme", "acme-x", key, sizeof(key)));
	assert_string_equal(key, "acme-x-20250301");
	assert_non_null(pricing__lookup(p, "acme", "acme-x-latest", key, sizeof(key)));
	assert_string_equal(key, "acme-x-20250301");
	pricing__free(p);
}

/* ---- user files ---- */

static void test_user_override_and_add(void **state)
{
	struct pricing *p = builtin();
	size_t n = pricing__count(p), skipped = 9;
	struct llm_call c = call("openai", "gpt-4o", "gpt-4o-2024-08-06");
	const struct price *pr;

	(void)state;
	assert_int_equal(
		load(p,
		     "{\"_note\":\"ours\",\"sample_spec\":{\"input_cost_per_token\":0},"
		     "\"gpt-4o\":{\"input_cost_per_token\":1e-06,\"output_cost_per_token\":4e-06,"
		     "\"litellm_provider\":\"openai\",\"mode\":\"chat\"},"
		     "\"lab/biollm-7b\":{\"input_cost_per_token\":0,\"output_cost_per_token\":2e-07,"
		     "\"litellm_provider\":\"self_hosted\",\"mode\":\"chat\"}}",
		     &skipped),
		0);
	assert_int_equal(skipped, 0);
	assert_int_equal(pricing__count(p), n + 1);
	c.tok = (struct llm_tokens){ .input = 1000, .output = 100, .cache_read = 500 };
	/* the override has no cache price: cached tokens at its input rate */
	near(cost_of(p, &c).usd, 1000 * 1e-06 + 100 * 4e-06);
	pr = pricing__lookup(p, "vllm", "lab/biollm-7b", NULL, 0);
	assert_non_null(pr);
	assert_true(pr->input == 0 && pr->output == 2e-07);
	assert_true(pr->cache_read < 0 && pr->input_above_200k < 0);
	assert_string_equal(pr->litellm_provider, "self_hosted");
	/* the other built-in prices are still there */
	assert_non_null(pricing__lookup(p, "anthropic", "claude-sonnet-4-5", NULL, 0));
	pricing__free(p);
}

static void test_load_file(void **state)
{
	struct pricing *p = pricing__new();
	char path[] = "/tmp/test_pricing.XXXXXX";
	static const char json[] = "{\"m1\":{\"input_cost_per_token\":1e-06}, \"bad\":[]}";
	size_t skipped = 0;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, sizeof(json) - 1), (ssize_t)(sizeof(json) - 1));
	close(fd);
	assert_int_equal(pricing__load_file(p, path, &skipped, err, sizeof(err)), 0);
	assert_int_equal(skipped, 1);
	assert_int_equal(pricing__count(p), 1);
	unlink(path);
	assert_int_equal(pricing__load_file(p, path, &skipped, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_int_equal(pricing__load_file(p, "/tmp", NULL, err, sizeof(err)), -EISDIR);
	assert_int_equal(pricing__load_file(p, NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(pricing__count(p), 1);
	pricing__free(p);
}

/* ---- garbage ---- */

static void test_garbage_json(void **state)
{
	static const char *const refused[] = {
		"",
		"   ",
		"[]",
		"null",
		"42",
		"\"x\"",
		"{",
		"{\"a\":}",
		"{\"a\":1,}",
		"{\"m\":{\"input_cost_per_token\":1e999}}",
		"{\"m\":1} trailing",
		"\xff\xfe{}",
	};
	struct pricing *p = builtin();
	size_t n = pricing__count(p), skipped = 7;
	const struct price *before = pricing__lookup(p, "openai", "gpt-4o", NULL, 0);
	double in = before->input;

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		err[0] = '\0';
		if (load(p, refused[i], &skipped) != -EINVAL)
			fail_msg("accepted \"%s\"", refused[i]);
		assert_true(err[0] != '\0');
		assert_int_equal(skipped, 0);
		assert_int_equal(pricing__count(p), n);
	}
	assert_non_null(strstr((load(p, "{\n\"a\":", NULL), err), "test.json:2:"));
	assert_true(pricing__lookup(p, "openai", "gpt-4o", NULL, 0)->input == in);
	assert_int_equal(pricing__load_json(p, NULL, NULL, 0, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(pricing__load_json(NULL, "x", "{}", 2, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(pricing__load_json(p, "x", "{}", 2, NULL, NULL, 0), 0);
	assert_int_equal(pricing__count(p), n);
	pricing__free(p);
}

static void test_bad_entries_skipped(void **state)
{
	struct pricing *p = pricing__new();
	size_t skipped = 0;
	char json[2048];
	const struct price *pr;

	(void)state;
	snprintf(json, sizeof(json),
		 "{\"str\":{\"input_cost_per_token\":\"1e-06\"},"
		 "\"neg\":{\"input_cost_per_token\":-1e-06},"
		 "\"neg_tier\":{\"input_cost_per_token\":1e-06,"
		 "\"input_cost_per_token_above_200k_tokens\":-2},"
		 "\"huge\":{\"input_cost_per_token\":1e+300},"
		 "\"huge_int\":{\"input_cost_per_token\":9223372036854775807},"
		 "\"bool\":{\"output_cost_per_token\":true},"
		 "\"obj\":{\"input_cost_per_token\":{\"usd\":1}},"
		 "\"none\":{\"litellm_provider\":\"openai\",\"mode\":\"chat\"},"
		 "\"arr\":[1],\"num\":5,\"nul\":null,\"\":{\"input_cost_per_token\":1e-06},"
		 "\"%0*d\":{\"input_cost_per_token\":1e-06},"
		 "\"ok_null\":{\"input_cost_per_token\":1e-06,\"output_cost_per_token\":null,"
		 "\"litellm_provider\":7,\"mode\":\"a-mode-name-longer-than-the-field-holds\"},"
		 "\"ok_int\":{\"input_cost_per_token\":0,\"output_cost_per_token\":1}}",
		 PRICING_KEY_MAX, 0);
	assert_int_equal(load(p, json, &skipped), 0);
	assert_int_equal(skipped, 13);
	assert_int_equal(pricing__count(p), 2);
	pr = pricing__lookup(p, NULL, "ok_null", NULL, 0);
	assert_non_null(pr);
	assert_true(pr->input == 1e-06 && pr->output < 0);
	assert_string_equal(pr->litellm_provider, "");
	assert_int_equal(strlen(pr->mode), sizeof(pr->mode) - 1);
	pr = pricing__lookup(p, NULL, "ok_int", NULL, 0);
	assert_true(pr && pr->input == 0 && pr->output == 1);
	/* a key of exactly PRICING_KEY_MAX - 1 bytes is kept */
	snprintf(json, sizeof(json), "{\"%0*d\":{\"input_cost_per_token\":1e-06}}",
		 PRICING_KEY_MAX - 1, 0);
	assert_int_equal(load(p, json, &skipped), 0);
	assert_int_equal(skipped, 0);
	assert_int_equal(pricing__count(p), 3);
	pricing__free(p);
}

static void test_limits(void **state)
{
	struct pricing *p = builtin();
	size_t n = pricing__count(p), cap = (size_t)(PRICING_MAX_ENTRIES + 1) * 48 + 16, off = 0;
	char *big = malloc(cap), *huge;

	(void)state;
	assert_non_null(big);
	off += (size_t)snprintf(big + off, cap - off, "{");
	for (int i = 0; i <= PRICING_MAX_ENTRIES; i++)
		off += (size_t)snprintf(big + off, cap - off,
					"%s\"m%d\":{\"input_cost_per_token\":0}", i ? "," : "", i);
	off += (size_t)snprintf(big + off, cap - off, "}");
	assert_int_equal(pricing__load_json(p, "big", big, off, NULL, err, sizeof(err)), -E2BIG);
	assert_int_equal(pricing__count(p), n);
	/* exactly the maximum fits in an empty table, not on top of the built-in one */
	off = (size_t)(strrchr(big, ',') - big);
	big[off++] = '}';
	assert_int_equal(pricing__load_json(p, "big", big, off, NULL, err, sizeof(err)), -E2BIG);
	assert_int_equal(pricing__count(p), n);
	pricing__free(p);
	p = pricing__new();
	assert_int_equal(pricing__load_json(p, "big", big, off, NULL, err, sizeof(err)), 0);
	assert_int_equal(pricing__count(p), PRICING_MAX_ENTRIES);
	assert_non_null(pricing__lookup(p, NULL, "m65535", NULL, 0));
	free(big);
	/* too many bytes is refused before it is read */
	huge = calloc(1, (size_t)PRICING_FILE_MAX + 1);
	assert_non_null(huge);
	huge[0] = '{';
	assert_int_equal(pricing__load_json(p, "huge", huge, (size_t)PRICING_FILE_MAX + 1, NULL,
					    err, sizeof(err)),
			 -E2BIG);
	free(huge);
	pricing__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_complete),
		cmocka_unit_test(test_openai_cached),
		cmocka_unit_test(test_anthropic_cache_ttl),
		cmocka_unit_test(test_cache_rate_fallbacks),
		cmocka_unit_test(test_gemini),
		cmocka_unit_test(test_cohere_azure),
		cmocka_unit_test(test_openrouter),
		cmocka_unit_test(test_no_usage_and_unknown),
		cmocka_unit_test(test_garbage_tokens),
		cmocka_unit_test(test_lookup_ladder),
		cmocka_unit_test(test_lookup_edges),
		cmocka_unit_test(test_user_override_and_add),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_garbage_json),
		cmocka_unit_test(test_bad_entries_skipped),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
