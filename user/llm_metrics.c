// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * LLM metric families on the shared registry (user/metrics.h): the
 * biothings_llm_* accounting families and the OpenTelemetry GenAI client
 * histograms with the spec's bucket boundaries. Holds family ids only;
 * every number lives in the registry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "llm_metrics.h"
#include "metrics.h"

struct llm_metrics {
	struct metrics *m;
	int requests, tokens, errors, unparsed, ratelimit, retry_after;
	int op_duration, token_usage, ttft, inter_chunk, holed;
};

static const double op_buckets[] = { 0.01, 0.02, 0.04, 0.08,  0.16,  0.32,  0.64,
				     1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92 };
static const double token_buckets[] = {
	1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864
};
static const double ttft_buckets[] = { 0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,
				       0.25,  0.5,   0.75, 1.0,	 2.5,  5.0,  7.5,  10.0 };

#define NB(a) (sizeof(a) / sizeof(*(a)))

struct family_def {
	const char *name;
	enum metric_type type;
	const char *help;
	const char *const *labels;
	const double *buckets;
	size_t nb;
	size_t off; /* of the id in struct llm_metrics */
};

static const char *const l_req[] = { "service_name", "agent_type", "provider",
				     "model",	     "status",	   NULL };
static const char *const l_tok[] = { "service_name", "agent_type", "provider",
				     "model",	     "token_type", NULL };
static const char *const l_err[] = { "service_name", "provider",   "model",
				     "status",	     "error_type", NULL };
static const char *const l_unp[] = { "provider", "reason", NULL };
static const char *const l_rl[] = { "provider", "limit", NULL };
static const char *const l_prov[] = { "provider", NULL };
static const char *const l_holed[] = { "provider", "usage", NULL };
static const char *const l_op[] = { "gen_ai_provider_name",  "gen_ai_request_model",
				    "gen_ai_response_model", "gen_ai_operation_name",
				    "service_name",	     NULL };
static const char *const l_tu[] = { "gen_ai_provider_name",
				    "gen_ai_request_model",
				    "gen_ai_response_model",
				    "gen_ai_operation_name",
				    "gen_ai_token_type",
				    "service_name",
				    NULL };
static const char *const l_ic[] = { "service_name", "agent_type", "provider", "model", NULL };

#define OFF(f) offsetof(struct llm_metrics, f)

static const struct family_def defs[] = {
	{ "biothings_llm_requests_total", METRIC_COUNTER,
	  "LLM API calls seen, by HTTP status code (0: no response).", l_req, NULL, 0,
	  OFF(requests) },
	{ "biothings_llm_tokens_total", METRIC_COUNTER,
	  "Tokens reported by the provider. input includes cache_read and cache_creation; output includes reasoning.",
	  l_tok, NULL, 0, OFF(tokens) },
	{ "biothings_llm_errors_total", METRIC_COUNTER,
	  "LLM calls answered with 4xx/5xx, or with an error inside a stream, by provider error type.",
	  l_err, NULL, 0, OFF(errors) },
	{ "biothings_llm_unparsed_total", METRIC_COUNTER,
	  "LLM calls whose usage could not be read, by reason.", l_unp, NULL, 0, OFF(unparsed) },
	{ "biothings_llm_holed_responses_total", METRIC_COUNTER,
	  "LLM answers captured with bytes missing (ring buffer overflow), framed past the holes; usage=read when the events carrying usage came through whole.",
	  l_holed, NULL, 0, OFF(holed) },
	{ "biothings_llm_ratelimit_remaining", METRIC_GAUGE,
	  "Remaining rate limit from the provider's latest response headers.", l_rl, NULL, 0,
	  OFF(ratelimit) },
	{ "biothings_llm_retry_after_seconds", METRIC_GAUGE,
	  "Latest retry-after the provider asked for.", l_prov, NULL, 0, OFF(retry_after) },
	{ "gen_ai_client_operation_duration_seconds", METRIC_HISTOGRAM,
	  "GenAI operation duration seen by the client (OpenTelemetry gen_ai.client.operation.duration).",
	  l_op, op_buckets, NB(op_buckets), OFF(op_duration) },
	{ "gen_ai_client_token_usage", METRIC_HISTOGRAM,
	  "Tokens per GenAI operation (OpenTelemetry gen_ai.client.token.usage).", l_tu,
	  token_buckets, NB(token_buckets), OFF(token_usage) },
	{ "gen_ai_server_time_to_first_token_seconds", METRIC_HISTOGRAM,
	  "Time from the request to the first streamed content seen by the client.", l_op,
	  ttft_buckets, NB(ttft_buckets), OFF(ttft) },
	{ "biothings_llm_inter_chunk_seconds", METRIC_HISTOGRAM,
	  "Mean time between reads of a streamed answer after its first token, one sample per call.",
	  l_ic, ttft_buckets, NB(ttft_buckets), OFF(inter_chunk) },
};

struct llm_metrics *llm_metrics__new(struct metrics *m)
{
	struct llm_metrics *lm = calloc(1, sizeof(*lm));

	if (!lm)
		return NULL;
	lm->m = m;
	for (size_t i = 0; i < NB(defs); i++) {
		const struct family_def *d = &defs[i];
		int id =
			metrics__define(m, d->name, d->type, d->help, d->labels, d->buckets, d->nb);

		if (id < 0) {
			free(lm);
			errno = -id;
			return NULL;
		}
		*(int *)((char *)lm + d->off) = id;
	}
	return lm;
}

void llm_metrics__free(struct llm_metrics *lm)
{
	free(lm);
}

static int keep_first(int err, int e)
{
	return err ? err : e;
}

static const char *call_model(const struct llm_call *c)
{
	if (c->response_model[0])
		return c->response_model;
	return c->request_model[0] ? c->request_model : "unknown";
}

static int record_tokens(struct llm_metrics *lm, const struct llm_call *c, const char *svc,
			 const char *agent, const char *model)
{
	static const char *const types[] = { "input", "output", "cache_read", "cache_creation",
					     "reasoning" };
	const uint64_t v[] = { c->tok.input, c->tok.output, c->tok.cache_read,
			       c->tok.cache_creation, c->tok.reasoning };
	const char *prov = llm_otel_provider(c->provider);
	int err = 0;

	for (size_t i = 0; i < NB(types); i++) {
		const char *lv[] = { svc, agent, c->provider, model, types[i] };

		if (i < 2 || v[i])
			err = keep_first(err, metrics__add(lm->m, lm->tokens, lv, (double)v[i]));
	}
	for (size_t i = 0; i < 2; i++) {
		const char *lv[] = { prov,	   c->request_model, c->response_model,
				     c->operation, types[i],	     svc };

		err = keep_first(err, metrics__observe(lm->m, lm->token_usage, lv, (double)v[i]));
	}
	return err;
}

static int record_limits(struct llm_metrics *lm, const struct llm_call *c)
{
	static const char *const names[LLM_LIMIT__COUNT] = { "requests", "tokens", "input_tokens",
							     "output_tokens" };
	const char *rv[] = { c->provider };
	int err = 0;

	for (int i = 0; i < LLM_LIMIT__COUNT; i++) {
		const char *lv[] = { c->provider, names[i] };

		if (c->ratelimit[i] >= 0)
			err = keep_first(err, metrics__set(lm->m, lm->ratelimit, lv,
							   (double)c->ratelimit[i]));
	}
	if (c->retry_after_s >= 0)
		err = keep_first(err, metrics__set(lm->m, lm->retry_after, rv, c->retry_after_s));
	return err;
}

static int record_timing(struct llm_metrics *lm, const struct llm_call *c, const char *svc,
			 const char *agent, const char *model)
{
	const char *op[] = { llm_otel_provider(c->provider), c->request_model, c->response_model,
			     c->operation, svc };
	const char *ic[] = { svc, agent, c->provider, model };
	int err = 0;

	if (c->status)
		err = metrics__observe(lm->m, lm->op_duration, op, (double)c->duration_ns / 1e9);
	if (c->streaming && c->ttft_ns)
		err = keep_first(err,
				 metrics__observe(lm->m, lm->ttft, op, (double)c->ttft_ns / 1e9));
	if (c->streaming && c->inter_chunk_ns)
		err = keep_first(err, metrics__observe(lm->m, lm->inter_chunk, ic,
						       (double)c->inter_chunk_ns / 1e9));
	return err;
}

int llm_metrics__unparsed(struct llm_metrics *lm, const char *provider, enum llm_reason r)
{
	const char *lv[] = { provider, llm_reason_name(r) };

	return metrics__add(lm->m, lm->unparsed, lv, 1);
}

int llm_metrics__record(struct llm_metrics *lm, const struct llm_call *c, const char *service,
			const char *agent)
{
	const char *model = call_model(c);
	char status[8];
	int err;

	snprintf(status, sizeof(status), "%u", c->status);
	{
		const char *lv[] = { service, agent, c->provider, model, status };

		err = metrics__add(lm->m, lm->requests, lv, 1);
	}
	if (c->usage_ok)
		err = keep_first(err, record_tokens(lm, c, service, agent, model));
	if (c->error_type[0]) {
		const char *lv[] = { service, c->provider, model, status, c->error_type };

		err = keep_first(err, metrics__add(lm->m, lm->errors, lv, 1));
	}
	if (c->reason != LLM_REASON_NONE)
		err = keep_first(err, llm_metrics__unparsed(lm, c->provider, c->reason));
	if (c->holes) {
		const char *lv[] = { c->provider, c->usage_ok ? "read" : "lost" };

		err = keep_first(err, metrics__add(lm->m, lm->holed, lv, 1));
	}
	err = keep_first(err, record_limits(lm, c));
	return keep_first(err, record_timing(lm, c, service, agent, model));
}
