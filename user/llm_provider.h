/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * LLM call classification: which provider (from the Host header, the
 * user's host map and a built-in table) and which wire API (from the
 * request path) an exchange belongs to. Pure string logic over what the
 * caller passes in; it never keeps or returns the URL query, which may
 * hold an API key (Gemini's ?key=).
 */
#ifndef BT_LLM_PROVIDER_H
#define BT_LLM_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define LLM_PROVIDER_LEN 32
#define LLM_MODEL_LEN 128

/* The wire shape of request and response bodies, named after who defined it. */
enum llm_api {
	LLM_API_UNKNOWN = 0,
	LLM_API_OPENAI_CHAT, /* /chat/completions */
	LLM_API_OPENAI_COMPLETIONS, /* /completions */
	LLM_API_OPENAI_RESPONSES, /* /responses */
	LLM_API_OPENAI_EMBEDDINGS, /* /embeddings */
	LLM_API_ANTHROPIC, /* /messages, Vertex :rawPredict */
	LLM_API_GEMINI, /* :generateContent, :streamGenerateContent */
	LLM_API_COHERE_V1, /* /v1/chat (NDJSON streams) */
	LLM_API_COHERE_V2, /* /v2/chat (SSE) */
	LLM_API_COHERE_EMBED, /* /v1/embed, /v2/embed */
	LLM_API_OLLAMA_CHAT, /* /api/chat */
	LLM_API_OLLAMA_GENERATE, /* /api/generate */
	LLM_API_OLLAMA_EMBED, /* /api/embed, /api/embeddings */
};

struct llm_route {
	enum llm_api api;
	char provider[LLM_PROVIDER_LEN];
	const char *operation; /* OTel gen_ai.operation.name */
	char url_model[LLM_MODEL_LEN]; /* Gemini/Vertex models/{m}, Azure deployments/{d}; "" if none */
	bool url_stream; /* :streamGenerateContent / :streamRawPredict */
	bool alt_sse; /* query has alt=sse */
};

/*
 * host: the Host header value (may carry ":port"), NULL or "" if unknown.
 * target: the request target as sent (path and query), not NUL-terminated.
 * Always fills out; provider "unknown" and LLM_API_UNKNOWN when nothing
 * matches.
 */
void llm_classify(const char *host, size_t host_len, const char *target, size_t target_len,
		  const struct llm_host_rule *rules, size_t n_rules, struct llm_route *out);

/* Provider by host only (user rules first, then the built-in table); NULL if none. */
const char *llm_provider_for_host(const char *host, size_t host_len,
				  const struct llm_host_rule *rules, size_t n_rules);

/* OTel gen_ai.provider.name for one of our provider names (e.g. gemini -> gcp.gemini). */
const char *llm_otel_provider(const char *provider);

const char *llm_api_name(enum llm_api api);

#endif
