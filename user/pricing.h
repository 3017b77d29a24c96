/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * LLM prices in the schema of LiteLLM's model_prices_and_context_window.json
 * (USD per token, keyed by model id, optionally provider-prefixed), and the
 * cost of one call from its normalised token counts (llm_usage.h). The
 * built-in table (deploy/pricing/model_prices.json, compiled in) comes first;
 * user files add to it and override it. A model with no price costs 0 and
 * says so: a price is never guessed from a similar name beyond the dated
 * snapshot and version suffix rules documented in docs/costs.md.
 * Pure: no logging, no global state; load it once, then read it from any
 * thread.
 */
#ifndef BT_PRICING_H
#define BT_PRICING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm_usage.h"

#define PRICING_KEY_MAX 128
#define PRICING_MAX_ENTRIES 65536 /* a larger file is refused */
#define PRICING_FILE_MAX (64u << 20)

/* One model's prices, USD per token; a negative value means the table does not define it. */
struct price {
	double input, output, cache_read, cache_creation, cache_creation_1h, output_reasoning;
	/* long-context tiers: rates used when the prompt (all input tokens) exceeds 128k / 200k */
	double input_above_128k, output_above_128k, cache_read_above_128k;
	double input_above_200k, output_above_200k, cache_read_above_200k,
		cache_creation_above_200k;
	char litellm_provider[32];
	char mode[24]; /* chat, embedding, completion, ... ("" when absent) */
};

struct pricing;

struct pricing *pricing__new(void); /* empty table; NULL + errno */
void pricing__free(struct pricing *p);

/*
 * Adds the entries of a JSON object (LiteLLM schema) to p, replacing
 * entries with the same key. Entries that are not objects, or define
 * neither input_cost_per_token nor output_cost_per_token, are skipped and
 * counted in *skipped (may be NULL); "sample_spec" and keys starting with
 * '_' (notes such as "_snapshot_date") are ignored. A negative, NaN,
 * non-numeric or absurd (above 1 USD per token) price skips its entry too;
 * a null one counts as absent. Keys of PRICING_KEY_MAX bytes or more are
 * skipped. All or nothing on
 * -EINVAL (not a JSON object; err says where), -E2BIG (too many entries
 * or bytes), -ENOMEM.
 */
int pricing__load_json(struct pricing *p, const char *name, const char *buf, size_t len,
		       size_t *skipped, char *err, size_t errlen);
/* The same from a file; -errno for I/O with err filled. */
int pricing__load_file(struct pricing *p, const char *path, size_t *skipped, char *err,
		       size_t errlen);
/* The compiled-in table. */
int pricing__load_builtin(struct pricing *p, char *err, size_t errlen);
/* "YYYY-MM-DD" the built-in prices were taken (the file's "_snapshot_date"). */
const char *pricing_builtin_date(void);
size_t pricing__count(const struct pricing *p);

/*
 * The entry for a model as a provider (our names: openai, azure, anthropic,
 * gemini, vertex_ai, cohere, openrouter, ollama, ...) reports it. Tries
 * the provider-prefixed key, the bare id, a leading "models/" dropped, then
 * the family: a trailing date or version suffix dropped
 * (gpt-4o-2024-08-06 -> gpt-4o, claude-3-5-sonnet-20241022, -latest,
 * -preview-05-20, -001, @20250514), and an undated alias resolved to the
 * one dated key it names. NULL when none; *key (may be NULL) gets the key used.
 */
const struct price *pricing__lookup(const struct pricing *p, const char *provider,
				    const char *model, char *key, size_t keylen);

struct cost {
	double usd;
	bool priced; /* false: no price for the model (usd 0) */
	bool from_provider; /* the provider reported the cost (OpenRouter usage.cost) */
	char key[PRICING_KEY_MAX]; /* table key used, "" when none */
	/* the model id priced: the response model, else (absent or without a price) the
	 * request model; never NULL */
	const char *model;
};

/*
 * Cost of one call. Uses c->reported_cost_usd when the provider gave one,
 * else the table: uncached input x input + cache reads x cache_read +
 * cache writes (5 min / 1 h) x their rates + output x output (reasoning at
 * output_reasoning when defined), with long-context tier rates when the
 * prompt exceeds the tier. A missing cache rate falls back to the input
 * rate. Calls without usage (c->usage_ok false) cost 0 and are priced.
 */
void pricing__cost(const struct pricing *p, const struct llm_call *c, struct cost *out);

#endif
