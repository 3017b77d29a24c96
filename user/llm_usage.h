/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Usage, model, finish reason and error type out of LLM request and
 * response bodies, per wire API (llm_provider.h), with jansson. Tokens
 * are normalised as docs/llm.md says: input counts every prompt token
 * the provider counted (cache reads and writes included), output every
 * generated token it bills (reasoning included); cache and reasoning are
 * also kept on their own. It reads parsed bodies only: it never sees
 * headers and never guesses a count it was not given.
 */
#ifndef BT_LLM_USAGE_H
#define BT_LLM_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm_provider.h"
#include "llm_sse.h"
#include "secret_scan.h"

struct llm_tokens {
	uint64_t input, output, cache_read, cache_creation, reasoning;
	uint64_t cache_creation_1h; /* of cache_creation, written with the 1 h TTL (Anthropic) */
};

/* Why a call's usage could not be read (biothings_llm_unparsed_total reason). */
enum llm_reason {
	LLM_REASON_NONE = 0,
	LLM_REASON_GAP, /* bytes lost in capture */
	LLM_REASON_TRUNCATED, /* body shorter than its framing said, or never ended */
	LLM_REASON_BAD_JSON,
	LLM_REASON_NO_USAGE, /* complete and readable, but no counts in it */
	LLM_REASON_BODY_TOO_LARGE,
	LLM_REASON_STREAM_CUT, /* stream ended before the event with the final counts */
	LLM_REASON_UNKNOWN_FORMAT, /* unknown API, not HTTP, or an encoding we do not read */
	LLM_REASON__COUNT,
};

const char *llm_reason_name(enum llm_reason r);

enum llm_limit {
	LLM_LIMIT_REQUESTS,
	LLM_LIMIT_TOKENS,
	LLM_LIMIT_INPUT,
	LLM_LIMIT_OUTPUT,
	LLM_LIMIT__COUNT
};

/* One finished LLM call, as the metrics see it. */
struct llm_call {
	char provider[LLM_PROVIDER_LEN];
	const char *operation; /* static string */
	enum llm_api api;
	char request_model[LLM_MODEL_LEN];
	char response_model[LLM_MODEL_LEN];
	uint16_t status; /* 0: no response */
	bool streaming;
	bool usage_ok; /* tok holds the provider's final counts */
	struct llm_tokens tok;
	enum llm_reason reason; /* LLM_REASON_NONE when usage_ok or an error answer */
	char finish_reason[32];
	char error_type[64]; /* set for 4xx/5xx and for errors inside a 200 stream */
	uint64_t duration_ns;
	uint64_t ttft_ns; /* streams: start to the first event with content; 0 unknown */
	uint64_t inter_chunk_ns; /* streams: mean gap between reads after the first token */
	uint32_t chunks; /* reads that delivered body bytes */
	/* Holes in the captured response (bytes lost on the way, framed past):
	 * usage_ok then means the events that carry usage came through whole. */
	uint16_t holes;
	int64_t ratelimit[LLM_LIMIT__COUNT]; /* remaining, -1 when the header was absent */
	double retry_after_s; /* -1 when absent */
	double reported_cost_usd; /* the provider's own figure (OpenRouter usage.cost); -1 absent */
	/* FNV-1a 64 of the request body after content decoding (gzip, chunked): equal
	 * bodies, equal hashes (llm_runaway_loop). 0 without a readable body. */
	uint64_t request_hash;
	/* Secrets in the request body (secret_scan.h): the first one's kind and hash,
	 * "" when none; never the secret itself. secret_count: distinct secrets. */
	char secret_kind[SECRET_KIND_LEN];
	char secret_hash[SECRET_HASH_LEN];
	uint8_t secret_count;
	/* The prompt injection rule the request's passed-on text matches
	 * (prompt_inject.h), "" when none. */
	char prompt_rule[24];
};

struct llm_request_info {
	char model[LLM_MODEL_LEN];
	bool stream; /* "stream": true (Ollama native: true unless false) */
	bool include_usage; /* stream_options.include_usage */
};

/* 0, or -EINVAL when the body is not a JSON object (info keeps defaults). */
int llm_request_info(enum llm_api api, const char *body, size_t len, struct llm_request_info *out);

/* What one response says, built up from its body or its stream events. */
struct llm_extract {
	enum llm_api api;
	bool have_usage; /* counts were read (may still be partial in a stream) */
	bool usage_final; /* from the event that carries the final counts */
	bool finished; /* a terminal marker: finish reason, [DONE], message_stop, done:true */
	bool done_marker; /* OpenAI data: [DONE] */
	bool content_seen;
	size_t first_content_end; /* stream offset past the first event with content */
	size_t events, bad_events;
	struct llm_tokens tok;
	char model[LLM_MODEL_LEN];
	char finish[32];
	char error_type[64];
	/* Anthropic stream: message_start input counts, message_delta cumulative output */
	uint64_t a_in, a_cache_read, a_cache_creation, a_out, a_thinking;
	double reported_cost_usd; /* -1 until a usage.cost is read */
};

void llm_extract__init(struct llm_extract *x, enum llm_api api);
/* A whole non-streamed body. -EINVAL when it is not JSON. */
int llm_extract__body(struct llm_extract *x, const char *buf, size_t len);
/* One stream event (SSE data, an NDJSON line, a JSON array element). Bad JSON is counted
 * in bad_events and returns -EINVAL; the caller may go on with the next event. */
int llm_extract__event(struct llm_extract *x, const struct llm_event *ev);

/*
 * A JSON key an event may hold, quoted ("\"usage\""), and what its value
 * must start with to count, after ':' and blanks: LLM_KEY_NOT_NULL
 * anything but null, LLM_KEY_ANY present at all, else that character.
 */
#define LLM_KEY_NOT_NULL '\0'
#define LLM_KEY_ANY '\1'
struct llm_key {
	const char *quoted;
	size_t len;
	char then;
};
/* Does some occurrence of one of keys[0..n) in d meet its condition
 * (inside a string too: a false yes only costs a parse)? One pass over
 * d's '"' bytes. */
bool llm_keys_in(const char *d, size_t n, const struct llm_key *keys, size_t nk);

/* Keeps [A-Za-z0-9_.:/@-] and cuts at outlen - 1; "" stays "". Label-safe copy. */
void llm_label_copy(char *out, size_t outlen, const char *in, size_t n);
/* True for strings shaped like credentials (sk-..., AIza..., long base64/hex runs). */
bool llm_looks_secret(const char *s);

#endif
