// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Host and path classification of LLM calls (docs/llm.md, "Providers").
 * The host decides the provider, the path decides the wire API: an
 * OpenAI-compatible server behind any host speaks the OpenAI shape, and
 * Gemini's own OpenAI-compatible surface is still provider "gemini".
 * Only the path before '?' is ever looked at or copied, so query-string
 * secrets cannot leak into a label.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "llm_provider.h"

static const struct llm_host_rule builtin_hosts[] = {
	{ "api.openai.com", "openai" },
	{ "*.openai.azure.com", "azure_openai" },
	{ "api.anthropic.com", "anthropic" },
	{ "generativelanguage.googleapis.com", "gemini" },
	{ "aiplatform.googleapis.com", "vertex_ai" },
	{ "*-aiplatform.googleapis.com", "vertex_ai" },
	{ "api.cohere.com", "cohere" },
	{ "api.cohere.ai", "cohere" },
	{ "openrouter.ai", "openrouter" },
	{ "*:11434", "ollama" },
};

static bool ieq(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && strncasecmp(a, b, an) == 0;
}

/* "name" ignores the port, "name:port" needs it, "*suffix" matches the end of the name
 * (or of name:port when the suffix holds a ':'). */
static bool rule_match(const char *rule, const char *host, size_t hlen)
{
	const char *colon = memchr(host, ':', hlen);
	size_t name_len = colon ? (size_t)(colon - host) : hlen;
	size_t rlen = strlen(rule);

	if (rlen == 0)
		return false;
	if (rule[0] == '*') {
		const char *suf = rule + 1;
		size_t sn = rlen - 1, n = strchr(suf, ':') ? hlen : name_len;

		return n > sn && strncasecmp(host + n - sn, suf, sn) == 0;
	}
	if (strchr(rule, ':'))
		return ieq(rule, rlen, host, hlen);
	return ieq(rule, rlen, host, name_len);
}

static const char *match_rules(const struct llm_host_rule *rules, size_t n, const char *host,
			       size_t hlen)
{
	for (size_t i = 0; i < n; i++)
		if (rule_match(rules[i].host, host, hlen))
			return rules[i].provider;
	return NULL;
}

const char *llm_provider_for_host(const char *host, size_t host_len,
				  const struct llm_host_rule *rules, size_t n_rules)
{
	const char *p;

	if (!host || host_len == 0)
		return NULL;
	while (host_len && (host[host_len - 1] == '.' || host[host_len - 1] == ' '))
		host_len--; /* "api.openai.com." is the same host */
	p = match_rules(rules, n_rules, host, host_len);
	if (!p)
		p = match_rules(builtin_hosts, sizeof(builtin_hosts) / sizeof(*builtin_hosts), host,
				host_len);
	return p;
}

static bool ends_with(const char *s, size_t n, const char *suf)
{
	size_t sn = strlen(suf);

	return n >= sn && memcmp(s + n - sn, suf, sn) == 0;
}

struct api_rule {
	const char *suffix;
	enum llm_api api;
	const char *operation;
	const char *fallback; /* provider when the host says nothing */
};

/* Longest and most specific suffixes first: "/chat/completions" before "/completions". */
static const struct api_rule api_rules[] = {
	{ "/api/embeddings", LLM_API_OLLAMA_EMBED, "embeddings", "ollama" },
	{ "/chat/completions", LLM_API_OPENAI_CHAT, "chat", "openai_compatible" },
	{ "/completions", LLM_API_OPENAI_COMPLETIONS, "text_completion", "openai_compatible" },
	{ "/responses", LLM_API_OPENAI_RESPONSES, "chat", "openai_compatible" },
	{ "/embeddings", LLM_API_OPENAI_EMBEDDINGS, "embeddings", "openai_compatible" },
	{ "/messages", LLM_API_ANTHROPIC, "chat", "anthropic_compatible" },
	{ ":rawPredict", LLM_API_ANTHROPIC, "chat", "vertex_ai" },
	{ ":streamRawPredict", LLM_API_ANTHROPIC, "chat", "vertex_ai" },
	{ ":generateContent", LLM_API_GEMINI, "generate_content", "gemini_compatible" },
	{ ":streamGenerateContent", LLM_API_GEMINI, "generate_content", "gemini_compatible" },
	{ "/api/chat", LLM_API_OLLAMA_CHAT, "chat", "ollama" },
	{ "/api/generate", LLM_API_OLLAMA_GENERATE, "text_completion", "ollama" },
	{ "/api/embed", LLM_API_OLLAMA_EMBED, "embeddings", "ollama" },
	{ "/v1/chat", LLM_API_COHERE_V1, "chat", "cohere_compatible" },
	{ "/v2/chat", LLM_API_COHERE_V2, "chat", "cohere_compatible" },
	{ "/v1/embed", LLM_API_COHERE_EMBED, "embeddings", "cohere_compatible" },
	{ "/v2/embed", LLM_API_COHERE_EMBED, "embeddings", "cohere_compatible" },
};

/* The path segment after the last "/{key}/", up to '/' or ':'. */
static void url_segment(const char *p, size_t n, const char *key, char *out, size_t outlen)
{
	size_t kn = strlen(key), start = 0, end;
	bool found = false;

	for (size_t i = 0; i + kn <= n; i++)
		if (memcmp(p + i, key, kn) == 0)
			start = i + kn, found = true;
	if (!found)
		return;
	for (end = start; end < n && p[end] != '/' && p[end] != ':'; end++)
		;
	if (end > start && end - start < outlen)
		snprintf(out, outlen, "%.*s", (int)(end - start), p + start);
}

static bool query_has(const char *q, size_t n, const char *kv)
{
	size_t kn = strlen(kv);

	for (size_t i = 0; i + kn <= n; i++)
		if ((i == 0 || q[i - 1] == '&') && memcmp(q + i, kv, kn) == 0 &&
		    (i + kn == n || q[i + kn] == '&'))
			return true;
	return false;
}

void llm_classify(const char *host, size_t host_len, const char *target, size_t target_len,
		  const struct llm_host_rule *rules, size_t n_rules, struct llm_route *out)
{
	const char *q = target ? memchr(target, '?', target_len) : NULL;
	size_t plen = q ? (size_t)(q - target) : target_len;
	const char *prov = llm_provider_for_host(host, host_len, rules, n_rules);
	const struct api_rule *ar = NULL;

	memset(out, 0, sizeof(*out));
	out->operation = "chat";
	for (size_t i = 0; target && i < sizeof(api_rules) / sizeof(*api_rules); i++) {
		if (ends_with(target, plen, api_rules[i].suffix)) {
			ar = &api_rules[i];
			break;
		}
	}
	if (ar) {
		out->api = ar->api;
		out->operation = ar->operation;
		if (!prov)
			prov = ar->fallback;
		url_segment(target, plen, "/models/", out->url_model, sizeof(out->url_model));
		if (!out->url_model[0])
			url_segment(target, plen, "/deployments/", out->url_model,
				    sizeof(out->url_model));
		out->url_stream = ends_with(target, plen, ":streamGenerateContent") ||
				  ends_with(target, plen, ":streamRawPredict");
		if (q)
			out->alt_sse = query_has(q + 1, target_len - plen - 1, "alt=sse");
	}
	snprintf(out->provider, sizeof(out->provider), "%s", prov ? prov : "unknown");
}

const char *llm_otel_provider(const char *provider)
{
	static const char *const map[][2] = {
		{ "gemini", "gcp.gemini" },
		{ "vertex_ai", "gcp.vertex_ai" },
		{ "azure_openai", "azure.ai.openai" },
		{ "bedrock", "aws.bedrock" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (!strcmp(provider, map[i][0]))
			return map[i][1];
	return provider;
}

const char *llm_api_name(enum llm_api api)
{
	static const char *const names[] = {
		"unknown",	    "openai_chat",	 "openai_completions",
		"openai_responses", "openai_embeddings", "anthropic",
		"gemini",	    "cohere_v1",	 "cohere_v2",
		"cohere_embed",	    "ollama_chat",	 "ollama_generate",
		"ollama_embed",
	};

	return (size_t)api < sizeof(names) / sizeof(*names) ? names[api] : "unknown";
}
