// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pure LLM core (llm_parse_exchange) on captured-shaped exchanges of
 * every provider, streamed and not: exact token counts per type, models,
 * finish reasons, error types, rate limits, and the unparsed reasons for
 * bodies that cannot be read, the request hash and secrets in prompts.
 * Fixtures follow LLM_WIRE.md's examples.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "llm_fixtures.h"

#define H_JSON "Content-Type: application/json\r\n"
#define H_SSE "Content-Type: text/event-stream\r\n"
/* Split literals: no whole key shape in the source for secret scanners. */
#define LEAKED_KEY \
	"sk-"      \
	"proj-"    \
	"Qm7Xv2Lp9Rt4Wz8Kc1Nb6Hy3Fd0Gs5Ja-Te2Uo8Pi4Re6_Yw9Zx3Cv"

static void tok_eq(const struct llm_call *c, uint64_t in, uint64_t out, uint64_t cr, uint64_t cc,
		   uint64_t rs)
{
	assert_true(c->usage_ok);
	assert_int_equal(c->reason, LLM_REASON_NONE);
	assert_int_equal(c->tok.input, in);
	assert_int_equal(c->tok.output, out);
	assert_int_equal(c->tok.cache_read, cr);
	assert_int_equal(c->tok.cache_creation, cc);
	assert_int_equal(c->tok.reasoning, rs);
}

static struct llm_call run(const char *method, const char *target, const char *rh, const char *rb,
			   const struct fx_buf *resp, uint8_t flags)
{
	struct fx_buf req = fx_request(method, target, rh, rb);
	struct llm_call c = fx_parse(&req, resp, flags);

	free(req.p);
	return c;
}

static const char openai_body[] =
	"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-5-2025-08-07\","
	"\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
	"\"usage\":{\"prompt_tokens\":1486,\"completion_tokens\":651,\"total_tokens\":2137,"
	"\"prompt_tokens_details\":{\"cached_tokens\":1408,\"audio_tokens\":0},"
	"\"completion_tokens_details\":{\"reasoning_tokens\":512}}}";

static void test_openai_chat(void **state)
{
	struct fx_buf resp = fx_response(200,
					 H_JSON "x-ratelimit-remaining-requests: 499\r\n"
						"x-ratelimit-remaining-tokens: 29000\r\n",
					 openai_body);
	struct llm_call c = run(
		"POST", "/v1/chat/completions",
		"Host: api.openai.com\r\nAuthorization: Bearer sk-proj-abcdefghijklmnopqrstuvwxyz\r\n",
		"{\"model\":\"gpt-5\",\"messages\":[]}", &resp, 0);

	(void)state;
	tok_eq(&c, 1486, 651, 1408, 0, 512);
	assert_string_equal(c.provider, "openai");
	assert_string_equal(c.operation, "chat");
	assert_string_equal(c.request_model, "gpt-5");
	assert_string_equal(c.response_model, "gpt-5-2025-08-07");
	assert_string_equal(c.finish_reason, "stop");
	assert_int_equal(c.status, 200);
	assert_false(c.streaming);
	assert_int_equal(c.ratelimit[LLM_LIMIT_REQUESTS], 499);
	assert_int_equal(c.ratelimit[LLM_LIMIT_TOKENS], 29000);
	assert_int_equal(c.ratelimit[LLM_LIMIT_INPUT], -1);
	assert_int_equal(c.duration_ns, 500000000ull);
	assert_true(c.reported_cost_usd == -1);
	assert_int_equal(c.tok.cache_creation_1h, 0);
	free(resp.p);
}

static void test_openai_gzip_chunked(void **state)
{
	size_t zn;
	void *z = fx_gzip(openai_body, &zn);
	struct fx_buf resp = { 0 };
	char line[64];
	struct llm_call c;

	(void)state;
	fx_puts(&resp,
		"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (size_t off = 0; off < zn; off += 7) {
		size_t k = zn - off < 7 ? zn - off : 7;

		snprintf(line, sizeof(line), "%zx\r\n", k);
		fx_puts(&resp, line);
		fx_put(&resp, (char *)z + off, k);
		fx_puts(&resp, "\r\n");
	}
	fx_puts(&resp, "0\r\n\r\n");
	c = run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n", "{\"model\":\"gpt-5\"}",
		&resp, 0);
	tok_eq(&c, 1486, 651, 1408, 0, 512);
	free(resp.p);
	/* the same gzip body cut short: truncated, never guessed */
	resp = fx_response_len(200, "Content-Encoding: gzip\r\n", z, zn / 2);
	c = run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n", "{}", &resp, 0);
	assert_false(c.usage_ok);
	assert_int_equal(c.reason, LLM_REASON_TRUNCATED);
	free(resp.p);
	free(z);
}

static const char openai_stream[] =
	"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],\"usage\":null}\n\n"
	"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}],\"usage\":null}\n\n"
	"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":null}],\"usage\":null}\n\n"
	"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
	"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[],\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":10,\"total_tokens\":29,\"prompt_tokens_details\":{\"cached_tokens\":0}}}\n\n"
	"data: [DONE]\n\n";

static const char openai_stream_req[] =
	"{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}";

static void test_openai_stream(void **state)
{
	struct fx_buf resp = fx_response_chunked(200, H_SSE, openai_stream, 50);
	struct llm_call c = run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n",
				openai_stream_req, &resp, 0);

	(void)state;
	tok_eq(&c, 19, 10, 0, 0, 0);
	assert_true(c.streaming);
	assert_string_equal(c.response_model, "gpt-4o-2024-08-06");
	assert_string_equal(c.finish_reason, "stop");
	free(resp.p);
}

/* Cut right after the finish chunk: the usage chunk was asked for and never came. */
static void test_openai_stream_cut(void **state)
{
	const char *cut = strstr(
		openai_stream,
		"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[]");
	char *part = strndup(openai_stream, (size_t)(cut - openai_stream) + 40);
	struct fx_buf resp = { 0 };
	struct llm_call c;

	(void)state;
	fx_puts(&resp, "HTTP/1.1 200 OK\r\n" H_SSE "\r\n");
	fx_puts(&resp, part);
	c = run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n", openai_stream_req,
		&resp, BT_REQ_INCOMPLETE);
	assert_false(c.usage_ok);
	assert_int_equal(c.reason, LLM_REASON_STREAM_CUT);
	free(resp.p);
	free(part);
}

/* Without include_usage a complete stream has no counts: no_usage, not stream_cut. */
static void test_openai_stream_no_usage(void **state)
{
	const char *cut = strstr(
		openai_stream,
		"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[]");
	struct fx_buf resp = { 0 };
	struct llm_call c;

	(void)state;
	fx_puts(&resp, "HTTP/1.1 200 OK\r\n" H_SSE "\r\n");
	fx_put(&resp, openai_stream, (size_t)(cut - openai_stream));
	fx_puts(&resp, "data: [DONE]\n\n");
	c = run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n",
		"{\"model\":\"gpt-4o\",\"stream\":true}", &resp, BT_REQ_CLOSE_DELIMITED);
	assert_false(c.usage_ok);
	assert_int_equal(c.reason, LLM_REASON_NO_USAGE);
	free(resp.p);
}

static void test_openai_responses(void **state)
{
	static const char body[] =
		"event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\",\"model\":\"o3-2025-04-16\",\"usage\":null}}\n\n"
		"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"delta\":\"Hi\"}\n\n"
		"event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_1\",\"status\":\"completed\",\"model\":\"o3-2025-04-16\","
		"\"usage\":{\"input_tokens\":328,\"input_tokens_details\":{\"cached_tokens\":128},\"output_tokens\":52,\"output_tokens_details\":{\"reasoning_tokens\":40},\"total_tokens\":380}}}\n\n";
	struct fx_buf resp = fx_response_chunked(200, H_SSE, body, 0);
	struct llm_call c = run("POST", "/v1/responses", "Host: api.openai.com\r\n",
				"{\"model\":\"o3\",\"stream\":true}", &resp, 0);

	(void)state;
	tok_eq(&c, 328, 52, 128, 0, 40);
	assert_string_equal(c.response_model, "o3-2025-04-16");
	assert_string_equal(c.finish_reason, "completed");
	free(resp.p);
}

static void test_openai_embeddings_azure(void **state)
{
	struct fx_buf resp = fx_response(
		200, H_JSON,
		"{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"embedding\":[0.1],\"index\":0}],"
		"\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":8,\"total_tokens\":8}}");
	struct llm_call c =
		run("POST", "/openai/deployments/emb-prod/embeddings?api-version=2024-10-21",
		    "Host: myres.openai.azure.com\r\napi-key: 0123456789abcdef0123456789abcdef\r\n",
		    "{\"input\":\"x\"}", &resp, 0);

	(void)state;
	tok_eq(&c, 8, 0, 0, 0, 0);
	assert_string_equal(c.provider, "azure_openai");
	assert_string_equal(c.operation, "embeddings");
	assert_string_equal(c.request_model, "emb-prod");
	assert_string_equal(c.response_model, "text-embedding-3-small");
	free(resp.p);
}

static void test_anthropic(void **state)
{
	struct fx_buf resp = fx_response(
		200,
		H_JSON
		"anthropic-ratelimit-requests-remaining: 49\r\nanthropic-ratelimit-tokens-remaining: 39000\r\n"
		"anthropic-ratelimit-input-tokens-remaining: 30000\r\nanthropic-ratelimit-output-tokens-remaining: 8000\r\n",
		"{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-20250514\","
		"\"content\":[{\"type\":\"text\",\"text\":\"hi\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
		"\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":2000,\"output_tokens\":15}}");
	struct llm_call c =
		run("POST", "/v1/messages",
		    "Host: api.anthropic.com\r\nx-api-key: sk-ant-api03-secretsecretsecret\r\n",
		    "{\"model\":\"claude-sonnet-4-20250514\",\"max_tokens\":10}", &resp, 0);

	(void)state;
	tok_eq(&c, 2125, 15, 2000, 100, 0);
	assert_string_equal(c.finish_reason, "end_turn");
	assert_int_equal(c.ratelimit[LLM_LIMIT_REQUESTS], 49);
	assert_int_equal(c.ratelimit[LLM_LIMIT_TOKENS], 39000);
	assert_int_equal(c.ratelimit[LLM_LIMIT_INPUT], 30000);
	assert_int_equal(c.ratelimit[LLM_LIMIT_OUTPUT], 8000);
	free(resp.p);
}

static const char anthropic_stream[] =
	"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-7-sonnet-20250219\",\"content\":[],\"stop_reason\":null,"
	"\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":50,\"output_tokens\":1}}}\n\n"
	"event: ping\ndata: {\"type\":\"ping\"}\n\n"
	"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n"
	"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
	"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n"
	"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

static void test_anthropic_stream(void **state)
{
	struct fx_buf resp = fx_response_chunked(200, H_SSE, anthropic_stream, 64);
	struct llm_call c = run("POST", "/v1/messages", "Host: api.anthropic.com\r\n",
				"{\"model\":\"claude-3-7-sonnet-latest\",\"stream\":true}", &resp,
				0);

	(void)state;
	tok_eq(&c, 75, 15, 50, 0, 0);
	assert_string_equal(c.request_model, "claude-3-7-sonnet-latest");
	assert_string_equal(c.response_model, "claude-3-7-sonnet-20250219");
	assert_string_equal(c.finish_reason, "end_turn");
	free(resp.p);
}

static void test_anthropic_529(void **state)
{
	struct fx_buf resp = fx_response(
		529, H_JSON "retry-after: 30\r\n",
		"{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},\"request_id\":\"req_1\"}");
	struct llm_call c = run("POST", "/v1/messages", "Host: api.anthropic.com\r\n",
				"{\"model\":\"claude-opus-4-1-20250805\"}", &resp, 0);

	(void)state;
	assert_int_equal(c.status, 529);
	assert_string_equal(c.error_type, "overloaded_error");
	assert_int_equal(c.reason, LLM_REASON_NONE);
	assert_false(c.usage_ok);
	assert_true(c.retry_after_s == 30.0);
	free(resp.p);
}

static void test_openai_429(void **state)
{
	struct fx_buf resp = fx_response(
		429,
		H_JSON
		"x-ratelimit-remaining-requests: 0\r\n"
		"x-ratelimit-remaining-tokens: 12\r\nretry-after-ms: 1500\r\nretry-after: 2\r\n",
		"{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
	struct llm_call c = run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n",
				"{\"model\":\"gpt-4o\"}", &resp, 0);

	(void)state;
	assert_int_equal(c.status, 429);
	assert_string_equal(c.error_type, "requests");
	assert_true(c.reported_cost_usd == -1);
	assert_int_equal(c.ratelimit[LLM_LIMIT_REQUESTS], 0);
	assert_int_equal(c.ratelimit[LLM_LIMIT_TOKENS], 12);
	assert_true(c.retry_after_s == 1.5);
	free(resp.p);
}

static void test_retry_after_date(void **state)
{
	struct fx_buf resp = fx_response(503,
					 "Date: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
					 "Retry-After: Wed, 21 Oct 2015 07:29:30 GMT\r\n",
					 "oops");
	struct llm_call c =
		run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n", "{}", &resp, 0);

	(void)state;
	assert_true(c.retry_after_s == 90.0);
	assert_string_equal(c.error_type, "503");
	free(resp.p);
}

static const char gemini_chunks[][400] = {
	"{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}],\"role\":\"model\"}}],\"usageMetadata\":{\"trafficType\":\"ON_DEMAND\"},\"modelVersion\":\"gemini-2.5-flash\"}",
	"{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"lo\"}],\"role\":\"model\"}}],\"usageMetadata\":{\"promptTokenCount\":12},\"modelVersion\":\"gemini-2.5-flash\"}",
	"{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"!\"}],\"role\":\"model\"},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":12,\"candidatesTokenCount\":7,\"totalTokenCount\":119,\"cachedContentTokenCount\":4,\"thoughtsTokenCount\":100},\"modelVersion\":\"gemini-2.5-flash\"}",
};

static void test_gemini_sse(void **state)
{
	struct fx_buf body = { 0 }, resp;
	struct llm_call c;

	(void)state;
	for (int i = 0; i < 3; i++) {
		fx_puts(&body, "data: ");
		fx_puts(&body, gemini_chunks[i]);
		fx_puts(&body, "\r\n\r\n");
	}
	resp = fx_response_chunked(200, H_SSE, body.p, 33);
	c = run("POST",
		"/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=AIzaSyD-secretsecretsecretsecret",
		"Host: generativelanguage.googleapis.com\r\n", "{\"contents\":[]}", &resp, 0);
	tok_eq(&c, 12, 107, 4, 0, 100);
	assert_string_equal(c.provider, "gemini");
	assert_string_equal(c.operation, "generate_content");
	assert_string_equal(c.request_model, "gemini-2.5-flash");
	assert_string_equal(c.finish_reason, "STOP");
	free(resp.p);
	free(body.p);
}

static void test_gemini_array_stream(void **state)
{
	struct fx_buf body = { 0 }, resp;
	struct llm_call c;

	(void)state;
	fx_puts(&body, "[");
	for (int i = 0; i < 3; i++) {
		fx_puts(&body, i ? ",\r\n" : "");
		fx_puts(&body, gemini_chunks[i]);
	}
	fx_puts(&body, "]");
	resp = fx_response_chunked(200, H_JSON, body.p, 17);
	c = run("POST",
		"/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent",
		"Host: us-central1-aiplatform.googleapis.com\r\n", "{}", &resp, 0);
	tok_eq(&c, 12, 107, 4, 0, 100);
	assert_string_equal(c.provider, "vertex_ai");
	free(resp.p);
	/* cut after the second element: only a partial count was seen */
	resp = fx_response_len(200, H_JSON, body.p, strstr(body.p, gemini_chunks[2]) - body.p + 30);
	c = run("POST",
		"/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent",
		"Host: us-central1-aiplatform.googleapis.com\r\n", "{}", &resp, 0);
	assert_false(c.usage_ok);
	assert_int_equal(c.reason, LLM_REASON_STREAM_CUT);
	free(resp.p);
	free(body.p);
}

static void test_gemini_error_array(void **state)
{
	struct fx_buf resp = fx_response(
		429, H_JSON,
		"[{\"error\":{\"code\":429,\"message\":\"Quota exceeded. Please retry in 43.7s\",\"status\":\"RESOURCE_EXHAUSTED\"}}]");
	struct llm_call c = run("POST", "/v1beta/models/gemini-2.5-pro:generateContent",
				"Host: generativelanguage.googleapis.com\r\n", "{}", &resp, 0);

	(void)state;
	assert_string_equal(c.error_type, "RESOURCE_EXHAUSTED");
	assert_int_equal(c.status, 429);
	free(resp.p);
}

static void test_cohere_v2_stream(void **state)
{
	static const char body[] =
		"event: message-start\ndata: {\"id\":\"1\",\"type\":\"message-start\",\"delta\":{\"message\":{\"role\":\"assistant\"}}}\n\n"
		"event: content-delta\ndata: {\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":{\"text\":\"Hi\"}}}}\n\n"
		"event: message-end\ndata: {\"type\":\"message-end\",\"delta\":{\"finish_reason\":\"COMPLETE\",\"usage\":{\"billed_units\":{\"input_tokens\":9,\"output_tokens\":3},\"tokens\":{\"input_tokens\":215,\"output_tokens\":3}}}}\n\n";
	struct fx_buf resp = fx_response_chunked(200, H_SSE, body, 0);
	struct llm_call c = run("POST", "/v2/chat", "Host: api.cohere.com\r\n",
				"{\"model\":\"command-a-03-2025\",\"stream\":true}", &resp, 0);

	(void)state;
	tok_eq(&c, 9, 3, 0, 0, 0);
	assert_string_equal(c.provider, "cohere");
	assert_string_equal(c.request_model, "command-a-03-2025");
	assert_string_equal(c.finish_reason, "COMPLETE");
	free(resp.p);
}

static void test_cohere_v1_ndjson(void **state)
{
	static const char body[] =
		"{\"is_finished\":false,\"event_type\":\"stream-start\",\"generation_id\":\"g\"}\n"
		"{\"is_finished\":false,\"event_type\":\"text-generation\",\"text\":\"Hi\"}\n"
		"{\"is_finished\":true,\"event_type\":\"stream-end\",\"finish_reason\":\"COMPLETE\",\"response\":{\"text\":\"Hi\",\"meta\":{\"billed_units\":{\"input_tokens\":9,\"output_tokens\":2}}}}\n";
	struct fx_buf resp =
		fx_response_chunked(200, "Content-Type: application/stream+json\r\n", body, 0);
	struct llm_call c = run("POST", "/v1/chat", "Host: api.cohere.ai\r\n",
				"{\"message\":\"hi\",\"model\":\"command-r\",\"stream\":true}",
				&resp, 0);

	(void)state;
	tok_eq(&c, 9, 2, 0, 0, 0);
	assert_string_equal(c.finish_reason, "COMPLETE");
	free(resp.p);
}

static void test_cohere_v1_body(void **state)
{
	struct fx_buf resp = fx_response(
		200, H_JSON,
		"{\"text\":\"Hi\",\"generation_id\":\"g\",\"finish_reason\":\"COMPLETE\",\"meta\":{\"api_version\":{\"version\":\"1\"},"
		"\"billed_units\":{\"input_tokens\":31,\"output_tokens\":4},\"tokens\":{\"input_tokens\":100,\"output_tokens\":4}}}");
	struct llm_call c = run("POST", "/v1/chat", "Host: api.cohere.com\r\n",
				"{\"message\":\"hi\"}", &resp, 0);

	(void)state;
	tok_eq(&c, 31, 4, 0, 0, 0);
	free(resp.p);
}

static void test_ollama_ndjson(void **state)
{
	static const char body[] =
		"{\"model\":\"gemma2:2b\",\"created_at\":\"t\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n"
		"{\"model\":\"gemma2:2b\",\"created_at\":\"t\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":\"stop\",\"done\":true,"
		"\"total_duration\":4353619900,\"load_duration\":63915300,\"prompt_eval_count\":10,\"prompt_eval_duration\":246847000,\"eval_count\":17,\"eval_duration\":4032296000}";
	struct fx_buf resp =
		fx_response_chunked(200, "Content-Type: application/x-ndjson\r\n", body, 0);
	struct llm_call c = run("POST", "/api/chat", "Host: localhost:11434\r\n",
				"{\"model\":\"gemma2:2b\",\"messages\":[]}", &resp, 0);

	(void)state;
	tok_eq(&c, 10, 17, 0, 0, 0);
	assert_string_equal(c.provider, "ollama");
	assert_string_equal(c.finish_reason, "stop");
	assert_true(c.streaming);
	free(resp.p);
}

static void test_ollama_generate_body(void **state)
{
	struct fx_buf resp = fx_response(
		200, H_JSON,
		"{\"model\":\"llama3\",\"response\":\"Hi\",\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":26,\"eval_count\":259}");
	struct llm_call c = run("POST", "/api/generate", "Host: gpu-box:11434\r\n",
				"{\"model\":\"llama3\",\"stream\":false}", &resp, 0);

	(void)state;
	tok_eq(&c, 26, 259, 0, 0, 0);
	assert_string_equal(c.operation, "text_completion");
	assert_false(c.streaming);
	free(resp.p);
}

static void test_openrouter_and_compatible(void **state)
{
	static const char body[] =
		": OPENROUTER PROCESSING\n\n"
		"data: {\"id\":\"g\",\"model\":\"openai/gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n"
		": OPENROUTER PROCESSING\n\n"
		"data: {\"id\":\"g\",\"model\":\"openai/gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
		"\"usage\":{\"prompt_tokens\":14,\"completion_tokens\":2,\"total_tokens\":16,\"cost\":0.00001,\"prompt_tokens_details\":{\"cached_tokens\":0,\"cache_write_tokens\":0}}}\n\n"
		"data: [DONE]\n\n";
	struct fx_buf resp = fx_response_chunked(200, H_SSE, body, 0);
	struct llm_call c = run("POST", "/api/v1/chat/completions", "Host: openrouter.ai\r\n",
				"{\"model\":\"openai/gpt-4o-mini\",\"stream\":true}", &resp, 0);

	(void)state;
	tok_eq(&c, 14, 2, 0, 0, 0);
	assert_string_equal(c.provider, "openrouter");
	assert_string_equal(c.request_model, "openai/gpt-4o-mini");
	assert_true(c.reported_cost_usd == 0.00001);
	c = run("POST", "/v1/chat/completions", "Host: llm.internal:8000\r\n",
		"{\"model\":\"meta-llama/Llama-3-8B\",\"stream\":true}", &resp, 0);
	tok_eq(&c, 14, 2, 0, 0, 0);
	assert_string_equal(c.provider, "openai_compatible");
	free(resp.p);
}

/* 5 min and 1 h cache writes are priced apart: the 1 h part is kept on its own */
static void test_anthropic_cache_ttl(void **state)
{
	struct fx_buf resp = fx_response(
		200, H_JSON,
		"{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\","
		"\"content\":[],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":25,"
		"\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":2000,"
		"\"cache_creation\":{\"ephemeral_5m_input_tokens\":60,\"ephemeral_1h_input_tokens\":40},"
		"\"output_tokens\":15,\"service_tier\":\"standard\"}}");
	struct llm_call c = run("POST", "/v1/messages", "Host: api.anthropic.com\r\n",
				"{\"model\":\"claude-sonnet-4-5\"}", &resp, 0);

	(void)state;
	tok_eq(&c, 2125, 15, 2000, 100, 0);
	assert_int_equal(c.tok.cache_creation_1h, 40);
	assert_true(c.reported_cost_usd == -1);
	free(resp.p);
	/* the split alone gives the total; a 1 h count above the total is cut to it */
	resp = fx_response(
		200, H_JSON,
		"{\"type\":\"message\",\"model\":\"claude-opus-4-1-20250805\",\"stop_reason\":\"end_turn\","
		"\"usage\":{\"input_tokens\":5,\"output_tokens\":1,"
		"\"cache_creation\":{\"ephemeral_5m_input_tokens\":7,\"ephemeral_1h_input_tokens\":3}}}");
	c = run("POST", "/v1/messages", "Host: api.anthropic.com\r\n", "{}", &resp, 0);
	tok_eq(&c, 15, 1, 0, 10, 0);
	assert_int_equal(c.tok.cache_creation_1h, 3);
	free(resp.p);
	resp = fx_response(
		200, H_JSON,
		"{\"type\":\"message\",\"model\":\"m\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1,"
		"\"cache_creation_input_tokens\":4,"
		"\"cache_creation\":{\"ephemeral_5m_input_tokens\":0,\"ephemeral_1h_input_tokens\":9}}}");
	c = run("POST", "/v1/messages", "Host: api.anthropic.com\r\n", "{}", &resp, 0);
	tok_eq(&c, 9, 1, 0, 4, 0);
	assert_int_equal(c.tok.cache_creation_1h, 4);
	free(resp.p);
}

static const char anthropic_stream_ttl[] =
	"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-haiku-4-5-20251001\",\"content\":[],"
	"\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":500,\"cache_read_input_tokens\":0,"
	"\"cache_creation\":{\"ephemeral_5m_input_tokens\":200,\"ephemeral_1h_input_tokens\":300},\"output_tokens\":1}}}\n\n"
	"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
	"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":9}}\n\n"
	"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

static void test_anthropic_stream_ttl(void **state)
{
	struct fx_buf resp = fx_response_chunked(200, H_SSE, anthropic_stream_ttl, 50);
	struct llm_call c = run("POST", "/v1/messages", "Host: api.anthropic.com\r\n",
				"{\"model\":\"claude-haiku-4-5\",\"stream\":true}", &resp, 0);

	(void)state;
	/* message_start's split survives the message_delta that only carries output */
	tok_eq(&c, 512, 9, 0, 500, 0);
	assert_int_equal(c.tok.cache_creation_1h, 300);
	free(resp.p);
}

/* usage.cost of OpenRouter (any OpenAI-shaped body may carry it): the last one read */
static void test_reported_cost(void **state)
{
	struct fx_buf resp = fx_response(
		200, H_JSON,
		"{\"id\":\"gen-1\",\"model\":\"anthropic/claude-sonnet-4.5\",\"choices\":[{\"index\":0,"
		"\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
		"\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":20,\"total_tokens\":120,"
		"\"cost\":0.0042,\"cost_details\":{\"upstream_inference_cost\":null}}}");
	struct llm_call c = run("POST", "/api/v1/chat/completions", "Host: openrouter.ai\r\n",
				"{\"model\":\"anthropic/claude-sonnet-4.5\"}", &resp, 0);
	static const char two_usages[] =
		"data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":null}],"
		"\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"cost\":0.5}}\n\n"
		"data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],"
		"\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"cost\":0.75}}\n\n"
		"data: [DONE]\n\n";
	static const char *const bad_costs[] = { "-1", "\"0.1\"", "null", "true", "{}" };

	(void)state;
	tok_eq(&c, 100, 20, 0, 0, 0);
	assert_true(c.reported_cost_usd == 0.0042);
	free(resp.p);
	resp = fx_response_chunked(200, H_SSE, two_usages, 0);
	c = run("POST", "/api/v1/chat/completions", "Host: openrouter.ai\r\n",
		"{\"model\":\"m\",\"stream\":true}", &resp, 0);
	tok_eq(&c, 3, 2, 0, 0, 0);
	assert_true(c.reported_cost_usd == 0.75);
	free(resp.p);
	for (size_t i = 0; i < sizeof(bad_costs) / sizeof(bad_costs[0]); i++) {
		char body[256];

		snprintf(
			body, sizeof(body),
			"{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"cost\":%s}}",
			bad_costs[i]);
		resp = fx_response(200, H_JSON, body);
		c = run("POST", "/api/v1/chat/completions", "Host: openrouter.ai\r\n", "{}", &resp,
			0);
		tok_eq(&c, 1, 1, 0, 0, 0);
		assert_true(c.reported_cost_usd == -1);
		free(resp.p);
	}
	/* an integer cost is a number too; an error answer has none */
	resp = fx_response(200, H_JSON, "{\"usage\":{\"prompt_tokens\":1,\"cost\":0}}");
	c = run("POST", "/api/v1/chat/completions", "Host: openrouter.ai\r\n", "{}", &resp, 0);
	assert_true(c.reported_cost_usd == 0);
	free(resp.p);
	resp = fx_response(
		402, H_JSON,
		"{\"error\":{\"message\":\"credits\",\"code\":402},\"usage\":{\"cost\":1}}");
	c = run("POST", "/api/v1/chat/completions", "Host: openrouter.ai\r\n", "{}", &resp, 0);
	assert_false(c.usage_ok);
	assert_true(c.reported_cost_usd == -1);
	free(resp.p);
}

static void test_bad_and_truncated_json(void **state)
{
	struct fx_buf resp = fx_response(200, H_JSON, "{\"usage\":{\"prompt_tokens\":1,,}");
	struct llm_call c =
		run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n", "{}", &resp, 0);

	(void)state;
	assert_int_equal(c.reason, LLM_REASON_BAD_JSON);
	assert_false(c.usage_ok);
	free(resp.p);
	/* Content-Length says 2000 bytes, the connection closed after 40 */
	resp = fx_response(200, H_JSON, openai_body);
	resp.len = strstr(resp.p, "\r\n\r\n") - resp.p + 4 + 40;
	c = run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n", "{}", &resp,
		BT_REQ_INCOMPLETE);
	assert_int_equal(c.reason, LLM_REASON_TRUNCATED);
	assert_false(c.usage_ok);
	free(resp.p);
	/* garbage inside a stream */
	resp = fx_response_chunked(
		200, H_SSE,
		"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {nope\n\ndata: [DONE]\n\n",
		0);
	c = run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n", "{\"stream\":true}",
		&resp, 0);
	assert_int_equal(c.reason, LLM_REASON_BAD_JSON);
	free(resp.p);
	/* not an API we know */
	resp = fx_response(200, H_JSON, "{}");
	c = run("POST", "/v1/messages/batches", "Host: api.anthropic.com\r\n", "{}", &resp, 0);
	assert_int_equal(c.reason, LLM_REASON_UNKNOWN_FORMAT);
	free(resp.p);
}

static void test_head_and_204(void **state)
{
	struct fx_buf resp = { 0 };
	struct llm_call c;

	(void)state;
	/* a HEAD answer announces a body it does not send */
	fx_puts(&resp, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n");
	c = run("HEAD", "/v1/chat/completions", "Host: api.openai.com\r\n", "", &resp, 0);
	assert_int_equal(c.status, 200);
	assert_int_equal(c.reason, LLM_REASON_NO_USAGE);
	free(resp.p);
	resp = (struct fx_buf){ 0 };
	fx_puts(&resp, "HTTP/1.1 204 No Content\r\n\r\n");
	c = run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n", "{}", &resp, 0);
	assert_int_equal(c.status, 204);
	assert_int_equal(c.reason, LLM_REASON_NO_USAGE);
	free(resp.p);
	/* 100 Continue before the answer */
	resp = fx_response(200, H_JSON, openai_body);
	{
		struct fx_buf r2 = { 0 };

		fx_puts(&r2, "HTTP/1.1 100 Continue\r\n\r\n");
		fx_put(&r2, resp.p, resp.len);
		c = run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n", "{}", &r2, 0);
		tok_eq(&c, 1486, 651, 1408, 0, 512);
		free(r2.p);
	}
	free(resp.p);
}

static void test_body_too_large(void **state)
{
	struct fx_buf req =
		fx_request("POST", "/v1/chat/completions", "Host: api.openai.com\r\n", "{}");
	struct fx_buf resp = fx_response(200, H_JSON, openai_body);
	struct llm_exchange_in in = { .req = (uint8_t *)req.p,
				      .req_len = req.len,
				      .resp = (uint8_t *)resp.p,
				      .resp_len = resp.len,
				      .max_body_bytes = 100 };
	struct llm_call c;

	(void)state;
	assert_int_equal(llm_parse_exchange(&in, &c), 0);
	assert_int_equal(c.reason, LLM_REASON_BODY_TOO_LARGE);
	assert_false(c.usage_ok);
	free(req.p);
	/* a request body over the limit is neither hashed nor scanned */
	req = fx_request("POST", "/v1/chat/completions", "Host: api.openai.com\r\n",
			 "{\"messages\":[{\"content\":\"" LEAKED_KEY
			 " padding the body beyond one hundred bytes\"}]}");
	in.req = (uint8_t *)req.p;
	in.req_len = req.len;
	assert_int_equal(llm_parse_exchange(&in, &c), 0);
	assert_int_equal(c.request_hash, 0);
	assert_int_equal(c.secret_count, 0);
	free(req.p);
	free(resp.p);
}

static void hash_of(const char *secret, char out[SECRET_HASH_LEN])
{
	uint8_t d[32];

	secret_sha256(secret, strlen(secret), d);
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* A key pasted into a prompt (escaped as \u002d): its kind and hash, never its bytes. */
static void test_request_secret(void **state)
{
	char esc[256], body[1024], want[SECRET_HASH_LEN], *o = esc;
	struct fx_buf resp = fx_response(200, H_JSON, openai_body);
	struct llm_call c;

	(void)state;
	for (const char *p = LEAKED_KEY; *p; p++)
		o += *p == '-' ? sprintf(o, "\\u002d") : sprintf(o, "%c", *p);
	snprintf(body, sizeof(body),
		 "{\"model\":\"gpt-5\",\"messages\":[{\"role\":\"user\",\"content\":"
		 "\"why does this fail?\\nclient = OpenAI(api_key=\\\"%s\\\")\"}]}",
		 esc);
	assert_null(strstr(body, LEAKED_KEY));
	c = run("POST", "/v1/chat/completions",
		"Host: api.openai.com\r\nAuthorization: Bearer " LEAKED_KEY "\r\n", body, &resp, 0);
	tok_eq(&c, 1486, 651, 1408, 0, 512);
	hash_of(LEAKED_KEY, want);
	assert_int_equal(c.secret_count, 1);
	assert_string_equal(c.secret_kind, "openai_key");
	assert_string_equal(c.secret_hash, want);
	assert_int_not_equal(c.request_hash, 0);
	/* neither the key nor any 12 bytes of it anywhere in the call */
	for (size_t i = 0; i + 12 <= strlen(LEAKED_KEY); i++)
		assert_null(memmem(&c, sizeof(c), LEAKED_KEY + i, 12));

	/* two secrets: the first is named, both counted; the Authorization header is not */
	c = run("POST", "/v1/chat/completions",
		"Host: api.openai.com\r\nAuthorization: Bearer " LEAKED_KEY "\r\n",
		"{\"model\":\"gpt-5\",\"messages\":[{\"role\":\"user\",\"content\":"
		"\"DB_PASSWORD=Tr0ub4dor!3x\\nand " LEAKED_KEY "\"}]}",
		&resp, 0);
	assert_int_equal(c.secret_count, 2);
	assert_string_equal(c.secret_kind, "password");
	hash_of("Tr0ub4dor!3x", want);
	assert_string_equal(c.secret_hash, want);
	assert_null(memmem(&c, sizeof(c), "Tr0ub4dor", 9));

	/* none: empty kind and hash */
	c = run("POST", "/v1/chat/completions",
		"Host: api.openai.com\r\nAuthorization: Bearer " LEAKED_KEY "\r\n",
		"{\"model\":\"gpt-5\",\"messages\":[{\"role\":\"user\",\"content\":"
		"\"How do I rotate my password: safely?\"}]}",
		&resp, 0);
	assert_int_equal(c.secret_count, 0);
	assert_string_equal(c.secret_kind, "");
	assert_string_equal(c.secret_hash, "");
	free(resp.p);
}

/* request_hash: FNV-1a 64 of the decoded body; equal bodies equal, gzip or not. */
static void test_request_hash(void **state)
{
	static const char body[] = "{\"model\":\"gpt-5\",\"messages\":[]}";
	struct fx_buf resp = fx_response(200, H_JSON, openai_body), req = { 0 };
	struct llm_call a, b, z;
	char line[128];
	size_t zn;
	void *gz = fx_gzip(body, &zn);

	(void)state;
	a = run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n", body, &resp, 0);
	b = run("POST", "/v1/chat/completions", "Host: api.openai.com\r\nX-Req: 2\r\n", body, &resp,
		0);
	assert_int_equal(a.request_hash, 0x6185c4f0517a94e7ull);
	assert_int_equal(b.request_hash, a.request_hash); /* headers do not count */
	b = run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n",
		"{\"model\":\"gpt-5\",\"messages\":[ ]}", &resp, 0);
	assert_int_not_equal(b.request_hash, a.request_hash);
	assert_int_not_equal(b.request_hash, 0);

	fx_puts(&req, "POST /v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n"
		      "Content-Encoding: gzip\r\n");
	snprintf(line, sizeof(line), "Content-Length: %zu\r\n\r\n", zn);
	fx_puts(&req, line);
	fx_put(&req, gz, zn);
	z = fx_parse(&req, &resp, 0);
	assert_string_equal(z.request_model, "gpt-5");
	assert_int_equal(z.request_hash, a.request_hash);
	free(req.p);
	free(gz);

	/* no body: 0 */
	z = run("POST", "/v1/chat/completions", "Host: api.openai.com\r\n", "", &resp, 0);
	assert_int_equal(z.request_hash, 0);
	assert_int_equal(z.secret_count, 0);
	free(resp.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openai_chat),
		cmocka_unit_test(test_openai_gzip_chunked),
		cmocka_unit_test(test_openai_stream),
		cmocka_unit_test(test_openai_stream_cut),
		cmocka_unit_test(test_openai_stream_no_usage),
		cmocka_unit_test(test_openai_responses),
		cmocka_unit_test(test_openai_embeddings_azure),
		cmocka_unit_test(test_anthropic),
		cmocka_unit_test(test_anthropic_stream),
		cmocka_unit_test(test_anthropic_529),
		cmocka_unit_test(test_openai_429),
		cmocka_unit_test(test_retry_after_date),
		cmocka_unit_test(test_gemini_sse),
		cmocka_unit_test(test_gemini_array_stream),
		cmocka_unit_test(test_gemini_error_array),
		cmocka_unit_test(test_cohere_v2_stream),
		cmocka_unit_test(test_cohere_v1_ndjson),
		cmocka_unit_test(test_cohere_v1_body),
		cmocka_unit_test(test_ollama_ndjson),
		cmocka_unit_test(test_ollama_generate_body),
		cmocka_unit_test(test_openrouter_and_compatible),
		cmocka_unit_test(test_anthropic_cache_ttl),
		cmocka_unit_test(test_anthropic_stream_ttl),
		cmocka_unit_test(test_reported_cost),
		cmocka_unit_test(test_bad_and_truncated_json),
		cmocka_unit_test(test_head_and_204),
		cmocka_unit_test(test_body_too_large),
		cmocka_unit_test(test_request_secret),
		cmocka_unit_test(test_request_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
