// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the price table (user/pricing.c). A user's
 * pricing file is untrusted input: any bytes must either load or be
 * refused whole with a terminated message, and whatever loads must give
 * lookups that agree with themselves and costs that are finite and never
 * negative, whatever the token counts. Only drives the public API.
 *
 * Input: [0] flags (bit 0: load the built-in table first), [1..8] token
 * counts seed, then the JSON. The lines of the input double as model ids.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pricing.h"

#include "fuzz_util.h"

#define CTL_BYTES 9
#define MAX_LINES 16

static const char *const providers[] = {
	"openai",     "azure_openai", "anthropic", "gemini", "vertex_ai",
	"openrouter", "cohere",	      "ollama",	   "",	     NULL,
};
#define N_PROVIDERS (sizeof(providers) / sizeof(providers[0]))

static const char *const models[] = {
	"gpt-4o-2024-08-06",
	"claude-sonnet-4-5",
	"models/gemini-2.5-pro-preview-05-06",
	"openai/gpt-4o-mini",
	"claude-sonnet-4@20250514",
	"m-20250101",
	"m-latest",
	"",
};
#define N_MODELS (sizeof(models) / sizeof(models[0]))

static uint64_t tok_of(uint64_t seed, int k)
{
	/* small counts mostly, sometimes extreme ones */
	uint64_t v = (seed >> (k * 8)) & 0xff;

	return v == 0xff ? UINT64_MAX : v * v * v;
}

/* A found key names itself: looking it up bare gives the same entry. */
static void check_lookup(const struct pricing *p, const char *provider, const char *model)
{
	char key[PRICING_KEY_MAX], small[5];
	const struct price *pr, *again;

	memset(key, 0x5a, sizeof(key));
	pr = pricing__lookup(p, provider, model, key, sizeof(key));
	FUZZ_CHECK(memchr(key, '\0', sizeof(key)) != NULL);
	if (!pr) {
		FUZZ_CHECK(key[0] == '\0');
		return;
	}
	FUZZ_CHECK(key[0] != '\0');
	again = pricing__lookup(p, NULL, key, NULL, 0);
	FUZZ_CHECK(again == pr);
	FUZZ_CHECK(pr->input >= 0 || pr->output >= 0);
	FUZZ_CHECK(memchr(pr->litellm_provider, '\0', sizeof(pr->litellm_provider)) != NULL);
	FUZZ_CHECK(memchr(pr->mode, '\0', sizeof(pr->mode)) != NULL);
	FUZZ_CHECK(pricing__lookup(p, provider, model, small, sizeof(small)) == pr);
	FUZZ_CHECK(strlen(small) < sizeof(small) && !strncmp(small, key, sizeof(small) - 1));
}

static void check_cost(const struct pricing *p, const char *provider, const char *model,
		       uint64_t seed)
{
	struct llm_call c;
	struct cost k;

	memset(&c, 0, sizeof(c));
	snprintf(c.provider, sizeof(c.provider), "%s", provider ? provider : "");
	snprintf(c.response_model, sizeof(c.response_model), "%s", model);
	snprintf(c.request_model, sizeof(c.request_model), "%s", models[seed % N_MODELS]);
	c.usage_ok = true;
	c.reported_cost_usd = -1;
	c.tok = (struct llm_tokens){ .input = tok_of(seed, 0),
				     .output = tok_of(seed, 1),
				     .cache_read = tok_of(seed, 2),
				     .cache_creation = tok_of(seed, 3),
				     .cache_creation_1h = tok_of(seed, 4),
				     .reasoning = tok_of(seed, 5) };
	pricing__cost(p, &c, &k);
	FUZZ_CHECK(isfinite(k.usd) && k.usd >= 0);
	FUZZ_CHECK(k.priced || (k.usd == 0 && k.key[0] == '\0'));
	FUZZ_CHECK(!k.from_provider);
	FUZZ_CHECK(k.model == c.response_model || k.model == c.request_model);
	FUZZ_CHECK(memchr(k.key, '\0', sizeof(k.key)) != NULL);
	if (k.priced)
		FUZZ_CHECK(pricing__lookup(p, NULL, k.key, NULL, 0) != NULL);
}

static void lookups(const struct pricing *p, const char *text, uint64_t seed)
{
	const char *s = text;

	for (size_t i = 0; i < N_MODELS; i++) {
		const char *prov = providers[(seed + i) % N_PROVIDERS];

		check_lookup(p, prov, models[i]);
		check_cost(p, prov, models[i], seed + i);
	}
	for (int n = 0; n < MAX_LINES && *s; n++) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char line[PRICING_KEY_MAX * 2];

		snprintf(line, sizeof(line), "%.*s", (int)len, s);
		check_lookup(p, providers[(seed + (uint64_t)n) % N_PROVIDERS], line);
		check_cost(p, providers[n % N_PROVIDERS], line, seed >> (n % 8));
		s = nl ? nl + 1 : s + len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pricing *p;
	char err[64], *json;
	size_t before, skipped = 0, len;
	uint64_t seed = 0;
	int rc;

	if (size < CTL_BYTES)
		return 0;
	memcpy(&seed, data + 1, sizeof(seed));
	json = fuzz_strdup(data + CTL_BYTES, size - CTL_BYTES);
	p = pricing__new();
	if (!json || !p)
		goto out;
	len = size - CTL_BYTES;
	if (data[0] & 1)
		FUZZ_CHECK(pricing__load_builtin(p, err, sizeof(err)) == 0);
	before = pricing__count(p);
	memset(err, 0x5a, sizeof(err));
	rc = pricing__load_json(p, "fuzz", json, len, &skipped, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM);
	if (rc) {
		/* all or nothing */
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(pricing__count(p) == before);
		FUZZ_CHECK(skipped == 0);
	} else {
		size_t n = pricing__count(p), skipped2 = 0;

		FUZZ_CHECK(n >= before && n <= PRICING_MAX_ENTRIES);
		/* loading the same bytes again replaces, adds nothing */
		FUZZ_CHECK(pricing__load_json(p, "fuzz", json, len, &skipped2, err, sizeof(err)) ==
			   0);
		FUZZ_CHECK(pricing__count(p) == n && skipped2 == skipped);
	}
	lookups(p, json, seed);
out:
	pricing__free(p);
	free(json);
	return 0;
}
