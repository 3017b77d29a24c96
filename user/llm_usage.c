// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Per-API reading of LLM bodies (llm_usage.h; the field names and their
 * meaning are in /work/shared/LLM_WIRE.md and docs/llm.md). Each API has
 * one function that takes one JSON object, so a non-streamed body and
 * every event of a stream go through the same code; streams only add
 * the rule for which event's counts are final.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "llm_usage.h"

#define LLM_SHRINK_ABOVE (64u << 10)

const char *llm_reason_name(enum llm_reason r)
{
	static const char *const names[LLM_REASON__COUNT] = {
		"none",		  "gap",	"truncated",	  "bad_json", "no_usage",
		"body_too_large", "stream_cut", "unknown_format",
	};

	return (unsigned)r < LLM_REASON__COUNT ? names[r] : "unknown_format";
}

static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-' || c == ':' || c == '/' || c == '@';
}

void llm_label_copy(char *out, size_t outlen, const char *in, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && in[i] && o + 1 < outlen; i++)
		out[o++] = label_char(in[i]) ? in[i] : '_';
	out[o] = '\0';
	if (o && llm_looks_secret(out))
		snprintf(out, outlen, "redacted");
}

bool llm_looks_secret(const char *s)
{
	static const char *const prefixes[] = { "sk-", "sk_", "AIza", "ya29.", "Bearer", "key-" };
	size_t n = strlen(s), run = 0, best = 0;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (!strncmp(s, prefixes[i], strlen(prefixes[i])) && n >= 16)
			return true;
	/* a long run without separators reads like a key, not a model name */
	for (size_t i = 0; i < n; i++) {
		bool sep = s[i] == '-' || s[i] == '.' || s[i] == '/' || s[i] == ':' || s[i] == '@';

		run = sep ? 0 : run + 1;
		if (run > best)
			best = run;
	}
	return best >= 32;
}

static void set_str(char *dst, size_t dlen, json_t *v)
{
	if (json_is_string(v))
		llm_label_copy(dst, dlen, json_string_value(v), json_string_length(v));
}

/* Non-negative integer field; reals with no fraction are accepted too. */
static bool get_u64(json_t *o, const char *key, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return true;
	}
	if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 1e18 &&
	    json_real_value(v) == (double)(uint64_t)json_real_value(v)) {
		*out = (uint64_t)json_real_value(v);
		return true;
	}
	return false;
}

static uint64_t u64_or0(json_t *o, const char *key)
{
	uint64_t v = 0;

	get_u64(o, key, &v);
	return v;
}

/* Both fields read (no short-circuit); true if either was present. */
static bool get_pair(json_t *o, const char *k1, uint64_t *v1, const char *k2, uint64_t *v2)
{
	bool a = get_u64(o, k1, v1);
	bool b = get_u64(o, k2, v2);

	return a || b;
}

static bool nonempty_str(json_t *v)
{
	return json_is_string(v) && json_string_length(v) > 0;
}

static void mark_content(struct llm_extract *x, size_t end)
{
	if (!x->content_seen) {
		x->content_seen = true;
		x->first_content_end = end;
	}
}

/* {"error": {"type"|"status"|"code"}} or {"type":"error","error":{...}} or {"error":"text"} */
static void read_error(struct llm_extract *x, json_t *root)
{
	json_t *e = json_object_get(root, "error");
	json_t *t;
	char num[24];

	if (!e || json_is_null(e))
		return;
	if (!json_is_object(e)) {
		snprintf(x->error_type, sizeof(x->error_type), "error");
		return;
	}
	t = json_object_get(e, "type");
	if (!nonempty_str(t))
		t = json_object_get(e, "status");
	if (!nonempty_str(t))
		t = json_object_get(e, "code");
	if (nonempty_str(t)) {
		set_str(x->error_type, sizeof(x->error_type), t);
	} else if (json_is_integer(t)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(t));
		snprintf(x->error_type, sizeof(x->error_type), "%s", num);
	} else {
		snprintf(x->error_type, sizeof(x->error_type), "error");
	}
}

/* prompt_tokens (chat) or input_tokens (Responses) already include cached tokens. */
static void openai_usage(struct llm_extract *x, json_t *u)
{
	json_t *pd = json_object_get(u, "prompt_tokens_details");
	json_t *cd = json_object_get(u, "completion_tokens_details");
	json_t *cost = json_object_get(u, "cost");
	uint64_t in = 0, out = 0;
	bool hi = get_u64(u, "prompt_tokens", &in) || get_u64(u, "input_tokens", &in);
	bool ho = get_u64(u, "completion_tokens", &out) || get_u64(u, "output_tokens", &out);

	/* OpenRouter's own price of the call (credits, 1 = 1 USD); the last one read wins */
	if (json_is_number(cost) && json_number_value(cost) >= 0 &&
	    isfinite(json_number_value(cost)))
		x->reported_cost_usd = json_number_value(cost);
	if (!hi && !ho)
		return;
	if (!pd)
		pd = json_object_get(u, "input_tokens_details");
	if (!cd)
		cd = json_object_get(u, "output_tokens_details");
	x->tok = (struct llm_tokens){ .input = in, .output = out };
	x->tok.cache_read = u64_or0(pd, "cached_tokens");
	x->tok.cache_creation = u64_or0(pd, "cache_write_tokens");
	x->tok.reasoning = u64_or0(cd, "reasoning_tokens");
	x->have_usage = true;
}

static void openai_chat(struct llm_extract *x, json_t *root, size_t end)
{
	json_t *u = json_object_get(root, "usage"), *ch = json_object_get(root, "choices");
	json_t *c0 = json_array_get(ch, 0), *d;

	set_str(x->model, sizeof(x->model), json_object_get(root, "model"));
	if (json_is_object(c0)) {
		json_t *fr = json_object_get(c0, "finish_reason");

		if (nonempty_str(fr)) {
			set_str(x->finish, sizeof(x->finish), fr);
			x->finished = true;
		}
		d = json_object_get(c0, "delta");
		if (!d)
			d = json_object_get(c0, "message");
		if (nonempty_str(json_object_get(d, "content")) ||
		    json_array_size(json_object_get(d, "tool_calls")) ||
		    nonempty_str(json_object_get(d, "reasoning_content")) ||
		    nonempty_str(json_object_get(d, "reasoning")) ||
		    nonempty_str(json_object_get(c0, "text")))
			mark_content(x, end);
	}
	/* include_usage puts the counts in a chunk after the finish; vLLM's
	 * continuous_usage_stats in every chunk: only counts at or after the finish are final */
	if (json_is_object(u)) {
		openai_usage(x, u);
		x->usage_final = x->have_usage && x->finished;
	}
	read_error(x, root);
}

/* A Response object: lifecycle events carry it whole. */
static void responses_obj(struct llm_extract *x, json_t *r)
{
	json_t *u = json_object_get(r, "usage"), *st = json_object_get(r, "status");
	json_t *inc = json_object_get(json_object_get(r, "incomplete_details"), "reason");

	set_str(x->model, sizeof(x->model), json_object_get(r, "model"));
	if (json_is_object(u))
		openai_usage(x, u);
	if (nonempty_str(inc))
		set_str(x->finish, sizeof(x->finish), inc);
	else if (nonempty_str(st))
		set_str(x->finish, sizeof(x->finish), st);
	read_error(x, r);
}

static void openai_responses(struct llm_extract *x, json_t *root, size_t end, bool stream)
{
	const char *t = json_string_value(json_object_get(root, "type"));

	if (!stream || !t) {
		responses_obj(x, root);
		x->usage_final = x->have_usage;
		return;
	}
	if (!strcmp(t, "response.completed") || !strcmp(t, "response.incomplete") ||
	    !strcmp(t, "response.failed")) {
		responses_obj(x, json_object_get(root, "response"));
		x->usage_final = x->have_usage;
		x->finished = true;
	} else if (!strncmp(t, "response.", 9) &&
		   json_is_object(json_object_get(root, "response"))) {
		set_str(x->model, sizeof(x->model),
			json_object_get(json_object_get(root, "response"), "model"));
	} else if (strstr(t, ".delta") && nonempty_str(json_object_get(root, "delta"))) {
		mark_content(x, end);
	} else if (!strcmp(t, "error")) {
		json_t *c = json_object_get(root, "code");

		if (nonempty_str(c))
			set_str(x->error_type, sizeof(x->error_type), c);
		else
			snprintf(x->error_type, sizeof(x->error_type), "error");
	}
}

/* Total input is input_tokens + cache_read + cache_creation (cache is not in input_tokens). */
static void anthropic_fill(struct llm_extract *x)
{
	x->tok.input = x->a_in + x->a_cache_read + x->a_cache_creation;
	x->tok.cache_read = x->a_cache_read;
	x->tok.cache_creation = x->a_cache_creation;
	/* tok.cache_creation_1h is kept as read: it is a part of cache_creation */
	if (x->tok.cache_creation_1h > x->a_cache_creation)
		x->tok.cache_creation_1h = x->a_cache_creation;
	x->tok.output = x->a_out;
	x->tok.reasoning = x->a_thinking;
}

/*
 * cache_creation: {ephemeral_5m_input_tokens, ephemeral_1h_input_tokens} splits the
 * writes by TTL, which are priced apart. When cache_creation_input_tokens is absent the
 * split is the total.
 */
static bool anthropic_ttl(struct llm_extract *x, json_t *u)
{
	json_t *cc = json_object_get(u, "cache_creation");
	uint64_t m5 = 0, h1 = 0;

	if (!json_is_object(cc) ||
	    !get_pair(cc, "ephemeral_5m_input_tokens", &m5, "ephemeral_1h_input_tokens", &h1))
		return false;
	x->tok.cache_creation_1h = h1;
	if (!json_object_get(u, "cache_creation_input_tokens"))
		x->a_cache_creation = m5 + h1;
	return true;
}

/* message_delta usage is cumulative and may repeat the input side: take what it has. */
static bool anthropic_usage(struct llm_extract *x, json_t *u)
{
	bool any = false;

	if (!json_is_object(u))
		return false;
	any |= get_u64(u, "input_tokens", &x->a_in);
	any |= get_u64(u, "cache_read_input_tokens", &x->a_cache_read);
	any |= get_u64(u, "cache_creation_input_tokens", &x->a_cache_creation);
	any |= get_u64(u, "output_tokens", &x->a_out);
	get_u64(json_object_get(u, "output_tokens_details"), "thinking_tokens", &x->a_thinking);
	any |= anthropic_ttl(x, u);
	if (any) {
		anthropic_fill(x);
		x->have_usage = true;
	}
	return any;
}

static void anthropic(struct llm_extract *x, json_t *root, size_t end, bool stream)
{
	const char *t = json_string_value(json_object_get(root, "type"));
	json_t *m;

	if (t && !strcmp(t, "error")) {
		read_error(x, root);
		return;
	}
	if (!stream || (t && !strcmp(t, "message"))) {
		set_str(x->model, sizeof(x->model), json_object_get(root, "model"));
		set_str(x->finish, sizeof(x->finish), json_object_get(root, "stop_reason"));
		x->usage_final = anthropic_usage(x, json_object_get(root, "usage"));
		read_error(x, root);
		return;
	}
	if (!t)
		return;
	if (!strcmp(t, "message_start")) {
		m = json_object_get(root, "message");
		set_str(x->model, sizeof(x->model), json_object_get(m, "model"));
		anthropic_usage(x, json_object_get(m, "usage"));
	} else if (!strcmp(t, "message_delta")) {
		json_t *sr = json_object_get(json_object_get(root, "delta"), "stop_reason");

		if (nonempty_str(sr)) {
			set_str(x->finish, sizeof(x->finish), sr);
			x->finished = true;
		}
		if (anthropic_usage(x, json_object_get(root, "usage")))
			x->usage_final = true;
	} else if (!strcmp(t, "content_block_delta")) {
		json_t *d = json_object_get(root, "delta");

		if (nonempty_str(json_object_get(d, "text")) ||
		    nonempty_str(json_object_get(d, "thinking")) ||
		    nonempty_str(json_object_get(d, "partial_json")))
			mark_content(x, end);
	} else if (!strcmp(t, "message_stop")) {
		x->finished = true;
	}
}

/* promptTokenCount includes cached content; thoughts are billed as output. */
static void gemini(struct llm_extract *x, json_t *root, size_t end)
{
	json_t *u = json_object_get(root, "usageMetadata");
	json_t *c0 = json_array_get(json_object_get(root, "candidates"), 0);
	json_t *parts = json_object_get(json_object_get(c0, "content"), "parts");
	uint64_t p = 0, c = 0;
	bool hp = get_u64(u, "promptTokenCount", &p), hc = get_u64(u, "candidatesTokenCount", &c);

	set_str(x->model, sizeof(x->model), json_object_get(root, "modelVersion"));
	if (hp || hc) { /* chunks with only {trafficType} say nothing */
		uint64_t th = u64_or0(u, "thoughtsTokenCount");

		x->tok.input = p + u64_or0(u, "toolUsePromptTokenCount");
		x->tok.cache_read = u64_or0(u, "cachedContentTokenCount");
		x->tok.cache_creation = 0;
		x->tok.output = c + th;
		x->tok.reasoning = th;
		x->have_usage = true;
	}
	if (nonempty_str(json_object_get(c0, "finishReason"))) {
		set_str(x->finish, sizeof(x->finish), json_object_get(c0, "finishReason"));
		x->finished = true;
	}
	if (x->finished && x->have_usage)
		x->usage_final = true;
	for (size_t i = 0; i < json_array_size(parts); i++) {
		json_t *pt = json_array_get(parts, i);

		if (nonempty_str(json_object_get(pt, "text")) ||
		    json_object_get(pt, "functionCall"))
			mark_content(x, end);
	}
	read_error(x, root);
}

/* Cohere: billed_units is what is charged; tokens (raw) when billing is absent. */
static void cohere_usage(struct llm_extract *x, json_t *u)
{
	json_t *b = json_object_get(u, "billed_units");
	uint64_t in = 0, out = 0;

	if (!json_is_object(b) || !get_pair(b, "input_tokens", &in, "output_tokens", &out))
		b = json_object_get(u, "tokens");
	if (!get_pair(b, "input_tokens", &in, "output_tokens", &out)) {
		json_t *tc = json_object_get(u, "token_count"); /* older v1 bodies */

		if (!get_pair(tc, "prompt_tokens", &in, "response_tokens", &out))
			return;
	}
	x->tok = (struct llm_tokens){ .input = in, .output = out };
	x->have_usage = true;
	x->usage_final = true;
}

static void cohere(struct llm_extract *x, json_t *root, size_t end, bool stream)
{
	const char *t = json_string_value(json_object_get(root, "type"));
	const char *et = json_string_value(json_object_get(root, "event_type"));
	json_t *d = json_object_get(root, "delta"), *src = root;

	if (t && !strcmp(t, "message-end")) { /* v2 stream */
		set_str(x->finish, sizeof(x->finish), json_object_get(d, "finish_reason"));
		cohere_usage(x, json_object_get(d, "usage"));
		read_error(x, d);
		x->finished = true;
		return;
	}
	if (t && !strcmp(t, "content-delta")) {
		json_t *txt = json_object_get(
			json_object_get(json_object_get(d, "message"), "content"), "text");

		if (nonempty_str(txt))
			mark_content(x, end);
		return;
	}
	if (et && !strcmp(et, "text-generation")) { /* v1 stream */
		if (nonempty_str(json_object_get(root, "text")))
			mark_content(x, end);
		return;
	}
	if (et && !strcmp(et, "stream-end")) {
		src = json_object_get(root, "response");
		x->finished = true;
		set_str(x->finish, sizeof(x->finish), json_object_get(root, "finish_reason"));
	} else if (stream && (t || et)) {
		return; /* other stream events carry nothing we count */
	}
	set_str(x->finish, sizeof(x->finish), json_object_get(src, "finish_reason"));
	if (json_object_get(src, "usage"))
		cohere_usage(x, json_object_get(src, "usage"));
	else if (json_object_get(src, "meta"))
		cohere_usage(x, json_object_get(src, "meta"));
	else if (json_object_get(src, "token_count"))
		cohere_usage(x, src);
	read_error(x, root);
}

static void ollama(struct llm_extract *x, json_t *root, size_t end)
{
	json_t *done = json_object_get(root, "done");
	uint64_t in = 0, out = 0;
	bool hi = get_u64(root, "prompt_eval_count", &in), ho = get_u64(root, "eval_count", &out);

	set_str(x->model, sizeof(x->model), json_object_get(root, "model"));
	if (nonempty_str(json_object_get(json_object_get(root, "message"), "content")) ||
	    nonempty_str(json_object_get(root, "response")))
		mark_content(x, end);
	if (hi || ho) {
		x->tok = (struct llm_tokens){ .input = in, .output = out };
		x->have_usage = true;
	}
	if (json_is_true(done) || x->api == LLM_API_OLLAMA_EMBED) {
		x->finished = true;
		x->usage_final = x->have_usage;
		set_str(x->finish, sizeof(x->finish), json_object_get(root, "done_reason"));
	}
	if (json_is_string(json_object_get(root, "error")))
		snprintf(x->error_type, sizeof(x->error_type), "error");
	else
		read_error(x, root);
}

void llm_extract__init(struct llm_extract *x, enum llm_api api)
{
	memset(x, 0, sizeof(*x));
	x->api = api;
	x->reported_cost_usd = -1;
}

static void dispatch(struct llm_extract *x, json_t *root, size_t end, bool stream)
{
	switch (x->api) {
	case LLM_API_OPENAI_CHAT:
	case LLM_API_OPENAI_COMPLETIONS:
	case LLM_API_OPENAI_EMBEDDINGS:
		openai_chat(x, root, end);
		break;
	case LLM_API_OPENAI_RESPONSES:
		openai_responses(x, root, end, stream);
		break;
	case LLM_API_ANTHROPIC:
		anthropic(x, root, end, stream);
		break;
	case LLM_API_GEMINI:
		gemini(x, root, end);
		break;
	case LLM_API_COHERE_V1:
	case LLM_API_COHERE_V2:
	case LLM_API_COHERE_EMBED:
		cohere(x, root, end, stream);
		break;
	case LLM_API_OLLAMA_CHAT:
	case LLM_API_OLLAMA_GENERATE:
	case LLM_API_OLLAMA_EMBED:
		ollama(x, root, end);
		break;
	default:
		break;
	}
}

int llm_extract__body(struct llm_extract *x, const char *buf, size_t len)
{
	char *small = NULL;
	size_t slen;
	json_t *root;

	/* big answers are mostly generated text: drop long strings before parsing */
	if (len > LLM_SHRINK_ABOVE && llm_json_shrink(buf, len, 1024, &small, &slen) == 0) {
		buf = small;
		len = slen;
	}
	root = json_loadb(buf, len, JSON_DECODE_ANY, NULL);
	free(small);
	if (!root)
		return -EINVAL;
	if (json_is_array(root)) { /* Gemini errors (and non-SSE streams) come in an array */
		for (size_t i = 0; i < json_array_size(root); i++)
			if (json_is_object(json_array_get(root, i)))
				dispatch(x, json_array_get(root, i), len, false);
	} else if (json_is_object(root)) {
		dispatch(x, root, len, false);
	}
	json_decref(root);
	return 0;
}

static bool key_value_ok(const char *v, const char *end, char then)
{
	if (then == LLM_KEY_ANY)
		return true;
	while (v < end && (*v == ' ' || *v == ':' || *v == '\t'))
		v++;
	return v < end && (then ? *v == then : *v != 'n');
}

bool llm_keys_in(const char *d, size_t n, const struct llm_key *keys, size_t nk)
{
	const char *p = d, *end = d + n;

	while ((p = memchr(p, '"', (size_t)(end - p)))) {
		size_t left = (size_t)(end - p);

		for (size_t i = 0; i < nk; i++) {
			const struct llm_key *k = &keys[i];

			if (left >= k->len && p[1] == k->quoted[1] &&
			    !memcmp(p, k->quoted, k->len) && key_value_ok(p + k->len, end, k->then))
				return true;
		}
		p++;
	}
	return false;
}

#define KEY(q, then)                   \
	{                              \
		q, sizeof(q) - 1, then \
	}
#define KEY_ERROR KEY("\"error\"", LLM_KEY_ANY)

static bool name_is(const struct llm_event *ev, const char *name)
{
	return ev->name && ev->name_len == strlen(name) && !memcmp(ev->name, name, ev->name_len);
}

/*
 * After the first token, most events are text deltas that carry no
 * count, finish or error: those are not JSON-parsed, which keeps long
 * streams at memchr speed. Any event that might matter is parsed.
 */
static bool skippable(const struct llm_extract *x, const struct llm_event *ev)
{
	static const struct llm_key error[] = { KEY_ERROR };
	static const struct llm_key openai[] = { KEY_ERROR,
						 KEY("\"finish_reason\"", LLM_KEY_NOT_NULL),
						 KEY("\"usage\"", LLM_KEY_NOT_NULL) };
	static const struct llm_key gemini[] = {
		KEY_ERROR, KEY("\"finishReason\"", LLM_KEY_NOT_NULL),
		KEY("\"promptTokenCount\"", LLM_KEY_NOT_NULL),
		KEY("\"candidatesTokenCount\"", LLM_KEY_NOT_NULL)
	};
	static const struct llm_key ollama[] = { KEY_ERROR, KEY("\"done\"", 't'),
						 KEY("\"eval_count\"", LLM_KEY_NOT_NULL) };
	const char *d = ev->data;
	size_t n = ev->len;

	/* a cheap shape check, so garbage still reaches the parser and is counted */
	if (!x->content_seen || n < 2 || d[0] != '{' || d[n - 1] != '}')
		return false;
	switch (x->api) {
	case LLM_API_OPENAI_CHAT:
	case LLM_API_OPENAI_COMPLETIONS:
		return !llm_keys_in(d, n, openai, 3);
	case LLM_API_ANTHROPIC:
		return (name_is(ev, "content_block_delta") || name_is(ev, "ping")) &&
		       !llm_keys_in(d, n, error, 1);
	case LLM_API_OPENAI_RESPONSES:
		return ev->name && ev->name_len > 6 &&
		       !memcmp(ev->name + ev->name_len - 6, ".delta", 6) &&
		       !llm_keys_in(d, n, error, 1);
	case LLM_API_GEMINI:
		return !llm_keys_in(d, n, gemini, 4);
	case LLM_API_COHERE_V2:
		return name_is(ev, "content-delta") && !llm_keys_in(d, n, error, 1);
	case LLM_API_COHERE_V1:
		return memmem(d, n, "\"text-generation\"", 17) != NULL &&
		       !llm_keys_in(d, n, error, 1);
	case LLM_API_OLLAMA_CHAT:
	case LLM_API_OLLAMA_GENERATE:
		return !llm_keys_in(d, n, ollama, 3);
	default:
		return false;
	}
}

int llm_extract__event(struct llm_extract *x, const struct llm_event *ev)
{
	json_t *root;

	x->events++;
	if (skippable(x, ev))
		return 0;
	if (ev->len == 6 && !memcmp(ev->data, "[DONE]", 6)) {
		x->done_marker = true;
		x->finished = true;
		return 0;
	}
	root = json_loadb(ev->data, ev->len, 0, NULL);
	if (!root) {
		x->bad_events++;
		return -EINVAL;
	}
	dispatch(x, root, ev->end, true);
	json_decref(root);
	return 0;
}

int llm_request_info(enum llm_api api, const char *body, size_t len, struct llm_request_info *out)
{
	json_t *root;

	memset(out, 0, sizeof(*out));
	out->stream = api == LLM_API_OLLAMA_CHAT || api == LLM_API_OLLAMA_GENERATE;
	if (!body || !len)
		return -EINVAL;
	root = json_loadb(body, len, 0, NULL);
	if (!root)
		return -EINVAL;
	set_str(out->model, sizeof(out->model), json_object_get(root, "model"));
	if (json_is_boolean(json_object_get(root, "stream")))
		out->stream = json_is_true(json_object_get(root, "stream"));
	out->include_usage = json_is_true(
		json_object_get(json_object_get(root, "stream_options"), "include_usage"));
	json_decref(root);
	return 0;
}
